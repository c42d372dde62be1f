"""check agrees with the real programs: the differential oracle over every Python Debian builds.

For each system below, the truth comes from the system itself (tests/oracle.py:
every interpreter in it is run there and says where its stdlib is and whether
the real pip and uv install or refuse, with which text), and check's verdict
on the same input must read the same stdlib dirs, the same marked or not,
the same text. A disagreement fails the test and names both readings.

- `debs-SUITE`: every binary package of the suite's Python source builds
  (every python3.X, pypy3, python3-defaults; amd64 and `all`), as the suite's
  chroot installed them (its apt cache), checked together; the truth is that
  chroot's interpreters (those dpkg says the packages installed).
  `pypy-SUITE`: the pypy3 build alone.
- `debs-trixie-ARCHES-via-amd64`: trixie's builds for arm64 and for i386 alone,
  and with amd64 together (Multi-Arch: same). They cannot run here: the truth
  is the amd64 build's interpreters, and the test id says so; together, dpkg
  unpacks the other architectures' marker packages beside the amd64 ones and
  says whether it shares their markers (EM608's truth).
- `nomarker-SUITE`: the suite's pypy3 build with pypy3-lib rebuilt without its
  marker; the truth is the chroot after `dpkg -i` of that package.
- `tree-SUITE`: the suite's chroot as a tree, with a venv and a /usr/local
  Python. `rootfs-SUITE`: a root filesystem tarball, read as a tarball; the
  truth is its extraction by tar.
- `image-SUITE-CASE`: the images of tests/oracle_images.py; the truth is the
  image as umoci, containers-storage vfs and overlay apply it. Where the
  runtimes disagree, the image is ambiguous and check must say so (a finding
  naming the stdlib dir or path the runtimes disagree about), and
  `--require-python` must fail for a Python that is gone under any runtime.

Then: the trixie python3.13 build for amd64, arm64 and i386 together passes;
bookworm's and trixie's pypy3 builds pass without EM603; a pypy3 build without
its marker fails; and check gives EM600 for exactly the .debs that dpkg-deb
refuses (tests/oracle_ar.py). The counts (systems, interpreters, packages,
agreements) are printed at the end of the session.

Runs as root (chroot, mount); in CI a missing tool fails instead of skipping.
"""

from __future__ import annotations

import functools
import posixpath
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from marker_tool.check import PackageReport, check, check_systems
from marker_tool.model import PythonVersion
from tests import oracle, oracle_images, oracle_systems
from tests.chroots import require_root, throwaway
from tests.corpus import SUITES, Binary
from tests.oracle import CheckReading, Interpreter, Tally, Truth, ask_all, checks_reading
from tests.oracle_images import CASES
from tests.oracle_systems import IMAGED, binaries, installed, paths, python_chroot
from tests.realprograms import note_program

pytestmark = pytest.mark.real

#: The suite whose builds are fetched for other architectures too (tests/corpus.py).
MULTIARCH = "trixie"
FOREIGN = ("arm64", "i386")
#: PyPy's source package, whose builds are also checked alone.
PYPY = "pypy3"


# -- what the session found, for the summary ---------------------------------------------


TALLY = Tally()


