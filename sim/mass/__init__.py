"""Mass properties (centre of mass, loads, inertia tensor) and the pack-split study."""

from sim.mass.properties import MassProperties, box_inertia_kgm2, mass_properties
from sim.mass.split import (
    SplitResult,
    front_fraction_range,
    split_for_front_fraction,
    split_for_min_yaw_inertia,
    split_packs,
)

__all__ = ["MassProperties", "SplitResult", "box_inertia_kgm2", "front_fraction_range",
           "mass_properties", "split_for_front_fraction", "split_for_min_yaw_inertia",
           "split_packs"]
