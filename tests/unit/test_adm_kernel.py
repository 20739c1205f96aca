"""The compiled dynamic module on small lane tables (outside the integrator): reference and
feedforward against closed forms, no yaw moment when nothing asks for one, layouts,
sampling, actuator lag, limits, regeneration, traction control, estimators."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

import sim
from sim.adm import feedforward_yaw_moment, reference_yaw_rate, with_layout
from sim.adm import kernel as k
from sim.chassis import powertrain as pw
from sim.chassis import two_track as tt
from sim.params import linear_single_track
from sim.units import GRAVITY_MPS2
from tests.adm_harness import lane_rows, machines_only, make_lanes, set_row, state

H = 0.002
COUPE = sim.load_vehicle("coupe")
_Y_PATHS = [p for p in sim.param_paths(COUPE) if p.endswith(".y_m")]
SYMMETRIC = sim.set_params(COUPE, {p: 0.0 for p in _Y_PATHS})


def run(ln, x, force_n, steer_rad, steps, t0=0.0):
    for i in range(steps):
        k.adm_wheel_torques(ln, 0, x, t0 + i * H, force_n, steer_rad)
    return lane_rows(ln.drive, 4), lane_rows(ln.brake, 4)


def _steady_yaw_rate_with_moment(lst, v, delta, moment):
    """Steady yaw rate of the linear single-track model with an external yaw moment, from its
    two equilibrium equations (textbook slip angles, axle stiffnesses)."""
    m, a, b = lst.mass_kg[0], lst.cg_to_front_axle_m[0], lst.cg_to_rear_axle_m[0]
    cf, cr = lst.front_cornering_stiffness_npr[0], lst.rear_cornering_stiffness_npr[0]
    # unknowns beta, r: Fyf = cf (delta - beta - a r / v), Fyr = cr (-beta + b r / v)
    # Fyf + Fyr = m v r ; a Fyf - b Fyr + M = 0
    A = np.array([[-(cf + cr), -(cf * a - cr * b) / v - m * v],
                  [-(a * cf - b * cr), -(a * a * cf + b * b * cr) / v]])
    rhs = np.array([-cf * delta, -a * cf * delta - moment])
    return np.linalg.solve(A, rhs)[1]


@pytest.mark.parametrize("target_deg_per_g", [0.0, 0.5, 1.5])
@pytest.mark.parametrize("v", [10.0, 25.0, 40.0])
def test_feedforward_makes_the_linear_car_follow_the_reference(target_deg_per_g, v):
    lst = linear_single_track(COUPE)
    a, b = lst.cg_to_front_axle_m[0], lst.cg_to_rear_axle_m[0]
    target = math.radians(target_deg_per_g) / GRAVITY_MPS2
    delta = 0.01
    moment = feedforward_yaw_moment(v, delta, a + b, a, b, lst.mass_kg[0],
                                    lst.front_cornering_stiffness_npr[0],
                                    lst.rear_cornering_stiffness_npr[0], target)
    r_target = v * delta / (a + b + target * v * v)
    assert _steady_yaw_rate_with_moment(lst, v, delta, moment) == pytest.approx(r_target,
                                                                                 rel=1e-9)


def test_feedforward_vanishes_at_the_passive_gradient():
    lst = linear_single_track(COUPE)
    m, a, b = lst.mass_kg[0], lst.cg_to_front_axle_m[0], lst.cg_to_rear_axle_m[0]
    cf, cr = lst.front_cornering_stiffness_npr[0], lst.rear_cornering_stiffness_npr[0]
    k_passive = m * (b / cf - a / cr) / (a + b)
    assert feedforward_yaw_moment(30.0, 0.02, a + b, a, b, m, cf, cr, k_passive) \
        == pytest.approx(0.0, abs=1e-9)
    # understeering car, less understeering target, left turn: a pro-yaw (positive) moment
    assert feedforward_yaw_moment(30.0, 0.02, a + b, a, b, m, cf, cr, 0.0) > 0.0


def test_reference_is_bounded_by_friction():
    r, r_max, delta_max = reference_yaw_rate(20.0, 0.01, 2.6, 0.001, 1.0, 0.85)
    assert r == pytest.approx(20.0 * 0.01 / (2.6 + 0.001 * 400.0))
    r, r_max, delta_max = reference_yaw_rate(20.0, -0.2, 2.6, 0.001, 1.0, 0.85)
    assert r_max == pytest.approx(0.85 * GRAVITY_MPS2 / 20.0)
    assert r == pytest.approx(-r_max)
    assert reference_yaw_rate(20.0, delta_max, 2.6, 0.001, 1.0, 0.85)[0] \
        == pytest.approx(r_max)


@pytest.mark.parametrize("force_n", [0.0, 3000.0, -4000.0])
def test_no_yaw_moment_without_steering_on_a_symmetric_car(force_n):
    ln, x = make_lanes(SYMMETRIC)
    drive, brake = run(ln, x, force_n, 0.0, 30)
    assert state(ln, "yaw_moment_demand_nm") == 0.0
    assert state(ln, "yaw_moment_command_nm") == pytest.approx(0.0, abs=1e-9)
    assert state(ln, "yaw_moment_applied_nm") == pytest.approx(0.0, abs=1e-9)
    assert drive[0] == pytest.approx(drive[1], abs=1e-9)
    assert drive[2] == pytest.approx(drive[3], abs=1e-9)
    assert brake[0] == pytest.approx(brake[1], abs=1e-9)
    assert brake[2] == pytest.approx(brake[3], abs=1e-9)


@pytest.mark.parametrize("layout", ["one_per_axle", "front_and_two_rear"])
@pytest.mark.parametrize("force_n", [2000.0, -3000.0])
def test_open_differential_axles_have_no_left_right_difference(layout, force_n):
    # premise: the machines alone (brake vectoring would brake one wheel of an axle)
    vehicle = machines_only(with_layout(COUPE, layout))
    ln, x = make_lanes(vehicle)
    set_row(x, tt.S_R, -0.1)  # a large yaw-rate error: the controller wants a moment
    drive, brake = run(ln, x, force_n, 0.6, 30)
    assert abs(state(ln, "yaw_moment_demand_nm")) > 1000.0
    assert drive[0] == pytest.approx(drive[1], rel=1e-12)
    assert brake[0] == pytest.approx(brake[1], rel=1e-12)
    if layout == "one_per_axle":
        assert drive[2] == pytest.approx(drive[3], rel=1e-12)
        assert brake[2] == pytest.approx(brake[3], rel=1e-12)
    else:  # the independent rear wheels make the moment
        assert drive[3] - drive[2] > 100.0


def test_brake_vectoring_uses_the_friction_brakes_of_an_open_differential_axle():
    vehicle = with_layout(COUPE, "one_per_axle")
    vehicle = dataclasses.replace(
        vehicle, adm=dataclasses.replace(vehicle.adm, brake_vectoring="on"))
    ln, x = make_lanes(vehicle)
    set_row(x, tt.S_R, -0.1)
    drive, brake = run(ln, x, -3000.0, 0.6, 30)
    assert state(ln, "yaw_moment_command_nm") > 500.0
    assert brake[0] + brake[2] > brake[1] + brake[3] + 100.0  # left wheels brake harder


def _rows(ln, row):
    return lane_rows(ln.cs, row + 4)[row:]


def test_commands_start_at_the_sample_instants_from_a_measurement_one_delay_earlier():
    # defaults: sample time T = 10 ms, sensor delay d = 10 ms; integrator step H = 2 ms
    ln, x = make_lanes(COUPE)
    tau = COUPE.adm.actuator_time_constant_s
    assert (COUPE.adm.sample_time_s, COUPE.adm.sensor_delay_s) == (0.01, 0.01)
    k.adm_wheel_torques(ln, 0, x, 0.0, 4000.0, 0.0)
    # t = 0: the first commands, from the state at 0, active at once; nothing applied yet
    first = _rows(ln, k.CS_DRIVE_CMD)
    assert np.all(first > 0.0)
    assert _rows(ln, k.CS_DRIVE_ACT) == pytest.approx(first, rel=1e-15)
    assert state(ln, "next_sample_s") == pytest.approx(0.01)
    assert lane_rows(ln.drive, 4) == pytest.approx(np.zeros(4), abs=1e-12)
    # t = H, new driver inputs: the commands for t_1 = 0.01 come from the measurement at
    # t_1 - d = 0 (force 4000 N, straight); the lag moves exactly, the held torque is its mean
    k.adm_wheel_torques(ln, 0, x, H, 9000.0, 0.3)
    assert state(ln, "force_demand_n") == 4000.0
    assert state(ln, "measured_force_demand_n") == 9000.0  # latched for a later sample
    lag = first * -math.expm1(-H / tau)
    assert _rows(ln, k.CS_DRIVE_LAG) == pytest.approx(lag, rel=1e-12)
    mean = first + (lag - first) * tau / H * -math.expm1(-H / tau)
    assert lane_rows(ln.drive, 4) == pytest.approx(mean, rel=1e-12)
    for i in range(2, 5):
        k.adm_wheel_torques(ln, 0, x, i * H, 9000.0, 0.3)
    k.adm_wheel_torques(ln, 0, x, 5 * H, 9000.0, 0.3)  # t_1: the commands measured at 0
    assert _rows(ln, k.CS_DRIVE_ACT) == pytest.approx(first, rel=1e-12)
    k.adm_wheel_torques(ln, 0, x, 6 * H, 9000.0, 0.3)  # the sensors now describe t_1
    assert state(ln, "force_demand_n") == 9000.0       # computed, not yet active
    assert _rows(ln, k.CS_DRIVE_ACT) == pytest.approx(first, rel=1e-12)
    second = _rows(ln, k.CS_DRIVE_CMD)
    assert second.sum() > 1.5 * first.sum()
    for i in range(7, 11):
        k.adm_wheel_torques(ln, 0, x, i * H, 9000.0, 0.3)
    assert _rows(ln, k.CS_DRIVE_ACT) == pytest.approx(second, rel=1e-12)  # active at t_2
    assert state(ln, "next_sample_s") == pytest.approx(0.03)


def test_a_sensor_delay_of_one_step_measures_one_step_before_the_sample_instant():
    vehicle = dataclasses.replace(COUPE, adm=dataclasses.replace(COUPE.adm, sensor_delay_s=H))
    ln, x = make_lanes(vehicle)
    k.adm_wheel_torques(ln, 0, x, 0.0, 4000.0, 0.0)
    for i in range(1, 5):
        k.adm_wheel_torques(ln, 0, x, i * H, 4000.0 + 1000.0 * i, 0.0)
    assert state(ln, "force_demand_n") == 4000.0
    k.adm_wheel_torques(ln, 0, x, 5 * H, 9000.0, 0.0)  # t_1 = 0.01: measured at 0.008
    assert state(ln, "force_demand_n") == 8000.0
    assert _rows(ln, k.CS_DRIVE_ACT) == pytest.approx(_rows(ln, k.CS_DRIVE_CMD), rel=1e-15)


def test_a_sensor_delay_longer_than_the_sample_time_is_refused():
    vehicle = dataclasses.replace(COUPE, adm=dataclasses.replace(COUPE.adm, sensor_delay_s=0.02))
    with pytest.raises(sim.SpecError, match="sensor_delay_s"):
        sim.simulate(vehicle, speed_kmh=50.0, duration_s=0.1, controller="adm")


def _machine_torques(vehicle, drive):
    """Per machine slot: the torque at the wheel(s) it drives."""
    out = []
    for motor in vehicle.drivetrain.motors.values():
        axles = {"front_axle": (0, 1), "rear_axle": (2, 3)}
        wheels = axles.get(motor.drives) or (("FL", "FR", "RL", "RR").index(motor.drives),)
        out.append(sum(drive[w] for w in wheels))
    return np.array(out)


@pytest.mark.parametrize("brake_vectoring", ["off", "on"])
@pytest.mark.parametrize("layout", ["one_per_axle", "front_and_two_rear", "four_wheel"])
@pytest.mark.parametrize("speed", [5.0, 30.0, 60.0])
def test_full_demand_respects_machine_and_battery_limits(layout, speed, brake_vectoring):
    vehicle = with_layout(COUPE, layout)
    vehicle = dataclasses.replace(vehicle, adm=dataclasses.replace(
        vehicle.adm, brake_vectoring=brake_vectoring))
    ln, x = make_lanes(vehicle, speed_mps=speed)
    # steered (a yaw moment demand, which has priority) except at 60 m/s, where the battery
    # limit is checked to bind
    drive, brake = run(ln, x, 40000.0, 0.4 if speed < 60.0 else 0.0, 60)
    omega = speed / vehicle.geometry.wheel_radius_m
    for slot, torque in enumerate(_machine_torques(vehicle, drive)):
        limit = tt.machine_wheel_torque_limit(ln.p, 0, slot, omega)
        assert abs(torque) <= limit * (1 + 1e-9)
    # the battery's terminal power (every loss, the auxiliaries) within its available power
    mechanical = float(np.dot(drive, np.full(4, omega)))
    power = pw.terminal_power_w(ln, 0, x, tuple(drive), 1.0, 1.0)
    assert power <= ln.pt[pw.PT_DISCHARGE_W * tt.LANES]
    assert mechanical < power
    assert state(ln, "battery_power_w") == pytest.approx(power, rel=1e-12)
    if brake_vectoring == "off":  # the machines alone: full drive demand never brakes
        assert np.all(brake == 0.0)
    else:  # the friction brakes make the yaw moment the machines cannot, within their maxima
        assert np.all(brake >= 0.0)
        assert np.all(brake[:2] <= ln.p[tt.P_BRAKE_MAX_F * tt.LANES] * (1 + 1e-12))
        assert np.all(brake[2:] <= ln.p[tt.P_BRAKE_MAX_R * tt.LANES] * (1 + 1e-12))
    if speed == 60.0:  # 60 m/s: the battery (400 kW) binds, not the machines
        assert ln.pt[pw.PT_DISCHARGE_W * tt.LANES] == 400e3
        assert power == pytest.approx(400e3, rel=5e-3)


def test_braking_regenerates_first_and_the_charge_limit_moves_braking_to_friction():
    # premise: axle-wise braking (brake vectoring off). With it on, the braking variables are
    # the wheels and the front axle machine regenerates equally on both: the small left/right
    # difference of the loads of this (laterally asymmetric) car goes to a friction brake.
    # A battery at half charge (it accepts ~190 kW; at 90 % only ~55 kW, less than these
    # 90 kW).
    coupe = machines_only(COUPE)
    ln, x = make_lanes(coupe, speed_mps=30.0, soc=0.5)
    drive, brake = run(ln, x, -3000.0, 0.0, 150)
    assert np.all(drive[2:] < 0.0) and np.all(brake == 0.0)  # light braking: regen only
    assert state(ln, "force_applied_n") == pytest.approx(-3000.0, rel=1e-3)
    limited = sim.set_params(coupe, {"drivetrain.battery_charge_power_limit_kw": 20.0})
    ln, x = make_lanes(limited, speed_mps=30.0, soc=0.5)
    drive, brake = run(ln, x, -3000.0, 0.0, 150)
    # 20 kW into the battery terminals: the machines regenerate that plus their losses and
    # the auxiliaries
    assert pw.terminal_power_w(ln, 0, x, tuple(drive), 1.0, 1.0) == pytest.approx(-20e3,
                                                                                 rel=1e-6)
    omega = 30.0 / COUPE.geometry.wheel_radius_m
    assert -float(np.dot(drive, np.full(4, omega))) > 20e3
    assert np.all(brake > 0.0)
    assert state(ln, "force_applied_n") == pytest.approx(-3000.0, rel=1e-3)


def test_regeneration_off_brakes_by_friction_alone():
    vehicle = sim.load_vehicle("coupe")
    vehicle = dataclasses.replace(
        vehicle, adm=dataclasses.replace(vehicle.adm, regeneration="off"))
    ln, x = make_lanes(vehicle, speed_mps=30.0)
    drive, brake = run(ln, x, -3000.0, 0.0, 150)
    assert np.all(drive == 0.0) and np.all(brake > 0.0)


def test_traction_control_takes_torque_off_a_spinning_wheel():
    ln, x = make_lanes(SYMMETRIC, speed_mps=10.0)
    radius = SYMMETRIC.geometry.wheel_radius_m
    set_row(x, tt.S_OMEGA + 3, 10.0 * 1.4 / radius)  # RR at 40 % slip
    drive, _ = run(ln, x, 6000.0, 0.0, 100)
    assert state(ln, "traction_scale_rr") < 0.2
    assert state(ln, "traction_scale_rl") == 1.0
    # the spinning wheel's force bound falls, its partner follows (a left/right difference
    # would be a yaw moment nobody asked for: yaw moment first) and the front axle takes over
    assert drive[3] < 0.05 * 6000.0 * radius / 4
    assert drive[2] == pytest.approx(drive[3], abs=1e-6)
    assert state(ln, "force_command_n") == pytest.approx(6000.0, rel=1e-6)
    assert 2 * drive[0] / radius == pytest.approx(6000.0, rel=0.05)


def test_measured_estimator_uses_static_load_transfer_from_measured_accelerations():
    vehicle = dataclasses.replace(
        COUPE, adm=dataclasses.replace(COUPE.adm, estimator="measured",
                                                     assumed_road_friction=0.6))
    ln, x = make_lanes(vehicle)
    set_row(ln.sens, 0, 1.5)   # ax
    set_row(ln.sens, 1, 6.0)   # ay
    for w in range(4):          # true loads (ignored by the measured estimator)
        set_row(ln.sens, 2 + w, 1.0)
    run(ln, x, 1000.0, 0.0, 1)
    expected = tt._wheel_loads(ln.p, 0, 20.0, 1.5, 6.0)
    got = [state(ln, f"fz_estimate_{w}_n") for w in ("fl", "fr", "rl", "rr")]
    assert got == pytest.approx(expected, rel=1e-12)
    assert state(ln, "friction_estimate") == pytest.approx(
        0.6 * ln.cp[k.CP_TYRE_MU * tt.LANES])


@pytest.mark.parametrize("brake_vectoring", ["off", "on"])
def test_commanded_forces_stay_within_the_estimated_grip(brake_vectoring):
    vehicle = dataclasses.replace(COUPE, adm=dataclasses.replace(
        COUPE.adm, brake_vectoring=brake_vectoring))
    ln, x = make_lanes(vehicle, speed_mps=20.0, road_friction=0.4)
    for w in range(4):
        set_row(ln.sens, 10 + w, 0.3 * ln.p[(tt.P_FZ0 + w) * tt.LANES])  # lateral forces
    run(ln, x, 20000.0, 0.5, 6)
    radius = COUPE.geometry.wheel_radius_m
    drive = lane_rows(ln.cs, 4 + k.CS_DRIVE_CMD)[k.CS_DRIVE_CMD:]
    brake = lane_rows(ln.cs, 4 + k.CS_BRAKE_CMD)[k.CS_BRAKE_CMD:]
    force = np.abs(drive - brake) / radius
    wheels = ("fl", "fr", "rl", "rr")
    if brake_vectoring == "off":  # the machines: within the remaining grip sqrt((mu Fz)² - Fy²)
        grip = np.array([state(ln, f"grip_{w}_n") for w in wheels])
        assert np.all(force <= grip * (1 + 1e-9) + 1e-9)
    else:  # a braked wheel may use its full friction mu Fz (its lateral force traded, as ESC)
        mu = state(ln, "friction_estimate")
        full = mu * np.array([state(ln, f"fz_estimate_{w}_n") for w in wheels])
        assert np.all(force <= full * (1 + 1e-9) + 1e-9)
        assert np.any(lane_rows(ln.cs, 4 + k.CS_BRAKE_CMD)[k.CS_BRAKE_CMD:] > 0.0)


@pytest.mark.parametrize("beta_deg", [3.0, 10.0, -10.0])
def test_sideslip_bound_opposes_sideslip_beyond_it(beta_deg):
    vehicle = dataclasses.replace(COUPE, adm=dataclasses.replace(
        COUPE.adm, max_sideslip_deg=5.0, feedforward_gain=0.0, yaw_rate_kp_nm_per_radps=0.0,
        yaw_rate_ki_nm_per_rad=0.0))
    ln, x = make_lanes(vehicle, speed_mps=20.0)
    set_row(x, tt.S_VY, 20.0 * math.tan(math.radians(beta_deg)))
    run(ln, x, 0.0, 0.0, 1)
    assert state(ln, "sideslip_estimate_rad") == pytest.approx(math.radians(beta_deg))
    excess = math.radians(math.copysign(max(abs(beta_deg) - 5.0, 0.0), beta_deg))
    # beta < 0 turning left: the car yaws ahead of its path; the moment slows the yaw
    assert state(ln, "yaw_moment_sideslip_nm") == pytest.approx(100000.0 * excess)
    assert state(ln, "yaw_moment_demand_nm") == pytest.approx(100000.0 * excess)


def test_measured_sideslip_integrates_the_kinematics():
    vehicle = dataclasses.replace(COUPE, adm=dataclasses.replace(COUPE.adm,
                                                                  estimator="measured"))
    ln, x = make_lanes(vehicle, speed_mps=20.0)
    set_row(ln.sens, 0 + 1, 4.0)   # a_y = 4 m/s² with no yaw rate: sideslip grows
    run(ln, x, 0.0, 0.0, 6)        # samples at t = 0 and 0.01 s
    period = 0.01
    beta = 0.0
    for _ in range(2):
        beta += period * (4.0 / 20.0 - beta / k.SIDESLIP_WASHOUT_S)
    assert state(ln, "sideslip_estimate_rad") == pytest.approx(beta)


def test_brake_vectoring_while_driving_brakes_the_wheels_that_turn_the_car():
    vehicle = with_layout(COUPE, "one_per_axle")  # no left/right authority from the machines
    vehicle = dataclasses.replace(vehicle, adm=dataclasses.replace(vehicle.adm,
                                                                    brake_vectoring="on"))
    ln, x = make_lanes(vehicle)
    set_row(x, tt.S_R, -0.1)  # turning left too little: a positive (left) moment is wanted
    drive, brake = run(ln, x, 2000.0, 0.6, 30)
    assert drive[0] == pytest.approx(drive[1]) and drive[2] == pytest.approx(drive[3])
    assert brake[2] > 0.0 and brake[3] == 0.0 and brake[1] == 0.0  # inner rear first
    assert state(ln, "yaw_moment_command_nm") > 500.0
    applied = state(ln, "yaw_moment_applied_nm")
    assert applied > 500.0


def test_brake_vectoring_leaves_the_small_moments_of_driving_straight_to_the_machines():
    # the crossover (open differentials front and rear, laterally asymmetric) accelerating
    # straight: its yaw controller asks for a few hundred N·m at most (seen 190 N·m), below
    # the 500 N·m threshold: no friction brake drags; a large error still brakes
    crossover = sim.load_vehicle("crossover_gt")
    assert crossover.adm.brake_vectoring == "on"
    assert crossover.adm.brake_vectoring_threshold_nm == 500.0
    ln, x = make_lanes(crossover, speed_mps=15.0)
    set_row(x, tt.S_R, -0.002)  # a small yaw-rate error
    drive, brake = run(ln, x, 8000.0, 0.0, 30)
    assert 50.0 < state(ln, "yaw_moment_demand_nm") < 500.0
    assert np.all(brake == 0.0) and np.all(drive > 0.0)
    ln, x = make_lanes(crossover, speed_mps=15.0)
    set_row(x, tt.S_R, -0.05)  # a large one: a left wheel brakes (the longest arm, the front)
    drive, brake = run(ln, x, 8000.0, 0.0, 30)
    assert state(ln, "yaw_moment_demand_nm") > 1000.0
    assert state(ln, "yaw_moment_command_nm") == pytest.approx(
        state(ln, "yaw_moment_demand_nm"), rel=1e-9)
    assert brake[0] > 0.0 and brake[1] == 0.0 and brake[3] == 0.0


def test_brake_vectoring_adds_yaw_only_for_a_large_error_but_always_stops_yaw():
    # one machine per axle: the machines cannot make a moment; turning left (steer 0.6 rad),
    # 0.5 s (the reference settles: its lag is 0.06 s)
    vehicle = with_layout(COUPE, "one_per_axle")
    assert vehicle.adm.brake_vectoring == "on"
    assert vehicle.adm.brake_vectoring_pro_yaw_error_degps == 10.0
    ln, x = make_lanes(vehicle)
    run(ln, x, 2000.0, 0.6, 250)
    r_ref = state(ln, "yaw_rate_reference_radps")

    def braked(yaw_rate):
        ln, x = make_lanes(vehicle)
        set_row(x, tt.S_R, yaw_rate)
        _, brake = run(ln, x, 2000.0, 0.6, 250)
        return brake, state(ln, "yaw_rate_error_radps"), state(ln, "yaw_moment_demand_nm")

    # yawing a little too little (0.1 rad/s, 5.7 deg/s): a pro-yaw moment is wanted, the
    # brakes stay off (no dragging through a steady corner to shape the understeer)
    brake, error, demand = braked(r_ref - 0.1)
    assert error == pytest.approx(0.1, rel=1e-6) and demand > 1000.0
    assert np.all(brake < 1e-3)  # (the lag's remains of the first samples, while r_ref rose)
    # yawing far too little (0.3 rad/s, 17 deg/s): a ploughing car, the inner wheels brake
    brake, error, demand = braked(r_ref - 0.3)
    assert error > math.radians(10.0) and brake[0] + brake[2] > 100.0
    assert brake[1] == brake[3] == 0.0
    # yawing too much (0.1 rad/s): against the yaw the outer wheels brake, whatever the error
    brake, error, demand = braked(r_ref + 0.1)
    assert demand < -1000.0 and brake[1] + brake[3] > 100.0 and brake[0] == brake[2] == 0.0


def test_ideal_estimator_reserves_at_least_the_lateral_force_the_car_needs():
    # a tyre whose lateral force fell (given longitudinal force, in combined slip) must not
    # show more remaining grip than the car's lateral acceleration leaves it
    ln, x = make_lanes(COUPE)
    set_row(ln.sens, 1, 6.0)  # a_y [m/s²]
    fz = np.array([ln.p[(tt.P_FZ0 + w) * tt.LANES] for w in range(4)])
    for w in range(4):
        set_row(ln.sens, 2 + w, fz[w])                              # true loads
        set_row(ln.sens, 10 + w, 100.0 if w == 2 else 0.8 * fz[w])  # RL's lateral force fell
    run(ln, x, 1000.0, 0.0, 1)
    mu = state(ln, "friction_estimate")
    m, a, b = (ln.p[i * tt.LANES] for i in (tt.P_MASS, tt.P_A, tt.P_B))
    need_rl = m * 6.0 * a / (a + b) * fz[2] / (fz[2] + fz[3])
    assert state(ln, "grip_rl_n") == pytest.approx(math.sqrt((mu * fz[2]) ** 2 - need_rl ** 2))
    # where the true lateral force is the larger, it counts
    assert state(ln, "grip_rr_n") == pytest.approx(
        math.sqrt(max((mu * fz[3]) ** 2 - (0.8 * fz[3]) ** 2, 0.0)))
    assert 0.8 * fz[3] > m * 6.0 * a / (a + b) * fz[3] / (fz[2] + fz[3])
