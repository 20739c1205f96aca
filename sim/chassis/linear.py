"""Linear single-track ("bicycle") model: closed-form results and exact time responses.

States are ``x = [v_y, r]``: lateral velocity of the centre of gravity [m/s] and yaw rate
[rad/s], in ISO 8855 axes (x forward, y left, z up; yaw rate positive to the left). The input
is the **road-wheel** steer angle ``delta`` [rad], positive to the left. Converting a
steering-wheel angle (steering ratio, compliance) is the caller's business.

Tyre forces are linear in the ISO slip angle, ``alpha_ISO = atan(v_y_wheel / v_x_wheel)``
(linearised), which is the negative of the textbook slip ``alpha = delta - (v_y + a r)/u``::

    alpha_f = (v_y + a r)/u - delta        F_yf = -C_f alpha_f
    alpha_r = (v_y - b r)/u                F_yr = -C_r alpha_r

with ``C_f``, ``C_r`` the **axle** cornering stiffnesses (both tyres, > 0, N/rad). The forward
speed ``u`` is constant per batch member. Small angles throughout: sideslip at the CG is
``beta = v_y / u`` and the lateral acceleration is ``a_y = v_y_dot + u r``.

Every function is batch first: parameters are ``(N,)`` arrays, a single vehicle is a batch of
one, and a scalar speed (or a batch of one) broadcasts against the batch.

Unstable members (oversteer, speed above the critical speed) are reported honestly: their
closed-form gains change sign, their time responses grow exponentially, and the flags
``YawMode.stable`` and ``TimeResponse.stable`` say so; a response that overflows raises
``FloatingPointError`` naming the member and the time. No function returns NaN to mean "not
applicable"; where a quantity does not exist it returns ``inf`` and says so in its docstring.

Time responses use an exact discretisation (matrix exponential of the augmented matrix, one
vectorised pass over the batch) and a small compiled recurrence (numba, cached on disk; the
first call in a process costs about 0.3 s to load it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numba
import numpy as np

from sim.errors import SpecError
from sim.units import per_mps2_to_deg_per_g

#: Names of the state vector entries, in order (index 0 is v_y, index 1 is r).
STATE_NAMES = ("lateral_velocity_mps", "yaw_rate_radps")
_VY, _R = 0, 1

#: Names of the (N,) parameter fields of :class:`LinearSingleTrack`, in order.
PARAMETER_NAMES = (
    "mass_kg",
    "yaw_inertia_kgm2",
    "cg_to_front_axle_m",
    "cg_to_rear_axle_m",
    "front_cornering_stiffness_npr",
    "rear_cornering_stiffness_npr",
)

_FIELD_UNITS = {
    "mass_kg": "kg",
    "yaw_inertia_kgm2": "kg m²",
    "cg_to_front_axle_m": "m",
    "cg_to_rear_axle_m": "m",
    "front_cornering_stiffness_npr": "N/rad (axle, both tyres)",
    "rear_cornering_stiffness_npr": "N/rad (axle, both tyres)",
}


# --------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class LinearSingleTrack:
    """Parameters of a batch of N linear single-track models, each field a read-only ``(N,)``.

    Parameters
    ----------
    mass_kg : array_like
        Total vehicle mass m [kg], > 0.
    yaw_inertia_kgm2 : array_like
        Yaw moment of inertia about the CG, I_z [kg m²], > 0.
    cg_to_front_axle_m, cg_to_rear_axle_m : array_like
        Horizontal distances a and b from the CG to the front and rear axle [m], > 0.
    front_cornering_stiffness_npr, rear_cornering_stiffness_npr : array_like
        **Axle** cornering stiffnesses C_f and C_r (sum of both tyres) [N/rad], > 0. The sign
        convention (a positive ISO slip angle gives a negative force) lives in the model, not
        in these values.
    source : str, optional
        Where the values came from (file name or ``"<argument>"``), used in error messages.

    Scalars broadcast to the batch; all fields must broadcast to one shape ``(N,)``. Every value
    must be finite and positive, else :class:`~sim.errors.SpecError` names the field, the first
    offending batch member and the allowed range.
    """

    mass_kg: np.ndarray
    yaw_inertia_kgm2: np.ndarray
    cg_to_front_axle_m: np.ndarray
    cg_to_rear_axle_m: np.ndarray
    front_cornering_stiffness_npr: np.ndarray
    rear_cornering_stiffness_npr: np.ndarray
    source: str = field(default="<argument>", repr=False)

    def __post_init__(self) -> None:
        source = self.source
        arrays = {name: _as_1d(getattr(self, name), name, source) for name in PARAMETER_NAMES}
        try:
            shape = np.broadcast_shapes(*(a.shape for a in arrays.values()))
        except ValueError:
            shapes = ", ".join(f"{n}: {a.shape}" for n, a in arrays.items())
            raise SpecError(
                source, "batch shape", shapes, "all fields must broadcast to one shape (N,)"
            ) from None
        for name, arr in arrays.items():
            bad = np.flatnonzero(~(np.isfinite(arr) & (arr > 0.0)))
            if bad.size:
                i = int(bad[0])
                raise SpecError(
                    source,
                    f"{name}[{i}]" if arr.size > 1 else name,
                    float(arr[i]),
                    f"must be finite and > 0 {_FIELD_UNITS[name]}",
                )
            full = np.array(np.broadcast_to(arr, shape), dtype=np.float64)
            full.setflags(write=False)
            object.__setattr__(self, name, full)

    @property
    def batch_size(self) -> int:
        """Number of vehicles N in the batch."""
        return self.mass_kg.shape[0]

    @property
    def wheelbase_m(self) -> np.ndarray:
        """Wheelbase L = a + b [m], ``(N,)``."""
        return self.cg_to_front_axle_m + self.cg_to_rear_axle_m


def _as_1d(value, name: str, source: str = "<argument>") -> np.ndarray:
    """Turn a scalar or 1-D array_like into a float64 1-D array, or raise SpecError."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise SpecError(source, name, value, "must be a real number or a 1-D array") from None
    if arr.ndim > 1 or arr.size == 0:
        raise SpecError(source, name, value, "must be a scalar or a non-empty 1-D array (N,)")
    return arr.reshape(-1)


