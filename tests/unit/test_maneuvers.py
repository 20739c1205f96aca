"""sim.maneuvers: the result type, the batch helpers, each maneuver on the coupe (plausible
numbers, left/right symmetry, batch = singles), spin-outs flagged, bad input named."""

from __future__ import annotations

import json

import numpy as np
import pytest

import sim
from sim.chassis import two_track as tt
from sim.errors import SpecError
from sim.maneuvers import (
    ManeuverResult,
    repeat_members,
    resistance_force_n,
    run_set,
    select_members,
    sine_with_dwell,
    step_steer,
    straight_line,
)
from sim.units import GRAVITY_MPS2


@pytest.fixture(scope="module")
def coupe():
    return sim.load_vehicle("coupe")


@pytest.fixture(scope="module")
def step_left(coupe):
    return step_steer(coupe)


@pytest.fixture(scope="module")
def swd(coupe):
    return sine_with_dwell(coupe)


@pytest.fixture(scope="module")
def line(coupe):
    return straight_line(coupe)


# ------------------------------------------------------------------------------ result type
def small_result() -> ManeuverResult:
    res, rows = run_set(sim.load_vehicle("coupe"), 2, speed_kmh=50.0, duration_s=0.1)
    metrics = {"time_s": np.array([1.5]), "passed": np.array([True]), "runs": np.array([2])}
    return ManeuverResult("demo", {"run": res}, metrics, {"time_s": "s", "passed": "-",
                                                         "runs": "-"}, {"vehicle": "coupe"},
                          per_run={"x_m": np.array([[1.0, 2.0]])}, run_labels=("a", "b"),
                          result_rows={"run": rows})


def test_result_table_rows_dict_and_member():
    m = small_result()
    assert m.batch_size == 1
    text = m.table()
    lines = text.splitlines()
    assert lines[0].split() == ["demo", "unit", "coupe"]
    assert lines[1].split() == ["time_s", "s", "1.5"]
    assert lines[2].split() == ["passed", "-", "yes"] and lines[3].split() == ["runs", "-", "2"]
    assert str(m) == text
    assert m.rows()[0] == {"metric": "time_s", "unit": "s", "values": [1.5]}
    data = json.loads(json.dumps(m.to_dict()))
    assert data["metrics"]["passed"] == {"unit": "-", "values": [True]}
    assert data["per_run"]["x_m"]["values"] == [[1.0, 2.0]] and data["run_labels"] == ["a", "b"]
    one = m.member(0)
    assert one.results["run"].batch_size == 2 and one["time_s"][0] == 1.5
    with pytest.raises(SpecError, match=r"index = 1: a member index in \[0, 1\)"):
        m.member(1)
    with pytest.raises(KeyError, match="no metric 'nope'; metrics are time_s, passed, runs"):
        m["nope"]


def test_result_to_pandas():
    pd = pytest.importorskip("pandas")
    frame = small_result().to_pandas()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["time_s", "passed", "runs"] and frame["time_s"][0] == 1.5


# ------------------------------------------------------------------------------ helpers
def test_select_and_repeat_members(coupe):
    batch = sim.set_params(coupe, {"packs.front.energy_kwh": [20.0, 30.0]})
    rep = repeat_members(batch, 3)
    np.testing.assert_array_equal(sim.get_param(rep, "packs.front.energy_kwh"),
                                  [20.0, 20.0, 20.0, 30.0, 30.0, 30.0])
    sel = select_members(batch, [0, 1, 1])
    np.testing.assert_array_equal(sim.get_param(sel, "packs.front.energy_kwh"), [20, 30, 30])
    assert select_members(coupe, [0, 0]) is coupe and repeat_members(coupe, 4) is coupe
    with pytest.raises(SpecError, match=r"index = \[0, 2\]: member indices in \[0, 2\)"):
        select_members(batch, [0, 2])


