"""Regenerative braking: the split of a brake demand between the electric machines and the
friction brakes (compiled scalar kernels and their numpy entry point).

ONE rule, called by the longitudinal cycle model (:mod:`sim.energy.longitudinal`) and by the
two-track model's passive drivetrain (:mod:`sim.chassis.powertrain`):

* **Which axles regenerate** (:func:`regenerative_axle_share`): the brake demand is offered to
  the axles that carry an electric machine, by the brake balance ``brake_front_share`` when
  both axles have one; all of it to the one axle that has (series regenerative braking: the
  friction brakes take what the machines cannot).
* **How much a machine slot takes** (:func:`regenerative_wheel_torque_nm`): its share of the
  demand, capped by ``[energy] max_regenerative_deceleration_mps2`` (``m a_max`` over the
  whole car), then by the machine's envelope at the wheel, and **only where regenerating
  returns energy**: the drive unit's DC power at that torque is below its DC power at zero
  torque at the same speed (near standstill the copper loss exceeds what the braking
  recovers); zero when ``[energy] regenerative_braking`` is off.

The battery's available charge power is applied afterwards by each caller (all regenerative
torques scaled by one factor, the friction brakes taking over what they drop).

Signs: ``brake_force_n`` >= 0 is the magnitude of the braking force the driver asks [N]; the
returned wheel torque is <= 0 (a braking torque on a wheel turning forward) [N·m], summed
over the wheels the slot drives; wheel speed [rad/s] positive forward.
"""

from __future__ import annotations

import numba
import numpy as np

from sim._arrays import kernel_array
from sim.errors import SpecError
from sim.powertrain.drive_unit import wheel_drive_unit_power
from sim.powertrain.electric_machine import DRIVE_UNIT_PARAMETER_COUNT
from sim.powertrain.layout import KIND_ELECTRIC, N_MACHINES, drives_wheels

_kernel = numba.njit(cache=True, error_model="numpy", inline="always")
# Compiled once as functions of their own and called (scalar code, once per step and member;
# inlining them at every call site multiplied the compile time of their callers).
_function = numba.njit(cache=True, error_model="numpy", _nrt=False)


@_kernel
def regenerating_axles(drives, kinds):
    """``(front, rear)``: whether each axle has an electric machine, from the machine slots'
    ``drives`` codes and ``kinds`` (:data:`~sim.powertrain.layout.N_MACHINES`-tuples, as the
    parameter tables store them): the axles :func:`regenerative_axle_share` offers the brake
    demand to."""
    front, rear = False, False
    for k in range(N_MACHINES):
        first = drives_wheels(drives[k])[0]
        electric = first >= 0 and kinds[k] == KIND_ELECTRIC
        front = front or (electric and first < 2)
        rear = rear or (electric and first >= 2)
    return front, rear


@_kernel
def regenerative_axle_share(brake_front_share, front_regenerates, rear_regenerates, axle):
    """Share [-] of the brake demand offered to axle ``axle`` (0 front, 1 rear): the brake
    balance when both axles have an electric machine, 1 for the only axle that has one, 0
    for an axle without (and for both when neither has one)."""
    both = front_regenerates and rear_regenerates
    front = brake_front_share if both else (1.0 if front_regenerates else 0.0)
    rear = (1.0 - brake_front_share) if both else (1.0 if rear_regenerates else 0.0)
    return front if axle == 0 else rear


@_function
def regenerative_wheel_torque_nm(enabled, share, brake_force_n, max_regenerative_force_n,
                                 wheel_radius_m, limit_nm, dup, ratio, omega_wheel_radps,
                                 bus_voltage_v):
    """Regenerative torque [N·m] (<= 0, summed over its wheels) of one electric machine slot.

    ``enabled`` (bool) the ``regenerative_braking`` switch; ``share`` [-] the slot's share of
    the demand (its axle's :func:`regenerative_axle_share` times the fraction of that axle's
    wheels it drives); ``brake_force_n`` [N] >= 0 the driver's brake demand;
    ``max_regenerative_force_n`` [N] the car's mass times
    ``max_regenerative_deceleration_mps2``; ``limit_nm`` [N·m] the machine's envelope at the
    wheel(s) at ``omega_wheel_radps``; ``dup``, ``ratio`` the drive unit's parameter vector
    and reduction; ``bus_voltage_v`` [V] the bus the losses are evaluated at. Zero where
    regeneration is off, not asked, or would draw more from the bus than the machine spinning
    at zero torque."""
    want = share * min(max(brake_force_n, 0.0), max_regenerative_force_n) * wheel_radius_m
    torque = -min(want, max(limit_nm, 0.0))
    p_regen = wheel_drive_unit_power(dup, ratio, torque, omega_wheel_radps, bus_voltage_v)[0]
    p_idle = wheel_drive_unit_power(dup, ratio, 0.0, omega_wheel_radps, bus_voltage_v)[0]
    returns = p_regen < p_idle
    return torque if (enabled and returns) else 0.0


@numba.njit(cache=True, error_model="numpy")
def _regen_many(enabled, share, force, cap, radius, limit, dup, ratio, omega, volts, out):
    for i in range(out.size):
        out[i] = regenerative_wheel_torque_nm(enabled[i] > 0.5, share[i], force[i], cap[i],
                                              radius[i], limit[i], dup, ratio[i], omega[i],
                                              volts[i])


def regenerative_wheel_torques_nm(enabled, share, brake_force_n, max_regenerative_force_n,
                                  wheel_radius_m, limit_nm, dup, ratio, omega_wheel_radps,
                                  bus_voltage_v) -> np.ndarray:
    """:func:`regenerative_wheel_torque_nm` over broadcast numpy arrays (one drive unit
    ``dup``, shape ``(DRIVE_UNIT_PARAMETER_COUNT,)``) [N·m]."""
    dup = np.ascontiguousarray(dup, dtype=np.float64)
    if dup.shape != (DRIVE_UNIT_PARAMETER_COUNT,) or not np.all(np.isfinite(dup)):
        raise SpecError("<argument>", "dup", dup.shape,
                        f"finite, shape ({DRIVE_UNIT_PARAMETER_COUNT},)")
    names = ("enabled", "share", "brake_force_n", "max_regenerative_force_n",
             "wheel_radius_m", "limit_nm", "ratio", "omega_wheel_radps", "bus_voltage_v")
    args = [np.asarray(a, dtype=np.float64) for a in (
        enabled, share, brake_force_n, max_regenerative_force_n, wheel_radius_m, limit_nm,
        ratio, omega_wheel_radps, bus_voltage_v)]
    lows = (0.0, 0.0, 0.0, 0.0, 1e-9, 0.0, 1e-9, -np.inf, 1e-9)
    for name, a, low in zip(names, args, lows, strict=True):
        bad = ~np.isfinite(a) | (a < low)
        if np.any(bad):
            raise SpecError("<argument>", name, float(a[bad].flat[0]) if a.ndim else float(a),
                            f"finite, >= {low:g}")
    shape = np.broadcast_shapes(*(a.shape for a in args))
    flat = [kernel_array(np.broadcast_to(a, shape)).ravel() for a in args]
    out = np.empty(flat[0].size)
    _regen_many(*flat[:6], dup, *flat[6:], out)
    return out.reshape(shape)


__all__ = ["regenerative_axle_share", "regenerative_wheel_torque_nm",
           "regenerative_wheel_torques_nm"]
