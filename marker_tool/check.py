"""`check`: the markers of whole systems, read from packages, images and trees.

    paths -> systems (the packages given together, a `.changes` file or a folder
          of packages, each image, each tree or root filesystem tarball)
          -> sources.detect.read, in parallel processes, never extracting
          -> per system: its files merged, paths resolved as the kernel would
             inside that root -> each stdlib dir's marker as pip opens it
          -> Validator, then the system rules (EM6xx) -> a PackageReport each

Markers are a property of an installed system, so ownership is decided inside
one system and never across two: a stdlib dir (`lib/pythonX.Y` holding its
own modules, as `layouts` places it) must resolve to a marker; a marker in a
`pythonX.Y` stdlib dir of a system that ships no such stdlib is stale (unless
its package diverts it); `--require-python X.Y` means the system must carry a
marker for X.Y. Debian's split stdlib (os.py in libpython3.X-minimal, the
marker in libpython3.X-stdlib) is one stdlib when both are given together.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

from marker_tool.errors import MarkerToolError, MissingModule
from marker_tool.layouts import stdlib_dir_version
from marker_tool.model import (
    MARKER_NAME,
    MAX_SYMLINKS,
    Distributor,
    FileKind,
    Finding,
    Placement,
    PythonVersion,
    Verdict,
    verdict_of,
)
from marker_tool.sources.base import (
    DEFAULT_LIMITS,
    Limits,
    Member,
    Package,
    PackageError,
    digests_agree,
    is_module,
    stdlib_dirs,
)
from marker_tool.validate import Report, Validator, get_rule, too_large, validate_path

#: An absolute path in a message: `/usr/share/doc/python3.11/README.venv`.
#: Not part of a URL or of a longer word; trailing punctuation is not part of it.
_CITED = re.compile(r"(?<![\w/.:~$-])/(?:usr|etc|opt|var|srv|lib|lib64)/[\w.+@/-]*[\w+@/]")
#: What a marker must be: the bytes of a file, or what a config renders per Python.
Expectation = bytes | Distributor
#: Formats that are packages of a build (pooled into one system when given together).
PACKAGE_FORMATS = frozenset({"deb", "rpm", "arch", "apk"})


@dataclass(frozen=True, slots=True)
class Shown:
    """What pip shows for one marker of a package (English, the `Error` key)."""

    #: The marker's path inside the system.
    path: str
    python: PythonVersion
    #: `message` (the marker's text), `generic` (pip's own text) or `crash` (a traceback).
    outcome: str
    #: The text pip prints in its error block, as it reads it (None for a crash).
    text: str | None


@dataclass(frozen=True, slots=True)
class Waived:
    """A finding a maintainer accepted, with the reason they gave."""

    finding: Finding
    #: The path inside the package it is about, if any.
    where: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class PackageReport:
    """The verdict on one package, image, tree, or a system's own findings."""

    #: The path given (for a package of a `.changes` file or a folder, its own path).
    source: str
    #: `name_version_arch` from the package's metadata (an image's tag), else the path.
    label: str
    #: One report per marker, by its path inside the package.
    markers: tuple[Report, ...]
    #: Findings about the package as a whole (EM6xx), `file` = path inside it.
    findings: tuple[Finding, ...]
    strict: bool = False
    #: `deb`, `rpm`, `arch`, `apk`, `oci`, `docker`, `directory`, `rootfs`, `file`
    #: (a marker), `system` (the findings of a system of several packages), or None.
    format: str | None = None
    #: What pip shows for each marker read.
    shown: tuple[Shown, ...] = ()
    #: The system it belongs to (`packages given`, a `.changes` file, an image).
    system: str = ""
    #: Findings waived by `--ignore` or an overrides file.
    waived: tuple[Waived, ...] = ()
    #: What the reader passed over, and why (an index's attestation manifests).
    notes: tuple[str, ...] = ()

    @property
    def verdict(self) -> Verdict:
        return verdict_of(
            (f.severity for f in self.findings),
            strict=self.strict,
            verdicts=(r.verdict for r in self.markers),
        )

    @property
    def passed(self) -> bool:
        return self.verdict != "FAILED"

    def codes(self) -> list[str]:
        """Every code found, package findings first, for tests and quick checks."""
        return [f.code for f in self.findings] + [c for r in self.markers for c in r.codes()]


