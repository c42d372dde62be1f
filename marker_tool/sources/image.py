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
nested indexes followed; attestation and other non-image manifests skipped
and said so), Docker's `manifest.json` (`Config`, `RepoTags`, `Layers`),
which Docker 25 and later also write next to an OCI layout, and an image in
a folder (`podman save --format docker-dir`, `skopeo copy dir:`: one
manifest, blobs named by their hex digest). Each image is one system.
"""

from __future__ import annotations

import json
import os
import posixpath
from collections.abc import Callable, Collection
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import Any

from marker_tool.errors import PackageError
from marker_tool.safeio import open_regular
from marker_tool.sources.base import Budget, Package, Probe, Reader, Stream, Unsafe, normalise
from marker_tool.sources.compression import sniffed
from marker_tool.sources.layers import Tree, ambiguities, apply_layer
from marker_tool.sources.magic import is_tar
from marker_tool.sources.tarstream import (
    METADATA_CAP,
    Located,
    Scan,
    Window,
    index_tar,
    scan_tar,
)

_MANIFEST_TYPES = {
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
}
_INDEX_TYPES = {
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
}
_MAX_NESTING = 4


#: An opened blob: a stream that is closed after use.
Blob = AbstractContextManager[Stream]
Opener = Callable[[str], Blob]


#: Links followed to find a member of an image tarball (`docker save` links layers to blobs).
_MAX_LINKS = 16


def _located(members: dict[str, Located], name: str) -> Located:
    """The regular file `name` names in an image tarball, its links followed."""
    where = normalise(name)
    for _ in range(_MAX_LINKS):
        member = members.get(where) if where else None
        if member is None:
            raise PackageError(f"the image names `{name}`, which the tarball lacks")
        if member.kind == "file":
            return member
        if member.kind not in ("symlink", "hardlink") or not member.link:
            raise PackageError(f"the image names `{name}`, which is no file in the tarball")
        if member.kind == "hardlink":
            where = normalise(member.link)
        else:
            assert where is not None
            base = "" if member.link.startswith("/") else posixpath.dirname(where)
            where = normalise(posixpath.normpath(posixpath.join("/", base, member.link))[1:])
    raise PackageError(f"the image names `{name}`, behind more than {_MAX_LINKS} links")


def _tar_index(probe: Probe, budget: Budget) -> dict[str, Located] | None:
    """The members of an uncompressed tar, indexed once and kept in the probe; None when
    it cannot be indexed (reading it as a root filesystem then says what is wrong)."""
    if "tar index" not in probe.cache:
        index = None
        if probe.compression == "none" and is_tar(probe.head):
            try:
                with open_regular(probe.path, kind="package") as handle:
                    index = index_tar(handle, budget)
            except PackageError:
                index = None
        probe.cache["tar index"] = index
    cached = probe.cache["tar index"]
    return cached if isinstance(cached, dict) else None


def _is_image_tarball(probe: Probe, root_file: str) -> bool:
    """An image tarball: its root holds `root_file` (`manifest.json`, `oci-layout`).

    Only the root's own file counts (a root filesystem's `etc/manifest.json`
    does not; `docker save` writes them last, so the whole index is needed).
    """
    index = _tar_index(probe, Budget())
    return index is not None and root_file in index


def read_image_tarball(probe: Probe, budget: Budget, also: Collection[str]) -> list[Package]:
    """Each image of a `docker save` tarball or an oci-archive, read in place: its headers
    are parsed once by `tarstream`, every member's size checked against the file."""
    members = _tar_index(probe, budget)
    if members is None:
        raise PackageError("an image tarball whose members cannot be indexed")
    with open_regular(probe.path, kind="package") as handle:

        def opener(name: str) -> Blob:
            member = _located(members, name)
            return Window(handle, member.offset, member.size)

        if "manifest.json" in members:
            return _docker(probe.path, opener, budget, also, "docker-archive")
        return _oci(probe.path, opener, budget, also, "oci-archive")


def read_oci_directory(probe: Probe, budget: Budget, also: Collection[str]) -> list[Package]:
    """Each image of an OCI image layout directory."""
    if probe.has_file("manifest.json"):
        return _docker(probe.path, _folder_opener(probe.path), budget, also, "oci")
    return _oci(probe.path, _folder_opener(probe.path), budget, also, "oci")


