"""Vehicle-file sections of the electric drive's losses: ``[drivetrain.motors.<name>.losses]``
(machine constants, reduction-gear efficiency, or an efficiency map / power-fraction table),
``[drivetrain.motors.<name>.losses.inverter]`` (the inverter's power devices) and
``[drivetrain.high_voltage]`` (the voltage class the machines and inverters are designed for,
and the DC cables to the drive units).

The physics behind each field is in :mod:`sim.powertrain.electric_machine` (machine, model
statement), :mod:`sim.powertrain.inverter` (device formulas) and :mod:`sim.powertrain.cable`.
:func:`drivetrain_for_bus_voltage` builds the same drive units for another bus voltage
(rewound machines, the other device class, cables by a stated policy) for 800 V / 400 V
studies; :data:`INVERTER_DEVICES` holds one invented device set per technology and class.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from sim.errors import SpecError
from sim.spec.fields import quantity, section, source_of, text

LOSS_MODELS = ("physics", "speed_torque_map", "power_fraction")
DEVICES = ("si_igbt", "sic_mosfet")


def _optional_path(doc: str):
    return dataclasses.field(default=None, metadata=dict(kind="path", doc=doc, suffix=".csv"))


@dataclass(frozen=True, kw_only=True)
class InverterDevice:
    """``[drivetrain.motors.<name>.losses.inverter]``: the power devices of the drive unit's
    three-phase bridge (six switch positions), for the loss formulas of sinusoidal PWM."""

    device: str = text("device technology: silicon IGBT with anti-parallel diode, or SiC "
                       "MOSFET (synchronous rectification, no knee voltage)", choices=DEVICES)
    blocking_voltage_v: float = quantity("device voltage class (650, 750, 1200 V...); must "
                                         "exceed the nominal bus voltage", "V", ge=400.0,
                                         le=3300.0)
    switching_frequency_hz: float = quantity("PWM switching frequency", "Hz", gt=0.0, le=1e5)
    on_resistance_ohm: float = quantity("on-state slope resistance per switch: r_CE (IGBT) or "
                                        "R_DS(on) (MOSFET), at operating temperature", "Ω",
                                        gt=0.0, le=0.1)
    knee_voltage_v: float = quantity("IGBT knee voltage V_CE0 (0 for a MOSFET)", "V", ge=0.0,
                                     le=3.0, default=0.0)
    diode_knee_voltage_v: float = quantity("diode knee voltage V_F (0 for a MOSFET)", "V",
                                           ge=0.0, le=3.0, default=0.0)
    diode_resistance_ohm: float | None = quantity(
        "diode slope resistance r_F (IGBT bridges; a MOSFET conducts in reverse through "
        "R_DS(on))", "Ω", gt=0.0, le=0.1, default=None)
    switching_energy_j: float = quantity("E_on + E_off + E_rr of one switch position at the "
                                         "reference current and voltage", "J", ge=0.0, le=5.0)
    reference_current_a: float = quantity("current of the switching-energy measurement", "A",
                                          gt=0.0, le=1e4)
    reference_voltage_v: float = quantity("DC voltage of the switching-energy measurement", "V",
                                          gt=0.0, le=3000.0)
    voltage_exponent: float = quantity("exponent K_v of (V_dc / V_ref) in the switching loss "
                                       "(about 1 for SiC, 1.3-1.4 for Si IGBTs)", "-", ge=0.5,
                                       le=2.0)


@dataclass(frozen=True, kw_only=True)
class DriveUnitLosses:
    """``[drivetrain.motors.<name>.losses]``: losses of an electric drive unit (machine,
    inverter, reduction gear). ``model = "physics"`` needs the machine constants and an
    ``inverter`` table; ``"speed_torque_map"`` a ``map_csv``; ``"power_fraction"`` (FASTSim's
    form, over the motor's peak power) a ``power_fraction_csv``."""

    model: str = text("loss model: machine physics + inverter devices, a drive-unit efficiency "
                      "map over speed and torque, or efficiency over shaft power / peak power",
                      choices=LOSS_MODELS, default="physics")
    gear_efficiency: float = quantity("mesh efficiency of the reduction (and differential): "
                                      "the wheel gets this share driving, the machine this "
                                      "share on overrun", "-", gt=0.5, le=1.0)
    torque_constant_nm_per_a: float | None = quantity(
        "shaft torque per rms phase current (q axis)", "N·m/A", gt=0.0, le=100.0, default=None)
    phase_resistance_ohm: float | None = quantity(
        "stator phase resistance (copper loss 3 R I_rms²)", "Ω", gt=0.0, le=10.0, default=None)
    field_weakening_current_a: float | None = quantity(
        "characteristic current psi / L_d: the d-axis current tends to it at infinite speed",
        "A", ge=0.0, le=1e4, default=None)
    field_weakening_speed_rpm: float | None = quantity(
        "no-load field-weakening onset at the nominal bus voltage (scales with the bus "
        "voltage)", "rpm", gt=0.0, le=40000.0, default=None)
    iron_hysteresis_w_per_radps: float | None = quantity(
        "c1 of the iron loss c1 ω + c2 ω² at full flux", "W/(rad/s)", ge=0.0, le=100.0,
        default=None)
    iron_eddy_w_per_radps2: float | None = quantity(
        "c2 of the iron loss c1 ω + c2 ω² at full flux", "W/(rad/s)²", ge=0.0, le=1.0,
        default=None)
    friction_torque_nm: float | None = quantity(
        "bearing friction torque c (loss c ω)", "N·m", ge=0.0, le=50.0, default=None)
    windage_w_per_radps3: float | None = quantity(
        "windage coefficient c' (loss c' ω³)", "W/(rad/s)³", ge=0.0, le=1e-4, default=None)
    inverter: InverterDevice | None = section(InverterDevice, "the inverter's power devices "
                                              "(model = physics)", optional=True)
    map_csv: str | None = _optional_path(
        "drive-unit efficiency map (model = speed_torque_map): CSV with columns speed_rpm, "
        "torque_nm (signed; < 0 generating), efficiency, a full grid")
    power_fraction_csv: str | None = _optional_path(
        "efficiency table (model = power_fraction): CSV with columns power_fraction (signed "
        "shaft power / peak power, ascending), efficiency")
    fraction_interpolation: str = text("interpolation of the power-fraction table (FASTSim 3.1 "
                                       "uses step_lower)", choices=("linear", "step_lower"),
                                       default="linear")


_PHYSICS_FIELDS = ("torque_constant_nm_per_a", "phase_resistance_ohm",
                   "field_weakening_current_a", "field_weakening_speed_rpm",
                   "iron_hysteresis_w_per_radps", "iron_eddy_w_per_radps2",
                   "friction_torque_nm", "windage_w_per_radps3", "inverter")


@dataclass(frozen=True, kw_only=True)
class HighVoltage:
    """``[drivetrain.high_voltage]``: the voltage class the drive units are designed for and
    the DC cables that feed them (both conductors of each run have the same copper
    cross-section)."""

    nominal_voltage_v: float = quantity("nominal bus voltage the machines are wound for and the "
                                        "inverters rated for", "V", gt=100.0, le=1500.0)
    cable_cross_section_mm2: float = quantity("copper cross-section of each DC conductor", "mm²",
                                              gt=1.0, le=500.0)
    cable_length_m: float = quantity("route length from the battery junction box to each drive "
                                     "unit's inverter (the run has two conductors)", "m",
                                     gt=0.0, le=20.0)


def check_electric_drive(drivetrain, source) -> None:
    """Cross-field checks: every motor with ``losses`` needs ``[drivetrain.high_voltage]``; the
    fields its loss model needs are present; a MOSFET has no knee voltages; an IGBT bridge
    gives its diode resistance; devices are rated above the nominal bus voltage."""
    hv = drivetrain.high_voltage
    for name, motor in drivetrain.motors.items():
        losses = motor.losses
        where = f"drivetrain.motors.{name}.losses"
        if losses is None:
            continue
        if motor.kind != "electric":
            raise SpecError(source_of(source, where), where, "a losses table",
                            "losses only on electric machines")
        if hv is None:
            raise SpecError(source_of(source, where), "drivetrain.high_voltage", None,
                            f"a [drivetrain.high_voltage] table (needed by {where})")
        if losses.model == "physics":
            for field in _PHYSICS_FIELDS:
                if getattr(losses, field) is None:
                    raise SpecError(source_of(source, where), f"{where}.{field}", None,
                                    "required with model = physics")
            inv = losses.inverter
            ipath = f"{where}.inverter"
            if inv.device == "sic_mosfet":
                for field in ("knee_voltage_v", "diode_knee_voltage_v"):
                    if getattr(inv, field) != 0.0:
                        raise SpecError(source_of(source, ipath), f"{ipath}.{field}",
                                        getattr(inv, field), "0 for a sic_mosfet")
                if inv.diode_resistance_ohm is not None:
                    raise SpecError(source_of(source, ipath), f"{ipath}.diode_resistance_ohm",
                                    inv.diode_resistance_ohm,
                                    "absent for a sic_mosfet (it conducts through R_DS(on))")
            elif inv.diode_resistance_ohm is None:
                raise SpecError(source_of(source, ipath), f"{ipath}.diode_resistance_ohm", None,
                                "required for an si_igbt bridge")
            if inv.blocking_voltage_v <= hv.nominal_voltage_v:
                raise SpecError(source_of(source, ipath), f"{ipath}.blocking_voltage_v",
                                inv.blocking_voltage_v,
                                f"> the nominal bus voltage {hv.nominal_voltage_v:g} V")
        elif losses.model == "speed_torque_map" and losses.map_csv is None:
            raise SpecError(source_of(source, where), f"{where}.map_csv", None,
                            "required with model = speed_torque_map")
        elif losses.model == "power_fraction" and losses.power_fraction_csv is None:
            raise SpecError(source_of(source, where), f"{where}.power_fraction_csv", None,
                            "required with model = power_fraction")


# Device sets, one per technology and voltage class. INVENTED (plausible, bounded by public
# datasheet figures of automotive half-bridge modules), except the 1200 V IGBT's conduction
# and switching figures, which are TUM's set (REFERENCES §7). Resistances at operating
# temperature. A 400 V design uses 650/750 V devices: lower switching energy and lower
# resistance for the same die area, but it carries twice the current.
INVERTER_DEVICES: dict[str, InverterDevice] = {
    # source: TUM global_racetrajectory_optimization (V_CE0 0.8 V, r_CE 3.6 mOhm, 119 mJ at
    # 600 V / 450 A, 12 kHz); diode figures and K_v invented (Si IGBT 1.3-1.4, REFERENCES §7)
    "si_igbt_1200v": InverterDevice(
        device="si_igbt", blocking_voltage_v=1200.0, switching_frequency_hz=12e3,
        on_resistance_ohm=3.6e-3, knee_voltage_v=0.8, diode_knee_voltage_v=0.9,
        diode_resistance_ohm=2.4e-3, switching_energy_j=0.119, reference_current_a=450.0,
        reference_voltage_v=600.0, voltage_exponent=1.3),
    # invented: 750 V module of the 800 A class (lower r_CE and switching energy than 1200 V)
    "si_igbt_750v": InverterDevice(
        device="si_igbt", blocking_voltage_v=750.0, switching_frequency_hz=10e3,
        on_resistance_ohm=1.5e-3, knee_voltage_v=0.75, diode_knee_voltage_v=0.85,
        diode_resistance_ohm=1.2e-3, switching_energy_j=0.045, reference_current_a=450.0,
        reference_voltage_v=400.0, voltage_exponent=1.3),
    # invented: 1200 V SiC module, ~3 mOhm hot, 30 mJ at 600 V / 400 A
    "sic_mosfet_1200v": InverterDevice(
        device="sic_mosfet", blocking_voltage_v=1200.0, switching_frequency_hz=12e3,
        on_resistance_ohm=3.0e-3, switching_energy_j=0.030, reference_current_a=400.0,
        reference_voltage_v=600.0, voltage_exponent=1.0),
    # invented: 750 V SiC module, ~1.6 mOhm hot, 14 mJ at 400 V / 400 A
    "sic_mosfet_750v": InverterDevice(
        device="sic_mosfet", blocking_voltage_v=750.0, switching_frequency_hz=12e3,
        on_resistance_ohm=1.6e-3, switching_energy_j=0.014, reference_current_a=400.0,
        reference_voltage_v=400.0, voltage_exponent=1.0),
}


def inverter_device_for(device: str, bus_voltage_v: float) -> InverterDevice:
    """The catalogue device of technology ``device`` for a bus of ``bus_voltage_v``: the 750 V
    class up to a 500 V bus, the 1200 V class above."""
    cls = "750v" if bus_voltage_v <= 500.0 else "1200v"
    return INVERTER_DEVICES[f"{device}_{cls}"]


def rewind_losses(losses: DriveUnitLosses, voltage_ratio: float,
                  inverter: InverterDevice | None = None) -> DriveUnitLosses:
    """The same machine rewound for a bus ``voltage_ratio`` times the old one (same copper
    volume, ``1 / ratio`` times the turns): the torque constant scales with ``ratio``, the phase
    resistance with ``ratio²``, the characteristic current with ``1 / ratio``; the copper loss
    at a torque, the iron and friction losses and the field-weakening speed stay the same.
    ``inverter`` replaces the device set (a map or power-fraction model is kept as is)."""
    if losses.model != "physics":
        return losses
    r = voltage_ratio
    return dataclasses.replace(
        losses, torque_constant_nm_per_a=losses.torque_constant_nm_per_a * r,
        phase_resistance_ohm=losses.phase_resistance_ohm * r * r,
        field_weakening_current_a=losses.field_weakening_current_a / r,
        inverter=inverter if inverter is not None else losses.inverter)


CABLE_POLICIES = ("equal_cross_section", "equal_loss")


def drivetrain_for_bus_voltage(drivetrain, bus_voltage_v: float, *,
                               cables: str = "equal_loss", device: str | None = None):
    """A copy of ``drivetrain`` (a :class:`sim.spec.dynamics.Drivetrain` with
    ``[drivetrain.high_voltage]``) whose drive units are built for ``bus_voltage_v``: every
    physics machine rewound (:func:`rewind_losses`), its inverter replaced by the catalogue
    device of the same technology (or ``device``) for that voltage class, and the cables
    either kept (``cables="equal_cross_section"``: 4x the cable loss at half the voltage) or
    resized for the same loss (``"equal_loss"``: cross-section and copper mass x (V_old /
    V_new)²). Machine power and envelope are unchanged. The battery's rewiring is done by the
    battery layer."""
    hv = drivetrain.high_voltage
    if hv is None:
        raise SpecError("drivetrain_for_bus_voltage", "drivetrain.high_voltage", None,
                        "a [drivetrain.high_voltage] table")
    if not 100.0 < bus_voltage_v <= 1500.0:
        raise SpecError("drivetrain_for_bus_voltage", "bus_voltage_v", bus_voltage_v,
                        "a voltage in (100, 1500] V")
    if cables not in CABLE_POLICIES:
        raise SpecError("drivetrain_for_bus_voltage", "cables", cables,
                        "one of " + ", ".join(CABLE_POLICIES))
    ratio = bus_voltage_v / hv.nominal_voltage_v
    motors = {}
    for name, motor in drivetrain.motors.items():
        losses = motor.losses
        if losses is not None and losses.model == "physics":
            tech = device or losses.inverter.device
            if tech not in DEVICES:
                raise SpecError("drivetrain_for_bus_voltage", "device", tech,
                                "one of " + ", ".join(DEVICES))
            losses = rewind_losses(losses, ratio, inverter_device_for(tech, bus_voltage_v))
        motors[name] = dataclasses.replace(motor, losses=losses)
    area = hv.cable_cross_section_mm2
    if cables == "equal_loss":
        area = area / (ratio * ratio)
    new_hv = dataclasses.replace(hv, nominal_voltage_v=bus_voltage_v,
                                 cable_cross_section_mm2=area)
    return dataclasses.replace(drivetrain, motors=motors, high_voltage=new_hv)


__all__ = ["CABLE_POLICIES", "DEVICES", "DriveUnitLosses", "HighVoltage", "INVERTER_DEVICES",
           "InverterDevice", "LOSS_MODELS", "check_electric_drive", "drivetrain_for_bus_voltage",
           "inverter_device_for", "rewind_losses"]
