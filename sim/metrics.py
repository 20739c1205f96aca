"""Standard vehicle-dynamics metrics, computed from time histories only (no simulation inside).

Each metric reads recorded signals and returns one value per batch member:

* :func:`iso7401_step_steer` -- ISO 7401 step steer: time origin, response time, peak response
  time, overshoot, steady-state gain, TB factor.
* :func:`iso4138_constant_radius`, :func:`iso4138_constant_speed` -- ISO 4138 steady-state
  circular driving: understeer gradient, steering-wheel-angle gradient, sideslip gradient.
* :func:`fmvss126_sine_with_dwell`, :func:`fmvss126_slowly_increasing_steer` -- FMVSS 126
  (49 CFR 571.126) sine with dwell: BOS, COS, yaw-rate ratios, lateral displacement, verdict;
  the reference angle A of the Slowly Increasing Steer test.
* :func:`time_to_speed_s`, :func:`stopping_distance_m`, :func:`top_speed` -- straight line.

Conventions
-----------
* **Batch first.** Time histories are ``(N, T)`` arrays sampled at ``time_s`` ``(T,)``
  (strictly increasing, finite); a ``(T,)`` history is a batch of one, and a history with one
  row is shared by every member. Steady-state points (ISO 4138) are ``(N, K)``. Every metric
  returns ``(N,)`` arrays (or a frozen dataclass of them).
* **A Result instead of arrays.** The first argument may be a :class:`sim.result.Result`: its
  ``time_s`` is used, and every signal argument may then be a channel name (the defaults, e.g.
  ``"yaw_rate_radps"``, ``"ay_mps2"``, ``"vx_mps"``). A signal argument may also be an object
  with ``sample(time_s) -> (N, T)`` such as a :class:`sim.driver.open_loop.Profile`, which is
  sampled at the output times (the way to pass the steering-wheel angle a run was driven with).
* **SI units and ISO 8855 signs** (x forward, y left; yaw rate, lateral acceleration and
  steering angle positive to the left). Every metric works for left and right manoeuvres: a
  right-hand manoeuvre gives the mirror image (same magnitudes, signs as documented per field).
* **No silent NaN.** Bad input (wrong shape, non-finite samples, a record too short for the
  definition, an event that never happens) raises :class:`sim.errors.SpecError` naming the
  argument, the first offending member and what is missing. A quantity that does not exist for
  a member by the standard's own logic (the peak response time of a response without
  overshoot) is ``inf`` with a flag, as documented on the field. A member of a
  :class:`~sim.result.Result` that failed early has NaN samples after its end: select members
  with ``Result.ok`` before measuring; only the straight-line helpers accept NaN *after* a
  member's end (a braking run that stopped), treating the last finite sample as its end, and
  :func:`fmvss126_sine_with_dwell`, which reports such a run failed with a ``spun_out`` flag.
* Simulation data are noise-free, so nothing is filtered here. Where a standard prescribes
  filtering or zeroing of measured data, the docstring says so.

Sources: REFERENCES.md sections 2.1 (ISO 4138), 2.2 (ISO 7401), 2.3 (FMVSS 126) and 4. The
ISO texts and 49 CFR 571.126 were not readable there: definitions tagged [K] (textbook or
standard content quoted from knowledge) or [S] (secondary sources) are marked so below and
should be checked against the standards' text before being used as hard pass/fail thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.errors import SpecError
from sim.result import Result
from sim.units import GRAVITY_MPS2, KMH_PER_MPS, per_mps2_to_deg_per_g, rad_to_deg

__all__ = [
    "FMVSS126_DISPLACEMENT_TIME_S",
    "FMVSS126_HEAVY_GVWR_KG",
    "FMVSS126_MIN_DISPLACEMENT_HEAVY_M",
    "FMVSS126_MIN_DISPLACEMENT_M",
    "FMVSS126_RATIO_1000MS_MAX",
    "FMVSS126_RATIO_1750MS_MAX",
    "SineWithDwellMetrics",
    "SlowlyIncreasingSteer",
    "SteadyStateCornering",
    "StepSteerMetrics",
    "TopSpeed",
    "fmvss126_sine_with_dwell",
    "fmvss126_slowly_increasing_steer",
    "iso4138_constant_radius",
    "iso4138_constant_speed",
    "iso7401_step_steer",
    "stopping_distance_m",
    "time_to_speed_s",
    "top_speed",
]

_SOURCE = "<argument>"
_DEG = np.pi / 180.0

#: FMVSS 126 lateral stability: yaw rate 1.000 s after COS at most this fraction of the peak.
#: The thresholds below are REFERENCES.md 2.3 ([K], cross-checked against secondary sources [S]).
FMVSS126_RATIO_1000MS_MAX = 0.35
#: FMVSS 126 lateral stability: yaw rate 1.750 s after COS at most this fraction of the peak.
FMVSS126_RATIO_1750MS_MAX = 0.20
#: FMVSS 126 responsiveness: the lateral displacement is taken this long after BOS [s].
FMVSS126_DISPLACEMENT_TIME_S = 1.07
#: Minimum lateral displacement [m] for GVWR <= :data:`FMVSS126_HEAVY_GVWR_KG`.
FMVSS126_MIN_DISPLACEMENT_M = 1.83
#: Minimum lateral displacement [m] for GVWR above :data:`FMVSS126_HEAVY_GVWR_KG`.
FMVSS126_MIN_DISPLACEMENT_HEAVY_M = 1.52
#: GVWR [kg] above which the lower displacement threshold applies.
FMVSS126_HEAVY_GVWR_KG = 3500.0
#: Relative tolerance of the "amplitude >= 5 A" test (steering angles pass through degree and
#: radian conversions and may be stored in single precision).
_AMPLITUDE_RTOL = 1e-6


# =============================================================================================
# ISO 7401 step steer
# =============================================================================================
@dataclass(frozen=True, eq=False)
class StepSteerMetrics:
    """ISO 7401 step-steer metrics of one response channel, each field ``(N,)``.

    "Response unit" is the unit of the response channel (rad/s for the yaw rate, m/s² for the
    lateral acceleration). Times are measured from the time origin t0.
    """

    #: Time origin t0 [s]: first instant the steering-wheel angle has made 50 % of its change
    #: (from its value before the step to its final value).
    time_origin_s: np.ndarray
    #: Final steering-wheel angle [rad] (mean over the steady-state window; signed, left > 0).
    final_steering_wheel_angle_rad: np.ndarray
    #: Steady-state response (mean over the steady-state window) [response unit], signed.
    steady_state_value: np.ndarray
    #: (max - min) / |steady state| over the steady-state window [-]: near 0 for a steady
    #: state, large for a response still drifting or oscillating (then the metrics mean little).
    steady_state_relative_spread: np.ndarray
    #: Change of the response / change of the steering-wheel angle over the step [response
    #: unit per rad] (from the values before the step to the steady state); the same sign
    #: for left and right steps.
    steady_state_gain_per_rad: np.ndarray
    #: Response time T_R [s]: t0 to the first instant at or after t0 the response has made
    #: 90 % of its change (linear interpolation); >= 0 by construction.
    response_time_s: np.ndarray
    #: Peak response time T_P [s]: t0 to the response peak; ``inf`` when ``has_peak`` is False.
    peak_response_time_s: np.ndarray
    #: Response peak [response unit], signed; equals ``steady_state_value`` when there is no
    #: peak, so ``overshoot = (peak_value - steady) / steady`` holds for every member.
    peak_value: np.ndarray
    #: Overshoot (peak - steady) / (steady - initial) [-], >= 0; 0 when ``has_peak`` is False.
    overshoot: np.ndarray
    #: True where the response has a peak: its maximum (in the direction of the steady state)
    #: after t0 exceeds every sample of the steady-state window (so it lies before it). False
    #: for an overdamped (monotone) response, whose maximum is in the window.
    has_peak: np.ndarray
    #: Steady-state sideslip at the CG [rad] (mean over the window), when sideslip was given.
    sideslip_steady_state_rad: np.ndarray | None = None
    #: TB factor T_P x |beta_ss - beta_0| [deg s] (the sideslip's change over the step), when
    #: sideslip was given; meaningful when the response is the yaw rate (T_P(r) x beta_ss).
    #: ``inf`` where there is no peak.
    tb_factor_deg_s: np.ndarray | None = None
    #: Steering-wheel angle before the step [rad] (the reference level of the input).
    initial_steering_wheel_angle_rad: np.ndarray | None = None
    #: Response before the step [response unit] (the reference level of every response
    #: metric): the value at the last sample before the steering wheel leaves its initial
    #: angle (by more than 1 % of the step).
    initial_value: np.ndarray | None = None


def iso7401_step_steer(time_s, steering_wheel_angle_rad="steering_wheel_angle_rad",
                       response="yaw_rate_radps", *, sideslip_rad=None,
                       steady_window_s: float = 1.0) -> StepSteerMetrics:
    """ISO 7401 step-steer metrics of a response (yaw rate or lateral acceleration).

    Definitions (ISO 7401:2011 as summarised in REFERENCES.md 2.2, tagged [K]: not checked
    against the standard's text):

    * final steering-wheel angle delta_H,f and steady-state response y_ss: means over the
      last ``steady_window_s`` seconds of the record (the window must start after t0);
    * **levels relative to the change**: the step may start from a steady curve (non-zero
      steering and response before it, as ISO 7401 allows). The values before the step,
      delta_H,0 and y_0, are those at the last sample before the steering wheel leaves its
      first recorded angle by more than 1 % of the step; every level below is measured from
      them (for a start in straight running they are zero and nothing changes);
    * time origin t0: first instant delta_H has made half its change,
      delta_H,0 + 0.5 (delta_H,f - delta_H,0) (linear interpolation);
    * response time T_R: from t0 to the first instant **at or after t0** y has made 90 % of
      its change, y_0 + 0.9 (y_ss - y_0) (interpolated; so T_R >= 0);
    * peak response time T_P: from t0 to the maximum of y after t0 (the sampled maximum:
      resolution is the sample spacing), and overshoot U = (y_max - y_ss) / (y_ss - y_0);
    * steady-state gain (y_ss - y_0) / (delta_H,f - delta_H,0); TB factor T_P(r) beta_ss
      (reported as T_P |beta_ss - beta_0| in deg s, the magnitude of the sideslip's change).

    An overdamped response has no peak: its maximum is still rising in the steady-state window.
    The convention here: ``has_peak`` False, ``peak_response_time_s = inf``, ``overshoot = 0``,
    ``tb_factor_deg_s = inf``. A peak is recognised when the maximum after t0 exceeds every
    sample of the window. Signs: left and right steps give the
    same times, gains and overshoots; values carry the sign of the step.

    Parameters
    ----------
    time_s : (T,) array [s] or Result
    steering_wheel_angle_rad : (N, T) array [rad], profile, or channel name
        Steering-wheel angle, positive left. The final angle must be non-zero.
    response : (N, T) array or channel name
        Yaw rate [rad/s] or lateral acceleration [m/s²] (any unit; gains are per rad).
    sideslip_rad : (N, T) array or channel name, optional
        Sideslip at the CG [rad]; gives ``sideslip_steady_state_rad`` and ``tb_factor_deg_s``.
    steady_window_s : float
        Length of the final window that defines the steady state [s], > 0 (default 1 s).
    """
    channels = {"steering_wheel_angle_rad": steering_wheel_angle_rad, "response": response}
    if sideslip_rad is not None:
        channels["sideslip_rad"] = sideslip_rad
    t, h = _histories(time_s, channels)
    swa, y = h["steering_wheel_angle_rad"], h["response"]
    win, win_start = _final_window(t, steady_window_s, "steady_window_s")

    final = swa[:, win].mean(axis=1)
    first = swa[:, 0]
    change = final - first
    scale = np.maximum(np.abs(final), np.abs(first))
    change = np.where(np.abs(change) <= 1e-9 * scale, 0.0, change)  # rounding of a constant
    _require_nonzero(change, "steering_wheel_angle_rad",
                     "its final value (mean over the steady-state window) must differ from its "
                     "value before the step: there is no step to measure")
    sign_in = np.sign(change)
    moved = sign_in[:, None] * (swa - first[:, None]) > 0.01 * np.abs(change)[:, None]
    k_before = np.maximum(np.argmax(moved, axis=1) - 1, 0)  # last sample before the step
    rows = np.arange(swa.shape[0])
    initial_swa = swa[rows, k_before]
    change = final - initial_swa
    _require_nonzero(change, "steering_wheel_angle_rad",
                     "its final value must differ from its value before the step")
    t0, _ = _first_reach(t, sign_in[:, None] * (swa - initial_swa[:, None]),
                         0.5 * np.abs(change))
    late = np.flatnonzero(t0 >= win_start)
    if late.size:
        i = int(late[0])
        raise SpecError(_SOURCE, "steady_window_s", steady_window_s,
                        f"member {i}: the steady-state window starts at {win_start:.6g} s, not "
                        f"after the time origin t0 = {t0[i]:.6g} s; record longer after the step "
                        "or shorten the window")

    steady = y[:, win].mean(axis=1)
    initial = y[rows, k_before]
    _require_nonzero(steady - initial, "response",
                     "its steady-state value (mean over the steady-state window) must differ "
                     "from its value before the step: there is no response to measure")
    sign = np.sign(steady - initial)
    mag = np.abs(steady - initial)
    z = sign[:, None] * (y - initial[:, None])  # the change, in the direction of the step
    z_win = z[:, win]
    spread = (z_win.max(axis=1) - z_win.min(axis=1)) / mag

    # searched from t0 on; 90 % is always reached: the window holds a sample >= its mean.
    after = t[None, :] >= t0[:, None]
    t90 = _first_reach_from(t, z, 0.9 * mag, after, t0)

    kp = np.argmax(np.where(after, z, -np.inf), axis=1)
    peak = z[rows, kp]
    has_peak = peak > z_win.max(axis=1)  # so the peak lies before the window
    tp = np.where(has_peak, t[kp] - t0, np.inf)
    overshoot = np.where(has_peak, (peak - mag) / mag, 0.0)
    peak_value = initial + sign * np.where(has_peak, peak, mag)

    beta_ss = tb = None
    if sideslip_rad is not None:
        beta_ss = h["sideslip_rad"][:, win].mean(axis=1)
        beta_0 = h["sideslip_rad"][rows, k_before]
        tb = np.where(has_peak, np.where(has_peak, tp, 0.0)
                      * rad_to_deg(np.abs(beta_ss - beta_0)), np.inf)
    return StepSteerMetrics(
        time_origin_s=t0,
        final_steering_wheel_angle_rad=final,
        steady_state_value=steady,
        steady_state_relative_spread=spread,
        steady_state_gain_per_rad=(steady - initial) / change,
        response_time_s=t90 - t0,
        peak_response_time_s=tp,
        peak_value=peak_value,
        overshoot=overshoot,
        has_peak=has_peak,
        sideslip_steady_state_rad=beta_ss,
        tb_factor_deg_s=tb,
        initial_steering_wheel_angle_rad=initial_swa,
        initial_value=initial,
    )


# =============================================================================================
# ISO 4138 steady-state circular driving
# =============================================================================================
@dataclass(frozen=True, eq=False)
class SteadyStateCornering:
    """ISO 4138 steady-state cornering metrics, each field ``(N,)`` (or None when not computable
    from the inputs given, as stated per field).

    Gradients are slopes of a least-squares line over the points in the linear range
    (|a_y| <= the limit). Signs: the same for left and right turns (a positive understeer
    gradient is understeer).
    """

    #: Understeer gradient U [rad/(m/s²)] (road-wheel angle per lateral acceleration, minus
    #: the Ackermann part).
    understeer_gradient_rad_per_mps2: np.ndarray
    #: The same in deg/g (x 180/pi x 9.80665).
    understeer_gradient_deg_per_g: np.ndarray
    #: Steering-wheel-angle gradient d(delta_H)/d(a_y) [deg/(m/s²)], Ackermann part included;
    #: None when road-wheel angles were given without a steering ratio.
    steering_wheel_angle_gradient_deg_per_mps2: np.ndarray | None
    #: Intercept of the fit at a_y = 0 [rad] in the turn direction (positive for both turns).
    #: Constant radius: the road-wheel angle extrapolated to a_y = 0, to compare with L/R.
    #: Constant speed: the Ackermann-corrected intercept, a steering offset (near 0).
    intercept_rad: np.ndarray
    #: Ackermann angle L/R [rad] (constant radius, when ``wheelbase_m`` and ``radius_m`` are
    #: given; else None).
    ackermann_angle_rad: np.ndarray | None
    #: Sideslip gradient d(beta)/d(a_y) [rad/(m/s²)]; None without sideslip input.
    sideslip_gradient_rad_per_mps2: np.ndarray | None
    #: The same in deg/g; None without sideslip input.
    sideslip_gradient_deg_per_g: np.ndarray | None
    #: Largest |a_y| among all points given [m/s²] (the maximum steady lateral acceleration
    #: when the points reach the limit).
    max_lateral_acceleration_mps2: np.ndarray
    #: +1 for a left turn (a_y > 0), -1 for a right turn.
    turn_direction: np.ndarray
    #: Number of points in the linear-range fit.
    fit_points: np.ndarray
    #: Root-mean-square residual of the understeer fit [rad]: near 0 when the points are on a
    #: line (the range was linear).
    fit_residual_rms_rad: np.ndarray


def iso4138_constant_radius(lateral_acceleration_mps2, *, road_wheel_angle_rad=None,
                            steering_wheel_angle_rad=None, steering_ratio=None,
                            sideslip_rad=None, radius_m=None, wheelbase_m=None,
                            linear_range_mps2: float = 4.0) -> SteadyStateCornering:
    """ISO 4138 constant-radius method: understeer gradient from steady-state points.

    ISO 8855 defines the understeer gradient U = d(delta_H / i_S)/d(a_y) - d(delta_Ack)/d(a_y)
    with the Ackermann angle delta_Ack = L/R (small angles) [K]. On a constant radius L/R is
    the same at every point, so its derivative vanishes and U is the least-squares slope of the
    road-wheel angle delta = delta_H / i_S against a_y. The fit uses the points with
    |a_y| <= ``linear_range_mps2`` (ISO 4138 evaluates the linear range by regression; 4 m/s²
    is the usual limit, REFERENCES.md 2.1). For a linear vehicle delta = L/R + U a_y, so the
    fitted intercept is L/R: ``intercept_rad`` is reported to compare with it
    (``ackermann_angle_rad`` when ``wheelbase_m`` and ``radius_m`` are given).

    Parameters
    ----------
    lateral_acceleration_mps2 : (N, K) or (K,) array
        Steady-state lateral acceleration of each point [m/s²]; all points of a member on the
        same side (left turn a_y >= 0, or right turn a_y <= 0).
    road_wheel_angle_rad, steering_wheel_angle_rad : (N, K) array [rad]
        Exactly one of the two, positive left. A steering-wheel angle needs ``steering_ratio``.
    steering_ratio : float or (N,), optional
        Overall steering ratio i_S = delta_H / delta [-], > 0. With road-wheel angles it gives
        the steering-wheel-angle gradient.
    sideslip_rad : (N, K) array, optional
        Steady-state sideslip at the CG [rad] for the sideslip gradient.
    radius_m, wheelbase_m : float or (N,), optional
        Circle radius R and wheelbase L [m], > 0: only to report L/R (the slope needs neither).
    linear_range_mps2 : float
        Upper limit of |a_y| for the fit [m/s²], > 0. At least two points with different a_y
        must lie within it.
    """
    ay, delta, ratio, beta, n = _cornering_inputs(
        lateral_acceleration_mps2, road_wheel_angle_rad, steering_wheel_angle_rad,
        steering_ratio, sideslip_rad)
    limit = _positive_scalar(linear_range_mps2, "linear_range_mps2")
    sign, mask = _turn_and_range(ay, limit)
    x = sign[:, None] * ay
    slope, intercept, rms = _line_fit(x, sign[:, None] * delta, mask)
    ackermann = None
    if radius_m is not None and wheelbase_m is not None:
        radius = _batch_param(radius_m, "radius_m", n)
        ackermann = _batch_param(wheelbase_m, "wheelbase_m", n) / radius
    return _cornering_result(slope, slope, intercept, rms, ackermann, ratio, beta, ay, x, mask,
                             sign)


def iso4138_constant_speed(lateral_acceleration_mps2, speed_mps, *, wheelbase_m,
                           road_wheel_angle_rad=None, steering_wheel_angle_rad=None,
                           steering_ratio=None, sideslip_rad=None,
                           linear_range_mps2: float = 4.0) -> SteadyStateCornering:
    """ISO 4138 constant-speed method: steering increased in steps at constant speed.

    The radius now changes from point to point: in steady state R = v²/a_y, so the Ackermann
    angle is delta_Ack = L/R = L a_y / v² and the ISO 8855 understeer gradient
    U = d(delta)/d(a_y) - d(delta_Ack)/d(a_y) [K] is the least-squares slope of
    ``delta - L a_y / v²`` against a_y over |a_y| <= ``linear_range_mps2`` (the Ackermann
    correction is applied point by point, so a slightly varying speed is allowed). At exactly
    constant speed this is the slope of delta minus L/v². ``intercept_rad`` is the intercept
    of the corrected fit (a steering offset, near 0 for a symmetric car);
    ``steering_wheel_angle_gradient_deg_per_mps2`` is the raw d(delta_H)/d(a_y), Ackermann part
    included, as ISO 8855 defines it.

    Parameters
    ----------
    lateral_acceleration_mps2 : (N, K) or (K,) array
        Steady-state lateral acceleration of each point [m/s²], one side per member.
    speed_mps : float, (N,) or (N, K)
        Forward speed [m/s], > 0: one per member (a 1-D array is always per member) or one
        per point.
    wheelbase_m : float or (N,)
        Wheelbase L [m], > 0.
    road_wheel_angle_rad, steering_wheel_angle_rad, steering_ratio, sideslip_rad,
    linear_range_mps2
        As in :func:`iso4138_constant_radius`.
    """
    ay, delta, ratio, beta, n = _cornering_inputs(
        lateral_acceleration_mps2, road_wheel_angle_rad, steering_wheel_angle_rad,
        steering_ratio, sideslip_rad)
    limit = _positive_scalar(linear_range_mps2, "linear_range_mps2")
    wheelbase = _batch_param(wheelbase_m, "wheelbase_m", n)
    speed = _float(speed_mps, "speed_mps")
    if speed.ndim == 1 and speed.size not in (1, n):
        raise SpecError(_SOURCE, "speed_mps", f"shape {speed.shape}",
                        f"must be a scalar, one speed per member ({n},) or one per point "
                        f"({n}, {ay.shape[1]})")
    if speed.ndim <= 1:
        speed = _batch_param(speed, "speed_mps", n)[:, None]
    else:
        speed = _points({"speed_mps": speed}, n, ay.shape[1])["speed_mps"]
        _check_positive(speed, "speed_mps")
    sign, mask = _turn_and_range(ay, limit)
    x = sign[:, None] * ay
    corrected = delta - wheelbase[:, None] * ay / speed**2
    slope, intercept, rms = _line_fit(x, sign[:, None] * corrected, mask)
    raw_slope, _, _ = _line_fit(x, sign[:, None] * delta, mask)
    return _cornering_result(slope, raw_slope, intercept, rms, None, ratio, beta, ay, x, mask,
                             sign)


def _cornering_inputs(ay, road, wheel, ratio, beta):
    if (road is None) == (wheel is None):
        raise SpecError(_SOURCE, "road_wheel_angle_rad / steering_wheel_angle_rad",
                        "both" if road is not None else "neither",
                        "give exactly one of the two")
    arrays = {"lateral_acceleration_mps2": ay}
    arrays["road_wheel_angle_rad" if road is not None else "steering_wheel_angle_rad"] = (
        road if road is not None else wheel)
    if beta is not None:
        arrays["sideslip_rad"] = beta
    first = _float(ay, "lateral_acceleration_mps2")
    if first.ndim not in (1, 2) or first.shape[-1] < 2:
        raise SpecError(_SOURCE, "lateral_acceleration_mps2", f"shape {first.shape}",
                        "must be (N, K) or (K,) with K >= 2 steady-state points")
    p = _points(arrays, None, first.shape[-1])
    n = p["lateral_acceleration_mps2"].shape[0]
    i_s = None if ratio is None else _batch_param(ratio, "steering_ratio", n)
    if road is not None:
        delta = p["road_wheel_angle_rad"]
    else:
        if i_s is None:
            raise SpecError(_SOURCE, "steering_ratio", None,
                            "needed with steering_wheel_angle_rad (road-wheel angle = "
                            "steering-wheel angle / steering ratio)")
        delta = p["steering_wheel_angle_rad"] / i_s[:, None]
    return p["lateral_acceleration_mps2"], delta, i_s, p.get("sideslip_rad"), n


def _turn_and_range(ay, limit):
    """Turn direction per member (+1 left, -1 right) and the mask of points in the linear range."""
    amax = np.abs(ay).max(axis=1)
    zero = np.flatnonzero(amax == 0.0)
    if zero.size:
        raise SpecError(_SOURCE, f"lateral_acceleration_mps2[{int(zero[0])}]", "all zero",
                        "needs points with lateral acceleration to fit a gradient")
    rows = np.arange(ay.shape[0])
    sign = np.sign(ay[rows, np.argmax(np.abs(ay), axis=1)])
    wrong = np.flatnonzero(((sign[:, None] * ay) < -1e-6 * amax[:, None]).any(axis=1))
    if wrong.size:
        i = int(wrong[0])
        raise SpecError(_SOURCE, f"lateral_acceleration_mps2[{i}]", "both signs",
                        "all points of a member must be on one side (left turn a_y >= 0 or right "
                        "turn a_y <= 0); give each direction as its own member")
    mask = np.abs(ay) <= limit
    _check_fit_points(ay, mask, "lateral_acceleration_mps2",
                      f"needs at least two points with different a_y within the linear range "
                      f"|a_y| <= {limit:g} m/s²")
    return sign, mask


def _cornering_result(slope, raw_slope, intercept, rms, ackermann, ratio, beta, ay, x, mask,
                      sign):
    swa_grad = None if ratio is None else rad_to_deg(ratio * raw_slope)
    beta_grad = beta_grad_g = None
    if beta is not None:
        beta_grad, _, _ = _line_fit(x, sign[:, None] * beta, mask)
        beta_grad_g = per_mps2_to_deg_per_g(beta_grad)
    return SteadyStateCornering(
        understeer_gradient_rad_per_mps2=slope,
        understeer_gradient_deg_per_g=per_mps2_to_deg_per_g(slope),
        steering_wheel_angle_gradient_deg_per_mps2=swa_grad,
        intercept_rad=intercept,
        ackermann_angle_rad=ackermann,
        sideslip_gradient_rad_per_mps2=beta_grad,
        sideslip_gradient_deg_per_g=beta_grad_g,
        max_lateral_acceleration_mps2=np.abs(ay).max(axis=1),
        turn_direction=sign.astype(np.int64),
        fit_points=mask.sum(axis=1),
        fit_residual_rms_rad=rms,
    )


# =============================================================================================
# FMVSS 126 sine with dwell
# =============================================================================================
@dataclass(frozen=True, eq=False)
class SineWithDwellMetrics:
    """FMVSS 126 sine-with-dwell results, each field ``(N,)``.

    Signs: ``first_steer_direction`` is +1 for a counter-clockwise (left) first steer, -1 for
    clockwise; the peak yaw rate is signed (opposite to the first steer); the ratios are signed
    (yaw rate at the instant / peak yaw rate); the displacement is positive towards the first
    steer.
    """

    #: Steering amplitude max |delta_H| [deg].
    amplitude_deg: np.ndarray
    #: +1: counter-clockwise (left) first, -1: clockwise (right) first.
    first_steer_direction: np.ndarray
    #: Beginning of steer BOS [s].
    bos_s: np.ndarray
    #: Completion of steer COS [s] (given or detected).
    cos_s: np.ndarray
    #: First local peak of the yaw rate after the steering changed sign [rad/s], signed.
    peak_yaw_rate_radps: np.ndarray
    #: Time of that peak [s] (meaningless where ``spun_out``).
    peak_yaw_rate_time_s: np.ndarray
    #: Yaw rate at COS + 1.000 s / peak yaw rate [-].
    yaw_rate_ratio_1000ms: np.ndarray
    #: Yaw rate at COS + 1.750 s / peak yaw rate [-].
    yaw_rate_ratio_1750ms: np.ndarray
    #: Lateral displacement of the CG at BOS + 1.07 s [m], towards the first steer.
    lateral_displacement_m: np.ndarray
    #: Displacement the regulation asks for [m]: 1.83 (GVWR <= 3500 kg) or 1.52.
    required_displacement_m: np.ndarray
    #: True where the responsiveness criterion applies (amplitude >= 5 A).
    displacement_applies: np.ndarray
    #: ratio at 1.000 s <= 0.35.
    passes_yaw_rate_1000ms: np.ndarray
    #: ratio at 1.750 s <= 0.20.
    passes_yaw_rate_1750ms: np.ndarray
    #: displacement >= required, or True where the criterion does not apply.
    passes_displacement: np.ndarray
    #: All three criteria (False for a run that spun out).
    passed: np.ndarray
    #: True where the record of the run ends early (NaN after the member's end: a
    #: :class:`~sim.result.Result` member that spun out or went non-finite). Such a run fails:
    #: ``passed`` and both yaw-rate criteria are False, its peak and ratios are NaN, and its
    #: displacement is NaN unless the record reaches BOS + 1.07 s.
    spun_out: np.ndarray


def fmvss126_sine_with_dwell(time_s, steering_wheel_angle_rad="steering_wheel_angle_rad",
                             yaw_rate_radps="yaw_rate_radps", lateral_acceleration_mps2="ay_mps2",
                             *, gvwr_kg, sis_angle_deg, cos_time_s=None,
                             bos_threshold_deg: float = 5.0) -> SineWithDwellMetrics:
    """FMVSS 126 (49 CFR 571.126) sine-with-dwell criteria of each run.

    Definitions (REFERENCES.md 2.3: [K], criteria cross-checked against secondary sources [S];
    the regulation's text was not readable there):

    * **BOS**, beginning of steer: first instant the steering-wheel angle reaches
      ``bos_threshold_deg`` (5 deg) in the first-steer direction (linear interpolation). The
      first-steer direction is the sign of the first sample whose magnitude exceeds 1 % of the
      amplitude.
    * **COS**, completion of steer: the instant after which the steering-wheel angle stays at
      zero. Given as ``cos_time_s`` (e.g. :func:`sim.driver.open_loop.cos_time_s` of the
      profile, exact), or detected: after the last non-zero sample the angle is extrapolated
      linearly to zero from the last two non-zero samples (clipped to the next sample). Near
      its final zero the sine is almost straight, so the error is far below a sample spacing.
    * **Peak yaw rate**: the regulation compares with "the first peak value of yaw rate
      recorded after the steering wheel angle changes sign (between first and second peaks)",
      i.e. the first local peak produced by the second steering peak. Implemented as the first
      sample after the steering angle changes sign (from the first-steer direction to the
      other) at which the yaw rate, in the second-steer direction, is positive and a local
      maximum (>= the sample before, > the sample after). The search runs to the end of the
      record, not only up to the second steering peak: the yaw rate lags the steering, and the
      parenthesis names the lobe that produces the peak, not a window in time.
    * **Yaw-rate ratios**: yaw rate at COS + 1.000 s and COS + 1.750 s (interpolated) divided
      by the peak, signed; pass when <= 0.35 and <= 0.20. A negative ratio (the yaw rate has
      already reversed) passes, as the regulation compares the signed value.
    * **Lateral displacement** at BOS + 1.07 s: the regulation double-integrates the lateral
      acceleration from BOS, starting from the initial straight path (zero lateral velocity at
      BOS). Here the double integral of the piecewise-linear interpolant of the samples is
      computed exactly. It uses the body-fixed a_y, like the regulation (a small-heading
      approximation of the ground-fixed displacement; ``Result`` channels ``x_m``, ``y_m``
      allow a cross-check). Pass when >= 1.83 m (GVWR <= 3500 kg) or 1.52 m (GVWR > 3500 kg),
      judged only for runs with amplitude >= 5 A.
    * The regulation filters measured data with a 12-pole phaseless Butterworth filter (6 Hz)
      and zeroes the signals before computing these quantities. Simulation data are noise-free
      and start from straight running, so they need neither and none is applied here.

    Parameters
    ----------
    time_s : (T,) array [s] or Result
    steering_wheel_angle_rad : (N, T) array [rad], profile or channel name
        Steering-wheel angle, positive left (counter-clockwise).
    yaw_rate_radps : (N, T) array [rad/s] or channel name
    lateral_acceleration_mps2 : (N, T) array [m/s²] or channel name
    gvwr_kg : float or (N,)
        Gross vehicle weight rating [kg], > 0 (chooses the displacement threshold).
    sis_angle_deg : float or (N,)
        A, the steering-wheel angle at 0.3 g from the Slowly Increasing Steer test [deg], > 0
        (see :func:`fmvss126_slowly_increasing_steer`); the displacement criterion applies to
        runs whose amplitude is at least 5 A (relative tolerance 1e-6).
    cos_time_s : float or (N,), optional
        Completion of steer [s]; detected from the steering angle when omitted.
    bos_threshold_deg : float
        Steering-wheel angle defining BOS [deg], > 0 (5 deg).

    The record must extend to COS + 1.750 s (and BOS + 1.07 s). A run that spun out (a
    :class:`~sim.result.Result` member with status ``"spun out"``, NaN after its end) fails the
    lateral-stability criteria by any reading, but its ratios do not exist: it is reported
    failed (``passed`` False) with ``spun_out`` True and NaN peak and ratios, never raised. Any
    member whose samples are NaN from some instant to the end counts so; NaN *inside* a record
    (followed by finite samples) still raises. The steering must be finite throughout.
    """
    t, h, last = _histories(time_s, {"steering_wheel_angle_rad": steering_wheel_angle_rad,
                                     "yaw_rate_radps": yaw_rate_radps,
                                     "lateral_acceleration_mps2": lateral_acceleration_mps2},
                            trailing=True)
    r, ay = h["yaw_rate_radps"], h["lateral_acceleration_mps2"]
    n, nt = r.shape
    # the steering as given (finite throughout: it defines BOS, COS and the amplitude even
    # for a run that ended early), not held at its value at a member's end
    _, steering = _histories(time_s, {"steering_wheel_angle_rad": steering_wheel_angle_rad})
    swa = np.broadcast_to(steering["steering_wheel_angle_rad"], (n, nt))
    rows = np.arange(n)
    idx = np.arange(nt)
    spun_out = last < nt - 1
    gvwr = _batch_param(gvwr_kg, "gvwr_kg", n)
    a_ref = _batch_param(sis_angle_deg, "sis_angle_deg", n)
    threshold = _positive_scalar(bos_threshold_deg, "bos_threshold_deg") * _DEG

    amplitude = np.abs(swa).max(axis=1)
    _require_nonzero(amplitude, "steering_wheel_angle_rad", "is zero throughout: no steer")
    moved = np.abs(swa) > 0.01 * amplitude[:, None]
    direction = np.sign(swa[rows, np.argmax(moved, axis=1)])
    s_swa = direction[:, None] * swa

    bos, found = _first_reach(t, s_swa, np.full(n, threshold))
    _check(found, lambda i: SpecError(
        _SOURCE, "bos_threshold_deg", bos_threshold_deg,
        f"is never reached by member {i} in its first-steer direction (its peak there is "
        f"{rad_to_deg(s_swa[i].max()):.6g} deg): no beginning of steer"))
    k_bos = np.searchsorted(t, bos, side="left")
    reversed_ = (s_swa < 0.0) & (idx[None, :] >= k_bos[:, None])
    _check(reversed_.any(axis=1), lambda i: SpecError(
        _SOURCE, _member_field("steering_wheel_angle_rad", i, n), "no sign change after BOS",
        "must change sign after the beginning of steer (a sine with dwell)"))
    k_rev = np.argmax(reversed_, axis=1)

    if cos_time_s is None:
        cos = _detect_cos(t, swa)
    else:
        cos = _batch_param(cos_time_s, "cos_time_s", n, rule="finite")
    need = np.maximum(cos + 1.75, bos + FMVSS126_DISPLACEMENT_TIME_S)
    _check(need <= t[-1], lambda i: SpecError(
        _SOURCE, "time_s", f"ends at {t[-1]:.6g} s",
        f"must extend to COS + 1.750 s = {cos[i] + 1.75:.6g} s and BOS + 1.07 s = "
        f"{bos[i] + FMVSS126_DISPLACEMENT_TIME_S:.6g} s of member {i}: record longer"))

    q = -direction[:, None] * r  # yaw rate in the second-steer direction
    local_peak = np.zeros((n, nt), dtype=bool)
    local_peak[:, 1:-1] = (q[:, 1:-1] > 0.0) & (q[:, 1:-1] >= q[:, :-2]) & (q[:, 1:-1] > q[:, 2:])
    local_peak &= idx[None, :] >= k_rev[:, None]
    _check(local_peak.any(axis=1) | spun_out, lambda i: SpecError(
        _SOURCE, _member_field("yaw_rate_radps", i, n), "no peak",
        "must have a local peak opposite to the first steer after the steering changes sign "
        "(the run may have spun out, or the record is too short)"))
    kp = np.argmax(local_peak, axis=1)
    peak = np.where(spun_out, np.nan, r[rows, kp])
    with np.errstate(invalid="ignore"):
        ratio_1000 = _values_at(t, r, cos + 1.0) / peak
        ratio_1750 = _values_at(t, r, cos + 1.75) / peak

    _, double = _integrals(t, ay, bos, bos + FMVSS126_DISPLACEMENT_TIME_S)
    measured = ~spun_out | (t[last] >= bos + FMVSS126_DISPLACEMENT_TIME_S)
    displacement = np.where(measured, direction * double, np.nan)
    required = np.where(gvwr <= FMVSS126_HEAVY_GVWR_KG, FMVSS126_MIN_DISPLACEMENT_M,
                        FMVSS126_MIN_DISPLACEMENT_HEAVY_M)
    amplitude_deg = rad_to_deg(amplitude)
    applies = amplitude_deg >= 5.0 * a_ref * (1.0 - _AMPLITUDE_RTOL)
    pass_1000 = ~spun_out & (ratio_1000 <= FMVSS126_RATIO_1000MS_MAX)
    pass_1750 = ~spun_out & (ratio_1750 <= FMVSS126_RATIO_1750MS_MAX)
    pass_disp = ~applies | (measured & (displacement >= required))
    return SineWithDwellMetrics(
        amplitude_deg=amplitude_deg,
        first_steer_direction=direction.astype(np.int64),
        bos_s=bos,
        cos_s=cos,
        peak_yaw_rate_radps=peak,
        peak_yaw_rate_time_s=np.where(spun_out, np.nan, t[kp]),
        yaw_rate_ratio_1000ms=ratio_1000,
        yaw_rate_ratio_1750ms=ratio_1750,
        lateral_displacement_m=displacement,
        required_displacement_m=required,
        displacement_applies=applies,
        passes_yaw_rate_1000ms=pass_1000,
        passes_yaw_rate_1750ms=pass_1750,
        passes_displacement=pass_disp,
        passed=pass_1000 & pass_1750 & pass_disp & ~spun_out,
        spun_out=spun_out,
    )


def _detect_cos(t: np.ndarray, swa: np.ndarray) -> np.ndarray:
    """COS: zero of the line through the last two non-zero samples, within the next interval."""
    n, nt = swa.shape
    rows = np.arange(n)
    nonzero = swa != 0.0
    last = nt - 1 - np.argmax(nonzero[:, ::-1], axis=1)
    _check(last < nt - 1, lambda i: SpecError(
        _SOURCE, _member_field("steering_wheel_angle_rad", i, n), "non-zero at the end",
        "must return to zero and stay there before the end of the record (completion of "
        "steer); record longer or give cos_time_s"))
    prev = np.maximum(last - 1, 0)
    d1, d0 = swa[rows, last], swa[rows, prev]
    dt = t[last] - t[prev]
    slope = np.where(last > 0, (d1 - d0) / np.where(last > 0, dt, 1.0), 0.0)
    towards = slope * d1 < 0.0
    step = np.where(towards, -d1 / np.where(towards, slope, 1.0), np.inf)
    return np.minimum(t[last] + step, t[last + 1])


@dataclass(frozen=True, eq=False)
class SlowlyIncreasingSteer:
    """FMVSS 126 Slowly Increasing Steer result: the reference angle A."""

    #: Steering-wheel angle at the target lateral acceleration per run [deg], signed (left > 0).
    angle_at_target_deg: np.ndarray
    #: Number of samples in each run's regression.
    fit_points: np.ndarray
    #: A = mean of |angle_at_target_deg| over all runs [deg] (a float).
    reference_angle_deg: float
    #: A rounded to 0.1 deg, as the regulation reports it [deg] (a float).
    reference_angle_rounded_deg: float


def fmvss126_slowly_increasing_steer(time_s,
                                     steering_wheel_angle_rad="steering_wheel_angle_rad",
                                     lateral_acceleration_mps2="ay_mps2", *,
                                     target_g: float = 0.3,
                                     fit_range_g: tuple[float, float] = (0.1, 0.375),
                                     ) -> SlowlyIncreasingSteer:
    """FMVSS 126 Slowly Increasing Steer: A, the steering-wheel angle that gives 0.3 g.

    Per run (batch member), a least-squares line of the steering-wheel angle against the
    lateral acceleration is evaluated at ``target_g`` (0.3 g, g = 9.80665 m/s²) in the run's
    steer direction; A is the mean of the magnitudes over the runs (3 left + 3 right in the
    regulation), also rounded to 0.1 deg (REFERENCES.md 2.3, [K]). The regression uses the
    samples whose lateral acceleration in the steer direction lies within ``fit_range_g``,
    taken up to the first instant it reaches the upper limit (so a later fall-off is ignored).
    The default range 0.1-0.375 g is NHTSA's test-procedure practice as remembered, **not**
    in REFERENCES.md: check it against the procedure before relying on the last digit. A run
    must reach ``target_g``. Nothing is filtered (the regulation filters measured data).

    Parameters
    ----------
    time_s : (T,) array [s] or Result
    steering_wheel_angle_rad : (N, T) array [rad], profile or channel name
    lateral_acceleration_mps2 : (N, T) array [m/s²] or channel name
    target_g : float
        Lateral acceleration defining A [g], > 0.
    fit_range_g : (low, high)
        Range of the regression [g], 0 <= low < high.
    """
    t, h = _histories(time_s, {"steering_wheel_angle_rad": steering_wheel_angle_rad,
                               "lateral_acceleration_mps2": lateral_acceleration_mps2})
    swa, ay = h["steering_wheel_angle_rad"], h["lateral_acceleration_mps2"]
    target = _positive_scalar(target_g, "target_g") * GRAVITY_MPS2
    try:
        low, high = (float(v) for v in fit_range_g)
    except (TypeError, ValueError):
        raise SpecError(_SOURCE, "fit_range_g", fit_range_g, "must be two numbers (low, high) "
                        "in g") from None
    if not (np.isfinite(low) and np.isfinite(high) and 0.0 <= low < high):
        raise SpecError(_SOURCE, "fit_range_g", fit_range_g, "must satisfy 0 <= low < high")
    n, nt = swa.shape
    rows = np.arange(n)
    amp = np.abs(swa).max(axis=1)
    _require_nonzero(amp, "steering_wheel_angle_rad", "is zero throughout: no steer")
    sign = np.sign(swa[rows, np.argmax(np.abs(swa), axis=1)])
    a = sign[:, None] * ay
    _check(a.max(axis=1) >= target, lambda i: SpecError(
        _SOURCE, _member_field("lateral_acceleration_mps2", i, n),
        f"at most {a[i].max() / GRAVITY_MPS2:.4g} g",
        f"must reach target_g = {target_g:g} g in the steer direction"))
    top = a >= high * GRAVITY_MPS2
    end = np.where(top.any(axis=1), np.argmax(top, axis=1), nt - 1)
    mask = ((a >= low * GRAVITY_MPS2) & (a <= high * GRAVITY_MPS2)
            & (np.arange(nt)[None, :] <= end[:, None]))
    _check_fit_points(a, mask, "lateral_acceleration_mps2",
                      f"needs at least two samples with different a_y within {low:g}-{high:g} g")
    slope, intercept, _ = _line_fit(a, sign[:, None] * swa, mask)
    angle = sign * rad_to_deg(intercept + slope * target)
    mean = float(np.mean(np.abs(angle)))
    return SlowlyIncreasingSteer(angle_at_target_deg=angle, fit_points=mask.sum(axis=1),
                                 reference_angle_deg=mean,
                                 reference_angle_rounded_deg=round(mean, 1))


# =============================================================================================
# Straight line
# =============================================================================================
def time_to_speed_s(time_s, speed_mps="vx_mps", *, from_kmh: float = 0.0,
                    to_kmh: float = 100.0) -> np.ndarray:
    """Time to accelerate from ``from_kmh`` to ``to_kmh`` [s], (N,) (0-100, 80-120 km/h, ...).

    The end is the first instant the speed reaches ``to_kmh``; the start is the last instant
    before it at which the speed was at or below ``from_kmh`` (so time spent standing or
    rolling before the launch does not count). Both instants are interpolated linearly between
    samples. A member that never reaches ``to_kmh``, or is above ``from_kmh`` from the start
    of its record, raises :class:`SpecError` naming it. NaN after a member's end is allowed
    (its last finite sample ends its record).

    Parameters
    ----------
    time_s : (T,) array [s] or Result
    speed_mps : (N, T) array [m/s] or channel name (default ``"vx_mps"``)
    from_kmh, to_kmh : float
        Start and target speed [km/h], 0 <= from_kmh < to_kmh.
    """
    t, h, last = _histories(time_s, {"speed_mps": speed_mps}, trailing=True)
    v = h["speed_mps"]
    lo, hi = _speed_pair(from_kmh, to_kmh)
    n, nt = v.shape
    rows = np.arange(n)
    idx = np.arange(nt)[None, :]
    reached = (v >= hi) & (idx <= last[:, None])
    _check(reached.any(axis=1), lambda i: SpecError(
        _SOURCE, "to_kmh", to_kmh,
        f"is never reached by member {i} (its highest speed is "
        f"{v[i, :last[i] + 1].max() * KMH_PER_MPS:.6g} km/h); run longer"))
    k = np.argmax(reached, axis=1)
    below = (v <= lo) & (idx < k[:, None])
    _check(below.any(axis=1), lambda i: SpecError(
        _SOURCE, "from_kmh", from_kmh,
        f"member {i} is above it from the start of its record ({v[i, 0] * KMH_PER_MPS:.6g} "
        f"km/h) until it reaches to_kmh; start the record at or below from_kmh"))
    j = nt - 1 - np.argmax(below[:, ::-1], axis=1)
    t_start = _crossing_time(t, v[rows, j], v[rows, j + 1], j, lo)
    t_end = _crossing_time(t, v[rows, k - 1], v[rows, k], k - 1, hi)
    return t_end - t_start


def stopping_distance_m(time_s, speed_mps="vx_mps", *, from_kmh: float = 100.0,
                        stop_speed_mps: float = 0.5) -> np.ndarray:
    """Stopping distance from ``from_kmh`` to standstill [m], (N,).

    Distance travelled (integral of the speed, exact for the piecewise-linear interpolant of
    the samples) from the instant braking passes ``from_kmh`` -- the last instant the speed is
    at or above it before the stop, interpolated -- until the speed reaches zero
    (interpolated). A run that ends before zero with a final speed <= ``stop_speed_mps`` (a
    :class:`~sim.result.Result` member with status ``"stopped"``, recorded as NaN after its
    end) has stopped: the remaining distance is extrapolated at its last deceleration,
    v_end² / (2 d_end), a few centimetres at most. A member that never stops, or never runs
    at ``from_kmh`` before stopping, raises :class:`SpecError`.

    Parameters
    ----------
    time_s : (T,) array [s] or Result
    speed_mps : (N, T) array [m/s] or channel name (default ``"vx_mps"``)
    from_kmh : float
        Speed at which the measurement starts [km/h], > stop speed.
    stop_speed_mps : float
        Final speed below which a record that ends counts as stopped [m/s], >= 0 (0.5 m/s is
        the default stop speed of :class:`sim.Numerics`).
    """
    t, h, last = _histories(time_s, {"speed_mps": speed_mps}, trailing=True)
    v = h["speed_mps"]
    lo = _positive_scalar(from_kmh, "from_kmh") / KMH_PER_MPS
    stop = _float(stop_speed_mps, "stop_speed_mps")
    if stop.size != 1 or not np.isfinite(stop.reshape(-1)[0]) or not 0 <= stop.reshape(-1)[0]:
        raise SpecError(_SOURCE, "stop_speed_mps", stop_speed_mps, "must be one number >= 0")
    stop = float(stop.reshape(-1)[0])
    if lo <= stop:
        raise SpecError(_SOURCE, "from_kmh", from_kmh,
                        f"must be above stop_speed_mps = {stop:g} m/s")
    n, nt = v.shape
    rows = np.arange(n)
    idx = np.arange(nt)[None, :]
    zero = (v <= 0.0) & (idx <= last[:, None])
    crossed = zero.any(axis=1)
    k_stop = np.where(crossed, np.argmax(zero, axis=1), last)
    v_last = v[rows, last]
    _check(crossed | (v_last <= stop), lambda i: SpecError(
        _SOURCE, _member_field("speed_mps", i, n), f"{v_last[i]:.6g} m/s at the end",
        f"must come to a stop (speed 0, or a record ending at <= stop_speed_mps = {stop:g} "
        "m/s); run longer"))
    above = (v >= lo) & (idx < k_stop[:, None])
    _check(above.any(axis=1), lambda i: SpecError(
        _SOURCE, "from_kmh", from_kmh,
        f"is never reached by member {i} before it stops (its speed at the start is "
        f"{v[i, 0] * KMH_PER_MPS:.6g} km/h)"))
    j = nt - 1 - np.argmax(above[:, ::-1], axis=1)
    t_begin = _crossing_time(t, v[rows, j], v[rows, j + 1], j, lo)
    km = np.maximum(k_stop - 1, 0)
    t_zero = _crossing_time(t, v[rows, km], v[rows, k_stop], km, 0.0)
    t_stop = np.where(crossed, t_zero, t[last])
    distance, _ = _integrals(t, v, t_begin, t_stop)
    # extrapolation of a record that ended slightly above zero
    prev = np.maximum(last - 1, 0)
    decel = (v[rows, prev] - v_last) / np.where(last > 0, t[last] - t[prev], 1.0)
    tail = ~crossed & (v_last > 0.0)
    _check(~tail | (decel > 0.0), lambda i: SpecError(
        _SOURCE, _member_field("speed_mps", i, n), f"{v_last[i]:.6g} m/s at the end",
        "must be decelerating at the end of the record to extrapolate to standstill"))
    extra = np.where(tail, v_last**2 / (2.0 * np.where(tail, decel, 1.0)), 0.0)
    return distance + extra


@dataclass(frozen=True, eq=False)
class TopSpeed:
    """Top speed of each run, each field ``(N,)``."""

    #: Top speed [m/s]: the speed where the acceleration first falls to the threshold after
    #: its maximum, or the highest speed of the record when it never does.
    top_speed_mps: np.ndarray
    #: The same in km/h.
    top_speed_kmh: np.ndarray
    #: When that speed is reached [s].
    time_s: np.ndarray
    #: True where the acceleration fell to the threshold (a plateau: the vehicle's top speed);
    #: False where the record ended while still accelerating (top speed = record maximum).
    plateau_reached: np.ndarray


def top_speed(time_s, speed_mps="vx_mps", *,
              acceleration_threshold_mps2: float = 0.05) -> TopSpeed:
    """Top speed of a full-throttle run.

    The acceleration of each sample interval is (v[k+1] - v[k]) / (t[k+1] - t[k]). After the
    interval of largest acceleration (so a standing start does not count), the first interval
    whose acceleration is <= ``acceleration_threshold_mps2`` marks the top speed: the speed at
    its start. A run that accelerates to the end of its record reports its highest speed with
    ``plateau_reached`` False. NaN after a member's end is allowed.

    Parameters
    ----------
    time_s : (T,) array [s] or Result
    speed_mps : (N, T) array [m/s] or channel name (default ``"vx_mps"``)
    acceleration_threshold_mps2 : float
        Acceleration below which the speed counts as settled [m/s²], > 0.
    """
    t, h, last = _histories(time_s, {"speed_mps": speed_mps}, trailing=True)
    v = h["speed_mps"]
    thr = _positive_scalar(acceleration_threshold_mps2, "acceleration_threshold_mps2")
    n, nt = v.shape
    rows = np.arange(n)
    seg = np.arange(nt - 1)[None, :]
    valid = seg < last[:, None]
    accel = np.diff(v, axis=1) / np.diff(t)[None, :]
    k_max = np.argmax(np.where(valid, accel, -np.inf), axis=1)
    settled = valid & (seg > k_max[:, None]) & (accel <= thr)
    plateau = settled.any(axis=1)
    k_top = np.argmax(settled, axis=1)
    k_peak = np.argmax(np.where(np.arange(nt)[None, :] <= last[:, None], v, -np.inf), axis=1)
    k = np.where(plateau, k_top, k_peak)
    speed = v[rows, k]
    return TopSpeed(top_speed_mps=speed, top_speed_kmh=speed * KMH_PER_MPS, time_s=t[k],
                    plateau_reached=plateau)


# =============================================================================================
# Helpers
# =============================================================================================
def _float(value, name: str) -> np.ndarray:
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise SpecError(_SOURCE, name, value, "must be real numbers") from None


def _time_axis(value) -> np.ndarray:
    t = _float(value, "time_s")
    if t.ndim != 1 or t.size < 2:
        raise SpecError(_SOURCE, "time_s", f"shape {t.shape}",
                        "must be a 1-D array of at least 2 sample times (T,) [s]")
    bad = np.flatnonzero(~np.isfinite(t))
    if bad.size:
        k = int(bad[0])
        raise SpecError(_SOURCE, f"time_s[{k}]", float(t[k]), "must be finite")
    bad = np.flatnonzero(np.diff(t) <= 0.0)
    if bad.size:
        k = int(bad[0]) + 1
        raise SpecError(_SOURCE, f"time_s[{k}]", float(t[k]),
                        f"must be > time_s[{k - 1}] = {float(t[k - 1])!r} (strictly increasing)")
    return t


def _histories(source, channels: dict, *, trailing: bool = False):
    """Resolve signal arguments against ``source`` (a time axis or a Result).

    Returns ``(t, arrays)`` with every array ``(N, T)``; with ``trailing=True`` also the index
    of each member's last finite sample, NaN after it being replaced by that sample's value.
    """
    result = source if isinstance(source, Result) else None
    t = _time_axis(result.time_s if result is not None else source)
    arrays = {}
    for name, value in channels.items():
        if isinstance(value, str):
            if result is None:
                raise SpecError(_SOURCE, name, value, "a channel name needs a Result as the first "
                                "argument; with a time axis pass an (N, T) array")
            if value not in result.channels:
                raise SpecError(_SOURCE, name, value, "no such channel in the Result; channels "
                                "are " + ", ".join(result.channels))
            arr = _float(result.channels[value], name)
        elif callable(getattr(value, "sample", None)):
            arr = _float(value.sample(t), name)
        else:
            arr = _float(value, name)
        shape = arr.shape
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] != t.size:
            raise SpecError(_SOURCE, name, f"shape {shape}",
                            f"must be (N, T) or (T,) with T = len(time_s) = {t.size}")
        arrays[name] = arr
    n = _common_rows(arrays)
    arrays = {k: np.broadcast_to(a, (n, t.size)) for k, a in arrays.items()}
    if not trailing:
        for name, arr in arrays.items():
            bad = np.argwhere(~np.isfinite(arr))
            if bad.size:
                i, k = (int(x) for x in bad[0])
                raise SpecError(_SOURCE, _member_field(name, i, n), float(arr[i, k]),
                                f"must be finite (sample {k}, t = {t[k]:.6g} s); a Result member "
                                "that failed early is NaN after its end: measure only members "
                                "with Result.ok")
        return t, arrays
    last = np.full(n, t.size - 1)
    for name, arr in arrays.items():
        finite = np.isfinite(arr)
        end = t.size - 1 - np.argmax(finite[:, ::-1], axis=1)
        inside = ~finite & (np.arange(t.size)[None, :] <= end[:, None])
        bad = np.flatnonzero(~finite.any(axis=1) | inside.any(axis=1) | (end < 1))
        if bad.size:
            i = int(bad[0])
            raise SpecError(_SOURCE, _member_field(name, i, n), "non-finite samples",
                            "must be finite up to the member's end, with at least two finite "
                            "samples (NaN is allowed only after the end)")
        last = np.minimum(last, end)
    filled = {}
    for name, arr in arrays.items():
        keep = np.arange(t.size)[None, :] <= last[:, None]
        filled[name] = np.where(keep, arr, arr[np.arange(n), last][:, None])
    return t, filled, last


def _points(arrays: dict, n: int | None, k: int) -> dict:
    """Steady-state point arrays, each ``(N, K)`` (a ``(K,)`` array is one member), finite."""
    out = {}
    for name, value in arrays.items():
        arr = _float(value, name)
        shape = arr.shape
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[1] != k or arr.shape[0] < 1 or k < 1:
            raise SpecError(_SOURCE, name, f"shape {shape}",
                            f"must be (N, K) or (K,) with K = {k} points, like "
                            "lateral_acceleration_mps2")
        out[name] = arr
    rows = _common_rows(out) if n is None else n
    for name, arr in out.items():
        if arr.shape[0] not in (1, rows):
            raise SpecError(_SOURCE, name, f"shape {arr.shape}",
                            f"must have 1 or N = {rows} rows (the batch)")
        arr = np.broadcast_to(arr, (rows, k))
        bad = np.argwhere(~np.isfinite(arr))
        if bad.size:
            i, j = (int(x) for x in bad[0])
            raise SpecError(_SOURCE, f"{name}[{i}, {j}]", float(arr[i, j]), "must be finite")
        out[name] = arr
    return out


def _common_rows(arrays: dict) -> int:
    n = max(a.shape[0] for a in arrays.values())
    for name, arr in arrays.items():
        if arr.shape[0] not in (1, n):
            first = next(k for k, a in arrays.items() if a.shape[0] == n)
            raise SpecError(_SOURCE, name, f"shape {arr.shape}",
                            f"must have 1 or N = {n} rows, like {first}")
    return n


def _member_field(name: str, i: int, n: int) -> str:
    return f"{name}[{i}]" if n > 1 else name


def _check(ok: np.ndarray, error) -> None:
    """Raise ``error(i)`` (a SpecError) for the first member ``i`` where ``ok`` is False."""
    bad = np.flatnonzero(~np.asarray(ok, dtype=bool))
    if bad.size:
        raise error(int(bad[0]))


def _require_nonzero(values: np.ndarray, name: str, allowed: str) -> None:
    bad = np.flatnonzero(values == 0.0)
    if bad.size:
        i = int(bad[0])
        raise SpecError(_SOURCE, _member_field(name, i, values.size), 0.0, allowed)


def _positive_scalar(value, name: str) -> float:
    arr = _float(value, name)
    if arr.size != 1 or not np.isfinite(arr.reshape(-1)[0]) or arr.reshape(-1)[0] <= 0.0:
        raise SpecError(_SOURCE, name, value, "must be one finite number > 0")
    return float(arr.reshape(-1)[0])


def _batch_param(value, name: str, n: int, rule: str = "positive") -> np.ndarray:
    """A scalar or (N,) parameter, broadcast to (N,); ``rule`` "positive" or "finite"."""
    arr = _float(value, name)
    if arr.ndim > 1 or arr.size not in (1, n):
        raise SpecError(_SOURCE, name, value if arr.size < 8 else f"shape {arr.shape}",
                        f"must be a scalar or one value per member ({n},)")
    arr = np.broadcast_to(arr.reshape(-1), (n,)).copy()
    ok = np.isfinite(arr) & ((arr > 0.0) if rule == "positive" else True)
    bad = np.flatnonzero(~ok)
    if bad.size:
        i = int(bad[0])
        raise SpecError(_SOURCE, _member_field(name, i, arr.size if np.ndim(value) else 1),
                        float(arr[i]),
                        "must be finite and > 0" if rule == "positive" else "must be finite")
    return arr


def _check_positive(arr: np.ndarray, name: str) -> None:
    bad = np.argwhere(~(arr > 0.0))
    if bad.size:
        i, j = (int(x) for x in bad[0])
        raise SpecError(_SOURCE, f"{name}[{i}, {j}]", float(arr[i, j]), "must be > 0")


def _speed_pair(from_kmh, to_kmh) -> tuple[float, float]:
    to = _positive_scalar(to_kmh, "to_kmh")
    start = _float(from_kmh, "from_kmh")
    if start.size != 1 or not np.isfinite(start.reshape(-1)[0]) or not (
            0.0 <= start.reshape(-1)[0] < to):
        raise SpecError(_SOURCE, "from_kmh", from_kmh, f"must be one number in [0, {to_kmh!r})")
    return float(start.reshape(-1)[0]) / KMH_PER_MPS, to / KMH_PER_MPS


def _final_window(t: np.ndarray, window_s, name: str) -> tuple[np.ndarray, float]:
    w = _positive_scalar(window_s, name)
    span = float(t[-1] - t[0])
    if w >= span:
        raise SpecError(_SOURCE, name, window_s,
                        f"must be shorter than the record ({span:.6g} s)")
    mask = t >= t[-1] - w * (1.0 + 1e-12)
    if mask.sum() < 2:
        raise SpecError(_SOURCE, name, window_s, "must hold at least two samples")
    return mask, float(t[mask][0])


def _first_reach(t: np.ndarray, y: np.ndarray, level: np.ndarray):
    """First instant each row of ``y`` reaches ``level`` (>=), linearly interpolated.

    Returns ``(times, found)``; where not found the time is ``t[-1]`` (callers check).
    """
    reached = y >= level[:, None]
    found = reached.any(axis=1)
    k = np.argmax(reached, axis=1)
    rows = np.arange(y.shape[0])
    prev = np.maximum(k - 1, 0)
    y0, y1 = y[rows, prev], y[rows, k]
    cross = k > 0  # then y0 < level <= y1
    w = np.where(cross, (level - y0) / np.where(cross, y1 - y0, 1.0), 1.0)
    times = t[prev] + w * (t[k] - t[prev])
    return np.where(found, times, t[-1]), found


def _first_reach_from(t: np.ndarray, y: np.ndarray, level: np.ndarray, allowed: np.ndarray,
                      start: np.ndarray) -> np.ndarray:
    """First instant at or after ``start`` (per row) each row of ``y`` reaches ``level``,
    linearly interpolated between samples and never before ``start``; ``allowed`` marks the
    samples at or after ``start``. ``t[-1]`` where never reached (callers know it is)."""
    reached = (y >= level[:, None]) & allowed
    found = reached.any(axis=1)
    k = np.argmax(reached, axis=1)
    rows = np.arange(y.shape[0])
    prev = np.maximum(k - 1, 0)
    y0, y1 = y[rows, prev], y[rows, k]
    cross = (k > 0) & (y0 < level)
    w = np.where(cross, (level - y0) / np.where(cross, y1 - y0, 1.0), 1.0)
    times = np.maximum(t[prev] + w * (t[k] - t[prev]), start)
    return np.where(found, times, t[-1])


def _crossing_time(t, y0, y1, k, level) -> np.ndarray:
    """Instant the segment from (t[k], y0) to (t[k+1], y1) passes ``level`` (y0 != y1 there)."""
    k1 = np.minimum(k + 1, t.size - 1)
    dy = y1 - y0
    w = np.where(dy != 0.0, (level - y0) / np.where(dy != 0.0, dy, 1.0), 0.0)
    return t[k] + np.clip(w, 0.0, 1.0) * (t[k1] - t[k])


def _values_at(t: np.ndarray, y: np.ndarray, tq: np.ndarray) -> np.ndarray:
    """Each row of ``y`` linearly interpolated at its own instant ``tq[i]`` (inside the record)."""
    k = np.clip(np.searchsorted(t, tq, side="right") - 1, 0, t.size - 2)
    w = (tq - t[k]) / (t[k + 1] - t[k])
    rows = np.arange(y.shape[0])
    return y[rows, k] + w * (y[rows, k + 1] - y[rows, k])


def _integrals(t: np.ndarray, y: np.ndarray, begin: np.ndarray, end: np.ndarray):
    """Exact integrals of the piecewise-linear interpolant of each row over [begin_i, end_i].

    Returns ``(single, double)``: the integral of y, and the double integral
    ``int_b^e int_b^tau y ds dtau = int_b^e (e - tau) y(tau) dtau`` (Cauchy's formula).
    """
    tk = t[None, :-1]
    h = np.diff(t)[None, :]
    p = np.clip(begin[:, None], tk, tk + h) - tk
    q = np.clip(end[:, None], tk, tk + h) - tk
    y0 = y[:, :-1]
    m = np.diff(y, axis=1) / h
    d1, d2, d3 = q - p, (q * q - p * p) / 2.0, (q**3 - p**3) / 3.0
    c = end[:, None] - tk
    single = (y0 * d1 + m * d2).sum(axis=1)
    double = (c * y0 * d1 + (c * m - y0) * d2 - m * d3).sum(axis=1)
    return single, double


def _check_fit_points(x: np.ndarray, mask: np.ndarray, name: str, allowed: str) -> None:
    big = np.where(mask, x, -np.inf).max(axis=1)
    small = np.where(mask, x, np.inf).min(axis=1)
    bad = np.flatnonzero((mask.sum(axis=1) < 2) | ~(big > small))
    if bad.size:
        i = int(bad[0])
        raise SpecError(_SOURCE, _member_field(name, i, x.shape[0]),
                        f"{int(mask[i].sum())} usable points", allowed)


def _line_fit(x: np.ndarray, y: np.ndarray, mask: np.ndarray):
    """Least-squares line y = intercept + slope x per row over the masked points.

    Returns ``(slope, intercept, rms_residual)``, each (N,). Rows need >= 2 distinct x.
    """
    w = mask.astype(np.float64)
    count = w.sum(axis=1)
    xm = (w * x).sum(axis=1) / count
    ym = (w * y).sum(axis=1) / count
    dx = np.where(mask, x - xm[:, None], 0.0)
    dy = np.where(mask, y - ym[:, None], 0.0)
    slope = (dx * dy).sum(axis=1) / (dx * dx).sum(axis=1)
    intercept = ym - slope * xm
    resid = np.where(mask, dy - slope[:, None] * dx, 0.0)
    return slope, intercept, np.sqrt((resid * resid).sum(axis=1) / count)
