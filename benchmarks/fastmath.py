"""sim.fastmath against libm: ns per element of a compiled loop over a large array.

    python benchmarks/fastmath.py [--size 1000000] [--repeats 5]

Each row times ``for i in range(n): out[i] = f(x[i])`` compiled with numba, once with the
libm function (``math.atan`` etc., which LLVM cannot vectorise without SVML) and once with
``sim.fastmath`` (vectorised by LLVM), on the same inputs; the figure is the median of
``--repeats`` timed calls divided by the array size. The "magic formula" row is the
composite ``D sin(C atan(B x - E (B x - atan(B x))))`` of the tyre model. The last row shows
what a libm fallback branch for large arguments (``math.sin`` when |x| > 2**30) costs: LLVM
speculates the side-effect-free libm call and calls it for every lane of the vectorised
loop, so the loop is as slow as libm, which is why :func:`sim.fastmath.sin` returns NaN
there instead. The last column, read from each loop's assembly, says whether it has packed
``...pd`` instructions on zmm / ymm / xmm registers and how many calls are left in it.

**Machine limit** (:func:`machine_limit`, also printed by ``benchmarks/chassis.py``): the
same arithmetic as the chassis' lane loops in a tight lane loop: ``fastmath`` kernels and
the MF 6.1 combined-slip tyre evaluation (``mf61_forces_tan`` with the coupé's front tyre,
the parameters read as a tuple of constants by ``mf61.parameter_row``, as the chassis
reads them), over a
64-lane chunk that stays in the L1 cache, repeated, on every numba thread at once.
Evaluations per second of that loop are the most this host can do with this code; the
chassis' tyre evaluations per second are printed as a fraction of it. The CPU
(``/proc/cpuinfo``), its vector features, LLVM's target and the register widths the loops
compiled to are printed with it (:func:`host_description`): on a CPU without AVX-512 the
widest vectors are 256-bit (ymm). On a CPU with AVX-512 LLVM still prefers 256-bit vectors
for most Intel targets (its ``prefer-256-bit`` tuning); ``--try-512`` re-measures in a child
process with ``NUMBA_CPU_FEATURES`` = the host's features plus ``-prefer-256-bit`` and says
which is faster.
"""

from __future__ import annotations

import argparse
import math
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numba
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sim import fastmath as fm  # noqa: E402
from sim.lanes import LANES  # noqa: E402
from sim.tyre.mf61 import mf61_forces_tan, parameter_row  # noqa: E402

B, C, D, E = 10.0, 1.3, 1.0, -0.5  # a plausible Magic Formula shape (stiffness, curvature)


def _loop(f: Callable[[float], float]):
    @numba.njit(cache=False)
    def loop(x, out):
        for i in range(x.size):
            out[i] = f(x[i])

    return loop


@numba.njit(cache=False)
def _magic_formula_libm(x, out):
    for i in range(x.size):
        bx = B * x[i]
        out[i] = D * math.sin(C * math.atan(bx - E * (bx - math.atan(bx))))


@numba.njit(cache=False)
def _magic_formula_fast(x, out):
    for i in range(x.size):
        bx = B * x[i]
        out[i] = D * fm.sin(C * fm.atan(bx - E * (bx - fm.atan(bx))))


@numba.njit(cache=False, error_model="numpy")
def _sin_with_libm_fallback(x):
    if abs(x) > fm.TRIG_MAX_ARG:
        return math.sin(x)
    return fm.sin(x)


def _sin_atan_libm(x):
    return math.sin(math.atan(x))


def _cos_atan_libm(x):
    return math.cos(math.atan(x))


# name, libm loop, fastmath loop, input range
ROWS = [
    ("atan", _loop(math.atan), _loop(fm.atan), (-10.0, 10.0)),
    ("sin", _loop(math.sin), _loop(fm.sin), (-4.0, 4.0)),
    ("cos", _loop(math.cos), _loop(fm.cos), (-4.0, 4.0)),
    ("tan", _loop(math.tan), _loop(fm.tan), (-1.5, 1.5)),
    ("exp", _loop(math.exp), _loop(fm.exp), (-10.0, 10.0)),
    ("sin(atan(x))", _loop(numba.njit(_sin_atan_libm)), _loop(fm.sin_atan), (-10.0, 10.0)),
    ("cos(atan(x))", _loop(numba.njit(_cos_atan_libm)), _loop(fm.cos_atan), (-10.0, 10.0)),
    ("magic formula", _magic_formula_libm, _magic_formula_fast, (-0.3, 0.3)),
    ("sin, libm fallback", _loop(math.sin), _loop(_sin_with_libm_fallback), (-4.0, 4.0)),
]


