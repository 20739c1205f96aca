"""Mass properties against hand computation, the parallel-axis theorem and symmetry."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.mass import box_inertia_kgm2
from sim.spec.battery import pack_mass_kg, pack_specific_energy_wh_per_kg
from sim.units import GRAVITY_MPS2


def test_two_point_masses_by_hand(minimal_file):
    mp = sim.mass_properties(sim.load_vehicle(minimal_file()), "curb")
    # 600 kg at 0.5 m behind the front axle, 400 kg at 2.0 m: x_cg = -(300 + 800)/1000
    assert mp.mass_kg[0] == pytest.approx(1000.0)
    assert mp.cg_m[0] == pytest.approx([-1.1, 0.0, (600 * 0.4 + 400 * 0.6) / 1000])
    assert mp.cg_to_front_axle_m[0] == pytest.approx(1.1)
    assert mp.cg_to_rear_axle_m[0] == pytest.approx(1.4)
    assert mp.front_mass_fraction[0] == pytest.approx(1.4 / 2.5)
    assert mp.front_axle_load_n[0] == pytest.approx(1000 * GRAVITY_MPS2 * 1.4 / 2.5)
    # Izz about the CG: 600 * 0.6^2 + 400 * 0.9^2; Iyy adds the z offsets (0.08, 0.12)
    assert mp.yaw_inertia_kgm2[0] == pytest.approx(600 * 0.36 + 400 * 0.81)
    assert mp.pitch_inertia_kgm2[0] == pytest.approx(600 * (0.36 + 0.08**2)
                                                     + 400 * (0.81 + 0.12**2))
    assert mp.roll_inertia_kgm2[0] == pytest.approx(600 * 0.08**2 + 400 * 0.12**2)
    # Ixz = sum m x z with x, z relative to the CG: 600 (0.6)(-0.08) + 400 (-0.9)(0.12)
    assert mp.product_xz_kgm2[0] == pytest.approx(600 * 0.6 * -0.08 + 400 * -0.9 * 0.12)
    assert mp.inertia_tensor_kgm2[0, 0, 2] == pytest.approx(-mp.product_xz_kgm2[0])


def test_driver_offset_and_lever_rule_wheel_loads(minimal_file):
    mp = sim.mass_properties(sim.load_vehicle(minimal_file()), "driver")
    m = 1080.0
    y_cg = 80 * 0.4 / m
    assert mp.cg_m[0, 1] == pytest.approx(y_cg)
    front, rear = mp.front_axle_load_n[0], mp.rear_axle_load_n[0]
    assert mp.wheel_loads_n[0] == pytest.approx([front * (0.5 + y_cg / 1.6),
                                                 front * (0.5 - y_cg / 1.6),
                                                 rear * (0.5 + y_cg / 1.5),
                                                 rear * (0.5 - y_cg / 1.5)])
    assert mp.wheel_loads_n[0].sum() == pytest.approx(m * GRAVITY_MPS2)
    # left wheels carry more when the CG is to the left (y > 0)
    assert mp.wheel_loads_n[0, 0] > mp.wheel_loads_n[0, 1]


def test_box_inertia_and_parallel_axis(minimal_file):
    # One 100 kg box of 2 x 1 x 0.5 m added at a known offset from the CG.
    box = """
        [components.box]
        mass_kg = 100.0
        x_from_front_axle_m = 1.1
        y_left_m = 0.3
        z_from_ground_m = 0.48
        length_m = 2.0
        width_m = 1.0
        height_m = 0.5
        """
    plain = sim.mass_properties(sim.load_vehicle(minimal_file()), "curb")
    with_box = sim.mass_properties(sim.load_vehicle(minimal_file(append=box)), "curb")
    own = box_inertia_kgm2(100.0, 2.0, 1.0, 0.5)
    assert own == pytest.approx([100 * (1 + 0.25) / 12, 100 * (4 + 0.25) / 12,
                                 100 * (4 + 1) / 12])
    # Steiner by hand: the box sits at the old CG's x and z, 0.3 m to the left.
    m0, m1 = 1000.0, 100.0
    cg_y = m1 * 0.3 / (m0 + m1)
    d_izz = m1 * (0.3 - cg_y) ** 2 + m0 * cg_y**2
    assert with_box.yaw_inertia_kgm2[0] == pytest.approx(plain.yaw_inertia_kgm2[0] + own[2]
                                                         + d_izz)
    assert with_box.pitch_inertia_kgm2[0] == pytest.approx(plain.pitch_inertia_kgm2[0] + own[1])


def test_parallel_axis_theorem_on_builtin_vehicle():
    """I about any point P = I about the CG + m (|d|^2 E - d d^T), d = P - CG."""
    v = sim.load_vehicle("coupe")
    mp = sim.mass_properties(v, "full")
    m, pos = mp.item_mass_kg[0], mp.item_position_m[0]
    items = v.mass_items("full")
    dims = np.array([[float(it.length_m), float(it.width_m), float(it.height_m)] for it in items])
    own = box_inertia_kgm2(m, *dims.T)
    origin_tensor = sum(np.diag(own[k]) + m[k] * (pos[k] @ pos[k] * np.eye(3)
                                                 - np.outer(pos[k], pos[k]))
                        for k in range(len(m)))
    d = mp.cg_m[0]
    steiner = mp.inertia_tensor_kgm2[0] + mp.mass_kg[0] * (d @ d * np.eye(3) - np.outer(d, d))
    np.testing.assert_allclose(steiner, origin_tensor, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("name", sim.list_vehicles())
def test_builtin_invariants(name):
    v = sim.load_vehicle(name)
    for case in v.load_case_names:
        mp = sim.mass_properties(v, case)
        assert mp.wheel_loads_n.sum() == pytest.approx(mp.mass_kg[0] * GRAVITY_MPS2, rel=1e-12)
        assert mp.front_axle_load_n[0] + mp.rear_axle_load_n[0] == pytest.approx(
            mp.mass_kg[0] * GRAVITY_MPS2)
        tensor = mp.inertia_tensor_kgm2[0]
        np.testing.assert_allclose(tensor, tensor.T, atol=1e-9)
        eig = np.linalg.eigvalsh(tensor)
        assert eig.min() > 0
        # triangle inequality of principal moments
        assert eig[0] + eig[1] >= eig[2] - 1e-9
        assert mp.sprung_mass_kg[0] + mp.unsprung_mass_kg[0] == pytest.approx(mp.mass_kg[0])
        assert mp.unsprung_mass_kg[0] == pytest.approx(v.unsprung.front_axle_kg
                                                       + v.unsprung.rear_axle_kg)
        assert mp.item_mass_kg[0].sum() == pytest.approx(mp.mass_kg[0])
        assert mp.item_yaw_inertia_kgm2[0].sum() == pytest.approx(mp.yaw_inertia_kgm2[0])
        assert mp.item_front_axle_load_n[0].sum() == pytest.approx(mp.front_axle_load_n[0])


@pytest.mark.parametrize("name", sim.list_vehicles())
def test_builtin_values_are_plausible(name):
    """Invented, but bounded by REFERENCES section 6 (road cars, sports cars at the low end)."""
    mp = sim.mass_properties(sim.load_vehicle(name))
    assert 1100 < mp.mass_kg[0] < 2400
    assert 0.40 <= mp.front_mass_fraction[0] <= 0.55
    assert 0.38 <= mp.cg_height_m[0] <= 0.58
    assert 0.65 <= mp.dynamic_index[0] <= 1.15
    assert 1200 < mp.yaw_inertia_kgm2[0] < 4500


def test_symmetric_layout_has_no_lateral_offset_or_products(minimal_file):
    mirrored = """
        [components.left]
        mass_kg = 30.0
        x_from_front_axle_m = 1.7
        y_left_m = 0.5
        z_from_ground_m = 0.9
        length_m = 0.3
        width_m = 0.2
        height_m = 0.1

        [components.right]
        mass_kg = 30.0
        x_from_front_axle_m = 1.7
        y_left_m = -0.5
        z_from_ground_m = 0.9
        length_m = 0.3
        width_m = 0.2
        height_m = 0.1

        [unsprung]
        front_axle_kg = 80.0
        rear_axle_kg = 90.0
        """
    path = minimal_file(replace={"[unsprung]\nfront_axle_kg = 0.0\nrear_axle_kg = 0.0\n": ""},
                        append=mirrored)
    mp = sim.mass_properties(sim.load_vehicle(path), "curb")
    assert mp.cg_m[0, 1] == pytest.approx(0.0, abs=1e-15)
    t = mp.inertia_tensor_kgm2[0]
    assert t[0, 1] == pytest.approx(0.0, abs=1e-12)
    assert t[1, 2] == pytest.approx(0.0, abs=1e-12)
    fl, fr, rl, rr = mp.wheel_loads_n[0]
    assert fl == pytest.approx(fr) and rl == pytest.approx(rr)


def test_batch_matches_single_members():
    v = sim.load_vehicle("spider")
    e = np.array([10.0, 26.0, 40.0, 60.0])
    batch = sim.set_params(v, {"packs.front.energy_kwh": e, "packs.rear.energy_kwh": 72.0 - e,
                               "components.front_drive_unit.mass_kg": e + 50.0})
    mp = sim.mass_properties(batch, "full")
    assert mp.batch_size == 4
    for i in range(4):
        single = sim.mass_properties(sim.member(batch, i), "full")
        for field in ("mass_kg", "cg_m", "inertia_tensor_kgm2", "wheel_loads_n",
                      "sprung_cg_m", "item_yaw_inertia_kgm2"):
            np.testing.assert_allclose(getattr(mp, field)[i], getattr(single, field)[0],
                                       rtol=1e-13, atol=1e-12)


def test_pack_mass_follows_energy():
    v = sim.load_vehicle("coupe")
    pack = v.packs["front"]
    # the coupe's packs are built from cells at a pack-level 165 Wh/kg (sim.spec.battery)
    specific = pack_specific_energy_wh_per_kg("front", v.battery)
    assert specific == pytest.approx(165.0, abs=0.01)
    assert pack_mass_kg("front", pack, v.battery) == pytest.approx(
        pack.energy_kwh * 1000 / specific, rel=1e-14)
    heavier = sim.set_params(v, {"packs.front.energy_kwh": pack.energy_kwh + 16.5})
    assert (sim.mass_properties(heavier).mass_kg[0] - sim.mass_properties(v).mass_kg[0]
            == pytest.approx(16.5 * 1000 / specific))
