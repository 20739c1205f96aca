"""Linear tyre for analytic comparisons, and first-order lateral slip relaxation.

Forces (ISO-W / TYDEX axes, same as :mod:`sim.tyre.mf61`)::

    Fx = Cx kappa                 Cx  = slip_stiffness_n > 0        [N per unit slip]
    Fy = -C_alpha alpha           C_alpha = cornering_stiffness_n_per_rad > 0   [N/rad]

so alpha > 0 gives Fy < 0, exactly like the Magic Formula near the origin (its
``Kya = -C_alpha``). The stiffnesses do not depend on load, camber or pressure (those
arguments are accepted only so that the call shape matches :func:`sim.tyre.mf61.evaluate`).

Optional saturation: with ``friction_coefficient = mu`` set, the force vector is scaled down
onto the friction circle ``|(Fx, Fy)| <= mu * mu_road * Fz`` (direction kept); with ``None``
(the default) the tyre is purely linear and ``fz_n``/``mu_road`` do not matter.

Lateral relaxation (:func:`relaxed_slip_angle_rate_radps`): a first-order lag of the slip
angle over the relaxation length sigma [m],
``d(alpha_lag)/dt = (alpha - alpha_lag) |v_x| / sigma``; the lagged angle is then fed to the
force function. It is a distance constant, so the time constant ``sigma / |v_x|`` shrinks with
speed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

from sim._arrays import kernel_array
from sim.errors import SpecError
from sim.tyre import mf61

_ARG = "<argument>"


@numba.njit(cache=True)
def linear_forces(slip_stiffness_n, cornering_stiffness_n_per_rad, friction_coefficient,
                  kappa, alpha_rad, fz_n, mu_road):
    """Linear tyre forces ``(fx_n, fy_n)`` [N], ISO-W: Fx = Cx kappa, Fy = -C_alpha alpha.

    ``friction_coefficient`` < 0 means "no saturation"; otherwise the force vector is scaled
    onto the circle of radius ``friction_coefficient * mu_road * max(fz_n, 0)`` when it lies
    outside. Pure, compiled, no checks.
    """
    fx = slip_stiffness_n * kappa
    fy = -cornering_stiffness_n_per_rad * alpha_rad
    if friction_coefficient >= 0.0:
        limit = friction_coefficient * mu_road * max(fz_n, 0.0)
        magnitude = math.sqrt(fx * fx + fy * fy)
        if magnitude > limit:
            scale = limit / magnitude
            fx *= scale
            fy *= scale
    return fx, fy


@numba.njit(cache=True)
def relaxed_slip_angle_rate_radps(alpha_rad, alpha_lag_rad, vx_mps, relaxation_length_m):
    """Rate of the lagged slip angle [rad/s]: ``(alpha - alpha_lag) |v_x| / sigma``.

    First-order lateral relaxation over the distance ``relaxation_length_m`` (> 0) [m];
    ``alpha_rad`` is the kinematic (instantaneous) slip angle, ``alpha_lag_rad`` the state
    fed to the force model, ``vx_mps`` the wheel's longitudinal speed [m/s].
    """
    return (alpha_rad - alpha_lag_rad) * abs(vx_mps) / relaxation_length_m


@numba.njit(cache=True)
def _linear_many(cx, ca, mu_tyre, kappa, alpha, fz, mu, fx_out, fy_out):
    for i in range(kappa.size):
        fx, fy = linear_forces(cx, ca, mu_tyre, kappa[i], alpha[i], fz[i], mu[i])
        fx_out[i] = fx
        fy_out[i] = fy


def _positive(name: str, value: float) -> float:
    value = float(value)
    if not (math.isfinite(value) and value > 0.0):
        raise SpecError(_ARG, name, value, "must be finite and > 0")
    return value


@dataclass(frozen=True)
class LinearTyre:
    """A linear tyre (ISO-W signs), optionally saturated on the friction circle.

    Attributes
    ----------
    slip_stiffness_n : float
        Cx > 0 [N per unit slip]: Fx = Cx kappa.
    cornering_stiffness_n_per_rad : float
        C_alpha > 0 [N/rad]: Fy = -C_alpha alpha (alpha > 0 gives Fy < 0, as MF's Kya < 0).
    friction_coefficient : float or None
        mu > 0 for saturation at mu * mu_road * Fz (force direction kept); None: no limit.
    """

    slip_stiffness_n: float
    cornering_stiffness_n_per_rad: float
    friction_coefficient: float | None = None

    def __post_init__(self):
        _positive("slip_stiffness_n", self.slip_stiffness_n)
        _positive("cornering_stiffness_n_per_rad", self.cornering_stiffness_n_per_rad)
        if self.friction_coefficient is not None:
            _positive("friction_coefficient", self.friction_coefficient)

    @classmethod
    def from_mf61(cls, tyre: mf61.MF61Tyre, fz_n: float, *, gamma_rad: float = 0.0,
                  pressure_pa: float | None = None, saturate: bool = False) -> LinearTyre:
        """Linearise an MF 6.1 tyre at load ``fz_n`` [N]: Cx = Kxk, C_alpha = -Kya.

        With ``saturate=True`` the friction coefficient is the smaller of |mux| and |muy| at
        that load (a friction circle must have one radius).
        """
        kxk = tyre.slip_stiffness_kxk(fz_n, pressure_pa=pressure_pa)
        c_alpha = tyre.linear_cornering_stiffness_n_per_rad(fz_n, gamma_rad=gamma_rad,
                                                            pressure_pa=pressure_pa)
        mu = None
        if saturate:
            mux, muy = tyre.peak_friction(fz_n, gamma_rad=gamma_rad, pressure_pa=pressure_pa)
            mu = min(abs(mux), abs(muy))
        return cls(float(kxk), float(c_alpha), mu)

    def evaluate(self, kappa, alpha_rad, *, fz_n, gamma_rad=0.0, pressure_pa=None,
                 mu_road=1.0):
        """Forces ``(fx_n, fy_n)`` [N], ISO-W, same call shape as :func:`mf61.evaluate`.

        ``kappa`` [-], ``alpha_rad`` [rad], ``fz_n`` [N] >= 0 and ``mu_road`` [-] >= 0 matter
        only with saturation; ``gamma_rad`` and ``pressure_pa`` are ignored (a linear tyre has
        no camber or pressure terms). Scalars in, floats out; arrays broadcast.
        """
        del gamma_rad, pressure_pa  # part of the common call shape; no effect here
        kappa = _finite("kappa", kappa)
        alpha = _finite("alpha_rad", alpha_rad)
        fz = _finite("fz_n", fz_n)
        mu = _finite("mu_road", mu_road)
        if np.any(fz < 0.0):
            raise SpecError(_ARG, "fz_n", float(np.min(fz)), "must be finite and >= 0 N")
        if np.any(mu < 0.0):
            raise SpecError(_ARG, "mu_road", float(np.min(mu)), "must be finite and >= 0")
        shape = np.broadcast_shapes(kappa.shape, alpha.shape, fz.shape, mu.shape)
        flat = [kernel_array(np.broadcast_to(a, shape)).ravel()
                for a in (kappa, alpha, fz, mu)]
        fx = np.empty(flat[0].size)
        fy = np.empty(flat[0].size)
        mu_tyre = -1.0 if self.friction_coefficient is None else self.friction_coefficient
        _linear_many(self.slip_stiffness_n, self.cornering_stiffness_n_per_rad, mu_tyre,
                     *flat, fx, fy)
        if shape == ():
            return float(fx[0]), float(fy[0])
        return fx.reshape(shape), fy.reshape(shape)


def _finite(name: str, value) -> np.ndarray:
    a = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(a)):
        raise SpecError(_ARG, name, "non-finite value", "must be finite")
    return a
