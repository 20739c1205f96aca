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
* **Body**: Newton-Euler in the rotating body frame, aerodynamic drag ``1/2 rho CdA vx|vx|`` and
  grade, ground-frame position and heading.

Numerics: classical RK4 with a fixed step ``h``. The wheel-spin equation is stiff at low speed
(eigenvalue about ``R² K_xk / (J v)``); each step bounds the fastest eigenvalue of the wheel,
lateral, relaxation and load-transfer modes from the current loads and speeds
(:func:`stiffest_rate`) and **subdivides the step** so that ``h λ <= 2.7`` (inside RK4's real
stability limit 2.785), so a too-large step is never silently wrong.

Parameters reach the kernels as a float64 array ``p`` of shape (N, P) whose columns are named by
:data:`PARAMETER_NAMES` (index constants ``P_<NAME>``), tyre parameter vectors as (N, 2, PT)
(front, rear axle), and states by :data:`STATE_NAMES` (``S_<NAME>``). Everything that acts inside
the time loop (driver, controller, drivetrain) is called from the compiled step: the controller
hook :func:`_wheel_torques` dispatches on ``CONTROLLER_*`` codes; the passive drivetrain
(module off) is the default.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from sim.tyre.linear import linear_forces, relaxed_slip_angle_rate_radps
from sim.tyre.mf61 import mf61_characteristics, mf61_forces_tan

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
S_VX, S_VY, S_R = 0, 1, 2
S_OMEGA = 3  # four wheels from here
S_X, S_Y, S_PSI = 7, 8, 9
S_AXF, S_AYF = 10, 11
S_ALPHA = 12  # four wheels from here: lagged tan(slip angle)

#: Machine slots: every layout maps onto at most four machines.
N_MACHINES = 4
#: ``machine_drives`` codes: an axle through an open differential, or one wheel.
DRIVES_NONE, DRIVES_FRONT_AXLE, DRIVES_REAR_AXLE = -1, 4, 5  # 0..3 = one wheel FL..RR
KIND_ELECTRIC, KIND_COMBUSTION = 0, 1

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
    # brakes
    "brake_front_share", "max_brake_torque_front_nm", "max_brake_torque_rear_nm",
    # passive drivetrain
    "front_torque_share",
    *(f"machine{i}_{field}" for i in range(N_MACHINES)
      for field in ("drives", "kind", "peak_torque_nm", "peak_power_w", "max_speed_radps",
                    "gear_ratio", "top_gear_ratio")),
    # road
    "road_friction", "road_grade_rad",
)
N_PARAMETERS = len(PARAMETER_NAMES)


def _index(names: tuple[str, ...], name: str) -> int:
    return names.index(name)


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
P_CLA_F = _index(PARAMETER_NAMES, "front_downforce_area_m2")
P_CLA_R = _index(PARAMETER_NAMES, "rear_downforce_area_m2")
P_BRAKE_SHARE = _index(PARAMETER_NAMES, "brake_front_share")
P_BRAKE_MAX_F = _index(PARAMETER_NAMES, "max_brake_torque_front_nm")
P_BRAKE_MAX_R = _index(PARAMETER_NAMES, "max_brake_torque_rear_nm")
P_FRONT_SHARE = _index(PARAMETER_NAMES, "front_torque_share")
P_MACHINE0 = _index(PARAMETER_NAMES, "machine0_drives")
MACHINE_STRIDE = 7  # drives, kind, peak torque, peak power, max speed, gear, top gear
P_MU = _index(PARAMETER_NAMES, "road_friction")
P_GRADE = _index(PARAMETER_NAMES, "road_grade_rad")

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
A_AX, A_AY, A_STEER = 0, 1, 2
A_KAPPA, A_ALPHA, A_FX, A_FY, A_FZ, A_TD, A_TB = 4, 8, 12, 16, 20, 24, 28

#: ``TYRESIDE`` of a tyre file: a tyre mounted on the other side is evaluated mirrored.
SIDE_LEFT, SIDE_RIGHT = -1.0, 1.0

