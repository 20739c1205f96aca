"""Arrays handed from numpy to compiled kernels.

numba compiles one specialisation per tuple of argument types, and a read-only or strided
array is another type than a writable C-contiguous one: a broadcast view
(``np.broadcast_to``, read-only even after ``np.ascontiguousarray`` when no copy was needed),
a frozen vehicle's table or a slice would each compile the kernel again (whole seconds, and
minutes for the two-track time loop). Every numpy entry point passes its arrays through
:func:`kernel_array`, so that each kernel compiles once.
"""

from __future__ import annotations

import numpy as np


def kernel_array(a, dtype=np.float64) -> np.ndarray:
    """``a`` as a writable C-contiguous array of ``dtype`` (``a`` itself when it already is
    one, else a copy)."""
    return np.require(a, dtype=dtype, requirements=("C", "W"))
