"""Vectorisable double-precision ``atan``, ``sin``, ``cos``, ``tan`` and ``exp`` for numba.

PyPI's llvmlite has no vector maths library (``numba -s``: "SVML Operational: False"), so a
compiled loop that calls ``math.sin`` or ``math.atan`` stays scalar: LLVM has no vector
version of the libm call. The functions here are written in plain arithmetic (fused
multiply-add, division, ``sqrt``, comparisons turned into selects, integer bit tricks), so
LLVM's loop vectoriser turns ``for i in range(n): out[i] = atan(x[i])`` into packed AVX2 /
AVX-512 code. They are scalar ``@numba.njit`` functions, callable from any compiled code and
inlined by LLVM; each is also plain Python (``.py_func``) that returns the very same bits.

Accuracy: error in units in the last place (ulp) of the true result, measured on ~7
million points per function (dense grids over the tyre model's ranges and log-uniform
samples over the whole domain) against long double and mpmath references
(``tests/unit/test_fastmath.py`` checks the promised bound):

=========== ============================================== ========== =========
function    domain                                         measured   promised
=========== ============================================== ========== =========
atan        every double, +-inf -> +-pi/2                  0.94 ulp   1.5 ulp
sin, cos    |x| <= TRIG_MAX_ARG = 2**30 (NaN beyond)       0.78 ulp   1 ulp
tan         |x| <= TRIG_MAX_ARG (NaN beyond)               1.47 ulp   2 ulp
exp         every double: inf above 709.78, 0 below -745   0.97 ulp   1.5 ulp
sin_atan    every double                                   1.07 ulp   1.5 ulp
cos_atan    every double                                   1.07 ulp   1.5 ulp
=========== ============================================== ========== =========

NaN in gives NaN out everywhere, ``-0.0`` keeps its sign where the function is odd.

Design notes
------------
* **FMA, explicitly.** ``fma(a, b, c)`` is ``llvm.fma.f64`` in compiled code (one rounding;
  a single ``vfmadd`` on this CPU) and an exact rational evaluation in Python, so
  ``f.py_func(x) == f(x)`` bit for bit. No fast-math flags are used: they would let LLVM
  assume no NaN / inf (``nnan``, ``ninf``) or reassociate the Cody-Waite and magic-number
  steps (``reassoc``), which break the promises above. Without a hardware FMA (not this
  machine) ``llvm.fma`` becomes a libm call: still correct, but slow and scalar.
* **No branches.** Range reductions compute every candidate and pick with ``a if c else b``,
  which LLVM turns into ``select`` / ``vblendvpd`` / masked moves. Divisions never see a zero
  divisor (also in the lanes whose result is discarded), so the Python twins never raise.
* **Trig range.** Arguments are reduced by ``x - j pi/2`` with ``j = rint(x 2/pi)`` and pi/2
  split into three doubles (Cody-Waite: the first step one exact FMA, the second an exact
  product and TwoSum, the rest a tail), so the reduced argument is a double-double. The
  functions promise ``|x| <= TRIG_MAX_ARG = 2**30`` (checked there, including the doubles
  closest to multiples of pi/2) and return **NaN** above it and for +-inf, rather than a
  silently wrong value; random arguments stay within 0.8 ulp up to 2**48, and the
  magic-number rounding fails at 2**51. A Payne-Hanek reduction would need table look-ups,
  and a branch to ``math.sin`` for large arguments does not help either: LLVM then
  vectorises the loop by calling libm for every lane unconditionally (libm is side-effect
  free, so the call is speculated), which is as slow as libm alone (measured:
  ``benchmarks/fastmath.py``). The tyre model only needs |x| < 4.
* **Plain ``njit``, not ``inline="always"``.** The functions are small and LLVM inlines them
  into compiled callers (no call is left in the loops), so numba's IR-level inlining is not
  needed, and it costs compile time: a copy of the MF 6.1 kernel calling these functions
  took 5.6 s to compile with ``inline="always"`` against 3.3 s without. Divisions go
  through ``_div``, a bare ``fdiv``: numba's own ``/`` would, once inlined into a caller
  with the default error model, add a ``ZeroDivisionError`` branch that stops
  vectorisation (measured: atan, tan and the helpers ~10x slower that way). A loop that
  IR-inlines (``inline="always"``) a function which calls these may still fail to vectorise,
  but the cause is reference counting, not these functions: arrays passed into the inlined
  function get NRT incref/decref calls around calls not yet inlined at that stage; the
  two-track lane loops avoid it by compiling without NRT (see ``sim.chassis.two_track``).
* **exp scaling.** ``n = rint(x / ln 2)`` is read from the bits of ``x log2(e) + 1.5 2**52``
  and ``2**n`` is built as two factors ``2**(n//2) 2**(n - n//2)`` from integer bit patterns,
  so results from the largest double down into the subnormals come out right and overflow
  / underflow happen in the final product.

Coefficients are published minimax fits: Cephes (S. L. Moshier, ``atan.c``, ``tan.c``),
fdlibm (Sun, ``k_sin.c``, ``k_cos.c``) and SLEEF (N. Shibata, ``xexp``); the pi/2 and ln 2
splits are the leading doubles of the constants (checked with mpmath in the tests).
"""

