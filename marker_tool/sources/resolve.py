"""A path resolved inside a root as the kernel resolves it: the one owner of that rule.

`check` resolves a marker's path inside a system; the image reader resolves
a whiteout's parent inside the layers applied so far (runtimes that extract
layers go through a symlinked directory, as a process would). Every symlink
is followed; an absolute target starts again at the root; `..` at the root
stays there; at most `MAX_SYMLINKS` links are followed (ELOOP).

Linear in the length of the path and its link targets: each component is
one step (a lookup of the path so far, which is never longer than
`NAME_MAX_CHARS`: the kernel's PATH_MAX, ENAMETOOLONG past it); a target
longer than that, or targets adding up to more than `TARGET_CHARS`, make the
path unresolvable. So one resolution costs at most about `TARGET_CHARS` / 2
steps, and a caller's `Budget` (an image's layers) bounds them all together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from marker_tool.model import MAX_SYMLINKS
from marker_tool.sources.base import NAME_MAX_CHARS, Budget, Member

#: Characters of link targets followed in one resolution. The kernel allows 40 links of
#: 4096 characters each; no real chain comes near a fraction of that, and a hostile one
#: of components that climb in and out would cost 80,000 lookups.
TARGET_CHARS = 4 * NAME_MAX_CHARS

#: What a path leads to.
Outcome = Literal["file", "directory", "other", "symlink-loop", "dangling-symlink"]


@dataclass(frozen=True, slots=True)
class Resolved:
    """Where a path ends and what is there."""

    kind: Outcome
    #: The path it ends at (for a dangling path, as far as it got).
    path: str
    #: Components walked (the work it cost).
    steps: int = 0


def resolve(
    where: str,
    member: Callable[[str], Member | None],
    is_directory: Callable[[str], bool],
    budget: Budget | None = None,
) -> Resolved:
    """`where` with every symlink followed; `member` looks up an entry, `is_directory`
    says whether a path with no entry of its own is a directory (an archive need not
    list every parent). `budget`: the input's, which the steps are spent from."""
    walk = _Walk(where)
    outcome = walk.run(member, is_directory)
    if budget is not None:
        budget.spend_steps(walk.steps)
    return Resolved(outcome[0], outcome[1], walk.steps)


class _Walk:
    """One resolution's state: components still to walk, the path so far, its work."""

    def __init__(self, where: str) -> None:
        self.pending = [p for p in reversed(where.split("/")) if p and p != "."]
        self.current = ""
        self.lengths: list[int] = []  # len(current) before each component, for `..`
        self.followed = 0
        self.targets = 0
        self.steps = 0

    def run(
        self, member: Callable[[str], Member | None], is_directory: Callable[[str], bool]
    ) -> tuple[Outcome, str]:
        pending = self.pending
        while pending:
            part = pending.pop()
            self.steps += 1
            if part == "..":
                if self.lengths:
                    self.current = self.current[: self.lengths.pop()]
                continue
            current = self.current
            candidate = f"{current}/{part}" if current else part
            if len(candidate) > NAME_MAX_CHARS:
                return "dangling-symlink", current  # ENAMETOOLONG
            held = member(candidate)
            if held is not None and held.kind == "symlink" and held.link is not None:
                if not self._follow(held.link):
                    return "symlink-loop", candidate
                continue
            if held is not None and held.kind == "hardlink" and held.link and not pending:
                self.current, self.lengths = held.link, []  # the last part: nothing follows
            else:
                self.lengths.append(len(current))
                self.current = candidate
            if pending and not _directory(held, self.current, is_directory):
                return "dangling-symlink", self.current  # a file used as a directory
        return self._end(member, is_directory)

    def _follow(self, link: str) -> bool:
        """Go on along a symlink's target; False past the links or characters allowed."""
        self.followed += 1
        self.targets += len(link)
        if len(link) > NAME_MAX_CHARS:
            return False  # longer than any target the kernel stores (ENAMETOOLONG)
        if self.followed > MAX_SYMLINKS or self.targets > TARGET_CHARS:
            return False
        if link.startswith("/"):
            self.current, self.lengths = "", []
        self.pending += [p for p in reversed(link.split("/")) if p and p != "."]
        return True

    def _end(
        self, member: Callable[[str], Member | None], is_directory: Callable[[str], bool]
    ) -> tuple[Outcome, str]:
        current = self.current
        if not current:
            return "directory", ""
        held = member(current)
        if held is None:
            return ("directory" if is_directory(current) else "dangling-symlink"), current
        kind = held.kind
        if kind in ("file", "hardlink"):
            return "file", current
        return ("directory" if kind == "directory" else "other"), current


def _directory(held: Member | None, where: str, is_directory: Callable[[str], bool]) -> bool:
    if held is None:
        return is_directory(where)
    return held.kind == "directory"
