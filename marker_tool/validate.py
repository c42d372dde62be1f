"""Validate EXTERNALLY-MANAGED markers the way pip and uv read them.

The library entry points are `validate_bytes`, `validate_path` and `Validator`;
the CLI (`marker_tool.cli.validate`) only formats their `Report`. A marker is
parsed once into a `Document` -- its lines, classified exactly as CPython's
configparser classifies them, plus what configparser itself makes of the file
(which is what pip gets) -- and every rule in `marker_tool.rules.RULES` looks at
that. This module and the rules import only the standard library and
`marker_tool.model`/`errors` (never jinja2 or babel): `validate` must start fast.

The parse model and `Report` are immutable NamedTuples rather than frozen
dataclasses: defining a frozen dataclass costs about 1.5 ms at import, which
`marker-tool validate`'s start-up budget (1.2x `import click`) cannot pay
seven times, and building tuples keeps throughput high.
"""

from __future__ import annotations

import configparser
import os
import re
import stat
import sys
import threading
from collections.abc import Iterable, Sequence
from functools import cache
from typing import TYPE_CHECKING, Literal, NamedTuple

from marker_tool.errors import MarkerToolError, did_you_mean
from marker_tool.model import MARKER_NAME, SECTION, Finding, Severity

if TYPE_CHECKING:
    from marker_tool.rules import Rule

#: A path as the library accepts it.
StrPath = str | os.PathLike[str]

LineKind = Literal["blank", "comment", "section", "key", "continuation", "invalid", "orphan"]
Verdict = Literal["PASSED", "PASSED with warnings", "FAILED"]
VERDICTS: tuple[Verdict, ...] = ("PASSED", "PASSED with warnings", "FAILED")

# configparser's own patterns (Python 3.11-3.14 use the same ones).
_SECTCRE = configparser.RawConfigParser.SECTCRE
_OPTCRE = configparser.RawConfigParser.OPTCRE
_NONSPACE = re.compile(r"\S")
_NEWLINE = re.compile(r"\r\n|\r|\n")
_STDLIB_NAME = re.compile(r"python\d\.\d+t?")


class Line(NamedTuple):
    """One physical line of a marker and what configparser makes of it."""

    #: 1-based line number.
    number: int
    #: The line without its line ending.
    text: str
    #: `"\n"`, `"\r\n"`, `"\r"`, or `""` for a last line without one.
    ending: str
    #: What configparser sees: a blank line, a whole-line comment, a section
    #: header, a key line, a continuation of the current key's value, a line it
    #: rejects (`invalid`, a ParsingError) or text before any section (`orphan`).
    kind: LineKind
    #: Columns of leading whitespace (configparser's notion of indentation).
    indent: int
    #: The section the line is in (for a header: the section it opens).
    section: str | None
    #: The key a key line defines, or whose value a continuation, blank or
    #: comment line sits in, as written in the file.
    key: str | None
    #: A key line's value (after the delimiter), a continuation line's text, a
    #: header's section name, all stripped as configparser strips them.
    value: str = ""


class Entry(NamedTuple):
    """One key as written in the file, with the value configparser gives it."""

    #: The section the key is in (`DEFAULT` included).
    section: str
    #: The key as written (configparser looks keys up case-insensitively).
    key: str
    #: The key line's number.
    line: int
    #: The value's continuation lines (numbers), in order.
    continuation: tuple[int, ...]
    #: The value as pip gets it: parts joined with newlines, trailing
    #: whitespace dropped (leading indentation of each line is already lost).
    text: str

    @property
    def is_error_key(self) -> bool:
        """`Error` or `Error-<locale>` in any case: a key pip may show."""
        lower = self.key.lower()
        return lower == "error" or lower.startswith("error-")

    @property
    def is_locale_key(self) -> bool:
        """`Error-<something>`: a key only pip reads, for one locale."""
        return self.key.lower().startswith("error-")


