"""The torque allocation (sim.adm.allocate): optimal on cases solvable by hand, priorities
when the demands are infeasible."""

from __future__ import annotations

import numpy as np
import pytest

from sim.adm import allocate

INF = 1e9
ZERO4 = (0.0, 0.0, 0.0, 0.0)


def run(fx, mz, b_fx, b_mz, weight, lo, hi):
    u, got_fx, got_mz = allocate(float(fx), float(mz), tuple(map(float, b_fx)),
                                 tuple(map(float, b_mz)), tuple(map(float, weight)),
                                 tuple(map(float, lo)), tuple(map(float, hi)))
    return np.array(u), got_fx, got_mz


def test_two_wheels_split_in_proportion_to_grip():
    # min F1²/g1 + F2²/g2 s.t. F1 + F2 = F  ->  F_i = F g_i / (g1 + g2)
    g = (4000.0, 6000.0)
    u, fx, mz = run(3000.0, 0.0, (1, 1, 0, 0), ZERO4, (1 / g[0], 1 / g[1], 1, 1),
                    (-INF, -INF, 0, 0), (INF, INF, 0, 0))
    assert u[:2] == pytest.approx([1200.0, 1800.0], rel=1e-12)
    assert fx == pytest.approx(3000.0)


def test_yaw_moment_from_two_rear_wheels():
    # rear wheels at y = +-0.8 m: Mz = 0.8 (F_RR - F_RL); equal weights, Fx = 0:
    # F_RR = -F_RL = Mz / 1.6
    u, fx, mz = run(0.0, 2000.0, (0, 0, 1, 1), (0, 0, -0.8, 0.8), (1, 1, 1, 1),
                    (0, 0, -INF, -INF), (0, 0, INF, INF))
    assert u == pytest.approx([0.0, 0.0, -1250.0, 1250.0], abs=1e-9)
    assert (fx, mz) == pytest.approx((0.0, 2000.0), abs=1e-9)


def test_unconstrained_solution_is_the_weighted_pseudo_inverse():
    rng = np.random.default_rng(4)
    for _ in range(20):
        b = rng.uniform(-1.5, 1.5, size=(2, 4))
        w = rng.uniform(0.2, 3.0, size=4)
        v = rng.uniform(-100.0, 100.0, size=2)
        u, fx, mz = run(v[0], v[1], b[0], b[1], w, (-INF,) * 4, (INF,) * 4)
        winv = np.diag(1 / w)
        expected = winv @ b.T @ np.linalg.solve(b @ winv @ b.T, v)
        assert u == pytest.approx(expected, rel=1e-7, abs=1e-7)


def test_a_saturated_wheel_passes_the_rest_to_the_other():
    u, fx, _ = run(5000.0, 0.0, (1, 1, 0, 0), ZERO4, (1, 1, 1, 1), (0, 0, 0, 0),
                   (1000.0, INF, 0, 0))
    assert u[:2] == pytest.approx([1000.0, 4000.0])
    assert fx == pytest.approx(5000.0)


def test_yaw_moment_has_priority_over_the_force_demand():
    # two rear wheels, each within [0, 1000] N (no regeneration): the moment 0.8 x 1000 is
    # only reachable with F_RL = 0, F_RR = 1000, so the force demand of 2000 N gives way
    u, fx, mz = run(2000.0, 800.0, (0, 0, 1, 1), (0, 0, -0.8, 0.8), (1, 1, 1, 1),
                    (0, 0, 0, 0), (0, 0, 1000.0, 1000.0))
    assert u == pytest.approx([0, 0, 0, 1000.0])
    assert (fx, mz) == pytest.approx((1000.0, 800.0))
    # beyond reach: the moment is clipped to the largest, then the force follows
    u, fx, mz = run(2000.0, 5000.0, (0, 0, 1, 1), (0, 0, -0.8, 0.8), (1, 1, 1, 1),
                    (0, 0, 0, 0), (0, 0, 1000.0, 1000.0))
    assert (fx, mz) == pytest.approx((1000.0, 800.0))


def test_axle_variable_moves_both_wheels_alike():
    # front axle machine (one variable, b summed over two wheels, arms cancel), two rear
    # machines; a yaw moment demand is met by the rear wheels only
    b_fx = (2.0, 1.0, 1.0, 0.0)
    b_mz = (0.0, -0.8, 0.8, 0.0)
    u, fx, mz = run(3000.0, 1000.0, b_fx, b_mz, (2 / 5000, 1 / 5000, 1 / 5000, 1),
                    (0, -INF, -INF, 0), (INF, INF, INF, 0))
    assert (fx, mz) == pytest.approx((3000.0, 1000.0))
    # equal weights per wheel: every wheel carries the same share of Fx (750 N) and the rear
    # pair adds -+625 N for the moment
    assert u == pytest.approx([750.0, 750.0 - 625.0, 750.0 + 625.0, 0.0])
