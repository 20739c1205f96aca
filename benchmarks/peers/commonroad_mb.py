"""Peer harness: CommonRoad's multi-body (MB) and single-track (ST) models in a step steer.

    python benchmarks/peers/commonroad_mb.py [--runs 50] [--repeats 5] [--vehicle 2]

Drives ``vehicle_dynamics_mb`` and ``vehicle_dynamics_st`` of ``commonroad-vehicle-models``
(PyPI 3.0.2, ``import vehiclemodels``) with scipy's ``odeint`` so that ``sim``'s two-track model
can be compared side by side with an implementation nobody on the team wrote. The peer is only
called, never copied; the few lines below that read its state (wheel loads, accelerations) say
which line of its source they follow.

Manoeuvre (both models): straight running at a given speed, then from t = 0 the road-wheel steer
is ramped at the model's maximum steering rate (``p.steering.v_max``, 0.4 rad/s for vehicles 1-3)
to the final angle and held; 10 s recorded every 0.01 s. Each constant-input segment (ramp, hold)
is integrated separately, because the adaptive solver would otherwise step over a short ramp.

What the peer's inputs mean (both models): ``u = [steering-angle rate (rad/s), acceleration
(m/s^2)]``. Both are clipped silently (steer rate to +-v_max, steer angle to +-max, acceleration
to +-a_max and a power-like limit above v_switch).

- ST: ``v_dot = u2`` exactly, so with ``u2 = 0`` the speed is *held*.
- MB: ``u2`` is not an acceleration but a wheel-torque request, ``T = m R_w u2``, engine torque
  if positive (split front/rear by ``T_se``; vehicle 2 is rear-driven, ``T_se = 0``), brake
  torque if negative (split by ``T_sb``). The car's real acceleration follows from tyre forces
  and wheel spin dynamics. With ``u2 = 0`` no torque acts: the wheels roll freely and the car
  *coasts*. There is no aerodynamic drag or rolling resistance in the MB model, so it keeps its
  speed when running straight, but in a turn it slows down through cornering drag (the front
  lateral force tilted by the steer angle, and the slip-angle projection): at 80 km/h vehicle 2
  loses 0.6 % of its speed in 10 s with a 0.01 rad steer and 2.6 % with 0.02 rad.

MB state vector (29; names as in the peer's docstring, 0-based indices used here):

    0 x, 1 y (global, m)          2 steer (rad)        3 v_x, sprung mass, body axes (m/s)
    4 yaw (rad)                    5 yaw rate (rad/s)   6 roll, 7 roll rate, 8 pitch, 9 pitch rate
    10 v_y, sprung mass, body axes (m/s)   11 z of sprung mass (m, positive down), 12 its rate
    13-17 front unsprung mass: roll, roll rate, v_y, z, z rate
    18-22 rear unsprung mass:  roll, roll rate, v_y, z, z rate
    23-26 wheel spin rates, peer labels LF, RF, LR, RR (rad/s)
    27, 28 lateral deflection of the front / rear compliant joint (sprung-unsprung) (m)

Signs: x, y, yaw, yaw rate, steer, v_y and the tyre lateral forces follow ISO 8855 (y left, left
turn positive). The vertical/roll part keeps the labels of the SAE model it comes from: the
wheels the peer calls *left* sit at y = -T/2 (its slip angles use v_x + T r / 2 for them), and
its roll angles are positive when the +y side goes down, i.e. the opposite sign of ISO roll. The
physics is consistent (in a left turn the body rolls outwards and the outer wheels, the peer's
"left" ones, gain load); only the labels are mirrored. ``mb_wheel_loads_n`` returns ISO order.

Outputs here: sideslip = atan2(v_y, v_x), speed = hypot(v_x, v_y), and lateral acceleration of
the sprung mass in body axes a_y = v_y_dot + v_x r, with v_y_dot taken from the peer's own
right-hand side (index 10) at the recorded state and input. The ST's states are
``[x, y, steer, v, yaw, yaw rate, beta]`` with v the speed along the path; its body-lateral
acceleration is d(v sin beta)/dt + r v cos beta = v cos(beta) (beta_dot + r) at constant v.

Things about the MB model that a comparison must know (measured with vehicle 2, 80 km/h):

- ``init_mb`` is not an equilibrium: the body settles 17 mm and pitches 1.2 mrad in the first
  half second, and the wheels spin up/down to free rolling. ``settle=True`` (default) solves for
  the static heave, pitch, unsprung heights and wheel speeds first, so the step starts from rest.
- Steady state differs from the (neutral-steer) ST for two reasons of a few percent each, of
  either sign depending on the vehicle (0.01 rad at 80 km/h, curvature r / v relative to ST):
  (1) axle-load understeer: ``a``, ``b`` locate the *sprung* CG and the yaw balance
  ``a F_yf = b F_yr`` splits the lateral force by the total mass in the ratio b : a, but the axle
  loads (and with them the cornering stiffnesses ``-p_ky1 F_z``) are ``m_s g b / L + m_uf g`` and
  ``m_s g a / L + m_ur g``. That is a linear understeer gradient K = m / L (b / C_f - a / C_r)
  (``mb_axle_load_understeer_gradient_rad_per_mps2``): -2.1 % in curvature for vehicle 2,
  -5.3 % for vehicle 1, -1.4 % for vehicle 3; with the camber offsets removed
  (``modified_parameters``) the MB matches this prediction to 0.1-0.25 %.
  (2) camber offsets: roll and the camber gains ``D_f``, ``D_r`` give the four tyres cambers of
  0.013-0.024 rad, and the PAC2002 camber terms shift each tyre's force; with unequal front and
  rear camber gains this is a yaw moment: +4.3 % for vehicle 2 (rear gain larger), -3 % for
  vehicle 1, ~0 for vehicle 3 (equal gains). Net for vehicle 2: +2.2 % curvature, +1.6 % yaw
  rate (the MB also coasts, see above), +1.0 % lateral acceleration.
- Those camber offsets are implemented as ``sign(gamma) * (p_hy1 + p_hy3 |gamma|)`` and
  ``sign(gamma) * F_z * (p_vy1 + p_vy3 |gamma|)``: a lateral force of about 0.035 F_z per tyre
  switches sign when the camber crosses zero, and the settled straight-running camber *is* zero.
  Straight ahead with zero steer the MB model therefore never rests: it falls into a bounded
  weave (yaw rate about +-1.6e-3 rad/s, v_y about +-0.024 m/s, about 1.5 Hz) after a kick of
  5e-3 rad/s at 0.04 s, and drifts sideways (0.24 m in 10 s); these runs also cost ten times
  more solver steps. In a turn the body roll keeps every camber on one side of zero, so the
  discontinuity is crossed only at the start: it adds the same kick to left and right steps
  (3 % of the peak yaw rate in the first 0.1 s at 0.01 rad).
- The tyre has no load sensitivity: K_y = p_ky1 F_z and D_y = mu_y F_z, so F_y / F_z depends on
  slip and camber only, even at the limit. Lateral load transfer (which is there and physical:
  1.0 kN total at 0.2 g, 57 % of it at the front) changes the axle forces only through camber.
- The tyre is slightly asymmetric (the combined-slip shifts ``r_hx1``, ``r_hy1``, ``r_by3`` and
  ``r_vy*`` are not mirrored): left and right steps differ by 0.14 % in steady yaw rate.
- Beyond the limit (e.g. 0.05 rad at 80 km/h, about 0.95 g demanded) the car spins, a wheel
  speed reaches zero and the slip ratio divides by zero; the harness raises ``PeerDivergedError``
  (also when odeint gives up).
- At walking pace the coasting loss grows (10 s at 5 km/h with 0.2 rad: -9 % speed; at 1 km/h:
  -43 %), and below |v_x| = 0.1 m/s both models switch to a kinematic model (not used here).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
from scipy.integrate import ODEintWarning, odeint
from scipy.optimize import fsolve

COMMONROAD_GRAVITY_MPS2 = 9.81  # hard-coded in vehicle_dynamics_mb / _st / init_mb
DURATION_S = 10.0
OUTPUT_STEP_S = 0.01
SUPPORTED_VEHICLES = (1, 2, 3)  # vehicle 4 (truck) has no MB / ST parameters

# MB state indices (see module docstring).
MB_X, MB_Y, MB_STEER, MB_VX, MB_YAW, MB_YAW_RATE = range(6)
MB_ROLL, MB_ROLL_RATE, MB_PITCH, MB_PITCH_RATE, MB_VY, MB_Z, MB_Z_RATE = range(6, 13)
MB_ROLL_F, MB_ROLL_RATE_F, MB_VY_F, MB_Z_F, MB_Z_RATE_F = range(13, 18)
MB_ROLL_R, MB_ROLL_RATE_R, MB_VY_R, MB_Z_R, MB_Z_RATE_R = range(18, 23)
MB_WHEEL_SPIN = slice(23, 27)  # peer labels LF, RF, LR, RR; peer 'left' is ISO right (-y)
MB_STATES = 29
# ST state indices.
ST_X, ST_Y, ST_STEER, ST_SPEED, ST_YAW, ST_YAW_RATE, ST_SLIP = range(7)
ST_STATES = 7

# Settling: unknowns (pitch, sprung z, front / rear unsprung z, four wheel spins) and the
# derivatives that must vanish (pitch acc., heave acc., unsprung heave acc., wheel spin acc.).
_SETTLE_UNKNOWNS = [MB_PITCH, MB_Z, MB_Z_F, MB_Z_R, 23, 24, 25, 26]
_SETTLE_RESIDUALS = [MB_PITCH_RATE, MB_Z_RATE, MB_Z_RATE_F, MB_Z_RATE_R, 23, 24, 25, 26]


class PeerDivergedError(RuntimeError):
    """The peer's integration went non-finite (typically a spin beyond the limit) or odeint
    gave up."""


@dataclass(frozen=True)
class PeerRun:
    """Time histories of one peer run, SI units, ISO 8855 signs (left positive)."""

    model: str  # "commonroad-mb" or "commonroad-st"
    vehicle: str  # e.g. "vehicle 2 (BMW 320i)", or "modified parameters"
    time_s: np.ndarray  # (T,)
    steer_rad: np.ndarray  # road-wheel angle
    yaw_rate_radps: np.ndarray
    lateral_acceleration_mps2: np.ndarray  # body axes (MB: sprung mass)
    sideslip_rad: np.ndarray  # at the (sprung) CG
    speed_mps: np.ndarray
    x_m: np.ndarray
    y_m: np.ndarray
    states: np.ndarray  # (T, 29) or (T, 7), the peer's own state vector

    def final_window(self, seconds: float = 1.0) -> np.ndarray:
        """Boolean mask of the samples in the last ``seconds`` (inclusive)."""
        return self.time_s >= self.time_s[-1] - seconds - 1e-9


# --- parameters ------------------------------------------------------------------------------
@cache
def commonroad_parameters(vehicle_id: int = 2):
    """CommonRoad's parameter object for vehicle 1 (Ford Escort), 2 (BMW 320i) or 3 (VW Vanagon).

    Cached and treated as read-only (the peer never writes to it).
    """
    if vehicle_id not in SUPPORTED_VEHICLES:
        raise ValueError(f"vehicle_id {vehicle_id!r}: the MB and ST models need one of "
                         f"{SUPPORTED_VEHICLES} (vehicle 4 is a truck with kinematic parameters)")
    from vehiclemodels import parameters_vehicle1, parameters_vehicle2, parameters_vehicle3

    module = (parameters_vehicle1, parameters_vehicle2, parameters_vehicle3)[vehicle_id - 1]
    return getattr(module, f"parameters_vehicle{vehicle_id}")()


def modified_parameters(vehicle_id: int = 2, tire: dict | None = None, **fields):
    """A copy of vehicle ``vehicle_id``'s parameters with some fields replaced, for what-if
    runs (pass it as ``vehicle=``). ``tire`` replaces PAC2002 coefficients, e.g.
    ``modified_parameters(2, tire=dict(p_hy1=0, p_hy3=0, p_vy1=0, p_vy3=0))`` removes the
    camber-dependent offsets."""
    p = commonroad_parameters(vehicle_id)
    if tire:
        fields["tire"] = dataclasses.replace(p.tire, **tire)
    return dataclasses.replace(p, **fields)


def _resolve(vehicle) -> tuple[object, str]:
    """(CommonRoad parameter object, label) for a vehicle id or a parameter object."""
    if isinstance(vehicle, int | np.integer):
        return commonroad_parameters(int(vehicle)), vehicle_label(int(vehicle))
    return vehicle, "modified parameters"


def vehicle_label(vehicle_id: int) -> str:
    names = {1: "Ford Escort", 2: "BMW 320i", 3: "VW Vanagon"}
    return f"vehicle {vehicle_id} ({names.get(vehicle_id, '?')})"


#: Keys of ``equivalent_vehicle`` -> (unit, meaning). Unit "1" is dimensionless.
EQUIVALENT_VEHICLE_UNITS: dict[str, tuple[str, str]] = {
    "mass_kg": ("kg", "total mass m (sprung + both unsprung)"),
    "sprung_mass_kg": ("kg", "sprung mass m_s"),
    "front_unsprung_mass_kg": ("kg", "front axle unsprung mass m_uf"),
    "rear_unsprung_mass_kg": ("kg", "rear axle unsprung mass m_ur"),
    "yaw_inertia_kgm2": ("kg m^2", "I_z, used with the total mass in the yaw equation"),
    "sprung_roll_inertia_kgm2": ("kg m^2", "I_Phi_s"),
    "sprung_pitch_inertia_kgm2": ("kg m^2", "I_y_s"),
    "sprung_roll_yaw_product_kgm2": ("kg m^2", "I_xz_s"),
    "cg_to_front_axle_m": ("m", "a: sprung-mass CG to front axle (the model's reference point)"),
    "cg_to_rear_axle_m": ("m", "b: sprung-mass CG to rear axle"),
    "wheelbase_m": ("m", "a + b"),
    "total_cg_to_front_axle_m": ("m", "total-mass CG to front axle, from the static axle loads"),
    "front_axle_load_n": ("N", "static: m_s g b / L + m_uf g (as init_mb), g = 9.81"),
    "rear_axle_load_n": ("N", "static: m_s g a / L + m_ur g"),
    "front_track_m": ("m", "T_f"),
    "rear_track_m": ("m", "T_r"),
    "cg_height_m": ("m", "h_cg of the total mass as given (for conversion to other models)"),
    "sprung_cg_height_m": ("m", "h_s, used by the MB equations"),
    "front_roll_centre_height_m": ("m", "h_raf (compliant joint sprung/unsprung)"),
    "rear_roll_centre_height_m": ("m", "h_rar"),
    "front_spring_rate_npm": ("N/m", "K_sf, per wheel"),
    "rear_spring_rate_npm": ("N/m", "K_sr, per wheel"),
    "front_damper_rate_nspm": ("N s/m", "K_sdf, per wheel"),
    "rear_damper_rate_nspm": ("N s/m", "K_sdr, per wheel"),
    "front_aux_roll_stiffness_nmprad": ("N m/rad", "K_tsf as given (negative adds stiffness)"),
    "rear_aux_roll_stiffness_nmprad": ("N m/rad", "K_tsr as given"),
    "front_roll_stiffness_nmprad": ("N m/rad", "derived: K_sf T_f^2 / 2 - K_tsf (no tyres)"),
    "rear_roll_stiffness_nmprad": ("N m/rad", "derived: K_sr T_r^2 / 2 - K_tsr (no tyres)"),
    "front_camber_gain_radpm": ("rad/m", "D_f, camber per unit suspension travel"),
    "rear_camber_gain_radpm": ("rad/m", "D_r"),
    "tyre_vertical_stiffness_npm": ("N/m", "K_zt, per tyre"),
    "tyre_lateral_compliance_mpn": ("m/N", "K_lt, tyre + wheel + suspension, per tyre"),
    "wheel_radius_m": ("m", "R_w, effective rolling radius"),
    "wheel_spin_inertia_kgm2": ("kg m^2", "I_y_w, per wheel"),
    "engine_torque_front_share": ("1", "T_se: front share of drive torque"),
    "brake_torque_front_share": ("1", "T_sb: front share of brake torque"),
    "max_steer_rad": ("rad", "road-wheel steer limit"),
    "max_steer_rate_radps": ("rad/s", "steer-rate limit; the step-steer ramp uses it"),
    "tyre_cornering_stiffness_per_load_prad": (
        "1/rad", "-p_ky1: dF_y/dalpha per unit F_z at zero slip (PAC2002 K_y = p_ky1 F_z)"),
    "front_cornering_stiffness_nprad": ("N/rad", "axle, at the static axle load"),
    "rear_cornering_stiffness_nprad": ("N/rad", "axle, at the static axle load"),
    "tyre_lateral_friction": ("1", "p_dy1: peak mu_y at zero camber (ST uses it as mu)"),
    "tyre_lateral_shape_factor": ("1", "p_cy1 (C_y)"),
    "tyre_lateral_curvature_factor": ("1", "p_ey1 (E_y)"),
    "tyre_longitudinal_friction": ("1", "p_dx1: peak mu_x"),
    "tyre_longitudinal_slip_stiffness_per_load": ("1", "p_kx1: dF_x/dkappa per unit F_z"),
    "tyre_longitudinal_shape_factor": ("1", "p_cx1 (C_x)"),
    "tyre_longitudinal_curvature_factor": ("1", "p_ex1 (E_x)"),
    "gravity_mps2": ("m/s^2", "g hard-coded in the peer"),
}


def equivalent_vehicle(vehicle=2) -> dict[str, float]:
    """The parameters the peer's MB model uses, as a plain dict of floats (SI; units in
    ``EQUIVALENT_VEHICLE_UNITS`` and in each key's suffix), to build an equivalent ``sim``
    vehicle. The full PAC2002 coefficient set (same for every vehicle) is ``tyre_coefficients``.
    """
    p, _ = _resolve(vehicle)
    g = COMMONROAD_GRAVITY_MPS2
    L = p.a + p.b
    front_load = p.m_s * g * p.b / L + p.m_uf * g
    rear_load = p.m_s * g * p.a / L + p.m_ur * g
    per_load = -p.tire.p_ky1
    values = {
        "mass_kg": p.m, "sprung_mass_kg": p.m_s,
        "front_unsprung_mass_kg": p.m_uf, "rear_unsprung_mass_kg": p.m_ur,
        "yaw_inertia_kgm2": p.I_z, "sprung_roll_inertia_kgm2": p.I_Phi_s,
        "sprung_pitch_inertia_kgm2": p.I_y_s, "sprung_roll_yaw_product_kgm2": p.I_xz_s,
        "cg_to_front_axle_m": p.a, "cg_to_rear_axle_m": p.b, "wheelbase_m": L,
        "total_cg_to_front_axle_m": L * rear_load / (front_load + rear_load),
        "front_axle_load_n": front_load, "rear_axle_load_n": rear_load,
        "front_track_m": p.T_f, "rear_track_m": p.T_r,
        "cg_height_m": p.h_cg, "sprung_cg_height_m": p.h_s,
        "front_roll_centre_height_m": p.h_raf, "rear_roll_centre_height_m": p.h_rar,
        "front_spring_rate_npm": p.K_sf, "rear_spring_rate_npm": p.K_sr,
        "front_damper_rate_nspm": p.K_sdf, "rear_damper_rate_nspm": p.K_sdr,
        "front_aux_roll_stiffness_nmprad": p.K_tsf, "rear_aux_roll_stiffness_nmprad": p.K_tsr,
        "front_roll_stiffness_nmprad": p.K_sf * p.T_f**2 / 2 - p.K_tsf,
        "rear_roll_stiffness_nmprad": p.K_sr * p.T_r**2 / 2 - p.K_tsr,
        "front_camber_gain_radpm": p.D_f, "rear_camber_gain_radpm": p.D_r,
        "tyre_vertical_stiffness_npm": p.K_zt, "tyre_lateral_compliance_mpn": p.K_lt,
        "wheel_radius_m": p.R_w, "wheel_spin_inertia_kgm2": p.I_y_w,
        "engine_torque_front_share": p.T_se, "brake_torque_front_share": p.T_sb,
        "max_steer_rad": p.steering.max, "max_steer_rate_radps": p.steering.v_max,
        "tyre_cornering_stiffness_per_load_prad": per_load,
        "front_cornering_stiffness_nprad": per_load * front_load,
        "rear_cornering_stiffness_nprad": per_load * rear_load,
        "tyre_lateral_friction": p.tire.p_dy1, "tyre_lateral_shape_factor": p.tire.p_cy1,
        "tyre_lateral_curvature_factor": p.tire.p_ey1,
        "tyre_longitudinal_friction": p.tire.p_dx1,
        "tyre_longitudinal_slip_stiffness_per_load": p.tire.p_kx1,
        "tyre_longitudinal_shape_factor": p.tire.p_cx1,
        "tyre_longitudinal_curvature_factor": p.tire.p_ex1,
        "gravity_mps2": COMMONROAD_GRAVITY_MPS2,
    }
    assert values.keys() == EQUIVALENT_VEHICLE_UNITS.keys()
    return {k: float(v) for k, v in values.items()}


def mb_axle_load_understeer_gradient_rad_per_mps2(vehicle=2) -> float:
    """Linear understeer gradient K of the MB model from its axle loads, rad per m/s^2:
    K = m / L (b / C_f - a / C_r), C = -p_ky1 x static axle load (``equivalent_vehicle``).

    The MB's yaw balance about the sprung CG splits the lateral force b : a by the total mass,
    while its axle loads put the unsprung masses on the axles; ST uses m g b / L and is exactly
    neutral (K = 0). Steady curvature in the linear range: r / v = delta / (L + K v^2), so
    MB / ST = L / (L + K v^2) before camber effects (see module docstring).
    """
    e = equivalent_vehicle(vehicle)
    return e["mass_kg"] / e["wheelbase_m"] * (
        e["cg_to_rear_axle_m"] / e["front_cornering_stiffness_nprad"]
        - e["cg_to_front_axle_m"] / e["rear_cornering_stiffness_nprad"])


def tyre_coefficients(vehicle=2) -> dict[str, float]:
    """The peer's PAC2002 (pure + combined slip) coefficients, dimensionless, as a plain dict."""
    tire = _resolve(vehicle)[0].tire
    return {k: float(v) for k, v in vars(tire).items()}


