"""MF 6.1 forces against MFeval (the established open implementation), point by point.

Reference: MFeval.jl outputs (useMode 221: no limit checks, alpha* = tan(alpha), combined
slip, no turn slip) for the MFeval sample file MagicFormula61_Parameters.tir; provenance in
tests/data/README.md. Tolerance rtol 1e-6 with atol 1e-3 N: MFeval's own eps guards change
results by ~3e-7 N, while any convention slip (alpha vs tan(alpha), Fz vs Fz0, pressure in
bar, unnormalised combined weights) moves forces by newtons.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from sim.tyre.mf61 import MF61Tyre

DATA = Path(__file__).resolve().parents[1] / "data"
TYRE = MF61Tyre.from_tir(DATA / "MagicFormula61_Parameters.tir")
RTOL, ATOL_N = 1e-6, 1e-3


def _load(name: str) -> dict[str, np.ndarray]:
    with open(DATA / name, newline="") as handle:
        rows = list(csv.DictReader(line for line in handle if not line.startswith("#")))
    columns = {key: np.array([row[key] for row in rows]) for key in rows[0]}
    return {key: (values if key == "sweep" else values.astype(np.float64))
            for key, values in columns.items()}


SWEEPS = _load("mf61_reference_sweeps.csv")
RANDOM = _load("mfeval_fixture_random26.csv")


def test_fixtures_are_complete():
    assert SWEEPS["Fx_N"].size == 82
    assert sorted(set(SWEEPS["sweep"])) == ["alpha", "kappa"]
    assert RANDOM["Fx"].size == 26


def test_pure_slip_sweeps_82_points():
    fx, fy = TYRE.evaluate(SWEEPS["kappa"], SWEEPS["alpha_rad"], fz_n=SWEEPS["fz_N"])
    np.testing.assert_allclose(fx, SWEEPS["Fx_N"], rtol=RTOL, atol=ATOL_N)
    np.testing.assert_allclose(fy, SWEEPS["Fy_N"], rtol=RTOL, atol=ATOL_N)


def test_random_combined_points_26_forces():
    fx, fy = TYRE.evaluate(RANDOM["kappa"], RANDOM["alpha"], fz_n=RANDOM["fz"],
                           gamma_rad=RANDOM["gamma"], pressure_pa=RANDOM["pressure"])
    np.testing.assert_allclose(fx, RANDOM["Fx"], rtol=RTOL, atol=ATOL_N)
    np.testing.assert_allclose(fy, RANDOM["Fy"], rtol=RTOL, atol=ATOL_N)


def test_random_combined_points_26_aligning_moment():
    # MFeval divides by V_c + 1e-6 inside cos(alpha'); sim has no speed and uses cos(alpha):
    # the difference is below 1e-6 / V_c relative (V_c >= 6 m/s here).
    mz = TYRE.aligning_moment_nm(RANDOM["kappa"], RANDOM["alpha"], fz_n=RANDOM["fz"],
                                 gamma_rad=RANDOM["gamma"], pressure_pa=RANDOM["pressure"])
    np.testing.assert_allclose(mz, RANDOM["Mz"], rtol=RTOL, atol=ATOL_N)


def test_random_points_26_stiffness_and_friction():
    fz, gamma, pressure = RANDOM["fz"], RANDOM["gamma"], RANDOM["pressure"]
    kxk = TYRE.slip_stiffness_kxk(fz, pressure_pa=pressure)
    kya = TYRE.cornering_stiffness_kya(fz, gamma_rad=gamma, pressure_pa=pressure)
    mux, muy = TYRE.peak_friction(fz, gamma_rad=gamma, pressure_pa=pressure)
    np.testing.assert_allclose(kxk, RANDOM["Kxk"], rtol=RTOL, atol=ATOL_N)
    np.testing.assert_allclose(kya, RANDOM["Kya"], rtol=RTOL, atol=ATOL_N)
    np.testing.assert_allclose(mux, RANDOM["mux"], rtol=RTOL, atol=0.0)
    np.testing.assert_allclose(muy, RANDOM["muy"], rtol=RTOL, atol=0.0)


def test_sweep_operating_point_constants():
    # stated in the fixture header: Kxk = 222209.6704 N, Kya = -137436.33267 N/rad,
    # mux = 1.1632, muy = 1.0085 at Fz = 6752 N, gamma = 0, p = 2.6 bar
    assert TYRE.slip_stiffness_kxk(6752.0) == pytest.approx(222209.6704, rel=RTOL)
    assert TYRE.cornering_stiffness_kya(6752.0) == pytest.approx(-137436.33267, rel=RTOL)
    assert TYRE.peak_friction(6752.0) == pytest.approx((1.1632, 1.0085), rel=RTOL)


@pytest.mark.parametrize("row", range(26))
def test_random_points_one_at_a_time(row):
    """The scalar path (floats in, floats out) gives the same numbers as MFeval."""
    fx, fy = TYRE.evaluate(float(RANDOM["kappa"][row]), float(RANDOM["alpha"][row]),
                           fz_n=float(RANDOM["fz"][row]), gamma_rad=float(RANDOM["gamma"][row]),
                           pressure_pa=float(RANDOM["pressure"][row]))
    assert fx == pytest.approx(RANDOM["Fx"][row], rel=RTOL, abs=ATOL_N)
    assert fy == pytest.approx(RANDOM["Fy"][row], rel=RTOL, abs=ATOL_N)
