"""`layouts` and `path`: install paths for build scripts. Imports no Jinja or Babel."""

from __future__ import annotations

import click

from marker_tool.cli.common import Choice
from marker_tool.layouts import LAYOUT_NAMES, LAYOUTS, get_layout, marker_path, stdlib_dir
from marker_tool.model import PythonVersion

#: The CPython releases marker-tool knows of, 3.0 to the one in development.
#: A version past it is accepted (a build may be ahead of this list) with a warning,
#: since a typo such as `3.31` would otherwise make a marker for no real Python.
NEWEST_KNOWN_PYTHON = PythonVersion(3, 16)

#: The help text of every `--python` option names its form the same way.
PYTHON_METAVAR = "X.Y"


def parse_python(
    ctx: click.Context | None, param: click.Parameter | None, value: str | None
) -> PythonVersion | None:
    """Callback for a `--python X.Y` option: the one parse of `--python`."""
    if value is None:
        return None
    try:
        version = PythonVersion.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    if version.minor > NEWEST_KNOWN_PYTHON.minor:
        click.echo(
            f"warning: there is no CPython {version} that marker-tool knows of "
            f"(3.0 to {NEWEST_KNOWN_PYTHON}); going on, in case it is newer than this "
            "marker-tool",
            err=True,
        )
    return version


@click.command()
@click.option(
    "--python",
    "python",
    metavar=PYTHON_METAVAR,
    callback=parse_python,
    help="Python version whose paths to show; default: the running Python.",
)
def layouts(python: PythonVersion | None) -> None:
    """List the install layouts and where each puts the marker."""
    python = python or PythonVersion.running()
    width = max(map(len, LAYOUT_NAMES))
    for name, layout in LAYOUTS.items():
        click.echo(f"{name:<{width}}  {marker_path(layout, python)}")
        click.echo(f"{'':<{width}}  {layout.description}")


@click.command()
@click.option(
    "--layout",
    "layout_name",
    required=True,
    type=Choice(LAYOUT_NAMES, metavar="NAME"),
    help="Install layout (see `marker-tool layouts`).",
)
@click.option(
    "--python",
    "python",
    required=True,
    metavar=PYTHON_METAVAR,
    callback=parse_python,
    help="Python version, e.g. 3.12 or 3.13t.",
)
@click.option("--prefix", metavar="DIR", help="Keg or store prefix, for layouts that have one.")
@click.option(
    "--libdir",
    metavar="DIR",
    help="Library dir for rpm layouts (`%{_libdir}`, default /usr/lib64).",
)
@click.option(
    "--dir", "dir_only", is_flag=True, help="Print the stdlib dir, not the marker's path."
)
def path(
    layout_name: str, python: PythonVersion, prefix: str | None, libdir: str | None, dir_only: bool
) -> None:
    """Print where the marker for one Python goes, for debian/rules and spec files."""
    layout = get_layout(layout_name)
    where = (stdlib_dir if dir_only else marker_path)(layout, python, prefix=prefix, libdir=libdir)
    click.echo(str(where))
