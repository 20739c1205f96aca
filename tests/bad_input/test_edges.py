"""Issue 9, "trustworthy at the edges": every class of bad or extreme input gets the library's
own error naming the argument or field, the value and what is allowed (or a flag in the
result). Fast tests: nothing here integrates a run."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import sim
from sim import maneuvers
from sim.errors import SpecError, UnknownNameError
from sim.maneuvers.base import ManeuverResult
from sim.params import load_tyre
from sim.result import Result
from sim.tyre import mf61
from sim.tyre.mf61 import MF61Tyre
from sim.tyre.tir import read_tir
from sim.validity import tyre_flags

COUPE = sim.load_vehicle("coupe")
FRONT_TIR = COUPE.tyres["front"].file
WHEELS = ("fl", "fr", "rl", "rr")


def _result(n=1, t=5, **extra) -> Result:
    channels = {"vx_mps": np.ones((n, t))}
    channels.update(extra)
    return Result(time_s=np.arange(t) * 0.01, channels=channels, units={"vx_mps": "m/s"},
                  status=np.array(["ok"] * n), end_time_s=np.full(n, 0.04), end_state={})


# ------------------------------------------------------------------------- 4. API types
@pytest.mark.parametrize("call", [
    lambda v: sim.simulate(v, speed_kmh=80.0, duration_s=1.0),
    lambda v: sim.mass_properties(v),
    lambda v: sim.set_params(v, {}),
    lambda v: sim.get_param(v, "geometry.wheelbase_m"),
    lambda v: sim.param_paths(v),
    lambda v: sim.member(v, 0),
    lambda v: maneuvers.step_steer(v),
    lambda v: maneuvers.constant_radius(v),
    lambda v: maneuvers.constant_speed(v),
    lambda v: maneuvers.sine_with_dwell(v),
    lambda v: maneuvers.double_lane_change(v),
])
def test_a_name_where_a_vehicle_is_expected_is_a_spec_error(call):
    with pytest.raises(SpecError, match=r"vehicle = 'coupe': a sim.Vehicle; load it first: "
                                        r"sim.load_vehicle\('coupe'\)"):
        call("coupe")


@pytest.mark.parametrize("kwargs, name", [
    (dict(speed_kmh="80"), "speed_kmh"),
    (dict(speed_kmh=80.0, steering_wheel_angle_rad="0.1"), "steering_wheel_angle_rad"),
    (dict(speed_kmh=80.0, force_demand_n=["1", "2"]), "force_demand_n"),
    (dict(speed_kmh=80.0, duration_s="1"), "duration_s"),
    (dict(speed_kmh=80.0, duration_s=True), "duration_s"),
    (dict(speed_kmh=80.0, controller=3), "controller"),
    (dict(speed_kmh=80.0, numerics="fast"), "numerics"),
])
def test_strings_and_wrong_types_for_simulate_arguments_name_the_argument(kwargs, name):
    kwargs.setdefault("duration_s", 1.0)
    with pytest.raises(SpecError, match=rf"<argument>: {name} = "):
        sim.simulate(COUPE, **kwargs)


def test_result_member_out_of_range_and_unknown_channel():
    res = _result()
    with pytest.raises(SpecError, match=r"index = 5: a member index in \[0, 1\)"):
        res.member(5)
    with pytest.raises(SpecError, match=r"index = 1.5"):
        res.member(1.5)
    assert res.member(-1).batch_size == 1
    with pytest.raises(UnknownNameError, match=r"channel = 'yaw_rate': no such channel; "
                                               r"channels are vx_mps") as info:
        res["yaw_rate"]
    assert isinstance(info.value, KeyError) and isinstance(info.value, ValueError)
    with pytest.raises(SpecError, match="member = 3"):
        res.flag_report(3)


# ------------------------------------------------------------ 1. legal input, invalid model
def test_zero_total_mass_is_rejected_with_the_field():
    zero = {p: 0.0 for p in sim.param_paths(COUPE)  # the cells keep a mass: empty packs weigh 0
            if (p.endswith(".mass_kg") and not p.startswith("battery."))
            or p.endswith("energy_kwh") or p.startswith("unsprung.")}
    with pytest.raises(SpecError, match=r"components = 0.0: the curb mass .* must be > 0 kg"):
        sim.set_params(COUPE, zero)


def test_steering_lock_is_a_vehicle_field_and_open_loop_input_beyond_it_is_an_error():
    assert COUPE.steering.steering_wheel_lock_deg == 500.0
    assert sim.load_vehicle("crossover_gt").steering.steering_wheel_lock_deg == 540.0
    with pytest.raises(SpecError, match=r"steering.steering_wheel_lock_deg = 5000.0"):
        sim.set_params(COUPE, {"steering.steering_wheel_lock_deg": 5000.0})
    with pytest.raises(SpecError, match=r"steering_wheel_angle_rad = '1000 rad \(5.73e\+04 deg, "
                                        r"member 0\)': within the steering lock of coupe: "
                                        r"\|angle\| <= 8.727 rad = 500 deg"):
        sim.simulate(COUPE, speed_kmh=80.0, duration_s=1.0, steering_wheel_angle_rad=1000.0)


def _tyre_with(**values):
    tir = read_tir(FRONT_TIR)
    sections = {k: s for s, keys in tir.sections.items() for k in keys}
    return MF61Tyre.from_parsed(tir.with_values({(sections[k], k): v
                                                 for k, v in values.items()}))


def test_the_built_in_tyres_pass_the_physics_checks():
    for axle in ("front", "rear"):
        assert load_tyre(COUPE.tyres[axle].file).parameters.size == mf61.MF61_PARAMETER_COUNT


@pytest.mark.parametrize("values, match", [
    (dict(PCY1=0.0), r"LATERAL_COEFFICIENTS.PCY1 = 0.0: > 0 \(shape factor Cy\)"),
    (dict(PCX1=-1.0), r"LONGITUDINAL_COEFFICIENTS.PCX1 = -1.0"),
    (dict(PKY1=24.0), r"LATERAL_COEFFICIENTS.PKY1 = 24.0: .*negative cornering stiffness"),
    (dict(PKX1=-30.0), r"LONGITUDINAL_COEFFICIENTS.PKX1 = -30.0: .*positive slip stiffness"),
    (dict(PDY1=0.0), r"LATERAL_COEFFICIENTS.PDY1 = 0.0: .*finite, non-zero peak"),
    (dict(PKY4=5.0), r"LATERAL_COEFFICIENTS = 'Fy = .* at slip .*Fz = 10400 N'.*wrong sign"),
    (dict(NOMPRES=2.5), r"OPERATING_CONDITIONS.NOMPRES = 2.5: .*looks like bar: "
                        r"2.5 bar = 250000 Pa"),
    (dict(INFLPRES=36.0), r"INFLPRES = 36.0: .*looks like psi"),
    (dict(NOMPRES=500000.0), r"NOMPRES = 500000.0: within the file's own "
                             r"INFLATION_PRESSURE_RANGE PRESMIN..PRESMAX = 200000..400000 Pa"),
])
def test_tir_files_that_make_no_physical_sense_are_rejected_at_load(values, match):
    with pytest.raises(SpecError, match=match) as info:
        _tyre_with(**values)
    assert info.value.source.endswith("sport_front_245_35R20.tir")


def test_pressure_in_bar_as_an_argument_is_an_error():
    tyre = load_tyre(FRONT_TIR)
    with pytest.raises(SpecError, match=r"pressure_pa = 2.5: .*looks like bar"):
        tyre.evaluate(0.0, 0.05, fz_n=4000.0, pressure_pa=2.5)


def test_tyre_flags_mark_each_wheel_and_sample_outside_the_file_ranges():
    tir = read_tir(FRONT_TIR)  # FZ 0..10400, KPU -1..1, ALP -0.96..0.96
    t = 4
    ch = {}
    for w in WHEELS:
        ch[f"fz_{w}_n"] = np.full((2, t), 4000.0)
        ch[f"kappa_{w}"] = np.zeros((2, t))
        ch[f"slip_angle_{w}_rad"] = np.zeros((2, t))
    ch["fz_fl_n"][1, 2:] = 23000.0  # the example: 23 kN on a 10.4 kN tyre
    ch["kappa_rr"][0, 1] = -1.5
    ch["slip_angle_fr_rad"][0, 3] = np.nan  # ended: not flagged
    flags, notes = tyre_flags(ch, tir, tir)
    assert flags["tyre_load_fl"].tolist() == [[False] * 4, [False, False, True, True]]
    assert flags["tyre_slip_ratio_rr"].tolist()[0] == [False, True, False, False]
    assert not flags["tyre_slip_angle_fr"].any()
    assert "FZMIN..FZMAX = 0..10400 N" in notes["tyre_load_fl"]
    res = Result(np.arange(t) * 0.5, ch, {}, np.array(["ok", "ok"]), np.full(2, 1.5), {},
                 flags=flags, flag_notes=notes)
    assert res.flagged.tolist() == [True, True]
    report = res.flag_report(1)
    assert len(report) == 1 and report[0].startswith("member 1: FL wheel load (fz_fl_n)")
    assert report[0].endswith("1.00..1.50 s, extreme 2.3e+04")
    assert not res.member(0).flags["tyre_load_fl"].any()
    man = ManeuverResult("m", {"run": res}, {"x": np.array([1.0, 2.0])}, {"x": "-"})
    assert man.flagged.tolist() == [True, True]
    assert "FLAGGED" in man.table() and "member 1, run set 'run', row 1: FL wheel load" \
        in man.table()
    assert man.to_dict()["flagged"] == [True, True]


# --------------------------------------------------------------------- 2. metrics' edges
def test_constant_radius_radius_range_errors_name_the_radius():
    with pytest.raises(SpecError, match=r"radius_m = 1.0: a circle of at least 10 m"):
        maneuvers.constant_radius(COUPE, radius_m=1.0)
    with pytest.raises(SpecError, match=r"radius_m = 10000.0: at most 949.7 m with "
                                        r"max_ay_mps2 = 13: .* 1298 km/h"):
        maneuvers.constant_radius(COUPE, radius_m=10_000.0)


# ------------------------------------------------------------------ 3. files
def _write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _coupe_text():
    return (sim.spec.loader._builtin_dir() / "coupe.toml").read_text()


def test_vehicle_file_not_utf8_is_named(tmp_path):
    path = _write(tmp_path, "bin.toml", b"\x89PNG\r\n\x1a\n\x00\xff")
    with pytest.raises(SpecError, match=r"bin.toml: <file> = 'byte 0x89 at offset 0': a "
                                        r"vehicle file \(TOML\) must be UTF-8 text"):
        sim.load_vehicle(path)


def test_vehicle_file_with_a_byte_order_mark_loads(tmp_path):
    text = _coupe_text().replace('"parts/', '"' + str(sim.spec.loader._builtin_dir()) + "/parts/")
    path = _write(tmp_path, "bom.toml", b"\xef\xbb\xbf" + text.encode())
    assert sim.load_vehicle(path).geometry.wheelbase_m == COUPE.geometry.wheelbase_m


def test_directory_is_reported_as_a_directory(tmp_path):
    with pytest.raises(SpecError, match="is a directory, not a vehicle file"):
        sim.load_vehicle(tmp_path)
    with pytest.raises(SpecError, match="is a directory, not a .tir tyre file"):
        read_tir(tmp_path)


def test_deeply_nested_file_is_reported(tmp_path):
    path = _write(tmp_path, "deep.toml", ("a = " + "[" * 5000 + "]" * 5000).encode())
    with pytest.raises(SpecError, match=r"deep.toml: <toml> = 'nested too deeply'"):
        sim.load_vehicle(path)


def test_huge_file_and_huge_value_give_short_messages(tmp_path):
    path = _write(tmp_path, "big.toml", b"x = [" + b"1.0, " * 500_000 + b"]\n")
    with pytest.raises(SpecError, match=r"too large for a vehicle file") as info:
        sim.load_vehicle(path)
    assert len(str(info.value)) < 300
    with pytest.raises(SpecError) as info:
        sim.vehicle_from_dict({"info": list(range(1_000_000))})
    assert len(str(info.value)) < 700 and "characters)" in str(info.value)


def test_tir_not_utf8_is_named(tmp_path):
    path = _write(tmp_path, "bad.tir", b"[MODEL]\nFITTYP = 61 $\xe9\xff\n")
    with pytest.raises(SpecError, match=r"bad.tir: <file> = 'byte 0xe9 at offset 21': "
                                        r"a .tir tyre file must be UTF-8 text"):
        read_tir(path)


def test_extends_by_built_in_name_and_non_vehicle_targets_by_path_only(tmp_path):
    text = _coupe_text()
    assert 'extends = [' in text or 'extends = "' in text
    by_name = re.sub(r'"parts/(\w+)\.toml"', r'"\1"', text)
    assert '"platform_sports"' in by_name
    path = _write(tmp_path, "named.toml", by_name.encode())
    assert sim.load_vehicle(path).info.title == COUPE.info.title
    secret = "SECRET-CONTENT-42"
    _write(tmp_path, "other.toml", f'[project]\nname = "{secret}"\n'.encode())
    _write(tmp_path, "notes.txt", secret.encode())
    for target, why in (("other.toml", "is not a vehicle file"),
                        ("notes.txt", "a vehicle file ending in .toml"),
                        ("no_such_part", "no built-in variant or part of that name"),
                        (".", "is a directory")):
        path = _write(tmp_path, "v.toml", f'extends = "{target}"\n'.encode())
        with pytest.raises(SpecError, match=why) as info:
            sim.load_vehicle(path)
        assert secret not in str(info.value)
    path = _write(tmp_path, "v.toml", b'extends = "platform_sports"\n')
    with pytest.raises(SpecError) as info:  # found by name; the parts alone are no car
        sim.load_vehicle(path)
    assert "no built-in" not in str(info.value)


def test_spec_error_quotes_at_most_a_short_excerpt():
    err = SpecError("f.toml", "x", "y" * 10_000, "short")
    assert len(str(err)) < 450 and "(10002 characters)" in str(err)
    assert math.isfinite(len(str(err)))


def test_a_tyre_file_outside_the_package_is_named_as_given(tmp_path):
    from sim.validity import _shown_source
    outside = str(tmp_path / "my_tyre.tir")
    assert _shown_source(outside) == outside
    shipped = sim.__file__.replace("__init__.py", "vehicles/tyres/sport_front_245_35R20.tir")
    assert _shown_source(shipped) == "sim/vehicles/tyres/sport_front_245_35R20.tir"
