"""Read an .rpm without extracting it: the header lists every file; the payload only for markers.

Layout (rpm's lib/header.c and lib/rpmlead.c): a 96-byte lead, then the
signature header padded to 8 bytes, then the main header, then the payload,
a cpio archive (newc, or rpm's stripped `07070X` form for large files)
compressed with gzip, xz, zstd, bzip2 or none. A header is
`8E AD E8 01`, 4 reserved bytes, the index count and the data size, then
16-byte index entries (tag, type, offset, count) into the data store.

Names, modes, owners, sizes, digests and link targets come from the header,
so ownership is decided before any payload is read; the payload is streamed
only as far as the last marker the header lists, each marker's digest is
checked against the header, and reading stops. A package with no marker is
never decompressed at all. There is no maintained pure-Python rpm reader to
lean on (rpmfile reads whole payloads into memory), hence this module.
"""

from __future__ import annotations

import io
import os
import posixpath
import stat
import struct
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO, TypeVar

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
    digests_agree,
    exactly,
    normalise,
    one_package,
)
from marker_tool.sources.compression import Bounded, sniffed
from marker_tool.sources.cpiostream import CpioStream
from marker_tool.sources.magic import RPM_LEAD

HEADER_MAGIC = b"\x8e\xad\xe8\x01"
#: rpm's own ceilings (HEADER_TAGS_MAX, and a data store far above any real header).
MAX_TAGS = 0xFFFF
MAX_HEADER_DATA = 64 * 1024 * 1024

NAME, VERSION, RELEASE, ARCH = 1000, 1001, 1002, 1022
FILESIZES, FILEMODES, FILEDIGESTS, FILELINKTOS, FILEFLAGS = 1028, 1030, 1035, 1036, 1037
FILEUSERNAME, FILEGROUPNAME, REQUIRENAME = 1039, 1040, 1049
DIRINDEXES, BASENAMES, DIRNAMES, OLDFILENAMES = 1116, 1117, 1118, 1027
LONGFILESIZES, FILEDIGESTALGO = 5008, 5011
#: Signature header tags: the size of the main header and the payload together.
SIG_SIZE, SIG_LONGSIZE = 1000, 270
RPMFILE_GHOST = 1 << 6
#: rpm's PGPHASHALGO numbers -> hashlib names.
DIGESTS = {1: "md5", 2: "sha1", 8: "sha256", 9: "sha384", 10: "sha512", 11: "sha224"}

_INT_FORMATS = {2: "B", 3: "H", 4: "I", 5: "Q"}
_INT_SIZES = {2: 1, 3: 2, 4: 4, 5: 8}
Value = list[int] | list[str] | bytes
T = TypeVar("T")
D = TypeVar("D")


#: Bytes a header's tags may decode to, per byte of its data store. Real headers'
#: tags do not overlap; tags all pointing at the same bytes would decode them again each time.
DECODE_FACTOR = 2


def read_header(stream: BinaryIO, what: str) -> dict[int, Value]:
    """One header structure: tag -> list of ints, list of strings, or bytes.

    Its index and data sizes are checked against the file before they are read,
    and the tags may decode to at most `DECODE_FACTOR` times its data size.
    """
    intro = exactly(stream, 16, f"its {what}")
    if intro[:4] != HEADER_MAGIC:
        raise PackageError(f"the rpm's {what} has no header magic (corrupt?)")
    count, size = struct.unpack(">II", intro[8:16])
    if count > MAX_TAGS or size > MAX_HEADER_DATA:
        raise PackageError(f"the rpm's {what} claims {count} tags and {size} bytes: absurd")
    if 16 * count + size > _file_size(stream) - stream.tell():
        raise PackageError(f"the rpm's {what} claims more bytes than the file holds (truncated?)")
    index = exactly(stream, 16 * count, f"its {what}")
    store = exactly(stream, size, f"its {what}")
    return _tags(index, store, count, size, what)


def header_blob(blob: bytes, what: str = "database header") -> dict[int, Value]:
    """A header as rpm's database stores it (`headerExport`: no magic, the index count
    and data size, then index and data), decoded as `read_header` decodes one."""
    if len(blob) < 8:
        raise PackageError(f"an rpm {what} of {len(blob)} bytes (corrupt?)")
    count, size = struct.unpack(">II", blob[:8])
    if count > MAX_TAGS or size > MAX_HEADER_DATA or 8 + 16 * count + size > len(blob):
        raise PackageError(f"an rpm {what} that claims more than it holds (corrupt?)")
    index, store = blob[8 : 8 + 16 * count], blob[8 + 16 * count : 8 + 16 * count + size]
    return _tags(index, store, count, size, what)


