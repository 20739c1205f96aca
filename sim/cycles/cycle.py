"""Drive cycles: the built-in regulatory speed traces and a reader for a user's CSV.

A drive cycle is a speed trace ``speed_mps`` over strictly increasing ``time_s``. Between its
samples the trace is **linear** (the way a dynamometer driver's aid draws it and the way the
regulations compute distance), so:

* distance is the trapezoid integral of the samples (exact for the linear trace);
* acceleration is the **forward difference** ``(v[i+1] - v[i]) / (t[i+1] - t[i])``: the exact,
  constant acceleration of the linear trace on ``[t[i], t[i+1])``. It is what a step from
  ``t[i]`` to ``t[i+1]`` must achieve (the kinetic-energy change of that step divided by the
  distance it covers), and it reproduces the published extremes of WLTC class 3b (+1.67 and
  -1.50 m/s²); a central difference smooths them (+1.58 / -1.49 m/s²) and blends two steps.
  The last sample gets 0: after its end a cycle is held at its last speed (every built-in
  cycle ends at standstill).

Time steps need not be uniform: logged traces often are not, and every quantity here
(distance, acceleration, the tolerance band of :mod:`sim.cycles.tolerance`) is defined on any
strictly increasing grid. :meth:`DriveCycle.resampled` gives a uniform grid when a fixed-step
integrator wants one. The built-in cycles are 1 Hz.

Built-in cycles (package data in ``sim/cycles/data/``, provenance in each file's header and in
that folder's README): ``"wltc_class3b"`` (UN GTR No. 15), ``"udds"``, ``"hwfet"``, ``"us06"``
(US EPA dynamometer driving schedules).

User CSV format (UTF-8; lines starting with ``#`` and blank lines are ignored)::

    # my logged trace
    time_s,speed_kmh        <- or time_s,speed_mps; exactly these two columns, either order
    0,0
    0.5,1.2
    ...

Time in seconds, strictly increasing, finite; speed finite and >= 0 (forward travel). Any bad
line raises :class:`sim.errors.SpecError` naming the file, the line number and column, and a
short excerpt of the offending line.
"""

from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import numpy as np

from sim.errors import SpecError
from sim.units import KMH_PER_MPS

__all__ = [
    "CyclePhase",
    "DriveCycle",
    "list_cycles",
    "load_cycle",
]


class CyclePhase(NamedTuple):
    """A named part of a cycle: the time interval ``[start_s, end_s]`` [s]."""

    name: str
    start_s: float
    end_s: float


# Built-in cycles: file name, human-readable source, phases.
# WLTC class 3b phases (UN GTR No. 15 Annex 1): Low 589 s, Medium 433 s, High 455 s,
# Extra-high 323 s; the GTR tables list the samples 0-589, 590-1022, 1023-1477, 1478-1800
# (every boundary sample is at standstill). Here the phases are contiguous time intervals whose
# durations are those of the GTR.
# UDDS: the FTP's two bags, the first 505 s ("transient") and the remaining 864 s
# ("stabilised") (40 CFR 86.137; [K], boundary at standstill).
_BUILTIN: dict[str, tuple[str, str, tuple[CyclePhase, ...]]] = {
    "wltc_class3b": (
        "wltc_class3b.csv",
        "UN GTR No. 15 (WLTP) Annex 1, WLTC class 3b; via JRCSTU/wltp V_class3b.txt",
        (
            CyclePhase("Low", 0.0, 589.0),
            CyclePhase("Medium", 589.0, 1022.0),
            CyclePhase("High", 1022.0, 1477.0),
            CyclePhase("Extra-high", 1477.0, 1800.0),
        ),
    ),
    "udds": (
        "udds.csv",
        "US EPA Urban Dynamometer Driving Schedule (40 CFR 86 App. I); via NREL FASTSim 2.1.5",
        (
            CyclePhase("Transient", 0.0, 505.0),
            CyclePhase("Stabilised", 505.0, 1369.0),
        ),
    ),
    "hwfet": (
        "hwfet.csv",
        "US EPA Highway Fuel Economy Test (40 CFR 600 App. I); via NREL FASTSim 2.1.5",
        (),
    ),
    "us06": (
        "us06.csv",
        "US EPA US06 Supplemental FTP (40 CFR 86 App. I); via NREL FASTSim 2.1.5",
        (),
    ),
}

_SPEED_COLUMNS = {"speed_kmh": 1.0 / KMH_PER_MPS, "speed_mps": 1.0}
_EXCERPT_CHARS = 60


def list_cycles() -> list[str]:
    """Names of the built-in cycles, for :func:`load_cycle`."""
    return sorted(_BUILTIN)


