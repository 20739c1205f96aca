"""Range and consumption at the plug of an electric car: the consecutive-cycle procedure.

Procedure (after UN GTR 15 / WLTP's consecutive cycle procedure for pure electric vehicles,
simplified): the car starts with its packs rested at ``soc_full`` and drives the cycle again
and again until the break-off criterion: its speed falls below the tolerance band of the trace
(2 km/h below the lowest trace speed within ±1 s), or the battery cannot deliver the power at
all. The **range** is the distance driven until then. The energy the battery delivered at its
terminals over that distance gives the consumption at the battery (DC); recharging the car
from its final state back to ``soc_full`` through its on-board AC charger (``[energy]
onboard_charger_power_kw`` and ``onboard_charger_efficiency``; the battery's own loss while
charging included, :func:`sim.powertrain.charging.charge`) gives the energy from the grid,
and the **consumption at the plug** = that energy / range (the figure WLTP publishes).

Simplifications, stated: no shortened test procedure (STP) with its constant-speed segments,
no soak between cycles, the packs recharged from their capacity-weighted mean SOC.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.energy.cycle import CycleResult, drive_cycle
from sim.errors import SpecError
from sim.powertrain.battery import battery_parameters
from sim.powertrain.charging import Charger, charge
from sim.spec.energy import Energy
from sim.spec.params import member
from sim.spec.vehicle import DEFAULT_LOAD_CASE, Vehicle, require_vehicle
from sim.units import J_PER_KWH

#: Top of the usable SOC window [-] a range run starts from and recharges to (a battery
#: management system keeps a buffer; the same value as FASTSim's 2022 Model 3, 0.98).
SOC_FULL = 0.98


@dataclass(frozen=True)
class RangeResult:
    """Range and consumption of a batch of N electric cars (arrays (N,)).

    ``range_km``: distance until break-off; ``cycles``: how many cycles that is;
    ``status``: why the run ended (``"fell out of the speed band"``, ``"battery empty"``, or
    ``"ok"`` when ``max_cycles`` ran out first: then the range is a lower bound and NaN is
    reported); ``battery_energy_kwh``: net energy delivered at the battery terminals;
    ``consumption_battery_kwh_per_100km`` (DC); ``recharge_energy_kwh``: from the grid to
    recharge; ``consumption_plug_kwh_per_100km`` (AC, as WLTP); ``end_soc``; ``run``: the
    :class:`~sim.energy.cycle.CycleResult` of the range run (energies, no time histories).
    """

    range_km: np.ndarray
    cycles: np.ndarray
    status: np.ndarray
    battery_energy_kwh: np.ndarray
    consumption_battery_kwh_per_100km: np.ndarray
    recharge_energy_kwh: np.ndarray
    consumption_plug_kwh_per_100km: np.ndarray
    end_soc: np.ndarray
    run: CycleResult


def driving_range(vehicle: Vehicle, cycle="wltc_class3b", *,
                  load_case: str = DEFAULT_LOAD_CASE, soc_full: float = SOC_FULL,
                  max_cycles: int = 40, step_s: float | None = None) -> RangeResult:
    """Range [km] and consumption at the battery and at the plug of every member of
    ``vehicle`` (electric) over consecutive ``cycle`` runs (see the module docstring).

    ``max_cycles``: how many cycles at most (a run still going then reports NaN range and
    status ``"ok"``). ``step_s``: the longitudinal model's step (its default when None).
    """
    require_vehicle(vehicle)
    if vehicle.battery is None:
        raise SpecError(vehicle.name or "<vehicle>", "battery", None,
                        "an electric car with a [battery] section (a combustion car has no "
                        "electric range: see drive_cycle(...).fuel_l_per_100km)")
    kwargs = {} if step_s is None else {"step_s": step_s}
    run = drive_cycle(vehicle, cycle, load_case=load_case, soc=soc_full, repeat=max_cycles,
                      record=False, break_off=True, **kwargs)
    n = vehicle.batch_size
    distance_km = run.distance_km
    ended = run.status != "ok"
    range_km = np.where(ended, distance_km, np.nan)
    battery_kwh = run.energy_j["battery_terminal_j"] / J_PER_KWH
    params = battery_parameters(vehicle)
    end_soc = _mean_soc(params, run.end_battery_state)
    recharge = np.empty(n)
    for i in range(n):
        one = member(vehicle, i) if n > 1 else vehicle
        energy = one.energy if one.energy is not None else Energy()
        efficiency = float(energy.onboard_charger_efficiency)
        charger = Charger(max_power_w=float(energy.onboard_charger_power_kw) * 1e3 * efficiency,
                          max_current_a=1e4, max_voltage_v=1e4, efficiency=efficiency)
        soc_from = float(min(end_soc[i], soc_full - 1e-6))
        result = charge(params[i], soc_from, soc_full, charger=charger, dt_s=10.0,
                        max_time_s=40 * 3600.0)
        recharge[i] = result.charger_energy_kwh if result.reached else np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        return RangeResult(
            range_km=range_km, cycles=distance_km * 1000.0 / run.cycle.distance_m,
            status=run.status, battery_energy_kwh=battery_kwh,
            consumption_battery_kwh_per_100km=battery_kwh / distance_km * 100.0,
            recharge_energy_kwh=recharge,
            consumption_plug_kwh_per_100km=recharge / distance_km * 100.0,
            end_soc=end_soc, run=run)


def _mean_soc(params: np.ndarray, state: np.ndarray) -> np.ndarray:
    """Capacity-weighted mean SOC of the packs (N,) from battery parameters and states."""
    from sim.powertrain.battery import IX_PACK0_STRINGS

    strings = params[:, IX_PACK0_STRINGS:IX_PACK0_STRINGS + 2]
    soc = state[:, 0::2]
    return (strings * soc).sum(axis=1) / strings.sum(axis=1)
