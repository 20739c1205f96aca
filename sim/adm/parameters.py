"""Python side of the dynamic module: the vehicle's ``[adm]`` section (and the vehicle data the
controller needs) packed into the lane-table rows of :mod:`sim.adm.kernel`, its initial
states and the labels every result carries."""

from __future__ import annotations

import numpy as np

from sim.adm import kernel as k
from sim.errors import SpecError
from sim.mass import mass_properties
from sim.params import linear_single_track, tyre_parameters
from sim.spec.vehicle import DEFAULT_LOAD_CASE, Vehicle
from sim.tyre.mf61 import peak_friction
from sim.units import GRAVITY_MPS2, deg_to_rad

#: Layouts whose machines leave nothing for the module to distribute.
NOTHING_TO_DISTRIBUTE = ("single_rear",)


def check_adm_vehicle(vehicle: Vehicle) -> None:
    """Raise :class:`~sim.errors.SpecError` when ``vehicle`` cannot run with the dynamic
    module: no ``[adm]`` section, a combustion engine, or a layout with a single machine
    through an open differential (no left/right difference, no axle split: nothing to
    vectorise)."""
    name = vehicle.name or "<vehicle>"
    motors = vehicle.drivetrain.motors if vehicle.drivetrain is not None else {}
    engines = [label for label, m in motors.items() if m.kind == "combustion"]
    if engines:
        raise SpecError(name, f"drivetrain.motors.{engines[0]}.kind", "combustion",
                        "electric machines: a combustion engine drives through its gearbox "
                        "and cannot brake or be commanded per wheel, so the dynamic module "
                        "has nothing to vectorise; use controller='passive'")
    if vehicle.adm is None:
        raise SpecError(name, "adm", None,
                        "controller='adm' needs an [adm] section in the vehicle file (see "
                        "docs/vehicle_schema.md); use controller='passive' for the module off")
    layout = vehicle.drivetrain.layout if vehicle.drivetrain is not None else None
    if layout in NOTHING_TO_DISTRIBUTE:
        raise SpecError(name, "drivetrain.layout", layout,
                        "a layout the dynamic module can act through (one_per_axle, "
                        "front_and_two_rear, four_wheel): one machine through an open "
                        "differential leaves no left/right difference and no axle split to "
                        "command; use controller='passive'")


def tyre_peak_friction(vehicle: Vehicle, load_case: str = DEFAULT_LOAD_CASE) -> np.ndarray:
    """Nominal peak friction coefficient [-] of the vehicle's tyres on the tyre files' road:
    the smaller of the front and rear tyres' lateral peak (MF 6.1 ``muy``) at each axle's
    mean static wheel load, (N,). What a controller knows of its tyres."""
    mp = mass_properties(vehicle, load_case)
    front, rear = (tyre_parameters(vehicle, axle, mp.batch_size) for axle in ("front", "rear"))
    fz_front = 0.5 * (mp.wheel_loads_n[:, 0] + mp.wheel_loads_n[:, 1])
    fz_rear = 0.5 * (mp.wheel_loads_n[:, 2] + mp.wheel_loads_n[:, 3])
    mu_front = np.abs(peak_friction(front, fz_front)[1])
    mu_rear = np.abs(peak_friction(rear, fz_rear)[1])
    return np.minimum(mu_front, mu_rear)


