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


def wall_times(cmds: list[list[str]], runs: int, env: dict[str, str]) -> list[float]:
    """Median seconds of `runs` runs of each command, after one warm-up run each.

    The commands take turns, so a machine that gets busier or quieter during
    the benchmark shifts both sides alike.
    """
    for cmd in cmds:
        subprocess.run(cmd, env=env, check=True, capture_output=True)
    times: list[list[float]] = [[] for _ in cmds]
    for _ in range(runs):
        for cmd, took in zip(cmds, times, strict=True):
            start = time.perf_counter()
            subprocess.run(cmd, env=env, check=True, capture_output=True)
            took.append(time.perf_counter() - start)
    return [statistics.median(took) for took in times]


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
    took, base = wall_times([cmd, floor], runs, env)
    ratio = took / base
    verdict = "ok" if ratio <= goal else "OVER GOAL"
    print(f"{name}")
    print(f"  command: {' '.join(cmd)}")
    print(f"  floor:   {' '.join(floor)}")
    print(
        f"  median of {runs}: {took * 1000:.1f} ms vs {base * 1000:.1f} ms = {ratio:.2f}x "
        f"(goal <= {goal}x) {verdict}"
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
