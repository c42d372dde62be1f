"""How findings are shown: text, JSON and GitHub annotations, for validate and check.

- `text`: per file `PATH: VERDICT`, then one `PATH:LINE: CODE severity message`
  line per finding (`PATH: CODE ...` when no line applies). Coloured on a
  terminal; plain when piped or when NO_COLOR is set.
- `json`: one document, schema version 1 (stable; fields are only ever added):
  `{"version": 1, "strict": bool, "files": [{"path": str, "verdict": "PASSED" |
  "PASSED with warnings" | "FAILED", "findings": [{"code": str, "severity":
  "error" | "warning" | "info", "line": int | null, "message": str}]}]}`
- `github`: GitHub Actions workflow commands, one per finding
  (`::error file=PATH,line=3,title=EM205::message`; warnings are `::warning`,
  infos `::notice`), then the verdict lines. Every property and message is
  escaped as workflow commands require, so no path or message can forge a
  command of its own.

Paths and messages come from untrusted files: control characters in them are
shown as escapes in the text format.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Literal

from marker_tool.validate import Report

Format = Literal["text", "json", "github"]
FORMATS: tuple[Format, ...] = ("text", "json", "github")
#: The version of the JSON document's schema; bumped only for incompatible changes.
JSON_SCHEMA_VERSION = 1

SEVERITY_COLOURS = {"error": "red", "warning": "yellow", "info": "cyan"}
VERDICT_COLOURS = {"PASSED": "green", "PASSED with warnings": "yellow", "FAILED": "red"}
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` with control and invisible characters shown as `\\x1b`-style escapes."""
    return _UNPRINTABLE.sub(lambda m: m[0].encode("unicode_escape").decode("ascii"), text)


def json_document(reports: Iterable[Report], *, strict: bool = False) -> dict[str, object]:
    """The `--format json` document (schema version 1, see the module docstring)."""
    return {
        "version": JSON_SCHEMA_VERSION,
        "strict": strict,
        "files": [
            {
                "path": report.path,
                "verdict": report.verdict,
                "findings": [
                    {
                        "code": f.code,
                        "severity": f.severity.value,
                        "line": f.line,
                        "message": f.message,
                    }
                    for f in report.findings
                ],
            }
            for report in reports
        ],
    }


def text_lines(report: Report, *, style: bool = True) -> list[str]:
    """The text format for one report (click styles when `style`)."""
    import click

    def paint(text: str, **options: object) -> str:
        return click.style(text, **options) if style else text  # type: ignore[arg-type]

    path = printable(report.path)
    lines = [f"{path}: " + paint(report.verdict, fg=VERDICT_COLOURS[report.verdict])]
    for f in report.findings:
        where = f"{path}:{f.line}" if f.line else path
        severity = paint(f.severity.value, fg=SEVERITY_COLOURS[f.severity.value], bold=True)
        lines.append(f"{where}: {paint(f.code, bold=True)} {severity} {printable(f.message)}")
    return lines


def github_escape(value: str, *, prop: bool = False) -> str:
    """Escape workflow-command data (`%`, CR, LF), and for properties also `:` and `,`."""
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return value.replace(":", "%3A").replace(",", "%2C") if prop else value


def github_lines(report: Report) -> list[str]:
    """GitHub workflow annotations for one report, then its verdict line."""
    kinds = {"error": "error", "warning": "warning", "info": "notice"}
    lines = []
    for f in report.findings:
        props = [f"file={github_escape(report.path, prop=True)}"]
        if f.line:
            props.append(f"line={f.line}")
        props.append(f"title={github_escape(f.code, prop=True)}")
        lines.append(f"::{kinds[f.severity.value]} {','.join(props)}::{github_escape(f.message)}")
    lines.append(f"{printable(report.path)}: {report.verdict}")
    return lines


def render(reports: Sequence[Report], fmt: Format, *, strict: bool, style: bool) -> str:
    """All reports in one format, ending in a newline."""
    if fmt == "json":
        import json

        return json.dumps(json_document(reports, strict=strict), indent=2) + "\n"
    lines: list[str] = []
    for report in reports:
        lines += text_lines(report, style=style) if fmt == "text" else github_lines(report)
    return "\n".join(lines) + "\n" if lines else ""
