"""One pass over a tar stream: every member's header, the markers' bytes, nothing extracted.

The .deb data member, Arch and Alpine packages, root filesystem tarballs and
each layer of a container image are tar streams; this reads them all, every
header to the end of the archive, so a symlinked or hard-linked marker is
never missed and a stream cut short is an error. Member names are made
relative to the package root; a name with `..` or an absolute one is kept
aside as unsafe and never used. Hard links to a marker carry no bytes of
their own in tar; they get their target's.

Why not `tarfile`: its stream mode hands pax headers to a regular expression
that is a denial of service before CPython 3.11.10 (CVE-2024-6232), accepts
sizes that make it seek far past the end, raises `OverflowError`,
`ValueError` and `UnicodeDecodeError` on malformed headers, and calls
Python code per member where this parses headers out of large buffers. The
formats read are POSIX ustar, pax (`x`, `g`) and GNU (`L`, `K` long names,
base-256 numbers), each claimed size checked against its cap before a byte
is read. Sparse members (GNU `S`, pax 0.0, 0.1 and 1.0, as `tar -S` writes
them) are regular files under their real names and sizes, their holes read
as zeros.
"""

from __future__ import annotations

import io
import os
import posixpath
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import BinaryIO, NamedTuple
from zlib import adler32

from marker_tool.errors import PackageError
from marker_tool.model import MARKER_NAME
from marker_tool.sources.base import (
    Budget,
    Member,
    MemberKind,
    RawStream,
    Stream,
    Unsafe,
    decimal,
    normalise,
    shortened,
)

BLOCK = 512
_READ = 1024 * 1024
_KINDS: dict[bytes, MemberKind] = {
    b"0": "file",
    b"\0": "file",
    b"7": "file",
    b"5": "directory",
    b"2": "symlink",
    b"1": "hardlink",
    b"S": "file",  # GNU's old sparse file: a regular file whose holes are not stored
}
#: Links, devices, directories and FIFOs: no data follows their header.
_NO_DATA = frozenset({b"1", b"2", b"3", b"4", b"5", b"6"})
#: Bytes of a metadata member (`.PKGINFO`, `md5sums`, a manifest) that are read.
METADATA_CAP = 16 * 1024 * 1024
#: Bytes of one pax header or GNU long name (the longest real path is a few KiB).
EXTENDED_CAP = 1024 * 1024


@dataclass(slots=True)
class Scan:
    """What one pass found (filled in as the stream goes)."""

    entries: dict[str, Member] = field(default_factory=dict)
    markers: dict[str, bytes] = field(default_factory=dict)
    too_large: dict[str, int] = field(default_factory=dict)
    unsafe: Unsafe = field(default_factory=Unsafe)
    #: Content of the members asked for by name (`capture`).
    captured: dict[str, bytes] = field(default_factory=dict)


class _Blocks:
    """A tar stream read in large chunks; headers are sliced out of the buffer."""

    def __init__(self, stream: Stream) -> None:
        self.stream = stream
        self.buffer = b""
        self.at = 0

    def take(self, size: int) -> bytes:
        """Exactly `size` bytes, or PackageError: the archive ends early."""
        if self.at + size > len(self.buffer):
            self.buffer = self.buffer[self.at :]
            self.at = 0
            while len(self.buffer) < size:
                chunk = self.stream.read(max(_READ, size - len(self.buffer)))
                if not chunk:
                    raise PackageError("the tar archive ends inside a member (truncated?)")
                self.buffer += chunk
        data = self.buffer[self.at : self.at + size]
        self.at += size
        return data

    def skip(self, size: int) -> None:
        """Pass over `size` bytes, reading (decompressing) them without keeping them."""
        held = len(self.buffer) - self.at
        if size <= held:
            self.at += size
            return
        size -= held
        self.buffer, self.at = b"", 0
        while size > 0:
            chunk = self.stream.read(min(_READ, size))
            if not chunk:
                raise PackageError("the tar archive ends inside a member (truncated?)")
            size -= len(chunk)

    def drain(self) -> None:
        """Read the stream to its end, so a compressed stream's own checksum is verified.

        What follows the end-of-archive blocks is ignored, as GNU tar and dpkg do, but
        the stream must end on a whole 512-byte block: a cut one was truncated.
        """
        left = len(self.buffer) - self.at
        self.buffer, self.at = b"", 0
        while chunk := self.stream.read(_READ):
            left += len(chunk)
        if left % BLOCK:
            raise PackageError("the tar archive ends inside a 512-byte block (truncated?)")


