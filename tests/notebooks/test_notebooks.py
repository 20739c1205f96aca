"""Execute every notebook in notebooks/ so that none can rot, and check that each is stored as
`python tools/refresh_notebooks.py` writes it: executed top to bottom, with its outputs,
normalised, ending with its conclusions."""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
IDS = [p.name for p in NOTEBOOKS]
#: largest stored figure [kB]: figures are PNG at the refresh tool's modest dpi
MAX_FIGURE_KB = 150


def _refresh_tool():
    spec = importlib.util.spec_from_file_location("refresh_notebooks",
                                                  ROOT / "tools" / "refresh_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_runs(path, tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=900, kernel_name="python3",  # cold compile
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors


def test_there_is_a_notebook():
    assert NOTEBOOKS, "notebooks/ holds no notebook"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_is_stored_with_outputs_and_conclusions(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), (
        f"{path.name}: execution counts {counts}: not run top to bottom by "
        "python tools/refresh_notebooks.py")
    silent = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and not c.outputs]
    assert not silent, f"{path.name}: code cells {silent} have no stored output"
    errors = [o.ename for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, f"{path.name}: stored errors {errors}"
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    last = nb.cells[-1]
    assert last.cell_type == "markdown" and last.source.startswith("## Conclusions"), (
        f"{path.name} does not end with a markdown '## Conclusions' cell")
    assert len(last.source) > 200, f"{path.name}: the conclusions are a stub"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_figures_are_small_pngs(path):
    nb = nbformat.read(path, as_version=4)
    images = [o.data for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if "data" in o and any(k.startswith("image/") for k in o.data)]
    for data in images:
        assert [k for k in data if k.startswith("image/")] == ["image/png"]
        assert len(data["image/png"]) * 3 / 4 / 1024 < MAX_FIGURE_KB


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_is_stored_normalised(path):
    stored = nbformat.read(path, as_version=4)
    assert _refresh_tool().normalise(copy.deepcopy(stored)) == stored, (
        f"{path.name}: run python tools/refresh_notebooks.py {path.name[:2]}")


def test_normalise_removes_run_to_run_noise():
    tool = _refresh_tool()
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3",
                                                           "display_name": "Py"},
                                            "language_info": {"name": "python",
                                                              "version": "3.11.7"}})
    code = nbformat.v4.new_code_cell("print(1); print(2)", execution_count=7, outputs=[
        nbformat.v4.new_output("stream", name="stdout", text="1\n"),
        nbformat.v4.new_output("stream", name="stdout", text="2\n"),
        nbformat.v4.new_output("stream", name="stderr", text="warn\n"),
        nbformat.v4.new_output("execute_result", {"text/plain": "3"}, execution_count=7)])
    code.metadata["execution"] = {"iopub.status.busy": "2026-01-01T00:00:00Z"}
    nb.cells = [nbformat.v4.new_markdown_cell("# t"), code,
                nbformat.v4.new_code_cell("x = 1", execution_count=9)]
    out = tool.normalise(copy.deepcopy(nb))
    assert out.metadata == tool.NOTEBOOK_METADATA
    assert [c.get("execution_count") for c in out.cells] == [None, 1, 2]
    assert "execution" not in out.cells[1].metadata
    assert [(o.output_type, o.get("text")) for o in out.cells[1].outputs[:2]] == [
        ("stream", "1\n2\n"), ("stream", "warn\n")]
    assert out.cells[1].outputs[2].execution_count == 1
    assert tool.normalise(copy.deepcopy(out)) == out


def test_refresh_tool_picks_notebooks_by_prefix():
    tool = _refresh_tool()
    assert tool.notebook_paths(["01", "01_mass"]) == [NOTEBOOKS[0]]
    assert tool.notebook_paths([]) == NOTEBOOKS
    with pytest.raises(SystemExit, match="no notebook"):
        tool.notebook_paths(["99"])


def test_readme_documents_the_refresh_command():
    readme = (ROOT / "README.md").read_text()
    notebooks_section = readme[readme.index("## Notebooks"):]
    assert "python tools/refresh_notebooks.py" in notebooks_section
    for path in NOTEBOOKS:
        assert f"notebooks/{path.name}" in readme, f"README does not mention {path.name}"
