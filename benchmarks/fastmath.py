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
``...pd`` instructions on zmm / ymm registers and how many calls are left in it.
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


def vectorised(loop) -> str:
    """How the loop compiled: 'zmm' / 'ymm' (packed double instructions on those registers)
    or 'no', plus the number of calls left in the loop's own function (not its wrapper)."""
    asm = loop.inspect_asm(loop.signatures[0])
    match = re.search(r"^(_ZN(?!7cpython)\S+):\n(.*?)^(?:_ZN7cpython|cfunc\.)", asm,
                      re.MULTILINE | re.DOTALL)
    body = match.group(2) if match else asm
    kind = "no"
    for register in ("zmm", "ymm"):
        if re.search(rf"\bv\w+pd\b[^\n]*%{register}", body):
            kind = register
            break
    calls = len(re.findall(r"^\s+call", body, re.MULTILINE))
    return f"{kind}, {calls} calls" if calls else kind


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
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
