"""The closed-loop driver (sim.driver.closed_loop): pure-pursuit geometry in closed form, path
and speed tracking in the two-track model, the steering-rate limit, throttle release, mirror
symmetry and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from sim.chassis import two_track as tt
from sim.driver import Driver, Path
from sim.driver import closed_loop as cl
from sim.errors import SpecError
from sim.params import two_track_parameters

COUPE = sim.load_vehicle("coupe")
NUMERICS = sim.Numerics(time_step_s=0.002, output_interval_s=0.01)


def _lane_tables(params, x_state, driver=None):
    """Lane tables of one lane (lane 0) for calling the driver's scalar functions directly."""
    driver = driver or Driver()
    p = tt.lane_table(tt.N_PARAMETERS)
    p[::tt.LANES][:] = params
    x = tt.lane_table(tt.N_STATES)
    x[::tt.LANES][:] = x_state
    dp = tt.lane_table(cl.N_DRIVER_PARAMETERS)
    dp[::tt.LANES][:] = cl.driver_parameters(driver, 1, follow_path=True, control_speed=True)[0]
    ds = tt.lane_table(cl.N_DRIVER_STATES)
    return p, x, dp, ds


@pytest.mark.parametrize("radius", [15.0, 40.0, 100.0])
@pytest.mark.parametrize("direction", [1, -1])
def test_pure_pursuit_on_a_circle_through_the_rear_axle_steers_atan_L_over_R(radius, direction):
    """Closed form: the circle through the rear-axle centre, tangent to the heading, has every
    look-ahead point at ``sin(alpha) = L_d / (2 R)``, so pure pursuit commands
    ``delta = atan(2 L sin(alpha) / L_d) = atan(L / R)`` whatever the look-ahead distance."""
    params, _, _ = two_track_parameters(COUPE)
    a, b = params[0, tt.P_A], params[0, tt.P_B]
    x_state = np.zeros(tt.N_STATES)
    x_state[tt.S_X] = b  # the rear axle at the origin, where the path starts
    x_state[tt.S_VX] = 20.0
    p, x, dp, ds = _lane_tables(params[0], x_state, Driver(offset_integral_gain_radpms=0.0))
    path = Path.circle(radius, direction=direction, spacing_m=0.05).table(1)[0]
    swa = cl.pure_pursuit_steer_rad(p, dp, ds, 0, x, path, 0.002)
    delta = swa / params[0, tt.P_STEER_RATIO]
    assert delta == pytest.approx(direction * math.atan((a + b) / radius), rel=2e-4)
    assert abs(ds[cl.DS_OFFSET * tt.LANES]) < 1e-9


def test_steering_update_follows_a_first_order_lag_and_its_rate_limit():
    params, _, _ = two_track_parameters(COUPE)
    driver = Driver(steer_lag_s=0.1, max_steer_rate_deg_per_s=100.0)
    p, x, dp, ds = _lane_tables(params[0], np.zeros(tt.N_STATES), driver)
    h = 0.002
    small = cl.steering_update_rad(dp, 0, 0.0, 0.01, h)  # lag only: 0.01 (1 - e^(-h/tau))
    assert small == pytest.approx(0.01 * (1.0 - math.exp(-h / 0.1)), rel=1e-12)
    big = cl.steering_update_rad(dp, 0, 0.0, 3.0, h)  # rate-limited: 100 deg/s for 2 ms
    assert big == pytest.approx(math.radians(100.0) * h, rel=1e-12)


def test_circle_is_tracked_at_steady_state_with_a_y_equal_to_v2_over_r():
    speeds = np.array([30.0, 50.0, 65.0])
    res = sim.simulate(COUPE, speed_kmh=speeds, duration_s=10.0, numerics=NUMERICS,
                       path=Path.circle(40.0, laps=2), target_speed_kmh=speeds)
    assert res.ok.all()
    last = slice(-200, None)
    vx = res.channels["vx_mps"][:, last].mean(axis=1)
    radius = vx / res.channels["yaw_rate_radps"][:, last].mean(axis=1)
    ay = res.channels["ay_mps2"][:, last].mean(axis=1)
    np.testing.assert_allclose(vx * 3.6, speeds, atol=0.1)       # speed controller
    np.testing.assert_allclose(radius, 40.0, rtol=0.015)          # path follower
    np.testing.assert_allclose(ay, vx**2 / radius, rtol=2e-3)     # steady state: a_y = v r
    assert np.all(np.abs(res.channels["driver_lateral_offset_m"][:, last]) < 0.6)


