"""Traction battery: cells, packs and the high-voltage bus, as compiled scalar kernels.

Cell (Thevenin equivalent circuit, one RC pair; PyBaMM ``equivalent_circuit.Thevenin`` form,
REFERENCES.md §7). Signs: **current > 0 discharging**, **power > 0 drawn from the battery**.

* ``dSOC/dt = -I / (3600 Q)``  (I [A] cell current, Q [Ah] capacity)
* ``dV_rc/dt = (I R1 - V_rc) / tau``  (tau = R1 C1, fixed; C1 = tau / R1)
* cell terminal voltage ``V = OCV(SOC) - V_rc - I R``, with ``R = R0(SOC) + r_c`` (series
  resistance plus the cell's share of tab, weld and busbar resistance)
* heat ``I² R + V_rc² / R1`` (the "battery internal" loss); chemical power ``OCV x I``;
  chemical power = terminal power + heat + rate of energy stored in the RC pair
  (``V_rc I - V_rc² / R1``).

OCV, R0 and the charge current limit are tables over SOC 0, 10, ..., 100 % (linear between
points, clamped at the ends; :mod:`sim.spec.battery`); R1 = ratio x R0. Isothermal (no
temperature model).

Pack: Ns cells in series x Np strings in parallel (Np may be fractional, see
:mod:`sim.spec.battery`): source voltage ``E = Ns (OCV - V_rc)``, resistance ``Ns R / Np``.
The state holds each pack's SOC and the RC voltage **of one cell** (all cells of a pack are
alike), so rewiring the same cells for another bus voltage leaves the state unchanged.

Bus: up to two packs (index 0 and 1; a missing pack has 0 strings) **directly in parallel**,
each through its own resistance, with one Ns (the bus forces one string voltage). No DC/DC
converter: that is how 800 V two-pack cars are built, and it gives a closed form. With pack
source voltages ``E_i`` and conductances ``G_i = Np_i / (Ns R_i)``, the bus is a Thevenin
source ``E_eq = sum(G_i E_i) / G``, ``R_eq = 1 / G`` (``G = sum G_i``); for a terminal power
P the bus voltage is ``V = (E_eq + sqrt(E_eq² - 4 P / G)) / 2`` and each pack carries
``I_i = G_i (E_i - V)``. Packs of the same cells at the same state share current in
proportion to their strings (equal C-rates); otherwise by their resistances and source
voltages (a fuller pack carries more, and at zero power the packs balance through the bus).
A power beyond ``E_eq² G / 4`` has no solution: :func:`bus_voltage_v` then returns the
maximum-power point ``E_eq / 2`` and ``feasible = False`` (never NaN).

Available power (what controllers saturate to), from the present state:

* discharge: the largest P whose bus voltage stays above every floor: ``Ns x V_min`` (cell
  cut-off), ``Ns (OCV_i - V_rc_i - R_i I_max)`` per pack (peak discharge current), and
  ``E_eq / 2`` (maximum power); falls as the packs empty.
* charge: the largest |P| whose bus voltage stays below every ceiling: ``Ns x V_max``,
  ``Ns (OCV_i - V_rc_i + R_i I_ch(SOC_i))`` per pack, and for a charger its current, voltage
  and power limits (:func:`charge_voltage_ceiling_v`, shared with :mod:`sim.powertrain.charging`).
* Each is then capped by ``[drivetrain] battery_discharge_power_limit_kw`` /
  ``battery_charge_power_limit_kw`` when the file gives them (an explicit cap on top of the
  derived limit: a pack-protection or thermal limit the cells alone do not express).

Parameters reach compiled code as a 1-D float64 vector laid out by
:data:`BATTERY_PARAMETER_NAMES` (a batch stacks as ``(N, P)``); the state is a 1-D vector
laid out by :data:`BATTERY_STATE_NAMES`. Kernels are ``numba.njit(inline="always",
error_model="numpy", cache=True)`` (:func:`available_powers_w`, large and called from several
places, is compiled once and called instead): callable from compiled step code and, through
the numpy wrappers at the bottom, from Python; their ``.py_func`` compute the same.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

from sim._arrays import kernel_array
from sim.errors import SpecError
from sim.spec.battery import (
    SOC_GRID_PERCENT,
    charge_c_rate_field,
    ocv_field,
    r0_field,
    strings_in_parallel,
)

N_GRID = len(SOC_GRID_PERCENT)
#: Most packs on one bus (a missing pack has 0 strings).
MAX_PACKS = 2

#: Layout of the battery parameter vector ``p`` (float64, SI): cell, tables on the SOC grid
#: (``ocv_v_000`` ... ``ocv_v_100`` etc.), wiring, and the optional explicit power caps
#: (``inf`` when absent).
BATTERY_PARAMETER_NAMES: tuple[str, ...] = (
    "cell_capacity_ah", "cell_min_voltage_v", "cell_max_voltage_v",
    "cell_max_discharge_current_a", "cell_r1_to_r0_ratio", "cell_rc_time_constant_s",
    "cell_connection_resistance_ohm",
    *(f"cell_ocv_v_{p:03d}" for p in SOC_GRID_PERCENT),
    *(f"cell_r0_ohm_{p:03d}" for p in SOC_GRID_PERCENT),
    *(f"cell_max_charge_current_a_{p:03d}" for p in SOC_GRID_PERCENT),
    "cells_in_series", "pack0_strings", "pack1_strings",
    "discharge_power_cap_w", "charge_power_cap_w",
)
BATTERY_PARAMETER_COUNT = len(BATTERY_PARAMETER_NAMES)

#: Layout of the battery state vector ``x``: per pack, SOC [-] and one cell's RC voltage [V].
BATTERY_STATE_NAMES: tuple[str, ...] = (
    "pack0_soc", "pack0_cell_rc_voltage_v", "pack1_soc", "pack1_cell_rc_voltage_v")
BATTERY_STATE_COUNT = len(BATTERY_STATE_NAMES)


def _index(name: str) -> int:
    return BATTERY_PARAMETER_NAMES.index(name)


IX_CELL_CAPACITY_AH = _index("cell_capacity_ah")
IX_CELL_MIN_VOLTAGE_V = _index("cell_min_voltage_v")
IX_CELL_MAX_VOLTAGE_V = _index("cell_max_voltage_v")
IX_CELL_MAX_DISCHARGE_CURRENT_A = _index("cell_max_discharge_current_a")
IX_CELL_R1_TO_R0_RATIO = _index("cell_r1_to_r0_ratio")
IX_CELL_RC_TIME_CONSTANT_S = _index("cell_rc_time_constant_s")
IX_CELL_CONNECTION_RESISTANCE_OHM = _index("cell_connection_resistance_ohm")
IX_CELL_OCV_V_TABLE = _index("cell_ocv_v_000")
IX_CELL_R0_OHM_TABLE = _index("cell_r0_ohm_000")
IX_CELL_MAX_CHARGE_CURRENT_A_TABLE = _index("cell_max_charge_current_a_000")
IX_CELLS_IN_SERIES = _index("cells_in_series")
IX_PACK0_STRINGS = _index("pack0_strings")
IX_PACK1_STRINGS = _index("pack1_strings")
IX_DISCHARGE_POWER_CAP_W = _index("discharge_power_cap_w")
IX_CHARGE_POWER_CAP_W = _index("charge_power_cap_w")

IX_PACK0_SOC = BATTERY_STATE_NAMES.index("pack0_soc")
IX_PACK0_CELL_RC_VOLTAGE_V = BATTERY_STATE_NAMES.index("pack0_cell_rc_voltage_v")
IX_PACK1_SOC = BATTERY_STATE_NAMES.index("pack1_soc")
IX_PACK1_CELL_RC_VOLTAGE_V = BATTERY_STATE_NAMES.index("pack1_cell_rc_voltage_v")

#: Which limit sets a charging bus voltage (:func:`charge_voltage_ceiling_v`).
LIMIT_CELL_VOLTAGE, LIMIT_CELL_CURRENT, LIMIT_CHARGER_CURRENT, LIMIT_CHARGER_VOLTAGE, \
    LIMIT_CHARGER_POWER = 0, 1, 2, 3, 4
LIMIT_NAMES = ("cell_voltage", "cell_current", "charger_current", "charger_voltage",
               "charger_power")

_kernel = numba.njit(inline="always", error_model="numpy", cache=True)
_function = numba.njit(cache=True, error_model="numpy", _nrt=False)


# --- cell -----------------------------------------------------------------------------------

@_kernel
def soc_grid_point(soc):
    """Interval ``i`` and fraction ``f`` [-] of ``soc`` [-] (clamped to [0, 1]) on the SOC
    grid 0, 0.1, ..., 1: the tables are ``p[first + i] (1 - f) + p[first + i + 1] f``."""
    s = min(max(soc, 0.0), 1.0) * (N_GRID - 1)
    i = min(int(s), N_GRID - 2)
    return i, s - i


@_kernel
def _table_at(p, first, i, f):
    return p[first + i] * (1.0 - f) + p[first + i + 1] * f


@_kernel
def soc_table_value(p, first, soc):
    """Table ``p[first : first + N_GRID]`` on the SOC grid 0, 0.1, ..., 1, interpolated
    linearly at ``soc`` [-] (clamped to [0, 1])."""
    i, f = soc_grid_point(soc)
    return _table_at(p, first, i, f)


@_kernel
def cell_ocv_v(p, soc):
    """Open-circuit voltage of one cell [V] at ``soc`` [-]."""
    return soc_table_value(p, IX_CELL_OCV_V_TABLE, soc)


@_kernel
def cell_series_resistance_ohm(p, soc):
    """Series resistance of one cell [Ω]: R0(SOC) plus its connection resistance."""
    return soc_table_value(p, IX_CELL_R0_OHM_TABLE, soc) + p[IX_CELL_CONNECTION_RESISTANCE_OHM]


@_kernel
def cell_rc_resistance_ohm(p, soc):
    """Resistance R1 of the cell's RC pair [Ω] = ratio x R0(SOC)."""
    return p[IX_CELL_R1_TO_R0_RATIO] * soc_table_value(p, IX_CELL_R0_OHM_TABLE, soc)


