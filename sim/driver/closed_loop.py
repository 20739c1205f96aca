"""Closed-loop driver: a path follower (pure pursuit, or a preview law with curvature
feedforward) and a speed controller.

Both run inside the compiled time loop (:mod:`sim.integrator`), once per integrator step and
batch member, so a batch of hundreds of cars drives a lane change in one call. Their settings
are per member (lane table ``Lanes.dp``, rows :data:`DRIVER_PARAMETER_NAMES`), their memory is
explicit (``Lanes.ds``, rows :data:`DRIVER_STATE_NAMES`, recorded as channels ``driver_<name>``).

Steering (``steer_mode``):

* ``STEER_TABLE`` -- open loop: the steering-wheel angle is the input table (a profile of
  :mod:`sim.driver.open_loop`), interpolated at every Runge-Kutta stage.
* ``STEER_PATH`` -- a path follower, by the ``steer_law`` of :class:`Driver`:

  ``"preview"`` -- **curvature feedforward plus predicted-offset feedback** about the centre
  of mass, the structure of Kapania & Gerdes (2015, "Design of a feedback-feedforward
  steering controller for accurate path tracking and stability at the limits of handling",
  Vehicle System Dynamics 53(12)) with the single-point preview of MacAdam (1981,
  "Application of an optimal preview control for simulation of closed-loop automobile
  driving", IEEE Trans. SMC-11(6)):

  - *feedforward*: the driver's steady-state model of the car, ``delta = (L + K v²) kappa``
    (kinematic angle plus understeer ``K a_y``; ``K`` the driver's belief,
    ``understeer_gradient_deg_per_g``), applied to the path's mean curvature ``kappa`` over
    2 m centred ``feedforward_preview_s * v`` ahead of the closest point (the lead makes up
    for the steering lag and the car's lateral response lag), at most ``13 m/s² / v²``;
  - *feedback*: the lateral offset predicted at the preview distance
    ``d = max(min_preview_m, preview_time_s v max(1, v / v_g))`` (``v_g`` the
    ``preview_growth_speed_kmh``: above it the preview time grows with speed) along the
    current course,
    ``e_p = e + sqrt(2) zeta d sin(chi - theta)`` (``zeta`` the
    ``feedback_damping_ratio``; ``e`` the offset, counted at most ``d / 2``: from
    farther it heads back at 30 deg; ``e`` of the centre of mass left of the
    path, ``chi`` the direction of its velocity, ``theta`` the path's heading: the course, not
    the body heading, so that sideslip on a steady curve is no error), steered out in ``d / v``
    seconds through the same model: ``delta -= 2 (L + K v²) e_p / d²`` (the constant-a_y
    displacement ``a_y t² / 2`` over the preview time). On a lag-free car this closes the
    loop ``e'' = -(2 / T²)(e + sqrt(2) zeta T e')``: natural frequency ``sqrt(2) / T``,
    damping ratio ``zeta`` at every speed (``1 / sqrt(2)``, the default, is the plain
    straight-line prediction ``e + d sin``). The car's own lags (lateral and yaw response, slower
    the faster it goes) lower the damping as speed grows: with a 0.3 s preview held at every
    speed and ``zeta = 1 / sqrt(2)`` the coupé's loop is barely damped at 80 km/h and
    unstable from 90 km/h (recovering from a 0.5 m offset on a straight); a preview time
    growing in proportion to speed above 80 km/h keeps it stable to 130 km/h, and
    ``zeta = 1.1`` brings the overshoot to 0-9 % at 40-130 km/h.
  - the offset integral below, for a model ``K`` that differs from the car's;
  - the sum bounded to ``(L + K v²) 13 m/s² / v²``: no more steer than the model says
    would take 1.3 g (beyond the grip of a road car), so a large offset, e.g. from a kinked
    path, is not met with a wheel wound to full lock.

  With the feedforward, the car stays on a curve without cutting it (pure pursuit aims at a
  chord), and with the course error in the feedback it does not overshoot the side lane of a
  lane change.

  ``"pure_pursuit"`` (the default) -- **pure pursuit** (Coulter 1992, the geometric path
  tracker of Carnegie Mellon's Navlab; Snider 2009 compares it with Stanley and preview
  controllers) about the rear-axle centre: the look-ahead point lies on the path at distance
  ``L_d = max(min_preview_m, preview_time_s * v_x)`` from the rear axle, seen at the angle
  ``alpha`` from the car's heading, and the kinematic steer angle that drives the rear axle on
  a circle through it is ``delta = atan(2 L sin(alpha) / L_d)`` (``L`` wheelbase).

  Both laws add a small integral of the lateral offset (pure pursuit: the rear axle's; the
  preview law: the centre of mass's), which removes the steady offset left on a curve by a
  model that differs from the car (pure pursuit aims with kinematic, not real, steer). The
  steering-wheel angle ``i_s delta`` then passes a first-order lag (``steer_lag_s``, the
  driver's neuromuscular lag) and a **steering-rate limit** (``max_steer_rate_radps``), and is
  held through the step (a 500 Hz driver).

Speed (``speed_mode``):

* ``SPEED_TABLE`` -- open loop: the longitudinal force demand is the input table.
* ``SPEED_CONTROL`` -- PI control of the forward speed to a target-speed table, with
  feedforward of the driving resistance (drag and rolling resistance at the current speed) and
  a clamped integrator (anti-windup); the demand is a force at the ground [N] that the
  controller (passive drivetrain or :mod:`sim.adm`) turns into torques within its limits.
  Beyond ``release_x_m`` (ground-frame x) the driver **releases the throttle** for good
  (demand 0), as in ISO 3888-2 and FMVSS 126.

Signs: ISO 8855 (y left, steering-wheel angle positive to the left); the lateral offset
``lateral_offset_m`` is the car's (rear axle's for pure pursuit, centre of mass's for the
preview law) distance to the left of the path; ``predicted_offset_m`` the preview law's
``e_p`` [m], ``feedforward_curvature_per_m`` its ``kappa`` [1/m], positive to the left (both
0 with pure pursuit).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numba
import numpy as np

from sim._arrays import kernel_array
from sim.chassis.two_track import (
    LANES,
    P_A,
    P_B,
    P_CDA,
    P_FRR,
    P_MASS,
    P_RHO,
    P_STEER_RATIO,
    S_PSI,
    S_VX,
    S_VY,
    S_X,
    S_Y,
)
from sim.errors import SpecError
from sim.units import GRAVITY_MPS2, deg_to_rad

STEER_TABLE, STEER_PATH = 0, 1
SPEED_TABLE, SPEED_CONTROL = 0, 1

#: ``steer_law`` codes of :class:`Driver` (parameter row ``steer_law``).
LAW_PURE_PURSUIT, LAW_PREVIEW = 0, 1
STEER_LAWS = {"pure_pursuit": LAW_PURE_PURSUIT, "preview": LAW_PREVIEW}

DRIVER_PARAMETER_NAMES = (
    "steer_mode", "speed_mode",
    "preview_time_s", "min_preview_m", "offset_integral_gain_radpms", "steer_lag_s",
    "max_steer_rate_radps",
    "speed_gain_per_s", "speed_integral_gain_per_s2", "max_integral_accel_mps2",
    "release_x_m",
    "steer_law", "feedforward_preview_s", "understeer_gradient_radpmps2",
    "preview_growth_speed_mps", "feedback_damping_ratio",
)
N_DRIVER_PARAMETERS = len(DRIVER_PARAMETER_NAMES)
(DP_STEER_MODE, DP_SPEED_MODE, DP_PREVIEW_T, DP_PREVIEW_MIN, DP_OFFSET_KI, DP_STEER_LAG,
 DP_STEER_RATE, DP_SPEED_KP, DP_SPEED_KI, DP_INTEGRAL_MAX, DP_RELEASE_X, DP_STEER_LAW,
 DP_FF_PREVIEW_T, DP_UNDERSTEER, DP_PREVIEW_GROWTH, DP_DAMPING) = range(N_DRIVER_PARAMETERS)

DRIVER_STATE_NAMES = (
    "steering_wheel_angle_rad", "force_demand_n", "target_speed_mps", "path_index",
    "lateral_offset_m", "offset_integral_ms", "speed_error_integral_m", "released",
    "predicted_offset_m", "feedforward_curvature_per_m",
)
DRIVER_STATE_UNITS = ("rad", "N", "m/s", "-", "m", "m·s", "m", "-", "m", "1/m")
N_DRIVER_STATES = len(DRIVER_STATE_NAMES)
(DS_STEER, DS_FORCE, DS_TARGET_SPEED, DS_INDEX, DS_OFFSET, DS_OFFSET_INTEGRAL,
 DS_SPEED_INTEGRAL, DS_RELEASED, DS_PREDICTED_OFFSET, DS_FF_CURVATURE) = range(N_DRIVER_STATES)

#: Columns of a path table (:meth:`Path.table`): ground-frame point [m], arc length from the
#: first point [m], tangent heading at the point [rad] (unwrapped: continuous along the path).
PATH_X, PATH_Y, PATH_S, PATH_HEADING = range(4)
N_PATH_COLUMNS = 4

#: How far ahead of the last closest path point the next one is searched [points].
_SEARCH_WINDOW = 64

_scalar = numba.njit(cache=True, _nrt=False)

#: Speed [m/s] at which the lateral-offset integral has its nominal gain; below it the gain is
#: held, above it falls as (v_ref / v)².
_OFFSET_REFERENCE_SPEED_MPS = 10.0
#: The offset enters the integral clipped to this magnitude [m] (anti-windup: a large offset in
#: a transient, e.g. turning onto a circle at speed, does not wind the integral up).
_OFFSET_INTEGRAL_CLIP_M = 0.25
#: Arc length [m] over which the preview driver averages the path's curvature (the heading
#: change over it divided by it): exact on arcs, finite at a kink of a polygonal path.
_CURVATURE_WINDOW_M = 2.0
#: The preview law counts an offset of at most this fraction of its preview distance: farther
#: from the path it steers for an approach angle of asin(1/2) = 30 deg, not harder.
_REJOIN_FRACTION = 0.5
#: The preview law feeds forward at most the curvature of this lateral acceleration [m/s²]
#: (1.3 g, beyond any road car's grip) at the current speed, and steers at most the angle its
#: model gives for it.
_FEEDFORWARD_MAX_AY_MPS2 = 13.0


@_scalar
def _closest_point(path, start, px, py):
    """Index ``i`` of the path segment (i, i+1) nearest to (px, py) among those from ``start``
    on (a window of :data:`_SEARCH_WINDOW` segments), the signed distance [m] of the point
    to the left of that segment's line, and the fraction [0, 1] of the segment at its foot."""
    last = path.shape[0] - 2
    best, best_d2 = start, math.inf
    for i in range(start, min(start + _SEARCH_WINDOW, last) + 1):
        x0, y0 = path[i, 0], path[i, 1]
        dx, dy = path[i + 1, 0] - x0, path[i + 1, 1] - y0
        length2 = dx * dx + dy * dy
        u = 0.0 if length2 == 0.0 else ((px - x0) * dx + (py - y0) * dy) / length2
        u = min(max(u, 0.0), 1.0)
        ex, ey = px - (x0 + u * dx), py - (y0 + u * dy)
        d2 = ex * ex + ey * ey
        if d2 < best_d2:
            best, best_d2 = i, d2
    x0, y0 = path[best, 0], path[best, 1]
    dx, dy = path[best + 1, 0] - x0, path[best + 1, 1] - y0
    length2 = dx * dx + dy * dy
    length = math.sqrt(length2)
    offset = 0.0 if length == 0.0 else (dx * (py - y0) - dy * (px - x0)) / length
    u = 0.0 if length2 == 0.0 else min(max(((px - x0) * dx + (py - y0) * dy) / length2, 0.0),
                                       1.0)
    return best, offset, u


