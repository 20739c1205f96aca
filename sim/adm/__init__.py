"""``sim.adm``: the dynamic module, the "brain" that distributes torque: torque vectoring
(yaw-rate reference, feedforward + PI yaw controller, discrete, with actuator lag), axle split
and torque allocation at least tyre utilisation, traction control and regenerative braking.

Run it with ``sim.simulate(vehicle, ..., controller="adm")``; its targets and gains are the
vehicle file's ``[adm]`` section (dotted paths ``adm.<field>``, see docs/vehicle_schema.md);
:func:`with_layout` swaps the actuator layout for a comparison; :func:`costs` reads a run's
tyre utilisation and machine and brake energy. The compiled step is
:mod:`sim.adm.kernel` (formulation and derivations in its docstring).
"""

from sim.adm.costs import COST_UNITS, costs
from sim.adm.kernel import (
    ADM_PARAMETER_NAMES,
    ADM_STATE_NAMES,
    ADM_STATE_UNITS,
    adm_wheel_torques,
    allocate,
    feedforward_yaw_moment,
    reference_yaw_rate,
)
from sim.adm.layouts import LAYOUT_MACHINES, with_layout
from sim.adm.parameters import (
    adm_initial_state,
    adm_labels,
    adm_parameters,
    check_adm_vehicle,
    tyre_peak_friction,
)

__all__ = [
    "ADM_PARAMETER_NAMES", "ADM_STATE_NAMES", "ADM_STATE_UNITS", "COST_UNITS",
    "LAYOUT_MACHINES", "adm_initial_state", "adm_labels", "adm_parameters", "adm_wheel_torques",
    "allocate", "costs",
    "check_adm_vehicle", "feedforward_yaw_moment", "reference_yaw_rate", "tyre_peak_friction",
    "with_layout",
]
