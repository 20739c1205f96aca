"""DriveCycle: derived quantities on hand-checkable traces, user CSV round trip, resampling."""

from __future__ import annotations

import numpy as np
import pytest

from sim.cycles import CyclePhase, DriveCycle, load_cycle
from sim.errors import SpecError


def _trapezoid_cycle():
    # 0 -> 10 m/s in 5 s, hold 10 s, 10 -> 0 in 4 s: distance 25 + 100 + 20 = 145 m.
    t = np.array([0.0, 5.0, 15.0, 19.0])
    v = np.array([0.0, 10.0, 10.0, 0.0])
    return DriveCycle("trap", t, v, "hand", (CyclePhase("up", 0.0, 5.0),
                                             CyclePhase("rest", 5.0, 19.0)))


def test_derived_quantities_closed_form():
    c = _trapezoid_cycle()
    assert c.duration_s == 19.0
    assert c.distance_m == 145.0
    assert c.max_speed_mps == 10.0
    assert c.mean_speed_mps == pytest.approx(145.0 / 19.0)
    np.testing.assert_array_equal(c.acceleration_mps2, [2.0, 0.0, -2.5, 0.0])
    assert c.speed_at(2.5) == 5.0
    assert c.speed_at(100.0) == 0.0               # held after the end
    assert c.phase("up").distance_m == 25.0
    assert c.phase("rest").distance_m == 120.0


def test_forward_difference_integrates_back_to_the_trace():
    # v[i+1] = v[i] + a[i] dt[i] exactly: the acceleration is that of the linear trace.
    w = load_cycle("wltc_class3b")
    rebuilt = np.concatenate(([0.0], np.cumsum(w.acceleration_mps2[:-1] * np.diff(w.time_s))))
    np.testing.assert_allclose(rebuilt, w.speed_mps, atol=1e-9)


def test_arrays_are_read_only_and_the_cycle_frozen():
    c = _trapezoid_cycle()
    with pytest.raises(ValueError):
        c.speed_mps[0] = 1.0
    with pytest.raises(AttributeError):
        c.name = "other"


def test_phase_with_ends_between_samples_interpolates():
    c = DriveCycle("x", [0.0, 10.0], [0.0, 10.0], "hand", (CyclePhase("mid", 2.5, 7.5),))
    part = c.phase("mid")
    np.testing.assert_array_equal(part.time_s, [2.5, 7.5])
    assert part.distance_m == pytest.approx(25.0)   # mean 5 m/s over 5 s
    with pytest.raises(SpecError, match=r"phase = 'nope': one of mid"):
        c.phase("nope")


def test_resampled_keeps_the_linear_trace():
    w = load_cycle("udds")
    fine = w.resampled(0.1)
    assert fine.time_s.size == 13691
    assert fine.time_s[-1] == w.time_s[-1]
    assert fine.distance_m == pytest.approx(w.distance_m, rel=1e-12)
    coarse = _trapezoid_cycle().resampled(2.0)     # 19 s is not a multiple of 2 s
    assert coarse.time_s[-1] == 19.0 and coarse.time_s[-2] == 18.0
    with pytest.raises(SpecError, match=r"time_step_s = 0: must be finite and > 0"):
        w.resampled(0)


def test_non_uniform_user_csv_round_trip_kmh(tmp_path):
    t = np.array([0.0, 0.5, 1.7, 3.0, 10.25])
    kmh = np.array([0.0, 3.6, 12.0, 36.0, 0.0])
    path = tmp_path / "logged.csv"
    lines = ["# logged on a test track", "", "time_s, speed_kmh"]
    lines += [f"{a:.17g},{b:.17g}" for a, b in zip(t, kmh, strict=True)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    c = load_cycle(path)
    assert c.name == "logged"
    np.testing.assert_array_equal(c.time_s, t)
    np.testing.assert_allclose(c.speed_mps, kmh / 3.6, rtol=1e-15)
    assert c.source == str(path)
    # Non-uniform steps are allowed; distance is the trapezoid on the given grid.
    expected = np.sum(0.5 * (kmh[1:] + kmh[:-1]) / 3.6 * np.diff(t))
    assert c.distance_m == pytest.approx(expected, rel=1e-14)


def test_user_csv_mps_columns_in_either_order(tmp_path):
    path = tmp_path / "mps.csv"
    path.write_text("speed_mps,time_s\n0,0\n5,1\n0,2\n", encoding="utf-8")
    c = load_cycle(str(path))
    np.testing.assert_array_equal(c.speed_mps, [0.0, 5.0, 0.0])
    assert c.distance_m == 5.0


def test_builtin_written_out_and_read_back(tmp_path):
    w = load_cycle("hwfet")
    path = tmp_path / "copy.csv"
    np.savetxt(path, np.column_stack((w.time_s, w.speed_mps)), delimiter=",",
               header="time_s,speed_mps", comments="", fmt="%.17g")
    back = load_cycle(path)
    np.testing.assert_array_equal(back.time_s, w.time_s)
    np.testing.assert_array_equal(back.speed_mps, w.speed_mps)
    assert back.distance_m == w.distance_m
