"""Bad ``[adm]`` values and bad battery limits are rejected with messages naming the file, the
dotted field, the value and what is allowed; the module refuses layouts it cannot use."""

from __future__ import annotations

import pytest

import sim


def _raises(path, message):
    with pytest.raises(sim.SpecError, match=message) as info:
        sim.load_vehicle(path)
    return info.value


@pytest.mark.parametrize(("line", "message"), [
    ("target_understeer_deg_per_g = -0.5",
     r"adm\.target_understeer_deg_per_g = -0\.5: a finite number >= 0 and <= 10 \[deg/g\]"),
    ("friction_bound_factor = 0.0",
     r"adm\.friction_bound_factor = 0\.0: a finite number > 0 and <= 1\.5 \[-\]"),
    ("sample_time_s = 0.2", r"adm\.sample_time_s = 0\.2: a finite number >= 0\.0005 and <= 0\.05"),
    ("yaw_rate_kp_nm_per_radps = nan", r"adm\.yaw_rate_kp_nm_per_radps = nan"),
    ('estimator = "perfect"', r"adm\.estimator = 'perfect': one of ideal, measured"),
    ('regeneration = true', r"adm\.regeneration = True: a string"),
    ("traction_slip = 0.1", r"adm\.traction_slip = 0\.1: unknown field \(did you mean "
                            r"'traction_slip_target'\?\)"),
])
def test_bad_adm_values_are_named(minimal_file, line, message):
    err = _raises(minimal_file(append=f"\n[adm]\n{line}\n"), r"box\.toml: " + message)
    assert err.field.startswith("adm.")


def test_adm_defaults_are_documented_values(minimal_file):
    adm = sim.load_vehicle(minimal_file(append="\n[adm]\n")).adm
    assert adm.target_understeer_deg_per_g == 0.5
    assert adm.friction_bound_factor == 0.85
    assert adm.sample_time_s == 0.01
    assert adm.estimator == "ideal"


def test_set_params_checks_adm_paths():
    coupe = sim.load_vehicle("coupe")
    with pytest.raises(sim.SpecError, match=r"adm\.max_yaw_moment_nm\[1\] = -1\.0"):
        sim.set_params(coupe, {"adm.max_yaw_moment_nm": [1000.0, -1.0]})
    batch = sim.set_params(coupe, {"adm.target_understeer_deg_per_g": [0.0, 1.0]})
    assert batch.batch_size == 2


def test_bad_battery_limit_is_named():
    coupe = sim.load_vehicle("coupe")
    with pytest.raises(sim.SpecError,
                       match=r"drivetrain\.battery_charge_power_limit_kw = 0\.0: a finite number "
                             r"> 0 and <= 5000 \[kW\]"):
        sim.set_params(coupe, {"drivetrain.battery_charge_power_limit_kw": 0.0})


def test_adm_says_a_combustion_car_has_nothing_to_vectorise():
    ice = sim.load_vehicle("coupe_ice")
    with pytest.raises(sim.errors.SpecError, match=r"drivetrain\.motors\.\w+\.kind.*combustion.*"
                                                   r"nothing to vectorise"):
        sim.simulate(ice, speed_kmh=50.0, duration_s=1.0, controller="adm")
