"""`check`: markers inside built packages, trees and images, through the same rules as `validate`.

    paths -> sources.detect.read (in parallel, never extracting) -> each marker with
          its placement facts from the archive -> Validator -> ownership ->
          (all packages read) cited paths and the expected text -> PackageReport

Placement facts come from the archive, not this machine: the marker's kind
after following symlinks inside the package (a loop or a link out of it is a
finding), its mode and its owner. Ownership, from what the package holds: a
stdlib dir (`.../pythonX.Y[t]/os.py`) must carry its marker; a marker in a
`pythonX.Y` dir of a package that ships no stdlib for X.Y is stale or
conflicts with the package that does; `require_python` makes a missing
marker for X.Y a failure whatever the package.

Two checks need every package of the run: a path the text cites that its
package lacks is looked up in the others (their file lists are read again,
which for a .deb or an .rpm is only the control member or the header); and
the expected text (`expect`) is rendered once per Python. Package-level
findings use codes EM6xx (`PACKAGE_CODES`).
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from marker_tool.errors import MarkerToolError, MissingModule
from marker_tool.layouts import stdlib_version
from marker_tool.model import (
    MARKER_NAME,
    Distributor,
    FileKind,
    Finding,
    Placement,
    PythonVersion,
    Severity,
)
from marker_tool.sources.base import (
    DEFAULT_LIMITS,
    Entry,
    Limits,
    Package,
    PackageError,
    stdlib_dirs,
)
from marker_tool.validate import Report, Validator, Verdict, too_large, validate_path

#: code -> (name, severity, summary)
PACKAGE_CODES: dict[str, tuple[str, Severity, str]] = {
    "EM600": ("unreadable-package", Severity.ERROR, "the package cannot be read"),
    "EM601": ("missing-marker", Severity.ERROR, "a Python stdlib without its marker"),
    "EM602": ("stale-marker", Severity.ERROR, "a marker for a Python the package does not ship"),
    "EM603": ("misplaced-marker", Severity.WARNING, "an EXTERNALLY-MANAGED outside any stdlib dir"),
    "EM604": ("unsafe-member", Severity.ERROR, "a member name with `..` or an absolute path"),
    "EM605": ("digest-mismatch", Severity.ERROR, "a marker that disagrees with the file list"),
    "EM606": ("cited-path-missing", Severity.WARNING, "the text cites a path the package lacks"),
    "EM607": (
        "unexpected-text",
        Severity.ERROR,
        "the marker is not the text the build should ship",
    ),
}
_MAX_LINKS = 40
#: An absolute path in a message: `/usr/share/doc/python3.11/README.venv`.
#: Not part of a URL or of a longer word; trailing punctuation is not part of it.
_CITED = re.compile(r"(?<![\w/.:~$-])/(?:usr|etc|opt|var|srv|lib|lib64)/[\w.+@/-]*[\w+@/]")
DOCS = "usr/share/doc/"
#: What a marker must be: the bytes of a file, or what a config renders per Python.
Expectation = bytes | Distributor


@dataclass(frozen=True, slots=True)
class Shown:
    """What pip shows for one marker of a package (English, the `Error` key)."""

    #: The marker's path inside the package.
    path: str
    python: PythonVersion
    #: `message` (the marker's text), `generic` (pip's own text) or `crash` (a traceback).
    outcome: str
    #: The text pip prints in its error block, as it reads it (None for a crash).
    text: str | None


@dataclass(frozen=True, slots=True)
class PackageReport:
    """The verdict on one package, tree or image."""

    #: The path given.
    source: str
    #: `name_version_arch` from the package's metadata (an image's tag), else the path.
    label: str
    #: One report per marker, by its path inside the package.
    markers: tuple[Report, ...]
    #: Findings about the package as a whole (EM6xx), `file` = path inside it.
    findings: tuple[Finding, ...]
    strict: bool = False
    #: `deb`, `rpm`, `arch`, `apk`, `oci`, `docker`, `directory`, `file` (a marker), or None.
    format: str | None = None
    #: What pip shows for each marker read.
    shown: tuple[Shown, ...] = ()

    @property
    def verdict(self) -> Verdict:
        severities = {f.severity for f in self.findings}
        verdicts = {r.verdict for r in self.markers}
        if (
            Severity.ERROR in severities
            or (self.strict and Severity.WARNING in severities)
            or "FAILED" in verdicts
        ):
            return "FAILED"
        if Severity.WARNING in severities or "PASSED with warnings" in verdicts:
            return "PASSED with warnings"
        return "PASSED"

    @property
    def passed(self) -> bool:
        return self.verdict != "FAILED"

    def codes(self) -> list[str]:
        """Every code found, package findings first, for tests and quick checks."""
        return [f.code for f in self.findings] + [c for r in self.markers for c in r.codes()]


def _is_marker(path: str) -> bool:
    return path == MARKER_NAME or path.endswith("/" + MARKER_NAME)


def _finding(code: str, message: str, where: str | None = None) -> Finding:
    _, severity, _ = PACKAGE_CODES[code]
    return Finding(code, severity, message, None, where)


def _resolve(package: Package, where: str) -> tuple[FileKind, Entry | None]:
    """Follow symlinks and hard links inside the package, bounded to its root."""
    current = where
    for _ in range(_MAX_LINKS):
        entry = package.entries.get(current)
        if entry is None:
            listed = current == where or current in (package.file_list or {})
            return (
                ("file", None)
                if listed and current in package.markers
                else (
                    "dangling-symlink",
                    None,
                )
            )
        if entry.kind == "file":
            return "file", entry
        if entry.kind == "hardlink" and entry.link:
            current = entry.link
            continue
        if entry.kind != "symlink" or entry.link is None:
            return ("directory" if entry.kind == "directory" else "other"), entry
        if entry.link.startswith("/"):
            joined = entry.link  # absolute: inside the package's own root
        else:
            joined = posixpath.join("/", posixpath.dirname(current), entry.link)
            if _climbs_out(posixpath.dirname(current), entry.link):
                return "escaping-symlink", None
        current = posixpath.normpath(joined).lstrip("/")
    return "symlink-loop", None


def _climbs_out(directory: str, link: str) -> bool:
    """Whether `link`, relative to `directory`, climbs above the package root."""
    depth = len([p for p in directory.split("/") if p])
    for part in link.split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:
                return True
        elif part not in ("", "."):
            depth += 1
    return False


def _digest_differs(package: Package, where: str) -> bool:
    import hashlib

    digest = (package.file_list or {}).get(where)
    data = package.markers.get(where)
    if digest is None or data is None:
        return False
    return hashlib.new(package.digest, data, usedforsecurity=False).hexdigest() != digest


def label_of(package: Package) -> str:
    label = "_".join(p for p in (package.name, package.version, package.arch) if p)
    return label or package.source


def check_package(
    package: Package, *, validator: Validator, require_python: Sequence[PythonVersion] = ()
) -> PackageReport:
    """Run the rules over every marker of `package`, then the ownership checks, alone."""
    item = _inspect(package, validator, require_python)
    missing = _missing_findings(item, set())
    return replace(item.report, findings=item.report.findings + tuple(missing))


@dataclass(slots=True)
class _Inspected:
    """One package after its own checks, with what the checks across packages need."""

    report: PackageReport
    #: The markers read: path inside the package -> (its Python, its bytes).
    texts: dict[str, tuple[PythonVersion, bytes]] = field(default_factory=dict)
    #: Paths the markers cite that the package lacks -> the marker citing them.
    missing: dict[str, str] = field(default_factory=dict)
    #: Stdlib dirs it ships without a marker (another package of the run may carry it).
    unmarked: dict[str, PythonVersion] = field(default_factory=dict)
    #: Stdlib dirs it carries a marker for.
    marked: set[str] = field(default_factory=set)
    #: Its files under /usr/share/doc (where cited paths nearly always are), kept so
    #: that other packages' cited paths are looked up without reading it again.
    docs: frozenset[str] = frozenset()
    name: str | None = None
    depends: tuple[str, ...] = ()


def _inspect(
    package: Package, validator: Validator, require_python: Sequence[PythonVersion]
) -> _Inspected:
    label = label_of(package)
    listed = set(package.entries) | set(package.file_list or {})
    stdlibs = stdlib_dirs(listed)
    marker_paths = sorted(p for p in listed if p.endswith(MARKER_NAME) and _is_marker(p))
    findings: list[Finding] = [
        _finding("EM604", f"member `{name}` leaves the package root; never extracted", name)
        for name in package.unsafe
    ]
    inspected = _Inspected(
        PackageReport(package.source, label, (), ()), name=package.name, depends=package.depends
    )
    link_targets = set()
    views: list[Shown] = []
    reports: list[Report] = []
    placed: dict[str, str] = {}
    for where in marker_paths:
        directory = posixpath.dirname(where)
        version = stdlib_version(posixpath.basename(directory))
        if version is None:
            continue
        kind, entry = _resolve(package, where)
        target = entry.path if entry is not None else where
        if target != where:
            link_targets.add(target)
        placed[directory] = where
        shown = f"{label}:{where}"
        if target in package.too_large:
            reports.append(Report(shown, (too_large(shown),), validator.strict))
            continue
        placement = Placement(
            path="/" + where,
            kind=kind,
            mode=entry.mode if entry is not None and kind == "file" else None,
            owner=entry.owner if entry is not None else None,
            real_dir="/" + posixpath.dirname(target),
        )
        data = package.markers.get(target, b"") if kind == "file" else b""
        reports.append(validator.validate(data, path=shown, placement=placement))
        if kind == "file":
            inspected.texts[where] = (version, data)
            views.append(_pip_shows(where, version, data))
            for cited in _cited_paths(data):
                if cited.strip("/") not in listed:
                    inspected.missing.setdefault(cited, where)
        if kind == "file" and _digest_differs(package, target):
            findings.append(
                _finding(
                    "EM605",
                    f"its {package.digest} differs from the package's own file list: the payload "
                    "was changed after the package was built",
                    where,
                )
            )
    findings += _misplaced(marker_paths, link_targets)
    findings += _ownership(stdlibs, placed, require_python)
    inspected.unmarked = {d: v for d, v in stdlibs.items() if d not in placed}
    inspected.marked = set(placed)
    inspected.docs = frozenset("/" + p for p in listed if p.startswith(DOCS))
    inspected.report = PackageReport(
        package.source,
        label,
        tuple(reports),
        tuple(findings),
        validator.strict,
        package.format,
        tuple(views),
    )
    return inspected


def _pip_shows(where: str, python: PythonVersion, data: bytes) -> Shown:
    from marker_tool.preview import preview_pip

    prefix = "/" + where.split("/lib", 1)[0] if "/lib" in where else "/usr"
    view = preview_pip(data, ["Error"], prefix=prefix, python=python)
    text = view.text
    if view.outcome == "generic":
        from marker_tool.preview import pip_generic_message

        text = pip_generic_message(prefix)
    return Shown(where, python, view.outcome, text)


def _misplaced(marker_paths: Iterable[str], link_targets: set[str]) -> list[Finding]:
    return [
        _finding("EM603", f"`{where}` is in no stdlib dir; pip and uv never read it there", where)
        for where in marker_paths
        if stdlib_version(posixpath.basename(posixpath.dirname(where))) is None
        and where not in link_targets
    ]


def _ownership(
    stdlibs: Mapping[str, PythonVersion],
    placed: Mapping[str, str],
    require_python: Sequence[PythonVersion],
) -> list[Finding]:
    findings = []
    for directory, where in sorted(placed.items()):
        version = stdlib_version(posixpath.basename(directory))
        if version is not None and directory not in stdlibs:
            findings.append(
                _finding(
                    "EM602",
                    f"a marker for Python {version} in a package that ships no stdlib for it: "
                    "stale, or a file conflict with the package that ships it (dpkg refuses a "
                    "second package with the same path; a derivative diverts it with "
                    "dpkg-divert, or declares Replaces and Breaks)",
                    where,
                )
            )
    for python in require_python:
        if not any(stdlib_version(posixpath.basename(d)) == python for d in placed):
            findings.append(
                _finding("EM601", f"no marker for Python {python} (--require-python)", None)
            )
    return findings


def _cited_paths(data: bytes) -> list[str]:
    """Absolute paths the marker's messages cite, as pip would show them."""
    from marker_tool.consumers import read_as_pip

    reading = read_as_pip(data)
    texts = [v for k, v in reading.options.items() if k == "error" or k.startswith("error-")]
    return list(dict.fromkeys(m.group(0) for t in texts for m in _CITED.finditer(t)))


