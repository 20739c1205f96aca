"""sim._cache: the compiled-kernel cache folder follows the kernels' sources."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sim import _cache

ROOT = Path(__file__).resolve().parents[2]


def test_digest_changes_with_a_kernel_source_and_not_with_other_files(tmp_path, monkeypatch):
    package = tmp_path / "sim"
    package.mkdir()
    (package / "kernel.py").write_text("f = numba.njit(g)\n")
    (package / "plain.py").write_text("import numba\nx = 1\n")
    monkeypatch.setattr(_cache, "_PACKAGE", package)
    first = _cache.kernel_digest()
    (package / "plain.py").write_text("import numba\nx = 2\n")  # uses numba, compiles nothing
    assert _cache.kernel_digest() == first
    (package / "kernel.py").write_text("f = numba.njit(g)\ny = 1\n")
    assert _cache.kernel_digest() != first


def test_cache_dir_honours_sim_cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SIM_CACHE_DIR", str(tmp_path))
    assert _cache.cache_dir().parent == tmp_path
    assert _cache.cache_dir().name == f"numba-{_cache.kernel_digest()}"


def test_numba_cache_dir_set_by_the_user_wins(tmp_path):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path), PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", "import sim; from numba.core import config; "
                          "print(config.CACHE_DIR)"], env=env, capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.strip() == str(tmp_path)