@_scalar
def _look_ahead_point(path, start, px, py, distance):
    """The point of the path, from segment ``start`` on, at ``distance`` [m] from (px, py)
    (linearly interpolated on the first segment whose end is that far), or the path's end."""
    k = path.shape[0]
    for i in range(start + 1, k):
        ex, ey = path[i, 0] - px, path[i, 1] - py
        if ex * ex + ey * ey >= distance * distance:
            x0, y0 = path[i - 1, 0], path[i - 1, 1]
            dx, dy = path[i, 0] - x0, path[i, 1] - y0
            # solve |p0 + u d - p| = distance for u in [0, 1] (the far root)
            fx, fy = x0 - px, y0 - py
            a = dx * dx + dy * dy
            b = 2.0 * (fx * dx + fy * dy)
            c = fx * fx + fy * fy - distance * distance
            disc = max(b * b - 4.0 * a * c, 0.0)
            u = 1.0 if a == 0.0 else min(max((-b + math.sqrt(disc)) / (2.0 * a), 0.0), 1.0)
            return x0 + u * dx, y0 + u * dy
    return path[k - 1, 0], path[k - 1, 1]


@_scalar
def pure_pursuit_steer_rad(p, dp, ds, lane, x, path, h):
    """Steering-wheel angle target [rad] of the pure-pursuit path follower for lane ``lane``
    (state lane table ``x``, path (K, 2+) ground-frame points [m] in its first two columns);
    updates the lane's closest-point index,
    lateral offset and its integral (step ``h`` [s]) in ``ds``."""
    psi = x[S_PSI * LANES + lane]
    b = p[P_B * LANES + lane]
    wheelbase = p[P_A * LANES + lane] + b
    cos_psi, sin_psi = math.cos(psi), math.sin(psi)
    rx = x[S_X * LANES + lane] - b * cos_psi  # rear-axle centre
    ry = x[S_Y * LANES + lane] - b * sin_psi
    index, offset, _ = _closest_point(path, int(ds[DS_INDEX * LANES + lane]), rx, ry)
    ds[DS_INDEX * LANES + lane] = index
    ds[DS_OFFSET * LANES + lane] = offset
    # the integral's weight falls with speed squared (the lateral response to steer grows
    # with it), so that the correction keeps its bandwidth and stays stable at any speed
    speed = max(abs(x[S_VX * LANES + lane]), _OFFSET_REFERENCE_SPEED_MPS)
    weight = (_OFFSET_REFERENCE_SPEED_MPS / speed) ** 2
    clipped = min(max(offset, -_OFFSET_INTEGRAL_CLIP_M), _OFFSET_INTEGRAL_CLIP_M)
    integral = ds[DS_OFFSET_INTEGRAL * LANES + lane] + weight * clipped * h
    ds[DS_OFFSET_INTEGRAL * LANES + lane] = integral
    preview = max(dp[DP_PREVIEW_MIN * LANES + lane],
                  dp[DP_PREVIEW_T * LANES + lane] * abs(x[S_VX * LANES + lane]))
    lx, ly = _look_ahead_point(path, index, rx, ry, preview)
    alpha = math.atan2(ly - ry, lx - rx) - psi
    alpha = math.atan2(math.sin(alpha), math.cos(alpha))  # wrapped to [-pi, pi]
    delta = math.atan(2.0 * wheelbase * math.sin(alpha) / preview)
    delta -= dp[DP_OFFSET_KI * LANES + lane] * integral
    return p[P_STEER_RATIO * LANES + lane] * delta