class PipView(NamedTuple):
    """What `configparser.ConfigParser(interpolation=None)` -- pip -- gets from the file."""

    #: The exception configparser raised (`DuplicateOptionError` ...), or None.
    error: str | None
    #: True when that exception escapes pip: a traceback and exit status 2.
    crashes: bool
    #: The line configparser names in its exception.
    error_line: int | None
    #: The `[externally-managed]` keys (lower-case, `[DEFAULT]` inherited) and
    #: their texts, when pip can read the file and the section exists.
    values: dict[str, str] | None


class Placement(NamedTuple):
    """Where an installed marker is, for the EM5xx rules."""

    #: The path as given.
    path: str
    #: `os.stat` of the path (following symlinks), None for a dangling link.
    mode: int | None
    #: The stdlib dir the marker belongs in, when the target interpreter was
    #: asked (`--interpreter`) or it was given (`--stdlib-dir`).
    stdlib_dir: str | None = None


class Document(NamedTuple):
    """A marker parsed once for all rules."""

    #: The path shown in findings, or None.
    path: str | None
    #: The raw bytes.
    data: bytes
    #: The decoded text, None when the bytes are not UTF-8.
    text: str | None
    #: (line, column, reason) of the first byte that is not UTF-8.
    decode_error: tuple[int, int, str] | None
    #: Every line, classified.
    lines: tuple[Line, ...]
    #: Every key in file order (duplicates included).
    entries: tuple[Entry, ...]
    #: Every section header as (name, line), duplicates included.
    headers: tuple[tuple[str, int], ...]
    #: What pip gets.
    pip: PipView
    #: Set when the file is checked as installed.
    placement: Placement | None = None

    def section_entries(self, section: str = SECTION) -> list[Entry]:
        """The keys written in `section`, in file order."""
        return [e for e in self.entries if e.section == section]

    def line(self, number: int) -> Line:
        """Line `number` (1-based)."""
        return self.lines[number - 1]


class Report(NamedTuple):
    """The result of validating one marker."""

    #: The file's path as given (`-` for standard input), or `<bytes>`.
    path: str
    #: Findings, ordered by line.
    findings: tuple[Finding, ...]
    #: Warnings fail the file too (`--strict`).
    strict: bool = False

    @property
    def verdict(self) -> Verdict:
        """`FAILED` on an error (or a warning when strict), else `PASSED [with warnings]`."""
        severities = {f.severity for f in self.findings}
        if Severity.ERROR in severities or (self.strict and Severity.WARNING in severities):
            return "FAILED"
        if Severity.WARNING in severities:
            return "PASSED with warnings"
        return "PASSED"

    @property
    def passed(self) -> bool:
        """True unless the verdict is `FAILED`."""
        return self.verdict != "FAILED"

    def codes(self) -> list[str]:
        """The codes found, in order, for tests and quick checks."""
        return [f.code for f in self.findings]


# -- parsing ---------------------------------------------------------------------------


def _split_lines(text: str) -> list[tuple[str, str]]:
    """(text, ending) pairs with universal newlines, as Python's text files read."""
    if "\r" not in text:
        parts = text.split("\n")
        pairs = [(p, "\n") for p in parts[:-1]]
        if parts[-1]:
            pairs.append((parts[-1], ""))
        return pairs
    pairs = []
    start = 0
    for match in _NEWLINE.finditer(text):
        pairs.append((text[start : match.start()], match.group()))
        start = match.end()
    if start < len(text):
        pairs.append((text[start:], ""))
    return pairs


