"""Field declarations and the one generic validator every section uses.

A *section* of a vehicle file is a frozen dataclass whose fields are declared with the helpers
below. Each declaration carries the field's unit, its allowed range and a one-line doc string,
so that validation, error messages, the schema reference (``python -m sim schema``) and the
dotted-parameter machinery all read the same metadata; nothing is declared twice.

Kinds of field:

``quantity``
    A real number in the unit the field name ends with (``_kg``, ``_m``, ``_kwh``...). After
    :func:`sim.set_params` a quantity may hold a 1-D array of values, one per batch member.
``text``
    A string (optionally restricted to a set of choices).
``section``
    A nested section (a TOML table) of a given dataclass type.
``table``
    A mapping of user-chosen names to sections of one type (``[components.<name>]``).
``quantity_table``
    A mapping of names to quantities (``occupants = { driver = 75.0 }``).
``quantity_array``
    A list (or a list of equal-length lists) of numbers in one unit, each bounded: a curve or
    a map over a grid (``full_load_torque_nm = [190.0, 270.0, ...]``). Stored as a read-only
    float64 array; not a batch axis, so :func:`sim.set_params` does not reach into it.
``path``
    A file path, written relative to the file that sets it and stored absolute.

A quantity may be stored under another name and sign than the file uses: positions are written
in the vehicle-design convention (``x_from_front_axle_m``, measured rearward) and stored in
ISO 8855 axes (``x_m``, forward); ``file_key`` and ``file_sign`` say how, and the conversion
happens once, here.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from sim.errors import MISSING, SpecError

_NO_DEFAULT = dataclasses.MISSING


def quantity(
    doc: str,
    unit: str,
    *,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
    default: Any = _NO_DEFAULT,
    file_key: str | None = None,
    file_sign: float = 1.0,
):
    """Declare a real-valued field with unit ``unit`` and bounds (inclusive ``ge``/``le``,
    exclusive ``gt``/``lt``). ``file_key``/``file_sign``: the file stores ``file_sign * value``
    under ``file_key`` (bounds apply to the stored, converted value)."""
    meta = dict(kind="quantity", doc=doc, unit=unit, ge=ge, gt=gt, le=le, lt=lt,
                file_key=file_key, file_sign=file_sign)
    return dataclasses.field(default=default, metadata=meta)


def text(doc: str, *, choices: tuple[str, ...] | None = None, default: Any = _NO_DEFAULT):
    """Declare a string field, optionally restricted to ``choices``."""
    return dataclasses.field(default=default,
                             metadata=dict(kind="text", doc=doc, choices=choices))


def section(cls: type, doc: str, *, optional: bool = False, defaulted: bool = False):
    """Declare a nested section of type ``cls``; ``optional`` sections default to ``None``,
    ``defaulted`` ones to ``cls()`` (every field at its default: a section of factors that
    all default to 1, whose dotted paths exist even when the file leaves it out)."""
    meta = dict(kind="section", doc=doc, cls=cls)
    if defaulted:
        return dataclasses.field(default_factory=cls, metadata=meta)
    default = None if optional else _NO_DEFAULT
    return dataclasses.field(default=default, metadata=meta)


def table(cls: type, doc: str, *, optional: bool = True):
    """Declare a mapping of names to sections of type ``cls`` (defaults to empty)."""
    if optional:
        return dataclasses.field(default_factory=lambda: types.MappingProxyType({}),
                                 metadata=dict(kind="table", doc=doc, cls=cls))
    return dataclasses.field(metadata=dict(kind="table", doc=doc, cls=cls))


def quantity_table(doc: str, unit: str, *, ge: float | None = None, le: float | None = None):
    """Declare a mapping of names to quantities in ``unit`` (defaults to empty)."""
    meta = dict(kind="quantity_table", doc=doc, unit=unit, ge=ge, gt=None, le=le, lt=None,
                file_key=None, file_sign=1.0)
    return dataclasses.field(default_factory=lambda: types.MappingProxyType({}), metadata=meta)


def quantity_array(doc: str, unit: str, *, max_shape: tuple[int, ...], min_len: int = 2,
                   ge: float | None = None, gt: float | None = None,
                   le: float | None = None, lt: float | None = None):
    """Declare a list (``len(max_shape) == 1``) or a list of equal-length lists (2) of numbers
    in ``unit``, each within the bounds; every axis holds ``min_len`` to ``max_shape[axis]``
    entries."""
    meta = dict(kind="quantity_array", doc=doc, unit=unit, ge=ge, gt=gt, le=le, lt=lt,
                max_shape=tuple(max_shape), min_len=min_len, file_key=None, file_sign=1.0)
    return dataclasses.field(metadata=meta)


def array_shape_text(meta: Mapping[str, Any]) -> str:
    """Human-readable shape rule of a quantity array, e.g. ``'a list of 2 to 16 numbers'``."""
    lo, shape = meta["min_len"], meta["max_shape"]
    if len(shape) == 1:
        return f"a list of {lo} to {shape[0]} numbers"
    return (f"a list of {lo} to {shape[0]} rows, each a list of {lo} to {shape[1]} numbers "
            "(all rows the same length)")


def check_quantity_array(raw: Any, meta: Mapping[str, Any], source: str, path: str):
    """Validate a quantity array (see :func:`quantity_array`); return a read-only float64
    array. Raises :class:`~sim.errors.SpecError` naming the first offending entry as
    ``path[i]`` or ``path[i][j]``."""
    shape_text = array_shape_text(meta)
    shape = meta["max_shape"]

    def numbers(row, where):
        if not isinstance(row, list | tuple) or not (meta["min_len"] <= len(row)):
            raise SpecError(source, where, row, shape_text)
        for j, v in enumerate(row):
            if not _is_number(v):
                raise SpecError(source, f"{where}[{j}]", v, allowed_range(meta))
        return [float(v) for v in row]

    if len(shape) == 1:
        values = np.asarray(numbers(raw, path), dtype=float)
    else:
        rows = raw if isinstance(raw, list | tuple) else None
        if rows is None or len(rows) < meta["min_len"]:
            raise SpecError(source, path, raw, shape_text)
        rows = [numbers(r, f"{path}[{i}]") for i, r in enumerate(rows)]
        if len({len(r) for r in rows}) != 1:
            raise SpecError(source, path, [len(r) for r in rows],
                            shape_text + "; got rows of different lengths")
        values = np.asarray(rows, dtype=float)
    if any(n > m for n, m in zip(values.shape, shape, strict=True)):
        raise SpecError(source, path, list(values.shape), shape_text)
    for index in np.ndindex(values.shape):
        try:
            check_quantity(float(values[index]), meta, source, path)
        except SpecError:
            where = path + "".join(f"[{i}]" for i in index)
            raise SpecError(source, where, float(values[index]), allowed_range(meta)) from None
    values.flags.writeable = False
    return values


def path(doc: str, *, suffix: str):
    """Declare a file path (relative to the vehicle file that sets it) ending in ``suffix``;
    the stored value is the absolute path, and the file must exist."""
    return dataclasses.field(metadata=dict(kind="path", doc=doc, suffix=suffix))


def file_key(f: dataclasses.Field) -> str:
    """The key under which field ``f`` is written in a vehicle file."""
    return f.metadata.get("file_key") or f.name


def allowed_range(meta: Mapping[str, Any]) -> str:
    """Human-readable description of a quantity's allowed values, e.g. ``'finite, > 0 kg'``."""
    parts = []
    if meta.get("gt") is not None:
        parts.append(f"> {meta['gt']:g}")
    if meta.get("ge") is not None:
        parts.append(f">= {meta['ge']:g}")
    if meta.get("lt") is not None:
        parts.append(f"< {meta['lt']:g}")
    if meta.get("le") is not None:
        parts.append(f"<= {meta['le']:g}")
    bounds = " and ".join(parts)
    unit = meta.get("unit") or ""
    return ("a finite number" + (f" {bounds}" if bounds else "") + (f" [{unit}]" if unit else ""))


