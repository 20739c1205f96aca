"""Open-loop input profiles against closed forms (ISO 7401 step steer, FMVSS 126 manoeuvres)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.driver import open_loop as ol
from sim.errors import SpecError

DEG = math.pi / 180.0
#: The module promises linear interpolation of a sine within this fraction of its amplitude.
SINE_TOLERANCE = 1e-4


def swd_closed_form(t, amplitude_deg, direction=1, start=0.5, f=0.7, dwell=0.5):
    """FMVSS 126 sine with dwell written out independently of the module [rad]."""
    tau = np.asarray(t) - start
    a = amplitude_deg * DEG * direction
    return np.select(
        [tau < 0, tau <= 0.75 / f, tau <= 0.75 / f + dwell, tau <= 1 / f + dwell],
        [0.0, a * np.sin(2 * np.pi * f * tau), -a, a * np.sin(2 * np.pi * f * (tau - dwell))],
        0.0)


# --------------------------------------------------------------------------- the table

def test_sample_interpolates_linearly_and_holds_both_ends():
    p = ol.table([1.0, 2.0, 4.0], [[0.0, 10.0, -10.0], [1.0, 1.0, 3.0]])
    got = p.sample([0.0, 1.0, 1.5, 2.0, 3.0, 4.0, 9.0])
    np.testing.assert_array_equal(got, [[0, 0, 5, 10, 0, -10, -10], [1, 1, 1, 1, 2, 3, 3]])
    assert p.sample(3.0).shape == (2,)
    assert p.batch_size == 2 and p.end_s == 4.0


def test_profile_arrays_are_read_only_copies():
    times = np.array([0.0, 1.0])
    p = ol.table(times, [0.0, 1.0])
    times[1] = 5.0
    assert p.time_s[1] == 1.0
    with pytest.raises(ValueError):
        p.values[0, 0] = 3.0


@given(st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=12),
       st.lists(st.floats(-5.0, 30.0), min_size=1, max_size=20))
@settings(deadline=None)
def test_sample_matches_np_interp(values, query):
    times = np.cumsum(np.linspace(0.5, 1.5, len(values)))
    p = ol.table(times, [values, values[::-1]])
    got = p.sample(query)
    np.testing.assert_allclose(got[0], np.interp(query, times, values), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(got[1], np.interp(query, times, values[::-1]),
                               rtol=1e-12, atol=1e-9)


def test_constant():
    p = ol.constant([0.2, -0.3], duration_s=4.0)
    np.testing.assert_array_equal(p.sample([-1.0, 0.0, 2.0, 10.0]), [[0.2] * 4, [-0.3] * 4])


# --------------------------------------------------------------------------- step / ISO 7401

def test_step_reaches_amplitude_at_start_plus_amplitude_over_rate():
    amplitude, start, rate = -3.0, 0.4, 12.0
    p = ol.step(amplitude, start, rate, duration_s=2.0)
    t_end = start + abs(amplitude) / rate  # 0.65 s
    got = p.sample([0.0, start, start + 0.1, t_end - 1e-3, t_end, 1.0, 2.0, 5.0])
    np.testing.assert_allclose(got[0], [0, 0, -1.2, -3 + 12e-3, -3, -3, -3, -3], atol=1e-12)
    assert p.end_s == 2.0


def test_ideal_step_is_a_one_microsecond_ramp():
    p = ol.step(2.0, 1.0)
    np.testing.assert_array_equal(p.sample([1.0, 1.0 + 2e-6, 3.0]), [[0.0, 2.0, 2.0]])
    assert ol.time_at_fraction(p)[0] == pytest.approx(1.0 + 0.5 * ol.IDEAL_STEP_RISE_S, abs=1e-12)


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9, 1.0])
def test_time_at_fraction_of_a_ramp_step(fraction):
    p = ol.step([4.0, -8.0], [0.5, 1.0], rate_per_s=[16.0, 4.0])
    expected = np.array([0.5 + fraction * 4.0 / 16.0, 1.0 + fraction * 8.0 / 4.0])
    np.testing.assert_allclose(ol.time_at_fraction(p, fraction), expected, rtol=1e-14)


def test_iso7401_step_steer_is_radians_with_t0_at_half_angle():
    p = ol.iso7401_step_steer([30.0, -60.0], rate_deg_per_s=400.0, start_s=0.5)
    np.testing.assert_allclose(p.sample(2.0), [30.0 * DEG, -60.0 * DEG], rtol=1e-15)
    # 50 % of 30 deg at 400 deg/s: 15/400 s after start; 30/400 s for 60 deg
    np.testing.assert_allclose(ol.time_at_fraction(p), [0.5375, 0.575], rtol=1e-14)
    np.testing.assert_allclose(p.sample(0.55), [20.0 * DEG, -20.0 * DEG], rtol=1e-12)


# --------------------------------------------------------------------------- ramps

def test_ramp_slope_and_hold_after_the_end():
    p = ol.ramp(-2.0, 1.0, duration_s=5.0)
    np.testing.assert_allclose(p.sample([0.0, 1.0, 2.5, 5.0, 7.0])[0], [0, 0, -3, -8, -8])


def test_ramp_with_final_equals_the_step():
    a = ol.ramp([3.0, -2.0], 0.5, final=[6.0, -1.0])
    b = ol.step([6.0, -1.0], 0.5, [3.0, 2.0])
    t = np.linspace(0.0, 4.0, 401)
    np.testing.assert_allclose(a.sample(t), b.sample(t), rtol=1e-14, atol=1e-15)


def test_slowly_increasing_steer_is_13_5_deg_per_s_both_directions():
    p = ol.slowly_increasing_steer(direction=[1, -1], start_s=0.5)
    got = p.sample([0.5, 1.5, 4.5, 20.5, 30.0]) / DEG
    np.testing.assert_allclose(got, [[0, 13.5, 54.0, 270.0, 270.0],
                                     [0, -13.5, -54.0, -270.0, -270.0]], rtol=1e-12, atol=1e-12)
    capped = ol.slowly_increasing_steer(-1, final_deg=27.0)
    assert capped.sample(2.5)[0] / DEG == pytest.approx(-27.0)
    assert capped.sample(10.0)[0] / DEG == pytest.approx(-27.0)


# --------------------------------------------------------------------------- sines

def test_sine_quarter_points_and_hold():
    p = ol.sine([1.0, -2.0], frequency_hz=2.0, start_s=0.1, cycles=1.5)
    t = 0.1 + np.array([0.0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75])
    got = p.sample(np.append(t, [0.0, 10.0]))
    expected = np.array([0, 1, 0, -1, 0, 1, 0, 0, 0])
    np.testing.assert_allclose(got, [expected, -2 * expected], atol=1e-14)


def test_sine_resolution_bound():
    h = 1.0 / ol.POINTS_PER_PERIOD
    assert (2 * math.pi * h) ** 2 / 8 < SINE_TOLERANCE  # the bound the module relies on
    p = ol.sine(3.0, 0.7, 0.2, cycles=2)
    t = np.linspace(0.0, 3.2, 200_001)
    active = (t >= 0.2) & (t <= 0.2 + 2 / 0.7)
    exact = np.where(active, 3.0 * np.sin(2 * np.pi * 0.7 * (t - 0.2)), 0.0)
    err = np.max(np.abs(p.sample(t)[0] - exact)) / 3.0
    assert err < SINE_TOLERANCE
    assert err > 0.5 * (2 * math.pi * h) ** 2 / 8  # the stated resolution is what is used
    # breakpoints per period: 256 plus the exact quarter-period corners
    assert 2 * ol.POINTS_PER_PERIOD <= p.time_s.size <= 2 * ol.POINTS_PER_PERIOD + 20


@given(amplitude=st.floats(0.01, 500.0), frequency=st.floats(0.05, 5.0),
       start=st.floats(0.0, 3.0), cycles=st.sampled_from([0.5, 1.0, 2.5, 3.0]),
       sign=st.sampled_from([-1.0, 1.0]))
@settings(deadline=None, max_examples=40)
def test_sampled_sine_is_within_tolerance_of_closed_form(amplitude, frequency, start, cycles,
                                                         sign):
    a = sign * amplitude
    p = ol.sine(a, frequency, start, cycles)
    end = start + cycles / frequency
    t = np.linspace(0.0, end + 1.0, 5001)
    exact = np.where((t >= start) & (t <= end), a * np.sin(2 * np.pi * frequency * (t - start)), 0)
    assert np.max(np.abs(p.sample(t)[0] - exact)) < SINE_TOLERANCE * amplitude


# --------------------------------------------------------------------------- sine with dwell

START = 0.5
F = 0.7
T_DWELL = START + 0.75 / F        # 1.0714 s after start
T_COS = START + 1.0 / F + 0.5     # 1.9286 s after start


def test_sine_with_dwell_time_marks_match_the_regulation_numbers():
    assert T_DWELL - START == pytest.approx(1.0714, abs=1e-4)
    assert T_COS - START == pytest.approx(1.9286, abs=1e-4)


@pytest.mark.parametrize("direction", [1, -1])
def test_sine_with_dwell_peaks_dwell_and_completion(direction):
    a = 100.0 * DEG
    p = ol.sine_with_dwell(100.0, direction, start_s=START)
    assert p.sample(START + 1 / (4 * F))[0] == pytest.approx(direction * a, rel=1e-14)
    assert p.sample(START + 1 / (2 * F))[0] == pytest.approx(0.0, abs=1e-14)
    dwell = np.linspace(T_DWELL, T_DWELL + 0.5, 101)
    np.testing.assert_array_equal(p.sample(dwell)[0], -direction * a)
    # just outside the dwell the angle is already moving
    outside = p.sample([T_DWELL - 0.01, T_DWELL + 0.51])[0]
    assert np.all(np.abs(outside) < a * (1 - 1e-4))
    np.testing.assert_allclose(ol.cos_time_s(p), T_COS, rtol=1e-15)
    after = np.linspace(T_COS, T_COS + 10.0, 57)
    np.testing.assert_array_equal(p.sample(after)[0], 0.0)
    np.testing.assert_array_equal(p.sample([0.0, START])[0], 0.0)
    assert p.end_s == pytest.approx(T_COS, rel=1e-15)


def test_sine_with_dwell_matches_closed_form():
    t = np.linspace(0.0, 4.0, 40_001)
    for amplitude, direction in [(30.0, 1), (270.0, -1)]:
        got = ol.sine_with_dwell(amplitude, direction).sample(t)[0]
        exact = swd_closed_form(t, amplitude, direction)
        assert np.max(np.abs(got - exact)) < SINE_TOLERANCE * amplitude * DEG


def test_sine_with_dwell_direction_gives_the_negated_profile():
    left = ol.sine_with_dwell([45.0, 135.0], 1)
    right = ol.sine_with_dwell([45.0, 135.0], -1)
    np.testing.assert_array_equal(right.time_s, left.time_s)
    np.testing.assert_array_equal(right.values, -left.values)


def test_batch_of_amplitudes_equals_single_profiles():
    amplitudes = [30.0, 67.5, 292.5]
    batch = ol.sine_with_dwell(amplitudes, direction=[1, -1, 1])
    t = np.linspace(0.0, 3.0, 3001)
    for i, (a, d) in enumerate(zip(amplitudes, [1, -1, 1], strict=True)):
        np.testing.assert_array_equal(batch.sample(t)[i], ol.sine_with_dwell(a, d).sample(t)[0])


def test_batch_with_different_timings_matches_singles_within_tolerance():
    batch = ol.sine_with_dwell(90.0, start_s=[0.2, 0.9], frequency_hz=[0.7, 0.5],
                               dwell_s=[0.5, 0.0])
    t = np.linspace(0.0, 4.0, 8001)
    for i, (s, f, d) in enumerate([(0.2, 0.7, 0.5), (0.9, 0.5, 0.0)]):
        single = ol.sine_with_dwell(90.0, start_s=s, frequency_hz=f, dwell_s=d)
        np.testing.assert_allclose(batch.sample(t)[i], single.sample(t)[0],
                                   atol=SINE_TOLERANCE * 90 * DEG)
        np.testing.assert_allclose(batch.sample(t)[i], swd_closed_form(t, 90.0, 1, s, f, d),
                                   atol=SINE_TOLERANCE * 90 * DEG)
    np.testing.assert_allclose(ol.cos_time_s(batch), [0.2 + 1 / 0.7 + 0.5, 0.9 + 2.0])


@given(amplitude=st.floats(5.5, 300.0), frequency=st.floats(0.2, 2.0),
       dwell=st.floats(0.0, 1.0), start=st.floats(0.0, 2.0))
@settings(deadline=None, max_examples=30)
def test_sine_with_dwell_property(amplitude, frequency, dwell, start):
    p = ol.sine_with_dwell(amplitude, -1, start_s=start, frequency_hz=frequency, dwell_s=dwell)
    cos = start + 1 / frequency + dwell
    t = np.linspace(0.0, cos + 1.0, 4001)
    exact = swd_closed_form(t, amplitude, -1, start, frequency, dwell)
    assert np.max(np.abs(p.sample(t)[0] - exact)) < SINE_TOLERANCE * amplitude * DEG
    assert ol.cos_time_s(p)[0] == pytest.approx(cos, rel=1e-14)
    bos = start + math.asin(5.0 / amplitude) / (2 * math.pi * frequency)
    assert ol.bos_time_s(p)[0] == pytest.approx(bos, abs=2e-4 / frequency)


@pytest.mark.parametrize("amplitude", [20.0, 100.0, 270.0])
@pytest.mark.parametrize("direction", [1, -1])
def test_bos_at_5_deg(amplitude, direction):
    p = ol.sine_with_dwell(amplitude, direction, start_s=START)
    bos = START + math.asin(5.0 / amplitude) / (2 * math.pi * F)
    assert ol.bos_time_s(p)[0] == pytest.approx(bos, abs=1e-5)
    assert abs(p.sample(ol.bos_time_s(p))[0]) == pytest.approx(5.0 * DEG, rel=1e-12)
    bos10 = START + math.asin(10.0 / amplitude) / (2 * math.pi * F)
    assert ol.bos_time_s(p, threshold_deg=10.0)[0] == pytest.approx(bos10, abs=1e-5)


def test_bos_of_a_step_steer_is_exact():
    p = ol.iso7401_step_steer(-40.0, rate_deg_per_s=200.0, start_s=1.0)
    assert ol.bos_time_s(p)[0] == pytest.approx(1.0 + 5.0 / 200.0, rel=1e-14)


# --------------------------------------------------------------------------- amplitude series

@pytest.mark.parametrize("a_deg, expected", [
    # 6.5 A = 130 <= 300, so the final run is 270 deg, reached in 0.5 A = 10 deg steps
    (20.0, list(range(30, 271, 10))),
    # 6.5 A = 260: 0.5 A steps up to 260, then the final run 270
    (40.0, [60, 80, 100, 120, 140, 160, 180, 200, 220, 240, 260, 270]),
    # 6.5 A = 292.5 lies in [270, 300]: the series stops at 6.5 A
    (45.0, [67.5, 90, 112.5, 135, 157.5, 180, 202.5, 225, 247.5, 270, 292.5]),
    # 6.5 A = 325 > 300: final run 300 deg, which here is 6 A
    (50.0, [75, 100, 125, 150, 175, 200, 225, 250, 275, 300]),
    # 6.5 A = 312 > 300: 0.5 A steps to 288, then the capped final run 300
    (48.0, [72, 96, 120, 144, 168, 192, 216, 240, 264, 288, 300]),
])
def test_fmvss126_amplitude_series(a_deg, expected):
    np.testing.assert_allclose(ol.fmvss126_amplitude_series(a_deg), expected, rtol=1e-12)


# --------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("call, message", [
    (lambda: ol.step(float("nan"), 0.5, 10.0), r"<argument>: amplitude = nan: must be finite"),
    (lambda: ol.step([1.0, float("inf")], 0.5), r"amplitude\[1\] = inf: must be finite"),
    (lambda: ol.step(1.0, 0.5, -400.0), r"rate_per_s = -400\.0: must be finite and > 0"),
    (lambda: ol.iso7401_step_steer(10.0, rate_deg_per_s=0.0),
     r"rate_deg_per_s = 0\.0: must be finite and > 0"),
    (lambda: ol.slowly_increasing_steer(1, rate_deg_per_s=-13.5),
     r"rate_deg_per_s = -13\.5: must be finite and > 0"),
    (lambda: ol.step(1.0, -0.1, 5.0), r"start_s = -0\.1: must be finite and >= 0"),
    (lambda: ol.sine(1.0, 0.0, 0.0), r"frequency_hz = 0\.0: must be finite and > 0"),
    (lambda: ol.sine_with_dwell(50.0, frequency_hz=[0.7, 0.0]),
     r"frequency_hz\[1\] = 0\.0: must be finite and > 0"),
    (lambda: ol.sine_with_dwell(50.0, direction=0), r"direction = 0\.0: must be \+1"),
    (lambda: ol.sine_with_dwell(-50.0), r"amplitude_deg = -50\.0: must be finite and > 0"),
    (lambda: ol.sine_with_dwell(50.0, dwell_s=-0.5), r"dwell_s = -0\.5: must be finite and >= 0"),
    (lambda: ol.sine_with_dwell([50.0, 60.0], start_s=[0.1, 0.2, 0.3]),
     r"start_s = 'shape \(3,\)': must be a scalar or have the batch shape \(2,\)"),
    (lambda: ol.step(1.0, 2.0, 5.0, duration_s=1.5),
     r"duration_s = 1\.5: must be > every start_s \(largest 2\.0\)"),
    (lambda: ol.ramp(1.0, 0.0), r"duration_s = None: required when final is None"),
    (lambda: ol.ramp(1.0, 0.0, final=-2.0), r"final = -2\.0: must be non-zero with the sign"),
    (lambda: ol.ramp(0.0, 0.0, 3.0), r"rate_per_s = 0\.0: must be finite and non-zero"),
    (lambda: ol.constant(1.0, 0.0), r"duration_s = 0\.0: must be one finite number > 0"),
    (lambda: ol.table([0.0, 2.0, 1.0], [0.0, 1.0, 2.0]),
     r"time_s\[2\] = 1\.0: must be > time_s\[1\] = 2\.0"),
    (lambda: ol.table([0.0, float("nan")], [0.0, 1.0]), r"time_s\[1\] = nan: must be finite"),
    (lambda: ol.table([0.0, 1.0], [[0.0, 1.0], [float("inf"), 0.0]]),
     r"values\[1, 0\] = inf: must be finite"),
    (lambda: ol.table([0.0, 1.0, 2.0], [[0.0, 1.0]]),
     r"values = 'shape \(1, 2\)': must be \(N, T\) with N >= 1 and T = len\(time_s\) = 3"),
    (lambda: ol.table([0.0], [1.0]), r"time_s = 'shape \(1,\)'"),
    (lambda: ol.constant(1.0, 2.0).sample([0.0, float("nan")]), r"t_s\[1\] = nan: must be"),
    (lambda: ol.fmvss126_amplitude_series(0.0), r"a_deg = 0\.0: must be one finite number > 0"),
    (lambda: ol.time_at_fraction(ol.step(1.0, 0.0), 1.5), r"fraction = 1\.5: must be in \(0, 1\]"),
    (lambda: ol.time_at_fraction(ol.sine(1.0, 1.0, 0.0)),
     r"profile\.values\[0, -1\] = 0\.0: final value must be non-zero"),
    (lambda: ol.bos_time_s(ol.sine_with_dwell([20.0, 4.0])),
     r"threshold_deg = 5\.0: is never reached by profile member 1"),
])
def test_bad_input_names_argument_and_value(call, message):
    with pytest.raises(SpecError, match=message):
        call()
