"""The run: inputs -> systems, read in parallel processes -> each system checked -> reports.

paths -> systems (the packages given together, a `.changes` file or a folder
      of packages, each image, each tree or root filesystem tarball)
      -> sources.detect.read, in parallel processes, never extracting
      -> per system: `Facts` (its files merged, each stdlib dir's marker as
         pip opens it) -> each marker validated, then the system rules
      -> a PackageReport per package (and per system with findings of its own)
"""

from __future__ import annotations

import os
import posixpath
import signal
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TypedDict, Unpack

from marker_tool.check.facts import Facts, Options, Unreadable
from marker_tool.check.report import PackageReport, Shown, StdlibFound
from marker_tool.check.rules import (
    SYSTEM_RULES,
    SystemHit,
    SystemRule,
    marker_owner,
    stdlib_owner,
)
from marker_tool.check.system import System, label_of
from marker_tool.check.waivers import Waiver, apply_waivers
from marker_tool.document import Document
from marker_tool.errors import MarkerToolError, MissingModule
from marker_tool.layouts import stdlib_dir_version
from marker_tool.model import MARKER_NAME, Distributor, Finding, PythonVersion
from marker_tool.sources.base import DEFAULT_LIMITS, Limits, Package
from marker_tool.validate import Report, Validator, too_large, validate_path

#: What a marker must be: the bytes of a file, or what a config renders per Python.
Expectation = bytes | Distributor
#: The system the packages given directly on the command line form.
GIVEN = "packages given"
#: Findings of one rule about one report shown before the rest are counted.
FOLD_PAST = 10


@dataclass(slots=True)
class _Input:
    """One path given, and what reading it gave."""

    path: str
    #: The system it joins: `packages given`, a .changes file or folder, or its own.
    group: str
    packages: list[Package] | None = None
    error: str | None = None
    #: A marker file given alone (`EXTERNALLY-MANAGED`), validated as one.
    marker: bool = False


@dataclass(slots=True)
class _Checked:
    """One package of a system, as its findings accumulate."""

    package: Package
    label: str
    reports: list[Report] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    shown: list[Shown] = field(default_factory=list)
    stdlibs: list[StdlibFound] = field(default_factory=list)


def check_system(facts: Facts, *, validator: Validator) -> list[PackageReport]:
    """A report per package of the system, plus one for the system's own findings if any."""
    system = facts.system
    checked = [_Checked(p, label_of(p)) for p in system.packages]
    _validate_markers(facts, checked, validator)
    own: list[Finding] = []
    unreadable: dict[str, list[Finding]] = {}
    for rule in SYSTEM_RULES:
        for hit, finding in _folded(rule, facts):
            _place(hit, finding, checked, own, unreadable)
    reports = [
        PackageReport(
            source=c.package.source,
            label=c.label,
            markers=tuple(c.reports),
            findings=tuple(c.findings),
            strict=validator.strict,
            format=c.package.format,
            shown=tuple(c.shown),
            stdlibs=tuple(c.stdlibs),
            system=system.label,
            notes=c.package.notes,
        )
        for c in checked
    ]
    reports += [
        PackageReport(
            source=path,
            label=path,
            findings=tuple(found),
            strict=validator.strict,
            system=system.label,
        )
        for path, found in unreadable.items()
    ]
    if own and len(reports) == 1:
        reports[0] = replace(reports[0], findings=reports[0].findings + tuple(own))
    elif own:
        reports.append(
            PackageReport(
                source=system.label,
                label=system.label,
                findings=tuple(own),
                strict=validator.strict,
                format="system",
                system=system.label,
            )
        )
    return reports


def _folded(rule: SystemRule, facts: Facts) -> Iterator[tuple[SystemHit, Finding]]:
    """A rule's hits as findings, folded past `FOLD_PAST` per report: a package of a
    million bad members gets a line that counts them, not a million lines."""
    counts: dict[tuple[str | None, int | None], int] = {}
    for hit in rule.check(facts):
        key = (hit.source, hit.package)
        counts[key] = counts.get(key, 0) + 1
        if counts[key] <= FOLD_PAST:
            yield hit, Finding(rule.code, rule.severity, hit.message, None, hit.where)
    for (source, package), count in counts.items():
        if count > FOLD_PAST:
            more = f"and {count - FOLD_PAST} more like these"
            yield (
                SystemHit(more, None, package, source),
                Finding(rule.code, rule.severity, more, None, None),
            )


def _place(
    hit: SystemHit,
    finding: Finding,
    checked: list[_Checked],
    own: list[Finding],
    unreadable: dict[str, list[Finding]],
) -> None:
    """Give a system rule's finding to the report it is about."""
    if hit.source is not None:
        unreadable.setdefault(hit.source, []).append(finding)
    elif hit.package is not None and checked:
        checked[hit.package].findings.append(finding)
    else:
        own.append(finding)


