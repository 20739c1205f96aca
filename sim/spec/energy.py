"""Vehicle-file sections for energy use: ``[energy]`` (auxiliary load, regenerative braking,
the on-board charger) and ``[road_load]`` (coast-down coefficients A, B, C, an alternative to
rolling resistance and drag area). Declared like every section (see :mod:`sim.spec.fields`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.spec.fields import quantity, text


@dataclass(frozen=True, kw_only=True)
class Energy:
    """``[energy]``: what a drive cycle, a range or a charge needs beyond the powertrain."""

    auxiliary_power_kw: float = quantity(
        "constant auxiliary load (controllers, pumps, low-voltage system; no climate "
        "control, as in the WLTP test): on the high-voltage bus of an electric car, on the "
        "crankshaft of a combustion car", "kW", ge=0.0, le=20.0, default=0.3)
    regenerative_braking: str = text(
        "electric machines brake first (series regenerative braking), friction brakes take "
        "the rest; off: friction brakes only", choices=("on", "off"), default="on")
    max_regenerative_deceleration_mps2: float = quantity(
        "largest deceleration the machines provide by regeneration (the rest by the friction "
        "brakes); invented default: about 0.3 g, so that a car driven on one axle does not "
        "brake that axle alone harder", "m/s²", ge=0.0, le=15.0, default=3.0)
    onboard_charger_efficiency: float = quantity(
        "AC on-board charger efficiency (grid to battery terminals): turns energy at the "
        "battery into energy at the plug, as WLTP consumption figures are", "-", gt=0.3,
        le=1.0, default=0.9)
    onboard_charger_power_kw: float = quantity(
        "AC charging power at the plug (to recharge after a range run)", "kW", gt=0.5,
        le=50.0, default=11.0)


@dataclass(frozen=True, kw_only=True)
class RoadLoad:
    """``[road_load]``: coast-down coefficients, ``F = A + B v + C v²`` on a flat road (the
    form test laboratories publish). When given, they replace the rolling resistance and the
    drag area for the road load: ``f_rr = A / (m_test g)`` (scaling with the simulated mass),
    ``CdA = 2 C / rho``, and ``B`` is kept as a separate linear term
    (:mod:`sim.powertrain.road_load`). Downforce is unchanged."""

    a_n: float = quantity("constant coefficient A at the test mass", "N", ge=0.0, le=2000.0)
    b_n_per_mps: float = quantity("linear coefficient B", "N/(m/s)", ge=0.0, le=100.0)
    c_n_per_mps2: float = quantity("quadratic coefficient C", "N/(m/s)²", ge=0.0, le=5.0)
    test_mass_kg: float = quantity("vehicle test mass at which A was measured", "kg",
                                   gt=100.0, le=10000.0)
