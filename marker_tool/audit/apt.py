"""An apt repository's indexes: InRelease/Release, Packages and Contents-<arch>.

The Release file is the root of trust: its signature is checked with gpgv
and the archive keyring (given, or the one /usr/share/keyrings holds for its
Origin), its Valid-Until is enforced unless the user lets an expired suite
through, and every index is read only once its size and sha256 match the
Release's. Indexes are streamed, a line at a time and each line bounded, so
sid's 1 GB of Contents never sits in memory; what they say is kept only for
the packages that matter.
"""

from __future__ import annotations

import io
import os
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING

from marker_tool.audit.candidates import Scan
from marker_tool.audit.context import select
from marker_tool.audit.fetch import Expected, Mirror, MirrorError, Stats
from marker_tool.audit.model import Binary, IndexUsed, Plan, Suite
from marker_tool.errors import MarkerToolError, PackageError, did_you_mean
from marker_tool.sources.base import Budget, Limits

if TYPE_CHECKING:
    from marker_tool.audit.context import Context

#: The most a Release file may be (Debian's sid InRelease is about 200 KB).
RELEASE_CAP = 16 * 1024 * 1024
#: The longest line an index may have (Debian's longest Packages lines are a few KB).
LINE_CAP = 1024 * 1024
#: Where apt looks for archive keyrings.
KEYRINGS = Path("/usr/share/keyrings")
#: Index compressions, best first (what a Release lists decides).
SUFFIXES = (".xz", ".gz", ".zst", ".bz2", "")
_COMPRESSION = {".xz": "xz", ".gz": "gzip", ".zst": "zstd", ".bz2": "bzip2", "": "none"}


@dataclass(frozen=True, slots=True)
class Release:
    """A suite's Release file, once trusted."""

    suite: str
    fields: dict[str, str]
    #: Index path -> its size and sha256.
    files: dict[str, Expected]
    #: The keyring the signature was checked with (None: not checked).
    verified_with: str | None
    expired: bool

    @property
    def components(self) -> tuple[str, ...]:
        return tuple(self.fields.get("components", "").split())

    @property
    def architectures(self) -> tuple[str, ...]:
        return tuple(a for a in self.fields.get("architectures", "").split() if a != "all")

    def index(self, stem: str) -> tuple[str, Expected] | None:
        """The listed file for `stem` (`main/binary-amd64/Packages`), best compression first."""
        for suffix in SUFFIXES:
            if stem + suffix in self.files:
                return stem + suffix, self.files[stem + suffix]
        return None

    def by_hash(self, path: str, expected: Expected) -> str:
        """The path apt fetches it by: its `by-hash` name when the suite offers that."""
        if self.fields.get("acquire-by-hash", "").lower() != "yes":
            return path
        return f"{posixpath_dirname(path)}/by-hash/SHA256/{expected.sha256}"


def posixpath_dirname(path: str) -> str:
    return path.rpartition("/")[0]


def parse_fields(text: str, where: str) -> dict[str, str]:
    """A deb822 paragraph's fields, lower-case names; continuation lines kept with `\\n`."""
    fields: dict[str, str] = {}
    last: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            if fields:
                break
            continue
        if line[0] in " \t":
            if last is None:
                raise MirrorError(f"line {number} continues no field", file=where)
            fields[last] += "\n" + line.strip()
            continue
        name, colon, value = line.partition(":")
        if not colon or not name or " " in name:
            raise MirrorError(f"line {number} is not `Field: value`", file=where)
        last = name.lower()
        fields[last] = value.strip()
    return fields


def _sha256_list(fields: dict[str, str], where: str) -> dict[str, Expected]:
    files: dict[str, Expected] = {}
    for line in fields.get("sha256", "").splitlines():
        parts = line.split()
        if not parts:
            continue
        if (
            len(parts) != 3
            or len(parts[0]) != 64
            or not parts[1].isdigit()
            or any(c not in "0123456789abcdef" for c in parts[0])
        ):
            raise MirrorError(f"a `SHA256` line is not `HASH SIZE PATH`: {line[:80]!r}", file=where)
        files[parts[2]] = Expected(int(parts[1]), parts[0])
    if not files:
        raise MirrorError(
            "the Release file lists no SHA256 hashes: its indexes cannot be trusted",
            file=where,
            hint="apt-ftparchive release writes them",
        )
    return files


