"""Command line: ``python -m sim <command>`` (also installed as ``sim``).

Commands::

    sim vehicles [--load CASE] [--json]            table of the built-in variants
    sim mass VEHICLE [--load CASE] [--items N] [--json]
    sim split VEHICLE (--front-fraction F | --min-yaw-inertia) [--total-energy-kwh E]
              [--load CASE] [--json]
    sim schema                                     reference of the vehicle-file schema
    sim run MANEUVER VEHICLE [--adm on|off|both] [--plot FILE] [--json]
                                                   one standard maneuver (see `sim run -h`)
    sim range VEHICLE [--cycle CYCLE] [--load CASE] [--json]
                                                   drive-cycle energy by component, range
    sim charge VEHICLE [--bus 800|400] [--from SOC] [--to SOC] [--cables POLICY] [--json]
                                                   DC fast charge; the 800 V / 400 V table
    sim demo [--out DIR]                           mass study and the headline comparison
    sim study STUDY --out DIR [--workers N] [--scheduler ADDRESS] [--no-progress] [--json]
                                                   a study (TOML file or shipped example)

This is the only module of ``sim`` that prints. Bad input prints the error's message (file,
field, value, what is allowed) to stderr and exits with status 2, without a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sim import _cache
from sim.errors import SimError, short_repr
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
    """Plain-text table: ``columns`` are (key, header, format spec); numbers right-aligned (a
    string in a numeric column, e.g. ``"-"``, is shown as it is)."""
    cells = [[format(r[k], f) if f and not isinstance(r[k], str) else str(r[k])
              for k, _, f in columns] for r in rows]
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


class OutputError(SimError):
    """The results were computed but an output (a figure, a folder) could not be written:
    ``text`` holds the results, which :func:`main` still prints before the error."""

    def __init__(self, message: str, text: str):
        super().__init__(message)
        self.text = text


def _finite_or_none(value):
    """``value`` with every NaN or infinity (also inside lists and dicts, numpy scalars and
    arrays) replaced by None: strict JSON has no NaN token, so a missing number is null."""
    if isinstance(value, dict):
        return {str(k): _finite_or_none(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite_or_none(v) for v in value]
    if isinstance(value, np.ndarray):
        return _finite_or_none(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def dumps_json(value) -> str:
    """Strict JSON (RFC 8259) of ``value``: NaN and infinities written as ``null``."""
    return json.dumps(_finite_or_none(value), indent=2, allow_nan=False, default=str)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive whole number (>= 1)")
    return value


def _finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


#: Figure formats ``--plot`` accepts (matplotlib's raster and vector formats).
PLOT_SUFFIXES = (".png", ".pdf", ".svg", ".jpg", ".jpeg", ".eps", ".ps", ".tif", ".tiff",
                 ".webp", ".svgz")


def check_plot_path(path: str) -> Path:
    """Check a ``--plot`` target before anything is computed: matplotlib installed, a
    supported extension, an existing folder, not a directory itself."""
    target = Path(path)
    if target.suffix.lower() not in PLOT_SUFFIXES:
        raise SimError(f"--plot {path}: unsupported figure format {target.suffix or '(none)'!r}; "
                       "use one of " + ", ".join(PLOT_SUFFIXES))
    if target.is_dir():
        raise SimError(f"--plot {path}: is a directory; give a file name such as "
                       f"{target / 'figure.png'}")
    folder = target.parent
    if not folder.is_dir():
        raise SimError(f"--plot {path}: the folder {folder} does not exist")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise SimError("--plot needs matplotlib: pip install '.[plots]'") from None
    return target


def check_out_dir(path: str) -> Path:
    """Check (and create) the ``--out`` folder before anything is computed."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise SimError(f"--out {path}: is a file, not a folder; give a folder for the figures")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SimError(f"--out {path}: cannot create the folder "
                       f"({exc.strerror or type(exc).__name__})") from None
    return folder


def _cmd_vehicles(args) -> str:
    rows = vehicles_rows(args.load)
    if args.json:
        return dumps_json({"load_case": args.load, "vehicles": rows})
    return f"Built-in variants, load case '{args.load}' (all values invented):\n" + \
        format_table(rows, VEHICLE_COLUMNS)


