"""marker-tool's own RPM packaging (rpm/): the macros through the real rpmbuild, the spec built.

The spec is built on this (Debian) machine as docs/packaging.md says: from the
release tarball, with `--nodeps`, through the fallbacks for the %pyproject_*
macros that only Fedora has.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from marker_tool import __version__
from marker_tool.check import check
from tests.own_package import orig_tarball
from tests.packages import STDLIB_FILES, tool
from tests.realprograms import cached_directory, content_key, note_program

pytestmark = pytest.mark.real
ROOT = Path(__file__).resolve().parent.parent
MACROS = ROOT / "rpm" / "macros.marker-tool"
MARKER_TOOL = Path(sys.executable).parent / "marker-tool"
#: The environment of a build on the system, as a packager's shell gives it.
SYSTEM = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C.UTF-8"}


def expand(expression: str, *defines: str) -> subprocess.CompletedProcess[str]:
    command = [tool("rpmbuild"), "--load", str(MACROS)]
    for define in defines:
        command += ["--define", define]
    return subprocess.run(
        [*command, "--eval", expression], capture_output=True, text=True, check=False
    )


BUILD = ("python3_version 3.12", "buildroot /build/root")


def test_install_macro_expands_to_the_libdir_stdlib() -> None:
    result = expand("%marker_tool_install", *BUILD)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "marker-tool",
        "install",
        "--destdir",
        "/build/root",
        "--layout",
        "rpm",
        "--libdir",
        "/usr/lib64",
        "--stdlib-dir",
        "/usr/lib64/python3.12",
        "--python",
        "3.12",
    ]


def test_install_macro_takes_config_locales_and_extra_options() -> None:
    result = expand(
        "%marker_tool_install -c %{_sourcedir}/acme.toml -l de,pt_BR -- --force",
        *BUILD,
        "_sourcedir /src",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-7:] == [
        "-c",
        "/src/acme.toml",
        "--locale",
        "de",
        "--locale",
        "pt_BR",
        "--force",
    ]


def test_install_macro_follows_libdir() -> None:
    result = expand("%marker_tool_install", *BUILD, "_libdir /usr/lib")
    assert "--stdlib-dir /usr/lib/python3.12" in result.stdout


def test_install_macro_without_python3_version_fails_with_the_fix() -> None:
    result = expand("%marker_tool_install", "buildroot /build/root")
    assert result.returncode != 0
    assert "%python3_version is not defined" in result.stderr
    assert "python3-devel" in result.stderr


def test_install_macro_refuses_an_unknown_option() -> None:
    result = expand("%marker_tool_install -x", *BUILD)
    assert result.returncode != 0
    assert "Unknown option x" in result.stderr


def test_check_macro_checks_the_buildroot_or_the_packages_given() -> None:
    assert expand("%marker_tool_check", *BUILD).stdout.split() == [
        "marker-tool",
        "check",
        "--require-python",
        "3.12",
        "/build/root",
    ]
    strict = expand("%marker_tool_check -s a.rpm b.rpm", *BUILD).stdout.split()
    assert strict[-3:] == ["--strict", "a.rpm", "b.rpm"]


def stdlib_spec(tmp_path: Path) -> Path:
    lines = "\n".join(
        f"echo {data.decode().strip()!r} > %{{buildroot}}%{{_libdir}}/python3.12/{name}"
        for name, data in STDLIB_FILES.items()
    )
    spec = tmp_path / "python3.12-libs.spec"
    spec.write_text(
        "Name: python3.12-libs\nVersion: 3.12.1\nRelease: 1\nSummary: stand-in stdlib\n"
        "License: PSF-2.0\n%description\nA stand-in for a Python stdlib package.\n"
        "%install\nmkdir -p %{buildroot}%{_libdir}/python3.12\n"
        f"{lines}\n"
        "%marker_tool_install -- --preset fedora\n"
        "%check\n%marker_tool_check -s\n"
        "%files\n%{_libdir}/python3.12/\n"
    )
    return spec


def test_a_stdlib_spec_using_the_macros_builds_a_package_check_passes(tmp_path: Path) -> None:
    spec = stdlib_spec(tmp_path)
    top = tmp_path / "top"
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
    subprocess.run(
        [
            tool("rpmbuild"),
            "-bb",
            "--quiet",
            "--load",
            str(MACROS),
            "--define",
            f"_topdir {top}",
            "--define",
            "python3_version 3.12",
            "--define",
            f"__marker_tool {MARKER_TOOL}",
            "--define",
            "__os_install_post %{nil}",
            "--define",
            "_build_id_links none",
            str(spec),
        ],
        check=True,
        env=env,
        capture_output=True,
    )
    [rpm] = list(top.rglob("*.rpm"))
    listing = subprocess.run(
        [tool("rpm"), "-qlp", "--dump", str(rpm)], capture_output=True, text=True, check=True
    ).stdout
    [line] = [line for line in listing.splitlines() if "EXTERNALLY-MANAGED" in line]
    path, _, _, _, mode, user, group, *_ = line.split()
    assert (path, mode, user, group) == (
        "/usr/lib64/python3.12/EXTERNALLY-MANAGED",
        "0100644",
        "root",
        "root",
    )
    [report] = check([rpm], strict=True)
    assert report.verdict == "PASSED", report
    assert "Fedora" in (report.shown[0].text or "")


def already_installed(site: Path) -> None:
    """A marker-tool of the same version, installed where the build's python3 finds it."""
    info = site / f"marker_tool-{__version__}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: marker-tool\nVersion: {__version__}\n"
    )
    (info / "RECORD").write_text("")


