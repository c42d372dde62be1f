"""The translators' workflow: extract a .pot, init and update .po files, stats, coverage.

Babel does the catalog work (extraction with Jinja's extractor, merging);
`marker_tool.render` renders the markers whose keys `stats` reports. Every
file is written through `marker_tool.safeio`, and `update` reads (and so
checks) every catalog before it rewrites any.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from marker_tool import safeio
from marker_tool.epoch import source_date_epoch
from marker_tool.errors import CatalogError
from marker_tool.i18n.catalogs import available_catalogs, load_catalog, read_catalog
from marker_tool.i18n.sections import catalog_dir
from marker_tool.locales import (
    COMMON_LOCALES,
    LocaleName,
    check_locale,
    parse_locale_name,
    pip_lookup_keys,
    resolve_key,
)
from marker_tool.model import Distributor, Marker
from marker_tool.presets import template_file
from marker_tool.render import render_markers

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

#: What `{% trans %}` blocks become: Jinja's extractor with the render settings.
JINJA_OPTIONS = {
    "extensions": "jinja2.ext.i18n",
    "trimmed": "true",
    "newstyle_gettext": "true",
    "trim_blocks": "true",
    "lstrip_blocks": "true",
}
POT_NAME = "messages.pot"


def _po_files(directory: Path) -> list[Path]:
    return [directory / f"{name}.po" for name in available_catalogs(directory)]


def _now() -> datetime:
    """Now, or SOURCE_DATE_EPOCH for reproducible catalogs."""
    epoch = source_date_epoch()
    if epoch is not None:
        return datetime.fromtimestamp(epoch, UTC)
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


def write_catalog(catalog: Catalog, path: Path, *, replace: bool = True) -> None:
    """Write a .po/.pot file (76 columns, source lines kept), atomically."""
    from babel.messages.pofile import write_po

    buffer = io.BytesIO()
    write_po(buffer, catalog, width=76, include_lineno=True)
    try:
        safeio.write_text(path, buffer.getvalue().decode("utf-8"), replace=replace)
    except FileExistsError:
        raise CatalogError(
            f"{path} already exists", file=path, hint="use `marker-tool i18n update` to merge"
        ) from None


def extract_pot(
    templates: Sequence[Path],
    output: Path,
    *,
    paragraphs: Sequence[str] = (),
    config: str | None = None,
) -> int:
    """Write `output` (a .pot) from `templates`, and a config's `extra` `paragraphs`.

    Returns the number of messages.
    """
    catalog = extract_messages(templates, relative_to=output.parent)
    where = os.path.relpath(config, output.parent) if config else "config"
    for paragraph in paragraphs:
        catalog.add(
            paragraph,
            None,
            [(where.replace(os.sep, "/"), 0)],
            auto_comments=["from the config: text of the distributor's own"],
        )
    write_catalog(catalog, output)
    return len([m for m in catalog if m.id])


def builtin_seed(locale: LocaleName) -> Path | None:
    """marker-tool's own catalog for `locale` (`pt_BR.po`, else the language's `de.po`)."""
    from marker_tool.presets import builtin_catalog_dir

    for name in dict.fromkeys((locale.pip_name, locale.language)):
        path = builtin_catalog_dir() / f"{name}.po"
        if path.is_file():
            return path
    return None


def init_catalog(
    locale: str, directory: Path, *, pot: Path | None = None, seed: bool = True
) -> tuple[Path, Path | None]:
    """Create `directory/LOCALE.po` from the .pot; refuse to overwrite one.

    With `seed`, messages that marker-tool's own catalog for the locale
    translates start with that translation (fuzzy where it is fuzzy), so a
    distributor translates only what its template adds. Returns the new
    catalog and the built-in one it was seeded from, if any.
    """
    parsed = check_locale(locale)
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
    source = builtin_seed(parsed) if seed else None
    if source is not None:
        builtin = read_catalog(source)
        for message in catalog:
            known = builtin.get(message.id, message.context) if message.id else None
            if known is not None and known.string:
                message.string = known.string
                if known.fuzzy:
                    message.flags.add("fuzzy")
    # A string keeps the header's `Language` as pip spells it (`zh_TW`, not `zh_Hant_TW`).
    catalog.locale = parsed.pip_name
    catalog.revision_date = _now()
    catalog.fuzzy = False
    catalog.header_comment = (
        f"# {parsed.pip_name} translation of the EXTERNALLY-MANAGED marker messages.\n"
        "# Commands, package names and paths are %(variables)s: keep them exactly.\n"
        "#"
    )
    if source is not None:
        catalog.header_comment += f"\n# Seeded from marker-tool's built-in {source.name}.\n#"
    write_catalog(catalog, target, replace=False)
    return target, source


@dataclass(frozen=True, slots=True)
class UpdateResult:
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
    # Every catalog is read (and so checked) before any is rewritten.
    catalogs = [(path, read_catalog(path)) for path in _po_files(directory)]
    results = []
    for path, catalog in catalogs:
        before = {m.id for m in catalog if m.id and not m.fuzzy}
        previous = {m.id for m in catalog if m.id}
        catalog.update(template)
        fuzzy = sum(1 for m in catalog if m.id and m.fuzzy and m.id not in before)
        added = sum(1 for m in catalog if m.id and m.id not in previous and not m.fuzzy)
        write_catalog(catalog, path)
        results.append(UpdateResult(path, added, fuzzy, len(catalog.obsolete)))
    return results


# -- reports: stats and coverage ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CatalogStats:
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
    catalog = extract_messages([template_file(distributor.template)])
    return [str(m.id) for m in catalog if m.id and isinstance(m.id, str)]


def catalog_stats(distributor: Distributor, *, directory: Path | None = None) -> list[CatalogStats]:
    """Per catalog in the directory: translated / fuzzy / untranslated and the keys it yields."""
    directory = directory or catalog_dir(distributor)
    if directory != catalog_dir(distributor):
        distributor = replace(
            distributor, i18n=replace(distributor.i18n, catalog_dir=str(directory))
        )
    names = available_catalogs(directory)
    msgids = template_msgids(distributor)
    keys: dict[str, list[str]] = {name: [] for name in names}
    notes: dict[str, str] = {}
    if names:
        result = render_markers(distributor, locales=names)
        warnings = result.warnings
        for marker in result.markers:
            for message in marker.messages[1:]:
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


@dataclass(frozen=True, slots=True)
class CoverageRow:
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
