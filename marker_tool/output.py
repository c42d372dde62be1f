"""How findings are shown: one table of output formats, shared by `validate` and `check`.

Each command turns its results into `Subject`s (a marker file for `validate`;
a package, image or tree for `check`), and every format writes subjects:

- `text`: `SUBJECT: VERDICT`, then one `SUBJECT[ PATH][:LINE]: CODE severity
  message` line per finding (PATH: inside a package), waived findings and the
  readers' notes. Coloured on a terminal; plain when piped or NO_COLOR is set.
- `json`: one document, schema version 1 (stable; fields are only ever added):
  `{"version": 1, "strict": bool, "files" | "packages": [...]}`, each entry as
  the command documents it (`validate`: path, verdict, findings; `check`: see
  `marker_tool.check.package_document`).
- `github`: GitHub Actions workflow commands, one per finding
  (`::error file=PATH,line=3,title=EM205::message`; warnings `::warning`,
  infos `::notice`), then the verdict lines. Every property and message is
  escaped as workflow commands require, so no path or message can forge a
  command of its own.
- `junit`: JUnit XML (Jenkins, GitLab test reports), a test case per subject.
- `codequality`: Code Climate JSON (GitLab's code-quality widget).
- `sarif`: SARIF 2.1.0 (GitHub code scanning), the rules from the registry.

A new format is one function and one `FORMATS` entry. Paths and messages come
from untrusted files: control characters in them are shown as escapes in the
text format, and lone surrogates (bytes of a name that is not UTF-8) never
reach an encoder.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from marker_tool.model import Located, Severity, Verdict
from marker_tool.text import (
    C0_CONTROLS,
    DEL_AND_C1,
    ESC,
    INVISIBLE_CHARS,
    LINE_FEED,
    SEPARATORS,
    SURROGATES,
    TAB,
    char_class,
)

if TYPE_CHECKING:
    from marker_tool.check import PackageReport
    from marker_tool.validate import Report

Format = Literal["text", "json", "github", "junit", "codequality", "sarif"]


@dataclass(frozen=True, slots=True)
class SeverityForms:
    """How each format says a severity."""

    #: The text format's colour.
    colour: str
    #: The GitHub workflow command (`::error`, `::warning`, `::notice`).
    github: str
    #: Code Climate's (GitLab's code-quality widget) severity.
    code_climate: str
    #: SARIF's level.
    sarif: str


SEVERITY_FORMS = {
    Severity.ERROR: SeverityForms("red", "error", "major", "error"),
    Severity.WARNING: SeverityForms("yellow", "warning", "minor", "warning"),
    Severity.INFO: SeverityForms("cyan", "notice", "info", "note"),
}
VERDICT_COLOURS: dict[Verdict, str] = {
    "PASSED": "green",
    "PASSED with warnings": "yellow",
    "FAILED": "red",
}
#: Every control character (tab and line feed too: a name or message is one line), the
#: separators, invisible characters, and the lone surrogates that stand for bytes of a
#: name that is not UTF-8 (read with `surrogateescape`): shown as escapes, never printed.
_UNPRINTABLE = char_class(
    C0_CONTROLS, TAB, LINE_FEED, ESC, DEL_AND_C1, SEPARATORS, INVISIBLE_CHARS, SURROGATES
)


def printable(text: str) -> str:
    """`text` with control and invisible characters shown as `\\x1b`-style escapes."""
    return _UNPRINTABLE.sub(lambda m: m[0].encode("unicode_escape").decode("ascii"), text)


@dataclass(frozen=True, slots=True)
class Subject:
    """One thing a command gives a verdict on: a marker file, or a package, image or tree."""

    #: How its lines start: the marker's path, or a package's `name_version_arch`.
    name: str
    #: The file it was read from, for annotations and reports that link to files.
    path: str
    verdict: Verdict
    findings: tuple[Located, ...]
    #: Makes its entry in the JSON document (only the json format asks: `validate` starts
    #: without the document's machinery).
    entry: Callable[[], dict[str, object]]
    #: The header line's name (a package's label with its file name beside it).
    title: str = ""
    waived: tuple[Located, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return self.verdict != "FAILED"

    @property
    def document(self) -> dict[str, object]:
        """Its entry in the JSON document."""
        return self.entry()


@dataclass(frozen=True, slots=True)
class Options:
    """What a command tells the formats."""

    strict: bool = False
    #: Colour (the text format on a terminal).
    style: bool = False
    #: The JSON document's list: `files` (validate) or `packages` (check).
    json_key: Literal["files", "packages"] = "files"
    #: The closing count line (`3 checked: 2 passed ...`), as check prints it.
    summary: bool = False
    #: The name of the run in JUnit and SARIF (`marker-tool check`).
    run: str = "marker-tool"


def colour(fmt: str) -> bool:
    """Whether the text format is coloured: not with NO_COLOR set or on a dumb terminal
    (click then leaves the escapes out anyway where the output is no terminal)."""
    import os

    return fmt == "text" and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def _location(subject: Subject, item: Located) -> str:
    place = f"{subject.name} {item.where}" if item.where else subject.name
    return f"{place}:{item.finding.line}" if item.finding.line else place


def text(subjects: Sequence[Subject], options: Options) -> str:
    import click

    def paint(value: str, **style: object) -> str:
        return click.style(value, **style) if options.style else value  # type: ignore[arg-type]

    lines: list[str] = []
    for s in subjects:
        verdict = paint(s.verdict, fg=VERDICT_COLOURS[s.verdict])
        lines.append(f"{printable(s.title or s.name)}: {verdict}")
        for item in s.findings:
            f = item.finding
            forms = SEVERITY_FORMS[f.severity]
            severity = paint(f.severity.value, fg=forms.colour, bold=True)
            lines.append(
                f"{printable(_location(s, item))}: {paint(f.code, bold=True)} {severity} "
                f"{printable(f.message)}"
            )
        for item in s.waived:
            lines.append(
                f"{printable(_location(s, item))}: {paint(item.finding.code, bold=True)} waived "
                f"{printable(item.finding.message)} (reason: {printable(item.reason or '')})"
            )
        lines += [f"{printable(s.name)}: note: {printable(note)}" for note in s.notes]
    return _close(lines, subjects, options)


def _close(lines: list[str], subjects: Sequence[Subject], options: Options) -> str:
    if options.summary:
        lines.append(summary(subjects))
    return "\n".join(lines) + "\n" if lines else ""


def summary(subjects: Sequence[Subject]) -> str:
    """`3 checked: 1 passed, 0 passed with warnings, 2 failed`, and how many of those held
    nothing to check (EM610), which no CI job should mistake for a pass."""
    verdicts = [s.verdict for s in subjects]
    line = (
        f"{len(subjects)} checked: {verdicts.count('PASSED')} passed, "
        f"{verdicts.count('PASSED with warnings')} passed with warnings, "
        f"{verdicts.count('FAILED')} failed"
    )
    empty = sum(1 for s in subjects if held_nothing(s))
    return line + (f" ({empty} held nothing to check: EM610)" if empty else "")


def held_nothing(subject: Subject) -> bool:
    """Whether `check` found nothing to check in this subject (EM610)."""
    from marker_tool.check.rules import nothing_checked

    return any(item.finding.code == nothing_checked.code for item in subject.findings)


def json_text(subjects: Sequence[Subject], options: Options) -> str:
    import json

    from marker_tool.jsondoc import document

    entries = [s.document for s in subjects]
    return json.dumps(document(options.json_key, options.strict, entries), indent=2) + "\n"


_SURROGATES = char_class(SURROGATES)


def github_escape(value: str, *, prop: bool = False) -> str:
    """Escape workflow-command data (`%`, CR, LF), and for properties also `:` and `,`.

    The bytes of a name that is not UTF-8 (lone surrogates) are shown as `\\udcff`
    escapes, as the text format shows them: no encoder may meet them.
    """
    value = _SURROGATES.sub(lambda m: m[0].encode("unicode_escape").decode("ascii"), value)
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return value.replace(":", "%3A").replace(",", "%2C") if prop else value


def github(subjects: Sequence[Subject], options: Options) -> str:
    """A workflow command per finding; `line=` only where it is a line of the file itself."""
    lines = []
    for s in subjects:
        for item in s.findings:
            f = item.finding
            props = [f"file={github_escape(s.path, prop=True)}"]
            if f.line and not item.where:
                props.append(f"line={f.line}")
            title = f"{f.code} {item.where}" if item.where else f.code
            props.append(f"title={github_escape(title, prop=True)}")
            message = f"{item.where}:{f.line}: {f.message}" if item.where and f.line else f.message
            kind = SEVERITY_FORMS[f.severity].github
            lines.append(f"::{kind} {','.join(props)}::{github_escape(message)}")
        lines.append(f"{printable(s.title or s.name)}: {s.verdict}")
    return _close(lines, subjects, options)


def junit(subjects: Sequence[Subject], options: Options) -> str:
    """JUnit XML: a test case per subject, a failure per failed one.

    Warnings of a subject that passes are its `system-out`; with `--strict`
    they fail it like errors.
    """
    from xml.etree import ElementTree as ET

    failed = sum(not s.passed for s in subjects)
    suites = ET.Element("testsuites", name=options.run, tests=str(len(subjects)))
    suites.set("failures", str(failed))
    suite = ET.SubElement(suites, "testsuite", name=options.run)
    suite.set("tests", str(len(subjects)))
    suite.set("failures", str(failed))
    suite.set("errors", "0")
    for s in subjects:
        case = ET.SubElement(suite, "testcase", classname=options.run.replace(" ", "."))
        case.set("name", printable(s.name))
        case.set("file", printable(s.path))
        lines = [
            printable(
                f"{item.where + ': ' if item.where else ''}{item.finding.code} "
                f"{item.finding.severity.value} {item.finding.message}"
            )
            for item in s.findings
        ]
        if not s.passed:
            first = next(
                (i.finding for i in s.findings if i.finding.severity.value == "error"),
                s.findings[0].finding,
            )
            failure = ET.SubElement(case, "failure", type=first.code)
            failure.set("message", printable(first.message))
            failure.text = "\n".join(lines)
        elif lines:
            ET.SubElement(case, "system-out").text = "\n".join(lines)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, "unicode") + "\n"


def code_climate(subjects: Sequence[Subject], options: Options) -> str:
    """Code Climate issues: one per finding, stable fingerprints."""
    import hashlib
    import json

    issues: list[dict[str, object]] = []
    for s in subjects:
        for item in s.findings:
            f = item.finding
            key = "\0".join((s.path, item.where or "", f.code, f.message))
            where = f" {item.where}" if item.where else ""
            issues.append(
                {
                    "type": "issue",
                    "check_name": f.code,
                    "description": f"{s.name}{where}: {f.message}",
                    "categories": ["Bug Risk" if f.severity.value == "error" else "Style"],
                    "severity": SEVERITY_FORMS[f.severity].code_climate,
                    "fingerprint": hashlib.sha256(
                        key.encode("utf-8", "surrogateescape")
                    ).hexdigest(),
                    "location": {"path": s.path, "lines": {"begin": f.line or 1}},
                }
            )
    return json.dumps(issues, indent=2) + "\n"


def sarif(subjects: Sequence[Subject], options: Options) -> str:
    """SARIF 2.1.0 for GitHub code scanning: the registry's rules, a result per finding."""
    import json

    from marker_tool import __version__
    from marker_tool.check.registry import REGISTRY

    index = {rule.code: n for n, rule in enumerate(REGISTRY)}
    results = []
    for s in subjects:
        for item in s.findings:
            f = item.finding
            region = {"startLine": f.line} if f.line and not item.where else {}
            where = f"{item.where}: " if item.where else ""
            results.append(
                {
                    "ruleId": f.code,
                    "ruleIndex": index.get(f.code, -1),
                    "level": SEVERITY_FORMS[f.severity].sarif,
                    "message": {"text": f"{s.name}: {where}{f.message}"},
                    "locations": [
                        {
                            "physicalLocation": {
                                "artifactLocation": {"uri": s.path},
                                **({"region": region} if region else {}),
                            }
                        }
                    ],
                }
            )
    rules = [
        {
            "id": rule.code,
            "name": rule.name,
            "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": rule.explanation},
            "defaultConfiguration": {"level": SEVERITY_FORMS[rule.severity].sarif},
        }
        for rule in REGISTRY
    ]
    document = {
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "marker-tool",
                        "version": __version__,
                        "informationUri": "https://pypi.org/project/marker-tool/",
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2) + "\n"