def _validate_markers(facts: Facts, checked: list[_Checked], validator: Validator) -> None:
    """Each stdlib's marker validated where it sits, and what pip shows of it; a stray or
    second copy of a marker validated as a file."""
    system = facts.system
    for reading in facts.readings:
        marker = reading.marker if reading.resolved is not None else None
        if checked:
            owner = checked[stdlib_owner(system, reading)]
            owner.stdlibs.append(StdlibFound(reading.directory, reading.python, marker))
        if reading.resolved is None:
            continue
        item = checked[marker_owner(system, reading)]
        if reading.document is None:  # too large to read
            shown = f"{item.label}:{reading.marker}"
            item.reports.append(Report(shown, (too_large(shown),), validator.strict))
            continue
        item.reports.append(validator.run(reading.document))
        if reading.data is not None:
            item.shown.append(pip_shows(reading.marker, reading.python, reading.document))
    _validate_copies(facts, checked, validator)


def _validate_copies(facts: Facts, checked: list[_Checked], validator: Validator) -> None:
    """A marker in a stdlib dir of no Python of the system, and a second copy another
    package ships: their text is checked too (no placement: no interpreter reads them)."""
    from marker_tool.check.rules import stray_markers

    system = facts.system
    for where, python in stray_markers(facts):
        resolved = system.resolve(where)
        data = system.bytes_of(resolved.path) if resolved.kind == "file" else None
        if python is not None and data is not None:
            item = checked[system.index_of(where)]
            item.reports.append(validator.validate(data, path=f"{item.label}:{where}"))
    for where, holders in sorted(system.shared.items()):
        for n in holders[1:]:
            data = system.packages[n].markers.get(where)
            if data is not None:
                item = checked[n]
                item.reports.append(validator.validate(data, path=f"{item.label}:{where}"))


def pip_shows(where: str, python: PythonVersion, document: Document) -> Shown:
    """What pip prints of a marker at `where` (English, the `Error` key)."""
    from marker_tool.preview import pip_generic_message, preview_pip

    prefix = "/" + where.split("/lib", 1)[0] if "/lib" in where else "/usr"
    view = preview_pip(document.data, ["Error"], prefix=prefix, python=python, reading=document.pip)
    text = view.text
    if view.outcome == "generic":
        text = pip_generic_message(prefix)
    return Shown(where, python, view.outcome, text)


# -- reading the inputs ------------------------------------------------------------------

#: What reading one input gave: its packages, or an error.
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
        return None, _message(exc, path)
    except RecursionError:
        return None, "nested too deep to read"
    except MemoryError:
        return None, "reading it needs more memory than this process may use (corrupt, or hostile?)"


def _read_all(jobs: list[tuple[str, frozenset[str]]], limits: Limits, workers: int) -> list[Read]:
    """Each input read, in parallel processes when there are several (tar headers are
    parsed in Python, which holds the GIL; decompression in C does not).

    Workers end at once on Ctrl-C (they only read); the run then stops waiting for
    them. `concurrent.futures` notices a worker that ended abruptly, where
    `multiprocessing.Pool` can hang on one.
    """
    if workers <= 1 or len(jobs) <= 1:
        return [_read(path, also, limits) for path, also in jobs]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    batches = _batches(jobs, workers)
    context = multiprocessing.get_context("fork")
    # Ctrl-C waits while the workers are forked (they would inherit the run's own handler
    # until theirs is set) and comes as soon as they all are.
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    pool = ProcessPoolExecutor(min(workers, len(batches)), context, initializer=_worker)
    try:
        try:
            futures = [pool.submit(_read_batch, ([jobs[n] for n in b], limits)) for b in batches]
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        done = [future.result() for future in futures]
    except BrokenProcessPool:
        pool.shutdown(wait=False, cancel_futures=True)
        raise MarkerToolError(
            "a process reading the inputs ended abruptly (killed, or out of memory?)",
            hint="`-j 1` reads them in this process, one at a time",
        ) from None
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    results = {
        n: read
        for batch, reads in zip(batches, done, strict=True)
        for n, read in zip(batch, reads, strict=True)
    }
    return [results[n] for n in range(len(jobs))]


def _worker() -> None:
    """A reading process leaves Ctrl-C to the run: it only reads, so it may end at once."""
    signal.signal(signal.SIGINT, lambda *_: os._exit(130))
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _read_batch(batch: tuple[list[tuple[str, frozenset[str]]], Limits]) -> list[Read]:
    jobs, limits = batch
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


