"""Run the fuzz harnesses: a bounded number of executions each, or minutes each.

    python tests/fuzz/run.py --runs 5000            # what CI runs (tests/test_fuzz_readers.py)
    python tests/fuzz/run.py --minutes 10           # a campaign: 10 minutes per harness
    python tests/fuzz/run.py --minutes 60 rpm deb   # some harnesses only

Each harness starts from its seeds (`corpus/<name>/`), the kept crashes
(`regressions/<name>/`) and the small hand-made hostile inputs (`hostile.py`);
what it learns goes to `build/fuzz/<name>/`, kept
between campaigns. A crash, an out-of-memory (1 GiB) or a timeout (20 s) is
written to `regressions/<name>/` in a campaign (to keep as a regression input,
replayed by the tests), to a temporary folder with `--runs`. Prints the
executions and coverage (libFuzzer's `cov` and `ft`) of each; exit 1 on any
failure.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
NAMES = (
    "deb",
    "rpm",
    "tarpkg",
    "image",
    "oci",
    "tarstream",
    "mtree",
    "pax",
    "marker",
    "check",
    "nested",
)
_DONE = re.compile(r"Done (\d+) runs")
_COV = re.compile(r"cov: (\d+) ft: (\d+)")


@dataclass(frozen=True)
class Outcome:
    name: str
    returncode: int
    runs: int
    cov: int
    ft: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def line(self) -> str:
        state = "ok" if self.ok else f"FAILED (exit {self.returncode})"
        return f"{self.name:10} {self.runs:>9} runs  cov {self.cov:>5}  ft {self.ft:>6}  {state}"


def _hostile_seeds(name: str, folder: Path) -> bool:
    """The hand-made hostile inputs of target `name` (tests/fuzz/hostile.py), as seeds."""
    sys.path.insert(0, str(ROOT))
    from tests.fuzz import hostile

    chosen = [n for n in hostile.INPUTS if hostile.target_of(n) == name]
    folder.mkdir(parents=True, exist_ok=True)
    for seed in chosen:
        path = hostile.write(seed, folder)
        if path.stat().st_size > 65536:  # longer than an input may be (-max_len)
            path.unlink()
    return any(folder.iterdir())


def run_one(
    name: str, *, runs: int | None, seconds: int | None, artifacts: Path, learned: Path
) -> Outcome:
    learned.mkdir(parents=True, exist_ok=True)
    artifacts.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        str(HERE / f"fuzz_{name}.py"),
        f"-artifact_prefix={artifacts}/",
        "-rss_limit_mb=1024",
        "-timeout=20",
        "-max_len=65536",
        "-print_final_stats=1",
        str(learned),
        str(HERE / "corpus" / name),
    ]
    regressions = HERE / "regressions" / name
    if regressions.is_dir():
        command.append(str(regressions))
    hand_made = learned.parent / f"{name}-hostile"
    if _hostile_seeds(name, hand_made):
        command.append(str(hand_made))
    command.insert(2, f"-runs={runs}" if runs is not None else f"-max_total_time={seconds}")
    done = subprocess.run(
        command, check=False, capture_output=True, text=True, errors="replace", cwd=ROOT
    )
    output = done.stdout + done.stderr
    counts = [int(m) for m in _DONE.findall(output)]
    coverage = _COV.findall(output)
    cov, ft = (int(coverage[-1][0]), int(coverage[-1][1])) if coverage else (0, 0)
    return Outcome(name, done.returncode, counts[-1] if counts else 0, cov, ft, output)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help=f"harnesses (default: all of {', '.join(NAMES)})")
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--runs", type=int, help="executions per harness")
    budget.add_argument("--minutes", type=float, help="minutes per harness")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    names = args.names or list(NAMES)
    if unknown := set(names) - set(NAMES):
        parser.error(f"no such harness: {', '.join(sorted(unknown))}")
    runs = args.runs if args.runs is not None or args.minutes is not None else 5000
    seconds = int(args.minutes * 60) if args.minutes is not None else None
    with tempfile.TemporaryDirectory(prefix="marker-tool-fuzz-artifacts-") as scratch:

        def one(name: str) -> Outcome:
            campaign = seconds is not None
            artifacts = HERE / "regressions" / name if campaign else Path(scratch) / name
            return run_one(
                name,
                runs=None if campaign else runs,
                seconds=seconds,
                artifacts=artifacts,
                learned=ROOT / "build" / "fuzz" / name
                if campaign
                else Path(scratch) / "learned" / name,
            )

        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            outcomes = list(pool.map(one, names))
    for outcome in outcomes:
        print(outcome.line())
        if not outcome.ok:
            print(outcome.output[-4000:])
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
