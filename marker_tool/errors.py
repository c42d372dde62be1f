"""User-facing errors.

Every error a user can cause (bad config, template, catalog, arguments) is a
`MarkerToolError`: the CLI prints it and exits with status 2, never with a
traceback. Anything else that escapes is a bug in marker-tool.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # For annotations only: importing pathlib costs `validate` about 3 ms of start-up.
    from pathlib import Path


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


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A "did you mean `x`?" hint for a misspelt name, or None."""
    import difflib  # only on the error path: keeps it out of every start-up

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None
