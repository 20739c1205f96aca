"""Combustion engine: full-load and motored torque, fuel flow with idle and overrun cut-off,
and the clutch's launch rule, as compiled scalar kernels (style of :mod:`sim.tyre.mf61`).

Parameters reach the kernels as a 1-D float64 vector ``ep`` laid out by
:data:`ENGINE_PARAMETER_NAMES` (index constants ``IX_*`` are generated from it); build it from
a validated ``[combustion]`` section with :func:`engine_parameter_vector`. Tables have a fixed
size (:data:`ENGINE_SPEED_POINTS` speeds, :data:`FUEL_MAP_TORQUE_POINTS` torques); the used
lengths are stored in the vector and the padding repeats the last value.

What is modelled (signs and units)
----------------------------------
* Engine speed ``engine_speed_radps`` [rad/s] >= 0, crankshaft. Brake torque [N·m] at the
  crankshaft, > 0 driving, < 0 engine braking.
* **Full load** ``T_fl(w)``: piecewise linear on the speed grid, held constant below the first
  point, zero above the rev limit (the last grid speed: the limiter cuts the fuel).
* **Motored (friction) torque** ``T_f(w)`` >= 0, a magnitude: with the fuel cut the engine
  delivers ``-T_f(w)``.
* **Fuel flow** [kg/s]: bilinear on a grid of speed x brake torque whose first column is the
  zero-torque (no-load) flow and whose other columns are BSFC x torque x speed from the file
  (:mod:`sim.spec.combustion`); the flow is interpolated, not the BSFC. Torque is clamped to
  ``[0, T_fl(w)]``, speed to the grid.
* **Operating point** for a torque demand (:func:`engine_operating_point`): a demand > 0 gives
  ``min(demand, T_fl(w))`` with the map's fuel; a demand <= 0 **above the fuel cut-off
  speed**, or any demand above the rev limit, cuts the fuel: zero fuel, brake torque
  ``-T_f(w)`` whatever the demand (no partial engine braking); a demand <= 0 at or below the
  cut-off speed gives zero brake torque with the no-load fuel flow (idling or re-fuelled).
* **Clutch / launch rule** (:func:`clutch_engine_speed_radps`): the engine never runs below a
  held speed ``w_hold(d) = w_idle + d (w_launch - w_idle)`` (pedal ``d`` in [0, 1]). While
  the clutch side turns slower than ``w_hold`` the clutch slips: the engine runs at
  ``w_hold`` and the clutch passes the engine's brake torque (never a negative one: a
  slipping clutch with no pedal is open). Once the clutch side reaches ``w_hold`` the clutch
  is locked and the engine turns with it. Engine inertia and the clutch's own torque capacity
  are not modelled (the engine speed is a function of the state, not a state); the heat of a
  slipping clutch is :func:`clutch_slip_power_w`.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from sim.errors import SpecError
from sim.spec.combustion import MAX_ENGINE_SPEED_POINTS, MAX_FUEL_MAP_TORQUE_POINTS

#: Speed-grid size of the curves and fuel-map rows in the parameter vector.
ENGINE_SPEED_POINTS = MAX_ENGINE_SPEED_POINTS
#: Torque-grid size of the fuel map: one zero-torque column plus the file's torques.
FUEL_MAP_TORQUE_POINTS = MAX_FUEL_MAP_TORQUE_POINTS + 1

_K, _M = ENGINE_SPEED_POINTS, FUEL_MAP_TORQUE_POINTS

#: Layout of the engine parameter vector ``ep`` (float64, SI). Counts are stored as floats.
#: ``fuel_flow_kgps_<i>_<j>`` is the flow at speed point i and torque point j (row-major).
ENGINE_PARAMETER_NAMES: tuple[str, ...] = (
    "speed_points", "map_torque_points",
    "idle_speed_radps", "launch_speed_radps", "fuel_cutoff_speed_radps", "max_speed_radps",
    "fuel_density_kg_per_l", "co2_kg_per_kg_fuel", "lower_heating_value_j_per_kg",
    *(f"speed_radps_{i}" for i in range(_K)),
    *(f"full_load_torque_nm_{i}" for i in range(_K)),
    *(f"friction_torque_nm_{i}" for i in range(_K)),
    *(f"map_torque_nm_{j}" for j in range(_M)),
    *(f"fuel_flow_kgps_{i}_{j}" for i in range(_K) for j in range(_M)),
)
ENGINE_PARAMETER_COUNT = len(ENGINE_PARAMETER_NAMES)


def _index(name: str) -> int:
    return ENGINE_PARAMETER_NAMES.index(name)


IX_SPEED_POINTS = _index("speed_points")
IX_MAP_TORQUE_POINTS = _index("map_torque_points")
IX_IDLE_SPEED_RADPS = _index("idle_speed_radps")
IX_LAUNCH_SPEED_RADPS = _index("launch_speed_radps")
IX_FUEL_CUTOFF_SPEED_RADPS = _index("fuel_cutoff_speed_radps")
IX_MAX_SPEED_RADPS = _index("max_speed_radps")
IX_FUEL_DENSITY_KG_PER_L = _index("fuel_density_kg_per_l")
IX_CO2_KG_PER_KG_FUEL = _index("co2_kg_per_kg_fuel")
IX_LOWER_HEATING_VALUE_JPKG = _index("lower_heating_value_j_per_kg")
#: First entry of each table block.
IX_SPEED_RADPS = _index("speed_radps_0")
IX_FULL_LOAD_TORQUE_NM = _index("full_load_torque_nm_0")
IX_FRICTION_TORQUE_NM = _index("friction_torque_nm_0")
IX_MAP_TORQUE_NM = _index("map_torque_nm_0")
IX_FUEL_FLOW_KGPS = _index("fuel_flow_kgps_0_0")

_RPM_TO_RADPS = math.pi / 30.0

#: Decorator of the scalar kernels: inlined into compiled callers, IEEE division.
_kernel = numba.njit(cache=True, error_model="numpy", inline="always")
#: The kernels the gearbox calls at several sites (the full-load curve, the fuel map, the
#: operating point) are compiled once as functions of their own: numba's IR inlining lowered
#: the fuel map's bilinear interpolation once per call site (``combustion_drive`` alone took
#: 6.4 s of a cold compile, electric cars included).
_function = numba.njit(cache=True, error_model="numpy", _nrt=False)


# --------------------------------------------------------------------------------------
# Interpolation on fixed grids (reusable: any 1-D float64 table holding x and y blocks).
# --------------------------------------------------------------------------------------


@_kernel
def grid_segment(table, x_start, n, x):
    """Segment ``k`` in ``[0, n - 2]`` and weight ``t`` in ``[0, 1]`` of ``x`` on the strictly
    increasing grid ``table[x_start : x_start + n]`` (n >= 2); ``x`` outside the grid clamps
    to its ends (t = 0 or 1). No early exit: the loop always runs n - 2 times."""
    k = 0
    for i in range(1, n - 1):
        k += 1 if x >= table[x_start + i] else 0
    x0 = table[x_start + k]
    t = (x - x0) / (table[x_start + k + 1] - x0)
    return k, min(max(t, 0.0), 1.0)


@_kernel
def interp_linear(table, x_start, y_start, n, x):
    """Piecewise-linear ``y(x)`` from the grid ``table[x_start:x_start+n]`` and the values
    ``table[y_start:y_start+n]``, held constant outside the grid. Exact at grid points
    (``(1 - t) y0 + t y1`` with t = 0 or 1)."""
    k, t = grid_segment(table, x_start, n, x)
    return (1.0 - t) * table[y_start + k] + t * table[y_start + k + 1]


@_kernel
def interp_bilinear(table, x_start, nx, y_start, ny, z_start, row_stride, x, y):
    """Bilinear ``z(x, y)`` on grids ``table[x_start:x_start+nx]`` and
    ``table[y_start:y_start+ny]``; ``z(x_i, y_j) = table[z_start + i row_stride + j]``.
    Clamped to the grid, exact at grid points."""
    kx, tx = grid_segment(table, x_start, nx, x)
    ky, ty = grid_segment(table, y_start, ny, y)
    base = z_start + kx * row_stride + ky
    z0 = (1.0 - ty) * table[base] + ty * table[base + 1]
    z1 = (1.0 - ty) * table[base + row_stride] + ty * table[base + row_stride + 1]
    return (1.0 - tx) * z0 + tx * z1


# --------------------------------------------------------------------------------------
# Engine kernels
# --------------------------------------------------------------------------------------


@_function
def engine_full_load_torque_nm(ep, engine_speed_radps):
    """Full-load brake torque [N·m] at ``engine_speed_radps`` [rad/s]: the curve, constant
    below its first speed, 0 above the rev limit."""
    n = int(ep[IX_SPEED_POINTS])
    t = interp_linear(ep, IX_SPEED_RADPS, IX_FULL_LOAD_TORQUE_NM, n, engine_speed_radps)
    return t if engine_speed_radps <= ep[IX_MAX_SPEED_RADPS] else 0.0


@_kernel
def engine_friction_torque_nm(ep, engine_speed_radps):
    """Motored (friction and pumping) torque [N·m] >= 0 at ``engine_speed_radps`` [rad/s], a
    magnitude acting against rotation; constant outside the grid."""
    n = int(ep[IX_SPEED_POINTS])
    return interp_linear(ep, IX_SPEED_RADPS, IX_FRICTION_TORQUE_NM, n, engine_speed_radps)


@_function
def engine_fuel_flow_kgps(ep, engine_speed_radps, brake_torque_nm):
    """Fuel mass flow [kg/s] of the fuelled engine at ``engine_speed_radps`` [rad/s] and
    ``brake_torque_nm`` [N·m], the torque clamped to ``[0, full load]`` (no cut-off here; see
    :func:`engine_operating_point`). At zero torque: the no-load flow (idle consumption at the
    idle speed)."""
    torque = min(max(brake_torque_nm, 0.0), engine_full_load_torque_nm(ep, engine_speed_radps))
    return interp_bilinear(ep, IX_SPEED_RADPS, int(ep[IX_SPEED_POINTS]), IX_MAP_TORQUE_NM,
                           int(ep[IX_MAP_TORQUE_POINTS]), IX_FUEL_FLOW_KGPS,
                           FUEL_MAP_TORQUE_POINTS, engine_speed_radps, torque)


@_kernel
def engine_fuel_cut(ep, engine_speed_radps, torque_demand_nm):
    """True when the fuel is cut: a demand <= 0 above the cut-off speed (overrun), or any
    demand above the rev limit."""
    return ((torque_demand_nm <= 0.0 and engine_speed_radps > ep[IX_FUEL_CUTOFF_SPEED_RADPS])
            or engine_speed_radps > ep[IX_MAX_SPEED_RADPS])


@_function
def engine_operating_point(ep, engine_speed_radps, torque_demand_nm):
    """Brake torque [N·m] and fuel flow [kg/s] for a crankshaft torque demand [N·m] at
    ``engine_speed_radps`` [rad/s] (module docstring, "Operating point"): driving, limited by
    the full-load curve; fuel cut on overrun above the cut-off speed (zero fuel, ``-T_f``);
    no-load fuel and zero torque for a demand <= 0 at or below it."""
    cut = engine_fuel_cut(ep, engine_speed_radps, torque_demand_nm)
    fuelled = min(max(torque_demand_nm, 0.0),
                  engine_full_load_torque_nm(ep, engine_speed_radps))
    fuel = engine_fuel_flow_kgps(ep, engine_speed_radps, fuelled)
    braking = -engine_friction_torque_nm(ep, engine_speed_radps)
    return (braking if cut else fuelled), (0.0 if cut else fuel)


@_kernel
def engine_demand_fraction(ep, engine_speed_radps, torque_demand_nm):
    """Pedal-like demand in [0, 1]: torque demand / full-load torque at the speed (0 for a
    demand <= 0; 1 at or above full load, and at the rev limit)."""
    full = engine_full_load_torque_nm(ep, engine_speed_radps)
    ok = full > 0.0
    d = torque_demand_nm / (full if ok else 1.0)
    return min(max(d, 0.0), 1.0) if ok else (1.0 if torque_demand_nm > 0.0 else 0.0)


@_kernel
def engine_held_speed_radps(ep, demand_fraction):
    """Engine speed [rad/s] held while the clutch slips: idle at ``demand_fraction`` 0, the
    launch speed at 1, linear in between (clamped to [0, 1])."""
    d = min(max(demand_fraction, 0.0), 1.0)
    return ep[IX_IDLE_SPEED_RADPS] + d * (ep[IX_LAUNCH_SPEED_RADPS] - ep[IX_IDLE_SPEED_RADPS])


@_kernel
def clutch_engine_speed_radps(ep, clutch_speed_radps, demand_fraction):
    """Engine speed [rad/s] and slip flag (1.0 slipping, 0.0 locked) for the clutch's driven
    side turning at ``clutch_speed_radps`` (gearbox input; < 0 counts as 0): the engine turns
    at ``max(clutch speed, held speed)``; the clutch slips below the held speed."""
    hold = engine_held_speed_radps(ep, demand_fraction)
    slipping = clutch_speed_radps < hold
    return (hold if slipping else clutch_speed_radps), (1.0 if slipping else 0.0)


@_kernel
def clutch_torque_nm(brake_torque_nm, slipping):
    """Torque [N·m] the clutch passes to the gearbox: the brake torque when locked, only a
    driving (>= 0) one when slipping (``slipping`` 1.0 / 0.0)."""
    return max(brake_torque_nm, 0.0) if slipping > 0.5 else brake_torque_nm


@_kernel
def clutch_slip_power_w(clutch_torque, engine_speed_radps, clutch_speed_radps):
    """Heat [W] >= 0 of a slipping clutch: ``T (w_engine - w_clutch)`` (0 when locked)."""
    return max(clutch_torque * (engine_speed_radps - clutch_speed_radps), 0.0)


# --------------------------------------------------------------------------------------
# Parameter vector from a validated [combustion] section
# --------------------------------------------------------------------------------------


def _padded(values, size: int) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    return np.concatenate([values, np.full(size - values.size, values[-1])])


def engine_parameter_vector(combustion) -> np.ndarray:
    """Pack a validated :class:`sim.spec.combustion.Combustion` into ``ep`` (shape
    ``(ENGINE_PARAMETER_COUNT,)``, read-only, SI). Scalar fields must be single values (take
    a batch member first). The fuel map becomes fuel flow [kg/s]: column 0 the no-load flow,
    column j the BSFC x map torque x speed (g/kWh x N·m x rad/s / 3.6e9)."""
    c = combustion
    speeds = c.engine_speed_rpm * _RPM_TO_RADPS
    torques = np.concatenate([[0.0], c.fuel_map_torque_nm])
    flow = np.empty((speeds.size, torques.size))
    flow[:, 0] = c.no_load_fuel_flow_g_per_s / 1e3
    flow[:, 1:] = (c.fuel_map_bsfc_g_per_kwh * c.fuel_map_torque_nm[None, :]
                   * speeds[:, None] / 3.6e9)
    grid = np.empty((_K, _M))
    grid[:speeds.size, :torques.size] = flow
    grid[:speeds.size, torques.size:] = flow[:, -1:]
    grid[speeds.size:, :] = grid[speeds.size - 1, :]
    values = {
        "speed_points": speeds.size, "map_torque_points": torques.size,
        "idle_speed_radps": c.idle_speed_rpm * _RPM_TO_RADPS,
        "launch_speed_radps": c.launch_speed_rpm * _RPM_TO_RADPS,
        "fuel_cutoff_speed_radps": c.fuel_cutoff_speed_rpm * _RPM_TO_RADPS,
        "max_speed_radps": speeds[-1],
        "fuel_density_kg_per_l": c.fuel_density_kg_per_l,
        "co2_kg_per_kg_fuel": c.co2_kg_per_l / c.fuel_density_kg_per_l,
        "lower_heating_value_j_per_kg": c.lower_heating_value_mj_per_kg * 1e6,
    }
    ep = np.concatenate([
        np.array([float(np.asarray(values[n]).item()) for n in ENGINE_PARAMETER_NAMES[:9]]),
        _padded(speeds, _K), _padded(c.full_load_torque_nm, _K),
        _padded(c.friction_torque_nm, _K), _padded(torques, _M), grid.ravel(),
    ])
    if ep.size != ENGINE_PARAMETER_COUNT or not np.all(np.isfinite(ep)):  # pragma: no cover
        raise SpecError("<combustion>", "engine parameter vector", ep.size,
                        f"{ENGINE_PARAMETER_COUNT} finite entries")
    ep.flags.writeable = False
    return ep
