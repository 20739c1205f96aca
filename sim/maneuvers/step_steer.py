"""ISO 7401 step steer: lateral transient response to a fast steering-wheel step.

Definitions: REFERENCES.md 2.2, tagged [K] there (ISO 7401:2011 as summarised from knowledge,
**not checked against the standard's text**). Metrics come from
:func:`sim.metrics.iso7401_step_steer`.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from sim import metrics
from sim.driver.open_loop import iso7401_step_steer
from sim.errors import SpecError
from sim.maneuvers.base import (
    ManeuverResult,
    check_controller,
    check_direction,
    check_speed_kmh,
    resistance_force_n,
    run_set,
)
from sim.params import linear_single_track
from sim.simulate import Numerics
from sim.spec.vehicle import DEFAULT_LOAD_CASE, Vehicle, require_vehicle
from sim.units import kmh_to_mps, rad_to_deg

__all__ = ["STEP_STEER_UNITS", "find_step_steer_amplitude_deg", "step_steer"]

_SOURCE = "<argument>"
#: Time the steering-wheel ramp begins [s] (straight running before it).
STEER_START_S = 0.5

#: Units of the metrics of :func:`step_steer`.
STEP_STEER_UNITS = {
    "steering_wheel_amplitude_deg": "deg",
    "steady_lateral_acceleration_mps2": "m/s²",
    "steady_yaw_rate_deg_per_s": "deg/s",
    "final_speed_kmh": "km/h",
    "yaw_rate_response_time_s": "s",
    "yaw_rate_peak_response_time_s": "s",
    "yaw_rate_overshoot": "-",
    "lateral_acceleration_response_time_s": "s",
    "lateral_acceleration_peak_response_time_s": "s",
    "lateral_acceleration_overshoot": "-",
    "yaw_rate_gain_per_s": "1/s",
    "lateral_acceleration_gain_mps2_per_rad": "m/s²/rad",
    "steady_sideslip_deg": "deg",
    "tb_factor_deg_s": "deg·s",
    "steady_state_relative_spread": "-",
    "run_ok": "-",
    "spun_out": "-",
    "target_reached": "-",
}


#: The channels the step-steer metrics read (what ``histories=False`` records).
METRIC_CHANNELS = ("yaw_rate_radps", "ay_mps2", "sideslip_rad", "vx_mps")


def _check_positive(value, name: str, high: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not math.isfinite(value) or not 0.0 < value <= high:
        raise SpecError(_SOURCE, name, value, f"one number in (0, {high:g}]")
    return float(value)


def _steady(res, channel: str, window_s: float) -> np.ndarray:
    """Mean of ``channel`` over the last ``window_s`` of each member (NaN if it failed)."""
    last = res.time_s >= res.time_s[-1] - window_s - 1e-9
    return res[channel][:, last].mean(axis=1)


def find_step_steer_amplitude_deg(vehicle: Vehicle, *, speed_kmh: float = 80.0,
                                  target_ay_mps2: float = 4.0, direction="left",
                                  rate_deg_per_s: float = 400.0, duration_s: float = 4.0,
                                  steady_window_s: float = 1.0, tolerance: float = 0.01,
                                  max_iterations: int = 4, load_case: str = DEFAULT_LOAD_CASE,
                                  road_friction=1.0, tyre_model: str = "mf61",
                                  linear_tyre_stiffness=None, numerics: Numerics | None = None,
                                  record=None):
    """Steering-wheel amplitude [deg] that gives ``target_ay_mps2`` steady with the module off.

    Always ``controller="passive"`` (ISO 7401 amplitudes are found for the car as it is; issue
    5 holds them fixed when the module is switched on). Start: the linear single-track
    estimate ``delta_H = i_S (L + K u²) a_y / u²`` (:func:`sim.params.linear_single_track`).
    Each iteration is **one** :func:`sim.simulate` call over the batch (the same step steer as
    the maneuver, ``duration_s`` long, speed held as in :func:`step_steer`) measuring the steady
    a_y (mean over the last ``steady_window_s``); the next amplitude is the secant through the
    last two (amplitude, a_y) points, the first correction the secant through the origin
    (a_y proportional to the angle). Members stop when |a_y / target - 1| <= ``tolerance``
    (default 1 %), at most ``max_iterations`` runs (2-3 suffice on the built-in cars).

    Returns ``(amplitude_deg (N,), steady_ay_mps2 (N,), iterations (N,), result)``: the signed
    amplitude (positive left), the steady a_y it gave, how many runs each member took, and the
    last run's :class:`sim.Result`. A member that spins out keeps its last finite amplitude
    and has NaN a_y (its ``result.status`` says why). ``record``: the channels the runs keep
    (None: all; ``ay_mps2`` is always kept, the search reads it).
    """
    vehicle = require_vehicle(vehicle)
    sign = check_direction(direction)
    speed = check_speed_kmh(speed_kmh)
    target = _check_positive(target_ay_mps2, "target_ay_mps2", 30.0)
    tol = _check_positive(tolerance, "tolerance", 0.5)
    lin = linear_single_track(vehicle, load_case)
    from sim.chassis.linear import understeer_gradient_rad_per_mps2

    u = kmh_to_mps(speed)
    k = understeer_gradient_rad_per_mps2(lin)
    ratio = np.broadcast_to(np.asarray(vehicle.steering.ratio, dtype=float), k.shape)
    amp = rad_to_deg(ratio * (lin.wheelbase_m + k * u * u) * target / (u * u))
    lock = np.broadcast_to(np.asarray(vehicle.steering.steering_wheel_lock_deg, dtype=float),
                           k.shape)
    amp = np.clip(amp, 1.0, np.minimum(360.0, lock))
    force = resistance_force_n(vehicle, u, load_case)
    n = amp.size
    done = np.zeros(n, dtype=bool)
    iterations = np.zeros(n, dtype=np.int64)
    prev_amp = np.zeros(n)
    prev_ay = np.zeros(n)
    ay = np.full(n, np.nan)
    res = None
    for _ in range(int(max_iterations)):
        profile = iso7401_step_steer(sign * amp, rate_deg_per_s, STEER_START_S,
                                     duration_s=duration_s)
        res, _ = run_set(vehicle, 1, speed_kmh=speed, duration_s=duration_s,
                         steering_wheel_angle_rad=profile, force_demand_n=force,
                         controller="passive", load_case=load_case, road_friction=road_friction,
                         tyre_model=tyre_model, linear_tyre_stiffness=linear_tyre_stiffness,
                         numerics=numerics,
                         record=None if record is None else ("ay_mps2", *record))
        iterations += ~done
        ay_now = sign * _steady(res, "ay_mps2", steady_window_s)
        ay = np.where(done, ay, ay_now)
        done |= ~np.isfinite(ay_now) | (np.abs(ay_now / target - 1.0) <= tol)
        if done.all():
            break
        moved = (prev_amp > 0.0) & (amp != prev_amp)
        slope = np.where(moved, (ay_now - prev_ay) / np.where(moved, amp - prev_amp, 1.0),
                         ay_now / amp)
        slope = np.where(slope > 0.0, slope, ay_now / amp)  # past the limit: back to the origin
        new = np.clip(amp + (target - ay_now) / slope, 0.25 * amp, 4.0 * amp)
        prev_amp, prev_ay = amp, ay_now
        done |= (amp >= lock) & (new >= lock)  # at the lock and asking for more: unreachable
        amp = np.where(done, amp, np.minimum(new, lock))  # never beyond the steering lock
    return sign * amp, sign * ay, iterations, res


def step_steer(vehicle: Vehicle, *, speed_kmh: float = 80.0, target_ay_mps2: float = 4.0,
               direction="left", controller: str = "passive",
               steering_wheel_amplitude_deg=None, rate_deg_per_s: float = 400.0,
               duration_s: float = 4.0, steady_window_s: float = 1.0, tolerance: float = 0.01,
               load_case: str = DEFAULT_LOAD_CASE, road_friction=1.0, tyre_model: str = "mf61",
               linear_tyre_stiffness=None, numerics: Numerics | None = None,
               histories: bool = True) -> ManeuverResult:
    """ISO 7401 step steer of every member of ``vehicle``, one :func:`sim.simulate` call.

    The car runs straight at ``speed_kmh`` (80 km/h), then at ``STEER_START_S`` = 0.5 s the
    steering wheel is turned at ``rate_deg_per_s`` (400 deg/s, a steering robot's rate; ISO 7401
    asks for "as fast as possible") to the amplitude that gives ``target_ay_mps2`` (4 m/s²) in
    steady state, and held until ``duration_s``. The longitudinal force demand is held at the
    driving resistance at the entry speed (drag + rolling resistance,
    :func:`sim.maneuvers.base.resistance_force_n`) so the speed stays close to constant; in the
    turn the cornering drag slows the car slightly (reported as ``final_speed_kmh``).

    Amplitude: ``steering_wheel_amplitude_deg`` (scalar or (N,); its magnitude is used and
    ``direction`` gives the sign, so the signed ``steering_wheel_amplitude_deg`` metric of a
    module-off result can be passed back as it is) when given, else
    found for the **module-off** car by :func:`find_step_steer_amplitude_deg` (secant on the
    steady a_y, tolerance ``tolerance``); with ``controller`` other than ``"passive"`` the
    passive amplitude is found first and held fixed, so differences come from the controller.

    Metrics (:func:`sim.metrics.iso7401_step_steer`, definitions REFERENCES.md 2.2 [K], not
    checked against the text of ISO 7401): time origin t0 = 50 % of the final steering-wheel
    angle; response time = t0 to 90 % of the steady value; peak response time = t0 to the
    peak (``inf`` with overshoot 0 for a response without a peak); overshoot
    (peak - steady)/steady; steady-state gains per rad of steering-wheel angle; TB factor
    T_P(r) |beta_ss| [deg s]. Steady state = mean over the last ``steady_window_s``. Signs:
    ``direction`` "left" (+1) or "right" (-1); amplitudes, steady values, yaw rate and sideslip
    are signed (ISO 8855, left positive); times, gains and overshoots are the same for both.
    A member that spins out or stops has NaN metrics and ``run_ok`` False (``spun_out`` True
    when that was the reason): flagged, never raised. A member whose target a_y was **not
    reached** (the search ended, at the steering lock or after ``max_iterations`` runs, more
    than ``tolerance`` from it) has ``target_reached`` False and NaN metrics, amplitude
    included: the amplitude the search stopped at is not an answer (it is in the run set and
    in ``labels["amplitude_tried_deg"]``).

    ``histories=False`` keeps only the channels the metrics read (:data:`METRIC_CHANNELS`;
    the run set's Result then holds those, and flags for them only): the metrics are the
    same, bit for bit, for a fraction of the memory (studies).

    Returns a :class:`ManeuverResult` named ``"iso7401_step_steer"`` with the run set
    ``"run"`` and the metrics of :data:`STEP_STEER_UNITS`.
    """
    vehicle = require_vehicle(vehicle)
    sign = check_direction(direction)
    speed = check_speed_kmh(speed_kmh)
    controller = check_controller(controller)
    duration = _check_positive(duration_s, "duration_s", 600.0)
    window = _check_positive(steady_window_s, "steady_window_s", duration)
    rate = _check_positive(rate_deg_per_s, "rate_deg_per_s", 1e5)
    record = None if histories else METRIC_CHANNELS
    common = dict(load_case=load_case, road_friction=road_friction, tyre_model=tyre_model,
                  linear_tyre_stiffness=linear_tyre_stiffness, numerics=numerics)
    n = vehicle.batch_size
    found = None
    if steering_wheel_amplitude_deg is None:
        amp, ay_found, iterations, last = find_step_steer_amplitude_deg(
            vehicle, speed_kmh=speed, target_ay_mps2=target_ay_mps2, direction=sign,
            rate_deg_per_s=rate, duration_s=duration, steady_window_s=window,
            tolerance=tolerance, record=record, **common)
        found = "found (module off)"
        res = last if controller == "passive" else None
        with np.errstate(invalid="ignore"):
            reached = np.abs(sign * ay_found / float(target_ay_mps2) - 1.0) <= tolerance
    else:
        try:
            given = np.abs(np.asarray(steering_wheel_amplitude_deg, dtype=float))
        except (TypeError, ValueError):
            given = np.array(np.nan)
        if given.ndim > 1 or given.size not in (1, n) or not np.all(np.isfinite(given)) \
                or not np.all(given > 0.0):
            raise SpecError(_SOURCE, "steering_wheel_amplitude_deg", steering_wheel_amplitude_deg,
                            f"a non-zero angle [deg] (its magnitude is used), one number or one "
                            f"per member ({n})")
        amp = sign * np.broadcast_to(given.reshape(-1), (n,)).copy()
        iterations = np.zeros(n, dtype=np.int64)
        found = "given"
        res = None
        reached = np.ones(n, dtype=bool)  # no target to reach
    profile = iso7401_step_steer(amp, rate, STEER_START_S, duration_s=duration)
    if res is None:
        force = resistance_force_n(vehicle, kmh_to_mps(speed), load_case)
        res, _ = run_set(vehicle, 1, speed_kmh=speed, duration_s=duration,
                         steering_wheel_angle_rad=profile, force_demand_n=force,
                         controller=controller, record=record, **common)

    values = {k: np.full(n, np.nan) for k in STEP_STEER_UNITS}
    ok = res.ok & (res.status == "ok")
    values["run_ok"] = ok
    values["spun_out"] = res.status == "spun out"
    values["target_reached"] = reached
    values["steering_wheel_amplitude_deg"] = np.where(reached, amp, np.nan)
    rows = np.flatnonzero(ok & reached)
    if rows.size:
        t = res.time_s
        swa = profile.sample(t)[rows]
        sub = {c: res[c][rows] for c in ("yaw_rate_radps", "ay_mps2", "sideslip_rad", "vx_mps")}
        yaw = metrics.iso7401_step_steer(t, swa, sub["yaw_rate_radps"],
                                         sideslip_rad=sub["sideslip_rad"], steady_window_s=window)
        lat = metrics.iso7401_step_steer(t, swa, sub["ay_mps2"], steady_window_s=window)
        put = {
            "steady_lateral_acceleration_mps2": lat.steady_state_value,
            "steady_yaw_rate_deg_per_s": rad_to_deg(yaw.steady_state_value),
            "final_speed_kmh": sub["vx_mps"][:, -1] * 3.6,
            "yaw_rate_response_time_s": yaw.response_time_s,
            "yaw_rate_peak_response_time_s": yaw.peak_response_time_s,
            "yaw_rate_overshoot": yaw.overshoot,
            "lateral_acceleration_response_time_s": lat.response_time_s,
            "lateral_acceleration_peak_response_time_s": lat.peak_response_time_s,
            "lateral_acceleration_overshoot": lat.overshoot,
            "yaw_rate_gain_per_s": yaw.steady_state_gain_per_rad,
            "lateral_acceleration_gain_mps2_per_rad": lat.steady_state_gain_per_rad,
            "steady_sideslip_deg": rad_to_deg(yaw.sideslip_steady_state_rad),
            "tb_factor_deg_s": yaw.tb_factor_deg_s,
            "steady_state_relative_spread": np.maximum(yaw.steady_state_relative_spread,
                                                       lat.steady_state_relative_spread),
        }
        for key, value in put.items():
            values[key][rows] = value
    labels = {"vehicle": vehicle.name, "controller": controller, "speed_kmh": speed,
              "target_ay_mps2": float(target_ay_mps2), "direction": "left" if sign > 0
              else "right", "rate_deg_per_s": rate, "amplitude": found,
              "amplitude_iterations": iterations.tolist(), "amplitude_tried_deg": amp.tolist(),
              "load_case": load_case,
              "tyre_model": tyre_model, "definition": "ISO 7401:2011 step input [K]"}
    return ManeuverResult("iso7401_step_steer", {"run": res}, values, dict(STEP_STEER_UNITS),
                          labels, inputs={"run": profile})
