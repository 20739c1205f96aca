"""Engine and gearbox kernels: compiled against .py_func, interpolation at grid points, the
full-load envelope in closed form, fuel flow = BSFC x power at map points, fuel cut-off, the
launch rule, the gearbox's torque sign convention and the shift dip."""

from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from sim.powertrain import engine as E
from sim.powertrain import gearbox as G
from sim.powertrain.combustion import (
    combustion_parameters,
    constant_speed_fuel_consumption,
    cruise_fuel_flow_kgps,
    wheel_force_envelope_n,
)

RPM = math.pi / 30.0


@pytest.fixture(scope="module")
def ice():
    vehicle = sim.load_vehicle("coupe_ice")
    ep, gp = combustion_parameters(vehicle)
    return vehicle.combustion, ep[0], gp[0]


def test_parameter_vectors_are_laid_out_by_their_names(ice):
    c, ep, gp = ice
    assert ep.shape == (E.ENGINE_PARAMETER_COUNT,) and gp.shape == (G.GEARBOX_PARAMETER_COUNT,)
    assert len(set(E.ENGINE_PARAMETER_NAMES)) == E.ENGINE_PARAMETER_COUNT
    assert ep[E.IX_SPEED_POINTS] == 14 and ep[E.IX_MAP_TORQUE_POINTS] == 9
    assert ep[E.IX_MAX_SPEED_RADPS] == pytest.approx(6800 * RPM)
    assert ep[E.ENGINE_PARAMETER_NAMES.index("full_load_torque_nm_12")] == 323.2
    assert ep[E.ENGINE_PARAMETER_NAMES.index("speed_radps_15")] == pytest.approx(6800 * RPM)
    assert ep[E.IX_CO2_KG_PER_KG_FUEL] == pytest.approx(2.31 / 0.745)
    assert gp[G.IX_GEAR_COUNT] == 7
    assert gp[G.GEARBOX_PARAMETER_NAMES.index("gear_ratio_6")] == 0.622
    assert gp[G.GEARBOX_PARAMETER_NAMES.index("gear_ratio_7")] == 0.622  # padding


def test_interpolation_is_exact_at_grid_points_and_linear_between():
    table = np.array([1.0, 2.0, 4.0, 10.0, 0.3, -7.0, 1e-3, 5.0])
    for i in range(4):
        assert E.interp_linear(table, 0, 4, 4, table[i]) == table[4 + i]
    assert E.interp_linear(table, 0, 4, 4, 3.0) == pytest.approx(0.5 * (-7.0 + 1e-3))
    assert E.interp_linear(table, 0, 4, 4, -5.0) == 0.3  # held below the grid
    assert E.interp_linear(table, 0, 4, 4, 50.0) == 5.0  # and above
    x, y = np.array([0.0, 1.0, 3.0]), np.array([10.0, 20.0])
    z = np.array([[1.0, 2.0], [3.0, 5.0], [-1.0, 7.0]])
    grid = np.concatenate([x, y, z.ravel()])
    for i in range(3):
        for j in range(2):
            assert E.interp_bilinear(grid, 0, 3, 3, 2, 5, 2, x[i], y[j]) == z[i, j]
    # the centre of the cell (1..3, 10..20): the mean of its corners
    assert E.interp_bilinear(grid, 0, 3, 3, 2, 5, 2, 2.0, 15.0) == pytest.approx(3.5)


def test_full_load_and_friction_curves_at_grid_points(ice):
    c, ep, _ = ice
    for w_rpm, t_fl, t_f in zip(c.engine_speed_rpm, c.full_load_torque_nm,
                                c.friction_torque_nm, strict=True):
        assert E.engine_full_load_torque_nm(ep, w_rpm * RPM) == t_fl
        assert E.engine_friction_torque_nm(ep, w_rpm * RPM) == t_f
    # beyond the rev limit the limiter cuts: no full-load torque
    assert E.engine_full_load_torque_nm(ep, 6801 * RPM) == 0.0
    # midway between 6500 (323.2) and 6800 rpm (290): the mean
    assert E.engine_full_load_torque_nm(ep, 6650 * RPM) == pytest.approx(306.6)


def test_fuel_flow_is_bsfc_times_power_at_map_points(ice):
    c, ep, _ = ice
    for i, w_rpm in enumerate(c.engine_speed_rpm):
        w = w_rpm * RPM
        assert E.engine_fuel_flow_kgps(ep, w, 0.0) == pytest.approx(
            c.no_load_fuel_flow_g_per_s[i] / 1e3, rel=1e-14)
        for j, t in enumerate(c.fuel_map_torque_nm):
            if t > c.full_load_torque_nm[i]:
                continue  # beyond full load the torque is clamped to the curve
            want_kgps = c.fuel_map_bsfc_g_per_kwh[i, j] * (t * w / 1e3) / 3.6e6
            assert E.engine_fuel_flow_kgps(ep, w, t) == pytest.approx(want_kgps, rel=1e-14)
    # minimum BSFC of the map: 239 g/kWh at 2000 rpm and 340 N·m (the brief asks 235-245)
    w = 2000 * RPM
    assert E.engine_fuel_flow_kgps(ep, w, 340.0) / (340.0 * w) * 3.6e9 == pytest.approx(239.0)