def median_ns_per_element(loop, x: np.ndarray, repeats: int) -> float:
    out = np.empty_like(x)
    loop(x, out)  # compile and warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        loop(x, out)
        times.append(time.perf_counter() - start)
    return statistics.median(times) / x.size * 1e9


def _own_body(asm: str) -> str:
    """The assembly of the compiled function itself (not numba's CPython wrapper or cfunc)."""
    match = re.search(r"^(_ZN(?!7cpython)\S+):\n(.*?)^(?:_ZN7cpython|cfunc\.)", asm,
                      re.MULTILINE | re.DOTALL)
    return match.group(2) if match else asm


def instruction_mix(asm: str) -> dict[str, int]:
    """Counts in one function's assembly (AT&T syntax): packed double instructions
    (``...pd``) by register width (``zmm`` 512, ``ymm`` 256, ``xmm`` 128 bit), packed FMA
    (``vfmadd/vfmsub/vfnmadd/vfnmsub...pd``) by width, scalar FMA (``...sd``), and calls."""
    counts = {"zmm": 0, "ymm": 0, "xmm": 0, "fma_zmm": 0, "fma_ymm": 0, "fma_xmm": 0,
              "fma_scalar": 0, "calls": 0}
    for line in asm.splitlines():
        parts = line.split(None, 1)
        if not parts or parts[0].startswith((".", "#")) or parts[0].endswith(":"):
            continue
        op = parts[0]
        if op.startswith("call"):
            counts["calls"] += 1
            continue
        if re.fullmatch(r"vfn?m(add|sub)\d*sd", op):
            counts["fma_scalar"] += 1
            continue
        if not op.endswith("pd") or len(parts) < 2:
            continue
        for width in ("zmm", "ymm", "xmm"):  # the widest register named is the width
            if f"%{width}" in parts[1]:
                counts[width] += 1
                if re.fullmatch(r"vfn?m(add|sub)\d*pd", op):
                    counts[f"fma_{width}"] += 1
                break
    return counts


def vectorised(loop) -> str:
    """How the loop compiled: the widest register of its packed double instructions
    ('zmm' / 'ymm' / 'xmm') or 'no', plus the number of calls left in the loop's own
    function (not its wrapper)."""
    mix = instruction_mix(_own_body(loop.inspect_asm(loop.signatures[0])))
    kind = next((w for w in ("zmm", "ymm", "xmm") if mix[w]), "no")
    return f"{kind}, {mix['calls']} calls" if mix["calls"] else kind


# --- host and machine limit ------------------------------------------------------------------
def cpu_flags() -> tuple[str, set[str]]:
    """(model name, flags) of the first CPU in /proc/cpuinfo (('unknown', set()) elsewhere)."""
    model, flags = "unknown", set()
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return model, flags
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name" and model == "unknown":
            model = value.strip()
        elif key.strip() == "flags" and not flags:
            flags = set(value.split())
    return model, flags


def host_description() -> dict[str, object]:
    """The CPU as /proc/cpuinfo, LLVM and numba see it."""
    import os

    from llvmlite import binding as llvm
    from numba.core import config

    model, flags = cpu_flags()
    llvm_features = {f[1:] for f in llvm.get_host_cpu_features().flatten().split(",")
                     if f.startswith("+")}
    return {
        "model": model,
        "cores": os.cpu_count(),
        "numba_threads": numba.get_num_threads(),
        "avx2": "avx2" in flags,
        "fma": "fma" in flags,
        "avx512f": "avx512f" in flags,
        "llvm_cpu": config.CPU_NAME or llvm.get_host_cpu_name(),
        "llvm_avx512f": "avx512f" in llvm_features,
        "cpu_features_override": config.CPU_FEATURES,
    }


def describe_host(host: dict[str, object]) -> str:
    flags = ", ".join(f"{f} {'yes' if host[f] else 'no'}" for f in ("avx2", "fma", "avx512f"))
    text = (f"CPU: {host['model']} ({host['cores']} cores, {host['numba_threads']} numba "
            f"threads; LLVM target {host['llvm_cpu']}); {flags}")
    if not host["avx512f"]:
        text += ("\n     no AVX-512 on this CPU: the widest vectors are 256-bit (ymm, 4 doubles "
                 "per instruction); 512-bit code cannot be measured here")
    if host["cpu_features_override"]:
        text += f"\n     NUMBA_CPU_FEATURES override: {host['cpu_features_override']}"
    return text


