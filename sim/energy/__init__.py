"""Energy: drive cycles with the longitudinal model, every energy flow accounted, range and
consumption at the battery and at the plug, fuel and CO2 of the combustion variant.

* :func:`drive_cycle` -> :class:`CycleResult`: a batch over a cycle (WLTC 3b, UDDS, HWFET,
  US06 or a CSV), energies by component (:data:`ENERGY_TERMS`), consumption, the speed band.
* :func:`two_track_cycle`: the same cycle with the two-track model (tyres, wheel spin; see its
  known limits).
* :func:`driving_range` -> :class:`RangeResult`: consecutive cycles until break-off, range,
  consumption at the battery terminals and at the plug.
"""

from sim.energy.cycle import CycleResult, drive_cycle, two_track_cycle
from sim.energy.longitudinal import ENERGY_TERMS, SINK_TERMS, SUPPLY_TERMS
from sim.energy.range import RangeResult, driving_range

__all__ = ["ENERGY_TERMS", "SINK_TERMS", "SUPPLY_TERMS", "CycleResult", "RangeResult",
           "drive_cycle", "driving_range", "two_track_cycle"]
