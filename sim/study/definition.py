"""What a study varies and measures: :class:`Study` (a frozen dataclass, also read from TOML).

A study is the cross product of its *dimensions*, in this order:

1. ``variants`` -- built-in vehicle names (or vehicle-file paths);
2. ``maneuvers`` -- names of :data:`MANEUVERS` (``"step_steer"``, ``"sine_with_dwell"``,
   ``"constant_radius"``, ``"constant_speed"``, ``"straight_line"``,
   ``"double_lane_change"``, ``"drive_cycle"``) or ``"package.module:function"`` for a
   function of your own (``fn(vehicle_batch, **settings)`` returning a
   :class:`sim.maneuvers.ManeuverResult` or a mapping of metric name -> (N,) array);
3. each entry of ``grid`` (``axis -> list of values``), one dimension per axis;
4. each group of ``zip`` (``axis -> list``, all lists of one group the same length), one
   dimension per group, its lists walked together;
5. ``sample`` (:class:`Sample`: Latin hypercube, Sobol, Halton or the Saltelli design of a
   Sobol-index study, over ranges of axes), one dimension of ``sample.n`` (x ``d + 2`` for
   Saltelli) points.

An *axis* is a name in one of these namespaces:

* a dotted vehicle path (:func:`sim.param_paths`, e.g. ``packs.front.energy_kwh``,
  ``adm.friction_bound_factor``), set per member with :func:`sim.set_params`;
* ``split.front_energy_share`` -- the front pack's share of the total pack energy
  (:func:`sim.split_packs`: both pack energies follow, the total stays);
* ``road.friction`` [-] and ``road.grade_rad`` [rad] -- the road (passed to the maneuver as
  ``road_friction`` / ``road_grade_rad``);
* ``maneuver.<keyword>`` -- a keyword argument of the maneuver function (``speed_kmh``,
  ``radius_m``, ``controller``, ``cycle``...);
* ``numerics.<field>`` -- a field of :class:`sim.Numerics` (``scheme``, ``time_step_s``,
  ``output_interval_s``...), passed to the maneuvers that take ``numerics``: e.g.
  ``fixed={"numerics.scheme": "rk4", "numerics.time_step_s": 0.002}`` runs every point with
  the reference scheme, RK4 at 2 ms (a few times slower than the default Rosenbrock-W scheme
  at 10 ms; see :class:`sim.Numerics`).

``fixed`` holds settings that do not vary (same namespaces). Everything is validated when the
study is built (:meth:`Study.plan`), before anything is simulated: an unknown path, a value out
of its field's bounds or an unknown maneuver keyword raises :class:`sim.SpecError` naming it.

**Batches and chunks.** Points that share the variant, the maneuver and every setting that is
not per member (the maneuver's keywords, except the few a maneuver takes per member, see
:data:`PER_MEMBER_SETTINGS`) form one *group*, simulated as batches of at most ``chunk_size``
members: a *chunk*, the unit of work, of checkpointing and of retry. The chunk layout depends
on the definition only, so the results are the same whichever executor runs them.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import math
import numbers
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType

import numpy as np

from sim.errors import SpecError

__all__ = [
    "MANEUVERS",
    "PER_MEMBER_SETTINGS",
    "SAMPLE_METHODS",
    "Chunk",
    "Plan",
    "Sample",
    "Study",
    "load_study",
    "maneuver_function",
]

_SOURCE = "<study>"

#: Road settings: axis -> (maneuver keyword, low, high, unit).
ROAD_AXES = {
    "road.friction": ("road_friction", 0.05, 2.0, "-"),
    "road.grade_rad": ("road_grade_rad", -0.5, 0.5, "rad"),
}
SPLIT_AXIS = "split.front_energy_share"
SAMPLE_METHODS = ("latin_hypercube", "sobol", "halton", "saltelli")


def _drive_cycle(vehicle, *, cycle="wltc_class3b", **kwargs):
    """:func:`sim.energy.drive_cycle` without time histories, reduced to per-member metrics."""
    from sim.energy import drive_cycle

    res = drive_cycle(vehicle, cycle, record=False, **kwargs)
    out = {"distance_km": res.distance_km,
           "terminal_consumption_wh_per_km": res.terminal_consumption_wh_per_km,
           "fuel_l_per_100km": res.fuel_l_per_100km,
           "co2_g_per_km": res.co2_g_per_km,
           "run_ok": res.status == "ok"}
    out.update(res.energy_table_kwh())
    return out


def _registry() -> dict[str, Callable]:
    from sim import maneuvers as m

    return {"step_steer": m.step_steer, "sine_with_dwell": m.sine_with_dwell,
            "constant_radius": m.constant_radius, "constant_speed": m.constant_speed,
            "straight_line": m.straight_line, "double_lane_change": m.double_lane_change,
            "drive_cycle": _drive_cycle}


#: Names accepted in ``maneuvers`` (besides ``"module:function"``).
MANEUVERS = ("step_steer", "sine_with_dwell", "constant_radius", "constant_speed",
             "straight_line", "double_lane_change", "drive_cycle")

#: Keywords a maneuver takes per member ((N,) arrays): points differing in them share a batch.
#: A function of your own declares its own with an attribute ``per_member`` (a set of names).
PER_MEMBER_SETTINGS = {
    "step_steer": frozenset({"road_friction", "steering_wheel_amplitude_deg"}),
    "sine_with_dwell": frozenset({"sis_angle_deg"}),
}


def maneuver_function(name: str) -> Callable:
    """The function behind maneuver ``name`` (a :data:`MANEUVERS` name or ``module:function``)."""
    if not isinstance(name, str):
        raise SpecError(_SOURCE, "maneuvers", name, "a maneuver name (a str)")
    if ":" in name:
        module, _, attr = name.partition(":")
        try:
            fn = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            raise SpecError(_SOURCE, "maneuvers", name,
                            f"an importable 'module:function' ({type(exc).__name__}: {exc})"
                            ) from None
        if not callable(fn):
            raise SpecError(_SOURCE, "maneuvers", name, "a callable")
        return fn
    registry = _registry()
    if name not in registry:
        raise SpecError(_SOURCE, "maneuvers", name,
                        "one of " + ", ".join(MANEUVERS) + " or 'module:function'")
    return registry[name]


def _known_metrics() -> dict[str, frozenset]:
    """Metric names of the built-in maneuvers that declare them (their ``*_UNITS``)."""
    from sim.maneuvers.sine_with_dwell import SINE_WITH_DWELL_UNITS
    from sim.maneuvers.steady_state import STEADY_STATE_UNITS
    from sim.maneuvers.step_steer import STEP_STEER_UNITS
    from sim.maneuvers.straight_line import STRAIGHT_LINE_UNITS

    return {"step_steer": frozenset(STEP_STEER_UNITS),
            "sine_with_dwell": frozenset(SINE_WITH_DWELL_UNITS),
            "constant_radius": frozenset(STEADY_STATE_UNITS),
            "constant_speed": frozenset(STEADY_STATE_UNITS),
            "straight_line": frozenset(STRAIGHT_LINE_UNITS)}


def _per_member(name: str, fn: Callable) -> frozenset:
    return frozenset(getattr(fn, "per_member", PER_MEMBER_SETTINGS.get(name, frozenset())))


def _plain(value):
    """JSON-ready, canonical form of a setting value."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool | str) or value is None:
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Sequence | np.ndarray):
        return [_plain(v) for v in value]
    raise SpecError(_SOURCE, "value", value, "a number, bool, string or list of them")