def _number(field_: bytes, what: str) -> int:
    """A numeric header field: octal, or GNU base-256 (first byte 0x80 or 0xff)."""
    if field_[:1] in (b"\x80", b"\xff"):
        value = int.from_bytes(field_[1:], "big")
        if field_[0] == 0xFF:
            value -= 256 ** (len(field_) - 1)
        if value < 0:
            raise PackageError(f"a tar header with a negative {what}")
        return value
    digits = field_.split(b"\0", 1)[0].strip(b" ")
    if not digits:
        return 0
    try:
        return int(digits, 8)
    except ValueError:
        raise PackageError(f"a tar header whose {what} is not a number (corrupt?)") from None


def _checksum_ok(header: bytes) -> bool:
    stored = header[148:156].split(b"\0", 1)[0].strip(b" ")
    try:
        expected = int(stored, 8)
    except ValueError:
        return False
    # The sum of the header's bytes, the checksum field counted as spaces. Adler-32's
    # low half is 1 + the sum of its bytes modulo 65521, exact for 256 bytes (at most
    # 65280): two calls in C instead of `sum()` over 512 Python ints per member.
    total = (adler32(header[:256]) & 0xFFFF) + (adler32(header[256:]) & 0xFFFF) - 2
    return expected == total - sum(header[148:156]) + 256


def _text(raw: bytes) -> str:
    """A name as the archive wrote it: UTF-8, else each byte kept as an escape."""
    return raw.decode("utf-8", "surrogateescape")


#: pax 0.0 repeats these records once per chunk of a sparse file; they are gathered
#: into one `GNU.sparse.map` (pax 0.1's form) instead of the last one winning.
_SPARSE_PAIRS = ("GNU.sparse.offset", "GNU.sparse.numbytes")


def pax_records(data: bytes) -> dict[str, str]:
    """`LENGTH KEY=VALUE\\n` records, in one linear pass, each length checked."""
    records: dict[str, str] = {}
    pairs: list[str] = []
    at = 0
    while at < len(data):
        if data[at] == 0:
            break  # padding
        space = data.find(b" ", at, at + 20)
        if space < 0:
            raise PackageError("a malformed pax header (a record with no length)")
        length = decimal(data[at:space], "a pax header's record length")
        end = at + length
        if length <= space - at + 1 or end > len(data) or data[end - 1] != 0x0A:
            raise PackageError("a malformed pax header (a record of the wrong length)")
        key, equals, value = data[space + 1 : end - 1].partition(b"=")
        if not equals:
            raise PackageError("a malformed pax header (a record with no `=`)")
        name = key.decode("utf-8", "surrogateescape")
        if name in _SPARSE_PAIRS:
            pairs.append(_text(value))
        else:
            records[name] = _text(value)
        at = end
    if pairs:
        records["GNU.sparse.map"] = ",".join(pairs)
    return records


def _field(header: bytes, start: int, end: int) -> str:
    return _text(header[start:end].split(b"\0", 1)[0])


class Header(NamedTuple):
    """One member's header as its pax records and GNU fields make it (a tuple: one is
    made per member, and a frozen dataclass costs several times as much to make)."""

    name: str
    kind: MemberKind
    #: Bytes of data that follow the header (a sparse file's stored chunks, and its map).
    stored: int
    link: str | None
    mode: int
    owner: tuple[str, str]
    #: A sparse file's size with its holes, and its map when the header holds it.
    sparse: Sparse | None = None

    @property
    def size(self) -> int:
        return self.sparse.size if self.sparse is not None else self.stored


@dataclass(frozen=True, slots=True)
class Sparse:
    """A sparse file: its real size, and where its stored chunks go (offset, length)."""

    size: int
    #: The chunks, or None when they are at the start of the data (pax 1.0).
    chunks: tuple[tuple[int, int], ...] | None


class Fields:
    """The pax records that apply to one member: its own (`x`), then the global ones (`g`).

    Looked up, never merged: a global header of many records would otherwise be
    copied for every member that follows it.
    """

    __slots__ = ("globals_", "own")

    def __init__(self, own: dict[str, str], globals_: dict[str, str]) -> None:
        self.own, self.globals_ = own, globals_

    @staticmethod
    def of(own: dict[str, str], globals_: dict[str, str]) -> Fields | None:
        """The records of a member; None when there are none (most archives': the fast
        path)."""
        return Fields(own, globals_) if own or globals_ else None

    def get(self, key: str) -> str | None:
        value = self.own.get(key)
        return value if value is not None else self.globals_.get(key)


