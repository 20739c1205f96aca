"""sim._cache: the compiled-kernel cache folder follows the kernels' sources."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

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
    # the cache module names njit in its text but compiles nothing: editing it (its warm-up
    # scripts) must not start a fresh cache
    monkeypatch.setattr(_cache, "__file__", str(package / "_cache.py"))
    (package / "_cache.py").write_text('"""digest of files that mention njit"""\n')
    second = _cache.kernel_digest()
    (package / "_cache.py").write_text('"""digest of files that mention njit"""\nz = 3\n')
    assert _cache.kernel_digest() == second


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


_TWO_SMALL_KERNELS = ("import sim, sim.lanes, sim.fastmath as fm; "
                      "sim.lanes.lane_table(3); fm.atan(1.0); fm.exp(1.0)")


def test_one_line_on_stderr_while_kernels_compile_and_none_when_cached(tmp_path):
    env = dict(os.environ, SIM_CACHE_DIR=str(tmp_path), PYTHONPATH=str(ROOT))
    env.pop("NUMBA_CACHE_DIR", None)
    env.pop("SIM_COMPILE_NOTICE", None)
    cold = subprocess.run([sys.executable, "-c", _TWO_SMALL_KERNELS], env=env,
                          capture_output=True, text=True, check=True, cwd=ROOT)
    lines = cold.stderr.splitlines()
    assert len(lines) == 1, cold.stderr  # three kernels compiled, one line
    assert lines[0].startswith("sim: compiling numba kernels into ")
    assert str(tmp_path) in lines[0] and "about" in lines[0]
    warm = subprocess.run([sys.executable, "-c", _TWO_SMALL_KERNELS], env=env,
                          capture_output=True, text=True, check=True, cwd=ROOT)
    assert warm.stderr == ""
    quiet = subprocess.run([sys.executable, "-c", _TWO_SMALL_KERNELS],
                           env=dict(env, SIM_CACHE_DIR=str(tmp_path / "other"),
                                    SIM_COMPILE_NOTICE="0"),
                           capture_output=True, text=True, check=True, cwd=ROOT)
    assert quiet.stderr == ""


def test_notice_ignores_kernels_outside_sim(tmp_path):
    import io

    import numba

    stream = io.StringIO()
    _cache.announce_compiles(stream)
    numba.njit(cache=False)(lambda x: x + 1.0)(1.0)
    assert stream.getvalue() == ""


def test_cache_is_empty_until_a_kernel_index_is_written(tmp_path, monkeypatch):
    from numba.core import config

    monkeypatch.setattr(config, "CACHE_DIR", str(tmp_path / "numba-x"))
    assert _cache.cache_is_empty()  # no folder yet
    (tmp_path / "numba-x" / "sim_chassis").mkdir(parents=True)
    assert _cache.cache_is_empty()  # a folder without kernels
    (tmp_path / "numba-x" / "sim_chassis" / "two_track.rhs-1.py311.nbi").write_bytes(b"")
    assert not _cache.cache_is_empty()


class _Child:
    def __init__(self):
        self.killed = self.waited = False

    def kill(self):
        self.killed = True

    def wait(self):
        self.waited = True


def test_warming_beside_starts_helpers_only_on_an_empty_cache_and_stops_them_on_error(
        monkeypatch):
    started = []

    def fake_start(processes):
        started.append(processes)
        return [_Child()]

    from numba.core import config

    monkeypatch.setattr(_cache, "start_warming", fake_start)
    monkeypatch.setattr(_cache.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(config, "DISABLE_JIT", False)  # as a compiled run (whatever runs this)
    monkeypatch.setattr(_cache, "cache_is_empty", lambda: False)
    with _cache.warming_beside((("cycle",),)) as children:
        assert children == []
    assert started == []
    monkeypatch.setattr(_cache, "cache_is_empty", lambda: True)
    with _cache.warming_beside((("cycle",),)) as children:
        pass
    assert started == [(("cycle",),)] and children[0].waited and not children[0].killed
    with pytest.raises(KeyboardInterrupt), _cache.warming_beside((("cycle",),)) as children:
        raise KeyboardInterrupt
    assert children[0].killed and children[0].waited
    monkeypatch.setattr(_cache.os, "cpu_count", lambda: 1)  # no core to spare: nothing
    with _cache.warming_beside((("cycle",),)) as children:
        assert children == []
    monkeypatch.setattr(_cache.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(config, "DISABLE_JIT", True)  # nothing compiles: nothing to warm
    with _cache.warming_beside((("cycle",),)) as children:
        assert children == []


def test_start_warming_refuses_an_unknown_result():
    with pytest.raises(ValueError, match="unknown"):
        _cache.start_warming((("two-track", "nonsense"),))
