"""`marker-tool adopt`: take over a hand-written marker without changing a byte."""

from __future__ import annotations

from pathlib import Path

import click

from marker_tool.cli.common import Choice, refuse_package_file
from marker_tool.cli.paths import PYTHON_METAVAR, parse_python
from marker_tool.layouts import LAYOUT_NAMES
from marker_tool.model import PythonVersion


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
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
    help="The install layout; default: the one whose path the file is at, else generic.",
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

    The Python version and the distributor's name in the text become
    placeholders; translations can then be added (see the config's comments).
    Nothing is written unless rendering the result gives FILE's bytes.
    """
    from marker_tool import adopt as adopting
    from marker_tool.errors import InputError
    from marker_tool.rules import TOO_LARGE_MESSAGE
    from marker_tool.validate import read_marker

    refuse_package_file(file)
    data = read_marker(file)
    if data is None:
        raise InputError(TOO_LARGE_MESSAGE, file=str(file))
    adoption = adopting.adopt(data, source=str(file), python=python, name=name, layout=layout)
    for written in adopting.write(adoption, directory, data, replace=force):
        click.echo(f"wrote {written}")
    config = directory / adopting.CONFIG_NAME
    named = adoption.name if adoption.name_found else "no distributor name"
    click.echo(
        f"`marker-tool render -c {config}` gives {file} back byte for byte "
        f"(Python {adoption.python}, {named}, layout {adoption.layout})",
        err=True,
    )
    if not adoption.name_found:
        click.echo(
            "note: the text names no distributor marker-tool knows, so none of its words "
            f"became the name placeholder; to add one, set `name` in {config} and write "
            "{{ distributor }} where the name belongs in both templates, or adopt again "
            'with --name "Your Distribution" if the text does name you',
            err=True,
        )
