"""`init` and `render`: a starter config, and the markers a config makes."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from marker_tool import safeio
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
from marker_tool.errors import InputError
from marker_tool.model import PythonVersion
from marker_tool.presets import PRESETS, detect_preset


def _not_a_directory(path: str) -> str | None:
    """The nearest existing parent of `path` when it is not a directory (a file in the way)."""
    for parent in Path(path).parents:  # as the user wrote it: `f`, not `/abs/f`
        if os.path.lexists(parent):
            return None if parent.is_dir() else str(parent)
    return None


def _write(path: str, text: str, *, force: bool | None = None) -> None:
    """Print `text` (`-`) or write it to `path` atomically.

    `force` is the command's `--force` flag: False refuses to overwrite a file,
    None (a command without the flag) always replaces it.
    """
    if path == "-":
        click.echo(text, nl=False)
        return
    try:
        safeio.write_text(path, text, replace=force is not False)
    except (FileExistsError, NotADirectoryError) as exc:
        blocker = _not_a_directory(path)
        if blocker is not None:
            raise InputError(
                f"cannot write `{path}`: `{blocker}` is a file, not a directory",
                file=path,
                hint="give -o a path whose parents are directories (they are made if missing)",
            ) from None
        if force is False and isinstance(exc, FileExistsError):
            raise InputError(
                f"`{path}` already exists", file=path, hint="pass --force to overwrite it"
            ) from None
        raise InputError(f"cannot write `{path}`: {exc.strerror}", file=path) from None
    except OSError as exc:
        raise InputError(f"cannot write `{path}`: {exc.strerror}", file=path) from None


@click.command()
@click.option(
    "--preset",
    type=Choice(PRESETS, metavar="NAME"),
    help="Start from this preset: " + ", ".join(PRESETS) + ".",
)
@click.option(
    "-o",
    "--output",
    metavar="FILE",
    default="marker-tool.toml",
    show_default=True,
    help="Where to write the config (- for stdout).",
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@pythons_option("Python version to list (repeatable); default: the running Python.")
def init(
    *, preset: str | None, output: str, force: bool, pythons: tuple[PythonVersion, ...]
) -> None:
    """Write a commented starter config (default: this host's preset)."""
    from marker_tool.config import starter_config

    preset = preset or detect_preset()
    _write(output, starter_config(preset, pythons), force=force)
    if output != "-":
        click.echo(f"wrote {output} (from the `{preset}` preset)", err=True)
        click.echo(f"next: marker-tool render -c {output}", err=True)


@click.command()
@config_option
@preset_option
@pythons_option("Python version (repeatable); default: the config's.")
@locales_option
@click.option(
    "-o",
    "--output",
    metavar="FILE",
    help="Write here instead of stdout; with several Pythons use {python} in the path.",
)
@click.option(
    "--format",
    "fmt",
    type=Choice(["ini", "json", "homebrew"]),
    default="ini",
    show_default=True,
    help="The marker file, the texts as JSON, or a Homebrew formula snippet.",
)
@name_option
@strict_option
def render(
    *,
    config: Path | None,
    preset: str | None,
    pythons: tuple[PythonVersion, ...],
    locales: tuple[str, ...],
    output: str | None,
    fmt: str,
    name: str | None,
    strict: bool,
) -> None:
    """Print the EXTERNALLY-MANAGED markers a config makes."""
    from marker_tool import render as rendering
    from marker_tool.ini import serialize
    from marker_tool.layouts import get_layout, marker_path

    distributor = distributor_from(config, preset, pythons, name, strict=strict)
    result = rendering.render_markers(distributor, pythons=pythons or None, locales=locales)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if fmt == "json":
        _write(output or "-", rendering.as_json(result))
    elif fmt == "homebrew":
        _write(output or "-", rendering.homebrew_snippet(result, layout=distributor.layout))
    elif output is not None:
        several = len(result.markers) > 1
        if several and "{python}" not in output:
            raise click.UsageError(
                f"{len(result.markers)} Pythons make {len(result.markers)} files: "
                "put {python} in the -o path, e.g. -o out/{python}/EXTERNALLY-MANAGED"
            )
        for marker in result.markers:
            _write(output.replace("{python}", str(marker.python)), serialize(marker))
    else:
        layout = get_layout(distributor.layout)
        for number, marker in enumerate(result.markers):
            if len(result.markers) > 1:
                where = marker_path(
                    layout, marker.python, prefix=distributor.prefix, libdir=distributor.libdir
                )
                click.echo(f"{'' if number == 0 else chr(10)}==> {where} <==")
            click.echo(serialize(marker), nl=False)
    sys.stdout.flush()
