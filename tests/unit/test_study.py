"""sim.study with analytic stand-in maneuvers (no simulation): the plan, samples, chunks,
checkpoint and resume, failures, interruptions, executors, sensitivity, CLI and plots.

The stand-in maneuvers are functions of this module, named ``f"{__name__}:fake"`` in the
study like a user's own maneuver; they log every point they finished to a file so a test can
count how often each point was computed, across processes.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import math
import multiprocessing
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.errors import SpecError
from sim.study import (
    EXAMPLES,
    Sample,
    Study,
    StudyInterrupted,
    load_study,
    local_gradients,
    local_study,
    run_study,
    sobol_indices,
)

ME = __name__


def fake(vehicle, *, gain=1.0, road_friction=1.0, log="", raise_at=-1.0, interrupt_at=-1.0,
         exit_at=-1.0, marker="", load_case=None):
    """y = gain * E_front * friction, z = E_front² [kWh²]; ``raise_at`` raises ValueError for
    a batch holding that front energy; ``interrupt_at`` / ``exit_at`` raise KeyboardInterrupt
    / kill the process once (while the ``marker`` file exists)."""
    e = np.atleast_1d(np.asarray(vehicle.packs["front"].energy_kwh, dtype=float))
    if marker and os.path.exists(marker):
        if exit_at in e:
            os.unlink(marker)
            os._exit(3)
        if interrupt_at in e:
            os.unlink(marker)
            raise KeyboardInterrupt
    if raise_at in e:
        raise ValueError(f"infeasible front energy {raise_at}")
    fr = np.broadcast_to(np.asarray(road_friction, dtype=float), e.shape)
    if log:
        with open(log, "a") as fh:
            fh.write("".join(f"{x!r} {f!r} {gain!r}\n" for x, f in zip(e, fr, strict=True)))
    return {"y_kwh": gain * e * fr, "z_kwh2": e**2, "big": e > 25.0}


fake.per_member = frozenset({"road_friction"})


def ishigami(vehicle, *, x1, x2, x3, a=7.0, b=0.1):
    """The Ishigami function (Ishigami & Homma 1990), inputs uniform on [-pi, pi]."""
    x1, x2, x3 = np.broadcast_arrays(*(np.atleast_1d(np.asarray(x, float)) for x in (x1, x2, x3)))
    return {"y": np.sin(x1) + a * np.sin(x2) ** 2 + b * x3**4 * np.sin(x1)}


ishigami.per_member = frozenset({"x1", "x2", "x3"})


def stepping(vehicle, *, numerics=None):
    """The integration settings a maneuver received: step [s] (-1 without ``numerics``) and
    whether the scheme is Rosenbrock-W."""
    n = np.atleast_1d(np.asarray(vehicle.packs["front"].energy_kwh)).size
    step = -1.0 if numerics is None else numerics.time_step_s
    return {"step_s": np.full(n, step),
            "rosenbrock": np.full(n, numerics is not None and numerics.scheme == "rosenbrock")}


def _study(tmp_path, **kw) -> Study:
    base = dict(name="fake", maneuvers=(f"{ME}:fake",),
                grid={"packs.front.energy_kwh": [20.0, 24.0, 28.0, 32.0],
                      "maneuver.gain": [1.0, 2.0]},
                zip=({"road.friction": [0.6, 1.0]},), chunk_size=3,
                fixed={"maneuver.log": str(tmp_path / "calls.log")})
    base.update(kw)
    return Study(**base)


def _calls(tmp_path) -> list[str]:
    log = tmp_path / "calls.log"
    return log.read_text().splitlines() if log.exists() else []


# ---------------------------------------------------------------------- the plan

def test_plan_is_the_cross_product_and_groups_share_non_member_settings(tmp_path):
    plan = _study(tmp_path).plan()
    assert len(plan) == 1 * 1 * 4 * 2 * 2
    assert plan.columns == ["variant", "maneuver", "packs.front.energy_kwh", "maneuver.gain",
                            "road.friction"]
    # last dimension fastest
    assert [p["road.friction"] for p in plan.points[:4]] == [0.6, 1.0, 0.6, 1.0]
    assert [p["maneuver.gain"] for p in plan.points[:4]] == [1.0, 1.0, 2.0, 2.0]
    # road friction is per member for this maneuver: two groups (gain), 8 points each,
    # chunks of at most 3 -> 3 + 3 chunks, each within one group
    assert len(plan.groups) == 2
    assert [len(c.points) for c in plan.chunks] == [3, 3, 2, 3, 3, 2]
    for chunk in plan.chunks:
        assert len({plan.points[i]["maneuver.gain"] for i in chunk.points}) == 1
    assert sorted(i for c in plan.chunks for i in c.points) == list(range(16))


def test_zip_walks_lists_together_and_pack_split_keeps_the_total(tmp_path):
    study = Study(maneuvers=(f"{ME}:fake",), zip=({"split.front_energy_share": [0.0, 0.5, 1.0],
                                                   "maneuver.gain": [1.0, 2.0, 3.0]},),
                  chunk_size=10)
    frame = run_study(study, progress=False)
    assert len(frame) == 3
    # coupe: 26 + 46 = 72 kWh; front = share * 72; y = gain * front
    np.testing.assert_allclose(frame["z_kwh2"], [0.0, 36.0**2, 72.0**2])
    np.testing.assert_allclose(frame["y_kwh"], [0.0, 72.0, 216.0])


def test_samples_are_seeded_space_filling_and_in_range():
    ranges = {"packs.front.energy_kwh": (10.0, 30.0), "road.friction": (0.5, 1.0)}
    for method in ("latin_hypercube", "sobol", "halton"):
        a = Sample(ranges, n=16, method=method, seed=3).points()
        b = Sample(ranges, n=16, method=method, seed=3).points()
        assert a.shape == (16, 2)
        np.testing.assert_array_equal(a, b)
        assert np.all((a[:, 0] >= 10) & (a[:, 0] <= 30) & (a[:, 1] >= 0.5) & (a[:, 1] <= 1.0))
    lhs = Sample(ranges, n=16, method="latin_hypercube", seed=3).unit_points()
    for col in lhs.T:  # one point in each of the 16 strata of every axis
        assert sorted(np.floor(col * 16).astype(int)) == list(range(16))
    sal = Sample({"a": (0, 1), "b": (0, 1), "c": (0, 1)}, n=8, method="saltelli").unit_points()
    a_, b_ = sal[:8], sal[8:16]
    for i in range(3):
        ab = sal[(2 + i) * 8:(3 + i) * 8]
        np.testing.assert_array_equal(ab[:, i], b_[:, i])
        np.testing.assert_array_equal(np.delete(ab, i, 1), np.delete(a_, i, 1))


# ---------------------------------------------------------------------- bad input

@pytest.mark.parametrize("kw, field, value", [
    (dict(grid={"packs.front.energy_kwhh": [1.0]}), "packs.front.energy_kwhh", "energy_kwhh"),
    (dict(grid={"packs.front.energy_kwh": [-5.0]}), "packs.front.energy_kwh", "-5"),
    (dict(grid={"maneuver.speed": [80.0]}), "maneuver.speed", "speed"),
    (dict(grid={"road.friction": [3.0]}), "road.friction", "3"),
    (dict(grid={"road.wet": [1.0]}), "road.wet", "wet"),
    (dict(grid={"split.front_energy_share": [1.5]}), "split.front_energy_share", "1.5"),
    (dict(maneuvers=("nope",)), "maneuvers", "nope"),
    (dict(maneuvers=("no.such.module:f",)), "maneuvers", "no.such.module"),
    (dict(variants=("no_such_car",)), "", "no_such_car"),
    (dict(chunk_size=0), "chunk_size", "0"),
    (dict(zip=({"maneuver.gain": [1.0, 2.0], "road.friction": [1.0]},)), "zip", ""),
])
def test_bad_axes_and_values_are_refused_before_any_simulation(tmp_path, kw, field, value):
    with pytest.raises(Exception, match=".*") as info:
        run_study(_study(tmp_path, **{"grid": {}, "zip": (), **kw}), progress=False)
    assert isinstance(info.value, SpecError | ValueError)
    text = str(info.value)
    assert field in text and value in text
    assert _calls(tmp_path) == []


@pytest.mark.parametrize("sample, field", [
    (dict(ranges={"road.friction": (1.0, 0.5)}, n=4), "sample.ranges.road.friction"),
    (dict(ranges={"road.friction": (0.5, 1.0)}, n=6, method="saltelli"), "sample.n"),
    (dict(ranges={"road.friction": (0.5, 1.0)}, n=4, method="random"), "sample.method"),
    (dict(ranges={"road.friction": (0.5, 1.0)}, n=4, seed=-1), "sample.seed"),
])
def test_bad_samples_are_refused(sample, field):
    with pytest.raises(SpecError, match=field.replace(".", r"\.")):
        Sample(**sample)


def test_an_unknown_metric_of_a_built_in_maneuver_is_refused():
    with pytest.raises(SpecError, match="yaw_rate_respons_time_s"):
        Study(maneuvers=("step_steer",), metrics=("yaw_rate_respons_time_s",)).plan()


def test_an_axis_given_twice_is_refused(tmp_path):
    with pytest.raises(SpecError, match=r"maneuver\.gain.*each axis once"):
        _study(tmp_path, fixed={"maneuver.gain": 3.0})


# ---------------------------------------------------------------------- TOML, examples

def test_toml_round_trip_and_unknown_keys(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(f'''name = "t"
maneuvers = ["{ME}:fake"]
chunk_size = 2
[grid]
"packs.front.energy_kwh" = [20.0, 30.0]
[[zip]]
"road.friction" = [0.5, 1.0]
"maneuver.gain" = [1.0, 3.0]
[sample]
method = "halton"
n = 3
[sample.ranges]
"packs.rear.energy_kwh" = [30.0, 40.0]
''')
    study = load_study(path)
    assert len(study.plan()) == 2 * 2 * 3
    again = Study.from_dict(json.loads(json.dumps(study.to_dict())))
    assert again.digest() == study.digest() and again == study
    path.write_text('name = "t"\nmaneuver = ["step_steer"]\n')
    with pytest.raises(SpecError, match="maneuver"):
        load_study(path)


@pytest.mark.parametrize("name", ["pack_split", "friction_bound", "understeer_sensitivity"])
def test_shipped_examples_validate_without_simulating(name):
    plan = load_study(EXAMPLES / f"{name}.toml").plan()
    assert len(plan) == {"pack_split": 42, "friction_bound": 12,
                         "understeer_sensitivity": 32 * 7}[name]


# ---------------------------------------------------------------------- results, checkpoints

def test_numerics_settings_reach_the_maneuver_and_split_the_batches():
    study = Study(maneuvers=(f"{ME}:stepping",), grid={"numerics.time_step_s": [0.005, 0.01],
                                                       "packs.front.energy_kwh": [20.0, 30.0]},
                  fixed={"numerics.scheme": "rosenbrock", "numerics.output_interval_s": 0.01})
    assert len(study.plan().chunks) == 2  # one batch per step: not a per-member setting
    frame = run_study(study, progress=False)
    assert frame["step_s"].tolist() == frame["numerics.time_step_s"].tolist()
    assert frame["rosenbrock"].all()
    plain = run_study(Study(maneuvers=(f"{ME}:stepping",)), progress=False)
    assert plain["step_s"].tolist() == [-1.0]  # none given: the maneuver's own default


@pytest.mark.parametrize("fixed, field, value", [
    ({"numerics.scheme": "euler"}, "numerics.scheme", "euler"),
    ({"numerics.time_step": 0.01}, "numerics.time_step", "time_step_s"),
    ({"numerics.time_step_s": 0.02}, "numerics.time_step_s", "output_interval_s"),
])
def test_bad_numerics_are_refused_naming_the_field(fixed, field, value):
    with pytest.raises(SpecError) as info:
        Study(maneuvers=(f"{ME}:stepping",), fixed=fixed).plan()
    assert field in str(info.value) and value in str(info.value)


def test_numerics_settings_are_checked_together():
    # a 20 ms step is allowed with a 20 ms output interval (its multiple), not with the
    # default 10 ms: the settings a group runs with are checked as one sim.Numerics
    study = Study(maneuvers=(f"{ME}:stepping",), grid={"numerics.time_step_s": [0.02]},
                  fixed={"numerics.output_interval_s": 0.02})
    assert run_study(study, progress=False)["step_s"].tolist() == [0.02]
    with pytest.raises(SpecError, match="output_interval_s"):
        Study(maneuvers=(f"{ME}:stepping",), grid={"numerics.time_step_s": [0.02, 0.03]},
              fixed={"numerics.output_interval_s": 0.02}).plan()


def test_numerics_for_maneuvers_that_take_none_is_refused(tmp_path):
    with pytest.raises(SpecError, match="numerics"):
        _study(tmp_path, fixed={"numerics.scheme": "rosenbrock"}).plan()


def test_results_table_and_resume_compute_each_point_once(tmp_path):
    study = _study(tmp_path)
    out = tmp_path / "res"
    frame = run_study(study, out=out, progress=False)
    assert len(frame) == 16 and (frame["status"] == "ok").all()
    np.testing.assert_allclose(frame["y_kwh"], frame["maneuver.gain"]
                               * frame["packs.front.energy_kwh"] * frame["road.friction"])
    assert frame["big"].tolist() == (frame["packs.front.energy_kwh"] > 25).tolist()
    assert sorted(p.name for p in (out / "chunks").iterdir()) == \
        [f"chunk-{i:06d}.parquet" for i in range(6)]
    meta = json.loads((out / "study.json").read_text())
    assert meta["sha256"] == study.digest() and meta["chunks"] == 6
    again = run_study(study, out=out, progress=False)
    assert len(_calls(tmp_path)) == 16  # nothing computed again
    pd.testing.assert_frame_equal(again, frame)


def test_changed_definition_in_an_existing_folder_is_refused(tmp_path):
    out = tmp_path / "res"
    run_study(_study(tmp_path), out=out, progress=False)
    with pytest.raises(SpecError, match=r"grid\.maneuver\.gain"):
        run_study(_study(tmp_path, grid={"packs.front.energy_kwh": [20.0, 24.0, 28.0, 32.0],
                                         "maneuver.gain": [1.0, 3.0]}), out=out, progress=False)
    with pytest.raises(SpecError, match="chunk_size"):
        run_study(_study(tmp_path, chunk_size=4), out=out, progress=False)


def test_a_failing_point_is_recorded_and_the_others_finish(tmp_path):
    study = _study(tmp_path, fixed={"maneuver.log": str(tmp_path / "calls.log"),
                                    "maneuver.raise_at": 24.0})
    out = tmp_path / "res"
    frame = run_study(study, out=out, progress=False)
    bad = frame["packs.front.energy_kwh"] == 24.0
    assert (frame.loc[bad, "status"] == "failed").all() and bad.sum() == 4
    assert frame.loc[bad, "error"].str.contains("ValueError: infeasible front energy 24").all()
    assert frame.loc[bad, "y_kwh"].isna().all()
    assert (frame.loc[~bad, "status"] == "ok").all() and (frame.loc[~bad, "error"] == "").all()
    calls = _calls(tmp_path)
    assert len(calls) == 12 and len(set(calls)) == 12  # each good point once (retry by point)
    run_study(study, out=out, progress=False)  # recorded failures are results: not re-run
    assert len(_calls(tmp_path)) == 12


def test_interrupted_study_leaves_no_partial_chunk_and_resumes(tmp_path):
    marker = tmp_path / "interrupt-once"
    marker.touch()
    study = _study(tmp_path, fixed={"maneuver.log": str(tmp_path / "calls.log"),
                                    "maneuver.interrupt_at": 28.0,
                                    "maneuver.marker": str(marker)})
    out = tmp_path / "res"
    with pytest.raises(KeyboardInterrupt):
        run_study(study, out=out, progress=False)
    written = sorted(p.name for p in (out / "chunks").iterdir())
    assert 0 < len(written) < 6 and all(p.endswith(".parquet") for p in written)
    frame = run_study(study, out=out, progress=False)
    assert (frame["status"] == "ok").all()
    calls = _calls(tmp_path)
    assert len(calls) == 16 and len(set(calls)) == 16  # every point computed exactly once


def test_killed_worker_process_then_resume_computes_each_point_once(tmp_path):
    marker = tmp_path / "exit-once"
    marker.touch()
    study = _study(tmp_path, fixed={"maneuver.log": str(tmp_path / "calls.log"),
                                    "maneuver.exit_at": 28.0, "maneuver.marker": str(marker)})
    out = tmp_path / "res"
    spawn = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(1, mp_context=spawn) as pool, \
            pytest.raises(StudyInterrupted, match="run the"):
        run_study(study, out=out, executor=pool, progress=False)
    assert not marker.exists()
    assert not [p for p in (out / "chunks").iterdir() if not p.name.endswith(".parquet")]
    frame = run_study(study, out=out, executor=2, progress=False)
    assert (frame["status"] == "ok").all() and len(frame) == 16
    calls = _calls(tmp_path)
    assert len(calls) == 16 and len(set(calls)) == 16


def test_executors_give_identical_tables(tmp_path):
    study = _study(tmp_path, fixed={})
    serial = run_study(study, progress=False)
    with cf.ThreadPoolExecutor(2) as pool:
        threads = run_study(study, executor=pool, progress=False)
    processes = run_study(study, executor=2, progress=False)
    pd.testing.assert_frame_equal(threads, serial, check_exact=True)
    pd.testing.assert_frame_equal(processes, serial, check_exact=True)
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        dask = run_study(study, executor=client, progress=False)
    pd.testing.assert_frame_equal(dask, serial, check_exact=True)


def test_a_forking_process_pool_is_refused(tmp_path):
    with cf.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool, \
            pytest.raises(SpecError, match="spawn"):
        run_study(_study(tmp_path, fixed={}), executor=pool, progress=False)


def test_progress_bar_on_stderr_and_none_when_switched_off(tmp_path, capsys):
    # (the one-line compile notice of a cold kernel cache is sim._cache's, for every entry
    # point alike: tests/unit/test_kernel_cache.py)
    run_study(_study(tmp_path, fixed={}), progress=True)
    assert "16/16" in capsys.readouterr().err
    run_study(_study(tmp_path, fixed={}), progress=False)
    assert capsys.readouterr().err == ""


# ---------------------------------------------------------------------- sensitivity

def test_sobol_indices_of_the_ishigami_function():
    """Analytic (a = 7, b = 0.1): S1 = 0.3139, S2 = 0.4424, S3 = 0; ST1 = 0.5576,
    ST2 = 0.4424, ST3 = 0.2437 (Saltelli et al., Global Sensitivity Analysis, 2008)."""
    pi = math.pi
    study = Study(maneuvers=(f"{ME}:ishigami",), chunk_size=4096,
                  sample=Sample({"maneuver.x1": (-pi, pi), "maneuver.x2": (-pi, pi),
                                 "maneuver.x3": (-pi, pi)}, n=1024, method="saltelli", seed=1))
    frame = run_study(study, progress=False)
    assert len(frame) == 1024 * 5
    idx = sobol_indices(frame, "y", n_resamples=200).set_index("parameter")
    first = [0.3139, 0.4424, 0.0]
    total = [0.5576, 0.4424, 0.2437]
    np.testing.assert_allclose(idx["first_order"], first, atol=0.04)
    np.testing.assert_allclose(idx["total"], total, atol=0.04)
    assert (idx["first_order_low"] <= idx["first_order"]).all()
    # the bootstrap intervals are drawn from ``seed``: the same table, the same intervals
    again = sobol_indices(frame, "y", n_resamples=200).set_index("parameter")
    pd.testing.assert_frame_equal(again, idx)
    other = sobol_indices(frame, "y", n_resamples=200, seed=1).set_index("parameter")
    assert not np.array_equal(other["total_low"], idx["total_low"])
    np.testing.assert_array_equal(other["total"], idx["total"])
    with pytest.raises(SpecError, match="saltelli"):
        sobol_indices(run_study(_study(Path("/nonexistent"), fixed={}), progress=False), "y_kwh")


def test_saltelli_jansen_equals_scipys_estimators():
    from scipy import stats

    from sim.study.sensitivity import saltelli_jansen

    rng = np.random.default_rng(3)
    f_a, f_b, f_ab = rng.normal(size=(2, 64)), rng.normal(size=(2, 64)), rng.normal(size=(3, 2, 64))
    first, total = saltelli_jansen(f_a, f_b, f_ab)
    ref = stats.sobol_indices(func={"f_A": f_a, "f_B": f_b, "f_AB": f_ab}, n=64)
    assert first.shape == total.shape == (2, 3)
    np.testing.assert_allclose(first, ref.first_order, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(total, ref.total_order, rtol=1e-12, atol=1e-14)


def test_local_gradients_are_central_differences(tmp_path):
    base = _study(tmp_path, fixed={})
    study = local_study(base, {"packs.front.energy_kwh": 30.0, "road.friction": 0.8},
                        relative_step=0.01)
    frame = run_study(study, progress=False)
    assert len(frame) == 5
    grads = local_gradients(frame, ["z_kwh2", "y_kwh"]).set_index(["metric", "parameter"])
    # z = E²: dz/dE = 2 E = 60 (exact for a quadratic), elasticity 2; y = E f: dy/df = E
    np.testing.assert_allclose(grads.loc[("z_kwh2", "packs.front.energy_kwh"), "gradient"],
                               60.0, rtol=1e-12)
    np.testing.assert_allclose(grads.loc[("z_kwh2", "packs.front.energy_kwh"), "elasticity"],
                               2.0, rtol=1e-12)
    np.testing.assert_allclose(grads.loc[("y_kwh", "road.friction"), "gradient"], 30.0,
                               rtol=1e-12)
    assert grads.loc[("z_kwh2", "road.friction"), "gradient"] == 0.0
    with pytest.raises(SpecError, match="relative_step"):
        local_study(base, {"road.friction": 0.8}, relative_step=0.6)


# ---------------------------------------------------------------------- CLI and plots

def test_cli_runs_a_study_and_refuses_bad_input_without_traceback(tmp_path, capsys):
    from sim.__main__ import main

    path = tmp_path / "s.toml"
    path.write_text(f'name = "cli"\nmaneuvers = ["{ME}:fake"]\n'
                    '[grid]\n"packs.front.energy_kwh" = [20.0, 30.0]\n')
    assert main(["study", str(path), "--out", str(tmp_path / "r"), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "2 points" in out and "2 ok, 0 failed" in out
    assert (tmp_path / "r" / "chunks" / "chunk-000000.parquet").exists()
    path.write_text(f'name = "cli"\nmaneuvers = ["{ME}:fake"]\n'
                    '[grid]\n"packs.front.energy_kwhx" = [20.0]\n')
    assert main(["study", str(path), "--out", str(tmp_path / "r2")]) == 2
    err = capsys.readouterr().err
    assert "packs.front.energy_kwhx" in err and "Traceback" not in err
    assert main(["study", str(tmp_path / "missing.toml"), "--out", str(tmp_path / "r3")]) == 2


def test_plots_draw(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from sim.study import plot

    frame = run_study(_study(tmp_path, fixed={}), progress=False)
    fig = plot.plot_metric(frame, "packs.front.energy_kwh", "y_kwh", by="maneuver.gain")
    assert len(fig.axes[0].lines) == 2
    fig = plot.plot_heatmap(frame, "packs.front.energy_kwh", "road.friction", "y_kwh")
    assert len(fig.axes) == 2  # the map and its colour bar
    fig = plot.plot_scatter_matrix(frame, ["packs.front.energy_kwh", "y_kwh", "z_kwh2"],
                                   colour="y_kwh")
    assert len(fig.axes) == 9
    idx = pd.DataFrame({"metric": ["y"] * 2, "parameter": ["a", "b"],
                        "first_order": [0.3, 0.4], "total": [0.5, 0.45]})
    fig = plot.plot_sobol(idx)
    assert len(fig.axes[0].patches) == 4
    with pytest.raises(SpecError, match="nope"):
        plot.plot_metric(frame, "nope", "y_kwh")
