"""Road-load kernels: values, the (m, f_rr, CdA, rho) <-> (A, B, C) mapping, .py_func twins."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.errors import SpecError
from sim.powertrain import road_load as rl
from sim.units import AIR_DENSITY_KGPM3, GRAVITY_MPS2

KERNELS = [
    (rl.road_load_force_n, (120.0, 2.5, 0.31, 27.0)),
    (rl.road_load_power_w, (120.0, 2.5, 0.31, 27.0)),
    (rl.rolling_resistance_a_n, (1752.0, 0.007)),
    (rl.aerodynamic_c_n_per_mps2, (0.5106, 1.2)),
    (rl.rolling_resistance_coefficient_from_a, (120.0, 1752.0)),
    (rl.drag_area_m2_from_c, (0.31, 1.2)),
]


@pytest.mark.parametrize(("kernel", "args"), KERNELS, ids=lambda k: getattr(k, "__name__", ""))
def test_compiled_kernel_equals_python_twin(kernel, args):
    assert kernel(*args) == kernel.py_func(*args)


def test_force_and_power_values():
    # 120 + 2.5*27 + 0.31*27^2 = 120 + 67.5 + 225.99 = 413.49 N
    assert rl.road_load_force_n(120.0, 2.5, 0.31, 27.0) == pytest.approx(413.49, rel=1e-15)
    assert rl.road_load_power_w(120.0, 2.5, 0.31, 27.0) == pytest.approx(413.49 * 27, rel=1e-15)
    np.testing.assert_allclose(
        rl.evaluate_road_load_force_n([[120.0], [0.0]], 0.0, 0.5, [0.0, 10.0]),
        [[120.0, 170.0], [0.0, 50.0]])
    assert rl.evaluate_road_load_power_w(100.0, 0.0, 0.0, 3.0) == 300.0


def test_mapping_closed_form():
    c = rl.coast_down_coefficients(1752.0, 0.007, 0.23 * 2.22, air_density_kgpm3=1.2)
    assert c.a_n == pytest.approx(1752.0 * 9.80665 * 0.007, rel=1e-15)   # 120.2688 N
    assert c.b_n_per_mps == 0.0
    assert c.c_n_per_mps2 == pytest.approx(0.5 * 1.2 * 0.5106, rel=1e-15)   # 0.30636
    default = rl.coast_down_coefficients(1500.0, 0.01, 0.6)
    assert default.c_n_per_mps2 == pytest.approx(0.5 * AIR_DENSITY_KGPM3 * 0.6)
    assert c.force_n(20.0) == pytest.approx(c.a_n + c.c_n_per_mps2 * 400.0)


def test_measured_b_is_kept_not_folded():
    c = rl.coast_down_coefficients(1500.0, 0.01, 0.6, b_n_per_mps=-1.5)
    assert c.b_n_per_mps == -1.5
    back = rl.physical_from_coast_down(c, 1500.0)
    assert back.b_n_per_mps == -1.5
    assert back.rolling_resistance_coefficient == pytest.approx(0.01, rel=1e-14)
    assert back.drag_area_m2 == pytest.approx(0.6, rel=1e-14)


@given(m=st.floats(500.0, 4000.0), f=st.floats(0.0, 0.03), cda=st.floats(0.0, 2.0),
       rho=st.floats(0.9, 1.4), b=st.floats(-10.0, 10.0))
def test_mapping_round_trip(m, f, cda, rho, b):
    c = rl.coast_down_coefficients(m, f, cda, air_density_kgpm3=rho, b_n_per_mps=b)
    back = rl.physical_from_coast_down(c, m, air_density_kgpm3=rho)
    assert back.rolling_resistance_coefficient == pytest.approx(f, rel=1e-13, abs=1e-300)
    assert back.drag_area_m2 == pytest.approx(cda, rel=1e-13, abs=1e-300)
    assert back.b_n_per_mps == b
    assert c.a_n == pytest.approx(m * GRAVITY_MPS2 * f, rel=1e-15, abs=1e-300)


def test_batch_first_mapping():
    c = rl.coast_down_coefficients(np.array([1000.0, 2000.0]), 0.01, np.array([0.5, 0.7]))
    np.testing.assert_allclose(c.a_n, [98.0665, 196.133])
    np.testing.assert_allclose(c.c_n_per_mps2, [0.30625, 0.42875])


def test_bad_inputs():
    with pytest.raises(SpecError, match=r"speed_mps = -1\.0: must be finite and >= 0 m/s"):
        rl.evaluate_road_load_force_n(100.0, 0.0, 0.3, [1.0, -1.0])
    with pytest.raises(SpecError, match=r"a_n = -5\.0: must be finite and >= 0 N"):
        rl.evaluate_road_load_force_n(-5.0, 0.0, 0.3, 1.0)
    with pytest.raises(SpecError, match=r"b_n_per_mps = nan: must be finite"):
        rl.evaluate_road_load_force_n(5.0, np.nan, 0.3, 1.0)
    with pytest.raises(SpecError, match=r"mass_kg = 0\.0: must be finite and > 0 kg"):
        rl.coast_down_coefficients(0.0, 0.01, 0.6)
    with pytest.raises(SpecError, match=r"air_density_kgpm3 = 0\.0: must be finite and > 0"):
        rl.physical_from_coast_down(rl.CoastDownCoefficients(1.0, 0.0, 1.0), 1000.0,
                                    air_density_kgpm3=0.0)
    with pytest.raises(SpecError, match=r"rolling_resistance_coefficient = -0\.01"):
        rl.coast_down_coefficients(1000.0, -0.01, 0.6)
