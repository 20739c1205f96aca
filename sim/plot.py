"""Pictures (needs the ``plots`` extra: ``pip install "sim[plots]"``).

This is the only module of ``sim`` that imports matplotlib. Every function returns the
matplotlib ``Figure`` it drew on, so a notebook shows it and a script can ``savefig`` it.
Axes are ISO 8855 with the front of the car to the right: the top view is seen from above
(x forward to the right, y left upwards), the side view from the car's right side (x forward to
the right, z up).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim import metrics
from sim.driver.open_loop import Profile
from sim.mass.properties import mass_properties
from sim.mass.split import SplitResult
from sim.spec.vehicle import DEFAULT_LOAD_CASE, Vehicle

try:
    import matplotlib.pyplot as plt
    from matplotlib.patches import Circle, Rectangle
except ImportError as exc:  # pragma: no cover - exercised only without matplotlib
    raise ImportError(
        "sim.plot needs matplotlib: install the plots extra, pip install 'sim[plots]'"
    ) from exc

GROUP_COLOURS = {
    "structure": "#7f7f7f", "chassis": "#8c564b", "body": "#bcbd22", "interior": "#e377c2",
    "powertrain": "#d62728", "energy": "#1f77b4", "electrical": "#ff7f0e",
    "thermal": "#17becf", "other": "#c7c7c7", "unsprung": "#2f2f2f", "payload": "#2ca02c",
}
_CG_COLOURS = ("#000000", "#9467bd", "#d62728", "#2ca02c", "#ff7f0e", "#1f77b4")
_AREA_PER_KG = 4.0  # marker area [pt²] per kg: a 100 kg item is a ~20 pt disc


def plot_layout(vehicle: Vehicle, load_cases: Sequence[str] | None = None, *,
                member: int = 0, fig=None):
    """Top and side view of ``vehicle``: every item as a disc with area proportional to its
    mass (colour by group), boxes outlined, wheels and axles, the body outline, and the centre
    of mass of each of ``load_cases`` (default: every load case of the vehicle, ``curb``
    first). ``member`` picks the batch member to draw. Returns the figure."""
    cases = list(load_cases) if load_cases is not None else list(vehicle.load_case_names)
    if fig is None:
        fig = plt.figure(figsize=(13, 7.0), layout="constrained")
    grid = fig.add_gridspec(2, 2, width_ratios=(4.0, 1.15), height_ratios=(1.55, 1.0))
    ax_top = fig.add_subplot(grid[0, 0])
    ax_side = fig.add_subplot(grid[1, 0], sharex=ax_top)
    ax_key_top, ax_key_side = fig.add_subplot(grid[0, 1]), fig.add_subplot(grid[1, 1])
    g = vehicle.geometry

    def val(v):
        return float(np.broadcast_to(np.asarray(v, dtype=float), (vehicle.batch_size,))[member])

    wheelbase, length, width = val(g.wheelbase_m), val(g.length_m), val(g.width_m)
    height, radius, overhang = val(g.height_m), val(g.wheel_radius_m), val(g.front_overhang_m)
    x_front, x_rear = overhang, overhang - length
    tracks = (val(g.front_track_m), val(g.rear_track_m))

    for ax in (ax_top, ax_side):
        ax.set_aspect("equal")
        ax.grid(True, lw=0.3, alpha=0.5)
    ax_top.add_patch(Rectangle((x_rear, -width / 2), length, width, fill=False, lw=1.2))
    ax_side.add_patch(Rectangle((x_rear, 0.0), length, height, fill=False, lw=1.2, ls="--"))
    ax_side.axhline(0.0, color="k", lw=1.5)
    tyre_width = 0.26
    for x_axle, track in zip((0.0, -wheelbase), tracks, strict=True):
        ax_top.plot([x_axle, x_axle], [-track / 2, track / 2], color="k", lw=1)
        for side in (1, -1):
            ax_top.add_patch(Rectangle((x_axle - radius, side * track / 2 - tyre_width / 2),
                                       2 * radius, tyre_width, color="#444444", alpha=0.6))
        ax_side.add_patch(Circle((x_axle, radius), radius, fill=False, lw=1.5, color="#444444"))

    # The heaviest payload (all seats, all boots) so every occupant and bag is drawn.
    items = vehicle.mass_items(max(cases, key=lambda c: float(
        np.max(vehicle.total_mass_kg(c)))))
    for it in items:
        m = val(it.mass_kg)
        if m <= 0:
            continue
        x, y, z = val(it.x_m), val(it.y_m), val(it.z_m)
        lx, ly, lz = val(it.length_m), val(it.width_m), val(it.height_m)
        colour = GROUP_COLOURS.get(it.group, "#c7c7c7")
        if lx > 0 and ly > 0:
            ax_top.add_patch(Rectangle((x - lx / 2, y - ly / 2), lx, ly, fill=False, lw=0.5,
                                       ec=colour, alpha=0.45))
        if lx > 0 and lz > 0:
            ax_side.add_patch(Rectangle((x - lx / 2, z - lz / 2), lx, lz, fill=False, lw=0.5,
                                        ec=colour, alpha=0.45))
        for ax, (u, v) in ((ax_top, (x, y)), (ax_side, (x, z))):
            ax.scatter([u], [v], s=_AREA_PER_KG * m, color=colour, alpha=0.55,
                       edgecolors="k", linewidths=0.3, zorder=3)
        if it.group == "energy" and it.name.startswith("pack_"):
            pack = vehicle.packs[it.name.removeprefix("pack_")]
            ax_top.annotate(f"{it.name.removeprefix('pack_')} pack\n{val(pack.energy_kwh):.0f} "
                            f"kWh, {m:.0f} kg", (x, y), ha="center", va="center", fontsize=7,
                            zorder=4)

    for k, case in enumerate(cases):
        mp = mass_properties(vehicle, case)
        cx, cy, cz = mp.cg_m[member]
        colour = _CG_COLOURS[k % len(_CG_COLOURS)]
        label = (f"CG {case}: {mp.mass_kg[member]:.0f} kg, "
                 f"{100 * mp.front_mass_fraction[member]:.1f} % front, h {cz:.3f} m")
        for ax, (u, v) in ((ax_top, (cx, cy)), (ax_side, (cx, cz))):
            ax.scatter([u], [v], marker="P", s=120, color=colour, edgecolors="w",
                       linewidths=0.8, zorder=5, label=label if ax is ax_top else None)

    handles = [plt.Line2D([], [], marker="o", ls="", color=c, alpha=0.6, label=g_)
               for g_, c in GROUP_COLOURS.items() if any(it.group == g_ for it in items)]
    for key_ax, key_handles, title in (
            (ax_key_top, ax_top.get_legend_handles_labels()[0], "centre of mass"),
            (ax_key_side, handles, "items (disc area ∝ mass)")):
        key_ax.axis("off")
        key_ax.legend(handles=key_handles, loc="upper left", fontsize=7, title=title,
                      title_fontsize=8, frameon=False)
    margin = 0.15
    ax_top.set_xlim(x_rear - margin, x_front + margin)
    ax_top.set_ylim(-width / 2 - margin, width / 2 + margin)
    ax_side.set_ylim(-0.05, height + margin)
    ax_top.set_ylabel("y (left) [m]")
    ax_side.set_ylabel("z (up) [m]")
    ax_side.set_xlabel("x (forward, 0 = front axle) [m]")
    ax_top.set_title(f"{vehicle.info.title}: top view (front to the right)")
    ax_side.set_title("side view, from the right")
    return fig


def plot_split(result: SplitResult, *, fig=None):
    """Front mass fraction, yaw inertia and CG height against the front pack's energy share,
    from :func:`sim.split_packs` over an array of shares. Returns the figure."""
    if fig is None:
        fig = plt.figure(figsize=(10, 3.4), layout="constrained")
    axes = fig.subplots(1, 3, sharex=True)
    share = result.front_energy_share * 100.0
    m = result.mass
    curves = ((100 * m.front_mass_fraction, "front mass fraction [%]"),
              (m.yaw_inertia_kgm2, "yaw inertia about CG [kg m²]"),
              (1000 * m.cg_height_m, "CG height [mm]"))
    for ax, (y, label) in zip(axes, curves, strict=True):
        ax.plot(share, y, lw=1.8)
        ax.set_ylabel(label)
        ax.set_xlabel(f"front pack share of {result.total_energy_kwh:.0f} kWh [%]")
        ax.grid(True, lw=0.3)
    fig.suptitle(f"{result.vehicle.info.title}: moving energy between the packs "
                 f"({m.load_case})")
    return fig


def plot_variants(vehicles: Sequence[Vehicle], load_case: str = DEFAULT_LOAD_CASE, *, fig=None):
    """Side-by-side bars of mass, front mass fraction, CG height and yaw inertia of several
    variants for one load case. Returns the figure."""
    props = [mass_properties(v, load_case) for v in vehicles]
    names = [v.name for v in vehicles]
    if fig is None:
        fig = plt.figure(figsize=(11, 3.2), layout="constrained")
    axes = fig.subplots(1, 4)
    columns = (([p.mass_kg[0] for p in props], "mass [kg]"),
               ([100 * p.front_mass_fraction[0] for p in props], "front mass fraction [%]"),
               ([1000 * p.cg_height_m[0] for p in props], "CG height [mm]"),
               ([p.yaw_inertia_kgm2[0] for p in props], "yaw inertia [kg m²]"))
    for ax, (values, label) in zip(axes, columns, strict=True):
        ax.barh(names, values, color="#1f77b4")
        ax.set_xlabel(label)
        ax.grid(True, axis="x", lw=0.3)
        if label.startswith("front"):
            ax.set_xlim(35, 60)
            ax.axvline(50, color="k", lw=0.6)
    for ax in axes[1:]:
        ax.set_yticklabels([])
    fig.suptitle(f"variants side by side ({load_case})")
    return fig


def plot_time_histories(results, channels: Sequence[str] = ("yaw_rate_radps", "ay_mps2",
                                                             "sideslip_rad", "vx_mps"),
                        *, labels: Sequence[str] | None = None, members=None, fig=None,
                        run_set: str | None = None):
    """Time histories of ``channels`` from one or several :class:`~sim.result.Result` objects,
    overlaid (e.g. module off and on), one axis per channel; angles shown in degrees.

    A :class:`~sim.maneuvers.ManeuverResult` may stand for a Result: its run set ``run_set``
    (default: the first) is drawn. ``labels`` name each result (default: its ``labels``
    mapping); ``members`` picks batch members (rows) to draw (default: all). Returns the
    figure."""
    results = list(results) if isinstance(results, list | tuple) else [results]
    results = [_run_set(res, run_set) for res in results]
    if fig is None:
        fig = plt.figure(figsize=(10, 2.2 * len(channels)), layout="constrained")
    axes = np.atleast_1d(fig.subplots(len(channels), 1, sharex=True))
    for k, res in enumerate(results):
        name = labels[k] if labels is not None else ", ".join(
            f"{v}" for key, v in res.labels.items() if key in ("vehicle", "controller"))
        picked = range(res.batch_size) if members is None else members
        for ax, channel in zip(axes, channels, strict=True):
            unit = res.units[channel]
            scale, unit = (180.0 / np.pi, unit.replace("rad", "deg")) if "rad" in unit \
                else (1.0, unit)
            for i in picked:
                suffix = f" [{i}]" if res.batch_size > 1 else ""
                ax.plot(res.time_s, scale * res[channel][i], lw=1.4,
                        color=f"C{k}", alpha=1.0 if len(picked) == 1 else 0.6,
                        label=(name + suffix) if ax is axes[0] else None)
            ax.set_ylabel(f"{channel.rsplit('_', 1)[0]}\n[{unit}]")
            ax.grid(True, lw=0.3)
    axes[-1].set_xlabel("time [s]")
    axes[0].legend(fontsize=8, loc="best")
    return fig


def _run_set(result, run_set: str | None):
    """A Result from a Result or a ManeuverResult (its run set ``run_set``, default the first)."""
    sets = getattr(result, "results", None)
    if sets is None:
        return result
    key = run_set if run_set is not None else next(iter(sets))
    if key not in sets:
        raise KeyError(f"no run set {key!r}; run sets are " + ", ".join(sets))
    return sets[key]


def plot_understeer(lateral_acceleration_mps2, steer_deg, *, linear_range_mps2: float = 4.0,
                    labels: Sequence[str] | None = None,
                    steer_label: str = "steering-wheel angle [deg]", fig=None):
    """Understeer curve: steer angle against lateral acceleration, one line per member, with
    the least-squares line over the linear range |a_y| <= ``linear_range_mps2`` dashed beside
    each (its slope in the legend, per m/s² and per g).

    ``lateral_acceleration_mps2`` and ``steer_deg`` are (K,) or (N, K) arrays of steady-state
    points (ISO 4138: steering-wheel or road-wheel angle, say which in ``steer_label``); at
    least two points per member must lie in the linear range. Returns the figure, with
    2 N lines (data, fit)."""
    ay = np.atleast_2d(np.asarray(lateral_acceleration_mps2, dtype=float))
    steer = np.atleast_2d(np.asarray(steer_deg, dtype=float))
    ay, steer = np.broadcast_arrays(ay, steer)
    if fig is None:
        fig = plt.figure(figsize=(6.5, 4.5), layout="constrained")
    ax = fig.add_subplot(1, 1, 1)
    for i in range(ay.shape[0]):
        name = labels[i] if labels is not None else (f"[{i}]" if ay.shape[0] > 1 else "steer")
        x, y = ay[i], steer[i]
        ax.plot(x, y, marker="o", ms=3, lw=1.4, color=f"C{i}", label=name)
        mask = np.abs(x) <= linear_range_mps2
        if mask.sum() < 2 or np.ptp(x[mask]) == 0.0:
            raise ValueError(f"member {i}: fewer than two distinct points within the linear "
                             f"range |a_y| <= {linear_range_mps2:g} m/s²")
        slope, intercept = np.polyfit(x[mask], y[mask], 1)
        span = np.array([x[mask].min(), x[mask].max()])
        ax.plot(span, intercept + slope * span, ls="--", lw=1.0, color=f"C{i}",
                label=f"fit |a_y| <= {linear_range_mps2:g}: {slope:.3g} deg/(m/s²) = "
                      f"{slope * 9.80665:.3g} deg/g")
    ax.set_xlabel("lateral acceleration a_y [m/s²]")
    ax.set_ylabel(steer_label)
    ax.grid(True, lw=0.3)
    ax.legend(fontsize=8, loc="best")
    ax.set_title("understeer curve (ISO 4138)")
    return fig


def plot_gg(results, *, labels: Sequence[str] | None = None, members=None,
            friction_g: float | None = None, run_set: str | None = None, fig=None):
    """g-g diagram: longitudinal against lateral acceleration [g] (``ax_mps2``, ``ay_mps2``
    channels) of one or several Results (or ManeuverResults, run set ``run_set``), overlaid;
    x axis a_y (left > 0), y axis a_x (forward > 0). ``friction_g`` draws a circle of that
    radius. Returns the figure (one line per drawn member, plus the circle)."""
    results = list(results) if isinstance(results, list | tuple) else [results]
    results = [_run_set(res, run_set) for res in results]
    if fig is None:
        fig = plt.figure(figsize=(5.5, 5.5), layout="constrained")
    ax = fig.add_subplot(1, 1, 1)
    g = 9.80665
    for k, res in enumerate(results):
        name = labels[k] if labels is not None else ", ".join(
            f"{v}" for key, v in res.labels.items() if key in ("vehicle", "controller"))
        picked = range(res.batch_size) if members is None else members
        for j, i in enumerate(picked):
            ax.plot(res["ay_mps2"][i] / g, res["ax_mps2"][i] / g, lw=1.0, color=f"C{k}",
                    alpha=0.8, label=name if j == 0 else None)
    if friction_g is not None:
        angle = np.linspace(0.0, 2.0 * np.pi, 361)
        ax.plot(friction_g * np.cos(angle), friction_g * np.sin(angle), color="k", lw=0.8,
                ls=":", label=f"{friction_g:g} g")
    ax.set_aspect("equal", adjustable="datalim")
    ax.axhline(0.0, color="k", lw=0.5)
    ax.axvline(0.0, color="k", lw=0.5)
    ax.set_xlabel("lateral acceleration a_y [g] (left > 0)")
    ax.set_ylabel("longitudinal acceleration a_x [g] (forward > 0)")
    ax.grid(True, lw=0.3)
    ax.legend(fontsize=8, loc="best")
    ax.set_title("g-g diagram")
    return fig


def plot_sine_with_dwell(maneuvers, run: str | None = None, *, member: int = 0,
                         labels: Sequence[str] | None = None, fig=None):
    """FMVSS 126 sine with dwell: steering-wheel angle (top) and yaw rate (bottom) of one run
    of one or several :func:`sim.maneuvers.sine_with_dwell` results overlaid (module off/on),
    with the lateral-stability criteria marked: the first yaw-rate peak (dot), vertical lines
    at COS + 1.0 s and COS + 1.75 s, and the allowed yaw rate there (35 % and 20 % of the
    peak, short horizontal bars). ``run`` is a label of ``run_labels`` (e.g. ``"ccw 8"``;
    default: the largest counter-clockwise amplitude that did not spin out in the first
    result); ``member`` picks the vehicle. Returns the figure."""
    maneuvers = list(maneuvers) if isinstance(maneuvers, list | tuple) else [maneuvers]
    first = maneuvers[0]
    if run is None:
        ok = first.per_run["valid"][member] & ~first.per_run["run_spun_out"][member] \
            & (first.per_run["direction"][member] > 0)
        column = int(np.flatnonzero(ok)[-1]) if ok.any() else 0
        run = first.run_labels[column]
    column = list(first.run_labels).index(run)
    if fig is None:
        fig = plt.figure(figsize=(9, 6), layout="constrained")
    ax_steer, ax_yaw = fig.subplots(2, 1, sharex=True, height_ratios=(1.0, 1.6))
    for k, man in enumerate(maneuvers):
        name = labels[k] if labels is not None else ", ".join(
            f"{v}" for key, v in man.labels.items() if key in ("vehicle", "controller"))
        res, profile = man.results["swd"], man.inputs["swd"]
        rows = man.rows_of("swd", member)
        half = len(man.run_labels) // 2
        within = column if column < half else column - half
        runs_in_direction = rows.size // 2
        row = int(rows[within if column < half else runs_in_direction + within])
        t = res.time_s
        swa = profile.sample(t)[row]
        r = res["yaw_rate_radps"][row]
        amplitude = float(man.per_run["amplitude_deg"][member, column])
        colour = f"C{k}"
        ax_steer.plot(t, np.degrees(swa), color=colour, lw=1.4,
                      label=f"{name}: {amplitude:.0f} deg")
        ax_yaw.plot(t, np.degrees(r), color=colour, lw=1.4, label=name)
        m = metrics.fmvss126_sine_with_dwell(
            res.time_s, Profile(profile.time_s, profile.values[row:row + 1]), r[None, :],
            res["ay_mps2"][row][None, :], gvwr_kg=float(man.metrics["gvwr_kg"][member]),
            sis_angle_deg=float(man.metrics["sis_angle_deg"][member]))
        if m.spun_out[0]:
            continue
        peak = float(np.degrees(m.peak_yaw_rate_radps[0]))
        cos = float(m.cos_s[0])
        ax_yaw.plot([m.peak_yaw_rate_time_s[0]], [peak], "o", color=colour, ms=6)
        for dt, limit in ((1.0, 0.35), (1.75, 0.20)):
            ax_yaw.axvline(cos + dt, color="k", lw=0.6, ls=":")
            ax_yaw.plot([cos + dt - 0.12, cos + dt + 0.12], [limit * peak] * 2, color=colour,
                        lw=2.5, alpha=0.6)
            ax_yaw.annotate(f"{100 * limit:.0f} % at COS+{dt:g} s", (cos + dt, limit * peak),
                            textcoords="offset points", xytext=(4, 6), fontsize=7)
    ax_steer.set_ylabel("steering-wheel\nangle [deg]")
    ax_yaw.set_ylabel("yaw rate [deg/s]")
    ax_yaw.set_xlabel("time [s]")
    for ax in (ax_steer, ax_yaw):
        ax.grid(True, lw=0.3)
        ax.axhline(0.0, color="k", lw=0.5)
    ax_steer.legend(fontsize=8, loc="best")
    ax_yaw.legend(fontsize=8, loc="best")
    ax_steer.set_title(f"FMVSS 126 sine with dwell, run {run}")
    return fig


def plot_lane_change(maneuvers, *, member: int = 0, labels: Sequence[str] | None = None,
                     outline_every_m: float = 6.0, fig=None):
    """ISO 3888 double lane change: the cones (points) and lanes of the layout, and the path
    of the centre of mass of each :func:`sim.maneuvers.double_lane_change` result's fastest
    pass (run set ``"best"``) overlaid (module off/on) on the driver's line (dashed, the
    first result's ``labels["paths"]``), with the body rectangle drawn every
    ``outline_every_m`` metres; below, the steering-wheel angle against distance. Axes in the
    run's ground frame from the entry gate (x forward, y left; y stretched about 3x, so the
    body outlines look shorter than they are). Returns the figure."""
    from sim.maneuvers.lane_change import LEAD_IN_M

    maneuvers = list(maneuvers) if isinstance(maneuvers, list | tuple) else [maneuvers]
    if fig is None:
        fig = plt.figure(figsize=(11, 6), layout="constrained")
    ax, ax_steer = fig.subplots(2, 1, sharex=True, height_ratios=(1.4, 1.0))
    layout = maneuvers[0].labels["layouts"][member]
    for x0, x1, yc, w in layout.lanes:
        for edge in (yc - w / 2, yc + w / 2):
            ax.plot([x0, x1], [edge, edge], color="0.6", lw=0.8)
    ax.plot(layout.cones_x_m, layout.cones_y_m, ls="none", marker="^", ms=5, color="0.15",
            label="cones")
    paths = maneuvers[0].labels.get("paths")
    if paths is not None:  # the driver's line (centre of mass), dashed, not in the legend
        shown = paths[member].x_m - LEAD_IN_M <= layout.length_m + 10.0
        ax.plot(paths[member].x_m[shown] - LEAD_IN_M, paths[member].y_m[shown], color="0.3",
                lw=0.8, ls="--")
    for k, man in enumerate(maneuvers):
        if "best" not in man.results:
            continue
        name = labels[k] if labels is not None else str(man.labels.get("controller", k))
        res = man.results["best"]
        speed = float(man.metrics["max_entry_speed_kmh"][member])
        x = res["x_m"][member] - LEAD_IN_M
        y, psi = res["y_m"][member], res["yaw_rad"][member]
        colour = f"C{k}"
        ax.plot(x, y, color=colour, lw=1.4, label=f"{name}: {speed:.1f} km/h")
        ax_steer.plot(x, np.degrees(res["steering_wheel_angle_rad"][member]), color=colour,
                      lw=1.2, label=name)
        for target in np.arange(-LEAD_IN_M / 2, layout.length_m + 10.0, outline_every_m):
            i = int(np.nanargmin(np.abs(x - target)))
            _body_outline(ax, x[i], y[i], psi[i], man.labels["body_m"][member], colour)
    top = float(np.max(layout.lanes[:, 2] + layout.lanes[:, 3] / 2))
    ax.set_ylim(-2.5, top + 2.0)
    ax.set_ylabel("y [m] (left > 0)")
    ax.grid(True, lw=0.3)
    ax.legend(fontsize=8, loc="upper right")
    standard = "ISO 3888-2" if layout.standard == "iso3888_2" else "ISO 3888-1"
    ax.set_title(f"{standard} double lane change: highest entry speed without touching a cone")
    ax_steer.set_xlabel("x from the entry gate [m]")
    ax_steer.set_ylabel("steering-wheel\nangle [deg]")
    ax_steer.grid(True, lw=0.3)
    return fig


def _body_outline(ax, x, y, psi, body, colour):
    """The body rectangle (front, rear from the CG, half width: ``body``) at pose (x, y, psi)."""
    front, rear, half = body
    corners = np.array([[front, half], [front, -half], [-rear, -half], [-rear, half],
                        [front, half]])
    c, s = np.cos(psi), np.sin(psi)
    ax.plot(x + c * corners[:, 0] - s * corners[:, 1], y + s * corners[:, 0] + c * corners[:, 1],
            color=colour, lw=0.6, alpha=0.7)


def plot_headline(headline, *, fig=None):
    """The headline comparison (:func:`sim.maneuvers.headline.headline`): left, the ISO 4138
    understeer curves on the 40 m circle (road-wheel angle minus the Ackermann angle L/R
    against lateral acceleration, steady points only) of every variant, module off solid and
    on dashed; right, the understeer gradient of each row as bars. Returns the figure."""
    if fig is None:
        fig = plt.figure(figsize=(12, 5), layout="constrained")
    ax, ax_bar = fig.subplots(1, 2, width_ratios=(1.5, 1.0))
    variants = list(dict.fromkeys(name for name, _ in headline.maneuvers))
    for (name, controller), found in headline.maneuvers.items():
        circle = found["constant_radius"]
        pts = circle.per_run
        steady = pts["steady"][0]
        res = circle.results["points"]
        wheelbase = res.parameters["cg_to_front_axle_m"][0] + res.parameters["cg_to_rear_axle_m"][0]
        radius = float(circle.labels["radius_m"])
        ay = pts["lateral_acceleration_mps2"][0, steady]
        steer = pts["road_wheel_angle_deg"][0, steady] - np.degrees(wheelbase / radius)
        on = controller != "passive"
        ax.plot(ay, steer, marker="o", ms=2.5, lw=1.3, ls="--" if on else "-",
                color=f"C{variants.index(name)}",
                label=f"{name}, adm {'on' if on else 'off'}")
    ax.set_xlabel("lateral acceleration a_y [m/s²]")
    ax.set_ylabel("road-wheel angle - L/R [deg]")
    ax.set_title("ISO 4138, 40 m circle: understeer curves")
    ax.grid(True, lw=0.3)
    ax.legend(fontsize=7, loc="upper left")
    rows = [r for r in headline.rows  # rows the module could not run show "-" and are left out
            if isinstance(r["understeer_gradient_deg_per_g"], float)
            and np.isfinite(r["understeer_gradient_deg_per_g"])]
    labels = [f"{r['variant']} {r['adm']}" for r in rows]
    values = [r["understeer_gradient_deg_per_g"] for r in rows]
    colours = [f"C{variants.index(r['variant'])}" for r in rows]
    bars = ax_bar.barh(labels, values, color=colours)
    for bar, r in zip(bars, rows, strict=True):
        if r["adm"] == "on":
            bar.set_hatch("//")
            bar.set_alpha(0.6)
    ax_bar.invert_yaxis()
    ax_bar.set_xlabel("understeer gradient [deg/g]")
    ax_bar.set_title("understeer gradient (hatched: adm on)")
    ax_bar.grid(True, axis="x", lw=0.3)
    return fig


def plot_efficiency_map(vehicle: Vehicle, motor: str, *, bus_voltage_v: float | None = None,
                        speed_radps=None, torque_nm=None, n_grid: int = 80, fig=None):
    """Efficiency map of one drive unit (``[drivetrain.motors.<motor>]`` of ``vehicle``): the
    bus-to-shaft efficiency (:func:`sim.powertrain.electric_machine.drive_unit_efficiency`;
    generating: shaft to bus) as filled contours over machine speed [rpm] and shaft torque
    [N·m], motoring above zero torque and generating below, inside the torque envelope (drawn
    black), at ``bus_voltage_v`` [V] (default: the nominal voltage of
    ``[drivetrain.high_voltage]``). ``speed_radps``, ``torque_nm``: operating points of a run
    at the machine shaft (arrays of equal shape), overlaid as dots. Returns the figure."""
    from sim.powertrain.electric_machine import (
        drive_unit_efficiency,
        drive_unit_parameters_from_spec,
        shaft_torque_limit_nm,
    )

    dt = vehicle.drivetrain
    spec = dt.motors[motor]
    lp = drive_unit_parameters_from_spec(spec, dt.high_voltage)
    volts = bus_voltage_v or (dt.high_voltage.nominal_voltage_v if dt.high_voltage else 800.0)
    rpm = np.pi / 30.0
    w = np.linspace(0.0, spec.max_speed_rpm, n_grid) * rpm
    t = np.linspace(-spec.peak_torque_nm, spec.peak_torque_nm, 2 * n_grid + 1)
    W, T = np.meshgrid(w, t)
    limit = np.vectorize(shaft_torque_limit_nm)(spec.peak_torque_nm, spec.peak_power_kw * 1e3,
                                                spec.max_speed_rpm * rpm, w)
    eta = drive_unit_efficiency(lp, T, W, volts)
    eta = np.where((np.abs(T) <= limit[None, :]) & (eta > 0.0), eta, np.nan)
    if fig is None:
        fig = plt.figure(figsize=(8, 6), layout="constrained")
    ax = fig.subplots()
    levels = [0.5, 0.7, 0.8, 0.85, 0.88, 0.9, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98, 0.99]
    filled = ax.contourf(W / rpm, T, eta, levels=levels, cmap="viridis", extend="min")
    lines = ax.contour(W / rpm, T, eta, levels=levels[3:], colors="white", linewidths=0.5)
    ax.clabel(lines, fmt=lambda v: f"{100 * v:.0f}", fontsize=7)
    fig.colorbar(filled, ax=ax, label="drive-unit efficiency [-]")
    ax.plot(w / rpm, limit, color="black", lw=1.5)
    ax.plot(w / rpm, -limit, color="black", lw=1.5)
    ax.axhline(0.0, color="black", lw=0.5)
    if speed_radps is not None and torque_nm is not None:
        ax.plot(np.ravel(np.abs(speed_radps)) / rpm,
                np.ravel(torque_nm) * np.where(np.ravel(speed_radps) < 0.0, -1.0, 1.0),
                ".", color="#d62728", ms=2, alpha=0.5, label="operating points")
        ax.legend(loc="upper right", fontsize=8)
    ax.set_xlabel("machine speed [rpm]")
    ax.set_ylabel("shaft torque [N·m] (< 0 generating)")
    ax.set_title(f"{motor}: drive unit at {volts:g} V (machine, inverter, cable)")
    return fig
