"""sim.plot.plot_efficiency_map draws the drive unit's map inside its envelope."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

import sim  # noqa: E402
from sim.plot import plot_efficiency_map  # noqa: E402


def test_efficiency_map_with_operating_points():
    vehicle = sim.load_vehicle("coupe")
    fig = plot_efficiency_map(vehicle, "rear_left", speed_radps=np.array([100.0, -200.0]),
                              torque_nm=np.array([50.0, 20.0]), n_grid=20)
    ax = fig.axes[0]
    points = [line for line in ax.lines if line.get_label() == "operating points"]
    assert len(points) == 1
    # a reversing machine driving backwards (w < 0, T > 0) is drawn in the generating half
    np.testing.assert_allclose(points[0].get_ydata(), [50.0, -20.0])
    np.testing.assert_allclose(points[0].get_xdata(), np.array([100.0, 200.0]) * 30 / np.pi)
    assert "800 V" in ax.get_title()
    assert len(fig.axes) == 2   # the map and its colour bar
