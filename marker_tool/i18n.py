"""Gettext catalogs for marker messages: .po loading, checks, locale sections.

Babel for locale identifiers and the catalog workflow; imported only by the
commands that translate (render, install, i18n). Locale identifiers as pip
sees them live in `marker_tool.locales`, which validate and preview use
without Babel.

How a locale becomes a marker section (`locale_messages`):

- the locale is checked with Babel (unknown -> ConfigError with a suggestion)
  and turned into the key pip looks up (`pt-BR` -> `Error-pt_BR`);
- its text comes from the config's inline `[i18n.texts]`, else from
  `LOCALE.po` in the catalog directory (the built-in catalogs when the config
  names none), read directly by `marker_tool.po` (no .mo compile step, no
  Babel: its catalog module is slow to import). Fuzzy entries are never used;
- a catalog that leaves a message the marker uses untranslated is left out
  with a warning, unless the config sets `partial = true`;
- translations that add, drop or rename a `%(variable)s` of their msgid, or
  render to text the INI writer refuses, are CatalogErrors naming the .po file
  and line;
- with `territory_fallback` (the default), the first territory locale of a
  language (`pt_BR`) also serves the language (`Error-pt`) when no
  language-level locale is shipped.
"""

from __future__ import annotations

import functools
import gettext
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from marker_tool.errors import CatalogError, ConfigError, MarkerToolError, SerializeError
from marker_tool.locales import (
    COMMON_LOCALES,
    LocaleName,
    parse_locale_name,
    pip_lookup_keys,
    resolve_key,
)
from marker_tool.model import ERROR_KEY, Distributor, Marker, Message, PythonVersion

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

    from marker_tool.po import PoEntry

#: `render_message(distributor, python, translations=...)`, as render.py passes it.
RenderMessage = Callable[..., str]

LOCALE_DATA = Path(__file__).with_name("_locale_data.py")
#: What `{% trans %}` blocks become: Jinja's extractor with the render settings.
JINJA_OPTIONS = {
    "extensions": "jinja2.ext.i18n",
    "trimmed": "true",
    "newstyle_gettext": "true",
    "trim_blocks": "true",
    "lstrip_blocks": "true",
}
POT_NAME = "messages.pot"
#: The header comment of the built-in catalogs.
REVIEW_NOTE = (
    "These translations were written for marker-tool and need review by a native speaker.\n"
    "Commands, package names and paths are %(variables)s: keep them exactly."
)
_VARIABLE = re.compile(r"%\((\w+)\)[a-z]")
#: Characters a translation must not contain: C0 controls but newline, DEL and
#: the Unicode line separators (one regex search instead of a loop per character:
#: every shipped catalog is checked on every translating run).
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f\u2028\u2029]")
#: Languages written without spaces between sentences.
_NO_SENTENCE_SPACE = frozenset({"ja", "zh", "yue"})
#: The space the template puts between two sentences, after a full-width stop.
_SPACE_AFTER_FULL_STOP = re.compile("(?<=[\u3002\uff01\uff1f]) (?=\\S)")


@functools.cache
def builtin_catalog_dir() -> Path:
    """The built-in catalogs: `templates/locale` (in the wheel: marker_tool/templates/locale)."""
    from marker_tool.config import templates_dir

    return templates_dir() / "locale"


def catalog_dir(distributor: Distributor) -> Path:
    """Where `distributor`'s `LOCALE.po` files are."""
    configured = distributor.i18n.catalog_dir
    return Path(configured) if configured else builtin_catalog_dir()