@_kernel
def cell_max_charge_current_a(p, soc):
    """Charge current limit of one cell [A] (a magnitude, >= 0) at ``soc`` [-]."""
    return soc_table_value(p, IX_CELL_MAX_CHARGE_CURRENT_A_TABLE, soc)


@_kernel
def cell_source_voltage_v(p, soc, rc_voltage_v):
    """Voltage behind the cell's series resistance [V]: OCV(SOC) - V_rc."""
    return cell_ocv_v(p, soc) - rc_voltage_v


@_kernel
def cell_circuit(p, soc):
    """The cell's equivalent circuit at ``soc`` [-] from one look-up of the SOC grid: ``(OCV
    [V], series resistance R0 + r_c [Ω], RC resistance R1 [Ω])`` (the values of
    :func:`cell_ocv_v`, :func:`cell_series_resistance_ohm`, :func:`cell_rc_resistance_ohm`)."""
    i, f = soc_grid_point(soc)
    r0 = _table_at(p, IX_CELL_R0_OHM_TABLE, i, f)
    return (_table_at(p, IX_CELL_OCV_V_TABLE, i, f), r0 + p[IX_CELL_CONNECTION_RESISTANCE_OHM],
            p[IX_CELL_R1_TO_R0_RATIO] * r0)


@_kernel
def cell_flows(p, ocv_v, series_ohm, rc_ohm, rc_voltage_v, active, cell_bus_voltage_v):
    """One cell of a pack whose strings see ``cell_bus_voltage_v`` [V] (bus voltage / Ns),
    with its circuit ``(ocv_v, series_ohm, rc_ohm)`` (:func:`cell_circuit`) and RC voltage
    ``rc_voltage_v`` [V]; ``active`` 1.0 for a pack with strings, else 0.0 (all flows 0).

    Returns ``(current [A] (> 0 discharging), dSOC/dt [1/s], dV_rc/dt [V/s], chemical power
    OCV I [W], heat I² R + V_rc² / R1 [W], power into the RC pair V_rc (I - V_rc / R1) [W])``
    (the module docstring's equations; chemical = V_bus/Ns I + heat + rc)."""
    i = active * (ocv_v - rc_voltage_v - cell_bus_voltage_v) / series_ohm
    through_r1 = rc_voltage_v / rc_ohm if rc_ohm > 0.0 else 0.0
    return (i, -i / (3600.0 * p[IX_CELL_CAPACITY_AH]),
            (i * rc_ohm - rc_voltage_v) / p[IX_CELL_RC_TIME_CONSTANT_S], ocv_v * i,
            i * i * series_ohm + rc_voltage_v * through_r1, rc_voltage_v * (i - through_r1))


