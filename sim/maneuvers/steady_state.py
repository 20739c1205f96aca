"""ISO 4138 steady-state circular driving: constant radius and constant speed.

Both methods run batch-first: every member of the vehicle batch times every test point is one
lane of one :func:`sim.simulate` call.

* :func:`constant_radius` -- the closed-loop driver (:mod:`sim.driver.closed_loop`) follows a
  circle of 40 m or 100 m at a set of **constant speeds** (ISO 4138 allows the speed to be
  raised in steps; each step here is its own run, which turns onto the circle at 70 % of its
  speed, reaches it in 4 s, settles for ``settle_s`` and is averaged over the
  last ``average_s``). A point counts as steady when the run ended normally, the speed is
  within 1 km/h of its target, the car is within ``max_offset_m`` of the circle (default
  the larger of 0.75 m and 2.5 % of the radius) and the
  steering wheel moved by less than 2 deg or 5 % over the averaging window; the highest lateral
  acceleration among steady points is the **maximum steady lateral acceleration** (a
  resolution of ``ay_step_mps2``; a point beyond it was not held).
* :func:`constant_speed` -- open-loop steering ramp, slow enough to be quasi-steady, at a speed
  held by the speed controller; points are read from the time history.

Metrics follow :mod:`sim.metrics` (``iso4138_constant_radius``, ``iso4138_constant_speed``):
understeer gradient U = d(delta_H / i_S)/d(a_y) - d(L/R)/d(a_y) [deg/g] in the linear range
(|a_y| <= 4 m/s²), the steering-wheel-angle gradient beside it [deg/(m/s²)], the sideslip
gradient [deg/g]. On the constant radius, the radius actually driven (R = v / r, a few
centimetres from the path) enters the Ackermann term, so tracking error does not bias U.
Definitions: REFERENCES.md 2.1 [K] (not checked against the text of ISO 4138:2021).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from sim import metrics
from sim.driver import Profile, ramp
from sim.driver.closed_loop import Driver, Path
from sim.errors import SpecError
from sim.maneuvers.base import ManeuverResult, check_controller, check_direction, repeat_members
from sim.simulate import Numerics, simulate
from sim.spec.vehicle import DEFAULT_LOAD_CASE, Vehicle, require_vehicle
from sim.units import GRAVITY_MPS2, deg_to_rad, rad_to_deg

_SOURCE = "<argument>"

#: Units of the metrics of :func:`constant_radius` and :func:`constant_speed`.
STEADY_STATE_UNITS = {
    "understeer_gradient_deg_per_g": "deg/g",
    "steering_wheel_angle_gradient_deg_per_mps2": "deg/(m/s²)",
    "sideslip_gradient_deg_per_g": "deg/g",
    "max_steady_lateral_acceleration_mps2": "m/s²",
    "max_steady_lateral_acceleration_g": "g",
    "speed_at_max_lateral_acceleration_kmh": "km/h",
    "fit_rms_deg": "deg",
    "steady_points": "-",
}


#: Constant radius: each run turns onto the circle at this fraction of its speed and reaches
#: the speed after ``_ENTRY_RAMP_S`` [s] (at full speed, the entry transient near the limit
#: excites a slow path-follower oscillation that takes longer than the settling time to die).
_ENTRY_SPEED_FRACTION = 0.7
_ENTRY_RAMP_S = 4.0

#: ISO 4138's linear range for the gradients [m/s²] (REFERENCES.md 2.1: typically 4 m/s²).
_LINEAR_RANGE_MPS2 = 4.0


#: The channels the metrics of :func:`constant_radius` and :func:`constant_speed` read (what
#: ``histories=False`` records).
CONSTANT_RADIUS_CHANNELS = ("steering_wheel_angle_rad", "ay_mps2", "yaw_rate_radps", "vx_mps",
                            "sideslip_rad", "driver_lateral_offset_m")
CONSTANT_SPEED_CHANNELS = ("ay_mps2", "steering_wheel_angle_rad", "sideslip_rad", "vx_mps")


def _put_fit(values: dict, i: int, cornering) -> None:
    """Member ``i``'s gradients from a :class:`sim.metrics.SteadyStateCornering` of one."""
    values["understeer_gradient_deg_per_g"][i] = cornering.understeer_gradient_deg_per_g[0]
    values["steering_wheel_angle_gradient_deg_per_mps2"][i] = \
        cornering.steering_wheel_angle_gradient_deg_per_mps2[0]
    values["sideslip_gradient_deg_per_g"][i] = cornering.sideslip_gradient_deg_per_g[0]
    values["fit_rms_deg"][i] = rad_to_deg(cornering.fit_residual_rms_rad[0])


