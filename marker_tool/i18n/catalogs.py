"""Gettext catalogs (.po/.pot) read with Babel, checked, and served to a render.

Babel's `read_po` is the one .po parser. What it lets through silently is
checked here first, on the file's bytes, so that the error names the line:

- an unterminated string (Babel reads `msgstr "Hallo` as a cut string);
- a charset header that names no text encoding (`rot13`, `base64`, `zlib`)
  or that the bytes do not match: Latin-1 declared but the text is UTF-8 is
  an error, not silent mojibake;
- more than `MAX_PLURALS` plural forms.

Each usable translation is then checked against its msgid: the same
`%(variables)s`, no width or precision added to one (`%(name)999999999s`),
a valid format string, and no character a message may not hold
(`marker_tool.text.FORBIDDEN_IN_TEXT`).
"""

from __future__ import annotations

import codecs
import gettext
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from marker_tool import safeio
from marker_tool.errors import CatalogError, InputError
from marker_tool.locales import LocaleName
from marker_tool.text import FORBIDDEN_IN_TEXT, char_name

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

#: Plural forms a catalog may declare (the most any language has is 6).
MAX_PLURALS = 10
#: A `%(name)s` conversion: the name, and any flags, width or precision before the type.
_CONVERSION = re.compile(r"%\((\w+)\)([-#0 +]*\d*(?:\.\d*)?)[a-zA-Z]")
_CHARSET = re.compile(rb"charset=([A-Za-z0-9_.:-]+)")
_NPLURALS = re.compile(rb"nplurals\s*=\s*(\d+)")
_KEYWORD_STRING = re.compile(rb'^\s*(?:msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)?\s*(".*)$')


def variables_of(text: str) -> set[str]:
    """The `%(name)s` variables a gettext message uses."""
    return {match[1] for match in _CONVERSION.finditer(text)}


def _short(msgid: str, width: int = 40) -> str:
    return msgid if len(msgid) <= width else msgid[: width - 3] + "..."


def _unterminated(line: bytes) -> bool:
    """True for a keyword or continuation line whose string has no closing quote."""
    match = _KEYWORD_STRING.match(line)
    if match is None:
        return False
    string = match[1].rstrip()
    if len(string) < 2 or not string.endswith(b'"'):
        return True
    backslashes = len(string[:-1]) - len(string[:-1].rstrip(b"\\"))
    return backslashes % 2 == 1


def _keeps_ascii(info: codecs.CodecInfo) -> bool:
    """A text encoding in which a .po file's ASCII reads as ASCII (not rot13, punycode, base64)."""
    if not getattr(info, "_is_text_encoding", True):
        return False
    sample = b'msgid "Aa %(x)s"\n'
    try:
        return info.decode(sample)[0] == sample.decode("ascii")
    except (UnicodeError, ValueError):
        return False


def check_po_bytes(data: bytes, path: Path) -> str:
    """Check what Babel would let through (see the module docstring); return the charset."""
    charset = "utf-8"
    found = _CHARSET.search(data)
    if found:
        charset = found[1].decode("ascii")
        try:
            info = codecs.lookup(charset)
        except LookupError:
            info = None
        if info is None or not _keeps_ascii(info):
            raise CatalogError(
                f"the header's charset `{charset}` is not a text encoding",
                file=path,
                line=data[: found.start()].count(b"\n") + 1,
                hint="write the catalog in UTF-8 and say `charset=UTF-8`",
            )
        charset = info.name
    plurals = _NPLURALS.search(data)
    if plurals and not 1 <= int(plurals[1]) <= MAX_PLURALS:
        raise CatalogError(
            f"`nplurals={int(plurals[1])}` is not between 1 and {MAX_PLURALS}",
            file=path,
            line=data[: plurals.start()].count(b"\n") + 1,
            hint="copy the Plural-Forms line of the language from the gettext manual",
        )
    for number, line in enumerate(data.split(b"\n"), start=1):
        stripped = line.strip()
        if stripped.startswith(b"#") or not stripped:
            continue
        if _unterminated(line):
            raise CatalogError(
                "unterminated string: the line's text has no closing `\"`",
                file=path,
                line=number,
                hint='end the line with `"`; write a quote inside the text as `\\"`',
            )
        try:
            line.decode(charset)
        except UnicodeError as exc:
            raise CatalogError(
                f"not {charset} text ({exc})",
                file=path,
                line=number,
                hint="save the file in the encoding its header names",
            ) from None
    if charset != "utf-8" and not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            raise CatalogError(
                f"the header says `charset={charset}`, but the text is UTF-8",
                file=path,
                hint="say `charset=UTF-8` in the header",
            )
    return charset


