"""Install markers into a staging tree: the only code in marker-tool that writes files.

Two steps, usable from Python without the CLI:

- `plan_install(markers, target)` works out where every marker goes (an
  `InstallTarget`: the destdir and how to find each stdlib dir below it) and
  what is there now, serializes each one (which proves it reads back in pip's
  parser as intended) and returns the actions (`WriteFile`, `MakeLink`,
  `Unchanged`); it reads the file system but never changes it. Conflicts (a
  destdir that is a file, a different file already there without `force`, a
  symlink leading out of `destdir`, Gentoo markers whose texts differ) raise
  InstallError before anything is written.
- `apply(actions)` carries them out through `marker_tool.safeio`: each file
  is written whole beside its target, fsynced, made 0644, given
  SOURCE_DATE_EPOCH as mtime when that is set, then linked into place through
  directory descriptors, so a marker is either the old one or the whole new
  one, never lands outside the destdir, and a `write` that finds a file there
  by then (another build racing for the path) is refused, not clobbered.

"Unchanged" means the same content, mode 0644 and (with SOURCE_DATE_EPOCH)
that mtime; the same content with another mode or mtime is rewritten.

`install(markers, target)` does both (`dry_run=True` stops after the plan).

Where a marker goes: `destdir` + the stdlib dir of its Python. The stdlib dir
comes from the layout registry (`layout`, `prefix`, `libdir`), or from
`stdlib_dir`, a path on the target that may use `{version}` (3.13) and
`{stdlib_name}` (python3.13t) so one pattern serves several Pythons (without
them it names one directory and takes one Python), or from `interpreter`:
that Python is run and asked for `sysconfig.get_path("stdlib")` in its own
default scheme, and only the marker for its version is installed. A layout
that shares one marker (Gentoo) gets its shared file and relative per-version
symlinks only from the registry; with `stdlib_dir` or `interpreter` every
marker is a plain file.
"""

from __future__ import annotations

import os
import posixpath
import stat
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from marker_tool import ini, safeio
from marker_tool.epoch import source_date_epoch
from marker_tool.errors import ConfigError, InputError, InstallError
from marker_tool.interpreter import Interpreter
from marker_tool.layouts import fill_path, get_layout, shared_marker_path
from marker_tool.layouts import stdlib_dir as layout_stdlib_dir
from marker_tool.model import MARKER_NAME, Marker

FILE_MODE = safeio.FILE_MODE


@dataclass(frozen=True, slots=True)
class InstallTarget:
    """Where markers go: a destdir, and how each Python's stdlib dir below it is found."""

    #: The root of the staging tree (`/` for this system).
    destdir: Path
    #: The layout registry's name for the install paths (`deb`, `rpm`, `gentoo` ...).
    layout: str = "deb"
    #: The keg or store prefix, for layouts that have one.
    prefix: str | None = None
    #: The library dir (`/usr/lib64`), for layouts that take one.
    libdir: str | None = None
    #: A stdlib dir on the target instead of the layout's; may use `{version}`, `{stdlib_name}`.
    stdlib_dir: str | None = None
    #: A Python that was asked for its stdlib dir; only its version's marker is installed.
    interpreter: Interpreter | None = None


@dataclass(frozen=True, slots=True)
class _Placed:
    #: The destdir, and the path below it (`usr/lib/python3.12/EXTERNALLY-MANAGED`).
    root: Path
    target: PurePosixPath

    @property
    def path(self) -> Path:
        """The file on this machine: the destdir + the path on the target."""
        return self.root / str(self.target).lstrip("/")


@dataclass(frozen=True, slots=True)
class WriteFile(_Placed):
    """Write a marker file (nothing there yet, or `replace`: another file, or ours made right)."""

    #: The marker written (checked once more right before writing).
    marker: Marker
    #: Its serialized text.
    content: str
    #: True when a file is already there: a different one (with force), or the
    #: same content with the wrong mode or mtime.
    replace: bool = False

    def describe(self, *, dry_run: bool = False) -> str:
        """One line for the CLI: `wrote PATH`, `would replace PATH` ..."""
        verbs = ("replaced", "would replace") if self.replace else ("wrote", "would write")
        return f"{verbs[dry_run]} {self.path}"


@dataclass(frozen=True, slots=True)
class MakeLink(_Placed):
    """Make a relative symlink to the shared marker (`replace`: over something else, with force)."""

    #: The relative target of the symlink.
    link: str
    replace: bool = False

    def describe(self, *, dry_run: bool = False) -> str:
        """One line for the CLI: `linked PATH -> TARGET`, `would relink ...`."""
        verb = "relink" if self.replace else "link"
        return f"{'would ' + verb if dry_run else verb + 'ed'} {self.path} -> {self.link}"


@dataclass(frozen=True, slots=True)
class Unchanged(_Placed):
    """Leave the file or link there as it is: the same content, mode and mtime, or link."""

    def describe(self, *, dry_run: bool = False) -> str:
        """One line for the CLI: `unchanged PATH`."""
        return f"unchanged {self.path}"


#: One step of an install.
Action = WriteFile | MakeLink | Unchanged


