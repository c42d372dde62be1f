"""Bounded decompressing streams: gzip (also concatenated, as in an .apk), xz, bzip2, zstd.

The standard library's own decompressors do the work; this module adds what
reading untrusted packages needs and they do not give: a cap on the bytes one
package may decompress to, the xz decoder's memory limit, the zstd window
limit, a clear `PackageError` for a truncated or corrupt stream, and one
`needs_input` protocol over zlib (whose object lacks it) and the others.
`tarfile`'s own `r|gz`/`r|xz` modes have none of these caps.
"""

from __future__ import annotations

import bz2
import functools
import io
import lzma
import zlib
from collections.abc import Callable
from typing import IO, Any, BinaryIO, Protocol, cast

from marker_tool.errors import MissingModule
from marker_tool.sources.base import Limits, PackageError

CHUNK = 256 * 1024

#: Leading bytes of each compression, for streams whose name does not say.
MAGIC: dict[bytes, str] = {
    b"\x1f\x8b": "gzip",
    b"\xfd7zXZ\x00": "xz",
    b"BZh": "bzip2",
    b"\x28\xb5\x2f\xfd": "zstd",
}
#: What a file or member name ending says (`data.tar.xz`, `.pkg.tar.zst`, `.tgz`).
SUFFIXES: dict[str, str] = {
    ".gz": "gzip",
    ".tgz": "gzip",
    ".xz": "xz",
    ".lzma": "lzma",
    ".bz2": "bzip2",
    ".zst": "zstd",
    ".tar": "none",
    "": "none",
}


class Decompressor(Protocol):
    """What lzma, bz2 and zstd decompressors have in common (zlib through `_Gzip`)."""

    @property
    def eof(self) -> bool: ...

    @property
    def needs_input(self) -> bool: ...

    def decompress(self, data: bytes, max_length: int = -1) -> bytes: ...


class _Gzip:
    """zlib with the `needs_input` protocol, reading gzip members one after another.

    An Alpine .apk is three gzip streams back to back (signature, control,
    data); `gzip -d` and apk read them as one, and so does this. Between
    members it is `between`: the input may end there, and nowhere else.
    """

    def __init__(self) -> None:
        self._zlib = zlib.decompressobj(wbits=31)
        self._ended = False
        self.between = True

    @property
    def eof(self) -> bool:
        return self._ended

    @property
    def needs_input(self) -> bool:
        if self._zlib.eof:
            return not self._zlib.unused_data
        return not self._zlib.unconsumed_tail

    def end(self) -> None:
        self._ended = True

    def decompress(self, data: bytes, max_length: int = -1) -> bytes:
        if not self._zlib.eof:
            data = self._zlib.unconsumed_tail + data
        else:
            data = self._zlib.unused_data + data
            if not data.strip(b"\0"):
                self._ended = True  # zero padding after the last member
                return b""
            self._zlib = zlib.decompressobj(wbits=31)  # the next member
        self.between = False
        out = self._zlib.decompress(data, max(max_length, 0))
        if self._zlib.eof:
            self.between = True
        return out


class Bounded(io.RawIOBase):
    """The next `size` bytes of `stream`, read as they are asked for (an ar or tar member)."""

    def __init__(self, stream: BinaryIO, size: int) -> None:
        self.stream = stream
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self.left <= 0:
            return 0
        data = self.stream.read(min(len(buffer), self.left))
        if not data:
            raise PackageError("the archive ends inside a member (truncated?)")
        buffer[: len(data)] = data
        self.left -= len(data)
        return len(data)

    def skip(self) -> None:
        while self.left > 0:
            self.read(min(self.left, CHUNK))


@functools.cache
def _zstd_module() -> Any:
    """`compression.zstd` (3.14) or its backport, imported once; None without either."""
    try:
        from compression import zstd  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        try:
            from backports import zstd  # type: ignore[import-not-found,no-redef,unused-ignore]
        except ImportError:
            return None
    return zstd


@functools.cache
def _errors() -> tuple[type[Exception], ...]:
    """What the decompressors raise on corrupt input (the zstd module's own error too)."""
    errors: tuple[type[Exception], ...] = (
        lzma.LZMAError,
        zlib.error,
        OSError,
        EOFError,
        ValueError,
    )
    zstd = _zstd_module()
    return errors + ((zstd.ZstdError,) if zstd is not None else ())


def _zstd(limits: Limits) -> Decompressor:
    """libzstd's decompressor, its window capped."""
    zstd = _zstd_module()
    options = {zstd.DecompressionParameter.window_log_max: limits.zstd_window_log}
    decompressor: Decompressor = zstd.ZstdDecompressor(options=options)
    return decompressor