def _finding(code: str, message: str, where: str | None = None) -> Finding:
    """A system rule's finding, its severity from the one registry."""
    return Finding(code, get_rule(code).severity, message, None, where)


def label_of(package: Package) -> str:
    label = "_".join(p for p in (package.name, package.version, package.arch) if p)
    return label or package.source


# -- a system: its files merged, paths resolved as the kernel would ------------------------


@dataclass(slots=True)
class System:
    """One installed system: the packages of a build, an image, a tree."""

    label: str
    packages: list[Package]
    #: Path -> (entry, index of the package in `packages`), every package's entries.
    files: dict[str, tuple[Member, int]] = field(default_factory=dict)
    #: Every directory that holds an entry (archives need not list them all).
    parents: set[str] = field(default_factory=set)
    #: Marker paths shipped by more than one package: path -> indexes.
    shared: dict[str, list[int]] = field(default_factory=dict)
    #: Paths diverted by a package of the system (`dpkg-divert --add`) -> its index.
    diverted: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, label: str, packages: list[Package]) -> System:
        system = cls(label, packages)
        for n, package in enumerate(packages):
            for where in _diversions(package):
                system.diverted.setdefault(where, n)
        for n, package in enumerate(packages):
            for where, entry in package.entries.items():
                held = system.files.get(where)
                if held is not None and entry.kind != "directory":
                    if posixpath.basename(where) == MARKER_NAME:
                        system.shared.setdefault(where, [held[1]]).append(n)
                    if system.diverted.get(where) != n:
                        continue  # a diverting package's own file is the one installed
                system.files[where] = (entry, n)
        for where in system.files:
            parent = posixpath.dirname(where)
            while parent and parent not in system.parents:
                system.parents.add(parent)
                parent = posixpath.dirname(parent)
        return system

    def kind(self, where: str) -> FileKind | None:
        held = self.files.get(where)
        if held is None:
            return "directory" if where in self.parents or not where else None
        return {"file": "file", "hardlink": "file", "directory": "directory"}.get(
            held[0].kind, "other"
        )  # type: ignore[return-value]

    def resolve(self, where: str) -> tuple[FileKind, str]:
        """`where` with every symlink followed inside this root, as the kernel does.

        An absolute target starts again at this root; `..` at the root stays
        there. Returns what it leads to and the path it ends at: `file`,
        `directory`, `other`, `symlink-loop` past MAX_SYMLINKS links, or
        `dangling-symlink` for a path that is not there.
        """
        parts = [p for p in where.split("/") if p]
        done: list[str] = []
        followed = 0
        while parts:
            part = parts.pop(0)
            if part == ".":
                continue
            if part == "..":
                if done:
                    done.pop()
                continue
            current = "/".join([*done, part])
            held = self.files.get(current)
            if held is not None and held[0].kind == "symlink" and held[0].link is not None:
                followed += 1
                if followed > MAX_SYMLINKS:
                    return "symlink-loop", current
                link = held[0].link
                if link.startswith("/"):
                    done = []
                parts = [p for p in link.split("/") if p] + parts
                continue
            if held is not None and held[0].kind == "hardlink" and held[0].link and not parts:
                current = held[0].link
            done = current.split("/")
            if parts and self.kind(current) not in ("directory", None):
                return "dangling-symlink", current  # a file used as a directory
        final = "/".join(done)
        kind = self.kind(final)
        if kind is None:
            return "dangling-symlink", final
        return kind, final

    def index_of(self, where: str) -> int:
        """The index of the package that holds `where` (the first, for a path none holds)."""
        held = self.files.get(where)
        return held[1] if held is not None else 0

    def package_of(self, where: str) -> Package:
        return self.packages[self.index_of(where)]


def _diversions(package: Package) -> set[str]:
    """Paths the package's maintainer scripts divert (`dpkg-divert --package P --add PATH`)."""
    if not package.scripts or package.name is None:
        return set()
    from marker_tool.integrations.debian import diverted_paths

    return {
        where.lstrip("/")
        for script in package.scripts.values()
        for where in diverted_paths(script, package.name)
    }


