"""Side by side with FASTSim 3.1 (NREL, Apache-2.0; dev extra): its bundled 2022 Tesla Model 3
RWD on UDDS, described as a sim vehicle file (``tests/data/fastsim_model3_rwd.toml``, every
energy input taken from FASTSim's own objects through :mod:`tests.parity.fastsim_peer`) and
driven by :func:`sim.energy.drive_cycle`.

Result (issue 12's bar: battery-terminal Wh/km within 5 %): FASTSim 91.14 Wh/km, sim 92.03
Wh/km at its default 1 s step, **+0.97 %**. The difference, term by term (sim minus FASTSim,
in Wh over the cycle; both models close their balance, so the terms add up to the total):

* aerodynamic drag **+9.7 Wh** (+4.5 % of it): sim's air density is the standard 1.225 kg/m³,
  FASTSim's drag really uses 1.17285 kg/m³ (although its state reports 1.2);
* rolling resistance **+0.27 Wh**: sim's g = 9.80665 m/s² against FASTSim's 9.8;
* drive-unit losses (motor + inverter lumped, transmission, cables) **+0.61 Wh**: the same
  efficiency table with the same step ("Step: Lower") interpolation and the same regeneration
  at the 0 % efficiency, applied to the slightly larger tractive power above (a step-lower
  table jumps where the power fraction crosses a grid point);
* auxiliaries 0 (250 W in both), friction brakes 0 (both regenerate everything on UDDS),
  kinetic energy 0 (both start and end at rest; wheel inertia 4 x 0.815 kg·m² in both);
  energy returned by regeneration -2.1 Wh (more of the braking goes into the larger drag).

Given FASTSim's conventions through inputs only - rolling resistance and drag area scaled so
that ``m g f_rr`` and ``1/2 rho CdA`` equal FASTSim's forces (or the same as coast-down
coefficients A = m g Crr, C = 1/2 rho Cd A in ``[road_load]``) and a 1 s step - the gap
closes to **2e-6** (91.1434 against 91.1432 Wh/km; per step within about 1 W, from UDDS
speeds rounded to 1e-4 km/h in sim's file and the 7e-6 Ohm cable). Attributed one convention
at a time: air density -0.94 %, g -0.03 %, step +0.006 %.

Braking: both offer the whole demand to the motor first (sim regenerates first on the axles
that have machines; the brake balance only splits what the friction brakes take), so a real
balance of 0.65 changes nothing on UDDS (tested below). FASTSim's battery is a constant
one-way efficiency (0.98489), sim's invented cells an equivalent circuit: at the cells
(chemical energy) FASTSim loses 3.3 % of the terminal energy, sim's cells 2.1 % (compared,
not matched: FASTSim gives no cell to match).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("fastsim", reason="FASTSim peer: pip install fastsim==3.1.0 (dev extra)")

import sim  # noqa: E402
from sim.energy import drive_cycle  # noqa: E402
from sim.params import longitudinal_parameters  # noqa: E402
from sim.powertrain.electric_machine import read_power_fraction_csv  # noqa: E402
from sim.units import AIR_DENSITY_KGPM3, GRAVITY_MPS2  # noqa: E402
from tests.parity import fastsim_peer as peer  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

VEHICLE_FILE = Path(__file__).resolve().parents[1] / "data" / "fastsim_model3_rwd.toml"
WH = 3600.0


@pytest.fixture(scope="module")
def run():
    return peer.run_udds()


@pytest.fixture(scope="module")
def vehicle():
    return sim.load_vehicle(VEHICLE_FILE)


def fastsim_conventions(vehicle, inputs):
    """``vehicle`` with rolling resistance and drag area scaled so that sim's g and air
    density give FASTSim's forces: ``m g_sim f_rr' = m g_fs Crr``, ``rho_sim CdA' = rho_fs
    CdA``."""
    return sim.set_params(vehicle, {
        "wheels.rolling_resistance_coefficient":
            inputs.rolling_resistance_coefficient * inputs.gravity_mps2 / GRAVITY_MPS2,
        "aero.drag_area_m2": inputs.drag_area_m2 * inputs.air_density_kgpm3 / AIR_DENSITY_KGPM3,
    })


def gap(result, run) -> float:
    return float(result.terminal_consumption_wh_per_km[0]) / run.battery_terminal_wh_per_km - 1.0


def fastsim_terms_wh(run) -> dict[str, float]:
    """FASTSim's energy over the cycle [Wh] by term, from its per-step powers."""
    h = run.history
    dt = np.diff(run.time_s)

    def e(x):
        return float(np.sum(x[1:] * dt)) / WH

    return {"aero": e(h["drag_w"]), "rolling": e(h["rolling_w"]),
            "kinetic": e(h["accel_w"] + h["wheel_inertia_w"]),
            "drive_unit": e(h["terminal_w"] - h["aux_w"] - h["tractive_w"]),
            "aux": e(h["aux_w"]), "friction_brake": e(h["friction_brake_w"]),
            "terminal": e(h["terminal_w"]), "regenerated": e(np.maximum(-h["terminal_w"], 0.0))}


