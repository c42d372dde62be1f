"""The validation rules: one small function per rule, collected in `RULES` at the bottom.

Each rule gets the parsed `Document` and yields `(line, message)` pairs. Its
code is stable (EM1xx file and encoding, EM2xx structure and keys, EM3xx
locales, EM4xx message text, EM5xx placement of an installed file), its
severity follows the real consequence:

- error: pip or uv shows something other than the intended text, crashes, or
  ignores the marker;
- warning: it degrades for some users, or is very likely a mistake;
- info: style.

The docstring is the long explanation `marker-tool validate --explain CODE`
prints. Adding a rule is adding a function here, its entry in `RULES`, and a
failing example under tests/markers/invalid/ (plus a near miss under valid/).
"""

from __future__ import annotations

import inspect
import posixpath
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from marker_tool.document import Document, Entry
from marker_tool.errors import did_you_mean
from marker_tool.layouts import stdlib_version
from marker_tool.model import ERROR_KEY, MARKER_NAME, SECTION, Severity
from marker_tool.safeio import LIMITS
from marker_tool.text import (
    C0_CONTROLS,
    DEL_AND_C1,
    INVISIBLE,
    SEPARATORS,
    WIDTH,
    char_class,
    char_name,
    display_width,
)

Hit = tuple[int | None, str]
#: What a rule reads (a marker's `Document`; a system's `check.facts.Facts`) and what it
#: yields for each problem (`(line, message)`; a `check.rules.SystemHit`).
S = TypeVar("S")
H = TypeVar("H")

#: Columns a message line may take: pip indents it by 4, so 80 in all.
MAX_COLUMNS = WIDTH
#: C0 (but ESC, EM104's, and tab: shown, if at no agreed width, so only marker-tool's own
#: text refuses it), DEL, C1 (U+0085 included) and the Unicode separators.
_CONTROL = char_class(C0_CONTROLS, DEL_AND_C1, SEPARATORS)
_ESCAPE = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\].*?(\x07|\x1b\\)|.)?")


@dataclass(frozen=True, slots=True)
class Rule(Generic[S, H]):
    """One rule: a marker's (EM1xx-EM5xx, here) or a system's (EM6xx, `check.rules`)."""

    #: Stable code, `EM201`.
    code: str
    #: Stable short name, `missing-section`.
    name: str
    severity: Severity
    #: One line for `--list-rules` and the README.
    summary: str
    #: The function that finds the problem.
    check: Callable[[S], Iterator[H]]
    #: The rule reads `Document.placement` (where the marker sits) and runs
    #: only for markers checked as installed.
    needs_placement: bool = False

    @property
    def explanation(self) -> str:
        """The long explanation (the rule function's docstring)."""
        return inspect.cleandoc(self.check.__doc__ or self.summary)


def rule(
    code: str,
    name: str,
    severity: Severity,
    summary: str,
    *,
    needs_placement: bool = False,
) -> Callable[[Callable[[S], Iterator[H]]], Rule[S, H]]:
    """Make the decorated function a rule: its docstring is the long explanation."""

    def make(check: Callable[[S], Iterator[H]]) -> Rule[S, H]:
        return Rule(code, name, severity, summary, check, needs_placement)

    return make


MarkerRule = Rule[Document, Hit]


ERROR = Severity.ERROR
WARNING = Severity.WARNING
INFO = Severity.INFO


# -- helpers ---------------------------------------------------------------------------


def _pip_messages(doc: Document) -> list[Entry]:
    """`Error`/`Error-<locale>` keys of `[externally-managed]` and `[DEFAULT]`."""
    return [e for e in doc.entries if e.section in (SECTION, "DEFAULT") and e.is_error_key]


def _uv_message(doc: Document) -> Entry | None:
    """The entry uv shows: key spelled exactly `Error` in `[externally-managed]`."""
    for entry in doc.entries:
        if entry.section == SECTION and entry.key == ERROR_KEY:
            return entry
    return None


def _value_lines(doc: Document, entry: Entry) -> Iterator[tuple[int, str]]:
    """(line number, text) of the key line and each continuation line of `entry`."""
    yield entry.line, doc.line(entry.line).value
    for number in entry.continuation:
        yield number, doc.line(number).value


def _has_section(doc: Document) -> bool:
    return any(name == SECTION for name, _ in doc.headers)


