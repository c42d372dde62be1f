"""Container images: an OCI image layout (a directory) or a `docker save` tarball.

An image is its layers applied in order, as overlayfs does: a layer's
`.wh.NAME` deletes NAME (and all below it) from the layers under it, and
`DIR/.wh..wh..opq` makes DIR opaque (nothing of it from below survives). So
an image whose last layer deletes its Python's marker is an image without a
marker. Each image manifest is one `Package`; the layers are read as streams
(compressed or not, told by their first bytes) and share one decompression
budget and one member cap. A `docker save` tarball is read in place: its
members are seekable, nothing is extracted.

Formats: the OCI image-spec (`oci-layout`, `index.json`, `blobs/<alg>/<hex>`,
nested indexes followed) and Docker's `manifest.json` (`Config`, `RepoTags`,
`Layers`), which Docker 25 and later also write next to an OCI layout.
"""

from __future__ import annotations

import json
import os
import posixpath
import tarfile
from collections.abc import Callable, Collection, Iterator
from typing import IO, Any

from marker_tool.safeio import open_regular
from marker_tool.sources.base import (
    DEFAULT_LIMITS,
    Entry,
    Limits,
    Package,
    PackageError,
    normalise,
)
from marker_tool.sources.compression import by_magic, open_stream
from marker_tool.sources.tarstream import METADATA_CAP, scan_tar

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
_MANIFEST_TYPES = {
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
}
_INDEX_TYPES = {
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
}
_MAX_NESTING = 4
Opener = Callable[[str], IO[bytes]]


def is_image(path: str) -> bool:
    """Whether the tar at `path` is a `docker save` tarball or a tarred OCI layout."""
    try:
        with (
            open_regular(path, kind="package") as handle,
            tarfile.open(fileobj=handle, mode="r:") as tar,
        ):
            return any(
                normalise(m.name) in ("manifest.json", "oci-layout") for m in _members(tar, 10_000)
            )
    except tarfile.TarError:
        return False


def _members(tar: tarfile.TarFile, cap: int) -> Iterator[tarfile.TarInfo]:
    for count, member in enumerate(iter(tar.next, None), start=1):
        if count > cap:
            raise PackageError(f"more than {cap} members in the image tarball")
        yield member


def read_image_tarball(
    path: str, limits: Limits = DEFAULT_LIMITS, *, also: Collection[str] = ()
) -> list[Package]:
    """Each image of a `docker save` tarball (or a tarred OCI layout)."""
    try:
        with (
            open_regular(path, kind="package") as handle,
            tarfile.open(fileobj=handle, mode="r:") as tar,
        ):
            members = {normalise(m.name): m for m in _members(tar, limits.members)}

            def opener(name: str) -> IO[bytes]:
                member = members.get(normalise(name))
                handle = tar.extractfile(member) if member is not None else None
                if handle is None:
                    raise PackageError(f"the image names `{name}`, which the tarball lacks")
                return handle

            if "manifest.json" in members:
                return _docker(path, opener, limits, also)
            return _oci(path, opener, limits, also)
    except tarfile.TarError as exc:
        raise PackageError(f"not a readable image tarball: {exc}") from None


def read_oci_directory(
    path: str, limits: Limits = DEFAULT_LIMITS, *, also: Collection[str] = ()
) -> list[Package]:
    """Each image of an OCI image layout directory."""

    def opener(name: str) -> IO[bytes]:
        where = normalise(name)
        if where is None:
            raise PackageError(f"the image names `{name}`, outside its layout")
        return open_regular(os.path.join(path, where), kind="image blob")

    if os.path.isfile(os.path.join(path, "manifest.json")):
        return _docker(path, opener, limits, also)
    return _oci(path, opener, limits, also)


def _json(opener: Opener, name: str) -> Any:
    with opener(name) as handle:
        data = handle.read(METADATA_CAP + 1)
    if len(data) > METADATA_CAP:
        raise PackageError(f"`{name}` is far too large for image metadata")
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PackageError(f"`{name}` is not valid JSON: {exc}") from None