#: A member's mode and owner by the raw bytes they are made of (mode, uid, gid, uname,
#: gname): an archive has few, and parsing them is most of a header's cost.
Owners = dict[bytes, tuple[int, tuple[str, str]]]


def _member(header: bytes, fields: Fields | None, owners: Owners) -> Header:
    """A member's name, kind, data size, link target, mode and owner; pax fields win."""
    name = None
    if fields is not None:
        name = fields.get("GNU.sparse.name") or fields.get("path")
    if name is None:
        name = _field(header, 0, 100)
        if header[257:262] == b"ustar" and header[345:346] != b"\0":
            name = _field(header, 345, 500) + "/" + name
    type_ = header[156:157]
    kind = _KINDS.get(type_, "other")
    stored = _number(header[124:136], "size")
    if fields is not None and (size := fields.get("size")) is not None:
        stored = decimal(size, "a pax header's size")
    if type_ in _NO_DATA:
        stored = 0  # as tar readers do, their size field is not data that follows
    link = None
    if fields is not None:
        link = fields.get("linkpath") or _field(header, 157, 257) or None
    elif type_ in _LINKS:
        link = _field(header, 157, 257) or None
    mode, owner = _owner(header, fields, owners)
    sparse = _pax_sparse(fields) if kind == "file" and fields is not None else None
    if type_ == b"S":
        sparse = Sparse(_number(header[483:495], "real size"), _gnu_chunks(header[386:482]))
    return Header(name, kind, stored, link, mode, owner, sparse)


_LINKS = frozenset({b"1", b"2"})


def _owner(header: bytes, fields: Fields | None, owners: Owners) -> tuple[int, tuple[str, str]]:
    """The mode and (user, group) of a member; one tuple per owner in an archive, shared
    by its members (a million members stay about 250 MB)."""
    key = header[100:124] + header[265:329]
    held = owners.get(key)
    if held is None:
        mode = _number(header[100:108], "mode") & 0o7777
        user = _field(header, 265, 297) or str(_number(header[108:116], "uid"))
        group = _field(header, 297, 329) or str(_number(header[116:124], "gid"))
        held = owners[key] = (mode, (user, group))
    if fields is not None and (fields.get("uname") or fields.get("gname")):
        owner = (fields.get("uname") or held[1][0], fields.get("gname") or held[1][1])
        return held[0], owner
    return held


def _pax_sparse(fields: Fields) -> Sparse | None:
    """A pax sparse file's real size and map: 0.0 and 0.1 in the records, 1.0 in the data."""
    real = fields.get("GNU.sparse.realsize") or fields.get("GNU.sparse.size")
    if real is None:
        return None
    size = decimal(real, "a sparse file's size")
    if fields.get("GNU.sparse.major") == "1":
        return Sparse(size, None)
    numbers = (fields.get("GNU.sparse.map") or "").split(",")
    if numbers == [""]:
        return Sparse(size, ())
    if len(numbers) % 2:
        raise PackageError("a sparse file's map with an offset and no length (corrupt?)")
    values = [decimal(n, "a sparse file's map") for n in numbers]
    return Sparse(size, tuple(zip(values[::2], values[1::2], strict=True)))


def _gnu_chunks(structs: bytes) -> tuple[tuple[int, int], ...]:
    """The (offset, length) pairs of GNU's sparse headers: 24 bytes each, zero-ended."""
    chunks = []
    for at in range(0, len(structs) - 23, 24):
        offset = _number(structs[at : at + 12], "sparse offset")
        length = _number(structs[at + 12 : at + 24], "sparse length")
        if offset or length:
            chunks.append((offset, length))
    return tuple(chunks)


def _content(
    scan: Scan,
    blocks: _Blocks,
    where: str,
    member: Header,
    *,
    capture: Collection[str],
    also: Collection[str],
    marker_cap: int,
) -> None:
    """Keep a regular file's bytes if it is a marker, a link target or captured metadata,
    else pass over them."""
    size, padded = member.size, member.stored + (-member.stored % BLOCK)
    wanted = posixpath.basename(where) == MARKER_NAME or where in also
    if where in capture and member.sparse is None:
        if size > METADATA_CAP:
            raise PackageError(f"`{where}` is far too large for package metadata")
        scan.captured[where] = blocks.take(padded)[:size]
        if wanted and size <= marker_cap:
            scan.markers[where] = scan.captured[where]
        return
    if not wanted:
        blocks.skip(padded)
        return
    if size > marker_cap:
        scan.too_large[where] = size
        blocks.skip(padded)
    elif member.sparse is not None:
        if member.stored > size + EXTENDED_CAP:
            raise PackageError(f"`{where}` stores more bytes than its sparse size (corrupt?)")
        scan.markers[where] = _unsparse(blocks.take(padded)[: member.stored], member.sparse)
    else:
        scan.markers[where] = blocks.take(padded)[:size]