def _cmd_mass(args) -> str:
    v = load_vehicle(args.vehicle)
    mp = mass_properties(v, args.load)
    summary = mp.summary()
    items = mp.contributions()[: args.items]
    if args.json:
        return dumps_json({"vehicle": v.name, "load_case": args.load, "summary": summary,
                           "inertia_tensor_kgm2": mp.inertia_tensor_kgm2[0].tolist(),
                           "items": items})
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
        return dumps_json({"vehicle": v.name, "load_case": args.load, "goal": goal,
                           "reachable_front_fraction": [lo, hi], "split": row})
    return (f"{v.name}, load case '{args.load}': split for {goal} "
            f"(reachable front fraction {lo:.4f}..{hi:.4f})\n"
            + format_table([row], SPLIT_COLUMNS))


def _cmd_schema(args) -> str:
    return schema_markdown()


def _cmd_demo(args) -> str:
    out_dir = check_out_dir(args.out)
    # from an empty kernel cache the cycle model and the numpy edges compile in a second
    # process while this one compiles the two-track kernels of the headline comparison
    with _cache.warming_beside((("cycle", "edges"),)):
        return _demo(args, out_dir)


def _demo(args, out_dir: Path) -> str:
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
    from sim.maneuvers.headline import headline

    controllers = ("passive",) if args.adm == "off" else ("passive", "adm")
    started = time.perf_counter()
    comparison = headline(controllers=controllers)
    seconds = time.perf_counter() - started
    out += ["", "Headline comparison: ISO 4138 40 m circle, ISO 7401 step steer (80 km/h, "
            "4 m/s²), FMVSS 126 sine with dwell,",
            "ISO 3888-2 lane change (highest entry speed, closed-loop driver), straight line; "
            "module (adm) off and on:",
            headline_table(comparison.rows),
            f"({len(comparison.rows)} rows in {seconds:.1f} s; step-steer and sine-with-dwell "
            "amplitudes found with the module off and held for the module-on rows)"]
    from sim.energy.summary import energy_row

    started = time.perf_counter()
    energy = [_dash_nan(energy_row(load_vehicle(name))) for name in list_vehicles()]
    seconds = time.perf_counter() - started
    out += ["", "Energy over WLTC class 3b (longitudinal model, driver aboard): consumption at "
            "the battery terminals and at the plug (on-board charger), range by consecutive "
            "cycles, fuel and CO2 of the combustion variant:",
            format_table(energy, ENERGY_COLUMNS), f"({len(energy)} variants in {seconds:.1f} s)"]
    try:
        figures = _demo_figures(out_dir, coupe, study, comparison)
    except (OSError, ValueError, RuntimeError) as exc:
        raise OutputError(f"--out {args.out}: the figures could not be written ({exc})",
                          "\n".join(out)) from None
    out += ["", figures]
    return "\n".join(out)


def _describe(result) -> str:
    r = _split_row(result)
    return (f"front {r['front_energy_kwh']:.2f} kWh / rear {r['rear_energy_kwh']:.2f} kWh -> "
            f"{r['front_pct']:.2f} % front, Izz {r['yaw_inertia_kgm2']:.0f} kg m2")


def _demo_figures(out_dir: Path, coupe, study, comparison) -> str:
    try:
        import matplotlib

        matplotlib.use("Agg")
        from sim import plot
    except ImportError:
        return "(figures skipped: install the plots extra, pip install '.[plots]')"
    paths = []
    fine = split_packs(coupe, np.linspace(0.0, 1.0, 101))
    for name, fig in (("coupe_layout.png", plot.plot_layout(coupe)),
                      ("coupe_pack_split.png", plot.plot_split(fine)),
                      ("variants.png", plot.plot_variants(
                          [load_vehicle(n) for n in list_vehicles()])),
                      ("headline.png", plot.plot_headline(comparison))):
        path = out_dir / name
        fig.savefig(path, dpi=110)
        paths.append(str(path))
    return "figures written: " + ", ".join(paths)


