"""Shift strategy invariants (hypothesis): it never hunts, and it always ends in a gear whose
engine speed lies between idle and the rev limit when such a gear exists."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.powertrain import gearbox as G
from sim.powertrain.combustion import combustion_parameters

RPM = math.pi / 30.0
IDLE, REV_LIMIT = 850 * RPM, 6800 * RPM
DT = 0.01


@pytest.fixture(scope="module")
def gp():
    return combustion_parameters(sim.load_vehicle("coupe_ice"))[1][0]


def _smooth(knots, duration_s, lo, hi):
    """A smooth trace through ``knots`` (values in [0, 1]) mapped to [lo, hi]: cosine
    interpolation between equally spaced knots, sampled every DT."""
    t = np.arange(0.0, duration_s, DT)
    x = t / duration_s * (len(knots) - 1)
    k = np.minimum(x.astype(int), len(knots) - 2)
    f = (1.0 - np.cos(np.pi * (x - k))) / 2.0
    k_arr = np.asarray(knots)
    return lo + (hi - lo) * ((1.0 - f) * k_arr[k] + f * k_arr[k + 1])


def _run(gp, speed, pedal):
    gear, timer = 1.0, G.SHIFT_TIMER_CAP_S
    gears = np.empty(speed.size)
    for i in range(speed.size):
        gear, timer = G.gear_update(gp, gear, timer, speed[i], pedal[i], DT)
        gears[i] = gear
    return gears


unit = st.floats(0.0, 1.0)


@settings(max_examples=40, deadline=None)
@given(speed_knots=st.lists(unit, min_size=2, max_size=8),
       pedal_knots=st.lists(unit, min_size=2, max_size=8),
       duration_s=st.floats(5.0, 40.0))
def test_shifts_are_at_least_min_time_in_gear_apart(gp, speed_knots, pedal_knots,
                                                    duration_s):
    """Random smooth wheel-speed (0 to 85 m/s, 0-306 km/h) and pedal traces: two shifts are
    never closer than min_time_in_gear_s (1 s), so no up-down-up within it."""
    speed = _smooth(speed_knots, duration_s, 0.0, 85.0 / 0.33)
    pedal = _smooth(pedal_knots, duration_s, 0.0, 1.0)
    gears = _run(gp, speed, pedal)
    shifts = np.flatnonzero(np.diff(gears) != 0.0) + 1
    if shifts.size > 1:
        assert np.min(np.diff(shifts)) * DT >= gp[G.IX_MIN_TIME_IN_GEAR_S] - 1e-9
    assert np.all((gears >= 1) & (gears <= 7) & (gears == np.round(gears)))


@settings(max_examples=40, deadline=None)
@given(start=unit, end=unit, pedal=unit)
def test_monotone_speed_at_constant_pedal_never_hunts(gp, start, end, pedal):
    """Speed rising (falling) at a fixed pedal: gears only go up (down), with no reversal."""
    speed = np.linspace(start, end, 3000) * 85.0 / 0.33
    gears = _run(gp, speed, np.full(speed.size, pedal))
    steps = np.diff(gears)  # gears[0] is already the first update's (settled) choice
    assert np.all(steps >= 0.0) if end >= start else np.all(steps <= 0.0)


@settings(max_examples=300, deadline=None)
@given(gear=st.integers(1, 7), speed=st.floats(0.0, 300.0), pedal=unit)
def test_picks_a_gear_between_idle_and_rev_limit_when_one_exists(gp, gear, speed, pedal):
    """With the time hysteresis satisfied, the new gear's engine speed is in [idle, rev
    limit] whenever any gear's is, and the choice is stable (asking again keeps it)."""
    new, _ = G.gear_update(gp, float(gear), G.SHIFT_TIMER_CAP_S, speed, pedal, DT)
    engine = [G.gearbox_input_speed_radps(gp, float(j), speed) for j in range(1, 8)]
    exists = any(IDLE <= w <= REV_LIMIT for w in engine)
    w_new = engine[int(new) - 1]
    if exists:
        assert IDLE <= w_new <= REV_LIMIT
    assert G.gear_target(gp, new, speed, pedal) == new
