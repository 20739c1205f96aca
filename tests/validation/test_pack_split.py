"""The pack-split study: closed-form solve, reachable range, minimum yaw inertia."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.spec.battery import cell_energy_wh


def _factor(vehicle, pack_specific_energy_wh_per_kg):
    """Packaging factor that gives the coupe's cells this pack-level specific energy (its
    packs are built from cells; a factor >= 1 allows up to the cells' 226 Wh/kg)."""
    cell = vehicle.battery.cell
    return cell_energy_wh(cell) / (cell.mass_kg * pack_specific_energy_wh_per_kg)


@pytest.fixture(scope="module")
def coupe():
    return sim.load_vehicle("coupe")


def test_split_keeps_total_energy_and_moves_cg_rearward(coupe):
    r = sim.split_packs(coupe, np.linspace(0.0, 1.0, 11))
    np.testing.assert_allclose(r.front_energy_kwh + r.rear_energy_kwh, 72.0)
    # equal specific energy front and rear: moving energy moves mass, not total mass
    np.testing.assert_allclose(r.mass.mass_kg, r.mass.mass_kg[0])
    assert np.all(np.diff(r.mass.front_mass_fraction) > 0)


@pytest.mark.parametrize("target", [0.44, 0.45, 0.47, 0.5, 0.55, 0.57])
def test_solver_hits_target_exactly(coupe, target):
    r = sim.split_for_front_fraction(coupe, target)
    assert r.mass.front_mass_fraction[0] == pytest.approx(target, abs=1e-12)


def test_solver_is_vectorised_and_matches_grid_interpolation(coupe):
    targets = np.array([0.45, 0.48, 0.52])
    r = sim.split_for_front_fraction(coupe, targets, load_case="full")
    np.testing.assert_allclose(r.mass.front_mass_fraction, targets, atol=1e-12)
    grid = sim.split_packs(coupe, np.linspace(0, 1, 20001), load_case="full")
    interp = np.interp(targets, grid.mass.front_mass_fraction, grid.front_energy_share)
    np.testing.assert_allclose(r.front_energy_share, interp, atol=1e-6)


def test_solver_with_other_total_energy_and_unequal_packs(coupe):
    v = sim.set_params(coupe, {"battery.packaging_mass_factor.rear": _factor(coupe, 140.0)})
    r = sim.split_for_front_fraction(v, 0.5, total_energy_kwh=60.0)
    assert r.front_energy_kwh[0] + r.rear_energy_kwh[0] == pytest.approx(60.0)
    assert r.mass.front_mass_fraction[0] == pytest.approx(0.5, abs=1e-12)


def test_unreachable_target_names_the_range(coupe):
    lo, hi = sim.front_fraction_range(coupe)
    with pytest.raises(sim.SpecError, match=r"target_front_fraction = 0\.7.*reachable front "
                       rf"mass fractions are {lo:.4f} to {hi:.4f}"):
        sim.split_for_front_fraction(coupe, 0.7)


def test_min_yaw_inertia_is_the_grid_minimum(coupe):
    best = sim.split_for_min_yaw_inertia(coupe)
    grid = sim.split_packs(coupe, np.linspace(0, 1, 2001))
    assert best.mass.yaw_inertia_kgm2[0] <= grid.mass.yaw_inertia_kgm2.min() + 1e-9
    bounded = sim.split_for_min_yaw_inertia(coupe, share_bounds=(0.2, 0.8))
    inner = sim.split_packs(coupe, np.linspace(0.2, 0.8, 601))
    assert bounded.front_energy_share[0] in (0.2, 0.8)
    assert bounded.mass.yaw_inertia_kgm2[0] <= inner.mass.yaw_inertia_kgm2.min() + 1e-9


@pytest.mark.parametrize("rear_specific_energy", [165.0, 120.0, 220.0])
@pytest.mark.parametrize("front_x", [0.3, -0.7, -1.3])
def test_yaw_inertia_is_concave_in_the_split(coupe, rear_specific_energy, front_x):
    """The reason the minimum lies on a bound: Izz(s) = affine - convex."""
    v = sim.set_params(coupe, {"packs.front.x_m": front_x,
                               "battery.packaging_mass_factor.rear":
                               _factor(coupe, rear_specific_energy)})
    izz = sim.split_packs(v, np.linspace(0, 1, 201)).mass.yaw_inertia_kgm2
    assert np.all(np.diff(izz, 2) <= 1e-9)


def test_bad_share_bounds(coupe):
    with pytest.raises(sim.SpecError, match=r"share_bounds = \(0\.8, 0\.2\)"):
        sim.split_for_min_yaw_inertia(coupe, share_bounds=(0.8, 0.2))


def test_split_needs_front_and_rear_packs():
    with pytest.raises(sim.SpecError, match=r"packs = \['main'\].*front' and 'rear'"):
        sim.split_packs(sim.load_vehicle("crossover_gt"), 0.5)
    with pytest.raises(sim.SpecError, match=r"packs = \[\]"):
        sim.split_packs(sim.load_vehicle("coupe_ice"), 0.5)


@pytest.mark.parametrize("share", [-0.1, 1.5, float("nan")])
def test_bad_share(coupe, share):
    with pytest.raises(sim.SpecError, match=r"front_energy_share = .*in \[0, 1\]"):
        sim.split_packs(coupe, share)
