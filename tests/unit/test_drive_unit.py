"""Drive-unit loss kernels (machine, map, power-fraction table, cable) and the gear mesh."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.errors import SpecError
from sim.powertrain import cable, gear
from sim.powertrain.electric_machine import (
    LP_FW_SPEED,
    drive_unit_dc_power,
    drive_unit_efficiency,
    drive_unit_losses,
    drive_unit_parameters,
    machine_copper_loss_w,
    machine_friction_loss_w,
    machine_iron_loss_w,
    machine_phase_current_a,
    read_efficiency_map_csv,
    shaft_torque_limit_nm,
)

RPM = math.pi / 30.0
SIC = dict(switching_frequency_hz=12e3, switch_knee_voltage_v=0.0, switch_resistance_ohm=3e-3,
           diode_knee_voltage_v=0.0, diode_resistance_ohm=3e-3, switching_energy_j=0.03,
           switching_reference_current_a=400.0, switching_reference_voltage_v=600.0,
           switching_voltage_exponent=1.0)
MACHINE = dict(nominal_bus_voltage_v=800.0, gear_efficiency=0.97, cable_resistance_ohm=3e-3,
               torque_constant_nm_per_a=1.5, phase_resistance_ohm=0.08,
               field_weakening_current_a=180.0, field_weakening_speed_radps=8000 * RPM,
               iron_hysteresis_w_per_radps=0.4, iron_eddy_w_per_radps2=4e-4,
               friction_torque_nm=0.05, windage_w_per_radps3=5e-8, inverter=SIC)
LP = drive_unit_parameters(**MACHINE)
# FASTSim 3.1.0's 2022 Tesla Model 3 RWD (REFERENCES §7): eta over P/Pmax, Pmax 239 kW.
M3_FRACTION = [0.0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0]
M3_EFF = [0.84, 0.86, 0.88, 0.90, 0.91, 0.92, 0.94, 0.95, 0.95, 0.94, 0.93]


def test_copper_loss_closed_form_below_field_weakening():
    # 150 N·m at 4000 rpm (below the 8000 rpm onset): i = T/kt, loss 3 R i^2
    res = drive_unit_losses(LP, 150.0, 4000 * RPM, 800.0)
    assert float(res.copper_loss_w) == pytest.approx(3 * 0.08 * (150 / 1.5) ** 2, rel=1e-12)


def test_field_weakening_current_and_its_bus_voltage_dependence():
    w = 16000 * RPM
    i = machine_phase_current_a(0.0, w, 1.5, 180.0, 8000 * RPM)
    assert i == pytest.approx(90.0, rel=1e-12)            # 180 (1 - 8000/16000)
    # at a bus 10 % low, the onset moves down 10 %: more d-axis current
    low = drive_unit_losses(LP, 0.0, w, 720.0).copper_loss_w
    assert float(low) == pytest.approx(3 * 0.08 * (180 * (1 - 0.9 * 0.5)) ** 2, rel=1e-12)


def test_iron_loss_full_flux_and_field_weakening():
    w = 5000 * RPM
    assert machine_iron_loss_w(w, 0.4, 4e-4, 8000 * RPM) == pytest.approx(0.4 * w + 4e-4 * w * w)
    w2 = 16000 * RPM   # flux halved: loss x 1/4
    assert machine_iron_loss_w(w2, 0.4, 4e-4, 8000 * RPM) == pytest.approx(
        (0.4 * w2 + 4e-4 * w2 * w2) / 4)
    assert machine_iron_loss_w(-w, 0.4, 4e-4, 8000 * RPM) == machine_iron_loss_w(
        w, 0.4, 4e-4, 8000 * RPM)


def test_friction_closed_form():
    assert machine_friction_loss_w(-1000.0, 0.05, 5e-8) == pytest.approx(50.0 + 50.0)


def test_zero_point_has_no_loss():
    assert all(float(x) == 0.0 for x in drive_unit_losses(LP, 0.0, 0.0, 800.0))


def _envelope_points(draw_fraction, draw_speed):
    w = draw_speed * 20000 * RPM
    t = draw_fraction * shaft_torque_limit_nm(310.0, 150e3, 20000 * RPM, w)
    return t, w


@settings(max_examples=200, deadline=None)
@given(frac=st.floats(-1.0, 1.0), speed=st.floats(-0.2, 1.0), volts=st.floats(550.0, 900.0))
def test_energy_balance_and_losses_non_negative_over_the_envelope(frac, speed, volts):
    t, w = _envelope_points(frac, speed)
    r = drive_unit_dc_power(LP, t, w, volts)
    dc, losses = r[0], r[1:]
    assert all(x >= 0.0 and math.isfinite(x) for x in losses)
    # dc = shaft power + losses (motoring); shaft power = dc + ... written once: both quadrants
    assert dc == pytest.approx(t * w + sum(losses), rel=1e-12, abs=1e-9)
    if t * w < 0:   # generating: the bus receives shaft power minus the losses
        assert -dc == pytest.approx(-t * w - sum(losses), rel=1e-12, abs=1e-9)
        assert dc > t * w


@pytest.mark.parametrize("t,w,v", [(200.0, 500.0, 800.0), (-150.0, 1500.0, 700.0),
                                   (30.0, 0.0, 760.0), (0.0, 2000.0, 650.0)])
def test_drive_unit_kernel_matches_py_func(t, w, v):
    compiled = drive_unit_dc_power(LP, t, w, v)
    python = drive_unit_dc_power.py_func(LP, t, w, v)
    np.testing.assert_allclose(compiled, python, rtol=1e-13, atol=1e-12)


def test_small_kernels_match_py_func():
    for k, args in ((machine_phase_current_a, (100.0, 1200.0, 1.5, 180.0, 838.0)),
                    (machine_copper_loss_w, (120.0, 0.08)),
                    (machine_iron_loss_w, (1200.0, 0.4, 4e-4, 838.0)),
                    (machine_friction_loss_w, (1200.0, 0.05, 5e-8)),
                    (gear.gear_output_torque_nm, (-50.0, 300.0, 9.0, 0.97)),
                    (gear.gear_input_torque_nm, (-400.0, 300.0, 9.0, 0.97)),
                    (gear.gear_loss_w, (-50.0, 300.0, 0.97))):
        assert k(*args) == pytest.approx(k.py_func(*args), rel=1e-14)


def test_cable_loss_in_the_kernel_is_i_squared_r_at_the_cable_current():
    lp = drive_unit_parameters(**{**MACHINE, "cable_resistance_ohm": 0.01})
    r = drive_unit_losses(lp, 200.0, 800.0, 800.0)
    # the bus delivers V I = P_inv + I^2 R, and the cable loses I^2 R
    current = float(r.dc_power_w) / 800.0
    assert float(r.cable_loss_w) == pytest.approx(current**2 * 0.01, rel=1e-12)
    assert float(r.cable_loss_w) > 0.0


def test_speed_torque_map_reproduces_its_grid_and_interpolates_bilinearly(tmp_path):
    speeds_rpm = np.array([0.0, 2000.0, 6000.0, 12000.0])
    torques = np.array([-200.0, -50.0, 50.0, 200.0])
    eta = np.array([[0.70, 0.75, 0.76, 0.72], [0.88, 0.90, 0.91, 0.89],
                    [0.93, 0.95, 0.96, 0.94], [0.90, 0.93, 0.94, 0.92]])
    rows = ["speed_rpm,torque_nm,efficiency"] + [
        f"{n},{t},{eta[i, j]}" for j, t in enumerate(torques) for i, n in enumerate(speeds_rpm)]
    path = tmp_path / "map.csv"
    path.write_text("\n".join(rows) + "\n")
    s, t, e = read_efficiency_map_csv(path)
    lp = drive_unit_parameters(loss_model="speed_torque_map", nominal_bus_voltage_v=800.0,
                               gear_efficiency=0.97, map_speed_radps=s, map_torque_nm=t,
                               map_efficiency=e)
    for i, n in enumerate(speeds_rpm[1:], start=1):
        for j, tq in enumerate(torques):
            got = float(drive_unit_efficiency(lp, tq, n * RPM, 800.0))
            assert got == pytest.approx(eta[i, j], rel=1e-12)
    # midpoint of a cell: mean of its four corners
    mid = float(drive_unit_efficiency(lp, 125.0, 4000 * RPM, 800.0))
    assert mid == pytest.approx(np.mean(eta[1:3, 2:4]), rel=1e-12)
    # motoring P/eta, generating P*eta
    r = drive_unit_losses(lp, -200.0, 6000 * RPM, 800.0)
    assert float(r.dc_power_w) == pytest.approx(-200.0 * 6000 * RPM * 0.93, rel=1e-12)
    assert float(r.copper_loss_w) == 0.0 and float(r.lumped_loss_w) > 0.0


def test_power_fraction_table_reproduces_fastsim_model3_step_lower_and_regen_at_zero():
    lp = drive_unit_parameters(loss_model="power_fraction", nominal_bus_voltage_v=350.0,
                               gear_efficiency=0.98, rated_power_w=239e3,
                               power_fraction=M3_FRACTION, fraction_efficiency=M3_EFF,
                               fraction_interpolation="step_lower")
    w = 800.0
    # FASTSim 3.1.0 (measured on its UDDS run): 2.06 % -> 0.86, 4.67 % -> 0.88 (Step Lower)
    for frac, expected in ((0.0206, 0.86), (0.0315, 0.86), (0.0467, 0.88), (0.5, 0.95),
                           (1.0, 0.93)):
        t = frac * 239e3 / w
        assert float(drive_unit_efficiency(lp, t, w, 350.0)) == pytest.approx(expected)
    # regeneration: FASTSim 3.1.0 clamps the negative fraction to the grid start: eta 0.84
    t = -0.3 * 239e3 / w
    assert float(drive_unit_losses(lp, t, w, 350.0).dc_power_w) == pytest.approx(t * w * 0.84)
    lin = drive_unit_parameters(loss_model="power_fraction", nominal_bus_voltage_v=350.0,
                                gear_efficiency=0.98, rated_power_w=239e3,
                                power_fraction=M3_FRACTION, fraction_efficiency=M3_EFF)
    assert float(drive_unit_efficiency(lin, 0.3 * 239e3 / w, w, 350.0)) == pytest.approx(0.945)


def test_gear_signs_and_loss():
    assert gear.gear_output_torque_nm(100.0, 50.0, 9.0, 0.97) == pytest.approx(873.0)
    assert gear.gear_output_torque_nm(-100.0, 50.0, 9.0, 0.97) == pytest.approx(-900 / 0.97)
    assert gear.gear_output_torque_nm(100.0, 0.0, 9.0, 0.97) == pytest.approx(873.0)
    for t in (100.0, -100.0):
        out = gear.gear_output_torque_nm(t, 50.0, 9.0, 0.97)
        assert gear.gear_input_torque_nm(out, 50.0, 9.0, 0.97) == pytest.approx(t)
        loss = gear.gear_loss_w(t, 50.0, 0.97)
        assert loss >= 0.0
        assert loss == pytest.approx(t * 50.0 - out * 50.0 / 9.0)
    np.testing.assert_allclose(gear.gear_output_torque([1.0, -1.0], 2.0, 3.0, 0.5), [1.5, -6.0])
    with pytest.raises(SpecError, match="efficiency"):
        gear.gear_output_torque(1.0, 1.0, 3.0, 1.2)


def test_cable_400_against_800_volt():
    r = float(cable.cable_resistance_ohm(3.0, 35.0))
    assert r == pytest.approx(1.7241e-8 * 6.0 / 35e-6)
    p = 200e3
    loss800, loss400 = cable.cable_loss_w(p / 800, r), cable.cable_loss_w(p / 400, r)
    assert loss400 == pytest.approx(4 * loss800)
    a400 = float(cable.cross_section_for_equal_loss_mm2(35.0, 800.0, 400.0))
    assert a400 == pytest.approx(140.0)
    assert cable.cable_loss_w(p / 400, cable.cable_resistance_ohm(3.0, a400)) == \
        pytest.approx(loss800)
    assert float(cable.copper_mass_kg(3.0, a400)) == pytest.approx(
        4 * float(cable.copper_mass_kg(3.0, 35.0)))
    assert float(cable.copper_mass_kg(1.0, 35.0)) == pytest.approx(2 * 35e-6 * 8900)
    with pytest.raises(SpecError, match="cross_section_mm2"):
        cable.cable_resistance_ohm(3.0, 0.0)


def test_bad_parameters_raise_naming_the_field():
    with pytest.raises(SpecError, match="torque_constant_nm_per_a.*0"):
        drive_unit_parameters(**{**MACHINE, "torque_constant_nm_per_a": 0.0})
    with pytest.raises(SpecError, match="inverter.switching_energy_j"):
        drive_unit_parameters(**{**MACHINE, "inverter": {k: v for k, v in SIC.items()
                                                         if k != "switching_energy_j"}})
    with pytest.raises(SpecError, match=r"fraction_efficiency\[2\].*1.2"):
        drive_unit_parameters(loss_model="power_fraction", nominal_bus_voltage_v=350.0,
                              gear_efficiency=0.98, rated_power_w=1e5, power_fraction=[0, .5, 1],
                              fraction_efficiency=[0.8, 0.9, 1.2])
    with pytest.raises(SpecError, match="power_fraction"):
        drive_unit_parameters(loss_model="power_fraction", nominal_bus_voltage_v=350.0,
                              gear_efficiency=0.98, rated_power_w=1e5, power_fraction=[0, 1, .5],
                              fraction_efficiency=[0.8, 0.9, 0.9])
    with pytest.raises(SpecError, match="loss_model"):
        drive_unit_parameters(loss_model="magic", nominal_bus_voltage_v=800, gear_efficiency=1)
    with pytest.raises(SpecError, match="bus_voltage_v"):
        drive_unit_losses(LP, 10.0, 10.0, -1.0)
    bad = LP.copy()
    bad[LP_FW_SPEED] = np.nan
    with pytest.raises(SpecError, match="lp"):
        drive_unit_losses(bad, 10.0, 10.0, 800.0)


def test_map_csv_with_missing_grid_point_is_rejected(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("speed_rpm,torque_nm,efficiency\n0,10,0.9\n100,10,0.9\n0,20,0.9\n")
    with pytest.raises(SpecError, match="speed_rpm=100, torque_nm=20"):
        read_efficiency_map_csv(path)
    path.write_text("speed_rpm,torque,efficiency\n0,10,0.9\n")
    with pytest.raises(SpecError, match="torque_nm"):
        read_efficiency_map_csv(path)
