"""Magic Formula 6.1 tyre forces: compiled scalar kernels and a vectorised entry point.

Equations: Pacejka, *Tire and Vehicle Dynamics*, 3rd ed. 2012, section 4.3.2 (eqs. 4.E1 to
4.E67), in the form used by MFeval (M. Furlan) with ``useMode = 221``: no limit checks or
low-speed reduction, ``alpha* = tan(alpha)``, ``gamma* = sin(gamma)``, combined slip on,
no turn slip. Longitudinal force Fx and lateral force Fy, pure and combined slip, with load
(``dfz``), camber, inflation pressure (``dpi``) and every scaling factor that acts on them;
the aligning moment Mz (pneumatic trail, residual torque, Fx moment arm) in a separate
kernel so that force-only callers do not pay for it. Forces agree with MFeval to ~1e-12 N,
Mz to ~1e-7 relative (tests/validation).

Axes and signs (ISO-W / TYDEX, as in ``.tir`` files and MFeval)
------------------------------------------------------------------
* ``kappa`` [-]: longitudinal slip, ``-(V_cx - Omega R_e) / V_cx``; > 0 when driving, gives
  Fx > 0 (forward).
* ``alpha_rad`` [rad]: slip angle ``atan(V_cy / |V_cx|)``; a normal tyre gives **Fy < 0 for
  alpha > 0**, so the cornering stiffness ``Kya = dFy/dalpha < 0`` (PKY1 < 0). Textbook
  bicycle models use ``C = -Kya > 0`` (:func:`linear_cornering_stiffness_n_per_rad`).
* ``gamma_rad`` [rad]: inclination (camber) angle, positive when the wheel top leans
  towards -y of the tyre axes. Mapping vehicle camber to it (opposite signs left and right)
  is the caller's job.
* ``fz_n`` [N] >= 0 (wheel load); ``pressure_pa`` [Pa] absolute inflation pressure as in
  NOMPRES (not bar); ``mu_road`` [-] road friction, 1 = the road the file was fitted on.
* Forward travel is assumed (``V_cx > 0``); no speed enters the forces (LMUV = 0).

Road friction ``mu_road``
-------------------------
Forces on a road of friction ``mu_road`` (1 = the road the file was fitted on) follow the
**similarity method**: ``F(kappa, tan alpha; mu) = mu F(kappa / mu, tan alpha / mu; 1)``. The
peak forces and the vertical shifts scale with ``mu``; the slip stiffnesses Kxk and Kya do
**not** change (the initial slope comes from the tread and carcass elasticity, the peak from
the adhesion limit); and the slips at which the forces saturate **and interact in combined
slip** shrink with ``mu``. The last point is why scaling only LMUX/LMUY (the friction factors)
is not enough: the combined-slip weighting functions Gxa, Gyk are written in slip, so with a
lower peak alone a tyre on ice would still reach both peaks at the same time and exceed its
friction ellipse (by up to 1.3x at mu = 0.3, measured). With all shifts zero, ``mu_road =
0.5`` halves the peak force and keeps the slope at the origin. ``mu_road`` below
:data:`MU_ROAD_ZERO` (1e-6) gives zero force (the slips divided by it would overflow).
Kxk and Kya from :func:`mf61_characteristics` are independent of ``mu_road``; its ``mux``,
``muy`` are the dry values times ``mu_road``.

Parameters reach compiled code as a plain 1-D float64 array ``p`` laid out by
:data:`MF61_PARAMETER_NAMES` (one tuple; the index constants ``IX_<NAME>`` are generated
from it and frozen into the kernels by numba). Batches of tyres stack as ``(..., P)``.
A wheel load ``fz_n <= 0`` (wheel lifted) gives zero force in the kernels, as MFeval does;
the vectorised functions reject negative loads as input errors.

Compiled kernels
----------------
The scalar kernels are written so that a compiled loop over many tyres (lanes) calling them
becomes SIMD code (:mod:`sim.chassis.two_track` runs its batch that way):

* transcendental functions come from :mod:`sim.fastmath` (plain arithmetic, within 1.5 ulp
  of the true value, bit-identical in compiled code and in Python); libm calls would keep a
  loop scalar. ``cos(atan(x))`` is :func:`sim.fastmath.cos_atan`.
* every kernel is inlined into its compiled caller, at numba IR level (``inline="always"``)
  inside this module and by LLVM (``forceinline``) for the entry points other modules'
  loops call (:func:`mf61_forces_tan`, :func:`mf61_characteristics`: compiled once, not
  copied into each call site), and divides with IEEE semantics (``error_model="numpy"``: no
  ZeroDivisionError branch);
* no early ``return`` on a special case: zero load and zero road friction compute a value
  and select it (a divisor that would be zero is replaced first, so that the Python twin
  ``.py_func`` computes the same and never raises);
* ``p`` may be an array or a tuple of floats. A tuple is what a loop over many tyres that
  share one parameter vector should pass: its entries are constants of the loop, whereas
  loads from an array might be changed by the loop's stores and keep LLVM from vectorising.

The aligning moment (:func:`mf61_forces_moment`) keeps its branches: it is not used in lane
loops.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numba
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic, overload

from sim import fastmath as fm
from sim._arrays import kernel_array
from sim.errors import SpecError
from sim.tyre.tir import MF61_REQUIRED_KEYS, TirFile, read_tir, write_tir

#: Layout of the MF 6.1 parameter vector ``p`` (all float64, SI): position i holds the
#: ``.tir`` key ``MF61_PARAMETER_NAMES[i]``. Keys are unique across the sections used.
MF61_PARAMETER_NAMES: tuple[str, ...] = (
    # nominal values
    "FNOMIN", "UNLOADED_RADIUS", "NOMPRES",
    # scaling factors (lambda) acting on Fx / Fy
    "LFZO", "LCX", "LMUX", "LEX", "LKX", "LHX", "LVX",
    "LCY", "LMUY", "LEY", "LKY", "LHY", "LVY", "LXAL", "LYKA", "LVYKA", "LKYC",
    # scaling factors acting on the aligning moment
    "LTR", "LRES", "LS", "LKZC",
    # longitudinal force, pure and combined slip
    "PCX1", "PDX1", "PDX2", "PDX3", "PEX1", "PEX2", "PEX3", "PEX4", "PKX1", "PKX2", "PKX3",
    "PHX1", "PHX2", "PVX1", "PVX2", "PPX1", "PPX2", "PPX3", "PPX4",
    "RBX1", "RBX2", "RBX3", "RCX1", "REX1", "REX2", "RHX1",
    # lateral force, pure and combined slip
    "PCY1", "PDY1", "PDY2", "PDY3", "PEY1", "PEY2", "PEY3", "PEY4", "PEY5",
    "PKY1", "PKY2", "PKY3", "PKY4", "PKY5", "PKY6", "PKY7",
    "PHY1", "PHY2", "PVY1", "PVY2", "PVY3", "PVY4", "PPY1", "PPY2", "PPY3", "PPY4", "PPY5",
    "RBY1", "RBY2", "RBY3", "RBY4", "RCY1", "REY1", "REY2", "RHY1", "RHY2",
    "RVY1", "RVY2", "RVY3", "RVY4", "RVY5", "RVY6",
    # aligning moment: pneumatic trail, residual torque, Fx moment arm
    "QBZ1", "QBZ2", "QBZ3", "QBZ4", "QBZ5", "QBZ9", "QBZ10", "QCZ1",
    "QDZ1", "QDZ2", "QDZ3", "QDZ4", "QDZ6", "QDZ7", "QDZ8", "QDZ9", "QDZ10", "QDZ11",
    "QEZ1", "QEZ2", "QEZ3", "QEZ4", "QEZ5", "QHZ1", "QHZ2", "QHZ3", "QHZ4",
    "PPZ1", "PPZ2", "SSZ1", "SSZ2", "SSZ3", "SSZ4",
)

#: Number of entries of the parameter vector.
MF61_PARAMETER_COUNT = len(MF61_PARAMETER_NAMES)

_SECTION_OF = {
    key: section for section, keys in MF61_REQUIRED_KEYS.items() for key in keys
}


def _index(name: str) -> int:
    return MF61_PARAMETER_NAMES.index(name)


# Index constants (position of each key in p), generated from MF61_PARAMETER_NAMES.
IX_FNOMIN = _index("FNOMIN")
IX_UNLOADED_RADIUS = _index("UNLOADED_RADIUS")
IX_NOMPRES = _index("NOMPRES")
IX_LFZO = _index("LFZO")
IX_LCX = _index("LCX")
IX_LMUX = _index("LMUX")
IX_LEX = _index("LEX")
IX_LKX = _index("LKX")
IX_LHX = _index("LHX")
IX_LVX = _index("LVX")
IX_LCY = _index("LCY")
IX_LMUY = _index("LMUY")
IX_LEY = _index("LEY")
IX_LKY = _index("LKY")
IX_LHY = _index("LHY")
IX_LVY = _index("LVY")
IX_LXAL = _index("LXAL")
IX_LYKA = _index("LYKA")
IX_LVYKA = _index("LVYKA")
IX_LKYC = _index("LKYC")
IX_LTR = _index("LTR")
IX_LRES = _index("LRES")
IX_LS = _index("LS")
IX_LKZC = _index("LKZC")
IX_PCX1 = _index("PCX1")
IX_PDX1 = _index("PDX1")
IX_PDX2 = _index("PDX2")
IX_PDX3 = _index("PDX3")
IX_PEX1 = _index("PEX1")
IX_PEX2 = _index("PEX2")
IX_PEX3 = _index("PEX3")
IX_PEX4 = _index("PEX4")
IX_PKX1 = _index("PKX1")
IX_PKX2 = _index("PKX2")
IX_PKX3 = _index("PKX3")
IX_PHX1 = _index("PHX1")
IX_PHX2 = _index("PHX2")
IX_PVX1 = _index("PVX1")
IX_PVX2 = _index("PVX2")
IX_PPX1 = _index("PPX1")
IX_PPX2 = _index("PPX2")
IX_PPX3 = _index("PPX3")
IX_PPX4 = _index("PPX4")
IX_RBX1 = _index("RBX1")
IX_RBX2 = _index("RBX2")
IX_RBX3 = _index("RBX3")
IX_RCX1 = _index("RCX1")
IX_REX1 = _index("REX1")
IX_REX2 = _index("REX2")
IX_RHX1 = _index("RHX1")
IX_PCY1 = _index("PCY1")
IX_PDY1 = _index("PDY1")
IX_PDY2 = _index("PDY2")
IX_PDY3 = _index("PDY3")
IX_PEY1 = _index("PEY1")
IX_PEY2 = _index("PEY2")
IX_PEY3 = _index("PEY3")
IX_PEY4 = _index("PEY4")
IX_PEY5 = _index("PEY5")
IX_PKY1 = _index("PKY1")
IX_PKY2 = _index("PKY2")
IX_PKY3 = _index("PKY3")
IX_PKY4 = _index("PKY4")
IX_PKY5 = _index("PKY5")
IX_PKY6 = _index("PKY6")
IX_PKY7 = _index("PKY7")
IX_PHY1 = _index("PHY1")
IX_PHY2 = _index("PHY2")
IX_PVY1 = _index("PVY1")
IX_PVY2 = _index("PVY2")
IX_PVY3 = _index("PVY3")
IX_PVY4 = _index("PVY4")
IX_PPY1 = _index("PPY1")
IX_PPY2 = _index("PPY2")
IX_PPY3 = _index("PPY3")
IX_PPY4 = _index("PPY4")
IX_PPY5 = _index("PPY5")
IX_RBY1 = _index("RBY1")
IX_RBY2 = _index("RBY2")
IX_RBY3 = _index("RBY3")
IX_RBY4 = _index("RBY4")
IX_RCY1 = _index("RCY1")
IX_REY1 = _index("REY1")
IX_REY2 = _index("REY2")
IX_RHY1 = _index("RHY1")
IX_RHY2 = _index("RHY2")
IX_RVY1 = _index("RVY1")
IX_RVY2 = _index("RVY2")
IX_RVY3 = _index("RVY3")
IX_RVY4 = _index("RVY4")
IX_RVY5 = _index("RVY5")
IX_RVY6 = _index("RVY6")
IX_QBZ1 = _index("QBZ1")
IX_QBZ2 = _index("QBZ2")
IX_QBZ3 = _index("QBZ3")
IX_QBZ4 = _index("QBZ4")
IX_QBZ5 = _index("QBZ5")
IX_QBZ9 = _index("QBZ9")
IX_QBZ10 = _index("QBZ10")
IX_QCZ1 = _index("QCZ1")
IX_QDZ1 = _index("QDZ1")
IX_QDZ2 = _index("QDZ2")
IX_QDZ3 = _index("QDZ3")
IX_QDZ4 = _index("QDZ4")
IX_QDZ6 = _index("QDZ6")
IX_QDZ7 = _index("QDZ7")
IX_QDZ8 = _index("QDZ8")
IX_QDZ9 = _index("QDZ9")
IX_QDZ10 = _index("QDZ10")
IX_QDZ11 = _index("QDZ11")
IX_QEZ1 = _index("QEZ1")
IX_QEZ2 = _index("QEZ2")
IX_QEZ3 = _index("QEZ3")
IX_QEZ4 = _index("QEZ4")
IX_QEZ5 = _index("QEZ5")
IX_QHZ1 = _index("QHZ1")
IX_QHZ2 = _index("QHZ2")
IX_QHZ3 = _index("QHZ3")
IX_QHZ4 = _index("QHZ4")
IX_PPZ1 = _index("PPZ1")
IX_PPZ2 = _index("PPZ2")
IX_SSZ1 = _index("SSZ1")
IX_SSZ2 = _index("SSZ2")
IX_SSZ3 = _index("SSZ3")
IX_SSZ4 = _index("SSZ4")

#: Small number guarding divisions, as MFeval (Pacejka 2012 eq. 4.E6a): B = K / (C D + eps).
EPSILON = 1e-6


def mf61_parameter_vector(tir: TirFile) -> np.ndarray:
    """Pack a parsed MF 6.1 file into the parameter vector ``p`` (float64, SI).

    Returns a new read-only array of shape ``(MF61_PARAMETER_COUNT,)`` whose entry i is the
    value of ``MF61_PARAMETER_NAMES[i]``. Stack several with ``np.stack`` for a batch.
    """
    p = np.array(
        [tir.number(_SECTION_OF[name], name) for name in MF61_PARAMETER_NAMES],
        dtype=np.float64,
    )
    p.flags.writeable = False
    return p


# --------------------------------------------------------------------------------------
# Scalar kernels: one physics idea each, pure, no allocation.
# --------------------------------------------------------------------------------------


#: Road friction below this counts as none (forces exactly zero); see "Road friction".
MU_ROAD_ZERO = 1e-6

#: Decorator of the scalar kernels (see "Compiled kernels" in the module docstring): inlined
#: into every compiled caller at numba IR level, IEEE division (no ZeroDivisionError branch).
_kernel = numba.njit(cache=True, error_model="numpy", inline="always")
#: Decorator of the entry points that compiled callers use (:func:`mf61_forces_tan`,
#: :func:`mf61_characteristics`): compiled once as functions of their own, inlined by LLVM
#: (``forceinline``) into each caller, where the loop vectoriser then sees the whole body.
#: Inlining them at numba IR level instead cost about 9 s of numba's passes per call site.
_entry = numba.njit(cache=True, error_model="numpy", forceinline=True, _nrt=False)


@_kernel
def _sign(x):
    """+1 for x >= 0, else -1 (MFeval's convention; sign(0) = +1 keeps B finite)."""
    return 1.0 if x >= 0.0 else -1.0


@_kernel
def _magic_formula(b, c, d, e, x):
    """The Magic Formula ``D sin(C atan(B x - E (B x - atan(B x))))``."""
    bx = b * x
    return d * fm.sin(c * fm.atan(bx - e * (bx - fm.atan(bx))))


@_kernel
def _load_increment(p, fz_n):
    """Normalised load change dfz = (Fz - Fz0') / Fz0', Fz0' = LFZO FNOMIN (4.E1, 4.E2a)."""
    fz0 = p[IX_LFZO] * p[IX_FNOMIN]
    return (fz_n - fz0) / fz0


@_kernel
def _pressure_increment(p, pressure_pa):
    """Normalised pressure change dpi = (p - NOMPRES) / NOMPRES (4.E2b)."""
    return (pressure_pa - p[IX_NOMPRES]) / p[IX_NOMPRES]


@_kernel
def _mux(p, fz_n, dfz, dpi, gamma_rad, mu_road):
    """Peak longitudinal friction coefficient mux (4.E13); raw gamma, as MFeval. Zero at zero
    load (selected, not branched: see "Compiled kernels")."""
    mux = (
        (p[IX_PDX1] + p[IX_PDX2] * dfz)
        * (1.0 + p[IX_PPX3] * dpi + p[IX_PPX4] * dpi * dpi)
        * (1.0 - p[IX_PDX3] * gamma_rad * gamma_rad)
        * p[IX_LMUX] * mu_road
    )
    return mux if fz_n != 0.0 else 0.0


@_kernel
def _kxk(p, fz_n, dfz, dpi):
    """Longitudinal slip stiffness Kxk = dFx0/dkappa at kappa = -SHx [N] (4.E15), > 0."""
    return (
        fz_n * (p[IX_PKX1] + p[IX_PKX2] * dfz) * fm.exp(p[IX_PKX3] * dfz)
        * (1.0 + p[IX_PPX1] * dpi + p[IX_PPX2] * dpi * dpi) * p[IX_LKX]
    )


@_kernel
def _fx0(p, kappa, fz_n, dfz, dpi, gamma_rad, mu_road):
    """Pure longitudinal force Fx0 [N] (4.E9 to 4.E18)."""
    cx = p[IX_PCX1] * p[IX_LCX]
    mux = _mux(p, fz_n, dfz, dpi, gamma_rad, mu_road)
    dx = mux * fz_n
    bx = _kxk(p, fz_n, dfz, dpi) / (cx * dx + EPSILON * _sign(dx))
    shx = (p[IX_PHX1] + p[IX_PHX2] * dfz) * p[IX_LHX]
    svx = fz_n * (p[IX_PVX1] + p[IX_PVX2] * dfz) * p[IX_LVX] * p[IX_LMUX] * mu_road
    kappa_x = kappa + shx
    ex = (
        (p[IX_PEX1] + p[IX_PEX2] * dfz + p[IX_PEX3] * dfz * dfz)
        * (1.0 - p[IX_PEX4] * _sign(kappa_x)) * p[IX_LEX]
    )
    ex = min(ex, 1.0)
    return _magic_formula(bx, cx, dx, ex, kappa_x) + svx


@_kernel
def _muy(p, fz_n, dfz, dpi, gamma_star, mu_road):
    """Peak lateral friction coefficient muy (4.E23), gamma* = sin(gamma); zero at zero load."""
    muy = (
        (p[IX_PDY1] + p[IX_PDY2] * dfz)
        * (1.0 + p[IX_PPY3] * dpi + p[IX_PPY4] * dpi * dpi)
        * (1.0 - p[IX_PDY3] * gamma_star * gamma_star)
        * p[IX_LMUY] * mu_road
    )
    return muy if fz_n != 0.0 else 0.0


@_kernel
def _kya(p, fz_n, dpi, gamma_star):
    """Cornering stiffness Kya = dFy0/dalpha* [N/rad] (4.E25); ISO-W sign, < 0 normally."""
    fz0 = p[IX_LFZO] * p[IX_FNOMIN]
    return (
        p[IX_PKY1] * fz0 * (1.0 + p[IX_PPY1] * dpi)
        * (1.0 - p[IX_PKY3] * abs(gamma_star))
        * fm.sin(
            p[IX_PKY4] * fm.atan(
                (fz_n / fz0)
                / ((p[IX_PKY2] + p[IX_PKY5] * gamma_star * gamma_star)
                   * (1.0 + p[IX_PPY2] * dpi))
            )
        )
        * p[IX_LKY]
    )


@_kernel
def _fy0(p, alpha_star, fz_n, dfz, dpi, gamma_star, mu_road):
    """Pure lateral force Fy0 [N] (4.E19 to 4.E30, camber via Kyg0 and SVyg).

    Returns ``(fy0, muy, kya, shy, svy, by, cy)``: the force and the terms the aligning
    moment reuses.
    """
    kya = _kya(p, fz_n, dpi, gamma_star)
    svyg = fz_n * (p[IX_PVY3] + p[IX_PVY4] * dfz) * gamma_star * p[IX_LKYC] \
        * p[IX_LMUY] * mu_road
    kyg0 = fz_n * (p[IX_PKY6] + p[IX_PKY7] * dfz) * (1.0 + p[IX_PPY5] * dpi) * p[IX_LKYC]
    shy = (p[IX_PHY1] + p[IX_PHY2] * dfz) * p[IX_LHY] \
        + (kyg0 * gamma_star - svyg) / (kya + EPSILON * _sign(kya))
    svy = fz_n * (p[IX_PVY1] + p[IX_PVY2] * dfz) * p[IX_LVY] * p[IX_LMUY] * mu_road + svyg
    alpha_y = alpha_star + shy
    cy = p[IX_PCY1] * p[IX_LCY]
    muy = _muy(p, fz_n, dfz, dpi, gamma_star, mu_road)
    dy = muy * fz_n
    ey = (
        (p[IX_PEY1] + p[IX_PEY2] * dfz)
        * (1.0 + p[IX_PEY5] * gamma_star * gamma_star
           - (p[IX_PEY3] + p[IX_PEY4] * gamma_star) * _sign(alpha_y))
        * p[IX_LEY]
    )
    ey = min(ey, 1.0)
    by = kya / (cy * dy + EPSILON * _sign(dy))
    return _magic_formula(by, cy, dy, ey, alpha_y) + svy, muy, kya, shy, svy, by, cy


@_kernel
def _gxa(p, kappa, alpha_star, gamma_star, dfz):
    """Combined-slip weight Gxa of Fx (4.E51 to 4.E57): 1 at alpha* = 0, falls with |alpha|."""
    cxa = p[IX_RCX1]
    exa = min(p[IX_REX1] + p[IX_REX2] * dfz, 1.0)
    shxa = p[IX_RHX1]
    bxa = (p[IX_RBX1] + p[IX_RBX3] * gamma_star * gamma_star) \
        * fm.cos_atan(p[IX_RBX2] * kappa) * p[IX_LXAL]
    g0 = _magic_formula_cos(bxa, cxa, exa, shxa)
    return _magic_formula_cos(bxa, cxa, exa, alpha_star + shxa) / g0


@_kernel
def _gyk(p, kappa, alpha_star, gamma_star, dfz):
    """Combined-slip weight Gyk of Fy (4.E59 to 4.E65): 1 at kappa = 0, falls with |kappa|."""
    cyk = p[IX_RCY1]
    eyk = min(p[IX_REY1] + p[IX_REY2] * dfz, 1.0)
    shyk = p[IX_RHY1] + p[IX_RHY2] * dfz
    byk = (p[IX_RBY1] + p[IX_RBY4] * gamma_star * gamma_star) \
        * fm.cos_atan(p[IX_RBY2] * (alpha_star - p[IX_RBY3])) * p[IX_LYKA]
    g0 = _magic_formula_cos(byk, cyk, eyk, shyk)
    return _magic_formula_cos(byk, cyk, eyk, kappa + shyk) / g0


@_kernel
def _magic_formula_cos(b, c, e, x):
    """The weighting-function shape ``cos(C atan(B x - E (B x - atan(B x))))``."""
    bx = b * x
    return fm.cos(c * fm.atan(bx - e * (bx - fm.atan(bx))))


@_kernel
def _svyk(p, kappa, alpha_star, gamma_star, fz_n, dfz, muy):
    """Kappa-induced side force SVyk [N] (4.E66, 4.E67)."""
    dvyk = muy * fz_n * (p[IX_RVY1] + p[IX_RVY2] * dfz + p[IX_RVY3] * gamma_star) \
        * fm.cos_atan(p[IX_RVY4] * alpha_star)
    return dvyk * fm.sin(p[IX_RVY5] * fm.atan(p[IX_RVY6] * kappa)) * p[IX_LVYKA]


@_kernel
def mf61_forces(p, kappa, alpha_rad, gamma_rad, fz_n, pressure_pa, mu_road):
    """Combined-slip MF 6.1 forces of one tyre: ``(fx_n, fy_n)`` [N], ISO-W axes.

    Parameters: ``p`` the parameter vector (:data:`MF61_PARAMETER_NAMES`), ``kappa`` [-],
    ``alpha_rad`` [rad] (|alpha| < pi/2), ``gamma_rad`` [rad], ``fz_n`` [N] (<= 0 gives
    (0, 0)), ``pressure_pa`` [Pa], ``mu_road`` [-]. Fx = Gxa Fx0, Fy = Gyk Fy0 + SVyk.
    Fx > 0 for kappa > 0; Fy < 0 for alpha > 0. Pure, compiled, no checks.
    """
    return mf61_forces_tan(p, kappa, fm.tan(alpha_rad), gamma_rad, fz_n, pressure_pa,
                           mu_road)


@_entry
def mf61_forces_tan(p, kappa, alpha_star, gamma_rad, fz_n, pressure_pa, mu_road):
    """:func:`mf61_forces` with the slip angle given as ``alpha_star = tan(alpha) = V_sy/|V_x|``
    (what the Magic Formula uses, MFeval's alpha*), for callers that have the velocity ratio
    and need not take ``atan`` then ``tan``. Road friction by similarity (module docstring)."""
    road = mu_road >= MU_ROAD_ZERO
    mu = mu_road if road else 1.0  # no division by zero; the result is selected away
    fx, fy = _forces_on_file_road(p, kappa / mu, alpha_star / mu, gamma_rad, fz_n, pressure_pa)
    return (mu * fx if road else 0.0), (mu * fy if road else 0.0)


@_kernel
def _forces_on_file_road(p, kappa, alpha_star, gamma_rad, fz_n, pressure_pa):
    """Combined-slip (Fx, Fy) [N] on the road the file was fitted on (4.E9 to 4.E67)."""
    fz = max(fz_n, 0.0)
    dfz = _load_increment(p, fz)
    dpi = _pressure_increment(p, pressure_pa)
    gamma_star = fm.sin(gamma_rad)
    fx0 = _fx0(p, kappa, fz, dfz, dpi, gamma_rad, 1.0)
    fy0, muy, _, _, _, _, _ = _fy0(p, alpha_star, fz, dfz, dpi, gamma_star, 1.0)
    fx = _gxa(p, kappa, alpha_star, gamma_star, dfz) * fx0
    fy = _gyk(p, kappa, alpha_star, gamma_star, dfz) * fy0 \
        + _svyk(p, kappa, alpha_star, gamma_star, fz, dfz, muy)
    return fx, fy


@_kernel
def _equivalent_slip_angle(alpha_t, kxk, kya_prime, kappa):
    """Combined-slip equivalent angle ``atan(sqrt(tan^2 a + (Kxk/Kya')^2 kappa^2)) sgn a``.

    MFeval's form (Besselink et al. 2010, eqs. A54/A55) of Pacejka 2012 eqs. 4.E77/4.E78.
    """
    ratio = kxk / kya_prime * kappa
    t = fm.tan(alpha_t)
    return fm.atan(math.sqrt(t * t + ratio * ratio)) * _sign(alpha_t)


@_kernel
def _trail(p, alpha_t, alpha_t_eq, fz_n, dfz, dpi, gamma_rad, gamma_star, mu_road, cos_a):
    """Pneumatic trail t [m] (4.E33, 4.E40 to 4.E44, 4.E73), MFeval's MF 6.1 variant.

    Bt and Dt use the raw camber angle (paper eqs. A58/A60), Et the pure-slip angle
    ``alpha_t``, the cosine ``alpha_t_eq``; the result is scaled by LFZO as MFeval does.
    """
    bt = (
        (p[IX_QBZ1] + p[IX_QBZ2] * dfz + p[IX_QBZ3] * dfz * dfz)
        * (1.0 + p[IX_QBZ4] * gamma_rad + p[IX_QBZ5] * abs(gamma_rad))
        * p[IX_LKY] / (p[IX_LMUY] * mu_road)
    )
    ct = p[IX_QCZ1]
    dt = (
        (p[IX_QDZ1] + p[IX_QDZ2] * dfz) * (1.0 - p[IX_PPZ1] * dpi)
        * (1.0 + p[IX_QDZ3] * gamma_rad + p[IX_QDZ4] * gamma_rad * gamma_rad)
        * fz_n * p[IX_UNLOADED_RADIUS] / (p[IX_LFZO] * p[IX_FNOMIN]) * p[IX_LTR]
    )
    et = (
        (p[IX_QEZ1] + p[IX_QEZ2] * dfz + p[IX_QEZ3] * dfz * dfz)
        * (1.0 + (p[IX_QEZ4] + p[IX_QEZ5] * gamma_star) * (2.0 / math.pi)
           * fm.atan(bt * ct * alpha_t))
    )
    et = min(et, 1.0)
    return dt * _magic_formula_cos(bt, ct, et, alpha_t_eq) * cos_a * p[IX_LFZO]


@_kernel
def _residual_torque(p, alpha_r_eq, alpha_star, fz_n, dfz, dpi, gamma_star, mu_road, by, cy):
    """Residual aligning torque Mzr [N m] (4.E45 to 4.E47, 4.E75), as MFeval."""
    lmuy = p[IX_LMUY] * mu_road
    br = p[IX_QBZ9] * p[IX_LKY] / lmuy + p[IX_QBZ10] * by * cy
    dr = (
        fz_n * p[IX_UNLOADED_RADIUS]
        * ((p[IX_QDZ6] + p[IX_QDZ7] * dfz) * p[IX_LRES]
           + ((p[IX_QDZ8] + p[IX_QDZ9] * dfz) * (1.0 + p[IX_PPZ2] * dpi)
              + (p[IX_QDZ10] + p[IX_QDZ11] * dfz) * abs(gamma_star))
           * gamma_star * p[IX_LKZC])
        * lmuy * fm.cos(alpha_star)
    )
    return dr * fm.cos_atan(br * alpha_r_eq)


@_kernel
def _fx_moment_arm(p, fy_n, dfz, gamma_rad):
    """Moment arm s [m] of Fx about the z axis (4.E76 / paper A56: FNOMIN, raw camber)."""
    return p[IX_UNLOADED_RADIUS] * (
        p[IX_SSZ1] + p[IX_SSZ2] * fy_n / p[IX_FNOMIN]
        + (p[IX_SSZ3] + p[IX_SSZ4] * dfz) * gamma_rad
    ) * p[IX_LS]


@_kernel
def mf61_forces_moment(p, kappa, alpha_rad, gamma_rad, fz_n, pressure_pa, mu_road):
    """Combined-slip MF 6.1 ``(fx_n, fy_n, mz_nm)`` of one tyre, ISO-W axes.

    Same arguments and forces as :func:`mf61_forces`, plus the aligning moment Mz [N m]
    about the tyre z axis (up): ``Mz = -t Fy' + Mzr + s Fx`` (4.E71, 4.E72), positive for
    alpha > 0 on a normal tyre (it turns the wheel back towards alpha = 0). MFeval's
    ``cos(alpha')`` with ``V_c + 1e-6`` is ``cos(alpha)`` here (no speed): relative
    difference below 1e-6 / V_c. Zero load or zero friction gives (0, 0, 0) moment terms.
    """
    if mu_road < MU_ROAD_ZERO:
        return 0.0, 0.0, 0.0
    fx, fy, mz = _forces_moment_on_file_road(p, kappa / mu_road,
                                             fm.tan(alpha_rad) / mu_road, gamma_rad, fz_n,
                                             pressure_pa)
    return mu_road * fx, mu_road * fy, mu_road * mz


@_kernel
def _forces_moment_on_file_road(p, kappa, alpha_star, gamma_rad, fz_n, pressure_pa):
    """(Fx, Fy, Mz) on the road the file was fitted on (4.E9 to 4.E78)."""
    mu_road = 1.0
    fz = max(fz_n, 0.0)
    dfz = _load_increment(p, fz)
    dpi = _pressure_increment(p, pressure_pa)
    gamma_star = fm.sin(gamma_rad)
    fx0 = _fx0(p, kappa, fz, dfz, dpi, gamma_rad, mu_road)
    fy0, muy, kya, shy, svy, by, cy = _fy0(p, alpha_star, fz, dfz, dpi, gamma_star, mu_road)
    gyk = _gyk(p, kappa, alpha_star, gamma_star, dfz)
    fx = _gxa(p, kappa, alpha_star, gamma_star, dfz) * fx0
    fy = gyk * fy0 + _svyk(p, kappa, alpha_star, gamma_star, fz, dfz, muy)
    if fz == 0.0 or p[IX_LMUY] == 0.0:
        return fx, fy, 0.0
    kya_prime = kya + EPSILON * _sign(kya)
    kxk = _kxk(p, fz, dfz, dpi)
    alpha_r = alpha_star + shy + svy / kya_prime
    alpha_t = alpha_star + p[IX_QHZ1] + p[IX_QHZ2] * dfz \
        + (p[IX_QHZ3] + p[IX_QHZ4] * dfz) * gamma_star
    alpha_r_eq = _equivalent_slip_angle(alpha_r, kxk, kya_prime, kappa)
    alpha_t_eq = _equivalent_slip_angle(alpha_t, kxk, kya_prime, kappa)
    fy0_upright = _fy0(p, alpha_star, fz, dfz, dpi, 0.0, mu_road)[0]
    trail = _trail(p, alpha_t, alpha_t_eq, fz, dfz, dpi, gamma_rad, gamma_star, mu_road,
                   fm.cos_atan(alpha_star))
    mzr = _residual_torque(p, alpha_r_eq, alpha_star, fz, dfz, dpi, gamma_star, mu_road,
                           by, cy)
    mz = -trail * gyk * fy0_upright + mzr + _fx_moment_arm(p, fy, dfz, gamma_rad) * fx
    return fx, fy, mz


@_entry
def mf61_characteristics(p, fz_n, gamma_rad, pressure_pa, mu_road):
    """Slip stiffnesses and peak friction of one tyre: ``(kxk_n, kya_n_per_rad, mux, muy)``.

    ``kxk_n`` [N per unit slip] > 0; ``kya_n_per_rad`` [N/rad], ISO-W sign (< 0 for a normal
    tyre); ``mux``, ``muy`` [-] peak coefficients with the file's sign (> 0 for MFeval-style
    files), including ``mu_road``. Kxk and Kya do not depend on ``mu_road``.
    """
    fz = max(fz_n, 0.0)
    dfz = _load_increment(p, fz)
    dpi = _pressure_increment(p, pressure_pa)
    gamma_star = fm.sin(gamma_rad)
    return (
        _kxk(p, fz, dfz, dpi),
        _kya(p, fz, dpi, gamma_star),
        _mux(p, fz, dfz, dpi, gamma_rad, mu_road),
        _muy(p, fz, dfz, dpi, gamma_star, mu_road),
    )


def parameter_row(table, row):
    """Row ``row`` of a C-contiguous (R, :data:`MF61_PARAMETER_COUNT`) table of parameter
    vectors as a tuple of floats. Compiled: one load of the whole row as a tuple, so that a
    loop reads the tyre's parameters as constants (in registers, the same for every lane of
    the chassis' lane loops) rather than as memory that a store in the loop might change,
    which would stop the vectoriser; and every compiled caller, the chassis and the numpy
    edges below alike, evaluates the one tuple specialisation of the kernels."""
    return tuple(float(v) for v in table[row])


@intrinsic
def _parameter_row_intrinsic(typingctx, table, row):
    row_type = types.UniTuple(types.float64, MF61_PARAMETER_COUNT)

    def codegen(context, builder, signature, args):
        array = context.make_array(signature.args[0])(context, builder, args[0])
        start = builder.mul(args[1], ir.Constant(args[1].type, MF61_PARAMETER_COUNT))
        return builder.load(builder.gep(array.data, [start]),
                            typ=context.get_value_type(row_type))

    return row_type(table, row), codegen


@overload(parameter_row, inline="always")
def _parameter_row_overload(table, row):
    if (isinstance(table, types.Array) and table.ndim == 2 and table.layout == "C"
            and table.dtype == types.float64 and isinstance(row, types.Integer)):
        def impl(table, row):
            return _parameter_row_intrinsic(table, row)
        return impl
    return None


@numba.njit(cache=True, error_model="numpy")
def _forces_many(p2d, tyre, kappa, alpha, gamma, fz, pressure, mu, fx_out, fy_out):
    for i in range(kappa.size):
        fx, fy = mf61_forces(parameter_row(p2d, tyre[i]), kappa[i], alpha[i], gamma[i], fz[i],
                             pressure[i], mu[i])
        fx_out[i] = fx
        fy_out[i] = fy


@numba.njit(cache=True, error_model="numpy")
def _moment_many(p2d, tyre, kappa, alpha, gamma, fz, pressure, mu, mz_out):
    for i in range(kappa.size):
        mz_out[i] = mf61_forces_moment(parameter_row(p2d, tyre[i]), kappa[i], alpha[i],
                                       gamma[i], fz[i], pressure[i], mu[i])[2]


@numba.njit(cache=True, error_model="numpy")
def _characteristics_many(p2d, tyre, fz, gamma, pressure, mu, kxk, kya, mux, muy):
    for i in range(fz.size):
        a, b, c, d = mf61_characteristics(parameter_row(p2d, tyre[i]), fz[i], gamma[i],
                                          pressure[i], mu[i])
        kxk[i] = a
        kya[i] = b
        mux[i] = c
        muy[i] = d


# --------------------------------------------------------------------------------------
# Vectorised entry points for numpy callers (validate, broadcast, call the kernels).
# --------------------------------------------------------------------------------------

_ARG = "<argument>"


def _checked_parameters(p) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    if p.ndim < 1 or p.shape[-1] != MF61_PARAMETER_COUNT:
        raise SpecError(_ARG, "p", p.shape,
                        f"must have shape (..., {MF61_PARAMETER_COUNT}) laid out by "
                        "MF61_PARAMETER_NAMES (see mf61_parameter_vector)")
    if not np.all(np.isfinite(p)):
        raise SpecError(_ARG, "p", "non-finite entry", "every parameter must be finite")
    return p


def _checked(name: str, value, low: float, high: float, low_open: bool, unit: str):
    a = np.asarray(value, dtype=np.float64)
    bad = ~np.isfinite(a)
    bad |= (a <= low) if low_open else (a < low)
    bad |= a >= high
    if np.any(bad):
        first = float(a[bad].flat[0]) if a.ndim else float(a)
        low_text = f"> {low:g}" if low_open else f">= {low:g}"
        high_text = "" if math.isinf(high) else f" and < {high:g}"
        raise SpecError(_ARG, name, first, f"must be finite, {low_text}{high_text} {unit}")
    return a


def _flatten(p, args):
    """Broadcast p (..., P) and the argument arrays; return flat arrays and the shape.

    Every array handed to the compiled loops is C-contiguous and **writable**: numba compiles
    one specialisation per argument type, and a read-only array (a frozen vehicle's tyre
    vector, a broadcast scalar) is another type than a writable one; mixing them made the
    first two-track result compile ``_forces_many`` twice (``tools/compile_profile.py``)."""
    shape = np.broadcast_shapes(p.shape[:-1], *(a.shape for a in args))
    p2d = kernel_array(p.reshape(-1, MF61_PARAMETER_COUNT))
    tyre = np.broadcast_to(
        np.arange(p2d.shape[0], dtype=np.int64).reshape(p.shape[:-1]), shape
    ).ravel()
    flat = [kernel_array(np.broadcast_to(a, shape)).ravel() for a in args]
    return p2d, kernel_array(tyre, np.int64), flat, shape


def _shaped(values, shape):
    return float(values[0]) if shape == () else values.reshape(shape)


def _common_inputs(p, fz_n, gamma_rad, pressure_pa, mu_road):
    p = _checked_parameters(p)
    fz = _checked("fz_n", fz_n, 0.0, math.inf, False, "N (wheel load)")
    gamma = _checked("gamma_rad", gamma_rad, -math.pi / 2, math.pi / 2, True, "rad")
    if pressure_pa is None:
        pressure = p[..., IX_NOMPRES]
    else:
        pressure = _checked("pressure_pa", pressure_pa, 0.0, math.inf, True,
                            "Pa (absolute inflation pressure, like NOMPRES; not bar)")
        if np.any(pressure < 1000.0):
            raise SpecError(_ARG, "pressure_pa", float(np.min(pressure)),
                            "an inflation pressure in Pa (>= 1000; a value this small looks "
                            "like bar: 2.5 bar = 250000 Pa)")
    mu = _checked("mu_road", mu_road, 0.0, math.inf, False, "(road friction factor)")
    return p, fz, gamma, pressure, mu


def evaluate(p, kappa, alpha_rad, *, fz_n, gamma_rad=0.0, pressure_pa=None, mu_road=1.0):
    """MF 6.1 combined-slip forces for numpy inputs: ``(fx_n, fy_n)`` [N], ISO-W axes.

    Parameters
    ----------
    p : array (..., MF61_PARAMETER_COUNT)
        Parameter vector(s) from :func:`mf61_parameter_vector`; leading axes broadcast.
    kappa : array_like
        Longitudinal slip [-]; > 0 driving (Fx > 0), < 0 braking.
    alpha_rad : array_like
        Slip angle [rad], |alpha| < pi/2, ISO-W: alpha > 0 gives Fy < 0.
    fz_n : array_like
        Wheel load [N], finite and >= 0 (keyword).
    gamma_rad : array_like
        Inclination angle [rad], |gamma| < pi/2.
    pressure_pa : array_like or None
        Inflation pressure [Pa]; None means each tyre's NOMPRES.
    mu_road : array_like
        Road friction factor [-] >= 0 scaling the peak friction (not the stiffness).

    Returns
    -------
    (fx_n, fy_n) : floats for scalar inputs and a single tyre, else arrays of the broadcast
    shape. Every input is checked first; a bad one raises :class:`SpecError` naming it.
    """
    p, fz, gamma, pressure, mu = _common_inputs(p, fz_n, gamma_rad, pressure_pa, mu_road)
    kappa = _checked("kappa", kappa, -math.inf, math.inf, True, "(longitudinal slip)")
    alpha = _checked("alpha_rad", alpha_rad, -math.pi / 2, math.pi / 2, True, "rad")
    p2d, tyre, flat, shape = _flatten(p, (kappa, alpha, gamma, fz, pressure, mu))
    fx = np.empty(tyre.size)
    fy = np.empty(tyre.size)
    _forces_many(p2d, tyre, *flat, fx, fy)
    return _shaped(fx, shape), _shaped(fy, shape)


def aligning_moment_nm(p, kappa, alpha_rad, *, fz_n, gamma_rad=0.0, pressure_pa=None,
                       mu_road=1.0):
    """MF 6.1 combined-slip aligning moment Mz [N m] about the ISO-W z axis (up).

    Same arguments, checks and broadcasting as :func:`evaluate`. Mz > 0 for alpha > 0 on a
    normal tyre (self-aligning); MFeval's equations (pneumatic trail, residual torque and
    the Fx moment arm s), see :func:`mf61_forces_moment`.
    """
    p, fz, gamma, pressure, mu = _common_inputs(p, fz_n, gamma_rad, pressure_pa, mu_road)
    kappa = _checked("kappa", kappa, -math.inf, math.inf, True, "(longitudinal slip)")
    alpha = _checked("alpha_rad", alpha_rad, -math.pi / 2, math.pi / 2, True, "rad")
    p2d, tyre, flat, shape = _flatten(p, (kappa, alpha, gamma, fz, pressure, mu))
    mz = np.empty(tyre.size)
    _moment_many(p2d, tyre, *flat, mz)
    return _shaped(mz, shape)


def _characteristics(p, fz_n, gamma_rad, pressure_pa, mu_road):
    p, fz, gamma, pressure, mu = _common_inputs(p, fz_n, gamma_rad, pressure_pa, mu_road)
    p2d, tyre, flat, shape = _flatten(p, (fz, gamma, pressure, mu))
    out = [np.empty(tyre.size) for _ in range(4)]
    _characteristics_many(p2d, tyre, *flat, *out)
    return tuple(_shaped(values, shape) for values in out)


def slip_stiffness_kxk(p, fz_n, *, pressure_pa=None):
    """Longitudinal slip stiffness Kxk = dFx/dkappa [N per unit slip], > 0 (MF eq. 4.E15).

    At wheel load ``fz_n`` [N] and pressure ``pressure_pa`` [Pa] (None: NOMPRES). Camber and
    road friction do not change it. Same broadcasting as :func:`evaluate`.
    """
    return _characteristics(p, fz_n, 0.0, pressure_pa, 1.0)[0]


def cornering_stiffness_kya(p, fz_n, *, gamma_rad=0.0, pressure_pa=None):
    """Cornering stiffness Kya = dFy/dalpha [N/rad], ISO-W sign: **negative** (eq. 4.E25).

    At wheel load ``fz_n`` [N], camber ``gamma_rad`` and pressure ``pressure_pa`` [Pa]
    (None: NOMPRES). Not changed by road friction. For a bicycle model's positive
    stiffness use :func:`linear_cornering_stiffness_n_per_rad`.
    """
    return _characteristics(p, fz_n, gamma_rad, pressure_pa, 1.0)[1]


def linear_cornering_stiffness_n_per_rad(p, fz_n, *, gamma_rad=0.0, pressure_pa=None):
    """Positive cornering stiffness ``C = -Kya`` [N/rad] for linear / bicycle models.

    With it, a textbook model writes ``F_y = C alpha_textbook`` where
    ``alpha_textbook = -alpha_ISO-W``; :class:`sim.tyre.linear.LinearTyre` takes this value
    as ``cornering_stiffness_n_per_rad`` and keeps the ISO-W sign itself.
    """
    return -cornering_stiffness_kya(p, fz_n, gamma_rad=gamma_rad, pressure_pa=pressure_pa)


def peak_friction(p, fz_n, *, gamma_rad=0.0, pressure_pa=None, mu_road=1.0):
    """Peak friction coefficients ``(mux, muy)`` [-] of MF 6.1 (eqs. 4.E13, 4.E23).

    ``D = mu Fz`` is the peak of the pure-slip curve when shifts are zero. Sign as in the file
    (positive for MFeval-style files, where PDY1 > 0); scaled by ``mu_road``. mux uses the raw
    camber angle, muy sin(gamma), as MFeval.
    """
    _, _, mux, muy = _characteristics(p, fz_n, gamma_rad, pressure_pa, mu_road)
    return mux, muy


#: Plausible inflation pressures of a car tyre [Pa] (absolute or gauge, as files differ):
#: 0.5 to 10 bar. A value below it is usually bar or psi written where Pa belongs.
PLAUSIBLE_PRESSURE_PA = (5.0e4, 1.0e6)


def _check_pressure(tir: TirFile, key: str) -> None:
    value = tir["OPERATING_CONDITIONS"].get(key)
    if value is None or isinstance(value, str):
        return
    value = float(value)
    field = f"OPERATING_CONDITIONS.{key}"
    low, high = PLAUSIBLE_PRESSURE_PA
    if not low <= value <= high:
        hint = ""
        if 0.5 <= value <= 10.0:
            hint = f"; {value:g} looks like bar: {value:g} bar = {value * 1e5:.0f} Pa"
        elif 7.0 <= value <= 150.0:
            hint = f"; {value:g} looks like psi: {value:g} psi = {value * 6894.757:.0f} Pa"
        raise SpecError(tir.source, field, value,
                        f"an inflation pressure in Pa, {low:.0f}..{high:.0f}{hint}")
    pres = tir.sections.get("INFLATION_PRESSURE_RANGE", {})
    pmin, pmax = pres.get("PRESMIN"), pres.get("PRESMAX")
    if isinstance(pmin, int | float) and isinstance(pmax, int | float) \
            and not float(pmin) <= value <= float(pmax):
        raise SpecError(tir.source, field, value,
                        f"within the file's own INFLATION_PRESSURE_RANGE PRESMIN..PRESMAX = "
                        f"{float(pmin):g}..{float(pmax):g} Pa (the range the model was fitted "
                        "over)")


def check_tyre_physics(tir: TirFile, p: np.ndarray) -> None:
    """Load-time sanity of an MF 6.1 file whose coefficients are well formed: raise
    :class:`SpecError` naming the file and the key when they make no physical sense.

    * NOMPRES and INFLPRES are plausible pressures in Pa (0.5..10 bar, a bar or psi value is
      named as such) and lie within PRESMIN..PRESMAX;
    * the shape factors PCX1, PCY1 are > 0 and the friction coefficients give a finite,
      non-zero peak (PDX1, PDY1);
    * at FNOMIN: slip stiffness Kxk > 0 (PKX1) and cornering stiffness Kya < 0 (PKY1, ISO-W);
    * at 0.5 FNOMIN, FNOMIN and FZMAX (when given): Fx > 0 for kappa > 0 and Fy < 0 for
      alpha > 0 (ISO-W; slips 0.02, 0.1, 0.3) on the file's own road.
    """
    for key in ("NOMPRES", "INFLPRES"):
        _check_pressure(tir, key)
    for section, key, rule in (("LONGITUDINAL_COEFFICIENTS", "PCX1", "> 0 (shape factor Cx)"),
                               ("LATERAL_COEFFICIENTS", "PCY1", "> 0 (shape factor Cy)")):
        value = tir.number(section, key)
        if not value > 0.0:
            raise SpecError(tir.source, f"{section}.{key}", value,
                            f"{rule}: with it <= 0 the force curve has the wrong shape or sign")
    fnomin = float(p[IX_FNOMIN])
    kxk, kya, mux, muy = _characteristics(p, fnomin, 0.0, None, 1.0)
    for section, key, value, ok, rule in (
            ("LONGITUDINAL_COEFFICIENTS", "PDX1", mux, math.isfinite(mux) and mux != 0.0,
             "a finite, non-zero peak friction mux at FNOMIN"),
            ("LATERAL_COEFFICIENTS", "PDY1", muy, math.isfinite(muy) and muy != 0.0,
             "a finite, non-zero peak friction muy at FNOMIN"),
            ("LONGITUDINAL_COEFFICIENTS", "PKX1", kxk, kxk > 0.0,
             "a positive slip stiffness Kxk at FNOMIN"),
            ("LATERAL_COEFFICIENTS", "PKY1", kya, kya < 0.0,
             "a negative cornering stiffness Kya at FNOMIN (ISO-W: alpha > 0 gives Fy < 0)")):
        if not ok:
            raise SpecError(tir.source, f"{section}.{key}", tir.number(section, key),
                            f"the coefficients must give {rule}; they give {value:.6g}")
    fzmax = tir.sections.get("VERTICAL_FORCE_RANGE", {}).get("FZMAX")
    loads = [0.5 * fnomin, fnomin]
    if isinstance(fzmax, int | float) and float(fzmax) > 0.0:
        loads.append(float(fzmax))
    slips = np.array([0.02, 0.1, 0.3])
    for fz in loads:
        fx, _ = evaluate(p, slips, 0.0, fz_n=fz)
        _, fy = evaluate(p, 0.0, slips, fz_n=fz)
        for name, force, bad, want in (("Fx", fx, ~(fx > 0.0), "Fx > 0 for kappa > 0"),
                                       ("Fy", fy, ~(fy < 0.0), "Fy < 0 for alpha > 0")):
            if np.any(bad):
                i = int(np.flatnonzero(bad)[0])
                section = "LONGITUDINAL_COEFFICIENTS" if name == "Fx" \
                    else "LATERAL_COEFFICIENTS"
                raise SpecError(tir.source, section, f"{name} = {force[i]:.6g} N at slip "
                                f"{slips[i]:g}, Fz = {fz:g} N",
                                f"coefficients giving {want} (ISO-W) at every load up to "
                                "FZMAX: this file's curve has the wrong sign there")


@dataclass(frozen=True, eq=False)
class MF61Tyre:
    """An MF 6.1 tyre: the parsed ``.tir`` file and its packed parameter vector.

    Attributes
    ----------
    tir : TirFile
        The parsed file (every key, including those the model does not use).
    parameters : np.ndarray
        Read-only parameter vector ``p`` (:data:`MF61_PARAMETER_NAMES` layout).
    """

    tir: TirFile
    parameters: np.ndarray

    @classmethod
    def from_tir(cls, path: str | Path) -> MF61Tyre:
        """Read and validate a ``.tir`` file (errors name the file, section and key)."""
        return cls.from_parsed(read_tir(path))

    @classmethod
    def from_parsed(cls, tir: TirFile) -> MF61Tyre:
        """Build from an already parsed :class:`TirFile`; the file's physics is checked
        first (:func:`check_tyre_physics`)."""
        parameters = mf61_parameter_vector(tir)
        check_tyre_physics(tir, parameters)
        return cls(tir=tir, parameters=parameters)

    @property
    def source(self) -> str:
        """The file the parameters came from."""
        return self.tir.source

    def to_tir(self, path: str | Path) -> None:
        """Write the tyre's ``.tir`` file (all keys, original layout and comments)."""
        write_tir(self.tir, path)

    def evaluate(self, kappa, alpha_rad, *, fz_n, gamma_rad=0.0, pressure_pa=None,
                 mu_road=1.0):
        """Combined-slip forces ``(fx_n, fy_n)`` [N], ISO-W; see :func:`evaluate`."""
        return evaluate(self.parameters, kappa, alpha_rad, fz_n=fz_n, gamma_rad=gamma_rad,
                        pressure_pa=pressure_pa, mu_road=mu_road)

    def aligning_moment_nm(self, kappa, alpha_rad, *, fz_n, gamma_rad=0.0, pressure_pa=None,
                           mu_road=1.0):
        """Aligning moment Mz [N m], ISO-W z up; see :func:`aligning_moment_nm`."""
        return aligning_moment_nm(self.parameters, kappa, alpha_rad, fz_n=fz_n,
                                  gamma_rad=gamma_rad, pressure_pa=pressure_pa,
                                  mu_road=mu_road)

    def slip_stiffness_kxk(self, fz_n, *, pressure_pa=None):
        """Kxk [N per unit slip] > 0; see :func:`slip_stiffness_kxk`."""
        return slip_stiffness_kxk(self.parameters, fz_n, pressure_pa=pressure_pa)

    def cornering_stiffness_kya(self, fz_n, *, gamma_rad=0.0, pressure_pa=None):
        """Kya [N/rad] < 0 (ISO-W); see :func:`cornering_stiffness_kya`."""
        return cornering_stiffness_kya(self.parameters, fz_n, gamma_rad=gamma_rad,
                                       pressure_pa=pressure_pa)

    def linear_cornering_stiffness_n_per_rad(self, fz_n, *, gamma_rad=0.0, pressure_pa=None):
        """C = -Kya [N/rad] > 0; see :func:`linear_cornering_stiffness_n_per_rad`."""
        return linear_cornering_stiffness_n_per_rad(self.parameters, fz_n,
                                                    gamma_rad=gamma_rad,
                                                    pressure_pa=pressure_pa)

    def peak_friction(self, fz_n, *, gamma_rad=0.0, pressure_pa=None, mu_road=1.0):
        """Peak friction ``(mux, muy)`` [-]; see :func:`peak_friction`."""
        return peak_friction(self.parameters, fz_n, gamma_rad=gamma_rad,
                             pressure_pa=pressure_pa, mu_road=mu_road)
