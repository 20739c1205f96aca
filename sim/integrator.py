"""The time loop: drives the chassis (:mod:`sim.chassis.two_track`) with a driver
(:mod:`sim.driver.closed_loop`) and a controller (the passive drivetrain or the dynamic module
:mod:`sim.adm`), batch-first, compiled.

Each integrator step of a lane (a batch member, see "Lanes" in :mod:`sim.chassis.two_track`):

1. **Driver** (:func:`_driver_lanes`): the steering-wheel angle and the longitudinal force
   demand, from input tables (open loop) or from the path follower and the speed controller;
   held through the step when closed loop (a driver acting at the step rate).
2. **Battery limits** (:func:`sim.chassis.powertrain.powertrain_limits`): the available
   discharge and charge power at the battery's state at the step's start.
3. **Controller** (:func:`_passive_wheel_torques`, :func:`_direct_wheel_torques`,
   :func:`_adm_wheel_torques`; each controller has its own compiled time loop,
   :func:`_time_loop`): per-wheel drive and brake torques from the demand,
   held through the step, within the machines' envelopes and the battery's available power
   on the electrical side (:func:`sim.chassis.powertrain.saturate_to_battery`); it reads the
   sensors (``Lanes.sens``) recorded after the previous step's first evaluation (one step
   old: a sensor delay of ``h``).
4. The derivative at the step's start, which also gives the recorded signals and the sensors.
5. The step (``Stepping.scheme``):

   * ``SCHEME_ROSENBROCK`` (the default, :class:`sim.simulate.Numerics`): one linearly
     implicit Rosenbrock-W step (ROS34PW2, :func:`_rosenbrock_step`) with a Jacobian
     estimate of the stiff couplings at the step's start
     (:func:`sim.chassis.two_track.stiff_diagonal`): the wheel-spin, relaxation and
     load-transfer modes on the diagonal, and the slip coupling of the wheel speeds with
     the body's forward speed, lateral speed and yaw rate (the hub) as a block solved
     exactly. No substeps; a lane whose step's embedded error estimate of a wheel's slip
     exceeds :data:`SLIP_TOLERANCE` (:func:`_slip_error`) takes that step again by the
     reference scheme (:func:`_reject_steps`, :func:`_rk4_redo`): a demand stepped onto
     tyres at rest makes the W-method's first stage overshoot the slip by ``1 / gamma`` (2.3x)
     into the tyre's nonlinear range (a standing start's first step reached slip 0.12 where
     RK4 has 0.044, and at 1.1 m g ran into wheel spin); a step steer's first step stays at
     3 % of the tolerance, a 1 g braking run's at 45 %.
   * ``SCHEME_RK4`` (the reference): each lane's substep count from
     :func:`sim.chassis.two_track.stiffest_rate`, lanes sorted by it, RK4 substeps.

   The open-loop steering is interpolated at every stage. The powertrain and energy states
   (:data:`sim.chassis.powertrain.ENERGY_STATE_NAMES`: the battery's SOC and RC voltages,
   every energy term) are integrated by the same stages: each stage evaluates the chassis
   (:func:`sim.chassis.two_track.rhs`), then the powertrain at that stage's wheel speeds
   (:func:`sim.chassis.powertrain.powertrain_rhs`); their rows have no stiffness, so they
   take the explicit order-3 method inside ROS34PW2, and the energy balance closes to the
   scheme's error.
6. Failure checks: a lane that went non-finite, spun out or stopped is recorded and leaves
   (``v_stop = 0``: no lane stops; a car braked to rest stands on its friction brakes and
   starts again, see :func:`_regeneration_fade`).

Numerics. RK4 with a fixed step ``h`` is stable only for ``h lambda <= 2.785``, and resolves a
decaying mode only well inside that: each lane is subdivided so that ``h lambda <= 1``
(:data:`_RK4_REAL_LIMIT`; RK4's amplification 0.375 against the exact decay 0.368). The
wheel-spin mode's rate ``R² K_x / (J v)`` and the smoothed brake torque's slope at rest make
that tens of substeps per 10 ms at low speed and with locked wheels. At the bare stability
limit (``h lambda <= 2.7``) the reference was stable but inexact where the brakes hold a locked
wheel: braking at 60 kN from 100 km/h closed its energy balance to -5.8e-3 at 1 ms (friction
brake work 6 % high), -1.1e-6 with the limit at 1. The Rosenbrock-W scheme is L-stable in the
modes it linearises, keeps equilibria exactly for any Jacobian estimate and has order 3 for any
estimate (a W-method), so its step is set by accuracy; its deviations from RK4 at 1 ms on the
validation cases are tabled in the README (tests/validation/test_rosenbrock_scheme.py holds
them to 0.5 %). The Jacobian estimate must still hold every coupling as stiff as the modes it
damps: with a diagonal only, a standing start at 10 ms was 1.5 % short (the wheels and the body
accelerate together, an eigenvalue near 0 of the pair); with the forward speed alone coupled to
the wheels, their left-right mode, which couples with the yaw rate through the slips (``d
omega_fl' / d r`` -8 800 /s against ``d omega_fl' / d vx`` 11 000 /s at 1.35 m/s), grew by -2.7
per 10 ms step below about 1.5 m/s. Hence the hub of forward speed, lateral speed and yaw rate
with the four wheels as its spokes. Cost per step: four right-hand-side evaluations, as one RK4
(sub)step, plus the Jacobian estimate (three tyre evaluations per wheel) and a 3x3 solve per
lane. A lane's results depend on its own inputs only, bit for bit, under both schemes.
"""

from __future__ import annotations

import math
from collections import namedtuple
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

from sim._arrays import kernel_array
from sim.adm.kernel import adm_wheel_torques
from sim.chassis.powertrain import (
    N_ENERGY_STATES,
    N_PT,
    PT_FIRST_RECORDED,
    hold_step_power,
    passive_wheel_torques,
    powertrain_limits,
    powertrain_rhs,
)
from sim.chassis.two_track import (
    A_AX,
    A_AY,
    A_FX,
    A_FY,
    A_FZ,
    CONTROLLER_ADM,
    CONTROLLER_DIRECT,
    CONTROLLER_NAMES,
    D_HUB,
    D_HUB_TO_SPIN,
    D_SPIN_TO_HUB,
    HUB_STATES,
    LANES,
    N_AUX,
    N_JACOBIAN_ROWS,
    N_PARAMETERS,
    N_POWER,
    N_SENSORS,
    N_STATES,
    P_BRAKE_MAX_F,
    P_BRAKE_MAX_R,
    P_RW,
    S_OMEGA,
    S_VX,
    S_VY,
    SN_AX,
    SN_AY,
    SN_FX,
    SN_FY,
    SN_FZ,
    STATUS_NONFINITE,
    STATUS_OK,
    STATUS_SPUN_OUT,
    STATUS_STOPPED,
    Lanes,
    lane_table,
    mechanical_power,
    rhs,
    stiff_diagonal,
    stiffest_rate,
)
from sim.driver.closed_loop import (
    DP_SPEED_MODE,
    DP_STEER_MODE,
    DS_FORCE,
    DS_STEER,
    DS_TARGET_SPEED,
    N_DRIVER_PARAMETERS,
    N_DRIVER_STATES,
    SPEED_CONTROL,
    STEER_PATH,
    path_steer_rad,
    speed_control_force_n,
    steering_update_rad,
)
from sim.lanes import interp_uniform

