"""Shared fixtures: a minimal hand-checkable vehicle file and hypothesis profiles; under
pytest-xdist, the kernel cache warmed before the workers start."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("default", deadline=None, max_examples=60,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", parent=settings.get_profile("default"), derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")

ROOT = Path(__file__).resolve().parents[1]


def pytest_sessionstart(session):
    """The suite runs on pytest-xdist workers (``-n`` in pyproject's addopts). With an empty
    kernel cache every worker would compile the same time loop side by side (minutes each);
    so the controller first compiles them in two processes (:func:`sim._cache.warm`: a
    two-track result; a cycle result and the numpy edges) and the workers load them.
    Skipped on a worker, without ``-n``, and when this source tree's cache holds compiled
    code already."""
    config = session.config
    if hasattr(config, "workerinput") or not getattr(config.option, "numprocesses", None):
        return
    from sim._cache import cache_dir, warm

    if os.environ.get("NUMBA_CACHE_DIR") or any(cache_dir().rglob("*.nbc")):
        return
    sys.stderr.write(f"conftest: compiling the kernels into {cache_dir()} before the workers "
                     "start (a few minutes, once per kernel change)\n")
    warm()


#: MFeval's sample tyre file (copied with attribution into tests/data) and the built-in tyres.
SAMPLE_TIR = ROOT / "tests" / "data" / "MagicFormula61_Parameters.tir"
INVENTED_TIR_DIR = ROOT / "sim" / "vehicles" / "tyres"
INVENTED_TIRS = sorted(p.name for p in INVENTED_TIR_DIR.glob("*.tir"))
ALL_TIRS = [SAMPLE_TIR] + [INVENTED_TIR_DIR / name for name in INVENTED_TIRS]

#: A small car whose mass properties are easy to compute by hand: two point masses on the
#: centre line, no unsprung mass, one seat and one boot. Positions in the file convention.
MINIMAL_TOML = textwrap.dedent("""\
    [info]
    title = "Test box"
    description = "hand-checkable layout"
    provenance = "test fixture"
    body = "coupe"
    powertrain = "electric"
    gross_vehicle_weight_rating_kg = 2000.0

    [geometry]
    wheelbase_m = 2.5
    front_track_m = 1.6
    rear_track_m = 1.5
    length_m = 4.5
    width_m = 1.9
    height_m = 1.3
    front_overhang_m = 1.0
    wheel_radius_m = 0.33

    [steering]
    ratio = 15.0

    [unsprung]
    front_axle_kg = 0.0
    rear_axle_kg = 0.0

    [components.front_mass]
    mass_kg = 600.0
    x_from_front_axle_m = 0.5
    y_left_m = 0.0
    z_from_ground_m = 0.4

    [components.rear_mass]
    mass_kg = 400.0
    x_from_front_axle_m = 2.0
    y_left_m = 0.0
    z_from_ground_m = 0.6

    [seats.driver]
    x_from_front_axle_m = 1.5
    y_left_m = 0.4
    z_from_ground_m = 0.5

    [boots.rear]
    x_from_front_axle_m = 3.0
    y_left_m = 0.0
    z_from_ground_m = 0.6
    capacity_kg = 50.0

    [load_cases.driver]
    description = "driver only"
    occupants = { driver = 80.0 }
    """)


@pytest.fixture
def minimal_file(tmp_path: Path):
    """Write MINIMAL_TOML (optionally with text replaced or appended) and return its path."""

    def make(replace: dict[str, str] | None = None, append: str = "",
             name: str = "box.toml") -> Path:
        text = MINIMAL_TOML
        for old, new in (replace or {}).items():
            assert old in text, f"fixture text has no {old!r}"
            text = text.replace(old, new)
        path = tmp_path / name
        path.write_text(text + textwrap.dedent(append))
        return path

    return make