def coupe_tyres() -> np.ndarray:
    """The coupé's (2, PT) table of front and rear MF 6.1 parameter vectors."""
    import sim
    from sim.params import two_track_parameters

    _, tyre_params, _ = two_track_parameters(sim.load_vehicle("coupe"))
    return np.ascontiguousarray(tyre_params[0])  # (N, 2, PT): the one member's pair


_ROWS = 5  # kappa, tan_alpha, fz, fx, fy
_PRESSURE_PA = 2.4e5


@numba.njit(cache=False, error_model="numpy", _nrt=False)
def _tyre_chunk(tyre_params, table, n, dk):
    """One lane loop of MF 6.1 combined-slip evaluations over lanes 0..n-1 of a lane table
    (rows kappa, tan_alpha, fz in; fx, fy out) with the front tyre of
    ``tyre_params`` read as a tuple of constants, as the chassis reads it; ``dk`` shifts the
    slip so that no repetition equals the previous one."""
    tp = parameter_row(tyre_params, 0)
    for lane in range(n):
        fx, fy = mf61_forces_tan(tp, table[lane] + dk, table[LANES + lane], 0.0,
                                 table[2 * LANES + lane], _PRESSURE_PA, 1.0)
        table[3 * LANES + lane] = fx
        table[4 * LANES + lane] = fy


@numba.njit(cache=False, parallel=True)
def _tyre_limit(tp, table, threads, repeats):
    for t in numba.prange(threads):
        for k in range(repeats):
            _tyre_chunk(tp, table[t], LANES, 1e-12 * (k & 7))


@numba.njit(cache=False, error_model="numpy", _nrt=False)
def _fastmath_chunk(table, n, dk):
    """``atan``, ``sin``, ``cos``, ``exp`` of every lane: four transcendental evaluations."""
    for lane in range(n):
        v = table[lane] + dk
        table[3 * LANES + lane] = fm.atan(v) + fm.sin(v)
        table[4 * LANES + lane] = fm.cos(v) + fm.exp(v)


@numba.njit(cache=False, parallel=True)
def _fastmath_limit(table, threads, repeats):
    for t in numba.prange(threads):
        for k in range(repeats):
            _fastmath_chunk(table[t], LANES, 1e-12 * (k & 7))


def _lane_table(threads: int, seed: int = 11) -> np.ndarray:
    rng = np.random.default_rng(seed)
    table = np.zeros((threads, _ROWS * LANES))  # one lane table per thread
    table[:, :LANES] = rng.uniform(-0.15, 0.15, (threads, LANES))  # kappa
    table[:, LANES:2 * LANES] = rng.uniform(-0.2, 0.2, (threads, LANES))  # tan(alpha)
    table[:, 2 * LANES:3 * LANES] = rng.uniform(2e3, 8e3, (threads, LANES))  # Fz [N]
    return table


def machine_limit(threads: int | None = None, seconds: float = 0.5,
                  repeats: int = 5) -> dict[str, object]:
    """Evaluations per second of the tight lane loops on ``threads`` threads (default all of
    numba's): MF 6.1 tyre forces (``tyre_per_s``) and fastmath transcendentals
    (``transcendental_per_s``, atan + sin + cos + exp counted as four), each the median of
    ``repeats`` timings of about ``seconds``; single-thread figures too; and the instruction
    mix of the two lane loops (:func:`instruction_mix`)."""
    threads = numba.get_num_threads() if threads is None else threads
    tp = coupe_tyres()
    result: dict[str, object] = {"threads": threads}
    for name, run, per_lane in (
            ("tyre", lambda tab, th, k: _tyre_limit(tp, tab, th, k), 1),
            ("transcendental", lambda tab, th, k: _fastmath_limit(tab, th, k), 4)):
        for label, th in (("", threads), ("_one_thread", 1)):
            table = _lane_table(th)
            run(table, th, 1)  # compile
            k = 16
            while True:  # calibrate: about ``seconds`` per timing
                start = time.perf_counter()
                run(table, th, k)
                elapsed = time.perf_counter() - start
                if elapsed > seconds / 4 or k > 1 << 26:
                    break
                k *= 4
            k = max(1, int(k * seconds / max(elapsed, 1e-9)))
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                run(table, th, k)
                times.append(time.perf_counter() - start)
            result[f"{name}{label}_per_s"] = th * k * LANES * per_lane / statistics.median(times)
    result["tyre_loop"] = instruction_mix(_own_body(
        _tyre_chunk.inspect_asm(_tyre_chunk.signatures[0])))
    result["transcendental_loop"] = instruction_mix(_own_body(
        _fastmath_chunk.inspect_asm(_fastmath_chunk.signatures[0])))
    return result


