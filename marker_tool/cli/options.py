"""Options that several commands share: where the distributor comes from, and Pythons."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from marker_tool.cli.common import Choice
from marker_tool.cli.paths import PYTHON_METAVAR, parse_python
from marker_tool.model import PythonVersion
from marker_tool.presets import PRESETS

if TYPE_CHECKING:
    from marker_tool.model import Distributor

F = TypeVar("F", bound=Callable[..., Any])

config_option = click.option(
    "-c",
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Distributor config (TOML).",
)
preset_option = click.option(
    "--preset",
    type=Choice(PRESETS, metavar="NAME"),
    help=f"Use a built-in preset (when there is no config): {', '.join(PRESETS)}.",
)


def pythons_option(help: str) -> Callable[[F], F]:
    """A repeatable `--python X.Y` option."""
    return click.option(
        "--python",
        "pythons",
        multiple=True,
        metavar=PYTHON_METAVAR,
        callback=parse_pythons,
        help=help,
    )


locales_option = click.option(
    "--locale",
    "locales",
    multiple=True,
    metavar="LOCALE",
    help="Also write `Error-<locale>`, e.g. de or pt_BR (repeatable).",
)


name_option = click.option(
    "--name",
    metavar="NAME",
    help="The distributor's name, overriding the config's (dh_externally_managed passes "
    "dpkg-vendor's).",
)


def _strict(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    """Under `--strict`, marker-tool's warnings (a Python it does not know ...) fail too."""
    if value:
        import warnings

        from marker_tool.errors import MarkerToolWarning

        warnings.simplefilter("error", MarkerToolWarning)
    return value


#: `--strict` means one thing in every command: warnings fail too (a finding of warning
#: severity in validate and check; a listed locale left out or partial in render and
#: install, as the config's `require_all`; and any warning of marker-tool's own).
strict_option = click.option(
    "--strict",
    is_flag=True,
    callback=_strict,
    is_eager=True,  # before --python, whose warning it may make an error
    help="Fail on warnings too.",
)


def parse_pythons(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple[PythonVersion, ...]:
    """Callback for a repeatable `--python X.Y` option."""
    parsed = [parse_python(ctx, param, value) for value in values]
    return tuple(version for version in parsed if version is not None)


def distributor_from(
    config: Path | None,
    preset: str | None,
    pythons: tuple[PythonVersion, ...] = (),
    name: str | None = None,
    *,
    strict: bool = False,
) -> Distributor:
    """The config, else the preset, else this host's preset; not both of the first two."""
    from dataclasses import replace

    from marker_tool.config import resolve_distributor

    if config is not None and preset is not None:
        raise click.UsageError("give -c/--config or --preset, not both")
    distributor = resolve_distributor(config, preset, pythons=pythons)
    if strict:
        distributor = replace(distributor, i18n=replace(distributor.i18n, require_all=True))
    return replace(distributor, name=name) if name else distributor


def format_option(help: str | None = None) -> Callable[[F], F]:
    """`--format`: every output format of `output.FORMATS` (validate, check, audit)."""
    from marker_tool import output  # only the commands that report findings take it

    return click.option(
        "--format",
        "fmt",
        type=Choice(output.FORMAT_NAMES, metavar="FORMAT"),
        default="text",
        show_default=True,
        help=help or output.format_help(),
    )


jobs_option = click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    metavar="N",
    help="Packages read at once.  [default: the machine's cores]",
)


def max_decompressed_option(what: str) -> Callable[[F], F]:
    """`--max-decompressed MIB`: the bytes one input may decompress to."""
    from marker_tool.model import MiB
    from marker_tool.sources.base import DEFAULT_LIMITS

    return click.option(
        "--max-decompressed",
        type=click.IntRange(min=1),
        default=DEFAULT_LIMITS.decompressed // MiB,
        show_default=True,
        metavar="MIB",
        help=f"Decompressed bytes read from one {what}.",
    )
