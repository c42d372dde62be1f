"""A small .po reader for render and install: the messages, without Babel.

Babel's `read_po` costs a translating `install` about 8 ms: importing
babel.messages.catalog brings in datetime, email, difflib and textwrap (~6.5
ms) and the parse itself is slower than it needs to be (~1.9 ms for ten
catalogs). Rendering needs only each message's msgid, msgstr, fuzzy flag and
line. This reader follows Babel's `PoFileParser` (babel/messages/pofile.py,
2.10.3 to 2.18) rule for rule, so the two read a file the same way;
tests/test_po.py compares them on every built-in catalog and on hand-made
tricky files. The i18n commands (extract, init, update, stats) keep Babel.

What it keeps from Babel, on purpose:

- escapes: `\\n`, `\\t`, `\\r`, `\\"` and `\\\\`; any other backslash stays as
  written (Babel's `unescape`);
- a comment line ends the entry before it, so `#,` flags belong to the next
  `msgid`; `#~` lines are obsolete entries and are dropped;
- a msgid seen twice keeps its first translation and line, and is fuzzy when
  either is (Babel's `Catalog.__setitem__`);
- a plural entry has `nplurals` forms (the header's `Plural-Forms`, else 2),
  missing ones empty; more forms than that is an error.

Where it differs: the file is decoded with the header's charset from its
first line (Babel decodes the lines above the header as UTF-8), and errors
carry the 1-based line (Babel's PoFileError counts from 0).
"""

from __future__ import annotations

import codecs
import re
from typing import NamedTuple

_UNESCAPE = re.compile(r'\\([\\trn"])')
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}
_CHARSET = re.compile(r"charset=([A-Za-z0-9_.:-]+)")
_NPLURALS = re.compile(r"nplurals\s*=\s*(\d+)")


class PoEntry(NamedTuple):
    """One message of a .po file, as written (header and obsolete entries are not entries)."""

    #: The msgid; for a plural entry, the singular.
    msgid: str
    #: The msgstr; for a plural entry, msgstr[0] .. msgstr[nplurals - 1], missing ones "".
    msgstr: tuple[str, ...]
    #: 1-based line of the `msgid` keyword.
    line: int
    #: Marked `#, fuzzy`.
    fuzzy: bool = False
    #: The msgid_plural of a plural entry, else None.
    msgid_plural: str | None = None
    #: The msgctxt, when the entry has one.
    context: str | None = None


class PoSyntaxError(ValueError):
    """A .po file this reader (and Babel) cannot make sense of."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        #: Lower-case summary, keywords in backticks.
        self.message = message
        #: 1-based line, when the problem is on one.
        self.line = line


def _unescape(quoted: str) -> str:
    """Babel's `unescape`: the text between the quotes, five escapes resolved."""
    if "\\" not in quoted:
        return quoted[1:-1]
    return _UNESCAPE.sub(lambda m: _ESCAPES.get(m[1], m[1]), quoted[1:-1])


def _quoted(text: str, index: int) -> str:
    """`text` if it is one whole C string; else the line is a typo, not a message.

    Babel reads an unterminated `msgstr "Hallo` as an empty translation and
    carries on; a translator is better served by the line of the typo.
    """
    closed = len(text) >= 2 and text[0] == text[-1] == '"'
    escaped = (len(text) - len(text[:-1].rstrip("\\")) - 1) % 2 == 1
    if not closed or escaped:
        raise PoSyntaxError(f"unterminated string {text[:40]!r}", index + 1)
    return text


def _header_settings(lines: list[bytes]) -> tuple[str, int]:
    """(charset, nplurals) from the header entry, when the file starts with one."""
    for number, raw in enumerate(lines):
        stripped = raw.strip()
        if not stripped or stripped.startswith(b"#"):
            continue
        if stripped != b'msgid ""':
            break
        end = number + 1
        while end < len(lines) and lines[end].strip().startswith((b'"', b"msgstr")):
            end += 1
        header = b"\n".join(lines[number:end]).decode("ascii", "replace")
        charset = "utf-8"
        found = _CHARSET.search(header)
        if found:
            try:
                charset = codecs.lookup(found[1]).name
            except LookupError:
                charset = "utf-8"  # `charset=CHARSET` in a fresh .pot
        plurals = _NPLURALS.search(header)
        return charset, int(plurals[1]) if plurals else 2
    return "utf-8", 2


