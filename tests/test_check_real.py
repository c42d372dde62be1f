"""`check` on Debian's real stdlib packages, and end to end: unpacked, the real pip shows its text.

The packages come from tests/fetch-debian-packages (bookworm's 3.11 and
trixie's 3.13, downloaded into build/debs by `make test`).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from marker_tool.check import Shown, check
from marker_tool.preview import pip_block
from marker_tool.sources.deb import read_deb
from tests.packages import MARKER, File, build_deb, build_rpm, stdlib_tree, tool
from tests.realprograms import missing, run_pip, stage_python

pytestmark = pytest.mark.real
DEBS = Path(__file__).resolve().parent.parent / "build" / "debs"


def real_debs(xy: str) -> tuple[Path, Path]:
    """(libpython3.X-stdlib, python3.X) as Debian ships them."""
    stdlib = sorted(DEBS.glob(f"libpython{xy}-stdlib_*.deb"))
    docs = sorted(DEBS.glob(f"python{xy}_*.deb"))
    if not stdlib or not docs:
        missing(
            f"Debian's libpython{xy}-stdlib and python{xy} in {DEBS} (tests/fetch-debian-packages)"
        )
    return stdlib[-1], docs[-1]


@pytest.mark.parametrize("xy", ["3.11", "3.13"])
def test_debian_stdlib_marker_cites_a_readme_of_a_package_it_does_not_depend_on(
    xy: str,
) -> None:
    stdlib, docs = real_debs(xy)
    first, second = check([stdlib, docs])
    assert first.verdict == "PASSED with warnings", first
    assert first.codes() == ["EM606"]
    message = first.findings[0].message
    assert f"/usr/share/doc/python{xy}/README.venv" in message
    assert f"`{second.label}`" in message
    assert "does not depend on it" in message
    assert second.verdict == "PASSED"
    [shown] = first.shown
    assert shown.outcome == "message"
    assert shown.text is not None
    assert "python3 -m venv" in shown.text


@pytest.mark.parametrize("xy", ["3.11", "3.13"])
def test_debian_stdlib_is_read_only_as_far_as_its_marker(xy: str) -> None:
    stdlib, _ = real_debs(xy)
    early, full = read_deb(str(stdlib)), read_deb(str(stdlib), early=False)
    assert not early.complete
    assert full.complete
    assert early.markers == full.markers
    assert len(early.entries) < len(full.entries) / 10


@pytest.mark.parametrize("xy", ["3.11", "3.13"])
def test_deb_reader_agrees_with_dpkg_deb_on_debians_package(xy: str) -> None:
    stdlib, _ = real_debs(xy)
    listing = subprocess.run(
        [tool("dpkg-deb"), "-c", str(stdlib)], capture_output=True, text=True, check=True
    ).stdout
    theirs = {}
    for line in listing.splitlines():
        perms, owner, size, _, _, name, *rest = line.split()
        if name.removeprefix("./").rstrip("/"):
            theirs[name.removeprefix("./").rstrip("/")] = (perms[1:], owner, int(size), rest[1:])
    import stat

    ours = {
        e.path: (
            stat.filemode(e.mode)[1:],
            "/".join(e.owner),
            e.size if e.kind == "file" else 0,
            [e.link] if e.link else [],
        )
        for e in read_deb(str(stdlib), early=False).entries.values()
    }
    assert ours == theirs


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
