"""Actuator-layout baselines: the same car with its drivetrain swapped for an invented,
documented machine set of another layout (a per-run override of the ``[drivetrain]``
section)."""

from __future__ import annotations

import dataclasses
import types

from sim.errors import SpecError
from sim.spec.dynamics import LAYOUTS, Motor
from sim.spec.vehicle import Vehicle, check_vehicle


def _motor(drives, torque, power, speed, gear, inertia) -> Motor:
    return Motor(drives=drives, peak_torque_nm=torque, peak_power_kw=power,
                 max_speed_rpm=speed, gear_ratio=gear, rotor_inertia_kgm2=inertia)


#: INVENTED machine sets per layout, sized to about the coupé's 420 kW of peak machine power
#: (so that a layout comparison compares how the power is distributed, not how much there
#: is): ``(front_torque_share, {name: Motor})``.
LAYOUT_MACHINES = {
    "single_rear": (0.0, {
        "rear": _motor("rear_axle", 480.0, 420.0, 18000.0, 9.0, 0.060)}),
    "one_per_axle": (0.35, {
        "front": _motor("front_axle", 280.0, 150.0, 18000.0, 9.0, 0.035),
        "rear": _motor("rear_axle", 420.0, 270.0, 18000.0, 9.0, 0.050)}),
    "front_and_two_rear": (0.35, {
        "front": _motor("front_axle", 280.0, 120.0, 18000.0, 9.0, 0.035),
        "rear_left": _motor("RL", 310.0, 150.0, 20000.0, 10.5, 0.030),
        "rear_right": _motor("RR", 310.0, 150.0, 20000.0, 10.5, 0.030)}),
    "four_wheel": (0.35, {
        "front_left": _motor("FL", 190.0, 90.0, 20000.0, 10.5, 0.022),
        "front_right": _motor("FR", 190.0, 90.0, 20000.0, 10.5, 0.022),
        "rear_left": _motor("RL", 260.0, 120.0, 20000.0, 10.5, 0.028),
        "rear_right": _motor("RR", 260.0, 120.0, 20000.0, 10.5, 0.028)}),
}


def with_layout(vehicle: Vehicle, layout: str) -> Vehicle:
    """``vehicle`` with its traction machines replaced by the invented set of ``layout``
    (:data:`LAYOUT_MACHINES`; about 420 kW in every layout); battery limits, brakes, masses
    and everything else unchanged (the drive units' masses stay where the vehicle file put
    them: a comparison of actuators, not of mass distributions). The front torque share of
    the passive drivetrain is the set's. Raises :class:`~sim.errors.SpecError` for an
    unknown layout or a vehicle without ``[drivetrain]``."""
    if layout not in LAYOUT_MACHINES:
        raise SpecError("<with_layout>", "layout", layout, "one of " + ", ".join(LAYOUTS))
    if vehicle.drivetrain is None:
        raise SpecError(vehicle.name or "<vehicle>", "drivetrain", None,
                        "a vehicle with a [drivetrain] section")
    share, motors = LAYOUT_MACHINES[layout]
    drivetrain = dataclasses.replace(vehicle.drivetrain, layout=layout, front_torque_share=share,
                                     motors=types.MappingProxyType(dict(motors)))
    new = dataclasses.replace(vehicle, drivetrain=drivetrain,
                              name=f"{vehicle.name}+{layout}" if vehicle.name else layout)
    check_vehicle(new, "<with_layout>")
    return new
