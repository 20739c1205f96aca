"""The lane kernel of the two-track model (sim.chassis.two_track).

Members of a batch run as the SIMD lanes of chunks; lanes are reordered within a chunk by
their substep counts, and a lane that fails leaves its chunk. None of this may show in the
results: a member's outputs must not depend on the chunk size, on its neighbours, or on
whether it runs alone, bit for bit; and the compiled kernel must compute what its Python
source says (run with ``NUMBA_DISABLE_JIT=1``).
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import sim
from sim import integrator
from sim.chassis import powertrain as pw
from sim.chassis import two_track as tt
from sim.driver import closed_loop as cl
from sim.driver import iso7401_step_steer, sine_with_dwell
from sim.errors import SpecError
from sim.params import two_track_parameters, tyre_sets
from sim.simulate import Numerics, simulate
from sim.units import kmh_to_mps

ROOT = Path(__file__).resolve().parents[2]
COUPE = sim.load_vehicle("coupe")
NUMERICS = Numerics(time_step_s=0.005, output_interval_s=0.01)
DURATION_S = 2.0

# 25 km/h needs several substeps per 5 ms step, 160 km/h one: the lanes of a chunk differ
SPEEDS_KMH = np.array([25.0, 60.0, 95.0, 130.0, 45.0, 80.0, 160.0])
STEER_DEG = np.array([60.0, 40.0, -30.0, 15.0, -80.0, 25.0, 8.0])
FORCE_N = np.array([0.0, 3000.0, -2000.0, 0.0, 1500.0, -6000.0, 0.0])


class _Sampled:
    """A driver input given by its samples at the kernel's input times (so that a member's
    input is the very same numbers in a batch and alone)."""

    def __init__(self, values):
        self.values = values

    def sample(self, time_s):
        assert time_s.size == self.values.shape[1]
        return self.values


_T_IN = np.arange(2 * int(round(DURATION_S / NUMERICS.time_step_s)) + 1) \
    * 0.5 * NUMERICS.time_step_s
STEER = iso7401_step_steer(STEER_DEG, start_s=0.2, duration_s=DURATION_S).sample(_T_IN)


def _run(index, lanes=None):
    """Members ``index`` of the case above, as one batch."""
    index = np.atleast_1d(index)
    return simulate(COUPE, speed_kmh=SPEEDS_KMH[index], duration_s=DURATION_S,
                    steering_wheel_angle_rad=_Sampled(STEER[index]),
                    force_demand_n=FORCE_N[index],
                    numerics=dataclasses.replace(NUMERICS, chunk_lanes=lanes))


@pytest.fixture(scope="module")
def single_runs():
    return [_run(i) for i in range(SPEEDS_KMH.size)]


@pytest.mark.parametrize("lanes", [1, 2, 3, 5, None])
def test_batch_equals_single_runs_bit_for_bit(single_runs, lanes):
    batch = _run(np.arange(SPEEDS_KMH.size), lanes)
    assert list(batch.status) == ["ok"] * SPEEDS_KMH.size
    for i, single in enumerate(single_runs):
        for name, values in batch.channels.items():
            np.testing.assert_array_equal(values[i], single.channels[name][0],
                                          err_msg=f"member {i}, {name}, {lanes} lanes")
        for name, value in batch.end_state.items():
            assert value[i] == single.end_state[name][0], (i, name, lanes)


def _kernel(params, tyre_params, x0, steer, force, *, lanes, h=0.005, n_steps=400,
            out_every=2):
    """Call the kernel as :func:`sim.simulate.simulate` does (passive controller)."""
    n = params.shape[0]
    t_in = np.arange(2 * n_steps + 1) * 0.5 * h
    steer_table = np.ascontiguousarray(np.broadcast_to(steer, (n, t_in.size)))
    force_table = np.ascontiguousarray(np.broadcast_to(force, (n, t_in.size)))
    torques = np.zeros((n, 4, t_in.size))
    rows = tt.N_STATES + tt.N_AUX + len(cl.DRIVER_STATE_NAMES) + pw.N_CHANNELS
    out = np.full((rows, n, n_steps // out_every + 1), 1234.5)  # overwritten
    status = np.zeros(n, dtype=np.int64)
    end_time = np.zeros(n)
    end_state = np.zeros((n, tt.N_STATES))
    end_energy = np.zeros((n, pw.N_ENERGY_STATES))
    bp, dup, xe0, pt0, _ = pw.powertrain_tables(COUPE, params)
    dparams = cl.driver_parameters(cl.Driver(), n, follow_path=False, control_speed=False)
    dstate0 = np.zeros((n, len(cl.DRIVER_STATE_NAMES)))
    sets, tyre_set = tyre_sets(tyre_params)
    order = integrator.chunk_order(x0[:, tt.S_VX], tyre_set)
    integrator.integrate_batch(
        tt.CONTROLLER_PASSIVE, params, sets, tyre_set, x0, np.zeros((n, 1)), np.zeros((n, 1)),
        dparams, dstate0, bp, dup, xe0, pt0, order,
        integrator.chunk_bounds(order, lanes, tyre_set), 2, 0.0, 0.5 * h,
        steer_table, force_table, np.zeros_like(force_table), torques, torques,
        np.zeros((n, 2, 2)), h, n_steps, out_every, 1.0, 0.5, np.radians(45.0), out, status,
        end_time, end_state, end_energy, np.arange(rows, dtype=np.int64))
    return out, status, end_time, end_state


def _failing_batch():
    """Five members: 0, 2 healthy; 1 goes non-finite (a negative load-transfer time constant:
    the lagged acceleration grows instead of following), 3 spins out (sine with dwell at 120
    km/h), 4 stops (brakes). Inputs as tables at the kernel's input times (2.5 ms)."""
    n = 5
    params, tyre_params, _ = two_track_parameters(COUPE, members=n)
    params[1, tt.P_TAU_LT] = -1e-3
    speed = kmh_to_mps(np.array([70.0, 90.0, 110.0, 120.0, 40.0]))
    x0 = np.zeros((n, tt.N_STATES))
    x0[:, tt.S_VX] = speed
    x0[:, tt.S_OMEGA:tt.S_OMEGA + 4] = (speed / params[:, tt.P_RW])[:, None]
    t_in = np.arange(801) * 0.0025
    steer = np.repeat(np.radians([[20.0], [10.0], [-30.0], [0.0], [5.0]]), t_in.size, axis=1)
    steer[3] = sine_with_dwell(200.0, start_s=0.1, duration_s=2.0).sample(t_in)[0]
    force = np.array([0.0, 0.0, 1000.0, 0.0, -15000.0])[:, None]
    return params, tyre_params, x0, steer, force