def _batch_arg(value, name: str, n: int, positive: bool = True) -> np.ndarray:
    """Validate a scalar or (n,) argument (finite, and > 0 if ``positive``); return it (n,)."""
    arr = _as_1d(value, name)
    ok = np.isfinite(arr) & (arr > 0.0) if positive else np.isfinite(arr)
    bad = np.flatnonzero(~ok)
    if bad.size:
        i = int(bad[0])
        raise SpecError("<argument>", f"{name}[{i}]" if arr.size > 1 else name, float(arr[i]),
                        "must be finite and > 0" if positive else "must be finite")
    if arr.size not in (1, n):
        raise SpecError("<argument>", name, f"shape {arr.shape}",
                        f"must be a scalar or have the batch shape ({n},)")
    return np.broadcast_to(arr, (n,))


def _scalar_arg(value, name: str, minimum: float, inclusive: bool) -> float:
    """Validate a finite scalar argument >= (or >) ``minimum``; return it as a float."""
    arr = _as_1d(value, name)
    x = float(arr[0])
    ok = arr.size == 1 and np.isfinite(x) and (x >= minimum if inclusive else x > minimum)
    if not ok:
        raise SpecError("<argument>", name, value,
                        f"must be one finite number {'>=' if inclusive else '>'} {minimum:g}")
    return x


def _batch(model: LinearSingleTrack, speed_mps):
    """Validate ``speed_mps`` and broadcast model fields and speed to one batch size.

    A batch of one vehicle broadcasts against N speeds, and one speed against N vehicles.
    """
    n = model.batch_size if model.batch_size > 1 else _as_1d(speed_mps, "speed_mps").size
    u = _batch_arg(speed_mps, "speed_mps", n)
    p = {name: np.broadcast_to(getattr(model, name), (n,)) for name in PARAMETER_NAMES}
    return p, u


