"""Straight-line performance: 0-100 and 80-120 km/h, 100-0 km/h braking, top speed.

No standard is binding here (magazine practice): times are from the instant the speed last was
at or below the start speed until it first reaches the end speed
(:func:`sim.metrics.time_to_speed_s`); braking distance from the instant the speed passes
100 km/h to standstill (:func:`sim.metrics.stopping_distance_m`). Uses what the vehicle file
gives: the motors' torque/power/speed envelopes in ``[drivetrain.motors]``, drag and rolling
resistance, the brakes' balance and maximum torques.
"""

from __future__ import annotations

import dataclasses
import math
import numbers

import numpy as np
from scipy.optimize import brentq

from sim import metrics
from sim.chassis import two_track as tt
from sim.errors import SpecError
from sim.maneuvers.base import ManeuverResult, check_controller, resistance_force_n, run_set
from sim.params import combustion_tables, two_track_parameters
from sim.powertrain.combustion import wheel_force_envelope_n
from sim.powertrain.envelope import wheel_torque_limits_nm
from sim.powertrain.layout import DRIVES_NONE, KIND_COMBUSTION, MACHINE_FIELDS, N_MACHINES
from sim.simulate import Numerics
from sim.spec.vehicle import DEFAULT_LOAD_CASE, Vehicle
from sim.units import GRAVITY_MPS2, KMH_PER_MPS, kmh_to_mps

__all__ = ["STRAIGHT_LINE_UNITS", "envelope_force_n", "straight_line",
           "top_speed_closed_form_kmh"]

_SOURCE = "<argument>"
#: Force demand [N] that asks every machine for more than it can give: the passive drivetrain
#: then delivers each machine's envelope (torque, power and speed limits).
FULL_DRIVE_DEMAND_N = 1.0e6
#: Constant brake demands tried, as fractions of the weight times road friction (plus the
#: full demand, :data:`FULL_DRIVE_DEMAND_N` of braking: every brake at its maximum torque).
BRAKE_FRACTIONS = (0.7, 0.8, 0.9, 0.95, 1.0, 1.05, 1.1, 1.2, 1.3)
#: Constant drive demands tried for a traction-limited launch, as fractions of the weight
#: times road friction (each still capped by the machines' envelopes).
LAUNCH_FRACTIONS = (0.7, 0.8, 0.9, 1.0, 1.1)
#: Acceleration [m/s²] below which the speed counts as settled at the top speed. A drag-limited
#: top speed is approached exponentially (time constant m / (d(drag - envelope)/dv), ~15 s):
#: 0.01 m/s² leaves it about 1.5 km/h short on a combustion car, 0.05 m/s² about 4 km/h.
TOP_SPEED_SETTLED_MPS2 = 0.01
#: A driven wheel whose longitudinal slip exceeds this is spinning (past the tyre's peak).
SPIN_SLIP = 0.15
#: A wheel whose longitudinal slip falls below this while the car still moves is locked.
LOCKED_SLIP = -0.5

#: Units of the metrics of :func:`straight_line`.
STRAIGHT_LINE_UNITS = {
    "time_0_100_kmh_s": "s",
    "time_80_120_kmh_s": "s",
    "launch_peak_slip": "-",
    "launch_wheel_spin": "-",
    "traction_limited_0_100_kmh_s": "s",
    "traction_limited_drive_demand_n": "N",
    "stopping_distance_100_0_kmh_m": "m",
    "mean_deceleration_100_0_kmh_mps2": "m/s²",
    "brake_demand_n": "N",
    "brake_force_n": "N",
    "brake_wheels_locked": "-",
    "full_brake_stopping_distance_m": "m",
    "full_brake_wheels_locked": "-",
    "top_speed_kmh": "km/h",
    "top_speed_plateau_reached": "-",
    "top_speed_closed_form_kmh": "km/h",
    "runs_ok": "-",
}