def test_operating_point_fuel_cut_off_and_idle(ice):
    c, ep, _ = ice
    w = 3000 * RPM  # above the 1200 rpm cut-off: overrun cuts the fuel, engine brakes
    for demand in (0.0, -1.0, -500.0):
        torque, fuel = E.engine_operating_point(ep, w, demand)
        assert fuel == 0.0
        assert torque == -E.engine_friction_torque_nm(ep, w) == pytest.approx(-21.1)
    w = 1000 * RPM  # below the cut-off: fuelled at no load, no engine braking
    torque, fuel = E.engine_operating_point(ep, w, -50.0)
    assert torque == 0.0 and fuel == pytest.approx(0.133e-3)
    torque, fuel = E.engine_operating_point(ep, 3000 * RPM, 1000.0)  # limited to full load
    assert torque == 340.0 and fuel == pytest.approx(240.0 * 340.0 * 3000 * RPM / 3.6e9)
    # idle consumption: between the 800 and 1000 rpm no-load flows, 0.53 L/h at 0.745 kg/L
    idle = c.idle_speed_rpm * RPM
    _, fuel = E.engine_operating_point(ep, idle, 0.0)
    assert fuel == pytest.approx(0.75 * 0.104e-3 + 0.25 * 0.133e-3)
    assert fuel * 3600 / 0.745 == pytest.approx(0.535, abs=0.005)
    _, fuel = E.engine_operating_point(ep, 6900 * RPM, 100.0)  # above the rev limit
    assert fuel == 0.0


def test_launch_rule_clutch_slips_below_the_held_speed(ice):
    c, ep, _ = ice
    idle, launch = c.idle_speed_rpm * RPM, c.launch_speed_rpm * RPM
    assert E.engine_held_speed_radps(ep, 0.0) == idle
    assert E.engine_held_speed_radps(ep, 1.0) == launch
    assert E.engine_held_speed_radps(ep, 0.5) == pytest.approx(0.5 * (idle + launch))
    assert E.clutch_engine_speed_radps(ep, 10.0, 1.0) == (launch, 1.0)
    assert E.clutch_engine_speed_radps(ep, launch + 1.0, 1.0) == (launch + 1.0, 0.0)
    assert E.clutch_torque_nm(-20.0, 1.0) == 0.0 and E.clutch_torque_nm(-20.0, 0.0) == -20.0
    assert E.clutch_slip_power_w(300.0, launch, 100.0) == pytest.approx(300.0 * (launch - 100))
    # standing start in first gear at full demand: full-load torque at the launch speed
    axle, w_e, brake, fuel, slip = G.powertrain_axle_torque(ep, ice[2], 1.0, 1e3, 0.0, 1e4)
    assert w_e == launch and brake == 340.0
    assert axle == pytest.approx(340.0 * 3.78 * 4.10 * 0.97 * 0.98)
    assert slip == pytest.approx(340.0 * launch) and fuel > 0.0


def test_gearbox_torque_sign_convention(ice):
    _, _, gp = ice
    i, eta = 1.69 * 4.10, 0.975 * 0.98
    assert G.gear_total_ratio(gp, 3.0) == pytest.approx(i)
    assert G.gearbox_output_torque_nm(gp, 3.0, 100.0) == pytest.approx(eta * i * 100.0)
    assert G.gearbox_output_torque_nm(gp, 3.0, -100.0) == pytest.approx(-i * 100.0 / eta)
    for t in (150.0, -30.0):  # input <-> output are inverses
        out = G.gearbox_output_torque_nm(gp, 3.0, t)
        assert G.gearbox_input_torque_nm(gp, 3.0, out) == pytest.approx(t)
    # overrun: the power entering at the wheels exceeds the power absorbed by the engine
    w_wheel = 20.0
    p_wheel = -G.gearbox_output_torque_nm(gp, 3.0, -100.0) * w_wheel
    p_engine = 100.0 * G.gearbox_input_speed_radps(gp, 3.0, w_wheel)
    assert p_engine == pytest.approx(eta * p_wheel)


def test_shift_dip(ice):
    _, _, gp = ice
    assert G.shift_torque_factor(gp, 0.0) == 1.0
    assert G.shift_torque_factor(gp, 0.125) == pytest.approx(0.6)  # mid-shift of 0.25 s
    assert G.shift_torque_factor(gp, 0.0625) == pytest.approx(0.8)
    assert G.shift_torque_factor(gp, 0.25) == 1.0
    assert G.shift_torque_factor(gp, 3.0) == 1.0


