"""Every cross-field rule of ``[combustion]`` and of its agreement with the combustion motor
raises a SpecError naming the field and the value; so do malformed curves and maps and bad
arguments of the numpy edge."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.powertrain.combustion import (
    combustion_parameters,
    constant_speed_fuel_consumption,
    wheel_force_envelope_n,
)
from sim.spec.vehicle import check_vehicle

BASE = Path(sim.__file__).parent / "vehicles" / "coupe_ice.toml"


def _variant(tmp_path, combustion: str = "", motor: str = "", info: str = "") -> Path:
    text = f'extends = "{BASE.as_posix()}"\n'
    if info:
        text += f"[info]\n{info}\n"
    if combustion:
        text += f"[combustion]\n{combustion}\n"
    if motor:
        text += f"[drivetrain.motors.engine]\n{motor}\n"
    path = tmp_path / "bad_ice.toml"
    path.write_text(text)
    return path


def _raises(path, message):
    with pytest.raises(sim.SpecError, match=message) as info:
        sim.load_vehicle(path)
    return info.value


SPEEDS = "[800.0, 1000.0, 1500.0, 2000.0, 2500.0, 3000.0, 3500.0, 4000.0, 4500.0, 5000.0, " \
         "5500.0, 6000.0, 6500.0, 6800.0]"


@pytest.mark.parametrize(("line", "field", "message"), [
    # curves
    (SPEEDS.replace("1500.0", "900.0").join(("engine_speed_rpm = ", "")),
     r"combustion\.engine_speed_rpm", r"strictly increasing speeds"),
    ("friction_torque_nm = [14.0, 15.0]", r"combustion\.friction_torque_nm",
     r"one value per engine_speed_rpm point \(14 values\)"),
    ("full_load_torque_nm = [150.0, 190.0, 270.0, 340.0, 340.0, 340.0, 340.0, 340.0, 340.0, "
     "340.0, 340.0, 340.0, -323.2, 290.0]", r"combustion\.full_load_torque_nm\[12\] = -323\.2",
     r"a finite number > 0"),
    ("full_load_torque_nm = 340.0", r"combustion\.full_load_torque_nm = 340\.0",
     r"a list of 2 to 16 numbers"),
    # fuel map
    ("fuel_map_torque_nm = [20.0, 50.0, 100.0, 150.0, 250.0, 200.0, 300.0, 340.0]",
     r"combustion\.fuel_map_torque_nm", "strictly increasing torques"),
    ("fuel_map_torque_nm = [20.0, 50.0, 100.0, 150.0, 200.0, 250.0, 300.0, 330.0]",
     r"combustion\.fuel_map_torque_nm", r"cover the largest full-load torque 340"),
    ("fuel_map_bsfc_g_per_kwh = [[250.0, 240.0], [250.0, 240.0]]",
     r"combustion\.fuel_map_bsfc_g_per_kwh = \[2, 2\]", r"14 rows .* of 8 values"),
    ("fuel_map_bsfc_g_per_kwh = [[250.0, 240.0], [250.0]]",
     r"combustion\.fuel_map_bsfc_g_per_kwh = \[2, 1\]", r"rows of different lengths"),
    ("no_load_fuel_flow_g_per_s = [0.104, 0.133, 0.214, 0.308, 0.421, 0.555, 0.715, 0.906, "
     "1.136, 1.41, 1.74, 2.135, 2.611, 9.0]", r"combustion\.fuel_map_bsfc_g_per_kwh\[13\]\[0\]",
     r"must rise with torque at every speed"),
    # speeds
    ("idle_speed_rpm = 700.0", r"combustion\.idle_speed_rpm = 700\.0",
     r">= the first engine_speed_rpm point = 800 rpm"),
    ("fuel_cutoff_speed_rpm = 800.0", r"combustion\.fuel_cutoff_speed_rpm = 800\.0",
     r"> idle_speed_rpm = 850 rpm"),
    ("fuel_cutoff_speed_rpm = 7000.0", r"combustion\.fuel_cutoff_speed_rpm = 7000\.0",
     r"< the rev limit"),
    ("launch_speed_rpm = 6600.0", r"combustion\.launch_speed_rpm = 6600\.0",
     r"<= upshift_speed_full_rpm = 6500 rpm"),
    ("downshift_speed_light_rpm = 800.0", r"combustion\.downshift_speed_light_rpm = 800\.0",
     r">= idle_speed_rpm = 850 rpm"),
    ("downshift_speed_full_rpm = 1100.0", r"combustion\.downshift_speed_full_rpm = 1100\.0",
     r">= downshift_speed_light_rpm = 1200 rpm"),
    ("upshift_speed_full_rpm = 7000.0", r"combustion\.upshift_speed_full_rpm = 7000\.0",
     r"<= the rev limit"),
    ("upshift_speed_light_rpm = 1900.0", r"combustion\.upshift_speed_light_rpm = 1900\.0",
     r">= downshift_speed_light_rpm x largest ratio step 1\.556 x 1\.05 = 1960\.0 rpm"),
    ("downshift_speed_full_rpm = 4100.0", r"combustion\.upshift_speed_full_rpm = 6500\.0",
     r">= downshift_speed_full_rpm x largest ratio step"),
    # gearbox
    ("gear_ratios = [3.78, 2.43, 2.43, 1.27, 1.00, 0.80, 0.622]", r"combustion\.gear_ratios",
     r"strictly decreasing"),
    ("gear_efficiencies = [0.97, 0.97]", r"combustion\.gear_efficiencies",
     r"one efficiency per gear \(7 values\)"),
    ("gear_ratios = [4.0, 3.5, 3.0, 2.5, 2.0, 1.5, 1.2, 1.0, 0.8]", r"combustion\.gear_ratios",
     r"a list of 1 to 8 numbers"),
    ("min_time_in_gear_s = 0.2", r"combustion\.min_time_in_gear_s = 0\.2",
     r">= shift_time_s = 0\.25 s"),
])
def test_cross_field_rules(tmp_path, line, field, message):
    # the file named is the one that set the field named (the part file when the override
    # of another field breaks a rule on it)
    err = _raises(_variant(tmp_path, combustion=line), rf"\.toml: {field}.*{message}")
    assert err.field.startswith("combustion.")


@pytest.mark.parametrize(("line", "field", "want"), [
    ("peak_torque_nm = 320.0", "peak_torque_nm", r"the largest combustion\.full_load_torque_nm "
                                                 r"= 340 N·m"),
    ("peak_power_kw = 215.0", "peak_power_kw", r"the largest power of the full-load curve = "
                                               r"219\.995 kW"),
    ("max_speed_rpm = 7000.0", "max_speed_rpm", r"the rev limit.* = 6800 rpm"),
    ("gear_ratio = 15.0", "gear_ratio", r"first gear x combustion\.final_drive_ratio = 15\.498"),
    ("top_gear_ratio = 2.7", "top_gear_ratio", r"top gear x combustion\.final_drive_ratio = "
                                               r"2\.5502"),
])
def test_motor_envelope_must_agree_with_the_section(tmp_path, line, field, want):
    value = line.split(" = ")[1].replace(".", r"\.")
    err = _raises(_variant(tmp_path, motor=line),
                  rf"drivetrain\.motors\.engine\.{field} = {value}: must equal {want}")
    assert err.field == f"drivetrain.motors.engine.{field}"


def test_electric_variant_cannot_carry_a_combustion_section(tmp_path):
    coupe = Path(sim.__file__).parent / "vehicles" / "coupe.toml"
    ice_part = Path(sim.__file__).parent / "vehicles" / "parts" / "ice_mid_engine.toml"
    text = ice_part.read_text()
    section = text[text.index("\n[combustion]\n"):]
    path = tmp_path / "ev_with_engine.toml"
    path.write_text(f'extends = "{coupe.as_posix()}"\n' + section)
    _raises(path, r"combustion = \{'info\.powertrain': 'electric', 'combustion motors': \[\]\}: "
                  r"\[combustion\] needs info\.powertrain = 'combustion'")


def test_combustion_motor_needs_the_section():
    vehicle = dataclasses.replace(sim.load_vehicle("coupe_ice"), combustion=None)
    with pytest.raises(sim.SpecError, match=r"x\.toml: combustion = None: a \[combustion\] "
                                            r"section is required"):
        check_vehicle(vehicle, "x.toml")


def test_set_params_cannot_reach_into_a_curve():
    vehicle = sim.load_vehicle("coupe_ice")
    with pytest.raises(sim.SpecError, match=r"combustion\.full_load_torque_nm.*names a "
                                            r"quantity_array, not a number"):
        sim.set_params(vehicle, {"combustion.full_load_torque_nm": 300.0})
    # scalar fields batch like any quantity; the agreement check follows them
    batch = sim.set_params(vehicle, {"combustion.shift_time_s": np.array([0.2, 0.3])})
    ep, gp = combustion_parameters(batch)
    assert ep.shape[0] == gp.shape[0] == 2
    with pytest.raises(sim.SpecError, match=r"drivetrain\.motors\.engine\.gear_ratio"):
        sim.set_params(vehicle, {"combustion.final_drive_ratio": np.array([4.1, 3.5])})


def test_edge_arguments():
    ep, gp = combustion_parameters(sim.load_vehicle("coupe_ice"))
    with pytest.raises(sim.SpecError, match=r"speed_kmh = 0\.0: finite, > 0 km/h"):
        constant_speed_fuel_consumption(ep, gp, 0.0, 300.0, 0.33)
    with pytest.raises(sim.SpecError, match=r"wheel_radius_m = -0\.3"):
        wheel_force_envelope_n(ep, gp, 100.0, -0.3)
    with pytest.raises(sim.SpecError, match=r"speed_kmh = 300\.0: no gear holds 5000 N"):
        constant_speed_fuel_consumption(ep, gp, 300.0, 5000.0, 0.33)
    with pytest.raises(sim.SpecError, match=r"ep = \(1, 3\)"):
        wheel_force_envelope_n(np.ones((1, 3)), gp, 100.0, 0.33)
    with pytest.raises(sim.SpecError, match=r"combustion = None: a vehicle with a "):
        combustion_parameters(sim.load_vehicle("coupe"))
