"""Which reader an input needs: the one registry of formats, told by its first bytes.

`READERS` lists every format `check` reads, in the order each is asked to
recognise an input (its first bytes, decompressed when they are compressed,
and its path); the first that does reads it. A new archive format is one
`Reader` in its own module under `sources/` and its entry here: the suffixes
of a folder of packages, the message for a file no reader reads, `--help`
and docs/check.md all come from this list.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Collection

from marker_tool.errors import PackageError
from marker_tool.safeio import open_regular
from marker_tool.sources import cpio, deb, directory, fs, image, rpm, tarpkg
from marker_tool.sources.base import DEFAULT_LIMITS, Budget, Limits, Package, Probe, Reader, decimal
from marker_tool.sources.compression import open_stream
from marker_tool.sources.magic import PROBE_BYTES, compression_of, describe

#: Every format `check` reads, in the order they are asked.
READERS: tuple[Reader, ...] = (
    deb.READER,
    rpm.READER,
    tarpkg.APK,
    tarpkg.ARCH,
    image.DOCKER_ARCHIVE,
    image.OCI_ARCHIVE,
    tarpkg.ROOTFS,
    cpio.READER,
    image.OCI,
    image.DOCKER_DIR,
    directory.READER,
)
#: File names that are packages, for a folder given to `check`.
PACKAGE_SUFFIXES = tuple(s for r in READERS if r.pooled for s in r.suffixes)
#: Formats whose packages given together are one system (a build's packages).
POOLED = frozenset(r.name for r in READERS if r.pooled)
#: Bytes decompressed to tell what a compressed file holds.
_INNER_BYTES = 512


def probe(path: str) -> Probe:
    """What `path` is, as far as its first bytes tell (a directory by its files).

    Only a regular file on a real file system is opened (`sources.fs`), its
    symlinks followed first: a link to /proc/kcore is refused, not read.
    """
    if os.path.isdir(path):
        if path.endswith(PACKAGE_SUFFIXES):
            raise PackageError(f"`{path}` is a directory, not a package")
        return Probe(path, directory=True)
    with open_regular(path, kind="package") as handle:
        fs.check_regular(path, os.fstat(handle.fileno()), "package")
        head = handle.read(PROBE_BYTES)
    compression = compression_of(head)
    inner = head if compression == "none" else _decompressed_start(head, compression)
    return Probe(path, directory=False, head=head, compression=compression, inner=inner)


def _decompressed_start(head: bytes, compression: str) -> bytes:
    """The first bytes `head` decompresses to (fewer, or none, when it is corrupt or cut)."""
    import io

    stream = open_stream(compression, io.BytesIO(head), Budget())
    out = b""
    try:
        while len(out) < _INNER_BYTES and (chunk := stream.read(_INNER_BYTES - len(out))):
            out += chunk
    except PackageError:
        pass  # the reader that reads it says what is wrong
    return out


def reader_of(found: Probe) -> Reader | None:
    """The first reader that recognises `found`, or None."""
    for reader in READERS:
        if reader.directory == found.directory and reader.recognise(found):
            return reader
    return None


def formats_read() -> str:
    """Every format read, for messages and `--help`: `a Debian binary package (.deb ...), ...`."""
    return "; ".join(
        r.description + (f" ({', '.join(r.suffixes)})" if r.suffixes else "") for r in READERS
    )


def read(
    path: str, limits: Limits = DEFAULT_LIMITS, *, also: Collection[str] = ()
) -> list[Package]:
    """The packages at `path` (an image may hold several).

    `also`: files to read like markers (the targets of symlinked markers). A
    file no reader recognises is a PackageError naming what it is.
    """
    found = probe(path)
    reader = reader_of(found)
    if reader is None:
        raise PackageError(
            f"not a format check reads (found: {describe(found.head, found.inner)})",
            hint=f"check reads {formats_read()}",
        )
    return reader.read(found, Budget(limits), also)


def folder_packages(path: str) -> list[str] | None:
    """The packages in a folder given to `check`, when it holds packages and no tree.

    None for a tree (a staging dir, a chroot). A folder with both is refused:
    which was meant is not clear. A symlink is not a tree (a link to /proc
    beside the packages is no part of them); a package that is a link is read
    as what it leads to, when that is a regular file.
    """
    names = sorted(os.listdir(path))
    packages = [n for n in names if n.endswith(PACKAGE_SUFFIXES)]
    if not packages:
        return None
    trees = [
        n
        for n in names
        if not n.startswith(".") and n not in packages and _real_directory(os.path.join(path, n))
    ]
    if trees:
        raise PackageError(
            f"holds both packages and a tree (`{trees[0]}/`)",
            hint=f"give the packages (`{path.rstrip('/')}/*.deb`) or the tree's folder",
        )
    return [os.path.join(path, n) for n in packages]


def _real_directory(path: str) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


#: Bytes of a `.changes` file read (a real one is a few KB; one of many packages, 100 KB).
CHANGES_CAP = 4 * 1024 * 1024


def changes_packages(path: str, limits: Limits = DEFAULT_LIMITS) -> list[str]:
    """The binary packages a `.changes` file lists, beside it, their sizes and sha256 checked.

    As lintian reads one: the `Checksums-Sha256` (else `Files`) field names each
    file with its size; source files (.dsc, tarballs, .buildinfo) are not packages.
    Every size has a digit cap; each file is a regular file on a real file system
    (never a link into /proc), and hashing them all spends one budget of bytes.
    """
    fields = _changes_fields(path)
    listing = fields.get("checksums-sha256") or fields.get("files")
    if not listing:
        raise PackageError(
            "not a .changes file: no `Files` or `Checksums-Sha256` field",
            hint="give the packages themselves",
        )
    sha256 = "checksums-sha256" in fields
    folder = os.path.dirname(path)
    packages = []
    words = listing.split()
    width = 3 if sha256 else 5
    budget = Budget(limits)
    for n in range(0, len(words) - width + 1, width):
        digest, size, name = words[n], words[n + 1], words[n + width - 1]
        if not name.endswith(PACKAGE_SUFFIXES) or "/" in name:
            continue
        where = os.path.join(folder, name)
        if not os.path.lexists(where):
            raise PackageError(f"lists `{name}`, which is not beside it")
        claimed = decimal(size, f"the size it lists for `{name}`")
        if fs.regular_size(where, "package") != claimed:
            raise PackageError(f"lists `{name}` with {size} bytes; the file has another size")
        if sha256 and _sha256(where, claimed, budget) != digest:
            raise PackageError(f"lists `{name}` with a sha256 the file does not have")
        packages.append(where)
    if not packages:
        raise PackageError("lists no binary package", hint="a source-only upload has none")
    return packages


def _changes_fields(path: str) -> dict[str, str]:
    from marker_tool.integrations.debian import control_fields

    with open_regular(path, kind=".changes") as handle:
        fs.check_regular(path, os.fstat(handle.fileno()), ".changes file")
        data = handle.read(CHANGES_CAP + 1)
    if len(data) > CHANGES_CAP:
        raise PackageError(f"larger than {CHANGES_CAP // 1024 // 1024} MiB: no .changes file is")
    text = data.decode("utf-8", "replace")
    if text.startswith("-----BEGIN PGP SIGNED MESSAGE-----"):
        text = text.split("\n\n", 1)[-1].split("\n-----BEGIN PGP SIGNATURE-----", 1)[0]
    return control_fields(text, keep=("files", "checksums-sha256"))


def _sha256(path: str, size: int, budget: Budget) -> str:
    """The file's sha256, reading no more than its size (spent from `budget`)."""
    import hashlib

    hasher = hashlib.sha256()
    with open_regular(path, kind="package") as handle:
        fs.check_regular(path, os.fstat(handle.fileno()), "package")
        left = size
        while left > 0 and (chunk := handle.read(min(left, 1 << 20))):
            budget.spend_bytes(len(chunk))
            hasher.update(chunk)
            left -= len(chunk)
    return hasher.hexdigest()
