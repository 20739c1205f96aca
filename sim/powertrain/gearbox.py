"""Stepped gearbox (dual clutch) with final drive and shift strategy, as compiled scalar
kernels; and the largest wheel torque of a combustion powertrain in a gear and in the best
gear.

Parameters reach the kernels as a 1-D float64 vector ``gp`` laid out by
:data:`GEARBOX_PARAMETER_NAMES`; build it with :func:`gearbox_parameter_vector`.

Conventions
-----------
* ``gear`` is a float holding an integer 1..N (first gear = 1), so that it can live in a
  float state array; kernels read ``int(gear)`` clamped to [1, N].
* Speeds [rad/s]: ``wheel_speed_radps`` is the driven axle's mean wheel speed (the
  differential's output); the gearbox input turns at ``wheel speed x ratio_g x final drive``.
* Torques [N·m]: input at the gearbox input shaft (clutch), output at the axle (sum of both
  driven wheels, before the open differential splits it). **Driving** (input torque >= 0,
  power to the wheels): ``T_out = eta ratio T_in``. **Overrun** (input torque < 0, power from
  the wheels to the engine): ``T_out = ratio T_in / eta``, so the wheels feel more braking
  than the engine's drag alone; ``eta = eta_gear x eta_final_drive`` either way.
* **Shift** (dual clutch): a shift switches the ratio at once (the engine speed follows the
  new gear; engine inertia is not modelled) and, during ``shift_time_s`` after it starts,
  multiplies the output torque by :func:`shift_torque_factor`, a linear dip to
  ``shift_torque_fraction`` at mid-shift and back to 1 (the clutch-to-clutch hand-over and
  the speed synchronisation).
* **Strategy** (:func:`gear_update`): engine-speed thresholds linear in the pedal
  ``d`` in [0, 1], ``up(d)`` between ``upshift_speed_light`` and ``upshift_speed_full``,
  ``down(d)`` likewise. Above ``up(d)`` the box shifts to the lowest higher gear whose engine
  speed is <= ``up(d)`` (top gear if none); below ``down(d)``, to the highest lower gear whose
  engine speed is >= ``down(d)`` (first gear if none); skipping gears is allowed. The spec
  guarantees ``up(d) >= down(d) x largest ratio step x 1.05`` at every pedal, so a target gear
  is never beyond the opposite threshold (speed hysteresis), and no shift starts sooner than
  ``min_time_in_gear_s`` after the last one (time hysteresis). Below the held engine speed the
  clutch slips (:mod:`sim.powertrain.engine`), so no shift is forced to avoid a stall.
"""

from __future__ import annotations

import numba
import numpy as np

from sim.errors import SpecError
from sim.powertrain.engine import (
    IX_IDLE_SPEED_RADPS,
    IX_LAUNCH_SPEED_RADPS,
    IX_LOWER_HEATING_VALUE_JPKG,
    clutch_engine_speed_radps,
    clutch_slip_power_w,
    clutch_torque_nm,
    engine_demand_fraction,
    engine_fuel_flow_kgps,
    engine_full_load_torque_nm,
    engine_operating_point,
)
from sim.spec.combustion import MAX_GEARS

#: Largest number of forward gears in the parameter vector.
GEAR_SLOTS = MAX_GEARS
#: The shift timer saturates here [s]: start a run with ``shift_timer_s = SHIFT_TIMER_CAP_S``
#: (a shift may start at once).
SHIFT_TIMER_CAP_S = 1.0e3

GEARBOX_PARAMETER_NAMES: tuple[str, ...] = (
    "gear_count", "final_drive_ratio", "final_drive_efficiency",
    "shift_time_s", "shift_torque_fraction", "min_time_in_gear_s",
    "upshift_speed_light_radps", "upshift_speed_full_radps",
    "downshift_speed_light_radps", "downshift_speed_full_radps",
    *(f"gear_ratio_{g}" for g in range(GEAR_SLOTS)),
    *(f"gear_efficiency_{g}" for g in range(GEAR_SLOTS)),
)
GEARBOX_PARAMETER_COUNT = len(GEARBOX_PARAMETER_NAMES)


def _index(name: str) -> int:
    return GEARBOX_PARAMETER_NAMES.index(name)


