"""Every bad vehicle file gets a message naming the file, the field, the value and what is
allowed; the CLI prints it without a traceback and exits non-zero."""

from __future__ import annotations

import subprocess
import sys

import pytest

import sim
from sim.__main__ import main


def _raises(path, message):
    with pytest.raises(sim.SpecError, match=message) as info:
        sim.load_vehicle(path)
    return info.value


def test_missing_field(minimal_file):
    path = minimal_file(replace={"wheelbase_m = 2.5\n": ""})
    err = _raises(path, r"box\.toml: geometry\.wheelbase_m = \(missing\): required field "
                  r"\(distance between front and rear axle\): a finite number > 1 and < 5 \[m\]")
    assert err.field == "geometry.wheelbase_m"


def test_unknown_field_is_a_typo_not_ignored(minimal_file):
    path = minimal_file(replace={"wheelbase_m = 2.5": "wheelbase_m = 2.5\nwheel_base_m = 2.6"})
    _raises(path, r"box\.toml: geometry\.wheel_base_m = 2\.6: unknown field \(did you mean "
            r"'wheelbase_m'\?\); allowed fields here are .*wheelbase_m")


def test_unknown_section(minimal_file):
    _raises(minimal_file(append="[tyers]\nfront = 1.0\n"),
            r"box\.toml: tyers = \{'front': 1\.0\}: unknown field \(did you mean 'tyres'\?\); "
            r"allowed fields here are adm, aero, battery, boots, brakes")


@pytest.mark.parametrize(("text", "shown"), [("-600.0", r"-600\.0"), ("nan", "nan"),
                                             ("inf", "inf"), ('"heavy"', "'heavy'"),
                                             ("true", "True")])
def test_bad_mass(minimal_file, text, shown):
    path = minimal_file(replace={"mass_kg = 600.0": f"mass_kg = {text}"})
    _raises(path, rf"box\.toml: components\.front_mass\.mass_kg = {shown}: a finite number "
            r">= 0 and <= 5000 \[kg\]")


@pytest.mark.parametrize(("old", "new", "message"), [
    ("x_from_front_axle_m = 2.0", "x_from_front_axle_m = 3.6",
     r"components\.rear_mass\.x_from_front_axle_m = 3\.6: outside the car's body: .* rear end "
     r"\(3\.5 m\)"),
    ("x_from_front_axle_m = 0.5", "x_from_front_axle_m = -1.2",
     r"components\.front_mass\.x_from_front_axle_m = -1\.2: outside the car's body: .*front end "
     r"\(-1 m\)"),
    ("y_left_m = 0.4", "y_left_m = 1.0",
     r"seats\.driver\.y_left_m = 1\.0: outside the car's body: .*half-width 0\.95 m"),
    ("z_from_ground_m = 0.6\n\n[seats", "z_from_ground_m = 1.4\n\n[seats",
     r"components\.rear_mass\.z_from_ground_m = 1\.4: outside the car's body: .*body height "
     r"1\.3 m"),
])
def test_component_outside_the_body(minimal_file, old, new, message):
    _raises(minimal_file(replace={old: new}), r"box\.toml: " + message)


def test_box_that_sticks_out_of_the_body(minimal_file):
    big = """
        [components.wide]
        mass_kg = 10.0
        x_from_front_axle_m = 1.0
        y_left_m = 0.0
        z_from_ground_m = 0.5
        width_m = 2.0
        """
    _raises(minimal_file(append=big), r"components\.wide\.y_left_m = 0\.0: outside the car's "
            r"body: the item's box \(width_m 2\.0\) must lie within the body's half-width")


def test_body_limits_follow_the_cars_own_dimensions(minimal_file):
    # the same position is fine in a longer car: the envelope is not a fixed box
    path = minimal_file(replace={"x_from_front_axle_m = 2.0": "x_from_front_axle_m = 3.6",
                                 "length_m = 4.5": "length_m = 5.0"})
    assert sim.load_vehicle(path).components["rear_mass"].x_m == -3.6


def test_load_case_naming_an_unknown_seat(minimal_file):
    path = minimal_file(replace={"occupants = { driver = 80.0 }":
                                 "occupants = { driver = 80.0, rear_left = 75.0 }"})
    _raises(path, r"box\.toml: load_cases\.driver\.occupants = 'rear_left': unknown seat; "
            r"seats are driver")


