"""The differential oracle: the truth about a system's markers, from the real programs in it.

A *system* is a root file system the tests made or fetched: a chroot that
dpkg installed a suite's Python builds into, a root filesystem tarball
extracted by tar, an image unpacked by umoci or mounted from containers-storage
(vfs, overlay). Its truth is what its own programs say, never our reading of
its files: every interpreter in it (`python3.X`, its debug and no-PIE builds,
`pypy3`, a `/usr/local` Python, a venv) is run inside it with chroot and asked,
in one process each (tests/oracle_probe.py), for `sysconfig.get_path("stdlib")`,
its prefixes and implementation, and what the real pip (PyPI's, on its
`sys.path`) and the real uv (`uv pip install --system --python INTERPRETER`)
do for an install: refuse with the marker's text, or go ahead.

`check`'s verdict on the same input (the .debs, the tarball, the image) is
turned into the same shape by `checks_reading`, the one place that reads
check's reports, and `disagreements` names every stdlib dir where the two
readings differ, with both readings.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import os
import posixpath
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar, cast

from marker_tool.check import PackageReport
from marker_tool.model import MARKER_NAME
from marker_tool.preview import pip_block
from tests.chroots import Chroot, throwaway
from tests.realprograms import CONSUMERS, missing, note_program, pip_path, uv_binary

REPO = Path(__file__).resolve().parent.parent
ORACLE = REPO / "build" / "oracle"
PROBE = Path(__file__).with_name("oracle_probe.py")
#: pip 24.0 runs on Python 3.7 to 3.9 (bullseye's and bookworm's PyPy, bullseye's
#: CPython), which today's pip does not.
PIP_OLD = CONSUMERS / "pip-24.0"
#: Where the probe, pip and uv are mounted inside a system.
INSIDE = "/tmp/marker-tool-oracle"
#: Byte code of pip for every interpreter asked, kept between runs.
PYCACHE = ORACLE / "pycache"
#: An interpreter's name: `python3.13`, `python3.13d`, `python3.11-dbg`, `pypy3`,
#: `python3.14t`, `python3.13-pie` (where python3.13-nopie diverts Debian's binary
#: to); not `python3.13-config` or `pypy3clean`.
INTERPRETER = re.compile(r"(?:python|pypy)(?:\d+(?:\.\d+)?)?(?:d|t|-dbg|-pie|-nopie)?")
#: Where interpreters are looked for, besides every venv's bin/.
BIN_DIRS = ("usr/bin", "usr/local/bin", "bin")
#: Where venvs are looked for (a `pyvenv.cfg` at most this deep below them).
VENV_PARENTS = ("opt", "srv", "root", "home", "usr/local")
VENV_DEPTH = 3
#: The environment of every probe: repeatable output, no user or machine configuration.
PROBE_ENV = {
    "NO_COLOR": "1",
    "TERM": "dumb",
    "PIP_CONFIG_FILE": "/dev/null",
    "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    "PIP_NO_INPUT": "1",
    "PIP_ROOT_USER_ACTION": "ignore",
    # pip's modules compiled once per interpreter, kept under build/: nothing is written
    # into the system's own __pycache__ dirs (Python 3.8 and later; PyPy 3.7 compiles).
    "PYTHONPYCACHEPREFIX": f"{INSIDE}/pycache",
    "UV_CACHE_DIR": f"{INSIDE}/uv-cache",
    "UV_NO_PROGRESS": "1",
    "UV_PYTHON_DOWNLOADS": "never",
}
#: What pip and uv print when they refuse.
PIP_REFUSES = "error: externally-managed-environment"
UV_REFUSES = "is externally managed"
#: What they print when they went ahead and looked for the package.
PIP_LOOKED = "No matching distribution found for nothing-xyz"
UV_LOOKED = "nothing-xyz"


@dataclass
class Tally:
    """What the oracle's tests compared, for the session's summary (tests/conftest.py)."""

    PROPERTY: ClassVar[str] = "oracle-tally"

    systems: set[str] = field(default_factory=set)
    interpreters: set[tuple[str, str]] = field(default_factory=set)
    packages: set[str] = field(default_factory=set)
    agreements: int = 0
    disagreements: list[str] = field(default_factory=list)
    #: Broken .debs whose verdict was compared with dpkg-deb's.
    judged_debs: int = 0

    def take(self) -> dict[str, Any]:
        """What was tallied since the last take, as JSON; the tally starts again."""
        share = {
            "systems": sorted(self.systems),
            "interpreters": sorted(self.interpreters),
            "packages": sorted(self.packages),
            "agreements": self.agreements,
            "disagreements": self.disagreements,
            "judged_debs": self.judged_debs,
        }
        self.systems, self.interpreters, self.packages = set(), set(), set()
        self.agreements, self.disagreements, self.judged_debs = 0, [], 0
        return share

    def add(self, share: Mapping[str, Any]) -> None:
        self.systems.update(share["systems"])
        self.interpreters.update(tuple(i) for i in share["interpreters"])
        self.packages.update(share["packages"])
        self.agreements += share["agreements"]
        self.disagreements += share["disagreements"]
        self.judged_debs += share["judged_debs"]

    def lines(self) -> list[str]:
        counts = (
            f"systems {len(self.systems)}, interpreters {len(self.interpreters)}, "
            f"packages {len(self.packages)}, .debs judged against dpkg-deb {self.judged_debs}, "
            f"agreements {self.agreements}, disagreements {len(self.disagreements)}"
        )
        return [counts, *(f"  {line[:400]}" for line in self.disagreements)]


# -- resolving paths inside a root, as its kernel would ------------------------------------


def inside(root: Path, path: str, *, follow_last: bool = True) -> Path | None:
    """`path` of the system at `root`, every symlink followed inside that root.

    An absolute link target starts again at `root` and `..` stops there, so a
    system's links never lead out to this machine's files. None: not there, or
    a loop.
    """
    parts = [p for p in path.split("/") if p not in ("", ".")]
    done: list[str] = []
    hops = 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            if done:
                done.pop()
            continue
        here = root.joinpath(*done, part)
        if here.is_symlink() and (parts or follow_last):
            hops += 1
            if hops > 40:
                return None
            target = os.readlink(here)
            if target.startswith("/"):
                done = []
            parts = [p for p in target.split("/") if p not in ("", ".")] + parts
            continue
        if not here.exists() and not here.is_symlink():
            return None
        done.append(part)
    return root.joinpath(*done)


def venvs(root: Path) -> list[str]:
    """Every venv of the system (a directory with `pyvenv.cfg`), as paths inside it."""
    found: list[str] = []
    for parent in VENV_PARENTS:
        top = inside(root, parent)
        if top is None or not top.is_dir():
            continue
        for directory, subdirs, files in os.walk(top):
            depth = len(Path(directory).relative_to(top).parts)
            if "pyvenv.cfg" in files:
                found.append("/" + str(Path(directory).relative_to(root)))
            if depth >= VENV_DEPTH:
                subdirs.clear()
    return sorted(found)


def find_interpreters(root: Path) -> list[str]:
    """Every interpreter of the system at `root`, one path inside it for each.

    A binary reached by several names (`python3`, `python3.13`) is asked once;
    a venv's is its own interpreter, as it answers from its own prefix.
    """
    chosen: dict[tuple[Path, str], str] = {}
    venv_list = venvs(root)
    for directory in [*BIN_DIRS, *(f"{v.lstrip('/')}/bin" for v in venv_list)]:
        host = inside(root, directory)
        if host is None or not host.is_dir():
            continue
        if directory == "bin" and (root / "bin").is_symlink():
            continue  # merged /usr: the same files as usr/bin
        venv = next((v for v in venv_list if directory == f"{v.lstrip('/')}/bin"), "")
        for entry in sorted(os.listdir(host)):
            if not INTERPRETER.fullmatch(entry):
                continue
            real = inside(root, f"{directory}/{entry}")
            if real is None or not real.is_file() or not os.access(real, os.X_OK):
                continue
            name = f"/{directory}/{entry}"
            key = (real, venv)
            # The binary's own name where it has one (`python3.13`, not `python3`).
            if key not in chosen or real.name == entry:
                chosen[key] = name
    return sorted(chosen.values())


# -- what the programs say ---------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """What pip or uv did when asked to install."""

    #: `refused` (externally managed), `installs` (went ahead and looked for the
    #: package), or `failed` (neither: a traceback, an unsupported Python).
    outcome: str
    #: The message the program printed from the marker, or its own (refused only).
    text: str | None
    output: str


def pip_message(output: str) -> str | None:
    """The message pip prints in its `╰─>` block, indentation taken off."""
    lines = output.split("\n")
    start = next((n for n, line in enumerate(lines) if line.startswith("╰─> ")), None)
    if start is None:
        return None
    message = [lines[start][4:]]
    for line in lines[start + 1 :]:
        if not line.startswith("    "):
            break
        message.append(line[4:])
    return "\n".join(message)


def uv_message(output: str) -> str | None:
    """The message uv prints under `indicates the following:`, indentation taken off."""
    _, found, rest = output.partition("indicates the following:\n\n")
    if not found:
        return None
    message = rest.split("\n\nhint:", 1)[0]
    return "\n".join(line[2:] for line in message.split("\n"))


def pip_attempt(said: Mapping[str, Any]) -> Attempt:
    output = str(said.get("output", ""))
    if PIP_REFUSES in output:
        return Attempt("refused", pip_message(output), output)
    if PIP_LOOKED in output:
        return Attempt("installs", None, output)
    return Attempt("failed", None, output)


def uv_attempt(said: Mapping[str, Any]) -> Attempt:
    output = str(said.get("output", ""))
    if UV_REFUSES in output:
        return Attempt("refused", uv_message(output), output)
    if UV_LOOKED in output and said.get("exit") == 1:
        return Attempt("installs", None, output)
    return Attempt("failed", None, output)


@dataclass(frozen=True)
class Interpreter:
    """One interpreter of a system, and what it and its pip and uv said."""

    #: The path it was run as, inside the system.
    path: str
    implementation: str | None = None
    version: str | None = None
    prefix: str | None = None
    base_prefix: str | None = None
    #: `sysconfig.get_path("stdlib")`, a path inside the system.
    stdlib: str | None = None
    pip: Attempt | None = None
    uv: Attempt | None = None
    #: Why it could not be asked (it does not run there).
    error: str | None = None

    @property
    def venv(self) -> bool:
        return self.prefix != self.base_prefix

    def describe(self) -> str:
        if self.error is not None:
            return f"{self.path} (does not run: {self.error})"
        return f"{self.path} ({self.implementation} {self.version})"


def probe(root: Chroot, interpreter: str) -> Interpreter:
    """Ask `interpreter` inside the system (see tests/oracle_probe.py)."""
    ran = root.run(
        [
            interpreter,
            f"{INSIDE}/probe.py",
            f"{INSIDE}/pip",
            f"{INSIDE}/pip-old",
            f"{INSIDE}/uv",
            interpreter,
        ],
        check=False,
        env=PROBE_ENV,
        timeout=600,
    )
    try:
        said = json.loads(ran.stdout.strip().rsplit("\n", 1)[-1])
    except (ValueError, IndexError):
        tail = (ran.stderr or ran.stdout).strip().splitlines()[-3:]
        return Interpreter(interpreter, error=" / ".join(tail) or f"exit {ran.returncode}")
    return Interpreter(
        interpreter,
        said["implementation"],
        said["version"],
        said["prefix"],
        said["base_prefix"],
        said["stdlib"],
        pip_attempt(said["pip"]),
        uv_attempt(said["uv"]),
    )


def _bind(source: Path, target: Path, *, writable: bool = False) -> None:
    if source.is_dir():
        target.mkdir(parents=True, exist_ok=True)
    else:
        target.touch()
    subprocess.run(["mount", "--bind", str(source), str(target)], check=True)
    if not writable:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(target)], check=True)


@contextlib.contextmanager
def asking(view: Path) -> Iterator[Chroot]:
    """A throwaway copy of the system at `view` with the probe, pip and uv in it.

    pip and uv are mounted read-only from the test environment: nothing is
    installed into the system, and its own files stay as they are.
    """
    if not PIP_OLD.is_dir():
        missing(f"pip 24.0 in {PIP_OLD}")
    tools = {"pip": pip_path(), "pip-old": PIP_OLD, "uv": uv_binary()}
    PYCACHE.mkdir(parents=True, exist_ok=True)
    with throwaway(view) as chroot:
        here = chroot.path(INSIDE)
        here.mkdir(parents=True)
        shutil.copy(PROBE, here / "probe.py")
        for name, source in tools.items():
            _bind(source, here / name)
        _bind(PYCACHE, here / "pycache", writable=True)
        yield chroot


def ask_all(view: Path, interpreters: Sequence[str] | None = None) -> list[Interpreter]:
    """Every interpreter of the system at `view` (or those named), asked two at a time."""
    names = find_interpreters(view) if interpreters is None else list(interpreters)
    with asking(view) as chroot, ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda name: probe(chroot, name), names))


# -- the two readings of a system ----------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """One stdlib dir, as one side reads it."""

    #: Whether pip refuses to install into that Python (None: its interpreters disagree).
    marked: bool | None
    #: The message pip shows (None: no marker, or no text).
    text: str | None
    #: Who says so: the interpreters, or check's finding.
    by: str
    #: Whether uv refuses too (the truth's side; None: not asked, or check's side).
    uv_marked: bool | None = None
    #: The message uv shows.
    uv_text: str | None = None
    #: The marker's bytes, where the side has them.
    data: bytes | None = None


def stdlib_key(path: str) -> str:
    """A stdlib dir as both sides name it: relative to the system's root, no slashes around."""
    return posixpath.normpath("/" + path).strip("/")