def _positive(value, name: str, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not (math.isfinite(value) and 0.0 < value <= high):
        raise SpecError(_SOURCE, name, value, f"a number in (0, {high:g}]")
    return float(value)


#: Smallest circle of :func:`constant_radius` [m]; ISO 4138 itself asks for 30 m or more
#: (REFERENCES.md 2.1 [K]), smaller circles leave the path follower's and the tyres' range.
MIN_RADIUS_M = 10.0
#: Highest test speed :func:`sim.simulate` accepts [km/h].
MAX_SPEED_KMH = 400.0


def _check_radius(vehicle: Vehicle, radius: float, top_ay: float) -> None:
    """The circle must be drivable: at least :data:`MIN_RADIUS_M` and twice the turning
    radius at the steering lock (rear axle, kinematic), and its fastest test point
    sqrt(max_ay_mps2 R) within the simulator's speeds."""
    lock_rad = deg_to_rad(np.asarray(vehicle.steering.steering_wheel_lock_deg, dtype=float)
                          / np.asarray(vehicle.steering.ratio, dtype=float))
    turning = float(np.max(np.asarray(vehicle.geometry.wheelbase_m) / np.tan(lock_rad)))
    smallest = max(MIN_RADIUS_M, 2.0 * turning)
    if radius < smallest:
        raise SpecError(_SOURCE, "radius_m", radius,
                        f"a circle of at least {smallest:.3g} m: ISO 4138 circles are 30 m or "
                        f"more, and {vehicle.name or 'this car'} turns no tighter than "
                        f"{turning:.3g} m at its steering lock")
    fastest = math.sqrt(top_ay * radius) * 3.6
    if fastest > MAX_SPEED_KMH:
        most = (MAX_SPEED_KMH / 3.6) ** 2 / top_ay
        raise SpecError(_SOURCE, "radius_m", radius,
                        f"at most {most:.4g} m with max_ay_mps2 = {top_ay:g}: the fastest test "
                        f"point sqrt(a_y R) would be {fastest:.4g} km/h, above the "
                        f"{MAX_SPEED_KMH:g} km/h the simulator accepts (lower max_ay_mps2 or "
                        "the radius)")


def constant_radius(vehicle: Vehicle, *, radius_m: float = 40.0, direction="left",
                    controller: str = "passive", max_ay_mps2: float = 13.0,
                    ay_step_mps2: float = 0.25, settle_s: float = 8.0, average_s: float = 2.0,
                    max_offset_m: float | None = None, driver: Driver | None = None,
                    load_case: str = DEFAULT_LOAD_CASE, road_friction=1.0,
                    tyre_model: str = "mf61", numerics: Numerics | None = None,
                    histories: bool = True) -> ManeuverResult:
    """ISO 4138 constant-radius test of every member of ``vehicle``.

    Test points: lateral accelerations ``ay_step_mps2, 2 ay_step_mps2, ... <= max_ay_mps2``
    [m/s²], i.e. speeds ``sqrt(a_y R)``; each runs ``settle_s + average_s`` seconds on the
    circle (``Path.circle``, ``direction`` "left" or "right") with the speed controller at
    that speed. ``controller``: ``"passive"`` (module off) or ``"adm"``; the driver's gains are
    the same for every member and controller.

    Returns a :class:`ManeuverResult` ``"iso4138_constant_radius"``: metrics of
    :data:`STEADY_STATE_UNITS` per member; ``per_run`` the steady points (lateral acceleration,
    steering-wheel and road-wheel angle, sideslip, speed, steady flag) with ``run_labels`` the
    nominal a_y of each point; run set ``"points"`` (rows ``result_rows["points"]``).
    ``histories=False`` keeps only the channels the metrics read
    (:data:`CONSTANT_RADIUS_CHANNELS`): the same metrics, bit for bit, for less memory.
    """
    vehicle = require_vehicle(vehicle)
    sign = check_direction(direction)
    controller = check_controller(controller)
    radius = _positive(radius_m, "radius_m", 10_000.0)
    top = _positive(max_ay_mps2, "max_ay_mps2", 30.0)
    step = _positive(ay_step_mps2, "ay_step_mps2", top)
    _check_radius(vehicle, radius, top)
    settle = _positive(settle_s, "settle_s", 600.0)
    max_offset = max(0.75, 0.025 * radius) if max_offset_m is None \
        else _positive(max_offset_m, "max_offset_m", radius)
    window = _positive(average_s, "average_s", 600.0)
    numerics = numerics or Numerics()
    nominal_ay = np.arange(1, int(top / step + 1e-9) + 1) * step
    speeds_kmh = np.sqrt(nominal_ay * radius) * 3.6
    n, k = vehicle.batch_size, nominal_ay.size
    batch = repeat_members(vehicle, k)
    runs_kmh = np.tile(speeds_kmh, n)
    duration = _ENTRY_RAMP_S + settle + window
    # onto the circle at a lower speed, then up to the point's speed: a gentle entry
    target = Profile(np.array([0.0, _ENTRY_RAMP_S]),
                     runs_kmh[:, None] * np.array([[_ENTRY_SPEED_FRACTION, 1.0]]))
    laps = duration * speeds_kmh.max() / 3.6 / (2 * math.pi * radius) + 0.5
    res = simulate(batch, speed_kmh=_ENTRY_SPEED_FRACTION * runs_kmh, duration_s=duration,
                   controller=controller, path=Path.circle(radius, direction=sign, laps=laps),
                   target_speed_kmh=target,
                   driver=driver, load_case=load_case, road_friction=road_friction,
                   tyre_model=tyre_model, numerics=numerics, strict=False,
                   record=None if histories else CONSTANT_RADIUS_CHANNELS)
    last = res.time_s >= duration - window - 1e-9

    def mean(name):
        return np.nanmean(res.channels[name][:, last], axis=1).reshape(n, k)

    swa = mean("steering_wheel_angle_rad")
    ay, r, vx = mean("ay_mps2"), mean("yaw_rate_radps"), mean("vx_mps")
    beta = mean("sideslip_rad")
    steer_drift = np.ptp(res.channels["steering_wheel_angle_rad"][:, last], axis=1).reshape(n, k)
    offset = np.max(np.abs(res.channels["driver_lateral_offset_m"][:, last]), axis=1)
    steady = ((res.status == "ok") & (offset.reshape(-1) <= max_offset)).reshape(n, k) \
        & (np.abs(vx * 3.6 - speeds_kmh) <= 1.0) \
        & (steer_drift <= np.maximum(deg_to_rad(2.0), 0.05 * np.abs(swa)))
    ratio = res.parameters["steering_ratio"].reshape(n, k)[:, 0]
    wheelbase = (res.parameters["cg_to_front_axle_m"]
                 + res.parameters["cg_to_rear_axle_m"]).reshape(n, k)[:, 0]
    # delta - L/R with the radius actually driven: the understeer part of the steer angle
    driven_radius = np.abs(vx / np.where(r == 0.0, np.nan, r))
    understeer_angle = swa / ratio[:, None] - sign * wheelbase[:, None] / driven_radius
    values = {name: np.full(n, np.nan) for name in STEADY_STATE_UNITS}
    values["steady_points"] = steady.sum(axis=1)
    for i in range(n):
        use = steady[i] & (np.abs(ay[i]) <= _LINEAR_RANGE_MPS2)
        if np.unique(ay[i, use]).size >= 2:
            _put_fit(values, i, metrics.iso4138_constant_radius(
                ay[i, use], road_wheel_angle_rad=understeer_angle[i, use],
                steering_ratio=ratio[i], sideslip_rad=beta[i, use],
                linear_range_mps2=_LINEAR_RANGE_MPS2))
    held = np.where(steady, np.abs(ay), -np.inf)
    best = np.argmax(held, axis=1)
    has = np.isfinite(held.max(axis=1))
    values["max_steady_lateral_acceleration_mps2"] = np.where(has, held.max(axis=1), np.nan)
    values["max_steady_lateral_acceleration_g"] = \
        values["max_steady_lateral_acceleration_mps2"] / GRAVITY_MPS2
    values["speed_at_max_lateral_acceleration_kmh"] = np.where(has, speeds_kmh[best], np.nan)
    per_run = {"lateral_acceleration_mps2": ay, "steering_wheel_angle_deg": rad_to_deg(swa),
               "road_wheel_angle_deg": rad_to_deg(swa / ratio[:, None]),
               "sideslip_deg": rad_to_deg(beta), "speed_kmh": vx * 3.6, "steady": steady}
    units = dict(STEADY_STATE_UNITS, lateral_acceleration_mps2="m/s²",
                 steering_wheel_angle_deg="deg", road_wheel_angle_deg="deg", sideslip_deg="deg",
                 speed_kmh="km/h", steady="-")
    return ManeuverResult(
        "iso4138_constant_radius", {"points": res}, values, units,
        labels={"vehicle": vehicle.name, "controller": controller, "radius_m": radius,
                "direction": "left" if sign > 0 else "right",
                "method": "constant radius, speed in steps (one run per step)"},
        per_run=per_run, run_labels=tuple(f"a_y {a:g} m/s²" for a in nominal_ay),
        result_rows={"points": np.arange(n * k).reshape(n, k)})


def constant_speed(vehicle: Vehicle, *, speed_kmh: float = 100.0, direction="left",
                   controller: str = "passive", steer_rate_deg_per_s: float = 5.0,
                   max_steering_wheel_angle_deg: float = 90.0, driver: Driver | None = None,
                   load_case: str = DEFAULT_LOAD_CASE, road_friction=1.0,
                   tyre_model: str = "mf61", numerics: Numerics | None = None,
                   histories: bool = True) -> ManeuverResult:
    """ISO 4138 constant-speed test: at ``speed_kmh`` held by the speed controller, the
    steering-wheel angle rises slowly (``steer_rate_deg_per_s``, 5 deg/s: quasi-steady) from 0
    to ``max_steering_wheel_angle_deg``; every 0.1 s of the ramp is a point. The radius changes
    from point to point, so the Ackermann term L a_y / v² is removed
    (:func:`sim.metrics.iso4138_constant_speed`). The run ends early (and the points with it)
    when the car spins out. Metrics as :func:`constant_radius`; the maximum lateral
    acceleration is the largest reached on the ramp (quasi-steady). ``histories=False``
    keeps only the channels the metrics read (:data:`CONSTANT_SPEED_CHANNELS`)."""
    vehicle = require_vehicle(vehicle)
    sign = check_direction(direction)
    controller = check_controller(controller)
    speed = _positive(speed_kmh, "speed_kmh", 400.0)
    rate = _positive(steer_rate_deg_per_s, "steer_rate_deg_per_s", 100.0)
    top = _positive(max_steering_wheel_angle_deg, "max_steering_wheel_angle_deg", 900.0)
    numerics = numerics or Numerics()
    duration = round((1.0 + top / rate) / numerics.output_interval_s) * numerics.output_interval_s
    n = vehicle.batch_size
    speeds = np.full(n, speed)
    profile = ramp(deg_to_rad(sign * rate), 1.0, duration_s=duration)
    res = simulate(vehicle, speed_kmh=speeds,
                   duration_s=duration, steering_wheel_angle_rad=profile, controller=controller,
                   target_speed_kmh=speeds, driver=driver, load_case=load_case,
                   road_friction=road_friction, tyre_model=tyre_model, numerics=numerics,
                   strict=False, record=None if histories else CONSTANT_SPEED_CHANNELS)
    take = np.arange(n)
    pick = (res.time_s >= 1.0) & (np.round(res.time_s / 0.1, 6) % 1 == 0)
    ay = res.channels["ay_mps2"][take][:, pick]
    swa = res.channels["steering_wheel_angle_rad"][take][:, pick]
    beta = res.channels["sideslip_rad"][take][:, pick]
    vx = res.channels["vx_mps"][take][:, pick]
    ratio = res.parameters["steering_ratio"][take]
    wheelbase = (res.parameters["cg_to_front_axle_m"] + res.parameters["cg_to_rear_axle_m"])[take]
    values = {name: np.full(n, np.nan) for name in STEADY_STATE_UNITS}
    finite = np.isfinite(ay) & (np.abs(ay) > 0.05)  # leave out the straight-ahead start
    values["steady_points"] = finite.sum(axis=1)
    for i in range(n):
        use = finite[i] & (np.abs(ay[i]) <= _LINEAR_RANGE_MPS2)
        if use.sum() >= 2:
            _put_fit(values, i, metrics.iso4138_constant_speed(
                ay[i, use], vx[i, use][None, :], wheelbase_m=wheelbase[i],
                steering_wheel_angle_rad=swa[i, use], steering_ratio=ratio[i],
                sideslip_rad=beta[i, use], linear_range_mps2=_LINEAR_RANGE_MPS2))
    peak = np.nanmax(np.abs(ay), axis=1)
    values["max_steady_lateral_acceleration_mps2"] = peak
    values["max_steady_lateral_acceleration_g"] = peak / GRAVITY_MPS2
    values["speed_at_max_lateral_acceleration_kmh"] = np.full(n, speed)
    return ManeuverResult(
        "iso4138_constant_speed", {"ramp": res}, values, dict(STEADY_STATE_UNITS),
        labels={"vehicle": vehicle.name, "controller": controller, "speed_kmh": speed,
                "direction": "left" if sign > 0 else "right",
                "method": f"constant speed, steering ramp {rate:g} deg/s"})


__all__ = ["STEADY_STATE_UNITS", "constant_radius", "constant_speed"]
