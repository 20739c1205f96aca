"""Standard test maneuvers: each runs batch-first and returns a :class:`ManeuverResult`.

* :func:`step_steer` -- ISO 7401 step steer (80 km/h, 4 m/s² steady).
* :func:`sine_with_dwell` -- FMVSS 126 Slowly Increasing Steer + sine with dwell, verdict.
* :func:`straight_line` -- 0-100 and 80-120 km/h, 100-0 km/h braking, top speed.
"""

from sim.maneuvers.base import ManeuverResult, repeat_members, resistance_force_n, run_set

__all__ = ["ManeuverResult", "repeat_members", "resistance_force_n", "run_set"]
