"""The system rules (EM6xx): one small function per rule over a system's `Facts`.

A content rule (`marker_tool.rules`) reads one marker; these read a whole
system: the packages of a build, an image, a tree. Each yields a `SystemHit`
per problem, naming the path inside the system and the package it is about
(None: the system itself). Their docstrings are the long explanations
(`--explain`); adding one is a function here, its entry in `SYSTEM_RULES`,
and a test that makes it fire through `check`.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass

from marker_tool.check.facts import Facts, Reading
from marker_tool.check.system import System, label_of, same_instances
from marker_tool.consumers import PipReading
from marker_tool.layouts import stdlib_dir_version
from marker_tool.model import MARKER_NAME, PythonVersion, Severity
from marker_tool.rules import Rule, rule
from marker_tool.sources.base import digests_agree
from marker_tool.sources.detect import POOLED

ERROR = Severity.ERROR
WARNING = Severity.WARNING


@dataclass(frozen=True, slots=True)
class SystemHit:
    """One problem a system rule found."""

    message: str
    #: The path inside the system it is about, if any.
    where: str | None = None
    #: The index of the package it is about (`Facts.system.packages`); None: the system.
    package: int | None = None
    #: An input of the system that could not be read, which gets a report of its own.
    source: str | None = None


SystemRule = Rule[Facts, SystemHit]


@rule("EM600", "unreadable-package", ERROR, "the package or image cannot be read")
def unreadable_package(facts: Facts) -> Iterator[SystemHit]:
    """The input is truncated, corrupt, over a limit, or of a format marker-tool cannot read.

    `check` reads every header of a package's payload and decompresses it to
    its end, so a package shorter than its own headers say, or a stream that
    fails its checksum, is this finding and never a pass; a .deb that dpkg-deb
    refuses (its members out of order, one missing) is one too. The message
    names what was wrong; the rest of the run goes on.
    """
    for item in facts.unreadable:
        yield SystemHit(item.message, source=item.path)


@rule("EM601", "missing-marker", ERROR, "a Python stdlib without its marker")
def missing_marker(facts: Facts) -> Iterator[SystemHit]:
    """A system ships the stdlib of a Python, and no package of it carries the marker.

    pip and uv then treat that Python as not managed and install into it.
    Debian splits one stdlib between libpython3.X-minimal (`os.py`) and
    libpython3.X-stdlib (the rest, and the marker): check a build's packages
    together, or its `.changes` file. With `--require-python X.Y`, a system
    with no marker for X.Y at all (or an image whose Python is gone under a
    runtime that applies its layers otherwise, EM609).
    """
    system = facts.system
    for reading in facts.readings:
        if reading.resolved is None:
            yield _missing(system, reading)
    carried = _carried(facts)
    for python in facts.options.require_python:
        if python not in carried:
            yield SystemHit(f"no marker for Python {python} in {system.label} (--require-python)")


def _missing(system: System, reading: Reading) -> SystemHit:
    """EM601 on the package that ships the stdlib's `os.py`, else its first module."""
    n = stdlib_owner(system, reading)
    package = system.packages[n]
    together = (
        "; check a split stdlib's packages together (or the build's .changes file)"
        if package.format in POOLED
        else ""
    )
    directory, real_dir = reading.directory, reading.real_dir
    via = f", a symlink to `{real_dir}/`," if real_dir != directory else ""
    return SystemHit(
        f"the stdlib of Python {reading.python} (`{directory}/`{via}) has no `{MARKER_NAME}`: "
        f"pip and uv treat this Python as not managed{together}",
        directory,
        n,
    )


def stdlib_owner(system: System, reading: Reading) -> int:
    """The package a stdlib dir belongs to: the one with its `os.py`, else its first module."""
    places = {reading.directory, reading.real_dir}
    modules = sorted(
        (w for place in places for w in system.modules_in(place)),
        key=lambda w: (not w.endswith("/os.py"), w),
    )
    return system.index_of(modules[0] if modules else reading.directory)


