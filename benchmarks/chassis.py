"""Chassis-model throughput: medians of repeated runs and ratios against a peer.

    python benchmarks/chassis.py [--members 1000] [--repeats 5] [--skip-peer]
                                 [--section linear|two-track|all] [--peer-runs 50]

Two sections. **linear**: the linear single-track model against CommonRoad's single-track
model (below). **two-track**: the nonlinear two-track model (MF 6.1 tyres, the built-in coupe)
against CommonRoad's multi-body model (``benchmarks/peers/commonroad_mb.py``, vehicle 2) on a
10 s step steer: one run, and N runs (ours as one batch; the peer one after another, measured
on ``--peer-runs`` runs and scaled to N), tyre-force evaluations per second as a fraction of
the machine limit **measured in the same run** on this host (``benchmarks/fastmath.py``,
:func:`machine_limit`: the MF 6.1 evaluation and the fastmath kernels in a tight 64-lane loop
on every thread), the host's CPU and vector features, the cold start (a fresh process with an
empty kernel cache to its first two-track result and to its first module-on result; the same
with the cache filled), and what the lane loops of the right-hand side and the stability
bound compiled to on this host: packed double instructions by register width (zmm 512, ymm
256, xmm 128 bit), FMA, and the calls left in the functions (there should be none: no libm).

Case: N step steers as one batch, each a different speed (10..45 m/s) and final road-wheel steer
(+-0.005..0.05 rad), reached by a ramp at 0.4 rad/s (CommonRoad's steering-rate limit, so all
rows simulate the same manoeuvre), 10 s recorded every 0.01 s. Parameters: CommonRoad vehicle 2
(mapped as in tests/parity/test_commonroad_single_track.py).

Each row is a function ``row_*(case) -> Callable[[], object]`` that does its setup and returns
the timed call; add rows (e.g. the two-track model) to ``ROWS``. Times are wall clock medians;
the first (warm-up) call, which includes loading numba's on-disk cache, is not timed.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sim.chassis import linear as lst  # noqa: E402

COMMONROAD_GRAVITY_MPS2 = 9.81
STEER_RATE_RADPS = 0.4
DURATION_S = 10.0
TIME_STEP_S = 0.01


@dataclass(frozen=True)
class Case:
    """The batch every row simulates."""

    speed_mps: np.ndarray  # (N,)
    final_steer_rad: np.ndarray  # (N,)

    @classmethod
    def make(cls, members: int, seed: int = 2024) -> Case:
        rng = np.random.default_rng(seed)
        magnitude = rng.uniform(0.005, 0.05, members)
        return cls(rng.uniform(10.0, 45.0, members), magnitude * rng.choice([-1.0, 1.0], members))

    @property
    def time_s(self) -> np.ndarray:
        return TIME_STEP_S * np.arange(int(round(DURATION_S / TIME_STEP_S)) + 1)


@dataclass(frozen=True)
class Row:
    name: str
    setup: Callable[[Case], Callable[[], object]]
    peer: str | None = None  # name of the row this one is compared with


def commonroad_vehicle2():
    from vehiclemodels.parameters_vehicle2 import parameters_vehicle2

    return parameters_vehicle2()


def linear_vehicle2() -> lst.LinearSingleTrack:
    """Our linear single track with CommonRoad vehicle 2's parameters."""
    p = commonroad_vehicle2()
    L, c = p.a + p.b, -p.tire.p_ky1 * p.m * COMMONROAD_GRAVITY_MPS2
    return lst.LinearSingleTrack(p.m, p.I_z, p.a, p.b, c * p.b / L, c * p.a / L,
                                 source="commonroad vehicle 2")


# --- rows ------------------------------------------------------------------------------------
def row_linear_ramp_step(case: Case):
    model = linear_vehicle2()
    return lambda: lst.ramp_step_response(model, case.speed_mps, case.final_steer_rad,
                                          STEER_RATE_RADPS, DURATION_S, TIME_STEP_S)


def row_linear_ideal_step_zoh(case: Case):
    model = linear_vehicle2()
    steer = np.repeat(case.final_steer_rad[:, None], case.time_s.size, axis=1)
    return lambda: lst.steer_response(model, case.speed_mps, steer, TIME_STEP_S)


