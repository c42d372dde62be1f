"""What every reader shares: the caps and the budget, a member, a package, the reader
protocol, the one byte-stream type, and the file-list helpers."""

from __future__ import annotations

import io
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

from marker_tool.errors import PackageError
from marker_tool.layouts import stdlib_dir_version
from marker_tool.model import MARKER_CAP, MiB, PythonVersion
from marker_tool.sources.magic import is_tar

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

MemberKind = Literal["file", "directory", "symlink", "hardlink", "other"]


#: The longest member name used (Linux's PATH_MAX); longer ones are kept aside as unsafe.
NAME_MAX_CHARS = 4096
#: Unsafe member names kept per package for its report; past these they are counted.
UNSAFE_KEPT = 8


def shortened(name: str) -> str:
    """A name as kept for a report: at most a few hundred characters of it."""
    return name if len(name) <= 300 else name[:300] + f"... ({len(name)} characters)"


class Implied:
    """The directories an input's entry names imply, counted as a system will index them.

    A system answers "is this a directory" from every parent of every name, each a
    string as long as its path: `x1/a/a/.../a/f` (2,000 levels) implies 2,000 paths
    of 2,000 characters on average. Counted here in a trie of ids (one small tuple
    per directory, whatever its depth), charged by the characters of each new one;
    names in the directory of the entry before are not walked again.
    """

    __slots__ = ("last", "left", "lengths", "limit", "nodes")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.left = limit
        self.nodes: dict[tuple[int, str], int] = {}
        self.lengths = [0]
        self.last = ""

    def add(self, name: str) -> None:
        """The directories `name` (a safe, normalised path) implies; PackageError past the
        input's allowance."""
        parent = name.rpartition("/")[0]
        if parent == self.last or not parent:
            return
        self.last = parent
        node = 0
        for part in parent.split("/"):
            child = self.nodes.get((node, part))
            if child is None:
                child = self.nodes[node, part] = len(self.lengths)
                length = self.lengths[node] + len(part) + (1 if node else 0)
                self.lengths.append(length)
                self.left -= length + 64  # and what a string costs beside its characters
            node = child
        if self.left < 0:
            raise PackageError(
                f"its names imply directories of more than {self.limit} characters in all "
                "(names thousands of levels deep)",
                hint="corrupt, or made to be hostile",
            )


class Unsafe:
    """Member names kept aside as unsafe: the first few, shortened, and a count of all.

    A million `../x` names must not cost a million strings, nor a million findings.
    """

    __slots__ = ("count", "names")

    def __init__(self) -> None:
        self.names: list[str] = []
        self.count = 0

    def add(self, name: str) -> None:
        self.count += 1
        if len(self.names) < UNSAFE_KEPT:
            self.names.append(shortened(name))

    def extend(self, other: Unsafe) -> None:
        for name in other.names:
            self.add(name)
        self.count += other.count - len(other.names)


@dataclass(frozen=True, slots=True)
class Limits:
    """Caps on what one input may cost to read: one `Budget` of each, however it nests."""

    #: Bytes of decompressed payload read from one input (an uncompressed one's bytes too).
    decompressed: int = 4096 * MiB
    #: Members (files, directories, links) in one input, every layer and image counted.
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
    #: Layers applied for one input, all its images together (a layer several images
    #: share is read once, applied to each).
    layers_applied: int = 4096
    #: Entries applied to image trees for one input (layers x entries, all images).
    entries_applied: int = 4_000_000
    #: Path components walked resolving paths inside one input's trees (link hops x
    #: target length): a real image needs a few per entry.
    resolve_steps: int = 4_000_000
    #: Characters of the directories its entries' names imply (each a path of its own in
    #: a system's index: a deep name under a top of its own implies its depth x its length).
    directory_chars: int = 64 * MiB
    #: Decompressed bytes per compressed byte past `RATIO_FLOOR` (a real package is 3-20;
    #: gzip cannot pass 1032, the others reach millions only on runs of one byte).
    ratio: int = 500
    #: Trees (`check /`, a mounted image): read into other mounted file systems too.
    #: Pseudo-filesystems (proc, sysfs, devtmpfs ...) are never read.
    other_mounts: bool = False


DEFAULT_LIMITS = Limits()

#: Decompressed bytes of one input before its compression ratio is judged.
RATIO_FLOOR = 64 * MiB
#: Digits of a decimal integer read from an input (a size, a count); 20 hold any 64-bit one.
MAX_DIGITS = 20


