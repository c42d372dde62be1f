"""Read a tree (a staging dir, DESTDIR, a chroot) without following a symlink out of it."""

from __future__ import annotations

import os
import stat
from collections.abc import Collection

from marker_tool.model import MARKER_NAME
from marker_tool.sources.base import (
    Budget,
    Member,
    MemberKind,
    Package,
    Probe,
    Reader,
)


def read_directory(root: str, budget: Budget, *, also: Collection[str] = ()) -> Package:
    """Every entry under `root` (owners as ids) and the content of its markers."""
    limits = budget.limits
    entries: dict[str, Member] = {}
    markers: dict[str, bytes] = {}
    too_large: dict[str, int] = {}
    for directory, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            full = os.path.join(directory, name)
            where = os.path.relpath(full, root).replace(os.sep, "/")
            info = os.lstat(full)
            kind: MemberKind = (
                "symlink"
                if stat.S_ISLNK(info.st_mode)
                else "directory"
                if stat.S_ISDIR(info.st_mode)
                else "file"
                if stat.S_ISREG(info.st_mode)
                else "other"
            )
            link = os.readlink(full) if kind == "symlink" else None
            entries[where] = Member(
                where,
                kind,
                stat.S_IMODE(info.st_mode),
                (str(info.st_uid), str(info.st_gid)),
                info.st_size,
                link,
            )
            budget.spend_member()
            if (name == MARKER_NAME or where in also) and kind == "file":
                if info.st_size > limits.marker:
                    too_large[where] = info.st_size
                    continue
                from marker_tool import safeio

                markers[where] = safeio.read_bytes(full, kind="marker")
    return Package(root, "directory", entries=entries, markers=markers, too_large=too_large)


def _read(probe: Probe, budget: Budget, also: Collection[str]) -> list[Package]:
    return [read_directory(probe.path, budget, also=also)]


READER = Reader(
    name="directory",
    description="a tree: a staging dir (DESTDIR), a chroot, an unpacked image",
    directory=True,
    recognise=lambda probe: probe.directory,
    read=_read,
)
