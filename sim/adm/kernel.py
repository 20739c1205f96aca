"""The dynamic module ``adm`` inside the compiled step: reference, yaw controller, torque
allocation, traction control, regenerative braking, actuator lag and saturation.

Signs and axes: ISO 8855 (x forward, y left; yaw rate, steer angle and yaw moment positive to
the left); wheels FL, FR, RL, RR; a wheel's longitudinal force ``F`` [N] and drive torque
[N·m] are positive when they push the car forward, a friction brake torque is a magnitude
(>= 0) opposing rotation.

Layout: lane tables as in :mod:`sim.chassis.two_track` (row r of lane l at ``r * LANES + l``).
The integrator calls :func:`adm_wheel_torques` once per integrator step and lane, before the
step's first evaluation of the chassis; it reads the chassis parameters ``ln.p``, the module's
parameters ``ln.cp`` (rows :data:`ADM_PARAMETER_NAMES`), its states ``ln.cs`` (rows
:data:`ADM_STATE_NAMES`, recorded as output channels ``adm_<name>``), the sensors ``ln.sens``
(written by the integrator after the previous call, so describing the instant of that call)
and the chassis state ``x``, and writes ``ln.drive``, ``ln.brake``.

What happens, in order (each step is one function below):

**Sampling and delays** (:func:`adm_wheel_torques`). The controller runs at its own sample
time ``T = sample_time_s``: new torque commands become active at the instants ``t_k = k T``
(state ``next_sample_s``) and are held until the next. The commands active from ``t_k`` are
computed (:func:`_sample`) from one consistent measurement taken ``d = sensor_delay_s``
earlier (sensing, computation and bus time; default one sample, ``d <= T``): the chassis
states a car measures (speeds, yaw rate, wheel speeds) and the driver's inputs are latched at
every call (rows ``measured_*``), and at the first call after ``t_k - d`` they are used with
the sensors, which describe that same instant. Every call, the applied torques follow the
active commands through a first-order lag (``actuator_time_constant_s``), solved exactly
between calls (state rows ``*_lag_*``); the torque the integrator holds through its step is
the lag's mean over the step (the last step's length is taken as the next's), so that its
impulse is exact; every value is saturated to the machines' envelopes at the current wheel
speeds and to the battery power limits (:func:`_saturate`), so that no limit is exceeded
between samples either. With ``T`` and ``d`` whole multiples of the integrator step the
timing does not depend on the step (halving the step from 2 ms to 1 ms moves the coupé's
step-steer and 40 m circle metrics by about 0.01 %); a delay shorter than the step acts as
one step. The effective loop delay is ``d`` plus the zero-order hold (T/2 on average) plus
the lag.

**Estimator** (:func:`_estimate`). ``ideal``: tyre loads and forces are the model's (from
``ln.sens``) and the peak friction is the road's (``road_friction`` x the tyres' nominal peak
friction): an oracle, labelled ``adm_estimator = ideal`` in every result. The lateral force
it reports for the grip bound is the tyre's true one but at least the one the car needs (the
steady axle balance below, from the measured a_y): a tyre given longitudinal force in
combined slip loses lateral force, which must not raise its "remaining grip" and invite more
longitudinal force (a positive feedback that let the coupé's rear slide in the sine with
dwell: 32 of 58 runs passed with the machines alone, 58 now). ``measured``: loads
from the measured accelerations through the static load-transfer formula of the chassis model
with the vehicle's nominal parameters (:func:`sim.chassis.two_track._wheel_loads`), lateral
forces per axle from the steady-state moment balance ``F_yf = m a_y b / L``,
``F_yr = m a_y a / L`` shared in proportion to the estimated loads, friction assumed
(``assumed_road_friction`` x the tyres' nominal peak friction). Speed is the chassis' forward
speed in both (a real car estimates it from wheel speeds and a_x), yaw rate the gyro's.

**Reference** (:func:`_reference`). Steady-state single-track yaw rate with the target
understeer gradient ``K_t`` [rad/(m/s²)]: ``r_ss = v delta / (L + K_t v²)``, ``delta`` the
mean road-wheel angle (steering-wheel angle / steering ratio), bounded by the friction limit
``|r| <= f_mu mu g / v`` (``friction_bound_factor`` f_mu, Rajamani 2012 ch. 8), then a
first-order lag ``reference_time_constant_s``.

**Yaw controller** (:func:`_yaw_moment`). Feedforward + PI on the yaw-rate error
``e = r_ref - r``, discrete at T. The feedforward is the steady-state yaw moment that makes
the linear single-track car (axle cornering stiffnesses ``C_f``, ``C_r``, mass m, axle
distances a, b, L = a + b) turn at the target yaw rate. Derivation: in a steady turn with an
external yaw moment M, ``F_yf + F_yr = m v r`` and ``a F_yf - b F_yr + M = 0``, so
``F_yf = (m v r b - M)/L``, ``F_yr = (m v r a + M)/L``; with ``F_yf = C_f alpha_f``,
``F_yr = C_r alpha_r`` and ``alpha_f - alpha_r = delta - L r / v`` (textbook slip angles)::

    delta = L r / v + K v r - M (C_f + C_r) / (L C_f C_r),   K = m (b/C_f - a/C_r) / L

(K: the passive understeer gradient). Putting ``r = r_ss = v delta / (L + K_t v²)`` gives::

    M_ff = G delta v² (K - K_t) / (L + K_t v²),   G = L C_f C_r / (C_f + C_r)

(zero when K_t = K; positive, i.e. pro-yaw, for an understeering car turning left). Where the
reference is friction-bounded, ``delta`` is clipped to the angle that reaches the bound, so the
feedforward saturates instead of reversing (the linear model knows nothing of the limit).
Feedback ``M_fb = k_p e + I``, ``I += k_i e T``; anti-windup by conditional integration: the
integrator does not move while the moment the allocation could realise differs from the
demand in the direction the error pushes (and ``|I| <= max_yaw_moment_nm``). Optional
sideslip bound (``max_sideslip_deg`` > 0): beyond it the moment ``k_beta (beta - bound)``
joins the demand and the integrator holds; the sideslip comes from the estimator
(:func:`_sideslip`). Below 3 m/s the
yaw control fades out (to zero at standstill, integrator reset): the reference is singular
at v = 0.

**Allocation** (:func:`allocate`): see its docstring. Per-wheel bounds come from the machine
envelopes (:func:`sim.chassis.two_track.machine_wheel_torque_limit`, assumed symmetric for
regeneration), the friction brakes and each tyre's remaining grip
``sqrt((mu F_z)² - F_y²)`` at its estimated load; traction control scales a wheel's bounds.
With ``brake_vectoring`` on, the yaw moment the machines cannot deliver while driving is made
up by friction braking (:func:`_brake_intervention`) when it exceeds a threshold
(``brake_vectoring_threshold_nm``, so that the brakes do not drag against the few hundred
N·m an asymmetric car asks for when driven straight), and, when the moment would add yaw
(against understeer), only while the yaw-rate error exceeds
``brake_vectoring_pro_yaw_error_degps``: the brakes stop a car that yaws too much and help
one that ploughs, but do not drag through every steady corner to shape the understeer
gradient (on the crossover's 40 m circle at 60 km/h that cost 35 kW of brake heat); each
braked wheel down to its full friction ``-mu F_z``: it gives up lateral force on purpose, as
an ESC does.
Layout: in drive (driver demand >= 0) the variables are the machines, and an axle machine
(open differential) gives both its wheels the same force, so that axle yields no left/right
difference; in braking the variables are the axles, or the wheels where both wheels of an
axle have their own machines or where ``brake_vectoring`` is on (the friction brakes then
differ left/right: brake-based vectoring, off by default), and an axle machine regenerates
equally on both wheels. Priorities when the demands cannot all be met: **yaw moment
first** (stability), then the driver's longitudinal force, then least tyre utilisation.

**Traction control** (:func:`_traction_control`): at each sample instant ``t_k``, from the
wheel speeds at ``t_k`` (the machines' own resolvers, not delayed like the vehicle signals),
per wheel the longitudinal slip ``kappa = (omega R - v_x,w) / max(|v_x,w|, 1 m/s)`` (wheel
speed, yaw rate and speed) against ``traction_slip_target`` ``kappa_t`` (driving or braking):
a PI on the relative error ``e = |kappa| / kappa_t - 1`` (at most 4) sets a scale of the
wheel's force bounds, ``scale = clip(I - k_p max(e, 0), 0, 1)``, ``I`` falling (rising) at
the rate ``e / tau`` within [0, 1] (``traction_proportional_gain`` k_p,
``traction_time_constant_s`` tau). Where a wheel's scale fell, the commands becoming active at
``t_k`` are scaled down with it, both wheels of the axle alike (:func:`_traction_limit`), and
the next sample's allocation moves force to the other wheels, within the yaw-moment-first
priority. The defaults (k_p 0.25, tau 0.8 s) came from a sweep launching at 20 km/h on roads
of friction 0.25 and 0.6 with the ``measured`` estimator assuming a dry road and the default
10 ms sensor delay: the largest slip after the first second 0.12 on both (mean a_x 2.58 and
6.98 m/s²); the gains tuned before the delay was modelled (k_p 1, tau 0.2 s) limit-cycle
with it, peaks 0.23 and 0.20 (0.37 from the delayed wheel speeds inside the sample).

**Regeneration and brake blending** (:func:`_commands`): a braking wheel force is delivered
by its machine first (within the machine envelope; an axle machine equally on both wheels)
and the friction brake makes up the rest; the battery charge limit moves regeneration to the
friction brakes. The front/rear split of braking follows the estimated loads through the
allocation (the ideal, load-proportional distribution), not the fixed balance that the
passive car's brakes use. The battery's limits apply to its terminal power: the drive units'
DC power with every loss (machine, inverter, gear, cable) and the auxiliaries, within the
available charge and discharge power at the battery's present state
(:mod:`sim.chassis.powertrain`).
"""

