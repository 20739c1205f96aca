"""The command line: tables, JSON output, the demo."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.__main__ import main

ROOT = Path(__file__).resolve().parents[2]


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


def _headline_rows(text: str) -> list[list[str]]:
    """The rows of a headline table (variant, adm, cells) found in ``text``."""
    variants = set(sim.list_vehicles())
    return [line.split() for line in text.splitlines()
            if line.split()[:1] and line.split()[0] in variants
            and line.split()[1:2] in (["off"], ["on"])]


def _cells(row: list[str]) -> list[str]:
    """A row's cells, the FMVSS 126 verdict's words joined (``FAIL (40/58 spun)``)."""
    joined = " ".join(row)
    return re.sub(r"FAIL \((\d+)/(\d+) spun\)", r"FAIL(\1/\2)", joined).split()


def test_demo_writes_its_figures_and_readme_shows_its_table(tmp_path, capsys):
    """The demo prints the headline comparison for every variant, module off and on, and
    writes its figures; the README shows the same table (numbers to their printed digits, or
    2 %: another CPU's vector width may move a last digit)."""
    pytest.importorskip("matplotlib")
    assert main(["demo", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "split for 45.0 % front" in out
    printed = [_cells(r) for r in _headline_rows(out)]
    assert sorted((r[0], r[1]) for r in printed) == sorted(
        (v, adm) for v in sim.list_vehicles() for adm in ("off", "on"))
    readme = {(r[0], r[1]): r for r in map(_cells, _headline_rows(
        (ROOT / "README.md").read_text()))}
    for row in printed:
        shown = readme[(row[0], row[1])]
        assert len(shown) == len(row), row
        for got, want in zip(row, shown, strict=True):
            try:
                a, b = float(got), float(want)
            except ValueError:
                assert got == want, (row, shown)
                continue
            digits = len(want.split(".")[1]) if "." in want else 0
            assert abs(a - b) <= max(0.02 * abs(b), 1.5 * 10.0 ** -digits), (row, shown)
    for name in ("coupe_layout.png", "coupe_pack_split.png", "variants.png", "headline.png"):
        assert (tmp_path / name).stat().st_size > 10_000


def test_run_prints_the_maneuver_table_and_writes_its_figure(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    figure = tmp_path / "lane_change.png"
    assert main(["run", "lane_change", "coupe", "--plot", str(figure)]) == 0
    out = capsys.readouterr().out
    assert "iso3888_2_double_lane_change" in out and "max_entry_speed_kmh" in out
    assert figure.stat().st_size > 10_000


def test_run_json_matches_the_maneuver_function(capsys):
    data = _json(capsys, ["run", "step_steer", "spider"])
    direct = sim.maneuvers.step_steer(sim.load_vehicle("spider"))
    values = data["adm off"]["metrics"]["yaw_rate_overshoot"]["values"]
    assert values == pytest.approx(direct["yaw_rate_overshoot"].tolist())


def test_run_bad_input_exits_2_with_the_field(capsys):
    assert main(["run", "step_steer", "no_such_car"]) == 2
    assert "no_such_car" in capsys.readouterr().err
    assert main(["run", "step_steer", "coupe", "--radius", "50"]) == 2
    assert "--radius" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["run", "moose", "coupe"])


# ------------------------------------------------------------------ issue 9: bad input
BAD_COMMANDS = [
    (["mass", "coupe", "--items", "0"], "not a positive whole number"),
    (["mass", "coupe", "--items", "-3"], "not a positive whole number"),
    (["mass", "coupe", "--items", "x"], "not a whole number"),
    (["mass", "no_such_car"], "unknown variant"),
    (["mass", "coupe", "--load", "bus"], "unknown load case"),
    (["mass", "/"], "is a directory"),
    (["mass", "missing.toml"], "file not found"),
    (["split", "coupe", "--front-fraction", "nan"], "not a finite number"),
    (["split", "coupe", "--front-fraction", "7"], "front"),
    (["split", "coupe", "--min-yaw-inertia", "--total-energy-kwh", "-5"], "total_energy_kwh"),
    (["run", "step_steer", "coupe", "--radius", "30"], "--radius applies to constant_radius"),
    (["run", "constant_radius", "coupe", "--radius", "1"], "radius_m = 1.0"),
    (["run", "constant_radius", "coupe", "--radius", "10000"], "radius_m = 10000.0"),
    (["run", "constant_radius", "coupe", "--radius", "inf"], "not a finite number"),
    (["run", "nonsense", "coupe"], "invalid choice"),
    (["run", "step_steer", "coupe", "--plot", "/no/such/folder/x.png"], "does not exist"),
    (["run", "step_steer", "coupe", "--plot", "figure.xyz"], "unsupported figure format"),
    (["run", "step_steer", "coupe", "--plot", "figure"], "unsupported figure format"),
    (["run", "step_steer", "coupe", "--plot", "."], "unsupported figure format"),
    (["demo", "--out", "pyproject.toml"], "is a file, not a folder"),
    (["nonsense"], "invalid choice"),
    ([], "required"),
]


@pytest.mark.parametrize("argv, words", BAD_COMMANDS)
def test_bad_arguments_exit_2_with_a_message_and_no_traceback(argv, words, capsys,
                                                               monkeypatch):
    monkeypatch.chdir(ROOT)
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own usage errors
        code = exc.code
    captured = capsys.readouterr()
    assert code == 2
    assert words in captured.err
    assert "Traceback" not in captured.err + captured.out


@pytest.mark.parametrize("content", [b"\x00\x01\xff binary", b"a = " + b"[" * 3000,
                                     b"extends = \"/etc/hostname\"\n", b"[info]\ntitle = 3\n"])
def test_bad_vehicle_files_exit_2_without_a_traceback(content, tmp_path, capsys):
    path = tmp_path / "car.toml"
    path.write_bytes(content)
    assert main(["mass", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("error: ") and "Traceback" not in captured.err
    assert len(captured.err) < 1000


def test_a_computed_result_is_printed_when_the_figure_cannot_be_written(
        capsys, monkeypatch, tmp_path):
    import sim.__main__ as cli
    from sim.maneuvers.base import ManeuverResult

    fake = ManeuverResult("iso7401_step_steer", {}, {"yaw_rate_response_time_s": np.array(
        [0.123456])}, {"yaw_rate_response_time_s": "s"}, {"vehicle": "coupe"})

    class Unwritable:
        def savefig(self, *args, **kwargs):
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(cli, "_run_maneuver", lambda *args: fake)
    monkeypatch.setattr(cli, "_maneuver_figure", lambda *args: Unwritable())
    code = main(["run", "step_steer", "coupe", "--plot", str(tmp_path / "f.png")])
    captured = capsys.readouterr()
    assert code == 2
    assert "0.1235" in captured.out and "yaw_rate_response_time_s" in captured.out
    assert "the figure could not be written" in captured.err
    assert "No space left on device" in captured.err and "Traceback" not in captured.err


def test_json_writes_null_for_nan_and_parses_strictly(capsys, monkeypatch):
    import sim.__main__ as cli
    from sim.maneuvers.base import ManeuverResult

    fake = ManeuverResult("m", {}, {"a": np.array([np.nan]), "b": np.array([np.inf]),
                                    "c": np.array([1.5])}, {"a": "-", "b": "-", "c": "-"})
    monkeypatch.setattr(cli, "_run_maneuver", lambda *args: fake)
    assert main(["run", "step_steer", "coupe", "--json"]) == 0
    text = capsys.readouterr().out

    def reject(token):
        raise AssertionError(f"non-standard JSON token {token}")

    data = json.loads(text, parse_constant=reject)
    metrics = data["adm off"]["metrics"]
    assert metrics["a"]["values"] == [None] and metrics["b"]["values"] == [None]
    assert metrics["c"]["values"] == [1.5]
    assert cli.dumps_json({"x": np.float64("nan"), "y": [np.array([1.0, np.nan])]}) == \
        '{\n  "x": null,\n  "y": [\n    [\n      1.0,\n      null\n    ]\n  ]\n}'
