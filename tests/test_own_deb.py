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


def build_marker_tool(work: Path, *, nocheck: bool = False) -> Path:
    """marker-tool's .deb, built in `work` from a copy of the checkout's files.

    `nocheck` leaves out the test suite's run during the build (DEB_BUILD_OPTIONS).
    """
    tool("dpkg-buildpackage")
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
    options = {"DEB_BUILD_OPTIONS": "nocheck"} if nocheck else {}
    result = subprocess.run(
        ["dpkg-buildpackage", "-us", "-uc", "-b"],
        cwd=source,
        env={**SYSTEM, "HOME": str(work), **options},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    if not nocheck:
        assert " passed" in result.stdout
        assert "deselected" in result.stdout
    [deb] = work.glob("marker-tool_*_all.deb")
    return deb


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The .deb, built from a copy of the checkout's files, its tests run."""
    return build_marker_tool(tmp_path_factory.mktemp("deb"))


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
    for package in ("python3-click", "python3-jinja2", "python3-babel", "python3-debian"):
        assert package in fields
    assert "python3-zstandard" in fields
    assert "Provides: dh-sequence-externally-managed" in fields
    assert "inspector" not in fields  # not in Debian
    multi_arch = subprocess.run(
        ["dpkg-deb", "-f", str(built), "Multi-Arch"], capture_output=True, text=True, check=True
    ).stdout
    assert multi_arch.strip() == "foreign"  # cross builds use the native package
    for doc in ("README.md.gz", "copyright"):
        assert f"/usr/share/doc/marker-tool/{doc}" in files
    assert "/usr/share/man/man7/marker-tool-rules.7.gz" in files
    assert "/usr/share/debhelper/autoscripts/preinst-externally-managed-divert" in files


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
    # Debian's libraries read a .deb's control paragraph (python3-debian): the same
    # report as the development install's, which uses debian-inspector.
    if os.path.exists("/usr/lib/python3/dist-packages/debian_inspector"):
        pytest.fail("debian-inspector is installed system-wide; this test needs it absent")
    check = ["check", "--format", "json", str(built)]
    deb = subprocess.run(
        ["/usr/bin/python3", "-m", "marker_tool", *check],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    dev = subprocess.run(
        [str(Path(sys.executable).parent / "marker-tool"), *check],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Traceback" not in deb.stderr
    assert (deb.returncode, deb.stdout) == (dev.returncode, dev.stdout), deb.stderr


def test_man_page_examples_are_commands_the_cli_accepts() -> None:
    """Every EXAMPLES line of the man pages parses with the CLI's own options."""
    import importlib.machinery
    import importlib.util
    import shlex

    loader = importlib.machinery.SourceFileLoader(
        "make_manpages", str(ROOT / "debian/make-manpages")
    )
    spec = importlib.util.spec_from_loader("make_manpages", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    count = 0
    for _, line in (item for items in module.EXAMPLES.values() for item in items):
        for part in line.split("&&"):
            words = shlex.split(part.split(">")[0])
            assert words[0] == "marker-tool", line
            command: click.Command = cli
            name = "marker-tool"
            words = words[1:]
            while isinstance(command, click.Group):
                name = words.pop(0)
                found = command.get_command(click.Context(command), name)
                assert found is not None, line
                command = found
            command.make_context(name, words)  # raises on an unknown option or argument
            count += 1
    assert count >= len(command_names(cli, "marker-tool")) - 6
    for command_name in command_names(cli, "marker-tool")[1:]:
        parts = command_name.split("-")[2:]
        command = cli
        for part in parts:
            assert isinstance(command, click.Group)
            found = command.get_command(click.Context(command), part)
            assert found is not None
            command = found
        sentence = module.whatis(command)
        # A whole sentence: brackets closed, not cut at "e.g.".
        assert sentence.count("(") == sentence.count(")"), (command_name, sentence)
        assert not sentence.endswith(("e.g", "i.e")), (command_name, sentence)