def _unsparse(stored: bytes, sparse: Sparse) -> bytes:
    """A sparse file's bytes (at most a marker's cap): its chunks placed, its holes zeros."""
    chunks, at = sparse.chunks, 0
    if chunks is None:  # pax 1.0: the map is decimal lines at the start of the data
        chunks, at = _map_in_data(stored)
    out = bytearray(sparse.size)
    for offset, length in chunks:
        if offset + length > sparse.size or at + length > len(stored):
            raise PackageError("a sparse file whose map lies outside it (corrupt?)")
        out[offset : offset + length] = stored[at : at + length]
        at += length
    return bytes(out)


def _map_in_data(stored: bytes) -> tuple[tuple[tuple[int, int], ...], int]:
    """pax 1.0's map: a count, then an offset and a length per chunk, one a line, padded
    to a block; the chunks' bytes follow it."""
    count = decimal(stored[:24].split(b"\n", 1)[0], "a sparse file's map")
    lines = stored.split(b"\n", 2 * min(count, len(stored)) + 1)
    if 2 * count + 1 >= len(lines):
        raise PackageError("a sparse file whose map is cut short (corrupt?)")
    values = [decimal(n, "a sparse file's map") for n in lines[1 : 2 * count + 1]]
    used = sum(len(n) + 1 for n in lines[: 2 * count + 1])
    return tuple(zip(values[::2], values[1::2], strict=True)), used + (-used % BLOCK)


_EXTENDED = frozenset({b"x", b"g", b"L", b"K"})
_ZEROS = bytes(BLOCK)


def _extended(
    header: bytes, blocks: _Blocks, extended: dict[str, str], globals_: dict[str, str]
) -> None:
    """A pax header (`x` for the next member, `g` for all) or a GNU long name (`L`, `K`)."""
    size = _extended_size(header)
    _parse_extended(header, blocks.take(size + (-size % BLOCK))[:size], extended, globals_)


def _extended_size(header: bytes) -> int:
    size = _number(header[124:136], "size")
    if size > EXTENDED_CAP:
        raise PackageError(
            f"a tar extended header of {size} bytes (at most {EXTENDED_CAP} are read)"
        )
    return size


def _parse_extended(
    header: bytes, data: bytes, extended: dict[str, str], globals_: dict[str, str]
) -> None:
    kind = header[156:157]
    if kind == b"x":
        extended.update(pax_records(data))
    elif kind == b"g":
        globals_.update(pax_records(data))
    else:
        extended["path" if kind == b"L" else "linkpath"] = _text(data.split(b"\0", 1)[0])


def scan_tar(
    stream: Stream,
    budget: Budget,
    *,
    capture: Collection[str] = (),
    also: Collection[str] = (),
) -> Scan:
    """Read `stream` as a tar archive, every header to its end.

    `capture` names members (paths inside the package) whose bytes are kept in
    `Scan.captured`; `also` names files read like markers (the targets of
    symlinked markers). Each member is spent from the input's `budget`.
    """
    scan = Scan()
    owners: Owners = {}
    blocks = _Blocks(stream)
    extended: dict[str, str] = {}
    globals_: dict[str, str] = {}
    while True:
        header = blocks.take(BLOCK)
        if header == _ZEROS:
            blocks.drain()
            break
        if not _checksum_ok(header):
            raise PackageError("a tar header with a bad checksum (corrupt, or not a tar?)")
        if header[156:157] in _EXTENDED:
            _extended(header, blocks, extended, globals_)
            continue
        budget.spend_member()
        fields = Fields.of(extended, globals_)
        extended = {}
        if fields is None and header[:3] == b"../" and header[345] == 0 and header[156] != 83:
            # A name that climbs out, with no pax record or prefix to change it: kept
            # aside at once, its header no further parsed (a million of them cost seconds).
            scan.unsafe.add(_field(header, 0, 100))
            size = 0 if header[156:157] in _NO_DATA else _number(header[124:136], "size")
            blocks.skip(size + (-size % BLOCK))
            continue
        member = _member(header, fields, owners)
        if header[156:157] == b"S" and header[482]:
            member = _gnu_extensions(member, blocks)
        _entry(scan, blocks, member, budget, capture=capture, also=also)
    for where, entry in scan.entries.items():
        if entry.kind == "hardlink" and entry.link in scan.markers:
            scan.markers[where] = scan.markers[entry.link]
    return scan


