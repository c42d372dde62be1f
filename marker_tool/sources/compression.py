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
import importlib
import lzma
import zlib
from collections.abc import Callable
from typing import Any, Protocol

from marker_tool.errors import MissingModule, PackageError
from marker_tool.sources.base import CHUNK, Budget, RawStream, Stream
from marker_tool.sources.magic import compression_of

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


class Bounded(RawStream):
    """The next `size` bytes of `stream`, read as they are asked for (an ar or tar member)."""

    def __init__(self, stream: Stream, size: int) -> None:
        self.stream = stream
        self.left = size

    def _fill(self, size: int) -> bytes:
        if self.left <= 0:
            return b""
        data = self.stream.read(min(size, self.left))
        if not data:
            raise PackageError("the archive ends inside a member (truncated?)")
        self.left -= len(data)
        return data

    def skip(self) -> None:
        while self.left > 0:
            self.read(min(self.left, CHUNK))


@functools.cache
def _zstd_module() -> Any:
    """`compression.zstd` (3.14) or its backport, imported once; None without either."""
    for name in ("compression.zstd", "backports.zstd"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    return None


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


def _zstd(budget: Budget) -> Decompressor:
    """libzstd's decompressor, its window capped."""
    zstd = _zstd_module()
    options = {zstd.DecompressionParameter.window_log_max: budget.limits.zstd_window_log}
    decompressor: Decompressor = zstd.ZstdDecompressor(options=options)
    return decompressor


class _Zstandard(RawStream):
    """python3-zstandard (Debian's package) where `compression.zstd` is missing.

    Its one-shot `decompressobj` has no output limit, so its bounded
    `stream_reader` is used, reading at most what is asked for; the compressed
    bytes it reads are counted on their way in, for the ratio guard.
    """

    def __init__(self, raw: Stream, budget: Budget) -> None:
        zstandard = importlib.import_module("zstandard")
        self._error = zstandard.ZstdError
        window = 1 << budget.limits.zstd_window_log
        context = zstandard.ZstdDecompressor(max_window_size=window)
        self._reader = context.stream_reader(_Counted(raw, budget), read_across_frames=True)

    def _fill(self, size: int) -> bytes:
        try:
            data: bytes = self._reader.read(size)
        except self._error as exc:
            raise PackageError(f"the compressed payload is corrupt: {exc}") from None
        return data


class _Counted(RawStream):
    """`raw`, its bytes counted as compressed input of `budget`."""

    def __init__(self, raw: Stream, budget: Budget) -> None:
        self.raw, self.budget = raw, budget

    def _fill(self, size: int) -> bytes:
        data = self.raw.read(size)
        self.budget.spend_compressed(len(data))
        return data


def _zstd_stream(raw: Stream, budget: Budget) -> Decompressed:
    if _zstd_module() is not None:
        return Decompressed(raw, _zstd(budget), budget)
    try:
        return Decompressed(_Zstandard(raw, budget), None, budget, counted=True)
    except ImportError:
        raise MissingModule(
            "this package is compressed with zstd, and no zstd module is installed",
            hint="pip install backports.zstd, or on Debian: apt install python3-zstandard "
            "(Python 3.14 has compression.zstd built in)",
        ) from None


def _factories(budget: Budget) -> dict[str, Callable[[], Decompressor]]:
    memory = budget.limits.xz_memory
    return {
        "gzip": _Gzip,
        "xz": lambda: lzma.LZMADecompressor(lzma.FORMAT_XZ, memlimit=memory),
        "lzma": lambda: lzma.LZMADecompressor(lzma.FORMAT_ALONE, memlimit=memory),
        "bzip2": bz2.BZ2Decompressor,
    }


class Decompressed(RawStream):
    """A decompressing view of `raw` that spends the input's `budget` of bytes.

    Several streams of one input (the layers of an image, a .deb's members)
    share one budget, and one ratio guard: the bytes given out against the
    compressed bytes read (an uncompressed stream's count as both), judged past
    `base.RATIO_FLOOR`, so a bomb ends in its first tens of MiB.
    `counted`: `raw` counts its own compressed bytes (the zstandard fallback).
    """

    def __init__(
        self,
        raw: Stream,
        decompressor: Decompressor | None,
        budget: Budget,
        *,
        counted: bool = False,
    ) -> None:
        self.raw = raw
        self.decompressor = decompressor
        self.budget = budget
        self.plain = decompressor is None and not counted

    def _fill(self, size: int) -> bytes:
        data = self._next(size)
        if self.plain:
            self.budget.spend_compressed(len(data))
        self.budget.spend_bytes(len(data))
        self.budget.judge_ratio()
        return data

    def _next(self, size: int) -> bytes:
        if self.decompressor is None:
            return self.raw.read(size)
        decompressor = self.decompressor
        while not decompressor.eof:
            chunk = b""
            if decompressor.needs_input:
                chunk = self.raw.read(CHUNK)
                self.budget.spend_compressed(len(chunk))
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


def open_stream(compression: str, raw: Stream, budget: Budget) -> Decompressed:
    """A bounded stream of `raw` decompressed with `compression` (`xz`, `none` ...)."""
    if compression == "none":
        return Decompressed(raw, None, budget)
    if compression == "zstd":
        return _zstd_stream(raw, budget)
    factories = _factories(budget)
    if compression not in factories:
        raise PackageError(f"a compression marker-tool does not know: {compression}")
    return Decompressed(raw, factories[compression](), budget)


def sniffed(raw: Stream, budget: Budget) -> Decompressed:
    """`raw` decompressed as its own first bytes say (a layer, an mtree, a payload).

    The bytes read to tell are handed on, so `raw` need not be seekable.
    """
    head = raw.read(6)
    return open_stream(compression_of(head), Prefixed(head, raw), budget)


class Prefixed(RawStream):
    """`head`, then the rest of `raw`."""

    def __init__(self, head: bytes, raw: Stream) -> None:
        self.head, self.raw = head, raw

    def _fill(self, size: int) -> bytes:
        if self.head:
            data, self.head = self.head[:size], self.head[size:]
            return data
        return self.raw.read(size)


def by_suffix(name: str) -> str:
    """The compression a name's ending says (`data.tar.zst` -> `zstd`), or PackageError."""
    for suffix, compression in SUFFIXES.items():
        if suffix and name.endswith(suffix):
            return compression
    if "." not in name.rpartition("/")[2] or name.endswith(".tar"):
        return "none"
    raise PackageError(f"`{name}` uses a compression marker-tool does not know")
