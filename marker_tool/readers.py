"""How each consumer reads a marker's bytes: pip, uv, and uv 0.13.0 and older.

No I/O and no Jinja or Babel: `preview` and `validate` import this module.

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

import codecs
import configparser
import enum
import io
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


@dataclass(frozen=True)
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


def read_as_pip(data: bytes) -> PipReading:
    """Read `data` as pip does (`ExternallyManagedEnvironment.from_config`)."""
    parser = configparser.ConfigParser(interpolation=None)
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


@dataclass(frozen=True)
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


def _rust_trim(text: str) -> str:
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
        line = _rust_trim(raw)
        if line.startswith(("#", ";")):
            continue
        if not line:
            blanks += 1
            continue
        cut = [p for p in (line.find("#"), line.find(";")) if p >= 0]
        if cut:
            line = line[: min(cut)]
        trimmed = _rust_trim(line)
        if trimmed.startswith("["):
            end = trimmed.rfind("]")
            if end < 0:
                raise _UvParseError("`[` without a closing `]`", index + 1)
            section = _rust_trim(trimmed[1:end])
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
                key = _rust_trim(trimmed[:delimiter])
                if not key:
                    raise _UvParseError("a key without a name", index + 1)
                current_key = key
                values[key] = _rust_trim(trimmed[delimiter + 1 :])
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


# --- what the terminal gets -------------------------------------------------

#: Rich (pip's console library) deletes these from any `Text`.
RICH_STRIPPED = frozenset("\x07\x08\x0b\x0c\x0d")


def rich_cell_width(char: str) -> int:
    """Cells rich counts for one character (used for tab stops only).

    rich uses wcwidth-style tables: controls, combining marks, format
    characters, line and paragraph separators and Hangul medial vowels take
    no cell; East Asian wide and full-width characters take two. (Emoji
    sequences joined with U+200D or widened by U+FE0F are not modelled.)
    """
    import unicodedata

    code = ord(char)
    if 0x1160 <= code <= 0x11FF or unicodedata.combining(char):
        return 0
    if unicodedata.category(char) in ("Cc", "Cf", "Mn", "Me", "Zl", "Zp"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def rich_expand_tabs(line: str, tab_size: int = 8) -> str:
    """rich's `Text.expand_tabs` for one rendered line (prefix included)."""
    if "\t" not in line:
        return line
    out: list[str] = []
    position = 0
    for part in line.split("\t")[:-1]:
        position += sum(map(rich_cell_width, part)) + 1
        out.append(part + " ")
        remainder = position % tab_size
        if remainder:
            out.append(" " * (tab_size - remainder))
            position += tab_size - remainder
    out.append(line.rsplit("\t", maxsplit=1)[-1])
    return "".join(out)


def rich_text(text: str) -> str:
    """A message after `rich.text.Text(...)` strips control codes."""
    return "".join(ch for ch in text if ch not in RICH_STRIPPED)


# anstyle-parse's VT state machine, as far as anstream's stripping needs it.
_GROUND, _ESCAPE, _ESC_INTER, _CSI_ENTRY, _CSI_IGNORE, _CSI_INTER, _CSI_PARAM = range(7)
_DCS_ENTRY, _DCS_IGNORE, _DCS_INTER, _DCS_PARAM, _DCS_PASS, _SOS, _OSC, _UTF8 = range(7, 15)
_ANYWHERE = -1
_EXECUTE, _PRINT, _BEGIN_UTF8, _OTHER = range(4)


def _c0(byte: int) -> bool:
    return byte <= 0x17 or byte == 0x19 or 0x1C <= byte <= 0x1F


