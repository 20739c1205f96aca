"""What torque vectoring costs, read from a run's recorded channels: how hard the tyres work
and how much energy the machines and the friction brakes turn over.

:func:`costs` takes a :class:`sim.Result` (any controller; it needs no module channel) and
returns one value per row. Definitions (wheels FL, FR, RL, RR; trapezoidal integration over
the recorded samples, a member's samples after it ended left out):

* **tyre utilisation** of a wheel ``eta = sqrt(F_x² + F_y²) / (mu F_z)`` [-]: the tyre's
  force in its ground plane over the largest it can give, with ``mu`` the road friction
  (``road_friction`` of the run) times the tyre's peak friction coefficient. Which peak: given
  as a number or an array (e.g. :func:`sim.adm.tyre_peak_friction`, the tyres' lateral MF 6.1
  peak at their mean static load, what the module's estimators assume), or, given the
  vehicle, the lateral peak ``|mu_y(F_z)|`` of that axle's MF 6.1 tyre at the wheel's load of
  each sample (with the load sensitivity: a lightly loaded inner tyre has the higher peak).
  Either way one coefficient for both directions (a friction circle): a tyre whose
  longitudinal peak exceeds its lateral one can show ``eta`` slightly above 1.
  ``mean_utilisation_<w>`` is the time mean, ``peak_utilisation_<w>`` the largest sample;
  ``mean_utilisation`` and ``peak_utilisation`` are over all four wheels.
* **machine energy** at the wheels: the net mechanical power of the machines
  ``P = sum_w T_w omega_w`` (drive torque, negative when regenerating, times wheel speed: the
  mechanical side; the electrical side is below), ``machine_energy_drawn_j = int max(P, 0)
  dt``, ``machine_energy_recovered_j = int max(-P, 0) dt`` [J]. One machine regenerating
  while another drives (left/right vectoring) is netted, as in the battery.
* **friction-brake energy** ``friction_brake_energy_j = int sum_w T_b,w |omega_w| dt`` [J]:
  heat in the brakes (brake torques are magnitudes).
* **electrical energy** (a vehicle with a battery in the loop; NaN otherwise), from the
  recorded battery terminal power ``P_t`` (drive units' DC power with every loss, and the
  auxiliaries; :mod:`sim.chassis.powertrain`): ``battery_energy_drawn_j = int max(P_t, 0)
  dt``, ``battery_energy_recovered_j = int max(-P_t, 0) dt`` at the battery terminals, and
  ``drive_unit_loss_j = int (sum_k P_dc,k - sum_w T_w omega_w) dt``: what the machines,
  inverters, reduction gears and cables lose between the bus and the wheels.
* **losses by component** over the whole run, exact to the integration (from
  ``Result.energy_j``; NaN when a time window is given or the result has no energy
  accounts): :data:`LOSS_TERMS` (battery internal heat, cables, inverters, machines' copper,
  iron and friction, efficiency-map drive units, gears, friction brakes, tyre slip).
"""

from __future__ import annotations

import warnings

import numpy as np

from sim.errors import SpecError

WHEELS = ("fl", "fr", "rl", "rr")

#: Units of every entry :func:`costs` returns.
COST_UNITS = {
    **{f"mean_utilisation_{w}": "-" for w in WHEELS},
    **{f"peak_utilisation_{w}": "-" for w in WHEELS},
    "mean_utilisation": "-", "peak_utilisation": "-",
    "machine_energy_drawn_j": "J", "machine_energy_recovered_j": "J",
    "friction_brake_energy_j": "J",
    "battery_energy_drawn_j": "J", "battery_energy_recovered_j": "J", "drive_unit_loss_j": "J",
}
#: Losses by component over the whole run (``Result.energy_j`` terms).
LOSS_TERMS = ("battery_heat_j", "cable_j", "inverter_j", "machine_copper_j", "machine_iron_j",
              "machine_friction_j", "drive_unit_lumped_j", "gear_j", "friction_brake_j",
              "tyre_slip_j")
COST_UNITS.update({term: "J" for term in LOSS_TERMS})


def _stack(result, pattern):
    return np.stack([np.asarray(result.channels[pattern.format(w=w)], dtype=float)
                     for w in WHEELS], axis=-1)  # (N, T, 4)


def _peak_friction_per_sample(vehicle, fz):
    """Lateral MF 6.1 peak friction ``|mu_y|`` of each wheel's axle tyre at loads ``fz``
    (N, T, 4): the ``.tir`` file with each member's ``[tyres.<axle>.scaling]``
    (:func:`sim.params.tyre_parameters`; one vehicle serves every row)."""
    from sim.params import tyre_parameters, tyre_sets
    from sim.tyre.mf61 import peak_friction

    n = fz.shape[0]
    if vehicle.batch_size not in (1, n):
        raise SpecError("<costs>", "tyre_peak_friction", f"a batch of {vehicle.batch_size}",
                        f"one vehicle or a batch of {n}, as the result's rows")
    sets, index = tyre_sets(np.stack([tyre_parameters(vehicle, axle, n)
                                      for axle in ("front", "rear")], axis=1))
    out = np.full(fz.shape, np.nan)
    for k, pair in enumerate(sets):
        rows = index == k
        loads = fz[rows]
        values = np.full(loads.shape, np.nan)
        for tyre, wheels in ((pair[0], slice(0, 2)), (pair[1], slice(2, 4))):
            axle = loads[..., wheels]
            live = np.isfinite(axle) & (axle > 0.0)
            if np.any(live):
                values[..., wheels][live] = np.abs(peak_friction(tyre, axle[live])[1])
        out[rows] = values
    return out


