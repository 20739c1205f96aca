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
  rest.
* **Powertrain**: electric drive units (machine, inverter, reduction gear; losses from
  :mod:`sim.powertrain.electric_machine`, :mod:`sim.powertrain.inverter`,
  :mod:`sim.powertrain.gear`), the HV cables, the auxiliaries, and the battery
  (:mod:`sim.powertrain.battery`: cells, packs on one bus); or a combustion engine with its
  stepped gearbox and clutch (:mod:`sim.powertrain.engine`, :mod:`sim.powertrain.gearbox`).

Numerics: fixed step ``h``; forces held through a step, so the speed is linear in time over
it and the kinetics are exact; every mechanical power is taken at the step's mean speed, so
``sum(force x mean speed x h)`` equals the change of kinetic energy to rounding: the energy
balance of the chassis closes exactly. The battery's states (SOC and RC voltages per pack)
and its chemical power and heat are integrated by classical RK4 over the step at the held
terminal power, so the battery's balance closes to the integration's accuracy (checked in
tests). Each member runs on its own (the batch loops over members in parallel); a member's
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
    available_charge_power_w,
    available_discharge_power_w,
    battery_rates,
    bus_voltage_v,
)
from sim.powertrain.drive_unit import wheel_drive_unit_power
from sim.powertrain.engine import (
    IX_IDLE_SPEED_RADPS,
    IX_LOWER_HEATING_VALUE_JPKG,
    clutch_torque_nm,
    engine_demand_fraction,
    engine_fuel_flow_kgps,
    engine_operating_point,
)
from sim.powertrain.envelope import wheel_torque_limit_nm
from sim.powertrain.gearbox import (
    gear_update,
    gearbox_input_speed_radps,
    gearbox_input_torque_nm,
    gearbox_output_torque_nm,
    powertrain_axle_torque,
    shift_torque_factor,
)
from sim.powertrain.layout import (
    DRIVES_FRONT_AXLE,
    DRIVES_NONE,
    DRIVES_REAR_AXLE,
    KIND_COMBUSTION,
    M_DRIVES,
    M_GEAR,
    M_KIND,
    M_MAX_SPEED,
    M_PEAK_POWER,
    M_PEAK_TORQUE,
    M_TOP_GEAR,
    MACHINE_FIELDS,
    MACHINE_STRIDE,
    N_MACHINES,
)
from sim.powertrain.road_load import road_load_force_n
from sim.units import GRAVITY_MPS2

# Small formulas are inlined (``_kernel``); the pieces that are called from several places
# (the drive units' losses, the battery step) and the steps themselves are compiled once as
# functions of their own (``_step``): inlining them at every call site multiplied the
# compile time.
_kernel = numba.njit(cache=True, error_model="numpy", inline="always")
_step = numba.njit(cache=True, error_model="numpy")

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
_M_DRIVES, _M_KIND, _M_TORQUE, _M_POWER, _M_SPEED, _M_GEAR, _M_TOP = (
    M_DRIVES, M_KIND, M_PEAK_TORQUE, M_PEAK_POWER, M_MAX_SPEED, M_GEAR, M_TOP_GEAR)

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


@_kernel
def slot_wheels(code):
    """Number of wheels a machine slot drives and its axle (0 front, 1 rear): ``(wheels,
    axle)``; ``(0, 0)`` for an empty slot."""
    if code == DRIVES_NONE:
        return 0, 0
    if code == DRIVES_FRONT_AXLE:
        return 2, 0
    if code == DRIVES_REAR_AXLE:
        return 2, 1
    return 1, 0 if code < 2 else 1


# --------------------------------------------------------------------------------------------
# Electric drive: demand -> machine torques, powers and losses at a speed.


@_kernel
def _slot(lp, k, field):
    return lp[L_MACHINE0 + k * _MS + field]


