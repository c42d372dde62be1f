"""What every command shares: choices with "did you mean", help never cut, package sniffing.

Imports only click (and difflib on the error path), so `path` and `layouts` stay fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from marker_tool.errors import did_you_mean

if TYPE_CHECKING:
    from pathlib import Path


class Choice(click.Choice):  # type: ignore[type-arg]  # generic only in click 8.2+
    """A `click.Choice` whose error for a misspelt value says "did you mean"."""

    def __init__(self, choices: Sequence[str], *, metavar: str | None = None) -> None:
        super().__init__(choices)
        self._metavar = metavar

    def get_metavar(self, *args: Any, **kwargs: Any) -> str | None:
        if self._metavar is not None:
            return self._metavar
        metavar: str | None = super().get_metavar(*args, **kwargs)
        return metavar

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value in self.choices:
            return value
        choices = [str(choice) for choice in self.choices]
        hint = did_you_mean(str(value), choices)
        listed = ", ".join(f"`{choice}`" for choice in choices)
        message = f"`{value}` is not one of {listed}"
        self.fail(f"{message}; {hint}" if hint else message, param, ctx)


class Group(click.Group):
    """A group whose `--help` shows each command's whole first sentence, never cut with "..."."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is None or command.hidden:
                continue
            rows.append((name, command.get_short_help_str(limit=1000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def refuse_package_file(path: str | Path) -> None:
    """Exit 2 pointing at `check` when `path` is a package (of any size), not a marker.

    Only the first bytes of a regular file are read: a package is told by them,
    whatever its size, where reading the whole file would stop at the marker cap.
    """
    from marker_tool.validate import not_a_marker, package_kind

    kind = package_kind(path)
    if kind is not None:
        raise not_a_marker(kind, str(path))
