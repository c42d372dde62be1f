"""Distributor configs: TOML in, `Distributor` out.

The only module that sees raw dicts. Every mistake in a config becomes a
`ConfigError` naming the file, the line (found by scanning the file's text,
since tomllib reports none for valid TOML), the key, what was expected and,
where one helps, a "did you mean" hint.

A config may start from a built-in preset (`preset = "debian"`) and override
its values; the presets themselves are configs in `templates/presets/`.
Placeholders (`{version}`, `{name}` ...) stay in the `Distributor` as written
and are filled per Python at render time (`marker_tool.placeholders`).

`SCHEMA` is the one description of the keys (type, default, help, a check
that asks the module owning the fact); the reader, the defaults a
`Distributor` gets, the starter config (`starter_config`, for `init`) and
docs/config-reference.md (`config_reference`) all come from it.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from marker_tool import placeholders, safeio
from marker_tool.errors import ConfigError, MarkerToolError, did_you_mean, warn
from marker_tool.layouts import get_layout
from marker_tool.model import Distributor, I18nSettings, PythonVersion, target_problem
from marker_tool.placeholders import PATH_PLACEHOLDERS, PLACEHOLDERS
from marker_tool.presets import BUILTIN_TEMPLATE, VENDOR_NAMED, detect_preset, preset_path
from marker_tool.text import FORBIDDEN_IN_TEXT, char_name

Check = Callable[["_Reader", "Key", Any], Any]


@dataclass(frozen=True, slots=True)
class ValueType:
    """A kind of TOML value a key holds."""

    #: How messages and the reference name it: `a string`, `a list of strings`.
    name: str
    #: True for a value of this kind.
    test: Callable[[Any], bool]


def _is_strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


STRING = ValueType("a string", lambda value: isinstance(value, str))
BOOLEAN = ValueType("true or false", lambda value: isinstance(value, bool))
STRINGS = ValueType("a list of strings", _is_strings)
TABLE = ValueType("a table", lambda value: isinstance(value, dict))
STRING_TABLE = ValueType(
    "a table of strings",
    lambda value: isinstance(value, dict) and all(isinstance(v, str) for v in value.values()),
)
STRINGS_TABLE = ValueType(
    "a table of lists of strings",
    lambda value: isinstance(value, dict) and all(_is_strings(v) for v in value.values()),
)


@dataclass(frozen=True, slots=True)
class Key:
    """One row of the config schema."""

    #: `name`, `message.install`, `i18n.texts`: the table, a dot, the key.
    path: str
    type: ValueType
    #: The value when the key is not set; None when there is none (the help says what then).
    default: Any
    #: One line: what the value means.
    help: str
    #: Shown (commented out) in a starter config instead of the default.
    example: Any = field(default=None, kw_only=True)
    #: Checks a value of the right type, asking the module that owns the fact;
    #: returns what the Distributor is built from.
    check: Check | None = field(default=None, kw_only=True)
    #: What no value means, when there is no default (for the reference).
    unset: str = field(default="none", kw_only=True)

    @property
    def table(self) -> str | None:
        """The table the key is in (`message`), None at the top level."""
        return self.path.rpartition(".")[0] or None

    @property
    def name(self) -> str:
        """The key's own name (`install`)."""
        return self.path.rpartition(".")[2]


# -- the checks: each asks the module that owns the fact, with the config's line ----


def _not_empty(reader: _Reader, key: Key, value: str) -> str:
    if not value.strip():
        raise reader.error_at(key, f"`{key.name}` is empty")
    return value


def _known(owner: Callable[[str], object], *, hint: str | None = None) -> Check:
    """A check for a name `owner` looks up (and refuses with "did you mean")."""

    def check(reader: _Reader, key: Key, value: str) -> str:
        _not_empty(reader, key, value)
        try:
            owner(value)
        except MarkerToolError as exc:
            raise reader.error_at(key, exc.message, hint=exc.hint or hint) from None
        return value

    return check


