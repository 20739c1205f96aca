"""ISO 4138 (constant radius, constant speed) and ISO 3888 (double lane change) maneuvers:
analytic understeer gradient on linear tyres, agreement of the two ISO 4138 methods, cone
layouts in closed form, cone-touch detection on hand-made poses, the lane-change search, and
bad input."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import sim
from sim.chassis.linear import understeer_gradient_deg_per_g
from sim.errors import SpecError
from sim.maneuvers import lane_change as lc
from sim.maneuvers.steady_state import constant_radius, constant_speed
from sim.params import linear_single_track

COUPE = sim.load_vehicle("coupe")


@pytest.fixture(scope="module")
def radius_40():
    return constant_radius(COUPE, radius_m=40.0)


def test_constant_radius_on_linear_tyres_gives_the_single_track_understeer_gradient():
    """With linear tyres (the single-track model's axle stiffnesses split over the wheels) the
    two-track model's ISO 4138 gradient is the textbook K = m/L (b/C_f - a/C_r), up to what the
    textbook leaves out: the linear tyres' stiffness scales with load, and downforce and the
    drive force's pitch transfer change the axle loads with speed (measured 1.7 %)."""
    res = constant_radius(COUPE, radius_m=100.0, tyre_model="linear", max_ay_mps2=4.0,
                          ay_step_mps2=0.5)
    expected = understeer_gradient_deg_per_g(linear_single_track(COUPE))
    np.testing.assert_allclose(res["understeer_gradient_deg_per_g"], expected, rtol=0.025)
    assert res["steady_points"][0] == 8


def test_constant_speed_on_linear_tyres_gives_the_single_track_understeer_gradient():
    res = constant_speed(COUPE, speed_kmh=80.0, tyre_model="linear",
                         max_steering_wheel_angle_deg=40.0)
    expected = understeer_gradient_deg_per_g(linear_single_track(COUPE))
    np.testing.assert_allclose(res["understeer_gradient_deg_per_g"], expected, rtol=0.03)


def test_the_two_iso4138_methods_agree_on_the_mf_tyres(radius_40):
    speed = constant_speed(COUPE, speed_kmh=80.0)
    np.testing.assert_allclose(radius_40["understeer_gradient_deg_per_g"],
                               speed["understeer_gradient_deg_per_g"], rtol=0.05)
    # understeer, sideslip growing to the right of the path in a left turn (beta < 0)
    assert radius_40["understeer_gradient_deg_per_g"][0] > 0.5
    assert radius_40["sideslip_gradient_deg_per_g"][0] < 0.0


def test_constant_radius_limit_is_below_the_friction_bound_and_points_are_steady(radius_40):
    ay_max = radius_40["max_steady_lateral_acceleration_mps2"][0]
    assert 7.0 < ay_max < 1.2 * 9.80665
    points = radius_40.per_run
    steady = points["steady"][0]
    # steady points are consecutive from the lowest a_y: the limit is where they stop
    assert steady[: int(steady.sum())].all()
    # steady state on the circle: a_y = v² / R within the tracking tolerance (2.5 % of R)
    v = points["speed_kmh"][0, steady] / 3.6
    np.testing.assert_allclose(points["lateral_acceleration_mps2"][0, steady], v**2 / 40.0,
                               rtol=0.026)


def test_constant_radius_runs_a_batch_and_each_member_alone_gives_the_same():
    batch = sim.set_params(COUPE, {"packs.front.energy_kwh": [10.0, 40.0]})
    both = constant_radius(batch, max_ay_mps2=4.0, ay_step_mps2=1.0, settle_s=4.0)
    alone = constant_radius(sim.member(batch, 1), max_ay_mps2=4.0, ay_step_mps2=1.0,
                            settle_s=4.0)
    assert both["understeer_gradient_deg_per_g"][1] == alone["understeer_gradient_deg_per_g"][0]
    # more energy in the front pack moves the CG forward: more understeer
    assert both["understeer_gradient_deg_per_g"][1] > both["understeer_gradient_deg_per_g"][0]


@pytest.mark.parametrize("standard, lengths, w3, y3", [
    ("iso3888_2", (12.0, 13.5, 11.0, 12.5, 12.0), 1.8 + 1.0, (1.1 * 1.8 + 0.25) / 2 + 1.0 + 1.4),
    ("iso3888_1", (15.0, 30.0, 25.0, 25.0, 15.0), 1.2 * 1.8 + 0.25, 3.5 + (1.2 * 1.8 + 0.25) / 2),
])
def test_cone_layout_follows_the_standard_dimensions(standard, lengths, w3, y3):
    layout = lc.cone_layout(standard, 1.8)
    edges = np.concatenate([[0.0], np.cumsum(lengths)])
    np.testing.assert_allclose(layout.lanes[:, 0], edges[[0, 2, 4]])
    np.testing.assert_allclose(layout.lanes[:, 1], edges[[1, 3, 5]])
    w1 = 1.1 * 1.8 + 0.25
    w5 = max(1.3 * 1.8 + 0.25, 3.0) if standard == "iso3888_2" else 1.3 * 1.8 + 0.25
    np.testing.assert_allclose(layout.lanes[:, 3], [w1, w3, w5])
    np.testing.assert_allclose(layout.lanes[:, 2], [0.0, y3, -w1 / 2 + w5 / 2])
    # lane 5's right edge on lane 1's; every cone on a lane edge
    assert layout.lanes[2, 2] - w5 / 2 == pytest.approx(-w1 / 2)
    edges_y = np.concatenate([layout.lanes[:, 2] + layout.lanes[:, 3] / 2,
                              layout.lanes[:, 2] - layout.lanes[:, 3] / 2])
    assert np.all(np.min(np.abs(layout.cones_y_m[:, None] - edges_y[None]), axis=1) < 1e-12)


def test_cones_touched_counts_cones_inside_the_body_rectangle():
    layout = lc.cone_layout("iso3888_2", 1.8)
    x = np.linspace(0.0, lc.LEAD_IN_M + 12.0, 400)[None]  # through lane 1 only
    straight = lc.cones_touched(layout, x, np.zeros_like(x), np.zeros_like(x), front_m=2.0,
                                rear_m=2.3, half_width_m=0.9)
    assert straight[0] == 0  # 0.9 m half width in a 1.115 m half lane
    shifted = lc.cones_touched(layout, x, np.full_like(x, 0.3), np.zeros_like(x), front_m=2.0,
                               rear_m=2.3, half_width_m=0.9)
    left_cones = (layout.cones_x_m <= 12.0) & (layout.cones_y_m > 0)
    assert shifted[0] == left_cones.sum()
    yawed = lc.cones_touched(layout, x, np.zeros_like(x), np.full_like(x, np.radians(10.0)),
                             front_m=2.0, rear_m=2.3, half_width_m=0.9)
    assert yawed[0] > 0  # a 10 deg yaw swings the corners out of the lane


def test_double_lane_change_finds_a_bracketed_highest_speed():
    """ISO 3888-1 (speed held): the coupé passes at about 98 km/h (preview driver on the
    least-curvature line; 68 km/h with the pure-pursuit driver on the lane centres it
    replaced), and fails just above with a cone of the exit lane at about 1 g, a little
    below the car's grip (1.1 g); pass/fail monotone in the search. The line asks 1 g at
    117 km/h: 85-105 km/h is a plausible pass."""
    res = lc.double_lane_change(COUPE, standard="iso3888_1", rounds=2)
    best, fail = res["max_entry_speed_kmh"][0], res["first_failure_kmh"][0]
    assert 85.0 < best < fail <= best + 10.0 / 25 + 1e-9
    assert best < 105.0
    assert res["limit_lane"][0] == 5
    assert 0.8 < res["first_failure_peak_lateral_acceleration_g"][0] < 1.2
    assert 0.8 < res["peak_lateral_acceleration_g"][0] < 1.2
    assert res["non_monotone_runs"][0] == 0
    run = res.results["best"]
    assert run.status[0] in ("ok", "stopped")
    assert run.channels["vx_mps"][0, 0] * 3.6 == pytest.approx(best)


def test_coupe_passes_iso3888_2_near_its_friction_limit():
    """ISO 3888-2 (throttle released at the entry gate): 56 km/h before this driver, now
    about 69 km/h. Skilled drivers pass at 75-85 km/h in comparable cars, with large sideslip
    and cones as points; our line keeps the body inside the lane lines with 5 cm to spare and
    asks 1 g at 68 km/h, so more than 63 km/h is what the car allows it. The first failure
    touches lane 3's cones at > 1 g (the car saturates), monotone over the search."""
    res = lc.double_lane_change(COUPE, standard="iso3888_2")
    best = res["max_entry_speed_kmh"][0]
    assert 63.0 < best < 75.0
    assert res["limit_lane"][0] == 3
    assert res["first_failure_peak_lateral_acceleration_g"][0] > 1.0
    assert res["non_monotone_runs"][0] == 0
    assert res["exit_speed_kmh"][0] < best - 2.0  # coasting and tyre scrub slow it down
    assert res["max_path_offset_m"][0] < 0.4


def _mirrored(layout):
    return dataclasses.replace(layout, lanes=layout.lanes * np.array([1.0, 1.0, -1.0, 1.0]),
                               cones_y_m=-layout.cones_y_m)


@pytest.mark.parametrize("standard", lc.STANDARDS)
def test_driving_line_is_mirror_symmetric_and_keeps_the_body_in_the_lanes(standard):
    body = {"front_m": 2.2, "rear_m": 2.3, "half_width_m": 0.95, "rear_axle_m": 1.2}
    layout = lc.cone_layout(standard, 1.9)
    line = lc.driving_line(layout, **body)
    mirror = lc.driving_line(_mirrored(layout), **body)
    np.testing.assert_array_equal(mirror.x_m, line.x_m)
    np.testing.assert_allclose(mirror.y_m, -line.y_m, atol=1e-12)
    assert line.y_m[0] == 0.0 and line.x_m[0] == 0.0
    # the body rectangle along the line (heading its tangent, exact sin and cos) stays inside
    # each lane it overlaps, with the margin (to 1 cm: the line is built on a 0.5 m grid)
    x, y = line.x_m, line.y_m
    psi = np.arctan(np.gradient(y, x))
    for x0, x1, yc, w in layout.lanes:
        for u in np.linspace(-body["rear_m"], body["front_m"], 9):
            px = x + u * np.cos(psi) - lc.LEAD_IN_M
            inside = (px >= x0) & (px <= x1)
            for side in (1.0, -1.0):
                py = y + u * np.sin(psi) + side * body["half_width_m"] * np.cos(psi)
                gap = (w / 2 - side * (py - yc))[inside]
                assert gap.min() > lc.DRIVING_LINE_MARGIN_M - 0.01
    # it stays in the exit lane over the run-out, nearly straight (< 0.6 deg)
    assert abs(y[-1] - layout.lanes[2, 2]) < layout.lanes[2, 3] / 2
    assert abs(psi[-1]) < 0.01


def test_a_wider_car_gets_a_wider_layout_and_a_tighter_line():
    narrow, wide = lc.cone_layout("iso3888_2", 1.8), lc.cone_layout("iso3888_2", 2.0)
    np.testing.assert_allclose(wide.lanes[:, 3] - narrow.lanes[:, 3], [0.22, 0.2, 0.0])
    assert wide.lanes[1, 2] - narrow.lanes[1, 2] == pytest.approx(0.11 + 0.1)  # lane 3 moves
    assert np.ptp(wide.cones_y_m) > np.ptp(narrow.cones_y_m)
    one, other = lc.cone_layout("iso3888_1", 1.8), lc.cone_layout("iso3888_1", 2.0)
    np.testing.assert_allclose(other.lanes[:, 3] - one.lanes[:, 3], [0.22, 0.24, 0.26])

    def peak_curvature(layout, half):
        line = lc.driving_line(layout, front_m=2.2, rear_m=2.3, half_width_m=half)
        table = line.table(1)[0]
        return np.abs(np.gradient(table[:, 3], table[:, 2])).max()

    # the lanes widen by 0.1 of the width for lane 1, by nothing for the width of lane 3's
    # room (b + 1): the wider car has less room to swing, so a tighter line
    assert peak_curvature(wide, 1.0) > peak_curvature(narrow, 0.9)


def test_bad_maneuver_input_names_the_field():
    with pytest.raises(SpecError, match="standard"):
        lc.cone_layout("iso3888_3", 1.8)
    with pytest.raises(SpecError, match="vehicle_width_m"):
        lc.cone_layout("iso3888_1", 4.0)
    with pytest.raises(SpecError, match="speeds_kmh"):
        lc.double_lane_change(COUPE, speeds_kmh=[80.0])
    with pytest.raises(SpecError, match="radius_m"):
        constant_radius(COUPE, radius_m=-40.0)
    with pytest.raises(SpecError, match="direction"):
        constant_radius(COUPE, direction="up")
    with pytest.raises(SpecError, match="steer_rate_deg_per_s"):
        constant_speed(COUPE, steer_rate_deg_per_s=0.0)


def test_lane_change_and_headline_plots_draw_what_they_should(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from sim import plot
    from sim.maneuvers.headline import headline

    res = lc.double_lane_change(COUPE, rounds=0)
    fig = plot.plot_lane_change([res, res], labels=["a", "b"])
    top = fig.axes[0]
    assert len(top.get_legend().get_texts()) == 3  # cones, two runs
    cones = [line for line in top.lines if line.get_marker() == "^"][0]
    assert len(cones.get_xdata()) == res.labels["layouts"][0].cones_x_m.size
    table = headline(["spider"], controllers=("passive",))
    assert [r["variant"] for r in table.rows] == ["spider"]
    assert table.rows[0]["understeer_gradient_deg_per_g"] > 0.5
    fig = plot.plot_headline(table)
    assert len(fig.axes[1].patches) == 1
