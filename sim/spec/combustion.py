"""``[combustion]``: the engine, fuel and gearbox of a combustion powertrain.

One flat section holds everything the compiled kernels of :mod:`sim.powertrain.engine` and
:mod:`sim.powertrain.gearbox` need: the full-load and motored (friction) torque curves and the
fuel map over one engine-speed grid, idle, fuel cut-off and launch speeds, the fuel's density
and CO2 factor, the gear ratios and mesh efficiencies, the final drive and the shift strategy.

**One source for each number.** The combustion machine in ``[drivetrain.motors.<name>]`` keeps
its envelope fields (``peak_torque_nm``, ``peak_power_kw``, ``max_speed_rpm``, ``gear_ratio``,
``top_gear_ratio``), which the chassis layer reads today. They are *checked* against this
section at load time (:func:`check_combustion`): peak torque = the largest full-load torque,
peak power = the largest power of the piecewise-linear full-load curve, max speed = the last
grid speed (the rev limit), gear_ratio = first gear x final drive, top_gear_ratio = top gear x
final drive, each within :data:`AGREEMENT_TOLERANCE`. A disagreement raises a SpecError naming
the motor field, its value and the value the curve or the gearbox implies.

Fuel map: the file gives brake-specific fuel consumption [g/kWh] at positive brake torques
(``fuel_map_torque_nm``) and the no-load fuel flow [g/s] (zero brake torque: the fuel that
overcomes friction) at every grid speed; :mod:`sim.powertrain.engine` turns them into one fuel
mass-flow grid (kg/s, zero-torque row first) and interpolates the flow, not the BSFC
(fuel flow is close to linear in torque, the Willans line, and BSFC is infinite at zero load).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.errors import SpecError
from sim.spec.fields import quantity, quantity_array, source_of

#: Largest number of engine-speed grid points (full-load, friction, no-load and map rows).
MAX_ENGINE_SPEED_POINTS = 16
#: Largest number of positive brake-torque points of the fuel map (one zero-torque row is
#: added from ``no_load_fuel_flow_g_per_s``).
MAX_FUEL_MAP_TORQUE_POINTS = 11
#: Largest number of forward gears.
MAX_GEARS = 8
#: Relative tolerance of the agreement between the motor envelope and this section.
AGREEMENT_TOLERANCE = 0.005
#: An upshift must land at least this fraction above the downshift speed of the same demand
#: in the next gear (speed hysteresis margin; see :func:`check_combustion`).
SHIFT_HYSTERESIS_MARGIN = 0.05

_RPM_TO_RADPS = math.pi / 30.0


@dataclass(frozen=True, kw_only=True)
class Combustion:
    """``[combustion]``: engine curves and fuel map, fuel, gearbox and shift strategy of a
    combustion powertrain (only with a ``kind = "combustion"`` motor)."""

    engine_speed_rpm: np.ndarray = quantity_array(
        "engine-speed grid of the full-load, friction and no-load curves and of the fuel-map "
        "rows, strictly increasing; the last point is the rev limit", "rpm",
        max_shape=(MAX_ENGINE_SPEED_POINTS,), gt=0.0, le=20000.0)
    full_load_torque_nm: np.ndarray = quantity_array(
        "full-load (wide-open) brake torque at each grid speed", "N·m",
        max_shape=(MAX_ENGINE_SPEED_POINTS,), gt=0.0, le=3000.0)
    friction_torque_nm: np.ndarray = quantity_array(
        "motored (friction and pumping) torque at each grid speed, as a positive magnitude "
        "acting against rotation: the engine braking with fuel cut off", "N·m",
        max_shape=(MAX_ENGINE_SPEED_POINTS,), ge=0.0, le=1000.0)
    no_load_fuel_flow_g_per_s: np.ndarray = quantity_array(
        "fuel flow at zero brake torque at each grid speed (at the idle speed: idle "
        "consumption)", "g/s", max_shape=(MAX_ENGINE_SPEED_POINTS,), gt=0.0, le=100.0)
    fuel_map_torque_nm: np.ndarray = quantity_array(
        "positive brake torques of the fuel-map columns, strictly increasing; the last "
        "covers the largest full-load torque", "N·m", max_shape=(MAX_FUEL_MAP_TORQUE_POINTS,),
        min_len=1, gt=0.0, le=3000.0)
    fuel_map_bsfc_g_per_kwh: np.ndarray = quantity_array(
        "brake-specific fuel consumption, one row per grid speed, one column per map torque",
        "g/kWh", max_shape=(MAX_ENGINE_SPEED_POINTS, MAX_FUEL_MAP_TORQUE_POINTS), min_len=1,
        gt=100.0, le=5000.0)
    idle_speed_rpm: float = quantity("idle speed, held with no pedal while the clutch slips",
                                     "rpm", gt=0.0, le=3000.0)
    launch_speed_rpm: float = quantity(
        "engine speed held at full pedal while the clutch slips (launch); with less pedal "
        "the held speed falls linearly towards idle", "rpm", gt=0.0, le=10000.0)
    fuel_cutoff_speed_rpm: float = quantity(
        "above this speed a torque demand <= 0 cuts the fuel (overrun: engine braking "
        "from the friction curve); below it the engine is fuelled at no load", "rpm",
        gt=0.0, le=10000.0)
    fuel_density_kg_per_l: float = quantity("fuel density", "kg/L", gt=0.5, le=1.0)
    co2_kg_per_l: float = quantity("CO2 emitted per litre of fuel burnt", "kg/L",
                                   gt=1.0, le=4.0)
    lower_heating_value_mj_per_kg: float = quantity(
        "fuel's lower heating value (the chemical energy of the energy balance)", "MJ/kg",
        gt=10.0, le=130.0, default=42.7)
    gear_ratios: np.ndarray = quantity_array(
        "gearbox input speed / output speed of each forward gear, first gear first, "
        "strictly decreasing", "-", max_shape=(MAX_GEARS,), min_len=1, gt=0.1, le=10.0)
    gear_efficiencies: np.ndarray = quantity_array(
        "mesh efficiency of each gear (driving: output torque = efficiency x ratio x input "
        "torque; overrun: ratio x input torque / efficiency)", "-", max_shape=(MAX_GEARS,),
        min_len=1, gt=0.5, le=1.0)
    final_drive_ratio: float = quantity("final drive (differential) ratio", "-", gt=0.5,
                                        le=10.0)
    final_drive_efficiency: float = quantity("mesh efficiency of the final drive", "-",
                                             gt=0.5, le=1.0)
    upshift_speed_light_rpm: float = quantity(
        "engine speed above which the gearbox shifts up at zero pedal", "rpm", gt=0.0,
        le=20000.0)
    upshift_speed_full_rpm: float = quantity(
        "engine speed above which the gearbox shifts up at full pedal (linear in between)",
        "rpm", gt=0.0, le=20000.0)
    downshift_speed_light_rpm: float = quantity(
        "engine speed below which the gearbox shifts down at zero pedal", "rpm", gt=0.0,
        le=20000.0)
    downshift_speed_full_rpm: float = quantity(
        "engine speed below which the gearbox shifts down at full pedal (linear in between)",
        "rpm", gt=0.0, le=20000.0)
    shift_time_s: float = quantity(
        "duration of a dual-clutch shift: the output torque dips linearly to "
        "shift_torque_fraction at mid-shift and recovers", "s", gt=0.0, le=2.0)
    shift_torque_fraction: float = quantity(
        "fraction of the drive torque transmitted at mid-shift (1: seamless)", "-",
        ge=0.0, le=1.0)
    min_time_in_gear_s: float = quantity(
        "no new shift starts sooner than this after the previous one started (>= "
        "shift_time_s): the time hysteresis that stops hunting", "s", gt=0.0, le=10.0)


def full_load_peak_power_w(speed_radps, torque_nm) -> float:
    """Largest power [W] of a piecewise-linear full-load curve (exact: on a segment
    ``T = a + b w`` the power ``a w + b w^2`` peaks at an end or at ``w = -a / (2 b)``)."""
    w = np.asarray(speed_radps, dtype=float)
    t = np.asarray(torque_nm, dtype=float)
    best = float(np.max(w * t))
    for w0, w1, t0, t1 in zip(w[:-1], w[1:], t[:-1], t[1:], strict=True):
        b = (t1 - t0) / (w1 - w0)
        a = t0 - b * w0
        if b < 0.0 and w0 < -a / (2.0 * b) < w1:
            best = max(best, -a * a / (4.0 * b))
    return best


def _first(value) -> float:
    return float(np.asarray(value).flat[0])


def _fail(source, field: str, value, allowed: str):
    raise SpecError(source_of(source, f"combustion.{field}"), f"combustion.{field}", value,
                    allowed)


def check_combustion(vehicle, source) -> None:
    """Cross-field checks of ``[combustion]`` and its agreement with the combustion motor.

    Rules (each raises :class:`~sim.errors.SpecError` naming the field and the value):
    ``info.powertrain = "combustion"``, a ``kind = "combustion"`` motor and the section come
    together; curves have one value per grid speed and the grid increases; the fuel map has
    one row per grid speed and one column per map torque, its torques increase and cover the
    full-load curve, and the fuel flow (BSFC x power, no-load flow first) rises with torque
    at every speed; idle <= downshift speeds < upshift speeds <= rev limit, idle within the
    grid, idle < fuel cut-off < rev limit, idle < launch <= full-pedal upshift speed; gear
    ratios decrease, one efficiency per gear; the speed hysteresis holds (an upshift at either
    pedal lands at least :data:`SHIFT_HYSTERESIS_MARGIN` above that pedal's downshift speed:
    ``upshift >= downshift x largest ratio step x (1 + margin)``); min_time_in_gear_s >=
    shift_time_s; and the motor's envelope agrees with the curves and gears (module docstring).
    """
    c = vehicle.combustion
    dt = vehicle.drivetrain
    engines = {} if dt is None else {n: m for n, m in dt.motors.items()
                                     if m.kind == "combustion"}
    is_ice = vehicle.info.powertrain == "combustion"
    if c is None:
        if engines or is_ice:
            raise SpecError(source_of(source, "combustion"), "combustion", None,
                            "a [combustion] section is required with info.powertrain = "
                            "'combustion' or a motor of kind 'combustion'")
        return
    if not is_ice or len(engines) != 1 or len(dt.motors) != 1:
        raise SpecError(source_of(source, "combustion"), "combustion",
                        {"info.powertrain": vehicle.info.powertrain,
                         "combustion motors": sorted(engines)},
                        "[combustion] needs info.powertrain = 'combustion' and exactly one "
                        "motor, of kind 'combustion'")
    speeds = c.engine_speed_rpm
    k = speeds.size
    if np.any(np.diff(speeds) <= 0.0):
        _fail(source, "engine_speed_rpm", speeds.tolist(), "strictly increasing speeds")
    for name in ("full_load_torque_nm", "friction_torque_nm", "no_load_fuel_flow_g_per_s"):
        values = getattr(c, name)
        if values.size != k:
            _fail(source, name, values.tolist(),
                  f"one value per engine_speed_rpm point ({k} values)")
    torques = c.fuel_map_torque_nm
    if np.any(np.diff(torques) <= 0.0):
        _fail(source, "fuel_map_torque_nm", torques.tolist(), "strictly increasing torques")
    if torques[-1] < c.full_load_torque_nm.max():
        _fail(source, "fuel_map_torque_nm", torques.tolist(),
              "the last torque must cover the largest full-load torque "
              f"{c.full_load_torque_nm.max():g} N·m")
    bsfc = c.fuel_map_bsfc_g_per_kwh
    if bsfc.shape != (k, torques.size):
        _fail(source, "fuel_map_bsfc_g_per_kwh", list(bsfc.shape),
              f"{k} rows (one per engine_speed_rpm point) of {torques.size} values (one per "
              "fuel_map_torque_nm point)")
    flow_g_per_s = bsfc * torques[None, :] * (speeds[:, None] * _RPM_TO_RADPS) / 3.6e6
    flow_g_per_s = np.concatenate([c.no_load_fuel_flow_g_per_s[:, None], flow_g_per_s], axis=1)
    rising = np.diff(flow_g_per_s, axis=1) > 0.0
    if not np.all(rising):
        i, j = (int(v) for v in np.argwhere(~rising)[0])
        _fail(source, f"fuel_map_bsfc_g_per_kwh[{i}][{j}]", float(bsfc[i, j]),
              "fuel flow = BSFC x torque x speed must rise with torque at every speed "
              f"(starting from no_load_fuel_flow_g_per_s[{i}] = "
              f"{c.no_load_fuel_flow_g_per_s[i]:g} g/s); here it is "
              f"{flow_g_per_s[i, j + 1]:.4g} g/s after {flow_g_per_s[i, j]:.4g} g/s")
    rev_limit = float(speeds[-1])
    _check_order(c, source, rev_limit, float(speeds[0]))
    ratios, effs = c.gear_ratios, c.gear_efficiencies
    if np.any(np.diff(ratios) >= 0.0):
        _fail(source, "gear_ratios", ratios.tolist(), "strictly decreasing, first gear first")
    if effs.size != ratios.size:
        _fail(source, "gear_efficiencies", effs.tolist(),
              f"one efficiency per gear ({ratios.size} values)")
    step = float(np.max(ratios[:-1] / ratios[1:])) if ratios.size > 1 else 1.0
    for pedal in ("light", "full"):
        up = np.asarray(getattr(c, f"upshift_speed_{pedal}_rpm"))
        down = np.asarray(getattr(c, f"downshift_speed_{pedal}_rpm"))
        need = down * step * (1.0 + SHIFT_HYSTERESIS_MARGIN)
        if np.any(up < need):
            _fail(source, f"upshift_speed_{pedal}_rpm", _first(up),
                  f">= downshift_speed_{pedal}_rpm x largest ratio step {step:.4g} x "
                  f"{1.0 + SHIFT_HYSTERESIS_MARGIN:g} = {_first(need):.1f} rpm, so that an "
                  "upshift never lands below the downshift speed (hunting)")
    if np.any(np.asarray(c.min_time_in_gear_s) < np.asarray(c.shift_time_s)):
        _fail(source, "min_time_in_gear_s", _first(c.min_time_in_gear_s),
              f">= shift_time_s = {_first(c.shift_time_s):g} s")
    _check_motor(c, next(iter(engines.items())), source)


def _check_order(c: Combustion, source, rev_limit: float, lowest: float) -> None:
    """Speed ordering rules; each pair ``(field, must-be-at-least field or number)``."""
    rules = (
        ("idle_speed_rpm", ">=", lowest, "the first engine_speed_rpm point"),
        ("fuel_cutoff_speed_rpm", ">", c.idle_speed_rpm, "idle_speed_rpm"),
        ("fuel_cutoff_speed_rpm", "<", rev_limit, "the rev limit (last engine_speed_rpm)"),
        ("launch_speed_rpm", ">", c.idle_speed_rpm, "idle_speed_rpm"),
        ("launch_speed_rpm", "<=", c.upshift_speed_full_rpm, "upshift_speed_full_rpm"),
        ("downshift_speed_light_rpm", ">=", c.idle_speed_rpm, "idle_speed_rpm"),
        ("downshift_speed_full_rpm", ">=", c.downshift_speed_light_rpm,
         "downshift_speed_light_rpm"),
        ("upshift_speed_full_rpm", ">=", c.upshift_speed_light_rpm, "upshift_speed_light_rpm"),
        ("upshift_speed_full_rpm", "<=", rev_limit, "the rev limit (last engine_speed_rpm)"),
    )
    ops = {">=": np.greater_equal, ">": np.greater, "<": np.less, "<=": np.less_equal}
    for name, op, other, other_name in rules:
        value = np.asarray(getattr(c, name))
        if not np.all(ops[op](value, np.asarray(other))):
            _fail(source, name, _first(value), f"{op} {other_name} = {_first(other):g} rpm")


def _check_motor(c: Combustion, named_motor, source) -> None:
    """The motor envelope must agree with the curves and the gearbox (one source each)."""
    name, motor = named_motor
    speeds_radps = c.engine_speed_rpm * _RPM_TO_RADPS
    implied = {
        "peak_torque_nm": (float(c.full_load_torque_nm.max()), "N·m",
                           "the largest combustion.full_load_torque_nm"),
        "peak_power_kw": (full_load_peak_power_w(speeds_radps, c.full_load_torque_nm) / 1e3,
                          "kW", "the largest power of the full-load curve"),
        "max_speed_rpm": (float(c.engine_speed_rpm[-1]), "rpm",
                          "the rev limit, the last combustion.engine_speed_rpm"),
        "gear_ratio": (np.asarray(c.gear_ratios[0] * np.asarray(c.final_drive_ratio)), "-",
                       "first gear x combustion.final_drive_ratio"),
        "top_gear_ratio": (np.asarray(c.gear_ratios[-1] * np.asarray(c.final_drive_ratio)),
                           "-", "top gear x combustion.final_drive_ratio"),
    }
    for field, (want, unit, what) in implied.items():
        have = np.asarray(getattr(motor, field))
        want = np.asarray(want)
        if np.any(np.abs(have - want) > AGREEMENT_TOLERANCE * np.abs(want)):
            path = f"drivetrain.motors.{name}.{field}"
            raise SpecError(source_of(source, path), path, _first(have),
                            f"must equal {what} = {_first(want):.6g} {unit} (within "
                            f"{AGREEMENT_TOLERANCE:.1%}); the [combustion] section is the "
                            "source, the motor envelope repeats it for the chassis")