def system_stdlibs(system: System) -> dict[str, PythonVersion]:
    """The system's stdlib dirs (see `sources.base.stdlib_dirs`), symlinked ones included.

    A stdlib dir replaced by a symlink (`usr/lib/python3.12 -> /opt/py`) is
    still where the interpreter looks, so it is one when what it leads to
    holds modules.
    """
    stdlibs = stdlib_dirs(system.files)
    modules_in = {posixpath.dirname(w) for w in system.files if is_module(posixpath.basename(w))}
    for where, (entry, _) in system.files.items():
        if entry.kind == "symlink" and (version := stdlib_dir_version(where)) is not None:
            kind, target = system.resolve(where)
            if kind == "directory" and target in modules_in:
                stdlibs[where] = version
    return dict(sorted(stdlibs.items()))


# -- the checks of one system ----------------------------------------------------------


@dataclass(slots=True)
class _Checked:
    """One package of a system, as its findings accumulate."""

    package: Package
    label: str
    reports: list[Report] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    shown: list[Shown] = field(default_factory=list)


def check_system(
    system: System,
    *,
    validator: Validator,
    require_python: Sequence[PythonVersion] = (),
    expected: Mapping[PythonVersion, bytes] | None = None,
    root_owned: bool = True,
) -> list[PackageReport]:
    """A report per package of `system`, plus one for the system's own findings if any.

    `root_owned`: whether markers must be root's (False for a build's staging
    tree, which the build user owns until dpkg-deb or rpmbuild writes root).
    """
    checked = [_Checked(p, label_of(p)) for p in system.packages]
    own: list[Finding] = []

    def at(where: str) -> _Checked:
        return checked[system.index_of(where)]

    for n, package in enumerate(system.packages):
        checked[n].findings += [
            _finding("EM604", f"member `{name}` leaves the package root; never extracted", name)
            for name in package.unsafe
        ]
    stdlibs = system_stdlibs(system)
    read_markers: dict[str, tuple[PythonVersion, bytes]] = {}
    read_targets: set[str] = set()
    for directory, python in stdlibs.items():
        where = f"{directory}/{MARKER_NAME}"
        _, real_dir = system.resolve(directory)
        if f"{real_dir}/{MARKER_NAME}" not in system.files:
            _missing(system, checked, directory, python, real_dir)
            continue
        kind, target = system.resolve(where)
        item = at(where if where in system.files else directory)
        read_targets.add(target)
        data = _bytes_of(system, target) if kind == "file" else b""
        shown = f"{item.label}:{where}"
        if kind == "file" and data is None:
            item.reports.append(Report(shown, (too_large(shown),), validator.strict))
            continue
        entry = system.files[target][0] if target in system.files else None
        placement = Placement(
            path="/" + where,
            kind=kind,
            mode=entry.mode if entry is not None and kind == "file" else None,
            owner=entry.owner if entry is not None and root_owned else None,
            stdlib_dir="/" + directory,
            real_dir="/" + directory,
        )
        item.reports.append(validator.validate(data or b"", path=shown, placement=placement))
        if kind == "file" and data is not None:
            read_markers[where] = (python, data)
            item.shown.append(_pip_shows(where, python, data))
            _digest_check(system, target, item)
    for where in sorted(w for w in system.files if posixpath.basename(w) == MARKER_NAME):
        if where in read_markers or where in read_targets:
            continue
        _stray(system, at(where), where, validator, stdlibs)
    _shared(system, checked, validator, expected)
    carried = {python for python, _ in read_markers.values()} | {
        v
        for w in system.files
        if posixpath.basename(w) == MARKER_NAME
        and w in system.diverted
        and (v := stdlib_dir_version(posixpath.dirname(w))) is not None
    }
    for python in require_python:
        if python not in carried:
            own.append(
                _finding(
                    "EM601",
                    f"no marker for Python {python} in {system.label} (--require-python)",
                )
            )
    for where, (python, data) in read_markers.items():
        item = at(where)
        item.findings += _cited(system, item, where, data)
        _expect(item, where, python, data, expected)
    reports = [
        PackageReport(
            c.package.source,
            c.label,
            tuple(c.reports),
            tuple(c.findings),
            validator.strict,
            c.package.format,
            tuple(c.shown),
            system.label,
            notes=c.package.notes,
        )
        for c in checked
    ]
    if own:
        if len(reports) == 1:
            reports[0] = replace(reports[0], findings=reports[0].findings + tuple(own))
        else:
            reports.append(
                PackageReport(
                    system.label,
                    system.label,
                    (),
                    tuple(own),
                    validator.strict,
                    "system",
                    system=system.label,
                )
            )
    return reports


