"""Mass properties of a vehicle (or of a batch of variants) in one vectorised call.

Axes are ISO 8855 body axes with the origin on the ground below the centre of the front axle:
x forward, y left, z up. The centre of mass of a car therefore has ``x = -a`` (``a`` = distance
from the front axle), the rear axle is at ``x = -L``.

Every item aboard (:meth:`sim.spec.vehicle.Vehicle.mass_items`) is a point mass or a uniform
solid box centred on its position. The inertia tensor about the centre of mass adds, for each
item, its own box inertia and the parallel-axis (Huygens-Steiner) term
``m (|r|^2 E - r r^T)`` with ``r`` the item's offset from the centre of mass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.spec.vehicle import DEFAULT_LOAD_CASE, Vehicle, require_vehicle
from sim.units import GRAVITY_MPS2, WHEEL_NAMES


@dataclass(frozen=True)
class MassProperties:
    """Mass properties of a batch of N vehicles (N = 1 for a single vehicle).

    All arrays are batch-first. Positions in ISO 8855 axes [m] (origin on the ground below the
    front-axle centre), masses [kg], loads [N], inertias [kg·m²].

    Attributes
    ----------
    load_case : str
        The load case evaluated.
    mass_kg : (N,)
        Total mass, sprung plus unsprung.
    cg_m : (N, 3)
        Centre of mass (x, y, z); ``x = -a``, ``y > 0`` means offset to the left.
    cg_to_front_axle_m, cg_to_rear_axle_m : (N,)
        ``a`` and ``b``: longitudinal distances from the centre of mass to the axles
        (``a + b = wheelbase``); negative ``a`` would put the CG ahead of the front axle.
    cg_height_m : (N,)
        Height of the centre of mass above the ground (= ``cg_m[:, 2]``).
    front_mass_fraction : (N,)
        Static front-axle load / total weight = ``b / L``.
    front_axle_load_n, rear_axle_load_n : (N,)
        Static axle loads on level ground, ``m g b / L`` and ``m g a / L``.
    wheel_loads_n : (N, 4)
        Static wheel loads FL, FR, RL, RR. Each axle's load is split left/right by the lever
        rule on the lateral offset ``y`` of the centre of mass over that axle's track ``t``:
        left = axle load · (1/2 + y/t), right = axle load · (1/2 − y/t) (rigid body on four
        supports with the same lateral offset at both axles; the statically indeterminate
        diagonal share is not resolved).
    inertia_tensor_kgm2 : (N, 3, 3)
        Inertia tensor about the centre of mass in body axes, ``[[Ixx, -Ixy, -Ixz], [-Ixy,
        Iyy, -Iyz], [-Ixz, -Iyz, Izz]]`` with products of inertia ``Ixy = Σ m x y`` etc.
        (positive-product convention; the tensor's off-diagonal entries are their negatives).
    roll_inertia_kgm2, pitch_inertia_kgm2, yaw_inertia_kgm2 : (N,)
        ``Ixx``, ``Iyy``, ``Izz`` about the centre of mass.
    product_xz_kgm2 : (N,)
        ``Ixz = Σ m x z`` about the centre of mass (roll-yaw coupling).
    sprung_mass_kg, unsprung_mass_kg : (N,)
        Mass carried by the springs, and the unsprung corners (from ``[unsprung]``).
    sprung_cg_m : (N, 3)
        Centre of mass of the sprung mass.
    sprung_inertia_tensor_kgm2 : (N, 3, 3)
        Inertia tensor of the sprung mass about its own centre of mass.
    item_names : tuple of str
        The K items aboard, in the order of the ``item_*`` arrays.
    item_groups : tuple of str
        Each item's group (``structure``, ``energy``, ``payload``, ``unsprung``...).
    item_mass_kg : (N, K)
        Each item's mass.
    item_position_m : (N, K, 3)
        Each item's position.
    item_front_axle_load_n : (N, K)
        Each item's share of the front-axle load, ``m g (L + x) / L``.
    item_yaw_inertia_kgm2 : (N, K)
        Each item's share of ``Izz``: own ``Izz`` + ``m ((x - x_cg)² + (y - y_cg)²)``.
    """

    load_case: str
    mass_kg: np.ndarray
    cg_m: np.ndarray
    cg_to_front_axle_m: np.ndarray
    cg_to_rear_axle_m: np.ndarray
    cg_height_m: np.ndarray
    front_mass_fraction: np.ndarray
    front_axle_load_n: np.ndarray
    rear_axle_load_n: np.ndarray
    wheel_loads_n: np.ndarray
    inertia_tensor_kgm2: np.ndarray
    roll_inertia_kgm2: np.ndarray
    pitch_inertia_kgm2: np.ndarray
    yaw_inertia_kgm2: np.ndarray
    product_xz_kgm2: np.ndarray
    sprung_mass_kg: np.ndarray
    unsprung_mass_kg: np.ndarray
    sprung_cg_m: np.ndarray
    sprung_inertia_tensor_kgm2: np.ndarray
    item_names: tuple[str, ...]
    item_groups: tuple[str, ...]
    item_mass_kg: np.ndarray
    item_position_m: np.ndarray
    item_front_axle_load_n: np.ndarray
    item_yaw_inertia_kgm2: np.ndarray

    @property
    def batch_size(self) -> int:
        """Number of batch members N."""
        return self.mass_kg.shape[0]

    @property
    def dynamic_index(self) -> np.ndarray:
        """Yaw dynamic index ``Izz / (m a b)`` (dimensionless, (N,)); about 1 for road cars."""
        return self.yaw_inertia_kgm2 / (
            self.mass_kg * self.cg_to_front_axle_m * self.cg_to_rear_axle_m)

    def summary(self, member: int = 0) -> dict[str, float]:
        """The headline numbers of one batch member as plain floats, with units in the keys."""
        i = member
        return {
            "mass_kg": float(self.mass_kg[i]),
            "front_mass_fraction": float(self.front_mass_fraction[i]),
            "cg_to_front_axle_m": float(self.cg_to_front_axle_m[i]),
            "cg_to_rear_axle_m": float(self.cg_to_rear_axle_m[i]),
            "cg_y_m": float(self.cg_m[i, 1]),
            "cg_height_m": float(self.cg_height_m[i]),
            "roll_inertia_kgm2": float(self.roll_inertia_kgm2[i]),
            "pitch_inertia_kgm2": float(self.pitch_inertia_kgm2[i]),
            "yaw_inertia_kgm2": float(self.yaw_inertia_kgm2[i]),
            "product_xz_kgm2": float(self.product_xz_kgm2[i]),
            "dynamic_index": float(self.dynamic_index[i]),
            "sprung_mass_kg": float(self.sprung_mass_kg[i]),
            "unsprung_mass_kg": float(self.unsprung_mass_kg[i]),
            **{f"wheel_load_{w}_n": float(self.wheel_loads_n[i, k])
               for k, w in enumerate(WHEEL_NAMES)},
        }

    def contributions(self, member: int = 0) -> list[dict[str, object]]:
        """Per-item table of one batch member, heaviest first: name, group, mass, position,
        share of total mass, front-axle load and share of yaw inertia."""
        i = member
        rows = []
        for k, (name, group) in enumerate(zip(self.item_names, self.item_groups, strict=True)):
            m = float(self.item_mass_kg[i, k])
            x, y, z = (float(v) for v in self.item_position_m[i, k])
            rows.append({
                "item": name, "group": group, "mass_kg": m,
                "x_m": x, "y_m": y, "z_m": z,
                "mass_share": m / float(self.mass_kg[i]),
                "front_axle_load_n": float(self.item_front_axle_load_n[i, k]),
                "yaw_inertia_share": float(self.item_yaw_inertia_kgm2[i, k])
                / float(self.yaw_inertia_kgm2[i]),
            })
        return sorted(rows, key=lambda r: -r["mass_kg"])

    def to_pandas(self):
        """The summary of every batch member as a pandas DataFrame (needs pandas)."""
        import pandas as pd

        return pd.DataFrame([self.summary(i) for i in range(self.batch_size)])


def _stack(values, n: int) -> np.ndarray:
    """(K,) list of scalars or (N,) arrays -> (N, K) float array."""
    try:
        table = np.asarray(values, dtype=float)  # all scalars (K,), or all (N,) arrays (K, N)
    except ValueError:  # scalars and arrays mixed
        table = None
    if table is not None and table.ndim == 1:
        return np.tile(table, (n, 1))
    if table is not None and table.shape == (len(values), n):
        return np.ascontiguousarray(table.T)
    return np.stack([np.broadcast_to(np.asarray(v, dtype=float), (n,)) for v in values], axis=1)


def box_inertia_kgm2(mass_kg, length_m, width_m, height_m) -> np.ndarray:
    """Principal moments (Ixx, Iyy, Izz) [kg·m²] of a uniform solid box about its own centre:
    ``m (w² + h²)/12``, ``m (l² + h²)/12``, ``m (l² + w²)/12``; stacked on the last axis."""
    l2, w2, h2 = (np.square(d) for d in (length_m, width_m, height_m))
    m12 = np.asarray(mass_kg) / 12.0
    return np.stack([m12 * (w2 + h2), m12 * (l2 + h2), m12 * (l2 + w2)], axis=-1)


def _about_cg(m: np.ndarray, pos: np.ndarray, own: np.ndarray):
    """Total mass (N,), CG (N,3) and inertia tensor about the CG (N,3,3) of K items:
    masses ``m`` (N,K), positions ``pos`` (N,K,3), own principal moments ``own`` (N,K,3)."""
    total = m.sum(axis=1)
    cg = np.einsum("nk,nkj->nj", m, pos) / total[:, None]
    r = pos - cg[:, None, :]
    r2 = np.einsum("nkj,nkj->nk", r, r)
    eye = np.eye(3)
    tensor = (np.einsum("nk,ij->nij", m * r2, eye) - np.einsum("nk,nki,nkj->nij", m, r, r)
              + np.einsum("nkj,ij->nij", own, eye))
    return total, cg, tensor


def mass_properties(vehicle: Vehicle, load_case: str = DEFAULT_LOAD_CASE) -> MassProperties:
    """Mass, centre of mass, axle and wheel loads and inertia tensor of ``vehicle``.

    ``vehicle`` may be a batch (see :func:`sim.set_params`); every result then has the batch
    on its leading axis, computed in one vectorised pass (10 000 members take milliseconds).
    ``load_case`` names one of ``vehicle.load_case_names`` (``"curb"``: nothing aboard;
    default ``"driver"``). See :class:`MassProperties` for axes, units and signs.
    """
    vehicle = require_vehicle(vehicle)
    items = vehicle.mass_items(load_case)
    n = vehicle.batch_size
    m = _stack([it.mass_kg for it in items], n)
    pos = np.stack([_stack([getattr(it, c) for it in items], n) for c in ("x_m", "y_m", "z_m")],
                   axis=-1)
    dims = [_stack([getattr(it, c) for it in items], n)
            for c in ("length_m", "width_m", "height_m")]
    own = box_inertia_kgm2(m, *dims)
    total, cg, tensor = _about_cg(m, pos, own)
    sprung = np.array([it.sprung for it in items])
    sprung_total, sprung_cg, sprung_tensor = _about_cg(m[:, sprung], pos[:, sprung],
                                                       own[:, sprung])

    g = vehicle.geometry
    wheelbase = np.broadcast_to(np.asarray(g.wheelbase_m, dtype=float), (n,))
    a = -cg[:, 0]
    b = wheelbase - a
    weight = total * GRAVITY_MPS2
    front = weight * b / wheelbase
    rear = weight * a / wheelbase
    y = cg[:, 1]
    tf = np.broadcast_to(np.asarray(g.front_track_m, dtype=float), (n,))
    tr = np.broadcast_to(np.asarray(g.rear_track_m, dtype=float), (n,))
    wheel_loads = np.stack([front * (0.5 + y / tf), front * (0.5 - y / tf),
                            rear * (0.5 + y / tr), rear * (0.5 - y / tr)], axis=1)
    r = pos - cg[:, None, :]
    item_yaw = own[..., 2] + m * (r[..., 0] ** 2 + r[..., 1] ** 2)
    item_front = m * GRAVITY_MPS2 * (wheelbase[:, None] + pos[..., 0]) / wheelbase[:, None]
    return MassProperties(
        load_case=load_case,
        mass_kg=total,
        cg_m=cg,
        cg_to_front_axle_m=a,
        cg_to_rear_axle_m=b,
        cg_height_m=cg[:, 2],
        front_mass_fraction=b / wheelbase,
        front_axle_load_n=front,
        rear_axle_load_n=rear,
        wheel_loads_n=wheel_loads,
        inertia_tensor_kgm2=tensor,
        roll_inertia_kgm2=tensor[:, 0, 0],
        pitch_inertia_kgm2=tensor[:, 1, 1],
        yaw_inertia_kgm2=tensor[:, 2, 2],
        product_xz_kgm2=-tensor[:, 0, 2],
        sprung_mass_kg=sprung_total,
        unsprung_mass_kg=total - sprung_total,
        sprung_cg_m=sprung_cg,
        sprung_inertia_tensor_kgm2=sprung_tensor,
        item_names=tuple(it.name for it in items),
        item_groups=tuple(it.group for it in items),
        item_mass_kg=m,
        item_position_m=pos,
        item_front_axle_load_n=item_front,
        item_yaw_inertia_kgm2=item_yaw,
    )
