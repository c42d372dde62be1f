"""`audit`: a repository's markers, suite by suite, from its indexes.

    mirror -> each suite's Release (signature, Valid-Until, hashes)
           -> Packages + Contents-<arch> (apt) or primary + filelists (rpm-md),
              streamed -> candidates (`candidates.plan_systems`)
           -> candidates fetched into the content-addressed cache
           -> `check.check_systems`, a system per suite, source build and
              architecture: the one verdict path `check` uses
           -> an `Audit`: per system its reports and the markers it ships

Everything derived is cached by the hashes it came from: a suite whose
indexes did not change is planned from the cache without reading them, a
package already fetched is not fetched again, and a system whose packages did
not change is not checked again.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marker_tool.audit.context import Context, Options, derived_key, load_derived, save_derived
from marker_tool.audit.fetch import Cache, Expected, Mirror, MirrorError, Stats, fetch
from marker_tool.audit.model import Binary, Plan, Suite
from marker_tool.audit.progress import Progress
from marker_tool.errors import MarkerToolError
from marker_tool.model import VERDICTS, Located
from marker_tool.output import Subject, package_subjects
from marker_tool.sources.base import Limits


@dataclass(frozen=True, slots=True)
class MarkerSeen:
    """A marker one package of a system ships, with its bytes for the report."""

    #: The package's `name_version_arch`.
    package: str
    #: Its path inside the package.
    path: str
    data: bytes | None
    #: The package whose maintainer scripts divert it (a derivative's branding package).
    diverted_by: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "package": self.package,
            "path": self.path,
            "data": self.data.hex() if self.data is not None else None,
            "diverted_by": self.diverted_by,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MarkerSeen:
        raw = data["data"]
        return cls(
            data["package"],
            data["path"],
            bytes.fromhex(raw) if raw is not None else None,
            data["diverted_by"],
        )


@dataclass(slots=True)
class Checked:
    """One system's verdict: `check`'s reports of its packages, and its markers."""

    plan: Plan
    #: `check`'s verdict on each of its packages (and on the system, when it has findings).
    subjects: list[Subject]
    markers: list[MarkerSeen] = field(default_factory=list)
    #: Whether this run checked it (False: its verdict came from the cache).
    fresh: bool = True

    @property
    def verdict(self) -> str:
        from marker_tool.model import verdict_of

        return verdict_of((), verdicts=(s.verdict for s in self.subjects))


@dataclass(slots=True)
class Audit:
    """What an audit found."""

    mirror: str
    suites: list[Suite]
    systems: list[Checked]
    stats: Stats
    strict: bool = False
    #: Wall seconds of the run.
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return all(s.verdict != "FAILED" for s in self.systems)

    @property
    def errors(self) -> list[str]:
        """Indexes that could not be trusted, each with its suite: an input error (exit 2)."""
        return [f"{s.name}: {e}" for s in self.suites for e in s.errors]


def audit(
    mirror_root: str,
    *,
    options: Options,
    cache_dir: Path,
    progress: Progress | None = None,
) -> Audit:
    """Audit the suites of the repository at `mirror_root` (a URL or a local folder)."""
    started = time.monotonic()
    run = Context(Mirror(mirror_root), Cache(cache_dir), options)
    if progress is not None:
        run.progress = progress
    kind = _kind(run.mirror, options)
    suites: list[Suite] = []
    if kind == "rpm-md":
        from marker_tool.audit.rpmmd import rpmmd_suite

        for name in options.suites or ("",):
            suites.append(rpmmd_suite(run, name))
    else:
        if not options.suites:
            raise MarkerToolError(
                "name the suites to audit",
                file=mirror_root,
                hint="--suite bookworm (repeatable)",
            )
        from marker_tool.audit.apt import apt_suite

        for name in options.suites:
            suites.append(apt_suite(run, name))
    plans = [plan for suite in suites for plan in suite.plans]
    paths, failed = _fetch_all(run, plans)
    systems = _check_all(run, plans, paths, failed)
    run.progress.finish()
    return Audit(
        run.mirror.root, suites, systems, run.stats, options.strict, time.monotonic() - started
    )


def _kind(mirror: Mirror, options: Options) -> str:
    """`apt` or `rpm-md`, by what the mirror's root holds."""
    if not mirror.url:
        if os.path.isdir(os.path.join(mirror.root, "dists")):
            return "apt"
        first = options.suites[0] if options.suites else ""
        if os.path.isfile(os.path.join(mirror.root, first, "repodata", "repomd.xml")):
            return "rpm-md"
        raise MirrorError(
            "neither an apt repository (dists/) nor an rpm-md one (repodata/repomd.xml)",
            file=mirror.root,
            hint="give the repository's root: the folder that holds dists/ or repodata/",
        )
    if options.suites:
        return "apt"
    if mirror.exists("repodata/repomd.xml"):
        return "rpm-md"
    raise MarkerToolError(
        "name the suites to audit (an apt mirror's URL does not list them)",
        file=mirror.root,
        hint="--suite bookworm (repeatable)",
    )


