"""What a file is, told by its first bytes: the one table of leading bytes.

Compressions (which `compression` decompresses), the archive formats the
readers recognise, and formats that are no package at all (a wheel, an ISO,
an ELF binary), so that a file given by mistake is named for what it is.
Imported by `validate` and `preview` too, so it imports nothing.
"""

from __future__ import annotations

#: Bytes of a file read to tell what it is (an ISO 9660 image says so at 32 KiB + 1).
PROBE_BYTES = 36 * 1024

#: Leading bytes of each compression -> its name in `compression`.
COMPRESSIONS: dict[bytes, str] = {
    b"\x1f\x8b": "gzip",
    b"\xfd7zXZ\x00": "xz",
    b"BZh": "bzip2",
    b"\x28\xb5\x2f\xfd": "zstd",
}
AR = b"!<arch>\n"
RPM_LEAD = b"\xed\xab\xee\xdb"
CPIO = (b"070701", b"070702", b"070707")

#: Leading bytes of formats that no reader reads -> what to call them in a message.
_OTHERS: dict[bytes, str] = {
    b"PK\x03\x04": "a zip archive (a wheel, a .zip or .jar?)",
    b"PK\x05\x06": "an empty zip archive",
    b"\x7fELF": "an ELF binary",
    b"%PDF-": "a PDF document",
    b"hsqs": "a squashfs image",
    b"7z\xbc\xaf\x27\x1c": "a 7-Zip archive",
    b"\x89PNG": "a PNG image",
    b"SQLite format 3\x00": "an SQLite database",
    b"-----BEGIN PGP SIGNED MESSAGE-----": "a PGP-signed text (a .changes or .dsc file?)",
    b"#!": "a script",
    b"\x5d\x00\x00": "an lzma-compressed file",
}


def compression_of(head: bytes) -> str:
    """The compression `head` starts with, `none` when it is none of them."""
    for magic, compression in COMPRESSIONS.items():
        if head.startswith(magic):
            return compression
    return "none"


def is_tar(head: bytes) -> bool:
    """Whether `head` starts a tar archive: a ustar header, or an old-style one whose
    checksum is right."""
    if len(head) < 512:
        return False
    if head[257:262] == b"ustar":
        return True
    stored = head[148:156].split(b"\0", 1)[0].strip(b" ")
    if not stored or not head[:100].strip(b"\0"):
        return False
    try:
        return int(stored, 8) == sum(head[:148]) + 256 + sum(head[156:512])
    except ValueError:
        return False


def package_format(head: bytes) -> str | None:
    """What kind of package or archive `head` (a file's first bytes) starts, or None.

    `validate` and `preview` ask it to point at `check` instead of reading a
    package as a marker.
    """
    if head.startswith(AR):
        return "a .deb package"
    if head.startswith(RPM_LEAD):
        return "an .rpm package"
    compression = compression_of(head)
    if compression != "none":
        return f"a {compression}-compressed archive"
    if is_tar(head):
        return "a tar archive"
    if head.startswith(CPIO):
        return "a cpio archive"
    return None


def describe(head: bytes, inner: bytes = b"") -> str:
    """What a file is, in words, for the message that says no reader reads it.

    `inner`: its first bytes once decompressed, when it is compressed.
    """
    if not head:
        return "an empty file"
    if len(head) > 32774 and head[32769:32774] == b"CD001":
        return "an ISO 9660 image"
    compression = compression_of(head)
    if compression != "none":
        within = describe(inner) if inner else "data"
        return f"{compression}-compressed {within.removeprefix('a ').removeprefix('an ')}"
    for magic, name in _OTHERS.items():
        if head.startswith(magic):
            return name
    if is_tar(head):
        return "a tar archive"
    if head.startswith(AR):
        return "an ar archive"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # not just a character cut at the end of `head`
            return "binary data"
    return "a text file"
