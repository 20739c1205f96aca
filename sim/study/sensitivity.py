"""Sensitivity of study metrics to the varied parameters: global (Sobol indices) and local
(one-at-a-time central differences).

**Sobol indices with scipy's estimators, not SALib.** :func:`scipy.stats.sobol_indices` (SciPy
>= 1.11, a core dependency already) computes first-order and total indices with the Saltelli
(2010) / Jansen estimators from the evaluations at the A, B and AB_i matrices; they are
written out here (:func:`saltelli_jansen`, equal to scipy's to rounding, tested) so that the
BCa bootstrap of the confidence intervals runs through :func:`scipy.stats.bootstrap` with a
seeded generator (scipy's own ``SobolResult.bootstrap`` draws from an unseeded one: the same
table gave different intervals on every call). The simulations stay in a study (chunked,
checkpointed, on any executor); only the arithmetic is here. SALib
(installed here) offers more methods (Morris, FAST, second-order indices) but would be one
more dependency for the same two numbers; :class:`sim.study.Sample` builds the design
(``method="saltelli"``: n A rows, n B rows, then n rows of each AB_i, A with column i from B,
all from one scrambled Sobol sequence of dimension 2d, seeded) and :func:`sobol_indices`
reads a results table back into scipy's form.

**Local gradients**: :func:`local_study` builds the one-at-a-time design around a centre
(each parameter at ``x (1 - h)`` and ``x (1 + h)``, the others at the centre, ``h`` the
relative step; a parameter at 0 moves by ``h`` absolutely) and :func:`local_gradients`
reads the central differences ``(f(x+) - f(x-)) / (x+ - x-)`` and the normalised
sensitivities (elasticities) ``x / f(x) * df/dx`` back from its results.
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from sim.errors import SpecError
from sim.study.definition import Study

__all__ = ["local_gradients", "local_study", "saltelli_jansen", "sobol_indices"]

_SOURCE = "<sensitivity>"


def saltelli_jansen(f_a, f_b, f_ab):
    """First-order (Saltelli 2010) and total (Jansen 1999) Sobol indices ``(s, d)`` each, from
    the evaluations ``f_a``, ``f_b`` ``(s, n)`` at the A and B matrices and ``f_ab`` ``(d, s,
    n)`` at the AB_i matrices (the estimators of :func:`scipy.stats.sobol_indices`, Saltelli
    et al. 2010, Table 2 (b) and (f)): ``S_i = mean(f_B (f_ABi - f_A)) / V``, ``S_Ti = mean((f_A
    - f_ABi)²) / (2 V)``, ``V`` the variance of ``f_A`` and ``f_B`` together, every ``f`` first
    less the mean of ``f_A`` and ``f_B`` (Sobol' & Levitan 1999, as scipy does)."""
    mean = np.mean(np.stack([f_a, f_b]), axis=(0, -1))[:, None]
    f_a, f_b, f_ab = f_a - mean, f_b - mean, f_ab - mean
    var = np.var(np.stack([f_a, f_b]), axis=(0, -1))
    first = np.mean(f_b * (f_ab - f_a), axis=-1) / var
    total = 0.5 * np.mean((f_a - f_ab) ** 2, axis=-1) / var
    return first.T, total.T


def sobol_indices(frame, metrics, *, confidence: float | None = 0.95,
                  n_resamples: int = 999, seed: int = 0):
    """First-order and total Sobol indices of ``metrics`` (a name or a list) from the results
    of a study whose sample has ``method="saltelli"`` (one variant, one maneuver, no grid:
    every point of the table is one row of the design).

    Returns a DataFrame, one row per (metric, parameter): ``first_order``, ``total`` and,
    with ``confidence``, bootstrap ``first_order_low/high``, ``total_low/high`` (BCa over
    ``n_resamples`` resamples of the design's rows, drawn from ``seed``: the same table gives
    the same intervals). A metric with
    a non-finite value at some point raises :class:`sim.SpecError` (scipy requires finite
    evaluations): drop or fix the failed points first.
    """
    import pandas as pd
    from scipy import stats

    definition = frame.attrs.get("study", {})
    sample = definition.get("sample") or {}
    if sample.get("method") != "saltelli":
        raise SpecError(_SOURCE, "sample.method", sample.get("method"),
                        "'saltelli' (the design of a Sobol-index study)")
    params = list(sample["ranges"])
    d, n = len(params), int(sample["n"])
    if len(frame) != n * (d + 2):
        raise SpecError(_SOURCE, "points", len(frame),
                        f"n (d + 2) = {n * (d + 2)} points: one variant, one maneuver and no "
                        "grid beside the Saltelli sample")
    names = [metrics] if isinstance(metrics, str) else list(metrics)
    values = []
    for name in names:
        if name not in frame.columns:
            raise SpecError(_SOURCE, "metrics", name, "a metric column of the results")
        v = frame[name].to_numpy(dtype=float)
        bad = ~np.isfinite(v)
        if bad.any():
            raise SpecError(_SOURCE, name, f"{int(bad.sum())} non-finite values (first at "
                            f"point {int(np.flatnonzero(bad)[0])})",
                            "finite values at every point of the design")
        values.append(v)
    f = np.array(values)  # (s, n (d + 2))
    f_a, f_b = f[:, :n], f[:, n:2 * n]
    f_ab = np.stack([f[:, (2 + i) * n:(3 + i) * n] for i in range(d)])  # (d, s, n)
    def indices(rows):
        """(2, s, d): first-order and total indices from the design rows ``rows``."""
        return np.stack(saltelli_jansen(f_a[:, rows], f_b[:, rows], f_ab[..., rows]))

    first, total = indices(np.arange(n))
    low = high = None
    if confidence is not None:
        # scipy's SobolResult.bootstrap draws from an unseeded generator (and its jackknife
        # needs the estimator on n - 1 rows, which scipy.stats.sobol_indices refuses)
        rng = np.random.default_rng(seed)
        seeding = {"rng": rng} if "rng" in inspect.signature(stats.bootstrap).parameters \
            else {"random_state": rng}
        ci = stats.bootstrap((np.arange(n),), lambda rows: indices(rows.astype(np.int64)),
                             vectorized=False, n_resamples=n_resamples,
                             confidence_level=confidence, method="BCa",
                             **seeding).confidence_interval
        low, high = ci.low, ci.high
    rows = []
    for s, name in enumerate(names):
        for i, p in enumerate(params):
            row = {"metric": name, "parameter": p, "first_order": first[s, i],
                   "total": total[s, i]}
            if low is not None:
                row.update(first_order_low=low[0, s, i], first_order_high=high[0, s, i],
                           total_low=low[1, s, i], total_high=high[1, s, i])
            rows.append(row)
    return pd.DataFrame(rows)


def local_study(study: Study, centre: Mapping[str, float], *,
                relative_step: float = 0.01) -> Study:
    """``study`` with its grid, zips and sample replaced by the one-at-a-time design around
    ``centre`` (axis -> value): point 0 the centre, then for each axis ``x (1 - h)`` and
    ``x (1 + h)`` (``h = relative_step``; ``±h`` itself where ``x = 0``). Variants,
    maneuvers and fixed settings are kept."""
    if not isinstance(centre, Mapping) or not centre:
        raise SpecError(_SOURCE, "centre", centre, "a mapping of axis -> value")
    h = relative_step
    if isinstance(h, bool) or not isinstance(h, numbers.Real) or not 0.0 < h < 0.5:
        raise SpecError(_SOURCE, "relative_step", h, "a number in (0, 0.5)")
    columns = {axis: [] for axis in centre}
    for axis, x in centre.items():
        if isinstance(x, bool) or not isinstance(x, numbers.Real) or not np.isfinite(x):
            raise SpecError(_SOURCE, f"centre.{axis}", x, "a finite number")
    for k in range(1 + 2 * len(centre)):
        moved, sign = divmod(k - 1, 2) if k else (None, 0)
        for j, (axis, x) in enumerate(centre.items()):
            x = float(x)
            if k and j == moved:
                step = h * abs(x) if x != 0.0 else h
                x = x - step if sign == 0 else x + step
            columns[axis].append(x)
    return replace(study, grid={}, zip=(columns,), sample=None)


def local_gradients(frame, metrics: str | Sequence[str]):
    """Central differences from the results of a :func:`local_study`: a DataFrame with one
    row per (variant, maneuver, metric, parameter): ``centre`` (the parameter's value),
    ``value`` (the metric at the centre), ``gradient`` (per unit of the parameter) and
    ``elasticity`` (``x / f * df/dx``: percent of metric per percent of parameter)."""
    import pandas as pd

    definition = frame.attrs.get("study", {})
    zips = definition.get("zip") or []
    if len(zips) != 1 or definition.get("grid") or definition.get("sample"):
        raise SpecError(_SOURCE, "study", "not a local study",
                        "the results of a study from sim.study.local_study")
    params = list(zips[0])
    names = [metrics] if isinstance(metrics, str) else list(metrics)
    k = 1 + 2 * len(params)
    rows = []
    for (variant, maneuver), sub in frame.groupby(["variant", "maneuver"], sort=False):
        if len(sub) % k:
            raise SpecError(_SOURCE, "points", len(sub), f"a multiple of {k}")
        for start in range(0, len(sub), k):
            block = sub.iloc[start:start + k]
            for name in names:
                if name not in block.columns:
                    raise SpecError(_SOURCE, "metrics", name, "a metric column of the results")
                f = block[name].to_numpy(dtype=float)
                for j, p in enumerate(params):
                    x = block[p].to_numpy(dtype=float)
                    lo, hi = 1 + 2 * j, 2 + 2 * j
                    grad = (f[hi] - f[lo]) / (x[hi] - x[lo])
                    with np.errstate(divide="ignore", invalid="ignore"):
                        elastic = x[0] / f[0] * grad
                    rows.append({"variant": variant, "maneuver": maneuver, "metric": name,
                                 "parameter": p, "centre": x[0], "value": f[0],
                                 "gradient": grad, "elasticity": elastic})
    return pd.DataFrame(rows)
