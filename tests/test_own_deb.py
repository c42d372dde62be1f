"""debian/: marker-tool's own Debian source package, built as a Debian builder builds it.

For each suite (bookworm, trixie, sid) the source package is made from an orig
tarball of the checkout's files and debian/, in a clean mmdebstrap system
(tests/chroots.py): `apt-get build-dep`, then `dpkg-buildpackage -us -uc` as an
unprivileged user, which applies debian/patches, runs the test suite (tests
marked `real` deselected), and writes the man pages and shell completion. The
results are cached under build/deb/ by the content of what went in (the
tarball, debian/, the system), so the other tests reuse one build per suite.

On the results: the binary packages hold what they should, with the
dependencies Debian has; autopkgtest passes debian/tests in a clean system of
the same suite; lintian --pedantic on sid finds nothing but what only the
first upload can settle; the library runs under Debian's python3 with
Debian's libraries, with the same output as the development install.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest

from marker_tool.cli import cli
from tests.chroots import base, throwaway
from tests.own_package import DEBIAN, SUITES, Built, build_source_package, field, system
from tests.packages import tool

#: The Debian package's tags that only the first upload can settle: the changelog closes
#: the ITP bug that the upload's sponsor files (debian/README.source).
FIRST_UPLOAD = {"initial-upload-closes-no-bugs"}


@pytest.fixture(scope="module", params=SUITES)
def built(request: pytest.FixtureRequest) -> Built:
    """The build that runs the test suite."""
    suite: str = request.param
    return build_source_package(suite)


@pytest.fixture(scope="module", params=SUITES)
def packages(request: pytest.FixtureRequest) -> Built:
    """The packages alone: what they hold and how they install does not hang on the build's
    own test run, which `built` asserts."""
    suite: str = request.param
    return build_source_package(suite, tests=False)


@pytest.mark.real  # dpkg-buildpackage in a chroot
def test_the_build_applies_the_patches_and_runs_the_tests(built: Built) -> None:
    log = built.log
    print(f"\n{built.suite}: {json.dumps({k: round(v) for k, v in built.timings.items()})} s")
    for patch in (DEBIAN / "patches" / "series").read_text().split():
        assert f"applying {patch}" in log, patch
    assert " passed" in log
    assert " deselected" in log
    assert " failed" not in log
    assert "dpkg-source: info: building marker-tool using existing" in log
    # The installed metadata names what Debian has, so dh_python3 depends on it.
    fields = deb_fields(built.deb("python3-marker-tool"), "Depends")
    for package in ("python3-click", "python3-jinja2", "python3-babel", "python3-debian"):
        assert package in fields
    assert "python3-zstandard" in fields
    assert "inspector" not in fields  # not in Debian


def deb_fields(deb: Path, *names: str) -> str:
    return subprocess.run(
        [tool("dpkg-deb"), "-f", str(deb), *names], capture_output=True, text=True, check=True
    ).stdout


def contents(deb: Path) -> list[str]:
    listing = subprocess.run(
        [tool("dpkg-deb"), "-c", str(deb)], capture_output=True, text=True, check=True
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


@pytest.mark.real  # dpkg-buildpackage in a chroot
def test_the_command_and_the_library_are_two_packages(packages: Built) -> None:
    built = packages
    files = contents(built.deb("marker-tool"))
    for name in [*command_names(cli, "marker-tool"), "dh_externally_managed"]:
        assert f"/usr/share/man/man1/{name}.1.gz" in files, name
    assert "/usr/share/man/man7/marker-tool-rules.7.gz" in files
    assert "/usr/bin/marker-tool" in files
    assert "/usr/share/bash-completion/completions/marker-tool" in files
    assert "/usr/share/zsh/vendor-completions/_marker-tool" in files
    assert "/usr/bin/dh_externally_managed" in files
    assert "/usr/share/perl5/Debian/Debhelper/Sequence/externally_managed.pm" in files
    assert "/usr/share/debhelper/autoscripts/preinst-externally-managed-divert" in files
    assert not [f for f in files if "/dist-packages/" in f]
    library = contents(built.deb("python3-marker-tool"))
    assert "/usr/lib/python3/dist-packages/marker_tool/__init__.py" in library
    assert "/usr/lib/python3/dist-packages/marker_tool/templates/message.txt.j2" in library
    assert not [f for f in library if f.startswith("/usr/bin/")]
    fields = deb_fields(built.deb("marker-tool"), "Depends", "Provides", "Multi-Arch")
    assert "python3-marker-tool (= " in fields
    assert "Provides: dh-sequence-externally-managed" in fields
    assert "Multi-Arch: foreign" in fields  # cross builds use the native package


def autopkgtest(built: Built) -> subprocess.CompletedProcess[str]:
    """autopkgtest on the built packages and the .dsc, in a clean system of the same suite."""
    with throwaway(base(system(built.suite))) as box:
        return subprocess.run(
            [
                tool("autopkgtest"),
                *map(str, built.debs),
                str(built.dsc),
                "--",
                "chroot",
                str(box.root),
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=1800,
        )


@pytest.mark.real  # autopkgtest
def test_autopkgtest_passes(packages: Built) -> None:
    built = packages
    start = time.monotonic()
    result = built.run_once("autopkgtest", lambda: autopkgtest(built))
    print(f"\n{built.suite}: autopkgtest {time.monotonic() - start:.0f} s")
    summary = result.stdout.split("@@@@@@@@@@@@@@@@@@@@ summary")[-1]
    assert result.returncode == 0, summary + result.stderr[-4000:]
    tests = field(DEBIAN / "tests" / "control", "Tests")
    assert tests
    for test in tests:
        assert f"{test:<20} PASS" in summary, (test, summary)


@pytest.mark.real  # lintian in a sid chroot
def test_lintian_pedantic_on_sid() -> None:
    """Source and binary packages, as a sponsor runs lintian: every tag shown."""
    built = build_source_package("sid", tests=False)

    def lintian() -> subprocess.CompletedProcess[str]:
        with throwaway(base(system("sid"))) as box:
            shutil.copytree(built.directory, box.path("/srv/upload"))
            return box.run(
                "lintian --version && lintian --display-info --pedantic --tag-display-limit 0 "
                f"/srv/upload/{built.changes.name}",
                check=False,
            )

    result = built.run_once("lintian", lintian)
    lines = result.stdout.splitlines()
    print("\n" + "\n".join(lines))
    tags = [line for line in lines[1:] if line[:2] in {"E:", "W:", "I:", "P:", "X:", "O:"}]
    unexpected = [line for line in tags if line.split()[2] not in FIRST_UPLOAD]
    assert not unexpected, result.stdout + result.stderr
    assert result.returncode == 0, result.stderr


@pytest.mark.real  # Debian's python3 in a chroot
def test_it_runs_under_debians_python_with_debians_libraries(tmp_path: Path) -> None:
    """The bookworm build, unpacked, under the host's /usr/bin/python3 (Debian 12's)."""
    built = build_source_package("bookworm", tests=False)
    root = tmp_path / "root"
    for deb in built.debs:
        subprocess.run([tool("dpkg-deb"), "-x", str(deb), str(root)], check=True)
    env = {
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        "LC_ALL": "C.UTF-8",
        "HOME": str(tmp_path),
        "PYTHONPATH": str(root / "usr/lib/python3/dist-packages"),
    }
    if os.path.exists("/usr/lib/python3/dist-packages/debian_inspector"):
        pytest.fail("debian-inspector is installed system-wide; this test needs it absent")
    development = Path(sys.executable).parent / "marker-tool"
    for args in (
        ["render", "--preset", "debian", "--python", "3.11", "--locale", "de"],
        # python3-debian reads the control paragraph: the same report as debian-inspector's
        ["check", "--format", "json", str(built.deb("marker-tool"))],
    ):
        theirs = subprocess.run(
            ["/usr/bin/python3", "-m", "marker_tool", *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        ours = subprocess.run(
            [str(development), *args], capture_output=True, text=True, check=False
        )
        assert "Traceback" not in theirs.stderr
        assert (theirs.returncode, theirs.stdout) == (ours.returncode, ours.stdout), theirs.stderr


def test_man_page_examples_are_commands_the_cli_accepts() -> None:
    """Every EXAMPLES line of the man pages parses with the CLI's own options."""
    import importlib.machinery
    import importlib.util
    import shlex

    loader = importlib.machinery.SourceFileLoader("make_manpages", str(DEBIAN / "make-manpages"))
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
