"""The module's Python side: parameter rows from [adm] and the vehicle, battery limits in the
chassis parameters, initial states, labels, layouts it refuses, layout swaps."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

import sim
from sim.adm import (
    ADM_PARAMETER_NAMES,
    ADM_STATE_NAMES,
    ADM_STATE_UNITS,
    adm_initial_state,
    adm_labels,
    adm_parameters,
    with_layout,
)
from sim.chassis import two_track as tt
from sim.params import linear_single_track, two_track_parameters
from sim.units import GRAVITY_MPS2

COUPE = sim.load_vehicle("coupe")


def col(cp, name):
    return cp[:, ADM_PARAMETER_NAMES.index(name)]


def test_parameters_follow_the_vehicle_file_and_batch():
    batch = sim.set_params(COUPE, {"adm.target_understeer_deg_per_g": [0.0, 0.5, 2.0]})
    cp = adm_parameters(batch)
    assert cp.shape == (3, len(ADM_PARAMETER_NAMES))
    assert col(cp, "target_understeer_rad_per_mps2") == pytest.approx(
        np.radians([0.0, 0.5, 2.0]) / GRAVITY_MPS2)
    assert np.all(col(cp, "sample_time_s") == 0.01)
    assert np.all(col(cp, "friction_bound_factor") == 0.85)
    lst = linear_single_track(COUPE)
    assert col(cp, "front_axle_cornering_stiffness_npr")[0] == \
        pytest.approx(lst.front_cornering_stiffness_npr[0])
    # sport tyres: lateral peak friction 1.18-1.2 at nominal load, a little more below it
    assert 1.1 < col(cp, "tyre_peak_friction")[0] < 1.35
    assert adm_parameters(COUPE, members=4).shape == (4, len(ADM_PARAMETER_NAMES))


def test_states_and_units_line_up():
    assert len(ADM_STATE_NAMES) == len(ADM_STATE_UNITS) == len(set(ADM_STATE_NAMES))
    cp = adm_parameters(COUPE, members=2)
    params, _, _ = two_track_parameters(COUPE, members=2)
    cs = adm_initial_state(cp, params, np.zeros((2, tt.N_STATES)))
    assert cs.shape == (2, len(ADM_STATE_NAMES))
    assert np.all(cs[:, ADM_STATE_NAMES.index("traction_scale_rr")] == 1.0)
    assert np.all(cs[:, ADM_STATE_NAMES.index("yaw_moment_integral_nm")] == 0.0)


def test_battery_limits_reach_the_kernel_parameters():
    params, _, _ = two_track_parameters(COUPE)
    assert params[0, tt.P_BATTERY_DISCHARGE_W] == 400e3
    assert params[0, tt.P_BATTERY_CHARGE_W] == 250e3
    ice, _, _ = two_track_parameters(sim.load_vehicle("coupe_ice"))
    assert math.isinf(ice[0, tt.P_BATTERY_DISCHARGE_W])  # absent: unlimited
    assert math.isinf(ice[0, tt.P_BATTERY_CHARGE_W])


def test_labels_say_which_estimator():
    assert adm_labels(COUPE)["adm_estimator"] == "ideal"
    assert adm_labels(COUPE)["adm_layout"] == "front_and_two_rear"


def test_the_module_refuses_what_it_cannot_drive():
    with pytest.raises(sim.SpecError, match=r"coupe_ice: drivetrain\.motors\.engine\.kind = "
                                            r"'combustion': .* nothing to vectorise"):
        adm_parameters(sim.load_vehicle("coupe_ice"))
    with pytest.raises(sim.SpecError, match=r"adm = None: controller='adm' needs an "
                                            r"\[adm\] section"):
        adm_parameters(dataclasses.replace(COUPE, adm=None))
    with pytest.raises(sim.SpecError, match=r"drivetrain\.layout = 'single_rear': a layout the "
                                            r"dynamic module can act through"):
        adm_parameters(with_layout(COUPE, "single_rear"))


@pytest.mark.parametrize("layout", ["single_rear", "one_per_axle", "front_and_two_rear",
                                    "four_wheel"])
def test_layout_swap_keeps_the_rest_of_the_car(layout):
    swapped = with_layout(COUPE, layout)
    assert swapped.drivetrain.layout == layout
    assert swapped.drivetrain.battery_discharge_power_limit_kw == 400.0
    assert swapped.total_mass_kg() == COUPE.total_mass_kg()
    total_kw = sum(m.peak_power_kw for m in swapped.drivetrain.motors.values())
    assert total_kw == pytest.approx(420.0)
    with pytest.raises(sim.SpecError, match="layout = 'eight_wheel'"):
        with_layout(COUPE, "eight_wheel")