# --- packs and bus --------------------------------------------------------------------------

@_kernel
def pack_active(p, k):
    """1.0 if pack ``k`` (0 or 1) has strings, else 0.0."""
    return 1.0 if p[IX_PACK0_STRINGS + k] > 0.0 else 0.0


@_kernel
def pack_circuit(p, x, k):
    """Pack ``k`` at state ``x``: ``(OCV, series resistance, RC resistance)`` of one cell
    (:func:`cell_circuit`), its source voltage ``E_k = Ns (OCV - V_rc)`` [V] and conductance
    ``G_k = Np / (Ns R)`` [S] (0 for a missing pack)."""
    ocv, r, r1 = cell_circuit(p, x[2 * k])
    ns = p[IX_CELLS_IN_SERIES]
    return ocv, r, r1, ns * (ocv - x[2 * k + 1]), p[IX_PACK0_STRINGS + k] / (ns * r)


@_kernel
def pack_conductance_s(p, x, k):
    """Conductance of pack ``k`` [S] = Np / (Ns R) (0 for a missing pack)."""
    return pack_circuit(p, x, k)[4]


@_kernel
def pack_source_voltage_v(p, x, k):
    """Source (open-circuit minus RC) voltage of pack ``k`` [V] = Ns (OCV - V_rc)."""
    return pack_circuit(p, x, k)[3]


