"""A path resolved inside a root as the kernel resolves it: the one owner of that rule.

`check` resolves a marker's path inside a system; the image reader resolves
a whiteout's parent inside the layers applied so far (runtimes that extract
layers go through a symlinked directory, as a process would). Every symlink
is followed; an absolute target starts again at the root; `..` at the root
stays there; at most `MAX_SYMLINKS` links are followed (ELOOP).

Linear in the length of the path and its link targets: the path so far is one
string grown at its end, and each target longer than any path a kernel
resolves (`NAME_MAX_CHARS`) makes the path unresolvable, so one resolution
costs at most `MAX_SYMLINKS` x `NAME_MAX_CHARS` characters of work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from marker_tool.model import MAX_SYMLINKS
from marker_tool.sources.base import NAME_MAX_CHARS, Member

#: What a path leads to.
Outcome = Literal["file", "directory", "other", "symlink-loop", "dangling-symlink"]


@dataclass(frozen=True, slots=True)
class Resolved:
    """Where a path ends and what is there."""

    kind: Outcome
    #: The path it ends at (for a dangling path, as far as it got).
    path: str


def resolve(
    where: str,
    member: Callable[[str], Member | None],
    is_directory: Callable[[str], bool],
) -> Resolved:
    """`where` with every symlink followed; `member` looks up an entry, `is_directory`
    says whether a path with no entry of its own is a directory (an archive need not
    list every parent)."""
    pending = [p for p in reversed(where.split("/")) if p and p != "."]
    current = ""
    lengths: list[int] = []  # len(current) before each component, for `..`
    followed = 0
    while pending:
        part = pending.pop()
        if part == ".":
            continue
        if part == "..":
            if lengths:
                current = current[: lengths.pop()]
            continue
        candidate = f"{current}/{part}" if current else part
        held = member(candidate)
        if held is not None and held.kind == "symlink" and held.link is not None:
            followed += 1
            if followed > MAX_SYMLINKS or len(held.link) > NAME_MAX_CHARS:
                return Resolved("symlink-loop", candidate)
            if held.link.startswith("/"):
                current, lengths = "", []
            pending += [p for p in reversed(held.link.split("/")) if p and p != "."]
            continue
        if held is not None and held.kind == "hardlink" and held.link and not pending:
            current, lengths = held.link, []  # the last part: nothing follows to climb out of
        else:
            lengths.append(len(current))
            current = candidate
        if pending and not _directory(held, current, is_directory):
            return Resolved("dangling-symlink", current)  # a file used as a directory
    if not current:
        return Resolved("directory", "")
    held = member(current)
    if held is None:
        return Resolved("directory" if is_directory(current) else "dangling-symlink", current)
    kind = held.kind
    return Resolved(
        "file" if kind in ("file", "hardlink") else "directory" if kind == "directory" else "other",
        current,
    )


def _directory(held: Member | None, where: str, is_directory: Callable[[str], bool]) -> bool:
    if held is None:
        return is_directory(where)
    return held.kind == "directory"
