"""``simulate(record=...)``: only the channels asked for, equal bit for bit to a full run's;
``record=()`` keeps the end; the history's size is known in advance (``output_bytes``)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import sim
from sim.driver import iso7401_step_steer
from sim.simulate import DERIVED, FLAG_CHANNELS, Numerics, channel_names, output_bytes

COUPE = sim.load_vehicle("coupe")
NUMERICS = Numerics(time_step_s=0.005, output_interval_s=0.01)
SPEEDS = np.array([60.0, 90.0, 120.0])


def _run(**kwargs):
    kwargs.setdefault("numerics", NUMERICS)
    return sim.simulate(COUPE, speed_kmh=SPEEDS, duration_s=1.5,
                        steering_wheel_angle_rad=iso7401_step_steer(40.0, 400.0, 0.3),
                        force_demand_n=500.0, **kwargs)


@pytest.fixture(scope="module")
def full():
    return _run()


def test_default_records_every_channel(full):
    assert full.channel_names == channel_names("passive", battery=True)
    assert set(full.flags) == set(FLAG_CHANNELS)


def test_subset_equals_the_full_run_bit_for_bit(full):
    wanted = ["yaw_rate_radps", "ay_mps2", "sideslip_rad", "slip_angle_rl_rad", "pack0_soc",
              "fz_fl_n", "time_s"]
    part = _run(record=wanted)
    assert part.channel_names == ("yaw_rate_radps", "ay_mps2", "fz_fl_n", "pack0_soc",
                                  "sideslip_rad", "slip_angle_rl_rad")  # the full run's order
    np.testing.assert_array_equal(part.time_s, full.time_s)
    for name in part.channel_names:
        np.testing.assert_array_equal(part[name], full[name], err_msg=name)
        assert part.units[name] == full.units[name]
    # flags exist for the recorded channels only, equal to the full run's
    assert set(part.flags) == {"tyre_load_fl", "tyre_slip_angle_rl"}
    for name, values in part.flags.items():
        np.testing.assert_array_equal(values, full.flags[name])
    for name, values in full.end_state.items():
        np.testing.assert_array_equal(part.end_state[name], values)
    for name, values in full.energy_j.items():
        np.testing.assert_array_equal(part.energy_j[name], values)
    np.testing.assert_array_equal(part.status, full.status)


def test_record_nothing_keeps_the_end(full):
    end = _run(record=())
    assert end.channels == {}
    assert end.flags == {}
    assert end.batch_size == 3
    np.testing.assert_array_equal(end.status, full.status)
    np.testing.assert_array_equal(end.end_time_s, full.end_time_s)
    for name, values in full.end_state.items():
        np.testing.assert_array_equal(end.end_state[name], values)
    for name, values in full.energy_j.items():
        np.testing.assert_array_equal(end.energy_j[name], values)
    assert end.labels == full.labels
    # the final sample of the full history is the final state
    np.testing.assert_array_equal(full["vx_mps"][:, -1], end.end_state["vx_mps"])


def test_output_interval_with_record(full):
    coarse = _run(record=("yaw_rate_radps",),
                  numerics=dataclasses.replace(NUMERICS, output_interval_s=0.05))
    np.testing.assert_array_equal(coarse.time_s, full.time_s[::5])
    np.testing.assert_array_equal(coarse["yaw_rate_radps"], full["yaw_rate_radps"][:, ::5])


def test_record_adm_channel():
    kwargs = dict(speed_kmh=80.0, duration_s=0.5, controller="adm",
                  steering_wheel_angle_rad=0.3, numerics=NUMERICS)
    everything = sim.simulate(COUPE, **kwargs)
    part = sim.simulate(COUPE, record=("adm_yaw_moment_command_nm", "vy_mps"), **kwargs)
    assert part.channel_names == ("vy_mps", "adm_yaw_moment_command_nm")
    for name in part.channel_names:
        np.testing.assert_array_equal(part[name], everything[name])


def test_output_bytes_closed_form():
    samples = 101  # 1 s every 0.01 s, both ends
    assert output_bytes(1, 1.0, record=("vx_mps",)) == samples * 8 + samples * 8
    # sideslip is computed from vx and vy: three float channels for one asked
    assert output_bytes(2, 1.0, record=("sideslip_rad",)) == 2 * samples * 24 + samples * 8
    # a load channel brings its validity flag (one byte per sample)
    assert output_bytes(5, 1.0, record=("fz_fl_n",)) == 5 * samples * 9 + samples * 8
    assert output_bytes(7, 1.0, record=()) == samples * 8
    names = channel_names("passive", battery=True)
    kernel = len(names) - len(DERIVED)
    every = 10_000 * 401 * (8 * (kernel + len(DERIVED)) + len(FLAG_CHANNELS)) + 401 * 8
    assert output_bytes(10_000, 4.0) == every
    assert every > 2 * 2**30  # the case is over the default budget
    assert output_bytes(COUPE, 4.0) == output_bytes(1, 4.0)
    # no battery channels without a battery, more with the module's states
    assert output_bytes(1, 1.0, battery=False) < output_bytes(1, 1.0) \
        < output_bytes(1, 1.0, controller="adm")


def test_output_bytes_is_what_simulate_keeps(full):
    """Every channel recorded: the angles' sources are channels themselves, so the Result's
    arrays are exactly the predicted size."""
    size = sum(v.nbytes for v in full.channels.values()) + full.time_s.nbytes \
        + sum(v.nbytes for v in full.flags.values())
    assert output_bytes(3, 1.5, NUMERICS) == size


def test_single_member_is_a_batch_of_one():
    """A single run and member 0 of a batch of the same runs are the same numbers."""
    kwargs = dict(duration_s=0.8, steering_wheel_angle_rad=0.4, numerics=NUMERICS,
                  record=("yaw_rate_radps", "ay_mps2"))
    single = sim.simulate(COUPE, speed_kmh=70.0, **kwargs)
    batch = sim.simulate(COUPE, speed_kmh=[70.0, 110.0], strict=False, **kwargs)
    for name in single.channel_names:
        np.testing.assert_array_equal(single[name][0], batch[name][0])
