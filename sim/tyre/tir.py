"""Reader and writer of MF 6.1 ``.tir`` tyre property files.

A ``.tir`` file is an ASCII property file in sections::

    [SECTION]
    KEY                      =    value          $comment

Lines starting with ``$`` (or ``!``) are comments, string values are quoted with ``'``, and
every numeric value is SI when ``[UNITS]`` says so. Keys are kept **per section**: ``MASS`` is
both a unit name in ``[UNITS]`` and the tyre mass in ``[INERTIA]``, so a flat dictionary would
silently let one overwrite the other.

What this module checks when a file is read (each failure raises
:class:`sim.errors.SpecError` naming the file, the ``SECTION.KEY``, the value and what is
allowed):

* every section and key is one of the MF 6.1 standard set :data:`MF61_TIR_KEYS` (an unknown
  key is reported as "not a key of the MF 6.1 [SECTION] section" -- usually a typo);
* no key appears twice in a section and no section appears twice;
* ``[UNITS]`` is SI: meter, newton, radians, kg, second;
* ``[MODEL] FITTYP`` is 61 (MF 6.1; the only Magic Formula version implemented);
* every key the model uses (:data:`MF61_REQUIRED_KEYS`) is present and is a finite number;
  FNOMIN, NOMPRES, UNLOADED_RADIUS and LFZO are positive; LMUV, if present, is 0 (the
  speed-dependent friction of Pacejka 2012 eq. 4.E7 is not modelled: forces take no speed).

Keys used by :mod:`sim.tyre.mf61` (the rest are kept and written back unchanged, but unused):

* ``[DIMENSION]`` UNLOADED_RADIUS (aligning moment arms; also packed for the chassis);
* ``[OPERATING_CONDITIONS]`` NOMPRES;
* ``[VERTICAL]`` FNOMIN;
* ``[SCALING_COEFFICIENTS]`` LFZO, LCX, LMUX, LEX, LKX, LHX, LVX, LCY, LMUY, LEY, LKY, LHY,
  LVY, LXAL, LYKA, LVYKA, LKYC (forces), LTR, LRES, LS, LKZC (aligning moment);
* ``[LONGITUDINAL_COEFFICIENTS]`` all of PCX1..PPX4 and RBX1..RHX1;
* ``[LATERAL_COEFFICIENTS]`` all of PCY1..PPY5 and RBY1..RVY6;
* ``[ALIGNING_COEFFICIENTS]`` all of QBZ1..SSZ4 (aligning moment Mz).

Not used: [MODEL] speeds and ADAMS switches, INFLPRES (the force functions default to
NOMPRES), inertia, vertical/structural stiffness, contact patch, ranges (no limit checks,
as MFeval useMode 221), overturning and rolling moments, turn slip.

The writer (:func:`format_tir`, :func:`write_tir`) reproduces the usual column layout,
section banners and ``$`` comments; numbers are written in their shortest exact form, so
read -> write -> read gives identical values and a second write gives identical text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from sim.errors import MISSING, SpecError

TirValue = int | float | str
"""A value in a ``.tir`` file: an int or float (numbers) or a str (quoted strings)."""

#: Standard keys of every MF 6.1 ``.tir`` section, in their usual order. Taken from the
#: MFeval sample ``MagicFormula61_Parameters.tir`` (a complete MF 6.1 file) plus ``LMUV``
#: (speed-dependent friction scaling, Pacejka 2012 eq. 4.E7), which MF 6.1 files may carry.
MF61_TIR_KEYS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "MDI_HEADER": ("FILE_TYPE", "FILE_VERSION", "FILE_FORMAT"),
        "UNITS": ("LENGTH", "FORCE", "ANGLE", "MASS", "TIME"),
        "MODEL": (
            "FITTYP", "TYRESIDE", "LONGVL", "VXLOW", "ROAD_INCREMENT", "ROAD_DIRECTION",
            "PROPERTY_FILE_FORMAT", "USER_SUB_ID", "N_TIRE_STATES", "USE_MODE",
            "HMAX_LOCAL", "TIME_SWITCH_INTEG",
        ),
        "DIMENSION": ("UNLOADED_RADIUS", "WIDTH", "ASPECT_RATIO", "RIM_RADIUS", "RIM_WIDTH"),
        "OPERATING_CONDITIONS": ("INFLPRES", "NOMPRES"),
        "INERTIA": ("MASS", "IXX", "IYY", "BELT_MASS", "BELT_IXX", "BELT_IYY", "GRAVITY"),
        "VERTICAL": (
            "FNOMIN", "VERTICAL_STIFFNESS", "VERTICAL_DAMPING", "MC_CONTOUR_A",
            "MC_CONTOUR_B", "BREFF", "DREFF", "FREFF", "Q_RE0", "Q_V1", "Q_V2", "Q_FZ2",
            "Q_FCX", "Q_FCY", "Q_CAM", "PFZ1", "BOTTOM_OFFST", "BOTTOM_STIFF",
        ),
        "STRUCTURAL": (
            "LONGITUDINAL_STIFFNESS", "LATERAL_STIFFNESS", "YAW_STIFFNESS", "FREQ_LONG",
            "FREQ_LAT", "FREQ_YAW", "FREQ_WINDUP", "DAMP_LONG", "DAMP_LAT", "DAMP_YAW",
            "DAMP_WINDUP", "DAMP_RESIDUAL", "DAMP_VLOW", "Q_BVX", "Q_BVT", "PCFX1", "PCFX2",
            "PCFX3", "PCFY1", "PCFY2", "PCFY3", "PCMZ1",
        ),
        "CONTACT_PATCH": (
            "Q_RA1", "Q_RA2", "Q_RB1", "Q_RB2", "ELLIPS_SHIFT", "ELLIPS_LENGTH",
            "ELLIPS_HEIGHT", "ELLIPS_ORDER", "ELLIPS_MAX_STEP", "ELLIPS_NWIDTH",
            "ELLIPS_NLENGTH",
        ),
        "INFLATION_PRESSURE_RANGE": ("PRESMIN", "PRESMAX"),
        "VERTICAL_FORCE_RANGE": ("FZMIN", "FZMAX"),
        "LONG_SLIP_RANGE": ("KPUMIN", "KPUMAX"),
        "SLIP_ANGLE_RANGE": ("ALPMIN", "ALPMAX"),
        "INCLINATION_ANGLE_RANGE": ("CAMMIN", "CAMMAX"),
        "SCALING_COEFFICIENTS": (
            "LFZO", "LCX", "LMUX", "LEX", "LKX", "LHX", "LVX", "LCY", "LMUY", "LEY", "LKY",
            "LHY", "LVY", "LTR", "LRES", "LXAL", "LYKA", "LVYKA", "LS", "LKYC", "LKZC",
            "LVMX", "LMX", "LMY", "LMP", "LMUV",
        ),
        "LONGITUDINAL_COEFFICIENTS": (
            "PCX1", "PDX1", "PDX2", "PDX3", "PEX1", "PEX2", "PEX3", "PEX4", "PKX1", "PKX2",
            "PKX3", "PHX1", "PHX2", "PVX1", "PVX2", "PPX1", "PPX2", "PPX3", "PPX4", "RBX1",
            "RBX2", "RBX3", "RCX1", "REX1", "REX2", "RHX1",
        ),
        "OVERTURNING_COEFFICIENTS": (
            "QSX1", "QSX2", "QSX3", "QSX4", "QSX5", "QSX6", "QSX7", "QSX8", "QSX9", "QSX10",
            "QSX11", "QSX12", "QSX13", "QSX14", "PPMX1",
        ),
        "LATERAL_COEFFICIENTS": (
            "PCY1", "PDY1", "PDY2", "PDY3", "PEY1", "PEY2", "PEY3", "PEY4", "PEY5", "PKY1",
            "PKY2", "PKY3", "PKY4", "PKY5", "PKY6", "PKY7", "PHY1", "PHY2", "PVY1", "PVY2",
            "PVY3", "PVY4", "PPY1", "PPY2", "PPY3", "PPY4", "PPY5", "RBY1", "RBY2", "RBY3",
            "RBY4", "RCY1", "REY1", "REY2", "RHY1", "RHY2", "RVY1", "RVY2", "RVY3", "RVY4",
            "RVY5", "RVY6",
        ),
        "ROLLING_COEFFICIENTS": (
            "QSY1", "QSY2", "QSY3", "QSY4", "QSY5", "QSY6", "QSY7", "QSY8",
        ),
        "ALIGNING_COEFFICIENTS": (
            "QBZ1", "QBZ2", "QBZ3", "QBZ4", "QBZ5", "QBZ9", "QBZ10", "QCZ1", "QDZ1", "QDZ2",
            "QDZ3", "QDZ4", "QDZ6", "QDZ7", "QDZ8", "QDZ9", "QDZ10", "QDZ11", "QEZ1", "QEZ2",
            "QEZ3", "QEZ4", "QEZ5", "QHZ1", "QHZ2", "QHZ3", "QHZ4", "PPZ1", "PPZ2", "SSZ1",
            "SSZ2", "SSZ3", "SSZ4",
        ),
        "TURNSLIP_COEFFICIENTS": (
            "PDXP1", "PDXP2", "PDXP3", "PKYP1", "PDYP1", "PDYP2", "PDYP3", "PDYP4", "PHYP1",
            "PHYP2", "PHYP3", "PHYP4", "PECP1", "PECP2", "QDTP1", "QCRP1", "QCRP2", "QBRP1",
            "QDRP1",
        ),
    }
)

#: Keys :mod:`sim.tyre.mf61` reads, by section (each must be present and a finite number).
MF61_REQUIRED_KEYS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "DIMENSION": ("UNLOADED_RADIUS",),
        "OPERATING_CONDITIONS": ("NOMPRES",),
        "VERTICAL": ("FNOMIN",),
        "SCALING_COEFFICIENTS": (
            "LFZO", "LCX", "LMUX", "LEX", "LKX", "LHX", "LVX", "LCY", "LMUY", "LEY", "LKY",
            "LHY", "LVY", "LXAL", "LYKA", "LVYKA", "LKYC", "LTR", "LRES", "LS", "LKZC",
        ),
        "LONGITUDINAL_COEFFICIENTS": MF61_TIR_KEYS["LONGITUDINAL_COEFFICIENTS"],
        "LATERAL_COEFFICIENTS": MF61_TIR_KEYS["LATERAL_COEFFICIENTS"],
        "ALIGNING_COEFFICIENTS": MF61_TIR_KEYS["ALIGNING_COEFFICIENTS"],
    }
)

#: Allowed spellings (case-insensitive) of each ``[UNITS]`` entry: SI only.
SI_UNITS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "LENGTH": ("meter", "metre"),
        "FORCE": ("newton",),
        "ANGLE": ("radians", "radian"),
        "MASS": ("kg", "kilogram"),
        "TIME": ("second",),
    }
)

#: Magic Formula versions (``[MODEL] FITTYP``) this package implements.
SUPPORTED_FITTYP = (61,)

_POSITIVE_KEYS = (
    ("VERTICAL", "FNOMIN"),
    ("OPERATING_CONDITIONS", "NOMPRES"),
    ("DIMENSION", "UNLOADED_RADIUS"),
    ("SCALING_COEFFICIENTS", "LFZO"),
)

_SECTION_RE = re.compile(r"^\[\s*([A-Za-z0-9_]+)\s*\]\s*$")
_ENTRY_RE = re.compile(r"^([A-Za-z0-9_]+)\s*=\s*(.*)$")
_INT_RE = re.compile(r"^[+-]?\d+$")
_FLOAT_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eEdD][+-]?\d+)?$")

_HEADER = ""  # key under which the comment lines *before* a section header are kept


@dataclass(frozen=True)
class TirFile:
    """A parsed and validated ``.tir`` file (MF 6.1), keys kept per section.

    Attributes
    ----------
    source : str
        Path (or ``"<string>"``) the text came from; used in every error message.
    sections : Mapping[str, Mapping[str, int | float | str]]
        ``sections["VERTICAL"]["FNOMIN"]``: values in file order, read-only. Numbers are
        SI (the reader insists on SI ``[UNITS]``); quoted strings are str without quotes.
    comments : Mapping[str, Mapping[str, str]]
        Inline ``$`` comment of each key (text after ``$``), if any.
    notes : Mapping[tuple[str, str], tuple[str, ...]]
        Whole comment lines kept for the writer: ``notes[(section, "")]`` precede the
        section header, ``notes[(section, key)]`` precede that key, ``notes[("", "")]``
        close the file.
    """

    source: str
    sections: Mapping[str, Mapping[str, TirValue]]
    comments: Mapping[str, Mapping[str, str]]
    notes: Mapping[tuple[str, str], tuple[str, ...]]

    def __getitem__(self, section: str) -> Mapping[str, TirValue]:
        """Return the read-only mapping of one section's keys to values."""
        return self.sections[section]

    def number(self, section: str, key: str) -> float:
        """Return ``[section] key`` as a float (SI units); SpecError if absent or a string."""
        value = self.sections.get(section, {}).get(key, MISSING)
        if value is MISSING:
            raise SpecError(self.source, f"{section}.{key}", MISSING, "required key is missing")
        if isinstance(value, str):
            raise SpecError(self.source, f"{section}.{key}", value, "must be a number")
        return float(value)

    def with_values(
        self, updates: Mapping[tuple[str, str], TirValue], source: str | None = None
    ) -> TirFile:
        """Return a validated copy with ``{(section, key): value}`` changed or added.

        A key not yet in the file is appended to its section (which must be standard).
        ``source`` names the copy in error messages (default: this file's source).
        """
        sections = {name: dict(entries) for name, entries in self.sections.items()}
        for (section, key), value in updates.items():
            sections.setdefault(section, {})[key] = value
        return _build(
            source if source is not None else self.source,
            sections,
            {name: dict(entries) for name, entries in self.comments.items()},
            dict(self.notes),
        )