# --- integration -----------------------------------------------------------------------------
def _output_times(duration_s: float, output_step_s: float) -> np.ndarray:
    n = int(round(duration_s / output_step_s))
    if n < 1 or abs(n * output_step_s - duration_s) > 1e-9 * duration_s:
        raise ValueError(f"duration_s={duration_s} must be a positive multiple of "
                         f"output_step_s={output_step_s}")
    return output_step_s * np.arange(n + 1)


def _segments(final_steer_rad: float, steer_rate_radps: float, duration_s: float, p):
    """[(t_start, t_end, steer-rate input)] for a ramp at ``steer_rate_radps``, then a hold."""
    # The peer clips both silently; refuse instead of simulating another manoeuvre.
    if abs(final_steer_rad) > p.steering.max:
        raise ValueError(f"final_steer_rad={final_steer_rad} beyond the model's steer limit "
                         f"+-{p.steering.max} rad")
    if not 0.0 < steer_rate_radps <= p.steering.v_max:
        raise ValueError(f"steer_rate_radps={steer_rate_radps} must be in (0, "
                         f"{p.steering.v_max}] rad/s, the model's limit")
    t_ramp = abs(final_steer_rad) / steer_rate_radps
    if t_ramp >= duration_s:
        raise ValueError(f"ramp of {t_ramp:.3f} s to {final_steer_rad} rad does not fit in "
                         f"{duration_s} s")
    segments = [(t_ramp, duration_s, 0.0)]
    if t_ramp > 0.0:
        segments.insert(0, (0.0, t_ramp, math.copysign(steer_rate_radps, final_steer_rad)))
    return segments