def _state_change(state: int, byte: int) -> tuple[int, int]:
    """(next state, action) for one byte: anstyle-parse's `state_change`."""
    if byte in (0x18, 0x1A):
        return _GROUND, _EXECUTE
    if byte == 0x1B:
        return _ESCAPE, _OTHER
    nop = (_ANYWHERE, _OTHER)
    if state == _GROUND:
        if _c0(byte) or 0x80 <= byte <= 0x8F or 0x91 <= byte <= 0x9A or byte == 0x9C:
            return _ANYWHERE, _EXECUTE
        if 0x20 <= byte <= 0x7F:
            return _ANYWHERE, _PRINT
        if 0xC2 <= byte <= 0xF4:
            return _UTF8, _BEGIN_UTF8
        return nop
    if state in (_ESCAPE, _ESC_INTER, _CSI_ENTRY, _CSI_IGNORE, _CSI_PARAM, _CSI_INTER):
        if _c0(byte):
            return _ANYWHERE, _EXECUTE
        if byte == 0x7F:
            return nop
    if state == _ESCAPE:
        if 0x20 <= byte <= 0x2F:
            return _ESC_INTER, _OTHER
        targets = {0x5B: _CSI_ENTRY, 0x5D: _OSC, 0x50: _DCS_ENTRY, 0x58: _SOS, 0x5E: _SOS}
        targets[0x5F] = _SOS
        if byte in targets:
            return targets[byte], _OTHER
        if 0x30 <= byte <= 0x7E:
            return _GROUND, _OTHER
        return nop
    if state == _ESC_INTER:
        if 0x30 <= byte <= 0x7E:
            return _GROUND, _OTHER
        return nop
    if state in (_CSI_ENTRY, _CSI_PARAM, _CSI_INTER, _CSI_IGNORE):
        if 0x40 <= byte <= 0x7E:
            return _GROUND, _OTHER
        if state == _CSI_IGNORE:
            return nop
        if 0x20 <= byte <= 0x2F:
            return (_ANYWHERE if state == _CSI_INTER else _CSI_INTER), _OTHER
        if state == _CSI_INTER and 0x30 <= byte <= 0x3F:
            return _CSI_IGNORE, _OTHER
        if 0x30 <= byte <= 0x3B:
            return (_ANYWHERE if state == _CSI_PARAM else _CSI_PARAM), _OTHER
        if 0x3C <= byte <= 0x3F:
            return (_CSI_IGNORE if state == _CSI_PARAM else _CSI_PARAM), _OTHER
        return nop
    if state in (_DCS_ENTRY, _DCS_INTER, _DCS_PARAM):
        if 0x40 <= byte <= 0x7E:
            return _DCS_PASS, _OTHER
        if 0x20 <= byte <= 0x2F:
            return (_ANYWHERE if state == _DCS_INTER else _DCS_INTER), _OTHER
        if state == _DCS_INTER and 0x30 <= byte <= 0x3F:
            return _DCS_IGNORE, _OTHER
        if 0x30 <= byte <= 0x3B:
            return (_ANYWHERE if state == _DCS_PARAM else _DCS_PARAM), _OTHER
        if 0x3C <= byte <= 0x3F:
            return (_DCS_IGNORE if state == _DCS_PARAM else _DCS_PARAM), _OTHER
        return nop
    if state in (_DCS_IGNORE, _DCS_PASS, _SOS):
        return (_GROUND, _OTHER) if byte == 0x9C else nop
    if state == _OSC:
        return (_GROUND, _OTHER) if byte == 0x07 else nop
    return nop


def _printable(action: int, byte: int) -> bool:
    return (
        (action == _PRINT and byte != 0x7F)
        or action == _BEGIN_UTF8
        or (action == _EXECUTE and byte in b"\t\n\x0c\r ")
    )


def _utf8_length(lead: int) -> int:
    return 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4


def anstream_strip(text: str) -> str:
    """What anstream's `StripStream` (uv's stderr when not a terminal) lets through.

    Escape sequences and C0 controls other than tab, LF, FF and CR vanish;
    this follows `next_bytes` of anstream's strip adapter byte for byte.
    """
    data = text.encode("utf-8")
    out = bytearray()
    state = _GROUND
    pending = 0  # bytes of the current character still to pass in the UTF8 state
    i, n = 0, len(data)
    while i < n:
        while i < n:
            if state == _UTF8:
                break
            next_state, action = _state_change(state, data[i])
            if next_state != _ANYWHERE:
                state = next_state
            if state == _UTF8:
                # anstream feeds this lead byte to its UTF-8 decoder in the next loop
                pending = _utf8_length(data[i])
            if _printable(action, data[i]):
                break
            i += 1
        start = i
        while i < n:
            byte = data[i]
            if state == _UTF8:
                pending -= 1
                if pending <= 0:
                    state = _GROUND
                i += 1
                continue
            next_state, action = _state_change(_GROUND, byte)
            if next_state != _ANYWHERE:
                state = next_state
            if state == _UTF8:
                pending = _utf8_length(byte) - 1
                i += 1
                continue
            if not _printable(action, byte):
                break
            i += 1
        if start == i:
            break
        out += data[start:i]
    return codecs.decode(bytes(out), "utf-8", "replace")


