"""The one code -> wheels mapping (:func:`sim.powertrain.layout.drives_wheels`), the one
regenerative-braking rule (:mod:`sim.powertrain.braking`) and the combustion powertrain's
power flows (:func:`sim.powertrain.gearbox.combustion_power_flows`): closed forms, the
compiled kernels against their ``py_func``, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.errors import SpecError
from sim.params import combustion_tables, drive_unit_table
from sim.powertrain.braking import (
    regenerative_axle_share,
    regenerative_wheel_torque_nm,
    regenerative_wheel_torques_nm,
)
from sim.powertrain.engine import IX_IDLE_SPEED_RADPS
from sim.powertrain.envelope import wheel_torque_limit_nm
from sim.powertrain.gearbox import (
    combustion_drive,
    combustion_gear_update,
    combustion_power_flows,
    gear_total_ratio,
)
from sim.powertrain.layout import (
    DRIVES_CODE,
    DRIVES_FRONT_AXLE,
    DRIVES_NONE,
    DRIVES_REAR_AXLE,
    drives_wheels,
    wheels_of,
)

COUPE = sim.load_vehicle("coupe")


# --------------------------------------------------------------------------------------------
# drives_wheels


@pytest.mark.parametrize("code, expected", [
    (0, (0, -1)), (1, (1, -1)), (2, (2, -1)), (3, (3, -1)),
    (DRIVES_FRONT_AXLE, (0, 1)), (DRIVES_REAR_AXLE, (2, 3)), (DRIVES_NONE, (-1, -1)),
    (7, (-1, -1)), (-5, (-1, -1)),
])
def test_drives_wheels_maps_every_code(code, expected):
    assert drives_wheels(code) == expected
    assert drives_wheels(float(code)) == expected  # parameter tables hold floats
    assert drives_wheels.py_func(code) == expected
    assert wheels_of(code) == tuple(w for w in expected if w >= 0)


def test_every_vehicle_file_code_maps_to_its_wheels():
    names = {"FL": (0,), "FR": (1,), "RL": (2,), "RR": (3,), "front_axle": (0, 1),
             "rear_axle": (2, 3)}
    for name, code in DRIVES_CODE.items():
        assert wheels_of(code) == names[name]


# --------------------------------------------------------------------------------------------
# Regenerative braking: the one rule


@pytest.mark.parametrize("front, rear, expected", [
    (True, True, (0.6, 0.4)), (True, False, (1.0, 0.0)), (False, True, (0.0, 1.0)),
    (False, False, (0.0, 0.0)),
])
def test_regenerative_axle_share(front, rear, expected):
    for axle in (0, 1):
        got = regenerative_axle_share(0.6, front, rear, axle)
        assert got == pytest.approx(expected[axle], abs=1e-15)
        assert regenerative_axle_share.py_func(0.6, front, rear, axle) == got


@pytest.fixture(scope="module")
def rear_unit():
    """The coupé's rear-left drive unit: parameters, reduction, envelope at 20 m/s."""
    dup = drive_unit_table(COUPE)[0, 1]
    motor = COUPE.drivetrain.motors["rear_left"]  # slot 1: the file's second motor
    ratio = float(motor.gear_ratio)
    omega = 20.0 / COUPE.geometry.wheel_radius_m
    limit = wheel_torque_limit_nm(float(motor.peak_torque_nm),
                                  float(motor.peak_power_kw) * 1e3,
                                  float(motor.max_speed_rpm) * np.pi / 30.0, ratio, omega)
    return dup, ratio, omega, limit


def test_regeneration_closed_forms(rear_unit):
    dup, ratio, omega, limit = rear_unit
    r, m, a_max = 0.35, 1800.0, 3.0
    args = (dup, ratio, omega, 800.0)
    # a gentle demand: its share, all of it (well inside the envelope)
    t = regenerative_wheel_torque_nm(True, 0.25, 2000.0, m * a_max, r, limit, *args)
    assert t == pytest.approx(-0.25 * 2000.0 * r, rel=1e-15)
    assert regenerative_wheel_torque_nm.py_func(True, 0.25, 2000.0, m * a_max, r, limit,
                                                *args) == t
    # beyond the largest regenerative deceleration: capped at m a_max
    t = regenerative_wheel_torque_nm(True, 0.25, 30_000.0, m * a_max, r, 1e9, *args)
    assert t == pytest.approx(-0.25 * m * a_max * r, rel=1e-15)
    # beyond the machine's envelope: the envelope
    t = regenerative_wheel_torque_nm(True, 1.0, 1e6, 1e6, r, limit, *args)
    assert t == pytest.approx(-limit, rel=1e-15)
    # switched off, or nothing asked: nothing
    assert regenerative_wheel_torque_nm(False, 0.25, 2000.0, m * a_max, r, limit, *args) == 0.0
    assert regenerative_wheel_torque_nm(True, 0.25, 0.0, m * a_max, r, limit, *args) == 0.0


