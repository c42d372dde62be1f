"""What a file is, told by its first bytes: a package of some kind, or None.

Imported by `validate` and `preview` too, so it imports nothing.
"""

from __future__ import annotations

#: Leading bytes of package formats, so `validate` and `preview` can point at `check`.
MAGIC = {
    b"!<arch>\n": ".deb",
    b"\xed\xab\xee\xdb": ".rpm",
    b"\x1f\x8b": "gzip-compressed (.apk, .tar.gz)",
    b"\xfd7zXZ\x00": "xz-compressed (.pkg.tar.xz)",
    b"\x28\xb5\x2f\xfd": "zstd-compressed (.pkg.tar.zst)",
    b"BZh": "bzip2-compressed",
}


def package_format(head: bytes) -> str | None:
    """What kind of package `head` (a file's first bytes) starts, or None."""
    for magic, name in MAGIC.items():
        if head.startswith(magic):
            return name
    if len(head) >= 262 and head[257:262] == b"ustar":
        return "tar"
    return None
