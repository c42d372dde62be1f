"""The one way marker-tool reads an input file and the one way it writes a file.

Reading (`read_bytes`): only regular files, opened without blocking (a FIFO
never hangs), checked with `fstat` on the open descriptor (no race between
the check and the read), and never more than the cap of its kind plus one
byte (`/dev/zero` or a 4 GB file costs nothing). Caps (`LIMITS`, bytes):

    marker       1 MiB   a real marker is 1-4 KB; pip reads any size, but a
                         file this large is not a marker
    config       1 MiB   a config is a few KB
    template     1 MiB   the built-in template is 3 KB
    catalog      4 MiB   a catalog of the built-in template is 6-8 KB
    os-release   64 KiB
    interpreter  64 KiB  what `--interpreter` prints about itself

Writing (`write_file`, `write_link`): the parent directories are walked from
a root through directory descriptors, so a directory swapped for a symlink
during the walk cannot send the file elsewhere; a symlink inside the tree is
followed only while it stays inside the root. The content goes to a file
with no name yet (Linux `O_TMPFILE`; elsewhere a hidden `.NAME.<random>.tmp`,
0600) in the target's directory; it is filled, given its mode and mtime
(checked: a file system that cannot store that time is an error, not a
silent clamp), fsynced, then linked into place. `replace=False` links it only
if nothing is there (two builds racing for one path: exactly one wins);
`replace=True` renames it over the old file. A build killed halfway leaves
nothing visible (or, without O_TMPFILE, a hidden temporary that the next
write into that directory removes). A reader sees the old file or the whole
new one, never a part.
"""

from __future__ import annotations

import contextlib
import errno
import os
import posixpath
import stat
from collections.abc import Iterator
from typing import TYPE_CHECKING, BinaryIO

from marker_tool.errors import InputError
from marker_tool.model import MARKER_CAP, MAX_SYMLINKS, MiB

if TYPE_CHECKING:
    from pathlib import PurePosixPath

StrPath = str | os.PathLike[str]

LIMITS: dict[str, int] = {
    "marker": MARKER_CAP,
    "config": MiB,
    "template": MiB,
    "catalog": 4 * MiB,
    "os-release": 64 * 1024,
    "interpreter": 64 * 1024,
}
FILE_MODE = 0o644
DIR_MODE = 0o755
_TEMP_SUFFIX = ".tmp"


class TooLarge(InputError):
    """A file is larger than the cap for its kind."""

    def __init__(self, path: StrPath, kind: str, limit: int) -> None:
        super().__init__(
            f"larger than {limit // 1024} KiB, the limit for a {kind}",
            file=os.fspath(path),
            hint=f"a {kind} is a few KB; is this the right file?",
        )
        self.limit = limit


def describe_mode(mode: int) -> str:
    """`a directory`, `a FIFO` ...: what a non-regular file is, for messages."""
    kinds = (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    )
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def _open_regular_fd(path: StrPath, kind: str) -> tuple[int, os.stat_result]:
    """An fd on a regular file; InputError for a directory, FIFO, device or socket (no hang)."""
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except IsADirectoryError:
        raise InputError(f"a directory, not a {kind} file", file=os.fspath(path)) from None
    except OSError as exc:
        if exc.errno != errno.ENXIO:  # a socket cannot be opened at all
            raise
        mode = os.stat(path).st_mode
        raise InputError(
            f"{describe_mode(mode)}, not a {kind} file", file=os.fspath(path)
        ) from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise InputError(
            f"{describe_mode(info.st_mode)}, not a {kind} file",
            file=os.fspath(path),
            hint=f"give the path of a regular {kind} file",
        )
    return fd, info


def open_regular(path: StrPath, *, kind: str) -> BinaryIO:
    """A regular file opened for reading in binary, never blocking on a FIFO or device.

    For inputs read as streams (packages, image blobs), whose size has no cap
    here: their readers bound what they read.
    """
    fd, _ = _open_regular_fd(path, kind)
    return os.fdopen(fd, "rb")


def read_bytes(path: StrPath, *, kind: str, limit: int | None = None) -> bytes:
    """The whole content of a regular file, at most `limit` (default: LIMITS[kind]) bytes.

    Raises InputError for a directory, FIFO, device or socket and TooLarge past
    the limit; OSError (FileNotFoundError, PermissionError ...) as the system
    raises it, for the caller to word.
    """
    cap = LIMITS[kind] if limit is None else limit
    fd, info = _open_regular_fd(path, kind)
    try:
        if info.st_size > cap:
            raise TooLarge(path, kind, cap)
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(fd, min(cap + 1 - size, MiB) or 1):
            chunks.append(chunk)
            size += len(chunk)
            if size > cap:
                raise TooLarge(path, kind, cap)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_stream(stream: BinaryIO, *, kind: str, name: str = "-") -> bytes:
    """Standard input (or another binary stream), at most LIMITS[kind] bytes (TooLarge past it)."""
    cap = LIMITS[kind]
    data = stream.read(cap + 1)
    if len(data) > cap:
        raise TooLarge(name, kind, cap)
    return data


