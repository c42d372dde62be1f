"""Install markers into a staging tree: the only code in marker-tool that writes files.

Two steps, usable from Python without the CLI:

- `plan_install(markers, destdir, ...)` works out where every marker goes and
  what is there now, serializes each one (which proves it reads back in pip's
  parser as intended) and returns the `Action`s; it reads the file system but
  never changes it. Conflicts (a different file already there without
  `force`, a symlink leading out of `destdir`, Gentoo markers whose texts
  differ) raise InstallError before anything is written.
- `apply(actions)` carries them out: every file is written to a temporary file
  in its own directory, fsynced, made 0644, given SOURCE_DATE_EPOCH as mtime
  when that is set, then renamed into place, so a marker is either the old one
  or the whole new one and no temporary file is left behind.

`install(...)` does both (`dry_run=True` stops after the plan).

Where a marker goes: `destdir` + the stdlib dir of its Python. The stdlib dir
comes from the layout registry (`layout`, `prefix`, `libdir`), or from
`stdlib_dir`, a path on the target that may use `{xy}` (3.13) and
`{stdlib_name}` (python3.13t) so one pattern serves several Pythons (without
them it names one directory and takes one Python), or from `interpreter`:
that Python is run and asked for `sysconfig.get_path("stdlib")` in its own
default scheme, and only the marker for its version is installed. A layout
that shares one marker (Gentoo) gets its shared file and relative per-version
symlinks only from the registry; with `stdlib_dir` or `interpreter` every
marker is a plain file.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Literal, NamedTuple

from marker_tool import ini
from marker_tool.errors import InstallError
from marker_tool.layouts import get_layout, shared_marker_path
from marker_tool.layouts import stdlib_dir as layout_stdlib_dir
from marker_tool.model import MARKER_NAME, Marker, PythonVersion

ActionKind = Literal["write", "replace", "unchanged", "link"]
FILE_MODE = 0o644

_ASK_INTERPRETER = (
    "import json, sys, sysconfig; print(json.dumps({"
    "'stdlib': sysconfig.get_path('stdlib'), "
    "'version': '%d.%d' % sys.version_info[:2], "
    "'freethreaded': bool(sysconfig.get_config_var('Py_GIL_DISABLED'))}))"
)


# Action and Interpreter are NamedTuples rather than frozen dataclasses: on
# Python 3.11 each frozen dataclass costs about 1 ms of `install` start-up.


class Action(NamedTuple):
    """One file the install writes, replaces, links or leaves as it is."""

    #: The file on this machine: `destdir` + the path on the target.
    path: Path
    #: `write` (nothing there yet), `replace` (a different file, with force),
    #: `unchanged` (the same content or link already there), `link` (a symlink).
    action: ActionKind
    #: The serialized marker, for files; None for a symlink.
    content: str | None = None
    #: The relative target of a symlink; None for a file.
    link_target: str | None = None
    #: The marker written, for files (checked once more right before writing).
    marker: Marker | None = None
    #: True when a symlink replaces whatever is at `path` (with force).
    replaces: bool = False

    def describe(self, *, dry_run: bool = False) -> str:
        """One line for the CLI: `wrote PATH`, `would link PATH -> TARGET` ..."""
        if self.action == "unchanged":
            return f"unchanged {self.path}"
        if self.action == "link":
            verb = ("would relink" if dry_run else "relinked") if self.replaces else None
            verb = verb or ("would link" if dry_run else "linked")
            return f"{verb} {self.path} -> {self.link_target}"
        verbs = {"write": ("wrote", "would write"), "replace": ("replaced", "would replace")}
        return f"{verbs[self.action][dry_run]} {self.path}"


class Interpreter(NamedTuple):
    """What a target Python says about itself."""

    #: Its version, free-threaded or not.
    python: PythonVersion
    #: `sysconfig.get_path("stdlib")` in its default scheme.
    stdlib: PurePosixPath


def ask_interpreter(interpreter: str | Path) -> Interpreter:
    """Run `interpreter` and ask it for its version and stdlib dir."""
    # Imported here: most installs never start a process, and start-up counts.
    import json
    import subprocess

    try:
        out = subprocess.run(
            [str(interpreter), "-I", "-c", _ASK_INTERPRETER],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
        data = json.loads(out)
        python = PythonVersion.parse(data["version"] + ("t" if data["freethreaded"] else ""))
        stdlib = PurePosixPath(data["stdlib"])
    except (OSError, subprocess.SubprocessError, ValueError, KeyError, TypeError) as exc:
        detail = getattr(exc, "stderr", None) or exc
        raise InstallError(
            f"cannot ask `{interpreter}` for its stdlib dir: {str(detail).strip()}",
            file=str(interpreter),
            hint="give the path of a Python interpreter, e.g. /usr/bin/python3.12",
        ) from None
    return Interpreter(python, stdlib)


def source_date_epoch() -> int | None:
    """SOURCE_DATE_EPOCH as an int, None when unset; InstallError when malformed."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return None
    try:
        epoch = int(value)
    except ValueError:
        raise InstallError(
            f"SOURCE_DATE_EPOCH must be a whole number of seconds, not `{value}`",
            key="SOURCE_DATE_EPOCH",
        ) from None
    if epoch < 0:
        raise InstallError(f"SOURCE_DATE_EPOCH must not be negative: `{value}`")
    return epoch


