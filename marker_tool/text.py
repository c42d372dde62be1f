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
"""

from __future__ import annotations

import functools
import re
import unicodedata

#: Lines longer than this (in display columns) are wrapped; pip indents by 4, so 80 in all.
WIDTH = 76

FORBIDDEN_IN_TEXT = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff"
    "\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
)
#: The invisible characters alone (bidi controls, zero-width, U+FEFF), for the rule that names them.
INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


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