#: Tyre model codes: MF 6.1 combined slip, or linear (per-tyre stiffnesses, unsaturated).
TYRE_MF61, TYRE_LINEAR = 0, 1

#: Controller hook codes (what turns the driver's demand into wheel torques).
CONTROLLER_PASSIVE = 0   # fixed front/rear split, open-differential behaviour, no regen
CONTROLLER_DIRECT = 1    # per-wheel drive and brake torques given as input tables

#: Member status codes, recorded per batch member.
STATUS_OK, STATUS_NONFINITE, STATUS_SPUN_OUT, STATUS_STOPPED = 0, 1, 2, 3
STATUS_NAMES = ("ok", "non-finite state", "spun out", "stopped")

_OMEGA_SMOOTH_RADPS = 0.1   # scale of the smooth sign of omega for brake and rolling torque
_RK4_REAL_LIMIT = 2.7       # h * lambda allowed per substep (RK4 real-axis limit is 2.785)
_MAX_SUBSTEPS = 10_000


# --------------------------------------------------------------------------------------------
# One physics idea per function.


@numba.njit(cache=True)
def _road_wheel_angles(p, steering_wheel_angle_rad):
    """Front road-wheel angles (FL, FR) [rad], positive to the left: the mean angle is the
    steering-wheel angle over the steering ratio; ``ackermann_fraction`` blends parallel steer
    (0) with full Ackermann geometry (1), in which the inner wheel turns more."""
    delta = steering_wheel_angle_rad / p[P_STEER_RATIO]
    f = p[P_ACKERMANN]
    if f == 0.0 or delta == 0.0:
        return delta, delta
    wheelbase = p[P_A] + p[P_B]
    half_track = 0.5 * p[P_TF]
    t = math.tan(delta)
    # inner/outer of a turn about a centre on the rear-axle line: tan(d) = L / (R -+ t/2)
    left = math.atan(wheelbase * t / (wheelbase - half_track * t))
    right = math.atan(wheelbase * t / (wheelbase + half_track * t))
    return delta + f * (left - delta), delta + f * (right - delta)


@numba.njit(cache=True)
def _wheel_position(p, w):
    """Position (x, y) [m] of wheel ``w`` relative to the centre of mass."""
    x = p[P_A] if w < 2 else -p[P_B]
    half_track = 0.5 * (p[P_TF] if w < 2 else p[P_TR])
    y = half_track if (w % 2) == 0 else -half_track
    return x, y - p[P_CGY]


@numba.njit(cache=True)
def _wheel_loads(p, vx, axf, ayf, out_fz):
    """Vertical wheel loads [N] into ``out_fz`` (FL, FR, RL, RR): static, longitudinal and
    lateral transfer from the lagged accelerations, downforce; negative loads clipped to 0."""
    m, h = p[P_MASS], p[P_H]
    a, b = p[P_A], p[P_B]
    wheelbase = a + b
    cos_grade = math.cos(p[P_GRADE])
    d_long = -m * axf * h / wheelbase * 0.5  # per wheel: front loses, rear gains (a_x > 0)
    h_ra = p[P_HRC_F] + (p[P_HRC_R] - p[P_HRC_F]) * a / wheelbase
    h_arm = h - h_ra
    share_f = p[P_ROLL_SHARE]
    d_lat_f = m * ayf / p[P_TF] * (b / wheelbase * p[P_HRC_F] + share_f * h_arm)
    d_lat_r = m * ayf / p[P_TR] * (a / wheelbase * p[P_HRC_R] + (1.0 - share_f) * h_arm)
    q = 0.5 * p[P_RHO] * vx * vx
    down_f = 0.5 * q * p[P_CLA_F]
    down_r = 0.5 * q * p[P_CLA_R]
    # a_y > 0 (left turn): the right (outer) wheels gain load
    out_fz[0] = p[P_FZ0 + 0] * cos_grade + d_long - d_lat_f + down_f
    out_fz[1] = p[P_FZ0 + 1] * cos_grade + d_long + d_lat_f + down_f
    out_fz[2] = p[P_FZ0 + 2] * cos_grade - d_long - d_lat_r + down_r
    out_fz[3] = p[P_FZ0 + 3] * cos_grade - d_long + d_lat_r + down_r
    for w in range(4):
        if out_fz[w] < 0.0:
            out_fz[w] = 0.0


