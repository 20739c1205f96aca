"""Energy-layer throughput against FASTSim 3.1 (NREL), measured in the same run.

    python benchmarks/energy.py [--repeats 5] [--splits 1000] [--peer-runs 1000]

Rows (every time a wall-clock median of ``--repeats`` calls after one untimed call, so
compilation and cache loading are not timed; compared **per simulated second**, since the two
tools drive different cycles: sim the WLTC class 3b, 1800 s; FASTSim its own UDDS, 1369 s):

* **(a) one cycle**: ``sim.energy.drive_cycle(coupe, "wltc_class3b")`` (the longitudinal model,
  histories recorded, default 0.5 s step) against one ``fastsim.SimDrive(model3, udds).run()``
  with its per-step history (``tests/parity/fastsim_peer.median_udds_wall_time_s``; FASTSim
  without history also shown). Target: sim faster per simulated second.
* **(b) 1 000 pack splits**: ``sim.split_packs(coupe, shares)`` (front share 0..1 of the
  coupe's 72 kWh) over the WLTC as ONE batch without histories, against ``--peer-runs`` FASTSim
  UDDS runs one after another (without history: its fastest; default as many as the batch
  has members, about 50 s; fewer are scaled, said in the output: a sample of 20 once ran
  at 92 ms per run where 1 000 ran at 47 ms, so a short sample can flatter the ratio).
  Target: >= 100x per simulated second. Both are also given in CPU time (``process_time``:
  the batch's two threads summed): on a machine shared with other work the wall-time ratio
  moves with the load (each runnable thread gets its share of the cores), the ratio of
  simulated seconds per CPU second much less; it counts the work only, so the batch's
  parallelism is not in it (on an idle 2-core machine the wall-time ratio is up to twice it).
* **(c) the two-track model over the WLTC**: ``sim.energy.two_track_cycle(coupe,
  "wltc_class3b")`` (MF 6.1 tyres, wheel spin, load transfer, the closed-loop speed
  controller following the trace, passive controller, regenerating), RK4 at 5 ms and the
  Rosenbrock-W scheme at 10 ms, each one untimed call then ``--two-track-repeats`` timed
  ones (default 1: an RK4 run takes tens of seconds): its wall time per simulated second
  against the longitudinal model's, its battery-terminal kWh/100 km beside the longitudinal
  model's, and its energy balance. ``--two-track-repeats 0`` skips it.

FASTSim is a ``dev`` extra (``pip install fastsim==3.1.0``); without it the peer columns are
skipped. The machine and its load change the figures: compare ratios, not absolute times.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sim  # noqa: E402
from sim.cycles import load_cycle  # noqa: E402
from sim.energy import drive_cycle, two_track_cycle  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fastmath import cpu_flags  # noqa: E402


def median_time(call, repeats: int) -> float:
    """Median wall time [s] of ``repeats`` calls after one untimed call."""
    return median_times(call, repeats)[0]


def median_times(call, repeats: int) -> tuple[float, float]:
    """Median wall time and median CPU time of this process (every thread) [s] of ``repeats``
    calls after one untimed call."""
    call()
    walls, cpus = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        call()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - start_cpu)
    return statistics.median(walls), statistics.median(cpus)


def cpu_model() -> str:
    """The CPU's model name (:func:`fastmath.cpu_flags`, the one reader of /proc/cpuinfo)."""
    return cpu_flags()[0]


def fastsim_peer():
    """The FASTSim helper module, or None without the dev extra."""
    try:
        import fastsim  # noqa: F401
    except ImportError:
        return None
    from tests.parity import fastsim_peer as peer

    return peer


