"""How each consumer reads a marker's bytes: pip, uv, and uv 0.13.0 and older.

The one owner of "read it as pip does": `read_as_pip` is what the INI
writer's read-back, the validator's parse and the preview all use. No I/O
and no Jinja or Babel: `preview` and `validate` import this module.

pip (all versions since 23.0, checked against 26.x) reads the file with
CPython's own `configparser.ConfigParser(interpolation=None)` from the
interpreter it runs under (`ExternallyManagedEnvironment.from_config`). Its
reading rules are identical from 3.11 to 3.13, so `read_as_pip` runs the very
same code over the same text stream (`io.TextIOWrapper`, UTF-8, universal
newlines: a decoding error surfaces at the 8 KiB chunk that holds it, exactly
as with `open()`). Outcomes: a message for the first key that exists; the
generic message (no section, no key, or the file could not be opened); a
"WARNING: Failed to read ..." line plus the generic message (not UTF-8, or a
`configparser.ParsingError`); a traceback and exit status 2 for a duplicate
section or option (`DuplicateSectionError` and `DuplicateOptionError` are
not `ParsingError`s, pip does not catch them).

uv >= 0.13.1 parses with astral-ini, a port of the same configparser rules
(duplicates are errors, `[DEFAULT]` is inherited), but with case-sensitive
option names, so `Error` and `error` are two keys and only `Error` is read.
uv <= 0.13.0 used the `configparser` crate (3.2.0) in multiline,
case-sensitive mode, which has its own rules (see `_parse_old_uv`). Both read
the file with Rust's `read_to_string`: bytes that are not UTF-8 make uv treat
the interpreter as not externally managed, and it installs.
"""

from __future__ import annotations

import configparser
import enum
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from marker_tool.model import ERROR_KEY, SECTION

#: CPython's `configparser.DEFAULTSECT`.
DEFAULT_SECTION = "DEFAULT"
#: The section name the `configparser` crate files keys under before any header.
OLD_UV_DEFAULT_SECTION = "default"


class PipOutcome(enum.Enum):
    """What pip does with a marker (before the locale picks a key)."""

    #: The file parsed; the shown text depends on the keys (or is generic).
    PARSED = "parsed"
    #: Parsed, but there is no `[externally-managed]` section: generic message.
    NO_SECTION = "no-section"
    #: Not UTF-8: "WARNING: Failed to read ...", then the generic message.
    NOT_UTF8 = "not-utf8"
    #: A `configparser.ParsingError`: the warning, then the generic message.
    PARSE_ERROR = "parse-error"
    #: A duplicate section or option: pip prints a traceback and exits 2.
    CRASH = "crash"


@dataclass(frozen=True, slots=True)
class PipReading:
    """A marker as pip's configparser reads it."""

    outcome: PipOutcome
    #: The `[externally-managed]` options (own and inherited from `[DEFAULT]`),
    #: keys lower-cased as configparser stores them; empty unless PARSED.
    options: Mapping[str, str] = field(default_factory=dict)
    #: For NOT_UTF8, PARSE_ERROR and CRASH: CPython's exception class name
    #: (`UnicodeDecodeError`, `MissingSectionHeaderError`, `DuplicateOptionError` ...).
    error: str | None = None
    #: 1-based line of the first error, when configparser reports one.
    line: int | None = None
    #: For CRASH: the exception text after `While reading from PATH`, e.g.
    #: ` [line  3]: option 'error' in section 'externally-managed' already exists`.
    crash_detail: str | None = None

    def lookup(self, keys: Iterable[str]) -> tuple[str, str] | None:
        """The first of `keys` (pip's lookup order) that exists, with its text."""
        if self.outcome is not PipOutcome.PARSED:
            return None
        for key in keys:
            text = self.options.get(key.lower())
            if text is not None:
                return key, text
        return None

    def crash_message(self, path: str) -> str:
        """The traceback's last line, as pip prints it for a marker at `path`."""
        if self.outcome is not PipOutcome.CRASH or self.crash_detail is None:
            raise ValueError("not a crash")
        return f"configparser.{self.error}: While reading from {path!r}{self.crash_detail}"


def _duplicate_detail(exc: configparser.Error) -> str:
    if isinstance(exc, configparser.DuplicateOptionError):
        what = f"option {exc.option!r} in section {exc.section!r}"
    elif isinstance(exc, configparser.DuplicateSectionError):
        what = f"section {exc.section!r}"
    else:  # pragma: no cover - only the two duplicate errors get here
        raise TypeError(type(exc).__name__)
    line = f" [line {exc.lineno:2d}]" if exc.lineno is not None else ""
    return f"{line}: {what} already exists"


