"""Side-by-side energy figures of vehicles: what ``python -m sim range`` and the demo print.

:func:`energy_rows` gives, per vehicle, its mass, WLTC (or another cycle's) consumption at the
battery terminals and at the plug, range (consecutive-cycle procedure,
:func:`sim.energy.driving_range`), the energy regenerated, and for a combustion car its fuel
consumption and CO2.
"""

from __future__ import annotations

import numpy as np

from sim.energy.cycle import drive_cycle, powertrain_kind
from sim.energy.range import driving_range
from sim.spec.vehicle import DEFAULT_LOAD_CASE, Vehicle


def energy_row(vehicle: Vehicle, cycle="wltc_class3b", *,
               load_case: str = DEFAULT_LOAD_CASE) -> dict:
    """Energy figures of one vehicle (a single member) over ``cycle``: ``variant``,
    ``powertrain``, ``mass_kg``, ``consumption_battery_kwh_per_100km`` (one cycle, battery
    terminals), ``consumption_plug_kwh_per_100km`` and ``range_km`` (consecutive cycles to
    break-off, recharged through the on-board charger), ``regenerated_pct`` (energy returned
    to the battery over one cycle, % of the energy drawn), ``fuel_l_per_100km``,
    ``co2_g_per_km`` (combustion; NaN for electric and vice versa)."""
    from sim.mass import mass_properties

    kind = str(powertrain_kind(vehicle)[0])
    run = drive_cycle(vehicle, cycle, load_case=load_case, record=False)
    e = run.energy_j
    row = {"variant": vehicle.name or "<vehicle>", "powertrain": kind,
           "mass_kg": float(mass_properties(vehicle, load_case).mass_kg[0]),
           "consumption_battery_kwh_per_100km": np.nan, "consumption_plug_kwh_per_100km": np.nan,
           "range_km": np.nan, "regenerated_pct": np.nan,
           "fuel_l_per_100km": float(run.fuel_l_per_100km[0]),
           "co2_g_per_km": float(run.co2_g_per_km[0])}
    if kind == "electric":
        drawn = e["battery_terminal_j"][0] + e["regenerated_j"][0]
        rng = driving_range(vehicle, cycle, load_case=load_case)
        row.update(
            consumption_battery_kwh_per_100km=float(run.terminal_consumption_wh_per_km[0]) / 10,
            consumption_plug_kwh_per_100km=float(rng.consumption_plug_kwh_per_100km[0]),
            range_km=float(rng.range_km[0]),
            regenerated_pct=float(100.0 * e["regenerated_j"][0] / drawn))
    return row


__all__ = ["energy_row"]