def parse_tir(text: str, source: str = "<string>") -> TirFile:
    """Parse the text of a ``.tir`` file and validate it (see the module docstring).

    Parameters
    ----------
    text : str
        File contents (``\\n`` or ``\\r\\n`` line endings).
    source : str
        Name used in error messages (normally the path).

    Raises
    ------
    SpecError
        Malformed line, unknown section or key, duplicate, non-SI units, FITTYP other than
        61, a required key missing or not a finite number.
    """
    sections: dict[str, dict[str, TirValue]] = {}
    comments: dict[str, dict[str, str]] = {}
    notes: dict[tuple[str, str], tuple[str, ...]] = {}
    pending: list[str] = []
    section: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line[0] in "$!":
            pending.append(line)
            continue
        header = _SECTION_RE.match(line)
        if header:
            section = header.group(1).upper()
            if section not in MF61_TIR_KEYS:
                raise SpecError(
                    source, f"[{section}]", line,
                    "not a section of an MF 6.1 .tir file; sections are "
                    + ", ".join(f"[{name}]" for name in MF61_TIR_KEYS),
                )
            if section in sections:
                raise SpecError(source, f"[{section}]", line, "section appears twice")
            sections[section] = {}
            comments[section] = {}
            if pending:
                notes[(section, _HEADER)] = tuple(pending)
                pending = []
            continue
        entry = _ENTRY_RE.match(line)
        if entry is None:
            raise SpecError(
                source, f"line {number}", raw,
                "expected 'KEY = value $comment', '[SECTION]' or a '$' comment line",
            )
        key = entry.group(1).upper()
        if section is None:
            raise SpecError(source, key, line, "key before the first [SECTION] header")
        value, comment = _split_value(entry.group(2), source, f"{section}.{key}")
        if key in sections[section]:
            raise SpecError(source, f"{section}.{key}", value, "key appears twice in [" +
                            section + "]")
        sections[section][key] = value
        if comment is not None:
            comments[section][key] = comment
        if pending:
            notes[(section, key)] = tuple(pending)
            pending = []
    if pending:
        notes[("", _HEADER)] = tuple(pending)
    return _build(source, sections, comments, notes)


