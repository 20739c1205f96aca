"""Vehicle-file section ``[battery]``: the traction cells and how the packs are wired.

A vehicle describes each traction pack in one of two ways:

* **Simplified** (no ``[battery]`` section): ``[packs.<name>]`` gives ``energy_kwh`` and a
  pack-level ``specific_energy_wh_per_kg``; mass = energy / specific energy. A labelled
  simplification kept for mass-only and pack-split studies (:mod:`sim.mass.split`).
* **From cells** (``[battery]`` present): one cell type ``[battery.cell]``, ``cells_in_series``
  (Ns, the same for every pack: all packs sit directly in parallel on one high-voltage bus, so
  the bus forces one string voltage) and a packaging mass factor per pack. Each pack keeps its
  ``energy_kwh`` in ``[packs.<name>]`` (the knob of pack-split studies) and **must not** give
  ``specific_energy_wh_per_kg``: its number of parallel strings is
  ``Np = energy / (Ns x cell energy)`` and its mass ``Ns x Np x cell mass x packaging factor``.
  ``Np`` need not be whole: a fractional string is a continuous relaxation (as if each cell
  were proportionally larger) that keeps mass, energy and resistance affine in the energy,
  which pack-split studies rely on; the built-in files use whole numbers of strings.

The cell's energy is its capacity times the mean open-circuit voltage over the SOC window
(the trapezoid rule on the table grid, which is exactly the energy the linear-interpolated
table returns in a slow full discharge); SOC 0 and 1 are the ends of the usable window.

The cell tables live on the fixed grid :data:`SOC_GRID` (0, 10, ..., 100 % SOC); each grid
point is its own field (``ocv_at_soc_050_v``), so every point is a dotted parameter path that
:func:`sim.set_params` can vary. Temperature is not modelled (an isothermal cell at about
25 °C). :func:`pack_mass_kg` is the one function that gives a pack's mass to the mass model,
for both descriptions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from sim.errors import SpecError
from sim.spec.fields import quantity, quantity_table, section, source_of, text
from sim.units import WH_PER_KWH

#: SOC grid of every cell table, in percent (fields ``..._at_soc_000_...`` to ``_100_``).
SOC_GRID_PERCENT: tuple[int, ...] = tuple(range(0, 101, 10))
#: The same grid as fractions (0 to 1).
SOC_GRID = np.array(SOC_GRID_PERCENT, dtype=float) / 100.0


def ocv_field(pct: int) -> str:
    """Field name of the open-circuit-voltage table at ``pct`` % SOC."""
    return f"ocv_at_soc_{pct:03d}_v"


def r0_field(pct: int) -> str:
    """Field name of the series-resistance table at ``pct`` % SOC."""
    return f"r0_at_soc_{pct:03d}_ohm"


def charge_c_rate_field(pct: int) -> str:
    """Field name of the charge-current-limit table (C-rate) at ``pct`` % SOC."""
    return f"max_charge_c_rate_at_soc_{pct:03d}"


_CELL_SCALARS = [
    ("note", str, text("why these values (invented: reasoning, or source:)", default="")),
    ("capacity_ah", float, quantity("cell capacity over the usable SOC window 0..1", "Ah",
                                    gt=0.0, le=2000.0)),
    ("mass_kg", float, quantity("mass of one cell", "kg", gt=0.0, le=50.0)),
    ("min_voltage_v", float, quantity(
        "lowest allowed cell terminal voltage (discharge cut-off)", "V", gt=0.0, le=10.0)),
    ("max_voltage_v", float, quantity(
        "highest allowed cell terminal voltage (charge cut-off; constant-voltage level)", "V",
        gt=0.0, le=10.0)),
    ("max_discharge_c_rate", float, quantity(
        "peak discharge current limit as a C-rate (current / capacity in A/Ah)", "1/h",
        gt=0.0, le=100.0)),
    ("r1_to_r0_ratio", float, quantity(
        "resistance of the RC pair / series resistance R0 (same at every SOC)", "-",
        ge=0.0, le=20.0)),
    ("rc_time_constant_s", float, quantity(
        "time constant R1 C1 of the RC pair (C1 follows from R1)", "s", gt=0.0, le=10000.0)),
    ("connection_resistance_ohm", float, quantity(
        "tab, weld and busbar resistance per cell, in series with R0 (scales with the "
        "wiring exactly as the cell does)", "Ω", ge=0.0, le=1.0, default=0.0)),
]
_CELL_TABLES = (
    [(ocv_field(p), float, quantity(f"open-circuit voltage at {p} % SOC", "V", gt=0.0,
                                    le=10.0)) for p in SOC_GRID_PERCENT]
    + [(r0_field(p), float, quantity(f"series (ohmic) resistance R0 at {p} % SOC", "Ω",
                                     gt=0.0, le=10.0)) for p in SOC_GRID_PERCENT]
    + [(charge_c_rate_field(p), float, quantity(
        f"charge current limit as a C-rate at {p} % SOC (regeneration and DC charging)",
        "1/h", ge=0.0, le=100.0)) for p in SOC_GRID_PERCENT])

Cell = dataclasses.make_dataclass("Cell", _CELL_SCALARS + _CELL_TABLES, frozen=True,
                                  kw_only=True)
Cell.__module__ = __name__
Cell.__doc__ = (
    """``[battery.cell]``: one traction cell: capacity, mass, voltage and current limits, and a
    Thevenin equivalent circuit (series resistance R0 and one RC pair, R1 = r1_to_r0_ratio x R0,
    C1 = rc_time_constant_s / R1) whose open-circuit voltage, R0 and charge current limit are
    tables over SOC 0, 10, ..., 100 % (linear between points; isothermal, about 25 °C).""")


@dataclass(frozen=True, kw_only=True)
class Battery:
    """``[battery]``: the traction cells and how every pack is wired from them (packs
    directly in parallel on one high-voltage bus; see :mod:`sim.powertrain.battery`)."""

    cell: Cell = section(Cell, "the cell every pack is built from")
    cells_in_series: float = quantity(
        "cells in series in every string (Ns; one bus voltage, so the same for every pack)",
        "-", ge=1.0, le=1000.0)
    packaging_mass_factor: Mapping[str, float] = quantity_table(
        "pack mass / mass of its cells, per pack name (housing, cooling, electronics)", "-",
        ge=1.0, le=5.0)


def cell_energy_wh(cell):
    """Energy of one cell over its SOC window [Wh] = capacity x mean open-circuit voltage
    (trapezoid rule on :data:`SOC_GRID`). Float, or an array for a batch."""
    ocv = [getattr(cell, ocv_field(p)) for p in SOC_GRID_PERCENT]
    mean = (sum(ocv[1:-1]) + 0.5 * (ocv[0] + ocv[-1])) / (len(ocv) - 1)
    return cell.capacity_ah * mean


def strings_in_parallel(pack, battery):
    """Parallel strings Np of ``pack`` wired from ``battery`` = energy / (Ns x cell energy)
    (a real number; see the module docstring)."""
    return pack.energy_kwh * WH_PER_KWH / (battery.cells_in_series * cell_energy_wh(battery.cell))


def pack_mass_kg(name: str, pack, battery):
    """Mass [kg] of the pack ``name``: the ONE function the mass model reads pack masses from.

    From cells when ``battery`` is given: Ns x Np x cell mass x packaging factor of ``name``
    (= energy x factor / cell specific energy); otherwise energy / pack-level specific energy.
    """
    if battery is None:
        return pack.energy_kwh * WH_PER_KWH / pack.specific_energy_wh_per_kg
    cells = battery.cells_in_series * strings_in_parallel(pack, battery)
    return cells * battery.cell.mass_kg * battery.packaging_mass_factor[name]


def pack_specific_energy_wh_per_kg(name: str, battery):
    """Pack-level specific energy [Wh/kg] of pack ``name`` built from ``battery``'s cells: the
    value that makes the simplified description give the same mass."""
    return cell_energy_wh(battery.cell) / (battery.cell.mass_kg
                                           * battery.packaging_mass_factor[name])


def _first(value) -> float:
    return float(np.asarray(value).flat[0])


def check_battery(vehicle, source) -> None:
    """Cross-field checks of ``[battery]`` and the packs: one description per pack, a
    packaging factor for every pack and none for an unknown one, whole cells in series, at
    most two packs, rising open-circuit voltage within the cell's voltage limits."""
    b = vehicle.battery
    if b is None:
        for name, pack in vehicle.packs.items():
            if pack.specific_energy_wh_per_kg is None:
                path = f"packs.{name}.specific_energy_wh_per_kg"
                raise SpecError(source_of(source, f"packs.{name}"), path, None,
                                "required without a [battery] section (a pack's mass is "
                                "energy / specific energy unless [battery] gives its cells)")
        return
    for name, pack in vehicle.packs.items():
        if pack.specific_energy_wh_per_kg is not None:
            path = f"packs.{name}.specific_energy_wh_per_kg"
            raise SpecError(source_of(source, path), path, _first(pack.specific_energy_wh_per_kg),
                            "must be absent: with a [battery] section the pack's mass follows "
                            "from its cells (battery.packaging_mass_factor)")
    if not 1 <= len(vehicle.packs) <= 2:
        raise SpecError(source_of(source, "packs"), "packs", sorted(vehicle.packs),
                        "one or two packs on the high-voltage bus when [battery] is given")
    factors = b.packaging_mass_factor
    for name in vehicle.packs:
        if name not in factors:
            raise SpecError(source_of(source, "battery.packaging_mass_factor"),
                            "battery.packaging_mass_factor", dict(factors),
                            f"needs an entry for every pack; missing '{name}'")
    for name in factors:
        if name not in vehicle.packs:
            raise SpecError(source_of(source, "battery.packaging_mass_factor"),
                            f"battery.packaging_mass_factor.{name}", _first(factors[name]),
                            "unknown pack; packs are " + ", ".join(vehicle.packs))
    ns = np.asarray(b.cells_in_series)
    if np.any(ns != np.round(ns)):
        raise SpecError(source_of(source, "battery.cells_in_series"), "battery.cells_in_series",
                        float(ns[ns != np.round(ns)].flat[0]), "a whole number of cells >= 1")
    c = b.cell
    ocv = [np.asarray(getattr(c, ocv_field(p))) for p in SOC_GRID_PERCENT]
    for p0, p1, lo, hi in zip(SOC_GRID_PERCENT, SOC_GRID_PERCENT[1:], ocv, ocv[1:], strict=False):
        if np.any(hi <= lo):
            path = f"battery.cell.{ocv_field(p1)}"
            raise SpecError(source_of(source, path), path, _first(hi),
                            f"must exceed {ocv_field(p0)} = {_first(lo):g} V (the open-circuit "
                            "voltage rises with SOC)")
    if np.any(np.asarray(c.max_voltage_v) <= np.asarray(c.min_voltage_v)):
        raise SpecError(source_of(source, "battery.cell.max_voltage_v"),
                        "battery.cell.max_voltage_v", _first(c.max_voltage_v),
                        f"must exceed min_voltage_v = {_first(c.min_voltage_v):g} V")
    if np.any(ocv[0] < np.asarray(c.min_voltage_v)):
        path = f"battery.cell.{ocv_field(0)}"
        raise SpecError(source_of(source, path), path, _first(ocv[0]),
                        f">= min_voltage_v = {_first(c.min_voltage_v):g} V (SOC 0 is the "
                        "bottom of the usable window)")
    if np.any(ocv[-1] > np.asarray(c.max_voltage_v)):
        path = f"battery.cell.{ocv_field(100)}"
        raise SpecError(source_of(source, path), path, _first(ocv[-1]),
                        f"<= max_voltage_v = {_first(c.max_voltage_v):g} V (SOC 1 is the top "
                        "of the usable window)")