def read_catalog(path: Path) -> Catalog:
    """Babel's Catalog for a .po or .pot file; CatalogError naming the line otherwise."""
    from babel.messages.pofile import PoFileError, read_po

    path = Path(path)
    try:
        data = safeio.read_bytes(path, kind="catalog")
    except InputError as exc:
        raise CatalogError(exc.message, file=path, hint=exc.hint) from None
    except OSError as exc:
        raise CatalogError(f"cannot read the catalog: {exc.strerror}", file=path) from None
    check_po_bytes(data, path)
    try:
        return read_po(io.BytesIO(data), abort_invalid=True)
    except PoFileError as exc:
        line = getattr(exc, "lineno", None)
        raise CatalogError(
            f"not a valid gettext catalog: {exc}",
            file=path,
            line=line + 1 if isinstance(line, int) else None,
        ) from None
    except (ValueError, LookupError, IndexError, UnicodeDecodeError) as exc:
        raise CatalogError(f"not a valid gettext catalog: {exc}", file=path) from None


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One message of a .po file."""

    #: The English text, as the template's `{% trans %}` block makes it.
    msgid: str
    #: The translation; "" when untranslated. Plural entries keep their forms
    #: in `plural_forms` and the first form here.
    msgstr: str
    #: 1-based line of the entry's `msgid` in the .po file.
    line: int
    #: Marked `#, fuzzy`: never used.
    fuzzy: bool = False
    #: The msgid_plural of a plural entry, else None.
    msgid_plural: str | None = None
    #: All msgstr[N] forms of a plural entry.
    plural_forms: tuple[str, ...] = ()

    @property
    def usable(self) -> bool:
        """Translated and not fuzzy."""
        return bool(self.msgstr) and not self.fuzzy


@dataclass(frozen=True, slots=True)
class PoCatalog:
    """A .po file, read and checked."""

    path: Path
    #: The file's name without `.po`, as the catalog directory spells it.
    name: str
    #: Its messages in file order (header, obsolete and msgctxt entries left out).
    entries: tuple[CatalogEntry, ...]
    _by_id: dict[str, CatalogEntry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {entry.msgid: entry for entry in self.entries})

    def entry(self, msgid: str) -> CatalogEntry | None:
        """The entry for `msgid`, if the catalog has one."""
        return self._by_id.get(msgid)


def _check_entry(entry: CatalogEntry, path: Path) -> None:
    """Raise CatalogError when a usable translation breaks its msgid's variables."""
    if not entry.usable:
        return
    wanted = variables_of(entry.msgid) | variables_of(entry.msgid_plural or "")

    def error(message: str, hint: str) -> CatalogError:
        return CatalogError(message, file=path, line=entry.line, key=_short(entry.msgid), hint=hint)

    for form in entry.plural_forms or (entry.msgstr,):
        have = variables_of(form)
        problems = []
        if wanted - have:
            problems.append("drops " + ", ".join(f"`%({v})s`" for v in sorted(wanted - have)))
        if have - wanted:
            problems.append("adds " + ", ".join(f"`%({v})s`" for v in sorted(have - wanted)))
        if problems:
            raise error(
                f"the translation {' and '.join(problems)}; it must use exactly the variables "
                f"of its msgid ({', '.join(f'`%({v})s`' for v in sorted(wanted)) or 'none'})",
                "commands and paths are variables so that they stay exactly as configured",
            )
        for match in _CONVERSION.finditer(form):
            if match[2]:
                raise error(
                    f"the translation formats `%({match[1]})s` with `{match[2]}`; a variable "
                    "is shown exactly as configured",
                    f"write `%({match[1]})s`",
                )
        try:
            form % dict.fromkeys(wanted, "x")
        except (TypeError, ValueError, KeyError) as exc:
            raise error(
                f"the translation is not a valid format string ({exc})",
                "write a literal percent sign as `%%`",
            ) from None
        control = FORBIDDEN_IN_TEXT.search(form.replace("\n", " "))
        if control:
            raise error(
                f"the translation contains the {char_name(control[0])}",
                "use plain spaces; pip and uv would split, garble or hide the text",
            )


