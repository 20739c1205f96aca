"""Road friction and grade per member: a batch equals its single runs."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.errors import SpecError
from sim.simulate import Numerics

COUPE = sim.load_vehicle("coupe")
NUMERICS = Numerics(time_step_s=0.005, output_interval_s=0.01)
RECORD = ("vx_mps", "ay_mps2", "yaw_rate_radps")


def _run(**kwargs):
    return sim.simulate(COUPE, duration_s=1.0, steering_wheel_angle_rad=0.5,
                        force_demand_n=800.0, numerics=NUMERICS, record=RECORD, **kwargs)


def test_per_member_road_equals_single_runs():
    friction, grade, speed = [0.6, 1.0, 0.8], [0.05, -0.02, 0.0], [70.0, 90.0, 80.0]
    batch = _run(speed_kmh=speed, road_friction=friction, road_grade_rad=grade)
    np.testing.assert_array_equal(batch.parameters["road_friction"], friction)
    np.testing.assert_array_equal(batch.parameters["road_grade_rad"], grade)
    for i in range(3):
        alone = _run(speed_kmh=speed[i], road_friction=friction[i], road_grade_rad=grade[i])
        for name in RECORD:
            np.testing.assert_array_equal(batch[name][i], alone[name][0], err_msg=(i, name))


@pytest.mark.parametrize("name", ["road_friction", "road_grade_rad"])
def test_road_length_must_match_the_batch(name):
    with pytest.raises(SpecError, match=name):
        _run(speed_kmh=[70.0, 90.0], **{name: [0.5, 0.6, 0.7] if name == "road_friction"
                                         else [0.01, 0.02, 0.03]})