def _tags(index: bytes, store: bytes, count: int, size: int, what: str) -> dict[int, Value]:
    tags: dict[int, Value] = {}
    budget = DECODE_FACTOR * size + 4096
    for n in range(count):
        tag, kind, offset, items = struct.unpack_from(">iIiI", index, 16 * n)
        if offset < 0 or offset > size or items > size:
            raise PackageError(f"the rpm's {what} has tag {tag} outside its data (corrupt?)")
        if kind in _INT_FORMATS:
            end = offset + items * _INT_SIZES[kind]
            if end > size:
                raise PackageError(f"the rpm's {what} has tag {tag} outside its data (corrupt?)")
            budget -= end - offset
            _spend(budget, what)
            tags[tag] = list(struct.unpack_from(f">{items}{_INT_FORMATS[kind]}", store, offset))
        elif kind in (6, 8, 9):  # STRING, STRING_ARRAY, I18NSTRING
            strings, at = [], offset
            for _ in range(1 if kind == 6 else items):
                end = store.find(b"\0", at)
                if end < 0:
                    raise PackageError(f"the rpm's {what} has an unterminated string (corrupt?)")
                budget -= end + 1 - at
                _spend(budget, what)
                strings.append(store[at:end].decode("utf-8", "replace"))
                at = end + 1
            tags[tag] = strings
        elif kind == 7:  # BIN
            if offset + items > size:
                raise PackageError(f"the rpm's {what} has tag {tag} outside its data (corrupt?)")
            budget -= items
            _spend(budget, what)
            tags[tag] = store[offset : offset + items]
    return tags


def _spend(budget: int, what: str) -> None:
    if budget < 0:
        raise PackageError(
            f"the rpm's {what} has tags that overlap, decoding to more than "
            f"{DECODE_FACTOR} times its size (corrupt, or hostile)"
        )


def _strings(tags: dict[int, Value], tag: int) -> list[str]:
    value = tags.get(tag, [])
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _ints(tags: dict[int, Value], tag: int) -> list[int]:
    value = tags.get(tag, [])
    return [v for v in value if isinstance(v, int)] if isinstance(value, list) else []


def _kind(mode: int) -> MemberKind:
    mode &= 0o177777  # st_mode is 16 bits; a header may claim a wider integer
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "directory"
    if stat.S_ISLNK(mode):
        return "symlink"
    return "other"


def _file_names(tags: dict[int, Value]) -> list[str]:
    basenames = _strings(tags, BASENAMES)
    if basenames:
        dirnames, indexes = _strings(tags, DIRNAMES), _ints(tags, DIRINDEXES)
        if len(indexes) != len(basenames) or any(i >= len(dirnames) for i in indexes):
            raise PackageError("the rpm's file list is inconsistent (corrupt?)")
        if any(
            len(dirnames[i]) + len(b) > NAME_MAX_CHARS
            for i, b in zip(indexes, basenames, strict=True)
        ):
            raise PackageError(f"the rpm lists a file name longer than {NAME_MAX_CHARS}")
        return [dirnames[i] + b for i, b in zip(indexes, basenames, strict=True)]
    return _strings(tags, OLDFILENAMES)


@dataclass(slots=True)
class _Files:
    """The header's file list, as entries."""

    entries: dict[str, Member] = field(default_factory=dict)
    #: Regular files (not %ghost) -> digest.
    digests: dict[str, str] = field(default_factory=dict)
    #: Regular-file markers the payload holds.
    markers: set[str] = field(default_factory=set)
    unsafe: Unsafe = field(default_factory=Unsafe)


def _files(tags: dict[int, Value], names: list[str], budget: Budget) -> _Files:
    modes, flags = _ints(tags, FILEMODES), _ints(tags, FILEFLAGS)
    sizes = _ints(tags, LONGFILESIZES) or _ints(tags, FILESIZES)
    users, groups = _strings(tags, FILEUSERNAME), _strings(tags, FILEGROUPNAME)
    links, digests = _strings(tags, FILELINKTOS), _strings(tags, FILEDIGESTS)
    for column in (modes, flags, sizes, users, groups, links, digests):
        if column and len(column) != len(names):
            raise PackageError("the rpm's file columns do not match its names (corrupt?)")
    files = _Files()
    for n, name in enumerate(names):
        where = normalise(name[1:]) if name.startswith("/") else None  # the header's are absolute
        if where is None:
            files.unsafe.add(name)
            continue
        budget.directories.add(where)
        mode = _at(modes, n, 0)
        entry = Member(
            where,
            _kind(mode),
            mode & 0o7777,
            (_at(users, n, "?"), _at(groups, n, "?")),
            _at(sizes, n, 0),
            _at(links, n, "") or None,
        )
        files.entries[where] = entry
        if entry.kind != "file" or _at(flags, n, 0) & RPMFILE_GHOST:
            continue  # a %ghost file is listed but not in the payload
        if digest := _at(digests, n, ""):
            files.digests[where] = digest
        if posixpath.basename(where) == MARKER_NAME:
            files.markers.add(where)
    return files


