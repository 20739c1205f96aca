"""Validated vehicle (+ load case, + road) -> packed per-member parameter arrays for the kernels.

This is the only place that knows both the vehicle-file sections and the kernels' parameter
layouts (:data:`sim.chassis.two_track.PARAMETER_NAMES`); kernels never see a ``Vehicle``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from sim.chassis import two_track as tt
from sim.chassis.linear import LinearSingleTrack
from sim.errors import SpecError
from sim.mass import MassProperties, mass_properties
from sim.spec.vehicle import DEFAULT_LOAD_CASE, Vehicle, require_vehicle
from sim.tyre.mf61 import (
    IX_NOMPRES,
    MF61Tyre,
    linear_cornering_stiffness_n_per_rad,
    slip_stiffness_kxk,
)
from sim.units import AIR_DENSITY_KGPM3

_DRIVES_CODE = {"FL": 0, "FR": 1, "RL": 2, "RR": 3,
                "front_axle": tt.DRIVES_FRONT_AXLE, "rear_axle": tt.DRIVES_REAR_AXLE}
_RPM_TO_RADPS = 2.0 * np.pi / 60.0
_REQUIRED = ("suspension", "wheels", "aero", "drivetrain", "brakes")


@lru_cache(maxsize=32)
def load_tyre(path: str) -> MF61Tyre:
    """The MF 6.1 tyre of a ``.tir`` file (parsed once per process and path)."""
    return MF61Tyre.from_tir(path)


def require_dynamics(vehicle: Vehicle) -> None:
    """Raise :class:`~sim.errors.SpecError` naming the first section a simulation needs that
    ``vehicle`` lacks."""
    if not vehicle.tyres:
        raise SpecError(vehicle.name or "<vehicle>", "tyres", None,
                        "a simulation needs [tyres.front] and [tyres.rear]")
    for name in _REQUIRED:
        if getattr(vehicle, name) is None:
            raise SpecError(vehicle.name or "<vehicle>", name, None,
                            f"a simulation needs the [{name}] section (see docs/vehicle_files.md)")


def _per_member_values(name: str, value, n: int, low: float, high: float, unit: str) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if arr.ndim > 1 or (arr.ndim == 1 and arr.size not in (1, n)):
        raise SpecError("<argument>", name, value,
                        f"a number or an array of one value per batch member ({n})")
    arr = np.broadcast_to(arr.reshape(-1) if arr.ndim else arr, (n,))
    bad = ~np.isfinite(arr) | (arr < low) | (arr > high)
    if bad.any():
        raise SpecError("<argument>", name, float(arr[bad][0]),
                        f"a finite number in [{low:g}, {high:g}] [{unit}]")
    return arr


LINEAR_TYRE_KEYS = ("front_cornering_stiffness_npr", "rear_cornering_stiffness_npr",
                    "front_slip_stiffness_n", "rear_slip_stiffness_n")


def two_track_parameters(vehicle: Vehicle, load_case: str = DEFAULT_LOAD_CASE, *,
                         members: int | None = None, road_friction=1.0, road_grade_rad=0.0,
                         tyre_model: str = "mf61", linear_tyre_stiffness=None
                         ) -> tuple[np.ndarray, np.ndarray, MassProperties]:
    """Pack ``vehicle`` (a batch of N) for :func:`sim.chassis.two_track.integrate_batch`.

    Returns ``(params (N, P), tyre_params (2, PT), mass)``: per-member chassis parameters,
    and the front and rear MF 6.1 parameter vectors, which the whole batch shares (the tyre
    files are not batch parameters; relaxation lengths, pressures, road friction and linear
    tyre stiffnesses are, as columns of ``params``). ``members`` repeats a single
    vehicle N times (for N runs that differ only in their inputs). ``road_friction`` [-] scales the
    tyres' peak friction (1 = the tyre file's road); ``road_grade_rad`` [rad] is the road's
    slope, positive uphill in the direction of travel. Both may be (N,) arrays.

    ``tyre_model="linear"`` replaces the Magic Formula by linear tyres (Fx = Cx kappa,
    Fy = -C_alpha alpha, per tyre, unsaturated) whose stiffnesses are the MF 6.1 tyre's slip
    and cornering stiffness at each axle's mean static wheel load, unless
    ``linear_tyre_stiffness`` maps some of :data:`LINEAR_TYRE_KEYS` to values (per tyre).
    """
    require_dynamics(require_vehicle(vehicle))
    mp = mass_properties(vehicle, load_case)
    n = mp.batch_size if members is None else members
    if mp.batch_size not in (1, n):
        raise SpecError("<argument>", "members", members,
                        f"the vehicle's batch size ({mp.batch_size}) or any N for a single one")

    def col(value) -> np.ndarray:
        return np.broadcast_to(np.asarray(value, dtype=float), (n,))

    p = np.zeros((n, tt.N_PARAMETERS))

    def put(name: str, value) -> None:
        p[:, tt.PARAMETER_NAMES.index(name)] = col(value)

    g, s, w, a, d, b = (vehicle.geometry, vehicle.suspension, vehicle.wheels, vehicle.aero,
                        vehicle.drivetrain, vehicle.brakes)
    put("mass_kg", mp.mass_kg)
    put("yaw_inertia_kgm2", mp.yaw_inertia_kgm2)
    put("cg_to_front_axle_m", mp.cg_to_front_axle_m)
    put("cg_to_rear_axle_m", mp.cg_to_rear_axle_m)
    put("cg_height_m", mp.cg_height_m)
    put("cg_y_m", mp.cg_m[:, 1])
    put("front_track_m", g.front_track_m)
    put("rear_track_m", g.rear_track_m)
    put("wheel_radius_m", g.wheel_radius_m)
    for k, wheel in enumerate(("fl", "fr", "rl", "rr")):
        put(f"static_load_{wheel}_n", mp.wheel_loads_n[:, k])
    put("steering_ratio", vehicle.steering.ratio)
    put("ackermann_fraction", vehicle.steering.ackermann_fraction)
    k_f, k_r = col(s.front_roll_stiffness_nm_per_rad), col(s.rear_roll_stiffness_nm_per_rad)
    put("front_roll_stiffness_share", k_f / (k_f + k_r))
    put("front_roll_centre_height_m", s.front_roll_centre_height_m)
    put("rear_roll_centre_height_m", s.rear_roll_centre_height_m)
    put("load_transfer_time_constant_s", s.load_transfer_time_constant_s)
    spin = [col(w.front_spin_inertia_kgm2).copy(), col(w.front_spin_inertia_kgm2).copy(),
            col(w.rear_spin_inertia_kgm2).copy(), col(w.rear_spin_inertia_kgm2).copy()]
    put("rolling_resistance_coefficient", w.rolling_resistance_coefficient)
    put("air_density_kgpm3", AIR_DENSITY_KGPM3)
    put("drag_area_m2", a.drag_area_m2)
    put("front_downforce_area_m2", a.front_downforce_area_m2)
    put("rear_downforce_area_m2", a.rear_downforce_area_m2)
    put("brake_front_share", b.front_share)
    put("max_brake_torque_front_nm", b.max_front_torque_nm)
    put("max_brake_torque_rear_nm", b.max_rear_torque_nm)
    put("front_torque_share", d.front_torque_share)
    for k in range(tt.N_MACHINES):
        put(f"machine{k}_drives", tt.DRIVES_NONE)
    for k, motor in enumerate(d.motors.values()):
        code = _DRIVES_CODE[motor.drives]
        combustion = motor.kind == "combustion"
        top = col(motor.top_gear_ratio)
        top = np.where(top > 0.0, top, col(motor.gear_ratio))
        put(f"machine{k}_drives", code)
        put(f"machine{k}_kind", tt.KIND_COMBUSTION if combustion else tt.KIND_ELECTRIC)
        put(f"machine{k}_peak_torque_nm", motor.peak_torque_nm)
        put(f"machine{k}_peak_power_w", col(motor.peak_power_kw) * 1000.0)
        put(f"machine{k}_max_speed_radps", col(motor.max_speed_rpm) * _RPM_TO_RADPS)
        put(f"machine{k}_gear_ratio", motor.gear_ratio)
        put(f"machine{k}_top_gear_ratio", top)
        # the rotor's inertia seen at the wheel(s): J i^2 (top gear for a combustion engine)
        reflected = col(motor.rotor_inertia_kgm2) * (top if combustion
                                                     else col(motor.gear_ratio)) ** 2
        wheels = {tt.DRIVES_FRONT_AXLE: (0, 1), tt.DRIVES_REAR_AXLE: (2, 3)}.get(code, (code,))
        for wheel in wheels:
            spin[wheel] += reflected / len(wheels)
    for k, wheel in enumerate(("fl", "fr", "rl", "rr")):
        put(f"spin_inertia_{wheel}_kgm2", spin[k])
    for name in ("discharge", "charge"):  # absent: unlimited
        limit_kw = getattr(d, f"battery_{name}_power_limit_kw")
        put(f"battery_{name}_power_limit_w",
            np.inf if limit_kw is None else col(limit_kw) * 1000.0)
    put("road_friction", _per_member_values("road_friction", road_friction, n, 0.05, 2.0, "-"))
    put("road_grade_rad", _per_member_values("road_grade_rad", road_grade_rad, n, -0.5, 0.5, "rad"))

    front, rear = (load_tyre(vehicle.tyres[axle].file) for axle in ("front", "rear"))
    tyre_params = np.stack([front.parameters, rear.parameters])
    put("front_relaxation_length_m", vehicle.tyres["front"].relaxation_length_m)
    put("rear_relaxation_length_m", vehicle.tyres["rear"].relaxation_length_m)
    for axle, tyre in (("front", front), ("rear", rear)):
        side = str(tyre.tir["MODEL"].get("TYRESIDE", "LEFT")).strip("'\" ").upper()
        put(f"{axle}_tyre_side", tt.SIDE_RIGHT if side == "RIGHT" else tt.SIDE_LEFT)
    put("front_pressure_pa", front.parameters[IX_NOMPRES])
    put("rear_pressure_pa", rear.parameters[IX_NOMPRES])
    if tyre_model not in ("mf61", "linear"):
        raise SpecError("<argument>", "tyre_model", tyre_model, "one of mf61, linear")
    put("tyre_model", tt.TYRE_LINEAR if tyre_model == "linear" else tt.TYRE_MF61)
    static = {"front": 0.5 * (mp.wheel_loads_n[:, 0] + mp.wheel_loads_n[:, 1]),
              "rear": 0.5 * (mp.wheel_loads_n[:, 2] + mp.wheel_loads_n[:, 3])}
    given = dict(linear_tyre_stiffness or {})
    unknown = sorted(set(given) - set(LINEAR_TYRE_KEYS))
    if unknown:
        raise SpecError("<argument>", "linear_tyre_stiffness", unknown[0],
                        "keys among " + ", ".join(LINEAR_TYRE_KEYS))
    for axle, tyre in (("front", front), ("rear", rear)):
        defaults = {f"{axle}_cornering_stiffness_npr":
                    linear_cornering_stiffness_n_per_rad(tyre.parameters, static[axle]),
                    f"{axle}_slip_stiffness_n": slip_stiffness_kxk(tyre.parameters, static[axle])}
        for key, value in defaults.items():
            chosen = given.get(key, value)
            put(key, _per_member_values(key, chosen, n, 1.0, 1e7, "N or N/rad"))
    return p, tyre_params, mp


def linear_single_track(vehicle: Vehicle, load_case: str = DEFAULT_LOAD_CASE
                        ) -> LinearSingleTrack:
    """The linear single-track model of ``vehicle`` (a batch of N) for ``load_case``: mass,
    yaw inertia and axle distances from the mass model; **axle** cornering stiffnesses
    ``C = 2 (-Kya)`` of the vehicle's MF 6.1 tyres at each axle's mean static wheel load
    (road friction scales the peak force, not the cornering stiffness, so it does not enter).
    """
    require_dynamics(require_vehicle(vehicle))
    mp = mass_properties(vehicle, load_case)
    front, rear = (load_tyre(vehicle.tyres[axle].file) for axle in ("front", "rear"))
    fz_front = 0.5 * (mp.wheel_loads_n[:, 0] + mp.wheel_loads_n[:, 1])
    fz_rear = 0.5 * (mp.wheel_loads_n[:, 2] + mp.wheel_loads_n[:, 3])
    return LinearSingleTrack(
        mass_kg=mp.mass_kg, yaw_inertia_kgm2=mp.yaw_inertia_kgm2,
        cg_to_front_axle_m=mp.cg_to_front_axle_m, cg_to_rear_axle_m=mp.cg_to_rear_axle_m,
        front_cornering_stiffness_npr=2.0 * linear_cornering_stiffness_n_per_rad(
            front.parameters, fz_front),
        rear_cornering_stiffness_npr=2.0 * linear_cornering_stiffness_n_per_rad(
            rear.parameters, fz_rear),
        source=vehicle.name or "<vehicle>")
