"""Running a study: chunks through the batch-first maneuvers, serially or on an executor,
checkpointed to a results folder, with progress.

* :func:`run_study` -- the whole study as a tidy pandas DataFrame (one row per point).
* :func:`run_chunk` -- one chunk (what an executor runs; a plain top-level function, so a
  process pool or a Dask worker can run it).
* :func:`point_history` -- the time histories of one point (re-run alone).

Results folder (``out=``)::

    study.json                 the definition, its SHA-256 and the chunk count
    chunks/chunk-000012.parquet one file per finished chunk, written to a temporary name
                                and renamed (os.replace): a file is there whole or not at all

Re-running the same study into the same folder reads the finished chunks and computes only
the missing ones; a different definition is refused with the keys that changed.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
import sys
import tempfile
import traceback
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from sim.errors import SimError, SpecError
from sim.study.definition import Plan, Study, _keyword, _namespace, load_study, numerics_of

__all__ = ["StudyInterrupted", "point_history", "run_chunk", "run_study"]

_SOURCE = "<study>"
_FLAGS = "flags"
_META = "study.json"
_CHUNKS = "chunks"


class StudyInterrupted(SimError):
    """A worker died (or the pool broke) before the study finished; the finished chunks are
    in the results folder and running the study again resumes."""


# ------------------------------------------------------------------------ one chunk

def _settings(plan: Plan, indices) -> dict:
    """Keyword arguments of the maneuver for the points ``indices`` (one group)."""
    study = plan.study
    first = plan.points[indices[0]]
    per = plan.per_member(first["maneuver"])
    kwargs = {}
    if study.load_case is not None:
        kwargs["load_case"] = study.load_case
    numerics = numerics_of({**study.fixed, **{a: first[a] for a in plan.columns[2:]}})
    if numerics is not None and plan.takes(first["maneuver"], "numerics"):
        kwargs["numerics"] = numerics
    for axis in [*study.fixed, *plan.columns[2:]]:
        if _namespace(axis) not in ("maneuver", "road"):
            continue
        kw = _keyword(axis)
        if not plan.takes(first["maneuver"], kw):
            continue  # a setting of another maneuver of the study
        if axis in study.fixed:
            kwargs[kw] = study.fixed[axis]
            continue
        values = [plan.points[i][axis] for i in indices]
        if kw in per and len(set(map(repr, values))) > 1:
            kwargs[kw] = np.asarray(values, dtype=float)
        else:
            kwargs[kw] = values[0]
    return kwargs


def _metrics(out) -> tuple[dict, dict]:
    """(metric -> (N,) array, metric -> unit) from a ManeuverResult or a mapping."""
    if hasattr(out, "metrics") and hasattr(out, "units"):
        return dict(out.metrics), dict(out.units)
    if isinstance(out, Mapping):
        return dict(out), dict(getattr(out, "units", {}))
    raise TypeError(f"a maneuver returned a {type(out).__name__}; expected a ManeuverResult "
                    "or a mapping of metric name -> (N,) array")


def _call(plan: Plan, indices, history: bool = False):
    first = plan.points[indices[0]]
    fn = plan.functions[first["maneuver"]]
    out = fn(plan.batch(indices), **_settings(plan, indices))
    if history:
        return out
    metrics, units = _metrics(out)
    n = len(indices)
    cols = {}
    for name, value in metrics.items():
        if plan.study.metrics and name not in plan.study.metrics:
            continue
        arr = np.asarray(value)
        if arr.shape != (n,):
            continue  # not one value per member (e.g. per-run tables): not a column
        cols[name] = arr
    flag_names = getattr(out, "flag_names", None)  # a ManeuverResult's validity flags
    if flag_names is not None:
        cols[_FLAGS] = np.array([", ".join(names) for names in flag_names], dtype=object)
    return cols, units


def run_chunk(study: Study | Mapping, chunk_index: int, plan: Plan | None = None):
    """Run chunk ``chunk_index`` of ``study``; returns ``(rows, units)``: ``rows`` a dict of
    columns (``point``, ``chunk``, ``status``, ``error`` and the metrics), ``units`` metric ->
    unit. An ordinary exception of the batch is retried point by point, and a point that
    still raises is recorded with status ``"failed"`` and its error; KeyboardInterrupt and
    the like propagate. ``flagged`` and ``flags`` say whether and which validity flags a
    point raised (:attr:`sim.maneuvers.ManeuverResult.flag_names`; NA for a failed point or
    a maneuver that reports none)."""
    if not isinstance(study, Study):
        study = Study.from_dict(study)
    plan = plan or study.plan()
    chunk = plan.chunks[chunk_index]
    indices = list(chunk.points)
    try:
        per_point = [_call(plan, indices)]
        parts = [indices]
        errors = [""] * len(indices)
    except Exception:  # one bad point must not sink the others: retry them one by one
        per_point, parts, errors = [], [], []
        for i in indices:
            try:
                per_point.append(_call(plan, [i]))
                errors.append("")
            except Exception as exc:  # recorded, not raised
                per_point.append(({}, {}))
                errors.append(_error_text(exc))
            parts.append([i])
    import pandas as pd

    units = {}
    frames = []
    for (cols, u), part in zip(per_point, parts, strict=True):
        units.update({k: u[k] for k in cols if k in u})
        frames.append(pd.DataFrame(cols, index=pd.Index(part, name="point")))
    rows = pd.concat(frames) if frames else pd.DataFrame(index=pd.Index([], name="point"))
    rows = rows.reindex(pd.Index(indices, name="point"))
    for name in rows.columns:
        if rows[name].dtype == object:  # e.g. a flag missing for a failed point: None there
            rows[name] = rows[name].astype(object).where(rows[name].notna(), None)
    flags = rows.pop(_FLAGS) if _FLAGS in rows else pd.Series(None, index=rows.index,
                                                             dtype=object)
    rows.insert(0, "chunk", np.int64(chunk.index))
    rows.insert(1, "status", ["failed" if e else "ok" for e in errors])
    rows.insert(2, "error", errors)
    rows.insert(3, "flagged", pd.array([None if f is None else f != "" for f in flags],
                                       dtype="boolean"))
    rows.insert(4, _FLAGS, pd.array(list(flags), dtype="string"))
    return rows.reset_index(), units


def _error_text(exc: BaseException) -> str:
    where = traceback.extract_tb(exc.__traceback__)
    tail = f" (at {Path(where[-1].filename).name}:{where[-1].lineno})" if where else ""
    return f"{type(exc).__name__}: {exc}{tail}"


_PLANS: dict[str, Plan] = {}


def _run_chunk_task(definition: dict, chunk_index: int):
    """What an executor runs (module-level, picklable arguments); a worker plans each study
    once (the last few are kept by hash)."""
    study = Study.from_dict(definition)
    key = study.digest()
    plan = _PLANS.get(key)
    if plan is None:
        if len(_PLANS) >= 4:
            _PLANS.pop(next(iter(_PLANS)))
        plan = _PLANS[key] = study.plan()
    return run_chunk(study, chunk_index, plan)


# ------------------------------------------------------------------------ results folder

def _changed(old: Mapping, new: Mapping, prefix: str = "") -> list[str]:
    keys = []
    for k in sorted(set(old) | set(new)):
        a, b = old.get(k), new.get(k)
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            keys += _changed(a, b, f"{prefix}{k}.")
        elif a != b:
            keys.append(f"{prefix}{k}")
    return keys


def _open_folder(out: Path, study: Study, plan: Plan) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    (out / _CHUNKS).mkdir(exist_ok=True)
    meta = out / _META
    definition = study.to_dict()
    if meta.exists():
        try:
            old = json.loads(meta.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise SpecError(str(meta), "<file>", str(exc), "the study.json this module wrote"
                            ) from None
        if old.get("sha256") != study.digest():
            changed = _changed(old.get("definition", {}), definition) or ["<definition>"]
            raise SpecError(str(meta), "definition", ", ".join(changed),
                            "the same study as the one already in this folder (changed: "
                            + ", ".join(changed) + "); use another folder for a new study")
        return meta
    _atomic_write(meta, json.dumps({"definition": definition, "sha256": study.digest(),
                                    "points": len(plan), "chunks": len(plan.chunks)},
                                   indent=2).encode())
    return meta


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _chunk_path(out: Path, index: int) -> Path:
    return out / _CHUNKS / f"chunk-{index:06d}.parquet"


def _write_chunk(out: Path, index: int, rows, units: dict) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(rows, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                           b"sim_units": json.dumps(units).encode()})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    _atomic_write(_chunk_path(out, index), sink.getvalue().to_pybytes())


def _read_chunk(out: Path, index: int):
    import pyarrow.parquet as pq

    table = pq.read_table(_chunk_path(out, index))
    units = json.loads((table.schema.metadata or {}).get(b"sim_units", b"{}"))
    return table.to_pandas(), units


# ------------------------------------------------------------------------ progress

def _progress(total: int, enabled: bool, description: str):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=description, unit="pt", file=sys.stderr, leave=True)


# ------------------------------------------------------------------------ the study

def _spawn():
    import multiprocessing

    return multiprocessing.get_context("spawn")


def _as_executor(executor):
    """``None`` (serial), an int (that many processes), a concurrent.futures.Executor or a
    dask.distributed Client -> (executor or None, owned: whether to shut it down)."""
    if executor is None:
        return None, False
    if isinstance(executor, bool):
        raise SpecError(_SOURCE, "executor", executor, "None, a number of processes, an "
                        "Executor or a dask.distributed Client")
    if isinstance(executor, int):
        if executor < 1:
            raise SpecError(_SOURCE, "executor", executor, "a number of processes >= 1")
        if executor == 1:
            return None, False
        return cf.ProcessPoolExecutor(executor, mp_context=_spawn()), True
    if isinstance(executor, cf.ProcessPoolExecutor):
        context = getattr(executor, "_mp_context", None)
        if context is not None and context.get_start_method() == "fork":
            raise SpecError(_SOURCE, "executor", "ProcessPoolExecutor (start method 'fork')",
                            "a pool whose workers start fresh: ProcessPoolExecutor(n, "
                            "mp_context=multiprocessing.get_context('spawn')) (a forked "
                            "worker aborts once numba's OpenMP threads ran in the parent)")
        return executor, False
    if isinstance(executor, cf.Executor):
        return executor, False
    if hasattr(executor, "get_executor") and hasattr(executor, "scheduler_info"):
        return executor.get_executor(), False  # a dask.distributed Client
    raise SpecError(_SOURCE, "executor", type(executor).__name__,
                    "None, a number of processes, a concurrent.futures.Executor or a "
                    "dask.distributed Client")


def run_study(study: Study | str | os.PathLike, *, out=None, executor=None,
              progress: bool = True, retry_failed: bool = False):
    """Run ``study`` (a :class:`Study` or a TOML path) and return its results as a DataFrame.

    Parameters
    ----------
    out : path, optional
        Results folder: each finished chunk is written to it at once (atomically), and a run
        into a folder holding the same study computes only the chunks not there yet. A
        folder holding a different study is refused (:class:`sim.SpecError` naming what
        changed).
    executor : None, int, concurrent.futures.Executor or dask.distributed.Client
        Serial when None (or 1); an int starts a process pool of that many workers (start
        method "spawn"; a pool of your own must not fork: numba's OpenMP threads make a
        forked worker abort); a Client runs the chunks on its Dask cluster. The chunks are
        the same whichever runs them, so the table is too, bit for bit.
    progress : bool
        A tqdm bar (a widget in notebooks, stderr in terminals); False for none.
    retry_failed : bool
        With ``out``: compute again the chunks holding a point that failed before.

    Returns
    -------
    pandas.DataFrame
        Index ``point`` (cross-product order, see :mod:`sim.study.definition`); columns:
        ``variant``, ``maneuver``, one per axis (its name), ``chunk``, ``status`` (``"ok"``
        or ``"failed"``), ``error`` (empty or the exception), ``flagged`` (whether the point
        left a model's validity at any integration step, whatever was recorded: its metrics
        come from an extrapolated model) and ``flags`` (which, comma-separated: e.g.
        ``tyre_load_fl``), then one per metric (the
        metric names carry their unit: ``understeer_gradient_deg_per_g``; ``frame.attrs
        ["units"]`` maps each to its unit). ``frame.attrs["study"]`` is the definition.
    """
    import pandas as pd

    if not isinstance(study, Study):
        study = load_study(study)
    plan = study.plan()  # validates every axis and value: nothing is simulated before
    definition = study.to_dict()
    folder = Path(out) if out is not None else None
    done: dict[int, tuple[dict, dict]] = {}
    if folder is not None:
        _open_folder(folder, study, plan)
        for chunk in plan.chunks:
            if _chunk_path(folder, chunk.index).exists():
                rows, units = _read_chunk(folder, chunk.index)
                if retry_failed and (rows["status"] == "failed").any():
                    continue
                done[chunk.index] = (rows, units)
    todo = [c.index for c in plan.chunks if c.index not in done]
    bar = _progress(len(plan), progress, study.name)
    if bar is not None:
        bar.update(sum(len(plan.chunks[i].points) for i in done))

    def finish(index, result):
        rows, units = result
        if folder is not None:
            _write_chunk(folder, index, rows, units)
        done[index] = result
        if bar is not None:
            bar.update(len(plan.chunks[index].points))

    pool, owned = _as_executor(executor)
    try:
        if todo and pool is None:
            for index in todo:
                finish(index, run_chunk(study, index, plan))
        elif todo:
            futures = {pool.submit(_run_chunk_task, definition, i): i for i in todo}
            try:
                for future in cf.as_completed(futures):
                    finish(futures[future], future.result())
            except cf.BrokenExecutor as exc:
                for f in futures:
                    f.cancel()
                for f, i in futures.items():  # keep what finished before the pool broke
                    if i not in done and f.done() and not f.cancelled() \
                            and f.exception() is None:
                        finish(i, f.result())
                left = len(plan.chunks) - len(done)
                where = f" in {folder}" if folder is not None else ""
                raise StudyInterrupted(
                    f"a worker died ({type(exc).__name__}: {exc}); {len(done)} of "
                    f"{len(plan.chunks)} chunks finished{where}, {left} left: run the study "
                    "again" + (" with the same out= to resume" if folder else "")) from None
            except BaseException:
                for f in futures:
                    f.cancel()
                raise
    finally:
        if bar is not None:
            bar.close()
        if owned:
            pool.shutdown(wait=True, cancel_futures=True)
    return _frame(plan, done, pd)


def _frame(plan: Plan, done: Mapping[int, tuple], pd):
    units: dict = {}
    parts = []
    for index in sorted(done):
        rows, u = done[index]
        units.update(u)
        parts.append(rows)
    results = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        {"point": np.zeros(0, dtype=np.int64)})
    results = results.set_index("point").sort_index()
    frame = plan.table.join(results, how="left")
    frame.attrs["units"] = units
    frame.attrs["study"] = plan.study.to_dict()
    if plan.sample_block is not None:
        frame.attrs["sample_block"] = plan.sample_block.tolist()
    return frame


def point_history(study: Study | str | os.PathLike, point: int):
    """The full result of point ``point`` (the index of the results table), re-run alone:
    what the maneuver returns (a :class:`sim.maneuvers.ManeuverResult` with its time
    histories in ``.results``; a plain mapping for ``drive_cycle``)."""
    if not isinstance(study, Study):
        study = load_study(study)
    plan = study.plan()
    if isinstance(point, bool) or not isinstance(point, int | np.integer) \
            or not 0 <= point < len(plan):
        raise SpecError(_SOURCE, "point", point, f"a point index in [0, {len(plan)})")
    return _call(plan, [int(point)], history=True)
