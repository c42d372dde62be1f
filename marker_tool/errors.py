"""User-facing errors, exit codes and "did you mean".

Every error a user can cause (bad config, template, catalog, arguments, an
unreadable or unwritable path) is a `MarkerToolError`: the CLI prints it and
exits with `ExitCode.USAGE`, never with a traceback. Anything else that
escapes is a bug in marker-tool.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


class ExitCode(enum.IntEnum):
    """The exit status of every command."""

    #: Success: every marker passed, every file was written.
    OK = 0
    #: Findings: a marker or a package failed its checks.
    FINDINGS = 1
    #: A usage or input error: bad config, template, catalog, path, option.
    USAGE = 2
    #: `check` found nothing to check in any input (no Python, no marker: EM610), as
    #: pytest's status 5 says no test ran. A mix of real findings and empty inputs is 1.
    NOTHING_CHECKED = 5
    #: Interrupted (Ctrl-C): 128 + SIGINT, as a shell reports it.
    INTERRUPTED = 130


class MarkerToolError(Exception):
    """An error in the user's input, reported without a traceback."""

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        key: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        #: What went wrong and what was expected, lower-case, keys in backticks.
        self.message = message
        #: The file the error is about, when there is one.
        self.file = str(file) if file is not None else None
        #: 1-based line in `file`.
        self.line = line
        #: The config key, template variable or catalog entry concerned.
        self.key = key
        #: The likely fix ("did you mean ...").
        self.hint = hint

    def location(self) -> str:
        """`file:line` (or whichever parts are known), for the start of a message."""
        parts = [p for p in (self.file, str(self.line) if self.line else None) if p]
        return ":".join(parts)

    def __str__(self) -> str:
        where = self.location()
        text = f"{where}: {self.message}" if where else self.message
        if self.key and f"`{self.key}`" not in text:
            text += f" (key `{self.key}`)"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class MarkerToolWarning(UserWarning):
    """Something that is likely a mistake, but may be meant: the CLI prints `warning: ...`."""


def warn(message: str) -> None:
    """Say `message` as a warning (on stderr from the CLI; `warnings` filters apply)."""
    import warnings

    warnings.warn(message, MarkerToolWarning, stacklevel=2)


class ConfigError(MarkerToolError):
    """A distributor config (TOML) is malformed or has a wrong value."""


class TemplateError(MarkerToolError):
    """A message template cannot be rendered."""


class CatalogError(MarkerToolError):
    """A gettext catalog (.po) is malformed or breaks its template."""


class SerializeError(MarkerToolError):
    """A message cannot be written as INI without pip or uv misreading it."""


class InstallError(MarkerToolError):
    """A marker cannot be installed where it was asked to go."""


class InputError(MarkerToolError):
    """A file cannot be read or written (missing, a FIFO, too large, not permitted)."""


class PackageError(MarkerToolError):
    """A package cannot be read: truncated, corrupt, over a cap, an unknown format."""


class MissingModule(MarkerToolError):
    """An optional module a feature needs is not installed (exit 2, naming how to get it)."""


def from_os_error(exc: OSError, *, doing: str = "cannot use", file: object = None) -> InputError:
    """An OSError as a user-facing error naming the path and the reason."""
    path = file if file is not None else exc.filename
    reason = exc.strerror or str(exc)
    return InputError(f"{doing}: {reason}", file=str(path) if path is not None else None)


def did_you_mean(word: str, choices: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """A "did you mean `x`?" hint for a misspelt name, or None."""
    close = closest(word, choices, cutoff=cutoff)
    return f"did you mean `{close}`?" if close else None


def closest(word: str, choices: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """The choice most like `word`, or None when none is close."""
    import difflib  # only on the error path: keeps it out of every start-up

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=cutoff)
    return close[0] if close else None
