"""Catalogs into marker sections: loading, checks, fallbacks, the built-in translations, the CLI."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from marker_tool import i18n_workflow as workflow
from marker_tool import presets
from marker_tool.cli import cli
from marker_tool.config import load_preset
from marker_tool.errors import CatalogError, ConfigError
from marker_tool.i18n import catalogs
from marker_tool.ini import serialize
from marker_tool.model import Distributor, I18nSettings, Message, PythonVersion
from marker_tool.presets import PRESETS
from marker_tool.render import render_markers, template_variables

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

PY = PythonVersion(3, 12)
BUILTIN_LOCALES = ("de", "es", "fr", "it", "ja", "pt_BR", "pt_PT", "ru", "zh_CN", "zh_TW")
TEMPLATE = """\
{% trans install=install %}
Run {{ install }} to install a package.
{% endtrans %}


{% trans distributor=distributor %}
{{ distributor }} manages this Python.
{% endtrans %}
"""
MSG1 = "Run %(install)s to install a package."
MSG2 = "%(distributor)s manages this Python."


def po(entries: list[tuple[str, str, bool]], language: str = "de") -> str:
    """A small .po file: (msgid, msgstr, fuzzy) entries after a header."""
    out = [
        'msgid ""',
        'msgstr ""',
        '"Content-Type: text/plain; charset=UTF-8\\n"',
        f'"Language: {language}\\n"',
        "",
    ]
    for msgid, msgstr, fuzzy in entries:
        if fuzzy:
            out.append("#, fuzzy")
        out += [f'msgid "{msgid}"', f'msgstr "{msgstr}"', ""]
    return "\n".join(out)


def distributor(tmp_path: Path, **settings: object) -> Distributor:
    """Debian's preset with a small template and a catalog directory under tmp_path."""
    template = tmp_path / "message.txt.j2"
    template.write_text(TEMPLATE, encoding="utf-8")
    (tmp_path / "po").mkdir(exist_ok=True)
    base = load_preset("debian")
    fields: dict[str, object] = {"catalog_dir": str(tmp_path / "po"), **settings}
    return replace(
        base,
        template=str(template),
        pythons=(PY,),
        i18n=I18nSettings(**fields),  # type: ignore[arg-type]
    )


def write_po(tmp_path: Path, name: str, entries: list[tuple[str, str, bool]]) -> Path:
    path = tmp_path / "po" / f"{name}.po"
    path.parent.mkdir(exist_ok=True)
    path.write_text(po(entries, name), encoding="utf-8")
    return path


GERMAN = [
    (MSG1, "Führen Sie %(install)s aus, um ein Paket zu installieren.", False),
    (MSG2, "%(distributor)s verwaltet dieses Python.", False),
]


def locale_messages(
    d: Distributor, python: PythonVersion, locales: list[str]
) -> tuple[list[Message], list[str]]:
    """The `Error-<locale>` messages one marker gets, and the run's warnings."""
    result = render_markers(d, pythons=[python], locales=locales)
    return list(result.markers[0].messages[1:]), list(result.warnings)


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


# -- loading and sections ----------------------------------------------------------


def test_po_file_becomes_a_section(tmp_path: Path) -> None:
    write_po(tmp_path, "de", GERMAN)
    d = distributor(tmp_path, locales=("de",))
    messages, warnings = locale_messages(d, PY, ["de"])
    assert warnings == []
    assert [(m.key, m.locale) for m in messages] == [("Error-de", "de")]
    assert messages[0].text == (
        "Führen Sie apt install python3-xyz aus, um ein Paket zu installieren.\n\n"
        "Debian verwaltet dieses Python."
    )


def test_render_markers_puts_sections_after_error(tmp_path: Path) -> None:
    write_po(tmp_path, "de", GERMAN)
    write_po(
        tmp_path,
        "pt_BR",
        [(MSG1, "Rode %(install)s.", False), (MSG2, "Use %(distributor)s.", False)],
    )
    result = render_markers(distributor(tmp_path, locales=("pt-BR", "de")))
    keys = [m.key for m in result.markers[0].messages]
    assert keys == ["Error", "Error-pt_BR", "Error-pt", "Error-de"]
    assert "Error-pt_BR = Rode apt install python3-xyz." in serialize(result.markers[0])


def test_fuzzy_entry_is_never_used(tmp_path: Path) -> None:
    write_po(tmp_path, "de", [GERMAN[0], (MSG2, "%(distributor)s VERALTET.", True)])
    d = distributor(tmp_path, locales=("de",))
    messages, warnings = locale_messages(d, PY, ["de"])
    assert messages == []
    assert len(warnings) == 1
    assert (
        "`Error-de` left out: 1 of 2 messages the marker uses are untranslated (1 fuzzy)"
        in warnings[0]
    )
    partial = distributor(tmp_path, locales=("de",), partial=True)
    messages, warnings = locale_messages(partial, PY, ["de"])
    assert "VERALTET" not in messages[0].text
    assert messages[0].text.endswith("Debian manages this Python.")
    assert "partial" in warnings[0]


