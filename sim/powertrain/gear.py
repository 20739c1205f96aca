"""Gear mesh losses: one reduction stage (or one engaged gear) as a ratio and an efficiency.

Sign convention
---------------
``torque_in_nm`` and ``speed_in_radps`` are at the input (machine or engine) shaft, positive
forward; the output (wheel side) turns at ``speed_in_radps / ratio``. Power flows **from the
input to the output** ("driving") when ``torque_in_nm * speed_in_radps >= 0`` and **from the
output to the input** ("overrun": regeneration, engine braking) otherwise. The mesh always
loses a share ``1 - efficiency`` of the power that flows *into* it:

* driving: ``T_out = ratio * efficiency * T_in`` (the wheel gets ``efficiency`` x the power);
* overrun: ``T_out = ratio * T_in / efficiency``, i.e. the input shaft receives ``efficiency``
  x the power the wheel puts in (the machine receives ``efficiency x`` the wheel torque,
  divided by the ratio).

At standstill (``speed_in_radps == 0``) no power flows and the driving form is used (a
torque applied from rest drives). The loss ``T_in w_in - T_out w_out`` is never negative.
The kernels are plain arithmetic with selects (no early returns), callable from compiled code
and from Python through ``.py_func``; the combustion gearbox calls them per engaged gear.
"""

from __future__ import annotations

import numba
import numpy as np

from sim.errors import SpecError

_kernel = numba.njit(cache=True, error_model="numpy", inline="always")


@_kernel
def gear_output_torque_nm(torque_in_nm, speed_in_radps, ratio, efficiency):
    """Torque [N·m] at the output (wheel side) of a stage of reduction ``ratio`` (input speed /
    output speed, > 0) and mesh ``efficiency`` (0..1], for input torque ``torque_in_nm`` [N·m]
    at input speed ``speed_in_radps`` [rad/s]: ``ratio * eta * T_in`` driving,
    ``ratio * T_in / eta`` on overrun (module docstring for signs)."""
    driving = torque_in_nm * speed_in_radps >= 0.0
    factor = efficiency if driving else 1.0 / efficiency
    return ratio * factor * torque_in_nm


@_kernel
def gear_input_torque_nm(torque_out_nm, speed_in_radps, ratio, efficiency):
    """Inverse of :func:`gear_output_torque_nm`: the input torque [N·m] that gives output
    torque ``torque_out_nm`` [N·m] at input speed ``speed_in_radps`` [rad/s] (same direction
    test: the input and output torques have the same sign)."""
    driving = torque_out_nm * speed_in_radps >= 0.0
    factor = 1.0 / efficiency if driving else efficiency
    return factor * torque_out_nm / ratio


@_kernel
def gear_loss_w(torque_in_nm, speed_in_radps, efficiency):
    """Mesh loss [W] >= 0: ``(1 - eta) |T_in w_in|`` driving, ``(1/eta - 1) |T_in w_in|`` on
    overrun (the ratio cancels: ``T_out w_out = factor * T_in w_in``)."""
    power_in = torque_in_nm * speed_in_radps
    driving = power_in >= 0.0
    factor = efficiency if driving else 1.0 / efficiency
    return power_in * (1.0 - factor)


def gear_output_torque(torque_in_nm, speed_in_radps, ratio, efficiency):
    """Vectorised :func:`gear_output_torque_nm` (broadcasting arrays); rejects a ratio <= 0 or
    an efficiency outside (0, 1] with :class:`~sim.errors.SpecError`."""
    ratio = np.asarray(ratio, dtype=float)
    efficiency = np.asarray(efficiency, dtype=float)
    if not np.all(np.isfinite(ratio) & (ratio > 0.0)):
        raise SpecError("gear_output_torque", "ratio", ratio, "finite numbers > 0")
    if not np.all((efficiency > 0.0) & (efficiency <= 1.0)):
        raise SpecError("gear_output_torque", "efficiency", efficiency, "numbers in (0, 1]")
    t, w, r, e = np.broadcast_arrays(np.asarray(torque_in_nm, dtype=float),
                                     np.asarray(speed_in_radps, dtype=float), ratio, efficiency)
    return _gear_output_many(t.ravel(), w.ravel(), r.ravel(), e.ravel()).reshape(t.shape)


@numba.njit(cache=True, error_model="numpy")
def _gear_output_many(t, w, r, e):
    out = np.empty(t.size)
    for i in range(t.size):
        out[i] = gear_output_torque_nm(t[i], w[i], r[i], e[i])
    return out


__all__ = ["gear_input_torque_nm", "gear_loss_w", "gear_output_torque",
           "gear_output_torque_nm"]