# --------------------------------------------------------------------------------------------
# Closed-form results
# --------------------------------------------------------------------------------------------
def state_space(model: LinearSingleTrack, speed_mps) -> tuple[np.ndarray, np.ndarray]:
    """State-space matrices of ``x_dot = A x + B delta`` for ``x = [v_y, r]``.

    Parameters
    ----------
    model : LinearSingleTrack
        Batch of N vehicles.
    speed_mps : float or array_like (N,)
        Constant forward speed u [m/s], > 0.

    Returns
    -------
    A : ndarray (N, 2, 2)
        ``[[-(C_f + C_r)/(m u), -(a C_f - b C_r)/(m u) - u],
        [-(a C_f - b C_r)/(I_z u), -(a² C_f + b² C_r)/(I_z u)]]``; units
        ``[[1/s, m/rad], [rad/(m s), 1/s]]`` (row, column in state order v_y, r).
    B : ndarray (N, 2, 1)
        Response to road-wheel steer delta [rad] (positive left): ``[C_f/m, a C_f/I_z]``.

    ISO signs: a positive (left) steer gives positive v_y_dot and r_dot at t = 0.
    """
    p, u = _batch(model, speed_mps)
    m, iz = p["mass_kg"], p["yaw_inertia_kgm2"]
    a, b = p["cg_to_front_axle_m"], p["cg_to_rear_axle_m"]
    cf, cr = p["front_cornering_stiffness_npr"], p["rear_cornering_stiffness_npr"]
    A = np.empty((u.size, 2, 2))
    A[:, _VY, _VY] = -(cf + cr) / (m * u)
    A[:, _VY, _R] = -(a * cf - b * cr) / (m * u) - u
    A[:, _R, _VY] = -(a * cf - b * cr) / (iz * u)
    A[:, _R, _R] = -(a * a * cf + b * b * cr) / (iz * u)
    B = np.empty((u.size, 2, 1))
    B[:, _VY, 0] = cf / m
    B[:, _R, 0] = a * cf / iz
    return A, B


def understeer_gradient_rad_per_mps2(model: LinearSingleTrack) -> np.ndarray:
    """Understeer gradient K = (m/L)(b/C_f - a/C_r) [rad/(m/s²)], ``(N,)``.

    K > 0 understeer, K = 0 neutral steer, K < 0 oversteer; steady state ``delta = L/R + K a_y``.
    It does not depend on g.
    """
    m, L = model.mass_kg, model.wheelbase_m
    return m / L * (model.cg_to_rear_axle_m / model.front_cornering_stiffness_npr
                    - model.cg_to_front_axle_m / model.rear_cornering_stiffness_npr)


def understeer_gradient_deg_per_g(model: LinearSingleTrack) -> np.ndarray:
    """Understeer gradient in degrees of road-wheel steer per g of lateral acceleration, ``(N,)``.

    ``K_deg_per_g = K (180/pi) g_n`` with the standard gravity g_n = 9.80665 m/s² that defines
    the unit "g" (:data:`sim.units.GRAVITY_MPS2`).
    """
    return per_mps2_to_deg_per_g(understeer_gradient_rad_per_mps2(model))


def characteristic_speed_mps(model: LinearSingleTrack) -> np.ndarray:
    """Characteristic speed sqrt(L/K) [m/s] of understeering members, ``(N,)``.

    At this speed the steady yaw-rate gain is largest (u_ch / (2 L)). It exists only for K > 0;
    neutral (K = 0) and oversteering (K < 0) members return ``inf`` (their gain has no maximum
    below the critical speed; ``inf`` is the limit K -> 0+).
    """
    k = understeer_gradient_rad_per_mps2(model)
    out = np.full(k.shape, np.inf)
    pos = k > 0.0
    out[pos] = np.sqrt(model.wheelbase_m[pos] / k[pos])
    return out