# -- the run: packages in parallel, then the checks across them ---------------------------


def _read_one(
    path: str, validator: Validator, require_python: Sequence[PythonVersion], limits: Limits
) -> list[_Inspected]:
    from marker_tool.sources.detect import read

    try:
        packages = read(path, limits)
    except MissingModule:
        raise  # not the package's fault: the whole run is exit 2, saying what to install
    except MarkerToolError as exc:
        report = PackageReport(path, path, (), (_finding("EM600", exc.message),), validator.strict)
        return [_Inspected(report)]
    except OSError as exc:
        finding = _finding("EM600", exc.strerror or str(exc))
        return [_Inspected(PackageReport(path, path, (), (finding,), validator.strict))]
    except Exception as exc:
        message = f"marker-tool failed reading it ({type(exc).__name__}: {exc}); please report"
        return [_Inspected(PackageReport(path, path, (), (_finding("EM600", message),), True))]
    if packages is None:  # a single marker file
        marker = validate_path(path, installed=True, validator=validator)
        return [_Inspected(PackageReport(path, path, (marker,), (), validator.strict, "file"))]
    targets = {t for p in packages for t in _unread_targets(p)}
    if targets:  # symlinked markers (Gentoo): one more pass reads what they point to
        packages = read(path, limits, also=targets) or []
    return [_inspect(p, validator, require_python) for p in packages]


