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

`check` reports per package (`LABEL path:line: CODE severity message`) in the
same three formats, plus `junit` (JUnit XML, a test case per package, for
Jenkins and GitLab test reports) and `codequality` (Code Climate JSON, for
GitLab's code-quality widget).

Paths and messages come from untrusted files: control characters in them are
shown as escapes in the text format.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Literal

from marker_tool.validate import Report

if TYPE_CHECKING:
    from marker_tool.check import PackageReport
    from marker_tool.model import Finding

Format = Literal["text", "json", "github"]
FORMATS: tuple[Format, ...] = ("text", "json", "github")
#: `check` also writes JUnit XML and Code Climate JSON (GitLab's code quality).
CheckFormat = Literal["text", "json", "github", "junit", "codequality"]
CHECK_FORMATS: tuple[CheckFormat, ...] = ("text", "json", "github", "junit", "codequality")
#: The version of the JSON document's schema; bumped only for incompatible changes.
JSON_SCHEMA_VERSION = 1

SEVERITY_COLOURS = {"error": "red", "warning": "yellow", "info": "cyan"}
VERDICT_COLOURS = {"PASSED": "green", "PASSED with warnings": "yellow", "FAILED": "red"}
#: Control and invisible characters, and the lone surrogates that stand for bytes of a
#: name that is not UTF-8 (read with `surrogateescape`): shown as escapes, never printed.
_UNPRINTABLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


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


# -- packages (check) ------------------------------------------------------------------


def _package_findings(package: PackageReport) -> list[tuple[str | None, Finding]]:
    """(path inside the package, finding) for the package and each of its markers."""
    out: list[tuple[str | None, Finding]] = [(f.file, f) for f in package.findings]
    for marker in package.markers:
        where = marker.path.removeprefix(f"{package.label}:")
        out += [(where, f) for f in marker.findings]
    return out


def title(package: PackageReport) -> str:
    """`name_version_arch`, with the file name beside it when that says something else."""
    import os

    base = os.path.basename(package.source.rstrip("/"))
    if package.label == package.source or base.startswith(package.label + "."):
        return package.label
    return f"{package.label} ({package.source})"


def package_lines(package: PackageReport, *, style: bool) -> list[str]:
    """Text for one package: `LABEL: VERDICT`, then `LABEL path[:line]: CODE severity message`,
    then its waived findings (`CODE waived: message (reason)`) and the reader's notes."""
    import click

    def paint(text: str, **options: object) -> str:
        return click.style(text, **options) if style else text  # type: ignore[arg-type]

    label = printable(package.label)
    lines = [
        f"{printable(title(package))}: "
        + paint(package.verdict, fg=VERDICT_COLOURS[package.verdict])
    ]
    for where, f in _package_findings(package):
        place = f"{where}:{f.line}" if where and f.line else where
        severity = paint(f.severity.value, fg=SEVERITY_COLOURS[f.severity.value], bold=True)
        prefix = f"{label} {printable(place)}" if place else label
        lines.append(f"{prefix}: {paint(f.code, bold=True)} {severity} {printable(f.message)}")
    for w in package.waived:
        prefix = f"{label} {printable(w.where)}" if w.where else label
        lines.append(
            f"{prefix}: {paint(w.finding.code, bold=True)} waived {printable(w.finding.message)} "
            f"(reason: {printable(w.reason)})"
        )
    lines += [f"{label}: note: {printable(note)}" for note in package.notes]
    return lines


def package_summary(packages: Sequence[PackageReport]) -> str:
    verdicts = [p.verdict for p in packages]
    return (
        f"{len(packages)} checked: {verdicts.count('PASSED')} passed, "
        f"{verdicts.count('PASSED with warnings')} passed with warnings, "
        f"{verdicts.count('FAILED')} failed"
    )


def package_document(packages: Sequence[PackageReport], *, strict: bool) -> dict[str, object]:
    """`check --format json`, schema version 1: `{"version": 1, "strict": bool, "packages":
    [{"source", "label", "system", "format", "verdict", "waived": [{"code", "path",
    "message", "reason"}], "notes": [str], "findings": [{"code", "severity", "path",
    "line", "message"}], "markers": [{"path", "python", "pip": {"outcome", "text"}}]}]}`
    (`path`: inside the package, or null; `pip`: what pip shows in English, `outcome`
    `message`, `generic` (pip's own text) or `crash`)."""
    return {
        "version": JSON_SCHEMA_VERSION,
        "strict": strict,
        "packages": [
            {
                "source": p.source,
                "label": p.label,
                "system": p.system,
                "format": p.format,
                "verdict": p.verdict,
                "waived": [
                    {
                        "code": w.finding.code,
                        "path": w.where,
                        "message": w.finding.message,
                        "reason": w.reason,
                    }
                    for w in p.waived
                ],
                "notes": list(p.notes),
                "findings": [
                    {
                        "code": f.code,
                        "severity": f.severity.value,
                        "path": where,
                        "line": f.line,
                        "message": f.message,
                    }
                    for where, f in _package_findings(p)
                ],
                "markers": [
                    {
                        "path": m.path,
                        "python": str(m.python),
                        "pip": {"outcome": m.outcome, "text": m.text},
                    }
                    for m in p.shown
                ],
            }
            for p in packages
        ],
    }


def junit_xml(packages: Sequence[PackageReport]) -> str:
    """JUnit XML (Jenkins, GitLab test reports): a test case per package, a failure per error.

    Warnings of a package that passes are its `system-out`; with `--strict`
    they fail it like errors.
    """
    from xml.etree import ElementTree as ET

    failed = sum(not p.passed for p in packages)
    suites = ET.Element("testsuites", name="marker-tool check", tests=str(len(packages)))
    suites.set("failures", str(failed))
    suite = ET.SubElement(suites, "testsuite", name="marker-tool check")
    suite.set("tests", str(len(packages)))
    suite.set("failures", str(failed))
    suite.set("errors", "0")
    for package in packages:
        case = ET.SubElement(suite, "testcase", classname="marker-tool.check")
        case.set("name", printable(package.label))
        case.set("file", printable(package.source))
        lines = [
            printable(f"{where + ': ' if where else ''}{f.code} {f.severity.value} {f.message}")
            for where, f in _package_findings(package)
        ]
        if not package.passed:
            first = next(
                (f for _, f in _package_findings(package) if f.severity.value == "error"),
                next(f for _, f in _package_findings(package)),
            )
            failure = ET.SubElement(case, "failure", type=first.code)
            failure.set("message", printable(first.message))
            failure.text = "\n".join(lines)
        elif lines:
            ET.SubElement(case, "system-out").text = "\n".join(lines)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, "unicode") + "\n"