def _stdlib_dirs(
    markers: Sequence[Marker],
    *,
    layout: str,
    prefix: str | None,
    libdir: str | None,
    stdlib_dir: str | None,
    interpreter: Interpreter | None,
) -> list[tuple[Marker, PurePosixPath]]:
    """Each marker with its stdlib dir on the target."""
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
                hint="give e.g. `/usr/lib/python{xy}`; the destdir is put in front of it",
            )
        if "{" not in stdlib_dir and len(markers) > 1:
            raise InstallError(
                f"the stdlib dir `{stdlib_dir}` is one directory, but there are markers "
                f"for {len(markers)} Pythons",
                key="stdlib-dir",
                hint="give one `--python`, or use `{xy}` or `{stdlib_name}` in the path",
            )
        out = []
        for marker in markers:
            try:
                path = stdlib_dir.format(xy=marker.python.xy, stdlib_name=marker.python.stdlib_name)
            except (KeyError, IndexError, ValueError) as exc:
                raise InstallError(
                    f"the stdlib dir `{stdlib_dir}` has an unknown placeholder {exc}",
                    key="stdlib-dir",
                    hint="the placeholders are `{xy}` (3.13) and `{stdlib_name}` (python3.13t)",
                ) from None
            out.append((marker, PurePosixPath(path)))
        return out
    known = get_layout(layout)
    return [
        (m, PurePosixPath(layout_stdlib_dir(known, m.python, prefix=prefix, libdir=libdir)))
        for m in markers
    ]


def _under(destdir: Path, target: PurePosixPath) -> Path:
    """`destdir` + an absolute path on the target."""
    return destdir / str(target).lstrip("/")


def _check_inside(destdir_real: str, path: Path, destdir: Path) -> None:
    """Refuse a path whose existing directories lead out of the destdir through a symlink."""
    real = os.path.realpath(path.parent)
    if os.path.commonpath([real, destdir_real]) != destdir_real:
        raise InstallError(
            f"leads out of the destdir `{destdir}` through a symlink (to `{real}`)",
            file=path,
            hint="marker-tool writes only inside the destdir; remove or fix the symlink",
        )


def _plan_file(path: Path, content: str, marker: Marker, *, force: bool) -> Action:
    if path.is_symlink() or path.exists():
        same = False
        if not path.is_symlink() and path.is_file():
            try:
                same = path.read_bytes() == content.encode("utf-8")
            except OSError as exc:
                raise InstallError(
                    f"cannot read the marker there: {exc.strerror}", file=path
                ) from None
        if same:
            return Action(path, "unchanged", content, marker=marker)
        if path.is_dir() and not path.is_symlink():
            raise InstallError("a directory is in the way of the marker", file=path)
        if not force:
            raise InstallError(
                "a marker with different content is already there",
                file=path,
                hint="pass `--force` (force=True) to replace it",
            )
        return Action(path, "replace", content, marker=marker)
    return Action(path, "write", content, marker=marker)


def _plan_link(path: Path, target: str, *, force: bool) -> Action:
    if path.is_symlink() and os.readlink(path) == target:
        return Action(path, "unchanged", link_target=target)
    if path.is_symlink() or path.exists():
        if path.is_dir() and not path.is_symlink():
            raise InstallError("a directory is in the way of the marker", file=path)
        if not force:
            raise InstallError(
                f"something other than a link to `{target}` is already there",
                file=path,
                hint="pass `--force` (force=True) to replace it",
            )
        return Action(path, "link", link_target=target, replaces=True)
    return Action(path, "link", link_target=target)


