"""Invariants of the GTR 15 band: any delay up to the time tolerance and any offset inside
the speed tolerance stays in the band; the band always contains the cycle itself."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from sim.cycles import load_cycle, speed_band_mps, speed_trace_violations

CYCLES = {name: load_cycle(name) for name in ("wltc_class3b", "udds", "us06")}


@given(name=st.sampled_from(sorted(CYCLES)),
       delay_s=st.floats(-1.0, 1.0),
       offset_kmh=st.floats(-1.99, 1.99),
       step_s=st.floats(0.05, 1.5))
def test_delay_within_one_second_and_offset_within_2_kmh_pass(name, delay_s, offset_kmh,
                                                              step_s):
    c = CYCLES[name]
    t = np.arange(c.time_s[0], c.time_s[-1], step_s)
    v = c.speed_at(t - delay_s) + offset_kmh / 3.6
    assert speed_trace_violations(c, t, v) == []


@given(name=st.sampled_from(sorted(CYCLES)),
       times=st.lists(st.floats(-5.0, 2000.0), min_size=1, max_size=50))
def test_band_contains_the_trace_and_is_at_least_4_kmh_wide(name, times):
    c = CYCLES[name]
    t = np.array(times)
    lower, upper = speed_band_mps(c, t)
    v = c.speed_at(t)
    assert np.all(lower <= v - 2.0 / 3.6 + 1e-12)
    assert np.all(upper >= v + 2.0 / 3.6 - 1e-12)
    # The band is the extremes of samples of the trace: brute force on a fine grid agrees.
    for ti, lo, hi in zip(t, lower, upper, strict=True):
        grid = np.clip(np.linspace(ti - 1.0, ti + 1.0, 2001), c.time_s[0], c.time_s[-1])
        grid = np.union1d(grid, c.time_s[(c.time_s > ti - 1.0) & (c.time_s < ti + 1.0)])
        vg = c.speed_at(grid)
        assert abs(hi - (vg.max() + 2.0 / 3.6)) < 1e-9
        assert abs(lo - (vg.min() - 2.0 / 3.6)) < 1e-9
