"""Two-track model (:func:`sim.simulate.simulate`) against results nobody here invented.

* Linear single-track model (REFERENCES.md section 4; Rajamani 2012 ch. 2-3): steady yaw-rate and
  lateral-acceleration gains r/delta = u/(L + K u²), a_y/delta = u²/(L + K u²), and the steady
  response to a direct yaw moment, x_ss = -A⁻¹ B_M M.
* Coast-down and grade: Newton's second law along x with the rotating wheels' (and machines')
  inertia, a = -(m g sin(theta) + f_rr F_z + 1/2 rho CdA u²) / (m + sum(J)/R²).
* Low-speed kinematics (Ackermann): r = u tan(delta)/L when the tyres barely slip.
* The passive drivetrain's documented split (front_torque_share, open differential, brake
  balance, machine torque and power envelopes) and ISO 8855 signs of a torque difference.
* Numerics: halving the time step changes ISO 7401 step-steer metrics by < 0.5 % (DESIGN.md);
  a batch of N is N single runs; failed members are flagged, frozen and NaN-filled after failure.

Unless a test says otherwise it uses a *symmetric* coupe (every lateral position set to 0, so the
centre of mass is on the centre line) because the single-track model has no lateral offset of the
centre of mass: on the real (driver-only) coupe equal left/right tractive forces act 2 cm beside
the centre of mass and yaw the car, which is physics, not an error.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import sim
from sim.chassis import linear as lst
from sim.driver import open_loop as ol
from sim.params import combustion_tables, linear_single_track
from sim.powertrain.gearbox import gear_max_wheel_torque_nm
from sim.result import SimulationDiverged
from sim.simulate import Numerics, simulate
from sim.spec.energy import Energy
from sim.units import GRAVITY_MPS2, kmh_to_mps

WHEELS = ("fl", "fr", "rl", "rr")
LOAD_CASE = "driver_passenger"
COARSE = Numerics(output_interval_s=0.1)


def replicate(vehicle: sim.Vehicle, n: int) -> sim.Vehicle:
    """A batch of ``n`` identical copies of ``vehicle``."""
    wheelbase = sim.get_param(vehicle, "geometry.wheelbase_m")
    return sim.set_params(vehicle, {"geometry.wheelbase_m": [wheelbase] * n})


def symmetric(vehicle: sim.Vehicle) -> sim.Vehicle:
    """``vehicle`` with every lateral position (components, packs, seats, boots) on the centre
    line: a car that is exactly its own mirror image."""
    return sim.set_params(vehicle, {p: 0.0 for p in sim.param_paths(vehicle)
                                    if p.endswith(".y_m")})


def parameters(vehicle: sim.Vehicle, speed_kmh=50.0, **kw) -> dict:
    """The packed kernel parameters (one value per member) from a negligible run."""
    return simulate(vehicle, speed_kmh=speed_kmh, duration_s=0.01, **kw).parameters


def spin_inertia_sum(p: dict) -> np.ndarray:
    """Sum of the four wheels' spin inertias including reflected machine rotors [kg m²]."""
    return sum(p[f"spin_inertia_{w}_kgm2"] for w in WHEELS)


def driving_resistance_n(p: dict, speed_mps) -> np.ndarray:
    """Rolling resistance on weight plus downforce, and aerodynamic drag [N] (flat road)."""
    q = 0.5 * p["air_density_kgpm3"] * np.asarray(speed_mps) ** 2
    downforce = q * (p["front_downforce_area_m2"] + p["rear_downforce_area_m2"])
    rolling = p["rolling_resistance_coefficient"] * (p["mass_kg"] * GRAVITY_MPS2 + downforce)
    return rolling + q * p["drag_area_m2"]


def tail_mean(res, name: str, seconds: float = 0.5) -> np.ndarray:
    """Mean of channel ``name`` over the last ``seconds`` of the run, per member."""
    last = res.time_s >= res.time_s[-1] - seconds - 1e-9
    return res[name][:, last].mean(axis=1)


@pytest.fixture(scope="module")
def coupe() -> sim.Vehicle:
    return sim.load_vehicle("coupe")


@pytest.fixture(scope="module")
def sym_coupe(coupe) -> sim.Vehicle:
    car = symmetric(coupe)
    assert sim.mass_properties(car, LOAD_CASE).cg_m[0, 1] == 0.0
    return car


# ---------------------------------------------------------------------------------------------
# Linear single-track limit
# ---------------------------------------------------------------------------------------------
GAIN_SPEEDS_KMH = np.array([30.0, 60.0, 90.0, 120.0, 150.0, 200.0])
SMALL_STEER_RAD = np.deg2rad(2.0)  # steering wheel: a_y <= 1 m/s² up to 200 km/h


