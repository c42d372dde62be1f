"""The readers' fuzz harnesses: the seeds and every kept crash replayed, and a bounded run.

Contract (tests/fuzz/targets.py): a reader returns packages or raises
`PackageError` / `MarkerToolError`, in bounded time and memory. The replay
runs in this process; the atheris run (marked `real`) runs each harness for
`MARKER_TOOL_FUZZ_RUNS` executions (default 5,000; a minute or two in all on 2
cores, most of it the whole-`check` harness at about 100 runs a second) and
fails on any crash, out-of-memory (1 GiB) or timeout (20 s). A
crash found is kept in tests/fuzz/regressions/<target>/ and replayed here.
A longer campaign: `python tests/fuzz/run.py --minutes 10`.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import sys
from pathlib import Path

import pytest

from tests.fuzz import hostile, run, targets
from tests.realprograms import missing

FUZZ = Path(__file__).resolve().parent / "fuzz"
RUNS = int(os.environ.get("MARKER_TOOL_FUZZ_RUNS", "5000"))


def _inputs() -> list[Path]:
    """tests/fuzz/{corpus,regressions}/<target>/*."""
    return [
        path
        for kind in ("corpus", "regressions")
        for folder in sorted((FUZZ / kind).glob("*"))
        if folder.is_dir() and folder.name in targets.TARGETS
        for path in sorted(folder.iterdir())
        if path.is_file()
    ]


@pytest.mark.parametrize("path", _inputs(), ids=lambda p: str(p.relative_to(FUZZ)))
def test_replay(path: Path) -> None:
    """Each seed and each kept crash, through its target: returned, or a MarkerToolError."""
    targets.check(path.parent.name, path.read_bytes())


@pytest.mark.parametrize("name", hostile.params(n for n in hostile.INPUTS if hostile.target_of(n)))
def test_hostile_inputs_keep_the_contract(name: str, tmp_path: Path) -> None:
    """The hand-made hostile inputs (tests/fuzz/hostile.py), through their targets."""
    target = hostile.target_of(name)
    assert target is not None
    targets.check(target, hostile.write(name, tmp_path).read_bytes())


def test_every_target_has_seeds() -> None:
    for name in targets.TARGETS:
        assert any((FUZZ / "corpus" / name).iterdir()), name


@pytest.mark.real
def test_fuzz_harnesses_find_nothing_new() -> None:
    if importlib.util.find_spec("atheris") is None:
        if (
            sys.platform == "linux"
            and platform.machine() == "x86_64"
            and sys.version_info < (3, 14)
        ):
            missing("atheris (pip install atheris)")
        pytest.skip("atheris has no wheel for this platform or Python")
    assert run.main(["--runs", str(RUNS), "--jobs", "2"]) == 0
