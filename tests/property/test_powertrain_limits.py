"""The electric powertrain in the two-track time loop over long random driver inputs
(hypothesis), module off and on, at every integrator step: no machine leaves its envelope, the
battery's terminal power stays within its available discharge and charge power, and so no
cell leaves its current and voltage limits (checked on the battery's own operating point at
the recorded state and power: closed-form equivalent circuit, not the controllers' figures)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.chassis import two_track as tt
from sim.driver import open_loop as ol
from sim.powertrain.battery import (
    BATTERY_STATE_NAMES,
    IX_CELL_MAX_DISCHARGE_CURRENT_A,
    IX_CELL_MAX_VOLTAGE_V,
    IX_CELL_MIN_VOLTAGE_V,
    IX_CELLS_IN_SERIES,
    battery_operating_point,
    battery_parameters,
    cell_curves,
)
from sim.simulate import Numerics

EVERY_STEP = Numerics()  # the default 10 ms step, every step recorded
WHEELS = ("fl", "fr", "rl", "rr")
VEHICLES = {name: sim.load_vehicle(name) for name in ("coupe", "crossover_gt")}
_CODES = {"FL": 0, "FR": 1, "RL": 2, "RR": 3, "front_axle": (0, 1), "rear_axle": (2, 3)}


def _random_run(vehicle, seed, controller, members=4, duration_s=5.0):
    rng = np.random.default_rng(seed)
    knots = np.arange(0.0, duration_s + 0.25, 0.25)
    steer = np.clip(np.cumsum(rng.normal(0.0, 0.2, size=(members, knots.size)), axis=1),
                    -1.2, 1.2) * (knots > 0.3)
    # long stretches of full drive and hard braking, with everything between
    force = rng.choice([-30000.0, -8000.0, 0.0, 5000.0, 40000.0], size=(members, knots.size)) \
        * rng.uniform(0.5, 1.0, size=(members, knots.size))
    speed = rng.uniform(40.0, 180.0, size=members)
    soc = rng.uniform(0.08, 0.99, size=members)  # nearly empty (voltage floor) to full
    return sim.simulate(vehicle, speed_kmh=speed, duration_s=duration_s,
                        steering_wheel_angle_rad=ol.table(knots, steer),
                        force_demand_n=ol.table(knots, force), controller=controller,
                        road_friction=rng.uniform(0.5, 1.0, size=members), soc=soc,
                        numerics=EVERY_STEP)


def _check(vehicle, res):
    ch = res.channels
    bp = battery_parameters(vehicle)[0]
    ns = bp[IX_CELLS_IN_SERIES]
    for m in range(res.status.size):
        live = np.isfinite(ch["vx_mps"][m])
        p = tt.lane_table(tt.N_PARAMETERS)
        for i, name in enumerate(tt.PARAMETER_NAMES):
            p[i * tt.LANES] = res.parameters[name][m]
        drive = np.array([ch[f"drive_torque_{w}_nm"][m][live] for w in WHEELS])
        omega = np.array([ch[f"omega_{w}_radps"][m][live] for w in WHEELS])
        for k, motor in enumerate(vehicle.drivetrain.motors.values()):
            wheels = np.atleast_1d(_CODES[motor.drives])
            limit = np.array([tt.machine_wheel_torque_limit(p, 0, k, s)
                              for s in omega[wheels].mean(axis=0)])
            assert np.all(np.abs(drive[wheels].sum(axis=0)) <= limit * (1 + 1e-9) + 1e-9)
        power = ch["battery_power_w"][m][live]
        assert np.all(power <= ch["available_discharge_power_w"][m][live] * (1 + 1e-9))
        assert np.all(-power <= ch["available_charge_power_w"][m][live] * (1 + 1e-9))
        state = np.stack([ch[name][m][live] for name in BATTERY_STATE_NAMES], axis=1)
        op = battery_operating_point(bp, state, power)
        assert np.all(op.feasible)
        # the cells: discharge current, charge current at their SOC, cut-off voltages
        current = op.cell_current_a
        assert np.all(current <= bp[IX_CELL_MAX_DISCHARGE_CURRENT_A] * (1 + 1e-6))
        for pack in range(2):
            _, _, charge_limit = cell_curves(bp, np.clip(state[:, 2 * pack], 0.0, 1.0))
            assert np.all(-current[:, pack] <= charge_limit * (1 + 1e-6) + 1e-9)
        v = op.bus_voltage_v
        assert np.all(v >= ns * bp[IX_CELL_MIN_VOLTAGE_V] * (1 - 1e-9))
        assert np.all(v <= ns * bp[IX_CELL_MAX_VOLTAGE_V] * (1 + 1e-9))
        np.testing.assert_allclose(v, ch["bus_voltage_v"][m][live], rtol=1e-12)


@settings(max_examples=3, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), name=st.sampled_from(sorted(VEHICLES)),
       controller=st.sampled_from(["passive", "adm"]))
def test_no_machine_battery_or_cell_limit_is_ever_exceeded(seed, name, controller):
    vehicle = VEHICLES[name]
    _check(vehicle, _random_run(vehicle, seed, controller))


def test_limits_bind_somewhere():
    # premise of the property above: the random inputs reach the battery's limits (discharge
    # with the passive drivetrain at full demand; charge with the module's regeneration)
    vehicle = VEHICLES["coupe"]
    for controller, limit in (("passive", "discharge"), ("adm", "charge")):
        res = _random_run(vehicle, 3, controller, members=6)
        ch = res.channels
        power = ch["battery_power_w"]
        live = np.isfinite(power)
        sign = 1.0 if limit == "discharge" else -1.0
        at_limit = sign * power[live] >= ch[f"available_{limit}_power_w"][live] * (1 - 1e-6)
        assert np.count_nonzero(at_limit) > 10, controller
        _check(vehicle, res)