def steady_small_steer(vehicle, speeds_kmh, steer_rad, tyre_model):
    """Steady state after 4 s of a constant small steering-wheel angle, the force demand
    holding the speed against rolling resistance and drag (a coasting car would slow down)."""
    batch = replicate(vehicle, len(speeds_kmh))
    u = kmh_to_mps(speeds_kmh)
    force = driving_resistance_n(parameters(batch, speeds_kmh, load_case=LOAD_CASE), u)
    res = simulate(batch, speed_kmh=speeds_kmh, duration_s=4.0, load_case=LOAD_CASE,
                   steering_wheel_angle_rad=steer_rad, force_demand_n=force,
                   tyre_model=tyre_model, numerics=COARSE)
    assert res.ok.all()
    delta = steer_rad / res.parameters["steering_ratio"]
    gains = lst.steady_state_gains(linear_single_track(batch, LOAD_CASE), res["vx_mps"][:, -1])
    return res, delta, gains


def test_linear_tyres_are_the_single_track_axle_stiffnesses(sym_coupe):
    # Same source for both models: MF 6.1 cornering stiffness at each axle's mean static load;
    # the two-track packs it per tyre, the single track per axle (x 2). Pure bookkeeping.
    p = parameters(sym_coupe, load_case=LOAD_CASE, tyre_model="linear")
    lin = linear_single_track(sym_coupe, LOAD_CASE)
    np.testing.assert_allclose(2.0 * p["front_cornering_stiffness_npr"],
                               lin.front_cornering_stiffness_npr, rtol=1e-12)
    np.testing.assert_allclose(2.0 * p["rear_cornering_stiffness_npr"],
                               lin.rear_cornering_stiffness_npr, rtol=1e-12)


def test_steady_yaw_gain_matches_linear_single_track(sym_coupe):
    # Issue check: linear tyres at the static loads, small steer, low a_y -> r/delta and
    # a_y/delta within 2 % of u/(L + K u²) and u²/(L + K u²). Seen: -0.1 % (30 km/h) to -1.2 %
    # (200 km/h); the remainder is rolling resistance under lateral load transfer (the outer
    # wheels roll harder: an outward yaw moment the single track does not have), see the
    # next test.
    res, delta, gains = steady_small_steer(sym_coupe, GAIN_SPEEDS_KMH, SMALL_STEER_RAD, "linear")
    assert np.abs(res["ay_mps2"][:, -1]).max() < 1.0  # "low lateral acceleration"
    np.testing.assert_allclose(tail_mean(res, "yaw_rate_radps") / delta,
                               gains.yaw_rate_radps_per_rad, rtol=0.02)
    np.testing.assert_allclose(tail_mean(res, "ay_mps2") / delta,
                               gains.lateral_acceleration_mps2_per_rad, rtol=0.02)


def test_without_rolling_resistance_the_yaw_gain_gap_closes(sym_coupe):
    # Removing the one effect the single track lacks (rolling-resistance yaw moment under load
    # transfer) leaves < 0.5 % (seen 0.01 % .. 0.29 %: the front wheels' drive force projected
    # through the steer angle). Confirms that the 1 % above is that effect and not an error.
    car = sim.set_params(sym_coupe, {"wheels.rolling_resistance_coefficient": 0.0})
    res, delta, gains = steady_small_steer(car, GAIN_SPEEDS_KMH, SMALL_STEER_RAD, "linear")
    np.testing.assert_allclose(tail_mean(res, "yaw_rate_radps") / delta,
                               gains.yaw_rate_radps_per_rad, rtol=0.005)


def test_magic_formula_tyres_at_small_steer_match_linear_single_track(sym_coupe):
    # With the MF 6.1 tyres themselves (load sensitivity, combined slip, mirrored conicity)
    # a 1 deg steering-wheel input (a_y <= 0.4 m/s²) is still in the linear range: within 2 %
    # up to 150 km/h (seen -0.06 % .. -1.15 %).
    speeds = GAIN_SPEEDS_KMH[:-1]
    res, delta, gains = steady_small_steer(sym_coupe, speeds, np.deg2rad(1.0), "mf61")
    np.testing.assert_allclose(tail_mean(res, "yaw_rate_radps") / delta,
                               gains.yaw_rate_radps_per_rad, rtol=0.02)


