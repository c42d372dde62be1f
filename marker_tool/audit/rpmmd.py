"""An rpm-md repository (Fedora, openSUSE, RHEL): repodata/repomd.xml, primary and filelists.

The same pipeline as apt's: repomd.xml lists each index with its sha256 and
size (its detached signature, repomd.xml.asc, is checked with gpgv when a
keyring is given); filelists.xml names the candidates, primary.xml gives
their files, sizes, sha256 and source rpm. The XML is read with expat as it
streams, a document type declaration refused (no entity can expand), so a
hostile index costs what its declared size allows and no more.
"""

from __future__ import annotations

import io
import xml.parsers.expat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from marker_tool.audit.candidates import Scan
from marker_tool.audit.fetch import Expected, MirrorError, fetch
from marker_tool.audit.model import Binary, IndexUsed, Suite
from marker_tool.errors import PackageError
from marker_tool.sources.base import Budget, Limits

if TYPE_CHECKING:
    from marker_tool.audit.context import Context

REPOMD_CAP = 16 * 1024 * 1024
_COMPRESSION = {".xz": "xz", ".gz": "gzip", ".zst": "zstd", ".bz2": "bzip2"}
#: Architectures that are not a system of their own: `noarch` joins each, `src` none.
NOT_SYSTEMS = frozenset({"noarch", "src", "nosrc"})


def _parse(
    path: Path,
    name: str,
    *,
    limits: Limits,
    where: str,
    start: Callable[[str, dict[str, str]], None],
    end: Callable[[str, str], None],
) -> None:
    """Stream an XML index through expat: element starts, and ends with their text."""
    from marker_tool.sources.compression import open_stream

    compression = next((c for s, c in _COMPRESSION.items() if name.endswith(s)), "none")
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    text: list[str] = []

    def refuse(*_: object) -> None:
        raise MirrorError("a document type declaration in an index (a hostile index?)", file=where)

    def on_start(tag: str, attrs: dict[str, str]) -> None:
        text.clear()
        start(tag.rpartition(" ")[2], attrs)

    def on_text(data: str) -> None:
        if sum(map(len, text)) < 64 * 1024:
            text.append(data)

    def on_end(tag: str) -> None:
        end(tag.rpartition(" ")[2], "".join(text))
        text.clear()

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = on_start
    parser.CharacterDataHandler = on_text
    parser.EndElementHandler = on_end
    with open(path, "rb", buffering=0) as raw:
        stream = io.BufferedReader(open_stream(compression, raw, Budget(limits)), 1024 * 1024)
        try:
            while block := stream.read(1024 * 1024):
                parser.Parse(block, False)
            parser.Parse(b"", True)
        except xml.parsers.expat.ExpatError as exc:
            raise MirrorError(f"not well-formed XML: {exc}", file=where) from None
        except PackageError as exc:
            raise MirrorError(exc.message, file=where) from None


@dataclass(slots=True)
class _Data:
    """One `<data>` entry of repomd.xml."""

    kind: str
    href: str = ""
    sha256: str = ""
    size: int = -1


def read_repomd(path: Path, where: str) -> dict[str, _Data]:
    """The indexes repomd.xml lists, by type (`primary`, `filelists` ...)."""
    found: dict[str, _Data] = {}
    current: list[_Data] = []
    checksum_type: list[str] = [""]

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag == "data":
            current[:] = [_Data(attrs.get("type", ""))]
        elif current and tag == "location":
            current[0].href = attrs.get("href", "")
        elif tag == "checksum":
            checksum_type[0] = attrs.get("type", "")

    def end(tag: str, text: str) -> None:
        if not current:
            return
        data = current[0]
        if tag == "checksum":
            if checksum_type[0] != "sha256":
                raise MirrorError(
                    f"`{data.kind}` is listed with a {checksum_type[0]} checksum; audit "
                    "trusts sha256 only",
                    file=where,
                    hint="createrepo_c --checksum sha256",
                )
            data.sha256 = text.strip().lower()
        elif tag == "size" and text.strip().isdigit():
            data.size = int(text.strip())
        elif tag == "data":
            found[data.kind] = data
            current.clear()

    _parse(
        path,
        "repomd.xml",
        limits=Limits(decompressed=REPOMD_CAP),
        where=where,
        start=start,
        end=end,
    )
    for kind in ("primary", "filelists"):
        data = found.get(kind)
        if data is None or not data.href or len(data.sha256) != 64 or data.size < 0:
            raise MirrorError(
                f"repomd.xml lists no `{kind}` index with its location, sha256 and size",
                file=where,
                hint="createrepo_c writes both",
            )
    return found


@dataclass(slots=True)
class _Package:
    attrs: dict[str, str] = field(default_factory=dict)
    name: str = ""
    arch: str = ""
    sha256: str = ""
    href: str = ""
    size: int = -1
    sourcerpm: str = ""


def _evr(attrs: dict[str, str]) -> tuple[str, str]:
    """(`[epoch:]ver-rel`, `ver-rel`) of a `<version>` element."""
    ver_rel = f"{attrs.get('ver', '')}-{attrs.get('rel', '')}"
    epoch = attrs.get("epoch", "0")
    return (f"{epoch}:{ver_rel}" if epoch not in ("", "0") else ver_rel), ver_rel


def source_of(sourcerpm: str, name: str, ver_rel: str) -> tuple[str, str]:
    """(source name, its version-release) from `python3.12-3.12.1-1.fc40.src.rpm`."""
    stem = sourcerpm.removesuffix(".rpm").rpartition(".")[0]  # drop `.src`
    parts = stem.rsplit("-", 2)
    if len(parts) != 3 or not all(parts):
        return name, ver_rel
    return parts[0], f"{parts[1]}-{parts[2]}"