# -- EM1xx: file and encoding ----------------------------------------------------------


@rule("EM101", "not-utf8", ERROR, "the file is not UTF-8")
def not_utf8(doc: Document) -> Iterator[Hit]:
    """The file is not valid UTF-8.

    pip reads the marker with `encoding="utf-8"`: on a decoding error it prints
    `WARNING: Failed to read ...` and its generic message instead of yours. uv
    is worse: it treats the interpreter as NOT externally managed and installs
    into it. Save the file as UTF-8 (without a byte-order mark).
    """
    if doc.decode_error is not None:
        number, _, reason = doc.decode_error
        yield number, f"not UTF-8 ({reason}); uv installs anyway, pip shows its generic message"


@rule("EM102", "bom", ERROR, "the file starts with a UTF-8 byte-order mark")
def bom(doc: Document) -> Iterator[Hit]:
    """The file starts with a UTF-8 byte-order mark (EF BB BF).

    pip decodes with `utf-8`, not `utf-8-sig`, so the mark stays in front of
    `[externally-managed]` and configparser finds no section header: pip prints
    `WARNING: Failed to read ...` and its generic message, and uv shows its own
    generic message. Save the file without a BOM.
    """
    if doc.data.startswith(b"\xef\xbb\xbf"):
        yield 1, "the file starts with a byte-order mark; pip and uv cannot read the section"


@rule("EM103", "control-character", ERROR, "control characters in a message")
def control_character(doc: Document) -> Iterator[Hit]:
    """A control character (other than tab) is in a message's text.

    pip and uv do not print them alike: pip (through rich) removes BEL, BS, VT,
    FF and CR, uv removes NUL, BEL and BS, and whatever reaches the terminal is
    interpreted by it. Users do not see the text as written. Remove them.
    (Control characters in the indentation or in comments are harmless.)
    """
    for line in doc.lines:
        if line.kind not in ("key", "continuation"):
            continue
        match = _CONTROL.search(line.value)
        if match:
            char = f"U+{ord(match.group()):04X}"
            column = line.text.find(line.value) + match.start() + 1
            yield line.number, f"control character {char} at column {column} of the text"


@rule("EM104", "ansi-escape", ERROR, "ANSI escape sequences in a message")
def ansi_escape(doc: Document) -> Iterator[Hit]:
    """An ESC character (an ANSI colour or cursor sequence) is in a message.

    pip passes the escape sequence to the terminal, uv strips it: the two show
    different text, and in a log file the sequence is garbage. Colour is the
    program's business (and users turn it off with NO_COLOR); write plain text.
    """
    for line in doc.lines:
        if line.kind not in ("key", "continuation"):
            continue
        match = _ESCAPE.search(line.value)
        if match:
            column = line.text.find(line.value) + match.start() + 1
            yield line.number, f"escape sequence {match.group()!r} at column {column} of the text"


@rule("EM105", "crlf", INFO, "CRLF line endings")
def crlf(doc: Document) -> Iterator[Hit]:
    """The file uses CRLF (Windows) line endings.

    pip and uv both accept them, but a marker lives on a POSIX system and diffs
    and `sed` scripts trip over the stray CR. Prefer LF.
    """
    count = sum(1 for line in doc.lines if line.ending == "\r\n")
    if count:
        first = next(line.number for line in doc.lines if line.ending == "\r\n")
        lines = "1 line ends" if count == 1 else f"{count} lines end"
        yield first, f"{lines} in CRLF; prefer LF"


@rule("EM106", "cr-line-ending", ERROR, "lines ending in a bare CR")
def cr_line_ending(doc: Document) -> Iterator[Hit]:
    """A line ends in a bare CR (classic Mac line ending).

    Python's universal newlines make it a line break for pip, but uv 0.13.0 and
    older do not: the whole file is one line to them and they show their generic
    message. Use LF.
    """
    for line in doc.lines:
        if line.ending == "\r":
            yield line.number, "line ends in a bare CR; uv 0.13.0 and older see one long line"
            return


#: Bytes above which a file is not read as a marker (`safeio.LIMITS`).
MARKER_LIMIT = LIMITS["marker"]
TOO_LARGE_MESSAGE = f"larger than {MARKER_LIMIT // 1024} KiB: too large to be a marker (not read)"


