"""What every maneuver returns (:class:`ManeuverResult`) and the shared batch-first helpers.

A maneuver runs one or several *run sets* (e.g. the left and right Slowly Increasing Steer, the
sine-with-dwell series), each as **one** call of :func:`sim.simulate` over every batch member
and every run, and reduces the time histories to metrics with :mod:`sim.metrics`. The vehicle
may be a batch (from :func:`sim.set_params`): metrics then hold one value per member.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from sim.chassis import two_track as tt
from sim.errors import SpecError
from sim.params import two_track_parameters
from sim.result import Result
from sim.simulate import Numerics, simulate
from sim.spec.params import get_param, param_paths, set_params
from sim.spec.vehicle import DEFAULT_LOAD_CASE, Vehicle
from sim.units import GRAVITY_MPS2

__all__ = [
    "ManeuverResult",
    "check_controller",
    "check_direction",
    "check_speed_kmh",
    "repeat_members",
    "resistance_force_n",
    "run_set",
    "select_members",
]

_SOURCE = "<argument>"
#: Direction words accepted by the maneuvers: +1 = left (counter-clockwise), -1 = right.
DIRECTIONS = {"left": 1, "ccw": 1, 1: 1, "right": -1, "cw": -1, -1: -1}


@dataclass(frozen=True, eq=False)
class ManeuverResult:
    """Result of a standard maneuver on a batch of N vehicles (members).

    Attributes
    ----------
    name : str
        The maneuver, e.g. ``"iso7401_step_steer"``.
    results : mapping of run-set name -> :class:`sim.Result`
        The time histories of each run set (``{"run": ...}``, ``{"sis_left": ..., "swd": ...}``).
        A run set may hold several runs per member: ``result_rows`` says which.
    metrics : mapping of metric name -> (N,) array
        One value per member (float, bool or int); the unit of each is in ``units``.
    units : mapping of metric name -> unit string (``"-"`` for ratios and flags)
    labels : mapping of str -> object
        What produced the result: vehicle, controller, speed, amplitudes found or given...
    per_run : mapping of name -> (N, R) array
        Metrics of each of the R runs of a member (e.g. the sine-with-dwell amplitudes x
        directions), described by ``run_labels``; empty when a maneuver has one run per member.
    run_labels : tuple of R str
        What each column of ``per_run`` is.
    result_rows : mapping of run-set name -> (N, K) int array or list of N int arrays
        Rows of ``results[name]`` that belong to each member (K runs each, or a different
        number per member); a run set missing here has row i for member i.
    inputs : mapping of run-set name -> steering profile
        The steering-wheel-angle profile (:class:`sim.driver.open_loop.Profile`, rad, one row
        per Result row) each run set was driven with, for plots and re-measuring.
    """

    name: str
    results: Mapping[str, Result]
    metrics: Mapping[str, np.ndarray]
    units: Mapping[str, str]
    labels: Mapping[str, object] = field(default_factory=dict)
    per_run: Mapping[str, np.ndarray] = field(default_factory=dict)
    run_labels: tuple[str, ...] = ()
    result_rows: Mapping[str, np.ndarray] = field(default_factory=dict)
    inputs: Mapping[str, object] = field(default_factory=dict)

    @property
    def batch_size(self) -> int:
        """Number of members N."""
        return int(np.size(next(iter(self.metrics.values())))) if self.metrics else 0

    def __getitem__(self, name: str) -> np.ndarray:
        """The (N,) array of metric ``name``."""
        try:
            return self.metrics[name]
        except KeyError:
            raise KeyError(f"no metric {name!r}; metrics are " + ", ".join(self.metrics)) \
                from None

    def rows_of(self, run_set: str, index: int) -> np.ndarray:
        """Rows of ``results[run_set]`` that belong to member ``index``."""
        rows = self.result_rows.get(run_set)
        return np.array([index]) if rows is None else np.asarray(rows[index])

    def member(self, index: int) -> ManeuverResult:
        """Member ``index`` as a ManeuverResult of one (its metrics, runs and time histories)."""
        n = self.batch_size
        if not (isinstance(index, numbers.Integral) and -n <= index < n):
            raise SpecError(_SOURCE, "index", index, f"a member index in [0, {n})")
        i = int(index) % n
        results, rows, inputs = {}, {}, {}
        for key, res in self.results.items():
            picked = self.rows_of(key, i)
            results[key] = res.take(picked)
            if key in self.result_rows:
                rows[key] = [np.arange(picked.size)]
            profile = self.inputs.get(key)
            if profile is not None:
                values = profile.values if profile.values.shape[0] == 1 else \
                    profile.values[picked]
                inputs[key] = type(profile)(profile.time_s, values)
        return ManeuverResult(
            self.name, results, {k: np.asarray(v)[i:i + 1] for k, v in self.metrics.items()},
            self.units, self.labels, {k: np.asarray(v)[i:i + 1] for k, v in self.per_run.items()},
            self.run_labels, rows, inputs)

    @property
    def flag_names(self) -> list[tuple[str, ...]]:
        """Per member, the validity flags one of its runs raised (e.g. ``tyre_load_fl``: a
        wheel load outside the ``.tir`` file's range, at any integration step; see
        :attr:`sim.Result.raised`), sorted; empty for a member that stayed valid."""
        names: list[set] = [set() for _ in range(self.batch_size)]
        for key, res in self.results.items():
            for name, hit in res.raised.items():
                for i in range(self.batch_size):
                    if hit[self.rows_of(key, i)].any():
                        names[i].add(name)
        return [tuple(sorted(found)) for found in names]

    @property
    def flagged(self) -> np.ndarray:
        """(N,) bool: members one of whose runs left a model's validity (tyre load, slip or
        slip angle outside the ``.tir`` file's ranges, the steering wheel beyond its lock;
        see :attr:`flag_names`). Their metrics were computed from extrapolated models: read
        them with care."""
        return np.array([bool(names) for names in self.flag_names], dtype=bool)

    def flag_report(self) -> list[str]:
        """What was flagged, one line per (member, run set, row, flag); empty if nothing."""
        lines = []
        for key, res in self.results.items():
            if not res.flagged.any():
                continue
            for i in range(self.batch_size):
                for row in self.rows_of(key, i):
                    for line in res.flag_report(int(row)):
                        lines.append(f"member {i}, run set {key!r}, row {int(row)}: "
                                     + line.split(": ", 1)[1])
        return lines

    def rows(self) -> list[dict]:
        """One dict per metric: ``{"metric", "unit", "values"}`` (values: list of N)."""
        return [{"metric": k, "unit": self.units.get(k, ""), "values": np.asarray(v).tolist()}
                for k, v in self.metrics.items()]

    def table(self, *, member_names=None) -> str:
        """The metrics as aligned text: one line per metric, one column per member."""
        n = self.batch_size
        names = list(member_names) if member_names is not None else (
            [str(self.labels.get("vehicle", "value"))] if n == 1 else [f"[{i}]" for i in range(n)])
        lines = [[f"{self.name}", "unit", *names]]
        for row in self.rows():
            lines.append([row["metric"], row["unit"], *(_fmt(v) for v in row["values"])])
        widths = [max(len(r[c]) for r in lines) for c in range(len(lines[0]))]
        text = ["  ".join(c.ljust(w) if k < 2 else c.rjust(w)
                          for k, (c, w) in enumerate(zip(r, widths, strict=True)))
                for r in lines]
        flags = self.flag_report()
        if flags:
            text += ["", "FLAGGED (outside a model's validity; these members' numbers come "
                     "from an extrapolated model):"] + [f"  {line}" for line in flags[:20]]
            if len(flags) > 20:
                text.append(f"  ... and {len(flags) - 20} more")
        return "\n".join(text)

    def per_run_table(self, member: int = 0) -> str:
        """The per-run metrics of member ``member`` as aligned text: one line per run (the
        ``run_labels``), one column per per-run metric; padding columns are left out."""
        if not self.per_run:
            return f"{self.name}: one run per member (no per-run metrics)"
        valid = np.asarray(self.per_run.get("valid", np.ones_like(
            next(iter(self.per_run.values())), dtype=bool)))[member]
        keys = [k for k in self.per_run if k != "valid"]
        lines = [["run", *keys]]
        lines += [[label, *(_fmt(np.asarray(self.per_run[k])[member, j].item()) for k in keys)]
                  for j, label in enumerate(self.run_labels) if valid[j]]
        widths = [max(len(r[c]) for r in lines) for c in range(len(lines[0]))]
        return "\n".join("  ".join(c.ljust(w) if k == 0 else c.rjust(w)
                                   for k, (c, w) in enumerate(zip(r, widths, strict=True)))
                         for r in lines)

    def __str__(self) -> str:
        return self.table()

    def to_dict(self) -> dict:
        """Plain-Python form (JSON-ready): name, labels, metrics with units, per-run metrics."""
        return {
            "name": self.name,
            "labels": {k: _plain(v) for k, v in self.labels.items()},
            "metrics": {k: {"unit": self.units.get(k, ""), "values": _plain(v)}
                        for k, v in self.metrics.items()},
            "run_labels": list(self.run_labels),
            "per_run": {k: {"unit": self.units.get(k, ""), "values": _plain(v)}
                        for k, v in self.per_run.items()},
            "flagged": _plain(self.flagged),
            "flags": self.flag_report(),
        }

    def to_pandas(self):
        """A pandas DataFrame (needs pandas): one row per member, one column per metric, the
        unit in the column name (``"response_time_s [s]"`` is written ``response_time_s``
        when the unit is already in the name)."""
        import pandas as pd

        data = {}
        for k, v in self.metrics.items():
            unit = self.units.get(k, "")
            data[k if not unit or unit == "-" or k.endswith(_unit_suffix(unit))
                 else f"{k} [{unit}]"] = np.asarray(v)
        frame = pd.DataFrame(data)
        frame.index.name = "member"
        return frame


def _unit_suffix(unit: str) -> str:
    return {"s": "_s", "m": "_m", "deg": "_deg", "km/h": "_kmh", "m/s²": "_mps2"}.get(unit, "\0")


def _fmt(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return str(value)
    if isinstance(value, numbers.Real):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return f"{value:.4g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.3e}"
    return str(value)


def _plain(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


# ---------------------------------------------------------------------------- input checks

def check_direction(direction, name: str = "direction") -> int:
    """+1 (left, counter-clockwise) or -1 (right, clockwise) from ``"left"``/``"right"``,
    ``"ccw"``/``"cw"`` or +1/-1; anything else raises :class:`SpecError`."""
    key = direction.lower() if isinstance(direction, str) else direction
    if isinstance(key, bool) or not isinstance(key, str | numbers.Integral) \
            or key not in DIRECTIONS:
        raise SpecError(_SOURCE, name, direction,
                        "'left' (+1, counter-clockwise) or 'right' (-1, clockwise)")
    return DIRECTIONS[key]


def check_speed_kmh(speed_kmh, name: str = "speed_kmh", low: float = 1.0,
                    high: float = 400.0) -> float:
    """One finite speed in [low, high] km/h."""
    if isinstance(speed_kmh, bool) or not isinstance(speed_kmh, numbers.Real) \
            or not math.isfinite(speed_kmh) or not low <= speed_kmh <= high:
        raise SpecError(_SOURCE, name, speed_kmh, f"one number in [{low:g}, {high:g}] [km/h]")
    return float(speed_kmh)


def check_controller(controller) -> str:
    """The controller name, passed through to :func:`sim.simulate` (which validates it)."""
    if not isinstance(controller, str):
        raise SpecError(_SOURCE, "controller", controller, "a controller name, e.g. 'passive'")
    return controller


# ---------------------------------------------------------------------------- batches

def repeat_members(vehicle: Vehicle, runs: int) -> Vehicle:
    """A batch of ``N * runs`` members from a batch of N: member ``i * runs + j`` is member
    ``i`` (for every ``j``). A single vehicle is returned unchanged (:func:`sim.simulate`
    repeats it over the runs by itself)."""
    if vehicle.batch_size == 1 or runs == 1:
        return vehicle
    return select_members(vehicle, np.repeat(np.arange(vehicle.batch_size), runs))


def select_members(vehicle: Vehicle, index) -> Vehicle:
    """A batch whose member ``k`` is member ``index[k]`` of ``vehicle`` (any 1-D integer array,
    repeats allowed: e.g. a different number of runs per member). A single vehicle is returned
    unchanged (:func:`sim.simulate` repeats it over the runs)."""
    n = vehicle.batch_size
    index = np.asarray(index, dtype=np.int64).reshape(-1)
    if index.size and (index.min() < 0 or index.max() >= n):
        raise SpecError(_SOURCE, "index", index.tolist(), f"member indices in [0, {n})")
    if n == 1:
        return vehicle
    values = {}
    for path in param_paths(vehicle):
        value = get_param(vehicle, path)
        if isinstance(value, np.ndarray):
            values[path] = value[index]
    return set_params(vehicle, values)


def run_set(vehicle: Vehicle, runs, *, speed_kmh, duration_s: float,
            steering_wheel_angle_rad=0.0, force_demand_n=0.0, controller: str = "passive",
            load_case: str = DEFAULT_LOAD_CASE, road_friction=1.0,
            tyre_model: str = "mf61", linear_tyre_stiffness=None,
            numerics: Numerics | None = None, record=None) -> tuple[Result, np.ndarray]:
    """One :func:`sim.simulate` call for ``runs`` runs of each of the N members of ``vehicle``.

    ``runs``: an int (the same number for every member), or a 1-D integer array giving, for
    each run (row), the member it belongs to (member-major, e.g. ``[0, 0, 0, 1, 1]``).
    Inputs (steering profile, force demand, speed) are given per run with one row per run,
    ordered member-major (for an int, row ``i * runs + j`` is run ``j`` of member ``i``), or
    shared (one row). Returns ``(result, rows)`` with ``rows`` a list of N index arrays: the
    Result rows of each member (an (N, runs) array for an int).
    Members that spin out or go non-finite are flagged in ``result.status``, never raised,
    also for a single run (``strict=False``). ``record``: the channels to keep (None: all;
    see :func:`sim.simulate`).
    """
    n = vehicle.batch_size
    if isinstance(runs, numbers.Integral):
        owner = np.repeat(np.arange(n), int(runs))
    else:
        owner = np.asarray(runs, dtype=np.int64).reshape(-1)
        if owner.size == 0 or np.any(np.diff(owner) < 0):
            raise SpecError(_SOURCE, "runs", runs, "a member index per run, non-decreasing")
    total = owner.size
    batch = select_members(vehicle, owner)
    kwargs = dict(speed_kmh=speed_kmh,
                  duration_s=duration_s, steering_wheel_angle_rad=steering_wheel_angle_rad,
                  force_demand_n=force_demand_n, controller=controller, load_case=load_case,
                  road_friction=road_friction, tyre_model=tyre_model,
                  linear_tyre_stiffness=linear_tyre_stiffness, numerics=numerics,
                  strict=False, record=record)
    if n == 1 and np.ndim(speed_kmh) == 0:
        kwargs["speed_kmh"] = np.full(total, float(speed_kmh))  # N runs of one vehicle
    result = simulate(batch, **kwargs)
    if isinstance(runs, numbers.Integral):
        return result, np.arange(total).reshape(n, int(runs))
    return result, [np.flatnonzero(owner == i) for i in range(n)]


def resistance_force_n(vehicle: Vehicle, speed_mps, load_case: str = DEFAULT_LOAD_CASE
                       ) -> np.ndarray:
    """Driving resistance on a level road at ``speed_mps`` [m/s], straight running [N], (N,)
    per member (or broadcast against an array of speeds).

    ``F = 1/2 rho CdA v² + B v + f_rr (m g + 1/2 rho (A_f + A_r) v²)``: aerodynamic drag, the
    linear coast-down term and rolling resistance of the wheel loads including downforce,
    exactly the terms of the two-track model (:mod:`sim.chassis.two_track`: drag at the
    body, rolling-resistance torque ``f_rr Fz R`` per wheel). Cornering drag (tyre lateral
    forces projected on x) is not in it.
    """
    params, _, _ = two_track_parameters(vehicle, load_case)

    def col(name):
        return params[:, tt.PARAMETER_NAMES.index(name)]

    v = np.asarray(speed_mps, dtype=float)
    q = 0.5 * col("air_density_kgpm3") * v**2 if v.ndim == 0 else \
        0.5 * col("air_density_kgpm3")[:, None] * v**2
    expand = (lambda a: a) if v.ndim == 0 else (lambda a: a[:, None])
    downforce_area = col("front_downforce_area_m2") + col("rear_downforce_area_m2")
    return (q * expand(col("drag_area_m2")) + expand(col("road_load_b_n_per_mps")) * v
            + expand(col("rolling_resistance_coefficient"))
            * (expand(col("mass_kg")) * GRAVITY_MPS2 + q * expand(downforce_area)))