# -- locale identifiers ---------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _check_locale(name: str) -> LocaleName | str:
    """The parsed locale, or the error message and hint joined by a newline."""
    from babel import Locale, UnknownLocaleError, localedata

    try:
        parsed = parse_locale_name(name)
    except ValueError as exc:
        return str(exc)
    from marker_tool._locale_data import SCRIPT_LOCALES

    ident = "_".join(part for part in (parsed.language, parsed.script, parsed.territory) if part)
    try:
        Locale.parse(SCRIPT_LOCALES.get(ident, ident))
    except (UnknownLocaleError, ValueError):
        import difflib

        known = localedata.locale_identifiers()
        same = [other for other in known if other.split("_")[0] == parsed.language]
        close = difflib.get_close_matches(ident, same, n=2, cutoff=0.5)
        close = close or difflib.get_close_matches(ident, known, n=2, cutoff=0.6)
        hint = (
            "did you mean " + " or ".join(f"`{c}`" for c in close) + "?"
            if close
            else "use a language code like `de`, or language_TERRITORY like `pt_BR`"
        )
        return f"unknown locale `{name}`\n{hint}"
    return parsed


def check_locale(name: str, *, file: str | None = None, key: str | None = None) -> LocaleName:
    """`name` checked with Babel and parsed; ConfigError with a suggestion otherwise."""
    result = _check_locale(name)
    if isinstance(result, str):
        message, _, hint = result.partition("\n")
        raise ConfigError(message, file=file, key=key, hint=hint or None)
    return result


# -- catalogs -------------------------------------------------------------------


class CatalogEntry(NamedTuple):
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


class PoCatalog:
    """A .po file, read and checked; built once per file and never changed.

    A plain class rather than a tuple: it carries its msgid index, built once.
    """

    __slots__ = ("_by_id", "entries", "name", "path")

    def __init__(self, path: Path, name: str, entries: tuple[CatalogEntry, ...]) -> None:
        self.path = path
        #: The file's name without `.po`, as the catalog directory spells it.
        self.name = name
        #: Its messages in file order (header and obsolete entries left out).
        self.entries = entries
        self._by_id = {entry.msgid: entry for entry in entries}

    def entry(self, msgid: str) -> CatalogEntry | None:
        """The entry for `msgid`, if the catalog has one."""
        return self._by_id.get(msgid)


def variables_of(text: str) -> set[str]:
    """The `%(name)s` variables a gettext message uses."""
    return set(_VARIABLE.findall(text))


def _check_entry(entry: CatalogEntry, path: Path) -> None:
    """Raise CatalogError when a usable translation breaks its msgid's variables."""
    if not entry.usable:
        return
    wanted = variables_of(entry.msgid) | variables_of(entry.msgid_plural or "")
    for form in entry.plural_forms or (entry.msgstr,):
        have = variables_of(form)
        problems = []
        if wanted - have:
            problems.append("drops " + ", ".join(f"`%({v})s`" for v in sorted(wanted - have)))
        if have - wanted:
            problems.append("adds " + ", ".join(f"`%({v})s`" for v in sorted(have - wanted)))
        if problems:
            raise CatalogError(
                f"the translation {' and '.join(problems)}; it must use exactly the variables "
                f"of its msgid ({', '.join(f'`%({v})s`' for v in sorted(wanted)) or 'none'})",
                file=path,
                line=entry.line,
                key=_short(entry.msgid),
                hint="commands and paths are variables so that they stay exactly as configured",
            )
        try:
            form % dict.fromkeys(wanted, "x")
        except (TypeError, ValueError, KeyError) as exc:
            raise CatalogError(
                f"the translation is not a valid format string ({exc})",
                file=path,
                line=entry.line,
                key=_short(entry.msgid),
                hint="write a literal percent sign as `%%`",
            ) from None
        control = _CONTROL.search(form)
        if control:
            raise CatalogError(
                f"the translation contains the control character U+{ord(control[0]):04X}",
                file=path,
                line=entry.line,
                key=_short(entry.msgid),
                hint="use plain spaces; pip and uv would split or garble the line",
            )


def _short(msgid: str, width: int = 40) -> str:
    return msgid if len(msgid) <= width else msgid[: width - 3] + "..."


_CACHE: dict[Path, tuple[tuple[int, int], PoCatalog]] = {}


