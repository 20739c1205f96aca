"""The linearly implicit scheme (Rosenbrock-W ROS34PW2, ``Numerics(scheme="rosenbrock")``, the
default) at a 10 ms step against the reference scheme (RK4 with stability substeps) at 1 ms,
on the validation cases of issue 11: each metric within 0.5 %. At 10 ms the wheel-spin mode
at standstill is stiffer than RK4's stability limit by orders of magnitude (RK4 subdivides
the step there, the Rosenbrock-W scheme never does)."""

from __future__ import annotations

import numpy as np
import pytest

import sim
import sim.energy
from sim.driver import open_loop as ol
from sim.maneuvers import constant_radius
from sim.maneuvers.straight_line import FULL_DRIVE_DEMAND_N

COUPE = sim.load_vehicle("coupe")
FAST = sim.Numerics(time_step_s=0.01, output_interval_s=0.01, scheme="rosenbrock")
REFERENCE = sim.Numerics(time_step_s=0.001, output_interval_s=0.01, scheme="rk4")

CASES = {
    "step_steer": dict(speed_kmh=100.0, duration_s=3.0, force_demand_n=1500.0,
                       steering_wheel_angle_rad=ol.iso7401_step_steer(60.0, start_s=0.5,
                                                                      duration_s=3.0)),
    "sine_with_dwell": dict(speed_kmh=80.0, duration_s=3.0,
                            steering_wheel_angle_rad=ol.sine_with_dwell(120.0, start_s=0.3,
                                                                        duration_s=3.0)),
    "standing_start": dict(speed_kmh=0.0, duration_s=4.0, force_demand_n=FULL_DRIVE_DEMAND_N),
    "locked_wheel_braking": dict(speed_kmh=100.0, duration_s=6.0, force_demand_n=-60000.0),
    "low_friction_step_steer": dict(speed_kmh=80.0, duration_s=3.0, force_demand_n=500.0,
                                    road_friction=0.4,
                                    steering_wheel_angle_rad=ol.iso7401_step_steer(
                                        40.0, start_s=0.5, duration_s=3.0)),
}


def _crossing_time(res, channel: str, level: float) -> float:
    """When ``channel`` first crosses ``level`` [s] (linear between samples)."""
    values = res[channel][0]
    finite = np.isfinite(values)
    t, v = res.time_s[finite], values[finite]
    rising = v[-1] > v[0]
    k = int(np.argmax(v >= level if rising else v <= level))
    assert k > 0, (channel, level)
    return float(t[k - 1] + (level - v[k - 1]) / (v[k] - v[k - 1]) * (t[k] - t[k - 1]))


def _metrics(res, case: str) -> dict:
    """The maneuver's metrics: peaks of the lateral motion (steering cases), the distance
    covered, the time to 100 km/h (standing start) and to 1 m/s (braking)."""
    m = {"distance_m": np.nanmax(res["x_m"][0])}
    if "steer" in case or "dwell" in case:
        for name in ("yaw_rate_radps", "ay_mps2", "vy_mps"):
            m[f"peak_{name}"] = np.nanmax(np.abs(res[name][0]))
        m["final_yaw_rate_radps"] = res["yaw_rate_radps"][0, -1]
        m["final_speed_mps"] = res["vx_mps"][0, -1]
    if case == "standing_start":
        m["time_to_100_kmh_s"] = _crossing_time(res, "vx_mps", 100.0 / 3.6)
        m["final_speed_mps"] = res["vx_mps"][0, -1]
    if case == "locked_wheel_braking":
        m["time_to_1_mps_s"] = _crossing_time(res, "vx_mps", 1.0)
    return m