@_scalar
def _heading_at_s(path, start, s):
    """Tangent heading [rad] of the path (table of :data:`N_PATH_COLUMNS` columns) at arc
    length ``s`` [m], searched from point ``start`` on; linear between points, held beyond the
    ends."""
    k = path.shape[0]
    if s <= path[start, PATH_S]:
        return path[start, PATH_HEADING]
    i = start
    while i < k - 2 and path[i + 1, PATH_S] < s:
        i += 1
    s0, s1 = path[i, PATH_S], path[i + 1, PATH_S]
    if s >= s1:
        return path[i + 1, PATH_HEADING]
    f = 0.0 if s1 <= s0 else (s - s0) / (s1 - s0)
    return path[i, PATH_HEADING] * (1.0 - f) + path[i + 1, PATH_HEADING] * f


@_scalar
def preview_steer_rad(p, dp, ds, lane, x, path, h):
    """Steering-wheel angle target [rad] of the **preview driver** for lane ``lane`` (state
    lane table ``x``, path table (K, :data:`N_PATH_COLUMNS`)): path-curvature feedforward
    through the driver's steady-state model of the car, plus feedback of the lateral offset
    predicted at the preview distance, plus the speed-weighted offset integral; updates the
    lane's closest-point index, offset, predicted offset, feedforward curvature and integral
    (step ``h`` [s]) in ``ds``. See the module docstring for the law and its sources."""
    psi = x[S_PSI * LANES + lane]
    vx, vy = x[S_VX * LANES + lane], x[S_VY * LANES + lane]
    wheelbase = p[P_A * LANES + lane] + p[P_B * LANES + lane]
    px, py = x[S_X * LANES + lane], x[S_Y * LANES + lane]  # centre of mass
    index, offset, u = _closest_point(path, int(ds[DS_INDEX * LANES + lane]), px, py)
    ds[DS_INDEX * LANES + lane] = index
    ds[DS_OFFSET * LANES + lane] = offset
    s_here = path[index, PATH_S] * (1.0 - u) + path[index + 1, PATH_S] * u
    heading = path[index, PATH_HEADING] * (1.0 - u) + path[index + 1, PATH_HEADING] * u
    speed = abs(vx)
    # course error: direction of the centre of mass's velocity against the path's tangent
    course = psi + (math.atan2(vy, vx) if speed > 0.1 else 0.0)
    course_error = math.atan2(math.sin(course - heading), math.cos(course - heading))
    # the preview time, constant up to the growth speed, grows in proportion to speed above it
    growth = max(1.0, speed / dp[DP_PREVIEW_GROWTH * LANES + lane])
    preview = max(dp[DP_PREVIEW_MIN * LANES + lane],
                  dp[DP_PREVIEW_T * LANES + lane] * speed * growth)
    # far from the path, the driver heads back at a bounded angle (sin = 1/2: 30 deg)
    rejoin = _REJOIN_FRACTION * preview
    predicted = min(max(offset, -rejoin), rejoin) \
        + math.sqrt(2.0) * dp[DP_DAMPING * LANES + lane] * preview * math.sin(course_error)
    ds[DS_PREDICTED_OFFSET * LANES + lane] = predicted
    # mean path curvature over a window centred at the feedforward preview distance
    centre = s_here + dp[DP_FF_PREVIEW_T * LANES + lane] * speed
    half = 0.5 * _CURVATURE_WINDOW_M
    curvature = (_heading_at_s(path, index, centre + half)
                 - _heading_at_s(path, index, centre - half)) / _CURVATURE_WINDOW_M
    # no more than a car can follow (a kink of a polygonal path would ask for any angle)
    most = _FEEDFORWARD_MAX_AY_MPS2 / max(speed * speed, 1.0)
    curvature = min(max(curvature, -most), most)
    ds[DS_FF_CURVATURE * LANES + lane] = curvature
    # the driver's steady-state model: road-wheel angle per unit path curvature
    model = wheelbase + dp[DP_UNDERSTEER * LANES + lane] * speed * speed
    weight = (_OFFSET_REFERENCE_SPEED_MPS / max(speed, _OFFSET_REFERENCE_SPEED_MPS)) ** 2
    clipped = min(max(offset, -_OFFSET_INTEGRAL_CLIP_M), _OFFSET_INTEGRAL_CLIP_M)
    integral = ds[DS_OFFSET_INTEGRAL * LANES + lane] + weight * clipped * h
    ds[DS_OFFSET_INTEGRAL * LANES + lane] = integral
    delta = model * (curvature - 2.0 * predicted / (preview * preview)) \
        - dp[DP_OFFSET_KI * LANES + lane] * integral
    # and no more steer than its model says would use that much grip
    delta = min(max(delta, -model * most), model * most)
    return p[P_STEER_RATIO * LANES + lane] * delta