def row_commonroad_odeint(case: Case):
    """CommonRoad vehicle_dynamics_st, one odeint run per member (default tolerances)."""
    from scipy.integrate import odeint
    from vehiclemodels.vehicle_dynamics_st import vehicle_dynamics_st

    p = commonroad_vehicle2()
    time_s = case.time_s
    tol = 1e-9 * time_s[-1]

    def rhs(x, t, u):
        return vehicle_dynamics_st(x, u, p)

    def one(speed, final):
        # Integrate each constant-input segment separately so odeint cannot step over the ramp.
        t_ramp = abs(final) / STEER_RATE_RADPS
        out = np.empty((time_s.size, 7))
        x = np.array([0.0, 0.0, 0.0, speed, 0.0, 0.0, 0.0])
        for t_a, t_b, rate in ((0.0, t_ramp, np.sign(final) * STEER_RATE_RADPS),
                               (t_ramp, time_s[-1], 0.0)):
            inside = (time_s > t_a + tol) & (time_s < t_b - tol)
            xs = odeint(rhs, x, np.concatenate([[t_a], time_s[inside], [t_b]]),
                        args=([rate, 0.0],))
            out[inside] = xs[1:-1]
            out[np.abs(time_s - t_a) <= tol] = xs[0]
            out[np.abs(time_s - t_b) <= tol] = xs[-1]
            x = xs[-1]
        return out

    return lambda: [one(s, d) for s, d in zip(case.speed_mps, case.final_steer_rad, strict=True)]


PEER = "CommonRoad ST, odeint, one run after another"
ROWS = [
    Row("linear single track, exact ramp-step, one batch", row_linear_ramp_step, peer=PEER),
    Row("linear single track, exact ideal step (ZOH), one batch", row_linear_ideal_step_zoh,
        peer=PEER),
    Row(PEER, row_commonroad_odeint),
]


# --- measuring and printing ------------------------------------------------------------------
def median_seconds(call: Callable[[], object], repeats: int) -> tuple[float, float]:
    """(first call, median of ``repeats`` further calls) in seconds."""
    start = time.perf_counter()
    call()
    first = time.perf_counter() - start
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return first, statistics.median(times)


def print_table(results: dict[str, tuple[float, float]], rows: list[Row], members: int) -> None:
    width = max(len(r.name) for r in rows)
    print(f"{'row':<{width}}  {'first s':>8}  {'median s':>9}  {'per member ms':>13}  ratio")
    for row in rows:
        if row.name not in results:
            continue
        first, median = results[row.name]
        ratio = ""
        if row.peer in results:
            ratio = f"{results[row.peer][1] / median:.0f}x faster than peer"
        print(f"{row.name:<{width}}  {first:8.3f}  {median:9.4f}  "
              f"{1e3 * median / members:13.4f}  {ratio}")


#: The two-track rows' integration scheme -> (step [s], tyre evaluations per step): classical
#: RK4 at 5 ms (4 right-hand sides of 4 tyres; its stability substeps, where taken, are not
#: counted), Rosenbrock-W ROS34PW2 at 10 ms (4 stages of 4 tyres, plus 3 per tyre for the
#: slip-stiffness estimate of its Jacobian). The tyre-evaluation rate assumes these.
SCHEMES = {"rk4": (0.005, 4 * 4), "rosenbrock": (0.01, 4 * 4 + 3 * 4)}
FRESH_PROCESS = """
import time
start = time.perf_counter()
import sim
from sim.simulate import simulate
res = simulate(sim.load_vehicle("coupe"), speed_kmh=80.0, duration_s=10.0,
               steering_wheel_angle_rad=0.1, controller={controller!r})
print(time.perf_counter() - start)
"""

#: The lane-loop functions of the chassis whose assembly is counted.
LANE_LOOP_FUNCTIONS = ("rhs", "stiffest_rate")

# Run after FRESH_PROCESS in the process that compiled everything (the assembly of code loaded
# from numba's cache cannot be inspected): what the lane loops of the chassis became.
LANE_LOOP_ASSEMBLY = r"""
import json, re, sys
inspect_start = time.perf_counter()
sys.path.insert(0, {bench!r})
from fastmath import instruction_mix
from sim.chassis import two_track as tt
mixes = {{}}
for name in [f for f in {functions!r} if hasattr(tt, f)]:
    asm = "\n".join(getattr(tt, name).inspect_asm().values())
    parts = [part for part in re.split(r"\n\s*\.type\s+", asm)
             if name in part.split(",", 1)[0] and "cpython" not in part.split(",", 1)[0]
             and "cfunc" not in part.split(",", 1)[0]]
    mixes[name] = instruction_mix(parts[0] if parts else asm)
print(json.dumps(mixes))
print(time.perf_counter() - inspect_start)
"""