from __future__ import annotations

import math

import numba

from sim.chassis.powertrain import (
    PT_DISCHARGE_W,
    PT_IN_LOOP,
    saturate_to_battery,
    terminal_power_w,
)
from sim.chassis.two_track import (
    LANES,
    P_A,
    P_AUX_W,
    P_B,
    P_BATTERY_DISCHARGE_W,
    P_BRAKE_MAX_F,
    P_BRAKE_MAX_R,
    P_CGY,
    P_MASS,
    P_MU,
    P_RW,
    P_STEER_RATIO,
    S_OMEGA,
    S_R,
    S_VX,
    S_VY,
    SN_AX,
    SN_AY,
    SN_FY,
    SN_FZ,
    _road_wheel_angles,
    _wheel_loads,
    _wheel_position,
    machine_parameter,
    machine_wheel_speed,
    machine_wheel_torque_limit,
    machine_wheels,
)
from sim.lanes import index_of
from sim.powertrain.layout import (
    KIND_ELECTRIC,
    M_KIND,
    N_MACHINES,
)
from sim.units import GRAVITY_MPS2

_WHEELS = ("fl", "fr", "rl", "rr")

#: Rows of the module's parameter table ``cp`` (see :func:`sim.adm.adm_parameters`).
ADM_PARAMETER_NAMES = (
    "target_understeer_rad_per_mps2", "friction_bound_factor", "reference_time_constant_s",
    "feedforward_gain", "yaw_rate_kp_nm_per_radps", "yaw_rate_ki_nm_per_rad",
    "max_yaw_moment_nm", "sample_time_s", "actuator_time_constant_s",
    "traction_slip_target", "traction_time_constant_s", "regeneration", "estimator",
    "assumed_road_friction", "tyre_peak_friction",
    "front_axle_cornering_stiffness_npr", "rear_axle_cornering_stiffness_npr",
    "brake_vectoring", "traction_proportional_gain", "max_sideslip_rad",
    "sideslip_gain_nm_per_rad", "sensor_delay_s", "brake_vectoring_threshold_nm",
    "brake_vectoring_pro_yaw_error_radps",
)
(CP_TARGET_K, CP_MU_FACTOR, CP_TAU_REF, CP_FF_GAIN, CP_KP, CP_KI, CP_MAX_MZ, CP_SAMPLE,
 CP_TAU_ACT, CP_SLIP_TARGET, CP_TAU_TC, CP_REGEN, CP_ESTIMATOR, CP_ASSUMED_MU, CP_TYRE_MU,
 CP_CF, CP_CR, CP_BRAKE_VECTORING, CP_TC_GAIN, CP_MAX_BETA, CP_BETA_GAIN, CP_DELAY,
 CP_BV_THRESHOLD, CP_BV_PRO_YAW_ERROR) = range(len(ADM_PARAMETER_NAMES))
ESTIMATOR_IDEAL, ESTIMATOR_MEASURED = 0.0, 1.0

#: Rows of the module's state table ``cs``: its memory and the signals worth recording
#: (every row becomes an output channel ``adm_<name>``). Yaw moments [N·m], positive left:
#: ``feedforward``, ``integral`` (the PI's integral term), ``demand`` (feedforward + PI, before
#: any limit), ``command`` (what the allocation delivers after ``max_yaw_moment_nm``, the
#: actuator and grip limits: the left/right vectoring moment), ``applied`` (the moment of the
#: applied, lagged wheel forces about the centre line, including the small moment of equal
#: forces on steered front wheels). ``force_*`` [N]: the driver's demand, the commanded and
#: the applied body-x force of the wheel torques. ``battery_power_w``: the battery terminal
#: power of the applied torques (:func:`battery_power_w`).
#: Everything a sample computes (targets, moments, ``*_command_*`` torques, estimates) is
#: written when it is computed, from the measurement ``sensor_delay_s`` before the instant at
#: which the commands become active; ``*_active_*``: the commands the actuators follow now;
#: ``*_lag_*``: the actuators' lag states; ``*_applied_*``: the torques held through the
#: integrator step (the lag's mean over it).
ADM_STATE_NAMES = (
    "next_sample_s", "last_call_s", "road_wheel_angle_rad",
    "yaw_rate_target_radps", "yaw_rate_reference_radps", "yaw_rate_error_radps",
    "friction_estimate",
    "yaw_moment_feedforward_nm", "yaw_moment_integral_nm", "yaw_moment_demand_nm",
    "yaw_moment_command_nm", "yaw_moment_applied_nm",
    "force_demand_n", "force_command_n", "force_applied_n", "battery_power_w",
    *(f"fz_estimate_{w}_n" for w in _WHEELS), *(f"grip_{w}_n" for w in _WHEELS),
    *(f"traction_scale_{w}" for w in _WHEELS), *(f"traction_integral_{w}" for w in _WHEELS),
    *(f"drive_command_{w}_nm" for w in _WHEELS), *(f"brake_command_{w}_nm" for w in _WHEELS),
    *(f"drive_applied_{w}_nm" for w in _WHEELS), *(f"brake_applied_{w}_nm" for w in _WHEELS),
    "sideslip_estimate_rad", "yaw_moment_sideslip_nm",
    "command_ready", "measured_vx_mps", "measured_vy_mps", "measured_yaw_rate_radps",
    *(f"measured_omega_{w}_radps" for w in _WHEELS), "measured_steering_wheel_angle_rad",
    "measured_force_demand_n",
    *(f"drive_active_{w}_nm" for w in _WHEELS), *(f"brake_active_{w}_nm" for w in _WHEELS),
    *(f"drive_lag_{w}_nm" for w in _WHEELS), *(f"brake_lag_{w}_nm" for w in _WHEELS),
)
ADM_STATE_UNITS = (
    "s", "s", "rad", "rad/s", "rad/s", "rad/s", "-", "N·m", "N·m", "N·m", "N·m", "N·m",
    "N", "N", "N", "W", *("N",) * 4, *("N",) * 4, *("-",) * 8, *("N·m",) * 16, "rad", "N·m",
    "-", "m/s", "m/s", "rad/s", *("rad/s",) * 4, "rad", "N", *("N·m",) * 16,
)
N_ADM_STATES = len(ADM_STATE_NAMES)
N_ADM_PARAMETERS = len(ADM_PARAMETER_NAMES)


