"""Tar-based packages: Arch `.pkg.tar.zst`/`.xz` and Alpine `.apk`.

Both are one tar stream (an .apk is three gzip streams back to back, which
`compression` reads as one) whose first members are metadata at the root:
`.PKGINFO` (`pkgname = ...` lines) in both, and in an Arch package `.MTREE`,
a gzip-compressed mtree(5) list of every file with its sha256 digest. makepkg
writes the metadata first and the files sorted by path, so with `.MTREE`
the stream is read only as far as the last marker it lists, whose digest is
checked against it. An .apk has no such list before its files: it is read
to the end (Alpine packages are small). The metadata members are not
package entries.
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
    digests_agree,
    normalise,
    stdlib_markers_listed,
)
from marker_tool.sources.compression import by_magic, open_stream
from marker_tool.sources.tarstream import METADATA_CAP, Scan, scan_tar

_METADATA = {".PKGINFO", ".MTREE", ".BUILDINFO", ".INSTALL", ".CHANGELOG"}
_OCTAL = re.compile(rb"\\([0-7]{3})")


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
        listed: list[dict[str, str] | None] = []

        def stop(scan: Scan) -> bool:
            if not listed:  # the first marker: .MTREE, when there is one, came before it
                mtree = scan.captured.get(".MTREE")
                listed.append(mtree_digests(mtree, limits) if mtree is not None else None)
            digests = listed[0]
            wanted = stdlib_markers_listed(digests) if digests is not None else None
            if digests is None or wanted is None:
                return False
            if not wanted <= scan.markers.keys() | scan.too_large.keys():
                return False
            unlisted = any(
                e.kind == "file" and w not in digests and not _is_metadata(w)
                for w, e in scan.entries.items()
            )
            return not unlisted and digests_agree(scan.markers, digests, "sha256")

        scan = scan_tar(
            stream,  # type: ignore[arg-type]
            limits,
            capture=_METADATA,
            stop=None if also else stop,
            also=also,
        )
    if not listed and ".MTREE" in scan.captured:
        listed.append(mtree_digests(scan.captured[".MTREE"], limits))
    info = pkginfo(scan.captured.get(".PKGINFO", b""))
    signed = any(name.startswith(".SIGN.") for name in scan.entries)
    kind = (
        "arch" if ".MTREE" in scan.captured else "apk" if signed or compression == "gzip" else "tar"
    )
    if kind == "tar" and not info and not scan.entries:
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
        file_list=listed[0] if listed else None,
        digest="sha256",
        complete=scan.complete,
        depends=tuple(dict.fromkeys(depends)),
    )


def _first(info: dict[str, list[str]], key: str) -> str | None:
    values = info.get(key)
    return values[0] if values else None
