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

:func:`warm` fills the cache ahead of use: it reaches each kind of first result
(:data:`FIRST_RESULTS`) in its own process, all at once (the test suite's controller does
this before its workers start, so that they do not compile the same kernels side by side);
:func:`warming_beside` does it in the background while a command runs (the demo).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def kernel_digest() -> str:
    """First 16 hex digits of the SHA-256 of every ``sim`` source file that compiles code (that
    mentions ``njit``, except this file, which only names it; relative path and contents, in
    sorted order)."""
    digest = hashlib.sha256()
    this = Path(__file__).resolve()
    for path in sorted(_PACKAGE.rglob("*.py")):
        data = path.read_bytes()
        if b"njit" in data and path.resolve() != this:
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
#: cold compiles on idle 2-core AMD EPYC hosts (``tools/compile_profile.py --scenario all``,
#: README, Speed: 72 s to a first two-track result, 90 s module-on, 37 s to a first cycle on
#: the faster of two hosts of the same kind; the slower one took about 1.5x as long); a busy
#: machine takes longer.
COMPILE_NOTICE = (
    "sim: compiling numba kernels into {cache} (first run after an install or a kernel change; "
    "about one to two minutes before a first two-track result, a little more before a first "
    "module-on one and under a minute before a first cycle result on 2 cores, longer on a busy "
    "machine; later runs load them in about a second)\n")


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


#: Code reaching each kind of first result, which compiles what that result needs: the
#: two-track time loop of the passive drivetrain (its one compiled signature serves every
#: scheme), the module-on time loop (each controller has its own loop, sharing every kernel
#: it calls: after the passive one, the module adds its own code and the loop), the
#: longitudinal cycle model over WLTC, and the numpy edges of the straight-line envelope, DC
#: charging and the MF 6.1 tyre (``edges``).
FIRST_RESULTS = {
    "two-track": """
import sim
from sim.driver import iso7401_step_steer
sim.simulate(sim.load_vehicle("coupe"), speed_kmh=80.0, duration_s=2.0,
             steering_wheel_angle_rad=iso7401_step_steer(30.0, start_s=0.0, duration_s=2.0))
""",
    "adm": """
import sim
from sim.driver import iso7401_step_steer
sim.simulate(sim.load_vehicle("coupe"), speed_kmh=80.0, duration_s=2.0, controller="adm",
             steering_wheel_angle_rad=iso7401_step_steer(30.0, start_s=0.0, duration_s=2.0))
""",
    "cycle": """
import sim
from sim.energy import drive_cycle
drive_cycle(sim.load_vehicle("coupe"), "wltc_class3b")
""",
    "edges": """
import numpy as np
import sim
from sim.maneuvers.straight_line import envelope_force_n
from sim.powertrain.charging import charge
from sim.tyre import mf61
coupe = sim.load_vehicle("coupe")
envelope_force_n(coupe, np.linspace(0.0, 80.0, 5))
charge(coupe)
tyre = mf61.mf61_parameter_vector(sim.tyre.read_tir(coupe.tyres["front"].file))
mf61.evaluate(tyre, np.zeros(3), np.zeros(3), fz_n=4000.0)
mf61.aligning_moment_nm(tyre, np.zeros(3), np.zeros(3), fz_n=4000.0)
""",
}


def start_warming(processes, env: dict | None = None, stderr=subprocess.DEVNULL
                  ) -> list[subprocess.Popen]:
    """Start :func:`warm`'s processes (one per item of ``processes``, a tuple of
    :data:`FIRST_RESULTS` names each) and return them at once, running. ``stderr``: where
    their error output goes (default nowhere: a process that fails leaves its kernels to be
    compiled by whoever needs them). Raises ``ValueError`` for an unknown name."""
    names = [name for group in processes for name in group]
    unknown = sorted(set(names) - set(FIRST_RESULTS))
    if unknown:
        raise ValueError(f"processes: unknown {unknown}; allowed: {sorted(FIRST_RESULTS)}")
    env = dict(os.environ if env is None else env, SIM_COMPILE_NOTICE="0")
    return [subprocess.Popen([sys.executable, "-c",
                              "".join(FIRST_RESULTS[name] for name in group)], env=env,
                             stdout=subprocess.DEVNULL, stderr=stderr, text=True)
            for group in processes]


def cache_is_empty() -> bool:
    """No compiled kernel in :func:`numba_cache_dir` yet (a fresh install, a kernel change,
    or a new ``SIM_CACHE_DIR``)."""
    folder = Path(numba_cache_dir())
    return not folder.is_dir() or next(folder.rglob("*.nbi"), None) is None


@contextlib.contextmanager
def warming_beside(processes):
    """While the body runs, compile the kernels of ``processes`` (:func:`start_warming`) in
    other processes, when the cache is empty and the machine has a core to spare: a command
    that needs several kinds of kernels one after another (the demo) then finds the later ones
    compiled, or being compiled, by the time it needs them (numba loads a kernel another
    process has cached; one that is still compiling is compiled twice, the result the same).
    Waits for them after the body; stops them if it raises. Nothing under
    ``NUMBA_DISABLE_JIT`` (nothing is compiled)."""
    from numba.core import config

    spare = (os.cpu_count() or 1) > 1 and not config.DISABLE_JIT
    children = start_warming(processes) if spare and cache_is_empty() else []
    try:
        yield children
    except BaseException:
        for child in children:
            child.kill()
        raise
    finally:
        for child in children:
            child.wait()


def warm(processes=(("two-track", "adm"), ("cycle", "edges")), env: dict | None = None
         ) -> None:
    """Compile the kernels of :data:`FIRST_RESULTS` into the cache: one Python process per item
    of ``processes``, each reaching the results it names in turn, the processes side by side
    (the default keeps 2 cores busy: the two-track time loops are the longest compile, the
    module-on loop after the passive one reuses the kernels they share); returns
    when all have finished. ``env``: their environment (default this process's). Raises
    ``RuntimeError`` with the child's stderr when one fails."""
    children = start_warming(processes, env, stderr=subprocess.PIPE)
    failed = []
    for group, child in zip(processes, children, strict=True):
        _, err = child.communicate()
        if child.returncode:
            failed.append(f"{' + '.join(group)}: {err.strip()}")
    if failed:
        raise RuntimeError("sim: warming the kernel cache failed:\n" + "\n".join(failed))
