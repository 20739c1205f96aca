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
"""

from __future__ import annotations

import hashlib
import os
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
    """Point numba's cache at :func:`cache_dir` unless ``NUMBA_CACHE_DIR`` is set. Must run
    before any kernel is decorated (``sim/__init__.py`` calls it first)."""
    from numba.core import config

    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    config.CACHE_DIR = str(cache_dir())
