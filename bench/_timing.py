"""Whole-process timing shared by the benchmarks: a command against its floor.

A floor is the bare price of what a command cannot avoid (a Python that
imports click, say). Both run in turns, after a warm-up run each, so a machine
that gets busier or quieter during the benchmark shifts both sides alike.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


def marker_tool() -> list[str]:
    """The console script next to this interpreter, else `python -m marker_tool`."""
    script = Path(sys.executable).parent / "marker-tool"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "marker_tool"]


def bench_env(pycache: str) -> dict[str, str]:
    """The environment both sides run in.

    Bytecode is on, cached under `pycache` for everything (marker-tool and the
    floor's libraries alike): an installed marker-tool has its .pyc files, and
    a PYTHONDONTWRITEBYTECODE=1 in the caller's environment would otherwise
    charge marker-tool, and not the floor, for compiling its source every run.
    """
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000", "PYTHONPYCACHEPREFIX": pycache}
    env.pop("DESTDIR", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_once(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one run; the command must succeed."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status):
        raise subprocess.CalledProcessError(os.waitstatus_to_exitcode(status), cmd)
    return wall, usage.ru_utime + usage.ru_stime


def median_times(
    cmds: list[list[str]], runs: int, env: dict[str, str]
) -> list[tuple[float, float]]:
    """Median (wall, CPU) seconds of `runs` runs of each command, taking turns."""
    for cmd in cmds:
        run_once(cmd, env)
    times: list[list[tuple[float, float]]] = [[] for _ in cmds]
    for _ in range(runs):
        for cmd, took in zip(cmds, times, strict=True):
            took.append(run_once(cmd, env))
    return [
        (statistics.median(w for w, _ in took), statistics.median(c for _, c in took))
        for took in times
    ]


def compare(
    name: str, cmd: list[str], floor: list[str], goal: float, runs: int, *, env: dict[str, str]
) -> float:
    """Print `cmd`'s median wall time against `floor`'s as a ratio; return the ratio.

    CPU time is printed too: it is what a busy machine disturbs least.
    """
    (took, took_cpu), (base, base_cpu) = median_times([cmd, floor], runs, env)
    ratio = took / base
    verdict = "ok" if ratio <= goal else "OVER GOAL"
    print(f"{name}")
    print(f"  command: {' '.join(cmd)}")
    print(f"  floor:   {' '.join(floor)}")
    print(
        f"  median of {runs}: {took * 1000:.1f} ms vs {base * 1000:.1f} ms = {ratio:.2f}x "
        f"(goal <= {goal}x) {verdict}"
    )
    print(
        f"  CPU (user+sys), median: {took_cpu * 1000:.1f} ms vs {base_cpu * 1000:.1f} ms "
        f"= {took_cpu / base_cpu:.2f}x"
    )
    return ratio
