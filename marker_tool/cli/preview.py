"""`preview`: what pip and uv print for a marker. Imports no Jinja or Babel."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from marker_tool import safeio
from marker_tool.cli.common import Choice, refuse_package_file
from marker_tool.cli.paths import PYTHON_METAVAR, parse_python
from marker_tool.errors import InputError
from marker_tool.model import PythonVersion
from marker_tool.preview import DEFAULT_LOCALE, DEFAULT_PREFIX, TOOLS, Tool
from marker_tool.preview import preview as make_preview
from marker_tool.terminal import visible
from marker_tool.validate import refuse_package


@click.command("preview")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--locale",
    "locale",
    metavar="LOCALE",
    default=DEFAULT_LOCALE,
    show_default=True,
    help="The user's LC_ALL or LANG, e.g. de_DE.UTF-8.",
)
@click.option(
    "--locale-missing",
    is_flag=True,
    help="The locale is not generated on the user's machine (pip then shows `Error`).",
)
@click.option(
    "--tool",
    type=Choice([*TOOLS, "all"]),
    default="all",
    show_default=True,
    help="Which program's output to show; `all` shows each and where they differ.",
)
@click.option(
    "--python",
    "python",
    metavar=PYTHON_METAVAR,
    callback=parse_python,
    help="The user's Python, e.g. 3.11 (default: the running Python).",
)
@click.option(
    "--width",
    type=click.IntRange(min=1),
    metavar="COLUMNS",
    help="The user's terminal width: uv wraps its error lines to it (pip never wraps). "
    "Default: no wrapping, as in a pipe or CI log.",
)
@click.option(
    "--prefix",
    metavar="DIR",
    default=DEFAULT_PREFIX,
    show_default=True,
    help="The interpreter's sys.prefix, as the programs print it.",
)
@click.option(
    "--raw",
    is_flag=True,
    help="Print the exact bytes even on a terminal (escape sequences reach it raw).",
)
def preview(
    *,
    file: Path,
    locale: str,
    locale_missing: bool,
    tool: str,
    python: PythonVersion | None,
    prefix: str,
    width: int | None,
    raw: bool,
) -> None:
    """Print exactly what pip and uv show a user for marker FILE."""
    refuse_package_file(file)
    try:
        data = safeio.read_bytes(file, kind="marker")
    except OSError as exc:
        raise InputError(f"cannot read the marker: {exc.strerror}", file=file) from None
    refuse_package(data, str(file))
    tools: tuple[Tool, ...] = TOOLS if tool == "all" else tuple(t for t in TOOLS if t == tool)
    result = make_preview(
        data,
        tools=tools,
        locale=locale,
        python=python or PythonVersion.running(),
        locale_available=not locale_missing,
        prefix=prefix,
        width=width,
    )
    output = result.render()
    if sys.stdout.isatty() and not raw:
        output, escaped = visible(output)
        if escaped:
            click.echo(
                "note: the marker holds control or invisible characters, shown here as "
                "escapes; pip and uv send them to the terminal raw (--raw prints the exact bytes)",
                err=True,
            )
    click.echo(output, nl=False)
