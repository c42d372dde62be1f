"""How pip's and uv's terminals show a message: rich for pip, anstream and textwrap for uv.

Pure standard library, no I/O; `preview` uses it to print what a user sees.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable

from marker_tool.consumers import rust_trim

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


#: ASCII that anstream's strip adapter does not pass as it is: controls but tab, LF, FF
#: and CR; ESC; DEL.
_STRIPPED_ASCII = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def anstream_strip(text: str) -> str:
    """What anstream's `StripStream` (uv's stderr when not a terminal) lets through.

    Escape sequences and C0 controls other than tab, LF, FF and CR vanish;
    this follows `next_bytes` of anstream's strip adapter byte for byte. Text of
    printable ASCII, tabs and line ends only passes whole (every byte of it is
    printed in the ground state, which it never leaves): checked in C, not byte
    by byte in Python.
    """
    if text.isascii() and not _STRIPPED_ASCII.search(text):
        return text
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
    out = [(trimmed_prefix if not rust_trim(line) else prefix) + line for line in lines]
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
    """textwrap's `WordSeparator::AsciiSpace`: (word, trailing spaces).

    `str.split(" ")` does the scanning in C: a run of k spaces leaves k - 1 empty
    pieces, which are counted into the spaces of the word before them.
    """
    if not line:
        return []
    words: list[tuple[str, int]] = []
    for piece in line.split(" "):  # leading spaces make a first word of "", as textwrap
        if piece == "" and words:
            word, spaces = words[-1]
            words[-1] = (word, spaces + 1)
        else:
            words.append((piece, 0))
    # every word but the last was followed by one space `split` removed
    return [(w, k + 1) if n + 1 < len(words) else (w, k) for n, (w, k) in enumerate(words)]


def _widths(words: list[tuple[str, int]]) -> list[int]:
    """Each word's display width; plain printable ASCII (the common case) is its length."""
    return [
        len(word) if word.isascii() and word.isprintable() else _textwrap_width(word)
        for word, _ in words
    ]


#: textwrap's default `Penalties`: a line, a column of overflow, a short last line.
_NLINE, _OVERFLOW, _SHORT_LAST = 1000, 2500, 25


def _optimal_fit(words: list[tuple[str, int]], widths: tuple[int, int]) -> list[int]:
    """textwrap's `wrap_optimal_fit` (default penalties): the indices where lines start.

    The same computation as textwrap: the cost of a line of words[i:j] is its
    line (1000), 2500 a column of overflow, the square of its gap (but on the last
    line, 25 for a short one-word line), plus the best cost before word i; the best
    breaks are the column minima of that matrix, found with the smawk crate's
    `online_column_minima` (SMAWK; its order of evaluation and its ties kept), so
    a line of n words costs O(n) evaluations, a handful per word, not one per
    word that fits on a line.
    """
    count = len(words)
    total = [0]
    for (_, spaces), width in zip(words, _widths(words), strict=True):
        total.append(total[-1] + width + spaces)
    trailing = [spaces for _, spaces in words]
    first, rest = float(max(widths[0], 1)), float(max(widths[1], 1))
    costs = [0.0]

    # The tables are bound as defaults: read as locals, the fastest lookups Python has,
    # in the function called a dozen times per word.
    def cost(i: int, j: int, total: list[int] = total, trailing: list[int] = trailing) -> float:
        width = total[j] - total[i] - trailing[j - 1]
        target = rest if i else first
        if width > target:
            return costs[i] + _NLINE + (width - target) * _OVERFLOW
        if j < count:
            gap = target - width
            return costs[i] + _NLINE + gap * gap
        if i + 1 == j and width < target / 4:
            return costs[i] + _NLINE + _SHORT_LAST
        return costs[i] + _NLINE

    rows = _column_minima(count + 1, cost, costs)
    starts: list[int] = []
    j = count
    while j > 0:
        j = rows[j]
        starts.append(j)
    return starts[::-1]


def _column_minima(size: int, cost: Callable[[int, int], float], costs: list[float]) -> list[int]:
    """The smawk crate's `online_column_minima`: for each column j, the row i < j of the
    least `cost(i, j)`, where `cost` reads the minima of the columns before (`costs`,
    filled in here as each column is finished). Returns the rows."""
    rows = [0]
    finished = base = tentative = 0
    while finished < size - 1:
        i = finished + 1
        if i > tentative:
            candidates = list(range(base, finished + 1))
            tentative = min(finished + len(candidates), size - 1)
            columns = list(range(finished + 1, tentative + 1))
            minima: dict[int, int] = {}
            _smawk(cost, candidates, columns, minima)
            for column in columns:
                row = minima[column]
                value = cost(row, column)
                if column >= len(rows):
                    rows.append(row)
                    costs.append(value)
                elif value < costs[column]:
                    rows[column], costs[column] = row, value
            finished = i
            continue
        diagonal = cost(i - 1, i)
        if diagonal < costs[i]:
            rows[i], costs[i] = i - 1, diagonal
            base, tentative, finished = i - 1, i, i
            continue
        if cost(i - 1, tentative) >= costs[tentative]:
            finished = i
            continue
        base, tentative, finished = i - 1, i, i
    return rows


def _smawk(
    cost: Callable[[int, int], float], rows: list[int], columns: list[int], minima: dict[int, int]
) -> None:
    """The smawk crate's `smawk_inner`: the row minima of a totally monotone matrix's
    `columns`, reduced to as many rows as columns, then the odd columns recursively."""
    if not columns:
        return
    stack: list[int] = []
    wanted = len(columns)
    for row in rows:
        while stack:
            column = columns[len(stack) - 1]
            if cost(stack[-1], column) <= cost(row, column):
                break
            stack.pop()
        if len(stack) != wanted:
            stack.append(row)
    _smawk(cost, stack, columns[1::2], minima)
    r = 0
    for c in range(0, len(columns), 2):
        column = columns[c]
        row = stack[r]
        last = stack[-1] if c == len(columns) - 1 else minima[columns[c + 1]]
        best = (cost(row, column), row)
        while row != last:
            r += 1
            row = stack[r]
            if (value := cost(row, column), row) < best:
                best = (value, row)
        minima[column] = best[1]


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


# -- showing untrusted text on the user's own terminal -------------------------------


def visible(text: str) -> tuple[str, bool]:
    """`text` with every character that could drive a terminal shown as an escape (`\\x1b`).

    Returns the text and whether anything was escaped. A marker previewed on a
    terminal must not set its title, write its clipboard or reorder a command.
    """
    # What must not reach a terminal raw: C0 controls but tab and newline, DEL, C1, the
    # Unicode separators, bidi controls and invisible characters (imported here: only a
    # preview shown on a terminal needs them).
    from marker_tool.text import (
        C0_CONTROLS,
        DEL_AND_C1,
        ESC,
        INVISIBLE_CHARS,
        SEPARATORS,
        char_class,
    )

    unsafe = char_class(C0_CONTROLS, ESC, DEL_AND_C1, SEPARATORS, INVISIBLE_CHARS)
    shown, count = unsafe.subn(lambda m: m[0].encode("unicode_escape").decode("ascii"), text)
    return shown, count > 0