@rule("EM107", "too-large", ERROR, "the file is too large to be a marker")
def too_large_rule(doc: Document) -> Iterator[Hit]:
    """The file is larger than 1 MiB.

    A real marker is a few KB. pip and uv would read and print all of it, but
    a file this large is almost certainly not the marker that was meant (a
    copied binary, a log); marker-tool does not read it further.
    """
    if len(doc.data) > MARKER_LIMIT:
        yield None, TOO_LARGE_MESSAGE


# -- EM2xx: structure and keys ---------------------------------------------------------


def _normal(name: str) -> str:
    return re.sub(r"[\s_.]+", "-", name.strip().lower())


@rule("EM201", "missing-section", ERROR, "no `[externally-managed]` section")
def missing_section(doc: Document) -> Iterator[Hit]:
    """There is no `[externally-managed]` section header.

    PEP 668 puts the message in a section named exactly `externally-managed`
    (section names are case-sensitive in configparser and uv). Without it pip
    and uv print their generic messages. A near miss (`[Externally-Managed]`,
    `[externally_managed]`, `[ externally-managed ]`) is named with a fix.
    """
    if doc.text is None or _has_section(doc) or doc.data.startswith(b"\xef\xbb\xbf"):
        return
    for name, number in doc.headers:
        if _normal(name) == SECTION or did_you_mean(name, [SECTION]):
            yield number, f"section `[{name}]` is not `[{SECTION}]`; did you mean `[{SECTION}]`?"
            return
    if not any(line.kind == "orphan" for line in doc.lines):
        yield None, f"no `[{SECTION}]` section; pip and uv show their generic messages"


@rule("EM202", "text-before-section", ERROR, "text before the first section header")
def text_before_section(doc: Document) -> Iterator[Hit]:
    """A line other than a comment or a blank line comes before the first section header.

    configparser raises MissingSectionHeaderError: pip prints `WARNING: Failed
    to read ...` and its generic message, uv its own generic message. Start the
    file with `[externally-managed]`.
    """
    if doc.data.startswith(b"\xef\xbb\xbf"):
        return  # EM102 says why
    for line in doc.lines:
        if line.kind == "orphan":
            yield line.number, f"text before the `[{SECTION}]` header; pip cannot read the file"
            return


@rule("EM203", "parse-error", ERROR, "a line that is not a key, header or continuation")
def parse_error(doc: Document) -> Iterator[Hit]:
    """A line is neither a section header, a `key = value` line, an indented
    continuation line nor a comment (configparser's ParsingError).

    Typically an unindented line in the middle of a message, or a key without
    `=`. pip prints `WARNING: Failed to read ...` and its generic message, uv
    its own generic message. Indent continuation lines (two spaces).
    """
    for line in doc.lines:
        if line.kind != "invalid":
            continue
        if line.key:
            yield (
                line.number,
                (
                    f"unindented line in the value of `{line.key}`; pip cannot read the file "
                    "(indent continuation lines)"
                ),
            )
        else:
            yield line.number, "not a `key = value` line; pip cannot read the file"


@rule("EM204", "duplicate-section", ERROR, "a section appears twice (pip crashes)")
def duplicate_section(doc: Document) -> Iterator[Hit]:
    """A section header appears twice.

    configparser raises DuplicateSectionError, which pip does not catch: users
    get a Python traceback and exit status 2. uv shows its generic message.
    Merge the sections. (`[DEFAULT]` may repeat; configparser allows that.)
    """
    first: dict[str, int] = {}
    for name, number in doc.headers:
        if name == "DEFAULT":
            continue
        if name in first:
            yield number, f"section `[{name}]` again (first on line {first[name]}); pip crashes"
        else:
            first[name] = number


@rule("EM205", "duplicate-key", ERROR, "a key appears twice, in any case (pip crashes)")
def duplicate_key(doc: Document) -> Iterator[Hit]:
    """A key appears twice in a section, compared case-insensitively (`Error`
    and `error` are the same key to configparser).

    configparser raises DuplicateOptionError, which pip does not catch: users
    get a Python traceback and exit status 2. uv 0.13.1 and newer show their
    generic message, older uv the last value. Keep one.
    """
    seen: dict[tuple[str, str], Entry] = {}
    for entry in doc.entries:
        ident = (entry.section, entry.key.lower())
        if ident in seen:
            other = seen[ident]
            yield (
                entry.line,
                (f"key `{entry.key}` again (`{other.key}` on line {other.line}); pip crashes"),
            )
        else:
            seen[ident] = entry