def read_catalog(path: Path) -> Catalog:
    """Babel's Catalog for a .po or .pot file; CatalogError when it cannot be parsed."""
    from babel.messages.pofile import PoFileError, read_po

    try:
        with path.open("rb") as handle:
            return read_po(handle, abort_invalid=True)
    except OSError as exc:
        raise CatalogError(f"cannot read the catalog: {exc.strerror}", file=path) from None
    except PoFileError as exc:
        raise CatalogError(
            f"not a valid gettext catalog: {exc}", file=path, line=getattr(exc, "lineno", None)
        ) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise CatalogError(f"not a valid gettext catalog: {exc}", file=path) from None


def read_messages(path: Path) -> list[PoEntry]:
    """The messages of a .po file, read without Babel (see marker_tool.po for why)."""
    from marker_tool.po import PoSyntaxError, read_po

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CatalogError(f"cannot read the catalog: {exc.strerror}", file=path) from None
    try:
        return read_po(data)
    except PoSyntaxError as exc:
        raise CatalogError(
            f"not a valid gettext catalog: {exc.message}", file=path, line=exc.line
        ) from None


def load_catalog(path: Path) -> PoCatalog:
    """Read and check a .po file; cached per run (by path, mtime and size)."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError as exc:
        raise CatalogError(f"cannot read the catalog: {exc.strerror}", file=path) from None
    stamp = (stat.st_mtime_ns, stat.st_size)
    cached = _CACHE.get(path)
    if cached and cached[0] == stamp:
        return cached[1]
    entries: list[CatalogEntry] = []
    for message in read_messages(path):
        if message.context is not None:
            # A `{% trans context %}` block asks pgettext, which falls back to
            # English; a msgctxt entry must never translate a plain msgid.
            continue
        forms = message.msgstr
        if message.msgid_plural is None:
            entry = CatalogEntry(message.msgid, forms[0], message.line, message.fuzzy)
        else:
            complete = all(forms)
            entry = CatalogEntry(
                message.msgid,
                forms[0] if complete else "",
                message.line,
                message.fuzzy,
                message.msgid_plural,
                forms if complete else (),
            )
        _check_entry(entry, path)
        entries.append(entry)
    catalog = PoCatalog(path, path.name.removesuffix(".po"), tuple(entries))
    _CACHE[path] = (stamp, catalog)
    return catalog


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
        if candidate.is_file():
            return candidate
    # Case-insensitive last resort (`pt_br.po`).
    folded = {name.lower(): name for name in available_catalogs(directory)}
    match = folded.get(parsed.pip_name.lower())
    return directory / f"{match}.po" if match else None


# -- locale sections --------------------------------------------------------------


class LocaleSource(NamedTuple):
    """Where one shipped locale's text comes from."""

    #: The locale as the config or command line wrote it.
    given: str
    parsed: LocaleName
    #: The inline text from `[i18n.texts]`, when there is one.
    text: str | None = None
    #: The .po file, when the text comes from a catalog.
    catalog: Path | None = None


