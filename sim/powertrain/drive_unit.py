"""Electric drive units seen from the wheel: reduction gear, machine, inverter and cable;
their sum over the machine slots; and the battery-limit search on that sum.

Shared by the longitudinal cycle model (:mod:`sim.energy.longitudinal`) and the two-track
time loop (:mod:`sim.chassis.powertrain`), which only differ in how they turn wheel torques
into per-slot inputs:

* :func:`wheel_drive_unit_power`: a torque at the wheel side of the reduction becomes the
  machine's shaft torque through the mesh (:func:`sim.powertrain.gear.gear_input_torque_nm`),
  and that becomes the DC power at the bus with every loss
  (:func:`sim.powertrain.electric_machine.drive_unit_dc_power`);
* :func:`drive_unit_sums`: that for every slot of :data:`sim.powertrain.layout.N_MACHINES`
  given per-slot wheel torque, wheel speed, reduction and an active flag, summed;
* :func:`largest_admissible_scale`: the largest factor ``s`` in [0, 1] on the scalable part of
  the slots' wheel torques (``fixed + s scaled``) whose battery terminal power stays within
  the battery's available power (discharging ``P <= limit``, charging ``P >= -limit``).
  ``P(s)`` is monotonic for one direction of power flow, so the search is a bracketing one:
  regula falsi with the Illinois modification (a bisection step whenever the secant leaves
  the bracket), converging superlinearly where the former bisection halved the bracket once
  per evaluation, and it always ends on the admissible side.

Signs: torques and speeds positive forward; ``dc_power_w`` > 0 drawn from the bus, < 0 fed
back; every loss >= 0, and ``dc_power_w = T_wheel omega_wheel + gear + copper + iron +
friction + inverter + cable + lumped`` exactly (motoring and generating).
"""

from __future__ import annotations

import numba

from sim.powertrain.electric_machine import LP_GEAR_EFFICIENCY, drive_unit_dc_power
from sim.powertrain.gear import gear_input_torque_nm, gear_loss_w
from sim.powertrain.layout import N_MACHINES

_kernel = numba.njit(cache=True, error_model="numpy", inline="always")
# Compiled once as a function of its own (inlining the drive unit at every call site
# multiplies the compile time of the callers), without reference counting (``_nrt=False``: no
# atomic incref/decref of the array arguments around each call; nothing here allocates).
_function = numba.njit(cache=True, error_model="numpy", _nrt=False)

#: The slot sums below are written out for four slots.
assert N_MACHINES == 4, "drive_unit_sums is written for four machine slots"

#: ``twins`` argument of :func:`drive_unit_sums` for callers that know no two slots alike.
NO_TWINS = (False, False, False, False)

#: Relative tolerance of :func:`largest_admissible_scale` on the terminal power, as a share
#: of ``|P(1) - P(0)|`` (the former 40-step bisection resolved the factor to 1e-12).
SCALE_TOLERANCE = 1e-12
#: Most evaluations of the search after its two ends (it converges in well under 20).
SCALE_MAX_ITERATIONS = 60


@_function
def wheel_drive_unit_power(dup, ratio, wheel_torque_nm, omega_wheel_radps, bus_voltage_v):
    """Drive unit ``dup`` (a vector laid out by
    :data:`sim.powertrain.electric_machine.DRIVE_UNIT_PARAMETER_NAMES`) behind a reduction of
    ``ratio`` (machine / wheel speed) delivering ``wheel_torque_nm`` [N·m] (summed over the
    wheels it drives) at wheel speed ``omega_wheel_radps`` [rad/s] (an axle's mean), on a bus at
    ``bus_voltage_v`` [V].

    Returns ``(dc_power_w, copper_w, iron_w, friction_w, inverter_w, cable_w, lumped_w,
    gear_w, shaft_torque_nm)``. Compiled once and called (the slot sums and regeneration's
    "does it return energy" test call it; numba's IR inlining lowered the whole drive unit
    again at each call site)."""
    w_s = omega_wheel_radps * ratio
    t_s = gear_input_torque_nm(wheel_torque_nm, w_s, ratio, dup[LP_GEAR_EFFICIENCY])
    dc, cu, fe, fr, inv, cable, lumped = drive_unit_dc_power(dup, t_s, w_s, bus_voltage_v)
    gear = gear_loss_w(t_s, w_s, dup[LP_GEAR_EFFICIENCY])
    return dc, cu, fe, fr, inv, cable, lumped, gear, t_s