def _bad_line(data: bytes) -> int | None:
    """1-based line of the first byte that is not UTF-8."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return data[: exc.start].count(b"\n") + 1
    return None


#: configparser's option pattern, `(?P<option>.*?)\s*(?P<vi>=|:)\s*(?P<value>.*)$`, is
#: quadratic on a long run of spaces without a delimiter (minutes for a 100 KB
#: line). This one matches the same lines with the same groups in linear time:
#: the option is everything before the first delimiter (configparser strips it
#: with `rstrip()` either way).
LINEAR_OPTCRE = re.compile(r"(?P<option>[^=:]*)(?P<vi>=|:)\s*(?P<value>.*)$")


class _PipParser(configparser.ConfigParser):
    OPTCRE = LINEAR_OPTCRE


def pip_parser() -> configparser.ConfigParser:
    """The parser pip makes, `ConfigParser(interpolation=None)`, in linear time."""
    return _PipParser(interpolation=None)


def read_as_pip(data: bytes) -> PipReading:
    """Read `data` as pip does (`ExternallyManagedEnvironment.from_config`)."""
    parser = pip_parser()
    stream = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
    try:
        parser.read_file(stream, source="EXTERNALLY-MANAGED")
    except UnicodeDecodeError:
        return PipReading(PipOutcome.NOT_UTF8, error="UnicodeDecodeError", line=_bad_line(data))
    except (configparser.DuplicateOptionError, configparser.DuplicateSectionError) as exc:
        return PipReading(
            PipOutcome.CRASH,
            error=type(exc).__name__,
            line=exc.lineno,
            crash_detail=_duplicate_detail(exc),
        )
    except configparser.ParsingError as exc:
        # MissingSectionHeaderError has `lineno` and, before 3.13, no `errors`.
        errors = getattr(exc, "errors", None)
        line = getattr(exc, "lineno", None) or (errors[0][0] if errors else None)
        return PipReading(PipOutcome.PARSE_ERROR, error=type(exc).__name__, line=line)
    if not parser.has_section(SECTION):
        return PipReading(PipOutcome.NO_SECTION)
    section = parser[SECTION]
    # `section[key]` is what pip does; it also sees [DEFAULT]'s options.
    options = {key: section[key] for key in section}
    return PipReading(PipOutcome.PARSED, options=options)


class UvOutcome(enum.Enum):
    """What uv does with a marker."""

    #: It shows the `Error` message.
    MESSAGE = "message"
    #: It refuses with "... is externally managed and cannot be modified."
    NO_MESSAGE = "no-message"
    #: The file is not UTF-8: uv treats the interpreter as not managed and installs.
    NOT_MANAGED = "not-managed"


@dataclass(frozen=True, slots=True)
class UvReading:
    """A marker as uv reads it."""

    outcome: UvOutcome
    #: The `Error` text for MESSAGE.
    text: str | None = None
    #: Why there is no message (parse error, no section, no `Error` key ...).
    reason: str | None = None
    #: 1-based line the reason concerns, when there is one.
    line: int | None = None


def _rust_ws(char: str) -> bool:
    """Rust's `char::is_whitespace` (Unicode White_Space)."""
    return char.isspace() and not "\x1c" <= char <= "\x1f"


def rust_trim(text: str) -> str:
    start, end = 0, len(text)
    while start < end and _rust_ws(text[start]):
        start += 1
    while end > start and _rust_ws(text[end - 1]):
        end -= 1
    return text[start:end]


def _split_universal(text: str) -> list[str]:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _rust_lines(text: str) -> list[str]:
    """Rust's `str::lines`: split at LF, drop one CR before it; a bare CR stays."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


class _UvParseError(Exception):
    def __init__(self, reason: str, line: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


def _parse_astral_ini(text: str) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """astral-ini's `Options::default().case_sensitive(true).parse` (uv >= 0.13.1)."""
    sections: dict[str, dict[str, str]] = {}
    defaults: dict[str, str] = {}
    current: dict[str, str] | None = None
    option: str | None = None
    indent = 0
    blanks = 0
    invalid: _UvParseError | None = None
    for number, line in enumerate(_split_universal(text), start=1):
        value = line.strip()  # str.isspace == Rust is_whitespace + \x1c-\x1f, as astral-ini
        if value.startswith(("#", ";")):
            continue
        if not value:
            if option is not None:
                blanks += 1
            continue
        current_indent = len(line) - len(line.lstrip())
        if current is not None and option is not None and current_indent > indent:
            current[option] += "\n" * (blanks + 1) + value
            blanks = 0
            continue
        indent = current_indent
        blanks = 0
        end = value.rfind("]")
        if value.startswith("[") and end > 1:
            name = value[1:end]
            if name == DEFAULT_SECTION:
                current = defaults
            else:
                if name in sections:
                    raise _UvParseError(f"duplicate section `[{name}]`", number)
                current = sections[name] = {}
            option = None
            continue
        if current is None:
            raise _UvParseError("no section header before this line", number)
        positions = [p for p in (value.find("="), value.find(":")) if p >= 0]
        if not positions:
            invalid = invalid or _UvParseError("a line that is neither key nor section", number)
            continue
        delimiter = min(positions)
        name = value[:delimiter].rstrip()
        if not name:
            invalid = invalid or _UvParseError("a key without a name", number)
        if name in current:
            raise _UvParseError(f"duplicate key `{name}`", number)
        current[name] = value[delimiter + 1 :].strip()
        option = name if name else None
    if invalid is not None:
        raise invalid
    return sections, defaults


