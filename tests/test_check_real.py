"""`check` on Debian's real packages: whole source builds, each package alone, broken copies,
and end to end: unpacked, the real pip shows what check reports.

The packages come from tests/fetch-debian-packages (every binary package of
bookworm's python3.11, trixie's python3.13 and forky's python3.14 source
builds, and a few dozen others, downloaded into build/debs by `make test`).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from marker_tool.check import Shown, check
from marker_tool.cli import cli
from marker_tool.model import PythonVersion
from marker_tool.preview import pip_block
from marker_tool.sources.base import stdlib_dirs
from marker_tool.sources.deb import read_deb
from tests.packages import (
    BUILDS,
    DEBS,
    MARKER,
    File,
    build,
    build_deb,
    build_rpm,
    others,
    package,
    real_debs,
    stdlib_tree,
    tool,
)
from tests.realprograms import run_pip, stage_python

pytestmark = pytest.mark.real


@pytest.mark.parametrize("xy", sorted(BUILDS))
def test_a_real_source_build_checked_together_passes_with_one_known_warning(xy: str) -> None:
    debs = build(xy)
    reports = check(debs)
    found = {r.label.split("_")[0]: r.codes() for r in reports if r.codes()}
    # The one true finding: the marker cites README.venv, which python3.X ships and
    # libpython3.X-stdlib does not depend on.
    assert found == {f"libpython{xy}-stdlib": ["EM606"]}
    assert len(reports) == len(debs)
    assert all(r.passed for r in reports)
    result = CliRunner().invoke(cli, ["check", *map(str, debs)])
    assert result.exit_code == 0, result.output
    assert result.output.endswith(
        f"{len(debs)} checked: {len(debs) - 1} passed, 1 passed with warnings, 0 failed\n"
    )


@pytest.mark.parametrize("xy", sorted(BUILDS))
def test_each_package_of_a_real_build_alone_gets_its_documented_verdict(xy: str) -> None:
    for deb in build(xy):
        [report] = check([deb])
        name = report.label.split("_")[0]
        if name == f"libpython{xy}-minimal":  # os.py without the marker: split stdlib
            assert report.codes() == ["EM601"], report
            assert "check a split stdlib's packages together" in report.findings[0].message
        elif name == f"libpython{xy}-stdlib":  # README.venv is in python3.X
            assert report.codes() == ["EM606"], report
        elif report.stdlibs or report.shown:
            assert report.codes() == [], report
        else:  # no Python in it: nothing checked, unless that is expected
            assert report.codes() == ["EM610"], report
            [report] = check([deb], allow_no_python=True)
            assert report.codes() == [], report


@pytest.mark.parametrize("xy", sorted(BUILDS))
def test_stdlib_dirs_of_every_real_package(xy: str) -> None:
    taken = {}
    for deb in [*build(xy), *others()]:
        dirs = stdlib_dirs(read_deb(str(deb)).entries)
        if dirs:
            taken[deb.name.split("_")[0]] = dirs
    python = PythonVersion.parse(xy)
    assert taken == {
        f"libpython{xy}-minimal": {f"usr/lib/python{xy}": python},
        f"libpython{xy}-stdlib": {f"usr/lib/python{xy}": python},
    }


def test_a_mix_of_builds_and_other_packages_passes() -> None:
    debs = [*build("3.11"), *build("3.13"), *others()]
    reports = check(debs)
    assert [r.label.split("_")[0] for r in reports if r.codes()] == [
        "libpython3.11-stdlib",
        "libpython3.13-stdlib",
    ]
    assert all(r.passed for r in reports)


def test_require_python_is_asked_of_the_build_not_of_each_package() -> None:
    debs = build("3.11")
    assert all(r.passed for r in check(debs, require_python=[PythonVersion.parse("3.11")]))
    reports = check(debs, require_python=[PythonVersion.parse("3.12")])
    failed = [r for r in reports if not r.passed]
    assert [(r.format, r.codes()) for r in failed] == [("system", ["EM601"])]
    assert "no marker for Python 3.12" in failed[0].findings[0].message


def test_a_folder_of_packages_is_checked_as_those_packages(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["check", str(DEBS / "python3.11")])
    assert result.exit_code == 0, result.output
    assert f"{len(build('3.11'))} checked:" in result.output
    mixed = tmp_path / "mixed"
    (mixed / "usr").mkdir(parents=True)
    shutil.copy(package("3.11", "libpython3.11-minimal"), mixed)
    result = CliRunner().invoke(cli, ["check", str(mixed)])
    assert result.exit_code == 1
    assert "EM600" in result.output
    assert "holds both packages and a tree" in result.output


def test_a_changes_file_is_one_build(tmp_path: Path) -> None:
    for deb in build("3.11"):
        os.symlink(deb, tmp_path / deb.name)
    lines = [
        f" {hashlib.sha256(d.read_bytes()).hexdigest()} {d.stat().st_size} {d.name}"
        for d in build("3.11")
    ]
    changes = tmp_path / "python3.11_3.11.2-6+deb12u8_amd64.changes"
    changes.write_text(
        "Format: 1.8\nSource: python3.11\nArchitecture: amd64 all\n"
        "Checksums-Sha256:\n" + "\n".join(lines) + "\n"
    )
    reports = check([changes])
    assert len(reports) == len(build("3.11"))
    assert [r.label.split("_")[0] for r in reports if r.codes()] == ["libpython3.11-stdlib"]
    assert {r.system for r in reports} == {str(changes)}
    # A package that is not the one the .changes lists: the whole upload is unreadable.
    changes.write_text(changes.read_text().replace(lines[3][:9], " 00000000"))
    [report] = check([changes])
    assert report.codes() == ["EM600"]


# -- broken copies of a real package: never PASSED ---------------------------------------------


def broken(tmp_path: Path, name: str, change: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(change)
    return path


def test_a_truncated_real_package_is_unreadable(tmp_path: Path) -> None:
    data = package("3.11", "libpython3.11-stdlib").read_bytes()
    for size in (20_000, len(data) // 2, len(data) - 100):
        cut = broken(tmp_path, f"cut-{size}.deb", data[:size])
        [report] = check([cut])
        assert report.codes() == ["EM600"], (size, report)
        assert "truncated" in report.findings[0].message


def test_a_real_package_zeroed_after_its_marker_is_unreadable(tmp_path: Path) -> None:
    deb = package("3.11", "libpython3.11-stdlib")
    data = bytearray(deb.read_bytes())
    # The data member starts after the control member; its marker is in the first
    # few hundred kilobytes of the payload: zero 4 KiB well after that.
    at = len(data) // 2
    data[at : at + 4096] = bytes(4096)
    zeroed = broken(tmp_path, "zeroed.deb", bytes(data))
    listing = subprocess.run(
        [tool("dpkg-deb"), "-c", str(zeroed)], check=False, capture_output=True
    )
    assert listing.returncode != 0  # dpkg-deb refuses it too
    [report] = check([zeroed])
    assert report.codes() == ["EM600"], report
    assert "corrupt" in report.findings[0].message


def test_a_symlinked_marker_in_a_real_package_is_found(tmp_path: Path) -> None:
    root = tmp_path / "root"
    subprocess.run(
        [tool("dpkg-deb"), "-R", str(package("3.11", "libpython3.11-stdlib")), str(root)],
        check=True,
    )
    (root / "usr/lib/python3.12").mkdir()
    os.symlink("../python3.11/EXTERNALLY-MANAGED", root / "usr/lib/python3.12/EXTERNALLY-MANAGED")
    deb = tmp_path / "linked.deb"
    subprocess.run(
        [tool("dpkg-deb"), "--root-owner-group", "-Zxz", "-b", str(root), str(deb)],
        check=True,
        capture_output=True,
    )
    [report] = check([deb])
    assert "EM602" in report.codes(), report
    shutil.rmtree(root / "DEBIAN")
    [tree] = check([root])
    assert "EM602" in tree.codes(), tree


# -- end to end: unpack with the distribution's tools, ask the real pip -----------------------


def unpack(package: Path, root: Path) -> None:
    root.mkdir()
    if package.suffix == ".deb":
        subprocess.run([tool("dpkg-deb"), "-x", str(package), str(root)], check=True)
    else:
        rpm2cpio, cpio = tool("rpm2cpio"), tool("cpio")
        subprocess.run(
            f"{rpm2cpio} {package} | {cpio} -idm --quiet",
            shell=True,
            cwd=root,
            check=True,
        )


def pip_shows(tmp_path: Path, shown: Shown, marker: Path) -> str:
    """The real pip's stderr with `marker` as the staged interpreter's marker."""
    staged = stage_python(f"{shown.python.major}.{shown.python.minor}", tmp_path / "py")
    shutil.copyfile(marker, staged.marker)
    return run_pip(staged, tmp_path).stderr


@pytest.mark.parametrize("xy", ["3.11", "3.13"])
def test_real_pip_shows_what_check_reports_for_debians_package(tmp_path: Path, xy: str) -> None:
    stdlib, _ = real_debs(xy)
    [report] = check([stdlib])
    [shown] = report.shown
    unpack(stdlib, tmp_path / "root")
    stderr = pip_shows(tmp_path, shown, tmp_path / "root" / shown.path)
    assert shown.text is not None
    assert pip_block(shown.text) in stderr


CASES = {
    "deb": ("usr/lib/python3.12", MARKER),
    "rpm": ("usr/lib64/python3.12", MARKER),
    "deb-unreadable": ("usr/lib/python3.12", b"[externally-managed]\nError = caf\xe9\n"),
    "rpm-crlf": ("usr/lib64/python3.12", MARKER.replace(b"\n", b"\r\n")),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_real_pip_shows_what_check_reports_for_each_layout(tmp_path: Path, case: str) -> None:
    stdlib, marker = CASES[case]
    tree = stdlib_tree(stdlib, marker=marker)
    tree["usr/share/doc/p/README"] = File(b"x")
    package = tmp_path / f"p.{case[:3]}"
    (build_deb if case.startswith("deb") else build_rpm)(tree, package)
    [report] = check([package])
    [shown] = report.shown
    unpack(package, tmp_path / "root")
    stderr = pip_shows(tmp_path, shown, tmp_path / "root" / shown.path)
    if shown.outcome == "generic":  # pip cannot read it: its own text, after a warning
        assert "WARNING: Failed to read" in stderr
        assert "The Python environment under" in stderr
        assert "EM101" in report.codes()
    else:
        assert shown.text is not None
        assert pip_block(shown.text) in stderr