def check_quantity(value: Any, meta: Mapping[str, Any], source: str, path: str):
    """Validate a quantity (a number or a 1-D array of numbers) against ``meta``.

    Returns the value as ``float`` or as a read-only 1-D float64 array. Raises
    :class:`~sim.errors.SpecError` naming ``source``, ``path``, the first offending value
    (with its batch index for arrays) and the allowed range.
    """
    allowed = allowed_range(meta)
    if isinstance(value, bool) or isinstance(value, str | bytes):
        raise SpecError(source, path, value, allowed)
    if isinstance(value, int | float | np.integer | np.floating):
        values = np.asarray([float(value)])
        scalar = True
    else:
        try:
            values = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise SpecError(source, path, value, allowed) from None
        if values.ndim == 0:
            scalar, values = True, values.reshape(1)
        elif values.ndim == 1 and values.size > 0:
            scalar = False
        else:
            raise SpecError(source, path, value,
                            allowed + "; a batch of values must be a non-empty 1-D array")
    bad = ~np.isfinite(values)
    lo_ge, lo_gt, hi_le, hi_lt = meta.get("ge"), meta.get("gt"), meta.get("le"), meta.get("lt")
    with np.errstate(invalid="ignore"):
        if lo_ge is not None:
            bad |= values < lo_ge
        if lo_gt is not None:
            bad |= values <= lo_gt
        if hi_le is not None:
            bad |= values > hi_le
        if hi_lt is not None:
            bad |= values >= hi_lt
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        shown = float(values[i])
        where = path if scalar else f"{path}[{i}]"
        raise SpecError(source, where, shown, allowed)
    if scalar:
        return float(values[0])
    values = values.copy()
    values.flags.writeable = False
    return values


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def source_of(source: Any, path: str) -> str:
    """The file to blame for ``path``: ``source`` itself, or ``source.of(path)`` when the
    vehicle was merged from several files (see :class:`sim.spec.loader.Origin`)."""
    return source if isinstance(source, str) else source.of(path)