# -- fetch ------------------------------------------------------------------------------


def _fetch_all(run: Context, plans: Sequence[Plan]) -> tuple[dict[str, Path], dict[str, str]]:
    """Every candidate in the cache: sha256 -> its path; and sha256 -> why it could not be."""
    cache, progress = run.cache, run.progress
    wanted: dict[str, Binary] = {}
    for plan in plans:
        for binary in plan.packages:
            wanted.setdefault(binary.sha256, binary)
    todo = [b for b in wanted.values() if not cache.has(Expected(b.size, b.sha256))]
    progress.start("fetching candidates", sum(b.size for b in todo), "bytes")
    paths: dict[str, Path] = {}
    failed: dict[str, str] = {}

    def one(binary: Binary) -> None:
        try:
            paths[binary.sha256] = fetch(
                run.mirror,
                cache,
                binary.filename,
                Expected(binary.size, binary.sha256),
                run.stats,
                kind="package",
                progress=progress.advance,
            )
        except MarkerToolError as exc:
            failed[binary.sha256] = str(exc)

    with ThreadPoolExecutor(max_workers=max(1, run.options.connections)) as pool:
        list(pool.map(one, wanted.values()))
    return paths, failed


# -- check ------------------------------------------------------------------------------


def _check_all(
    run: Context, plans: Sequence[Plan], paths: dict[str, Path], failed: dict[str, str]
) -> list[Checked]:
    """Each plan checked, or its verdict taken from the cache when nothing in it changed."""
    cache, options, progress = run.cache, run.options, run.progress
    limits = options.limits
    keys = {
        plan.label: derived_key(
            "check", plan.to_json(), options.strict, limits.decompressed, limits.members
        )
        for plan in plans
    }
    results: dict[str, Checked] = {}
    todo: list[Plan] = []
    for plan in plans:
        if any(b.sha256 in failed for b in plan.packages):
            results[plan.label] = _unfetched(plan, failed, options.strict)
            continue
        cached = load_derived(cache.derived("check", keys[plan.label]))
        loaded = _from_json(plan, cached) if cached is not None else None
        if loaded is not None:
            results[plan.label] = loaded
        else:
            todo.append(plan)
    progress.start("checking systems", len(todo), "systems")
    # Systems go to check in batches, so the display moves; each batch still reads
    # its packages in parallel processes.
    workers = max(1, options.jobs or os.cpu_count() or 1)
    batch: list[Plan] = []
    weight = 0
    for n, plan in enumerate(todo):
        batch.append(plan)
        weight += len(plan.packages)
        if weight >= 4 * workers or n == len(todo) - 1:
            for checked in _check_batch(batch, paths, options):
                results[checked.plan.label] = checked
                save_derived(cache.derived("check", keys[checked.plan.label]), _to_json(checked))
            progress.advance(len(batch))
            batch, weight = [], 0
    return [results[plan.label] for plan in plans]


def _check_batch(plans: list[Plan], paths: dict[str, Path], options: Options) -> list[Checked]:
    from dataclasses import replace

    from marker_tool.check import check_systems

    where = {str(paths[b.sha256]): b for plan in plans for b in plan.packages}
    reports = check_systems(
        {plan.label: [paths[b.sha256] for b in plan.packages] for plan in plans},
        strict=options.strict,
        limits=options.limits,
        jobs=options.jobs,
    )
    fixed = []
    for report in reports:
        binary = where.get(report.source)
        fixed.append(replace(report, source=binary.filename) if binary is not None else report)
    by_system: dict[str, list[Subject]] = {}
    for subject in package_subjects(fixed):
        by_system.setdefault(str(subject.document["system"]), []).append(subject)
    checked = []
    for plan in plans:
        markers = _markers_of(plan, paths, options.limits)
        checked.append(Checked(plan, by_system.get(plan.label, []), markers))
    return checked