from __future__ import annotations

import math
import struct
from fractions import Fraction

import numba
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic, overload

__all__ = [
    "TRIG_MAX_ARG",
    "atan",
    "cos",
    "cos_atan",
    "exp",
    "fma",
    "sin",
    "sin_atan",
    "tan",
]

#: Largest |x| for which :func:`sin`, :func:`cos` and :func:`tan` return a value; above it
#: (and for +-inf, NaN) they return NaN.
TRIG_MAX_ARG = 2.0**30

# --------------------------------------------------------------------------------------
# Primitives: fused multiply-add and float <-> int64 bit casts, with Python twins.
# --------------------------------------------------------------------------------------


def fma(a, b, c):
    """``a * b + c`` with a single rounding (IEEE 754 fusedMultiplyAdd).

    Compiled: ``llvm.fma.f64`` (a ``vfmadd`` instruction on FMA hardware). Python: exact
    rational arithmetic, so compiled and Python results agree bit for bit.
    """
    a = float(a)
    b = float(b)
    c = float(c)
    if not (math.isfinite(a) and math.isfinite(b) and math.isfinite(c)):
        return a * b + c  # inf / NaN: same result as the fused operation
    exact = Fraction(a) * Fraction(b) + Fraction(c)
    if exact == 0:
        return a * b + c  # exact zero: IEEE sign rules of the (then exact) float sum
    try:
        return float(exact)  # int / int true division: correctly rounded
    except OverflowError:
        return math.inf if exact > 0 else -math.inf


def _div(a, b):
    """``a / b`` (IEEE). Compiled: a bare ``fdiv``, without the ZeroDivisionError check
    that numba adds under the caller's error model when the function is inlined into it
    (this module never divides by zero)."""
    return a / b


def _bits(x):
    """The IEEE 754 bit pattern of the double ``x`` as a signed 64-bit integer."""
    return struct.unpack("<q", struct.pack("<d", x))[0]


def _from_bits(n):
    """The double whose bit pattern is the low 64 bits of the integer ``n``."""
    return struct.unpack("<d", struct.pack("<Q", n & 0xFFFF_FFFF_FFFF_FFFF))[0]


@intrinsic
def _fma_intrinsic(typingctx, a, b, c):
    sig = types.float64(types.float64, types.float64, types.float64)

    def codegen(context, builder, signature, args):
        double = ir.DoubleType()
        fnty = ir.FunctionType(double, [double, double, double])
        fn = builder.module.declare_intrinsic("llvm.fma", [double], fnty)
        return builder.call(fn, args)

    return sig, codegen


@intrinsic
def _div_intrinsic(typingctx, a, b):
    sig = types.float64(types.float64, types.float64)

    def codegen(context, builder, signature, args):
        return builder.fdiv(args[0], args[1])

    return sig, codegen