def test_no_regeneration_where_it_costs_more_than_it_returns(rear_unit):
    dup, ratio, _, _ = rear_unit
    # at walking pace the copper loss of a braking torque exceeds what it recovers
    omega = 0.05 / 0.35
    t = regenerative_wheel_torque_nm(True, 0.5, 3000.0, 1e6, 0.35, 1e4, dup, ratio, omega,
                                     800.0)
    assert t == 0.0
    # at speed it returns energy
    assert regenerative_wheel_torque_nm(True, 0.5, 3000.0, 1e6, 0.35, 1e4, dup, ratio, 60.0,
                                        800.0) < 0.0


def test_regenerative_torques_numpy_edge(rear_unit):
    dup, ratio, omega, limit = rear_unit
    out = regenerative_wheel_torques_nm(1.0, 0.25, [1000.0, 2000.0], 5400.0, 0.35, limit, dup,
                                        ratio, omega, 800.0)
    np.testing.assert_allclose(out, [-87.5, -175.0], rtol=1e-15)
    with pytest.raises(SpecError, match="brake_force_n.*-1"):
        regenerative_wheel_torques_nm(1.0, 0.25, -1.0, 5400.0, 0.35, limit, dup, ratio, omega,
                                      800.0)
    with pytest.raises(SpecError, match="dup"):
        regenerative_wheel_torques_nm(1.0, 0.25, 1.0, 5400.0, 0.35, limit, dup[:3], ratio,
                                      omega, 800.0)


# --------------------------------------------------------------------------------------------
# The combustion powertrain in the time loops: its power flows close


@pytest.fixture(scope="module")
def engine():
    ep, gp = combustion_tables(sim.load_vehicle("coupe_ice"))
    return ep[0], gp[0]


@settings(max_examples=200, deadline=None)
@given(gear=st.integers(1, 7), speed=st.floats(0.0, 80.0), demand=st.floats(-3000.0, 6000.0),
       timer=st.floats(0.0, 2.0), aux=st.floats(0.0, 2000.0))
def test_combustion_power_flows_close(engine, gear, speed, demand, timer, aux):
    ep, gp = engine
    omega = speed / 0.35
    axle, w_e, t_c, fuel, slipping, coasting = combustion_drive(ep, gp, float(gear), timer,
                                                                omega, demand, aux)
    assert combustion_drive.py_func(ep, gp, float(gear), timer, omega, demand, aux) == \
        (axle, w_e, t_c, fuel, slipping, coasting)
    assert fuel >= 0.0 and w_e > 0.0
    assert axle <= max(demand, 0.0) + 1e-9 * abs(demand)  # never more drive than asked
    flows = combustion_power_flows(ep, gp, float(gear), omega, w_e, t_c, slipping, coasting,
                                   axle, fuel, aux)
    fuel_w, engine_w, aux_w, clutch_w, gear_w, axle_w = flows
    assert fuel_w == pytest.approx(engine_w + aux_w + clutch_w + gear_w + axle_w,
                                   rel=1e-12, abs=1e-9)
    assert axle_w == pytest.approx(axle * omega, rel=1e-15)
    if coasting > 0.5:
        assert axle == 0.0 and w_e == ep[IX_IDLE_SPEED_RADPS]  # open clutch, idling
    if slipping < 0.5 and coasting < 0.5:
        assert w_e == pytest.approx(omega * gear_total_ratio(gp, float(gear)), rel=1e-15)


def test_combustion_gear_update_shifts_up_at_full_demand(engine):
    ep, gp = engine
    # first gear at 60 km/h and full demand: above the full-load upshift speed, so the box
    # shifts up (at once with the timer saturated), never down
    omega = 60.0 / 3.6 / 0.35
    gear, timer = combustion_gear_update(ep, gp, 1.0, 1e3, omega, 5000.0, 500.0, 0.01)
    assert gear > 1.0 and timer == 0.0
    assert combustion_gear_update.py_func(ep, gp, 1.0, 1e3, omega, 5000.0, 500.0, 0.01) == \
        (gear, timer)
    # and not again before the minimum time in gear
    gear2, _ = combustion_gear_update(ep, gp, gear, 0.0, 3.0 * omega, 5000.0, 500.0, 0.01)
    assert gear2 == gear