def _carried(facts: Facts) -> set[PythonVersion]:
    """The Pythons the system carries a marker for, under every runtime."""
    if any(p.ambiguities for p in facts.system.packages):
        return set()  # a runtime refuses the image: no Python runs there at all
    system = facts.system
    diverted = {
        version
        for where in system.markers()
        if where in system.diverted
        and (version := stdlib_dir_version(posixpath.dirname(where))) is not None
    }
    return {r.python for r in facts.read()} | diverted


def stray_markers(facts: Facts) -> Iterator[tuple[str, PythonVersion | None]]:
    """Markers that are no stdlib dir's own (nor what one resolves to), with the Python
    their directory names."""
    resolved = {r.marker for r in facts.readings} | {
        r.resolved.path for r in facts.readings if r.resolved is not None
    }
    stdlibs = {r.directory for r in facts.readings}
    for where in facts.system.markers():
        directory = posixpath.dirname(where)
        if where not in resolved and directory not in stdlibs:
            yield where, stdlib_dir_version(directory)


@rule("EM602", "stale-marker", ERROR, "a marker for a Python the system does not ship")
def stale_marker(facts: Facts) -> Iterator[SystemHit]:
    """A marker in a `pythonX.Y` stdlib dir of a system that ships no stdlib for X.Y.

    Left over from an older Python, or a file conflict with the package that
    ships that stdlib: dpkg refuses a second package with the same path. A
    derivative's branding package diverts the stdlib's marker with
    `dpkg-divert --package P --rename --add` in its maintainer scripts, which
    `check` reads; `dh_externally_managed` writes those calls.
    """
    system = facts.system
    for where, python in stray_markers(facts):
        if python is not None and where not in system.diverted:
            yield SystemHit(
                f"a marker for Python {python} in {system.label}, which ships no stdlib for it: "
                "stale, or a file conflict with the package that ships it (a derivative "
                "diverts it with dpkg-divert in its maintainer scripts)",
                where,
                system.index_of(where),
            )


@rule("EM603", "misplaced-marker", WARNING, "an EXTERNALLY-MANAGED outside any stdlib dir")
def misplaced_marker(facts: Facts) -> Iterator[SystemHit]:
    """A file named EXTERNALLY-MANAGED where no interpreter looks for it.

    pip and uv read only `sysconfig.get_path("stdlib")/EXTERNALLY-MANAGED`
    (`lib/pythonX.Y` for CPython, `lib/pypy3.X` for PyPy). A shared file that
    stdlib markers link to (Gentoo) is not this finding.
    """
    for where, python in stray_markers(facts):
        if python is None:
            yield SystemHit(
                f"`{where}` is in no stdlib dir; pip and uv never read it there",
                where,
                facts.system.index_of(where),
            )


@rule("EM604", "unsafe-member", ERROR, "a member name with `..` or an absolute path")
def unsafe_member(facts: Facts) -> Iterator[SystemHit]:
    """A member whose name climbs out of the package root or is absolute.

    Never extracted or used by marker-tool; dpkg and rpm refuse such packages.
    """
    for n, package in enumerate(facts.system.packages):
        for name in package.unsafe:
            yield SystemHit(f"member `{name}` leaves the package root; never extracted", name, n)
        if (more := package.unsafe_count - len(package.unsafe)) > 0:
            yield SystemHit(f"and {more} more members leave the package root", None, n)


@rule("EM605", "digest-mismatch", ERROR, "a marker that disagrees with the file list")
def digest_mismatch(facts: Facts) -> Iterator[SystemHit]:
    """The marker's bytes do not have the digest the package's own file list gives.

    A .deb's `md5sums`, an rpm header's file digests, an Arch `.MTREE`: the
    payload was changed after the package was built.
    """
    system = facts.system
    for reading in facts.read():
        assert reading.resolved is not None
        target = reading.resolved.path
        package = system.package_of(target)
        data = package.markers.get(target)
        listed = package.file_list or {}
        if data is None or target not in listed:
            continue  # not read, or not in the package's own list (a symlink, no md5sums)
        if not digests_agree({target: data}, listed, package.digest):
            yield SystemHit(
                f"its {package.digest} differs from the package's own file list: the payload "
                "was changed after the package was built",
                target,
                marker_owner(system, reading),
            )


