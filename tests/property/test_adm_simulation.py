"""The dynamic module in the closed loop, over long random inputs (hypothesis): no machine
torque, machine power, battery terminal power, friction-brake or grip limit is ever exceeded,
at every integrator step; a car without independent wheels never gets a left/right torque
difference; a symmetric car driven straight gets no yaw moment."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.adm import with_layout
from sim.chassis import two_track as tt
from sim.driver import open_loop as ol
from sim.simulate import Numerics
from tests.adm_harness import machines_only

COUPE = sim.load_vehicle("coupe")
EVERY_STEP = Numerics()  # the default 10 ms step, every step recorded
WHEELS = ("fl", "fr", "rl", "rr")
_Y_PATHS = [p for p in sim.param_paths(COUPE) if p.endswith(".y_m")]
SYMMETRIC = sim.set_params(COUPE, {p: 0.0 for p in _Y_PATHS})


def _lane_table(res, member):
    p = tt.lane_table(tt.N_PARAMETERS)
    for i, name in enumerate(tt.PARAMETER_NAMES):
        p[i * tt.LANES] = res.parameters[name][member]
    return p


def _random_run(vehicle, seed, members=6, duration_s=6.0):
    rng = np.random.default_rng(seed)
    knots = np.arange(0.0, duration_s + 0.25, 0.25)
    steer = np.cumsum(rng.normal(0.0, 0.25, size=(members, knots.size)), axis=1)
    steer = np.clip(steer, -1.5, 1.5) * (knots > 0.3)
    force = rng.uniform(-15000.0, 15000.0, size=(members, knots.size))
    speed = rng.uniform(30.0, 150.0, size=members)
    mu = rng.uniform(0.3, 1.0, size=members)
    return sim.simulate(vehicle, speed_kmh=speed, duration_s=duration_s,
                        steering_wheel_angle_rad=ol.table(knots, steer),
                        force_demand_n=ol.table(knots, force), controller="adm",
                        road_friction=mu, numerics=EVERY_STEP)


def _check_limits(vehicle, res):
    ch = res.channels
    codes = {"FL": 0, "FR": 1, "RL": 2, "RR": 3, "front_axle": (0, 1), "rear_axle": (2, 3)}
    driven = set()
    for m in range(res.status.size):
        p = _lane_table(res, m)
        live = np.isfinite(ch["vx_mps"][m])
        drive = np.array([ch[f"drive_torque_{w}_nm"][m][live] for w in WHEELS])
        brake = np.array([ch[f"brake_torque_{w}_nm"][m][live] for w in WHEELS])
        omega = np.array([ch[f"omega_{w}_radps"][m][live] for w in WHEELS])
        for k, motor in enumerate(vehicle.drivetrain.motors.values()):
            wheels = np.atleast_1d(codes[motor.drives])
            driven |= set(wheels.tolist())
            torque = drive[wheels].sum(axis=0)
            speed = omega[wheels].mean(axis=0)
            limit = np.array([tt.machine_wheel_torque_limit(p, 0, k, s) for s in speed])
            assert np.all(np.abs(torque) <= limit * (1 + 1e-9) + 1e-9), motor.drives
        for w in set(range(4)) - driven:
            assert np.all(drive[w] == 0.0)
        # the battery's terminal power (electrical, every loss) within its available power
        power = ch["battery_power_w"][m][live]
        assert np.all(power <= ch["available_discharge_power_w"][m][live] * (1 + 1e-9))
        assert np.all(-power <= ch["available_charge_power_w"][m][live] * (1 + 1e-9))
        assert np.all(ch["available_charge_power_w"][m][live]
                      <= res.parameters["battery_charge_power_limit_w"][m])
        assert np.all(brake >= 0.0)
        assert np.all(brake[:2] <= res.parameters["max_brake_torque_front_nm"][m] * (1 + 1e-12))
        assert np.all(brake[2:] <= res.parameters["max_brake_torque_rear_nm"][m] * (1 + 1e-12))
        # commanded wheel forces within each tyre's estimated remaining grip at the
        # controller's sample (brake vectoring may brake a wheel down to its full friction
        # mu F_z, trading its lateral force on purpose, as an ESC does)
        radius = res.parameters["wheel_radius_m"][m]
        for w in WHEELS:
            force = (ch[f"adm_drive_command_{w}_nm"][m][live]
                     - ch[f"adm_brake_command_{w}_nm"][m][live]) / radius
            grip = ch[f"adm_grip_{w}_n"][m][live]
            if vehicle.adm.brake_vectoring == "on":
                grip = ch["adm_friction_estimate"][m][live] \
                    * ch[f"adm_fz_estimate_{w}_n"][m][live]
            assert np.all(np.abs(force) <= grip * (1 + 1e-9) + 1e-6), w


@settings(max_examples=4)
@given(seed=st.integers(0, 2**32 - 1),
       layout=st.sampled_from(["front_and_two_rear", "four_wheel", "one_per_axle"]),
       regeneration=st.sampled_from(["on", "off"]),
       brake_vectoring=st.sampled_from(["on", "off"]))
def test_no_limit_is_ever_exceeded(seed, layout, regeneration, brake_vectoring):
    vehicle = with_layout(COUPE, layout)
    vehicle = dataclasses.replace(vehicle, adm=dataclasses.replace(
        vehicle.adm, regeneration=regeneration, brake_vectoring=brake_vectoring))
    vehicle = sim.set_params(vehicle, {"drivetrain.battery_charge_power_limit_kw": 60.0})
    _check_limits(vehicle, _random_run(vehicle, seed))


def test_open_differential_layout_has_no_left_right_drive_difference():
    # premise: the machines alone (with brake vectoring the friction brakes differ left/right)
    vehicle = machines_only(with_layout(COUPE, "one_per_axle"))
    res = _random_run(vehicle, 7, members=3, duration_s=4.0)
    ch = res.channels
    for front, rear in (("fl", "fr"), ("rl", "rr")):
        a, b = ch[f"drive_torque_{front}_nm"], ch[f"drive_torque_{rear}_nm"]
        live = np.isfinite(a)
        assert np.array_equal(a[live], b[live])
    for left, right in (("fl", "fr"), ("rl", "rr")):  # brake vectoring off
        a, b = ch[f"brake_torque_{left}_nm"], ch[f"brake_torque_{right}_nm"]
        live = np.isfinite(a)
        assert np.array_equal(a[live], b[live])
    assert np.nanmax(np.abs(ch["adm_yaw_moment_demand_nm"])) > 500.0  # it was asked


def test_symmetric_car_driven_straight_gets_no_yaw_moment():
    force = ol.table([0.0, 1.0, 1.01, 2.0, 2.01, 3.0], [6000.0, 6000.0, -8000.0, -8000.0,
                                                        0.0, 0.0])
    res = sim.simulate(SYMMETRIC, speed_kmh=60.0, duration_s=3.0, force_demand_n=force,
                       controller="adm")
    ch = res.channels
    assert np.all(ch["adm_yaw_moment_demand_nm"] == 0.0)
    assert np.all(ch["adm_yaw_moment_command_nm"] == 0.0)
    assert np.max(np.abs(ch["yaw_rate_radps"])) < 1e-9
    np.testing.assert_allclose(ch["drive_torque_rl_nm"], ch["drive_torque_rr_nm"], atol=1e-9)
    np.testing.assert_allclose(ch["brake_torque_fl_nm"], ch["brake_torque_fr_nm"], atol=1e-9)
    # the commanded force is the demand while it is feasible
    demand, command = ch["adm_force_demand_n"][0], ch["adm_force_command_n"][0]
    steady = (res.time_s > 0.1) & (res.time_s < 0.95)
    np.testing.assert_allclose(command[steady], demand[steady], rtol=1e-9)
    assert res.labels["adm_estimator"] == "ideal"
