"""The passive drivetrain (module off) respects the battery discharge limit, as the dynamic
module does: a fair baseline."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.chassis import two_track as tt
from sim.maneuvers.straight_line import FULL_DRIVE_DEMAND_N
from sim.params import two_track_parameters
from tests.adm_harness import lane_rows, table

WHEELS = ("fl", "fr", "rl", "rr")


def _passive(vehicle, speed_mps, force_n):
    params, _, _ = two_track_parameters(vehicle)
    x0 = np.zeros((1, tt.N_STATES))
    x0[0, tt.S_VX] = speed_mps
    x0[0, tt.S_OMEGA:tt.S_OMEGA + 4] = speed_mps / params[0, tt.P_RW]
    p, x = table(params), table(x0)
    drive, brake = tt.lane_table(4), tt.lane_table(4)
    tt.passive_drivetrain(p, 0, x, force_n, drive, brake)
    return lane_rows(drive, 4), lane_rows(brake, 4), speed_mps / params[0, tt.P_RW]


@pytest.mark.parametrize("name, limit_w, share", [("coupe", 400e3, 0.35),
                                                  ("crossover_gt", 330e3, 0.40)])
def test_full_demand_at_speed_is_held_to_the_battery_discharge_limit(name, limit_w, share):
    vehicle = sim.load_vehicle(name)
    # 25 m/s: the machines could deliver 420 (coupé) / 380 kW (crossover) together
    drive, brake, omega = _passive(vehicle, 25.0, FULL_DRIVE_DEMAND_N)
    assert float(np.sum(drive) * omega) == pytest.approx(limit_w, rel=1e-12)
    assert np.all(brake == 0.0)
    unlimited = sim.set_params(vehicle, {"drivetrain.battery_discharge_power_limit_kw": 5000.0})
    free, _, _ = _passive(unlimited, 25.0, FULL_DRIVE_DEMAND_N)
    assert float(np.sum(free) * omega) > 1.04 * limit_w
    # one factor on every machine: the split is kept
    np.testing.assert_allclose(drive / free, np.full(4, limit_w / (np.sum(free) * omega)),
                               rtol=1e-12)
    # below the limit nothing changes: 3 kN at 25 m/s is 75 kW, split by front_torque_share
    drive, _, _ = _passive(vehicle, 25.0, 3000.0)
    radius = vehicle.geometry.wheel_radius_m
    assert drive[0] + drive[1] == pytest.approx(share * 3000.0 * radius, rel=1e-12)
    assert np.sum(drive) == pytest.approx(3000.0 * radius, rel=1e-12)


def test_module_off_run_never_draws_more_than_the_battery_gives():
    coupe = sim.load_vehicle("coupe")
    res = sim.simulate(coupe, speed_kmh=[30.0, 120.0], duration_s=4.0,
                       force_demand_n=FULL_DRIVE_DEMAND_N, controller="passive")
    ch = res.channels
    power = sum(ch[f"drive_torque_{w}_nm"] * ch[f"omega_{w}_radps"] for w in WHEELS)
    assert np.nanmax(power) <= 400e3 * (1 + 1e-9)
    assert np.nanmax(power[1]) == pytest.approx(400e3, rel=1e-9)  # it binds at 120 km/h