@numba.njit(cache=True)
def _machine_wheel_torque_limit(p, k, wheel_speed_radps):
    """Largest drive torque [N·m] machine ``k`` delivers at the wheel(s) it drives (summed over
    an axle) at wheel speed ``wheel_speed_radps``: torque- then power-limited, tapering to zero
    over the last 3 % before the machine's top speed. Combustion: ideal stepless gearbox
    between first (``gear_ratio``) and top gear."""
    base = P_MACHINE0 + k * MACHINE_STRIDE
    peak_torque, peak_power = p[base + 2], p[base + 3]
    max_speed, gear, top_gear = p[base + 4], p[base + 5], p[base + 6]
    omega = abs(wheel_speed_radps)
    if p[base + 1] == KIND_COMBUSTION:
        top = top_gear if top_gear > 0.0 else gear
        omega_machine = omega * top
        torque = min(peak_torque * gear, peak_power / max(omega, 1e-3))
    else:
        omega_machine = omega * gear
        torque = gear * min(peak_torque, peak_power / max(omega_machine, 1e-3))
    taper = (max_speed - omega_machine) / (0.03 * max_speed)
    if taper <= 0.0:
        return 0.0
    return torque * min(taper, 1.0)


@numba.njit(cache=True)
def _passive_drivetrain(p, x, force_demand_n, drive, brake):
    """Module off: the driver's longitudinal force demand [N] (positive drives, negative brakes)
    becomes wheel torques [N·m]. Drive: split front/rear by ``front_torque_share``, equally
    between the two wheels of an axle (an axle machine acts through an open differential: equal
    torques), each machine limited by its envelope. Brake: friction brakes only, fixed
    front/rear balance, equal left/right, each wheel limited to its maximum torque."""
    radius = p[P_RW]
    for w in range(4):
        drive[w] = 0.0
        brake[w] = 0.0
    if force_demand_n >= 0.0:
        share_f = p[P_FRONT_SHARE]
        for k in range(N_MACHINES):
            code = p[P_MACHINE0 + k * MACHINE_STRIDE]
            if code == DRIVES_NONE:
                continue
            if code == DRIVES_FRONT_AXLE or code == DRIVES_REAR_AXLE:
                first = 0 if code == DRIVES_FRONT_AXLE else 2
                share = share_f if code == DRIVES_FRONT_AXLE else 1.0 - share_f
                speed = 0.5 * (x[S_OMEGA + first] + x[S_OMEGA + first + 1])
                torque = min(share * force_demand_n * radius,
                             _machine_wheel_torque_limit(p, k, speed))
                drive[first] += 0.5 * torque
                drive[first + 1] += 0.5 * torque
            else:
                w = int(code)
                share = share_f if w < 2 else 1.0 - share_f
                torque = min(0.5 * share * force_demand_n * radius,
                             _machine_wheel_torque_limit(p, k, x[S_OMEGA + w]))
                drive[w] += torque
    else:
        total = -force_demand_n * radius
        front = min(0.5 * p[P_BRAKE_SHARE] * total, p[P_BRAKE_MAX_F])
        rear = min(0.5 * (1.0 - p[P_BRAKE_SHARE]) * total, p[P_BRAKE_MAX_R])
        brake[0] = front
        brake[1] = front
        brake[2] = rear
        brake[3] = rear


