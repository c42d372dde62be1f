"""Render a distributor's markers: the pipeline's orchestrator.

    Distributor -> per-Python values -> (catalogs give translations)
      -> Jinja renders each message -> Marker, checked by the INI writer

One sandboxed, bounded Jinja environment (`marker_tool.sandbox`:
StrictUndefined, the i18n extension with the trimmed policy and new-style
gettext, a render budget) is built on first use and shared. The gettext
functions are passed with each render rather than installed in the
environment, so renders in different locales never see each other's catalog.
`marker_tool.i18n.sections` plans the locales and turns each rendered
translation into a message; it never calls back here.

Templates produce plain paragraphs; `marker_tool.ini` wraps them and writes
the INI. Every way a template can fail becomes a TemplateError naming the
template file and line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

from marker_tool import ini, placeholders
from marker_tool.errors import (
    MarkerToolError,
    SerializeError,
    TemplateError,
    did_you_mean,
)
from marker_tool.layouts import get_layout, stdlib_dir
from marker_tool.model import ERROR_KEY, Distributor, Marker, Message, PythonVersion
from marker_tool.placeholders import EXAMPLE_PROJECT
from marker_tool.presets import BUILTIN_PREFIX, template_file

if TYPE_CHECKING:
    from marker_tool.i18n.catalogs import CatalogTranslations, PoCatalog
    from marker_tool.i18n.sections import LocaleSource


class Translations(Protocol):
    """What render needs of a gettext.NullTranslations-like object."""

    def gettext(self, message: str, /) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int, /) -> str: ...


@dataclass(frozen=True, slots=True)
class RenderResult:
    """The markers for a distributor, one per Python."""

    #: One marker per Python, in the order asked for.
    markers: tuple[Marker, ...]
    #: Things the user should know (a locale left out ...), one line each.
    warnings: tuple[str, ...] = ()


def _gettext_functions(translations: Translations | None) -> dict[str, Any]:
    """New-style gettext callables for one render (`%(name)s` filled from the block)."""

    def gettext(message: str, /, **variables: Any) -> str:
        text = translations.gettext(message) if translations else message
        return _format(text, variables)

    def ngettext(singular: str, plural: str, num: int, /, **variables: Any) -> str:
        variables.setdefault("num", num)
        if translations:
            text = translations.ngettext(singular, plural, num)
        else:
            text = singular if num == 1 else plural
        return _format(text, variables)

    return {"gettext": gettext, "ngettext": ngettext, "_": gettext}


def _format(text: str, variables: Mapping[str, Any]) -> str:
    try:
        return text % variables
    except KeyError as exc:
        name = exc.args[0]
        raise TemplateError(
            f"a translation uses `%({name})s`, which its block does not define",
            key=str(name),
            hint=f"the block's variables: {', '.join(sorted(variables)) or 'none'}",
        ) from None
    except (TypeError, ValueError) as exc:
        raise TemplateError(f"a translation is not a valid format string: {exc}") from None


def template_variables(distributor: Distributor, python: PythonVersion) -> dict[str, Any]:
    """Everything a template sees for `python`, placeholders filled."""
    layout = get_layout(distributor.layout)
    stdlib = stdlib_dir(layout, python, prefix=distributor.prefix, libdir=distributor.libdir)
    filled = {
        "version": python.xy,
        "version_nodot": python.nodot,
        "stdlib_name": python.stdlib_name,
        "interpreter": "pypy3" if python.pypy else "python3",
        "stdlib_dir": str(stdlib),
        "name": EXAMPLE_PROJECT,
        "distributor": distributor.name,
    }
    values: dict[str, Any] = {**filled, "python": str(python)}
    for key, value in distributor.variables:
        where = f"message.{key}"
        if isinstance(value, str):
            values[key] = placeholders.fill(value, filled, key=where)
        else:
            values[key] = [placeholders.fill(item, filled, key=where) for item in value]
    venv_dir = str(values.get("venv_dir") or "path/to/venv").rstrip("/")
    values.setdefault("venv_python", f"{venv_dir}/bin/python")
    values.setdefault("venv_pip", f"{venv_dir}/bin/pip")
    return values


def _template_position(tb: TracebackType | None, path: Path) -> tuple[Path, int | None]:
    """The innermost template file and line in a traceback Jinja has rewritten.

    Jinja gives each template frame the template's file name, so the last
    frame that is not Python code is where the template failed (`path` itself,
    or a file it includes).
    """
    where: tuple[Path, int | None] = (path, None)
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename == str(path) or not filename.endswith((".py", ">")):
            where = (Path(filename), tb.tb_lineno)
        tb = tb.tb_next
    return where


#: Jinja's message for an undefined name; compiled (and cached) by `re` on the first error.
_UNDEFINED = r"'([^']+)' is undefined"


def _template_error(exc: BaseException, path: Path, variables: Iterable[str]) -> TemplateError:
    import jinja2
    from jinja2.exceptions import SecurityError

    from marker_tool.sandbox import LIMITS, BudgetExceeded

    path, line = _template_position(exc.__traceback__, path)
    if isinstance(exc, BudgetExceeded):
        return TemplateError(
            f"the template goes over the render budget: {exc}",
            file=path,
            line=line,
            hint="limits: "
            + ", ".join(f"{value} {name}" for name, value in LIMITS.items())
            + "; a marker message is a few paragraphs",
        )
    if isinstance(exc, RecursionError):
        return TemplateError(
            "the template recurses without end (a macro, include or extends that reaches itself?)",
            file=path,
            line=line,
        )
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return TemplateError(
            f"template syntax error: {exc.message}",
            file=exc.filename or path,
            line=exc.lineno,
        )
    if isinstance(exc, SecurityError):
        return TemplateError(
            f"the template does something the sandbox forbids: {exc}", file=path, line=line
        )
    if isinstance(exc, jinja2.UndefinedError):
        match = re.search(_UNDEFINED, str(exc))
        if match:
            name = match[1]
            return TemplateError(
                f"undefined variable `{name}`",
                file=path,
                line=line,
                key=name,
                hint=did_you_mean(name, variables)
                or f"the variables are {', '.join(sorted(variables))}",
            )
        return TemplateError(f"undefined value: {exc}", file=path, line=line)
    if isinstance(exc, jinja2.TemplateNotFound):
        missing = exc.name.removeprefix(BUILTIN_PREFIX) if isinstance(exc.name, str) else path
        if str(missing) == str(path):
            return TemplateError(f"template `{path}` does not exist", file=path)
        return TemplateError(
            f"the included template `{missing}` does not exist", file=path, line=line
        )
    return TemplateError(f"the template failed: {type(exc).__name__}: {exc}", file=path, line=line)


def _normalise(text: str) -> str:
    """Strip trailing spaces, collapse runs of blank lines, drop blank edges."""
    lines = [line.rstrip() for line in text.splitlines()]
    kept: list[str] = []
    for line in lines:
        if line or (kept and kept[-1]):
            kept.append(line)
    return "\n".join(kept).strip("\n")


def _render(
    template_name: str, variables: dict[str, Any], translations: Translations | None
) -> str:
    """One message: the template rendered with `variables`, normalised and wrapped."""
    from marker_tool.sandbox import environment, render_bounded

    path = template_file(template_name)
    try:
        template = environment().get_template(template_name)
        text = render_bounded(template, {**variables, **_gettext_functions(translations)})
    except MarkerToolError as exc:
        if exc.file is None:
            where, exc.line = _template_position(exc.__traceback__, path)
            exc.file = str(where)
        raise
    except Exception as exc:
        raise _template_error(exc, path, variables) from None
    text = _normalise(text)
    if not text:
        raise TemplateError("the template renders an empty message", file=path)
    return ini.wrap_text(text)


def _lay_out(
    distributor: Distributor,
    python: PythonVersion,
    values: dict[str, Any],
    translated: Sequence[Message],
    *,
    old_uv: bool,
) -> Marker:
    """The marker as the distributor's file template lays it out, checked as pip reads it.

    The file template holds the `Error` text as the distributor wrote it;
    `{{ translations }}` becomes the `Error-<locale>` lines of `translated`,
    written by the INI writer. With translations, the message template's
    English must have the same words as the file's `Error` (the catalogs
    translate the message template), so the two cannot drift apart.
    """
    from marker_tool.sandbox import file_environment, render_bounded
    from marker_tool.validate import Validator

    name = distributor.file_template
    assert name is not None
    path = Path(name)
    lines, intended = ini.key_lines(translated, old_uv=old_uv)
    block = "".join(line + "\n" for line in lines)
    try:
        template = file_environment().get_template(name)
        content = render_bounded(template, {**values, "translations": block})
    except MarkerToolError as exc:
        exc.file = exc.file or name
        raise
    except Exception as exc:
        raise _template_error(exc, path, [*values, "translations"]) from None
    if translated and block not in content:
        raise TemplateError(
            "the config ships translations, but the file template has no `{{ translations }}`",
            file=name,
            hint="put `{{ translations }}` at the start of the line after the `Error` message",
        )
    content = content.replace("\n", distributor.newline)
    errors = Validator().validate(content.encode("utf-8"), path=name).errors_in_brief()
    if errors:
        raise SerializeError(
            f"python {python}: the file template makes a marker pip or uv misread: {errors}",
            file=name,
            hint="`marker-tool validate` on the rendered file explains each",
        )
    read = ini.read_messages(content)
    for key, text in intended.items():
        if read.get(key) != text:
            raise SerializeError(
                f"python {python}: `{key}` reads back differently from the file template",
                file=name,
                key=key,
                hint="put `{{ translations }}` at the start of a line inside the section",
            )
    if translated:
        english = _render(distributor.template, values, None)
        if english.split() != read.get(ERROR_KEY, "").split():
            raise TemplateError(
                "the message template's English is not the file template's `Error` text, "
                "so its translations would say something else",
                file=str(template_file(distributor.template)),
                hint=f"make {path.name} and the message template say the same words",
            )
    locales = {m.key: m.locale for m in translated}
    messages = tuple(Message(key, text, locales.get(key)) for key, text in read.items())
    return Marker(python, messages, content)


def render_message(
    distributor: Distributor,
    python: PythonVersion,
    *,
    translations: Translations | None = None,
) -> str:
    """The message text for `python`: plain paragraphs, wrapped as pip will show them."""
    return _render(distributor.template, template_variables(distributor, python), translations)


def _check_serializable(marker: Marker, distributor: Distributor, *, old_uv: bool) -> None:
    try:
        ini.serialize(marker, old_uv=old_uv)
    except SerializeError as exc:
        origin = distributor.source or str(template_file(distributor.template))
        raise SerializeError(
            f"python {marker.python}: {exc.message}",
            file=origin,
            key=exc.key,
            hint=exc.hint or "change the config value or template text it comes from",
        ) from None


def _inline_text(distributor: Distributor, source: LocaleSource, values: dict[str, Any]) -> str:
    filled = {name: str(values[name]) for name in placeholders.PLACEHOLDERS}
    try:
        text = placeholders.fill(source.text or "", filled, key=f"i18n.texts.{source.given}")
    except MarkerToolError as exc:
        exc.file = exc.file or distributor.source
        raise
    return ini.wrap_text(text)


def _localized_extra(
    distributor: Distributor,
    python: PythonVersion,
    translations: Translations,
    given: tuple[str, ...] | None,
) -> dict[str, Any] | None:
    """The template's values with `extra` and prose variables in the locale's language.

    None when there is nothing of the config's own to translate. Paragraphs
    come from `[i18n.extra]` for the locale when the config gives them, else
    from the catalog (`i18n extract -c CONFIG` puts them, and the variables
    `[i18n] prose` names, in the .pot); one the catalog lacks counts as
    untranslated, like a sentence of the template, so a section is in one
    language throughout.
    """
    english = dict(distributor.variables).get("extra", ())
    prose = set(distributor.i18n.prose)
    if not english and not prose:
        return None
    paragraphs = given if given is not None else tuple(translations.gettext(p) for p in english)
    variables = tuple(
        (
            key,
            paragraphs
            if key == "extra"
            else translations.gettext(value)
            if key in prose and isinstance(value, str)
            else value,
        )
        for key, value in distributor.variables
    )
    return template_variables(replace(distributor, variables=variables), python)


def render_markers(
    distributor: Distributor,
    *,
    pythons: Sequence[PythonVersion] | None = None,
    locales: Sequence[str] | None = None,
    old_uv: bool = True,
) -> RenderResult:
    """One marker per Python: `Error` in English, then any `Error-<locale>` keys.

    Each marker is checked with the INI serializer (`old_uv` as there), so text
    it would refuse is reported here, naming the config or template it came from.
    """
    wanted = tuple(locales) if locales else distributor.i18n.locales
    plan: list[tuple[LocaleSource, PoCatalog | None]] = []
    if wanted or distributor.i18n.texts:
        from marker_tool.i18n import sections
        from marker_tool.i18n.catalogs import CatalogTranslations, load_catalog

        # Each catalog is read once per run, whatever the number of Pythons.
        plan = [
            (source, load_catalog(source.catalog) if source.catalog else None)
            for source in sections.plan_locales(distributor, wanted)
        ]
    markers: list[Marker] = []
    warnings: list[str] = []
    given_extra = dict(distributor.i18n.extra)
    for python in pythons or distributor.pythons:
        values = template_variables(distributor, python)
        laid_out = distributor.file_template is not None
        messages = []
        if not laid_out:
            messages.append(Message(ERROR_KEY, _render(distributor.template, values, None)))
        for source, catalog in plan:
            translations: CatalogTranslations | None = None
            if catalog is None:
                text = _inline_text(distributor, source, values)
            else:
                translations = CatalogTranslations(catalog)
                localized = _localized_extra(
                    distributor, python, translations, given_extra.get(source.parsed.pip_name)
                )
                text = _render(distributor.template, localized or values, translations)
            message, warning = sections.finish(distributor, source, text, translations)
            if warning and warning not in warnings:
                warnings.append(warning)
            if message is not None:
                messages.append(message)
        if plan and distributor.i18n.territory_fallback:
            messages = sections.with_fallbacks(messages)
        if laid_out:
            markers.append(_lay_out(distributor, python, values, messages, old_uv=old_uv))
            continue
        marker = Marker(python, tuple(messages))
        _check_serializable(marker, distributor, old_uv=old_uv)
        markers.append(marker)
    return RenderResult(tuple(markers), tuple(warnings))


def render_files(
    distributor: Distributor, *, pythons: Sequence[PythonVersion] | None = None
) -> dict[PythonVersion, bytes]:
    """The bytes of each marker file a config makes, by Python (what `install` writes)."""
    result = render_markers(distributor, pythons=pythons)
    return {m.python: ini.serialize(m).encode("utf-8") for m in result.markers}


# -- output formats -----------------------------------------------------------


def as_json(result: RenderResult) -> str:
    """`{python: {key: text}}`: the texts as pip shows them, keys in file order."""
    import json

    data = {
        str(marker.python): {message.key: message.text for message in marker.messages}
        for marker in result.markers
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


#: Compiled (and cached) by `re` when a Homebrew snippet is made, not at every start-up.
_RUBY_INTERPOLATION = r"#(?=[{@$])"


def ruby_heredoc_body(text: str) -> str:
    """`text` escaped for an interpolating Ruby heredoc (`<<~EOS`): it reads back as is.

    Backslashes start escapes, and `#{`, `#@`, `#$` start interpolation, so
    each gets a backslash in front.
    """
    return re.sub(_RUBY_INTERPOLATION, r"\\#", text.replace("\\", "\\\\"))


HOMEBREW_LAYOUTS = ("homebrew-macos", "homebrew-linux")


def homebrew_snippet(
    result: RenderResult, *, indent: str = "    ", layout: str | None = None
) -> str:
    """Ruby for a python@3.X formula: writes the marker into `lib_cellar`.

    The lines go at the end of the formula's `def install`, after ensurepip
    has run: ensurepip installs pip with pip itself and cannot pass
    --break-system-packages, so a marker written earlier would make it fail.
    `lib_cellar` is the formula's stdlib dir in its keg
    (`Frameworks/Python.framework/Versions/X.Y/lib/pythonX.Y` on macOS,
    `lib/pythonX.Y` on Linux), which `brew link` never moves. A formula is
    one Python, so several markers are an error, as is a distributor whose
    layout is not Homebrew's (`layout`).
    """
    if len(result.markers) != 1:
        raise MarkerToolError(
            f"a formula snippet is for one Python; {len(result.markers)} were asked for",
            hint="pass --python X.Y once per python@X.Y formula",
        )
    if layout is not None and layout not in HOMEBREW_LAYOUTS:
        raise MarkerToolError(
            f"a Homebrew formula snippet for a distributor whose layout is `{layout}`",
            hint="use --preset homebrew (macOS) or homebrew-linux, or a config with "
            'layout = "homebrew-macos"',
        )
    blocks = []
    for marker in result.markers:
        content = ruby_heredoc_body(ini.serialize(marker))
        lines = content.splitlines()
        # The terminator must not appear as a line of its own inside the text.
        word = "EOS"
        while any(line.strip() == word for line in lines):
            word += "_"
        body = "\n".join(f"{indent}  {line}" if line else "" for line in lines)
        blocks.append(
            f"{indent}# PEP 668 marker for python@{marker.python.xy}, made by marker-tool:\n"
            f"{indent}# at the end of `install`, after ensurepip (which cannot pass\n"
            f"{indent}# --break-system-packages).\n"
            f'{indent}(lib_cellar/"EXTERNALLY-MANAGED").write <<~{word}\n'
            f"{body}\n"
            f"{indent}{word}\n"
        )
    return "\n".join(blocks)