def _shared(
    system: System,
    checked: list[_Checked],
    validator: Validator,
    expected: Mapping[PythonVersion, bytes] | None,
) -> None:
    """Markers two packages ship: each copy checked, and EM608 unless one diverts it."""
    for where, holders in sorted(system.shared.items()):
        installed = system.files[where][1]
        for n in holders:
            data = system.packages[n].markers.get(where)
            if n != installed and data is not None:  # the copy dpkg would refuse: still checked
                item = checked[n]
                item.reports.append(validator.validate(data, path=f"{item.label}:{where}"))
                _expect(item, where, stdlib_dir_version(posixpath.dirname(where)), data, expected)
        if system.diverted.get(where) not in holders:
            names = ", ".join(f"`{checked[n].label}`" for n in holders)
            checked[installed].findings.append(
                _finding(
                    "EM608",
                    f"shipped by {names}: dpkg refuses the second (`trying to overwrite`) "
                    "unless one diverts it with dpkg-divert",
                    where,
                )
            )


def _expect(
    item: _Checked,
    where: str,
    python: PythonVersion | None,
    data: bytes,
    expected: Mapping[PythonVersion, bytes] | None,
) -> None:
    """EM607 when the build's config (or `--expect-text`) gives other bytes for this Python."""
    want = (expected or {}).get(python) if python is not None else None
    if want is not None and data != want:
        item.findings.append(_finding("EM607", _first_difference(data, want), where))


def _missing(
    system: System,
    checked: list[_Checked],
    directory: str,
    python: PythonVersion,
    real_dir: str,
) -> None:
    """EM601 on the package that ships the stdlib's `os.py`, else its first module."""
    places = (directory, real_dir)
    modules = sorted(
        (w for w in system.files if w.endswith(".py") and posixpath.dirname(w) in places),
        key=lambda w: (not w.endswith("/os.py"), w),
    )
    item = checked[system.index_of(modules[0] if modules else directory)]
    together = (
        "; check a split stdlib's packages together (or the build's .changes file)"
        if item.package.format in PACKAGE_FORMATS
        else ""
    )
    via = f", a symlink to `{real_dir}/`," if real_dir != directory else ""
    item.findings.append(
        _finding(
            "EM601",
            f"the stdlib of Python {python} (`{directory}/`{via}) has no `{MARKER_NAME}`: pip "
            f"and uv treat this Python as not managed{together}",
            directory,
        )
    )


def _stray(
    system: System,
    item: _Checked,
    where: str,
    validator: Validator,
    stdlibs: Mapping[str, PythonVersion],
) -> None:
    """A marker that is no stdlib dir's: stale (EM602), diverted, or misplaced (EM603)."""
    directory = posixpath.dirname(where)
    python = stdlib_dir_version(directory)
    if python is None:
        item.findings.append(
            _finding(
                "EM603", f"`{where}` is in no stdlib dir; pip and uv never read it there", where
            )
        )
        return
    if directory in stdlibs:
        return  # resolved through another path (a symlinked dir)
    kind, target = system.resolve(where)
    data = _bytes_of(system, target) if kind == "file" else None
    if data is not None:
        item.reports.append(validator.validate(data, path=f"{item.label}:{where}", placement=None))
    if where in system.diverted:
        return  # a branding package's marker, diverting the stdlib's
    item.findings.append(
        _finding(
            "EM602",
            f"a marker for Python {python} in {system.label}, which ships no stdlib for it: "
            "stale, or a file conflict with the package that ships it (a derivative diverts "
            "it with dpkg-divert in its maintainer scripts)",
            where,
        )
    )


