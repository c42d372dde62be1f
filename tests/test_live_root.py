"""`check` on a live root: a Debian system with /proc, /sys and /dev mounted, from outside
and from inside (`check /` in the chroot), and an image's root unpacked by umoci.

The walk never enters a pseudo-filesystem, passes over other mounts (said in a
note; `Limits.other_mounts` reads them), names the path of every entry it
cannot read, and takes each marker's owner and digest from dpkg's database.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from marker_tool.check import check
from marker_tool.sources.base import Limits
from tests import image_corpus
from tests.chroots import Chroot, Spec, base, throwaway
from tests.realprograms import missing

pytestmark = pytest.mark.real  # mmdebstrap, chroot, mount, umoci

ROOT = Path(__file__).resolve().parent.parent
SPEC = Spec("bookworm", include=("python3",))
MARKER = "usr/lib/python3.11/EXTERNALLY-MANAGED"


@pytest.fixture
def system() -> Iterator[Chroot]:
    """A writable overlay of the cached bookworm system, each test its own (a mount)."""
    with throwaway(base(SPEC)) as chroot:
        yield chroot


def _notes(reports: Sequence[object]) -> str:
    return " ".join(n for r in reports for n in getattr(r, "notes", ()))


def test_mounted_system_from_outside(system: Chroot) -> None:
    """Its /proc, /sys and /dev are not walked; the marker is libpython3.11-stdlib's."""
    [report] = check([system.root], jobs=1)
    assert report.verdict == "PASSED", report.findings
    notes = _notes([report])
    assert "`proc/`: proc" in notes
    assert "`sys/`: sysfs" in notes
    assert f"`{MARKER}` is libpython3.11-stdlib's (dpkg)" in notes
    entries = {s.path for s in report.stdlibs}
    assert entries == {"usr/lib/python3.11"}


def test_other_mounts_are_passed_over_unless_asked(system: Chroot) -> None:
    srv = system.path("/srv/data")
    srv.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(srv)], check=True)
    try:
        (srv / "EXTERNALLY-MANAGED").write_bytes(b"[externally-managed]\nError = x\n")
        [report] = check([system.root], jobs=1)
        assert "`srv/data/`: a mount of tmpfs" in _notes([report])
        read = check([system.root], jobs=1, limits=Limits(other_mounts=True))
        assert "srv/data" not in _notes(read)
    finally:
        subprocess.run(["umount", str(srv)], check=False)


def test_an_edited_marker_differs_from_dpkg(system: Chroot) -> None:
    marker = system.path(MARKER)
    original = marker.read_bytes()
    marker.write_bytes(original.replace(b"Error", b"Error-xx = local\nError"))
    try:
        [report] = check([system.root], jobs=1)
        codes = {f.code for f in report.findings}
        assert "EM605" in codes, report.findings
    finally:
        marker.write_bytes(original)


def _inside(system: Chroot, command: str) -> subprocess.CompletedProcess[str]:
    """`command` run in the system, marker-tool and its libraries bind-mounted read-only."""
    site = Path(sys.prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    inside = system.path("/opt/marker-tool")
    libs = system.path("/opt/libs")
    for point in (inside, libs):
        point.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "--bind", "-o", "ro", str(ROOT), str(inside)], check=True)
    subprocess.run(
        ["mount", "--bind", "-o", "ro", str(site / "site-packages"), str(libs)], check=True
    )
    try:
        return system.run(
            command,
            check=False,
            env={"PYTHONPATH": "/opt/marker-tool:/opt/libs", "PYTHONDONTWRITEBYTECODE": "1"},
        )
    finally:
        subprocess.run(["umount", str(inside)], check=False)
        subprocess.run(["umount", str(libs)], check=False)


def test_check_slash_inside(system: Chroot) -> None:
    """`marker-tool check /` run in the system itself, /proc and /dev mounted there."""
    done = _inside(system, "python3 -m marker_tool check --format json /")
    assert "Traceback" not in done.stderr, done.stderr
    [package] = json.loads(done.stdout)["packages"]
    assert package["verdict"] == "PASSED", package
    notes = " ".join(package.get("notes", []))
    assert "`proc/`: proc" in notes, notes
    assert "`dev/`" in notes, notes


def test_unreadable_entries_are_named(system: Chroot) -> None:
    """As a user who cannot list a directory: a note naming it; the rest is checked."""
    locked = system.path("/srv/locked")
    locked.mkdir(parents=True, exist_ok=True)
    os.chmod(locked, 0o700)
    done = _inside(
        system,
        "setpriv --reuid=65534 --regid=65534 --clear-groups "
        "python3 -m marker_tool check --format json --allow-no-python /srv",
    )
    assert "Traceback" not in done.stderr, done.stderr
    [package] = json.loads(done.stdout)["packages"]
    assert "`locked`: Permission denied" in " ".join(package.get("notes", [])), package


def test_container_root_unpacked_by_umoci(tmp_path: Path) -> None:
    image = image_corpus.built() / "intact.oci"
    bundle = tmp_path / "bundle"
    subprocess.run(
        ["umoci", "unpack", "--rootless", "--image", f"{image}:intact", str(bundle)],
        check=True,
        capture_output=True,
    )
    [from_root] = check([bundle / "rootfs"], jobs=1)
    [from_image] = check([image], jobs=1)
    assert from_root.verdict == from_image.verdict
    assert {s.path for s in from_root.stdlibs} == {s.path for s in from_image.stdlibs}


def test_a_root_that_rpm_installed(tmp_path: Path) -> None:
    """rpm's database (SQLite) gives a marker's owner and sha256; an edited marker is
    EM605."""
    from tests.packages import build_rpm, stdlib_tree

    if shutil.which("rpm") is None:
        missing("rpm")
    package = build_rpm(stdlib_tree(), tmp_path / "python3-libs.rpm")
    root = tmp_path / "root"
    root.mkdir()
    rpm = ["rpm", "--root", str(root), "--dbpath", "/var/lib/rpm"]
    subprocess.run([*rpm, "--initdb"], check=True)
    subprocess.run([*rpm, "-i", "--nodeps", "--noscripts", str(package)], check=True)
    [report] = check([root], jobs=1)
    assert report.verdict == "PASSED", report.findings
    assert "`usr/lib/python3.12/EXTERNALLY-MANAGED` is python3-libs's (rpm)" in report.notes
    marker = root / "usr/lib/python3.12/EXTERNALLY-MANAGED"
    marker.write_bytes(marker.read_bytes() + b"Error-xx = local\n")
    [edited] = check([root], jobs=1)
    assert "EM605" in {f.code for f in edited.findings}