def _integrate_segments(rhs, x0, time_s, segments, label, rtol, atol):
    """States at ``time_s``; each (t_a, t_b, rate) segment integrated on its own by odeint.

    Returns the (T, n) states and the steer-rate input in force at each sample (the hold value
    at segment boundaries, since the output there belongs to the later segment).
    """
    out = np.empty((time_s.size, len(x0)))
    rate_at = np.empty(time_s.size)
    tol = 1e-9 * time_s[-1]
    x = np.asarray(x0, dtype=float)
    kwargs = {k: v for k, v in (("rtol", rtol), ("atol", atol)) if v is not None}
    for t_a, t_b, rate in segments:
        inside = (time_s > t_a + tol) & (time_s < t_b - tol)
        t = np.concatenate([[t_a], time_s[inside], [t_b]])
        # The peer works on numpy scalars: spin-outs divide by zero. Silence numpy and check.
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", ODEintWarning)  # reported below instead
            xs, info = odeint(rhs, x, t, args=([rate, 0.0],), full_output=True, **kwargs)
        bad = ~np.all(np.isfinite(xs), axis=1)
        if bad.any():
            raise PeerDivergedError(f"{label}: non-finite state at t = {t[np.argmax(bad)]:.3f} s "
                                    "(beyond the limit, the car spins)")
        if info["message"] != "Integration successful.":
            raise PeerDivergedError(f"{label}: odeint failed in [{t_a:.3f}, {t_b:.3f}] s, "
                                    f"reached {info['tcur'][-1]:.3f} s: {info['message']}")
        out[inside] = xs[1:-1]
        rate_at[inside] = rate
        at_a, at_b = np.abs(time_s - t_a) <= tol, np.abs(time_s - t_b) <= tol
        out[at_a], out[at_b] = xs[0], xs[-1]
        rate_at[at_a], rate_at[at_b] = rate, 0.0
        x = xs[-1]
    return out, rate_at