MarkerReader = Callable[[str, Limits], Any]


def _markers_of(plan: Plan, paths: dict[str, Path], limits: Limits) -> list[MarkerSeen]:
    """The markers the system's packages ship, with their bytes, and who diverts them.

    `check` reports what pip shows; the report also shows the file itself,
    so the packages that ship one are read again for it.
    """
    from marker_tool.errors import PackageError
    from marker_tool.integrations.debian import diverted_paths
    from marker_tool.sources.detect import read

    packages = []
    for binary in plan.packages:
        try:
            packages += read(str(paths[binary.sha256]), limits) or []
        except (PackageError, MarkerToolError, OSError):
            continue  # check reported it (EM600)
    diverters: dict[str, str] = {}
    for package in packages:
        for script in package.scripts.values():
            for where in diverted_paths(script, package.name or ""):
                diverters.setdefault(where.lstrip("/"), _label(package))
    seen = []
    for package in packages:
        for where, entry in sorted(package.entries.items()):
            if where.rpartition("/")[2] != "EXTERNALLY-MANAGED" or entry.kind == "directory":
                continue
            diverter = diverters.get(where)
            seen.append(
                MarkerSeen(
                    _label(package),
                    where,
                    package.markers.get(where),
                    diverter if diverter != _label(package) else None,
                )
            )
    return seen


def _label(package: Any) -> str:
    return "_".join(p for p in (package.name, package.version, package.arch) if p)


def _unfetched(plan: Plan, failed: dict[str, str], strict: bool) -> Checked:
    """A system one of whose packages could not be fetched: failed, saying why."""
    from marker_tool.check import PackageReport
    from marker_tool.check.registry import get_rule
    from marker_tool.model import Finding

    reports = []
    for binary in plan.packages:
        if binary.sha256 not in failed:
            continue
        finding = Finding("EM600", get_rule("EM600").severity, failed[binary.sha256])
        label = f"{binary.name}_{binary.version}_{binary.arch}"
        reports.append(
            PackageReport(
                source=binary.filename,
                label=label,
                findings=(finding,),
                strict=strict,
                system=plan.label,
            )
        )
    return Checked(plan, package_subjects(reports), fresh=True)


# -- the cache of check's verdicts ------------------------------------------------------


def _to_json(checked: Checked) -> dict[str, Any]:
    return {
        "subjects": [subject_to_json(s) for s in checked.subjects],
        "markers": [m.to_json() for m in checked.markers],
    }


def _from_json(plan: Plan, data: Any) -> Checked | None:
    try:
        return Checked(
            plan,
            [subject_from_json(s) for s in data["subjects"]],
            [MarkerSeen.from_json(m) for m in data["markers"]],
            fresh=False,
        )
    except (KeyError, TypeError, ValueError):
        return None


def _located_json(item: Located) -> dict[str, Any]:
    f = item.finding
    return {
        "code": f.code,
        "severity": f.severity.value,
        "message": f.message,
        "line": f.line,
        "file": f.file,
        "where": item.where,
        "reason": item.reason,
    }


def _located_from(data: dict[str, Any]) -> Located:
    from marker_tool.model import Finding, Severity

    finding = Finding(
        data["code"], Severity(data["severity"]), data["message"], data["line"], data["file"]
    )
    return Located(finding, data["where"], data["reason"])


def subject_to_json(subject: Subject) -> dict[str, Any]:
    """One package's verdict as `check`'s output has it, every field kept (for the cache)."""
    return {
        "name": subject.name,
        "path": subject.path,
        "verdict": subject.verdict,
        "findings": [_located_json(i) for i in subject.findings],
        "document": subject.document,
        "title": subject.title,
        "waived": [_located_json(i) for i in subject.waived],
        "notes": list(subject.notes),
    }


def subject_from_json(data: dict[str, Any]) -> Subject:
    verdict = data["verdict"]
    if verdict not in VERDICTS:
        raise ValueError(verdict)
    return Subject(
        name=data["name"],
        path=data["path"],
        verdict=verdict,
        findings=tuple(_located_from(i) for i in data["findings"]),
        entry=functools.partial(dict, data["document"]),
        title=data["title"],
        waived=tuple(_located_from(i) for i in data["waived"]),
        notes=tuple(data["notes"]),
    )
