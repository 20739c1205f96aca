"""What torque vectoring costs, for the README: tyre utilisation and machine and brake energy
(:func:`sim.adm.costs`) of the coupé module off and on, on the 40 m circle at a fixed speed
(path follower, speed held) and in the FMVSS 126 sine with dwell (SIS angle found module
off, held), and per actuator layout on the circle.

    python docs/figures/adm_costs_table.py        (prints Markdown tables)
"""

import dataclasses
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
import sim  # noqa: E402
from sim.adm import costs, with_layout  # noqa: E402
from sim.maneuvers import sine_with_dwell  # noqa: E402

SPEED_KMH = 60.0        # on the 40 m circle: 6.9 m/s², 0.71 g
DURATION_S, WINDOW_FROM_S = 10.0, 5.0
WHEELS = ("fl", "fr", "rl", "rr")


def machines_only(vehicle):
    return dataclasses.replace(vehicle, adm=dataclasses.replace(vehicle.adm,
                                                                brake_vectoring="off"))


def circle(vehicle, controller):
    res = sim.simulate(vehicle, speed_kmh=SPEED_KMH, duration_s=DURATION_S,
                       controller=controller, path=sim.driver.Path.circle(40.0, laps=1.0),
                       target_speed_kmh=SPEED_KMH)
    assert res.status[0] == "ok", res.status
    c = costs(res, vehicle, t_from_s=WINDOW_FROM_S)
    late = res.time_s >= WINDOW_FROM_S
    c["ay_mps2"] = np.array([np.mean(res["ay_mps2"][0][late])])
    return {k: float(v[0]) for k, v in c.items()}


def kj(value):
    return f"{value / 1e3:.1f}"


def main():
    coupe = sim.load_vehicle("coupe")
    cars = {"module off": (coupe, "passive"),
            "adm on, machines only": (machines_only(coupe), "adm"),
            "adm on, built-in (brake vectoring on)": (coupe, "adm")}
    window = DURATION_S - WINDOW_FROM_S
    print(f"Coupé, driver aboard. 40 m circle at {SPEED_KMH:.0f} km/h (path follower, speed "
          f"held), the last {window:.0f} s; utilisation sqrt(Fx² + Fy²) / (mu Fz) with mu the "
          "road friction times the tyre's MF 6.1 lateral peak at its load.\n")
    rows = {name: circle(v, c) for name, (v, c) in cars.items()}
    print("| circle | " + " | ".join(rows) + " |")
    print("| --- |" + " --- |" * len(rows))
    lines = [("mean lateral acceleration [m/s²]", lambda r: f"{r['ay_mps2']:.2f}")]
    for w in WHEELS:
        lines.append((f"mean utilisation {w.upper()}",
                      lambda r, w=w: f"{r[f'mean_utilisation_{w}']:.3f}"))
    lines += [("peak utilisation (any wheel)", lambda r: f"{r['peak_utilisation']:.3f}"),
              (f"machine energy drawn [kJ in {window:.0f} s]",
               lambda r: kj(r["machine_energy_drawn_j"])),
              ("machine energy recovered [kJ]", lambda r: kj(r["machine_energy_recovered_j"])),
              ("friction-brake energy [kJ]", lambda r: kj(r["friction_brake_energy_j"]))]
    for label, fmt in lines:
        print(f"| {label} | " + " | ".join(fmt(r) for r in rows.values()) + " |")

    sis = sine_with_dwell(coupe).metrics["sis_angle_deg"][0]
    swd = {}
    for name, (v, c) in cars.items():
        m = sine_with_dwell(v, controller=c, sis_angle_deg=sis)
        res = m.results["swd"]
        swd[name] = (costs(res, v), res.status == "ok")
    common = np.logical_and.reduce([ok for _, ok in swd.values()])
    print(f"\nFMVSS 126 sine with dwell (SIS {sis:.1f} deg, 58 runs, throttle released), means "
          f"per run over the {int(common.sum())} runs no configuration spun out in, and over "
          "all 58 (the module-off car spins in 40: not comparable):\n")
    print("| sine with dwell | " + " | ".join(swd) + " |")
    print("| --- |" + " --- |" * len(swd))
    for label, key, fmt in (("peak utilisation (any wheel)", "peak_utilisation", "{:.3f}"),
                            ("mean utilisation (four wheels)", "mean_utilisation", "{:.3f}"),
                            ("machine energy drawn [kJ]", "machine_energy_drawn_j", None),
                            ("machine energy recovered [kJ]", "machine_energy_recovered_j",
                             None),
                            ("friction-brake energy [kJ]", "friction_brake_energy_j", None)):
        for runs, which in ((common, f"{int(common.sum())} runs"), (None, "58 runs")):
            cells = []
            for c, ok in swd.values():
                if runs is None and not np.all(ok):
                    cells.append("-")
                    continue
                value = float(np.mean(c[key] if runs is None else c[key][runs]))
                cells.append(kj(value) if fmt is None else fmt.format(value))
            print(f"| {label}, {which} | " + " | ".join(cells) + " |")

    print(f"\nActuator layouts (sim.adm.with_layout, 420 kW each; module on as built in, brake "
          f"vectoring on), 40 m circle at {SPEED_KMH:.0f} km/h, the last {window:.0f} s: "
          "mean utilisation of the most-used wheel, peak utilisation, machine energy drawn / "
          "recovered, friction-brake energy [kJ]:\n")
    print("| layout | module off | adm on |")
    print("| --- | --- | --- |")
    for layout in ("single_rear", "one_per_axle", "front_and_two_rear", "four_wheel"):
        vehicle = with_layout(coupe, layout)
        cells = []
        for controller in ("passive", "adm"):
            try:
                r = circle(vehicle, controller)
            except sim.SpecError:
                cells.append("refused: nothing to vectorise")
                continue
            most = max(r[f"mean_utilisation_{w}"] for w in WHEELS)
            cells.append(f"{most:.3f}, {r['peak_utilisation']:.3f}; "
                         f"{kj(r['machine_energy_drawn_j'])} / "
                         f"{kj(r['machine_energy_recovered_j'])}; "
                         f"{kj(r['friction_brake_energy_j'])}")
        print(f"| {layout} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
