"""marker_tool.po reads every .po file exactly as Babel's read_po does.

The comparison runs against the installed Babel; run this module under Babel
2.10.3 (Debian bookworm's) too: the expectations hold for both.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from babel.messages.pofile import PoFileError
from babel.messages.pofile import read_po as babel_read_po

from marker_tool.po import PoEntry, PoSyntaxError, read_po

LOCALE_DIR = Path(__file__).resolve().parent.parent / "templates" / "locale"
BUILTIN = sorted(LOCALE_DIR.glob("*.po*"))

Entries = list[tuple[tuple[str, str | None], tuple[tuple[str, ...], str | None, bool, int]]]

TRICKY = r"""# German translation, with a header marked fuzzy.
# Ünïcode in a comment.
#, fuzzy
msgid ""
msgstr ""
"Project-Id-Version: marker-tool\n"
"Content-Type: text/plain; charset=UTF-8\n"
"Plural-Forms: nplurals=3; plural=(n==1 ? 0 : n<5 ? 1 : 2);\n"

#: message.txt.j2:3
#, python-format
msgid "Run %(install)s to install a package."
msgstr ""
"Führen Sie %(install)s aus,\n"
"um \"ein\" Paket\tzu installieren.\\"

#, fuzzy, python-format
msgid "Fuzzy one"
msgstr "Unscharf"

#,fuzzy
msgid "Fuzzy without a space"
msgstr "x"

#, python-format,fuzzy
msgid "Fuzzy last"
msgstr "y"

msgid "Empty"
msgstr ""

msgid "Empty in pieces"
msgstr ""
""
""

msgctxt "button"
msgid "Open"
msgstr "Öffnen"

msgid "Open"
msgstr "Offen"

msgctxt ""
msgid "Empty context"
msgstr "Leerer Kontext"

msgid "One file"
msgid_plural "%(n)s files"
msgstr[0] "Eine Datei"
msgstr[1] "%(n)s Dateien"
msgstr[2] "%(n)s Dateien (viele)"

msgid "Partial plural"
msgid_plural "Partial plurals"
msgstr[1] "Teile"

msgid ""
"Multi-line msgid "
"with \\n and \n real newline"
msgstr "Unknown escapes \x41, \a and \' stay as written"

#~ msgid "Obsolete"
#~ msgstr "Veraltet"

#, fuzzy
#~ msgid "Obsolete fuzzy"
#~ msgstr ""
#~ "Veraltet, unscharf"

   msgid    "Indented"
	msgstr "Eingerückt"

# a translator comment between entries
#. an extracted comment
#| msgid "Previous"
msgid "Dup"
msgstr "Erste"

#, fuzzy
msgid "Dup"
msgstr "Zweite"

