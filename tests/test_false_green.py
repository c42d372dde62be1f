"""A CI gate never shows a false green, and every input a user hands over gets a true word.

Each case goes through the command line, as a CI job or a newcomer meets it:
nothing checked is no pass, a file that is no package is named for what it is,
Ctrl-C is one line and status 130, adopt says where install will write, and
the config's edge cases get messages of their own.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from marker_tool.cli import cli
from tests.packages import MARKER, build, build_deb, lay_out, stdlib_tree


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


# -- nothing checked is no pass -------------------------------------------------------------


def sdist(path: Path) -> Path:
    """A source distribution: a .tar.gz of a project, no Python stdlib in it."""
    import io
    import tarfile

    with tarfile.open(path, "w:gz") as tar:
        data = b"[project]\nname = 'x'\n"
        info = tarfile.TarInfo("x-1.0/pyproject.toml")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.parametrize("what", ["empty-directory", "tree-without-python", "sdist"])
def test_an_input_with_nothing_to_check_is_no_pass(tmp_path: Path, what: str) -> None:
    target = tmp_path / what
    if what == "sdist":
        sdist(tmp_path / "x-1.0.tar.gz")
        target = tmp_path / "x-1.0.tar.gz"
    else:
        target.mkdir()
        if what == "tree-without-python":
            (target / "usr" / "share" / "doc").mkdir(parents=True)
            (target / "usr" / "share" / "doc" / "README").write_text("x\n")
    status, output = run("check", str(target))
    assert status == 5, output  # pytest's "no tests ran": a status of its own
    assert "EM610" in output
    assert output.endswith(
        "1 checked: 0 passed, 0 passed with warnings, 1 failed (1 held nothing to check: EM610)\n"
    )
    status, output = run("check", "--allow-no-python", str(target))
    assert status == 0, output
    assert "1 passed" in output


def test_an_empty_input_beside_a_checked_one_fails_the_run_with_status_1(tmp_path: Path) -> None:
    good = tmp_path / "stage"
    lay_out(stdlib_tree(), good)
    (tmp_path / "empty").mkdir()
    status, output = run("check", str(good), str(tmp_path / "empty"))
    assert status == 1, output
    assert "(1 held nothing to check: EM610)" in output


def test_the_json_document_says_nothing_was_checked(tmp_path: Path) -> None:
    import json

    (tmp_path / "empty").mkdir()
    status, output = run("check", "--format", "json", str(tmp_path / "empty"))
    assert status == 5
    [entry] = json.loads(output)["packages"]
    assert [f["code"] for f in entry["findings"]] == ["EM610"]
    assert entry["verdict"] == "FAILED"


# -- what is no package is named for what it is ------------------------------------------------


def iso(path: Path) -> Path:
    data = bytearray(40 * 1024)
    data[32769:32774] = b"CD001"
    path.write_bytes(bytes(data))
    return path


def wheel(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x/__init__.py", "")
    return path


@pytest.mark.parametrize(
    ("name", "make", "found"),
    [
        ("x-1.0-py3-none-any.whl", wheel, "a zip archive"),
        ("debian.iso", iso, "an ISO 9660 image"),
        ("random.deb", lambda p: (p.write_bytes(os.urandom(4096) + b"\xff\xfe"), p)[1], "binary"),
        ("notes.deb", lambda p: (p.write_text("hello\n"), p)[1], "a text file"),
    ],
)
def test_a_file_that_is_no_package_is_named_for_what_it_is(
    tmp_path: Path, name: str, make: object, found: str
) -> None:
    path = tmp_path / name
    make(path)  # type: ignore[operator]
    status, output = run("check", str(path))
    assert status == 1, output
    assert "EM600" in output
    assert f"not a format check reads (found: {found}" in output
    assert "a Debian binary package" in output  # the formats it does read
    assert "EM503" not in output
    assert "EM101" not in output


def test_only_a_file_named_externally_managed_is_read_as_a_marker(tmp_path: Path) -> None:
    marker = tmp_path / "usr" / "lib" / "python3.12" / "EXTERNALLY-MANAGED"
    marker.parent.mkdir(parents=True)
    marker.write_bytes(MARKER)
    status, output = run("check", str(marker))
    assert status == 0, output
    other = tmp_path / "marker.txt"
    other.write_bytes(MARKER)
    status, output = run("check", str(other))
    assert status == 1
    assert "not a format check reads (found: a text file)" in output


# -- Ctrl-C ---------------------------------------------------------------------------------


@pytest.mark.real  # runs marker-tool in its own process, interrupted as a terminal does
def test_ctrl_c_is_one_line_and_status_130_at_any_moment() -> None:
    # Real packages: a run of a second or more, its workers reading.
    debs = build("3.13")
    command = [sys.executable, "-m", "marker_tool", "check", "-j", "2", *map(str, debs)]
    start = time.monotonic()
    subprocess.run(command, capture_output=True, check=False)
    whole = time.monotonic() - start
    # From the moment marker-tool's own code runs (its first import, after the interpreter
    # has started) to the end of the run, while its workers read.
    delays = [0.06, 0.1] + [whole * n / 8 for n in range(1, 8)]
    interrupted = 0
    for delay in delays:
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
        )
        time.sleep(delay)
        os.killpg(process.pid, signal.SIGINT)  # to every process of the group, as ^C does
        _, err = process.communicate(timeout=60)
        lines = [line for line in err.decode().splitlines() if line.strip()]
        assert "marker_tool" not in err.decode(), (delay, err)  # never a traceback of ours
        if process.returncode in (0, 1) and not lines:
            continue  # it had ended before the signal came
        if process.returncode == -signal.SIGINT and not lines:
            continue  # the interpreter was still starting, before any code of marker-tool's
        assert process.returncode == 130, (delay, err)
        assert lines == ["marker-tool: interrupted"], (delay, err)
        interrupted += 1
    assert interrupted >= len(delays) - 2, (whole, interrupted)


# -- adopt says where install will write ----------------------------------------------------


def test_adopt_infers_the_layout_from_the_paths_tail_and_says_why(tmp_path: Path) -> None:
    marker = tmp_path / "old" / "usr" / "lib" / "python3.12" / "EXTERNALLY-MANAGED"
    marker.parent.mkdir(parents=True)
    marker.write_bytes(b"[externally-managed]\nError = This Python belongs to Acme Linux.\n")
    status, output = run("adopt", str(marker), "-o", str(tmp_path / "a"), "--name", "Acme Linux")
    assert status == 0, output
    assert "layout deb: it puts the stdlib of Python 3.12 at /usr/lib/python3.12" in output
    status, output = run(
        "install", "-c", str(tmp_path / "a" / "marker-tool.toml"), "--destdir", str(tmp_path / "d")
    )
    assert status == 0, output
    assert (tmp_path / "d" / "usr" / "lib" / "python3.12" / "EXTERNALLY-MANAGED").is_file()


def test_adopt_refuses_a_tail_that_does_not_tell_the_layout(tmp_path: Path) -> None:
    marker = tmp_path / "x" / "lib" / "python3.12" / "EXTERNALLY-MANAGED"
    marker.parent.mkdir(parents=True)
    marker.write_bytes(MARKER)
    status, output = run("adopt", str(marker), "-o", str(tmp_path / "a"))
    assert status == 2, output
    assert "cannot tell the install layout" in output
    assert "--layout" in output
    status, output = run("adopt", str(marker), "-o", str(tmp_path / "a"), "--layout", "generic")
    assert status == 0, output
    assert "layout generic: given with --layout" in output


@pytest.mark.real  # dpkg-deb builds the package
def test_adopt_takes_the_marker_out_of_a_package(tmp_path: Path) -> None:
    deb = build_deb(stdlib_tree(), tmp_path / "libpython3.12-stdlib.deb")
    status, output = run("adopt", str(deb), "-o", str(tmp_path / "a"))
    assert status == 0, output
    assert "usr/lib/python3.12/EXTERNALLY-MANAGED back byte for byte" in output
    assert "layout deb" in output


# -- the config's edge cases ------------------------------------------------------------------


def test_a_config_with_a_byte_order_mark_is_named_so(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_bytes(b'\xef\xbb\xbfname = "A"\n')
    status, output = run("render", "-c", str(config))
    assert status == 2
    assert "byte-order mark (BOM)" in output
    assert "strings need quotes" not in output


def test_one_rule_for_a_python_in_the_config_and_on_the_command_line(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('name = "A"\npythons = ["3.99"]\n')
    status, output = run("render", "-c", str(config))
    assert status == 0
    assert "warning: " in output
    assert "no Python 3.99" in output
    status, output = run("render", "--preset", "debian", "--python", "3.99")
    assert status == 0
    assert "warning: " in output
    assert "no Python 3.99" in output
    config.write_text('name = "A"\npythons = ["3.1"]\n')
    status, output = run("render", "-c", str(config))
    assert status == 2
    assert "did you mean `3.10` or `3.11`?" in output
    status, output = run("render", "--preset", "debian", "--python", "3.1")
    assert status == 2
    assert "did you mean `3.10` or `3.11`?" in output


def test_a_relative_libdir_is_refused(tmp_path: Path) -> None:
    status, output = run(
        "install", "--preset", "fedora", "--libdir", "usr/lib64", "--destdir", str(tmp_path)
    )
    assert status == 2
    assert "`libdir` is `usr/lib64`, a relative path" in output
    assert "`/usr/lib64`" in output


def test_a_two_letter_locale_typo_gets_no_special_code_suggested() -> None:
    status, output = run("render", "--preset", "debian", "--locale", "xx")
    assert status == 2
    assert "zxx" not in output
    assert "unknown language `xx`" in output
    assert "use an ISO 639 code like `de`" in output
    status, output = run("render", "--preset", "debian", "--locale", "dee")
    assert "did you mean `dee`" not in output
    assert "zxx" not in output


def test_an_override_without_its_colon_says_so(tmp_path: Path) -> None:
    overrides = tmp_path / "overrides"
    overrides.write_text("libpython3.11-stdlib EM606\n")
    (tmp_path / "empty").mkdir()
    status, output = run("check", "--overrides", str(overrides), str(tmp_path / "empty"))
    assert status == 2
    assert "`libpython3.11-stdlib: EM606`" in output


def test_a_dumb_terminal_gets_no_colour(tmp_path: Path) -> None:
    marker = tmp_path / "EXTERNALLY-MANAGED"
    marker.write_bytes(b"[externally-managed]\nError = x\n\tbad\n")
    for env, coloured in (({"TERM": "xterm"}, True), ({"TERM": "dumb"}, False)):
        result = CliRunner().invoke(cli, ["validate", str(marker)], env=env, color=True)
        assert ("\x1b[" in result.output) is coloured, (env, result.output)
