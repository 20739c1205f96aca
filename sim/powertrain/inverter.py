"""Traction inverter losses: a three-phase, two-level voltage-source inverter under sinusoidal
PWM (compiled scalar kernels).

Sources: the textbook average-loss formulas of sinusoidal PWM (Infineon application note
AN2008-03; Semikron application manual) as collected in the project's REFERENCES §7; the
1200 V IGBT figures used in the tests are TUM's ``global_racetrajectory_optimization``
inverter set (V_CE0 0.8 V, r_CE 3.6 mOhm, E_on + E_off + E_rr = 119 mJ at 600 V / 450 A,
12 kHz).

Model (all six switch positions of the bridge; ``I_hat`` the phase-current amplitude [A],
``m cos(phi)`` the modulation index times the power factor, > 0 motoring):

* conduction, per switch position (transistor + its anti-parallel diode)::

      P_T = V_CE0 I_hat (1/(2 pi) + m cos(phi)/8) + r_CE I_hat^2 (1/8 + m cos(phi)/(3 pi))
      P_D = V_F   I_hat (1/(2 pi) - m cos(phi)/8) + r_F  I_hat^2 (1/8 - m cos(phi)/(3 pi))

  times 6. A SiC MOSFET bridge (synchronous rectification, no knee voltage) is the same formula
  with ``V_CE0 = V_F = 0`` and ``r_CE = r_F = R_DS(on)``: the ``m cos(phi)`` terms cancel and
  the loss is ``6 R_DS(on) I_hat^2 / 4 = 3 R_DS(on) I_rms^2`` (each switch carries half of
  the phase current's square). ``m cos(phi)`` is clamped to ``+-2/sqrt(3)`` (space-vector
  limit), which keeps every term >= 0.
* switching, per switch position: ``f_sw / pi * E_sw * (I_hat / I_ref) * (V_dc / V_ref)^K_v``
  with ``E_sw = E_on + E_off + E_rr`` measured at ``I_ref``, ``V_ref``; times 6. The average
  of ``|i|`` over a period is ``2 I_hat / pi``, whence the ``1/pi``.

The simplified per-phase form used by TUM (``3 I_rms (V_CE0 + r_CE I_rms)`` and
``3 f_sw (I_rms / I_ref) E_sw (V_dc / V_ref)``) replaces the mean of ``|i|`` by ``I_rms``: its
knee-voltage and switching terms are ``pi / (2 sqrt 2) = 1.11`` times the averages above (its
resistive term is the same). REFERENCES §7's worked example (switching 3.7 kW, conduction 5.1
and 1.6 kW at 400 and 800 V) uses that form; tests/unit/test_inverter.py reproduces it with
this factor stated.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from sim.errors import SpecError

_kernel = numba.njit(cache=True, error_model="numpy", inline="always")

#: Largest ``|m cos(phi)|``: the space-vector (third-harmonic) modulation limit 2/sqrt(3).
M_COS_PHI_LIMIT = 2.0 / math.sqrt(3.0)
#: Switch positions of a three-phase two-level bridge.
SWITCH_POSITIONS = 6
#: Smallest current amplitude [A] used as a divisor (a zero current gives zero loss anyway).
_CURRENT_FLOOR_A = 1e-9
#: Smallest bus voltage [V] used as a divisor (the numpy entry points reject <= 0).
_VOLTAGE_FLOOR_V = 1e-3


@_kernel
def modulation_power_factor(ac_power_w, peak_current_a, bus_voltage_v):
    """``m cos(phi)`` [-] of a bridge delivering ``ac_power_w`` [W] (> 0 to the machine) with
    phase-current amplitude ``peak_current_a`` [A] from ``bus_voltage_v`` [V]: from
    ``P = 3/2 V_hat I_hat cos(phi)`` and ``V_hat = m V_dc / 2``, ``m cos(phi) = 4 P / (3 V_dc
    I_hat)``, clamped to :data:`M_COS_PHI_LIMIT` in magnitude (0 at zero current)."""
    value = 4.0 * ac_power_w / (3.0 * max(bus_voltage_v, _VOLTAGE_FLOOR_V)
                                * max(peak_current_a, _CURRENT_FLOOR_A))
    return min(max(value, -M_COS_PHI_LIMIT), M_COS_PHI_LIMIT)


@_kernel
def inverter_conduction_loss_w(peak_current_a, m_cos_phi, switch_knee_voltage_v,
                               switch_resistance_ohm, diode_knee_voltage_v, diode_resistance_ohm):
    """Conduction loss [W] of the whole bridge (6 switch positions) at phase-current amplitude
    ``peak_current_a`` [A] >= 0 and ``m_cos_phi`` [-] (> 0 motoring, < 0 generating: the
    diodes then carry more of the current); module docstring for the formula."""
    mc = min(max(m_cos_phi, -M_COS_PHI_LIMIT), M_COS_PHI_LIMIT)
    i = peak_current_a
    switch = (switch_knee_voltage_v * i * (1.0 / (2.0 * math.pi) + mc / 8.0)
              + switch_resistance_ohm * i * i * (0.125 + mc / (3.0 * math.pi)))
    diode = (diode_knee_voltage_v * i * (1.0 / (2.0 * math.pi) - mc / 8.0)
             + diode_resistance_ohm * i * i * (0.125 - mc / (3.0 * math.pi)))
    return SWITCH_POSITIONS * (switch + diode)


@_kernel
def inverter_switching_loss_w(peak_current_a, bus_voltage_v, switching_frequency_hz,
                              switching_energy_j, reference_current_a, reference_voltage_v,
                              voltage_exponent):
    """Switching loss [W] of the whole bridge: ``6 f_sw/pi E_sw (I_hat/I_ref)
    (V_dc/V_ref)^K_v`` for phase-current amplitude ``peak_current_a`` [A] >= 0 and bus
    voltage ``bus_voltage_v`` [V] > 0 (floored at 1 mV). ``K_v = 1`` (SiC) skips the call
    to ``pow`` (exact: ``x^1 = x``)."""
    ratio_v = max(bus_voltage_v, _VOLTAGE_FLOOR_V) / reference_voltage_v
    voltage_factor = ratio_v if voltage_exponent == 1.0 else math.pow(ratio_v, voltage_exponent)
    return (SWITCH_POSITIONS * switching_frequency_hz / math.pi * switching_energy_j
            * (peak_current_a / reference_current_a) * voltage_factor)


def inverter_losses_w(rms_current_a, ac_power_w, bus_voltage_v, *, switching_frequency_hz,
                      switch_knee_voltage_v, switch_resistance_ohm, diode_knee_voltage_v,
                      diode_resistance_ohm, switching_energy_j, reference_current_a,
                      reference_voltage_v, voltage_exponent):
    """Vectorised bridge losses for phase rms currents ``rms_current_a`` [A] >= 0 delivering
    ``ac_power_w`` [W] (> 0 to the machine) from ``bus_voltage_v`` [V] > 0 (arrays broadcast).

    Returns ``(conduction_w, switching_w)`` arrays, computed by the compiled kernels.
    """
    i_rms, p_ac, v_dc = np.broadcast_arrays(np.asarray(rms_current_a, dtype=float),
                                            np.asarray(ac_power_w, dtype=float),
                                            np.asarray(bus_voltage_v, dtype=float))
    if not np.all(np.isfinite(i_rms) & (i_rms >= 0.0)):
        raise SpecError("inverter_losses_w", "rms_current_a", rms_current_a,
                        "finite numbers >= 0 [A]")
    if not np.all(np.isfinite(v_dc) & (v_dc > 0.0)):
        raise SpecError("inverter_losses_w", "bus_voltage_v", bus_voltage_v,
                        "finite numbers > 0 [V]")
    if not np.all(np.isfinite(p_ac)):
        raise SpecError("inverter_losses_w", "ac_power_w", ac_power_w, "finite numbers [W]")
    device = np.array([switching_frequency_hz, switch_knee_voltage_v, switch_resistance_ohm,
                       diode_knee_voltage_v, diode_resistance_ohm, switching_energy_j,
                       reference_current_a, reference_voltage_v, voltage_exponent], dtype=float)
    cond, sw = _inverter_many(i_rms.ravel(), p_ac.ravel(), v_dc.ravel(), device)
    return cond.reshape(i_rms.shape), sw.reshape(i_rms.shape)


@numba.njit(cache=True, error_model="numpy")
def _inverter_many(i_rms, p_ac, v_dc, d):
    cond = np.empty(i_rms.size)
    sw = np.empty(i_rms.size)
    for k in range(i_rms.size):
        peak = math.sqrt(2.0) * i_rms[k]
        mc = modulation_power_factor(p_ac[k], peak, v_dc[k])
        cond[k] = inverter_conduction_loss_w(peak, mc, d[1], d[2], d[3], d[4])
        sw[k] = inverter_switching_loss_w(peak, v_dc[k], d[0], d[5], d[6], d[7], d[8])
    return cond, sw


__all__ = ["M_COS_PHI_LIMIT", "SWITCH_POSITIONS", "inverter_conduction_loss_w",
           "inverter_losses_w", "inverter_switching_loss_w", "modulation_power_factor"]