def marker_owner(system: System, reading: Reading) -> int:
    """The package a stdlib dir's marker belongs to: the one holding the marker path."""
    where = reading.marker
    return system.index_of(where if where in system.files else reading.directory)


#: An absolute path in a message: `/usr/share/doc/python3.11/README.venv`, or a glob
#: (`/usr/share/doc/python3.*/README.venv`). Not part of a URL or of a longer word;
#: trailing punctuation is not part of it.
_CITED = re.compile(r"(?<![\w/.:~$-])/(?:usr|etc|opt|var|srv|lib|lib64)/[\w.+@/*?-]*[\w+@/*]")


def cited_paths(reading: PipReading) -> list[str]:
    """Absolute paths the marker's messages cite, as pip reads them."""
    texts = [v for k, v in reading.options.items() if k == "error" or k.startswith("error-")]
    return list(dict.fromkeys(m.group(0) for t in texts for m in _CITED.finditer(t)))


def _cited_target(system: System, cited: str) -> str | None:
    """The path of the system a cited path (or the first match of a cited glob) leads to."""
    inside = cited.strip("/")
    if any(c in inside for c in "*?"):
        matches = sorted(w for w in system.files if fnmatch.fnmatchcase(w, inside))
        if not matches:
            return None
        inside = matches[0]
    resolved = system.resolve(inside)
    return None if resolved.kind == "dangling-symlink" else resolved.path


@rule("EM606", "cited-path-missing", WARNING, "the text cites a path the system lacks")
def cited_path_missing(facts: Facts) -> Iterator[SystemHit]:
    """The message tells users to read a path that the system does not have.

    Or that another package of the build ships, which the marker's package
    does not depend on, so it may be absent (Debian's marker cites
    /usr/share/doc/python3.X/README.venv, shipped by python3.X). A cited glob
    (`/usr/share/doc/python3.*/README.venv`, as Debian's PyPy marker has) is
    there when any path matches it. Waive it with an override when that is
    accepted.
    """
    system = facts.system
    for reading in facts.read():
        assert reading.document is not None
        n = system.index_of(reading.marker)
        package = system.packages[n]
        for cited in cited_paths(reading.document.pip):
            target = _cited_target(system, cited)
            if target is None:
                message = f"the text cites `{cited}`, which is not in {system.label}"
            else:
                other = system.package_of(target)
                if len(system.packages) == 1 or other is package or other.name in package.depends:
                    continue
                message = (
                    f"the text cites `{cited}`, shipped by `{label_of(other)}`; this package "
                    "does not depend on it, so it may be absent"
                )
            yield SystemHit(message, reading.marker, n)


@rule("EM607", "unexpected-text", ERROR, "the marker is not the text the build should ship")
def unexpected_text(facts: Facts) -> Iterator[SystemHit]:
    """With `-c CONFIG` or `--expect-text`, the marker differs from what the build renders.

    A stale or hand-edited marker. Every copy is compared: the one installed,
    and a copy another package of the build ships.
    """
    expected = facts.options.expected
    system = facts.system
    for reading in facts.read():
        assert reading.data is not None
        want = expected.get(reading.python)
        if want is not None and reading.data != want:
            yield SystemHit(
                first_difference(reading.data, want),
                reading.marker,
                system.index_of(reading.marker),
            )
    for where, holders in sorted(system.shared.items()):
        python = stdlib_dir_version(posixpath.dirname(where))
        want = expected.get(python) if python is not None else None
        for n in holders[1:]:
            data = system.packages[n].markers.get(where)
            if want is not None and data is not None and data != want:
                yield SystemHit(first_difference(data, want), where, n)


def first_difference(data: bytes, want: bytes) -> str:
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


