"""Facts about message text that the writer, the config reader and the rules share.

- `display_width`: the columns a line takes in a terminal (East Asian wide
  characters count two, combining marks and format characters none). The INI
  writer wraps to it and the long-line rule measures with it, so the tool's
  own output never draws that rule.
- `FORBIDDEN_IN_TEXT`: characters a message may not contain. Control
  characters other than the line break (C0, DEL and C1, U+0085 included),
  the Unicode line and paragraph separators (configparser splits lines at
  some of them), lone surrogates, and the invisible characters that make a
  command look different from what a user copies: bidirectional overrides
  and isolates (U+202A-U+202E, U+2066-U+2069), zero-width characters and
  marks (U+200B-U+200F) and U+FEFF.

The character classes are built from the named parts here
(`C0_CONTROLS`, `SEPARATORS`, `INVISIBLE_CHARS` ...) with `char_class`, so
where two classes differ, the difference is a named part left out on purpose.
"""

from __future__ import annotations

import functools
import re
import unicodedata

#: Lines longer than this (in display columns) are wrapped; pip indents by 4, so 80 in all.
WIDTH = 76

# The named parts of the character classes (the inside of a regex `[...]`).
# Who refuses or escapes which parts differs on purpose; each class says why.

#: C0 controls other than tab, line feed and ESC, which are named apart.
C0_CONTROLS = "\x00-\x08\x0b-\x1a\x1c-\x1f"
TAB = "\t"
LINE_FEED = "\n"
#: The start of an ANSI escape sequence.
ESC = "\x1b"
#: DEL and the C1 controls (U+0085 NEXT LINE included).
DEL_AND_C1 = "\x7f-\x9f"
#: The Unicode line and paragraph separators (configparser splits lines at them).
SEPARATORS = "\u2028\u2029"
#: Lone surrogates: bytes that are not UTF-8, read with `surrogateescape`.
SURROGATES = "\ud800-\udfff"
#: Zero-width characters and marks (U+200B-U+200F).
ZERO_WIDTH = "\u200b-\u200f"
#: Bidirectional embeddings, overrides and isolates.
BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"
BYTE_ORDER_MARK = "\ufeff"
#: What makes a command look different from what a user copies.
INVISIBLE_CHARS = ZERO_WIDTH + BIDI_CONTROLS + BYTE_ORDER_MARK


def char_class(*parts: str) -> re.Pattern[str]:
    """A regex matching one character of any of `parts`."""
    return re.compile(f"[{''.join(parts)}]")


#: What a message may not hold: every control but the line break, and worse.
FORBIDDEN_IN_TEXT = char_class(
    C0_CONTROLS, TAB, ESC, DEL_AND_C1, SEPARATORS, SURROGATES, INVISIBLE_CHARS
)
#: The invisible characters alone, for the rule that names them.
INVISIBLE = char_class(INVISIBLE_CHARS)


@functools.cache
def char_width(char: str) -> int:
    """Display columns of one character: 2 for East Asian wide, 0 for combining and format."""
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def display_width(text: str) -> int:
    """Columns `text` takes in a terminal (East Asian wide characters count 2)."""
    if text.isascii():
        return len(text)
    return sum(map(char_width, text))


def is_wide(char: str) -> bool:
    """An East Asian wide or full-width character (a line may break between two of them)."""
    return char_width(char) == 2


def char_name(char: str) -> str:
    """`control character U+0009`, `character U+200B ZERO WIDTH SPACE`: for messages."""
    control = unicodedata.category(char) in ("Cc", "Zl", "Zp")
    kind = "control character" if control else "character"
    return f"{kind} U+{ord(char):04X} {unicodedata.name(char, '')}".rstrip()
