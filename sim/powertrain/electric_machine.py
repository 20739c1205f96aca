"""Electric traction machine: torque envelope at the shaft (compiled scalar kernels).

Signs: shaft speed ``omega_radps`` [rad/s] and torque [N·m] positive driving the car forward;
the envelope is symmetric (the same magnitude is available for regeneration, which the
callers decide). The envelope: constant torque up to the base speed
``peak_power / peak_torque``, constant power above it, and a linear taper to zero torque over
the last :data:`TAPER_FRACTION` of the machine's top speed (a machine at its top speed
delivers nothing more; the taper keeps the force continuous for the integrators).

Drive-unit losses (:func:`drive_unit_dc_power`, one slot's vector ``lp`` laid out by
:data:`DRIVE_UNIT_PARAMETER_NAMES`). Signs: ``dc_power_w`` > 0 drawn from the bus; every loss
>= 0; ``dc_power_w = T w + losses`` in all four quadrants. The physics model (REFERENCES §7):

* machine (surface permanent-magnet, dq frame, rms phase quantities): ``i_q = |T| / k_t``;
  a field-weakening current ``i_d = I_ch (1 - w_fw / |w|)`` above the no-load field-weakening
  speed ``w_fw``, which scales with the bus voltage (``w_fw = w_fw,nom V_bus / V_nom``: a
  sagging pack weakens the field earlier). Neglected: the load-dependent onset (the q-axis
  inductive drop), saturation, cross-coupling, reluctance torque, temperature (R at
  operating temperature). Copper ``3 R_s (i_q^2 + i_d^2)``; iron ``(c1 |w| + c2 w^2)
  min(1, w_fw/|w|)^2``; friction and windage ``c |w| + c' |w|^3``;
* inverter (:mod:`sim.powertrain.inverter`): conduction of sinusoidal PWM with ``m cos(phi) =
  4 P_ac / (3 V_bus I_hat)`` taken from the power balance (``P_ac`` = shaft power + machine
  losses), switching ``f_sw/pi E (I_hat/I_ref)(V/V_ref)^Kv`` per switch position;
* DC cable (both conductors, resistance in the vector): exact current of
  ``V I = P_inverter + I^2 R`` (:func:`cable_current_a`), loss ``I^2 R``.

Alternatives selected by ``loss_model``: a speed-torque efficiency map (bilinear, clamped; a
CSV of ``speed_rpm, torque_nm, efficiency`` through :func:`read_efficiency_map_csv`) or
FASTSim's efficiency over signed shaft power / rated power (linear or ``step_lower``, as
FASTSim 3.1 interpolates its bundled 2022 Model 3). Their loss is ``lumped_loss_w``.
The gear efficiency is carried in the vector for the caller (:mod:`sim.powertrain.gear`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NamedTuple

import numba
import numpy as np

from sim._arrays import kernel_array
from sim.errors import SpecError
from sim.powertrain.inverter import (
    inverter_conduction_loss_w,
    inverter_switching_loss_w,
    modulation_power_factor,
)

_kernel = numba.njit(cache=True, error_model="numpy", inline="always")

#: Share of the top speed over which the torque tapers to zero.
TAPER_FRACTION = 0.03
#: Floor of the speed [rad/s] in ``peak_power / omega`` (the torque limit at standstill).
_OMEGA_FLOOR_RADPS = 1e-3


@_kernel
def shaft_torque_limit_nm(peak_torque_nm, peak_power_w, max_speed_radps, omega_radps):
    """Largest torque magnitude [N·m] at the shaft at speed ``omega_radps`` [rad/s] (either
    sign): ``min(T_peak, P_peak / |omega|)`` times the top-speed taper, 0 at and beyond the
    top speed ``max_speed_radps``."""
    speed = abs(omega_radps)
    torque = min(peak_torque_nm, peak_power_w / max(speed, _OMEGA_FLOOR_RADPS))
    taper = (max_speed_radps - speed) / (TAPER_FRACTION * max_speed_radps)
    return torque * min(max(taper, 0.0), 1.0)


# --------------------------------------------------------------------------------------------
# Losses of an electric drive unit: machine + inverter + DC cable (the reduction gear is
# sim.powertrain.gear, applied by the caller between the shaft and the wheel).
# --------------------------------------------------------------------------------------------

#: Loss-model codes (entry ``loss_model`` of the vector).
LOSS_MODEL_PHYSICS, LOSS_MODEL_SPEED_TORQUE_MAP, LOSS_MODEL_POWER_FRACTION = 0, 1, 2
#: Interpolation codes of the power-fraction table (``fraction_interpolation``).
INTERPOLATION_LINEAR, INTERPOLATION_STEP_LOWER = 0, 1
#: Fixed table sizes inside the vector.
MAP_MAX_SPEEDS = 24
MAP_MAX_TORQUES = 25
FRACTION_MAX_POINTS = 16

_SCALAR_NAMES = (
    "loss_model",                      # LOSS_MODEL_* code
    "nominal_bus_voltage_v",           # bus voltage the winding is designed for [V]
    "torque_constant_nm_per_a",        # shaft torque per q-axis phase current [N·m/A rms]
    "phase_resistance_ohm",            # stator phase resistance [Ohm]
    "field_weakening_current_a",       # characteristic current psi/L_d [A rms]
    "field_weakening_speed_radps",     # no-load field-weakening onset at the nominal bus [rad/s]
    "iron_hysteresis_w_per_radps",     # c1: iron loss c1 w + c2 w^2 at full flux
    "iron_eddy_w_per_radps2",          # c2
    "friction_torque_nm",              # c: friction loss c w [W]
    "windage_w_per_radps3",            # c': windage loss c' w^3 [W]
    "switching_frequency_hz",          # inverter PWM frequency [Hz]
    "switch_knee_voltage_v",           # V_CE0 (0 for a MOSFET) [V]
    "switch_resistance_ohm",           # r_CE or R_DS(on) per switch [Ohm]
    "diode_knee_voltage_v",            # V_F (0 for a MOSFET) [V]
    "diode_resistance_ohm",            # r_F (R_DS(on) for a MOSFET) [Ohm]
    "switching_energy_j",              # E_on + E_off + E_rr at the reference point [J]
    "switching_reference_current_a",   # I_ref [A]
    "switching_reference_voltage_v",   # V_ref [V]
    "switching_voltage_exponent",      # K_v [-]
    "cable_resistance_ohm",            # DC cable, both conductors [Ohm]
    "gear_efficiency",                 # reduction mesh efficiency [-] (sim.powertrain.gear)
    "rated_power_w",                   # P_max of the power-fraction table [W]
    "fraction_interpolation",          # INTERPOLATION_* code
    "fraction_count",                  # points used in the power-fraction table
    "map_speed_count",                 # speeds used in the map
    "map_torque_count",                # torques used in the map
)

#: Layout of one slot's drive-unit loss vector ``lp`` (float64, SI). Scalars first, then the
#: power-fraction table (signed shaft power / rated power, efficiency), then the speed-torque
#: map (speeds [rad/s] >= 0 ascending, signed torques [N·m] ascending, efficiencies row-major
#: by speed: ``map_efficiency_<i>_<j>`` at speed i, torque j). Unused table entries are 0.
DRIVE_UNIT_PARAMETER_NAMES: tuple[str, ...] = (
    _SCALAR_NAMES
    + tuple(f"fraction_power_{k}" for k in range(FRACTION_MAX_POINTS))
    + tuple(f"fraction_efficiency_{k}" for k in range(FRACTION_MAX_POINTS))
    + tuple(f"map_speed_radps_{i}" for i in range(MAP_MAX_SPEEDS))
    + tuple(f"map_torque_nm_{j}" for j in range(MAP_MAX_TORQUES))
    + tuple(f"map_efficiency_{i}_{j}" for i in range(MAP_MAX_SPEEDS)
            for j in range(MAP_MAX_TORQUES))
)
DRIVE_UNIT_PARAMETER_COUNT = len(DRIVE_UNIT_PARAMETER_NAMES)


def _lp(name: str) -> int:
    return DRIVE_UNIT_PARAMETER_NAMES.index(name)


LP_LOSS_MODEL = _lp("loss_model")
LP_NOMINAL_BUS_VOLTAGE = _lp("nominal_bus_voltage_v")
LP_TORQUE_CONSTANT = _lp("torque_constant_nm_per_a")
LP_PHASE_RESISTANCE = _lp("phase_resistance_ohm")
LP_FW_CURRENT = _lp("field_weakening_current_a")
LP_FW_SPEED = _lp("field_weakening_speed_radps")
LP_IRON_HYSTERESIS = _lp("iron_hysteresis_w_per_radps")
LP_IRON_EDDY = _lp("iron_eddy_w_per_radps2")
LP_FRICTION = _lp("friction_torque_nm")
LP_WINDAGE = _lp("windage_w_per_radps3")
LP_SWITCHING_FREQUENCY = _lp("switching_frequency_hz")
LP_SWITCH_KNEE = _lp("switch_knee_voltage_v")
LP_SWITCH_RESISTANCE = _lp("switch_resistance_ohm")
LP_DIODE_KNEE = _lp("diode_knee_voltage_v")
LP_DIODE_RESISTANCE = _lp("diode_resistance_ohm")
LP_SWITCHING_ENERGY = _lp("switching_energy_j")
LP_SWITCHING_REF_CURRENT = _lp("switching_reference_current_a")
LP_SWITCHING_REF_VOLTAGE = _lp("switching_reference_voltage_v")
LP_SWITCHING_EXPONENT = _lp("switching_voltage_exponent")
LP_CABLE_RESISTANCE = _lp("cable_resistance_ohm")
LP_GEAR_EFFICIENCY = _lp("gear_efficiency")
LP_RATED_POWER = _lp("rated_power_w")
LP_FRACTION_INTERPOLATION = _lp("fraction_interpolation")
LP_FRACTION_COUNT = _lp("fraction_count")
LP_MAP_SPEED_COUNT = _lp("map_speed_count")
LP_MAP_TORQUE_COUNT = _lp("map_torque_count")
LP_FRACTION_POWER = _lp("fraction_power_0")
LP_FRACTION_EFFICIENCY = _lp("fraction_efficiency_0")
LP_MAP_SPEED = _lp("map_speed_radps_0")
LP_MAP_TORQUE = _lp("map_torque_nm_0")
LP_MAP_EFFICIENCY = _lp("map_efficiency_0_0")

#: Floor of a speed [rad/s] used as a divisor (field weakening, flux fraction).
_SPEED_FLOOR_RADPS = 1e-6


@_kernel
def machine_phase_current_a(torque_nm, omega_radps, torque_constant_nm_per_a,
                            field_weakening_current_a, field_weakening_speed_radps):
    """Phase rms current [A] of the machine: ``sqrt(i_q^2 + i_d^2)`` with the torque-producing
    ``i_q = |T| / k_t`` and the field-weakening ``i_d = I_ch (1 - w_fw / |w|)`` above the
    field-weakening speed ``w_fw`` (0 below): the d-axis current that holds the flux linkage
    at ``psi w_fw / |w|`` so that the back-EMF stays at the bus limit (``I_ch = psi / L_d``,
    surface-magnet machine: ``i_d`` makes no torque)."""
    i_q = abs(torque_nm) / torque_constant_nm_per_a
    ratio = field_weakening_speed_radps / max(abs(omega_radps), _SPEED_FLOOR_RADPS)
    i_d = field_weakening_current_a * max(1.0 - ratio, 0.0)
    return math.sqrt(i_q * i_q + i_d * i_d)


@_kernel
def machine_copper_loss_w(phase_current_a, phase_resistance_ohm):
    """Stator copper loss [W]: ``3 R_s I_rms^2`` (three phases)."""
    return 3.0 * phase_resistance_ohm * phase_current_a * phase_current_a


@_kernel
def machine_iron_loss_w(omega_radps, hysteresis_w_per_radps, eddy_w_per_radps2,
                        field_weakening_speed_radps):
    """Iron loss [W]: ``(c1 |w| + c2 w^2) * (psi/psi_0)^2`` where the flux fraction
    ``psi/psi_0 = min(1, w_fw / |w|)`` falls in field weakening (hysteresis ~ f B^2, eddy
    currents ~ f^2 B^2)."""
    speed = abs(omega_radps)
    flux = min(1.0, field_weakening_speed_radps / max(speed, _SPEED_FLOOR_RADPS))
    return (hysteresis_w_per_radps * speed + eddy_w_per_radps2 * speed * speed) * flux * flux


@_kernel
def machine_friction_loss_w(omega_radps, friction_torque_nm, windage_w_per_radps3):
    """Bearing friction and windage [W]: ``c |w| + c' |w|^3``."""
    speed = abs(omega_radps)
    return friction_torque_nm * speed + windage_w_per_radps3 * speed * speed * speed


