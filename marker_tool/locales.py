"""Which `Error-<locale>` key pip shows a user, and which keys it can ever match.

Pure standard library (validate and preview import this; they must not pay for
Babel). The code follows pip's `ExternallyManagedEnvironment.
_iter_externally_managed_error_keys` and CPython's `locale.getlocale`:

1. pip calls `setlocale(LC_ALL, "")` at start. If that fails (the locale is not
   generated on the machine) the C library stays in the "C" locale and pip
   shows `Error`.
2. `locale.getlocale(LC_MESSAGES)` asks the C library for the LC_MESSAGES
   name (LC_ALL, else LC_MESSAGES, else LANG; LANGUAGE plays no part), runs it
   through `locale.normalize` (CPython's alias table) and keeps the part before
   the codeset: `de_DE.utf8` -> `de_DE`, `sr_RS@latin` -> `sr_RS`, `C` -> None.
3. pip tries `Error-<lang>`, then `Error-<lang up to the first "-">`, then
   `Error-<lang up to the first "_">`, then `Error`. configparser folds key
   case, so `Error-pt_br` also matches `Error-pt_BR`.

The alias table: `locale.normalize` is a pure function of CPython's
`locale_alias` table. We use the running Python's table. The tables of CPython
3.10 to 3.13.0 map every one of their 588 aliases to the same language part
except one: `C.UTF-8` (3.11 and older: `en_US.UTF-8`; 3.12 and newer:
`C.UTF-8`, so pip tries `Error-C`). That one difference is applied per target
Python below. Later 3.13 releases and 3.14 carry a regenerated table: 18 more
aliases (`gbm_in`, `ltg_lv.utf8` ...), `univ`, `universal` and
`english.iso88591` gone, `sr@latn` now `sr_RS`. Those few names depend on the
target's patch release, which a marker cannot know; every language the newer
tables add is a known one below. tests/test_locales.py checks the prediction
against every interpreter it can find, and that any disagreement is one of
their tables' own differences.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from marker_tool._locale_data import LANGUAGES, TERRITORIES
from marker_tool.errors import ConfigError, closest
from marker_tool.model import ERROR_KEY, PythonVersion

__all__ = [
    "COMMON_LOCALES",
    "EXTRA_LANGUAGES",
    "LANGUAGES",
    "TERRITORIES",
    "LocaleName",
    "check_locale",
    "key_problem",
    "locale_key",
    "messages_locale",
    "parse_locale_name",
    "pip_language",
    "pip_lookup_keys",
    "resolve_key",
]

#: Language codes pip can report that Babel's CLDR data lacks: targets of
#: CPython's alias tables (`iw_IL`, `ph_PH`, `pd_DE`, `pp_AN`; `gbm_IN` since the
#: tables of 3.13's later releases and 3.14) and languages of glibc locales
#: (`ber_DZ`, `quz_PE`, `cmn_TW`).
_EXTRA_LANGUAGES = "agr ayc ber bhb cmn gbm hne iw mhr miq mjw mnw nhn pd ph pp quz shs the unm yuw"
EXTRA_LANGUAGES = frozenset(_EXTRA_LANGUAGES.split())
#: Territory codes CPython's alias table produces that CLDR lacks (`sr_CS`, `eo_XX`).
_EXTRA_TERRITORIES = "AA AN CS DL EN EO XX ZS"
EXTRA_TERRITORIES = frozenset(_EXTRA_TERRITORIES.split())

#: The UI locales a coverage report covers, as users set them in LANG. Chosen
#: by marker-tool's developers to cover the languages with the most speakers
#: and the locales Linux installers offer, plus the territory variants whose
#: users would see another territory's text (zh_TW vs zh_CN, pt_PT vs pt_BR)
#: and the C locales. Not a measured ranking.
COMMON_LOCALES: tuple[str, ...] = (
    "en_US.UTF-8",
    "en_GB.UTF-8",
    "en_CA.UTF-8",
    "en_AU.UTF-8",
    "en_IN.UTF-8",
    "zh_CN.UTF-8",
    "zh_TW.UTF-8",
    "zh_HK.UTF-8",
    "es_ES.UTF-8",
    "es_MX.UTF-8",
    "es_AR.UTF-8",
    "hi_IN.UTF-8",
    "ar_EG.UTF-8",
    "ar_SA.UTF-8",
    "bn_BD.UTF-8",
    "pt_BR.UTF-8",
    "pt_PT.UTF-8",
    "ru_RU.UTF-8",
    "ja_JP.UTF-8",
    "de_DE.UTF-8",
    "de_AT.UTF-8",
    "de_CH.UTF-8",
    "fr_FR.UTF-8",
    "fr_CA.UTF-8",
    "fr_BE.UTF-8",
    "ko_KR.UTF-8",
    "it_IT.UTF-8",
    "tr_TR.UTF-8",
    "vi_VN.UTF-8",
    "id_ID.UTF-8",
    "th_TH.UTF-8",
    "fa_IR.UTF-8",
    "pl_PL.UTF-8",
    "uk_UA.UTF-8",
    "nl_NL.UTF-8",
    "nl_BE.UTF-8",
    "ro_RO.UTF-8",
    "el_GR.UTF-8",
    "cs_CZ.UTF-8",
    "hu_HU.UTF-8",
    "sv_SE.UTF-8",
    "da_DK.UTF-8",
    "fi_FI.UTF-8",
    "nb_NO.UTF-8",
    "he_IL.UTF-8",
    "bg_BG.UTF-8",
    "sk_SK.UTF-8",
    "hr_HR.UTF-8",
    "sr_RS.UTF-8",
    "sl_SI.UTF-8",
    "lt_LT.UTF-8",
    "lv_LV.UTF-8",
    "et_EE.UTF-8",
    "ca_ES.UTF-8",
    "eu_ES.UTF-8",
    "gl_ES.UTF-8",
    "ms_MY.UTF-8",
    "ta_IN.UTF-8",
    "C.UTF-8",
    "C",
)

_LOCALE_RE = re.compile(
    r"(?P<language>[A-Za-z]{2,3})"
    r"(?:[_-](?P<script>[A-Za-z]{4}))?"
    r"(?:[_-](?P<territory>[A-Za-z]{2}|[0-9]{3}))?"
    r"(?:\.(?P<codeset>[A-Za-z0-9_-]+))?"
    r"(?:@(?P<modifier>[A-Za-z0-9_-]+))?"
)


def messages_locale(env: Mapping[str, str]) -> str:
    """The LC_MESSAGES locale name an environment selects: LC_ALL, else LC_MESSAGES, else LANG.

    LANGUAGE is a GNU gettext setting that pip never reads. An unset or empty
    environment means the "C" locale.
    """
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if env.get(name):
            return env[name]
    return "C"


def _normalize(name: str, python: PythonVersion) -> str:
    """`locale.normalize(name)` as Python `python` computes it."""
    code = name.lower().replace(":", ".")
    base, _, modifier = code.partition("@")
    langname, _, encoding = base.partition(".")
    encoding = encoding.split(".")[0].replace("-", "").replace("_", "")
    if langname == "c" and encoding == "utf8":
        # The one alias that differs between CPython versions (gh-74940, 3.12).
        result = "en_US.UTF-8" if (python.major, python.minor) <= (3, 11) else "C.UTF-8"
        if modifier and modifier != "euro":
            result += "@" + modifier
        return result
    # Imported here: ~1 ms, and only the pip lookup needs CPython's alias table
    # (not config, i18n or validate's key checks, which also import this module).
    import locale

    return locale.normalize(name)


def pip_language(lang_env: str, python: PythonVersion | str) -> str | None:
    """`locale.getlocale(LC_MESSAGES)[0]` under Python `python` with the locale `lang_env` set.

    None for the C/POSIX locale. Raises ValueError where CPython's getlocale
    does (a name without codeset that its alias table does not know).
    """
    version = PythonVersion.parse(python) if isinstance(python, str) else python
    code = _normalize(lang_env.strip() or "C", version)
    if "@" in code:
        code, modifier = code.split("@", 1)
        if modifier == "euro" and "." not in code:
            return code
    if "." in code:
        return code.split(".")[0]
    if code in {"C", "UTF-8"}:
        return None
    raise ValueError(f"unknown locale: {lang_env}")


def pip_lookup_keys(
    lang_env: str, python: PythonVersion | str, *, available: bool = True
) -> list[str]:
    """The keys pip tries, in order, for LC_ALL (or LANG) = `lang_env` under `python`.

    `available=False` means the locale is not generated on the user's machine:
    setlocale fails and pip shows `Error`. For a generated locale whose name
    CPython cannot parse at all (no codeset, unknown to its alias table) pip
    fails with a traceback; we return `["Error"]` for it, what uv shows.
    """
    if not available:
        return [ERROR_KEY]
    try:
        lang = pip_language(lang_env, python)
    except ValueError:
        return [ERROR_KEY]
    keys: list[str] = []
    if lang is not None:
        keys.append(f"{ERROR_KEY}-{lang}")
        for sep in ("-", "_"):
            before, found, _ = lang.partition(sep)
            if found:
                keys.append(f"{ERROR_KEY}-{before}")
    keys.append(ERROR_KEY)
    return keys


def resolve_key(
    lang_env: str,
    python: PythonVersion | str,
    keys: Iterable[str],
    *,
    available: bool = True,
) -> str | None:
    """The key of `keys` whose text pip shows for `lang_env`, as spelled in `keys`.

    None when none fits (pip then prints its own generic message). Matching
    ignores case, as pip's configparser does.
    """
    by_folded: dict[str, str] = {}
    for key in keys:
        by_folded.setdefault(key.lower(), key)
    for candidate in pip_lookup_keys(lang_env, python, available=available):
        if candidate.lower() in by_folded:
            return by_folded[candidate.lower()]
    return None


@dataclass(frozen=True, slots=True)
class LocaleName:
    """A locale identifier split into the parts pip and Babel care about."""

    #: Lower-case language code: `pt`.
    language: str
    #: Title-case script (`Hant`), which pip never sees; None when not given.
    script: str | None = None
    #: Upper-case territory (`BR`, `419`); None for a language-level locale.
    territory: str | None = None

    @property
    def pip_name(self) -> str:
        """The name pip looks up: `pt_BR`, `de`; never a script or codeset."""
        return f"{self.language}_{self.territory}" if self.territory else self.language

    @property
    def key(self) -> str:
        """The marker key pip finds for this locale: `Error-pt_BR`."""
        return f"{ERROR_KEY}-{self.pip_name}"


def parse_locale_name(name: str) -> LocaleName:
    """Parse a config locale (`pt_BR`, `pt-BR`, `de`, `zh_Hant_TW`, `de_DE.UTF-8`).

    A codeset is dropped (pip never sees it). Raises ValueError, lower-case
    with the fix, for a modifier (`sr@latin`: pip cannot tell it from `sr`), a
    script without territory (`zh_Hant`: pip only sees `zh_TW` or `zh_HK`) and
    anything that is not shaped like a locale.
    """
    match = _LOCALE_RE.fullmatch(name.strip())
    if not match:
        raise ValueError(f"`{name}` is not a locale like `de`, `pt_BR` or `zh_TW`")
    if match["modifier"]:
        base = name.partition("@")[0].partition(".")[0]
        raise ValueError(
            f"`{name}`: pip drops the `@{match['modifier']}` modifier and cannot tell this "
            f"locale from `{base}`"
        )
    script = match["script"].title() if match["script"] else None
    territory = match["territory"].upper() if match["territory"] else None
    if script and not territory:
        raise ValueError(
            f"`{name}`: pip never sees a script; name the territory instead "
            "(`zh_TW` rather than `zh_Hant`)"
        )
    return LocaleName(match["language"].lower(), script, territory)


def _known_locales(language: str) -> list[str]:
    """`language_TERRITORY` names CPython's alias table knows for `language` (pip's names)."""
    import locale  # the error path only

    names = {alias.partition(".")[0] for alias in locale.locale_alias.values()}
    return sorted(n for n in names if n.split("_")[0] == language and "_" in n)


#: ISO 639 codes for no language in particular.
_SPECIAL_LANGUAGES = frozenset({"zxx", "und", "mul", "mis", "root"})


def check_locale(name: str) -> LocaleName:
    """The one locale check: `name` parsed, its language and territory known (CLDR codes).

    ConfigError with a suggestion otherwise (`pt_BX`: did you mean `pt_BR`?);
    the caller adds the file, line and key.
    """
    try:
        parsed = parse_locale_name(name)
    except ValueError as exc:
        raise ConfigError(
            str(exc), hint="use a language code like `de`, or language_TERRITORY like `pt_BR`"
        ) from None
    if parsed.language not in LANGUAGES and parsed.language not in EXTRA_LANGUAGES:
        # Suggest a code of the same length, and never CLDR's special codes (`zxx`: no
        # linguistic content, `und`, `mul`, `mis`), which no message is written in.
        alike = [
            code
            for code in LANGUAGES
            if len(code) == len(parsed.language) and code not in _SPECIAL_LANGUAGES
        ]
        close = closest(parsed.language, alike)
        raise ConfigError(
            f"unknown language `{parsed.language}` in locale `{name}`",
            hint=f"did you mean `{close}`?" if close else "use an ISO 639 code like `de`",
        )
    territory = parsed.territory
    if territory and territory not in TERRITORIES and territory not in EXTRA_TERRITORIES:
        close = closest(parsed.pip_name, _known_locales(parsed.language), cutoff=0.5)
        raise ConfigError(
            f"unknown territory `{territory}` in locale `{name}`",
            hint=f"did you mean `{close}`?" if close else "use an ISO 3166 code like `BR`",
        )
    return parsed


def locale_key(name: str) -> str:
    """The marker key pip finds for a config locale: `pt-BR` -> `Error-pt_BR`."""
    return parse_locale_name(name).key


def key_problem(key: str) -> str | None:
    """Why pip can never match `key` (an `Error-...` key), or None when it can.

    `Error` itself and `Error-C` (C.UTF-8 on Python 3.12+) are fine. Case does
    not matter to pip.
    """
    if key.lower() == ERROR_KEY.lower():
        return None
    prefix = f"{ERROR_KEY}-"
    if not key.lower().startswith(prefix.lower()):
        return f"`{key}` is not `Error` or `Error-<locale>`; pip never reads it"
    name = key[len(prefix) :]
    if not name:
        return f"`{key}` names no locale; pip looks up `Error-de` or `Error-pt_BR`"
    if name.lower() == "c":
        return None
    if "." in name:
        base = name.partition(".")[0].partition("@")[0]
        return f"pip never includes a codeset in the key; write `Error-{base}`, not `{key}`"
    if "@" in name:
        base = name.partition("@")[0]
        return (
            f"pip drops the locale modifier; `{key}` is never matched (it looks up `Error-{base}`)"
        )
    if "-" in name:
        fixed = name.replace("-", "_")
        return f"pip looks up `Error-{fixed}`, never `{key}`"
    parts = name.split("_")
    language = parts[0].lower()
    if language not in LANGUAGES and language not in EXTRA_LANGUAGES:
        return f"`{parts[0]}` in `{key}` is not a known language code"
    if len(parts) > 2:
        return f"pip looks up `Error-<language>_<TERRITORY>` at most; `{key}` is never matched"
    if len(parts) == 2:
        territory = parts[1]
        if len(territory) == 4 and territory.isalpha():
            return (
                f"pip never sees a script like `{territory}`; use a territory "
                f"(`Error-{parts[0]}_TW`), not `{key}`"
            )
        if territory.upper() not in TERRITORIES and territory.upper() not in EXTRA_TERRITORIES:
            return f"`{territory}` in `{key}` is not a known territory code"
    return None
