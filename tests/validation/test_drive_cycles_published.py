"""Built-in drive cycles against their published / independently verified figures.

Sources: REFERENCES.md section 3 ([V]: checked against the source files) - WLTC class 3b from
UN GTR No. 15 Annex 1 (via JRCSTU/wltp): 1801 samples, 1800 s, 23.266 km, 131.3 km/h at
1724 s, sum of the 1 Hz speeds 83758.6 km/h (wltp's GTR checksum) and the phase sums; EPA UDDS
11.990 km, HWFET 16.507 km, US06 12.888 km (EPA-stated UDDS 7.45 mi, HWFET 10.26 mi).
Distances are quoted to 1 m, so they are asserted to 0.5 m.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.cycles import list_cycles, load_cycle

MILE_M = 1609.344

PUBLISHED = {
    # name: samples, duration [s], distance [km], max speed [km/h]
    "wltc_class3b": (1801, 1800.0, 23.266, 131.3),
    "udds": (1370, 1369.0, 11.990, 91.3),
    "hwfet": (766, 765.0, 16.507, 96.4),
    "us06": (601, 600.0, 12.888, 129.2),
}


def test_list_cycles_names_every_builtin():
    assert list_cycles() == sorted(PUBLISHED)


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_samples_duration_distance_max_speed(name):
    samples, duration_s, distance_km, max_kmh = PUBLISHED[name]
    cycle = load_cycle(name)
    assert cycle.time_s.size == samples
    assert cycle.duration_s == duration_s
    assert np.all(np.diff(cycle.time_s) == 1.0)          # 1 Hz, from t = 0
    assert cycle.time_s[0] == 0.0
    assert cycle.distance_m == pytest.approx(distance_km * 1000.0, abs=0.5)
    assert cycle.max_speed_mps * 3.6 == pytest.approx(max_kmh, abs=0.05)
    assert cycle.speed_mps[0] == 0.0 and cycle.speed_mps[-1] == 0.0
    assert cycle.mean_speed_mps == pytest.approx(cycle.distance_m / duration_s)


def test_wltc_class3b_gtr_checks():
    wltc = load_cycle("wltc_class3b")
    kmh = wltc.speed_kmh
    assert kmh.sum() == pytest.approx(83758.6, abs=0.05)            # GTR checksum
    assert wltc.time_s[np.argmax(kmh)] == 1724.0
    assert wltc.mean_speed_mps * 3.6 == pytest.approx(46.5, abs=0.05)
    # Forward-difference extremes equal the published 1.67 / -1.50 m/s^2.
    assert wltc.acceleration_mps2.max() == pytest.approx(1.67, abs=0.005)
    assert wltc.acceleration_mps2.min() == pytest.approx(-1.50, abs=0.005)
    # Phases: names, GTR durations 589/433/455/323 s, sample sums and phase maxima.
    assert [p.name for p in wltc.phases] == ["Low", "Medium", "High", "Extra-high"]
    assert [p.end_s - p.start_s for p in wltc.phases] == [589.0, 433.0, 455.0, 323.0]
    gtr_samples = [(0, 589), (590, 1022), (1023, 1477), (1478, 1800)]
    sums = [11140.3, 17121.2, 25782.2, 29714.9]
    maxima = [56.5, 76.6, 97.4, 131.3]
    for phase, (first, last), total, vmax in zip(wltc.phases, gtr_samples, sums, maxima,
                                                 strict=True):
        assert kmh[first:last + 1].sum() == pytest.approx(total, abs=0.05), phase.name
        part = wltc.phase(phase.name)
        assert part.max_speed_mps * 3.6 == pytest.approx(vmax, abs=0.05)
        # Boundary samples are at standstill, so the interval and the GTR samples agree.
        assert part.speed_kmh.sum() == pytest.approx(total, abs=0.05)
    # Phase distances add up to the cycle distance.
    total_m = sum(wltc.phase(p.name).distance_m for p in wltc.phases)
    assert total_m == pytest.approx(wltc.distance_m, rel=1e-12)


def test_epa_stated_distances_in_miles():
    # EPA: UDDS 7.45 mi, HWFET 10.26 mi (rounded to 0.01 mi); the UDDS first bag 3.59 mi.
    assert load_cycle("udds").distance_m / MILE_M == pytest.approx(7.45, abs=0.005)
    assert load_cycle("hwfet").distance_m / MILE_M == pytest.approx(10.26, abs=0.005)
    assert load_cycle("udds").phase("Transient").distance_m / MILE_M == pytest.approx(
        3.59, abs=0.005)


def test_package_data_carries_provenance():
    from importlib import resources
    folder = resources.files("sim.cycles").joinpath("data")
    for name in PUBLISHED:
        text = folder.joinpath(f"{name}.csv").read_text("utf-8")
        assert text.startswith("# ")
        assert "Source:" in text
    readme = folder.joinpath("README.md").read_text("utf-8")
    for name in PUBLISHED:
        assert f"{name}.csv" in readme