def _cs(name: str) -> int:
    return index_of(ADM_STATE_NAMES, name)


CS_NEXT, CS_LAST, CS_DELTA, CS_R_TARGET, CS_R_REF, CS_R_ERR, CS_MU = (_cs(n) for n in (
    "next_sample_s", "last_call_s", "road_wheel_angle_rad", "yaw_rate_target_radps",
    "yaw_rate_reference_radps", "yaw_rate_error_radps", "friction_estimate"))
CS_MZ_FF, CS_MZ_I, CS_MZ_DEMAND, CS_MZ_CMD, CS_MZ_APPLIED = (_cs(f"yaw_moment_{n}_nm") for n in (
    "feedforward", "integral", "demand", "command", "applied"))
CS_FX_DEMAND, CS_FX_CMD, CS_FX_APPLIED = (_cs(f"force_{n}_n") for n in (
    "demand", "command", "applied"))
CS_BATTERY_W = _cs("battery_power_w")
# four wheels from each
CS_FZ, CS_GRIP, CS_TC, CS_TC_I = (_cs(n) for n in (
    "fz_estimate_fl_n", "grip_fl_n", "traction_scale_fl", "traction_integral_fl"))
CS_DRIVE_CMD, CS_BRAKE_CMD, CS_DRIVE, CS_BRAKE = (_cs(f"{n}_fl_nm") for n in (
    "drive_command", "brake_command", "drive_applied", "brake_applied"))
CS_BETA, CS_MZ_BETA = _cs("sideslip_estimate_rad"), _cs("yaw_moment_sideslip_nm")
#: ``command_ready``: 1 once the commands for the next activation are computed;
#: ``measured_*``: the chassis states (rows 0..6 of the state table, in its order) and the
#: driver's inputs latched at the last call, i.e. at the instant the sensors describe.
CS_READY, CS_XM = _cs("command_ready"), _cs("measured_vx_mps")
CS_STEER_M = _cs("measured_steering_wheel_angle_rad")
CS_FORCE_M = _cs("measured_force_demand_n")
# four wheels each
CS_DRIVE_ACT, CS_BRAKE_ACT, CS_DRIVE_LAG, CS_BRAKE_LAG = (_cs(f"{n}_fl_nm") for n in (
    "drive_active", "brake_active", "drive_lag", "brake_lag"))
#: States of the chassis the controller measures (rows ``0 .. N_MEASURED_STATES - 1``:
#: forward and lateral speed, yaw rate, wheel speeds).
N_MEASURED_STATES = S_OMEGA + 4
assert (S_VX, S_VY, S_R, S_OMEGA) == (0, 1, 2, 3)  # the latched rows form a state table

#: Below this forward speed [m/s] the yaw control fades out linearly (to 0 at standstill).
YAW_CONTROL_FADE_MPS = 3.0
#: Washout time constant [s] of the ``measured`` sideslip estimate (kinematic integration of
#: ``a_y / v - r``, which drifts with any sensor offset or grade).
SIDESLIP_WASHOUT_S = 1.0
#: Slip denominator floor [m/s] of the traction control's slip estimate.
_SLIP_SPEED_FLOOR_MPS = 1.0

_scalar = numba.njit(cache=True, _nrt=False, error_model="numpy")
# Inlined at numba IR level where they are called: helpers called with literal arguments (a
# wheel, a row, a unit index), which a separately compiled function specialises per literal.
_inline = numba.njit(inline="always", _nrt=False, error_model="numpy")

_POW3 = (1, 3, 9, 27)


# --------------------------------------------------------------------------------------------
# Allocation: a small exact quadratic programme over at most four variables.


@_scalar
def _clip(value, low, high):
    return min(max(value, low), high)


@_inline
def _vertex_value(j, free, pattern, u_free, lo, hi):
    """Variable ``j`` of a vertex: ``u_free`` if it is the free one, else the bound that bit j
    of ``pattern`` selects (0: lower, 1: upper)."""
    if j == free:
        return u_free
    return hi[j] if (pattern >> j) & 1 else lo[j]


