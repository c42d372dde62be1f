"""Read a .deb without extracting it: ar members, the control member, the data stream.

Every header of the data member is read, to the end: the control member's
`md5sums` leaves out symlinks and conffiles (and is optional), so it cannot
say where the last marker is. What is verified of the package: the ar
archive's structure and that each member is as long as its header says
(checked against the file's size before anything is decompressed), that the
control and data members decompress to their end with their own checksums
(xz, gzip, zstd) and hold well-formed tar headers, and each marker's md5
against `md5sums`. Signatures, and the digests of the files that are not
markers, are left to dpkg.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from typing import BinaryIO

from marker_tool.safeio import open_regular
from marker_tool.sources.base import (
    DEFAULT_LIMITS,
    Limits,
    Package,
    PackageError,
    normalise,
)
from marker_tool.sources.compression import Bounded, by_suffix, open_stream
from marker_tool.sources.tarstream import Scan, scan_tar

AR_MAGIC = b"!<arch>\n"
#: Control members kept: the fields, the file list, and the maintainer scripts
#: (a branding package's `dpkg-divert` calls).
SCRIPTS = frozenset({"preinst", "postinst", "prerm", "postrm"})
CONTROL_FILES = frozenset({"control", "md5sums"}) | SCRIPTS


def _next_member(stream: BinaryIO) -> tuple[str, int] | None:
    header = stream.read(60)
    if not header:
        return None
    if len(header) != 60 or header[58:60] != b"`\n":
        raise PackageError("a corrupt ar member header (truncated, or not a .deb?)")
    name = header[:16].decode("ascii", "replace").strip().rstrip("/")
    size_field = header[48:58].decode("ascii", "replace").strip()
    if not size_field.isdigit():
        raise PackageError(f"ar member `{name}` has no valid size ({size_field!r})")
    return name, int(size_field)


def _md5sums(text: str) -> dict[str, str]:
    md5sums = {}
    for line in text.splitlines():
        digest, _, path = line.partition("  ")  # md5sum's two spaces
        where = normalise(path) if path else None
        if where:
            md5sums[where] = digest
    return md5sums


def read_deb(path: str, limits: Limits = DEFAULT_LIMITS, *, also: Collection[str] = ()) -> Package:
    """The entries and markers of a .deb (see the module docstring).

    `also`: files read like markers (the targets of symlinked markers).
    """
    budget = [limits.decompressed]
    with open_regular(path, kind="package") as handle:
        total = os.fstat(handle.fileno()).st_size
        if handle.read(8) != AR_MAGIC:
            raise PackageError("not a .deb: no ar archive header")
        control: Scan | None = None
        data: Scan | None = None
        while (member := _next_member(handle)) is not None:
            name, size = member
            if handle.tell() + size > total:
                raise PackageError(
                    f"truncated: its ar member `{name}` claims {size} bytes, "
                    f"{handle.tell() + size - total} more than the file holds"
                )
            raw = Bounded(handle, size)
            if name.startswith("control.tar") and control is None:
                stream = open_stream(by_suffix(name), raw, limits, budget)
                control = scan_tar(stream, limits, capture=CONTROL_FILES)  # type: ignore[arg-type]
            elif name.startswith("data.tar") and data is None:
                stream = open_stream(by_suffix(name), raw, limits, budget)
                data = scan_tar(stream, limits, also=also)  # type: ignore[arg-type]
            raw.skip()
            if size % 2 and not handle.read(1):
                raise PackageError(f"truncated: its ar member `{name}` lacks its padding byte")
    if data is None:
        raise PackageError("not a .deb: it has no data member")
    return _package(path, data, control)


def _package(path: str, data: Scan, control: Scan | None) -> Package:
    captured = control.captured if control is not None else {}
    md5sums = (
        _md5sums(captured["md5sums"].decode("utf-8", "replace")) if "md5sums" in captured else None
    )
    fields: dict[str, str] = {}
    depends: tuple[str, ...] = ()
    if "control" in captured:
        from marker_tool.integrations.debian import control_fields, relation_names

        fields = control_fields(captured["control"].decode("utf-8", "replace"))
        depends = relation_names(fields.get("depends", ""), fields.get("pre-depends", ""))
    return Package(
        path,
        "deb",
        name=fields.get("package"),
        version=fields.get("version"),
        arch=fields.get("architecture"),
        entries=data.entries,
        markers=data.markers,
        too_large=data.too_large,
        unsafe=tuple(data.unsafe),
        file_list=md5sums,
        depends=depends,
        scripts={
            k: v.decode("utf-8", "replace")
            for k, v in captured.items()
            if k not in ("control", "md5sums")
        },
    )