def same_content(path: StrPath, data: bytes) -> bool:
    """True when `path` is a regular file holding exactly `data` (compared in chunks).

    A file of another size is never read, so a 4 GB file there costs one stat.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size != len(data):
            return False
        offset = 0
        while offset < len(data):
            chunk = os.read(fd, MiB)
            if not chunk or chunk != data[offset : offset + len(chunk)]:
                return False
            offset += len(chunk)
        return not os.read(fd, 1)
    finally:
        os.close(fd)


# -- writing ----------------------------------------------------------------------


class EscapeError(InputError):
    """A path inside a root leads out of it (through a symlink or `..`)."""


def _open_dir(name: str, dir_fd: int | None) -> int:
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    return os.open(name, flags, dir_fd=dir_fd)


def _make_root(root: str) -> None:
    try:
        os.makedirs(root, exist_ok=True)
    except FileExistsError:  # a file, not a directory: not another build's marker
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), root) from None


def _walk(root: str, parts: tuple[str, ...], *, create: bool) -> tuple[int, list[str]]:
    """A descriptor of root/parts, every step inside `root`, and the path it resolved to.

    The caller closes the descriptor. Missing directories are made (mode 0755
    whatever the umask) when `create`; otherwise a missing one raises
    FileNotFoundError. A symlink on the way is followed only while it stays
    inside the root.
    """
    if create:
        _make_root(root)
    stack = [os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)]
    names: list[str] = []
    pending = list(parts)
    links = 0
    try:
        while pending:
            name = pending.pop(0)
            if name in ("", "."):
                continue
            if name == "..":
                if not names:
                    raise EscapeError(f"leads out of `{root}` through `..`", file=root)
                os.close(stack.pop())
                names.pop()
                continue
            try:
                stack.append(_open_dir(name, stack[-1]))
                names.append(name)
                continue
            except FileNotFoundError:
                if not create:
                    raise
            except OSError as exc:
                if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
                    raise
                try:
                    target = os.readlink(name, dir_fd=stack[-1])
                except OSError:
                    raise exc from None  # not a symlink: a file is in the way
                links += 1
                if links > MAX_SYMLINKS or target.startswith("/"):
                    where = "/".join(parts)
                    raise EscapeError(
                        f"`{where}` leads out of `{root}` through the symlink `{name}` -> "
                        f"`{target}`",
                        file=os.path.join(root, where),
                        hint="marker-tool writes only inside the destdir; remove or fix the "
                        "symlink",
                    ) from None
                pending[:0] = target.split("/")
                continue
            with contextlib.suppress(FileExistsError):  # another build made it meanwhile
                os.mkdir(name, DIR_MODE, dir_fd=stack[-1])
            fd = _open_dir(name, stack[-1])
            os.fchmod(fd, DIR_MODE)
            stack.append(fd)
            names.append(name)
        return stack.pop(), names
    finally:
        for fd in stack:
            os.close(fd)


def check_inside(root: StrPath, directory: PurePosixPath | str) -> None:
    """Raise EscapeError when the existing part of root/directory leads out of `root`.

    `write_file` checks again while it writes; this lets a plan (or a dry run)
    refuse before anything is written.
    """
    resolve_inside(root, directory)


def resolve_inside(root: StrPath, path: PurePosixPath | str) -> str:
    """`path` (absolute, inside `root`) with the symlinks of its existing part resolved in the tree.

    `/usr/lib64/python3.12` is `/usr/lib/python3.12` when `usr/lib64` links to
    `lib`. EscapeError when the existing part leads out of `root`.
    """
    root = os.fspath(root)
    parts = [part for part in str(path).split("/") if part]
    if not os.path.isdir(root):
        return "/" + "/".join(parts)
    for depth in range(len(parts), -1, -1):
        try:
            fd, names = _walk(root, tuple(parts[:depth]), create=False)
        except (FileNotFoundError, NotADirectoryError):
            continue
        os.close(fd)
        return "/" + "/".join([*names, *parts[depth:]])
    return "/" + "/".join(parts)


def _split(root: str, path: PurePosixPath | str) -> tuple[tuple[str, ...], str]:
    parent, name = posixpath.split(str(path))
    if name in ("", ".", ".."):
        raise InputError(f"`{path}` does not name a file", file=root)
    return tuple(part for part in parent.split("/") if part), name


def _clean_stale_temps(dir_fd: int, name: str) -> None:
    """Remove hidden temporary files of `name` that an earlier, killed run left."""
    prefix = f".{name}."
    for entry in os.listdir(dir_fd):
        if entry.startswith(prefix) and entry.endswith(_TEMP_SUFFIX):
            with contextlib.suppress(OSError):
                os.unlink(entry, dir_fd=dir_fd)


def _temp_name(name: str) -> str:
    return f".{name}.{os.urandom(6).hex()}{_TEMP_SUFFIX}"


def _place(dir_fd: int, temp: str, name: str, *, replace: bool) -> bool:
    """Move `temp` to `name` in one directory; returns whether something was replaced."""
    try:
        if replace:
            existed = _exists(dir_fd, name)
            os.replace(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
            return existed
        try:
            os.link(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd, follow_symlinks=False)
        except FileExistsError:
            raise FileExistsError(errno.EEXIST, "a file is already there", name) from None
        return False
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp, dir_fd=dir_fd)


def _exists(dir_fd: int, name: str) -> bool:
    try:
        os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True


@contextlib.contextmanager
def _parent_of(root: StrPath, path: PurePosixPath | str) -> Iterator[tuple[int, str]]:
    """root/path's directory (made, walked inside `root`) and the file's name.

    The opening every write shares: stale temporaries are removed first, and the
    directory is fsynced and closed afterwards, so the new name survives a crash.
    """
    root = os.fspath(root)
    parents, name = _split(root, path)
    dir_fd, _ = _walk(root, parents, create=True)
    try:
        _clean_stale_temps(dir_fd, name)
        yield dir_fd, name
    finally:
        with contextlib.suppress(OSError):
            os.fsync(dir_fd)
        os.close(dir_fd)


def write_file(
    root: StrPath,
    path: PurePosixPath | str,
    data: bytes,
    *,
    replace: bool,
    mode: int = FILE_MODE,
    mtime: int | None = None,
) -> bool:
    """Write `data` to root/path atomically (see the module docstring); True if it replaced one.

    `replace=False` raises FileExistsError when anything is at the path by the
    time the file is linked; EscapeError when the path leads out of `root`.
    """
    with _parent_of(root, path) as (dir_fd, name):
        anonymous = _open_anonymous(dir_fd)
        if anonymous is not None:
            try:
                _fill(anonymous, data, mode, mtime)
                return _link_anonymous(anonymous, dir_fd, name, replace=replace)
            finally:
                os.close(anonymous)
        temp = _temp_name(name)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(temp, flags, 0o600, dir_fd=dir_fd)
        try:
            _fill(fd, data, mode, mtime)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp, dir_fd=dir_fd)
            raise
        finally:
            os.close(fd)
        return _place(dir_fd, temp, name, replace=replace)


def _open_anonymous(dir_fd: int) -> int | None:
    """A file with no name in the directory (Linux `O_TMPFILE`), or None where there is none.

    Such a file never shows in the directory until it is linked, so a build
    killed halfway leaves nothing behind.
    """
    flag = getattr(os, "O_TMPFILE", 0)
    if not flag or not os.path.isdir("/proc/self/fd"):
        return None
    try:
        return os.open(".", flag | os.O_WRONLY | os.O_CLOEXEC, 0o600, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
            return None
        raise


def _link_anonymous(fd: int, dir_fd: int, name: str, *, replace: bool) -> bool:
    """Give the anonymous file `fd` its name; True when it replaced a file."""
    source = f"/proc/self/fd/{fd}"
    if not replace:
        try:
            os.link(source, name, dst_dir_fd=dir_fd, follow_symlinks=True)
        except FileExistsError:
            raise FileExistsError(errno.EEXIST, "a file is already there", name) from None
        return False
    temp = _temp_name(name)
    os.link(source, temp, dst_dir_fd=dir_fd, follow_symlinks=True)
    return _place(dir_fd, temp, name, replace=True)


def _fill(fd: int, data: bytes, mode: int, mtime: int | None) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.fchmod(fd, mode)
    if mtime is not None:
        os.utime(fd, (mtime, mtime))
        stored = int(os.fstat(fd).st_mtime)
        if stored != mtime:
            raise InputError(
                f"this file system stores the time SOURCE_DATE_EPOCH={mtime} as {stored}",
                key="SOURCE_DATE_EPOCH",
                hint="use a time the file system can store (ext4 and tmpfs: up to 2446)",
            )
    os.fsync(fd)


def write_link(
    root: StrPath,
    path: PurePosixPath | str,
    target: str,
    *,
    replace: bool,
    mtime: int | None = None,
) -> bool:
    """Make root/path a symlink to `target`, atomically, inside `root` (as `write_file`)."""
    with _parent_of(root, path) as (dir_fd, name):
        temp = _temp_name(name)
        os.symlink(target, temp, dir_fd=dir_fd)
        if mtime is not None and os.utime in os.supports_follow_symlinks:
            with contextlib.suppress(OSError):
                os.utime(temp, (mtime, mtime), dir_fd=dir_fd, follow_symlinks=False)
        return _place(dir_fd, temp, name, replace=replace)


def write_text(path: StrPath, text: str, *, replace: bool) -> bool:
    """Write a text file the user named (`init -o`, `render -o`, a catalog), atomically.

    The user's own path may pass through symlinks; only the last step is ours.
    """
    directory, name = os.path.split(os.path.abspath(path))
    return write_file(directory, name, text.encode("utf-8"), replace=replace)
