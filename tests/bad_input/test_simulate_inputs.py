"""Bad arguments to :func:`sim.simulate.simulate` raise :class:`sim.SpecError` naming the argument
(and, for vehicles, the missing section) before any simulation runs."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim import SpecError
from sim.driver import open_loop as ol
from sim.simulate import Numerics, simulate

TYRES = sim.load_vehicle("coupe").tyres


@pytest.fixture(scope="module")
def coupe():
    return sim.load_vehicle("coupe")


@pytest.fixture(scope="module")
def pair(coupe):
    """A batch of two coupes."""
    return sim.set_params(coupe, {"packs.front.energy_kwh": [20.0, 30.0]})


def run(vehicle, **kw):
    args = dict(speed_kmh=50.0, duration_s=0.2)
    args.update(kw)
    return simulate(vehicle, **args)


def test_good_arguments_run(coupe, pair):
    # the baseline the bad cases below differ from (so each failure is the argument's fault)
    assert run(coupe).ok.all()
    assert run(pair, steering_wheel_angle_rad=ol.iso7401_step_steer([5.0, -5.0])).ok.all()


@pytest.mark.parametrize("speed", [-1.0, 400.5, np.nan, np.inf, None, [50.0, 60.0, 70.0]])
def test_bad_speed(pair, speed):
    with pytest.raises(SpecError, match="speed_kmh"):
        run(pair, speed_kmh=speed)


def test_non_numeric_speed_names_the_argument(coupe):
    with pytest.raises(SpecError, match="speed_kmh"):
        run(coupe, speed_kmh="fast")


@pytest.mark.parametrize("duration", [0.0, -1.0, np.nan, np.inf, 3600.5, "10", None])
def test_bad_duration(coupe, duration):
    with pytest.raises(SpecError, match="duration_s"):
        run(coupe, duration_s=duration)


def test_numpy_integer_duration_is_accepted(coupe):
    assert run(coupe, duration_s=np.int64(1)).time_s[-1] == pytest.approx(1.0)


def test_duration_shorter_than_a_time_step(coupe):
    with pytest.raises(SpecError, match="duration_s"):
        run(coupe, duration_s=0.0009, numerics=Numerics(time_step_s=0.002))


def test_duration_must_end_on_an_output_sample(coupe):
    with pytest.raises(SpecError, match=r"duration_s = 1\.005: a whole multiple of "
                       r"numerics\.output_interval_s = 0\.01 s"):
        run(coupe, duration_s=1.005, numerics=Numerics(output_interval_s=0.01))


@pytest.mark.parametrize("controller", ["pid", "Passive", "", None])
def test_bad_controller_name(coupe, controller):
    with pytest.raises(SpecError, match="controller.*one of passive, direct"):
        run(coupe, controller=controller)


def test_per_wheel_torques_need_the_direct_controller(coupe):
    with pytest.raises(SpecError, match="controller.*'direct'"):
        run(coupe, drive_torque_nm=[0.0, 0.0, 100.0, 100.0])
    with pytest.raises(SpecError, match="controller.*'direct'"):
        run(coupe, brake_torque_nm=[10.0, 10.0, 10.0, 10.0])


@pytest.mark.parametrize("torques", [[0.0, 0.0, 100.0], [0.0] * 5])
def test_per_wheel_torques_need_four_entries(coupe, torques):
    with pytest.raises(SpecError, match="drive_torque_nm.*four inputs"):
        run(coupe, controller="direct", drive_torque_nm=torques)


def test_non_finite_wheel_torque(coupe):
    with pytest.raises(SpecError, match=r"brake_torque_nm\[2\].*finite"):
        run(coupe, controller="direct", brake_torque_nm=[0.0, 0.0, np.nan, 0.0])


def test_profile_with_the_wrong_number_of_rows(pair):
    # a batch of 2 and a 3-row steering profile: which row drives which car is ambiguous
    with pytest.raises(SpecError, match="steering_wheel_angle_rad"):
        run(pair, steering_wheel_angle_rad=ol.iso7401_step_steer([5.0, 10.0, 15.0]))
    with pytest.raises(SpecError, match="force_demand_n"):
        run(pair, force_demand_n=ol.step([100.0, 200.0, 300.0], 0.1))


@pytest.mark.parametrize("steer", [np.zeros((2, 3)), np.zeros((1, 1, 1))])
def test_array_input_of_the_wrong_shape(coupe, steer):
    with pytest.raises(SpecError, match="steering_wheel_angle_rad"):
        run(coupe, steering_wheel_angle_rad=steer)


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_inputs(coupe, value):
    with pytest.raises(SpecError, match="steering_wheel_angle_rad.*finite"):
        run(coupe, steering_wheel_angle_rad=value)
    with pytest.raises(SpecError, match="force_demand_n.*finite"):
        run(coupe, force_demand_n=value)


@pytest.mark.parametrize("friction", [0.0, 0.04, -0.5, 2.5, np.nan, [1.0, 0.8, 0.6], [[1.0]]])
def test_bad_road_friction(pair, friction):
    with pytest.raises(SpecError, match="road_friction"):
        run(pair, road_friction=friction)


@pytest.mark.parametrize("grade", [0.6, -0.6, np.inf])
def test_bad_road_grade(coupe, grade):
    with pytest.raises(SpecError, match="road_grade_rad"):
        run(coupe, road_grade_rad=grade)


def test_bad_tyre_model_and_linear_stiffness(coupe):
    with pytest.raises(SpecError, match="tyre_model.*mf61, linear"):
        run(coupe, tyre_model="pacejka")
    with pytest.raises(SpecError, match="linear_tyre_stiffness.*keys among"):
        run(coupe, tyre_model="linear", linear_tyre_stiffness={"front_stiffness": 1e5})
    with pytest.raises(SpecError, match="front_cornering_stiffness_npr"):
        run(coupe, tyre_model="linear",
            linear_tyre_stiffness={"front_cornering_stiffness_npr": -1.0})


def test_unknown_load_case(coupe):
    with pytest.raises(SpecError, match="load_case.*known: curb"):
        run(coupe, load_case="bus")


@pytest.mark.parametrize("kw,field", [
    (dict(time_step_s=0.0), "time_step_s"),
    (dict(time_step_s=0.1), "time_step_s"),
    (dict(time_step_s=0.002, output_interval_s=0.003), "output_interval_s"),
    (dict(low_speed_mps=0.0), "low_speed_mps"),
    (dict(max_sideslip_deg=95.0), "max_sideslip_deg"),
    (dict(stop_speed_mps=np.nan), "stop_speed_mps"),
])
def test_bad_numerics(kw, field):
    with pytest.raises(SpecError, match=field):
        Numerics(**kw)


DYNAMICS = f"""
[tyres.front]
file = "{TYRES['front'].file}"
[tyres.rear]
file = "{TYRES['rear'].file}"
[suspension]
front_roll_stiffness_nm_per_rad = 62000.0
rear_roll_stiffness_nm_per_rad = 48000.0
front_roll_centre_height_m = 0.05
rear_roll_centre_height_m = 0.09
load_transfer_time_constant_s = 0.05
[wheels]
front_spin_inertia_kgm2 = 1.1
rear_spin_inertia_kgm2 = 1.3
rolling_resistance_coefficient = 0.011
[aero]
drag_area_m2 = 0.62
front_downforce_area_m2 = 0.0
rear_downforce_area_m2 = 0.0
[brakes]
front_share = 0.66
max_front_torque_nm = 3200.0
max_rear_torque_nm = 1900.0
"""


def test_vehicle_without_drivetrain_section(minimal_file):
    box = sim.load_vehicle(minimal_file(append=DYNAMICS))
    with pytest.raises(SpecError, match=r"drivetrain.*needs the \[drivetrain\] section"):
        run(box)


def test_vehicle_without_any_dynamics_section(minimal_file):
    box = sim.load_vehicle(minimal_file())
    with pytest.raises(SpecError, match=r"tyres.*\[tyres.front\]"):
        run(box)
