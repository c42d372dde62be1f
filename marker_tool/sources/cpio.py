"""A root filesystem in a cpio archive (newc, compressed or not): an initramfs, a dracut
or mkosi image's tree. Read with the shared `cpiostream`, every header to the trailer;
a symlink's target is its data, as newc stores it."""

from __future__ import annotations

import posixpath
import stat
from collections.abc import Collection

from marker_tool.errors import PackageError
from marker_tool.model import MARKER_NAME
from marker_tool.safeio import open_regular
from marker_tool.sources.base import (
    NAME_MAX_CHARS,
    Budget,
    Member,
    MemberKind,
    Package,
    Reader,
    Unsafe,
    normalise,
    one_package,
)
from marker_tool.sources.compression import sniffed
from marker_tool.sources.cpiostream import NEWC, CpioStream


def _kind(mode: int) -> MemberKind:
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "directory"
    if stat.S_ISLNK(mode):
        return "symlink"
    return "other"


def read_cpio(path: str, budget: Budget, *, also: Collection[str] = ()) -> Package:
    """Every member of a cpio archive, and the content of its markers."""
    entries: dict[str, Member] = {}
    markers: dict[str, bytes] = {}
    too_large: dict[str, int] = {}
    unsafe = Unsafe()
    with open_regular(path, kind="package") as handle:
        cpio = CpioStream(sniffed(handle, budget), budget)
        while (header := cpio.next()) is not None:
            where = normalise(header.name)
            kind = _kind(header.mode)
            if where is None:
                unsafe.add(header.name)
                cpio.skip(header.size)
                continue
            link = None
            if kind == "symlink":
                if header.size > NAME_MAX_CHARS:
                    raise PackageError(f"`{where}` is a symlink with a {header.size}-byte target")
                link = cpio.read(header.size).decode("utf-8", "surrogateescape")
            elif kind == "file" and (posixpath.basename(where) == MARKER_NAME or where in also):
                if header.size > budget.limits.marker:
                    too_large[where] = header.size
                    cpio.skip(header.size)
                else:
                    markers[where] = cpio.read(header.size)
            else:
                cpio.skip(header.size)
            if where:
                budget.directories.add(where)
                owner = (str(header.uid), str(header.gid))
                entries[where] = Member(
                    where, kind, stat.S_IMODE(header.mode), owner, header.size, link
                )
        cpio.drain()
    if not entries:
        raise PackageError("an empty cpio archive")
    return Package(
        path,
        "cpio",
        entries=entries,
        markers=markers,
        too_large=too_large,
        unsafe=tuple(unsafe.names),
        unsafe_count=unsafe.count,
    )


READER = Reader(
    name="cpio",
    description="a root filesystem in a cpio archive (an initramfs; any compression)",
    directory=False,
    recognise=lambda probe: probe.inner.startswith(NEWC),
    read=one_package(read_cpio),
)
