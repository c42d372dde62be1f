"""The harness itself: a staged interpreter really is what pip and uv check."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.realprograms import REPO, clean_env, run_pip, run_uv, stage_python

MARKER = "[externally-managed]\nError = Use the package manager.\n  Second line.\n"


@pytest.mark.real
@pytest.mark.parametrize("xy", ["3.11", "3.12"])
def test_staged_interpreter_without_marker_is_not_managed(tmp_path: Path, xy: str) -> None:
    staged = stage_python(xy, tmp_path / "py")
    result = run_pip(staged, tmp_path)
    assert "externally-managed" not in result.stderr
    assert "No matching distribution found for six" in result.stderr


@pytest.mark.real
@pytest.mark.parametrize("xy", ["3.11", "3.12"])
def test_staged_interpreter_with_marker_refuses(tmp_path: Path, xy: str) -> None:
    staged = stage_python(xy, tmp_path / "py")
    staged.marker.write_text(MARKER, encoding="utf-8")
    pip = run_pip(staged, tmp_path)
    assert pip.returncode == 1
    assert "╰─> Use the package manager.\n    Second line." in pip.stderr
    uv = run_uv(staged, tmp_path)
    assert uv.returncode == 2
    assert "  Use the package manager.\n  Second line." in uv.stderr


@pytest.mark.real
@pytest.mark.parametrize("xy", ["3.11", "3.12"])
def test_ensurepip_cannot_be_overridden(tmp_path: Path, xy: str) -> None:
    """What the override paragraph says of ensurepip: neither pip's flag nor pip.conf reach it.

    The same flag and setting let the real pip install (the control), while
    ensurepip drops pip's environment and config file and is refused.
    """
    staged = stage_python(xy, tmp_path / "py")
    staged.marker.write_text(MARKER, encoding="utf-8")
    conf = tmp_path / "pip.conf"
    conf.write_text("[global]\nbreak-system-packages = true\n", encoding="utf-8")
    control = run_pip(staged, tmp_path, PIP_CONFIG_FILE=str(conf), PIP_BREAK_SYSTEM_PACKAGES="1")
    assert "externally-managed" not in control.stderr
    assert "No matching distribution found for six" in control.stderr
    env = clean_env(tmp_path, PIP_CONFIG_FILE=str(conf), PIP_BREAK_SYSTEM_PACKAGES="1")
    result = subprocess.run(
        [str(staged.python), "-m", "ensurepip"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode != 0
    assert "externally-managed-environment" in result.stderr
    assert "Use the package manager." in result.stderr


# -- the audit that keeps the `real` marks honest ----------------------------------------

AUDITED = """
import os, subprocess, sys
import pytest

def test_unmarked_starts_true():
    subprocess.run(["true"], check=True)

def test_unmarked_runs_its_own_interpreter():
    subprocess.run([sys.executable, "-I", "-c", "pass"], check=True)

def test_unmarked_fails_to_start_a_missing_program():
    with pytest.raises(FileNotFoundError):
        subprocess.run(["no-such-program-here"], check=False)

@pytest.mark.real
def test_marked_starts_nothing():
    pass

@pytest.mark.real
def test_marked_starts_env():
    os.system("true")

def test_last():
    pass
"""


def run_audited(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A pytest of its own, with this suite's conftest, on the tests above."""
    (tmp_path / "test_audited.py").write_text(AUDITED, encoding="utf-8")
    plugins = ["-p", "tests.conftest", "-p", "no:cacheprovider", "-p", "no:xdist"]
    options = ["-o", "markers=real: real", "--rootdir", str(tmp_path), *args]
    return subprocess.run(
        [sys.executable, "-m", "pytest", *plugins, *options, "test_audited.py"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.mark.real  # a pytest of its own
def test_a_test_not_marked_real_that_starts_a_program_fails(tmp_path: Path) -> None:
    done = run_audited(tmp_path, "-rA")
    out = done.stdout
    assert done.returncode == 1, out
    assert "1 failed, 5 passed" in out, out
    assert (
        "test_unmarked_starts_true started true but is not marked real: mark it "
        "@pytest.mark.real" in out
    ), out
    for name in (
        "test_unmarked_runs_its_own_interpreter",
        "test_unmarked_fails_to_start_a_missing_program",
        "test_marked_starts_env",
    ):
        assert f"PASSED test_audited.py::{name}" in out, (name, out)
    summary = out.split("tests marked real that started no external program", 1)[1]
    summary = summary.split("(a test that needs no external program", 1)[0]
    assert "test_audited.py::test_marked_starts_nothing" in summary, out
    assert "test_marked_starts_env" not in summary, out


@pytest.mark.real  # a pytest of its own
def test_stop_after_real_stops_there_and_succeeds(tmp_path: Path) -> None:
    done = run_audited(tmp_path, "--stop-after-real", "-k", "not unmarked_starts_true")
    assert done.returncode == 0, done.stdout
    assert "test_marked_starts_env passed, started sh" in done.stdout, done.stdout
    assert "4 passed" in done.stdout, done.stdout  # test_last never ran
