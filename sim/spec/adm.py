"""Vehicle-file section ``[adm]``: the dynamic module (torque vectoring, axle split, traction
control, regenerative braking). Declared like every section (see :mod:`sim.spec.fields`);
:func:`sim.adm.adm_parameters` packs it for the compiled controller
(:mod:`sim.adm.kernel`), where each field's role is documented in full.

Every default is a plausible starting point invented for ``sim`` (not taken from any car);
``notebooks/04_adm_tuning.ipynb`` shows how to change them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.spec.fields import quantity, text

ESTIMATORS = ("ideal", "measured")
ON_OFF = ("on", "off")


@dataclass(frozen=True, kw_only=True)
class Adm:
    """``[adm]``: the dynamic module's target behaviour, gains and settings (used when a run
    asks for ``controller="adm"``; the passive drivetrain ignores it)."""

    target_understeer_deg_per_g: float = quantity(
        "understeer gradient of the reference yaw rate r = v delta / (L + K v²) (0: neutral)",
        "deg/g", ge=0.0, le=10.0, default=0.5)
    friction_bound_factor: float = quantity(
        "reference yaw rate bounded by this factor x mu g / v (mu: estimated peak friction)",
        "-", gt=0.0, le=1.5, default=0.85)
    reference_time_constant_s: float = quantity(
        "first-order lag of the reference yaw rate behind its steady-state value (0: none)",
        "s", ge=0.0, le=1.0, default=0.06)  # 0.05 -> 0.06 with the 10 ms sensor delay: the
    # step-steer yaw-rate overshoot of the coupé 10.1 % -> 5.4 % (module off 5.7 %)
    max_sideslip_deg: float = quantity(
        "sideslip bound: beyond it a yaw moment k (beta - bound) slows the yaw that builds "
        "the sideslip and the integrator holds (0: no bound)", "deg", ge=0.0, le=45.0,
        default=0.0)
    sideslip_gain_nm_per_rad: float = quantity(
        "yaw moment per radian of sideslip beyond max_sideslip_deg", "N·m/rad", ge=0.0,
        le=1e7, default=100000.0)
    feedforward_gain: float = quantity(
        "scale of the steady-state feedforward yaw moment (1: the linear single-track "
        "moment that makes the steady yaw rate equal the reference; 0: feedback only)", "-",
        ge=0.0, le=2.0, default=1.0)
    yaw_rate_kp_nm_per_radps: float = quantity(
        "proportional gain of the yaw-rate feedback: yaw moment per yaw-rate error",
        "N·m/(rad/s)", ge=0.0, le=1e6, default=40000.0)
    yaw_rate_ki_nm_per_rad: float = quantity(
        "integral gain of the yaw-rate feedback (anti-windup: conditional integration)",
        "N·m/rad", ge=0.0, le=1e7, default=50000.0)
    max_yaw_moment_nm: float = quantity(
        "largest yaw-moment demand the controller passes to the allocation", "N·m",
        ge=0.0, le=50000.0, default=6000.0)
    sample_time_s: float = quantity(
        "controller sample time; commands are held between samples", "s", ge=0.0005,
        le=0.05, default=0.01)
    sensor_delay_s: float = quantity(
        "time from measuring (sensors, chassis state, driver inputs) to applying the commands "
        "computed from it (sensing, computation, bus): commands start at the sample instants "
        "k sample_time_s, from a measurement this much earlier; at most sample_time_s, and "
        "a delay shorter than the integrator step acts as one step", "s", ge=0.0, le=0.05,
        default=0.01)
    actuator_time_constant_s: float = quantity(
        "first-order lag of every applied wheel torque behind its command (0: none)", "s",
        ge=0.0, le=0.5, default=0.02)
    traction_slip_target: float = quantity(
        "longitudinal slip above which traction control (and brake slip control) reduces a "
        "wheel's torque", "-", gt=0.01, le=0.5, default=0.12)
    traction_time_constant_s: float = quantity(
        "integral time of traction control: a wheel's force bound falls (rises) at the rate "
        "(|slip| / target - 1) / this", "s", gt=0.001, le=5.0, default=0.8)
    traction_proportional_gain: float = quantity(
        "proportional part of traction control: share of a wheel's force bound taken off per "
        "unit of (|slip| / target - 1)", "-", ge=0.0, le=5.0, default=0.25)
    regeneration: str = text(
        "braking by the electric machines (within their envelopes and the battery charge "
        "limit) before the friction brakes", choices=ON_OFF, default="on")
    brake_vectoring: str = text(
        "yaw moment from the friction brakes as well: while braking, an axle's brakes may "
        "differ left/right; while driving, the wheels whose braking turns the car the right "
        "way make up what the machines cannot (as an ESC does)", choices=ON_OFF,
        default="off")
    brake_vectoring_threshold_nm: float = quantity(
        "with brake_vectoring on, while driving: the friction brakes make the yaw moment the "
        "machines cannot only when it exceeds this (then all of it), so that they do not drag "
        "against the small moments of driving straight", "N·m", ge=0.0, le=50000.0,
        default=500.0)
    brake_vectoring_pro_yaw_error_degps: float = quantity(
        "with brake_vectoring on, while driving: a friction-brake moment that adds yaw "
        "(against understeer) only while the yaw-rate error exceeds this; moments against the "
        "yaw (oversteer) need no error threshold", "deg/s", ge=0.0, le=100.0, default=10.0)
    estimator: str = text(
        "where tyre loads, forces and road friction come from: `ideal` (the model's true "
        "values, labelled in every result) or `measured` (loads from measured accelerations "
        "by static load transfer, friction assumed)", choices=ESTIMATORS, default="ideal")
    assumed_road_friction: float = quantity(
        "road friction the `measured` estimator assumes, relative to the tyre files' road "
        "(the same scale as simulate's road_friction)", "-", gt=0.05, le=2.0, default=1.0)