def rpmmd_suite(run: Context, name: str) -> Suite:
    """The systems of one rpm-md repository (`name`: its folder under the mirror, or "")."""
    mirror, progress = run.mirror, run.progress
    base = f"{name}/" if name else ""
    label = name or mirror.root.rstrip("/").rpartition("/")[2] or "repository"
    suite = Suite(label, "rpm-md")
    progress.start(f"{label}: repomd.xml")
    repomd = mirror.read(f"{base}repodata/repomd.xml", limit=REPOMD_CAP, stats=run.stats)
    _verify(run, base, repomd, suite)
    import tempfile

    with tempfile.TemporaryDirectory(prefix="marker-tool-repomd-") as work:
        Path(work, "repomd.xml").write_bytes(repomd)
        indexes = read_repomd(Path(work, "repomd.xml"), mirror.where(f"{base}repodata/repomd.xml"))
    local: dict[str, Path] = {}
    for kind in ("filelists", "primary"):
        data = indexes[kind]
        expected = Expected(data.size, data.sha256)
        suite.indexes.append(IndexUsed(base + data.href, data.size, data.sha256))
        progress.start(f"{label}: {data.href}")
        local[kind] = fetch(mirror, run.cache, base + data.href, expected, run.stats, kind="index")
    scan = _scan_filelists(
        local["filelists"], indexes["filelists"].href, run.options.limits,
        mirror.where(base + indexes["filelists"].href),
    )  # fmt: skip
    found = _read_primary(
        local["primary"], indexes["primary"].href, run.options.limits,
        mirror.where(base + indexes["primary"].href), scan.names, base,
    )  # fmt: skip
    arches = sorted({b.arch for bs in found.values() for b in bs} - NOT_SYSTEMS)
    asked = run.options.architectures
    if not arches and found:
        arches = ["noarch"]
    if asked:
        from marker_tool.audit.context import select

        arches = select(asked, arches, "architecture", mirror.where(base + "repodata"))
    suite.architectures = tuple(arches)
    from marker_tool.audit.candidates import plan_systems

    for arch in arches:
        here = {key: [b for b in bs if b.arch in (arch, "noarch")] for key, bs in found.items()}
        suite.plans += plan_systems(label, arch, scan, here)
    return suite


def _scan_filelists(path: Path, name: str, limits: Limits, where: str) -> Scan:
    """The candidates filelists.xml names, by package id (the package's sha256)."""
    scan = Scan()
    current: list[str] = [""]

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag == "package":
            current[0] = attrs.get("pkgid", "").lower()

    def end(tag: str, text: str) -> None:
        if tag == "file":
            scan.feed(text, (current[0],))

    _parse(path, name, limits=limits, where=where, start=start, end=end)
    return scan


def _read_primary(  # noqa: PLR0917
    path: Path, name: str, limits: Limits, where: str, wanted: set[str], base: str
) -> dict[str, list[Binary]]:
    """The `wanted` packages (by package id) as primary.xml lists them."""
    found: dict[str, list[Binary]] = {}
    package = _Package()

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal package
        if tag == "package":
            package = _Package()
        elif tag == "version":
            package.attrs = attrs
        elif tag == "location":
            package.href = base + attrs.get("href", "")
        elif tag == "size" and attrs.get("package", "").isdigit():
            package.size = int(attrs["package"])

    def end(tag: str, text: str) -> None:
        if tag == "name" and not package.name:
            package.name = text.strip()
        elif tag == "arch":
            package.arch = text.strip()
        elif tag == "checksum":
            package.sha256 = text.strip().lower()
        elif tag == "sourcerpm":
            package.sourcerpm = text.strip()
        elif tag == "package" and package.sha256 in wanted:
            version, ver_rel = _evr(package.attrs)
            source, source_version = source_of(package.sourcerpm, package.name, ver_rel)
            if package.size < 0 or not package.href:
                raise MirrorError(f"package `{package.name}` has no size or location", file=where)
            binary = Binary(
                package.name, version, package.arch, source, source_version,
                package.href, package.size, package.sha256,
            )  # fmt: skip
            found.setdefault(package.sha256, []).append(binary)

    _parse(path, name, limits=limits, where=where, start=start, end=end)
    return found


def _verify(run: Context, base: str, repomd: bytes, suite: Suite) -> None:
    """repomd.xml's detached signature, checked with the keyring the user gave."""
    if not run.options.verify or run.options.keyring is None:
        suite.notes.append(
            "its repomd.xml signature was not checked "
            + ("(--no-verify)" if not run.options.verify else "(give --keyring FILE)")
        )
        return
    import tempfile

    from marker_tool.audit.apt import gpgv

    mirror = run.mirror
    where = mirror.where(f"{base}repodata/repomd.xml.asc")
    signature = mirror.read(f"{base}repodata/repomd.xml.asc", limit=1024 * 1024)
    with tempfile.TemporaryDirectory(prefix="marker-tool-repomd-") as work:
        Path(work, "repomd.xml").write_bytes(repomd)
        Path(work, "repomd.xml.asc").write_bytes(signature)
        status, said = gpgv(
            run.options.keyring, str(Path(work, "repomd.xml.asc")), str(Path(work, "repomd.xml"))
        )
    if status != 0 or "[GNUPG:] VALIDSIG" not in said:
        raise MirrorError(
            f"its signature does not check out with {run.options.keyring}",
            file=where,
            hint="give the repository's keyring with --keyring FILE",
        )
    suite.verified_with = run.options.keyring