def test_direct_yaw_moment_matches_linear_single_track(sym_coupe):
    # Rear drive torques T0 -+ dT (left, right): yaw moment M = t_r dT / R; the single-track
    # steady state with a yaw-moment input is x_ss = -A⁻¹ [0, 1/I_z]ᵀ M. ISO 8855: more torque
    # on the right pushes the right side forward, the car yaws left, r > 0. Linear tyres:
    # within 2 % (seen 0.1 % .. 1.2 %, rolling resistance again); equal torques: r == 0.
    speeds = np.array([30.0, 80.0, 150.0])
    batch = replicate(sym_coupe, 3 * speeds.size)
    speed = np.tile(speeds, 3)
    dt = np.repeat([0.0, 100.0, -100.0], speeds.size)  # N·m at each rear wheel
    p = parameters(batch, speed, load_case=LOAD_CASE)
    t0 = 0.5 * driving_resistance_n(p, kmh_to_mps(speed)) * p["wheel_radius_m"]
    res = simulate(batch, speed_kmh=speed, duration_s=5.0, load_case=LOAD_CASE,
                   controller="direct", drive_torque_nm=[0.0, 0.0, t0 - dt, t0 + dt],
                   tyre_model="linear", numerics=COARSE)
    r = res["yaw_rate_radps"]
    assert np.all(r[dt == 0.0] == 0.0)
    assert np.all(r[dt > 0.0][:, -1] > 0.0) and np.all(r[dt < 0.0][:, -1] < 0.0)
    A, _ = lst.state_space(linear_single_track(batch, LOAD_CASE), res["vx_mps"][:, -1])
    moment = p["rear_track_m"] * dt / p["wheel_radius_m"]
    b_m = np.stack([np.zeros_like(moment), moment / p["yaw_inertia_kgm2"]], axis=1)
    expected = -np.linalg.solve(A, b_m[:, :, None])[:, 1, 0]
    turning = dt != 0.0
    np.testing.assert_allclose(r[turning, -1], expected[turning], rtol=0.02)


def test_steady_lateral_load_transfer_follows_milliken(sym_coupe):
    # REFERENCES.md section 4 (Milliken ch. 18): per axle dFz_i = (m a_y / t_i)(l_i'/L h_ri +
    # K_phi,i/(K_phi,f + K_phi,r) h'), outer wheel gains; their moments add up to m a_y h; the
    # four loads carry weight plus downforce (1e-9). Quasi-steady state after 4 s of a 40 deg
    # step at 80 km/h (0.7 g): the transfer follows a_y through a 0.05 s lag while a_y still
    # drifts by -0.044 m/s² per s as the speed settles, a residue of tau |da_y/dt| / a_y =
    # 3e-4; tolerance 1e-3.
    res = simulate(sym_coupe, speed_kmh=80.0, duration_s=4.0, load_case=LOAD_CASE,
                   steering_wheel_angle_rad=np.deg2rad(40.0),
                   force_demand_n=600.0, numerics=COARSE)
    p = {k: v[0] for k, v in res.parameters.items()}
    fz = res.per_wheel("fz_{w}_n")[0, -1]
    ay, vx = res["ay_mps2"][0, -1], res["vx_mps"][0, -1]
    assert ay > 6.0
    m, h = p["mass_kg"], p["cg_height_m"]
    a, b = p["cg_to_front_axle_m"], p["cg_to_rear_axle_m"]
    wheelbase = a + b
    q = 0.5 * p["air_density_kgpm3"] * vx ** 2
    downforce = q * (p["front_downforce_area_m2"] + p["rear_downforce_area_m2"])
    assert fz.sum() == pytest.approx(m * GRAVITY_MPS2 + downforce, rel=1e-9)
    d_front, d_rear = 0.5 * (fz[1] - fz[0]), 0.5 * (fz[3] - fz[2])  # right = outer
    t_f, t_r = p["front_track_m"], p["rear_track_m"]
    assert d_front * t_f + d_rear * t_r == pytest.approx(m * ay * h, rel=1e-3)
    share = p["front_roll_stiffness_share"]
    h_ra = p["front_roll_centre_height_m"] + (
        p["rear_roll_centre_height_m"] - p["front_roll_centre_height_m"]) * a / wheelbase
    expected_front = m * ay / t_f * (b / wheelbase * p["front_roll_centre_height_m"]
                                     + share * (h - h_ra))
    assert d_front == pytest.approx(expected_front, rel=1e-3)


def test_braking_load_transfer_to_the_front(coupe):
    # Longitudinal transfer m a_x h / L from rear to front (Gillespie ch. 2) while braking
    # at 6 kN from 100 km/h, 1 s in (the 0.05 s transfer lag has settled; a_x drifts with drag
    # by 0.02 m/s² per s, so the lag's residue is ~1e-3): 1 %.
    res = simulate(coupe, speed_kmh=100.0, duration_s=1.0, force_demand_n=-6000.0,
                   numerics=COARSE)
    p = {k: v[0] for k, v in res.parameters.items()}
    fz = res.per_wheel("fz_{w}_n")[0, -1]
    ax, vx = res["ax_mps2"][0, -1], res["vx_mps"][0, -1]
    assert ax < -3.0
    q = 0.5 * p["air_density_kgpm3"] * vx ** 2
    static_front = p["static_load_fl_n"] + p["static_load_fr_n"] + q * p["front_downforce_area_m2"]
    wheelbase = p["cg_to_front_axle_m"] + p["cg_to_rear_axle_m"]
    transfer = -p["mass_kg"] * ax * p["cg_height_m"] / wheelbase
    assert fz[:2].sum() - static_front == pytest.approx(transfer, rel=0.01)


