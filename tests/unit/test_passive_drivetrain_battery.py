"""The passive drivetrain (module off) respects the battery's available discharge power on the
electrical side (drive units' DC power with every loss, and the auxiliaries), as the dynamic
module does: a fair baseline."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.chassis import powertrain as pw
from sim.chassis import two_track as tt
from sim.maneuvers.straight_line import FULL_DRIVE_DEMAND_N
from sim.powertrain.battery import available_power_w, battery_parameters, battery_state
from tests.adm_harness import lane_rows, make_lanes

WHEELS = ("fl", "fr", "rl", "rr")


def _passive(vehicle, speed_mps, force_n):
    """The passive drivetrain's torques, then the battery saturation; and the wheel speed."""
    ln, x = make_lanes(vehicle, speed_mps=speed_mps)
    tt.passive_drivetrain(ln.p, 0, x, force_n, ln.drive, ln.brake)
    drive, brake = tuple(lane_rows(ln.drive, 4)), tuple(lane_rows(ln.brake, 4))
    params = ln.p
    saturated = pw.saturate_to_battery(ln, 0, x, drive, brake,
                                       params[tt.P_BRAKE_MAX_F * tt.LANES],
                                       params[tt.P_BRAKE_MAX_R * tt.LANES])
    omega = speed_mps / vehicle.geometry.wheel_radius_m
    return ln, x, np.array(drive), np.array(saturated[0]), np.array(saturated[1]), omega


@pytest.mark.parametrize("name, share", [("coupe", 0.35), ("crossover_gt", 0.40)])
def test_full_demand_at_speed_is_held_to_the_available_discharge_power(name, share):
    vehicle = sim.load_vehicle(name)
    available, _, _ = available_power_w(battery_parameters(vehicle), battery_state(0.9))
    # 25 m/s: the machines could deliver 420 (coupé) / 380 kW (crossover) together
    ln, x, free, drive, brake, omega = _passive(vehicle, 25.0, FULL_DRIVE_DEMAND_N)
    terminal = pw.terminal_power_w(ln, 0, x, tuple(drive), 1.0, 1.0)
    assert ln.pt[pw.PT_DISCHARGE_W * tt.LANES] == pytest.approx(available[0], rel=1e-12)
    assert terminal <= available[0]
    assert terminal == pytest.approx(available[0], rel=1e-9)  # the limit binds
    # electrical, not mechanical: the wheels get less than the battery gives
    mechanical = float(np.sum(drive) * omega)
    assert 0.85 * available[0] < mechanical < 0.98 * available[0]
    assert np.all(brake == 0.0)
    assert pw.terminal_power_w(ln, 0, x, tuple(free), 1.0, 1.0) > 1.04 * available[0]
    # one factor on every machine: the split is kept
    ratio = drive / free
    np.testing.assert_allclose(ratio, np.full(4, ratio[0]), rtol=1e-12)
    # below the limit nothing changes: 3 kN at 25 m/s is 75 kW, split by front_torque_share
    _, _, free, drive, _, _ = _passive(vehicle, 25.0, 3000.0)
    np.testing.assert_array_equal(drive, free)
    radius = vehicle.geometry.wheel_radius_m
    assert drive[0] + drive[1] == pytest.approx(share * 3000.0 * radius, rel=1e-12)
    assert np.sum(drive) == pytest.approx(3000.0 * radius, rel=1e-12)


def test_module_off_run_never_draws_more_than_the_battery_gives():
    coupe = sim.load_vehicle("coupe")
    res = sim.simulate(coupe, speed_kmh=[30.0, 120.0], duration_s=4.0,
                       force_demand_n=FULL_DRIVE_DEMAND_N, controller="passive")
    ch = res.channels
    power, available = ch["battery_power_w"], ch["available_discharge_power_w"]
    assert np.all(power <= available * (1 + 1e-9))
    assert np.max(power[1] / available[1]) == pytest.approx(1.0, rel=1e-9)  # binds at speed
    # the mechanical power at the wheels stays below the electrical
    mechanical = sum(ch[f"drive_torque_{w}_nm"] * ch[f"omega_{w}_radps"] for w in WHEELS)
    assert np.all(mechanical < power)
    # the battery's state moves: it is integrated with the chassis
    assert np.all(np.diff(ch["pack0_soc"], axis=1) < 0.0)
    assert np.all(ch["bus_voltage_v"] < 900.0) and np.all(ch["bus_voltage_v"] > 600.0)
