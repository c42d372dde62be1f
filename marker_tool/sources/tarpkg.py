"""Tar-based packages: Arch `.pkg.tar.zst`/`.xz` and Alpine `.apk`.

Both are one tar stream (an .apk is three gzip streams back to back, which
`compression` reads as one) whose first members are metadata at the root:
`.PKGINFO` (`pkgname = ...` lines) in both, and in an Arch package `.MTREE`,
a gzip-compressed mtree(5) list of every file with its sha256 digest, which
each marker is checked against. Every header is read to the end of the
stream. The metadata members are not package entries. A tar of a root tree
with no package metadata (`mmdebstrap ... rootfs.tar`, `podman export`) is
read the same way, as a root filesystem.
"""

from __future__ import annotations

import io
import re
from collections.abc import Collection

from marker_tool.safeio import open_regular
from marker_tool.sources.base import (
    DEFAULT_LIMITS,
    Limits,
    Package,
    PackageError,
    normalise,
)
from marker_tool.sources.compression import by_magic, open_stream
from marker_tool.sources.tarstream import METADATA_CAP, scan_tar

_METADATA = {".PKGINFO", ".MTREE", ".BUILDINFO", ".INSTALL", ".CHANGELOG"}
_OCTAL = re.compile(rb"\\([0-3][0-7]{2})")  # one byte: \000 to \377


def _is_metadata(where: str) -> bool:
    """A member at the root whose name starts with a dot: `.PKGINFO`, `.SIGN.RSA.*`."""
    return "/" not in where and where.startswith(".")


def pkginfo(data: bytes) -> dict[str, list[str]]:
    """`.PKGINFO` as key -> values (`depend` repeats)."""
    fields: dict[str, list[str]] = {}
    for line in data.decode("utf-8", "replace").splitlines():
        key, sep, value = line.partition(" = ")
        if sep and not key.startswith("#"):
            fields.setdefault(key.strip(), []).append(value.strip())
    return fields


def mtree_digests(data: bytes, limits: Limits) -> dict[str, str]:
    """Regular files -> sha256 from a gzip-compressed mtree(5) list (`/set` defaults honoured)."""
    stream = open_stream(by_magic(data[:6]), io.BytesIO(data), limits, [METADATA_CAP * 4])  # type: ignore[arg-type]
    digests: dict[str, str] = {}
    defaults: dict[str, str] = {}
    for raw in stream.read().splitlines():
        words = raw.split()
        if not words or words[0].startswith(b"#"):
            continue
        keywords = dict(w.decode("utf-8", "replace").partition("=")[::2] for w in words[1:])
        if words[0] == b"/set":
            defaults.update(keywords)
            continue
        if words[0] == b"/unset":
            for key in keywords:
                defaults.pop(key, None)
            continue
        fields = {**defaults, **keywords}
        name = _OCTAL.sub(lambda m: bytes([int(m.group(1), 8)]), words[0])
        where = normalise(name.decode("utf-8", "replace"))
        if where and fields.get("type", "file") == "file" and "sha256digest" in fields:
            digests[where] = fields["sha256digest"]
    return digests


def read_tar_package(
    path: str, limits: Limits = DEFAULT_LIMITS, *, also: Collection[str] = ()
) -> Package:
    """An Arch or Alpine package (or any tar of a root tree, compressed or not)."""
    with open_regular(path, kind="package") as handle:
        compression = by_magic(handle.read(6))
        handle.seek(0)
        stream = open_stream(compression, handle, limits)  # type: ignore[arg-type]
        scan = scan_tar(stream, limits, capture=_METADATA, also=also)  # type: ignore[arg-type]
    mtree = scan.captured.get(".MTREE")
    digests = mtree_digests(mtree, limits) if mtree is not None else None
    info = pkginfo(scan.captured.get(".PKGINFO", b""))
    signed = any(name.startswith(".SIGN.") for name in scan.entries)
    kind = "arch" if mtree is not None else "apk" if signed or info else "rootfs"
    if kind == "rootfs" and not scan.entries:
        raise PackageError("an empty tar archive")
    depends = [d.split(">")[0].split("<")[0].split("=")[0] for d in info.get("depend", [])]
    entries = {w: e for w, e in scan.entries.items() if not _is_metadata(w)}
    return Package(
        path,
        kind,
        name=_first(info, "pkgname"),
        version=_first(info, "pkgver"),
        arch=_first(info, "arch"),
        entries=entries,
        markers=scan.markers,
        too_large=scan.too_large,
        unsafe=tuple(scan.unsafe),
        file_list=digests,
        digest="sha256",
        depends=tuple(dict.fromkeys(depends)),
    )


def _first(info: dict[str, list[str]], key: str) -> str | None:
    values = info.get(key)
    return values[0] if values else None
