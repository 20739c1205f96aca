"""Studies: sweeps, space-filling samples and sensitivity over any dotted path, run in
chunks through the batch-first maneuvers, checkpointed, on one machine or a Dask cluster.

A few lines::

    from sim.study import Study, run_study
    study = Study(name="split", variants=("coupe",), maneuvers=("step_steer",),
                  grid={"split.front_energy_share": [0.2, 0.5, 0.8],
                        "maneuver.controller": ["passive", "adm"]},
                  fixed={"maneuver.duration_s": 3.0})
    table = run_study(study, out="results/split")      # resumable; progress on stderr
    table.pivot(index="split.front_energy_share", columns="maneuver.controller",
                values="yaw_rate_response_time_s")

* :mod:`sim.study.definition` -- :class:`Study`, :class:`Sample`, :func:`load_study` (TOML).
* :mod:`sim.study.run` -- :func:`run_study`, :func:`point_history`.
* :mod:`sim.study.sensitivity` -- :func:`sobol_indices`, :func:`local_study`,
  :func:`local_gradients`.
* :mod:`sim.study.plot` -- metric vs parameter, heat map, index bars, scatter matrix.
* ``sim/study/examples/*.toml`` -- ready studies (:func:`example_path`); also
  ``python -m sim study FILE --out DIR [--workers N] [--scheduler ADDRESS]``.

Needs pandas and pyarrow (extra ``sim[study]``), tqdm for progress; ``sim[dask]`` for a
cluster.
"""

from pathlib import Path

from sim.study.definition import MANEUVERS, Sample, Study, load_study
from sim.study.run import StudyInterrupted, point_history, run_chunk, run_study
from sim.study.sensitivity import local_gradients, local_study, sobol_indices

EXAMPLES = Path(__file__).resolve().parent / "examples"


def example_path(name: str) -> Path:
    """Path of the shipped example study ``name`` (file stem, e.g. ``"pack_split"``)."""
    from sim.errors import SpecError

    path = EXAMPLES / f"{name}.toml"
    if not path.is_file():
        raise SpecError("<argument>", "name", name, "one of " + ", ".join(
            sorted(p.stem for p in EXAMPLES.glob("*.toml"))))
    return path


__all__ = [
    "EXAMPLES",
    "MANEUVERS",
    "Sample",
    "Study",
    "StudyInterrupted",
    "example_path",
    "load_study",
    "local_gradients",
    "local_study",
    "point_history",
    "run_chunk",
    "run_study",
    "sobol_indices",
]