@numba.njit(cache=True)
def _wheel_torques(controller, p, x, force_demand_n, direct_drive, direct_brake, drive, brake):
    """The controller hook: fill ``drive`` and ``brake`` (N·m per wheel, brake >= 0)."""
    if controller == CONTROLLER_DIRECT:
        for w in range(4):
            drive[w] = direct_drive[w]
            brake[w] = max(direct_brake[w], 0.0)
    else:
        _passive_drivetrain(p, x, force_demand_n, drive, brake)


@numba.njit(cache=True)
def _mounted_tyre_forces(tp, tyre_side, w, kappa, tan_alpha, fz, pressure, mu):
    """MF 6.1 forces (Fx, Fy) [N] of the tyre on wheel ``w`` at slip ``tan_alpha``: a tyre
    whose file describes the other side of the car (``TYRESIDE``) is mirrored,
    ``Fy(alpha) = -Fy_file(-alpha)``, so that conicity and ply-steer shifts act symmetrically on
    a symmetric car (as ADAMS-type simulators mount tyres)."""
    mirror = tyre_side * (SIDE_LEFT if (w % 2) == 0 else SIDE_RIGHT)  # +1 same side, -1 other
    fx, fy = mf61_forces_tan(tp, kappa, mirror * tan_alpha, 0.0, fz, pressure, mu)
    return fx, mirror * fy


@numba.njit(cache=True)
def _smooth_sign(omega):
    """Sign of a wheel speed, smoothed over :data:`_OMEGA_SMOOTH_RADPS` (0 at standstill)."""
    return omega / math.sqrt(omega * omega + _OMEGA_SMOOTH_RADPS * _OMEGA_SMOOTH_RADPS)


@numba.njit(cache=True)
def rhs(x, steering_wheel_angle_rad, drive, brake, p, tp, v_low, dx, aux):
    """Time derivative ``dx`` of the state ``x`` for the given steering-wheel angle [rad] and
    wheel torques [N·m]; also fills ``aux`` with the derived signals (:data:`AUX_NAMES`).

    ``p``: the member's row of chassis parameters; ``tp``: (2, PT) tyre parameters (front,
    rear); ``v_low`` [m/s]: floor of the slip denominators (low-speed regularisation). The slip
    angle enters the tyre model as ``tan(alpha) = v_cy / max(|v_cx|, v_low)``.
    """
    vx, vy, r = x[S_VX], x[S_VY], x[S_R]
    m, iz, radius = p[P_MASS], p[P_IZ], p[P_RW]
    mu = p[P_MU]
    delta_l, delta_r = _road_wheel_angles(p, steering_wheel_angle_rad)
    cos_l, sin_l = math.cos(delta_l), math.sin(delta_l)
    cos_r, sin_r = math.cos(delta_r), math.sin(delta_r)
    fz = aux[A_FZ:A_FZ + 4]
    _wheel_loads(p, vx, x[S_AXF], x[S_AYF], fz)
    sum_fx = 0.0
    sum_fy = 0.0
    sum_mz = 0.0
    for w in range(4):
        c, s = (cos_l, sin_l) if w == 0 else ((cos_r, sin_r) if w == 1 else (1.0, 0.0))
        x_w, y_w = _wheel_position(p, w)
        vwx = vx - r * y_w
        vwy = vy + r * x_w
        v_cx = vwx * c + vwy * s
        v_cy = -vwx * s + vwy * c
        v_den = max(abs(v_cx), v_low)
        tan_alpha_ss = v_cy / v_den
        axle = 0 if w < 2 else 1
        sigma = p[P_SIGMA_F] if axle == 0 else p[P_SIGMA_R]
        if sigma > 0.0:
            tan_alpha = x[S_ALPHA + w]
            dx[S_ALPHA + w] = relaxed_slip_angle_rate_radps(tan_alpha_ss, tan_alpha, v_den,
                                                            sigma)
        else:
            tan_alpha = tan_alpha_ss
            dx[S_ALPHA + w] = 0.0
        kappa = (x[S_OMEGA + w] * radius - v_cx) / v_den
        if p[P_TYRE_MODEL] == TYRE_LINEAR:
            fx, fy = linear_forces(p[P_CKAPPA_F + axle], p[P_CALPHA_F + axle], -1.0, kappa,
                                   tan_alpha, fz[w], mu)
        else:
            pressure = p[P_PRESS_F] if axle == 0 else p[P_PRESS_R]
            fx, fy = _mounted_tyre_forces(tp[axle], p[P_TYRE_SIDE_F + axle], w, kappa,
                                          tan_alpha, fz[w], pressure, mu)
        fbx = fx * c - fy * s
        fby = fx * s + fy * c
        sum_fx += fbx
        sum_fy += fby
        sum_mz += x_w * fby - y_w * fbx
        resist = (brake[w] + p[P_FRR] * fz[w] * radius) * _smooth_sign(x[S_OMEGA + w])
        dx[S_OMEGA + w] = (drive[w] - resist - radius * fx) / p[P_J + w]
        aux[A_KAPPA + w] = kappa
        aux[A_ALPHA + w] = tan_alpha
        aux[A_FX + w] = fx
        aux[A_FY + w] = fy
        aux[A_TD + w] = drive[w]
        aux[A_TB + w] = brake[w]
    drag = 0.5 * p[P_RHO] * p[P_CDA] * vx * abs(vx)
    ax = (sum_fx - drag) / m - 9.80665 * math.sin(p[P_GRADE])
    ay = sum_fy / m
    dx[S_VX] = ax + vy * r
    dx[S_VY] = ay - vx * r
    dx[S_R] = sum_mz / iz
    psi = x[S_PSI]
    cp, sp = math.cos(psi), math.sin(psi)
    dx[S_X] = vx * cp - vy * sp
    dx[S_Y] = vx * sp + vy * cp
    dx[S_PSI] = r
    tau = p[P_TAU_LT]
    dx[S_AXF] = (ax - x[S_AXF]) / tau
    dx[S_AYF] = (ay - x[S_AYF]) / tau
    aux[A_AX] = ax
    aux[A_AY] = ay
    aux[A_STEER] = delta_l
    aux[A_STEER + 1] = delta_r


