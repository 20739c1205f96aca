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


#: Largest vehicle or ``.tir`` file read [bytes]; real ones are a few tens of kB.
MAX_FILE_BYTES = 2_000_000


def read_text_file(path: Path, what: str, shown: str | None = None) -> str:
    """The text of ``path`` (UTF-8, a leading byte-order mark dropped). Every problem is a
    :class:`SpecError` naming the file: missing, a directory, unreadable, larger than
    :data:`MAX_FILE_BYTES`, not UTF-8 text."""
    shown = shown or _display(path)
    if path.is_dir():
        raise SpecError(shown, "<file>", str(path), f"is a directory, not a {what}")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise SpecError(shown, "<file>", f"{size} bytes",
                            f"too large for a {what} (at most {MAX_FILE_BYTES} bytes)")
        data = path.read_bytes()
    except FileNotFoundError:
        raise SpecError(shown, "<file>", str(path), "file not found") from None
    except OSError as exc:
        raise SpecError(shown, "<file>", str(path),
                        f"cannot be read ({exc.strerror or type(exc).__name__})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpecError(shown, "<file>", f"byte 0x{data[exc.start]:02x} at offset {exc.start}",
                        f"a {what} must be UTF-8 text (is it a binary file?)") from None


def _read_toml(path: Path) -> dict[str, Any]:
    text_value = read_text_file(path, "vehicle file (TOML)")
    try:
        return tomllib.loads(text_value)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(_display(path), "<toml>", str(exc), "valid TOML") from None
    except RecursionError:
        raise SpecError(_display(path), "<toml>", "nested too deeply",
                        "a vehicle file (tables nest a few levels deep)") from None


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
        base = _extends_target(path, rel)
        if base.resolve() not in chain and base.resolve() != path.resolve():
            _check_vehicle_layer(base, path, rel, texts)
        for layer in _resolve_layers(base, (*chain, path.resolve()), texts):
            if layer not in layers:
                layers.append(layer)
    layers.append(path)
    return layers


def _parts() -> list[str]:
    return sorted(p.stem for p in (_builtin_dir() / "parts").glob("*.toml"))


def _extends_target(path: Path, rel: str) -> Path:
    """The file an ``extends`` entry of ``path`` names: a built-in variant or part by name
    (no ``/`` and no ``.``), or a path relative to ``path``'s folder (or absolute)."""
    if "/" not in rel and "\\" not in rel and "." not in rel:
        for folder in (_builtin_dir(), _builtin_dir() / "parts"):
            if (folder / f"{rel}.toml").is_file():
                return folder / f"{rel}.toml"
        raise SpecError(_display(path), "extends", rel,
                        "no built-in variant or part of that name; variants: "
                        + ", ".join(list_vehicles()) + "; parts: " + ", ".join(_parts())
                        + " (or a path ending in .toml)")
    base = path.parent / rel
    if not base.is_file():
        raise SpecError(_display(path), "extends", rel,
                        ("is a directory, not a vehicle file" if base.is_dir() else
                         "no such file") + f" (paths are relative to {_display(path.parent)})")
    if base.suffix != ".toml":
        raise SpecError(_display(path), "extends", rel, "a vehicle file ending in .toml")
    return base


def _check_vehicle_layer(base: Path, path: Path, rel: str, texts: dict[Path, dict]) -> None:
    """``base`` must read as a vehicle file (TOML whose top-level keys are vehicle sections);
    otherwise the error names it by path only and never quotes its content."""
    try:
        data = texts.setdefault(base, _read_toml(base))
    except SpecError as exc:
        raise SpecError(_display(path), "extends", rel,
                        f"{_display(base)} is not a readable vehicle file ({exc.allowed})") \
            from None
    known = {f.metadata.get("file_key") or f.name for f in dataclasses.fields(Vehicle)
             if f.metadata.get("kind")} | {"extends"}
    if not set(data) <= known:
        raise SpecError(_display(path), "extends", rel,
                        f"{_display(base)} is not a vehicle file (its top-level keys are not "
                        "vehicle sections)")


def _path_for(name_or_path: str | Path) -> Path:
    if not isinstance(name_or_path, str | Path):
        raise SpecError("<argument>", "name_or_path", name_or_path,
                        "a built-in variant name or the path of a .toml file")
    text_value = str(name_or_path)
    if isinstance(name_or_path, Path) or text_value.endswith(".toml") or "/" in text_value:
        path = Path(name_or_path)
        if path.is_dir():
            raise SpecError(text_value, "<file>", text_value,
                            "is a directory, not a vehicle file")
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
    try:
        return _load(path)
    except RecursionError:
        raise SpecError(_display(path), "<file>", "nested too deeply",
                        "a vehicle file (tables nest a few levels deep)") from None


def _load(path: Path) -> Vehicle:
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
