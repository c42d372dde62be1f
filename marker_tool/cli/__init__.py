"""The `marker-tool` command: a thin click layer over the library.

Commands live in small modules that are imported only when their command runs
(a build calls `marker-tool path` many times; it must not pay for Jinja). This
is the one place that turns an error into a message and an exit status: a
`MarkerToolError` or an `OSError` (an unreadable or unwritable path) is
`ExitCode.USAGE`, never a traceback.
"""

from __future__ import annotations

import os
import signal

#: What Ctrl-C prints, on its own line after the terminal's `^C`.
INTERRUPTED = b"\nmarker-tool: interrupted\n"


def _interrupted_at_start(signum: int, frame: object) -> None:
    """Ctrl-C while the command is being imported: nothing is written yet, so it ends here."""
    os.write(2, INTERRUPTED)
    os._exit(130)


# First, before the slower imports below: from here on Ctrl-C is one line and status 130.
signal.signal(signal.SIGINT, _interrupted_at_start)


class Interrupted(BaseException):
    """Ctrl-C while a command runs: raised by marker-tool's own SIGINT handler, so that
    click does not turn it into `Aborted!` and status 1, and `finally` blocks still
    remove a half-made file."""


def _interrupted(signum: int, frame: object) -> None:
    raise Interrupted


import errno  # noqa: E402
import importlib  # noqa: E402
import sys  # noqa: E402
from typing import Any  # noqa: E402

import click  # noqa: E402

from marker_tool import __version__  # noqa: E402
from marker_tool.cli.common import Group  # noqa: E402
from marker_tool.errors import (  # noqa: E402
    ExitCode,
    MarkerToolError,
    MarkerToolWarning,
    from_os_error,
)

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
        import warnings

        with warnings.catch_warnings():  # what --strict sets lasts this command only
            _show_warnings()
            return self._invoke(ctx)

    def _invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MarkerToolError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(ExitCode.USAGE)
        except MarkerToolWarning as exc:  # a warning made an error by --strict
            click.echo(f"error: {exc} (--strict)", err=True)
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


def _show_warnings() -> None:
    """The library's warnings (`errors.warn`) as `warning: ...` lines on stderr, each once."""
    import warnings

    shown = warnings.showwarning

    def show(message: Warning | str, category: type[Warning], *args: Any, **kw: Any) -> None:
        if issubclass(category, MarkerToolWarning):
            click.echo(f"warning: {message}", err=True)
        else:
            shown(message, category, *args, **kw)

    warnings.showwarning = show
    warnings.simplefilter("default", MarkerToolWarning)


def main() -> None:
    signal.signal(signal.SIGINT, _interrupted)
    try:
        cli(prog_name="marker-tool")
    except Interrupted:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C while saying so
        os.write(2, INTERRUPTED)
        sys.exit(ExitCode.INTERRUPTED)
    except OSError as exc:  # while click printed help or an error, outside any command
        if exc.errno != errno.EPIPE:
            raise
        _quiet_broken_pipe()
        sys.exit(BROKEN_PIPE)
