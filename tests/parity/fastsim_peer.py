"""FASTSim 3.1 as a side-by-side peer for the energy model (a helper module, not a test).

NREL FASTSim (``fastsim`` on PyPI, Apache-2.0; a ``dev`` extra of this project, never a core
dependency) ships a 2022 Tesla Model 3 RWD (resource ``"2022 Tesla Model 3 RWD thrml.yaml"``,
the only Model 3 file in 3.1.0) and the EPA UDDS cycle (resource ``"udds.csv"``). This module

* runs that vehicle on that cycle (:func:`run_udds`) and returns the battery-terminal
  consumption including auxiliaries, the speed trace FASTSim actually achieved, every input a
  longitudinal model needs to reproduce it (:class:`FastSimInputs`, read from FASTSim's own
  objects, never typed here) and the per-step powers FASTSim reports;
* times a UDDS run (:func:`median_udds_wall_time_s`);
* recomputes FASTSim's per-step energy chain in plain numpy from those inputs
  (:func:`reference_energy_chain`), so that a test can show how close a transparent
  re-implementation of the published formulas gets (REFERENCES.md section 7).

FASTSim 3.1's chain per step (``fastsim-core/src/vehicle/vehicle_model.rs``,
``.../powertrain/electric_machine.rs``, ``transmission.rs``, ``reversible_energy_storage.rs``),
with v, v_prev the achieved speeds at the end and start of a step of length dt:

=========================  ==============================================================
tractive power             ``P_accel + P_drag + P_rr + P_ascent + P_wheel_inertia`` with
                           ``P_accel = m (v² - v_prev²) / (2 dt)``,
                           ``P_drag = 1/2 rho Cd A v_mean³`` (v_mean = (v + v_prev)/2),
                           ``P_rr = m g Crr v_mean`` (flat road),
                           ``P_wheel_inertia = 1/2 I_w n_w ((v/r)² - (v_prev/r)²) / dt``
transmission               ``P_in = P_out / eta_t`` when driving, ``P_out * eta_t`` in regen
electric machine           lumped motor + inverter; ``eta(P_out / P_rated)`` from a table with
                           **step ("lower") interpolation**: the efficiency of the table point
                           at or below the power fraction. In regen FASTSim clamps the
                           (negative) power fraction to 0, so every regenerating step uses
                           the table's first value (0.84 for this car) - visible in its source
                           (``pwr_uncorrected.max(0.)``) and in its per-step history.
                           ``P_elec = P_mech / eta`` driving, ``P_mech * eta`` regenerating.
friction brakes            whatever regen cannot absorb (``pwr_mech_regen_max``); zero on UDDS
                           for this car (asserted by the test).
battery terminals          ``P_elec + P_aux`` (aux 250 W from the second step on).
chemical (inside cells)    ``P_term / eta_b`` discharging, ``P_term * eta_b`` charging.
=========================  ==============================================================

Two constants of the step are not vehicle data and are read from FASTSim's own per-step
powers: its rolling resistance uses g = 9.8 m/s² (not 9.80665), and its drag uses an air density
of 1.17285 kg/m³ although ``veh.history.air_density_kilograms_per_cubic_meter`` reports 1.2
(``SimParams.f2_const_air_density``); with 1.2 and 9.80665 the same chain gives +0.5 %.

Consumption "at the battery terminals" is FASTSim's ``res.energy_out_electrical`` (cumulative,
net of regeneration, auxiliaries included) over the distance FASTSim drove.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field

import numpy as np

VEHICLE_RESOURCE = "2022 Tesla Model 3 RWD thrml.yaml"
CYCLE_RESOURCE = "udds.csv"
J_PER_WH = 3600.0


@dataclass(frozen=True)
class FastSimInputs:
    """Every input our longitudinal model needs, each read from FASTSim's objects.

    The FASTSim name of each quantity (dotted path in ``Vehicle.to_dict()``, or where else it
    comes from) is given beside it.
    """

    mass_kg: float                      # veh.mass_kilograms (test mass, cargo included)
    drag_coefficient: float             # veh.chassis.drag_coef
    frontal_area_m2: float              # veh.chassis.frontal_area_square_meters
    rolling_resistance_coefficient: float  # veh.chassis.wheel_rr_coef
    wheel_radius_m: float               # veh.chassis.wheel_radius_meters
    wheel_inertia_kgm2: float           # veh.chassis.wheel_inertia_kilogram_square_meters
    wheel_count: int                    # veh.chassis.num_wheels
    motor_power_fraction: np.ndarray    # veh.pt_type.BEV.em.eff_interp_achieved.data.grid[0]
    motor_efficiency: np.ndarray        # veh.pt_type.BEV.em.eff_interp_achieved.data.values
    motor_interpolation: str            # ...eff_interp_achieved.strategy ("Step: Lower")
    motor_rated_power_w: float          # veh.pt_type.BEV.em.pwr_out_max_watts
    transmission_efficiency: float      # veh.pt_type.BEV.transmission.eff_interp (constant)
    battery_efficiency_one_way: float   # veh.pt_type.BEV.res.eff_interp.Constant
    battery_capacity_j: float           # veh.pt_type.BEV.res.energy_capacity_joules
    battery_min_soc: float              # veh.pt_type.BEV.res.min_soc
    battery_max_soc: float              # veh.pt_type.BEV.res.max_soc
    battery_max_power_w: float          # veh.pt_type.BEV.res.pwr_out_max_watts
    aux_power_w: float                  # veh.pwr_aux_base_watts
    air_density_kgpm3: float            # effective density of FASTSim's drag power:
                                        # veh.history.pwr_drag_watts / (1/2 Cd A v_mean^3)
    gravity_mps2: float                 # effective g of FASTSim's rolling-resistance power:
                                        # veh.history.pwr_rr_watts / (m Crr v_mean)
    reported_air_density_kgpm3: float   # veh.history.air_density_kilograms_per_cubic_meter

    @property
    def usable_energy_j(self) -> float:
        """Capacity times the SOC window ``(max_soc - min_soc)`` [J]."""
        return self.battery_capacity_j * (self.battery_max_soc - self.battery_min_soc)

    @property
    def drag_area_m2(self) -> float:
        """Cd times frontal area [m²]."""
        return self.drag_coefficient * self.frontal_area_m2


@dataclass(frozen=True)
class FastSimRun:
    """One FASTSim UDDS run: consumption, the achieved trace, its inputs and step powers."""

    battery_terminal_wh_per_km: float   # res energy_out_electrical / distance, aux included
    chemical_wh_per_km: float           # res energy_out_chemical / distance
    distance_m: float                   # veh.history.dist_meters[-1]
    time_s: np.ndarray                  # cyc.time_seconds (T,)
    speed_mps: np.ndarray               # veh.history.speed_ach_meters_per_second (T,)
    cycle_speed_mps: np.ndarray         # cyc.speed_meters_per_second (T,)
    inputs: FastSimInputs
    history: dict[str, np.ndarray] = field(repr=False)  # selected per-step channels [W], [-]


def _fastsim():
    import fastsim  # dev extra: pip install fastsim==3.1.0

    return fastsim


def _vehicle_and_cycle():
    fsim = _fastsim()
    return fsim.Vehicle.from_resource(VEHICLE_RESOURCE), fsim.Cycle.from_resource(CYCLE_RESOURCE)


def _single(values: np.ndarray, what: str) -> float:
    unique = np.unique(values)
    if unique.size != 1:
        raise AssertionError(f"FASTSim used more than one {what}: {unique}")
    return float(unique[0])


def _array(value) -> np.ndarray:
    """An array from ``to_dict()`` (msgpack form ``{"v", "dim", "data"}`` or a plain list)."""
    if isinstance(value, dict):
        value = value["data"]
    return np.asarray(value, dtype=np.float64)


def read_inputs(vehicle_dict: dict, history: dict[str, np.ndarray]) -> FastSimInputs:
    """Collect the inputs from ``Vehicle.to_dict()`` and, for the two constants FASTSim does
    not store as vehicle data (the air density and g its step actually uses), from the run's
    per-step drag and rolling-resistance powers."""
    bev = vehicle_dict["pt_type"]["BEV"]
    chassis = vehicle_dict["chassis"]
    em = bev["em"]["eff_interp_achieved"]
    res = bev["res"]
    res_eff = res["eff_interp"]
    if set(res_eff) != {"Constant"}:
        raise AssertionError(f"battery efficiency is not a constant: {res_eff}")
    trans_eff = bev["transmission"]["eff_interp"]
    if not isinstance(trans_eff, float):
        raise AssertionError(f"transmission efficiency is not a constant: {trans_eff}")
    speed = history["speed_mps"]
    v_mean = np.concatenate(([0.0], 0.5 * (speed[1:] + speed[:-1])))
    strategy = em["strategy"]
    if strategy != {"Step": "Lower"}:
        raise AssertionError(f"reference implements only Step/Lower interpolation: {strategy}")
    return FastSimInputs(
        mass_kg=float(vehicle_dict["mass_kilograms"]),
        drag_coefficient=float(chassis["drag_coef"]),
        frontal_area_m2=float(chassis["frontal_area_square_meters"]),
        rolling_resistance_coefficient=float(chassis["wheel_rr_coef"]),
        wheel_radius_m=float(chassis["wheel_radius_meters"]),
        wheel_inertia_kgm2=float(chassis["wheel_inertia_kilogram_square_meters"]),
        wheel_count=int(chassis["num_wheels"]),
        motor_power_fraction=_array(em["data"]["grid"][0]),
        motor_efficiency=_array(em["data"]["values"]),
        motor_interpolation="Step: Lower",
        motor_rated_power_w=float(bev["em"]["pwr_out_max_watts"]),
        transmission_efficiency=float(trans_eff),
        battery_efficiency_one_way=float(res_eff["Constant"]),
        battery_capacity_j=float(res["energy_capacity_joules"]),
        battery_min_soc=float(res["min_soc"]),
        battery_max_soc=float(res["max_soc"]),
        battery_max_power_w=float(res["pwr_out_max_watts"]),
        aux_power_w=float(vehicle_dict["pwr_aux_base_watts"]),
        air_density_kgpm3=_effective(history["drag_w"], 0.5 * float(chassis["drag_coef"])
                                     * float(chassis["frontal_area_square_meters"]) * v_mean ** 3,
                                     "air density in the drag power"),
        gravity_mps2=_effective(history["rolling_w"], float(vehicle_dict["mass_kilograms"])
                                * float(chassis["wheel_rr_coef"]) * v_mean,
                                "gravity in the rolling-resistance power"),
        # Entry 0 is the initial state (1.172 at the cycle's 180 m), not a step.
        reported_air_density_kgpm3=_single(history["air_density_kgpm3"][1:], "air density"),
    )


def _effective(power_w: np.ndarray, per_unit_w: np.ndarray, what: str) -> float:
    """The constant k with power = k * per_unit on every moving step (checked to 1e-9)."""
    moving = per_unit_w[1:] > 1e-3
    ratio = power_w[1:][moving] / per_unit_w[1:][moving]
    k = float(np.median(ratio))
    if np.max(np.abs(ratio / k - 1.0)) > 1e-9:
        raise AssertionError(f"FASTSim's {what} is not one constant: {np.unique(ratio)}")
    return k


_HISTORY = {
    "air_density_kgpm3": "veh.history.air_density_kilograms_per_cubic_meter",
    "tractive_w": "veh.history.pwr_tractive_watts",
    "accel_w": "veh.history.pwr_accel_watts",
    "drag_w": "veh.history.pwr_drag_watts",
    "rolling_w": "veh.history.pwr_rr_watts",
    "ascent_w": "veh.history.pwr_ascent_watts",
    "wheel_inertia_w": "veh.history.pwr_whl_inertia_watts",
    "friction_brake_w": "veh.history.pwr_brake_watts",
    "aux_w": "veh.history.pwr_aux_watts",
    "distance_m": "veh.history.dist_meters",
    "speed_mps": "veh.history.speed_ach_meters_per_second",
    "transmission_in_w": "veh.pt_type.BEV.transmission.history.pwr_in_watts",
    "motor_efficiency": "veh.pt_type.BEV.em.history.eff",
    "motor_electrical_w": "veh.pt_type.BEV.em.history.pwr_elec_prop_in_watts",
    "terminal_w": "veh.pt_type.BEV.res.history.pwr_out_electrical_watts",
    "chemical_w": "veh.pt_type.BEV.res.history.pwr_out_chemical_watts",
    "terminal_j": "veh.pt_type.BEV.res.history.energy_out_electrical_joules",
    "chemical_j": "veh.pt_type.BEV.res.history.energy_out_chemical_joules",
    "soc": "veh.pt_type.BEV.res.history.soc",
    "time_s": "cyc.time_seconds",
    "cycle_speed_mps": "cyc.speed_meters_per_second",
}


def run_udds() -> FastSimRun:
    """Run FASTSim 3.1's Model 3 RWD over its UDDS and collect what the comparison needs."""
    fsim = _fastsim()
    vehicle, cycle = _vehicle_and_cycle()
    sim_drive = fsim.SimDrive(vehicle, cycle)
    sim_drive.run()
    frame = sim_drive.to_dataframe()
    history = {key: frame[column].to_numpy(dtype=np.float64) for key, column in
               _HISTORY.items()}
    inputs = read_inputs(vehicle.to_dict(), history)
    distance_m = float(history["distance_m"][-1])
    return FastSimRun(
        battery_terminal_wh_per_km=float(history["terminal_j"][-1]) / J_PER_WH
        / (distance_m / 1000.0),
        chemical_wh_per_km=float(history["chemical_j"][-1]) / J_PER_WH / (distance_m / 1000.0),
        distance_m=distance_m,
        time_s=history["time_s"],
        speed_mps=history["speed_mps"],
        cycle_speed_mps=history["cycle_speed_mps"],
        inputs=inputs,
        history=history,
    )


