"""Unit and property tests of the MF 6.1 kernels (sim.tyre.mf61).

The defining properties of the Magic Formula are checked on tyres whose shifts are zeroed
(all PH*, PV*, RH*, RV* = 0): with them, D is the peak, B C D the slope at the origin, and
the curves are odd when the asymmetry terms PEX4, PEY3 (and RBY3) are zero too.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize_scalar

from sim.errors import SpecError
from sim.tyre import mf61
from sim.tyre.mf61 import (
    MF61_PARAMETER_COUNT,
    MF61_PARAMETER_NAMES,
    MF61Tyre,
    evaluate,
    mf61_parameter_vector,
)
from sim.tyre.tir import read_tir
from tests.conftest import ALL_TIRS as ALL_FILES
from tests.conftest import INVENTED_TIR_DIR as INVENTED_DIR
from tests.conftest import INVENTED_TIRS as INVENTED
from tests.conftest import SAMPLE_TIR as SAMPLE

PROPERTY = settings(deadline=None, max_examples=200)
SHIFT = re.compile(r"^(PH|PV|RH|RV)[XY]\d$")


def _zero_shifts(path: Path, extra: dict | None = None) -> MF61Tyre:
    tir = read_tir(path)
    updates = {
        (section, key): 0
        for section in ("LONGITUDINAL_COEFFICIENTS", "LATERAL_COEFFICIENTS")
        for key in tir[section]
        if SHIFT.match(key)
    }
    assert len(updates) == 19  # PHX1-2 PVX1-2 RHX1 PHY1-2 PVY1-4 RHY1-2 RVY1-6
    updates.update(extra or {})
    return MF61Tyre.from_parsed(tir.with_values(updates))


SAMPLE_TYRE = MF61Tyre.from_tir(SAMPLE)
NO_SHIFT = {path.name: _zero_shifts(path) for path in ALL_FILES}
SYMMETRIC = {
    path.name: _zero_shifts(path, {("LONGITUDINAL_COEFFICIENTS", "PEX4"): 0,
                                   ("LATERAL_COEFFICIENTS", "PEY3"): 0,
                                   ("LATERAL_COEFFICIENTS", "RBY3"): 0})
    for path in ALL_FILES
}
NAMES = [path.name for path in ALL_FILES]

loads = st.floats(500.0, 15000.0)
slips = st.floats(-1.0, 1.0)
angles = st.floats(-1.2, 1.2)


# ------------------------------------------------------------------ parameter vector


def test_parameter_names_are_unique_and_have_index_constants():
    assert len(set(MF61_PARAMETER_NAMES)) == MF61_PARAMETER_COUNT
    constants = {name[3:]: value for name, value in vars(mf61).items()
                 if name.startswith("IX_")}
    assert set(constants) == set(MF61_PARAMETER_NAMES)
    for name, value in constants.items():
        assert MF61_PARAMETER_NAMES[value] == name


def test_parameter_vector_holds_the_file_values():
    tir = read_tir(SAMPLE)
    p = mf61_parameter_vector(tir)
    assert p.shape == (MF61_PARAMETER_COUNT,) and p.dtype == np.float64
    assert p[mf61.IX_FNOMIN] == 6752.0
    assert p[mf61.IX_PKY1] == -28.3155
    assert p[mf61.IX_RVY6] == -27.5155
    assert p[mf61.IX_UNLOADED_RADIUS] == 0.3943
    assert not p.flags.writeable


# ------------------------------------------------------------------ compiled == python


@PROPERTY
@given(kappa=slips, alpha=angles, gamma=st.floats(-0.2, 0.2), fz=st.floats(0.0, 15000.0),
       pressure=st.floats(1.5e5, 3.5e5), mu=st.floats(0.0, 1.5))
def test_compiled_kernels_equal_their_py_func(kappa, alpha, gamma, fz, pressure, mu):
    p = SAMPLE_TYRE.parameters
    dfz = mf61._load_increment(p, fz)
    dpi = mf61._pressure_increment(p, pressure)
    a_star, g_star = math.tan(alpha), math.sin(gamma)
    cases = [
        (mf61.mf61_forces, (p, kappa, alpha, gamma, fz, pressure, mu)),
        (mf61.mf61_forces_moment, (p, kappa, alpha, gamma, fz, pressure, mu)),
        (mf61.mf61_characteristics, (p, fz, gamma, pressure, mu)),
        (mf61._fx0, (p, kappa, fz, dfz, dpi, gamma, mu)),
        (mf61._fy0, (p, a_star, fz, dfz, dpi, g_star, mu)),
        (mf61._gxa, (p, kappa, a_star, g_star, dfz)),
        (mf61._gyk, (p, kappa, a_star, g_star, dfz)),
        (mf61._svyk, (p, kappa, a_star, g_star, fz, dfz, 1.0)),
        (mf61._kxk, (p, fz, dfz, dpi)),
        (mf61._kya, (p, fz, dpi, g_star)),
        (mf61._mux, (p, fz, dfz, dpi, gamma, mu)),
        (mf61._muy, (p, fz, dfz, dpi, g_star, mu)),
        (mf61._equivalent_slip_angle, (a_star, 2.0e5, -1.0e5, kappa)),
        (mf61._trail, (p, a_star, a_star, fz, dfz, dpi, gamma, g_star, 1.0, math.cos(alpha))),
        (mf61._residual_torque, (p, a_star, a_star, fz, dfz, dpi, g_star, 1.0, 10.0, 1.4)),
        (mf61._fx_moment_arm, (p, 1000.0, dfz, gamma)),
    ]
    for kernel, args in cases:
        compiled = np.atleast_1d(kernel(*args))
        python = np.atleast_1d(kernel.py_func(*args))
        np.testing.assert_allclose(compiled, python, rtol=1e-12, atol=1e-9,
                                   err_msg=kernel.__name__)


# ------------------------------------------------------------------ defining properties


def _peak(fun, upper):
    """max |fun(x)| over 0 < x < upper (bounded scalar search on a unimodal curve)."""
    res = minimize_scalar(lambda x: -abs(fun(x)), bounds=(0.0, upper), method="bounded",
                          options={"xatol": 1e-12})
    return -res.fun


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("fz", [1500.0, 4000.0, 6752.0, 11000.0])
def test_peak_is_d_equal_mu_fz(name, fz):
    tyre = NO_SHIFT[name]
    mux, muy = tyre.peak_friction(fz)
    peak_fy = _peak(lambda a: tyre.evaluate(0.0, a, fz_n=fz)[1], 0.6)
    peak_fx = _peak(lambda k: tyre.evaluate(k, 0.0, fz_n=fz)[0], 0.6)
    assert peak_fy == pytest.approx(abs(muy) * fz, rel=1e-9)
    assert peak_fx == pytest.approx(abs(mux) * fz, rel=1e-9)
    # braking / the other side reach the same peak (only E differs there)
    peak_fy_neg = _peak(lambda a: tyre.evaluate(0.0, -a, fz_n=fz)[1], 0.6)
    assert peak_fy_neg == pytest.approx(abs(muy) * fz, rel=1e-9)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("fz", [1500.0, 4000.0, 6752.0, 11000.0])
@pytest.mark.parametrize("pressure", [None, 2.1e5, 3.0e5])
def test_slope_at_origin_is_bcd(name, fz, pressure):
    tyre = NO_SHIFT[name]
    h = 1e-6
    fy_plus = tyre.evaluate(0.0, h, fz_n=fz, pressure_pa=pressure)[1]
    fy_minus = tyre.evaluate(0.0, -h, fz_n=fz, pressure_pa=pressure)[1]
    fx_plus = tyre.evaluate(h, 0.0, fz_n=fz, pressure_pa=pressure)[0]
    fx_minus = tyre.evaluate(-h, 0.0, fz_n=fz, pressure_pa=pressure)[0]
    kya = tyre.cornering_stiffness_kya(fz, pressure_pa=pressure)
    kxk = tyre.slip_stiffness_kxk(fz, pressure_pa=pressure)
    assert kya < 0.0 < kxk
    assert (fy_plus - fy_minus) / (2 * h) == pytest.approx(kya, rel=1e-6)
    assert (fx_plus - fx_minus) / (2 * h) == pytest.approx(kxk, rel=1e-6)
    assert tyre.linear_cornering_stiffness_n_per_rad(fz, pressure_pa=pressure) == -kya


def test_stiffness_and_friction_formulas_at_nominal_load():
    # MF 6.1 at Fz = FNOMIN, gamma = 0, p = NOMPRES: Kxk = PKX1 Fz, mu = PD*1,
    # Kya = PKY1 Fz0 sin(PKY4 atan(1 / PKY2))
    tyre = SAMPLE_TYRE
    assert tyre.slip_stiffness_kxk(6752.0) == pytest.approx(32.9102 * 6752.0, rel=1e-14)
    assert tyre.cornering_stiffness_kya(6752.0) == pytest.approx(
        -28.3155 * 6752.0 * math.sin(2.7364 * math.atan(1 / 3.313)), rel=1e-14)
    assert tyre.peak_friction(6752.0) == pytest.approx((1.1632, 1.0085), rel=1e-14)


@PROPERTY
@given(kappa=slips, alpha=angles, fz=loads, name=st.sampled_from(NAMES))
def test_curves_are_odd_without_shifts_and_asymmetry(kappa, alpha, fz, name):
    tyre = SYMMETRIC[name]
    fx, fy = tyre.evaluate(kappa, alpha, fz_n=fz)
    fx_mk, fy_mk = tyre.evaluate(-kappa, alpha, fz_n=fz)
    fx_ma, fy_ma = tyre.evaluate(kappa, -alpha, fz_n=fz)
    tol = 1e-9 * fz
    assert fx_mk == pytest.approx(-fx, abs=tol)  # Fx odd in kappa
    assert fx_ma == pytest.approx(fx, abs=tol)  # ... and even in alpha
    assert fy_ma == pytest.approx(-fy, abs=tol)  # Fy odd in alpha
    assert fy_mk == pytest.approx(fy, abs=tol)  # ... and even in kappa


def test_sample_is_not_symmetric():
    """The symmetry test above could fail: the real sample is asymmetric."""
    fx_p, _ = SAMPLE_TYRE.evaluate(0.1, 0.0, fz_n=6752.0)
    fx_n, _ = SAMPLE_TYRE.evaluate(-0.1, 0.0, fz_n=6752.0)
    assert abs(fx_p + fx_n) > 100.0


@PROPERTY
@given(kappa=slips, alpha=angles, fz=loads, name=st.sampled_from(NAMES))
def test_half_road_friction_halves_the_forces_without_shifts(kappa, alpha, fz, name):
    # mu_road scales the peak coefficients exactly, and no force exceeds the halved peak
    tyre = NO_SHIFT[name]
    mux, muy = tyre.peak_friction(fz)
    mux_half, muy_half = tyre.peak_friction(fz, mu_road=0.5)
    assert (mux_half, muy_half) == pytest.approx((0.5 * mux, 0.5 * muy), rel=1e-14)
    fx, fy = tyre.evaluate(kappa, alpha, fz_n=fz, mu_road=0.5)
    assert abs(fx) <= 0.5 * abs(mux) * fz * (1 + 1e-12)
    assert abs(fy) <= 0.5 * abs(muy) * fz * (1 + 1e-12)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("fz", [2000.0, 6000.0])
def test_half_road_friction_halves_the_peak_and_keeps_the_slope(name, fz):
    tyre = NO_SHIFT[name]
    for mu_road in (1.0, 0.5):
        peak_fy = _peak(lambda a, m=mu_road: tyre.evaluate(0.0, a, fz_n=fz, mu_road=m)[1], 0.6)
        peak_fx = _peak(lambda k, m=mu_road: tyre.evaluate(k, 0.0, fz_n=fz, mu_road=m)[0], 0.6)
        if mu_road == 1.0:
            full = (peak_fx, peak_fy)
    assert (peak_fx, peak_fy) == pytest.approx((0.5 * full[0], 0.5 * full[1]), rel=1e-9)
    h = 1e-6
    slope = (tyre.evaluate(0.0, h, fz_n=fz, mu_road=0.5)[1]
             - tyre.evaluate(0.0, -h, fz_n=fz, mu_road=0.5)[1]) / (2 * h)
    assert slope == pytest.approx(tyre.cornering_stiffness_kya(fz), rel=1e-6)


@PROPERTY
@given(kappa=slips, alpha=angles, fz=loads, name=st.sampled_from(NAMES))
def test_combined_slip_reduces_each_force_without_shifts(kappa, alpha, fz, name):
    tyre = NO_SHIFT[name]
    fx, fy = tyre.evaluate(kappa, alpha, fz_n=fz)
    fx_pure, _ = tyre.evaluate(kappa, 0.0, fz_n=fz)
    _, fy_pure = tyre.evaluate(0.0, alpha, fz_n=fz)
    assert abs(fx) <= abs(fx_pure) * (1 + 1e-12) + 1e-9
    assert abs(fy) <= abs(fy_pure) * (1 + 1e-12) + 1e-9


magnitudes = st.floats(0.05, 0.5)
signs = st.sampled_from([-1.0, 1.0])


@PROPERTY
@given(k=magnitudes, sk=signs, a=magnitudes, sa=signs, fz=st.floats(1500.0, 14000.0))
def test_combined_slip_reduces_each_force_of_the_real_sample(k, sk, a, sa, fz):
    # Away from the small shifts (|kappa|, |alpha| >= 0.05) the real file behaves too.
    kappa, alpha = sk * k, sa * a
    fx, fy = SAMPLE_TYRE.evaluate(kappa, alpha, fz_n=fz)
    fx_pure, _ = SAMPLE_TYRE.evaluate(kappa, 0.0, fz_n=fz)
    _, fy_pure = SAMPLE_TYRE.evaluate(0.0, alpha, fz_n=fz)
    assert abs(fx) < abs(fx_pure)
    assert abs(fy) < abs(fy_pure)


def test_iso_w_signs():
    fx, fy = SAMPLE_TYRE.evaluate(0.05, 0.05, fz_n=5000.0)
    assert fx > 0.0 and fy < 0.0  # driving forward, positive slip angle -> negative Fy
    fx, fy = SAMPLE_TYRE.evaluate(-0.05, -0.05, fz_n=5000.0)
    assert fx < 0.0 and fy > 0.0


# ------------------------------------------------------------------ evaluate plumbing


def test_scalar_inputs_give_floats_and_default_pressure_is_nompres():
    fx, fy = SAMPLE_TYRE.evaluate(0.02, 0.03, fz_n=5000.0)
    assert isinstance(fx, float) and isinstance(fy, float)
    assert (fx, fy) == SAMPLE_TYRE.evaluate(0.02, 0.03, fz_n=5000.0, pressure_pa=260000.0)
    assert (fx, fy) != SAMPLE_TYRE.evaluate(0.02, 0.03, fz_n=5000.0, pressure_pa=220000.0)


def test_batch_of_tyres_broadcasts_like_numpy():
    tyres = [MF61Tyre.from_tir(path) for path in ALL_FILES[:4]]
    p = np.stack([t.parameters for t in tyres])  # (4, P): one tyre per wheel
    kappa = np.array([[0.01], [0.05], [-0.1]])  # (3, 1)
    alpha = np.array([0.02, -0.04, 0.06, 0.0])  # (4,)
    fz = np.array([3000.0, 3500.0, 4500.0, 5000.0])
    fx, fy = evaluate(p, kappa, alpha, fz_n=fz, gamma_rad=0.01, mu_road=0.9)
    assert fx.shape == fy.shape == (3, 4)
    for i in range(3):
        for j in range(4):
            expected = tyres[j].evaluate(float(kappa[i, 0]), float(alpha[j]), fz_n=fz[j],
                                         gamma_rad=0.01, mu_road=0.9)
            assert (fx[i, j], fy[i, j]) == expected


def test_queries_broadcast_over_loads():
    fz = np.array([2000.0, 4000.0, 8000.0])
    kya = SAMPLE_TYRE.cornering_stiffness_kya(fz)
    kxk = SAMPLE_TYRE.slip_stiffness_kxk(fz)
    mux, muy = SAMPLE_TYRE.peak_friction(fz)
    assert kya.shape == kxk.shape == mux.shape == muy.shape == (3,)
    assert np.all(np.diff(-kya) > 0) and np.all(np.diff(kxk) > 0)  # grow with load
    assert np.all(np.diff(mux) < 0) and np.all(np.diff(muy) < 0)  # friction falls with load


def test_lifted_wheel_gives_no_force():
    p = SAMPLE_TYRE.parameters
    assert mf61.mf61_forces(p, 0.1, 0.1, 0.02, -50.0, 2.6e5, 1.0) == (0.0, 0.0)
    assert mf61.mf61_forces_moment(p, 0.1, 0.1, 0.02, -50.0, 2.6e5, 1.0) == (0.0, 0.0, 0.0)
    assert SAMPLE_TYRE.evaluate(0.1, 0.1, fz_n=0.0, gamma_rad=0.02) == (0.0, 0.0)
    assert SAMPLE_TYRE.aligning_moment_nm(0.1, 0.1, fz_n=0.0) == 0.0


def test_no_road_friction_gives_no_force_and_no_moment():
    assert SAMPLE_TYRE.evaluate(0.1, 0.1, fz_n=5000.0, mu_road=0.0) == (0.0, 0.0)
    assert SAMPLE_TYRE.aligning_moment_nm(0.1, 0.1, fz_n=5000.0, mu_road=0.0) == 0.0


@PROPERTY
@given(kappa=st.floats(-0.3, 0.3), alpha=st.floats(-0.3, 0.3), gamma=st.floats(-0.1, 0.1),
       fz=st.floats(0.0, 15000.0), mu=st.floats(0.0, 1.5))
def test_forces_moment_kernel_gives_the_same_forces(kappa, alpha, gamma, fz, mu):
    p = SAMPLE_TYRE.parameters
    fx, fy, _ = mf61.mf61_forces_moment(p, kappa, alpha, gamma, fz, 2.4e5, mu)
    assert (fx, fy) == mf61.mf61_forces(p, kappa, alpha, gamma, fz, 2.4e5, mu)


def test_aligning_moment_is_self_aligning_at_small_slip():
    for alpha in (0.01, 0.03, 0.05):
        assert SAMPLE_TYRE.aligning_moment_nm(0.0, alpha, fz_n=6000.0) > 0.0
        assert SAMPLE_TYRE.aligning_moment_nm(0.0, -alpha, fz_n=6000.0) < 0.0


@pytest.mark.parametrize("name", INVENTED)
def test_invented_tyres_are_plausible(name):
    tyre = MF61Tyre.from_tir(INVENTED_DIR / name)
    fz0 = tyre.parameters[mf61.IX_FNOMIN]
    assert 3500.0 <= fz0 <= 6000.0
    # REFERENCES §6: cornering stiffness per tyre ~ 10-25 x Fz per rad at nominal load
    assert 10.0 <= tyre.linear_cornering_stiffness_n_per_rad(fz0) / fz0 <= 25.0
    mux, muy = tyre.peak_friction(fz0)
    assert 1.1 <= mux <= 1.25 and 1.1 <= muy <= 1.25
    assert 15.0 <= tyre.slip_stiffness_kxk(fz0) / fz0 <= 35.0


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"fz_n": -10.0}, r"<argument>: fz_n = -10\.0: must be finite, >= 0"),
    ({"fz_n": np.array([100.0, np.nan])}, r"fz_n = nan: must be finite"),
    ({"fz_n": math.inf}, r"fz_n = inf: must be finite"),
    ({"fz_n": 1000.0, "pressure_pa": 0.0}, r"pressure_pa = 0\.0: must be finite, > 0 .*not bar"),
    ({"fz_n": 1000.0, "mu_road": -0.1}, r"mu_road = -0\.1: must be finite, >= 0"),
    ({"fz_n": 1000.0, "gamma_rad": 2.0}, r"gamma_rad = 2\.0: must be finite"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(SpecError, match=message):
        SAMPLE_TYRE.evaluate(0.0, 0.0, **kwargs)


def test_bad_slip_is_named():
    with pytest.raises(SpecError, match=r"kappa = nan: must be finite"):
        SAMPLE_TYRE.evaluate(np.nan, 0.0, fz_n=1000.0)
    with pytest.raises(SpecError, match=r"alpha_rad = 1\.6: must be finite, > -1\.5708 and "
                                        r"< 1\.5708 rad"):
        SAMPLE_TYRE.evaluate(0.0, 1.6, fz_n=1000.0)


def test_query_with_negative_load_is_named():
    with pytest.raises(SpecError, match=r"fz_n = -1\.0"):
        SAMPLE_TYRE.cornering_stiffness_kya(-1.0)
    with pytest.raises(ValueError, match=r"fz_n = -1\.0"):
        SAMPLE_TYRE.peak_friction(np.array([1.0, -1.0]))


def test_wrong_parameter_vector_is_named():
    with pytest.raises(SpecError, match=rf"p = \(10,\): must have shape "
                                        rf"\(\.\.\., {MF61_PARAMETER_COUNT}\)"):
        evaluate(np.zeros(10), 0.0, 0.0, fz_n=1000.0)
    p = SAMPLE_TYRE.parameters.copy()
    p[mf61.IX_PCY1] = np.nan
    with pytest.raises(SpecError, match=r"p = 'non-finite entry'"):
        evaluate(p, 0.0, 0.0, fz_n=1000.0)


def test_fz_must_be_given():
    with pytest.raises(TypeError, match="fz_n"):
        SAMPLE_TYRE.evaluate(0.0, 0.0)  # type: ignore[call-arg]