@_kernel
def cable_current_a(inverter_dc_power_w, bus_voltage_v, cable_resistance_ohm):
    """DC current [A] in a cable of resistance ``cable_resistance_ohm`` [Ohm] (both conductors)
    from a bus at ``bus_voltage_v`` [V] to an inverter drawing ``inverter_dc_power_w`` [W]:
    the root of ``R I^2 - V I + P = 0`` nearest ``P / V``, written ``2P / (V + sqrt(V^2 -
    4RP))`` (exact, also for R = 0 and regeneration; the discriminant is floored at 0, which
    only a power beyond ``V^2 / 4R``, megawatts, would reach)."""
    v = max(bus_voltage_v, 1e-3)
    disc = max(v * v - 4.0 * cable_resistance_ohm * inverter_dc_power_w, 0.0)
    return 2.0 * inverter_dc_power_w / (v + math.sqrt(disc))


@_kernel
def _table_1d(lp, x_offset, y_offset, count, x, step_lower):
    """Interpolate entries ``y_offset..`` of ``lp`` over the ascending grid ``x_offset..``
    (``count`` >= 2 points) at ``x``, clamped to the end values; ``step_lower`` selects the
    value at the largest grid point <= x (FASTSim's ``Step: Lower``) instead of linear."""
    k = 0
    for j in range(1, count - 1):
        k = j if x >= lp[x_offset + j] else k
    x0 = lp[x_offset + k]
    x1 = lp[x_offset + k + 1]
    u = min(max((x - x0) / (x1 - x0), 0.0), 1.0)
    u = (1.0 if u >= 1.0 else 0.0) if step_lower else u
    return lp[y_offset + k] + u * (lp[y_offset + k + 1] - lp[y_offset + k])


