"""Electric traction machine: torque envelope at the shaft (compiled scalar kernels).

Signs: shaft speed ``omega_radps`` [rad/s] and torque [N·m] positive driving the car forward;
the envelope is symmetric (the same magnitude is available for regeneration, which the
callers decide). The envelope: constant torque up to the base speed
``peak_power / peak_torque``, constant power above it, and a linear taper to zero torque over
the last :data:`TAPER_FRACTION` of the machine's top speed (a machine at its top speed
delivers nothing more; the taper keeps the force continuous for the integrators).
"""

from __future__ import annotations

import numba

_kernel = numba.njit(cache=True, error_model="numpy", inline="always")

#: Share of the top speed over which the torque tapers to zero.
TAPER_FRACTION = 0.03
#: Floor of the speed [rad/s] in ``peak_power / omega`` (the torque limit at standstill).
_OMEGA_FLOOR_RADPS = 1e-3


@_kernel
def shaft_torque_limit_nm(peak_torque_nm, peak_power_w, max_speed_radps, omega_radps):
    """Largest torque magnitude [N·m] at the shaft at speed ``omega_radps`` [rad/s] (either
    sign): ``min(T_peak, P_peak / |omega|)`` times the top-speed taper, 0 at and beyond the
    top speed ``max_speed_radps``."""
    speed = abs(omega_radps)
    torque = min(peak_torque_nm, peak_power_w / max(speed, _OMEGA_FLOOR_RADPS))
    taper = (max_speed_radps - speed) / (TAPER_FRACTION * max_speed_radps)
    return torque * min(max(taper, 0.0), 1.0)


__all__ = ["TAPER_FRACTION", "shaft_torque_limit_nm"]
