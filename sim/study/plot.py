"""Pictures of study results (needs matplotlib, extra ``sim[plots]``). Every function takes
the DataFrame of :func:`sim.study.run_study` (or of :func:`sim.study.sobol_indices`) and
returns the matplotlib ``Figure`` it drew on; failed points (status not ``"ok"``) are left out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.errors import SpecError

try:
    import matplotlib.pyplot as plt
except ImportError as exc:  # pragma: no cover - exercised only without matplotlib
    raise ImportError(
        "sim.study.plot needs matplotlib: install the plots extra, pip install 'sim[plots]'"
    ) from exc

__all__ = ["plot_heatmap", "plot_metric", "plot_scatter_matrix", "plot_sobol"]

_SOURCE = "<plot>"


def _column(frame, name: str, what: str):
    if name not in frame.columns:
        raise SpecError(_SOURCE, what, name, "a column of the results: "
                        + ", ".join(map(str, frame.columns)))
    return frame[name]


def _ok(frame):
    return frame[frame["status"] == "ok"] if "status" in frame.columns else frame


def _label(frame, name: str) -> str:
    unit = frame.attrs.get("units", {}).get(name)
    return f"{name} [{unit}]" if unit and unit != "-" else name


def plot_metric(frame, parameter: str, metric: str, *, by: str | Sequence[str] = "variant",
                fig=None):
    """``metric`` against ``parameter``, one line per value of ``by`` (a column or list of
    columns, e.g. ``("variant", "maneuver.controller")``); points averaged over any other
    axis. Returns the figure."""
    _column(frame, parameter, "parameter")
    _column(frame, metric, "metric")
    by = [by] if isinstance(by, str) else list(by)
    for b in by:
        _column(frame, b, "by")
    data = _ok(frame)
    if fig is None:
        fig = plt.figure(figsize=(6, 4), layout="constrained")
    ax = fig.subplots()
    for key, sub in data.groupby(by, sort=False):
        curve = sub.groupby(parameter)[metric].mean(numeric_only=False)
        ax.plot(curve.index.to_numpy(dtype=float), curve.to_numpy(dtype=float), "o-", ms=3,
                label=" / ".join(map(str, key if isinstance(key, tuple) else (key,))))
    ax.set_xlabel(_label(frame, parameter))
    ax.set_ylabel(_label(frame, metric))
    ax.grid(True, lw=0.3)
    ax.legend(fontsize=8)
    return fig


def plot_heatmap(frame, x: str, y: str, metric: str, *, fig=None, cmap: str = "viridis"):
    """Heat map of ``metric`` over the grid of parameters ``x`` and ``y`` (mean over any
    other axis). Returns the figure."""
    for name, what in ((x, "x"), (y, "y"), (metric, "metric")):
        _column(frame, name, what)
    table = _ok(frame).pivot_table(index=y, columns=x, values=metric, aggfunc="mean")
    if fig is None:
        fig = plt.figure(figsize=(6, 4.5), layout="constrained")
    ax = fig.subplots()
    xs, ys = table.columns.to_numpy(dtype=float), table.index.to_numpy(dtype=float)
    mesh = ax.pcolormesh(xs, ys, table.to_numpy(dtype=float), shading="nearest", cmap=cmap)
    fig.colorbar(mesh, ax=ax, label=_label(frame, metric))
    ax.set_xlabel(_label(frame, x))
    ax.set_ylabel(_label(frame, y))
    return fig


def plot_sobol(indices, *, metric: str | None = None, fig=None):
    """Sobol first-order and total indices as bars (one group per parameter, with the
    bootstrap intervals when present), from :func:`sim.study.sobol_indices`."""
    for name in ("metric", "parameter", "first_order", "total"):
        _column(indices, name, "indices")
    metrics = list(dict.fromkeys(indices["metric"]))
    metric = metric or metrics[0]
    sub = indices[indices["metric"] == metric]
    if sub.empty:
        raise SpecError(_SOURCE, "metric", metric, "one of " + ", ".join(metrics))
    if fig is None:
        fig = plt.figure(figsize=(max(4, 1.2 * len(sub) + 2), 3.8), layout="constrained")
    ax = fig.subplots()
    pos = np.arange(len(sub))
    for k, (col, label) in enumerate((("first_order", "first order S_i"),
                                      ("total", "total S_Ti"))):
        err = None
        if f"{col}_low" in sub.columns:
            err = np.abs(np.vstack([sub[col] - sub[f"{col}_low"],
                                    sub[f"{col}_high"] - sub[col]]).astype(float))
        ax.bar(pos + (k - 0.5) * 0.38, sub[col].to_numpy(dtype=float), 0.38, yerr=err,
               capsize=3, label=label)
    ax.set_xticks(pos, sub["parameter"], rotation=20, ha="right", fontsize=8)
    ax.set_ylabel("Sobol index [-]")
    ax.set_title(metric, fontsize=10)
    ax.axhline(0.0, color="k", lw=0.5)
    ax.legend(fontsize=8)
    return fig


def plot_scatter_matrix(frame, columns: Sequence[str], *, colour: str | None = None,
                        fig=None):
    """Scatter matrix of ``columns`` (parameters and metrics) over the points of a sample,
    histograms on the diagonal, points coloured by ``colour`` (a metric) if given."""
    cols = list(columns)
    for c in cols:
        _column(frame, c, "columns")
    data = _ok(frame)
    k = len(cols)
    if fig is None:
        fig = plt.figure(figsize=(2.2 * k + 1, 2.2 * k), layout="constrained")
    axes = np.atleast_2d(fig.subplots(k, k, squeeze=False))
    c = None if colour is None else _column(data, colour, "colour").to_numpy(dtype=float)
    for i, yi in enumerate(cols):
        for j, xj in enumerate(cols):
            ax = axes[i, j]
            if i == j:
                ax.hist(data[xj].to_numpy(dtype=float), bins=20, color="#777777")
            else:
                colouring = {} if c is None else {"c": c, "cmap": "viridis"}
                ax.scatter(data[xj].to_numpy(dtype=float), data[yi].to_numpy(dtype=float),
                           s=6, **colouring)
            if i == k - 1:
                ax.set_xlabel(xj, fontsize=7)
            if j == 0:
                ax.set_ylabel(yi, fontsize=7)
            ax.tick_params(labelsize=6)
    return fig