@dataclass
class Truth:
    """What a system's own programs say."""

    system: str
    interpreters: list[Interpreter]
    #: Where this truth comes from, when not from the system itself (another architecture).
    via: str | None = None
    #: Runtimes that disagree about the system, and how (images).
    ambiguities: list[str] = field(default_factory=list)
    #: The packages dpkg says own each marker once they are installed (None: not asked).
    owners: dict[str, list[str]] | None = None
    #: dpkg's refusals to overwrite a file of another package.
    refused: list[str] = field(default_factory=list)

    def stdlibs(self) -> dict[str, Reading]:
        """Every stdlib dir pip reads a marker from: each running, non-venv interpreter's.

        A venv's pip never reads a marker (PEP 668), and a venv's stdlib is its
        base's, so venvs name none.
        """
        by_dir: dict[str, list[Interpreter]] = {}
        for interpreter in self.interpreters:
            if interpreter.error is None and not interpreter.venv and interpreter.stdlib:
                by_dir.setdefault(stdlib_key(interpreter.stdlib), []).append(interpreter)
        out: dict[str, Reading] = {}
        for directory, group in sorted(by_dir.items()):
            seen = {(i.pip.outcome, i.pip.text) for i in group if i.pip is not None}
            names = ", ".join(i.path for i in group)
            if len(seen) != 1:
                said = "; ".join(f"{i.path}: pip {i.pip and i.pip.outcome}" for i in group)
                out[directory] = Reading(None, None, f"{names} disagree ({said})")
                continue
            [(outcome, text)] = seen
            if outcome == "failed":
                said = "; ".join(
                    f"{i.path}: {(i.pip.output.strip().splitlines() or ['?'])[-1]}"
                    for i in group
                    if i.pip is not None
                )
                out[directory] = Reading(None, None, f"pip fails, so it says nothing ({said})")
                continue
            uv = [i.uv for i in group if i.uv is not None and i.uv.outcome != "failed"]
            out[directory] = Reading(
                outcome == "refused",
                text,
                f"pip run by {names}" + (f" ({self.via})" if self.via else ""),
                uv_marked=(uv[0].outcome == "refused") if uv else None,
                uv_text=uv[0].text if uv else None,
            )
        return out


