"""The layout registry, and the `path` and `layouts` commands build scripts call."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from marker_tool.cli import cli
from marker_tool.errors import MarkerToolError
from marker_tool.layouts import (
    LAYOUT_NAMES,
    LAYOUTS,
    get_layout,
    marker_path,
    shared_marker_path,
    stdlib_dir,
)
from marker_tool.model import PythonVersion

PY312 = PythonVersion.parse("3.12")
PY313T = PythonVersion.parse("3.13t")

#: layout -> (stdlib dir for 3.12, stdlib dir for 3.13t), with default prefix and libdir.
EXPECTED = {
    "deb": ("/usr/lib/python3.12", "/usr/lib/python3.13t"),
    "ubuntu": ("/usr/lib/python3.12", "/usr/lib/python3.13t"),
    "arch": ("/usr/lib/python3.12", "/usr/lib/python3.13t"),
    "alpine": ("/usr/lib/python3.12", "/usr/lib/python3.13t"),
    "void": ("/usr/lib/python3.12", "/usr/lib/python3.13t"),
    "rpm": ("/usr/lib64/python3.12", "/usr/lib64/python3.13t"),
    "opensuse": ("/usr/lib64/python3.12", "/usr/lib64/python3.13t"),
    "homebrew-macos": (
        "/opt/homebrew/opt/python@3.12/Frameworks/Python.framework/Versions/3.12/lib/python3.12",
        "/opt/homebrew/opt/python@3.13/Frameworks/Python.framework/Versions/3.13/lib/python3.13t",
    ),
    "homebrew-linux": (
        "/home/linuxbrew/.linuxbrew/opt/python@3.12/lib/python3.12",
        "/home/linuxbrew/.linuxbrew/opt/python@3.13/lib/python3.13t",
    ),
    "nix": ("/nix/store/python-3.12/lib/python3.12", "/nix/store/python-3.13/lib/python3.13t"),
    "gentoo": ("/usr/lib/python3.12", "/usr/lib/python3.13t"),
    "generic": ("/usr/local/lib/python3.12", "/usr/local/lib/python3.13t"),
}


def test_every_layout_is_covered() -> None:
    assert set(EXPECTED) == set(LAYOUT_NAMES) == set(LAYOUTS)


@pytest.mark.parametrize("name", LAYOUT_NAMES)
def test_stdlib_dir_and_marker_path(name: str) -> None:
    layout = get_layout(name)
    for python, expected in zip((PY312, PY313T), EXPECTED[name], strict=True):
        assert str(stdlib_dir(layout, python)) == expected
        assert str(marker_path(layout, python)) == expected + "/EXTERNALLY-MANAGED"


@pytest.mark.parametrize(
    ("name", "kwargs", "expected"),
    [
        ("rpm", {"libdir": "/usr/lib"}, "/usr/lib/python3.13t"),
        ("opensuse", {"libdir": "/usr/lib32/"}, "/usr/lib32/python3.13t"),
        (
            "nix",
            {"prefix": "/nix/store/abc-python3-3.13.1"},
            "/nix/store/abc-python3-3.13.1/lib/python3.13t",
        ),
        (
            "homebrew-macos",
            {"prefix": "/usr/local/opt/python@{version}"},
            "/usr/local/opt/python@3.13/Frameworks/Python.framework/Versions/3.13/lib/python3.13t",
        ),
        ("generic", {"prefix": "/opt/py"}, "/opt/py/lib/python3.13t"),
        # deb ignores a prefix: its pattern has only {libdir}.
        ("deb", {"prefix": "/opt/py"}, "/usr/lib/python3.13t"),
    ],
)
def test_prefix_and_libdir_overrides(name: str, kwargs: dict[str, str], expected: str) -> None:
    assert str(stdlib_dir(get_layout(name), PY313T, **kwargs)) == expected


def test_gentoo_shares_one_marker() -> None:
    gentoo = get_layout("gentoo")
    for python in (PY312, PY313T):
        assert str(shared_marker_path(gentoo, python)) == "/usr/lib/python/EXTERNALLY-MANAGED"
    assert str(shared_marker_path(gentoo, PY312, libdir="/usr/lib64")) == (
        "/usr/lib64/python/EXTERNALLY-MANAGED"
    )
    assert all(
        shared_marker_path(get_layout(name), PY312) is None
        for name in LAYOUT_NAMES
        if name != "gentoo"
    )


def test_unknown_layout_suggests_a_name() -> None:
    with pytest.raises(MarkerToolError, match="unknown layout `debain`") as info:
        get_layout("debain")
    assert info.value.hint == "did you mean `deb`?"


def test_path_command() -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["path", "--layout", "rpm", "--python", "3.13t"])
    assert result.exit_code == 0, result.output
    assert result.output == "/usr/lib64/python3.13t/EXTERNALLY-MANAGED\n"
    result = runner.invoke(
        cli, ["path", "--layout", "rpm", "--python", "3.12", "--libdir", "/usr/lib", "--dir"]
    )
    assert result.output == "/usr/lib/python3.12\n"
    result = runner.invoke(
        cli, ["path", "--layout", "homebrew-linux", "--python", "3.12", "--prefix", "/keg"]
    )
    assert result.output == "/keg/lib/python3.12/EXTERNALLY-MANAGED\n"


def test_path_command_rejects_bad_input() -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["path", "--layout", "deb", "--python", "3.12x"])
    assert result.exit_code == 2
    assert "is not a Python version like `3.12`" in result.output
    result = runner.invoke(cli, ["path", "--layout", "debain", "--python", "3.12"])
    assert result.exit_code == 2
    assert "debain" in result.output


def test_layouts_command_lists_every_layout() -> None:
    result = CliRunner().invoke(cli, ["layouts", "--python", "3.13t"])
    assert result.exit_code == 0, result.output
    for name, (_, expected) in EXPECTED.items():
        assert f"{name:<14}  {expected}/EXTERNALLY-MANAGED\n" in result.output
        assert LAYOUTS[name].description in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["path", "--layout", "deb", "--python", "3.12"],
        ["layouts"],
    ],
)
def test_path_and_layouts_import_neither_jinja_nor_babel(args: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "marker_tool", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "EXTERNALLY-MANAGED" in result.stdout
    imported = {
        line.rsplit("|", 1)[1].strip() for line in result.stderr.splitlines() if "|" in line
    }
    assert "marker_tool.layouts" in imported  # the check sees what was imported
    assert not {m for m in imported if m.split(".")[0] in {"jinja2", "babel", "markupsafe"}}