def read_po(data: bytes) -> list[PoEntry]:
    """The entries of a .po file, in file order; PoSyntaxError when it is malformed."""
    lines = data.split(b"\n")
    if lines and lines[0].startswith(codecs.BOM_UTF8):
        lines[0] = lines[0][len(codecs.BOM_UTF8) :]
    charset, nplurals = _header_settings(lines)
    parser = _Parser(nplurals)
    for index, raw in enumerate(lines):
        # Stripped before decoding, as Babel does: bytes.strip() removes ASCII
        # whitespace only, never a Unicode space inside the text.
        stripped = raw.strip()
        if not stripped:
            continue
        try:
            line = stripped.decode(charset)
        except UnicodeDecodeError as exc:
            raise PoSyntaxError(f"not {charset} text ({exc.reason})", index + 1) from None
        parser.feed(index, line)
    parser.finish()
    return list(parser.entries.values())


class _Parser:
    """Babel's PoFileParser state machine, keeping only what rendering reads."""

    def __init__(self, nplurals: int) -> None:
        self.nplurals = nplurals
        self.entries: dict[tuple[str, str | None], PoEntry] = {}
        self._reset()

    def _reset(self) -> None:
        self.msgids: list[list[str]] = []
        self.msgstrs: list[tuple[int, list[str]]] = []
        self.context: list[str] | None = None
        self.fuzzy = False
        self.obsolete = False
        #: Where a `"..."` continuation line goes: the last msgid, msgstr or msgctxt.
        self.current: list[str] | None = None
        self.offset = 0

    def feed(self, index: int, line: str) -> None:
        if line[0] != "#":
            self._message_line(index, line, obsolete=False)
        elif line[:2] == "#~":
            self._message_line(index, line[2:].lstrip(), obsolete=True)
        else:
            self.finish()
            if line[:2] == "#,":
                self.fuzzy |= "fuzzy" in (flag.strip() for flag in line[2:].split(","))

    def _message_line(self, index: int, line: str, *, obsolete: bool) -> None:
        if not line:
            return
        if line[0] == '"':
            if self.current is None:
                raise PoSyntaxError(
                    "a quoted line outside `msgid`, `msgstr` or `msgctxt`", index + 1
                )
            self.current.append(_quoted(line.strip(), index))
            return
        keyword, _, arg = line.partition(" ")
        if keyword in ("msgid", "msgctxt"):
            self.finish()
        self.obsolete = obsolete
        arg = _quoted(arg.strip(), index)
        if keyword in ("msgid", "msgid_plural"):
            if keyword == "msgid":
                self.offset = index
            self.current = [arg]
            self.msgids.append(self.current)
        elif keyword == "msgctxt":
            self.current = self.context = [arg]
        elif keyword == "msgstr" or keyword.startswith("msgstr["):
            _, bracket, number = keyword.partition("[")
            if bracket and not (number.endswith("]") and number[:-1].isdigit()):
                raise PoSyntaxError(f"misformatted keyword `{keyword}`", index + 1)
            self.current = [] if arg == '""' else [arg]
            self.msgstrs.append((int(number[:-1]) if bracket else 0, self.current))
        else:
            raise PoSyntaxError(f"unknown or misformatted keyword `{keyword}`", index + 1)

    def finish(self) -> None:
        """End the entry being read, if any (Babel's `_finish_current_message`)."""
        if not self.msgids:
            return
        line = self.offset + 1
        if not self.msgstrs:
            raise PoSyntaxError("`msgid` without `msgstr`", line)
        msgid = "".join(map(_unescape, self.msgids[0]))
        plural = None
        if len(self.msgids) > 1:
            plural = "".join(map(_unescape, self.msgids[1]))
            forms = [""] * self.nplurals
            for number, parts in sorted(self.msgstrs):
                if number >= self.nplurals:
                    raise PoSyntaxError(
                        f"`msgstr[{number}]`, but the header's Plural-Forms says "
                        f"nplurals={self.nplurals}",
                        line,
                    )
                forms[number] = "".join(map(_unescape, parts))
            msgstr = tuple(forms)
        else:
            msgstr = ("".join(map(_unescape, self.msgstrs[0][1])),)
        context = "".join(map(_unescape, self.context)) if self.context is not None else None
        # msgid "" is the header (Babel reads it for the catalog, not as a message).
        if not self.obsolete and (msgid or plural is not None):
            entry = PoEntry(msgid, msgstr, line, self.fuzzy, plural, context)
            key = (msgid, context)
            first = self.entries.get(key)
            if first is None:
                self.entries[key] = entry
            elif plural is not None and first.msgid_plural is None:
                self.entries[key] = first._replace(
                    msgstr=msgstr, msgid_plural=plural, fuzzy=first.fuzzy or self.fuzzy
                )
            elif self.fuzzy:
                self.entries[key] = first._replace(fuzzy=True)
        self._reset()
