"""Whole-process start-up cost of `install`, `validate` and `path`, against a floor.

The floor is the bare price of the libraries a command cannot avoid: a Python
that imports click and jinja2 and does nothing else. Each command is run
`--runs` times (after one warm-up run) and the median wall time is compared:

    install --preset debian, 3 Pythons     vs  `import click, jinja2`         goal <= 1.3x
    ... with 10 locales (`--locale`)       vs  `import click, jinja2, babel`  goal <= 1.6x
    validate (the Debian marker)           vs  `import click`                 goal <= 1.3x
    path --layout deb --python 3.12        vs  `import click`                 goal <= 1.3x

marker-tool is run through the console script next to this interpreter
(`.venv/bin/marker-tool`), falling back to `python -m marker_tool`.
Run: `.venv/bin/python bench/startup.py [--runs 15]`.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from _timing import bench_env, compare, marker_tool

MARKER = (
    Path(__file__).resolve().parent.parent
    / "tests/markers/valid/debian-bookworm.EXTERNALLY-MANAGED"
)
PYTHONS = ["--python", "3.11", "--python", "3.12", "--python", "3.13"]
LOCALES = ["de", "es", "fr", "it", "ja", "pt_BR", "pt_PT", "ru", "zh_CN", "zh_TW"]


def goal_met(
    name: str, cmd: list[str], floor: list[str], goal: float, runs: int, *, env: dict[str, str]
) -> bool:
    return compare(name, cmd, floor, goal, runs, env=env) <= goal


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
        ok &= goal_met(
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
            ok &= goal_met(
                "install, 3 Pythons x 10 locales",
                with_locales,
                [python, "-c", "import click, jinja2, babel"],
                1.6,
                args.runs,
                env=env,
            )
        ok &= goal_met(
            "validate",
            [*tool, "validate", str(MARKER)],
            [python, "-c", "import click"],
            1.3,
            args.runs,
            env=env,
        )
        ok &= goal_met(
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
