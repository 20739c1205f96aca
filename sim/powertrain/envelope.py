"""Torque envelope of an electric machine slot at the wheel(s) it drives (compiled scalar
kernel and its numpy entry point).

One implementation for every caller: the passive drivetrain (:mod:`sim.chassis.two_track`),
the dynamic module's saturation (:mod:`sim.adm.kernel`), the longitudinal cycle model
(:mod:`sim.energy.longitudinal`) and the straight-line closed form
(:mod:`sim.maneuvers.straight_line`). Slots and codes: :mod:`sim.powertrain.layout`.

The shaft envelope of :func:`sim.powertrain.electric_machine.shaft_torque_limit_nm` at
``omega_wheel * gear_ratio``, times the reduction. A combustion engine has no envelope of this
form: it drives through its stepped gearbox (:func:`sim.powertrain.gearbox.
powertrain_axle_torque` in the time loops; :func:`sim.powertrain.gearbox.
best_gear_max_wheel_torque_nm` for a closed form).

Torques are summed over an axle machine's two wheels; signs: wheel speed [rad/s] positive
forward; the returned limit is a magnitude [N·m].
"""

from __future__ import annotations

import numba
import numpy as np

from sim._arrays import kernel_array
from sim.errors import SpecError
from sim.powertrain.electric_machine import shaft_torque_limit_nm

_kernel = numba.njit(cache=True, error_model="numpy", inline="always")


@_kernel
def wheel_torque_limit_nm(peak_torque_nm, peak_power_w, max_speed_radps, gear_ratio,
                          wheel_speed_radps):
    """Largest torque [N·m] an electric machine slot with reduction ``gear_ratio`` (machine /
    wheel speed) delivers at the wheel(s) it drives at wheel speed ``wheel_speed_radps``
    [rad/s] (either sign: the magnitude is used)."""
    omega = abs(wheel_speed_radps)
    return gear_ratio * shaft_torque_limit_nm(peak_torque_nm, peak_power_w, max_speed_radps,
                                              omega * gear_ratio)


@numba.njit(cache=True, error_model="numpy")
def _limit_many(peak_torque, peak_power, max_speed, gear, speed, out):
    for i in range(out.size):
        out[i] = wheel_torque_limit_nm(peak_torque[i], peak_power[i], max_speed[i], gear[i],
                                       speed[i])


def wheel_torque_limits_nm(peak_torque_nm, peak_power_w, max_speed_radps, gear_ratio,
                           wheel_speed_radps) -> np.ndarray:
    """:func:`wheel_torque_limit_nm` over broadcast numpy arrays [N·m]."""
    args = [np.asarray(a, dtype=float) for a in (peak_torque_nm, peak_power_w,
                                                  max_speed_radps, gear_ratio,
                                                  wheel_speed_radps)]
    names = ("peak_torque_nm", "peak_power_w", "max_speed_radps", "gear_ratio",
             "wheel_speed_radps")
    for name, a in zip(names, args, strict=True):
        if not np.all(np.isfinite(a)):
            raise SpecError("<argument>", name, "non-finite entry", "finite numbers")
    shape = np.broadcast_shapes(*(a.shape for a in args))
    flat = [kernel_array(np.broadcast_to(a, shape)).ravel() for a in args]
    out = np.empty(flat[0].size)
    _limit_many(*flat, out)
    return out.reshape(shape)


__all__ = ["wheel_torque_limit_nm", "wheel_torque_limits_nm"]
