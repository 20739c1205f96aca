"""numpy edge of the combustion powertrain: parameter vectors of a (batch of) vehicle(s),
fuel consumption at constant speed in the best gear, and the wheel-force envelope over speed.
Both call the compiled kernels of :mod:`sim.powertrain.engine` and
:mod:`sim.powertrain.gearbox`; nothing here is a second copy of the physics.
"""

from __future__ import annotations

import dataclasses
import math

import numba
import numpy as np

from sim._arrays import kernel_array
from sim.errors import SpecError
from sim.powertrain.engine import (
    ENGINE_PARAMETER_COUNT,
    IX_CO2_KG_PER_KG_FUEL,
    IX_FUEL_DENSITY_KG_PER_L,
    IX_MAX_SPEED_RADPS,
    engine_full_load_torque_nm,
    engine_operating_point,
    engine_parameter_vector,
)
from sim.powertrain.gearbox import (
    GEARBOX_PARAMETER_COUNT,
    IX_DOWNSHIFT_SPEED_LIGHT_RADPS,
    IX_GEAR_COUNT,
    best_gear_max_wheel_torque_nm,
    gearbox_input_speed_radps,
    gearbox_input_torque_nm,
    gearbox_parameter_vector,
)
from sim.units import KMH_PER_MPS

_ARG = "<argument>"


def combustion_parameters(vehicle) -> tuple[np.ndarray, np.ndarray]:
    """Engine and gearbox parameter vectors of every batch member of ``vehicle``:
    ``(ep, gp)`` of shapes ``(N, ENGINE_PARAMETER_COUNT)`` and ``(N, GEARBOX_PARAMETER_COUNT)``.
    Raises :class:`SpecError` if the vehicle has no ``[combustion]`` section."""
    c = vehicle.combustion
    if c is None:
        raise SpecError(vehicle.name or "<vehicle>", "combustion", None,
                        "a vehicle with a [combustion] section (a combustion variant)")
    n = vehicle.batch_size
    members = []
    for i in range(n):
        scalars = {f.name: float(np.asarray(getattr(c, f.name)).reshape(-1)[
            i if np.size(getattr(c, f.name)) > 1 else 0])
            for f in dataclasses.fields(c) if f.metadata.get("kind") == "quantity"}
        members.append(dataclasses.replace(c, **scalars))
    ep = np.stack([engine_parameter_vector(m) for m in members])
    gp = np.stack([gearbox_parameter_vector(m) for m in members])
    return ep, gp


@numba.njit(cache=True, error_model="numpy")
def cruise_fuel_flow_kgps(ep, gp, wheel_speed_radps, axle_torque_nm):
    """Least fuel flow [kg/s] that holds ``axle_torque_nm`` [N·m] at ``wheel_speed_radps``
    [rad/s] with the clutch locked, over the gears whose engine speed lies between the
    zero-pedal downshift speed and the rev limit and whose full load covers the demand.
    Returns ``(fuel_kgps, gear, feasible)``; ``feasible`` is 0.0 (and fuel 0, gear 0) when no
    gear can hold the point. Overrun points (torque < 0) cut the fuel where the engine is
    above its cut-off speed."""
    best = math.inf
    best_gear = 0.0
    for j in range(1, int(gp[IX_GEAR_COUNT]) + 1):
        w_e = gearbox_input_speed_radps(gp, j, wheel_speed_radps)
        t_in = gearbox_input_torque_nm(gp, j, axle_torque_nm)
        ok = (w_e >= gp[IX_DOWNSHIFT_SPEED_LIGHT_RADPS] and w_e <= ep[IX_MAX_SPEED_RADPS]
              and t_in <= engine_full_load_torque_nm(ep, w_e))
        fuel = engine_operating_point(ep, w_e, t_in)[1]
        better = ok and fuel < best
        best = fuel if better else best
        best_gear = float(j) if better else best_gear
    feasible = best_gear > 0.0
    return (best if feasible else 0.0), best_gear, (1.0 if feasible else 0.0)


@numba.njit(cache=True, error_model="numpy")
def _cruise_many(ep2d, gp2d, member, wheel_speed, axle_torque, fuel, gear, ok):
    for i in range(wheel_speed.size):
        fuel[i], gear[i], ok[i] = cruise_fuel_flow_kgps(ep2d[member[i]], gp2d[member[i]],
                                                        wheel_speed[i], axle_torque[i])


@numba.njit(cache=True, error_model="numpy")
def _envelope_many(ep2d, gp2d, member, wheel_speed, torque, gear):
    for i in range(wheel_speed.size):
        torque[i], gear[i] = best_gear_max_wheel_torque_nm(ep2d[member[i]], gp2d[member[i]],
                                                           wheel_speed[i])


def _checked(name, value, low, unit, *, low_open=False):
    a = np.asarray(value, dtype=np.float64)
    bad = ~np.isfinite(a) | ((a <= low) if low_open else (a < low))
    if np.any(bad):
        raise SpecError(_ARG, name, float(a[bad].flat[0]) if a.ndim else float(a),
                        f"finite, {'>' if low_open else '>='} {low:g} {unit}")
    return a


