"""DC fast charging from one state of charge to another, with the battery's own cell kernels.

At every instant the charging bus voltage is the lowest of the ceilings that
:func:`sim.powertrain.battery.charge_voltage_ceiling_v` computes: the cells' maximum voltage
(Ns x V_max: **constant voltage**), each pack's SOC-dependent cell charge current limit
(**constant current**, stepping down with SOC), and the charger's current, voltage and power
limits. The power into the battery terminals follows from that voltage, and the state (SOC
and RC voltage of each pack) is integrated with the same derivatives as in driving
(:func:`sim.powertrain.battery.battery_derivatives`) by classical fixed-step RK4; the run
starts rested (RC voltages 0) and stops when the capacity-weighted mean SOC reaches the
target (the crossing time is interpolated linearly within the last step).

Power from the grid = terminal power / ``Charger.efficiency`` (a stated constant: DC charger
AC-to-DC conversion plus cable; 0.95 is an invented typical value for 350 kW-class chargers).
Losses reported: inside the battery (cell I²R and RC heat, :func:`pack_heat_w`) and in the
charger. Signs in results: powers and currents **> 0 into the battery** (charging).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

from sim.errors import SpecError
from sim.powertrain.battery import (
    BATTERY_STATE_COUNT,
    IX_CELLS_IN_SERIES,
    IX_PACK0_STRINGS,
    IX_PACK1_STRINGS,
    LIMIT_NAMES,
    MAX_PACKS,
    _check_params,
    battery_derivatives,
    battery_parameters,
    battery_state,
    cell_current_a,
    charge_power_at_voltage_w,
    charge_voltage_ceiling_v,
    pack_heat_w,
)

J_PER_KWH = 3.6e6


@dataclass(frozen=True)
class Charger:
    """A DC charger: largest power [W], current [A] and voltage [V] at the car's terminals,
    and its efficiency (grid to terminals, 0 < efficiency <= 1). Defaults (invented): a
    350 kW, 500 A, 920 V CCS charger at 95 %."""

    max_power_w: float = 350e3
    max_current_a: float = 500.0
    max_voltage_v: float = 920.0
    efficiency: float = 0.95

    def __post_init__(self):
        for name in ("max_power_w", "max_current_a", "max_voltage_v"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise SpecError("<argument>", f"charger.{name}", value, "a finite number > 0")
        e = self.efficiency
        if not (isinstance(e, int | float) and 0.0 < e <= 1.0):
            raise SpecError("<argument>", "charger.efficiency", e, "a number in (0, 1]")


@dataclass(frozen=True)
class ChargingResult:
    """A charge from ``soc_from`` to ``soc_to`` (time series (T,), per pack (T, 2)).

    ``time_s``; ``soc`` capacity-weighted mean SOC; ``pack_soc`` (T, 2); ``terminal_power_w``
    into the battery terminals; ``charger_power_w`` from the grid; ``bus_voltage_v``;
    ``bus_current_a`` (> 0 into the battery); ``cell_current_a`` (T, 2) (> 0 charging);
    ``cell_voltage_v`` cell terminal voltage; ``battery_heat_w``; ``limit`` code of the
    binding limit per sample (names in ``limit_names``). Scalars: ``duration_s`` (time to
    reach ``soc_to``), ``reached``, energies [kWh] (trapezoid rule over the samples):
    ``terminal_energy_kwh``, ``charger_energy_kwh``, ``battery_loss_kwh``,
    ``charger_loss_kwh`` (up to the crossing), and ``charger`` used."""

    time_s: np.ndarray
    soc: np.ndarray
    pack_soc: np.ndarray
    terminal_power_w: np.ndarray
    charger_power_w: np.ndarray
    bus_voltage_v: np.ndarray
    bus_current_a: np.ndarray
    cell_current_a: np.ndarray
    cell_voltage_v: np.ndarray
    battery_heat_w: np.ndarray
    limit: np.ndarray
    duration_s: float
    reached: bool
    terminal_energy_kwh: float
    charger_energy_kwh: float
    battery_loss_kwh: float
    charger_loss_kwh: float
    charger: Charger
    limit_names: tuple[str, ...] = LIMIT_NAMES


@numba.njit(cache=True, error_model="numpy")
def _mean_soc(p, x):
    n0, n1 = p[IX_PACK0_STRINGS], p[IX_PACK1_STRINGS]
    return (n0 * x[0] + n1 * x[2]) / (n0 + n1)


@numba.njit(cache=True, error_model="numpy")
def _charging_power_w(p, x, i_max, v_max, p_max):
    """Terminal power drawn from the battery while charging (<= 0) [W], bus voltage, code."""
    v, code = charge_voltage_ceiling_v(p, x, i_max, v_max, p_max)
    return -charge_power_at_voltage_w(p, x, v), v, code


@numba.njit(cache=True, error_model="numpy")
def _charge_loop(p, x, soc_to, dt, i_max, v_max, p_max, t, soc, psoc, power, volt, icell,
                 heat, code):
    """RK4 from state ``x`` (changed in place) until the mean SOC reaches ``soc_to`` or the
    buffers are full or the charging power vanishes; returns the number of samples."""
    k1 = np.empty(BATTERY_STATE_COUNT)
    k2 = np.empty(BATTERY_STATE_COUNT)
    k3 = np.empty(BATTERY_STATE_COUNT)
    k4 = np.empty(BATTERY_STATE_COUNT)
    xs = np.empty(BATTERY_STATE_COUNT)
    n_max = t.shape[0]
    n = 0
    while True:
        pw, v, c = _charging_power_w(p, x, i_max, v_max, p_max)
        t[n] = n * dt
        soc[n] = _mean_soc(p, x)
        power[n] = -pw
        volt[n] = v
        code[n] = c
        h = 0.0
        for k in range(MAX_PACKS):
            psoc[n, k] = x[2 * k]
            icell[n, k] = -cell_current_a(p, x, k, v)
            h += pack_heat_w(p, x, k, v)
        heat[n] = h
        if soc[n] >= soc_to or n == n_max - 1 or -pw < 1e-3:
            return n + 1
        battery_derivatives(p, x, pw, k1)
        for j in range(BATTERY_STATE_COUNT):
            xs[j] = x[j] + 0.5 * dt * k1[j]
        battery_derivatives(p, xs, _charging_power_w(p, xs, i_max, v_max, p_max)[0], k2)
        for j in range(BATTERY_STATE_COUNT):
            xs[j] = x[j] + 0.5 * dt * k2[j]
        battery_derivatives(p, xs, _charging_power_w(p, xs, i_max, v_max, p_max)[0], k3)
        for j in range(BATTERY_STATE_COUNT):
            xs[j] = x[j] + dt * k3[j]
        battery_derivatives(p, xs, _charging_power_w(p, xs, i_max, v_max, p_max)[0], k4)
        for j in range(BATTERY_STATE_COUNT):
            x[j] += dt / 6.0 * (k1[j] + 2.0 * k2[j] + 2.0 * k3[j] + k4[j])
        n += 1


def _trapezoid(y: np.ndarray, t: np.ndarray) -> float:
    return float(np.sum(0.5 * (y[1:] + y[:-1]) * np.diff(t)))


def charge(vehicle_or_params, soc_from: float = 0.1, soc_to: float = 0.8, *,
           charger: Charger | None = None, dt_s: float = 1.0,
           max_time_s: float = 6 * 3600.0) -> ChargingResult:
    """Charge a battery from ``soc_from`` to ``soc_to`` (every pack starts rested at
    ``soc_from``) at ``charger`` (default :class:`Charger`), with RK4 steps of ``dt_s`` [s].

    ``vehicle_or_params``: a single vehicle with a ``[battery]`` section, or one battery
    parameter vector (:data:`~sim.powertrain.battery.BATTERY_PARAMETER_NAMES`). The explicit
    regeneration cap ``charge_power_cap_w`` does not apply to DC charging.
    ``duration_s`` is the time to ``soc_to`` (``reached`` False if ``max_time_s`` passed or
    the power vanished first).
    """
    charger = Charger() if charger is None else charger
    if hasattr(vehicle_or_params, "battery"):
        if vehicle_or_params.batch_size != 1:
            raise SpecError("<argument>", "vehicle", f"batch of {vehicle_or_params.batch_size}",
                            "a single vehicle (use sim.member to pick one)")
        params = battery_parameters(vehicle_or_params)
    else:
        params = vehicle_or_params
    p = _check_params(params)
    if p.shape[0] != 1:
        raise SpecError("<argument>", "params", p.shape, "one battery parameter vector")
    p = p[0].copy()
    for name, value in (("soc_from", soc_from), ("soc_to", soc_to)):
        if not (isinstance(value, int | float) and 0.0 <= value <= 1.0):
            raise SpecError("<argument>", name, value, "a number in [0, 1]")
    if not soc_from < soc_to:
        raise SpecError("<argument>", "soc_to", soc_to, f"greater than soc_from = {soc_from}")
    if not (isinstance(dt_s, int | float) and 0.0 < dt_s <= 60.0):
        raise SpecError("<argument>", "dt_s", dt_s, "a step in (0, 60] s")
    if not (isinstance(max_time_s, int | float) and dt_s < max_time_s <= 48 * 3600.0):
        raise SpecError("<argument>", "max_time_s", max_time_s, "a time in (dt_s, 48 h] [s]")
    n_max = int(math.ceil(max_time_s / dt_s)) + 1
    x = battery_state(soc_from)[0]
    t, soc, power, volt, heat = (np.empty(n_max) for _ in range(5))
    psoc, icell = np.empty((n_max, MAX_PACKS)), np.empty((n_max, MAX_PACKS))
    code = np.empty(n_max, dtype=np.int64)
    n = _charge_loop(p, x, float(soc_to), float(dt_s), charger.max_current_a,
                     charger.max_voltage_v, charger.max_power_w, t, soc, psoc, power, volt,
                     icell, heat, code)
    t, soc, psoc, power, volt, icell, heat, code = (
        a[:n].copy() for a in (t, soc, psoc, power, volt, icell, heat, code))
    reached = bool(soc[-1] >= soc_to)
    duration = float(t[-1])
    tw = t
    if reached and n > 1:  # interpolate the crossing within the last step
        f = (soc_to - soc[-2]) / (soc[-1] - soc[-2])
        duration = float(t[-2] + f * (t[-1] - t[-2]))
        tw = t.copy()
        tw[-1] = duration  # energies up to the crossing (last step shortened)
    charger_power = power / charger.efficiency
    e_term = _trapezoid(power, tw) / J_PER_KWH
    e_heat = _trapezoid(heat, tw) / J_PER_KWH
    e_grid = e_term / charger.efficiency
    return ChargingResult(
        time_s=t, soc=soc, pack_soc=psoc, terminal_power_w=power, charger_power_w=charger_power,
        bus_voltage_v=volt, bus_current_a=np.where(volt > 0, power / volt, 0.0),
        cell_current_a=icell, cell_voltage_v=volt / p[IX_CELLS_IN_SERIES], battery_heat_w=heat,
        limit=code, duration_s=duration, reached=reached, terminal_energy_kwh=e_term,
        charger_energy_kwh=e_grid, battery_loss_kwh=e_heat, charger_loss_kwh=e_grid - e_term,
        charger=charger)