@_function
def slot_drive_unit_power(dup_k, ratio, wheel_torque_nm, omega_wheel_radps, bus_voltage_v,
                          active):
    """:func:`wheel_drive_unit_power` of one machine slot, or zeros for a slot that is not
    ``active`` (empty, combustion, or no battery in the loop) and at zero torque and zero
    speed (where every loss is exactly 0: nothing is evaluated)."""
    if active and (wheel_torque_nm != 0.0 or omega_wheel_radps != 0.0):
        return wheel_drive_unit_power(dup_k, ratio, wheel_torque_nm, omega_wheel_radps,
                                      bus_voltage_v)
    return 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0


@_kernel
def _same_inputs(ratio, wheel_torque_nm, omega_wheel_radps, active, k):
    """Slot ``k`` asked the same as slot ``k - 1``."""
    return (ratio[k] == ratio[k - 1] and wheel_torque_nm[k] == wheel_torque_nm[k - 1]
            and omega_wheel_radps[k] == omega_wheel_radps[k - 1] and active[k] == active[k - 1])


@_kernel
def drive_unit_sums(dup, ratio, wheel_torque_nm, omega_wheel_radps, active, twins,
                    bus_voltage_v):
    """Every machine slot's drive unit (:func:`slot_drive_unit_power`) and their sum.

    ``dup`` (N_MACHINES, D) the slots' drive-unit vectors
    (:data:`sim.powertrain.electric_machine.DRIVE_UNIT_PARAMETER_NAMES`); per slot (4-tuples
    or arrays): ``ratio`` the reduction (machine / wheel speed), ``wheel_torque_nm`` [N·m]
    at the wheel side (summed over the wheels the slot drives; > 0 forward),
    ``omega_wheel_radps`` [rad/s] (an axle's mean), ``active`` (bool); ``bus_voltage_v``
    [V]. ``twins`` (4-tuple of bool): slot ``k`` has the same drive-unit vector as slot
    ``k - 1`` (e.g. two like machines on the wheels of one axle); a twin asked the same torque,
    speed and reduction as its neighbour is not evaluated again (its result is the same);
    :data:`NO_TWINS` for none.

    Returns ``(sums, slot_dc_power_w, slot_shaft_torque_nm)``: ``sums = (dc power at the bus
    [W] (> 0 drawn), copper, iron, friction, inverter, cable, lumped (efficiency maps), gear
    mesh losses [W])`` over the slots, and each slot's DC power [W] and shaft torque [N·m]
    (4-tuples; 0 for inactive slots)."""
    a = slot_drive_unit_power(dup[0], ratio[0], wheel_torque_nm[0], omega_wheel_radps[0],
                              bus_voltage_v, active[0])
    b = a if twins[1] and _same_inputs(ratio, wheel_torque_nm, omega_wheel_radps, active, 1) \
        else slot_drive_unit_power(dup[1], ratio[1], wheel_torque_nm[1], omega_wheel_radps[1],
                                   bus_voltage_v, active[1])
    c = b if twins[2] and _same_inputs(ratio, wheel_torque_nm, omega_wheel_radps, active, 2) \
        else slot_drive_unit_power(dup[2], ratio[2], wheel_torque_nm[2], omega_wheel_radps[2],
                                   bus_voltage_v, active[2])
    d = c if twins[3] and _same_inputs(ratio, wheel_torque_nm, omega_wheel_radps, active, 3) \
        else slot_drive_unit_power(dup[3], ratio[3], wheel_torque_nm[3], omega_wheel_radps[3],
                                   bus_voltage_v, active[3])
    sums = (a[0] + b[0] + c[0] + d[0], a[1] + b[1] + c[1] + d[1], a[2] + b[2] + c[2] + d[2],
            a[3] + b[3] + c[3] + d[3], a[4] + b[4] + c[4] + d[4], a[5] + b[5] + c[5] + d[5],
            a[6] + b[6] + c[6] + d[6], a[7] + b[7] + c[7] + d[7])
    return sums, (a[0], b[0], c[0], d[0]), (a[8], b[8], c[8], d[8])