IX_GEAR_COUNT = _index("gear_count")
IX_FINAL_DRIVE_RATIO = _index("final_drive_ratio")
IX_FINAL_DRIVE_EFFICIENCY = _index("final_drive_efficiency")
IX_SHIFT_TIME_S = _index("shift_time_s")
IX_SHIFT_TORQUE_FRACTION = _index("shift_torque_fraction")
IX_MIN_TIME_IN_GEAR_S = _index("min_time_in_gear_s")
IX_UPSHIFT_SPEED_LIGHT_RADPS = _index("upshift_speed_light_radps")
IX_UPSHIFT_SPEED_FULL_RADPS = _index("upshift_speed_full_radps")
IX_DOWNSHIFT_SPEED_LIGHT_RADPS = _index("downshift_speed_light_radps")
IX_DOWNSHIFT_SPEED_FULL_RADPS = _index("downshift_speed_full_radps")
IX_GEAR_RATIO = _index("gear_ratio_0")
IX_GEAR_EFFICIENCY = _index("gear_efficiency_0")

_RPM_TO_RADPS = np.pi / 30.0

_kernel = numba.njit(cache=True, error_model="numpy", inline="always")
# Compiled once as functions of their own and called (scalar code, once per step and member;
# inlining them at every call site multiplied the compile time of their callers).
_function = numba.njit(cache=True, error_model="numpy", _nrt=False)


@_kernel
def gear_slot(gp, gear):
    """0-based slot of ``gear`` (1..N as a float), clamped to the box's gears."""
    return min(max(int(gear), 1), int(gp[IX_GEAR_COUNT])) - 1


@_kernel
def gear_total_ratio(gp, gear):
    """Gearbox input speed / wheel speed [-] in ``gear``: ratio_g x final drive."""
    return gp[IX_GEAR_RATIO + gear_slot(gp, gear)] * gp[IX_FINAL_DRIVE_RATIO]


@_kernel
def gear_total_efficiency(gp, gear):
    """Mesh efficiency [-] from the gearbox input to the axle in ``gear``."""
    return gp[IX_GEAR_EFFICIENCY + gear_slot(gp, gear)] * gp[IX_FINAL_DRIVE_EFFICIENCY]


@_kernel
def gearbox_input_speed_radps(gp, gear, wheel_speed_radps):
    """Gearbox input (clutch) speed [rad/s] for the axle turning at ``wheel_speed_radps``."""
    return wheel_speed_radps * gear_total_ratio(gp, gear)


@_kernel
def gearbox_output_torque_nm(gp, gear, input_torque_nm):
    """Axle torque [N·m] for ``input_torque_nm`` at the gearbox input: ``eta i T`` driving
    (T >= 0), ``i T / eta`` on overrun (T < 0); see the module docstring."""
    eta = gear_total_efficiency(gp, gear)
    scale = eta if input_torque_nm >= 0.0 else 1.0 / eta
    return gear_total_ratio(gp, gear) * input_torque_nm * scale


@_kernel
def gearbox_input_torque_nm(gp, gear, output_torque_nm):
    """Inverse of :func:`gearbox_output_torque_nm`: the input torque [N·m] that gives
    ``output_torque_nm`` at the axle (driving: ``T / (eta i)``, overrun: ``eta T / i``)."""
    eta = gear_total_efficiency(gp, gear)
    scale = 1.0 / eta if output_torque_nm >= 0.0 else eta
    return output_torque_nm * scale / gear_total_ratio(gp, gear)


@_kernel
def shift_torque_factor(gp, shift_timer_s):
    """Output-torque factor [-] at ``shift_timer_s`` [s] after a shift started: 1 outside a
    shift, a linear dip to ``shift_torque_fraction`` at mid-shift."""
    tri = max(1.0 - abs(2.0 * shift_timer_s / gp[IX_SHIFT_TIME_S] - 1.0), 0.0)
    return 1.0 - (1.0 - gp[IX_SHIFT_TORQUE_FRACTION]) * tri