def describe_mix(mix: dict[str, int]) -> str:
    widths = ", ".join(f"{mix[w]} {w}" for w in ("zmm", "ymm", "xmm") if mix[w]) or "none"
    fma = ", ".join(f"{mix['fma_' + w]} {w}" for w in ("zmm", "ymm", "xmm") if mix["fma_" + w])
    return (f"packed double instructions {widths}; packed FMA {fma or 'none'}, scalar FMA "
            f"{mix['fma_scalar']}; calls {mix['calls']}")


def print_machine_limit(limit: dict[str, object]) -> None:
    print(f"machine limit, tight 64-lane loops on {limit['threads']} thread(s) (one thread):")
    print(f"  MF 6.1 tyre evaluations: {limit['tyre_per_s'] / 1e6:7.1f} M/s "
          f"({limit['tyre_one_thread_per_s'] / 1e6:.1f} M/s)   "
          f"loop: {describe_mix(limit['tyre_loop'])}")
    print(f"  fastmath atan/sin/cos/exp: {limit['transcendental_per_s'] / 1e6:5.0f} M/s "
          f"({limit['transcendental_one_thread_per_s'] / 1e6:.0f} M/s)   "
          f"loop: {describe_mix(limit['transcendental_loop'])}")


_TRY_512 = """
import json, sys
sys.path.insert(0, {bench!r})
import fastmath as bench
limit = bench.machine_limit()
print(json.dumps({{k: v for k, v in limit.items() if k.endswith("per_s")}}
                 | {{"zmm": limit["tyre_loop"]["zmm"], "ymm": limit["tyre_loop"]["ymm"]}}))
"""


def try_512(host: dict[str, object]) -> str:
    """On a CPU with AVX-512: the tyre machine limit measured in a child process with
    LLVM's ``prefer-256-bit`` tuning removed (``NUMBA_CPU_FEATURES``), against this one."""
    import json
    import os
    import subprocess

    if not host["avx512f"]:
        return "512-bit vectors: not available on this CPU (no avx512f)"
    from llvmlite import binding as llvm

    features = llvm.get_host_cpu_features().flatten() + ",-prefer-256-bit"
    env = dict(os.environ, NUMBA_CPU_FEATURES=features)
    out = {}
    for label, e in (("default", dict(os.environ)), ("512", env)):
        run = subprocess.run([sys.executable, "-c",
                              _TRY_512.format(bench=str(Path(__file__).resolve().parent))],
                             env=e, capture_output=True, text=True, check=True)
        out[label] = json.loads(run.stdout.strip().splitlines()[-1])
    ratio = out["512"]["tyre_per_s"] / out["default"]["tyre_per_s"]
    verdict = ("faster: set NUMBA_CPU_FEATURES as above (sim uses whatever numba targets)"
               if ratio > 1.03 else "not faster: keep the default")
    return (f"512-bit vectors (NUMBA_CPU_FEATURES=<host>,-prefer-256-bit): tyre "
            f"{out['512']['tyre_per_s'] / 1e6:.1f} M/s ({out['512']['zmm']} zmm) against "
            f"{out['default']['tyre_per_s'] / 1e6:.1f} M/s ({out['default']['zmm']} zmm, "
            f"{out['default']['ymm']} ymm) by default: {ratio:.2f}x, {verdict}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--try-512", action="store_true",
                        help="on an AVX-512 CPU, also measure with 512-bit vectors preferred")
    args = parser.parse_args(argv)
    host = host_description()
    print(describe_host(host))
    print_machine_limit(machine_limit())
    if args.try_512 or not host["avx512f"]:
        print(try_512(host))
    rng = np.random.default_rng(7)
    print(f"{args.size} elements, median of {args.repeats}; ns per element")
    print(f"{'function':<20}{'libm':>8}{'fastmath':>10}{'ratio':>8}   vectorised (libm / ours)")
    for name, libm_loop, fast_loop, (low, high) in ROWS:
        x = rng.uniform(low, high, args.size)
        t_libm = median_ns_per_element(libm_loop, x, args.repeats)
        t_fast = median_ns_per_element(fast_loop, x, args.repeats)
        print(f"{name:<20}{t_libm:8.2f}{t_fast:10.2f}{t_libm / t_fast:7.1f}x"
              f"   {vectorised(libm_loop)} / {vectorised(fast_loop)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
