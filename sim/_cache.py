"""Where numba keeps ``sim``'s compiled kernels: a folder named after the kernels' sources.

numba's on-disk cache is keyed by the decorated function's own file and its time stamp, so a
change to a function it inlines from *another* file (the driver or the dynamic module into
the time loop, the tyre model into the chassis) leaves a stale entry that numba keeps using.
So the cache lives in ``<cache home>/sim/numba-<digest>``, the digest being a hash of every
``sim`` source file that compiles code (mentions ``njit``): any change to a kernel's source
starts a fresh cache (one cold compile), and an unchanged install reuses it. The folder is
outside the package, so a read-only install caches too.

``NUMBA_CACHE_DIR`` set by the user wins (numba reads it itself); ``SIM_CACHE_DIR`` moves
the base folder (default ``$XDG_CACHE_HOME/sim`` or ``~/.cache/sim``). Old ``numba-*``
folders are not removed automatically (several checkouts may share the base folder).

While kernels compile (an empty or outdated cache: the first run after an install or a change
of a kernel's source), :func:`announce_compiles` writes **one line** to stderr saying so and
about how long it takes, once per process; with a warm cache nothing compiles and nothing is
written. ``SIM_COMPILE_NOTICE=0`` silences it.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def kernel_digest() -> str:
    """First 16 hex digits of the SHA-256 of every ``sim`` source file that compiles code (that
    mentions ``njit``; relative path and contents, in sorted order)."""
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*.py")):
        data = path.read_bytes()
        if b"njit" in data:
            digest.update(path.relative_to(_PACKAGE).as_posix().encode())
            digest.update(data)
    return digest.hexdigest()[:16]


def cache_dir() -> Path:
    """The folder for this source tree's compiled kernels."""
    base = os.environ.get("SIM_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "sim")
    return Path(base) / f"numba-{kernel_digest()}"


def configure() -> None:
    """Point numba's cache at :func:`cache_dir` unless ``NUMBA_CACHE_DIR`` is set, and
    install the compile notice (:func:`announce_compiles`). Must run before any kernel is
    decorated (``sim/__init__.py`` calls it first)."""
    from numba.core import config

    if not os.environ.get("NUMBA_CACHE_DIR"):
        config.CACHE_DIR = str(cache_dir())
    announce_compiles()


#: The line :func:`announce_compiles` writes (``{cache}``: the cache folder). The figures are
#: cold compiles on an idle 2-core AMD EPYC (``tools/compile_profile.py --scenario all``,
#: README, Speed: 186 s to a first two-track result, 207 s module-on, 65 s to a first
#: cycle); a busy machine takes longer.
COMPILE_NOTICE = (
    "sim: compiling numba kernels into {cache} (first run after an install or a kernel change; "
    "about three minutes before a first two-track or module-on result and one before a first "
    "cycle result on 2 cores, longer on a busy machine; later runs load them in about a "
    "second)\n")


def announce_compiles(stream=None) -> None:
    """Write :data:`COMPILE_NOTICE` to ``stream`` (stderr) when the first ``sim`` kernel of
    this process starts compiling, and never again in the process. Compiles are numba's
    ``numba:compile`` events, which fire only on a cache miss: a process whose kernels all
    load from the cache writes nothing. ``SIM_COMPILE_NOTICE=0`` turns it off."""
    if os.environ.get("SIM_COMPILE_NOTICE", "1") == "0":
        return
    from numba.core import event

    class _Notice(event.Listener):
        announced = False

        def on_start(self, ev):
            if self.announced:
                return
            function = getattr(ev.data.get("dispatcher"), "py_func", None)
            if not getattr(function, "__module__", "").startswith("sim."):
                return  # someone else's kernel (a notebook's, a benchmark's)
            self.announced = True
            out = stream if stream is not None else sys.stderr
            out.write(COMPILE_NOTICE.format(cache=numba_cache_dir()))
            out.flush()

        def on_end(self, ev):
            pass

    event.register("numba:compile", _Notice())


def numba_cache_dir() -> str:
    """The folder numba caches into (``NUMBA_CACHE_DIR`` if the user set it)."""
    from numba.core import config

    return config.CACHE_DIR or str(cache_dir())