# --- MB --------------------------------------------------------------------------------------
def mb_initial_state(vehicle, speed_mps: float, settle: bool = True) -> np.ndarray:
    """``init_mb`` for straight running at ``speed_mps``; with ``settle`` the static heave,
    pitch, unsprung heights and free-rolling wheel speeds are solved so that all vertical,
    pitch and wheel-spin accelerations vanish (``init_mb`` leaves them about 1.6 m/s^2 off)."""
    from vehiclemodels.init_mb import init_mb
    from vehiclemodels.vehicle_dynamics_mb import vehicle_dynamics_mb

    p, label = _resolve(vehicle)
    x0 = np.array(init_mb([0.0, 0.0, 0.0, speed_mps, 0.0, 0.0, 0.0], p), dtype=float)
    if not settle:
        return x0

    def residual(unknowns):
        x = x0.copy()
        x[_SETTLE_UNKNOWNS] = unknowns
        return np.asarray(vehicle_dynamics_mb(x, [0.0, 0.0], p))[_SETTLE_RESIDUALS]

    solution, info, ok, message = fsolve(residual, x0[_SETTLE_UNKNOWNS], xtol=1e-12,
                                         full_output=True)
    if ok != 1 or np.abs(info["fvec"]).max() > 1e-6:
        raise PeerDivergedError(f"MB {label}: no static equilibrium at "
                                f"{speed_mps} m/s: {message}")
    x0[_SETTLE_UNKNOWNS] = solution
    return x0