def sim_terms_wh(result) -> dict[str, float]:
    """The same terms from sim's energy accounting [Wh] (member 0)."""
    e = {k: float(v[0]) / WH for k, v in result.energy_j.items()}
    return {"aero": e["aero_j"], "rolling": e["rolling_j"] + e["road_linear_j"],
            "kinetic": e["kinetic_j"] + e["potential_j"],
            "drive_unit": (e["drive_unit_lumped_j"] + e["gear_j"] + e["cable_j"]
                           + e["machine_copper_j"] + e["machine_iron_j"]
                           + e["machine_friction_j"] + e["inverter_j"]),
            "aux": e["aux_j"], "friction_brake": e["friction_brake_j"] + e["tyre_slip_j"],
            "terminal": e["battery_terminal_j"], "regenerated": e["regenerated_j"]}


# ---- the file is FASTSim's inputs --------------------------------------------------------------
def test_vehicle_file_carries_fastsim_inputs(run, vehicle):
    i = run.inputs
    assert float(sim.mass_properties(vehicle).mass_kg[0]) == pytest.approx(i.mass_kg, abs=1e-9)
    assert vehicle.geometry.wheel_radius_m == i.wheel_radius_m
    assert vehicle.wheels.front_spin_inertia_kgm2 == i.wheel_inertia_kgm2
    assert vehicle.wheels.rear_spin_inertia_kgm2 == i.wheel_inertia_kgm2
    assert i.wheel_count == 4
    assert vehicle.wheels.rolling_resistance_coefficient == i.rolling_resistance_coefficient
    assert vehicle.aero.drag_area_m2 == pytest.approx(i.drag_area_m2, rel=1e-15)
    assert (vehicle.aero.front_downforce_area_m2, vehicle.aero.rear_downforce_area_m2) == (0, 0)
    (motor,) = vehicle.drivetrain.motors.values()
    assert motor.drives == "rear_axle" and motor.rotor_inertia_kgm2 == 0.0
    assert motor.peak_power_kw * 1e3 == i.motor_rated_power_w
    losses = motor.losses
    assert losses.model == "power_fraction"
    assert losses.fraction_interpolation == "step_lower" and i.motor_interpolation == "Step: Lower"
    fraction, efficiency = read_power_fraction_csv(losses.power_fraction_csv)
    np.testing.assert_array_equal(fraction, i.motor_power_fraction)
    np.testing.assert_allclose(efficiency, i.motor_efficiency, rtol=1e-15)  # 0.9400000000000001
    assert losses.gear_efficiency == i.transmission_efficiency
    assert vehicle.energy.auxiliary_power_kw * 1e3 == i.aux_power_w
    assert vehicle.energy.regenerative_braking == "on"
    (pack,) = vehicle.packs.values()
    assert pack.energy_kwh * 3.6e6 == pytest.approx(i.usable_energy_j, rel=1e-12)
    assert vehicle.brakes.front_share == 0.0  # FASTSim's regeneration convention (see docs)
    # ... and the longitudinal model sees exactly these numbers
    lp = dict(zip(sim.energy.longitudinal.LONGITUDINAL_PARAMETER_NAMES,
                  longitudinal_parameters(vehicle)[0], strict=True))
    assert lp["mass_kg"] == pytest.approx(i.mass_kg, abs=1e-9)
    assert lp["spin_inertia_kgm2"] == pytest.approx(i.wheel_count * i.wheel_inertia_kgm2,
                                                     rel=1e-15)
    assert lp["aux_power_w"] == i.aux_power_w
    assert lp["road_load_b_n_per_mps"] == 0.0


