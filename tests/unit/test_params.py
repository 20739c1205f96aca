"""Dotted parameter paths: get, set (scalars and batches), members, path listing."""

from __future__ import annotations

import numpy as np
import pytest

import sim


@pytest.fixture(scope="module")
def coupe():
    return sim.load_vehicle("coupe")


def test_paths_cover_every_quantity_and_roundtrip(coupe):
    paths = sim.param_paths(coupe)
    assert "packs.front.energy_kwh" in paths
    assert "components.front_drive_unit.x_m" in paths
    assert "load_cases.full.occupants.passenger" in paths
    assert "geometry.wheelbase_m" in paths
    for path in paths:
        value = sim.get_param(coupe, path)
        assert isinstance(value, float)
        assert sim.get_param(sim.set_params(coupe, {path: value}), path) == value


def test_positions_are_stored_in_iso_axes(coupe):
    # file: x_from_front_axle_m = 2.05 (rearward) -> ISO x = -2.05
    assert sim.get_param(coupe, "packs.rear.x_m") == -2.05
    assert sim.get_param(coupe, "seats.passenger.y_m") == -0.37


def test_set_params_returns_a_new_vehicle(coupe):
    new = sim.set_params(coupe, {"packs.front.energy_kwh": 30.0})
    assert sim.get_param(new, "packs.front.energy_kwh") == 30.0
    assert sim.get_param(coupe, "packs.front.energy_kwh") == 26.0
    assert new.batch_size == coupe.batch_size == 1


def test_batch_of_ten_thousand_splits_is_one_call(coupe):
    e = np.linspace(0.0, 72.0, 10_000)
    batch = sim.set_params(coupe, {"packs.front.energy_kwh": e,
                                   "packs.rear.energy_kwh": 72.0 - e})
    assert batch.batch_size == 10_000
    mp = sim.mass_properties(batch)
    assert mp.mass_kg.shape == (10_000,)
    assert mp.inertia_tensor_kgm2.shape == (10_000, 3, 3)
    assert mp.wheel_loads_n.shape == (10_000, 4)
    assert np.all(np.diff(mp.cg_m[:, 0]) > 0)  # energy moves forward: CG moves forward


def test_member_extracts_one_variant(coupe):
    batch = sim.set_params(coupe, {"geometry.wheelbase_m": np.array([2.4, 2.5, 2.6])})
    one = sim.member(batch, 2)
    assert one.batch_size == 1
    assert sim.get_param(one, "geometry.wheelbase_m") == 2.6
    with pytest.raises(sim.SpecError, match=r"index = 3: a member index in \[0, 3\)"):
        sim.member(batch, 3)


def test_adding_to_an_existing_batch(coupe):
    batch = sim.set_params(coupe, {"packs.front.energy_kwh": np.array([20.0, 30.0])})
    both = sim.set_params(batch, {"packs.rear.energy_kwh": np.array([50.0, 40.0])})
    assert both.batch_size == 2
    with pytest.raises(sim.SpecError, match=r"same length.*batch of 2"):
        sim.set_params(batch, {"packs.rear.energy_kwh": np.array([50.0, 40.0, 30.0])})
    # replacing the only array with one of another length is allowed
    assert sim.set_params(batch, {"packs.front.energy_kwh": np.ones(5)}).batch_size == 5


@pytest.mark.parametrize(("path", "value", "message"), [
    ("packs.front.energy_kwh", -1.0,
     r"<set_params>: packs\.front\.energy_kwh = -1\.0: a finite number >= 0 and <= 300 \[kWh\]"),
    ("packs.front.energy_kwh", [10.0, float("nan")],
     r"packs\.front\.energy_kwh\[1\] = nan: a finite number"),
    ("packs.middle.energy_kwh", 1.0, r"packs\.middle\.energy_kwh = 'middle': unknown name; "
     r"names here are front, rear"),
    ("geometry.wheel_base_m", 2.5, r"geometry\.wheel_base_m = 'wheel_base_m': unknown field"),
    ("packs.front.x_from_front_axle_m", 0.7, r"'x_from_front_axle_m' is the file's name; the "
     r"resolved vehicle stores 'x_m' \(ISO 8855, = -1 x x_from_front_axle_m\)"),
    ("geometry", 2.0, r"geometry = 'geometry': names a section, not a number"),
    ("packs.front.energy_kwh", [[1.0, 2.0]], r"a batch of values must be a non-empty 1-D array"),
    ("packs.front.energy_kwh", "26", r"packs\.front\.energy_kwh = '26': a finite number"),
    ("packs.front.x_m", 1.5, r"packs\.front\.x_from_front_axle_m = -1\.5: outside the car's "
     r"body"),
    ("load_cases.driver.occupants.driver", 800.0,
     r"load_cases\.driver\.occupants\.driver = 800\.0: a finite number >= 0 and <= 250 \[kg\]"),
])
def test_bad_set_params(coupe, path, value, message):
    with pytest.raises(sim.SpecError, match=message):
        sim.set_params(coupe, {path: value})


def test_gvwr_is_checked_after_set_params(coupe):
    with pytest.raises(sim.SpecError, match=r"load_cases\.full = .*exceeds "
                       r"info\.gross_vehicle_weight_rating_kg = 2000 kg"):
        sim.set_params(coupe, {"packs.rear.energy_kwh": np.array([46.0, 80.0])})