def _stdlib_dirs(
    markers: Sequence[Marker], target: InstallTarget
) -> list[tuple[Marker, PurePosixPath]]:
    """Each marker with its stdlib dir on the target."""
    interpreter, stdlib_dir = target.interpreter, target.stdlib_dir
    if interpreter is not None:
        chosen = [m for m in markers if m.python == interpreter.python]
        if not chosen:
            have = ", ".join(str(m.python) for m in markers) or "none"
            raise InstallError(
                f"`{interpreter.stdlib}` belongs to Python {interpreter.python}, "
                f"but the markers are for {have}",
                hint=f"make a marker for it with `--python {interpreter.python}`",
            )
        return [(m, interpreter.stdlib) for m in chosen]
    if stdlib_dir is not None:
        if not stdlib_dir.startswith("/"):
            raise InstallError(
                f"the stdlib dir `{stdlib_dir}` must be absolute, as on the target system",
                key="stdlib-dir",
                hint="give e.g. `/usr/lib/python{version}`; the destdir is put in front of it",
            )
        paths = []
        for marker in markers:
            try:
                paths.append((marker, fill_path(stdlib_dir, marker.python, key="stdlib-dir")))
            except ConfigError as exc:
                raise InstallError(exc.message, key="stdlib-dir", hint=exc.hint) from None
        if len({path for _, path in paths}) < len(paths):
            raise InstallError(
                f"the stdlib dir `{stdlib_dir}` is one directory, but there are markers "
                f"for {len(markers)} Pythons",
                key="stdlib-dir",
                hint="give one `--python`, or use `{version}` or `{stdlib_name}` in the path",
            )
        return [(marker, PurePosixPath(path)) for marker, path in paths]
    known = get_layout(target.layout)
    return [
        (
            m,
            PurePosixPath(
                layout_stdlib_dir(known, m.python, prefix=target.prefix, libdir=target.libdir)
            ),
        )
        for m in markers
    ]


def _in_the_way(path: Path) -> bool:
    """True when something is at `path`; InstallError when it is a directory."""
    if not os.path.lexists(path):
        return False
    if path.is_dir() and not path.is_symlink():
        raise InstallError("a directory is in the way of the marker", file=path)
    return True


def _plan_file(
    root: Path, target: PurePosixPath, content: str, marker: Marker, *, force: bool
) -> Action:
    there = WriteFile(root, target, marker, content)
    path = there.path
    if not _in_the_way(path):
        return there
    if not path.is_symlink() and safeio.same_content(path, content.encode("utf-8")):
        info = path.stat()
        epoch = source_date_epoch()
        if stat.S_IMODE(info.st_mode) == FILE_MODE and epoch in (None, int(info.st_mtime)):
            return Unchanged(root, target)
        # Our own text with another mode or mtime: made right without --force.
    elif not force:
        raise InstallError(
            "a marker with different content is already there",
            file=path,
            hint=f"pass --force to replace it{_diff_hint(path, content)}",
        )
    return replace(there, replace=True)


def _diff_hint(path: Path, content: str) -> str:
    """A short diff of the marker there and the new one, for the refusal's hint."""
    import difflib

    try:
        old = safeio.read_bytes(path, kind="marker").decode("utf-8", "replace")
    except (OSError, InputError):
        return ""
    lines = list(
        difflib.unified_diff(
            old.splitlines(), content.splitlines(), "there", "new", lineterm="", n=0
        )
    )
    if not lines:
        return ""
    shown = lines[:12] + ([f"... ({len(lines) - 12} more lines)"] if len(lines) > 12 else [])
    return "; the difference:\n    " + "\n    ".join(shown)


def _plan_link(root: Path, target: PurePosixPath, link: str, *, force: bool) -> Action:
    there = MakeLink(root, target, link)
    path = there.path
    if path.is_symlink() and os.readlink(path) == link:
        return Unchanged(root, target)
    if not _in_the_way(path):
        return there
    if not force:
        raise InstallError(
            f"something other than a link to `{link}` is already there",
            file=path,
            hint="pass --force to replace it",
        )
    return replace(there, replace=True)


def _check_destdir(destdir: Path) -> None:
    """Refuse a destdir that is there but is no directory (a file cannot hold a tree)."""
    if not str(destdir):
        raise InstallError("no destdir given", hint="give `--destdir DIR` or set DESTDIR")
    try:
        mode = destdir.stat().st_mode
    except FileNotFoundError:
        return  # made on the first write
    except NotADirectoryError:
        what = "below a file"
    else:
        if stat.S_ISDIR(mode):
            return
        what = "a regular file" if stat.S_ISREG(mode) else safeio.describe_mode(mode)
    raise InstallError(
        f"the destdir is {what}, not a directory",
        file=destdir,
        hint="give the root of the staging tree: a directory, or a path that is not there yet",
    )