def envelope_force_n(vehicle: Vehicle, speed_mps, load_case: str = DEFAULT_LOAD_CASE,
                     soc: float = 0.9) -> np.ndarray:
    """Largest tractive force of the passive drivetrain at ``speed_mps`` [N], wheels rolling
    without slip (wheel speed = v / R), per member and speed: (N,) or (N, S).

    Per electric machine ``i min(T_peak, P_peak / (i omega))``, tapering linearly to zero over
    the last 3 % of the machine's top speed (:func:`sim.powertrain.envelope.
    wheel_torque_limit_nm`, the kernel the compiled passive drivetrain applies); the electric
    machines' part scaled by one factor so that the battery's terminal power (drive units with
    their losses, auxiliaries) stays within its available discharge power at ``soc`` (the
    run's initial SOC; wheels rolling without slip). A combustion engine: its full load through
    the real stepped gearbox **in the best gear at each speed**
    (:func:`sim.powertrain.combustion.wheel_force_envelope_n`, the launch rule below first
    gear's launch speed): the right envelope for a closed form, which has no shift strategy,
    no shift time and no shift dip (the time loops, which do, are slower by those). Summed over
    machines and divided by the wheel radius.
    """
    params, _, _ = two_track_parameters(vehicle, load_case)

    def col(name):
        return params[:, tt.PARAMETER_NAMES.index(name)]

    v = np.asarray(speed_mps, dtype=float)
    scalar = v.ndim == 0
    v = np.atleast_1d(v)[None, :]
    radius = col("wheel_radius_m")[:, None]
    omega = np.abs(v) / radius
    total = np.zeros((params.shape[0], v.shape[1]))
    electric_torque = []  # (slot, wheel torque (N, S)) of the electric machines
    for k in range(N_MACHINES):
        field = {name: col(f"machine{k}_{name}")[:, None] for name in MACHINE_FIELDS}
        present = field["drives"] != DRIVES_NONE
        combustion = field["kind"] == KIND_COMBUSTION
        if np.any(present & combustion):
            ep, gp = combustion_tables(vehicle)
            force, _ = wheel_force_envelope_n(ep, gp, omega * radius * KMH_PER_MPS, radius)
            total += np.where(present & combustion, force * radius, 0.0)
        torque = wheel_torque_limits_nm(
            field["peak_torque_nm"], field["peak_power_w"], field["max_speed_radps"],
            field["gear_ratio"], omega)
        if np.any(present & ~combustion):
            electric_torque.append((k, np.where(present & ~combustion, torque, 0.0)))
    electric = sum((t for _, t in electric_torque), np.zeros_like(total))
    if electric_torque and vehicle.battery is not None:
        electric *= _battery_scale(vehicle, params, electric_torque, omega, soc)
    force = (total + electric) / radius
    return force[:, 0] if scalar else force


def _battery_scale(vehicle, params, electric_torque, omega, soc) -> np.ndarray:
    """One factor (N, S) in [0, 1] on every electric machine's wheel torque so that the
    battery's terminal power - drive units with their losses at the bus voltage of that power,
    plus the auxiliaries - stays within its available discharge power at ``soc``: what the
    passive drivetrain's battery saturation does (:mod:`sim.chassis.powertrain`), solved by
    bisection."""
    from sim.params import drive_unit_table
    from sim.powertrain.battery import (
        available_power_w,
        battery_operating_point,
        battery_parameters,
        battery_state,
    )
    from sim.powertrain.electric_machine import LP_GEAR_EFFICIENCY, drive_unit_losses

    n = params.shape[0]
    bp = battery_parameters(vehicle)
    bx = battery_state(soc, 0.0, n)
    available = available_power_w(bp, bx)[0][:, None]
    bus_v = battery_operating_point(bp, bx, available[:, 0]).bus_voltage_v[:, None]
    aux = params[:, tt.PARAMETER_NAMES.index("aux_power_w")][:, None]
    dup = drive_unit_table(vehicle)

    def terminal_w(scale):
        power = np.broadcast_to(aux, scale.shape).copy()
        for k, torque in electric_torque:
            ratio = params[:, tt.PARAMETER_NAMES.index(f"machine{k}_gear_ratio")][:, None]
            eta = dup[:, k, LP_GEAR_EFFICIENCY][:, None]
            shaft = scale * torque / (ratio * eta)
            for i in range(n):
                power[i] += drive_unit_losses(dup[i, k], shaft[i], omega[i] * ratio[i],
                                              bus_v[i]).dc_power_w
        return power

    low, high = np.zeros_like(omega), np.ones_like(omega)
    fits = terminal_w(high) <= available
    for _ in range(40):
        mid = 0.5 * (low + high)
        ok = terminal_w(mid) <= available
        low, high = np.where(ok, mid, low), np.where(ok, high, mid)
    return np.where(fits, 1.0, low)