def _pythons(reader: _Reader, key: Key, value: list[str]) -> tuple[PythonVersion, ...]:
    seen: dict[PythonVersion, str] = {}
    for version in value:
        try:
            parsed = PythonVersion.parse(version)
        except ValueError as exc:
            raise reader.error_at(key, str(exc)) from None
        if parsed in seen:
            raise reader.error_at(
                key,
                f"`pythons` lists {parsed} twice (`{seen[parsed]}` and `{version}`)",
                hint="list each Python once",
            )
        problem = target_problem(parsed)
        if problem is not None and problem[0]:
            raise reader.error_at(key, problem[1])
        if problem is not None:
            warn(f"{reader.path}: `pythons`: {problem[1]}")
        seen[parsed] = version
    return tuple(seen)


def _path_pattern(reader: _Reader, key: Key, value: str) -> str:
    reader.check_text(value, key, allowed=PATH_PLACEHOLDERS)
    return value


def _text(reader: _Reader, key: Key, value: str) -> str:
    reader.check_text(value, key)
    return value


def _texts(reader: _Reader, key: Key, value: list[str]) -> list[str]:
    for text in value:
        reader.check_text(text, key)
    return value


class MissingPath(ConfigError):
    """A path the config names is not there (`path`): `i18n extract` makes `catalogs`."""

    def __init__(self, message: str, *, path: Path, **where: Any) -> None:
        super().__init__(message, **where)
        self.path = path


def _existing_path(reader: _Reader, key: Key, value: str) -> str:
    """A path relative to the config, made absolute; it must be there."""
    target = (reader.path.parent / value).resolve()
    if not target.exists():
        error = reader.error_at(key, f"`{key.name}`: {target} does not exist")
        raise MissingPath(
            error.message, file=error.file, line=error.line, key=error.key, path=target
        )
    return str(target)


def _newline(reader: _Reader, key: Key, value: str) -> str:
    if value not in NEWLINES:
        raise reader.error_at(
            key,
            f"`newline` is `{value}`; expected one of {', '.join(NEWLINES)}",
            hint=did_you_mean(value, NEWLINES),
        )
    return value


def _variables(reader: _Reader, key: Key, value: dict[str, str]) -> dict[str, str]:
    for name, text in value.items():
        if not name.isidentifier() or name in RESERVED_VARIABLES:
            raise reader.error_at(
                key,
                f"`{name}` cannot be a template variable name "
                "(a Python identifier, not one of the built-in names)",
                sub=name,
            )
        reader.check_text(text, key, sub=name)
    return value


def _locales(reader: _Reader, key: Key, value: list[str]) -> list[str]:
    for locale in value:
        if not locale.strip():
            raise reader.error_at(key, "`locales` has an empty locale")
        reader.check_locale(locale, key)
    return value


def _by_locale(reader: _Reader, key: Key, value: dict[str, Any]) -> dict[str, Any]:
    """`[i18n.texts]` and `[i18n.extra]`: a locale name -> text(s)."""
    for locale, texts in value.items():
        reader.check_locale(locale, key, sub=locale)
        for text in [texts] if isinstance(texts, str) else texts:
            reader.check_text(text, key, sub=locale)
    return value


#: `[file] newline` values -> the line ending.
NEWLINES: dict[str, Literal["\n", "\r\n"]] = {"lf": "\n", "crlf": "\r\n"}

