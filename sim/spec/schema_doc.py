"""The vehicle-file schema reference, generated from the section declarations.

``python -m sim schema`` prints it; ``docs/vehicle_files.md`` embeds it and a test keeps the
two identical, so the reference can never drift from the code.
"""

from __future__ import annotations

import dataclasses

from sim.spec.fields import allowed_range, array_shape_text, file_key
from sim.spec.vehicle import Vehicle, fields_of


def _rows(cls) -> list[str]:
    rows = []
    for f in fields_of(cls):
        m = f.metadata
        kind = m["kind"]
        if kind in ("quantity", "quantity_table"):
            allowed = allowed_range(m)
            if m.get("file_sign", 1.0) != 1.0:
                allowed += f"; stored as `{f.name}` = {m['file_sign']:+g} x file value"
        elif kind == "quantity_array":
            allowed = array_shape_text(m) + ", each " + allowed_range(m)
        elif kind == "text":
            allowed = "text" + (": " + ", ".join(f"`{c}`" for c in m["choices"])
                                if m["choices"] else "")
        elif kind == "path":
            allowed = f"file path ending in `{m['suffix']}`, relative to the vehicle file"
        else:
            allowed = f"{kind} of `{m['cls'].__name__}`"
        required = f.default is f.default_factory  # both MISSING: no default
        defaulted = kind == "section" and f.default_factory is not dataclasses.MISSING
        default = "required" if required else (
            "optional (absent: every field at its default)" if defaulted else
            "optional" if f.default is None or kind in ("table", "quantity_table")
            else f"default `{f.default!r}`")
        rows.append(f"| `{file_key(f)}` | {m['doc']} | {allowed} | {default} |")
    return rows


def schema_markdown() -> str:
    """Markdown tables of every section and field: key, meaning, unit and range, default."""
    out = ["# Vehicle-file schema reference", "",
           "Generated from `sim/spec/vehicle.py` by `python -m sim schema`; do not edit by hand.",
           ""]
    for f in fields_of(Vehicle):
        out += _section_docs(f, f.name)
    return "\n".join(out).rstrip()


def _section_docs(f, dotted: str) -> list[str]:
    """The table of section field ``f`` at ``dotted`` and, after it, those of its nested
    sections and tables (``[drivetrain.motors.<name>.losses]``...)."""
    cls = f.metadata["cls"]
    name = f"[{dotted}]" if f.metadata["kind"] == "section" else f"[{dotted}.<name>]"
    summary = " ".join((cls.__doc__ or "").split("\n\n")[0].split())
    summary = summary.split(": ", 1)[1] if summary.startswith("``[") else summary
    out = [f"## `{name}`: {f.metadata['doc']}", "", summary[:1].upper() + summary[1:], "",
           "| key | meaning | allowed | default |", "| --- | --- | --- | --- |",
           *_rows(cls), ""]
    for sub in fields_of(cls):
        if sub.metadata["kind"] in ("section", "table"):
            out += _section_docs(sub, name[1:-1] + "." + file_key(sub))
    return out
