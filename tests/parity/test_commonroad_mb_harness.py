"""The CommonRoad multi-body peer harness (``benchmarks/peers/commonroad_mb.py``) behaves.

Four MB runs (80 km/h, vehicle 2): +-0.01 rad for 10 s, zero steer for 3 s, and +0.01 rad with
the camber offsets removed; under a second in all. 0.01 rad at 80 km/h is about 0.2 g, well in
the linear range (tyre slip angles about 0.007 rad, where the Magic Formula is within 1 % of
its tangent).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("vehiclemodels")
from benchmarks.peers import commonroad_mb as cr  # noqa: E402

SPEED_KMH = 80.0
SMALL_STEER_RAD = 0.01


@pytest.fixture(scope="module")
def mb_left():
    return cr.mb_step_steer(SPEED_KMH, SMALL_STEER_RAD)


@pytest.fixture(scope="module")
def mb_right():
    return cr.mb_step_steer(SPEED_KMH, -SMALL_STEER_RAD)


@pytest.fixture(scope="module")
def st_left():
    return cr.st_step_steer(SPEED_KMH, SMALL_STEER_RAD)


def test_run_layout_and_manoeuvre(mb_left, st_left):
    for run in (mb_left, st_left):
        assert run.time_s.shape == (1001,) and run.time_s[-1] == pytest.approx(10.0)
        for name in ("steer_rad", "yaw_rate_radps", "lateral_acceleration_mps2",
                     "sideslip_rad", "speed_mps", "x_m", "y_m"):
            assert getattr(run, name).shape == run.time_s.shape
            assert np.all(np.isfinite(getattr(run, name)))
        # Ramp at the model's maximum rate (0.4 rad/s), reached at 25 ms, then held.
        assert run.steer_rad[0] == 0.0
        assert run.steer_rad[2] == pytest.approx(0.008, rel=1e-9)
        np.testing.assert_allclose(run.steer_rad[3:], SMALL_STEER_RAD, rtol=1e-9)
        assert run.y_m[-1] > 0.0  # left steer turns left (ISO 8855)
    assert mb_left.states.shape == (1001, 29) and st_left.states.shape == (1001, 7)
    # ST holds the speed exactly; the MB coasts (no drive torque), losing ~0.6 % in 10 s.
    np.testing.assert_allclose(st_left.speed_mps, SPEED_KMH / 3.6, rtol=1e-12)
    assert mb_left.speed_mps[0] == pytest.approx(SPEED_KMH / 3.6, rel=1e-12)
    assert 0.990 < mb_left.speed_mps[-1] / mb_left.speed_mps[0] < 0.998


def test_mb_reaches_a_steady_state(mb_left):
    r = mb_left.yaw_rate_radps
    last_second = mb_left.final_window(1.0)
    # The remaining drift is the coasting speed loss (0.06 %/s at this steer), not dynamics.
    assert np.ptp(r[last_second]) / abs(r[-1]) < 1e-3
    # Steady: body-axis lateral acceleration is v_x r (v_y_dot ~ 0) to 1e-3.
    vx_r = mb_left.states[-1, cr.MB_VX] * r[-1]
    assert mb_left.lateral_acceleration_mps2[-1] == pytest.approx(vx_r, rel=1e-3)


def test_mb_steady_yaw_rate_agrees_with_st(mb_left, st_left):
    # ST is exactly neutral steer: r = v delta / L.
    p = cr.commonroad_parameters(2)
    assert st_left.yaw_rate_radps[-1] == pytest.approx(
        SPEED_KMH / 3.6 * SMALL_STEER_RAD / (p.a + p.b), rel=1e-6)
    # The MB is not, by a few percent (module docstring): axle-load understeer -2.1 % in
    # curvature, camber offsets +4.3 %, coasting -0.6 % in speed; net +1.6 % in yaw rate.
    # 3 % bounds the net effect with margin while still catching a sign or unit slip (a wrong
    # mass split or a missing camber effect alone moves it by 2-4 %).
    assert mb_left.yaw_rate_radps[-1] == pytest.approx(st_left.yaw_rate_radps[-1], rel=0.03)
    assert mb_left.lateral_acceleration_mps2[-1] == pytest.approx(
        st_left.lateral_acceleration_mps2[-1], rel=0.03)


def test_mb_minus_camber_offsets_is_st_plus_axle_load_understeer():
    # The explanation of the difference above, checked: with the PAC2002 camber offsets
    # removed, the MB's steady curvature is ST's divided by (1 + K v^2 / L), K from the MB's own
    # axle loads. Residual 0.1 % (tyre curvature at 0.007 rad, track-width slip differences).
    p = cr.modified_parameters(2, tire=dict(p_hy1=0.0, p_hy3=0.0, p_vy1=0.0, p_vy3=0.0))
    run = cr.mb_step_steer(SPEED_KMH, SMALL_STEER_RAD, vehicle=p)
    assert run.vehicle == "modified parameters"
    k_us = cr.mb_axle_load_understeer_gradient_rad_per_mps2(2)
    assert 1.0e-4 < k_us < 1.3e-4  # rad per m/s^2: slight understeer
    wheelbase = p.a + p.b
    speed = run.speed_mps[-1]
    curvature = run.yaw_rate_radps[-1] / speed
    assert curvature == pytest.approx(SMALL_STEER_RAD / (wheelbase + k_us * speed**2), rel=5e-3)


def test_left_and_right_steps_are_mirrored(mb_left, mb_right, st_left):
    st_right = cr.st_step_steer(SPEED_KMH, -SMALL_STEER_RAD)
    np.testing.assert_allclose(st_right.yaw_rate_radps, -st_left.yaw_rate_radps, atol=1e-12)
    r_left, r_right = mb_left.yaw_rate_radps, mb_right.yaw_rate_radps
    peak = np.abs(r_left).max()
    # Steady: the tyre's unmirrored combined-slip shifts leave 0.14 %.
    assert r_right[-1] == pytest.approx(-r_left[-1], rel=3e-3)
    # After 0.5 s within 0.3 % of the peak; before, the camber-sign switch at the start kicks
    # both runs the same way (3.4 % of the peak at 20 ms).
    later = mb_left.time_s >= 0.5
    assert np.abs(r_left + r_right)[later].max() < 3e-3 * peak
    assert np.abs(r_left + r_right).max() < 5e-2 * peak
    np.testing.assert_allclose(mb_right.y_m[-1], -mb_left.y_m[-1], rtol=5e-3)


def test_zero_steer_has_no_systematic_yaw():
    st = cr.st_step_steer(SPEED_KMH, 0.0)
    assert np.all(st.yaw_rate_radps == 0.0) and np.all(st.y_m == 0.0)
    # The MB never rests straight ahead: sign(camber) offsets switch at zero camber and it
    # weaves with about +-1.6e-3 rad/s (module docstring). Bounded, and no mean yaw.
    mb = cr.mb_step_steer(SPEED_KMH, 0.0, duration_s=3.0)
    r = mb.yaw_rate_radps
    assert np.abs(r).max() < 1e-2  # the start kick, 5.3e-3 rad/s; 0.01 rad steer gives 0.088
    after_1s = mb.time_s >= 1.0
    assert np.abs(r[after_1s]).max() < 3e-3
    assert abs(r[after_1s].mean()) < 3e-4
    assert abs(mb.y_m[-1]) < 0.2


def test_settled_initial_state_is_static_equilibrium():
    from vehiclemodels.vehicle_dynamics_mb import vehicle_dynamics_mb

    p = cr.commonroad_parameters(2)
    vertical = [cr.MB_PITCH_RATE, cr.MB_Z_RATE, cr.MB_Z_RATE_F, cr.MB_Z_RATE_R, 23, 24, 25, 26]
    raw = np.asarray(vehicle_dynamics_mb(cr.mb_initial_state(2, 22.0, settle=False), [0, 0], p))
    settled = np.asarray(vehicle_dynamics_mb(cr.mb_initial_state(2, 22.0), [0, 0], p))
    assert np.abs(raw[vertical]).max() > 1.0  # init_mb alone: the body falls at 1.6 m/s^2
    assert np.abs(settled[vertical]).max() < 1e-6
    assert settled[cr.MB_VX] == pytest.approx(0.0, abs=1e-9)  # free rolling: no drag


def test_wheel_loads_in_iso_order(mb_left):
    e = cr.equivalent_vehicle(2)
    loads = cr.mb_wheel_loads_n(2, mb_left.states[[0, -1]])
    static, turning = loads
    assert static.sum() == pytest.approx(e["mass_kg"] * e["gravity_mps2"], rel=1e-6)
    assert static[0] + static[1] == pytest.approx(e["front_axle_load_n"], rel=1e-3)
    assert static[0] == pytest.approx(static[1], rel=1e-9)
    # Left turn: the outer (right, -y) wheels gain load, front and rear.
    assert turning[1] > static[1] > turning[0] and turning[3] > static[3] > turning[2]
    transfer = (turning[1] - turning[0] + turning[3] - turning[2]) / 2
    a_y = mb_left.lateral_acceleration_mps2[-1]
    # Rigid-body estimate m a_y h / track, plus ~15 % from the roll-shifted CG.
    rigid = e["mass_kg"] * a_y * e["cg_height_m"] / e["front_track_m"]
    assert 1.0 < transfer / rigid < 1.3


def test_equivalent_vehicle_has_documented_keys_with_units():
    suffix = {"kg": "_kg", "kg m^2": "_kgm2", "m": "_m", "N": "_n", "N/m": "_npm",
              "N s/m": "_nspm", "N m/rad": "_nmprad", "rad/m": "_radpm", "m/N": "_mpn",
              "rad": "_rad", "rad/s": "_radps", "1/rad": "_prad", "N/rad": "_nprad",
              "m/s^2": "_mps2"}
    for vehicle_id in cr.SUPPORTED_VEHICLES:
        e = cr.equivalent_vehicle(vehicle_id)
        assert type(e) is dict and e.keys() == cr.EQUIVALENT_VEHICLE_UNITS.keys()
        assert all(type(v) is float and math.isfinite(v) for v in e.values())
        for key, (unit, meaning) in cr.EQUIVALENT_VEHICLE_UNITS.items():
            assert meaning
            if unit == "1":
                assert not any(key.endswith(s) for s in suffix.values()), key
            else:
                assert key.endswith(suffix[unit]), (key, unit)
        # Consistency with the peer's own numbers.
        p = cr.commonroad_parameters(vehicle_id)
        assert e["mass_kg"] == pytest.approx(
            e["sprung_mass_kg"] + e["front_unsprung_mass_kg"] + e["rear_unsprung_mass_kg"])
        assert e["front_axle_load_n"] + e["rear_axle_load_n"] == pytest.approx(
            e["mass_kg"] * 9.81)
        assert e["wheelbase_m"] == pytest.approx(p.a + p.b)
        assert e["front_cornering_stiffness_nprad"] == pytest.approx(
            -p.tire.p_ky1 * e["front_axle_load_n"])
        assert e["yaw_inertia_kgm2"] == p.I_z and e["cg_height_m"] == p.h_cg
    assert cr.tyre_coefficients(2)["p_ky1"] == -21.92
    with pytest.raises(ValueError, match="vehicle 4 is a truck"):
        cr.equivalent_vehicle(4)


def test_beyond_the_limit_raises_instead_of_returning_nan():
    # 0.05 rad at 80 km/h asks for ~0.95 g: the car spins and a wheel speed reaches zero.
    with pytest.raises(cr.PeerDivergedError, match="t = "):
        cr.mb_step_steer_states(SPEED_KMH, 0.05, duration_s=3.0)
    # Inputs the peer would clip silently are refused.
    with pytest.raises(ValueError, match="steer limit"):
        cr.st_step_steer(SPEED_KMH, 1.2)
    with pytest.raises(ValueError, match="model's limit"):
        cr.mb_step_steer_states(SPEED_KMH, 0.01, steer_rate_radps=1.0)


def test_random_cases_and_batch_timing_shape():
    speed, steer = cr.random_step_steer_cases(400, seed=3)
    again = cr.random_step_steer_cases(400, seed=3)
    np.testing.assert_array_equal(speed, again[0])
    assert 40.0 <= speed.min() and speed.max() <= 120.0
    p = cr.commonroad_parameters(2)
    a_y = (speed / 3.6) ** 2 * np.abs(steer) / (p.a + p.b)  # neutral-steer estimate
    assert 0.5 <= a_y.min() and a_y.max() <= 6.0 and (a_y > 3.0).mean() > 0.15
    assert (steer > 0).any() and (steer < 0).any()
    timing = cr.time_mb_runs(2, seed=1, repeats=1, duration_s=0.5)
    assert timing.n_runs == 2 and len(timing.batch_times_s) == 1
    assert timing.per_run_s == pytest.approx(timing.median_batch_s / 2)
    assert timing.scaled_s(1000) == pytest.approx(500 * timing.median_batch_s)