@_scalar
def path_steer_rad(p, dp, ds, lane, x, path, h):
    """Steering-wheel angle target [rad] of the path follower of lane ``lane``, by its
    ``steer_law``: :func:`preview_steer_rad` or :func:`pure_pursuit_steer_rad`."""
    if dp[DP_STEER_LAW * LANES + lane] == LAW_PREVIEW:
        return preview_steer_rad(p, dp, ds, lane, x, path, h)
    return pure_pursuit_steer_rad(p, dp, ds, lane, x, path, h)


@_scalar
def steering_update_rad(dp, lane, current, target, h):
    """The driver's steering-wheel angle [rad] after a step ``h`` [s] from ``current`` towards
    ``target``: first-order lag ``steer_lag_s``, rate limited to ``max_steer_rate_radps``."""
    lag = dp[DP_STEER_LAG * LANES + lane]
    move = (target - current) if lag <= 0.0 else (target - current) * (1.0 - math.exp(-h / lag))
    limit = dp[DP_STEER_RATE * LANES + lane] * h
    return current + min(max(move, -limit), limit)


@_scalar
def speed_control_force_n(p, dp, ds, lane, x, target_speed_mps, h):
    """Longitudinal force demand [N] of the speed controller for lane ``lane``: resistance
    feedforward ``1/2 rho CdA v|v| + f_rr m g`` plus ``m (k_p e + k_i int e)`` with
    ``e = target - v_x`` [m/s], the integral clamped to ``max_integral_accel_mps2`` (anti-windup);
    0 once the car is beyond ``release_x_m`` (released for good)."""
    if ds[DS_RELEASED * LANES + lane] > 0.0 \
            or x[S_X * LANES + lane] >= dp[DP_RELEASE_X * LANES + lane]:
        ds[DS_RELEASED * LANES + lane] = 1.0
        return 0.0
    m, vx = p[P_MASS * LANES + lane], x[S_VX * LANES + lane]
    error = target_speed_mps - vx
    ki = dp[DP_SPEED_KI * LANES + lane]
    integral = ds[DS_SPEED_INTEGRAL * LANES + lane] + error * h
    if ki > 0.0:
        bound = dp[DP_INTEGRAL_MAX * LANES + lane] / ki
        integral = min(max(integral, -bound), bound)
    ds[DS_SPEED_INTEGRAL * LANES + lane] = integral
    resistance = 0.5 * p[P_RHO * LANES + lane] * p[P_CDA * LANES + lane] * vx * abs(vx) \
        + p[P_FRR * LANES + lane] * m * GRAVITY_MPS2
    return resistance + m * (dp[DP_SPEED_KP * LANES + lane] * error + ki * integral)