def _freeze(mapping, what: str) -> Mapping:
    if mapping is None:
        return MappingProxyType({})
    if not isinstance(mapping, Mapping):
        raise SpecError(_SOURCE, what, mapping, "a mapping of axis name -> values")
    return MappingProxyType({str(k): v for k, v in mapping.items()})


def _values(axis: str, values, what: str) -> list:
    if isinstance(values, str) or not isinstance(values, Sequence | np.ndarray):
        raise SpecError(_SOURCE, f"{what}.{axis}", values, "a list of values")
    out = [_plain(v) for v in values]
    if not out:
        raise SpecError(_SOURCE, f"{what}.{axis}", values, "at least one value")
    return out


@dataclass(frozen=True)
class Sample:
    """A space-filling sample of ``n`` points over ``ranges`` (axis -> (low, high)), uniform.

    ``method``: ``"latin_hypercube"``, ``"sobol"`` (scrambled; ``n`` a power of 2 keeps its
    balance), ``"halton"`` (all from :mod:`scipy.stats.qmc`, seeded with ``seed``), or
    ``"saltelli"``: the A, B and AB_i matrices of a Sobol-index study (``n`` a power of 2;
    ``n (d + 2)`` points, read back by :func:`sim.study.sobol_indices`).
    """

    ranges: Mapping[str, tuple[float, float]]
    n: int
    method: str = "sobol"
    seed: int = 0

    def __post_init__(self):
        object.__setattr__(self, "ranges", _freeze(self.ranges, "sample.ranges"))
        if not self.ranges:
            raise SpecError(_SOURCE, "sample.ranges", {}, "at least one axis -> [low, high]")
        for axis, rng in self.ranges.items():
            ok = isinstance(rng, Sequence) and len(rng) == 2 and all(
                isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)
                for v in rng) and rng[0] < rng[1]
            if not ok:
                raise SpecError(_SOURCE, f"sample.ranges.{axis}", rng,
                                "[low, high], two finite numbers, low < high")
        if self.method not in SAMPLE_METHODS:
            raise SpecError(_SOURCE, "sample.method", self.method,
                            "one of " + ", ".join(SAMPLE_METHODS))
        if isinstance(self.n, bool) or not isinstance(self.n, numbers.Integral) \
                or not 1 <= self.n <= 1_000_000:
            raise SpecError(_SOURCE, "sample.n", self.n, "a whole number in [1, 1e6]")
        if self.method == "saltelli" and (self.n < 2 or self.n & (self.n - 1)):
            raise SpecError(_SOURCE, "sample.n", self.n,
                            "a power of 2 (>= 2) for the Saltelli design")
        if isinstance(self.seed, bool) or not isinstance(self.seed, numbers.Integral) \
                or self.seed < 0:
            raise SpecError(_SOURCE, "sample.seed", self.seed, "a whole number >= 0")

    @property
    def axes(self) -> tuple[str, ...]:
        return tuple(self.ranges)

    def unit_points(self) -> np.ndarray:
        """The sample in the unit cube, (points, d); Saltelli: rows [A; B; AB_1 .. AB_d]."""
        from scipy.stats import qmc

        d = len(self.ranges)
        if self.method == "latin_hypercube":
            return qmc.LatinHypercube(d=d, rng=np.random.default_rng(self.seed)).random(self.n)
        if self.method == "halton":
            return qmc.Halton(d=d, rng=np.random.default_rng(self.seed)).random(self.n)
        if self.method == "sobol":
            return qmc.Sobol(d=d, rng=np.random.default_rng(self.seed)).random(self.n)
        base = qmc.Sobol(d=2 * d, rng=np.random.default_rng(self.seed)).random(self.n)
        a, b = base[:, :d], base[:, d:]
        blocks = [a, b]
        for i in range(d):
            ab = a.copy()
            ab[:, i] = b[:, i]
            blocks.append(ab)
        return np.concatenate(blocks)

    def points(self) -> np.ndarray:
        """The sample scaled to ``ranges``, (points, d)."""
        low = np.array([r[0] for r in self.ranges.values()], dtype=float)
        high = np.array([r[1] for r in self.ranges.values()], dtype=float)
        return low + self.unit_points() * (high - low)

    def blocks(self) -> np.ndarray:
        """Saltelli block of every point: 0 = A, 1 = B, 2 + i = AB_i; zeros otherwise."""
        if self.method != "saltelli":
            return np.zeros(self.n, dtype=np.int64)
        return np.repeat(np.arange(len(self.ranges) + 2), self.n)

    def to_dict(self) -> dict:
        return {"ranges": {k: [float(v[0]), float(v[1])] for k, v in self.ranges.items()},
                "n": int(self.n), "method": self.method, "seed": int(self.seed)}