def critical_speed_mps(model: LinearSingleTrack) -> np.ndarray:
    """Critical speed sqrt(-L/K) [m/s] of oversteering members, ``(N,)``.

    Above it the straight-ahead motion is unstable (a saddle). It exists only for K < 0;
    neutral and understeering members never become unstable and return ``inf``.
    """
    k = understeer_gradient_rad_per_mps2(model)
    out = np.full(k.shape, np.inf)
    neg = k < 0.0
    out[neg] = np.sqrt(-model.wheelbase_m[neg] / k[neg])
    return out


@dataclass(frozen=True, eq=False)
class SteadyStateGains:
    """Steady-state responses per radian of road-wheel steer, each ``(N,)``.

    All are ``inf`` (signed) at exactly the critical speed, and negative above it, where the
    steady state exists mathematically but is unstable (never reached).
    """

    #: Yaw rate / steer, r/delta = u / (L + K u²) [1/s].
    yaw_rate_radps_per_rad: np.ndarray
    #: Sideslip at the CG / steer, beta/delta = (b - m a u² / (L C_r)) / (L + K u²) [-].
    sideslip_rad_per_rad: np.ndarray
    #: Lateral acceleration / steer, a_y/delta = u² / (L + K u²) [m/s² per rad].
    lateral_acceleration_mps2_per_rad: np.ndarray
    #: Path curvature / steer, (1/R)/delta = 1 / (L + K u²) [1/m per rad].
    curvature_per_m_per_rad: np.ndarray


def steady_state_gains(model: LinearSingleTrack, speed_mps) -> SteadyStateGains:
    """Closed-form steady-state gains at constant forward speed ``speed_mps`` [m/s].

    Positive gains mean a left (positive) steer gives a left yaw rate, a left lateral
    acceleration and a left-curving path; the sideslip gain changes sign at
    u = sqrt(b L C_r / (m a)) (the CG slides outward, beta < 0, above that speed).
    """
    p, u = _batch(model, speed_mps)
    m, a, b = p["mass_kg"], p["cg_to_front_axle_m"], p["cg_to_rear_axle_m"]
    cr = p["rear_cornering_stiffness_npr"]
    L = a + b
    k = m / L * (b / p["front_cornering_stiffness_npr"] - a / cr)
    with np.errstate(divide="ignore"):
        curvature = 1.0 / (L + k * u * u)
    return SteadyStateGains(
        yaw_rate_radps_per_rad=u * curvature,
        sideslip_rad_per_rad=(b - m * a * u * u / (L * cr)) * curvature,
        lateral_acceleration_mps2_per_rad=u * u * curvature,
        curvature_per_m_per_rad=curvature,
    )


@dataclass(frozen=True, eq=False)
class YawMode:
    """Eigen-behaviour of the 2-state model at constant speed, each field ``(N,)``.

    The characteristic polynomial is ``s² + 2 zeta omega_n s + omega_n²`` with
    ``omega_n² = C_f C_r L² / (m I_z u²) (1 + K u² / L)``.
    """

    #: Undamped natural frequency omega_n [rad/s]; 0 where omega_n² <= 0 (u >= critical speed).
    natural_frequency_radps: np.ndarray
    #: Damping ratio zeta [-]; > 1 means two real stable poles. ``inf`` where omega_n² <= 0:
    #: the limit at the critical speed; beyond it zeta is undefined (one pole is real positive).
    damping_ratio: np.ndarray
    #: Poles (eigenvalues of A) [1/s], complex, ``(N, 2)``, sorted by real part.
    poles_per_s: np.ndarray
    #: True where both poles have a negative real part (u below the critical speed).
    stable: np.ndarray


