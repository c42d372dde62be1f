"""One installed system: the packages of a build, an image, a tree, their files merged.

Markers are a property of an installed system, so everything `check` decides
is decided inside one: which stdlib dirs it has (`lib/pythonX.Y[t]`,
`lib/pypy3.X`, holding their own modules, as `layouts` places them), what each
stdlib's marker path resolves to as the kernel would resolve it there, and
which package holds a path.

Packages merge as dpkg installs them: a path two packages ship is the first
one's, unless a package diverts it (`dpkg-divert --add` in its maintainer
scripts: a derivative's branding package), or both are instances of one
`Multi-Arch: same` package (the same name and version for several
architectures), which share a path whose content is the same. A mixed-
architecture run is one system of every architecture given, as dpkg with
foreign architectures added installs it.
"""

from __future__ import annotations

import posixpath
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from marker_tool.layouts import (
    OLDER_PYPY_EXTENSIONS,
    OLDER_PYPY_MODULES,
    older_pypy_minor,
    stdlib_dir_version,
)
from marker_tool.model import MARKER_NAME, FileKind, PythonVersion
from marker_tool.sources.base import Member, Package, is_module, stdlib_dirs
from marker_tool.sources.resolve import Resolved, resolve


def label_of(package: Package) -> str:
    """`name_version_arch` from the package's metadata (an image's tag), else its path."""
    label = "_".join(p for p in (package.name, package.version, package.arch) if p)
    return label or package.source


def same_instances(a: Package, b: Package) -> bool:
    """Whether `a` and `b` are instances of one `Multi-Arch: same` package: the same name
    and version, for other architectures (dpkg installs them side by side)."""
    return (
        a.multi_arch == b.multi_arch == "same"
        and a.name == b.name
        and a.version == b.version
        and a.arch != b.arch
    )


@dataclass(slots=True)
class System:
    """One installed system: the packages of a build, an image, a tree."""

    label: str
    packages: list[Package]
    #: Path -> (entry, index of the package in `packages`), every package's entries.
    files: dict[str, tuple[Member, int]] = field(default_factory=dict)
    #: Every directory that holds an entry (archives need not list them all).
    parents: set[str] = field(default_factory=set)
    #: Marker paths shipped by more than one package: path -> indexes (the installed first).
    shared: dict[str, list[int]] = field(default_factory=dict)
    #: Paths diverted by a package of the system (`dpkg-divert --add`) -> its index.
    diverted: dict[str, int] = field(default_factory=dict)
    #: Each path resolved so far: the rules ask for one path several times.
    resolved: dict[str, Resolved] = field(default_factory=dict, repr=False)
    #: Directory -> the modules (`*.py`) in it, made when first asked.
    modules: dict[str, list[str]] | None = field(default=None, repr=False)

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
        kind = held[0].kind
        if kind in ("file", "hardlink"):
            return "file"
        return "directory" if kind == "directory" else "other"

    def resolve(self, where: str) -> Resolved:
        """`where` with every symlink followed inside this root (`sources.resolve`)."""
        found = self.resolved.get(where)
        if found is None:
            found = self.resolved[where] = resolve(where, self.member, self.parents.__contains__)
        return found

    def modules_in(self, directory: str) -> list[str]:
        """The modules (`*.py`) directly in `directory`."""
        if self.modules is None:
            self.modules = {}
            for where in self.files:
                if where.endswith(".py"):
                    self.modules.setdefault(posixpath.dirname(where), []).append(where)
        return self.modules.get(directory, [])

    def member(self, where: str) -> Member | None:
        held = self.files.get(where)
        return held[0] if held is not None else None

    def index_of(self, where: str) -> int:
        """The index of the package that holds `where` (the first, for a path none holds)."""
        held = self.files.get(where)
        return held[1] if held is not None else 0

    def package_of(self, where: str) -> Package:
        return self.packages[self.index_of(where)]

    def bytes_of(self, target: str) -> bytes | None:
        """The bytes of a regular file of the system that were read; None when too large."""
        held = self.files.get(target)
        if held is None:
            return b""
        package = self.packages[held[1]]
        if target in package.too_large:
            return None
        return package.markers.get(target, b"")

    def stdlibs(self) -> dict[str, PythonVersion]:
        """The stdlib dirs (see `sources.base.stdlib_dirs`), symlinked ones included.

        A stdlib dir replaced by a symlink (`usr/lib/python3.12 -> /opt/py`) is
        still where the interpreter looks, so it is one when what it leads to
        holds modules.
        """
        found = stdlib_dirs(self.files)
        modules_in = {posixpath.dirname(w) for w in self.files if is_module(posixpath.basename(w))}
        for where, (entry, _) in self.files.items():
            if entry.kind == "symlink" and (version := stdlib_dir_version(where)) is not None:
                resolved = self.resolve(where)
                if resolved.kind == "directory" and resolved.path in modules_in:
                    found[where] = version
        found.update(_older_pypy_stdlibs(modules_in, self.files))
        return dict(sorted(found.items()))

    def markers(self) -> list[str]:
        """Every path named EXTERNALLY-MANAGED in the system, sorted."""
        return sorted(w for w in self.files if posixpath.basename(w) == MARKER_NAME)


def _older_pypy_stdlibs(
    modules_in: Iterable[str], files: Collection[str]
) -> dict[str, PythonVersion]:
    """PyPy 3.7's stdlib dirs: `HOME/lib-python/3.N` for modules in `HOME/lib-python/3`
    whose extensions in `HOME/lib_pypy/` are all PyPy 3.N's (one version, else none)."""
    found: dict[str, PythonVersion] = {}
    for directory in modules_in:
        if not directory.endswith(OLDER_PYPY_MODULES):
            continue
        extensions = directory.removesuffix(OLDER_PYPY_MODULES) + OLDER_PYPY_EXTENSIONS
        minors = {
            minor
            for where in files
            if where.startswith(extensions)
            and (minor := older_pypy_minor(posixpath.basename(where))) is not None
        }
        if len(minors) == 1:
            minor = minors.pop()
            found[f"{directory}.{minor}"] = PythonVersion.parse(f"pypy3.{minor}")
    return found


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
