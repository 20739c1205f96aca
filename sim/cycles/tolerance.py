"""The speed-trace tolerance band of a chassis-dynamometer test, and its violations.

What is implemented (UN GTR No. 15, WLTP, Annex 6, speed trace tolerances; wording as quoted
in the project brief and in REFERENCES - the GTR text itself was not readable here, [K]):

* the **upper limit** at time t is 2.0 km/h above the *highest* point of the prescribed trace
  within t +- 1.0 s;
* the **lower limit** at time t is 2.0 km/h below the *lowest* point of the prescribed trace
  within t +- 1.0 s.

"The trace" is the cycle's linear interpolation between its samples, held at its first and last
speed outside its time range (the window is clipped to the cycle). The extremes over the window
are therefore the trace at the two window ends and every cycle sample strictly inside it.

Every stretch of consecutive driven samples outside the band is reported as one
:class:`SpeedTraceViolation`. The GTR also lets a test pass with short excursions (as
remembered: deviations beyond the band for less than 1 s each, a limited number per test); that
acceptance rule is **not** applied here - each violation carries its duration so that a caller
can apply it once its exact wording is checked.

A delay of the driven trace by up to the time tolerance (1 s) never leaves the band (the delayed
value is a point of the trace inside the window): tests/property checks that invariant.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.cycles.cycle import DriveCycle
from sim.errors import SpecError
from sim.units import KMH_PER_MPS

__all__ = ["SpeedTraceViolation", "speed_band_mps", "speed_trace_violations"]

#: GTR 15 speed tolerance [km/h] and time tolerance [s].
SPEED_TOLERANCE_KMH = 2.0
TIME_TOLERANCE_S = 1.0
#: A driven speed counts as outside only beyond the limit by more than this [m/s] (float noise
#: of a trace built by interpolating the cycle itself).
_SLACK_MPS = 1e-9
_ARG = "<argument>"


@dataclass(frozen=True)
class SpeedTraceViolation:
    """One stretch of a driven trace outside the tolerance band.

    Attributes
    ----------
    start_s, end_s : float
        Times [s] of the first and last driven sample outside the band (equal for a single
        sample).
    side : str
        ``"above"`` (faster than the upper limit) or ``"below"`` (slower than the lower one).
    worst_deviation_kmh : float
        Largest distance outside the band [km/h] > 0 (driven speed minus upper limit, or lower
        limit minus driven speed), not the deviation from the cycle's own speed.
    worst_time_s : float
        Time [s] of that largest distance.
    """

    start_s: float
    end_s: float
    side: str
    worst_deviation_kmh: float
    worst_time_s: float

    @property
    def duration_s(self) -> float:
        """``end_s - start_s`` [s] (0 for a single sample)."""
        return self.end_s - self.start_s


def _range_extreme_table(values: np.ndarray, reduce) -> list[np.ndarray]:
    """Sparse table: level k holds reduce(values[i : i + 2**k]) for every valid i."""
    table = [values]
    width = 1
    while 2 * width <= values.size:
        prev = table[-1]
        table.append(reduce(prev[: prev.size - width], prev[width:]))
        width *= 2
    return table


def _range_extreme(table, lo: np.ndarray, hi: np.ndarray, reduce, empty: float) -> np.ndarray:
    """reduce over values[lo:hi] per entry (``empty`` where lo >= hi)."""
    count = hi - lo
    out = np.full(lo.shape, empty)
    has = count > 0
    if not np.any(has):
        return out
    level = np.zeros(lo.shape, dtype=np.int64)
    level[has] = np.floor(np.log2(count[has])).astype(np.int64)
    for k in np.unique(level[has]):
        sel = has & (level == k)
        left = table[k][lo[sel]]
        right = table[k][hi[sel] - (1 << int(k))]
        out[sel] = reduce(left, right)
    return out


def speed_band_mps(cycle: DriveCycle, time_s, *, speed_tolerance_kmh=SPEED_TOLERANCE_KMH,
                   time_tolerance_s=TIME_TOLERANCE_S) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper speed limits [m/s] of the band at the given times (arrays like time_s).

    ``lower = min(trace over [t - dt, t + dt]) - dv``, ``upper = max(...) + dv`` with
    ``dt = time_tolerance_s`` and ``dv = speed_tolerance_kmh`` (converted to m/s). The lower
    limit may be negative (no one can drive below zero; it is reported as it is).
    """
    t = np.asarray(time_s, dtype=np.float64)
    dv = _nonnegative("speed_tolerance_kmh", speed_tolerance_kmh) / KMH_PER_MPS
    dt = _nonnegative("time_tolerance_s", time_tolerance_s)
    if not np.all(np.isfinite(t)):
        raise SpecError(_ARG, "time_s", "non-finite entry", "every time must be finite")
    tc, vc = cycle.time_s, cycle.speed_mps
    a = np.clip(t - dt, tc[0], tc[-1])
    b = np.clip(t + dt, tc[0], tc[-1])
    ends_max = np.maximum(np.interp(a, tc, vc), np.interp(b, tc, vc))
    ends_min = np.minimum(np.interp(a, tc, vc), np.interp(b, tc, vc))
    lo = np.searchsorted(tc, a, side="right")   # first sample strictly after a
    hi = np.searchsorted(tc, b, side="left")    # samples before hi are strictly before b
    max_table = _range_extreme_table(vc, np.maximum)
    min_table = _range_extreme_table(vc, np.minimum)
    inner_max = _range_extreme(max_table, lo.ravel(), hi.ravel(), np.maximum, -math.inf)
    inner_min = _range_extreme(min_table, lo.ravel(), hi.ravel(), np.minimum, math.inf)
    upper = np.maximum(ends_max, inner_max.reshape(t.shape)) + dv
    lower = np.minimum(ends_min, inner_min.reshape(t.shape)) - dv
    return lower, upper