#: Finding severities as Code Climate's (GitLab's code-quality widget) name them.
CODE_CLIMATE_SEVERITY = {"error": "major", "warning": "minor", "info": "info"}


def code_climate(packages: Sequence[PackageReport]) -> list[dict[str, object]]:
    """Code Climate issues (GitLab code quality): one per finding, stable fingerprints."""
    import hashlib

    issues: list[dict[str, object]] = []
    for package in packages:
        for where, f in _package_findings(package):
            key = "\0".join((package.source, where or "", f.code, f.message))
            issues.append(
                {
                    "type": "issue",
                    "check_name": f.code,
                    "description": f"{package.label} {where or ''}: {f.message}".replace(" :", ":"),
                    "categories": ["Bug Risk" if f.severity.value == "error" else "Style"],
                    "severity": CODE_CLIMATE_SEVERITY[f.severity.value],
                    "fingerprint": hashlib.sha256(key.encode("utf-8", "replace")).hexdigest(),
                    "location": {"path": package.source, "lines": {"begin": f.line or 1}},
                }
            )
    return issues


def render_packages(
    packages: Sequence[PackageReport], fmt: CheckFormat, *, strict: bool, style: bool
) -> str:
    """All package reports in one format, ending in a newline."""
    import json

    if fmt == "json":
        return json.dumps(package_document(packages, strict=strict), indent=2) + "\n"
    if fmt == "junit":
        return junit_xml(packages)
    if fmt == "codequality":
        return json.dumps(code_climate(packages), indent=2) + "\n"
    kinds = {"error": "error", "warning": "warning", "info": "notice"}
    lines: list[str] = []
    for package in packages:
        if fmt == "text":
            lines += package_lines(package, style=style)
            continue
        for where, f in _package_findings(package):
            props = [f"file={github_escape(package.source, prop=True)}"]
            title = f"{f.code} {where}" if where else f.code
            props.append(f"title={github_escape(title, prop=True)}")
            message = f"{where}:{f.line}: {f.message}" if where and f.line else f.message
            lines.append(f"::{kinds[f.severity.value]} {','.join(props)}::{github_escape(message)}")
        lines.append(f"{printable(package.label)}: {package.verdict}")
    lines.append(package_summary(packages))
    return "\n".join(lines) + "\n"