@dataclass(frozen=True)
class Chunk:
    """One unit of work: ``points`` (indices into the plan's points) of one group."""

    index: int
    group: int
    points: tuple[int, ...]


@dataclass(frozen=True)
class Study:
    """A study definition (see the module docstring). Frozen; :meth:`to_dict` and
    :meth:`digest` give its canonical JSON form and hash; :func:`load_study` reads TOML.

    Attributes
    ----------
    name : str
    variants : tuple of str -- built-in vehicle names or ``.toml`` paths
    maneuvers : tuple of str -- :data:`MANEUVERS` names or ``module:function``
    grid : mapping axis -> list of values (full factorial)
    zip : tuple of mappings axis -> list (each mapping one dimension, lists walked together)
    sample : :class:`Sample` or None
    fixed : mapping axis -> value (settings that do not vary)
    metrics : tuple of str -- metric columns to keep (empty: every metric)
    chunk_size : int -- members per batch (the unit of checkpoint and retry)
    load_case : str -- the mass model's load case (passed to the maneuver)
    """

    name: str = "study"
    variants: tuple[str, ...] = ("coupe",)
    maneuvers: tuple[str, ...] = ("step_steer",)
    grid: Mapping[str, Sequence] = field(default_factory=dict)
    zip: tuple[Mapping[str, Sequence], ...] = ()
    sample: Sample | None = None
    fixed: Mapping[str, object] = field(default_factory=dict)
    metrics: tuple[str, ...] = ()
    chunk_size: int = 64
    load_case: str | None = None

    def __post_init__(self):
        if not isinstance(self.name, str):
            raise SpecError(_SOURCE, "name", self.name, "a str")
        for what in ("variants", "maneuvers", "metrics"):
            value = getattr(self, what)
            if isinstance(value, str):
                value = (value,)
            if not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
                raise SpecError(_SOURCE, what, value, "a list of names (str)")
            object.__setattr__(self, what, tuple(value))
        if not self.variants:
            raise SpecError(_SOURCE, "variants", [], "at least one vehicle")
        if not self.maneuvers:
            raise SpecError(_SOURCE, "maneuvers", [], "at least one maneuver")
        grid = _freeze(self.grid, "grid")
        object.__setattr__(self, "grid", MappingProxyType(
            {k: tuple(_values(k, v, "grid")) for k, v in grid.items()}))
        zips = self.zip if isinstance(self.zip, Sequence) else [self.zip]
        frozen = []
        for g, group in enumerate(zips):
            group = _freeze(group, f"zip[{g}]")
            lists = {k: tuple(_values(k, v, f"zip[{g}]")) for k, v in group.items()}
            if not lists or len({len(v) for v in lists.values()}) != 1:
                raise SpecError(_SOURCE, f"zip[{g}]", {k: len(v) for k, v in lists.items()},
                                "one or more lists of the same length")
            frozen.append(MappingProxyType(lists))
        object.__setattr__(self, "zip", tuple(frozen))
        fixed = _freeze(self.fixed, "fixed")
        object.__setattr__(self, "fixed", MappingProxyType(
            {k: _plain(v) for k, v in fixed.items()}))
        if self.sample is not None and not isinstance(self.sample, Sample):
            if isinstance(self.sample, Mapping):
                object.__setattr__(self, "sample", Sample(**self.sample))
            else:
                raise SpecError(_SOURCE, "sample", self.sample, "a sim.study.Sample or None")
        if isinstance(self.chunk_size, bool) or not isinstance(self.chunk_size, numbers.Integral) \
                or not 1 <= self.chunk_size <= 100_000:
            raise SpecError(_SOURCE, "chunk_size", self.chunk_size, "a whole number in [1, 1e5]")
        if self.load_case is not None and not isinstance(self.load_case, str):
            raise SpecError(_SOURCE, "load_case", self.load_case, "a load-case name")
        seen = {}
        for where, axes in (("grid", self.grid), *((f"zip[{g}]", z) for g, z in
                                                   enumerate(self.zip)),
                            ("sample.ranges", self.sample.ranges if self.sample else {}),
                            ("fixed", self.fixed)):
            for axis in axes:
                if axis in seen:
                    raise SpecError(_SOURCE, f"{where}.{axis}", axis,
                                    f"each axis once (also in {seen[axis]})")
                seen[axis] = where
                if axis in ("variant", "maneuver", "point", "chunk", "status", "error"):
                    raise SpecError(_SOURCE, f"{where}.{axis}", axis,
                                    "a dotted path, road.*, maneuver.* or split.*")

    # ------------------------------------------------------------------ forms
    def to_dict(self) -> dict:
        """Canonical plain form (what :meth:`digest` hashes and the results folder keeps)."""
        return {"name": self.name, "variants": list(self.variants),
                "maneuvers": list(self.maneuvers),
                "grid": {k: list(v) for k, v in self.grid.items()},
                "zip": [{k: list(v) for k, v in z.items()} for z in self.zip],
                "sample": self.sample.to_dict() if self.sample else None,
                "fixed": dict(self.fixed), "metrics": list(self.metrics),
                "chunk_size": int(self.chunk_size), "load_case": self.load_case}

    @classmethod
    def from_dict(cls, data: Mapping, source: str = _SOURCE) -> Study:
        """A Study from its plain form (e.g. parsed TOML); unknown keys raise SpecError."""
        if not isinstance(data, Mapping):
            raise SpecError(source, "<study>", data, "a table of study settings")
        known = {"name", "variants", "maneuvers", "grid", "zip", "sample", "fixed", "metrics",
                 "chunk_size", "load_case"}
        extra = sorted(set(data) - known)
        if extra:
            raise SpecError(source, extra[0], data[extra[0]],
                            "a study key: " + ", ".join(sorted(known)))
        kwargs = dict(data)
        for key in ("variants", "maneuvers", "metrics"):
            if isinstance(kwargs.get(key), list):
                kwargs[key] = tuple(kwargs[key])
        if isinstance(kwargs.get("zip"), list):
            kwargs["zip"] = tuple(kwargs["zip"])
        elif isinstance(kwargs.get("zip"), Mapping):
            kwargs["zip"] = (kwargs["zip"],)
        sample = kwargs.get("sample")
        if isinstance(sample, Mapping):
            sample = dict(sample)
            if "ranges" in sample and isinstance(sample["ranges"], Mapping):
                sample["ranges"] = {k: tuple(v) if isinstance(v, list) else v
                                    for k, v in sample["ranges"].items()}
            extra = sorted(set(sample) - {"ranges", "n", "method", "seed"})
            if extra:
                raise SpecError(source, f"sample.{extra[0]}", sample[extra[0]],
                                "ranges, n, method or seed")
            kwargs["sample"] = Sample(**sample)
        try:
            return cls(**kwargs)
        except SpecError as exc:
            if source == _SOURCE:
                raise
            raise SpecError(source, exc.field, exc.value, exc.allowed) from None

    def digest(self) -> str:
        """SHA-256 (hex) of the canonical JSON of :meth:`to_dict`."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def plan(self) -> Plan:
        """Points, groups and chunks, every axis and value validated (no simulation)."""
        return Plan(self)


def load_study(path) -> Study:
    """Read a study from a TOML file (keys as :class:`Study`; ``[grid]``, ``[[zip]]``,
    ``[sample]`` with ``[sample.ranges]``, ``[fixed]``)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError(str(path), "<file>", str(path), "an existing study .toml file") from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(str(path), "<toml>", str(exc), "valid TOML") from None
    return Study.from_dict(data, source=str(path))