_lanes = numba.njit(cache=True, error_model="numpy", _nrt=False)
_scalar = numba.njit(cache=True, _nrt=False)
# Inlined at numba IR level where they are called: small helpers that are called with
# literal arguments (a separately compiled function gets one specialisation per literal).
_inline = numba.njit(inline="always", _nrt=False)
_RK4_REAL_LIMIT = 1.0       # h * lambda allowed per RK4 substep (its stability limit: 2.785)
_MAX_SUBSTEPS = 10_000

#: The driver's inputs of a batch, sampled uniformly from ``t0_s`` every ``dt_s`` seconds:
#: ``steer`` (N, T_in) steering-wheel angle [rad], ``force`` (N, T_in) longitudinal force
#: demand [N], ``speed`` (N, T_in) target speed of the speed controller [m/s], ``drive``,
#: ``brake`` (N, 4, T_in) per-wheel torques [N·m] (``CONTROLLER_DIRECT``); ``path`` (N, K, 4)
#: the path follower's table (:meth:`sim.driver.Path.table`: points [m], arc length, heading).
Inputs = namedtuple("Inputs", ["t0_s", "dt_s", "steer", "force", "speed", "drive", "brake",
                               "path"])

#: Where a batch's results go: ``out`` (K, N, T_out): the K recorded channels, row k holding
#: kernel channel ``picked[k]`` (``picked`` (K,) int64 indices into the kernel's channels:
#: states, derived signals, driver states, the powertrain's channels
#: (:data:`sim.chassis.powertrain.CHANNEL_NAMES`) and the controller's states, in that order;
#: see :func:`_channel`; K may be 0: nothing recorded);
#: channel-major (a channel's (N, T_out) block is contiguous), every element written (the
#: samples of a member, NaN after it ended, so it need not be initialised); ``status`` (N,),
#: ``end_time`` (N,) [s], ``end_state`` (N, S), ``end_energy`` (N, E) the powertrain and
#: energy states at the end (:data:`sim.chassis.powertrain.ENERGY_STATE_NAMES`);
#: ``extremes`` (W, N, 2): the smallest and largest value of kernel channel ``watched[k]``
#: (``watched`` (W,) int64, W may be 0) in row k, over the state at the start of every step
#: while the member ran (widened in place: the caller sets ``+inf, -inf``).
Outputs = namedtuple("Outputs", ["out", "status", "end_time", "end_state", "end_energy",
                                 "picked", "extremes", "watched"])

#: Numerical settings of a run: RK4 step ``h`` [s], ``n_steps`` steps, a sample recorded
#: every ``out_every`` steps, slip-denominator floor ``v_low`` [m/s]; a member stops below
#: ``v_stop`` [m/s] and spins out beyond the sideslip ``max_sideslip`` [rad].
Stepping = namedtuple("Stepping", ["h", "n_steps", "out_every", "v_low", "v_stop",
                                   "max_sideslip", "scheme"])

#: Integration schemes (``Stepping.scheme``; :class:`sim.simulate.Numerics` ``scheme``):
#: the linearly implicit Rosenbrock-W scheme ROS34PW2 (:func:`_rosenbrock_step`, the
#: default) and classical RK4 with stability substeps (the reference).
SCHEME_RK4, SCHEME_ROSENBROCK = 0, 1
SCHEME_NAMES = ("rk4", "rosenbrock")

#: A chunk's integrator workspace: lane tables of the four RK4 stage derivatives ``k``, the
#: stage state ``stage`` and the step's start ``last_x`` (N_STATES rows each), the stiffness
#: bound ``bound`` (3 rows), each lane's substep size ``h_sub`` [s] (1 row); per lane its
#: substep count ``substeps`` and whether it ``ended`` in the last step; the same for the
#: powertrain and energy states (``ke``, ``stage_e``, ``last_xe``, N_ENERGY_STATES rows) and
#: the battery kernels' scratch ``bx``, ``bdx``; the Rosenbrock-W scheme's Jacobian diagonal
#: ``diag`` (N_JACOBIAN_ROWS rows, :func:`sim.chassis.two_track.stiff_diagonal`).
Workspace = namedtuple("Workspace", ["k", "stage", "last_x", "bound", "h_sub", "substeps",
                                     "ended", "ke", "stage_e", "last_xe", "bx", "bdx", "diag",
                                     "err"])


# --------------------------------------------------------------------------------------------
# Time stepping of a chunk: classical RK4, each lane with its own substep size.

#: Doubles per SIMD register (AVX-512). A lane loop over fewer lanes than this runs as scalar
#: code, so a substep pass over part of a chunk is widened to a multiple of it.
_SIMD_WIDTH = 8


@_lanes
def _substeps(bound, h, n, substeps, h_sub):
    """Substeps of each lane for a step ``h`` [s] from its stiffness bound (row 0 of
    ``bound``): ``ceil(h lambda / _RK4_REAL_LIMIT)`` within [1, _MAX_SUBSTEPS], and their
    size ``h_sub`` [s]. Returns the chunk's count, the largest."""
    most = 0
    for lane in range(n):
        k = int(math.ceil(h * bound[lane] / _RK4_REAL_LIMIT))
        k = min(max(k, 1), _MAX_SUBSTEPS)
        substeps[lane] = k
        h_sub[lane] = h / k
        most = max(most, k)
    return most