@_kernel
def map_efficiency(lp, torque_nm, omega_radps):
    """Drive-unit efficiency [-] from the speed-torque map: bilinear in (|w|, T sign(w)) on the
    grid (clamped to its edges; a reversing machine mirrors its forward quadrants)."""
    speed = abs(omega_radps)
    torque = torque_nm if omega_radps >= 0.0 else -torque_nm
    ns = int(lp[LP_MAP_SPEED_COUNT])
    nt = int(lp[LP_MAP_TORQUE_COUNT])
    i = 0
    for k in range(1, ns - 1):
        i = k if speed >= lp[LP_MAP_SPEED + k] else i
    j = 0
    for k in range(1, nt - 1):
        j = k if torque >= lp[LP_MAP_TORQUE + k] else j
    s0 = lp[LP_MAP_SPEED + i]
    t0 = lp[LP_MAP_TORQUE + j]
    u = min(max((speed - s0) / (lp[LP_MAP_SPEED + i + 1] - s0), 0.0), 1.0)
    v = min(max((torque - t0) / (lp[LP_MAP_TORQUE + j + 1] - t0), 0.0), 1.0)
    base = LP_MAP_EFFICIENCY + i * MAP_MAX_TORQUES + j
    e00 = lp[base]
    e01 = lp[base + 1]
    e10 = lp[base + MAP_MAX_TORQUES]
    e11 = lp[base + MAP_MAX_TORQUES + 1]
    return ((1.0 - u) * ((1.0 - v) * e00 + v * e01) + u * ((1.0 - v) * e10 + v * e11))


