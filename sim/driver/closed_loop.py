"""Closed-loop driver: a path follower (pure pursuit with preview) and a speed controller.

Both run inside the compiled time loop (:mod:`sim.integrator`), once per integrator step and
batch member, so a batch of hundreds of cars drives a lane change in one call. Their settings
are per member (lane table ``Lanes.dp``, rows :data:`DRIVER_PARAMETER_NAMES`), their memory is
explicit (``Lanes.ds``, rows :data:`DRIVER_STATE_NAMES`, recorded as channels ``driver_<name>``).

Steering (``steer_mode``):

* ``STEER_TABLE`` -- open loop: the steering-wheel angle is the input table (a profile of
  :mod:`sim.driver.open_loop`), interpolated at every Runge-Kutta stage.
* ``STEER_PATH`` -- **pure pursuit** (Coulter 1992, the geometric path tracker of Carnegie
  Mellon's Navlab; Snider 2009 compares it with Stanley and preview controllers) about the
  rear-axle centre: the look-ahead point lies on the path at distance
  ``L_d = max(min_preview_m, preview_time_s * v_x)`` from the rear axle, seen at the angle
  ``alpha`` from the car's heading, and the kinematic steer angle that drives the rear axle on
  a circle through it is ``delta = atan(2 L sin(alpha) / L_d)`` (``L`` wheelbase). A small
  integral of the lateral offset from the path removes the steady offset that pure pursuit
  leaves on a curve with an understeering car (it aims with kinematic, not real, steer). The
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
``lateral_offset_m`` is the car's (rear axle's) distance to the left of the path.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numba
import numpy as np

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
    S_X,
    S_Y,
)
from sim.errors import SpecError
from sim.units import GRAVITY_MPS2, deg_to_rad

STEER_TABLE, STEER_PATH = 0, 1
SPEED_TABLE, SPEED_CONTROL = 0, 1

DRIVER_PARAMETER_NAMES = (
    "steer_mode", "speed_mode",
    "preview_time_s", "min_preview_m", "offset_integral_gain_radpms", "steer_lag_s",
    "max_steer_rate_radps",
    "speed_gain_per_s", "speed_integral_gain_per_s2", "max_integral_accel_mps2",
    "release_x_m",
)
N_DRIVER_PARAMETERS = len(DRIVER_PARAMETER_NAMES)
(DP_STEER_MODE, DP_SPEED_MODE, DP_PREVIEW_T, DP_PREVIEW_MIN, DP_OFFSET_KI, DP_STEER_LAG,
 DP_STEER_RATE, DP_SPEED_KP, DP_SPEED_KI, DP_INTEGRAL_MAX, DP_RELEASE_X) = range(
    N_DRIVER_PARAMETERS)

DRIVER_STATE_NAMES = (
    "steering_wheel_angle_rad", "force_demand_n", "target_speed_mps", "path_index",
    "lateral_offset_m", "offset_integral_ms", "speed_error_integral_m", "released",
)
DRIVER_STATE_UNITS = ("rad", "N", "m/s", "-", "m", "m·s", "m", "-")
N_DRIVER_STATES = len(DRIVER_STATE_NAMES)
(DS_STEER, DS_FORCE, DS_TARGET_SPEED, DS_INDEX, DS_OFFSET, DS_OFFSET_INTEGRAL,
 DS_SPEED_INTEGRAL, DS_RELEASED) = range(N_DRIVER_STATES)

#: How far ahead of the last closest path point the next one is searched [points].
_SEARCH_WINDOW = 64

_scalar = numba.njit(cache=True, _nrt=False)

#: Speed [m/s] at which the lateral-offset integral has its nominal gain; below it the gain is
#: held, above it falls as (v_ref / v)².
_OFFSET_REFERENCE_SPEED_MPS = 10.0
#: The offset enters the integral clipped to this magnitude [m] (anti-windup: a large offset in
#: a transient, e.g. turning onto a circle at speed, does not wind the integral up).
_OFFSET_INTEGRAL_CLIP_M = 0.25


@_scalar
def _closest_point(path, start, px, py):
    """Index ``i`` of the path segment (i, i+1) nearest to (px, py) among those from ``start``
    on (a window of :data:`_SEARCH_WINDOW` segments), and the signed distance [m] of the point
    to the left of that segment's line."""
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
    length = math.sqrt(dx * dx + dy * dy)
    offset = 0.0 if length == 0.0 else (dx * (py - y0) - dy * (px - x0)) / length
    return best, offset


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
    """Steering-wheel angle target [rad] of the path follower for lane ``lane`` (state lane
    table ``x``, path (K, 2) ground-frame points [m]); updates the lane's closest-point index,
    lateral offset and its integral (step ``h`` [s]) in ``ds``."""
    psi = x[S_PSI * LANES + lane]
    b = p[P_B * LANES + lane]
    wheelbase = p[P_A * LANES + lane] + b
    cos_psi, sin_psi = math.cos(psi), math.sin(psi)
    rx = x[S_X * LANES + lane] - b * cos_psi  # rear-axle centre
    ry = x[S_Y * LANES + lane] - b * sin_psi
    index, offset = _closest_point(path, int(ds[DS_INDEX * LANES + lane]), rx, ry)
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

    ``preview_time_s`` [s] and ``min_preview_m`` [m]: look-ahead distance
    ``max(min_preview_m, preview_time_s v_x)``. ``offset_integral_gain_radpms``: road-wheel
    angle [rad] per metre-second of integrated lateral offset, at 10 m/s and below; above, the
    integral is weighted by (10 m/s / v)², as the lateral response to steer grows with v²; the
    offset enters it clipped to 0.25 m (anti-windup). ``steer_lag_s``: first-order lag
    of the steering-wheel angle [s]. ``max_steer_rate_deg_per_s``: steering-rate limit [deg/s]
    (skilled test drivers reach 500-1000 deg/s in a lane change). ``speed_gain_per_s`` [1/s],
    ``speed_integral_gain_per_s2`` [1/s²]: PI gains of the speed controller, as accelerations
    per unit speed error; ``max_integral_accel_mps2``: bound of the integral term [m/s²].
    """

    preview_time_s: float = 0.6
    min_preview_m: float = 5.0
    offset_integral_gain_radpms: float = 0.04
    steer_lag_s: float = 0.05
    max_steer_rate_deg_per_s: float = 800.0
    speed_gain_per_s: float = 1.0
    speed_integral_gain_per_s2: float = 0.3
    max_integral_accel_mps2: float = 3.0

    def __post_init__(self):
        limits = {"preview_time_s": (0.0, 5.0), "min_preview_m": (0.5, 100.0),
                  "offset_integral_gain_radpms": (0.0, 1.0), "steer_lag_s": (0.0, 1.0),
                  "max_steer_rate_deg_per_s": (1.0, 5000.0), "speed_gain_per_s": (0.0, 20.0),
                  "speed_integral_gain_per_s2": (0.0, 20.0),
                  "max_integral_accel_mps2": (0.0, 20.0)}
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
        """The (n, K, 2) point table of a run of n members."""
        xy = np.stack([np.atleast_2d(self.x_m), np.atleast_2d(self.y_m)], axis=-1)
        if xy.shape[0] not in (1, n):
            raise SpecError("<Path>", "x_m", f"{xy.shape[0]} rows",
                            f"1 row or one per member ({n})")
        return np.ascontiguousarray(np.broadcast_to(xy, (n, *xy.shape[1:])))

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
    "DRIVER_PARAMETER_NAMES", "DRIVER_STATE_NAMES", "DRIVER_STATE_UNITS", "Driver", "Path",
    "SPEED_CONTROL", "SPEED_TABLE", "STEER_PATH", "STEER_TABLE", "driver_parameters",
    "pure_pursuit_steer_rad", "speed_control_force_n", "steering_update_rad",
]
