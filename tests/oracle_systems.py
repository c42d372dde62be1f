"""The Debian systems the oracle asks, made once and cached under build/.

- Per suite, a chroot (mmdebstrap, tests/chroots.py) into which dpkg
  installed every binary package of the suite's Python source builds
  (tests/corpus.py: every `python3.X`, `pypy3`, `python3-defaults`) at the
  corpus's versions, and python3-pip. Its apt cache holds the .debs it
  installed: they are `check`'s input, and they are the corpus's files.
- The same chroot as a tree, as a user leaves it: a venv in /opt/venv and a
  copy of the default Python's stdlib and interpreter in /usr/local (what
  CPython's `make install` writes there, without a marker).
- Root filesystem tarballs (mmdebstrap --format=tar, minbase with python3,
  pypy3 and python3-venv) of bookworm and trixie, and their extraction by tar.
- A pypy3 build whose pypy3-lib lost its marker (dpkg-deb -R, the marker and
  its md5sums line removed, dpkg-deb -b).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

from tests.chroots import Chroot, Spec, archives, base, tarball, throwaway
from tests.corpus import CORPUS, Binary, fetched
from tests.realprograms import missing

REPO = Path(__file__).resolve().parent.parent
ORACLE = REPO / "build" / "oracle"
#: The suites whose root filesystems become tarballs and images.
IMAGED = ("bookworm", "trixie")
#: A venv, and the default Python copied into /usr/local, in every chroot's tree.
VENV = "/opt/venv"


def the_corpus() -> list[Binary]:
    found = fetched()
    if found is None:
        missing("the Python builds corpus (`python -m tests.corpus` failed)")
        raise AssertionError("unreachable")
    return found


def binaries(
    suite: str, arches: Sequence[str] = ("amd64", "all"), sources: Sequence[str] | None = None
) -> list[Binary]:
    """The corpus's packages of `suite` for `arches`, of `sources` (None: every source)."""
    return [
        b
        for b in the_corpus()
        if b.suite == suite and b.arch in arches and (sources is None or b.source in sources)
    ]


def sources_of(suite: str) -> list[str]:
    return sorted({b.source for b in binaries(suite)})


def paths(group: Sequence[Binary]) -> list[Path]:
    return [CORPUS / b.file for b in group]


def python_spec(suite: str) -> Spec:
    """Every binary of the suite's Python builds (amd64), at the corpus's versions."""
    pinned = sorted(f"{b.name}={b.version}" for b in binaries(suite))
    return Spec(suite, include=(*pinned, "python3-pip"), keep_cache=True)


@functools.cache
def python_chroot(suite: str) -> Path:
    return base(python_spec(suite))


def installed(suite: str, group: Sequence[Binary]) -> list[Path]:
    """The .debs of `group` as the suite's chroot installed them (its apt cache).

    They are the corpus's very files (the same sha256), so what the chroot's
    interpreters say is the truth about the corpus's packages too.
    """
    cache = {p.name: p for p in archives(python_chroot(suite))}
    found = []
    for binary in group:
        name = Path(binary.file).name
        assert name in cache, f"{name}: not in the apt cache of the {suite} chroot"
        digest = sha256_of(cache[name])
        assert digest == binary.sha256, f"{name}: the chroot installed another file than the corpus"
        share(CORPUS / binary.file, cache[name])
        found.append(cache[name])
    return found


def share(original: Path, copy: Path) -> None:
    """`copy`, a file equal to `original`, becomes a hard link to it (renamed into place,
    so a reader never misses it): the apt caches would otherwise hold the corpus again."""
    if copy.samefile(original):
        return
    linked = copy.with_name(f".{copy.name}.{os.getpid()}.link")
    linked.unlink(missing_ok=True)
    os.link(original, linked)
    os.replace(linked, copy)