@pytest.mark.parametrize("case", sorted(CASES))
def test_rosenbrock_at_10_ms_matches_rk4_at_1_ms(case):
    fast = sim.simulate(COUPE, numerics=FAST, **CASES[case])
    ref = sim.simulate(COUPE, numerics=REFERENCE, **CASES[case])
    assert fast.status[0] == ref.status[0]
    a, b = _metrics(fast, case), _metrics(ref, case)
    for name in b:
        assert abs(a[name] - b[name]) <= 0.005 * abs(b[name]), (case, name, a[name], b[name])
    if case == "locked_wheel_braking":  # the wheels lock: the stiffest case for RK4
        assert ref.status[0] == "stopped"
        assert np.nanmin(ref["kappa_fl"][0]) < -0.5
    if case == "standing_start":  # from rest: v below the slip-denominator floor
        assert fast["vx_mps"][0, -1] > 15.0


def test_step_steer_at_every_speed_at_10_ms_matches_rk4():
    """ISO 7401 step steers from walking pace to near top speed (the wheel-spin mode's rate
    grows as 1/v: RK4 at 10 ms needs up to tens of substeps at 5 km/h, this scheme none)."""
    speeds = np.array([5.0, 10.0, 30.0, 150.0, 230.0])
    results = {}
    for numerics in (FAST, REFERENCE):
        res = sim.simulate(COUPE, speed_kmh=speeds, duration_s=3.0, force_demand_n=300.0,
                           steering_wheel_angle_rad=ol.iso7401_step_steer(
                               np.minimum(2000.0 / speeds, 90.0), start_s=0.5,
                               duration_s=3.0),
                           numerics=numerics)
        assert res.ok.all()
        r = res["yaw_rate_radps"]
        results[numerics.scheme] = {"steady yaw rate": r[:, -10:].mean(axis=1),
                                    "peak yaw rate": r.max(axis=1),
                                    "steady ay": res["ay_mps2"][:, -10:].mean(axis=1),
                                    "final speed": res["vx_mps"][:, -1]}
    for name, ref in results["rk4"].items():
        np.testing.assert_allclose(results["rosenbrock"][name], ref, rtol=0.005, err_msg=name)


def test_the_energy_balance_closes_at_10_ms():
    # an integration error of the scheme's order (3), far inside the 0.5 % budget
    for case in ("step_steer", "standing_start", "locked_wheel_braking"):
        res = sim.simulate(COUPE, numerics=FAST, **CASES[case])
        # seen 3.3e-3 (locked wheels, regeneration first): the energy integrals ride the
        # scheme's explicit part while the stiff forces are implicit (issue 11)
        assert abs(res.energy_balance_relative()[0]) < 5e-3, case


def test_the_energy_balance_closes_over_wltc_at_10_ms():
    """Seen -8.7e-8 (tyre slip 30.74 kJ, as RK4 at 5 ms); -1.5e-2 while the Jacobian
    estimate coupled the wheels with the forward speed alone (their left-right mode then
    oscillated at every low-speed stretch and stop)."""
    res = sim.energy.two_track_cycle(COUPE, "wltc_class3b", scheme="rosenbrock",
                                     time_step_s=0.01)
    assert res.status[0] == "ok"
    assert abs(res.energy_balance_relative()[0]) < 3e-3
    # the tyre's slip work of a cycle: tens of kJ (RK4 at 5 ms: 31 kJ)
    assert 2e4 < res.energy_j["tyre_slip_j"][0] < 5e4


def test_braked_wheels_come_to_rest_at_10_ms():
    """Walking pace and rest: the wheels' slips couple with the yaw rate as stiffly as with the
    forward speed, so the Jacobian estimate's hub holds the yaw rate too (with the forward
    speed alone, the left-right wheel mode grew by -2.7 per step below about 1.5 m/s and the
    wheels ended in a period-2 oscillation of 0.13 rad/s)."""
    numerics = sim.Numerics(time_step_s=0.01, output_interval_s=0.01, stop_speed_mps=0.0,
                            scheme="rosenbrock")
    res = sim.simulate(COUPE, speed_kmh=5.0, duration_s=3.0, force_demand_n=-3000.0,
                       numerics=numerics)
    omega = res["omega_fl_radps"][0, -50:]
    assert np.abs(omega).max() < 0.01  # RK4 at 1 ms: 2e-4 rad/s