def _params(ep, gp):
    ep = np.atleast_2d(np.asarray(ep, dtype=np.float64))
    gp = np.atleast_2d(np.asarray(gp, dtype=np.float64))
    for name, p, count in (("ep", ep, ENGINE_PARAMETER_COUNT),
                           ("gp", gp, GEARBOX_PARAMETER_COUNT)):
        if p.ndim != 2 or p.shape[1] != count or not np.all(np.isfinite(p)):
            raise SpecError(_ARG, name, p.shape,
                            f"finite, shape (N, {count}) (see combustion_parameters)")
    if ep.shape[0] != gp.shape[0]:
        raise SpecError(_ARG, "gp", gp.shape[0], f"as many members as ep ({ep.shape[0]})")
    return ep, gp


def _broadcast(ep, args):
    """Flatten the arguments; with N > 1 members their leading axis is the member."""
    n = ep.shape[0]
    shapes = [a.shape for a in args]
    if n == 1:
        shape = np.broadcast_shapes(*shapes)
        member = np.zeros(shape, dtype=np.int64)
    else:
        ndim = max(1, *(len(s) for s in shapes))
        lead = (n,) + (1,) * (ndim - 1)
        shape = np.broadcast_shapes(lead, *shapes)
        member = np.broadcast_to(np.arange(n, dtype=np.int64).reshape(lead), shape)
    flat = [kernel_array(np.broadcast_to(a, shape)).ravel() for a in args]
    return kernel_array(member, np.int64).ravel(), flat, shape


def constant_speed_fuel_consumption(ep, gp, speed_kmh, road_load_force_n, wheel_radius_m):
    """Fuel consumption at constant speed in the best gear (least fuel, clutch locked).

    Parameters: ``ep``, ``gp`` from :func:`combustion_parameters` (``(N, P)``, or one vector);
    ``speed_kmh`` [km/h] > 0; ``road_load_force_n`` [N] the force the driven wheels must
    deliver (drag + rolling + grade; may be < 0 downhill); ``wheel_radius_m`` [m] > 0. With
    several members the leading axis of the other arguments is the member.

    Returns ``(l_per_100km, co2_g_per_km, gear)`` (floats for scalar inputs and one member).
    Raises :class:`SpecError` naming the speed when no gear can hold the point.
    """
    ep, gp = _params(ep, gp)
    v = _checked("speed_kmh", speed_kmh, 0.0, "km/h", low_open=True) / KMH_PER_MPS
    f = _checked("road_load_force_n", road_load_force_n, -math.inf, "N")
    r = _checked("wheel_radius_m", wheel_radius_m, 0.0, "m", low_open=True)
    member, (v_f, f_f, r_f), shape = _broadcast(ep, (v, f, r))
    fuel = np.empty(v_f.size)
    gear = np.empty(v_f.size)
    ok = np.empty(v_f.size)
    _cruise_many(ep, gp, member, v_f / r_f, f_f * r_f, fuel, gear, ok)
    if not np.all(ok > 0.5):
        i = int(np.flatnonzero(ok < 0.5)[0])
        raise SpecError(_ARG, "speed_kmh", float(v_f[i] * KMH_PER_MPS),
                        f"no gear holds {f_f[i]:.0f} N at this speed (beyond the powertrain's "
                        "envelope or below the lowest cruising engine speed)")
    density = ep[member, IX_FUEL_DENSITY_KG_PER_L]
    litres_per_m = fuel / density / v_f
    co2_g_per_km = fuel * ep[member, IX_CO2_KG_PER_KG_FUEL] / v_f * 1e6
    out = (litres_per_m * 1e5, co2_g_per_km, gear)
    if shape == ():
        return tuple(float(a[0]) for a in out)
    return tuple(a.reshape(shape) for a in out)


def wheel_force_envelope_n(ep, gp, speed_kmh, wheel_radius_m):
    """Largest tractive force [N] of the powertrain over speed, in the best gear (the launch
    rule below the first gear's launch speed; zero above the top gear's rev limit), and that
    gear. Same argument rules as :func:`constant_speed_fuel_consumption`; ``speed_kmh`` >= 0.
    Returns ``(force_n, gear)``. Rotating inertias and the shift dip are not included."""
    ep, gp = _params(ep, gp)
    v = _checked("speed_kmh", speed_kmh, 0.0, "km/h") / KMH_PER_MPS
    r = _checked("wheel_radius_m", wheel_radius_m, 0.0, "m", low_open=True)
    member, (v_f, r_f), shape = _broadcast(ep, (v, r))
    torque = np.empty(v_f.size)
    gear = np.empty(v_f.size)
    _envelope_many(ep, gp, member, v_f / r_f, torque, gear)
    force = torque / r_f
    if shape == ():
        return float(force[0]), float(gear[0])
    return force.reshape(shape), gear.reshape(shape)
