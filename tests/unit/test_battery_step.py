"""The battery over a cycle-model step (sim/energy/longitudinal.py::battery_step, explicit
midpoint) and the one-look-up battery kernels it calls (pack_circuit, cell_flows,
battery_rates, available_powers_w): against the single-purpose kernels, .py_func, the energy
identity and the integration order."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.energy import longitudinal as lo
from sim.powertrain import battery as b

P = b.battery_parameters(sim.load_vehicle("coupe"))[0]


def _state(soc0, soc1, rc0=0.0, rc1=0.0):
    return np.array([soc0, rc0, soc1, rc1])


@settings(max_examples=50, deadline=None)
@given(soc0=st.floats(0.0, 1.0), soc1=st.floats(0.0, 1.0), rc0=st.floats(-0.05, 0.05),
       rc1=st.floats(-0.05, 0.05), power=st.floats(-200e3, 300e3))
def test_rates_agree_with_the_single_purpose_kernels(soc0, soc1, rc0, rc1, power):
    x = _state(soc0, soc1, rc0, rc1)
    dx = np.zeros(4)
    v, ok, chem, heat, rc = b.battery_rates(P, x, power, dx)
    assert (v, ok) == b.bus_voltage_v(P, x, power)
    for k in range(2):
        ocv, r, r1, e, g = b.pack_circuit(P, x, k)
        assert ocv == b.cell_ocv_v(P, x[2 * k])
        assert r == b.cell_series_resistance_ohm(P, x[2 * k])
        assert r1 == pytest.approx(b.cell_rc_resistance_ohm(P, x[2 * k]), rel=1e-15)
        assert e == pytest.approx(P[b.IX_CELLS_IN_SERIES] * (ocv - x[2 * k + 1]), rel=1e-15)
        i = b.cell_current_a(P, x, k, v)
        assert dx[2 * k] == pytest.approx(-i / (3600.0 * P[b.IX_CELL_CAPACITY_AH]), rel=1e-14)
    assert chem == pytest.approx(sum(b.pack_chemical_power_w(P, x, k, v) for k in range(2)),
                                 rel=1e-12, abs=1e-9)
    assert heat == pytest.approx(sum(b.pack_heat_w(P, x, k, v) for k in range(2)), rel=1e-12)
    if ok:  # the energy identity at every state: chemical = terminal + heat + RC
        assert chem == pytest.approx(power + heat + rc, rel=1e-9, abs=1e-6)
    dx_py = np.zeros(4)
    assert b.battery_rates.py_func(P, x, power, dx_py) == pytest.approx((v, ok, chem, heat, rc))
    np.testing.assert_allclose(dx_py, dx, rtol=1e-13)
    assert b.available_powers_w(P, x) == pytest.approx(
        (b.available_discharge_power_w(P, x), b.available_charge_power_w(P, x)), rel=1e-15)


def _step(x, power, h):
    k1, k2, stage = np.zeros(4), np.zeros(4), np.zeros(4)
    return lo.battery_step(P, x, power, h, k1, k2, stage)


def _run(x0, power, h, duration):
    x = x0.copy()
    chem = heat = rc = 0.0
    for _ in range(int(round(duration / h))):
        c, q, r, ok, _ = _step(x, power, h)
        assert ok
        chem, heat, rc = chem + c, heat + q, rc + r
    return x, chem, heat, rc


def test_step_closes_the_energy_balance_to_rounding():
    x0 = _state(0.8, 0.7)
    power = 120e3
    x, chem, heat, rc = _run(x0, power, 1.0, 20.0)
    assert chem == pytest.approx(power * 20.0 + heat + rc, rel=1e-13)
    assert heat > 0.0 and rc > 0.0 and x[0] < 0.8 and x[2] < 0.7


def test_step_is_second_order():
    # 30 s at 150 kW from packs at different SOC (they share current unevenly): the error of
    # the end state against a 1/64 s reference falls by ~4 per halving of the step
    x0 = _state(0.9, 0.6, 0.01, -0.01)
    ref = _run(x0, 150e3, 1.0 / 64.0, 30.0)[0]
    errors = [np.abs(_run(x0, 150e3, h, 30.0)[0] - ref).max() for h in (2.0, 1.0, 0.5)]
    assert errors[0] > errors[1] > errors[2] > 0.0
    for coarse, fine in zip(errors, errors[1:], strict=False):
        assert 3.0 < coarse / fine < 5.0
    # at the cycle model's 1 s step: a cell's RC voltage within 50 uV (of 3.7 V), SOC closer
    assert errors[1] < 5e-5


def test_step_matches_py_func():
    x_c, x_p = _state(0.5, 0.55, 0.02, 0.0), _state(0.5, 0.55, 0.02, 0.0)
    got = _step(x_c, -80e3, 1.0)
    want = lo.battery_step.py_func(P, x_p, -80e3, 1.0, np.zeros(4), np.zeros(4), np.zeros(4))
    assert got == pytest.approx(want, rel=1e-13)
    np.testing.assert_allclose(x_c, x_p, rtol=1e-14)