def _readonly(a) -> np.ndarray:
    a = np.array(a, dtype=np.float64)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class DriveCycle:
    """A speed trace over time (frozen; arrays read-only).

    Attributes
    ----------
    name : str
        ``"wltc_class3b"``, ... or a user file's stem.
    time_s : np.ndarray (T,)
        Sample times [s], strictly increasing (not necessarily uniform).
    speed_mps : np.ndarray (T,)
        Prescribed vehicle speed [m/s] >= 0, linear between samples.
    source : str
        Where the trace comes from (regulation and file).
    phases : tuple[CyclePhase, ...]
        Named ``(start_s, end_s)`` intervals (WLTC Low/Medium/High/Extra-high, UDDS bags);
        empty when the cycle has none.
    """

    name: str
    time_s: np.ndarray
    speed_mps: np.ndarray
    source: str = ""
    phases: tuple[CyclePhase, ...] = field(default=())

    def __post_init__(self):
        t = _readonly(self.time_s)
        v = _readonly(self.speed_mps)
        src = self.source or "<DriveCycle>"
        if t.ndim != 1 or t.shape != v.shape or t.size < 2:
            raise SpecError(src, "time_s/speed_mps", (t.shape, v.shape),
                            "two 1-D arrays of the same length, at least 2 samples")
        if not np.all(np.isfinite(t)):
            raise SpecError(src, "time_s", float(t[~np.isfinite(t)][0]), "must be finite")
        steps = np.diff(t)
        if np.any(steps <= 0.0):
            i = int(np.argmax(steps <= 0.0)) + 1
            raise SpecError(src, f"time_s[{i}]", float(t[i]),
                            f"must be strictly increasing (previous {t[i - 1]:g} s)")
        bad = ~np.isfinite(v) | (v < 0.0)
        if np.any(bad):
            i = int(np.argmax(bad))
            raise SpecError(src, f"speed_mps[{i}]", float(v[i]), "must be finite and >= 0")
        phases = tuple(CyclePhase(str(p[0]), float(p[1]), float(p[2])) for p in self.phases)
        for p in phases:
            if not (t[0] <= p.start_s < p.end_s <= t[-1]):
                raise SpecError(src, f"phases.{p.name}", (p.start_s, p.end_s),
                                f"start < end within the cycle [{t[0]:g}, {t[-1]:g}] s")
        object.__setattr__(self, "time_s", t)
        object.__setattr__(self, "speed_mps", v)
        object.__setattr__(self, "phases", phases)

    # ---- derived quantities -----------------------------------------------------------
    @property
    def duration_s(self) -> float:
        """Last minus first sample time [s]."""
        return float(self.time_s[-1] - self.time_s[0])

    @property
    def distance_m(self) -> float:
        """Distance of the linear trace [m] (trapezoid rule, exact for it)."""
        return float(np.sum(0.5 * (self.speed_mps[1:] + self.speed_mps[:-1])
                            * np.diff(self.time_s)))

    @property
    def max_speed_mps(self) -> float:
        """Highest prescribed speed [m/s]."""
        return float(np.max(self.speed_mps))

    @property
    def mean_speed_mps(self) -> float:
        """Distance over duration [m/s], stops included."""
        return self.distance_m / self.duration_s

    @property
    def acceleration_mps2(self) -> np.ndarray:
        """Forward-difference acceleration (T,) [m/s²]; entry i holds for ``[t[i], t[i+1])``.

        The last entry is 0 (the trace is held after its end). See the module docstring for
        why forward and not central.
        """
        a = np.zeros_like(self.speed_mps)
        a[:-1] = np.diff(self.speed_mps) / np.diff(self.time_s)
        return a

    @property
    def speed_kmh(self) -> np.ndarray:
        """The trace in km/h (T,)."""
        return self.speed_mps * KMH_PER_MPS

    def speed_at(self, time_s) -> np.ndarray | float:
        """Prescribed speed [m/s] at any time (linear between samples, held outside)."""
        out = np.interp(np.asarray(time_s, dtype=np.float64), self.time_s, self.speed_mps)
        return float(out) if np.ndim(out) == 0 else out

    def phase(self, name: str) -> DriveCycle:
        """The part of the cycle inside phase ``name`` as a cycle of its own.

        Samples inside ``[start_s, end_s]`` are kept; the ends are added by interpolation if
        they fall between samples. Raises SpecError for an unknown phase name.
        """
        for p in self.phases:
            if p.name == name:
                inside = (self.time_s > p.start_s) & (self.time_s < p.end_s)
                t = np.concatenate(([p.start_s], self.time_s[inside], [p.end_s]))
                return DriveCycle(f"{self.name}:{name}", t, self.speed_at(t), self.source)
        raise SpecError(self.source or self.name, "phase", name,
                        "one of " + (", ".join(p.name for p in self.phases) or "(no phases)"))

    def resampled(self, time_step_s: float) -> DriveCycle:
        """The same linear trace sampled every ``time_step_s`` [s] from the first sample.

        The last sample is the cycle's end (the final step is shorter if the duration is not
        a multiple of the step). Phases are kept.
        """
        dt = float(time_step_s)
        if not (math.isfinite(dt) and dt > 0.0):
            raise SpecError("<argument>", "time_step_s", time_step_s, "must be finite and > 0")
        n = int(math.floor(self.duration_s / dt + 1e-9))
        t = self.time_s[0] + dt * np.arange(n + 1)
        if self.time_s[-1] - t[-1] > 1e-9 * max(1.0, self.duration_s):
            t = np.append(t, self.time_s[-1])
        else:
            t[-1] = self.time_s[-1]
        return DriveCycle(self.name, t, self.speed_at(t), self.source, self.phases)