#: Safety factor on the slip stiffnesses in :func:`stiffest_rate` (the Magic Formula's slope
#: can exceed its value at zero slip slightly when its curvature factor E is negative, and
#: the load may grow within a step).
_STIFFNESS_MARGIN = 1.25


@numba.njit(cache=True)
def stiffest_rate(x, p, tp, v_low, fz, brake):
    """Upper bound [1/s] of the magnitude of the fastest decaying mode at state ``x``, from the
    wheels' current loads (written to ``fz``) and speeds: wheel spin ``R² Kxk / (J v_w)`` plus
    the slope of the smoothed brake and rolling-resistance torque near standstill per wheel,
    the lateral modes ``sum(C) / (m v) + sum(x_w² C) / (I_z v)``, lateral relaxation
    ``v / sigma`` and the load-transfer lag ``1 / tau``; slip stiffnesses (Kxk, |Kya| of the
    tyre model at the wheel's load) times :data:`_STIFFNESS_MARGIN`."""
    vx, r = x[S_VX], x[S_R]
    radius = p[P_RW]
    _wheel_loads(p, vx, x[S_AXF], x[S_AYF], fz)
    v_body = max(abs(vx), v_low)
    rate = 1.0 / p[P_TAU_LT]
    lateral_force = 0.0
    lateral_moment = 0.0
    for w in range(4):
        axle = 0 if w < 2 else 1
        x_w, y_w = _wheel_position(p, w)
        if p[P_TYRE_MODEL] == TYRE_LINEAR:
            kxk, kya = p[P_CKAPPA_F + axle], p[P_CALPHA_F + axle]
        else:
            pressure = p[P_PRESS_F] if axle == 0 else p[P_PRESS_R]
            kxk, kya, _, _ = mf61_characteristics(tp[axle], fz[w], 0.0, pressure, 1.0)
        kxk = _STIFFNESS_MARGIN * abs(kxk)
        kya = _STIFFNESS_MARGIN * abs(kya)
        v_w = max(abs(vx - r * y_w), v_low)
        omega = x[S_OMEGA + w]
        w0 = _OMEGA_SMOOTH_RADPS
        sign_slope = w0 * w0 / (omega * omega + w0 * w0) ** 1.5  # d smooth_sign / d omega
        resist = (brake[w] + p[P_FRR] * fz[w] * radius) * sign_slope
        rate = max(rate, (radius * radius * kxk / v_w + resist) / p[P_J + w])
        lateral_force += kya
        lateral_moment += x_w * x_w * kya
        sigma = p[P_SIGMA_F] if axle == 0 else p[P_SIGMA_R]
        if sigma > 0.0:
            rate = max(rate, v_w / sigma)
    lateral = lateral_force / (p[P_MASS] * v_body) + lateral_moment / (p[P_IZ] * v_body)
    return max(rate, lateral)


