"""FMVSS 126 (49 CFR 571.126) electronic-stability-control test: Slowly Increasing Steer to find
A, then the sine-with-dwell series and its pass/fail verdict.

Definitions: REFERENCES.md 2.3, tagged [K] there, criteria cross-checked against secondary
sources [S]; **the regulation's text itself was not read**. Metrics come from
:func:`sim.metrics.fmvss126_slowly_increasing_steer` and
:func:`sim.metrics.fmvss126_sine_with_dwell`.
"""

from __future__ import annotations

import math

import numpy as np

from sim import metrics
from sim.driver.open_loop import (
    cos_time_s,
    fmvss126_amplitude_series,
    slowly_increasing_steer,
)
from sim.driver.open_loop import (
    sine_with_dwell as swd_profile,
)
from sim.errors import SpecError
from sim.maneuvers.base import ManeuverResult, check_controller, check_speed_kmh, run_set
from sim.params import linear_single_track
from sim.simulate import Numerics
from sim.spec.vehicle import DEFAULT_LOAD_CASE, Vehicle, require_vehicle
from sim.units import GRAVITY_MPS2, kmh_to_mps, rad_to_deg

__all__ = ["METRIC_CHANNELS", "SINE_WITH_DWELL_UNITS", "find_sis_angle_deg", "sine_with_dwell"]

#: The channels the sine-with-dwell metrics read (what ``histories=False`` records; the
#: steering comes from the input profile).
METRIC_CHANNELS = ("yaw_rate_radps", "ay_mps2")

_SOURCE = "<argument>"
#: Time the steering input begins [s] (straight coasting before it).
STEER_START_S = 0.5
#: Record kept after completion of steer [s] (the last criterion is at COS + 1.75 s).
AFTER_COS_S = 2.0

#: Units of the per-vehicle metrics of :func:`sine_with_dwell`.
SINE_WITH_DWELL_UNITS = {
    "sis_angle_deg": "deg",
    "sis_angle_left_deg": "deg",
    "sis_angle_right_deg": "deg",
    "gvwr_kg": "kg",
    "required_displacement_m": "m",
    "runs": "-",
    "runs_passed": "-",
    "runs_spun_out": "-",
    "max_yaw_rate_ratio_1000ms": "-",
    "max_yaw_rate_ratio_1750ms": "-",
    "min_lateral_displacement_m": "m",
    "first_failed_amplitude_deg": "deg",
    "passed": "-",
}
#: Units of the per-run metrics (``ManeuverResult.per_run``).
PER_RUN_UNITS = {
    "amplitude_deg": "deg",
    "direction": "-",
    "peak_yaw_rate_deg_per_s": "deg/s",
    "yaw_rate_ratio_1000ms": "-",
    "yaw_rate_ratio_1750ms": "-",
    "lateral_displacement_m": "m",
    "displacement_applies": "-",
    "run_passed": "-",
    "run_spun_out": "-",
    "valid": "-",
}


