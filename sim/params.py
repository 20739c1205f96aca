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
from sim.powertrain.layout import (
    DRIVES_CODE,
    DRIVES_NONE,
    KIND_COMBUSTION,
    KIND_ELECTRIC,
    MACHINE_FIELDS,
    N_MACHINES,
    machine_parameter_names,
    wheels_of,
)
from sim.powertrain.road_load import CoastDownCoefficients, physical_from_coast_down
from sim.spec.dynamics import TYRE_SCALING_NAMES
from sim.spec.energy import Energy
from sim.spec.vehicle import DEFAULT_LOAD_CASE, Vehicle, require_vehicle
from sim.tyre.mf61 import (
    IX_NOMPRES,
    MF61_PARAMETER_NAMES,
    MF61Tyre,
    linear_cornering_stiffness_n_per_rad,
    slip_stiffness_kxk,
)
from sim.units import AIR_DENSITY_KGPM3

_RPM_TO_RADPS = 2.0 * np.pi / 60.0
_REQUIRED = ("suspension", "wheels", "aero", "drivetrain", "brakes")


@lru_cache(maxsize=32)
def load_tyre(path: str) -> MF61Tyre:
    """The MF 6.1 tyre of a ``.tir`` file (parsed once per process and path)."""
    return MF61Tyre.from_tir(path)


_MF61_COLUMN = {name: k for k, name in enumerate(MF61_PARAMETER_NAMES)}


def tyre_parameters(vehicle: Vehicle, axle: str, members: int | None = None) -> np.ndarray:
    """(N, PT) MF 6.1 parameter vectors (:data:`sim.tyre.mf61.MF61_PARAMETER_NAMES`) of the
    tyres on ``axle`` ("front" or "rear") of every member of ``vehicle`` (a batch of N, or one
    vehicle repeated ``members`` times): the ``.tir`` file's vector with the factors of
    ``[tyres.<axle>.scaling]`` (:class:`sim.spec.dynamics.TyreScaling`) multiplied into its
    own scaling factors. A factor of 1 leaves the file's value bit for bit."""
    tyre = vehicle.tyres[axle]
    base = load_tyre(tyre.file).parameters
    n = vehicle.batch_size if members is None else members
    out = np.array(np.broadcast_to(base, (n, base.size)))
    for name in TYRE_SCALING_NAMES:
        factor = getattr(tyre.scaling, name)  # a number or (N,): numpy broadcasts
        if np.ndim(factor) or factor != 1.0:
            out[:, _MF61_COLUMN[name]] *= factor
    return out