Writer = Callable[[Sequence[Subject], Options], str]

#: Every output format: name -> (writer, one line for `--help`).
FORMATS: dict[Format, tuple[Writer, str]] = {
    "text": (text, "one line per finding, for people"),
    "json": (json_text, "one JSON document (schema version 1)"),
    "github": (github, "GitHub Actions annotations"),
    "junit": (junit, "JUnit XML (Jenkins, GitLab test reports)"),
    "codequality": (code_climate, "Code Climate JSON (GitLab code quality)"),
    "sarif": (sarif, "SARIF 2.1.0 (GitHub code scanning)"),
}
FORMAT_NAMES: tuple[Format, ...] = tuple(FORMATS)


def write(subjects: Sequence[Subject], fmt: Format, options: Options) -> str:
    """All subjects in one format, ending in a newline (empty text when there are none)."""
    writer, _ = FORMATS[fmt]
    return writer(subjects, options)


def format_help() -> str:
    """`--format`'s help: every format and what it is for."""
    return "Output format: " + "; ".join(f"{name}: {help_}" for name, (_, help_) in FORMATS.items())


# -- what each command gives -------------------------------------------------------------


def marker_subjects(reports: Sequence[Report]) -> list[Subject]:
    """`validate`'s reports, one subject per marker file (JSON entry: `jsondoc.file_record`)."""
    return [
        Subject(
            name=r.path,
            path=r.path,
            verdict=r.verdict,
            findings=tuple(Located(f) for f in r.findings),
            entry=functools.partial(_entry, "files", r),
        )
        for r in reports
    ]


def _entry(kind: str, report: object) -> dict[str, object]:
    from marker_tool import jsondoc

    record = jsondoc.file_record() if kind == "files" else jsondoc.package_record()
    return record.of(report)


def title(package: PackageReport) -> str:
    """`name_version_arch`, with the file name beside it when that says something else."""
    import os

    base = os.path.basename(package.source.rstrip("/"))
    if package.label == package.source or base.startswith(package.label + "."):
        return package.label
    return f"{package.label} ({package.source})"


def package_subjects(packages: Sequence[PackageReport]) -> list[Subject]:
    """`check`'s reports, one subject per package, image, tree or system (JSON entry:
    `jsondoc.package_record`)."""
    return [
        Subject(
            name=p.label,
            path=p.source,
            verdict=p.verdict,
            findings=p.located(),
            entry=functools.partial(_entry, "packages", p),
            title=title(p),
            waived=tuple(Located(w.finding, w.where, w.reason) for w in p.waived),
            notes=p.notes,
        )
        for p in packages
    ]
