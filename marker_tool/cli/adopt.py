"""`marker-tool adopt`: take over a hand-written marker without changing a byte."""

from __future__ import annotations

from pathlib import Path

import click

from marker_tool.cli.paths import parse_python
from marker_tool.layouts import LAYOUT_NAMES
from marker_tool.model import PythonVersion


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--python",
    callback=parse_python,
    metavar="X.Y",
    help="The Python the marker is for; default: told by its directory (python3.12).",
)
@click.option(
    "--name",
    metavar="NAME",
    help="The distributor's name, made a placeholder in the text; default: the one it names.",
)
@click.option(
    "--layout",
    type=click.Choice(LAYOUT_NAMES),
    help="The install layout; default: the one whose path the file is at, else generic.",
)
@click.option(
    "-o",
    "--output",
    "directory",
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

    data = read_marker(file)
    if data is None:
        raise InputError(TOO_LARGE_MESSAGE, file=str(file))
    adoption = adopting.adopt(data, source=str(file), python=python, name=name, layout=layout)
    for written in adopting.write(adoption, directory, data, replace=force):
        click.echo(f"wrote {written}")
    config = directory / adopting.CONFIG_NAME
    click.echo(
        f"`marker-tool render -c {config}` gives {file} back byte for byte "
        f"(Python {adoption.python}, {adoption.name}, layout {adoption.layout})",
        err=True,
    )