@_kernel
def shift_speeds_radps(gp, demand_fraction):
    """Upshift and downshift engine speeds [rad/s] at pedal ``demand_fraction`` (clamped to
    [0, 1]): linear between the light and full values."""
    d = min(max(demand_fraction, 0.0), 1.0)
    up = gp[IX_UPSHIFT_SPEED_LIGHT_RADPS] + d * (
        gp[IX_UPSHIFT_SPEED_FULL_RADPS] - gp[IX_UPSHIFT_SPEED_LIGHT_RADPS])
    down = gp[IX_DOWNSHIFT_SPEED_LIGHT_RADPS] + d * (
        gp[IX_DOWNSHIFT_SPEED_FULL_RADPS] - gp[IX_DOWNSHIFT_SPEED_LIGHT_RADPS])
    return up, down


@_kernel
def gear_target(gp, gear, wheel_speed_radps, demand_fraction):
    """The gear the strategy wants (float 1..N) at this wheel speed and pedal, ignoring the
    time hysteresis: ``gear`` itself when its engine speed lies in ``[down(d), up(d)]``."""
    up, down = shift_speeds_radps(gp, demand_fraction)
    n = int(gp[IX_GEAR_COUNT])
    g = gear_slot(gp, gear) + 1
    w_g = gearbox_input_speed_radps(gp, g, wheel_speed_radps)
    up_target = n
    down_target = 1
    for j in range(n, 0, -1):  # ends on the lowest higher gear at or below up(d)
        w_j = gearbox_input_speed_radps(gp, j, wheel_speed_radps)
        up_target = j if (j > g and w_j <= up) else up_target
    for j in range(1, n + 1):  # ends on the highest lower gear at or above down(d)
        w_j = gearbox_input_speed_radps(gp, j, wheel_speed_radps)
        down_target = j if (j < g and w_j >= down) else down_target
    want_up = w_g > up and g < n
    want_down = w_g < down and g > 1
    return float(up_target if want_up else (down_target if want_down else g))


@_kernel
def gear_update(gp, gear, shift_timer_s, wheel_speed_radps, demand_fraction, dt_s):
    """One step of the shift strategy: ``(gear, shift_timer_s)`` after ``dt_s`` [s].

    ``shift_timer_s`` is the time since the last shift started (saturating at
    :data:`SHIFT_TIMER_CAP_S`); a new shift starts only when it has reached
    ``min_time_in_gear_s``, and then resets it to 0. ``wheel_speed_radps`` [rad/s] is the
    driven axle's mean wheel speed, ``demand_fraction`` the pedal in [0, 1]
    (:func:`sim.powertrain.engine.engine_demand_fraction` of a torque demand)."""
    timer = min(shift_timer_s + dt_s, SHIFT_TIMER_CAP_S)
    target = gear_target(gp, gear, wheel_speed_radps, demand_fraction)
    current = float(gear_slot(gp, gear) + 1)
    shift = timer >= gp[IX_MIN_TIME_IN_GEAR_S] and target != current
    return (target if shift else current), (0.0 if shift else timer)


@_kernel
def gear_max_wheel_torque_nm(ep, gp, gear, wheel_speed_radps):
    """Largest axle torque [N·m] in ``gear`` at ``wheel_speed_radps`` [rad/s]: full load at
    the engine speed (the launch speed while the clutch would slip at full pedal), times ratio
    and efficiency; 0 above the rev limit. No shift dip."""
    w_in = gearbox_input_speed_radps(gp, gear, wheel_speed_radps)
    w_e = max(w_in, ep[IX_LAUNCH_SPEED_RADPS])
    return gearbox_output_torque_nm(gp, gear, engine_full_load_torque_nm(ep, w_e))


@_kernel
def best_gear_max_wheel_torque_nm(ep, gp, wheel_speed_radps):
    """Largest axle torque [N·m] over all gears at ``wheel_speed_radps`` [rad/s] and the gear
    (float) that gives it (the lowest such gear; an ideal choice, not the shift strategy)."""
    best = -1.0
    best_gear = 1.0
    for j in range(1, int(gp[IX_GEAR_COUNT]) + 1):
        t = gear_max_wheel_torque_nm(ep, gp, j, wheel_speed_radps)
        better = t > best
        best = t if better else best
        best_gear = float(j) if better else best_gear
    return best, best_gear


