"""Which `Error-<locale>` sections a marker ships, and how each becomes a message.

How a locale becomes a marker section:

- the locale is checked (`marker_tool.locales.check_locale`) and turned into
  the key pip looks up (`pt-BR` -> `Error-pt_BR`);
- its text comes from the config's inline `[i18n.texts]`, else from
  `LOCALE.po` in the catalog directory (the built-in catalogs when the config
  names none, and in addition to the distributor's own for the built-in
  template). Fuzzy entries are never used;
- a catalog that leaves a message the marker uses untranslated is left out
  with a warning, unless the config sets `partial = true`;
- a rendered translation the INI writer would refuse is a CatalogError naming
  the .po file and line of the entry it most likely came from;
- with `territory_fallback` (the default), the first territory locale of a
  language (`pt_BR`) also serves the language (`Error-pt`) when no
  language-level locale is shipped.

Rendering is not done here: `marker_tool.render` renders each message with
the translations `catalogs` gives and hands the text to `finish`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from marker_tool import ini
from marker_tool.errors import CatalogError, ConfigError, SerializeError, closest
from marker_tool.i18n.catalogs import (
    CatalogEntry,
    CatalogTranslations,
    PoCatalog,
    _short,
    available_catalogs,
    find_catalog,
)
from marker_tool.locales import LocaleName, check_locale
from marker_tool.model import ERROR_KEY, Distributor, Message
from marker_tool.presets import BUILTIN_TEMPLATE, builtin_catalog_dir

#: Languages written without spaces between sentences.
_NO_SENTENCE_SPACE = frozenset({"ja", "zh", "yue"})
#: The space the template puts between two sentences, after a full-width stop.
_SPACE_AFTER_FULL_STOP = re.compile("(?<=[\u3002\uff01\uff1f]) (?=\\S)")


def catalog_dir(distributor: Distributor) -> Path:
    """Where `distributor`'s `LOCALE.po` files are."""
    configured = distributor.i18n.catalog_dir
    return Path(configured) if configured else builtin_catalog_dir()


@dataclass(frozen=True, slots=True)
class LocaleSource:
    """Where one shipped locale's text comes from."""

    #: The locale as the config or command line wrote it.
    given: str
    parsed: LocaleName
    #: The inline text from `[i18n.texts]`, when there is one.
    text: str | None = None
    #: The .po file, when the text comes from a catalog.
    catalog: Path | None = None


def _checked(name: str, *, file: str | None, key: str) -> LocaleName:
    try:
        return check_locale(name)
    except ConfigError as exc:
        raise ConfigError(exc.message, file=file, key=key, hint=exc.hint) from None


def plan_locales(distributor: Distributor, locales: Sequence[str] = ()) -> list[LocaleSource]:
    """The locales a marker ships and their sources, in file order.

    With no `locales`, or exactly the config's: the config's `locales`, then
    the locales that only have an inline text. Any other selection (the
    command line's `--locale`) is shipped exactly.
    """
    settings = distributor.i18n
    where = distributor.source
    texts: dict[str, tuple[str, str]] = {}
    for given, text in settings.texts:
        parsed = _checked(given, file=where, key=f"i18n.texts.{given}")
        texts[parsed.pip_name] = (given, text)
    selection: list[str] = list(locales) if locales else list(settings.locales)
    config_mode = not locales or tuple(locales) == settings.locales
    # Where a selected locale came from, for errors about it.
    origin_key = "i18n.locales" if config_mode else "--locale"
    origin_file = where if config_mode else None
    chosen = [(given, _checked(given, file=origin_file, key=origin_key)) for given in selection]
    if config_mode:
        named = {parsed.pip_name for _, parsed in chosen}
        for pip_name, (given, _) in texts.items():
            if pip_name not in named:
                chosen.append((given, check_locale(given)))
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
            raise _no_catalog(directory, given, parsed, origin_file, origin_key)
        plan.append(LocaleSource(given, parsed, catalog=found))
    return plan