def find_sis_angle_deg(vehicle: Vehicle, *, speed_kmh: float = 80.0,
                       rate_deg_per_s: float = 13.5, load_case: str = DEFAULT_LOAD_CASE,
                       road_friction=1.0, tyre_model: str = "mf61", linear_tyre_stiffness=None,
                       numerics: Numerics | None = None, record=None):
    """FMVSS 126 Slowly Increasing Steer, module off: A [deg] per member.

    The car coasts (force demand 0) from ``speed_kmh`` (80 km/h); from 0.5 s the steering
    wheel turns at ``rate_deg_per_s`` (13.5 deg/s), once to the left and once to the right, all
    members and both directions in **one** :func:`sim.simulate` call. The ramp goes on to about
    twice the linear single-track estimate of the angle for 0.5 g (the regulation ends it near
    0.5 g) and is held there. Per run the angle at 0.3 g comes from the regression of
    :func:`sim.metrics.fmvss126_slowly_increasing_steer` (fit 0.1-0.375 g: NHTSA practice as
    remembered, not in REFERENCES.md, unchecked); A is the mean
    of the two magnitudes rounded to 0.1 deg. The regulation averages three runs per
    direction because measured runs scatter; the simulation is noise-free and deterministic,
    so one run per direction gives the same mean. Always ``controller="passive"``.

    Returns ``(a_deg (N,), left_deg (N,), right_deg (N,), (result, profile))``
    (``right_deg`` signed, negative; the Result and the steering profile hold rows ``2 i``
    left and ``2 i + 1`` right of member i). Raises
    :class:`SpecError` when a run does not reach 0.375 g before it ends (too little grip).
    """
    vehicle = require_vehicle(vehicle)
    speed = check_speed_kmh(speed_kmh)
    n = vehicle.batch_size
    lin = linear_single_track(vehicle, load_case)
    from sim.chassis.linear import understeer_gradient_rad_per_mps2

    u = kmh_to_mps(speed)
    k = understeer_gradient_rad_per_mps2(lin)
    ratio = np.broadcast_to(np.asarray(vehicle.steering.ratio, dtype=float), k.shape)
    half_g = rad_to_deg(ratio * (lin.wheelbase_m + k * u * u) * 0.5 * GRAVITY_MPS2 / (u * u))
    final = float(np.clip(2.0 * half_g.max(), 30.0, 400.0))
    dt = (numerics or Numerics()).output_interval_s
    duration = math.ceil((STEER_START_S + final / rate_deg_per_s + 1.0) / dt) * dt
    direction = np.tile([1.0, -1.0], n)
    profile = slowly_increasing_steer(direction, rate_deg_per_s, STEER_START_S,
                                      duration_s=duration, final_deg=final)
    res, rows = run_set(vehicle, 2, speed_kmh=speed, duration_s=duration,
                        steering_wheel_angle_rad=profile, force_demand_n=0.0,
                        controller="passive", load_case=load_case, road_friction=road_friction,
                        tyre_model=tyre_model, linear_tyre_stiffness=linear_tyre_stiffness,
                        numerics=numerics,
                        record=None if record is None else ("ay_mps2", *record))
    # a run that spun out late in the ramp: measure every run up to the earliest end
    end = int(np.min(np.sum(np.isfinite(res["ay_mps2"]).cumprod(axis=1), axis=1))) - 1
    t = res.time_s[:end + 1]
    sis = metrics.fmvss126_slowly_increasing_steer(
        t, profile.sample(t), res["ay_mps2"][:, :end + 1])
    angles = sis.angle_at_target_deg.reshape(n, 2)
    a_deg = np.round(np.abs(angles).mean(axis=1), 1)
    return a_deg, angles[:, 0], angles[:, 1], (res, profile)