# --------------------------------------------------------------------------------------------
# Python side: settings and paths.


@dataclass(frozen=True, kw_only=True)
class Driver:
    """Settings of the closed-loop driver, the same for every member of a run (so that module
    off and on, or two variants, are driven alike).

    ``steer_law``: ``"pure_pursuit"`` or ``"preview"`` (see the module docstring).
    ``preview_time_s`` [s] and ``min_preview_m`` [m]: look-ahead distance
    ``max(min_preview_m, preview_time_s v_x)`` (pure pursuit's look-ahead point, the preview
    law's predicted offset). ``feedforward_preview_s`` [s] (preview law): how far ahead, in
    time at the current speed, the path's curvature is fed forward.
    ``preview_growth_speed_kmh`` [km/h] (preview law): above it the preview time grows in
    proportion to speed (``inf``: never), for stability at high speed.
    ``feedback_damping_ratio`` [-] (preview law): damping ratio of the feedback loop on a
    lag-free car (the weight ``sqrt(2) zeta`` of the course error in the prediction); above
    1/sqrt(2) it makes up for some of the car's lag.
    ``understeer_gradient_deg_per_g`` [deg/g of road-wheel angle] (preview law): the
    driver's belief of the car's understeer, ``K`` of its model ``delta = (L + K v²) kappa``
    (a driver's setting, the same for every car: the offset integral makes up the
    difference). ``offset_integral_gain_radpms``: road-wheel
    angle [rad] per metre-second of integrated lateral offset, at 10 m/s and below; above, the
    integral is weighted by (10 m/s / v)², as the lateral response to steer grows with v²; the
    offset enters it clipped to 0.25 m (anti-windup). ``steer_lag_s``: first-order lag
    of the steering-wheel angle [s]. ``max_steer_rate_deg_per_s``: steering-rate limit [deg/s]
    (skilled test drivers reach 500-1000 deg/s in a lane change). ``speed_gain_per_s`` [1/s],
    ``speed_integral_gain_per_s2`` [1/s²]: PI gains of the speed controller, as accelerations
    per unit speed error; ``max_integral_accel_mps2``: bound of the integral term [m/s²].
    """

    steer_law: str = "pure_pursuit"
    preview_time_s: float = 0.6
    min_preview_m: float = 5.0
    offset_integral_gain_radpms: float = 0.04
    steer_lag_s: float = 0.05
    max_steer_rate_deg_per_s: float = 800.0
    speed_gain_per_s: float = 1.0
    speed_integral_gain_per_s2: float = 0.3
    max_integral_accel_mps2: float = 3.0
    feedforward_preview_s: float = 0.2
    understeer_gradient_deg_per_g: float = 1.0
    preview_growth_speed_kmh: float = math.inf
    feedback_damping_ratio: float = 1.0 / math.sqrt(2.0)

    def __post_init__(self):
        if self.steer_law not in STEER_LAWS:
            raise SpecError("<Driver>", "steer_law", self.steer_law,
                            "one of " + ", ".join(STEER_LAWS))
        limits = {"feedforward_preview_s": (0.0, 2.0), "feedback_damping_ratio": (0.0, 5.0),
                  "understeer_gradient_deg_per_g": (-5.0, 20.0),
                  "preview_time_s": (0.0, 5.0), "min_preview_m": (0.5, 100.0),
                  "offset_integral_gain_radpms": (0.0, 1.0), "steer_lag_s": (0.0, 1.0),
                  "max_steer_rate_deg_per_s": (1.0, 5000.0), "speed_gain_per_s": (0.0, 20.0),
                  "speed_integral_gain_per_s2": (0.0, 20.0),
                  "max_integral_accel_mps2": (0.0, 20.0)}
        growth = self.preview_growth_speed_kmh
        if not (isinstance(growth, numbers.Real) and not isinstance(growth, bool)
                and 10.0 <= growth <= math.inf):
            raise SpecError("<Driver>", "preview_growth_speed_kmh", growth,
                            "a speed in [10, inf] km/h")
        for name, (low, high) in limits.items():
            value = getattr(self, name)
            if not (isinstance(value, numbers.Real) and not isinstance(value, bool)
                    and math.isfinite(value) and low <= value <= high):
                raise SpecError("<Driver>", name, value, f"a number in [{low:g}, {high:g}]")