def plan_locales(distributor: Distributor, locales: Sequence[str] = ()) -> list[LocaleSource]:
    """The locales a marker ships and their sources, in file order.

    With no `locales`, or exactly the config's: the config's `locales`, then
    the locales that only have an inline text. Any other selection (the
    command line's `--locale`) is shipped exactly.
    """
    from marker_tool.config import BUILTIN_TEMPLATE

    settings = distributor.i18n
    where = distributor.source
    texts: dict[str, tuple[str, str]] = {}
    for given, text in settings.texts:
        parsed = check_locale(given, file=where, key=f"i18n.texts.{given}")
        texts[parsed.pip_name] = (given, text)
    selection: list[str] = list(locales) if locales else list(settings.locales)
    config_mode = not locales or tuple(locales) == settings.locales
    # Where a selected locale came from, for errors about it.
    origin_key = "i18n.locales" if config_mode else "--locale"
    origin_file = where if config_mode else None
    chosen: list[tuple[str, LocaleName]] = []
    for given in selection:
        chosen.append((given, check_locale(given, file=origin_file, key=origin_key)))
    if config_mode:
        named = {parsed.pip_name for _, parsed in chosen}
        for pip_name, (given, _) in texts.items():
            if pip_name not in named:
                chosen.append((given, parse_locale_name(given)))
    directory = catalog_dir(distributor)
    plan: list[LocaleSource] = []
    seen: dict[str, str] = {}
    for given, parsed in chosen:
        folded = parsed.key.lower()
        if folded in seen:
            if seen[folded] == given:
                continue
            raise ConfigError(
                f"`{seen[folded]}` and `{given}` both give the key `{parsed.key}`",
                file=origin_file,
                key=origin_key,
                hint="list each locale once",
            )
        seen[folded] = given
        if parsed.pip_name in texts:
            plan.append(LocaleSource(given, parsed, text=texts[parsed.pip_name][1]))
            continue
        found = find_catalog(directory, given, parsed)
        if found is None and settings.catalog_dir and distributor.template == BUILTIN_TEMPLATE:
            # A distributor's own catalogs add to the built-in ones for the built-in template.
            found = find_catalog(builtin_catalog_dir(), given, parsed)
        if found is None:
            import difflib

            have = available_catalogs(directory)
            close = difflib.get_close_matches(parsed.pip_name, have, n=1, cutoff=0.6)
            raise CatalogError(
                f"no catalog for `{given}`: {directory / (parsed.pip_name + '.po')} does not exist",
                file=origin_file,
                key=origin_key,
                hint=(
                    f"did you mean `{close[0]}`?"
                    if close
                    else f"catalogs there: {', '.join(have) or 'none'}; "
                    f"`marker-tool i18n init {parsed.pip_name}` creates po/{parsed.pip_name}.po "
                    '(then set `catalogs = "po"` under `[i18n]`)'
                ),
            )
        plan.append(LocaleSource(given, parsed, catalog=found))
    return plan


def _placeholder_values(distributor: Distributor, python: PythonVersion) -> dict[str, str]:
    from marker_tool.config import PLACEHOLDERS
    from marker_tool.render import template_variables

    values = template_variables(distributor, python)
    return {name: str(values[name]) for name in PLACEHOLDERS if name in values}


def _inline_text(distributor: Distributor, python: PythonVersion, source: LocaleSource) -> str:
    from marker_tool.config import fill_placeholders
    from marker_tool.ini import wrap_text

    key = f"i18n.texts.{source.given}"
    try:
        text = fill_placeholders(
            source.text or "", _placeholder_values(distributor, python), key=key
        )
    except MarkerToolError as exc:
        exc.file = exc.file or distributor.source
        raise
    return wrap_text(text)


def _worst_entry(used: Sequence[CatalogEntry], line: str) -> CatalogEntry | None:
    """The used catalog entry that most likely produced `line` of the rendered text."""
    import difflib

    best: tuple[int, CatalogEntry | None] = (0, None)
    for entry in used:
        flat = " ".join(entry.msgstr.split())
        match = difflib.SequenceMatcher(None, line, flat, autojunk=False).find_longest_match(
            0, len(line), 0, len(flat)
        )
        if match.size > best[0]:
            best = (match.size, entry)
    return best[1]