def decimal(text: str | bytes, what: str, *, digits: int = MAX_DIGITS) -> int:
    """A non-negative decimal integer of at most `digits` ASCII digits, or PackageError.

    `str.isdigit()` alone accepts `²` and other digits `int()` refuses, and `int()`
    refuses more than 4300 digits with a ValueError: neither may end a run.
    """
    raw = text.encode("ascii", "replace") if isinstance(text, str) else text
    if not raw or len(raw) > digits or not (raw.isascii() and raw.isdigit()):
        shown = raw[:24].decode("ascii", "replace") + ("..." if len(raw) > 24 else "")
        raise PackageError(
            f"{what} is not a number of at most {digits} digits: {shown!r}",
            hint="the input is corrupt, or made to be hostile",
        )
    return int(raw)


class Budget:
    """What reading one input may still cost; every nested part of it draws from here.

    The layers of an image, the images of an index, the control and data members
    of a .deb: all spend one input's bytes, members, layers, entries applied and
    resolution steps, so caps cannot multiply. Each kind's cap is in `Limits`.
    """

    __slots__ = (
        "compressed",
        "decompressed",
        "directories",
        "entries",
        "layers",
        "limits",
        "members",
        "spent_bytes",
        "steps",
    )

    def __init__(self, limits: Limits = DEFAULT_LIMITS) -> None:
        self.limits = limits
        #: Bytes of decompressed payload still allowed.
        self.decompressed = limits.decompressed
        #: Members (files, directories, links) still allowed.
        self.members = limits.members
        #: Layers still to be applied, and entries still to be applied to image trees.
        self.layers = limits.layers_applied
        self.entries = limits.entries_applied
        #: Path components still to be walked resolving paths.
        self.steps = limits.resolve_steps
        #: Characters of implied directories still allowed (`Implied`).
        self.directories = Implied(limits.directory_chars)
        #: Compressed bytes read, and decompressed bytes given out, for the ratio guard.
        self.compressed = 0
        self.spent_bytes = 0

    def spend_bytes(self, size: int) -> None:
        self.decompressed -= size
        self.spent_bytes += size
        if self.decompressed < 0:
            raise PackageError(
                "the payload decompresses to more than the limit",
                hint="a decompression bomb? `--max-decompressed MIB` raises the limit",
            )

    def spend_compressed(self, size: int) -> None:
        """`size` more compressed bytes read; a bomb's ratio ends it early."""
        self.compressed += size

    def judge_ratio(self) -> None:
        """PackageError when past `RATIO_FLOOR` the payload is `ratio` times its compressed
        bytes: a 4 GiB bomb ends in its first tens of MiB, not at the decompression cap."""
        if self.spent_bytes > RATIO_FLOOR and self.spent_bytes > self.limits.ratio * max(
            self.compressed, 1
        ):
            raise PackageError(
                f"the payload decompresses to more than {self.limits.ratio} times its "
                f"compressed size ({self.spent_bytes // MiB} MiB from "
                f"{max(self.compressed // 1024, 1)} KiB so far)",
                hint="a decompression bomb? no real package compresses that well",
            )

    def spend_member(self) -> None:
        self.members -= 1
        if self.members < 0:
            raise PackageError(
                f"more than {self.limits.members} members",
                hint="`--max-members N` raises the limit",
            )

    def spend_layer(self, entries: int) -> None:
        """One layer applied, of `entries` entries."""
        self.layers -= 1
        self.entries -= entries
        if self.layers < 0:
            raise PackageError(
                f"more than {self.limits.layers_applied} layers applied for its images",
                hint="many images listing many layers; each image is checked on its own "
                "when given as its own input",
            )
        if self.entries < 0:
            raise PackageError(
                f"more than {self.limits.entries_applied} entries applied for its images "
                "(layers x entries)",
                hint="many images of large layers; check the images one at a time",
            )

    def spend_steps(self, steps: int) -> None:
        """`steps` path components walked resolving paths (symlinks followed)."""
        self.steps -= steps
        if self.steps < 0:
            raise PackageError(
                f"resolving its paths walks more than {self.limits.resolve_steps} path "
                "components (symlinks with long targets, followed again and again)",
                hint="corrupt, or made to be hostile",
            )


#: Bytes read at a time from a stream.
CHUNK = 256 * 1024


class Stream(Protocol):
    """The one byte-stream type the readers parse: a file, a member, a decompressed view."""

    def read(self, size: int = -1, /) -> bytes: ...