@_kernel
def _slot_share(lp, k, braking):
    """Share [-] of the drive (or brake) force demand machine slot ``k`` is asked for: its
    axle's share over the wheels of that axle the slot drives (1 or 2 of 2). Driving: the
    front torque share. Braking (regeneration first): the brake balance among the axles that
    have electric machines (a car driven on one axle offers that axle the whole demand, as
    regenerative braking does; the friction brakes take what it cannot)."""
    wheels, axle = slot_wheels(lp[L_MACHINE0 + k * _MS + _M_DRIVES])
    front = lp[L_FRONT_SHARE]
    if braking:
        has_front, has_rear = False, False
        for j in range(N_MACHINES):
            code = lp[L_MACHINE0 + j * _MS + _M_DRIVES]
            electric = code != DRIVES_NONE and lp[L_MACHINE0 + j * _MS + _M_KIND] \
                != KIND_COMBUSTION
            j_axle = slot_wheels(code)[1]
            has_front = has_front or (electric and j_axle == 0)
            has_rear = has_rear or (electric and j_axle == 1)
        front = lp[L_BRAKE_SHARE] if (has_front and has_rear) else (1.0 if has_front else 0.0)
    return (front if axle == 0 else 1.0 - front) * 0.5 * wheels


@_kernel
def _slot_wheel_limit_nm(lp, k, omega_wheel):
    """Envelope of slot ``k`` at the wheel(s) [N·m] (magnitude, reduction included)."""
    return wheel_torque_limit_nm(
        _slot(lp, k, _M_KIND), _slot(lp, k, _M_TORQUE), _slot(lp, k, _M_POWER),
        _slot(lp, k, _M_SPEED), _slot(lp, k, _M_GEAR), _slot(lp, k, _M_TOP), omega_wheel)


@_step
def _slot_dc_power(dup_k, ratio, wheel_torque_nm, omega_wheel, bus_voltage_v):
    """DC power [W] one drive unit draws for a wheel torque (compiled once)."""
    return wheel_drive_unit_power(dup_k, ratio, wheel_torque_nm, omega_wheel, bus_voltage_v)[0]


@_step
def _electric_powers(lp, dup, scale, wheel_torque, omega_wheel, bus_voltage_v, shaft):
    """The electric drive units for wheel torques ``scale * wheel_torque[k]`` [N·m] at wheel
    speed ``omega_wheel`` [rad/s]: writes each slot's shaft torque into ``shaft[0, k]`` and
    returns the sums over the electric slots ``(dc power at the bus [W], copper, iron,
    friction, inverter, cable, lumped machine + inverter (efficiency maps), gear mesh losses
    [W])`` (:func:`sim.powertrain.drive_unit.wheel_drive_unit_power`)."""
    p_dc, cu, fe, fr, inv, cable, lumped, gear = 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    for k in range(N_MACHINES):
        if (lp[L_MACHINE0 + k * _MS + _M_DRIVES] == DRIVES_NONE
                or lp[L_MACHINE0 + k * _MS + _M_KIND] == KIND_COMBUSTION):
            shaft[0, k] = 0.0
            continue
        dc, c, f, w, v, cb, lu, g, t_s = wheel_drive_unit_power(
            dup[k], lp[L_MACHINE0 + k * _MS + _M_GEAR], scale * wheel_torque[k], omega_wheel,
            bus_voltage_v)
        shaft[0, k] = t_s
        p_dc += dc
        cu += c
        fe += f
        fr += w
        inv += v
        cable += cb
        lumped += lu
        gear += g
    return p_dc, cu, fe, fr, inv, cable, lumped, gear


@_kernel
def _terminal_power(lp, dup, scale, wheel_torque, omega_wheel, bus_voltage_v, shaft):
    """Battery terminal power [W] (> 0 drawn) for the wheel torques ``scale * wheel_torque``:
    the drive units (cables included) and the auxiliaries."""
    return _electric_powers(lp, dup, scale, wheel_torque, omega_wheel, bus_voltage_v,
                            shaft)[0] + lp[L_AUX]


@_kernel
def _bus_voltage(bp, bx, power_w):
    v, _ = bus_voltage_v(bp, bx, power_w)
    return v


@_step
def _scale_to_power(lp, dup, wheel_torque, omega_wheel, bus_voltage_v, shaft, limit_w,
                    discharge):
    """Largest factor in [0, 1] on ``wheel_torque`` whose terminal power stays within the
    battery's available power: ``<= limit_w`` discharging, ``>= -limit_w`` charging
    (bisection; the terminal power is monotonic in the factor for one sign of torque)."""
    full = _terminal_power(lp, dup, 1.0, wheel_torque, omega_wheel, bus_voltage_v, shaft)
    if (full <= limit_w) if discharge else (full >= -limit_w):
        return 1.0
    low, high = 0.0, 1.0
    for _ in range(30):
        mid = 0.5 * (low + high)
        p = _terminal_power(lp, dup, mid, wheel_torque, omega_wheel, bus_voltage_v, shaft)
        ok = (p <= limit_w) if discharge else (p >= -limit_w)
        low = mid if ok else low
        high = high if ok else mid
    return low


