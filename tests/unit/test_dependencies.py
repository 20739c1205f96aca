"""The numba and llvmlite features the compiled kernels rely on, checked so that a future
version that drops or changes one fails here, loudly, instead of making the lane loops slow.

What ``sim`` relies on beyond numba's public API (issue 11, item 4):

* the semi-private ``_nrt=False`` option of ``numba.njit`` (``sim/integrator.py``,
  ``sim/chassis/two_track.py``, ``sim/chassis/powertrain.py``, ``sim/adm/kernel.py``,
  ``sim/driver/closed_loop.py``): without it, arrays handed to inlined functions are
  reference-counted inside the lane loops, which stops LLVM's vectoriser;
* hand-written LLVM through ``numba.extending.intrinsic`` and llvmlite's IR builder: the
  ``llvm.fma.f64`` intrinsic, ``fdiv`` and ``bitcast`` (``sim/fastmath.py``), a typed ``load``
  of a tuple through a ``gep`` (``sim/tyre/mf61.py``, ``parameter_row``);
* LLVM's loop vectoriser turning a lane loop over ``sim.fastmath`` into packed code with no
  calls left in it.

The versions these were proven with are pinned in ``pyproject.toml``; the first test checks
that the installed ones are inside the pins.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import numba
import numpy as np
import pytest
from packaging.requirements import Requirement

from sim import fastmath as fm

ROOT = Path(__file__).resolve().parents[2]


def _pins() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {r.name: r for r in map(Requirement, project["dependencies"])}


@pytest.mark.parametrize("name", ["numba", "llvmlite"])
def test_installed_version_is_inside_the_pinned_range(name):
    import importlib

    pin = _pins()[name]
    version = importlib.import_module(name).__version__
    assert pin.specifier, f"{name} is not pinned in pyproject.toml"
    assert version in pin.specifier, (
        f"{name} {version} is outside the range sim was tested with ({pin}); the kernels rely "
        f"on numba internals (tests/unit/test_dependencies.py): run this file and "
        f"benchmarks/chassis.py before widening the pin")
    # an upper bound: a new minor version must be tested before it is allowed
    assert any(s.operator in ("<", "<=", "==", "~=") for s in pin.specifier), pin


def _passes_array_to_a_call(a):
    s = 0.0
    for i in range(a.size):
        s += _double_element(a, i)
    return s


@numba.njit(cache=False)
def _double_element(a, i):
    return 2.0 * a[i]


def test_nrt_false_option_exists_and_turns_reference_counting_off():
    with_nrt = numba.njit(cache=False)(_passes_array_to_a_call)
    without = numba.njit(cache=False, _nrt=False)(_passes_array_to_a_call)
    a = np.arange(4.0)
    assert with_nrt(a) == without(a) == 12.0
    ir_with = "\n".join(with_nrt.inspect_llvm().values())
    ir_without = "\n".join(without.inspect_llvm().values())
    # the option must change something: numba references counts the array by default
    assert "NRT_incref" in ir_with or "NRT_decref" in ir_with
    assert "NRT_incref" not in ir_without and "NRT_decref" not in ir_without

    @numba.njit(cache=False, _nrt=False)
    def allocates(n):
        return np.empty(n)

    with pytest.raises(numba.core.errors.TypingError):  # no NRT: no allocation either
        allocates(3)


def test_unknown_njit_option_is_refused():
    # what makes a dropped ``_nrt`` loud: numba refuses options it does not know
    with pytest.raises(KeyError, match="Unrecognized options"):
        numba.njit(cache=False, _no_such_option=False)(lambda x: x)(1.0)


def test_fma_intrinsic_is_fused_in_compiled_code():
    a = 1.0 + 2.0**-52
    b = 1.0 - 2.0**-52
    # a b - 1 = -2**-104 exactly; an unfused multiply rounds a b to 1 and gives 0
    assert a * b - 1.0 == 0.0
    compiled = numba.njit(cache=False, error_model="numpy")(lambda x, y, z: fm.fma(x, y, z))
    assert compiled(a, b, -1.0) == -(2.0**-104)
    assert fm.fma(a, b, -1.0) == -(2.0**-104)  # the Python twin
    ir = "\n".join(compiled.inspect_llvm().values())
    assert "llvm.fma.f64" in ir


def test_bit_casts_and_bare_division():
    bits = numba.njit(cache=False)(lambda x: fm._bits(x))
    from_bits = numba.njit(cache=False)(lambda n: fm._from_bits(n))
    div = numba.njit(cache=False)(lambda a, b: fm._div(a, b))
    assert bits(1.0) == 0x3FF0000000000000
    assert bits(-0.0) == -(2**63)
    assert from_bits(0x4000000000000000) == 2.0
    assert div(1.0, 0.0) == np.inf  # a bare fdiv: no ZeroDivisionError branch
    assert "fdiv" in "\n".join(div.inspect_llvm().values())


def test_parameter_row_intrinsic_loads_a_row_as_a_tuple():
    from sim.tyre.mf61 import MF61_PARAMETER_COUNT, parameter_row

    table = np.arange(2.0 * MF61_PARAMETER_COUNT).reshape(2, MF61_PARAMETER_COUNT)
    row = numba.njit(cache=False)(lambda t, axle: parameter_row(t, axle))
    assert row(table, 1) == tuple(table[1])
    assert row(table, 0) == tuple(table[0])


def _lane_loop(x, out, n):
    for lane in range(n):
        out[lane] = fm.sin(1.3 * fm.atan(x[lane])) * fm.exp(-x[lane] * x[lane])


def test_a_lane_loop_over_fastmath_compiles_to_packed_code_without_calls():
    loop = numba.njit(cache=False, error_model="numpy", _nrt=False)(_lane_loop)
    x = np.linspace(-3.0, 3.0, 64)
    out = np.empty(64)
    loop(x, out, 64)
    expected = np.sin(1.3 * np.arctan(x)) * np.exp(-x * x)
    np.testing.assert_allclose(out, expected, rtol=1e-14, atol=1e-300)
    asm = loop.inspect_asm(loop.signatures[0])
    match = re.search(r"^(_ZN(?!7cpython)\S+):\n(.*?)^(?:_ZN7cpython|cfunc\.)", asm,
                      re.MULTILINE | re.DOTALL)
    body = match.group(2) if match else asm
    packed = re.findall(r"^\s+v?\w+pd\s[^\n]*%[xyz]mm", body, re.MULTILINE)
    assert len(packed) > 50, "the lane loop no longer vectorises"
    assert not re.findall(r"^\s+call", body, re.MULTILINE), "calls left in the lane loop"