@rule("EM206", "extra-section", WARNING, "a section other than `[externally-managed]`")
def extra_section(doc: Document) -> Iterator[Hit]:
    """The file has a section other than `[externally-managed]` (and `[DEFAULT]`).

    pip and uv ignore it; it usually means a message was meant to go elsewhere,
    or a line starting with `[` was meant as text. Remove it.
    """
    for name, number in doc.headers:
        if name not in (SECTION, "DEFAULT") and not (
            _normal(name) == SECTION or did_you_mean(name, [SECTION])
        ):
            yield number, f"section `[{name}]` is ignored by pip and uv"


@rule("EM207", "default-section", WARNING, "a `[DEFAULT]` section")
def default_section(doc: Document) -> Iterator[Hit]:
    """The file has a `[DEFAULT]` section.

    pip's configparser copies its keys into `[externally-managed]`; uv 0.13.0
    and older do not. Put the keys in `[externally-managed]` itself.
    """
    for name, number in doc.headers:
        if name == "DEFAULT":
            yield number, "`[DEFAULT]` keys reach pip but not uv 0.13.0 and older"
            return


@rule("EM208", "error-key-case", ERROR, "`Error` spelled in another case (uv ignores it)")
def error_key_case(doc: Document) -> Iterator[Hit]:
    """The message key is spelled `error`, `ERROR` ... instead of `Error`.

    pip looks keys up case-insensitively, but uv reads only the key spelled
    exactly `Error` and shows its generic message otherwise.
    """
    for entry in doc.section_entries():
        if entry.key.lower() == "error" and entry.key != ERROR_KEY:
            yield entry.line, f"`{entry.key}` must be spelled `{ERROR_KEY}`; uv ignores it"


@rule("EM209", "no-error-key", ERROR, "no `Error` key")
def no_error_key(doc: Document) -> Iterator[Hit]:
    """`[externally-managed]` has no `Error` key (and no locale keys).

    pip and uv then print their generic messages. A key only in `[DEFAULT]`
    reaches pip but not uv 0.13.0 and older.
    """
    if not _has_section(doc):
        return
    own = doc.section_entries()
    if any(e.is_error_key for e in own):
        return
    number = next(n for name, n in doc.headers if name == SECTION)
    if any(e.key.lower() == "error" for e in doc.section_entries("DEFAULT")):
        yield number, "`Error` is only in `[DEFAULT]`; uv 0.13.0 and older show a generic message"
    else:
        keys = [e.key for e in own]
        hint = did_you_mean(keys[0], [ERROR_KEY]) if keys else None
        extra = f" (`{keys[0]}`: {hint})" if hint else ""
        yield number, f"no `{ERROR_KEY}` key; pip and uv show their generic messages{extra}"


@rule("EM210", "unknown-key", WARNING, "a key that is neither `Error` nor `Error-<locale>`")
def unknown_key(doc: Document) -> Iterator[Hit]:
    """`[externally-managed]` has a key that is not `Error` or `Error-<locale>`.

    Neither pip nor uv reads it. A misspelt locale key (`Error_de`,
    `Error de`) is named with a fix. (An unknown key right after a message is
    EM406: it cut the message short.)
    """
    previous: Entry | None = None
    for entry in doc.section_entries():
        if not entry.is_error_key and not (previous and previous.is_error_key):
            guess = re.sub(r"^error[\s_.:]+", "Error-", entry.key, flags=re.IGNORECASE)
            hint = f"; did you mean `{guess}`?" if guess != entry.key else ""
            yield entry.line, f"key `{entry.key}` is ignored by pip and uv{hint}"
        previous = entry


@rule("EM211", "indented-key", ERROR, "an indented key line (uv 0.13.0 and older)")
def indented_key(doc: Document) -> Iterator[Hit]:
    """A key line in `[externally-managed]` is indented.

    configparser accepts it (continuation lines must then be indented further),
    but uv 0.13.0 and older do not find the key and show their generic message.
    Start key lines in column 1.
    """
    for line in doc.lines:
        if line.kind == "key" and line.section == SECTION and line.indent > 0:
            yield line.number, f"key `{line.key}` is indented; uv 0.13.0 and older miss it"