@numba.njit(cache=True)
def _interp(table, t0, dt, t):
    """Linear interpolation of a uniformly sampled row ``table`` (first sample at ``t0``,
    spacing ``dt``); held constant beyond its ends."""
    u = (t - t0) / dt
    last = table.shape[0] - 1
    if u <= 0.0:
        return table[0]
    if u >= last:
        return table[last]
    i = int(u)
    f = u - i
    return table[i] * (1.0 - f) + table[i + 1] * f


@numba.njit(cache=True)
def _rk4_step(x, t, h, steer_row, t0_in, dt_in, drive, brake, p, tp, v_low,
              k1, k2, k3, k4, tmp, aux, k1_ready):
    """One classical RK4 step of size ``h`` from ``(t, x)`` in place; wheel torques held, the
    steering-wheel angle interpolated at the stage times. ``k1_ready``: ``k1`` already holds
    the derivative at ``(t, x)``."""
    n = x.shape[0]
    if not k1_ready:
        rhs(x, _interp(steer_row, t0_in, dt_in, t), drive, brake, p, tp, v_low, k1, aux)
    for i in range(n):
        tmp[i] = x[i] + 0.5 * h * k1[i]
    steer_mid = _interp(steer_row, t0_in, dt_in, t + 0.5 * h)
    rhs(tmp, steer_mid, drive, brake, p, tp, v_low, k2, aux)
    for i in range(n):
        tmp[i] = x[i] + 0.5 * h * k2[i]
    rhs(tmp, steer_mid, drive, brake, p, tp, v_low, k3, aux)
    for i in range(n):
        tmp[i] = x[i] + h * k3[i]
    rhs(tmp, _interp(steer_row, t0_in, dt_in, t + h), drive, brake, p, tp, v_low, k4, aux)
    for i in range(n):
        x[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i])


@numba.njit(cache=True)
def _record(out_row, x, aux):
    n = x.shape[0]
    for i in range(n):
        out_row[i] = x[i]
    for i in range(aux.shape[0]):
        out_row[n + i] = aux[i]