# ---------------------------------------------------------------------- the plan

def _keywords(fn) -> frozenset:
    """Keyword names ``fn`` takes after the vehicle ("*" when it takes any)."""
    try:
        params = list(inspect.signature(fn).parameters.values())[1:]
    except (TypeError, ValueError):
        return frozenset({"*"})
    return frozenset("*" if p.kind is p.VAR_KEYWORD else p.name for p in params)


def _check_numerics_field(axis: str) -> None:
    """Raise :class:`SpecError` unless ``axis`` (``numerics.<field>``) names a field of
    :class:`sim.Numerics`."""
    import dataclasses

    from sim.simulate import Numerics

    field = axis.removeprefix("numerics.")
    names = [f.name for f in dataclasses.fields(Numerics)]
    if field not in names:
        raise SpecError(_SOURCE, axis, field, "a field of sim.Numerics: " + ", ".join(names))


def numerics_of(settings: Mapping):
    """The :class:`sim.Numerics` of ``numerics.*`` settings (axis -> value; others ignored),
    the defaults elsewhere; ``None`` when there are none (the maneuver's own default)."""
    from sim.simulate import Numerics

    fields = {axis.removeprefix("numerics."): value for axis, value in settings.items()
              if _namespace(axis) == "numerics"}
    return Numerics(**fields) if fields else None