# ---------------------------------------------------------------------------------------------
# Longitudinal: coast-down, grade
# ---------------------------------------------------------------------------------------------
def effective_mass_kg(p: dict) -> np.ndarray:
    return p["mass_kg"] + spin_inertia_sum(p) / p["wheel_radius_m"] ** 2


def slope_at(res, t_s: float) -> tuple[np.ndarray, np.ndarray]:
    """(dvx/dt by a central difference, vx) at output time ``t_s``."""
    k = int(np.argmin(np.abs(res.time_s - t_s)))
    t, vx = res.time_s, res["vx_mps"]
    return (vx[:, k + 1] - vx[:, k - 1]) / (t[k + 1] - t[k - 1]), vx[:, k]


COAST_SPEEDS_KMH = np.array([10.0, 30.0, 80.0, 150.0, 230.0])


def test_coast_down_deceleration(coupe):
    # a = -(f_rr (m g + downforce) + drag)/(m + sum J / R²) at 1 s, when the wheels' slip has
    # settled; 1 % (issue). Seen <= 0.02 %. A central difference of vx over +-0.05 s is exact
    # to (0.05 s)² a''' / 6, negligible. The wheel inertias (machine rotors included) are
    # 7 % of the deceleration: leaving them out must fail the same tolerance.
    batch = replicate(coupe, COAST_SPEEDS_KMH.size)
    res = simulate(batch, speed_kmh=COAST_SPEEDS_KMH, duration_s=1.5,
                   numerics=Numerics(output_interval_s=0.05))
    assert res.ok.all()
    p = res.parameters
    decel, u = slope_at(res, 1.0)
    resistance = driving_resistance_n(p, u)
    np.testing.assert_allclose(decel, -resistance / effective_mass_kg(p), rtol=0.01)
    assert np.all(np.abs(decel / (-resistance / p["mass_kg"]) - 1.0) > 0.05)


def test_coast_down_deceleration_at_walking_pace(coupe):
    # Same law as above at 5 km/h (u ~ 1.3 m/s at 1 s), same 1 % tolerance.
    res = simulate(coupe, speed_kmh=5.0, duration_s=1.5, numerics=Numerics(output_interval_s=0.05))
    p = res.parameters
    decel, u = slope_at(res, 1.0)
    np.testing.assert_allclose(decel, -driving_resistance_n(p, u) / effective_mass_kg(p),
                               rtol=0.01)


def test_uphill_grade_initial_deceleration(coupe):
    # 5 % uphill (theta = atan 0.05), zero demand, 60 km/h: a = -(m g sin(theta) + f_rr
    # (m g cos(theta) + downforce) + drag)/(m + sum J/R²), evaluated at 0.3 s (after the
    # wheel-slip transient, before the speed has changed by more than 1 %); 1 %.
    theta = np.arctan(0.05)
    res = simulate(coupe, speed_kmh=60.0, duration_s=0.5, road_grade_rad=theta,
                   numerics=Numerics(output_interval_s=0.02))
    p = res.parameters
    decel, u = slope_at(res, 0.3)
    q = 0.5 * p["air_density_kgpm3"] * u ** 2
    weight = p["mass_kg"] * GRAVITY_MPS2
    rolling = p["rolling_resistance_coefficient"] * (
        weight * np.cos(theta) + q * (p["front_downforce_area_m2"] + p["rear_downforce_area_m2"]))
    expected = -(weight * np.sin(theta) + rolling + q * p["drag_area_m2"]) / effective_mass_kg(p)
    np.testing.assert_allclose(decel, expected, rtol=0.01)
    assert decel[0] < -GRAVITY_MPS2 * np.sin(theta) * 0.9  # grade dominates: 0.5 m/s² of 0.58