def build_the_spec(tmp_path: Path) -> tuple[Path, str]:
    """(the rpm, rpmbuild's output) of the spec built as docs/packaging.md says on Debian.

    Kept under build/rpm/ by what goes in: the release tarball (the spec is in it) and
    the system's packages (rpmbuild, the python3 that %check runs the fast suite under).
    """
    top = tmp_path / "top"
    tarball = orig_tarball(top / "SOURCES")
    tarball = tarball.rename(top / "SOURCES" / f"marker-tool-{__version__}.tar.gz")
    installed = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Package} ${Version} ${Architecture}\n"],
        capture_output=True,
        check=True,
    ).stdout
    key = content_key(tarball.read_bytes(), installed)

    def build(kept: Path) -> None:
        result = subprocess.run(
            [
                tool("rpmbuild"),
                "-bb",
                "--nodeps",
                "--define",
                f"_topdir {top}",
                str(ROOT / "rpm" / "marker-tool.spec"),
            ],
            env=SYSTEM | {"HOME": str(tmp_path), "PYTHONPATH": str(tmp_path / "site")},
            capture_output=True,
            text=True,
            check=False,
            timeout=1800,
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        [rpm] = list(top.rglob("*.rpm"))
        shutil.copy(rpm, kept / rpm.name)
        (kept / "rpmbuild.log").write_text(result.stdout + result.stderr, encoding="utf-8")

    already_installed(tmp_path / "site")
    kept = cached_directory(f"rpm/{key}", build)
    note_program("rpmbuild")  # here, or for the same inputs before
    [rpm] = list(kept.glob("*.rpm"))
    return rpm, (kept / "rpmbuild.log").read_text(encoding="utf-8")


def test_marker_tools_own_rpm_builds_and_runs_under_the_system_python(tmp_path: Path) -> None:
    """The spec as docs/packaging.md builds it on Debian: the release tarball, --nodeps.

    A marker-tool of the same version is already installed where the build's python3
    looks (PYTHONPATH): pip must install into the buildroot all the same. %check runs
    the fast suite under the system python3, against the buildroot's module.
    """
    rpm, log = build_the_spec(tmp_path)
    assert "Executing(%check)" in log
    assert " passed" in log
    assert " deselected" in log
    assert " failed" not in log
    files = subprocess.run(
        [tool("rpm"), "-qlp", str(rpm)], capture_output=True, text=True, check=True
    ).stdout.split()
    assert "/usr/bin/marker-tool" in files
    assert "/usr/lib/rpm/macros.d/macros.marker-tool" in files
    docs = subprocess.run(
        [tool("rpm"), "-qp", "--qf", "[%{FILEFLAGS:fflags} %{FILENAMES}\\n]", str(rpm)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    flagged = {line.split(" ", 1)[1]: line.split(" ", 1)[0] for line in docs}
    licenses = [path for path, flags in flagged.items() if "l" in flags]
    assert [Path(path).name for path in licenses] == ["LICENSE"], flagged
    # %{_docdir}/marker-tool on Fedora, marker-tool-VERSION with Debian's rpm defaults
    documents = {path.split("/", 5)[5] for path, flags in flagged.items() if "d" in flags}
    assert {"README.md", "CHANGELOG.md", "docs/packaging.md"} <= documents, flagged
    root = tmp_path / "root"
    root.mkdir()
    subprocess.run(
        f"{tool('rpm2cpio')} {rpm} | {tool('cpio')} -idm --quiet", shell=True, cwd=root, check=True
    )
    [site] = list(root.glob("usr/lib/python3*/*-packages"))
    metadata = (site / f"marker_tool-{__version__}.dist-info" / "METADATA").read_text()
    assert "Requires-Dist: python-debian" in metadata  # what the distributions have
    assert "inspector" not in metadata
    args = ["render", "--preset", "debian", "--python", "3.11", "--locale", "de"]
    theirs = subprocess.run(
        ["/usr/bin/python3", "-m", "marker_tool", *args],
        env={**SYSTEM, "HOME": str(tmp_path), "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    ours = subprocess.run(
        [str(MARKER_TOOL), *args], capture_output=True, text=True, check=True
    ).stdout
    assert theirs == ours
