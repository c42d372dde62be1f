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

import bisect
import json
import os
import posixpath
from collections.abc import Callable, Collection
from dataclasses import replace
from typing import IO, Any

from marker_tool.safeio import open_regular
from marker_tool.sources.base import (
    DEFAULT_LIMITS,
    Limits,
    Member,
    Package,
    PackageError,
    normalise,
)
from marker_tool.sources.compression import by_magic, open_stream
from marker_tool.sources.tarstream import METADATA_CAP, Located, Window, index_tar, scan_tar

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


class _Shared:
    """What all images of one input share: the decompression budget and the member cap."""

    def __init__(self, limits: Limits) -> None:
        self.budget = [limits.decompressed]
        self.counted = [0]


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


def read_image_tarball(
    path: str, limits: Limits = DEFAULT_LIMITS, *, also: Collection[str] = ()
) -> list[Package] | None:
    """Each image of a `docker save` tarball (or a tarred OCI layout); None for a tar
    that is no image (a package or a root filesystem).

    Only the root's own `manifest.json` or `oci-layout` makes it an image (a root
    filesystem's `etc/manifest.json` does not; `docker save` writes them last).
    Its headers are parsed once by `tarstream` (no pax header reaches `tarfile`),
    every member's size is checked against the file, and members are read in
    place. A tar that cannot be indexed is no image here: reading it as a
    package says what is wrong with it.
    """
    with open_regular(path, kind="package") as handle:
        try:
            members = index_tar(handle, limits)
        except PackageError:
            return None
        if "manifest.json" not in members and "oci-layout" not in members:
            return None

        def opener(name: str) -> IO[bytes]:
            member = _located(members, name)
            return Window(handle, member.offset, member.size)  # type: ignore[return-value]

        if "manifest.json" in members:
            return _docker(path, opener, limits, also)
        return _oci(path, opener, limits, also)


def read_oci_directory(
    path: str, limits: Limits = DEFAULT_LIMITS, *, also: Collection[str] = ()
) -> list[Package]:
    """Each image of an OCI image layout directory."""

    if os.path.isfile(os.path.join(path, "manifest.json")):
        return _docker(path, _folder_opener(path), limits, also)
    return _oci(path, _folder_opener(path), limits, also)


def read_image_directory(
    path: str, limits: Limits = DEFAULT_LIMITS, *, also: Collection[str] = ()
) -> list[Package]:
    """An image in a folder: `manifest.json` and blobs named by their hex digest
    (`podman save --format docker-dir`), or an unpacked `docker save`."""
    opener = _folder_opener(path)
    manifest = _json(opener, "manifest.json")
    if isinstance(manifest, list):
        return _docker(path, opener, limits, also)
    if not isinstance(manifest, dict) or not isinstance(manifest.get("layers"), list):
        raise PackageError("`manifest.json` is neither an image manifest nor a list of images")
    layers = [_blob(_field(layer, "digest")).rpartition("/")[2] for layer in manifest["layers"]]
    label = os.path.basename(os.path.normpath(path))
    return [
        _apply(
            path,
            "docker-dir",
            label,
            layers,
            opener=opener,
            limits=limits,
            also=also,
            shared=_Shared(limits),
        )
    ]


def _folder_opener(path: str) -> Opener:
    def opener(name: str) -> IO[bytes]:
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