#: The config schema: every key, in the order the starter config and the reference show them.
SCHEMA: tuple[Key, ...] = (
    Key(
        "preset",
        STRING,
        None,
        "a built-in preset to start from",
        example="debian",
        check=_known(preset_path),
    ),
    Key(
        "name",
        STRING,
        None,
        "the distributor's name as users know it",
        example="Example Linux",
        check=_not_empty,
        unset="required (or a preset's)",
    ),
    Key(
        "layout",
        STRING,
        "generic",
        "an install layout, see `marker-tool layouts`",
        check=_known(get_layout, hint="`marker-tool layouts` lists them"),
    ),
    Key(
        "pythons",
        STRINGS,
        None,
        'Python versions, e.g. ["3.12", "3.13t"]',
        example=["3.12", "3.13t"],
        check=_pythons,
        unset="the running Python",
    ),
    Key(
        "prefix",
        STRING,
        None,
        "the layout's prefix (keg, store path)",
        example="/opt/python",
        check=_path_pattern,
        unset="the layout's",
    ),
    Key(
        "libdir",
        STRING,
        None,
        "the layout's libdir (`%{_libdir}`)",
        example="/usr/lib64",
        check=_path_pattern,
        unset="the layout's",
    ),
    Key("message", TABLE, None, "the message's template and the values it fills in"),
    Key(
        "i18n", TABLE, None, "translations: gettext catalogs (see `marker-tool i18n`) or full texts"
    ),
    Key("file", TABLE, None, "the whole file from a template of your own (`marker-tool adopt`)"),
    Key(
        "message.template",
        STRING,
        None,
        "a Jinja template file, relative to the config",
        example="message.txt.j2",
        check=_existing_path,
        unset="the built-in template",
    ),
    # The built-in template's variables (`MESSAGE_KEYS`):
    Key(
        "message.install",
        STRING,
        "",
        "command that installs a packaged Python project, with `{name}`",
        check=_text,
    ),
    Key(
        "message.venv",
        STRING,
        "python{version} -m venv path/to/venv",
        "command that creates a virtual environment in `venv_dir`",
        check=_text,
    ),
    Key(
        "message.venv_dir",
        STRING,
        "path/to/venv",
        "the example virtual environment's directory",
        check=_text,
    ),
    Key(
        "message.venv_setup",
        STRING,
        "",
        "command or package that makes `venv` work, e.g. `apt install python3-full`",
        check=_text,
    ),
    Key(
        "message.pipx",
        STRING,
        "pipx install {name}",
        'command that installs an application with pipx; "" leaves pipx out',
        check=_text,
    ),
    Key("message.pipx_setup", STRING, "", "command that installs pipx", check=_text),
    Key("message.docs", STRING, "", "a path or URL with more information", check=_text),
    Key(
        "message.pip_conf",
        STRING,
        "",
        "pip's config file; when set, explain `--break-system-packages` for pip and uv",
        check=_text,
    ),
    Key(
        "message.user_flag",
        STRING,
        "--user",
        'pip\'s `--user` flag, which is refused too; "" leaves that sentence out',
        check=_text,
    ),
    Key(
        "message.extra",
        STRINGS,
        [],
        "extra paragraphs at the end of the message",
        example=["Another paragraph at the end of the message."],
        check=_texts,
    ),
    Key(
        "message.variables",
        STRING_TABLE,
        {},
        "more variables for your own template",
        example={"support": "https://example.org/support"},
        check=_variables,
    ),
    Key(
        "i18n.catalogs",
        STRING,
        None,
        "a directory of LOCALE.po files, relative to the config",
        example="po",
        check=_existing_path,
        unset="the built-in catalogs",
    ),
    Key(
        "i18n.locales",
        STRINGS,
        [],
        'locales to ship, e.g. ["de", "pt_BR"]',
        example=["de", "pt_BR"],
        check=_locales,
    ),
    Key("i18n.partial", BOOLEAN, False, "ship locales whose catalog is incomplete"),
    Key("i18n.require_all", BOOLEAN, False, "a listed locale left out or partial is an error"),
    Key(
        "i18n.territory_fallback",
        BOOLEAN,
        True,
        "let `pt_BR` also serve `pt` when there is no `pt`",
    ),
    Key(
        "i18n.texts",
        STRING_TABLE,
        {},
        "full message texts by locale",
        example={"de": "Der vollständige Text für Error-de ..."},
        check=_by_locale,
    ),
    Key(
        "i18n.extra",
        STRINGS_TABLE,
        {},
        "the `[message] extra` paragraphs, translated, by locale (as many, in the same order)",
        check=_by_locale,
    ),
    Key(
        "i18n.prose", STRINGS, [], "`[message.variables]` that are prose, translated like sentences"
    ),
    Key(
        "file.template",
        STRING,
        None,
        "a Jinja template of the whole file, relative to the config",
        example="EXTERNALLY-MANAGED.in",
        check=_existing_path,
    ),
    Key(
        "file.newline",
        STRING,
        "lf",
        '"lf" or "crlf": the line ending the file is written with',
        check=_newline,
    ),
)
#: Each table's keys by name: "" is the top level.
TABLES: dict[str, dict[str, Key]] = {
    table: {key.name: key for key in SCHEMA if (key.table or "") == table}
    for table in ("", *(key.path for key in SCHEMA if key.type is TABLE))
}
KEYS: dict[str, Key] = {key.path: key for key in SCHEMA}
#: The built-in template's variables: `[message]`'s strings but the template itself.
MESSAGE_KEYS: tuple[str, ...] = tuple(
    key.name for key in TABLES["message"].values() if key.type is STRING and key.name != "template"
)
#: Names the template sees besides the message keys; `[message.variables]` may not shadow them.
RESERVED_VARIABLES = frozenset(
    {
        *PLACEHOLDERS,
        *MESSAGE_KEYS,
        "extra",
        "python",
        "venv_python",
        "venv_pip",
        "template",
        "translations",
    }
)


