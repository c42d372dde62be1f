"""The values that flow: Python versions as written and as named on disk, a marker's texts."""

from __future__ import annotations

import pytest

from marker_tool.model import Marker, Message, PythonVersion


@pytest.mark.parametrize(
    ("text", "version", "names"),
    [
        ("3.12", PythonVersion(3, 12), ("3.12", "3.12", "312", "python3.12")),
        (" 3.13t ", PythonVersion(3, 13, True), ("3.13t", "3.13", "313", "python3.13t")),
        ("3.14", PythonVersion(3, 14), ("3.14", "3.14", "314", "python3.14")),
    ],
)
def test_a_version_is_read_and_named(
    text: str, version: PythonVersion, names: tuple[str, str, str, str]
) -> None:
    parsed = PythonVersion.parse(text)
    assert parsed == version
    assert (str(parsed), parsed.xy, parsed.nodot, parsed.stdlib_name) == names
    assert PythonVersion.parse(str(parsed)) == parsed


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("3.12.1", "is not a Python version like `3.12`, `3.13t` or `pypy3.11`"),
        ("3", "is not a Python version"),
        ("2.7", "is not a Python version"),
        ("3.100", "is not a Python version"),
        ("3.12T", "is not a Python version"),
        ("", "is not a Python version"),
        ("3.12t", "free-threaded builds start at `3.13t`"),
    ],
)
def test_a_version_that_is_not_one_is_refused(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem) as info:
        PythonVersion.parse(text)
    assert f"`{text}`" in str(info.value)


def test_a_free_threaded_build_is_another_python() -> None:
    assert PythonVersion.parse("3.13t") != PythonVersion.parse("3.13")
    assert len({PythonVersion.parse("3.13"), PythonVersion.parse("3.13t")}) == 2


def test_a_marker_gives_the_text_under_a_key() -> None:
    german = Message("Error-de", "Bitte apt benutzen.", "de")
    marker = Marker(PythonVersion(3, 12), (Message("Error", "Use apt."), german))
    assert marker.text() == "Use apt."
    assert marker.text("Error-de") == "Bitte apt benutzen."
    with pytest.raises(KeyError):
        marker.text("Error-fr")
