"""Built-in drive units: efficiencies in the documented ranges, the 400 V rebuild, the spec
packing. Ranges (REFERENCES §7 and the machine brief): peak machine efficiency about 95-98 %,
inverter 97-99.5 % at part load, drive units on a cycle 85-93 % (motoring, bus to wheel)."""

import dataclasses
import math

import numpy as np
import pytest

from sim.powertrain.electric_machine import (
    LP_GEAR_EFFICIENCY,
    drive_unit_losses,
    drive_unit_parameters_from_spec,
    shaft_torque_limit_nm,
)
from sim.spec.electric_drive import INVERTER_DEVICES, drivetrain_for_bus_voltage
from sim.spec.loader import load_vehicle

RPM = math.pi / 30.0
WLTC = "/work/shared/data/wltc_class3b.csv"


def _units(name):
    dt = load_vehicle(name).drivetrain
    return dt, {k: (m, drive_unit_parameters_from_spec(m, dt.high_voltage))
                for k, m in dt.motors.items()}


def _grid(motor):
    w = np.linspace(300, motor.max_speed_rpm * 0.97, 50) * RPM
    t = np.linspace(0.02, 1.0, 50) * motor.peak_torque_nm
    W, T = np.meshgrid(w, t)
    lim = np.vectorize(shaft_torque_limit_nm)(motor.peak_torque_nm, motor.peak_power_kw * 1e3,
                                              motor.max_speed_rpm * RPM, W)
    return W, T, T <= lim


@pytest.mark.parametrize("vehicle", ["coupe", "crossover_gt"])
def test_peak_efficiencies_in_documented_ranges(vehicle):
    dt, units = _units(vehicle)
    v = dt.high_voltage.nominal_voltage_v
    for motor, lp in units.values():
        W, T, ok = _grid(motor)
        r = drive_unit_losses(lp, T, W, v)
        p = T * W
        machine = p / (p + r.copper_loss_w + r.iron_loss_w + r.friction_loss_w)
        inverter = (p + r.copper_loss_w + r.iron_loss_w + r.friction_loss_w) / (
            r.dc_power_w - r.cable_loss_w)
        assert 0.95 <= machine[ok].max() <= 0.985
        assert 0.985 <= inverter[ok].max() <= 0.999
        # at rated power the whole unit (bus to shaft) is still above 90 %
        corner = motor.peak_power_kw * 1e3 / motor.peak_torque_nm
        r = drive_unit_losses(lp, motor.peak_torque_nm, corner, v)
        assert 0.9 < motor.peak_power_kw * 1e3 / float(r.dc_power_w) < 0.96


def _cycle_efficiency(vehicle):
    """Motoring energy at the wheels / at the bus over WLTC 3b with a plain road load (1750 kg,
    CdA 0.65 m², Crr 0.01, r 0.34 m: representative, not the car's exact figures) and the
    module-off torque split. Rear wheel units take half the rear share each."""
    dt, units = _units(vehicle)
    data = np.genfromtxt(WLTC, delimiter=",", names=True, comments="#")
    v = data["speed_kmh"] / 3.6
    a = np.gradient(v)
    force = 1750 * a + 0.5 * 1.2 * 0.65 * v**2 + 0.01 * 1750 * 9.81 * (v > 0.1)
    motoring = force * v > 0
    e_bus = 0.0
    for motor, lp in units.values():
        share = dt.front_torque_share if motor.drives == "front_axle" else (
            1 - dt.front_torque_share) / (1 if motor.drives == "rear_axle" else 2)
        eta_g = lp[LP_GEAR_EFFICIENCY]
        t_shaft = np.where(motoring, force * 0.34 * share / motor.gear_ratio / eta_g, 0.0)
        w = v / 0.34 * motor.gear_ratio
        e_bus += drive_unit_losses(lp, t_shaft, w, dt.high_voltage.nominal_voltage_v
                                   ).dc_power_w[motoring].sum()
    return (force * v)[motoring].sum() / e_bus


@pytest.mark.parametrize("vehicle", ["coupe", "crossover_gt"])
def test_part_load_cycle_efficiency_in_documented_range(vehicle):
    assert 0.85 <= _cycle_efficiency(vehicle) <= 0.93


def test_builtin_inverters_are_catalogue_devices():
    coupe, _ = _units("coupe")
    cross, _ = _units("crossover_gt")
    assert all(m.losses.inverter == INVERTER_DEVICES["sic_mosfet_1200v"]
               for m in coupe.motors.values())
    assert all(m.losses.inverter == INVERTER_DEVICES["si_igbt_750v"]
               for m in cross.motors.values())


def test_400v_rebuild_keeps_copper_loss_and_moves_current_losses():
    dt, units = _units("coupe")
    dt400 = drivetrain_for_bus_voltage(dt, 400.0, cables="equal_cross_section")
    assert dt400.high_voltage.nominal_voltage_v == 400.0
    assert dt400.high_voltage.cable_cross_section_mm2 == 35.0
    m8, lp8 = units["rear_left"]
    m4 = dt400.motors["rear_left"]
    assert m4.losses.inverter == INVERTER_DEVICES["sic_mosfet_750v"]
    assert m4.peak_power_kw == m8.peak_power_kw
    lp4 = drive_unit_parameters_from_spec(m4, dt400.high_voltage)
    t, w = 200.0, 9000 * RPM
    r8 = drive_unit_losses(lp8, t, w, 800.0)
    r4 = drive_unit_losses(lp4, t, w, 400.0)
    assert float(r4.copper_loss_w) == pytest.approx(float(r8.copper_loss_w), rel=1e-12)
    assert float(r4.iron_loss_w) == pytest.approx(float(r8.iron_loss_w), rel=1e-12)
    # the same cable carries twice the current: about 4x the loss
    assert float(r4.cable_loss_w) == pytest.approx(4 * float(r8.cable_loss_w), rel=0.02)
    equal = drivetrain_for_bus_voltage(dt, 400.0, cables="equal_loss")
    assert equal.high_voltage.cable_cross_section_mm2 == pytest.approx(140.0)
    lp4e = drive_unit_parameters_from_spec(equal.motors["rear_left"], equal.high_voltage)
    assert float(drive_unit_losses(lp4e, t, w, 400.0).cable_loss_w) == pytest.approx(
        float(r8.cable_loss_w), rel=0.02)
    # and back: 400 -> 800 restores the original machine constants
    back = drivetrain_for_bus_voltage(dt400, 800.0, cables="equal_cross_section")
    assert back.motors["rear_left"].losses == dataclasses.replace(
        m8.losses, inverter=INVERTER_DEVICES["sic_mosfet_1200v"])
