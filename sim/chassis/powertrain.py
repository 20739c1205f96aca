"""The electric powertrain and the energy accounts inside the two-track time loop.

What the integrator (:mod:`sim.integrator`) carries beside the chassis states, per lane:

* **Powertrain and energy states** (lane table ``xe``, rows :data:`ENERGY_STATE_NAMES`): the
  battery's states (SOC and one cell's RC voltage per pack, :mod:`sim.powertrain.battery`)
  and the time integral of every power flow of :data:`sim.energy.longitudinal.ENERGY_TERMS`
  that the two-track model has (the combustion engine's fuel, engine, clutch and gear terms
  included, and the fuel burnt [kg]), plus ``wheel_drive_external_j`` (the work of drive
  torque no powertrain in the loop delivers: torques imposed with the direct controller on
  wheels no electric machine drives; a supply term). They are integrated by the **same RK4
  stages** as the chassis: at every stage the chassis right-hand side
  (:func:`sim.chassis.two_track.rhs`) gives the mechanical power flows
  (:data:`sim.chassis.two_track.POWER_NAMES`) and :func:`powertrain_rhs` the electrical ones
  at that stage's wheel speeds and battery state, so every energy is exact to the
  integration and the balance closes to the integration's accuracy.
* **Held per step** (lane table ``Lanes.pt``, rows :data:`PT_NAMES`): the battery's available
  discharge and charge power at the step's start (:func:`powertrain_limits`;
  :func:`sim.powertrain.battery.available_discharge_power_w` and ``..._charge_...``, which
  include the ``battery_*_power_limit_kw`` caps) and the bus voltage the drive units' losses
  are evaluated at through the step (the battery's voltage at the step's start state and the
  last evaluated terminal power: the voltage moves by volts within a step, the losses by
  much less than the integration error). Written by every evaluation: the bus voltage, the
  battery terminal power and each machine slot's DC power (recorded as channels).

Electrical side of a wheel torque: each electric machine slot's torque at the wheel(s) (an
axle machine: the sum of its two wheels' torques at their mean speed, as the open
differential's carrier) goes through its reduction, machine, inverter and cable
(:func:`sim.powertrain.drive_unit.wheel_drive_unit_power`); the battery terminal power is the
sum over the slots plus the auxiliary load ``aux_power_w``; the battery is evaluated at that
power (:func:`sim.powertrain.battery.battery_rates`).

Limits (:func:`saturate_to_battery`, called by the passive drivetrain's hook and the dynamic
module's saturation): the terminal power at the current wheel speeds stays within
``[-available charge, available discharge]``: motoring electric torques scaled down by one
factor, or regenerative torques scaled down by one factor with the friction brakes taking over
what they drop (within their maxima); the factor by a bracketing search on the terminal power
(monotonic in it; :func:`sim.powertrain.drive_unit.largest_admissible_scale`), taken on the
admissible side. Since the available powers follow from the
cells' voltage and current limits, a cell's limits hold with them.

Signs: torques and speeds positive forward; powers positive drawn from the battery; energies
[J] of losses positive.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from sim.chassis.two_track import (
    LANES,
    P_AUX_W,
    P_BRAKE_MAX_F,
    P_BRAKE_MAX_R,
    P_BRAKE_SHARE,
    P_FRONT_SHARE,
    P_IZ,
    P_J,
    P_MASS,
    P_REGEN,
    P_REGEN_DECEL,
    P_RW,
    S_OMEGA,
    S_R,
    S_VX,
    S_VY,
    W_AERO,
    W_BRAKE,
    W_GRADE,
    W_LINEAR,
    W_ROLL,
    W_SLIP,
    add_slot_torque,
    friction_brakes,
    machine_parameter,
    machine_wheel_speed,
    machine_wheel_torque_limit,
    machine_wheels,
    passive_drivetrain,
)
from sim.lanes import index_of
from sim.powertrain.battery import (
    BATTERY_PARAMETER_COUNT,
    BATTERY_PARAMETER_NAMES,
    BATTERY_STATE_COUNT,
    BATTERY_STATE_NAMES,
    available_powers_w,
    battery_rates,
    bus_voltage_v,
)
from sim.powertrain.braking import (
    regenerating_axles,
    regenerative_axle_share,
    regenerative_wheel_torque_nm,
)
from sim.powertrain.drive_unit import NO_TWINS, drive_unit_sums, largest_admissible_scale
from sim.powertrain.engine import ENGINE_PARAMETER_NAMES
from sim.powertrain.gearbox import (
    GEARBOX_PARAMETER_NAMES,
    SHIFT_TIMER_CAP_S,
    combustion_drive,
    combustion_gear_update,
    combustion_power_flows,
    gearbox_input_speed_radps,
)
from sim.powertrain.layout import (
    KIND_COMBUSTION,
    KIND_ELECTRIC,
    M_DRIVES,
    M_GEAR,
    M_KIND,
    N_MACHINES,
)

_scalar = numba.njit(cache=True, _nrt=False, error_model="numpy")
# Inlined at numba IR level where they are called: helpers called with literal arguments (a
# wheel, a machine slot, a field), which a separately compiled function specialises per literal.
_inline = numba.njit(inline="always", _nrt=False, error_model="numpy")

#: Integrated energy terms [J] (and the distance [m], the time the battery could not deliver
#: the power asked [s], the fuel burnt [kg]), rows of ``xe`` after the battery's states.
#: Supply: ``battery_chemical_j``, ``wheel_drive_external_j`` and ``fuel_chemical_j`` (fuel
#: mass x lower heating value); the sinks are every other ``*_j``
#: term except ``battery_terminal_j`` and ``regenerated_j`` (reported beside them), plus the
#: change of kinetic energy (a state function, from the start and end states:
#: :func:`kinetic_energy_j`). Names as in :data:`sim.energy.longitudinal.ENERGY_TERMS`.
ENERGY_NAMES = (
    "battery_chemical_j", "wheel_drive_external_j", "fuel_chemical_j",
    "battery_heat_j", "battery_rc_stored_j", "aux_j", "cable_j", "inverter_j",
    "drive_unit_lumped_j", "machine_copper_j", "machine_iron_j", "machine_friction_j",
    "gear_j", "engine_j", "clutch_j", "friction_brake_j", "tyre_slip_j", "aero_j",
    "rolling_j", "road_linear_j", "potential_j",
    "battery_terminal_j", "regenerated_j", "distance_m", "battery_infeasible_s", "fuel_kg",
)
SUPPLY_NAMES = ENERGY_NAMES[:3]
#: Sinks integrated as states; ``kinetic_j`` completes them.
SINK_NAMES = ENERGY_NAMES[3:ENERGY_NAMES.index("battery_terminal_j")]
ENERGY_STATE_NAMES = (*BATTERY_STATE_NAMES, *ENERGY_NAMES)
_ENERGY_UNITS = {"distance_m": "m", "battery_infeasible_s": "s", "fuel_kg": "kg"}
ENERGY_STATE_UNITS = ("-", "V", "-", "V", *(_ENERGY_UNITS.get(n, "J") for n in ENERGY_NAMES))
N_ENERGY_STATES = len(ENERGY_STATE_NAMES)
(E_CHEM, E_EXTERNAL, E_FUEL, E_HEAT, E_RC, E_AUX, E_CABLE, E_INV, E_LUMPED, E_CU, E_FE, E_FR,
 E_GEAR, E_ENGINE, E_CLUTCH, E_BRAKE, E_SLIP, E_AERO, E_ROLL, E_LINEAR, E_POT, E_TERMINAL,
 E_REGEN, E_DIST, E_INFEASIBLE, E_FUEL_KG) = (index_of(ENERGY_STATE_NAMES, name)
                                             for name in ENERGY_NAMES)

#: A member's powertrain parameter vector (the rows of ``Lanes.bp``, read as
#: ``bp[member[lane]]``): the battery's (:data:`sim.powertrain.battery.
#: BATTERY_PARAMETER_NAMES`), then the engine's and the gearbox's
#: (:data:`sim.powertrain.engine.ENGINE_PARAMETER_NAMES`,
#: :data:`sim.powertrain.gearbox.GEARBOX_PARAMETER_NAMES`); zero where the car has none.
POWERTRAIN_PARAMETER_NAMES = (*BATTERY_PARAMETER_NAMES,
                              *(f"engine_{n}" for n in ENGINE_PARAMETER_NAMES),
                              *(f"gearbox_{n}" for n in GEARBOX_PARAMETER_NAMES))
POWERTRAIN_PARAMETER_COUNT = len(POWERTRAIN_PARAMETER_NAMES)
BP_ENGINE0 = index_of(POWERTRAIN_PARAMETER_NAMES, f"engine_{ENGINE_PARAMETER_NAMES[0]}")
BP_GEARBOX0 = index_of(POWERTRAIN_PARAMETER_NAMES, f"gearbox_{GEARBOX_PARAMETER_NAMES[0]}")

#: The powertrain's lane table ``Lanes.pt``: whether the battery is in the loop (1/0), the
#: terminal power [W] at the last step's start (:func:`hold_step_power`), the bus voltage
#: the drive units' losses use through the step [V]; the combustion engine's state held
#: through a step (set at its start by :func:`combustion_wheel_torques`): the shift timer
#: [s] (time since the last shift started), the time of the last gear update [s] (-1 before
#: the first), the
#: torque the crank passes to the clutch [N·m], the clutch slipping and open flags (1/0), the
#: axle torque [N·m] and the auxiliaries the crank drives [W]; then the recorded rows: the
#: available discharge and charge power at the step's start [W] (>= 0), from the last
#: evaluation the bus voltage [V], battery terminal power [W] (> 0 drawn) and each slot's DC
#: power [W]; the gear (1..N, 0 without an engine), the engine speed [rad/s] and the fuel
#: flow [kg/s].
PT_NAMES = ("battery_in_loop", "step_power_w", "loss_bus_voltage_v",
            "shift_timer_s", "gear_clock_s", "clutch_torque_nm", "clutch_slipping",
            "clutch_open", "engine_axle_torque_nm", "engine_aux_power_w",
            "available_discharge_power_w",
            "available_charge_power_w", "bus_voltage_v", "battery_power_w",
            *(f"machine{k}_dc_power_w" for k in range(N_MACHINES)),
            "gear", "engine_speed_radps", "fuel_flow_kgps")
N_PT = len(PT_NAMES)
(PT_IN_LOOP, PT_STEP_POWER_W, PT_LOSS_V, PT_SHIFT_TIMER, PT_GEAR_CLOCK, PT_CLUTCH_NM,
 PT_SLIPPING, PT_OPEN, PT_AXLE_NM, PT_ENGINE_AUX_W, PT_DISCHARGE_W, PT_CHARGE_W, PT_BUS_V,
 PT_POWER_W, PT_DC0) = (index_of(PT_NAMES, n) for n in PT_NAMES[:15])
PT_GEAR, PT_ENGINE_SPEED, PT_FUEL_FLOW = (index_of(PT_NAMES, n) for n in (
    "gear", "engine_speed_radps", "fuel_flow_kgps"))
#: Recorded channels: the battery's states, then ``PT_NAMES[PT_FIRST_RECORDED:]``.
PT_FIRST_RECORDED = PT_DISCHARGE_W
CHANNEL_NAMES = (*BATTERY_STATE_NAMES, *PT_NAMES[PT_FIRST_RECORDED:])
CHANNEL_UNITS = ("-", "V", "-", "V", "W", "W", "V", "W", *("W",) * N_MACHINES,
                 "-", "rad/s", "kg/s")
N_CHANNELS = len(CHANNEL_NAMES)
#: The channels of the combustion engine (the others are the battery's).
COMBUSTION_CHANNEL_NAMES = ("gear", "engine_speed_radps", "fuel_flow_kgps")


# --------------------------------------------------------------------------------------------
# Which machine drives which wheel (:func:`sim.chassis.two_track.machine_wheels`).


@_scalar
def electric_wheels(ln, lane):
    """Bit mask of the wheels an electric machine drives through the battery in the loop (0
    when the battery is not in the loop)."""
    if ln.pt[PT_IN_LOOP * LANES + lane] < 0.5:
        return 0
    mask = 0
    for k in range(N_MACHINES):
        if machine_parameter(ln.p, lane, k, M_KIND) != KIND_ELECTRIC:
            continue
        first, second = machine_wheels(ln.p, lane, k)
        mask |= (1 << first) if first >= 0 else 0
        mask |= (1 << second) if second >= 0 else 0
    return mask


@_inline
def _wheel_speed(x, lane, w):
    return x[(S_OMEGA + w) * LANES + lane]


@_scalar
def _scaled(torque, omega, motoring_scale, generating_scale):
    """A wheel torque scaled by the factor of its direction of power flow."""
    return torque * (motoring_scale if torque * omega > 0.0 else generating_scale)


@_inline
def _slot_input(ln, lane, x, drive, k, motoring_scale, generating_scale):
    """Machine slot ``k`` of lane ``lane`` as :func:`sim.powertrain.drive_unit.drive_unit_sums`
    takes it: ``(wheel-side torque [N·m], wheel speed [rad/s], reduction, active)``; an axle
    machine carries the sum of its wheels' scaled torques (:func:`_scaled`) at their mean
    speed; active: an electric machine with the battery in the loop."""
    p = ln.p
    first, second = machine_wheels(p, lane, k)
    active = (ln.pt[PT_IN_LOOP * LANES + lane] > 0.5 and first >= 0
              and machine_parameter(p, lane, k, M_KIND) == KIND_ELECTRIC)
    w1 = _wheel_speed(x, lane, max(first, 0))
    torque = _scaled(drive[max(first, 0)], w1, motoring_scale, generating_scale)
    omega = w1
    if second >= 0:
        w2 = _wheel_speed(x, lane, second)
        torque += _scaled(drive[second], w2, motoring_scale, generating_scale)
        omega = 0.5 * (w1 + w2)
    return (torque if active else 0.0), omega, machine_parameter(p, lane, k, M_GEAR), active


@_scalar
def _slot_inputs(ln, lane, x, drive, motoring_scale, generating_scale):
    """:func:`_slot_input` of every slot, as 4-tuples ``(torques, speeds, ratios, active)``."""
    a = _slot_input(ln, lane, x, drive, 0, motoring_scale, generating_scale)
    b = _slot_input(ln, lane, x, drive, 1, motoring_scale, generating_scale)
    c = _slot_input(ln, lane, x, drive, 2, motoring_scale, generating_scale)
    d = _slot_input(ln, lane, x, drive, 3, motoring_scale, generating_scale)
    return ((a[0], b[0], c[0], d[0]), (a[1], b[1], c[1], d[1]), (a[2], b[2], c[2], d[2]),
            (a[3], b[3], c[3], d[3]))


@_scalar
def drive_unit_powers(ln, lane, x, drive, motoring_scale, generating_scale, bus_voltage):
    """The electric drive units of lane ``lane`` for wheel torques ``drive`` (4-tuple [N·m];
    a wheel's torque times ``motoring_scale`` where it drives, ``generating_scale`` where it
    brakes) at the wheel speeds of ``x``, on a bus at ``bus_voltage`` [V]
    (:func:`sim.powertrain.drive_unit.drive_unit_sums`). Returns the sums over the electric
    slots ``(dc power [W], copper, iron, friction, inverter, cable, lumped, gear [W])``, the
    drive power [W] of wheels no electric machine in the loop drives (``sum T omega``,
    unscaled) and each slot's DC power [W] (a 4-tuple). One signature for every caller (a
    literal flag argument would compile it once per value)."""
    torque, omega, ratio, active = _slot_inputs(ln, lane, x, drive, motoring_scale,
                                                generating_scale)
    sums, slot_dc, _ = drive_unit_sums(ln.dup[ln.member[lane]], ratio, torque, omega, active,
                                       NO_TWINS, bus_voltage)
    electric = electric_wheels(ln, lane)
    external = 0.0
    for w in range(4):
        external += 0.0 if (electric >> w) & 1 else drive[w] * _wheel_speed(x, lane, w)
    dc, cu, fe, fr, inv, cable, lumped, gear = sums
    return dc, cu, fe, fr, inv, cable, lumped, gear, external, slot_dc


@_scalar
def terminal_power_w(ln, lane, x, drive, motoring_scale, generating_scale):
    """Battery terminal power [W] (> 0 drawn) of lane ``lane`` for the scaled wheel torques
    ``drive`` (see :func:`drive_unit_powers`) at the step's loss voltage, auxiliaries
    included."""
    return drive_unit_powers(ln, lane, x, drive, motoring_scale, generating_scale,
                             ln.pt[PT_LOSS_V * LANES + lane])[0] \
        + ln.p[P_AUX_W * LANES + lane]


@_scalar
def _bisect(ln, lane, x, drive, motoring, limit_w):
    """Largest factor in [0, 1] on the motoring (``motoring``) or generating torques whose
    terminal power is ``<= limit_w`` (motoring) or ``>= -limit_w`` (generating): the other
    direction's torques held, the search of
    :func:`sim.powertrain.drive_unit.largest_admissible_scale` (on the admissible side)."""
    held, omega, ratio, active = _slot_inputs(ln, lane, x, drive, 0.0 if motoring else 1.0,
                                              1.0 if motoring else 0.0)
    scaled = _slot_inputs(ln, lane, x, drive, 1.0 if motoring else 0.0,
                          0.0 if motoring else 1.0)[0]
    return largest_admissible_scale(ln.dup[ln.member[lane]], ratio, held, scaled, omega,
                                    active, NO_TWINS, ln.pt[PT_LOSS_V * LANES + lane],
                                    ln.p[P_AUX_W * LANES + lane], limit_w, motoring)[0]


@_scalar
def saturate_to_battery(ln, lane, x, drive, brake, brake_max_front, brake_max_rear):
    """Wheel torques ``(drive, brake)`` (4-tuples [N·m]) of lane ``lane`` whose battery
    terminal power at the wheel speeds of ``x`` lies within the battery's available power
    held in ``ln.pt``: motoring torques of the electric machines scaled by one factor when the
    discharge limit binds; regenerative torques scaled by one factor when the charge limit
    binds, the friction brake of each wheel taking over what its machine drops (within
    ``brake_max_front``/``_rear`` [N·m]). Unchanged without a battery in the loop."""
    if ln.pt[PT_IN_LOOP * LANES + lane] < 0.5:
        return drive, brake
    discharge = ln.pt[PT_DISCHARGE_W * LANES + lane]
    charge = ln.pt[PT_CHARGE_W * LANES + lane]
    full = terminal_power_w(ln, lane, x, drive, 1.0, 1.0)
    mask = electric_wheels(ln, lane)
    d0, d1, d2, d3 = drive
    b0, b1, b2, b3 = brake
    # one call site with a run-time flag: one compiled search, not one per literal
    motoring = full > discharge
    if not (motoring or full < -charge):
        return drive, brake
    f = _bisect(ln, lane, x, drive, motoring, discharge if motoring else charge)
    if motoring:
        d0 = d0 * f if (mask & 1) and d0 * _wheel_speed(x, lane, 0) > 0.0 else d0
        d1 = d1 * f if (mask & 2) and d1 * _wheel_speed(x, lane, 1) > 0.0 else d1
        d2 = d2 * f if (mask & 4) and d2 * _wheel_speed(x, lane, 2) > 0.0 else d2
        d3 = d3 * f if (mask & 8) and d3 * _wheel_speed(x, lane, 3) > 0.0 else d3
    else:
        r0 = (mask & 1) and d0 * _wheel_speed(x, lane, 0) < 0.0
        r1 = (mask & 2) and d1 * _wheel_speed(x, lane, 1) < 0.0
        r2 = (mask & 4) and d2 * _wheel_speed(x, lane, 2) < 0.0
        r3 = (mask & 8) and d3 * _wheel_speed(x, lane, 3) < 0.0
        b0 = min(b0 + abs(d0) * (1.0 - f), brake_max_front) if r0 else b0
        b1 = min(b1 + abs(d1) * (1.0 - f), brake_max_front) if r1 else b1
        b2 = min(b2 + abs(d2) * (1.0 - f), brake_max_rear) if r2 else b2
        b3 = min(b3 + abs(d3) * (1.0 - f), brake_max_rear) if r3 else b3
        d0 = d0 * f if r0 else d0
        d1 = d1 * f if r1 else d1
        d2 = d2 * f if r2 else d2
        d3 = d3 * f if r3 else d3
    return (d0, d1, d2, d3), (b0, b1, b2, b3)


# --------------------------------------------------------------------------------------------
# The passive drivetrain's powertrain side: regeneration first, the combustion engine through
# its gearbox, the battery's limits. Once per step, at its start.


@_scalar
def _combustion_parameters(ln, lane):
    """The engine and gearbox parameter vectors ``(ep, gp)`` of lane ``lane`` (views)."""
    row = ln.bp[ln.member[lane]]
    return row[BP_ENGINE0:BP_GEARBOX0], row[BP_GEARBOX0:]


@_scalar
def combustion_wheel_torques(ln, lane, x, t, force_demand_n):
    """The combustion engine of lane ``lane`` (its slot of kind ``KIND_COMBUSTION``; none: 0)
    at time ``t`` [s] for the driver's force demand [N], at the step's start: the gear
    updated once (:func:`sim.powertrain.gearbox.combustion_gear_update`, the time since the
    last update as its step; the first update of a run picks the strategy's gear without a
    shift: a run starting at speed starts in it), then the axle torque of
    :func:`sim.powertrain.gearbox.combustion_drive` for the axle's demand (driving: its
    ``front_torque_share`` part; braking: the whole demand, the engine's overrun drag first),
    added equally to the axle's wheels in ``ln.drive``. The engine's state is held in
    ``ln.pt`` through the step (gear, engine speed, fuel flow, clutch) for
    :func:`powertrain_rhs`. Returns the axle torque [N·m] (< 0: engine braking)."""
    p, pt = ln.p, ln.pt
    total = 0.0
    for k in range(N_MACHINES):
        first, second = machine_wheels(p, lane, k)
        if first < 0 or machine_parameter(p, lane, k, M_KIND) != KIND_COMBUSTION:
            continue
        ep, gp = _combustion_parameters(ln, lane)
        omega = machine_wheel_speed(p, lane, x, k)
        radius = p[P_RW * LANES + lane]
        share_f = p[P_FRONT_SHARE * LANES + lane]
        share = (share_f if first < 2 else 1.0 - share_f) * (1.0 if second >= 0 else 0.5)
        demand = (share if force_demand_n >= 0.0 else 1.0) * force_demand_n * radius
        aux = p[P_AUX_W * LANES + lane]
        first_update = pt[PT_GEAR_CLOCK * LANES + lane] < 0.0
        dt = max(t - pt[PT_GEAR_CLOCK * LANES + lane], 0.0)
        gear, timer = combustion_gear_update(ep, gp, pt[PT_GEAR * LANES + lane],
                                             pt[PT_SHIFT_TIMER * LANES + lane], omega, demand,
                                             aux, dt)
        # a run starting at speed starts in the gear the strategy picks there, not shifting
        timer = SHIFT_TIMER_CAP_S if first_update else timer
        axle, w_e, t_clutch, fuel, slipping, coasting = combustion_drive(
            ep, gp, gear, timer, omega, demand, aux)
        pt[PT_GEAR * LANES + lane] = gear
        pt[PT_SHIFT_TIMER * LANES + lane] = timer
        pt[PT_GEAR_CLOCK * LANES + lane] = t
        pt[PT_ENGINE_SPEED * LANES + lane] = w_e
        pt[PT_FUEL_FLOW * LANES + lane] = fuel
        pt[PT_CLUTCH_NM * LANES + lane] = t_clutch
        pt[PT_SLIPPING * LANES + lane] = slipping
        pt[PT_OPEN * LANES + lane] = coasting
        pt[PT_AXLE_NM * LANES + lane] = axle
        pt[PT_ENGINE_AUX_W * LANES + lane] = aux
        add_slot_torque(ln.drive, lane, first, second, axle)
        total += axle
    return total


@_scalar
def regenerative_wheel_torques(ln, lane, x, brake_force_n):
    """Regeneration first: each electric machine's regenerative torque for a brake demand
    ``brake_force_n`` [N] >= 0 (:func:`sim.powertrain.braking.regenerative_wheel_torque_nm`,
    the rule the longitudinal model applies: the axles with electric machines by the brake
    balance, the ``[energy]`` switch and largest deceleration, each machine's envelope, only
    where it returns energy, at the step's loss voltage) added equally to its wheels in
    ``ln.drive``. Returns the sum of the regenerative torques [N·m] (<= 0). Nothing without
    the battery in the loop."""
    p, pt = ln.p, ln.pt
    if pt[PT_IN_LOOP * LANES + lane] < 0.5 or brake_force_n <= 0.0:
        return 0.0
    has_front, has_rear = regenerating_axles(
        (machine_parameter(p, lane, 0, M_DRIVES), machine_parameter(p, lane, 1, M_DRIVES),
         machine_parameter(p, lane, 2, M_DRIVES), machine_parameter(p, lane, 3, M_DRIVES)),
        (machine_parameter(p, lane, 0, M_KIND), machine_parameter(p, lane, 1, M_KIND),
         machine_parameter(p, lane, 2, M_KIND), machine_parameter(p, lane, 3, M_KIND)))
    dup = ln.dup[ln.member[lane]]
    enabled = p[P_REGEN * LANES + lane] > 0.5
    cap = p[P_MASS * LANES + lane] * p[P_REGEN_DECEL * LANES + lane]
    radius = p[P_RW * LANES + lane]
    total = 0.0
    for k in range(N_MACHINES):
        first, second = machine_wheels(p, lane, k)
        if first < 0 or machine_parameter(p, lane, k, M_KIND) != KIND_ELECTRIC:
            continue
        omega = machine_wheel_speed(p, lane, x, k)
        share = regenerative_axle_share(p[P_BRAKE_SHARE * LANES + lane], has_front, has_rear,
                                        0 if first < 2 else 1) * (1.0 if second >= 0 else 0.5)
        torque = regenerative_wheel_torque_nm(
            enabled, share, brake_force_n, cap, radius,
            machine_wheel_torque_limit(p, lane, k, omega), dup[k],
            machine_parameter(p, lane, k, M_GEAR), omega, pt[PT_LOSS_V * LANES + lane])
        add_slot_torque(ln.drive, lane, first, second, torque)
        total += torque
    return total


@_scalar
def passive_wheel_torques(ln, lane, x, t, force_demand_n):
    """Module off: the wheel torques ``ln.drive``, ``ln.brake`` [N·m] of lane ``lane`` at time
    ``t`` [s] for the driver's force demand [N] (> 0 drives, < 0 brakes). The chassis' part
    (:func:`sim.chassis.two_track.passive_drivetrain`: the electric machines' drive split and
    envelopes), the combustion engine through its gearbox (:func:`combustion_wheel_torques`),
    regeneration first when braking (:func:`regenerative_wheel_torques`), the friction brakes
    for what the engine's drag and the machines do not take (fixed balance,
    :func:`sim.chassis.two_track.friction_brakes`), then the battery's available power
    (:func:`saturate_to_battery`). Once per step, at its start."""
    p = ln.p
    passive_drivetrain(p, lane, x, force_demand_n, ln.drive, ln.brake)
    engine = combustion_wheel_torques(ln, lane, x, t, force_demand_n)
    if force_demand_n < 0.0:
        regen = regenerative_wheel_torques(ln, lane, x, -force_demand_n)
        friction_brakes(p, lane, max(-force_demand_n * p[P_RW * LANES + lane]
                                     + min(engine, 0.0) + regen, 0.0), ln.brake)
    drive = (ln.drive[lane], ln.drive[LANES + lane], ln.drive[2 * LANES + lane],
             ln.drive[3 * LANES + lane])
    brake = (ln.brake[lane], ln.brake[LANES + lane], ln.brake[2 * LANES + lane],
             ln.brake[3 * LANES + lane])
    drive, brake = saturate_to_battery(ln, lane, x, drive, brake,
                                       p[P_BRAKE_MAX_F * LANES + lane],
                                       p[P_BRAKE_MAX_R * LANES + lane])
    for w in range(4):
        ln.drive[w * LANES + lane] = drive[w]
        ln.brake[w * LANES + lane] = brake[w]


@_scalar
def _combustion_rates(ln, lane, x):
    """The combustion engine's power flows [W] of lane ``lane`` at the wheel speeds of ``x``
    for its state held in ``ln.pt``: ``(fuel [kg/s], fuel, engine, aux, clutch, gear, axle
    [W])`` (:func:`sim.powertrain.gearbox.combustion_power_flows`; the engine turns with the
    clutch when it is locked, at its held speed while it slips or is open). Zeros without an
    engine."""
    p, pt = ln.p, ln.pt
    for k in range(N_MACHINES):
        first = machine_wheels(p, lane, k)[0]
        if first < 0 or machine_parameter(p, lane, k, M_KIND) != KIND_COMBUSTION:
            continue
        ep, gp = _combustion_parameters(ln, lane)
        omega = machine_wheel_speed(p, lane, x, k)
        gear = pt[PT_GEAR * LANES + lane]
        slipping = pt[PT_SLIPPING * LANES + lane]
        coasting = pt[PT_OPEN * LANES + lane]
        held = slipping > 0.5 or coasting > 0.5
        w_e = pt[PT_ENGINE_SPEED * LANES + lane] if held else max(
            gearbox_input_speed_radps(gp, gear, omega), 0.0)
        fuel_kgps = pt[PT_FUEL_FLOW * LANES + lane]
        fuel, engine, aux, clutch, gear_w, axle = combustion_power_flows(
            ep, gp, gear, omega, w_e, pt[PT_CLUTCH_NM * LANES + lane], slipping, coasting,
            pt[PT_AXLE_NM * LANES + lane], fuel_kgps, pt[PT_ENGINE_AUX_W * LANES + lane])
        return fuel_kgps, fuel, engine, aux, clutch, gear_w, axle
    return 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0


# --------------------------------------------------------------------------------------------
# Lane loops of the time loop (scalar code per lane: the battery and machine kernels branch).


@_scalar
def _gather(xe, lane, bx):
    for j in range(BATTERY_STATE_COUNT):
        bx[j] = xe[j * LANES + lane]


@_scalar
def powertrain_limits(ln, n, xe, bx):
    """At a step's start: the available discharge and charge power of each lane's battery at
    its state ``xe`` and the bus voltage for the drive units' losses through the step (at the
    terminal power of the last step's start, :func:`hold_step_power`) into ``ln.pt``.
    ``bx``: scratch of BATTERY_STATE_COUNT."""
    for lane in range(n):
        if ln.pt[PT_IN_LOOP * LANES + lane] < 0.5:
            continue
        bp = ln.bp[ln.member[lane]]
        _gather(xe, lane, bx)
        discharge, charge = available_powers_w(bp, bx)
        ln.pt[PT_DISCHARGE_W * LANES + lane] = discharge
        ln.pt[PT_CHARGE_W * LANES + lane] = charge
        v, _ = bus_voltage_v(bp, bx, ln.pt[PT_STEP_POWER_W * LANES + lane])
        ln.pt[PT_LOSS_V * LANES + lane] = v


@_scalar
def hold_step_power(ln, n):
    """After the evaluation at a step's start: keep its terminal power for the next step's
    loss voltage (the later stage evaluations of a substep pass also run over lanes that do
    not take that substep, so the last evaluated power is not a lane's own)."""
    for lane in range(n):
        ln.pt[PT_STEP_POWER_W * LANES + lane] = ln.pt[PT_POWER_W * LANES + lane]


@_scalar
def powertrain_rhs(ln, n, x, xe, dxe, bx, bdx):
    """Time derivatives ``dxe`` of the powertrain and energy states ``xe`` (lane tables of
    N_ENERGY_STATES rows) of lanes ``0..n-1`` at the chassis state ``x``, for the held wheel
    torques ``ln.drive``, ``ln.brake``; reads the mechanical power flows ``ln.power`` of the
    chassis' evaluation at the same ``x`` (call :func:`sim.chassis.two_track.rhs` first);
    writes the bus voltage, terminal power and slot DC powers into ``ln.pt``. ``bx``, ``bdx``:
    scratch of BATTERY_STATE_COUNT."""
    p, pt, power = ln.p, ln.pt, ln.power
    for lane in range(n):
        at = lane
        in_loop = pt[PT_IN_LOOP * LANES + lane] > 0.5
        drive = (ln.drive[lane], ln.drive[LANES + lane], ln.drive[2 * LANES + lane],
                 ln.drive[3 * LANES + lane])
        dc, cu, fe, fr, inv, cable, lumped, gear, external, slot_dc = drive_unit_powers(
            ln, lane, x, drive, 1.0, 1.0, pt[PT_LOSS_V * LANES + lane])
        for k in range(N_MACHINES):
            pt[(PT_DC0 + k) * LANES + lane] = slot_dc[k]
        aux = p[P_AUX_W * LANES + lane] if in_loop else 0.0
        terminal = dc + aux
        fuel_kgps, fuel, engine, engine_aux, clutch, engine_gear, axle = _combustion_rates(
            ln, lane, x)
        v, ok, chem, heat, rc = 0.0, True, 0.0, 0.0, 0.0
        if in_loop:
            _gather(xe, lane, bx)
            v, ok, chem, heat, rc = battery_rates(ln.bp[ln.member[lane]], bx, terminal, bdx)
        for j in range(BATTERY_STATE_COUNT):
            dxe[j * LANES + at] = bdx[j] if in_loop else 0.0
        pt[PT_BUS_V * LANES + lane] = v
        pt[PT_POWER_W * LANES + lane] = terminal if in_loop else 0.0
        vx, vy = x[S_VX * LANES + lane], x[S_VY * LANES + lane]
        dxe[E_CHEM * LANES + at] = chem
        dxe[E_EXTERNAL * LANES + at] = external - axle  # the engine's axle: fuel below
        dxe[E_FUEL * LANES + at] = fuel
        dxe[E_ENGINE * LANES + at] = engine
        dxe[E_CLUTCH * LANES + at] = clutch
        dxe[E_FUEL_KG * LANES + at] = fuel_kgps
        dxe[E_HEAT * LANES + at] = heat
        dxe[E_RC * LANES + at] = rc
        dxe[E_AUX * LANES + at] = aux + engine_aux
        dxe[E_CABLE * LANES + at] = cable
        dxe[E_INV * LANES + at] = inv
        dxe[E_LUMPED * LANES + at] = lumped
        dxe[E_CU * LANES + at] = cu
        dxe[E_FE * LANES + at] = fe
        dxe[E_FR * LANES + at] = fr
        dxe[E_GEAR * LANES + at] = gear + engine_gear
        dxe[E_BRAKE * LANES + at] = power[W_BRAKE * LANES + lane]
        dxe[E_SLIP * LANES + at] = power[W_SLIP * LANES + lane]
        dxe[E_AERO * LANES + at] = power[W_AERO * LANES + lane]
        dxe[E_ROLL * LANES + at] = power[W_ROLL * LANES + lane]
        dxe[E_LINEAR * LANES + at] = power[W_LINEAR * LANES + lane]
        dxe[E_POT * LANES + at] = power[W_GRADE * LANES + lane]
        dxe[E_TERMINAL * LANES + at] = terminal if in_loop else 0.0
        dxe[E_REGEN * LANES + at] = max(-terminal, 0.0) if in_loop else 0.0
        dxe[E_DIST * LANES + at] = math.sqrt(vx * vx + vy * vy)
        dxe[E_INFEASIBLE * LANES + at] = 0.0 if ok else 1.0


# --------------------------------------------------------------------------------------------
# Tables of a batch (numpy, at the edge).


def kinetic_energy_j(params: np.ndarray, states: np.ndarray) -> np.ndarray:
    """Kinetic energy [J] (N,) of chassis states ``states`` (N, S) with parameters ``params``
    (N, P): translation ``1/2 m (vx² + vy²)``, yaw ``1/2 Iz r²`` and wheel spin
    ``sum 1/2 J omega²`` (J with the machines' rotors reflected)."""
    vx, vy, r = states[:, S_VX], states[:, S_VY], states[:, S_R]
    omega = states[:, S_OMEGA:S_OMEGA + 4]
    return (0.5 * params[:, P_MASS] * (vx * vx + vy * vy) + 0.5 * params[:, P_IZ] * r * r
            + 0.5 * np.sum(params[:, P_J:P_J + 4] * omega * omega, axis=1))


def powertrain_tables(vehicle, params: np.ndarray, soc=0.9):
    """The powertrain's tables for a batch of N with chassis parameters ``params`` (N, P):
    ``(bp (N, POWERTRAIN_PARAMETER_COUNT), dup (N, 4, D), xe0 (N, N_ENERGY_STATES), pt0 (N,
    N_PT), in_loop)``. With a ``[battery]`` section the battery is in the loop, every pack at
    ``soc`` [-] (a number or (N,)), rested; without one it is not (``in_loop`` False): zero
    battery tables. With a combustion engine, its and its gearbox's parameters in ``bp``
    (:data:`POWERTRAIN_PARAMETER_NAMES`), first gear, a shift allowed at once. The work of
    drive torque no powertrain in the loop delivers (direct torques on the engine's wheels,
    any wheel of a car without a battery or engine) counts as ``wheel_drive_external_j``.
    ``pt0`` holds the
    available powers and loss voltage at the initial state (what the integrator recomputes at
    every step), so the compiled controllers can be called outside the time loop too."""
    from sim.params import drive_unit_table
    from sim.powertrain.battery import (
        available_power_w,
        battery_operating_point,
        battery_parameters,
        battery_state,
    )
    from sim.powertrain.electric_machine import DRIVE_UNIT_PARAMETER_COUNT

    n = params.shape[0]
    motors = vehicle.drivetrain.motors.values() if vehicle.drivetrain is not None else ()
    in_loop = vehicle.battery is not None and any(m.kind == "electric" for m in motors)
    engine = vehicle.combustion is not None and any(m.kind == "combustion" for m in motors)
    bp = np.zeros((n, POWERTRAIN_PARAMETER_COUNT))
    dup = np.zeros((n, N_MACHINES, DRIVE_UNIT_PARAMETER_COUNT))
    xe0 = np.zeros((n, N_ENERGY_STATES))
    pt0 = np.zeros((n, N_PT))
    if engine:
        from sim.params import combustion_tables

        ep, gp = combustion_tables(vehicle)
        bp[:, BP_ENGINE0:BP_GEARBOX0] = ep
        bp[:, BP_GEARBOX0:] = gp
        pt0[:, PT_GEAR] = 1.0
        pt0[:, PT_SHIFT_TIMER] = SHIFT_TIMER_CAP_S
        pt0[:, PT_GEAR_CLOCK] = -1.0  # no update yet
    if in_loop:
        bp[:, :BATTERY_PARAMETER_COUNT] = battery_parameters(vehicle)
        dup[:] = drive_unit_table(vehicle)
        xe0[:, :BATTERY_STATE_COUNT] = battery_state(soc, 0.0, n)
        aux = params[:, P_AUX_W]
        pt0[:, PT_IN_LOOP] = 1.0
        battery = np.ascontiguousarray(bp[:, :BATTERY_PARAMETER_COUNT])
        pt0[:, PT_LOSS_V] = battery_operating_point(battery, xe0[:, :BATTERY_STATE_COUNT],
                                                    aux).bus_voltage_v
        pt0[:, PT_DISCHARGE_W], pt0[:, PT_CHARGE_W], _ = available_power_w(
            battery, xe0[:, :BATTERY_STATE_COUNT])
        pt0[:, PT_BUS_V] = pt0[:, PT_LOSS_V]
        pt0[:, PT_POWER_W] = aux
        pt0[:, PT_STEP_POWER_W] = aux
    return bp, dup, xe0, pt0, in_loop


def in_the_loop(vehicle) -> tuple[bool, bool]:
    """``(battery, engine)``: whether ``vehicle`` has its battery in the loop (a
    ``[battery]`` and an electric machine, as :func:`powertrain_tables` decides) and a
    combustion engine driving (a ``[combustion]`` and a combustion machine)."""
    motors = vehicle.drivetrain.motors.values() if vehicle.drivetrain is not None else ()
    kinds = {m.kind for m in motors}
    return (vehicle.battery is not None and "electric" in kinds,
            vehicle.combustion is not None and "combustion" in kinds)


def absent_channel_names(battery: bool, engine: bool) -> tuple[str, ...]:
    """The channels of :data:`CHANNEL_NAMES` that say nothing for a vehicle without its
    battery in the loop (``battery`` False: the battery's) or without a combustion engine
    (``engine`` False: :data:`COMBUSTION_CHANNEL_NAMES`); see :func:`in_the_loop`."""
    cells = tuple(n for n in CHANNEL_NAMES if n not in COMBUSTION_CHANNEL_NAMES)
    return (() if battery else cells) + (() if engine else COMBUSTION_CHANNEL_NAMES)


__all__ = ["CHANNEL_NAMES", "CHANNEL_UNITS", "ENERGY_NAMES", "ENERGY_STATE_NAMES",
           "N_CHANNELS", "N_ENERGY_STATES", "N_PT", "PT_NAMES", "SINK_NAMES", "SUPPLY_NAMES",
           "drive_unit_powers", "electric_wheels", "hold_step_power", "kinetic_energy_j",
           "powertrain_limits",
           "powertrain_rhs", "powertrain_tables", "saturate_to_battery",
           "COMBUSTION_CHANNEL_NAMES", "POWERTRAIN_PARAMETER_COUNT",
           "POWERTRAIN_PARAMETER_NAMES", "absent_channel_names", "combustion_wheel_torques",
           "in_the_loop",
           "passive_wheel_torques", "regenerative_wheel_torques",
           "terminal_power_w"]