@dataclass
class CheckReading:
    """What check's reports say about one system."""

    stdlibs: dict[str, Reading]
    #: Markers check reads in no stdlib dir: path -> the finding (EM602, EM603).
    elsewhere: dict[str, str]
    verdict: str
    #: Every finding, `CODE label path: message`, for messages.
    findings: list[str]
    #: Markers check says two packages ship and dpkg refuses (EM608): path -> message.
    conflicts: dict[str, str] = field(default_factory=dict)
    #: The findings about packages and systems (not about a marker's text): (code, path or
    #: "", message), for a finding that names a path the runtimes disagree about.
    system_findings: list[tuple[str, str, str]] = field(default_factory=list)


VERDICT_ORDER = ("FAILED", "PASSED with warnings", "PASSED")


def checks_reading(reports: Sequence[PackageReport]) -> CheckReading:
    """The one translation of check's reports into stdlib dirs, marked or not, and text.

    Each report names the stdlib dirs its package holds (`stdlibs`, with the marker
    pip reads there or None); what pip shows of a marker is in its `shown`.
    """
    stdlibs: dict[str, Reading] = {}
    elsewhere: dict[str, str] = {}
    conflicts: dict[str, str] = {}
    findings: list[str] = []
    system_findings: list[tuple[str, str, str]] = []
    verdicts: list[str] = []
    for report in reports:
        verdicts.append(report.verdict)
        for found in report.stdlibs:
            if found.marker is None:
                stdlibs.setdefault(
                    stdlib_key(found.path), Reading(False, None, f"check ({report.label})")
                )
        for shown in report.shown:
            directory = stdlib_key(posixpath.dirname(shown.path))
            stdlibs[directory] = Reading(
                shown.outcome != "installs",
                shown.text,
                f"check ({report.label}: pip shows {shown.outcome})",
            )
        for finding in report.findings:
            where = finding.file or ""
            findings.append(f"{finding.code} {report.label} {where}: {finding.message}")
            system_findings.append((finding.code, where, finding.message))
            if finding.code in ("EM602", "EM603") and posixpath.basename(where) == MARKER_NAME:
                elsewhere[stdlib_key(where)] = f"{finding.code} {finding.message}"
            elif finding.code == "EM608" and where:
                conflicts[stdlib_key(where)] = finding.message
        for marker in report.markers:
            findings += [f"{f.code} {marker.path}: {f.message}" for f in marker.findings]
    verdict = min(verdicts, key=VERDICT_ORDER.index) if verdicts else "no report"
    return CheckReading(stdlibs, elsewhere, verdict, findings, conflicts, system_findings)