def _unread_targets(package: Package) -> set[str]:
    """Regular files that markers link to, whose bytes the first pass did not read."""
    targets = set()
    for where in package.entries:
        if posixpath.basename(where) == MARKER_NAME:
            kind, entry = _resolve(package, where)
            if kind == "file" and entry is not None and entry.path not in package.markers:
                targets.add(entry.path)
    return targets - set(package.too_large)


def _holders(
    items: Sequence[_Inspected],
    sources_: Sequence[str],
    wanted: set[str],
    limits: Limits,
    pool: ThreadPoolExecutor,
) -> dict[str, list[tuple[str, str | None]]]:
    """Cited path -> [(label, package name)] of the packages given that hold it.

    Paths under /usr/share/doc are looked up in what the first pass kept; any
    other cited path makes every package's file list be read again.
    """
    from marker_tool.sources.detect import read

    found: dict[str, list[tuple[str, str | None]]] = {}
    for item in items:
        for cited in sorted(item.docs & wanted):
            found.setdefault(cited, []).append((item.report.label, item.name))
    wanted = {w for w in wanted if not w.startswith("/" + DOCS)}
    if not wanted:
        return found

    def holds(path: str) -> list[tuple[str, str | None, set[str]]]:
        try:
            packages = read(path, limits, files_only=True) or []
        except (MarkerToolError, OSError):
            return []  # already reported as EM600
        out = []
        for p in packages:
            paths = {"/" + w for w in (*p.entries, *(p.file_list or {}))}
            out.append((label_of(p), p.name, paths & wanted))
        return out

    for result in pool.map(holds, sources_):
        for label, name, paths in result:
            for cited in sorted(paths):
                found.setdefault(cited, []).append((label, name))
    return found


