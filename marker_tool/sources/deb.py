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

from collections.abc import Collection
from dataclasses import dataclass

from marker_tool.errors import PackageError
from marker_tool.safeio import open_regular
from marker_tool.sources.base import Budget, Package, Reader, Stream, normalise, one_package
from marker_tool.sources.compression import Bounded, Prefixed, open_stream
from marker_tool.sources.magic import AR
from marker_tool.sources.tarstream import Scan, scan_tar

#: Control members kept: the fields, the file list, and the maintainer scripts
#: (a branding package's `dpkg-divert` calls).
SCRIPTS = frozenset({"preinst", "postinst", "prerm", "postrm"})
CONTROL_FILES = frozenset({"control", "md5sums"}) | SCRIPTS
#: dpkg-deb's member names and the compressions it reads in each (dpkg-deb/extract.c).
DEBIAN_BINARY = "debian-binary"
CONTROL = "control.tar"
DATA = "data.tar"
COMPRESSIONS = {
    CONTROL: {"": "none", ".gz": "gzip", ".xz": "xz", ".zst": "zstd"},
    DATA: {
        "": "none",
        ".gz": "gzip",
        ".xz": "xz",
        ".zst": "zstd",
        ".bz2": "bzip2",
        ".lzma": "lzma",
    },
}


@dataclass(frozen=True, slots=True)
class _ArMember:
    name: str
    size: int


def _next_member(stream: Stream) -> _ArMember | None:
    """The next ar member header, its name and size read as dpkg-deb reads them
    (lib/dpkg/ar.c): trailing spaces and then one `/` off the name, which ends at a
    NUL; leading spaces before the size's digits, which end at a space."""
    header = stream.read(60)
    if not header:
        return None
    if len(header) != 60 or header[58:60] != b"`\n":
        raise PackageError("a corrupt ar member header (truncated, or not a .deb?)")
    name = header[:16].split(b"\0", 1)[0].decode("ascii", "replace").rstrip(" ")
    name = name.removesuffix("/")
    size_field = header[48:58].lstrip(b" ").split(b" ", 1)[0]
    if size_field and not (size_field.isascii() and size_field.isdigit()):
        raise PackageError(f"ar member `{name}` has no valid size ({size_field!r})")
    return _ArMember(name, int(size_field or b"0"))


def _md5sums(text: str) -> dict[str, str]:
    md5sums = {}
    for line in text.splitlines():
        digest, _, path = line.partition("  ")  # md5sum's two spaces
        where = normalise(path) if path else None
        if where:
            md5sums[where] = digest
    return md5sums


class _Order:
    """dpkg-deb's rule for the members of a .deb, as it reads them in order.

    `debian-binary` (version 2.x) first; `_`-prefixed members are skipped
    wherever they are; then one `control.tar[.gz|.xz|.zst]` (a second one only
    after an empty first); then `data.tar[...]`, after which dpkg-deb reads no
    further, not even the data member's padding byte. Anything else before
    `data.tar` makes dpkg-deb give up, and so is this package unreadable.
    """

    def __init__(self) -> None:
        self.count = 0
        self.control = False
        #: The control member read was empty: dpkg-deb takes a second one instead.
        self.empty_control = False

    def expect(self, name: str) -> str | None:
        """Which part `name` is (`control.tar`, `data.tar`), None to skip it, or PackageError."""
        self.count += 1
        if self.count == 1:
            if name != DEBIAN_BINARY:
                raise PackageError(
                    f"its first ar member is `{name}`, not `{DEBIAN_BINARY}`: dpkg-deb refuses it"
                )
            return DEBIAN_BINARY
        if name.startswith("_"):
            return None
        control_wanted = not self.control or self.empty_control
        for part, wanted in ((CONTROL, control_wanted), (DATA, self.control)):
            if name.startswith(part):
                if not wanted:
                    break
                if name[len(part) :] not in COMPRESSIONS[part]:
                    raise PackageError(
                        f"its member `{name}` uses a compression dpkg-deb does not read"
                    )
                self.control = True
                return part
        if name.startswith(CONTROL):
            raise PackageError(f"it has two control members (`{name}`): dpkg-deb refuses it")
        before = DATA if self.control else CONTROL
        raise PackageError(f"it has member `{name}` before `{before}`: dpkg-deb refuses it")


