"""Maneuvers with ``histories=False`` record only what their metrics read: same metrics."""

from __future__ import annotations

import numpy as np

import sim
from sim.maneuvers import step_steer
from sim.maneuvers.step_steer import METRIC_CHANNELS

COUPE = sim.load_vehicle("coupe")


def _same_metrics(a, b):
    assert a.metrics.keys() == b.metrics.keys()
    for name in a.metrics:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def test_step_steer_metrics_only():
    batch = sim.set_params(COUPE, {"tyres.front.scaling.LKY": [0.9, 1.0]})
    kwargs = dict(speed_kmh=80.0, steering_wheel_amplitude_deg=25.0, duration_s=3.0)
    full = step_steer(batch, **kwargs)
    lean = step_steer(batch, histories=False, **kwargs)
    _same_metrics(full, lean)
    assert np.all(full["run_ok"])
    assert lean.results["run"].channel_names == tuple(
        c for c in full.results["run"].channel_names if c in METRIC_CHANNELS)
    # a stiffer front tyre (LKY 1.0 against 0.9): more yaw-rate gain
    assert full["yaw_rate_gain_per_s"][1] > full["yaw_rate_gain_per_s"][0]


def test_single_member_maneuver_runs_as_a_batch_of_one():
    """No padding: a single vehicle's run set has one row; its histories equal member 0 of
    a batch bit for bit (the metrics to rounding: numpy's row means of a (1, T) and a (2, T)
    array may differ in the last bit)."""
    kwargs = dict(speed_kmh=80.0, steering_wheel_amplitude_deg=25.0, duration_s=3.0,
                  histories=False)
    one = step_steer(COUPE, **kwargs)
    assert one.results["run"].batch_size == 1
    two = step_steer(sim.set_params(COUPE, {"tyres.front.scaling.LKY": [1.0, 0.9]}), **kwargs)
    for name in METRIC_CHANNELS:
        np.testing.assert_array_equal(one.results["run"][name][0], two.results["run"][name][0],
                                      err_msg=name)
    for name in one.metrics:
        np.testing.assert_allclose(one[name][0], two[name][0], rtol=1e-13, err_msg=name)