def _said(reading: Reading | None) -> str:
    if reading is None:
        return "no stdlib dir here"
    if reading.marked is None:
        return f"undecided: {reading.by}"
    if not reading.marked:
        return f"not managed (no marker), by {reading.by}"
    return f"managed, by {reading.by}, text {reading.text!r}"


def pip_shows(text: str | None) -> str | None:
    """What pip's block holds for `text` (rich's processing applied), for comparing."""
    return None if text is None else pip_message(pip_block(text))


def shared_markers(truth: Truth, reading: CheckReading) -> list[str]:
    """Every marker where check's EM608 ("dpkg refuses the second") is not what dpkg did."""
    if truth.owners is None:
        return [
            f"{path}: check says EM608 ({why}); dpkg was not asked"
            for path, why in sorted(reading.conflicts.items())
        ]
    found = []
    for path in sorted(set(reading.conflicts) | set(truth.owners)):
        refusals = [line for line in truth.refused if f"/{path}'" in line]
        owners = truth.owners.get(path, [])
        if path in reading.conflicts and not refusals:
            found.append(
                f"{path}: check says {reading.conflicts[path]!r} (EM608); dpkg installed "
                f"it from {', '.join(owners) or 'one package'} without a word"
            )
        elif refusals and path not in reading.conflicts:
            found.append(f"{path}: dpkg refuses ({refusals[0]}); check gives no EM608")
    return found


