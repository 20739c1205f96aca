"""Side by side with the single-track model of ``commonroad-vehicle-models`` (PyPI, 3.0.2).

CommonRoad's ``vehicle_dynamics_st`` (Althoff & Wuersching, "CommonRoad: Vehicle Models", 2020)
uses linear tyres: with mu = p_dy1 and C_S = -p_ky1 / p_dy1 (the same normalised cornering
stiffness front and rear, per unit load and per unit friction), and at zero longitudinal
acceleration (so the ``h_s`` load-transfer terms vanish), its yaw and sideslip equations are
exactly our linear single track with

    m = p.m,  I_z = p.I_z,  a = p.a,  b = p.b,  L = a + b,
    C_f = mu C_S F_zf = -p_ky1 m g b / L,   C_r = -p_ky1 m g a / L,   g = 9.81 (CommonRoad's),

its state beta (slip angle at the CG) equal to our v_y / u and its speed v equal to our u.
Because C_f / F_zf = C_r / F_zr, every CommonRoad single track is exactly neutral steer (K = 0):
the steady yaw gain is u / L for any vehicle, the transients depend on m, I_z, a, b and C.

Differences that remain are in how the input is given, not in the model: CommonRoad's input is
the steering *rate*, silently clipped to p.steering.v_max (0.4 rad/s for vehicle 2), so a
"step" is a ramp lasting final/0.4 s, which we reproduce with ``ramp_step_response``; and the
adaptive solver is integrated segment by segment so it cannot step over the ramp.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import odeint

from sim.chassis import linear as lst
from sim.units import kmh_to_mps

vehiclemodels = pytest.importorskip("vehiclemodels")
from vehiclemodels.parameters_vehicle1 import parameters_vehicle1  # noqa: E402
from vehiclemodels.parameters_vehicle2 import parameters_vehicle2  # noqa: E402
from vehiclemodels.parameters_vehicle3 import parameters_vehicle3  # noqa: E402
from vehiclemodels.vehicle_dynamics_st import vehicle_dynamics_st  # noqa: E402

COMMONROAD_GRAVITY_MPS2 = 9.81  # hard-coded in vehicle_dynamics_st
# CommonRoad state indices (vehicle_dynamics_st docstring).
SX, SY, STEER, SPEED, YAW, YAW_RATE, SLIP = range(7)
SPEED_MPS = kmh_to_mps(80.0)
FINAL_STEER_RAD = 0.02  # road wheel; ~0.35 g at 80 km/h for vehicle 2
# odeint tolerances for the peer; the comparison tolerances below are a few hundred times these.
ODE_TOL = dict(rtol=1e-10, atol=1e-12)


def linear_from_commonroad(p) -> lst.LinearSingleTrack:
    """Our model with the parameters CommonRoad's single track uses for ``p``."""
    L = p.a + p.b
    axle_per_load = -p.tire.p_ky1  # mu * C_S, per unit load [1/rad]
    return lst.LinearSingleTrack(
        mass_kg=p.m,
        yaw_inertia_kgm2=p.I_z,
        cg_to_front_axle_m=p.a,
        cg_to_rear_axle_m=p.b,
        front_cornering_stiffness_npr=axle_per_load * p.m * COMMONROAD_GRAVITY_MPS2 * p.b / L,
        rear_cornering_stiffness_npr=axle_per_load * p.m * COMMONROAD_GRAVITY_MPS2 * p.a / L,
        source="commonroad-vehicle-models",
    )


def _rhs(x, t, u, p):
    return vehicle_dynamics_st(x, u, p)


def commonroad_ramp_step(p, speed_mps, final_steer_rad, steer_rate_radps, time_s):
    """CommonRoad states (T, 7) at ``time_s`` for a steer ramp at constant speed.

    Each constant-input segment (ramp, then hold) is integrated separately, so the adaptive
    solver cannot step over the ramp.
    """
    t_ramp = abs(final_steer_rad) / steer_rate_radps
    segments = [(0.0, t_ramp, np.sign(final_steer_rad) * steer_rate_radps),
                (t_ramp, time_s[-1], 0.0)]
    out = np.empty((time_s.size, 7))
    x = np.array([0.0, 0.0, 0.0, speed_mps, 0.0, 0.0, 0.0])
    tol = 1e-9 * time_s[-1]
    for t_a, t_b, steer_rate in segments:
        inside = (time_s > t_a + tol) & (time_s < t_b - tol)
        t = np.concatenate([[t_a], time_s[inside], [t_b]])
        xs = odeint(_rhs, x, t, args=([steer_rate, 0.0], p), **ODE_TOL)
        out[inside] = xs[1:-1]
        out[np.abs(time_s - t_a) <= tol] = xs[0]
        out[np.abs(time_s - t_b) <= tol] = xs[-1]
        x = xs[-1]
    return out


def commonroad_lateral_acceleration(p, states):
    """a_y = v (beta_dot + r) from CommonRoad's right-hand side, zero inputs (steer held)."""
    beta_dot = np.array([vehicle_dynamics_st(x, [0.0, 0.0], p)[SLIP] for x in states])
    return states[:, SPEED] * (beta_dot + states[:, YAW_RATE])