def _bytes_of(system: System, target: str) -> bytes | None:
    """The bytes of a regular file of the system that was read; None when too large."""
    held = system.files.get(target)
    if held is None:
        return b""
    package = system.packages[held[1]]
    if target in package.too_large:
        return None
    return package.markers.get(target, b"")


def _digest_check(system: System, target: str, item: _Checked) -> None:
    package = system.package_of(target)
    data = package.markers.get(target)
    if data is None or target not in (package.file_list or {}):
        return  # not read, or not in the package's own list (a symlink, no md5sums)
    if not digests_agree({target: data}, package.file_list or {}, package.digest):
        item.findings.append(
            _finding(
                "EM605",
                f"its {package.digest} differs from the package's own file list: the payload "
                "was changed after the package was built",
                target,
            )
        )


def _pip_shows(where: str, python: PythonVersion, data: bytes) -> Shown:
    from marker_tool.preview import pip_generic_message, preview_pip

    prefix = "/" + where.split("/lib", 1)[0] if "/lib" in where else "/usr"
    view = preview_pip(data, ["Error"], prefix=prefix, python=python)
    text = view.text
    if view.outcome == "generic":
        text = pip_generic_message(prefix)
    return Shown(where, python, view.outcome, text)


def _cited_paths(data: bytes) -> list[str]:
    """Absolute paths the marker's messages cite, as pip would show them."""
    from marker_tool.consumers import read_as_pip

    reading = read_as_pip(data)
    texts = [v for k, v in reading.options.items() if k == "error" or k.startswith("error-")]
    return list(dict.fromkeys(m.group(0) for t in texts for m in _CITED.finditer(t)))


def _cited(system: System, item: _Checked, where: str, data: bytes) -> list[Finding]:
    """EM606 for each path the text cites that its package lacks (looked up in the system)."""
    findings = []
    package = item.package
    for cited in _cited_paths(data):
        inside = cited.strip("/")
        kind, target = system.resolve(inside)
        if kind != "dangling-symlink" and (
            len(system.packages) == 1 or system.package_of(target) is package
        ):
            continue
        if kind == "dangling-symlink":
            message = f"the text cites `{cited}`, which is not in {system.label}"
        else:
            other = system.package_of(target)
            depends = other.name is not None and other.name in package.depends
            if depends:
                continue
            message = (
                f"the text cites `{cited}`, shipped by `{label_of(other)}`; this package "
                "does not depend on it, so it may be absent"
            )
        findings.append(_finding("EM606", message, where))
    return findings


def _first_difference(data: bytes, want: bytes) -> str:
    got_lines, want_lines = data.splitlines(), want.splitlines()
    for n, (got, expected) in enumerate(zip(got_lines, want_lines, strict=False), start=1):
        if got != expected:
            return (
                f"line {n} is {got.decode('utf-8', 'replace')[:60]!r}; the build's config gives "
                f"{expected.decode('utf-8', 'replace')[:60]!r} (a stale or hand-edited marker?)"
            )
    return (
        f"{len(got_lines)} lines where the build's config gives {len(want_lines)} "
        "(a stale or hand-edited marker?)"
    )


def _expected_texts(
    expect: Expectation, pythons: Iterable[PythonVersion]
) -> dict[PythonVersion, bytes]:
    if isinstance(expect, bytes):
        return dict.fromkeys(pythons, expect)
    from marker_tool.render import render_files

    wanted = sorted(set(pythons), key=str)
    return render_files(expect, pythons=wanted) if wanted else {}


# -- waivers ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Waiver:
    """`[PACKAGE: ]CODE [PATH-GLOB]` from an overrides file, or `--ignore CODE`."""

    code: str
    #: The package name (or label) it applies to; None: every package.
    package: str | None = None
    #: A glob over the path inside the package; None: any path.
    path: str | None = None
    reason: str = "--ignore"

    def matches(self, report: PackageReport, code: str, where: str | None) -> bool:
        if code != self.code:
            return False
        if self.package is not None and self.package not in (
            report.label,
            report.label.split("_", 1)[0],
        ):
            return False
        return self.path is None or fnmatch.fnmatchcase((where or "").lstrip("/"), self.path)


