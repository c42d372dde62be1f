"""`marker-tool adopt`: take over a hand-written marker without changing a byte."""

from __future__ import annotations

from pathlib import Path

import click

from marker_tool.cli.common import Choice
from marker_tool.cli.paths import PYTHON_METAVAR, parse_python
from marker_tool.layouts import LAYOUT_NAMES
from marker_tool.model import PythonVersion


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--python",
    callback=parse_python,
    metavar=PYTHON_METAVAR,
    help="The Python the marker is for; default: told by its directory (python3.12).",
)
@click.option(
    "--name",
    metavar="NAME",
    help="The distributor's name, made a placeholder in the text; default: the one it names.",
)
@click.option(
    "--layout",
    type=Choice(LAYOUT_NAMES, metavar="NAME"),
    help="The install layout; default: the one that puts the stdlib where the marker is "
    "(its path's tail, `usr/lib/python3.12`); refused when that does not tell.",
)
@click.option(
    "-o",
    "--output",
    "directory",
    metavar="DIR",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for marker-tool.toml, EXTERNALLY-MANAGED.in and message.txt.j2.",
)
@click.option("--force", is_flag=True, help="Overwrite files of those names.")
def adopt(
    *,
    file: Path,
    python: PythonVersion | None,
    name: str | None,
    layout: str | None,
    directory: Path,
    force: bool,
) -> None:
    """Write a config and templates that render FILE back byte for byte.

    FILE: a marker, or a package, image or tree that holds one (a .deb, .rpm ...:
    its marker is taken out; with several, --python picks one). The Python
    version and the distributor's name in the text become placeholders;
    translations can then be added (see the config's comments). Nothing is
    written unless rendering the result gives the marker's bytes.
    """
    from marker_tool import adopt as adopting

    data, placed = _marker_of(file, python)
    adoption = adopting.adopt(
        data, source=str(file), python=python, name=name, layout=layout, placed=placed
    )
    for written in adopting.write(adoption, directory, data, replace=force):
        click.echo(f"wrote {written}")
    config = directory / adopting.CONFIG_NAME
    shown = f"{file}'s {placed.lstrip('/')}" if placed else str(file)
    named = adoption.name if adoption.name_found else "no distributor name"
    click.echo(
        f"`marker-tool render -c {config}` gives {shown} back byte for byte "
        f"(Python {adoption.python}, {named}, layout {adoption.layout})",
        err=True,
    )
    click.echo(adoption.layout_reason, err=True)
    if not adoption.name_found:
        click.echo(
            "note: the text names no distributor marker-tool knows, so none of its words "
            f"became the name placeholder; to add one, set `name` in {config} and write "
            "{{ distributor }} where the name belongs in both templates, or adopt again "
            'with --name "Your Distribution" if the text does name you',
            err=True,
        )


def _marker_of(file: Path, python: PythonVersion | None) -> tuple[bytes, str | None]:
    """The marker's bytes, and where it sits when FILE is a package that holds it."""
    from marker_tool import adopt as adopting
    from marker_tool.errors import InputError, MarkerToolError
    from marker_tool.layouts import stdlib_dir_version
    from marker_tool.rules import TOO_LARGE_MESSAGE
    from marker_tool.validate import package_kind, read_marker

    if file.is_dir() or package_kind(file) is not None:
        try:
            found = adopting.markers_in_package(str(file))
        except MarkerToolError as exc:
            raise InputError(exc.message, file=str(file), hint=exc.hint) from None
        if python is not None:
            found = {
                w: d for w, d in found.items() if stdlib_dir_version(w.rpartition("/")[0]) == python
            }
        if len(found) != 1:
            listed = ", ".join(f"`{w}`" for w in found) or "none"
            raise InputError(
                f"holds {len(found)} markers{' for Python ' + str(python) if python else ''} "
                f"({listed}); adopt takes one",
                file=str(file),
                hint="pick one with --python X.Y" if found else "give the marker itself",
            )
        [(where, data)] = found.items()
        return data, "/" + where
    marker = read_marker(file)
    if marker is None:
        raise InputError(TOO_LARGE_MESSAGE, file=str(file))
    return marker, None