@pytest.mark.parametrize("params", [parameters_vehicle1, parameters_vehicle2,
                                    parameters_vehicle3])
def test_mapping_reproduces_commonroad_right_hand_side(params):
    p = params()
    model = linear_from_commonroad(p)
    A, B = lst.state_space(model, SPEED_MPS)
    rng = np.random.default_rng(7)
    for beta, r, delta in rng.uniform(-0.05, 0.05, size=(5, 3)):
        f = vehicle_dynamics_st([0.0, 0.0, delta, SPEED_MPS, 0.0, r, beta], [0.0, 0.0], p)
        x_dot = A[0] @ [SPEED_MPS * beta, r] + B[0, :, 0] * delta
        # Same linear expressions, rearranged: agreement to rounding.
        assert f[YAW_RATE] == pytest.approx(x_dot[1], rel=1e-12, abs=1e-15)
        assert f[SLIP] == pytest.approx(x_dot[0] / SPEED_MPS, rel=1e-12, abs=1e-15)
    # Equal normalised stiffness front and rear: CommonRoad's single track is neutral steer.
    assert lst.understeer_gradient_rad_per_mps2(model)[0] == pytest.approx(0.0, abs=1e-15)


def test_commonroad_clips_the_steer_rate_silently():
    # Documents the peer's behaviour our harness relies on: 10 rad/s becomes 0.4 rad/s.
    p = parameters_vehicle2()
    f = vehicle_dynamics_st([0.0, 0.0, 0.0, SPEED_MPS, 0.0, 0.0, 0.0], [10.0, 0.0], p)
    assert f[STEER] == p.steering.v_max == 0.4


def test_step_steer_80kmh_vehicle2_matches_commonroad():
    p = parameters_vehicle2()
    rate = p.steering.v_max  # the fastest "step" CommonRoad accepts
    time_s = np.arange(0, 301) * 0.01
    ref = commonroad_ramp_step(p, SPEED_MPS, FINAL_STEER_RAD, rate, time_s)
    model = linear_from_commonroad(p)
    ours = lst.ramp_step_response(model, SPEED_MPS, FINAL_STEER_RAD, rate, 3.0, 0.01)

    # Steady state: required within 0.5 %; both are u delta / L (K = 0) to solver accuracy.
    r_ss = SPEED_MPS * FINAL_STEER_RAD / (p.a + p.b)
    assert ref[-1, YAW_RATE] == pytest.approx(r_ss, rel=1e-6)
    assert ours.yaw_rate_radps[0, -1] == pytest.approx(ref[-1, YAW_RATE], rel=5e-3)
    assert ours.yaw_rate_radps[0, -1] == pytest.approx(ref[-1, YAW_RATE], rel=1e-7)

    # Transients, same ramp input: identical model, so only the peer's solver error remains
    # (odeint rtol 1e-10); 1e-7 of the peak leaves a wide margin.
    np.testing.assert_allclose(ours.steer_rad[0], ref[:, STEER], atol=1e-12)
    peak_r = np.abs(ref[:, YAW_RATE]).max()
    np.testing.assert_allclose(ours.yaw_rate_radps[0], ref[:, YAW_RATE], atol=1e-7 * peak_r)
    peak_beta = np.abs(ref[:, SLIP]).max()
    np.testing.assert_allclose(ours.sideslip_rad[0], ref[:, SLIP], atol=1e-7 * peak_beta)
    ay_ref = commonroad_lateral_acceleration(p, ref)
    np.testing.assert_allclose(ours.lateral_acceleration_mps2[0, 1:], ay_ref[1:],
                               atol=1e-6 * np.abs(ay_ref).max())


def test_ideal_step_differs_from_commonroad_only_by_the_ramp():
    # An ideal step (zero-order hold) leads CommonRoad's 50 ms ramp by about half the ramp
    # time; it reaches the same steady state.
    p = parameters_vehicle2()
    rate = p.steering.v_max
    time_s = np.arange(0, 301) * 0.01
    ref = commonroad_ramp_step(p, SPEED_MPS, FINAL_STEER_RAD, rate, time_s)
    step = lst.steer_response(linear_from_commonroad(p), SPEED_MPS,
                              np.full((1, time_s.size), FINAL_STEER_RAD), 0.01)
    r_ref, r_step = ref[:, YAW_RATE], step.yaw_rate_radps[0]
    assert r_step[-1] == pytest.approx(r_ref[-1], rel=1e-7)

    def t90(r):  # time to 90 % of the final value, linear interpolation
        k = np.argmax(r >= 0.9 * r[-1])
        return np.interp(0.9 * r[-1], r[k - 1:k + 1], time_s[k - 1:k + 1])

    t_ramp = FINAL_STEER_RAD / rate
    assert t90(r_ref) - t90(r_step) == pytest.approx(t_ramp / 2, abs=0.005)