def test_left_and_right_circles_are_mirror_images():
    """Mirror images up to the driver's offset of the centre of mass (left-hand seat): 1 %."""
    left = sim.simulate(COUPE, speed_kmh=50.0, duration_s=4.0, numerics=NUMERICS,
                        path=Path.circle(40.0), target_speed_kmh=50.0)
    right = sim.simulate(COUPE, speed_kmh=50.0, duration_s=4.0, numerics=NUMERICS,
                         path=Path.circle(40.0, direction=-1), target_speed_kmh=50.0)
    for name in ("steering_wheel_angle_rad", "ay_mps2", "yaw_rate_radps"):
        scale = np.abs(left.channels[name]).max()
        np.testing.assert_allclose(left.channels[name], -right.channels[name],
                                   atol=0.01 * scale, err_msg=name)


def test_steering_rate_never_exceeds_the_limit_in_a_lane_change_like_path():
    x = np.arange(0.0, 120.0, 0.5)
    y = np.where(x < 30, 0.0, np.where(x < 40, 3.5 * (x - 30) / 10, 3.5))  # a kinked path
    driver = Driver(max_steer_rate_deg_per_s=300.0)
    res = sim.simulate(COUPE, speed_kmh=60.0, duration_s=5.0, numerics=NUMERICS,
                       path=Path(x, y), target_speed_kmh=60.0, driver=driver)
    swa = np.degrees(res.channels["steering_wheel_angle_rad"][0])
    rate = np.abs(np.diff(swa)) / 0.01
    assert rate.max() <= 300.0 * (1 + 1e-9)
    assert rate.max() > 250.0  # the kink does ask for the limit
    assert abs(res.channels["y_m"][0, -1] - 3.5) < 0.3


def test_speed_controller_follows_a_target_step_and_releases_the_throttle():
    target = sim.driver.step(100.0 - 80.0, start_s=1.0, duration_s=12.0)
    res = sim.simulate(COUPE, speed_kmh=80.0, duration_s=12.0, numerics=NUMERICS,
                       target_speed_kmh=sim.driver.Profile(target.time_s, 80.0 + target.values))
    assert res.channels["vx_mps"][0, -1] * 3.6 == pytest.approx(100.0, abs=0.3)
    released = sim.simulate(COUPE, speed_kmh=80.0, duration_s=3.0, numerics=NUMERICS,
                            target_speed_kmh=80.0, release_x_m=20.0)
    x = released.channels["x_m"][0]
    force = released.channels["force_demand_n"][0]
    assert np.all(force[x > 20.5] == 0.0)
    assert np.all(force[x < 19.0] > 0.0)
    assert released.channels["vx_mps"][0, -1] < kmh(80.0)  # coasting


def kmh(v):
    return v / 3.6


def test_bad_driver_input_names_the_field():
    with pytest.raises(SpecError, match="max_steer_rate_deg_per_s"):
        Driver(max_steer_rate_deg_per_s=-5.0)
    with pytest.raises(SpecError, match="x_m, y_m"):
        Path([0.0, 1.0, 2.0], [0.0, 1.0])
    with pytest.raises(SpecError, match="radius_m"):
        Path.circle(0.1)
    with pytest.raises(SpecError, match="steering_wheel_angle_rad"):
        sim.simulate(COUPE, speed_kmh=50.0, duration_s=1.0, steering_wheel_angle_rad=0.1,
                     path=Path.circle(40.0))
    with pytest.raises(SpecError, match="force_demand_n"):
        sim.simulate(COUPE, speed_kmh=50.0, duration_s=1.0, force_demand_n=100.0,
                     target_speed_kmh=50.0)
    with pytest.raises(SpecError, match="target_speed_kmh"):
        sim.simulate(COUPE, speed_kmh=50.0, duration_s=1.0, target_speed_kmh=-10.0)


# --------------------------------------------------------------------------------------------
# The preview driver (steer_law="preview"): curvature feedforward + predicted-offset feedback.

PREVIEW = Driver(steer_law="preview", preview_time_s=0.3, min_preview_m=3.0,
                 preview_growth_speed_kmh=80.0, feedforward_preview_s=0.15,
                 feedback_damping_ratio=1.1, understeer_gradient_deg_per_g=1.0)


def _model_m(params, driver, speed):
    """The preview driver's steady-state model: road-wheel angle per unit curvature [m]."""
    k = math.radians(driver.understeer_gradient_deg_per_g) / 9.80665
    return params[tt.P_A] + params[tt.P_B] + k * speed**2


