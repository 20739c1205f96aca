"""sim: notebook experiments on an invented electric sports-car platform.

Load a built-in variant, vary it with dotted parameter paths, compute its mass properties::

    import sim
    coupe = sim.load_vehicle("coupe")
    sim.mass_properties(coupe, load_case="full").summary()
    batch = sim.set_params(coupe, {"packs.front.energy_kwh": [20.0, 26.0, 32.0]})
    sim.mass_properties(batch).front_mass_fraction        # one value per member
    res = sim.simulate(coupe, speed_kmh=80.0, duration_s=4.0,
                       steering_wheel_angle_rad=0.1)        # two-track model, Result

Every vehicle parameter shipped with this package is invented (plausible, not measured) and
labelled as such; ``sim`` is not affiliated with any car maker. SI units and ISO 8855 axes
(x forward, y left, z up) throughout; see ``sim.units``.
"""

# ruff: noqa: E402  (the cache folder is set before any module that compiles is imported)
from sim import _cache

_cache.configure()  # before any compiled kernel is defined (see sim/_cache.py)

from sim import maneuvers
from sim.errors import SimError, SpecError, UnknownVehicleError
from sim.mass import (
    MassProperties,
    SplitResult,
    front_fraction_range,
    mass_properties,
    split_for_front_fraction,
    split_for_min_yaw_inertia,
    split_packs,
)
from sim.result import Result, SimulationDiverged
from sim.simulate import Numerics, simulate  # the function shadows the module name sim.simulate
from sim.spec import (
    CURB,
    DEFAULT_LOAD_CASE,
    Vehicle,
    get_param,
    list_vehicles,
    load_vehicle,
    member,
    param_paths,
    set_params,
    vehicle_from_dict,
)

__version__ = "0.1.0"

__all__ = [
    "CURB",
    "DEFAULT_LOAD_CASE",
    "MassProperties",
    "Numerics",
    "Result",
    "SimError",
    "SimulationDiverged",
    "SpecError",
    "SplitResult",
    "UnknownVehicleError",
    "Vehicle",
    "front_fraction_range",
    "maneuvers",
    "get_param",
    "list_vehicles",
    "load_vehicle",
    "mass_properties",
    "member",
    "param_paths",
    "set_params",
    "simulate",
    "split_for_front_fraction",
    "split_for_min_yaw_inertia",
    "split_packs",
    "vehicle_from_dict",
]
