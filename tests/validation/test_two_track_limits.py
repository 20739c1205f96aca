"""Two-track model at the limit: steady-state circular driving on a 40 m circle (ISO 4138
constant-radius method, REFERENCES.md section 2.1) and the friction bound of the lateral
acceleration (REFERENCES.md section 4: a_y,max ~ mu g).

The model has no path-following driver, so each steady state is found by iterating open-loop
runs (a fixed-point search done here, in the test): every member of a batch starts at its target
speed, the steering-wheel angle steps to a constant, the force demand is constant; after 8 s the
path radius R = V/r and the speed trend are measured, the steer is updated by a secant step on
the path curvature and the force demand cancels the remaining speed trend. Members whose radius
cannot be brought to 40 m (beyond the limit) end with their steer at the 20 deg road-wheel cap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

import sim
from sim.chassis.linear import understeer_gradient_rad_per_mps2
from sim.driver import open_loop as ol
from sim.params import linear_single_track, load_tyre
from sim.simulate import Numerics, simulate
from sim.tyre.mf61 import peak_friction
from sim.units import AIR_DENSITY_KGPM3, GRAVITY_MPS2

RADIUS_M = 40.0
WHEELS = ("fl", "fr", "rl", "rr")
#: 4 ms steps: the step-steer metrics of tests/validation/test_two_track.py change by < 0.01 %
#: from 4 to 2 ms, and this search runs 20 x 8 s per member.
NUMERICS = Numerics(time_step_s=0.004, output_interval_s=0.04)


@dataclass(frozen=True)
class CircleSweep:
    """Outcome of :func:`constant_radius_sweep`, one value per target."""

    lateral_acceleration_g: np.ndarray   # V r / g at the end of the last run
    steering_wheel_angle_rad: np.ndarray
    radius_m: np.ndarray                 # V / r
    speed_mps: np.ndarray
    speed_trend_mps2: np.ndarray         # dV/dt over the last second
    yaw_trend_per_s: np.ndarray          # (dr/dt)/r over the last second
    ok: np.ndarray                       # status ok (no spin)

    def steady(self, radius_tol_m: float, speed_tol_mps2: float) -> np.ndarray:
        """Members in a steady state on the circle within the given tolerances."""
        return (self.ok & (np.abs(self.radius_m - RADIUS_M) < radius_tol_m)
                & (np.abs(self.speed_trend_mps2) < speed_tol_mps2)
                & (np.abs(self.yaw_trend_per_s) < 0.01))


def constant_radius_sweep(vehicle: sim.Vehicle, targets_g, *, road_friction: float = 1.0,
                          iterations: int = 20, duration_s: float = 8.0) -> CircleSweep:
    """Steady states on a circle of RADIUS_M at the target lateral accelerations [g]."""
    ay = np.asarray(targets_g, dtype=float) * GRAVITY_MPS2
    n = ay.size
    wheelbase = sim.get_param(vehicle, "geometry.wheelbase_m")
    batch = sim.set_params(vehicle, {"geometry.wheelbase_m": [wheelbase] * n})
    v0 = np.sqrt(ay * RADIUS_M)
    p = simulate(batch, speed_kmh=v0 * 3.6, duration_s=0.01).parameters
    m = p["mass_kg"]
    m_eff = m + sum(p[f"spin_inertia_{w}_kgm2"] for w in WHEELS) / p["wheel_radius_m"] ** 2
    ratio = p["steering_ratio"]
    k = understeer_gradient_rad_per_mps2(linear_single_track(batch))
    swa = ratio * (wheelbase / RADIUS_M + k * ay)            # linear-model first guess
    swa_cap = ratio * np.deg2rad(20.0)
    force = (p["rolling_resistance_coefficient"] * m * GRAVITY_MPS2
             + 0.5 * p["air_density_kgpm3"] * p["drag_area_m2"] * v0 ** 2)
    previous = None
    for _ in range(iterations):
        res = simulate(batch, speed_kmh=v0 * 3.6, duration_s=duration_s,
                       steering_wheel_angle_rad=ol.step(swa, 0.0, rate_per_s=swa / 0.5),
                       force_demand_n=force, road_friction=road_friction, numerics=NUMERICS)
        t = res.time_s
        last = t >= duration_s - 1.0 - 1e-9
        speed = np.hypot(res["vx_mps"], res["vy_mps"])
        yaw = res["yaw_rate_radps"]
        ok = res.ok
        speed_end = np.where(ok, speed[:, -1], np.nan)
        yaw_end = np.where(ok, yaw[:, -1], np.nan)
        curvature = yaw_end / speed_end
        speed_trend = np.polyfit(t[last], np.nan_to_num(speed[:, last]).T, 1)[0]
        yaw_trend = np.polyfit(t[last], np.nan_to_num(yaw[:, last]).T, 1)[0] / yaw_end
        slope = curvature / swa
        if previous is not None:
            d_swa = swa - previous[0]
            with np.errstate(divide="ignore", invalid="ignore"):
                secant = (curvature - previous[1]) / d_swa
            use = np.isfinite(secant) & (np.abs(d_swa) > 1e-9) & (secant > 0.05 * slope)
            slope = np.where(use, secant, slope)
        new = np.clip(swa + (1.0 / RADIUS_M - curvature) / slope, 0.8 * swa, 1.25 * swa)
        previous = (swa.copy(), curvature.copy())
        swa = np.where(ok, np.minimum(new, swa_cap), swa)
        force = np.where(ok, force - m_eff * speed_trend, force)
    return CircleSweep(speed_end * yaw_end / GRAVITY_MPS2, previous[0], speed_end / yaw_end,
                       speed_end, speed_trend, yaw_trend, ok)


def friction_bound_g(vehicle: sim.Vehicle, speed_mps, road_friction: float = 1.0) -> np.ndarray:
    """mu g (1 + downforce/weight) in g: mu = the tyres' peak lateral friction coefficient at the
    static wheel loads (load-weighted over the four wheels) times the road friction."""
    mp = sim.mass_properties(vehicle)
    loads = mp.wheel_loads_n[0]
    mu = 0.0
    for w in range(4):
        tyre = load_tyre(vehicle.tyres["front" if w < 2 else "rear"].file)
        mu += peak_friction(tyre.parameters, loads[w], mu_road=road_friction)[1] * loads[w]
    mu /= loads.sum()
    aero = vehicle.aero
    downforce = 0.5 * AIR_DENSITY_KGPM3 * (
        aero.front_downforce_area_m2 + aero.rear_downforce_area_m2) * np.asarray(speed_mps) ** 2
    return mu * (1.0 + downforce / loads.sum())


@pytest.fixture(scope="module")
def coupe() -> sim.Vehicle:
    return sim.load_vehicle("coupe")


@pytest.fixture(scope="module")
def dry_sweep(coupe) -> CircleSweep:
    """0.6 g to beyond the limit in 0.025 g steps."""
    return constant_radius_sweep(coupe, np.linspace(0.6, 1.25, 27))


def test_linear_range_understeer_gradient_matches_single_track(coupe):
    # ISO 4138 evaluation of the linear range by regression (here 0.05-0.2 g): the understeer
    # gradient (1/i_S) d(delta_H)/d(a_y) must equal the single-track K = (m/L)(b/C_f - a/C_r)
    # of the same tyres at the static loads; 5 % (seen +2 %: load transfer with load-sensitive
    # tyres already adds a little understeer). The intercept is the Ackermann angle i_S L/R:
    # 0.5 % (seen 0.1 %).
    sweep = constant_radius_sweep(coupe, [0.05, 0.1, 0.15, 0.2], iterations=12)
    assert sweep.steady(0.05, 0.01).all()
    ratio = sim.get_param(coupe, "steering.ratio")
    slope, intercept = np.polyfit(sweep.lateral_acceleration_g * GRAVITY_MPS2,
                                  sweep.steering_wheel_angle_rad, 1)
    k = understeer_gradient_rad_per_mps2(linear_single_track(coupe))[0]
    assert slope / ratio == pytest.approx(k, rel=0.05)
    wheelbase = sim.get_param(coupe, "geometry.wheelbase_m")
    assert intercept == pytest.approx(ratio * wheelbase / RADIUS_M, rel=0.005)


def test_max_steady_lateral_acceleration_within_friction_bound(coupe, dry_sweep):
    # a_y,max <= mu g (1 + downforce/weight): no steady state may use more friction than the
    # tyres' peak at the static loads (load transfer and load sensitivity only lower the usable
    # friction, the drive force that holds the speed takes some too). It must also not be
    # absurdly low: >= 80 % of the bound (seen: 1.10 g against 1.20 g, 92 %).
    steady = dry_sweep.steady(0.5, 0.05)
    assert steady.sum() >= 15
    bound = friction_bound_g(coupe, dry_sweep.speed_mps)
    ay = dry_sweep.lateral_acceleration_g
    assert np.all(ay[steady] <= bound[steady])
    best = np.argmax(np.where(steady, ay, -np.inf))
    assert ay[best] >= 0.8 * bound[best]
    # the highest targets are beyond the limit: not reachable on this circle
    assert not steady[-3:].any()


def test_understeer_curve_from_0_6_g_to_the_limit(coupe, dry_sweep):
    # The coupe has more roll stiffness at the front (56 %) than weight (49 %), so the front
    # axle's load transfer is larger and its load-sensitive tyres lose more: understeer grows
    # with a_y and the car stays understeering up to the limit (Milliken ch. 18). Over the
    # steady points from 0.6 g: the steering-wheel angle rises strictly with a_y, every point
    # lies above the linear prediction i_S (L/R + K a_y), and the gradient near the limit is
    # more than twice the one at 0.6 g (seen 24 -> 130 deg/g of steering-wheel angle).
    steady = dry_sweep.steady(0.05, 0.01)
    ay = dry_sweep.lateral_acceleration_g[steady]
    swa = dry_sweep.steering_wheel_angle_rad[steady]
    assert ay.size >= 12 and ay[0] < 0.61 and ay[-1] > 0.95
    assert np.all(np.diff(ay) > 0) and np.all(np.diff(swa) > 0)
    ratio = sim.get_param(coupe, "steering.ratio")
    wheelbase = sim.get_param(coupe, "geometry.wheelbase_m")
    k = understeer_gradient_rad_per_mps2(linear_single_track(coupe))[0]
    assert np.all(swa > ratio * (wheelbase / RADIUS_M + k * ay * GRAVITY_MPS2))
    gradient = np.diff(swa) / np.diff(ay)
    assert gradient[-1] > 2.0 * gradient[0]


def test_road_friction_scales_the_limit(coupe, dry_sweep):
    # On a road with 60 % of the friction, the bound scales by 0.6 and so must the limit:
    # the best steady a_y stays below 0.6 mu g (1 + DF/W) and within 10 % of 0.6 x the dry
    # limit (the drive force share of the friction and the aero downforce do not scale).
    wet = constant_radius_sweep(coupe, np.linspace(0.4, 0.8, 17), road_friction=0.6)
    steady = wet.steady(0.5, 0.05)
    ay = wet.lateral_acceleration_g
    assert np.all(ay[steady] <= friction_bound_g(coupe, wet.speed_mps, 0.6)[steady])
    dry_max = dry_sweep.lateral_acceleration_g[dry_sweep.steady(0.5, 0.05)].max()
    assert ay[steady].max() == pytest.approx(0.6 * dry_max, rel=0.10)


# ---------------------------------------------------------------------------------------------
# Transient limit: every tyre force inside its friction ellipse
# ---------------------------------------------------------------------------------------------
def worst_friction_ellipse_ratio(vehicle: sim.Vehicle, road_friction: float) -> float:
    """Largest sqrt((Fx/mux)² + (Fy/muy)²)/Fz of any tyre at any sample over 3 s of step steers
    (10 and 40 deg) at 30, 60 and 100 km/h while driving (0.3 and 1.0 x the road's grip) or
    braking (0.6 x), mux and muy being the tyre's peak coefficients at its current load on this
    road (:func:`sim.tyre.mf61.peak_friction`)."""
    speed, steer, demand = (a.ravel() for a in np.meshgrid([30.0, 60.0, 100.0], [10.0, 40.0],
                                                             [0.3, 1.0, -0.6]))
    wheelbase = sim.get_param(vehicle, "geometry.wheelbase_m")
    batch = sim.set_params(vehicle, {"geometry.wheelbase_m": [wheelbase] * speed.size})
    weight = sim.mass_properties(vehicle).mass_kg[0] * GRAVITY_MPS2
    res = simulate(batch, speed_kmh=speed, duration_s=3.0,
                   steering_wheel_angle_rad=ol.iso7401_step_steer(steer),
                   force_demand_n=demand * road_friction * weight, road_friction=road_friction,
                   numerics=Numerics(output_interval_s=0.01))
    worst = 0.0
    for k, w in enumerate(WHEELS):
        tyre = load_tyre(vehicle.tyres["front" if k < 2 else "rear"].file)
        fz = res[f"fz_{w}_n"]
        loaded = np.isfinite(fz) & (fz > 100.0)
        fz = np.where(loaded, fz, 1000.0)
        mux, muy = peak_friction(tyre.parameters, fz, mu_road=road_friction)
        ratio = np.hypot(res[f"fx_{w}_n"] / mux, res[f"fy_{w}_n"] / muy) / fz
        worst = max(worst, float(ratio[loaded].max()))
    return worst


#: The built-in tyres keep the MFeval sample's vertical shift PVX1 = 0.068: at full wheel spin
#: Fx peaks 5.4 % above mux Fz (pure slip, dry road). That is the tyre data, so allow 6 %.
ELLIPSE_TOLERANCE = 1.06


def test_tyre_forces_stay_inside_the_friction_ellipse_on_a_dry_road(coupe):
    # Seen: 1.049 (traction at 100 km/h in a 40 deg step steer).
    assert worst_friction_ellipse_ratio(coupe, 1.0) <= ELLIPSE_TOLERANCE


#: Road friction acts by similarity (sim.tyre.mf61: F(kappa, alpha; mu) = mu F(kappa/mu,
#: alpha/mu; 1)), so on a slippery road the tyre moves through the same normalised combined-slip
#: curves as on the dry road, only at proportionally larger equivalent slip, where the sample
#: file's vertical shifts (PVX1, SVyk) lift the force a little more: seen 1.069 at mu 0.6 and
#: 0.3, 1.055 at mu 0.1 (before similarity, when only the peak was scaled: 1.30 at mu 0.3).
LOW_FRICTION_ELLIPSE_TOLERANCE = 1.08


@pytest.mark.parametrize("road_friction", [0.6, 0.3, 0.1])
def test_tyre_forces_stay_inside_the_friction_ellipse_on_a_low_friction_road(coupe,
                                                                              road_friction):
    assert worst_friction_ellipse_ratio(coupe, road_friction) <= LOW_FRICTION_ELLIPSE_TOLERANCE