def _docker(source: str, opener: Opener, limits: Limits, also: Collection[str]) -> list[Package]:
    manifest = _json(opener, "manifest.json")
    if not isinstance(manifest, list):
        raise PackageError("`manifest.json` is not a list of images")
    if len(manifest) > limits.images:
        raise PackageError(f"`manifest.json` lists {len(manifest)} images; at most {limits.images}")
    packages = []
    shared = _Shared(limits)
    for n, image in enumerate(manifest):
        layers = image.get("Layers") if isinstance(image, dict) else None
        if not isinstance(layers, list) or not all(isinstance(x, str) for x in layers):
            raise PackageError(f"image {n} of `manifest.json` has no list of layers")
        tags = image.get("RepoTags")
        tag = tags[0] if isinstance(tags, list) and tags and isinstance(tags[0], str) else None
        packages.append(
            _apply(
                source,
                "docker",
                tag or f"image {n}",
                layers,
                opener=opener,
                limits=limits,
                also=also,
                shared=shared,
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


def _oci(source: str, opener: Opener, limits: Limits, also: Collection[str]) -> list[Package]:
    packages: list[Package] = []
    skipped: list[str] = []
    seen = [0]
    shared = _Shared(limits)

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
            kind = next((v for k, v in _NOT_IMAGES.items() if annotations.get(k) == v), None)
            if kind is not None:
                skipped.append(f"skipped {digest}: an {kind}, not an image")
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
            label = annotations.get("org.opencontainers.image.ref.name")
            where = "/".join(
                str(platform.get(k)) for k in ("os", "architecture") if platform.get(k)
            )
            name = " ".join(str(x) for x in (label, where) if x) or str(digest)
            packages.append(
                _apply(
                    source,
                    "oci",
                    name,
                    [_blob(_field(layer, "digest")) for layer in layers],
                    opener=opener,
                    limits=limits,
                    also=also,
                    shared=shared,
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


def _apply(
    source: str,
    kind: str,
    label: str,
    layers: list[str],
    *,
    opener: Opener,
    limits: Limits,
    also: Collection[str],
    shared: _Shared,
) -> Package:
    """The image's file system: its layers in order, whiteouts honoured.

    The images of one input share `shared`: listing one layer many times, or many
    images, does not restart the decompression budget or the member cap.
    """
    if len(layers) > limits.layers:
        raise PackageError(f"an image of {len(layers)} layers; at most {limits.layers}")
    entries: dict[str, Member] = {}
    markers: dict[str, bytes] = {}
    too_large: dict[str, int] = {}
    unsafe: list[str] = []
    budget, counted = shared.budget, shared.counted
    for layer in layers:
        with opener(layer) as handle:
            head = handle.read(6)
            handle.seek(0)
            stream = open_stream(by_magic(head), handle, limits, budget)  # type: ignore[arg-type]
            scan = scan_tar(stream, limits, counted=counted, also=also)  # type: ignore[arg-type]
        unsafe += scan.unsafe
        gone: set[str] = set()  # deleted with all below them
        opaque: set[str] = set()  # their children from below are deleted
        for where, entry in scan.entries.items():
            parent, name = posixpath.split(where)
            if name == OPAQUE:
                opaque.add(parent)  # "" is the layer's root
            elif name.startswith(WHITEOUT):
                gone.add(posixpath.join(parent, name[len(WHITEOUT) :]))
            elif entry.kind != "directory":
                gone.add(where)  # a file that replaces whatever was there
            elif (below := entries.get(where)) is not None and below.kind != "directory":
                gone.add(where)  # a directory that replaces a file or link
        if gone or opaque:
            for table in (entries, markers, too_large):
                for where in _deleted(sorted(table), gone, opaque):
                    table.pop(where, None)
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


def _deleted(paths: list[str], gone: set[str], opaque: set[str]) -> list[str]:
    """Which of the sorted `paths` a layer's whiteouts delete: those `gone` and all under
    them, and all under an `opaque` directory (`""`, the layer's root, is above all).

    The paths under `d` are one run of the sorted list, from `d/` up to `d0`
    (`0` follows `/`): found by bisection, so the pass costs a sort and a
    lookup per whiteout, never a whiteout per path.
    """
    if "" in opaque:
        return paths
    out: list[str] = []
    for top in gone | opaque:
        if top in gone:
            at = bisect.bisect_left(paths, top)
            if at < len(paths) and paths[at] == top:
                out.append(top)
        start = bisect.bisect_left(paths, top + "/")
        out += paths[start : bisect.bisect_left(paths, top + "0", start)]
    return out