def tyre_sets(tyre_params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct tyre sets of a batch: ``(sets (S, 2, PT), index (N,) int64)`` from the
    per-member front and rear vectors ``tyre_params`` (N, 2, PT), so that ``sets[index]`` is
    ``tyre_params`` (S = 1 when every member has the same tyres: the kernels then read one
    set, as before tyre quantities were per member)."""
    n = tyre_params.shape[0]
    flat = tyre_params.reshape(n, -1)
    if n == 1 or not np.any(flat != flat[0]):
        return np.ascontiguousarray(tyre_params[:1]), np.zeros(n, dtype=np.int64)
    unique, index = np.unique(flat, axis=0, return_inverse=True)
    return (np.ascontiguousarray(unique.reshape(-1, *tyre_params.shape[1:])),
            index.reshape(-1).astype(np.int64))


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


def road_load_terms(vehicle: Vehicle):
    """``(f_rr, CdA [m²], B [N/(m/s)])`` of the road load: from ``[wheels]`` and ``[aero]``
    (B = 0), or, when the file gives ``[road_load]`` coast-down coefficients, the equivalent
    ``f_rr = A / (m_test g)``, ``CdA = 2 C / rho`` and ``B`` as given
    (:func:`sim.powertrain.road_load.physical_from_coast_down`)."""
    rl = vehicle.road_load
    if rl is None:
        return vehicle.wheels.rolling_resistance_coefficient, vehicle.aero.drag_area_m2, 0.0
    physical = physical_from_coast_down(
        CoastDownCoefficients(rl.a_n, rl.b_n_per_mps, rl.c_n_per_mps2), rl.test_mass_kg)
    return (physical.rolling_resistance_coefficient, physical.drag_area_m2,
            physical.b_n_per_mps)


def check_filled(table: np.ndarray, names: tuple[str, ...], what: str) -> None:
    """Raise ``RuntimeError`` naming the first column of ``table`` (N, len(names)) that was
    never filled (still NaN): a kernel table declares its columns once, by name, and a column
    that no code fills must not silently run at some default."""
    unfilled = np.flatnonzero(np.isnan(table).all(axis=0))
    if unfilled.size:
        raise RuntimeError(f"{what}: column {names[unfilled[0]]!r} was never filled "
                           f"({unfilled.size} unfilled; sim.params must set every column)")


LINEAR_TYRE_KEYS = ("front_cornering_stiffness_npr", "rear_cornering_stiffness_npr",
                    "front_slip_stiffness_n", "rear_slip_stiffness_n")


#: Column of each chassis parameter in the table :func:`two_track_parameters` packs.
_PARAMETER_COLUMN = {name: k for k, name in enumerate(tt.PARAMETER_NAMES)}


def two_track_parameters(vehicle: Vehicle, load_case: str = DEFAULT_LOAD_CASE, *,
                         members: int | None = None, road_friction=1.0, road_grade_rad=0.0,
                         tyre_model: str = "mf61", linear_tyre_stiffness=None
                         ) -> tuple[np.ndarray, np.ndarray, MassProperties]:
    """Pack ``vehicle`` (a batch of N) for :func:`sim.integrator.integrate_batch`.

    Returns ``(params (N, P), tyre_params (N, 2, PT), mass)``: per-member chassis parameters,
    and each member's front and rear MF 6.1 parameter vectors (the tyre files with the
    member's scaling factors, :func:`tyre_parameters`; relaxation lengths, pressures, road
    friction and linear tyre stiffnesses are columns of ``params``; :func:`tyre_sets` gives
    the distinct sets the kernels read). ``members`` repeats a single
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

    p = np.full((n, tt.N_PARAMETERS), np.nan)  # every column must be filled below

    def put(name: str, value) -> None:
        p[:, _PARAMETER_COLUMN[name]] = value  # a number or (N,): numpy broadcasts

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
    f_rr, drag_area, road_b = road_load_terms(vehicle)
    put("rolling_resistance_coefficient", f_rr)
    put("air_density_kgpm3", AIR_DENSITY_KGPM3)
    put("drag_area_m2", drag_area)
    put("road_load_b_n_per_mps", road_b)
    put("front_downforce_area_m2", a.front_downforce_area_m2)
    put("rear_downforce_area_m2", a.rear_downforce_area_m2)
    put("brake_front_share", b.front_share)
    put("max_brake_torque_front_nm", b.max_front_torque_nm)
    put("max_brake_torque_rear_nm", b.max_rear_torque_nm)
    put("front_torque_share", d.front_torque_share)
    for k in range(N_MACHINES):
        for field in MACHINE_FIELDS:  # empty slots: drive nothing, all zero
            put(f"machine{k}_{field}", DRIVES_NONE if field == "drives" else 0.0)
    for k, motor in enumerate(d.motors.values()):
        code = DRIVES_CODE[motor.drives]
        combustion = motor.kind == "combustion"
        top = col(motor.top_gear_ratio)
        top = np.where(top > 0.0, top, col(motor.gear_ratio))
        put(f"machine{k}_drives", code)
        put(f"machine{k}_kind", KIND_COMBUSTION if combustion else KIND_ELECTRIC)
        put(f"machine{k}_peak_torque_nm", motor.peak_torque_nm)
        put(f"machine{k}_peak_power_w", col(motor.peak_power_kw) * 1000.0)
        put(f"machine{k}_max_speed_radps", col(motor.max_speed_rpm) * _RPM_TO_RADPS)
        put(f"machine{k}_gear_ratio", motor.gear_ratio)
        # the rotor's inertia seen at the wheel(s): J i^2 (a combustion engine's reflected
        # inertia changes with the gear; the spin inertia is a constant of the chassis, so
        # top gear's, the smallest, is taken: ``motor.top_gear_ratio``, which the spec
        # checks against [combustion])
        reflected = col(motor.rotor_inertia_kgm2) * (top if combustion
                                                     else col(motor.gear_ratio)) ** 2
        wheels = wheels_of(code)
        for wheel in wheels:
            spin[wheel] += reflected / len(wheels)
    for k, wheel in enumerate(("fl", "fr", "rl", "rr")):
        put(f"spin_inertia_{wheel}_kgm2", spin[k])
    for name in ("discharge", "charge"):  # absent: unlimited
        limit_kw = getattr(d, f"battery_{name}_power_limit_kw")
        put(f"battery_{name}_power_limit_w",
            np.inf if limit_kw is None else col(limit_kw) * 1000.0)
    energy = vehicle.energy if vehicle.energy is not None else Energy()
    put("aux_power_w", np.asarray(energy.auxiliary_power_kw, dtype=float) * 1000.0)
    put("regenerative_braking", 1.0 if energy.regenerative_braking == "on" else 0.0)
    put("max_regenerative_deceleration_mps2", energy.max_regenerative_deceleration_mps2)
    put("road_friction", _per_member_values("road_friction", road_friction, n, 0.05, 2.0, "-"))
    put("road_grade_rad", _per_member_values("road_grade_rad", road_grade_rad, n, -0.5, 0.5, "rad"))

    front, rear = (load_tyre(vehicle.tyres[axle].file) for axle in ("front", "rear"))
    scaled = {axle: tyre_parameters(vehicle, axle, n) for axle in ("front", "rear")}
    tyre_params = np.stack([scaled["front"], scaled["rear"]], axis=1)
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
    for axle in ("front", "rear"):
        defaults = {f"{axle}_cornering_stiffness_npr":
                    linear_cornering_stiffness_n_per_rad(scaled[axle], static[axle]),
                    f"{axle}_slip_stiffness_n": slip_stiffness_kxk(scaled[axle], static[axle])}
        for key, value in defaults.items():
            chosen = given.get(key, value)
            put(key, _per_member_values(key, chosen, n, 1.0, 1e7, "N or N/rad"))
    check_filled(p, tt.PARAMETER_NAMES, "two-track parameter table")
    return p, tyre_params, mp