@rule("EM608", "conflicting-marker", ERROR, "two packages of a system ship the same marker")
def conflicting_marker(facts: Facts) -> Iterator[SystemHit]:
    """Two packages of one build ship the same marker path, and neither diverts it.

    dpkg refuses to install the second (`trying to overwrite`); a derivative's
    branding package diverts the stdlib's file with `dpkg-divert`. Instances
    of one `Multi-Arch: same` package (libpython3.X-stdlib for amd64, arm64
    and i386) share the path when its content is the same in each, as dpkg
    allows; with other content, dpkg refuses them too.
    """
    system = facts.system
    for where, holders in sorted(system.shared.items()):
        if system.diverted.get(where) in holders:
            continue
        installed = holders[0]
        first = system.packages[installed]
        others = [n for n in holders[1:] if not same_instances(first, system.packages[n])]
        differ = [
            n
            for n in holders[1:]
            if n not in others and system.packages[n].markers.get(where) != first.markers.get(where)
        ]
        if others:
            names = ", ".join(f"`{label_of(system.packages[n])}`" for n in (installed, *others))
            yield SystemHit(
                f"shipped by {names}: dpkg refuses the second (`trying to overwrite`) "
                "unless one diverts it with dpkg-divert",
                where,
                installed,
            )
        if differ:
            names = ", ".join(f"`{label_of(system.packages[n])}`" for n in (installed, *differ))
            yield SystemHit(
                f"shipped with different content by the Multi-Arch: same instances {names}: "
                "dpkg refuses them (`trying to overwrite shared ..., which is different from "
                "other instances`)",
                where,
                installed,
            )


@rule("EM609", "runtimes-disagree", ERROR, "runtimes build the image's tree differently")
def runtimes_disagree(facts: Facts) -> Iterator[SystemHit]:
    """Container runtimes apply one of the image's layers differently.

    A layer that replaced a directory by a symlink and then whites out
    entries beneath it (umoci writes exactly this), or writes beneath a
    symlinked directory: umoci and containers-storage's vfs driver go through
    the link, the overlay driver refuses the image. `check` models the
    runtimes that go through the link and says so here, since what users run
    depends on their runtime; `--require-python` fails such an image, whose
    Python is gone where it does not start.
    """
    for n, package in enumerate(facts.system.packages):
        for sentence in package.ambiguities:
            yield SystemHit(sentence, None, n)


@rule("EM610", "nothing-checked", ERROR, "an input holds no Python stdlib and no marker")
def nothing_checked(facts: Facts) -> Iterator[SystemHit]:
    """A system in which `check` found nothing to check: no stdlib dir, no marker.

    An empty artifact directory, an sdist, a tree without Python: passing it
    would show a CI job green that checked nothing. Give the packages or tree
    that hold the Python, or `--allow-no-python` for an input that
    legitimately holds none (a build's documentation packages).
    """
    system = facts.system
    options = facts.options
    if options.allow_no_python or options.require_python or facts.unreadable or facts.readings:
        return  # with --require-python, EM601 says what is missing
    if system.markers():
        return
    what = "packages" if len(system.packages) > 1 else "input"
    yield SystemHit(
        f"no Python stdlib and no {MARKER_NAME} in {system.label}: nothing was checked "
        f"in this {what} (`--allow-no-python` accepts that)"
    )


@rule("EM611", "stale-diversion", WARNING, "a diverted marker for a Python the system lacks")
def stale_diversion(facts: Facts) -> Iterator[SystemHit]:
    """A branding package diverts the marker of a Python the system does not ship.

    A derivative's branding package outlived its Python: checked with the
    stdlib packages it should brand (say trixie's python3.13), its marker for
    3.11 brands nothing, and users of 3.13 see the stdlib's own text. Rebuild
    the branding package for the Pythons the suite ships.
    """
    system = facts.system
    shipped = sorted({str(r.python) for r in facts.readings})
    if not shipped:
        return  # checked alone: the stdlib it brands is not in this run
    for where, python in stray_markers(facts):
        if python is not None and where in system.diverted:
            yield SystemHit(
                f"diverts the marker of Python {python}, which {system.label} does not ship "
                f"(it ships {', '.join(shipped)}): this branding applies to no Python here",
                where,
                system.diverted[where],
            )


#: The rules of a system, in the order `check` runs them.
SYSTEM_RULES: tuple[SystemRule, ...] = (
    unreadable_package,
    missing_marker,
    stale_marker,
    misplaced_marker,
    unsafe_member,
    digest_mismatch,
    cited_path_missing,
    unexpected_text,
    conflicting_marker,
    runtimes_disagree,
    nothing_checked,
    stale_diversion,
)