def expand(paths: Sequence[str], limits: Limits = DEFAULT_LIMITS) -> list[_Input]:
    """The inputs of a run, each with the system it joins.

    Packages given directly form one system; a `.changes` file or a folder that
    holds packages (not a tree) is a system of its packages; a file named
    EXTERNALLY-MANAGED is a marker, validated alone. A `.changes` file or folder
    that cannot be expanded is that input's EM600, and the run goes on.
    """
    inputs: list[_Input] = []
    for path in paths:
        try:
            inputs += _expanded(path, limits)
        except MissingModule:
            raise  # not the input's fault: the whole run is exit 2, saying what to install
        except (MarkerToolError, OSError) as exc:
            inputs.append(_Input(path, path, error=_message(exc, path)))
    return inputs


def _expanded(path: str, limits: Limits) -> list[_Input]:
    from marker_tool.sources.detect import changes_packages, folder_packages

    if os.path.basename(path) == MARKER_NAME and not os.path.isdir(path):
        return [_Input(path, path, marker=True)]
    if path.endswith(".changes") and os.path.isfile(path):
        return [_Input(p, path) for p in changes_packages(path, limits)]
    if os.path.isdir(path):
        folder = folder_packages(path)
        if folder is None:
            return [_Input(path, path)]
        return [_Input(p, path.rstrip("/") + "/") for p in folder]
    return [_Input(path, GIVEN)]


def _message(exc: MarkerToolError | OSError, path: str) -> str:
    """An input's EM600 message; an OSError names the file it is about."""
    if isinstance(exc, OSError):
        return f"{exc.filename or path}: {exc.strerror or exc}"
    return exc.message + (f" ({exc.hint})" if exc.hint else "")


def _systems(inputs: list[_Input]) -> Iterator[tuple[str, list[Package], list[Unreadable]]]:
    """(label, packages, inputs that could not be read) per system, in the order given."""
    from marker_tool.sources.detect import POOLED

    groups: dict[str, tuple[list[Package], list[Unreadable]]] = {}
    for item in inputs:
        if item.marker:
            continue
        if item.error is not None:
            groups.setdefault(item.group, ([], []))[1].append(Unreadable(item.path, item.error))
            continue
        for package in item.packages or ():
            if package.format in POOLED:
                groups.setdefault(item.group, ([], []))[0].append(package)
            else:
                label = label_of(package)
                own = label if label == package.source else f"{label} ({package.source})"
                yield own, [package], []
    for group, (packages, unreadable) in groups.items():
        label = group
        if group == GIVEN:
            label = f"the {len(packages)} packages given"
            if len(packages) == 1 and not unreadable:
                label = label_of(packages[0])
            elif not packages and len(unreadable) == 1:
                label = unreadable[0].path
        yield label, packages, unreadable


def _symlinked_targets(system: System) -> dict[str, set[str]]:
    """Source -> regular files that a marker resolves to but whose bytes were not read.

    Nothing for a system whose paths cannot be resolved within its budget: checking
    it says so (`_checked`)."""
    wanted: dict[str, set[str]] = {}
    try:
        for where in system.markers() + [f"{d}/{MARKER_NAME}" for d in system.stdlibs()]:
            resolved = system.resolve(where)
            if resolved.kind == "file" and resolved.path in system.files:
                package = system.package_of(resolved.path)
                read = resolved.path in package.markers or resolved.path in package.too_large
                if not read:
                    wanted.setdefault(package.source, set()).add(resolved.path)
    except MissingModule:
        raise
    except MarkerToolError:
        return {}
    return wanted


# -- the entry points ---------------------------------------------------------------------


class RunOptions(TypedDict, total=False):
    """What `check` and `check_systems` take besides their inputs (see `check`)."""

    strict: bool
    require_python: Sequence[PythonVersion]
    limits: Limits
    jobs: int | None
    expect: Expectation | None
    waivers: Sequence[Waiver]
    allow_no_python: bool


def check(
    paths: Sequence[str | os.PathLike[str]], **options: Unpack[RunOptions]
) -> list[PackageReport]:
    """A report per package, image or tree (and per system with findings of its own).

    `paths`: .deb, .rpm, Arch and Alpine packages, `.changes` files, folders of
    packages, image tarballs and layouts, trees, root filesystem tarballs,
    marker files (named EXTERNALLY-MANAGED). `strict`: warnings fail too.
    `require_python`: each system must carry a marker for these. `limits`: the
    caps on one input. `jobs` inputs are read at once (default: the machine's
    cores). `expect`: the bytes every marker must be (`--expect-text`), or the
    `Distributor` whose rendering each marker must equal (`-c CONFIG`).
    `waivers`: findings accepted (`--ignore`, overrides). `allow_no_python`: a
    system with no stdlib dir and no marker passes (EM610 otherwise). A path
    that does not exist is an error for the whole run (MarkerToolError); an
    input that cannot be read is a failed report (EM600), and the run goes on.
    """
    given = [os.fspath(p) for p in paths]
    for path in given:
        if not os.path.lexists(path):
            raise MarkerToolError("no such file or directory", file=path)
    return _run(expand(given, options.get("limits", DEFAULT_LIMITS)), **options)