# ---------------------------------------------------------------------------------------------
# Low speed
# ---------------------------------------------------------------------------------------------
def test_low_speed_yaw_rate_is_kinematic(sym_coupe):
    # Start at 5 (and 10) km/h, ramp a small steer in over 1 s, hold the speed against rolling
    # resistance: r -> u tan(delta)/L with delta the mean road-wheel angle (Ackermann); the
    # tyres' slip adds K a_y = 0.1 % of delta here, so "a few %" is 2 %. The run must end ok
    # with finite states and the wheels rolling (no substep explosion, no spurious wheel spin
    # at low speed).
    speeds = np.array([5.0, 10.0])
    batch = replicate(sym_coupe, speeds.size)
    p = parameters(batch, speeds, load_case=LOAD_CASE)
    force = driving_resistance_n(p, kmh_to_mps(speeds))
    steer = ol.table([0.0, 0.2, 1.2, 6.0], [[0.0, 0.0, np.deg2rad(20.0), np.deg2rad(20.0)]])
    res = simulate(batch, speed_kmh=speeds, duration_s=6.0, load_case=LOAD_CASE,
                   steering_wheel_angle_rad=steer, force_demand_n=force, numerics=COARSE)
    assert res.ok.all()
    for name in res.channel_names:
        assert np.all(np.isfinite(res[name])), name
    delta = 0.5 * (tail_mean(res, "steer_fl_rad") + tail_mean(res, "steer_fr_rad"))
    wheelbase = p["cg_to_front_axle_m"] + p["cg_to_rear_axle_m"]
    kinematic = tail_mean(res, "vx_mps") * np.tan(delta) / wheelbase
    np.testing.assert_allclose(tail_mean(res, "yaw_rate_radps", 1.0), kinematic, rtol=0.02)
    # unsteered rear wheels roll at (vx - r y_w)/R, y_w = +-t_r/2; the slip that carries the
    # rolling resistance is f_rr/(Kxk/Fz) ~ 0.04 %, so 0.3 % (the turn itself is 0.8 %)
    half_track = 0.5 * p["rear_track_m"][:, None]
    for w, y_w in (("rl", half_track), ("rr", -half_track)):
        rolling = (res["vx_mps"] - res["yaw_rate_radps"] * y_w) / p["wheel_radius_m"][:, None]
        np.testing.assert_allclose(res[f"omega_{w}_radps"], rolling, rtol=0.003)


def test_coasting_from_walking_pace_stops_cleanly(coupe):
    # 5 km/h with no demand: the car rolls to the stop speed (status "stopped", a normal end),
    # with finite samples up to the stop and NaN only after it. Rolling resistance alone
    # (0.1 m/s²) takes about (1.39 - 0.5)/0.1 = 9 s; allow 6..14 s.
    res = simulate(coupe, speed_kmh=5.0, duration_s=20.0, numerics=COARSE)
    assert res.status[0] == "stopped"
    assert 6.0 < res.end_time_s[0] < 14.0
    before = res.time_s < res.end_time_s[0] - 1e-9
    assert np.all(np.isfinite(res["vx_mps"][0, before]))
    assert np.all(np.isnan(res["vx_mps"][0, ~before]))


