"""The mistakes a newcomer makes get a message naming the problem and a fix that exists.

Each case: exit 2 (or a warning where the input may be right), no traceback, and
no hint that names an option the command does not have.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from marker_tool.cli import COMMANDS, cli
from marker_tool.model import PythonVersion


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_a_reader_that_stops_early_gets_no_error_message() -> None:
    read, write = os.pipe()
    os.close(read)  # `| head -1` that has already gone
    try:
        done = subprocess.run(
            [sys.executable, "-m", "marker_tool", "layouts"],
            stdout=write,
            stderr=subprocess.PIPE,
            check=False,
        )
    finally:
        os.close(write)
    assert done.stderr == b""
    assert done.returncode in {0, 141}


@pytest.mark.parametrize(
    ("args", "meant"),
    [
        (["render", "--preset", "debain"], "did you mean `debian`?"),
        (["path", "--layout", "rmp", "--python", "3.12"], "did you mean `rpm`?"),
        (["validate", "--format", "jsno", "x"], "did you mean `json`?"),
        (["render", "--preset", "debian", "--format", "homebew"], "did you mean `homebrew`?"),
        (["preview", "--tool", "pipp", "x"], "did you mean `pip`?"),
    ],
)
def test_a_misspelt_choice_gets_did_you_mean(args: list[str], meant: str) -> None:
    status, output = run(*args)
    assert status == 2
    assert meant in output


def test_a_python_no_one_has_released_warns_but_goes_on() -> None:
    status, output = run("path", "--layout", "deb", "--python", "3.99")
    assert status == 0
    assert "warning: there is no Python 3.99" in output
    assert "/usr/lib/python3.99/EXTERNALLY-MANAGED" in output
    status, output = run("path", "--layout", "deb", "--python", "3.13")
    assert "warning" not in output


def test_validate_of_a_package_of_any_size_points_at_check(tmp_path: Path) -> None:
    deb = tmp_path / "python3.12_3.12.1-1_amd64.deb"
    deb.write_bytes(b"!<arch>\ndebian-binary   " + b"\0" * (3 << 20))  # past the marker cap
    for command in ("validate", "preview"):
        status, output = run(command, str(deb))
        assert status == 2, (command, output)
        assert "a .deb package, not a marker" in output
        assert f"marker-tool check {deb}" in output
        assert "EM107" not in output
    # adopt takes a package's marker out itself, and says what is wrong with this one
    status, output = run("adopt", str(deb))
    assert status == 2, output
    assert f"{deb}: a corrupt ar member header" in output


def test_render_into_a_path_under_a_file_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    status, output = run("render", "--preset", "debian", "-o", str(tmp_path / "f" / "x"))
    assert status == 2
    assert f"`{tmp_path / 'f'}` is a file, not a directory" in output
    assert "--force" not in output  # render has no --force


def test_init_over_an_existing_file_says_force(tmp_path: Path) -> None:
    target = tmp_path / "marker-tool.toml"
    target.write_text("")
    status, output = run("init", "--preset", "debian", "-o", str(target))
    assert status == 2
    assert "pass --force" in output


def test_install_into_a_file_says_it_is_not_a_directory(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    status, output = run("install", "--preset", "debian", "--destdir", str(tmp_path / "f"))
    assert status == 2
    assert "not a directory" in output
    assert "concurrent" not in output


def test_i18n_extract_makes_the_catalog_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    status, output = run("i18n", "extract")
    assert status == 0, output
    assert (tmp_path / "po" / "messages.pot").is_file()
    # A config whose `catalogs` is not there yet: extract is what starts it.
    config = tmp_path / "conf" / "marker-tool.toml"
    config.parent.mkdir()
    config.write_text('preset = "debian"\n[i18n]\ncatalogs = "locale"\n')
    status, output = run("i18n", "extract", "-c", str(config))
    assert status == 0, output
    assert (tmp_path / "conf" / "locale" / "messages.pot").is_file()
    status, output = run("i18n", "init", "de", "-d", str(tmp_path / "conf" / "locale"))
    assert status == 0, output


def test_adopt_without_a_known_name_adopts_and_says_how_to_add_one(tmp_path: Path) -> None:
    stdlib = tmp_path / "usr" / "lib" / "python3.12"
    stdlib.mkdir(parents=True)
    marker = stdlib / "EXTERNALLY-MANAGED"
    data = b"[externally-managed]\nError = Use a venv: python3 -m venv path/to/venv.\n"
    marker.write_bytes(data)
    out = tmp_path / "adopted"
    status, output = run("adopt", str(marker), "-o", str(out))
    assert status == 0, output
    assert "names no distributor" in output
    assert "{{ distributor }}" in output
    config = (out / "marker-tool.toml").read_text()
    assert "set `name`" in config
    rendered = tmp_path / "rendered"
    status, output = run("render", "-c", str(out / "marker-tool.toml"), "-o", str(rendered))
    assert status == 0, output
    assert rendered.read_bytes() == data


def test_layouts_default_to_the_running_python() -> None:
    status, output = run("layouts")
    assert status == 0
    assert f"/usr/lib/{PythonVersion.running().stdlib_name}/EXTERNALLY-MANAGED" in output


@pytest.mark.parametrize("args", [["--help"], ["i18n", "--help"]])
def test_help_summaries_are_whole(args: list[str]) -> None:
    status, output = run(*args)
    assert status == 0
    commands = output[output.index("Commands:") :]
    assert "..." not in commands


def _commands() -> list[tuple[str, click.Command]]:
    found: list[tuple[str, click.Command]] = []
    ctx = click.Context(cli)
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert command is not None
        if isinstance(command, click.Group):
            sub = click.Context(command)
            found += [(f"{name} {s}", command.get_command(sub, s)) for s in command.commands]  # type: ignore[misc]
        else:
            found.append((name, command))
    return found


#: One placeholder per kind of value, the same in every command.
METAVARS = {
    "--python": "X.Y",
    "--config": "FILE",
    "--preset": "NAME",
    "--layout": "NAME",
    "--locale": "LOCALE",
    "--destdir": "DIR",
    "--stdlib-dir": "DIR",
    "--prefix": "DIR",
    "--libdir": "DIR",
    "--dir": "DIR",
}


@pytest.mark.parametrize(("name", "command"), [pytest.param(n, c, id=n) for n, c in _commands()])
def test_option_placeholders_are_named_alike(name: str, command: click.Command) -> None:
    ctx = click.Context(command, info_name=name)
    for param in command.params:
        if not isinstance(param, click.Option) or param.is_flag:
            continue
        record = param.get_help_record(ctx)
        assert record is not None
        shown = record[0].split(" ", maxsplit=-1)[-1]
        assert shown not in {"TEXT", "PATH", "INTEGER", "FILENAME", "DIRECTORY"}, (name, record)
        long_name = next((o for o in param.opts if o.startswith("--")), None)
        if long_name in METAVARS:
            assert shown == METAVARS[long_name], (name, record)
