"""The README and the docs say what the code does: commands, tables, examples, schema."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.__main__ import VEHICLE_COLUMNS, format_table, vehicles_rows
from sim.spec.schema_doc import schema_markdown

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_ci_runs_exactly_the_readme_test_command():
    commands = re.findall(r"```bash\n(python -m pip install .*?)\n```", README)
    test_command = next(c for c in commands if "pytest" in c)
    assert test_command in (ROOT / ".ci" / "run").read_text().splitlines()
    assert any("python -m sim demo" in c for c in commands)


def test_readme_vehicle_table_is_current():
    table = format_table(vehicles_rows("driver"), VEHICLE_COLUMNS)
    assert table in README, "README's vehicles table is stale: paste `python -m sim vehicles`"


def test_readme_figures_exist():
    for path in re.findall(r"\]\((docs/img/[^)]+\.png)\)", README):
        assert (ROOT / path).is_file(), path


def test_readme_python_examples_run(monkeypatch):
    monkeypatch.chdir(ROOT)
    namespace: dict = {}
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    assert len(blocks) >= 4
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    assert namespace["mp"].load_case == "full"


def test_schema_reference_is_current():
    committed = (ROOT / "docs" / "vehicle_schema.md").read_text()
    assert committed == schema_markdown() + "\n", \
        "docs/vehicle_schema.md is stale: python -m sim schema > docs/vehicle_schema.md"


@pytest.mark.parametrize("name", ["coupe", "spider", "gt2plus2", "coupe_ice", "crossover_gt"])
def test_builtin_files_say_they_are_invented(name):
    text = (ROOT / "sim" / "vehicles" / f"{name}.toml").read_text()
    assert "INVENTED" in text.split("\n\n")[0]


def test_readme_energy_table_is_current():
    """The variants' energy table in the README is what `python -m sim demo` prints now."""
    import sim
    from sim.__main__ import ENERGY_COLUMNS, _dash_nan
    from sim.energy.summary import energy_row

    rows = [_dash_nan(energy_row(sim.load_vehicle(name))) for name in sim.list_vehicles()]
    table = format_table(rows, ENERGY_COLUMNS)
    assert table in README, "README's energy table is stale: paste the demo's energy table"
