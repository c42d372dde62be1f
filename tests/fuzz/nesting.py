"""One tar at every nesting level a reader meets: the `nested` fuzz target's wrappers.

`wrap(level, tar)` puts the fuzzed bytes (a tar, or what the fuzzer made of one)
where a reader finds a tar: a .deb's data member in each compression dpkg-deb
reads, a layer of a `docker save` tarball (plain or gzip), an rpm's cpio
payload's marker, an Alpine package's gzip stream, a root filesystem. The
claimed sizes and bombs inside the fuzzed bytes are so met at each depth, each
drawing from the one input's budget.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
from collections.abc import Callable

from tests.fuzz import hostile
from tests.packages import member, tar_bytes


def _deb(tar: bytes, suffix: str, pack: Callable[[bytes], bytes]) -> tuple[str, bytes]:
    return "nested.deb", hostile.deb_with_data(pack(tar), f"data.tar{suffix}")


def _image(tar: bytes, compressed: bool) -> tuple[str, bytes]:
    layer = gzip.compress(tar, mtime=0) if compressed else tar
    return "nested-image.tar", hostile.docker_save([tar_bytes(hostile.stdlib_members()), layer])


def _rpm(tar: bytes) -> tuple[str, bytes]:
    """The bytes as the content of an rpm's marker, in a gzip cpio payload."""
    name = f"./{hostile.STDLIB}/EXTERNALLY-MANAGED".encode() + b"\0"
    fields = [1, 0o100644, 0, 0, 1, 0, len(tar), 0, 0, 0, 0, len(name), 0]
    cpio = b"070701" + b"".join(b"%08X" % f for f in fields) + name
    cpio += b"\0" * (-len(cpio) % 4) + tar + b"\0" * (-len(tar) % 4)
    header = hostile.rpm_tags(hostile._rpm_files(3, 0o100644, len(tar)))
    return "nested.rpm", hostile.hand_rpm(header, gzip.compress(cpio, mtime=0))


def _apk(tar: bytes) -> tuple[str, bytes]:
    head = tar_bytes([member(".PKGINFO", b"pkgname = nested\n")])[:-1024]
    return "nested.apk", gzip.compress(head, mtime=0) + gzip.compress(tar, mtime=0)


def wrap(level: int, tar: bytes) -> tuple[str, bytes]:
    """A file name and the bytes of an input holding `tar` at nesting `level` (any int)."""
    choices: list[Callable[[], tuple[str, bytes]]] = [
        lambda: ("nested.tar", tar),
        lambda: _deb(tar, "", lambda d: d),
        lambda: _deb(tar, ".gz", lambda d: gzip.compress(d, mtime=0)),
        lambda: _deb(tar, ".xz", lambda d: lzma.compress(d, preset=0)),
        lambda: _deb(tar, ".bz2", lambda d: bz2.compress(d, 1)),
        lambda: _deb(tar, ".lzma", lambda d: lzma.compress(d, lzma.FORMAT_ALONE, preset=0)),
        lambda: _image(tar, False),
        lambda: _image(tar, True),
        lambda: _rpm(tar),
        lambda: _apk(tar),
    ]
    return choices[level % len(choices)]()