# -- reading ------------------------------------------------------------------


# Patterns for finding the line of an error: compiled (and cached by `re`) on
# the first error, not at every start-up.
_HEADER = r"\s*\[\[?([^\[\]]+)\]\]?\s*(?:#.*)?"
_ASSIGNMENT = r"\s*([\w\-.\"' ]+?)\s*="


def _dotted(name: str) -> str:
    """`message . "install"` -> `message.install` (good enough for finding lines)."""
    return ".".join(part.strip().strip("\"'") for part in name.split("."))


def _line_of(text: str, table: str | None, key: str) -> int | None:
    """The 1-based line where `key` is set in `[table]` (top level for None), if found.

    tomllib gives no positions for valid TOML, so the file's text is scanned:
    table headers, `key =` lines (also dotted keys), skipping multi-line strings.
    """
    wanted = f"{table}.{key}" if table else key
    current = ""
    in_string: str | None = None
    fallback = None
    for number, line in enumerate(text.splitlines(), 1):
        if in_string:
            if line.count(in_string) % 2:
                in_string = None
            continue
        header = re.fullmatch(_HEADER, line)
        if header:
            current = _dotted(header[1])
            if current == wanted:
                return number
            continue
        assignment = re.match(_ASSIGNMENT, line)
        if assignment:
            name = _dotted(assignment[1])
            full = f"{current}.{name}" if current else name
            if full == wanted:
                return number
            if name.rpartition(".")[2] == key and fallback is None:
                fallback = number
        for quotes in ('"""', "'''"):
            if line.count(quotes) % 2:
                in_string = quotes
    return fallback