def top_speed_closed_form_kmh(vehicle: Vehicle, load_case: str = DEFAULT_LOAD_CASE
                              ) -> np.ndarray:
    """Top speed [km/h] per member where the envelope force equals drag + rolling resistance
    on a level road (:func:`envelope_force_n` = :func:`sim.maneuvers.base.resistance_force_n`),
    found by bracketing and Brent's method; wheel slip is neglected."""
    n = vehicle.batch_size
    grid = np.linspace(0.5, 150.0, 3000)
    surplus = envelope_force_n(vehicle, grid, load_case) - resistance_force_n(
        vehicle, grid, load_case).reshape(n, -1)
    out = np.empty(n)
    for i in range(n):
        below = np.flatnonzero(surplus[i] <= 0.0)
        if below.size == 0:
            out[i] = np.nan
            continue
        k = int(below[0])
        if k == 0:
            out[i] = 0.0
            continue

        def f(v, i=i):
            return float(envelope_force_n(vehicle, v, load_case)[i]
                         - np.atleast_1d(resistance_force_n(vehicle, v, load_case))[i])

        out[i] = brentq(f, grid[k - 1], grid[k], xtol=1e-9)
    return out * KMH_PER_MPS


def _check_duration(value, name: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not math.isfinite(value) or not low <= value <= high:
        raise SpecError(_SOURCE, name, value, f"one number in [{low:g}, {high:g}] [s]")
    return float(value)


#: The channels the straight-line metrics read (what ``histories=False`` records).
METRIC_CHANNELS = ("vx_mps", *(f"kappa_{w}" for w in tt._WHEELS),
                   *(f"brake_torque_{w}_nm" for w in tt._WHEELS),
                   *(f"drive_torque_{w}_nm" for w in tt._WHEELS))


def straight_line(vehicle: Vehicle, *, controller: str = "passive",
                  load_case: str = DEFAULT_LOAD_CASE, road_friction=1.0,
                  acceleration_duration_s: float = 90.0, braking_duration_s: float = 8.0,
                  tyre_model: str = "mf61", linear_tyre_stiffness=None,
                  numerics: Numerics | None = None, histories: bool = True) -> ManeuverResult:
    """Straight-line performance of every member of ``vehicle``: two :func:`sim.simulate` calls.

    **Acceleration** (run set ``"acceleration"``; member i's rows
    ``result_rows["acceleration"][i]`` are the standing and rolling full-demand runs, then the
    constant-demand launches): full force demand (:data:`FULL_DRIVE_DEMAND_N`, so each machine
    delivers its envelope through the passive drivetrain: fixed front/rear split, open
    differential, **no traction control**) from standstill, and from a steady 80 km/h, for
    ``acceleration_duration_s`` (90 s). 0-100 km/h from the standing run; 80-120 km/h from the
    rolling run; top speed from the standing run (:func:`sim.metrics.top_speed`: where the
    acceleration falls to :data:`TOP_SPEED_SETTLED_MPS2` = 0.01 m/s²;
    ``top_speed_plateau_reached`` False if it never does), cross-checked against
    :func:`top_speed_closed_form_kmh` (which neglects tyre slip: the simulated top speed of a
    speed-limited machine is lower by the driven wheels' slip, ~1 % on the combustion coupe,
    0.05 % on the EVs). Whether the wheels can take the envelope is reported, not corrected:
    ``launch_peak_slip`` is the largest longitudinal slip of any wheel on the way to 100 km/h
    and ``launch_wheel_spin`` is True where it exceeds :data:`SPIN_SLIP` = 0.15 (past the tyres'
    force peak: the passive drivetrain lets the wheels spin). Beside it, standing starts at
    constant demands of :data:`LAUNCH_FRACTIONS` x m g x road friction (same call) give
    ``traction_limited_0_100_kmh_s``: the quickest of those whose wheels stay below
    :data:`SPIN_SLIP` (a driver feeding in exactly the grip, a stand-in for launch or traction
    control), and its ``traction_limited_drive_demand_n``.

    **Braking** (run set ``"braking"``): from 100 km/h, constant brake demands of
    :data:`BRAKE_FRACTIONS` x m g x road friction, plus the full demand (every brake at its
    maximum torque), one row each. The passive model has **no ABS**: a wheel locks when its
    brake exceeds what its tyre can take. ``stopping_distance_100_0_kmh_m`` is the shortest stop
    among the demands whose wheels never lock (``brake_demand_n`` the demand, ``brake_force_n``
    what the friction brakes and the machines' regeneration delivered together: regeneration
    first, within ``[energy]``'s limits; the fixed balance and each brake's maximum torque cap
    the friction part;
    a driver threshold-braking at a constant pedal, a stand-in for ABS; demands 5 % of the
    weight apart, so the distance is within about 5 % of the best constant pedal), or the
    shortest of all runs when every demand locks (``brake_wheels_locked`` then True). The
    full-demand stop is reported beside it. Mean deceleration = v0² / (2 s).

    ``tyre_model``, ``linear_tyre_stiffness`` as in :func:`sim.simulate` (linear tyres with a
    large slip stiffness deliver the envelope without slip: the closed-form check).
    ``histories=False`` keeps only the channels the metrics read (:data:`METRIC_CHANNELS`):
    the same metrics, bit for bit, for less memory.
    ``controller`` is passed to :func:`sim.simulate` (``"passive"``: module off). A run that
    spins out, goes non-finite or never reaches a target speed gives NaN for that metric
    (``runs_ok`` False), never an exception.
    """
    controller = check_controller(controller)
    acc_s = _check_duration(acceleration_duration_s, "acceleration_duration_s", 5.0, 600.0)
    brake_s = _check_duration(braking_duration_s, "braking_duration_s", 2.0, 60.0)
    numerics = numerics or Numerics()
    n = vehicle.batch_size
    tyres = dict(tyre_model=tyre_model, linear_tyre_stiffness=linear_tyre_stiffness)
    common = dict(controller=controller, load_case=load_case, road_friction=road_friction,
                  numerics=dataclasses.replace(numerics, stop_speed_mps=0.0), **tyres)
    friction = np.broadcast_to(np.asarray(road_friction, dtype=float), (n,))

    # acceleration: standing and rolling start at full demand, standing starts at constant
    # demands (traction-limited launches), one call
    _, _, mp = two_track_parameters(vehicle, load_case)
    weight = mp.mass_kg * GRAVITY_MPS2
    launches = np.column_stack([f * weight * friction for f in LAUNCH_FRACTIONS])
    acc_demand = np.column_stack([np.full((n, 2), FULL_DRIVE_DEMAND_N), launches])
    acc_tries = acc_demand.shape[1]
    speeds = np.tile(np.r_[0.0, 80.0, np.zeros(len(LAUNCH_FRACTIONS))], n)
    record = None if histories else METRIC_CHANNELS
    acc, acc_rows = run_set(vehicle, acc_tries, speed_kmh=speeds, duration_s=acc_s,
                            force_demand_n=acc_demand.reshape(-1), record=record, **common)
    standing, rolling = acc_rows[:, 0], acc_rows[:, 1]
    values = {k: np.full(n, np.nan) for k in STRAIGHT_LINE_UNITS}
    ok = np.ones(n, dtype=bool)
    acc_ok = np.isin(acc.status, ("ok", "stopped"))
    t = acc.time_s
    vx = acc["vx_mps"]
    for i in range(n):
        s, r = standing[i], rolling[i]
        if not (acc_ok[s] and acc_ok[r]):
            ok[i] = False
            continue
        if np.nanmax(vx[s]) >= kmh_to_mps(100.0):
            values["time_0_100_kmh_s"][i] = metrics.time_to_speed_s(t, vx[s], to_kmh=100.0)[0]
            k100 = int(np.argmax(vx[s] >= kmh_to_mps(100.0)))
            slip = np.max([acc[f"kappa_{w}"][s, :k100 + 1].max() for w in tt._WHEELS])
            values["launch_peak_slip"][i] = slip
        else:
            ok[i] = False
        if np.nanmax(vx[r]) >= kmh_to_mps(120.0):
            values["time_80_120_kmh_s"][i] = metrics.time_to_speed_s(
                t, vx[r], from_kmh=80.0, to_kmh=120.0)[0]
        else:
            ok[i] = False
        top = metrics.top_speed(t, vx[s], acceleration_threshold_mps2=TOP_SPEED_SETTLED_MPS2)
        values["top_speed_kmh"][i] = top.top_speed_kmh[0]
        values["top_speed_plateau_reached"][i] = top.plateau_reached[0]
        # traction-limited launches: the quickest constant demand whose wheels do not spin
        times, slips = [], []
        for row in acc_rows[i, 2:]:
            if acc_ok[row] and np.nanmax(vx[row]) >= kmh_to_mps(100.0):
                k100 = int(np.argmax(vx[row] >= kmh_to_mps(100.0)))
                times.append(metrics.time_to_speed_s(t, vx[row], to_kmh=100.0)[0])
                slips.append(max(acc[f"kappa_{w}"][row, :k100 + 1].max() for w in tt._WHEELS))
            else:
                times.append(np.inf)
                slips.append(np.inf)
        times, slips = np.array(times), np.array(slips)
        grip = np.isfinite(times) & (slips <= SPIN_SLIP)
        pool = grip if grip.any() else np.isfinite(times)
        if pool.any():
            best = int(np.flatnonzero(pool)[np.argmin(times[pool])])
            values["traction_limited_0_100_kmh_s"][i] = times[best]
            values["traction_limited_drive_demand_n"][i] = acc_demand[i, 2 + best]
    values["launch_wheel_spin"] = np.where(np.isnan(values["launch_peak_slip"]), np.nan,
                                           values["launch_peak_slip"] > SPIN_SLIP)
    values["top_speed_closed_form_kmh"] = top_speed_closed_form_kmh(vehicle, load_case)

    # braking: constant demands + full demand, one call
    tries = len(BRAKE_FRACTIONS) + 1
    demand = np.column_stack([*(f * weight * friction for f in BRAKE_FRACTIONS),
                              np.full(n, FULL_DRIVE_DEMAND_N)])
    brk, brk_rows = run_set(vehicle, tries, speed_kmh=100.0, duration_s=brake_s,
                            force_demand_n=-demand.reshape(-1), controller=controller,
                            load_case=load_case, road_friction=road_friction,
                            numerics=numerics, record=record, **tyres)
    brk_ok = np.isin(brk.status, ("ok", "stopped"))
    moving = brk["vx_mps"] > 1.0
    min_slip = np.min([np.where(moving, brk[f"kappa_{w}"], 0.0).min(axis=1)
                       for w in tt._WHEELS], axis=0)
    locked = min_slip < LOCKED_SLIP
    # what the brakes deliver (the balance and each brake's maximum torque cap the demand):
    # friction brake torques plus the machines' regenerative (negative drive) torques, / R,
    # averaged while the car moves faster than 1 m/s
    total_torque = sum(brk[f"brake_torque_{w}_nm"] - np.minimum(brk[f"drive_torque_{w}_nm"], 0.0)
                       for w in tt._WHEELS)
    radius = brk.parameters["wheel_radius_m"]
    brake_force = np.where(moving, total_torque, 0.0).sum(axis=1) / np.maximum(
        moving.sum(axis=1), 1) / radius
    distance = np.full(brk.batch_size, np.nan)
    for j in np.flatnonzero(brk_ok):
        try:
            # the run ends (status "stopped") below numerics.stop_speed_mps, between two
            # output samples: the last recorded one may be slightly above it
            distance[j] = metrics.stopping_distance_m(
                brk.time_s, brk["vx_mps"][j], from_kmh=100.0,
                stop_speed_mps=numerics.stop_speed_mps + 0.5)[0]
        except SpecError:  # did not stop within braking_duration_s
            distance[j] = np.nan
    for i in range(n):
        rows = brk_rows[i]
        d, lk = distance[rows], locked[rows]
        values["full_brake_stopping_distance_m"][i] = d[-1]
        values["full_brake_wheels_locked"][i] = lk[-1]
        clean = np.isfinite(d) & ~lk
        pool = clean if clean.any() else np.isfinite(d)
        if not pool.any():
            ok[i] = False
            continue
        best = int(np.flatnonzero(pool)[np.argmin(d[pool])])
        values["stopping_distance_100_0_kmh_m"][i] = d[best]
        values["brake_demand_n"][i] = demand[i, best]
        values["brake_force_n"][i] = brake_force[rows[best]]
        values["brake_wheels_locked"][i] = lk[best]
        values["mean_deceleration_100_0_kmh_mps2"][i] = kmh_to_mps(100.0) ** 2 / (2.0 * d[best])
    values["runs_ok"] = ok
    for key in ("launch_wheel_spin", "brake_wheels_locked", "full_brake_wheels_locked",
                "top_speed_plateau_reached"):
        arr = values[key]
        values[key] = arr.astype(bool) if np.all(np.isfinite(arr.astype(float))) else arr
    labels = {"vehicle": vehicle.name, "controller": controller, "load_case": load_case,
              "drive_demand_n": FULL_DRIVE_DEMAND_N,
              "brake_fractions_of_weight": list(BRAKE_FRACTIONS) + ["full"],
              "definition": "magazine practice (no binding standard)"}
    return ManeuverResult("straight_line", {"acceleration": acc, "braking": brk}, values,
                          dict(STRAIGHT_LINE_UNITS), labels,
                          result_rows={"acceleration": acc_rows, "braking": brk_rows})