def _directory_of(source: Any, path: str) -> Path:
    """Folder against which a relative path set at ``path`` is resolved."""
    if isinstance(source, str):
        return Path.cwd()
    return source.directory_of(path)


def build_section(cls: type, data: Any, source: Any, path: str):
    """Build and validate section ``cls`` from a TOML table ``data``.

    Unknown keys, missing required keys and out-of-range values raise
    :class:`~sim.errors.SpecError` naming ``source`` (the file), the dotted field path, the
    value and what is allowed. ``path`` is the dotted prefix of this section ("" at top).
    """
    prefix = f"{path}." if path else ""
    if not isinstance(data, Mapping):
        raise SpecError(source_of(source, path), path or "<top level>", data,
                        f"a table of {cls.__name__} fields")
    by_key = {file_key(f): f for f in dataclasses.fields(cls) if f.metadata.get("kind")}
    unknown = [k for k in data if k not in by_key]
    if unknown:
        bad = prefix + unknown[0]
        close = difflib.get_close_matches(unknown[0], by_key, n=1)
        hint = f"unknown field (did you mean '{close[0]}'?)" if close else "unknown field"
        raise SpecError(source_of(source, bad), bad, data[unknown[0]],
                        hint + "; allowed fields here are " + ", ".join(sorted(by_key)))
    kwargs = {}
    for key, f in by_key.items():
        meta = f.metadata
        fpath = prefix + key
        if key not in data:
            if f.default is _NO_DEFAULT and f.default_factory is _NO_DEFAULT:
                what = (allowed_range(meta) if meta["kind"] == "quantity"
                        else f"a {meta['kind']}")
                raise SpecError(source_of(source, path), fpath, MISSING,
                                f"required field ({meta['doc']}): {what}")
            continue
        raw = data[key]
        kwargs[f.name] = _build_value(meta, raw, source, fpath)
    return cls(**kwargs)


def _build_value(meta: Mapping[str, Any], raw: Any, source: str, fpath: str):
    kind = meta["kind"]
    src = source_of(source, fpath)
    if kind == "quantity":
        if not _is_number(raw):
            raise SpecError(src, fpath, raw, allowed_range(meta))
        try:  # bounds are on the stored value; an error reports the file's value and terms
            return check_quantity(float(raw) * meta["file_sign"], meta, src, fpath)
        except SpecError:
            raise SpecError(src, fpath, raw, _file_allowed(meta)) from None
    if kind == "quantity_array":
        return check_quantity_array(raw, meta, src, fpath)
    if kind == "text":
        if not isinstance(raw, str):
            raise SpecError(src, fpath, raw, "a string")
        if meta["choices"] and raw not in meta["choices"]:
            raise SpecError(src, fpath, raw, "one of " + ", ".join(meta["choices"]))
        return raw
    if kind == "path":
        if not isinstance(raw, str) or not raw.endswith(meta["suffix"]):
            raise SpecError(src, fpath, raw, f"a file path ending in {meta['suffix']}")
        resolved = (_directory_of(source, fpath) / raw).resolve()
        if not resolved.is_file():
            raise SpecError(src, fpath, raw, f"no such file (looked for {resolved})")
        return str(resolved)
    if kind == "section":
        return build_section(meta["cls"], raw, source, fpath)
    if kind == "table":
        if not isinstance(raw, Mapping):
            raise SpecError(src, fpath, raw, f"a table of named {meta['cls'].__name__} tables")
        return types.MappingProxyType(
            {name: build_section(meta["cls"], sub, source, f"{fpath}.{name}")
             for name, sub in raw.items()})
    if kind == "quantity_table":
        if not isinstance(raw, Mapping):
            raise SpecError(src, fpath, raw, f"a table of names to numbers [{meta['unit']}]")
        out = {}
        for name, v in raw.items():
            if not _is_number(v):
                raise SpecError(src, f"{fpath}.{name}", v, allowed_range(meta))
            out[name] = check_quantity(float(v), meta, src, f"{fpath}.{name}")
        return types.MappingProxyType(out)
    raise AssertionError(f"unknown field kind {kind!r}")  # pragma: no cover


def _file_allowed(meta: Mapping[str, Any]) -> str:
    """Allowed range of a sign-converted quantity, expressed in the file's convention."""
    s = meta["file_sign"]
    flipped = dict(meta)
    if s < 0:
        flipped.update(ge=None if meta["le"] is None else -meta["le"],
                       le=None if meta["ge"] is None else -meta["ge"],
                       gt=None if meta["lt"] is None else -meta["lt"],
                       lt=None if meta["gt"] is None else -meta["gt"])
    return allowed_range(flipped)