class _Reader:
    """Checks one config file's raw dict against `SCHEMA`; knows the file's text to find lines."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text

    def error(
        self, message: str, table: str | None, key: str | None, *, hint: str | None = None
    ) -> ConfigError:
        full_key = f"{table}.{key}" if table and key else (key or table)
        line = _line_of(self.text, table, key) if key else None
        if line is None and table:
            line = _line_of(self.text, None, table)
        return ConfigError(message, file=self.path, line=line, key=full_key, hint=hint)

    def error_at(
        self, key: Key, message: str, *, sub: str | None = None, hint: str | None = None
    ) -> ConfigError:
        """An error about `key`, or about `sub` inside the table `key` holds."""
        if sub is not None:
            return self.error(message, key.path, sub, hint=hint)
        return self.error(message, key.table, key.name, hint=hint)

    def check(self, raw: dict[str, Any]) -> dict[str, Any]:
        """Check every key; return the checked values (paths absolute, `pythons` parsed)."""
        checked = self._table(raw, "")
        self._relations(checked)
        return checked

    def _table(self, raw: dict[str, Any], table: str) -> dict[str, Any]:
        schema = TABLES[table]
        checked = {}
        for name, value in raw.items():
            key = schema.get(name)
            where = f"[{table}]" if table else "the top level"
            if key is None:
                raise self.error(
                    f"unknown key `{name}` in {where}; expected one of {', '.join(schema)}",
                    table or None,
                    name,
                    hint=did_you_mean(name, schema) or _elsewhere(name, table),
                )
            if not key.type.test(value):
                raise self.error_at(
                    key,
                    f"`{name}` must be {key.type.name} ({key.help}), not {_describe(value)}",
                )
            if key.path in TABLES:
                checked[name] = self._table(value, key.path)
            else:
                checked[name] = key.check(self, key, value) if key.check else value
        return checked

    def _relations(self, raw: dict[str, Any]) -> None:
        """What one key says about another: prose names variables, translations match."""
        own = raw.get("message", {}).get("variables", {})
        for name in raw.get("i18n", {}).get("prose", ()):
            if name not in own:
                raise self.error_at(
                    KEYS["i18n.prose"],
                    f"`prose` names `{name}`, which is not in `[message.variables]`",
                    hint=did_you_mean(name, own),
                )
        english = raw.get("message", {}).get("extra", [])
        for locale, paragraphs in raw.get("i18n", {}).get("extra", {}).items():
            if len(paragraphs) != len(english):
                raise self.error_at(
                    KEYS["i18n.extra"],
                    f"`{locale}` has {len(paragraphs)} paragraphs where `[message] extra` "
                    f"has {len(english)}: give each one, in the same order",
                    sub=locale,
                )

    def check_locale(self, name: str, key: Key, *, sub: str | None = None) -> None:
        """Check a locale's shape and codes here, where the config's lines are known.

        `marker_tool.locales.check_locale` is the one check; here its error
        gets the config's file and line.
        """
        from marker_tool.locales import check_locale

        try:
            check_locale(name)
        except MarkerToolError as exc:
            raise self.error_at(key, exc.message, sub=sub, hint=exc.hint) from None

    def check_text(
        self,
        text: str,
        key: Key,
        *,
        sub: str | None = None,
        allowed: Mapping[str, object] = PLACEHOLDERS,
    ) -> None:
        """Placeholders (`placeholders` owns them) and characters (`text` owns them)."""
        problem = placeholders.problem(text, allowed)
        if problem:
            raise self.error_at(key, problem[0], sub=sub, hint=problem[1])
        control = FORBIDDEN_IN_TEXT.search(text)
        if control:
            raise self.error_at(
                key,
                f"`{sub or key.name}` contains the {char_name(control[0])}",
                sub=sub,
                hint="pip and uv cannot show it as written; use plain spaces and line breaks",
            )


def _elsewhere(name: str, table: str) -> str | None:
    """Where a key that is unknown in `table` does belong, if anywhere."""
    for other, schema in TABLES.items():
        if other != table and name in schema:
            return f"`{name}` belongs in {f'[{other}]' if other else 'the top level'}"
    return None


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, list):
        bad = any(not isinstance(item, str) for item in value)
        return "a list with non-string items" if bad else "a list"
    if isinstance(value, dict):
        bad = any(not isinstance(item, str) for item in value.values())
        return "a table with non-string values" if bad else "a table"
    names = {int: "an integer", float: "a number", str: "a string"}
    return names.get(type(value), type(value).__name__)


def _read(path: Path) -> dict[str, Any]:
    """Read and check one config file (not yet merged with its preset)."""
    try:
        data = safeio.read_bytes(path, kind="config")
    except FileNotFoundError:
        raise ConfigError(
            f"config file `{path}` does not exist",
            file=path,
            hint="`marker-tool init` writes a starter config",
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file: {exc.strerror}", file=path) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            "config file is not UTF-8", file=path, line=data[: exc.start].count(b"\n") + 1
        ) from None
    if text.startswith("\ufeff"):
        raise ConfigError(
            "the config starts with a UTF-8 byte-order mark (BOM), which TOML does not allow",
            file=path,
            line=1,
            hint="save it as UTF-8 without a BOM (most editors have an option for it)",
        )
    try:
        raw = tomllib.loads(text)
    except RecursionError:
        raise ConfigError(
            "not valid TOML for a config: values nested too deeply",
            file=path,
            hint="a config has two levels of tables at most",
        ) from None
    except tomllib.TOMLDecodeError as exc:
        # tomllib says "... (at line 3, column 7)"; keep the reason, move the line.
        reason, _, position = str(exc).partition(" (at ")
        line: int | None = None
        if position.startswith("line "):
            line = int(position.split()[1].rstrip(","))
        raise _toml_error(path, text, reason, line) from None
    return _Reader(path, text).check(raw)


def _toml_error(path: Path, text: str, reason: str, line: int | None) -> ConfigError:
    """tomllib's error, with the key named when it says a key or table is given twice."""
    lines = text.splitlines()
    source = lines[line - 1] if line and line <= len(lines) else ""
    if reason.startswith(("Cannot overwrite a value", "Cannot declare")):
        header = re.fullmatch(_HEADER, source)
        assignment = re.match(_ASSIGNMENT, source)
        name = _dotted(header[1]) if header else _dotted(assignment[1]) if assignment else None
        if name:
            what = f"table `[{name}]`" if header else f"`{name}`"
            return ConfigError(
                f"{what} is set twice",
                file=path,
                line=line,
                key=name,
                hint="keep one of them (TOML allows each key once)",
            )
    return ConfigError(
        f"not valid TOML: {reason[:1].lower()}{reason[1:]}",
        file=path,
        line=line,
        hint="strings need quotes; tables look like `[message]`",
    )


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _resolve(path: Path, seen: tuple[str, ...] = ()) -> tuple[dict[str, Any], str | None]:
    """The merged raw config of `path` and the presets it starts from."""
    raw = _read(path)
    preset = raw.pop("preset", None)
    if preset is None:
        return raw, None
    if preset in seen:
        raise ConfigError(f"preset `{preset}` starts from itself", file=path, key="preset")
    base, _ = _resolve(preset_path(preset), (*seen, preset))
    return _merge(base, raw), preset