@_kernel
def thevenin_bus_voltage_v(source_v, conductance_s, power_w):
    """Terminal voltage [V] of a Thevenin source ``(E, G)`` delivering ``power_w`` [W] (> 0
    drawn): ``(E + sqrt(E² - 4 P / G)) / 2``, and whether that power is feasible; beyond
    ``E² G / 4`` returns ``(E / 2, False)`` (never NaN)."""
    disc = source_v * source_v - 4.0 * power_w / conductance_s
    return 0.5 * (source_v + math.sqrt(max(disc, 0.0))), disc >= 0.0


@_kernel
def bus_source(p, x):
    """Thevenin equivalent of the bus: ``(E_eq [V], G [S])``, E_eq = sum(G_i E_i) / G."""
    e0, g0 = pack_circuit(p, x, 0)[3:]
    e1, g1 = pack_circuit(p, x, 1)[3:]
    g = g0 + g1
    return (g0 * e0 + g1 * e1) / g, g


@_kernel
def bus_voltage_v(p, x, power_w):
    """Bus (terminal) voltage [V] for terminal power ``power_w`` [W] (> 0 drawn from the
    battery) and whether that power is feasible: ``(V, feasible)``. Beyond the maximum power
    ``E_eq² G / 4`` returns ``(E_eq / 2, False)``."""
    e, g = bus_source(p, x)
    return thevenin_bus_voltage_v(e, g, power_w)


@_kernel
def bus_max_power_w(p, x):
    """Largest terminal power the bus can deliver at all [W] = E_eq² G / 4."""
    e, g = bus_source(p, x)
    return 0.25 * e * e * g


@_kernel
def _pack_flows(p, x, k, bus_voltage):
    """:func:`cell_flows` of one cell of pack ``k`` at bus voltage [V]."""
    ocv, r, r1, _, _ = pack_circuit(p, x, k)
    return cell_flows(p, ocv, r, r1, x[2 * k + 1], pack_active(p, k),
                      bus_voltage / p[IX_CELLS_IN_SERIES])


@_kernel
def cell_current_a(p, x, k, bus_voltage):
    """Current of one cell of pack ``k`` [A] (> 0 discharging) at bus voltage [V]; 0 for a
    missing pack."""
    return _pack_flows(p, x, k, bus_voltage)[0]


@_kernel
def pack_totals(p, x, k, bus_voltage):
    """Pack ``k`` at bus voltage [V], from one evaluation of its cell (:func:`cell_flows`):
    ``(cell current [A], pack current [A], heat [W], chemical power [W], power into the RC
    pairs [W])``, each as the function of that name gives it (0 for a missing pack)."""
    flows = _pack_flows(p, x, k, bus_voltage)
    strings = p[IX_PACK0_STRINGS + k]
    cells = p[IX_CELLS_IN_SERIES] * strings
    return flows[0], strings * flows[0], cells * flows[4], cells * flows[3], cells * flows[5]


@_kernel
def pack_current_a(p, x, k, bus_voltage):
    """Current of pack ``k`` [A] (> 0 discharging) = Np x cell current = G_k (E_k - V)."""
    return pack_totals(p, x, k, bus_voltage)[1]


@_kernel
def pack_heat_w(p, x, k, bus_voltage):
    """Heat of pack ``k`` [W] (the "battery internal" loss, >= 0): Ns Np (I² R + V_rc² / R1)
    per cell, connection resistance included."""
    return pack_totals(p, x, k, bus_voltage)[2]


@_kernel
def pack_chemical_power_w(p, x, k, bus_voltage):
    """Chemical power of pack ``k`` [W] (> 0 released) = Ns Np OCV(SOC) I_cell."""
    return pack_totals(p, x, k, bus_voltage)[3]


