"""Understeer curve of the coupe on a 40 m circle (ISO 4138 constant radius), two-track model.

    python docs/figures/understeer_curve_coupe_40m.py     (about 20 s; writes docs/img/)

Steady states are found by the iterative open-loop search of the two-track limit tests
(tests/validation/test_two_track_limits.py), which corrects steer and drive force until the car
holds the radius at each target lateral acceleration; the standard-maneuver layer will replace
it with a closed-loop ISO 4138 driver.
"""

import sys
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
import sim  # noqa: E402
from sim.chassis.linear import understeer_gradient_rad_per_mps2  # noqa: E402
from sim.params import linear_single_track  # noqa: E402
from sim.units import GRAVITY_MPS2  # noqa: E402
from tests.validation import test_two_track_limits as limits  # noqa: E402

RADIUS_M = 40.0


def main() -> None:
    coupe = sim.load_vehicle("coupe")
    targets = np.concatenate([np.linspace(0.3, 0.95, 14), np.linspace(0.97, 1.15, 19)])
    sweep = limits.constant_radius_sweep(coupe, targets, iterations=40, duration_s=10.0)
    steady = sweep.steady(0.2, 0.02)
    ay = sweep.lateral_acceleration_g
    swa = np.rad2deg(sweep.steering_wheel_angle_rad)
    ratio, wheelbase = coupe.steering.ratio, coupe.geometry.wheelbase_m
    k = understeer_gradient_rad_per_mps2(linear_single_track(coupe))[0]
    bound = limits.friction_bound_g(coupe, sweep.speed_mps).max()

    fig, ax = plt.subplots(figsize=(7.5, 5))
    high = steady & (ay >= 0.595)
    order = np.argsort(ay[high])
    ax.plot(ay[high][order], swa[high][order], "o-", color="C0",
            label="two-track, MF 6.1 tyres (steady states)")
    low = steady & (ay < 0.595)
    ax.plot(ay[low], swa[low], "o", color="C0", alpha=0.35, mfc="none",
            label="two-track below 0.6 g")
    a = np.linspace(0.0, 1.25, 50)
    ax.plot(a, np.rad2deg(ratio * (wheelbase / RADIUS_M + k * a * GRAVITY_MPS2)), "--",
            color="C1", label=f"linear single track, K = {np.rad2deg(k) * GRAVITY_MPS2:.2f} deg/g")
    ax.axhline(np.rad2deg(ratio * wheelbase / RADIUS_M), color="0.5", lw=0.8, ls=":",
               label="Ackermann i_S L/R")
    ax.axvline(bound, color="C3", lw=1.2, label=f"friction bound mu g (1+DF/W) = {bound:.2f} g")
    best = np.argmax(np.where(steady, ay, -1.0))
    ax.plot(ay[best], swa[best], "*", ms=14, color="C3",
            label=f"max steady a_y = {ay[best]:.3f} g")
    ax.set_xlim(0.3, 1.25)
    ax.set_ylim(45, min(200, swa[steady].max() * 1.1))
    ax.set_xlabel("lateral acceleration a_y [g]")
    ax.set_ylabel("steering-wheel angle [deg]")
    ax.set_title("Coupe (driver only), 40 m circle, ISO 4138 constant radius\n"
                 "sim two-track model, INVENTED vehicle data")
    right = ax.secondary_yaxis("right", functions=(lambda x: x / ratio, lambda x: x * ratio))
    right.set_ylabel("mean road-wheel angle [deg]")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    out = ROOT / "docs/img/understeer_curve_coupe_40m.png"
    fig.savefig(out, dpi=110)
    print(f"max steady a_y {ay[best]:.3f} g, bound {bound:.3f} g; wrote {out}")


if __name__ == "__main__":
    main()