def read_tir(path: str | Path) -> TirFile:
    """Read and validate a ``.tir`` file (see :func:`parse_tir`); errors name ``path``."""
    from sim.spec.loader import read_text_file  # local: the loader sits above the tyres

    path = Path(path)
    return parse_tir(read_text_file(path, ".tir tyre file", str(path)), source=str(path))


def format_tir(tir: TirFile) -> str:
    """Return the text of ``tir`` in the usual ``.tir`` layout (``\\n`` line endings).

    ``KEY`` padded to 25 columns, ``=``, the value padded to 15 columns, ``$comment``;
    section banners and comment lines are kept where they were. Numbers are written in their
    shortest exact form (``repr``), strings in single quotes.
    """
    lines: list[str] = []
    for section, entries in tir.sections.items():
        lines.extend(tir.notes.get((section, _HEADER), ()))
        lines.append(f"[{section}]")
        section_comments = tir.comments.get(section, {})
        for key, value in entries.items():
            lines.extend(tir.notes.get((section, key), ()))
            text = _format_value(value)
            comment = section_comments.get(key)
            if comment is None:
                lines.append(f"{key:<25}=    {text}")
            else:
                lines.append(f"{key:<25}=    {text:<14} ${comment}")
    lines.extend(tir.notes.get(("", _HEADER), ()))
    return "\n".join(lines) + "\n"


