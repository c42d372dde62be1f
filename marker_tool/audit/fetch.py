"""Reading a mirror: bounded reads, hash-checked downloads, a content-addressed cache.

A mirror is a URL (`http://deb.debian.org/debian`) or a local path to a
repository's root. Nothing it serves is trusted before its hash: an index is
checked against the Release file (or repomd.xml) that lists it, a package
against the index that lists it, and each read stops at the size that list
gives, so a hostile mirror cannot make marker-tool read more than it was
told to expect. Files land in the cache under their sha256 only once they
match it (`sha256/ab/abcd...`); a cut download is kept as `partial/<sha256>`
and resumed with an HTTP range request by the next run.
"""

from __future__ import annotations

import hashlib
import os
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marker_tool.errors import MarkerToolError

CHUNK = 1024 * 1024
#: Connections one download may take when the mirror keeps breaking them off.
RESUMES = 4
#: Seconds a connection may stay silent before the read is given up.
TIMEOUT = 60.0
USER_AGENT = "marker-tool-audit"


class MirrorError(MarkerToolError):
    """A file of the mirror cannot be had, or is not what its index says."""


@dataclass(frozen=True, slots=True)
class Expected:
    """What a file of the mirror must be: its size and sha256, from the index that lists it."""

    size: int
    sha256: str


@dataclass(slots=True)
class Stats:
    """What a run cost: bytes read from the mirror, and what the cache spared."""

    #: Bytes of indexes (Release, Packages, Contents, repomd ...) read from the mirror.
    index_bytes: int = 0
    #: Bytes of indexes found in the cache instead.
    index_cached_bytes: int = 0
    #: Bytes of packages read from the mirror.
    package_bytes: int = 0
    #: Packages read from the mirror, and found in the cache.
    packages_fetched: int = 0
    packages_cached: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, name: str, amount: int) -> None:
        with self.lock:
            setattr(self, name, getattr(self, name) + amount)


def is_url(mirror: str) -> bool:
    return urllib.parse.urlsplit(mirror).scheme in ("http", "https")