@pytest.mark.parametrize("radius", [15.0, 40.0, 100.0])
@pytest.mark.parametrize("direction", [1, -1])
def test_preview_law_on_a_circle_steers_the_kinematic_plus_understeer_angle(radius, direction):
    """Closed form: with the centre of mass on the circle, its velocity along the tangent, the
    predicted offset is 0 and the law steers its feedforward alone, the steady-state angle of
    its model: ``delta = (L + K v²) / R`` (kinematic ``L / R`` plus understeer ``K a_y``)."""
    params, _, _ = two_track_parameters(COUPE)
    x_state = np.zeros(tt.N_STATES)
    x_state[tt.S_VX] = 12.0  # a_y <= 9.6 m/s², below the feedforward's 13 m/s² bound
    p, x, dp, ds = _lane_tables(params[0], x_state, PREVIEW.__class__(
        **{**PREVIEW.__dict__, "offset_integral_gain_radpms": 0.0}))
    path = Path.circle(radius, direction=direction, spacing_m=0.05).table(1)[0]
    swa = cl.preview_steer_rad(p, dp, ds, 0, x, path, 0.002)
    expected = direction * _model_m(params[0], PREVIEW, 12.0) / radius
    assert swa / params[0, tt.P_STEER_RATIO] == pytest.approx(expected, rel=1e-3)
    assert ds[cl.DS_FF_CURVATURE * tt.LANES] == pytest.approx(direction / radius, rel=1e-3)
    assert abs(ds[cl.DS_PREDICTED_OFFSET * tt.LANES]) < 1e-9
    # faster than the grip bound: the feedforward asks no more than 13 m/s²
    x[tt.S_VX * tt.LANES] = 20.0
    cl.preview_steer_rad(p, dp, ds, 0, x, path, 0.002)
    if radius == 15.0:
        assert ds[cl.DS_FF_CURVATURE * tt.LANES] == pytest.approx(direction * 13.0 / 400.0)


@pytest.mark.parametrize(("offset", "course_deg"), [(0.2, 1.0), (-0.3, 0.5)])
def test_preview_law_on_a_straight_path_steers_back_in_proportion_to_the_predicted_offset(
        offset, course_deg):
    """Closed form on a straight path, car ``e`` to its left at ``v`` with a course error
    ``chi``: predicted offset ``e + sqrt(2) zeta d sin(chi)`` at the preview
    ``d = T v (v / v_g)``; the
    law steers ``-2 (L + K v²) (e + d sin chi) / d²``, the steady-state angle that removes that
    offset in ``T``."""
    params, _, _ = two_track_parameters(COUPE)
    v, chi = 25.0, math.radians(course_deg)  # 90 km/h
    x_state = np.zeros(tt.N_STATES)
    x_state[tt.S_VX], x_state[tt.S_Y], x_state[tt.S_PSI] = v, offset, chi
    p, x, dp, ds = _lane_tables(params[0], x_state, PREVIEW)
    path = Path([0.0, 200.0], [0.0, 0.0]).table(1)[0]
    swa = cl.preview_steer_rad(p, dp, ds, 0, x, path, 0.0)  # h = 0: the integral stays 0
    d = 0.3 * v * (v * 3.6 / 80.0)  # 90 km/h: above the growth speed
    predicted = offset + math.sqrt(2.0) * 1.1 * d * math.sin(chi)
    expected = -2.0 * _model_m(params[0], PREVIEW, v) * predicted / d**2
    assert swa / params[0, tt.P_STEER_RATIO] == pytest.approx(expected, rel=1e-12)
    assert ds[cl.DS_OFFSET * tt.LANES] == pytest.approx(offset, rel=1e-12)
    # a large offset: no more steer than the model gives for 13 m/s²
    x[tt.S_Y * tt.LANES] = 3.0 * np.sign(offset)
    swa = cl.preview_steer_rad(p, dp, ds, 0, x, path, 0.0)
    bound = _model_m(params[0], PREVIEW, v) * 13.0 / v**2
    assert swa / params[0, tt.P_STEER_RATIO] == pytest.approx(-np.sign(offset) * bound)


def test_preview_driver_converges_onto_an_offset_straight_path_without_steady_error():
    """The car starts 0.5 m to the right of a straight path: it joins it and stays on it,
    with no steady offset, by the feedback alone (the offset integral, for curves, is off:
    its slow tail after a transient is the integral's, not the law's). Damping ratio 1.1 on
    a lag-free car: the car's lags leave no overshoot at 40 km/h, 9 % at 80 km/h and 3 % at
    130 km/h (the preview time growing above 80 km/h; with a 0.3 s preview at every speed
    and damping 1/sqrt(2) the loop was unstable from 90 km/h)."""
    x = np.arange(0.0, 600.0, 0.5)
    speeds = np.array([40.0, 80.0, 130.0])
    driver = Driver(**{**PREVIEW.__dict__, "offset_integral_gain_radpms": 0.0})
    res = sim.simulate(COUPE, speed_kmh=speeds, duration_s=12.0,
                       numerics=NUMERICS, path=Path(x, np.full_like(x, 0.5)),
                       target_speed_kmh=speeds, driver=driver)
    assert res.ok.all()
    offset = res.channels["driver_lateral_offset_m"]
    assert np.all(offset[:, 0] == pytest.approx(-0.5))
    np.testing.assert_allclose(offset[:, -100:], 0.0, atol=2e-3)          # last second
    assert np.all(offset.max(axis=1) < 0.06)                                # overshoot < 12 %
    np.testing.assert_allclose(res.channels["yaw_rad"][:, -1], 0.0, atol=1e-3)


