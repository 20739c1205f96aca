"""Lane tables for calling the compiled dynamic module outside the integrator (tests only)."""

from __future__ import annotations

import dataclasses

import numpy as np

import sim
from sim.adm import adm_initial_state, adm_parameters
from sim.adm import kernel as k
from sim.chassis import powertrain as pw
from sim.chassis import two_track as tt
from sim.params import two_track_parameters

Lanes = tt.Lanes
N_SENSORS = tt.N_SENSORS


def table(rows_by_lane: np.ndarray) -> np.ndarray:
    """(N, R) rows per member -> a flat lane table (row r of lane l at r * LANES + l)."""
    n, rows = rows_by_lane.shape
    out = np.zeros(rows * tt.LANES)
    for lane in range(n):
        out[np.arange(rows) * tt.LANES + lane] = rows_by_lane[lane]
    return out


def lane_rows(flat: np.ndarray, rows: int, lane: int = 0) -> np.ndarray:
    return flat[np.arange(rows) * tt.LANES + lane].copy()


def make_lanes(vehicle, *, speed_mps=20.0, members=1, road_friction=1.0, soc=0.9):
    """Lanes and state ``x`` for ``members`` lanes of ``vehicle`` driving straight at
    ``speed_mps`` with free-rolling wheels, sensors at the static loads; a battery (when the
    vehicle has one) at ``soc`` (90 %), its available powers held in ``ln.pt``."""
    params, _, _ = two_track_parameters(vehicle, members=members, road_friction=road_friction)
    cp = adm_parameters(vehicle, members=members)
    x0 = np.zeros((members, tt.N_STATES))
    x0[:, tt.S_VX] = speed_mps
    radius = params[:, tt.P_RW]
    x0[:, tt.S_OMEGA:tt.S_OMEGA + 4] = (speed_mps / radius)[:, None]
    cs = adm_initial_state(cp, params, x0)
    sens = np.zeros((members, N_SENSORS))
    sens[:, 2:6] = params[:, tt.P_FZ0:tt.P_FZ0 + 4]
    bp, dup, _, pt0, _ = pw.powertrain_tables(vehicle, params, soc)
    ln = Lanes(table(params), tt.lane_table(4), tt.lane_table(4), tt.lane_table(1),
               tt.lane_table(tt.N_AUX), tt.lane_table(8), tt.lane_table(3), table(cp),
               table(cs), table(sens), tt.lane_table(1), tt.lane_table(1),
               tt.lane_table(tt.N_POWER), table(pt0), bp, dup, np.arange(tt.LANES) % members)
    return ln, table(x0)


def state(ln, name: str, lane: int = 0) -> float:
    return float(ln.cs[k.ADM_STATE_NAMES.index(name) * tt.LANES + lane])


def set_row(flat, row: int, value, lane: int = 0) -> None:
    flat[row * tt.LANES + lane] = value


def coupe():
    return sim.load_vehicle("coupe")


def machines_only(vehicle):
    """``vehicle`` with ``adm.brake_vectoring = "off"``: every yaw moment and braking force of
    the module from the machines and an axle-wise friction-brake split (the built-in EVs have
    brake vectoring on; a test about the machines alone says so with this)."""
    return dataclasses.replace(vehicle, adm=dataclasses.replace(vehicle.adm,
                                                                brake_vectoring="off"))