@numba.njit(cache=True)
def _run_member(controller, p, tp, x, t0_in, dt_in, steer_row, force_row, drive_rows,
                brake_rows, h, n_steps, out_every, v_low, v_stop, max_sideslip, out, fail_x):
    """Integrate one member from ``x`` (modified in place) for ``n_steps`` steps of ``h``,
    recording states and derived signals every ``out_every`` steps into ``out`` (T_out, C).
    Returns ``(status, time_s)``: status per ``STATUS_*`` and the time it was reached (the end
    time when ok); on failure ``fail_x`` holds the last finite state and the remaining output
    rows stay NaN."""
    n = x.shape[0]
    k1 = np.empty(n)
    k2 = np.empty(n)
    k3 = np.empty(n)
    k4 = np.empty(n)
    tmp = np.empty(n)
    aux = np.zeros(N_AUX)
    drive = np.zeros(4)
    brake = np.zeros(4)
    direct_drive = np.zeros(4)
    direct_brake = np.zeros(4)
    scratch_fz = np.empty(4)
    t = 0.0
    for step in range(n_steps + 1):
        t = step * h
        demand = _interp(force_row, t0_in, dt_in, t)
        for w in range(4):
            direct_drive[w] = _interp(drive_rows[w], t0_in, dt_in, t)
            direct_brake[w] = _interp(brake_rows[w], t0_in, dt_in, t)
        _wheel_torques(controller, p, x, demand, direct_drive, direct_brake, drive, brake)
        # the first stage's derivative at (t, x) also gives the recorded signals
        rhs(x, _interp(steer_row, t0_in, dt_in, t), drive, brake, p, tp, v_low, k1, aux)
        if step % out_every == 0:
            _record(out[step // out_every], x, aux)
        if step == n_steps:
            break
        for i in range(n):
            fail_x[i] = x[i]
        rate = stiffest_rate(x, p, tp, v_low, scratch_fz, brake)
        substeps = int(math.ceil(h * rate / _RK4_REAL_LIMIT))
        substeps = min(max(substeps, 1), _MAX_SUBSTEPS)
        hs = h / substeps
        for j in range(substeps):
            _rk4_step(x, t + j * hs, hs, steer_row, t0_in, dt_in, drive, brake, p, tp, v_low,
                      k1, k2, k3, k4, tmp, aux, j == 0)
        finite = True
        for i in range(n):
            if not math.isfinite(x[i]):
                finite = False
        if not finite:
            return STATUS_NONFINITE, t + h
        beta = math.atan2(x[S_VY], max(abs(x[S_VX]), v_low))
        if abs(beta) > max_sideslip:
            for i in range(n):
                fail_x[i] = x[i]
            return STATUS_SPUN_OUT, t + h
        if x[S_VX] < v_stop:
            for i in range(n):
                fail_x[i] = x[i]
            return STATUS_STOPPED, t + h
    for i in range(n):
        fail_x[i] = x[i]
    return STATUS_OK, t


@numba.njit(parallel=True, cache=True)
def integrate_batch(controller, params, tyre_params, x0, t0_in, dt_in, steer_table,
                    force_table, drive_table, brake_table, h, n_steps, out_every, v_low,
                    v_stop, max_sideslip, out, status, end_time, end_state):
    """Integrate every batch member (in parallel over members).

    Shapes: ``params`` (N, P), ``tyre_params`` (N, 2, PT), ``x0`` (N, S); input tables sampled
    uniformly from ``t0_in`` every ``dt_in`` seconds: ``steer_table`` (N, T_in) steering-wheel
    angle [rad], ``force_table`` (N, T_in) longitudinal force demand [N], ``drive_table`` and
    ``brake_table`` (N, 4, T_in) per-wheel torques [N·m] (used by ``CONTROLLER_DIRECT``);
    outputs ``out`` (N, T_out, S + N_AUX) pre-filled with NaN, ``status`` (N,), ``end_time``
    (N,) [s] and ``end_state`` (N, S).
    """
    for m in numba.prange(params.shape[0]):
        x = x0[m].copy()
        st, t_end = _run_member(controller, params[m], tyre_params[m], x, t0_in, dt_in,
                                steer_table[m], force_table[m], drive_table[m], brake_table[m],
                                h, n_steps, out_every, v_low, v_stop, max_sideslip, out[m],
                                end_state[m])
        status[m] = st
        end_time[m] = t_end


__all__ = [
    "AUX_NAMES", "AUX_UNITS", "CONTROLLER_DIRECT", "CONTROLLER_PASSIVE",
    "N_AUX", "N_PARAMETERS", "N_STATES", "PARAMETER_NAMES", "STATE_NAMES", "STATE_UNITS",
    "STATUS_NAMES", "integrate_batch", "rhs", "stiffest_rate",
]