def test_run_set_rows_and_ragged_runs(coupe):
    batch = sim.set_params(coupe, {"packs.front.energy_kwh": [20.0, 30.0]})
    res, rows = run_set(batch, [0, 0, 0, 1], speed_kmh=np.array([40.0, 50.0, 60.0, 70.0]),
                        duration_s=0.05)
    assert [r.tolist() for r in rows] == [[0, 1, 2], [3]]
    np.testing.assert_allclose(res["vx_mps"][:, 0] * 3.6, [40, 50, 60, 70])
    np.testing.assert_allclose(res.parameters["mass_kg"][[0, 1, 2]],
                               sim.mass_properties(sim.member(batch, 0)).mass_kg[0])
    with pytest.raises(SpecError, match="runs = .*a member index per run, non-decreasing"):
        run_set(batch, [1, 0], speed_kmh=50.0, duration_s=0.05)


def test_resistance_is_drag_plus_rolling_resistance_with_downforce(coupe):
    v = 30.0
    p = sim.simulate(coupe, speed_kmh=50.0, duration_s=0.01).parameters
    q = 0.5 * p["air_density_kgpm3"][0] * v * v
    expected = q * p["drag_area_m2"][0] + p["rolling_resistance_coefficient"][0] * (
        p["mass_kg"][0] * GRAVITY_MPS2
        + q * (p["front_downforce_area_m2"][0] + p["rear_downforce_area_m2"][0]))
    assert resistance_force_n(coupe, v)[0] == pytest.approx(expected, rel=1e-12)
    # 0.62 m² x 1.225 / 2 x 900 = 341.8 N drag, about 0.011 x 17.9 kN = 197 N rolling
    assert 500.0 < expected < 600.0


# ------------------------------------------------------------------------------ step steer
def test_step_steer_on_the_coupe(step_left):
    m = step_left.metrics
    assert step_left.name == "iso7401_step_steer" and m["run_ok"][0] and not m["spun_out"][0]
    assert m["steady_lateral_acceleration_mps2"][0] == pytest.approx(4.0, rel=0.01)
    assert 10.0 < m["steering_wheel_amplitude_deg"][0] < 60.0  # quick rack (13.8:1)
    assert 0.05 < m["yaw_rate_response_time_s"][0] < 0.3
    assert m["yaw_rate_response_time_s"][0] < m["lateral_acceleration_response_time_s"][0] < 0.5
    assert m["yaw_rate_response_time_s"][0] < m["yaw_rate_peak_response_time_s"][0] < 0.6
    assert 0.0 <= m["yaw_rate_overshoot"][0] < 0.3
    assert 78.0 < m["final_speed_kmh"][0] <= 80.0  # throttle held at the straight-line resistance
    # consistency of the gains with the steady values and the amplitude
    amp = np.radians(m["steering_wheel_amplitude_deg"][0])
    assert m["lateral_acceleration_gain_mps2_per_rad"][0] == pytest.approx(
        m["steady_lateral_acceleration_mps2"][0] / amp, rel=1e-3)
    assert m["yaw_rate_gain_per_s"][0] == pytest.approx(
        np.radians(m["steady_yaw_rate_deg_per_s"][0]) / amp, rel=1e-3)
    assert step_left.labels["amplitude_iterations"][0] <= 3
    assert step_left.inputs["run"].values.shape[0] == 1


def test_step_steer_right_mirrors_left(coupe, step_left):
    # the driver-only coupe is not exactly symmetric (CG 2 cm to the left): within 2 %
    right = step_steer(coupe, direction="right")
    for name in ("steering_wheel_amplitude_deg", "steady_lateral_acceleration_mps2",
                 "steady_yaw_rate_deg_per_s", "steady_sideslip_deg"):
        assert right[name][0] == pytest.approx(-step_left[name][0], rel=0.02), name
    for name in ("yaw_rate_response_time_s", "lateral_acceleration_response_time_s",
                 "yaw_rate_gain_per_s"):
        assert right[name][0] == pytest.approx(step_left[name][0], rel=0.02), name