@_inline
def _face_value(j, c, l1, l2, b_fx, b_mz, weight, lo, hi):
    """Variable ``j`` on face ``c`` (base-3 digit j: 0 free, 1 lower, 2 upper bound): a free
    variable takes the weighted least-norm value ``(b_j . lambda) / W_j``."""
    s = (c // _POW3[j]) % 3
    if s == 1:
        return lo[j]
    if s == 2:
        return hi[j]
    return (b_fx[j] * l1 + b_mz[j] * l2) / weight[j]


@_scalar
def _fx_range(mz, b_fx, b_mz, lo, hi, tol_mz, tol_u):
    """Smallest and largest longitudinal force ``sum b_fx u`` over the box ``lo <= u <= hi``
    with ``sum b_mz u = mz``, and vertices that reach them: an LP whose optimum is a vertex,
    i.e. every variable at a bound except at most one (found by enumeration)."""
    fx_lo, fx_hi = math.inf, -math.inf
    zero = (0.0, 0.0, 0.0, 0.0)
    v_lo, v_hi = zero, zero
    for free in range(-1, 4):
        for pattern in range(16):
            if free >= 0 and (pattern >> free) & 1:
                continue
            rest = mz
            for j in range(4):
                if j != free:
                    rest -= b_mz[j] * _vertex_value(j, -1, pattern, 0.0, lo, hi)
            u_free = 0.0
            if free >= 0:
                if abs(b_mz[free]) <= 1e-12:
                    continue
                u_free = rest / b_mz[free]
                if u_free < lo[free] - tol_u or u_free > hi[free] + tol_u:
                    continue
                u_free = _clip(u_free, lo[free], hi[free])
            elif abs(rest) > tol_mz:
                continue
            u = (_vertex_value(0, free, pattern, u_free, lo, hi),
                 _vertex_value(1, free, pattern, u_free, lo, hi),
                 _vertex_value(2, free, pattern, u_free, lo, hi),
                 _vertex_value(3, free, pattern, u_free, lo, hi))
            fx = b_fx[0] * u[0] + b_fx[1] * u[1] + b_fx[2] * u[2] + b_fx[3] * u[3]
            if fx < fx_lo:
                fx_lo, v_lo = fx, u
            if fx > fx_hi:
                fx_hi, v_hi = fx, u
    return fx_lo, fx_hi, v_lo, v_hi


@_scalar
def allocate(fx_demand_n, mz_demand_nm, b_fx, b_mz, weight, lo, hi):
    """Control allocation: variables ``u`` (4-tuple, forces [N]) that deliver a longitudinal
    force ``sum b_fx u`` [N] and a yaw moment ``sum b_mz u`` [N·m], within the box
    ``lo <= u <= hi`` (4-tuples, lo <= 0 <= hi), at least tyre utilisation.

    Formulation: minimise ``J = sum W_j u_j²`` subject to ``B u = v*`` and the box, where
    ``v* = (Fx*, Mz*)`` are the demands made feasible by explicit priorities: (1) the yaw
    moment ``Mz* = clip(mz_demand, range of b_mz . u over the box)`` (stability first), (2)
    the force ``Fx* = clip(fx_demand, range of b_fx . u over the box given Mz*)``, (3) the
    objective. For a wheel, ``W = 1 / g`` with ``g`` the tyre's remaining grip
    ``sqrt((mu Fz)² - Fy²)``: ``J = sum (F/g)² g`` is the grip-weighted sum of squared
    utilisations, whose unconstrained minimiser makes every wheel's utilisation ``F / g``
    equal (without lateral force: ``F_i proportional to F_z,i``, the equal-utilisation split,
    which also minimises the largest utilisation). The unweighted sum of squared utilisations
    would give ``F proportional to F_z²`` and load the most loaded tyre hardest. A variable
    acting on two wheels (an axle machine) has ``W`` and ``b`` summed over them. An unused
    variable has ``lo = hi = 0``.

    Solution: exact, by enumeration of the 3^4 faces of the box (each variable free, at its
    lower or at its upper bound): on each face the equality-constrained weighted least-norm
    problem has a closed form (a 2 x 2 system, or its rank-1 case); the best face solution
    that lies in the box is the optimum (the problem is strictly convex). No allocation, no
    iteration count to tune. Returns ``(u, fx_n, mz_nm)`` with the delivered force and moment.
    """
    scale = 1.0 + abs(fx_demand_n) + abs(mz_demand_nm)
    u_max = 1.0
    for j in range(4):
        size = max(abs(lo[j]), abs(hi[j]))
        scale += (abs(b_fx[j]) + abs(b_mz[j])) * size
        u_max = max(u_max, size)
    tol, tol_u = 1e-9 * scale, 1e-9 * u_max
    # (1) yaw moment first
    mz_lo, mz_hi = 0.0, 0.0
    for j in range(4):
        a, b = b_mz[j] * lo[j], b_mz[j] * hi[j]
        mz_lo += min(a, b)
        mz_hi += max(a, b)
    mz = _clip(mz_demand_nm, mz_lo, mz_hi)
    # (2) then the longitudinal force
    fx_lo, fx_hi, v_lo, v_hi = _fx_range(mz, b_fx, b_mz, lo, hi, tol, tol_u)
    if fx_lo > fx_hi:  # no vertex found (cannot happen but for rounding): do nothing
        return (0.0, 0.0, 0.0, 0.0), 0.0, 0.0
    fx = _clip(fx_demand_n, fx_lo, fx_hi)
    # (3) least utilisation: every face of the box
    best_cost = math.inf
    best = (0.0, 0.0, 0.0, 0.0)
    for c in range(81):
        skip = False
        r1, r2 = fx, mz
        m11, m12, m22 = 0.0, 0.0, 0.0
        for j in range(4):
            s = (c // _POW3[j]) % 3
            if lo[j] == hi[j] and s != 1:
                skip = True
            if s == 0:
                m11 += b_fx[j] * b_fx[j] / weight[j]
                m12 += b_fx[j] * b_mz[j] / weight[j]
                m22 += b_mz[j] * b_mz[j] / weight[j]
            else:
                value = lo[j] if s == 1 else hi[j]
                r1 -= b_fx[j] * value
                r2 -= b_mz[j] * value
        if skip:
            continue
        det = m11 * m22 - m12 * m12
        if det > 1e-10 * m11 * m22 and det > 0.0:
            l1 = (m22 * r1 - m12 * r2) / det
            l2 = (m11 * r2 - m12 * r1) / det
        else:  # rank <= 1: M = s d d^T, lambda = d (r . d) / s
            trace = m11 + m22
            if trace > 0.0:
                d1, d2 = (m11, m12) if m11 >= m22 else (m12, m22)
                norm = math.sqrt(d1 * d1 + d2 * d2)
                d1, d2 = d1 / norm, d2 / norm
                t = (r1 * d1 + r2 * d2) / trace
                l1, l2 = d1 * t, d2 * t
            else:
                l1, l2 = 0.0, 0.0
        u = (_face_value(0, c, l1, l2, b_fx, b_mz, weight, lo, hi),
             _face_value(1, c, l1, l2, b_fx, b_mz, weight, lo, hi),
             _face_value(2, c, l1, l2, b_fx, b_mz, weight, lo, hi),
             _face_value(3, c, l1, l2, b_fx, b_mz, weight, lo, hi))
        inside = True
        for j in range(4):
            if u[j] < lo[j] - tol_u or u[j] > hi[j] + tol_u:
                inside = False
        if not inside:
            continue
        u = (_clip(u[0], lo[0], hi[0]), _clip(u[1], lo[1], hi[1]),
             _clip(u[2], lo[2], hi[2]), _clip(u[3], lo[3], hi[3]))
        got_fx, got_mz, cost = 0.0, 0.0, 0.0
        for j in range(4):
            got_fx += b_fx[j] * u[j]
            got_mz += b_mz[j] * u[j]
            cost += weight[j] * u[j] * u[j]
        if abs(got_fx - fx) > tol or abs(got_mz - mz) > tol:
            continue
        if cost < best_cost:
            best_cost, best = cost, u
    if best_cost == math.inf:  # rounding only: a convex combination of the range's vertices
        share = 0.0 if fx_hi <= fx_lo else (fx - fx_lo) / (fx_hi - fx_lo)
        best = (v_lo[0] + share * (v_hi[0] - v_lo[0]), v_lo[1] + share * (v_hi[1] - v_lo[1]),
                v_lo[2] + share * (v_hi[2] - v_lo[2]), v_lo[3] + share * (v_hi[3] - v_lo[3]))
    got_fx, got_mz = 0.0, 0.0
    for j in range(4):
        got_fx += b_fx[j] * best[j]
        got_mz += b_mz[j] * best[j]
    return best, got_fx, got_mz


# --------------------------------------------------------------------------------------------
# Layout: which machine drives which wheel.


@_inline
def machine_of_wheel(p, lane, w):
    """``(k, wheels)``: the machine slot driving wheel ``w`` and how many wheels it drives
    (2 for an axle machine through an open differential), or ``(-1, 0)``."""
    for k in range(N_MACHINES):
        first, second = machine_wheels(p, lane, k)
        if first == w or second == w:
            return k, (2 if second >= 0 else 1)
    return -1, 0


@_scalar
def _regenerates(p, lane, cp, k):
    """Whether machine ``k`` may brake (electric, regeneration on)."""
    return (k >= 0 and cp[CP_REGEN * LANES + lane] > 0.5
            and machine_parameter(p, lane, k, M_KIND) == KIND_ELECTRIC)


@_inline
def _get4(table, row, lane):
    return (table[row * LANES + lane], table[(row + 1) * LANES + lane],
            table[(row + 2) * LANES + lane], table[(row + 3) * LANES + lane])


@_inline
def _set4(table, row, lane, values):
    for w in range(4):
        table[(row + w) * LANES + lane] = values[w]


@_scalar
def _saturate(ln, lane, x, drive, brake):
    """Wheel torques ``(drive, brake)`` (4-tuples [N·m]) made admissible at the current wheel
    speeds: each machine's torque (summed over its wheels) within its envelope, symmetric for
    regeneration (0 for a combustion engine or with regeneration off); no drive torque on a
    wheel without machine; friction brakes within ``[0, max]``; the battery terminal power
    (drive units' DC power with every loss, and the auxiliaries) within the battery's
    available charge and discharge power at its present state
    (:func:`sim.chassis.powertrain.saturate_to_battery`: motoring torques scaled down;
    regeneration scaled down and moved to the friction brakes)."""
    p, cp = ln.p, ln.cp
    d0, d1, d2, d3 = drive
    for k in range(N_MACHINES):
        first, second = machine_wheels(p, lane, k)
        if first < 0:
            continue
        cap = machine_wheel_torque_limit(p, lane, k, machine_wheel_speed(p, lane, x, k))
        low = -cap if _regenerates(p, lane, cp, k) else 0.0
        total = _pick(drive, first) + (_pick(drive, second) if second >= 0 else 0.0)
        scale = 1.0
        if total > cap:
            scale = cap / total
        elif total < low:
            scale = low / total
        d0 = d0 * scale if first == 0 or second == 0 else d0
        d1 = d1 * scale if first == 1 or second == 1 else d1
        d2 = d2 * scale if first == 2 or second == 2 else d2
        d3 = d3 * scale if first == 3 or second == 3 else d3
    # wheels no machine drives
    d0 = d0 if machine_of_wheel(p, lane, 0)[0] >= 0 else 0.0
    d1 = d1 if machine_of_wheel(p, lane, 1)[0] >= 0 else 0.0
    d2 = d2 if machine_of_wheel(p, lane, 2)[0] >= 0 else 0.0
    d3 = d3 if machine_of_wheel(p, lane, 3)[0] >= 0 else 0.0
    b_max_f, b_max_r = p[P_BRAKE_MAX_F * LANES + lane], p[P_BRAKE_MAX_R * LANES + lane]
    b0, b1 = _clip(brake[0], 0.0, b_max_f), _clip(brake[1], 0.0, b_max_f)
    b2, b3 = _clip(brake[2], 0.0, b_max_r), _clip(brake[3], 0.0, b_max_r)
    return saturate_to_battery(ln, lane, x, (d0, d1, d2, d3), (b0, b1, b2, b3), b_max_f,
                               b_max_r)


@_scalar
def _pick(values, i):
    """Element ``i`` (0..3) of a 4-tuple."""
    return values[i]


@_scalar
def battery_power_w(ln, x, lane, drive):
    """Battery terminal power [W] (> 0 discharging) of wheel drive torques ``drive`` with a
    battery in the loop (:func:`sim.chassis.powertrain.terminal_power_w`); without one, the
    machines' net mechanical power ``sum T omega``."""
    if ln.pt[PT_IN_LOOP * LANES + lane] > 0.5:
        return terminal_power_w(ln, lane, x, drive, 1.0, 1.0)
    total = 0.0
    for w in range(4):
        total += drive[w] * x[(S_OMEGA + w) * LANES + lane]
    return total


# --------------------------------------------------------------------------------------------
# One sample of the controller.


@_scalar
def _estimate(p, lane, cp, sens, x):
    """Estimated wheel loads ``fz`` and lateral tyre forces ``fy`` (4-tuples [N]) and peak
    friction ``mu`` [-] (see "Estimator" in the module docstring)."""
    tyre_mu = cp[CP_TYRE_MU * LANES + lane]
    measured = cp[CP_ESTIMATOR * LANES + lane] == ESTIMATOR_MEASURED
    fz = _get4(sens, SN_FZ, lane)
    if not measured and fz[0] + fz[1] + fz[2] + fz[3] > 0.0:
        # the true lateral forces, but at least the ones the car needs (steady axle balance
        # of the measured a_y shared by load): a tyre's lateral force falls when it is given
        # longitudinal force, which must not raise its remaining grip (a positive feedback)
        fy = _get4(sens, SN_FY, lane)
        ay = sens[SN_AY * LANES + lane]
        a, b = p[P_A * LANES + lane], p[P_B * LANES + lane]
        m = p[P_MASS * LANES + lane]
        need_f, need_r = m * ay * b / (a + b), m * ay * a / (a + b)
        front, rear = max(fz[0] + fz[1], 1.0), max(fz[2] + fz[3], 1.0)
        need = (need_f * fz[0] / front, need_f * fz[1] / front,
                need_r * fz[2] / rear, need_r * fz[3] / rear)
        fy = (max(abs(fy[0]), abs(need[0])), max(abs(fy[1]), abs(need[1])),
              max(abs(fy[2]), abs(need[2])), max(abs(fy[3]), abs(need[3])))
        return fz, fy, p[P_MU * LANES + lane] * tyre_mu
    # measured (or the sensors not yet written, at the first call): static load transfer
    ax, ay = sens[SN_AX * LANES + lane], sens[SN_AY * LANES + lane]
    fz = _wheel_loads(p, lane, x[S_VX * LANES + lane], ax, ay)
    a, b = p[P_A * LANES + lane], p[P_B * LANES + lane]
    m = p[P_MASS * LANES + lane]
    fy_front = m * ay * b / (a + b)
    fy_rear = m * ay * a / (a + b)
    front, rear = max(fz[0] + fz[1], 1.0), max(fz[2] + fz[3], 1.0)
    fy = (fy_front * fz[0] / front, fy_front * fz[1] / front,
          fy_rear * fz[2] / rear, fy_rear * fz[3] / rear)
    mu = (cp[CP_ASSUMED_MU * LANES + lane] if measured else p[P_MU * LANES + lane]) * tyre_mu
    return fz, fy, mu


@_scalar
def reference_yaw_rate(v, delta, wheelbase, target_k, mu, bound_factor):
    """Steady-state reference yaw rate [rad/s] ``v delta / (L + K_t v²)`` bounded by
    ``bound_factor mu g / v``; ``v`` [m/s] > 0, ``delta`` road-wheel angle [rad], ``K_t``
    [rad/(m/s²)]. Returns ``(r_ref, r_max, delta_max)`` with the bound and the road-wheel
    angle that reaches it."""
    denominator = wheelbase + target_k * v * v
    r_max = bound_factor * mu * GRAVITY_MPS2 / v
    delta_max = r_max * denominator / v
    return _clip(v * delta / denominator, -r_max, r_max), r_max, delta_max


@_scalar
def feedforward_yaw_moment(v, delta, wheelbase, a, b, mass, cf, cr, target_k):
    """Steady-state yaw moment [N·m] that makes the linear single-track car (axle cornering
    stiffnesses ``cf``, ``cr`` [N/rad], mass [kg], axle distances ``a``, ``b`` [m]) turn at
    ``v delta / (L + K_t v²)``: ``G delta v² (K - K_t) / (L + K_t v²)``,
    ``G = L cf cr / (cf + cr)``, ``K = m (b/cf - a/cr) / L`` (derivation in the module
    docstring). Positive to the left."""
    k_passive = mass * (b / cf - a / cr) / wheelbase
    gain = wheelbase * cf * cr / (cf + cr)
    return gain * delta * v * v * (k_passive - target_k) / (wheelbase + target_k * v * v)


@_scalar
def _wheel_arms(p, lane, steer_sw_rad):
    """Per wheel: ``c`` (cos of the road-wheel angle: body-x share of the wheel's force) and
    the yaw-moment arm ``x_w sin(delta_w) - y_w cos(delta_w)`` [m] of its longitudinal force,
    ``y_w`` measured from the vehicle's centre line (+-track/2): the module commands the yaw
    moment of left/right force differences; the small moment of equal forces about a laterally
    offset centre of mass is a disturbance its feedback sees, like any other."""
    d_l, d_r = _road_wheel_angles(p, lane, steer_sw_rad)
    c = (math.cos(d_l), math.cos(d_r), 1.0, 1.0)
    s = (math.sin(d_l), math.sin(d_r), 0.0, 0.0)
    cg_y = p[P_CGY * LANES + lane]
    x0, y0 = _wheel_position(p, lane, 0)
    x1, y1 = _wheel_position(p, lane, 1)
    x2, y2 = _wheel_position(p, lane, 2)
    x3, y3 = _wheel_position(p, lane, 3)
    y0, y1, y2, y3 = y0 + cg_y, y1 + cg_y, y2 + cg_y, y3 + cg_y
    arm = (x0 * s[0] - y0 * c[0], x1 * s[1] - y1 * c[1], x2 * s[2] - y2 * c[2],
           x3 * s[3] - y3 * c[3])
    return c, arm


@_scalar
def _traction_control(p, lane, cp, cs, x, c, dt):
    """Update the traction-control scales (state rows ``traction_scale_*``) from each wheel's
    longitudinal slip over ``dt`` [s] (see the module docstring)."""
    radius = p[P_RW * LANES + lane]
    vx, r = x[S_VX * LANES + lane], x[S_R * LANES + lane]
    target = cp[CP_SLIP_TARGET * LANES + lane]
    tau = cp[CP_TAU_TC * LANES + lane]
    gain = cp[CP_TC_GAIN * LANES + lane]
    for w in range(4):
        _, y_w = _wheel_position(p, lane, w)
        v_w = (vx - r * y_w) * c[w]
        kappa = (x[(S_OMEGA + w) * LANES + lane] * radius - v_w) \
            / max(abs(v_w), _SLIP_SPEED_FLOOR_MPS)
        at = (CS_TC + w) * LANES + lane
        # PI on the relative slip error: settles where |kappa| = target
        excess = min(abs(kappa) / target - 1.0, 4.0)
        at_i = (CS_TC_I + w) * LANES + lane
        cs[at_i] = _clip(cs[at_i] - dt * excess / tau, 0.0, 1.0)
        cs[at] = _clip(cs[at_i] - gain * max(excess, 0.0), 0.0, 1.0)


@_scalar
def _traction_limit(drive, brake, before, after):
    """Commands ``(drive, brake)`` (4-tuples [N·m]) computed within the traction-control
    scales ``before`` and activated now that the scales are ``after``: the torques of both
    wheels of an axle scaled down by the smaller of their ratios ``after / before`` where a
    scale fell (never up: the next sample re-allocates). Both wheels alike, so that an axle
    machine's wheels stay equal and traction control makes no yaw moment nobody asked for."""
    r0 = min(after[0] / before[0], 1.0) if before[0] > 0.0 else 1.0
    r1 = min(after[1] / before[1], 1.0) if before[1] > 0.0 else 1.0
    r2 = min(after[2] / before[2], 1.0) if before[2] > 0.0 else 1.0
    r3 = min(after[3] / before[3], 1.0) if before[3] > 0.0 else 1.0
    front, rear = min(r0, r1), min(r2, r3)
    return ((drive[0] * front, drive[1] * front, drive[2] * rear, drive[3] * rear),
            (brake[0] * front, brake[1] * front, brake[2] * rear, brake[3] * rear))


@_inline
def _unit(p, lane, cp, braking, j):
    """Allocation variable ``j``: the wheels it moves ``(first, second)`` (second -1 for one
    wheel; first -1: unused). Drive: machine slot j (an axle machine moves both wheels
    alike). Braking: wheel j if ``brake_vectoring`` is on or both wheels of its axle have
    their own machines; otherwise the axle (variable 0 front, 2 rear; 1 and 3 unused)."""
    if not braking:
        return machine_wheels(p, lane, j)
    first = j - (j % 2)
    independent = (machine_of_wheel(p, lane, first)[1] == 1
                   and machine_of_wheel(p, lane, first + 1)[1] == 1)
    if independent or cp[CP_BRAKE_VECTORING * LANES + lane] > 0.5:
        return j, -1
    if j % 2 == 0:
        return j, j + 1
    return -1, -1


@_scalar
def _wheel_bounds(p, lane, cp, x, w, braking, grip):
    """Force bounds ``(low, high)`` [N] of wheel ``w`` on its own: grip, its machine's share
    of the envelope (regeneration if allowed), and in braking its friction brake."""
    radius = p[P_RW * LANES + lane]
    k, wheels = machine_of_wheel(p, lane, w)
    machine = 0.0
    if k >= 0:
        machine = machine_wheel_torque_limit(p, lane, k, machine_wheel_speed(p, lane, x, k)) \
            / (wheels * radius)
    regen = machine if _regenerates(p, lane, cp, k) else 0.0
    if braking:
        brake_max = p[(P_BRAKE_MAX_F if w < 2 else P_BRAKE_MAX_R) * LANES + lane] / radius
        high = min(grip, machine) if wheels == 1 else 0.0
        return -min(grip, brake_max + regen), high
    return -min(grip, regen), min(grip, machine)


@_scalar
def _commands(ln, lane, x, force, extra_brake):
    """Wheel forces ``force`` (4-tuple [N]) -> torque commands ``(drive, brake)`` [N·m]:
    positive force by the machine; braking force by regeneration first (an axle machine
    equally on both wheels, within its envelope), friction brakes for the rest; plus the
    friction braking forces ``extra_brake`` (<= 0, :func:`_brake_intervention`); then
    :func:`_saturate` (machine envelopes, battery limits, brake maxima)."""
    p, cp = ln.p, ln.cp
    radius = p[P_RW * LANES + lane]
    need = (max(-force[0], 0.0) * radius, max(-force[1], 0.0) * radius,
            max(-force[2], 0.0) * radius, max(-force[3], 0.0) * radius)
    out_d0 = max(force[0], 0.0) * radius
    out_d1 = max(force[1], 0.0) * radius
    out_d2 = max(force[2], 0.0) * radius
    out_d3 = max(force[3], 0.0) * radius
    regen0, regen1, regen2, regen3 = 0.0, 0.0, 0.0, 0.0
    for k in range(N_MACHINES):
        first, second = machine_wheels(p, lane, k)
        if first < 0 or not _regenerates(p, lane, cp, k):
            continue
        cap = machine_wheel_torque_limit(p, lane, k, machine_wheel_speed(p, lane, x, k))
        if second < 0:
            share = min(need[first], cap)
            regen0 = share if first == 0 else regen0
            regen1 = share if first == 1 else regen1
            regen2 = share if first == 2 else regen2
            regen3 = share if first == 3 else regen3
        else:
            share = min(need[first], need[second], 0.5 * cap)
            if first == 0:
                regen0, regen1 = share, share
            else:
                regen2, regen3 = share, share
    drive = (out_d0 - regen0, out_d1 - regen1, out_d2 - regen2, out_d3 - regen3)
    brake = (need[0] - regen0 - extra_brake[0] * radius,
             need[1] - regen1 - extra_brake[1] * radius,
             need[2] - regen2 - extra_brake[2] * radius,
             need[3] - regen3 - extra_brake[3] * radius)
    return _saturate(ln, lane, x, drive, brake)


@_scalar
def _sideslip(cp, cs, lane, x, sens, v, r, period):
    """Sideslip estimate [rad] at the centre of mass: ``ideal``, the model's
    ``atan(v_y / v_x)``; ``measured``, the kinematic ``d(beta)/dt = a_y / v - r`` (measured
    lateral acceleration and yaw rate) with a washout of :data:`SIDESLIP_WASHOUT_S`."""
    if cp[CP_ESTIMATOR * LANES + lane] != ESTIMATOR_MEASURED:
        return math.atan2(x[S_VY * LANES + lane], v)
    beta = cs[CS_BETA * LANES + lane]
    rate = sens[SN_AY * LANES + lane] / max(v, YAW_CONTROL_FADE_MPS) - r
    return _clip(beta + period * (rate - beta / SIDESLIP_WASHOUT_S), -1.0, 1.0)


@_scalar
def _sample(ln, lane, x, force_demand_n, steer_sw_rad):
    """One controller sample: estimator, reference, yaw controller, traction control,
    allocation, torque commands (into the state rows ``*_command_*``)."""
    p, cp, cs = ln.p, ln.cp, ln.cs
    period = cp[CP_SAMPLE * LANES + lane]
    vx, r = x[S_VX * LANES + lane], x[S_R * LANES + lane]
    v = max(vx, 0.1)
    a, b = p[P_A * LANES + lane], p[P_B * LANES + lane]
    wheelbase = a + b
    delta = steer_sw_rad / p[P_STEER_RATIO * LANES + lane]
    fz, fy, mu = _estimate(p, lane, cp, ln.sens, x)
    # reference
    target_k = cp[CP_TARGET_K * LANES + lane]
    r_ss, r_max, delta_max = reference_yaw_rate(v, delta, wheelbase, target_k, mu,
                                                cp[CP_MU_FACTOR * LANES + lane])
    tau_ref = cp[CP_TAU_REF * LANES + lane]
    r_ref = cs[CS_R_REF * LANES + lane]
    r_ref = r_ss if tau_ref <= 0.0 else r_ref + (r_ss - r_ref) * (1.0 - math.exp(-period
                                                                               / tau_ref))
    error = r_ref - r
    # yaw controller: feedforward + PI
    fade = _clip(vx / YAW_CONTROL_FADE_MPS, 0.0, 1.0)
    feedforward = cp[CP_FF_GAIN * LANES + lane] * feedforward_yaw_moment(
        v, _clip(delta, -delta_max, delta_max), wheelbase, a, b, p[P_MASS * LANES + lane],
        cp[CP_CF * LANES + lane], cp[CP_CR * LANES + lane], target_k)
    max_mz = cp[CP_MAX_MZ * LANES + lane]
    integral_old = cs[CS_MZ_I * LANES + lane] * (1.0 if vx > 0.0 else 0.0)
    integral = _clip(integral_old + cp[CP_KI * LANES + lane] * error * period, -max_mz, max_mz)
    beta = _sideslip(cp, cs, lane, x, ln.sens, v, r, period)
    beta_max = cp[CP_MAX_BETA * LANES + lane]
    sideslip_moment = 0.0
    if beta_max > 0.0:
        # beyond the bound the car yaws too far into the turn for its path (beta < 0 turning
        # left): a moment of beta's sign slows the yaw (d beta/dt = a_y / v - r)
        sideslip_moment = cp[CP_BETA_GAIN * LANES + lane] \
            * (beta - _clip(beta, -beta_max, beta_max))
    demand = fade * (feedforward + cp[CP_KP * LANES + lane] * error + integral
                     + sideslip_moment)
    # allocation, within the traction-control scales of the last sample instant
    c, arm = _wheel_arms(p, lane, steer_sw_rad)
    braking = force_demand_n < 0.0
    g0 = math.sqrt(max((mu * fz[0]) ** 2 - fy[0] ** 2, 0.0)) * cs[CS_TC * LANES + lane]
    g1 = math.sqrt(max((mu * fz[1]) ** 2 - fy[1] ** 2, 0.0)) * cs[(CS_TC + 1) * LANES + lane]
    g2 = math.sqrt(max((mu * fz[2]) ** 2 - fy[2] ** 2, 0.0)) * cs[(CS_TC + 2) * LANES + lane]
    g3 = math.sqrt(max((mu * fz[3]) ** 2 - fy[3] ** 2, 0.0)) * cs[(CS_TC + 3) * LANES + lane]
    grip = (g0, g1, g2, g3)
    units = (_unit_data(p, lane, cp, x, braking, 0, c, arm, grip, fz, mu),
             _unit_data(p, lane, cp, x, braking, 1, c, arm, grip, fz, mu),
             _unit_data(p, lane, cp, x, braking, 2, c, arm, grip, fz, mu),
             _unit_data(p, lane, cp, x, braking, 3, c, arm, grip, fz, mu))
    b_fx = (units[0][0], units[1][0], units[2][0], units[3][0])
    b_mz = (units[0][1], units[1][1], units[2][1], units[3][1])
    weight = (units[0][2], units[1][2], units[2][2], units[3][2])
    lo = (units[0][3], units[1][3], units[2][3], units[3][3])
    hi = (units[0][4], units[1][4], units[2][4], units[3][4])
    mz_demand = _clip(demand, -max_mz, max_mz)
    # the battery's discharge limit bounds the drive force (P = F v; the electrical power
    # available beyond the auxiliaries, or the explicit cap without a battery in the loop);
    # made exact by _saturate
    in_loop = ln.pt[PT_IN_LOOP * LANES + lane] > 0.5
    available = ln.pt[PT_DISCHARGE_W * LANES + lane] - p[P_AUX_W * LANES + lane] if in_loop \
        else p[P_BATTERY_DISCHARGE_W * LANES + lane]
    fx_demand = min(force_demand_n, max(available, 0.0) / max(v, 1.0))
    u, fx_got, mz_got = allocate(fx_demand, mz_demand, b_fx, b_mz, weight, lo, hi)
    force = _unit_forces(p, lane, cp, braking, u)
    extra_brake = (0.0, 0.0, 0.0, 0.0)
    if not braking and cp[CP_BRAKE_VECTORING * LANES + lane] > 0.5:
        # only beyond a threshold: no braking against the small moments of driving straight
        # (an asymmetric car, an open differential's equal torques); beyond it, all of it;
        # a moment that adds yaw (against understeer) only for a large yaw-rate error: not
        # the brakes dragging through every steady corner to shape the understeer
        residual = mz_demand - mz_got
        pro_yaw = residual * r > 0.0
        if abs(residual) > cp[CP_BV_THRESHOLD * LANES + lane] and (
                not pro_yaw or abs(error) > cp[CP_BV_PRO_YAW_ERROR * LANES + lane]):
            extra_brake = _brake_intervention(p, lane, residual, force, arm, fz, mu)
        for w in range(4):
            mz_got += arm[w] * extra_brake[w]
    # anti-windup: hold the integrator while the realisable moment falls short of the demand
    # in the direction the error pushes
    # (and while the sideslip bound acts)
    if (demand - mz_got) * error > 0.0 and abs(demand - mz_got) > 1e-6 * (1.0 + max_mz) \
            or sideslip_moment != 0.0:
        integral = integral_old
    if vx < 0.5 * YAW_CONTROL_FADE_MPS:
        integral = 0.0
    drive, brake = _commands(ln, lane, x, force, extra_brake)
    radius = p[P_RW * LANES + lane]
    _set4(cs, CS_DRIVE_CMD, lane, drive)
    _set4(cs, CS_BRAKE_CMD, lane, brake)
    _set4(cs, CS_FZ, lane, fz)
    _set4(cs, CS_GRIP, lane, grip)
    cs[CS_DELTA * LANES + lane] = delta
    cs[CS_R_TARGET * LANES + lane] = r_ss
    cs[CS_R_REF * LANES + lane] = r_ref
    cs[CS_R_ERR * LANES + lane] = error
    cs[CS_MU * LANES + lane] = mu
    cs[CS_MZ_FF * LANES + lane] = fade * feedforward
    cs[CS_MZ_I * LANES + lane] = integral
    cs[CS_MZ_DEMAND * LANES + lane] = demand
    cs[CS_BETA * LANES + lane] = beta
    cs[CS_MZ_BETA * LANES + lane] = fade * sideslip_moment
    fx_cmd, _ = _force_and_moment(drive, brake, c, arm, radius)
    cs[CS_MZ_CMD * LANES + lane] = mz_got
    cs[CS_FX_DEMAND * LANES + lane] = force_demand_n
    cs[CS_FX_CMD * LANES + lane] = fx_cmd


@_inline
def _unit_data(p, lane, cp, x, braking, j, c, arm, grip, fz, mu):
    """Allocation variable ``j``'s ``(b_fx, b_mz, W, lo, hi)``: summed over its wheels, bounds
    the tighter of its wheels' (an axle's wheels carry the same force). A variable moving
    both wheels of an axle has no yaw-moment authority (``b_mz = 0``): the incidental moment
    of equal forces on steered wheels is left to the feedback, so that it never competes with
    the driver's force demand under the yaw-moment-first priority."""
    first, second = _unit(p, lane, cp, braking, j)
    if first < 0:
        return 0.0, 0.0, 1.0, 0.0, 0.0
    b_fx, b_mz, weight = 0.0, 0.0, 0.0
    lo, hi = -math.inf, math.inf
    for w in (first, second):
        if w < 0:
            continue
        low, high = _wheel_bounds(p, lane, cp, x, w, braking, grip[w])
        lo, hi = max(lo, low), min(hi, high)
        b_fx += c[w]
        b_mz += arm[w]
        weight += 1.0 / max(grip[w], 0.05 * mu * fz[w], 1.0)
    if second >= 0:
        b_mz = 0.0
    return b_fx, b_mz, weight, min(lo, 0.0), max(hi, 0.0)


@_scalar
def _brake_intervention(p, lane, residual_nm, force, arm, fz, mu):
    """Friction braking forces (4-tuple [N], <= 0) for the yaw moment ``residual_nm`` [N·m]
    the machines could not deliver while driving (``brake_vectoring`` on): the wheels whose
    braking force turns the car the right way, the longest arm first (the outer front wheel
    against oversteer, as an ESC does), each down to its full friction ``-mu F_z`` (its
    lateral force is traded on purpose) and its brake's maximum."""
    radius = p[P_RW * LANES + lane]
    out = (0.0, 0.0, 0.0, 0.0)
    used = 0
    for _ in range(4):
        best, best_arm = -1, 0.0
        for w in range(4):
            useful = -arm[w] * residual_nm  # > 0: braking wheel w helps
            if not (used >> w) & 1 and useful > 0.0 and abs(arm[w]) > best_arm:
                best, best_arm = w, abs(arm[w])
        if best < 0 or abs(residual_nm) <= 1e-9:
            break
        used |= 1 << best
        brake_max = p[(P_BRAKE_MAX_F if best < 2 else P_BRAKE_MAX_R) * LANES + lane] / radius
        room = max(min(mu * fz[best] + min(force[best], 0.0), brake_max), 0.0)
        f = -min(abs(residual_nm) / best_arm, room)
        residual_nm -= arm[best] * f
        out = (f if best == 0 else out[0], f if best == 1 else out[1],
               f if best == 2 else out[2], f if best == 3 else out[3])
    return out


@_scalar
def _unit_forces(p, lane, cp, braking, u):
    """Per-wheel forces (4-tuple [N]) of the allocation variables ``u``."""
    f0, f1, f2, f3 = 0.0, 0.0, 0.0, 0.0
    for j in range(4):
        first, second = _unit(p, lane, cp, braking, j)
        for w in (first, second):
            f0 = u[j] if w == 0 else f0
            f1 = u[j] if w == 1 else f1
            f2 = u[j] if w == 2 else f2
            f3 = u[j] if w == 3 else f3
    return f0, f1, f2, f3


@_scalar
def _force_and_moment(drive, brake, c, arm, radius):
    """Body-x force [N] and yaw moment [N·m] of wheel torques (forward-rolling wheels:
    ground force = (drive - brake) / R)."""
    fx, mz = 0.0, 0.0
    for w in range(4):
        f = (drive[w] - brake[w]) / radius
        fx += c[w] * f
        mz += arm[w] * f
    return fx, mz


# --------------------------------------------------------------------------------------------
# Timing: the latched measurement, the actuator lag.


@_scalar
def _lag_mean(command, value, dt, tau):
    """Mean over the next ``dt`` [s] of a first-order lag (time constant ``tau`` [s]) at
    ``value`` following ``command``: ``c + (v - c) tau/dt (1 - exp(-dt/tau))`` (``v`` when
    ``dt = 0``, ``c`` when ``tau = 0``)."""
    if tau <= 0.0:
        return command
    if dt <= 0.0:
        return value
    return command + (value - command) * tau / dt * -math.expm1(-dt / tau)


@_scalar
def _latch(cs, lane, x, force_demand_n, steer_sw_rad):
    """Latch what the controller measures of the chassis state and the driver's inputs now
    (rows ``measured_*``): the sensors the integrator writes after this call describe the
    same instant, so that a sample at the next call sees one consistent measurement."""
    for i in range(N_MEASURED_STATES):
        cs[(CS_XM + i) * LANES + lane] = x[i * LANES + lane]
    cs[CS_STEER_M * LANES + lane] = steer_sw_rad
    cs[CS_FORCE_M * LANES + lane] = force_demand_n


@_scalar
def _sample_latched(ln, lane):
    """A controller sample from the latched measurement (:func:`_latch`) and the sensors."""
    cs = ln.cs
    measured = cs[CS_XM * LANES:(CS_XM + N_MEASURED_STATES) * LANES]
    _sample(ln, lane, measured, cs[CS_FORCE_M * LANES + lane], cs[CS_STEER_M * LANES + lane])
    cs[CS_READY * LANES + lane] = 1.0


# --------------------------------------------------------------------------------------------
# The hook the integrator calls.


@_scalar
def adm_wheel_torques(ln, lane, x, t, force_demand_n, steer_sw_rad):
    """Wheel torques of lane ``lane`` at time ``t`` [s] for the driver's longitudinal force
    demand ``force_demand_n`` [N] (positive drives) and steering-wheel angle ``steer_sw_rad``
    [rad] (positive left): writes ``ln.drive`` (per wheel, N·m, negative regenerates) and
    ``ln.brake`` (>= 0, N·m), held by the integrator until its next call.

    Timing (see "Sampling" in the module docstring): commands become active at the sample
    instants ``t_k = k T`` (state ``next_sample_s``), computed from a measurement taken
    ``sensor_delay_s`` earlier: the chassis state and driver inputs latched at the call at
    ``t_k - d`` and the sensors the integrator wrote after that call; the applied torques
    follow the active commands through the actuator lag, exactly between calls, and are held
    at the lag's mean over the step."""
    p, cp, cs = ln.p, ln.cp, ln.cs
    t_prev = cs[CS_LAST * LANES + lane]
    dt = max(t - t_prev, 0.0)
    if dt <= 0.0:  # first call: the sensors describe this instant (nothing latched yet)
        _latch(cs, lane, x, force_demand_n, steer_sw_rad)
    tau = cp[CP_TAU_ACT * LANES + lane]
    # 1. the lag over [t_prev, t] behind the commands active then (exact)
    keep = 0.0 if tau <= 0.0 else math.exp(-dt / tau)
    drive_act, brake_act = _get4(cs, CS_DRIVE_ACT, lane), _get4(cs, CS_BRAKE_ACT, lane)
    drive_lag, brake_lag = _get4(cs, CS_DRIVE_LAG, lane), _get4(cs, CS_BRAKE_LAG, lane)
    drive_lag = (drive_act[0] + (drive_lag[0] - drive_act[0]) * keep,
                 drive_act[1] + (drive_lag[1] - drive_act[1]) * keep,
                 drive_act[2] + (drive_lag[2] - drive_act[2]) * keep,
                 drive_act[3] + (drive_lag[3] - drive_act[3]) * keep)
    brake_lag = (brake_act[0] + (brake_lag[0] - brake_act[0]) * keep,
                 brake_act[1] + (brake_lag[1] - brake_act[1]) * keep,
                 brake_act[2] + (brake_lag[2] - brake_act[2]) * keep,
                 brake_act[3] + (brake_lag[3] - brake_act[3]) * keep)
    drive_lag, brake_lag = _saturate(ln, lane, x, drive_lag, brake_lag)
    _set4(cs, CS_DRIVE_LAG, lane, drive_lag)
    _set4(cs, CS_BRAKE_LAG, lane, brake_lag)
    # 2. the measurement for the next activation, once the sensors describe its instant
    due = cs[CS_NEXT * LANES + lane]
    if cs[CS_READY * LANES + lane] < 0.5 \
            and t_prev >= due - cp[CP_DELAY * LANES + lane] - 1e-9:
        _sample_latched(ln, lane)
    # 3. activation at the sample instant (a delay shorter than the step acts as one step)
    if t >= due - 1e-9:
        if cs[CS_READY * LANES + lane] < 0.5:
            _sample_latched(ln, lane)
        drive_act, brake_act = _get4(cs, CS_DRIVE_CMD, lane), _get4(cs, CS_BRAKE_CMD, lane)
        # traction control: the wheel speeds now (the machines' resolvers: no bus delay)
        scale_before = _get4(cs, CS_TC, lane)
        _traction_control(p, lane, cp, cs, x, _wheel_arms(p, lane, steer_sw_rad)[0],
                          cp[CP_SAMPLE * LANES + lane])
        drive_act, brake_act = _traction_limit(drive_act, brake_act, scale_before,
                                               _get4(cs, CS_TC, lane))
        _set4(cs, CS_DRIVE_ACT, lane, drive_act)
        _set4(cs, CS_BRAKE_ACT, lane, brake_act)
        cs[CS_READY * LANES + lane] = 0.0
        following = due + cp[CP_SAMPLE * LANES + lane]
        cs[CS_NEXT * LANES + lane] = following if following > t + 1e-9 \
            else t + cp[CP_SAMPLE * LANES + lane]
    _latch(cs, lane, x, force_demand_n, steer_sw_rad)
    cs[CS_LAST * LANES + lane] = t
    # 4. held until the next call (assumed as far away as the last): the lag's mean
    drive = (_lag_mean(drive_act[0], drive_lag[0], dt, tau),
             _lag_mean(drive_act[1], drive_lag[1], dt, tau),
             _lag_mean(drive_act[2], drive_lag[2], dt, tau),
             _lag_mean(drive_act[3], drive_lag[3], dt, tau))
    brake = (_lag_mean(brake_act[0], brake_lag[0], dt, tau),
             _lag_mean(brake_act[1], brake_lag[1], dt, tau),
             _lag_mean(brake_act[2], brake_lag[2], dt, tau),
             _lag_mean(brake_act[3], brake_lag[3], dt, tau))
    drive, brake = _saturate(ln, lane, x, drive, brake)
    _set4(cs, CS_DRIVE, lane, drive)
    _set4(cs, CS_BRAKE, lane, brake)
    _set4(ln.drive, 0, lane, drive)
    _set4(ln.brake, 0, lane, brake)
    c, arm = _wheel_arms(p, lane, steer_sw_rad)
    fx, mz = _force_and_moment(drive, brake, c, arm, p[P_RW * LANES + lane])
    cs[CS_FX_APPLIED * LANES + lane] = fx
    cs[CS_MZ_APPLIED * LANES + lane] = mz
    cs[CS_BATTERY_W * LANES + lane] = battery_power_w(ln, x, lane, drive)