def yaw_mode(model: LinearSingleTrack, speed_mps) -> YawMode:
    """Natural frequency, damping ratio and poles at constant speed ``speed_mps`` [m/s].

    ``omega_n²`` is evaluated in the factored form ``C_f C_r L²/(m I_z u²) (1 + K u²/L)`` so
    that its sign (stability) agrees with :func:`critical_speed_mps` even for nearly neutral
    members, where ``det(A)`` would cancel.
    """
    p, u = _batch(model, speed_mps)
    m, iz = p["mass_kg"], p["yaw_inertia_kgm2"]
    a, b = p["cg_to_front_axle_m"], p["cg_to_rear_axle_m"]
    cf, cr = p["front_cornering_stiffness_npr"], p["rear_cornering_stiffness_npr"]
    L = a + b
    k = m / L * (b / cf - a / cr)
    omega_sq = cf * cr * L * L / (m * iz * u * u) * (1.0 + k * u * u / L)
    two_zeta_omega = (cf + cr) / (m * u) + (a * a * cf + b * b * cr) / (iz * u)  # > 0
    stable = omega_sq > 0.0
    omega = np.sqrt(np.where(stable, omega_sq, 0.0))
    zeta = np.full(omega.shape, np.inf)
    zeta[stable] = two_zeta_omega[stable] / (2.0 * omega[stable])
    disc = np.sqrt((0.25 * two_zeta_omega**2 - omega_sq).astype(complex))
    poles = np.stack([-0.5 * two_zeta_omega - disc, -0.5 * two_zeta_omega + disc], axis=1)
    return YawMode(omega, zeta, poles, stable)


@dataclass(frozen=True, eq=False)
class FrequencyResponse:
    """Complex gains per radian of road-wheel steer on a frequency grid, each ``(N, F)``.

    Phase is ``np.angle`` [rad] (negative = lag). For unstable members these are the transfer
    function evaluated on the imaginary axis, not an observable sinusoidal steady state.
    """

    #: Frequency grid [Hz], ``(F,)``.
    frequency_hz: np.ndarray
    #: Yaw rate / steer [1/s].
    yaw_rate_radps_per_rad: np.ndarray
    #: Lateral acceleration (v_y_dot + u r) / steer [m/s² per rad].
    lateral_acceleration_mps2_per_rad: np.ndarray
    #: Sideslip at the CG (v_y / u) / steer [-].
    sideslip_rad_per_rad: np.ndarray


def frequency_response(model: LinearSingleTrack, speed_mps, frequency_hz) -> FrequencyResponse:
    """Frequency response to road-wheel steer at constant speed.

    Parameters
    ----------
    model : LinearSingleTrack
    speed_mps : float or array_like (N,)
        Forward speed u [m/s], > 0.
    frequency_hz : array_like (F,)
        Frequencies f >= 0 [Hz]; at f = 0 the gains equal :func:`steady_state_gains`.

    Returns
    -------
    FrequencyResponse
        ``G(j 2 pi f) = C (sI - A)^-1 B + D`` for each output, computed in closed form for 2x2.
    """
    f = np.asarray(frequency_hz, dtype=np.float64).reshape(-1)
    bad = np.flatnonzero(~(np.isfinite(f) & (f >= 0.0)))
    if bad.size:
        raise SpecError("<argument>", f"frequency_hz[{int(bad[0])}]", float(f[bad[0]]),
                        "must be finite and >= 0 Hz")
    A, B = state_space(model, speed_mps)
    _, u = _batch(model, speed_mps)
    s = 2j * np.pi * f[None, :]
    a00, a01, a10, a11 = (A[:, i, j][:, None] for i, j in ((0, 0), (0, 1), (1, 0), (1, 1)))
    b0, b1 = B[:, 0, 0][:, None], B[:, 1, 0][:, None]
    det = (s - a00) * (s - a11) - a01 * a10
    vy = ((s - a11) * b0 + a01 * b1) / det
    r = (a10 * b0 + (s - a00) * b1) / det
    return FrequencyResponse(
        frequency_hz=f,
        yaw_rate_radps_per_rad=r,
        lateral_acceleration_mps2_per_rad=s * vy + u[:, None] * r,
        sideslip_rad_per_rad=vy / u[:, None],
    )


# --------------------------------------------------------------------------------------------
# Time responses (exact discretisation)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class TimeResponse:
    """Time histories of a batch, each channel ``(N, T)``, sampled at ``time_s`` ``(T,)``.

    Channels are in ISO signs (positive left). ``lateral_acceleration_mps2`` is
    ``v_y_dot + u r`` at the sample instant, using the steer value at that instant (for a
    zero-order hold, the value just after the jump).
    """

    time_s: np.ndarray
    steer_rad: np.ndarray
    lateral_velocity_mps: np.ndarray
    yaw_rate_radps: np.ndarray
    sideslip_rad: np.ndarray
    lateral_acceleration_mps2: np.ndarray
    #: (N,) True where the member is stable at its speed. Unstable members grow exponentially.
    stable: np.ndarray