def mb_wheel_loads_n(vehicle, states: np.ndarray) -> np.ndarray:
    """Vertical tyre forces (T, 4) in N from MB states (the peer's F_z_* lines), in ISO order
    FL, FR, RL, RR with left = +y: the peer's "RF" first (see module docstring, wheel labels)."""
    p, _ = _resolve(vehicle)
    s = np.atleast_2d(states)
    out = np.empty((s.shape[0], 4))
    for k, (z, roll, track) in enumerate(((MB_Z_F, MB_ROLL_F, p.T_f),
                                          (MB_Z_R, MB_ROLL_R, p.T_r))):
        common = s[:, z] + p.R_w * (np.cos(s[:, roll]) - 1.0)
        peer_left = (common - 0.5 * track * np.sin(s[:, roll])) * p.K_zt  # at y = -T/2
        peer_right = (common + 0.5 * track * np.sin(s[:, roll])) * p.K_zt  # at y = +T/2
        out[:, 2 * k], out[:, 2 * k + 1] = peer_right, peer_left
    return out


def mb_lateral_acceleration_mps2(vehicle, states: np.ndarray,
                                 steer_rate_radps: np.ndarray | float = 0.0) -> np.ndarray:
    """Sprung-mass lateral acceleration in body axes, a_y = v_y_dot + v_x r (m/s^2), with
    v_y_dot from the peer's right-hand side at each state and steer-rate input."""
    from vehiclemodels.vehicle_dynamics_mb import vehicle_dynamics_mb

    p, _ = _resolve(vehicle)
    s = np.atleast_2d(states)
    rates = np.broadcast_to(np.asarray(steer_rate_radps, dtype=float), (s.shape[0],))
    with np.errstate(all="ignore"):
        vy_dot = np.array([vehicle_dynamics_mb(x.copy(), [u, 0.0], p)[MB_VY]
                           for x, u in zip(s, rates, strict=True)])
    return vy_dot + s[:, MB_VX] * s[:, MB_YAW_RATE]


