"""Which reader a path needs, told by its first bytes (or, for a directory, an `oci-layout`)."""

from __future__ import annotations

import os
from collections.abc import Collection

from marker_tool.safeio import open_regular
from marker_tool.sources.base import DEFAULT_LIMITS, Limits, Package
from marker_tool.sources.magic import package_format


def read(
    path: str,
    limits: Limits = DEFAULT_LIMITS,
    *,
    files_only: bool = False,
    also: Collection[str] = (),
) -> list[Package] | None:
    """The packages at `path` (an image may hold several); None for a file that is none.

    `files_only`: only what the package's own file list says, when it has one
    (a .deb's md5sums, an .rpm's header), without reading the payload.
    `also`: files to read like markers (the targets of symlinked markers).

    A directory is a tree, unless it is an OCI image layout (`oci-layout`).
    A file is told by its first bytes: ar (.deb), rpm lead, tar (an image or
    a package), or a compressed tar (Arch, Alpine).
    """
    if os.path.isdir(path):
        if os.path.isfile(os.path.join(path, "oci-layout")):
            from marker_tool.sources.image import read_oci_directory

            return read_oci_directory(path, limits, also=also)
        from marker_tool.sources.directory import read_directory

        return [read_directory(path, limits, also=also)]
    with open_regular(path, kind="package") as handle:
        kind = package_format(handle.read(512))
    if kind is None:
        return None
    if kind == ".deb":
        from marker_tool.sources.deb import read_deb

        return [read_deb(path, limits, files_only=files_only, also=also)]
    if kind == ".rpm":
        from marker_tool.sources.rpm import read_rpm

        return [read_rpm(path, limits, files_only=files_only, also=also)]
    if kind == "tar":
        from marker_tool.sources.image import is_image, read_image_tarball

        if is_image(path):
            return read_image_tarball(path, limits, also=also)
    from marker_tool.sources.tarpkg import read_tar_package

    return [read_tar_package(path, limits, also=also)]
