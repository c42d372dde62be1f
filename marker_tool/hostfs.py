"""Markers on this machine: reading one safely, and the facts of where it sits.

`validate FILE` reads a marker with `safeio` and hands the rules a
`Placement` built here from `lstat`/`stat`: what the path is (a file, a
directory, a dangling symlink ...), its mode, its resolved directory and the
virtual environment it may sit in. The rules themselves never touch a file
system; `install` and `check` build placements their own way.
"""

from __future__ import annotations

import errno
import os
import stat

from marker_tool.layouts import stdlib_version
from marker_tool.model import MARKER_NAME, FileKind, Placement

#: Directories above a marker searched for a virtual environment's `pyvenv.cfg`.
_VENV_DEPTH = 4


def looks_installed(path: str | os.PathLike[str]) -> bool:
    """True for a file that is where a marker is installed, or meant to be.

    A file named `EXTERNALLY-MANAGED` inside a `pythonX.Y[t]` directory (a
    stdlib dir, also in a DESTDIR staging tree) or inside site-packages.
    A marker in a source tree (`debian/EXTERNALLY-MANAGED`) is not.
    """
    directory, name = os.path.split(os.path.abspath(path))
    if name != MARKER_NAME:
        return False
    parents = directory.split(os.sep)
    return any(stdlib_version(p) for p in parents[-3:]) or any(
        p in ("site-packages", "dist-packages") for p in parents
    )


def _kind(path: str) -> tuple[FileKind, int | None]:
    try:
        info = os.stat(path)
    except OSError as exc:
        if os.path.islink(path):
            return ("symlink-loop" if exc.errno == errno.ELOOP else "dangling-symlink"), None
        raise
    if stat.S_ISREG(info.st_mode):
        return "file", stat.S_IMODE(info.st_mode)
    if stat.S_ISDIR(info.st_mode):
        return "directory", None
    return "other", None


def _venv_of(directory: str) -> str | None:
    ancestor = directory
    for _ in range(_VENV_DEPTH):
        ancestor = os.path.dirname(ancestor)
        if os.path.isfile(os.path.join(ancestor, "pyvenv.cfg")):
            return ancestor
    return None


def host_placement(path: str | os.PathLike[str], *, stdlib_dir: str | None = None) -> Placement:
    """The placement facts of a marker at `path` on this machine.

    Raises FileNotFoundError when nothing is there (not even a symlink).
    """
    shown = os.path.abspath(path)
    kind, mode = _kind(shown)
    parent = os.path.dirname(shown)
    real_dir = os.path.realpath(parent)
    return Placement(
        path=shown,
        kind=kind,
        mode=mode,
        stdlib_dir=os.path.realpath(stdlib_dir) if stdlib_dir else None,
        real_dir=real_dir,
        venv=_venv_of(parent),
    )