def read_overrides(path: str) -> list[Waiver]:
    """Waivers from an overrides file, as lintian's: `# reason` lines, then the override.

    `libpython3.11-stdlib: EM606 usr/lib/python3.11/EXTERNALLY-MANAGED` or
    `EM606`; a comment above an override is its reason, shown in the output.
    """
    from marker_tool import safeio

    text = safeio.read_bytes(path, kind="config").decode("utf-8", "replace")
    waivers: list[Waiver] = []
    reason: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            reason = []
            continue
        if line.startswith("#"):
            reason.append(line.lstrip("#").strip())
            continue
        package, colon, rest = line.partition(":")
        if not colon or " " in package.strip():
            package, rest = "", line
        words = rest.split()
        if not words or len(words) > 2:
            raise MarkerToolError(
                f"`{line}` is not an override",
                file=path,
                line=number,
                hint="write `[PACKAGE: ]CODE [PATH]`, for example "
                "`libpython3.11-stdlib: EM606 usr/lib/python3.11/EXTERNALLY-MANAGED`",
            )
        try:
            code = get_rule(words[0]).code
        except MarkerToolError as exc:
            raise MarkerToolError(exc.message, file=path, line=number, hint=exc.hint) from None
        waivers.append(
            Waiver(
                code,
                package.strip() or None,
                words[1] if len(words) > 1 else None,
                " ".join(reason) or f"override in {path}",
            )
        )
        reason = []
    return waivers


def apply_waivers(report: PackageReport, waivers: Sequence[Waiver]) -> PackageReport:
    """`report` with the findings that a waiver matches moved to `waived`."""
    if not waivers:
        return report
    waived: list[Waived] = []

    def keep(finding: Finding, where: str | None) -> bool:
        for waiver in waivers:
            if waiver.matches(report, finding.code, where):
                waived.append(Waived(finding, where, waiver.reason))
                return False
        return True

    findings = tuple(f for f in report.findings if keep(f, f.file))
    markers = tuple(
        replace(
            m,
            findings=tuple(
                f for f in m.findings if keep(f, m.path.removeprefix(f"{report.label}:"))
            ),
        )
        for m in report.markers
    )
    return replace(report, findings=findings, markers=markers, waived=tuple(waived))


# -- the run: inputs -> systems, read in parallel ---------------------------------------


@dataclass(slots=True)
class _Input:
    """One path given, and what reading it gave."""

    path: str
    #: The system it joins: `packages given`, a .changes file or folder, or its own.
    group: str
    packages: list[Package] | None = None
    error: str | None = None
    hint: str | None = None


#: What reading one input gave: its packages (None: a single marker file), or an error.
Read = tuple[list[Package] | None, str | None]


def _read(path: str, also: frozenset[str], limits: Limits) -> Read:
    """The one error boundary of an input: its packages, or the EM600 message."""
    from marker_tool.sources.detect import read

    try:
        return read(path, limits, also=also), None
    except MissingModule:
        raise  # not the input's fault: the whole run is exit 2, saying what to install
    except MarkerToolError as exc:
        return None, exc.message + (f" ({exc.hint})" if exc.hint else "")
    except OSError as exc:
        return None, exc.strerror or str(exc)
    except RecursionError:
        return None, "nested too deep to read"
    except MemoryError:
        return None, "reading it needs more memory than this process may use (corrupt, or hostile?)"


def _read_all(jobs: list[tuple[str, frozenset[str]]], limits: Limits, workers: int) -> list[Read]:
    """Each input read, in parallel processes when there are several (tar headers are
    parsed in Python, which holds the GIL; decompression in C does not)."""
    if workers <= 1 or len(jobs) <= 1:
        return [_read(path, also, limits) for path, also in jobs]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=context) as pool:
        futures = [
            (batch, pool.submit(_read_batch, [jobs[n] for n in batch], limits))
            for batch in _batches(jobs, workers)
        ]
        results: dict[int, Read] = {}
        for batch, future in futures:
            results.update(zip(batch, future.result(), strict=True))
    return [results[n] for n in range(len(jobs))]


def _read_batch(jobs: list[tuple[str, frozenset[str]]], limits: Limits) -> list[Read]:
    return [_read(path, also, limits) for path, also in jobs]


