"""Invariants of the mass model on random layouts (hypothesis)."""

from __future__ import annotations

import tomllib

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import sim
from sim.spec.battery import cell_energy_wh
from sim.units import GRAVITY_MPS2
from tests.conftest import MINIMAL_TOML

BASE = tomllib.loads(MINIMAL_TOML)  # body: x_from_front_axle in [-1, 3.5], |y| <= 0.95, z <= 1.3
BASE["info"]["gross_vehicle_weight_rating_kg"] = 10_000.0  # random layouts may be heavy

component = st.fixed_dictionaries({
    "mass_kg": st.floats(0.5, 300.0),
    "x_from_front_axle_m": st.floats(-0.8, 3.3),
    "y_left_m": st.floats(-0.7, 0.7),
    "z_from_ground_m": st.floats(0.2, 1.0),
    "length_m": st.floats(0.0, 0.3),
    "width_m": st.floats(0.0, 0.4),
    "height_m": st.floats(0.0, 0.3),
})
layouts = st.lists(component, min_size=1, max_size=8)


def _vehicle(components, order=None):
    data = {k: v for k, v in BASE.items() if k != "components"}
    names = [f"c{i}" for i in range(len(components))]
    order = order if order is not None else range(len(components))
    data["components"] = {names[i]: components[i] for i in order}
    return sim.vehicle_from_dict(data, source="<hypothesis>")


@given(layouts, st.randoms(use_true_random=False))
def test_results_do_not_depend_on_component_order(components, rnd):
    order = list(range(len(components)))
    rnd.shuffle(order)
    a = sim.mass_properties(_vehicle(components), "driver")
    b = sim.mass_properties(_vehicle(components, order), "driver")
    np.testing.assert_allclose(a.cg_m, b.cg_m, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(a.inertia_tensor_kgm2, b.inertia_tensor_kgm2, rtol=1e-10,
                               atol=1e-8)
    np.testing.assert_allclose(a.wheel_loads_n, b.wheel_loads_n, rtol=1e-12)


@given(layouts, st.floats(0.1, 500.0))
def test_adding_a_mass_at_the_cg_does_not_move_it(components, extra_kg):
    v = _vehicle(components)
    mp = sim.mass_properties(v, "curb")
    cg = mp.cg_m[0]
    extra = dict(mass_kg=extra_kg, x_from_front_axle_m=-cg[0], y_left_m=cg[1],
                 z_from_ground_m=cg[2])
    mp2 = sim.mass_properties(_vehicle([*components, extra]), "curb")
    np.testing.assert_allclose(mp2.cg_m[0], cg, atol=1e-12)
    assert np.isclose(mp2.mass_kg[0], mp.mass_kg[0] + extra_kg, rtol=1e-14)
    # a point mass at the CG adds nothing to the inertia about the CG
    np.testing.assert_allclose(mp2.inertia_tensor_kgm2[0], mp.inertia_tensor_kgm2[0],
                               rtol=1e-9, atol=1e-7)


@given(layouts)
def test_loads_sum_to_weight_and_tensor_is_physical(components):
    mp = sim.mass_properties(_vehicle(components), "driver")
    assert np.isclose(mp.wheel_loads_n.sum(), mp.mass_kg[0] * GRAVITY_MPS2, rtol=1e-12)
    t = mp.inertia_tensor_kgm2[0]
    eig = np.linalg.eigvalsh(t)
    assert eig.min() >= -1e-9
    assert eig[0] + eig[1] >= eig[2] - 1e-6 * eig[2]  # principal moments obey the triangle rule


@given(st.floats(0.0, 2.0), st.floats(1.6, 3.1), st.floats(120.0, 220.0),
       st.floats(120.0, 220.0), st.floats(20.0, 90.0))
def test_moving_energy_rearward_moves_the_cg_rearward(front_x, rear_x, rho_f, rho_r, total):
    coupe = sim.load_vehicle("coupe")
    # the coupe's packs are built from cells: a pack-level specific energy rho is set through
    # the packaging factor, rho = cell energy / (cell mass x factor)
    cell_rho = cell_energy_wh(coupe.battery.cell) / coupe.battery.cell.mass_kg
    v = sim.set_params(coupe, {"packs.front.x_m": -front_x * 0.5, "packs.rear.x_m": -rear_x,
                               "battery.packaging_mass_factor.front": cell_rho / rho_f,
                               "battery.packaging_mass_factor.rear": cell_rho / rho_r,
                               "info.gross_vehicle_weight_rating_kg": 5000.0})
    # share of the front pack falls: energy moves rearward
    r = sim.split_packs(v, np.linspace(1.0, 0.0, 41), total_energy_kwh=total)
    assert np.all(np.diff(r.mass.cg_m[:, 0]) < 0)
    assert np.all(np.diff(r.mass.front_mass_fraction) < 0)