# ---- loading ---------------------------------------------------------------------------
@functools.cache
def _builtin_cycle(name: str) -> DriveCycle:
    """A built-in cycle, parsed once per process (a DriveCycle is frozen, its arrays
    read-only, so every caller may share it)."""
    file_name, source, phases = _BUILTIN[name]
    data = resources.files("sim.cycles").joinpath("data", file_name).read_bytes()
    t, v = _parse_csv(data, f"sim/cycles/data/{file_name}")
    return DriveCycle(name, t, v, f"{source} (sim/cycles/data/{file_name})", phases)


def load_cycle(name_or_path: str | os.PathLike) -> DriveCycle:
    """A built-in cycle by name (see :func:`list_cycles`) or a user's CSV file by path.

    Raises :class:`SpecError` for an unknown name, a missing file, a directory, or a bad CSV
    (see the module docstring for the format).
    """
    if isinstance(name_or_path, str) and name_or_path in _BUILTIN:
        return _builtin_cycle(name_or_path)
    path = Path(os.fspath(name_or_path))
    if path.is_dir():
        raise SpecError(str(path), "file", str(path), "is a directory; give a CSV file")
    if not path.exists():
        if isinstance(name_or_path, str) and path.suffix == "" and len(path.parts) == 1:
            raise SpecError("<cycle name>", "cycle", name_or_path,
                            "unknown cycle; built-in cycles are " + ", ".join(list_cycles())
                            + " (or give the path of a CSV file)")
        raise SpecError(str(path), "file", str(path), "no such file")
    t, v = _parse_csv(path.read_bytes(), str(path))
    return DriveCycle(path.stem, t, v, str(path))


def _excerpt(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _EXCERPT_CHARS else text[:_EXCERPT_CHARS] + "..."


def _parse_csv(data: bytes, source: str) -> tuple[np.ndarray, np.ndarray]:
    """Parse ``time_s,speed_kmh|speed_mps`` CSV bytes into (time_s, speed_mps) arrays."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SpecError(source, f"line {line}", data[exc.start: exc.start + 8],
                        "file is not UTF-8 text") from None
    header: list[str] | None = None
    header_line = 0
    times: list[float] = []
    speeds: list[float] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        cells = [c.strip() for c in line.split(",")]
        if header is None:
            header, header_line = cells, number
            _check_header(header, source, number, line)
            continue
        if len(cells) != len(header):
            raise SpecError(source, f"line {number}", _excerpt(raw),
                            f"{len(header)} comma-separated values ({', '.join(header)})")
        row = {}
        for name, cell in zip(header, cells, strict=True):
            try:
                value = float(cell)
            except ValueError:
                raise SpecError(source, f"line {number}, column {name}", _excerpt(cell),
                                "a number") from None
            if not math.isfinite(value):
                raise SpecError(source, f"line {number}, column {name}", _excerpt(cell),
                                "a finite number")
            row[name] = value
        speed_name = header[0] if header[0] != "time_s" else header[1]
        if row[speed_name] < 0.0:
            raise SpecError(source, f"line {number}, column {speed_name}", row[speed_name],
                            "speed must be >= 0 (forward travel)")
        if times and row["time_s"] <= times[-1]:
            raise SpecError(source, f"line {number}, column time_s", row["time_s"],
                            f"time must be strictly increasing (previous row {times[-1]:g} s)")
        times.append(row["time_s"])
        speeds.append(row[speed_name] * _SPEED_COLUMNS[speed_name])
    if header is None:
        raise SpecError(source, "header", "(empty file)",
                        "a header line time_s,speed_kmh or time_s,speed_mps and data rows")
    if len(times) < 2:
        raise SpecError(source, f"line {header_line}", f"{len(times)} data row(s)",
                        "at least 2 data rows after the header")
    return np.array(times), np.array(speeds)


def _check_header(header: list[str], source: str, number: int, line: str) -> None:
    allowed = "columns time_s and one of speed_kmh, speed_mps (exactly two columns)"
    unknown = [c for c in header if c not in ("time_s", *_SPEED_COLUMNS)]
    if unknown:
        raise SpecError(source, f"line {number} (header), column {_excerpt(unknown[0])}",
                        _excerpt(line), "unknown column; " + allowed)
    speed_columns = [c for c in header if c in _SPEED_COLUMNS]
    if "time_s" not in header or len(speed_columns) != 1 or len(header) != 2:
        raise SpecError(source, f"line {number} (header)", _excerpt(line), allowed)

