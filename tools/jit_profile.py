"""Where a running process spends its time, per compiled function, numba's JIT code included.

    python tools/jit_profile.py --pid PID [--seconds 5] [--top 30] [--addresses 4000]

``perf record`` sees numba's compiled code as anonymous ``[JIT]`` addresses. LLVM registers
every function it emits with GDB's JIT interface, so ``gdb`` attached to the same process
names them (``info symbol``): this tool samples the process with ``perf`` for ``--seconds``,
takes the ``--addresses`` most sampled addresses, asks ``gdb`` for their functions, and prints
the share of samples per function (libm, numpy and the interpreter by their own symbols).
Kernels loaded from the cache are named too. The process must stay alive while it runs: start
the workload in a loop (e.g. ``for _ in range(500): simulate(...)``) after a warm-up call,
then point this at its PID.

Found with it (stop 20): 14 % of the longitudinal cycle batch was numba's atomic reference
counting (``NRT_incref`` / ``NRT_decref`` on tables both threads share) and 11 % libm ``pow``
for a voltage exponent of 1. Needs ``perf`` and ``gdb`` (Debian packages ``linux-perf``,
``gdb``) and the right to attach to the process (root, or ``ptrace_scope`` 0).
"""

from __future__ import annotations

import argparse
import collections
import re
import subprocess
import sys
import tempfile
from pathlib import Path

_LINE = re.compile(r"\s*([\d.]+)%\s+\[\.\]\s+(\S+)")


def sampled_addresses(pid: int, seconds: float, data: Path) -> list[tuple[float, str]]:
    """``(percent, symbol or 0x address)`` per sampled location, most sampled first."""
    subprocess.run(["perf", "record", "-F", "2999", "-p", str(pid), "-o", str(data), "--",
                    "sleep", str(seconds)], check=True, capture_output=True)
    report = subprocess.run(["perf", "report", "-i", str(data), "--no-children", "--sort",
                             "sym", "--stdio"], check=True, capture_output=True, text=True)
    rows = []
    for line in report.stdout.splitlines():
        match = _LINE.match(line)
        if match:
            rows.append((float(match.group(1)), match.group(2)))
    return rows


def function_names(pid: int, addresses: list[str]) -> dict[str, str]:
    """The function ``gdb`` names for each address (``?`` where it names none)."""
    commands = "\n".join(f'echo @@{a}\\n\ninfo symbol {a}' for a in addresses)
    with tempfile.NamedTemporaryFile("w", suffix=".gdb") as script:
        script.write(commands + "\n")
        script.flush()
        out = subprocess.run(["gdb", "-p", str(pid), "-batch", "-x", script.name],
                             capture_output=True, text=True).stdout
    names: dict[str, str] = {}
    current = None
    for line in out.splitlines():
        if line.startswith("@@"):
            current = line[2:].strip()
        elif current and current not in names and " in section " in line:
            name = line.split(" in section ")[0]
            name = re.sub(r" \+ \d+$", "", name)
            names[current] = re.sub(r"\[abi:.*", "", name)
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pid", type=int, required=True, help="the running process")
    parser.add_argument("--seconds", type=float, default=5.0, help="how long to sample")
    parser.add_argument("--top", type=int, default=30, help="functions printed")
    parser.add_argument("--addresses", type=int, default=4000,
                        help="most sampled addresses named through gdb")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        rows = sampled_addresses(args.pid, args.seconds, Path(folder) / "perf.data")
    jit = [a for _, a in rows[:args.addresses] if a.startswith("0x")]
    names = function_names(args.pid, jit) if jit else {}
    shares: collections.Counter[str] = collections.Counter()
    for percent, where in rows[:args.addresses]:
        shares[names.get(where, "? (unnamed JIT code)") if where.startswith("0x")
               else where] += percent
    covered = sum(p for p, _ in rows[:args.addresses])
    print(f"{covered:.1f} % of the samples in the {min(len(rows), args.addresses)} most "
          f"sampled addresses; per function:")
    for name, percent in shares.most_common(args.top):
        print(f"{percent:6.2f} %  {name[:160]}")


if __name__ == "__main__":
    sys.exit(main())
