"""What `check` knows of one system before any rule runs: the facts its rules read.

For each stdlib dir, what pip and uv find there (`Reading`): the marker path,
what it resolves to, and its bytes when it is a regular file that was read.
With the run's options (`--require-python`, the text the build should ship)
and the inputs of the system that could not be read, that is `Facts`, the
one argument of every system rule (`check.rules`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from marker_tool.check.system import System, label_of
from marker_tool.document import Document, parse
from marker_tool.model import MARKER_NAME, Placement, PythonVersion
from marker_tool.sources.resolve import Resolved


@dataclass(frozen=True, slots=True)
class Reading:
    """One stdlib dir of a system, and what pip opens there."""

    directory: str
    python: PythonVersion
    #: The directory with its symlinks resolved.
    real_dir: str
    #: What `<directory>/EXTERNALLY-MANAGED` resolves to; None when there is no such entry.
    resolved: Resolved | None
    #: The marker's bytes, for a regular file that was read; None otherwise.
    data: bytes | None = None
    #: A regular file too large to be read as a marker.
    too_large: bool = False
    #: The marker parsed once, where it sits (its placement facts), for the rules of a
    #: marker, for what pip shows and for the system rules; None when there is none.
    document: Document | None = None

    @property
    def marker(self) -> str:
        return f"{self.directory}/{MARKER_NAME}"


@dataclass(frozen=True, slots=True)
class Unreadable:
    """An input of the system that could not be read, and why."""

    path: str
    message: str


@dataclass(frozen=True, slots=True)
class Options:
    """What the run asks of every system."""

    #: Pythons each system must carry a marker for (`--require-python`).
    require_python: Sequence[PythonVersion] = ()
    #: The bytes each Python's marker must be (`--expect-text`, `-c CONFIG`).
    expected: Mapping[PythonVersion, bytes] = field(default_factory=dict)
    #: A system that holds no Python at all passes (`--allow-no-python`).
    allow_no_python: bool = False


@dataclass(frozen=True, slots=True)
class Facts:
    """One system, what pip finds in each of its stdlib dirs, and the run's options."""

    system: System
    readings: tuple[Reading, ...]
    options: Options = Options()
    #: Inputs of this system that could not be read.
    unreadable: tuple[Unreadable, ...] = ()

    @classmethod
    def of(
        cls,
        system: System,
        options: Options = Options(),
        unreadable: Sequence[Unreadable] = (),
        *,
        root_owned: bool = True,
    ) -> Facts:
        """`root_owned`: whether markers must be root's (False for a build's staging
        tree, which the build user owns until dpkg-deb or rpmbuild writes root)."""
        readings = tuple(_readings(system, root_owned))
        return cls(system, readings, options, tuple(unreadable))

    def read(self) -> list[Reading]:
        """The readings whose marker is a regular file that was read."""
        return [r for r in self.readings if r.data is not None]


def _readings(system: System, root_owned: bool) -> list[Reading]:
    readings = []
    for directory, python in system.stdlibs().items():
        real_dir = system.resolve(directory).path
        if f"{real_dir}/{MARKER_NAME}" not in system.files:
            readings.append(Reading(directory, python, real_dir, None))
            continue
        where = f"{directory}/{MARKER_NAME}"
        resolved = system.resolve(where)
        data = system.bytes_of(resolved.path) if resolved.kind == "file" else None
        if resolved.kind == "file" and data is None:
            readings.append(Reading(directory, python, real_dir, resolved, too_large=True))
            continue
        entry = system.member(resolved.path) if resolved.kind == "file" else None
        placement = Placement(
            path="/" + where,
            kind=resolved.kind,
            mode=entry.mode if entry is not None else None,
            owner=entry.owner if entry is not None and root_owned else None,
            stdlib_dir="/" + directory,
            real_dir="/" + directory,
        )
        label = label_of(system.package_of(where if where in system.files else directory))
        document = parse(data or b"", path=f"{label}:{where}", placement=placement)
        readings.append(Reading(directory, python, real_dir, resolved, data, document=document))
    return readings