#: Maneuvers of ``sim run``: name -> (function, keyword arguments, what it is).
MANEUVERS = {
    "constant_radius": ("constant_radius", {"radius_m": 40.0},
                        "ISO 4138 steady-state circle, 40 m (--radius to change)"),
    "constant_speed": ("constant_speed", {"speed_kmh": 100.0},
                       "ISO 4138 constant speed 100 km/h, slow steering ramp"),
    "step_steer": ("step_steer", {}, "ISO 7401 step steer, 80 km/h to 4 m/s²"),
    "sine_with_dwell": ("sine_with_dwell", {}, "FMVSS 126 sine with dwell, with verdict"),
    "lane_change": ("double_lane_change", {"standard": "iso3888_2"},
                    "ISO 3888-2 double lane change, highest entry speed"),
    "lane_change_iso3888_1": ("double_lane_change", {"standard": "iso3888_1"},
                              "ISO 3888-1 double lane change, highest entry speed"),
    "straight_line": ("straight_line", {}, "0-100, 80-120 km/h, 100-0 km/h, top speed"),
}


def _run_maneuver(name: str, vehicle, controller: str, radius_m):
    from sim import maneuvers

    function, kwargs, _ = MANEUVERS[name]
    if radius_m is not None:
        if name != "constant_radius":
            raise SimError(f"--radius applies to constant_radius, not {name}")
        kwargs = dict(kwargs, radius_m=radius_m)
    return getattr(maneuvers, function)(vehicle, controller=controller, **kwargs)


def _maneuver_figure(name: str, results: list, labels: list):
    from sim import plot

    if name == "constant_radius":
        return plot.plot_understeer(
            np.vstack([np.where(r.per_run["steady"][0], r.per_run["lateral_acceleration_mps2"][0],
                                np.nan) for r in results]),
            np.vstack([r.per_run["steering_wheel_angle_deg"][0] for r in results]),
            labels=labels)
    if name == "sine_with_dwell":
        return plot.plot_sine_with_dwell(results, labels=labels)
    if name.startswith("lane_change"):
        return plot.plot_lane_change(results, labels=labels)
    channels = {"straight_line": ("vx_mps", "ax_mps2"),
                "constant_speed": ("steering_wheel_angle_rad", "ay_mps2", "sideslip_rad")}
    return plot.plot_time_histories(results, channels.get(
        name, ("steering_wheel_angle_rad", "yaw_rate_radps", "ay_mps2", "sideslip_rad")),
        labels=labels)


def _cmd_run(args) -> str:
    if args.plot:
        check_plot_path(args.plot)
    if args.radius is not None and args.maneuver != "constant_radius":
        raise SimError(f"--radius applies to constant_radius, not {args.maneuver}")
    vehicle = load_vehicle(args.vehicle)
    controllers = {"off": ["passive"], "on": ["adm"], "both": ["passive", "adm"]}[args.adm]
    results = [_run_maneuver(args.maneuver, vehicle, c, args.radius) for c in controllers]
    labels = [f"adm {'on' if c == 'adm' else 'off'}" for c in controllers]
    text = None
    if args.json:
        text = dumps_json({label: r.to_dict()
                           for label, r in zip(labels, results, strict=True)})
    else:
        text = "\n\n".join(f"{vehicle.name}, {label} (every vehicle number is invented)\n"
                            + r.table() for label, r in zip(labels, results, strict=True))
    if args.plot:
        try:
            import matplotlib

            matplotlib.use("Agg")
            fig = _maneuver_figure(args.maneuver, results, labels)
            fig.savefig(args.plot, dpi=110)
        except (OSError, ValueError, RuntimeError) as exc:
            raise OutputError(f"--plot {args.plot}: the figure could not be written "
                              f"({short_repr(str(exc))})", text) from None
        text += "" if args.json else f"\n\nfigure written: {args.plot}"
    return text


ENERGY_COLUMNS = (
    ("variant", "variant", ""), ("powertrain", "powertrain", ""), ("mass_kg", "mass kg", ".0f"),
    ("consumption_battery_kwh_per_100km", "kWh/100km battery", ".1f"),
    ("consumption_plug_kwh_per_100km", "kWh/100km plug", ".1f"),
    ("range_km", "range km", ".0f"), ("regenerated_pct", "regen %", ".0f"),
    ("fuel_l_per_100km", "l/100km", ".2f"), ("co2_g_per_km", "g CO2/km", ".0f"),
)


