"""Command line: ``python -m sim <command>`` (also installed as ``sim``).

Commands::

    sim vehicles [--load CASE] [--json]            table of the built-in variants
    sim mass VEHICLE [--load CASE] [--items N] [--json]
    sim split VEHICLE (--front-fraction F | --min-yaw-inertia) [--total-energy-kwh E]
              [--load CASE] [--json]
    sim schema                                     reference of the vehicle-file schema
    sim demo [--out DIR]                           the mass-distribution study, with figures

This is the only module of ``sim`` that prints. Bad input prints the error's message (file,
field, value, what is allowed) to stderr and exits with status 2, without a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sim.errors import SimError
from sim.mass import (
    front_fraction_range,
    mass_properties,
    split_for_front_fraction,
    split_for_min_yaw_inertia,
    split_packs,
)
from sim.spec import DEFAULT_LOAD_CASE, list_vehicles, load_vehicle
from sim.spec.schema_doc import schema_markdown


def format_table(rows: Sequence[dict], columns: Sequence[tuple[str, str, str]]) -> str:
    """Plain-text table: ``columns`` are (key, header, format spec); numbers right-aligned."""
    cells = [[format(r[k], f) if f else str(r[k]) for k, _, f in columns] for r in rows]
    heads = [h for _, h, _ in columns]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(heads)]
    numeric = [bool(f) for _, _, f in columns]

    def line(values):
        return "  ".join(v.rjust(w) if num else v.ljust(w)
                         for v, w, num in zip(values, widths, numeric, strict=True)).rstrip()

    return "\n".join([line(heads), line(["-" * w for w in widths])] + [line(c) for c in cells])


VEHICLE_COLUMNS = (
    ("variant", "variant", ""), ("mass_kg", "mass kg", ".0f"),
    ("front_pct", "front %", ".1f"), ("cg_height_mm", "CG height mm", ".0f"),
    ("yaw_inertia_kgm2", "Izz kg m2", ".0f"), ("dynamic_index", "Izz/(m a b)", ".3f"),
    ("pack_kwh", "packs kWh", ""),
)


def vehicles_rows(load_case: str) -> list[dict]:
    """One row per built-in variant: mass, front %, CG height, yaw inertia for ``load_case``."""
    rows = []
    for name in list_vehicles():
        v = load_vehicle(name)
        s = mass_properties(v, load_case).summary()
        packs = " + ".join(f"{p.energy_kwh:g}" for p in v.packs.values()) or "-"
        rows.append({"variant": name, "mass_kg": s["mass_kg"],
                     "front_pct": 100 * s["front_mass_fraction"],
                     "cg_height_mm": 1000 * s["cg_height_m"],
                     "yaw_inertia_kgm2": s["yaw_inertia_kgm2"],
                     "dynamic_index": s["dynamic_index"], "pack_kwh": packs})
    return rows


def _cmd_vehicles(args) -> str:
    rows = vehicles_rows(args.load)
    if args.json:
        return json.dumps({"load_case": args.load, "vehicles": rows}, indent=2)
    return f"Built-in variants, load case '{args.load}' (all values invented):\n" + \
        format_table(rows, VEHICLE_COLUMNS)


def _cmd_mass(args) -> str:
    v = load_vehicle(args.vehicle)
    mp = mass_properties(v, args.load)
    summary = mp.summary()
    items = mp.contributions()[: args.items]
    if args.json:
        return json.dumps({"vehicle": v.name, "load_case": args.load, "summary": summary,
                           "inertia_tensor_kgm2": mp.inertia_tensor_kgm2[0].tolist(),
                           "items": items}, indent=2)
    lines = [f"{v.info.title} ({v.name}), load case '{args.load}' — values invented",
             "axes ISO 8855, origin on the ground below the front-axle centre "
             "(x forward, y left, z up)", ""]
    width = max(len(k) for k in summary)
    lines += [f"  {k.ljust(width)}  {val:12.4f}" for k, val in summary.items()]
    lines += ["", "  inertia tensor about the CG [kg m2]:"]
    lines += ["    " + "  ".join(f"{x:10.1f}" for x in row) for row in mp.inertia_tensor_kgm2[0]]
    lines += ["", f"  heaviest {len(items)} items:"]
    table = format_table(
        [dict(r, mass_pct=100 * r["mass_share"], izz_pct=100 * r["yaw_inertia_share"])
         for r in items],
        (("item", "item", ""), ("group", "group", ""), ("mass_kg", "kg", ".1f"),
         ("x_m", "x m", ".3f"), ("y_m", "y m", ".3f"), ("z_m", "z m", ".3f"),
         ("mass_pct", "mass %", ".1f"), ("izz_pct", "Izz %", ".1f")))
    return "\n".join(lines) + "\n" + "\n".join("  " + t for t in table.splitlines())


def _split_row(result, i: int = 0) -> dict:
    s = result.mass.summary(i)
    return {"front_energy_share": float(result.front_energy_share[i]),
            "front_energy_kwh": float(result.front_energy_kwh[i]),
            "rear_energy_kwh": float(result.rear_energy_kwh[i]),
            "mass_kg": s["mass_kg"], "front_pct": 100 * s["front_mass_fraction"],
            "cg_height_mm": 1000 * s["cg_height_m"],
            "yaw_inertia_kgm2": s["yaw_inertia_kgm2"]}


SPLIT_COLUMNS = (
    ("front_energy_kwh", "front kWh", ".2f"), ("rear_energy_kwh", "rear kWh", ".2f"),
    ("mass_kg", "mass kg", ".1f"), ("front_pct", "front %", ".2f"),
    ("cg_height_mm", "CG height mm", ".1f"), ("yaw_inertia_kgm2", "Izz kg m2", ".0f"),
)


def _cmd_split(args) -> str:
    v = load_vehicle(args.vehicle)
    kw = dict(total_energy_kwh=args.total_energy_kwh, load_case=args.load)
    if args.min_yaw_inertia:
        result, goal = split_for_min_yaw_inertia(v, **kw), "minimum yaw inertia"
    else:
        result = split_for_front_fraction(v, args.front_fraction, **kw)
        goal = f"front mass fraction {args.front_fraction:g}"
    row = _split_row(result)
    lo, hi = front_fraction_range(v, **kw)
    if args.json:
        return json.dumps({"vehicle": v.name, "load_case": args.load, "goal": goal,
                           "reachable_front_fraction": [lo, hi], "split": row}, indent=2)
    return (f"{v.name}, load case '{args.load}': split for {goal} "
            f"(reachable front fraction {lo:.4f}..{hi:.4f})\n"
            + format_table([row], SPLIT_COLUMNS))


def _cmd_schema(args) -> str:
    return schema_markdown()


def _cmd_demo(args) -> str:
    out = [
        "sim demo: mass distribution of the built-in variants (every number is invented)", "",
        _cmd_vehicles(argparse.Namespace(load=DEFAULT_LOAD_CASE, json=False)), "",
    ]
    coupe = load_vehicle("coupe")
    cases = [mass_properties(coupe, c).summary() | {"load_case": c}
             for c in coupe.load_case_names]
    out += ["Coupe load cases:", format_table(
        [dict(c, front_pct=100 * c["front_mass_fraction"],
              cg_height_mm=1000 * c["cg_height_m"]) for c in cases],
        (("load_case", "load case", ""), ("mass_kg", "mass kg", ".0f"),
         ("front_pct", "front %", ".1f"), ("cg_y_m", "CG y m", "+.3f"),
         ("cg_height_mm", "CG height mm", ".0f"), ("yaw_inertia_kgm2", "Izz kg m2", ".0f"))),
        ""]
    shares = np.linspace(0.0, 1.0, 5)
    study = split_packs(coupe, shares)
    target = split_for_front_fraction(coupe, 0.45)
    best = split_for_min_yaw_inertia(coupe, share_bounds=(0.2, 0.8))
    rows = [_split_row(study, i) for i in range(len(shares))]
    out += [f"Coupe: moving energy between the packs at {study.total_energy_kwh:g} kWh "
            "(driver aboard):", format_table(rows, SPLIT_COLUMNS), "",
            "split for 45.0 % front:         " + _describe(target),
            "split for minimum yaw inertia,  " + _describe(best),
            "  (20-80 % per pack; Izz is concave in the split, so its minimum is on a bound)"]
    figures = _demo_figures(Path(args.out), coupe, study)
    out += ["", figures]
    return "\n".join(out)


def _describe(result) -> str:
    r = _split_row(result)
    return (f"front {r['front_energy_kwh']:.2f} kWh / rear {r['rear_energy_kwh']:.2f} kWh -> "
            f"{r['front_pct']:.2f} % front, Izz {r['yaw_inertia_kgm2']:.0f} kg m2")


def _demo_figures(out_dir: Path, coupe, study) -> str:
    try:
        import matplotlib

        matplotlib.use("Agg")
        from sim import plot
    except ImportError:
        return "(figures skipped: install the plots extra, pip install '.[plots]')"
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    fine = split_packs(coupe, np.linspace(0.0, 1.0, 101))
    for name, fig in (("coupe_layout.png", plot.plot_layout(coupe)),
                      ("coupe_pack_split.png", plot.plot_split(fine)),
                      ("variants.png", plot.plot_variants(
                          [load_vehicle(n) for n in list_vehicles()]))):
        path = out_dir / name
        fig.savefig(path, dpi=110)
        paths.append(str(path))
    return "figures written: " + ", ".join(paths)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m sim``."""
    p = argparse.ArgumentParser(prog="python -m sim", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)

    def add_load(sp):
        sp.add_argument("--load", default=DEFAULT_LOAD_CASE,
                        help="load case (curb, driver, driver_passenger, ...; default driver)")

    sp = sub.add_parser("vehicles", help="table of the built-in variants")
    add_load(sp)
    sp.add_argument("--json", action="store_true", help="machine-readable output")
    sp.set_defaults(func=_cmd_vehicles)

    sp = sub.add_parser("mass", help="mass properties of one variant")
    sp.add_argument("vehicle", help="built-in variant name or path of a .toml file")
    add_load(sp)
    sp.add_argument("--items", type=int, default=12, help="how many heaviest items to list")
    sp.add_argument("--json", action="store_true", help="machine-readable output")
    sp.set_defaults(func=_cmd_mass)

    sp = sub.add_parser("split", help="front/rear pack energy split for a goal")
    sp.add_argument("vehicle", help="built-in variant name or path of a .toml file")
    goal = sp.add_mutually_exclusive_group(required=True)
    goal.add_argument("--front-fraction", type=float,
                      help="target front mass fraction, e.g. 0.45")
    goal.add_argument("--min-yaw-inertia", action="store_true",
                      help="the split with the smallest yaw inertia")
    sp.add_argument("--total-energy-kwh", type=float, default=None,
                    help="total pack energy (default: the vehicle's own)")
    add_load(sp)
    sp.add_argument("--json", action="store_true", help="machine-readable output")
    sp.set_defaults(func=_cmd_split)

    sp = sub.add_parser("schema", help="reference of the vehicle-file schema (Markdown)")
    sp.set_defaults(func=_cmd_schema)

    sp = sub.add_parser("demo", help="the mass-distribution study, with figures")
    sp.add_argument("--out", default="sim_demo", help="folder for the figures")
    sp.set_defaults(func=_cmd_demo)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit status (0 ok, 2 bad input)."""
    args = build_parser().parse_args(argv)
    try:
        text = args.func(args)
    except SimError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