def _classify(
    pairs: list[tuple[str, str]],
) -> tuple[list[Line], list[Entry], list[tuple[str, int]]]:
    """Mirror configparser's `_read` loop line by line (without raising)."""
    lines: list[Line] = []
    headers: list[tuple[str, int]] = []
    # key -> (section, key, line, [continuation numbers], [parts])
    open_entries: list[tuple[str, str, int, list[int], list[str]]] = []
    current: tuple[str, str, int, list[int], list[str]] | None = None
    section: str | None = None
    indent_level = 0
    for number, (text, ending) in enumerate(pairs, start=1):
        clean = text.strip()
        if clean[:1] in ("#", ";"):
            key = current[1] if current else None
            lines.append(Line(number, text, ending, "comment", _indent(text), section, key))
            continue
        if not clean:
            key = None
            if current is not None:
                current[4].append("")
                key = current[1]
            lines.append(Line(number, text, ending, "blank", 0, section, key))
            continue
        indent = _indent(text)
        if section is not None and current is not None and indent > indent_level:
            current[3].append(number)
            current[4].append(clean)
            lines.append(
                Line(number, text, ending, "continuation", indent, section, current[1], clean)
            )
            continue
        indent_level = indent
        header = _SECTCRE.match(clean)
        if header:
            section = header.group("header")
            headers.append((section, number))
            current = None
            lines.append(Line(number, text, ending, "section", indent, section, None, section))
            continue
        if section is None:
            lines.append(Line(number, text, ending, "orphan", indent, None, None, clean))
            continue
        option = _OPTCRE.match(clean)
        if option is None:
            key = current[1] if current else None
            lines.append(Line(number, text, ending, "invalid", indent, section, key, clean))
            continue
        name = option.group("option").rstrip()
        value = option.group("value").strip()
        entry: tuple[str, str, int, list[int], list[str]] = (section, name, number, [], [value])
        open_entries.append(entry)
        # An empty key name is a ParsingError, and configparser then treats no
        # later line as its continuation.
        current = entry if name else None
        kind: LineKind = "key" if name else "invalid"
        lines.append(Line(number, text, ending, kind, indent, section, name, value))
    entries = [
        Entry(sect, key, number, tuple(cont), "\n".join(parts).rstrip())
        for sect, key, number, cont, parts in open_entries
        if key
    ]
    return lines, entries, headers


def _indent(text: str) -> int:
    match = _NONSPACE.search(text)
    return match.start() if match else 0


_PARSERS = threading.local()


def _fresh_parser() -> configparser.ConfigParser:
    """An empty `ConfigParser(interpolation=None)`, as pip makes one.

    Making one costs more than reading a marker (its converters run `dir()`),
    so each thread keeps one and empties it through the public API.
    """
    parser: configparser.ConfigParser | None = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = configparser.ConfigParser(interpolation=None)
    else:
        for name in parser.sections():
            parser.remove_section(name)
        for key in list(parser.defaults()):
            parser.remove_option(parser.default_section, key)
    return parser


def _pip_view(lines: Sequence[Line]) -> PipView:
    parser = _fresh_parser()
    try:
        parser.read_file((line.text + "\n" for line in lines), "<marker>")
    except configparser.ParsingError as exc:
        # Includes MissingSectionHeaderError: pip warns "Failed to read".
        number = exc.lineno if isinstance(exc, configparser.MissingSectionHeaderError) else None
        if number is None and exc.errors:
            number = exc.errors[0][0]
        return PipView(type(exc).__name__, False, number, None)
    except configparser.Error as exc:
        # DuplicateSectionError / DuplicateOptionError: pip does not catch them.
        return PipView(type(exc).__name__, True, getattr(exc, "lineno", None), None)
    if not parser.has_section(SECTION):
        return PipView(None, False, None, None)
    values = {key: parser.get(SECTION, key) for key in parser.options(SECTION)}
    return PipView(None, False, None, values)