def _parse_old_uv(text: str) -> dict[str, dict[str, str | None]]:
    """The `configparser` crate 3.2.0, `Ini::new_cs()` + `set_multiline(true)` (uv <= 0.13.0).

    Its rules: a line whose trimmed form starts with `#` or `;` is skipped; an
    inline `#` or `;` anywhere cuts the rest of the line; a trimmed line that
    starts with `[` is a section header even when indented (so it ends a
    message) and without a `]` fails the whole file; a line starting with
    whitespace continues the last key (of any section); repeated keys and
    sections merge, the last value wins; a line without `=` or `:` is a key
    without a value; `[DEFAULT]` is an ordinary section.
    """
    sections: dict[str, dict[str, str | None]] = {}
    section = OLD_UV_DEFAULT_SECTION
    current_key: str | None = None
    blanks = 0
    for index, raw in enumerate(_rust_lines(text)):
        line = rust_trim(raw)
        if line.startswith(("#", ";")):
            continue
        if not line:
            blanks += 1
            continue
        cut = [p for p in (line.find("#"), line.find(";")) if p >= 0]
        if cut:
            line = line[: min(cut)]
        trimmed = rust_trim(line)
        if trimmed.startswith("["):
            end = trimmed.rfind("]")
            if end < 0:
                raise _UvParseError("`[` without a closing `]`", index + 1)
            section = rust_trim(trimmed[1:end])
            sections.setdefault(section, {})
            continue
        values = sections.setdefault(section, {})
        if raw[:1] and _rust_ws(raw[0]):
            if current_key is None:
                raise _UvParseError("an indented line before any key", index + 1)
            previous = values.get(current_key) or ""
            values[current_key] = previous + "\n" * (blanks + 1) + trimmed
        else:
            positions = [p for p in (trimmed.find("="), trimmed.find(":")) if p >= 0]
            if positions:
                delimiter = min(positions)
                key = rust_trim(trimmed[:delimiter])
                if not key:
                    raise _UvParseError("a key without a name", index + 1)
                current_key = key
                values[key] = rust_trim(trimmed[delimiter + 1 :])
            else:
                current_key = trimmed
                values[trimmed] = None
        blanks = 0
    return sections


def read_as_uv(data: bytes, *, old: bool = False) -> UvReading:
    """Read `data` as uv does; `old` for uv 0.13.0 and older."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return UvReading(UvOutcome.NOT_MANAGED, reason="not UTF-8", line=line)
    try:
        if old:
            old_sections = _parse_old_uv(text)
            old_section = old_sections.get(SECTION)
            if old_section is None:
                return UvReading(UvOutcome.NO_MESSAGE, reason=f"no `[{SECTION}]` section")
            if ERROR_KEY not in old_section:
                return UvReading(UvOutcome.NO_MESSAGE, reason=f"no `{ERROR_KEY}` key")
            old_text = old_section[ERROR_KEY]
            if old_text is None:
                return UvReading(UvOutcome.NO_MESSAGE, reason=f"`{ERROR_KEY}` has no `=`")
            return UvReading(UvOutcome.MESSAGE, text=old_text)
        sections, defaults = _parse_astral_ini(text)
    except _UvParseError as exc:
        return UvReading(UvOutcome.NO_MESSAGE, reason=exc.reason, line=exc.line)
    section = sections.get(SECTION)
    if section is None:
        return UvReading(UvOutcome.NO_MESSAGE, reason=f"no `[{SECTION}]` section")
    value = section.get(ERROR_KEY, defaults.get(ERROR_KEY))
    if value is None:
        return UvReading(UvOutcome.NO_MESSAGE, reason=f"no `{ERROR_KEY}` key")
    return UvReading(UvOutcome.MESSAGE, text=value)