def driver_parameters(driver: Driver, n: int, *, follow_path: bool, control_speed: bool,
                      release_x_m=math.inf) -> np.ndarray:
    """The (n, :data:`DRIVER_PARAMETER_NAMES`) table of a run's members."""
    values = {
        "steer_mode": STEER_PATH if follow_path else STEER_TABLE,
        "speed_mode": SPEED_CONTROL if control_speed else SPEED_TABLE,
        "preview_time_s": driver.preview_time_s, "min_preview_m": driver.min_preview_m,
        "offset_integral_gain_radpms": driver.offset_integral_gain_radpms,
        "steer_lag_s": driver.steer_lag_s,
        "max_steer_rate_radps": deg_to_rad(driver.max_steer_rate_deg_per_s),
        "speed_gain_per_s": driver.speed_gain_per_s,
        "speed_integral_gain_per_s2": driver.speed_integral_gain_per_s2,
        "max_integral_accel_mps2": driver.max_integral_accel_mps2,
        "release_x_m": release_x_m,
        "steer_law": STEER_LAWS[driver.steer_law],
        "feedforward_preview_s": driver.feedforward_preview_s,
        "preview_growth_speed_mps": driver.preview_growth_speed_kmh / 3.6,
        "feedback_damping_ratio": driver.feedback_damping_ratio,
        "understeer_gradient_radpmps2":
            deg_to_rad(driver.understeer_gradient_deg_per_g) / GRAVITY_MPS2,
    }
    table = np.empty((n, N_DRIVER_PARAMETERS))
    for k, name in enumerate(DRIVER_PARAMETER_NAMES):
        table[:, k] = values[name]
    return table


