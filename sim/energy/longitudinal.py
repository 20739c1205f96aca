"""Longitudinal cycle model: a car following a speed trace, with its powertrain and every
energy flow, as a compiled batch-first time loop.

Model (one member):

* **Chassis**: a point mass on a road of grade ``theta`` (positive uphill), the wheels rolling
  without slip (``omega = v / R``); effective mass ``m_eff = m + J / R²`` with ``J`` every
  wheel's spin inertia and the electric machines' rotors reflected through their reductions
  (the same spin inertias the two-track model uses). Road load ``A + B v + C v²`` with
  ``A = m g f_rr cos(theta)``, ``C = 1/2 rho CdA`` and ``B`` given (coast-down form,
  :mod:`sim.powertrain.road_load`), plus ``m g sin(theta)``. Rolling resistance and the linear
  term act only while the car moves.
* **Driver**: at each step, the force that would bring the car to the trace's speed at the
  step's end (the trace is linear between its samples, so a car that can follow does so
  exactly), held through the step (a zero-order hold: one driver and powertrain command per
  step). Drive demand is split front/rear by ``front_torque_share`` and equally between the
  wheels of an axle, as the two-track model's passive drivetrain does; each machine within its
  envelope (:mod:`sim.powertrain.envelope`), the electric machines together within the
  battery's available discharge power (all scaled by one factor, the split kept). Braking,
  the electric machines regenerate first (series regenerative braking), up to
  ``[energy] max_regenerative_deceleration_mps2``: the demand is split by the brake balance
  among the axles that have machines (all of it to the driven axle of a car driven on one),
  each machine within its envelope and, together, the battery's available charge power, and
  only where regenerating draws less from the bus than the spinning machine at zero torque
  (at very low speed the copper loss exceeds what is recovered); the friction brakes take the
  rest. That rule is :mod:`sim.powertrain.braking`, which the two-track model's passive
  drivetrain calls too.
* **Powertrain**: electric drive units (machine, inverter, reduction gear; losses from
  :mod:`sim.powertrain.electric_machine`, :mod:`sim.powertrain.inverter`,
  :mod:`sim.powertrain.gear`), the HV cables, the auxiliaries, and the battery
  (:mod:`sim.powertrain.battery`: cells, packs on one bus); or a combustion engine with its
  stepped gearbox and clutch (:mod:`sim.powertrain.engine`, :mod:`sim.powertrain.gearbox`).

Numerics: fixed step ``h``; forces held through a step, so the speed is linear in time over
it and the kinetics are exact; every mechanical power is taken at the step's mean speed, so
``sum(force x mean speed x h)`` equals the change of kinetic energy to rounding: the energy
balance of the chassis closes exactly. The battery's states (SOC and RC voltages per pack)
and its chemical power, heat and RC power are integrated by the explicit midpoint rule over
the step at the held terminal power (:func:`battery_step`), all from the same evaluation, so
the battery's balance closes to rounding too (checked in tests). The drive units are
evaluated once per mean-speed iteration (:func:`sim.powertrain.drive_unit.largest_admissible_scale`
returns the sums at the torques it admits) and that evaluation gives the step's energies.
Each member runs on its own (the batch loops over members in parallel); a member's
results do not depend on the others.

Signs: speeds, forces and torques positive forward; powers positive drawn from the battery
(or the tank) towards the wheels; energies [J] of losses positive.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from sim.lanes import index_of, interp_uniform
from sim.powertrain.battery import (
    BATTERY_STATE_COUNT,
    available_powers_w,
    battery_rates,
    bus_voltage_v,
)
from sim.powertrain.braking import (
    regenerating_axles,
    regenerative_axle_share,
    regenerative_wheel_torque_nm,
)
from sim.powertrain.drive_unit import (
    drive_unit_sums,
    largest_admissible_scale,
)
from sim.powertrain.envelope import wheel_torque_limit_nm
from sim.powertrain.gearbox import (
    combustion_drive,
    combustion_gear_update,
    combustion_power_flows,
)
from sim.powertrain.layout import (
    DRIVES_NONE,
    KIND_COMBUSTION,
    M_DRIVES,
    M_GEAR,
    M_KIND,
    M_MAX_SPEED,
    M_PEAK_POWER,
    M_PEAK_TORQUE,
    MACHINE_FIELDS,
    MACHINE_STRIDE,
    N_MACHINES,
    drives_wheels,
)
from sim.powertrain.road_load import road_load_force_n
from sim.units import GRAVITY_MPS2

# Small formulas are inlined (``_kernel``); the pieces that are called from several places
# (the drive units' losses, the battery step) and the steps themselves are compiled once as
# functions of their own (``_step``): inlining them at every call site multiplied the
# compile time. The steps allocate nothing and run without reference counting
# (``_nrt=False``): every array handed to a function of its own was otherwise increfed and
# decrefed around the call, atomic operations on counters that both threads of a batch share
# (their members are views of the same tables), 14 % of a batch's time in perf.
_kernel = numba.njit(cache=True, error_model="numpy", inline="always")
_step = numba.njit(cache=True, error_model="numpy", _nrt=False)

#: Per-member parameters of the longitudinal model, by name (built by
#: :func:`sim.params.longitudinal_parameters`; every column must be filled).
LONGITUDINAL_PARAMETER_NAMES = (
    "mass_kg", "wheel_radius_m", "spin_inertia_kgm2", "rolling_resistance_coefficient",
    "road_load_b_n_per_mps", "drag_area_m2", "air_density_kgpm3", "road_grade_rad",
    "aux_power_w", "front_torque_share", "brake_front_share", "regenerative_braking",
    "max_regenerative_deceleration_mps2",
    *(f"machine{k}_{field}" for k in range(N_MACHINES) for field in MACHINE_FIELDS),
)
N_LONGITUDINAL_PARAMETERS = len(LONGITUDINAL_PARAMETER_NAMES)


def _p(name: str) -> int:
    return index_of(LONGITUDINAL_PARAMETER_NAMES, name)


(L_MASS, L_RADIUS, L_SPIN, L_FRR, L_B, L_CDA, L_RHO, L_GRADE, L_AUX, L_FRONT_SHARE,
 L_BRAKE_SHARE, L_REGEN, L_REGEN_DECEL) = (_p(n) for n in LONGITUDINAL_PARAMETER_NAMES[:13])
L_MACHINE0 = _p("machine0_drives")
_MS = MACHINE_STRIDE
_M_DRIVES, _M_KIND, _M_TORQUE, _M_POWER, _M_SPEED, _M_GEAR = (
    M_DRIVES, M_KIND, M_PEAK_TORQUE, M_PEAK_POWER, M_MAX_SPEED, M_GEAR)

#: Energy terms accumulated per member [J], in this order. Supply: ``battery_chemical_j``
#: (OCV x I, what the cells release), ``fuel_chemical_j`` (fuel mass x lower heating value).
#: Sinks (each >= 0 except the stored terms): battery heat, the RC pairs' stored energy,
#: auxiliaries, cables, inverters, machine and inverter together where the drive unit is
#: described by an efficiency map (``drive_unit_lumped_j``), machine copper / iron /
#: friction losses, gear meshes,
#: engine (fuel energy not delivered at the crank), clutch slip, friction brakes, tyre slip
#: (0 here: no slip), aerodynamic drag, rolling resistance, the linear road-load term, change
#: of kinetic and potential energy. ``battery_terminal_j`` (net energy at the battery
#: terminals, the consumption figure) and ``regenerated_j`` (energy returned to the battery
#: terminals while braking), the distance [m] and the fuel burnt [kg] are reported beside
#: them, not part of the balance.
ENERGY_TERMS = (
    "battery_chemical_j", "fuel_chemical_j",
    "battery_heat_j", "battery_rc_stored_j", "aux_j", "cable_j", "inverter_j",
    "drive_unit_lumped_j", "machine_copper_j", "machine_iron_j", "machine_friction_j",
    "gear_j", "engine_j", "clutch_j", "friction_brake_j", "tyre_slip_j", "aero_j",
    "rolling_j", "road_linear_j", "kinetic_j", "potential_j",
    "battery_terminal_j", "regenerated_j", "distance_m", "fuel_kg",
)
N_ENERGY_TERMS = len(ENERGY_TERMS)
(E_CHEM, E_FUEL, E_HEAT, E_RC, E_AUX, E_CABLE, E_INV, E_LUMPED, E_CU, E_FE, E_FR, E_GEAR,
 E_ENGINE, E_CLUTCH, E_BRAKE, E_SLIP, E_AERO, E_ROLL, E_LINEAR, E_KIN, E_POT, E_TERMINAL,
 E_REGEN, E_DIST, E_FUEL_KG) = range(N_ENERGY_TERMS)
#: The terms on each side of the balance: supply = sum of sinks.
SUPPLY_TERMS = ENERGY_TERMS[:2]
SINK_TERMS = ENERGY_TERMS[2:ENERGY_TERMS.index("battery_terminal_j")]

#: Recorded channels, in this order (every ``out_every`` steps): at the end of the step that
#: ends at ``time_s``, except the forces, powers, torques and machine speeds, which are those
#: held through that step (machine speeds at its mean speed), and the battery's available
#: powers, at its start.
CHANNEL_NAMES = (
    "time_s", "speed_mps", "target_speed_mps", "distance_m", "tractive_force_n",
    "friction_brake_force_n", "road_load_force_n", "battery_power_w", "bus_voltage_v",
    "soc_pack0", "soc_pack1", "available_discharge_power_w", "available_charge_power_w",
    "fuel_flow_kgps", "gear", "engine_speed_radps",
    *(f"machine{k}_torque_nm" for k in range(N_MACHINES)),
    *(f"machine{k}_speed_radps" for k in range(N_MACHINES)),
)
CHANNEL_UNITS = ("s", "m/s", "m/s", "m", "N", "N", "N", "W", "V", "-", "-", "W", "W", "kg/s",
                 "-",
                 "rad/s", *("N·m",) * N_MACHINES, *("rad/s",) * N_MACHINES)
N_CHANNELS = len(CHANNEL_NAMES)

#: Member status codes.
STATUS_OK, STATUS_BROKE_OFF, STATUS_BATTERY_EMPTY = 0, 1, 2
STATUS_NAMES = ("ok", "fell out of the speed band", "battery empty")

#: Scratch slot of a member holding the previous step's terminal power [W].
_SCRATCH_P_PREV = 2 * N_MACHINES + 4 * BATTERY_STATE_COUNT + 20
#: Length of a member's scratch vector.
_SCRATCH_SIZE = 2 * N_MACHINES + 4 * BATTERY_STATE_COUNT + 24

#: Most iterations of a saturated step's mean speed (see :func:`_electric_step`).
_MEAN_SPEED_ITERATIONS = 8

#: Speed band half-width [m/s] (UN GTR 15: 2 km/h) used for the break-off of range runs.
BAND_MPS = 2.0 / 3.6


@_kernel
def band_low_mps(table, dt, t):
    """Lower limit of the speed band at ``t``: the lowest trace speed within ±1 s minus
    :data:`BAND_MPS` (the trace is linear between samples, so the lowest value is at a sample
    inside the window or at one of its ends)."""
    low = min(interp_uniform(table, 0.0, dt, t - 1.0), interp_uniform(table, 0.0, dt, t + 1.0))
    first = max(int(math.ceil((t - 1.0) / dt)), 0)
    last = min(int(math.floor((t + 1.0) / dt)), table.shape[0] - 1)
    for i in range(first, last + 1):
        low = min(low, table[i])
    return low - BAND_MPS


# --------------------------------------------------------------------------------------------
# Electric drive: demand -> machine torques, powers and losses at a speed.


@_kernel
def _slot(lp, k, field):
    return lp[L_MACHINE0 + k * _MS + field]


@_kernel
def _slot_share(lp, k, braking):
    """Share [-] of the drive (or brake) force demand machine slot ``k`` is asked for: its
    axle's share over the wheels of that axle the slot drives (1 or 2 of 2). Driving: the
    front torque share. Braking: the axle's share of regenerative braking
    (:func:`sim.powertrain.braking.regenerative_axle_share`). Constant per member: read
    from :func:`_slot_shares`."""
    first, second = drives_wheels(lp[L_MACHINE0 + k * _MS + _M_DRIVES])
    wheels = (1.0 if first >= 0 else 0.0) + (1.0 if second >= 0 else 0.0)
    axle = 0 if first < 2 else 1
    front = lp[L_FRONT_SHARE]
    has_front, has_rear = regenerating_axles(
        (_slot(lp, 0, _M_DRIVES), _slot(lp, 1, _M_DRIVES), _slot(lp, 2, _M_DRIVES),
         _slot(lp, 3, _M_DRIVES)),
        (_slot(lp, 0, _M_KIND), _slot(lp, 1, _M_KIND), _slot(lp, 2, _M_KIND),
         _slot(lp, 3, _M_KIND)))
    regen = regenerative_axle_share(lp[L_BRAKE_SHARE], has_front, has_rear, axle)
    drive = front if axle == 0 else 1.0 - front
    return (regen if braking else drive) * 0.5 * wheels


@_step
def _slot_shares(lp):
    """Per slot, its share of the drive and of the brake force demand (two 4-tuples,
    :func:`_slot_share`); computed once per member."""
    return ((_slot_share(lp, 0, False), _slot_share(lp, 1, False), _slot_share(lp, 2, False),
             _slot_share(lp, 3, False)),
            (_slot_share(lp, 0, True), _slot_share(lp, 1, True), _slot_share(lp, 2, True),
             _slot_share(lp, 3, True)))


@_kernel
def _slot_wheel_limit_nm(lp, k, omega_wheel):
    """Envelope of slot ``k`` at the wheel(s) [N·m] (magnitude, reduction included)."""
    return wheel_torque_limit_nm(_slot(lp, k, _M_TORQUE), _slot(lp, k, _M_POWER),
                                 _slot(lp, k, _M_SPEED), _slot(lp, k, _M_GEAR), omega_wheel)


@_kernel
def _slot_inputs(lp):
    """Per machine slot (4-tuples): the reduction (machine / wheel speed) and whether it is
    an electric drive unit (:func:`sim.powertrain.drive_unit.drive_unit_sums`)."""
    return ((_slot(lp, 0, _M_GEAR), _slot(lp, 1, _M_GEAR), _slot(lp, 2, _M_GEAR),
             _slot(lp, 3, _M_GEAR)),
            (_slot_electric(lp, 0), _slot_electric(lp, 1), _slot_electric(lp, 2),
             _slot_electric(lp, 3)))


@_step
def _regenerative_torque(lp, dup, k, share, brake_force_n, limit_nm, omega_wheel,
                         bus_voltage_v):
    """Regenerative wheel torque [N·m] (<= 0) of slot ``k`` (compiled once):
    :func:`sim.powertrain.braking.regenerative_wheel_torque_nm`."""
    return regenerative_wheel_torque_nm(
        lp[L_REGEN] > 0.5, share, brake_force_n, lp[L_MASS] * lp[L_REGEN_DECEL],
        lp[L_RADIUS], limit_nm, dup[k], lp[L_MACHINE0 + k * _MS + _M_GEAR], omega_wheel,
        bus_voltage_v)


@_kernel
def _slot_electric(lp, k):
    return _slot(lp, k, _M_DRIVES) != DRIVES_NONE and _slot(lp, k, _M_KIND) != KIND_COMBUSTION


@_kernel
def _same_as_previous_slot(lp, dup, k):
    """Slot ``k`` >= 1 has the drive unit and the reduction of slot ``k - 1``."""
    alike = _slot(lp, k, _M_GEAR) == _slot(lp, k - 1, _M_GEAR)
    for j in range(dup.shape[1]):
        alike = alike and dup[k, j] == dup[k - 1, j]
    return alike


@_step
def _slot_twins(lp, dup):
    """Per slot: its drive unit and reduction are those of the slot before (4-tuple of bool,
    :func:`sim.powertrain.drive_unit.drive_unit_sums`); computed once per member."""
    return (False, _same_as_previous_slot(lp, dup, 1), _same_as_previous_slot(lp, dup, 2),
            _same_as_previous_slot(lp, dup, 3))


@_kernel
def _bus_voltage(bp, bx, power_w):
    v, _ = bus_voltage_v(bp, bx, power_w)
    return v


# --------------------------------------------------------------------------------------------
# Battery over a step: explicit midpoint at the held terminal power, with its energy flows.


@_step
def _battery_rates(bp, x, power_w, dx):
    """:func:`sim.powertrain.battery.battery_rates`, compiled once for the four stages."""
    return battery_rates(bp, x, power_w, dx)


@_step
def battery_step(bp, x, power_w, h, k1, k2, stage):
    """Advance the battery state ``x`` (in place) by ``h`` [s] at terminal power ``power_w``
    [W] with the explicit midpoint rule (second order: two evaluations of the battery, one
    bus solve each), integrating the chemical power, the heat and the power into the RC pairs
    at the same midpoint. Returns ``(chemical [J], heat [J], rc stored [J], feasible, bus
    voltage at the step's start [V])``. Since ``chemical = terminal + heat + rc`` holds at
    every evaluation, the three integrals satisfy it to rounding. Against classical RK4
    (four evaluations, used before) over the WLTC at the 1 s step (1 000 pack splits of the
    coupe): the cells' chemical energy moved by 2.4e-7 of itself, the battery heat by 6e-5
    of itself (2e-7 of the chemical energy), the energy at the terminals by 5e-9, the end
    SOC by 1e-8 (the RC pairs' 30 s time constant spans 30 steps and the SOC is near linear
    over one): far below the cycle model's step-halving error (< 0.5 %, tested)."""
    v0, ok1, _, _, _ = _battery_rates(bp, x, power_w, k1)
    for j in range(BATTERY_STATE_COUNT):
        stage[j] = x[j] + 0.5 * h * k1[j]
    _, ok2, c2, q2, r2 = _battery_rates(bp, stage, power_w, k2)
    for j in range(BATTERY_STATE_COUNT):
        x[j] += h * k2[j]
    return h * c2, h * q2, h * r2, ok1 and ok2, v0


# --------------------------------------------------------------------------------------------
# One member through the trace.


# Compiled once (not inlined at each call site: see the note on ``_step`` above).
@_step
def _gear_step(ep, gp, gear, timer, omega_wheel, axle_demand_nm, aux_power_w, h):
    return combustion_gear_update(ep, gp, gear, timer, omega_wheel, axle_demand_nm,
                                  aux_power_w, h)


@_step
def _combustion_drive(ep, gp, gear, timer, omega_wheel, axle_demand_nm, aux_power_w):
    return combustion_drive(ep, gp, gear, timer, omega_wheel, axle_demand_nm, aux_power_w)


@_step
def _combustion_flows(ep, gp, gear, omega_wheel, w_e, t_clutch, slipping, coasting, axle,
                      fuel, aux_power_w):
    return combustion_power_flows(ep, gp, gear, omega_wheel, w_e, t_clutch, slipping,
                                  coasting, axle, fuel, aux_power_w)


@_kernel
def _slope(lp):
    """``(cos, sin)`` of the road grade (constant per member: computed once)."""
    return math.cos(lp[L_GRADE]), math.sin(lp[L_GRADE])


@_kernel
def _road_forces(lp, slope, v_mean):
    """Road-load forces [N] at the mean speed of a step ``v_mean`` [m/s] >= 0 on a road of
    ``slope`` (:func:`_slope`): ``(rolling, linear, aerodynamic, grade)``; rolling and
    linear only while the car moves."""
    m = lp[L_MASS]
    cos_grade, sin_grade = slope
    moving = v_mean > 0.0
    rolling = m * GRAVITY_MPS2 * cos_grade * lp[L_FRR] if moving else 0.0
    linear = lp[L_B] * v_mean
    c = 0.5 * lp[L_RHO] * lp[L_CDA]
    return rolling, linear, road_load_force_n(0.0, 0.0, c, v_mean), \
        m * GRAVITY_MPS2 * sin_grade


@_step
def _electric_step(lp, dup, twins, shares, slope, bp, bx, v, v_target, h, wheel_torque,
                   shaft, scratch, energy):
    """One step of an electric member from speed ``v`` towards ``v_target`` [m/s]: returns
    ``(v_new, tractive force, friction brake force, road force, terminal power, bus voltage,
    feasible, available discharge power, available charge power)`` (the battery's available
    powers at the step's start, which the step respects) and adds the step's energies to
    ``energy``; advances the battery state ``bx``."""
    radius = lp[L_RADIUS]
    m_eff = lp[L_MASS] + lp[L_SPIN] / (radius * radius)
    # the bus voltage at the previous step's terminal power (held through this step: the
    # drive units' losses depend on it only weakly)
    p_prev = scratch[_SCRATCH_P_PREV]
    v_bus = _bus_voltage(bp, bx, p_prev)
    available_discharge, available_charge = available_powers_w(bp, bx)
    ratio, active = _slot_inputs(lp)
    no_torque = (0.0, 0.0, 0.0, 0.0)
    # Forces are held through the step and evaluated at its mean speed; a car that follows
    # the trace has that mean speed at once, a saturated one (envelope, battery) is iterated
    # to it (implicit midpoint; a few iterations converge to 1e-9). The drive units are
    # evaluated once per iteration (at the torques the battery admits, which the search
    # returns with their sums); the last evaluation serves for the step's energies unless the
    # iteration did not converge or the car stopped within the step.
    v_mean_t = 0.5 * (v + v_target)
    fresh = False
    for _ in range(_MEAN_SPEED_ITERATIONS):
        roll, lin, aero, grade = _road_forces(lp, slope, v_mean_t)
        resist = roll + lin + aero + grade
        demand = m_eff * (v_target - v) / h + resist
        omega_t = v_mean_t / radius
        omegas = (omega_t, omega_t, omega_t, omega_t)
        braking = demand < 0.0
        # wheel torques asked of each machine, within its envelope (regeneration: only where
        # the machine returns energy at that torque and speed; friction brakes take the rest)
        for k in range(N_MACHINES):
            electric = (lp[L_MACHINE0 + k * _MS + _M_DRIVES] != DRIVES_NONE
                        and lp[L_MACHINE0 + k * _MS + _M_KIND] != KIND_COMBUSTION)
            share = shares[1][k] if braking else shares[0][k]
            limit = _slot_wheel_limit_nm(lp, k, omega_t) if electric else 0.0
            if braking:  # regeneration first: the one rule of sim.powertrain.braking
                wheel_torque[k] = _regenerative_torque(
                    lp, dup, k, share, -demand, limit, omega_t, v_bus) if electric else 0.0
            else:
                wheel_torque[k] = min(share * demand * radius, limit) if electric else 0.0
        limit_w = available_charge + lp[L_AUX] if braking else available_discharge
        asked = (wheel_torque[0], wheel_torque[1], wheel_torque[2], wheel_torque[3])
        scale, sums, slot_dc, slot_shaft = largest_admissible_scale(
            dup, ratio, no_torque, asked, omegas, active, twins, v_bus, lp[L_AUX], limit_w,
            not braking)
        tractive = 0.0
        for k in range(N_MACHINES):
            wheel_torque[k] *= scale
            tractive += wheel_torque[k] / radius
        fresh = True
        brake = max(tractive - demand, 0.0) if braking else 0.0
        v_new = v + (tractive - brake - resist) * h / m_eff
        if v_new < 0.0:  # the car stops within the step: exactly at its end
            need = -m_eff * v / h  # the net force that does that
            brake = tractive - resist - need
            if brake < 0.0:  # regeneration and road load alone stop it: less regeneration
                brake = 0.0
                wanted = min(need + resist, 0.0)
                f = wanted / tractive if tractive < 0.0 else 0.0
                for k in range(N_MACHINES):
                    wheel_torque[k] *= f
                fresh = False
                tractive = wanted if tractive < 0.0 else 0.0
                excess = resist - tractive - (-need)  # road load beyond what stops the car
                if excess > 0.0:  # rolling resistance stops acting once the car is at rest
                    roll = max(roll - excess, 0.0)
                    resist = roll + lin + aero + grade
            v_new = max(v + (tractive - brake - resist) * h / m_eff, 0.0)
        v_mean_new = 0.5 * (v + v_new)
        converged = abs(v_mean_new - v_mean_t) <= 1e-9 * (1.0 + v_mean_t)
        fresh = fresh and converged
        v_mean_t = v_mean_new
        if converged:
            break
    v_mean = 0.5 * (v + v_new)
    omega = v_mean / radius
    if not fresh:
        sums, slot_dc, slot_shaft = drive_unit_sums(
            dup, ratio, (wheel_torque[0], wheel_torque[1], wheel_torque[2], wheel_torque[3]),
            (omega, omega, omega, omega), active, twins, v_bus)
    p_dc, cu, fe, fr, inv, cable, lumped, gear = sums
    for k in range(N_MACHINES):
        shaft[0, k] = slot_shaft[k]
    p_term = p_dc + lp[L_AUX]
    scratch[_SCRATCH_P_PREV] = p_term
    n = 4 * BATTERY_STATE_COUNT
    chem, heat, rc, ok, _ = battery_step(bp, bx, p_term, h, scratch[n:n + 4],
                                         scratch[n + 4:n + 8], scratch[n + 8:n + 12])
    d = v_mean * h
    energy[E_CHEM] += chem
    energy[E_HEAT] += heat
    energy[E_RC] += rc
    energy[E_AUX] += lp[L_AUX] * h
    energy[E_CABLE] += cable * h
    energy[E_INV] += inv * h
    energy[E_LUMPED] += lumped * h
    energy[E_CU] += cu * h
    energy[E_FE] += fe * h
    energy[E_FR] += fr * h
    energy[E_GEAR] += gear * h
    energy[E_BRAKE] += brake * d
    energy[E_AERO] += aero * d
    energy[E_ROLL] += roll * d
    energy[E_LINEAR] += lin * d
    energy[E_POT] += grade * d
    energy[E_KIN] += 0.5 * m_eff * (v_new * v_new - v * v)
    energy[E_TERMINAL] += p_term * h
    energy[E_REGEN] += max(-p_term, 0.0) * h
    energy[E_DIST] += d
    return (v_new, tractive, brake, resist, p_term, v_bus, ok, available_discharge,
            available_charge)


@_step
def _combustion_step(lp, ep, gp, gs, slope, v, v_target, h, energy):
    """One step of a combustion member (gear state ``gs`` = [gear, shift timer], updated in
    place): returns ``(v_new, tractive force, friction brake force, road force, fuel flow
    [kg/s], engine speed [rad/s])`` and adds the step's energies to ``energy``.

    The engine drives the axle of the combustion slot through the clutch and the gearbox
    (:func:`sim.powertrain.gearbox.powertrain_axle_torque`); auxiliaries load the crank with
    ``P_aux / omega_e`` (fuelled: more fuel; fuel cut: more drag). Braking: with the clutch
    closed the engine's overrun drag (fuel cut) brakes the car when the demand is at least
    that drag, the friction brakes taking the rest; a gentler demand opens the clutch (the
    engine idles) and the brakes do it all."""
    radius = lp[L_RADIUS]
    m_eff = lp[L_MASS] + lp[L_SPIN] / (radius * radius)
    v_mean_t = 0.5 * (v + v_target)
    # the gear for this step, from the demand at the trace's mean speed (once per step)
    roll, lin, aero, grade = _road_forces(lp, slope, v_mean_t)
    demand = m_eff * (v_target - v) / h + roll + lin + aero + grade
    omega_t = v_mean_t / radius
    gear, timer = _gear_step(ep, gp, gs[0], gs[1], omega_t, demand * radius, lp[L_AUX], h)
    gs[0], gs[1] = gear, timer
    # forces held through the step at its mean speed (iterated when saturated, as electric)
    for _ in range(_MEAN_SPEED_ITERATIONS):
        roll, lin, aero, grade = _road_forces(lp, slope, v_mean_t)
        resist = roll + lin + aero + grade
        demand = m_eff * (v_target - v) / h + resist
        omega_t = v_mean_t / radius
        axle, w_e, t_clutch, fuel, slipping, coasting = _combustion_drive(
            ep, gp, gear, timer, omega_t, demand * radius, lp[L_AUX])
        tractive = axle / radius
        brake = max(tractive - demand, 0.0) if demand < 0.0 else 0.0
        v_new = v + (tractive - brake - resist) * h / m_eff
        if v_new < 0.0:
            brake = max(tractive - resist + m_eff * v / h, 0.0)
            v_new = max(v + (tractive - brake - resist) * h / m_eff, 0.0)
        v_mean_new = 0.5 * (v + v_new)
        converged = abs(v_mean_new - v_mean_t) <= 1e-9 * (1.0 + v_mean_t)
        v_mean_t = v_mean_new
        if converged:
            break
    v_mean = 0.5 * (v + v_new)
    omega = v_mean / radius
    d = v_mean * h
    # energy flows at the crank, the clutch, the gearbox (with the shift dip) and the wheels
    fuel_w, engine_w, aux_w, clutch_w, gear_w, _ = _combustion_flows(
        ep, gp, gear, omega, w_e, t_clutch, slipping, coasting, axle, fuel, lp[L_AUX])
    energy[E_FUEL] += fuel_w * h
    energy[E_FUEL_KG] += fuel * h
    energy[E_ENGINE] += engine_w * h
    energy[E_AUX] += aux_w * h
    energy[E_CLUTCH] += clutch_w * h
    energy[E_GEAR] += gear_w * h
    energy[E_BRAKE] += brake * d
    energy[E_AERO] += aero * d
    energy[E_ROLL] += roll * d
    energy[E_LINEAR] += lin * d
    energy[E_POT] += grade * d
    energy[E_KIN] += 0.5 * m_eff * (v_new * v_new - v * v)
    energy[E_DIST] += d
    return v_new, tractive, brake, resist, fuel, w_e


@_step
def _record(out, i, j, t, v, v_target, distance, tractive, brake, resist, p_term, v_bus, bx,
            fuel, gs, w_e, shaft, radius, v_mean, available, lp):
    values = (t, v, v_target, distance, tractive, brake, resist, p_term, v_bus, bx[0], bx[2],
              available[0], available[1], fuel, gs[0], w_e)
    for c in range(len(values)):
        out[c, i, j] = values[c]
    first = len(values)
    for k in range(N_MACHINES):
        out[first + k, i, j] = shaft[0, k]
        out[first + N_MACHINES + k, i, j] = v_mean / radius * lp[L_MACHINE0 + k * _MS + _M_GEAR]


@_step
def _run_member(i, lp, dup, bp, bx, ep, gp, gs, combustion, trace, trace_dt, h, n_steps,
                out_every, break_off, out, energy, status, end_time, wheel_torque, shaft,
                scratch, available):
    """Member ``i`` through ``n_steps`` steps of ``h`` [s] along ``trace`` (speeds [m/s]
    every ``trace_dt`` [s]); states ``bx`` (battery) and ``gs`` (gear, shift timer) in place.
    With ``break_off`` the member ends when its speed falls below the trace's band (the
    break-off of a range run) or the battery cannot deliver (status codes ``STATUS_*``).
    Workspace (zeroed by the caller): ``wheel_torque`` (N_MACHINES,), ``shaft`` (1,
    N_MACHINES), ``scratch`` (:data:`_SCRATCH_SIZE`,), ``available`` (2,)."""
    scratch[_SCRATCH_P_PREV] = lp[L_AUX]
    twins = _slot_twins(lp, dup)
    shares = _slot_shares(lp)
    slope = _slope(lp)
    radius = lp[L_RADIUS]
    v = trace[0]
    t = 0.0
    status[i] = STATUS_OK
    if out.shape[2] > 0:
        _record(out, i, 0, 0.0, v, v, 0.0, 0.0, 0.0, 0.0, lp[L_AUX], 0.0, bx, 0.0, gs, 0.0,
                shaft, radius, v, available, lp)
    for step in range(n_steps):
        t = step * h
        v_target = max(interp_uniform(trace, 0.0, trace_dt, t + h), 0.0)
        fuel, w_e, p_term, v_bus, ok = 0.0, 0.0, 0.0, 0.0, True
        if combustion:
            v_new, tractive, brake, resist, fuel, w_e = _combustion_step(
                lp, ep, gp, gs, slope, v, v_target, h, energy[i])
        else:
            (v_new, tractive, brake, resist, p_term, v_bus, ok, available[0],
             available[1]) = _electric_step(lp, dup, twins, shares, slope, bp, bx, v, v_target,
                                            h, wheel_torque, shaft, scratch, energy[i])
        v_mean = 0.5 * (v + v_new)
        v = v_new
        if (step + 1) % out_every == 0 and out.shape[2] > 0:
            _record(out, i, (step + 1) // out_every, t + h, v, v_target, energy[i, E_DIST],
                    tractive, brake, resist, p_term, v_bus, bx, fuel, gs, w_e, shaft, radius,
                    v_mean, available, lp)
        if break_off:
            if not ok:
                status[i] = STATUS_BATTERY_EMPTY
            elif v < band_low_mps(trace, trace_dt, t + h):
                status[i] = STATUS_BROKE_OFF
            if status[i] != STATUS_OK:
                end_time[i] = t + h
                return
    end_time[i] = t + h if n_steps > 0 else 0.0


@numba.njit(parallel=True, cache=True, error_model="numpy")
def run_batch(lp, dup, bp, bx, ep, gp, gs, combustion, trace, trace_dt, h, n_steps,
              out_every, break_off, out, energy, status, end_time):
    """Every member of a batch through the trace (members in parallel; see
    :func:`_run_member`). ``lp`` (N, L) :data:`LONGITUDINAL_PARAMETER_NAMES`; ``dup`` (N,
    N_MACHINES, D) drive-unit loss parameters; ``bp`` (N, B) battery parameters and ``bx``
    (N, S) battery states (in place); ``ep`` (N, E), ``gp`` (N, G) engine and gearbox
    parameters and ``gs`` (N, 2) gear states (in place); ``combustion`` (N,) bool; ``out``
    (C, N, T_out) recorded channels (T_out may be 0: nothing recorded); ``energy`` (N,
    len(ENERGY_TERMS)) accumulated [J] (zeroed by the caller); ``status`` (N,) int,
    ``end_time`` (N,) [s]."""
    for i in numba.prange(lp.shape[0]):
        m = np.int64(i)  # the prange index is unsigned: one signature of _run_member, not two
        _run_member(m, lp[m], dup[m], bp[m], bx[m], ep[m], gp[m], gs[m], combustion[m], trace,
                    trace_dt, h, n_steps, out_every, break_off, out, energy, status, end_time,
                    np.zeros(N_MACHINES), np.zeros((1, N_MACHINES)), np.zeros(_SCRATCH_SIZE),
                    np.zeros(2))