def fastsim_sequential_s(peer, runs: int) -> tuple[float, float]:
    """Wall and CPU time [s] of ``runs`` FASTSim UDDS runs one after another (no history),
    after one untimed run."""
    import fastsim

    vehicle, cycle = peer._vehicle_and_cycle()
    vehicle = vehicle.copy()
    vehicle.set_save_interval(None)
    fastsim.SimDrive(vehicle, cycle).run()
    start, start_cpu = time.perf_counter(), time.process_time()
    for _ in range(runs):
        fastsim.SimDrive(vehicle, cycle).run()
    return time.perf_counter() - start, time.process_time() - start_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed calls per figure")
    parser.add_argument("--splits", type=int, default=1000, help="pack splits in the batch")
    parser.add_argument("--peer-runs", type=int, default=1000,
                        help="FASTSim runs timed one after another (scaled to --splits)")
    parser.add_argument("--two-track-repeats", type=int, default=1,
                        help="timed two-track WLTC runs for row (c) (0: skip it)")
    args = parser.parse_args()
    import warnings

    warnings.filterwarnings("ignore", category=DeprecationWarning)
    import numba

    print(f"energy benchmark: {cpu_model()}, {os.cpu_count()} cores, numba threads "
          f"{numba.get_num_threads()}, medians of {args.repeats} (a shared, loaded machine "
          "changes the absolute figures: compare the ratios)")
    peer = fastsim_peer()
    wltc = load_cycle("wltc_class3b")  # loaded once, as the peer loads its cycle once
    wltc_s = float(wltc.duration_s)
    udds_s = float(load_cycle("udds").duration_s)
    coupe = sim.load_vehicle("coupe")

    # (a) one cycle
    one = median_time(lambda: drive_cycle(coupe, wltc), args.repeats)
    one_bare = median_time(lambda: drive_cycle(coupe, wltc, record=False), args.repeats)
    by_name = median_time(lambda: drive_cycle(coupe, "wltc_class3b"), args.repeats)
    print(f"(a) one WLTC ({wltc_s:.0f} s), sim longitudinal model: {one * 1e3:7.2f} ms "
          f"recorded, {one_bare * 1e3:7.2f} ms energies only = "
          f"{one / wltc_s * 1e6:6.2f} / {one_bare / wltc_s * 1e6:6.2f} us per simulated s "
          f"(cycle given by name, parsed again each call: {by_name * 1e3:.2f} ms)")
    if peer is not None:
        fs = peer.median_udds_wall_time_s(args.repeats)
        fs_bare = peer.median_udds_wall_time_s(args.repeats, record_history=False)
        print(f"    one UDDS ({udds_s:.0f} s), FASTSim 3.1: {fs * 1e3:7.2f} ms with history, "
              f"{fs_bare * 1e3:7.2f} ms without = {fs / udds_s * 1e6:6.2f} / "
              f"{fs_bare / udds_s * 1e6:6.2f} us per simulated s")
        print(f"    per simulated second, sim is {(fs / udds_s) / (one / wltc_s):5.2f}x "
              f"FASTSim's speed (both recording; without: "
              f"{(fs_bare / udds_s) / (one_bare / wltc_s):5.2f}x); target > 1x")
    else:
        print("    FASTSim not installed (pip install fastsim==3.1.0): no peer figure")

    # (b) pack splits as one batch
    shares = np.linspace(0.0, 1.0, args.splits)
    batch = sim.split_packs(coupe, shares).vehicle
    many, many_cpu = median_times(lambda: drive_cycle(batch, wltc, record=False),
                                  max(1, min(args.repeats, 3)))
    sim_rate = args.splits * wltc_s / many
    cpu_rate = args.splits * wltc_s / many_cpu
    print(f"(b) {args.splits} pack splits of the coupe over the WLTC as one batch: "
          f"{many:7.3f} s = {sim_rate:,.0f} simulated s per wall s (CPU time of both "
          f"threads {many_cpu:6.3f} s = {cpu_rate:,.0f} simulated s per CPU s)")
    if peer is not None:
        seq, seq_cpu = fastsim_sequential_s(peer, args.peer_runs)
        scaled = seq * args.splits / args.peer_runs
        fs_rate = args.peer_runs * udds_s / seq
        fs_cpu_rate = args.peer_runs * udds_s / seq_cpu
        print(f"    FASTSim 3.1, {args.peer_runs} UDDS runs one after another (no history): "
              f"{seq:6.3f} s, scaled x{args.splits / args.peer_runs:g} to {args.splits} runs: "
              f"{scaled:6.1f} s = {fs_rate:,.0f} simulated s per wall s (CPU {seq_cpu:6.3f} s "
              f"= {fs_cpu_rate:,.0f} simulated s per CPU s)")
        print(f"    per simulated second, the batch is {sim_rate / fs_rate:6.1f}x FASTSim run "
              f"one after another; target >= 100x. Per CPU second (the work, whatever the "
              f"load; the batch's parallelism not counted): {cpu_rate / fs_cpu_rate:6.1f}x")

    # (c) the two-track model over the WLTC, beside the longitudinal model
    if args.two_track_repeats > 0:
        results = []
        lon = drive_cycle(coupe, wltc, record=False)
        lon_kwh = float(lon.terminal_consumption_wh_per_km[0]) / 10.0
        for scheme, step in (("rk4", 0.005), ("rosenbrock", 0.01)):
            def two_track(scheme=scheme, step=step):
                results.append(two_track_cycle(coupe, wltc, scheme=scheme, time_step_s=step))

            two = median_time(two_track, args.two_track_repeats)
            run = results[-1]
            e = run.energy_j
            two_kwh = float(e["battery_terminal_j"][0] / e["distance_m"][0]) * 1e5 / 3.6e6
            print(f"(c) two-track model over the WLTC ({scheme} {step * 1e3:.0f} ms, passive): "
                  f"{two:7.2f} s = {two / wltc_s * 1e3:6.2f} ms per simulated s "
                  f"({two / one_bare:,.0f}x the longitudinal model's "
                  f"{one_bare / wltc_s * 1e6:.1f} us per simulated s); battery terminals "
                  f"{two_kwh:5.2f} kWh/100 km against the longitudinal model's {lon_kwh:5.2f}; "
                  f"energy balance {run.energy_balance_relative()[0]:+.1e}")
    else:
        print("(c) two-track model over the WLTC: skipped (--two-track-repeats 0)")

if __name__ == "__main__":
    main()