class Mirror:
    """One repository's root: a URL or a local folder, read with bounds."""

    def __init__(self, root: str, *, timeout: float = TIMEOUT) -> None:
        self.url = is_url(root)
        self.root = root.rstrip("/") if self.url else os.path.abspath(root)
        self.timeout = timeout
        if not self.url and not os.path.isdir(self.root):
            scheme = urllib.parse.urlsplit(root).scheme
            hint = (
                f"marker-tool reads http:// and https:// mirrors, not {scheme}://"
                if scheme and len(scheme) > 1
                else "give a repository's root (the folder holding dists/ or repodata/), "
                "or its URL, e.g. http://deb.debian.org/debian"
            )
            raise MirrorError("no such repository folder", file=root, hint=hint)

    def where(self, relative: str) -> str:
        """The file's URL or path, for messages."""
        return f"{self.root}/{relative}"

    def _open(self, relative: str, offset: int = 0) -> tuple[object, bool]:
        """A readable stream of `relative` from `offset`, and whether it starts there."""
        check_relative(relative, self.where(relative))
        if not self.url:
            path = os.path.join(self.root, relative)
            try:
                handle = open(path, "rb")  # noqa: SIM115  closed by the caller
            except FileNotFoundError:
                raise MirrorError("not in the repository", file=path) from None
            except OSError as exc:
                raise MirrorError(f"cannot read: {exc.strerror}", file=path) from None
            handle.seek(offset)
            return handle, True
        request = urllib.request.Request(self.where(relative), headers={"User-Agent": USER_AGENT})
        if offset:
            request.add_header("Range", f"bytes={offset}-")
        try:
            response = urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            if exc.code in (404, 410):
                raise MirrorError(
                    f"not on the mirror (HTTP {exc.code})", file=self.where(relative)
                ) from None
            raise MirrorError(
                f"the mirror answered HTTP {exc.code} {exc.reason}",
                file=self.where(relative),
                hint="try again later, or another mirror",
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise MirrorError(
                f"cannot reach the mirror: {reason}",
                file=self.where(relative),
                hint="check the URL and the network",
            ) from None
        return response, offset == 0 or response.status == 206

    def exists(self, relative: str) -> bool:
        try:
            stream, _ = self._open(relative)
        except MirrorError:
            return False
        stream.close()  # type: ignore[attr-defined]
        return True

    def read(self, relative: str, *, limit: int, stats: Stats | None = None) -> bytes:
        """The whole of a small file (a Release file), refused past `limit` bytes."""
        stream, _ = self._open(relative)
        try:
            data = _read_upto(stream, limit + 1, self.where(relative))
        finally:
            stream.close()  # type: ignore[attr-defined]
        if len(data) > limit:
            raise MirrorError(
                f"larger than the {limit} bytes such a file may be (a hostile mirror?)",
                file=self.where(relative),
            )
        if stats is not None:
            stats.add("index_bytes", len(data))
        return data

    def save(self, relative: str, target: Path, *, limit: int, stats: Stats) -> None:
        """`relative` written to `target` as it is, refused past `limit` bytes; trusted by
        nothing until its caller checks what it holds."""
        where = self.where(relative)
        stream, _ = self._open(relative)
        size = 0
        try:
            with open(target, "wb") as out:
                while block := _read_block(stream, CHUNK, where):
                    size += len(block)
                    stats.add("index_bytes", len(block))
                    if size > limit:
                        raise MirrorError(
                            f"larger than {limit} bytes (a hostile mirror?)", file=where
                        )
                    out.write(block)
        finally:
            stream.close()  # type: ignore[attr-defined]

    def download(
        self,
        relative: str,
        expected: Expected,
        partial: Path,
        *,
        progress: Callable[[int], None] | None = None,
    ) -> Path:
        """`relative` into `partial`, resumed where an earlier run stopped, checked in full.

        Never reads past `expected.size`; a file of another size or sha256 is a
        MirrorError and is not kept.
        """
        where = self.where(relative)
        have = partial.stat().st_size if partial.exists() else 0
        if have > expected.size:
            partial.unlink()
            have = 0
        digest = hashlib.sha256()
        if have:
            with open(partial, "rb") as done:
                while block := done.read(CHUNK):
                    digest.update(block)
        # A connection that breaks off is resumed where it stopped, a few times over.
        for _ in range(RESUMES):
            if have >= expected.size:
                break
            before = have
            have, digest = self._append(relative, expected, partial, have, digest, progress)
            if have == before:
                break  # no progress: the mirror has no more to give
        if have != expected.size:
            raise MirrorError(
                f"ends after {have} of the {expected.size} bytes its index gives "
                "(the next run resumes it)",
                file=where,
            )
        if digest.hexdigest() != expected.sha256:
            partial.unlink()
            raise MirrorError(
                "its sha256 is not the one its index gives: changed on the mirror, or "
                "corrupt in transit",
                file=where,
                hint="run again later (a mirror being updated), or use another mirror",
            )
        return partial

    def _append(  # noqa: PLR0917
        self,
        relative: str,
        expected: Expected,
        partial: Path,
        have: int,
        digest: Any,
        progress: Callable[[int], None] | None,
    ) -> tuple[int, Any]:
        """One connection's worth of `relative` appended to `partial`, from byte `have`."""
        where = self.where(relative)
        stream, resumed = self._open(relative, have)
        try:
            if not resumed:  # the server ignored the range: start again
                have, digest = 0, hashlib.sha256()
            declared = getattr(stream, "headers", {}).get("Content-Length", "")
            if declared.isdigit() and have + int(declared) != expected.size:
                raise MirrorError(
                    f"the mirror serves {have + int(declared)} bytes where its index gives "
                    f"{expected.size}: out of step with its index",
                    file=where,
                    hint="a mirror being updated: try again later, or another mirror",
                )
            with open(partial, "ab" if have else "wb") as out:
                while have < expected.size:
                    try:
                        block = _read_block(stream, min(CHUNK, expected.size - have), where)
                    except MirrorError:
                        break  # resumed by the caller
                    if not block:
                        break
                    out.write(block)
                    digest.update(block)
                    have += len(block)
                    if progress is not None:
                        progress(len(block))
                extra = _read_block(stream, 1, where) if have == expected.size else b""
        finally:
            stream.close()  # type: ignore[attr-defined]
        if extra:
            partial.unlink()
            raise MirrorError(f"longer than the {expected.size} bytes its index gives", file=where)
        return have, digest


def check_relative(relative: str, where: str) -> None:
    """Refuse a path an index names that would leave the repository (`..`, absolute, a URL)."""
    parts = relative.split("/")
    if (
        not relative
        or relative.startswith("/")
        or ".." in parts
        or "\\" in relative
        or ":" in parts[0]
        or any(ord(c) < 32 or c == "\x7f" for c in relative)
    ):
        raise MirrorError(
            f"the index names `{relative!r}`, a path outside the repository (a hostile index?)",
            file=where,
        )


def _read_block(stream: object, size: int, where: str) -> bytes:
    try:
        return stream.read(size)  # type: ignore[attr-defined,no-any-return]
    except (OSError, urllib.error.URLError) as exc:
        raise MirrorError(f"the download broke off: {exc}", file=where) from None


def _read_upto(stream: object, size: int, where: str) -> bytes:
    parts: list[bytes] = []
    left = size
    while left > 0:
        block = _read_block(stream, min(CHUNK, left), where)
        if not block:
            break
        parts.append(block)
        left -= len(block)
    return b"".join(parts)


class Cache:
    """Files by their sha256, and what was derived from them, under one folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        try:
            for sub in ("sha256", "partial", "derived"):
                (root / sub).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise MarkerToolError(
                f"cannot use the cache folder: {exc.strerror}",
                file=root,
                hint="give a writable folder with --cache DIR",
            ) from None

    def path(self, sha256: str) -> Path:
        return self.root / "sha256" / sha256[:2] / sha256

    def has(self, expected: Expected) -> bool:
        """Whether the file is cached with its size (its hash was checked when it came in)."""
        try:
            return self.path(expected.sha256).stat().st_size == expected.size
        except OSError:
            return False

    def partial(self, sha256: str) -> Path:
        return self.root / "partial" / sha256

    def keep(self, done: Path, sha256: str) -> Path:
        target = self.path(sha256)
        target.parent.mkdir(exist_ok=True)
        os.replace(done, target)
        return target

    def derived(self, kind: str, key: str) -> Path:
        """Where something computed from cached files is kept (a scan, a check's result)."""
        folder = self.root / "derived" / kind
        folder.mkdir(exist_ok=True)
        return folder / f"{key}.json"


def fetch(
    mirror: Mirror,
    cache: Cache,
    relative: str,
    expected: Expected,
    stats: Stats,
    *,
    kind: str,
    progress: Callable[[int], None] | None = None,
) -> Path:
    """The cached copy of a mirror's file, fetched and checked first when it is not cached.

    `kind`: `index` or `package`, for the run's figures.
    """
    check_relative(relative, mirror.where(relative))
    if cache.has(expected):
        if kind == "index":
            stats.add("index_cached_bytes", expected.size)
        else:
            stats.add("packages_cached", 1)
        return cache.path(expected.sha256)
    counter = "index_bytes" if kind == "index" else "package_bytes"

    def count(amount: int) -> None:
        stats.add(counter, amount)
        if progress is not None:
            progress(amount)

    done = mirror.download(relative, expected, cache.partial(expected.sha256), progress=count)
    if kind == "package":
        stats.add("packages_fetched", 1)
    return cache.keep(done, expected.sha256)