def test_step_steer_given_amplitude_is_held_and_batch_equals_singles(coupe, step_left):
    batch = sim.set_params(coupe, {"packs.front.energy_kwh": [20.0, 26.0]})
    both = step_steer(batch, steering_wheel_amplitude_deg=[22.0, 25.0])
    np.testing.assert_array_equal(both["steering_wheel_amplitude_deg"], [22.0, 25.0])
    assert both.labels["amplitude"] == "given" and both.results["run"].batch_size == 2
    one = step_steer(sim.member(batch, 1), steering_wheel_amplitude_deg=25.0)
    for name, value in one.metrics.items():
        np.testing.assert_allclose(both[name][1], value[0], rtol=1e-12, err_msg=name)
    # found for the batch: one call per iteration, both members on target
    found = step_steer(batch)
    np.testing.assert_allclose(found["steady_lateral_acceleration_mps2"], 4.0, rtol=0.01)
    # a right-hand module-off amplitude (negative) passed back as it is
    right = step_steer(coupe, direction="right", steering_wheel_amplitude_deg=-22.0)
    assert right["steering_wheel_amplitude_deg"][0] == -22.0


def test_amplitudes_are_found_module_off_and_held_for_another_controller(coupe, step_left,
                                                                          swd):
    # "direct" with no wheel torques given stands for any controller: the car coasts. The
    # amplitude (and A) must be the passive car's, the run itself the controller's.
    other = step_steer(coupe, controller="direct")
    assert other.labels["controller"] == "direct"
    assert other.results["run"].labels["controller"] == "direct"
    assert other.labels["amplitude"] == "found (module off)"
    assert other["steering_wheel_amplitude_deg"][0] == step_left["steering_wheel_amplitude_deg"][0]
    assert other["final_speed_kmh"][0] < step_left["final_speed_kmh"][0]  # coasting: slower
    swd_other = sine_with_dwell(coupe, controller="direct")
    assert swd_other.results["sis"].labels["controller"] == "passive"
    assert swd_other.results["swd"].labels["controller"] == "direct"
    assert swd_other["sis_angle_deg"][0] == swd["sis_angle_deg"][0]
    np.testing.assert_array_equal(swd_other.per_run["amplitude_deg"], swd.per_run["amplitude_deg"])


def test_per_run_table(swd, step_left):
    lines = swd.per_run_table().splitlines()
    assert lines[0].split()[:3] == ["run", "amplitude_deg", "direction"]
    assert len(lines) == 1 + swd["runs"][0]
    assert lines[1].split()[:4] == ["ccw", "0", f"{swd.per_run['amplitude_deg'][0][0]:.4g}", "1"]
    assert "no per-run metrics" in step_left.per_run_table()


def test_step_steer_spin_out_is_flagged_not_raised(coupe):
    # linear tyres with a soft rear axle: strongly oversteering, unstable above its critical
    # speed (sqrt(-L/K), about 40 km/h here): the car spins; a single run still comes back
    soft_rear = {"front_cornering_stiffness_npr": 120_000.0,
                 "rear_cornering_stiffness_npr": 20_000.0}
    res = step_steer(coupe, steering_wheel_amplitude_deg=20.0, tyre_model="linear",
                     linear_tyre_stiffness=soft_rear)
    assert not res["run_ok"][0] and res["spun_out"][0]
    assert res.results["run"].status[0] == "spun out"
    assert np.isnan(res["yaw_rate_response_time_s"][0])


