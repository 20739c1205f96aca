"""Coast-down with F = A + B v + C v²: the road-load kernel integrated in time against the
closed-form speed history of m_eff dv/dt = -(A + B v + C v²).

With u = v + B/(2C) the equation is m_eff du/dt = -C (u² + q²), q² = (4AC - B²)/(4C²):
* 4AC > B² (the usual case; B = 0 is the arctan textbook case):
      u(t) = q tan(atan(u0/q) - q C t / m_eff),
  stop time t_stop = m_eff/(q C) (atan(u0/q) - atan(B/(2 C q)));
* 4AC < B², r² = (B² - 4AC)/(4C²):  (u - r)/(u + r) = (u0 - r)/(u0 + r) exp(-2 r C t / m_eff).
Sources: separable ODE, any calculus text; the B = 0 form is the one test labs use for
coast-down times (e.g. Gillespie, Fundamentals of Vehicle Dynamics, ch. 2).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from sim.powertrain.road_load import road_load_force_n


def _closed_form_speed(a, b, c, m, v0, t):
    u0 = v0 + b / (2 * c)
    disc = 4 * a * c - b * b
    if disc > 0:
        q = math.sqrt(disc) / (2 * c)
        u = q * np.tan(math.atan(u0 / q) - q * c * t / m)
    else:
        r = math.sqrt(-disc) / (2 * c)
        g = (u0 - r) / (u0 + r) * np.exp(-2 * r * c * t / m)
        u = r * (1 + g) / (1 - g)
    return u - b / (2 * c)


def _integrated_speed(a, b, c, m, v0, t):
    sol = solve_ivp(lambda _t, y: [-road_load_force_n(a, b, c, y[0]) / m], (0.0, t[-1]),
                    [v0], t_eval=t, rtol=1e-12, atol=1e-12, method="DOP853")
    return sol.y[0]


# Tesla-Model-3-like numbers (FASTSim 3.1 bundled file): m 1752 kg, f_rr 0.007, CdA 0.5106,
# rho 1.2, four wheels of 0.815 kg m^2 at r 0.33435 m -> m_eff = m + 4 I / r^2.
M_EFF = 1752.0 + 4 * 0.815 / 0.33435 ** 2
CASES = {
    "B = 0 (arctan)": (120.27, 0.0, 0.30636),
    "B > 0, 4AC > B^2": (120.27, 3.0, 0.30636),
    "B < 0 (fitted), 4AC > B^2": (120.27, -2.0, 0.30636),
    "4AC < B^2 (logarithmic)": (20.0, 30.0, 0.30636),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_speed_history_matches_closed_form(case):
    a, b, c = CASES[case]
    v0 = 130 / 3.6
    t = np.linspace(0.0, 60.0, 61)
    exact = _closed_form_speed(a, b, c, M_EFF, v0, t)
    assert np.all(exact > 0)          # still rolling at 60 s in every case
    np.testing.assert_allclose(_integrated_speed(a, b, c, M_EFF, v0, t), exact,
                               rtol=1e-9, atol=1e-9)


def test_b_zero_stop_time_and_initial_deceleration():
    a, b, c = CASES["B = 0 (arctan)"]
    v0 = 100 / 3.6
    q = math.sqrt(a / c)
    t_stop = M_EFF / math.sqrt(a * c) * math.atan(v0 / q)
    # The arctan form reaches zero speed exactly at t_stop.
    assert _closed_form_speed(a, b, c, M_EFF, v0, np.array([t_stop]))[0] == pytest.approx(
        0.0, abs=1e-9)
    # Integrating the kernel until v = 0 stops at the same time (279 s for this low-drag
    # car: no driveline drag in the FASTSim inputs).
    stop = solve_ivp(lambda _t, y: [-road_load_force_n(a, b, c, y[0]) / M_EFF], (0.0, 1e3),
                     [v0], rtol=1e-12, atol=1e-12, method="DOP853",
                     events=lambda _t, y: y[0])
    assert stop.t_events[0][0] == pytest.approx(t_stop, rel=1e-8)
    assert t_stop == pytest.approx(279.1155, abs=1e-3)
    # Initial deceleration: (A + C v0^2) / m_eff.
    assert road_load_force_n(a, b, c, v0) / M_EFF == pytest.approx(
        (a + c * v0 ** 2) / M_EFF, rel=1e-15)
