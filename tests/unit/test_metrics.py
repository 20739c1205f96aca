"""sim.metrics against closed forms: ISO 7401 step steer, ISO 4138 gradients, FMVSS 126 sine
with dwell, straight-line helpers; symmetry, batch = singles, Result input, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import metrics as mt
from sim.chassis import linear as lst
from sim.driver import open_loop as ol
from sim.errors import SpecError
from sim.result import Result
from sim.units import GRAVITY_MPS2, per_mps2_to_deg_per_g

DEG = math.pi / 180.0
DT = 1e-3
T = np.arange(0.0, 6.0 + DT / 2, DT)
#: A steering ramp from 0.99 s to 1.01 s: the 50 % instant, t0, is exactly 1.0 s.
T0 = 1.0


def steer_ramp(amplitude_rad, t=T):
    return amplitude_rad * np.clip((t - (T0 - 0.01)) / 0.02, 0.0, 1.0)


def first_order(r_ss, tau, t=T):
    """r(t) = r_ss (1 - exp(-(t - t0)/tau)) after t0; T_R = tau ln 10."""
    return np.where(t > T0, r_ss * -np.expm1(-(t - T0) / tau), 0.0)


def second_order(y_ss, zeta, omega_n, t=T):
    """Unit-step response of omega_n^2 / (s^2 + 2 zeta omega_n s + omega_n^2), from t0."""
    x = np.maximum(t - T0, 0.0)
    wd = omega_n * math.sqrt(1.0 - zeta**2)
    return y_ss * (1.0 - np.exp(-zeta * omega_n * x) / math.sqrt(1.0 - zeta**2)
                   * np.sin(wd * x + math.acos(zeta)))


def make_result(time_s, status=None, **channels):
    chans = {k: np.atleast_2d(np.asarray(v, dtype=float)) for k, v in channels.items()}
    n = next(iter(chans.values())).shape[0]
    return Result(time_s=np.asarray(time_s), channels=chans, units={k: "" for k in chans},
                  status=np.array(status or ["ok"] * n), end_time_s=np.full(n, time_s[-1]),
                  end_state={})


# =============================================================================================
# ISO 7401 step steer
# =============================================================================================
def test_first_order_response_time_is_tau_ln10_and_has_no_peak():
    tau, r_ss, delta = 0.15, 0.3, 0.05
    m = mt.iso7401_step_steer(T, steer_ramp(delta), first_order(r_ss, tau))
    np.testing.assert_allclose(m.time_origin_s, T0, rtol=1e-12)
    np.testing.assert_allclose(m.response_time_s, tau * math.log(10.0), rtol=1e-5)
    np.testing.assert_allclose(m.steady_state_value, r_ss, rtol=1e-12)
    np.testing.assert_allclose(m.steady_state_gain_per_rad, r_ss / delta, rtol=1e-12)
    np.testing.assert_allclose(m.final_steering_wheel_angle_rad, delta, rtol=1e-15)
    assert m.steady_state_relative_spread[0] < 1e-10
    # overdamped: the documented convention, never NaN
    assert not m.has_peak[0]
    assert m.peak_response_time_s[0] == np.inf
    assert m.overshoot[0] == 0.0
    assert m.peak_value[0] == m.steady_state_value[0]


@pytest.mark.parametrize("zeta, omega_n", [(0.3, 6.0), (0.5, 8.0), (0.7, 12.0)])
def test_second_order_overshoot_and_peak_time(zeta, omega_n):
    t = np.arange(0.0, 12.0, DT)  # long enough for the oscillation to die out (< 1e-8)
    y = second_order(2.0, zeta, omega_n, t)
    m = mt.iso7401_step_steer(t, steer_ramp(0.1, t), y,
                              sideslip_rad=np.where(t > T0, -0.02, 0.0))
    wd = omega_n * math.sqrt(1.0 - zeta**2)
    assert m.has_peak[0]
    np.testing.assert_allclose(m.overshoot, math.exp(-math.pi * zeta / math.sqrt(1 - zeta**2)),
                               atol=1e-4)
    # the peak is the sampled maximum: within half a sample of pi / omega_d
    np.testing.assert_allclose(m.peak_response_time_s, math.pi / wd, atol=DT / 2 + 1e-12)
    np.testing.assert_allclose(m.steady_state_value, 2.0, rtol=1e-8)
    np.testing.assert_allclose(m.peak_value, m.steady_state_value * (1.0 + m.overshoot),
                               rtol=1e-12)
    # TB factor = T_P x |beta_ss - beta_0| in deg s (beta_0 = 0 here)
    np.testing.assert_allclose(m.sideslip_steady_state_rad, -0.02, rtol=1e-12)
    np.testing.assert_allclose(m.tb_factor_deg_s, m.peak_response_time_s * 0.02 / DEG,
                               rtol=1e-12)


def test_tb_factor_is_inf_without_a_peak_and_absent_without_sideslip():
    m = mt.iso7401_step_steer(T, steer_ramp(0.05), first_order(0.3, 0.1),
                              sideslip_rad=np.where(T > T0, 0.01, 0.0))
    assert m.tb_factor_deg_s[0] == np.inf
    m = mt.iso7401_step_steer(T, steer_ramp(0.05), first_order(0.3, 0.1))
    assert m.tb_factor_deg_s is None and m.sideslip_steady_state_rad is None


def test_drifting_response_shows_in_the_relative_spread():
    drift = first_order(0.3, 0.1) + 0.01 * np.maximum(T - 3.0, 0.0)
    m = mt.iso7401_step_steer(T, steer_ramp(0.05), drift)
    steady = mt.iso7401_step_steer(T, steer_ramp(0.05), first_order(0.3, 0.1))
    np.testing.assert_allclose(m.steady_state_relative_spread, 0.01 / m.steady_state_value,
                               rtol=1e-3)
    assert steady.steady_state_relative_spread[0] < 1e-9


@settings(deadline=None, max_examples=40)
@given(tau=st.floats(0.02, 0.8), r_ss=st.floats(0.01, 2.0), delta=st.floats(0.005, 0.5),
       side=st.sampled_from([1.0, -1.0]))
def test_first_order_property_left_and_right(tau, r_ss, delta, side):
    t = np.arange(0.0, T0 + 30.0 * tau + 1.0, DT)  # settled to exp(-30) in the window
    y = side * first_order(r_ss, tau, t)
    m = mt.iso7401_step_steer(t, side * steer_ramp(delta, t), y, steady_window_s=0.5)
    # linear interpolation of a concave exponential: error O(DT^2 / tau)
    np.testing.assert_allclose(m.response_time_s, tau * math.log(10.0), atol=DT**2 / tau + 1e-9)
    np.testing.assert_allclose(m.steady_state_gain_per_rad, r_ss / delta, rtol=1e-6)
    assert np.sign(m.steady_state_value[0]) == side
    assert not m.has_peak[0] and m.overshoot[0] == 0.0


@settings(deadline=None, max_examples=30)
@given(zeta=st.floats(0.1, 0.8), omega_n=st.floats(4.0, 20.0), y_ss=st.floats(0.1, 10.0))
def test_step_steer_left_right_mirror_and_batch_equals_singles(zeta, omega_n, y_ss):
    y = second_order(y_ss, zeta, omega_n)
    swa = steer_ramp(0.08)
    batch = mt.iso7401_step_steer(T, np.vstack([swa, -swa, 0.5 * swa]),
                                  np.vstack([y, -y, 0.5 * y]))
    for i, (s, yi) in enumerate([(swa, y), (-swa, -y), (0.5 * swa, 0.5 * y)]):
        single = mt.iso7401_step_steer(T, s, yi)
        # equal to rounding: a mean over a row of a batch may sum in another order
        for name in ("time_origin_s", "response_time_s", "peak_response_time_s", "overshoot",
                     "steady_state_gain_per_rad", "steady_state_value", "has_peak"):
            np.testing.assert_allclose(getattr(batch, name)[i], getattr(single, name)[0],
                                       rtol=1e-12, atol=1e-12, err_msg=name)
    for name in ("response_time_s", "peak_response_time_s", "overshoot",
                 "steady_state_gain_per_rad", "time_origin_s"):
        np.testing.assert_allclose(getattr(batch, name)[1], getattr(batch, name)[0],
                                   rtol=1e-12, err_msg=name)
    np.testing.assert_allclose(batch.steady_state_value[1], -batch.steady_state_value[0],
                               rtol=1e-12)
    np.testing.assert_allclose(batch.peak_value[1], -batch.peak_value[0], rtol=1e-12)


SINGLE_TRACK = lst.LinearSingleTrack(
    mass_kg=1500.0, yaw_inertia_kgm2=2500.0, cg_to_front_axle_m=1.2, cg_to_rear_axle_m=1.5,
    front_cornering_stiffness_npr=80_000.0, rear_cornering_stiffness_npr=90_000.0)


@pytest.mark.parametrize("side", [1.0, -1.0])
def test_linear_single_track_step_against_its_analytic_gains(side):
    """Exact ramp-step response of the linear single-track model: the measured steady gains
    equal r/delta = u/(L + K u^2), a_y/delta = u^2/(L + K u^2) and beta/delta in closed form."""
    u, ratio, road = 80.0 / 3.6, 15.0, side * 0.02
    res = lst.ramp_step_response(SINGLE_TRACK, u, road, 400.0 * DEG / ratio, 8.0, 0.002,
                                 start_time_s=0.5)
    swa = ratio * res.steer_rad
    gains = lst.steady_state_gains(SINGLE_TRACK, u)
    yaw = mt.iso7401_step_steer(res.time_s, swa, res.yaw_rate_radps,
                                sideslip_rad=res.sideslip_rad)
    acc = mt.iso7401_step_steer(res.time_s, swa, res.lateral_acceleration_mps2)
    np.testing.assert_allclose(yaw.steady_state_gain_per_rad,
                               gains.yaw_rate_radps_per_rad / ratio, rtol=1e-7)
    np.testing.assert_allclose(acc.steady_state_gain_per_rad,
                               gains.lateral_acceleration_mps2_per_rad / ratio, rtol=1e-7)
    np.testing.assert_allclose(yaw.sideslip_steady_state_rad,
                               gains.sideslip_rad_per_rad * road, rtol=1e-7)
    # t0 is the middle of the steering ramp
    np.testing.assert_allclose(yaw.time_origin_s, 0.5 + 0.5 * 0.02 / (400.0 * DEG / ratio),
                               rtol=1e-9)
    assert yaw.steady_state_relative_spread[0] < 1e-6
    # this car's yaw rate overshoots a little (the model's zero), a_y does not reach 90 % first
    assert 0.0 < yaw.response_time_s[0] < acc.response_time_s[0] < 0.5
    assert yaw.has_peak[0] and 0.0 < yaw.overshoot[0] < 0.2
    np.testing.assert_allclose(yaw.tb_factor_deg_s,
                               yaw.peak_response_time_s * abs(road * gains.sideslip_rad_per_rad)
                               / DEG, rtol=1e-6)


def test_linear_single_track_response_time_converges_with_the_sample_spacing():
    u = 100.0 / 3.6
    coarse, fine = (lst.ramp_step_response(SINGLE_TRACK, u, 0.02, 0.5, 6.0, dt, start_time_s=0.5)
                    for dt in (0.004, 0.0005))
    m = [mt.iso7401_step_steer(r.time_s, r.steer_rad, r.yaw_rate_radps) for r in (coarse, fine)]
    np.testing.assert_allclose(m[0].response_time_s, m[1].response_time_s, atol=2e-5)
    np.testing.assert_allclose(m[0].peak_response_time_s, m[1].peak_response_time_s,
                               atol=0.004)


def test_step_steer_reads_a_result_and_samples_a_profile():
    profile = ol.iso7401_step_steer(20.0, 400.0, start_s=0.5, duration_s=6.0)
    t = np.arange(0.0, 6.0 + 1e-9, 0.01)
    t0 = float(ol.time_at_fraction(profile)[0])
    r = np.where(t > t0, 0.2 * -np.expm1(-np.maximum(t - t0, 0.0) / 0.1), 0.0)
    res = make_result(t, yaw_rate_radps=r, ay_mps2=4.0 * r)
    m = mt.iso7401_step_steer(res, profile)
    np.testing.assert_allclose(m.time_origin_s, t0, rtol=1e-12)
    np.testing.assert_allclose(m.steady_state_gain_per_rad, 0.2 / (20.0 * DEG), rtol=1e-9)
    m_ay = mt.iso7401_step_steer(res, profile, "ay_mps2")
    np.testing.assert_allclose(m_ay.steady_state_value, 0.8, rtol=1e-9)


# =============================================================================================
# ISO 4138 steady-state circular driving
# =============================================================================================
@settings(deadline=None, max_examples=50)
@given(k=st.floats(-2e-3, 8e-3), wheelbase=st.floats(2.2, 3.2), radius=st.floats(20.0, 200.0),
       side=st.sampled_from([1.0, -1.0]))
def test_linear_understeer_curve_gives_its_slope_and_intercept(k, wheelbase, radius, side):
    """delta = L/R + K a_y (left) or -(L/R) + K a_y (right): slope K, intercept L/R exactly."""
    ay = side * np.linspace(0.0, 8.0, 17)
    delta = side * wheelbase / radius + k * ay
    m = mt.iso4138_constant_radius(ay, road_wheel_angle_rad=delta, radius_m=radius,
                                   wheelbase_m=wheelbase)
    np.testing.assert_allclose(m.understeer_gradient_rad_per_mps2, k, atol=1e-12)
    np.testing.assert_allclose(m.understeer_gradient_deg_per_g, k * 180 / math.pi * GRAVITY_MPS2,
                               atol=1e-9)
    np.testing.assert_allclose(m.intercept_rad, wheelbase / radius, rtol=1e-9)
    np.testing.assert_allclose(m.ackermann_angle_rad, wheelbase / radius, rtol=1e-15)
    assert m.turn_direction[0] == side
    assert m.fit_points[0] == 9  # 0, 0.5, ..., 4.0 m/s^2
    assert m.fit_residual_rms_rad[0] < 1e-12


def test_constant_radius_fit_uses_only_the_linear_range():
    ay = np.linspace(0.0, 9.0, 19)
    k = 2e-3
    delta = 0.06 + k * ay + np.where(ay > 4.0, 0.01 * (ay - 4.0) ** 2, 0.0)  # limit understeer
    m = mt.iso4138_constant_radius(ay, road_wheel_angle_rad=delta)
    np.testing.assert_allclose(m.understeer_gradient_rad_per_mps2, k, rtol=1e-10)
    np.testing.assert_allclose(m.max_lateral_acceleration_mps2, 9.0)
    wide = mt.iso4138_constant_radius(ay, road_wheel_angle_rad=delta, linear_range_mps2=9.0)
    assert wide.understeer_gradient_rad_per_mps2[0] > 1.5 * k
    assert wide.fit_residual_rms_rad[0] > 1e-3


def test_constant_radius_on_the_linear_single_track_model():
    """Steady states of the linear model on a 40 m circle: U = (m/L)(b/C_f - a/C_r), sideslip
    gradient -m a / (L C_r); steering-wheel angle gradient = ratio x U (in degrees)."""
    radius, ratio = 40.0, 16.0
    u = np.linspace(3.0, 20.0, 12)[None, :]
    L = SINGLE_TRACK.wheelbase_m[0]
    k = lst.understeer_gradient_rad_per_mps2(SINGLE_TRACK)[0]
    gains = lst.steady_state_gains(SINGLE_TRACK, u[0])
    delta = (L + k * u**2) / radius  # curvature 1/R = delta / (L + K u^2)
    ay = u**2 / radius
    beta = gains.sideslip_rad_per_rad[None, :] * delta
    m = mt.iso4138_constant_radius(ay, steering_wheel_angle_rad=ratio * delta,
                                   steering_ratio=ratio, sideslip_rad=beta, radius_m=radius,
                                   wheelbase_m=L)
    np.testing.assert_allclose(m.understeer_gradient_rad_per_mps2, k, rtol=1e-9)
    np.testing.assert_allclose(m.understeer_gradient_deg_per_g,
                               lst.understeer_gradient_deg_per_g(SINGLE_TRACK), rtol=1e-9)
    np.testing.assert_allclose(m.steering_wheel_angle_gradient_deg_per_mps2,
                               ratio * k * 180 / math.pi, rtol=1e-9)
    np.testing.assert_allclose(m.intercept_rad, L / radius, rtol=1e-9)
    a, b = SINGLE_TRACK.cg_to_front_axle_m[0], SINGLE_TRACK.cg_to_rear_axle_m[0]
    c_r = SINGLE_TRACK.rear_cornering_stiffness_npr[0]
    expected_beta = -SINGLE_TRACK.mass_kg[0] * a / (L * c_r)
    np.testing.assert_allclose(m.sideslip_gradient_rad_per_mps2, expected_beta, rtol=1e-9)
    np.testing.assert_allclose(m.sideslip_gradient_deg_per_g,
                               per_mps2_to_deg_per_g(expected_beta), rtol=1e-9)
    np.testing.assert_allclose(b / radius, beta[0, 0] - expected_beta * ay[0, 0], rtol=1e-9)


@pytest.mark.parametrize("side", [1.0, -1.0])
def test_constant_speed_removes_the_ackermann_gradient(side):
    """At constant speed delta = (L/v^2 + K) a_y: U = K; the raw steering-wheel-angle gradient
    keeps the Ackermann part, ratio (L/v^2 + K)."""
    v, L, k, ratio = 25.0, 2.7, 3e-3, 15.0
    ay = side * np.linspace(0.0, 6.0, 13)
    delta = (L / v**2 + k) * ay
    m = mt.iso4138_constant_speed(ay, v, wheelbase_m=L, road_wheel_angle_rad=delta,
                                  steering_ratio=ratio)
    np.testing.assert_allclose(m.understeer_gradient_rad_per_mps2, k, rtol=1e-10)
    np.testing.assert_allclose(m.steering_wheel_angle_gradient_deg_per_mps2,
                               ratio * (L / v**2 + k) * 180 / math.pi, rtol=1e-10)
    np.testing.assert_allclose(m.intercept_rad, 0.0, atol=1e-14)
    assert m.ackermann_angle_rad is None and m.turn_direction[0] == side


def test_constant_speed_with_per_point_speeds_on_the_linear_model():
    """Speeds varying from point to point: the Ackermann part L a_y / v^2 is removed per point."""
    L = SINGLE_TRACK.wheelbase_m[0]
    k = lst.understeer_gradient_rad_per_mps2(SINGLE_TRACK)[0]
    v = np.linspace(24.0, 26.0, 9)[None, :]
    delta = np.linspace(0.0, 0.03, 9)[None, :]
    ay = lst.steady_state_gains(SINGLE_TRACK, v[0]).lateral_acceleration_mps2_per_rad * delta
    m = mt.iso4138_constant_speed(ay, v, wheelbase_m=L, road_wheel_angle_rad=delta)
    np.testing.assert_allclose(m.understeer_gradient_rad_per_mps2, k, rtol=1e-9)


def test_cornering_batch_equals_singles():
    ay = np.linspace(0.0, 5.0, 11)
    rows = [(0.05 + 1e-3 * ay), (0.04 + 4e-3 * ay), -(0.05 + 2e-3 * ay)]
    ays = [ay, ay, -ay]
    batch = mt.iso4138_constant_radius(np.vstack(ays), road_wheel_angle_rad=np.vstack(rows))
    for i in range(3):
        one = mt.iso4138_constant_radius(ays[i], road_wheel_angle_rad=rows[i])
        np.testing.assert_array_equal(batch.understeer_gradient_rad_per_mps2[i],
                                      one.understeer_gradient_rad_per_mps2[0])
    np.testing.assert_allclose(batch.understeer_gradient_rad_per_mps2, [1e-3, 4e-3, 2e-3],
                               rtol=1e-9)


# =============================================================================================
# FMVSS 126 sine with dwell
# =============================================================================================
START, AMPLITUDE, A_SIS = 0.5, 100.0, 20.0  # 100 deg = 5 A: the displacement criterion applies


def swd_case(ratio_1s, ratio_175s, ay0, direction=1.0, peak=0.5):
    """A hand-made run: the steering of the regulation, a yaw rate through chosen knots (peak
    ``-direction * peak`` at 1.70 s, ratios at COS + 1 and COS + 1.75 s) and a lateral
    acceleration ``direction * ay0`` from BOS on (displacement ay0 x 1.07^2 / 2)."""
    profile = ol.sine_with_dwell(AMPLITUDE, direction, START)
    bos = float(ol.bos_time_s(profile)[0])
    cos = float(ol.cos_time_s(profile)[0])
    knots_t = [0.0, START, START + 0.45, 1.70, cos + 1.0, cos + 1.75, 5.0]
    knots_r = [0.0, 0.0, 0.25, -peak, -peak * ratio_1s, -peak * ratio_175s,
               -0.5 * peak * ratio_175s]
    t = np.unique(np.concatenate([np.arange(0.0, 5.0, 0.005), knots_t, [bos]]))
    r = direction * np.interp(t, knots_t, knots_r)
    ay = np.where(t >= bos, direction * ay0, 0.0)
    return t, profile.sample(t)[0], r, ay, bos, cos


@pytest.mark.parametrize("direction", [1.0, -1.0])
@pytest.mark.parametrize(
    "case, ratios, ay0, verdict",
    [("passes", (0.20, 0.05), 4.0, (True, True, True)),
     ("fails 1 s ratio only", (0.40, 0.10), 4.0, (False, True, True)),
     ("fails 1.75 s ratio only", (0.30, 0.25), 4.0, (True, False, True)),
     ("fails displacement only", (0.20, 0.05), 3.0, (True, True, False))])
def test_sine_with_dwell_verdicts(case, ratios, ay0, verdict, direction):
    t, swa, r, ay, bos, cos = swd_case(*ratios, ay0, direction)
    m = mt.fmvss126_sine_with_dwell(t, swa, r, ay, gvwr_kg=2000.0, sis_angle_deg=A_SIS,
                                    cos_time_s=cos)
    np.testing.assert_allclose(m.bos_s, bos, rtol=1e-9)
    np.testing.assert_allclose(m.yaw_rate_ratio_1000ms, ratios[0], rtol=1e-12)
    np.testing.assert_allclose(m.yaw_rate_ratio_1750ms, ratios[1], rtol=1e-12)
    np.testing.assert_allclose(m.peak_yaw_rate_radps, -direction * 0.5, rtol=1e-15)
    np.testing.assert_allclose(m.peak_yaw_rate_time_s, 1.70, rtol=1e-15)
    np.testing.assert_allclose(m.lateral_displacement_m, ay0 * 1.07**2 / 2, rtol=1e-12)
    np.testing.assert_allclose(m.amplitude_deg, AMPLITUDE, rtol=1e-12)
    assert m.first_steer_direction[0] == direction
    assert m.displacement_applies[0] and m.required_displacement_m[0] == 1.83
    got = (m.passes_yaw_rate_1000ms[0], m.passes_yaw_rate_1750ms[0], m.passes_displacement[0])
    assert got == verdict, case
    assert m.passed[0] == all(verdict)


def test_sine_with_dwell_thresholds_are_inclusive_as_the_regulation_says():
    t, swa, r, ay, _, cos = swd_case(0.35, 0.20, 2 * 1.83 / 1.07**2)
    m = mt.fmvss126_sine_with_dwell(t, swa, r, ay, gvwr_kg=2000.0, sis_angle_deg=A_SIS,
                                    cos_time_s=cos)
    assert m.yaw_rate_ratio_1000ms[0] == 0.35 and m.yaw_rate_ratio_1750ms[0] == 0.20
    assert m.passes_yaw_rate_1000ms[0] and m.passes_yaw_rate_1750ms[0]
    np.testing.assert_allclose(m.lateral_displacement_m, 1.83, rtol=1e-12)
    t, swa, r, ay, _, cos = swd_case(0.3501, 0.2001, 4.0)
    m = mt.fmvss126_sine_with_dwell(t, swa, r, ay, gvwr_kg=2000.0, sis_angle_deg=A_SIS,
                                    cos_time_s=cos)
    assert not m.passes_yaw_rate_1000ms[0] and not m.passes_yaw_rate_1750ms[0]


def test_displacement_threshold_by_gvwr_and_amplitude():
    t, swa, r, ay, _, cos = swd_case(0.2, 0.05, 3.0)  # 1.717 m
    args = dict(cos_time_s=cos)
    heavy = mt.fmvss126_sine_with_dwell(t, swa, r, ay, gvwr_kg=4000.0, sis_angle_deg=A_SIS,
                                        **args)
    assert heavy.required_displacement_m[0] == 1.52 and heavy.passed[0]
    edge = mt.fmvss126_sine_with_dwell(t, swa, r, ay, gvwr_kg=3500.0, sis_angle_deg=A_SIS,
                                       **args)
    assert edge.required_displacement_m[0] == 1.83 and not edge.passed[0]
    small = mt.fmvss126_sine_with_dwell(t, swa, r, ay, gvwr_kg=2000.0, sis_angle_deg=20.5,
                                        **args)  # 100 deg < 5 x 20.5 deg: not judged
    assert not small.displacement_applies[0] and small.passes_displacement[0] and small.passed[0]


def test_sine_with_dwell_detects_cos_and_reads_a_result_with_a_profile():
    profile = ol.sine_with_dwell(AMPLITUDE, 1, START)
    t, swa, r, ay, bos, cos = swd_case(0.2, 0.05, 4.0)
    detected = mt.fmvss126_sine_with_dwell(t, swa, r, ay, gvwr_kg=2000.0, sis_angle_deg=A_SIS)
    np.testing.assert_allclose(detected.cos_s, cos, atol=1e-5)
    np.testing.assert_allclose(detected.yaw_rate_ratio_1000ms, 0.2, rtol=1e-5)
    # a Result sampled at 0.01 s, steering from the profile, default channel names
    t2 = np.arange(0.0, 5.0 + 1e-9, 0.01)
    res = make_result(t2, yaw_rate_radps=np.interp(t2, t, r), ay_mps2=np.interp(t2, t, ay))
    m = mt.fmvss126_sine_with_dwell(res, profile, gvwr_kg=2000.0, sis_angle_deg=A_SIS)
    np.testing.assert_allclose(m.cos_s, cos, atol=1e-4)
    np.testing.assert_allclose(m.bos_s, bos, atol=2e-4)
    np.testing.assert_allclose(m.yaw_rate_ratio_1000ms, 0.2, rtol=5e-3)  # knots between samples
    assert m.passed[0]


def test_sine_with_dwell_batch_equals_singles():
    cases = [swd_case(0.2, 0.05, 4.0), swd_case(0.4, 0.1, 4.0, -1.0),
             swd_case(0.3, 0.15, 3.0)]
    t = cases[0][0]
    assert all(np.array_equal(c[0], t) for c in cases[1:])  # same knots -> same grid
    stack = [np.vstack([c[k] for c in cases]) for k in (1, 2, 3)]
    kw = dict(gvwr_kg=[2000.0, 2000.0, 4000.0], sis_angle_deg=A_SIS)
    batch = mt.fmvss126_sine_with_dwell(t, *stack, **kw)
    for i, c in enumerate(cases):
        one = mt.fmvss126_sine_with_dwell(t, c[1], c[2], c[3], gvwr_kg=kw["gvwr_kg"][i],
                                          sis_angle_deg=A_SIS)
        for name in ("bos_s", "cos_s", "yaw_rate_ratio_1000ms", "yaw_rate_ratio_1750ms",
                     "lateral_displacement_m", "passed", "required_displacement_m"):
            np.testing.assert_array_equal(getattr(batch, name)[i], getattr(one, name)[0],
                                          err_msg=name)
    assert list(batch.passed) == [True, False, True]


@pytest.mark.parametrize("end_s", [1.5, 2.6, 3.9])
def test_sine_with_dwell_spun_out_run_is_a_flagged_failure(end_s):
    """A member whose record is NaN from ``end_s`` on (a Result member that spun out) fails with
    ``spun_out`` True and NaN ratios, while the passing member beside it is measured as alone.
    Its displacement exists only when the record reaches BOS + 1.07 s (~1.6 s here)."""
    good = swd_case(0.2, 0.05, 4.0)
    t, swa, r, ay, bos, cos = good
    r_bad, ay_bad = r.copy(), ay.copy()
    r_bad[t >= end_s] = np.nan
    ay_bad[t >= end_s] = np.nan
    m = mt.fmvss126_sine_with_dwell(t, np.vstack([swa, swa]), np.vstack([r, r_bad]),
                                    np.vstack([ay, ay_bad]), gvwr_kg=2000.0,
                                    sis_angle_deg=A_SIS, cos_time_s=cos)
    alone = mt.fmvss126_sine_with_dwell(t, swa, r, ay, gvwr_kg=2000.0, sis_angle_deg=A_SIS,
                                        cos_time_s=cos)
    assert list(m.spun_out) == [False, True] and not alone.spun_out[0]
    assert list(m.passed) == [True, False]
    assert not m.passes_yaw_rate_1000ms[1] and not m.passes_yaw_rate_1750ms[1]
    assert np.isnan(m.yaw_rate_ratio_1000ms[1]) and np.isnan(m.yaw_rate_ratio_1750ms[1])
    assert np.isnan(m.peak_yaw_rate_radps[1]) and np.isnan(m.peak_yaw_rate_time_s[1])
    assert m.yaw_rate_ratio_1000ms[0] == alone.yaw_rate_ratio_1000ms[0] == pytest.approx(0.2)
    np.testing.assert_allclose(m.bos_s, bos, rtol=1e-9)
    if end_s > bos + 1.07:
        np.testing.assert_allclose(m.lateral_displacement_m[1], 4.0 * 1.07**2 / 2, rtol=1e-12)
        assert m.passes_displacement[1]
    else:
        assert np.isnan(m.lateral_displacement_m[1]) and not m.passes_displacement[1]


def test_sine_with_dwell_nan_inside_a_record_still_raises():
    t, swa, r, ay, _, cos = swd_case(0.2, 0.05, 4.0)
    r = r.copy()
    r[300] = np.nan
    with pytest.raises(SpecError, match=r"yaw_rate_radps = 'non-finite samples'"):
        mt.fmvss126_sine_with_dwell(t, swa, r, ay, gvwr_kg=2000.0, sis_angle_deg=A_SIS,
                                    cos_time_s=cos)


@settings(deadline=None, max_examples=40)
@given(ay0=st.floats(0.5, 12.0), k=st.floats(-5.0, 5.0), direction=st.sampled_from([1.0, -1.0]))
def test_displacement_is_the_double_integral_of_lateral_acceleration(ay0, k, direction):
    """a_y = s (ay0 + k (t - BOS)) from BOS: y(BOS + 1.07) = ay0 T^2/2 + k T^3/6, exactly (the
    integral of the piecewise-linear interpolant), whatever the sample spacing."""
    t, swa, r, _, bos, cos = swd_case(0.2, 0.05, 0.0, direction)
    ay = np.where(t >= bos, direction * (ay0 + k * (t - bos)), 0.0)
    m = mt.fmvss126_sine_with_dwell(t, swa, r, ay, gvwr_kg=2000.0, sis_angle_deg=A_SIS,
                                    cos_time_s=cos)
    tt = mt.FMVSS126_DISPLACEMENT_TIME_S
    np.testing.assert_allclose(m.lateral_displacement_m, ay0 * tt**2 / 2 + k * tt**3 / 6,
                               rtol=1e-10, atol=1e-12)


def test_first_peak_is_the_first_local_peak_after_the_steering_reverses():
    """A yaw trace with a wrong-way blip before the steering reverses (0.55 s), wiggles on the
    first lobe before and after the reversal (0.8 s, 1.25 s) and two peaks opposite to the
    first steer (1.6 s, 2.2 s): the first local peak opposite to the first steer after the
    reversal (1.214 s) counts, not the blip, the wiggles or the larger later peak."""
    t, swa, _, ay, _, cos = swd_case(0.2, 0.05, 4.0)
    knots_t = [0.0, START, 0.55, 0.6, 0.8, 0.85, 0.95, 1.25, 1.28, 1.6, 1.9, 2.2, cos + 1.0,
               cos + 1.75, 5.0]
    knots_r = [0.0, 0.0, -0.05, 0.0, 0.20, 0.18, 0.25, 0.10, 0.11, -0.4, -0.3, -0.6, -0.1,
               -0.05, 0.0]
    t = np.unique(np.concatenate([t, knots_t]))
    r = np.interp(t, knots_t, knots_r)
    swa = ol.sine_with_dwell(AMPLITUDE, 1, START).sample(t)[0]
    bos = float(ol.bos_time_s(ol.sine_with_dwell(AMPLITUDE, 1, START))[0])
    ay = np.where(t >= bos, 4.0, 0.0)
    m = mt.fmvss126_sine_with_dwell(t, swa, r, ay, gvwr_kg=2000.0, sis_angle_deg=A_SIS,
                                    cos_time_s=cos)
    np.testing.assert_allclose(m.peak_yaw_rate_radps, -0.4)
    np.testing.assert_allclose(m.peak_yaw_rate_time_s, 1.6)
    np.testing.assert_allclose(m.yaw_rate_ratio_1000ms, 0.1 / 0.4, rtol=1e-12)


@pytest.mark.parametrize("side", [1.0, -1.0])
def test_slowly_increasing_steer_reference_angle(side):
    """delta_H = A / (0.3 g) a_y in the linear range, saturating above 0.4 g: the regression over
    0.1-0.375 g gives A exactly; left and right runs give +A and -A, mean |A| = A."""
    a_true = 23.47
    t = np.arange(0.0, 20.0, 0.01)
    swa = side * 13.5 * DEG * np.maximum(t - 0.5, 0.0)
    lin = swa / (a_true * DEG) * 0.3 * GRAVITY_MPS2
    cap = 0.4 * GRAVITY_MPS2
    ay = np.where(np.abs(lin) <= cap, lin, np.sign(lin) * (cap + 0.2 * (np.abs(lin) - cap)))
    sis = mt.fmvss126_slowly_increasing_steer(t, np.vstack([swa, -swa]), np.vstack([ay, -ay]))
    np.testing.assert_allclose(sis.angle_at_target_deg, [side * a_true, -side * a_true],
                               rtol=1e-9)
    assert sis.reference_angle_rounded_deg == 23.5
    np.testing.assert_allclose(sis.reference_angle_deg, a_true, rtol=1e-9)
    assert np.all(sis.fit_points > 10)


def test_slowly_increasing_steer_ignores_the_fall_off_after_the_upper_limit():
    t = np.arange(0.0, 20.0, 0.01)
    swa = 13.5 * DEG * t
    ay = np.minimum(swa / (20.0 * DEG) * 0.3 * GRAVITY_MPS2, 0.5 * GRAVITY_MPS2)
    ay = np.where(t > 15.0, ay - 2.0 * (t - 15.0), ay)  # falls back through the fit range
    sis = mt.fmvss126_slowly_increasing_steer(t, swa, ay)
    np.testing.assert_allclose(sis.angle_at_target_deg, 20.0, rtol=1e-9)


# =============================================================================================
# Straight line
# =============================================================================================
def test_time_to_speed_at_constant_acceleration_after_standing_still():
    t = np.arange(0.0, 12.0, 0.01)
    a, launch = 7.0, t[123]  # the launch (a kink) on a sample: the interpolant is exact
    v = a * np.maximum(t - launch, 0.0)
    np.testing.assert_allclose(mt.time_to_speed_s(t, v), (100 / 3.6) / a, rtol=1e-9)
    np.testing.assert_allclose(mt.time_to_speed_s(t, v, from_kmh=80.0, to_kmh=120.0),
                               (40 / 3.6) / a, rtol=1e-9)


def test_time_to_speed_of_an_exponential_approach():
    vmax, tau = 70.0, 8.0
    t = np.arange(0.0, 30.0, 0.001)
    v = vmax * -np.expm1(-t / tau)
    expected = -tau * math.log(1.0 - (100 / 3.6) / vmax)
    np.testing.assert_allclose(mt.time_to_speed_s(t, v), expected, rtol=1e-7)


def test_stopping_distance_at_constant_deceleration():
    d, v0, brake = 9.5, 120 / 3.6, 0.5
    t = np.arange(0.0, 6.0, 0.01)
    v = v0 - d * np.maximum(t - brake, 0.0)  # goes negative: the zero crossing is interpolated
    np.testing.assert_allclose(mt.stopping_distance_m(t, v), (100 / 3.6) ** 2 / (2 * d),
                               rtol=1e-9)
    np.testing.assert_allclose(mt.stopping_distance_m(t, v, from_kmh=120.0),
                               v0**2 / (2 * d), rtol=1e-9)


def test_stopping_distance_of_a_result_member_that_stopped():
    """simulate ends a braking member at its first sample below the stop speed (0.5 m/s) and
    records NaN after it: the last few centimetres are extrapolated at the last deceleration
    (exact for a constant one)."""
    t = np.arange(0.0, 6.0, 0.01)
    rows = []
    for d in (8.0, 11.0):
        v = 100 / 3.6 - d * t
        end = np.argmax(v < 0.5)
        v[end + 1:] = np.nan
        rows.append(v)
    res = make_result(t, status=["stopped", "stopped"], vx_mps=np.vstack(rows))
    expected = (100 / 3.6) ** 2 / (2 * np.r_[8.0, 11.0])
    np.testing.assert_allclose(mt.stopping_distance_m(res), expected, rtol=1e-9)
    assert 0.0 < rows[0][np.isfinite(rows[0])][-1] < 0.5  # the record really ends above zero


def test_top_speed_of_an_exponential_approach():
    """v = vmax (1 - exp(-t/tau)): a = (vmax - v)/tau falls to the threshold at
    v = vmax - tau a_thr."""
    vmax, tau, thr = 75.0, 10.0, 0.1
    t = np.arange(0.0, 120.0, 0.01)
    v = vmax * -np.expm1(-np.maximum(t - 1.0, 0.0) / tau)  # standing still for 1 s first
    top = mt.top_speed(t, v, acceleration_threshold_mps2=thr)
    assert top.plateau_reached[0]
    np.testing.assert_allclose(top.top_speed_mps, vmax - tau * thr, atol=0.01 * thr + 1e-9)
    np.testing.assert_allclose(top.top_speed_kmh, top.top_speed_mps * 3.6, rtol=1e-15)
    np.testing.assert_allclose(top.time_s, 1.0 + tau * math.log(vmax / (tau * thr)), atol=0.02)
    short = mt.top_speed(t[:2000], v[:2000], acceleration_threshold_mps2=thr)  # 20 s
    assert not short.plateau_reached[0]
    np.testing.assert_allclose(short.top_speed_mps, v[1999], rtol=1e-15)


def test_straight_line_batch_equals_singles():
    t = np.arange(0.0, 15.0, 0.01)
    rows = np.vstack([a * np.maximum(t - 0.5, 0.0) for a in (5.0, 7.0, 9.0)])
    batch = mt.time_to_speed_s(t, rows)
    for i in range(3):
        np.testing.assert_array_equal(batch[i], mt.time_to_speed_s(t, rows[i])[0])
    np.testing.assert_allclose(batch, (100 / 3.6) / np.array([5.0, 7.0, 9.0]), rtol=1e-9)


# =============================================================================================
# Bad input
# =============================================================================================
def test_bad_time_axis_and_shapes():
    y = first_order(0.3, 0.1)
    with pytest.raises(SpecError, match=r"time_s\[3\] = .*strictly increasing"):
        mt.iso7401_step_steer(np.r_[0.0, 1.0, 2.0, 2.0, 3.0], np.ones(5), np.ones(5))
    with pytest.raises(SpecError, match=r"response = 'shape \(2, 10\)': must be \(N, T\)"):
        mt.iso7401_step_steer(T, steer_ramp(0.05), np.ones((2, 10)))
    with pytest.raises(SpecError, match=r"response = 'shape \(2, .*must have 1 or N = 3 rows"):
        mt.iso7401_step_steer(T, np.tile(steer_ramp(0.05), (3, 1)), np.tile(y, (2, 1)))
    bad = y.copy()
    bad[4000] = np.nan
    with pytest.raises(SpecError, match=r"response = nan: must be finite \(sample 4000"):
        mt.iso7401_step_steer(T, steer_ramp(0.05), bad)
    with pytest.raises(SpecError, match=r"response = 'yaw_rate_radps': a channel name needs a "
                                        r"Result"):
        mt.iso7401_step_steer(T, steer_ramp(0.05))
    res = make_result(T, yaw_rate_radps=y)
    with pytest.raises(SpecError, match=r"'nope': no such channel in the Result; channels are "
                                        r"yaw_rate_radps"):
        mt.iso7401_step_steer(res, steer_ramp(0.05), "nope")


def test_step_steer_bad_input():
    y = first_order(0.3, 0.1)
    with pytest.raises(SpecError, match=r"steering_wheel_angle_rad = 0.0: its final value"):
        mt.iso7401_step_steer(T, np.zeros(T.size), y)
    with pytest.raises(SpecError, match=r"response = 0.0: its steady-state value"):
        mt.iso7401_step_steer(T, steer_ramp(0.05), np.zeros(T.size))
    with pytest.raises(SpecError, match=r"steady_window_s = 5.5: member 0: the steady-state "
                                        r"window starts at 0.5 s, not after the time origin"):
        mt.iso7401_step_steer(T, steer_ramp(0.05), y, steady_window_s=5.5)
    with pytest.raises(SpecError, match=r"steady_window_s = -1.0: must be one finite number"):
        mt.iso7401_step_steer(T, steer_ramp(0.05), y, steady_window_s=-1.0)
    with pytest.raises(SpecError, match=r"steady_window_s = 7.0: must be shorter than the record"):
        mt.iso7401_step_steer(T, steer_ramp(0.05), y, steady_window_s=7.0)
    zero_second = np.vstack([steer_ramp(0.05), np.zeros(T.size)])
    with pytest.raises(SpecError, match=r"steering_wheel_angle_rad\[1\] = 0.0"):
        mt.iso7401_step_steer(T, zero_second, y)


def test_cornering_bad_input():
    ay = np.linspace(0.0, 6.0, 7)
    delta = 0.05 + 2e-3 * ay
    with pytest.raises(SpecError, match=r"give exactly one of the two"):
        mt.iso4138_constant_radius(ay)
    with pytest.raises(SpecError, match=r"give exactly one of the two"):
        mt.iso4138_constant_radius(ay, road_wheel_angle_rad=delta, steering_wheel_angle_rad=delta)
    with pytest.raises(SpecError, match=r"steering_ratio = None: needed with "
                                        r"steering_wheel_angle_rad"):
        mt.iso4138_constant_radius(ay, steering_wheel_angle_rad=15 * delta)
    with pytest.raises(SpecError, match=r"lateral_acceleration_mps2\[1\] = 'both signs'"):
        mt.iso4138_constant_radius(np.vstack([ay, ay - 3.0]),
                                   road_wheel_angle_rad=np.vstack([delta, delta]))
    with pytest.raises(SpecError, match=r"= '1 usable points': needs at least two points .* "
                                        r"\|a_y\| <= 0.5 m/s"):
        mt.iso4138_constant_radius(ay, road_wheel_angle_rad=delta, linear_range_mps2=0.5)
    with pytest.raises(SpecError, match=r"road_wheel_angle_rad = 'shape \(6,\)': must be \(N, K\)"):
        mt.iso4138_constant_radius(ay, road_wheel_angle_rad=delta[:6])
    with pytest.raises(SpecError, match=r"steering_ratio = -15.0: must be finite and > 0"):
        mt.iso4138_constant_radius(ay, steering_wheel_angle_rad=delta, steering_ratio=-15.0)
    with pytest.raises(SpecError, match=r"speed_mps\[0, 2\] = 0.0: must be > 0"):
        mt.iso4138_constant_speed(ay, [[1.0, 2.0, 0.0, 4.0, 5.0, 6.0, 7.0]], wheelbase_m=2.7,
                                  road_wheel_angle_rad=delta)
    with pytest.raises(SpecError, match=r"speed_mps = 'shape \(7,\)': must be a scalar, one "
                                        r"speed per member \(1,\) or one per point \(1, 7\)"):
        mt.iso4138_constant_speed(ay, np.full(7, 20.0), wheelbase_m=2.7,
                                  road_wheel_angle_rad=delta)
    with pytest.raises(SpecError, match=r"lateral_acceleration_mps2 = 'shape \(\)': must be "
                                        r"\(N, K\) or \(K,\) with K >= 2"):
        mt.iso4138_constant_radius(3.0, road_wheel_angle_rad=0.05)
    with pytest.raises(SpecError, match=r"lateral_acceleration_mps2\[0, 3\] = nan"):
        mt.iso4138_constant_radius(np.r_[0.0, 1.0, 2.0, np.nan], road_wheel_angle_rad=delta[:4])


def test_sine_with_dwell_bad_input():
    t, swa, r, ay, _, cos = swd_case(0.2, 0.05, 4.0)
    kw = dict(gvwr_kg=2000.0, sis_angle_deg=A_SIS)
    with pytest.raises(SpecError, match=r"bos_threshold_deg = 5.0: is never reached by member 0 "
                                        r"in its first-steer direction \(its peak there is [34]\."):
        mt.fmvss126_sine_with_dwell(t, swa * 0.04, r, ay, **kw)
    with pytest.raises(SpecError,
                       match=r"time_s = 'ends at 2.995 s': must extend to COS \+ 1.750 s"):
        n = np.searchsorted(t, 3.0)
        mt.fmvss126_sine_with_dwell(t[:n], swa[:n], r[:n], ay[:n], **kw)
    with pytest.raises(SpecError, match=r"yaw_rate_radps = 'no peak': must have a local peak"):
        mt.fmvss126_sine_with_dwell(t, swa, np.abs(r), ay, **kw)
    with pytest.raises(SpecError, match=r"'non-zero at the end': must return to zero"):
        mt.fmvss126_sine_with_dwell(t, swa + np.where(t > 2.5, 0.01, 0.0), r, ay, **kw)
    with pytest.raises(SpecError, match=r"'no sign change after BOS'"):
        mt.fmvss126_sine_with_dwell(t, np.abs(swa), r, ay, **kw)
    with pytest.raises(SpecError, match=r"gvwr_kg = 0.0: must be finite and > 0"):
        mt.fmvss126_sine_with_dwell(t, swa, r, ay, gvwr_kg=0.0, sis_angle_deg=A_SIS)
    with pytest.raises(SpecError, match=r"sis_angle_deg = .*one value per member \(1,\)"):
        mt.fmvss126_sine_with_dwell(t, swa, r, ay, gvwr_kg=2000.0, sis_angle_deg=[20.0, 21.0])
    ramp = 13.5 * DEG * t
    with pytest.raises(SpecError, match=r"lateral_acceleration_mps2 = 'at most 0.2 g': must "
                                        r"reach target_g = 0.3 g"):
        mt.fmvss126_slowly_increasing_steer(t, ramp, np.minimum(t, 0.2 * GRAVITY_MPS2))
    with pytest.raises(SpecError, match=r"fit_range_g = \(0.3, 0.1\): must satisfy"):
        mt.fmvss126_slowly_increasing_steer(t, ramp, t, fit_range_g=(0.3, 0.1))
    with pytest.raises(SpecError, match=r"'0 usable points': needs at least two samples"):
        mt.fmvss126_slowly_increasing_steer(t, ramp, np.where(t > 1.0, 0.4 * GRAVITY_MPS2, 0.0))


def test_straight_line_bad_input():
    t = np.arange(0.0, 10.0, 0.01)
    v = 5.0 * t
    with pytest.raises(SpecError, match=r"to_kmh = 200.0: is never reached by member 0 \(its "
                                        r"highest speed is 179"):
        mt.time_to_speed_s(t, v, to_kmh=200.0)
    with pytest.raises(SpecError, match=r"from_kmh = 80.0: member 1 is above it from the start"):
        mt.time_to_speed_s(t, np.vstack([v, v + 25.0]), from_kmh=80.0, to_kmh=120.0)
    with pytest.raises(SpecError, match=r"from_kmh = 120.0: must be one number in \[0, 100"):
        mt.time_to_speed_s(t, v, from_kmh=120.0)
    braking = 30.0 - 2.0 * t
    with pytest.raises(SpecError, match=r"speed_mps = '10.02 m/s at the end': must come to a stop"):
        mt.stopping_distance_m(t, braking, from_kmh=100.0)
    with pytest.raises(SpecError, match=r"from_kmh = 120.0: is never reached by member 0 before "
                                        r"it stops"):
        mt.stopping_distance_m(t, 30.0 - 4.0 * t, from_kmh=120.0)
    hole = v.copy()
    hole[50] = np.nan
    with pytest.raises(SpecError, match=r"speed_mps = 'non-finite samples': must be finite up "
                                        r"to the member's end"):
        mt.time_to_speed_s(t, hole)
    with pytest.raises(SpecError, match=r"acceleration_threshold_mps2 = 0.0"):
        mt.top_speed(t, v, acceleration_threshold_mps2=0.0)


# ------------------------------------------- issue 9: ISO 7401 levels relative to the change
def test_step_from_a_steady_curve_measures_levels_from_the_values_before_the_step():
    # steady curve at 0.02 rad steer / 0.1 rad/s, then a step of +0.05 rad to 0.07 rad; the
    # response changes by 0.3 rad/s as a first-order lag: T_R = tau ln 10 from t0, the gain
    # is the change over the change, no overshoot
    tau, r0, dr, d0, dd = 0.15, 0.1, 0.3, 0.02, 0.05
    m = mt.iso7401_step_steer(T, d0 + steer_ramp(dd), r0 + first_order(dr, tau),
                              sideslip_rad=np.where(T > T0, -0.03, -0.01))
    np.testing.assert_allclose(m.time_origin_s, T0, rtol=1e-12)
    np.testing.assert_allclose(m.response_time_s, tau * math.log(10.0), rtol=1e-5)
    np.testing.assert_allclose(m.steady_state_value, r0 + dr, rtol=1e-12)
    np.testing.assert_allclose(m.steady_state_gain_per_rad, dr / dd, rtol=1e-9)
    np.testing.assert_allclose(m.initial_value, r0, rtol=1e-12)
    np.testing.assert_allclose(m.initial_steering_wheel_angle_rad, d0, rtol=1e-12)
    assert not m.has_peak[0] and m.overshoot[0] == 0.0
    # the old definition (levels from zero) would have put 90 % of 0.4 at 0.36 rad/s
    wrong = T[np.argmax(r0 + first_order(dr, tau) >= 0.36)] - T0
    assert abs(wrong - m.response_time_s[0]) > 0.03


def test_overshoot_from_a_steady_curve_is_relative_to_the_change():
    t = np.arange(0.0, 12.0, DT)
    zeta, omega_n = 0.5, 8.0
    y = 1.0 + second_order(2.0, zeta, omega_n, t)  # from 1 to 3
    m = mt.iso7401_step_steer(t, 0.05 + steer_ramp(0.1, t), y)
    np.testing.assert_allclose(m.overshoot, math.exp(-math.pi * zeta / math.sqrt(1 - zeta**2)),
                               atol=1e-4)
    np.testing.assert_allclose(m.peak_value, 1.0 + 2.0 * (1.0 + m.overshoot), rtol=1e-9)


def test_response_time_is_searched_from_the_time_origin_never_negative():
    # a response that crosses 90 % before the step (a spike at 0.3 s) and again after it
    tau = 0.1
    y = first_order(0.2, tau) + np.where(np.abs(T - 0.3) < 0.005, 0.5, 0.0)
    m = mt.iso7401_step_steer(T, steer_ramp(0.05), y)
    assert m.response_time_s[0] >= 0.0
    np.testing.assert_allclose(m.response_time_s, tau * math.log(10.0), rtol=1e-4)


def test_no_change_of_steering_is_an_error():
    with pytest.raises(SpecError, match="must differ from its value before the step"):
        mt.iso7401_step_steer(T, np.full(T.size, 0.05), first_order(0.2, 0.1))
