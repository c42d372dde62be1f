"""A marker parsed once for every rule: its lines, entries and what pip makes of it.

Each physical line is classified exactly as CPython's configparser classifies
it (`_classify` mirrors configparser's `_read` loop without raising), and
`Document.pip` holds configparser's own reading (`consumers.read_as_pip`).
Pure: bytes in, a `Document` out; the standard library and the model only.
"""

from __future__ import annotations

import configparser
import re
from dataclasses import dataclass
from typing import Literal

from marker_tool.consumers import LINEAR_OPTCRE, PipOutcome, PipReading, read_as_pip
from marker_tool.model import SECTION, Placement

LineKind = Literal["blank", "comment", "section", "key", "continuation", "invalid", "orphan"]

# configparser's own section pattern (Python 3.11-3.14), and its option pattern in linear time.
_SECTCRE = configparser.RawConfigParser.SECTCRE
_OPTCRE = LINEAR_OPTCRE
_NONSPACE = re.compile(r"\S")
_NEWLINE = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class Line:
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


@dataclass(frozen=True, slots=True)
class Entry:
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


@dataclass(frozen=True, slots=True)
class Document:
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
    #: What pip gets: configparser's own reading of the file.
    pip: PipReading
    #: Set when the file is checked as installed.
    placement: Placement | None = None

    def section_entries(self, section: str = SECTION) -> list[Entry]:
        """The keys written in `section`, in file order."""
        return [e for e in self.entries if e.section == section]

    def line(self, number: int) -> Line:
        """Line `number` (1-based)."""
        return self.lines[number - 1]


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
        view = PipReading(PipOutcome.NOT_UTF8, error="UnicodeDecodeError", line=number)
        return Document(path, data, None, problem, (), (), (), view, placement)
    lines, entries, headers = _classify(_split_lines(text))
    return Document(
        path,
        data,
        text,
        None,
        tuple(lines),
        tuple(entries),
        tuple(headers),
        read_as_pip(data),
        placement,
    )