def linear_single_track(vehicle: Vehicle, load_case: str = DEFAULT_LOAD_CASE
                        ) -> LinearSingleTrack:
    """The linear single-track model of ``vehicle`` (a batch of N) for ``load_case``: mass,
    yaw inertia and axle distances from the mass model; **axle** cornering stiffnesses
    ``C = 2 (-Kya)`` of the vehicle's MF 6.1 tyres (with their scaling factors,
    :func:`tyre_parameters`) at each axle's mean static wheel load (road friction scales the
    peak force, not the cornering stiffness, so it does not enter).
    """
    require_dynamics(require_vehicle(vehicle))
    mp = mass_properties(vehicle, load_case)
    front, rear = (tyre_parameters(vehicle, axle, mp.batch_size) for axle in ("front", "rear"))
    fz_front = 0.5 * (mp.wheel_loads_n[:, 0] + mp.wheel_loads_n[:, 1])
    fz_rear = 0.5 * (mp.wheel_loads_n[:, 2] + mp.wheel_loads_n[:, 3])
    return LinearSingleTrack(
        mass_kg=mp.mass_kg, yaw_inertia_kgm2=mp.yaw_inertia_kgm2,
        cg_to_front_axle_m=mp.cg_to_front_axle_m, cg_to_rear_axle_m=mp.cg_to_rear_axle_m,
        front_cornering_stiffness_npr=2.0 * linear_cornering_stiffness_n_per_rad(
            front, fz_front),
        rear_cornering_stiffness_npr=2.0 * linear_cornering_stiffness_n_per_rad(
            rear, fz_rear),
        source=vehicle.name or "<vehicle>")


def longitudinal_parameters(vehicle: Vehicle, load_case: str = DEFAULT_LOAD_CASE, *,
                            road_grade_rad=0.0) -> np.ndarray:
    """Pack ``vehicle`` (a batch of N) for the longitudinal cycle model
    (:data:`sim.energy.longitudinal.LONGITUDINAL_PARAMETER_NAMES`): (N, L). Mass, wheel radius,
    spin inertias (summed; electric rotors reflected), road load, machine slots and the
    passive split are the two-track model's (:func:`two_track_parameters`), so both models
    drive the same car; ``[energy]`` adds the auxiliary load and regenerative braking (its
    defaults when the file has no such section)."""
    from sim.energy import longitudinal as lo  # local: sim.energy imports this module

    params, _, _ = two_track_parameters(vehicle, load_case, road_grade_rad=road_grade_rad)
    n = params.shape[0]
    out = np.full((n, lo.N_LONGITUDINAL_PARAMETERS), np.nan)

    def put(name: str, value) -> None:
        out[:, lo.LONGITUDINAL_PARAMETER_NAMES.index(name)] = np.broadcast_to(
            np.asarray(value, dtype=float), (n,))

    def col(name: str) -> np.ndarray:
        return params[:, tt.PARAMETER_NAMES.index(name)]

    for name in ("mass_kg", "wheel_radius_m", "rolling_resistance_coefficient",
                 "road_load_b_n_per_mps", "drag_area_m2", "air_density_kgpm3",
                 "road_grade_rad", "front_torque_share", *machine_parameter_names()):
        put(name, col(name))
    put("brake_front_share", col("brake_front_share"))
    put("spin_inertia_kgm2", sum(col(f"spin_inertia_{w}_kgm2") for w in ("fl", "fr", "rl", "rr")))
    for name in ("aux_power_w", "regenerative_braking", "max_regenerative_deceleration_mps2"):
        put(name, col(name))
    check_filled(out, lo.LONGITUDINAL_PARAMETER_NAMES, "longitudinal parameter table")
    return out


