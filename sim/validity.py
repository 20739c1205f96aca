"""Where a run left the validity of its models: flags computed from the recorded channels.

An MF 6.1 ``.tir`` file states the ranges its coefficients were fitted over: wheel load
``[VERTICAL_FORCE_RANGE] FZMIN..FZMAX``, longitudinal slip ``[LONG_SLIP_RANGE] KPUMIN..KPUMAX``,
slip angle ``[SLIP_ANGLE_RANGE] ALPMIN..ALPMAX`` (and pressure and camber, checked once when
the vehicle is packed: pressure is the file's NOMPRES, camber is 0 in the two-track model).
Outside them the Magic Formula extrapolates and may give nonsense (far above FZMAX the lateral
force of a typical fit changes sign).

**Flagged, not clipped.** MF tools can clip the inputs to these ranges (MFeval ``useMode``
limit checks); ``sim`` does not: a clipped wheel load would still report an answer that is not
the model's, and the clipping point would decide the result. Instead the same checks run on
two things after the run: the kernel's smallest and largest value of each checked channel
over the start of every integration step, whatever was recorded
(:attr:`sim.Result.step_flags`, :attr:`sim.Result.extremes`), and every recorded sample
(:attr:`sim.Result.flags`, per member and time). :meth:`sim.Result.flag_report` says which
wheel left which range, when (in the recorded samples) and how far.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import numpy as np

from sim.tyre.tir import TirFile

WHEELS = ("fl", "fr", "rl", "rr")

#: What each tyre check reads: (flag kind, .tir section, min key, max key, channel pattern,
#: unit of the channel, what it is).
TYRE_CHECKS = (
    ("load", "VERTICAL_FORCE_RANGE", "FZMIN", "FZMAX", "fz_{w}_n", "N", "wheel load"),
    ("slip_ratio", "LONG_SLIP_RANGE", "KPUMIN", "KPUMAX", "kappa_{w}", "-",
     "longitudinal slip"),
    ("slip_angle", "SLIP_ANGLE_RANGE", "ALPMIN", "ALPMAX", "slip_angle_{w}_rad", "rad",
     "slip angle"),
)


def tyre_range(tir: TirFile, section: str, low_key: str, high_key: str
               ) -> tuple[float, float]:
    """``(low, high)`` of one validity range of ``tir``; an absent key is unbounded."""
    entries = tir.sections.get(section, {})
    low, high = entries.get(low_key), entries.get(high_key)
    low = -np.inf if low is None or isinstance(low, str) else float(low)
    high = np.inf if high is None or isinstance(high, str) else float(high)
    return low, high


def tyre_flags(channels: Mapping[str, np.ndarray], front: TirFile, rear: TirFile
               ) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Per-sample validity flags of the four tyres.

    Returns ``(flags, notes)``: ``flags["tyre_<kind>_<wheel>"]`` is an (N, T) bool array, True
    where the recorded ``channel`` of that wheel lies outside the tyre file's range (NaN
    samples, after a member ended, are not flagged); ``notes`` says in words what each flag
    means (range, keys, file). Kinds: ``load``, ``slip_ratio``, ``slip_angle``.
    """
    flags: dict[str, np.ndarray] = {}
    notes: dict[str, str] = {}
    for w in WHEELS:
        tir = front if w[0] == "f" else rear
        for kind, section, low_key, high_key, pattern, unit, what in TYRE_CHECKS:
            low, high = tyre_range(tir, section, low_key, high_key)
            values = channels[pattern.format(w=w)]
            with np.errstate(invalid="ignore"):
                outside = (values < low) | (values > high)
            name = f"tyre_{kind}_{w}"
            flags[name] = outside
            notes[name] = (f"{w.upper()} {what} ({pattern.format(w=w)}) outside the tyre's "
                           f"{low_key}..{high_key} = {low:g}..{high:g} {unit} "
                           f"({_shown_source(tir.source)})")
    return flags, notes


_PACKAGE_ROOT = Path(__file__).resolve().parent


@lru_cache(maxsize=256)
def _shown_source(source: str) -> str:
    """A tyre file's path as a note shows it: relative to the package for the files it ships
    (``sim/vehicles/tyres/...``, the same on every machine), as given otherwise (remembered:
    every run's notes ask again)."""
    try:
        return (Path("sim") / Path(source).resolve().relative_to(_PACKAGE_ROOT)).as_posix()
    except (ValueError, OSError):
        return source
