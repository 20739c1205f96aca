"""Study throughput: points per second of a step-steer study, module on, against the bare
batch and against CommonRoad's multi-body model run one point after another.

    python benchmarks/study.py [--points 1000] [--repeats 3] [--chunk 250] [--peer-runs 20]
                               [--skip-peer] [--scheme rk4|rosenbrock] [--search]

Case: ``--points`` ISO 7401 step steers of the built-in coupe (two-track model, MF 6.1,
``sim.maneuvers.step_steer`` with ``controller="adm"``, 4 s each, at a steering-wheel
amplitude of 30 degrees: one run per point, as the peer's), one per point of a
Latin-hypercube sample over the pack split (``split.front_energy_share`` 0.2-0.8) and the
road friction (0.7-1.0). ``--search``: each point first searches (module off) the amplitude
that gives 4 m/s² steady, as ISO 7401 asks and the maneuver does by default, which the peer
does not do (about twice the work).

Rows (wall-clock medians of ``--repeats`` runs after one warm-up, kernels already cached):

* study, serial -- ``run_study(study, progress=False)`` (chunks of ``--chunk`` points);
* study, 2 processes -- ``run_study(study, executor=2)`` (a fresh pool each time, included);
* study, 2 processes, pool reused -- ``run_study(study, executor=pool)`` with one spawn
  ``ProcessPoolExecutor(2)`` kept across the runs (a session's pool or Dask client, whose
  start-up -- spawning, importing ``sim``, loading the kernels -- is paid once);
* bare batch, maneuver -- ``step_steer(batch, controller="adm", road_friction=...)`` on the
  same 1 000-member batch in one call (what the study does without its machinery);
* bare batch, simulate -- only the final module-on ``simulate`` of that maneuver, one call;
* CommonRoad MB -- ``benchmarks/peers/commonroad_mb.py``, one 4 s step steer per point, one
  after another (measured on ``--peer-runs`` runs and scaled).

``--scheme``: the integration of every sim row: ``rosenbrock`` (the library's default, the
Rosenbrock-W scheme at 10 ms) or ``rk4`` (RK4 at 2 ms, the default before it; set in the
study as ``numerics.*`` and passed to the bare batch alike; the step-steer metrics of the two
agree within 0.5 %, tests/validation/test_rosenbrock_scheme.py).

Targets (issue 10): the study at least 25x faster than the sequential peer, and within a
factor 1.5 of the bare batch.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from energy import cpu_model  # noqa: E402
from energy import median_time as median_s

DURATION_S = 4.0
AMPLITUDE_DEG = 30.0  # steering-wheel step of each point without --search


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--chunk", type=int, default=250, help="points per chunk")
    parser.add_argument("--peer-runs", type=int, default=20)
    parser.add_argument("--skip-peer", action="store_true")
    parser.add_argument("--scheme", choices=("rk4", "rosenbrock"), default="rosenbrock")
    parser.add_argument("--search", action="store_true",
                        help="each point searches its ISO 7401 amplitude first")
    args = parser.parse_args(argv)

    import os

    import numpy as np

    import sim
    from sim.driver import iso7401_step_steer
    from sim.maneuvers import resistance_force_n, step_steer
    from sim.study import Sample, Study, run_study
    from sim.study.definition import numerics_of

    amplitude = {} if args.search else {"maneuver.steering_wheel_amplitude_deg": AMPLITUDE_DEG}
    stepping = {} if args.scheme == "rosenbrock" else {
        "numerics.scheme": "rk4", "numerics.time_step_s": 0.002,
        "numerics.output_interval_s": 0.01}
    numerics = numerics_of(stepping)  # None: the maneuver's own default (Rosenbrock-W)
    study = Study(name="benchmark", variants=("coupe",), maneuvers=("step_steer",),
                  sample=Sample({"split.front_energy_share": (0.2, 0.8),
                                 "road.friction": (0.7, 1.0)}, n=args.points,
                                method="latin_hypercube", seed=1),
                  fixed={"maneuver.controller": "adm", "maneuver.duration_s": DURATION_S,
                         **stepping, **amplitude},
                  chunk_size=args.chunk)
    plan = study.plan()
    batch = plan.batch(list(range(len(plan))))
    friction = np.array([p["road.friction"] for p in plan.points])

    def bare_maneuver():
        return step_steer(batch, controller="adm", duration_s=DURATION_S,
                          road_friction=friction, numerics=numerics,
                          steering_wheel_amplitude_deg=None if args.search else AMPLITUDE_DEG)

    found = bare_maneuver()
    amp = np.asarray(found.labels["amplitude_tried_deg"])
    profile = iso7401_step_steer(amp, 400.0, 0.5, duration_s=DURATION_S)
    force = resistance_force_n(batch, 80.0 / 3.6)

    def bare_simulate():
        return sim.simulate(batch, speed_kmh=80.0, duration_s=DURATION_S,
                            steering_wheel_angle_rad=profile, force_demand_n=force,
                            controller="adm", road_friction=friction, numerics=numerics)

    print(f"CPU: {cpu_model()} ({os.cpu_count()} logical cores); {args.points} step steers "
          f"(coupe, module on, {DURATION_S:g} s, "
          f"{'Rosenbrock-W at 10 ms, the default' if numerics is None else 'RK4 at 2 ms'}, "
          f"{'amplitude searched' if args.search else f'{AMPLITUDE_DEG:g} deg'}), "
          f"chunks of {args.chunk}; medians of "
          f"{args.repeats} runs")
    rows = {}

    def show(name, seconds):
        rows[name] = seconds
        print(f"  {name:44s}  {seconds:8.2f} s  {args.points / seconds:9.1f} points/s",
              flush=True)

    show("study, serial", median_s(lambda: run_study(study, progress=False), args.repeats))
    show("study, 2 processes", median_s(
        lambda: run_study(study, executor=2, progress=False), args.repeats))
    import concurrent.futures as cf
    import multiprocessing

    with cf.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        show("study, 2 processes, pool reused", median_s(
            lambda: run_study(study, executor=pool, progress=False), args.repeats))
    show("bare batch: step_steer (one call)", median_s(bare_maneuver, args.repeats))
    show("bare batch: final simulate only", median_s(bare_simulate, args.repeats))
    peer = None
    if not args.skip_peer:
        from peers.commonroad_mb import time_mb_runs

        timing = time_mb_runs(args.peer_runs, repeats=1, duration_s=DURATION_S)
        peer = timing.scaled_s(args.points)
        show(f"CommonRoad MB, one after another (from {args.peer_runs})", peer)
    bare = rows["bare batch: step_steer (one call)"]
    for name in ("study, serial", "study, 2 processes", "study, 2 processes, pool reused"):
        line = f"  {name}: {rows[name] / bare:4.2f}x the bare batch's time"
        if peer:
            line += f", {peer / rows[name]:6.1f}x faster than the peer"
        print(line)
    frame = run_study(study, progress=False)
    frame_ok = int((frame["status"] == "ok").sum())
    ok = int(np.sum(frame["run_ok"].astype(bool)))
    print(f"  ({frame_ok} points ok, {ok} runs without spin-out; "
          f"{int(np.sum(found.metrics['run_ok']))} in the bare batch)")


if __name__ == "__main__":
    main()