def read_image_directory(probe: Probe, budget: Budget, also: Collection[str]) -> list[Package]:
    """An image in a folder: `manifest.json` and blobs named by their hex digest
    (`podman save --format docker-dir`), or an unpacked `docker save`."""
    path = probe.path
    opener = _folder_opener(path)
    manifest = _json(opener, "manifest.json")
    if isinstance(manifest, list):
        return _docker(path, opener, budget, also, "docker-dir")
    if not isinstance(manifest, dict) or not isinstance(manifest.get("layers"), list):
        raise PackageError("`manifest.json` is neither an image manifest nor a list of images")
    layers = [_blob(_field(layer, "digest")).rpartition("/")[2] for layer in manifest["layers"]]
    label = os.path.basename(os.path.normpath(path))
    return [
        _apply(path, "docker-dir", label, layers, opener=opener, budget=budget, also=also, scans={})
    ]


def _folder_opener(path: str) -> Opener:
    def opener(name: str) -> Blob:
        where = normalise(name)
        if where is None:
            raise PackageError(f"the image names `{name}`, outside its folder")
        try:
            return open_regular(os.path.join(path, where), kind="image blob")
        except FileNotFoundError:
            raise PackageError(
                f"the image names `{where}`, which {path} lacks (a blob not copied?)"
            ) from None

    return opener


def _field(value: object, key: str) -> object:
    """`value[key]` of a JSON object, or PackageError naming what was expected."""
    if not isinstance(value, dict):
        raise PackageError(f"an image descriptor that is not an object (looking for `{key}`)")
    return value.get(key)


def _json(opener: Opener, name: str) -> Any:
    with opener(name) as handle:
        data = handle.read(METADATA_CAP + 1)
    if len(data) > METADATA_CAP:
        raise PackageError(f"`{name}` is far too large for image metadata")
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PackageError(f"`{name}` is not valid JSON: {exc}") from None
    except RecursionError:
        raise PackageError(f"`{name}` is JSON nested too deep for image metadata") from None


def _docker(
    source: str, opener: Opener, budget: Budget, also: Collection[str], kind: str
) -> list[Package]:
    manifest = _json(opener, "manifest.json")
    if not isinstance(manifest, list):
        raise PackageError("`manifest.json` is not a list of images")
    most = budget.limits.images
    if len(manifest) > most:
        raise PackageError(f"`manifest.json` lists {len(manifest)} images; at most {most}")
    packages = []
    scans: dict[str, Scan] = {}
    for n, image in enumerate(manifest):
        layers = image.get("Layers") if isinstance(image, dict) else None
        if not isinstance(layers, list) or not all(isinstance(x, str) for x in layers):
            raise PackageError(f"image {n} of `manifest.json` has no list of layers")
        tags = image.get("RepoTags")
        tag = tags[0] if isinstance(tags, list) and tags and isinstance(tags[0], str) else None
        packages.append(
            _apply(
                source,
                kind,
                tag or f"image {n}",
                layers,
                opener=opener,
                budget=budget,
                also=also,
                scans=scans,
            )
        )
    return packages


def _blob(digest: object) -> str:
    if not isinstance(digest, str) or ":" not in digest:
        raise PackageError(f"a descriptor with no valid digest: {digest!r}")
    algorithm, _, hexdigest = digest.partition(":")
    if not (algorithm.isalnum() and hexdigest.isalnum()):
        raise PackageError(f"a digest that names no blob: {digest!r}")
    return f"blobs/{algorithm}/{hexdigest}"


#: Annotations that mark a manifest as no image of its own (buildx attestations).
_NOT_IMAGES = {"vnd.docker.reference.type": "attestation-manifest"}