def parse(data: bytes, *, path: str | None = None, placement: Placement | None = None) -> Document:
    """Parse a marker's bytes into the `Document` every rule reads."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        number = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        bad = data[exc.start : exc.end].hex(" ")
        problem = (number, column, f"byte {bad} at column {column}: {exc.reason}")
        # pip and uv read nothing of such a file, so the other rules get no lines.
        view = PipView("UnicodeDecodeError", False, number, None)
        return Document(path, data, None, problem, (), (), (), view, placement)
    lines, entries, headers = _classify(_split_lines(text))
    view = _pip_view(lines)
    return Document(
        path, data, text, None, tuple(lines), tuple(entries), tuple(headers), view, placement
    )


# -- placement -------------------------------------------------------------------------


def looks_installed(path: StrPath) -> bool:
    """True for a file that is where a marker is installed, or meant to be.

    A file named `EXTERNALLY-MANAGED` inside a `pythonX.Y[t]` directory (a
    stdlib dir, also in a DESTDIR staging tree) or inside site-packages.
    A marker in a source tree (`debian/EXTERNALLY-MANAGED`) is not.
    """
    directory, name = os.path.split(os.path.abspath(path))
    if name != MARKER_NAME:
        return False
    parents = directory.split(os.sep)
    return any(_STDLIB_NAME.fullmatch(p) for p in parents[-3:]) or any(
        p in ("site-packages", "dist-packages") for p in parents
    )


@cache
def interpreter_stdlib_dir(interpreter: str) -> str:
    """`sysconfig`'s stdlib dir of the target interpreter (the one pip and uv check)."""
    import subprocess  # only for --interpreter: keeps `validate` start-up small

    code = "import sysconfig; print(sysconfig.get_path('stdlib', sysconfig.get_default_scheme()))"
    try:
        out = subprocess.run(
            [interpreter, "-I", "-c", code],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise MarkerToolError(
            f"cannot ask `{interpreter}` for its stdlib dir: {exc}",
            hint="give the path of a Python interpreter, e.g. /usr/bin/python3.12",
        ) from None
    return out.stdout.strip()


# -- running the rules -----------------------------------------------------------------


def _all_rules() -> tuple[Rule, ...]:
    # Imported here: rules.py imports this module's types.
    from marker_tool.rules import RULES

    return RULES


def get_rule(code_or_name: str) -> Rule:
    """The rule with this code (`EM101`, any case) or name (`not-utf8`)."""
    wanted = code_or_name.strip()
    for rule in _all_rules():
        if wanted.upper() == rule.code or wanted.lower() == rule.name:
            return rule
    choices = [r.code for r in _all_rules()] + [r.name for r in _all_rules()]
    raise MarkerToolError(
        f"unknown rule `{code_or_name}`",
        hint=did_you_mean(wanted.upper(), choices)
        or did_you_mean(wanted.lower(), choices)
        or "`marker-tool validate --list-rules` lists them",
    )


class Validator:
    """Runs the rules over markers. Usable without the CLI."""

    __slots__ = ("ignore", "interpreter", "rules", "stdlib_dir", "strict")

    def __init__(
        self,
        *,
        strict: bool = False,
        rules: tuple[Rule, ...] | None = None,
        ignore: Iterable[str] = (),
        interpreter: str | None = None,
        stdlib_dir: str | None = None,
    ) -> None:
        #: Warnings fail a file too.
        self.strict = strict
        #: The rules to run; None means all of `marker_tool.rules.RULES`.
        self.rules = rules
        #: Codes to skip.
        self.ignore = frozenset(ignore)
        #: A target interpreter: installed markers must be in its stdlib dir.
        self.interpreter = interpreter
        #: The stdlib dir installed markers must be in (instead of asking an interpreter).
        self.stdlib_dir = stdlib_dir

    def _run(self, doc: Document) -> tuple[Finding, ...]:
        rules = self.rules if self.rules is not None else _all_rules()
        findings: list[Finding] = []
        for rule in rules:
            if rule.code in self.ignore:
                continue
            if rule.code.startswith("EM5") and doc.placement is None:
                continue
            for line, message in rule.check(doc):
                findings.append(Finding(rule.code, rule.severity, message, line, doc.path))
        findings.sort(key=lambda f: (f.line or 0, f.code))
        return tuple(findings)

    def validate_bytes(
        self, data: bytes, *, path: str | None = None, installed: bool = False
    ) -> Report:
        """Validate a marker's content. `installed` adds the EM5xx checks for `path`."""
        placement = self._placement(path) if installed and path else None
        doc = parse(data, path=path, placement=placement)
        return Report(path or "<bytes>", self._run(doc), self.strict)

    def validate_path(self, path: StrPath, *, installed: bool | None = None) -> Report:
        """Validate the marker at `path`.

        `installed=None` decides from where the file is (`looks_installed`), or
        is True when an interpreter or stdlib dir to check against was given.
        A missing path raises MarkerToolError; a directory, a dangling symlink
        or an unreadable installed file is a finding (pip and uv ignore them).
        """
        shown = os.fspath(path)
        if installed is None:
            installed = bool(self.interpreter or self.stdlib_dir) or looks_installed(shown)
        placement = self._placement(shown) if installed else None
        if placement is not None and (placement.mode is None or not stat.S_ISREG(placement.mode)):
            if placement.mode is None and not os.path.lexists(shown):
                raise MarkerToolError("no such file", file=shown)
            doc = parse(b"", path=shown, placement=placement)
            return Report(shown, self._only_placement(doc), self.strict)
        try:
            with open(shown, "rb") as stream:
                data = stream.read()
        except FileNotFoundError:
            raise MarkerToolError(
                "no such file", file=shown, hint="give the path of a marker file"
            ) from None
        except IsADirectoryError:
            raise MarkerToolError("a directory, not a marker file", file=shown) from None
        except OSError as exc:
            if placement is not None:
                doc = parse(b"", path=shown, placement=placement)
                return Report(shown, self._only_placement(doc), self.strict)
            raise MarkerToolError(f"cannot read: {exc.strerror}", file=shown) from None
        doc = parse(data, path=shown, placement=placement)
        return Report(shown, self._run(doc), self.strict)

    def validate_paths(
        self, paths: Iterable[StrPath], *, installed: bool | None = None
    ) -> list[Report]:
        """`validate_path` for each path, in order."""
        return [self.validate_path(p, installed=installed) for p in paths]

    def _only_placement(self, doc: Document) -> tuple[Finding, ...]:
        rules = self.rules if self.rules is not None else _all_rules()
        only = Validator(
            strict=self.strict,
            rules=tuple(r for r in rules if r.code.startswith("EM5")),
            ignore=self.ignore,
        )
        return only._run(doc)

    def _placement(self, path: str) -> Placement:
        try:
            mode: int | None = os.stat(path).st_mode
        except OSError:
            mode = None
        stdlib = self.stdlib_dir
        if stdlib is None and self.interpreter:
            stdlib = interpreter_stdlib_dir(self.interpreter)
        return Placement(path, mode, stdlib)


def validate_bytes(
    data: bytes,
    *,
    path: str | None = None,
    installed: bool = False,
    strict: bool = False,
    ignore: Iterable[str] = (),
    stdlib_dir: str | None = None,
    interpreter: str | None = None,
) -> Report:
    """Validate a marker's bytes; see `Validator`."""
    validator = Validator(
        strict=strict, ignore=ignore, stdlib_dir=stdlib_dir, interpreter=interpreter
    )
    return validator.validate_bytes(data, path=path, installed=installed)


def validate_path(
    path: StrPath,
    *,
    installed: bool | None = None,
    strict: bool = False,
    ignore: Iterable[str] = (),
    stdlib_dir: str | None = None,
    interpreter: str | None = None,
) -> Report:
    """Validate the marker file at `path`; see `Validator.validate_path`."""
    validator = Validator(
        strict=strict, ignore=ignore, stdlib_dir=stdlib_dir, interpreter=interpreter
    )
    return validator.validate_path(path, installed=installed)


#: The version of `json_document`'s schema; bumped only for incompatible changes.
JSON_SCHEMA_VERSION = 1


def json_document(reports: Iterable[Report], *, strict: bool = False) -> dict[str, object]:
    """The `--format json` document (schema version 1, see `marker_tool.cli.validate`).

    `{"version": 1, "strict": bool, "files": [{"path": str, "verdict": "PASSED" |
    "PASSED with warnings" | "FAILED", "findings": [{"code": str, "severity":
    "error" | "warning" | "info", "line": int | null, "message": str}]}]}`
    """
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


def _main() -> None:  # pragma: no cover - a debugging aid: python -m marker_tool.validate FILE
    for name in sys.argv[1:]:
        report = validate_path(name)
        print(f"{report.path}: {report.verdict}")
        for f in report.findings:
            print(f"  {f.line}: {f.code} {f.severity.value} {f.message}")


if __name__ == "__main__":  # pragma: no cover
    _main()