def test_failing_lanes_leave_their_chunk_without_disturbing_it():
    params, tyre_params, x0, steer, force = _failing_batch()
    out, status, end_time, end_state = _kernel(params, tyre_params, x0, steer, force, lanes=5)
    assert list(status) == [tt.STATUS_OK, tt.STATUS_NONFINITE, tt.STATUS_OK,
                            tt.STATUS_SPUN_OUT, tt.STATUS_STOPPED]
    assert np.all(np.isfinite(end_state))
    assert not np.any(out == 1234.5)  # every sample written: a value, or NaN after the end
    for m in (1, 3, 4):
        assert 0.0 < end_time[m] < 2.0
        last = int(round(end_time[m] / 0.01))  # last recorded row is before the end time
        assert np.all(np.isfinite(out[:, m, :last]))
        assert np.all(np.isnan(out[:, m, last + 1:]))
    for m in (0, 2):  # the healthy members, alone, give the very same bits
        alone = _kernel(params[m:m + 1], tyre_params[m:m + 1], x0[m:m + 1], steer[m:m + 1],
                        force[m:m + 1], lanes=1)
        np.testing.assert_array_equal(out[:, m], alone[0][:, 0])
        np.testing.assert_array_equal(end_state[m], alone[3][0])
        assert end_time[m] == alone[2][0] == 2.0


def test_a_failing_lane_does_not_change_its_neighbours_substeps():
    """The non-finite and the spun-out members leave; the others of their chunk keep their
    own step sizes (same bits as in a batch without the failing members)."""
    params, tyre_params, x0, steer, force = _failing_batch()
    out, *_ = _kernel(params, tyre_params, x0, steer, force, lanes=5)
    keep = [0, 2, 4]
    healthy = _kernel(params[keep], tyre_params[keep], x0[keep], steer[keep], force[keep], lanes=5)
    np.testing.assert_array_equal(out[:, keep], healthy[0])


_PYTHON_RUN = """
import numba, numpy as np, sim
from sim.chassis import two_track as tt
print("python" if not hasattr(tt.rhs, "py_func") else "compiled")
from sim.driver import iso7401_step_steer, sine_with_dwell
from sim.simulate import Numerics, simulate
res = simulate(sim.load_vehicle("coupe"), speed_kmh=np.array([20.0, 90.0]), duration_s=0.02,
               steering_wheel_angle_rad=iso7401_step_steer(np.array([90.0, -40.0]),
                                                           start_s=0.0, duration_s=0.02),
               force_demand_n=np.array([2000.0, -3000.0]),
               numerics=Numerics(time_step_s=0.005, output_interval_s=0.005))
np.save({path!r}, np.stack([res.channels[name] for name in sorted(res.channels)]))
"""


def test_compiled_kernel_equals_its_python_source(tmp_path):
    """A short run with numba switched off (the kernel's Python source, numpy scalars and the
    Python twins of sim.fastmath) gives the compiled kernel's bits."""
    path = tmp_path / "python_run.npy"
    env = dict(os.environ, NUMBA_DISABLE_JIT="1", PYTHONPATH=str(ROOT))
    run = subprocess.run([sys.executable, "-c", _PYTHON_RUN.format(path=str(path))],
                         check=True, env=env, cwd=ROOT, timeout=600, capture_output=True,
                         text=True)
    assert run.stdout.split()[0] == "python"
    namespace = {}
    exec(_PYTHON_RUN.format(path=str(tmp_path / "compiled.npy")), namespace)
    python, compiled = np.load(path), np.load(tmp_path / "compiled.npy")
    assert np.all(np.isfinite(compiled))
    np.testing.assert_array_equal(compiled, python)


@pytest.mark.parametrize("lanes", [0, -1, 2.5, True, tt.LANES + 1])
def test_chunk_lanes_must_be_a_positive_integer(lanes):
    with pytest.raises(SpecError, match="chunk_lanes"):
        Numerics(chunk_lanes=lanes)


def test_chunk_lanes_default():
    assert integrator.chunk_lanes(1) == 1
    assert integrator.chunk_lanes(7, threads=2) == 4
    assert integrator.chunk_lanes(10_000, threads=2) == tt.LANES