@_kernel
def power_fraction_efficiency(lp, shaft_power_w):
    """Drive-unit efficiency [-] from the 1-D table over the signed shaft power / rated power
    (FASTSim's form: motoring and regeneration look up the same signed fraction, clamped to the
    grid's ends, so a table on 0..1 regenerates at its 0 % efficiency, as FASTSim 3.1 does)."""
    x = shaft_power_w / lp[LP_RATED_POWER]
    step = lp[LP_FRACTION_INTERPOLATION] == INTERPOLATION_STEP_LOWER
    return _table_1d(lp, LP_FRACTION_POWER, LP_FRACTION_EFFICIENCY,
                     int(lp[LP_FRACTION_COUNT]), x, step)


@_kernel
def drive_unit_dc_power(lp, torque_shaft_nm, omega_shaft_radps, bus_voltage_v):
    """Electrical power of one drive unit at the battery bus, and its losses.

    ``lp``: the slot's vector laid out by :data:`DRIVE_UNIT_PARAMETER_NAMES`;
    ``torque_shaft_nm`` [N·m] and ``omega_shaft_radps`` [rad/s] at the machine shaft, positive
    forward (the reduction gear is outside: :mod:`sim.powertrain.gear`); ``bus_voltage_v`` [V]
    > 0 at the battery end of the DC cable.

    Returns ``(dc_power_w, copper_loss_w, iron_loss_w, friction_loss_w, inverter_loss_w,
    cable_loss_w, lumped_loss_w)``: ``dc_power_w`` > 0 drawn from the bus, < 0 fed back; every
    loss >= 0 and ``dc_power_w = T w + sum(losses)`` exactly (motoring and generating). With
    ``loss_model`` = physics the lumped loss is 0; with a map or a power-fraction table the
    machine and inverter losses are not separable and only ``lumped_loss_w`` (and the cable)
    is non-zero: ``P_dc = P/eta`` motoring, ``P eta`` generating.
    """
    p_mech = torque_shaft_nm * omega_shaft_radps
    mode = lp[LP_LOSS_MODEL]
    copper = 0.0
    iron = 0.0
    friction = 0.0
    inverter = 0.0
    lumped = 0.0
    if mode == LOSS_MODEL_PHYSICS:
        w_fw = lp[LP_FW_SPEED] * bus_voltage_v / lp[LP_NOMINAL_BUS_VOLTAGE]
        i_rms = machine_phase_current_a(torque_shaft_nm, omega_shaft_radps,
                                        lp[LP_TORQUE_CONSTANT], lp[LP_FW_CURRENT], w_fw)
        copper = machine_copper_loss_w(i_rms, lp[LP_PHASE_RESISTANCE])
        iron = machine_iron_loss_w(omega_shaft_radps, lp[LP_IRON_HYSTERESIS], lp[LP_IRON_EDDY],
                                   w_fw)
        friction = machine_friction_loss_w(omega_shaft_radps, lp[LP_FRICTION], lp[LP_WINDAGE])
        p_ac = p_mech + copper + iron + friction
        peak = math.sqrt(2.0) * i_rms
        mc = modulation_power_factor(p_ac, peak, bus_voltage_v)
        inverter = (inverter_conduction_loss_w(peak, mc, lp[LP_SWITCH_KNEE],
                                               lp[LP_SWITCH_RESISTANCE], lp[LP_DIODE_KNEE],
                                               lp[LP_DIODE_RESISTANCE])
                    + inverter_switching_loss_w(peak, bus_voltage_v, lp[LP_SWITCHING_FREQUENCY],
                                                lp[LP_SWITCHING_ENERGY],
                                                lp[LP_SWITCHING_REF_CURRENT],
                                                lp[LP_SWITCHING_REF_VOLTAGE],
                                                lp[LP_SWITCHING_EXPONENT]))
    else:
        if mode == LOSS_MODEL_SPEED_TORQUE_MAP:
            eta = map_efficiency(lp, torque_shaft_nm, omega_shaft_radps)
        else:
            eta = power_fraction_efficiency(lp, p_mech)
        p_elec = p_mech / eta if p_mech >= 0.0 else p_mech * eta
        lumped = p_elec - p_mech
    p_inverter_dc = p_mech + copper + iron + friction + inverter + lumped
    i_dc = cable_current_a(p_inverter_dc, bus_voltage_v, lp[LP_CABLE_RESISTANCE])
    cable = lp[LP_CABLE_RESISTANCE] * i_dc * i_dc
    return (p_inverter_dc + cable, copper, iron, friction, inverter, cable, lumped)



