"""The shared drive-unit slot sums and the battery-limit search (sim/powertrain/drive_unit.py):
the sums against the per-slot kernel, twins, the search's admissible side and tolerance
against a brute-force bisection, and the compiled kernels against their .py_func."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.energy.longitudinal import L_MACHINE0
from sim.params import drive_unit_table, longitudinal_parameters
from sim.powertrain import drive_unit as du
from sim.powertrain.layout import M_GEAR, MACHINE_STRIDE

COUPE = sim.load_vehicle("coupe")
DUP = np.ascontiguousarray(drive_unit_table(COUPE)[0])
_LP = longitudinal_parameters(COUPE, "driver")[0]
RATIO = tuple(float(_LP[L_MACHINE0 + k * MACHINE_STRIDE + M_GEAR]) for k in range(4))
# the coupe: slot 0 the front axle, slots 1 and 2 the rear wheels, slot 3 empty
ACTIVE = (True, True, True, False)
V_BUS = 760.0


def _per_slot(torque, omega):
    return [du.wheel_drive_unit_power(DUP[k], RATIO[k], torque[k], omega[k], V_BUS)
            if ACTIVE[k] else (0.0,) * 9 for k in range(4)]


def test_sums_are_the_sums_of_the_slots():
    torque, omega = (400.0, 250.0, 250.0, 99.0), (40.0, 41.0, 41.0, 40.0)
    sums, dc, shaft = du.drive_unit_sums(DUP, RATIO, torque, omega, ACTIVE, du.NO_TWINS, V_BUS)
    slots = _per_slot(torque, omega)
    for m in range(8):
        assert sums[m] == pytest.approx(sum(s[m] for s in slots), rel=1e-14, abs=1e-12)
    assert dc == pytest.approx(tuple(s[0] for s in slots), rel=1e-14)
    assert shaft == pytest.approx(tuple(s[8] for s in slots), rel=1e-14)
    assert dc[3] == 0.0 and shaft[3] == 0.0  # the empty slot draws nothing
    # the DC power is the wheel power plus every loss
    wheel = sum(torque[k] * omega[k] for k in range(3))
    assert sums[0] == pytest.approx(wheel + sum(sums[1:]), rel=1e-12)


def test_standstill_draws_nothing_and_twins_change_nothing():
    zero = du.drive_unit_sums(DUP, RATIO, (0.0,) * 4, (0.0,) * 4, ACTIVE, du.NO_TWINS, V_BUS)
    assert zero[0] == (0.0,) * 8
    # slots 1 and 2 are alike (the two rear machines): asked the same, evaluated once
    assert np.array_equal(DUP[1], DUP[2]) and RATIO[1] == RATIO[2]
    twins = (False, False, True, False)
    for torque in ((300.0, 200.0, 200.0, 0.0), (300.0, 200.0, 150.0, 0.0),
                   (-300.0, -120.0, -120.0, 0.0)):
        omega = (55.0, 55.0, 55.0, 55.0)
        a = du.drive_unit_sums(DUP, RATIO, torque, omega, ACTIVE, twins, V_BUS)
        b = du.drive_unit_sums(DUP, RATIO, torque, omega, ACTIVE, du.NO_TWINS, V_BUS)
        assert a == b


def test_compiled_kernels_match_py_func():
    args = (DUP, RATIO, (350.0, -90.0, 210.0, 0.0), (33.0, 33.5, 34.0, 0.0), ACTIVE,
            du.NO_TWINS, V_BUS)
    got, want = du.drive_unit_sums(*args), du.drive_unit_sums.py_func(*args)
    for g, w in zip(got, want, strict=True):
        assert g == pytest.approx(w, rel=1e-14)
    one = (DUP[0], RATIO[0], 350.0, 33.0, V_BUS, True)
    assert du.slot_drive_unit_power(*one) == pytest.approx(
        du.slot_drive_unit_power.py_func(*one), rel=1e-14)
    search = (DUP, RATIO, (0.0,) * 4, (3000.0, 2000.0, 2000.0, 0.0), (30.0,) * 4, ACTIVE,
              du.NO_TWINS, V_BUS, 600.0, 150e3, True)
    s, sums, _, _ = du.largest_admissible_scale(*search)
    s_py, sums_py, _, _ = du.largest_admissible_scale.py_func(*search)
    assert s == pytest.approx(s_py, rel=1e-12)
    assert sums[0] + 600.0 <= 150e3


def _terminal(fixed, scaled, omega, s, aux):
    torque = tuple(fixed[k] + s * scaled[k] for k in range(4))
    return du.drive_unit_sums(DUP, RATIO, torque, omega, ACTIVE, du.NO_TWINS, V_BUS)[0][0] + aux


def _bisection(fixed, scaled, omega, aux, limit, discharge, steps=60):
    low, high = 0.0, 1.0
    for _ in range(steps):
        mid = 0.5 * (low + high)
        p = _terminal(fixed, scaled, omega, mid, aux)
        ok = p <= limit if discharge else p >= -limit
        low, high = (mid, high) if ok else (low, mid)
    return low


@settings(max_examples=60, deadline=None)
@given(front=st.floats(50.0, 4000.0), rear=st.floats(50.0, 3000.0),
       omega=st.floats(1.0, 200.0), limit=st.floats(1e3, 400e3),
       discharge=st.booleans(), held=st.floats(-800.0, 800.0))
def test_search_ends_on_the_admissible_side_at_the_limit(front, rear, omega, limit, discharge,
                                                         held):
    sign = 1.0 if discharge else -1.0
    scaled = (sign * front, sign * rear, sign * rear, 0.0)
    fixed = (0.0, 0.1 * held, 0.0, 0.0)  # a little torque the search does not scale
    omegas = (omega,) * 4
    aux = 600.0
    s, sums, dc, _ = du.largest_admissible_scale(DUP, RATIO, fixed, scaled, omegas, ACTIVE,
                                                 du.NO_TWINS, V_BUS, aux, limit, discharge)
    assert 0.0 <= s <= 1.0
    p = _terminal(fixed, scaled, omegas, s, aux)
    assert sums[0] + aux == pytest.approx(p, rel=1e-12)  # the sums returned are those at s
    p_full = _terminal(fixed, scaled, omegas, 1.0, aux)
    p_zero = _terminal(fixed, scaled, omegas, 0.0, aux)
    admissible = (lambda q: q <= limit) if discharge else (lambda q: q >= -limit)
    if admissible(p_full):
        assert s == 1.0
    elif not admissible(p_zero):
        assert s == 0.0
    else:
        assert admissible(p)
        # at the limit within the tolerance, and where a fine bisection ends
        assert abs(abs(p) - limit) <= 1e-9 * abs(p_full - p_zero) + 1e-6
        assert s == pytest.approx(_bisection(fixed, scaled, omegas, aux, limit, discharge),
                                  abs=1e-9)


def test_search_returns_zero_when_even_idling_exceeds_the_limit():
    s, sums, _, _ = du.largest_admissible_scale(
        DUP, RATIO, (0.0,) * 4, (1000.0, 500.0, 500.0, 0.0), (100.0,) * 4, ACTIVE,
        du.NO_TWINS, V_BUS, 5e3, 1e3, True)  # auxiliaries alone 5 kW, 1 kW available
    assert s == 0.0
    assert sums[0] > 0.0  # the spinning machines' losses at zero torque