def write_tir(tir: TirFile, path: str | Path) -> None:
    """Write ``tir`` to ``path`` in the layout of :func:`format_tir` (UTF-8)."""
    Path(path).write_text(format_tir(tir), encoding="utf-8")


def _format_value(value: TirValue) -> str:
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, int):
        return str(value)
    return repr(float(value))


def _split_value(rest: str, source: str, field: str) -> tuple[TirValue, str | None]:
    """Split ``value $comment`` into a typed value and the comment text (or None)."""
    rest = rest.strip()
    if rest.startswith("'") or rest.startswith('"'):
        quote = rest[0]
        end = rest.find(quote, 1)
        if end < 0:
            raise SpecError(source, field, rest, "unterminated quoted string")
        value: TirValue = rest[1:end].strip()
        tail = rest[end + 1:].strip()
    else:
        cut = rest.find("$")
        text = (rest if cut < 0 else rest[:cut]).strip()
        tail = "" if cut < 0 else rest[cut:]
        value = _parse_number(text, source, field)
    if not tail:
        return value, None
    if tail[0] not in "$!":
        raise SpecError(source, field, rest, "expected one value, optionally followed by "
                        "a '$' comment")
    return value, tail[1:].rstrip()


def _parse_number(text: str, source: str, field: str) -> int | float:
    if _INT_RE.match(text):
        return int(text)
    if _FLOAT_RE.match(text):
        value = float(text.replace("d", "e").replace("D", "e"))
        if not math.isfinite(value):
            raise SpecError(source, field, text, "must be a finite number")
        return value
    raise SpecError(source, field, text, "must be a number or a quoted string")


