"""`install`: render the markers and write them into a staging tree (see marker_tool.install)."""

from __future__ import annotations

from pathlib import Path

import click

from marker_tool.cli.common import Choice
from marker_tool.cli.options import (
    config_option,
    distributor_from,
    locales_option,
    name_option,
    preset_option,
    pythons_option,
    strict_option,
)
from marker_tool.layouts import LAYOUT_NAMES
from marker_tool.model import PythonVersion


@click.command()
@config_option
@preset_option
@click.option(
    "--destdir",
    envvar="DESTDIR",
    metavar="DIR",
    help="Root of the staging tree (default: $DESTDIR); `/` writes into this system.",
)
@click.option(
    "--layout",
    "layout",
    type=Choice(LAYOUT_NAMES, metavar="NAME"),
    help="Install layout (see `marker-tool layouts`); overrides the config.",
)
@pythons_option("Python version to install for (repeatable); overrides the config.")
@locales_option
@click.option(
    "--stdlib-dir",
    metavar="DIR",
    help="Stdlib dir on the target instead of the layout's; `{version}` and `{stdlib_name}` "
    "are filled per Python, without them it takes one --python.",
)
@click.option(
    "--interpreter",
    type=click.Path(path_type=Path),
    metavar="PYTHON",
    help="Ask this Python for its stdlib dir and install its version's marker there.",
)
@click.option("--prefix", metavar="DIR", help="Keg or store prefix, for layouts that have one.")
@click.option(
    "--libdir",
    metavar="DIR",
    help="Library dir for rpm layouts (`%{_libdir}`, default /usr/lib64).",
)
@click.option("--dry-run", is_flag=True, help="Write nothing; print what would be written.")
@click.option("--force", is_flag=True, help="Replace a marker with different content.")
@name_option
@strict_option
def install(  # noqa: PLR0917
    config: Path | None,
    preset: str | None,
    destdir: str | None,
    layout: str | None,
    pythons: tuple[PythonVersion, ...],
    locales: tuple[str, ...],
    stdlib_dir: str | None,
    interpreter: Path | None,
    prefix: str | None,
    libdir: str | None,
    dry_run: bool,
    force: bool,
    name: str | None,
    strict: bool,
) -> None:
    """Render the markers and install them under DESTDIR, atomically and reproducibly."""
    # Jinja is imported when the markers are rendered, not at module level: `--help` stays fast.
    from marker_tool.place import Placing, place

    distributor = distributor_from(config, preset, pythons, name, strict=strict)
    asked = Placing(
        destdir,
        layout=layout,
        prefix=prefix,
        libdir=libdir,
        stdlib_dir=stdlib_dir,
        interpreter=interpreter,
        pythons=pythons,
        locales=locales,
        force=force,
        dry_run=dry_run,
    )
    placed = place(distributor, asked)
    for warning in placed.warnings:
        click.echo(f"warning: {warning}", err=True)
    for action in placed.actions:
        click.echo(action.describe(dry_run=dry_run))
