"""Torque envelope of a machine slot at the wheel(s) it drives (compiled scalar kernel and
its numpy entry point).

One implementation for every caller: the passive drivetrain (:mod:`sim.chassis.two_track`),
the dynamic module's saturation (:mod:`sim.adm.kernel`) and the straight-line closed form
(:mod:`sim.maneuvers.straight_line`). Slots and codes: :mod:`sim.powertrain.layout`.

* Electric machine: the shaft envelope of :func:`sim.powertrain.electric_machine.
  shaft_torque_limit_nm` at ``omega_wheel * gear_ratio``, times the reduction.
* Combustion engine: an ideal stepless gearbox between first (``gear_ratio``) and top gear
  (``top_gear_ratio``): the wheel torque ``min(T_peak * i_first, P_peak / omega_wheel)``,
  tapering to zero as the engine reaches its top speed in top gear.

Torques are summed over an axle machine's two wheels; signs: wheel speed [rad/s] positive
forward; the returned limit is a magnitude [N·m].
"""

from __future__ import annotations

import numba
import numpy as np

from sim.errors import SpecError
from sim.powertrain.electric_machine import TAPER_FRACTION, shaft_torque_limit_nm
from sim.powertrain.layout import KIND_COMBUSTION

_kernel = numba.njit(cache=True, error_model="numpy", inline="always")


@_kernel
def wheel_torque_limit_nm(kind, peak_torque_nm, peak_power_w, max_speed_radps, gear_ratio,
                          top_gear_ratio, wheel_speed_radps):
    """Largest drive torque [N·m] a machine slot delivers at the wheel(s) it drives at wheel
    speed ``wheel_speed_radps`` [rad/s] (see the module docstring)."""
    omega = abs(wheel_speed_radps)
    if kind == KIND_COMBUSTION:
        top = top_gear_ratio if top_gear_ratio > 0.0 else gear_ratio
        torque = min(peak_torque_nm * gear_ratio, peak_power_w / max(omega, 1e-3))
        taper = (max_speed_radps - omega * top) / (TAPER_FRACTION * max_speed_radps)
        return torque * min(max(taper, 0.0), 1.0)
    return gear_ratio * shaft_torque_limit_nm(peak_torque_nm, peak_power_w, max_speed_radps,
                                              omega * gear_ratio)


@numba.njit(cache=True, error_model="numpy")
def _limit_many(kind, peak_torque, peak_power, max_speed, gear, top_gear, speed, out):
    for i in range(out.size):
        out[i] = wheel_torque_limit_nm(kind[i], peak_torque[i], peak_power[i], max_speed[i],
                                       gear[i], top_gear[i], speed[i])


def wheel_torque_limits_nm(kind, peak_torque_nm, peak_power_w, max_speed_radps, gear_ratio,
                           top_gear_ratio, wheel_speed_radps) -> np.ndarray:
    """:func:`wheel_torque_limit_nm` over broadcast numpy arrays [N·m]."""
    args = [np.asarray(a, dtype=float) for a in (kind, peak_torque_nm, peak_power_w,
                                                  max_speed_radps, gear_ratio, top_gear_ratio,
                                                  wheel_speed_radps)]
    names = ("kind", "peak_torque_nm", "peak_power_w", "max_speed_radps", "gear_ratio",
             "top_gear_ratio", "wheel_speed_radps")
    for name, a in zip(names, args, strict=True):
        if not np.all(np.isfinite(a)):
            raise SpecError("<argument>", name, "non-finite entry", "finite numbers")
    shape = np.broadcast_shapes(*(a.shape for a in args))
    flat = [np.ascontiguousarray(np.broadcast_to(a, shape)).ravel() for a in args]
    out = np.empty(flat[0].size)
    _limit_many(*flat, out)
    return out.reshape(shape)


__all__ = ["wheel_torque_limit_nm", "wheel_torque_limits_nm"]
