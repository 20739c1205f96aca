"""``sim.simulate``: run the two-track model over a batch of vehicles and inputs.

Physical parameters come from the vehicle (and the load case and road), inputs from driver
profiles, numerical settings from :class:`Numerics`; the three never mix, so a mass sweep never
touches a tolerance.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numba
import numpy as np

from sim import adm, integrator
from sim.chassis import powertrain as pw
from sim.chassis import two_track as tt
from sim.driver import closed_loop as cl
from sim.errors import SpecError, UnknownNameError
from sim.params import load_tyre, two_track_parameters, tyre_sets
from sim.result import Result
from sim.spec.vehicle import DEFAULT_LOAD_CASE, Vehicle, require_vehicle
from sim.units import deg_to_rad, kmh_to_mps
from sim.validity import TYRE_CHECKS, tyre_flags

CONTROLLERS = {name: code for code, name in enumerate(tt.CONTROLLER_NAMES)}

#: Channel names of the driver's states: the steering-wheel angle and the force demand under
#: their own names, the path follower's and speed controller's memory as ``driver_<name>``.
DRIVER_CHANNELS = tuple(name if name in ("steering_wheel_angle_rad", "force_demand_n")
                        else f"driver_{name}" for name in cl.DRIVER_STATE_NAMES)
RECORDED = tt.STATE_NAMES + tt.AUX_NAMES + DRIVER_CHANNELS
_WHEELS = ("fl", "fr", "rl", "rr")

#: Angles computed after the run from recorded kernel channels (the kernel keeps them as
#: velocity ratios, no atan in the time loop): name -> the kernel channels it is computed from.
DERIVED = {"sideslip_rad": ("vy_mps", "vx_mps"),
           **{f"slip_angle_{w}_rad": (f"tan_slip_angle_{w}",) for w in _WHEELS}}

#: The validity flags of a Result and the channel each is computed from (a flag exists when its
#: channel is recorded; see :mod:`sim.validity`).
FLAG_CHANNELS = {**{f"tyre_{kind}_{w}": pattern.format(w=w) for w in _WHEELS
                    for kind, *_, pattern, _unit, _what in TYRE_CHECKS},
                 "steering_beyond_lock": "steering_wheel_angle_rad"}

#: The kernel channels whose extremes every run keeps over every step, whatever it records
#: (:attr:`sim.Result.extremes`): those the flags are computed from (a slip angle's tangent:
#: the extremes of the angle follow, arctan being increasing).
WATCHED = tuple(dict.fromkeys(DERIVED.get(c, (c,))[0] for c in FLAG_CHANNELS.values()))


def _kernel_channels(controller: str) -> tuple[str, ...]:
    """The kernel's channels in its order (:func:`sim.integrator._channel`): states, derived
    signals, driver states, the powertrain's channels, the controller's states."""
    extra = tuple(f"adm_{name}" for name in adm.ADM_STATE_NAMES) if controller == "adm" else ()
    return RECORDED + pw.CHANNEL_NAMES + extra


def channel_names(controller: str = "passive", battery: bool = True,
                  engine: bool = False) -> tuple[str, ...]:
    """Every channel a run of ``controller`` records by default (``record=None``), in the
    Result's order; ``battery``: whether the battery is in the loop (its channels exist only
    then); ``engine``: whether a combustion engine drives (gear, engine speed and fuel flow
    exist only then); see :func:`sim.chassis.powertrain.in_the_loop`."""
    absent = pw.absent_channel_names(battery, engine)
    return tuple(c for c in _kernel_channels(controller) if c not in absent) + tuple(DERIVED)


def _plan(record, controller: str, battery: bool, engine: bool):
    """What a run records: ``(picked, kernel_names, names, flags)``: the kernel channel indices
    to record and their names, the Result's channel names in order, the flags computed.
    ``record``: None (everything) or a sequence of channel names (``time_s`` allowed and
    implied); :class:`sim.errors.UnknownNameError` naming the allowed ones otherwise."""
    allowed = channel_names(controller, battery, engine)
    if record is None:
        wanted = set(allowed)
    else:
        if isinstance(record, str | bytes) or not hasattr(record, "__iter__"):
            raise SpecError("<argument>", "record", record,
                            "None (every channel) or a sequence of channel names, e.g. "
                            "('vx_mps', 'yaw_rate_radps'); () records nothing but the end")
        wanted = set()
        for name in record:
            if name == "time_s":
                continue
            if not isinstance(name, str) or name not in allowed:
                raise UnknownNameError("<argument>", "record", name,
                                       "no such channel; channels are " + ", ".join(allowed))
            wanted.add(name)
    names = tuple(c for c in allowed if c in wanted)
    needed = set(wanted)
    for name in wanted & set(DERIVED):
        needed.update(DERIVED[name])
    kernel = _kernel_channels(controller)
    picked = np.array([i for i, c in enumerate(kernel) if c in needed], dtype=np.int64)
    flags = tuple(f for f, c in FLAG_CHANNELS.items() if c in wanted)
    return picked, tuple(kernel[i] for i in picked), names, flags


def output_bytes(vehicle_members, duration_s: float, numerics: Numerics | None = None,
                 record=None, *, controller: str = "passive", battery: bool | None = None,
                 engine: bool | None = None) -> int:
    """Bytes of the history :func:`simulate` would record: 8 per sample of every recorded
    float channel (the requested ones and those the derived angles are computed from), 1 per
    sample of every validity flag, 8 per output time.

    ``vehicle_members``: a vehicle (its batch size, and whether its battery is in the loop)
    or a number of members N; ``duration_s``, ``numerics`` (default ``Numerics()``) and
    ``record`` as for :func:`simulate`; ``controller`` ("adm" records the module's states
    too); ``battery``, ``engine``: whether the battery's and the engine's channels exist
    (default: the vehicle's, :func:`sim.chassis.powertrain.in_the_loop`; a number of members:
    battery True, engine False). E.g. every channel of 10 000 coupés over 4 s at 0.01 s is about
    2.6 GB; ``record=("ay_mps2", "yaw_rate_radps")`` is 64 MB."""
    numerics = numerics or Numerics()
    if isinstance(vehicle_members, Vehicle):
        members = vehicle_members.batch_size
        in_loop, drives = pw.in_the_loop(vehicle_members)
        battery = in_loop if battery is None else battery
        engine = drives if engine is None else engine
    else:
        members = vehicle_members
        if not (isinstance(members, numbers.Integral) and not isinstance(members, bool)
                and members >= 1):
            raise SpecError("<argument>", "vehicle_members", members,
                            "a vehicle or a whole number of members >= 1")
    if not isinstance(controller, str) or controller not in CONTROLLERS:
        raise SpecError("<argument>", "controller", controller,
                        "one of " + ", ".join(CONTROLLERS))
    samples = _samples(duration_s, numerics)
    picked, _, names, flags = _plan(record, controller, True if battery is None else battery,
                                    bool(engine))
    floats = picked.size + sum(1 for c in names if c in DERIVED)
    return int(members) * samples * (8 * floats + len(flags)) + 8 * samples


def _samples(duration_s, numerics: Numerics) -> int:
    """Output samples of a run of ``duration_s`` [s] (checked: at least one output interval,
    at most an hour, a whole number of them)."""
    if not (isinstance(duration_s, numbers.Real) and not isinstance(duration_s, bool)
            and math.isfinite(duration_s)
            and numerics.output_interval_s <= duration_s <= 3600.0):
        raise SpecError("<argument>", "duration_s", duration_s,
                        f"a number in [{numerics.output_interval_s:g}, 3600] [s] "
                        "(at least one output interval)")
    intervals = duration_s / numerics.output_interval_s
    if abs(intervals - round(intervals)) > 1e-9 * max(1.0, intervals):
        raise SpecError("<argument>", "duration_s", duration_s,
                        f"a whole multiple of numerics.output_interval_s = "
                        f"{numerics.output_interval_s:g} s, so that the run ends on a sample")
    h = numerics.time_step_s
    return int(round(duration_s / h)) // int(round(numerics.output_interval_s / h)) + 1


def _check_budget(members: int, duration_s, numerics: Numerics, record, controller: str,
                  battery: bool, engine: bool) -> None:
    """Refuse a run whose recorded history exceeds ``numerics.max_output_bytes``, naming the
    size, the budget and what to change."""
    size = output_bytes(members, duration_s, numerics, record, controller=controller,
                        battery=battery, engine=engine)
    budget = numerics.max_output_bytes
    if size > budget:
        raise SpecError(
            "<argument>", "record", f"a history of {size / 2**30:.3g} GiB ({size} bytes) for "
            f"{members} members x {duration_s:g} s",
            f"at most numerics.max_output_bytes = {budget / 2**30:.3g} GiB ({budget} bytes): "
            "record fewer channels (record=[...]), a longer numerics.output_interval_s, "
            "fewer members per run, or record=() for the final state only; or raise "
            "numerics.max_output_bytes")


@dataclass(frozen=True, kw_only=True)
class Numerics:
    """Numerical settings of :func:`simulate` (never physics).

    ``time_step_s``: integrator step [s]. ``scheme``: ``"rosenbrock"`` (default), the
    linearly implicit Rosenbrock-W scheme of :mod:`sim.integrator`, whose step is set by
    accuracy alone (the stiff wheel-spin, relaxation, lateral and load-transfer modes are
    treated implicitly: no substeps at any speed; at the default 10 ms, maneuver metrics stay
    within 0.5 % of RK4 at 1 ms from walking pace to top speed, launches and locked wheels
    included; a step whose error estimate of a wheel's slip exceeds
    :data:`sim.integrator.SLIP_TOLERANCE`, as when a demand steps onto tyres at rest, is
    taken again by RK4 with its substeps); or ``"rk4"``, classical RK4 that subdivides each
    step where the stiff modes would make it unstable
    (:func:`sim.chassis.two_track.stiffest_rate`), the reference of the tests (at 1 to 2 ms).
    ``output_interval_s``: spacing of the recorded samples [s] (a multiple of the step).
    ``low_speed_mps``: floor of the slip denominators ``max(|v_cx|, v_low)`` (the usual
    low-speed regularisation of slip, as MFeval's VXLOW). ``stop_speed_mps``: a member whose
    forward speed falls below it ends with status ``stopped``; 0: no member stops, a car
    braked to rest stands on its brakes and starts again when its demand turns positive
    (drive cycles). ``max_sideslip_deg``: a member
    whose sideslip at the centre of mass exceeds it has **spun out** (no road car recovers from
    45 degrees without the driver catching it; the run is frozen and flagged).
    ``chunk_lanes``: members integrated together as the SIMD lanes of one chunk, at most
    :data:`sim.chassis.two_track.LANES` (None: :func:`sim.chassis.two_track.chunk_lanes`
    chooses); a speed setting only, results do not depend on it (bit for bit).
    ``max_output_bytes``: memory budget [bytes] of a run's recorded history (the channels,
    the angles derived from them and the validity flags, :func:`output_bytes`); a larger
    request is refused before anything runs. Default 2 GiB: a quarter of an 8 GB laptop, so
    that a result, a copy of it (a DataFrame, a stacked study chunk) and the interpreter still
    fit; raise it knowingly on a larger machine.
    """

    time_step_s: float = 0.01
    output_interval_s: float = 0.01
    low_speed_mps: float = 1.0
    stop_speed_mps: float = 0.5
    max_sideslip_deg: float = 45.0
    chunk_lanes: int | None = None
    scheme: str = "rosenbrock"
    max_output_bytes: int = 2 * 1024**3

    def __post_init__(self):
        if self.scheme not in integrator.SCHEME_NAMES:
            raise SpecError("<Numerics>", "scheme", self.scheme,
                            f"one of {', '.join(integrator.SCHEME_NAMES)}")
        checks = (("time_step_s", 1e-5, 0.05), ("output_interval_s", 1e-5, 10.0),
                  ("low_speed_mps", 0.01, 5.0), ("stop_speed_mps", 0.0, 5.0),
                  ("max_sideslip_deg", 1.0, 89.0))
        for name, low, high in checks:
            value = getattr(self, name)
            if not (isinstance(value, numbers.Real) and math.isfinite(value)
                    and low <= value <= high):
                raise SpecError("<Numerics>", name, value, f"a number in [{low:g}, {high:g}]")
        lanes = self.chunk_lanes
        if lanes is not None and not (isinstance(lanes, numbers.Integral)
                                      and not isinstance(lanes, bool) and 1 <= lanes <= tt.LANES):
            raise SpecError("<Numerics>", "chunk_lanes", lanes,
                            f"None or an integer in [1, {tt.LANES}]")
        budget = self.max_output_bytes
        if not (isinstance(budget, numbers.Integral) and not isinstance(budget, bool)
                and budget >= 0):
            raise SpecError("<Numerics>", "max_output_bytes", budget,
                            "a whole number of bytes >= 0 (default 2 GiB = 2147483648)")
        ratio = self.output_interval_s / self.time_step_s
        if abs(ratio - round(ratio)) > 1e-9 or round(ratio) < 1:
            raise SpecError("<Numerics>", "output_interval_s", self.output_interval_s,
                            f"a whole multiple of time_step_s = {self.time_step_s:g} s")


def _sample(name: str, value, times: np.ndarray, n: int) -> np.ndarray:
    """An input as an (n, len(times)) table: a number, an (n,) array of numbers, or an object
    with ``sample(time_s) -> (1 or n, T)`` (a driver profile)."""
    if hasattr(value, "sample"):
        table = np.asarray(value.sample(times), dtype=float)
    else:
        table = _numbers(name, value)
        if table.ndim == 1 and table.size in (1, n):
            table = table.reshape(-1, 1)
        elif table.ndim != 0:
            raise SpecError("<argument>", name, value,
                            f"a number, an array of one value per member ({n}) or a profile")
    try:
        table = np.broadcast_to(table, (n, times.size))
    except ValueError:
        raise SpecError("<argument>", name, f"shape {table.shape}",
                        f"a profile of 1 or {n} rows (one per batch member)") from None
    if not np.all(np.isfinite(table)):
        raise SpecError("<argument>", name, "non-finite values", "finite inputs")
    return np.ascontiguousarray(table)


def _numbers(name: str, value) -> np.ndarray:
    """``value`` (a number or an array of numbers, never text) as a float array; a SpecError
    naming the argument otherwise."""
    shown = value if isinstance(value, str | numbers.Number) else f"a {type(value).__name__}"
    if isinstance(value, str | bytes | bool) or (
            isinstance(value, np.ndarray) and value.dtype.kind not in "iuf"):
        raise SpecError("<argument>", name, shown, "a number or an array of numbers (not text)")
    try:
        table = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise SpecError("<argument>", name, shown,
                        "a number, an array of numbers or a profile") from None
    if table.dtype.kind != "f":  # pragma: no cover - asarray(dtype=float) guarantees it
        raise SpecError("<argument>", name, shown, "numbers")
    if isinstance(value, list | tuple) and any(isinstance(v, str | bytes) for v in value):
        raise SpecError("<argument>", name, shown, "numbers, not text")
    return table


def _flags(channels, front, rear, lock_rad: np.ndarray):
    """``(flags, notes)``: every validity flag (:data:`FLAG_CHANNELS`), an (N, T) bool array
    from the (N, T) arrays ``channels`` of their channels (recorded samples, or the (N, 2)
    extremes of :func:`_spans`), and what each means. The tyre checks are
    :func:`sim.validity.tyre_flags` with the ``.tir`` files ``front``, ``rear``; the steering
    wheel is flagged beyond the vehicle's lock ``lock_rad`` (N,) [rad] (a closed-loop driver
    asking for more than the car has; open-loop input beyond it is an error before the
    run)."""
    flags, notes = tyre_flags(channels, front, rear)
    with np.errstate(invalid="ignore"):
        flags["steering_beyond_lock"] = \
            np.abs(channels["steering_wheel_angle_rad"]) > lock_rad[:, None] * (1 + 1e-9)
    notes["steering_beyond_lock"] = (
        "steering-wheel angle (steering_wheel_angle_rad) beyond the steering lock "
        "(steering.steering_wheel_lock_deg): the closed-loop driver asked for more than the "
        "car has")
    return flags, notes


def _spans(extremes: np.ndarray) -> dict[str, np.ndarray]:
    """Channel (of :data:`FLAG_CHANNELS`) -> (N, 2) its smallest and largest value over every
    step, from the kernel's ``extremes`` (W, N, 2) of :data:`WATCHED` (NaN for a member that
    never reached a finite value)."""
    kernel = {}
    for name, span in zip(WATCHED, extremes, strict=True):
        span = span.copy()
        span[~(span[:, 0] <= span[:, 1])] = np.nan
        kernel[name] = span
    spans = {}
    for channel in FLAG_CHANNELS.values():
        source = DERIVED.get(channel, (channel,))[0]
        spans[channel] = np.arctan(kernel[source]) if source != channel else kernel[source]
    return spans


def _batch_size(vehicle_members: int, **inputs) -> int:
    """N of a run: the vehicle's batch, or the common length of the per-run inputs when the
    vehicle is a single one (then every run uses it). Mismatches name the input."""
    sizes = {}
    for name, value in inputs.items():
        rows = value.values.shape[0] if hasattr(value, "values") and hasattr(value, "sample") \
            else (np.size(value) if np.ndim(value) == 1 else 1)
        if rows > 1:
            sizes[name] = rows
    wanted = {vehicle_members} | set(sizes.values())
    wanted.discard(1)
    if len(wanted) > 1:
        raise SpecError("<argument>", ", ".join(sizes) or "inputs", sizes,
                        f"one row per run: the same N for every input and the vehicle's batch "
                        f"({vehicle_members})")
    return wanted.pop() if wanted else 1


def simulate(vehicle: Vehicle, *, speed_kmh, duration_s: float,
             steering_wheel_angle_rad=0.0, force_demand_n=0.0,
             path: cl.Path | None = None, target_speed_kmh=None,
             driver: cl.Driver | None = None, release_x_m: float = math.inf,
             drive_torque_nm=None, brake_torque_nm=None,
             controller: str = "passive", load_case: str = DEFAULT_LOAD_CASE,
             road_friction=1.0, road_grade_rad=0.0, tyre_model: str = "mf61",
             linear_tyre_stiffness=None, soc=0.9, numerics: Numerics | None = None,
             strict: bool | None = None, record=None) -> Result:
    """Simulate the two-track model for every member of ``vehicle`` (a batch of N), or for N
    runs of one vehicle when per-run inputs (speeds, profiles, road) have N entries.

    Parameters
    ----------
    speed_kmh : float or (N,)
        Initial forward speed [km/h]; the car starts straight, wheels rolling freely.
    duration_s : float
        Simulated time [s].
    steering_wheel_angle_rad : number, (N,) array or profile
        Steering-wheel angle [rad], positive to the left (counter-clockwise); the steering
        ratio converts it to road-wheel angle. A profile is anything with
        ``sample(time_s) -> (1 or N, T)`` in radians, e.g. :func:`sim.driver.iso7401_step_steer`
        (whose amplitudes are given in degrees).
    force_demand_n : number, (N,) array or profile
        The driver's longitudinal force demand at the ground [N]: positive drives, negative
        brakes; the controller turns it into wheel torques within its limits.
    path : :class:`sim.driver.Path`, optional
        Closed-loop steering instead of ``steering_wheel_angle_rad``: the path follower of
        :mod:`sim.driver.closed_loop` (pure pursuit, steering-rate limit) drives along it.
    target_speed_kmh : number, (N,) array or profile [km/h], optional
        Closed-loop speed instead of ``force_demand_n``: the speed controller's target.
    driver : :class:`sim.driver.Driver`, optional
        Gains and limits of the closed-loop driver (defaults: ``Driver()``).
    release_x_m : float
        With ``target_speed_kmh``: beyond this ground-frame x [m] the driver releases the
        throttle for good (force demand 0), as ISO 3888-2 prescribes after the entry gate.
    drive_torque_nm, brake_torque_nm : sequence of 4 inputs (FL, FR, RL, RR), optional
        Per-wheel drive and brake torques [N·m] (each a number, array or profile) for
        ``controller="direct"``.
    controller : ``"passive"`` (module off: fixed split, open differential, friction brakes),
        ``"direct"`` (per-wheel torques as given) or ``"adm"`` (the dynamic module,
        :mod:`sim.adm`, configured by the vehicle's ``[adm]`` section; its states are
        recorded as channels ``adm_<name>``, its estimator is labelled ``adm_estimator``).
    load_case, road_friction, road_grade_rad
        Load case of the mass model; road friction scale [-]; road grade [rad], uphill > 0.
    tyre_model, linear_tyre_stiffness
        ``"mf61"`` (the vehicle's Magic Formula tyres) or ``"linear"`` (see
        :func:`sim.params.two_track_parameters`).
    soc : float or (N,)
        Initial state of charge [-] of every pack (rested), for a vehicle with a
        ``[battery]``: its states are integrated with the chassis and the controllers
        saturate to its available power (:mod:`sim.chassis.powertrain`).
    numerics : :class:`Numerics`
    record : None or sequence of channel names
        What the Result keeps over time: None every channel (:func:`channel_names`); a
        sequence of names only those (and ``time_s``), each equal bit for bit to the same
        channel of a full run; ``()`` nothing but each member's status, end time, final
        state and energy. The kernel's buffer holds only the channels asked for (and those a
        derived angle is computed from); per-sample validity flags exist for recorded
        channels only (:data:`FLAG_CHANNELS`), the per-member ones checked at every step
        (``Result.step_flags``) always. Unknown names raise :class:`sim.errors.UnknownNameError`;
        a history beyond ``numerics.max_output_bytes`` (:func:`output_bytes`) a
        :class:`~sim.errors.SpecError`, both before anything runs.
    strict : bool or None
        True: raise :class:`~sim.result.SimulationDiverged` on the first member that spins
        out or goes non-finite; False: never raise, failed members are flagged in
        ``Result.status`` and their remaining samples are NaN; None (default): raise for a
        single-member run only. The run itself is the same in every case (a single member is
        a batch of one).

    Returns
    -------
    Result
        States (:data:`sim.chassis.two_track.STATE_NAMES`), derived signals
        (:data:`sim.chassis.two_track.AUX_NAMES`), the driver's ``steering_wheel_angle_rad``,
        ``force_demand_n`` and states ``driver_<name>``
        (:data:`sim.driver.closed_loop.DRIVER_STATE_NAMES`) every
        ``numerics.output_interval_s``; with a battery in the loop its channels
        (:data:`sim.chassis.powertrain.CHANNEL_NAMES`: each pack's SOC and cell RC voltage,
        the available discharge and charge power, bus voltage, battery terminal power and
        each machine slot's DC power); ``Result.energy_j``: energy by component.
    """
    vehicle = require_vehicle(vehicle)
    if numerics is not None and not isinstance(numerics, Numerics):
        raise SpecError("<argument>", "numerics", f"a {type(numerics).__name__}",
                        "None or a sim.Numerics")
    numerics = numerics or Numerics()
    if not isinstance(controller, str) or controller not in CONTROLLERS:
        raise SpecError("<argument>", "controller", controller,
                        "one of " + ", ".join(CONTROLLERS))
    n_out = _samples(duration_s, numerics)
    follow_path, control_speed = path is not None, target_speed_kmh is not None
    if follow_path and not isinstance(path, cl.Path):
        raise SpecError("<argument>", "path", path, "a sim.driver.Path")
    for name, given, default in (("steering_wheel_angle_rad", steering_wheel_angle_rad, 0.0),
                                 ("force_demand_n", force_demand_n, 0.0)):
        closed = follow_path if name.startswith("steering") else control_speed
        if closed and not (np.ndim(given) == 0 and given == default):
            raise SpecError("<argument>", name, "given",
                            "either an open-loop input or "
                            + ("path" if name.startswith("steering") else "target_speed_kmh")
                            + ", not both")
    driver = driver or cl.Driver()
    n = _batch_size(vehicle.batch_size, speed_kmh=speed_kmh,
                    steering_wheel_angle_rad=steering_wheel_angle_rad,
                    force_demand_n=force_demand_n, road_friction=road_friction,
                    road_grade_rad=road_grade_rad,
                    target_speed_kmh=0.0 if target_speed_kmh is None else target_speed_kmh,
                    path=np.zeros(path.rows) if follow_path else 0.0)  # rows: 1 or N
    in_loop_expected, engine = pw.in_the_loop(vehicle)
    picked, kernel_names, names, flag_names = _plan(record, controller, in_loop_expected,
                                                    engine)
    _check_budget(n, duration_s, numerics, record, controller, in_loop_expected, engine)
    params, tyre_params, _ = two_track_parameters(
        vehicle, load_case, members=n, road_friction=road_friction,
        road_grade_rad=road_grade_rad, tyre_model=tyre_model,
        linear_tyre_stiffness=linear_tyre_stiffness)
    try:
        speed = np.broadcast_to(_numbers("speed_kmh", speed_kmh), (n,))
    except (TypeError, ValueError):
        speed = None
    if speed is None or not np.all(np.isfinite(speed)) or np.any(speed < 0) \
            or np.any(speed > 400):
        raise SpecError("<argument>", "speed_kmh", speed_kmh,
                        f"a number or {n} numbers in [0, 400] [km/h]")

    h = numerics.time_step_s
    n_steps = int(round(duration_s / h))
    out_every = int(round(numerics.output_interval_s / h))
    dt_in = 0.5 * h
    t_in = np.arange(2 * n_steps + 1) * dt_in
    steer = _sample("steering_wheel_angle_rad", steering_wheel_angle_rad, t_in, n)
    lock_rad = np.broadcast_to(deg_to_rad(np.asarray(
        vehicle.steering.steering_wheel_lock_deg, dtype=float)), (n,))
    beyond = np.abs(steer).max(axis=1) > lock_rad * (1 + 1e-9)
    if np.any(beyond):
        i = int(np.flatnonzero(beyond)[0])
        worst = float(np.abs(steer[i]).max())
        raise SpecError("<argument>", "steering_wheel_angle_rad",
                        f"{worst:.4g} rad ({math.degrees(worst):.4g} deg, member {i})",
                        f"within the steering lock of {vehicle.name or 'the vehicle'}: "
                        f"|angle| <= {lock_rad[i]:.4g} rad = {math.degrees(lock_rad[i]):.4g} deg "
                        "(steering.steering_wheel_lock_deg); a steering wheel turns no further")
    force = _sample("force_demand_n", force_demand_n, t_in, n)
    target = kmh_to_mps(_sample("target_speed_kmh", target_speed_kmh if control_speed else 0.0,
                                t_in, n))
    if np.any(target < 0.0):
        raise SpecError("<argument>", "target_speed_kmh", float(target.min() * 3.6),
                        "speeds >= 0 km/h")
    points = path.table(n) if follow_path else np.zeros((n, 2, cl.N_PATH_COLUMNS))
    dparams = cl.driver_parameters(driver, n, follow_path=follow_path,
                                   control_speed=control_speed, release_x_m=release_x_m)
    dstate0 = np.zeros((n, len(cl.DRIVER_STATE_NAMES)))
    # per-wheel torque tables: read by the direct controller only (one sample otherwise)
    torque_samples = t_in.size if controller == "direct" else 1
    drive = np.zeros((n, 4, torque_samples))
    brake = np.zeros((n, 4, torque_samples))
    if controller == "direct":
        for name, given, table in (("drive_torque_nm", drive_torque_nm, drive),
                                   ("brake_torque_nm", brake_torque_nm, brake)):
            if given is None:
                continue
            if len(given) != 4:
                raise SpecError("<argument>", name, given, "four inputs, FL, FR, RL, RR")
            for w in range(4):
                table[:, w] = _sample(f"{name}[{w}]", given[w], t_in, n)
    elif drive_torque_nm is not None or brake_torque_nm is not None:
        raise SpecError("<argument>", "controller", controller,
                        "'direct' when per-wheel drive/brake torques are given")

    try:
        soc_n = np.broadcast_to(np.asarray(soc, dtype=float), (n,))
    except (TypeError, ValueError):
        soc_n = None
    if soc_n is None or not np.all((soc_n >= 0.0) & (soc_n <= 1.0)):
        raise SpecError("<argument>", "soc", soc, f"a number or {n} numbers in [0, 1]")
    bp, dup, xe0, pt0, in_loop = pw.powertrain_tables(vehicle, params, soc_n)
    assert in_loop == in_loop_expected  # noqa: S101 - in_the_loop mirrors powertrain_tables
    sets, tyre_set = tyre_sets(tyre_params)

    v0 = kmh_to_mps(speed)
    radius = params[:, tt.PARAMETER_NAMES.index("wheel_radius_m")]
    x0 = np.zeros((n, tt.N_STATES))
    x0[:, tt.S_VX] = v0
    x0[:, tt.S_OMEGA:tt.S_OMEGA + 4] = (v0 / radius)[:, None]

    # the passive and direct controllers keep no state: one dummy row, nothing recorded
    cparams, cstate0 = np.zeros((n, 1)), np.zeros((n, 1))
    recorded_units, labels = (), {}
    if controller == "adm":
        cparams = adm.adm_parameters(vehicle, load_case, members=n)
        cstate0 = adm.adm_initial_state(cparams, params, x0)
        recorded_units, labels = adm.ADM_STATE_UNITS, adm.adm_labels(vehicle)
    kernel = _kernel_channels(controller)
    kernel_units = dict(zip(kernel,
                            tt.STATE_UNITS + tt.AUX_UNITS + cl.DRIVER_STATE_UNITS
                            + pw.CHANNEL_UNITS + recorded_units, strict=True))
    assert n_out == n_steps // out_every + 1  # noqa: S101 - _samples counts the same
    out = np.empty((picked.size, n, n_out))  # channel-major, the recorded channels only
    status = np.zeros(n, dtype=np.int64)
    end_time = np.zeros(n)
    end_state = np.zeros((n, tt.N_STATES))
    end_energy = np.zeros((n, pw.N_ENERGY_STATES))
    watched = np.array([kernel.index(c) for c in WATCHED], dtype=np.int64)
    extremes = np.empty((watched.size, n, 2))
    extremes[:, :, 0], extremes[:, :, 1] = np.inf, -np.inf
    # chunks share a tyre set (lanes read it as constants); members of similar speed share
    # chunks; neither this nor the chunk size changes results
    lanes = numerics.chunk_lanes or integrator.chunk_lanes(n)
    order = integrator.chunk_order(v0, tyre_set)
    integrator.integrate_batch(
        CONTROLLERS[controller], params, sets, tyre_set, x0, cparams, cstate0, dparams,
        dstate0, bp, dup, xe0, pt0, order, integrator.chunk_bounds(order, lanes, tyre_set),
        numba.get_num_threads(), 0.0, dt_in, steer, force, target, drive, brake, points, h,
        n_steps, out_every, numerics.low_speed_mps, numerics.stop_speed_mps,
        deg_to_rad(numerics.max_sideslip_deg), out, status, end_time, end_state, end_energy,
        picked, integrator.SCHEME_NAMES.index(numerics.scheme), extremes, watched)

    front_tyre, rear_tyre = (load_tyre(vehicle.tyres[axle].file) for axle in ("front", "rear"))
    recorded = dict(zip(kernel_names, out, strict=True))  # contiguous (N, T_out) blocks of out
    energy_j = {name: end_energy[:, pw.ENERGY_STATE_NAMES.index(name)].copy()
                for name in pw.ENERGY_NAMES}
    energy_j["kinetic_j"] = pw.kinetic_energy_j(params, end_state) \
        - pw.kinetic_energy_j(params, x0)
    # angles the kernel keeps as velocity ratios (no atan in the time loop)
    if "sideslip_rad" in names:
        recorded["sideslip_rad"] = np.arctan2(recorded["vy_mps"], np.abs(recorded["vx_mps"]))
    for w in _WHEELS:
        if f"slip_angle_{w}_rad" in names:
            recorded[f"slip_angle_{w}_rad"] = np.arctan(recorded[f"tan_slip_angle_{w}"])
    channels = {name: recorded[name] for name in names}
    units = {name: "rad" if name in DERIVED else kernel_units[name] for name in names}
    spans = _spans(extremes)
    step_flags, notes = _flags(spans, front_tyre.tir, rear_tyre.tir, lock_rad)
    step_flags = {f: v.any(axis=1) for f, v in step_flags.items()}
    empty = np.zeros((n, 0))  # for the tyre checks of channels not recorded (dropped below)
    flags, _ = _flags({c: channels.get(c, empty) for c in FLAG_CHANNELS.values()},
                      front_tyre.tir, rear_tyre.tir, lock_rad)
    flags = {f: flags[f] for f in flag_names}
    result = Result(
        time_s=np.arange(n_out) * out_every * h,
        channels=channels,
        units=units,
        status=np.array([tt.STATUS_NAMES[s] for s in status]),
        end_time_s=end_time,
        end_state={name: end_state[:, k] for k, name in enumerate(tt.STATE_NAMES)},
        labels={"vehicle": vehicle.name, "load_case": load_case, "controller": controller,
                "model": "two_track", "tyre_model": tyre_model,
                "steering": "path follower" if follow_path else "open loop",
                "speed": "speed controller" if control_speed else "open loop", **labels},
        parameters={name: params[:, k] for k, name in enumerate(tt.PARAMETER_NAMES)},
        flags=flags,
        flag_notes=notes,
        energy_j=energy_j,
        step_flags=step_flags,
        extremes=spans,
    )
    if strict or (strict is None and n == 1):
        result.raise_for_status()
    return result


simulate.output_bytes = output_bytes  # ``sim.simulate`` is the function: sim.simulate.output_bytes
simulate.channel_names = channel_names
