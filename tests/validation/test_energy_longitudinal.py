"""The longitudinal cycle model (sim.energy): energy balance, cycle kinematics, a closed-form
acceleration, step convergence, limits, and plausibility of the built-in variants."""

from __future__ import annotations

import dataclasses
import types

import numpy as np
import pytest

import sim
from sim.cycles import DriveCycle, load_cycle
from sim.energy import ENERGY_TERMS, SINK_TERMS, SUPPLY_TERMS, drive_cycle, driving_range
from sim.powertrain.electric_machine import shaft_torque_limit_nm
from sim.spec.energy import Energy

VARIANTS = ("coupe", "spider", "gt2plus2", "crossover_gt", "coupe_ice")


@pytest.fixture(scope="module")
def wltc_runs():
    return {name: drive_cycle(sim.load_vehicle(name), "wltc_class3b") for name in VARIANTS}


def test_terms_partition_the_balance():
    assert set(SUPPLY_TERMS).isdisjoint(SINK_TERMS)
    assert set(SUPPLY_TERMS) | set(SINK_TERMS) <= set(ENERGY_TERMS)
    assert "battery_terminal_j" not in SINK_TERMS  # a flow inside the balance, not a sink


@pytest.mark.parametrize("name", VARIANTS)
def test_wltc_balance_distance_and_band(wltc_runs, name):
    """Every joule accounted for: supplies = sinks to rounding; the car follows the trace:
    the published WLTC 3b distance (23.266 km) and no excursion from the GTR 15 band."""
    r = wltc_runs[name]
    assert r.status[0] == "ok"
    assert abs(r.balance_error()[0]) < 1e-9
    assert r.distance_km[0] == pytest.approx(23.266, abs=0.001)
    assert r.violations() == []
    for term in SINK_TERMS:
        if term not in ("battery_rc_stored_j", "kinetic_j", "potential_j"):
            assert r.energy_j[term][0] >= 0.0, term
    assert abs(r.energy_j["kinetic_j"][0]) < 1.0  # starts and ends at rest
    assert r.energy_j["tyre_slip_j"][0] == 0.0  # the point-mass model rolls without slip


def test_plausible_consumption(wltc_runs):
    """REFERENCES §7: 800 V sports EVs 15-22 kWh/100 km WLTP at the plug (terminal figures
    are lower by the charging losses); a small mid-engine petrol sports coupe 6-7 l/100 km,
    about 138-160 g CO2/km."""
    for name in ("coupe", "spider", "gt2plus2", "crossover_gt"):
        wh_per_km = wltc_runs[name].terminal_consumption_wh_per_km[0]
        assert 110.0 < wh_per_km < 200.0, (name, wh_per_km)
    ice = wltc_runs["coupe_ice"]
    assert 5.5 < ice.fuel_l_per_100km[0] < 8.0
    assert 125.0 < ice.co2_g_per_km[0] < 185.0
    assert np.isnan(ice.terminal_consumption_wh_per_km[0])
    assert np.isnan(wltc_runs["coupe"].fuel_l_per_100km[0])
    # the heavier, taller crossover uses more than the coupé; the coupé regenerates
    assert (wltc_runs["crossover_gt"].terminal_consumption_wh_per_km[0]
            > wltc_runs["coupe"].terminal_consumption_wh_per_km[0])
    assert wltc_runs["coupe"].energy_j["regenerated_j"][0] > 0.0


@pytest.mark.parametrize("name", ["coupe", "coupe_ice"])
def test_halving_the_step_moves_consumption_less_than_half_a_percent(name):
    v = sim.load_vehicle(name)
    coarse = drive_cycle(v, "wltc_class3b", record=False)  # the default 1 s step
    fine = drive_cycle(v, "wltc_class3b", step_s=0.5, record=False)
    key = "fuel_chemical_j" if name == "coupe_ice" else "battery_terminal_j"
    assert coarse.energy_j[key][0] == pytest.approx(fine.energy_j[key][0], rel=0.005)


def _lossless_coupe(power_cap_kw: float):
    """The coupé with lossless drive units (no [losses]), no road load, no auxiliaries and
    the battery's discharge power capped at ``power_cap_kw``."""
    v = sim.load_vehicle("coupe")
    dt = v.drivetrain
    motors = types.MappingProxyType(
        {n: dataclasses.replace(m, losses=None) for n, m in dt.motors.items()})
    dt = dataclasses.replace(dt, motors=motors, battery_discharge_power_limit_kw=power_cap_kw)
    return dataclasses.replace(
        v, drivetrain=dt, energy=Energy(auxiliary_power_kw=0.0),
        wheels=dataclasses.replace(v.wheels, rolling_resistance_coefficient=0.0),
        aero=dataclasses.replace(v.aero, drag_area_m2=0.0))