def clearsigned_text(data: bytes, where: str) -> str:
    """The text of an InRelease file, without checking its signature (no keyring)."""
    text = data.decode("utf-8", "replace")
    lines = text.splitlines()
    if not lines or lines[0] != "-----BEGIN PGP SIGNED MESSAGE-----":
        return text  # an unsigned InRelease, as some local repositories have
    try:
        start = lines.index("", 1) + 1
        end = lines.index("-----BEGIN PGP SIGNATURE-----", start)
    except ValueError:
        raise MirrorError("not a clear-signed InRelease file", file=where) from None
    return "\n".join(line[2:] if line.startswith("- ") else line for line in lines[start:end])


def gpgv(keyring: str, *args: str) -> tuple[int, str]:
    """gpgv's exit status and status lines, in a home folder of its own."""
    with tempfile.TemporaryDirectory(prefix="marker-tool-gpgv-") as home:
        try:
            done = subprocess.run(
                ["gpgv", "--homedir", home, "--status-fd", "1", "--keyring", keyring, *args],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        except FileNotFoundError:
            raise MarkerToolError(
                "checking a Release file's signature needs gpgv, which is not installed",
                hint="apt install gpgv, or pass --no-verify to audit unsigned (not advised)",
            ) from None
    return done.returncode, done.stdout + done.stderr


def keyring_for(fields: dict[str, str]) -> str | None:
    """The archive keyring this machine holds for the Release's Origin, if any."""
    origin = fields.get("origin", "").strip().lower().replace(" ", "-")
    if not origin or "/" in origin:
        return None
    found = KEYRINGS / f"{origin}-archive-keyring.gpg"
    return str(found) if found.is_file() else None


def read_release(
    mirror: Mirror,
    suite: str,
    *,
    keyring: str | None,
    verify: bool,
    allow_expired: bool,
    now: datetime | None = None,
    stats: Stats | None = None,
) -> Release:
    """The suite's Release file, its signature, suite name and Valid-Until checked."""
    base = f"dists/{suite}"
    try:
        data = mirror.read(f"{base}/InRelease", limit=RELEASE_CAP, stats=stats)
        inline = True
    except MirrorError as exc:
        if "not on the mirror" not in exc.message and "not in the repository" not in exc.message:
            raise
        try:
            data = mirror.read(f"{base}/Release", limit=RELEASE_CAP, stats=stats)
        except MirrorError as missing:
            if "not" in missing.message and mirror.url is False:
                suites = _local_suites(mirror)
                raise MirrorError(
                    f"no suite `{suite}` (no InRelease or Release file)",
                    file=mirror.where(base),
                    hint=did_you_mean(suite, suites)
                    or (f"suites here: {', '.join(suites)}" if suites else None),
                ) from None
            raise MirrorError(
                f"no suite `{suite}`: {missing.message}",
                file=mirror.where(base),
                hint="check the suite's name (a codename such as bookworm, or stable)",
            ) from None
        inline = False
    where = mirror.where(f"{base}/{'InRelease' if inline else 'Release'}")
    text = clearsigned_text(data, where) if inline else data.decode("utf-8", "replace")
    fields = parse_fields(text, where)
    used = keyring or keyring_for(fields)
    if verify and used is not None:
        text = _verified_text(
            mirror, f"{base}/{'InRelease' if inline else 'Release'}", data, used, stats
        )
        fields = parse_fields(text, where)
    names = {fields.get("suite"), fields.get("codename")}
    if suite not in names and suite.split("/", maxsplit=1)[0] not in names:
        raise MirrorError(
            f"the Release file is for `{fields.get('codename') or fields.get('suite')}`, not "
            f"`{suite}` (a mirror serving one suite for another?)",
            file=where,
        )
    expired = _expired(fields, where, allow_expired, now or datetime.now(UTC))
    return Release(suite, fields, _sha256_list(fields, where), used if verify else None, expired)


def _local_suites(mirror: Mirror) -> list[str]:
    try:
        return sorted(
            e.name
            for e in os.scandir(os.path.join(mirror.root, "dists"))
            if e.is_dir()
            and any(os.path.isfile(os.path.join(e.path, n)) for n in ("InRelease", "Release"))
        )
    except OSError:
        return []


def _verified_text(
    mirror: Mirror, relative: str, data: bytes, keyring: str, stats: Stats | None
) -> str:
    """What the signature covers, as gpgv writes it out: nothing outside it is read."""
    base, _, name = relative.rpartition("/")
    inline = name == "InRelease"
    with tempfile.TemporaryDirectory(prefix="marker-tool-release-") as work:
        signed = Path(work, "InRelease" if inline else "Release")
        signed.write_bytes(data)
        out = Path(work, "signed")
        if inline:
            status, said = gpgv(keyring, "--output", str(out), str(signed))
            where = mirror.where(f"{base}/InRelease")
        else:
            where = mirror.where(f"{base}/Release.gpg")
            try:
                signature = mirror.read(f"{base}/Release.gpg", limit=1024 * 1024, stats=stats)
            except MirrorError:
                raise MirrorError(
                    "the suite has a Release file and no signature (Release.gpg or InRelease)",
                    file=mirror.where(base),
                    hint="give --no-verify to audit an unsigned repository",
                ) from None
            Path(work, "Release.gpg").write_bytes(signature)
            status, said = gpgv(keyring, str(Path(work, "Release.gpg")), str(signed))
            out = signed
        if status != 0 or "[GNUPG:] VALIDSIG" not in said:
            reason = next(
                (
                    line.split(" ", 2)[1]
                    for line in said.splitlines()
                    if line.startswith("[GNUPG:] ")
                    and line.split(" ")[1] in ("BADSIG", "NO_PUBKEY", "EXPKEYSIG", "REVKEYSIG")
                ),
                "no valid signature",
            )
            raise MirrorError(
                f"its signature does not check out with {keyring} ({reason})",
                file=where,
                hint="give the repository's keyring with --keyring FILE",
            )
        return out.read_text(encoding="utf-8", errors="replace")


def _expired(fields: dict[str, str], where: str, allow: bool, now: datetime) -> bool:
    raw = fields.get("valid-until")
    if not raw:
        return False
    try:
        until = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        raise MirrorError(f"`Valid-Until: {raw}` is not a date", file=where) from None
    if until.tzinfo is None:
        until = until.replace(tzinfo=UTC)
    if until >= now:
        return False
    if not allow:
        raise MirrorError(
            f"the Release file expired on {raw} (Valid-Until): the mirror may be stale, or "
            "replaying an old suite",
            file=where,
            hint="audit it anyway with --allow-expired (the report says it was expired)",
        )
    return True


# -- streaming the indexes -------------------------------------------------------------


def index_lines(path: Path, name: str, limits: Limits, where: str) -> Iterator[tuple[int, bytes]]:
    """The lines of a cached index (decompressed by its name's suffix), each one bounded."""
    from marker_tool.sources.compression import open_stream

    compression = next(
        (c for suffix, c in _COMPRESSION.items() if suffix and name.endswith(suffix)), "none"
    )
    raw = open(path, "rb", buffering=0)  # noqa: SIM115  closed below
    try:
        stream = io.BufferedReader(open_stream(compression, raw, Budget(limits)), 1024 * 1024)
        number = 0
        while True:
            try:
                line = stream.readline(LINE_CAP + 1)
            except PackageError as exc:
                raise MirrorError(f"{exc.message} (line {number + 1})", file=where) from None
            if not line:
                return
            number += 1
            if len(line) > LINE_CAP:
                raise MirrorError(
                    f"line {number} is longer than {LINE_CAP} bytes (a hostile index?)",
                    file=where,
                )
            yield number, line
    finally:
        raw.close()


def scan_contents(
    path: Path, name: str, limits: Limits, where: str, tick: Callable[[], None] | None = None
) -> Scan:
    """The candidates a Contents index names: `PATH  SECTION/PACKAGE[,...]` per line."""
    scan = Scan()
    for number, line in index_lines(path, name, limits, where):
        text = line.decode("utf-8", "surrogateescape").rstrip("\n")
        parts = text.rsplit(None, 1)
        if len(parts) != 2:
            if not text.strip():
                continue
            raise MirrorError(
                f"line {number} is not `PATH  SECTION/PACKAGE`: {text[:80]!r}", file=where
            )
        scan.feed(parts[0], [p.rpartition("/")[2] for p in parts[1].split(",")])
        if tick is not None and not number % 500_000:
            tick()
    return scan


def read_packages(
    path: Path, name: str, wanted: set[str], limits: Limits, where: str
) -> dict[str, list[Binary]]:
    """The stanzas of a Packages index for the `wanted` package names."""
    found: dict[str, list[Binary]] = {}
    stanza: list[bytes] = []
    start = 1

    def flush() -> None:
        if stanza and stanza[0].startswith(b"Package:"):
            package = stanza[0][8:].strip().decode("utf-8", "replace")
            if package not in wanted:
                return
        elif not stanza:
            return
        fields = parse_fields(b"".join(stanza).decode("utf-8", "replace"), f"{where}:{start}")
        binary = _binary(fields, f"{where}:{start}")
        if binary.name in wanted:
            found.setdefault(binary.name, []).append(binary)

    for number, line in index_lines(path, name, limits, where):
        if line.strip():
            if not stanza:
                start = number
            stanza.append(line)
            if len(stanza) > 10_000:
                raise MirrorError(f"the stanza at line {start} never ends", file=where)
            continue
        flush()
        stanza = []
    flush()
    return found


def _binary(fields: dict[str, str], where: str) -> Binary:
    missing = [
        f
        for f in ("package", "version", "architecture", "filename", "size", "sha256")
        if not fields.get(f)
    ]
    if missing:
        raise MirrorError(
            f"a Packages stanza without {', '.join(f'`{m}`' for m in missing)}", file=where
        )
    sha256 = fields["sha256"].lower()
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise MirrorError(f"`SHA256: {fields['sha256'][:80]}` is not a sha256", file=where)
    if not fields["size"].isdigit():
        raise MirrorError(f"`Size: {fields['size'][:80]}` is not a size", file=where)
    source, _, rest = fields.get("source", fields["package"]).partition(" ")
    source_version = rest.strip().strip("()").strip() or fields["version"]
    return Binary(
        fields["package"],
        fields["version"],
        fields["architecture"],
        source,
        source_version,
        fields["filename"],
        int(fields["size"]),
        sha256,
    )


# -- one suite, from its Release to the systems to check ---------------------------------


def apt_suite(run: Context, name: str) -> Suite:
    """A suite's systems to check: its indexes fetched (or their plans taken from the cache)."""
    mirror, options, progress = run.mirror, run.options, run.progress
    progress.start(f"{name}: Release")
    release = read_release(
        mirror,
        name,
        keyring=options.keyring,
        verify=options.verify,
        allow_expired=options.allow_expired,
        stats=run.stats,
    )
    where = mirror.where(f"dists/{name}")
    components = select(options.components, release.components, "component", where)
    architectures = select(options.architectures, release.architectures, "architecture", where)
    suite = Suite(
        name,
        "apt",
        codename=release.fields.get("codename"),
        date=release.fields.get("date"),
        valid_until=release.fields.get("valid-until"),
        expired=release.expired,
        verified_with=release.verified_with,
        components=tuple(components),
        architectures=tuple(architectures),
    )
    if release.expired:
        suite.notes.append(
            f"its Release file expired on {suite.valid_until}; audited with --allow-expired"
        )
    if release.verified_with is None:
        suite.notes.append(
            "its Release signature was not checked "
            + ("(--no-verify)" if not options.verify else "(no keyring: give --keyring FILE)")
        )
    scans: dict[str, Scan] = {}
    for arch in architectures:
        try:
            suite.plans += _arch_plans(run, release, suite, arch, scans)
        except MirrorError as exc:  # this architecture only: the other ones go on
            suite.errors.append(f"{arch} not audited: {exc}")
    return suite


def _arch_plans(
    run: Context, release: Release, suite: Suite, arch: str, scans: dict[str, Scan]
) -> list[Plan]:
    """One architecture's systems: from the cache when its indexes are unchanged."""
    from marker_tool.audit.candidates import plan_systems
    from marker_tool.audit.context import derived_key, load_derived, save_derived

    name, mirror, cache, progress = suite.name, run.mirror, run.cache, run.progress
    packages_indexes: list[tuple[str, Expected]] = []
    contents_indexes: list[tuple[str, Expected]] = []
    for component in suite.components:
        found = release.index(f"{component}/binary-{arch}/Packages")
        if found is None:
            continue  # a component without this architecture (non-free-firmware ...)
        packages_indexes.append(found)
        contents = [
            c
            for c in (
                release.index(f"{component}/Contents-{arch}"),
                release.index(f"{component}/Contents-all"),
            )
            if c is not None
        ]
        if not contents:
            raise MirrorError(
                f"the Release lists no `{component}/Contents-{arch}`: audit finds the "
                "packages to fetch in it",
                file=mirror.where(f"dists/{name}/Release"),
                hint="apt-ftparchive generate writes Contents files (Contents::Compress)",
            )
        contents_indexes += contents
    used = packages_indexes + contents_indexes
    for path, expected in used:
        suite.indexes.append(IndexUsed(f"dists/{name}/{path}", expected.size, expected.sha256))
    key = derived_key("plans", name, arch, [(p, e.sha256) for p, e in used])
    cached = load_derived(cache.derived("plans", key))
    if isinstance(cached, list):
        try:
            plans = [Plan.from_json(p) for p in cached]
        except (KeyError, TypeError, ValueError):
            pass  # made again below
        else:
            run.stats.add("index_cached_bytes", sum(e.size for _, e in used))
            return plans
    scan = Scan()
    for path, expected in contents_indexes:
        if expected.sha256 not in scans:
            scan_key = derived_key("scan", expected.sha256)
            stored = load_derived(cache.derived("scan", scan_key))
            try:
                scans[expected.sha256] = Scan.from_json(stored)
                run.stats.add("index_cached_bytes", expected.size)
            except (KeyError, TypeError, ValueError, AttributeError):
                progress.start(f"{name}/{arch}: reading {path}")
                local = _index(run, release, name, path, expected)
                where = mirror.where(f"dists/{name}/{path}")
                scans[expected.sha256] = scan_contents(
                    local, path, run.options.limits, where, progress.advance
                )
                save_derived(cache.derived("scan", scan_key), scans[expected.sha256].to_json())
        scan.update(scans[expected.sha256])
    binaries: dict[str, list[Binary]] = {}
    for path, expected in packages_indexes:
        progress.start(f"{name}/{arch}: reading {path}")
        local = _index(run, release, name, path, expected)
        where = mirror.where(f"dists/{name}/{path}")
        for package, listed in read_packages(
            local, path, scan.names, run.options.limits, where
        ).items():
            binaries.setdefault(package, []).extend(listed)
    plans = plan_systems(name, arch, scan, binaries)
    save_derived(cache.derived("plans", key), [p.to_json() for p in plans])
    return plans


def _index(run: Context, release: Release, suite: str, path: str, expected: Expected) -> Path:
    """An index in the cache, by its by-hash name where the suite offers one."""
    from marker_tool.audit.fetch import fetch

    mirror, cache, stats = run.mirror, run.cache, run.stats
    plain = f"dists/{suite}/{path}"
    hashed = f"dists/{suite}/{release.by_hash(path, expected)}"
    try:
        try:
            return fetch(mirror, cache, hashed, expected, stats, kind="index")
        except MirrorError as exc:
            if hashed == plain or "not " not in exc.message:
                raise
            return fetch(mirror, cache, plain, expected, stats, kind="index")
    except MirrorError as exc:
        stem = next((path.removesuffix(s) for s in SUFFIXES if s and path.endswith(s)), path)
        whole = release.files.get(stem)
        if stem == path or whole is None:
            raise
        return _by_content(run, plain, path, whole, exc)


def _by_content(run: Context, relative: str, name: str, whole: Expected, why: MirrorError) -> Path:
    """A compressed index whose own hash is not the Release's, trusted by its content instead.

    A mirror can serve a file compressed again (another gzip, the same data): the
    Release's hash of the uncompressed index decides. It is checked in full before
    anything is read from it; the file is kept under its own sha256.
    """
    import hashlib

    from marker_tool.audit.context import derived_key, load_derived, save_derived
    from marker_tool.sources.compression import open_stream

    alias = run.cache.derived("content", derived_key("content", whole.sha256))
    known = load_derived(alias)
    if isinstance(known, str) and run.cache.path(known).is_file():
        return run.cache.path(known)
    partial = run.cache.partial(f"content-{whole.sha256}")
    run.mirror.save(relative, partial, limit=whole.size + 1024 * 1024, stats=run.stats)
    digest, size = hashlib.sha256(), 0
    compression = next(
        (c for suffix, c in _COMPRESSION.items() if suffix and name.endswith(suffix)), "none"
    )
    try:
        with open(partial, "rb", buffering=0) as raw:
            stream = open_stream(compression, raw, Budget(Limits(decompressed=whole.size + 1)))
            while block := stream.read(1024 * 1024):
                digest.update(block)
                size += len(block)
    except PackageError:
        size = -1
    if size != whole.size or digest.hexdigest() != whole.sha256:
        partial.unlink()
        raise MirrorError(
            f"{why.message}; nor does its content match the Release's hash of the "
            "uncompressed index",
            file=why.file,
            hint="the mirror is out of step with its Release file (being updated?): try "
            "again later, or another mirror",
        ) from None
    with open(partial, "rb") as done:
        own = hashlib.file_digest(done, "sha256").hexdigest()
    save_derived(alias, own)
    return run.cache.keep(partial, own)