def steer_response(model: LinearSingleTrack, speed_mps, steer_rad, time_step_s,
                   hold: str = "zoh") -> TimeResponse:
    """Exact response to a sampled road-wheel steer history, starting straight ahead.

    Parameters
    ----------
    model : LinearSingleTrack
    speed_mps : float or array_like (N,)
        Constant forward speed u [m/s], > 0, per member.
    steer_rad : array_like (N, T)
        Road-wheel steer samples [rad], positive left, at ``t_k = k * time_step_s``. A leading
        axis of 1 broadcasts to the batch.
    time_step_s : float
        Sample spacing [s], > 0.
    hold : {"zoh", "foh"}
        ``"zoh"``: the steer is piecewise constant, ``steer_rad[:, k]`` held over
        ``[t_k, t_{k+1})``. ``"foh"``: the steer is piecewise linear between the samples.

    Returns
    -------
    TimeResponse
        Sampled at ``t_k``, k = 0..T-1, with ``v_y = r = 0`` at t = 0. The discretisation is
        exact for the stated hold (no integration error; any step gives the exact samples).
        Unstable members grow exponentially (``TimeResponse.stable`` is False); if a value
        overflows, ``FloatingPointError`` names the member and the time.
    """
    if hold not in ("zoh", "foh"):
        raise SpecError("<argument>", "hold", hold, 'must be "zoh" or "foh"')
    dt = _scalar_arg(time_step_s, "time_step_s", 0.0, inclusive=False)
    A, B = state_space(model, speed_mps)
    steer = _steer_history(steer_rad, A.shape[0])
    return _simulate(model, speed_mps, A, B, steer, dt, first_order_hold=hold == "foh")


def ramp_step_response(model: LinearSingleTrack, speed_mps, final_steer_rad, steer_rate_radps,
                       duration_s, time_step_s, start_time_s=0.0) -> TimeResponse:
    """Exact response to an ISO 7401-style ramp-to-step of the road-wheel steer.

    The steer is 0 until ``start_time_s``, then moves at ``steer_rate_radps`` (> 0, magnitude)
    towards ``final_steer_rad`` (signed, positive left) and holds it. The corners of the ramp
    need not fall on the sample grid: the samples are propagated with the exact first-order-hold
    matrices, and the interval holding a corner gets an exact correction, so the result is the
    exact solution at every sample (no grid-refinement error).

    Parameters
    ----------
    speed_mps, final_steer_rad, steer_rate_radps : float or array_like (N,)
        Forward speed [m/s] > 0; final road-wheel steer [rad], finite; steer rate [rad/s] > 0.
    duration_s, time_step_s : float
        Length of the record and sample spacing [s], > 0; samples ``t_k = k * time_step_s``
        for ``k = 0 .. round(duration_s / time_step_s)``.
    start_time_s : float, optional
        Start of the ramp [s], >= 0.

    Returns
    -------
    TimeResponse
        ``steer_rad`` holds the exact steer at each sample. See :func:`steer_response` for
        unstable members.
    """
    A, B = state_space(model, speed_mps)
    n = A.shape[0]
    final = _batch_arg(final_steer_rad, "final_steer_rad", n, positive=False)
    rate = _batch_arg(steer_rate_radps, "steer_rate_radps", n)
    duration = _scalar_arg(duration_s, "duration_s", 0.0, inclusive=False)
    dt = _scalar_arg(time_step_s, "time_step_s", 0.0, inclusive=False)
    t0 = _scalar_arg(start_time_s, "start_time_s", 0.0, inclusive=True)
    time_s = dt * np.arange(int(round(duration / dt)) + 1)
    slope = np.sign(final) * rate
    steer = np.sign(final)[:, None] * np.minimum(
        rate[:, None] * np.maximum(time_s - t0, 0.0), np.abs(final)[:, None])
    # Two corners per member: the slope changes by +slope at t0 and by -slope at the end.
    corner_s = np.stack([np.full(n, t0), t0 + np.abs(final) / rate], axis=1)
    slope_change = np.stack([slope, -slope], axis=1)
    return _simulate(model, speed_mps, A, B, steer, dt, first_order_hold=True,
                     corners=(corner_s, slope_change))