def _members(vehicle: Vehicle):
    """The members of a batch, one vehicle each."""
    from sim.spec.params import member  # local: spec.params imports the vehicle module

    n = vehicle.batch_size
    return [vehicle] if n == 1 else [member(vehicle, i) for i in range(n)]


def _is_batched(section) -> bool:
    """Whether any quantity of a section (and its subsections) varies across the batch."""
    from sim.spec.params import _leaves  # local: spec.params imports the vehicle module

    return section is not None and any(isinstance(v, np.ndarray) for _, v in _leaves(section))


def _first_member(vehicle: Vehicle) -> Vehicle:
    from sim.spec.params import member

    return member(vehicle, 0)


def drive_unit_table(vehicle: Vehicle) -> np.ndarray:
    """Drive-unit loss vectors (N, N_MACHINES, len(DRIVE_UNIT_PARAMETER_NAMES)) of the machine
    slots, in the slots' order (the motors' order in the file, as in
    :func:`two_track_parameters`); empty slots and combustion engines get a lossless unit
    (never used)."""
    from sim.powertrain.electric_machine import (
        DRIVE_UNIT_PARAMETER_COUNT,
        drive_unit_parameters_from_spec,
    )

    n = vehicle.batch_size
    if n > 1 and not _is_batched(vehicle.drivetrain):  # one drivetrain for all: build it once
        return np.broadcast_to(drive_unit_table(_first_member(vehicle)),
                               (n, N_MACHINES, DRIVE_UNIT_PARAMETER_COUNT)).copy()
    members = _members(vehicle)
    out = np.zeros((len(members), N_MACHINES, DRIVE_UNIT_PARAMETER_COUNT))
    for i, one in enumerate(members):
        d = one.drivetrain
        motors = list(d.motors.values())
        electric = [m for m in motors if m.kind == "electric"]
        filler = drive_unit_parameters_from_spec(electric[0], d.high_voltage) \
            if electric else None
        for k in range(N_MACHINES):
            motor = motors[k] if k < len(motors) else None
            if motor is not None and motor.kind == "electric":
                out[i, k] = drive_unit_parameters_from_spec(motor, d.high_voltage)
            elif filler is not None:
                out[i, k] = filler
    return out


def combustion_tables(vehicle: Vehicle) -> tuple[np.ndarray, np.ndarray]:
    """Engine and gearbox parameter vectors ``(ep (N, E), gp (N, G))`` of a combustion
    vehicle's ``[combustion]`` section (:mod:`sim.powertrain.engine`,
    :mod:`sim.powertrain.gearbox`)."""
    from sim.powertrain.engine import engine_parameter_vector
    from sim.powertrain.gearbox import gearbox_parameter_vector

    if vehicle.combustion is None:
        raise SpecError(vehicle.name or "<vehicle>", "combustion", None,
                        "a [combustion] section (engine, fuel map, gearbox) for a combustion "
                        "powertrain's energy use")
    n = vehicle.batch_size
    members = _members(vehicle) if _is_batched(vehicle.combustion) else \
        [_first_member(vehicle) if n > 1 else vehicle]
    ep = np.stack([engine_parameter_vector(m.combustion) for m in members])
    gp = np.stack([gearbox_parameter_vector(m.combustion) for m in members])
    return (np.broadcast_to(ep, (n, ep.shape[1])).copy(),
            np.broadcast_to(gp, (n, gp.shape[1])).copy())
