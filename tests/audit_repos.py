"""Real repositories for `audit`'s tests: apt-ftparchive over real Debian packages, createrepo_c
over rpms built here, each signed with a throwaway key made with gpg.

The Debian packages are the real ones tests/fetch-debian-packages puts under build/debs/
(bookworm's python3.11, trixie's python3.13, forky's python3.14). What no archive has is
made from them with dpkg-deb: a package repacked for another architecture, a stdlib package
repacked without its marker, a derivative's branding package that diverts the marker.

In CI (`CI` or `MARKER_TOOL_REQUIRE_ALL` set) a missing tool or package fails the test.
"""

from __future__ import annotations

import gzip
import lzma
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.packages import DEBS, FETCHED
from tests.realprograms import missing, note_program

BRANDED = b"""[externally-managed]
Error = Acme Linux manages this Python: install Python packages with
 apt install python3-xyz, or make a virtual environment with python3 -m venv.
"""


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        missing(name)
        raise AssertionError("unreachable")
    return found


def real_deb(source: str, name: str) -> Path:
    """A real Debian package fetched by tests/fetch-debian-packages."""
    found = sorted((DEBS / source).glob(f"{name}_*.deb"))
    if not found:
        missing(f"the real Debian package {name} (make build/debs/.fetched)")
    note_program(FETCHED)
    return found[0]


def run(*command: str | Path, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [str(c) for c in command], cwd=cwd, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"{command[:3]} failed: {done.stderr}"
    return done.stdout


def repack(
    deb: Path,
    dest: Path,
    *,
    arch: str | None = None,
    version: str | None = None,
    drop: Sequence[str] = (),
) -> Path:
    """`deb` unpacked and built again by dpkg-deb: for another architecture or version, or
    without some of its files (their md5sums lines go too)."""
    work = dest.parent / f".{dest.name}.tree"
    shutil.rmtree(work, ignore_errors=True)
    run(tool("dpkg-deb"), "-R", deb, work)
    control = (work / "DEBIAN" / "control").read_text()
    lines = control.splitlines()
    if arch is not None:
        lines = [f"Architecture: {arch}" if x.startswith("Architecture:") else x for x in lines]
    if version is not None:
        lines = [f"Version: {version}" if x.startswith("Version:") else x for x in lines]
    (work / "DEBIAN" / "control").write_text("\n".join(lines) + "\n")
    for where in drop:
        (work / where).unlink()
        sums = work / "DEBIAN" / "md5sums"
        if sums.exists():
            kept = [x for x in sums.read_text().splitlines() if not x.endswith(f"  {where}")]
            sums.write_text("".join(f"{x}\n" for x in kept))
    run(tool("dpkg-deb"), "-Zxz", "--build", work, dest)
    shutil.rmtree(work)
    return dest


def branding_deb(dest: Path, python: str = "3.11", *, divert: bool = True) -> Path:
    """A derivative's branding package: its own marker over the stdlib's, diverted."""
    work = dest.parent / f".{dest.name}.tree"
    shutil.rmtree(work, ignore_errors=True)
    stdlib = work / "usr" / "lib" / f"python{python}"
    stdlib.mkdir(parents=True)
    (stdlib / "EXTERNALLY-MANAGED").write_bytes(BRANDED)
    (work / "DEBIAN").mkdir()
    (work / "DEBIAN" / "control").write_text(
        "Package: acme-python-branding\nSource: acme-branding\nVersion: 1.0\n"
        "Architecture: all\nMaintainer: Acme <python@acme.example>\n"
        "Description: Acme's marker for Debian's Python\n"
    )
    if divert:
        marker = f"/usr/lib/python{python}/EXTERNALLY-MANAGED"
        script = work / "DEBIAN" / "preinst"
        script.write_text(
            "#!/bin/sh\nset -e\n"
            f"dpkg-divert --package acme-python-branding --rename --add {marker}\n"
        )
        script.chmod(0o755)
    run(tool("dpkg-deb"), "--root-owner-group", "-Zxz", "--build", work, dest)
    shutil.rmtree(work)
    return dest


@dataclass(frozen=True)
class Key:
    """A throwaway signing key: its gpg home and the public keyring gpgv reads."""

    home: Path
    keyring: Path


def make_key(where: Path) -> Key:
    gpg = tool("gpg")
    tool("gpgv")
    home = where / "gnupg"
    home.mkdir(mode=0o700, parents=True)
    run(
        gpg, "--homedir", home, "--batch", "--pinentry-mode", "loopback", "--passphrase", "",
        "--quick-gen-key", "Test Archive <archive@example.org>", "ed25519", "sign", "never",
    )  # fmt: skip
    keyring = where / "archive-keyring.gpg"
    keyring.write_bytes(subprocess.run([gpg, "--homedir", home, "--export"],
                                       capture_output=True, check=True).stdout)  # fmt: skip
    key = Key(home, keyring)
    stop_agent(key)
    return key


def apt_repository(
    root: Path,
    suites: dict[str, dict[str, Sequence[Path]]],
    key: Key | None,
    *,
    valid_until: str | None = None,
    inline: bool = True,
) -> Path:
    """An apt repository at `root`: suite -> architecture -> its .deb files, each suite with
    Packages.xz, Contents-<arch>.gz and a Release signed with `key` (InRelease, or Release
    and Release.gpg), as apt-ftparchive writes them."""
    ftparchive = tool("apt-ftparchive")
    for suite, archs in suites.items():
        pool = root / "pool" / suite
        dists = root / "dists" / suite
        for arch, debs in archs.items():
            where = pool / arch
            where.mkdir(parents=True, exist_ok=True)
            for deb in debs:
                shutil.copy(deb, where / deb.name)
            binary = dists / "main" / f"binary-{arch}"
            binary.mkdir(parents=True, exist_ok=True)
            packages = run(ftparchive, "packages", where.relative_to(root), cwd=root)
            (binary / "Packages.xz").write_bytes(lzma.compress(packages.encode()))
            contents = run(ftparchive, "contents", where.relative_to(root), cwd=root)
            (dists / "main" / f"Contents-{arch}.gz").write_bytes(
                gzip.compress(contents.encode(), mtime=0)
            )
        options = [
            "-o", f"APT::FTPArchive::Release::Suite={suite}",
            "-o", f"APT::FTPArchive::Release::Codename={suite}",
            "-o", "APT::FTPArchive::Release::Origin=Test",
            "-o", f"APT::FTPArchive::Release::Architectures={' '.join(archs)}",
            "-o", "APT::FTPArchive::Release::Components=main",
        ]  # fmt: skip
        release = run(ftparchive, *options, "release", dists)
        if valid_until is not None:
            release = f"Valid-Until: {valid_until}\n{release}"
        (dists / "Release").write_text(release)
        if key is not None:
            sign: list[str | Path] = [tool("gpg"), "--homedir", key.home, "--batch", "--yes"]
            if inline:
                run(*sign, "--clearsign", "-o", dists / "InRelease", dists / "Release")
                (dists / "Release").unlink()
            else:
                run(*sign, "--detach-sign", "-o", dists / "Release.gpg", dists / "Release")
    if key is not None:
        stop_agent(key)
    return root


def stop_agent(key: Key) -> None:
    """End the gpg-agent that gpg started for the key's home (it outlives the test)."""
    run(tool("gpgconf"), "--homedir", key.home, "--kill", "gpg-agent")