def disagreements(truth: Truth, reading: CheckReading) -> list[str]:
    """Every stdlib dir where check's reading is not the system's own, both readings named."""
    found: list[str] = shared_markers(truth, reading)
    real = truth.stdlibs()
    for directory in sorted(set(real) | set(reading.stdlibs)):
        mine, theirs = real.get(directory), reading.stdlibs.get(directory)
        both = f"the system: {_said(mine)}; check: {_said(theirs)}"
        if theirs is None and directory + "/" + MARKER_NAME in reading.elsewhere:
            both += f" (check on its marker: {reading.elsewhere[directory + '/' + MARKER_NAME]})"
        if mine is None or theirs is None:
            found.append(f"{directory}: stdlib dir on one side only. {both}")
            continue
        if mine.marked is None or mine.marked != theirs.marked:
            found.append(f"{directory}: managed or not. {both}")
            continue
        if mine.marked and mine.text != pip_shows(theirs.text):
            found.append(
                f"{directory}: pip's text. the real pip prints {mine.text!r}; "
                f"check says pip prints {pip_shows(theirs.text)!r}"
            )
        if mine.uv_marked is not None and mine.uv_marked != theirs.marked:
            found.append(
                f"{directory}: uv {'refuses' if mine.uv_marked else 'installs'} there, "
                f"check says {'managed' if theirs.marked else 'not managed'}"
            )
        elif mine.uv_marked and theirs.text is not None:
            expected = theirs.text.rstrip("\n")
            if theirs.data is not None:
                from marker_tool.preview import preview_uv

                expected = (preview_uv(theirs.data, prefix="/").text or "").rstrip("\n")
            if (mine.uv_text or "").rstrip("\n") != expected:
                found.append(
                    f"{directory}: uv's text. the real uv prints {mine.uv_text!r}; "
                    f"check's reading gives {expected!r}"
                )
    return found


