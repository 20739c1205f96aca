"""High-voltage DC cables: resistance, loss and copper mass of a two-conductor run.

A drive unit is fed by a positive and a negative conductor of the same cross-section, each
``length_m`` long (the route length from the battery junction box to the inverter), so the
loop resistance is ``R = rho * 2 L / A`` and the loss at DC current ``I`` is ``I^2 R``
(the drive-unit kernel :func:`sim.powertrain.electric_machine.drive_unit_dc_power` computes
it in the time loop from the resistance packed into the slot's vector).

800 V against 400 V at the same power the current doubles, so:

* holding the cross-section equal, the cable loss is 4x at 400 V (same copper mass);
* holding the loss equal, the cross-section (and the copper mass) is 4x at 400 V
  (:func:`cross_section_for_equal_loss_mm2`).

Copper figures (annealed copper at 20 °C, IEC 60028 / IACS: resistivity 1.7241e-8 Ohm·m;
density 8890-8960 kg/m^3, 8900 used) are standard material data. Insulation and screen mass
are not included (``copper_mass_kg`` is the conductor only). The temperature rise of the
resistance (+0.393 %/K) is not modelled: the figures are at 20 °C.
"""

from __future__ import annotations

import numpy as np

from sim.errors import SpecError

#: Resistivity of annealed copper at 20 °C [Ohm·m] (IEC 60028, 100 % IACS).
COPPER_RESISTIVITY_OHM_M = 1.7241e-8
#: Density of copper [kg/m^3].
COPPER_DENSITY_KG_M3 = 8900.0


def _positive(value, name: str, source: str) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr) & (arr > 0.0)):
        raise SpecError(source, name, value, "finite numbers > 0")
    return arr


def cable_resistance_ohm(length_m, cross_section_mm2,
                         resistivity_ohm_m: float = COPPER_RESISTIVITY_OHM_M):
    """Loop resistance [Ohm] of a two-conductor run of route length ``length_m`` [m] with
    conductors of ``cross_section_mm2`` [mm^2]: ``rho 2 L / A``."""
    length = _positive(length_m, "length_m", "cable_resistance_ohm")
    area = _positive(cross_section_mm2, "cross_section_mm2", "cable_resistance_ohm") * 1e-6
    return resistivity_ohm_m * 2.0 * length / area


def cable_loss_w(current_a, resistance_ohm):
    """Loss [W] ``I^2 R`` of a cable of loop resistance ``resistance_ohm`` [Ohm] at DC current
    ``current_a`` [A] (either sign)."""
    i = np.asarray(current_a, dtype=float)
    return i * i * np.asarray(resistance_ohm, dtype=float)


def copper_mass_kg(length_m, cross_section_mm2, density_kg_m3: float = COPPER_DENSITY_KG_M3):
    """Copper mass [kg] of both conductors: ``2 L A density`` (no insulation)."""
    length = _positive(length_m, "length_m", "copper_mass_kg")
    area = _positive(cross_section_mm2, "cross_section_mm2", "copper_mass_kg") * 1e-6
    return 2.0 * length * area * density_kg_m3


def cross_section_for_equal_loss_mm2(cross_section_mm2, from_voltage_v, to_voltage_v):
    """Cross-section [mm^2] that keeps the cable loss of a run equal when the same power is
    carried at ``to_voltage_v`` instead of ``from_voltage_v``: the current scales with
    ``from / to``, the loss with its square, so the area scales with ``(from / to)^2``."""
    area = _positive(cross_section_mm2, "cross_section_mm2", "cross_section_for_equal_loss_mm2")
    v_from = _positive(from_voltage_v, "from_voltage_v", "cross_section_for_equal_loss_mm2")
    v_to = _positive(to_voltage_v, "to_voltage_v", "cross_section_for_equal_loss_mm2")
    return area * (v_from / v_to) ** 2


__all__ = ["COPPER_DENSITY_KG_M3", "COPPER_RESISTIVITY_OHM_M", "cable_loss_w",
           "cable_resistance_ohm", "copper_mass_kg", "cross_section_for_equal_loss_mm2"]
