"""Read a .deb without extracting it: ar members, the control member, the data stream.

The control member's `md5sums` lists every regular file. When it names a
marker in every stdlib dir it lists, the data stream is read only as far as
the last marker, each marker's digest is checked against the list, and
reading stops; otherwise (no list, a stdlib without a listed marker, which a
symlinked marker would be, or a digest that disagrees) the whole payload is
read. dpkg-deb writes the data member sorted by path, so the markers of a
stdlib package come in its first few hundred kilobytes.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import BinaryIO

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
from marker_tool.sources.compression import Member, by_suffix, open_stream
from marker_tool.sources.tarstream import Scan, scan_tar

AR_MAGIC = b"!<arch>\n"


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


def read_deb(
    path: str,
    limits: Limits = DEFAULT_LIMITS,
    *,
    files_only: bool = False,
    early: bool = True,
    also: Collection[str] = (),
) -> Package:
    """The entries and markers of a .deb (see the module docstring).

    `files_only`: stop after the control member (its md5sums and fields);
    `early=False`: read the whole payload even when the file list would let it stop;
    `also`: files read like markers (the targets of symlinked markers; reads it all).
    """
    budget = [limits.decompressed]
    with open_regular(path, kind="package") as handle:
        if handle.read(8) != AR_MAGIC:
            raise PackageError("not a .deb: no ar archive header")
        control: Scan | None = None
        while (member := _next_member(handle)) is not None:
            name, size = member
            raw = Member(handle, size)
            if name.startswith("control.tar"):
                stream = open_stream(by_suffix(name), raw, limits, budget)
                control = scan_tar(stream, limits, capture={"md5sums", "control"})  # type: ignore[arg-type]
            elif name.startswith("data.tar"):
                stream = open_stream(by_suffix(name), raw, limits, budget)
                data = None if files_only else stream
                return _package(path, data, limits, control, early=early and not also, also=also)  # type: ignore[arg-type]
            raw.skip()
            if size % 2:
                handle.read(1)
    raise PackageError("not a .deb: it has no data member")


def _package(
    path: str,
    stream: BinaryIO | None,
    limits: Limits,
    control: Scan | None,
    *,
    early: bool,
    also: Collection[str],
) -> Package:
    captured = control.captured if control is not None else {}
    md5sums = (
        _md5sums(captured["md5sums"].decode("utf-8", "replace")) if "md5sums" in captured else None
    )
    wanted = stdlib_markers_listed(md5sums) if md5sums is not None and early else None

    def stop(scan: Scan) -> bool:
        """Once every listed marker is read, if the payload so far agrees with the list."""
        if (
            wanted is None
            or md5sums is None
            or not wanted <= scan.markers.keys() | scan.too_large.keys()
        ):
            return False
        unlisted = any(e.kind == "file" and w not in md5sums for w, e in scan.entries.items())
        return not unlisted and digests_agree(scan.markers, md5sums, "md5")

    if stream is None:
        data = Scan(complete=False)
    else:
        data = scan_tar(stream, limits, stop=stop, also=also)
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
        complete=data.complete,
        depends=depends,
    )