def costs(result, tyre_peak_friction, *, t_from_s: float | None = None,
          t_to_s: float | None = None) -> dict[str, np.ndarray]:
    """Tyre utilisation and energy of every row of ``result`` (a :class:`sim.Result`), each
    an (N,) array; units in :data:`COST_UNITS`, definitions in the module docstring.

    ``tyre_peak_friction``: the tyres' peak friction coefficient on the tyre files' road [-],
    a number, an (N,) array or an (N, 4) array per wheel, or a vehicle
    (:class:`sim.spec.vehicle.Vehicle`) for the load-dependent MF 6.1 lateral peak of each
    sample; multiplied by the run's ``road_friction``. ``t_from_s``, ``t_to_s``: only the
    samples in that time window [s] (default: all). Raises
    :class:`~sim.errors.SpecError` for a missing channel or a bad window or coefficient.
    """
    time = np.asarray(result.time_s, dtype=float)
    lo = -np.inf if t_from_s is None else float(t_from_s)
    hi = np.inf if t_to_s is None else float(t_to_s)
    window = (time >= lo - 1e-12) & (time <= hi + 1e-12)
    if np.count_nonzero(window) < 2:
        raise SpecError("<costs>", "t_from_s, t_to_s", (t_from_s, t_to_s),
                        "a window holding at least two recorded samples")
    try:
        fx, fy, fz = (_stack(result, f"{q}_{{w}}_n")[:, window] for q in ("fx", "fy", "fz"))
        drive = _stack(result, "drive_torque_{w}_nm")[:, window]
        brake = _stack(result, "brake_torque_{w}_nm")[:, window]
        omega = _stack(result, "omega_{w}_radps")[:, window]
    except KeyError as err:
        raise SpecError("<costs>", "result", err.args[0],
                        "a Result with the tyre forces, wheel torques and wheel speeds") from None
    t = time[window]
    n = fz.shape[0]
    road = np.asarray(result.parameters.get("road_friction", np.ones(n)), dtype=float)
    if hasattr(tyre_peak_friction, "tyres"):
        peak = _peak_friction_per_sample(tyre_peak_friction, fz)
    else:
        peak = np.asarray(tyre_peak_friction, dtype=float)
        if peak.ndim == 1:
            peak = peak[:, None, None]
        elif peak.ndim == 2:
            peak = peak[:, None, :]
        if peak.ndim > 3 or not np.all(np.isfinite(peak) & (peak > 0.0)):
            raise SpecError("<costs>", "tyre_peak_friction", tyre_peak_friction,
                            "a positive number, (N,) or (N, 4) array, or a vehicle")
    mu = road.reshape(-1, 1, 1) * peak
    with np.errstate(invalid="ignore", divide="ignore"):
        eta = np.hypot(fx, fy) / (mu * fz)
    live = np.isfinite(eta)
    eta_or_nan = np.where(live, eta, np.nan)
    out: dict[str, np.ndarray] = {}
    with warnings.catch_warnings():  # an all-NaN member (ended before the window) stays NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        mean_w = np.nanmean(eta_or_nan, axis=1)
        peak_w = np.nanmax(eta_or_nan, axis=1)
        for i, w in enumerate(WHEELS):
            out[f"mean_utilisation_{w}"] = mean_w[:, i]
            out[f"peak_utilisation_{w}"] = peak_w[:, i]
        out["mean_utilisation"] = np.nanmean(mean_w, axis=1)
        out["peak_utilisation"] = np.nanmax(peak_w, axis=1)
    power = np.sum(drive * omega, axis=-1)
    heat = np.sum(np.abs(brake * omega), axis=-1)
    out["machine_energy_drawn_j"] = _integral(np.maximum(power, 0.0), t)
    out["machine_energy_recovered_j"] = _integral(np.maximum(-power, 0.0), t)
    out["friction_brake_energy_j"] = _integral(heat, t)
    channels = result.channels
    if "battery_power_w" in channels:
        terminal = np.asarray(channels["battery_power_w"], dtype=float)[:, window]
        dc = sum(np.asarray(channels[f"machine{k}_dc_power_w"], dtype=float)[:, window]
                 for k in range(4))
        out["battery_energy_drawn_j"] = _integral(np.maximum(terminal, 0.0), t)
        out["battery_energy_recovered_j"] = _integral(np.maximum(-terminal, 0.0), t)
        out["drive_unit_loss_j"] = _integral(dc - power, t)
    else:
        for name in ("battery_energy_drawn_j", "battery_energy_recovered_j",
                     "drive_unit_loss_j"):
            out[name] = np.full(n, np.nan)
    energy = getattr(result, "energy_j", None) or {}
    whole = t_from_s is None and t_to_s is None
    for term in LOSS_TERMS:
        out[term] = np.asarray(energy[term], dtype=float).copy() if whole and term in energy \
            else np.full(n, np.nan)
    return out


def _integral(values, t):
    """Trapezoidal integral over time of (N, T) ``values``, over the intervals whose both ends
    are finite (a member's NaN samples after it ended count nothing)."""
    terms = 0.5 * (values[:, 1:] + values[:, :-1]) * np.diff(t)
    return np.sum(np.where(np.isfinite(terms), terms, 0.0), axis=1)


__all__ = ["COST_UNITS", "LOSS_TERMS", "costs"]
