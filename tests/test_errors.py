"""One error path: every command turns a bad path into a message and exit 2, never a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from marker_tool.cli import cli
from marker_tool.errors import ExitCode, MarkerToolError, did_you_mean

MARKER = str(Path(__file__).parent / "markers" / "valid" / "debian-bookworm.EXTERNALLY-MANAGED")
#: A path no one can write or create: /proc refuses new files.
UNWRITABLE = "/proc/marker-tool-test/out"


@pytest.fixture
def fifo(tmp_path: Path) -> str:
    path = tmp_path / "fifo"
    os.mkfifo(path)
    return str(path)


def commands(fifo: str, tmp_path: Path) -> list[list[str]]:
    directory = str(tmp_path)
    return [
        ["init", "--preset", "debian", "-o", UNWRITABLE],
        ["render", "--preset", "debian", "-o", UNWRITABLE],
        ["render", "--preset", "debian", "--format", "json", "-o", UNWRITABLE],
        ["render", "-c", fifo],
        ["render", "-c", directory],
        ["install", "--preset", "debian", "--destdir", UNWRITABLE],
        ["install", "-c", fifo, "--destdir", directory],
        ["validate", fifo],
        ["validate", directory],
        ["validate", "/dev/zero"],
        ["preview", fifo],
        ["preview", "/dev/zero"],
        ["i18n", "extract", "-o", UNWRITABLE + ".pot"],
        ["i18n", "extract", "-o", str(tmp_path / "x.pot"), fifo],
        ["i18n", "init", "de", "-d", UNWRITABLE],
        ["i18n", "update", "-d", UNWRITABLE],
        ["i18n", "stats", "-c", fifo],
        ["i18n", "coverage", "-c", fifo],
        ["validate", "--interpreter", fifo, MARKER],
        ["install", "--preset", "debian", "--destdir", directory, "--interpreter", fifo],
    ]


def test_every_command_answers_a_bad_path_with_exit_2_and_no_traceback(
    fifo: str, tmp_path: Path
) -> None:
    runner = CliRunner()
    failures = []
    for args in commands(fifo, tmp_path):
        result = runner.invoke(cli, args)
        if (
            result.exit_code != ExitCode.USAGE
            or not isinstance(result.exception, SystemExit)
            or "Traceback" in result.output
            or "error: " not in result.output.lower()
        ):
            failures.append(
                f"{args}: exit {result.exit_code}, {result.exception!r}\n{result.output}"
            )
    assert not failures, "\n".join(failures)


def test_a_bad_path_names_the_path(fifo: str) -> None:
    result = CliRunner().invoke(cli, ["render", "-c", fifo])
    assert fifo in result.output
    assert "a FIFO" in result.output


def test_exit_codes() -> None:
    assert [int(code) for code in ExitCode] == [0, 1, 2, 5, 130]


def test_error_text_has_location_key_and_hint() -> None:
    error = MarkerToolError("bad", file="c.toml", line=3, key="name", hint="did you mean x?")
    assert str(error) == "c.toml:3: bad (key `name`)\n  hint: did you mean x?"
    assert did_you_mean("debain", ["debian", "ubuntu"]) == "did you mean `debian`?"
    assert did_you_mean("zzz", ["debian"]) is None
