"""A cell at constant current against the closed form of its equivalent circuit, and coulomb
counting (PyBaMM Thevenin form, REFERENCES.md §7)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.powertrain import battery as b


def _test_cell(ocv_v=3.7, r0_ohm=0.002, r1_ohm=0.003, tau_s=30.0, capacity_ah=50.0):
    """One cell (Ns = Np = 1), flat OCV and R0 tables: the equivalent circuit is linear."""
    p = np.zeros(b.BATTERY_PARAMETER_COUNT)
    p[b.IX_CELL_CAPACITY_AH] = capacity_ah
    p[b.IX_CELL_MIN_VOLTAGE_V], p[b.IX_CELL_MAX_VOLTAGE_V] = 2.5, 4.2
    p[b.IX_CELL_MAX_DISCHARGE_CURRENT_A] = 500.0
    p[b.IX_CELL_R1_TO_R0_RATIO] = r1_ohm / r0_ohm
    p[b.IX_CELL_RC_TIME_CONSTANT_S] = tau_s
    p[b.IX_CELL_OCV_V_TABLE:b.IX_CELL_OCV_V_TABLE + b.N_GRID] = ocv_v
    p[b.IX_CELL_R0_OHM_TABLE:b.IX_CELL_R0_OHM_TABLE + b.N_GRID] = r0_ohm
    p[b.IX_CELL_MAX_CHARGE_CURRENT_A_TABLE:b.IX_CELL_MAX_CHARGE_CURRENT_A_TABLE + b.N_GRID] = 100
    p[b.IX_CELLS_IN_SERIES] = 1.0
    p[b.IX_PACK0_STRINGS] = 1.0
    p[b.IX_DISCHARGE_POWER_CAP_W] = p[b.IX_CHARGE_POWER_CAP_W] = np.inf
    return p


def _power_for_current(p, x, current_a):
    """Terminal power that makes the cell carry ``current_a``: P = (E - I R0) I."""
    e = b.cell_source_voltage_v(p, x[0], x[1])
    return (e - current_a * b.cell_series_resistance_ohm(p, x[0])) * current_a


def _run(p, current_a, t_end_s, dt_s, soc0=0.7):
    x = np.array([soc0, 0.0, 0.0, 0.0])
    dx = np.empty(4)
    rates = []

    def f(y):
        b.battery_derivatives(p, y, _power_for_current(p, y, current_a), dx)
        return dx.copy()

    ts, vs, socs = [0.0], [b.bus_voltage_v(p, x, _power_for_current(p, x, current_a))[0]], [soc0]
    for n in range(int(round(t_end_s / dt_s))):
        k1 = f(x)
        k2 = f(x + 0.5 * dt_s * k1)
        k3 = f(x + 0.5 * dt_s * k2)
        k4 = f(x + dt_s * k3)
        x = x + dt_s / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        rates.append(k1)
        ts.append((n + 1) * dt_s)
        vs.append(b.bus_voltage_v(p, x, _power_for_current(p, x, current_a))[0])
        socs.append(x[0])
    return np.array(ts), np.array(vs), np.array(socs)


@pytest.mark.parametrize("current_a", [100.0, -60.0])
def test_constant_current_terminal_voltage_is_the_closed_form(current_a):
    r0, r1, tau = 0.002, 0.003, 30.0
    p = _test_cell(r0_ohm=r0, r1_ohm=r1, tau_s=tau)
    t, v, _ = _run(p, current_a, 120.0, 0.1)
    expected = 3.7 - current_a * r0 - current_a * r1 * (1.0 - np.exp(-t / tau))
    # RK4 at dt = tau / 300: local error ~ (dt/tau)^5, far below the 1e-9 V asked here
    np.testing.assert_allclose(v, expected, rtol=0, atol=1e-9)
    assert v[0] == pytest.approx(3.7 - current_a * r0, abs=1e-12)  # instant ohmic step


def test_coulomb_counting():
    p = _test_cell(capacity_ah=50.0)
    t, _, soc = _run(p, 100.0, 900.0, 1.0, soc0=0.7)
    # 100 A for 900 s = 25 Ah = half the capacity
    assert soc[-1] == pytest.approx(0.7 - 100.0 * 900.0 / (3600.0 * 50.0), abs=1e-12)
    np.testing.assert_allclose(soc, 0.7 - 100.0 * t / 180000.0, atol=1e-12)


def test_open_circuit_voltage_relaxes_with_the_rc_time_constant():
    p = _test_cell()
    x = np.array([0.5, 0.02, 0.0, 0.0])
    dx = np.empty(4)
    v, ok = b.battery_derivatives(p, x, 0.0, dx)
    assert ok and v == pytest.approx(3.7 - 0.02, abs=1e-15)
    assert dx[1] == pytest.approx(-0.02 / 30.0, rel=1e-14)
    assert dx[0] == 0.0
    assert math.isfinite(dx[3]) and dx[2] == 0.0  # the missing pack does not move