def _dash_nan(row: dict) -> dict:
    return {k: ("-" if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in row.items()}


def _cmd_range(args) -> str:
    from sim.energy import drive_cycle
    from sim.energy.summary import energy_row

    v = load_vehicle(args.vehicle)
    row = energy_row(v, args.cycle, load_case=args.load)
    run = drive_cycle(v, args.cycle, load_case=args.load, record=False)
    terms = {k: float(x[0]) for k, x in run.energy_table_kwh().items()}
    if args.json:
        return dumps_json({"vehicle": v.name, "cycle": args.cycle, "load_case": args.load,
                           "summary": row, "cycle_energy_kwh": terms,
                           "distance_km": float(run.distance_km[0]),
                           "balance_error": float(run.balance_error()[0])})
    lines = [f"{v.info.title} ({v.name}) over {run.cycle.name}, load case '{args.load}' "
             "(every number invented; longitudinal model)", "",
             format_table([_dash_nan(row)], ENERGY_COLUMNS), "",
             f"energy by component over one cycle ({run.distance_km[0]:.3f} km), kWh and "
             "Wh/km (supplies = sinks; balance error "
             f"{run.balance_error()[0]:.1e}):"]
    width = max(len(k) for k in terms)
    for k, kwh in terms.items():
        if k in ("fuel_kg_kwh",) or kwh == 0.0:
            continue
        lines.append(f"  {k.ljust(width)}  {kwh:9.4f}  {kwh * 1000 / run.distance_km[0]:8.2f}")
    if row["powertrain"] == "electric":
        lines += ["", "range: consecutive cycles from 98 % SOC until the speed leaves the "
                  "GTR 15 band; at the plug: recharged through the on-board charger"]
    return "\n".join(lines)


CHARGE_COLUMNS = (
    ("bus_voltage_v", "bus V", ".0f"), ("cells_in_series", "cells in series", ".0f"),
    ("cable_mm2", "cable mm2", ".0f"), ("mass_kg", "mass kg", ".1f"),
    ("consumption_wh_per_km", "Wh/km", ".1f"), ("battery_wh_per_km", "battery", ".2f"),
    ("inverter_wh_per_km", "inverter", ".2f"), ("machine_wh_per_km", "machines", ".2f"),
    ("cable_wh_per_km", "cables", ".3f"), ("gear_wh_per_km", "gears", ".2f"),
    ("peak_wheel_power_kw", "peak wheel kW", ".0f"), ("peak_charge_kw", "peak charge kW", ".0f"),
    ("charge_10_80_min", "10-80 % min", ".1f"),
)


def _cmd_charge(args) -> str:
    from sim.energy.bus_voltage import compare_bus_voltages, for_bus_voltage, nominal_bus_voltage_v
    from sim.powertrain.charging import Charger, charge

    v = load_vehicle(args.vehicle)
    nominal = nominal_bus_voltage_v(v)
    car = v if args.bus is None or args.bus == nominal else for_bus_voltage(
        v, args.bus, cables=args.cables)
    charger = Charger()
    result = charge(car, args.soc_from, args.soc_to, charger=charger)
    curve = []
    for soc in np.arange(args.soc_from, args.soc_to + 1e-9, 0.05):
        k = min(int(np.searchsorted(result.soc, soc)), result.soc.size - 1)
        curve.append({"soc_pct": 100 * soc, "time_min": result.time_s[k] / 60,
                      "power_kw": result.terminal_power_w[k] / 1e3,
                      "bus_voltage_v": result.bus_voltage_v[k],
                      "limit": result.limit_names[int(result.limit[k])]})
    others = [x for x in (800.0, 400.0) if x != float(args.bus or nominal)]
    rows = compare_bus_voltages(v, (float(args.bus or nominal), *others), cables=args.cables)
    if args.json:
        return dumps_json({"vehicle": v.name, "bus_voltage_v": float(args.bus or nominal),
                           "charger": vars(charger) if hasattr(charger, "__dict__") else {},
                           "duration_min": result.duration_s / 60, "reached": result.reached,
                           "charger_energy_kwh": result.charger_energy_kwh,
                           "battery_loss_kwh": result.battery_loss_kwh,
                           "curve": curve, "bus_voltage_comparison": rows})
    lines = [f"{v.info.title} ({v.name}) at {args.bus or nominal:g} V: DC charge "
             f"{100 * args.soc_from:.0f} -> {100 * args.soc_to:.0f} % in "
             f"{result.duration_s / 60:.1f} min on a {charger.max_power_w / 1e3:.0f} kW, "
             f"{charger.max_current_a:.0f} A, {charger.max_voltage_v:.0f} V charger "
             f"({result.charger_energy_kwh:.1f} kWh from the grid, "
             f"{result.battery_loss_kwh:.2f} kWh lost in the cells)", "",
             format_table(curve, (("soc_pct", "SOC %", ".0f"), ("time_min", "min", ".1f"),
                                  ("power_kw", "kW", ".0f"), ("bus_voltage_v", "bus V", ".0f"),
                                  ("limit", "binding limit", ""))), "",
             f"800 V against 400 V (same cells, rewound machines, the voltage class's "
             f"inverters, cables: {args.cables}; WLTC losses in Wh/km):",
             format_table(rows, CHARGE_COLUMNS)]
    return "\n".join(lines)


def _cmd_study(args) -> str:
    from pathlib import Path as _Path

    from sim.study import EXAMPLES, load_study, run_study

    path = _Path(args.study)
    if not path.exists() and (EXAMPLES / f"{args.study}.toml").is_file():
        path = EXAMPLES / f"{args.study}.toml"  # a shipped example by name
    study = load_study(path)
    folder = check_out_dir(args.out)
    executor, client = args.workers, None
    if args.scheduler:
        try:
            from distributed import Client
        except ImportError:
            raise SimError("--scheduler needs dask.distributed: pip install 'sim[dask]'"
                           ) from None
        try:
            client = Client(args.scheduler, timeout=30)
        except (OSError, TimeoutError) as exc:
            raise SimError(f"--scheduler {args.scheduler}: cannot connect "
                           f"({type(exc).__name__}: {exc})") from None
        executor = client
    try:
        frame = run_study(study, out=folder, executor=executor, progress=not args.no_progress)
    except KeyboardInterrupt:
        raise SimError(f"interrupted; the finished chunks are in {folder}: run the same "
                       "command again to resume") from None
    finally:
        if client is not None:
            client.close()
    failed = frame[frame["status"] != "ok"]
    if args.json:
        return frame.reset_index().to_json(orient="records", indent=2)
    import pandas as pd

    with pd.option_context("display.max_rows", 40, "display.max_columns", 12,
                           "display.width", 160):
        table = frame.drop(columns=["error", "chunk"]).to_string(max_rows=40)
    lines = [f"study {study.name!r}: {len(frame)} points in {frame['chunk'].nunique()} chunks, "
             f"{len(frame) - len(failed)} ok, {len(failed)} failed; results in {folder} "
             "(chunks/*.parquet, study.json)", "", table]
    for point, row in failed.head(10).iterrows():
        lines.append(f"point {point} failed: {row['error']}")
    return "\n".join(lines)


def headline_table(rows) -> str:
    """The headline rows (:func:`sim.maneuvers.headline.headline`) as a text table."""
    from sim.maneuvers.headline import HEADLINE_COLUMNS

    columns = [(k, f"{h} [{u}]" if u and u != "-" else h, f) for k, h, u, f in HEADLINE_COLUMNS]
    shown = [{k: "-" if isinstance(v, float) and math.isnan(v) else v for k, v in r.items()}
             for r in rows]  # e.g. no failed amplitude when every run passed
    body = format_table(shown, columns)
    notes = [f"  {r['variant']}, adm {r['adm']}: {r['note']}" for r in rows if r.get("note")]
    return body + ("\n" + "\n".join(notes) if notes else "")


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
    sp.add_argument("--items", type=_positive_int, default=12,
                    help="how many heaviest items to list (>= 1)")
    sp.add_argument("--json", action="store_true", help="machine-readable output")
    sp.set_defaults(func=_cmd_mass)

    sp = sub.add_parser("split", help="front/rear pack energy split for a goal")
    sp.add_argument("vehicle", help="built-in variant name or path of a .toml file")
    goal = sp.add_mutually_exclusive_group(required=True)
    goal.add_argument("--front-fraction", type=_finite_float,
                      help="target front mass fraction, e.g. 0.45")
    goal.add_argument("--min-yaw-inertia", action="store_true",
                      help="the split with the smallest yaw inertia")
    sp.add_argument("--total-energy-kwh", type=_finite_float, default=None,
                    help="total pack energy (default: the vehicle's own)")
    add_load(sp)
    sp.add_argument("--json", action="store_true", help="machine-readable output")
    sp.set_defaults(func=_cmd_split)

    sp = sub.add_parser("schema", help="reference of the vehicle-file schema (Markdown)")
    sp.set_defaults(func=_cmd_schema)

    sp = sub.add_parser("run", help="run one standard maneuver on one variant",
                        formatter_class=argparse.RawDescriptionHelpFormatter,
                        epilog="maneuvers:\n" + "\n".join(
                            f"  {k:22s} {v[2]}" for k, v in MANEUVERS.items()))
    sp.add_argument("maneuver", choices=tuple(MANEUVERS), metavar="MANEUVER",
                    help="one of: " + ", ".join(MANEUVERS))
    sp.add_argument("vehicle", help="built-in variant name or path of a .toml file")
    sp.add_argument("--adm", choices=("off", "on", "both"), default="off",
                    help="the dynamic module off (default), on, or both overlaid")
    sp.add_argument("--radius", type=_finite_float, default=None,
                    help="circle radius [m] of constant_radius (default 40)")
    sp.add_argument("--plot", default=None, help="write the maneuver's figure to this file")
    sp.add_argument("--json", action="store_true", help="machine-readable output")
    sp.set_defaults(func=_cmd_run)

    sp = sub.add_parser("range", help="drive-cycle energy by component, consumption, range")
    sp.add_argument("vehicle", help="built-in variant name or path of a .toml file")
    sp.add_argument("--cycle", default="wltc_class3b",
                    help="wltc_class3b (default), udds, hwfet, us06 or a CSV of time_s and "
                         "speed_kmh")
    add_load(sp)
    sp.add_argument("--json", action="store_true", help="machine-readable output")
    sp.set_defaults(func=_cmd_range)

    sp = sub.add_parser("charge", help="DC fast charge and the 800 V / 400 V comparison")
    sp.add_argument("vehicle", help="built-in electric variant name or path of a .toml file")
    sp.add_argument("--bus", type=_finite_float, default=None,
                    help="bus voltage to build the car for (800 or 400; default its own)")
    sp.add_argument("--from", dest="soc_from", type=_finite_float, default=0.1,
                    help="initial state of charge (default 0.1)")
    sp.add_argument("--to", dest="soc_to", type=_finite_float, default=0.8,
                    help="final state of charge (default 0.8)")
    sp.add_argument("--cables", choices=("equal_cross_section", "equal_loss"),
                    default="equal_cross_section",
                    help="400 V cables: same copper (4x the loss) or 4x the copper (same loss)")
    sp.add_argument("--json", action="store_true", help="machine-readable output")
    sp.set_defaults(func=_cmd_charge)

    sp = sub.add_parser("demo", help="mass study and the headline comparison, with figures")
    sp.add_argument("--out", default="sim_demo", help="folder for the figures")
    sp.add_argument("--adm", choices=("off", "both"), default="both",
                    help="module-off rows only, or off and on (default)")
    sp.set_defaults(func=_cmd_demo)

    sp = sub.add_parser("study", help="run a study (sweep, sample, sensitivity), resumable")
    sp.add_argument("study", help="a study .toml file or the name of a shipped example "
                                  "(pack_split, friction_bound, understeer_sensitivity)")
    sp.add_argument("--out", required=True,
                    help="results folder (finished chunks are kept: run again to resume)")
    sp.add_argument("--workers", type=_positive_int, default=None,
                    help="run the chunks in N processes (default: serial)")
    sp.add_argument("--scheduler", default=None,
                    help="address of a dask.distributed scheduler, e.g. tcp://host:8786")
    sp.add_argument("--no-progress", action="store_true", help="no progress bar")
    sp.add_argument("--json", action="store_true", help="machine-readable output (records)")
    sp.set_defaults(func=_cmd_study)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit status (0 ok, 2 bad input)."""
    args = build_parser().parse_args(argv)  # bad arguments: usage and exit 2 (argparse)
    try:
        text = args.func(args)
    except OutputError as exc:  # computed, but an output failed: the results still print
        print(exc.text)
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SimError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except RecursionError:
        print("error: input nested too deeply", file=sys.stderr)
        return 2
    except (OSError, UnicodeError, MemoryError) as exc:
        print(f"error: {type(exc).__name__}: {short_repr(str(exc))}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug, not bad input: say so, still without a traceback
        print(f"error: internal error ({type(exc).__name__}: {short_repr(str(exc))}); "
              "please report it with the command line that caused it", file=sys.stderr)
        return 1
    try:
        print(text)
    except BrokenPipeError:  # e.g. `python -m sim schema | head`
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
