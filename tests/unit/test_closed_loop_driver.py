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
