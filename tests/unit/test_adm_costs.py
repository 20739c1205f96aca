"""sim.adm.costs on hand-made signals (tyre utilisation, machine and friction-brake energy),
and on a real run against the tyre model's own peak friction."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.adm import COST_UNITS, costs, tyre_peak_friction
from sim.adm.costs import _peak_friction_per_sample
from sim.result import Result

WHEELS = ("fl", "fr", "rl", "rr")


def _result(time, channels, road_friction):
    n = next(iter(channels.values())).shape[0]
    return Result(time_s=np.asarray(time), channels=channels, units={},
                  status=np.array(["ok"] * n), end_time_s=np.full(n, time[-1]),
                  end_state={}, parameters={"road_friction": np.asarray(road_friction)})


def _signals():
    """Two members over 0..2 s, 201 samples: member 0 drives with 500 N·m on each rear wheel
    at 50 rad/s (50 kW), then regenerates -250 N·m from t = 1 s (-25 kW), wheel loads 4 kN,
    forces Fx 3 kN and Fy 4 kN on FL (5 kN: utilisation 5/(mu 4)), 0 elsewhere; member 1 brakes
    by friction 200 N·m on every wheel at 40 rad/s and ends (NaN) after t = 1.5 s."""
    t = np.linspace(0.0, 2.0, 201)
    shape = (2, t.size)
    ch = {f"{q}_{w}_{u}": np.zeros(shape) for q, u in (("fx", "n"), ("fy", "n"),
                                                          ("drive_torque", "nm"),
                                                          ("brake_torque", "nm"))
          for w in WHEELS}
    for w in WHEELS:
        ch[f"fz_{w}_n"] = np.full(shape, 4000.0)
        ch[f"omega_{w}_radps"] = np.array([np.full(t.size, 50.0), np.full(t.size, 40.0)])
    ch["fx_fl_n"][0], ch["fy_fl_n"][0] = 3000.0, 4000.0
    ch["fy_fr_n"][0, 100] = 4000.0  # one sample at 4 kN: the peak
    for w in ("rl", "rr"):
        ch[f"drive_torque_{w}_nm"][0] = np.where(t < 1.0 - 1e-9, 500.0, -250.0)
    for w in WHEELS:
        ch[f"brake_torque_{w}_nm"][1] = 200.0
    for name in ch:
        ch[name][1, t > 1.5 + 1e-9] = np.nan
    return t, ch


def test_costs_of_hand_made_signals():
    t, ch = _signals()
    got = costs(_result(t, ch, [0.8, 1.0]), 1.25)  # mu = 0.8 x 1.25 = 1 for member 0
    assert set(got) == set(COST_UNITS)
    assert got["mean_utilisation_fl"] == pytest.approx([5000.0 / 4000.0, 0.0])
    assert got["peak_utilisation_fl"] == pytest.approx([1.25, 0.0])
    assert got["peak_utilisation_fr"][0] == pytest.approx(1.0)
    assert got["mean_utilisation_fr"][0] == pytest.approx(1.0 / 201)
    assert got["mean_utilisation"][0] == pytest.approx((1.25 + 1.0 / 201) / 4)
    assert got["peak_utilisation"] == pytest.approx([1.25, 0.0])
    # member 0: 2 x 500 N·m x 50 rad/s = 50 kW for 1 s (the step between two samples
    # 10 ms apart counts half: trapezoid), then 25 kW regenerated
    assert got["machine_energy_drawn_j"][0] == pytest.approx(50e3 * 0.995, rel=1e-12)
    assert got["machine_energy_recovered_j"][0] == pytest.approx(25e3 * 1.005, rel=1e-12)
    assert got["friction_brake_energy_j"][0] == 0.0
    # member 1: 4 x 200 N·m x 40 rad/s = 32 kW of brake heat for the 1.5 s it ran
    assert got["friction_brake_energy_j"][1] == pytest.approx(32e3 * 1.5, rel=1e-12)
    assert got["machine_energy_drawn_j"][1] == 0.0
    # a window; per-wheel coefficients
    late = costs(_result(t, ch, [0.8, 1.0]), np.full((2, 4), 1.25), t_from_s=1.0)
    assert late["machine_energy_drawn_j"][0] == 0.0
    assert late["machine_energy_recovered_j"][0] == pytest.approx(25e3, rel=1e-12)


def test_costs_refuse_bad_input():
    t, ch = _signals()
    res = _result(t, ch, [1.0, 1.0])
    with pytest.raises(sim.SpecError, match="tyre_peak_friction"):
        costs(res, -1.0)
    with pytest.raises(sim.SpecError, match="t_from_s"):
        costs(res, 1.0, t_from_s=5.0)
    del ch["omega_fl_radps"]
    with pytest.raises(sim.SpecError, match="omega_fl_radps"):
        costs(res, 1.0)


def test_costs_of_a_run_with_the_tyre_model_peak():
    # 2 kN of drive at 80 km/h, straight, module off: the machines' work is the force times
    # the wheels' speed (the ground speed plus their slip), no regeneration, no braking
    coupe = sim.load_vehicle("coupe")
    res = sim.simulate(coupe, speed_kmh=80.0, duration_s=1.0, force_demand_n=2000.0)
    by_vehicle = costs(res, coupe)
    nominal = costs(res, tyre_peak_friction(coupe))
    ground_work = np.trapezoid(2000.0 * res["vx_mps"][0], res.time_s)
    assert by_vehicle["machine_energy_drawn_j"][0] == pytest.approx(ground_work, rel=0.01)
    assert by_vehicle["machine_energy_drawn_j"][0] > ground_work
    assert by_vehicle["machine_energy_recovered_j"][0] == 0.0
    assert by_vehicle["friction_brake_energy_j"][0] == 0.0
    fz = res.per_wheel("fz_{w}_n")[0, -1]
    fx = res.per_wheel("fx_{w}_n")[0, -1]
    mu = tyre_peak_friction(coupe)[0]
    assert nominal["peak_utilisation"][0] == pytest.approx(np.max(np.abs(fx) / (mu * fz)),
                                                           rel=0.05)
    # the load-dependent peak differs from the nominal one by the load sensitivity only
    assert by_vehicle["mean_utilisation"][0] == pytest.approx(nominal["mean_utilisation"][0],
                                                              rel=0.1)


def test_the_load_dependent_peak_reads_each_members_tyre_scaling():
    # LMUY scales the lateral peak friction linearly (MF 6.1: D_y = mu_y Fz, mu_y ~ LMUY), so
    # a member with LMUY 0.8 uses its tyres 1 / 0.8 times as much in the same run
    coupe = sim.load_vehicle("coupe")
    res = sim.simulate(coupe, speed_kmh=80.0, duration_s=0.5, force_demand_n=2000.0,
                       steering_wheel_angle_rad=0.05)
    pair = sim.set_params(coupe, {"tyres.front.scaling.LMUY": np.array([1.0, 0.8]),
                                  "tyres.rear.scaling.LMUY": np.array([1.0, 0.8])})
    fz = res.per_wheel("fz_{w}_n")
    peaks = _peak_friction_per_sample(pair, np.concatenate([fz, fz]))
    np.testing.assert_allclose(peaks[1], 0.8 * peaks[0], rtol=1e-12)
    np.testing.assert_array_equal(_peak_friction_per_sample(coupe, fz)[0], peaks[0])
    with pytest.raises(sim.errors.SpecError, match="batch of 2"):
        costs(res, pair)


def test_electrical_costs_of_a_run():
    # the same drive: at the battery terminals the machines' work plus what the drive units
    # lose plus the auxiliaries (an identity at every sample, so exact to rounding after the
    # same trapezoid); the losses by component are the run's energy accounts
    coupe = sim.load_vehicle("coupe")
    res = sim.simulate(coupe, speed_kmh=80.0, duration_s=1.0, force_demand_n=2000.0)
    got = costs(res, coupe)
    aux_w = res.parameters["aux_power_w"][0]
    assert aux_w > 0.0
    assert got["battery_energy_drawn_j"][0] == pytest.approx(
        got["machine_energy_drawn_j"][0] + got["drive_unit_loss_j"][0] + aux_w * 1.0,
        rel=1e-9)
    assert got["battery_energy_recovered_j"][0] == 0.0
    # drive units at ~45 kW: a few per cent lost between the bus and the wheels
    assert 0.01 < got["drive_unit_loss_j"][0] / got["machine_energy_drawn_j"][0] < 0.15
    e = res.energy_j
    for term in ("battery_heat_j", "inverter_j", "machine_copper_j", "gear_j", "tyre_slip_j"):
        assert got[term][0] == e[term][0] > 0.0
    assert got["drive_unit_loss_j"][0] == pytest.approx(
        sum(e[k][0] for k in ("cable_j", "inverter_j", "machine_copper_j", "machine_iron_j",
                              "machine_friction_j", "drive_unit_lumped_j", "gear_j")), rel=1e-3)
    windowed = costs(res, coupe, t_from_s=0.5)
    assert np.isnan(windowed["battery_heat_j"][0])  # whole-run accounts only


def test_electrical_costs_are_nan_without_a_battery():
    t, ch = _signals()
    got = costs(_result(t, ch, [1.0, 1.0]), 1.0)
    for name in ("battery_energy_drawn_j", "drive_unit_loss_j", "battery_heat_j"):
        assert np.all(np.isnan(got[name]))