@_kernel
def _scaled_torques(fixed, scaled, s):
    return (fixed[0] + s * scaled[0], fixed[1] + s * scaled[1], fixed[2] + s * scaled[2],
            fixed[3] + s * scaled[3])


@_kernel
def _excess_w(power_w, limit_w, discharge):
    """How far a terminal power [W] lies beyond the limit (<= 0: admissible)."""
    return power_w - limit_w if discharge else -limit_w - power_w


@_function
def largest_admissible_scale(dup, ratio, fixed_torque_nm, scaled_torque_nm, omega_wheel_radps,
                             active, twins, bus_voltage_v, other_power_w, limit_w, discharge):
    """Largest factor ``s`` in [0, 1] on the slots' scalable wheel torques whose battery
    terminal power ``P(s) = sum of the slots' DC power at wheel torques fixed + s scaled +
    other_power_w`` (the auxiliaries) is ``<= limit_w`` when ``discharge``, else ``>=
    -limit_w`` (``limit_w`` [W] >= 0, the battery's available power).

    Per-slot inputs as :func:`drive_unit_sums` (``fixed_torque_nm``, ``scaled_torque_nm``
    [N·m] 4-tuples). Returns ``(s, sums, slot_dc_power_w, slot_shaft_torque_nm)`` evaluated
    at ``s`` (see :func:`drive_unit_sums`): ``s = 1`` after one evaluation when ``P(1)`` is
    admissible, ``s = 0`` when even ``P(0)`` is not; otherwise regula falsi (Illinois) on
    the bracket [admissible, not admissible] to a terminal power within
    :data:`SCALE_TOLERANCE` x |P(1) - P(0)| of the limit, the returned end always the
    admissible one."""
    sums, slot_dc, shaft = drive_unit_sums(dup, ratio, _scaled_torques(
        fixed_torque_nm, scaled_torque_nm, 1.0), omega_wheel_radps, active, twins, bus_voltage_v)
    g_high = _excess_w(sums[0] + other_power_w, limit_w, discharge)
    if g_high <= 0.0:
        return 1.0, sums, slot_dc, shaft
    sums, slot_dc, shaft = drive_unit_sums(dup, ratio, fixed_torque_nm, omega_wheel_radps,
                                           active, twins, bus_voltage_v)
    g_low = _excess_w(sums[0] + other_power_w, limit_w, discharge)
    low, high = 0.0, 1.0
    tolerance = SCALE_TOLERANCE * abs(g_high - g_low)
    w_low, w_high = g_low, g_high  # Illinois-weighted end values
    side = 0  # which end moved last: -1 low, +1 high
    for _ in range(SCALE_MAX_ITERATIONS):
        if g_low > 0.0 or -g_low <= tolerance or high - low <= 1e-15:
            break
        s = low - w_low * (high - low) / (w_high - w_low)
        s = s if low < s < high else 0.5 * (low + high)
        t_sums, t_dc, t_shaft = drive_unit_sums(
            dup, ratio, _scaled_torques(fixed_torque_nm, scaled_torque_nm, s),
            omega_wheel_radps, active, twins, bus_voltage_v)
        g = _excess_w(t_sums[0] + other_power_w, limit_w, discharge)
        if g <= 0.0:
            low, g_low, w_low = s, g, g
            sums, slot_dc, shaft = t_sums, t_dc, t_shaft
            w_high = 0.5 * w_high if side == -1 else w_high
            side = -1
        else:
            high, w_high = s, g
            w_low = 0.5 * w_low if side == 1 else w_low
            side = 1
    return low, sums, slot_dc, shaft


__all__ = ["NO_TWINS", "SCALE_TOLERANCE", "drive_unit_sums", "largest_admissible_scale",
           "slot_drive_unit_power", "wheel_drive_unit_power"]