class _Zstandard(io.RawIOBase):
    """python3-zstandard (Debian's package) where `compression.zstd` is missing.

    Its one-shot `decompressobj` has no output limit, so its bounded
    `stream_reader` is used, reading at most what is asked for.
    """

    def __init__(self, raw: io.RawIOBase, limits: Limits) -> None:
        import zstandard  # type: ignore[import-not-found,unused-ignore]

        self._error = zstandard.ZstdError
        context = zstandard.ZstdDecompressor(max_window_size=1 << limits.zstd_window_log)
        self._reader = context.stream_reader(cast("IO[bytes]", raw), read_across_frames=True)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        try:
            data: bytes = self._reader.read(len(buffer))
        except self._error as exc:
            raise PackageError(f"the compressed payload is corrupt: {exc}") from None
        buffer[: len(data)] = data
        return len(data)


def _zstd_stream(raw: io.RawIOBase, limits: Limits, budget: list[int]) -> Decompressed:
    if _zstd_module() is not None:
        return Decompressed(raw, _zstd(limits), budget)
    try:
        return Decompressed(_Zstandard(raw, limits), None, budget)
    except ImportError:
        raise MissingModule(
            "this package is compressed with zstd, and no zstd module is installed",
            hint="pip install backports.zstd, or on Debian: apt install python3-zstandard "
            "(Python 3.14 has compression.zstd built in)",
        ) from None


def _factories(limits: Limits) -> dict[str, Callable[[], Decompressor]]:
    return {
        "gzip": _Gzip,
        "xz": lambda: lzma.LZMADecompressor(lzma.FORMAT_XZ, memlimit=limits.xz_memory),
        "lzma": lambda: lzma.LZMADecompressor(lzma.FORMAT_ALONE, memlimit=limits.xz_memory),
        "bzip2": bz2.BZ2Decompressor,
    }


class Decompressed(io.RawIOBase):
    """A decompressing view of `raw` that refuses to produce more than `limit` bytes.

    `limit` is shared through `budget` when several streams belong to one
    package (the layers of an image): a list holding the bytes still allowed.
    """

    def __init__(
        self, raw: io.RawIOBase, decompressor: Decompressor | None, budget: list[int]
    ) -> None:
        self.raw = raw
        self.decompressor = decompressor
        self.budget = budget

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._next(len(buffer))
        self.budget[0] -= len(data)
        if self.budget[0] < 0:
            raise PackageError(
                "the payload decompresses to more than the limit",
                hint="a decompression bomb? `--max-decompressed MIB` raises the limit",
            )
        buffer[: len(data)] = data
        return len(data)

    def _next(self, size: int) -> bytes:
        if self.decompressor is None:
            return self.raw.read(size) or b""
        decompressor = self.decompressor
        while not decompressor.eof:
            chunk = b""
            if decompressor.needs_input:
                chunk = self.raw.read(CHUNK) or b""
                if not chunk:
                    if isinstance(decompressor, _Gzip) and decompressor.between:
                        decompressor.end()
                        return b""
                    raise PackageError("the compressed payload ends early (truncated?)")
            try:
                data = decompressor.decompress(chunk, size)
            except _errors() as exc:
                raise PackageError(f"the compressed payload is corrupt: {exc}") from None
            if data:
                return data
        return b""


def open_stream(
    compression: str, raw: io.RawIOBase, limits: Limits, budget: list[int] | None = None
) -> Decompressed:
    """A bounded stream of `raw` decompressed with `compression` (`xz`, `none` ...)."""
    budget = budget if budget is not None else [limits.decompressed]
    if compression == "none":
        return Decompressed(raw, None, budget)
    if compression == "zstd":
        return _zstd_stream(raw, limits, budget)
    factories = _factories(limits)
    if compression not in factories:
        raise PackageError(f"a compression marker-tool does not know: {compression}")
    return Decompressed(raw, factories[compression](), budget)


def by_suffix(name: str) -> str:
    """The compression a name's ending says (`data.tar.zst` -> `zstd`), or PackageError."""
    for suffix, compression in SUFFIXES.items():
        if suffix and name.endswith(suffix):
            return compression
    if "." not in name.rpartition("/")[2] or name.endswith(".tar"):
        return "none"
    raise PackageError(f"`{name}` uses a compression marker-tool does not know")


def by_magic(head: bytes) -> str:
    """The compression `head` starts with, `none` when it is none of them."""
    for magic, compression in MAGIC.items():
        if head.startswith(magic):
            return compression
    return "none"