def test_luggage_over_capacity_and_unknown_boot(minimal_file):
    over = "\n[load_cases.heavy]\ndescription = 'x'\nluggage = { rear = 60.0 }\n"
    _raises(minimal_file(append=over), r"load_cases\.heavy\.luggage\.rear = 60\.0: more than "
            r"the boot's capacity_kg = 50 kg")
    unknown = "\n[load_cases.heavy]\ndescription = 'x'\nluggage = { roof = 10.0 }\n"
    _raises(minimal_file(append=unknown), r"load_cases\.heavy\.luggage = 'roof': unknown boot; "
            r"boots are rear")


def test_laden_mass_over_gvwr(minimal_file):
    path = minimal_file(replace={"gross_vehicle_weight_rating_kg = 2000.0":
                                 "gross_vehicle_weight_rating_kg = 1050.0"})
    _raises(path, r"load_cases\.driver = 1080\.0: laden mass \[kg\] exceeds "
            r"info\.gross_vehicle_weight_rating_kg = 1050 kg")


def test_curb_is_reserved(minimal_file):
    _raises(minimal_file(append="\n[load_cases.curb]\ndescription = 'x'\n"),
            r"load_cases\.curb = 'curb': 'curb' is reserved")


def test_bad_choice(minimal_file):
    _raises(minimal_file(replace={'body = "coupe"': 'body = "sedan"'}),
            r"info\.body = 'sedan': one of coupe, spider, coupe_2plus2, crossover")


def test_toml_syntax_error(minimal_file):
    _raises(minimal_file(append="[geometry\n"), r"box\.toml: <toml> = .*: valid TOML")


def test_unknown_variant_lists_the_known_ones():
    with pytest.raises(sim.UnknownVehicleError, match=r"vehicle = 'coupé': unknown variant; "
                       r"built-in variants are coupe, coupe_ice, crossover_gt, gt2plus2, "
                       r"spider"):
        sim.load_vehicle("coupé")
    with pytest.raises(sim.SpecError, match="file not found"):
        sim.load_vehicle("no/such/file.toml")


def test_extends_errors_name_the_file(tmp_path, minimal_file):
    base = minimal_file(name="base.toml")
    top = tmp_path / "top.toml"
    top.write_text('extends = "base.toml"\n[geometry]\nwheelbase_m = 0.5\n')
    # the bad value is blamed on the file that set it, not on the base
    _raises(top, r"top\.toml: geometry\.wheelbase_m = 0\.5: a finite number > 1")
    top.write_text('extends = "missing.toml"\n')
    _raises(top, r"top\.toml: extends = 'missing\.toml': no such file")
    loop = tmp_path / "loop.toml"
    loop.write_text('extends = "loop.toml"\n')
    _raises(loop, r"extends = '.*loop\.toml -> .*loop\.toml': files must not extend themselves")
    assert base.exists()


def test_extends_records_overrides(tmp_path, minimal_file):
    minimal_file(name="base.toml")
    top = tmp_path / "top.toml"
    top.write_text('extends = "base.toml"\n[geometry]\nwheelbase_m = 2.6\n'
                   '[components.front_mass]\nmass_kg = 650.0\n')
    v = sim.load_vehicle(top)
    assert v.overrides == ("geometry.wheelbase_m", "components.front_mass.mass_kg")
    assert v.geometry.wheelbase_m == 2.6
    assert v.components["front_mass"].x_m == -0.5  # untouched keys come from the base
    assert [f.rsplit("/", 1)[-1] for f in v.files] == ["base.toml", "top.toml"]


def test_unknown_load_case():
    with pytest.raises(sim.SpecError, match=r"coupe: load_case = 'rear': unknown load case; "
                       r"known: curb, driver"):
        sim.mass_properties(sim.load_vehicle("coupe"), "rear")


@pytest.mark.parametrize(("argv", "message"), [
    (["mass", "nope"], "unknown variant; built-in variants are coupe"),
    (["mass", "coupe", "--load", "rear"], "unknown load case"),
    (["split", "coupe", "--front-fraction", "0.9"], "reachable front mass fractions are"),
    (["split", "crossover_gt", "--min-yaw-inertia"], "front' and 'rear'"),
])
def test_cli_prints_the_message_and_exits_2(capsys, argv, message):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ") and message in captured.err
    assert "Traceback" not in captured.err


def test_cli_bad_file_in_a_real_process(minimal_file):
    path = minimal_file(replace={"mass_kg = 600.0": "mass_kg = -1.0"})
    proc = subprocess.run([sys.executable, "-m", "sim", "mass", str(path)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert "components.front_mass.mass_kg = -1.0" in proc.stderr
    assert "Traceback" not in proc.stderr
