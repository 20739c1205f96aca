"""Vehicle-file sections for the dynamics: tyres, suspension, wheels, aerodynamics, drivetrain
and brakes. Declared like every section (see :mod:`sim.spec.fields`); the chassis layer turns
them into packed kernel parameters (:mod:`sim.params`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from sim.errors import SpecError
from sim.spec.electric_drive import DriveUnitLosses, HighVoltage, check_electric_drive
from sim.spec.fields import path, quantity, section, source_of, table, text

AXLE_DRIVES = ("front_axle", "rear_axle")
WHEEL_DRIVES = ("FL", "FR", "RL", "RR")

#: Drivetrain layouts and the set of ``drives`` values their motors must cover exactly.
LAYOUTS: Mapping[str, frozenset[str]] = {
    "single_rear": frozenset({"rear_axle"}),
    "one_per_axle": frozenset({"front_axle", "rear_axle"}),
    "front_and_two_rear": frozenset({"front_axle", "RL", "RR"}),
    "four_wheel": frozenset({"FL", "FR", "RL", "RR"}),
}


def _scaling(doc: str):
    return quantity(doc + " (multiplies the .tir file's own value)", "-", gt=0.0, le=10.0,
                    default=1.0)


@dataclass(frozen=True, kw_only=True)
class TyreScaling:
    """``[tyres.front.scaling]`` / ``[tyres.rear.scaling]``: the MF 6.1 user scaling factors
    (Pacejka, *Tyre and Vehicle Dynamics*, 3rd ed. 2012, ch. 4: the "lambda" factors of
    the .tir file's [SCALING_COEFFICIENTS]) that act on the forces the two-track model uses.
    Each multiplies the file's factor; 1 leaves the tyre as fitted. Per-member quantities:
    a batch may sweep them (``tyres.front.scaling.LMUY``). The aligning-moment factors (LTR,
    LRES, LS, LKZC) are left out: the two-track model does not use the aligning moment."""

    LFZO: float = _scaling("nominal (rated) load")
    LCX: float = _scaling("longitudinal shape factor Cx")
    LMUX: float = _scaling("longitudinal peak friction coefficient")
    LEX: float = _scaling("longitudinal curvature factor Ex")
    LKX: float = _scaling("longitudinal slip stiffness")
    LHX: float = _scaling("longitudinal horizontal shift")
    LVX: float = _scaling("longitudinal vertical shift")
    LCY: float = _scaling("lateral shape factor Cy")
    LMUY: float = _scaling("lateral peak friction coefficient")
    LEY: float = _scaling("lateral curvature factor Ey")
    LKY: float = _scaling("cornering stiffness")
    LHY: float = _scaling("lateral horizontal shift")
    LVY: float = _scaling("lateral vertical shift")
    LXAL: float = _scaling("influence of slip angle on Fx (combined slip)")
    LYKA: float = _scaling("influence of slip ratio on Fy (combined slip)")
    LVYKA: float = _scaling("slip-ratio-induced ply-steer Fy (combined slip)")
    LKYC: float = _scaling("camber force stiffness")


#: The MF 6.1 scaling factors a vehicle file may set (the fields of :class:`TyreScaling`).
TYRE_SCALING_NAMES = tuple(f for f in TyreScaling.__dataclass_fields__)


@dataclass(frozen=True, kw_only=True)
class Tyre:
    """``[tyres.front]`` / ``[tyres.rear]``: the tyre model of an axle."""

    file: str = path("MF 6.1 .tir property file, relative to the vehicle file", suffix=".tir")
    relaxation_length_m: float = quantity(
        "first-order lateral relaxation length (0: slip angle acts instantly)", "m",
        ge=0.0, le=5.0, default=0.0)
    scaling: TyreScaling = section(TyreScaling, "MF 6.1 scaling factors on top of the file's",
                                   defaulted=True)


@dataclass(frozen=True, kw_only=True)
class Suspension:
    """``[suspension]``: what sets the steady lateral load transfer per axle (roll stiffness
    split, roll-centre heights) and how quickly load transfer follows the accelerations."""

    front_roll_stiffness_nm_per_rad: float = quantity(
        "front axle roll stiffness (springs and anti-roll bar)", "N·m/rad", gt=0.0, le=1e6)
    rear_roll_stiffness_nm_per_rad: float = quantity(
        "rear axle roll stiffness (springs and anti-roll bar)", "N·m/rad", gt=0.0, le=1e6)
    front_roll_centre_height_m: float = quantity("front roll-centre height above the ground",
                                                 "m", ge=-0.3, le=1.0)
    rear_roll_centre_height_m: float = quantity("rear roll-centre height above the ground",
                                                "m", ge=-0.3, le=1.0)
    load_transfer_time_constant_s: float = quantity(
        "first-order lag of load transfer behind the accelerations (stands for roll and "
        "pitch dynamics)", "s", gt=0.0, le=1.0)


@dataclass(frozen=True, kw_only=True)
class Wheels:
    """``[wheels]``: spin inertia of each wheel and rolling resistance."""

    front_spin_inertia_kgm2: float = quantity(
        "spin inertia of one front wheel (tyre, rim, disc, hub), without the drivetrain",
        "kg·m²", gt=0.0, le=20.0)
    rear_spin_inertia_kgm2: float = quantity(
        "spin inertia of one rear wheel (tyre, rim, disc, hub), without the drivetrain",
        "kg·m²", gt=0.0, le=20.0)
    rolling_resistance_coefficient: float = quantity(
        "rolling-resistance torque / (wheel load x wheel radius)", "-", ge=0.0, le=0.05)


@dataclass(frozen=True, kw_only=True)
class Aero:
    """``[aero]``: drag and downforce, all acting at the centre-of-mass height (their pitch
    moment is then part of the longitudinal load transfer)."""

    drag_area_m2: float = quantity("drag coefficient x frontal area, Cd·A", "m²", ge=0.0,
                                   le=5.0)
    front_downforce_area_m2: float = quantity(
        "front downforce coefficient x area, -Cl_f·A (negative: lift)", "m²", ge=-2.0, le=5.0)
    rear_downforce_area_m2: float = quantity(
        "rear downforce coefficient x area, -Cl_r·A (negative: lift)", "m²", ge=-2.0, le=5.0)


@dataclass(frozen=True, kw_only=True)
class Motor:
    """``[drivetrain.motors.<name>]``: a traction machine, its reduction and what it drives
    (an axle through an open differential, or one wheel)."""

    drives: str = text("what the machine drives: an axle through an open differential, or "
                       "one wheel", choices=AXLE_DRIVES + WHEEL_DRIVES)
    kind: str = text("machine kind; a combustion engine drives through the stepped gearbox "
                     "of the [combustion] section",
                     choices=("electric", "combustion"), default="electric")
    peak_torque_nm: float = quantity("peak torque at the machine shaft", "N·m", gt=0.0,
                                     le=5000.0)
    peak_power_kw: float = quantity("peak mechanical power", "kW", gt=0.0, le=2000.0)
    max_speed_rpm: float = quantity("highest machine speed", "rpm", gt=0.0, le=40000.0)
    gear_ratio: float = quantity("machine speed / wheel speed (first gear for combustion)",
                                 "-", gt=0.0, le=50.0)
    top_gear_ratio: float = quantity(
        "machine speed / wheel speed in top gear (combustion: sets the engine inertia "
        "reflected to the wheels; 0: same as gear_ratio)", "-",
        ge=0.0, le=50.0, default=0.0)
    rotor_inertia_kgm2: float = quantity(
        "inertia of the rotating machine parts, at the machine shaft", "kg·m²",
        ge=0.0, le=5.0)
    losses: DriveUnitLosses | None = section(DriveUnitLosses, "losses of the drive unit "
                                             "(absent: electrical = mechanical power)",
                                             optional=True)


@dataclass(frozen=True, kw_only=True)
class Drivetrain:
    """``[drivetrain]``: the actuator layout and the passive (module off) torque split."""

    layout: str = text("actuator layout; the motors' `drives` must cover exactly its set",
                       choices=tuple(LAYOUTS))
    front_torque_share: float = quantity(
        "share of the driver's drive demand sent to the front axle when the dynamic module "
        "is off (0 for rear drive)", "-", ge=0.0, le=1.0)
    motors: Mapping[str, Motor] = table(Motor, "traction machines", optional=False)
    battery_discharge_power_limit_kw: float | None = quantity(
        "explicit cap on the electrical power the battery delivers (absent: none); with "
        "[battery] cells it caps the limit derived from their voltage and current limits "
        "(sim.powertrain.battery.available_discharge_power_w); until the powertrain issue "
        "adds efficiencies, machine electrical power is taken equal to mechanical power",
        "kW", gt=0.0, le=5000.0, default=None)
    battery_charge_power_limit_kw: float | None = quantity(
        "explicit cap on the electrical power the battery accepts from regenerative braking "
        "(absent: none; same idealisation); with [battery] cells it caps the derived limit "
        "(available_charge_power_w); DC charging ignores it", "kW", gt=0.0, le=5000.0,
        default=None)
    high_voltage: HighVoltage | None = section(HighVoltage, "voltage class and DC cables of "
                                               "the drive units", optional=True)


@dataclass(frozen=True, kw_only=True)
class Brakes:
    """``[brakes]``: friction brakes with a fixed front/rear balance."""

    front_share: float = quantity("share of the total brake torque on the front axle", "-",
                                  ge=0.0, le=1.0)
    max_front_torque_nm: float = quantity("largest brake torque of one front wheel", "N·m",
                                          gt=0.0, le=20000.0)
    max_rear_torque_nm: float = quantity("largest brake torque of one rear wheel", "N·m",
                                         gt=0.0, le=20000.0)


def check_dynamics(vehicle, source) -> None:
    """Cross-field checks of the dynamics sections (each section is optional for a mass-only
    study, but tyres need both axles and the motors must match the layout)."""
    if vehicle.tyres and sorted(vehicle.tyres) != ["front", "rear"]:
        raise SpecError(source_of(source, "tyres"), "tyres", sorted(vehicle.tyres),
                        "exactly two tables, [tyres.front] and [tyres.rear]")
    dt = vehicle.drivetrain
    if dt is None:
        return
    drives = [m.drives for m in dt.motors.values()]
    want = LAYOUTS[dt.layout]
    if len(set(drives)) != len(drives) or set(drives) != want:
        raise SpecError(source_of(source, "drivetrain.motors"), "drivetrain.motors",
                        {n: m.drives for n, m in dt.motors.items()},
                        f"layout '{dt.layout}' needs one machine driving each of "
                        + ", ".join(sorted(want)))
    check_electric_drive(dt, source)
    drives_front = bool(want & {"front_axle", "FL", "FR"})
    share = np.asarray(dt.front_torque_share)
    if not drives_front and np.any(share != 0.0):
        raise SpecError(source_of(source, "drivetrain.front_torque_share"),
                        "drivetrain.front_torque_share", float(share.flat[0]),
                        f"0 for layout '{dt.layout}', which drives no front wheel")
