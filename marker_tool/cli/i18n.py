"""`i18n`: extract, init, update, stats and coverage of the marker's gettext catalogs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from marker_tool.cli.common import Group
from marker_tool.cli.options import config_option, distributor_from, preset_option
from marker_tool.cli.paths import PYTHON_METAVAR, parse_python
from marker_tool.model import PythonVersion

if TYPE_CHECKING:
    from marker_tool.model import Distributor

_DIR = click.option(
    "-d",
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    default="po",
    show_default=True,
    help="Catalog directory (the config's `catalogs`).",
)
_STATS_DIR = click.option(
    "-d",
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Catalog directory; default: the config's `catalogs`, else the built-in catalogs.",
)


@click.group(cls=Group)
def i18n() -> None:
    """Translate the marker message with gettext catalogs (.pot/.po)."""


def _config_making_catalogs(config: Path) -> Distributor:
    """Load `config`; a `catalogs` directory that does not exist yet is made (extract starts it)."""
    from marker_tool.config import MissingPath

    try:
        return distributor_from(config, None)
    except MissingPath as exc:
        if exc.key != "i18n.catalogs":
            raise
        exc.path.mkdir(parents=True, exist_ok=True)
        click.echo(f"made {os.path.relpath(exc.path)}/ (the config's `catalogs`)", err=True)
    return distributor_from(config, None)


@i18n.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="The .pot to write; default: messages.pot in the config's `catalogs`, else "
    "po/messages.pot (its directory is made if missing).",
)
@config_option
@click.argument(
    "templates", nargs=-1, metavar="[TEMPLATE]...", type=click.Path(dir_okay=False, path_type=Path)
)
def extract(output: Path | None, config: Path | None, templates: tuple[Path, ...]) -> None:
    """Write a .pot of the {% trans %} blocks in the templates (default: the built-in one).

    With -c FILE, the config's template and its `[message] extra` paragraphs.
    """
    from marker_tool import i18n_workflow as lib
    from marker_tool.presets import BUILTIN_TEMPLATE, builtin_templates, template_file

    paragraphs: tuple[str, ...] = ()
    if config is not None:
        distributor = _config_making_catalogs(config)
        values = dict(distributor.variables)
        extra = values.get("extra", ())
        prose = [values[name] for name in distributor.i18n.prose]
        paragraphs = tuple(p for p in (*extra, *prose) if isinstance(p, str))
        if not templates and distributor.template != BUILTIN_TEMPLATE:
            templates = (template_file(distributor.template),)
        if output is None and distributor.i18n.catalog_dir is not None:
            output = Path(distributor.i18n.catalog_dir) / "messages.pot"
    output = output or Path("po", "messages.pot")
    count = lib.extract_pot(
        list(templates) or builtin_templates(),
        output,
        paragraphs=paragraphs,
        config=str(config) if config else None,
    )
    shown = os.path.relpath(output)
    click.echo(f"wrote {output if shown.startswith('..') else shown} ({count} messages)")


@i18n.command()
@click.argument("locale")
@_DIR
@click.option("--empty", is_flag=True, help="Do not seed it from marker-tool's own catalog.")
def init(locale: str, directory: Path, empty: bool) -> None:
    """Create LOCALE.po (e.g. de, pt_BR) from the directory's messages.pot.

    Messages marker-tool's built-in catalog for LOCALE translates start translated.
    """
    from marker_tool import i18n_workflow as lib

    path, seed = lib.init_catalog(locale, directory, seed=not empty)
    seeded = f", seeded from the built-in {seed.name}" if seed else ""
    click.echo(f"wrote {path}{seeded}; translate it, then check it with `marker-tool i18n stats`")


@i18n.command()
@_DIR
def update(directory: Path) -> None:
    """Merge messages.pot into every .po; changed messages become fuzzy."""
    from marker_tool import i18n_workflow as lib

    results = lib.update_catalogs(directory)
    for result in results:
        click.echo(
            f"{result.path}: {result.added} new, {result.fuzzy} fuzzy, {result.obsolete} obsolete"
        )
    if not results:
        click.echo("no .po files to update")


@i18n.command()
@config_option
@preset_option
@_STATS_DIR
def stats(config: Path | None, preset: str | None, directory: Path | None) -> None:
    """Per catalog: translated, fuzzy, untranslated, and the keys the markers get."""
    from marker_tool import i18n_workflow as lib

    distributor = distributor_from(config, preset)
    rows = lib.catalog_stats(distributor, directory=directory)
    if not rows:
        click.echo("no .po files")
        return
    width = max(len(row.locale) for row in rows)
    click.echo(f"{'locale':<{width}}  translated  fuzzy  untranslated  keys")
    for row in rows:
        keys = ", ".join(row.keys) if row.keys else "(left out: incomplete)"
        click.echo(
            f"{row.locale:<{width}}  {row.translated:>10}  {row.fuzzy:>5}  "
            f"{row.untranslated:>12}  {keys}"
        )


@i18n.command()
@config_option
@preset_option
@click.option(
    "--locale", "locales", multiple=True, metavar="LOCALE", help="Ship this locale (repeatable)."
)
@click.option(
    "--python",
    "python",
    metavar=PYTHON_METAVAR,
    callback=parse_python,
    help="Python X.Y the marker is for; default: the config's first.",
)
@click.option(
    "--for",
    "ui_locales",
    multiple=True,
    metavar="LANG",
    help="Report this user locale (repeatable); default: the common UI locales.",
)
def coverage(
    config: Path | None,
    preset: str | None,
    locales: tuple[str, ...],
    python: PythonVersion | None,
    ui_locales: tuple[str, ...],
) -> None:
    """Which section pip shows users of each common locale (the locale generated)."""
    from marker_tool import i18n_workflow as lib
    from marker_tool.locales import COMMON_LOCALES
    from marker_tool.render import render_markers

    distributor = distributor_from(config, preset)
    version = python or distributor.pythons[0]
    result = render_markers(distributor, pythons=[version], locales=locales)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    marker = result.markers[0]
    keys = ", ".join(message.key for message in marker.messages)
    click.echo(f"Python {version}, marker keys: {keys}")
    click.echo("(for users whose locale is generated; where it is not, pip shows `Error`)")
    rows = lib.coverage(marker, ui_locales=ui_locales or COMMON_LOCALES)
    width = max(len(row.lang_env) for row in rows)
    for row in rows:
        shown = row.key or "(pip's generic message)"
        text = f"{row.text_locale} text" if row.text_locale else "English"
        if row.key is None:
            text = "no marker text"
        click.echo(f"{row.lang_env:<{width}}  {shown:<12}  {text:<14}  tries {' '.join(row.tried)}")
