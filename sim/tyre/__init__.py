"""Tyre models; this layer knows nothing about cars.

* :mod:`sim.tyre.tir`: read, validate and write MF 6.1 ``.tir`` property files.
* :mod:`sim.tyre.mf61`: Magic Formula 6.1 Fx/Fy (pure and combined slip) as compiled
  scalar kernels over a flat parameter vector, plus a vectorised ``evaluate``, the
  aligning moment, queries (Kxk, Kya, mux, muy) and the :class:`MF61Tyre` container.
* :mod:`sim.tyre.linear`: linear tyre (optionally friction-circle saturated) and
  first-order lateral relaxation.

All forces use ISO-W / TYDEX tyre axes: kappa > 0 drives (Fx > 0); slip angle
alpha > 0 gives Fy < 0, so Kya < 0 and the bicycle-model stiffness is C = -Kya > 0.
"""

from sim.tyre.linear import LinearTyre
from sim.tyre.mf61 import (
    MF61_PARAMETER_COUNT,
    MF61_PARAMETER_NAMES,
    MF61Tyre,
    aligning_moment_nm,
    cornering_stiffness_kya,
    evaluate,
    linear_cornering_stiffness_n_per_rad,
    mf61_parameter_vector,
    peak_friction,
    slip_stiffness_kxk,
)
from sim.tyre.tir import TirFile, format_tir, parse_tir, read_tir, write_tir

__all__ = [
    "MF61_PARAMETER_COUNT",
    "MF61_PARAMETER_NAMES",
    "LinearTyre",
    "MF61Tyre",
    "TirFile",
    "aligning_moment_nm",
    "cornering_stiffness_kya",
    "evaluate",
    "format_tir",
    "linear_cornering_stiffness_n_per_rad",
    "mf61_parameter_vector",
    "parse_tir",
    "peak_friction",
    "read_tir",
    "slip_stiffness_kxk",
    "write_tir",
]
