"""Bad input to the linear single-track model raises SpecError naming field, value and range."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sim.chassis import linear as lst
from sim.errors import SpecError

GOOD = dict(mass_kg=1500.0, yaw_inertia_kgm2=2500.0, cg_to_front_axle_m=1.2,
            cg_to_rear_axle_m=1.5, front_cornering_stiffness_npr=80_000.0,
            rear_cornering_stiffness_npr=90_000.0)
FIELDS = list(lst.PARAMETER_NAMES)
assert FIELDS == list(GOOD)


def model(**overrides) -> lst.LinearSingleTrack:
    return lst.LinearSingleTrack(**{**GOOD, **overrides})


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf")])
def test_each_field_rejects_non_positive_or_non_finite(field, bad):
    with pytest.raises(SpecError, match=rf"<argument>: {field} = {bad!r}: must be finite and > 0"):
        model(**{field: bad})


@pytest.mark.parametrize("field", FIELDS)
def test_batch_error_names_the_first_bad_member(field):
    values = [GOOD[field], GOOD[field], -GOOD[field], 0.0]
    with pytest.raises(SpecError, match=rf"{field}\[2\] = -[0-9.]+: must be finite and > 0") as err:
        model(**{field: values})
    assert err.value.field == f"{field}[2]"
    assert err.value.value == -GOOD[field]


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("bad", ["heavy", [[1.0, 2.0]], []])
def test_each_field_rejects_non_numbers_and_wrong_shapes(field, bad):
    with pytest.raises(SpecError, match=rf"{field} = "):
        model(**{field: bad})


def test_fields_must_broadcast_to_one_batch_shape():
    message = r"batch shape = .*mass_kg: \(2,\).*yaw_inertia_kgm2: \(3,\)"
    with pytest.raises(SpecError, match=message):
        model(mass_kg=[1500.0, 1600.0], yaw_inertia_kgm2=[2500.0, 2600.0, 2700.0])


def test_source_is_named_in_the_message():
    with pytest.raises(SpecError, match=r"^coupe\.toml: mass_kg = -5\.0: "):
        lst.LinearSingleTrack(**{**GOOD, "mass_kg": -5.0}, source="coupe.toml")


def test_scalars_broadcast_and_fields_are_frozen_read_only_float64():
    m = model(mass_kg=[1500.0, 1600.0, 1700.0])
    assert m.batch_size == 3
    for name in FIELDS:
        arr = getattr(m, name)
        assert arr.shape == (3,) and arr.dtype == np.float64 and not arr.flags.writeable
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.mass_kg = np.ones(3)  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        m.mass_kg[0] = 1.0
    np.testing.assert_array_equal(m.wheelbase_m, [2.7, 2.7, 2.7])


def test_input_array_is_copied_not_aliased():
    masses = np.array([1500.0, 1600.0])
    m = model(mass_kg=masses)
    masses[0] = -1.0
    assert m.mass_kg[0] == 1500.0


# --- arguments of the functions -------------------------------------------------------------
@pytest.mark.parametrize("bad", [0.0, -10.0, float("nan"), float("inf")])
@pytest.mark.parametrize("func", [lst.state_space, lst.steady_state_gains, lst.yaw_mode])
def test_speed_must_be_finite_and_positive(func, bad):
    with pytest.raises(SpecError, match=rf"speed_mps = {bad!r}: must be finite and > 0"):
        func(model(), bad)


def test_speed_batch_error_names_member_and_shape_mismatch():
    with pytest.raises(SpecError, match=r"speed_mps\[1\] = -3\.0: must be finite and > 0"):
        lst.steady_state_gains(model(), [10.0, -3.0])
    two = model(mass_kg=[1500.0, 1600.0])
    with pytest.raises(SpecError, match=r"speed_mps = 'shape \(3,\)': must be a scalar or have "
                                        r"the batch shape \(2,\)"):
        lst.state_space(two, [10.0, 20.0, 30.0])


def test_one_vehicle_broadcasts_over_speeds_and_one_speed_over_vehicles():
    A, _ = lst.state_space(model(), [10.0, 20.0, 30.0])
    assert A.shape == (3, 2, 2)
    A, B = lst.state_space(model(mass_kg=[1500.0, 1600.0]), 20.0)
    assert A.shape == (2, 2, 2) and B.shape == (2, 2, 1)


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_frequency_must_be_finite_and_non_negative(bad):
    with pytest.raises(SpecError, match=rf"frequency_hz\[1\] = {bad!r}: must be finite and >= 0"):
        lst.frequency_response(model(), 20.0, [0.5, bad])


@pytest.mark.parametrize("bad", [0.0, -0.01, float("nan"), [0.01, 0.02]])
def test_time_step_must_be_one_positive_number(bad):
    with pytest.raises(SpecError, match=r"time_step_s = .*must be one finite number > 0"):
        lst.steer_response(model(), 20.0, np.zeros((1, 5)), bad)


def test_steer_history_shape_and_values():
    with pytest.raises(SpecError, match=r"steer_rad = 'shape \(5,\)': must have shape \(1, T\)"):
        lst.steer_response(model(), 20.0, np.zeros(5), 0.01)
    with pytest.raises(SpecError, match=r"steer_rad = 'shape \(3, 5\)': must have shape \(2, T\)"):
        lst.steer_response(model(mass_kg=[1.0, 2.0]), 20.0, np.zeros((3, 5)), 0.01)
    steer = np.zeros((1, 5))
    steer[0, 3] = np.nan
    with pytest.raises(SpecError, match=r"steer_rad\[0, 3\] = nan: must be finite"):
        lst.steer_response(model(), 20.0, steer, 0.01)


def test_hold_must_be_zoh_or_foh():
    with pytest.raises(SpecError, match=r"hold = 'linear': must be \"zoh\" or \"foh\""):
        lst.steer_response(model(), 20.0, np.zeros((1, 5)), 0.01, hold="linear")


@pytest.mark.parametrize(
    ("argument", "bad", "message"),
    [
        ("final_steer_rad", float("nan"), r"final_steer_rad = nan: must be finite"),
        ("steer_rate_radps", 0.0, r"steer_rate_radps = 0\.0: must be finite and > 0"),
        ("steer_rate_radps", -0.4, r"steer_rate_radps = -0\.4: must be finite and > 0"),
        ("duration_s", 0.0, r"duration_s = 0\.0: must be one finite number > 0"),
        ("time_step_s", float("inf"), r"time_step_s = inf: must be one finite number > 0"),
        ("start_time_s", -0.1, r"start_time_s = -0\.1: must be one finite number >= 0"),
    ],
)
def test_ramp_step_arguments(argument, bad, message):
    args = dict(final_steer_rad=0.02, steer_rate_radps=0.4, duration_s=1.0, time_step_s=0.01,
                start_time_s=0.0)
    args[argument] = bad
    with pytest.raises(SpecError, match=message):
        lst.ramp_step_response(model(), 20.0, **args)


def test_spec_error_is_a_value_error():
    with pytest.raises(ValueError, match="mass_kg"):
        model(mass_kg=-1.0)
