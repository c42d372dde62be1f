"""The one placeholder language, for config values and the command line alike.

`{version}` (3.13), `{version_nodot}` (313), `{stdlib_name}` (python3.13t),
`{interpreter}` (python3, pypy3),
`{stdlib_dir}`, `{name}`, `{distributor}`; `{{` and `}}` for literal braces.
A placeholder is a bare name in braces: no attributes, indexes, conversions
or format specs, so a value can never reach into Python objects
(`{version.__class__}` is an error, not a directory name).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from marker_tool.errors import ConfigError, closest
from marker_tool.model import PythonVersion

#: Placeholders a message value may use, filled per Python at render time.
PLACEHOLDERS: dict[str, str] = {
    "version": "the Python version, `3.13` (also for `3.13t`)",
    "version_nodot": "`313`, as in openSUSE's `python313-` package names",
    "stdlib_name": "the stdlib dir's name, `python3.13`, `python3.13t` or PyPy's `pypy3.11`",
    "interpreter": "the interpreter's command, `python3` (PyPy's: `pypy3`)",
    "stdlib_dir": "the stdlib dir on the target, from the layout",
    "name": "the example project in commands, shown as `xyz`",
    "distributor": "the `name` of the distributor",
}
#: What a path (`prefix`, `libdir`, `--stdlib-dir`) may use: only what names the Python.
PATH_PLACEHOLDERS: dict[str, str] = {
    "version": PLACEHOLDERS["version"],
    "stdlib_name": PLACEHOLDERS["stdlib_name"],
}


#: `{{`, `}}`, a `{...}` field, or a lone brace.
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


def parse(text: str) -> list[tuple[str, str | None]]:
    """Split `text` into (literal, placeholder name or None); ValueError if malformed."""
    parts: list[tuple[str, str | None]] = []
    literal: list[str] = []
    position = 0
    for match in _TOKEN.finditer(text):
        literal.append(text[position : match.start()])
        position = match.end()
        token = match[0]
        if token in ("{{", "}}"):
            literal.append(token[0])
        elif match[1] is None:
            raise ValueError(f"a single `{token}` in {text!r}; write `{token * 2}` for a brace")
        elif not match[1].isidentifier():
            raise ValueError(f"`{token}` is not a placeholder like `{{version}}`")
        else:
            parts.append(("".join(literal), match[1]))
            literal = []
    literal.append(text[position:])
    if any(literal):
        parts.append(("".join(literal), None))
    return parts


def problem(text: str, allowed: Mapping[str, object] = PLACEHOLDERS) -> tuple[str, str] | None:
    """Why `text` cannot be filled from `allowed`, and a hint; None when it can."""
    try:
        parts = parse(text)
    except ValueError as exc:
        return str(exc), "write `{{` and `}}` for a literal brace"
    for _, name in parts:
        if name is not None and name not in allowed:
            expected = ", ".join(f"`{{{known}}}`" for known in allowed)
            close = closest(name, allowed)
            hint = f"did you mean `{{{close}}}`?" if close else f"the placeholders are {expected}"
            return f"unknown placeholder `{{{name}}}`; expected one of {expected}", hint
    return None


def fill(text: str, values: Mapping[str, str], *, key: str | None = None) -> str:
    """`text` with each `{placeholder}` replaced from `values`; ConfigError otherwise."""
    found = problem(text, values)
    if found:
        raise ConfigError(found[0], key=key, hint=found[1])
    return "".join(literal + (values[name] if name else "") for literal, name in parse(text))


def path_values(python: PythonVersion) -> dict[str, str]:
    """The values of PATH_PLACEHOLDERS for one Python."""
    return {"version": python.xy, "stdlib_name": python.stdlib_name}


#: What `{name}` stands for in the message: the example project in commands.
EXAMPLE_PROJECT = "xyz"