def _fresh_process(cache_dir: str | None, controller: str = "passive",
                   assembly: bool = False) -> tuple[float, dict]:
    """Wall time of a fresh Python process from start to its first two-track result (with
    ``controller``), and (``assembly``) the instruction mix of the chassis' lane loops
    (see LANE_LOOP_ASSEMBLY)."""
    import json
    import os
    import subprocess

    env = dict(os.environ, SIM_COMPILE_NOTICE="0")
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    code = FRESH_PROCESS.format(controller=controller)
    if assembly:
        code += LANE_LOOP_ASSEMBLY.format(bench=str(Path(__file__).resolve().parent),
                                          functions=LANE_LOOP_FUNCTIONS)
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-c", code], check=True, env=env,
                         capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if not assembly:
        return seconds, {}
    lines = run.stdout.splitlines()
    return seconds - float(lines[2]), json.loads(lines[1])  # not counting the inspection


def _lane_loop_assembly() -> dict:
    """Instruction mix of the chassis' lane loops compiled in this process ({} when they
    were loaded from numba's cache, whose code cannot be inspected)."""
    import re

    from fastmath import instruction_mix

    from sim.chassis import two_track as tt

    mixes = {}
    for name in LANE_LOOP_FUNCTIONS:
        dispatcher = getattr(tt, name, None)
        if dispatcher is None or not dispatcher.signatures:
            continue
        try:
            asm = "\n".join(dispatcher.inspect_asm().values())
        except Exception:  # loaded from the cache: no assembly to inspect
            return {}
        parts = [part for part in re.split(r"\n\s*\.type\s+", asm)
                 if name in part.split(",", 1)[0] and "cpython" not in part.split(",", 1)[0]
                 and "cfunc" not in part.split(",", 1)[0]]
        mixes[name] = instruction_mix(parts[0] if parts else asm)
    return mixes