def _missing_findings(item: _Inspected, marked_anywhere: set[str]) -> list[Finding]:
    """EM601 for each stdlib dir of `item` that no package of the run carries a marker for."""
    return [
        _finding(
            "EM601",
            f"ships the stdlib of Python {python} (`{directory}/`) but no "
            f"`{directory}/{MARKER_NAME}`, and no other package given carries it: pip and uv "
            "treat this Python as not managed (check a split stdlib's packages together)",
            directory,
        )
        for directory, python in sorted(item.unmarked.items())
        if directory not in marked_anywhere
    ]


def _cited_findings(
    item: _Inspected, holders: Mapping[str, list[tuple[str, str | None]]]
) -> list[Finding]:
    findings = []
    for cited, where in item.missing.items():
        others = [
            (label, name) for label, name in holders.get(cited, []) if label != item.report.label
        ]
        if not others:
            message = f"the text cites `{cited}`, which no package given ships"
        else:
            label, name = others[0]
            depends = name is not None and name in item.depends
            relation = "depends on it" if depends else "does not depend on it, so it may be absent"
            message = f"the text cites `{cited}`, shipped by `{label}`; this package {relation}"
        findings.append(_finding("EM606", message, where))
    return findings


def _expected_findings(item: _Inspected, expected: Mapping[PythonVersion, bytes]) -> list[Finding]:
    findings = []
    for where, (python, data) in item.texts.items():
        want = expected.get(python)
        if want is not None and data != want:
            findings.append(_finding("EM607", _first_difference(data, want), where))
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


