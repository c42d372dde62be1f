"""`layouts` and `path`: install paths for build scripts. Imports no Jinja or Babel."""

from __future__ import annotations

import click

from marker_tool.layouts import LAYOUT_NAMES, LAYOUTS, get_layout, marker_path, stdlib_dir
from marker_tool.model import PythonVersion


def parse_python(
    ctx: click.Context | None, param: click.Parameter | None, value: str | None
) -> PythonVersion | None:
    """Callback for a `--python X.Y` option: the one parse of `--python`."""
    if value is None:
        return None
    try:
        return PythonVersion.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command()
@click.option(
    "--python",
    "python",
    default="3.12",
    show_default=True,
    callback=parse_python,
    help="Python version whose paths to show.",
)
def layouts(python: PythonVersion) -> None:
    """List the install layouts and where each puts the marker."""
    width = max(map(len, LAYOUT_NAMES))
    for name, layout in LAYOUTS.items():
        click.echo(f"{name:<{width}}  {marker_path(layout, python)}")
        click.echo(f"{'':<{width}}  {layout.description}")


@click.command()
@click.option(
    "--layout",
    "layout_name",
    required=True,
    type=click.Choice(LAYOUT_NAMES),
    help="Install layout (see `marker-tool layouts`).",
)
@click.option(
    "--python",
    "python",
    required=True,
    callback=parse_python,
    help="Python version, e.g. 3.12 or 3.13t.",
)
@click.option("--prefix", help="Keg or store prefix, for layouts that have one.")
@click.option("--libdir", help="Library dir, e.g. %{_libdir} for rpm (default /usr/lib64).")
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
