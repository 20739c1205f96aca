"""Issue 9: vehicles drawn anywhere inside the schema's documented bounds of the dynamics
sections, run through a short step steer and a straight line, give plausible results or a
flagged, explained failure: never normal-looking nonsense."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim import metrics
from sim.driver.open_loop import iso7401_step_steer
from sim.errors import SpecError
from sim.params import load_tyre
from sim.spec.vehicle import fields_of

COUPE = sim.load_vehicle("coupe")
N = 4
SECTIONS = ("suspension", "wheels", "aero", "brakes", "steering", "tyres.front", "tyres.rear")


def _bounded_paths():
    """Every quantity of the dynamics sections with its documented bounds."""
    out = {}
    for path in sim.param_paths(COUPE):
        section, name = path.rsplit(".", 1)
        if section not in SECTIONS:
            continue
        owner = COUPE
        for part in section.split("."):
            owner = owner[part] if isinstance(owner, dict) or hasattr(owner, "keys") \
                else getattr(owner, part)
        meta = {f.name: f.metadata for f in fields_of(type(owner))}[name]
        low = meta["ge"] if meta["ge"] is not None else meta["gt"]
        high = meta["le"] if meta["le"] is not None else meta["lt"]
        if low is None or high is None:
            continue
        span = high - low
        # open bounds: stay a hair inside
        out[path] = (low + 1e-6 * span if meta["gt"] is not None else low,
                     high - 1e-6 * span if meta["lt"] is not None else high)
    return out


BOUNDS = _bounded_paths()


@st.composite
def batches(draw):
    values = {path: [draw(st.floats(lo, hi)) for _ in range(N)]
              for path, (lo, hi) in BOUNDS.items()}
    try:
        return sim.set_params(COUPE, values)
    except SpecError:
        return None  # a cross-field rule rejected it with a named error: also a valid outcome


def _check_plausible_or_flagged(res, *, step_from=None):
    front = load_tyre(COUPE.tyres["front"].file).tir
    rear = load_tyre(COUPE.tyres["rear"].file).tir
    for i in range(res.batch_size):
        status = res.status[i]
        if status not in ("ok", "stopped"):
            assert status in ("spun out", "non-finite state")  # flagged and explained
            continue
        end = res.time_s <= res.end_time_s[i] + 1e-9
        for name in ("vx_mps", "yaw_rate_radps", "ay_mps2", "fz_fl_n", "fy_rl_n"):
            assert np.all(np.isfinite(res[name][i, end])), (name, i)
        for w, tir in (("fl", front), ("fr", front), ("rl", rear), ("rr", rear)):
            fz = res[f"fz_{w}_n"][i, end]
            fzmax = float(tir["VERTICAL_FORCE_RANGE"]["FZMAX"])
            within = (fz >= 0.0) & (fz <= fzmax)
            assert np.all(within | res.flags[f"tyre_load_{w}"][i, end])
            # lateral force opposes the slip angle (ISO-W) where the slip is clear and the
            # tyre is inside its validity, in the last half second (relaxation settled)
            alpha = res[f"tan_slip_angle_{w}"][i, end]
            fy = res[f"fy_{w}_n"][i, end]
            late = res.time_s[end] >= res.end_time_s[i] - 0.5
            valid = ~res.flags[f"tyre_load_{w}"][i, end] & ~res.flags[f"tyre_slip_angle_{w}"][
                i, end]
            clear = late & valid & (np.abs(alpha) > 0.02) & (fz > 200.0)  # a lifted wheel
            # (Fz = 0, within FZMIN) carries no force at all
            assert np.all(fy[clear] * alpha[clear] < 0.0), (w, i)
    return res


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches())
def test_vehicles_inside_the_schema_are_plausible_or_flagged(batch):
    if batch is None:
        return
    profile = iso7401_step_steer(30.0, 400.0, 0.5, duration_s=2.5)
    steer = sim.simulate(batch, speed_kmh=80.0, duration_s=2.5,
                         steering_wheel_angle_rad=profile, force_demand_n=600.0)
    _check_plausible_or_flagged(steer)
    ok = np.flatnonzero(steer.status == "ok")
    if ok.size:
        m = metrics.iso7401_step_steer(steer.time_s, profile.sample(steer.time_s)[[0] * ok.size],
                                       steer["yaw_rate_radps"][ok], steady_window_s=0.5)
        assert np.all(m.response_time_s >= 0.0)  # after the step, never before it
        assert np.all(m.time_origin_s >= 0.5)
    line = sim.simulate(batch, speed_kmh=40.0, duration_s=1.5, force_demand_n=6000.0)
    _check_plausible_or_flagged(line)
    fine = line.status == "ok"
    assert np.all(line["vx_mps"][fine, -1] > line["vx_mps"][fine, 0])  # it accelerates
