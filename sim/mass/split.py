"""Pack-split study: moving energy between the front and the rear battery pack.

The *front energy share* ``s`` is the front pack's share of the total pack energy ``E``:
``front.energy_kwh = s E``, ``rear.energy_kwh = (1 - s) E``, ``0 <= s <= 1``. Each pack keeps
its position, box and pack-level specific energy, so its mass follows its energy.

Because every mass is affine in ``s``, the front-axle load and the total mass are affine in
``s`` and the front mass fraction is a ratio of two affine functions: the share that reaches a
target fraction is found in closed form (exactly, for a whole array of targets at once).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.errors import SpecError
from sim.mass.properties import MassProperties, mass_properties
from sim.spec.params import set_params
from sim.spec.vehicle import DEFAULT_LOAD_CASE, Vehicle

_FRONT, _REAR = "front", "rear"


@dataclass(frozen=True)
class SplitResult:
    """A pack split and its mass properties (arrays batch-first, one entry per share).

    ``front_energy_share`` (N,) is the front pack's share of ``total_energy_kwh``;
    ``front_energy_kwh``/``rear_energy_kwh`` (N,) the pack energies; ``vehicle`` the batch of
    split variants; ``mass`` their :class:`~sim.mass.properties.MassProperties`.
    """

    front_energy_share: np.ndarray
    total_energy_kwh: float
    front_energy_kwh: np.ndarray
    rear_energy_kwh: np.ndarray
    vehicle: Vehicle
    mass: MassProperties


def _total_energy(vehicle: Vehicle, total_energy_kwh: float | None) -> float:
    names = sorted(vehicle.packs)
    if names != [_FRONT, _REAR]:
        raise SpecError(vehicle.name or "<vehicle>", "packs", names,
                        "a pack split needs exactly two packs named 'front' and 'rear'")
    if vehicle.batch_size != 1:
        raise SpecError(vehicle.name or "<vehicle>", "vehicle", f"batch of {vehicle.batch_size}",
                        "the split study takes a single vehicle (it builds the batch itself)")
    if total_energy_kwh is None:
        return float(vehicle.packs[_FRONT].energy_kwh + vehicle.packs[_REAR].energy_kwh)
    if not np.isfinite(total_energy_kwh) or total_energy_kwh <= 0:
        raise SpecError("<argument>", "total_energy_kwh", total_energy_kwh,
                        "a finite number > 0 [kWh]")
    return float(total_energy_kwh)


def split_packs(vehicle: Vehicle, front_energy_share, *, total_energy_kwh: float | None = None,
                load_case: str = DEFAULT_LOAD_CASE) -> SplitResult:
    """Mass properties of ``vehicle`` with its pack energy split ``front_energy_share`` (a
    number or an array, each in [0, 1]) front/rear, at the vehicle's own total energy or at
    ``total_energy_kwh``. One vectorised call for the whole array of shares."""
    total = _total_energy(vehicle, total_energy_kwh)
    share = np.atleast_1d(np.asarray(front_energy_share, dtype=float))
    bad = ~np.isfinite(share) | (share < 0.0) | (share > 1.0)
    if share.ndim != 1 or bad.any():
        shown = float(share[bad][0]) if bad.any() else share.shape
        raise SpecError("<argument>", "front_energy_share", shown,
                        "a number or 1-D array of numbers in [0, 1]")
    batch = set_params(vehicle, {"packs.front.energy_kwh": share * total,
                                 "packs.rear.energy_kwh": (1.0 - share) * total})
    return SplitResult(share, total, share * total, (1.0 - share) * total, batch,
                       mass_properties(batch, load_case))


def front_fraction_range(vehicle: Vehicle, *, total_energy_kwh: float | None = None,
                         load_case: str = DEFAULT_LOAD_CASE) -> tuple[float, float]:
    """The (lowest, highest) front mass fraction reachable by splitting the pack energy."""
    ends = split_packs(vehicle, [0.0, 1.0], total_energy_kwh=total_energy_kwh,
                       load_case=load_case).mass.front_mass_fraction
    return float(ends.min()), float(ends.max())


def split_for_front_fraction(vehicle: Vehicle, target_front_fraction, *,
                             total_energy_kwh: float | None = None,
                             load_case: str = DEFAULT_LOAD_CASE) -> SplitResult:
    """The pack split(s) giving the front mass fraction(s) ``target_front_fraction`` (a number
    or an array) for ``load_case``, solved exactly.

    With ``F(s)`` the mass carried by the front axle and ``M(s)`` the total mass, both affine in
    the share ``s``, the target ``f`` is met at ``s = (F0 - f M0) / (f (M1 - M0) - (F1 - F0))``.
    Raises :class:`~sim.errors.SpecError` naming the reachable range when a target lies outside
    it.
    """
    ends = split_packs(vehicle, [0.0, 1.0], total_energy_kwh=total_energy_kwh,
                       load_case=load_case)
    m0, m1 = ends.mass.mass_kg
    f0, f1 = ends.mass.front_mass_fraction * ends.mass.mass_kg
    lo, hi = sorted(ends.mass.front_mass_fraction)
    target = np.atleast_1d(np.asarray(target_front_fraction, dtype=float))
    bad = ~np.isfinite(target) | (target < lo - 1e-12) | (target > hi + 1e-12)
    if bad.any():
        raise SpecError("<argument>", "target_front_fraction", float(target[bad][0]),
                        f"unreachable for {vehicle.name or 'this vehicle'} ({load_case}) by "
                        f"moving energy between the packs: reachable front mass fractions are "
                        f"{lo:.4f} to {hi:.4f}")
    share = np.clip((f0 - target * m0) / (target * (m1 - m0) - (f1 - f0)), 0.0, 1.0)
    return split_packs(vehicle, share, total_energy_kwh=ends.total_energy_kwh,
                       load_case=load_case)


def split_for_min_yaw_inertia(vehicle: Vehicle, *, total_energy_kwh: float | None = None,
                              load_case: str = DEFAULT_LOAD_CASE,
                              share_bounds: tuple[float, float] = (0.0, 1.0)) -> SplitResult:
    """The pack split with the smallest yaw inertia about the centre of mass, for front energy
    shares within ``share_bounds`` (e.g. ``(0.2, 0.8)`` to keep at least 20 % in each pack).

    The minimum always lies at one of the bounds: with item masses affine in the share ``s``,
    ``Izz(s) = A(s) - (P_x(s)² + P_y(s)²) / M(s)`` where ``A`` (the sum of ``m (x² + y²)`` and
    the boxes' own inertias) and the first moments ``P`` and total mass ``M`` are affine in
    ``s``; ``P²/M`` is convex for ``M > 0``, so ``Izz`` is concave and has no interior minimum.
    Both bounds are evaluated and the smaller is returned.
    """
    lo, hi = (float(b) for b in share_bounds)
    if not (0.0 <= lo <= hi <= 1.0):
        raise SpecError("<argument>", "share_bounds", share_bounds,
                        "(low, high) with 0 <= low <= high <= 1")
    total = _total_energy(vehicle, total_energy_kwh)
    ends = split_packs(vehicle, [lo, hi], total_energy_kwh=total, load_case=load_case)
    best = int(np.argmin(ends.mass.yaw_inertia_kgm2))
    return split_packs(vehicle, ends.front_energy_share[best], total_energy_kwh=total,
                       load_case=load_case)
