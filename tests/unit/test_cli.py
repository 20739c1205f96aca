"""The command line: tables, JSON output, the demo."""

from __future__ import annotations

import json

import pytest

import sim
from sim.__main__ import main


def _json(capsys, argv):
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_vehicles_json_matches_the_mass_model(capsys):
    data = _json(capsys, ["vehicles"])
    rows = {r["variant"]: r for r in data["vehicles"]}
    assert sorted(rows) == sim.list_vehicles()
    mp = sim.mass_properties(sim.load_vehicle("spider"))
    assert rows["spider"]["mass_kg"] == pytest.approx(mp.mass_kg[0])
    assert rows["spider"]["front_pct"] == pytest.approx(100 * mp.front_mass_fraction[0])


def test_mass_json(capsys):
    data = _json(capsys, ["mass", "coupe", "--load", "full", "--items", "3"])
    assert data["load_case"] == "full"
    assert data["summary"]["mass_kg"] == pytest.approx(
        sim.mass_properties(sim.load_vehicle("coupe"), "full").mass_kg[0])
    assert len(data["items"]) == 3 and data["items"][0]["item"] == "pack_rear"


def test_split_json_reaches_the_target(capsys):
    data = _json(capsys, ["split", "coupe", "--front-fraction", "0.47"])
    assert data["split"]["front_pct"] == pytest.approx(47.0)
    lo, hi = data["reachable_front_fraction"]
    assert lo < 0.47 < hi
    data = _json(capsys, ["split", "coupe", "--min-yaw-inertia", "--total-energy-kwh", "60"])
    assert data["split"]["front_energy_kwh"] + data["split"]["rear_energy_kwh"] == \
        pytest.approx(60.0)


def test_text_tables(capsys):
    assert main(["vehicles"]) == 0
    out = capsys.readouterr().out
    assert "coupe_ice" in out and "front %" in out
    assert main(["mass", "gt2plus2", "--load", "full"]) == 0
    out = capsys.readouterr().out
    assert "inertia tensor about the CG" in out and "occupant_rear_left" in out


def test_demo_writes_its_figures(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    assert main(["demo", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "split for 45.0 % front" in out
    for name in ("coupe_layout.png", "coupe_pack_split.png", "variants.png"):
        assert (tmp_path / name).stat().st_size > 10_000
