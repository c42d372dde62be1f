"""Clean Debian systems for the tests: one mmdebstrap root per suite and package set.

A `Spec` names a suite, a variant, the packages to include and the
architectures; `base(spec)` is its root filesystem, made once by mmdebstrap
from Debian's archive into build/chroots/ (a directory, renamed into place
when complete, so a killed run leaves nothing half-made) and reused until it
is removed. With `keep_cache`, the .debs mmdebstrap installed stay in its
/var/cache/apt/archives: they are the packages that system is made of.

A test that changes a system works in `throwaway(base)`: an overlay mount over
the cached root, with /proc, /dev and /sys mounted for commands that need them,
all unmounted and removed afterwards. Nothing touches the machine's own apt
configuration. Needs root and mmdebstrap: in CI their absence fails the test.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.realprograms import REPO, require

CACHE = REPO / "build" / "chroots"
MIRROR = "http://deb.debian.org/debian"
#: Every suite the archive serves; the mirror may serve sid's and forky's Release past
#: its Valid-Until, so apt is told not to check it (shared/docs/build-notes.md).
SUITES = ("bullseye", "bookworm", "trixie", "forky", "sid")
#: What apt inside any of these systems is told.
APT_OPTIONS = ('Acquire::Check-Valid-Until "false"',)


@dataclass(frozen=True)
class Spec:
    """One system: `mmdebstrap --variant=VARIANT --include=... SUITE`."""

    suite: str
    include: tuple[str, ...] = ()
    variant: str = "apt"
    architectures: tuple[str, ...] = ("amd64",)
    #: Keep the package lists, so apt inside resolves `./x.deb` and build-deps offline.
    keep_lists: bool = True
    #: `directory` (`base`) or `tar`: a root filesystem tarball (`tarball`), as users
    #: feed `podman import` or `umoci raw add-layer`.
    format: str = "directory"
    #: Keep the .debs it installed in /var/cache/apt/archives, for a test that takes
    #: them as input (`archives`); else they go, as users' systems and images drop them.
    keep_cache: bool = False

    def command(self, target: Path) -> list[str]:
        command = [
            "mmdebstrap",
            "--quiet",
            "--mode=root",
            f"--variant={self.variant}",
            f"--format={self.format}",
            f"--architectures={','.join(self.architectures)}",
            "--skip=cleanup/apt/cache",  # the .debs it installed are test input
            *(f"--aptopt={option}" for option in APT_OPTIONS),
        ]
        if not self.keep_cache:
            command.remove("--skip=cleanup/apt/cache")
        if self.keep_lists:
            command.append("--skip=cleanup/apt/lists")
        if self.include:
            command.append(f"--include={','.join(self.include)}")
        return [*command, self.suite, str(target), MIRROR]

    @property
    def name(self) -> str:
        """`trixie-3f2a...`: the suite, and a digest of everything else."""
        key = hashlib.sha256(repr(self.command(Path("/"))).encode()).hexdigest()[:12]
        return f"{self.suite}-{key}"


def require_root() -> None:
    require(["mmdebstrap"], root="chroot and mount")


def base(spec: Spec) -> Path:
    """The cached root of `spec`, made by mmdebstrap when missing (about a minute).

    Test processes running side by side (pytest-xdist) wait on one lock per
    system, so each is made once.
    """
    require_root()
    root = CACHE / spec.name
    if root.is_dir():
        return root
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f"{spec.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if root.is_dir():
            return root
        partial = CACHE / f"{spec.name}.partial"
        if partial.exists():
            subprocess.run(["rm", "-rf", "--one-file-system", str(partial)], check=True)
        made = subprocess.run(spec.command(partial), capture_output=True, text=True, check=False)
        assert made.returncode == 0, f"mmdebstrap {spec.suite} failed:\n{made.stderr[-4000:]}"
        partial.rename(root)
    return root


def tarball(spec: Spec) -> Path:
    """The cached root filesystem tarball of `spec` (`format="tar"`), made when missing."""
    assert spec.format == "tar", spec
    require_root()
    made = CACHE / f"{spec.name}.tar"
    if made.is_file():
        return made
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f"{spec.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if made.is_file():
            return made
        partial = CACHE / f"{spec.name}.partial.tar"
        partial.unlink(missing_ok=True)
        run = subprocess.run(spec.command(partial), capture_output=True, text=True, check=False)
        assert run.returncode == 0, f"mmdebstrap {spec.suite} failed:\n{run.stderr[-4000:]}"
        partial.rename(made)
    return made


def archives(root: Path) -> list[Path]:
    """The .debs a cached system was made of (its apt cache)."""
    return sorted((root / "var/cache/apt/archives").glob("*.deb"))


@dataclass
class Chroot:
    """A root filesystem; commands run in it with chroot(8)."""

    root: Path

    def run(
        self,
        command: str | Sequence[str],
        *,
        check: bool = True,
        env: Mapping[str, str] | None = None,
        timeout: float = 900,
    ) -> subprocess.CompletedProcess[str]:
        argv = ["/bin/sh", "-c", command] if isinstance(command, str) else list(command)
        result = subprocess.run(
            ["chroot", str(self.root), *argv],
            env={
                "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "HOME": "/root",
                "LC_ALL": "C.UTF-8",
                "DEBIAN_FRONTEND": "noninteractive",
                "SOURCE_DATE_EPOCH": "1700000000",
                **(env or {}),
            },
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )
        if check:
            assert result.returncode == 0, (
                f"in {self.root}: {command}\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
            )
        return result

    def path(self, inside: str) -> Path:
        return self.root / inside.lstrip("/")


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True)


@contextlib.contextmanager
def throwaway(lower: Path, *, pseudo: bool = True) -> Iterator[Chroot]:
    """A writable copy of the system at `lower` (an overlay: nothing is copied).

    `pseudo`: mount /proc, /sys and /dev inside for the commands that need them.
    """
    require_root()
    scratch = Path(tempfile.mkdtemp(prefix="chroot-", dir=CACHE))
    upper, work, merged = scratch / "upper", scratch / "work", scratch / "root"
    for directory in (upper, work, merged):
        directory.mkdir()
    mounted: list[Path] = []
    try:
        _mount(
            "-t",
            "overlay",
            "overlay",
            "-o",
            f"lowerdir={lower},upperdir={upper},workdir={work}",
            str(merged),
        )
        mounted.append(merged)
        if pseudo:
            for kind, inside in (("proc", "proc"), ("sysfs", "sys")):
                _mount("-t", kind, kind, str(merged / inside))
                mounted.append(merged / inside)
            _mount("--rbind", "/dev", str(merged / "dev"))
            _mount("--make-rslave", str(merged / "dev"))
            mounted.append(merged / "dev")
        yield Chroot(merged)
    finally:
        for point in reversed(mounted):
            subprocess.run(["umount", "--recursive", "--lazy", str(point)], check=False)
        subprocess.run(["rm", "-rf", "--one-file-system", str(scratch)], check=False)
