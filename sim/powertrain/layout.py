"""Machine slots and codes: which machine drives which wheel, and of what kind.

Every drivetrain layout maps onto at most :data:`N_MACHINES` machine slots. A slot's
``drives`` code is a wheel index (0..3 = FL..RR, one machine per wheel), an axle through an
open differential (:data:`DRIVES_FRONT_AXLE`, :data:`DRIVES_REAR_AXLE`) or
:data:`DRIVES_NONE` (empty slot); its ``kind`` is :data:`KIND_ELECTRIC` or
:data:`KIND_COMBUSTION`. The per-slot parameters are the rows :data:`MACHINE_FIELDS`, named
``machine<k>_<field>`` in the kernels' parameter tables (:func:`machine_parameter_names`).

This module sits below the chassis and the dynamic module, which both read these codes.
"""

from __future__ import annotations

import numba

#: Machine slots: every layout maps onto at most four machines.
N_MACHINES = 4
#: ``drives`` codes: one wheel FL..RR (0..3), an axle through an open differential, or none.
DRIVES_NONE, DRIVES_FRONT_AXLE, DRIVES_REAR_AXLE = -1, 4, 5
#: ``kind`` codes.
KIND_ELECTRIC, KIND_COMBUSTION = 0, 1

#: Vehicle-file ``drives`` value -> code.
DRIVES_CODE = {"FL": 0, "FR": 1, "RL": 2, "RR": 3,
               "front_axle": DRIVES_FRONT_AXLE, "rear_axle": DRIVES_REAR_AXLE}

#: Per-slot parameter rows, in this order: what it drives and its kind (codes), peak torque at
#: the shaft [N·m], peak mechanical power [W], top speed [rad/s], reduction (machine / wheel
#: speed; for an engine first gear x final drive, informative only: an engine drives through
#: its stepped gearbox, :mod:`sim.powertrain.gearbox`).
MACHINE_FIELDS = ("drives", "kind", "peak_torque_nm", "peak_power_w", "max_speed_radps",
                  "gear_ratio")
MACHINE_STRIDE = len(MACHINE_FIELDS)
M_DRIVES, M_KIND, M_PEAK_TORQUE, M_PEAK_POWER, M_MAX_SPEED, M_GEAR = range(MACHINE_STRIDE)


def machine_parameter_names() -> tuple[str, ...]:
    """Row names of every slot's parameters, slot by slot (``machine0_drives``, ...)."""
    return tuple(f"machine{k}_{field}" for k in range(N_MACHINES) for field in MACHINE_FIELDS)


@numba.njit(cache=True, error_model="numpy", inline="always")
def drives_wheels(code):
    """Wheels ``(first, second)`` a slot with ``drives`` code ``code`` (a float or an int, as
    stored in the parameter tables) turns: ``(w, -1)`` for one wheel FL..RR (0..3), ``(0, 1)``
    the front axle, ``(2, 3)`` the rear axle, ``(-1, -1)`` an empty slot (or any other code).
    The one mapping of codes to wheels: every kernel and :func:`wheels_of` call it."""
    c = int(code)
    axle = (c == DRIVES_FRONT_AXLE) | (c == DRIVES_REAR_AXLE)
    wheel = (c >= 0) & (c <= 3)
    first = (0 if c == DRIVES_FRONT_AXLE else 2) if axle else (c if wheel else -1)
    return first, (first + 1 if axle else -1)


def wheels_of(code: int) -> tuple[int, ...]:
    """Wheel indices driven by a slot with ``drives`` code ``code`` (empty for none): the
    Python view of :func:`drives_wheels`."""
    first, second = drives_wheels(code)
    return tuple(w for w in (first, second) if w >= 0)


__all__ = ["DRIVES_CODE", "DRIVES_FRONT_AXLE", "DRIVES_NONE", "DRIVES_REAR_AXLE",
           "KIND_COMBUSTION", "KIND_ELECTRIC", "MACHINE_FIELDS", "MACHINE_STRIDE",
           "M_DRIVES", "M_GEAR", "M_KIND", "M_MAX_SPEED", "M_PEAK_POWER", "M_PEAK_TORQUE",
           "N_MACHINES", "drives_wheels", "machine_parameter_names", "wheels_of"]