def sine_with_dwell(vehicle: Vehicle, *, controller: str = "passive", sis_angle_deg=None,
                    speed_kmh: float = 80.0, load_case: str = DEFAULT_LOAD_CASE,
                    road_friction=1.0, tyre_model: str = "mf61", linear_tyre_stiffness=None,
                    numerics: Numerics | None = None, histories: bool = True
                    ) -> ManeuverResult:
    """FMVSS 126 sine with dwell of every member of ``vehicle``: A, every run, the verdict.

    1. **A** (steering-wheel angle giving 0.3 g in the Slowly Increasing Steer test) is found
       for the **module-off** car by :func:`find_sis_angle_deg` unless ``sis_angle_deg`` (> 0,
       scalar or (N,)) is given, e.g. the module-off value when ``controller`` is ``"adm"``
       (with a controller other than ``"passive"`` and no A given, A is still found module
       off, so a difference comes from the controller alone).
    2. **Series**: amplitudes :func:`sim.driver.open_loop.fmvss126_amplitude_series` (1.5 A in
       steps of 0.5 A up to max(6.5 A, 270 deg), capped at 300 deg), each counter-clockwise
       first and clockwise first; 0.7 Hz sine with a 500 ms dwell at the second peak
       (:func:`sim.driver.open_loop.sine_with_dwell`), starting at 0.5 s; entry at
       ``speed_kmh`` (80 km/h), throttle released (force demand 0, coasting), recorded until
       COS + 2 s. All amplitudes x directions x members run as **one** :func:`sim.simulate`
       call (members may have series of different lengths).
    3. **Criteria** per run (:func:`sim.metrics.fmvss126_sine_with_dwell`): yaw rate at
       COS + 1.000 s <= 35 % and at COS + 1.750 s <= 20 % of the first peak after the steering
       changes sign; lateral displacement of the CG at BOS + 1.07 s >= 1.83 m (GVWR <= 3500 kg)
       or 1.52 m (GVWR above), judged for amplitudes >= 5 A only. GVWR is the vehicle file's
       ``info.gross_vehicle_weight_rating_kg``. A run that spins out (Result status
       ``"spun out"``) is a failed run with ``run_spun_out`` True, not an exception.
    4. **Verdict** per member: ``passed`` when every run passes.

    Metrics (N,) in :data:`SINE_WITH_DWELL_UNITS`: A and its left/right angles, the worst
    (largest) ratios over the runs that did not spin out (``runs_spun_out`` counts the others;
    NaN when every run spun), the smallest judged displacement, the first amplitude
    that failed (NaN when none did), counts, and ``passed``. Per run (N, R) in ``per_run``
    (:data:`PER_RUN_UNITS`), columns ``run_labels`` ("ccw 0", ... then "cw 0", ...), padded
    where a member has fewer runs (``valid`` False there). Run sets: ``"sis"`` (only when A was
    found) and ``"swd"``. ``histories=False`` keeps only the channels the metrics read
    (:data:`METRIC_CHANNELS`): the same metrics, bit for bit, for less memory.
    """
    vehicle = require_vehicle(vehicle)
    speed = check_speed_kmh(speed_kmh)
    controller = check_controller(controller)
    n = vehicle.batch_size
    common = dict(load_case=load_case, road_friction=road_friction, tyre_model=tyre_model,
                  linear_tyre_stiffness=linear_tyre_stiffness, numerics=numerics)
    record = None if histories else METRIC_CHANNELS
    results, rows_of, inputs = {}, {}, {}
    left = right = np.full(n, np.nan)
    if sis_angle_deg is None:
        a_deg, left, right, sis_res = find_sis_angle_deg(vehicle, speed_kmh=speed,
                                                         record=record, **common)
        results["sis"], inputs["sis"] = sis_res
        rows_of["sis"] = np.arange(2 * n).reshape(n, 2)
        found = "found (module off, one run per direction)"
    else:
        given = np.asarray(sis_angle_deg, dtype=float) if not isinstance(
            sis_angle_deg, bool) else np.array(np.nan)
        if given.ndim > 1 or given.size not in (1, n) or not np.all(np.isfinite(given)) \
                or not np.all((given > 0.0) & (given <= 300.0)):
            raise SpecError(_SOURCE, "sis_angle_deg", sis_angle_deg,
                            f"A in (0, 300] [deg], one number or one per member ({n})")
        a_deg = np.broadcast_to(given.reshape(-1), (n,)).astype(float)
        found = "given"

    series = [fmvss126_amplitude_series(float(a)) for a in a_deg]
    per_member = [2 * s.size for s in series]
    owner = np.repeat(np.arange(n), per_member)
    amplitude = np.concatenate([np.r_[s, s] for s in series])
    direction = np.concatenate([np.r_[np.ones(s.size), -np.ones(s.size)] for s in series])
    dt = (numerics or Numerics()).output_interval_s
    profile0 = swd_profile(amplitude, direction, STEER_START_S)
    cos = cos_time_s(profile0)
    duration = math.ceil((float(cos.max()) + AFTER_COS_S) / dt - 1e-9) * dt
    profile = swd_profile(amplitude, direction, STEER_START_S, duration_s=duration)
    res, rows = run_set(vehicle, owner, speed_kmh=speed, duration_s=duration,
                        steering_wheel_angle_rad=profile, force_demand_n=0.0,
                        controller=controller, record=record, **common)
    results["swd"], inputs["swd"] = res, profile
    rows_of["swd"] = rows
    gvwr = np.broadcast_to(np.asarray(vehicle.info.gross_vehicle_weight_rating_kg, dtype=float),
                           (n,))
    m = metrics.fmvss126_sine_with_dwell(res, profile, gvwr_kg=gvwr[owner],
                                         sis_angle_deg=a_deg[owner], cos_time_s=cos)
    spun = m.spun_out | ~np.isin(res.status, ("ok", "stopped"))
    passed = m.passed & ~spun

    width = max(per_member)
    half = width // 2
    run_labels = tuple([f"ccw {j}" for j in range(half)] + [f"cw {j}" for j in range(half)])
    per_run = {}
    fields = {"amplitude_deg": m.amplitude_deg, "direction": m.first_steer_direction,
              "peak_yaw_rate_deg_per_s": rad_to_deg(m.peak_yaw_rate_radps),
              "yaw_rate_ratio_1000ms": m.yaw_rate_ratio_1000ms,
              "yaw_rate_ratio_1750ms": m.yaw_rate_ratio_1750ms,
              "lateral_displacement_m": m.lateral_displacement_m,
              "displacement_applies": m.displacement_applies, "run_passed": passed,
              "run_spun_out": spun, "valid": np.ones(owner.size, dtype=bool)}
    for key, value in fields.items():
        value = np.asarray(value)
        fill = False if value.dtype == bool else (0 if value.dtype.kind == "i" else np.nan)
        table = np.full((n, width), fill, dtype=value.dtype)
        for i, r in enumerate(rows):
            k = r.size // 2
            table[i, :k] = value[r[:k]]
            table[i, half:half + k] = value[r[k:]]
        per_run[key] = table

    valid = per_run["valid"]
    judged = valid & per_run["displacement_applies"]
    # worst ratios over the runs that have them (a spun-out run has none: counted apart)
    measured = valid & ~per_run["run_spun_out"]
    worst_1000 = np.where(measured, per_run["yaw_rate_ratio_1000ms"], -np.inf).max(axis=1)
    worst_1750 = np.where(measured, per_run["yaw_rate_ratio_1750ms"], -np.inf).max(axis=1)
    worst_1000 = np.where(measured.any(axis=1), worst_1000, np.nan)
    worst_1750 = np.where(measured.any(axis=1), worst_1750, np.nan)
    spun_runs = (valid & per_run["run_spun_out"]).sum(axis=1)
    min_disp = np.where(judged, per_run["lateral_displacement_m"], np.inf).min(axis=1)
    min_disp = np.where(judged.any(axis=1), min_disp, np.nan)
    failed = valid & ~per_run["run_passed"]
    first_failed = np.where(failed, per_run["amplitude_deg"], np.inf).min(axis=1)
    values = {
        "sis_angle_deg": a_deg,
        "sis_angle_left_deg": np.asarray(left, dtype=float),
        "sis_angle_right_deg": np.asarray(right, dtype=float),
        "gvwr_kg": gvwr.copy(),
        "required_displacement_m": np.where(gvwr <= metrics.FMVSS126_HEAVY_GVWR_KG,
                                            metrics.FMVSS126_MIN_DISPLACEMENT_M,
                                            metrics.FMVSS126_MIN_DISPLACEMENT_HEAVY_M),
        "runs": np.array(per_member, dtype=np.int64),
        "runs_passed": (valid & per_run["run_passed"]).sum(axis=1),
        "runs_spun_out": spun_runs,
        "max_yaw_rate_ratio_1000ms": worst_1000,
        "max_yaw_rate_ratio_1750ms": worst_1750,
        "min_lateral_displacement_m": min_disp,
        "first_failed_amplitude_deg": np.where(np.isfinite(first_failed), first_failed, np.nan),
        "passed": ~failed.any(axis=1),
    }
    labels = {"vehicle": vehicle.name, "controller": controller, "speed_kmh": speed,
              "sis_angle": found, "load_case": load_case, "tyre_model": tyre_model,
              "definition": "FMVSS 126 (49 CFR 571.126) S5.2, via REFERENCES.md 2.3 [K/S]"}
    return ManeuverResult("fmvss126_sine_with_dwell", results, values,
                          dict(SINE_WITH_DWELL_UNITS) | dict(PER_RUN_UNITS), labels,
                          per_run, run_labels, rows_of, inputs)