@_lanes
def _copy(table, n, out):
    """Copy lanes ``0..n-1`` of a lane table into ``out`` (as many rows; the row count is
    read from the table, not passed: a literal count compiled a copy per table kind)."""
    for i in range(table.size // LANES):
        for lane in range(n):
            out[i * LANES + lane] = table[i * LANES + lane]


@_lanes
def _stage(x, k, fraction, h_sub, n, out):
    """RK4 stage state ``out = x + (fraction h_l) k`` (lane tables of N_STATES rows)."""
    for i in range(N_STATES):
        for lane in range(n):
            at = i * LANES + lane
            out[at] = x[at] + fraction * h_sub[lane] * k[at]


@_lanes
def _stage_rows(x, k, fraction, h_sub, n, rows, out):
    """:func:`_stage` for a lane table of ``rows`` rows."""
    for i in range(rows):
        for lane in range(n):
            at = i * LANES + lane
            out[at] = x[at] + fraction * h_sub[lane] * k[at]


@_lanes
def _rk4_update_rows(x, k1, k2, k3, k4, h_sub, j, substeps, n, rows):
    """:func:`_rk4_update` for a lane table of ``rows`` rows."""
    for i in range(rows):
        for lane in range(n):
            at = i * LANES + lane
            step = h_sub[lane] / 6.0 * (k1[at] + 2.0 * k2[at] + 2.0 * k3[at] + k4[at])
            x[at] = x[at] + step if j < substeps[lane] else x[at]


@_lanes
def _rk4_update(x, k1, k2, k3, k4, h_sub, j, substeps, n):
    """``x += h_l / 6 (k1 + 2 k2 + 2 k3 + k4)`` in the lanes that take substep ``j`` (those
    with more than ``j`` substeps); the others keep their state."""
    for i in range(N_STATES):
        for lane in range(n):
            at = i * LANES + lane
            step = h_sub[lane] / 6.0 * (k1[at] + 2.0 * k2[at] + 2.0 * k3[at] + k4[at])
            x[at] = x[at] + step if j < substeps[lane] else x[at]


@_inline
def _steer_lanes(inputs, ln, members, n, t, j, fraction, h_sub):
    """Steering-wheel angle [rad] of lanes ``0..n-1`` (members ``members[lane]``) at their stage
    times ``(t + j h_l) + fraction h_l`` (substep ``j`` of size ``h_l``) into ``ln.steer``: the
    open-loop table interpolated, or the path follower's angle held through the step."""
    for lane in range(n):
        if ln.dp[DP_STEER_MODE * LANES + lane] == STEER_PATH:
            ln.steer[lane] = ln.ds[DS_STEER * LANES + lane]
        else:
            t_sub = t + j * h_sub[lane]
            ln.steer[lane] = interp_uniform(inputs.steer[members[lane]], inputs.t0_s,
                                            inputs.dt_s, t_sub + fraction * h_sub[lane])


@_scalar
def _driver_lanes(inputs, ln, members, n, t, x, h):
    """The driver's step at time ``t`` [s] for lanes ``0..n-1``: steering-wheel angle and force
    demand into the driver states (``ln.ds``), from the input tables or from the path follower
    and the speed controller (:mod:`sim.driver.closed_loop`)."""
    t0, dt = inputs.t0_s, inputs.dt_s
    for lane in range(n):
        m = members[lane]
        at_steer, at_force = DS_STEER * LANES + lane, DS_FORCE * LANES + lane
        if ln.dp[DP_STEER_MODE * LANES + lane] == STEER_PATH:
            target = path_steer_rad(ln.p, ln.dp, ln.ds, lane, x, inputs.path[m], h)
            ln.ds[at_steer] = steering_update_rad(ln.dp, lane, ln.ds[at_steer], target, h)
        else:
            ln.ds[at_steer] = interp_uniform(inputs.steer[m], t0, dt, t)
        if ln.dp[DP_SPEED_MODE * LANES + lane] == SPEED_CONTROL:
            target_speed = interp_uniform(inputs.speed[m], t0, dt, t)
            ln.ds[DS_TARGET_SPEED * LANES + lane] = target_speed
            ln.ds[at_force] = speed_control_force_n(ln.p, ln.dp, ln.ds, lane, x, target_speed, h)
        else:
            ln.ds[at_force] = interp_uniform(inputs.force[m], t0, dt, t)


@_scalar
def _sense(ln, n):
    """The sensors (``ln.sens``, :data:`sim.chassis.two_track.SENSOR_NAMES`) of lanes
    ``0..n-1`` from the derived signals of the last evaluation of the right-hand side."""
    for lane in range(n):
        ln.sens[SN_AX * LANES + lane] = ln.aux[A_AX * LANES + lane]
        ln.sens[SN_AY * LANES + lane] = ln.aux[A_AY * LANES + lane]
        for w in range(4):
            ln.sens[(SN_FZ + w) * LANES + lane] = ln.aux[(A_FZ + w) * LANES + lane]
            ln.sens[(SN_FX + w) * LANES + lane] = ln.aux[(A_FX + w) * LANES + lane]
            ln.sens[(SN_FY + w) * LANES + lane] = ln.aux[(A_FY + w) * LANES + lane]


@_scalar
def _evaluate(ln, n, tyre_params, v_low, x, xe, k, ke, ws):
    """The derivatives ``k`` of the chassis states ``x`` and ``ke`` of the powertrain and
    energy states ``xe`` (the powertrain at the same wheel speeds)."""
    rhs(ln, n, tyre_params, v_low, x, k)
    mechanical_power(ln, n, x)
    powertrain_rhs(ln, n, x, xe, ke, ws.bx, ws.bdx)


@_scalar
def _rk4_substep(j, t, tyre_params, ln, n, members, inputs, v_low, x, xe, ws):
    """Substep ``j`` of lanes ``0..n-1`` (lane l: from ``t + j h_l`` to ``t + (j + 1) h_l``),
    wheel torques held; lanes with ``ws.substeps[lane] <= j`` keep their state. For ``j =
    0``, ``ws.k[0]`` and ``ws.ke[0]`` already hold the derivatives at the step's start."""
    k1, k2, k3, k4 = ws.k
    e1, e2, e3, e4 = ws.ke
    stage, stage_e, h_sub, substeps = ws.stage, ws.stage_e, ws.h_sub, ws.substeps
    if j > 0:
        _steer_lanes(inputs, ln, members, n, t, j, 0.0, h_sub)
        _evaluate(ln, n, tyre_params, v_low, x, xe, k1, e1, ws)
    _stage(x, k1, 0.5, h_sub, n, stage)
    _stage_rows(xe, e1, 0.5, h_sub, n, N_ENERGY_STATES, stage_e)
    _steer_lanes(inputs, ln, members, n, t, j, 0.5, h_sub)
    _evaluate(ln, n, tyre_params, v_low, stage, stage_e, k2, e2, ws)
    _stage(x, k2, 0.5, h_sub, n, stage)
    _stage_rows(xe, e2, 0.5, h_sub, n, N_ENERGY_STATES, stage_e)
    _evaluate(ln, n, tyre_params, v_low, stage, stage_e, k3, e3, ws)
    _stage(x, k3, 1.0, h_sub, n, stage)
    _stage_rows(xe, e3, 1.0, h_sub, n, N_ENERGY_STATES, stage_e)
    _steer_lanes(inputs, ln, members, n, t, j, 1.0, h_sub)
    _evaluate(ln, n, tyre_params, v_low, stage, stage_e, k4, e4, ws)
    _rk4_update(x, k1, k2, k3, k4, h_sub, j, substeps, n)
    _rk4_update_rows(xe, e1, e2, e3, e4, h_sub, j, substeps, n, N_ENERGY_STATES)


# --------------------------------------------------------------------------------------------
# The linearly implicit scheme: Rosenbrock-W ROS34PW2 with a diagonal Jacobian estimate.
#
# Rang & Angermann, "New Rosenbrock W-methods of order 3 for partial differential algebraic
# equations of index 1", BIT 45 (2005) 761-787: 4 stages, order 3 for any matrix W (a
# W-method: the Jacobian need only be estimated), L-stable with W exact, stiffly accurate.
# In the form of Hairer & Wanner (Solving ODEs II, IV.7): with D the Jacobian estimate,
# (I - gamma h D) K_i = h f(x + sum_j a_ij K_j) + h D sum_j g_ij K_j, x_new = x + sum b_i K_i.
# D is diagonal (sim.chassis.two_track.stiff_diagonal), so the "solve" is one division per
# state, and rows with D = 0 (positions, heading, every powertrain and energy state) take the
# explicit Runge-Kutta method (a, b) of order 3 that the W-method conditions contain.

_ROS_GAMMA = 4.3586652150845900e-01
_ROS_A21 = 8.7173304301691801e-01
_ROS_A31, _ROS_A32 = 8.4457060015369423e-01, -1.1299064236484185e-01
_ROS_A43 = 1.0  # a41 = a42 = 0
_ROS_G21 = -8.7173304301691801e-01
_ROS_G31, _ROS_G32 = -9.0338057013044082e-01, 5.4180672388095326e-02
_ROS_G41, _ROS_G42, _ROS_G43 = (2.4212380706095346e-01, -1.2232505839045147e+00,
                                5.4526025533510214e-01)
_ROS_B = (2.4212380706095346e-01, -1.2232505839045147e+00, 1.5452602553351020e+00,
          4.3586652150845900e-01)
#: Weights of the embedded order-2 solution (Rang & Angermann 2005): ``sum (b_i - bhat_i) K_i``
#: estimates a step's local error.
_ROS_BHAT = (3.7810903145819369e-01, -9.6042292212423178e-02, 5.0e-01, 2.1793326075422950e-01)
#: Largest local error estimate of a wheel's longitudinal slip [-] a Rosenbrock-W step
#: accepts (:func:`_slip_error`); a larger one sends the lane's step to the reference scheme.
SLIP_TOLERANCE = 2e-3
#: Stage times as fractions of the step (c_i = sum_j a_ij).
_ROS_C2, _ROS_C3 = _ROS_A21, _ROS_A31 + _ROS_A32


@_inline
def _solve3(a00, a01, a02, a10, a11, a12, a20, a21, a22, b0, b1, b2):
    """The solution of the 3x3 system ``A k = b`` (Cramer's rule; ``A`` is the hub's
    ``I - gamma h J`` block, diagonally dominant)."""
    c00 = a11 * a22 - a12 * a21
    c01 = a12 * a20 - a10 * a22
    c02 = a10 * a21 - a11 * a20
    inv = 1.0 / (a00 * c00 + a01 * c01 + a02 * c02)
    k0 = (b0 * c00 + b1 * (a02 * a21 - a01 * a22) + b2 * (a01 * a12 - a02 * a11)) * inv
    k1 = (b0 * c01 + b1 * (a00 * a22 - a02 * a20) + b2 * (a02 * a10 - a00 * a12)) * inv
    k2 = (b0 * c02 + b1 * (a01 * a20 - a00 * a21) + b2 * (a00 * a11 - a01 * a10)) * inv
    return k0, k1, k2


@_lanes
def _ros_increment(f, diag, g1, g2, g3, k1, k2, k3, h, n, out):
    """Stage increment ``K_i`` from ``(I - gamma h J) K_i = h f + h J (g1 K1 + g2 K2 + g3
    K3)`` in place of the derivative ``f`` (``out`` may be ``f``; lane tables of N_STATES
    rows), ``J`` the Jacobian estimate ``diag`` (:func:`sim.chassis.two_track.stiff_diagonal`):
    diagonal rows divide; the hub (forward speed, lateral speed, yaw rate) and the four wheel
    speeds coupled with it through the slip are solved exactly, the wheels eliminated into
    the hub's 3x3 system."""
    s_x, s_y, s_r = HUB_STATES  # the hub block's rows and columns, in this order
    for i in range(N_STATES):
        if i == s_x or i == s_y or i == s_r or (S_OMEGA <= i < S_OMEGA + 4):
            continue
        for lane in range(n):
            at = i * LANES + lane
            d = h * diag[at]
            out[at] = (h * f[at] + d * (g1 * k1[at] + g2 * k2[at] + g3 * k3[at])) \
                / (1.0 - _ROS_GAMMA * d)
    gh = _ROS_GAMMA * h
    for lane in range(n):
        vx, vy, vr = s_x * LANES + lane, s_y * LANES + lane, s_r * LANES + lane
        gx = g1 * k1[vx] + g2 * k2[vx] + g3 * k3[vx]
        gy = g1 * k1[vy] + g2 * k2[vy] + g3 * k3[vy]
        gr = g1 * k1[vr] + g2 * k2[vr] + g3 * k3[vr]
        hub = D_HUB * LANES + lane
        j00, j01, j02 = diag[hub], diag[hub + LANES], diag[hub + 2 * LANES]
        j10, j11, j12 = diag[hub + 3 * LANES], diag[hub + 4 * LANES], diag[hub + 5 * LANES]
        j20, j21, j22 = diag[hub + 6 * LANES], diag[hub + 7 * LANES], diag[hub + 8 * LANES]
        r0 = h * (f[vx] + j00 * gx + j01 * gy + j02 * gr)
        r1 = h * (f[vy] + j10 * gx + j11 * gy + j12 * gr)
        r2 = h * (f[vr] + j20 * gx + j21 * gy + j22 * gr)
        a00, a01, a02 = 1.0 - gh * j00, -gh * j01, -gh * j02
        a10, a11, a12 = -gh * j10, 1.0 - gh * j11, -gh * j12
        a20, a21, a22 = -gh * j20, -gh * j21, 1.0 - gh * j22
        for w in range(4):
            at = (S_OMEGA + w) * LANES + lane
            g_w = g1 * k1[at] + g2 * k2[at] + g3 * k3[at]
            col = (D_SPIN_TO_HUB + 3 * w) * LANES + lane   # d hub' / d omega_w
            c0, c1, c2 = diag[col], diag[col + LANES], diag[col + 2 * LANES]
            row = (D_HUB_TO_SPIN + 3 * w) * LANES + lane   # d omega_w' / d hub
            s0, s1, s2 = diag[row], diag[row + LANES], diag[row + 2 * LANES]
            r_w = h * (f[at] + s0 * gx + s1 * gy + s2 * gr + diag[at] * g_w)
            a_w = 1.0 - gh * diag[at]
            # eliminate wheel w: its row gives K_w = (r_w + gh s · K_hub) / a_w
            e = gh / a_w
            r0 += h * c0 * g_w + e * c0 * r_w
            r1 += h * c1 * g_w + e * c1 * r_w
            r2 += h * c2 * g_w + e * c2 * r_w
            e *= gh
            a00 -= e * c0 * s0
            a01 -= e * c0 * s1
            a02 -= e * c0 * s2
            a10 -= e * c1 * s0
            a11 -= e * c1 * s1
            a12 -= e * c1 * s2
            a20 -= e * c2 * s0
            a21 -= e * c2 * s1
            a22 -= e * c2 * s2
            out[at] = r_w  # the wheel's right-hand side, until the hub's K is known
        kx, ky, kr = _solve3(a00, a01, a02, a10, a11, a12, a20, a21, a22, r0, r1, r2)
        for w in range(4):
            at = (S_OMEGA + w) * LANES + lane
            row = (D_HUB_TO_SPIN + 3 * w) * LANES + lane
            out[at] = (out[at] + gh * (diag[row] * kx + diag[row + LANES] * ky
                                       + diag[row + 2 * LANES] * kr)) \
                / (1.0 - gh * diag[at])
        out[vx], out[vy], out[vr] = kx, ky, kr


@_lanes
def _ros_increment_explicit(f, h, n, rows, out):
    """:func:`_ros_increment` for rows without stiffness (D = 0): ``K_i = h f``."""
    for i in range(rows):
        for lane in range(n):
            at = i * LANES + lane
            out[at] = h * f[at]


@_lanes
def _ros_stage(x, a1, a2, a3, k1, k2, k3, n, out):
    """Stage state ``out = x + a1 K1 + a2 K2 + a3 K3`` (every row of the lane table ``x``)."""
    for i in range(x.size // LANES):
        for lane in range(n):
            at = i * LANES + lane
            out[at] = x[at] + a1 * k1[at] + a2 * k2[at] + a3 * k3[at]


@_lanes
def _ros_update(x, k1, k2, k3, k4, n):
    """``x += sum b_i K_i`` (every row of the lane table ``x``)."""
    b1, b2, b3, b4 = _ROS_B
    for i in range(x.size // LANES):
        for lane in range(n):
            at = i * LANES + lane
            x[at] = x[at] + (b1 * k1[at] + b2 * k2[at] + b3 * k3[at] + b4 * k4[at])


@_lanes
def _slip_error(ln, n, x, k1, k2, k3, k4, v_low, err):
    """Each lane's local error estimate of the step's longitudinal slips [-] into ``err`` (1
    row): the largest over the wheels of ``|R e_omega - e_vx| / max(|vx|, v_low)``, ``e =
    sum (b_i - bhat_i) K_i`` the embedded solution's difference."""
    b1, b2, b3, b4 = _ROS_B
    c1, c2, c3, c4 = _ROS_BHAT
    d1, d2, d3, d4 = b1 - c1, b2 - c2, b3 - c3, b4 - c4
    for lane in range(n):
        err[lane] = 0.0
    for w in range(4):
        for lane in range(n):
            v, at = S_VX * LANES + lane, (S_OMEGA + w) * LANES + lane
            e_vx = d1 * k1[v] + d2 * k2[v] + d3 * k3[v] + d4 * k4[v]
            e_w = d1 * k1[at] + d2 * k2[at] + d3 * k3[at] + d4 * k4[at]
            slip = abs(ln.p[P_RW * LANES + lane] * e_w - e_vx) / max(abs(x[v]), v_low)
            err[lane] = max(err[lane], slip)


@_scalar
def _rosenbrock_step(t, h, tyre_params, ln, n, members, inputs, v_low, x, xe, ws):
    """One ROS34PW2 step of lanes ``0..n-1`` from ``t`` to ``t + h`` (wheel torques held), the
    Jacobian diagonal estimated at the step's start (:func:`stiff_diagonal`); ``ws.k[0]``,
    ``ws.ke[0]`` hold the derivatives at the step's start (from the evaluation that also
    gave the recorded signals, which is what :func:`stiff_diagonal` reads). The powertrain
    and energy states take the same stages (their rows have D = 0), so that their integrals
    are of the same order as the chassis states. ``ws.h_sub`` must hold ``h``."""
    k1, k2, k3, k4 = ws.k
    e1, e2, e3, e4 = ws.ke
    stage, stage_e, diag = ws.stage, ws.stage_e, ws.diag
    stiff_diagonal(ln, n, tyre_params, v_low, x, k1, h, diag)
    ne = N_ENERGY_STATES
    _ros_increment(k1, diag, 0.0, 0.0, 0.0, k1, k1, k1, h, n, k1)
    _ros_increment_explicit(e1, h, n, ne, e1)
    # stage 2
    _ros_stage(x, _ROS_A21, 0.0, 0.0, k1, k1, k1, n, stage)
    _ros_stage(xe, _ROS_A21, 0.0, 0.0, e1, e1, e1, n, stage_e)
    _steer_lanes(inputs, ln, members, n, t, 0, _ROS_C2, ws.h_sub)
    _evaluate(ln, n, tyre_params, v_low, stage, stage_e, k2, e2, ws)
    _ros_increment(k2, diag, _ROS_G21, 0.0, 0.0, k1, k1, k1, h, n, k2)
    _ros_increment_explicit(e2, h, n, ne, e2)
    # stage 3
    _ros_stage(x, _ROS_A31, _ROS_A32, 0.0, k1, k2, k2, n, stage)
    _ros_stage(xe, _ROS_A31, _ROS_A32, 0.0, e1, e2, e2, n, stage_e)
    _steer_lanes(inputs, ln, members, n, t, 0, _ROS_C3, ws.h_sub)
    _evaluate(ln, n, tyre_params, v_low, stage, stage_e, k3, e3, ws)
    _ros_increment(k3, diag, _ROS_G31, _ROS_G32, 0.0, k1, k2, k2, h, n, k3)
    _ros_increment_explicit(e3, h, n, ne, e3)
    # stage 4 (a41 = a42 = 0)
    _ros_stage(x, 0.0, 0.0, _ROS_A43, k1, k2, k3, n, stage)
    _ros_stage(xe, 0.0, 0.0, _ROS_A43, e1, e2, e3, n, stage_e)
    _steer_lanes(inputs, ln, members, n, t, 0, 1.0, ws.h_sub)
    _evaluate(ln, n, tyre_params, v_low, stage, stage_e, k4, e4, ws)
    _ros_increment(k4, diag, _ROS_G41, _ROS_G42, _ROS_G43, k1, k2, k3, h, n, k4)
    _ros_increment_explicit(e4, h, n, ne, e4)
    _slip_error(ln, n, x, k1, k2, k3, k4, v_low, ws.err)
    _ros_update(x, k1, k2, k3, k4, n)
    _ros_update(xe, e1, e2, e3, e4, n)


#: Wheel speed [m/s at the rolling radius] below which regenerative torque hands over to the
#: friction brake, linearly to none at standstill (invented: electric cars blend regeneration
#: out below walking pace, where a machine's braking torque would drive the car backwards).
REGEN_FADE_MPS = 1.0


@_scalar
def _regeneration_fade(ln, lane, x):
    """The standstill hold of a regenerating controller: each wheel's braking machine torque
    (negative drive torque) scaled by ``min(|omega| R / REGEN_FADE_MPS, 1)``, the rest moved
    to its friction brake (within the brake's maximum), so that a car braked to rest stands
    on its friction brakes (whose torque opposes rotation and vanishes at rest) instead of
    being driven backwards by its machines, and starts again when the demand turns
    positive."""
    radius = ln.p[P_RW * LANES + lane]
    for w in range(4):
        at = w * LANES + lane
        torque = ln.drive[at]
        speed = abs(x[(S_OMEGA + w) * LANES + lane]) * radius
        fade = min(speed / REGEN_FADE_MPS, 1.0)
        moved = (1.0 - fade) * -torque if torque < 0.0 else 0.0
        limit = ln.p[(P_BRAKE_MAX_F if w < 2 else P_BRAKE_MAX_R) * LANES + lane]
        ln.drive[at] = torque + moved
        ln.brake[at] = min(ln.brake[at] + moved, max(limit, ln.brake[at]))


@_scalar
def _direct_wheel_torques(inputs, members, n, t, ln):
    """``CONTROLLER_DIRECT``: wheel torques ``ln.drive``, ``ln.brake`` [N·m per wheel, brake
    >= 0] of lanes ``0..n-1`` at time ``t`` [s] as given, from the per-wheel torque tables of
    members ``members[lane]``."""
    t0, dt = inputs.t0_s, inputs.dt_s
    for lane in range(n):
        m = members[lane]
        for w in range(4):
            ln.drive[w * LANES + lane] = interp_uniform(inputs.drive[m, w], t0, dt, t)
            ln.brake[w * LANES + lane] = max(interp_uniform(inputs.brake[m, w], t0, dt, t),
                                             0.0)


@_scalar
def _adm_wheel_torques(n, t, x, ln):
    """``CONTROLLER_ADM``: the dynamic module's wheel torques of lanes ``0..n-1`` at time
    ``t`` [s] from the driver's force demand and steering (``ln.ds``;
    :func:`sim.adm.kernel.adm_wheel_torques`, which saturates to the machines and the
    battery), regeneration faded out at walking pace (:func:`_regeneration_fade`)."""
    for lane in range(n):
        adm_wheel_torques(ln, lane, x, t, ln.ds[DS_FORCE * LANES + lane],
                          ln.ds[DS_STEER * LANES + lane])
        _regeneration_fade(ln, lane, x)


@_scalar
def _passive_wheel_torques(n, t, x, ln):
    """``CONTROLLER_PASSIVE``: the passive drivetrain's wheel torques of lanes ``0..n-1`` at
    time ``t`` [s] from the driver's force demand (``ln.ds``):
    :func:`sim.chassis.powertrain.passive_wheel_torques` (regeneration first, the combustion
    engine through its gearbox, the battery's available power)."""
    for lane in range(n):
        passive_wheel_torques(ln, lane, x, t, ln.ds[DS_FORCE * LANES + lane])


# --------------------------------------------------------------------------------------------
# A chunk of members through time, and the batch.


_N_BATTERY_CHANNELS = 4  # the battery's states, recorded first among the powertrain's channels


@_scalar
def _channel(i, lane, x, xe, ln):
    """Kernel channel ``i`` of lane ``lane``: the states, derived signals, driver states, the
    powertrain's channels and the controller's states, in that order (the order of
    ``sim.simulate``'s channel list)."""
    if i < N_STATES:
        return x[i * LANES + lane]
    i -= N_STATES
    if i < N_AUX:
        return ln.aux[i * LANES + lane]
    i -= N_AUX
    if i < N_DRIVER_STATES:
        return ln.ds[i * LANES + lane]
    i -= N_DRIVER_STATES
    if i < _N_BATTERY_CHANNELS:
        return xe[i * LANES + lane]
    i -= _N_BATTERY_CHANNELS
    if i < N_PT - PT_FIRST_RECORDED:
        return ln.pt[(PT_FIRST_RECORDED + i) * LANES + lane]
    i -= N_PT - PT_FIRST_RECORDED
    return ln.cs[i * LANES + lane]


@_scalar
def _record(out, picked, row, members, n, x, xe, ln):
    """Copy the recorded channels of lanes ``0..n-1`` into output sample ``row``: row ``k`` of
    ``out`` gets kernel channel ``picked[k]`` (see :func:`_channel`); nothing else is kept, so
    ``out`` holds only the requested channels."""
    for lane in range(n):
        m = members[lane]
        for k in range(picked.size):
            out[k, m, row] = _channel(picked[k], lane, x, xe, ln)


@_scalar
def _widen_extremes(extremes, watched, members, n, x, xe, ln):
    """Widen each running lane's (min, max) of kernel channels ``watched`` in ``extremes``
    (see :class:`Outputs`) by its value at the state ``x``, ``xe`` just evaluated (NaN leaves
    them as they are)."""
    for lane in range(n):
        m = members[lane]
        for k in range(watched.size):
            value = _channel(watched[k], lane, x, xe, ln)
            if value < extremes[k, m, 0]:
                extremes[k, m, 0] = value
            if value > extremes[k, m, 1]:
                extremes[k, m, 1] = value


@_scalar
def _ended(x, last_x, xe, last_xe, members, n, t_end, unrecorded, v_low, v_stop,
           max_sideslip, outputs, ended):
    """After a step ending at ``t_end`` [s]: mark in ``ended`` the lanes that went non-finite,
    spun out (sideslip beyond ``max_sideslip`` [rad]) or stopped (forward speed below
    ``v_stop`` [m/s] and falling: a car speeding up from rest runs on; never when ``v_stop``
    is 0, which lets a car stand and start again), record their
    status, time and state (the step's finite start ``last_x`` for a non-finite lane) and
    set their output rows from ``unrecorded`` on to NaN.
    Returns how many ended."""
    count = 0
    for lane in range(n):
        finite = True
        for i in range(N_STATES):
            if not math.isfinite(x[i * LANES + lane]):
                finite = False
        for i in range(N_ENERGY_STATES):
            if not math.isfinite(xe[i * LANES + lane]):
                finite = False
        vx, vy = x[S_VX * LANES + lane], x[S_VY * LANES + lane]
        if not finite:
            code = STATUS_NONFINITE
        elif abs(math.atan2(vy, max(abs(vx), v_low))) > max_sideslip:
            code = STATUS_SPUN_OUT
        elif v_stop > 0.0 and vx < v_stop and vx < last_x[S_VX * LANES + lane]:
            # slowing: a standing start (at rest, speeding up) is not a stop; v_stop = 0: the
            # car may stand and start again (drive cycles)
            code = STATUS_STOPPED
        else:
            ended[lane] = False
            continue
        ended[lane] = True
        count += 1
        m = members[lane]
        outputs.status[m] = code
        outputs.end_time[m] = t_end
        state = last_x if code == STATUS_NONFINITE else x
        energy = last_xe if code == STATUS_NONFINITE else xe
        for i in range(N_STATES):
            outputs.end_state[m, i] = state[i * LANES + lane]
        for i in range(N_ENERGY_STATES):
            outputs.end_energy[m, i] = energy[i * LANES + lane]
        for i in range(outputs.out.shape[0]):
            for row in range(unrecorded, outputs.out.shape[2]):
                outputs.out[i, m, row] = math.nan
    return count


@_inline
def _swap_columns(table, rows, a, b):
    """Swap lanes ``a`` and ``b`` of a lane table of ``rows`` rows."""
    for i in range(rows):
        at, bt = i * LANES + a, i * LANES + b
        table[at], table[bt] = table[bt], table[at]


@_scalar
def _swap_lanes(a, b, ln, x, xe, ws, members):
    """Exchange lanes ``a`` and ``b`` of a chunk: everything a lane carries from the step's
    start to its end (parameters, wheel torques, controller and driver parameters and states,
    sensors, powertrain table, states, first stage derivatives, start states, substeps,
    member)."""
    _swap_columns(ln.p, N_PARAMETERS, a, b)
    _swap_columns(ln.drive, 4, a, b)
    _swap_columns(ln.brake, 4, a, b)
    _swap_columns(ln.cp, ln.cp.size // LANES, a, b)
    _swap_columns(ln.cs, ln.cs.size // LANES, a, b)
    _swap_columns(ln.sens, N_SENSORS, a, b)
    _swap_columns(ln.dp, N_DRIVER_PARAMETERS, a, b)
    _swap_columns(ln.ds, N_DRIVER_STATES, a, b)
    _swap_columns(x, N_STATES, a, b)
    _swap_columns(ws.k[0], N_STATES, a, b)
    _swap_columns(ws.last_x, N_STATES, a, b)
    _swap_columns(ws.h_sub, 1, a, b)
    _swap_columns(ln.pt, N_PT, a, b)
    _swap_columns(xe, N_ENERGY_STATES, a, b)
    _swap_columns(ws.ke[0], N_ENERGY_STATES, a, b)
    _swap_columns(ws.last_xe, N_ENERGY_STATES, a, b)
    ws.substeps[a], ws.substeps[b] = ws.substeps[b], ws.substeps[a]
    members[a], members[b] = members[b], members[a]


@_scalar
def _sort_by_substeps(n, ln, x, xe, ws, members):
    """Order lanes ``0..n-1`` by decreasing substep count (stable insertion sort: the order
    changes little from step to step), so that substep ``j`` concerns a prefix of lanes."""
    substeps = ws.substeps
    for i in range(1, n):
        j = i
        while j > 0 and substeps[j - 1] < substeps[j]:
            _swap_lanes(j - 1, j, ln, x, xe, ws, members)
            j -= 1


@_scalar
def _pass_width(substeps, n, j):
    """Lanes a substep-``j`` pass runs over: those with more than ``j`` substeps (a prefix,
    lanes being sorted), widened to a multiple of :data:`_SIMD_WIDTH` (at most ``n``)."""
    count = 0
    while count < n and substeps[count] > j:
        count += 1
    return min(n, -(-count // _SIMD_WIDTH) * _SIMD_WIDTH)


@_scalar
def _reject_steps(n, x, xe, ws):
    """Lanes whose Rosenbrock-W step's slip error estimate (``ws.err``) exceeds
    :data:`SLIP_TOLERANCE` go back to the step's start (``ws.last_x``, ``ws.last_xe``).
    Returns how many went back."""
    count = 0
    for lane in range(n):
        if ws.err[lane] > SLIP_TOLERANCE:
            count += 1
            for i in range(N_STATES):
                x[i * LANES + lane] = ws.last_x[i * LANES + lane]
            for i in range(N_ENERGY_STATES):
                xe[i * LANES + lane] = ws.last_xe[i * LANES + lane]
    return count


@_scalar
def _rk4_substeps(t, tyre_params, ln, n, members, inputs, v_low, x, xe, ws, most):
    """The reference scheme's step of lanes ``0..n-1`` from ``t``: lanes sorted by their
    substep count (:func:`_sort_by_substeps`), then ``most`` passes of RK4 substeps, each lane
    taking its own ``ws.substeps`` of ``ws.h_sub``."""
    _sort_by_substeps(n, ln, x, xe, ws, members)
    for j in range(most):
        _rk4_substep(j, t, tyre_params, ln, _pass_width(ws.substeps, n, j), members, inputs,
                     v_low, x, xe, ws)


@_scalar
def _one_step_each(ws, h):
    """The Rosenbrock-W layout of the workspace: every lane one step of ``h`` [s], no
    substeps."""
    for lane in range(LANES):
        ws.h_sub[lane] = h
        ws.substeps[lane] = 1


@_scalar
def _rk4_redo(t, h, tyre_params, ln, n, members, inputs, v_low, x, xe, ws):
    """The step of the lanes :func:`_reject_steps` sent back, by the reference scheme (RK4
    with its stability substeps); the other lanes keep the state their Rosenbrock-W step
    reached. Leaves the Rosenbrock-W layout (one step of ``h`` per lane) behind."""
    _steer_lanes(inputs, ln, members, n, t, 0, 0.0, ws.h_sub)
    _evaluate(ln, n, tyre_params, v_low, x, xe, ws.k[0], ws.ke[0], ws)
    stiffest_rate(ln, n, tyre_params, v_low, x, ws.bound)
    _substeps(ws.bound, h, n, ws.substeps, ws.h_sub)
    most = np.int64(0)  # not the literal 0: one signature of _rk4_substeps
    for lane in range(n):
        ws.substeps[lane] = ws.substeps[lane] if ws.err[lane] > SLIP_TOLERANCE else 0
        most = max(most, ws.substeps[lane])
    _rk4_substeps(t, tyre_params, ln, n, members, inputs, v_low, x, xe, ws, most)
    _one_step_each(ws, h)


def _time_loop(controller):
    """The compiled time loop of a chunk for controller code ``controller``
    (:data:`sim.simulate.CONTROLLERS`), a constant of the loop: numba prunes the other
    controllers' branches, so a run compiles only its own controller's code (a passive run
    no longer compiles the dynamic module: about a minute of a cold compile). The loops share
    every kernel they call; each is cached on its own (its ``__qualname__`` names the
    controller)."""

    def _run_lanes(tyre_params, n, members, ln, x, xe, ws, inputs, stepping, outputs):
        """The time loop of a chunk whose lanes ``0..n-1`` hold members ``members[lane]``,
        with parameters and initial states in ``ln.p``, ``x`` and ``xe`` (see
        :func:`_run_chunk`)."""
        h, v_low = stepping.h, stepping.v_low
        _one_step_each(ws, h)
        # sensors for the controller's first step: the initial state with zero torques
        _driver_lanes(inputs, ln, members, n, 0.0, x, 0.0)
        _steer_lanes(inputs, ln, members, n, 0.0, 0, 0.0, ws.h_sub)
        _evaluate(ln, n, tyre_params, v_low, x, xe, ws.k[0], ws.ke[0], ws)
        _sense(ln, n)
        t = 0.0
        for step in range(stepping.n_steps + 1):
            t = step * h
            _driver_lanes(inputs, ln, members, n, t, x, h)
            powertrain_limits(ln, n, xe, ws.bx)
            if controller == CONTROLLER_DIRECT:
                _direct_wheel_torques(inputs, members, n, t, ln)
            elif controller == CONTROLLER_ADM:
                _adm_wheel_torques(n, t, x, ln)
            else:
                _passive_wheel_torques(n, t, x, ln)
            # the first stage's derivative at (t, x) also gives the recorded signals and sensors
            _steer_lanes(inputs, ln, members, n, t, 0, 0.0, ws.h_sub)
            _evaluate(ln, n, tyre_params, v_low, x, xe, ws.k[0], ws.ke[0], ws)
            _sense(ln, n)
            hold_step_power(ln, n)
            _widen_extremes(outputs.extremes, outputs.watched, members, n, x, xe, ln)
            if step % stepping.out_every == 0:
                _record(outputs.out, outputs.picked, step // stepping.out_every, members, n, x,
                        xe, ln)
            if step == stepping.n_steps:
                break
            _copy(x, n, ws.last_x)
            _copy(xe, n, ws.last_xe)
            if stepping.scheme == SCHEME_ROSENBROCK:
                _rosenbrock_step(t, h, tyre_params, ln, n, members, inputs, v_low, x, xe, ws)
                if _reject_steps(n, x, xe, ws) > 0:
                    _rk4_redo(t, h, tyre_params, ln, n, members, inputs, v_low, x, xe, ws)
            else:
                stiffest_rate(ln, n, tyre_params, v_low, x, ws.bound)
                most = _substeps(ws.bound, h, n, ws.substeps, ws.h_sub)
                _rk4_substeps(t, tyre_params, ln, n, members, inputs, v_low, x, xe, ws, most)
            if _ended(x, ws.last_x, xe, ws.last_xe, members, n, t + h,
                      step // stepping.out_every + 1, v_low, stepping.v_stop,
                      stepping.max_sideslip, outputs, ws.ended) > 0:
                # the ended lanes leave: swapped behind the others
                for lane in range(n - 1, -1, -1):
                    if ws.ended[lane]:
                        n -= 1
                        _swap_lanes(lane, n, ln, x, xe, ws, members)
                if n == 0:
                    return
        for lane in range(n):
            m = members[lane]
            outputs.status[m] = STATUS_OK
            outputs.end_time[m] = t
            for i in range(N_STATES):
                outputs.end_state[m, i] = x[i * LANES + lane]
            for i in range(N_ENERGY_STATES):
                outputs.end_energy[m, i] = xe[i * LANES + lane]

    _run_lanes.__qualname__ = f"_run_lanes_{CONTROLLER_NAMES[controller]}"
    return numba.njit(cache=True, nogil=True, _nrt=False)(_run_lanes)

#: The compiled time loop of each controller code (:func:`_time_loop`).
RUN_LANES = tuple(_time_loop(code) for code in range(len(CONTROLLER_NAMES)))


def _lanes_of(rows, chunk):
    """The lane table of rows ``rows[chunk]`` (an (N, R) array): lane l holds member
    ``chunk[l]``, unused lanes zero."""
    table = np.zeros((rows.shape[1], LANES))
    table[:, :chunk.size] = rows[chunk].T
    return table.reshape(-1)


#: A zeroed lane table of ``rows`` rows, allocated by numpy (the compiled helper's source;
#: the helper itself under ``NUMBA_DISABLE_JIT``).
_table = getattr(lane_table, "py_func", lane_table)


def _run_chunk(controller, params, tyre_params, x0, cparams, cstate0, dparams, dstate0, bp,
               dup, xe0, pt0, chunk, inputs, stepping, outputs):
    """Integrate the members ``chunk`` (at most :data:`LANES`), as set by ``stepping``.

    Each member runs in a lane; the lanes ``0..n-1`` are the running ones, lane l carries
    member ``members[l]``. Each step: wheel torques from the controller; the derivative at
    the step's start (which also gives the recorded signals); the step (see the module
    docstring); then the failure checks: a lane that went non-finite, spun out or stopped
    is recorded and leaves the running lanes (swapped behind them), so that nothing of it
    reaches the others. This function allocates the chunk's lane tables (numpy); the time
    loop of the controller (:data:`RUN_LANES`, :func:`_time_loop`) is compiled, allocates
    nothing and releases the GIL.
    """
    members = np.array(chunk, dtype=np.int64)
    ln = Lanes(_lanes_of(params, members), _table(4), _table(4), _table(1), _table(N_AUX),
               _table(8), _table(3), _lanes_of(cparams, members), _lanes_of(cstate0, members),
               _table(N_SENSORS), _lanes_of(dparams, members), _lanes_of(dstate0, members),
               _table(N_POWER), _lanes_of(pt0, members), bp, dup, members)
    ws = Workspace(tuple(_table(N_STATES) for _ in range(4)), _table(N_STATES),
                   _table(N_STATES), _table(3), _table(1), np.zeros(LANES, dtype=np.int64),
                   np.zeros(LANES, dtype=np.bool_),
                   tuple(_table(N_ENERGY_STATES) for _ in range(4)), _table(N_ENERGY_STATES),
                   _table(N_ENERGY_STATES), np.zeros(N_ENERGY_STATES),
                   np.zeros(N_ENERGY_STATES), _table(N_JACOBIAN_ROWS), _table(1))
    RUN_LANES[controller](tyre_params, members.size, members, ln,
               _lanes_of(x0, members), _lanes_of(xe0, members), ws, inputs, stepping, outputs)


def chunk_lanes(members: int, threads: int | None = None) -> int:
    """Members per chunk for a batch of ``members``: :data:`LANES`, or fewer so that every
    thread gets a chunk when the batch is small (a batch of one runs as one lane)."""
    threads = numba.get_num_threads() if threads is None else threads
    return max(1, min(LANES, -(-members // max(threads, 1))))


def integrate_batch(controller, params, tyre_params, tyre_set, x0, cparams, cstate0, dparams,
                    dstate0, bp, dup, xe0, pt0, order, bounds, threads, t0_in, dt_in,
                    steer_table, force_table, speed_table, drive_table, brake_table, path, h,
                    n_steps, out_every, v_low, v_stop, max_sideslip, out, status, end_time,
                    end_state, end_energy, picked, scheme=SCHEME_RK4, extremes=None,
                    watched=None):
    """Integrate every batch member. The members ``order[bounds[c] : bounds[c + 1]]`` (at most
    :data:`LANES` of them, all with the same tyre set) form chunk c and run as the lanes of
    one computation (see "Lanes" in :mod:`sim.chassis.two_track`); ``threads`` threads share
    the chunks (the compiled time loop releases the GIL). A member's results depend on none of
    ``order``, ``bounds``, ``threads`` or the other members, bit for bit; those only set the
    speed (see :func:`chunk_order`, :func:`chunk_bounds`).

    ``params`` (N, P) chassis parameters (:data:`~sim.chassis.two_track.PARAMETER_NAMES`);
    ``tyre_params`` (S, 2, PT) the distinct front and rear MF 6.1 parameter vectors of the
    batch (S = 1 when the whole batch shares its tyres), ``tyre_set`` (N,) int64 the set of
    each member (a chunk's lanes share one set, which the lane loops read as constants);
    ``x0`` (N, S) initial states; ``cparams`` (N, CP), ``cstate0`` (N, CS) the
    controller's parameters and initial states (CP, CS >= 1); ``dparams`` (N, DP), ``dstate0``
    (N, DS) the driver's (:mod:`sim.driver.closed_loop`); ``bp`` (N, B), ``dup`` (N, 4, D),
    ``xe0`` (N, E), ``pt0`` (N, N_PT) the powertrain's battery and drive-unit parameters,
    initial powertrain and energy states and initial powertrain lane table
    (:func:`sim.chassis.powertrain.powertrain_tables`); ``order`` (N,) a permutation of the
    members, ``bounds`` (C + 1,) the chunks' limits in it; the driver's input tables as in
    :class:`Inputs`; numerical settings as in :class:`Stepping` (``scheme``: one of
    :data:`SCHEME_NAMES`' indices); outputs as in :class:`Outputs` (every element of ``out``
    is written, in place: ``out``, ``status``, ``end_time``, ``end_state`` and
    ``end_energy`` must be writable C-contiguous arrays of float64, int64 for ``status``);
    ``extremes`` (W, N, 2) and ``watched`` (W,) as in :class:`Outputs` (None: none watched).
    """
    if watched is None:
        watched, extremes = np.zeros(0, dtype=np.int64), np.zeros((0, status.size, 2))
    for name, array, dtype in (("out", out, np.float64), ("status", status, np.int64),
                               ("end_time", end_time, np.float64),
                               ("end_state", end_state, np.float64),
                               ("end_energy", end_energy, np.float64),
                               ("extremes", extremes, np.float64)):
        if array.dtype != dtype or not (array.flags.c_contiguous and array.flags.writeable):
            raise ValueError(f"integrate_batch: {name} must be a writable C-contiguous "
                             f"{np.dtype(dtype).name} array, got {array.dtype} "
                             f"(flags {array.flags.c_contiguous=}, {array.flags.writeable=})")
    params, tyre_params, x0, cparams, cstate0, dparams, dstate0, bp, dup, xe0, pt0 = (
        kernel_array(a) for a in (params, tyre_params, x0, cparams, cstate0, dparams, dstate0,
                                  bp, dup, xe0, pt0))
    inputs = Inputs(float(t0_in), float(dt_in), *(kernel_array(a) for a in (
        steer_table, force_table, speed_table, drive_table, brake_table, path)))
    stepping = Stepping(float(h), int(n_steps), int(out_every), float(v_low), float(v_stop),
                        float(max_sideslip), int(scheme))
    outputs = Outputs(out, status, end_time, end_state, end_energy,
                      kernel_array(picked, np.int64), extremes, kernel_array(watched, np.int64))
    order, bounds = np.asarray(order, dtype=np.int64), np.asarray(bounds, dtype=np.int64)
    tyre_set = np.asarray(tyre_set, dtype=np.int64)
    # Chunks follow ``order``: slow (costly) members first; the pool hands them out in that
    # order, so that the costly ones start first.
    chunks = [order[bounds[c]:bounds[c + 1]] for c in range(bounds.size - 1)]

    def run(chunk):
        _run_chunk(int(controller), params, tyre_params[tyre_set[chunk[0]]], x0, cparams,
                   cstate0, dparams, dstate0, bp, dup, xe0, pt0, chunk, inputs, stepping,
                   outputs)

    threads = max(1, min(int(threads), len(chunks)))
    if threads == 1:
        for chunk in chunks:
            run(chunk)
        return
    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(run, chunk) for chunk in chunks]:
            future.result()


def chunk_order(speed_mps: np.ndarray, tyre_set: np.ndarray | None = None) -> np.ndarray:
    """Members sorted by tyre set ``tyre_set`` (N,) (a chunk's lanes share their tyres), then
    by initial forward speed ``speed_mps`` (N,): the wheel-spin mode, which sets the substep
    count, is stiffest at low speed, so members of similar speed share chunks and a chunk
    rarely takes more substeps than most of its lanes need."""
    speed = np.asarray(speed_mps, dtype=float)
    sets = np.zeros(speed.shape, dtype=np.int64) if tyre_set is None else tyre_set
    return np.lexsort((speed, sets)).astype(np.int64)


def chunk_bounds(order: np.ndarray, lanes: int, tyre_set: np.ndarray | None = None
                 ) -> np.ndarray:
    """Limits (C + 1,) int64 of the chunks in ``order``: runs of at most ``lanes`` (at most
    :data:`LANES`) members, a new chunk wherever the tyre set changes."""
    lanes = min(max(int(lanes), 1), LANES)
    sets = np.zeros(len(order), dtype=np.int64) if tyre_set is None \
        else np.asarray(tyre_set)[order]
    bounds = [0]
    for i in range(1, len(order) + 1):
        if i == len(order) or i - bounds[-1] == lanes or sets[i] != sets[bounds[-1]]:
            bounds.append(i)
    return np.asarray(bounds, dtype=np.int64)


__all__ = ["SCHEME_NAMES", "SCHEME_RK4", "SCHEME_ROSENBROCK", "Inputs", "Outputs", "Stepping",
           "Workspace", "chunk_bounds", "chunk_lanes", "chunk_order", "integrate_batch"]