def _check_serializable(
    python: PythonVersion,
    message: Message,
    source: LocaleSource,
    used: Sequence[CatalogEntry],
    distributor: Distributor,
) -> None:
    """CatalogError (file and line of the translation) when the INI writer refuses the text."""
    from marker_tool import ini

    try:
        # The INI writer's refusal rules without its configparser read-back
        # (render_markers serializes the whole marker again anyway).
        ini.check_text(message.key, message.text, old_uv=False)
    except SerializeError as exc:
        lines = message.text.split("\n")
        bad = lines[exc.line - 1].strip() if exc.line and exc.line <= len(lines) else ""
        if source.catalog is None:
            raise ConfigError(
                f"the inline `{source.given}` text cannot be written to the marker: {exc.message}",
                file=distributor.source,
                key=f"i18n.texts.{source.given}",
                hint=exc.hint,
            ) from None
        entry = _worst_entry(used, bad) if bad else None
        raise CatalogError(
            f"the `{source.given}` translation cannot be written to the marker: {exc.message}",
            file=source.catalog,
            line=entry.line if entry else None,
            key=_short(entry.msgid) if entry else None,
            hint=exc.hint,
        ) from None


def locale_messages(
    distributor: Distributor,
    python: PythonVersion,
    locales: Sequence[str],
    render_message: RenderMessage,
) -> tuple[list[Message], list[str]]:
    """The `Error-<locale>` messages for one Python, in file order, and warnings.

    `locales` is the selection (the command line's `--locale`, else the
    config's `locales`); see `plan_locales`.
    """
    settings = distributor.i18n
    messages: list[Message] = []
    warnings: list[str] = []
    checks: list[tuple[Message, LocaleSource, list[CatalogEntry]]] = []
    for source in plan_locales(distributor, locales):
        key = source.parsed.key
        used: list[CatalogEntry] = []
        if source.catalog is None:
            text = _inline_text(distributor, python, source)
        else:
            catalog = load_catalog(source.catalog)
            translations = CatalogTranslations(catalog)
            text = render_message(distributor, python, translations=translations)
            if source.parsed.language in _NO_SENTENCE_SPACE:
                text = _SPACE_AFTER_FULL_STOP.sub("", text)
            used = translations.used
            missing = list(dict.fromkeys(translations.missing))
            if missing:
                fuzzy = [m for m in missing if (e := catalog.entry(m)) is not None and e.fuzzy]
                total = len(missing) + len({e.msgid for e in used})
                detail = f"{len(missing)} of {total} messages the marker uses are untranslated"
                if fuzzy:
                    detail += f" ({len(fuzzy)} fuzzy)"
                first = _first_missing(source.catalog, catalog, missing[0])
                if not settings.partial:
                    warnings.append(
                        f"`{key}` left out: {detail}, the first {first}; "
                        "translate them or set `partial = true` in `[i18n]`"
                    )
                    continue
                warnings.append(f"`{key}` is partial: {detail}; they are shown in English")
        message = Message(key, text, source.parsed.pip_name)
        checks.append((message, source, used))
        messages.append(message)
    for message, source, used in checks:
        _check_serializable(python, message, source, used, distributor)
    if settings.territory_fallback:
        messages = _with_fallbacks(messages)
    return messages, warnings


def _first_missing(path: object, catalog: PoCatalog, msgid: str) -> str:
    """Where the first untranslated message is: its line, or that it has no entry."""
    entry = catalog.entry(msgid)
    if entry is None:
        return f"has no entry in {path} ({_short(msgid)!r}; run `marker-tool i18n update`)"
    return f"at {path}:{entry.line}"


def _with_fallbacks(messages: list[Message]) -> list[Message]:
    """Add `Error-pt` after the first `Error-pt_XX` when no `Error-pt` is shipped."""
    keys = {message.key.lower() for message in messages}
    out: list[Message] = []
    for message in messages:
        out.append(message)
        language, sep, _ = (message.locale or "").partition("_")
        fallback = f"{ERROR_KEY}-{language}"
        if sep and fallback.lower() not in keys:
            keys.add(fallback.lower())
            out.append(message._replace(key=fallback))
    return out


# -- catalog workflow: extract, init, update --------------------------------------------


