"""What a path on this machine is: a regular file on a real file system, or not.

`check` opens only regular files, and never one of a pseudo-filesystem: a
file of /proc or /sys says it is regular and lies about its size
(`/proc/kcore` claims 128 TiB; hashing it never ends). The mount table
(`/proc/self/mountinfo`) tells which file system a device number is; the
standard library's `os.statvfs` does not give the file system's type, hence
this module. A machine without /proc mounted has no such files to fear.
"""

from __future__ import annotations

import functools
import os
import stat
from dataclasses import dataclass

from marker_tool.errors import PackageError

#: File systems whose files are no one's data: the kernel's views, devices, control files.
PSEUDO = frozenset(
    {
        "autofs",
        "binfmt_misc",
        "bpf",
        "cgroup",
        "cgroup2",
        "configfs",
        "debugfs",
        "devpts",
        "devtmpfs",
        "efivarfs",
        "fusectl",
        "hugetlbfs",
        "mqueue",
        "nsfs",
        "proc",
        "pstore",
        "rpc_pipefs",
        "securityfs",
        "selinuxfs",
        "sysfs",
        "tracefs",
    }
)


@dataclass(frozen=True, slots=True)
class Mount:
    """One line of the mount table."""

    point: str
    fstype: str


def _unescape(field: str) -> str:
    r"""mountinfo's octal escapes (`\040` for a space) undone."""
    if "\\" not in field:
        return field
    raw = field.encode("utf-8", "surrogateescape")
    out, at = bytearray(), 0
    while at < len(raw):
        if raw[at] == 0x5C and raw[at + 1 : at + 4].isdigit():
            out.append(int(raw[at + 1 : at + 4], 8) & 0xFF)
            at += 4
        else:
            out.append(raw[at])
            at += 1
    return out.decode("utf-8", "surrogateescape")


@functools.cache
def mounts() -> dict[int, Mount]:
    """Device number -> its mount, from this process's mount table (empty without /proc)."""
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as handle:
            lines = handle.read(8 * 1024 * 1024).splitlines()
    except OSError:
        return {}
    table: dict[int, Mount] = {}
    for line in lines:
        fields = line.split(" ")
        if "-" not in fields[6:] or len(fields) < 10:
            continue
        dash = fields.index("-", 6)
        major, _, minor = fields[2].partition(":")
        if not (major.isascii() and major.isdigit() and minor.isascii() and minor.isdigit()):
            continue
        device = os.makedev(int(major), int(minor))
        table[device] = Mount(_unescape(fields[4]), fields[dash + 1])
    return table


def pseudo_points() -> frozenset[str]:
    """Where pseudo-filesystems are mounted (`/proc`, `/sys`, `/dev` ...)."""
    return frozenset(m.point for m in mounts().values() if m.fstype in PSEUDO)


def fstype_of(device: int) -> str | None:
    mount = mounts().get(device)
    return mount.fstype if mount is not None else None


def check_regular(path: str, info: os.stat_result, kind: str) -> None:
    """PackageError unless `info` (of the open file, after its symlinks) is a regular file
    on a real file system, named by its path."""
    if not stat.S_ISREG(info.st_mode):
        raise PackageError(f"`{path}` is not a regular file; not a {kind}")
    fstype = fstype_of(info.st_dev)
    if fstype in PSEUDO:
        raise PackageError(
            f"`{path}` is a file of {fstype}, a pseudo-filesystem, not a {kind}",
            hint="a symlink into /proc, /sys or /dev?",
        )


def regular_size(path: str, kind: str) -> int:
    """The size of the regular file at `path` (its symlinks followed), or PackageError."""
    try:
        info = os.stat(path)
    except OSError as exc:
        raise PackageError(f"`{path}`: {exc.strerror or exc}") from None
    check_regular(path, info, kind)
    return info.st_size