@_kernel
def powertrain_axle_torque(ep, gp, gear, shift_timer_s, wheel_speed_radps,
                           engine_torque_demand_nm):
    """The combustion powertrain at one instant, for the time loop.

    Inputs: the gear state (``gear``, ``shift_timer_s``), the driven axle's mean wheel speed
    [rad/s] and a crankshaft torque demand [N·m] (> 0 drive, <= 0 lift-off / overrun).
    Returns ``(axle_torque_nm, engine_speed_radps, brake_torque_nm, fuel_flow_kgps,
    clutch_slip_power_w)``: the axle torque (both driven wheels, shift dip included), the
    engine speed after the clutch rule, the engine's brake torque, its fuel flow and the heat
    of a slipping clutch. The pedal for the launch rule is
    :func:`~sim.powertrain.engine.engine_demand_fraction` at the clutch speed (idle at least).
    """
    w_c = max(gearbox_input_speed_radps(gp, gear, wheel_speed_radps), 0.0)
    d = engine_demand_fraction(ep, max(w_c, ep[IX_IDLE_SPEED_RADPS]), engine_torque_demand_nm)
    w_e, slipping = clutch_engine_speed_radps(ep, w_c, d)
    brake, fuel = engine_operating_point(ep, w_e, engine_torque_demand_nm)
    t_clutch = clutch_torque_nm(brake, slipping)
    axle = gearbox_output_torque_nm(gp, gear, t_clutch) * shift_torque_factor(gp, shift_timer_s)
    return axle, w_e, brake, fuel, clutch_slip_power_w(t_clutch, w_e, w_c)


@_function
def combustion_drive(ep, gp, gear, shift_timer_s, wheel_speed_radps, axle_demand_nm,
                     aux_power_w):
    """The combustion powertrain answering an axle torque demand, auxiliaries included: the
    rule both time loops use (the longitudinal cycle model and the two-track passive
    drivetrain), around :func:`powertrain_axle_torque`.

    ``axle_demand_nm`` [N·m] the torque the driver asks of the driven axle (> 0 drive, < 0
    brake); ``aux_power_w`` [W] >= 0 the auxiliaries, driven by the crank (``P_aux / w_e``
    on the crank: fuelled, more fuel; fuel cut, more drag). Braking: with the clutch closed
    the engine's overrun drag brakes the car when the demand asks at least that much; a
    gentler demand opens the clutch (**coasting**: the engine idles, no axle torque) and the
    friction brakes do it all.

    Returns ``(axle_torque_nm, engine_speed_radps, clutch_torque_nm, fuel_flow_kgps,
    slipping, coasting)``: the axle torque (shift dip included), the engine speed, the torque
    the crank passes towards the clutch [N·m] (brake torque less the auxiliaries' on overrun;
    0 coasting), the fuel flow [kg/s], and the flags (1.0/0.0) of a slipping clutch and of an
    open one."""
    idle = ep[IX_IDLE_SPEED_RADPS]
    crank_demand = gearbox_input_torque_nm(gp, gear, axle_demand_nm)
    axle, w_e, t_b, fuel, _ = powertrain_axle_torque(ep, gp, gear, shift_timer_s,
                                                     wheel_speed_radps, crank_demand)
    w_c = max(gearbox_input_speed_radps(gp, gear, wheel_speed_radps), 0.0)
    slipping = 1.0 if w_e > w_c else 0.0
    coasting = axle_demand_nm < 0.0 and axle < axle_demand_nm  # drag beyond the demand
    idle_torque, idle_fuel = engine_operating_point(ep, idle, 0.0)
    w_e = idle if coasting else w_e
    slipping = 0.0 if coasting else slipping
    t_b = idle_torque if coasting else t_b
    fuel = idle_fuel if coasting else fuel
    t_aux = aux_power_w / w_e
    fuelled = fuel > 0.0
    fuel = engine_fuel_flow_kgps(ep, w_e, t_b + t_aux) if fuelled else fuel
    t_clutch = 0.0 if coasting else (t_b if fuelled else t_b - t_aux)
    axle = 0.0 if coasting else gearbox_output_torque_nm(
        gp, gear, clutch_torque_nm(t_clutch, slipping)) * shift_torque_factor(gp, shift_timer_s)
    return axle, w_e, t_clutch, fuel, slipping, (1.0 if coasting else 0.0)


