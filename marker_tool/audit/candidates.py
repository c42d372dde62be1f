"""Which packages to fetch, from the file lists of the indexes alone.

A package is a candidate when its file list (Contents-<arch>, filelists.xml)
holds a stdlib dir's module (`sources.base.stdlib_dirs`: the one predicate,
for every layout the registry knows; PyPy 3.7's split stdlib, whose modules and
extensions two packages ship, by `layouts.older_pypy_home`) or an
EXTERNALLY-MANAGED file. Each
source build's candidates of one architecture are one system: Debian splits
a stdlib between libpython3.X-minimal (os.py) and libpython3.X-stdlib (the
rest and the marker), and both are candidates of the same build. A package of
another source that ships only a marker into such a stdlib dir (a
derivative's branding package, which diverts the stdlib's own) joins that
build's system, as it is installed with it; `check` then decides whether it
diverts the marker or collides with it.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from marker_tool.audit.model import Binary, Plan
from marker_tool.layouts import OLDER_PYPY_MODULES, older_pypy_home
from marker_tool.model import MARKER_NAME
from marker_tool.sources.base import stdlib_dirs


@dataclass(slots=True)
class Scan:
    """What the file lists of one suite and architecture say about markers and stdlib dirs."""

    #: Package name -> the marker paths it ships.
    markers: dict[str, set[str]] = field(default_factory=dict)
    #: Package name -> the stdlib dirs it ships a module of.
    stdlibs: dict[str, set[str]] = field(default_factory=dict)
    #: Lines (paths) read, for the run's figures.
    paths: int = 0

    def feed(self, path: str, packages: Iterable[str]) -> None:
        """One file of the list, and the packages that ship it."""
        self.paths += 1
        path = path.lstrip("/")
        if path.rpartition("/")[2] == MARKER_NAME:
            for name in packages:
                self.markers.setdefault(name, set()).add(path)
        found = set(stdlib_dirs((path,)))
        home = older_pypy_home(path)
        if home is not None:
            found.add(home + OLDER_PYPY_MODULES)
        for directory in found:
            for name in packages:
                self.stdlibs.setdefault(name, set()).add(directory)

    def update(self, other: Scan) -> None:
        for name, paths in other.markers.items():
            self.markers.setdefault(name, set()).update(paths)
        for name, dirs in other.stdlibs.items():
            self.stdlibs.setdefault(name, set()).update(dirs)
        self.paths += other.paths

    @property
    def names(self) -> set[str]:
        return set(self.markers) | set(self.stdlibs)

    def to_json(self) -> dict[str, Any]:
        return {
            "markers": {k: sorted(v) for k, v in sorted(self.markers.items())},
            "stdlibs": {k: sorted(v) for k, v in sorted(self.stdlibs.items())},
            "paths": self.paths,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Scan:
        return cls(
            {k: set(v) for k, v in data["markers"].items()},
            {k: set(v) for k, v in data["stdlibs"].items()},
            int(data["paths"]),
        )


def plan_systems(
    suite: str, arch: str, scan: Scan, binaries: Mapping[str, list[Binary]]
) -> list[Plan]:
    """The systems to check in one suite and architecture, from its scan and its Packages.

    `binaries`: every version of each scanned name that the index lists for
    `arch` (its `all` packages included); the names are those the scan was fed
    (package names for apt, package ids for rpm-md).
    """
    builds: dict[tuple[str, str], dict[str, Binary]] = {}
    dirs_of: dict[tuple[str, str], set[str]] = {}

    def add(key: tuple[str, str], binary: Binary) -> None:
        builds.setdefault(key, {})[f"{binary.name} {binary.version} {binary.arch}"] = binary

    for name in sorted(scan.stdlibs):
        for binary in binaries.get(name, ()):
            key = (binary.source, binary.source_version)
            add(key, binary)
            dirs_of.setdefault(key, set()).update(scan.stdlibs[name])
    foreign: list[tuple[str, Binary]] = []
    for name in sorted(set(scan.markers) - set(scan.stdlibs)):
        for binary in binaries.get(name, ()):
            key = (binary.source, binary.source_version)
            if key in builds:
                add(key, binary)
            else:
                foreign.append((name, binary))
    for name, binary in foreign:
        marker_dirs = {posixpath.dirname(p) for p in scan.markers[name]}
        hosts = [key for key, dirs in dirs_of.items() if dirs & marker_dirs]
        for key in hosts or [(binary.source, binary.source_version)]:
            add(key, binary)
    return [
        Plan(suite, source, version, arch, tuple(sorted(members.values(), key=_order)))
        for (source, version), members in sorted(builds.items())
    ]


def _order(binary: Binary) -> tuple[str, str, str]:
    return (binary.name, binary.version, binary.arch)