def _build(
    source: str,
    sections: dict[str, dict[str, TirValue]],
    comments: dict[str, dict[str, str]],
    notes: dict[tuple[str, str], tuple[str, ...]],
) -> TirFile:
    _validate(source, sections)
    return TirFile(
        source=source,
        sections=MappingProxyType(
            {name: MappingProxyType(dict(entries)) for name, entries in sections.items()}
        ),
        comments=MappingProxyType(
            {name: MappingProxyType(dict(comments.get(name, {}))) for name in sections}
        ),
        notes=MappingProxyType(dict(notes)),
    )


def _validate(source: str, sections: Mapping[str, Mapping[str, TirValue]]) -> None:
    for section, entries in sections.items():
        if section not in MF61_TIR_KEYS:
            raise SpecError(source, f"[{section}]", section,
                            "not a section of an MF 6.1 .tir file")
        known = MF61_TIR_KEYS[section]
        for key, value in entries.items():
            if key not in known:
                raise SpecError(source, f"{section}.{key}", value,
                                f"not a key of the MF 6.1 [{section}] section")
    _check_units(source, sections.get("UNITS", {}))
    _check_fittyp(source, sections.get("MODEL", {}).get("FITTYP", MISSING))
    for section, keys in MF61_REQUIRED_KEYS.items():
        for key in keys:
            value = sections.get(section, {}).get(key, MISSING)
            field = f"{section}.{key}"
            if value is MISSING:
                raise SpecError(source, field, MISSING,
                                f"required key is missing from [{section}] (the MF 6.1 "
                                "force model uses it)")
            if isinstance(value, str) or not math.isfinite(float(value)):
                raise SpecError(source, field, value, "must be a finite number")
    for section, key in _POSITIVE_KEYS:
        value = sections[section][key]
        if not float(value) > 0.0:
            raise SpecError(source, f"{section}.{key}", value, "must be > 0")
    lmuv = sections.get("SCALING_COEFFICIENTS", {}).get("LMUV", 0)
    if isinstance(lmuv, str) or float(lmuv) != 0.0:
        raise SpecError(source, "SCALING_COEFFICIENTS.LMUV", lmuv,
                        "must be 0: speed-dependent friction is not modelled")


def _check_units(source: str, units: Mapping[str, TirValue]) -> None:
    for key, allowed in SI_UNITS.items():
        value = units.get(key, MISSING)
        if value is MISSING:
            raise SpecError(source, f"UNITS.{key}", MISSING,
                            f"required key is missing; [UNITS] must be SI ('{allowed[0]}')")
        if not isinstance(value, str) or value.strip().lower() not in allowed:
            raise SpecError(source, f"UNITS.{key}", value,
                            "only SI units are supported: "
                            + " or ".join(f"'{name}'" for name in allowed)
                            + " (convert the file to meter/newton/radians/kg/second)")


def _check_fittyp(source: str, value: object) -> None:
    if value is MISSING:
        raise SpecError(source, "MODEL.FITTYP", MISSING,
                        "required key is missing; must be 61 (Magic Formula 6.1)")
    if isinstance(value, str) or float(value) not in SUPPORTED_FITTYP:
        raise SpecError(source, "MODEL.FITTYP", value,
                        "must be 61: only Magic Formula 6.1 is implemented "
                        "(5.2 = 6/21, 6.2 = 62 are not)")
