"""Properties of a study's plan: its chunks partition the points, each chunk lies in one group
(points sharing every setting that is not per member), no chunk exceeds the chunk size, and
the points are the cross product in order (last axis fastest)."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from sim.study import Study

energies = st.lists(st.sampled_from([18.0, 22.0, 26.0, 30.0]), min_size=1, max_size=3,
                    unique=True)
frictions = st.lists(st.sampled_from([0.5, 0.7, 0.9, 1.0]), min_size=1, max_size=3, unique=True)
speeds = st.lists(st.sampled_from([60.0, 80.0, 100.0]), min_size=1, max_size=2, unique=True)


@settings(max_examples=15)  # each plan loads and validates the coupe (~0.5 s)
@given(energies, frictions, speeds, st.integers(1, 7),
       st.sampled_from(["step_steer", "sine_with_dwell"]))
def test_chunks_partition_points_within_groups(e, f, v, size, maneuver):
    study = Study(maneuvers=(maneuver,), chunk_size=size,
                  grid={"packs.front.energy_kwh": e, "road.friction": f,
                        "maneuver.speed_kmh": v})
    plan = study.plan()
    expected = list(itertools.product(e, f, v))
    assert [(p["packs.front.energy_kwh"], p["road.friction"], p["maneuver.speed_kmh"])
            for p in plan.points] == expected
    seen = sorted(i for c in plan.chunks for i in c.points)
    assert seen == list(range(len(expected)))
    for chunk in plan.chunks:
        assert 1 <= len(chunk.points) <= size
        keys = {plan.batch_key(plan.points[i]) for i in chunk.points}
        assert len(keys) == 1
        # the speed is never per member; friction is per member only in a step steer
        assert len({plan.points[i]["maneuver.speed_kmh"] for i in chunk.points}) == 1
        if maneuver != "step_steer":
            assert len({plan.points[i]["road.friction"] for i in chunk.points}) == 1
    groups = len(v) * (1 if maneuver == "step_steer" else len(f))
    assert len(plan.groups) == groups
    assert study.digest() == Study.from_dict(study.to_dict()).digest()
