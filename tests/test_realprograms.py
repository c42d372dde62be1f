"""The harness itself: a staged interpreter really is what pip and uv check."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.realprograms import run_pip, run_uv, stage_python

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
