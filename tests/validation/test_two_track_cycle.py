"""The two-track model over a drive cycle against the longitudinal cycle model: the same car,
the same trace, two models - the energy at the battery terminals agrees within 1 %."""

from __future__ import annotations

import pytest

import sim
from sim.energy import drive_cycle, two_track_cycle


@pytest.mark.slow
def test_two_track_and_longitudinal_agree_on_wltc_energy():
    coupe = sim.load_vehicle("coupe")
    fast = drive_cycle(coupe, "wltc_class3b", record=False)
    full = two_track_cycle(coupe, "wltc_class3b")
    assert full.status[0] == "ok"
    terminal = full.energy_j["battery_terminal_j"][0]
    assert terminal == pytest.approx(fast.energy_j["battery_terminal_j"][0], rel=0.01)
    # the same road: distance, drag and rolling resistance within 1 %
    for term in ("distance_m", "aero_j", "rolling_j"):
        assert full.energy_j[term][0] == pytest.approx(fast.energy_j[term][0], rel=0.01), term
    assert full.energy_j["tyre_slip_j"][0] > 0.0  # the tyres slip in the two-track model