def _now() -> datetime:
    """Now, or SOURCE_DATE_EPOCH for reproducible catalogs."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), UTC)
    return datetime.now(UTC).replace(microsecond=0)


def extract_messages(templates: Sequence[Path], *, relative_to: Path | None = None) -> Catalog:
    """A .pot catalog of every `{% trans %}` block in `templates` (Jinja's extractor, trimmed)."""
    import jinja2
    from babel.messages.catalog import Catalog
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
    from jinja2.ext import babel_extract

    from marker_tool import __version__

    catalog = Catalog(
        project="marker-tool",
        version=__version__,
        charset="utf-8",
        creation_date=_now(),
        fuzzy=False,
    )
    for template in templates:
        path = Path(template)
        if not path.is_file():
            raise CatalogError(f"template `{path}` does not exist", file=path)
        shown = os.path.relpath(path, relative_to) if relative_to else str(path)
        try:
            found = list(
                extract_from_file(
                    babel_extract,  # type: ignore[arg-type]  # jinja's stub is narrower
                    str(path),
                    keywords=DEFAULT_KEYWORDS,
                    options=JINJA_OPTIONS,
                )
            )
        except jinja2.TemplateSyntaxError as exc:
            raise CatalogError(
                f"template syntax error: {exc.message}", file=path, line=exc.lineno
            ) from None
        for lineno, message, comments, context in found:
            catalog.add(
                message,
                None,
                [(shown.replace(os.sep, "/"), lineno)],
                auto_comments=comments,
                context=context,
            )
    return catalog


def write_catalog(catalog: Catalog, path: Path) -> None:
    """Write a .po/.pot file (76 columns, source lines kept), replacing it atomically."""
    from babel.messages.pofile import write_po

    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("wb") as handle:
        write_po(handle, catalog, width=76, include_lineno=True)
    temporary.replace(path)


def builtin_templates() -> list[Path]:
    """The built-in message templates (`templates/*.txt.j2`)."""
    from marker_tool.config import templates_dir

    return sorted(templates_dir().glob("*.txt.j2"))


def extract_pot(templates: Sequence[Path], output: Path) -> int:
    """Write `output` (a .pot) from `templates`; return the number of messages."""
    catalog = extract_messages(templates, relative_to=output.parent)
    write_catalog(catalog, output)
    return len([m for m in catalog if m.id])


def init_catalog(locale: str, directory: Path, *, pot: Path | None = None) -> Path:
    """Create `directory/LOCALE.po` from the .pot; refuse to overwrite one."""
    parsed = check_locale(locale, key="LOCALE")
    pot = pot or directory / POT_NAME
    if not pot.is_file():
        raise CatalogError(
            f"no template catalog {pot}", file=pot, hint="run `marker-tool i18n extract` first"
        )
    target = directory / f"{parsed.pip_name}.po"
    if target.exists():
        raise CatalogError(
            f"{target} already exists", file=target, hint="use `marker-tool i18n update` to merge"
        )
    catalog = read_catalog(pot)
    # A string keeps the header's `Language` as pip spells it (`zh_TW`, not `zh_Hant_TW`).
    catalog.locale = parsed.pip_name
    catalog.revision_date = _now()
    catalog.fuzzy = False
    catalog.header_comment = (
        f"# {parsed.pip_name} translation of the EXTERNALLY-MANAGED marker messages.\n"
        "# Commands, package names and paths are %(variables)s: keep them exactly.\n"
        "#"
    )
    write_catalog(catalog, target)
    return target


class UpdateResult(NamedTuple):
    """What `update_catalogs` did to one .po file."""

    path: Path
    #: Messages new in the .pot, now untranslated.
    added: int
    #: Messages whose msgid changed: matched to an old translation and marked fuzzy.
    fuzzy: int
    #: Messages no longer in the .pot, kept as obsolete (`#~`).
    obsolete: int


def update_catalogs(directory: Path, *, pot: Path | None = None) -> list[UpdateResult]:
    """Merge the .pot into every .po in `directory`; changed messages become fuzzy."""
    pot = pot or directory / POT_NAME
    if not pot.is_file():
        raise CatalogError(
            f"no template catalog {pot}", file=pot, hint="run `marker-tool i18n extract` first"
        )
    template = read_catalog(pot)
    results = []
    for name in available_catalogs(directory):
        path = directory / f"{name}.po"
        catalog = read_catalog(path)
        before = {m.id for m in catalog if m.id and not m.fuzzy}
        previous = {m.id for m in catalog if m.id}
        catalog.update(template)
        fuzzy = sum(1 for m in catalog if m.id and m.fuzzy and m.id not in before)
        added = sum(1 for m in catalog if m.id and m.id not in previous and not m.fuzzy)
        write_catalog(catalog, path)
        _CACHE.pop(path, None)
        results.append(UpdateResult(path, added, fuzzy, len(catalog.obsolete)))
    return results


# -- reports: stats and coverage ---------------------------------------------------------


class CatalogStats(NamedTuple):
    """How far one catalog translates a distributor's template."""

    #: The catalog's locale name (`pt_BR`).
    locale: str
    path: Path
    #: Template messages with a usable translation.
    translated: int
    #: Template messages whose translation is fuzzy (not used).
    fuzzy: int
    #: Template messages with no translation at all.
    untranslated: int
    #: The keys this locale gives the markers (`Error-pt_BR`, `Error-pt`);
    #: empty when it is left out.
    keys: tuple[str, ...]
    #: Why it is left out, when it is.
    note: str | None = None


def template_msgids(distributor: Distributor) -> list[str]:
    """The messages of `distributor`'s template, in template order."""
    from marker_tool.render import template_file

    catalog = extract_messages([template_file(distributor.template)])
    return [str(m.id) for m in catalog if m.id and isinstance(m.id, str)]


def catalog_stats(distributor: Distributor, *, directory: Path | None = None) -> list[CatalogStats]:
    """Per catalog in the directory: translated / fuzzy / untranslated and the keys it yields."""
    from marker_tool.render import render_message

    directory = directory or catalog_dir(distributor)
    if directory != catalog_dir(distributor):
        distributor = distributor._replace(
            i18n=distributor.i18n._replace(catalog_dir=str(directory))
        )
    names = available_catalogs(directory)
    msgids = template_msgids(distributor)
    keys: dict[str, list[str]] = {name: [] for name in names}
    notes: dict[str, str] = {}
    if names:
        for python in distributor.pythons:
            messages, warnings = locale_messages(distributor, python, names, render_message)
            for message in messages:
                name = _catalog_name_for(message.locale, names)
                if name and message.key not in keys[name]:
                    keys[name].append(message.key)
            for warning in warnings:
                for name in names:
                    if f"{name}.po" in warning and "left out" in warning:
                        notes.setdefault(name, warning)
    out = []
    for name in names:
        catalog = load_catalog(directory / f"{name}.po")
        translated = fuzzy = 0
        for msgid in msgids:
            entry = catalog.entry(msgid)
            if entry and entry.usable:
                translated += 1
            elif entry and entry.fuzzy and entry.msgstr:
                fuzzy += 1
        untranslated = len(msgids) - translated - fuzzy
        out.append(
            CatalogStats(
                name,
                catalog.path,
                translated,
                fuzzy,
                untranslated,
                tuple(keys[name]),
                notes.get(name),
            )
        )
    return out


def _catalog_name_for(pip_name: str | None, names: Iterable[str]) -> str | None:
    for name in names:
        try:
            if parse_locale_name(name).pip_name == pip_name:
                return name
        except ValueError:
            continue
    return None


class CoverageRow(NamedTuple):
    """What pip shows a user of one UI locale."""

    #: The user's LANG / LC_ALL, `de_AT.UTF-8`.
    lang_env: str
    #: The keys pip tries, in order.
    tried: tuple[str, ...]
    #: The key pip lands on; None when the marker has none of them (pip's own message).
    key: str | None
    #: The locale of the text under `key` (`de`, `pt_BR`); None for English `Error`.
    text_locale: str | None


def coverage(marker: Marker, *, ui_locales: Sequence[str] = COMMON_LOCALES) -> list[CoverageRow]:
    """For each UI locale (generated on the user's machine), the section pip shows."""
    locales = {message.key: message.locale for message in marker.messages}
    rows = []
    for lang_env in ui_locales:
        key = resolve_key(lang_env, marker.python, locales)
        rows.append(
            CoverageRow(
                lang_env,
                tuple(pip_lookup_keys(lang_env, marker.python)),
                key,
                locales.get(key) if key else None,
            )
        )
    return rows


# -- the generated language data ------------------------------------------------------


def babel_language_codes() -> tuple[frozenset[str], frozenset[str]]:
    """(languages, territories) as Babel's CLDR data has them."""
    from babel import Locale, localedata

    english = Locale("en")
    languages = {ident.split("_")[0] for ident in localedata.locale_identifiers()}
    languages |= {
        code
        for code in english.languages
        if isinstance(code, str) and code.isalpha() and code.islower()
    }
    territories = {code for code in english.territories if isinstance(code, str) and code.isalnum()}
    return frozenset(languages), frozenset(territories)


def babel_script_locales() -> dict[str, str]:
    """`zh_CN` -> `zh_Hans_CN`: Babel's identifier for language_TERRITORY forms that need a script.

    Locale.parse finds these through CLDR's likely subtags, which costs a
    directory listing and a large pickle; the table lets a run skip that.
    """
    from babel import Locale, UnknownLocaleError, localedata

    known = set(localedata.locale_identifiers())
    table = {}
    for ident in sorted(known):
        parts = ident.split("_")
        if len(parts) == 3 and len(parts[1]) == 4:
            short = f"{parts[0]}_{parts[2]}"
            try:
                if short not in known and str(Locale.parse(short)) == ident:
                    table[short] = ident
            except (UnknownLocaleError, ValueError):
                continue
    return table


def locale_data_module() -> str:
    """The source of `marker_tool/_locale_data.py`, generated from Babel's CLDR data."""
    from babel import __version__ as babel_version

    languages, territories = babel_language_codes()

    def words(name: str, doc: str, values: frozenset[str]) -> list[str]:
        lines = [f"_{name} = ("]
        line = ""
        for item in sorted(values):
            if len(line) + len(item) + 1 > 88:
                lines.append(f'    "{line}"')
                line = ""
            line += f"{item} "
        lines += [
            f'    "{line.rstrip()}"',
            ")",
            f"#: {doc}",
            f"{name} = frozenset(_{name}.split())",
            "",
        ]
        return lines

    return "\n".join(
        [
            f'"""Language and territory codes from Babel {babel_version}\'s CLDR data.',
            "",
            "Generated by `marker_tool.i18n.locale_data_module()`; regenerate with",
            "`python -m marker_tool.i18n regenerate-locale-data`. A test checks that it",
            "matches the installed Babel. Do not edit by hand.",
            '"""',
            "",
            "from __future__ import annotations",
            "",
            "#: The Babel version this was generated from.",
            f'BABEL_VERSION = "{babel_version}"',
            "",
            *words("LANGUAGES", "Language codes Babel knows (`de`, `pt`, `yue`).", languages),
            *words("TERRITORIES", "Territory codes Babel knows (`BR`, `TW`, `419`).", territories),
            "#: language_TERRITORY -> Babel's identifier with script (`zh_CN` -> `zh_Hans_CN`).",
            "SCRIPT_LOCALES = {",
            *(f'    "{short}": "{full}",' for short, full in babel_script_locales().items()),
            "}",
            "",
        ]
    )


def _main(argv: list[str]) -> int:
    if argv == ["regenerate-locale-data"]:
        LOCALE_DATA.write_text(locale_data_module(), encoding="utf-8")
        print(f"wrote {LOCALE_DATA}")
        return 0
    print("usage: python -m marker_tool.i18n regenerate-locale-data", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