def test_preview_driver_on_a_circle_steers_the_cars_steady_state_angle():
    """On linear tyres the steady steer on a circle is the single-track model's
    ``i_s (L / R + K a_y)`` with the car's own understeer gradient K; the driver's model
    (K_driver = 0 here: a pure kinematic model) need not know it: the offset integral and the
    feedback supply the rest, with a small steady offset left (< 5 cm)."""
    from sim.chassis.linear import understeer_gradient_deg_per_g
    from sim.params import linear_single_track

    params, _, _ = two_track_parameters(COUPE)
    driver = Driver(**{**PREVIEW.__dict__, "understeer_gradient_deg_per_g": 0.0})
    radius, speed = 100.0, 20.0
    res = sim.simulate(COUPE, speed_kmh=speed * 3.6, duration_s=14.0, numerics=NUMERICS,
                       path=Path.circle(radius, laps=1.0), target_speed_kmh=speed * 3.6,
                       driver=driver, tyre_model="linear")
    last = slice(-200, None)
    ay = res.channels["ay_mps2"][0, last].mean()
    k_car = math.radians(understeer_gradient_deg_per_g(linear_single_track(COUPE))[0]) / 9.80665
    wheelbase = params[0, tt.P_A] + params[0, tt.P_B]
    expected = params[0, tt.P_STEER_RATIO] * (wheelbase / radius + k_car * ay)
    swa = res.channels["steering_wheel_angle_rad"][0, last].mean()
    assert swa == pytest.approx(expected, rel=0.02)
    assert ay == pytest.approx(speed**2 / radius, rel=0.01)
    assert np.abs(res.channels["driver_lateral_offset_m"][0, last]).max() < 0.05


def test_preview_driver_keeps_the_steering_rate_limit():
    """On the ISO 3888-2 line at 55 km/h the preview driver steers at up to 234 deg/s;
    limited to 200 deg/s it keeps the limit and still follows the line within 6 cm. (On the
    kinked path of the pure-pursuit test above, a 3.5 m step over 10 m at 60 km/h, the
    preview driver limited to 300 deg/s turns to 35 deg, overshoots by metres and keeps
    swinging: pure pursuit, aiming at a point, copes better with paths a car cannot follow.)"""
    from sim.maneuvers import lane_change as lc

    line = lc.driving_line(lc.cone_layout("iso3888_2", 1.89), front_m=2.2, rear_m=2.3,
                           half_width_m=0.95, rear_axle_m=1.2)
    rates = {}
    for limit in (200.0, 800.0):
        driver = Driver(**{**PREVIEW.__dict__, "max_steer_rate_deg_per_s": limit})
        res = sim.simulate(COUPE, speed_kmh=55.0, duration_s=8.0, numerics=NUMERICS,
                           path=line, target_speed_kmh=55.0, driver=driver)
        swa = np.degrees(res.channels["steering_wheel_angle_rad"][0])
        rates[limit] = np.abs(np.diff(swa)).max() / 0.01
        offset = res.channels["driver_lateral_offset_m"][0]
        assert np.abs(offset).max() < 0.06
        assert abs(offset[-1]) < 0.005
    assert rates[200.0] <= 200.0 * (1 + 1e-9)
    assert rates[200.0] == pytest.approx(200.0)
    assert rates[800.0] > 220.0  # the line asks for more than the limit


def test_path_table_has_arc_length_and_unwrapped_heading():
    table = Path.circle(10.0, laps=1.5, spacing_m=0.1).table(2)
    assert table.shape[0] == 2 and table.shape[2] == cl.N_PATH_COLUMNS
    s, heading = table[0, :, cl.PATH_S], table[0, :, cl.PATH_HEADING]
    np.testing.assert_allclose(np.diff(heading) / np.diff(s), 0.1, rtol=1e-3)  # 1 / R
    assert heading[-1] == pytest.approx(3.0 * math.pi, rel=1e-3)             # 1.5 laps
    with pytest.raises(SpecError, match="steer_law"):
        Driver(steer_law="stanley")
