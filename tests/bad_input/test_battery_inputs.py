"""Bad [battery] sections and packs: the message names the field, the value and what is allowed."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import sim

VEHICLES = Path(sim.__file__).parent / "vehicles"


def _extending(tmp_path, base: str, text: str) -> Path:
    path = tmp_path / "bad.toml"
    path.write_text(f'extends = "{(VEHICLES / base).as_posix()}"\n' + text)
    return path


def test_specific_energy_beside_cells_is_refused(tmp_path):
    path = _extending(tmp_path, "coupe.toml",
                      "[packs.front]\nspecific_energy_wh_per_kg = 165.0\n")
    with pytest.raises(sim.SpecError, match=r"bad\.toml: packs\.front\.specific_energy_wh_per_kg"
                       r" = 165\.0: must be absent: with a \[battery\] section"):
        sim.load_vehicle(path)


def test_pack_without_packaging_factor(tmp_path):
    path = _extending(tmp_path, "crossover_gt.toml",
                      "[packs.second]\nenergy_kwh = 10.0\nx_from_front_axle_m = 1.4\n"
                      "y_left_m = 0.0\nz_from_ground_m = 0.3\n")
    with pytest.raises(sim.SpecError, match=r"battery\.packaging_mass_factor = \{'main': "
                       r"1\.6144\}: needs an entry for every pack; missing 'second'"):
        sim.load_vehicle(path)


def test_packaging_factor_for_an_unknown_pack(tmp_path):
    path = _extending(tmp_path, "crossover_gt.toml",
                      "[battery]\npackaging_mass_factor = { main = 1.6, boot = 1.5 }\n")
    with pytest.raises(sim.SpecError, match=r"battery\.packaging_mass_factor\.boot = 1\.5: "
                       r"unknown pack; packs are main"):
        sim.load_vehicle(path)


def test_simplified_pack_needs_its_specific_energy():
    coupe = sim.load_vehicle("coupe")
    with pytest.raises(sim.SpecError, match=r"packs\.front\.specific_energy_wh_per_kg = None: "
                       r"required without a \[battery\] section"):
        sim.spec.vehicle.check_vehicle(dataclasses.replace(coupe, battery=None), "<test>")


@pytest.mark.parametrize(("path", "value", "match"), [
    ("battery.cells_in_series", 191.5, r"battery\.cells_in_series = 191\.5: a whole number"),
    ("battery.cells_in_series", 0.0, r"battery\.cells_in_series = 0\.0: a finite number >= 1"),
    ("battery.cell.ocv_at_soc_050_v", 3.6,
     r"battery\.cell\.ocv_at_soc_050_v = 3\.6: must exceed ocv_at_soc_040_v = 3\.67 V"),
    ("battery.cell.min_voltage_v", 3.2,
     r"battery\.cell\.ocv_at_soc_000_v = 3\.0: >= min_voltage_v = 3\.2 V"),
    ("battery.cell.max_voltage_v", 4.1,
     r"battery\.cell\.ocv_at_soc_100_v = 4\.18: <= max_voltage_v = 4\.1 V"),
    ("battery.cell.capacity_ah", -1.0, r"battery\.cell\.capacity_ah = -1\.0: a finite number > 0"),
    ("battery.packaging_mass_factor.front", 0.9,
     r"battery\.packaging_mass_factor\.front = 0\.9: a finite number >= 1"),
])
def test_bad_values(path, value, match):
    with pytest.raises(sim.SpecError, match=match):
        sim.set_params(sim.load_vehicle("coupe"), {path: value})


def test_bad_kernel_inputs():
    from sim.powertrain import battery as b
    p = b.battery_parameters(sim.load_vehicle("coupe"))
    with pytest.raises(sim.SpecError, match=r"params = \(1, 3\): battery parameter vectors"):
        b.battery_operating_point(p[:, :3], b.battery_state(0.5), 0.0)
    with pytest.raises(sim.SpecError, match=r"state = 'non-finite': finite battery states"):
        b.battery_operating_point(p, [0.5, float("nan"), 0.5, 0.0], 0.0)
    with pytest.raises(sim.SpecError, match=r"power_w = inf: finite terminal powers"):
        b.battery_operating_point(p, b.battery_state(0.5), float("inf"))
    with pytest.raises(sim.SpecError, match=r"soc = 1\.5: SOC values in \[0, 1\]"):
        b.cell_curves(p[0], 1.5)