def test_full_load_envelope_closed_form(ice):
    """In a gear: eta i T_fl(i v / r) / r; the best gear picks the largest."""
    _, ep, gp = ice
    r = 0.33
    # 100 km/h in third: 27.78/0.33 x 1.69 x 4.10 = 583.3 rad/s = 5570 rpm, on the plateau
    v = 100.0 / 3.6
    t = G.gear_max_wheel_torque_nm(ep, gp, 3.0, v / r)
    assert t == pytest.approx(0.975 * 0.98 * 1.69 * 4.10 * 340.0)
    force, gear = wheel_force_envelope_n(ep, gp, 100.0, r)
    assert gear == 3.0 and force == pytest.approx(t / r)
    # at a standstill: first gear, full load at the 3000 rpm launch speed
    force, gear = wheel_force_envelope_n(ep, gp, 0.0, r)
    assert gear == 1.0 and force == pytest.approx(0.97 * 0.98 * 3.78 * 4.10 * 340.0 / r)
    # peak power in the top gear at 6500 rpm: force x speed = eta x 220 kW
    v_top = 6500 * RPM / (0.622 * 4.10) * r
    force, gear = wheel_force_envelope_n(ep, gp, v_top * 3.6, r)
    assert force * v_top == pytest.approx(0.975 * 0.98 * 323.2 * 6500 * RPM)
    # beyond the rev limit in top gear: nothing
    assert wheel_force_envelope_n(ep, gp, 6900 * RPM / (0.622 * 4.10) * r * 3.6, r)[0] == 0.0


def test_cruise_picks_the_least_fuel_gear(ice):
    _, ep, gp = ice
    w_wheel, axle = 80.0 / 3.6 / 0.33, 300.0
    fuel, gear, ok = cruise_fuel_flow_kgps(ep, gp, w_wheel, axle)
    assert ok == 1.0
    flows = []
    for j in range(1, 8):
        w_e = G.gearbox_input_speed_radps(gp, float(j), w_wheel)
        t_in = G.gearbox_input_torque_nm(gp, float(j), axle)
        if w_e >= 1200 * RPM and w_e <= 6800 * RPM:
            flows.append((E.engine_operating_point(ep, w_e, t_in)[1], j))
    assert (fuel, gear) == min(flows)
    # litres and CO2 follow from the flow, the density and the CO2 factor
    l100, co2, g2 = constant_speed_fuel_consumption(ep, gp, 80.0, axle / 0.33, 0.33)
    assert g2 == gear
    assert l100 == pytest.approx(fuel / 0.745 / (80 / 3.6) * 1e5)
    assert co2 == pytest.approx(l100 * 2.31 * 10.0)  # g/km = l/100km x kg/L x 1000 / 100


KERNELS = [
    (E.interp_linear, (np.array([0.0, 1.0, 2.0, 5.0, 3.0, 4.0]), 0, 3, 3, 0.7)),
    (E.engine_full_load_torque_nm, ("ep", 1234.5)),
    (E.engine_friction_torque_nm, ("ep", 321.0)),
    (E.engine_fuel_flow_kgps, ("ep", 412.0, 187.0)),
    (E.engine_operating_point, ("ep", 412.0, -3.0)),
    (E.engine_operating_point, ("ep", 100.0, 87.0)),
    (E.engine_demand_fraction, ("ep", 300.0, 170.0)),
    (E.clutch_engine_speed_radps, ("ep", 150.0, 0.3)),
    (G.gearbox_output_torque_nm, ("gp", 2.0, -80.0)),
    (G.shift_torque_factor, ("gp", 0.1)),
    (G.gear_update, ("gp", 3.0, 5.0, 40.0, 0.8, 0.01)),
    (G.gear_update, ("gp", 6.0, 5.0, 10.0, 0.1, 0.01)),
    (G.best_gear_max_wheel_torque_nm, ("ep", "gp", 55.0)),
    (G.powertrain_axle_torque, ("ep", "gp", 2.0, 0.05, 30.0, 250.0)),
    (cruise_fuel_flow_kgps, ("ep", "gp", 60.0, 400.0)),
]


@pytest.mark.parametrize(("kernel", "args"), KERNELS, ids=lambda k: getattr(k, "__name__", ""))
def test_compiled_kernels_match_python(ice, kernel, args):
    _, ep, gp = ice
    real = tuple(ep if isinstance(a, str) and a == "ep" else gp if isinstance(a, str) else a
                 for a in args)
    compiled = kernel(*real)
    python = kernel.py_func(*real)
    np.testing.assert_allclose(np.asarray(compiled, dtype=float),
                               np.asarray(python, dtype=float), rtol=1e-15, atol=0.0)