def _docker(source: str, opener: Opener, limits: Limits, also: Collection[str]) -> list[Package]:
    manifest = _json(opener, "manifest.json")
    if not isinstance(manifest, list):
        raise PackageError("`manifest.json` is not a list of images")
    packages = []
    for n, image in enumerate(manifest):
        layers = image.get("Layers") if isinstance(image, dict) else None
        if not isinstance(layers, list) or not all(isinstance(x, str) for x in layers):
            raise PackageError(f"image {n} of `manifest.json` has no list of layers")
        tags = image.get("RepoTags") or [f"image {n}"]
        packages.append(
            _apply(source, "docker", str(tags[0]), layers, opener=opener, limits=limits, also=also)
        )
    return packages


def _blob(digest: object) -> str:
    if not isinstance(digest, str) or ":" not in digest:
        raise PackageError(f"a descriptor with no valid digest: {digest!r}")
    algorithm, _, hexdigest = digest.partition(":")
    if not (algorithm.isalnum() and hexdigest.isalnum()):
        raise PackageError(f"a digest that names no blob: {digest!r}")
    return f"blobs/{algorithm}/{hexdigest}"


def _oci(source: str, opener: Opener, limits: Limits, also: Collection[str]) -> list[Package]:
    packages: list[Package] = []

    def walk(index: Any, depth: int) -> None:
        if depth > _MAX_NESTING or not isinstance(index, dict):
            raise PackageError("an image index nested too deep, or not an index")
        for descriptor in index.get("manifests") or []:
            if not isinstance(descriptor, dict):
                raise PackageError("an image index with a descriptor that is not an object")
            media = descriptor.get("mediaType")
            blob = _json(opener, _blob(descriptor.get("digest")))
            if media in _INDEX_TYPES:
                walk(blob, depth + 1)
            elif media in _MANIFEST_TYPES or (isinstance(blob, dict) and "layers" in blob):
                annotations = descriptor.get("annotations") or {}
                platform = descriptor.get("platform") or {}
                label = annotations.get("org.opencontainers.image.ref.name") or "/".join(
                    str(platform.get(k)) for k in ("os", "architecture") if platform.get(k)
                )
                layers = [_blob(layer.get("digest")) for layer in blob.get("layers") or []]
                packages.append(
                    _apply(
                        source,
                        "oci",
                        label or descriptor["digest"],
                        layers,
                        opener=opener,
                        limits=limits,
                        also=also,
                    )
                )

    walk(_json(opener, "index.json"), 0)
    if not packages:
        raise PackageError("the OCI layout holds no image manifest")
    return packages


def _apply(
    source: str,
    kind: str,
    label: str,
    layers: list[str],
    *,
    opener: Opener,
    limits: Limits,
    also: Collection[str],
) -> Package:
    """The image's file system: its layers in order, whiteouts honoured."""
    entries: dict[str, Entry] = {}
    markers: dict[str, bytes] = {}
    too_large: dict[str, int] = {}
    unsafe: list[str] = []
    budget, counted = [limits.decompressed], [0]
    for layer in layers:
        with opener(layer) as handle:
            head = handle.read(6)
            handle.seek(0)
            stream = open_stream(by_magic(head), handle, limits, budget)  # type: ignore[arg-type]
            scan = scan_tar(stream, limits, counted=counted, also=also)  # type: ignore[arg-type]
        unsafe += scan.unsafe
        gone: set[str] = set()  # deleted with all below them
        for where, entry in scan.entries.items():
            parent, name = posixpath.split(where)
            if name == OPAQUE:
                gone.add(parent + "/")  # its children only
            elif name.startswith(WHITEOUT):
                gone.add(posixpath.join(parent, name[len(WHITEOUT) :]))
            elif entry.kind != "directory":
                gone.add(where)  # a file that replaces whatever was there
        for table in (entries, markers, too_large):
            for where in [w for w in table if _under(w, gone)]:
                del table[where]
        for where, entry in scan.entries.items():
            if not posixpath.basename(where).startswith(WHITEOUT):
                entries[where] = entry
        markers.update(scan.markers)
        too_large.update(scan.too_large)
    return Package(
        source,
        kind,
        name=label,
        entries=entries,
        markers=markers,
        too_large=too_large,
        unsafe=tuple(unsafe),
    )


def _under(where: str, gone: set[str]) -> bool:
    """Whether `where` or one of its parents is in `gone` (`dir/` entries: children only)."""
    if where in gone:
        return True
    parts = where.split("/")
    return any(
        "/".join(parts[:n]) in gone or "/".join(parts[:n]) + "/" in gone
        for n in range(1, len(parts))
    )
