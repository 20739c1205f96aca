"""Drive cycles (WLTC class 3b, EPA UDDS/HWFET/US06 or a user's CSV) and the GTR 15 speed band.

>>> from sim.cycles import load_cycle
>>> wltc = load_cycle("wltc_class3b")
>>> round(wltc.distance_m / 1000, 3)
23.266

Depends only on numpy, :mod:`sim.errors` and :mod:`sim.units`.
"""

from sim.cycles.cycle import CyclePhase, DriveCycle, list_cycles, load_cycle
from sim.cycles.tolerance import (
    SPEED_TOLERANCE_KMH,
    TIME_TOLERANCE_S,
    SpeedTraceViolation,
    speed_band_mps,
    speed_trace_violations,
)

__all__ = [
    "SPEED_TOLERANCE_KMH",
    "TIME_TOLERANCE_S",
    "CyclePhase",
    "DriveCycle",
    "SpeedTraceViolation",
    "list_cycles",
    "load_cycle",
    "speed_band_mps",
    "speed_trace_violations",
]
