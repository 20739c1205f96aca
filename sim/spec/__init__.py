"""Vehicle files -> validated frozen specs; dotted parameter paths for variants and batches."""

from sim.spec.loader import list_vehicles, load_vehicle, vehicle_from_dict
from sim.spec.params import batch_size, get_param, member, param_paths, set_params
from sim.spec.vehicle import CURB, DEFAULT_LOAD_CASE, Vehicle

__all__ = ["CURB", "DEFAULT_LOAD_CASE", "Vehicle", "batch_size", "get_param", "list_vehicles",
           "load_vehicle", "member", "param_paths", "set_params", "vehicle_from_dict"]