# --------------------------------------------------------------------------------------------
# numpy entry points: validate at the edge, call the same kernels.
# --------------------------------------------------------------------------------------------

class DriveUnitLosses(NamedTuple):
    """Arrays returned by :func:`drive_unit_losses` (same shape as the broadcast inputs), [W]:
    power drawn from the bus (< 0 fed back) and each loss (>= 0)."""

    dc_power_w: np.ndarray
    copper_loss_w: np.ndarray
    iron_loss_w: np.ndarray
    friction_loss_w: np.ndarray
    inverter_loss_w: np.ndarray
    cable_loss_w: np.ndarray
    lumped_loss_w: np.ndarray


def _check_vector(lp, source: str) -> np.ndarray:
    lp = np.asarray(lp, dtype=float)
    if lp.shape[-1:] != (DRIVE_UNIT_PARAMETER_COUNT,):
        raise SpecError(source, "lp", f"array of shape {lp.shape}",
                        f"a drive-unit vector of {DRIVE_UNIT_PARAMETER_COUNT} entries "
                        "(DRIVE_UNIT_PARAMETER_NAMES), optionally batched (..., P)")
    if not np.all(np.isfinite(lp)):
        raise SpecError(source, "lp", "non-finite entries", "finite numbers")
    return lp


def drive_unit_losses(lp, torque_shaft_nm, omega_shaft_radps, bus_voltage_v) -> DriveUnitLosses:
    """Vectorised :func:`drive_unit_dc_power`: ``lp`` of shape (P,) or (..., P) (one vector per
    operating point, broadcast against the others), shaft torque [N·m], shaft speed [rad/s]
    and bus voltage [V] > 0 broadcast together. Returns :class:`DriveUnitLosses`."""
    lp = _check_vector(lp, "drive_unit_losses")
    t, w, v = np.broadcast_arrays(np.asarray(torque_shaft_nm, dtype=float),
                                  np.asarray(omega_shaft_radps, dtype=float),
                                  np.asarray(bus_voltage_v, dtype=float))
    for name, arr in (("torque_shaft_nm", t), ("omega_shaft_radps", w)):
        if not np.all(np.isfinite(arr)):
            raise SpecError("drive_unit_losses", name, arr[~np.isfinite(arr)][0],
                            "finite numbers")
    if not np.all(np.isfinite(v) & (v > 0.0)):
        raise SpecError("drive_unit_losses", "bus_voltage_v", v[~(np.isfinite(v) & (v > 0))][0],
                        "finite numbers > 0 [V]")
    shape = np.broadcast_shapes(t.shape, lp.shape[:-1])
    t, w, v = (kernel_array(np.broadcast_to(a, shape)).ravel() for a in (t, w, v))
    lps = kernel_array(np.broadcast_to(lp, shape + (DRIVE_UNIT_PARAMETER_COUNT,))
                       .reshape(-1, DRIVE_UNIT_PARAMETER_COUNT))
    out = _drive_unit_many(lps, t, w, v)
    return DriveUnitLosses(*(out[k].reshape(shape) for k in range(7)))


@numba.njit(cache=True, error_model="numpy")
def _drive_unit_many(lps, t, w, v):
    out = np.empty((7, t.size))
    for k in range(t.size):
        r = drive_unit_dc_power(lps[k], t[k], w[k], v[k])
        for m in range(7):
            out[m, k] = r[m]
    return out


def drive_unit_efficiency(lp, torque_shaft_nm, omega_shaft_radps, bus_voltage_v) -> np.ndarray:
    """Efficiency [-] of the drive unit (bus to shaft): ``T w / P_dc`` motoring, ``P_dc / (T w)``
    generating; 0 where no mechanical power flows or where the bus supplies the losses of a
    generating machine (``P_dc >= 0 > T w``)."""
    res = drive_unit_losses(lp, torque_shaft_nm, omega_shaft_radps, bus_voltage_v)
    p_mech = (np.asarray(torque_shaft_nm, dtype=float)
              * np.asarray(omega_shaft_radps, dtype=float)) + np.zeros_like(res.dc_power_w)
    p_dc = res.dc_power_w
    with np.errstate(divide="ignore", invalid="ignore"):
        eta = np.where(p_mech > 0.0, p_mech / p_dc,
                       np.where((p_mech < 0.0) & (p_dc < 0.0), p_dc / p_mech, 0.0))
    return eta


def _fill_table(lp, offset, values):
    lp[offset:offset + len(values)] = values