# ------------------------------------------------------------------------------ sine with dwell
def test_sine_with_dwell_on_the_coupe(swd, coupe):
    m, per = swd.metrics, swd.per_run
    a = m["sis_angle_deg"][0]
    assert 10.0 < a < 40.0
    assert m["sis_angle_left_deg"][0] > 0 > m["sis_angle_right_deg"][0]
    assert a == pytest.approx((m["sis_angle_left_deg"][0] - m["sis_angle_right_deg"][0]) / 2,
                              abs=0.05)
    series = sim.driver.fmvss126_amplitude_series(a)
    assert m["runs"][0] == 2 * series.size == swd.results["swd"].batch_size
    np.testing.assert_allclose(per["amplitude_deg"][0], np.r_[series, series], rtol=1e-9)
    np.testing.assert_array_equal(per["direction"][0], np.r_[np.ones(series.size),
                                                             -np.ones(series.size)])
    assert m["gvwr_kg"][0] == coupe.info.gross_vehicle_weight_rating_kg == 2000.0
    assert m["required_displacement_m"][0] == 1.83
    # the verdict is the conjunction of the runs; spun-out runs are failures with a flag
    spun = per["run_spun_out"][0]
    assert m["runs_spun_out"][0] == spun.sum()
    assert not per["run_passed"][0][spun].any()
    assert m["passed"][0] == per["run_passed"][0].all()
    assert m["runs_passed"][0] == per["run_passed"][0].sum()
    statuses = swd.results["swd"].status
    assert set(statuses[spun]) <= {"spun out", "non-finite state"}
    done = ~spun
    assert m["max_yaw_rate_ratio_1000ms"][0] == per["yaw_rate_ratio_1000ms"][0][done].max()
    assert m["max_yaw_rate_ratio_1750ms"][0] == per["yaw_rate_ratio_1750ms"][0][done].max()
    failed = ~per["run_passed"][0]
    if failed.any():
        assert m["first_failed_amplitude_deg"][0] == per["amplitude_deg"][0][failed].min()
    # the smallest amplitudes are mild: they pass every criterion
    assert per["run_passed"][0][0] and per["yaw_rate_ratio_1000ms"][0][0] < 0.35
    assert per["lateral_displacement_m"][0][0] > 0.5


def test_sine_with_dwell_given_a_reproduces_the_series(coupe, swd):
    again = sine_with_dwell(coupe, sis_angle_deg=float(swd["sis_angle_deg"][0]))
    assert "sis" not in again.results and again.labels["sis_angle"] == "given"
    for name in ("yaw_rate_ratio_1000ms", "lateral_displacement_m", "run_passed"):
        np.testing.assert_array_equal(again.per_run[name], swd.per_run[name], err_msg=name)


def test_sine_with_dwell_linear_tyres_pass_the_stability_criteria(coupe):
    # linear tyres never saturate: the yaw rate dies away after the steer (ratios near 0)
    lin = sine_with_dwell(coupe, sis_angle_deg=20.0, tyre_model="linear")
    per = lin.per_run
    assert not per["run_spun_out"].any()
    assert np.all(np.abs(per["yaw_rate_ratio_1000ms"][per["valid"]]) < 0.35)
    assert np.all(np.abs(per["yaw_rate_ratio_1750ms"][per["valid"]]) < 0.20)
    assert lin["max_yaw_rate_ratio_1000ms"][0] == pytest.approx(
        per["yaw_rate_ratio_1000ms"][0].max())


def test_sine_with_dwell_batch_with_different_a(coupe):
    batch = sim.set_params(coupe, {"packs.front.energy_kwh": [20.0, 26.0]})
    both = sine_with_dwell(batch, sis_angle_deg=[30.0, 45.0])
    runs = [2 * sim.driver.fmvss126_amplitude_series(a).size for a in (30.0, 45.0)]
    assert list(both["runs"]) == runs and both.results["swd"].batch_size == sum(runs)
    assert list(both.per_run["valid"].sum(axis=1)) == runs
    one = sine_with_dwell(sim.member(batch, 1), sis_angle_deg=45.0)
    k = runs[1]
    np.testing.assert_allclose(
        both.per_run["lateral_displacement_m"][1][both.per_run["valid"][1]],
        one.per_run["lateral_displacement_m"][0][:k], rtol=1e-12)
    member = both.member(1)
    assert member.results["swd"].batch_size == k and member.inputs["swd"].values.shape[0] == k


