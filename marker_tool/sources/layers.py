"""An image's file system, its layers applied in order as a runtime applies them.

Each layer's entries are applied in the order its tar holds them: an entry is
written at its parent directory as resolved in the tree so far (symlinks
followed inside the image's root, as umoci and containerd do), replacing what
was there unless both are directories; `.wh.NAME` deletes NAME and all below
it from the layers under this one; `DIR/.wh..wh..opq` deletes everything in
DIR that this layer did not write.

Runtimes agree on all of that but one case: an entry or whiteout whose parent
path goes through a symlink. umoci and containerd go through the link;
containers-storage's vfs driver does for a whiteout but ignores an opaque one;
overlay drivers refuse the layer or replace the link by a directory. Such a
layer is modelled as umoci applies it and named in `ambiguities`, so `check`
reports it rather than silently picking a runtime.

Linear in the entries: a directory's children are indexed, so deleting a tree
costs what it deletes; a parent resolved once per directory of a layer. The
input's `Budget` bounds the layers applied, the entries applied (layers x
entries, every image of the input together) and the resolution steps.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from marker_tool.sources.base import Budget, Member
from marker_tool.sources.resolve import resolve
from marker_tool.sources.tarstream import Scan

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
#: Ambiguities named per image; past this, they are counted.
_NAMED = 8


@dataclass(slots=True)
class Tree:
    """The file system of the layers applied so far."""

    entries: dict[str, Member] = field(default_factory=dict)
    #: Every directory (listed, or implied by an entry beneath it) -> its children's paths.
    children: dict[str, set[str]] = field(default_factory=lambda: {"": set()})
    markers: dict[str, bytes] = field(default_factory=dict)
    too_large: dict[str, int] = field(default_factory=dict)
    ambiguities: list[str] = field(default_factory=list)
    ambiguous: int = 0
    #: The input's budget, which resolving parents and making directories spend.
    budget: Budget = field(default_factory=Budget)

    def is_directory(self, where: str) -> bool:
        held = self.entries.get(where)
        return where in self.children and (held is None or held.kind == "directory")

    def parent_of(self, where: str) -> str:
        """Where a runtime that follows symlinks puts an entry's parent directory."""
        parent = posixpath.dirname(where)
        if not parent:
            return ""
        resolved = resolve(parent, self.entries.get, self.is_directory, self.budget)
        return resolved.path if resolved.kind == "directory" else parent

    def remove(self, where: str) -> None:
        """`where` and everything below it."""
        stack = [where]
        while stack:
            path = stack.pop()
            self.entries.pop(path, None)
            self.markers.pop(path, None)
            self.too_large.pop(path, None)
            stack += self.children.pop(path, ())
        if where:
            self.children.get(posixpath.dirname(where), set()).discard(where)

    def put(self, where: str, entry: Member) -> bool:
        """Write `entry` at `where`; True when a directory or symlink was replaced."""
        below = self.entries.get(where)
        replaced = False
        exists = below is not None or where in self.children
        if exists and not (entry.kind == "directory" and self.is_directory(where)):
            replaced = below is None or below.kind in ("directory", "symlink")
            self.remove(where)
        self.entries[where] = entry if entry.path == where else _moved(entry, where)
        if entry.kind == "directory":
            self.children.setdefault(where, set())
        child = where
        made = 0
        while child:
            parent = posixpath.dirname(child)
            siblings = self.children.setdefault(parent, set())
            if child in siblings:
                break
            siblings.add(child)
            child = parent
            made += 1
        if made > 1:
            # Each directory an entry implies is a string as long as its path: a deep
            # name under a new top costs its depth times its length.
            self.budget.spend_steps(made * len(where) // 64)
        return replaced


def _moved(entry: Member, where: str) -> Member:
    return Member(where, entry.kind, entry.mode, entry.owner, entry.size, entry.link)


def apply_layer(tree: Tree, scan: Scan, number: int) -> None:
    """Apply one layer's entries (`scan`, in tar order) to `tree`, spent from its budget."""
    tree.budget.spend_layer(len(scan.entries))
    written: set[str] = set()
    parents: dict[str, str] = {}  # a layer's lexical parent -> where it resolves
    for where, entry in scan.entries.items():
        lexical, name = posixpath.split(where)
        if lexical not in parents:
            parents[lexical] = tree.parent_of(where)
        parent = parents[lexical]
        if parent != lexical:
            _note(tree, number, where, lexical, parent)
        if name == OPAQUE:
            for child in list(tree.children.get(parent, ())):
                if child not in written:
                    tree.remove(child)
            parents.clear()  # what the parents resolved through may be gone
            continue
        if name.startswith(WHITEOUT):
            target = posixpath.join(parent, name[len(WHITEOUT) :])
            if target not in written:
                tree.remove(target)
            parents.clear()
            continue
        target = posixpath.join(parent, name) if parent != lexical else where
        if tree.put(target, entry) or entry.kind == "symlink":
            parents.clear()  # a link made, or a directory or link replaced: resolve anew
        written.add(target)
        if where in scan.markers:
            tree.markers[target] = scan.markers[where]
        elif where in scan.too_large:
            tree.too_large[target] = scan.too_large[where]


def _note(tree: Tree, number: int, where: str, lexical: str, parent: str) -> None:
    tree.ambiguous += 1
    if tree.ambiguous <= _NAMED:
        what = "a whiteout" if posixpath.basename(where).startswith(WHITEOUT) else "an entry"
        tree.ambiguities.append(
            f"layer {number} has {what}, `{where}`, beneath a symlink (`{lexical}/` leads to "
            f"`{parent}/`): umoci and containerd go through the link, containers-storage's "
            "overlay driver refuses the layer or replaces the link by a directory"
        )


def ambiguities(tree: Tree) -> tuple[str, ...]:
    """What the runtimes disagree about, with a count past the named ones."""
    if tree.ambiguous > _NAMED:
        more = tree.ambiguous - _NAMED
        return (*tree.ambiguities, f"and {more} more entries or whiteouts beneath symlinks")
    return tuple(tree.ambiguities)
