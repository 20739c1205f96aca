"""Issue 9 examples that need a run: a standing start, tyre loads beyond FZMAX flagged per
member and time, an unreachable step-steer target, the module's tuning at the top of its
ranges (response times after the step)."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim import maneuvers
from sim.spec.adm import Adm
from sim.spec.fields import file_key
from sim.spec.vehicle import fields_of

COUPE = sim.load_vehicle("coupe")


def test_standing_start_runs_and_is_finite():
    res = sim.simulate(COUPE, speed_kmh=0.0, duration_s=2.0, force_demand_n=8000.0)
    assert res.status.tolist() == ["ok"] and res.end_time_s[0] == pytest.approx(2.0)
    vx = res["vx_mps"][0]
    assert np.all(np.isfinite(vx)) and np.all(np.diff(vx) >= -1e-9)
    # 8 kN on about 1.8 t: roughly 4 m/s² less the driving resistance, 8 m/s after 2 s
    assert 6.0 < vx[-1] < 9.5
    # braking to rest is still a normal end, "stopped"
    stop = sim.simulate(COUPE, speed_kmh=30.0, duration_s=4.0, force_demand_n=-12000.0)
    assert stop.status.tolist() == ["stopped"] and stop.end_time_s[0] < 1.5


def test_wheel_loads_beyond_fzmax_are_flagged_per_member_and_time():
    batch = sim.set_params(COUPE, {"aero.front_downforce_area_m2": [0.1, 5.0],
                                   "aero.rear_downforce_area_m2": [0.1, 5.0]})
    res = sim.simulate(batch, speed_kmh=300.0, duration_s=0.5, steering_wheel_angle_rad=0.02)
    assert res.status.tolist() == ["ok", "ok"]  # it ran ...
    assert res.flagged.tolist() == [False, True]  # ... but member 1 left the tyre's range
    assert res.flags["tyre_load_fl"][1].all() and not res.flags["tyre_load_fl"][0].any()
    assert np.max(res["fz_fl_n"][1]) > 10_400.0
    report = res.flag_report()
    assert any(line.startswith("member 1: FL wheel load (fz_fl_n) outside the tyre's "
                               "FZMIN..FZMAX = 0..10400 N") for line in report)
    assert not any(line.startswith("member 0") for line in report)
    # a tyre file the package ships is named from the package, the same on every machine
    assert "(sim/vehicles/tyres/" in res.flag_notes["tyre_load_fl"]
    # recording nothing keeps the validity: the kernel widens each member's extremes of the
    # flags' channels at every step, whatever it records
    end = sim.simulate(batch, speed_kmh=300.0, duration_s=0.5, steering_wheel_angle_rad=0.02,
                       record=())
    assert end.flags == {} and end.flagged.tolist() == [False, True]
    assert end.step_flags["tyre_load_fl"].tolist() == [False, True]
    for name in ("fz_fl_n", "kappa_rr", "slip_angle_rl_rad", "steering_wheel_angle_rad"):
        np.testing.assert_array_equal(end.extremes[name], res.extremes[name])
        # the output interval is the step here: the extremes are the recording's min and max
        np.testing.assert_array_equal(res.extremes[name],
                                      np.stack([res[name].min(1), res[name].max(1)], axis=1))
    assert any(line.startswith("member 1: FL wheel load (fz_fl_n)")
               and "channel not recorded; over every step 1.46e+04..1.485e+04" in line
               for line in end.flag_report())


def test_an_excursion_between_recorded_samples_is_flagged():
    """0.15 s of 4 kN·m on each rear wheel at 20 km/h spins them to a slip of 4.1, beyond the
    file's KPUMAX = 1, and back below 1 within 0.5 s: samples 0.5 s apart show nothing, the
    check at every step does."""
    pulse = sim.driver.table([0.0, 0.1, 0.1001, 0.25, 0.2501, 1.0],
                             [0.0, 0.0, 4000.0, 4000.0, 0.0, 0.0])
    runs = {dt: sim.simulate(COUPE, speed_kmh=20.0, duration_s=1.0, controller="direct",
                             drive_torque_nm=[0.0, 0.0, pulse, pulse],
                             numerics=sim.Numerics(output_interval_s=dt))
            for dt in (0.01, 0.5)}
    fine, coarse = runs[0.01], runs[0.5]
    assert fine["kappa_rl"].max() > 4.0 and np.abs(coarse["kappa_rl"]).max() < 1.0
    assert fine.flags["tyre_slip_ratio_rl"].any() and not coarse.flags["tyre_slip_ratio_rl"].any()
    assert fine.flagged.tolist() == coarse.flagged.tolist() == [True]
    np.testing.assert_array_equal(coarse.extremes["kappa_rl"], fine.extremes["kappa_rl"])
    assert coarse.step_flags["tyre_slip_ratio_rl"].tolist() == [True]
    assert not coarse.step_flags["tyre_slip_ratio_fl"].any()  # the front wheels only roll
    assert any("RL longitudinal slip (kappa_rl)" in line and "in no recorded sample" in line
               for line in coarse.flag_report())


def test_unreachable_step_steer_target_is_flagged_not_a_clipped_amplitude():
    m = maneuvers.step_steer(COUPE, target_ay_mps2=25.0, duration_s=3.0)
    assert m["target_reached"].tolist() == [False]
    assert np.isnan(m["steering_wheel_amplitude_deg"][0])
    assert np.isnan(m["yaw_rate_response_time_s"][0])
    assert abs(m.labels["amplitude_tried_deg"][0]) <= COUPE.steering.steering_wheel_lock_deg
    ok = maneuvers.step_steer(COUPE, duration_s=3.0)
    assert ok["target_reached"].tolist() == [True]
    assert ok["yaw_rate_response_time_s"][0] > 0.0


def test_adm_tuning_at_the_top_of_its_ranges_never_gives_a_negative_response_time():
    top = {}
    for f in fields_of(Adm):
        meta = f.metadata
        if meta["kind"] == "quantity" and meta.get("le") is not None:
            top[f"adm.{f.name}"] = meta["le"]
    assert file_key  # the stored names are the dotted paths
    car = sim.set_params(COUPE, {k: v for k, v in top.items() if k in sim.param_paths(COUPE)})
    m = maneuvers.step_steer(car, controller="adm", duration_s=3.0,
                             steering_wheel_amplitude_deg=30.0)
    rt = m["yaw_rate_response_time_s"][0]
    assert (not m["run_ok"][0]) or rt >= 0.0
    assert (not m["run_ok"][0]) or m["lateral_acceleration_response_time_s"][0] >= 0.0
