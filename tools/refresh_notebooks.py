"""Re-run the notebooks in notebooks/ and store their outputs in place, deterministically.

    python tools/refresh_notebooks.py              # every notebook
    python tools/refresh_notebooks.py 01 04        # those whose file name starts with 01 or 04
    python tools/refresh_notebooks.py --check      # exit 1 if a stored notebook is not normalised

Each notebook runs top to bottom in a fresh kernel (nbclient) with the working tree's `sim` first
on the path, its folder as the working directory, and matplotlib's inline backend (Agg-based, no
window) drawing PNG figures at a modest resolution (``FIGURE_DPI``) so the files stay small. The
result is normalised before it is written so that re-running unchanged code gives no diff:
no execution timestamps or kernel metadata (only the kernel's name and language are kept),
consecutive stream outputs of one cell joined into one, execution counts 1, 2, 3... in order.
A cell that raises stops the run for that notebook and leaves its file untouched.

Needs the ``dev`` extra (nbformat, nbclient, ipykernel, matplotlib, pandas).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"

#: resolution of the stored figures [dots per inch]; 10 x 3.5 in figures come out 800 x 280 px
FIGURE_DPI = 80
#: the only notebook-level metadata kept (everything else - kernel version, widgets... - is noise)
NOTEBOOK_METADATA = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}
#: per-cell execution timeout [s]; a cold numba cache compiles the two-track kernels once (~45 s)
CELL_TIMEOUT_S = 600


def notebook_paths(names: list[str] | None = None) -> list[Path]:
    """Notebooks in notebooks/ whose file name starts with one of ``names`` (all if none)."""
    paths = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
    if not names:
        return paths
    chosen = []
    for name in names:
        stem = Path(name).name.removesuffix(".ipynb")
        hits = [p for p in paths if p.stem.startswith(stem)]
        if not hits:
            raise SystemExit(f"no notebook in {NOTEBOOK_DIR} starts with {stem!r}; "
                             f"there are {[p.name for p in paths]}")
        chosen.extend(h for h in hits if h not in chosen)
    return chosen


def _join_streams(outputs: list) -> list:
    """Consecutive stream outputs of the same name joined into one (nbclient splits them by
    arrival time, which differs from run to run)."""
    joined: list = []
    for out in outputs:
        if (out.get("output_type") == "stream" and joined
                and joined[-1].get("output_type") == "stream"
                and joined[-1]["name"] == out["name"]):
            joined[-1]["text"] += out["text"]
        else:
            joined.append(out)
    return joined


def normalise(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """``nb`` with run-to-run noise removed (in place; returned for convenience)."""
    nb.metadata = nbformat.from_dict(NOTEBOOK_METADATA)
    count = 0
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("ExecuteTime", None)
        if cell.cell_type != "code":
            continue
        cell.outputs = _join_streams(cell.outputs)
        for out in cell.outputs:
            out.get("metadata", {}).pop("execution", None)
            if "execution_count" in out:
                out["execution_count"] = None
        if cell.execution_count is not None:
            count += 1
            cell.execution_count = count
            for out in cell.outputs:
                if "execution_count" in out:
                    out["execution_count"] = count
    return nb


def refresh(path: Path) -> float:
    """Execute the notebook at ``path`` and write it back with its outputs; returns seconds."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=CELL_TIMEOUT_S, kernel_name="python3", record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
        extra_arguments=["--InlineBackend.figure_formats=png",
                         f"--InlineBackend.rc={{'figure.dpi': {FIGURE_DPI}}}"])
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    nbformat.validate(nb)
    nbformat.write(normalise(nb), path)
    return elapsed


def _kernel_environment() -> None:
    """The kernel inherits this process's environment: the working tree's `sim` first on the
    path, matplotlib's inline backend (ipykernel only picks it when MPLBACKEND is unset, so an
    inherited MPLBACKEND=Agg would silently drop every figure)."""
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
    os.environ.setdefault("PYTHONHASHSEED", "0")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*",
                        help="notebook file-name prefixes (01, 02_tyres...); all if none")
    parser.add_argument("--check", action="store_true",
                        help="only check that the notebooks are stored normalised")
    args = parser.parse_args(argv)
    paths = notebook_paths(args.names)
    if args.check:
        stale = [p.name for p in paths
                 if normalise(nbformat.read(p, as_version=4)) != nbformat.read(p, as_version=4)]
        for name in stale:
            print(f"{name}: not normalised; run python tools/refresh_notebooks.py {name[:2]}")
        return 1 if stale else 0
    _kernel_environment()
    for path in paths:
        print(f"{path.name}: running ...", end="", flush=True, file=sys.stderr)
        elapsed = refresh(path)
        size_kb = path.stat().st_size / 1024
        print(f" {elapsed:.0f} s, {size_kb:.0f} kB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
