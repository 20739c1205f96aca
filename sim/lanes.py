"""Lane tables: the memory layout every compiled time loop shares.

A batch runs in chunks of at most :data:`LANES` members; within a chunk every member is a
*lane*, and everything per member lives in **lane tables**: flat float64 arrays in which row r
(a parameter, a state, a signal) of lane l is at ``r * LANES + l``, so that neighbouring lanes
are neighbours in memory and the row stride is a compile-time constant (see "Lanes" in
:mod:`sim.chassis.two_track` for why that lets LLVM vectorise the lane loops).

Rows of a table are declared once, as a tuple of names; :func:`index_of` turns a name into its
row. This module sits below the chassis, the powertrain and the dynamic module, which all read
lane tables.
"""

from __future__ import annotations

import numba
import numpy as np

#: Lanes of a chunk: members integrated together, one per SIMD lane. A chunk holds at most
#: this many members; the lane tables have this row stride.
LANES = 64


# Inlined at numba IR level: called with a module constant (``lane_table(N_STATES)``), the
# argument is an integer *literal* type, and a separately compiled function got one
# specialisation per row count (13 for the first two-track result: tools/compile_profile.py).
@numba.njit(cache=True, inline="always")
def lane_table(rows):
    """A zeroed lane table of ``rows`` rows (flat, row r of lane l at ``r * LANES + l``)."""
    return np.zeros(rows * LANES)


@numba.njit(cache=True, inline="always")
def interp_uniform(table, t0, dt, t):
    """Linear interpolation of a uniformly sampled row ``table`` (first sample at ``t0``,
    spacing ``dt``) at ``t``; held constant beyond its ends. Shared by the time loops of
    :mod:`sim.integrator` (driver input tables) and :mod:`sim.energy.longitudinal` (traces)."""
    u = (t - t0) / dt
    last = table.shape[0] - 1
    if u <= 0.0:
        return table[0]
    if u >= last:
        return table[last]
    i = int(u)
    f = u - i
    return table[i] * (1.0 - f) + table[i + 1] * f


def index_of(names: tuple[str, ...], name: str) -> int:
    """Row of ``name`` in a table declared by the tuple ``names`` (ImportError naming both
    when absent: a layout mistake is found when the module loads, not in a kernel)."""
    try:
        return names.index(name)
    except ValueError:
        raise ImportError(f"no row {name!r} in the table declared as {names[:3]}...") from None


__all__ = ["LANES", "index_of", "interp_uniform", "lane_table"]