def _keyword(axis: str) -> str:
    """The maneuver keyword of a ``maneuver.*`` or ``road.*`` axis."""
    return ROAD_AXES[axis][0] if axis in ROAD_AXES else axis.removeprefix("maneuver.")


def _namespace(axis: str) -> str:
    if axis in ROAD_AXES:
        return "road"
    if axis == SPLIT_AXIS:
        return "split"
    if axis.startswith("maneuver."):
        return "maneuver"
    if axis.startswith("numerics."):
        return "numerics"
    if axis.startswith("road.") or axis.startswith("split."):
        return "bad"
    return "vehicle"


class Plan:
    """The points of a :class:`Study` (a table: one row per point, one column per axis, in
    the cross-product order of the module docstring), its groups and chunks, validated.

    ``points``: list of dicts ``{"variant", "maneuver", axis: value, ...}`` (fixed settings
    not included); ``chunks``: tuple of :class:`Chunk`; ``columns``: the parameter columns.
    """

    def __init__(self, study: Study):
        self.study = study
        dims: list[tuple[list[str], list[tuple]]] = [
            (["variant"], [(v,) for v in study.variants]),
            (["maneuver"], [(m,) for m in study.maneuvers])]
        for axis, values in study.grid.items():
            dims.append(([axis], [(v,) for v in values]))
        for group in study.zip:
            names = list(group)
            dims.append((names, list(zip(*group.values(), strict=True))))
        blocks = None
        if study.sample is not None:
            pts = study.sample.points()
            dims.append((list(study.sample.axes), [tuple(float(x) for x in row) for row in pts]))
            blocks = study.sample.blocks()
        self.columns = [name for names, _ in dims for name in names]
        sizes = [len(values) for _, values in dims]
        total = int(np.prod(sizes))
        if total > 10_000_000:
            raise SpecError(_SOURCE, "points", total, "at most 10 000 000 points per study")
        index = np.indices(sizes).reshape(len(sizes), -1).T if total else np.zeros((0, 0), int)
        self.points = []
        for row in index:
            point = {}
            for (names, values), k in zip(dims, row, strict=True):
                point.update(zip(names, values[k], strict=True))
            self.points.append(point)
        self.sample_block = None if blocks is None else \
            np.asarray([blocks[row[-1]] for row in index], dtype=np.int64)
        self.functions = {m: maneuver_function(m) for m in study.maneuvers}
        self._validate()
        self.groups, self.chunks = self._chunks()

    # -------------------------------------------------------------- validation
    def _validate(self) -> None:
        from sim.spec import load_vehicle, param_paths

        study = self.study
        axes = [c for c in self.columns if c not in ("variant", "maneuver")] + list(study.fixed)
        for axis in axes:
            kind = _namespace(axis)
            if kind == "bad":
                raise SpecError(_SOURCE, axis, axis, "road.friction, road.grade_rad or "
                                f"{SPLIT_AXIS} in the road./split. namespaces")
            if kind == "road":
                kw, low, high, unit = ROAD_AXES[axis]
                for v in self._all_values(axis):
                    if isinstance(v, bool) or not isinstance(v, numbers.Real) \
                            or not math.isfinite(v) or not low <= v <= high:
                        raise SpecError(_SOURCE, axis, v, f"a number in [{low:g}, {high:g}] "
                                        f"[{unit}]")
            if kind == "split":
                for v in self._all_values(axis):
                    if isinstance(v, bool) or not isinstance(v, numbers.Real) \
                            or not 0.0 <= v <= 1.0:
                        raise SpecError(_SOURCE, axis, v, "a number in [0, 1]")
        self.accepts = {name: _keywords(fn) for name, fn in self.functions.items()}
        for axis in axes:
            kind = _namespace(axis)
            if kind == "numerics":
                _check_numerics_field(axis)
                if not any("numerics" in acc for acc in self.accepts.values()):
                    raise SpecError(_SOURCE, axis, axis, "a maneuver that takes numerics "
                                    "(these do not: " + ", ".join(self.accepts) + ")")
                continue
            if kind not in ("maneuver", "road"):
                continue
            kw = _keyword(axis)
            if not any(kw in acc for acc in self.accepts.values()):
                raise SpecError(_SOURCE, axis, kw, "a keyword of " + "; ".join(
                    f"{name}: " + ", ".join(sorted(acc - {"*"}))
                    for name, acc in self.accepts.items()))
        # the settings combined as the maneuvers receive them (one field's value may be
        # allowed only with another's: a step and the output interval that is its multiple)
        numerics = [axis for axis in axes if _namespace(axis) == "numerics"]
        combos = {tuple(zip(numerics, values, strict=True))
                  for values in zip(*(self._values_of(a) for a in numerics), strict=True)}
        for combo in sorted(combos, key=repr):
            try:
                numerics_of(dict(combo))
            except SpecError as err:
                raise SpecError(_SOURCE, ", ".join(numerics), dict(combo),
                                f"settings sim.Numerics accepts: {err}") from None
        known = _known_metrics()
        if study.metrics and all(m in known for m in study.maneuvers):
            names = set().union(*(known[m] for m in study.maneuvers))
            for metric in study.metrics:
                if metric not in names:
                    raise SpecError(_SOURCE, "metrics", metric, "a metric of "
                                    + ", ".join(study.maneuvers) + ": "
                                    + ", ".join(sorted(names)))
        self.vehicles = {}
        for variant in study.variants:
            vehicle = load_vehicle(variant)
            paths = set(param_paths(vehicle))
            for axis in axes:
                if _namespace(axis) == "vehicle" and axis not in paths:
                    near = sorted(p for p in paths if p.split(".")[0] == axis.split(".")[0])
                    raise SpecError(_SOURCE, axis, axis, f"a dotted path of {variant!r} "
                                    + ("(e.g. " + ", ".join(near[:6]) + ")" if near else
                                       "(see sim.param_paths)"))
            if SPLIT_AXIS in axes and sorted(vehicle.packs) != ["front", "rear"]:
                raise SpecError(_SOURCE, SPLIT_AXIS, variant,
                                "a variant with two packs named 'front' and 'rear'")
            self.vehicles[variant] = vehicle
            mine = [i for i, p in enumerate(self.points) if p["variant"] == variant]
            self.batch(mine)  # every value within its field's bounds (no simulation)

    def batch(self, indices: Sequence[int]):
        """The vehicle batch of points ``indices`` (all of one variant), one member each."""
        from sim.mass.split import split_packs
        from sim.spec import set_params

        study = self.study
        variant = self.points[indices[0]]["variant"]
        vehicle = self.vehicles[variant]
        fixed = {k: v for k, v in study.fixed.items() if _namespace(k) == "vehicle"}
        for axis, v in fixed.items():
            if isinstance(v, bool) or not isinstance(v, numbers.Real):
                raise SpecError(_SOURCE, f"fixed.{axis}", v, "a number")
        if fixed:
            vehicle = set_params(vehicle, fixed)
        if SPLIT_AXIS in study.fixed:
            vehicle = split_packs(vehicle, float(study.fixed[SPLIT_AXIS])).vehicle
        arrays = {}
        for axis in self.columns[2:]:
            kind = _namespace(axis)
            if kind not in ("vehicle", "split"):
                continue
            values = [self.points[i][axis] for i in indices]
            for v in values:
                if isinstance(v, bool) or not isinstance(v, numbers.Real):
                    raise SpecError(_SOURCE, axis, v, "a number")
            arrays[axis] = np.asarray(values, dtype=float)
        if SPLIT_AXIS in arrays:
            vehicle = split_packs(vehicle, arrays.pop(SPLIT_AXIS)).vehicle
        if arrays:
            vehicle = set_params(vehicle, arrays)
        return vehicle

    def _values_of(self, axis: str) -> list:
        return [p.get(axis, self.study.fixed.get(axis)) for p in self.points]

    def _all_values(self, axis: str) -> list:
        return [self.study.fixed[axis]] if axis in self.study.fixed else \
            sorted(set(self._values_of(axis)), key=repr)

    # -------------------------------------------------------------- groups, chunks
    def takes(self, maneuver: str, keyword: str) -> bool:
        """Whether maneuver ``maneuver`` takes ``keyword``."""
        acc = self.accepts[maneuver]
        return keyword in acc or "*" in acc

    def per_member(self, maneuver: str) -> frozenset:
        return _per_member(maneuver, self.functions[maneuver])

    def batch_key(self, point: Mapping) -> tuple:
        """What points must share to be simulated in one batch."""
        per = self.per_member(point["maneuver"])
        key = [point["variant"], point["maneuver"]]
        for axis in self.columns[2:]:
            if _namespace(axis) in ("maneuver", "road") and \
                    self.takes(point["maneuver"], _keyword(axis)) and _keyword(axis) not in per:
                key.append((axis, repr(point[axis])))
            elif _namespace(axis) == "numerics" and self.takes(point["maneuver"], "numerics"):
                key.append((axis, repr(point[axis])))
        return tuple(key)

    def _chunks(self):
        groups: dict[tuple, list[int]] = {}
        for i, point in enumerate(self.points):
            groups.setdefault(self.batch_key(point), []).append(i)
        chunks = []
        size = self.study.chunk_size
        for g, members in enumerate(groups.values()):
            for start in range(0, len(members), size):
                chunks.append(Chunk(len(chunks), g, tuple(members[start:start + size])))
        return tuple(groups), tuple(chunks)

    @cached_property
    def table(self):
        """The points as a pandas DataFrame (index ``point``)."""
        import pandas as pd

        frame = pd.DataFrame(self.points, columns=self.columns)
        frame.index.name = "point"
        return frame

    def __len__(self) -> int:
        return len(self.points)