def read_rpm(path: str, budget: Budget | None = None, *, also: Collection[str] = ()) -> Package:
    """The entries (from the header) and markers (from the payload) of an .rpm.

    `also`: files read like markers.
    """
    budget = budget or Budget()
    limits = budget.limits
    with open_regular(path, kind="package") as handle:
        lead = exactly(handle, 96, "its lead")
        if lead[:4] != RPM_LEAD:
            raise PackageError("not an rpm: no lead magic")
        signature = read_header(handle, "signature header")
        handle.read(-handle.tell() % 8)
        claimed = _at(_ints(signature, SIG_LONGSIZE) or _ints(signature, SIG_SIZE), 0, None)
        total = os.fstat(handle.fileno()).st_size
        if claimed is not None and handle.tell() + claimed > total:
            raise PackageError(
                f"truncated: its signature says header and payload take {claimed} bytes, "
                f"{handle.tell() + claimed - total} more than the file holds"
            )
        tags = read_header(handle, "header")
        names = _file_names(tags)
        if len(names) > limits.members:
            raise PackageError(f"more than {limits.members} files", hint="`--max-members N`")
        files = _files(tags, names, budget)
        files.markers |= {w for w in also if w in files.digests}
        algorithm = DIGESTS.get(_at(_ints(tags, FILEDIGESTALGO), 0, 1), "md5")
        sizes = {w: files.entries[w].size for w in files.markers}
        too_large = {w: size for w, size in sizes.items() if size > limits.marker}
        markers: dict[str, bytes] = {}
        # The header lists everything; the payload is read for markers only.
        if files.markers - too_large.keys():
            payload = _Payload(files, algorithm, names, budget)
            payload.read(handle, markers, files.markers - too_large.keys())
    return Package(
        path,
        "rpm",
        name=_at(_strings(tags, NAME), 0, None),
        version="-".join(_strings(tags, VERSION) + _strings(tags, RELEASE)) or None,
        arch=_at(_strings(tags, ARCH), 0, None),
        entries=files.entries,
        markers=markers,
        too_large=too_large,
        unsafe=tuple(files.unsafe.names),
        unsafe_count=files.unsafe.count,
        file_list=files.digests,
        digest=algorithm,
        depends=tuple(dict.fromkeys(r for r in _strings(tags, REQUIRENAME) if "(" not in r)),
    )


def _at(values: Sequence[T], n: int, default: D) -> T | D:
    return values[n] if n < len(values) else default


@dataclass(frozen=True, slots=True)
class _Payload:
    files: _Files
    algorithm: str
    names: list[str]
    budget: Budget

    def read(self, handle: BinaryIO, markers: dict[str, bytes], readable: set[str]) -> None:
        """Stream the cpio payload until `readable` are read and agree with the header."""
        size = max(0, _file_size(handle) - handle.tell())
        cpio = CpioStream(sniffed(Bounded(handle, size), self.budget), self.budget, self.names)
        entries = self.files.entries
        agreed = True
        marker_cap = self.budget.limits.marker
        while (member := cpio.next()) is not None:
            where = normalise(member.name)
            if where is None or where not in entries:
                raise PackageError(
                    f"the payload holds `{member.name}`, which the header does not list"
                )
            size = member.size if member.size >= 0 else entries[where].size
            if where in readable and size > marker_cap:
                raise PackageError(
                    f"the payload's `{where}` claims {size} bytes, where the header says "
                    f"{entries[where].size} (corrupt, or hostile)"
                )
            if where not in readable or (size == 0 and entries[where].size > 0):
                cpio.skip(size)  # not a marker, or a hard link whose bytes come with a later name
                continue
            markers[where] = cpio.read(size)
            if agreed and readable <= markers.keys():
                if digests_agree(markers, self.files.digests, self.algorithm):
                    return
                agreed = False  # read on: the whole payload is checked against the header
        if missing := readable - markers.keys():
            raise PackageError(f"the header lists `{sorted(missing)[0]}`, which the payload lacks")


def _file_size(handle: BinaryIO) -> int:
    here = handle.tell()
    end = handle.seek(0, io.SEEK_END)
    handle.seek(here)
    return end


READER = Reader(
    name="rpm",
    description="an RPM package",
    directory=False,
    recognise=lambda probe: probe.head.startswith(RPM_LEAD),
    read=one_package(read_rpm),
    suffixes=(".rpm",),
    pooled=True,
)