def _value(raw: dict[str, Any], path: str) -> Any:
    """The checked value of `path` (`i18n.partial`), else its default from the schema."""
    table, _, name = path.rpartition(".")
    values = raw.get(table, {}) if table else raw
    return values.get(name, KEYS[path].default)


def _distributor(
    raw: dict[str, Any],
    *,
    preset: str | None,
    source: Path | None,
    pythons: Sequence[PythonVersion] = (),
) -> Distributor:
    where = source or (preset_path(preset) if preset else None)
    if "name" not in raw:
        raise ConfigError(
            "the config has no `name`",
            file=where,
            key="name",
            hint='add `name = "..."` (the distributor\'s name) or `preset = "..."`',
        )
    variables: list[tuple[str, str | tuple[str, ...]]] = [
        (name, _value(raw, f"message.{name}")) for name in MESSAGE_KEYS
    ]
    variables.append(("extra", tuple(_value(raw, "message.extra"))))
    variables.extend(sorted(_value(raw, "message.variables").items()))
    # The running Python is only the last resort: asking sysconfig about it
    # costs start-up, which a command line that names its Pythons need not pay.
    pythons = tuple(pythons) or raw.get("pythons", ()) or (PythonVersion.running(),)
    return Distributor(
        name=raw["name"],
        layout=_value(raw, "layout"),
        pythons=pythons,
        template=_value(raw, "message.template") or BUILTIN_TEMPLATE,
        variables=tuple(variables),
        prefix=_value(raw, "prefix"),
        libdir=_value(raw, "libdir"),
        i18n=I18nSettings(
            catalog_dir=_value(raw, "i18n.catalogs"),
            locales=tuple(_value(raw, "i18n.locales")),
            partial=_value(raw, "i18n.partial"),
            require_all=_value(raw, "i18n.require_all"),
            territory_fallback=_value(raw, "i18n.territory_fallback"),
            texts=tuple(_value(raw, "i18n.texts").items()),
            extra=_extra_by_locale(_value(raw, "i18n.extra")),
            prose=tuple(_value(raw, "i18n.prose")),
        ),
        preset=preset,
        source=str(source) if source else None,
        file_template=_value(raw, "file.template"),
        newline=NEWLINES[_value(raw, "file.newline")],
    )


