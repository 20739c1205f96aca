"""Dotted parameter paths: the one way every layer builds variants and batches.

A path names one quantity of a resolved vehicle by its stored (ISO 8855, SI) field names::

    packs.front.energy_kwh            components.front_motor.mass_kg
    geometry.wheelbase_m              load_cases.driver.occupants.driver
    components.front_motor.x_m        (ISO x, forward; the file's x_from_front_axle_m negated)

:func:`set_params` sets paths to values **or to 1-D arrays of values**; a vehicle holding arrays
is a batch whose members differ only in those paths, and every layer above (mass properties,
simulation, sweeps) evaluates all members in one call.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from sim.errors import SpecError, check_index
from sim.spec.fields import check_quantity, file_key
from sim.spec.vehicle import Vehicle, check_vehicle, fields_of, require_vehicle

_SOURCE = "<set_params>"


def _leaves(obj: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Yield ``(path, value)`` for every quantity below ``obj``."""
    for f in fields_of(type(obj)):
        kind = f.metadata["kind"]
        value = getattr(obj, f.name)
        path = f"{prefix}{f.name}"
        if kind == "quantity":
            if value is not None:  # an optional quantity left absent (e.g. "unlimited")
                yield path, value
        elif kind == "section" and value is not None:
            yield from _leaves(value, path + ".")
        elif kind == "table":
            for name, sub in value.items():
                yield from _leaves(sub, f"{path}.{name}.")
        elif kind == "quantity_table":
            for name, v in value.items():
                yield f"{path}.{name}", v


def param_paths(vehicle: Vehicle) -> list[str]:
    """Every dotted path of ``vehicle`` that :func:`set_params` accepts, in file order."""
    require_vehicle(vehicle)
    return [path for path, _ in _leaves(vehicle)]


def batch_size(vehicle: Vehicle) -> int:
    """Number of batch members: the common length of all array-valued quantities (1 if none)."""
    sizes = {np.size(v) for _, v in _leaves(vehicle) if isinstance(v, np.ndarray)}
    if len(sizes) > 1:  # set_params prevents this; guard against hand-built vehicles
        raise SpecError(_SOURCE, "<batch>", sorted(sizes), "all arrays must have one length")
    return sizes.pop() if sizes else 1


def _resolve(obj: Any, parts: list[str], path: str):
    """Walk ``parts`` from ``obj``; return ``(container, field_meta, key)`` of the leaf."""
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        if dataclasses.is_dataclass(obj):
            fields = {f.name: f for f in fields_of(type(obj))}
            if part not in fields:
                by_file_key = {file_key(f): f for f in fields.values()}
                if part in by_file_key:
                    stored = by_file_key[part]
                    hint = (f"'{part}' is the file's name; the resolved vehicle stores "
                            f"'{stored.name}' (ISO 8855, = {stored.metadata['file_sign']:+g} x "
                            f"{part})")
                else:
                    hint = "unknown field; fields here are " + ", ".join(fields)
                raise SpecError(_SOURCE, path, part, hint)
            meta = fields[part].metadata
            if last:
                if meta["kind"] != "quantity":
                    raise SpecError(_SOURCE, path, part,
                                    f"names a {meta['kind']}, not a number; extend the path")
                return obj, meta, part
            if meta["kind"] == "quantity_table" and depth == len(parts) - 2:
                table_obj = getattr(obj, part)
                return table_obj, meta, parts[-1]
            obj = getattr(obj, part)
            if obj is None:
                raise SpecError(_SOURCE, path, part, "this vehicle has no such section")
        elif isinstance(obj, Mapping):
            if part not in obj:
                raise SpecError(_SOURCE, path, part,
                                "unknown name; names here are " + ", ".join(obj))
            obj = obj[part]
        else:  # pragma: no cover - quantities are leaves
            raise SpecError(_SOURCE, path, part, "path continues past a number")
    raise SpecError(_SOURCE, path, path, "path must name a number")


def get_param(vehicle: Vehicle, path: str):
    """Value of the quantity at dotted ``path`` (float, or a per-member array in a batch)."""
    require_vehicle(vehicle)
    if not isinstance(path, str):
        raise SpecError(_SOURCE, "path", path, "a dotted parameter path (a str)")
    container, _, key = _resolve(vehicle, path.split("."), path)
    if isinstance(container, Mapping):
        if key not in container:
            raise SpecError(_SOURCE, path, key,
                            "unknown name; names here are " + (", ".join(container) or "none"))
        return container[key]
    return getattr(container, key)


def _replaced(obj: Any, parts: list[str], value: Any):
    """A copy of ``obj`` with the leaf at ``parts`` replaced by ``value`` (already checked)."""
    head, rest = parts[0], parts[1:]
    if isinstance(obj, Mapping):
        new = dict(obj)
        new[head] = value if not rest else _replaced(obj[head], rest, value)
        return types.MappingProxyType(new)
    if not rest:
        return dataclasses.replace(obj, **{head: value})
    return dataclasses.replace(obj, **{head: _replaced(getattr(obj, head), rest, value)})


def set_params(vehicle: Vehicle, values: Mapping[str, Any]) -> Vehicle:
    """A new vehicle with each dotted path in ``values`` set to a number or a 1-D array.

    Arrays make a batch: every array must have the same length N (also as the arrays already in
    ``vehicle``), and member *i* takes element *i* of each. Each value is validated against its
    field's unit and bounds, then the whole vehicle is checked again (items inside the body,
    load within the GVWR...). Raises :class:`~sim.errors.SpecError` naming the path, the value
    (with its batch index) and what is allowed. ``vehicle`` itself is not changed.

    Example: 10 000 pack splits at a constant 72 kWh::

        e_front = np.linspace(0.0, 72.0, 10_000)
        batch = sim.set_params(coupe, {"packs.front.energy_kwh": e_front,
                                       "packs.rear.energy_kwh": 72.0 - e_front})
    """
    require_vehicle(vehicle)
    if not isinstance(values, Mapping):
        raise SpecError(_SOURCE, "values", values, "a mapping of dotted paths to values")
    new = vehicle
    sizes = {}
    for path, value in values.items():
        parts = str(path).split(".")
        _, meta, _ = _resolve(new, parts, path)
        checked = check_quantity(value, meta, _SOURCE, path)
        if isinstance(checked, np.ndarray):
            sizes[path] = checked.size
        new = _replaced(new, parts, checked)
    try:
        batch_size(new)
    except SpecError:
        raise SpecError(_SOURCE, ", ".join(sizes), sizes,
                        "every array must have the same length, also as the arrays the vehicle "
                        f"already holds (batch of {vehicle.batch_size})") from None
    check_vehicle(new, _SOURCE)
    return new


def member(vehicle: Vehicle, index: int) -> Vehicle:
    """Batch member ``index`` of ``vehicle`` as a single (unbatched) vehicle."""
    n = require_vehicle(vehicle).batch_size
    index = check_index(index, n, source=_SOURCE)
    arrays = {p: float(v[index]) for p, v in _leaves(vehicle) if isinstance(v, np.ndarray)}
    new = vehicle
    for path, v in arrays.items():
        new = _replaced(new, path.split("."), v)
    return new