def test_incomplete_catalog_left_out_with_warning_naming_the_line(tmp_path: Path) -> None:
    path = write_po(tmp_path, "de", [GERMAN[0], (MSG2, "", False)])
    result = render_markers(distributor(tmp_path, locales=("de",)))
    assert [m.key for m in result.markers[0].messages] == ["Error"]
    (warning,) = result.warnings
    assert f"{path}:{line_of(path, MSG2)}" in warning
    assert "`partial = true`" in warning


def test_missing_entry_counts_as_untranslated(tmp_path: Path) -> None:
    path = write_po(tmp_path, "de", [GERMAN[0]])
    result = render_markers(distributor(tmp_path, locales=("de",)))
    assert [m.key for m in result.markers[0].messages] == ["Error"]
    assert f"the first has no entry in {path} (" in result.warnings[0]
    assert "run `marker-tool i18n update`" in result.warnings[0]


def test_malformed_catalog_is_an_input_error_naming_its_line(tmp_path: Path) -> None:
    catalogs = tmp_path / "po"
    catalogs.mkdir()
    (catalogs / "de.po").write_text('msgid "x"\nmsgstr "Hallo\n', encoding="utf-8")
    config = tmp_path / "marker-tool.toml"
    config.write_text(
        'name = "A"\npythons = ["3.12"]\n[i18n]\ncatalogs = "po"\nlocales = ["de"]\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["render", "-c", str(config)])
    assert result.exit_code == 2
    assert f"error: {catalogs / 'de.po'}:2: " in result.output
    assert "unterminated string" in result.output
    assert "Traceback" not in result.output


def test_partial_catalog_allowed(tmp_path: Path) -> None:
    write_po(tmp_path, "de", [GERMAN[0]])
    result = render_markers(distributor(tmp_path, locales=("de",), partial=True))
    assert result.markers[0].text("Error-de").startswith("Führen Sie")
    assert result.markers[0].text("Error-de").endswith("Debian manages this Python.")


@pytest.mark.parametrize(
    ("msgstr", "words"),
    [
        ("Führen Sie aus.", "drops `%(install)s`"),
        ("Führen Sie %(install)s und %(venv)s aus.", "adds `%(venv)s`"),
        ("Führen Sie %(instal)s aus.", "drops `%(install)s` and adds `%(instal)s`"),
        ("Führen Sie %(install)s zu 100% aus.", "not a valid format string"),
    ],
)
def test_translation_breaking_variables_is_an_error(
    tmp_path: Path, msgstr: str, words: str
) -> None:
    path = write_po(tmp_path, "de", [(MSG1, msgstr, False), GERMAN[1]])
    d = distributor(tmp_path, locales=("de",))
    with pytest.raises(CatalogError) as caught:
        locale_messages(d, PY, ["de"])
    assert words in caught.value.message
    assert caught.value.file == str(path)
    assert caught.value.line == line_of(path, MSG1)
    assert str(caught.value).startswith(f"{path}:{line_of(path, MSG1)}: ")


def test_fuzzy_entries_are_not_checked(tmp_path: Path) -> None:
    write_po(tmp_path, "de", [*GERMAN, ("Unused %(x)s.", "Unbenutzt.", True)])
    d = distributor(tmp_path, locales=("de",))
    messages, _ = locale_messages(d, PY, ["de"])
    assert [m.key for m in messages] == ["Error-de"]


def test_translation_the_serializer_refuses_names_po_line(tmp_path: Path) -> None:
    path = write_po(
        tmp_path,
        "de",
        [GERMAN[0], (MSG2, "%(distributor)s verwaltet dieses Python.\\n# kein Kommentar", False)],
    )
    d = distributor(tmp_path, locales=("de",))
    with pytest.raises(CatalogError) as caught:
        locale_messages(d, PY, ["de"])
    assert caught.value.file == str(path)
    assert caught.value.line == line_of(path, MSG2)
    assert "starts with `#`" in caught.value.message


def test_control_character_in_translation(tmp_path: Path) -> None:
    path = write_po(tmp_path, "de", [GERMAN[0], (MSG2, "%(distributor)s\\tverwaltet.", False)])
    with pytest.raises(CatalogError, match="control character U\\+0009") as caught:
        locale_messages(distributor(tmp_path), PY, ["de"])
    assert caught.value.line == line_of(path, MSG2)


def test_unknown_locale_suggests(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        locale_messages(distributor(tmp_path), PY, ["pt_BX"])
    assert caught.value.message == "unknown territory `BX` in locale `pt_BX`"
    assert caught.value.hint is not None
    assert "`pt_BR`" in caught.value.hint


@pytest.mark.parametrize("name", ["sr@latin", "zh_Hant", "german"])
def test_locale_pip_cannot_find_is_an_error(tmp_path: Path, name: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(f"`{name}`")):
        locale_messages(distributor(tmp_path), PY, [name])


def test_missing_catalog(tmp_path: Path) -> None:
    write_po(tmp_path, "de", GERMAN)
    with pytest.raises(CatalogError) as caught:
        locale_messages(distributor(tmp_path), PY, ["fr"])
    assert "no catalog for `fr`" in caught.value.message
    assert caught.value.hint is not None
    assert "de" in caught.value.hint
    assert "i18n init fr" in caught.value.hint


def test_same_key_twice_is_an_error(tmp_path: Path) -> None:
    write_po(tmp_path, "pt_BR", GERMAN)
    with pytest.raises(ConfigError, match="`pt_BR` and `pt-BR` both give the key `Error-pt_BR`"):
        locale_messages(distributor(tmp_path), PY, ["pt_BR", "pt-BR"])


def test_script_locale_becomes_territory_key(tmp_path: Path) -> None:
    write_po(tmp_path, "zh_TW", GERMAN)
    messages, _ = locale_messages(
        distributor(tmp_path, territory_fallback=False), PY, ["zh_Hant_TW"]
    )
    assert [m.key for m in messages] == ["Error-zh_TW"]


def test_territory_fallback(tmp_path: Path) -> None:
    for name in ("pt_BR", "pt_PT", "de"):
        write_po(tmp_path, name, GERMAN)
    on = distributor(tmp_path)
    messages, _ = locale_messages(on, PY, ["pt_BR", "pt_PT", "de"])
    assert [(m.key, m.locale) for m in messages] == [
        ("Error-pt_BR", "pt_BR"),
        ("Error-pt", "pt_BR"),
        ("Error-pt_PT", "pt_PT"),
        ("Error-de", "de"),
    ]
    off = distributor(tmp_path, territory_fallback=False)
    messages, _ = locale_messages(off, PY, ["pt_BR", "pt_PT"])
    assert [m.key for m in messages] == ["Error-pt_BR", "Error-pt_PT"]


def test_no_fallback_when_language_catalog_exists(tmp_path: Path) -> None:
    write_po(tmp_path, "pt_BR", GERMAN)
    write_po(tmp_path, "pt", GERMAN)
    messages, _ = locale_messages(distributor(tmp_path), PY, ["pt_BR", "pt"])
    assert [m.key for m in messages] == ["Error-pt_BR", "Error-pt"]


def test_inline_texts(tmp_path: Path) -> None:
    d = distributor(
        tmp_path,
        locales=("de",),
        texts=(("nl", "Gebruik apt.\nPython {version} hoort bij {distributor}."),),
    )
    write_po(tmp_path, "de", GERMAN)
    result = render_markers(d)
    marker = result.markers[0]
    assert [m.key for m in marker.messages] == ["Error", "Error-de", "Error-nl"]
    assert marker.text("Error-nl") == "Gebruik apt.\nPython 3.12 hoort bij Debian."
    # A --locale selection ships exactly what it names.
    only = render_markers(d, locales=["nl"]).markers[0]
    assert [m.key for m in only.messages] == ["Error", "Error-nl"]


def test_inline_text_overrides_catalog_and_territory_fallback(tmp_path: Path) -> None:
    write_po(tmp_path, "pt_BR", GERMAN)
    d = distributor(tmp_path, locales=("pt_BR",), texts=(("pt_BR", "Texto {version}."),))
    marker = render_markers(d).markers[0]
    assert marker.text("Error-pt_BR") == "Texto 3.12."
    assert marker.text("Error-pt") == "Texto 3.12."


def test_inline_text_bad_placeholder(tmp_path: Path) -> None:
    d = distributor(tmp_path, texts=(("nl", "Python {versoin}."),))
    with pytest.raises(ConfigError, match=re.escape("unknown placeholder `{versoin}`")):
        render_markers(d)


def test_catalog_is_parsed_once_per_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_po(tmp_path, "de", GERMAN)
    calls: list[Path] = []
    real = catalogs.read_catalog

    def counting(path: Path) -> Catalog:
        calls.append(path)
        return real(path)

    monkeypatch.setattr(catalogs, "read_catalog", counting)
    d = replace(distributor(tmp_path, locales=("de",)), pythons=(PY, PythonVersion(3, 13)))
    render_markers(d)
    assert len(calls) == 1


def test_unreadable_po_file(tmp_path: Path) -> None:
    path = tmp_path / "po" / "de.po"
    path.parent.mkdir()
    path.write_bytes(b'msgid "a"\nmsgstr "\xff\xfe"\n')
    with pytest.raises(CatalogError) as caught:
        locale_messages(distributor(tmp_path), PY, ["de"])
    assert caught.value.file == str(path)


# -- the built-in catalogs ----------------------------------------------------------


def test_builtin_pot_is_up_to_date() -> None:
    pot = catalogs.read_catalog(presets.builtin_catalog_dir() / workflow.POT_NAME)
    extracted = workflow.extract_messages(presets.builtin_templates())
    assert [m.id for m in pot if m.id] == [m.id for m in extracted if m.id], (
        "run `marker-tool i18n extract` and `marker-tool i18n update`"
    )


@pytest.mark.parametrize("name", BUILTIN_LOCALES)
def test_builtin_catalog_is_complete_and_flagged_for_review(name: str) -> None:
    path = presets.builtin_catalog_dir() / f"{name}.po"
    pot = catalogs.read_catalog(presets.builtin_catalog_dir() / workflow.POT_NAME)
    catalog = catalogs.load_catalog(path)  # checks every variable of every entry
    for message in pot:
        if message.id:
            entry = catalog.entry(str(message.id))
            assert entry is not None, (name, message.id)
            assert entry.usable, (name, message.id)
            assert catalogs.variables_of(entry.msgstr) == catalogs.variables_of(entry.msgid)
    header = path.read_text(encoding="utf-8").split("msgid")[0]
    assert "need review by a native" in " ".join(header.replace("#", " ").split())


def _normalised(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("preset", PRESETS)
def test_builtin_translations_keep_every_command_and_path(preset: str) -> None:
    d = load_preset(preset)
    python = d.pythons[0]
    result = render_markers(d, pythons=[python], locales=BUILTIN_LOCALES)
    assert result.warnings == ()
    marker = result.markers[0]
    english = _normalised(marker.text())
    literals = ["--break-system-packages", "break-system-packages = true", "--user", "user = true"]
    values = [v for v in template_variables(d, python).values() if isinstance(v, str)]
    verbatim = [v for v in {*values, *literals} if v.strip() and v in english and len(v) > 2]
    assert verbatim
    for message in marker.messages[1:]:
        localized = _normalised(message.text)
        for value in verbatim:
            if value == d.name:
                continue  # grammar may inflect around the name, never inside it
            assert value in localized, (preset, message.key, value)
        serialize(marker)


def test_every_builtin_catalog_serves_its_key() -> None:
    marker = render_markers(load_preset("debian"), pythons=[PY], locales=BUILTIN_LOCALES).markers[0]
    keys = [m.key for m in marker.messages]
    assert keys == [
        "Error",
        "Error-de",
        "Error-es",
        "Error-fr",
        "Error-it",
        "Error-ja",
        "Error-pt_BR",
        "Error-pt",
        "Error-pt_PT",
        "Error-ru",
        "Error-zh_CN",
        "Error-zh",
        "Error-zh_TW",
    ]
    assert "。 " not in marker.text("Error-ja")


# -- coverage ---------------------------------------------------------------------------


def test_coverage_rows() -> None:
    marker = render_markers(
        load_preset("debian"), pythons=[PythonVersion(3, 11)], locales=["de", "zh_CN", "pt_BR"]
    ).markers[0]
    rows = {row.lang_env: row for row in workflow.coverage(marker)}
    assert rows["zh_TW.UTF-8"].key == "Error-zh"
    assert rows["zh_TW.UTF-8"].text_locale == "zh_CN"
    assert rows["pt_PT.UTF-8"].key == "Error-pt"
    assert rows["de_AT.UTF-8"].key == "Error-de"
    assert rows["C.UTF-8"].tried == ("Error-en_US", "Error-en", "Error")
    assert rows["C.UTF-8"].key == "Error"
    assert rows["fr_FR.UTF-8"].text_locale is None
    assert len(rows) >= 40


# -- the CLI ---------------------------------------------------------------------------


def test_cli_extract_init_update_stats(tmp_path: Path) -> None:
    runner = CliRunner()
    template = tmp_path / "message.txt.j2"
    template.write_text(TEMPLATE, encoding="utf-8")
    catalogs = tmp_path / "po"
    pot = catalogs / "messages.pot"

    result = runner.invoke(cli, ["i18n", "extract", "-o", str(pot), str(template)])
    assert result.exit_code == 0, result.output
    assert f"wrote {pot} (2 messages)" in result.output
    assert 'msgid "Run %(install)s to install a package."' in pot.read_text(encoding="utf-8")

    result = runner.invoke(cli, ["i18n", "init", "pt-BR", "-d", str(catalogs)])
    assert result.exit_code == 0, result.output
    created = catalogs / "pt_BR.po"
    assert "Language: pt_BR" in created.read_text(encoding="utf-8")
    result = runner.invoke(cli, ["i18n", "init", "pt_BR", "-d", str(catalogs)])
    assert result.exit_code == 2
    assert "already exists" in result.output

    result = runner.invoke(cli, ["i18n", "init", "xx_YY", "-d", str(catalogs)])
    assert result.exit_code == 2
    assert "in locale `xx_YY`" in result.output

    # Translate one message, then change the template: update marks it fuzzy.
    text = created.read_text(encoding="utf-8").replace(
        'msgid "Run %(install)s to install a package."\nmsgstr ""',
        'msgid "Run %(install)s to install a package."\nmsgstr "Rode %(install)s."',
    )
    created.write_text(text, encoding="utf-8")
    template.write_text(TEMPLATE.replace("a package", "one package"), encoding="utf-8")
    assert runner.invoke(cli, ["i18n", "extract", "-o", str(pot), str(template)]).exit_code == 0
    result = runner.invoke(cli, ["i18n", "update", "-d", str(catalogs)])
    assert result.exit_code == 0, result.output
    assert f"{created}: 0 new, 1 fuzzy, 0 obsolete" in result.output
    updated = created.read_text(encoding="utf-8")
    assert "#, fuzzy, python-format" in updated
    assert 'msgid "Run %(install)s to install one package."' in updated

    config = tmp_path / "marker-tool.toml"
    config.write_text(
        f'preset = "debian"\npythons = ["3.12"]\n\n[message]\ntemplate = "{template.name}"\n\n'
        f'[i18n]\ncatalogs = "po"\n',
        encoding="utf-8",
    )
    result = runner.invoke(cli, ["i18n", "stats", "-c", str(config)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["locale", "translated", "fuzzy", "untranslated", "keys"]
    assert lines[1].split()[:4] == ["pt_BR", "0", "1", "1"]
    assert "(left out: incomplete)" in lines[1]


def test_cli_stats_builtin() -> None:
    result = CliRunner().invoke(cli, ["i18n", "stats", "--preset", "debian"])
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line for line in result.output.splitlines()[1:]}
    assert set(rows) == set(BUILTIN_LOCALES)
    assert rows["pt_BR"].split()[1:] == ["12", "0", "0", "Error-pt_BR,", "Error-pt"]
    assert rows["de"].split()[1:] == ["12", "0", "0", "Error-de"]


def test_cli_coverage() -> None:
    args = ["i18n", "coverage", "--preset", "debian", "--python", "3.11", "--locale", "de"]
    result = CliRunner().invoke(
        cli,
        [
            *args,
            "--locale",
            "zh_CN",
            "--for",
            "zh_TW.UTF-8",
            "--for",
            "C.UTF-8",
            "--for",
            "de_AT.UTF-8",
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Python 3.11, marker keys: Error, Error-de, Error-zh_CN, Error-zh"
    assert lines[2].split()[:4] == ["zh_TW.UTF-8", "Error-zh", "zh_CN", "text"]
    assert lines[3].split()[:3] == ["C.UTF-8", "Error", "English"]
    assert "tries Error-en_US Error-en Error" in lines[3]
    assert lines[4].split()[:3] == ["de_AT.UTF-8", "Error-de", "de"]


def test_cli_coverage_unknown_locale_exits_2() -> None:
    result = CliRunner().invoke(
        cli, ["i18n", "coverage", "--preset", "debian", "--locale", "pt_BX"]
    )
    assert result.exit_code == 2
    assert "in locale `pt_BX`" in result.output
    assert "did you mean `pt_BR`" in result.output


def test_header_is_skipped_without_shifting_lines(tmp_path: Path) -> None:
    path = tmp_path / "po" / "de.po"
    path.parent.mkdir()
    text = po(GERMAN).replace('msgid ""', '#, fuzzy\nmsgid ""', 1)
    text = text.replace("charset=UTF-8", "charset=ISO-8859-1")
    path.write_bytes(text.encode("latin-1"))
    catalog = catalogs.load_catalog(path)
    entry = catalog.entry(MSG1)
    assert entry is not None
    assert entry.usable  # the header's `#, fuzzy` is not carried to the first message
    assert entry.msgstr.startswith("Führen")
    assert entry.line == text.splitlines().index(f'msgid "{MSG1}"') + 1


def test_malformed_catalog_names_file_and_line(tmp_path: Path) -> None:
    path = write_po(tmp_path, "de", GERMAN)
    text = path.read_text(encoding="utf-8").replace(f'msgstr "{GERMAN[1][1]}"', 'msgstrr "x"')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        catalogs.load_catalog(path)
    assert "not a valid gettext catalog" in caught.value.message  # then Babel's own words
    assert caught.value.file == str(path)
    assert caught.value.line == line_of(path, "msgstrr")


def test_own_catalogs_add_to_builtin_ones_for_the_builtin_template(tmp_path: Path) -> None:
    (tmp_path / "po").mkdir()
    msgid = "See %(docs)s for more information."
    (tmp_path / "po" / "nl.po").write_text(
        po([(msgid, "Zie %(docs)s voor meer informatie.", False)], "nl"), encoding="utf-8"
    )
    d = replace(
        load_preset("debian"),
        pythons=(PY,),
        i18n=I18nSettings(catalog_dir=str(tmp_path / "po"), locales=("nl", "de"), partial=True),
    )
    result = render_markers(d)
    marker = result.markers[0]
    assert [m.key for m in marker.messages] == ["Error", "Error-nl", "Error-de"]
    assert "Zie /usr/share/doc/python3.12/README.venv voor meer informatie." in marker.text(
        "Error-nl"
    )
    assert marker.text("Error-de").startswith("Um Python-Pakete")
    assert any("`Error-nl` is partial" in w for w in result.warnings)


def test_cli_defaults_to_po_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["i18n", "extract"])
    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"wrote po/messages.pot \(\d+ messages\)\n", result.output)
    result = runner.invoke(cli, ["i18n", "init", "ko"])
    assert result.exit_code == 0, result.output
    assert Path("po/ko.po").is_file()
    result = runner.invoke(cli, ["i18n", "update"])
    assert result.output == "po/ko.po: 0 new, 0 fuzzy, 0 obsolete\n"


# -- hostile and broken catalogs ---------------------------------------------------------


@pytest.mark.parametrize("charset", ["rot13", "base64", "zlib", "punycode", "no-such-codec"])
def test_a_charset_that_is_no_text_encoding_is_refused(tmp_path: Path, charset: str) -> None:
    path = write_po(tmp_path, "de", GERMAN)
    path.write_text(path.read_text().replace("charset=UTF-8", f"charset={charset}"))
    with pytest.raises(CatalogError, match="is not a text encoding") as caught:
        catalogs.load_catalog(path)
    assert caught.value.line == 3


def test_nplurals_is_bounded(tmp_path: Path) -> None:
    path = write_po(tmp_path, "de", GERMAN)
    text = path.read_text().replace(
        '"Language: de\\n"', '"Language: de\\n"\n"Plural-Forms: nplurals=100000; plural=n;\\n"'
    )
    path.write_text(text)
    with pytest.raises(CatalogError, match="nplurals=100000"):
        catalogs.load_catalog(path)


def test_a_translation_may_not_add_a_width_to_a_variable(tmp_path: Path) -> None:
    path = write_po(tmp_path, "de", [(MSG1, "Mit %(install)999999999s installieren.", False)])
    with pytest.raises(CatalogError, match="formats `%\\(install\\)s` with `999999999`") as caught:
        catalogs.load_catalog(path)
    assert caught.value.line == line_of(path, MSG1)


def test_a_header_that_does_not_match_the_body_is_refused(tmp_path: Path) -> None:
    path = write_po(tmp_path, "de", GERMAN)
    path.write_text(path.read_text().replace("charset=UTF-8", "charset=ISO-8859-1"))
    with pytest.raises(CatalogError, match="says `charset=iso8859-1`, but the text is UTF-8"):
        catalogs.load_catalog(path)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('msgid "x"\nmsgstr "Hallo\n', 2),
        ('msgid "x"\nmsgstr "Hallo\\"\n', 2),
        ('msgid "x"\nmsgstr ""\n"Hallo\n', 3),
        ('msgid "x\nmsgstr "Hallo"\n', 1),
    ],
)
def test_unterminated_strings_name_their_line(tmp_path: Path, text: str, line: int) -> None:
    # Babel reads these as cut strings; the typo's line helps a translator more.
    path = tmp_path / "de.po"
    path.write_text(text)
    with pytest.raises(CatalogError, match="unterminated string") as caught:
        catalogs.load_catalog(path)
    assert caught.value.line == line


def test_an_escaped_backslash_before_the_closing_quote_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "de.po"
    path.write_bytes(b'msgid "x"\nmsgstr "C:\\\\"\n')
    entry = catalogs.load_catalog(path).entry("x")
    assert entry is not None
    assert entry.msgstr == "C:\\"


def test_update_never_rewrites_a_catalog_it_cannot_read(tmp_path: Path) -> None:
    directory = tmp_path / "po"
    runner = CliRunner()
    assert (
        runner.invoke(cli, ["i18n", "extract", "-o", str(directory / "messages.pot")]).exit_code
        == 0
    )
    assert runner.invoke(cli, ["i18n", "init", "de", "-d", str(directory)]).exit_code == 0
    assert runner.invoke(cli, ["i18n", "init", "fr", "-d", str(directory)]).exit_code == 0
    broken = directory / "fr.po"
    broken.write_text(broken.read_text() + '\nmsgid "x"\nmsgstr "unterminated\n')
    before = {p.name: p.read_bytes() for p in directory.iterdir()}
    result = runner.invoke(cli, ["i18n", "update", "-d", str(directory)])
    assert result.exit_code == 2
    assert "unterminated string" in result.output
    assert {p.name: p.read_bytes() for p in directory.iterdir()} == before


def test_a_territory_locale_with_only_a_language_catalog_says_which_to_use(tmp_path: Path) -> None:
    write_po(tmp_path, "de", GERMAN)
    with pytest.raises(CatalogError) as caught:
        locale_messages(distributor(tmp_path), PY, ["de_DE"])
    assert caught.value.hint == "use `de`: pip shows `Error-de` to de_DE users too"


def test_require_all_makes_an_incomplete_locale_an_error(tmp_path: Path) -> None:
    path = write_po(tmp_path, "de", [GERMAN[0], (MSG2, "%(distributor)s VERALTET.", True)])
    for settings in ({"require_all": True}, {"require_all": True, "partial": True}):
        with pytest.raises(CatalogError) as caught:
            render_markers(distributor(tmp_path, locales=("de",), **settings))
        assert "`Error-de` is incomplete: 1 of 2 messages" in caught.value.message
        assert f"{path}:{line_of(path, MSG2)}" in caught.value.message
    complete = write_po(tmp_path, "de", GERMAN)
    result = render_markers(distributor(tmp_path, locales=("de",), require_all=True))
    assert [m.key for m in result.markers[0].messages] == ["Error", "Error-de"]
    assert complete.is_file()


def test_strict_on_render_and_install_exits_2(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from marker_tool.cli import cli

    write_po(tmp_path, "de", [GERMAN[0], (MSG2, "", False)])
    config = tmp_path / "c.toml"
    config.write_text(
        f'preset = "debian"\npythons = ["3.12"]\n[i18n]\ncatalogs = "{tmp_path / "po"}"\n'
        'locales = ["de"]\n[message]\ntemplate = "message.txt.j2"\n'
    )
    distributor(tmp_path)  # writes the template next to the config
    runner = CliRunner()
    lenient = runner.invoke(cli, ["render", "-c", str(config)])
    assert lenient.exit_code == 0, lenient.output
    for command in (["render"], ["install", "--destdir", str(tmp_path / "stage")]):
        strict = runner.invoke(cli, [*command, "-c", str(config), "--strict"])
        assert strict.exit_code == 2, strict.output
        assert "`Error-de` is incomplete" in strict.output
    assert not (tmp_path / "stage").exists()
    config.write_text(config.read_text().replace("[i18n]\n", "[i18n]\nrequire_all = true\n"))
    assert runner.invoke(cli, ["render", "-c", str(config)]).exit_code == 2


def test_init_seeds_from_the_builtin_catalog(tmp_path: Path) -> None:
    from marker_tool.i18n.catalogs import read_catalog
    from marker_tool.presets import builtin_catalog_dir

    runner = CliRunner()
    catalogs = tmp_path / "po"
    pot = catalogs / "messages.pot"
    # The built-in template plus a sentence of the distributor's own.
    own = tmp_path / "message.txt.j2"
    from marker_tool.presets import templates_dir

    builtin = (templates_dir() / "message.txt.j2").read_text(encoding="utf-8")
    own.write_text(builtin + "\n{% trans %}Acme extra sentence.{% endtrans %}\n", encoding="utf-8")
    assert runner.invoke(cli, ["i18n", "extract", "-o", str(pot), str(own)]).exit_code == 0
    result = runner.invoke(cli, ["i18n", "init", "de_AT", "-d", str(catalogs)])
    assert result.exit_code == 0, result.output
    assert "seeded from the built-in de.po" in result.output
    seeded = read_catalog(catalogs / "de_AT.po")
    german = read_catalog(builtin_catalog_dir() / "de.po")
    translated = [m for m in seeded if m.id and m.string]
    assert translated
    for message in translated:
        known = german.get(message.id, message.context)
        assert known is not None
        assert message.string == known.string
    extra = seeded.get("Acme extra sentence.")
    assert extra is not None
    assert not extra.string  # theirs to translate
    empty = runner.invoke(cli, ["i18n", "init", "fr", "-d", str(catalogs), "--empty"])
    assert empty.exit_code == 0
    assert "seeded" not in empty.output
    assert not [m for m in read_catalog(catalogs / "fr.po") if m.id and m.string]


EXTRA = "Acme keeps its Python packages in the acme-python repository."
GERMAN_EXTRA = "Acme führt seine Python-Pakete im Repository acme-python."


def test_extra_paragraphs_are_translated_or_the_locale_is_left_out(tmp_path: Path) -> None:
    from marker_tool.config import load_config

    runner = CliRunner()
    config = tmp_path / "marker-tool.toml"
    config.write_text(
        f'preset = "debian"\nname = "Acme"\npythons = ["3.12"]\n[message]\nextra = ["{EXTRA}"]\n'
        '[i18n]\ncatalogs = "po"\nlocales = ["de"]\n',
        encoding="utf-8",
    )
    pot = tmp_path / "po" / "messages.pot"
    pot.parent.mkdir()
    result = runner.invoke(cli, ["i18n", "extract", "-c", str(config), "-o", str(pot)])
    assert result.exit_code == 0, result.output
    assert f'msgid "{EXTRA}"' in pot.read_text(encoding="utf-8").replace('"\n"', "")
    assert runner.invoke(cli, ["i18n", "init", "de", "-d", str(pot.parent)]).exit_code == 0
    # Seeded from the built-in German, but the paragraph of Acme's own is not translated:
    # a section half in English is left out, with a warning that says which.
    rendered = render_markers(load_config(config))
    assert [m.key for m in rendered.markers[0].messages] == ["Error"]
    assert "1 of" in rendered.warnings[0]
    catalog = pot.parent / "de.po"
    text = catalog.read_text(encoding="utf-8").replace('"\n"', "")
    text = text.replace(f'msgid "{EXTRA}"\nmsgstr ""', f'msgid "{EXTRA}"\nmsgstr "{GERMAN_EXTRA}"')
    catalog.write_text(text, encoding="utf-8")
    [marker] = render_markers(load_config(config)).markers
    german = marker.text("Error-de")
    assert " ".join(german.split()).endswith(GERMAN_EXTRA)
    assert EXTRA not in " ".join(german.split())


def test_extra_paragraphs_given_per_locale_in_the_config(tmp_path: Path) -> None:
    from marker_tool.config import load_config

    config = tmp_path / "marker-tool.toml"
    body = (
        f'preset = "debian"\nname = "Acme"\npythons = ["3.12"]\n[message]\nextra = ["{EXTRA}"]\n'
        '[i18n]\nlocales = ["de"]\n[i18n.extra]\nde = ["' + GERMAN_EXTRA + '"]\n'
    )
    config.write_text(body, encoding="utf-8")
    [marker] = render_markers(load_config(config)).markers
    assert " ".join(marker.text("Error-de").split()).endswith(GERMAN_EXTRA)
    assert " ".join(marker.text().split()).endswith(EXTRA)
    config.write_text(body.replace(f'["{GERMAN_EXTRA}"]', '["eins", "zwei"]'), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert "`de` has 2 paragraphs where `[message] extra` has 1" in caught.value.message
    assert caught.value.line == 9


def test_prose_variables_are_extracted_and_translated(tmp_path: Path) -> None:
    from marker_tool.config import load_config

    template = tmp_path / "message.txt.j2"
    template.write_text("{% trans %}Ask us.{% endtrans %}\n\n\n{{ support }}\n", encoding="utf-8")
    config = tmp_path / "marker-tool.toml"
    config.write_text(
        'name = "Acme"\npythons = ["3.12"]\n[message]\ntemplate = "message.txt.j2"\n'
        '[message.variables]\nsupport = "Write to the Acme team."\n'
        '[i18n]\ncatalogs = "po"\nlocales = ["de"]\nprose = ["support"]\n',
        encoding="utf-8",
    )
    (tmp_path / "po").mkdir()
    pot = tmp_path / "po" / "messages.pot"
    runner = CliRunner()
    assert runner.invoke(cli, ["i18n", "extract", "-c", str(config), "-o", str(pot)]).exit_code == 0
    assert 'msgid "Write to the Acme team."' in pot.read_text(encoding="utf-8")
    assert (
        runner.invoke(cli, ["i18n", "init", "de", "-d", str(pot.parent), "--empty"]).exit_code == 0
    )
    po_file = pot.parent / "de.po"
    text = po_file.read_text(encoding="utf-8")
    text = text.replace('msgid "Ask us."\nmsgstr ""', 'msgid "Ask us."\nmsgstr "Fragen Sie uns."')
    po_file.write_text(text, encoding="utf-8")
    left_out = render_markers(load_config(config))
    assert [m.key for m in left_out.markers[0].messages] == ["Error"]  # support is untranslated
    text = text.replace(
        'msgid "Write to the Acme team."\nmsgstr ""',
        'msgid "Write to the Acme team."\nmsgstr "Schreiben Sie dem Acme-Team."',
    )
    po_file.write_text(text, encoding="utf-8")
    [marker] = render_markers(load_config(config)).markers
    assert marker.text("Error-de") == "Fragen Sie uns.\n\nSchreiben Sie dem Acme-Team."
    config.write_text(config.read_text().replace('prose = ["support"]', 'prose = ["suport"]'))
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert "did you mean `support`?" in (caught.value.hint or "")