def adm_parameters(vehicle: Vehicle, load_case: str = DEFAULT_LOAD_CASE,
                   members: int | None = None) -> np.ndarray:
    """The module's parameter table (N, len(ADM_PARAMETER_NAMES)) for ``vehicle`` (a batch
    of N, or one vehicle repeated ``members`` times).

    From ``[adm]`` (SI: the target understeer gradient in rad/(m/s²); ``regeneration`` and
    ``brake_vectoring`` as 1 (on) / 0, ``estimator`` as
    :data:`~sim.adm.kernel.ESTIMATOR_IDEAL` / ``ESTIMATOR_MEASURED``), plus the vehicle data
    the controller's models use: the tyres' nominal peak friction
    (:func:`tyre_peak_friction`) and the axle cornering stiffnesses of the nominal linear
    single-track model (:func:`sim.params.linear_single_track`) for the
    feedforward. Raises :class:`~sim.errors.SpecError` for a vehicle the module cannot drive
    (:func:`check_adm_vehicle`).
    """
    check_adm_vehicle(vehicle)
    adm = vehicle.adm
    if np.any(np.asarray(adm.sensor_delay_s) > np.asarray(adm.sample_time_s) + 1e-12):
        raise SpecError(vehicle.name or "<vehicle>", "adm.sensor_delay_s",
                        float(np.max(adm.sensor_delay_s)),
                        "at most adm.sample_time_s (one command computed ahead at a time)")
    n = vehicle.batch_size if members is None else members
    if vehicle.batch_size not in (1, n):
        raise SpecError("<argument>", "members", members,
                        f"the vehicle's batch size ({vehicle.batch_size}) or any N for a "
                        "single one")
    lst = linear_single_track(vehicle, load_case)
    values = {
        "target_understeer_rad_per_mps2":
            deg_to_rad(np.asarray(adm.target_understeer_deg_per_g)) / GRAVITY_MPS2,
        "friction_bound_factor": adm.friction_bound_factor,
        "reference_time_constant_s": adm.reference_time_constant_s,
        "feedforward_gain": adm.feedforward_gain,
        "yaw_rate_kp_nm_per_radps": adm.yaw_rate_kp_nm_per_radps,
        "yaw_rate_ki_nm_per_rad": adm.yaw_rate_ki_nm_per_rad,
        "max_yaw_moment_nm": adm.max_yaw_moment_nm,
        "sample_time_s": adm.sample_time_s,
        "actuator_time_constant_s": adm.actuator_time_constant_s,
        "traction_slip_target": adm.traction_slip_target,
        "traction_time_constant_s": adm.traction_time_constant_s,
        "regeneration": 1.0 if adm.regeneration == "on" else 0.0,
        "estimator": (k.ESTIMATOR_MEASURED if adm.estimator == "measured"
                      else k.ESTIMATOR_IDEAL),
        "assumed_road_friction": adm.assumed_road_friction,
        "tyre_peak_friction": tyre_peak_friction(vehicle, load_case),
        "front_axle_cornering_stiffness_npr": lst.front_cornering_stiffness_npr,
        "rear_axle_cornering_stiffness_npr": lst.rear_cornering_stiffness_npr,
        "brake_vectoring": 1.0 if adm.brake_vectoring == "on" else 0.0,
        "traction_proportional_gain": adm.traction_proportional_gain,
        "max_sideslip_rad": deg_to_rad(np.asarray(adm.max_sideslip_deg)),
        "sideslip_gain_nm_per_rad": adm.sideslip_gain_nm_per_rad,
        "sensor_delay_s": adm.sensor_delay_s,
        "brake_vectoring_threshold_nm": adm.brake_vectoring_threshold_nm,
        "brake_vectoring_pro_yaw_error_radps":
            deg_to_rad(np.asarray(adm.brake_vectoring_pro_yaw_error_degps)),
    }
    assert set(values) == set(k.ADM_PARAMETER_NAMES)
    cp = np.zeros((n, k.N_ADM_PARAMETERS))
    for i, name in enumerate(k.ADM_PARAMETER_NAMES):
        cp[:, i] = np.broadcast_to(np.asarray(values[name], dtype=float).reshape(-1), (n,))
    return cp


def adm_initial_state(cp: np.ndarray, params: np.ndarray, x0: np.ndarray) -> np.ndarray:
    """Initial module states (N, len(ADM_STATE_NAMES)): a sample due at t = 0, no torque
    applied or commanded, integrator empty, traction control not intervening (scales 1).
    ``cp`` (N, CP), ``params`` (N, P) and ``x0`` (N, S) give the batch size (and would give
    any state that should start from the car's)."""
    n = cp.shape[0]
    if params.shape[0] != n or x0.shape[0] != n:
        raise SpecError("<argument>", "cp, params, x0", (cp.shape, params.shape, x0.shape),
                        "one row per batch member in each")
    cs = np.zeros((n, k.N_ADM_STATES))
    cs[:, k.CS_TC:k.CS_TC + 4] = 1.0
    cs[:, k.CS_TC_I:k.CS_TC_I + 4] = 1.0
    return cs


def adm_labels(vehicle: Vehicle) -> dict[str, str]:
    """Labels of a run with the module on, e.g. ``{"adm_estimator": "ideal", "adm_layout":
    "front_and_two_rear"}``: an ``ideal`` estimator is an oracle and every result says so."""
    check_adm_vehicle(vehicle)
    return {"adm_estimator": vehicle.adm.estimator, "adm_layout": vehicle.drivetrain.layout,
            "adm_regeneration": vehicle.adm.regeneration,
            "adm_brake_vectoring": vehicle.adm.brake_vectoring}
