"""Speed of `marker-tool validate`: process start-up and in-process throughput.

    start-up: `marker-tool validate FILE` (one passing marker)  vs  `python -c "import click"`
              median of `--runs` runs each, taking turns, after a warm-up   goal <= 1.2x
    throughput: `Validator.validate_path` over a directory of `--markers` generated
              markers (mixed: distributor styles, locale keys, broken ones), in this
              process, one core, best of 3 passes                            goal >= 5,000/s

marker-tool is run through the console script next to this interpreter
(`.venv/bin/marker-tool`), falling back to `python -m marker_tool`.
Run: `.venv/bin/python bench/validate.py [--runs 15] [--markers 1000] [--profile]`.
Exit status 1 when a goal is missed (`--no-fail` to only report).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from _timing import bench_env, compare, marker_tool

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "markers"
STARTUP_GOAL = 1.2
THROUGHPUT_GOAL = 5000.0


if TYPE_CHECKING:
    from marker_tool.validate import Report


def startup(runs: int) -> float:
    marker = CORPUS / "valid" / "debian-bookworm.EXTERNALLY-MANAGED"
    with tempfile.TemporaryDirectory() as pycache:
        return compare(
            "validate start-up",
            [*marker_tool(), "validate", str(marker)],
            [sys.executable, "-c", "import click"],
            STARTUP_GOAL,
            runs,
            env=bench_env(pycache),
        )


def generate(directory: Path, count: int) -> list[Path]:
    """`count` markers: the corpus's files and variations of them, some broken."""
    sources = sorted(CORPUS.glob("*/*.EXTERNALLY-MANAGED"))
    templates = [p.read_bytes() for p in sources]
    paths = []
    for i in range(count):
        data = templates[i % len(templates)]
        if i % 3 == 0:
            data += f"Error-de = Bitte verwenden Sie apt ({i}).\n".encode()
        if i % 7 == 0:
            data = data.replace(b"\n ", b"\n  ", 3)
        path = directory / f"m{i:04d}" / "EXTERNALLY-MANAGED"
        path.parent.mkdir()
        path.write_bytes(data)
        paths.append(path)
    return paths


def throughput(count: int, profile: bool) -> float:
    from marker_tool.validate import Validator, validate_path

    validator = Validator()

    def validate_all(paths: list[Path]) -> list[Report]:
        return [validate_path(path, validator=validator) for path in paths]

    with tempfile.TemporaryDirectory() as tmp:
        paths = generate(Path(tmp), count)
        validate_all(paths[:50])  # warm caches and lazy imports
        best = float("inf")
        verdicts: dict[str, int] = {}
        for _ in range(3):
            start = time.process_time()
            reports = validate_all(paths)
            best = min(best, time.process_time() - start)
        for report in reports:
            verdicts[report.verdict] = verdicts.get(report.verdict, 0) + 1
        if profile:
            profiler = cProfile.Profile()
            profiler.runcall(validate_all, paths)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(15)
    rate = count / best
    print(f"  {count} markers in {best * 1000:.1f} ms cpu: {rate:,.0f} markers/s "
          f"(goal >= {THROUGHPUT_GOAL:,.0f}/s); verdicts {verdicts}")  # fmt: skip
    return rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--markers", type=int, default=1000)
    parser.add_argument("--profile", action="store_true", help="profile one throughput pass")
    parser.add_argument("--no-fail", action="store_true", help="exit 0 even when a goal is missed")
    args = parser.parse_args()
    ratio = startup(args.runs)
    print("validate throughput (in-process, one core):")
    rate = throughput(args.markers, args.profile)
    missed = ratio > STARTUP_GOAL or rate < THROUGHPUT_GOAL
    if missed:
        print("goal missed", file=sys.stderr)
    return 1 if missed and not args.no_fail else 0


if __name__ == "__main__":
    sys.exit(main())