def _batches(jobs: list[tuple[str, frozenset[str]]], workers: int) -> list[list[int]]:
    """Indexes of `jobs` in batches handed to one worker each: largest first, so that no
    large package is left to run alone at the end, and small ones together, so that
    handing them over costs less than reading them."""
    sizes = [_size(path) for path, _ in jobs]
    share = sum(sizes) / (workers * 16) or 1
    batches: list[list[int]] = []
    weight = 0
    for n in sorted(range(len(jobs)), key=lambda n: -sizes[n]):
        if not batches or weight >= share or len(batches[-1]) >= 32:
            batches.append([])
            weight = 0
        batches[-1].append(n)
        weight += sizes[n]
    return batches


def _size(path: str) -> int:
    try:
        return os.lstat(path).st_size
    except OSError:
        return 0


def expand(paths: Sequence[str]) -> list[_Input]:
    """The inputs of a run, each with the system it joins.

    Packages given directly form one system; a `.changes` file or a folder that
    holds packages (not a tree) is a system of its packages.
    """
    from marker_tool.sources.detect import changes_packages, folder_packages

    inputs: list[_Input] = []
    for path in paths:
        if path.endswith(".changes") and os.path.isfile(path):
            try:
                listed = changes_packages(path)
            except MarkerToolError as exc:
                inputs.append(_Input(path, path, error=exc.message, hint=exc.hint))
                continue
            inputs += [_Input(p, path) for p in listed]
        elif os.path.isdir(path):
            try:
                folder = folder_packages(path)
            except MarkerToolError as exc:
                inputs.append(_Input(path, path, error=exc.message, hint=exc.hint))
                continue
            if folder is None:
                inputs.append(_Input(path, path))
            else:
                inputs += [_Input(p, path.rstrip("/") + "/") for p in folder]
        else:
            inputs.append(_Input(path, "packages given"))
    return inputs


def _systems(inputs: list[_Input]) -> Iterator[tuple[str, list[Package]]]:
    """(label, packages) per system, in the order given."""
    groups: dict[str, list[Package]] = {}
    for item in inputs:
        for package in item.packages or ():
            if package.format in PACKAGE_FORMATS:
                groups.setdefault(item.group, []).append(package)
            else:
                label = label_of(package)
                yield (
                    (label if label == package.source else f"{label} ({package.source})"),
                    [package],
                )
    for group, packages in groups.items():
        label = group if group != "packages given" else f"the {len(packages)} packages given"
        if len(packages) == 1 and group == "packages given":
            label = label_of(packages[0])
        yield label, packages


def _symlinked_targets(system: System) -> dict[str, set[str]]:
    """Source -> regular files that a marker resolves to but whose bytes were not read."""
    wanted: dict[str, set[str]] = {}
    for where in list(system.files) + [f"{d}/{MARKER_NAME}" for d in system_stdlibs(system)]:
        if posixpath.basename(where) != MARKER_NAME:
            continue
        kind, target = system.resolve(where)
        if kind == "file" and target in system.files:
            package = system.package_of(target)
            if target not in package.markers and target not in package.too_large:
                wanted.setdefault(package.source, set()).add(target)
    return wanted


def check(
    paths: Sequence[str | os.PathLike[str]],
    *,
    strict: bool = False,
    require_python: Sequence[PythonVersion] = (),
    limits: Limits = DEFAULT_LIMITS,
    jobs: int | None = None,
    expect: Expectation | None = None,
    waivers: Sequence[Waiver] = (),
) -> list[PackageReport]:
    """A report per package, image or tree (and per system with findings of its own).

    `paths`: .deb, .rpm, Arch and Alpine packages, `.changes` files, folders of
    packages, image tarballs and layouts, trees, root filesystem tarballs,
    single marker files. `jobs` inputs are read at once (default: the machine's
    cores). `expect`: the bytes every marker must be (`--expect-text`), or the
    `Distributor` whose rendering each marker must equal (`-c CONFIG`).
    A path that does not exist is an error for the whole run (MarkerToolError);
    an input that cannot be read is a failed report (EM600), and the run goes on.
    """
    given = [os.fspath(p) for p in paths]
    for path in given:
        if not os.path.lexists(path):
            raise MarkerToolError("no such file or directory", file=path)
    return _run(
        expand(given),
        strict=strict,
        require_python=require_python,
        limits=limits,
        jobs=jobs,
        expect=expect,
        waivers=waivers,
    )