# -- the truth, kept between runs -----------------------------------------------------------

T = TypeVar("T")

#: Where each system's truth is kept, by the digest of everything it depends on.
TRUTHS = ORACLE / "truths"
#: The programs that make the truth: their bytes are part of its key.
SOURCES = ("oracle.py", "oracle_probe.py", "oracle_systems.py", "oracle_images.py", "corpus.py")
#: The tools whose answers the truth holds, beside the systems' own interpreters.
TOOLS = ("dpkg", "umoci", "skopeo", "podman", "buildah", "mmdebstrap", "tar")


@functools.cache
def world() -> str:
    """A digest of everything a truth depends on besides its system: the oracle's own code
    and the test module's, the corpus manifest, pip and uv, the tools, and every chroot,
    rootfs and image built under build/ (by name, size and time: each is written once,
    renamed into place, and replaced only when rebuilt)."""
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for name in (*SOURCES, "test_oracle.py", "chroots.py"):
        digest.update(name.encode() + b"\0" + (here / name).read_bytes())
    stated = [pip_path() / "pip" / "__init__.py", PIP_OLD / "pip" / "__init__.py", uv_binary()]
    stated += [Path(p) for tool in TOOLS if (p := shutil.which(tool))]
    chroots = REPO / "build" / "chroots"
    if chroots.is_dir():  # each a directory or tarball renamed into place when made
        stated += sorted(
            p
            for p in chroots.iterdir()
            if not p.name.endswith((".lock", ".partial")) and not p.name.startswith("chroot-")
        )
    if (ORACLE / "images").is_dir():
        stated += sorted((ORACLE / "images").rglob("index.json"))
    for path in stated:
        info = path.stat()
        digest.update(f"{path}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    manifest = REPO / "build" / "debs" / "suites" / "manifest.json"
    if manifest.is_file():
        digest.update(manifest.read_bytes())
    return digest.hexdigest()


def remembered(name: str, make: Callable[[], T], load: Callable[[Any], T]) -> T:
    """`make()` (a dataclass), kept under build/oracle/truths/ by `name` and `world()`:
    the interpreters, dpkg and the runtimes are asked again whenever anything they or the
    systems depend on changes, and not otherwise. `load` makes it again from its JSON."""
    key = hashlib.sha256(f"{name}\0{world()}".encode()).hexdigest()[:32]
    kept = TRUTHS / f"{name}.{key}.json"
    if kept.is_file():
        note_program("the systems' interpreters, dpkg and the image runtimes (kept answers)")
        return load(json.loads(kept.read_text(encoding="utf-8")))
    made = make()
    TRUTHS.mkdir(parents=True, exist_ok=True)
    partial = kept.with_suffix(f".{os.getpid()}.partial")
    partial.write_text(json.dumps(dataclasses.asdict(cast(Any, made))), encoding="utf-8")
    os.replace(partial, kept)
    for stale in TRUTHS.glob(f"{name}.*.json"):
        if stale != kept:
            stale.unlink(missing_ok=True)
    return made


def interpreters_from_json(data: Sequence[Mapping[str, Any]]) -> list[Interpreter]:
    def attempt(said: Mapping[str, Any] | None) -> Attempt | None:
        return None if said is None else Attempt(**said)

    return [Interpreter(**{**i, "pip": attempt(i["pip"]), "uv": attempt(i["uv"])}) for i in data]


def truth_from_json(data: Mapping[str, Any]) -> Truth:
    return Truth(**{**data, "interpreters": interpreters_from_json(data["interpreters"])})
