"""What every reader shares: the caps, an entry, a package, the file-list helpers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from marker_tool.errors import MarkerToolError
from marker_tool.layouts import stdlib_dir_version
from marker_tool.model import MARKER_CAP, MiB, PythonVersion

MemberKind = Literal["file", "directory", "symlink", "hardlink", "other"]


#: The longest member name used (Linux's PATH_MAX); longer ones are kept aside as unsafe.
NAME_MAX_CHARS = 4096


@dataclass(frozen=True, slots=True)
class Limits:
    """Caps on what one package may cost to read."""

    #: Bytes of decompressed payload read from one package.
    decompressed: int = 4096 * MiB
    #: Members (files, directories, links) in one package.
    members: int = 1_000_000
    #: Bytes of one marker that are read (larger ones are a finding, EM107).
    marker: int = MARKER_CAP
    #: Memory the xz decoder may use (xz -9 needs about 65 MiB).
    xz_memory: int = 128 * MiB
    #: Window a zstd frame may ask for (libzstd's default ceiling; dpkg uses 2 MiB).
    zstd_window_log: int = 27
    #: Images one input (an image index or archive) may list.
    images: int = 256
    #: Layers one image may have (Docker allows 127).
    layers: int = 512


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class Member:
    """One member of a package, as its archive describes it."""

    #: `/`-separated, relative to the package root: `usr/lib/python3.12/os.py`.
    path: str
    kind: MemberKind
    #: Permission bits (`0o644`).
    mode: int
    #: `(user, group)`, names where the archive has them, else ids.
    owner: tuple[str, str]
    size: int = 0
    #: A symlink's target, or the path a hard link points to.
    link: str | None = None

    def __reduce__(self) -> tuple[type[Member], tuple[object, ...]]:
        # Pickled as its fields, a quarter of the default's cost: `check`'s worker
        # processes hand the parent every member of every package.
        return Member, (self.path, self.kind, self.mode, self.owner, self.size, self.link)


@dataclass(frozen=True, slots=True)
class Package:
    """What a reader found in one package or tree."""

    #: The path it was read from.
    source: str
    #: `deb`, `rpm`, `arch`, `apk`, `oci`, `docker`, `directory`.
    format: str
    #: From the package's own metadata (`Package`, `Version`, `Architecture`), when it has them.
    name: str | None = None
    version: str | None = None
    arch: str | None = None
    #: Every entry, by path.
    entries: dict[str, Member] = field(default_factory=dict)
    #: The content of every regular file named EXTERNALLY-MANAGED that was read.
    markers: dict[str, bytes] = field(default_factory=dict)
    #: Markers too large to read (path -> size).
    too_large: dict[str, int] = field(default_factory=dict)
    #: Entries whose names are not safe (`..`, absolute), as written in the archive.
    unsafe: tuple[str, ...] = ()
    #: The package's own list of regular files and their digests, when it has one.
    file_list: dict[str, str] | None = None
    #: The `hashlib` name of those digests (`md5` for a .deb, `sha256` for most rpms).
    digest: str = "md5"
    #: Whether the payload was read to the end (False for an rpm, read only to its last marker).
    complete: bool = True
    #: Names of the packages it depends on (any alternative), for cited paths.
    depends: tuple[str, ...] = ()
    #: Maintainer scripts by name (`preinst`, `postinst` ...), for `dpkg-divert` calls.
    scripts: dict[str, str] = field(default_factory=dict)
    #: What the reader passed over and why (an image index's attestation manifests).
    notes: tuple[str, ...] = ()


class PackageError(MarkerToolError):
    """A package cannot be read: truncated, corrupt, over a cap, an unknown format."""


def normalise(name: str) -> str | None:
    """A member name as a path inside the package (`./usr/x` -> `usr/x`), None when unsafe.

    A name longer than any path the kernel resolves is unsafe too: no system holds it,
    and resolving it would cost time in the square of its length.
    """
    if len(name) > NAME_MAX_CHARS:
        return None
    if not name.startswith((".", "/")) and "/." not in name and "//" not in name:
        return name.rstrip("/")  # already plain: the common case, kept cheap
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if name.startswith("/") and name not in ("/", "./"):
        return None
    if ".." in parts:
        return None
    return "/".join(parts)


def is_module(name: str) -> bool:
    """Whether a file directly in a stdlib dir is one of its modules.

    `_sysconfigdata_*.py` is not: libpython3.X-dbg ships only that one file
    for its debug build, in a stdlib dir whose modules come from another package.
    """
    return name.endswith(".py") and not name.startswith("_sysconfigdata")


def stdlib_dirs(paths: Iterable[str]) -> dict[str, PythonVersion]:
    """The stdlib dirs among `paths`, with their Pythons.

    A stdlib dir is where the layout registry puts one (`lib/pythonX.Y[t]`,
    `lib64/...`, under any prefix) holding a module of its own (`os.py`,
    `argparse.py`). Debian splits one stdlib between libpython3.X-minimal
    (os.py) and libpython3.X-stdlib (the rest, and the marker); a package
    with only subdirs there (`idlelib/`, `test/`) or only sysconfig data
    (libpython3.X-dbg) is an add-on, not the stdlib; `etc/pythonX.Y`
    (sitecustomize.py) is configuration.
    """
    out: dict[str, PythonVersion] = {}
    seen: set[str] = set()
    for path in paths:
        if path.endswith(".py"):
            directory, _, name = path.rpartition("/")
            if directory not in seen and is_module(name):
                seen.add(directory)
                version = stdlib_dir_version(directory)
                if version is not None:
                    out[directory] = version
    return out


def digests_agree(markers: dict[str, bytes], file_list: dict[str, str], algorithm: str) -> bool:
    """Whether every marker read has the digest the package's own list gives it."""
    import hashlib  # only `check` verifies digests; `validate` sniffs packages without it

    return all(
        hashlib.new(algorithm, data, usedforsecurity=False).hexdigest() == file_list.get(where)
        for where, data in markers.items()
    )