@_kernel
def pack_rc_power_w(p, x, k, bus_voltage):
    """Power flowing into the RC pairs' capacitors of pack ``k`` [W] (stored, not lost; either
    sign): ``Ns Np V_rc (I - V_rc / R1)`` per cell."""
    return pack_totals(p, x, k, bus_voltage)[4]


@_kernel
def battery_rates(p, x, power_w, dx):
    """State derivatives into ``dx`` (per pack dSOC/dt [1/s] and dV_rc/dt [V/s], laid out as
    ``x``) and ``(bus voltage [V], feasible, chemical power [W], heat [W], power into the RC
    pairs [W])`` at terminal power ``power_w`` [W] (> 0 drawn). ``chemical = power_w + heat +
    rc`` at every state (feasible), so energies integrated from the same evaluations balance
    to rounding. One look-up of the SOC tables per pack (:func:`pack_circuit`)."""
    ocv0, r0, r10, e0, g0 = pack_circuit(p, x, 0)
    ocv1, r1, r11, e1, g1 = pack_circuit(p, x, 1)
    g = g0 + g1
    v, ok = thevenin_bus_voltage_v((g0 * e0 + g1 * e1) / g, g, power_w)
    ns = p[IX_CELLS_IN_SERIES]
    v_cell = v / ns
    _, ds0, dv0, c0, q0, s0 = cell_flows(p, ocv0, r0, r10, x[1], pack_active(p, 0), v_cell)
    _, ds1, dv1, c1, q1, s1 = cell_flows(p, ocv1, r1, r11, x[3], pack_active(p, 1), v_cell)
    dx[0], dx[1], dx[2], dx[3] = ds0, dv0, ds1, dv1
    n0 = ns * p[IX_PACK0_STRINGS]
    n1 = ns * p[IX_PACK1_STRINGS]
    return v, ok, n0 * c0 + n1 * c1, n0 * q0 + n1 * q1, n0 * s0 + n1 * s1


@_kernel
def battery_derivatives(p, x, power_w, dx):
    """Write the state derivatives for terminal power ``power_w`` [W] (> 0 drawn) into
    ``dx`` (per pack dSOC/dt [1/s] and dV_rc/dt [V/s], laid out as ``x``); return
    ``(bus voltage [V], feasible)``. A missing pack's derivatives are 0."""
    v, ok, _, _, _ = battery_rates(p, x, power_w, dx)
    return v, ok


# --- available power ------------------------------------------------------------------------

@_kernel
def discharge_voltage_floor_v(p, x):
    """Lowest bus voltage [V] the limits allow while discharging: the largest of Ns V_min,
    Ns (OCV_i - V_rc_i - R_i I_max) of each active pack, and E_eq / 2 (maximum power)."""
    e, _ = bus_source(p, x)
    return _discharge_floor_v(p, x, e)


@_kernel
def _discharge_floor_v(p, x, bus_source_v):
    ns = p[IX_CELLS_IN_SERIES]
    v = max(ns * p[IX_CELL_MIN_VOLTAGE_V], 0.5 * bus_source_v)
    for k in range(MAX_PACKS):
        ocv, r, _, _, _ = pack_circuit(p, x, k)
        vk = ns * (ocv - x[2 * k + 1] - r * p[IX_CELL_MAX_DISCHARGE_CURRENT_A])
        v = max(v, vk if p[IX_PACK0_STRINGS + k] > 0.0 else -math.inf)
    return v


@_kernel
def available_discharge_power_w(p, x):
    """Largest terminal power the battery may deliver now [W] (>= 0): at the voltage floor
    of :func:`discharge_voltage_floor_v`, then capped by ``discharge_power_cap_w``."""
    e, g = bus_source(p, x)
    v = _discharge_floor_v(p, x, e)
    return min(max(v * g * (e - v), 0.0), p[IX_DISCHARGE_POWER_CAP_W])


@_kernel
def charge_voltage_ceiling_v(p, x, max_current_a, max_voltage_v, max_power_w):
    """Highest bus voltage [V] the limits allow while charging, and the code of the limit
    that sets it (``LIMIT_*``): cell voltage (Ns V_max, constant voltage), each active pack's
    cell charge current limit at its SOC, and a source's bus current [A], bus voltage [V]
    and power [W] limits (pass ``inf`` for none)."""
    e, g = bus_source(p, x)
    return _charge_ceiling_v(p, x, e, g, max_current_a, max_voltage_v, max_power_w)


