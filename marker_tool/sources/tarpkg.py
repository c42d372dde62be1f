"""Tar-based packages: Arch `.pkg.tar.zst`/`.xz` and Alpine `.apk`.

Both are one tar stream (an .apk is three gzip streams back to back, which
`compression` reads as one) whose first members are metadata at the root:
`.PKGINFO` (`pkgname = ...` lines) in both, and in an Arch package `.MTREE`,
a gzip-compressed mtree(5) list of every file with its sha256 digest, which
each marker is checked against. Every header is read to the end of the
stream. The metadata members are not package entries. A tar of a root tree
with no package metadata (`mmdebstrap ... rootfs.tar`, `podman export`) is
read the same way, as a root filesystem.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Collection

from marker_tool.errors import PackageError
from marker_tool.safeio import open_regular
from marker_tool.sources.base import Budget, Package, Probe, Reader, normalise
from marker_tool.sources.compression import sniffed
from marker_tool.sources.magic import is_tar
from marker_tool.sources.tarstream import METADATA_CAP, scan_tar

_METADATA = {".PKGINFO", ".MTREE", ".BUILDINFO", ".INSTALL", ".CHANGELOG"}
_OCTAL = re.compile(rb"\\([0-3][0-7]{2})")  # one byte: \000 to \377


def _is_metadata(where: str) -> bool:
    """A member at the root whose name starts with a dot: `.PKGINFO`, `.SIGN.RSA.*`."""
    return "/" not in where and where.startswith(".")


def pkginfo(data: bytes) -> dict[str, list[str]]:
    """`.PKGINFO` as key -> values (`depend` repeats)."""
    fields: dict[str, list[str]] = {}
    for line in data.decode("utf-8", "replace").splitlines():
        key, sep, value = line.partition(" = ")
        if sep and not key.startswith("#"):
            fields.setdefault(key.strip(), []).append(value.strip())
    return fields


def mtree_digests(data: bytes, budget: Budget) -> dict[str, str]:
    """Regular files -> sha256 from a gzip-compressed mtree(5) list (`/set` defaults honoured)."""
    listing = sniffed(io.BytesIO(data), budget).read(METADATA_CAP * 4 + 1)
    if len(listing) > METADATA_CAP * 4:
        raise PackageError("`.MTREE` is far too large for package metadata")
    digests: dict[str, str] = {}
    defaults: dict[bytes, bytes] = {}
    for raw in listing.splitlines():
        words = raw.split()
        if not words or words[0].startswith(b"#"):
            continue
        if words[0] in (b"/set", b"/unset"):
            _defaults(defaults, words)
            continue
        # Only the two keywords used are looked up, here and then in the defaults: a
        # `/set` line of many keywords is not copied for every line that follows it.
        kind = digest = None
        for word in words[1:]:
            if word.startswith(b"type="):
                kind = word[5:]
            elif word.startswith(b"sha256digest="):
                digest = word[13:]
        kind = kind if kind is not None else defaults.get(b"type", b"file")
        digest = digest if digest is not None else defaults.get(b"sha256digest")
        if kind != b"file" or digest is None:
            continue
        name = _OCTAL.sub(lambda m: bytes([int(m.group(1), 8)]), words[0])
        if where := normalise(name.decode("utf-8", "replace")):
            digests[where] = digest.decode("utf-8", "replace")
    return digests


def _defaults(defaults: dict[bytes, bytes], words: list[bytes]) -> None:
    """`/set KEY=VALUE ...` or `/unset KEY ...`: the defaults of the lines that follow."""
    for word in words[1:]:
        key, _, value = word.partition(b"=")
        if words[0] == b"/set":
            defaults[key] = value
        else:
            defaults.pop(key, None)


def read_tar_package(
    path: str, budget: Budget, *, also: Collection[str] = (), kind: str = "rootfs"
) -> Package:
    """An Arch (`kind` `arch`) or Alpine (`apk`) package, or any tar of a root tree
    (`rootfs`), compressed or not."""
    with open_regular(path, kind="package") as handle:
        scan = scan_tar(sniffed(handle, budget), budget, capture=_METADATA, also=also)
    mtree = scan.captured.get(".MTREE")
    if kind == "arch" and mtree is None:
        raise PackageError("an Arch package without `.MTREE` (its list of files and digests)")
    digests = mtree_digests(mtree, budget) if kind == "arch" and mtree is not None else None
    info = pkginfo(scan.captured.get(".PKGINFO", b"")) if kind != "rootfs" else {}
    if kind == "rootfs" and not scan.entries:
        raise PackageError("an empty tar archive")
    depends = [d.split(">")[0].split("<")[0].split("=")[0] for d in info.get("depend", [])]
    entries = scan.entries
    if kind != "rootfs":
        entries = {w: e for w, e in entries.items() if not _is_metadata(w)}
    return Package(
        path,
        kind,
        name=_first(info, "pkgname"),
        version=_first(info, "pkgver"),
        arch=_first(info, "arch"),
        entries=entries,
        markers=scan.markers,
        too_large=scan.too_large,
        unsafe=tuple(scan.unsafe.names),
        unsafe_count=scan.unsafe.count,
        file_list=digests,
        digest="sha256",
        depends=tuple(dict.fromkeys(depends)),
    )


def _first(info: dict[str, list[str]], key: str) -> str | None:
    values = info.get(key)
    return values[0] if values else None


def _reads(kind: str) -> Callable[[Probe, Budget, Collection[str]], list[Package]]:
    def read(probe: Probe, budget: Budget, also: Collection[str]) -> list[Package]:
        return [read_tar_package(probe.path, budget, also=also, kind=kind)]

    return read


def _apk(probe: Probe) -> bool:
    """gzip streams whose first tar member is the signature (`.SIGN.RSA...`) or `.PKGINFO`
    (an Arch package compressed with gzip says so by its name)."""
    first = probe.first_member or ""
    return probe.compression == "gzip" and (
        first.startswith(".SIGN.")
        or (first == ".PKGINFO" and not probe.path.endswith(".pkg.tar.gz"))
    )


def _arch(probe: Probe) -> bool:
    """A tar whose first member is one of makepkg's metadata files."""
    return probe.first_member in (".BUILDINFO", ".MTREE", ".PKGINFO")


APK = Reader(
    name="apk",
    description="an Alpine package",
    directory=False,
    recognise=_apk,
    read=_reads("apk"),
    suffixes=(".apk",),
    pooled=True,
)
ARCH = Reader(
    name="arch",
    description="an Arch Linux package",
    directory=False,
    recognise=_arch,
    read=_reads("arch"),
    suffixes=(".pkg.tar.zst", ".pkg.tar.xz", ".pkg.tar.gz"),
    pooled=True,
)
ROOTFS = Reader(
    name="rootfs",
    description="a root filesystem tarball (mmdebstrap, podman export; any compression)",
    directory=False,
    recognise=lambda probe: is_tar(probe.inner),
    read=_reads("rootfs"),
)