# --------------------------------------------------------------------------------------------
# Battery over a step: RK4 at the held terminal power, with its energy flows.


@_step
def _battery_rates(bp, x, power_w, dx):
    """:func:`sim.powertrain.battery.battery_rates`, compiled once for the four stages."""
    return battery_rates(bp, x, power_w, dx)


@_step
def battery_step(bp, x, power_w, h, k1, k2, k3, k4, stage):
    """Advance the battery state ``x`` (in place) by ``h`` [s] at terminal power ``power_w``
    [W] with classical RK4, integrating the chemical power, the heat and the power into the
    RC pairs with the same stages. Returns ``(chemical [J], heat [J], rc stored [J], feasible,
    bus voltage at the step's start [V])``. Since ``chemical = terminal + heat + rc`` holds at
    every stage, the three integrals satisfy it to rounding."""
    v0, ok1, c1, q1, r1 = _battery_rates(bp, x, power_w, k1)
    for j in range(BATTERY_STATE_COUNT):
        stage[j] = x[j] + 0.5 * h * k1[j]
    _, ok2, c2, q2, r2 = _battery_rates(bp, stage, power_w, k2)
    for j in range(BATTERY_STATE_COUNT):
        stage[j] = x[j] + 0.5 * h * k2[j]
    _, ok3, c3, q3, r3 = _battery_rates(bp, stage, power_w, k3)
    for j in range(BATTERY_STATE_COUNT):
        stage[j] = x[j] + h * k3[j]
    _, ok4, c4, q4, r4 = _battery_rates(bp, stage, power_w, k4)
    for j in range(BATTERY_STATE_COUNT):
        x[j] += h / 6.0 * (k1[j] + 2.0 * k2[j] + 2.0 * k3[j] + k4[j])
    w = h / 6.0
    return (w * (c1 + 2.0 * c2 + 2.0 * c3 + c4), w * (q1 + 2.0 * q2 + 2.0 * q3 + q4),
            w * (r1 + 2.0 * r2 + 2.0 * r3 + r4), ok1 and ok2 and ok3 and ok4, v0)


# --------------------------------------------------------------------------------------------
# One member through the trace.


# Compiled once (not inlined at each call site: see the note on ``_step`` above).
@_step
def _axle_torque(ep, gp, gear, timer, omega_wheel, crank_demand_nm):
    return powertrain_axle_torque(ep, gp, gear, timer, omega_wheel, crank_demand_nm)


@_step
def _gear_step(gp, gear, timer, omega_wheel, pedal, h):
    return gear_update(gp, gear, timer, omega_wheel, pedal, h)


@_step
def _fuel_flow(ep, engine_speed_radps, torque_nm):
    return engine_fuel_flow_kgps(ep, engine_speed_radps, torque_nm)


@_step
def _idle_point(ep, engine_speed_radps):
    return engine_operating_point(ep, engine_speed_radps, 0.0)


@_step
def _available_powers(bp, bx):
    return available_discharge_power_w(bp, bx), available_charge_power_w(bp, bx)


@_kernel
def _road_forces(lp, v_mean):
    """Road-load forces [N] at the mean speed of a step ``v_mean`` [m/s] >= 0: ``(rolling,
    linear, aerodynamic, grade)``; rolling and linear only while the car moves."""
    m = lp[L_MASS]
    grade = lp[L_GRADE]
    moving = v_mean > 0.0
    rolling = m * GRAVITY_MPS2 * math.cos(grade) * lp[L_FRR] if moving else 0.0
    linear = lp[L_B] * v_mean
    c = 0.5 * lp[L_RHO] * lp[L_CDA]
    return rolling, linear, road_load_force_n(0.0, 0.0, c, v_mean), \
        m * GRAVITY_MPS2 * math.sin(grade)


