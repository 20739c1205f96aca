"""800 V against 400 V (sim.energy.bus_voltage): each difference from physics that can be
named - the same cells lose the same inside the pack, the rewound machines the same copper,
the cables four times as much at equal cross-section, the charger's current limit binds."""

from __future__ import annotations

import pytest

import sim
from sim.energy.bus_voltage import compare_bus_voltages, for_bus_voltage
from sim.mass import mass_properties
from sim.powertrain.cable import COPPER_DENSITY_KG_M3


@pytest.fixture(scope="module")
def rows():
    coupe = sim.load_vehicle("coupe")
    return {cables: {r["bus_voltage_v"]: r for r in compare_bus_voltages(coupe, cables=cables)}
            for cables in ("equal_cross_section", "equal_loss")}


def test_rebuild_keeps_cells_energy_and_machine_power():
    coupe = sim.load_vehicle("coupe")
    low = for_bus_voltage(coupe, 400.0)
    assert low.battery.cells_in_series == coupe.battery.cells_in_series / 2
    assert {n: p.energy_kwh for n, p in low.packs.items()} == \
        {n: p.energy_kwh for n, p in coupe.packs.items()}
    for name, motor in coupe.drivetrain.motors.items():
        assert low.drivetrain.motors[name].peak_power_kw == motor.peak_power_kw
        assert low.drivetrain.motors[name].peak_torque_nm == motor.peak_torque_nm
    assert low.drivetrain.high_voltage.nominal_voltage_v == 400.0
    # equal cross-section: same mass; equal loss: 4x the copper, added to the cabling
    assert mass_properties(low).mass_kg[0] == pytest.approx(mass_properties(coupe).mass_kg[0])
    heavy = for_bus_voltage(coupe, 400.0, cables="equal_loss")
    hv = coupe.drivetrain.high_voltage
    extra = 3 * 2 * hv.cable_length_m * 3 * hv.cable_cross_section_mm2 * 1e-6 \
        * COPPER_DENSITY_KG_M3  # three runs, two conductors, area 1 -> 4
    assert mass_properties(heavy).mass_kg[0] - mass_properties(coupe).mass_kg[0] == \
        pytest.approx(extra, rel=1e-9)


def test_losses_move_where_physics_says(rows):
    same = rows["equal_cross_section"]
    hi, lo = same[800.0], same[400.0]
    # the same cells at (almost) the same power: the same loss inside the pack
    assert lo["battery_wh_per_km"] == pytest.approx(hi["battery_wh_per_km"], rel=0.01)
    # rewound machines: the same copper at the same torque
    assert lo["machine_wh_per_km"] == pytest.approx(hi["machine_wh_per_km"], rel=0.002)
    # twice the current through the same copper: about four times the cable loss
    assert lo["cable_wh_per_km"] / hi["cable_wh_per_km"] == pytest.approx(4.0, rel=0.1)
    # the resized cables take the loss back
    resized = rows["equal_loss"][400.0]
    assert resized["cable_wh_per_km"] == pytest.approx(hi["cable_wh_per_km"], rel=0.1)
    assert resized["mass_kg"] > hi["mass_kg"] + 10.0


def test_charging_is_slower_at_400_v_on_the_same_charger(rows):
    hi, lo = rows["equal_cross_section"][800.0], rows["equal_cross_section"][400.0]
    assert lo["charge_10_80_min"] > hi["charge_10_80_min"]
    assert lo["peak_charge_kw"] <= 500.0 * 400.0 * 1.1 / 1e3  # 500 A near the pack voltage
    assert 12.0 < hi["charge_10_80_min"] < 25.0  # REFERENCES §7: 800 V cars 14-18 min
    # the same battery cap bounds the peak wheel power at both voltages
    assert lo["peak_wheel_power_kw"] == pytest.approx(hi["peak_wheel_power_kw"], rel=0.01)


def test_bad_rebuilds_are_refused():
    coupe = sim.load_vehicle("coupe")
    with pytest.raises(sim.SpecError, match="bus_voltage_v"):
        for_bus_voltage(coupe, 333.0)  # 192 x 333/800 = 79.92 cells in series
    with pytest.raises(sim.SpecError, match="cables"):
        for_bus_voltage(coupe, 400.0, cables="thicker")
    with pytest.raises(sim.SpecError, match="high_voltage"):
        for_bus_voltage(sim.load_vehicle("coupe_ice"), 400.0)
