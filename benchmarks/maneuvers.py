"""Maneuver-layer throughput: medians of repeated runs and the batch's gain over a loop.

    python benchmarks/maneuvers.py [--repeats 3] [--skip-cold]

Rows:

* **ISO 4138 40 m circle, 8 pack splits**: one ``constant_radius`` call on the batch of 8
  (8 x 52 closed-loop runs of 14 s as one compiled call) against 8 calls, one per split (what a
  per-vehicle Python loop would do); the ratio is what batch-first buys.
* **ISO 3888-2 search, 8 pack splits**: the same for ``double_lane_change`` (grid + 3 rounds).
* **the headline comparison** (``python -m sim demo``'s table: 5 variants, module off and on,
  circle, step steer, sine with dwell, ISO 3888-2, straight line).
* **cold start**: a fresh process with an empty kernel cache (``SIM_CACHE_DIR`` pointing at a
  new folder) to its first closed-loop result with the module on, and the same process again
  with the cache filled.

Times are wall-clock medians; each timed call is preceded by one untimed call (compilation and
cache loading are not timed, except in the cold-start row). The machine and its load change the
figures: run it on a quiet machine, and compare ratios rather than absolute times.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from peers.commonroad_mb import median_time_s  # noqa: E402  (benchmarks/ is the script's folder)

import sim  # noqa: E402
from sim.maneuvers import constant_radius, double_lane_change  # noqa: E402
from sim.maneuvers.headline import headline  # noqa: E402


def median_time(call, repeats: int) -> float:
    """Median wall time [s] of ``repeats`` calls after one untimed call (compilation and cache
    loading)."""
    call()
    return median_time_s(call, repeats)


_COLD = """
import time
start = time.perf_counter()
import sim
res = sim.simulate(sim.load_vehicle("coupe"), speed_kmh=[60.0, 60.0], duration_s=2.0,
                   path=sim.driver.Path.circle(40.0), target_speed_kmh=60.0, controller="adm")
print(time.perf_counter() - start)
"""


def cold_start() -> tuple[float, float]:
    """Seconds to the first closed-loop, module-on result in a fresh process: with an empty
    kernel cache, then with the cache that run filled."""
    with tempfile.TemporaryDirectory() as folder:
        env = dict(os.environ, SIM_CACHE_DIR=folder, PYTHONPATH=str(ROOT))
        env.pop("NUMBA_CACHE_DIR", None)
        times = []
        for _ in range(2):
            run = subprocess.run([sys.executable, "-c", _COLD], env=env, check=True,
                                 capture_output=True, text=True, cwd=ROOT)
            times.append(float(run.stdout.split()[-1]))
    return times[0], times[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-cold", action="store_true")
    args = parser.parse_args()
    coupe = sim.load_vehicle("coupe")
    splits = sim.split_packs(coupe, np.linspace(0.1, 0.9, 8)).vehicle
    members = [sim.member(splits, i) for i in range(splits.batch_size)]
    print(f"maneuvers benchmark, {os.cpu_count()} cores, numba threads "
          f"{__import__('numba').get_num_threads()}, median of {args.repeats}")
    for name, run in (("ISO 4138 40 m circle", constant_radius),
                      ("ISO 3888-2 search", double_lane_change)):
        batch = median_time(lambda run=run: run(splits), args.repeats)
        loop = median_time(lambda run=run: [run(m) for m in members], args.repeats)
        print(f"  {name}, 8 pack splits: one batch {batch:6.2f} s, a loop of 8 calls "
              f"{loop:6.2f} s, ratio {loop / batch:4.1f}x")
    table = median_time(headline, max(1, args.repeats - 2))
    print(f"  headline comparison (5 variants, module off and on): {table:6.1f} s")
    if not args.skip_cold:
        cold, warm = cold_start()
        print(f"  fresh process to a first module-on closed-loop result: empty kernel cache "
              f"{cold:5.1f} s, cache filled {warm:5.2f} s")


if __name__ == "__main__":
    main()
