"""Road load as coast-down coefficients ``F = A + B v + C v²`` and its physical meaning.

Test laboratories (EPA "target coefficients", WLTP road-load coefficients f0, f1, f2) publish
the force that resists a car's motion on a flat road as a quadratic in speed, fitted to a
coast-down test::

    F_road(v) = A + B v + C v²      [N],  v >= 0 the vehicle speed [m/s]

The force **opposes motion**: it is a positive magnitude acting backwards (-x) on a car moving
forwards. It is defined for ``v >= 0``; what it is at standstill (A is a rolling friction that
acts only while the wheels roll) is the caller's decision.

Mapping to the physical description (flat road, grade ignored, so ``cos(grade) = 1``)::

    A = m g f_rr            m mass [kg], g = 9.80665 m/s², f_rr rolling-resistance coeff. [-]
    B = 0                   (no physical term in the simple model)
    C = 1/2 rho CdA         rho air density [kg/m³], CdA drag area [m²]

and the reverse ``f_rr = A / (m g)``, ``CdA = 2 C / rho``. A measured B (speed-proportional
tyre and driveline losses, and whatever the fit absorbed) is **kept as a separate linear term**,
never folded into A or C: :func:`physical_from_coast_down` returns it beside ``f_rr`` and
``CdA``. Note that a coast-down's A and C also contain driveline drag and tyre effects, so the
"physical" values recovered from published coefficients are *equivalent* values.

Compiled scalar kernels (``numba.njit(inline="always", error_model="numpy", cache=True)``), one
per formula, callable from compiled step code and from Python; the vectorised functions at the
end validate numpy inputs and loop over the same kernels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

from sim._arrays import kernel_array
from sim.errors import SpecError
from sim.units import AIR_DENSITY_KGPM3, GRAVITY_MPS2

__all__ = [
    "CoastDownCoefficients",
    "RoadLoadPhysics",
    "aerodynamic_c_n_per_mps2",
    "coast_down_coefficients",
    "drag_area_m2_from_c",
    "evaluate_road_load_force_n",
    "evaluate_road_load_power_w",
    "physical_from_coast_down",
    "road_load_force_n",
    "road_load_power_w",
    "rolling_resistance_a_n",
    "rolling_resistance_coefficient_from_a",
]

_kernel = numba.njit(cache=True, error_model="numpy", inline="always")
_ARG = "<argument>"


# ---- compiled scalar kernels -----------------------------------------------------------
@_kernel
def road_load_force_n(a_n, b_n_per_mps, c_n_per_mps2, speed_mps):
    """Road-load force magnitude ``A + B v + C v²`` [N], opposing motion, for v >= 0 [m/s]."""
    return a_n + (b_n_per_mps + c_n_per_mps2 * speed_mps) * speed_mps


@_kernel
def road_load_power_w(a_n, b_n_per_mps, c_n_per_mps2, speed_mps):
    """Power the road load takes from the car, ``(A + B v + C v²) v`` [W] >= 0 for v >= 0."""
    return road_load_force_n(a_n, b_n_per_mps, c_n_per_mps2, speed_mps) * speed_mps


@_kernel
def rolling_resistance_a_n(mass_kg, rolling_resistance_coefficient):
    """Coast-down A from rolling resistance: ``m g f_rr`` [N] (flat road, cos(grade) = 1)."""
    return mass_kg * GRAVITY_MPS2 * rolling_resistance_coefficient


@_kernel
def aerodynamic_c_n_per_mps2(drag_area_m2, air_density_kgpm3):
    """Coast-down C from aerodynamic drag: ``1/2 rho CdA`` [N/(m/s)²]."""
    return 0.5 * air_density_kgpm3 * drag_area_m2


@_kernel
def rolling_resistance_coefficient_from_a(a_n, mass_kg):
    """Equivalent rolling-resistance coefficient ``A / (m g)`` [-] (mass_kg > 0)."""
    return a_n / (mass_kg * GRAVITY_MPS2)


@_kernel
def drag_area_m2_from_c(c_n_per_mps2, air_density_kgpm3):
    """Equivalent drag area ``CdA = 2 C / rho`` [m²] (air_density_kgpm3 > 0)."""
    return 2.0 * c_n_per_mps2 / air_density_kgpm3


@numba.njit(cache=True, error_model="numpy")
def _force_many(a, b, c, v, out):
    for i in range(v.size):
        out[i] = road_load_force_n(a[i], b[i], c[i], v[i])


@numba.njit(cache=True, error_model="numpy")
def _power_many(a, b, c, v, out):
    for i in range(v.size):
        out[i] = road_load_power_w(a[i], b[i], c[i], v[i])


# ---- numpy edge ------------------------------------------------------------------------
def _checked(name, value, *, low=-math.inf, low_open=False, unit=""):
    x = np.asarray(value, dtype=np.float64)
    bad = ~np.isfinite(x) | ((x <= low) if low_open else (x < low))
    if np.any(bad):
        first = float(x[bad].flat[0]) if x.ndim else float(x)
        rule = "finite" if math.isinf(low) else (f"finite and {'>' if low_open else '>='} "
                                                 f"{low:g}")
        raise SpecError(_ARG, name, first, f"must be {rule} {unit}".rstrip())
    return x


def _shaped(out, shape):
    return float(out[0]) if shape == () else out.reshape(shape)


def _abc_v(a_n, b_n_per_mps, c_n_per_mps2, speed_mps):
    a = _checked("a_n", a_n, low=0.0, unit="N")
    b = _checked("b_n_per_mps", b_n_per_mps, unit="N/(m/s)")
    c = _checked("c_n_per_mps2", c_n_per_mps2, low=0.0, unit="N/(m/s)^2")
    v = _checked("speed_mps", speed_mps, low=0.0, unit="m/s (forward travel)")
    shape = np.broadcast_shapes(a.shape, b.shape, c.shape, v.shape)
    flat = [kernel_array(np.broadcast_to(x, shape)).ravel() for x in (a, b, c, v)]
    return flat, shape


def evaluate_road_load_force_n(a_n, b_n_per_mps, c_n_per_mps2, speed_mps):
    """:func:`road_load_force_n` for numpy inputs (broadcast; float for scalars).

    A >= 0, C >= 0 and v >= 0 are required; B may have either sign (fitted coefficients
    sometimes have B < 0). Bad input raises :class:`SpecError` naming the argument.
    """
    (a, b, c, v), shape = _abc_v(a_n, b_n_per_mps, c_n_per_mps2, speed_mps)
    out = np.empty(v.size)
    _force_many(a, b, c, v, out)
    return _shaped(out, shape)


def evaluate_road_load_power_w(a_n, b_n_per_mps, c_n_per_mps2, speed_mps):
    """:func:`road_load_power_w` for numpy inputs (same checks as the force)."""
    (a, b, c, v), shape = _abc_v(a_n, b_n_per_mps, c_n_per_mps2, speed_mps)
    out = np.empty(v.size)
    _power_many(a, b, c, v, out)
    return _shaped(out, shape)


@dataclass(frozen=True)
class CoastDownCoefficients:
    """Coast-down coefficients: ``F = a_n + b_n_per_mps v + c_n_per_mps2 v²`` [N]."""

    a_n: float
    b_n_per_mps: float
    c_n_per_mps2: float

    def force_n(self, speed_mps):
        """Road-load force [N] at ``speed_mps`` >= 0 (see :func:`evaluate_road_load_force_n`)."""
        return evaluate_road_load_force_n(self.a_n, self.b_n_per_mps, self.c_n_per_mps2,
                                          speed_mps)


@dataclass(frozen=True)
class RoadLoadPhysics:
    """Equivalent physical road load: rolling resistance, drag area and the kept linear term."""

    rolling_resistance_coefficient: float
    drag_area_m2: float
    b_n_per_mps: float


def coast_down_coefficients(mass_kg, rolling_resistance_coefficient, drag_area_m2, *,
                            air_density_kgpm3=AIR_DENSITY_KGPM3,
                            b_n_per_mps=0.0) -> CoastDownCoefficients:
    """(A, B, C) of a car of mass ``mass_kg`` [kg], ``f_rr`` [-] and ``CdA`` [m²].

    ``A = m g f_rr``, ``B = b_n_per_mps`` (0 unless a measured linear term is given, which is
    kept as it is), ``C = 1/2 rho CdA`` with ``rho = air_density_kgpm3`` (ISA sea level
    1.225 kg/m³ by default). Arrays broadcast (batch-first).
    """
    m = _checked("mass_kg", mass_kg, low=0.0, low_open=True, unit="kg")
    f = _checked("rolling_resistance_coefficient", rolling_resistance_coefficient, low=0.0)
    cda = _checked("drag_area_m2", drag_area_m2, low=0.0, unit="m^2")
    rho = _checked("air_density_kgpm3", air_density_kgpm3, low=0.0, low_open=True,
                   unit="kg/m^3")
    b = _checked("b_n_per_mps", b_n_per_mps, unit="N/(m/s)")
    a = rolling_resistance_a_n(m, f)
    c = aerodynamic_c_n_per_mps2(cda, rho)
    return CoastDownCoefficients(_plain(a), _plain(b), _plain(c))


def physical_from_coast_down(coefficients: CoastDownCoefficients, mass_kg, *,
                             air_density_kgpm3=AIR_DENSITY_KGPM3) -> RoadLoadPhysics:
    """Equivalent ``f_rr = A / (m g)`` and ``CdA = 2 C / rho``; B is returned unchanged."""
    m = _checked("mass_kg", mass_kg, low=0.0, low_open=True, unit="kg")
    rho = _checked("air_density_kgpm3", air_density_kgpm3, low=0.0, low_open=True,
                   unit="kg/m^3")
    a = _checked("a_n", coefficients.a_n, low=0.0, unit="N")
    b = _checked("b_n_per_mps", coefficients.b_n_per_mps, unit="N/(m/s)")
    c = _checked("c_n_per_mps2", coefficients.c_n_per_mps2, low=0.0, unit="N/(m/s)^2")
    return RoadLoadPhysics(_plain(rolling_resistance_coefficient_from_a(a, m)),
                           _plain(drag_area_m2_from_c(c, rho)), _plain(b))


def _plain(x):
    x = np.asarray(x, dtype=np.float64)
    return float(x) if x.ndim == 0 else x
