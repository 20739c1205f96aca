"""Where the cold compile goes: seconds per kernel and per specialisation, from an empty cache.

    python tools/compile_profile.py [--scenario two-track|adm|cycle|all] [--top 25]
                                    [--passes] [--json FILE]

Each scenario runs in a fresh Python process whose kernel cache is a new empty folder
(``SIM_CACHE_DIR``), so everything it needs is compiled:

* ``two-track``: the first two-track result, ``sim.simulate`` passive, a 2 s step steer;
* ``adm``: the first module-on result, the same with ``controller="adm"``;
* ``cycle``: the first cycle, ``sim.energy.drive_cycle`` over WLTC.

Inside the child, numba's event API (``numba.core.event``) reports every ``numba:compile``
(one per dispatcher and signature that missed the cache; nested when a kernel compiles the
kernels it calls) and every compiler pass (``numba:run_pass``). The table lists, per kernel
and signature, the **self** time (the compile minus the compiles nested in it) and the
inclusive time, longest self time first, and the passes that took the time (``--passes``:
typing, IR inlining, lowering to LLVM, ...; what is left of the self time outside the passes
is mostly LLVM's optimisation and machine-code generation of the finished library). The
last lines give the time to import ``sim``, to the first result, and how much of it was
compiling.

A kernel with several signatures compiled for one scenario is a duplicate specialisation
(e.g. an ``int64`` and a ``float64`` argument at two call sites): look for repeated names.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _first_results() -> dict:
    """:data:`sim._cache.FIRST_RESULTS`, read without importing ``sim`` (the child times
    that import)."""
    spec = importlib.util.spec_from_file_location("_sim_cache", ROOT / "sim" / "_cache.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.FIRST_RESULTS


SCENARIOS = _first_results()


def _child(scenario: str) -> None:
    """Run ``scenario`` with compile events recorded; print one JSON document on stdout."""
    start = time.perf_counter()
    from numba.core import event

    records: list[dict] = []
    stack: list[dict] = []
    # [name, start, seconds of compiles and passes nested in it, compile depth]
    pass_stack: list[list] = []

    class Compiles(event.Listener):
        def on_start(self, ev):
            d = ev.data["dispatcher"]
            fn = d.py_func
            stack.append({"kernel": f"{fn.__module__}.{fn.__qualname__}",
                          "signature": ", ".join(str(a) for a in ev.data["args"]),
                          "start": time.perf_counter(), "children": 0.0,
                          "depth": len(stack), "passes": defaultdict(float)})

        def on_end(self, ev):
            rec = stack.pop()
            rec["inclusive"] = time.perf_counter() - rec.pop("start")
            rec["self"] = rec["inclusive"] - rec.pop("children")
            if stack:
                stack[-1]["children"] += rec["inclusive"]
            if pass_stack:  # the caller's pass (typing) in which this compile ran
                pass_stack[-1][2] += rec["inclusive"]
            rec["passes"] = dict(rec["passes"])
            records.append(rec)

    class Passes(event.Listener):
        def on_start(self, ev):
            pass_stack.append([ev.data["name"].split(" [")[0], time.perf_counter(), 0.0,
                               len(stack)])

        def on_end(self, ev):
            name, t0, nested, depth = pass_stack.pop()
            elapsed = time.perf_counter() - t0
            if pass_stack and pass_stack[-1][3] == depth:
                # a pass run inside another pass of the same compile (inlining runs
                # sub-pipelines); a nested compile is subtracted as a whole instead
                pass_stack[-1][2] += elapsed
            if stack:
                stack[-1]["passes"][name] += elapsed - nested

    event.register("numba:compile", Compiles())
    event.register("numba:run_pass", Passes())
    t0 = time.perf_counter()
    import sim  # noqa: F401

    t_import = time.perf_counter() - t0
    exec(compile(SCENARIOS[scenario], scenario, "exec"), {})
    total = time.perf_counter() - start
    print(json.dumps({"scenario": scenario, "import_s": t_import, "total_s": total,
                      "records": records}))


def _run(scenario: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="sim-cold-") as cold:
        env = dict(os.environ, SIM_CACHE_DIR=cold, PYTHONPATH=str(ROOT))
        env.pop("NUMBA_CACHE_DIR", None)
        env["SIM_COMPILE_NOTICE"] = "0"
        t0 = time.perf_counter()
        run = subprocess.run([sys.executable, __file__, "--child", scenario], env=env,
                             capture_output=True, text=True, cwd=ROOT)
        wall = time.perf_counter() - t0
    if run.returncode:
        sys.stderr.write(run.stderr)
        raise SystemExit(f"scenario {scenario} failed")
    doc = json.loads(run.stdout.strip().splitlines()[-1])
    doc["wall_s"] = wall
    return doc


def _short(signature: str, width: int) -> str:
    return signature if len(signature) <= width else signature[: width - 3] + "..."


def print_report(doc: dict, top: int, show_passes: bool) -> None:
    records = doc["records"]
    compiled = sum(r["self"] for r in records)
    print(f"\n== {doc['scenario']}: first result {doc['total_s']:.1f} s after interpreter start "
          f"(import sim {doc['import_s']:.1f} s; process wall {doc['wall_s']:.1f} s); "
          f"{len(records)} specialisations compiled, {compiled:.1f} s of compiling")
    by_kernel: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        by_kernel[r["kernel"]].append(r)
    duplicates = {k: v for k, v in by_kernel.items() if len(v) > 1}
    print(f"{'self s':>7} {'incl s':>7}  kernel [signature]")
    for r in sorted(records, key=lambda r: -r["self"])[:top]:
        print(f"{r['self']:7.2f} {r['inclusive']:7.2f}  {r['kernel']} "
              f"[{_short(r['signature'], 70)}]")
        if show_passes and r["passes"]:
            heavy = sorted(r["passes"].items(), key=lambda kv: -kv[1])[:4]
            rest = r["self"] - sum(r["passes"].values())
            print(" " * 17 + "; ".join(f"{n} {s:.2f}" for n, s in heavy)
                  + f"; outside passes {rest:.2f}")
    rest = records[top:] if len(records) > top else []
    if rest:
        tail = sorted(records, key=lambda r: -r["self"])[top:]
        print(f"{sum(r['self'] for r in tail):7.2f}          ... {len(tail)} more")
    if duplicates:
        print("kernels compiled for more than one signature:")
        for k, v in sorted(duplicates.items(), key=lambda kv: -sum(r["self"] for r in kv[1])):
            print(f"  {k}: {len(v)} signatures, {sum(r['self'] for r in v):.2f} s")
    by_module: dict[str, float] = defaultdict(float)
    for r in records:
        by_module[r["kernel"].rsplit(".", 1)[0]] += r["self"]
    print("self time by module: " + ", ".join(
        f"{m} {s:.1f}" for m, s in sorted(by_module.items(), key=lambda kv: -kv[1])[:8]))
    pass_totals: dict[str, float] = defaultdict(float)
    for r in records:
        for n, s in r["passes"].items():
            pass_totals[n] += s
    print("compiler passes (all kernels): " + ", ".join(
        f"{n} {s:.1f}" for n, s in sorted(pass_totals.items(), key=lambda kv: -kv[1])[:6])
        + f"; outside passes (LLVM optimisation, code generation) "
        f"{compiled - sum(pass_totals.values()):.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=(*SCENARIOS, "all"), default="all")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--passes", action="store_true", help="per-kernel pass breakdown")
    parser.add_argument("--json", type=Path, help="also write the raw records here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child)
        return 0
    names = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
    docs = []
    for name in names:
        doc = _run(name)
        docs.append(doc)
        print_report(doc, args.top, args.passes)
    if args.json:
        args.json.write_text(json.dumps(docs, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
