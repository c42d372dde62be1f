"""One pass over a tar stream: every member's metadata, the markers' bytes, and stop early.

The .deb data member, Arch and Alpine packages and each layer of a container
image are tar streams; this reads them all, with `tarfile` in stream mode
(`r|`, no seeking, nothing extracted). Member names are made relative to the
package root; a name with `..` or an absolute one is kept aside as unsafe and
never used. Hard links to a marker carry no bytes of their own in tar; they
get their target's.
"""

from __future__ import annotations

import posixpath
import stat
import tarfile
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import BinaryIO

from marker_tool.model import MARKER_NAME
from marker_tool.sources.base import Entry, EntryKind, Limits, PackageError, normalise

_KINDS: dict[bytes, EntryKind] = {
    tarfile.REGTYPE: "file",
    tarfile.AREGTYPE: "file",
    tarfile.CONTTYPE: "file",
    tarfile.DIRTYPE: "directory",
    tarfile.SYMTYPE: "symlink",
    tarfile.LNKTYPE: "hardlink",
}
#: Bytes of a metadata member (`.PKGINFO`, `md5sums`, a manifest) that are read.
METADATA_CAP = 16 * 1024 * 1024


@dataclass(slots=True)
class Scan:
    """What one pass found (filled in as the stream goes)."""

    entries: dict[str, Entry] = field(default_factory=dict)
    markers: dict[str, bytes] = field(default_factory=dict)
    too_large: dict[str, int] = field(default_factory=dict)
    unsafe: list[str] = field(default_factory=list)
    #: Content of the members asked for by name (`capture`).
    captured: dict[str, bytes] = field(default_factory=dict)
    #: False when `stop` ended the pass before the end of the stream.
    complete: bool = True


def entry_of(where: str, member: tarfile.TarInfo) -> Entry:
    kind = _KINDS.get(member.type, "other")
    link = member.linkname or None
    if kind == "hardlink" and link:
        link = normalise(link)
    owner = (member.uname or str(member.uid), member.gname or str(member.gid))
    return Entry(where, kind, stat.S_IMODE(member.mode), owner, member.size, link)


def scan_tar(
    stream: BinaryIO,
    limits: Limits,
    *,
    capture: Collection[str] = (),
    stop: Callable[[Scan], bool] | None = None,
    counted: list[int] | None = None,
    also: Collection[str] = (),
) -> Scan:
    """Read `stream` as a tar archive; `stop(scan)` after each marker may end the pass.

    `capture` names members (paths inside the package) whose bytes are kept in
    `Scan.captured`; `also` names files read like markers (the targets of
    symlinked markers); `counted` shares the member cap across several streams.
    """
    scan = Scan()
    counted = counted if counted is not None else [0]
    try:
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                counted[0] += 1
                if counted[0] > limits.members:
                    raise PackageError(
                        f"more than {limits.members} members",
                        hint="`--max-members N` raises the limit",
                    )
                where = normalise(member.name)
                if where is None:
                    scan.unsafe.append(member.name)
                    continue
                if not where:
                    continue
                entry = entry_of(where, member)
                scan.entries[where] = entry
                if entry.kind != "file":
                    continue
                if where in capture:
                    if member.size > METADATA_CAP:
                        raise PackageError(f"`{where}` is far too large for package metadata")
                    scan.captured[where] = _read(tar, member)
                if posixpath.basename(where) != MARKER_NAME and where not in also:
                    continue
                if member.size > limits.marker:
                    scan.too_large[where] = member.size
                else:
                    scan.markers[where] = _read(tar, member)
                if stop is not None and stop(scan):
                    scan.complete = False
                    break
    except (tarfile.TarError, EOFError) as exc:
        raise PackageError(f"not a readable tar archive: {exc}") from None
    for where, entry in scan.entries.items():
        if entry.kind == "hardlink" and entry.link in scan.markers:
            scan.markers[where] = scan.markers[entry.link]
    return scan


def _read(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    handle = tar.extractfile(member)
    return handle.read() if handle is not None else b""