def read_deb(path: str, budget: Budget | None = None, *, also: Collection[str] = ()) -> Package:
    """The entries and markers of a .deb (see the module docstring).

    `also`: files read like markers (the targets of symlinked markers).
    """
    budget = budget or Budget()
    with open_regular(path, kind="package") as handle:
        total = handle.seek(0, 2)
        handle.seek(0)
        if handle.read(8) != AR:
            raise PackageError("not a .deb: no ar archive header")
        order = _Order()
        control: Scan | None = None
        while (member := _next_member(handle)) is not None:
            if handle.tell() + member.size > total:
                raise PackageError(
                    f"truncated: its ar member `{member.name}` claims {member.size} bytes, "
                    f"{handle.tell() + member.size - total} more than the file holds"
                )
            raw = Bounded(handle, member.size)
            part = order.expect(member.name)
            if part == DEBIAN_BINARY:
                _version(raw.read(member.size))
            elif part is not None:
                stream = _member_stream(part, member, raw, budget)
                if part == DATA:
                    return _package(path, scan_tar(stream, budget, also=also), control)
                order.empty_control = member.size == 0
                if member.size:
                    control = scan_tar(stream, budget, capture=CONTROL_FILES)
            raw.skip()
            if member.size % 2:
                handle.read(1)  # the padding byte, whatever its value (dpkg-deb skips it)
    if order.count == 0:
        raise PackageError("not a .deb: an empty ar archive")
    missing = CONTROL if not order.control else DATA
    raise PackageError(f"not a .deb dpkg-deb unpacks: it has no `{missing}` member")


def _member_stream(part: str, member: _ArMember, raw: Bounded, budget: Budget) -> Stream:
    """A control or data member decompressed as its name says. dpkg-deb reads gzip with
    zlib's `gzread`, which passes bytes that are not gzip through as they are."""
    compression = COMPRESSIONS[part][member.name[len(part) :]]
    if compression == "gzip":
        head = raw.read(2)
        source: Stream = Prefixed(head, raw)
        if head != b"\x1f\x8b":
            return open_stream("none", source, budget)
        return open_stream("gzip", source, budget)
    return open_stream(compression, raw, budget)


def _version(data: bytes) -> None:
    """dpkg-deb reads format 2.x (lib/dpkg/deb-version.c); anything else makes it give up."""
    line, newline, _ = data.partition(b"\n")
    major, dot, minor = line.split(b"\0", 1)[0].partition(b".")
    shown = line[:20].decode("ascii", "replace")
    if not newline:
        raise PackageError("`debian-binary` has no newline: dpkg-deb refuses it")
    if not (dot and major.isdigit() and minor.isdigit()):
        raise PackageError(f"`debian-binary` says {shown!r}, not a format version dpkg-deb reads")
    if major != b"2":
        raise PackageError(f"`debian-binary` says format {shown}; dpkg-deb reads only 2.x")


def _package(path: str, data: Scan, control: Scan | None) -> Package:
    captured = control.captured if control is not None else {}
    md5sums = (
        _md5sums(captured["md5sums"].decode("utf-8", "replace")) if "md5sums" in captured else None
    )
    fields: dict[str, str] = {}
    depends: tuple[str, ...] = ()
    if "control" in captured:
        from marker_tool.integrations.debian import PACKAGE_FIELDS, control_fields, relation_names

        text = captured["control"].decode("utf-8", "replace")
        fields = control_fields(text, keep=PACKAGE_FIELDS)
        depends = relation_names(fields.get("depends", ""), fields.get("pre-depends", ""))
    return Package(
        path,
        "deb",
        name=fields.get("package"),
        version=fields.get("version"),
        arch=fields.get("architecture"),
        multi_arch=fields.get("multi-arch"),
        entries=data.entries,
        markers=data.markers,
        too_large=data.too_large,
        unsafe=tuple(data.unsafe.names),
        unsafe_count=data.unsafe.count,
        file_list=md5sums,
        depends=depends,
        scripts={
            k: v.decode("utf-8", "replace")
            for k, v in captured.items()
            if k not in ("control", "md5sums")
        },
    )


READER = Reader(
    name="deb",
    description="a Debian binary package",
    directory=False,
    recognise=lambda probe: probe.head.startswith(AR),
    read=one_package(read_deb),
    suffixes=(".deb", ".udeb", ".ddeb"),
    pooled=True,
)