def textwrap_indent(text: str, prefix: str) -> str:
    """Rust textwrap's `indent`: whitespace-only lines get the prefix's trimmed form."""
    trimmed_prefix = prefix.rstrip()
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    out = [(trimmed_prefix if not _rust_trim(line) else prefix) + line for line in lines]
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


# -- uv's line wrapping (a terminal, or COLUMNS set) ----------------------------------

#: Continuation lines of a wrapped uv error line start with this (under `error: `).
UV_WRAP_INDENT = " " * 7


def _unicode_width(char: str) -> int:
    """The `unicode-width` crate's width of one character, 0 where it has none."""
    import unicodedata

    code = ord(char)
    if code < 0x20 or 0x7F <= code < 0xA0 or 0x1160 <= code <= 0x11FF:
        return 0
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me"):
        return 0
    if unicodedata.category(char) == "Cf" and char != "\u00ad":
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _textwrap_width(word: str) -> int:
    """Rust textwrap's display width: CSI and OSC escape sequences take no columns."""
    width = 0
    chars = iter(word)
    for char in chars:
        if char == "\x1b":
            following = next(chars, "")
            if following == "[":
                for code in chars:
                    if "\x40" <= code <= "\x7e":
                        break
            elif following == "]":
                last = following
                for code in chars:
                    if code == "\x07" or (code == "\\" and last == "\x1b"):
                        break
                    last = code
            continue
        width += _unicode_width(char)
    return width


def _ascii_space_words(line: str) -> list[tuple[str, int]]:
    """textwrap's `WordSeparator::AsciiSpace`: (word, trailing spaces)."""
    pieces: list[str] = []
    start, in_space = 0, False
    for index, char in enumerate(line):
        if in_space and char != " ":
            pieces.append(line[start:index])
            start = index
        in_space = char == " "
    if start < len(line):
        pieces.append(line[start:])
    return [(p.rstrip(" "), len(p) - len(p.rstrip(" "))) for p in pieces]


def _optimal_fit(words: list[tuple[str, int]], widths: tuple[int, int]) -> list[int]:
    """textwrap's `wrap_optimal_fit` (default penalties): the indices where lines start."""
    total = [0]
    for word, spaces in words:
        total.append(total[-1] + _textwrap_width(word) + spaces)
    # best[j] = (start of the last line, cost, lines so far) for a break before words[j]
    best: list[tuple[int, float, int]] = [(0, 0.0, 0)]
    for j in range(1, len(words) + 1):
        choice: tuple[int, float, int] | None = None
        for i in range(j):
            target = max(widths[min(best[i][2], 1)], 1)
            width = total[j] - total[i] - words[j - 1][1]
            cost = best[i][1] + 1000
            if width > target:
                cost += (width - target) * 2500
            elif j < len(words):
                cost += (target - width) ** 2
            elif i + 1 == j and width < target / 4:
                cost += 25
            if choice is None or cost < choice[1]:
                choice = (i, cost, best[i][2] + 1)
        assert choice is not None
        best.append(choice)
    starts: list[int] = []
    j = len(words)
    while j > 0:
        j = best[j][0]
        starts.append(j)
    return starts[::-1]


def uv_wrap_line(line: str, width: int) -> list[str]:
    """One line of a uv error as uv wraps it for a `width`-column terminal.

    Rust textwrap with ASCII-space word separation, no hyphenation, long words
    kept whole, the optimal-fit algorithm, and a 7-space indent on continuation
    lines (uv wraps every line of the message on its own).
    """
    if len(line.encode("utf-8")) < width:
        return [line.rstrip(" ")]
    words = _ascii_space_words(line)
    if not words:
        return [""]
    starts = _optimal_fit(words, (width, max(width - len(UV_WRAP_INDENT), 0)))
    lines = []
    for number, start in enumerate(starts):
        end = starts[number + 1] if number + 1 < len(starts) else len(words)
        chunk = words[start:end]
        text = "".join(word + " " * spaces for word, spaces in chunk[:-1]) + chunk[-1][0]
        lines.append((UV_WRAP_INDENT if number else "") + text)
    return lines


def uv_wrap(text: str, width: int | None) -> str:
    """Every line of `text` wrapped as uv does at `width` columns; None: no wrapping."""
    if width is None:
        return text
    return "\n".join(out for line in text.split("\n") for out in uv_wrap_line(line, width))