@rule("EM212", "pip-cannot-read", ERROR, "configparser rejects the file for another reason")
def pip_cannot_read(doc: Document) -> Iterator[Hit]:
    """Python's configparser -- what pip runs -- rejects the file, for a reason
    no other rule names.

    The validator models configparser line by line; this rule is the backstop
    that runs configparser itself (interpolation off, as pip does) and reports
    any failure the model did not explain, so a marker pip cannot read never
    passes. pip then prints `WARNING: Failed to read ...` (or a traceback) and
    its generic message. Please report the file to marker-tool.
    """
    pip = doc.pip
    if pip.error is None or doc.text is None:
        return
    explained = (
        doc.data.startswith(b"\xef\xbb\xbf")
        or any(line.kind in ("orphan", "invalid") for line in doc.lines)
        or any(True for _ in duplicate_section.check(doc))
        or any(True for _ in duplicate_key.check(doc))
    )
    if not explained:
        yield pip.line, f"configparser, which pip runs, fails with {pip.error}"


# -- EM3xx: locales --------------------------------------------------------------------


def _key_problem() -> Callable[[str], str | None] | None:
    try:
        from marker_tool.locales import key_problem
    except ImportError:  # pragma: no cover - locales.py ships with marker-tool
        return None
    return key_problem


@rule("EM301", "unmatchable-locale-key", WARNING, "a locale key pip can never match")
def unmatchable_locale_key(doc: Document) -> Iterator[Hit]:
    """An `Error-<locale>` key that pip never looks up.

    pip tries `Error-<language>_<TERRITORY>` (from `locale.getlocale()`), then
    `Error-<language>`, then `Error`. It never includes a codeset
    (`Error-de_DE.UTF-8`), a modifier (`Error-sr@latin`) or a hyphen
    (`Error-pt-BR`), and an unknown language code matches no locale. Users of
    that locale get the `Error` text instead of their translation.
    """
    locale_keys = [e for e in doc.section_entries() if e.is_locale_key]
    problem = _key_problem() if locale_keys else None
    if problem is None:
        return
    for entry in locale_keys:
        if entry.is_locale_key:
            reason = problem(entry.key)
            if reason:
                yield entry.line, reason


@rule("EM302", "locale-without-error", ERROR, "locale keys but no plain `Error`")
def locale_without_error(doc: Document) -> Iterator[Hit]:
    """There are `Error-<locale>` keys but no `Error` key.

    uv never reads locale keys, and pip falls back to `Error` for every other
    locale (and where the locale is not generated): those users see a generic
    message. Always write `Error` (in English), then the translations.
    """
    own = doc.section_entries()
    locale_keys = [e for e in own if e.is_locale_key]
    if locale_keys and not any(e.key.lower() == "error" for e in own):
        yield (
            locale_keys[0].line,
            (
                f"`{locale_keys[0].key}` but no `{ERROR_KEY}`; uv and other locales get a "
                "generic message"
            ),
        )


#: Locale keys pip reaches for users of the C.UTF-8 locale, the default of most
#: containers: Python 3.11 reads C.UTF-8 as en_US, Python 3.12 and later as C.
_DEFAULT_LOCALE_KEYS = {
    "error-c": "on Python 3.12 and later",
    "error-en_us": "on Python 3.11",
    "error-en": "on Python 3.11",
}


@rule(
    "EM303", "default-locale-key", WARNING, "a locale key that C.UTF-8 users see instead of `Error`"
)
def default_locale_key(doc: Document) -> Iterator[Hit]:
    """An `Error-C`, `Error-en` or `Error-en_US` key whose text differs from `Error`.

    C.UTF-8 is the locale of most containers and build machines. pip on Python
    3.11 reads it as `en_US` (and tries `Error-en_US`, then `Error-en`); pip on
    3.12 and later reads it as `C` (and tries `Error-C`). Such a key therefore
    replaces `Error` for those users on some Python versions only, while uv
    always shows `Error`: the same machine shows different texts. Give these
    keys the same text as `Error`, or drop them.
    """
    entries = doc.section_entries()
    error = next((e for e in entries if e.key == ERROR_KEY), None)
    for entry in entries:
        when = _DEFAULT_LOCALE_KEYS.get(entry.key.lower())
        if when and (error is None or entry.text != error.text):
            yield (
                entry.line,
                f"pip shows `{entry.key}` instead of `{ERROR_KEY}` to C.UTF-8 users {when}; "
                f"uv shows `{ERROR_KEY}`",
            )