# ------------------------------------------------------------------------------ straight line
def test_straight_line_on_the_coupe(line):
    m = line.metrics
    assert m["runs_ok"][0]
    assert 2.0 < m["time_0_100_kmh_s"][0] < 5.0
    assert 1.0 < m["time_80_120_kmh_s"][0] < 3.0
    # the passive drivetrain lets the wheels spin at a full-demand launch: reported
    assert m["launch_wheel_spin"][0] == (m["launch_peak_slip"][0] > 0.15)
    assert m["traction_limited_0_100_kmh_s"][0] <= m["time_0_100_kmh_s"][0] + 0.05
    assert 30.0 < m["stopping_distance_100_0_kmh_m"][0] < 45.0
    assert 8.0 < m["mean_deceleration_100_0_kmh_mps2"][0] < 12.0
    assert not m["brake_wheels_locked"][0]
    assert m["full_brake_stopping_distance_m"][0] >= m["stopping_distance_100_0_kmh_m"][0]
    assert m["top_speed_plateau_reached"][0]
    assert m["top_speed_kmh"][0] == pytest.approx(m["top_speed_closed_form_kmh"][0], rel=0.005)
    assert 200.0 < m["top_speed_kmh"][0] < 300.0
    acc = line.results["acceleration"]
    assert acc.batch_size == 7 and line.results["braking"].batch_size == 10


def test_straight_line_tyre_slip_is_in_the_results(line):
    acc = line.results["acceleration"]
    slip = max(np.nanmax(acc[f"kappa_{w}"][0]) for w in tt._WHEELS)
    assert slip >= line["launch_peak_slip"][0]


# ------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize("call, match", [
    (lambda c: step_steer(c, direction="up"), r"direction = 'up': 'left' \(\+1"),
    (lambda c: step_steer(c, direction=True), r"direction = True"),
    (lambda c: step_steer(c, speed_kmh=-10.0), r"speed_kmh = -10.0: one number in \[1, 400\]"),
    (lambda c: step_steer(c, speed_kmh="fast"), r"speed_kmh = 'fast'"),
    (lambda c: step_steer(c, target_ay_mps2=0.0), r"target_ay_mps2 = 0.0: one number in \(0"),
    (lambda c: step_steer(c, steering_wheel_amplitude_deg=0.0),
     r"steering_wheel_amplitude_deg = 0.0: a non-zero angle \[deg\]"),
    (lambda c: step_steer(c, steering_wheel_amplitude_deg="big"),
     r"steering_wheel_amplitude_deg = 'big'"),
    (lambda c: step_steer(c, steering_wheel_amplitude_deg=[1.0, 2.0]),
     r"one number or one per member \(1\)"),
    (lambda c: step_steer(c, rate_deg_per_s=0.0), r"rate_deg_per_s = 0.0"),
    (lambda c: step_steer(c, duration_s=float("nan")), r"duration_s = nan"),
    (lambda c: step_steer(c, controller=3), r"controller = 3: a controller name"),
    (lambda c: step_steer(c, controller="magic", steering_wheel_amplitude_deg=20.0),
     r"controller = 'magic': one of passive, direct"),
    (lambda c: sine_with_dwell(c, sis_angle_deg=-1.0), r"sis_angle_deg = -1.0: A in \(0, 300\]"),
    (lambda c: sine_with_dwell(c, sis_angle_deg=400.0), r"sis_angle_deg = 400.0"),
    (lambda c: sine_with_dwell(c, speed_kmh=0.0), r"speed_kmh = 0.0"),
    (lambda c: straight_line(c, acceleration_duration_s=1.0),
     r"acceleration_duration_s = 1.0: one number in \[5, 600\]"),
    (lambda c: straight_line(c, braking_duration_s=True), r"braking_duration_s = True"),
])
def test_bad_input_is_named(coupe, call, match):
    with pytest.raises(SpecError, match=match):
        call(coupe)
