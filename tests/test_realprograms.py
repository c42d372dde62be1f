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


@pytest.mark.real
@pytest.mark.parametrize("xy", ["3.11", "3.12"])
def test_ensurepip_cannot_be_overridden(tmp_path: Path, xy: str) -> None:
    """What the override paragraph says of ensurepip: neither pip's flag nor pip.conf reach it.

    The same flag and setting let the real pip install (the control), while
    ensurepip drops pip's environment and config file and is refused.
    """
    import subprocess

    from tests.realprograms import clean_env

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
