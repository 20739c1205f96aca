"""The headline comparison: every built-in variant, module off and on, the standard maneuvers.

One row per (variant, controller) with the figures a test report would lead with. Steer
amplitudes a procedure finds (the step-steer angle, sine-with-dwell's A) are found with the
module off and held fixed for the module-on row, so a difference comes from the module alone;
the lane change uses the same driver for both. A variant whose drivetrain has nothing for the
module to act on (the combustion coupé's single engine through an open differential) gets a
row that says so instead of repeating the module-off row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.errors import SpecError
from sim.maneuvers.lane_change import double_lane_change
from sim.maneuvers.sine_with_dwell import sine_with_dwell
from sim.maneuvers.steady_state import constant_radius
from sim.maneuvers.step_steer import step_steer
from sim.maneuvers.straight_line import straight_line
from sim.spec.loader import list_vehicles, load_vehicle

#: Columns of a headline row: (key, header, unit, format).
HEADLINE_COLUMNS = (
    ("variant", "variant", "", ""),
    ("adm", "adm", "", ""),
    ("understeer_gradient_deg_per_g", "U 40 m", "deg/g", ".2f"),
    ("max_lateral_acceleration_g", "ay max 40 m", "g", ".3f"),
    ("yaw_rate_overshoot_pct", "r overshoot", "%", ".1f"),
    ("yaw_rate_response_time_s", "r resp. time", "s", ".3f"),
    ("swd_verdict", "FMVSS 126", "", ""),
    ("swd_first_failed_deg", "SWD fails at", "deg", ".0f"),
    ("lane_change_kmh", "ISO 3888-2", "km/h", ".1f"),
    ("time_0_100_s", "0-100", "s", ".2f"),
    ("stopping_distance_m", "100-0", "m", ".1f"),
)


@dataclass
class Headline:
    """The comparison: ``rows`` (one dict per variant and controller, keys of
    :data:`HEADLINE_COLUMNS` plus ``note``) and the maneuver results behind them,
    ``maneuvers[(variant, controller)][maneuver name]``."""

    rows: list[dict] = field(default_factory=list)
    maneuvers: dict = field(default_factory=dict)


def _row(variant: str, controller: str, m: dict) -> dict:
    circle, step, swd = m["constant_radius"], m["step_steer"], m["sine_with_dwell"]
    lane, line = m["lane_change"], m["straight_line"]
    return {
        "variant": variant, "adm": "on" if controller == "adm" else "off",
        "understeer_gradient_deg_per_g": float(circle["understeer_gradient_deg_per_g"][0]),
        "max_lateral_acceleration_g": float(circle["max_steady_lateral_acceleration_g"][0]),
        "yaw_rate_overshoot_pct": 100.0 * float(step["yaw_rate_overshoot"][0]),
        "yaw_rate_response_time_s": float(step["yaw_rate_response_time_s"][0]),
        "swd_verdict": "pass" if bool(swd["passed"][0]) else
        f"FAIL ({int(swd['runs_spun_out'][0])}/{int(swd['runs'][0])} spun)",
        "swd_first_failed_deg": float(swd["first_failed_amplitude_deg"][0]),
        "lane_change_kmh": float(lane["max_entry_speed_kmh"][0]),
        "time_0_100_s": float(line["time_0_100_kmh_s"][0]),
        "stopping_distance_m": float(line["stopping_distance_100_0_kmh_m"][0]),
        "note": "",
    }


def _nothing_to_vectorise(vehicle) -> str | None:
    """Why the module has nothing to act on in ``vehicle`` (None when it has)."""
    drivetrain = vehicle.drivetrain
    if drivetrain is not None and drivetrain.layout == "single_rear":
        kinds = {m.kind for m in drivetrain.motors.values()}
        what = "one engine" if kinds == {"combustion"} else "one machine"
        return (f"nothing to vectorise: {what} drives the rear axle through an open "
                "differential (the module-off row is the car)")
    if getattr(vehicle, "adm", None) is None:
        return "no [adm] section in the vehicle file"
    return None


def run_maneuvers(vehicle, controller: str = "passive", *, step_amplitude_deg=None,
                  sis_angle_deg=None) -> dict:
    """The headline maneuvers of one vehicle with ``controller``: ISO 4138 40 m constant
    radius, ISO 7401 step steer (80 km/h, 4 m/s²), FMVSS 126 sine with dwell, ISO 3888-2,
    straight line. ``step_amplitude_deg``, ``sis_angle_deg``: the module-off amplitudes to
    hold (found when None)."""
    return {
        "constant_radius": constant_radius(vehicle, radius_m=40.0, controller=controller),
        "step_steer": step_steer(vehicle, controller=controller,
                                 steering_wheel_amplitude_deg=step_amplitude_deg),
        "sine_with_dwell": sine_with_dwell(vehicle, controller=controller,
                                           sis_angle_deg=sis_angle_deg),
        "lane_change": double_lane_change(vehicle, standard="iso3888_2", controller=controller),
        "straight_line": straight_line(vehicle, controller=controller,
                                       acceleration_duration_s=12.0),
    }


def headline(variants=None, controllers=("passive", "adm")) -> Headline:
    """Run the headline maneuvers for ``variants`` (built-in names; default all) and
    ``controllers`` (``"passive"`` = module off, ``"adm"`` = module on). Returns a
    :class:`Headline`. A controller that cannot act on a variant (the module raises a
    :class:`~sim.errors.SpecError` for it) gives a row of NaN whose ``note`` says why."""
    out = Headline()
    for name in variants or list_vehicles():
        vehicle = load_vehicle(name)
        off = None
        for controller in controllers:
            if controller != "passive" and off is None:
                off = run_maneuvers(vehicle)
            held = {} if off is None else {
                "step_amplitude_deg": np.abs(off["step_steer"]["steering_wheel_amplitude_deg"]),
                "sis_angle_deg": off["sine_with_dwell"]["sis_angle_deg"]}
            reason = _nothing_to_vectorise(vehicle) if controller == "adm" else None
            try:
                found = None if reason else off if (controller == "passive" and off is not None) \
                    else run_maneuvers(vehicle, controller, **held)
            except SpecError as exc:
                reason = f"the module refused: {exc}"
            if reason:
                row = {k: "-" for k, *_ in HEADLINE_COLUMNS}
                row.update(variant=name, adm="on" if controller == "adm" else "off",
                           note=reason)
                out.rows.append(row)
                continue
            if controller == "passive":
                off = found
            out.maneuvers[(name, controller)] = found
            out.rows.append(_row(name, controller, found))
    return out


__all__ = ["HEADLINE_COLUMNS", "Headline", "headline", "run_maneuvers"]
