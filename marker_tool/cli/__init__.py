"""The `marker-tool` command: a thin click layer over the library.

Commands live in small modules that are imported only when their command runs
(a build calls `marker-tool path` many times; it must not pay for Jinja). This
is the one place that turns an error into a message and an exit status: a
`MarkerToolError` or an `OSError` (an unreadable or unwritable path) is
`ExitCode.USAGE`, never a traceback.
"""

from __future__ import annotations

import errno
import importlib
import os
import sys
from typing import Any

import click

from marker_tool import __version__
from marker_tool.cli.common import Group
from marker_tool.errors import ExitCode, MarkerToolError, from_os_error

#: The status a shell reports for a program killed by SIGPIPE (128 + 13), as
#: `yes | head -1` gives: a reader that stopped early is not an error to report.
BROKEN_PIPE = 141

#: command name -> "module:attribute", imported on first use.
COMMANDS = {
    "adopt": "marker_tool.cli.adopt:adopt",
    "init": "marker_tool.cli.make:init",
    "render": "marker_tool.cli.make:render",
    "install": "marker_tool.cli.place:install",
    "layouts": "marker_tool.cli.paths:layouts",
    "path": "marker_tool.cli.paths:path",
    "validate": "marker_tool.cli.validate:validate",
    "audit": "marker_tool.cli.audit:audit",
    "check": "marker_tool.cli.check:check",
    "preview": "marker_tool.cli.preview:preview",
    "i18n": "marker_tool.cli.i18n:i18n",
}


class LazyGroup(Group):
    """A group whose subcommands are imported when they are asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, attr = target.partition(":")
        command: click.Command = getattr(importlib.import_module(module), attr)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MarkerToolError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(ExitCode.USAGE)
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                _quiet_broken_pipe()
                ctx.exit(BROKEN_PIPE)
            click.echo(f"error: {from_os_error(exc)}", err=True)
            ctx.exit(ExitCode.USAGE)


def _quiet_broken_pipe() -> None:
    """Point stdout at /dev/null, so the flush at exit does not fail a second time."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="marker-tool")
def cli() -> None:
    """Make, check and install PEP 668 EXTERNALLY-MANAGED markers."""


def main() -> None:
    try:
        cli(prog_name="marker-tool")
    except OSError as exc:  # while click printed help or an error, outside any command
        if exc.errno != errno.EPIPE:
            raise
        _quiet_broken_pipe()
        sys.exit(BROKEN_PIPE)
