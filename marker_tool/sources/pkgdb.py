"""Who owns a tree's files: the package databases of a system root, dpkg's and rpm's.

`check` on a tree (a chroot, a mounted image, `/`) asks them about its markers:
which package ships each, and the digest it shipped, so that a marker edited on
the system is a digest mismatch and the report names its package. Only what
the markers need is read: dpkg's `.md5sums` files that mention a marker, rpm's
headers that do. rpm's database is SQLite (rpm 4.16 and later: `rpmdb.sqlite`),
opened read-only and immutable, so a database on a read-only mount or in use
by rpm is read as it is; older Berkeley DB databases are not read.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass, field

from marker_tool.errors import PackageError
from marker_tool.model import MARKER_NAME

#: dpkg's database and rpm's, relative to a tree's root (Fedora's first, then the old one).
DPKG_INFO = "var/lib/dpkg/info"
RPMDB = ("usr/lib/sysimage/rpm/rpmdb.sqlite", "var/lib/rpm/rpmdb.sqlite")
#: Bytes of one database file or header read (the largest real `.md5sums` is a few MB).
_CAP = 64 * 1024 * 1024


@dataclass(slots=True)
class Owners:
    """Path -> (owning package, digest of what it shipped), and who said so."""

    owned: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: The `hashlib` name of the digests.
    algorithm: str = "md5"
    #: `dpkg` or `rpm`; None without a database.
    manager: str | None = None


def owners(root: str, paths: Collection[str]) -> Owners:
    """The owners of `paths` (inside `root`) by its dpkg database, else its rpm database."""
    if not paths:
        return Owners()
    found = _dpkg(root, paths)
    if found.owned:
        return found
    return _rpm(root, paths)


def _dpkg(root: str, paths: Collection[str]) -> Owners:
    folder = os.path.join(root, DPKG_INFO)
    try:
        names = [n for n in os.listdir(folder) if n.endswith(".md5sums")]
    except OSError:
        return Owners()
    wanted = {f"  {p}".encode() for p in paths}
    found = Owners(manager="dpkg")
    for name in sorted(names):
        listing = _read(os.path.join(folder, name))
        if MARKER_NAME.encode() not in listing:
            continue
        package = name.removesuffix(".md5sums").partition(":")[0]
        for line in listing.splitlines():
            if line[32:] in wanted:
                path = line[34:].decode("utf-8", "surrogateescape")
                found.owned[path] = (package, line[:32].decode("ascii", "replace"))
    return found


def _read(path: str) -> bytes:
    """A database file's bytes; none when it is no regular file or cannot be read."""
    from marker_tool.errors import MarkerToolError
    from marker_tool.safeio import open_regular

    try:
        with open_regular(path, kind="database") as handle:
            return handle.read(_CAP)
    except (OSError, MarkerToolError):
        return b""


def _rpm(root: str, paths: Collection[str]) -> Owners:
    import sqlite3

    database = next((p for p in RPMDB if os.path.isfile(os.path.join(root, p))), None)
    if database is None:
        return Owners()
    uri = f"file:{os.path.join(root, database)}?mode=ro&immutable=1"
    try:
        with sqlite3.connect(uri, uri=True) as connection:
            blobs = [b for (b,) in connection.execute("SELECT blob FROM Packages")]
    except sqlite3.Error:
        return Owners()
    found = Owners(manager="rpm")
    wanted = {"/" + p for p in paths}
    for blob in blobs:
        if isinstance(blob, bytes) and len(blob) <= _CAP and MARKER_NAME.encode() in blob:
            _rpm_header(blob, wanted, found)
    return found


def _rpm_header(blob: bytes, wanted: set[str], found: Owners) -> None:
    from marker_tool.sources import rpm

    try:
        tags = rpm.header_blob(blob)
        names = rpm._file_names(tags)
    except PackageError:
        return
    package = (rpm._strings(tags, rpm.NAME) or ["?"])[0]
    digests = rpm._strings(tags, rpm.FILEDIGESTS)
    algorithm = rpm.DIGESTS.get((rpm._ints(tags, rpm.FILEDIGESTALGO) or [1])[0], "md5")
    for n, name in enumerate(names):
        if name in wanted and n < len(digests) and digests[n]:
            found.owned[name[1:]] = (package, digests[n])
            found.algorithm = algorithm