def plan_install(
    markers: Sequence[Marker], target: InstallTarget, *, force: bool = False, old_uv: bool = True
) -> list[Action]:
    """What installing `markers` into `target` would do; changes nothing on disk."""
    destdir = target.destdir
    _check_destdir(destdir)
    if not markers:
        raise InstallError("there are no markers to install")
    placed = _stdlib_dirs(markers, target)
    contents = [(m, d, ini.serialize(m, old_uv=old_uv)) for m, d in placed]

    # Where each file goes on the target, and what goes there.
    files: dict[PurePosixPath, tuple[Marker, str]] = {}
    links: dict[PurePosixPath, str] = {}
    shared = None
    if target.stdlib_dir is None and target.interpreter is None:
        shared = shared_marker_path(
            get_layout(target.layout), markers[0].python, prefix=target.prefix, libdir=target.libdir
        )
    if shared is not None:
        shared_path = PurePosixPath(shared)
        texts = {content for _, _, content in contents}
        if len(texts) > 1:
            versions = ", ".join(str(m.python) for m, _, _ in contents)
            raise InstallError(
                f"layout `{target.layout}` shares one marker between Pythons {versions}, "
                "but their texts differ",
                key="layout",
                hint="install one Python at a time with `--stdlib-dir`, or make the "
                "texts the same (no per-version wording)",
            )
        files[shared_path] = (contents[0][0], contents[0][2])
        # Relative to where the directories really are in the tree, so the link
        # resolves even when part of the path (`usr/lib64` -> `lib`) is a symlink.
        real_shared = _resolved(destdir, shared_path.parent)
        for _, directory, _ in contents:
            link = posixpath.join(
                posixpath.relpath(real_shared, _resolved(destdir, directory)), MARKER_NAME
            )
            links[directory / MARKER_NAME] = link
    else:
        for marker, directory, content in contents:
            where = directory / MARKER_NAME
            if where in files and files[where][1] != content:
                raise InstallError(
                    f"the markers for Pythons {files[where][0].python} and {marker.python} "
                    f"would both go to `{where}` with different texts",
                    file=str(where),
                    hint="use `{stdlib_name}` in the stdlib dir to keep them apart",
                )
            files.setdefault(where, (marker, content))

    actions = []
    for where, (marker, content) in files.items():
        _check_inside(destdir, where)
        actions.append(_plan_file(destdir, where, content, marker, force=force))
    for where, link in links.items():
        _check_inside(destdir, where)
        actions.append(_plan_link(destdir, where, link, force=force))
    return actions


def _resolved(destdir: Path, directory: PurePosixPath) -> str:
    try:
        return safeio.resolve_inside(destdir, directory)
    except safeio.EscapeError as exc:
        raise InstallError(exc.message, file=exc.file, hint=exc.hint) from None


def _check_inside(destdir: Path, target: PurePosixPath) -> None:
    """Refuse, before anything is written, a target whose directories lead out of the destdir."""
    try:
        safeio.check_inside(destdir, target.parent)
    except safeio.EscapeError as exc:
        raise InstallError(
            exc.message, file=destdir / str(target).lstrip("/"), hint=exc.hint
        ) from None


def apply(actions: Sequence[Action]) -> None:
    """Carry out a plan from `plan_install`: atomic writes, 0644, reproducible mtime."""
    epoch = source_date_epoch()
    for action in actions:
        try:
            if isinstance(action, MakeLink):
                safeio.write_link(
                    action.root, action.target, action.link, replace=action.replace, mtime=epoch
                )
            elif isinstance(action, WriteFile):
                # The last word before a byte reaches the disk: pip's parser
                # must read exactly the intended text under every key.
                ini.check_reads_back(
                    action.content,
                    {m.key: ini.wrap_text(m.text) for m in action.marker.messages},
                )
                safeio.write_file(
                    action.root,
                    action.target,
                    action.content.encode("utf-8"),
                    replace=action.replace,
                    mtime=epoch,
                )
        except FileExistsError:
            raise InstallError(
                "another marker appeared there while installing (a concurrent build?)",
                file=action.path,
                hint="run one install per destdir at a time, or pass --force",
            ) from None
        except safeio.EscapeError as exc:
            raise InstallError(exc.message, file=exc.file, hint=exc.hint) from None
        except OverflowError:
            raise InstallError(
                f"the file system cannot store SOURCE_DATE_EPOCH={epoch} as a time",
                file=action.path,
                key="SOURCE_DATE_EPOCH",
            ) from None
        except OSError as exc:
            raise InstallError(
                f"cannot write the marker: {exc.strerror or exc}", file=action.path
            ) from None


def install(
    markers: Sequence[Marker],
    target: InstallTarget | str | os.PathLike[str],
    *,
    force: bool = False,
    dry_run: bool = False,
    old_uv: bool = True,
) -> list[Action]:
    """Plan and (unless `dry_run`) carry out the install; returns the actions.

    `target` is an `InstallTarget`, or a destdir alone for the `deb` layout.
    """
    if not isinstance(target, InstallTarget):
        target = InstallTarget(Path(target))
    actions = plan_install(markers, target, force=force, old_uv=old_uv)
    if not dry_run:
        apply(actions)
    return actions


__all__ = [
    "Action",
    "InstallTarget",
    "MakeLink",
    "Unchanged",
    "WriteFile",
    "apply",
    "install",
    "plan_install",
]