def two_track_section(members: int, repeats: int, peer_runs: int, skip_peer: bool,
                      skip_cold: bool = False, scheme: str = "rosenbrock") -> None:
    """Print the two-track rows (see the module docstring) with integration ``scheme`` (a key
    of :data:`SCHEMES`)."""
    import tempfile

    import sim
    from sim.driver import iso7401_step_steer
    from sim.simulate import Numerics, simulate

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from fastmath import (
        describe_host,
        describe_mix,
        host_description,
        machine_limit,
        print_machine_limit,
        try_512,
    )

    host = host_description()
    print(f"\n{describe_host(host)}")
    first_compile = first_adm = cached = cached_adm = math.nan
    assembly = {}
    if not skip_cold:
        with tempfile.TemporaryDirectory() as cold:
            # empty cache: compiles everything (the assembly inspection adds under a second)
            first_compile, assembly = _fresh_process(cold, assembly=True)
            cached, _ = _fresh_process(cold)  # same cache, now filled
        with tempfile.TemporaryDirectory() as cold:
            first_adm, _ = _fresh_process(cold, controller="adm")
            cached_adm, _ = _fresh_process(cold, controller="adm")
    rng = np.random.default_rng(2024)
    coupe = sim.load_vehicle("coupe")
    step, tyre_evaluations_per_step = SCHEMES[scheme]
    numerics = Numerics(time_step_s=step, output_interval_s=0.01, scheme=scheme)
    one_profile = iso7401_step_steer(30.0, start_s=0.0, duration_s=DURATION_S)

    def one():
        return simulate(coupe, speed_kmh=80.0, duration_s=DURATION_S,
                        steering_wheel_angle_rad=one_profile, numerics=numerics)

    speeds = rng.uniform(40.0, 120.0, members)
    steer_deg = rng.uniform(5.0, 60.0, members) * rng.choice([-1.0, 1.0], members)
    batch_profile = iso7401_step_steer(steer_deg, start_s=0.0, duration_s=DURATION_S)

    def many():
        return simulate(coupe, speed_kmh=speeds, duration_s=DURATION_S,
                        steering_wheel_angle_rad=batch_profile,
                        numerics=Numerics(time_step_s=step, output_interval_s=0.05,
                                          scheme=scheme))

    _, t_one = median_seconds(one, repeats)
    if not assembly:  # this process compiled the kernels (or loaded them: then no assembly)
        assembly = _lane_loop_assembly()
    # the batch takes about a second now: the median of ``repeats`` runs (the first run after
    # the warm-up is up to 0.1 s slower here: fresh memory for the 140 MB of tables and
    # outputs, page faults in this VM)
    _, t_many = median_seconds(many, repeats)
    limit = machine_limit()  # measured now, on this host, under the same load
    steps = DURATION_S / numerics.time_step_s
    evals = members * steps * tyre_evaluations_per_step
    print(f"two-track model (coupe, MF 6.1, {scheme} at {numerics.time_step_s * 1e3:g} ms), "
          f"{DURATION_S:g} s step steers; medians")
    if skip_cold:
        print("  cold start: not measured (--skip-cold)")
    else:
        print(f"  cold start, fresh process with an empty kernel cache to its first result: "
              f"two-track {first_compile:6.1f} s, module-on (adm) {first_adm:6.1f} s")
        print(f"  fresh process to its first result, kernel cache filled:                  "
              f"two-track {cached:6.2f} s, module-on (adm) {cached_adm:6.2f} s")
    for name, mix in assembly.items():
        print(f"  lane loops two_track.{name}: {describe_mix(mix)}")
    if not assembly:
        print("  lane loops: assembly not available (kernels loaded from the cache; run with "
              "an empty SIM_CACHE_DIR or without --skip-cold)")
    print_machine_limit(limit)
    print(f"  {try_512(host)}")
    print(f"  one step steer:                 {1e3 * t_one:8.1f} ms")
    print(f"  {members} step steers, one batch:  {t_many:8.2f} s  "
          f"({evals / t_many / 1e6:.1f} M tyre evaluations/s = "
          f"{100 * evals / t_many / limit['tyre_per_s']:.0f} % of this host's machine limit "
          f"measured above; {members * steps / t_many / 1e6:.2f} M vehicle-steps/s)")
    if skip_peer:
        return
    from peers.commonroad_mb import mb_step_steer_states, median_time_s, time_mb_runs

    t_peer_one = median_time_s(lambda: mb_step_steer_states(80.0, 0.01), repeats)
    timing = time_mb_runs(peer_runs, repeats=max(1, repeats // 2))
    t_peer_many = timing.scaled_s(members)
    print(f"  CommonRoad MB, one step steer:  {1e3 * t_peer_one:8.1f} ms  -> ours "
          f"{t_peer_one / t_one:.1f}x faster")
    print(f"  CommonRoad MB, {members} runs one after another (from {peer_runs} runs): "
          f"{t_peer_many:8.1f} s  -> ours {t_peer_many / t_many:.1f}x faster")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-peer", action="store_true", help="skip CommonRoad rows")
    parser.add_argument("--skip-cold", action="store_true",
                        help="skip the cold-start processes (each compiles every kernel)")
    parser.add_argument("--section", choices=("linear", "two-track", "all"), default="all")
    parser.add_argument("--scheme", choices=tuple(SCHEMES), default="rosenbrock",
                        help="two-track integration scheme (rk4: 5 ms, rosenbrock: 10 ms)")
    parser.add_argument("--peer-runs", type=int, default=50,
                        help="CommonRoad MB runs actually timed (scaled to --members)")
    args = parser.parse_args(argv)
    if args.section in ("linear", "all"):
        case = Case.make(args.members)
        rows = [r for r in ROWS if not (args.skip_peer and r.name == PEER)]
        print(f"{args.members} step steers, {DURATION_S:g} s at {TIME_STEP_S:g} s output step; "
              f"median of {args.repeats} runs after one warm-up call")
        results = {row.name: median_seconds(row.setup(case), args.repeats) for row in rows}
        print_table(results, rows, args.members)
    if args.section in ("two-track", "all"):
        two_track_section(args.members, args.repeats, args.peer_runs, args.skip_peer,
                          args.skip_cold, args.scheme)


if __name__ == "__main__":
    main()
