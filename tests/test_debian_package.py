"""debian/: marker-tool's own Debian package, built by dpkg-buildpackage on Debian's libraries.

The build runs the test suite (tests marked `real` deselected), generates a
man page per command from the CLI's help and click's shell completion; the
package must be lintian clean and, unpacked into a throwaway root, run under
Debian's /usr/bin/python3 with the same output as the development install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from marker_tool.cli import cli
from tests.packages import tool

pytestmark = pytest.mark.real
ROOT = Path(__file__).resolve().parent.parent
SYSTEM = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C.UTF-8"}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The .deb, built from a copy of the checkout's files."""
    tool("dpkg-buildpackage")
    work = tmp_path_factory.mktemp("deb")
    source = work / "marker-tool"
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    result = subprocess.run(
        ["dpkg-buildpackage", "-us", "-uc", "-b"],
        cwd=source,
        env={**SYSTEM, "HOME": str(work)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert " passed" in result.stdout
    assert "deselected" in result.stdout
    [deb] = work.glob("marker-tool_*_all.deb")
    return deb


def contents(deb: Path) -> list[str]:
    listing = subprocess.run(
        ["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True
    ).stdout
    return [line.split()[5].removeprefix(".") for line in listing.splitlines()]


def command_names(group: click.Group, prefix: str) -> list[str]:
    ctx = click.Context(group, info_name=prefix)
    names = [prefix]
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            names += command_names(command, f"{prefix}-{name}")
        else:
            names.append(f"{prefix}-{name}")
    return names


def test_a_man_page_for_every_command_and_completion(built: Path) -> None:
    files = contents(built)
    for name in [*command_names(cli, "marker-tool"), "dh_externally_managed"]:
        assert f"/usr/share/man/man1/{name}.1.gz" in files, name
    assert "/usr/share/bash-completion/completions/marker-tool" in files
    assert "/usr/share/zsh/vendor-completions/_marker-tool" in files
    assert "/usr/bin/dh_externally_managed" in files
    assert "/usr/share/perl5/Debian/Debhelper/Sequence/externally_managed.pm" in files
    fields = subprocess.run(
        ["dpkg-deb", "-f", str(built), "Depends", "Provides"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "python3-click" in fields
    assert "python3-jinja2" in fields
    assert "python3-babel" in fields
    assert "Provides: dh-sequence-externally-managed" in fields
    assert "debian-inspector" not in fields  # not in Debian: the features say what is missing


def test_lintian_is_clean(built: Path) -> None:
    result = subprocess.run(
        [tool("lintian"), "--no-cfg", "-I", str(built)],
        capture_output=True,
        text=True,
        check=False,
    )
    tags = [line for line in result.stdout.splitlines() if line[:2] in ("E:", "W:", "I:")]
    assert tags == [], result.stdout


def test_it_runs_under_debians_python_with_debians_libraries(built: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    subprocess.run(["dpkg-deb", "-x", str(built), str(root)], check=True)
    env = {
        **SYSTEM,
        "HOME": str(tmp_path),
        "PYTHONPATH": str(root / "usr/lib/python3/dist-packages"),
    }
    args = ["render", "--preset", "debian", "--python", "3.11", "--locale", "de"]
    theirs = subprocess.run(
        ["/usr/bin/python3", "-m", "marker_tool", *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    ours = subprocess.run(
        [str(Path(sys.executable).parent / "marker-tool"), *args],
        capture_output=True,
        text=True,
        check=True,
    )
    assert theirs.stdout == ours.stdout
    # Without debian-inspector, reading a .deb says what to install (exit 2, no traceback).
    deb = subprocess.run(
        ["/usr/bin/python3", "-m", "marker_tool", "check", str(built)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if os.path.exists("/usr/lib/python3/dist-packages/debian_inspector"):
        pytest.fail("debian-inspector is installed system-wide; this test needs it absent")
    assert deb.returncode == 2, deb.stdout + deb.stderr
    assert "pip install debian-inspector" in deb.stderr
    assert "Traceback" not in deb.stderr