@intrinsic
def _bits_intrinsic(typingctx, x):
    sig = types.int64(types.float64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return sig, codegen


@intrinsic
def _from_bits_intrinsic(typingctx, n):
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return sig, codegen


@overload(fma, inline="always")
def _fma_overload(a, b, c):
    if all(isinstance(t, (types.Float, types.Integer)) for t in (a, b, c)):
        def impl(a, b, c):
            return _fma_intrinsic(float(a), float(b), float(c))
        return impl
    return None


@overload(_div, inline="always")
def _div_overload(a, b):
    if all(isinstance(t, (types.Float, types.Integer)) for t in (a, b)):
        def impl(a, b):
            return _div_intrinsic(float(a), float(b))
        return impl
    return None


@overload(_bits, inline="always")
def _bits_overload(x):
    if isinstance(x, types.Float):
        def impl(x):
            return _bits_intrinsic(float(x))
        return impl
    return None


@overload(_from_bits, inline="always")
def _from_bits_overload(n):
    if isinstance(n, types.Integer):
        def impl(n):
            return _from_bits_intrinsic(n)
        return impl
    return None


_jit = numba.njit(cache=True, error_model="numpy")

# --------------------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------------------

# rint by the magic number: for |v| < 2**51, (v + 1.5 2**52) - 1.5 2**52 is v rounded to the
# nearest integer (ties to even), and the low bits of the sum's bit pattern hold it.
_MAGIC = 6755399441055744.0  # 1.5 * 2**52

_PI_2 = 1.5707963267948966  # pi/2 rounded
_PI_4 = 0.7853981633974483  # pi/4 rounded
_TWO_OVER_PI = 0.6366197723675814  # 2/pi rounded
# pi/2 = _PIO2_1 + _PIO2_2 + _PIO2_3 + O(2**-162): successive leading doubles (mpmath).
_PIO2_1 = float.fromhex("0x1.921fb54442d18p+0")
_PIO2_2 = float.fromhex("0x1.1a62633145c07p-54")
_PIO2_3 = float.fromhex("-0x1.f1976b7ed8fbcp-110")

# atan: Cephes atan.c (double), x + x^3 P(x^2) / Q(x^2) on |x| <= 0.66 (Q monic);
# T3P8 = tan(3 pi/8); MOREBITS = pi/2 - double(pi/2).
_T3P8 = 2.41421356237309504880
_MOREBITS = 6.123233995736765886130e-17
_ATAN_P0 = -8.750608600031904122785e-1
_ATAN_P1 = -1.615753718733365076637e1
_ATAN_P2 = -7.500855792314704667340e1
_ATAN_P3 = -1.228866684490136173410e2
_ATAN_P4 = -6.485021904942025371773e1
_ATAN_Q0 = 2.485846490142306297962e1
_ATAN_Q1 = 1.650270098316988542046e2
_ATAN_Q2 = 4.328810604912902668951e2
_ATAN_Q3 = 4.853903996359136964868e2
_ATAN_Q4 = 1.945506571482613964425e2

# sin, cos on |r| <= pi/4: fdlibm k_sin.c (S1..S6) and k_cos.c (C1..C6).
_S1 = -1.66666666666666324348e-01
_S2 = 8.33333333332248946124e-03
_S3 = -1.98412698298579493134e-04
_S4 = 2.75573137070700676789e-06
_S5 = -2.50507602534068634195e-08
_S6 = 1.58969099521155010221e-10
_C1 = 4.16666666666666019037e-02
_C2 = -1.38888888888741095749e-03
_C3 = 2.48015872894767294178e-05
_C4 = -2.75573143513906633035e-07
_C5 = 2.08757232129817482790e-09
_C6 = -1.13596475577881948265e-11

# tan on |r| <= pi/4: Cephes tan.c, r + r^3 P(r^2) / Q(r^2) (Q monic).
_TAN_P0 = -1.30936939181383777646e4
_TAN_P1 = 1.15351664838587416140e6
_TAN_P2 = -1.79565251976484877988e7
_TAN_Q0 = 1.36812963470692954678e4
_TAN_Q1 = -1.32089234440210967447e6
_TAN_Q2 = 2.50083801823357915839e7
_TAN_Q3 = -5.38695755929454629881e7

# exp: SLEEF xexp (u10), e^s = 1 + s + s^2 E(s) on |s| <= ln2 / 2.
_LOG2E = 1.4426950408889634  # 1/ln 2 rounded
# ln 2 = _LN2_1 + _LN2_2 + O(2**-110): successive leading doubles (mpmath).
_LN2_1 = float.fromhex("0x1.62e42fefa39efp-1")
_LN2_2 = float.fromhex("0x1.abc9e3b39803fp-56")
_EXP_E0 = 0.5
_EXP_E1 = 0.166666666666666851703837
_EXP_E2 = 0.0416666666666665047591422
_EXP_E3 = 0.00833333333331652721664984
_EXP_E4 = 0.00138888888889774492207962
_EXP_E5 = 0.000198412698960509205564975
_EXP_E6 = 2.4801587159235472998791e-05
_EXP_E7 = 2.75572362911928827629423e-06
_EXP_E8 = 2.75573911234900471893338e-07
_EXP_E9 = 2.51112930892876518610661e-08
_EXP_E10 = 2.08860621107283687536341e-09
# Clamp for the exponent computation: exp(710) overflows and exp(-750) underflows to 0
# with the two-factor scaling, so clamping loses nothing and keeps n in range.
_EXP_HI = 710.0
_EXP_LO = -750.0


# --------------------------------------------------------------------------------------
# atan and the atan-free helpers
# --------------------------------------------------------------------------------------


@_jit
def atan(x):
    """Arctangent of ``x`` in [-pi/2, pi/2], for every double (+-inf -> +-pi/2).

    Accuracy: 0.94 ulp measured, 1.5 promised. Algorithm: Cephes ``atan``: fold
    |x| into [0, 0.66] by ``atan(x) = pi/2 + atan(-1/x)`` (x > tan(3pi/8)) or
    ``pi/4 + atan((x-1)/(x+1))`` (x > 0.66), then ``t + t^3 P(t^2)/Q(t^2)`` (degree 4/5);
    the three cases are computed as selects, so the function has no branch. The sign of
    ``x`` (also of -0.0) is copied onto the result. NaN -> NaN.
    """
    ax = abs(x)
    big = ax > _T3P8
    mid = ax > 0.66
    # t = num / den with den >= 1 in every case (never a zero divisor)
    num = -1.0 if big else (ax - 1.0 if mid else ax)
    den = ax if big else (ax + 1.0 if mid else 1.0)
    base = _PI_2 if big else (_PI_4 if mid else 0.0)
    extra = _MOREBITS if big else (0.5 * _MOREBITS if mid else 0.0)
    t = _div(num, den)
    z = t * t
    p = fma(fma(fma(fma(_ATAN_P0, z, _ATAN_P1), z, _ATAN_P2), z, _ATAN_P3), z, _ATAN_P4)
    q = fma(fma(fma(fma(z + _ATAN_Q0, z, _ATAN_Q1), z, _ATAN_Q2), z, _ATAN_Q3), z, _ATAN_Q4)
    r = fma(t * z, _div(p, q), t)
    return math.copysign(base + (r + extra), x)


@_jit
def _inverse_hypot_parts(x):
    """``(y, u, ue, small)``: ``y = 1/sqrt(1 + u^2)`` to ~0.5 ulp, where ``u = |x|`` for
    |x| <= 1 (``small``) and ``u + ue = 1/|x|`` (a double-double) above.

    ``1 + u^2`` is formed as a double-double (FMA residual), and ``1/sqrt`` of it gets one
    Newton-style correction of both the square root and the division roundings.
    """
    ax = abs(x)
    small = ax <= 1.0
    u = ax if small else _div(1.0, ax)  # never a zero divisor: |x| > 1 there
    # ue: the rounding error of 1/|x| (0 for |x| <= 1, and for |x| = inf to avoid 0 * inf)
    ue = fma(-u, ax, 1.0) * u if (not small and ax < math.inf) else 0.0
    w = fma(u, u, 1.0)
    w_lo = fma(u, u, 1.0 - w) + 2.0 * u * ue  # 1 + (u + ue)^2 = w + w_lo
    s = math.sqrt(w)
    y0 = _div(1.0, s)
    e = fma(-s, s, w) + w_lo  # (w + w_lo) - s^2
    r = fma(-y0, s, 1.0)  # 1 - y0 s, exact
    y = fma(y0, r - 0.5 * e * (y0 * y0), y0)
    return y, u, ue, small


@_jit
def sin_atan(x):
    """``sin(atan(x)) = x / sqrt(1 + x^2)`` for every double (+-inf -> +-1).

    Accuracy: 1.07 ulp measured, 1.5 promised. Algorithm: the identity, as
    ``x / sqrt(1 + x^2)`` for
    |x| <= 1 and ``sign(x) / sqrt(1 + (1/x)^2)`` above (no overflow of x^2), with
    ``1 + u^2`` as a double-double and a corrected reciprocal square root; ``sqrt`` and the
    divisions vectorise natively. NaN -> NaN, odd (-0.0 -> -0.0).
    """
    y, _, _, small = _inverse_hypot_parts(x)
    return x * y if small else math.copysign(y, x)


@_jit
def cos_atan(x):
    """``cos(atan(x)) = 1 / sqrt(1 + x^2)`` for every double (+-inf -> 0).

    Accuracy: 1.07 ulp measured, 1.5 promised. Algorithm: ``1 / sqrt(1 + x^2)`` for |x| <= 1 and
    ``(1/|x|) / sqrt(1 + (1/x)^2)`` above (no overflow of x^2, a correct small result for
    huge |x|), evaluated as for :func:`sin_atan`. NaN -> NaN, even.
    """
    y, u, ue, small = _inverse_hypot_parts(x)
    return y if small else fma(u, y, ue * y)


# --------------------------------------------------------------------------------------
# sin, cos, tan
# --------------------------------------------------------------------------------------


@_jit
def _reduce_pio2(x):
    """``(r, lo, q)`` with ``r + lo = x - j pi/2`` (|r| <= pi/4 + tiny), ``q = j mod 4``.

    ``j = rint(x 2/pi)`` by the magic-number trick. Cody-Waite with pi/2 split in three
    doubles: ``x - j P1`` is exact (one FMA), ``j P2`` is split exactly into two doubles
    (Dekker's product by FMA) and subtracted with Knuth's TwoSum; the rounding errors and
    ``j P3`` form the small tail ``lo``. ``r`` is not renormalised (``|lo|`` is about an ulp
    of ``r`` or less), which keeps the tail off the critical path of the kernels.
    """
    shifted = fma(x, _TWO_OVER_PI, _MAGIC)
    j = shifted - _MAGIC
    q = _bits(shifted) & 3
    a = fma(-j, _PIO2_1, x)  # exact
    p = j * _PIO2_2
    p_err = fma(j, _PIO2_2, -p)  # j P2 = p + p_err exactly
    r = a - p  # TwoSum(a, -p): a - p = r + r_err exactly
    bv = r - a
    r_err = (a - (r - bv)) - (p + bv)
    lo = (r_err - p_err) - j * _PIO2_3
    return r, lo, q


@_jit
def _sin_kernel(r, lo, z, z2):
    """sin(r + lo) for |r| <= pi/4, z = r^2, z2 = z^2, lo tiny (fdlibm k_sin.c).

    ``r + r z S(z) + lo (1 - z/2)``, the degree-5 polynomial S by Estrin's scheme.
    """
    p = fma(fma(fma(_S6, z, _S5), z2, fma(_S4, z, _S3)), z2, fma(_S2, z, _S1))
    return r + fma(r * z, p, fma(-0.5 * z, lo, lo))


@_jit
def _cos_kernel(r, lo, z, z2):
    """cos(r + lo) for |r| <= pi/4, z = r^2, z2 = z^2, lo tiny (fdlibm k_cos.c).

    ``1 - z/2 + z^2 C(z) - r lo`` with fdlibm's exact correction of ``1 - z/2``.
    """
    p = fma(fma(fma(_C6, z, _C5), z2, fma(_C4, z, _C3)), z2, fma(_C2, z, _C1))
    hz = 0.5 * z
    w = 1.0 - hz
    return w + (((1.0 - w) - hz) + fma(z2, p, -r * lo))


@_jit
def sin(x):
    """Sine of ``x`` [rad] for |x| <= TRIG_MAX_ARG = 2**30; NaN beyond, for +-inf and NaN.

    Accuracy: 0.78 ulp measured, 1 promised. Algorithm: Cody-Waite reduction to
    ``r = x - j pi/2`` (|r| <= pi/4, with a tail), then fdlibm's minimax polynomials for
    sin(r) and cos(r), both evaluated and chosen by the quadrant ``j mod 4`` with selects.
    Odd: the sign of ``x = -0.0`` is kept.
    """
    r, lo, q = _reduce_pio2(x)
    z = r * r
    z2 = z * z
    s = _sin_kernel(r, lo, z, z2)
    c = _cos_kernel(r, lo, z, z2)
    v = c if (q & 1) else s
    v = -v if (q & 2) else v
    v = v if abs(x) <= TRIG_MAX_ARG else math.nan
    return x if x == 0.0 else v


@_jit
def cos(x):
    """Cosine of ``x`` [rad] for |x| <= TRIG_MAX_ARG = 2**30; NaN beyond, for +-inf and NaN.

    Accuracy: 0.77 ulp measured, 1 promised. Algorithm: as :func:`sin`, with the
    quadrant shifted by one (cos x = sin(x + pi/2) without rounding the shift).
    """
    r, lo, q = _reduce_pio2(x)
    z = r * r
    z2 = z * z
    s = _sin_kernel(r, lo, z, z2)
    c = _cos_kernel(r, lo, z, z2)
    v = s if (q & 1) else c
    v = -v if ((q + 1) & 2) else v
    return v if abs(x) <= TRIG_MAX_ARG else math.nan


@_jit
def tan(x):
    """Tangent of ``x`` [rad] for |x| <= TRIG_MAX_ARG = 2**30; NaN beyond, for +-inf, NaN.

    Accuracy: 1.47 ulp measured, 2 promised. Algorithm: Cody-Waite reduction as in
    :func:`sin`, then Cephes' ``tan`` rational approximation ``r + r^3 P(r^2)/Q(r^2)``
    (degree 2/4) on |r| <= pi/4 plus the tail's ``lo (1 + tan^2 r)``, and ``-1/tan(r)``
    in odd quadrants (selected). Odd: the sign of ``x = -0.0`` is kept.
    """
    r, lo, q = _reduce_pio2(x)
    z = r * r
    p = fma(fma(_TAN_P0, z, _TAN_P1), z, _TAN_P2)
    d = fma(fma(fma(z + _TAN_Q0, z, _TAN_Q1), z, _TAN_Q2), z, _TAN_Q3)
    # tan(r + lo) = r + t_lo, t_lo = r^3 P/Q + lo (1 + r^2) (first order in lo)
    t_lo = fma(r * z, _div(p, d), fma(z, lo, lo))
    t = r + t_lo
    t_err = t_lo - (t - r)  # Fast2Sum: t + t_err = r + t_lo (|r| >= |t_lo|)
    # -1/tan in odd quadrants: rounded reciprocal plus one Newton correction on the
    # double-double t + t_err. t is never 0 there (no double but 0 is a multiple of pi/2);
    # t = 0 (x = +-0, even quadrant) is replaced so that no lane divides by zero.
    a = _div(1.0, t if t != 0.0 else 1.0)
    cot = fma(a, fma(-a, t, 1.0) - a * t_err, a)
    v = -cot if (q & 1) else t
    v = v if abs(x) <= TRIG_MAX_ARG else math.nan
    return x if x == 0.0 else v


# --------------------------------------------------------------------------------------
# exp
# --------------------------------------------------------------------------------------


@_jit
def exp(x):
    """``e**x`` for every double: +inf above ~709.78, 0 below ~-745.13, subnormals between.

    Accuracy: 0.97 ulp measured, 1.5 promised (subnormal results: within one step of
    their coarser grid). Algorithm: ``x = n ln2 + s`` with
    ``n = rint(x log2 e)`` (magic number) and a two-part Cody-Waite ln 2 (FMA), SLEEF's
    degree-12 minimax polynomial ``1 + s + s^2 E(s)`` for e^s on |s| <= ln2/2, and
    ``2**n`` built from integer bit patterns as two factors (no overflow of the exponent
    field). -inf -> 0, +inf -> inf, NaN -> NaN.
    """
    xc = _EXP_HI if x > _EXP_HI else x  # NaN passes both clamps unchanged
    xc = _EXP_LO if xc < _EXP_LO else xc
    shifted = fma(xc, _LOG2E, _MAGIC)
    nf = shifted - _MAGIC
    n = _bits(shifted) - _bits(_MAGIC)
    s = fma(-nf, _LN2_1, xc)
    s = fma(-nf, _LN2_2, s)
    e = fma(_EXP_E10, s, _EXP_E9)
    e = fma(e, s, _EXP_E8)
    e = fma(e, s, _EXP_E7)
    e = fma(e, s, _EXP_E6)
    e = fma(e, s, _EXP_E5)
    e = fma(e, s, _EXP_E4)
    e = fma(e, s, _EXP_E3)
    e = fma(e, s, _EXP_E2)
    e = fma(e, s, _EXP_E1)
    e = fma(e, s, _EXP_E0)
    u = fma(s * s, e, s) + 1.0
    n1 = n >> 1
    n2 = n - n1
    # (k & 0x7FF) << 52 is the double 2**(k - 1023); the mask only matters for NaN input.
    scale1 = _from_bits(((n1 + 1023) & 0x7FF) << 52)
    scale2 = _from_bits(((n2 + 1023) & 0x7FF) << 52)
    return (u * scale1) * scale2