def drive_unit_parameters(*, loss_model: str = "physics", nominal_bus_voltage_v: float,
                          gear_efficiency: float, cable_resistance_ohm: float = 0.0,
                          torque_constant_nm_per_a: float = 0.0, phase_resistance_ohm: float = 0.0,
                          field_weakening_current_a: float = 0.0,
                          field_weakening_speed_radps: float = 0.0,
                          iron_hysteresis_w_per_radps: float = 0.0,
                          iron_eddy_w_per_radps2: float = 0.0, friction_torque_nm: float = 0.0,
                          windage_w_per_radps3: float = 0.0,
                          inverter: Mapping[str, float] | None = None,
                          rated_power_w: float = 0.0, power_fraction=None,
                          fraction_efficiency=None, fraction_interpolation: str = "linear",
                          map_speed_radps=None, map_torque_nm=None, map_efficiency=None,
                          source: str = "drive_unit_parameters") -> np.ndarray:
    """One slot's drive-unit vector (:data:`DRIVE_UNIT_PARAMETER_NAMES`) from named values in SI.

    ``loss_model``: ``"physics"`` (machine constants and ``inverter``: a mapping with the keys
    ``switching_frequency_hz, switch_knee_voltage_v, switch_resistance_ohm,
    diode_knee_voltage_v, diode_resistance_ohm, switching_energy_j,
    switching_reference_current_a, switching_reference_voltage_v, switching_voltage_exponent``),
    ``"speed_torque_map"`` (``map_speed_radps`` (S,) >= 0 ascending, ``map_torque_nm`` (T,)
    ascending signed, ``map_efficiency`` (S, T) in (0, 1]) or ``"power_fraction"``
    (``power_fraction`` (F,) ascending signed shaft power / ``rated_power_w``,
    ``fraction_efficiency`` (F,) in (0, 1], ``fraction_interpolation`` ``"linear"`` or
    ``"step_lower"``). Bad values raise :class:`~sim.errors.SpecError` naming them.
    """
    lp = np.zeros(DRIVE_UNIT_PARAMETER_COUNT)
    models = {"physics": LOSS_MODEL_PHYSICS, "speed_torque_map": LOSS_MODEL_SPEED_TORQUE_MAP,
              "power_fraction": LOSS_MODEL_POWER_FRACTION}
    if loss_model not in models:
        raise SpecError(source, "loss_model", loss_model, "one of " + ", ".join(models))
    lp[LP_LOSS_MODEL] = models[loss_model]

    def put(index, name, value, lo, hi, lo_open=False):
        ok = np.isfinite(value) and (value > lo if lo_open else value >= lo) and value <= hi
        if not ok:
            raise SpecError(source, name, value,
                            f"a finite number {'>' if lo_open else '>='} {lo:g} and <= {hi:g}")
        lp[index] = value

    put(LP_NOMINAL_BUS_VOLTAGE, "nominal_bus_voltage_v", nominal_bus_voltage_v, 0.0, 2000.0, True)
    put(LP_GEAR_EFFICIENCY, "gear_efficiency", gear_efficiency, 0.0, 1.0, True)
    put(LP_CABLE_RESISTANCE, "cable_resistance_ohm", cable_resistance_ohm, 0.0, 1.0)
    if loss_model == "physics":
        put(LP_TORQUE_CONSTANT, "torque_constant_nm_per_a", torque_constant_nm_per_a, 0.0, 100.0,
            True)
        put(LP_PHASE_RESISTANCE, "phase_resistance_ohm", phase_resistance_ohm, 0.0, 10.0)
        put(LP_FW_CURRENT, "field_weakening_current_a", field_weakening_current_a, 0.0, 1e4)
        put(LP_FW_SPEED, "field_weakening_speed_radps", field_weakening_speed_radps, 0.0, 1e4,
            True)
        put(LP_IRON_HYSTERESIS, "iron_hysteresis_w_per_radps", iron_hysteresis_w_per_radps,
            0.0, 1e3)
        put(LP_IRON_EDDY, "iron_eddy_w_per_radps2", iron_eddy_w_per_radps2, 0.0, 10.0)
        put(LP_FRICTION, "friction_torque_nm", friction_torque_nm, 0.0, 100.0)
        put(LP_WINDAGE, "windage_w_per_radps3", windage_w_per_radps3, 0.0, 1e-3)
        if inverter is None:
            raise SpecError(source, "inverter", None, "the inverter's device parameters")
        bounds = {"switching_frequency_hz": (LP_SWITCHING_FREQUENCY, 0.0, 2e5, True),
                  "switch_knee_voltage_v": (LP_SWITCH_KNEE, 0.0, 5.0, False),
                  "switch_resistance_ohm": (LP_SWITCH_RESISTANCE, 0.0, 1.0, False),
                  "diode_knee_voltage_v": (LP_DIODE_KNEE, 0.0, 5.0, False),
                  "diode_resistance_ohm": (LP_DIODE_RESISTANCE, 0.0, 1.0, False),
                  "switching_energy_j": (LP_SWITCHING_ENERGY, 0.0, 10.0, False),
                  "switching_reference_current_a": (LP_SWITCHING_REF_CURRENT, 0.0, 1e5, True),
                  "switching_reference_voltage_v": (LP_SWITCHING_REF_VOLTAGE, 0.0, 1e4, True),
                  "switching_voltage_exponent": (LP_SWITCHING_EXPONENT, 0.0, 3.0, False)}
        for key, (index, lo, hi, lo_open) in bounds.items():
            if key not in inverter:
                raise SpecError(source, f"inverter.{key}", None, "a number (required)")
            put(index, f"inverter.{key}", float(inverter[key]), lo, hi, lo_open)
    elif loss_model == "power_fraction":
        put(LP_RATED_POWER, "rated_power_w", rated_power_w, 0.0, 1e7, True)
        x = _ascending(power_fraction, "power_fraction", FRACTION_MAX_POINTS, source)
        eta = _efficiencies(fraction_efficiency, "fraction_efficiency", x.shape, source)
        kinds = {"linear": INTERPOLATION_LINEAR, "step_lower": INTERPOLATION_STEP_LOWER}
        if fraction_interpolation not in kinds:
            raise SpecError(source, "fraction_interpolation", fraction_interpolation,
                            "one of " + ", ".join(kinds))
        lp[LP_FRACTION_INTERPOLATION] = kinds[fraction_interpolation]
        lp[LP_FRACTION_COUNT] = x.size
        _fill_table(lp, LP_FRACTION_POWER, x)
        _fill_table(lp, LP_FRACTION_EFFICIENCY, eta)
    else:
        s = _ascending(map_speed_radps, "map_speed_radps", MAP_MAX_SPEEDS, source)
        if s[0] < 0.0:
            raise SpecError(source, "map_speed_radps", s[0], "speeds >= 0 [rad/s]")
        t = _ascending(map_torque_nm, "map_torque_nm", MAP_MAX_TORQUES, source)
        eta = _efficiencies(map_efficiency, "map_efficiency", (s.size, t.size), source)
        lp[LP_MAP_SPEED_COUNT] = s.size
        lp[LP_MAP_TORQUE_COUNT] = t.size
        _fill_table(lp, LP_MAP_SPEED, s)
        _fill_table(lp, LP_MAP_TORQUE, t)
        for i in range(s.size):
            _fill_table(lp, LP_MAP_EFFICIENCY + i * MAP_MAX_TORQUES, eta[i])
    return lp


