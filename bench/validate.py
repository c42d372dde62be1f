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
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "markers"
STARTUP_GOAL = 1.2
THROUGHPUT_GOAL = 5000.0


def marker_tool() -> list[str]:
    script = Path(sys.executable).parent / "marker-tool"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "marker_tool"]


def run_once(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one run; the command must succeed."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status):
        raise subprocess.CalledProcessError(os.waitstatus_to_exitcode(status), cmd)
    return wall, usage.ru_utime + usage.ru_stime


def startup(runs: int) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    marker = CORPUS / "valid" / "debian-bookworm.EXTERNALLY-MANAGED"
    cmds = {
        "python -c 'import click'": [sys.executable, "-c", "import click"],
        f"marker-tool validate {marker.name}": [*marker_tool(), "validate", str(marker)],
    }
    for cmd in cmds.values():
        run_once(cmd, env)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in cmds}
    for _ in range(runs):
        for name, cmd in cmds.items():
            times[name].append(run_once(cmd, env))
    medians = {}
    for name, took in times.items():
        wall = statistics.median(t[0] for t in took)
        cpu = statistics.median(t[1] for t in took)
        medians[name] = (wall, cpu)
        print(f"  {name:<58} wall {wall * 1000:6.1f} ms   cpu {cpu * 1000:6.1f} ms")
    (floor_wall, floor_cpu), (ours_wall, ours_cpu) = medians.values()
    ratio = ours_wall / floor_wall
    print(
        f"  start-up ratio: {ratio:.2f}x wall, {ours_cpu / floor_cpu:.2f}x cpu "
        f"(goal <= {STARTUP_GOAL}x, median of {runs})"
    )
    return ratio


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
    from marker_tool.validate import Validator

    validator = Validator()
    with tempfile.TemporaryDirectory() as tmp:
        paths = generate(Path(tmp), count)
        validator.validate_paths(paths[:50])  # warm caches and lazy imports
        best = float("inf")
        verdicts: dict[str, int] = {}
        for _ in range(3):
            start = time.process_time()
            reports = validator.validate_paths(paths)
            best = min(best, time.process_time() - start)
        for report in reports:
            verdicts[report.verdict] = verdicts.get(report.verdict, 0) + 1
        if profile:
            profiler = cProfile.Profile()
            profiler.runcall(validator.validate_paths, paths)
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
    print("validate start-up:")
    ratio = startup(args.runs)
    print("validate throughput (in-process, one core):")
    rate = throughput(args.markers, args.profile)
    missed = ratio > STARTUP_GOAL or rate < THROUGHPUT_GOAL
    if missed:
        print("goal missed", file=sys.stderr)
    return 1 if missed and not args.no_fail else 0


if __name__ == "__main__":
    sys.exit(main())