# -- EM4xx: message text ---------------------------------------------------------------


@rule("EM401", "empty-message", ERROR, "an empty or whitespace-only message")
def empty_message(doc: Document) -> Iterator[Hit]:
    """A message key has no text (or only whitespace).

    pip and uv print an empty message: users learn nothing about what to do.
    """
    for entry in _pip_messages(doc):
        if not entry.text.strip():
            yield entry.line, f"`{entry.key}` is empty; pip and uv print an empty message"


@rule("EM402", "message-on-next-line", INFO, "the message starts on the line after the key")
def message_on_next_line(doc: Document) -> Iterator[Hit]:
    """The key line has no text; the message starts on the next line.

    A style several distributors use. configparser keeps the empty first
    line: pip prints `╰─> ` alone and the message under it, uv a blank line
    first; nothing is lost. Put the first line after `=` for a tighter block.
    """
    for entry in _pip_messages(doc):
        if entry.text.startswith("\n") and entry.text.strip():
            yield entry.line, f"no text after `{entry.key}`; the message starts with a blank line"


@rule("EM403", "comment-continuation", ERROR, "a continuation line starting with `#` or `;`")
def comment_continuation(doc: Document) -> Iterator[Hit]:
    """An indented line inside a message starts with `#` or `;`.

    configparser treats it as a comment, and so does uv: pip and uv silently
    drop the line from the message. Reword the line so it does not start with
    `#` or `;` (or, if it is a comment, start it in column 1).
    """
    keys = {(e.section, e.key): e for e in _pip_messages(doc)}
    for line in doc.lines:
        if line.kind != "comment" or line.key is None or line.section is None:
            continue
        entry = keys.get((line.section, line.key))
        if entry is None:
            continue
        if line.indent > doc.line(entry.line).indent:
            first = line.text.strip()[0]
            yield line.number, f"line starts with `{first}`; pip and uv drop it from `{line.key}`"


@rule("EM404", "bracket-continuation", ERROR, "a continuation line starting with `[`")
def bracket_continuation(doc: Document) -> Iterator[Hit]:
    """A continuation line starts with `[`, in `Error` or in a key before it.

    uv 0.13.0 and older take it for a section header: inside `Error` the
    message ends there; in an `Error-<locale>` key above `Error`, they never
    reach `Error` and show their generic message. Reword the line so it does
    not start with `[`.
    """
    entry = _uv_message(doc)
    if entry is None:
        return
    for line in doc.lines:
        if line.kind != "continuation" or not line.value.startswith("["):
            continue
        before = line.section == SECTION and line.number < entry.line
        if not before and line.number not in entry.continuation:
            continue
        if line.key == entry.key:
            yield line.number, "line starts with `[`; uv 0.13.0 and older end the message here"
        else:
            yield (
                line.number,
                (f"line of `{line.key}` starts with `[`; uv 0.13.0 and older never reach `Error`"),
            )


@rule("EM405", "inline-comment", ERROR, "`;` or `#` inside the `Error` text")
def inline_comment(doc: Document) -> Iterator[Hit]:
    """The `Error` text contains `;` or `#`.

    uv 0.13.0 and older treat `;` and `#` anywhere in a line as the start of a
    comment and cut the rest of the line (`apt install foo; ...`,
    `https://example.org/#venv`). pip and newer uv show it. Reword, or write
    `%23`-style URLs.
    """
    entry = _uv_message(doc)
    if entry is None:
        return
    for number, text in _value_lines(doc, entry):
        position = min((i for i in (text.find(";"), text.find("#")) if i >= 0), default=-1)
        if position >= 0:
            yield (
                number,
                (
                    f"`{text[position]}` at column {position + 1} of the text; uv 0.13.0 and older "
                    "cut the rest of the line"
                ),
            )


