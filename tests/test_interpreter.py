"""Asking a target Python about itself: bounded, strict, and never a PATH lookup."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from marker_tool.errors import InputError
from marker_tool.interpreter import ask_interpreter
from marker_tool.model import PythonVersion


def fake(tmp_path: Path, name: str, script: str) -> Path:
    path = tmp_path / name
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(0o755)
    return path


def test_the_real_interpreter_answers() -> None:
    answer = ask_interpreter(sys.executable)
    assert answer.python == PythonVersion.running()
    assert str(answer.stdlib).startswith("/")


@pytest.mark.real  # each answer comes from a /bin/sh script
@pytest.mark.parametrize(
    ("script", "words"),
    [
        ("yes", "more than 65536 bytes"),
        ("printf '\\377\\376'", "not what a Python prints"),
        (
            'printf \'{"stdlib": "/usr/lib/py\\\\u0000x", "version": "3.12", '
            '"freethreaded": false}\'',
            "not an absolute path",
        ),
        (
            'printf \'{"stdlib": "lib/python3.12", "version": "3.12", "freethreaded": false}\'',
            "not an absolute path",
        ),
        ("printf '[1, 2]'", "not what a Python prints"),
        ("echo broken >&2; exit 3", "status 3 broken"),
    ],
)
def test_a_bad_answer_is_refused(tmp_path: Path, script: str, words: str) -> None:
    with pytest.raises(InputError, match=words):
        ask_interpreter(fake(tmp_path, "python3", script))


@pytest.mark.real  # ./python3 is a /bin/sh script
def test_a_relative_path_means_that_file_not_one_on_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match="No such file"):
        ask_interpreter("python3")  # there is one on PATH; ./python3 does not exist
    fake(tmp_path, "python3", f'exec {sys.executable} "$@"')
    assert ask_interpreter("./python3").python == PythonVersion.running()
    assert os.environ["PATH"]