def plan_install(
    markers: Sequence[Marker],
    destdir: str | Path,
    *,
    layout: str = "deb",
    prefix: str | None = None,
    libdir: str | None = None,
    stdlib_dir: str | None = None,
    interpreter: str | Path | Interpreter | None = None,
    force: bool = False,
    old_uv: bool = True,
) -> list[Action]:
    """What installing `markers` under `destdir` would do; changes nothing on disk."""
    if not str(destdir):
        raise InstallError("no destdir given", hint="give `--destdir DIR` or set DESTDIR")
    destdir = Path(destdir)
    destdir_real = os.path.realpath(destdir)
    if not markers:
        raise InstallError("there are no markers to install")
    if interpreter is not None and not isinstance(interpreter, Interpreter):
        interpreter = ask_interpreter(interpreter)
    placed = _stdlib_dirs(
        markers,
        layout=layout,
        prefix=prefix,
        libdir=libdir,
        stdlib_dir=stdlib_dir,
        interpreter=interpreter,
    )
    contents = [(m, d, ini.serialize(m, old_uv=old_uv)) for m, d in placed]

    # Where each file goes on the target, and what goes there.
    files: dict[PurePosixPath, tuple[Marker, str]] = {}
    links: dict[PurePosixPath, str] = {}
    shared = None
    if stdlib_dir is None and interpreter is None:
        shared = shared_marker_path(
            get_layout(layout), markers[0].python, prefix=prefix, libdir=libdir
        )
    if shared is not None:
        shared_path = PurePosixPath(shared)
        texts = {content for _, _, content in contents}
        if len(texts) > 1:
            versions = ", ".join(str(m.python) for m, _, _ in contents)
            raise InstallError(
                f"layout `{layout}` shares one marker between Pythons {versions}, "
                "but their texts differ",
                key="layout",
                hint="install one Python at a time with `--stdlib-dir`, or make the "
                "texts the same (no per-version wording)",
            )
        files[shared_path] = (contents[0][0], contents[0][2])
        for _, directory, _ in contents:
            links[directory / MARKER_NAME] = os.path.relpath(shared_path, directory)
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
    for target, (marker, content) in files.items():
        path = _under(destdir, target)
        _check_inside(destdir_real, path, destdir)
        actions.append(_plan_file(path, content, marker, force=force))
    for target, link in links.items():
        path = _under(destdir, target)
        _check_inside(destdir_real, path, destdir)
        actions.append(_plan_link(path, link, force=force))
    return actions


def _temp_file(path: Path) -> tuple[int, Path]:
    """A new, empty, private file next to `path` (what tempfile.mkstemp does, minus
    the import of tempfile, shutil and random that start-up time cannot afford)."""
    for _ in range(100):
        temp = path.with_name(f".{path.name}.{os.urandom(6).hex()}.tmp")
        try:
            return os.open(temp, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600), temp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name next to {path}")


def _write_atomically(path: Path, data: bytes, epoch: int | None) -> None:
    fd, temp = _temp_file(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, FILE_MODE)
        if epoch is not None:
            os.utime(temp, (epoch, epoch))
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def _link_atomically(path: Path, target: str, epoch: int | None) -> None:
    # A unique name in the same directory, then a rename over the old entry.
    fd, temp = _temp_file(path)
    os.close(fd)
    try:
        os.unlink(temp)
        os.symlink(target, temp)
        if epoch is not None and os.utime in os.supports_follow_symlinks:
            os.utime(temp, (epoch, epoch), follow_symlinks=False)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def _sync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def apply(actions: Sequence[Action]) -> None:
    """Carry out a plan from `plan_install`: atomic writes, 0644, reproducible mtime."""
    epoch = source_date_epoch()
    for action in actions:
        if action.action == "unchanged":
            continue
        try:
            action.path.parent.mkdir(parents=True, exist_ok=True)
            if action.action == "link":
                assert action.link_target is not None
                _link_atomically(action.path, action.link_target, epoch)
            else:
                assert action.content is not None
                assert action.marker is not None
                # The last word before a byte reaches the disk: pip's parser
                # must read exactly the intended text under every key.
                ini.check_reads_back(
                    action.content,
                    {m.key: ini.wrap_text(m.text) for m in action.marker.messages},
                )
                _write_atomically(action.path, action.content.encode("utf-8"), epoch)
        except OSError as exc:
            raise InstallError(
                f"cannot write the marker: {exc.strerror or exc}", file=action.path
            ) from None
        _sync_dir(action.path.parent)


def install(
    markers: Sequence[Marker],
    destdir: str | Path,
    *,
    layout: str = "deb",
    prefix: str | None = None,
    libdir: str | None = None,
    stdlib_dir: str | None = None,
    interpreter: str | Path | Interpreter | None = None,
    force: bool = False,
    dry_run: bool = False,
    old_uv: bool = True,
) -> list[Action]:
    """Plan and (unless `dry_run`) carry out the install; returns the actions."""
    actions = plan_install(
        markers,
        destdir,
        layout=layout,
        prefix=prefix,
        libdir=libdir,
        stdlib_dir=stdlib_dir,
        interpreter=interpreter,
        force=force,
        old_uv=old_uv,
    )
    if not dry_run:
        apply(actions)
    return actions


__all__ = [
    "Action",
    "Interpreter",
    "apply",
    "ask_interpreter",
    "install",
    "plan_install",
    "source_date_epoch",
]
