"""`marker-tool validate`: a verdict per marker file. Imports no Jinja or Babel.

Output formats are `marker_tool.output`'s. Exit status: 1 when any file
FAILED (with `--strict`, warnings fail too), 2 on usage errors (a missing
file, an unknown rule code), else 0.
"""

from __future__ import annotations

import os
import sys

import click

from marker_tool import output, safeio
from marker_tool.cli.common import refuse_package_file
from marker_tool.cli.options import format_option, strict_option
from marker_tool.errors import ExitCode, InputError, MarkerToolError
from marker_tool.validate import (
    Report,
    Validator,
    too_large,
    validate_bytes,
    validate_path,
)


def _list_rules() -> None:
    from marker_tool.check.registry import REGISTRY

    for rule in REGISTRY:
        click.echo(f"{rule.code}  {rule.severity.value:<7}  {rule.name:<24}  {rule.summary}")


def _validate_stdin(*, strict: bool, ignore: frozenset[str]) -> Report:
    try:
        data = safeio.read_stream(sys.stdin.buffer, kind="marker")
    except safeio.TooLarge:
        return Report("-", (too_large("-"),), strict)
    return validate_bytes(data, path="-", strict=strict, ignore=ignore)


def _validate_config(name: str, validator: Validator) -> list[Report]:
    """Each marker a config renders (its Pythons and locales), validated; bad configs exit 2."""
    from pathlib import Path

    from marker_tool.config import load_config
    from marker_tool.render import render_files

    files = render_files(load_config(Path(name)))
    return [validator.validate(data, path=f"{name} (Python {py})") for py, data in files.items()]


@click.command()
@click.argument("files", nargs=-1, metavar="FILE...")
@format_option()
@strict_option
@click.option("--explain", metavar="CODE", help="Explain a rule (`EM205` or `duplicate-key`).")
@click.option("--list-rules", is_flag=True, help="List every rule and exit.")
@click.option(
    "--installed/--not-installed",
    default=None,
    help="Check placement (EM5xx) too. Default: when the path looks installed.",
)
@click.option(
    "--interpreter",
    metavar="PYTHON",
    help="Target interpreter: installed markers must be in its stdlib dir.",
)
@click.option("--stdlib-dir", metavar="DIR", help="The stdlib dir installed markers must be in.")
@click.option("--ignore", metavar="CODE", multiple=True, help="Skip a rule (repeatable).")
@click.option(
    "--configs",
    is_flag=True,
    help="FILE... are marker-tool configs: validate every marker each one renders.",
)
def validate(  # noqa: PLR0917 - click passes options by position
    files: tuple[str, ...],
    fmt: output.Format,
    strict: bool,
    explain: str | None,
    list_rules: bool,
    installed: bool | None,
    interpreter: str | None,
    stdlib_dir: str | None,
    ignore: tuple[str, ...],
    configs: bool,
) -> None:
    """Check markers the way pip and uv read them: PASSED, PASSED with warnings or FAILED."""
    if explain:
        from marker_tool.check.registry import get_rule

        rule = get_rule(explain)
        click.echo(f"{rule.code} {rule.name} ({rule.severity.value}): {rule.summary}\n")
        click.echo(rule.explanation)
        return
    if list_rules:
        _list_rules()
        return
    if not files:
        raise MarkerToolError(
            "no marker files given", hint="marker-tool validate path/to/EXTERNALLY-MANAGED"
        )
    ignored: frozenset[str] = frozenset()
    if ignore:
        from marker_tool.check.registry import get_rule

        ignored = frozenset(get_rule(code).code for code in ignore)
    validator = Validator(strict=strict, ignore=ignored)
    missing = [f for f in files if f != "-" and not os.path.lexists(f)]
    if missing:
        raise InputError("no such file", file=missing[0])
    if not configs:
        for name in files:
            if name != "-":
                refuse_package_file(name)
    if configs:
        reports = [r for name in files for r in _validate_config(name, validator)]
    else:
        reports = [
            _validate_stdin(strict=strict, ignore=ignored)
            if name == "-"
            else validate_path(
                name,
                installed=installed,
                interpreter=interpreter,
                stdlib_dir=stdlib_dir,
                validator=validator,
            )
            for name in files
        ]
    style = output.colour(fmt)
    options = output.Options(strict=strict, style=style, run="marker-tool validate")
    click.echo(output.write(output.marker_subjects(reports), fmt, options), nl=False, color=None)
    if not all(r.passed for r in reports):
        click.get_current_context().exit(ExitCode.FINDINGS)
