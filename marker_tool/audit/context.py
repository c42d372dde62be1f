"""What every stage of an audit is handed: the user's options and the run's shared state."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marker_tool import __version__
from marker_tool.audit.fetch import Cache, Mirror, Stats
from marker_tool.audit.progress import Progress
from marker_tool.errors import MarkerToolError, did_you_mean
from marker_tool.sources.base import DEFAULT_LIMITS, Limits

#: Bumped when what is cached under derived/ changes shape or meaning.
DERIVED_VERSION = 1


@dataclass(frozen=True, slots=True)
class Options:
    """What the user asked of an audit."""

    suites: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    architectures: tuple[str, ...] = ()
    #: The archive keyring (None: the one /usr/share/keyrings holds for the Origin).
    keyring: str | None = None
    #: Check Release signatures (off only for an unsigned repository, said in the report).
    verify: bool = True
    allow_expired: bool = False
    #: Downloads at once.
    connections: int = 4
    #: Packages read at once by `check` (None: the machine's cores).
    jobs: int | None = None
    strict: bool = False
    limits: Limits = DEFAULT_LIMITS


@dataclass(slots=True)
class Context:
    """One run: where it reads, where it caches, what it counts and shows."""

    mirror: Mirror
    cache: Cache
    options: Options
    stats: Stats = field(default_factory=Stats)
    progress: Progress = field(default_factory=lambda: Progress(enabled=False))


def select(asked: Sequence[str], offered: Sequence[str], what: str, where: str) -> list[str]:
    """The `asked` ones (all `offered` when none are), each checked against the offer."""
    for name in asked:
        if name not in offered:
            raise MarkerToolError(
                f"no {what} `{name}` here; it lists {', '.join(offered) or 'none'}",
                file=where,
                hint=did_you_mean(name, offered),
            )
    return list(asked) if asked else list(offered)


def derived_key(*parts: object) -> str:
    """A cache key for something computed from these inputs (hashes, options, version)."""
    text = json.dumps([DERIVED_VERSION, __version__, *parts], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def load_derived(path: Path) -> Any:
    """A cached result, or None when it is missing or unreadable (it is then made again)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def save_derived(path: Path, data: Any) -> None:
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(temp, path)
