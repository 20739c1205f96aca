"""Battery kernels: compiled against .py_func, parameters from the built-in files, bus sharing,
the infeasible-power flag, the 400 V / 800 V invariant, the energy identity, the same-mass test."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import sim
from sim.powertrain import battery as b
from sim.spec.battery import pack_mass_kg, pack_specific_energy_wh_per_kg, strings_in_parallel


@pytest.fixture(scope="module")
def coupe():
    return sim.load_vehicle("coupe")


@pytest.fixture(scope="module")
def p_coupe(coupe):
    return b.battery_parameters(coupe)[0]


def _uncapped(p):
    q = p.copy()
    q[b.IX_DISCHARGE_POWER_CAP_W] = q[b.IX_CHARGE_POWER_CAP_W] = np.inf
    return q


def test_parameters_of_the_coupe(p_coupe):
    assert p_coupe.shape == (b.BATTERY_PARAMETER_COUNT,)
    assert p_coupe[b.IX_CELLS_IN_SERIES] == 192
    # 26 and 46 kWh of 2.7934 Ah x 3.729 V cells in 192-cell strings: 13 and 23 strings
    assert p_coupe[b.IX_PACK0_STRINGS] == pytest.approx(13.0, rel=1e-4)
    assert p_coupe[b.IX_PACK1_STRINGS] == pytest.approx(23.0, rel=1e-4)
    assert p_coupe[b.IX_CELL_MAX_DISCHARGE_CURRENT_A] == pytest.approx(7.0 * 2.7934)
    assert p_coupe[b.IX_DISCHARGE_POWER_CAP_W] == 400e3
    assert p_coupe[b.IX_CHARGE_POWER_CAP_W] == 250e3
    assert p_coupe[b.IX_CELL_OCV_V_TABLE + 5] == 3.72  # 50 % SOC


def test_crossover_is_one_pack_at_400_v_class():
    p = b.battery_parameters(sim.load_vehicle("crossover_gt"))[0]
    assert p[b.IX_PACK0_STRINGS] == pytest.approx(3.0, rel=1e-4)
    assert p[b.IX_PACK1_STRINGS] == 0.0
    ocv, _, _ = b.cell_curves(p, [0.0, 1.0])
    np.testing.assert_allclose(104 * ocv, [312.0, 434.72])


def test_no_battery_section_is_an_error():
    with pytest.raises(sim.SpecError, match=r"battery = None: a \[battery\] section"):
        b.battery_parameters(sim.load_vehicle("coupe_ice"))


def test_table_interpolation_and_clamping(p_coupe):
    ocv, r, ich = b.cell_curves(p_coupe, [0.0, 0.05, 0.5, 0.95, 1.0])
    np.testing.assert_allclose(ocv, [3.0, 3.225, 3.72, 4.12, 4.18])
    np.testing.assert_allclose(r, np.array([0.013, 0.01125, 0.0072, 0.00825, 0.0086]) + 0.0003)
    np.testing.assert_allclose(ich, np.array([3.0, 3.0, 2.6, 0.5, 0.3]) * 2.7934)
    f = b.soc_table_value
    assert f(p_coupe, b.IX_CELL_OCV_V_TABLE, -0.5) == 3.0
    assert f(p_coupe, b.IX_CELL_OCV_V_TABLE, 1.5) == 4.18


def test_compiled_kernels_match_py_func(p_coupe):
    rng = np.random.default_rng(4)
    dx_c, dx_p = np.empty(4), np.empty(4)
    for _ in range(50):
        x = np.array([rng.uniform(0, 1), rng.uniform(-0.1, 0.1), rng.uniform(0, 1),
                      rng.uniform(-0.1, 0.1)])
        power = rng.uniform(-300e3, 600e3)
        v, ok = b.bus_voltage_v(p_coupe, x, power)
        assert (v, ok) == pytest.approx(b.bus_voltage_v.py_func(p_coupe, x, power), rel=1e-13)
        assert b.battery_derivatives(p_coupe, x, power, dx_c) == pytest.approx(
            b.battery_derivatives.py_func(p_coupe, x, power, dx_p), rel=1e-13)
        np.testing.assert_allclose(dx_c, dx_p, rtol=1e-12, atol=1e-18)
        for k in (0, 1):
            for fn in (b.cell_current_a, b.pack_current_a, b.pack_heat_w,
                       b.pack_chemical_power_w):
                assert fn(p_coupe, x, k, v) == pytest.approx(fn.py_func(p_coupe, x, k, v),
                                                              rel=1e-12, abs=1e-12)
        for fn in (b.available_discharge_power_w, b.available_charge_power_w,
                   b.discharge_voltage_floor_v, b.bus_max_power_w):
            assert fn(p_coupe, x) == pytest.approx(fn.py_func(p_coupe, x), rel=1e-12)
        args = (x, 500.0, 920.0, 350e3)
        assert b.charge_voltage_ceiling_v(p_coupe, *args) == pytest.approx(
            b.charge_voltage_ceiling_v.py_func(p_coupe, *args), rel=1e-13)


def test_bus_voltage_is_the_closed_form_and_power_is_delivered(p_coupe):
    x = b.battery_state(0.5)
    op = b.battery_operating_point(p_coupe, x, 200e3)
    # both packs at the same state: E_eq = Ns (OCV - 0), G = (13 + 23) / (Ns R)
    e = 192 * 3.72
    g = (p_coupe[b.IX_PACK0_STRINGS] + p_coupe[b.IX_PACK1_STRINGS]) / (192 * (0.0072 + 0.0003))
    v = 0.5 * (e + np.sqrt(e * e - 4 * 200e3 / g))
    assert op.bus_voltage_v[0] == pytest.approx(v, rel=1e-13)
    assert op.terminal_power_w[0] == pytest.approx(200e3, rel=1e-12)
    assert op.feasible[0]


def test_identical_packs_share_equally_different_packs_by_resistance(p_coupe):
    q = p_coupe.copy()
    q[b.IX_PACK1_STRINGS] = q[b.IX_PACK0_STRINGS]
    op = b.battery_operating_point(q, b.battery_state(0.6), 150e3)
    assert op.pack_current_a[0, 0] == pytest.approx(op.pack_current_a[0, 1], rel=1e-14)
    # the coupe's packs at one state: same cells, so currents in proportion to strings
    # (= conductances) and equal cell currents (equal C-rates, SOCs stay together)
    op = b.battery_operating_point(p_coupe, b.battery_state(0.6), 150e3)
    ratio = op.pack_current_a[0, 1] / op.pack_current_a[0, 0]
    assert ratio == pytest.approx(p_coupe[b.IX_PACK1_STRINGS] / p_coupe[b.IX_PACK0_STRINGS],
                                  rel=1e-13)
    assert op.derivatives[0, 0] == pytest.approx(op.derivatives[0, 2], rel=1e-13)
    # different states: I_i = G_i (E_i - V), with G_i from each pack's own resistance
    x = np.array([0.2, 0.01, 0.9, -0.02])
    op = b.battery_operating_point(p_coupe, x, 150e3)
    v = op.bus_voltage_v[0]
    for k, (soc, vrc) in enumerate(((0.2, 0.01), (0.9, -0.02))):
        ocv, r, _ = b.cell_curves(p_coupe, [soc])
        g = p_coupe[b.IX_PACK0_STRINGS + k] / (192 * r[0])
        assert op.pack_current_a[0, k] == pytest.approx(g * (192 * (ocv[0] - vrc) - v),
                                                        rel=1e-12)
    assert op.pack_current_a[0].sum() * v == pytest.approx(150e3, rel=1e-12)


def test_packs_balance_through_the_bus_at_zero_power(p_coupe):
    op = b.battery_operating_point(p_coupe, np.array([0.3, 0.0, 0.7, 0.0]), 0.0)
    assert op.pack_current_a[0, 0] < 0 < op.pack_current_a[0, 1]  # the fuller pack charges
    assert op.pack_current_a[0].sum() == pytest.approx(0.0, abs=1e-9)  # the emptier one


def test_infeasible_power_is_flagged_not_nan(p_coupe):
    x = b.battery_state(0.5)
    _, _, pmax = b.available_power_w(p_coupe, x)
    op = b.battery_operating_point(p_coupe, np.vstack([x, x, x]), [0.999 * pmax[0], pmax[0],
                                                                    1.5 * pmax[0]])
    np.testing.assert_array_equal(op.feasible, [True, True, False])
    e = 192 * 3.72
    assert op.bus_voltage_v[2] == pytest.approx(e / 2, rel=1e-14)  # the maximum-power point
    assert op.terminal_power_w[2] == pytest.approx(pmax[0], rel=1e-12)
    for field in dataclasses.fields(op):
        assert np.all(np.isfinite(getattr(op, field.name)))


def test_power_identity_chemical_terminal_heat_rc_storage(p_coupe):
    x = np.array([0.45, 0.03, 0.62, -0.01])
    op = b.battery_operating_point(p_coupe, x, 250e3)
    ns = 192
    for k in (0, 1):
        i = op.cell_current_a[0, k]
        vrc = x[2 * k + 1]
        r1 = 1.5 * b.cell_curves(p_coupe, [x[2 * k]])[1][0] - 1.5 * 0.0003
        npk = p_coupe[b.IX_PACK0_STRINGS + k]
        terminal = op.bus_voltage_v[0] * op.pack_current_a[0, k]
        rc_storage = ns * npk * (vrc * i - vrc * vrc / r1)  # d/dt of 1/2 C1 V_rc² per cell
        assert op.chemical_power_w[0, k] == pytest.approx(
            terminal + op.heat_w[0, k] + rc_storage, rel=1e-11)


@pytest.mark.parametrize("power_w", [200e3, 55e3, -120e3])
def test_400_and_800_v_lose_exactly_the_same_inside_the_pack(coupe, power_w):
    v800 = coupe
    v400 = b.rewire_cells(coupe, 96)
    p800, p400 = b.battery_parameters(v800)[0], b.battery_parameters(v400)[0]
    assert p400[b.IX_PACK0_STRINGS] == pytest.approx(2 * p800[b.IX_PACK0_STRINGS], rel=1e-14)
    x = np.array([0.55, 0.02, 0.48, 0.015])
    op8 = b.battery_operating_point(p800, x, power_w)
    op4 = b.battery_operating_point(p400, x, power_w)
    assert op4.heat_w.sum() == pytest.approx(op8.heat_w.sum(), rel=1e-12)
    np.testing.assert_allclose(op4.cell_current_a, op8.cell_current_a, rtol=1e-12)
    np.testing.assert_allclose(op4.derivatives, op8.derivatives, rtol=1e-11, atol=1e-18)
    assert op4.bus_voltage_v[0] == pytest.approx(op8.bus_voltage_v[0] / 2, rel=1e-13)
    np.testing.assert_allclose(op4.pack_current_a, 2 * op8.pack_current_a, rtol=1e-12)
    # same cells, same energy, same mass
    assert sim.mass_properties(v400).mass_kg[0] == pytest.approx(
        sim.mass_properties(v800).mass_kg[0], rel=1e-14)


def test_available_power_falls_as_the_packs_empty(p_coupe):
    p = _uncapped(p_coupe)
    soc = np.linspace(0.0, 0.3, 31)
    dis, _, _ = b.available_power_w(np.tile(p, (31, 1)), b.battery_state(soc, n=31))
    assert np.all(np.diff(dis) > 0)
    assert dis[0] == 0.0  # OCV(0) = V_min: nothing left at the cut-off
    # the explicit caps apply on top
    dis_c, ch_c, _ = b.available_power_w(p_coupe, b.battery_state(0.5))
    assert dis_c[0] == 400e3
    _, ch, _ = b.available_power_w(p, b.battery_state(0.5))
    assert ch_c[0] == min(ch[0], 250e3)


def test_rewire_needs_a_battery():
    with pytest.raises(sim.SpecError, match="battery = None"):
        b.rewire_cells(sim.load_vehicle("coupe_ice"), 96)


def test_cell_and_simplified_descriptions_give_the_same_mass(coupe):
    battery = coupe.battery
    for name, pack in coupe.packs.items():
        simplified = dataclasses.replace(
            pack, specific_energy_wh_per_kg=pack_specific_energy_wh_per_kg(name, battery))
        assert pack_mass_kg(name, simplified, None) == pytest.approx(
            pack_mass_kg(name, pack, battery), rel=1e-14)
        cells = battery.cells_in_series * strings_in_parallel(pack, battery)
        assert pack_mass_kg(name, pack, battery) == pytest.approx(
            cells * 0.046 * 1.3724, rel=1e-14)
    # through the mass model: the same vehicle with simplified packs weighs the same
    packs = {n: dataclasses.replace(p, specific_energy_wh_per_kg=pack_specific_energy_wh_per_kg(
        n, battery)) for n, p in coupe.packs.items()}
    simple = dataclasses.replace(coupe, battery=None, packs=packs)
    assert sim.mass_properties(simple).mass_kg[0] == pytest.approx(
        sim.mass_properties(coupe).mass_kg[0], rel=1e-14)
    # and the built-in packs keep their former 165 Wh/kg masses (within 0.01 kg)
    assert pack_mass_kg("front", coupe.packs["front"], battery) == pytest.approx(
        26000 / 165, abs=0.01)
    assert pack_mass_kg("rear", coupe.packs["rear"], battery) == pytest.approx(
        46000 / 165, abs=0.01)
