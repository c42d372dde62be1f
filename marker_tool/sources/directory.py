"""Read a tree (a staging dir, DESTDIR, a chroot, a mounted image, a running system's `/`)
without following a symlink out of it.

The walk stays on the tree's own file system, as `find -xdev` does: a
directory on another device (a mount) is passed over and said so, unless
`Limits.other_mounts` asks for it; a pseudo-filesystem (proc, sysfs,
devtmpfs ...: `sources.fs`) is never entered, so `check /` does not walk
into /proc. An entry that cannot be read (it vanished, or permission is
denied) is a note naming its path, not the end of the input. Where the tree
has a package database (dpkg's, or rpm's: `sources.pkgdb`), each marker's
owning package and digest come from it: a marker edited on the system is a
digest mismatch, and the notes say which package ships each marker.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Collection
from dataclasses import dataclass, field

from marker_tool.model import MARKER_NAME
from marker_tool.sources import fs, pkgdb
from marker_tool.sources.base import Budget, Member, MemberKind, Package, Reader, one_package

#: Notes of one kind named per tree; past these they are counted.
_NAMED = 8


@dataclass(slots=True)
class _Walk:
    root: str
    budget: Budget
    also: Collection[str]
    entries: dict[str, Member] = field(default_factory=dict)
    markers: dict[str, bytes] = field(default_factory=dict)
    too_large: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    failures: int = 0


def read_directory(root: str, budget: Budget, *, also: Collection[str] = ()) -> Package:
    """Every entry under `root` (owners as ids) and the content of its markers."""
    walk = _Walk(root, budget, also)
    fs.mounts.cache_clear()  # the mounts of now, not of when another input was read
    device = os.stat(root).st_dev
    pseudo = {os.path.realpath(p) for p in fs.pseudo_points()}
    pending = [""]
    while pending:
        where = pending.pop()
        full = os.path.join(root, where) if where else root
        try:
            children = sorted(os.listdir(full))
        except OSError as exc:
            _failed(walk, where or ".", exc)
            continue
        for name in children:
            inner = f"{where}/{name}" if where else name
            kind = _entry(walk, inner)
            if kind != "directory":
                continue
            path = os.path.join(root, inner)
            if _enter(walk, inner, path, device, pseudo):
                pending.append(inner)
    found = pkgdb.owners(root, walk.markers)
    shipped = [f"`{w}` is {p}'s ({found.manager})" for w, (p, _) in sorted(found.owned.items())]
    return Package(
        root,
        "directory",
        entries=walk.entries,
        markers=walk.markers,
        too_large=walk.too_large,
        file_list={w: digest for w, (_, digest) in found.owned.items()} or None,
        digest=found.algorithm,
        notes=tuple(_notes(walk) + shipped),
    )


def _enter(walk: _Walk, inner: str, path: str, device: int, pseudo: set[str]) -> bool:
    """Whether the walk goes into a directory: not a pseudo-filesystem, not another mount
    unless asked for."""
    try:
        info = os.lstat(path)
    except OSError as exc:
        _failed(walk, inner, exc)
        return False
    if os.path.realpath(path) in pseudo or fs.fstype_of(info.st_dev) in fs.PSEUDO:
        walk.skipped.append(f"`{inner}/`: {fs.fstype_of(info.st_dev) or 'a pseudo-filesystem'}")
        return False
    if info.st_dev != device and not walk.budget.limits.other_mounts:
        kind = fs.fstype_of(info.st_dev) or "another file system"
        walk.skipped.append(f"`{inner}/`: a mount of {kind}")
        return False
    return True


def _entry(walk: _Walk, where: str) -> MemberKind | None:
    """One entry recorded (a marker's bytes read); None when it cannot be read."""
    full = os.path.join(walk.root, where)
    try:
        info = os.lstat(full)
        kind = _kind(info.st_mode)
        link = os.readlink(full) if kind == "symlink" else None
    except OSError as exc:
        _failed(walk, where, exc)
        return None
    walk.budget.spend_member()
    owner = (str(info.st_uid), str(info.st_gid))
    mode = stat.S_IMODE(info.st_mode)
    walk.entries[where] = Member(where, kind, mode, owner, info.st_size, link)
    name = where.rpartition("/")[2]
    if kind == "file" and (name == MARKER_NAME or where in walk.also):
        _marker(walk, where, full, info)
    return kind


def _marker(walk: _Walk, where: str, full: str, info: os.stat_result) -> None:
    if info.st_size > walk.budget.limits.marker or fs.fstype_of(info.st_dev) in fs.PSEUDO:
        walk.too_large[where] = info.st_size
        return
    from marker_tool import safeio

    try:
        walk.markers[where] = safeio.read_bytes(full, kind="marker")
    except (OSError, safeio.TooLarge) as exc:
        _failed(walk, where, exc)


def _kind(mode: int) -> MemberKind:
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISDIR(mode):
        return "directory"
    return "file" if stat.S_ISREG(mode) else "other"


def _failed(walk: _Walk, where: str, exc: Exception) -> None:
    walk.failures += 1
    if len(walk.failed) < _NAMED:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        walk.failed.append(f"`{where}`: {reason}")


def _notes(walk: _Walk) -> list[str]:
    notes = []
    if walk.skipped:
        shown = "; ".join(walk.skipped[:_NAMED])
        more = f" and {len(walk.skipped) - _NAMED} more" if len(walk.skipped) > _NAMED else ""
        notes.append(f"not read (pseudo-filesystems and other mounts): {shown}{more}")
    if walk.failed:
        more = f" and {walk.failures - len(walk.failed)} more" if walk.failures > _NAMED else ""
        notes.append(f"could not be read: {'; '.join(walk.failed)}{more}")
    return notes


READER = Reader(
    name="directory",
    description="a tree: a staging dir (DESTDIR), a chroot, an unpacked image, a live root",
    directory=True,
    recognise=lambda probe: probe.directory,
    read=one_package(read_directory),
)
