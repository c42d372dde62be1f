"""Which reader a path needs: one registry, told by a file's first bytes or a folder's files.

A new archive format is one `Reader` entry here and one module in `sources/`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection
from dataclasses import dataclass

from marker_tool.safeio import open_regular
from marker_tool.sources.base import DEFAULT_LIMITS, Limits, Package, PackageError
from marker_tool.sources.magic import package_format

ReadFunction = Callable[[str, Limits, Collection[str]], list[Package]]


@dataclass(frozen=True, slots=True)
class Reader:
    """One format `check` reads: how it is told, and the function that reads it."""

    #: What `sources.magic.package_format` calls its first bytes.
    magic: str
    read: ReadFunction


def _deb(path: str, limits: Limits, also: Collection[str]) -> list[Package]:
    from marker_tool.sources.deb import read_deb

    return [read_deb(path, limits, also=also)]


def _rpm(path: str, limits: Limits, also: Collection[str]) -> list[Package]:
    from marker_tool.sources.rpm import read_rpm

    return [read_rpm(path, limits, also=also)]


def _tar(path: str, limits: Limits, also: Collection[str]) -> list[Package]:
    """An image tarball (`docker save`, oci-archive), else a package or root filesystem."""
    from marker_tool.sources.image import read_image_tarball

    images = read_image_tarball(path, limits, also=also)
    return images if images is not None else _tar_package(path, limits, also)


def _tar_package(path: str, limits: Limits, also: Collection[str]) -> list[Package]:
    from marker_tool.sources.tarpkg import read_tar_package

    return [read_tar_package(path, limits, also=also)]


#: Every file format `check` reads, by what its first bytes say.
READERS: tuple[Reader, ...] = (
    Reader(".deb", _deb),
    Reader(".rpm", _rpm),
    Reader("tar", _tar),
    Reader("gzip-compressed (.apk, .tar.gz)", _tar_package),
    Reader("xz-compressed (.pkg.tar.xz)", _tar_package),
    Reader("zstd-compressed (.pkg.tar.zst)", _tar_package),
    Reader("bzip2-compressed", _tar_package),
)
#: File names that are packages, for a folder given to `check`.
PACKAGE_SUFFIXES = (".deb", ".udeb", ".ddeb", ".rpm", ".apk", ".pkg.tar.zst", ".pkg.tar.xz")


def read(
    path: str, limits: Limits = DEFAULT_LIMITS, *, also: Collection[str] = ()
) -> list[Package] | None:
    """The packages at `path` (an image may hold several); None for a file that is none.

    `also`: files to read like markers (the targets of symlinked markers).
    A directory is a tree, unless it is an OCI image layout (`oci-layout`) or
    an image in a folder (`manifest.json`: `podman save --format docker-dir`,
    `skopeo copy dir:`).
    """
    if os.path.isdir(path):
        from marker_tool.sources import image

        if os.path.isfile(os.path.join(path, "oci-layout")):
            return image.read_oci_directory(path, limits, also=also)
        if os.path.isfile(os.path.join(path, "manifest.json")):
            return image.read_image_directory(path, limits, also=also)
        from marker_tool.sources.directory import read_directory

        return [read_directory(path, limits, also=also)]
    with open_regular(path, kind="package") as handle:
        kind = package_format(handle.read(512))
    for reader in READERS:
        if reader.magic == kind:
            return reader.read(path, limits, also)
    return None


def folder_packages(path: str) -> list[str] | None:
    """The packages in a folder given to `check`, when it holds packages and no tree.

    None for a tree (a staging dir, a chroot). A folder with both is refused:
    which was meant is not clear.
    """
    names = sorted(os.listdir(path))
    packages = [n for n in names if n.endswith(PACKAGE_SUFFIXES)]
    if not packages:
        return None
    if any(os.path.isdir(os.path.join(path, n)) and not n.startswith(".") for n in names):
        raise PackageError(
            "holds both packages and a tree",
            hint=f"give the packages (`{path.rstrip('/')}/*.deb`) or the tree's folder",
        )
    return [os.path.join(path, n) for n in packages]


def changes_packages(path: str) -> list[str]:
    """The binary packages a `.changes` file lists, beside it, their sizes and sha256 checked.

    As lintian reads one: the `Checksums-Sha256` (else `Files`) field names each
    file with its size; source files (.dsc, tarballs, .buildinfo) are not packages.
    """
    import hashlib

    from marker_tool import safeio
    from marker_tool.integrations.debian import control_fields

    text = safeio.read_bytes(path, kind="config").decode("utf-8", "replace")
    if text.startswith("-----BEGIN PGP SIGNED MESSAGE-----"):
        text = text.split("\n\n", 1)[-1].split("\n-----BEGIN PGP SIGNATURE-----", 1)[0]
    fields = control_fields(text)
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
    for n in range(0, len(words) - width + 1, width):
        digest, size, name = words[n], words[n + 1], words[n + width - 1]
        if not name.endswith(PACKAGE_SUFFIXES) or "/" in name:
            continue
        where = os.path.join(folder, name)
        if not os.path.isfile(where):
            raise PackageError(f"lists `{name}`, which is not beside it")
        if size.isdigit() and os.path.getsize(where) != int(size):
            raise PackageError(f"lists `{name}` with {size} bytes; the file has another size")
        if sha256:
            hasher = hashlib.sha256()
            with open_regular(where, kind="package") as handle:
                while chunk := handle.read(1 << 20):
                    hasher.update(chunk)
            if hasher.hexdigest() != digest:
                raise PackageError(f"lists `{name}` with a sha256 the file does not have")
        packages.append(where)
    if not packages:
        raise PackageError("lists no binary package", hint="a source-only upload has none")
    return packages
