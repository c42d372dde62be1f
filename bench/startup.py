"""Whole-process start-up cost of `marker-tool install` and `path`, against a floor.

The floor is the bare price of the libraries a command cannot avoid: a Python
that imports click and jinja2 and does nothing else. Each command is run
`--runs` times (after one warm-up run) and the median wall time is compared:

    install --preset debian, 3 Pythons     vs  `import click, jinja2`         goal <= 1.3x
    ... with 10 locales (`--locale`)       vs  `import click, jinja2, babel`  goal <= 1.5x
    path --layout deb --python 3.12        vs  `import click`                 goal <= 1.3x

marker-tool is run through the console script next to this interpreter
(`.venv/bin/marker-tool`), falling back to `python -m marker_tool`.
Run: `.venv/bin/python bench/startup.py [--runs 15]`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PYTHONS = ["--python", "3.11", "--python", "3.12", "--python", "3.13"]
LOCALES = ["de", "es", "fr", "it", "ja", "pt_BR", "pt_PT", "ru", "zh_CN", "zh_TW"]


def marker_tool() -> list[str]:
    script = Path(sys.executable).parent / "marker-tool"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "marker_tool"]


def run_once(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one run of `cmd`."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, cmd)
    return wall, usage.ru_utime + usage.ru_stime


def wall_times(cmds: list[list[str]], runs: int, env: dict[str, str]) -> list[tuple[float, float]]:
    """Median (wall, CPU) seconds of `runs` runs of each command, after a warm-up run.

    The commands take turns, so a machine that gets busier or quieter during
    the benchmark shifts both sides alike. CPU time is printed too: it is what
    a busy machine disturbs least.
    """
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


def compare(
    name: str, cmd: list[str], floor: list[str], goal: float, runs: int, *, env: dict[str, str]
) -> bool:
    (took, took_cpu), (base, base_cpu) = wall_times([cmd, floor], runs, env)
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
    return ratio <= goal


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    tool = marker_tool()
    python = sys.executable
    ok = True
    with tempfile.TemporaryDirectory() as destdir, tempfile.TemporaryDirectory() as pycache:
        env = bench_env(pycache)
        install = [*tool, "install", "--preset", "debian", *PYTHONS, "--destdir", destdir]
        ok &= compare(
            "install, 3 Pythons",
            [*install, "--force"],
            [python, "-c", "import click, jinja2"],
            1.3,
            args.runs,
            env=env,
        )
        with_locales = [*install, *(a for loc in LOCALES for a in ("--locale", loc)), "--force"]
        probe = subprocess.run(with_locales, env=env, capture_output=True, text=True, check=False)
        if probe.returncode != 0:
            print("install, 3 Pythons x 10 locales")
            print(f"  locales not available yet: {probe.stderr.strip().splitlines()[-1:]}")
        else:
            ok &= compare(
                "install, 3 Pythons x 10 locales",
                with_locales,
                [python, "-c", "import click, jinja2, babel"],
                1.5,
                args.runs,
                env=env,
            )
        ok &= compare(
            "path",
            [*tool, "path", "--layout", "deb", "--python", "3.12"],
            [python, "-c", "import click"],
            1.3,
            args.runs,
            env=env,
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