def speed_trace_violations(cycle: DriveCycle, time_s, speed_mps, *,
                           speed_tolerance_kmh=SPEED_TOLERANCE_KMH,
                           time_tolerance_s=TIME_TOLERANCE_S) -> list[SpeedTraceViolation]:
    """Every stretch where a driven trace leaves the cycle's tolerance band (see module doc).

    Parameters
    ----------
    cycle : DriveCycle
        The prescribed trace.
    time_s : array (T,)
        Times of the driven samples [s], strictly increasing, any spacing (finer than the
        cycle's 1 s resolves the violation times better).
    speed_mps : array (T,)
        Driven (achieved) vehicle speed [m/s], finite.
    speed_tolerance_kmh, time_tolerance_s : float
        Band half-width in speed [km/h] and the time window half-width [s]; GTR 15 values by
        default.

    Returns
    -------
    list of SpeedTraceViolation, in time order; empty when the trace stays inside the band.
    """
    t = np.asarray(time_s, dtype=np.float64)
    v = np.asarray(speed_mps, dtype=np.float64)
    if t.ndim != 1 or t.shape != v.shape or t.size == 0:
        raise SpecError(_ARG, "time_s/speed_mps", (t.shape, v.shape),
                        "two non-empty 1-D arrays of the same length")
    if not np.all(np.isfinite(v)):
        i = int(np.argmax(~np.isfinite(v)))
        raise SpecError(_ARG, f"speed_mps[{i}]", float(v[i]), "must be finite")
    if not np.all(np.isfinite(t)) or np.any(np.diff(t) <= 0.0):
        bad = ~np.isfinite(t)
        bad[1:] |= np.diff(t) <= 0.0
        i = int(np.argmax(bad))
        raise SpecError(_ARG, f"time_s[{i}]", float(t[i]), "finite and strictly increasing")
    lower, upper = speed_band_mps(cycle, t, speed_tolerance_kmh=speed_tolerance_kmh,
                                  time_tolerance_s=time_tolerance_s)
    above = v - upper
    below = lower - v
    side = np.where(above > _SLACK_MPS, 1, np.where(below > _SLACK_MPS, -1, 0))
    excess = np.where(side > 0, above, below)
    # Runs of equal, non-zero side.
    change = np.flatnonzero(np.diff(side)) + 1
    starts = np.concatenate(([0], change))
    ends = np.concatenate((change, [side.size]))
    out = []
    for s, e in zip(starts, ends, strict=True):
        if side[s] == 0:
            continue
        k = s + int(np.argmax(excess[s:e]))
        out.append(SpeedTraceViolation(
            start_s=float(t[s]), end_s=float(t[e - 1]),
            side="above" if side[s] > 0 else "below",
            worst_deviation_kmh=float(excess[k] * KMH_PER_MPS),
            worst_time_s=float(t[k]),
        ))
    return out


def _nonnegative(name: str, value) -> float:
    x = float(value)
    if not (math.isfinite(x) and x >= 0.0):
        raise SpecError(_ARG, name, value, "must be finite and >= 0")
    return x