def load_catalog(path: Path) -> PoCatalog:
    """Read and check a .po file."""
    path = Path(path)
    entries: list[CatalogEntry] = []
    for message in read_catalog(path):
        if not message.id or message.context is not None:
            # The header; and a `{% trans context %}` block asks pgettext, which
            # falls back to English: a msgctxt entry never translates a plain msgid.
            continue
        line = message.lineno or 0
        if isinstance(message.id, tuple | list):
            forms = tuple(str(s or "") for s in message.string or ())
            complete = bool(forms) and all(forms)
            entry = CatalogEntry(
                str(message.id[0]),
                forms[0] if complete else "",
                line,
                message.fuzzy,
                str(message.id[1]),
                forms if complete else (),
            )
        else:
            entry = CatalogEntry(str(message.id), str(message.string or ""), line, message.fuzzy)
        _check_entry(entry, path)
        entries.append(entry)
    return PoCatalog(path, path.name.removesuffix(".po"), tuple(entries))


class CatalogTranslations(gettext.NullTranslations):
    """A gettext translations object over a PoCatalog that records what a render asked for.

    Fuzzy and untranslated messages fall back to the English msgid (and are
    listed in `missing`).
    """

    def __init__(self, catalog: PoCatalog) -> None:
        super().__init__()
        self.catalog = catalog
        #: Entries whose translation was used, in render order.
        self.used: list[CatalogEntry] = []
        #: msgids the catalog could not translate, in render order.
        self.missing: list[str] = []

    def gettext(self, message: str) -> str:
        entry = self.catalog.entry(message)
        if entry is None or not entry.usable:
            self.missing.append(message)
            return message
        self.used.append(entry)
        return entry.msgstr

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        entry = self.catalog.entry(msgid1)
        if entry is None or not entry.usable or not entry.plural_forms:
            self.missing.append(msgid1)
            return msgid1 if n == 1 else msgid2
        self.used.append(entry)
        # Germanic plural rule; the built-in template has no plurals.
        index = 0 if n == 1 else 1
        return entry.plural_forms[min(index, len(entry.plural_forms) - 1)]


def available_catalogs(directory: Path) -> list[str]:
    """The locale names of the .po files in `directory`, sorted."""
    if not directory.is_dir():
        return []
    return sorted(path.name.removesuffix(".po") for path in directory.glob("*.po"))


def find_catalog(directory: Path, given: str, parsed: LocaleName) -> Path | None:
    """`directory/LOCALE.po` for a locale, trying the usual spellings."""
    names = [given, parsed.pip_name, given.replace("-", "_"), given.replace("_", "-")]
    if parsed.script:
        names.append("_".join(p for p in (parsed.language, parsed.script, parsed.territory) if p))
    for name in dict.fromkeys(names):
        candidate = directory / f"{name}.po"
        if candidate.exists():
            return candidate
    # Case-insensitive last resort (`pt_br.po`).
    folded = {name.lower(): name for name in available_catalogs(directory)}
    match = folded.get(parsed.pip_name.lower())
    return directory / f"{match}.po" if match else None