@_kernel
def _charge_ceiling_v(p, x, e, g, max_current_a, max_voltage_v, max_power_w):
    ns = p[IX_CELLS_IN_SERIES]
    v = ns * p[IX_CELL_MAX_VOLTAGE_V]
    code = LIMIT_CELL_VOLTAGE
    for k in range(MAX_PACKS):
        soc = x[2 * k]
        ocv, r, _, _, _ = pack_circuit(p, x, k)
        vk = ns * (ocv - x[2 * k + 1] + r * cell_max_charge_current_a(p, soc))
        vk = vk if p[IX_PACK0_STRINGS + k] > 0.0 else math.inf
        code = LIMIT_CELL_CURRENT if vk < v else code
        v = min(v, vk)
    v_current = e + max_current_a / g
    code = LIMIT_CHARGER_CURRENT if v_current < v else code
    v = min(v, v_current)
    code = LIMIT_CHARGER_VOLTAGE if max_voltage_v < v else code
    v = min(v, max_voltage_v)
    v_power = 0.5 * (e + math.sqrt(e * e + 4.0 * max_power_w / g))
    code = LIMIT_CHARGER_POWER if v_power < v else code
    v = min(v, v_power)
    return v, code


@_kernel
def charge_power_at_voltage_w(p, x, bus_voltage):
    """Charging power into the battery terminals [W] (>= 0) at bus voltage [V] = V G (V - E_eq),
    0 when the voltage is below E_eq."""
    e, g = bus_source(p, x)
    return max(bus_voltage * g * (bus_voltage - e), 0.0)


@_kernel
def available_charge_power_w(p, x):
    """Largest power the battery may accept now (regeneration) [W] (a magnitude, >= 0): at
    the ceiling of :func:`charge_voltage_ceiling_v` without a charger, capped by
    ``charge_power_cap_w``."""
    e, g = bus_source(p, x)
    v, _ = _charge_ceiling_v(p, x, e, g, math.inf, math.inf, math.inf)
    return min(max(v * g * (v - e), 0.0), p[IX_CHARGE_POWER_CAP_W])


@_function
def available_powers_w(p, x):
    """``(available discharge power, available charge power)`` [W] (both >= 0, as
    :func:`available_discharge_power_w` and :func:`available_charge_power_w`) from one
    evaluation of the bus. Compiled once and called by the time loops and the numpy edge
    (inlined, its six pack evaluations were lowered again at each call site)."""
    e, g = bus_source(p, x)
    v = _discharge_floor_v(p, x, e)
    vc, _ = _charge_ceiling_v(p, x, e, g, math.inf, math.inf, math.inf)
    return (min(max(v * g * (e - v), 0.0), p[IX_DISCHARGE_POWER_CAP_W]),
            min(max(vc * g * (vc - e), 0.0), p[IX_CHARGE_POWER_CAP_W]))


# --- parameters from a vehicle, rewiring -----------------------------------------------------

def battery_parameters(vehicle) -> np.ndarray:
    """Battery parameter vectors ``(N, BATTERY_PARAMETER_COUNT)`` of ``vehicle`` (N = batch
    size), packs in file order (pack 0, pack 1). Raises :class:`~sim.errors.SpecError` when
    the vehicle has no ``[battery]`` section. The caps come from ``[drivetrain]``
    ``battery_*_power_limit_kw`` (``inf`` when absent)."""
    b = vehicle.battery
    if b is None:
        raise SpecError(vehicle.name or "<vehicle>", "battery", None,
                        "a [battery] section (cells and wiring) for the battery model")
    n = vehicle.batch_size
    c = b.cell
    out = np.zeros((n, BATTERY_PARAMETER_COUNT))
    put = {
        "cell_capacity_ah": c.capacity_ah, "cell_min_voltage_v": c.min_voltage_v,
        "cell_max_voltage_v": c.max_voltage_v,
        "cell_max_discharge_current_a": np.asarray(c.max_discharge_c_rate) * c.capacity_ah,
        "cell_r1_to_r0_ratio": c.r1_to_r0_ratio, "cell_rc_time_constant_s":
        c.rc_time_constant_s, "cell_connection_resistance_ohm": c.connection_resistance_ohm,
        "cells_in_series": b.cells_in_series,
    }
    for pct in SOC_GRID_PERCENT:
        put[f"cell_ocv_v_{pct:03d}"] = getattr(c, ocv_field(pct))
        put[f"cell_r0_ohm_{pct:03d}"] = getattr(c, r0_field(pct))
        put[f"cell_max_charge_current_a_{pct:03d}"] = (
            np.asarray(getattr(c, charge_c_rate_field(pct))) * c.capacity_ah)
    for k, pack in enumerate(vehicle.packs.values()):
        put[f"pack{k}_strings"] = strings_in_parallel(pack, b)
    dt = vehicle.drivetrain
    caps = (None, None) if dt is None else (dt.battery_discharge_power_limit_kw,
                                            dt.battery_charge_power_limit_kw)
    put["discharge_power_cap_w"] = np.inf if caps[0] is None else np.asarray(caps[0]) * 1e3
    put["charge_power_cap_w"] = np.inf if caps[1] is None else np.asarray(caps[1]) * 1e3
    for name, value in put.items():
        out[:, _index(name)] = value  # a number or (N,): numpy broadcasts
    return out


