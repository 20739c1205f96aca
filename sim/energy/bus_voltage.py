"""800 V against 400 V: the same car built for another bus voltage, and the comparison.

:func:`for_bus_voltage` rebuilds an electric vehicle for another nominal bus voltage with
every difference coming from physics that can be named:

* **battery**: the same cells rewired (:func:`sim.powertrain.battery.rewire_cells`): half
  the cells in series and twice the strings at 400 V, so the same energy, mass and cell
  currents at the same power; the loss inside the pack is exactly the same (tested);
* **machines**: rewound for the voltage (half the turns, twice the conductor section: the
  same copper volume, so the same copper loss at the same torque) with the same power and
  envelope (:func:`sim.spec.electric_drive.drivetrain_for_bus_voltage`);
* **inverters**: the catalogue device of the same technology for the voltage class (a 400 V
  design uses 650/750 V devices, with their own conduction and switching figures);
* **DC cables**: either the same copper cross-section (``cables="equal_cross_section"``:
  twice the current, four times the loss, same mass) or resized for the same loss
  (``"equal_loss"``: four times the copper, the extra mass added to the car's
  ``components.high_voltage_cabling``);
* **charging**: the same DC charger (its current limit binds sooner at half the voltage).

:func:`compare_bus_voltages` drives both over a cycle and charges both, and returns one row
per voltage: consumption, losses by component, the highest power at the wheels, the 10-80 %
charging time.
"""

from __future__ import annotations

import dataclasses
import types

import numpy as np

from sim.cycles import DriveCycle
from sim.energy.cycle import drive_cycle
from sim.errors import SpecError
from sim.powertrain.battery import rewire_cells
from sim.powertrain.cable import copper_mass_kg
from sim.powertrain.charging import Charger, charge
from sim.spec.electric_drive import CABLE_POLICIES, drivetrain_for_bus_voltage
from sim.spec.vehicle import DEFAULT_LOAD_CASE, Vehicle, require_vehicle
from sim.units import J_PER_KWH

#: The component whose mass is the HV cabling (its copper changes with the cable policy).
CABLING_COMPONENT = "high_voltage_cabling"


def nominal_bus_voltage_v(vehicle: Vehicle) -> float:
    """The voltage class [V] the vehicle's drive units are built for
    (``[drivetrain.high_voltage] nominal_voltage_v``)."""
    hv = None if vehicle.drivetrain is None else vehicle.drivetrain.high_voltage
    if hv is None or vehicle.battery is None:
        raise SpecError(vehicle.name or "<vehicle>", "drivetrain.high_voltage", None,
                        "an electric car with [battery] and [drivetrain.high_voltage]")
    return float(hv.nominal_voltage_v)


def for_bus_voltage(vehicle: Vehicle, bus_voltage_v: float, *,
                    cables: str = "equal_cross_section") -> Vehicle:
    """``vehicle`` (one electric car) built for ``bus_voltage_v`` [V] (see the module
    docstring). The cells in series scale with the voltage and must stay a whole number."""
    require_vehicle(vehicle)
    if vehicle.batch_size != 1:
        raise SpecError("<argument>", "vehicle", type(vehicle).__name__,
                        "one Vehicle (not a batch: use sim.member)")
    if cables not in CABLE_POLICIES:
        raise SpecError("<argument>", "cables", cables, "one of " + ", ".join(CABLE_POLICIES))
    nominal = nominal_bus_voltage_v(vehicle)
    ratio = float(bus_voltage_v) / nominal
    series = float(vehicle.battery.cells_in_series) * ratio
    if not (series >= 1.0 and abs(series - round(series)) < 1e-9):
        raise SpecError("<argument>", "bus_voltage_v", bus_voltage_v,
                        f"a voltage giving a whole number of cells in series "
                        f"({vehicle.battery.cells_in_series:g} at {nominal:g} V)")
    rewired = rewire_cells(vehicle, round(series))
    old = vehicle.drivetrain.high_voltage
    dt = drivetrain_for_bus_voltage(rewired.drivetrain, float(bus_voltage_v), cables=cables)
    units = sum(1 for m in dt.motors.values() if m.kind == "electric")
    extra_kg = units * float(copper_mass_kg(old.cable_length_m,
                                            dt.high_voltage.cable_cross_section_mm2)
                             - copper_mass_kg(old.cable_length_m, old.cable_cross_section_mm2))
    components = dict(rewired.components)
    if CABLING_COMPONENT in components and extra_kg != 0.0:
        part = components[CABLING_COMPONENT]
        components[CABLING_COMPONENT] = dataclasses.replace(
            part, mass_kg=float(part.mass_kg) + extra_kg)
    return dataclasses.replace(rewired, drivetrain=dt,
                               components=types.MappingProxyType(components),
                               name=f"{vehicle.name} {bus_voltage_v:g} V")


