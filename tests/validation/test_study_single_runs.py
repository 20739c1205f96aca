"""A study of real simulations equals independent single runs at the same points (rtol 1e-9),
and a process pool gives the same table bit for bit (issue 10, "Done when")."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from sim.maneuvers import step_steer
from sim.study import Study, point_history, run_study

SHARES = [0.3, 0.7]
FRICTIONS = [0.8, 1.0]


@pytest.fixture(scope="module")
def step_study():
    return Study(name="split x friction x controller", variants=("coupe",),
                 maneuvers=("step_steer",),
                 grid={"split.front_energy_share": SHARES, "road.friction": FRICTIONS,
                       "maneuver.controller": ["passive", "adm"]},
                 fixed={"maneuver.duration_s": 2.5}, chunk_size=3)


@pytest.fixture(scope="module")
def step_table(step_study):
    return run_study(step_study, progress=False)


def test_study_equals_independent_single_runs(step_study, step_table):
    plan = step_study.plan()
    # friction is per member in a step steer: two groups (controller), chunks of <= 3
    assert len(plan.groups) == 2 and [len(c.points) for c in plan.chunks] == [3, 1, 3, 1]
    assert (step_table["status"] == "ok").all()
    coupe = sim.load_vehicle("coupe")
    metrics = [c for c in step_table.columns if c.endswith(("_s", "_deg", "_per_s", "_mps2",
                                                             "overshoot", "_kmh"))]
    assert "yaw_rate_response_time_s" in metrics and len(metrics) >= 8
    for point, row in step_table.iterrows():
        alone = step_step(coupe, row)
        for name in metrics:
            np.testing.assert_allclose(row[name], alone.metrics[name][0], rtol=1e-9,
                                       err_msg=f"point {point} {name}")
    # the points differ: the split and the friction move the response
    assert step_table["steering_wheel_amplitude_deg"].nunique() == 4


def step_step(coupe, row):
    single = sim.split_packs(coupe, row["split.front_energy_share"]).vehicle
    single = sim.member(single, 0)
    return step_steer(single, duration_s=2.5, road_friction=row["road.friction"],
                      controller=row["maneuver.controller"])


def test_process_pool_gives_the_same_table_bit_for_bit(step_study, step_table):
    pooled = run_study(step_study, executor=2, progress=False)
    pd.testing.assert_frame_equal(pooled, step_table, check_exact=True)


def test_point_history_is_the_point_rerun(step_study, step_table):
    res = point_history(step_study, 5)
    assert res.name == "iso7401_step_steer"
    assert res.results["run"]["yaw_rate_radps"].shape[0] == 1
    np.testing.assert_allclose(res.metrics["yaw_rate_gain_per_s"][0],
                               step_table.loc[5, "yaw_rate_gain_per_s"], rtol=1e-9)


def test_drive_cycle_study_equals_the_cycle_run():
    from sim.energy import drive_cycle

    study = Study(variants=("coupe",), maneuvers=("drive_cycle",),
                  grid={"split.front_energy_share": [0.2, 0.8]},
                  fixed={"maneuver.cycle": "udds"})
    table = run_study(study, progress=False)
    batch = sim.split_packs(sim.load_vehicle("coupe"), [0.2, 0.8]).vehicle
    ref = drive_cycle(batch, "udds", record=False)
    np.testing.assert_allclose(table["terminal_consumption_wh_per_km"],
                               ref.terminal_consumption_wh_per_km, rtol=1e-9)
    assert table["terminal_consumption_wh_per_km"].between(50, 400).all()


def test_a_point_that_left_the_tyres_range_is_flagged_in_the_table():
    """The step steer records only what its metrics read, yet the table says which point ran
    beyond the tyre's FZMAX (5 m² of downforce area at 250 km/h: about 11 kN on a front wheel
    rated 10.4 kN), as the same maneuver run alone does."""
    areas = [0.1, 5.0]
    study = Study(name="downforce", variants=("coupe",), maneuvers=("step_steer",),
                  zip=({"aero.front_downforce_area_m2": areas,
                        "aero.rear_downforce_area_m2": areas},),
                  fixed={"maneuver.duration_s": 2.0, "maneuver.speed_kmh": 250.0})
    table = run_study(study, progress=False)
    assert table["status"].tolist() == ["ok", "ok"]
    assert table["flagged"].tolist() == [False, True]
    coupe = sim.load_vehicle("coupe")
    for point, area in enumerate(areas):
        car = sim.set_params(coupe, {"aero.front_downforce_area_m2": area,
                                     "aero.rear_downforce_area_m2": area})
        alone = step_steer(car, duration_s=2.0, speed_kmh=250.0)
        assert table["flags"][point] == ", ".join(alone.flag_names[0])
    assert table["flags"][1] == "tyre_load_fl, tyre_load_fr"
