"""Nonlinear two-track (four-wheel) vehicle model: compiled, batch-first kernels.

Axes and signs: ISO 8855 body axes at the centre of mass (x forward, y left, z up); yaw rate,
steer angle and lateral acceleration positive to the left; wheels FL, FR, RL, RR. Tyres act in
ISO-W wheel axes through the Magic Formula (:mod:`sim.tyre.mf61`): slip angle
``tan(alpha) = v_cy / max(|v_cx|, v_low)`` (positive alpha gives negative Fy), longitudinal slip
``kappa = (omega R - v_cx) / max(|v_cx|, v_low)`` (positive drives).

The model, one physics idea per function:

* **Kinematics** (in :func:`rhs`): contact-point velocities from (vx, vy, r) and the wheel
  positions relative to the centre of mass (:func:`_wheel_position`); front wheels steered,
  with optional partial Ackermann geometry (:func:`_road_wheel_angles`).
* **Wheel loads** (:func:`_wheel_loads`): static loads from the mass model, longitudinal
  transfer ``-m a_x h / L``, lateral transfer per axle
  ``dFz_i = (m a_y / t_i) (l_i'/L h_ri + K_phi,i/(K_phi,f + K_phi,r) h')`` (Milliken ch. 18;
  ``h' = h - h_ra``), aerodynamic downforce, grade. The accelerations enter through first-order
  lagged states ``a_x,f``, ``a_y,f`` (time constant ``load_transfer_time_constant_s``), which
  stand for roll and pitch dynamics and remove the algebraic loop; in a steady state they equal
  the accelerations, so steady-state load transfer is exact.
* **Tyres**: MF 6.1 combined slip (:func:`sim.tyre.mf61.mf61_forces`) scaled by road friction,
  or a linear tyre (``TYRE_LINEAR``: constant per-tyre stiffnesses, for analytic comparisons);
  optional first-order lateral relaxation of ``tan(alpha)`` over the length ``sigma``.
* **Wheel spin**: ``J omega_dot = T_drive - T_brake s(omega) - R Fx - f_rr Fz R s(omega)`` with
  the smooth sign ``s(omega) = omega / sqrt(omega² + (0.1 rad/s)²)`` (brake and
  rolling-resistance torques oppose rotation and vanish smoothly at standstill; above 1 rad/s,
  walking pace, the sign is exact to 0.5 %).
* **Body**: Newton-Euler in the rotating body frame, aerodynamic drag ``1/2 rho CdA vx|vx|``,
  the linear road-load term ``B vx`` of coast-down coefficients (0 unless the vehicle file
  gives ``[road_load]``) and grade, ground-frame position and heading.

Numerics (:mod:`sim.integrator`). The wheel-spin equation is stiff at low speed (eigenvalue
about ``R² K_xk / (J v)``), and so are the smoothed brake torque at rest, the relaxation and
the lateral modes at low speed. The default scheme treats them linearly implicitly with the
Jacobian estimate :func:`stiff_diagonal` (Rosenbrock-W: no substeps, the step set by
accuracy); the reference scheme, RK4, bounds the fastest eigenvalue from the current loads
and speeds (:func:`stiffest_rate`) and **subdivides the step** so that ``h λ <= 1`` (well
inside RK4's real stability limit 2.785, where it also resolves the decay), so a too-large
step is never silently wrong.

Parameters reach the kernels as a float64 array of shape (N, P) whose columns are named by
:data:`PARAMETER_NAMES` (index constants ``P_<NAME>``), the tyres as one (2, PT) table of MF 6.1
parameter vectors (front, rear axle) **shared by the whole batch**, and states are named by
:data:`STATE_NAMES` (``S_<NAME>``). This module is the chassis: the right-hand side, the
stability bound, and the passive drivetrain (module off, :func:`passive_drivetrain`, with the
machine envelope :func:`machine_wheel_torque_limit`). The time loop, which calls the driver
(:mod:`sim.driver.closed_loop`), the controller (the passive drivetrain or the dynamic module
:mod:`sim.adm`) and this right-hand side, is :mod:`sim.integrator`.

Lanes
-----
A batch runs in chunks of at most :data:`LANES` members, chunks in parallel. Within a chunk
every member is a *lane*, and everything per member lives in **lane tables**: flat float64
arrays in which row r (a parameter, a state, a signal) of lane l is at ``r * LANES + l``, so
that neighbouring lanes are neighbours in memory and the row stride is a compile-time
constant. The right-hand side (:func:`rhs`) and the stability bound (:func:`stiffest_rate`)
are short sequences of **lane loops**, ``for lane in range(n): <one physics idea, one
lane>``, whose bodies are the scalar physics functions below (and :mod:`sim.tyre.mf61`),
inlined; LLVM compiles each loop to packed AVX-512 code, 8 lanes per instruction. Three
things make that possible: the constant row stride (each table is one memory object for
LLVM's dependence analysis; a run-time stride needs an overlap check per pair of rows and it
gives up), the tyre parameters read as tuples (constants of the loop, in registers), and
loop bodies free of calls and of branches that are not selects (:mod:`sim.fastmath`, IEEE
division, no reference counting in the loops).

Under RK4 each lane integrates with **its own substep count** (from its own stiffness
bound): lanes are sorted by it, and substep j runs over the lanes that take it (rounded up to a
SIMD width; the others in that range keep their state). A lane that goes non-finite, spins
out or stops is recorded and leaves the running lanes (see :mod:`sim.integrator`). So a
member's results do not depend on the chunk size, on the order of the batch or on its
neighbours, bit for bit
(tested in ``tests/unit/test_two_track_kernel.py``); those only set the speed.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numba

from sim import fastmath as fm
from sim.lanes import LANES, index_of, lane_table
from sim.powertrain.envelope import wheel_torque_limit_nm
from sim.powertrain.layout import (
    KIND_ELECTRIC,
    M_DRIVES,
    M_GEAR,
    M_KIND,
    M_MAX_SPEED,
    M_PEAK_POWER,
    M_PEAK_TORQUE,
    MACHINE_STRIDE,
    N_MACHINES,
    drives_wheels,
    machine_parameter_names,
)
from sim.tyre.linear import linear_forces, relaxed_slip_angle_rate_radps
from sim.tyre.mf61 import mf61_characteristics, mf61_forces_tan, parameter_row
from sim.units import GRAVITY_MPS2

# --------------------------------------------------------------------------------------------
# Names and indices: one ordered tuple each, index constants generated from it.

STATE_NAMES = (
    "vx_mps", "vy_mps", "yaw_rate_radps",
    "omega_fl_radps", "omega_fr_radps", "omega_rl_radps", "omega_rr_radps",
    "x_m", "y_m", "yaw_rad",
    "ax_lagged_mps2", "ay_lagged_mps2",
    "tan_slip_lag_fl", "tan_slip_lag_fr", "tan_slip_lag_rl", "tan_slip_lag_rr",
)
STATE_UNITS = ("m/s", "m/s", "rad/s", "rad/s", "rad/s", "rad/s", "rad/s", "m", "m", "rad",
               "m/s²", "m/s²", "-", "-", "-", "-")
N_STATES = len(STATE_NAMES)
S_VX, S_VY, S_R = (index_of(STATE_NAMES, n) for n in ("vx_mps", "vy_mps", "yaw_rate_radps"))
S_OMEGA = index_of(STATE_NAMES, "omega_fl_radps")  # four wheels from here
S_X, S_Y, S_PSI = (index_of(STATE_NAMES, n) for n in ("x_m", "y_m", "yaw_rad"))
S_AXF, S_AYF = (index_of(STATE_NAMES, n) for n in ("ax_lagged_mps2", "ay_lagged_mps2"))
S_ALPHA = index_of(STATE_NAMES, "tan_slip_lag_fl")  # four wheels from here: lagged tan(slip)

PARAMETER_NAMES = (
    # mass properties (from sim.mass) and geometry
    "mass_kg", "yaw_inertia_kgm2", "cg_to_front_axle_m", "cg_to_rear_axle_m", "cg_height_m",
    "cg_y_m", "front_track_m", "rear_track_m", "wheel_radius_m",
    "static_load_fl_n", "static_load_fr_n", "static_load_rl_n", "static_load_rr_n",
    # steering
    "steering_ratio", "ackermann_fraction",
    # load transfer
    "front_roll_stiffness_share", "front_roll_centre_height_m", "rear_roll_centre_height_m",
    "load_transfer_time_constant_s",
    # wheels: spin inertia including reflected machine inertia, rolling resistance
    "spin_inertia_fl_kgm2", "spin_inertia_fr_kgm2", "spin_inertia_rl_kgm2",
    "spin_inertia_rr_kgm2", "rolling_resistance_coefficient",
    # tyres
    "front_relaxation_length_m", "rear_relaxation_length_m",
    "front_pressure_pa", "rear_pressure_pa",
    "front_tyre_side", "rear_tyre_side",
    "tyre_model", "front_cornering_stiffness_npr", "rear_cornering_stiffness_npr",
    "front_slip_stiffness_n", "rear_slip_stiffness_n",
    # aero
    "air_density_kgpm3", "drag_area_m2", "front_downforce_area_m2", "rear_downforce_area_m2",
    "road_load_b_n_per_mps",
    # brakes; regenerative braking ([energy]: switch 1/0, largest deceleration [m/s²])
    "brake_front_share", "max_brake_torque_front_nm", "max_brake_torque_rear_nm",
    "regenerative_braking", "max_regenerative_deceleration_mps2",
    # passive drivetrain; machine slots (sim.powertrain.layout)
    "front_torque_share",
    *machine_parameter_names(),
    # explicit battery power caps (inf: none; the closed-form straight line reads them; the
    # time loop saturates to the battery's available power, which includes them:
    # sim.chassis.powertrain), auxiliary electrical load [W]
    "battery_discharge_power_limit_w", "battery_charge_power_limit_w", "aux_power_w",
    # road
    "road_friction", "road_grade_rad",
)
N_PARAMETERS = len(PARAMETER_NAMES)


_index = index_of


P_MASS = _index(PARAMETER_NAMES, "mass_kg")
P_IZ = _index(PARAMETER_NAMES, "yaw_inertia_kgm2")
P_A = _index(PARAMETER_NAMES, "cg_to_front_axle_m")
P_B = _index(PARAMETER_NAMES, "cg_to_rear_axle_m")
P_H = _index(PARAMETER_NAMES, "cg_height_m")
P_CGY = _index(PARAMETER_NAMES, "cg_y_m")
P_TF = _index(PARAMETER_NAMES, "front_track_m")
P_TR = _index(PARAMETER_NAMES, "rear_track_m")
P_RW = _index(PARAMETER_NAMES, "wheel_radius_m")
P_FZ0 = _index(PARAMETER_NAMES, "static_load_fl_n")  # four wheels from here
P_STEER_RATIO = _index(PARAMETER_NAMES, "steering_ratio")
P_ACKERMANN = _index(PARAMETER_NAMES, "ackermann_fraction")
P_ROLL_SHARE = _index(PARAMETER_NAMES, "front_roll_stiffness_share")
P_HRC_F = _index(PARAMETER_NAMES, "front_roll_centre_height_m")
P_HRC_R = _index(PARAMETER_NAMES, "rear_roll_centre_height_m")
P_TAU_LT = _index(PARAMETER_NAMES, "load_transfer_time_constant_s")
P_J = _index(PARAMETER_NAMES, "spin_inertia_fl_kgm2")  # four wheels from here
P_FRR = _index(PARAMETER_NAMES, "rolling_resistance_coefficient")
P_SIGMA_F = _index(PARAMETER_NAMES, "front_relaxation_length_m")
P_SIGMA_R = _index(PARAMETER_NAMES, "rear_relaxation_length_m")
P_PRESS_F = _index(PARAMETER_NAMES, "front_pressure_pa")
P_PRESS_R = _index(PARAMETER_NAMES, "rear_pressure_pa")
P_TYRE_SIDE_F = _index(PARAMETER_NAMES, "front_tyre_side")  # rear follows
P_TYRE_MODEL = _index(PARAMETER_NAMES, "tyre_model")
P_CALPHA_F = _index(PARAMETER_NAMES, "front_cornering_stiffness_npr")  # rear follows
P_CKAPPA_F = _index(PARAMETER_NAMES, "front_slip_stiffness_n")  # rear follows
P_RHO = _index(PARAMETER_NAMES, "air_density_kgpm3")
P_CDA = _index(PARAMETER_NAMES, "drag_area_m2")
P_ROAD_B = _index(PARAMETER_NAMES, "road_load_b_n_per_mps")
P_CLA_F = _index(PARAMETER_NAMES, "front_downforce_area_m2")
P_CLA_R = _index(PARAMETER_NAMES, "rear_downforce_area_m2")
P_BRAKE_SHARE = _index(PARAMETER_NAMES, "brake_front_share")
P_BRAKE_MAX_F = _index(PARAMETER_NAMES, "max_brake_torque_front_nm")
P_BRAKE_MAX_R = _index(PARAMETER_NAMES, "max_brake_torque_rear_nm")
P_REGEN = _index(PARAMETER_NAMES, "regenerative_braking")
P_REGEN_DECEL = _index(PARAMETER_NAMES, "max_regenerative_deceleration_mps2")
P_FRONT_SHARE = _index(PARAMETER_NAMES, "front_torque_share")
#: Machine slot k, field f (sim.powertrain.layout.M_*): row P_MACHINE0 + k * MACHINE_STRIDE + f
P_MACHINE0 = _index(PARAMETER_NAMES, "machine0_drives")
P_BATTERY_DISCHARGE_W = _index(PARAMETER_NAMES, "battery_discharge_power_limit_w")
P_BATTERY_CHARGE_W = _index(PARAMETER_NAMES, "battery_charge_power_limit_w")
P_AUX_W = _index(PARAMETER_NAMES, "aux_power_w")
P_MU = _index(PARAMETER_NAMES, "road_friction")
P_GRADE = _index(PARAMETER_NAMES, "road_grade_rad")



def _check_axle_pairs() -> None:
    """The lane loops address a front/rear pair as row ``P_<FRONT> + axle``: the rear entry
    must follow the front one in :data:`PARAMETER_NAMES`."""
    pairs = ((P_A, "cg_to_rear_axle_m"), (P_TF, "rear_track_m"),
             (P_SIGMA_F, "rear_relaxation_length_m"), (P_PRESS_F, "rear_pressure_pa"),
             (P_TYRE_SIDE_F, "rear_tyre_side"), (P_CALPHA_F, "rear_cornering_stiffness_npr"),
             (P_CKAPPA_F, "rear_slip_stiffness_n"))
    for front, rear in pairs:
        if PARAMETER_NAMES[front + 1] != rear:
            raise ImportError(f"PARAMETER_NAMES: {rear} must follow {PARAMETER_NAMES[front]}")


_check_axle_pairs()

#: Derived signals recorded beside the states, in this order.
_WHEELS = ("fl", "fr", "rl", "rr")
AUX_NAMES = (
    "ax_mps2", "ay_mps2", "steer_fl_rad", "steer_fr_rad",
    *(f"kappa_{w}" for w in _WHEELS), *(f"tan_slip_angle_{w}" for w in _WHEELS),
    *(f"fx_{w}_n" for w in _WHEELS), *(f"fy_{w}_n" for w in _WHEELS),
    *(f"fz_{w}_n" for w in _WHEELS), *(f"drive_torque_{w}_nm" for w in _WHEELS),
    *(f"brake_torque_{w}_nm" for w in _WHEELS),
)
AUX_UNITS = ("m/s²", "m/s²", "rad", "rad",
             *("-",) * 4, *("-",) * 4, *("N",) * 4, *("N",) * 4, *("N",) * 4,
             *("N·m",) * 4, *("N·m",) * 4)
N_AUX = len(AUX_NAMES)
A_AX, A_AY, A_STEER = (index_of(AUX_NAMES, n) for n in ("ax_mps2", "ay_mps2", "steer_fl_rad"))
# four wheels from each
A_KAPPA, A_ALPHA, A_FX, A_FY, A_FZ, A_TD, A_TB = (index_of(AUX_NAMES, n) for n in (
    "kappa_fl", "tan_slip_angle_fl", "fx_fl_n", "fy_fl_n", "fz_fl_n", "drive_torque_fl_nm",
    "brake_torque_fl_nm"))

#: Mechanical power flows of one evaluation of :func:`rhs` [W] (lane table ``Lanes.power``,
#: written by :func:`mechanical_power`),
#: each >= 0 as a loss except ``grade_w`` (into potential energy, either sign) and
#: ``tyre_slip_w`` (which the lateral relaxation lets go slightly negative transiently):
#: tyre slip ``sum F_x (omega R - v_cx) - F_y v_cy`` (wheel power minus the power the contact
#: patch delivers to the body), friction brakes ``sum T_b s(omega) omega``, rolling resistance
#: ``sum f_rr F_z R s(omega) omega``, aerodynamic drag ``1/2 rho CdA |v_x| v_x²``, the linear
#: road-load term ``B v_x²`` and the grade ``m g sin(theta) v_x``. With the drive power
#: ``sum T omega`` they close the chassis' energy balance with its kinetic energy
#: (translation, yaw and wheel spin): see :mod:`sim.chassis.powertrain`.
POWER_NAMES = ("tyre_slip_w", "friction_brake_w", "rolling_w", "aero_w", "road_linear_w",
               "grade_w")
N_POWER = len(POWER_NAMES)
W_SLIP, W_BRAKE, W_ROLL, W_AERO, W_LINEAR, W_GRADE = (index_of(POWER_NAMES, n)
                                                      for n in POWER_NAMES)

#: ``TYRESIDE`` of a tyre file: a tyre mounted on the other side is evaluated mirrored.
SIDE_LEFT, SIDE_RIGHT = -1.0, 1.0

#: Tyre model codes: MF 6.1 combined slip, or linear (per-tyre stiffnesses, unsaturated).
TYRE_MF61, TYRE_LINEAR = 0, 1

#: Controller hook codes (what turns the driver's demand into wheel torques).
CONTROLLER_PASSIVE = 0   # fixed front/rear split, open differentials, regeneration first
CONTROLLER_DIRECT = 1    # per-wheel drive and brake torques given as input tables
CONTROLLER_ADM = 2       # the dynamic module (sim.adm): yaw control, allocation, TC, regen
#: The controllers' names, by code (``sim.simulate``'s ``controller=``).
CONTROLLER_NAMES = ("passive", "direct", "adm")

#: What the car measures, as the controllers read it (lane table ``Lanes.sens``): written by
#: the integrator from the derived signals after each step's first evaluation, so one
#: integrator step old when a controller reads it at the next step. Accelerations [m/s²] at
#: the centre of mass (body axes); tyre loads and forces [N] (ISO-W wheel axes) are what an
#: *ideal* estimator may use; a measured-signals estimator must not.
SENSOR_NAMES = ("ax_mps2", "ay_mps2", *(f"fz_{w}_n" for w in ("fl", "fr", "rl", "rr")),
                *(f"fx_{w}_n" for w in ("fl", "fr", "rl", "rr")),
                *(f"fy_{w}_n" for w in ("fl", "fr", "rl", "rr")))
N_SENSORS = len(SENSOR_NAMES)
# four wheels from SN_FZ, SN_FX, SN_FY
SN_AX, SN_AY, SN_FZ, SN_FX, SN_FY = (index_of(SENSOR_NAMES, n) for n in (
    "ax_mps2", "ay_mps2", "fz_fl_n", "fx_fl_n", "fy_fl_n"))

#: Member status codes, recorded per batch member.
STATUS_OK, STATUS_NONFINITE, STATUS_SPUN_OUT, STATUS_STOPPED = 0, 1, 2, 3
STATUS_NAMES = ("ok", "non-finite state", "spun out", "stopped")

_OMEGA_SMOOTH_RADPS = 0.1   # scale of the smooth sign of omega for brake and rolling torque


#: What the right-hand side reads and writes besides the states: lane tables (flat, row r of
#: lane l at ``r * LANES + l``) of one chunk. ``p`` (P rows) the lanes' parameters,
#: ``drive``, ``brake`` (4 rows) wheel torques [N·m], ``steer`` (1 row) steering-wheel angle
#: [rad], ``aux`` (N_AUX rows) derived signals, ``heading`` (8 rows) cos and sin of each
#: wheel's road-wheel angle (cos FL..RR, then sin FL..RR), ``sums`` (3 rows) scratch (the
#: tyres' body-axes force and moment sums; the stiffness bounds of :func:`stiffest_rate`).
#: Beyond the chassis, carried for the time loop (:mod:`sim.integrator`): ``cp``, ``cs`` the
#: dynamic module's parameters and states (:mod:`sim.adm`), ``sens`` the sensors
#: (:data:`SENSOR_NAMES`), ``dp``, ``ds`` the driver's parameters and states
#: (:mod:`sim.driver.closed_loop`); ``power`` (N_POWER rows) the mechanical power flows of
#: the last evaluation (:data:`POWER_NAMES`); the electric powertrain
#: (:mod:`sim.chassis.powertrain`): ``pt`` its lane table (``PT_NAMES`` rows), ``bp`` (N, B)
#: battery and ``dup`` (N, 4, D) drive-unit parameter vectors **of the batch's members**
#: (too long for lane tables: read as ``bp[member[lane]]``) and ``member`` the member each
#: lane carries.
Lanes = namedtuple("Lanes", ["p", "drive", "brake", "steer", "aux", "heading", "sums",
                             "cp", "cs", "sens", "dp", "ds", "power", "pt", "bp", "dup",
                             "member"])


# --------------------------------------------------------------------------------------------
# Compilation. Per-lane physics is scalar code, inlined at numba IR level into the lane loops
# (``_lane``); a lane loop is an ordinary compiled function whose innermost loop runs over the
# lanes of a chunk (``_lanes``), which LLVM vectorises. Both use IEEE division
# (``error_model="numpy"``): numba's default error model adds a ZeroDivisionError branch to
# every division, which stops the vectoriser. The lane loops and the scalar code around them
# (controller, drivetrain, input interpolation, recording, failure checks: ``_scalar``)
# allocate nothing and run without reference counting (``_nrt=False``): an array handed to an
# inlined function is otherwise increfed and decrefed inside the loop, around any call the
# optimiser has not inlined yet, and those atomic operations stop the vectoriser (measured).

_lane = numba.njit(cache=True, error_model="numpy", inline="always")
_lanes = numba.njit(cache=True, error_model="numpy", _nrt=False)
_scalar = numba.njit(cache=True, _nrt=False)
# Inlined at numba IR level where they are called: helpers called with literal arguments (a
# wheel, a machine slot, a field), which a separately compiled function specialises per literal.
_inline = numba.njit(inline="always", _nrt=False, error_model="numpy")

# The linear tyre and the slip relaxation of sim.tyre.linear compiled the same way: the very
# same Python functions (one implementation). Not cached on their own: they only exist inlined
# into the cached lane loops (and an own cache entry would share the originals' index file).
_linear_tyre_forces = numba.njit(error_model="numpy", inline="always")(
    getattr(linear_forces, "py_func", linear_forces))
_relaxed_slip_rate = numba.njit(error_model="numpy", inline="always")(
    getattr(relaxed_slip_angle_rate_radps, "py_func", relaxed_slip_angle_rate_radps))


# --------------------------------------------------------------------------------------------
# One physics idea per function. Scalar, for one lane: ``p`` is the chunk's parameter table
# (lane l's parameter k at ``p[k * LANES + lane]``).


@_lane
def _road_wheel_angles(p, lane, steering_wheel_angle_rad):
    """Front road-wheel angles (FL, FR) [rad], positive to the left: the mean angle is the
    steering-wheel angle over the steering ratio; ``ackermann_fraction`` blends parallel steer
    (0) with full Ackermann geometry (1), in which the inner wheel turns more."""
    delta = steering_wheel_angle_rad / p[P_STEER_RATIO * LANES + lane]
    f = p[P_ACKERMANN * LANES + lane]
    wheelbase = p[P_A * LANES + lane] + p[P_B * LANES + lane]
    half_track = 0.5 * p[P_TF * LANES + lane]
    t = fm.tan(delta)
    # inner/outer of a turn about a centre on the rear-axle line: tan(d) = L / (R -+ t/2)
    left = fm.atan(wheelbase * t / (wheelbase - half_track * t))
    right = fm.atan(wheelbase * t / (wheelbase + half_track * t))
    parallel = (f == 0.0) | (delta == 0.0)
    return (delta if parallel else delta + f * (left - delta),
            delta if parallel else delta + f * (right - delta))


@_lane
def _wheel_position(p, lane, w):
    """Position (x, y) [m] of wheel ``w`` relative to the centre of mass."""
    axle = w // 2  # the parameter pairs (a, b) and (front, rear track) are adjacent rows
    x = p[(P_A + axle) * LANES + lane] * (1.0 if axle == 0 else -1.0)
    half_track = 0.5 * p[(P_TF + axle) * LANES + lane]
    y = half_track if (w % 2) == 0 else -half_track
    return x, y - p[P_CGY * LANES + lane]


@_lane
def _clip_load(fz):
    """A wheel load [N] clipped at 0 (a lifted wheel carries nothing; NaN stays NaN)."""
    return 0.0 if fz < 0.0 else fz


@_lane
def _wheel_loads(p, lane, vx, axf, ayf):
    """Vertical wheel loads (FL, FR, RL, RR) [N]: static, longitudinal and lateral transfer
    from the lagged accelerations, downforce; negative loads clipped to 0."""
    m, h = p[P_MASS * LANES + lane], p[P_H * LANES + lane]
    a, b = p[P_A * LANES + lane], p[P_B * LANES + lane]
    hrc_f, hrc_r = p[P_HRC_F * LANES + lane], p[P_HRC_R * LANES + lane]
    wheelbase = a + b
    cos_grade = fm.cos(p[P_GRADE * LANES + lane])
    d_long = -m * axf * h / wheelbase * 0.5  # per wheel: front loses, rear gains (a_x > 0)
    h_ra = hrc_f + (hrc_r - hrc_f) * a / wheelbase
    h_arm = h - h_ra
    share_f = p[P_ROLL_SHARE * LANES + lane]
    d_lat_f = m * ayf / p[P_TF * LANES + lane] * (b / wheelbase * hrc_f + share_f * h_arm)
    d_lat_r = m * ayf / p[P_TR * LANES + lane] * (a / wheelbase * hrc_r + (1.0 - share_f) * h_arm)
    q = 0.5 * p[P_RHO * LANES + lane] * vx * vx
    down_f = 0.5 * q * p[P_CLA_F * LANES + lane]
    down_r = 0.5 * q * p[P_CLA_R * LANES + lane]
    # a_y > 0 (left turn): the right (outer) wheels gain load
    return (_clip_load(p[(P_FZ0 + 0) * LANES + lane] * cos_grade + d_long - d_lat_f + down_f),
            _clip_load(p[(P_FZ0 + 1) * LANES + lane] * cos_grade + d_long + d_lat_f + down_f),
            _clip_load(p[(P_FZ0 + 2) * LANES + lane] * cos_grade - d_long - d_lat_r + down_r),
            _clip_load(p[(P_FZ0 + 3) * LANES + lane] * cos_grade - d_long + d_lat_r + down_r))


@_lane
def _mounted_tyre_forces(tp, tyre_side, w, kappa, tan_alpha, fz, pressure, mu):
    """MF 6.1 forces (Fx, Fy) [N] of the tyre on wheel ``w`` at slip ``tan_alpha``: a tyre
    whose file describes the other side of the car (``TYRESIDE``) is mirrored,
    ``Fy(alpha) = -Fy_file(-alpha)``, so that conicity and ply-steer shifts act symmetrically on
    a symmetric car (as ADAMS-type simulators mount tyres)."""
    mirror = tyre_side * (SIDE_LEFT if (w % 2) == 0 else SIDE_RIGHT)  # +1 same side, -1 other
    fx, fy = mf61_forces_tan(tp, kappa, mirror * tan_alpha, 0.0, fz, pressure, mu)
    return fx, mirror * fy


@_lane
def _tyre_forces(p, lane, tp, w, kappa, tan_alpha, fz):
    """Forces (Fx, Fy) [N] of the tyre on wheel ``w``, ISO-W: the mounted MF 6.1 tyre ``tp``,
    or the linear tyre when the lane's ``tyre_model`` is ``TYRE_LINEAR`` (both evaluated, one
    selected: no branch in the lane loop). Front and rear parameters are adjacent rows."""
    axle = w // 2
    mu = p[P_MU * LANES + lane]
    fx, fy = _mounted_tyre_forces(tp, p[(P_TYRE_SIDE_F + axle) * LANES + lane], w, kappa,
                                  tan_alpha, fz, p[(P_PRESS_F + axle) * LANES + lane], mu)
    fx_lin, fy_lin = _linear_tyre_forces(p[(P_CKAPPA_F + axle) * LANES + lane],
                                         p[(P_CALPHA_F + axle) * LANES + lane], -1.0, kappa,
                                         tan_alpha, fz, mu)
    linear = p[P_TYRE_MODEL * LANES + lane] == TYRE_LINEAR
    return (fx_lin if linear else fx), (fy_lin if linear else fy)


@_lane
def _slip_stiffnesses(p, lane, tp, w, fz):
    """Slip stiffnesses ``(Kxk, Kya)`` of the tyre on wheel ``w`` at load ``fz`` [N]: the MF
    6.1 tyre's at zero slip, or the linear tyre's (ISO-W signs: Kya < 0 for MF 6.1)."""
    axle = w // 2
    kxk, kya, _, _ = mf61_characteristics(tp, fz, 0.0, p[(P_PRESS_F + axle) * LANES + lane], 1.0)
    linear = p[P_TYRE_MODEL * LANES + lane] == TYRE_LINEAR
    return ((p[(P_CKAPPA_F + axle) * LANES + lane] if linear else kxk),
            (p[(P_CALPHA_F + axle) * LANES + lane] if linear else kya))


@_lane
def _smooth_sign(omega):
    """Sign of a wheel speed, smoothed over :data:`_OMEGA_SMOOTH_RADPS` (0 at standstill)."""
    return omega / math.sqrt(omega * omega + _OMEGA_SMOOTH_RADPS * _OMEGA_SMOOTH_RADPS)


@_lane
def _smooth_sign_slope(omega):
    """Slope of :func:`_smooth_sign` [s/rad]: ``w0² / (omega² + w0²)^(3/2)``."""
    w0 = _OMEGA_SMOOTH_RADPS
    q = omega * omega + w0 * w0
    return w0 * w0 / (q * math.sqrt(q))


# --------------------------------------------------------------------------------------------
# Lane loops: the right-hand side and the stability bound over the lanes 0..n-1 of a chunk.
# States ``x`` and derivatives ``dx`` are lane tables of N_STATES rows.


@_lane
def _chassis_lanes(ln, n, x):
    """Road-wheel angles (and the cos, sin of every wheel's) and wheel loads into ``ln``."""
    p, steer, aux, heading = ln.p, ln.steer, ln.aux, ln.heading
    for lane in range(n):
        delta_l, delta_r = _road_wheel_angles(p, lane, steer[lane])
        fz = _wheel_loads(p, lane, x[S_VX * LANES + lane], x[S_AXF * LANES + lane],
                          x[S_AYF * LANES + lane])
        aux[A_STEER * LANES + lane] = delta_l
        aux[(A_STEER + 1) * LANES + lane] = delta_r
        aux[A_FZ * LANES + lane] = fz[0]
        aux[(A_FZ + 1) * LANES + lane] = fz[1]
        aux[(A_FZ + 2) * LANES + lane] = fz[2]
        aux[(A_FZ + 3) * LANES + lane] = fz[3]
        heading[0 * LANES + lane] = fm.cos(delta_l)
        heading[1 * LANES + lane] = fm.cos(delta_r)
        heading[2 * LANES + lane] = 1.0
        heading[3 * LANES + lane] = 1.0
        heading[4 * LANES + lane] = fm.sin(delta_l)
        heading[5 * LANES + lane] = fm.sin(delta_r)
        heading[6 * LANES + lane] = 0.0
        heading[7 * LANES + lane] = 0.0


@_lane
def _wheel_lanes(w, tp, ln, n, v_low, x, dx):
    """Wheel ``w`` (0..3): contact-point velocity, slip, (relaxed) slip angle, tyre forces
    and wheel spin. Writes the wheel's rows of ``dx`` and ``ln.aux`` and adds its force and
    yaw moment (body axes) to ``ln.sums``. ``tp``: the axle's MF 6.1 parameter tuple.
    Inlined into :func:`rhs`, so that the MF 6.1 code is compiled once for all wheels."""
    p, aux, heading, sums = ln.p, ln.aux, ln.heading, ln.sums
    drive, brake = ln.drive, ln.brake
    w = w & 3  # tells LLVM that w >= 0: no negative-index wraparound, row stores vectorise
    axle = w // 2
    for lane in range(n):
        vx, vy, r = x[S_VX * LANES + lane], x[S_VY * LANES + lane], x[S_R * LANES + lane]
        radius = p[P_RW * LANES + lane]
        c, s = heading[w * LANES + lane], heading[(4 + w) * LANES + lane]
        x_w, y_w = _wheel_position(p, lane, w)
        vwx = vx - r * y_w
        vwy = vy + r * x_w
        v_cx = vwx * c + vwy * s
        v_cy = -vwx * s + vwy * c
        v_den = max(abs(v_cx), v_low)
        tan_alpha_ss = v_cy / v_den
        sigma = p[(P_SIGMA_F + axle) * LANES + lane]
        relaxed = sigma > 0.0
        lagged = x[(S_ALPHA + w) * LANES + lane]
        tan_alpha = lagged if relaxed else tan_alpha_ss
        rate = _relaxed_slip_rate(tan_alpha_ss, lagged, v_den, sigma if relaxed else 1.0)
        dx[(S_ALPHA + w) * LANES + lane] = rate if relaxed else 0.0
        omega = x[(S_OMEGA + w) * LANES + lane]
        kappa = (omega * radius - v_cx) / v_den
        fz = aux[(A_FZ + w) * LANES + lane]
        fx, fy = _tyre_forces(p, lane, tp, w, kappa, tan_alpha, fz)
        fbx = fx * c - fy * s
        fby = fx * s + fy * c
        sums[0 * LANES + lane] += fbx
        sums[1 * LANES + lane] += fby
        sums[2 * LANES + lane] += x_w * fby - y_w * fbx
        torque, brake_torque = drive[w * LANES + lane], brake[w * LANES + lane]
        resist = (brake_torque + p[P_FRR * LANES + lane] * fz * radius) * _smooth_sign(omega)
        dx[(S_OMEGA + w) * LANES + lane] = (torque - resist - radius * fx) \
            / p[(P_J + w) * LANES + lane]
        aux[(A_KAPPA + w) * LANES + lane] = kappa
        aux[(A_ALPHA + w) * LANES + lane] = tan_alpha
        aux[(A_FX + w) * LANES + lane] = fx
        aux[(A_FY + w) * LANES + lane] = fy
        aux[(A_TD + w) * LANES + lane] = torque
        aux[(A_TB + w) * LANES + lane] = brake_torque


@_lane
def _body_lanes(ln, n, x, dx):
    """Newton-Euler of the body from the tyre force sums in ``ln.sums``, aerodynamic drag and
    grade; ground-frame kinematics; the load-transfer lags."""
    p, aux, sums = ln.p, ln.aux, ln.sums
    for lane in range(n):
        vx, vy, r = x[S_VX * LANES + lane], x[S_VY * LANES + lane], x[S_R * LANES + lane]
        m = p[P_MASS * LANES + lane]
        drag = (0.5 * p[P_RHO * LANES + lane] * p[P_CDA * LANES + lane] * abs(vx)
                + p[P_ROAD_B * LANES + lane]) * vx
        grade = p[P_GRADE * LANES + lane]
        ax = (sums[0 * LANES + lane] - drag) / m - GRAVITY_MPS2 * fm.sin(grade)
        ay = sums[1 * LANES + lane] / m
        dx[S_VX * LANES + lane] = ax + vy * r
        dx[S_VY * LANES + lane] = ay - vx * r
        dx[S_R * LANES + lane] = sums[2 * LANES + lane] / p[P_IZ * LANES + lane]
        psi = x[S_PSI * LANES + lane]
        cp, sp = fm.cos(psi), fm.sin(psi)
        dx[S_X * LANES + lane] = vx * cp - vy * sp
        dx[S_Y * LANES + lane] = vx * sp + vy * cp
        dx[S_PSI * LANES + lane] = r
        tau = p[P_TAU_LT * LANES + lane]
        dx[S_AXF * LANES + lane] = (ax - x[S_AXF * LANES + lane]) / tau
        dx[S_AYF * LANES + lane] = (ay - x[S_AYF * LANES + lane]) / tau
        aux[A_AX * LANES + lane] = ax
        aux[A_AY * LANES + lane] = ay


@_lanes
def _clear(table, rows, n):
    """Zero rows ``0..rows-1`` of lanes ``0..n-1`` of a lane table."""
    for i in range(rows):
        for lane in range(n):
            table[i * LANES + lane] = 0.0


@_lanes
def rhs(ln, n, tyre_params, v_low, x, dx):
    """Time derivatives ``dx`` of the states ``x`` (lane tables of N_STATES rows) of lanes
    ``0..n-1``, for the steering-wheel angles ``ln.steer`` [rad] and wheel torques
    ``ln.drive``, ``ln.brake`` [N·m]; also fills ``ln.aux`` with the derived signals
    (:data:`AUX_NAMES`). The mechanical power flows of the same evaluation:
    :func:`mechanical_power`.

    ``tyre_params`` (2, PT): the front and rear MF 6.1 parameter vectors, shared by every
    lane (read into tuples before the lane loops: constants of the loop, not memory);
    ``v_low`` [m/s]: floor of the slip denominators (low-speed regularisation). The slip
    angle enters the tyre model as ``tan(alpha) = v_cy / max(|v_cx|, v_low)``. A lane's
    results depend on its own columns only, bit for bit.
    """
    _chassis_lanes(ln, n, x)
    _clear(ln.sums, 3, n)
    for w in range(4):
        tp = parameter_row(tyre_params, w // 2)
        _wheel_lanes(w, tp, ln, n, v_low, x, dx)
    _body_lanes(ln, n, x, dx)


@_lanes
def mechanical_power(ln, n, x):
    """The mechanical power flows (:data:`POWER_NAMES`) [W] of lanes ``0..n-1`` at the states
    ``x`` into ``ln.power``, from the tyre forces, loads and road-wheel angles that
    :func:`rhs` left in ``ln.aux`` and ``ln.heading`` for the same ``x`` (call it first): the
    same kinematics and resistances as :func:`_wheel_lanes` and :func:`_body_lanes`. A lane
    loop of its own, so that the right-hand side's loops keep vectorising (writing these
    rows from inside them stopped LLVM's vectoriser: measured, 0 packed instructions)."""
    p, aux, heading, power = ln.p, ln.aux, ln.heading, ln.power
    for lane in range(n):
        vx, vy, r = x[S_VX * LANES + lane], x[S_VY * LANES + lane], x[S_R * LANES + lane]
        radius = p[P_RW * LANES + lane]
        slip, brake, rolling = 0.0, 0.0, 0.0
        for w in range(4):
            c, s = heading[w * LANES + lane], heading[(4 + w) * LANES + lane]
            x_w, y_w = _wheel_position(p, lane, w)
            vwx = vx - r * y_w
            vwy = vy + r * x_w
            v_cx = vwx * c + vwy * s
            v_cy = -vwx * s + vwy * c
            omega = x[(S_OMEGA + w) * LANES + lane]
            spin = _smooth_sign(omega) * omega
            fx, fy = aux[(A_FX + w) * LANES + lane], aux[(A_FY + w) * LANES + lane]
            slip += fx * (omega * radius - v_cx) - fy * v_cy
            brake += ln.brake[w * LANES + lane] * spin
            rolling += p[P_FRR * LANES + lane] * aux[(A_FZ + w) * LANES + lane] * radius * spin
        m = p[P_MASS * LANES + lane]
        power[W_SLIP * LANES + lane] = slip
        power[W_BRAKE * LANES + lane] = brake
        power[W_ROLL * LANES + lane] = rolling
        power[W_AERO * LANES + lane] = 0.5 * p[P_RHO * LANES + lane] \
            * p[P_CDA * LANES + lane] * abs(vx) * vx * vx
        power[W_LINEAR * LANES + lane] = p[P_ROAD_B * LANES + lane] * vx * vx
        power[W_GRADE * LANES + lane] = m * GRAVITY_MPS2 * fm.sin(p[P_GRADE * LANES + lane]) * vx


#: Safety factor on the slip stiffnesses in :func:`stiffest_rate` (the Magic Formula's slope
#: can exceed its value at zero slip slightly when its curvature factor E is negative, and
#: the load may grow within a step).
_STIFFNESS_MARGIN = 1.25


@_lane
def _wheel_rate_lanes(w, tp, ln, n, v_low, x, bound):
    """Wheel ``w``'s part of :func:`stiffest_rate`: raises ``bound`` row 0 to its spin and
    relaxation rates, adds its cornering stiffness to row 1 (force) and row 2 (yaw moment).
    Inlined into :func:`stiffest_rate`."""
    p, brake, aux = ln.p, ln.brake, ln.aux
    w = w & 3  # w >= 0 for LLVM (see _wheel_lanes)
    axle = w // 2
    for lane in range(n):
        vx, r = x[S_VX * LANES + lane], x[S_R * LANES + lane]
        radius = p[P_RW * LANES + lane]
        fz = aux[(A_FZ + w) * LANES + lane]
        x_w, y_w = _wheel_position(p, lane, w)
        kxk, kya = _slip_stiffnesses(p, lane, tp, w, fz)
        kxk = _STIFFNESS_MARGIN * abs(kxk)
        kya = _STIFFNESS_MARGIN * abs(kya)
        v_w = max(abs(vx - r * y_w), v_low)
        resist = (brake[w * LANES + lane] + p[P_FRR * LANES + lane] * fz * radius) \
            * _smooth_sign_slope(x[(S_OMEGA + w) * LANES + lane])
        rate = max(bound[0 * LANES + lane],
                   (radius * radius * kxk / v_w + resist) / p[(P_J + w) * LANES + lane])
        bound[1 * LANES + lane] += kya
        bound[2 * LANES + lane] += x_w * x_w * kya
        sigma = p[(P_SIGMA_F + axle) * LANES + lane]
        relaxed = sigma > 0.0
        relaxation = v_w / (sigma if relaxed else 1.0)
        bound[0 * LANES + lane] = max(rate, relaxation) if relaxed else rate


@_lanes
def stiffest_rate(ln, n, tyre_params, v_low, x, bound):
    """Upper bound [1/s] of the magnitude of the fastest decaying mode at the states ``x``
    into row 0 of the lane table ``bound`` (3 rows; rows 1, 2 are scratch), lanes ``0..n-1``:
    from the wheels' current loads and speeds, wheel spin ``R² Kxk / (J v_w)`` plus the slope
    of the smoothed brake and rolling-resistance torque near standstill per wheel, the lateral
    modes ``sum(C) / (m v) + sum(x_w² C) / (I_z v)``, lateral relaxation ``v / sigma`` and the
    load-transfer lag ``1 / tau``; slip stiffnesses (Kxk, |Kya| of the tyre model at the
    wheel's load) times :data:`_STIFFNESS_MARGIN`. Reads ``ln.p`` and ``ln.brake``; writes
    the wheel loads at ``x`` into the load rows of ``ln.aux``."""
    p, aux = ln.p, ln.aux
    for lane in range(n):
        fz = _wheel_loads(p, lane, x[S_VX * LANES + lane], x[S_AXF * LANES + lane],
                          x[S_AYF * LANES + lane])
        aux[A_FZ * LANES + lane] = fz[0]
        aux[(A_FZ + 1) * LANES + lane] = fz[1]
        aux[(A_FZ + 2) * LANES + lane] = fz[2]
        aux[(A_FZ + 3) * LANES + lane] = fz[3]
        bound[0 * LANES + lane] = 1.0 / p[P_TAU_LT * LANES + lane]
        bound[1 * LANES + lane] = 0.0
        bound[2 * LANES + lane] = 0.0
    for w in range(4):
        tp = parameter_row(tyre_params, w // 2)
        _wheel_rate_lanes(w, tp, ln, n, v_low, x, bound)
    for lane in range(n):
        v_body = max(abs(x[S_VX * LANES + lane]), v_low)
        lateral = bound[1 * LANES + lane] / (p[P_MASS * LANES + lane] * v_body) \
            + bound[2 * LANES + lane] / (p[P_IZ * LANES + lane] * v_body)
        bound[0 * LANES + lane] = max(bound[0 * LANES + lane], lateral)


#: Rows of the Jacobian estimate of :func:`stiff_diagonal` beyond its diagonal (N_STATES rows).
#: Through the slip, each wheel speed couples with the body's forward speed, lateral speed and
#: yaw rate (the *hub*, :data:`HUB_STATES`), and the estimate keeps these couplings as a block:
#: the hub's 3x3 block ``d hub_i' / d hub_j`` (9 rows from ``D_HUB``, row-major; the hub's
#: rows of the diagonal are 0), per wheel ``d hub_i' / d omega_w`` (rows ``D_SPIN_TO_HUB + 3 w
#: + i``) and ``d omega_w' / d hub_j`` (rows ``D_HUB_TO_SPIN + 3 w + j``). The yaw rate
#: belongs to the hub: at walking pace the left and right wheels' slips couple with it as
#: stiffly as with the forward speed (``d omega_fl' / d r`` -8 800 /s against ``d omega_fl' /
#: d vx`` 11 000 /s at 1.35 m/s), and a 10 ms step that treated it explicitly amplified the
#: wheels' left-right mode by -2.7 per step.
HUB_STATES = (S_VX, S_VY, S_R)
D_HUB = N_STATES
D_SPIN_TO_HUB = D_HUB + 9
D_HUB_TO_SPIN = D_SPIN_TO_HUB + 12
N_JACOBIAN_ROWS = D_HUB_TO_SPIN + 12

#: Slip increments [-] of the finite-difference slopes in :func:`stiff_diagonal` (longitudinal
#: slip kappa, lateral tan(alpha)): well inside the linear range of a tyre (about 0.02), and
#: large against rounding (the slope is a Jacobian estimate of a W-method: its error changes
#: the step's error constant, not the order or the stability).
_SLOPE_DKAPPA = 1e-3
_SLOPE_DTAN = 1e-3
#: Largest ``h lambda`` of an unstable wheel-spin mode (beyond the tyre's force peak) that
#: :func:`stiff_diagonal` estimates with its sign; a faster one is floored there.
_UNSTABLE_STEP = 1.0


@_lane
def _toward_zero(a, b):
    """The point of the interval between ``a`` and ``b`` closest to 0."""
    low, high = min(a, b), max(a, b)
    return min(max(0.0, low), high)


@_lane
def wheel_lever(p, lane, heading, w):
    """Wheel ``w``'s heading direction in the hub's coordinates (:data:`HUB_STATES`), ``u =
    (cos delta, sin delta, x_w sin delta - y_w cos delta)`` [-, -, m]: the contact point's
    speed along the wheel is ``u · (vx, vy, r)``, and a force ``F`` along the wheel adds ``u F``
    to the body's (Fx, Fy, Mz). The lateral direction is ``(-sin delta, cos delta, x_w cos
    delta + y_w sin delta)``. ``heading``: the lane table of wheel angles :func:`rhs` fills."""
    c, s = heading[w * LANES + lane], heading[(4 + w) * LANES + lane]
    x_w, y_w = _wheel_position(p, lane, w)
    return c, s, x_w * s - y_w * c


@_lane
def _hub_outer(diag, lane, k, u0, u1, u2, inv_m, inv_iz):
    """Subtract ``k M^-1 u u^T`` from the hub block of ``diag`` (``M = diag(m, m, I_z)``): a
    tyre force ``-k u · d hub`` along ``u``, seen by the hub's accelerations."""
    row = D_HUB * LANES + lane
    kx, ky, kr = k * inv_m * u0, k * inv_m * u1, k * inv_iz * u2
    diag[row] -= kx * u0
    diag[row + LANES] -= kx * u1
    diag[row + 2 * LANES] -= kx * u2
    diag[row + 3 * LANES] -= ky * u0
    diag[row + 4 * LANES] -= ky * u1
    diag[row + 5 * LANES] -= ky * u2
    diag[row + 6 * LANES] -= kr * u0
    diag[row + 7 * LANES] -= kr * u1
    diag[row + 8 * LANES] -= kr * u2


@_lane
def _wheel_diagonal_lanes(w, tp, ln, n, v_low, x, dx, h, diag):
    """Wheel ``w``'s part of :func:`stiff_diagonal`: its spin row, its relaxation row, its
    couplings with the hub and its share of the hub block. Inlined into
    :func:`stiff_diagonal`."""
    p, brake, aux, heading = ln.p, ln.brake, ln.aux, ln.heading
    w = w & 3  # w >= 0 for LLVM (see _wheel_lanes)
    axle = w // 2
    for lane in range(n):
        vx, vy, r = x[S_VX * LANES + lane], x[S_VY * LANES + lane], x[S_R * LANES + lane]
        radius = p[P_RW * LANES + lane]
        u0, u1, u2 = wheel_lever(p, lane, heading, w)
        x_w, y_w = _wheel_position(p, lane, w)
        v_den = max(abs(u0 * vx + u1 * vy + u2 * r), v_low)
        fz = aux[(A_FZ + w) * LANES + lane]
        kappa, tan_alpha = aux[(A_KAPPA + w) * LANES + lane], aux[(A_ALPHA + w) * LANES + lane]
        omega = x[(S_OMEGA + w) * LANES + lane]
        omega_rate = dx[(S_OMEGA + w) * LANES + lane]
        # the stiffest point of the explicit predictor's path through the step (slopes are
        # steepest at zero slip and at rest): a step that ends in the steep part of the slip
        # curve or of the smoothed brake torque is treated as stiff from its start
        kappa_s = _toward_zero(kappa, kappa + h * radius * omega_rate / v_den)
        omega_s = _toward_zero(omega, omega + h * omega_rate)
        fx_0, _ = _tyre_forces(p, lane, tp, w, kappa_s, tan_alpha, fz)
        fx_k, _ = _tyre_forces(p, lane, tp, w, kappa_s + _SLOPE_DKAPPA, tan_alpha, fz)
        fy_0 = aux[(A_FY + w) * LANES + lane]
        _, fy_a = _tyre_forces(p, lane, tp, w, kappa, tan_alpha + _SLOPE_DTAN, fz)
        spin_inertia = p[(P_J + w) * LANES + lane]
        resist = (brake[w * LANES + lane] + p[P_FRR * LANES + lane] * fz * radius) \
            * _smooth_sign_slope(omega_s)
        # beyond the force peak the slope is negative and the wheel's spin unstable (it runs
        # away to lock or spin): kept with its sign while h lambda >= -1 (a damped estimate
        # turns a slow lock-up into a recovery), floored there (a linear solve near singular)
        floor = -(_UNSTABLE_STEP * spin_inertia / h + resist) / (radius * radius)
        k_x = max((fx_k - fx_0) / _SLOPE_DKAPPA / v_den, floor)
        k_y = abs((fy_a - fy_0) / _SLOPE_DTAN) / v_den
        inv_m, inv_iz = 1.0 / p[P_MASS * LANES + lane], 1.0 / p[P_IZ * LANES + lane]
        diag[(S_OMEGA + w) * LANES + lane] = -(radius * radius * k_x + resist) / spin_inertia
        # Fx = K_x / v (R omega - u · hub): J omega' = -R Fx, M hub' = u Fx
        _hub_outer(diag, lane, k_x, u0, u1, u2, inv_m, inv_iz)
        to_hub = (D_SPIN_TO_HUB + 3 * w) * LANES + lane
        diag[to_hub] = radius * k_x * u0 * inv_m
        diag[to_hub + LANES] = radius * k_x * u1 * inv_m
        diag[to_hub + 2 * LANES] = radius * k_x * u2 * inv_iz
        to_spin = (D_HUB_TO_SPIN + 3 * w) * LANES + lane
        diag[to_spin] = radius * k_x * u0 / spin_inertia
        diag[to_spin + LANES] = radius * k_x * u1 / spin_inertia
        diag[to_spin + 2 * LANES] = radius * k_x * u2 / spin_inertia
        sigma = p[(P_SIGMA_F + axle) * LANES + lane]
        relaxed = sigma > 0.0
        diag[(S_ALPHA + w) * LANES + lane] = -v_den / (sigma if relaxed else 1.0) \
            if relaxed else 0.0
        # without relaxation the slip angle follows the hub at once: Fy = -K_y / v n · hub
        _hub_outer(diag, lane, 0.0 if relaxed else k_y, -u1, u0, x_w * u0 + y_w * u1,
                   inv_m, inv_iz)


@_lanes
def stiff_diagonal(ln, n, tyre_params, v_low, x, dx, h, diag):
    """An estimate of the Jacobian of :func:`rhs` over its stiff couplings, at the states ``x``
    of lanes ``0..n-1``, into the lane table ``diag`` (:data:`N_JACOBIAN_ROWS` rows): a
    diagonal (N_STATES rows [1/s]) and the block that couples each wheel's speed
    with the hub (forward speed, lateral speed, yaw rate) through the slip (rows from
    :data:`D_HUB`, :data:`D_SPIN_TO_HUB`, :data:`D_HUB_TO_SPIN`: a hub of three states with
    four spokes, solved exactly by :func:`sim.integrator._ros_increment`). Wheel spin ``-(R²
    K_x / v + T_b') / J`` with the tyre's slope ``K_x = dFx/dkappa`` at the wheel's load
    (finite difference; negative beyond the force peak, where the spin is unstable, and
    floored so that ``h`` times the wheel's growth rate stays within 1) and the slope
    ``T_b'`` of the smoothed brake and rolling-resistance torque, both at the stiffest
    point of the step's explicit predictor path ``kappa + h kappa'``, ``omega + h omega'``
    (``dx``: the derivatives at ``x``; ``h`` [s] the step);
    the couplings ``d omega' / d hub = R K_x u / (J v)``, ``d hub' / d omega = R K_x M^-1 u /
    v`` and the hub block ``-sum K_x M^-1 u u^T / v`` (``u`` the :func:`wheel_lever`, ``M =
    diag(m, m, I_z)``), plus, without relaxation, the lateral slips' ``-sum K_y M^-1 n n^T /
    v`` (``n`` the lateral direction, ``K_y = |dFy/dtan(alpha)|``); lateral relaxation ``-v /
    sigma``, the load-transfer lags ``-1 / tau``; 0 for the other states. The linearly
    implicit (Rosenbrock-W) step of :mod:`sim.integrator` solves with ``1 - gamma h J``: these
    modes no longer bound the step. Reads what :func:`rhs` left in ``ln.aux`` and
    ``ln.heading`` for the same ``x`` (slips, loads, forces, wheel angles): call it after
    :func:`rhs`."""
    p = ln.p
    for i in range(D_SPIN_TO_HUB):  # the diagonal and the hub block accumulate
        for lane in range(n):
            diag[i * LANES + lane] = 0.0
    for lane in range(n):
        lag = -1.0 / p[P_TAU_LT * LANES + lane]
        diag[S_AXF * LANES + lane] = lag
        diag[S_AYF * LANES + lane] = lag
    for w in range(4):
        tp = parameter_row(tyre_params, w // 2)
        _wheel_diagonal_lanes(w, tp, ln, n, v_low, x, dx, h, diag)


# --------------------------------------------------------------------------------------------
# Controller and drivetrain: scalar code, once per step and lane.


@_inline
def machine_parameter(p, lane, k, field):
    """Parameter ``field`` (:data:`sim.powertrain.layout.MACHINE_FIELDS` index ``M_*``) of
    machine slot ``k`` of lane ``lane``."""
    return p[(P_MACHINE0 + k * MACHINE_STRIDE + field) * LANES + lane]


@_inline
def machine_wheels(p, lane, k):
    """Wheels ``(first, second)`` machine slot ``k`` of lane ``lane`` drives
    (:func:`sim.powertrain.layout.drives_wheels`: second -1 for one wheel, both -1 for an
    empty slot)."""
    return drives_wheels(machine_parameter(p, lane, k, M_DRIVES))


@_inline
def machine_wheel_speed(p, lane, x, k):
    """Wheel speed [rad/s] machine ``k`` turns with (the mean of an axle's wheels, as the
    open differential's carrier; 0 for an empty slot)."""
    first, second = machine_wheels(p, lane, k)
    w1 = x[(S_OMEGA + max(first, 0)) * LANES + lane]
    w2 = x[(S_OMEGA + max(second, 0)) * LANES + lane]
    return 0.0 if first < 0 else (0.5 * (w1 + w2) if second >= 0 else w1)


@_inline
def add_slot_torque(drive, lane, first, second, torque):
    """Add ``torque`` [N·m], a machine slot's torque at its wheels (:func:`machine_wheels`
    ``first``, ``second``), to lane ``lane`` of the lane table ``drive``: all of it to wheel
    ``first``, or half to each wheel of an axle (an open differential: equal torques)."""
    wheels = 2.0 if second >= 0 else 1.0
    drive[first * LANES + lane] += torque / wheels
    if second >= 0:
        drive[second * LANES + lane] += torque / wheels


@_scalar
def machine_wheel_torque_limit(p, lane, k, wheel_speed_radps):
    """Largest torque [N·m] electric machine ``k`` delivers at the wheel(s) it drives (summed
    over an axle) at wheel speed ``wheel_speed_radps``: the slot's envelope
    (:func:`sim.powertrain.envelope.wheel_torque_limit_nm`) read from the lane's table; 0 for
    a combustion engine, which drives through its gearbox
    (:func:`sim.chassis.powertrain.combustion_wheel_torques`)."""
    limit = wheel_torque_limit_nm(
        machine_parameter(p, lane, k, M_PEAK_TORQUE), machine_parameter(p, lane, k, M_PEAK_POWER),
        machine_parameter(p, lane, k, M_MAX_SPEED), machine_parameter(p, lane, k, M_GEAR),
        wheel_speed_radps)
    return limit if machine_parameter(p, lane, k, M_KIND) == KIND_ELECTRIC else 0.0


@_scalar
def friction_brakes(p, lane, total_nm, brake):
    """Friction brake torques [N·m] of lane ``lane`` into the lane table ``brake`` for a
    total ``total_nm`` >= 0 over the four wheels: fixed front/rear balance, equal left/right,
    each wheel within its maximum."""
    share_f = p[P_BRAKE_SHARE * LANES + lane]
    front = min(0.5 * share_f * total_nm, p[P_BRAKE_MAX_F * LANES + lane])
    rear = min(0.5 * (1.0 - share_f) * total_nm, p[P_BRAKE_MAX_R * LANES + lane])
    for w in range(4):
        brake[w * LANES + lane] = front if w < 2 else rear


@_scalar
def passive_drivetrain(p, lane, x, force_demand_n, drive, brake):
    """Module off, the chassis' part: the driver's longitudinal force demand [N] (positive
    drives, negative brakes) becomes wheel torques [N·m] of lane ``lane`` in the lane tables
    ``drive``, ``brake``. Drive: split front/rear by ``front_torque_share``, equally between
    the two wheels of an axle (an axle machine acts through an open differential: equal
    torques), each electric machine limited by its envelope. Brake: friction brakes for the
    whole demand (:func:`friction_brakes`). The powertrain completes this
    (:func:`sim.chassis.powertrain.passive_wheel_torques`): regeneration first, the
    combustion engine through its gearbox, the battery's available power."""
    radius = p[P_RW * LANES + lane]
    for w in range(4):
        drive[w * LANES + lane] = 0.0
        brake[w * LANES + lane] = 0.0
    if force_demand_n >= 0.0:
        share_f = p[P_FRONT_SHARE * LANES + lane]
        for k in range(N_MACHINES):
            first, second = machine_wheels(p, lane, k)
            if first < 0 or machine_parameter(p, lane, k, M_KIND) != KIND_ELECTRIC:
                continue
            share = share_f if first < 2 else 1.0 - share_f
            wheels = 2.0 if second >= 0 else 1.0
            torque = min(0.5 * wheels * share * force_demand_n * radius,
                         machine_wheel_torque_limit(p, lane, k,
                                                    machine_wheel_speed(p, lane, x, k)))
            add_slot_torque(drive, lane, first, second, torque)
    else:
        friction_brakes(p, lane, -force_demand_n * radius, brake)


__all__ = [
    "AUX_NAMES", "AUX_UNITS", "CONTROLLER_ADM", "CONTROLLER_DIRECT", "CONTROLLER_NAMES",
    "CONTROLLER_PASSIVE",
    "LANES", "Lanes", "N_AUX", "N_PARAMETERS", "N_POWER", "N_SENSORS", "N_STATES",
    "PARAMETER_NAMES", "POWER_NAMES",
    "SENSOR_NAMES", "STATE_NAMES", "STATE_UNITS", "STATUS_NAMES", "lane_table",
    "add_slot_torque", "friction_brakes", "machine_wheel_speed", "machine_wheel_torque_limit",
    "machine_wheels",
    "mechanical_power", "passive_drivetrain", "rhs",
    "D_HUB", "D_HUB_TO_SPIN", "D_SPIN_TO_HUB", "HUB_STATES", "N_JACOBIAN_ROWS",
    "stiff_diagonal", "stiffest_rate", "wheel_lever",
]
