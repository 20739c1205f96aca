"""Bad ``record`` requests and oversized histories are refused before anything runs."""

from __future__ import annotations

import sys

import pytest

import sim
from sim.errors import SpecError, UnknownNameError
from sim.simulate import Numerics, output_bytes

COUPE = sim.load_vehicle("coupe")
COMBUSTION = sim.load_vehicle("coupe_ice")
SIMULATE_MODULE = sys.modules["sim.simulate"]


@pytest.fixture
def nothing_may_run(monkeypatch):
    """Packing parameters (which evaluates compiled tyre kernels) or integrating fails the
    test: a refusal must come first."""
    def forbidden(*args, **kwargs):
        raise AssertionError("simulate went past its input checks")

    monkeypatch.setattr(SIMULATE_MODULE, "two_track_parameters", forbidden)
    monkeypatch.setattr(SIMULATE_MODULE.integrator, "integrate_batch", forbidden)


def test_oversized_history_refused_up_front(nothing_may_run):
    speeds = [80.0] * 10_000  # 10 000 runs of one vehicle
    size = output_bytes(10_000, 4.0)
    with pytest.raises(SpecError, match=r"record") as err:
        sim.simulate(COUPE, speed_kmh=speeds, duration_s=4.0)
    text = str(err.value)
    assert f"({size} bytes)" in text
    assert f"({2 * 1024**3} bytes)" in text  # the default budget
    assert "10000 members" in text
    for advice in ("fewer channels", "output_interval_s", "fewer members", "record=()"):
        assert advice in text


def test_small_budget_refuses_a_small_run(nothing_may_run):
    numerics = Numerics(max_output_bytes=1000)
    with pytest.raises(SpecError, match=r"max_output_bytes = .*\(1000 bytes\)"):
        sim.simulate(COUPE, speed_kmh=80.0, duration_s=1.0, numerics=numerics,
                     record=("vx_mps",))


def test_unknown_channel_refused(nothing_may_run):
    with pytest.raises(UnknownNameError, match=r"record.*'yaw_rate'.*yaw_rate_radps"):
        sim.simulate(COUPE, speed_kmh=80.0, duration_s=1.0, record=("yaw_rate",))


def test_adm_channel_needs_the_module(nothing_may_run):
    with pytest.raises(UnknownNameError, match="adm_yaw_moment_command_nm"):
        sim.simulate(COUPE, speed_kmh=80.0, duration_s=1.0,
                     record=("adm_yaw_moment_command_nm",))


def test_battery_channel_needs_a_battery(nothing_may_run):
    with pytest.raises(UnknownNameError, match="pack0_soc"):
        sim.simulate(COMBUSTION, speed_kmh=80.0, duration_s=1.0, record=("pack0_soc",))


@pytest.mark.parametrize("record", ["vx_mps", 3, (1.0,), b"vx_mps"])
def test_record_must_be_a_sequence_of_names(record, nothing_may_run):
    with pytest.raises(SpecError, match="record"):
        sim.simulate(COUPE, speed_kmh=80.0, duration_s=1.0, record=record)


@pytest.mark.parametrize("budget", [-1, 1.5, True, "2 GiB"])
def test_budget_must_be_whole_bytes(budget):
    with pytest.raises(SpecError, match="max_output_bytes"):
        Numerics(max_output_bytes=budget)


@pytest.mark.parametrize("members", [0, -3, 2.5, True, "ten"])
def test_output_bytes_members(members):
    with pytest.raises(SpecError, match="vehicle_members"):
        output_bytes(members, 1.0)


def test_output_bytes_checks_duration_and_names():
    with pytest.raises(SpecError, match="duration_s"):
        output_bytes(1, 1.005)
    with pytest.raises(UnknownNameError, match="nope"):
        output_bytes(1, 1.0, record=("nope",))
    with pytest.raises(SpecError, match="controller"):
        output_bytes(1, 1.0, controller="tv")