def sha256_of(path: Path) -> str:
    """The file's sha256, kept beside its size and mtime: the apt cache's files do not
    change once written, and hashing a suite's builds again costs seconds per run."""
    kept = ORACLE / "sha256" / hashlib.sha256(str(path).encode()).hexdigest()
    stat = path.stat()
    stamp = f"{stat.st_size} {stat.st_mtime_ns} "
    if kept.is_file() and kept.read_text().startswith(stamp):
        return kept.read_text().removeprefix(stamp)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.write_text(stamp + digest)
    return digest


def owners(root: Path, files: Sequence[str]) -> dict[str, str]:
    """The package whose file is at each path of the system, as dpkg's database says.

    A diverted path holds the diverting package's file (python3.13-nopie's
    /usr/bin/python3.13), and the file diverted away is the other package's
    (python3.13-minimal's, at /usr/bin/python3.13-pie).
    """
    if not files:
        return {}
    diverted_from: dict[str, tuple[str, str]] = {}  # target -> (original path, diverter)
    diverter_of: dict[str, str] = {}  # original path -> diverter
    listed: dict[str, list[str]] = {}
    asked = [*files]
    for _ in range(2):  # once more for the original paths of diversion targets
        found = subprocess.run(
            ["chroot", str(root), "dpkg-query", "--search", *asked],
            capture_output=True,
            text=True,
            check=False,
        )
        pending: dict[str, str] = {}
        for line in found.stdout.splitlines():
            if line.startswith("diversion by "):
                head, _, path = line.partition(": ")
                package, _, way = head.removeprefix("diversion by ").rpartition(" ")
                if way == "from":
                    pending[package] = path
                    diverter_of[path] = package
                elif way == "to" and package in pending:
                    diverted_from[path] = (pending[package], package)
                continue
            packages, _, path = line.rpartition(": ")
            listed[path] = [p.strip().split(":")[0] for p in packages.split(",")]
        asked = [o for o, _ in diverted_from.values() if o not in listed]
        if not asked:
            break
    out: dict[str, str] = {}
    for path in files:
        if path in diverted_from:
            original, diverter = diverted_from[path]
            others = [p for p in listed.get(original, []) if p != diverter]
            if others:
                out[path] = others[0]
        elif path in diverter_of:
            out[path] = diverter_of[path]
        elif listed.get(path):
            out[path] = listed[path][0]
    return out


def setup_tree(chroot: Chroot) -> None:
    """A venv, and a /usr/local Python without a marker, as users leave them."""
    chroot.run(f"python3 -m venv --without-pip {VENV}")
    copy_to_usr_local(chroot)


def copy_to_usr_local(chroot: Chroot) -> None:
    """The default Python as `make install` leaves it in /usr/local: no marker there."""
    chroot.run(
        "set -e; v=$(python3 -c \"import sys; print('%d.%d' % sys.version_info[:2])\"); "
        "mkdir -p /usr/local/lib/python$v /usr/local/bin; "
        "cp -a /usr/lib/python$v/. /usr/local/lib/python$v/; "
        "rm -f /usr/local/lib/python$v/EXTERNALLY-MANAGED; "
        "cp -a /usr/bin/python$v /usr/local/bin/python$v"
    )


@contextlib.contextmanager
def tree(suite: str) -> Iterator[Path]:
    """The suite's chroot with a venv and a /usr/local Python, for one use.

    An overlay over the cached chroot without /proc, /sys or /dev inside, so
    that `check` reads the tree and nothing the kernel makes up.
    """
    with throwaway(python_chroot(suite), pseudo=False) as chroot:
        setup_tree(chroot)
        yield chroot.root


def rootfs_spec(suite: str) -> Spec:
    return Spec(
        suite,
        include=("python3", "pypy3", "python3-venv"),
        variant="minbase",
        keep_lists=False,
        format="tar",
    )


def rootfs(suite: str) -> Path:
    """The suite's root filesystem tarball, made by mmdebstrap once."""
    return tarball(rootfs_spec(suite))