def check_systems(
    systems: Mapping[str, Sequence[str | os.PathLike[str]]], **options: Unpack[RunOptions]
) -> list[PackageReport]:
    """`check` of systems named by the caller: label -> the package files installed together.

    Each label is one system (as a `.changes` file is), however its packages
    were found; `audit` names one per suite, source, version and architecture.
    """
    inputs = [_Input(os.fspath(p), label) for label, paths in systems.items() for p in paths]
    return _run(inputs, **options)


def _run(
    inputs: list[_Input],
    *,
    strict: bool = False,
    require_python: Sequence[PythonVersion] = (),
    limits: Limits = DEFAULT_LIMITS,
    jobs: int | None = None,
    expect: Expectation | None = None,
    waivers: Sequence[Waiver] = (),
    allow_no_python: bool = False,
) -> list[PackageReport]:
    validator = Validator(strict=strict)
    workers = max(1, jobs or os.cpu_count() or 1)
    _read_inputs([i for i in inputs if i.error is None and not i.marker], limits, workers)
    systems = _built(inputs)
    # A marker symlinked to a file the first pass did not read (Gentoo's shared
    # marker, a link into /etc): its input is read again for those bytes.
    again: dict[str, set[str]] = {}
    for system, _ in systems:
        for source, targets in _symlinked_targets(system).items():
            again.setdefault(source, set()).update(targets)
    if again:
        redo = [i for i in inputs if i.path in again and i.packages is not None]
        _read_inputs(redo, limits, workers, again)
        systems = _built(inputs)
    reports = [
        PackageReport(
            source=i.path,
            label=i.path,
            markers=(validate_path(i.path, installed=True, validator=validator),),
            strict=strict,
            format="file",
        )
        for i in inputs
        if i.marker
    ]
    options = Options(
        require_python=require_python,
        expected=_expected(expect, systems),
        allow_no_python=allow_no_python,
    )
    for system, unreadable in systems:
        reports += _checked(system, unreadable, options, validator)
    return [apply_waivers(r, waivers) for r in reports]


def _checked(
    system: System, unreadable: list[Unreadable], options: Options, validator: Validator
) -> list[PackageReport]:
    """One system's reports; a system that cannot be checked (over a budget while its
    paths are resolved) is its own EM600, and the run goes on."""
    try:
        facts = Facts.of(
            system,
            options if system.packages else Options(),
            unreadable,
            root_owned=_root_owned(system),
        )
        return check_system(facts, validator=validator)
    except MissingModule:
        raise
    except MarkerToolError as exc:
        failed = [*unreadable, Unreadable(system.label, _message(exc, system.label))]
        facts = Facts.of(System.of(system.label, []), Options(), failed)
        return check_system(facts, validator=validator)


def _read_inputs(
    inputs: list[_Input], limits: Limits, workers: int, also: Mapping[str, set[str]] = {}
) -> None:
    jobs = [(i.path, frozenset(also.get(i.path, ()))) for i in inputs]
    for item, (packages, error) in zip(inputs, _read_all(jobs, limits, workers), strict=True):
        item.packages, item.error = packages, error


def _built(inputs: list[_Input]) -> list[tuple[System, list[Unreadable]]]:
    return [
        (System.of(label, packages), unreadable) for label, packages, unreadable in _systems(inputs)
    ]


def _expected(
    expect: Expectation | None, systems: Iterable[tuple[System, list[Unreadable]]]
) -> dict[PythonVersion, bytes]:
    """The text each Python's marker must be, for the Pythons whose markers were read."""
    if expect is None:
        return {}
    pythons = {
        v
        for system, _ in systems
        for p in system.packages
        for w in p.markers
        if (v := stdlib_dir_version(posixpath.dirname(w))) is not None
    }
    if isinstance(expect, bytes):
        return dict.fromkeys(pythons, expect)
    from marker_tool.render import render_files

    wanted = sorted(pythons, key=str)
    return render_files(expect, pythons=wanted) if wanted else {}


def _root_owned(system: System) -> bool:
    """Whether owners matter: not a build's staging tree, where everything belongs to the
    build user until the package is written (a tree with no entry of root's)."""
    if not system.packages or system.packages[0].format != "directory":
        return True
    return any(e.owner == ("0", "0") for e in system.packages[0].entries.values())
