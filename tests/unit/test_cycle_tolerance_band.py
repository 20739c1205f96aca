"""GTR 15 speed band on constructed traces with hand-computed violation times."""

from __future__ import annotations

import numpy as np
import pytest

from sim.cycles import DriveCycle, load_cycle, speed_band_mps, speed_trace_violations
from sim.errors import SpecError

KMH = 1.0 / 3.6


def _ramp_cycle(accel_mps2=1.5, t0=10.0, t1=20.0, end=40.0):
    """1 Hz cycle: standstill, constant acceleration from t0 to t1, then constant speed."""
    t = np.arange(0.0, end + 1.0)
    v = accel_mps2 * np.clip(t - t0, 0.0, t1 - t0)
    return DriveCycle("ramp", t, v, "constructed")


def test_band_on_a_ramp_is_the_trace_one_second_away_plus_minus_2_kmh():
    c = _ramp_cycle()
    t = np.array([15.0, 15.5, 5.0, 30.0])
    lower, upper = speed_band_mps(c, t)
    # On the ramp the highest point within +-1 s is at t + 1, the lowest at t - 1.
    np.testing.assert_allclose(upper[:2], 1.5 * (t[:2] + 1 - 10) + 2 * KMH)
    np.testing.assert_allclose(lower[:2], 1.5 * (t[:2] - 1 - 10) - 2 * KMH)
    np.testing.assert_allclose(upper[2:], np.array([0.0, 15.0]) + 2 * KMH)
    np.testing.assert_allclose(lower[2:], np.array([0.0, 15.0]) - 2 * KMH)


def test_band_sees_a_peak_between_the_window_ends():
    # A 1 s spike at t = 5 is inside the window of t = 4.2 (3.2 .. 5.2).
    c = DriveCycle("spike", np.arange(11.0), np.where(np.arange(11.0) == 5, 10.0, 0.0))
    lower, upper = speed_band_mps(c, [4.2, 3.5])
    assert upper[0] == pytest.approx(10.0 + 2 * KMH)
    assert upper[1] == pytest.approx(5.0 + 2 * KMH)     # window 2.5..4.5 reaches half way
    assert lower[0] == pytest.approx(-2 * KMH)


def test_the_cycle_itself_and_offsets_inside_the_band_pass():
    w = load_cycle("wltc_class3b")
    t = np.arange(0.0, 1800.0 + 1e-9, 0.25)
    v = w.speed_at(t)
    assert speed_trace_violations(w, t, v) == []
    assert speed_trace_violations(w, t, v + 1.99 * KMH) == []
    assert speed_trace_violations(w, t, np.maximum(v - 1.99 * KMH, 0.0)) == []


def test_constant_offset_beyond_2_kmh_fails_everywhere_on_the_plateau():
    c = _ramp_cycle()
    t = np.arange(25.0, 35.0 + 1e-9, 0.5)
    out = speed_trace_violations(c, t, c.speed_at(t) + 2.5 * KMH)
    assert len(out) == 1
    (v,) = out
    assert (v.start_s, v.end_s, v.side) == (25.0, 35.0, "above")
    assert v.worst_deviation_kmh == pytest.approx(0.5)
    assert v.duration_s == 10.0


def test_delay_of_0_9_s_passes_on_wltc():
    w = load_cycle("wltc_class3b")
    t = np.arange(0.0, 1800.0 + 1e-9, 0.01)
    assert speed_trace_violations(w, t, w.speed_at(t - 0.9)) == []


def test_delay_of_1_5_s_on_an_acceleration_fails_at_the_right_times():
    # Ramp a = 1.5 m/s^2 from t0 = 10 to t1 = 20 s; driven v(t) = cycle(t - 1.5).
    # Lower limit = cycle(t - 1) - 2 km/h. Shortfall cycle(t - 1) - cycle(t - 1.5):
    #   start: a (t - 1 - t0) > 2/3.6  ->  t > t0 + 1 + (2/3.6)/a = 11.3704 s
    #   middle: 0.5 a = 0.75 m/s = 2.7 km/h -> 0.7 km/h outside the band
    #   end:   a (t1 - t + 1.5) > 2/3.6  ->  t < t1 + 1.5 - (2/3.6)/a = 21.1296 s
    a, t0, t1 = 1.5, 10.0, 20.0
    c = _ramp_cycle(a, t0, t1)
    dt = 0.001
    t = np.arange(0.0, 40.0 + dt / 2, dt)
    out = speed_trace_violations(c, t, c.speed_at(t - 1.5))
    assert len(out) == 1
    (v,) = out
    start = t0 + 1.0 + (2.0 * KMH) / a
    end = t1 + 1.5 - (2.0 * KMH) / a
    assert v.side == "below"
    assert v.start_s == pytest.approx(start, abs=dt)
    assert v.end_s == pytest.approx(end, abs=dt)
    assert v.worst_deviation_kmh == pytest.approx(0.7, abs=1e-9)
    assert 12.5 <= v.worst_time_s <= 21.0


def test_early_trace_exceeds_the_upper_limit_on_an_acceleration():
    # 1.5 s ahead: mirror image of the delayed case, on the upper side.
    c = _ramp_cycle()
    t = np.arange(0.0, 40.0, 0.01)
    out = speed_trace_violations(c, t, c.speed_at(t + 1.5))
    assert [v.side for v in out] == ["above"]
    assert out[0].worst_deviation_kmh == pytest.approx(0.7, abs=1e-9)


def test_two_separate_excursions_are_two_violations():
    c = _ramp_cycle()
    t = np.arange(0.0, 40.0 + 1e-9, 1.0)
    v = c.speed_at(t).copy()
    v[30] += 3 * KMH                    # above at 30 s
    v[35] -= 4 * KMH                    # below at 35 s
    out = speed_trace_violations(c, t, v)
    assert [(x.start_s, x.end_s, x.side) for x in out] == [(30.0, 30.0, "above"),
                                                          (35.0, 35.0, "below")]
    assert [x.worst_deviation_kmh for x in out] == pytest.approx([1.0, 2.0])


def test_custom_tolerances():
    c = _ramp_cycle()
    t = np.arange(0.0, 40.0, 0.01)
    # With a 2 s time tolerance the 1.5 s delay passes.
    assert speed_trace_violations(c, t, c.speed_at(t - 1.5), time_tolerance_s=2.0) == []


def test_bad_inputs():
    c = _ramp_cycle()
    with pytest.raises(SpecError, match=r"time_s\[2\] = 1\.0: finite and strictly increasing"):
        speed_trace_violations(c, [0.0, 1.0, 1.0], [0.0, 0.0, 0.0])
    with pytest.raises(SpecError, match=r"speed_mps\[1\] = nan: must be finite"):
        speed_trace_violations(c, [0.0, 1.0], [0.0, np.nan])
    with pytest.raises(SpecError, match=r"time_s/speed_mps = \(\(2,\), \(3,\)\)"):
        speed_trace_violations(c, [0.0, 1.0], [0.0, 0.0, 0.0])
    with pytest.raises(SpecError, match=r"speed_tolerance_kmh = -1: must be finite and >= 0"):
        speed_trace_violations(c, [0.0, 1.0], [0.0, 0.0], speed_tolerance_kmh=-1)
