"""An electric drive unit seen from the wheel: reduction gear, machine, inverter and cable.

One kernel, :func:`wheel_drive_unit_power`, shared by the longitudinal cycle model
(:mod:`sim.energy.longitudinal`) and the two-track time loop (:mod:`sim.chassis.powertrain`):
a torque at the wheel side of the reduction becomes the machine's shaft torque through the
mesh (:func:`sim.powertrain.gear.gear_input_torque_nm`), and that becomes the DC power at the
bus with every loss (:func:`sim.powertrain.electric_machine.drive_unit_dc_power`).

Signs: torques and speeds positive forward; ``dc_power_w`` > 0 drawn from the bus, < 0 fed
back; every loss >= 0, and ``dc_power_w = T_wheel omega_wheel + gear + copper + iron +
friction + inverter + cable + lumped`` exactly (motoring and generating).
"""

from __future__ import annotations

import numba

from sim.powertrain.electric_machine import LP_GEAR_EFFICIENCY, drive_unit_dc_power
from sim.powertrain.gear import gear_input_torque_nm, gear_loss_w

_kernel = numba.njit(cache=True, error_model="numpy", inline="always")


@_kernel
def wheel_drive_unit_power(dup, ratio, wheel_torque_nm, omega_wheel_radps, bus_voltage_v):
    """Drive unit ``dup`` (a vector laid out by
    :data:`sim.powertrain.electric_machine.DRIVE_UNIT_PARAMETER_NAMES`) behind a reduction of
    ``ratio`` (machine / wheel speed) delivering ``wheel_torque_nm`` [N·m] (summed over the
    wheels it drives) at wheel speed ``omega_wheel_radps`` [rad/s] (an axle's mean), on a bus at
    ``bus_voltage_v`` [V].

    Returns ``(dc_power_w, copper_w, iron_w, friction_w, inverter_w, cable_w, lumped_w,
    gear_w, shaft_torque_nm)``."""
    w_s = omega_wheel_radps * ratio
    t_s = gear_input_torque_nm(wheel_torque_nm, w_s, ratio, dup[LP_GEAR_EFFICIENCY])
    dc, cu, fe, fr, inv, cable, lumped = drive_unit_dc_power(dup, t_s, w_s, bus_voltage_v)
    gear = gear_loss_w(t_s, w_s, dup[LP_GEAR_EFFICIENCY])
    return dc, cu, fe, fr, inv, cable, lumped, gear, t_s


__all__ = ["wheel_drive_unit_power"]
