"""The validated vehicle: frozen sections built from a vehicle file.

Conventions (binding for every layer above this one):

* **Positions are ISO 8855 body axes** with the origin on the ground below the centre of the
  front axle: ``x_m`` forward (so everything behind the front axle has ``x_m < 0`` and the rear
  axle is at ``x_m = -wheelbase_m``), ``y_m`` to the left, ``z_m`` up. Files use the
  vehicle-design convention, named as such: ``x_from_front_axle_m`` (measured *rearward*),
  ``y_left_m`` and ``z_from_ground_m``; the loader converts once (``x_m = -x_from_front_axle_m``).
* A positioned item may carry the dimensions of a solid box (``length_m`` along x, ``width_m``
  along y, ``height_m`` along z) centred on its position; its own inertia is that of a uniform
  box. Zero dimensions (the default) make it a point mass.
* Every quantity may hold one value or, after :func:`sim.set_params`, a 1-D array with one value
  per batch member; all arrays in one vehicle have the same length (the batch size).

To add a section (tyres, chassis, powertrain, controller...): write a frozen, ``kw_only``
dataclass whose fields are declared with :mod:`sim.spec.fields` helpers (unit, bounds, doc), add
it to :class:`Vehicle` as ``section(MySection, "doc", optional=True)``, and add its cross-field
checks to :func:`check_vehicle`. Loading, unknown-key errors, dotted parameter paths, batching
and the schema reference (``python -m sim schema``) then work for it without further code.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from sim.errors import SpecError
from sim.spec.adm import Adm
from sim.spec.battery import Battery, check_battery, pack_mass_kg
from sim.spec.combustion import Combustion, check_combustion
from sim.spec.dynamics import Aero, Brakes, Drivetrain, Suspension, Tyre, Wheels, check_dynamics
from sim.spec.energy import Energy, RoadLoad
from sim.spec.fields import quantity, quantity_table, section, table, text

#: Load case that puts nothing aboard; every vehicle has it, no file may define it.
CURB = "curb"
#: Load case used when none is named: the driver alone (the usual handling-test condition).
DEFAULT_LOAD_CASE = "driver"

_POSITION_DOC = ("position of the item's own centre of mass; file keys x_from_front_axle_m "
                 "(rearward), y_left_m, z_from_ground_m")


@dataclass(frozen=True, kw_only=True)
class Info:
    """``[info]``: what the vehicle is and where its numbers come from."""

    title: str = text("human-readable name of the variant")
    description: str = text("one or two sentences on the variant")
    provenance: str = text("where the numbers come from; built-in files say they are INVENTED")
    body: str = text("body style", choices=("coupe", "spider", "coupe_2plus2", "crossover"))
    powertrain: str = text("energy source of the traction drive",
                           choices=("electric", "combustion"))
    gross_vehicle_weight_rating_kg: float = quantity(
        "gross vehicle weight rating (maximum laden mass)", "kg", gt=0.0, le=10000.0)


@dataclass(frozen=True, kw_only=True)
class Geometry:
    """``[geometry]``: wheelbase, tracks, overall dimensions and wheel radius."""

    wheelbase_m: float = quantity("distance between front and rear axle", "m", gt=1.0, lt=5.0)
    front_track_m: float = quantity("front track (wheel-centre to wheel-centre)", "m",
                                    gt=0.8, lt=2.5)
    rear_track_m: float = quantity("rear track (wheel-centre to wheel-centre)", "m",
                                   gt=0.8, lt=2.5)
    length_m: float = quantity("overall length of the body", "m", gt=2.0, lt=7.0)
    width_m: float = quantity("overall width of the body without mirrors", "m", gt=1.0, lt=2.6)
    height_m: float = quantity("overall height of the body at curb load", "m", gt=0.8, lt=2.5)
    front_overhang_m: float = quantity("distance from the front axle to the front of the body",
                                       "m", gt=0.0, lt=2.0)
    wheel_radius_m: float = quantity("static loaded wheel radius (wheel-centre height)", "m",
                                     gt=0.15, lt=0.6)


@dataclass(frozen=True, kw_only=True)
class Steering:
    """``[steering]``: steering-system kinematics (the chassis layer adds its own fields)."""

    ratio: float = quantity("steering-wheel angle / road-wheel angle around straight ahead",
                            "-", gt=1.0, lt=40.0)
    ackermann_fraction: float = quantity(
        "0: both front wheels steer alike (parallel); 1: full Ackermann geometry", "-",
        ge=0.0, le=1.0, default=0.0)
    steering_wheel_lock_deg: float = quantity(
        "steering lock: the largest steering-wheel angle either side of straight ahead "
        "(absent: 720, two turns each way). Open-loop steering beyond it is an error; a "
        "closed-loop driver that asks for more is flagged in the result", "deg",
        gt=30.0, le=1080.0, default=720.0)


@dataclass(frozen=True, kw_only=True)
class Unsprung:
    """``[unsprung]``: unsprung mass per axle (both wheels: tyre, rim, brake, upright, half the
    links and drive shafts), placed at the wheel centres, split equally left and right."""

    front_axle_kg: float = quantity("unsprung mass of the front axle (both sides)", "kg",
                                    ge=0.0, le=500.0)
    rear_axle_kg: float = quantity("unsprung mass of the rear axle (both sides)", "kg",
                                   ge=0.0, le=500.0)


@dataclass(frozen=True, kw_only=True)
class Placed:
    """Fields shared by every item with a position and an optional box."""

    x_m: float = quantity(_POSITION_DOC + " (ISO x, forward)", "m",
                          file_key="x_from_front_axle_m", file_sign=-1.0)
    y_m: float = quantity(_POSITION_DOC + " (ISO y, left)", "m", file_key="y_left_m")
    z_m: float = quantity(_POSITION_DOC + " (ISO z, up from the ground)", "m",
                          file_key="z_from_ground_m", ge=0.0)
    length_m: float = quantity("box dimension along x (0: point mass)", "m", ge=0.0, default=0.0)
    width_m: float = quantity("box dimension along y (0: point mass)", "m", ge=0.0, default=0.0)
    height_m: float = quantity("box dimension along z (0: point mass)", "m", ge=0.0, default=0.0)
    note: str = text("why this value (invented: reasoning, or source:)", default="")


COMPONENT_GROUPS = ("structure", "chassis", "body", "interior", "powertrain", "energy",
                    "electrical", "thermal", "other")


@dataclass(frozen=True, kw_only=True)
class Component(Placed):
    """``[components.<name>]``: a part of the car with its mass and position."""

    mass_kg: float = quantity("mass of the component", "kg", ge=0.0, le=5000.0)
    group: str = text("kind of part, for tables and pictures", choices=COMPONENT_GROUPS,
                      default="other")


@dataclass(frozen=True, kw_only=True)
class Pack(Placed):
    """``[packs.<name>]``: a traction battery pack; its mass follows from its energy, so moving
    energy between packs moves mass: through its cells when the vehicle has a ``[battery]``
    section, otherwise (a labelled simplification) through a pack-level specific energy
    (housing, cooling and electronics included). See :mod:`sim.spec.battery`."""

    energy_kwh: float = quantity("usable energy of the pack", "kWh", ge=0.0, le=300.0)
    specific_energy_wh_per_kg: float | None = quantity(
        "pack-level specific energy (energy / total pack mass); required without [battery], "
        "absent with it (the cells give the mass)", "Wh/kg", gt=20.0, le=500.0, default=None)


@dataclass(frozen=True, kw_only=True)
class Seat(Placed):
    """``[seats.<name>]``: where an occupant's centre of mass sits (box: the occupant's body)."""


@dataclass(frozen=True, kw_only=True)
class Boot(Placed):
    """``[boots.<name>]``: a luggage space (position and box of its load) and its capacity."""

    capacity_kg: float = quantity("largest luggage mass the boot takes", "kg", ge=0.0, le=1000.0)


@dataclass(frozen=True, kw_only=True)
class LoadCase:
    """``[load_cases.<name>]``: who and what is aboard (``curb`` is implicit: nothing)."""

    description: str = text("what the load case represents")
    occupants: Mapping[str, float] = quantity_table("occupant mass per seat name", "kg",
                                                    ge=0.0, le=250.0)
    luggage: Mapping[str, float] = quantity_table("luggage mass per boot name", "kg", ge=0.0)


@dataclass(frozen=True)
class MassItem:
    """One point mass or uniform box, as the mass model sees it (ISO 8855 positions [m],
    mass [kg]; each number may be a per-member array)."""

    name: str
    group: str
    mass_kg: object
    x_m: object
    y_m: object
    z_m: object
    length_m: object = 0.0
    width_m: object = 0.0
    height_m: object = 0.0
    sprung: bool = True


@dataclass(frozen=True, kw_only=True)
class Vehicle:
    """A validated vehicle (possibly a batch of variants); build it with
    :func:`sim.load_vehicle` and vary it with :func:`sim.set_params`.

    ``name`` is the variant name, ``files`` the files it was merged from (bases first) and
    ``overrides`` the dotted paths a later file changed from an earlier one.
    """

    info: Info = section(Info, "identity and provenance")
    geometry: Geometry = section(Geometry, "wheelbase, tracks, body dimensions")
    steering: Steering = section(Steering, "steering kinematics")
    unsprung: Unsprung = section(Unsprung, "unsprung masses")
    components: Mapping[str, Component] = table(Component, "parts of the car", optional=False)
    packs: Mapping[str, Pack] = table(Pack, "traction battery packs")
    seats: Mapping[str, Seat] = table(Seat, "occupant positions", optional=False)
    boots: Mapping[str, Boot] = table(Boot, "luggage spaces")
    load_cases: Mapping[str, LoadCase] = table(LoadCase, "named load cases", optional=False)
    tyres: Mapping[str, Tyre] = table(Tyre, "tyre model per axle (front, rear)")
    suspension: Suspension | None = section(Suspension, "load transfer", optional=True)
    wheels: Wheels | None = section(Wheels, "wheel spin inertia, rolling resistance",
                                    optional=True)
    aero: Aero | None = section(Aero, "drag and downforce", optional=True)
    drivetrain: Drivetrain | None = section(Drivetrain, "traction machines and passive split",
                                            optional=True)
    brakes: Brakes | None = section(Brakes, "friction brakes", optional=True)
    battery: Battery | None = section(Battery, "traction cells and pack wiring", optional=True)
    combustion: Combustion | None = section(Combustion, "engine, fuel and gearbox of a "
                                            "combustion powertrain", optional=True)
    adm: Adm | None = section(Adm, "the dynamic module (torque vectoring, traction control, "
                              "regeneration): targets, gains, settings", optional=True)
    energy: Energy | None = section(Energy, "auxiliary load, regenerative braking, on-board "
                                    "charger (drive cycles, range, charging)", optional=True)
    road_load: RoadLoad | None = section(RoadLoad, "coast-down coefficients A, B, C "
                                         "(replace rolling resistance and drag area)",
                                         optional=True)
    name: str = ""
    files: tuple[str, ...] = ()
    overrides: tuple[str, ...] = ()

    @functools.cached_property
    def batch_size(self) -> int:
        """Number of batch members (1 unless :func:`sim.set_params` gave arrays). Computed once
        per vehicle (a vehicle is immutable; it walks every field, about 1 ms, and a
        simulation asks several times)."""
        from sim.spec.params import batch_size  # local: params imports this module

        return batch_size(self)

    @property
    def load_case_names(self) -> tuple[str, ...]:
        """Every load case this vehicle accepts, ``curb`` first."""
        return (CURB, *self.load_cases)

    def mass_items(self, load_case: str = DEFAULT_LOAD_CASE) -> list[MassItem]:
        """Everything aboard for ``load_case``: components, packs, the four unsprung corners
        (order FL, FR, RL, RR, at the wheel centres), occupants and luggage.

        Raises :class:`~sim.errors.SpecError` for an unknown load case (naming the known ones).
        """
        if load_case != CURB and load_case not in self.load_cases:
            raise SpecError(self.name or "<vehicle>", "load_case", load_case,
                            "unknown load case; known: " + ", ".join(self.load_case_names))
        items = [MassItem(n, c.group, c.mass_kg, c.x_m, c.y_m, c.z_m,
                          c.length_m, c.width_m, c.height_m)
                 for n, c in self.components.items()]
        items += [MassItem(f"pack_{n}", "energy", pack_mass_kg(n, p, self.battery),
                           p.x_m, p.y_m, p.z_m,
                           p.length_m, p.width_m, p.height_m)
                  for n, p in self.packs.items()]
        g = self.geometry
        corners = (("FL", self.unsprung.front_axle_kg, 0.0, g.front_track_m),
                   ("FR", self.unsprung.front_axle_kg, 0.0, -g.front_track_m),
                   ("RL", self.unsprung.rear_axle_kg, -g.wheelbase_m, g.rear_track_m),
                   ("RR", self.unsprung.rear_axle_kg, -g.wheelbase_m, -g.rear_track_m))
        items += [MassItem(f"unsprung_{w}", "unsprung", m / 2.0, x, t / 2.0, g.wheel_radius_m,
                           sprung=False)
                  for w, m, x, t in corners]
        if load_case != CURB:
            case = self.load_cases[load_case]
            for seat, m in case.occupants.items():
                s = self.seats[seat]
                items.append(MassItem(f"occupant_{seat}", "payload", m, s.x_m, s.y_m, s.z_m,
                                      s.length_m, s.width_m, s.height_m))
            for boot, m in case.luggage.items():
                b = self.boots[boot]
                items.append(MassItem(f"luggage_{boot}", "payload", m, b.x_m, b.y_m, b.z_m,
                                      b.length_m, b.width_m, b.height_m))
        return items

    def total_mass_kg(self, load_case: str = DEFAULT_LOAD_CASE):
        """Total mass [kg] for ``load_case`` (float, or per-member array for a batch)."""
        return sum(item.mass_kg for item in self.mass_items(load_case))


def require_vehicle(value, name: str = "vehicle") -> Vehicle:
    """``value`` if it is a :class:`Vehicle`; a SpecError naming the argument otherwise (a
    variant name given where a vehicle is expected gets a hint to load it)."""
    if isinstance(value, Vehicle):
        return value
    hint = ""
    if isinstance(value, str):
        hint = f"; load it first: sim.load_vehicle({value[:60]!r})"
    shown = value if isinstance(value, str | int | float | type(None)) \
        else f"a {type(value).__name__}"
    raise SpecError("<argument>", name, shown, "a sim.Vehicle" + hint)


def placed_items(vehicle: Vehicle):
    """Yield ``(dotted_path, Placed)`` for every positioned item of ``vehicle``."""
    for kind in ("components", "packs", "seats", "boots"):
        for name, item in getattr(vehicle, kind).items():
            yield f"{kind}.{name}", item


def check_vehicle(vehicle: Vehicle, source) -> None:
    """Cross-field checks that no single field can make: every box inside the body, load cases
    naming existing seats and boots within capacity, laden mass within the GVWR.

    ``source`` names the file(s) (a string, or an object with ``of(path)``); errors are
    :class:`~sim.errors.SpecError` naming the field, the value and what is allowed.
    """
    from sim.spec.fields import source_of

    g = vehicle.geometry
    if np.any(np.asarray(g.front_overhang_m) >= np.asarray(g.length_m) - np.asarray(g.wheelbase_m)):
        raise SpecError(source_of(source, "geometry.front_overhang_m"),
                        "geometry.front_overhang_m", _first(g.front_overhang_m),
                        "must leave room for the wheelbase: front_overhang_m + wheelbase_m "
                        f"< length_m = {_first(g.length_m)} m")
    # The body envelope, in ISO coordinates: x from the rear end to the front end, |y| within
    # half the width, z from the ground to the roof.
    x_front = np.asarray(g.front_overhang_m)
    x_rear = x_front - np.asarray(g.length_m)
    half_w = np.asarray(g.width_m) / 2.0
    height = np.asarray(g.height_m)
    tol = 1e-9
    for path, item in placed_items(vehicle):
        x, y, z = (np.asarray(v) for v in (item.x_m, item.y_m, item.z_m))
        hl, hw, hh = (np.asarray(v) / 2.0 for v in (item.length_m, item.width_m, item.height_m))
        checks = (
            ("x_from_front_axle_m", -x, (x + hl > x_front + tol) | (x - hl < x_rear - tol),
             f"the item's box (length_m {_first(item.length_m)}) must lie between the body's "
             f"front end ({-_first(x_front):g} m) and rear end ({-_first(x_rear):g} m) "
             "measured from the front axle"),
            ("y_left_m", y, np.abs(y) + hw > half_w + tol,
             f"the item's box (width_m {_first(item.width_m)}) must lie within the body's "
             f"half-width {_first(half_w):g} m"),
            ("z_from_ground_m", z, (z - hh < -tol) | (z + hh > height + tol),
             f"the item's box (height_m {_first(item.height_m)}) must lie between the ground "
             f"and the body height {_first(height):g} m"),
        )
        for key, shown, bad, allowed in checks:
            if np.any(bad):
                i = int(np.flatnonzero(np.broadcast_to(bad, np.broadcast(bad, shown).shape))[0])
                value = float(np.broadcast_to(shown, np.broadcast(bad, shown).shape).flat[i])
                raise SpecError(source_of(source, f"{path}.{key}"), f"{path}.{key}", value,
                                "outside the car's body: " + allowed)
    check_dynamics(vehicle, source)
    check_battery(vehicle, source)
    check_combustion(vehicle, source)
    curb = np.asarray(vehicle.total_mass_kg(CURB))
    if np.any(~(curb > 0.0)):
        i = int(np.flatnonzero(~(curb > 0.0))[0]) if curb.ndim else 0
        raise SpecError(source_of(source, "components"), "components", float(curb.flat[i]),
                        "the curb mass (components + packs + unsprung masses) must be "
                        "> 0 kg: a car needs mass")
    for case_name, case in vehicle.load_cases.items():
        base = f"load_cases.{case_name}"
        if case_name == CURB:
            raise SpecError(source_of(source, base), base, case_name,
                            "'curb' is reserved: it is the implicit empty load case")
        for seat in case.occupants:
            if seat not in vehicle.seats:
                raise SpecError(source_of(source, base), f"{base}.occupants", seat,
                                "unknown seat; seats are " + ", ".join(vehicle.seats))
        for boot, m in case.luggage.items():
            if boot not in vehicle.boots:
                raise SpecError(source_of(source, base), f"{base}.luggage", boot,
                                "unknown boot; boots are " + (", ".join(vehicle.boots) or "none"))
            cap = vehicle.boots[boot].capacity_kg
            if np.any(np.asarray(m) > np.asarray(cap)):
                raise SpecError(source_of(source, base), f"{base}.luggage.{boot}", m,
                                f"more than the boot's capacity_kg = {_first(cap):g} kg")
        total = np.asarray(vehicle.total_mass_kg(case_name))
        gvwr = np.asarray(vehicle.info.gross_vehicle_weight_rating_kg)
        if np.any(total > gvwr):
            i = int(np.argmax(total > gvwr)) if total.ndim else 0
            raise SpecError(source_of(source, base), base, round(float(total.flat[i]), 1),
                            "laden mass [kg] exceeds info.gross_vehicle_weight_rating_kg = "
                            f"{_first(gvwr):g} kg")


def _first(value) -> float:
    """First member of a scalar-or-batch quantity, for messages."""
    return float(np.asarray(value).flat[0])


def fields_of(cls) -> tuple[dataclasses.Field, ...]:
    """The declared (file-backed) fields of a section class, in declaration order."""
    return tuple(f for f in dataclasses.fields(cls) if f.metadata.get("kind"))
