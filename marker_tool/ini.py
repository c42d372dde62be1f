"""The one INI writer: message text in, `EXTERNALLY-MANAGED` file content out.

Template authors write plain text; only this module knows INI. What it
guarantees, for every file it returns: read back with
`configparser.ConfigParser(interpolation=None)` (what pip does), every key
gives exactly `wrap_text(text)` of its message. It checks that by reading its
own output back, so a marker that reads differently cannot leave this module.

Normalisations (`wrap_text`): each line is stripped (configparser strips them
anyway), leading and trailing blank lines are dropped, lines wider than 76
display columns are wrapped at whitespace (never inside a word; between two
East Asian wide characters is allowed too), and a wrap never starts a line
with `#`, `;` (pip would drop the line as a comment) or `[` (uv <= 0.13.0
would end the message there): the word before moves down with it instead.
Every continuation line is indented, so no message line can ever read as a
`key = value` line or a section header at column 0.

Refused with a SerializeError (the text cannot be written so that pip and uv
show it whole):

- an empty or whitespace-only message;
- control characters (tab, CR, form feed ...), Unicode line and paragraph
  separators and lone surrogates: configparser splits lines at some of them,
  and the rest have no width a terminal agrees on;
- a line of the author's own (not the first) that starts with `#`, `;` or `[`;
- in the `Error` key only (the one key uv reads): `#` or `;` anywhere, because
  uv <= 0.13.0 cuts the line there (`see https://x.org/#a` shows as
  `see https://x.org/`). Rewrapping cannot help, since such a character at the
  start of a line is worse. `serialize(..., old_uv=False)` drops this rule for
  distributors whose users cannot have an old uv;
- a key that is empty, has surrounding whitespace, contains `=`, `:` or a
  line break, starts with `#`, `;` or `[`, or repeats another key ignoring
  case (pip fails with a traceback on duplicates).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from marker_tool.consumers import PipOutcome, read_as_pip
from marker_tool.document import parse
from marker_tool.errors import SerializeError
from marker_tool.model import ERROR_KEY, SECTION, Marker, Message
from marker_tool.text import FORBIDDEN_IN_TEXT, WIDTH, char_name, display_width, is_wide

#: A continuation line starting with one of these is lost or cut by a consumer.
LINE_START_HAZARDS = ("#", ";", "[")
#: Characters uv <= 0.13.0 treats as the start of a comment anywhere in a line.
OLD_UV_COMMENT_CHARS = ("#", ";")
_WHITESPACE = re.compile(r"\s+")
_HAZARD_HINT = {
    "#": "pip drops a continuation line starting with `#` as a comment",
    ";": "pip drops a continuation line starting with `;` as a comment",
    "[": "uv 0.13.0 and older end the message at a line starting with `[`",
}


def _segments(line: str) -> list[tuple[str, str]]:
    """Split a stripped line into (separator before, piece) at its break opportunities.

    A break opportunity is a run of whitespace (consumed by the break) or the
    boundary between two wide characters (consumed by nothing).
    """
    out: list[tuple[str, str]] = []
    sep = ""
    pos = 0
    for match in _WHITESPACE.finditer(line):
        out.extend(_split_wide(sep, line[pos : match.start()]))
        sep = match.group()
        pos = match.end()
    out.extend(_split_wide(sep, line[pos:]))
    return out


def _split_wide(sep: str, word: str) -> list[tuple[str, str]]:
    if word.isascii():
        return [(sep, word)]
    pieces: list[tuple[str, str]] = []
    start = 0
    wide = list(map(is_wide, word))
    for i in range(1, len(word)):
        if wide[i - 1] and wide[i]:
            pieces.append((sep if start == 0 else "", word[start:i]))
            start = i
    pieces.append((sep if start == 0 else "", word[start:]))
    return pieces


def _join(segments: list[tuple[str, str]]) -> str:
    return segments[0][1] + "".join(sep + piece for sep, piece in segments[1:])


def _starts_badly(piece: str) -> bool:
    return piece.startswith(LINE_START_HAZARDS)


# Remembered: most paragraphs are the same for every Python a marker is made
# for, and wrapping non-ASCII text (a piece per East Asian character) costs
# about 0.1 ms per translated message.
@functools.lru_cache(maxsize=1024)
def _wrap_line(line: str, width: int) -> tuple[str, ...]:
    """Wrap one stripped line; no line it makes starts with a hazard character."""
    if display_width(line) <= width:
        return (line,)
    segments = _segments(line)
    # Columns of each piece, and of the separator before it.
    piece_w = [display_width(piece) for _, piece in segments]
    sep_w = [display_width(sep) for sep, _ in segments]
    lines: list[list[int]] = [[0]]  # indexes into segments
    used = piece_w[0]  # columns of the last line
    for i in range(1, len(segments)):
        current = lines[-1]
        if used + sep_w[i] + piece_w[i] <= width:
            current.append(i)
            used += sep_w[i] + piece_w[i]
        elif not _starts_badly(segments[i][1]):
            lines.append([i])
            used = piece_w[i]
        else:
            # The piece may not start a line: the words before it move down
            # with it, back to the last one that may start a line.
            keep = len(current) - 1
            while keep > 0 and _starts_badly(segments[current[keep]][1]):
                keep -= 1
            if keep == 0:
                # Nothing on this line can move: keep the piece on it, a
                # line too long rather than a line lost.
                current.append(i)
                used += sep_w[i] + piece_w[i]
            else:
                moved = [*current[keep:], i]
                del current[keep:]
                lines.append(moved)
                used = piece_w[moved[0]] + sum(sep_w[j] + piece_w[j] for j in moved[1:])
    return tuple(_join([segments[j] for j in indexes]) for indexes in lines)


def wrap_text(text: str, width: int = WIDTH) -> str:
    """The message text as pip will show it (see the module docstring)."""
    lines = [line.strip() for line in text.split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    out: list[str] = []
    for line in lines:
        out.extend(_wrap_line(line, width) if line else [""])
    return "\n".join(out)


def _check_key(key: str, seen: dict[str, str]) -> None:
    problem = None
    if not key:
        problem = "an empty key"
    elif key != key.strip() or any(c in key for c in "=:\n\r") or _starts_badly(key):
        problem = f"key `{key}` cannot be written as an INI key"
    elif key.lower() in seen:
        problem = (
            f"key `{key}` repeats `{seen[key.lower()]}` (keys ignore case); "
            "pip fails with a traceback on a repeated key"
        )
    if problem:
        raise SerializeError(problem, key=key or None)
    seen[key.lower()] = key


def check_text(key: str, text: str, *, old_uv: bool) -> None:
    """Refuse text no wrapping can make pip and uv show whole.

    `serialize` runs this on every message; i18n runs it on each translation
    first, so that an error can name the .po file and line it came from.
    """
    if not text.strip():
        raise SerializeError(
            f"the message under `{key}` is empty",
            key=key,
            hint="pip and uv would show their own generic message instead",
        )
    first = True
    for number, raw in enumerate(text.split("\n"), start=1):
        found = FORBIDDEN_IN_TEXT.search(raw)
        if found:
            raise SerializeError(
                f"the message under `{key}` contains the "
                f"{char_name(found.group())} in line {number}: {raw.strip()!r}",
                key=key,
                line=number,
                hint="use plain spaces and line breaks",
            )
        line = raw.strip()
        if not line:
            continue
        if not first and _starts_badly(line):
            raise SerializeError(
                f"line {number} of the message under `{key}` starts with "
                f"`{line[0]}`: {line!r}; {_HAZARD_HINT[line[0]]}",
                key=key,
                line=number,
                hint="reword the line or join it to the line before",
            )
        first = False
        if old_uv and key == ERROR_KEY:
            cut = next((c for c in line if c in OLD_UV_COMMENT_CHARS), None)
            if cut is not None:
                raise SerializeError(
                    f"line {number} of the message under `{key}` contains `{cut}`: "
                    f"{line!r}; uv 0.13.0 and older cut the line there",
                    key=key,
                    line=number,
                    hint="reword without `#` and `;` (e.g. `,` or a new sentence)",
                )


def key_lines(
    messages: Iterable[Message], *, old_uv: bool = True, width: int = WIDTH
) -> tuple[list[str], dict[str, str]]:
    """The `Key = first line` lines of `messages`, and the text pip must read for each key.

    Continuation lines are indented two spaces, blank lines inside a message
    are empty lines. A file template puts these lines (its translations) where
    it says `{{ translations }}`; `serialize` puts them under the header.
    """
    out: list[str] = []
    intended: dict[str, str] = {}
    seen: dict[str, str] = {}
    for message in messages:
        _check_key(message.key, seen)
        check_text(message.key, message.text, old_uv=old_uv)
        text = wrap_text(message.text, width)
        intended[message.key] = text
        first, *rest = text.split("\n")
        out.append(f"{message.key} = {first}")
        out.extend(f"  {line}" if line else "" for line in rest)
    return out, intended


# Remembered: `render` serializes every marker to check it and `install` then
# writes the same markers; markers are immutable, so the text cannot change.
@functools.lru_cache(maxsize=64)
def serialize(marker: Marker, *, old_uv: bool = True, width: int = WIDTH) -> str:
    """The whole `EXTERNALLY-MANAGED` file for `marker`, ending in a newline.

    `[externally-managed]`, then one key per message in order (`key_lines`).
    Raises SerializeError for text pip or uv would lose or split (see the
    module docstring); `old_uv=False` allows `#` and `;` inside `Error` lines.
    A marker whose file template laid it out (`marker.content`) is that file:
    render has already read it back as pip does and validated it.
    """
    if marker.content is not None:
        return marker.content
    lines, intended = key_lines(marker.messages, old_uv=old_uv, width=width)
    content = "\n".join([f"[{SECTION}]", *lines]) + "\n"
    check_reads_back(content, intended)
    return content


def check_reads_back(content: str, intended: dict[str, str]) -> None:
    """Raise SerializeError unless pip's parser reads `content` as exactly `intended`."""
    reading = read_as_pip(content.encode("utf-8"))
    if reading.outcome is not PipOutcome.PARSED:
        read_messages(content)  # raises, saying why
    read = dict(reading.options)
    for key, text in intended.items():
        got = read.get(key.lower())
        if got != text:
            raise SerializeError(
                f"the message under `{key}` would read back differently: "
                f"expected {text!r}, pip would show {got!r}",
                key=key,
                hint="this is a bug in marker-tool's INI writer; please report it",
            )
    extra = sorted(set(read) - {key.lower() for key in intended})
    if extra:
        shown = ", ".join(f"`{k}`" for k in extra)
        raise SerializeError(f"the marker would read back with extra keys {shown}")


def read_messages(content: str) -> dict[str, str]:
    """Keys (as written) -> text as pip reads the `[externally-managed]` section.

    The texts are pip's own reading (`consumers.read_as_pip`). Raises
    SerializeError when pip could not read the content (pip would show its
    generic message or a traceback).
    """
    doc = parse(content.encode("utf-8"))
    reading = doc.pip
    if reading.outcome is PipOutcome.NO_SECTION:
        raise SerializeError(f"the marker has no `[{SECTION}]` section")
    if reading.outcome is not PipOutcome.PARSED:
        where = f" at line {reading.line}" if reading.line else ""
        raise SerializeError(f"pip cannot read the marker: {reading.error}{where}")
    written = {entry.key.lower(): entry.key for entry in doc.section_entries()}
    return {written.get(key, key): text for key, text in reading.options.items()}