def _oci(
    source: str, opener: Opener, budget: Budget, also: Collection[str], kind: str
) -> list[Package]:
    packages: list[Package] = []
    skipped: list[str] = []
    seen = [0]
    limits = budget.limits
    scans: dict[str, Scan] = {}

    def walk(index: object, depth: int) -> None:
        if depth > _MAX_NESTING or not isinstance(index, dict):
            raise PackageError("an image index nested too deep, or not an index")
        descriptors = index.get("manifests") or []
        if not isinstance(descriptors, list):
            raise PackageError("an image index whose `manifests` is not a list")
        for descriptor in descriptors:
            seen[0] += 1
            if seen[0] > limits.images:
                raise PackageError(f"the image index lists more than {limits.images} manifests")
            media = _field(descriptor, "mediaType")
            digest = _field(descriptor, "digest")
            annotations = _field(descriptor, "annotations") or {}
            platform = _field(descriptor, "platform") or {}
            if not isinstance(annotations, dict) or not isinstance(platform, dict):
                raise PackageError("an image descriptor with malformed annotations or platform")
            other = next((v for k, v in _NOT_IMAGES.items() if annotations.get(k) == v), None)
            if other is not None:
                skipped.append(f"skipped {digest}: an {other}, not an image")
                continue
            blob = _json(opener, _blob(digest))
            if media in _INDEX_TYPES:
                walk(blob, depth + 1)
                continue
            if media not in _MANIFEST_TYPES and not (isinstance(blob, dict) and "layers" in blob):
                skipped.append(f"skipped {digest}: a {media}, not an image manifest")
                continue
            layers = _field(blob, "layers")
            if not isinstance(layers, list):
                raise PackageError(f"the manifest {digest} has no list of layers")
            blobs = [_blob(_field(layer, "digest")) for layer in layers]
            name = _image_name(annotations, platform, digest)
            packages.append(
                _apply(
                    source, kind, name, blobs, opener=opener, budget=budget, also=also, scans=scans
                )
            )

    walk(_json(opener, "index.json"), 0)
    if not packages:
        raise PackageError(
            "the OCI layout holds no image manifest"
            + (f" ({'; '.join(skipped)})" if skipped else "")
        )
    if skipped:
        packages[0] = replace(packages[0], notes=tuple(skipped))
    return packages


def _image_name(annotations: dict[str, object], platform: dict[str, object], digest: object) -> str:
    """`ref-name os/architecture`, or the manifest's digest."""
    label = annotations.get("org.opencontainers.image.ref.name")
    where = "/".join(str(platform.get(k)) for k in ("os", "architecture") if platform.get(k))
    return " ".join(str(x) for x in (label, where) if x) or str(digest)


def _apply(
    source: str,
    kind: str,
    label: str,
    layers: list[str],
    *,
    opener: Opener,
    budget: Budget,
    also: Collection[str],
    scans: dict[str, Scan],
) -> Package:
    """The image's file system: its layers applied in order (`sources.layers`).

    The images of one input share its `budget`: listing one layer many times, or
    many images, does not restart the decompression budget or the member cap.
    `scans`: the layers of the input read so far, by blob name: images share base
    layers, and each is read once, then applied to every image that lists it.
    """
    most = budget.limits.layers
    if len(layers) > most:
        raise PackageError(f"an image of {len(layers)} layers; at most {most}")
    tree = Tree(budget=budget)
    unsafe = Unsafe()
    for number, layer in enumerate(layers, start=1):
        if layer not in scans:
            with opener(layer) as handle:
                scans[layer] = scan_tar(sniffed(handle, budget), budget, also=also)
        scan = scans[layer]
        unsafe.extend(scan.unsafe)
        apply_layer(tree, scan, number)
    return Package(
        source,
        kind,
        name=label,
        entries=tree.entries,
        markers=tree.markers,
        too_large=tree.too_large,
        unsafe=tuple(unsafe.names),
        unsafe_count=unsafe.count,
        ambiguities=ambiguities(tree),
    )


DOCKER_ARCHIVE = Reader(
    name="docker-archive",
    description="a container image archive (`docker save`, `podman save`)",
    directory=False,
    recognise=lambda probe: _is_image_tarball(probe, "manifest.json"),
    read=read_image_tarball,
)
OCI_ARCHIVE = Reader(
    name="oci-archive",
    description="an OCI image archive (a tarred OCI image layout)",
    directory=False,
    recognise=lambda probe: _is_image_tarball(probe, "oci-layout"),
    read=read_image_tarball,
)
OCI = Reader(
    name="oci",
    description="an OCI image layout directory (`oci-layout`, `index.json`, `blobs/`)",
    directory=True,
    recognise=lambda probe: probe.has_file("oci-layout"),
    read=read_oci_directory,
)
DOCKER_DIR = Reader(
    name="docker-dir",
    description="an image in a folder (`podman save --format docker-dir`, `skopeo copy dir:`)",
    directory=True,
    recognise=lambda probe: probe.has_file("manifest.json"),
    read=read_image_directory,
)