def test_vehicle_file_labels_every_number():
    # Every numeric line of the file cites FASTSim ("source:") or is labelled "invented"
    # (or states FASTSim's convention), in the line or in the note of its table.
    raw = tomllib.loads(VEHICLE_FILE.read_text())
    assert raw["info"]["provenance"].startswith("FASTSim 3.1.0")
    unlabelled = []
    number = re.compile(r"^\s*([\w.]+)\s*=\s*(\{.*\}|[-+\d.eE]+)\s*(#.*)?$")
    exempt = ("mass_kg", "energy_kwh", "x_from_front_axle_m", "y_left_m", "z_from_ground_m",
              "length_m", "width_m", "height_m")  # the table's note cites or invents them
    for line in VEHICLE_FILE.read_text().splitlines():
        match = number.match(line)
        if match is None:
            continue
        key, comment = match.group(1), match.group(3) or ""
        if key.startswith(("ocv_at_soc", "r0_at_soc", "max_charge_c_rate")):
            continue  # tables labelled once, on their first line (checked below)
        if key in exempt or any(w in comment for w in ("source", "invented", "FASTSim")):
            continue
        unlabelled.append(line)
    for first in ("ocv_at_soc_000_v", "r0_at_soc_000_ohm", "max_charge_c_rate_at_soc_000"):
        (line,) = [x for x in VEHICLE_FILE.read_text().splitlines() if x.startswith(first)]
        assert "invented" in line
    notes = [t["note"] for section in ("components", "packs", "seats")
             for t in raw[section].values()]
    assert all(n.startswith(("invented", "source")) for n in notes)
    assert unlabelled == []


# ---- the comparison ------------------------------------------------------------------------------
def test_terminal_consumption_within_5_percent_of_fastsim(run, vehicle):
    result = drive_cycle(vehicle, "udds")  # sim's defaults: 1 s step, standard g and rho
    assert result.status[0] == "ok"
    assert abs(result.balance_error()[0]) < 1e-9
    assert result.distance_km[0] == pytest.approx(run.distance_m / 1000.0, rel=1e-6)
    g = gap(result, run)
    assert abs(g) < 0.05                          # the bar
    assert g == pytest.approx(0.0097, abs=0.0005)  # what it is today: +0.97 %


def test_difference_term_by_term(run, vehicle):
    ours = sim_terms_wh(drive_cycle(vehicle, "udds"))
    theirs = fastsim_terms_wh(run)
    diff = {k: ours[k] - theirs[k] for k in theirs}
    # Both balances close: the terminal energy is the sum of the terms, so the differences of
    # the terms add up to the difference of the consumption.
    for side in (ours, theirs):
        parts = ("aero", "rolling", "kinetic", "drive_unit", "aux", "friction_brake")
        assert sum(side[k] for k in parts) == pytest.approx(side["terminal"], rel=1e-9)
    assert diff["terminal"] == pytest.approx(10.60, abs=0.05)
    # Aerodynamic drag: the air density (1.225 against FASTSim's effective 1.17285) ...
    rho_ratio = AIR_DENSITY_KGPM3 / run.inputs.air_density_kgpm3
    assert ours["aero"] / theirs["aero"] == pytest.approx(rho_ratio, rel=3e-4)  # ... and the
    # mean speed of a 1 s step cubed where FASTSim cubes its own mean (the 3e-4)
    assert diff["aero"] == pytest.approx(9.72, abs=0.02)
    # Rolling resistance: g only (the distance is the same to 1e-7)
    assert ours["rolling"] / theirs["rolling"] == pytest.approx(
        GRAVITY_MPS2 / run.inputs.gravity_mps2, rel=1e-6)
    assert diff["rolling"] == pytest.approx(0.27, abs=0.01)
    # Drive-unit losses: the same table on a slightly larger tractive power
    assert diff["drive_unit"] == pytest.approx(0.61, abs=0.02)
    assert diff["drive_unit"] / theirs["drive_unit"] < 0.002
    # Nothing else: same auxiliaries, no friction braking, no net kinetic energy
    assert diff["aux"] == pytest.approx(0.0, abs=1e-9)
    assert theirs["friction_brake"] == 0.0
    assert ours["friction_brake"] == pytest.approx(0.0, abs=1e-9)  # rounding of the split
    assert abs(ours["kinetic"]) < 1e-9 and abs(theirs["kinetic"]) < 1e-9
    # Regeneration returns a little less (the larger drag takes more of the braking energy)
    assert diff["regenerated"] == pytest.approx(-2.09, abs=0.02)