def mb_step_steer_states(speed_kmh: float = 80.0, final_steer_rad: float = 0.01,
                         vehicle=2, duration_s: float = DURATION_S,
                         output_step_s: float = OUTPUT_STEP_S,
                         steer_rate_radps: float | None = None, settle: bool = True,
                         rtol: float | None = None, atol: float | None = None
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The integration behind ``mb_step_steer``: (time_s (T,), MB states (T, 29), steer-rate
    input in force at each sample (T,)). This is what ``time_mb_runs`` times."""
    from vehiclemodels.vehicle_dynamics_mb import vehicle_dynamics_mb

    p, name = _resolve(vehicle)
    rate = p.steering.v_max if steer_rate_radps is None else steer_rate_radps
    time_s = _output_times(duration_s, output_step_s)

    def rhs(x, t, u):
        return vehicle_dynamics_mb(x, u, p)

    label = f"CommonRoad MB {name}, {speed_kmh} km/h, {final_steer_rad} rad"
    x0 = mb_initial_state(p, speed_kmh / 3.6, settle)
    states, rates = _integrate_segments(rhs, x0, time_s,
                                        _segments(final_steer_rad, rate, duration_s, p),
                                        label, rtol, atol)
    return time_s, states, rates


def mb_step_steer(speed_kmh: float = 80.0, final_steer_rad: float = 0.01, vehicle=2,
                  duration_s: float = DURATION_S, output_step_s: float = OUTPUT_STEP_S,
                  steer_rate_radps: float | None = None, settle: bool = True,
                  rtol: float | None = None, atol: float | None = None) -> PeerRun:
    """CommonRoad MB step steer: ramp at the model's maximum steer rate (or ``steer_rate_radps``)
    from straight running at ``speed_kmh`` to ``final_steer_rad`` (road wheel, left positive),
    held; zero acceleration input (the car coasts, see module docstring). odeint with its
    default tolerances unless ``rtol`` / ``atol`` are given. Raises ``PeerDivergedError`` if the
    run goes non-finite or odeint fails. ``vehicle``: CommonRoad id 1-3 or a parameter object
    (``modified_parameters``)."""
    time_s, states, rates = mb_step_steer_states(speed_kmh, final_steer_rad, vehicle,
                                                 duration_s, output_step_s, steer_rate_radps,
                                                 settle, rtol, atol)
    vx, vy = states[:, MB_VX], states[:, MB_VY]
    return PeerRun("commonroad-mb", _resolve(vehicle)[1], time_s, states[:, MB_STEER].copy(),
                   states[:, MB_YAW_RATE].copy(),
                   mb_lateral_acceleration_mps2(vehicle, states, rates),
                   np.arctan2(vy, vx), np.hypot(vx, vy), states[:, MB_X].copy(),
                   states[:, MB_Y].copy(), states)


# --- ST --------------------------------------------------------------------------------------
def st_step_steer(speed_kmh: float = 80.0, final_steer_rad: float = 0.01, vehicle=2,
                  duration_s: float = DURATION_S, output_step_s: float = OUTPUT_STEP_S,
                  steer_rate_radps: float | None = None, rtol: float | None = None,
                  atol: float | None = None) -> PeerRun:
    """CommonRoad ST, same manoeuvre as ``mb_step_steer``; zero acceleration input holds the
    speed exactly (v_dot = u2). Linear tyres, neutral steer: steady r = v delta / (a + b)."""
    from vehiclemodels.vehicle_dynamics_st import vehicle_dynamics_st

    p, name = _resolve(vehicle)
    rate = p.steering.v_max if steer_rate_radps is None else steer_rate_radps
    time_s = _output_times(duration_s, output_step_s)

    def rhs(x, t, u):
        return vehicle_dynamics_st(x, u, p)

    x0 = [0.0, 0.0, 0.0, speed_kmh / 3.6, 0.0, 0.0, 0.0]
    label = f"CommonRoad ST {name}, {speed_kmh} km/h, {final_steer_rad} rad"
    states, rates = _integrate_segments(rhs, x0, time_s,
                                        _segments(final_steer_rad, rate, duration_s, p),
                                        label, rtol, atol)
    v, r, beta = states[:, ST_SPEED], states[:, ST_YAW_RATE], states[:, ST_SLIP]
    beta_dot = np.array([vehicle_dynamics_st(x, [u, 0.0], p)[ST_SLIP]
                         for x, u in zip(states, rates, strict=True)])
    return PeerRun("commonroad-st", name, time_s, states[:, ST_STEER].copy(), r.copy(),
                   v * np.cos(beta) * (beta_dot + r), beta.copy(), v.copy(),
                   states[:, ST_X].copy(), states[:, ST_Y].copy(), states)


# --- comparisons and timing ------------------------------------------------------------------
def steady_state_comparison(vehicle=2, speed_kmh: float = 80.0,
                            final_steer_rad: float = 0.01, window_s: float = 1.0) -> dict:
    """Mean yaw rate, lateral acceleration, speed and sideslip over the last ``window_s`` of
    an MB and an ST step steer, and MB / ST - 1 for yaw rate, a_y and path curvature r / v."""
    runs = {"mb": mb_step_steer(speed_kmh, final_steer_rad, vehicle),
            "st": st_step_steer(speed_kmh, final_steer_rad, vehicle)}
    out: dict = {"vehicle": _resolve(vehicle)[1], "speed_kmh": speed_kmh,
                 "final_steer_rad": final_steer_rad}
    for name, run in runs.items():
        w = run.final_window(window_s)
        out[name] = {
            "yaw_rate_radps": float(run.yaw_rate_radps[w].mean()),
            "lateral_acceleration_mps2": float(run.lateral_acceleration_mps2[w].mean()),
            "speed_mps": float(run.speed_mps[w].mean()),
            "sideslip_rad": float(run.sideslip_rad[w].mean()),
            "yaw_rate_change_last_window": float(
                abs(run.yaw_rate_radps[-1] - run.yaw_rate_radps[w][0])
                / abs(run.yaw_rate_radps[-1])),
        }
    mb, st = out["mb"], out["st"]
    out["relative_difference"] = {
        "yaw_rate": mb["yaw_rate_radps"] / st["yaw_rate_radps"] - 1.0,
        "lateral_acceleration": mb["lateral_acceleration_mps2"]
        / st["lateral_acceleration_mps2"] - 1.0,
        "curvature": (mb["yaw_rate_radps"] / mb["speed_mps"])
        / (st["yaw_rate_radps"] / st["speed_mps"]) - 1.0,
    }
    return out


def random_step_steer_cases(n_runs: int, seed: int = 0, vehicle=2,
                            speed_range_kmh: tuple[float, float] = (40.0, 120.0),
                            linear_ay_range_mps2: tuple[float, float] = (0.5, 3.0),
                            large_ay_range_mps2: tuple[float, float] = (3.0, 6.0),
                            large_fraction: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """(speed_kmh, final_steer_rad), each (n_runs,): uniform speeds, and steer angles chosen
    for a target steady lateral acceleration, delta = a_y L / v^2 (neutral-steer estimate),
    mostly in the linear range and a ``large_fraction`` up to 6 m/s^2, random sign."""
    rng = np.random.default_rng(seed)
    p, _ = _resolve(vehicle)
    speed_kmh = rng.uniform(*speed_range_kmh, n_runs)
    large = rng.random(n_runs) < large_fraction
    ay = np.where(large, rng.uniform(*large_ay_range_mps2, n_runs),
                  rng.uniform(*linear_ay_range_mps2, n_runs))
    steer = ay * (p.a + p.b) / (speed_kmh / 3.6) ** 2 * rng.choice([-1.0, 1.0], n_runs)
    return speed_kmh, steer


def median_time_s(call: Callable[[], object], repeats: int = 5) -> float:
    """Median wall-clock seconds of ``repeats`` calls. The peer is pure Python (nothing to
    compile); imports and parameter loading happen on the first call and are cached."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@dataclass(frozen=True)
class BatchTiming:
    n_runs: int
    repeats: int
    median_batch_s: float  # median over repeats of the whole batch, run one after another
    per_run_s: float  # median_batch_s / n_runs
    batch_times_s: tuple[float, ...]

    def scaled_s(self, n_runs: int = 1000) -> float:
        """Estimated seconds for ``n_runs`` step steers one after another."""
        return self.per_run_s * n_runs


def time_mb_runs(n_runs: int, seed: int = 0, repeats: int = 3, vehicle=2,
                 duration_s: float = DURATION_S, output_step_s: float = OUTPUT_STEP_S,
                 **case_options) -> BatchTiming:
    """Time ``n_runs`` independent MB step steers (``random_step_steer_cases``), one after
    another, ``repeats`` times; the median batch time and per-run time. Scale with
    ``scaled_s(1000)``. Each timed run is ``mb_step_steer_states``: settling solve plus the
    odeint integration; the a_y post-processing of ``mb_step_steer`` (one right-hand-side call
    per output sample) is not timed. Parameters and imports are loaded before timing."""
    speed_kmh, steer = random_step_steer_cases(n_runs, seed, vehicle, **case_options)
    mb_step_steer_states(80.0, 0.0, vehicle, duration_s=0.1)  # imports, not timed

    def batch():
        for v, d in zip(speed_kmh, steer, strict=True):
            mb_step_steer_states(float(v), float(d), vehicle, duration_s, output_step_s)

    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        batch()
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    return BatchTiming(n_runs, repeats, median, median / n_runs, tuple(times))


# --- script ----------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="MB runs in the timed subsample")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--vehicle", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    vid = args.vehicle

    one = median_time_s(lambda: mb_step_steer_states(80.0, 0.01, vid), args.repeats)
    one_st = median_time_s(lambda: st_step_steer(80.0, 0.01, vid), args.repeats)
    full = median_time_s(lambda: mb_step_steer(80.0, 0.01, vid), args.repeats)
    batch = time_mb_runs(args.runs, args.seed, args.repeats, vid)
    print(f"CommonRoad {vehicle_label(vid)}, odeint default tolerances, 10 s at 0.01 s output, "
          f"medians of {args.repeats}")
    print(f"  MB step steer 80 km/h, 0.01 rad          {one:8.3f} s")
    print(f"    with a_y post-processing               {full:8.3f} s")
    print(f"  ST step steer 80 km/h, 0.01 rad          {one_st:8.3f} s")
    print(f"  MB {args.runs} random step steers (seed {args.seed})   "
          f"{batch.median_batch_s:8.3f} s  ({1e3 * batch.per_run_s:.1f} ms per run)")
    print(f"  MB 1000 runs, scaled from {args.runs}          {batch.scaled_s(1000):8.1f} s")
    print()
    print("steady state (mean of last 1 s), 80 km/h, MB vs ST")
    print(f"  {'steer rad':>9}  {'r MB':>8}  {'r ST':>8}  {'dr %':>6}  {'ay MB':>6}  "
          f"{'ay ST':>6}  {'day %':>6}  {'dkappa %':>8}  {'v MB':>6}  {'beta MB':>8}  "
          f"{'beta ST':>8}")
    for steer in (0.005, 0.01, -0.01, 0.02):
        c = steady_state_comparison(vid, 80.0, steer)
        mb, st, rel = c["mb"], c["st"], c["relative_difference"]
        print(f"  {steer:9.3f}  {mb['yaw_rate_radps']:8.5f}  {st['yaw_rate_radps']:8.5f}  "
              f"{100 * rel['yaw_rate']:6.2f}  {mb['lateral_acceleration_mps2']:6.3f}  "
              f"{st['lateral_acceleration_mps2']:6.3f}  {100 * rel['lateral_acceleration']:6.2f}"
              f"  {100 * rel['curvature']:8.2f}  {mb['speed_mps']:6.2f}  "
              f"{mb['sideslip_rad']:8.5f}  {st['sideslip_rad']:8.5f}")
    k_us = mb_axle_load_understeer_gradient_rad_per_mps2(vid)
    no_offsets = modified_parameters(vid, tire=dict(p_hy1=0.0, p_hy3=0.0, p_vy1=0.0, p_vy3=0.0))
    c = steady_state_comparison(no_offsets, 80.0, 0.01)
    L = equivalent_vehicle(vid)["wheelbase_m"]
    predicted = L / (L + k_us * c["mb"]["speed_mps"] ** 2) - 1.0
    measured = steady_state_comparison(vid, 80.0, 0.01)["relative_difference"]["curvature"]
    print("why MB curvature differs from ST at 0.01 rad (ST is exactly neutral steer):")
    print(f"  axle-load understeer K = {k_us:.3e} rad/(m/s^2) "
          f"({math.degrees(k_us * COMMONROAD_GRAVITY_MPS2):.3f} deg/g) predicts "
          f"{100 * predicted:+.2f} %")
    print(f"  MB without the camber offsets p_hy*, p_vy*          "
          f"{100 * c['relative_difference']['curvature']:+.2f} %")
    print(f"  MB as published (camber offsets add "
          f"{100 * (measured - c['relative_difference']['curvature']):+.2f} %)        "
          f"{100 * measured:+.2f} %")


if __name__ == "__main__":
    sys.exit(main())