@rule("EM406", "message-cut-by-key", ERROR, "an unindented line that ends the message")
def message_cut_by_key(doc: Document) -> Iterator[Hit]:
    """An unindented line after a message contains `:` or `=`, so configparser
    reads it as a new key (`See: https://...` becomes key `see`).

    The message ends on the line before; pip and uv never show the rest. Indent
    the line like the other continuation lines.
    """
    previous: Entry | None = None
    for entry in doc.section_entries():
        if not entry.is_error_key and previous is not None and previous.is_error_key:
            yield (
                entry.line,
                (
                    f"unindented line becomes key `{entry.key}`; `{previous.key}` ends on the line "
                    "before"
                ),
            )
        previous = entry


@rule("EM407", "quoted-message", WARNING, "the message is wrapped in quotes")
def quoted_message(doc: Document) -> Iterator[Hit]:
    """The message is wrapped in quotes (`Error = "..."`).

    INI values are not quoted: pip and uv print the quotes. Remove them.
    """
    for entry in _pip_messages(doc):
        text = entry.text.strip()
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
            yield entry.line, f"`{entry.key}` is wrapped in {text[0]} quotes; pip and uv print them"


@rule("EM408", "long-line", INFO, f"a message line longer than {MAX_COLUMNS} columns")
def long_line(doc: Document) -> Iterator[Hit]:
    """A message line is longer than 76 columns (wide East Asian characters count two).

    Neither pip nor uv re-wraps the text; pip indents it by 4 columns, uv by 2,
    so longer lines wrap raggedly on an 80-column terminal.
    """
    for entry in _pip_messages(doc):
        for number, text in _value_lines(doc, entry):
            width = display_width(text)
            if width > MAX_COLUMNS:
                yield number, f"{width} columns (at most {MAX_COLUMNS} fit under pip's indent)"


@rule("EM409", "indentation-lost", INFO, "continuation lines indented differently")
def indentation_lost(doc: Document) -> Iterator[Hit]:
    """Continuation lines of one message are indented differently.

    configparser strips each line, so pip and uv print every line with the same
    indent: an indented command or list loses its indentation. Indent all
    continuation lines alike and mark commands in the text instead.
    """
    for entry in _pip_messages(doc):
        indents = {doc.line(n).indent for n in entry.continuation}
        if len(indents) > 1:
            first = doc.line(entry.continuation[0]).indent
            for number in entry.continuation:
                if doc.line(number).indent != first:
                    yield number, "extra indentation is lost; pip and uv print lines flush"
                    break


@rule("EM410", "invisible-character", ERROR, "invisible or bidi control characters in a message")
def invisible_character(doc: Document) -> Iterator[Hit]:
    """A message holds a character that shows as nothing, or reorders what follows it.

    Bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069),
    zero-width spaces, joiners and marks (U+200B-U+200F) and U+FEFF make a
    command look different from what a user copies from the terminal
    (`pip install` can show as something else entirely). Remove them; marker-tool
    refuses to write them.
    """
    for line in doc.lines:
        if line.kind not in ("key", "continuation"):
            continue
        match = INVISIBLE.search(line.value)
        if match:
            column = line.text.find(line.value) + match.start() + 1
            yield line.number, f"{char_name(match.group())} at column {column} of the text"


# -- EM5xx: placement of an installed marker -------------------------------------------
# These read only `doc.placement`, the facts its caller gathered (from this
# machine, an install plan or an archive); they never look at a file system.

_KIND_TEXT = {
    "directory": "a directory",
    "other": "not a regular file (a FIFO, device or socket)",
    "dangling-symlink": "a dangling symlink",
    "symlink-loop": "a symlink loop",
    "escaping-symlink": "a symlink that leads out of its tree",
}


@rule(
    "EM501",
    "not-regular-file",
    ERROR,
    "the installed marker is not a regular file",
    needs_placement=True,
)
def not_regular_file(doc: Document) -> Iterator[Hit]:
    """The installed marker is a directory, a dangling symlink, a FIFO ...

    pip checks `os.path.isfile()` and uv needs to read the file: anything else
    means the interpreter is not externally managed. (A symlink to a regular
    file, as Gentoo installs, is fine.)
    """
    placement = doc.placement
    if placement is not None and placement.kind != "file":
        yield None, f"{_KIND_TEXT[placement.kind]}; pip and uv treat the interpreter as not managed"