def test_fastsim_conventions_close_the_gap(run, vehicle):
    same = fastsim_conventions(vehicle, run.inputs)
    result = drive_cycle(same, "udds", step_s=1.0)
    assert abs(gap(result, run)) < 1e-5                          # 2e-6 today
    # per step: within 2 W (speeds of sim's UDDS file rounded to 1e-4 km/h; the cable)
    ours = result["battery_power_w"][0]
    np.testing.assert_allclose(ours[1:], run.history["terminal_w"][1:], rtol=0, atol=2.0)
    terms = sim_terms_wh(result)
    theirs = fastsim_terms_wh(run)
    for key in ("aero", "rolling", "drive_unit", "regenerated"):
        assert terms[key] == pytest.approx(theirs[key], rel=2e-5), key


def test_gap_attributed_one_convention_at_a_time(run, vehicle):
    i = run.inputs
    steps = [
        ("sim defaults", vehicle, 0.5),
        ("FASTSim's air density", sim.set_params(vehicle, {
            "aero.drag_area_m2": i.drag_area_m2 * i.air_density_kgpm3 / AIR_DENSITY_KGPM3}),
         0.5),
        ("and its g", fastsim_conventions(vehicle, i), 0.5),
        ("and its 1 s step", fastsim_conventions(vehicle, i), 1.0),
    ]
    gaps = [gap(drive_cycle(v, "udds", step_s=h), run) for _, v, h in steps]
    worth = np.diff(gaps)
    assert worth[0] == pytest.approx(-0.0094, abs=0.0003)    # air density
    assert worth[1] == pytest.approx(-0.00027, abs=0.00003)  # g
    assert abs(worth[2]) < 2e-4                               # the step (+6e-5 today)
    assert abs(gaps[-1]) < 1e-5


def test_coast_down_form_of_fastsim_conventions(run, tmp_path):
    # The same conventions as a user would publish them: coast-down coefficients at the test
    # mass, A = m g Crr and C = 1/2 rho Cd A with FASTSim's g and rho, B = 0.
    i = run.inputs
    path = tmp_path / "model3_coast_down.toml"
    path.write_text(f'extends = "{VEHICLE_FILE.as_posix()}"\n[road_load]\n'
                    f"a_n = {i.mass_kg * i.gravity_mps2 * i.rolling_resistance_coefficient!r}\n"
                    f"b_n_per_mps = 0.0\n"
                    f"c_n_per_mps2 = {0.5 * i.air_density_kgpm3 * i.drag_area_m2!r}\n"
                    f"test_mass_kg = {i.mass_kg!r}\n")
    result = drive_cycle(sim.load_vehicle(path), "udds", step_s=1.0)
    assert abs(gap(result, run)) < 1e-5


def test_a_real_brake_balance_does_not_change_the_energy(run, vehicle):
    # sim regenerates first, offering the whole brake demand to the axles that have machines
    # (here the rear one) as FASTSim offers it to its motor; the friction brakes and their
    # balance only take what the machine cannot: a typical balance of 0.65 changes nothing on
    # UDDS (once the brake balance split regeneration and the car used 41 % more)
    balanced = drive_cycle(sim.set_params(vehicle, {"brakes.front_share": 0.65}), "udds")
    full = drive_cycle(vehicle, "udds")
    assert full.energy_j["friction_brake_j"][0] == pytest.approx(0.0, abs=1e-6)
    assert balanced.energy_j["friction_brake_j"][0] == pytest.approx(0.0, abs=1e-6)
    assert gap(balanced, run) == pytest.approx(gap(full, run), abs=1e-12)


def test_chemical_energy_differs_by_design(run, vehicle):
    # FASTSim: a constant one-way efficiency 0.98489 (terminal / eta out, x eta in); sim: the
    # invented cells' equivalent circuit. Same terminal energy, different cell losses.
    result = drive_cycle(fastsim_conventions(vehicle, run.inputs), "udds", step_s=1.0)
    e = {k: float(v[0]) for k, v in result.energy_j.items()}
    ours = e["battery_chemical_j"] / e["battery_terminal_j"] - 1.0
    theirs = run.chemical_wh_per_km / run.battery_terminal_wh_per_km - 1.0
    assert theirs == pytest.approx(0.0334, abs=0.0005)
    assert ours == pytest.approx(0.0206, abs=0.002)
    # sim's loss is the cells' heat and the energy left in their RC pairs
    assert e["battery_chemical_j"] - e["battery_terminal_j"] == pytest.approx(
        e["battery_heat_j"] + e["battery_rc_stored_j"], rel=1e-9)
