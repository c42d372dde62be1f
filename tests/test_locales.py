"""pip's locale key lookup, modelled without Babel, checked against CPython and the real pip."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from marker_tool import _locale_data
from marker_tool.locales import (
    COMMON_LOCALES,
    LANGUAGES,
    LocaleName,
    key_problem,
    locale_key,
    messages_locale,
    parse_locale_name,
    pip_language,
    pip_lookup_keys,
    resolve_key,
)
from marker_tool.model import PythonVersion
from tests.realprograms import (
    TEST_LOCALES,
    clean_env,
    find_base_python,
    missing,
    pip_path,
    stage_python,
)


@pytest.mark.parametrize(
    ("lang_env", "python", "keys"),
    [
        ("de_DE.UTF-8", "3.12", ["Error-de_DE", "Error-de", "Error"]),
        # glibc reports the name as set; CPython's alias table normalizes it.
        ("de_DE.utf8", "3.12", ["Error-de_DE", "Error-de", "Error"]),
        ("pt_BR", "3.11", ["Error-pt_BR", "Error-pt", "Error"]),
        ("zh_TW.UTF-8", "3.13", ["Error-zh_TW", "Error-zh", "Error"]),
        # The alias table gives a bare language its main territory.
        ("de", "3.12", ["Error-de_DE", "Error-de", "Error"]),
        ("C.UTF-8", "3.11", ["Error-en_US", "Error-en", "Error"]),
        ("C.utf8", "3.11", ["Error-en_US", "Error-en", "Error"]),
        ("C.UTF-8", "3.12", ["Error-C", "Error"]),
        ("C.UTF-8", "3.13t", ["Error-C", "Error"]),
        ("C", "3.12", ["Error"]),
        ("POSIX", "3.11", ["Error"]),
        ("", "3.12", ["Error"]),
        # Modifiers never reach the key.
        ("sr_RS.UTF-8@latin", "3.12", ["Error-sr_RS", "Error-sr", "Error"]),
        ("de_DE@euro", "3.12", ["Error-de_DE", "Error-de", "Error"]),
        ("ca_ES.UTF-8@valencia", "3.12", ["Error-ca_ES", "Error-ca", "Error"]),
    ],
)
def test_pip_lookup_keys(lang_env: str, python: str, keys: list[str]) -> None:
    assert pip_lookup_keys(lang_env, python) == keys
    assert pip_lookup_keys(lang_env, PythonVersion.parse(python)) == keys


def test_locale_not_generated_gets_error() -> None:
    assert pip_lookup_keys("de_DE.UTF-8", "3.12", available=False) == ["Error"]


def test_unparsable_locale_name() -> None:
    with pytest.raises(ValueError, match="unknown locale"):
        pip_language("klingon", "3.12")
    assert pip_lookup_keys("klingon", "3.12") == ["Error"]


def test_messages_locale_precedence_ignores_language() -> None:
    env = {"LANGUAGE": "fr", "LANG": "de_DE.UTF-8", "LC_MESSAGES": "", "LC_ALL": ""}
    assert messages_locale(env) == "de_DE.UTF-8"
    assert messages_locale({**env, "LC_MESSAGES": "pt_BR.UTF-8"}) == "pt_BR.UTF-8"
    assert messages_locale({**env, "LC_MESSAGES": "pt_BR.UTF-8", "LC_ALL": "ja_JP"}) == "ja_JP"
    assert messages_locale({"LANGUAGE": "fr"}) == "C"


@pytest.mark.parametrize(
    ("lang_env", "python", "keys", "expected"),
    [
        ("zh_TW.UTF-8", "3.12", ["Error", "Error-zh_CN", "Error-zh"], "Error-zh"),
        ("zh_TW.UTF-8", "3.12", ["Error", "Error-zh_CN"], "Error"),
        ("pt_PT.UTF-8", "3.12", ["Error", "Error-pt_BR", "Error-pt"], "Error-pt"),
        ("pt_BR.UTF-8", "3.12", ["Error", "Error-pt_BR", "Error-pt"], "Error-pt_BR"),
        ("C.UTF-8", "3.11", ["Error", "Error-en_US"], "Error-en_US"),
        ("C.UTF-8", "3.12", ["Error", "Error-en_US"], "Error"),
        # configparser folds key case.
        ("de_AT.UTF-8", "3.12", ["Error", "error-DE"], "error-DE"),
        ("de_AT.UTF-8", "3.12", ["Error-fr"], None),
    ],
)
def test_resolve_key(lang_env: str, python: str, keys: list[str], expected: str | None) -> None:
    assert resolve_key(lang_env, python, keys) == expected


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("Error-pt-BR", "never `Error-pt-BR`"),
        ("Error-de_DE.UTF-8", "write `Error-de_DE`"),
        ("Error-sr@latin", "modifier"),
        ("Error-xx", "`xx` in `Error-xx` is not a known language code"),
        ("Error-zh_Hant", "script"),
        ("Error-zh_Hant_TW", "at most"),
        ("Error-de_XY", "`XY` in `Error-de_XY` is not a known territory code"),
        ("Error-", "names no locale"),
        ("Fehler-de", "not `Error` or `Error-<locale>`"),
    ],
)
def test_key_problem(key: str, words: str) -> None:
    problem = key_problem(key)
    assert problem is not None
    assert words in problem


@pytest.mark.parametrize(
    "key",
    ["Error", "Error-de", "Error-pt_BR", "error-pt_br", "Error-C", "Error-es_419", "Error-iw_IL"],
)
def test_key_without_problem(key: str) -> None:
    assert key_problem(key) is None


def test_every_key_pip_tries_for_common_locales_has_no_problem() -> None:
    for name in COMMON_LOCALES:
        for python in ("3.11", "3.12"):
            for key in pip_lookup_keys(name, python):
                assert key_problem(key) is None, (name, python, key)


def test_every_alias_target_has_no_problem() -> None:
    import locale

    for alias in locale.locale_alias:
        for key in pip_lookup_keys(alias, "3.12"):
            assert key_problem(key) is None, (alias, key)


@pytest.mark.parametrize(
    ("name", "parsed", "key"),
    [
        ("de", LocaleName("de"), "Error-de"),
        ("pt_BR", LocaleName("pt", None, "BR"), "Error-pt_BR"),
        ("pt-BR", LocaleName("pt", None, "BR"), "Error-pt_BR"),
        ("pt_br", LocaleName("pt", None, "BR"), "Error-pt_BR"),
        ("zh_Hant_TW", LocaleName("zh", "Hant", "TW"), "Error-zh_TW"),
        ("zh-hant-tw", LocaleName("zh", "Hant", "TW"), "Error-zh_TW"),
        ("de_DE.UTF-8", LocaleName("de", None, "DE"), "Error-de_DE"),
        ("es_419", LocaleName("es", None, "419"), "Error-es_419"),
    ],
)
def test_parse_locale_name(name: str, parsed: LocaleName, key: str) -> None:
    assert parse_locale_name(name) == parsed
    assert locale_key(name) == key
    assert key_problem(key) is None


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("sr@latin", "modifier"),
        ("zh_Hant", "name the territory"),
        ("german", "is not a locale like"),
        ("pt_BR_x", "is not a locale like"),
    ],
)
def test_parse_locale_name_errors(name: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_locale_name(name)


def test_common_locales_cover_forty() -> None:
    languages = {name.split("_")[0] for name in COMMON_LOCALES if "_" in name}
    assert len(COMMON_LOCALES) >= 40
    assert len(languages) >= 40
    assert len(set(COMMON_LOCALES)) == len(COMMON_LOCALES)


def test_locales_module_does_not_import_babel() -> None:
    code = (
        "import sys, marker_tool.locales;"
        "print(sorted(m for m in sys.modules if m in {'babel', 'jinja2'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_language_data_matches_babel() -> None:
    babel = pytest.importorskip("babel")
    from marker_tool.i18n.localedata import babel_language_codes, locale_data_module

    languages, territories = babel_language_codes()
    # Debian builds Babel's locale data from its own CLDR (unicode-cldr-core), so Debian's
    # Babel of the same version may know more languages (trixie's: suz, kek, mww).
    debians = "/dist-packages/" in babel.__file__
    if babel.__version__ == _locale_data.BABEL_VERSION and not debians:
        assert languages == LANGUAGES
        assert territories == _locale_data.TERRITORIES
        path = Path(_locale_data.__file__)
        assert path.read_text(encoding="utf-8") == locale_data_module()
    else:
        # Another Babel, or Debian's: CLDR grows slowly; the codes that matter must agree.
        assert len(languages ^ LANGUAGES) < len(LANGUAGES) // 10
    for language in ("de", "pt", "zh", "ja", "yue", "fil"):
        assert language in languages


# Names whose normalization is worth pinning: every common locale, their
# glibc spellings, the C locales, modifiers, and the whole alias table.
def _names() -> list[str]:
    import locale

    names = list(COMMON_LOCALES)
    names += [n.replace("UTF-8", "utf8") for n in COMMON_LOCALES]
    names += ["C.utf8", "POSIX", "de_DE@euro", "sr_RS@latin", "de", "pt", "zh", "en_US"]
    names += sorted(locale.locale_alias)
    return names


_PARSE = """
import json, locale, sys
out = {}
for name in json.load(sys.stdin):
    try:
        language = locale._parse_localename(name)[0]
    except ValueError:
        language = "!ValueError"
    out[name] = [language, locale.normalize(name)]
