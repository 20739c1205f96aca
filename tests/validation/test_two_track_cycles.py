"""The two-track model over a drive cycle against the longitudinal cycle model
(:func:`sim.energy.drive_cycle`), and the combustion coupé's standing start through its
gearbox against the closed form (issue 12, items 3 and 5).

The two models share every powertrain kernel (drive units, battery, regeneration rule of
:mod:`sim.powertrain.braking`, engine and gearbox of :mod:`sim.powertrain.gearbox`); what
differs is the chassis (tyres with slip, wheel spin, load transfer against a point mass), the
driver (a closed-loop speed controller against a trace follower with the step's exact force)
and the integration (RK4 with the battery in the stages against a held step).
"""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.energy import drive_cycle, two_track_cycle
from sim.maneuvers.base import resistance_force_n
from sim.maneuvers.straight_line import envelope_force_n, straight_line

pytestmark = pytest.mark.slow

COUPE = sim.load_vehicle("coupe")
ICE = sim.load_vehicle("coupe_ice")
#: linear tyres stiff in slip: the envelope reaches the road without slip or spin (as in
#: tests/validation/test_maneuvers_against_closed_forms.py)
STIFF_IN_SLIP = {"front_slip_stiffness_n": 2.0e6, "rear_slip_stiffness_n": 2.0e6}


@pytest.fixture(scope="module")
def wltc_coupe():
    return drive_cycle(COUPE, "wltc_class3b"), two_track_cycle(COUPE, "wltc_class3b")


@pytest.fixture(scope="module")
def wltc_ice():
    return drive_cycle(ICE, "wltc_class3b"), two_track_cycle(ICE, "wltc_class3b")


def test_wltc_battery_energy_agrees_with_the_longitudinal_model(wltc_coupe):
    # the passive two-track drivetrain regenerates by the longitudinal model's rule: the
    # battery-terminal energy over WLTC 3b agrees within 1 % (issue 12); both follow the trace
    # (same distance within 0.5 %) and the two-track balance closes
    lo, tt = wltc_coupe
    assert tt.status[0] == "ok"
    assert tt.energy_j["distance_m"][0] == pytest.approx(lo.energy_j["distance_m"][0],
                                                         rel=5e-3)
    assert tt.energy_j["battery_terminal_j"][0] == pytest.approx(
        lo.energy_j["battery_terminal_j"][0], rel=0.01)
    assert tt.energy_j["regenerated_j"][0] == pytest.approx(lo.energy_j["regenerated_j"][0],
                                                            rel=0.05)
    assert abs(tt.energy_balance_relative()[0]) < 5e-3


def test_wltc_fuel_agrees_with_the_longitudinal_model(wltc_ice):
    # the combustion coupé through its gearbox in both models: fuel over WLTC 3b within 2 %
    lo, tt = wltc_ice
    assert tt.status[0] == "ok"
    assert tt.energy_j["fuel_kg"][0] == pytest.approx(lo.energy_j["fuel_kg"][0], rel=0.02)
    assert tt.energy_j["fuel_chemical_j"][0] == pytest.approx(
        tt.energy_j["fuel_kg"][0] * ICE.combustion.lower_heating_value_mj_per_kg * 1e6,
        rel=1e-9)
    assert abs(tt.energy_balance_relative()[0]) < 5e-3
    assert set(np.unique(tt["gear"][0])) >= {1.0, 2.0, 3.0, 4.0}


@pytest.fixture(scope="module")
def ice_line():
    return straight_line(ICE, tyre_model="linear", linear_tyre_stiffness=STIFF_IN_SLIP)


def test_standing_start_shifts_up_through_the_gears_in_order(ice_line):
    res = ice_line.results["acceleration"]
    gear = res["gear"][0]
    v = res["vx_mps"][0] * 3.6
    upto = v <= 100.0
    assert gear[0] == 1.0
    assert np.all(np.diff(gear[upto]) >= 0.0)  # in order, never down while accelerating
    assert np.all(np.diff(gear[upto]) <= 1.0)  # one gear at a time at full pedal
    assert gear[upto].max() >= 3.0
    rpm = res["engine_speed_radps"][0] * 30.0 / np.pi
    # shifts before the rev limit (the gear is updated once per 5 ms step: 1 % margin)
    assert rpm[upto].max() <= 1.01 * ICE.combustion.engine_speed_rpm[-1]


def test_standing_start_time_agrees_with_the_best_gear_closed_form(ice_line):
    # The closed form integrates Newton's law with the best-gear envelope (no shift time, no
    # shift dip, the ideal shift points); the time loop shifts by its strategy (at the
    # full-load upshift speed) and each shift dips the torque over shift_time_s. Both cost
    # time, about shift_time x (1 - dip fraction) / 2 per shift, and the strategy's shift
    # points: seen 3.57 s against 3.38 s (+5.5 %). Tolerance 8 %, the closed form never the
    # slower.
    res = ice_line.results["acceleration"]
    p = res.parameters
    mass = p["mass_kg"][0] + sum(p[f"spin_inertia_{w}_kgm2"][0]
                                 for w in ("fl", "fr", "rl", "rr")) / p["wheel_radius_m"][0] ** 2
    v = np.linspace(0.0, 100.0 / 3.6, 2001)
    net = envelope_force_n(ICE, v)[0] - resistance_force_n(ICE, v)[0]
    closed = float(np.sum(np.diff(v) * mass / (0.5 * (net[1:] + net[:-1]))))
    loop = ice_line["time_0_100_kmh_s"][0]
    assert closed <= loop <= 1.08 * closed
