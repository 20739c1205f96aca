"""The dynamic module off against on, for the README: ISO 4138 40 m constant radius, ISO 7401
step steer at 80 km/h (amplitude found for the module-off car to reach 4 m/s², held for every
other run) and FMVSS 126 sine with dwell (SIS angle found module off, held), the coupé with
its own layout, both estimators, with brake vectoring (the built-in setting) and with the
machines only, and the four actuator layouts.

    python docs/figures/adm_off_on_table.py        (prints Markdown tables)
"""

import dataclasses
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
import sim  # noqa: E402
from sim.adm import with_layout  # noqa: E402
from sim.maneuvers import constant_radius, sine_with_dwell, step_steer  # noqa: E402

ROWS = (("understeer gradient, 40 m circle [deg/g]", "cr", "understeer_gradient_deg_per_g", 2),
        ("max steady lateral acceleration, 40 m circle [m/s²]", "cr",
         "max_steady_lateral_acceleration_mps2", 2),
        ("step steer 80 km/h: steady lateral acceleration [m/s²]", "ss",
         "steady_lateral_acceleration_mps2", 2),
        ("step steer: yaw-rate response time (90 %) [s]", "ss", "yaw_rate_response_time_s", 3),
        ("step steer: yaw-rate peak response time [s]", "ss", "yaw_rate_peak_response_time_s",
         3),
        ("step steer: yaw-rate overshoot [%]", "ss", "yaw_rate_overshoot", 1),
        ("sine with dwell (58 runs): spun out", "swd", "runs_spun_out", 0),
        ("sine with dwell: runs meeting FMVSS 126", "swd", "runs_passed", 0))


def measure(vehicle, controller, amplitude, sis):
    return {"cr": constant_radius(vehicle, radius_m=40.0, controller=controller).metrics,
            "ss": step_steer(vehicle, speed_kmh=80.0, controller=controller,
                             steering_wheel_amplitude_deg=amplitude).metrics,
            "swd": sine_with_dwell(vehicle, controller=controller, sis_angle_deg=sis).metrics}


def value(m, kind, key, digits):
    v = float(m[kind][key][0]) * (100.0 if key.endswith("overshoot") else 1.0)
    return f"{v:.{digits}f}"


def main():
    coupe = sim.load_vehicle("coupe")
    amplitude = step_steer(coupe, speed_kmh=80.0).metrics["steering_wheel_amplitude_deg"][0]
    sis = sine_with_dwell(coupe).metrics["sis_angle_deg"][0]
    # the built-in coupé has brake vectoring on (ESC-like); "machines only" turns it off
    machines = dataclasses.replace(coupe, adm=dataclasses.replace(coupe.adm,
                                                                  brake_vectoring="off"))
    measured = dataclasses.replace(coupe, adm=dataclasses.replace(coupe.adm,
                                                                  estimator="measured"))
    machines_measured = dataclasses.replace(measured, adm=dataclasses.replace(
        measured.adm, brake_vectoring="off"))
    columns = {"module off": measure(coupe, "passive", amplitude, sis),
               "adm on, machines only (ideal estimator)": measure(machines, "adm", amplitude,
                                                                  sis),
               "adm on, machines only (measured estimator)": measure(machines_measured, "adm",
                                                                     amplitude, sis),
               "adm on, built-in: brake vectoring on (ideal)": measure(coupe, "adm",
                                                                       amplitude, sis),
               "adm on, brake vectoring on (measured)": measure(measured, "adm", amplitude,
                                                                sis)}
    print(f"Coupé, driver aboard; step-steer amplitude {amplitude:.1f} deg (module off, "
          f"4 m/s²), sine-with-dwell SIS angle {sis:.1f} deg (module off), held.\n")
    print("| | " + " | ".join(columns) + " |")
    print("| --- |" + " --- |" * len(columns))
    for label, kind, key, digits in ROWS:
        print(f"| {label} | " + " | ".join(value(m, kind, key, digits)
                                           for m in columns.values()) + " |")
    print("\nActuator layouts (the invented machine sets of sim.adm.LAYOUT_MACHINES, 420 kW "
          "each), 40 m circle, understeer gradient [deg/g] / max steady a_y [m/s²]:\n")
    print("| layout | module off | adm on (built-in: brake vectoring on) | adm on, machines "
          "only |")
    print("| --- | --- | --- | --- |")
    for layout in ("single_rear", "one_per_axle", "front_and_two_rear", "four_wheel"):
        vehicle = with_layout(coupe, layout)
        cells = []
        for controller, car in (("passive", vehicle), ("adm", vehicle),
                                ("adm", dataclasses.replace(vehicle, adm=dataclasses.replace(
                                    vehicle.adm, brake_vectoring="off")))):
            try:
                m = constant_radius(car, radius_m=40.0, controller=controller).metrics
            except sim.SpecError:
                cells.append("refused: nothing to vectorise")
                continue
            cells.append(f"{m['understeer_gradient_deg_per_g'][0]:.2f} / "
                         f"{m['max_steady_lateral_acceleration_mps2'][0]:.2f}")
        print(f"| {layout} | " + " | ".join(cells) + " |")
    np.seterr(all="ignore")


if __name__ == "__main__":
    main()