@pytest.fixture(autouse=True)
def _tallied(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test's share of the tally, handed to the session's summary as a user property
    (under pytest-xdist the summary is written by another process)."""
    TALLY.take()
    yield
    request.node.user_properties.append((Tally.PROPERTY, TALLY.take()))


# -- the truth of each suite's Python builds, asked once per session ---------------------


@functools.cache
def tree_reports(suite: str) -> list[PackageReport]:
    """check's reports on the suite's chroot as a tree: a venv and a /usr/local Python
    beside the packages."""
    with oracle_systems.tree(suite) as root:
        return check([root])


@functools.cache
def tree_truth(suite: str) -> Truth:
    """Every interpreter of that tree, asked there."""

    def ask() -> Truth:
        with oracle_systems.tree(suite) as root:
            return Truth(f"{suite} chroot with a venv and /usr/local", ask_all(root))

    return oracle.remembered(f"tree-{suite}", ask, oracle.truth_from_json)


def packaged_by(suite: str, interpreters: list[Interpreter], group: list[Binary]) -> list[str]:
    """The interpreters whose binary one of `group`'s packages installed (dpkg says which)."""
    root = python_chroot(suite)
    real = {}
    for interpreter in interpreters:
        found = oracle.inside(root, interpreter.path)
        if found is not None:
            real[interpreter.path] = "/" + str(found.relative_to(root))
    owner = oracle_systems.owners(root, sorted(set(real.values())))
    names = {b.name for b in group}
    return [path for path, file in real.items() if owner.get(file) in names]


def build_truth(suite: str, group: list[Binary], via: str | None = None) -> Truth:
    """The truth about `group`: its interpreters, as they answer in the suite's chroot."""
    interpreters = tree_truth(suite).interpreters
    mine = set(packaged_by(suite, interpreters, group))
    names = {b.name for b in group}
    owners = {
        path: found
        for path, found in oracle_systems.marker_owners(python_chroot(suite)).items()
        if any(owner.split(":")[0] in names for owner in found)
    }
    return Truth(
        f"{suite} chroot",
        [i for i in interpreters if i.path in mine],
        via=via,
        owners=owners,
    )


def foreign_truth(suite: str, arches: list[str]) -> Truth:
    """The amd64 build's interpreters (the others do not run here), and dpkg's answer
    to unpacking the other architectures' copies of the marker packages beside them."""
    native = binaries(suite)
    foreign = [a for a in arches if a != "amd64"]
    via = f"the amd64 build's interpreters; {' and '.join(foreign)} do not run here"
    truth = build_truth(suite, native, via)
    if "amd64" in arches:  # together: what dpkg does with the shared markers
        holders = {o.split(":")[0] for owners in (truth.owners or {}).values() for o in owners}
        copies = [p for p in paths(binaries(suite, foreign)) if p.name.split("_")[0] in holders]
        truth.owners, truth.refused = oracle_systems.side_by_side(suite, copies)
    return truth


# -- the systems -------------------------------------------------------------------------


@dataclass
class System:
    """One system of the oracle: check's input, and how to ask the system itself."""

    id: str
    #: What check reads: the packages installed together, or one tarball, image or tree.
    check: Callable[[], list[PackageReport]]
    truth: Callable[[], Truth]
    packages: list[Path] = field(default_factory=list)


def package_system(system_id: str, files: list[Path], truth: Callable[[], Truth]) -> System:
    return System(system_id, lambda: check_systems({system_id: files}), truth, list(files))


def multiarch_ids() -> list[str]:
    together = "+".join(("amd64", *FOREIGN))
    return [f"debs-{MULTIARCH}-{arches}-via-amd64" for arches in (*FOREIGN, together)]


SYSTEM_IDS = (
    [f"debs-{s}" for s in SUITES]
    + multiarch_ids()
    + [f"pypy-{s}" for s in SUITES]
    + [f"nomarker-{s}" for s in IMAGED]
    + [f"tree-{s}" for s in SUITES]
    + [f"rootfs-{s}" for s in IMAGED]
    + [f"image-{s}-{case}" for s in IMAGED for case in CASES]
)


@functools.cache
def system(system_id: str) -> System:
    kind, suite, *rest = system_id.split("-", 2)
    what = rest[0] if rest else ""
    if kind == "debs" and not what:
        group = binaries(suite)
        return package_system(system_id, installed(suite, group), lambda: build_truth(suite, group))
    if kind == "debs":
        arches = what.removesuffix("-via-amd64").split("+")
        group = binaries(suite, [*arches, "all"])
        return package_system(system_id, paths(group), lambda: foreign_truth(suite, arches))
    if kind == "pypy":
        group = binaries(suite, sources=[PYPY])
        return package_system(system_id, installed(suite, group), lambda: build_truth(suite, group))
    if kind == "nomarker":
        return nomarker_system(system_id, suite)
    if kind == "tree":
        return System(
            system_id,
            lambda: tree_reports(suite),
            lambda: tree_truth(suite),
        )
    if kind == "rootfs":
        tarball = oracle_systems.rootfs(suite)
        return System(
            system_id,
            lambda: check([tarball]),
            lambda: Truth(system_id, ask_all(oracle_systems.extracted(tarball, f"rootfs-{suite}"))),
        )
    if kind == "image":
        return image_system(system_id, suite, what)
    raise AssertionError(system_id)


def nomarker_system(system_id: str, suite: str) -> System:
    group = binaries(suite, sources=[PYPY])
    lib = next(p for p in installed(suite, group) if p.name.startswith("pypy3-lib_"))
    broken = oracle_systems.without_marker(lib)
    files = [broken if p == lib else p for p in installed(suite, group)]

    def truth() -> Truth:
        pypy = [
            i.path
            for i in tree_truth(suite).interpreters
            if i.implementation == "pypy" and not i.venv
        ]
        with throwaway(python_chroot(suite)) as chroot:
            shutil.copy(broken, chroot.path("/tmp") / broken.name)
            chroot.run(["dpkg", "--install", f"/tmp/{broken.name}"])
            interpreters = ask_all(chroot.root, pypy)
            owners = oracle_systems.marker_owners(chroot.root)
        return Truth(f"{suite} chroot after dpkg -i {broken.name}", interpreters, owners=owners)

    return package_system(system_id, files, truth)


def outcome(system_id: str) -> tuple[list[PackageReport], Truth]:
    """check's reports on a system, and its truth: each asked once per session."""
    # The truth is the real programs' answer, asked now, by an earlier test or an earlier run.
    note_program("the systems' interpreters, dpkg and the image runtimes")
    return _outcome(system_id)


@functools.cache
def _outcome(system_id: str) -> tuple[list[PackageReport], Truth]:
    subject = system(system_id)
    return subject.check(), oracle.remembered(system_id, subject.truth, oracle.truth_from_json)


# -- images ------------------------------------------------------------------------------


@dataclass
class ImageTruth:
    """What each runtime makes of an image: its interpreters, or why it refuses it."""

    by_runtime: dict[str, list[Interpreter] | str]
    #: Paths where the runtimes' file systems differ (a few, for the message).
    differences: list[str]


def image_truth(suite: str, case: str) -> ImageTruth:
    """Each runtime's view of the image, and its interpreters asked once per distinct view.

    A view whose listing (every path, kind, mode, owner, size and link) equals one
    already asked is the same file system, so it gives the same answers; such a view
    is not even mounted once its listing is known.
    """
    asked: dict[str, list[Interpreter]] = {}
    by_runtime: dict[str, list[Interpreter] | str] = {}
    digests: dict[str, str] = {}
    for runtime in oracle_images.RUNTIMES:
        digest, error = oracle_images.remembered(suite, case, runtime)
        if error is None and (digest is None or digest not in asked):
            with oracle_images.view(suite, case, runtime) as made:
                if made.root is None:
                    error = made.error
                else:
                    digest = oracle_images.digest_of(suite, case, made)
                    if digest not in asked:
                        asked[digest] = ask_all(made.root)
        if error is not None or digest is None:
            said = [line for line in (error or "").splitlines() if line.strip()]
            by_runtime[runtime] = f"refuses the image: {said[-1] if said else '?'}"
            continue
        digests[runtime] = digest
        by_runtime[runtime] = asked[digest]
    listings: dict[str, list[oracle_images.Entry]] = {}
    if len(set(digests.values())) > 1:
        for runtime in digests:
            with oracle_images.view(suite, case, runtime) as made:
                assert made.root is not None
                listings[runtime] = oracle_images.listing(made.root)
    return ImageTruth(by_runtime, oracle_images.differences(listings))


def readings(interpreters: list[Interpreter] | str) -> object:
    """What decides a runtime's truth: each interpreter's stdlib and pip's and uv's outcome."""
    if isinstance(interpreters, str):
        return "refused"
    return sorted(
        (i.path, i.error is None, i.stdlib, i.pip and (i.pip.outcome, i.pip.text))
        for i in interpreters
    )


def image_system(system_id: str, suite: str, case: str) -> System:
    layout = oracle_images.image(suite, case)

    def truth() -> Truth:
        found = image_truth_cached(suite, case)
        applied = {r: v for r, v in found.by_runtime.items() if not isinstance(v, str)}
        first = next(iter(applied.values()), [])
        ambiguities: list[str] = []
        if len({repr(readings(v)) for v in found.by_runtime.values()}) > 1:
            ambiguities = [
                f"{runtime}: {value if isinstance(value, str) else describe_runtime(value)}"
                for runtime, value in found.by_runtime.items()
            ] + [f"differs: {d}" for d in found.differences]
        return Truth(system_id, first, ambiguities=ambiguities)

    return System(system_id, lambda: check([layout]), truth)


def describe_runtime(interpreters: list[Interpreter]) -> str:
    parts = []
    for i in interpreters:
        if i.error is not None:
            parts.append(f"{i.path} does not run")
        elif not i.venv:
            parts.append(f"{i.stdlib}: pip {i.pip.outcome if i.pip else '?'}")
    return "applies it; " + ", ".join(parts)


# -- the test ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def ready() -> None:
    require_root()
    oracle_images.require_tools()


def gone_pythons(found: ImageTruth) -> list[PythonVersion]:
    """The CPythons that run under one runtime and not under another (or not at all there)."""
    running: dict[str, set[str]] = {}
    for runtime, value in found.by_runtime.items():
        if not isinstance(value, str):
            for i in value:
                if i.error is None and i.implementation == "cpython" and not i.venv and i.version:
                    running.setdefault(".".join(i.version.split(".")[:2]), set()).add(runtime)
    everywhere = set(found.by_runtime)
    return sorted(
        (PythonVersion.parse(v) for v, where in running.items() if where != everywhere), key=str
    )


@pytest.mark.parametrize("system_id", SYSTEM_IDS)
def test_check_agrees_with_the_real_programs(system_id: str, ready: None) -> None:
    subject = system(system_id)
    reports, truth = outcome(system_id)
    reading = checks_reading(reports)
    TALLY.systems.add(system_id)
    TALLY.packages.update(str(p) for p in subject.packages)
    TALLY.interpreters.update((truth.system, i.path) for i in truth.interpreters)
    if truth.ambiguities:
        assert_ambiguity_reported(system_id, truth, reading)
        return
    found = oracle.disagreements(truth, reading)
    compared = set(truth.stdlibs()) | set(reading.stdlibs)
    TALLY.agreements += sum(1 for d in compared if not any(f.startswith(f"{d}:") for f in found))
    TALLY.disagreements += [f"{system_id}: {d}" for d in found]
    assert not found, (
        f"{system_id}: check disagrees with the system's own programs"
        + (f" (truth from {truth.via})" if truth.via else "")
        + ":\n  "
        + "\n  ".join(found)
        + f"\ninterpreters asked: {', '.join(i.describe() for i in truth.interpreters)}"
        + f"\ncheck's verdict: {reading.verdict}; findings:\n    "
        + "\n    ".join(reading.findings)
    )


#: Codes that say something else (a missing, stale or misplaced marker ...): a finding
#: with one of them does not tell the user that the runtimes disagree.
OTHER_MEANINGS = {f"EM60{n}" for n in range(1, 9)}


def assert_ambiguity_reported(system_id: str, truth: Truth, reading: CheckReading) -> None:
    """check names the path the runtimes disagree about, and fails --require-python for a
    Python that is gone under one of them."""
    suite, case = system_id.split("-", 2)[1:]
    found = image_truth_cached(suite, case)
    disputed = disputed_paths(found)
    named = [
        f"{code} {where}: {message}"
        for code, where, message in reading.system_findings
        if code not in OTHER_MEANINGS and any(p in f"{where} {message}" for p in disputed)
    ]
    message = (
        f"{system_id}: the runtimes apply this image differently:\n  "
        + "\n  ".join(truth.ambiguities)
        + f"\ncheck's verdict: {reading.verdict}; findings:\n    "
        + "\n    ".join(reading.findings or ["(none)"])
    )
    if not named:
        TALLY.disagreements.append(
            f"{system_id}: the runtimes disagree; check names none of "
            f"{sorted(disputed)} ({'; '.join(truth.ambiguities)})"
        )
    assert named, message + f"\nno finding of check names any of {sorted(disputed)}"
    for python in gone_pythons(found):
        again = checks_reading(check([oracle_images.image(suite, case)], require_python=[python]))
        if again.verdict != "FAILED":
            TALLY.disagreements.append(f"{system_id}: --require-python {python} passes")
        assert again.verdict == "FAILED", (
            message + f"\n--require-python {python} passes, yet Python {python} is gone"
        )
    TALLY.agreements += 1


@functools.cache
def image_truth_cached(suite: str, case: str) -> ImageTruth:
    def load(data: dict[str, Any]) -> ImageTruth:
        by_runtime = {
            runtime: value if isinstance(value, str) else oracle.interpreters_from_json(value)
            for runtime, value in data["by_runtime"].items()
        }
        return ImageTruth(by_runtime, data["differences"])

    return oracle.remembered(f"runtimes-{suite}-{case}", lambda: image_truth(suite, case), load)


def disputed_paths(found: ImageTruth) -> set[str]:
    """The stdlib dirs whose reading differs between runtimes, and the paths that differ."""
    per_runtime: dict[str, dict[str, object]] = {}
    for runtime, value in found.by_runtime.items():
        per_runtime[runtime] = (
            {}
            if isinstance(value, str)
            else {
                oracle.stdlib_key(i.stdlib or ""): (i.error, i.pip and i.pip.outcome)
                for i in value
                if not i.venv and i.stdlib
            }
        )
    dirs = {d for readings in per_runtime.values() for d in readings}
    return {d for d in dirs if len({repr(r.get(d)) for r in per_runtime.values()}) > 1} | {
        posixpath.normpath(d.split(" ", 1)[0]) for d in found.differences
    }


# -- the verdicts the model must reach ---------------------------------------------------


def test_multiarch_python_build_passes_together(ready: None) -> None:
    """libpython3.13-stdlib is Multi-Arch: same: dpkg installs the three copies side by side."""
    reports, _ = outcome(multiarch_ids()[-1])
    python = {b.name for b in binaries(MULTIARCH, (*FOREIGN, "amd64", "all"), ["python3.13"])}
    mine = [r for r in reports if r.label.split("_")[0] in python]
    assert len(mine) == len(binaries(MULTIARCH, ("amd64", *FOREIGN, "all"), ["python3.13"]))
    failed = [f"{r.label}: {r.verdict} {r.codes()}" for r in mine if not r.passed]
    assert not failed, "\n".join(failed)
    assert not [r.label for r in mine if "EM608" in r.codes()]


@pytest.mark.parametrize("suite", IMAGED)
def test_pypy_build_passes_without_em603(suite: str, ready: None) -> None:
    reports, _ = outcome(f"pypy-{suite}")
    assert all(r.passed for r in reports), [(r.label, r.verdict, r.codes()) for r in reports]
    assert not [r for r in reports if "EM603" in r.codes()], [(r.label, r.codes()) for r in reports]


@pytest.mark.parametrize("suite", IMAGED)
def test_pypy_build_without_its_marker_fails(suite: str, ready: None) -> None:
    reports, truth = outcome(f"nomarker-{suite}")
    pypy = [i for i in truth.interpreters if i.implementation == "pypy"]
    assert pypy, truth
    assert all(i.pip is not None and i.pip.outcome == "installs" for i in pypy), pypy
    assert any(r.verdict == "FAILED" for r in reports), [(r.label, r.codes()) for r in reports]


# -- what dpkg-deb refuses ---------------------------------------------------------------


def test_em600_exactly_where_dpkg_deb_refuses(tmp_path: Path) -> None:
    from tests import oracle_ar

    variants = oracle_ar.variants(tmp_path)
    with ThreadPoolExecutor(max_workers=2) as pool:
        refused = dict(
            zip(variants, pool.map(oracle_ar.dpkg_deb_refuses, variants.values()), strict=True)
        )
    reports = check_systems({name: [path] for name, path in variants.items()})
    em600 = {r.system: r for r in reports if "EM600" in r.codes()}
    wrong: dict[str, list[str]] = {}
    for name in variants:
        if bool(refused[name]) == (name in em600):
            continue
        if refused[name]:
            how = f"dpkg-deb refuses ({refused[name]}); check reads it"
        else:
            message = next(f.message for f in em600[name].findings if f.code == "EM600")
            how = f"dpkg-deb accepts it; check gives EM600 ({message})"
        wrong.setdefault(how.replace(str(variants[name]), "X.deb"), []).append(name)
    TALLY.judged_debs = len(variants)
    count = sum(len(names) for names in wrong.values())
    TALLY.agreements += len(variants) - count
    TALLY.disagreements += [f"ar: {how}: {', '.join(names)}" for how, names in wrong.items()]
    assert any(refused.values()), "dpkg-deb refused none: the variants test nothing"
    assert not all(refused.values()), "dpkg-deb refused all: the variants test nothing"
    assert not wrong, f"{count} of {len(variants)} .debs:\n" + "\n".join(
        f"{how}: {len(names)} .debs ({', '.join(names[:8])}{' ...' if len(names) > 8 else ''})"
        for how, names in sorted(wrong.items())
    )