def _steer_history(steer_rad, n: int) -> np.ndarray:
    steer = np.asarray(steer_rad, dtype=np.float64)
    if steer.ndim != 2 or steer.shape[0] not in (1, n) or steer.shape[1] < 1:
        raise SpecError("<argument>", "steer_rad", f"shape {steer.shape}",
                        f"must have shape ({n}, T) or (1, T) with T >= 1")
    bad = np.argwhere(~np.isfinite(steer))
    if bad.size:
        i, k = bad[0]
        raise SpecError("<argument>", f"steer_rad[{i}, {k}]", float(steer[i, k]),
                        "must be finite (rad)")
    return np.array(np.broadcast_to(steer, (n, steer.shape[1])))  # own, writable copy


def _simulate(model, speed_mps, A, B, steer, dt, first_order_hold, corners=None):
    """Exact sampled response to ``steer`` (N, T); see :func:`_propagate_kernel`.

    ``corners = (corner_s, slope_change)``, each (N, K): the steer is piecewise linear with
    slope changes between samples at these times; each one's interval gets the exact
    correction ``dm tau (G1(tau) - G1(h))``, tau = time from the corner to the next sample
    (the response to ``dm (t - t_c)_+`` minus that to its linear interpolation on the grid).
    """
    n, t = steer.shape
    _, u = _batch(model, speed_mps)
    phi, g0, g1 = _transition(A, B, np.full(n, dt))
    if not first_order_hold:
        g1 = np.zeros_like(g1)
    if corners is None:
        kick_index, kick = np.full((n, 1), -1, np.int64), np.zeros((n, 1, 2))
    else:
        corner_s, slope_change = corners
        next_sample = np.floor(corner_s / dt).astype(np.int64) + 1
        tau = next_sample * dt - corner_s  # in (0, dt]
        off_grid = (tau < dt) & (next_sample < t) & (slope_change != 0.0)
        kick_index = np.where(off_grid, next_sample, -1)
        kick = np.zeros(corner_s.shape + (2,))
        rows, cols = np.nonzero(off_grid)
        if rows.size:
            _, _, g1_tau = _transition(A[rows], B[rows], tau[rows, cols])
            kick[rows, cols] = (slope_change[rows, cols] * tau[rows, cols])[:, None] * (
                g1_tau - g1[rows])
    output = np.stack([A[:, _VY, _VY], A[:, _VY, _R] + u, B[:, _VY, 0]], axis=1)  # a_y row
    vy, r, ay = np.empty((n, t)), np.empty((n, t)), np.empty((n, t))
    first_bad = np.empty(n, np.int64)
    _propagate_kernel(phi, g0, g1, output, steer, kick_index, kick, vy, r, ay, first_bad)
    bad = np.flatnonzero(first_bad >= 0)
    if bad.size:
        i = bad[0]
        k = first_bad[i]
        raise FloatingPointError(
            f"linear single track: member {i} overflowed at t = {k * dt:.6g} s "
            f"(v_y = {vy[i, k - 1]:.6g} m/s, r = {r[i, k - 1]:.6g} rad/s one sample before); "
            f"at {u[i]:.6g} m/s it is above its critical speed and grows exponentially: "
            "shorten the record or lower the speed"
        )
    return TimeResponse(
        time_s=dt * np.arange(t),
        steer_rad=steer,
        lateral_velocity_mps=vy,
        yaw_rate_radps=r,
        sideslip_rad=vy / u[:, None],
        lateral_acceleration_mps2=ay,
        stable=yaw_mode(model, speed_mps).stable,
    )