msgid "Last, no newline at the end"
"""
TRICKY += 'msgstr "Letzte"'
# Trailing blanks, which the source file itself must not have.
TRICKY = TRICKY.replace('msgstr "Eingerückt"', 'msgstr "Eingerückt" \t ')


def babel_entries(data: bytes) -> Entries:
    """(msgid, msgctxt) -> (msgstr forms, msgid_plural, fuzzy, line), as Babel reads them."""
    out: Entries = []
    for message in babel_read_po(io.BytesIO(data), abort_invalid=True):
        if message.id == "":
            continue
        if isinstance(message.id, tuple | list):
            msgid, plural = str(message.id[0]), str(message.id[1])
            forms = tuple(str(s) for s in message.string or ())
        else:
            msgid, plural = str(message.id), None
            forms = (str(message.string),)
        out.append(((msgid, message.context), (forms, plural, message.fuzzy, message.lineno or 0)))
    return out


def our_entries(data: bytes) -> Entries:
    return [
        ((e.msgid, e.context), (e.msgstr, e.msgid_plural, e.fuzzy, e.line)) for e in read_po(data)
    ]


@pytest.mark.parametrize("path", BUILTIN, ids=lambda p: p.name)
def test_builtin_catalogs_read_as_babel_reads_them(path: Path) -> None:
    data = path.read_bytes()
    ours = our_entries(data)
    assert ours == babel_entries(data)
    assert ours, "a built-in catalog has messages"


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(lambda text: text.encode("utf-8"), id="utf-8"),
        pytest.param(lambda text: text.replace("\n", "\r\n").encode("utf-8"), id="crlf"),
        pytest.param(lambda text: (text + "\n\n").encode("utf-8"), id="trailing-newlines"),
        pytest.param(
            lambda text: (
                text.replace("# Ünïcode in a comment.\n", "")
                .replace("charset=UTF-8", "charset=ISO-8859-1")
                .encode("latin-1")
            ),
            id="latin-1",
        ),
    ],
)
def test_tricky_file_reads_as_babel_reads_it(variant: Callable[[str], bytes]) -> None:
    data = variant(TRICKY)
    assert our_entries(data) == babel_entries(data)


def test_tricky_file_details() -> None:
    """What the comparison above covers, spelled out (so it cannot pass on two equal bugs)."""
    entries = {(e.msgid, e.context): e for e in read_po(TRICKY.encode("utf-8"))}
    run = entries["Run %(install)s to install a package.", None]
    assert run.msgstr == ('Führen Sie %(install)s aus,\num "ein" Paket\tzu installieren.\\',)
    assert not run.fuzzy  # the header's `#, fuzzy` is the header's
    assert (
        run.line == TRICKY.splitlines().index('msgid "Run %(install)s to install a package."') + 1
    )
    for msgid in ("Fuzzy one", "Fuzzy without a space", "Fuzzy last"):
        assert entries[msgid, None].fuzzy, msgid
    assert entries["Empty", None].msgstr == ("",)
    assert entries["Empty in pieces", None].msgstr == ("",)
    assert entries["Open", "button"].msgstr == ("Öffnen",)
    assert entries["Open", None].msgstr == ("Offen",)
    assert entries["Empty context", ""].msgstr == ("Leerer Kontext",)
    plural = entries["One file", None]
    assert plural.msgid_plural == "%(n)s files"
    assert plural.msgstr == ("Eine Datei", "%(n)s Dateien", "%(n)s Dateien (viele)")
    assert entries["Partial plural", None].msgstr == ("", "Teile", "")
    multi = entries["Multi-line msgid with \\n and \n real newline", None]
    assert multi.msgstr == (r"Unknown escapes \x41, \a and \' stay as written",)
    assert not {("Obsolete", None), ("Obsolete fuzzy", None)} & entries.keys()
    assert entries["Indented", None].msgstr == ("Eingerückt",)
    dup = entries["Dup", None]
    assert (dup.msgstr, dup.fuzzy) == (("Erste",), True)
    assert entries["Last, no newline at the end", None].msgstr == ("Letzte",)
    assert next(iter(entries)) == ("Run %(install)s to install a package.", None)


def test_no_header() -> None:
    data = b'msgid "a"\nmsgstr "b"\n\nmsgid "c"\nmsgid_plural "cs"\nmsgstr[0] "d"\nmsgstr[1] "ds"\n'
    assert our_entries(data) == babel_entries(data)
    assert read_po(data)[0] == PoEntry("a", ("b",), 1)


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ('msgid "a"\nmsgstrr "b"\n', "unknown or misformatted keyword `msgstrr`", 2),
        ('msgid "a"\nmsgstr "b"\n# c\n"stray"\n', "a quoted line outside", 4),
        ('msgid "a"\n\nmsgid "b"\nmsgstr "c"\n', "`msgid` without `msgstr`", 1),
        ('msgid "a"\nmsgid_plural "as"\nmsgstr[0] "b"\nmsgstr[2] "c"\n', "`msgstr[2]`", 1),
        ('msgid "a"\nmsgstr "b"\n# c\nmsgid "d"\nmsgstr[x] "e"\n', "`msgstr[x]`", 5),
    ],
)
def test_malformed_files_are_refused_like_babel(text: str, message: str, line: int) -> None:
    with pytest.raises(PoSyntaxError) as caught:
        read_po(text.encode("utf-8"))
    assert message in caught.value.message
    assert caught.value.line == line
    # Babel refuses them too (2.10.3 with an IndexError for a msgid without msgstr).
    with pytest.raises((PoFileError, IndexError, ValueError)):
        babel_read_po(io.BytesIO(text.encode("utf-8")), abort_invalid=True)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('msgid "x"\nmsgstr "Hallo\n', 2),
        ('msgid "x"\nmsgstr "Hallo\\"\n', 2),
        ('msgid "x"\nmsgstr ""\n"Hallo\n', 3),
        ('msgid "x\nmsgstr "Hallo"\n', 1),
    ],
)
def test_unterminated_strings_are_refused(text: str, line: int) -> None:
    # Stricter than Babel, which reads them as empty or cut strings: the typo's line
    # is worth more to a translator than a later "untranslated" warning.
    with pytest.raises(PoSyntaxError) as caught:
        read_po(text.encode("utf-8"))
    assert "unterminated string" in caught.value.message
    assert caught.value.line == line


def test_an_escaped_backslash_before_the_closing_quote_is_fine() -> None:
    (entry,) = [e for e in read_po(b'msgid "x"\nmsgstr "C:\\\\"\n') if e.msgid == "x"]
    assert entry.msgstr == ("C:\\",)


def test_undecodable_line_is_named() -> None:
    data = (
        b'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        b'msgid "a"\nmsgstr "\xff"\n'
    )
    with pytest.raises(PoSyntaxError) as caught:
        read_po(data)
    assert caught.value.line == 5
    assert "not utf-8 text" in caught.value.message


def test_utf8_bom_is_ignored() -> None:
    data = b'\xef\xbb\xbfmsgid ""\nmsgstr ""\n\nmsgid "a"\nmsgstr "b"\n'
    assert read_po(data) == [PoEntry("a", ("b",), 4)]
