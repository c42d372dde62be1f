"""`layouts` and `path`: install paths for build scripts. Imports no Jinja or Babel."""

from __future__ import annotations

import click

from marker_tool.cli.common import Choice
from marker_tool.layouts import LAYOUT_NAMES, LAYOUTS, get_layout, marker_path, stdlib_dir
from marker_tool.model import PythonVersion, target_problem

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
    problem = target_problem(version)
    if problem is not None:
        error, why = problem
        if error:
            raise click.BadParameter(why)
        from marker_tool.errors import warn

        warn(why)
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