print(json.dumps(out))
"""


@pytest.mark.real
@pytest.mark.parametrize("xy", ["3.11", "3.12", "3.13"])
def test_language_matches_each_cpython(xy: str) -> None:
    """The running Python's alias table plus the C.UTF-8 rule predicts every other CPython.

    Except where the two alias tables themselves differ (CPython regenerated its
    table in 3.13's later releases): those names, and only those, may disagree.
    """
    import locale

    base = find_base_python(xy)
    if base is None:
        missing(f"Python {xy}")
    names = _names()
    out = subprocess.run(
        [str(base), "-c", _PARSE],
        input=json.dumps(names),
        capture_output=True,
        text=True,
        check=True,
    )
    theirs = json.loads(out.stdout)
    disagree = []
    for name in names:
        try:
            ours: str | None = pip_language(name, xy)
        except ValueError:
            ours = "!ValueError"
        language, normalized = theirs[name]
        if ours != language:
            disagree.append(name)
            assert normalized != locale.normalize(name), (xy, name, ours, language)
    # The C.UTF-8 rule is ours, not the table's: it must never be what disagrees.
    assert not [name for name in disagree if name.lower().startswith("c.")], disagree


_PIP_KEYS = """
import locale
try:
    locale.setlocale(locale.LC_ALL, "")
except locale.Error:
    pass
from pip._internal.exceptions import ExternallyManagedEnvironment as E
print(" ".join(E._iter_externally_managed_error_keys()))
"""


@pytest.mark.real
@pytest.mark.parametrize("xy", ["3.11", "3.12"])
def test_keys_match_real_pip(tmp_path: Path, locpath: Path, xy: str) -> None:
    """The real pip's own key generator, under real locales, agrees with pip_lookup_keys."""
    staged = stage_python(xy, tmp_path / "py")
    # A private LOCPATH that also has the lower-case glibc spelling of one locale.
    private = tmp_path / "loc"
    private.mkdir()
    for entry in locpath.iterdir():
        (private / entry.name).symlink_to(entry)
    (private / "de_DE.utf8").symlink_to(locpath / "de_DE.UTF-8")
    generated = {*TEST_LOCALES, "de_DE.utf8", "C.UTF-8", "C"}
    cases = [*TEST_LOCALES, "de_DE.utf8", "C.UTF-8", "C", "nl_NL.UTF-8", "pt_BR"]
    for name in cases:
        env = clean_env(tmp_path, name, private, PYTHONPATH=str(pip_path()))
        out = subprocess.run(
            [str(staged.python), "-c", _PIP_KEYS],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert out.returncode == 0, out.stderr
        available = name in generated
        assert out.stdout.split() == pip_lookup_keys(name, xy, available=available), name


def test_import_is_cheap() -> None:
    # config, i18n and validate's key checks import this module without
    # needing CPython's locale alias table.
    code = (
        "import sys; before = set(sys.modules); import marker_tool.locales;"
        "print(sorted({'locale'} & (set(sys.modules) - before)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
