"""Distributor configs: TOML in, `Distributor` out.

The only module that sees raw dicts. Every mistake in a config becomes a
`ConfigError` naming the file, the line (found by scanning the file's text,
since tomllib reports none for valid TOML), the key, what was expected and,
where one helps, a "did you mean" hint.

A config may start from a built-in preset (`preset = "debian"`) and override
its values; the presets themselves are configs in `templates/presets/`.
Placeholders (`{version}`, `{name}` ...) stay in the `Distributor` as written
and are filled per Python at render time (`marker_tool.placeholders`).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from marker_tool import placeholders, safeio
from marker_tool.errors import ConfigError, MarkerToolError, did_you_mean
from marker_tool.layouts import LAYOUT_NAMES
from marker_tool.model import Distributor, I18nSettings, PythonVersion
from marker_tool.placeholders import PATH_PLACEHOLDERS, PLACEHOLDERS
from marker_tool.presets import BUILTIN_TEMPLATE, PRESETS, detect_preset, preset_path
from marker_tool.text import FORBIDDEN_IN_TEXT, char_name

#: `[message]` string values: the built-in template's variables.
MESSAGE_KEYS: dict[str, str] = {
    "install": "command that installs a packaged Python project, with `{name}`",
    "venv": "command that creates a virtual environment in `venv_dir`",
    "venv_dir": "the example virtual environment's directory",
    "venv_setup": "command or package that makes `venv` work, e.g. `apt install python3-full`",
    "pipx": 'command that installs an application with pipx; "" leaves pipx out',
    "pipx_setup": "command that installs pipx",
    "docs": "a path or URL with more information",
    "pip_conf": "pip's config file; when set, explain `--break-system-packages` for pip and uv",
    "user_flag": 'pip\'s `--user` flag, which is refused too; "" leaves that sentence out',
}
MESSAGE_DEFAULTS: dict[str, str] = {
    "install": "",
    "venv": "python{version} -m venv path/to/venv",
    "venv_dir": "path/to/venv",
    "venv_setup": "",
    "pipx": "pipx install {name}",
    "pipx_setup": "",
    "docs": "",
    "pip_conf": "",
    # pip refuses `pip install --user` too; "" leaves that sentence out.
    "user_flag": "--user",
}


@dataclass(frozen=True, slots=True)
class _Key:
    """How one config key is checked."""

    #: `str`, `bool`, `list[str]`, `table[str]` (a table of strings) or `table`.
    kind: str
    #: One line for error messages: what the value means.
    doc: str


_TOP: dict[str, _Key] = {
    "preset": _Key("str", "a built-in preset to start from"),
    "name": _Key("str", "the distributor's name as users know it"),
    "layout": _Key("str", "an install layout, see `marker-tool layouts`"),
    "pythons": _Key("list[str]", 'Python versions, e.g. ["3.12", "3.13t"]'),
    "prefix": _Key("str", "the layout's prefix (keg, store path)"),
    "libdir": _Key("str", "the layout's libdir (`%{_libdir}`)"),
    "message": _Key("table", "the message's values"),
    "i18n": _Key("table", "translations"),
    "file": _Key("table", "the whole file from a template of your own (`marker-tool adopt`)"),
}
_MESSAGE: dict[str, _Key] = {
    "template": _Key("str", "a Jinja template file, relative to the config"),
    **{key: _Key("str", doc) for key, doc in MESSAGE_KEYS.items()},
    "extra": _Key("list[str]", "extra paragraphs at the end of the message"),
    "variables": _Key("table[str]", "more variables for your own template"),
}
_I18N: dict[str, _Key] = {
    "catalogs": _Key("str", "a directory of LOCALE.po files, relative to the config"),
    "locales": _Key("list[str]", 'locales to ship, e.g. ["de", "pt_BR"]'),
    "partial": _Key("bool", "ship locales whose catalog is incomplete"),
    "require_all": _Key("bool", "a listed locale left out or partial is an error"),
    "territory_fallback": _Key("bool", "let `pt_BR` also serve `pt` when there is no `pt`"),
    "texts": _Key("table[str]", "full message texts by locale"),
    "extra": _Key("table[list[str]]", "the `[message] extra` paragraphs, translated, by locale"),
    "prose": _Key("list[str]", "`[message.variables]` that are prose, translated like sentences"),
}
_FILE: dict[str, _Key] = {
    "template": _Key("str", "a Jinja template of the whole file, relative to the config"),
    "newline": _Key("str", '"lf" or "crlf": the line ending the file is written with'),
}
#: `[file] newline` values -> the line ending.
NEWLINES: dict[str, Literal["\n", "\r\n"]] = {"lf": "\n", "crlf": "\r\n"}
_TABLES = {"message": _MESSAGE, "i18n": _I18N, "file": _FILE}
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

_TYPE_NAMES = {
    "str": "a string",
    "bool": "true or false",
    "list[str]": "a list of strings",
    "table[list[str]]": "a table of lists of strings",
    "table[str]": "a table of strings",
    "table": "a table",
}


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
    """Checks one config file's raw dict; knows the file's text to find lines."""

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

    def check(self, raw: dict[str, Any]) -> dict[str, Any]:
        """Check keys and types everywhere; return the dict with paths made absolute."""
        self._check_table(raw, None, _TOP)
        for table, schema in _TABLES.items():
            if table in raw:
                self._check_table(raw[table], table, schema)
        for key in ("name", "layout", "preset"):
            if key in raw and not raw[key].strip():
                raise self.error(f"`{key}` is empty", None, key)
        if "preset" in raw and raw["preset"] not in PRESETS:
            raise self.error(
                f"unknown preset `{raw['preset']}`; expected one of {', '.join(PRESETS)}",
                None,
                "preset",
                hint=did_you_mean(raw["preset"], PRESETS),
            )
        newline = raw.get("file", {}).get("newline", "lf")
        if newline not in NEWLINES:
            raise self.error(
                f"`newline` is `{newline}`; expected one of {', '.join(NEWLINES)}",
                "file",
                "newline",
                hint=did_you_mean(newline, NEWLINES),
            )
        if "layout" in raw and raw["layout"] not in LAYOUT_NAMES:
            raise self.error(
                f"unknown layout `{raw['layout']}`; expected one of {', '.join(LAYOUT_NAMES)}",
                None,
                "layout",
                hint=did_you_mean(raw["layout"], LAYOUT_NAMES)
                or "`marker-tool layouts` lists them",
            )
        for version in raw.get("pythons", ()):
            try:
                PythonVersion.parse(version)
            except ValueError as exc:
                raise self.error(str(exc), None, "pythons") from None
        seen: dict[PythonVersion, str] = {}
        for version in raw.get("pythons", ()):
            parsed = PythonVersion.parse(version)
            if parsed in seen:
                raise self.error(
                    f"`pythons` lists {parsed} twice (`{seen[parsed]}` and `{version}`)",
                    None,
                    "pythons",
                    hint="list each Python once",
                )
            seen[parsed] = version
        self._check_values(raw)
        return self._absolute_paths(raw)

    def _check_table(self, raw: Any, table: str | None, schema: dict[str, _Key]) -> None:
        for key, value in raw.items():
            spec = schema.get(key)
            where = f"[{table}]" if table else "the top level"
            if spec is None:
                raise self.error(
                    f"unknown key `{key}` in {where}; expected one of {', '.join(schema)}",
                    table,
                    key,
                    hint=did_you_mean(key, schema) or self._elsewhere(key, table),
                )
            if not _has_type(value, spec.kind):
                raise self.error(
                    f"`{key}` must be {_TYPE_NAMES[spec.kind]} ({spec.doc}), "
                    f"not {_describe(value)}",
                    table,
                    key,
                )

    @staticmethod
    def _elsewhere(key: str, table: str | None) -> str | None:
        for other, schema in (("", _TOP), *_TABLES.items()):
            if other != (table or "") and key in schema:
                return f"`{key}` belongs in {f'[{other}]' if other else 'the top level'}"
        return None

    def _check_values(self, raw: dict[str, Any]) -> None:
        message = raw.get("message", {})
        for key in ("prefix", "libdir"):
            if key in raw:
                self._placeholders(raw[key], None, key, PATH_PLACEHOLDERS)
        for key, value in message.items():
            if key == "variables":
                for name, text in value.items():
                    if not name.isidentifier() or name in RESERVED_VARIABLES:
                        raise self.error(
                            f"`{name}` cannot be a template variable name "
                            "(a Python identifier, not one of the built-in names)",
                            "message.variables",
                            name,
                        )
                    self._placeholders(text, "message.variables", name)
            elif key == "extra":
                for text in value:
                    self._placeholders(text, "message", key)
            elif key != "template":
                self._placeholders(value, "message", key)
        for locale, text in raw.get("i18n", {}).get("texts", {}).items():
            self._locale(locale, "i18n.texts", locale)
            self._placeholders(text, "i18n.texts", locale)
        own = raw.get("message", {}).get("variables", {})
        for name in raw.get("i18n", {}).get("prose", ()):
            if name not in own:
                raise self.error(
                    f"`prose` names `{name}`, which is not in `[message.variables]`",
                    "i18n",
                    "prose",
                    hint=did_you_mean(name, own),
                )
        english = raw.get("message", {}).get("extra", [])
        for locale, paragraphs in raw.get("i18n", {}).get("extra", {}).items():
            self._locale(locale, "i18n.extra", locale)
            if len(paragraphs) != len(english):
                raise self.error(
                    f"`{locale}` has {len(paragraphs)} paragraphs where `[message] extra` "
                    f"has {len(english)}: give each one, in the same order",
                    "i18n.extra",
                    locale,
                )
            for text in paragraphs:
                self._placeholders(text, "i18n.extra", locale)
        for locale in raw.get("i18n", {}).get("locales", ()):
            if not locale.strip():
                raise self.error("`locales` has an empty locale", "i18n", "locales")
            self._locale(locale, "i18n", "locales")

    def _locale(self, name: str, table: str, key: str) -> None:
        """Check a locale's shape and codes here, where the config's lines are known.

        `marker_tool.locales.check_locale` is the one check; here its error
        gets the config's file and line.
        """
        from marker_tool.locales import check_locale

        try:
            check_locale(name)
        except MarkerToolError as exc:
            raise self.error(exc.message, table, key, hint=exc.hint) from None

    def _placeholders(
        self, text: str, table: str | None, key: str, allowed: Mapping[str, object] = PLACEHOLDERS
    ) -> None:
        problem = placeholders.problem(text, allowed)
        if problem:
            raise self.error(problem[0], table, key, hint=problem[1])
        control = FORBIDDEN_IN_TEXT.search(text)
        if control:
            raise self.error(
                f"`{key}` contains the {char_name(control[0])}",
                table,
                key,
                hint="pip and uv cannot show it as written; use plain spaces and line breaks",
            )

    def _absolute_paths(self, raw: dict[str, Any]) -> dict[str, Any]:
        base = self.path.parent
        raw = {key: dict(value) if isinstance(value, dict) else value for key, value in raw.items()}
        for table, key in (("message", "template"), ("i18n", "catalogs"), ("file", "template")):
            if key in raw.get(table, {}):
                target = (base / raw[table][key]).resolve()
                if not target.exists():
                    raise self.error(f"`{key}`: {target} does not exist", table, key)
                raw[table][key] = str(target)
        return raw


def _has_type(value: Any, kind: str) -> bool:
    if kind == "str":
        return isinstance(value, str)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "list[str]":
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    if kind == "table[str]":
        return isinstance(value, dict) and all(isinstance(item, str) for item in value.values())
    if kind == "table[list[str]]":
        return isinstance(value, dict) and all(
            _has_type(item, "list[str]") for item in value.values()
        )
    return isinstance(value, dict)


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
    message: dict[str, Any] = raw.get("message", {})
    i18n: dict[str, Any] = raw.get("i18n", {})
    variables: list[tuple[str, str | tuple[str, ...]]] = [
        (key, message.get(key, default)) for key, default in MESSAGE_DEFAULTS.items()
    ]
    variables.append(("extra", tuple(message.get("extra", ()))))
    variables.extend(sorted(message.get("variables", {}).items()))
    # The running Python is only the last resort: asking sysconfig about it
    # costs start-up, which a command line that names its Pythons need not pay.
    pythons = (
        tuple(pythons)
        or tuple(PythonVersion.parse(v) for v in raw.get("pythons", ()))
        or (PythonVersion.running(),)
    )
    prefix, libdir = (raw.get(key) for key in ("prefix", "libdir"))
    return Distributor(
        name=raw["name"],
        layout=raw.get("layout", "generic"),
        pythons=pythons,
        template=message.get("template", BUILTIN_TEMPLATE),
        variables=tuple(variables),
        prefix=prefix,
        libdir=libdir,
        i18n=I18nSettings(
            catalog_dir=i18n.get("catalogs"),
            locales=tuple(i18n.get("locales", ())),
            partial=i18n.get("partial", False),
            require_all=i18n.get("require_all", False),
            territory_fallback=i18n.get("territory_fallback", True),
            texts=tuple(i18n.get("texts", {}).items()),
            extra=_extra_by_locale(i18n.get("extra", {})),
            prose=tuple(i18n.get("prose", ())),
        ),
        preset=preset,
        source=str(source) if source else None,
        file_template=raw.get("file", {}).get("template"),
        newline=NEWLINES[raw.get("file", {}).get("newline", "lf")],
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


# -- the starter config -------------------------------------------------------

#: Shown commented out in a starter config when the preset has no value.
_EXAMPLES: dict[str, Any] = {
    "prefix": "/opt/python",
    "libdir": "/usr/lib64",
    "template": "message.txt.j2",
    "extra": ["Another paragraph at the end of the message."],
    "catalogs": "po",
    "locales": ["de", "pt_BR"],
    "partial": False,
    "require_all": False,
    "territory_fallback": True,
}


def toml_value(value: Any) -> str:
    """`value` (a string, bool or list of them) written as TOML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    import json

    # A JSON string is a TOML basic string (same escapes, \uXXXX included).
    return json.dumps(value, ensure_ascii=False)


def _starter_table(schema: dict[str, _Key], values: Mapping[str, Any]) -> list[str]:
    lines = []
    for key, spec in schema.items():
        if spec.kind.startswith("table") or key in ("preset", "variables", "texts"):
            continue
        lines.append(f"# {spec.doc}")
        if key in values:
            lines.append(f"{key} = {toml_value(values[key])}")
        else:
            default = MESSAGE_DEFAULTS.get(key, _EXAMPLES.get(key))
            lines.append(f"# {key} = {toml_value(default)}")
    return lines


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
        *_starter_table(_TOP, raw),
        "",
        '# The message: built-in template values (a value of "" leaves its sentence out).',
        "[message]",
        *_starter_table(_MESSAGE, raw.get("message", {})),
        "",
        "# Translations: gettext catalogs (see `marker-tool i18n`) or full texts inline.",
        "[i18n]",
        *_starter_table(_I18N, raw.get("i18n", {})),
        "",
        "# [i18n.texts]",
        '# de = """',
        "# Der vollstaendige Text fuer Error-de ...",
        '# """',
        "",
    ]
    return "\n".join(lines)