def _transition(A: np.ndarray, B: np.ndarray, step_s: np.ndarray):
    """Exact one-step matrices for a steer that is linear over a step of length h (N,).

    One matrix exponential of the (N, 4, 4) stack ``[[A h, B h, 0], [0, 0, 1], [0, 0, 0]]``
    gives ``Phi = e^{A h}``, ``G0 = int_0^h e^{A s} ds B`` and
    ``G1 = int_0^h e^{A (h - s)} B s/h ds``, so that for ``delta(t_k + s) = d0 + (d1 - d0) s/h``::

        x(t_k + h) = Phi x(t_k) + G0 d0 + G1 (d1 - d0)

    Returns Phi (N, 2, 2), G0 (N, 2), G1 (N, 2). A zero-order hold uses d1 = d0.
    """
    n = A.shape[0]
    h = step_s[:, None, None]
    M = np.zeros((n, 4, 4))
    M[:, :2, :2] = A * h
    M[:, :2, 2:3] = B * h
    M[:, 2, 3] = 1.0
    E = _expm(M)
    return (np.ascontiguousarray(E[:, :2, :2]), np.ascontiguousarray(E[:, :2, 2]),
            np.ascontiguousarray(E[:, :2, 3]))


def _expm(M: np.ndarray, order: int = 18) -> np.ndarray:
    """Matrix exponential of a stack ``M`` (N, n, n): Taylor series with scaling and squaring.

    Each member is scaled by its own power of two to a 1-norm <= 1, so the truncation error is
    below 1/19! ~ 1e-17 relative and a member's result does not depend on the rest of the batch.
    Used instead of ``scipy.linalg.expm``, which loops over a stack member by member (about
    10 us each, measured); this is one vectorised pass (about 2 us each).
    """
    norm = np.abs(M).sum(axis=-2).max(axis=-1)
    squarings = np.ceil(np.log2(np.maximum(norm, 1.0))).astype(np.int64)
    X = M / np.exp2(squarings)[:, None, None]
    eye = np.eye(M.shape[-1])
    E = eye + X / order
    for k in range(order - 1, 0, -1):
        E = eye + (X @ E) / k
    for j in range(squarings.max(initial=0)):
        E = np.where((j < squarings)[:, None, None], E @ E, E)
    return E


@numba.njit(cache=True)
def _propagate_kernel(phi, g0, g1, output, steer, kick_index, kick, vy_out, r_out, ay_out,
                      first_bad):
    """Exact sampled recurrence for a batch, compiled; fills the (N, T) outputs.

    ``x_k = Phi x_{k-1} + G0 d_{k-1} + G1 (d_k - d_{k-1}) + sum of kick[i, j] with
    kick_index[i, j] == k``, from ``x_0 = 0`` (plus any kick at index 0), where ``d = steer``.
    ``a_y = output . [v_y, r, d]``. ``first_bad[i]`` is the first sample whose state is not
    finite (after which the member is frozen), or -1.
    """
    n, t = steer.shape
    for i in range(n):
        vy = 0.0
        r = 0.0
        first_bad[i] = -1
        for k in range(t):
            if k > 0:
                d0 = steer[i, k - 1]
                dd = steer[i, k] - d0
                vy, r = (phi[i, 0, 0] * vy + phi[i, 0, 1] * r + g0[i, 0] * d0 + g1[i, 0] * dd,
                         phi[i, 1, 0] * vy + phi[i, 1, 1] * r + g0[i, 1] * d0 + g1[i, 1] * dd)
            for j in range(kick_index.shape[1]):
                if kick_index[i, j] == k:
                    vy += kick[i, j, 0]
                    r += kick[i, j, 1]
            if not (np.isfinite(vy) and np.isfinite(r)):
                first_bad[i] = k
                vy_out[i, k:] = vy
                r_out[i, k:] = r
                ay_out[i, k:] = np.nan
                break
            vy_out[i, k] = vy
            r_out[i, k] = r
            ay_out[i, k] = output[i, 0] * vy + output[i, 1] * r + output[i, 2] * steer[i, k]