def _peak_wheel_power_w(vehicle: Vehicle, load_case: str) -> float:
    """Highest power at the wheels [W] in a full-demand run from rest to 250 km/h (the
    longitudinal model saturated by the machines and the battery at 90 % SOC)."""
    t = np.arange(0.0, 30.0 + 0.05, 0.1)
    trace = DriveCycle("full demand", t, np.where(t > 0.0, 250.0 / 3.6, 0.0))
    r = drive_cycle(vehicle, trace, load_case=load_case, step_s=0.05, soc=0.9)
    return float(np.nanmax(r["tractive_force_n"][0] * r["speed_mps"][0]))


def compare_bus_voltages(vehicle: Vehicle, voltages=(800.0, 400.0), *,
                         cycle="wltc_class3b", cables: str = "equal_cross_section",
                         charger: Charger | None = None,
                         load_case: str = DEFAULT_LOAD_CASE) -> list[dict]:
    """One row (a dict) per bus voltage [V] for ``vehicle`` rebuilt by
    :func:`for_bus_voltage`: ``bus_voltage_v``, ``cells_in_series``, ``mass_kg`` (via the
    mass model), ``consumption_wh_per_km`` (battery terminals, over ``cycle``), the losses
    over the cycle per km [Wh/km] (``battery_wh_per_km``, ``cable_wh_per_km``,
    ``inverter_wh_per_km``, ``machine_wh_per_km`` (copper + iron + friction),
    ``gear_wh_per_km``), ``peak_wheel_power_kw`` and, with ``charger`` (default
    :class:`~sim.powertrain.charging.Charger`: 350 kW, 500 A, 920 V) the same for both,
    ``charge_10_80_min`` and ``peak_charge_kw``."""
    from sim.mass import mass_properties

    charger = Charger() if charger is None else charger
    rows = []
    for volts in voltages:
        car = for_bus_voltage(vehicle, volts, cables=cables)
        run = drive_cycle(car, cycle, load_case=load_case, record=False)
        e = run.energy_j
        km = run.distance_km[0]

        def per_km(*terms):
            return float(sum(e[t][0] for t in terms) / 3600.0 / km)  # noqa: B023

        charged = charge(car, 0.1, 0.8, charger=charger)
        rows.append({
            "bus_voltage_v": float(volts),
            "cells_in_series": float(car.battery.cells_in_series),
            "cable_mm2": float(car.drivetrain.high_voltage.cable_cross_section_mm2),
            "mass_kg": float(mass_properties(car, load_case).mass_kg[0]),
            "consumption_wh_per_km": float(run.terminal_consumption_wh_per_km[0]),
            "battery_wh_per_km": per_km("battery_heat_j"),
            "cable_wh_per_km": per_km("cable_j"),
            "inverter_wh_per_km": per_km("inverter_j"),
            "machine_wh_per_km": per_km("machine_copper_j", "machine_iron_j",
                                        "machine_friction_j"),
            "gear_wh_per_km": per_km("gear_j"),
            "peak_wheel_power_kw": _peak_wheel_power_w(car, load_case) / 1e3,
            "charge_10_80_min": charged.duration_s / 60.0,
            "peak_charge_kw": float(np.max(charged.terminal_power_w)) / 1e3,
            "charge_energy_kwh": charged.charger_energy_kwh,
            "cycle_energy_kwh": float(e["battery_terminal_j"][0] / J_PER_KWH),
        })
    return rows


__all__ = ["compare_bus_voltages", "for_bus_voltage", "nominal_bus_voltage_v"]