def _extra_by_locale(table: Mapping[str, list[str]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """`[i18n.extra]` keyed by pip's locale name (`pt-BR` -> `pt_BR`)."""
    if not table:
        return ()
    from marker_tool.locales import check_locale

    return tuple((check_locale(name).pip_name, tuple(texts)) for name, texts in table.items())


def load_preset(name: str, *, pythons: Sequence[PythonVersion] = ()) -> Distributor:
    """The built-in preset `name` as a Distributor (Pythons: `pythons`, else the running one)."""
    raw, _ = _resolve(preset_path(name), (name,))
    return _distributor(raw, preset=name, source=None, pythons=pythons)


def load_config(path: Path, *, pythons: Sequence[PythonVersion] = ()) -> Distributor:
    """Read a distributor config; ConfigError with file, line and key on any mistake.

    `pythons`, when given, replace the config's (the command line's `--python`).
    """
    raw, preset = _resolve(Path(path))
    return _distributor(raw, preset=preset, source=Path(path), pythons=pythons)


def resolve_distributor(
    config: Path | None,
    preset: str | None,
    *,
    os_release: Path = Path("/etc/os-release"),
    pythons: Sequence[PythonVersion] = (),
) -> Distributor:
    """The CLI's rule: the config file, else the preset, else the host's preset.

    `pythons`, when given, replace the config's (the command line's `--python`).
    """
    if config is not None:
        return load_config(config, pythons=pythons)
    name = preset if preset is not None else detect_preset(os_release)
    return load_preset(name, pythons=pythons)


# -- the starter config and the reference, from SCHEMA ------------------------


def toml_value(value: Any) -> str:
    """`value` (a string, bool or list of them) written as TOML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    import json

    # A JSON string is a TOML basic string (same escapes, \uXXXX included).
    return json.dumps(value, ensure_ascii=False)


def _toml_key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else toml_value(name)


def _starter_table(table: str, values: Mapping[str, Any]) -> list[str]:
    """One table of a starter config: its values set, every other key commented out.

    Every commented-out line loads as it stands once uncommented: a sub-table's
    header is written even when empty, so its example lands in it.
    """
    lines = []
    later = []
    for key in TABLES[table].values():
        if key.path in TABLES or key.path == "preset":  # the starter is its preset, written out
            continue
        if key.type in (STRING_TABLE, STRINGS_TABLE):
            later.append(key)
            continue
        shown = key.example if key.example is not None else key.default
        lines.append(f"# {key.help}")
        if key.name in values:
            lines.append(f"{key.name} = {toml_value(values[key.name])}")
        elif shown is not None:
            lines.append(f"# {key.name} = {toml_value(shown)}")
    for key in later:
        lines += ["", f"# {key.help}", f"[{key.path}]"]
        given = values.get(key.name) or {}
        example = {} if given else key.example or {}
        lines += [f"{_toml_key(name)} = {toml_value(v)}" for name, v in given.items()]
        lines += [f"# {_toml_key(name)} = {toml_value(v)}" for name, v in example.items()]
    return lines


def _vendor_named(lines: list[str], preset: str) -> list[str]:
    """A dpkg-based preset's starter keeps the preset and leaves `name` unset: the build's
    vendor (dpkg-vendor, as dh_externally_managed asks) names the distributor, so a
    derivative building the package says its own."""
    if preset not in VENDOR_NAMED:
        return lines
    out = []
    for line in lines:
        if line.startswith("name = "):
            out += [
                "# unset: the preset's; dh_externally_managed takes the build's vendor "
                "(dpkg-vendor)",
                f"# {line}",
                f"preset = {toml_value(preset)}",
            ]
        else:
            out.append(line)
    return out


def starter_config(preset: str, pythons: tuple[PythonVersion, ...] = ()) -> str:
    """A commented config that makes the same markers as `preset`, to edit."""
    raw, _ = _resolve(preset_path(preset), (preset,))
    raw["pythons"] = [str(v) for v in pythons or (PythonVersion.running(),)]
    placeholders = "\n".join(f"#   {{{name}}}: {doc}" for name, doc in PLACEHOLDERS.items())
    lines = [
        f"# marker-tool config, started from the `{preset}` preset.",
        "# `marker-tool render -c FILE` shows the EXTERNALLY-MANAGED markers it makes;",
        "# `marker-tool install -c FILE --destdir DIR` installs them.",
        "# Every string may use these placeholders, filled in for each Python:",
        placeholders,
        "# and `{{` / `}}` for literal braces.",
        "",
        *_vendor_named(_starter_table("", raw), preset),
    ]
    for table in TABLES:
        if table:
            key = KEYS[table]
            lines += ["", f"# {key.help[:1].upper()}{key.help[1:]}.", f"[{table}]"]
            lines += _starter_table(table, raw.get(table, {}))
    return "\n".join(lines) + "\n"


def _reference_default(key: Key) -> str:
    if key.path in TABLES:
        return ""
    if key.default is None:
        return key.unset
    if key.default in ({}, []):
        return "empty"
    return f"`{toml_value(key.default)}`"


def config_reference() -> str:
    """docs/config-reference.md: every key of `SCHEMA`, by table."""
    lines = [
        "# Config reference",
        "",
        "<!-- Generated from marker_tool.config.SCHEMA by config_reference(); do not edit:",
        "     tests/test_config.py checks it (pytest --update-goldens rewrites it). -->",
        "",
        "A distributor config is a TOML file (`marker-tool init` writes a starter).",
        "Every string may use the placeholders below, filled in for each Python;",
        "`{{` and `}}` are literal braces. `prefix` and `libdir` take only",
        "`{version}` and `{stdlib_name}`. Paths are relative to the config.",
        "",
        *(f"- `{{{name}}}`: {doc}" for name, doc in PLACEHOLDERS.items()),
    ]
    for table, keys in TABLES.items():
        title = f"`[{table}]`" if table else "The top level"
        about = [f"{KEYS[table].help[:1].upper()}{KEYS[table].help[1:]}.", ""] if table else []
        lines += [
            "",
            f"## {title}",
            "",
            *about,
            "| key | type | default | meaning |",
            "|---|---|---|---|",
        ]
        for key in keys.values():
            kind = "a table, below" if key.path in TABLES else key.type.name
            meaning = key.help.replace("|", "\\|")
            lines.append(f"| `{key.name}` | {kind} | {_reference_default(key)} | {meaning} |")
    return "\n".join(lines) + "\n"
