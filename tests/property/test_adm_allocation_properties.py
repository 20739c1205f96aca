"""Properties of the torque allocation for any demands, loads and limits (hypothesis):

* no bound is ever exceeded (the bounds carry the machine, battery and grip limits);
* the delivered force and moment are what the variables deliver, and equal the demands
  whenever the demands are feasible (checked by a linear programme);
* the yaw moment is met as closely as the box allows (stability first);
* the result is the optimum of the quadratic programme (compared with scipy's SLSQP).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog, minimize

from sim.adm import allocate

finite = st.floats(allow_nan=False, allow_infinity=False)


@st.composite
def problems(draw):
    used = draw(st.lists(st.booleans(), min_size=4, max_size=4))
    if not any(used):
        used[draw(st.integers(0, 3))] = True
    b_fx, b_mz, w, lo, hi = [], [], [], [], []
    for j in range(4):
        if not used[j]:
            b_fx.append(0.0), b_mz.append(0.0), w.append(1.0), lo.append(0.0), hi.append(0.0)
            continue
        two = draw(st.booleans())  # an axle variable: two wheels
        b_fx.append(draw(st.floats(0.5, 1.0)) * (2.0 if two else 1.0))
        # a moment arm is 0 (an open-differential axle) or, as on a car, 0.1 to 1.5 m: arms
        # of micrometres made hypothesis find rounding-level disagreements between the
        # allocation's strict priorities and the LP feasibility check
        arm = draw(st.one_of(st.just(0.0), st.floats(0.1, 1.5)))
        b_mz.append(arm if draw(st.booleans()) else -arm)
        grip = draw(st.floats(10.0, 8000.0))
        w.append((2.0 if two else 1.0) / grip)
        lo.append(-draw(st.floats(0.0, 1.0)) * grip)
        hi.append(draw(st.floats(0.0, 1.0)) * grip)
    fx = draw(st.floats(-20000.0, 20000.0))
    mz = draw(st.floats(-10000.0, 10000.0))
    return fx, mz, tuple(b_fx), tuple(b_mz), tuple(w), tuple(lo), tuple(hi)


def _feasible(fx, mz, b_fx, b_mz, lo, hi) -> bool:
    res = linprog(np.zeros(4), A_eq=np.array([b_fx, b_mz]), b_eq=[fx, mz],
                  bounds=list(zip(lo, hi, strict=True)), method="highs")
    return res.status == 0


@settings(max_examples=300)
@given(problems())
def test_bounds_and_demands(problem):
    fx, mz, b_fx, b_mz, w, lo, hi = problem
    u, got_fx, got_mz = allocate(*problem)
    u = np.array(u)
    scale = 1e-9 * (1.0 + np.abs(lo).sum() + np.abs(hi).sum())
    assert np.all(u >= np.array(lo) - scale) and np.all(u <= np.array(hi) + scale)
    assert got_fx == pytest.approx(np.dot(b_fx, u), abs=1e-6)
    assert got_mz == pytest.approx(np.dot(b_mz, u), abs=1e-6)
    # stability first: the moment is the demand clipped to what the box allows
    mz_lo = sum(min(b * lo_, b * hi_) for b, lo_, hi_ in zip(b_mz, lo, hi, strict=True))
    mz_hi = sum(max(b * lo_, b * hi_) for b, lo_, hi_ in zip(b_mz, lo, hi, strict=True))
    # to 1e-6 of the allocation's own scale (it accepts a vertex or face within 1e-9 of it):
    # the demands plus the largest force and moment the box can make (seen: 1.1e-6 N·m off
    # a 0.0625 N·m demand beside a 1102 N force demand)
    size = np.maximum(np.abs(lo), np.abs(hi))
    problem_scale = 1 + abs(fx) + abs(mz) + np.sum((np.abs(b_fx) + np.abs(b_mz)) * size)
    tolerance = 1e-6 * problem_scale
    assert got_mz == pytest.approx(min(max(mz, mz_lo), mz_hi), abs=tolerance)
    if _feasible(fx, mz, b_fx, b_mz, lo, hi):
        assert got_fx == pytest.approx(fx, abs=tolerance)
        assert got_mz == pytest.approx(mz, abs=tolerance)


@settings(max_examples=100)
@given(problems())
def test_optimal_against_slsqp(problem):
    fx, mz, b_fx, b_mz, w, lo, hi = problem
    u, got_fx, got_mz = allocate(*problem)
    w = np.array(w)
    x0 = np.clip(np.array(u) * 0.5, lo, hi)
    res = minimize(lambda v: float(np.sum(w * v * v)), x0, jac=lambda v: 2 * w * v,
                   method="SLSQP", bounds=list(zip(lo, hi, strict=True)),
                   constraints=[{"type": "eq",
                                 "fun": lambda v: np.array([np.dot(b_fx, v) - got_fx,
                                                            np.dot(b_mz, v) - got_mz])}],
                   options={"ftol": 1e-14, "maxiter": 500})
    ours = float(np.sum(w * np.square(u)))
    if res.success:
        # 1e-5: the exact face enumeration accepts a face within 1e-9 of the box's size,
        # which near a bound of micronewtons moves the optimum's cost by ~1e-6 relative
        assert ours <= res.fun * (1 + 1e-5) + 1e-6