# ---------------------------------------------------------------------------------------------
# Passive drivetrain (module off)
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["coupe", "crossover_gt", "coupe_ice"])
def test_passive_drive_split_at_low_speed(name):
    # 3 kN at 30 km/h is inside every machine's torque and power envelope: the wheel torques
    # sum to F R, the front axle gets front_torque_share, and each axle's two wheels get equal
    # torques (open differential or twin motors fed equally) even while turning. Exact up to
    # rounding (1e-12).
    car = sim.load_vehicle(name)
    force = 3000.0
    res = simulate(car, speed_kmh=30.0, duration_s=1.0, force_demand_n=force,
                   steering_wheel_angle_rad=np.deg2rad(30.0), numerics=COARSE)
    p = res.parameters
    torque = res.per_wheel("drive_torque_{w}_nm")[0]
    radius = p["wheel_radius_m"][0]
    np.testing.assert_allclose(torque.sum(axis=-1) / radius, force, rtol=1e-12)
    share = car.drivetrain.front_torque_share
    np.testing.assert_allclose(torque[:, :2].sum(axis=-1) / radius, share * force,
                               rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(torque[:, 0], torque[:, 1], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(torque[:, 2], torque[:, 3], rtol=1e-12, atol=1e-12)
    assert np.all(res.per_wheel("brake_torque_{w}_nm") == 0.0)


def machine_powers_w(res, car) -> dict[str, np.ndarray]:
    """Power [W] each machine delivers at its wheel(s): sum of T_w omega_w over its wheels."""
    torque = res.per_wheel("drive_torque_{w}_nm")[0]
    omega = res.per_wheel("omega_{w}_radps")[0]
    wheels = {"front_axle": [0, 1], "rear_axle": [2, 3], "FL": [0], "FR": [1], "RL": [2],
              "RR": [3]}
    return {label: sum(torque[:, w] * omega[:, w] for w in wheels[motor.drives])
            for label, motor in car.drivetrain.motors.items()}


@pytest.mark.parametrize("name", ["coupe", "crossover_gt", "coupe_ice"])
def test_passive_drive_respects_the_power_limit_at_high_speed(name):
    # 20 kN at 200 km/h asks for 1.1 MW: every machine is power-limited. Combustion: see
    # below. Electric: the battery's terminal power (drive units with their losses, the
    # auxiliaries) is held at its available discharge power (the 400 / 330 kW caps bind
    # before the cells' limits at 90 % SOC), never above it (1e-9), every machine scaled by
    # the same factor: each delivers the same share of its peak mechanical power.
    car = sim.load_vehicle(name)
    res = simulate(car, speed_kmh=200.0, duration_s=0.3, force_demand_n=20_000.0,
                   numerics=COARSE)
    motors = car.drivetrain.motors
    powers = machine_powers_w(res, car)
    if name == "coupe_ice":
        # the engine at full load through its gearbox, in the gear the strategy picks at the
        # start (held through the run): the axle torque is the gear's full-load torque x
        # ratio x efficiency at the engine speed (1e-9), never above the peak power
        ep, gp = combustion_tables(car)
        omega = res.per_wheel("omega_{w}_radps")[0][:, 2:].mean(axis=-1)
        torque = res.per_wheel("drive_torque_{w}_nm")[0][:, 2:].sum(axis=-1)
        gear = res["gear"][0]
        assert np.all(gear == gear[0])
        expected = [gear_max_wheel_torque_nm(ep[0], gp[0], g, w)
                    for g, w in zip(gear, omega, strict=True)]
        np.testing.assert_allclose(torque, expected, rtol=1e-9)
        for label, power in powers.items():
            peak = motors[label].peak_power_kw * 1e3
            assert np.all(power <= peak * (1.0 + 1e-9)), label
        return
    terminal = res["battery_power_w"][0][1:]
    available = res["available_discharge_power_w"][0][1:]
    assert np.all(terminal <= available * (1.0 + 1e-9))
    np.testing.assert_allclose(terminal, available, rtol=0.01)
    np.testing.assert_allclose(available, car.drivetrain.battery_discharge_power_limit_kw * 1e3,
                               rtol=1e-9)
    shares = np.array([power[1:] / (motors[label].peak_power_kw * 1e3)
                       for label, power in powers.items()])
    assert np.all(shares < 0.97)
    np.testing.assert_allclose(shares, shares[:1].repeat(len(shares), axis=0), rtol=0.02)


@pytest.mark.parametrize("name", ["coupe", "crossover_gt"])
def test_passive_brake_balance_and_limits(name):
    # Regeneration off, a braking demand is friction brakes only: sum of brake torques =
    # |F| R, front share = brakes.front_share, equal left/right, no drive torque (1e-12). A
    # demand beyond the brake limits clips each wheel at its maximum torque.
    car = sim.load_vehicle(name)
    car = dataclasses.replace(car, energy=dataclasses.replace(car.energy or Energy(),
                                                              regenerative_braking="off"))
    res = simulate(replicate(car, 2), speed_kmh=100.0, duration_s=0.3,
                   force_demand_n=[-6000.0, -60_000.0], numerics=COARSE)
    brake = res.per_wheel("brake_torque_{w}_nm")
    radius = res.parameters["wheel_radius_m"][0]
    b = brake[0]
    np.testing.assert_allclose(b.sum(axis=-1) / radius, 6000.0, rtol=1e-12)
    np.testing.assert_allclose(b[:, :2].sum(axis=-1) / b.sum(axis=-1), car.brakes.front_share,
                               rtol=1e-12)
    np.testing.assert_allclose(b[:, 0], b[:, 1], rtol=1e-12)
    np.testing.assert_allclose(b[:, 2], b[:, 3], rtol=1e-12)
    assert np.all(res.per_wheel("drive_torque_{w}_nm")[0] == 0.0)
    np.testing.assert_allclose(brake[1, :, :2], car.brakes.max_front_torque_nm, rtol=1e-12)
    np.testing.assert_allclose(brake[1, :, 2:], car.brakes.max_rear_torque_nm, rtol=1e-12)
    assert np.all(res.energy_j["regenerated_j"] == 0.0)


@pytest.mark.parametrize("name", ["coupe", "crossover_gt"])
def test_passive_braking_regenerates_first(name):
    # Regeneration on (the files' default): the machines take the demand first, by the brake
    # balance between the axles that have machines, up to m a_max
    # ([energy] max_regenerative_deceleration_mps2) and within the battery's available charge
    # power (which binds here: about 2 kN of the 6 kN at 100 km/h); the friction brakes take
    # the rest; every wheel torque together is the demand |F| R (1e-9); left and right equal;
    # energy flows back to the battery.
    car = sim.load_vehicle(name)
    res = simulate(car, speed_kmh=100.0, duration_s=0.3, force_demand_n=-6000.0,
                   numerics=COARSE)
    p = res.parameters
    radius = p["wheel_radius_m"][0]
    drive = res.per_wheel("drive_torque_{w}_nm")[0]
    b = res.per_wheel("brake_torque_{w}_nm")[0]
    assert np.all(drive <= 0.0)
    regen = -drive.sum(axis=-1) / radius
    cap = p["mass_kg"][0] * (car.energy or Energy()).max_regenerative_deceleration_mps2
    assert np.all(regen > 0.0) and np.all(regen <= min(6000.0, cap) * (1.0 + 1e-9))
    np.testing.assert_allclose(regen + b.sum(axis=-1) / radius, 6000.0, rtol=1e-9)
    np.testing.assert_allclose(drive[:, 0], drive[:, 1], rtol=1e-12)
    np.testing.assert_allclose(drive[:, 2], drive[:, 3], rtol=1e-12)
    charge = res["available_charge_power_w"][0]
    assert np.all(res["battery_power_w"][0] >= -charge * (1.0 + 1e-9))
    assert res.energy_j["regenerated_j"][0] > 0.0


# ---------------------------------------------------------------------------------------------
# Inputs: a driver profile in radians equals the same constant
# ---------------------------------------------------------------------------------------------
def test_driver_profile_and_constant_steer_agree(coupe):
    # sim.driver profiles are in radians (amplitudes given in degrees); after the ramp the
    # state must be the one a constant input of the same radians reaches (steady state is
    # independent of the 0.05 s ramp to 1e-6 relative after 3 s).
    profile = ol.iso7401_step_steer(40.0, start_s=0.0)
    a = simulate(coupe, speed_kmh=80.0, duration_s=3.0, steering_wheel_angle_rad=profile,
                 numerics=COARSE)
    b = simulate(coupe, speed_kmh=80.0, duration_s=3.0,
                 steering_wheel_angle_rad=np.deg2rad(40.0), numerics=COARSE)
    np.testing.assert_allclose(a["yaw_rate_radps"][:, -1], b["yaw_rate_radps"][:, -1],
                               rtol=1e-3)
    assert a["yaw_rate_radps"][0, -1] > 0.1  # 40 deg at 80 km/h: about 0.3 rad/s


# ---------------------------------------------------------------------------------------------
# Convergence (DESIGN.md: halving the time step changes reported metrics by < 0.5 %)
# ---------------------------------------------------------------------------------------------
CONVERGENCE_SPEEDS_KMH = np.array([5.0, 10.0, 30.0, 80.0, 150.0, 230.0])  # 230: near top speed


def step_steer_metrics(vehicle, time_step_s: float, speeds_kmh=CONVERGENCE_SPEEDS_KMH):
    """ISO 7401 step-steer metrics per speed at one time step: steady yaw rate, peak yaw rate,
    yaw-rate response time (t0 at 50 % steer to 90 % of steady), steady lateral acceleration,
    final speed. Amplitude for a_y = 4 m/s² by the linear model, at most 90 deg (low speed);
    speed held against rolling resistance and drag."""
    batch = replicate(vehicle, len(speeds_kmh))
    u = kmh_to_mps(speeds_kmh)
    gains = lst.steady_state_gains(linear_single_track(batch), u)
    p = parameters(batch, speeds_kmh)
    amplitude = np.minimum(np.rad2deg(4.0 / gains.lateral_acceleration_mps2_per_rad
                                      * p["steering_ratio"]), 90.0)
    profile = ol.iso7401_step_steer(amplitude, duration_s=4.0)
    t0 = ol.time_at_fraction(profile, 0.5)
    res = simulate(batch, speed_kmh=speeds_kmh, duration_s=4.0, steering_wheel_angle_rad=profile,
                   force_demand_n=driving_resistance_n(p, u),
                   numerics=Numerics(time_step_s=time_step_s, output_interval_s=0.004))
    assert res.ok.all()
    t, r = res.time_s, res["yaw_rate_radps"]
    steady = tail_mean(res, "yaw_rate_radps")
    response = np.empty(len(speeds_kmh))
    for i in range(len(speeds_kmh)):
        k = int(np.argmax(r[i] >= 0.9 * steady[i]))
        frac = (0.9 * steady[i] - r[i, k - 1]) / (r[i, k] - r[i, k - 1])
        response[i] = t[k - 1] + frac * (t[k] - t[k - 1]) - t0[i]
    return {"steady yaw rate": steady, "peak yaw rate": r.max(axis=1),
            "yaw-rate response time": response,
            "steady lateral acceleration": tail_mean(res, "ay_mps2"),
            "final speed": res["vx_mps"][:, -1]}


@pytest.fixture(scope="module")
def convergence_runs(coupe):
    return {h: step_steer_metrics(coupe, h) for h in (0.004, 0.002, 0.001)}


@pytest.mark.parametrize("coarse,fine", [(0.004, 0.002), (0.002, 0.001)])
def test_halving_the_time_step_changes_metrics_by_less_than_half_a_percent(
        convergence_runs, coarse, fine):
    # 0.5 % (DESIGN.md). Seen: <= 0.005 % at every speed from 5 to 230 km/h. No metric is
    # near zero here (smallest: a response time of 0.08 s, resolved by interpolating samples
    # 4 ms apart), so relative tolerances apply throughout.
    a, b = convergence_runs[coarse], convergence_runs[fine]
    for name in a:
        np.testing.assert_allclose(b[name], a[name], rtol=0.005, err_msg=name)


def test_default_step_matches_a_reference_without_stability_substeps(coupe, convergence_runs):
    # At low speed the kernel subdivides each step for stability (the wheel-spin mode's rate
    # grows as 1/v), so halving the *given* step may not change the effective step at all
    # (seen: identical results at 5 and 10 km/h). A reference with a 0.1 ms step, well below
    # the stability substep at 5 and 10 km/h (about 0.5 and 1 ms), checks that the subdivided
    # default is converged too: < 0.5 %.
    reference = step_steer_metrics(coupe, 1e-4, CONVERGENCE_SPEEDS_KMH[:2])
    default = convergence_runs[0.002]
    for name, ref in reference.items():
        np.testing.assert_allclose(default[name][:2], ref, rtol=0.005, err_msg=name)


# ---------------------------------------------------------------------------------------------
# Batch == single runs
# ---------------------------------------------------------------------------------------------
def test_batch_of_n_equals_n_single_runs(coupe):
    # Members differ in mass distribution, speed, steer, demand and road; each member's
    # history must equal its own single run to 1e-12 (members share nothing in the kernel).
    energies = [20.0, 26.0, 34.0]
    batch = sim.set_params(coupe, {"packs.front.energy_kwh": energies})
    speeds = np.array([40.0, 90.0, 140.0])
    steer = ol.iso7401_step_steer([30.0, -20.0, 10.0], duration_s=2.0)
    force = np.array([500.0, 0.0, -2000.0])
    friction = np.array([1.0, 0.7, 0.9])
    res = simulate(batch, speed_kmh=speeds, duration_s=2.0, steering_wheel_angle_rad=steer,
                   force_demand_n=force, road_friction=friction, numerics=COARSE)
    for i in range(3):
        one = simulate(sim.member(batch, i), speed_kmh=speeds[i], duration_s=2.0,
                       steering_wheel_angle_rad=ol.Profile(steer.time_s, steer.values[i:i + 1]),
                       force_demand_n=force[i], road_friction=friction[i], numerics=COARSE)
        for name in res.channel_names:
            np.testing.assert_allclose(res[name][i], one[name][0], rtol=1e-12, atol=1e-12,
                                       err_msg=f"member {i}, {name}")


# ---------------------------------------------------------------------------------------------
# Failure handling
# ---------------------------------------------------------------------------------------------
#: Power oversteer on ice: 2.5 kN of drive demand on a 0.1-friction road (traction limit about
#: 1.6 kN) with 20 deg of steer at 60 km/h spins the car (about 3 s); on a dry road the same
#: inputs are an ordinary gentle acceleration in a bend.
SPIN = dict(speed_kmh=60.0, duration_s=6.0, force_demand_n=2500.0,
            steering_wheel_angle_rad=ol.iso7401_step_steer(20.0))


def test_spinning_member_is_flagged_and_frozen_while_others_finish(coupe):
    res = simulate(replicate(coupe, 2), road_friction=[1.0, 0.1], numerics=COARSE, **SPIN)
    assert list(res.status) == ["ok", "spun out"]
    assert res.end_time_s[0] == pytest.approx(6.0)
    t_fail = res.end_time_s[1]
    assert 0.5 < t_fail < 6.0
    before = res.time_s < t_fail - 1e-9
    for name in res.channel_names:
        assert np.all(np.isfinite(res[name][0])), name
        assert np.all(np.isfinite(res[name][1, before])), name
        assert np.all(np.isnan(res[name][1, ~before])), name
    # the frozen state is the spin itself: sideslip beyond the 45 deg threshold
    beta = np.arctan2(res.end_state["vy_mps"][1], res.end_state["vx_mps"][1])
    assert abs(beta) > np.deg2rad(45.0)
    assert not res.ok[1] and res.ok[0]


def test_single_run_that_spins_raises_naming_member_time_and_state(coupe):
    with pytest.raises(SimulationDiverged, match=r"member 0: spun out at t = \d") as info:
        simulate(coupe, road_friction=0.1, numerics=COARSE, **SPIN)
    err = info.value
    assert err.member == 0 and err.status == "spun out"
    assert 0.5 < err.time_s < 6.0
    assert {"vx_mps", "vy_mps", "yaw_rate_radps"} <= set(err.state)
    assert all(np.isfinite(v) for v in err.state.values())
    assert "yaw_rate_radps=" in str(err)


def test_strict_batch_raises_for_the_failed_member(coupe):
    with pytest.raises(SimulationDiverged, match="member 1: spun out") as info:
        simulate(replicate(coupe, 2), road_friction=[1.0, 0.1], strict=True, numerics=COARSE,
                 **SPIN)
    assert info.value.member == 1
