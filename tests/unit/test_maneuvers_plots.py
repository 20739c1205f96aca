"""sim.plot figures of the maneuvers, drawn with the Agg backend: they run and draw what they
should (lines, markers, labels)."""

from __future__ import annotations

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

import sim  # noqa: E402
from sim import plot  # noqa: E402
from sim.maneuvers import sine_with_dwell, step_steer  # noqa: E402


@pytest.fixture(scope="module")
def coupe():
    return sim.load_vehicle("coupe")


@pytest.fixture(scope="module")
def steps(coupe):
    return step_steer(coupe), step_steer(coupe, direction="right")


@pytest.fixture(scope="module")
def swd(coupe):
    # A given (as the SIS finds for the coupe, 17.8 deg): only the series runs
    return sine_with_dwell(coupe, sis_angle_deg=17.8)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_time_histories_overlay_maneuver_results(steps):
    fig = plot.plot_time_histories(list(steps), ("yaw_rate_radps", "ay_mps2"),
                                   labels=["left", "right"])
    axes = fig.axes
    assert len(axes) == 2
    assert [len(ax.lines) for ax in axes] == [2, 2]
    assert axes[0].get_ylabel() == "yaw_rate\n[deg/s]" and axes[1].get_xlabel() == "time [s]"
    assert [t.get_text() for t in axes[0].get_legend().get_texts()] == ["left", "right"]
    # degrees on the axis: the left run's steady yaw rate is the metric
    y = axes[0].lines[0].get_ydata()
    assert y[-1] == pytest.approx(steps[0]["steady_yaw_rate_deg_per_s"][0], rel=0.01)
    with pytest.raises(KeyError, match="no run set 'nope'; run sets are run"):
        plot.plot_time_histories(steps[0], run_set="nope")


def test_understeer_curve_with_linear_fit():
    ay = np.linspace(0.0, 8.0, 17)
    steer = np.vstack([20.0 + 3.0 * ay + 0.3 * np.maximum(ay - 4.0, 0.0) ** 2,
                       15.0 + 2.0 * ay])
    fig = plot.plot_understeer(ay, steer, labels=["a", "b"])
    ax = fig.axes[0]
    assert len(ax.lines) == 4  # two curves, two fits
    fit_a = ax.lines[1]
    np.testing.assert_allclose(fit_a.get_xdata(), [0.0, 4.0])
    np.testing.assert_allclose(fit_a.get_ydata(), [20.0, 32.0], rtol=1e-9)  # slope 3 exactly
    assert ax.get_xlabel() == "lateral acceleration a_y [m/s²]"
    assert ax.get_ylabel() == "steering-wheel angle [deg]"
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts[1] == "fit |a_y| <= 4: 3 deg/(m/s²) = 29.4 deg/g"
    with pytest.raises(ValueError, match="fewer than two distinct points"):
        plot.plot_understeer([5.0, 6.0], [1.0, 2.0])


def test_gg_diagram(steps):
    fig = plot.plot_gg(list(steps), friction_g=1.0)
    ax = fig.axes[0]
    assert len(ax.lines) == 3 + 2  # two runs, a circle, the two zero lines (axhline/axvline)
    assert ax.get_xlabel().startswith("lateral acceleration a_y [g]")
    assert ax.get_ylabel().startswith("longitudinal acceleration a_x [g]")
    # a left step ends near +4 m/s² lateral, a right one near -4 m/s²
    assert ax.lines[0].get_xdata()[-1] == pytest.approx(4.0 / 9.80665, rel=0.02)
    assert ax.lines[1].get_xdata()[-1] == pytest.approx(-4.0 / 9.80665, rel=0.02)


def test_sine_with_dwell_plot_marks_the_criteria(swd):
    fig = plot.plot_sine_with_dwell([swd, swd], "ccw 2", labels=["off", "on"])
    ax_steer, ax_yaw = fig.axes
    assert ax_steer.get_ylabel() == "steering-wheel\nangle [deg]"
    assert ax_yaw.get_ylabel() == "yaw rate [deg/s]"
    # steering: the dwell holds minus the run's amplitude (the first peak falls between samples)
    amplitude = swd.per_run["amplitude_deg"][0][2]
    assert np.min(ax_steer.lines[0].get_ydata()) == pytest.approx(-amplitude, rel=1e-9)
    assert "ccw 2" in ax_steer.get_title()
    yaw_curves = [ln for ln in ax_yaw.lines if len(ln.get_xdata()) > 10]
    assert len(yaw_curves) == 2
    peaks = [ln for ln in ax_yaw.lines if ln.get_marker() == "o"]
    assert len(peaks) == 2
    peak = swd.per_run["peak_yaw_rate_deg_per_s"][0][2]
    assert peaks[0].get_ydata()[0] == pytest.approx(peak, rel=1e-9)
    bars = [ln for ln in ax_yaw.lines if len(ln.get_xdata()) == 2 and ln.get_linewidth() == 2.5]
    assert sorted(round(b.get_ydata()[0] / peak, 6) for b in bars[:2]) == [0.2, 0.35]
    texts = [t.get_text() for t in ax_yaw.texts]
    assert "35 % at COS+1 s" in texts and "20 % at COS+1.75 s" in texts


def test_sine_with_dwell_plot_default_run_did_not_spin(swd):
    fig = plot.plot_sine_with_dwell(swd)
    title = fig.axes[0].get_title()
    label = title.rsplit("run ", 1)[1]
    column = swd.run_labels.index(label)
    assert label.startswith("ccw") and not swd.per_run["run_spun_out"][0][column]