def median_udds_wall_time_s(repeats: int = 7, *, record_history: bool = True) -> float:
    """Median wall time [s] of ``SimDrive(...).run()`` on UDDS.

    Vehicle and cycle are loaded once; building the SimDrive is inside the timed part, reading
    results is not. ``record_history=False`` sets FASTSim's ``save_interval`` to None (no
    per-step history: about 30 % faster here). A fair comparison records what the other model
    records.
    """
    fsim = _fastsim()
    vehicle, cycle = _vehicle_and_cycle()
    if not record_history:
        vehicle = vehicle.copy()
        vehicle.set_save_interval(None)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fsim.SimDrive(vehicle, cycle).run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# ---- plain-numpy reference of FASTSim's chain -----------------------------------------------
def step_lower_efficiency(inputs: FastSimInputs, power_fraction: np.ndarray) -> np.ndarray:
    """Efficiency of the table point at or below each power fraction (FASTSim "Step: Lower");
    fractions below the first point (regen) use the first point, as FASTSim does."""
    grid = inputs.motor_power_fraction
    index = np.searchsorted(grid, np.maximum(power_fraction, grid[0]), side="right") - 1
    return inputs.motor_efficiency[np.clip(index, 0, grid.size - 1)]


def reference_energy_chain(inputs: FastSimInputs, time_s, speed_mps) -> dict[str, np.ndarray]:
    """FASTSim's per-step energy chain in numpy (see the module docstring).

    Returns per-step arrays (T,) [W] (entry 0 is the initial state, all zero) and totals:
    ``tractive_w``, ``transmission_in_w``, ``motor_efficiency``, ``electrical_w``,
    ``terminal_w`` (aux included), ``chemical_w``, ``distance_m`` (T,) and the scalars
    ``terminal_wh_per_km``, ``chemical_wh_per_km``. Friction braking is not modelled: it is
    zero when regen is never limited (the caller checks FASTSim's friction-brake energy).
    """
    t = np.asarray(time_s, dtype=np.float64)
    v = np.asarray(speed_mps, dtype=np.float64)
    dt = np.diff(t)
    v1, v0 = v[1:], v[:-1]
    v_mean = 0.5 * (v1 + v0)
    m = inputs.mass_kg
    accel = m * (v1 ** 2 - v0 ** 2) / (2.0 * dt)
    drag = 0.5 * inputs.air_density_kgpm3 * inputs.drag_area_m2 * v_mean ** 3
    rolling = m * inputs.gravity_mps2 * inputs.rolling_resistance_coefficient * v_mean
    wheels = (0.5 * inputs.wheel_inertia_kgm2 * inputs.wheel_count
              * ((v1 / inputs.wheel_radius_m) ** 2 - (v0 / inputs.wheel_radius_m) ** 2) / dt)
    tractive = accel + drag + rolling + wheels
    eta_t = inputs.transmission_efficiency
    trans_in = np.where(tractive > 0.0, tractive / eta_t, tractive * eta_t)
    eta_m = step_lower_efficiency(inputs, trans_in / inputs.motor_rated_power_w)
    electrical = np.where(trans_in > 0.0, trans_in / eta_m, trans_in * eta_m)
    terminal = electrical + inputs.aux_power_w
    eta_b = inputs.battery_efficiency_one_way
    chemical = np.where(terminal > 0.0, terminal / eta_b, terminal * eta_b)
    distance = np.concatenate(([0.0], np.cumsum(v_mean * dt)))
    km = distance[-1] / 1000.0

    def pad(x):
        return np.concatenate(([0.0], x))

    return {
        "tractive_w": pad(tractive), "accel_w": pad(accel), "drag_w": pad(drag),
        "rolling_w": pad(rolling), "wheel_inertia_w": pad(wheels),
        "transmission_in_w": pad(trans_in), "motor_efficiency": pad(eta_m),
        "electrical_w": pad(electrical), "terminal_w": pad(terminal),
        "chemical_w": pad(chemical), "distance_m": distance,
        "terminal_wh_per_km": np.float64(np.sum(terminal * dt) / J_PER_WH / km),
        "chemical_wh_per_km": np.float64(np.sum(chemical * dt) / J_PER_WH / km),
    }


if __name__ == "__main__":  # pragma: no cover - manual look
    run = run_udds()
    ref = reference_energy_chain(run.inputs, run.time_s, run.speed_mps)
    print(f"FASTSim 3.1 UDDS, battery terminals incl. aux: {run.battery_terminal_wh_per_km:.3f}"
          f" Wh/km; numpy reference {float(ref['terminal_wh_per_km']):.3f} Wh/km")
    print(f"median wall time per UDDS run: {median_udds_wall_time_s() * 1e3:.1f} ms with history,"
          f" {median_udds_wall_time_s(record_history=False) * 1e3:.1f} ms without")
    print(run.inputs)
