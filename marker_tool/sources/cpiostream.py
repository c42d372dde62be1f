"""The one cpio reader, beside `tarstream`: the members of a newc stream, nothing extracted.

An rpm's payload is a cpio archive (newc `070701`, with CRC `070702`, or
rpm's own stripped `07070X` for files over 4 GiB, whose names and sizes are
in the rpm header instead); an initramfs or a root filesystem may be one
too. Each header's name size is capped and every member counted against
the input's budget; a stream cut short is a PackageError.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from marker_tool.errors import PackageError
from marker_tool.sources.base import Budget, RawStream, Stream, exactly

NEWC = (b"070701", b"070702")
#: rpm's stripped header for large files: the magic, an index into the rpm header's files.
STRIPPED = b"07070X"
TRAILER = "TRAILER!!!"
#: The longest member name read (Linux's PATH_MAX).
NAME_CAP = 4096
_HEX_DIGITS = b"0123456789abcdefABCDEF"


@dataclass(frozen=True, slots=True)
class CpioHeader:
    """One member's header, as the stream gives it."""

    name: str
    #: Bytes of data that follow; -1 for a stripped header (its size is in the rpm header).
    size: int
    #: `st_mode` (0 for a stripped header).
    mode: int = 0
    uid: int = 0
    gid: int = 0


class CpioStream:
    """The members of a cpio stream in order; `next()` is None at the trailer.

    `names`: the rpm header's file names, which stripped headers refer to by index.
    """

    def __init__(self, stream: Stream, budget: Budget, names: Sequence[str] = ()) -> None:
        self.reader = io.BufferedReader(_Readable(stream), 64 * 1024)
        self.budget = budget
        self.names = names

    def _hex(self, size: int) -> list[int]:
        raw = exactly(self.reader, size, "a cpio header")
        # `int(x, 16)` alone takes a sign, `0x`, `_` and spaces: a field of `-0000001`
        # would be a size of -1, read as "the rest of the stream".
        if raw.translate(None, _HEX_DIGITS):
            raise PackageError("a cpio header with a field that is not hex (corrupt?)")
        return [int(raw[i : i + 8], 16) for i in range(0, size, 8)]

    def next(self) -> CpioHeader | None:
        magic = exactly(self.reader, 6, "a cpio header")
        if magic == STRIPPED:
            (index,) = self._hex(8)
            exactly(self.reader, 2, "a cpio header")  # pads the 14-byte header to 4
            if index >= len(self.names):
                raise PackageError("a payload member refers to no file of the header (corrupt?)")
            header = CpioHeader("." + self.names[index], -1)  # the rpm header's are absolute
        elif magic in NEWC:
            fields = self._hex(104)
            namesize = fields[11]
            if not 0 < namesize <= NAME_CAP:
                raise PackageError(f"a cpio header with a {namesize}-byte name (corrupt?)")
            raw = exactly(self.reader, namesize, "a cpio member name")
            name = raw.rstrip(b"\0").decode("utf-8", "surrogateescape")
            exactly(self.reader, -(110 + namesize) % 4, "a cpio member name")
            if name == TRAILER:
                return None
            header = CpioHeader(name, fields[6], fields[1], fields[2], fields[3])
        else:
            raise PackageError("not a cpio archive (newc), or corrupt there")
        self.budget.spend_member()
        return header

    def read(self, size: int) -> bytes:
        data = exactly(self.reader, size, "a cpio member")
        exactly(self.reader, -size % 4, "a cpio member")
        return data

    def drain(self) -> None:
        """Read the stream to its end, so a compressed stream's own checksum is verified
        (what follows the trailer is padding, as cpio writes it)."""
        while self.reader.read(1024 * 1024):
            pass

    def skip(self, size: int) -> None:
        size += -size % 4
        while size > 0:
            size -= len(exactly(self.reader, min(size, 1024 * 1024), "a cpio member"))


class _Readable(RawStream):
    """A `Stream` as the raw stream `io.BufferedReader` wants."""

    def __init__(self, stream: Stream) -> None:
        self.stream = stream

    def _fill(self, size: int) -> bytes:
        return self.stream.read(size)