def test_constant_power_acceleration_matches_the_closed_form():
    """Flat road, no losses, no road load, every machine torque-limited until the battery's
    100 kW cap binds, then constant power: t(v) = m v1 / F0 + m (v² - v1²) / (2 P) with
    v1 = P / F0, m the effective mass (spin inertias included) and F0 the machines' summed
    torque limits at the wheels."""
    car = _lossless_coupe(100.0)
    dt_s = 0.01
    t = np.arange(0.0, 20.0 + dt_s / 2, dt_s)
    trace = DriveCycle("step to 300 km/h", t, np.where(t > 0.0, 300.0 / 3.6, 0.0))
    r = drive_cycle(car, trace, step_s=dt_s, soc=0.9)
    lp = sim.params.longitudinal_parameters(car)[0]
    names = sim.energy.longitudinal.LONGITUDINAL_PARAMETER_NAMES
    col = dict(zip(names, lp, strict=True))
    radius = col["wheel_radius_m"]
    m_eff = col["mass_kg"] + col["spin_inertia_kgm2"] / radius**2
    f0 = sum(col[f"machine{k}_peak_torque_nm"] * col[f"machine{k}_gear_ratio"]
             for k in range(3)) / radius
    power = 100e3
    v1 = power / f0
    target = 100.0 / 3.6
    t_closed = m_eff * v1 / f0 + m_eff * (target**2 - v1**2) / (2.0 * power)
    t_sim = np.interp(target, r["speed_mps"][0], r.time_s)
    assert t_sim == pytest.approx(t_closed, rel=2e-3)
    # and the battery delivered exactly the cap, lossless: terminal energy = kinetic energy
    assert r.energy_j["battery_terminal_j"][0] == pytest.approx(
        r.energy_j["kinetic_j"][0], rel=1e-9)


def test_no_machine_or_battery_limit_is_exceeded_on_us06():
    """The hardest built-in cycle (US06) on the coupé: every machine within its envelope at
    the speed it acted at, the battery within its available discharge and charge power."""
    v = sim.load_vehicle("coupe")
    r = drive_cycle(v, "us06", step_s=0.25)
    lp = sim.params.longitudinal_parameters(v)[0]
    names = sim.energy.longitudinal.LONGITUDINAL_PARAMETER_NAMES
    col = dict(zip(names, lp, strict=True))
    for k in range(3):
        torque = np.abs(r[f"machine{k}_torque_nm"][0][1:])
        speed = r[f"machine{k}_speed_radps"][0][1:]
        limit = np.array([shaft_torque_limit_nm(col[f"machine{k}_peak_torque_nm"],
                                                col[f"machine{k}_peak_power_w"],
                                                col[f"machine{k}_max_speed_radps"], w)
                          for w in speed])
        assert np.all(torque <= limit * (1 + 1e-9) + 1e-9)
    p = r["battery_power_w"][0][1:]
    assert np.all(p <= r["available_discharge_power_w"][0][1:] * (1 + 1e-9))
    assert np.all(-p <= r["available_charge_power_w"][0][1:] * (1 + 1e-9) + 1.0)


def test_a_batch_equals_its_single_runs():
    v = sim.load_vehicle("coupe")
    batch = sim.set_params(v, {"packs.front.energy_kwh": [20.0, 26.0, 32.0]})
    together = drive_cycle(batch, "udds", record=False)
    for i in range(3):
        alone = drive_cycle(sim.member(batch, i), "udds", record=False)
        for term in ENERGY_TERMS:
            assert together.energy_j[term][i] == alone.energy_j[term][0]


def test_range_of_the_coupe_is_plausible_and_ends_at_break_off():
    r = driving_range(sim.load_vehicle("coupe"))
    assert r.status[0] in ("fell out of the speed band", "battery empty")
    assert 350.0 < r.range_km[0] < 650.0
    assert r.end_soc[0] < 0.05
    plug = r.consumption_plug_kwh_per_100km[0]
    battery = r.consumption_battery_kwh_per_100km[0]
    assert battery < plug < battery / 0.85  # the charger's 90 % and the cells' own loss
    assert 13.0 < plug < 22.0


def test_bad_arguments_are_refused():
    v = sim.load_vehicle("coupe")
    with pytest.raises(sim.SpecError, match="vehicle"):
        drive_cycle("coupe")
    with pytest.raises(sim.SpecError, match="step_s"):
        drive_cycle(v, step_s=0.0)
    with pytest.raises(sim.SpecError, match="step_s"):
        drive_cycle(v, step_s=2.0)  # longer than the trace's 1 s sampling
    with pytest.raises(sim.SpecError, match="repeat"):
        drive_cycle(v, repeat=1.5)
    with pytest.raises(sim.SpecError, match="soc"):
        drive_cycle(v, soc=1.2)
    with pytest.raises(sim.SpecError, match="cycle"):
        drive_cycle(v, 42)
    with pytest.raises(sim.SpecError, match="no_such_cycle|cycle"):
        drive_cycle(v, "no_such_cycle")
    with pytest.raises(sim.SpecError, match="battery"):
        driving_range(sim.load_vehicle("coupe_ice"))


def test_cycle_result_reports_units_and_kwh():
    r = drive_cycle(sim.load_vehicle("coupe"), load_cycle("hwfet"))
    table = r.energy_table_kwh()
    assert table["aero_kwh"][0] == pytest.approx(r.energy_j["aero_j"][0] / 3.6e6)
    assert r.units["battery_power_w"] == "W"
    with pytest.raises(KeyError, match="no channel"):
        r["nope"]
