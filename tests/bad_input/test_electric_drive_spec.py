"""Bad [drivetrain.motors.<name>.losses] / [drivetrain.high_voltage] tables: SpecErrors naming
the field and the value (the crossover file is self-contained: edit a copy of it)."""

from pathlib import Path

import pytest

import sim
from sim.spec.electric_drive import drivetrain_for_bus_voltage

CROSSOVER = Path(sim.__file__).parent / "vehicles" / "crossover_gt.toml"


def _load_edited(tmp_path, old, new, count=1):
    text = CROSSOVER.read_text()
    assert old in text
    path = tmp_path / "edited.toml"
    text = text.replace('"tyres/', f'"{CROSSOVER.parent / "tyres"}/')  # the copy lives elsewhere
    path.write_text(text.replace(old, new, count))
    return sim.load_vehicle(path)


def test_out_of_range_gear_efficiency(tmp_path):
    with pytest.raises(sim.SpecError, match=r"losses\.gear_efficiency = 1\.2"):
        _load_edited(tmp_path, "gear_efficiency = 0.97", "gear_efficiency = 1.2")


def test_physics_model_needs_its_constants(tmp_path):
    with pytest.raises(sim.SpecError, match=r"front\.losses\.phase_resistance_ohm.*required "
                                            r"with model = physics"):
        _load_edited(tmp_path, "phase_resistance_ohm = 0.02 ", "# ")


def test_igbt_needs_diode_resistance_and_mosfet_has_no_knee(tmp_path):
    with pytest.raises(sim.SpecError, match=r"inverter\.diode_resistance_ohm.*si_igbt"):
        _load_edited(tmp_path, "diode_resistance_ohm = 0.0012", "# none")
    with pytest.raises(sim.SpecError, match=r"inverter\.knee_voltage_v = 0\.75.*sic_mosfet"):
        _load_edited(tmp_path, 'device = "si_igbt"', 'device = "sic_mosfet"')


def test_device_rated_below_the_bus(tmp_path):
    with pytest.raises(sim.SpecError, match=r"blocking_voltage_v = 750.*> the nominal bus "
                                            r"voltage 800"):
        _load_edited(tmp_path, "nominal_voltage_v = 400.0", "nominal_voltage_v = 800.0")


def test_losses_need_the_high_voltage_table(tmp_path):
    with pytest.raises(sim.SpecError, match=r"drivetrain\.high_voltage.*needed by"):
        text = CROSSOVER.read_text()
        start = text.index("[drivetrain.high_voltage]")
        end = text.index("[drivetrain.motors.front.losses]")
        _load_edited(tmp_path, text[start:end], "")


def test_map_model_needs_its_file_and_the_file_must_exist(tmp_path):
    with pytest.raises(sim.SpecError, match=r"front\.losses\.map_csv.*required"):
        _load_edited(tmp_path, "gear_efficiency = 0.97", 'model = "speed_torque_map"\n'
                     "gear_efficiency = 0.97")
    with pytest.raises(sim.SpecError, match=r"map_csv = 'nope\.csv': no such file"):
        _load_edited(tmp_path, "gear_efficiency = 0.97", 'model = "speed_torque_map"\n'
                     'map_csv = "nope.csv"\ngear_efficiency = 0.97')


def test_rebuild_rejects_bad_arguments():
    dt = sim.load_vehicle("crossover_gt").drivetrain
    with pytest.raises(sim.SpecError, match=r"cables = 'thin'"):
        drivetrain_for_bus_voltage(dt, 800.0, cables="thin")
    with pytest.raises(sim.SpecError, match=r"bus_voltage_v = 50"):
        drivetrain_for_bus_voltage(dt, 50.0)