def _no_catalog(
    directory: Path, given: str, parsed: LocaleName, file: str | None, key: str
) -> CatalogError:
    have = available_catalogs(directory)
    language = [name for name in have if name.split("_")[0] == parsed.language]
    if language and parsed.territory:
        # `--locale de_DE` with only `de.po`: pip tries `Error-de` for de_DE users too.
        hint = f"use `{language[0]}`: pip shows `Error-{language[0]}` to {given} users too"
    elif close := closest(parsed.pip_name, have):
        hint = f"did you mean `{close}`?"
    else:
        hint = (
            f"catalogs there: {', '.join(have) or 'none'}; "
            f"`marker-tool i18n init {parsed.pip_name}` creates po/{parsed.pip_name}.po "
            '(then set `catalogs = "po"` under `[i18n]`)'
        )
    return CatalogError(
        f"no catalog for `{given}`: {directory / (parsed.pip_name + '.po')} does not exist",
        file=file,
        key=key,
        hint=hint,
    )


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


def _check_writable(
    message: Message, source: LocaleSource, used: Sequence[CatalogEntry], config: str | None
) -> None:
    """CatalogError (file and line of the translation) when the INI writer refuses the text."""
    try:
        # The writer's refusal rules; render serializes the whole marker afterwards.
        ini.check_text(message.key, message.text, old_uv=False)
    except SerializeError as exc:
        lines = message.text.split("\n")
        bad = lines[exc.line - 1].strip() if exc.line and exc.line <= len(lines) else ""
        if source.catalog is None:
            raise ConfigError(
                f"the inline `{source.given}` text cannot be written to the marker: {exc.message}",
                file=config,
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


def _first_missing(path: object, catalog: PoCatalog, msgid: str) -> str:
    """Where the first untranslated message is: its line, or that it has no entry."""
    entry = catalog.entry(msgid)
    if entry is None:
        return f"has no entry in {path} ({_short(msgid)!r}; run `marker-tool i18n update`)"
    return f"at {path}:{entry.line}"


def finish(
    distributor: Distributor,
    source: LocaleSource,
    text: str,
    translations: CatalogTranslations | None,
) -> tuple[Message | None, str | None]:
    """The message for one locale's rendered `text`, or None when it is left out; and a warning.

    `translations` is what the render asked (None for an inline text).
    """
    key = source.parsed.key
    used: list[CatalogEntry] = []
    warning = None
    if translations is not None:
        if source.parsed.language in _NO_SENTENCE_SPACE:
            text = _SPACE_AFTER_FULL_STOP.sub("", text)
        used = translations.used
        missing = list(dict.fromkeys(translations.missing))
        if missing:
            catalog = translations.catalog
            fuzzy = [m for m in missing if (e := catalog.entry(m)) is not None and e.fuzzy]
            total = len(missing) + len({e.msgid for e in used})
            detail = f"{len(missing)} of {total} messages the marker uses are untranslated"
            if fuzzy:
                detail += f" ({len(fuzzy)} fuzzy)"
            first = _first_missing(source.catalog, catalog, missing[0])
            if distributor.i18n.require_all:
                raise CatalogError(
                    f"`{key}` is incomplete: {detail}, the first {first}",
                    file=str(source.catalog),
                    hint="translate them (`marker-tool i18n stats` lists what is missing); "
                    "--strict and `require_all` demand every listed locale",
                )
            if not distributor.i18n.partial:
                return None, (
                    f"`{key}` left out: {detail}, the first {first}; "
                    "translate them or set `partial = true` in `[i18n]`"
                )
            warning = f"`{key}` is partial: {detail}; they are shown in English"
    message = Message(key, text, source.parsed.pip_name)
    _check_writable(message, source, used, distributor.source)
    return message, warning


def with_fallbacks(messages: list[Message]) -> list[Message]:
    """Add `Error-pt` after the first `Error-pt_XX` when no `Error-pt` is shipped."""
    keys = {message.key.lower() for message in messages}
    out: list[Message] = []
    for message in messages:
        out.append(message)
        language, sep, _ = (message.locale or "").partition("_")
        fallback = f"{ERROR_KEY}-{language}"
        if sep and fallback.lower() not in keys:
            keys.add(fallback.lower())
            out.append(replace(message, key=fallback))
    return out