def test_a_launch_at_the_grip_limit_keeps_its_slip_at_10_ms():
    """A demand stepped onto tyres at rest: the W-method's first stage overshoots the slip by
    1 / gamma into the tyre's nonlinear range, so such steps go to RK4 (sim.integrator.
    SLIP_TOLERANCE). Without that the first sample's slip was 0.12 against RK4's 0.044, and
    at 1.1 m g the wheels spun up (slip 3.5 against 0.064)."""
    demand = np.array([0.9, 1.0, 1.1]) * 9.81 * sim.mass_properties(COUPE).mass_kg[0]
    peaks = {}
    for numerics in (FAST, REFERENCE):
        res = sim.simulate(COUPE, speed_kmh=0.0, duration_s=1.0, force_demand_n=demand,
                           numerics=numerics)
        peaks[numerics.scheme] = np.max([res[f"kappa_{w}"].max(axis=1)
                                         for w in ("fl", "fr", "rl", "rr")], axis=0)
    np.testing.assert_allclose(peaks["rosenbrock"], peaks["rk4"], rtol=0.02)


@pytest.mark.slow
def test_steady_state_circle_at_10_ms_matches_rk4():
    fast = constant_radius(COUPE, numerics=FAST)
    ref = constant_radius(COUPE, numerics=sim.Numerics(time_step_s=0.002,
                                                        output_interval_s=0.01, scheme="rk4"))
    for name in ("understeer_gradient_deg_per_g", "sideslip_gradient_deg_per_g",
                 "max_steady_lateral_acceleration_mps2"):
        np.testing.assert_allclose(fast[name], ref[name], rtol=0.005, err_msg=name)


def test_stop_and_go_stands_still_and_starts_again():
    """A drive-cycle-like speed target (stop_speed_mps = 0): braked to rest by the module
    (which regenerates), the car stands on its brakes with zero speed (no creep backwards, no
    NaN in slip) and starts again when the target rises."""
    t = np.array([0.0, 6.0, 12.0, 18.0, 24.0])
    target = ol.Profile(t, np.array([[0.0, 30.0, 0.0, 0.0, 30.0]]))
    numerics = sim.Numerics(time_step_s=0.01, output_interval_s=0.01, stop_speed_mps=0.0,
                            scheme="rosenbrock")
    for controller in ("adm", "passive"):
        res = sim.simulate(COUPE, speed_kmh=0.0, duration_s=24.0, target_speed_kmh=target,
                           controller=controller, numerics=numerics)
        assert res.status[0] == "ok", controller
        vx = res["vx_mps"][0]
        time = res.time_s
        assert np.all(np.isfinite(vx)) and np.all(np.isfinite(res["kappa_fl"][0]))
        assert vx.min() > -0.05, controller           # no rolling backwards
        assert vx[np.searchsorted(time, 6.0)] > 6.0   # started (30 km/h target)
        standing = (time > 14.0) & (time < 18.0)
        assert np.abs(vx[standing]).max() < 0.05, controller  # stands
        assert vx[-1] > 5.0, controller                 # and starts again


def test_scheme_must_be_known():
    with pytest.raises(sim.errors.SpecError, match="scheme.*euler"):
        sim.Numerics(scheme="euler")


@pytest.mark.slow
def test_two_track_wltc_with_the_module_runs_to_the_end():
    """Issue 11/12: the two-track WLTC with the dynamic module (regenerating) no longer ends
    at the trace's first standstill: it stops and starts again through every stop."""
    res = sim.energy.two_track_cycle(COUPE, "wltc_class3b", controller="adm")
    assert res.status[0] == "ok"
    assert res.end_time_s[0] == pytest.approx(1800.0, abs=1.0)
    vx = res["vx_mps"][0]
    assert np.all(np.isfinite(vx)) and vx.min() > -0.05
    assert res.energy_j["regenerated_j"][0] > 0.0
    assert abs(res.energy_balance_relative()[0]) < 5e-3