def _ascending(values, name: str, max_size: int, source: str) -> np.ndarray:
    if values is None:
        raise SpecError(source, name, None, f"2 to {max_size} strictly ascending numbers")
    x = np.asarray(values, dtype=float)
    if (x.ndim != 1 or not 2 <= x.size <= max_size or not np.all(np.isfinite(x))
            or not np.all(np.diff(x) > 0.0)):
        raise SpecError(source, name, values, f"2 to {max_size} strictly ascending numbers")
    return x


def _efficiencies(values, name: str, shape, source: str) -> np.ndarray:
    if values is None:
        raise SpecError(source, name, None, f"efficiencies in (0, 1] of shape {shape}")
    eta = np.asarray(values, dtype=float)
    if eta.shape != tuple(shape):
        raise SpecError(source, name, f"array of shape {eta.shape}",
                        f"efficiencies in (0, 1] of shape {tuple(shape)}")
    bad = ~(np.isfinite(eta) & (eta > 0.0) & (eta <= 1.0))
    if bad.any():
        raise SpecError(source, f"{name}[{', '.join(map(str, np.argwhere(bad)[0]))}]",
                        float(eta[bad][0]), "an efficiency in (0, 1]")
    return eta


def read_efficiency_map_csv(csv_path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read a speed-torque efficiency map from a CSV file with a header row and the columns
    ``speed_rpm, torque_nm, efficiency`` (one row per grid point, every (speed, torque) pair of
    a full grid present once, any order; torque signed: < 0 generating; efficiency in (0, 1]).

    Returns ``(speed_radps (S,), torque_nm (T,), efficiency (S, T))`` for
    :func:`drive_unit_parameters`. A missing column, a missing or repeated grid point or a bad
    value raises :class:`~sim.errors.SpecError` naming the file, the row and the value.
    """
    source = str(csv_path)
    try:
        data = np.genfromtxt(csv_path, delimiter=",", names=True, dtype=float, ndmin=1)
    except (OSError, ValueError) as exc:
        raise SpecError(source, "<file>", str(exc), "a readable CSV file") from None
    needed = ("speed_rpm", "torque_nm", "efficiency")
    names = data.dtype.names or ()
    for col in needed:
        if col not in names:
            raise SpecError(source, col, MISSING_COLUMN, "columns " + ", ".join(needed))
    for col in needed:
        bad = ~np.isfinite(data[col])
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise SpecError(source, f"row {row + 2}.{col}", data[col][row], "a finite number")
    speeds = np.unique(data["speed_rpm"])
    torques = np.unique(data["torque_nm"])
    eta = np.full((speeds.size, torques.size), np.nan)
    for row, (n, t, e) in enumerate(zip(data["speed_rpm"], data["torque_nm"],
                                        data["efficiency"], strict=True)):
        i, j = np.searchsorted(speeds, n), np.searchsorted(torques, t)
        if np.isfinite(eta[i, j]):
            raise SpecError(source, f"row {row + 2}", f"speed_rpm={n:g}, torque_nm={t:g}",
                            "each grid point once")
        eta[i, j] = e
    if np.isnan(eta).any():
        i, j = np.argwhere(np.isnan(eta))[0]
        raise SpecError(source, "<grid>", f"speed_rpm={speeds[i]:g}, torque_nm={torques[j]:g}",
                        "a full grid: every (speed, torque) pair present")
    return speeds * (math.pi / 30.0), torques, eta


def read_power_fraction_csv(csv_path) -> tuple[np.ndarray, np.ndarray]:
    """Read a power-fraction efficiency table from a CSV file with a header row and the columns
    ``power_fraction`` (signed shaft power / rated power, ascending) and ``efficiency``."""
    source = str(csv_path)
    try:
        data = np.genfromtxt(csv_path, delimiter=",", names=True, dtype=float, ndmin=1)
    except (OSError, ValueError) as exc:
        raise SpecError(source, "<file>", str(exc), "a readable CSV file") from None
    for col in ("power_fraction", "efficiency"):
        if col not in (data.dtype.names or ()):
            raise SpecError(source, col, MISSING_COLUMN, "columns power_fraction, efficiency")
    return np.asarray(data["power_fraction"]), np.asarray(data["efficiency"])


def drive_unit_parameters_from_spec(motor, high_voltage) -> np.ndarray:
    """One slot's drive-unit vector from a vehicle file's motor (``[drivetrain.motors.<name>]``
    with its ``losses`` table) and ``[drivetrain.high_voltage]`` (read by attribute; this layer
    does not import the spec). A motor without ``losses`` gives a lossless unit: a
    power-fraction table of efficiency 1 (electrical = mechanical power, the behaviour before
    losses existed) with the gear efficiency 1."""
    from sim.powertrain.cable import cable_resistance_ohm

    source = "drive_unit_parameters_from_spec"
    losses = getattr(motor, "losses", None)
    rated_w = float(motor.peak_power_kw) * 1e3
    if losses is None:
        return drive_unit_parameters(loss_model="power_fraction", nominal_bus_voltage_v=
                                     high_voltage.nominal_voltage_v if high_voltage else 800.0,
                                     gear_efficiency=1.0, rated_power_w=rated_w,
                                     power_fraction=[0.0, 1.0], fraction_efficiency=[1.0, 1.0],
                                     source=source)
    cable_r = float(cable_resistance_ohm(high_voltage.cable_length_m,
                                         high_voltage.cable_cross_section_mm2))
    common = dict(nominal_bus_voltage_v=high_voltage.nominal_voltage_v,
                  gear_efficiency=losses.gear_efficiency, cable_resistance_ohm=cable_r,
                  source=source)
    if losses.model == "speed_torque_map":
        s, t, e = read_efficiency_map_csv(losses.map_csv)
        return drive_unit_parameters(loss_model="speed_torque_map", map_speed_radps=s,
                                     map_torque_nm=t, map_efficiency=e, **common)
    if losses.model == "power_fraction":
        x, e = read_power_fraction_csv(losses.power_fraction_csv)
        return drive_unit_parameters(loss_model="power_fraction", rated_power_w=rated_w,
                                     power_fraction=x, fraction_efficiency=e,
                                     fraction_interpolation=losses.fraction_interpolation,
                                     **common)
    inv = losses.inverter
    mosfet = inv.device == "sic_mosfet"
    inverter = dict(switching_frequency_hz=inv.switching_frequency_hz,
                    switch_knee_voltage_v=0.0 if mosfet else inv.knee_voltage_v,
                    switch_resistance_ohm=inv.on_resistance_ohm,
                    diode_knee_voltage_v=0.0 if mosfet else inv.diode_knee_voltage_v,
                    diode_resistance_ohm=(inv.on_resistance_ohm if mosfet
                                          else inv.diode_resistance_ohm),
                    switching_energy_j=inv.switching_energy_j,
                    switching_reference_current_a=inv.reference_current_a,
                    switching_reference_voltage_v=inv.reference_voltage_v,
                    switching_voltage_exponent=inv.voltage_exponent)
    return drive_unit_parameters(
        torque_constant_nm_per_a=losses.torque_constant_nm_per_a,
        phase_resistance_ohm=losses.phase_resistance_ohm,
        field_weakening_current_a=losses.field_weakening_current_a,
        field_weakening_speed_radps=losses.field_weakening_speed_rpm * (math.pi / 30.0),
        iron_hysteresis_w_per_radps=losses.iron_hysteresis_w_per_radps,
        iron_eddy_w_per_radps2=losses.iron_eddy_w_per_radps2,
        friction_torque_nm=losses.friction_torque_nm,
        windage_w_per_radps3=losses.windage_w_per_radps3, inverter=inverter, **common)


MISSING_COLUMN = "<missing column>"

__all__ = ["DRIVE_UNIT_PARAMETER_COUNT", "DRIVE_UNIT_PARAMETER_NAMES", "DriveUnitLosses",
           "FRACTION_MAX_POINTS", "INTERPOLATION_LINEAR", "INTERPOLATION_STEP_LOWER",
           "LOSS_MODEL_PHYSICS", "LOSS_MODEL_POWER_FRACTION", "LOSS_MODEL_SPEED_TORQUE_MAP",
           "MAP_MAX_SPEEDS", "MAP_MAX_TORQUES", "TAPER_FRACTION", "cable_current_a",
           "drive_unit_dc_power", "drive_unit_efficiency", "drive_unit_losses",
           "drive_unit_parameters", "drive_unit_parameters_from_spec",
           "machine_copper_loss_w", "machine_friction_loss_w",
           "machine_iron_loss_w", "machine_phase_current_a", "map_efficiency",
           "power_fraction_efficiency", "read_efficiency_map_csv",
           "read_power_fraction_csv", "shaft_torque_limit_nm"]