@_function
def combustion_gear_update(ep, gp, gear, shift_timer_s, wheel_speed_radps, axle_demand_nm,
                           aux_power_w, dt_s):
    """One step of the shift strategy (:func:`gear_update`) for an axle torque demand
    ``axle_demand_nm`` [N·m] with the auxiliaries ``aux_power_w`` [W] on the crank: the pedal
    is :func:`~sim.powertrain.engine.engine_demand_fraction` of the crank torque that demand
    asks in the current gear, at the clutch speed (idle at least). Returns ``(gear,
    shift_timer_s)``. Call once per step, at its start: a gear is discrete."""
    w = max(gearbox_input_speed_radps(gp, gear, wheel_speed_radps), ep[IX_IDLE_SPEED_RADPS])
    crank = gearbox_input_torque_nm(gp, gear, axle_demand_nm) + aux_power_w / w
    return gear_update(gp, gear, shift_timer_s, wheel_speed_radps,
                       engine_demand_fraction(ep, w, crank), dt_s)


@_kernel
def combustion_power_flows(ep, gp, gear, wheel_speed_radps, engine_speed_radps,
                           clutch_torque, slipping, coasting, axle_torque_nm, fuel_flow_kgps,
                           aux_power_w):
    """Where the fuel's power goes [W] for a state of :func:`combustion_drive` at axle speed
    ``wheel_speed_radps`` [rad/s]: ``(fuel_w, engine_w, aux_w, clutch_w, gear_w, axle_w)``
    with ``fuel_w`` = fuel flow x lower heating value, ``engine_w`` the fuel power not
    delivered at the crank (less the auxiliaries), the clutch's slip heat plus the shift dip's
    loss (``clutch_w``), the gear meshes (``gear_w``) and the axle's power ``T omega``:
    ``fuel = engine + aux + clutch + gear + axle`` exactly. ``engine_speed_radps`` is the
    engine speed (held while slipping or coasting; the clutch speed when locked)."""
    w_c = max(gearbox_input_speed_radps(gp, gear, wheel_speed_radps), 0.0)
    crank = clutch_torque * engine_speed_radps
    clutch_in = clutch_torque_nm(clutch_torque, slipping)
    closed = coasting < 0.5
    clutch_out = clutch_in * w_c if closed else 0.0
    gear_out = gearbox_output_torque_nm(gp, gear, clutch_in) * wheel_speed_radps \
        if closed else 0.0
    axle = axle_torque_nm * wheel_speed_radps
    fuel = fuel_flow_kgps * ep[IX_LOWER_HEATING_VALUE_JPKG]
    return (fuel, fuel - crank - aux_power_w, aux_power_w,
            crank - clutch_out + gear_out - axle, clutch_out - gear_out, axle)


def gearbox_parameter_vector(combustion) -> np.ndarray:
    """Pack a validated :class:`sim.spec.combustion.Combustion` (single values, not a batch)
    into ``gp`` (shape ``(GEARBOX_PARAMETER_COUNT,)``, read-only, SI); unused gear slots
    repeat the top gear."""
    c = combustion
    n = c.gear_ratios.size
    pad = GEAR_SLOTS - n
    head = [n, c.final_drive_ratio, c.final_drive_efficiency, c.shift_time_s,
            c.shift_torque_fraction, c.min_time_in_gear_s,
            c.upshift_speed_light_rpm * _RPM_TO_RADPS, c.upshift_speed_full_rpm * _RPM_TO_RADPS,
            c.downshift_speed_light_rpm * _RPM_TO_RADPS,
            c.downshift_speed_full_rpm * _RPM_TO_RADPS]
    gp = np.concatenate([
        np.array([float(np.asarray(v).item()) for v in head]),
        np.concatenate([c.gear_ratios, np.full(pad, c.gear_ratios[-1])]),
        np.concatenate([c.gear_efficiencies, np.full(pad, c.gear_efficiencies[-1])]),
    ])
    if gp.size != GEARBOX_PARAMETER_COUNT or not np.all(np.isfinite(gp)):  # pragma: no cover
        raise SpecError("<combustion>", "gearbox parameter vector", gp.size,
                        f"{GEARBOX_PARAMETER_COUNT} finite entries")
    gp.flags.writeable = False
    return gp
