"""Standard test maneuvers: each runs batch-first and returns a :class:`ManeuverResult`.

* :func:`step_steer` -- ISO 7401 step steer (80 km/h, 4 m/s² steady).
* :func:`sine_with_dwell` -- FMVSS 126 Slowly Increasing Steer + sine with dwell, verdict.
* :func:`straight_line` -- 0-100 and 80-120 km/h, 100-0 km/h braking, top speed.
* :func:`constant_radius`, :func:`constant_speed` -- ISO 4138 steady-state circular driving.
* :func:`double_lane_change` -- ISO 3888-2 / ISO 3888-1 with the closed-loop driver.

Steer amplitudes a procedure finds (the step-steer angle, sine-with-dwell's A) are always found
with ``controller="passive"`` (module off) and can be passed back explicitly
(``steering_wheel_amplitude_deg=``, ``sis_angle_deg=``) for runs with another controller.
"""

from sim.maneuvers.base import (
    ManeuverResult,
    repeat_members,
    resistance_force_n,
    run_set,
    select_members,
)
from sim.maneuvers.lane_change import ConeLayout, cone_layout, double_lane_change
from sim.maneuvers.sine_with_dwell import find_sis_angle_deg, sine_with_dwell
from sim.maneuvers.steady_state import constant_radius, constant_speed
from sim.maneuvers.step_steer import find_step_steer_amplitude_deg, step_steer
from sim.maneuvers.straight_line import (
    envelope_force_n,
    straight_line,
    top_speed_closed_form_kmh,
)

__all__ = [
    "ConeLayout",
    "ManeuverResult",
    "cone_layout",
    "constant_radius",
    "constant_speed",
    "double_lane_change",
    "envelope_force_n",
    "find_sis_angle_deg",
    "find_step_steer_amplitude_deg",
    "repeat_members",
    "resistance_force_n",
    "run_set",
    "select_members",
    "sine_with_dwell",
    "step_steer",
    "straight_line",
    "top_speed_closed_form_kmh",
]