def check(
    paths: Sequence[str | os.PathLike[str]],
    *,
    strict: bool = False,
    require_python: Sequence[PythonVersion] = (),
    limits: Limits = DEFAULT_LIMITS,
    jobs: int | None = None,
    expect: Expectation | None = None,
) -> list[PackageReport]:
    """A report per package (an image tarball or layout may hold several), in the order given.

    `paths`: .deb, .rpm, Arch and Alpine packages, image tarballs and layouts,
    trees, single marker files. `jobs` packages are read at once (default: the
    machine's cores). `expect`: the bytes every marker must be (`--expect-text`),
    or the `Distributor` whose rendering each marker must equal (`-c CONFIG`).
    A path that does not exist is an error for the whole run (MarkerToolError);
    a package that cannot be read is a failed report (EM600), and the run goes on.
    """
    given = [os.fspath(p) for p in paths]
    for path in given:
        if not os.path.lexists(path):
            raise MarkerToolError("no such file or directory", file=path)
    validator = Validator(strict=strict)
    workers = max(1, jobs or os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(lambda p: _read_one(p, validator, require_python, limits), given))
        items = [item for result in results for item in result]
        missing = {cited for item in items for cited in item.missing}
        holders = _holders(items, given, missing, limits, pool) if missing else {}
    expected: dict[PythonVersion, bytes] = {}
    if expect is not None:
        expected = _expected_texts(expect, (py for i in items for py, _ in i.texts.values()))
    marked_anywhere = {d for item in items for d in item.marked}
    reports = []
    for item in items:
        extra = (
            _missing_findings(item, marked_anywhere)
            + _cited_findings(item, holders)
            + _expected_findings(item, expected)
        )
        report = item.report
        reports.append(replace(report, findings=report.findings + tuple(extra)))
    return reports


__all__ = ["PACKAGE_CODES", "PackageError", "PackageReport", "check", "check_package"]
