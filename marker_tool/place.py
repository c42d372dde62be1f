"""Render a distributor's markers and install them: the one call `marker-tool install` makes.

    Distributor + what the build asks (destdir, layout, prefix, libdir, a stdlib
    dir or an interpreter to ask, Pythons, locales) -> render -> install

The build's options override the config's layout, prefix and libdir; an
interpreter asked for its stdlib dir also names the Python when none is given.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from marker_tool.errors import InstallError
from marker_tool.install import Action, InstallTarget, install
from marker_tool.model import Distributor, PythonVersion


@dataclass(frozen=True, slots=True)
class Placing:
    """What a build asks of `place`: where the markers go, and which ones."""

    #: The root of the staging tree (`/` for this system); required.
    destdir: str | os.PathLike[str] | None
    #: Overrides of the config's layout, prefix and libdir (None: the config's).
    layout: str | None = None
    prefix: str | None = None
    libdir: str | None = None
    #: A stdlib dir on the target instead of the layout's.
    stdlib_dir: str | None = None
    #: A Python to ask for its stdlib dir (and its version).
    interpreter: str | os.PathLike[str] | None = None
    #: The Pythons and locales to install for (empty: the config's).
    pythons: Sequence[PythonVersion] = ()
    locales: Sequence[str] = ()
    #: Replace a marker with different content.
    force: bool = False
    #: Plan only; write nothing.
    dry_run: bool = False


@dataclass(frozen=True, slots=True)
class Placed:
    """What `place` did (or would do), and what rendering warned of."""

    actions: tuple[Action, ...]
    warnings: tuple[str, ...]


def place(distributor: Distributor, asked: Placing) -> Placed:
    """Render `distributor`'s markers and install them as `asked`."""
    from marker_tool.interpreter import ask_interpreter
    from marker_tool.render import render_markers

    if not asked.destdir:
        raise InstallError(
            "no destdir: marker-tool installs only into an explicit root",
            hint="pass `--destdir DIR` or set DESTDIR (`--destdir /` for this system)",
        )
    distributor = replace(
        distributor,
        layout=distributor.layout if asked.layout is None else asked.layout,
        prefix=distributor.prefix if asked.prefix is None else asked.prefix,
        libdir=distributor.libdir if asked.libdir is None else asked.libdir,
    )
    interpreter = ask_interpreter(os.fspath(asked.interpreter)) if asked.interpreter else None
    pythons = tuple(asked.pythons)
    if interpreter is not None and not pythons:
        pythons = (interpreter.python,)
    result = render_markers(distributor, pythons=pythons or None, locales=asked.locales or None)
    target = InstallTarget(
        Path(asked.destdir),
        layout=distributor.layout,
        prefix=distributor.prefix,
        libdir=distributor.libdir,
        stdlib_dir=asked.stdlib_dir,
        interpreter=interpreter,
    )
    actions = install(result.markers, target, force=asked.force, dry_run=asked.dry_run)
    return Placed(tuple(actions), tuple(result.warnings))