def check_systems(
    systems: Mapping[str, Sequence[str | os.PathLike[str]]],
    *,
    strict: bool = False,
    require_python: Sequence[PythonVersion] = (),
    limits: Limits = DEFAULT_LIMITS,
    jobs: int | None = None,
    expect: Expectation | None = None,
    waivers: Sequence[Waiver] = (),
) -> list[PackageReport]:
    """`check` of systems named by the caller: label -> the package files installed together.

    Each label is one system (as a `.changes` file is), however its packages
    were found; `audit` names one per suite, source, version and architecture.
    """
    inputs = [_Input(os.fspath(p), label) for label, paths in systems.items() for p in paths]
    return _run(
        inputs,
        strict=strict,
        require_python=require_python,
        limits=limits,
        jobs=jobs,
        expect=expect,
        waivers=waivers,
    )


def _run(
    inputs: list[_Input],
    *,
    strict: bool,
    require_python: Sequence[PythonVersion],
    limits: Limits,
    jobs: int | None,
    expect: Expectation | None,
    waivers: Sequence[Waiver],
) -> list[PackageReport]:
    validator = Validator(strict=strict)
    workers = max(1, jobs or os.cpu_count() or 1)
    pending = [item for item in inputs if item.error is None]
    results = _read_all([(i.path, frozenset()) for i in pending], limits, workers)
    for item, (packages, error) in zip(pending, results, strict=True):
        item.packages, item.error = packages, error
    systems = [System.of(label, packages) for label, packages in _systems(inputs)]
    # A marker symlinked to a file the first pass did not read (Gentoo's shared
    # marker, a link into /etc): its input is read again for those bytes.
    again: dict[str, set[str]] = {}
    for system in systems:
        for source, targets in _symlinked_targets(system).items():
            again.setdefault(source, set()).update(targets)
    if again:
        redo = [i for i in inputs if i.path in again and i.packages is not None]
        results = _read_all([(i.path, frozenset(again[i.path])) for i in redo], limits, workers)
        for item, (packages, error) in zip(redo, results, strict=True):
            item.packages, item.error = packages, error
        systems = [System.of(label, packages) for label, packages in _systems(inputs)]
    reports: list[PackageReport] = []
    for item in inputs:
        if item.error is not None:
            message = item.error + (f" ({item.hint})" if item.hint else "")
            finding = _finding("EM600", message)
            reports.append(
                PackageReport(item.path, item.path, (), (finding,), strict, system=item.group)
            )
        elif item.packages is None:  # a single marker file
            marker = validate_path(item.path, installed=True, validator=validator)
            reports.append(PackageReport(item.path, item.path, (marker,), (), strict, "file"))
    expected: dict[PythonVersion, bytes] = {}
    if expect is not None:
        pythons = {
            v
            for system in systems
            for p in system.packages
            for w in p.markers
            if (v := stdlib_dir_version(posixpath.dirname(w))) is not None
        }
        expected = _expected_texts(expect, pythons)
    for system in systems:
        first = system.packages[0]
        root_owned = first.format != "directory" or _root_owned_tree(first)
        reports += check_system(
            system,
            validator=validator,
            require_python=require_python,
            expected=expected,
            root_owned=root_owned,
        )
    return [apply_waivers(r, waivers) for r in reports]


def _root_owned_tree(tree: Package) -> bool:
    """Whether a tree's owners matter: some entry is root's, so it is not a build's staging tree
    (everything there belongs to the build user until the package is written)."""
    return any(e.owner == ("0", "0") for e in tree.entries.values())


def ignore_waivers(codes: Iterable[str]) -> list[Waiver]:
    """`--ignore CODE` for the run: rule codes checked against the registry."""
    return [Waiver(get_rule(code).code) for code in codes]


__all__ = [
    "MAX_SYMLINKS",
    "PackageError",
    "PackageReport",
    "System",
    "Waiver",
    "check",
    "check_system",
    "check_systems",
    "read_overrides",
]