@dataclass(frozen=True)
class Path:
    """A path for the follower: ground-frame points ``x_m``, ``y_m`` [m] (K,) shared by every
    member, or (N, K) one per member; the car starts at the origin heading along +x, so a path
    should start there. Consecutive points should be closer than the look-ahead distance
    (0.5-1 m is plenty)."""

    x_m: np.ndarray
    y_m: np.ndarray

    def __post_init__(self):
        x = np.atleast_1d(np.asarray(self.x_m, dtype=float))
        y = np.atleast_1d(np.asarray(self.y_m, dtype=float))
        if x.shape != y.shape or x.ndim > 2 or x.shape[-1] < 2:
            raise SpecError("<Path>", "x_m, y_m", f"shapes {x.shape}, {y.shape}",
                            "equal shapes (K,) or (N, K) with K >= 2 points")
        if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
            raise SpecError("<Path>", "x_m, y_m", "non-finite values", "finite coordinates")
        object.__setattr__(self, "x_m", x)
        object.__setattr__(self, "y_m", y)

    @property
    def rows(self) -> int:
        """Members the path has rows for (1: shared)."""
        return 1 if self.x_m.ndim == 1 else self.x_m.shape[0]

    def table(self, n: int) -> np.ndarray:
        """The (n, K, :data:`N_PATH_COLUMNS`) table of a run of n members: per point x, y [m],
        arc length from the first point [m] (along the polygon) and tangent heading [rad]
        (the mean of the headings of the two segments at the point, extrapolated at the ends,
        unwrapped along the path; a zero-length segment takes its predecessor's heading)."""
        x, y = np.atleast_2d(self.x_m), np.atleast_2d(self.y_m)
        if x.shape[0] not in (1, n):
            raise SpecError("<Path>", "x_m", f"{x.shape[0]} rows",
                            f"1 row or one per member ({n})")
        dx, dy = np.diff(x, axis=1), np.diff(y, axis=1)
        length = np.hypot(dx, dy)
        segment = np.arctan2(dy, dx)
        for row in range(segment.shape[0]):  # zero-length segments: keep the heading
            for k in np.flatnonzero(length[row] == 0.0):
                segment[row, k] = segment[row, k - 1] if k > 0 else 0.0
        segment = np.unwrap(segment, axis=1)
        if segment.shape[1] > 1:  # the ends: extrapolated from the two end segments
            first = 1.5 * segment[:, :1] - 0.5 * segment[:, 1:2]
            last = 1.5 * segment[:, -1:] - 0.5 * segment[:, -2:-1]
        else:
            first = last = segment
        heading = np.concatenate([first, 0.5 * (segment[:, :-1] + segment[:, 1:]), last],
                                 axis=1)
        arc = np.concatenate([np.zeros((x.shape[0], 1)), np.cumsum(length, axis=1)], axis=1)
        table = np.stack([x, y, arc, heading], axis=-1)
        return kernel_array(np.broadcast_to(table, (n, *table.shape[1:])))

    @classmethod
    def circle(cls, radius_m: float, *, direction: int = 1, laps: float = 1.0,
               spacing_m: float = 0.5, lead_in_m: float = 0.0) -> Path:
        """A circle of ``radius_m`` [m] starting at the origin heading +x, turning left
        (``direction`` +1) or right (-1), ``laps`` times round, after a straight lead-in of
        ``lead_in_m`` [m] (points every ``spacing_m``)."""
        if not (isinstance(radius_m, numbers.Real) and 1.0 <= radius_m <= 10_000.0):
            raise SpecError("<Path.circle>", "radius_m", radius_m, "a number in [1, 10000] m")
        if direction not in (1, -1):
            raise SpecError("<Path.circle>", "direction", direction, "+1 (left) or -1 (right)")
        lead = np.arange(0.0, lead_in_m, spacing_m)
        arc = np.arange(0.0, 2.0 * np.pi * radius_m * laps + spacing_m, spacing_m) / radius_m
        x = np.concatenate([lead, lead_in_m + radius_m * np.sin(arc)])
        y = np.concatenate([np.zeros_like(lead), direction * radius_m * (1.0 - np.cos(arc))])
        return cls(x, y)


__all__ = [
    "DRIVER_PARAMETER_NAMES", "DRIVER_STATE_NAMES", "DRIVER_STATE_UNITS", "Driver",
    "N_PATH_COLUMNS", "Path", "SPEED_CONTROL", "SPEED_TABLE", "STEER_LAWS", "STEER_PATH",
    "STEER_TABLE", "driver_parameters", "path_steer_rad", "preview_steer_rad",
    "pure_pursuit_steer_rad", "speed_control_force_n", "steering_update_rad",
]
