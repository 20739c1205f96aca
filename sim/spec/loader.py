"""Reading vehicle files: TOML, composition with ``extends``, validation.

A vehicle file may start with ``extends = "parts/platform.toml"`` or a list of such paths
(relative to the file). The bases are merged in order, then the file itself: tables merge key by
key, and any other value set again by a later file **overrides** the earlier one. The resulting
:class:`~sim.spec.vehicle.Vehicle` records the files it came from and the dotted paths that were
overridden, and every error names the file that set the offending value.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from sim.errors import SpecError, UnknownVehicleError
from sim.spec.fields import build_section
from sim.spec.vehicle import Vehicle, check_vehicle

_BUILTIN = "vehicles"


def _builtin_dir() -> Path:
    return Path(str(resources.files("sim") / _BUILTIN))


def list_vehicles() -> list[str]:
    """Names of the built-in variants (the ``*.toml`` files directly in ``sim/vehicles/``),
    sorted. Files under ``sim/vehicles/parts/`` are building blocks, not variants."""
    return sorted(p.stem for p in _builtin_dir().glob("*.toml"))


class Origin:
    """Which file set each dotted path of a merged vehicle; ``of(path)`` names the file that
    set ``path`` or, failing that, its nearest parent (used in error messages)."""

    def __init__(self, default: Path):
        self.default = default
        self.by_path: dict[str, Path] = {}

    def _file(self, path: str) -> Path:
        parts = path.split(".")
        for n in range(len(parts), 0, -1):
            hit = self.by_path.get(".".join(parts[:n]))
            if hit is not None:
                return hit
        return self.default

    def of(self, path: str) -> str:
        """Display name of the file that set ``path``."""
        return _display(self._file(path))

    def directory_of(self, path: str) -> Path:
        """Folder of the file that set ``path`` (relative paths in it start there)."""
        return self._file(path).parent


def _display(path: Path) -> str:
    """Short name of a file for messages: relative to the built-in folder when inside it."""
    try:
        return "sim/vehicles/" + path.resolve().relative_to(_builtin_dir().resolve()).as_posix()
    except ValueError:
        return str(path)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise SpecError(_display(path), "<file>", str(path), "file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(_display(path), "<toml>", str(exc), "valid TOML") from None


def _merge(base: dict, top: Mapping, origin: Origin, file: Path, overrides: list[str],
           prefix: str = "") -> None:
    """Merge ``top`` into ``base`` in place (tables key by key), recording origins/overrides."""
    for key, value in top.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _merge(base[key], value, origin, file, overrides, path + ".")
            continue
        if key in base:
            overrides.append(path)
        base[key] = _plain(value)
        _record(value, path, origin, file)


def _plain(value):
    return {k: _plain(v) for k, v in value.items()} if isinstance(value, Mapping) else value


def _record(value, path: str, origin: Origin, file: Path) -> None:
    origin.by_path[path] = file
    if isinstance(value, Mapping):
        for k, v in value.items():
            _record(v, f"{path}.{k}", origin, file)


def _resolve_layers(path: Path, chain: tuple[Path, ...], texts: dict[Path, dict]) -> list[Path]:
    """The files to merge for ``path``, bases first (depth-first through ``extends``); fills
    ``texts`` with each file's parsed TOML so that every file is read once."""
    if path.resolve() in chain:
        cycle = " -> ".join(_display(p) for p in (*chain, path.resolve()))
        raise SpecError(_display(path), "extends", cycle, "files must not extend themselves")
    data = texts.setdefault(path, _read_toml(path))
    ext = data.get("extends", [])
    if isinstance(ext, str):
        ext = [ext]
    if not isinstance(ext, list) or not all(isinstance(e, str) for e in ext):
        raise SpecError(_display(path), "extends", ext, "a file path or a list of file paths")
    layers: list[Path] = []
    for rel in ext:
        base = (path.parent / rel)
        if not base.is_file():
            raise SpecError(_display(path), "extends", rel,
                            f"no such file (paths are relative to {_display(path.parent)})")
        for layer in _resolve_layers(base, (*chain, path.resolve()), texts):
            if layer not in layers:
                layers.append(layer)
    layers.append(path)
    return layers


def _path_for(name_or_path: str | Path) -> Path:
    text_value = str(name_or_path)
    if isinstance(name_or_path, Path) or text_value.endswith(".toml") or "/" in text_value:
        path = Path(name_or_path)
        if not path.is_file():
            raise SpecError(text_value, "<file>", text_value, "file not found")
        return path
    if text_value not in list_vehicles():
        raise UnknownVehicleError(text_value, list_vehicles())
    return _builtin_dir() / f"{text_value}.toml"


def load_vehicle(name_or_path: str | Path) -> Vehicle:
    """Load and validate a vehicle: a built-in variant name (see :func:`list_vehicles`) or the
    path of a ``.toml`` file.

    Returns a single (batch of one) :class:`~sim.spec.vehicle.Vehicle` in SI units and ISO 8855
    axes. Raises :class:`~sim.errors.SpecError` naming the file, the field, the value and what
    is allowed (:class:`~sim.errors.UnknownVehicleError` lists the built-in names).
    """
    path = _path_for(name_or_path)
    texts: dict[Path, dict] = {}
    layers = _resolve_layers(path, (), texts)
    merged: dict[str, Any] = {}
    origin = Origin(path)
    overrides: list[str] = []
    for layer in layers:
        data = {k: v for k, v in texts[layer].items() if k != "extends"}
        _merge(merged, data, origin, layer, overrides)
    vehicle = build_section(Vehicle, merged, origin, "")
    vehicle = dataclasses.replace(vehicle, name=path.stem,
                                  files=tuple(_display(p) for p in layers),
                                  overrides=tuple(overrides))
    check_vehicle(vehicle, origin)
    return vehicle


def vehicle_from_dict(data: Mapping[str, Any], *, name: str = "custom",
                      source: str = "<dict>") -> Vehicle:
    """Build and validate a vehicle from a mapping shaped like a vehicle file (file keys and
    conventions, no ``extends``), e.g. one made in a notebook. Errors name ``source``."""
    vehicle = build_section(Vehicle, data, source, "")
    vehicle = dataclasses.replace(vehicle, name=name, files=(source,))
    check_vehicle(vehicle, source)
    return vehicle
