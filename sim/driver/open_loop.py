"""Open-loop driver inputs: steering-wheel angle and longitudinal demand as functions of time.

A :class:`Profile` is a piecewise-linear table shared by a batch: breakpoint times ``time_s``
(T,) and values ``values`` (N, T), one row per batch member. Between breakpoints the value is
interpolated linearly; before the first breakpoint it is the first value, after the last one
it is the last value (held). With ``k`` the segment that contains ``t`` (clipped to the first
and last segment) and ``w = (t - t_k) / (t_{k+1} - t_k)`` clipped to [0, 1]::

    value(t) = v_k + w * (v_{k+1} - v_k)

:meth:`Profile.sample` evaluates exactly this with numpy; the compiled simulation step uses the
same formula, so tests and simulations see the same input.

Constructors build a batch in one call: amplitudes and timings accept a scalar or an (N,)
array (scalars are shared by all members). Every profile starts at t = 0 and is defined up to
``duration_s`` (default: the end of its active part); afterwards its last value is held. A
``duration_s`` shorter than the active part cuts the profile there (its value at
``duration_s`` is then held).
Breakpoints are the union of every member's corners, plus a uniform grid of
:data:`POINTS_PER_PERIOD` points per period of the fastest sine in the batch over the span
where a member is sinusoidal. Linear interpolation of ``A sin(2 pi f t)`` with spacing
``h = 1 / (POINTS_PER_PERIOD f)`` is off by at most ``A (2 pi f h)^2 / 8 = 7.5e-5 A``.

The generic constructors (:func:`constant`, :func:`step`, :func:`ramp`, :func:`sine`,
:func:`table`) are unit-agnostic: values come out in the unit they went in (rates are that
unit per second). The standard manoeuvres take degrees and return the **steering-wheel angle in
radians**, positive to the left (counter-clockwise, ISO 8855).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.errors import SpecError
from sim.units import deg_to_rad, rad_to_deg

__all__ = [
    "FMVSS126_FREQUENCY_HZ",
    "FMVSS126_DWELL_S",
    "IDEAL_STEP_RISE_S",
    "POINTS_PER_PERIOD",
    "Profile",
    "bos_time_s",
    "constant",
    "cos_time_s",
    "fmvss126_amplitude_series",
    "iso7401_step_steer",
    "ramp",
    "sine",
    "sine_with_dwell",
    "slowly_increasing_steer",
    "step",
    "table",
    "time_at_fraction",
]

#: Breakpoints per sine period: linear interpolation error <= (2 pi / 256)^2 / 8 = 7.5e-5 A.
POINTS_PER_PERIOD = 256
#: Rise time [s] that stands for an ideal (infinitely fast) step: the value jumps within it.
IDEAL_STEP_RISE_S = 1e-6
#: FMVSS 126 sine-with-dwell frequency [Hz] and dwell at the second peak [s].
FMVSS126_FREQUENCY_HZ = 0.7
FMVSS126_DWELL_S = 0.5

_SOURCE = "<argument>"


# --------------------------------------------------------------------------- the table

@dataclass(frozen=True, eq=False)
class Profile:
    """Piecewise-linear input table for a batch of N runs (see the module docstring).

    Attributes
    ----------
    time_s : ndarray (T,)
        Breakpoint times [s], finite and strictly increasing, T >= 2.
    values : ndarray (N, T)
        Value of each member at each breakpoint (unit of the quantity: rad for steering-wheel
        angles built by the standard manoeuvres), finite.

    Both arrays are stored as read-only float64 copies.
    """

    time_s: np.ndarray
    values: np.ndarray

    def __post_init__(self) -> None:
        time_s = _float_array(self.time_s, "time_s")
        values = _float_array(self.values, "values")
        if time_s.ndim != 1 or time_s.size < 2:
            raise SpecError(_SOURCE, "time_s", f"shape {time_s.shape}",
                            "must be a 1-D array of at least 2 breakpoint times (T,)")
        if values.ndim != 2 or values.shape[1] != time_s.size or values.shape[0] < 1:
            raise SpecError(_SOURCE, "values", f"shape {values.shape}",
                            f"must be (N, T) with N >= 1 and T = len(time_s) = {time_s.size}")
        _check_finite(time_s, "time_s")
        _check_finite(values, "values")
        bad = np.flatnonzero(np.diff(time_s) <= 0.0)
        if bad.size:
            k = int(bad[0]) + 1
            raise SpecError(_SOURCE, f"time_s[{k}]", float(time_s[k]),
                            f"must be > time_s[{k - 1}] = {float(time_s[k - 1])!r} "
                            "(times strictly increasing)")
        for name, arr in (("time_s", time_s), ("values", values)):
            arr = arr.copy()
            arr.flags.writeable = False
            object.__setattr__(self, name, arr)

    @property
    def batch_size(self) -> int:
        """Number of members N."""
        return int(self.values.shape[0])

    @property
    def end_s(self) -> float:
        """Time of the last breakpoint [s]; the last value is held after it."""
        return float(self.time_s[-1])

    def sample(self, t_s) -> np.ndarray:
        """Values at times ``t_s`` [s] (scalar or (M,)), shape ``(N,) + shape(t_s)``.

        Linear between breakpoints, first value before ``time_s[0]``, last value after
        ``time_s[-1]``: row by row the same as ``np.interp(t_s, time_s, values[i])``.
        """
        t = _float_array(t_s, "t_s")
        if t.ndim > 1:
            raise SpecError(_SOURCE, "t_s", f"shape {t.shape}", "must be a scalar or (M,)")
        _check_finite(t, "t_s")
        k = np.clip(np.searchsorted(self.time_s, t, side="right") - 1, 0, self.time_s.size - 2)
        t0, t1 = self.time_s[k], self.time_s[k + 1]
        w = np.clip((t - t0) / (t1 - t0), 0.0, 1.0)
        v0, v1 = self.values[:, k], self.values[:, k + 1]
        return v0 + w * (v1 - v0)


def table(time_s, values) -> Profile:
    """Profile from an explicit table: ``time_s`` (T,) [s], ``values`` (T,) or (N, T).

    A 1-D ``values`` is a batch of one. Interpolation as in :class:`Profile`.
    """
    values = _float_array(values, "values")
    return Profile(time_s, values[None, :] if values.ndim == 1 else values)


# --------------------------------------------------------------------------- generic shapes

def constant(value, duration_s: float) -> Profile:
    """A value held from t = 0 to ``duration_s`` [s] (> 0) and after; ``value`` scalar or (N,)."""
    (value,) = _batch(value=(value, "finite"))
    end = _scalar(duration_s, "duration_s")
    return Profile(np.array([0.0, end]), np.repeat(value[:, None], 2, axis=1))


def step(amplitude, start_s, rate_per_s=None, *, duration_s: float | None = None) -> Profile:
    """Ramp-to-step: 0 until ``start_s``, then towards ``amplitude`` at ``rate_per_s``, held.

    Parameters
    ----------
    amplitude : float or (N,)
        Final value (signed; for a steering-wheel angle positive = left).
    start_s : float or (N,)
        Time the ramp begins [s], >= 0.
    rate_per_s : float or (N,), optional
        Speed of the ramp in units of the value per second, > 0 (a magnitude: the direction
        comes from the sign of ``amplitude``). The final value is reached at
        ``start_s + |amplitude| / rate_per_s``. ``None`` means an ideal step, represented as a
        ramp lasting :data:`IDEAL_STEP_RISE_S` (1 us), so a simulation step of any practical
        size sees a jump between two samples.
    duration_s : float, optional
        End of the table [s] (> every ``start_s``); default: end of the slowest ramp.
    """
    if rate_per_s is None:
        amp, start = _batch(amplitude=(amplitude, "finite"), start_s=(start_s, "nonneg"))
        rise = np.where(amp == 0.0, 0.0, IDEAL_STEP_RISE_S)
    else:
        amp, start, rate = _batch(amplitude=(amplitude, "finite"), start_s=(start_s, "nonneg"),
                                  rate_per_s=(rate_per_s, "positive"))
        rise = np.abs(amp) / rate
    return _ramp_to(amp, start, start + rise, duration_s)


def ramp(rate_per_s, start_s, duration_s: float | None = None, final=None) -> Profile:
    """Linear ramp: 0 until ``start_s``, then slope ``rate_per_s``, until ``final`` or the end.

    Parameters
    ----------
    rate_per_s : float or (N,)
        Signed slope in units of the value per second, non-zero (negative ramps downwards).
    start_s : float or (N,)
        Time the ramp begins [s], >= 0.
    duration_s : float, optional
        End of the table [s] (> every ``start_s``): without ``final`` the ramp stops there and
        its value is held. Required when ``final`` is None.
    final : float or (N,), optional
        Value at which the ramp stops and is held; must have the sign of ``rate_per_s``
        (then the profile equals ``step(final, start_s, |rate_per_s|)``).
    """
    if final is None:
        rate, start = _batch(rate_per_s=(rate_per_s, "nonzero"), start_s=(start_s, "nonneg"))
        if duration_s is None:
            raise SpecError(_SOURCE, "duration_s", None,
                            "required when final is None (the ramp needs an end)")
        end = _scalar(duration_s, "duration_s")
        _check_after_starts(end, start)
        return _ramp_to(rate * (end - start), start, np.full_like(start, end), end)
    rate, start, fin = _batch(rate_per_s=(rate_per_s, "nonzero"), start_s=(start_s, "nonneg"),
                              final=(final, "finite"))
    bad = np.flatnonzero(fin * rate <= 0.0)
    if bad.size:
        i = int(bad[0])
        raise SpecError(_SOURCE, _member("final", i, fin.size), float(fin[i]),
                        f"must be non-zero with the sign of rate_per_s = {float(rate[i])!r}")
    return _ramp_to(fin, start, start + fin / rate, duration_s)


def sine(amplitude, frequency_hz, start_s, cycles=1.0, *,
         duration_s: float | None = None) -> Profile:
    """Sine burst: ``amplitude * sin(2 pi f (t - start_s))`` for ``cycles`` periods.

    Zero before ``start_s``; after ``start_s + cycles / f`` the value reached there is held
    (zero when ``cycles`` is a multiple of 0.5). ``amplitude`` signed (positive: first lobe
    positive, i.e. left for a steering-wheel angle), ``frequency_hz`` > 0, ``start_s`` >= 0,
    ``cycles`` > 0, each a scalar or (N,). ISO 7401 single sine: ``cycles = 1``.
    ``duration_s`` as in :func:`step`. Quarter-period points are exact breakpoints.
    """
    amp, freq, start, cyc = _batch(amplitude=(amplitude, "finite"),
                                   frequency_hz=(frequency_hz, "positive"),
                                   start_s=(start_s, "nonneg"), cycles=(cycles, "positive"))
    end = start + cyc / freq

    def shape(t):
        turns = np.clip(freq[:, None] * (t - start[:, None]), 0.0, cyc[:, None])
        turns = np.where(t >= end[:, None], cyc[:, None], turns)
        return amp[:, None] * _sin_turns(turns)

    quarters = [start + q / (4.0 * freq) for q in range(int(math.floor(4.0 * cyc.max())) + 1)]
    quarters = [np.minimum(q, end) for q in quarters]
    return _build(shape, [start, end, *quarters], [(start, end, freq)], start, end, duration_s)


# --------------------------------------------------------------------------- ISO 7401

def iso7401_step_steer(amplitude_deg, rate_deg_per_s=400.0, start_s=0.5, *,
                       duration_s: float | None = None) -> Profile:
    """ISO 7401 step steer: steering-wheel angle [rad] ramped to ``amplitude_deg`` and held.

    ISO 7401:2011 asks for the wheel to be turned "as fast as possible"; steering robots reach
    200-500 deg/s, hence the default 400 deg/s. ``amplitude_deg`` signed (positive = left,
    counter-clockwise), ``rate_deg_per_s`` > 0, ``start_s`` >= 0 [s], each scalar or (N,).
    The standard's time origin t0 is :func:`time_at_fraction` (50 % of the final angle), here
    ``start_s + 0.5 |amplitude_deg| / rate_deg_per_s``.
    """
    amp, rate, start = _batch(amplitude_deg=(amplitude_deg, "finite"),
                              rate_deg_per_s=(rate_deg_per_s, "positive"),
                              start_s=(start_s, "nonneg"))
    return _ramp_to(deg_to_rad(amp), start, start + np.abs(amp) / rate, duration_s)


def time_at_fraction(profile: Profile, fraction: float = 0.5) -> np.ndarray:
    """First time [s] each member reaches ``fraction`` of its final (held) value, (N,).

    ISO 7401's time origin t0 is ``fraction = 0.5``. Computed exactly on the piecewise-linear
    table. ``fraction`` in (0, 1]; every member's final value must be non-zero.
    """
    frac = _scalar(fraction, "fraction")
    if frac > 1.0:
        raise SpecError(_SOURCE, "fraction", fraction, "must be in (0, 1]")
    final = profile.values[:, -1]
    bad = np.flatnonzero(final == 0.0)
    if bad.size:
        i = int(bad[0])
        raise SpecError(_SOURCE, f"profile.values[{i}, -1]", 0.0,
                        "final value must be non-zero to define a fraction of it")
    return _first_reach(profile, frac * final, np.sign(final))


# --------------------------------------------------------------------------- FMVSS 126

def slowly_increasing_steer(direction=1, rate_deg_per_s=13.5, start_s=0.5, *,
                            duration_s: float = 20.5, final_deg=None) -> Profile:
    """FMVSS 126 Slowly Increasing Steer: steering-wheel angle [rad] ramped at 13.5 deg/s.

    ``direction`` +1 steers left (counter-clockwise), -1 right; ``rate_deg_per_s`` > 0 is the
    magnitude; ``start_s`` >= 0 [s]; each scalar or (N,). The regulation ends the ramp when the
    lateral acceleration reaches about 0.5 g, which is for the simulation to detect; the
    profile just keeps ramping until ``duration_s`` (default 20.5 s, i.e. 270 deg after the
    default start, far beyond 0.5 g for a road car) or until ``final_deg`` (magnitude, > 0),
    and holds the angle after that.
    """
    end = _scalar(duration_s, "duration_s")
    args = dict(direction=(direction, "direction"), rate_deg_per_s=(rate_deg_per_s, "positive"),
                start_s=(start_s, "nonneg"))
    if final_deg is None:
        direc, rate, start = _batch(**args)
        final_deg = rate * (end - start)  # still ramping at the end of the table
    else:
        direc, rate, start, final_deg = _batch(**args, final_deg=(final_deg, "positive"))
    _check_after_starts(end, start)
    return _ramp_to(direc * deg_to_rad(final_deg), start, start + final_deg / rate, end)


def sine_with_dwell(amplitude_deg, direction=1, start_s=0.5, *,
                    frequency_hz=FMVSS126_FREQUENCY_HZ, dwell_s=FMVSS126_DWELL_S,
                    duration_s: float | None = None) -> Profile:
    """FMVSS 126 sine with dwell: steering-wheel angle [rad], positive = left.

    With ``A = amplitude_deg`` (> 0), ``s = direction`` (+1: counter-clockwise / left first,
    -1: clockwise / right first), ``f = frequency_hz`` and ``tau = t - start_s``::

        delta(tau) = s A sin(2 pi f tau)            0 <= tau <= 3/(4f)       (first lobe)
                   = -s A                           3/(4f) <= tau <= 3/(4f) + dwell
                   = s A sin(2 pi f (tau - dwell))  until tau = 1/f + dwell  (back to zero)
                   = 0                              before start and after completion

    i.e. the second peak (at 3/4 of the period, 1.0714 s after start at 0.7 Hz) is held for
    ``dwell_s`` = 0.5 s and steering completes at ``1/f + dwell_s`` = 1.9286 s after start.
    ``direction = -1`` gives exactly the negated profile. Each argument scalar or (N,);
    ``frequency_hz`` > 0, ``dwell_s`` >= 0, ``start_s`` >= 0. ``duration_s`` as in
    :func:`step` (default: completion of steer). Time marks: :func:`bos_time_s`,
    :func:`cos_time_s`; amplitudes: :func:`fmvss126_amplitude_series`.
    Source: REFERENCES.md section 2.3 (49 CFR 571.126, read through secondary sources).
    """
    amp, direc, start, freq, dwell = _batch(
        amplitude_deg=(amplitude_deg, "positive"), direction=(direction, "direction"),
        start_s=(start_s, "nonneg"), frequency_hz=(frequency_hz, "positive"),
        dwell_s=(dwell_s, "nonneg"))
    peak = deg_to_rad(amp) * direc
    t_dwell = start + 0.75 / freq
    t_release = t_dwell + dwell
    t_complete = t_release + 0.25 / freq

    def shape(t):
        s, t1, t2, t3 = (x[:, None] for x in (start, t_dwell, t_release, t_complete))
        first = _sin_turns(np.clip(freq[:, None] * (t - s), 0.0, 0.75))
        last = _sin_turns(0.75 + np.clip(freq[:, None] * (t - t2), 0.0, 0.25))
        unit = np.where(t < t1, first, np.where(t <= t2, -1.0, last))
        unit = np.where((t < s) | (t >= t3), 0.0, unit)
        return peak[:, None] * unit

    corners = [start, start + 0.25 / freq, start + 0.5 / freq, t_dwell, t_release, t_complete]
    return _build(shape, corners, [(start, t_complete, freq)], start, t_complete, duration_s)


def bos_time_s(profile: Profile, threshold_deg: float = 5.0) -> np.ndarray:
    """FMVSS 126 beginning of steer [s], (N,): first time the angle reaches ``threshold_deg``.

    ``profile`` holds steering-wheel angles in rad. The regulation's BOS is the first time the
    filtered, zeroed steering-wheel angle reaches 5 deg in the first-steer direction; here it
    is computed exactly on the (noise-free) table, the first-steer direction being the sign of
    the first non-zero value. For a sine with dwell of amplitude A >= 5 deg this is
    ``start_s + asin(5 / A) / (2 pi f)``. A member that never reaches the threshold in its
    first-steer direction raises :class:`SpecError`.
    """
    thr = deg_to_rad(_scalar(threshold_deg, "threshold_deg"))
    values = profile.values
    moved = values != 0.0
    bad = np.flatnonzero(~moved.any(axis=1))
    if bad.size:
        raise SpecError(_SOURCE, f"profile.values[{int(bad[0])}]", "all zero",
                        "needs a steer away from zero to define the beginning of steer")
    first = values[np.arange(values.shape[0]), np.argmax(moved, axis=1)]
    sign = np.sign(first)
    times = _first_reach(profile, sign * thr, sign)
    bad = np.flatnonzero(np.isnan(times))
    if bad.size:
        i = int(bad[0])
        peak_deg = rad_to_deg(float(np.max(sign[i] * values[i])))
        raise SpecError(_SOURCE, "threshold_deg", threshold_deg,
                        f"is never reached by profile member {i} in its first-steer direction "
                        f"(its peak there is {peak_deg:.6g} deg)")
    return times


def cos_time_s(profile: Profile) -> np.ndarray:
    """FMVSS 126 completion of steer (COS) [s], (N,): when the angle settles for good.

    The first time after which each member stays at its final (held) value, which is zero
    for a sine with dwell: ``start_s + 1/f + dwell_s``. Exact on the table (COS is a
    breakpoint). A member that never moves returns ``time_s[0]``.
    """
    changes = profile.values != profile.values[:, -1:]
    last = profile.values.shape[1] - 1 - np.argmax(changes[:, ::-1], axis=1)  # last change
    idx = np.where(changes.any(axis=1), last + 1, 0)
    return profile.time_s[idx]


def fmvss126_amplitude_series(a_deg: float) -> np.ndarray:
    """Steering amplitudes [deg] of one FMVSS 126 sine-with-dwell series, increasing.

    ``a_deg`` (> 0) is A, the steering-wheel angle giving 0.3 g in the Slowly Increasing Steer
    test. The first run is 1.5 A; each next run adds 0.5 A as long as it does not exceed the
    final run; the final run is max(6.5 A, 270 deg) when 6.5 A <= 300 deg, else 300 deg (if
    any 0.5 A increment up to 6.5 A is above 300 deg, the last run is 300 deg). The final
    run is appended when it is not itself a multiple of 0.5 A. Examples: A = 20 -> 30, 40,
    ..., 270; A = 40 -> 60, 80, ..., 260, 270; A = 50 -> 75, 100, ..., 300.
    (If 1.5 A > 300 deg the series is just [300].)

    Numbers as in REFERENCES.md section 2.3, cross-checked against secondary sources, not
    against the text of 49 CFR 571.126 itself.
    """
    a = _scalar(a_deg, "a_deg")
    final = max(6.5 * a, 270.0) if 6.5 * a <= 300.0 else 300.0
    tol = 1e-9 * final
    runs = [k * 0.5 * a for k in range(3, int(math.floor(final / (0.5 * a) + 1e-9)) + 1)]
    runs = [r for r in runs if r <= final + tol]
    if not runs or runs[-1] < final - tol:
        runs.append(final)
    return np.array(runs)


# --------------------------------------------------------------------------- helpers

def _float_array(value, name: str) -> np.ndarray:
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise SpecError(_SOURCE, name, value, "must be real numbers") from None


def _check_finite(arr: np.ndarray, name: str) -> None:
    bad = np.argwhere(~np.isfinite(arr))
    if bad.size:
        idx = tuple(int(i) for i in bad[0])
        field = name + ("[" + ", ".join(map(str, idx)) + "]" if idx else "")
        raise SpecError(_SOURCE, field, float(arr[idx]), "must be finite")


def _member(name: str, i: int, size: int) -> str:
    return f"{name}[{i}]" if size > 1 else name


_RULES = {
    "finite": (lambda a: np.ones_like(a, dtype=bool), "must be finite"),
    "positive": (lambda a: a > 0.0, "must be finite and > 0"),
    "nonneg": (lambda a: a >= 0.0, "must be finite and >= 0"),
    "nonzero": (lambda a: a != 0.0, "must be finite and non-zero"),
    "direction": (lambda a: np.abs(a) == 1.0, "must be +1 (left first) or -1 (right first)"),
}


def _batch(**args) -> list[np.ndarray]:
    """Validate scalar-or-(N,) arguments ``name=(value, rule)``; return them broadcast to (N,)."""
    arrays = {}
    for name, (value, rule) in args.items():
        arr = _float_array(value, name)
        if arr.ndim > 1 or arr.size == 0:
            raise SpecError(_SOURCE, name, value, "must be a scalar or a non-empty 1-D array (N,)")
        arr = arr.reshape(-1)
        check, allowed = _RULES[rule]
        bad = np.flatnonzero(~(np.isfinite(arr) & check(arr)))
        if bad.size:
            i = int(bad[0])
            raise SpecError(_SOURCE, _member(name, i, arr.size), float(arr[i]), allowed)
        arrays[name] = arr
    batched = [(name, a.size) for name, a in arrays.items() if a.size > 1]
    first, n = batched[0] if batched else ("", 1)
    for name, arr in arrays.items():
        if arr.size not in (1, n):
            raise SpecError(_SOURCE, name, f"shape {arr.shape}",
                            f"must be a scalar or have the batch shape ({n},) of {first}")
    return [np.broadcast_to(a, (n,)).copy() for a in arrays.values()]


def _scalar(value, name: str) -> float:
    """A single finite number > 0."""
    arr = _float_array(value, name)
    if arr.size != 1 or not np.isfinite(arr.reshape(-1)[0]) or arr.reshape(-1)[0] <= 0.0:
        raise SpecError(_SOURCE, name, value, "must be one finite number > 0")
    return float(arr.reshape(-1)[0])


def _check_after_starts(end: float, start: np.ndarray) -> None:
    if end <= start.max():
        raise SpecError(_SOURCE, "duration_s", end,
                        f"must be > every start_s (largest {float(start.max())!r})")


def _sin_turns(turns: np.ndarray) -> np.ndarray:
    """sin(2 pi turns), exact (0, 1, 0, -1) at whole quarter turns."""
    quarter = 4.0 * np.mod(turns, 1.0)
    exact = quarter == np.round(quarter)
    table = np.array([0.0, 1.0, 0.0, -1.0])
    return np.where(exact, table[np.round(quarter).astype(np.int64) % 4],
                    np.sin(2.0 * np.pi * turns))


def _ramp_to(amp, start, end, duration_s) -> Profile:
    """0 until ``start``, linear to ``amp`` at ``end`` (>= start), held; all (N,)."""
    rise = end - start
    safe = np.where(rise > 0.0, rise, 1.0)

    def shape(t):
        frac = np.clip((t - start[:, None]) / safe[:, None], 0.0, 1.0)
        frac = np.where(t >= end[:, None], 1.0, frac)
        return amp[:, None] * frac

    return _build(shape, [start, end], [], start, end, duration_s)


def _build(shape, corners, smooth, start, active_end, duration_s) -> Profile:
    """Sample ``shape(t) -> (N, T)`` on every corner and a fine grid over the smooth spans.

    ``smooth`` lists ``(begin, end, frequency_hz)`` (each (N,)) of sinusoidal spans.
    """
    if duration_s is None:
        end = float(active_end.max())
        end = end if end > 0.0 else 1.0  # a step of amplitude 0 at t = 0: any end will do
    else:
        end = _scalar(duration_s, "duration_s")
        _check_after_starts(end, start)
    points = [np.array([0.0, end]), *(np.ravel(c) for c in corners)]
    for begin, finish, freq in smooth:
        a, b = float(begin.min()), float(finish.max())
        n = int(math.ceil((b - a) * POINTS_PER_PERIOD * float(freq.max()))) + 1
        points.append(np.linspace(a, b, n))
    grid = np.unique(np.concatenate(points))
    grid = grid[(grid >= 0.0) & (grid <= end)]
    return Profile(grid, shape(grid[None, :]))


def _first_reach(profile: Profile, level, sign) -> np.ndarray:
    """First time each member's ``sign * (value - level)`` becomes >= 0, exact on the table.

    NaN for a member that never gets there (callers turn that into an error).
    """
    gap = sign[:, None] * (profile.values - level[:, None])
    reached = gap >= 0.0
    k = np.argmax(reached, axis=1)
    prev = np.maximum(k - 1, 0)
    rows = np.arange(gap.shape[0])
    g0, g1 = gap[rows, prev], gap[rows, k]
    t0, t1 = profile.time_s[prev], profile.time_s[k]
    w = np.where(k > 0, -g0 / np.where(k > 0, g1 - g0, 1.0), 1.0)
    return np.where(reached.any(axis=1), t0 + w * (t1 - t0), np.nan)