@rule(
    "EM502",
    "not-world-readable",
    ERROR,
    "the installed marker is not world-readable",
    needs_placement=True,
)
def not_world_readable(doc: Document) -> Iterator[Hit]:
    """The installed marker is not readable by everyone (mode 0644 is usual).

    A user who cannot read it gets pip's `Failed to read` warning and generic
    message, and uv treats the interpreter as not externally managed and
    installs into it.
    """
    placement = doc.placement
    if placement is None or placement.kind != "file" or placement.mode is None:
        return
    if not placement.mode & 0o004:
        yield None, f"mode {placement.mode:04o} is not world-readable; uv installs for other users"


@rule(
    "EM503",
    "not-in-stdlib-dir",
    ERROR,
    "the installed marker is not in the stdlib dir",
    needs_placement=True,
)
def not_in_stdlib_dir(doc: Document) -> Iterator[Hit]:
    """The installed marker is not where pip and uv look for it.

    They look for a file named exactly `EXTERNALLY-MANAGED` in the stdlib dir of
    the interpreter (`sysconfig.get_path("stdlib")`, `.../lib/python3.X`), and
    not at all inside a virtual environment. A marker in site-packages, in a
    venv, or in a directory that is not a stdlib dir has no effect. Use
    `marker-tool path` or `--interpreter` to find the right directory.
    """
    placement = doc.placement
    if placement is None:
        return
    parent, name = posixpath.split(placement.path)
    if name != MARKER_NAME:
        yield None, f"named `{name}`; pip and uv look for `{MARKER_NAME}`"
        return
    if placement.stdlib_dir is not None:
        if (placement.real_dir or parent) != placement.stdlib_dir:
            yield None, f"not in the interpreter's stdlib dir `{placement.stdlib_dir}`"
        return
    if any(part in ("site-packages", "dist-packages") for part in parent.split("/")):
        yield None, "inside site-packages; pip and uv look in the stdlib dir"
        return
    if placement.venv is not None:
        yield (
            None,
            f"inside the virtual environment `{placement.venv}`; pip and uv never check there",
        )
        return
    if stdlib_version(posixpath.basename(parent)) is None:
        yield None, f"`{posixpath.basename(parent)}` is not a stdlib dir like `python3.12`"


@rule("EM504", "not-0644", WARNING, "the marker's mode is not 0644", needs_placement=True)
def not_0644(doc: Document) -> Iterator[Hit]:
    """The installed marker's mode is not 0644.

    It is data that root owns and everyone reads: writable by its group or
    others, anyone in them can change what pip tells every user; executable,
    it looks like a script to lintian and rpmlint. Install it 0644.
    """
    placement = doc.placement
    if placement is None or placement.kind != "file" or placement.mode is None:
        return
    if placement.mode != 0o644 and placement.mode & 0o004:
        yield None, f"mode {placement.mode:04o}; a marker is 0644"


@rule("EM505", "not-owned-by-root", ERROR, "the marker is not owned by root", needs_placement=True)
def not_owned_by_root(doc: Document) -> Iterator[Hit]:
    """The marker in a package is not owned by root:root.

    Installed from the package, it would belong to that user, who could then
    change the message pip shows everyone, or delete it and let pip install
    into the system. Build with fakeroot or `dpkg-deb --root-owner-group`,
    or set the owner in the spec's `%attr`.
    """
    placement = doc.placement
    if placement is None or placement.owner is None:
        return
    if placement.owner not in (("root", "root"), ("0", "0")):
        user, group = placement.owner
        yield None, f"owned by {user}:{group}; a packaged marker belongs to root:root"


#: The rules of a marker, in the order `validate` runs them.
RULES: tuple[MarkerRule, ...] = (
    not_utf8,
    bom,
    control_character,
    ansi_escape,
    crlf,
    cr_line_ending,
    too_large_rule,
    missing_section,
    text_before_section,
    parse_error,
    duplicate_section,
    duplicate_key,
    extra_section,
    default_section,
    error_key_case,
    no_error_key,
    unknown_key,
    indented_key,
    pip_cannot_read,
    unmatchable_locale_key,
    locale_without_error,
    default_locale_key,
    empty_message,
    message_on_next_line,
    comment_continuation,
    bracket_continuation,
    inline_comment,
    message_cut_by_key,
    quoted_message,
    long_line,
    indentation_lost,
    invisible_character,
    not_regular_file,
    not_world_readable,
    not_in_stdlib_dir,
    not_0644,
    not_owned_by_root,
)