def rewire_cells(vehicle, cells_in_series: float):
    """``vehicle`` with the same cells rewired to ``cells_in_series`` per string (e.g. half
    for a 400 V bus): every pack keeps its energy and cell count, so its strings become
    ``Np x old Ns / new Ns`` (pack voltage x new/old, resistance x (new/old)²). A number or a
    1-D array (a batch)."""
    from sim.spec.params import set_params  # local: spec.params imports the vehicle module

    if vehicle.battery is None:
        raise SpecError(vehicle.name or "<vehicle>", "battery", None,
                        "a [battery] section to rewire")
    return set_params(vehicle, {"battery.cells_in_series": cells_in_series})


# --- numpy edge ------------------------------------------------------------------------------

def _check_batch(params, state) -> tuple[np.ndarray, np.ndarray]:
    """Parameters (N, P) and states (N, 4), a single row of either broadcast to the other."""
    p = _check_params(params)
    rows = np.shape(state)[0] if np.ndim(state) == 2 else 1
    if p.shape[0] == 1 and rows > 1:
        p = kernel_array(np.broadcast_to(p, (rows, p.shape[1])))
    return p, _check_state(state, p.shape[0])


def _check_params(params) -> np.ndarray:
    p = np.asarray(params, dtype=float)
    if p.ndim == 1:
        p = p[None, :]
    if p.ndim != 2 or p.shape[1] != BATTERY_PARAMETER_COUNT:
        raise SpecError("<argument>", "params", p.shape,
                        f"battery parameter vectors of shape (N, {BATTERY_PARAMETER_COUNT})")
    strings = p[:, IX_PACK0_STRINGS:IX_PACK1_STRINGS + 1]
    if not np.all(np.isfinite(p[:, :IX_DISCHARGE_POWER_CAP_W])) or np.any(strings < 0) \
            or np.any(strings.sum(axis=1) <= 0):
        raise SpecError("<argument>", "params", "non-finite or no strings",
                        "finite values (caps may be inf) and at least one pack with strings")
    return kernel_array(p)


def _check_state(state, n: int) -> np.ndarray:
    x = np.asarray(state, dtype=float)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim == 2 and x.shape[0] == 1 and n > 1:
        x = np.broadcast_to(x, (n, x.shape[1]))
    if x.shape != (n, BATTERY_STATE_COUNT) or not np.all(np.isfinite(x)):
        raise SpecError("<argument>", "state", x.shape if x.shape != (n, BATTERY_STATE_COUNT)
                        else "non-finite", f"finite battery states of shape ({n}, "
                        f"{BATTERY_STATE_COUNT}) laid out by BATTERY_STATE_NAMES")
    return kernel_array(x)


def battery_state(soc, rc_voltage_v=0.0, n: int = 1) -> np.ndarray:
    """States ``(n, 4)`` with every pack at ``soc`` [-] (a number, or ``(n,)`` / ``(n, 2)``
    per pack) and one cell's RC voltage ``rc_voltage_v`` [V] (0: rested)."""
    s = np.broadcast_to(np.asarray(soc, dtype=float).reshape(-1, 1) if np.ndim(soc) == 1
                        else np.asarray(soc, dtype=float), (n, MAX_PACKS))
    v = np.broadcast_to(np.asarray(rc_voltage_v, dtype=float).reshape(-1, 1)
                        if np.ndim(rc_voltage_v) == 1 else np.asarray(rc_voltage_v, dtype=float),
                        (n, MAX_PACKS))
    x = np.empty((n, BATTERY_STATE_COUNT))
    x[:, 0::2], x[:, 1::2] = s, v
    return x


