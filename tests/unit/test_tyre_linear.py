"""Unit tests of the linear tyre and the lateral relaxation (sim.tyre.linear)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.errors import SpecError
from sim.tyre.linear import LinearTyre, linear_forces, relaxed_slip_angle_rate_radps
from sim.tyre.mf61 import MF61Tyre

SAMPLE = Path(__file__).resolve().parents[2] / "tests" / "data" / "MagicFormula61_Parameters.tir"
PROPERTY = settings(deadline=None, max_examples=200)


def test_linear_forces_have_iso_w_signs():
    tyre = LinearTyre(slip_stiffness_n=2.0e5, cornering_stiffness_n_per_rad=1.0e5)
    fx, fy = tyre.evaluate(0.01, 0.02, fz_n=4000.0)
    assert fx == pytest.approx(2000.0) and fy == pytest.approx(-2000.0)


def test_unsaturated_tyre_ignores_load_and_friction():
    tyre = LinearTyre(2.0e5, 1.0e5)
    assert tyre.evaluate(0.5, 0.5, fz_n=100.0, mu_road=0.1) == (1.0e5, -0.5e5)


def test_saturation_scales_onto_the_friction_circle():
    tyre = LinearTyre(2.0e5, 1.0e5, friction_coefficient=1.1)
    fx, fy = tyre.evaluate(0.3, 0.6, fz_n=4000.0, mu_road=0.5)  # linear: (6e4, -6e4)
    assert math.hypot(fx, fy) == pytest.approx(1.1 * 0.5 * 4000.0, rel=1e-14)
    assert fx == pytest.approx(-fy, rel=1e-14)  # direction kept
    inside = tyre.evaluate(0.001, 0.001, fz_n=4000.0)
    assert inside == pytest.approx((200.0, -100.0), rel=1e-14)


def test_linearised_mf61_matches_the_slope_at_the_origin():
    mf = MF61Tyre.from_tir(SAMPLE)
    lin = LinearTyre.from_mf61(mf, 5000.0, saturate=True)
    assert lin.cornering_stiffness_n_per_rad == -mf.cornering_stiffness_kya(5000.0)
    assert lin.slip_stiffness_n == mf.slip_stiffness_kxk(5000.0)
    assert lin.friction_coefficient == min(mf.peak_friction(5000.0))
    # the linear tyre is the MF tangent at the origin (up to the MF's small offsets)
    h = 1e-5
    mf_slope = (mf.evaluate(0.0, h, fz_n=5000.0)[1] - mf.evaluate(0.0, -h, fz_n=5000.0)[1]) / 2
    assert lin.evaluate(0.0, h, fz_n=5000.0)[1] == pytest.approx(mf_slope, rel=1e-3)


def test_batch_shape_follows_broadcasting():
    tyre = LinearTyre(2.0e5, 1.0e5, friction_coefficient=1.0)
    fx, fy = tyre.evaluate(np.array([[0.0], [0.01]]), np.array([0.0, 0.01, 0.02]),
                           fz_n=np.array([3000.0, 3000.0, 3000.0]))
    assert fx.shape == fy.shape == (2, 3)
    assert fy[1, 2] == pytest.approx(-2000.0)


@PROPERTY
@given(kappa=st.floats(-1, 1), alpha=st.floats(-1, 1), fz=st.floats(0, 1e4),
       mu=st.floats(0, 2), sat=st.sampled_from([-1.0, 0.8, 1.2]))
def test_compiled_linear_kernel_equals_py_func(kappa, alpha, fz, mu, sat):
    args = (2.0e5, 1.0e5, sat, kappa, alpha, fz, mu)
    np.testing.assert_allclose(linear_forces(*args), linear_forces.py_func(*args),
                               rtol=1e-14, atol=1e-12)


@PROPERTY
@given(alpha=st.floats(-0.5, 0.5), lag=st.floats(-0.5, 0.5), vx=st.floats(-60, 60),
       sigma=st.floats(0.1, 2.0))
def test_relaxation_rate(alpha, lag, vx, sigma):
    rate = relaxed_slip_angle_rate_radps(alpha, lag, vx, sigma)
    assert rate == pytest.approx((alpha - lag) * abs(vx) / sigma, rel=1e-14, abs=1e-300)
    assert rate == relaxed_slip_angle_rate_radps.py_func(alpha, lag, vx, sigma)
    if vx != 0.0 and alpha != lag:
        assert math.copysign(1.0, rate) == math.copysign(1.0, alpha - lag)  # towards alpha


def test_relaxation_is_a_first_order_lag_over_distance():
    # Integrate at 20 m/s for the time it takes to roll one relaxation length:
    # the lagged angle reaches 1 - 1/e of a step input.
    sigma, vx, dt = 0.5, 20.0, 1e-6
    lag = 0.0
    for _ in range(round(sigma / vx / dt)):
        lag += dt * relaxed_slip_angle_rate_radps(0.1, lag, vx, sigma)
    assert lag == pytest.approx(0.1 * (1.0 - math.exp(-1.0)), rel=1e-4)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"slip_stiffness_n": 0.0, "cornering_stiffness_n_per_rad": 1e5},
     r"slip_stiffness_n = 0\.0: must be finite and > 0"),
    ({"slip_stiffness_n": 1e5, "cornering_stiffness_n_per_rad": -1e5},
     r"cornering_stiffness_n_per_rad = -100000\.0: must be finite and > 0"),
    ({"slip_stiffness_n": 1e5, "cornering_stiffness_n_per_rad": 1e5,
      "friction_coefficient": math.nan}, r"friction_coefficient = nan"),
])
def test_bad_construction_is_named(kwargs, message):
    with pytest.raises(SpecError, match=message):
        LinearTyre(**kwargs)


def test_bad_evaluate_arguments_are_named():
    tyre = LinearTyre(2.0e5, 1.0e5)
    with pytest.raises(SpecError, match=r"fz_n = -1\.0: must be finite and >= 0 N"):
        tyre.evaluate(0.0, 0.0, fz_n=-1.0)
    with pytest.raises(SpecError, match=r"alpha_rad = 'non-finite value'"):
        tyre.evaluate(0.0, np.inf, fz_n=1.0)
    with pytest.raises(SpecError, match=r"mu_road = -0\.5"):
        tyre.evaluate(0.0, 0.0, fz_n=1.0, mu_road=-0.5)