def extracted(archive: Path, name: str) -> Path:
    """`archive` extracted by tar (device nodes left out) into build/oracle/extracted/NAME."""
    dest = ORACLE / "extracted" / name
    if dest.is_dir():
        return dest
    partial = dest.with_suffix(".partial")
    if partial.exists():
        subprocess.run(["rm", "-rf", "--one-file-system", str(partial)], check=True)
    partial.mkdir(parents=True)
    subprocess.run(
        [
            *("tar", "--extract", "--numeric-owner", "--file", str(archive)),
            *("--exclude=./dev/*", "-C", str(partial)),
        ],
        check=True,
        capture_output=True,
    )
    partial.rename(dest)
    return dest


def without_marker(deb: Path) -> Path:
    """A copy of `deb` rebuilt by dpkg-deb without its EXTERNALLY-MANAGED files.

    The md5sums lines of the removed files go too, so the package is what a
    build that forgot the marker writes, not a corrupted one.
    """
    dest = ORACLE / "debs" / "without-marker" / deb.name
    if dest.is_file():
        return dest
    work = dest.parent / f"{deb.stem}.tree"
    shutil.rmtree(work, ignore_errors=True)
    dest.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["dpkg-deb", "--raw-extract", str(deb), str(work)], check=True)
    removed = [p for p in work.rglob("EXTERNALLY-MANAGED") if "DEBIAN" not in p.parts]
    assert removed, f"{deb.name} has no marker"
    for path in removed:
        path.unlink()
    sums = work / "DEBIAN" / "md5sums"
    if sums.is_file():
        gone = {str(p.relative_to(work)) for p in removed}
        kept = [
            line for line in sums.read_text().splitlines() if line.split("  ", 1)[1] not in gone
        ]
        sums.write_text("".join(f"{line}\n" for line in kept))
    partial = dest.with_suffix(".partial")
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(work), str(partial)],
        check=True,
        capture_output=True,
    )
    shutil.rmtree(work)
    partial.rename(dest)
    return dest


def marker_owners(root: Path) -> dict[str, list[str]]:
    """Every marker dpkg knows in the system, with the packages it says own it.

    `dpkg-query --search` lists every owner of a path that Multi-Arch: same
    instances share (`libpython3.13-stdlib:amd64, libpython3.13-stdlib:arm64`).
    """
    asked = subprocess.run(
        ["chroot", str(root), "dpkg-query", "--search", "EXTERNALLY-MANAGED"],
        capture_output=True,
        text=True,
        check=False,
    )
    out: dict[str, list[str]] = {}
    for line in asked.stdout.splitlines():
        if line.startswith("diversion by"):
            continue
        packages, _, path = line.rpartition(": ")
        if path.endswith("/EXTERNALLY-MANAGED"):
            out[path.lstrip("/")] = sorted(p.strip() for p in packages.split(","))
    return out


def side_by_side(suite: str, foreign: Sequence[Path]) -> tuple[dict[str, list[str]], list[str]]:
    """dpkg unpacks `foreign` (other architectures' builds) beside the suite's chroot.

    Returns the owners dpkg then lists for each marker, and the lines in which
    dpkg refused to overwrite a file of another package.
    """
    with throwaway(python_chroot(suite), pseudo=False) as chroot:
        arches = sorted({p.name.rsplit("_", 1)[1].removesuffix(".deb") for p in foreign} - {"all"})
        for arch in arches:
            chroot.run(["dpkg", "--add-architecture", arch])
        inside = chroot.path("/tmp/side-by-side")
        inside.mkdir()
        for deb in foreign:
            shutil.copy(deb, inside / deb.name)
        done = chroot.run(
            [
                "dpkg",
                "--unpack",
                "--force-depends",
                *(f"/tmp/side-by-side/{p.name}" for p in foreign),
            ],
            check=False,
        )
        refused = [line for line in done.stderr.splitlines() if "trying to overwrite" in line]
        if done.returncode != 0 and not refused:
            raise AssertionError(f"dpkg --unpack failed:\n{done.stderr[-3000:]}")
        return marker_owners(chroot.root), refused
