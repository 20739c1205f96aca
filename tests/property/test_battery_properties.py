"""Available power is never exceeded: any demand up to it keeps every cell within its voltage
and current limits (hypothesis over states and demands); at it, a limit binds."""

from __future__ import annotations

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import sim
from sim.powertrain import battery as b

P = b.battery_parameters(sim.load_vehicle("coupe"))[0]
P_UNCAPPED = P.copy()
P_UNCAPPED[b.IX_DISCHARGE_POWER_CAP_W] = P_UNCAPPED[b.IX_CHARGE_POWER_CAP_W] = np.inf

# Both packs at one state: two packs of the same cells directly in parallel keep equal SOCs and
# RC voltages from any equal start (equal C-rates, tests/unit/test_battery.py). Strongly
# imbalanced packs (e.g. one empty, one full) exchange balancing currents beyond the cell
# limits even at zero power, which no terminal-power limit can prevent.
states = st.tuples(st.floats(0.0, 1.0), st.floats(-0.03, 0.03)).map(lambda s: (*s, *s))
TOL = 1e-9


def _within_window(x):
    """The rested-bus cell voltage OCV - V_rc lies within the cut-offs (a state the limits
    can reach; e.g. SOC 0 with a positive RC voltage is already below the cut-off)."""
    return 3.0 <= b.cell_source_voltage_v(P, x[0], x[1]) <= 4.2


def _cells(p, x, power):
    op = b.battery_operating_point(p, x, power)
    v_cell = op.bus_voltage_v[0] / p[b.IX_CELLS_IN_SERIES]
    return op, v_cell


@settings(max_examples=300, deadline=None)
@given(states, st.floats(0.0, 1.0), st.booleans())
def test_discharge_within_available_power_keeps_cells_within_limits(x, fraction, capped):
    p = P if capped else P_UNCAPPED
    x = np.array(x)
    assume(_within_window(x))
    dis, _, _ = b.available_power_w(p, x)
    op, v_cell = _cells(p, x, fraction * dis[0])
    assert op.feasible[0]
    assert v_cell >= 3.0 * (1 - TOL)
    assert np.all(op.cell_current_a[0] <= p[b.IX_CELL_MAX_DISCHARGE_CURRENT_A] * (1 + TOL))
    assert dis[0] <= p[b.IX_DISCHARGE_POWER_CAP_W]


@settings(max_examples=300, deadline=None)
@given(states, st.floats(0.0, 1.0), st.booleans())
def test_charge_within_available_power_keeps_cells_within_limits(x, fraction, capped):
    p = P if capped else P_UNCAPPED
    x = np.array(x)
    assume(_within_window(x))
    _, ch, _ = b.available_power_w(p, x)
    op, v_cell = _cells(p, x, -fraction * ch[0])
    assert v_cell <= 4.2 * (1 + TOL)
    limits = b.cell_curves(p, x[[0, 2]])[2]
    assert np.all(-op.cell_current_a[0] <= limits * (1 + TOL) + 1e-9)
    assert ch[0] <= p[b.IX_CHARGE_POWER_CAP_W]


@settings(max_examples=200, deadline=None)
@given(states)
def test_at_the_available_discharge_power_a_limit_binds(x):
    x = np.array(x)
    dis, _, pmax = b.available_power_w(P_UNCAPPED, x)
    if dis[0] == 0.0:
        return
    op, v_cell = _cells(P_UNCAPPED, x, dis[0])
    bound = (np.isclose(v_cell, 3.0, rtol=1e-9)
             or np.isclose(op.cell_current_a[0].max(), P[b.IX_CELL_MAX_DISCHARGE_CURRENT_A],
                           rtol=1e-7)
             or np.isclose(dis[0], pmax[0], rtol=1e-9))
    assert bound


@settings(max_examples=100, deadline=None)
@given(st.floats(0.0, 0.99), st.floats(0.001, 0.01))
def test_available_discharge_power_falls_as_the_pack_empties(soc, dsoc):
    hi, _, _ = b.available_power_w(P_UNCAPPED, b.battery_state(min(soc + dsoc, 1.0)))
    lo, _, _ = b.available_power_w(P_UNCAPPED, b.battery_state(soc))
    assert lo[0] <= hi[0] * (1 + 1e-12)