def _entry(
    scan: Scan,
    blocks: _Blocks,
    member: Header,
    budget: Budget,
    *,
    capture: Collection[str],
    also: Collection[str],
) -> None:
    """One member's entry kept (its name made safe), its data read or passed over."""
    padded = member.stored + (-member.stored % BLOCK)
    where = normalise(member.name)
    if not where:
        if where is None:
            scan.unsafe.add(member.name)
        blocks.skip(padded)
        return
    budget.directories.add(where)
    link = member.link
    if member.kind == "hardlink" and link:
        link = normalise(link)
    scan.entries[where] = Member(where, member.kind, member.mode, member.owner, member.size, link)
    if member.kind != "file":
        blocks.skip(padded)
        return
    _content(
        scan, blocks, where, member, capture=capture, also=also, marker_cap=budget.limits.marker
    )


def _gnu_extensions(member: Header, blocks: _Blocks) -> Header:
    """GNU's old sparse header continued: blocks of 21 more chunks each until one says
    it is the last. Only the chunks of a file that is read are kept."""
    assert member.sparse is not None
    chunks = list(member.sparse.chunks or ())
    while True:
        block = blocks.take(BLOCK)
        if len(chunks) <= _CHUNKS_KEPT:
            chunks += _gnu_chunks(block[:504])
        if not block[504]:
            break
    sparse = Sparse(member.sparse.size, tuple(chunks))
    return Header(member.name, "file", member.stored, None, member.mode, member.owner, sparse)


#: Chunks of a GNU sparse map kept: a marker of 1 MiB has fewer than this many.
_CHUNKS_KEPT = 1 << 16


@dataclass(frozen=True, slots=True)
class Located:
    """Where a member of a seekable tar file lies: its kind, data offset, size and link."""

    kind: MemberKind
    offset: int
    size: int
    link: str | None


def index_tar(handle: BinaryIO, budget: Budget) -> dict[str, Located]:
    """Every member of a seekable tar file (an image tarball), by path; no data is read.

    Each header is parsed here, as in `scan_tar` (never by `tarfile`), and
    each claimed size is checked against the file's before it is used.
    """
    total = handle.seek(0, io.SEEK_END)
    if total % BLOCK:
        raise PackageError(f"{total} bytes, not whole 512-byte tar blocks (truncated?)")
    members: dict[str, Located] = {}
    extended: dict[str, str] = {}
    globals_: dict[str, str] = {}
    offset = 0
    while True:
        handle.seek(offset)
        header = handle.read(BLOCK)
        if not header.strip(b"\0"):
            break  # the end-of-archive blocks, or the end of a tar written without them
        if len(header) < BLOCK or not _checksum_ok(header):
            raise PackageError("a tar header with a bad checksum (corrupt, or not a tar?)")
        offset += BLOCK
        if header[156:157] in _EXTENDED:
            size = _extended_size(header)
            data = handle.read(size)
            if len(data) < size:
                raise PackageError("the tar archive ends inside an extended header (truncated?)")
            _parse_extended(header, data, extended, globals_)
            offset += size + (-size % BLOCK)
            continue
        budget.spend_member()
        member = _member(header, Fields.of(extended, globals_), {})
        extended = {}
        size = member.stored
        if offset + size + (-size % BLOCK) > total:  # its padding too, as tar writes it
            raise PackageError(
                f"`{shortened(member.name)}` claims {size} bytes, more than the tarball "
                "holds (truncated?)"
            )
        where = normalise(member.name)
        if where:
            # A sparse blob's stored bytes are not its content: no image writes one.
            kind = member.kind if member.sparse is None else "other"
            members[where] = Located(kind, offset, size, member.link)
        offset += size + (-size % BLOCK)
    return members


class Window(RawStream):
    """`size` bytes of a seekable file from `start`: one member of an image tarball.

    Several windows may share the file; each seeks to its own place before reading.
    Closing one leaves the file open.
    """

    def __init__(self, handle: BinaryIO, start: int, size: int) -> None:
        self.handle, self.start, self.size, self.at = handle, start, size, 0

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.at

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self.at, os.SEEK_END: self.size}[whence]
        self.at = max(0, base + offset)
        return self.at

    def _fill(self, size: int) -> bytes:
        want = min(size, self.size - self.at)
        if want <= 0:
            return b""
        self.handle.seek(self.start + self.at)
        data = self.handle.read(want)
        if not data:
            raise PackageError("the image tarball ends inside a member (truncated?)")
        self.at += len(data)
        return data
