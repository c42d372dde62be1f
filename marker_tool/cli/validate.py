"""`marker-tool validate`: a verdict per marker file. Imports no Jinja or Babel.

Formats (`--format`):

- `text`: per file `PATH: VERDICT`, then one `PATH:LINE: CODE severity message`
  line per finding (`PATH: CODE ...` when no line applies). Coloured on a
  terminal; plain when piped or when NO_COLOR is set.
- `json`: one document, schema version 1 (stable; fields are only ever added)::

    {
      "version": 1,
      "strict": false,
      "files": [
        {
          "path": "debian/EXTERNALLY-MANAGED",
          "verdict": "PASSED" | "PASSED with warnings" | "FAILED",
          "findings": [
            {"code": "EM205", "severity": "error" | "warning" | "info",
             "line": 3 | null, "message": "key `error` again ..."}
          ]
        }
      ]
    }

- `github`: GitHub Actions workflow commands, one per finding
  (`::error file=PATH,line=3,title=EM205::message`; warnings are `::warning`,
  infos `::notice`), then the verdict lines.

Exit status: 1 when any file FAILED (with `--strict`, warnings fail too), 2 on
usage errors (a missing file, an unknown rule code), else 0.
"""

from __future__ import annotations

import os
import sys

import click

from marker_tool.errors import MarkerToolError
from marker_tool.validate import Report, Validator, get_rule, json_document

SEVERITY_COLOURS = {"error": "red", "warning": "yellow", "info": "cyan"}
VERDICT_COLOURS = {"PASSED": "green", "PASSED with warnings": "yellow", "FAILED": "red"}


def _text(report: Report) -> list[str]:
    lines = [f"{report.path}: " + click.style(report.verdict, VERDICT_COLOURS[report.verdict])]
    for f in report.findings:
        where = f"{report.path}:{f.line}" if f.line else report.path
        severity = click.style(f.severity.value, SEVERITY_COLOURS[f.severity.value], bold=True)
        lines.append(f"{where}: {click.style(f.code, bold=True)} {severity} {f.message}")
    return lines


def _escape(value: str, *, prop: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return value.replace(":", "%3A").replace(",", "%2C") if prop else value


def _github(report: Report) -> list[str]:
    kinds = {"error": "error", "warning": "warning", "info": "notice"}
    lines = []
    for f in report.findings:
        props = [f"file={_escape(report.path, prop=True)}"]
        if f.line:
            props.append(f"line={f.line}")
        props.append(f"title={f.code}")
        lines.append(f"::{kinds[f.severity.value]} {','.join(props)}::{_escape(f.message)}")
    lines.append(f"{report.path}: {report.verdict}")
    return lines


def _list_rules() -> None:
    from marker_tool.rules import RULES

    for rule in RULES:
        click.echo(f"{rule.code}  {rule.severity.value:<7}  {rule.name:<24}  {rule.summary}")


@click.command()
@click.argument("files", nargs=-1, metavar="FILE...")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
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
def validate(  # noqa: PLR0917 - click passes options by position
    files: tuple[str, ...],
    fmt: str,
    strict: bool,
    explain: str | None,
    list_rules: bool,
    installed: bool | None,
    interpreter: str | None,
    stdlib_dir: str | None,
    ignore: tuple[str, ...],
) -> None:
    """Check markers the way pip and uv read them: PASSED, PASSED with warnings or FAILED."""
    if explain:
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
    ignored = frozenset(get_rule(code).code for code in ignore)
    validator = Validator(
        strict=strict, ignore=ignored, interpreter=interpreter, stdlib_dir=stdlib_dir
    )
    missing = [f for f in files if f != "-" and not os.path.lexists(f)]
    if missing:
        raise MarkerToolError("no such file", file=missing[0])
    reports = [
        validator.validate_bytes(sys.stdin.buffer.read(), path="-")
        if name == "-"
        else validator.validate_path(name, installed=installed)
        for name in files
    ]
    if fmt == "json":
        import json

        click.echo(json.dumps(json_document(reports, strict=strict), indent=2))
    else:
        color = False if os.environ.get("NO_COLOR") else None
        for report in reports:
            for line in _text(report) if fmt == "text" else _github(report):
                click.echo(line, color=color)
    if not all(report.passed for report in reports):
        click.get_current_context().exit(1)