@dataclass(frozen=True)
class BatteryOperatingPoint:
    """The battery at a state and a terminal power (arrays batch-first; per pack ``(N, 2)``).

    ``bus_voltage_v`` (N,) terminal voltage; ``feasible`` (N,) False where the demanded power
    exceeds the bus maximum (then everything is evaluated at the maximum-power point);
    ``pack_current_a``/``cell_current_a`` (> 0 discharging); ``heat_w`` (>= 0) battery
    internal loss; ``chemical_power_w`` (> 0 released); ``derivatives`` (N, 4) laid out by
    :data:`BATTERY_STATE_NAMES`; ``terminal_power_w`` (N,) = V x sum of pack currents."""

    bus_voltage_v: np.ndarray
    feasible: np.ndarray
    pack_current_a: np.ndarray
    cell_current_a: np.ndarray
    heat_w: np.ndarray
    chemical_power_w: np.ndarray
    derivatives: np.ndarray
    terminal_power_w: np.ndarray


@numba.njit(cache=True, error_model="numpy")
def _operating_points(p, x, power, v, ok, i_pack, i_cell, heat, chem, dx):
    for n in range(p.shape[0]):
        vb, feasible = battery_derivatives(p[n], x[n], power[n], dx[n])
        v[n] = vb
        ok[n] = feasible
        for k in range(MAX_PACKS):
            i_cell[n, k], i_pack[n, k], heat[n, k], chem[n, k], _ = pack_totals(p[n], x[n], k,
                                                                              vb)


def battery_operating_point(params, state, power_w) -> BatteryOperatingPoint:
    """Evaluate the battery kernels for a batch: ``params`` (N, P) or (P,), ``state`` (N, 4)
    or (4,) (one row of either is shared by the batch), terminal power ``power_w`` [W] (> 0
    drawn; a number or (N,))."""
    p, x = _check_batch(params, state)
    n = p.shape[0]
    power = kernel_array(np.broadcast_to(np.asarray(power_w, dtype=float), (n,)))
    if not np.all(np.isfinite(power)):
        raise SpecError("<argument>", "power_w", float(power[~np.isfinite(power)][0]),
                        "finite terminal powers [W]")
    v, ok = np.empty(n), np.empty(n, dtype=np.bool_)
    i_pack, i_cell, heat, chem = (np.empty((n, MAX_PACKS)) for _ in range(4))
    dx = np.empty((n, BATTERY_STATE_COUNT))
    _operating_points(p, x, power, v, ok, i_pack, i_cell, heat, chem, dx)
    return BatteryOperatingPoint(v, ok, i_pack, i_cell, heat, chem, dx,
                                 v * i_pack.sum(axis=1))


@numba.njit(cache=True, error_model="numpy")
def _available(p, x, dis, ch, pmax):
    for n in range(p.shape[0]):
        dis[n], ch[n] = available_powers_w(p[n], x[n])
        pmax[n] = bus_max_power_w(p[n], x[n])


def available_power_w(params, state) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(discharge_w, charge_w, bus_max_w)`` (N,) each >= 0: the largest terminal power the
    battery may deliver and accept at ``state`` under its voltage and current limits and the
    explicit caps, and the bus maximum power E_eq² G / 4 (no limits)."""
    p, x = _check_batch(params, state)
    n = p.shape[0]
    dis, ch, pmax = np.empty(n), np.empty(n), np.empty(n)
    _available(p, x, dis, ch, pmax)
    return dis, ch, pmax


@numba.njit(cache=True, error_model="numpy")
def _cell_tables(p, soc, ocv, r0, ich):
    for n in range(soc.shape[0]):
        ocv[n] = cell_ocv_v(p, soc[n])
        r0[n] = cell_series_resistance_ohm(p, soc[n])
        ich[n] = cell_max_charge_current_a(p, soc[n])


def cell_curves(params, soc) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For one parameter vector (P,) and SOC values (M,) in [0, 1]: the cell's OCV [V],
    series resistance incl. connection [Ω] and charge current limit [A], each (M,)."""
    p = _check_params(params)
    if p.shape[0] != 1:
        raise SpecError("<argument>", "params", p.shape, "one parameter vector")
    s = np.ascontiguousarray(np.atleast_1d(np.asarray(soc, dtype=float)))
    if s.ndim != 1 or not np.all((s >= 0) & (s <= 1)):
        raise SpecError("<argument>", "soc", soc, "SOC values in [0, 1]")
    ocv, r0, ich = np.empty(s.size), np.empty(s.size), np.empty(s.size)
    _cell_tables(p[0], s, ocv, r0, ich)
    return ocv, r0, ich
