"""Argument types at the numpy entry points do not multiply compiled specialisations.

numba compiles one specialisation per tuple of argument types, and a read-only array is
another type than a writable one: a tyre vector from a frozen vehicle and a broadcast scalar
are read-only. ``tools/compile_profile.py`` found the first two-track result compiling
``sim.tyre.mf61._forces_many`` twice for that reason, and the test suite the whole two-track
time loop four times; the entry points now hand the compiled loops writable C-contiguous
arrays only (:func:`sim._arrays.kernel_array`).
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from sim.tyre import mf61
from sim.tyre.tir import read_tir
from tests.conftest import SAMPLE_TIR

pytestmark = pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT") == "1",
                                reason="counts compiled specialisations")


def test_forces_compile_one_specialisation_for_read_only_and_writable_inputs():
    p = mf61.mf61_parameter_vector(read_tir(SAMPLE_TIR))
    frozen = p.copy()
    frozen.setflags(write=False)
    kappa = np.array([0.05, -0.1])
    kappa_ro = kappa.copy()
    kappa_ro.setflags(write=False)
    results = [
        mf61.evaluate(frozen, 0.05, 0.02, fz_n=4000.0),
        mf61.evaluate(p, kappa, 0.02, fz_n=np.array([4000.0, 3000.0])),
        mf61.evaluate(frozen, kappa_ro, np.array([0.02, 0.02]), fz_n=4000.0),
        mf61.evaluate(np.stack([p, frozen]), 0.05, 0.02, fz_n=4000.0),
    ]
    assert len(mf61._forces_many.signatures) == 1, mf61._forces_many.signatures
    # and the values do not depend on how the inputs were passed
    assert results[0][0] == results[1][0][0] == results[3][0][1]
    assert results[1][1][1] != results[0][1]
    np.testing.assert_array_equal(results[2][0], np.broadcast_to(
        mf61.evaluate(p, kappa, 0.02, fz_n=4000.0)[0], (2,)))


def test_flatten_hands_out_writable_contiguous_arrays():
    p = np.ones(mf61.MF61_PARAMETER_COUNT)
    p.setflags(write=False)
    p2d, tyre, flat, shape = mf61._flatten(p, (np.asarray(0.1), np.array([1.0, 2.0])))
    assert shape == (2,)
    for a in (p2d, tyre, *flat):
        assert a.flags.writeable and a.flags.c_contiguous
    assert tyre.dtype == np.int64 and p2d.dtype == np.float64
    np.testing.assert_array_equal(flat[0], [0.1, 0.1])


def test_lane_tables_of_many_row_counts_compile_no_specialisation_each():
    import numba

    from sim.lanes import LANES, lane_table

    @numba.njit(cache=False)
    def tables():
        return lane_table(3).size + lane_table(5).size + lane_table(7).size

    assert tables() == 15 * LANES
    assert len(lane_table.signatures) <= 1, lane_table.signatures
    assert lane_table(2).shape == (2 * LANES,) and not lane_table(2).any()


def test_time_loops_compile_one_specialisation_whatever_the_inputs_look_like():
    """The two-track time loop (``sim.integrator.RUN_LANES``, passive) and the cycle loop
    (``sim.energy.longitudinal._run_member``) are each compiled for one signature: the kernel
    test's read-only broadcast input tables, ``simulate``'s own tables, a call that leaves the
    scheme at its default, and a cycle trace that is a read-only array all reach them as the
    same types (each extra signature recompiled the whole loop: minutes of a cold CI run)."""
    import sim
    from sim import integrator
    from sim.driver import iso7401_step_steer
    from sim.energy import longitudinal as lo
    from sim.energy.cycle import drive_cycle
    from sim.simulate import CONTROLLERS, Numerics, simulate
    from tests.unit.test_two_track_kernel import _failing_batch, _kernel

    params, tyre_params, x0, steer, force = _failing_batch()
    _kernel(params, tyre_params, x0, steer, force, lanes=2)  # the scheme left out
    simulate(sim.load_vehicle("coupe"), speed_kmh=80.0, duration_s=0.05,
             steering_wheel_angle_rad=iso7401_step_steer(10.0, start_s=0.02),
             numerics=Numerics(scheme="rosenbrock"))
    drive_cycle(sim.load_vehicle("coupe"), "wltc_class3b")
    loop = integrator.RUN_LANES[CONTROLLERS["passive"]]
    assert len(loop.signatures) == 1, loop.signatures
    assert len(lo.run_batch.signatures) == 1, lo.run_batch.signatures
    assert len(lo._run_member.signatures) <= 1, lo._run_member.signatures  # 0 when cached
    # kernels once called with literal flags or counts (a literal is a type of its own: one
    # specialisation per value); 0 signatures when the time loop was loaded from the cache
    from sim.chassis import powertrain as cpw
    for kernel in (cpw.drive_unit_powers, integrator._rk4_substeps):
        assert len(kernel.signatures) <= 1, kernel.signatures


def _read_only(value):
    a = np.array(value, dtype=float)
    a.setflags(write=False)
    return a


def test_powertrain_edges_compile_one_specialisation_for_read_only_and_writable_inputs():
    """The numpy edges of the machine envelope, the drive unit and the battery: a read-only
    input (a broadcast scalar, a frozen table) reaches the compiled loop as a writable one."""
    import sim
    from sim.powertrain import battery as b
    from sim.powertrain import electric_machine as em
    from sim.powertrain import envelope
    from tests.unit.test_drive_unit import LP

    speeds = np.array([100.0, 600.0])
    for make in (np.array, _read_only):
        envelope.wheel_torque_limits_nm(make(400.0), make(2e5), make(2000.0), make(9.0),
                                        make(speeds))
        em.drive_unit_losses(make(LP), make([150.0, 20.0]), make(speeds), make(800.0))
        p = b.battery_parameters(sim.load_vehicle("coupe"))[0]
        b.battery_operating_point(make(p), make(b.battery_state(0.5)), make(1e5))
    for kernel in (envelope._limit_many, em._drive_unit_many, b._operating_points):
        assert len(kernel.signatures) <= 1, (kernel, kernel.signatures)