@_step
def _electric_step(lp, dup, bp, bx, v, v_target, h, wheel_torque, shaft, scratch, energy):
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
    available_discharge, available_charge = _available_powers(bp, bx)
    # Forces are held through the step and evaluated at its mean speed; a car that follows
    # the trace has that mean speed at once, a saturated one (envelope, battery) is iterated
    # to it (implicit midpoint; a few iterations converge to 1e-9).
    v_mean_t = 0.5 * (v + v_target)
    for _ in range(_MEAN_SPEED_ITERATIONS):
        roll, lin, aero, grade = _road_forces(lp, v_mean_t)
        resist = roll + lin + aero + grade
        demand = m_eff * (v_target - v) / h + resist
        omega_t = v_mean_t / radius
        braking = demand < 0.0
        # wheel torques asked of each machine, within its envelope (regeneration: only where
        # the machine returns energy at that torque and speed; friction brakes take the rest)
        for k in range(N_MACHINES):
            electric = (lp[L_MACHINE0 + k * _MS + _M_DRIVES] != DRIVES_NONE
                        and lp[L_MACHINE0 + k * _MS + _M_KIND] != KIND_COMBUSTION)
            share = _slot_share(lp, k, braking)
            limit = _slot_wheel_limit_nm(lp, k, omega_t) if electric else 0.0
            want = share * max(demand, -lp[L_MASS] * lp[L_REGEN_DECEL]) * radius
            wheel_torque[k] = max(min(want, limit), -limit) if electric else 0.0
            if braking and lp[L_REGEN] < 0.5:
                wheel_torque[k] = 0.0
        if braking:
            for k in range(N_MACHINES):  # drop regeneration that costs more than it returns
                if wheel_torque[k] != 0.0:
                    ratio = lp[L_MACHINE0 + k * _MS + _M_GEAR]
                    p_k = _slot_dc_power(dup[k], ratio, wheel_torque[k], omega_t, v_bus)
                    idle = _slot_dc_power(dup[k], ratio, 0.0, omega_t, v_bus)
                    wheel_torque[k] = 0.0 if p_k > idle else wheel_torque[k]
            limit_w = available_charge + lp[L_AUX]
        else:
            limit_w = available_discharge
        scale = _scale_to_power(lp, dup, wheel_torque, omega_t, v_bus, shaft, limit_w,
                                not braking)
        tractive = 0.0
        for k in range(N_MACHINES):
            wheel_torque[k] *= scale
            tractive += wheel_torque[k] / radius
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
                tractive = wanted if tractive < 0.0 else 0.0
                excess = resist - tractive - (-need)  # road load beyond what stops the car
                if excess > 0.0:  # rolling resistance stops acting once the car is at rest
                    roll = max(roll - excess, 0.0)
                    resist = roll + lin + aero + grade
            v_new = max(v + (tractive - brake - resist) * h / m_eff, 0.0)
        v_mean_new = 0.5 * (v + v_new)
        converged = abs(v_mean_new - v_mean_t) <= 1e-9 * (1.0 + v_mean_t)
        v_mean_t = v_mean_new
        if converged:
            break
    v_mean = 0.5 * (v + v_new)
    omega = v_mean / radius
    p_dc, cu, fe, fr, inv, cable, lumped, gear = _electric_powers(
        lp, dup, 1.0, wheel_torque, omega, v_bus, shaft)
    p_term = p_dc + lp[L_AUX]
    scratch[_SCRATCH_P_PREV] = p_term
    n = 4 * BATTERY_STATE_COUNT
    chem, heat, rc, ok, _ = battery_step(bp, bx, p_term, h, scratch[n:n + 4],
                                         scratch[n + 4:n + 8], scratch[n + 8:n + 12],
                                         scratch[n + 12:n + 16], scratch[n + 16:n + 20])
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
def _combustion_step(lp, ep, gp, gs, v, v_target, h, energy):
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
    idle = ep[IX_IDLE_SPEED_RADPS]
    # the gear for this step, from the demand at the trace's mean speed (once per step)
    roll, lin, aero, grade = _road_forces(lp, v_mean_t)
    demand = m_eff * (v_target - v) / h + roll + lin + aero + grade
    omega_t = v_mean_t / radius
    w_aux = max(gearbox_input_speed_radps(gp, gs[0], omega_t), idle)
    crank = gearbox_input_torque_nm(gp, gs[0], demand * radius) + lp[L_AUX] / w_aux
    gear, timer = _gear_step(gp, gs[0], gs[1], omega_t, engine_demand_fraction(ep, w_aux, crank),
                             h)
    gs[0], gs[1] = gear, timer
    # forces held through the step at its mean speed (iterated when saturated, as electric)
    for _ in range(_MEAN_SPEED_ITERATIONS):
        roll, lin, aero, grade = _road_forces(lp, v_mean_t)
        resist = roll + lin + aero + grade
        demand = m_eff * (v_target - v) / h + resist
        omega_t = v_mean_t / radius
        axle_demand = demand * radius
        axle, w_e, t_b, fuel, slip = _axle_torque(
            ep, gp, gear, timer, omega_t, gearbox_input_torque_nm(gp, gear, axle_demand))
        w_c = max(gearbox_input_speed_radps(gp, gear, omega_t), 0.0)
        slipping = 1.0 if w_e > w_c else 0.0
        coasting = demand < 0.0 and axle < axle_demand  # engine drag beyond the demand
        if coasting:  # clutch open: the engine idles
            w_e, slipping = idle, 0.0
            t_b, fuel = _idle_point(ep, w_e)
        t_aux = lp[L_AUX] / w_e  # the auxiliaries' load on the crank
        if fuel > 0.0:  # fuelled: the engine makes the auxiliaries' torque too
            fuel = _fuel_flow(ep, w_e, t_b + t_aux)
            t_clutch = t_b
        else:  # fuel cut: the auxiliaries add to the engine's drag
            t_clutch = t_b - t_aux
        if coasting:
            t_clutch, axle = 0.0, 0.0
        else:
            axle = gearbox_output_torque_nm(gp, gear, clutch_torque_nm(t_clutch, slipping)) \
                * shift_torque_factor(gp, timer)
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
    w_c = max(gearbox_input_speed_radps(gp, gear, omega), 0.0)
    crank_power = t_clutch * w_e  # what leaves the crank towards the clutch
    clutch_in = clutch_torque_nm(t_clutch, slipping)
    clutch_out = 0.0 if coasting else clutch_in * w_c
    wheel_power = axle * omega
    gear_out = 0.0 if coasting else gearbox_output_torque_nm(gp, gear, clutch_in) * omega
    aux = lp[L_AUX]
    fuel_energy = fuel * h * ep[IX_LOWER_HEATING_VALUE_JPKG]
    energy[E_FUEL] += fuel_energy
    energy[E_FUEL_KG] += fuel * h
    energy[E_ENGINE] += fuel_energy - (crank_power + aux) * h
    energy[E_AUX] += aux * h
    energy[E_CLUTCH] += (crank_power - clutch_out) * h + (gear_out - wheel_power) * h
    energy[E_GEAR] += (clutch_out - gear_out) * h
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
                out_every, break_off, out, energy, status, end_time):
    """Member ``i`` through ``n_steps`` steps of ``h`` [s] along ``trace`` (speeds [m/s]
    every ``trace_dt`` [s]); states ``bx`` (battery) and ``gs`` (gear, shift timer) in place.
    With ``break_off`` the member ends when its speed falls below the trace's band (the
    break-off of a range run) or the battery cannot deliver (status codes ``STATUS_*``)."""
    wheel_torque = np.zeros(N_MACHINES)
    shaft = np.zeros((1, N_MACHINES))
    scratch = np.zeros(2 * N_MACHINES + 4 * BATTERY_STATE_COUNT + 24)
    scratch[_SCRATCH_P_PREV] = lp[L_AUX]
    available = np.zeros(2)
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
                lp, ep, gp, gs, v, v_target, h, energy[i])
        else:
            (v_new, tractive, brake, resist, p_term, v_bus, ok, available[0],
             available[1]) = _electric_step(lp, dup, bp, bx, v, v_target, h, wheel_torque,
                                            shaft, scratch, energy[i])
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
        _run_member(i, lp[i], dup[i], bp[i], bx[i], ep[i], gp[i], gs[i], combustion[i], trace,
                    trace_dt, h, n_steps, out_every, break_off, out, energy, status, end_time)