class RawStream(io.RawIOBase):
    """A readable stream whose subclass gives `_fill`; `read` always returns bytes.

    What `Bounded`, `Decompressed` and an image tarball's `Window` share, so
    each is a `base.Stream` as a file is.
    """

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1, /) -> bytes:
        if size < 0:
            return self.readall()
        return self._fill(size)

    def readall(self) -> bytes:
        parts = []
        while chunk := self._fill(CHUNK):
            parts.append(chunk)
        return b"".join(parts)

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        view = memoryview(buffer).cast("B")
        data = self._fill(len(view))
        view[: len(data)] = data
        return len(data)

    def _fill(self, size: int) -> bytes:
        """At most `size` bytes (fewer only at the end)."""
        raise NotImplementedError


def exactly(stream: Stream, size: int, what: str) -> bytes:
    """The next `size` bytes of `stream`, or PackageError: it ends inside `what`."""
    data = stream.read(size)
    if len(data) != size:
        raise PackageError(f"it ends inside {what} (truncated?)")
    return data


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
    #: The name of the reader that read it (`deb`, `rpm`, `oci` ...: `sources.detect.READERS`).
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
    #: Entries whose names are not safe (`..`, absolute), as written in the archive: the
    #: first `UNSAFE_KEPT` of them (names shortened); `unsafe_count` counts them all.
    unsafe: tuple[str, ...] = ()
    unsafe_count: int = 0
    #: The package's own list of regular files and their digests, when it has one.
    file_list: dict[str, str] | None = None
    #: The `hashlib` name of those digests (`md5` for a .deb, `sha256` for most rpms).
    digest: str = "md5"
    #: Names of the packages it depends on (any alternative), for cited paths.
    depends: tuple[str, ...] = ()
    #: Maintainer scripts by name (`preinst`, `postinst` ...), for `dpkg-divert` calls.
    scripts: dict[str, str] = field(default_factory=dict)
    #: What the reader passed over and why (an image index's attestation manifests).
    notes: tuple[str, ...] = ()
    #: A .deb's `Multi-Arch` field (`same`: its instances of several architectures are
    #: installed side by side, sharing identical paths).
    multi_arch: str | None = None
    #: Where runtimes disagree about the package's tree (an image layer whose whiteouts lie
    #: beneath a symlinked directory): each a sentence naming the path.
    ambiguities: tuple[str, ...] = ()


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


@dataclass(slots=True)
class Probe:
    """What an input is, as far as its first bytes and its path tell: readers recognise it."""

    path: str
    #: A directory (a tree, an OCI layout, an image in a folder), not a file.
    directory: bool
    #: The file's first bytes (`PROBE_BYTES` of them; none for a directory).
    head: bytes = b""
    #: The compression those bytes start (`sources.magic`), `none` when none.
    compression: str = "none"
    #: The first bytes once decompressed (`head` itself when not compressed).
    inner: bytes = b""
    #: What else a reader learnt while recognising it (an image tarball's member index),
    #: kept so the file is not read twice.
    cache: dict[str, object] = field(default_factory=dict)

    @property
    def first_member(self) -> str | None:
        """The name of the first member of the tar archive `inner` starts, if it is one."""
        if not is_tar(self.inner):
            return None
        return self.inner[:100].split(b"\0", 1)[0].decode("utf-8", "replace").removeprefix("./")

    def has_file(self, name: str) -> bool:
        """Whether a directory input holds the regular file `name` at its top."""
        import os

        return self.directory and os.path.isfile(os.path.join(self.path, name))


Recognise = Callable[[Probe], bool]
Read = Callable[[Probe, Budget, Collection[str]], list[Package]]


def one_package(read: Callable[..., Package]) -> Read:
    """The `Read` of a format whose input is one package: `read(path, budget, also=also)`."""
    return lambda probe, budget, also: [read(probe.path, budget, also=also)]


@dataclass(frozen=True, slots=True)
class Reader:
    """One format `check` reads: its name, how it is told, and how it is read.

    `sources.detect.READERS` lists them all, in the order they are asked; every
    list of formats (folder suffixes, messages, `--help`, the docs) comes from it.
    """

    #: The format's name, which every `Package` it reads carries: `deb`.
    name: str
    #: What it is, for messages and the docs: `a Debian binary package`.
    description: str
    #: Whether its input is a file's first bytes or a directory.
    directory: bool
    #: Whether this probe is this format (from the first bytes and the path).
    recognise: Recognise
    #: The packages it holds (an image archive may hold several). `also`: files read like
    #: markers, the targets of symlinked markers.
    read: Read
    #: File-name endings of the format, for the packages in a folder given to `check`.
    suffixes: tuple[str, ...] = ()
    #: A package of a build: packages given together are one system. Otherwise each
    #: package read is a system of its own (an image, a tree).
    pooled: bool = False
