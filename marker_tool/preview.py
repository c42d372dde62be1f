"""What a user sees when pip or uv refuses to install: the exact error blocks.

`preview(data, ...)` returns a `Preview` with one `ToolView` per consumer; its
`output` is byte for byte what the program writes to stderr (pip 26.x with
NO_COLOR and no terminal; uv with its "Using Python ..." line left out, which
names the interpreter's patch version). No Jinja or Babel imports.

Rendering facts this module relies on (measured against the real programs):

- pip prints through rich with `soft_wrap=True`: long lines are never
  re-wrapped, whatever COLUMNS says. rich deletes BEL, BS, VT, FF and CR from
  the message, keeps other control characters (ESC too), expands tabs to
  8-column stops counted from the start of the printed line (`╰─> ` included),
  and prints a blank message line as four spaces.
- uv strips escape sequences and C0 controls other than tab, LF, FF and CR
  (anstream), indents message lines with two spaces (blank lines stay empty),
  and ends the block with `hint:`. In a terminal (or with COLUMNS set) uv
  wraps each error line to the width, continuation lines indented 7 spaces;
  `width=` models that (`uv_wrap`), None is a pipe or a CI log.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Literal

from marker_tool.consumers import PipOutcome, PipReading, UvOutcome, read_as_pip, read_as_uv
from marker_tool.layouts import get_layout, marker_path
from marker_tool.model import ERROR_KEY, PythonVersion
from marker_tool.terminal import (
    anstream_strip,
    rich_expand_tabs,
    rich_text,
    textwrap_indent,
    uv_wrap,
)

Tool = Literal["pip", "uv", "uv-0.13.0"]
TOOLS: tuple[Tool, ...] = ("pip", "uv", "uv-0.13.0")
DEFAULT_LOCALE = "C.UTF-8"
DEFAULT_PREFIX = "/usr"

PIP_NOTE = (
    "note: If you believe this is a mistake, please contact your Python installation or OS "
    "distribution provider. You can override this, at the risk of breaking your Python "
    "installation or OS, by passing --break-system-packages."
)
PIP_HINT = "hint: See PEP 668 for the detailed specification."
UV_HINT = "hint: Consider creating a virtual environment, e.g., with `uv venv`"


def pip_generic_message(prefix: str) -> str:
    """pip's own text when the marker gives none (`sys.prefix` = `prefix`)."""
    return (
        f"The Python environment under {prefix} is managed externally, and may not be\n"
        "manipulated by the user. Please use specific tooling from the distributor of\n"
        "the Python installation to interact with this environment instead.\n"
    )


@dataclass(frozen=True, slots=True)
class ToolView:
    """One consumer's reaction to a marker."""

    #: `pip`, `uv` or `uv-0.13.0`.
    tool: Tool
    #: `message` (the marker's text), `generic` (the program's own text),
    #: `crash` (pip's traceback) or `installs` (uv does not see a managed Python).
    outcome: Literal["message", "generic", "crash", "installs"]
    #: The key whose text is shown (`Error`, `Error-de` ...), for `message`.
    key: str | None
    #: The message text as the program read it, before terminal processing.
    text: str | None
    #: Exactly what the program writes to stderr (see the module docstring).
    output: str
    #: The program's exit status.
    exit_code: int
    #: Why the program did what it did, for people (one line, or None).
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Preview:
    """What each consumer shows for one marker, locale and Python."""

    views: tuple[ToolView, ...]
    #: LC_ALL / LANG as the user has it.
    locale: str
    python: PythonVersion
    #: Whether that locale is generated on the user's machine.
    locale_available: bool
    #: The keys pip tries, in order.
    pip_keys: tuple[str, ...] = field(default=())

    def view(self, tool: Tool) -> ToolView:
        """The view for `tool`; KeyError when it was not previewed."""
        for view in self.views:
            if view.tool == tool:
                return view
        raise KeyError(tool)

    def differs(self) -> bool:
        """True when the consumers do not all show the same text."""
        return len({(v.outcome, v.text) for v in self.views}) > 1

    def render(self) -> str:
        """The CLI's text: one block, or all blocks with headers and a verdict."""
        if len(self.views) == 1:
            return self.views[0].output
        parts: list[str] = []
        for view in self.views:
            header = f"== {view.tool}"
            if view.tool == "pip":
                header += f" (Python {self.python}, LC_ALL={self.locale}"
                header += ", not generated" if not self.locale_available else ""
                header += f"; looks up {', '.join(self.pip_keys)})"
            parts.append(f"{header} -- exit {view.exit_code}\n{view.output}")
        parts.append(self.verdict())
        return "\n".join(parts)

    def verdict(self) -> str:
        """Where the consumers differ, as lines starting with `same:` or `differs:`."""
        first = self.views[0]
        if not self.differs():
            names = ", ".join(v.tool for v in self.views)
            if first.outcome != "generic":
                return f"same: {names} all show {describe(first)}\n"
            why = "".join(f"  {v.tool}: {v.reason}\n" for v in self.views)
            return f"same: {names} all show their own generic message, not the marker's\n{why}"
        lines: list[str] = []
        for view in self.views[1:]:
            if (view.outcome, view.text) == (first.outcome, first.text):
                lines.append(f"same: {view.tool} shows what {first.tool} shows")
                continue
            theirs = describe(view)
            if view.outcome == first.outcome == "message" and view.key == first.key:
                theirs = f"a different text of `{view.key}`"
            lines.append(
                f"differs: {first.tool} shows {describe(first)}; {view.tool} shows {theirs}"
            )
            if first.text is not None and view.text is not None:
                diff = difflib.unified_diff(
                    first.text.splitlines(),
                    view.text.splitlines(),
                    first.tool,
                    view.tool,
                    lineterm="",
                )
                lines.extend(f"  {line}" for line in diff)
        return "\n".join(lines) + "\n"


def describe(view: ToolView) -> str:
    """What a consumer shows, as a noun phrase."""
    if view.outcome == "message":
        return f"the text of `{view.key}`"
    if view.outcome == "generic":
        return f"its generic message ({view.reason})"
    if view.outcome == "crash":
        return f"a traceback ({view.reason})"
    return f"nothing and installs ({view.reason})"


def marker_location(prefix: str, python: PythonVersion) -> str:
    """Where the marker of a Python under `prefix` is (`{prefix}/lib/python3.12/...`)."""
    return marker_path(get_layout("generic"), python, prefix=prefix.rstrip("/") or "/")


def pip_block(text: str, *, warning: str | None = None) -> str:
    """pip's error block around a message `text` (rich's processing applied)."""
    lines = rich_text(text).split("\n")
    body = ["╰─> " + lines[0], *("    " + line for line in lines[1:])]
    out = [f"WARNING: {warning}"] if warning else []
    out += [
        "error: externally-managed-environment",
        "",
        "× This environment is externally managed",  # noqa: RUF001 - pip prints it
        *(rich_expand_tabs(line) for line in body),
        "",
        PIP_NOTE,
        PIP_HINT,
    ]
    return "\n".join(out) + "\n"


def preview_pip(
    data: bytes,
    keys: list[str],
    *,
    prefix: str,
    python: PythonVersion,
    reading: PipReading | None = None,
) -> ToolView:
    """pip's reaction, for the lookup `keys` its locale gives.

    `reading`: pip's reading of `data` when the caller has it already (a parsed
    `Document`'s), so the file is not read again.
    """
    reading = reading if reading is not None else read_as_pip(data)
    marker = marker_location(prefix, python)
    generic = pip_generic_message(prefix)
    if reading.outcome is PipOutcome.CRASH:
        last = reading.crash_message(marker)
        output = f"ERROR: Exception:\nTraceback (most recent call last):\n  ...\n{last}\n"
        return ToolView("pip", "crash", None, None, output, 2, f"{reading.error}")
    if reading.outcome in (PipOutcome.NOT_UTF8, PipOutcome.PARSE_ERROR):
        why = "not UTF-8" if reading.outcome is PipOutcome.NOT_UTF8 else reading.error
        output = pip_block(generic, warning=f"Failed to read {marker}")
        where = f", line {reading.line}" if reading.line else ""
        return ToolView("pip", "generic", None, None, output, 1, f"{why}{where}")
    found = reading.lookup(keys)
    if found is None:
        reason = (
            "no `[externally-managed]` section"
            if reading.outcome is PipOutcome.NO_SECTION
            else f"none of {', '.join(f'`{k}`' for k in keys)}"
        )
        return ToolView("pip", "generic", None, None, pip_block(generic), 1, reason)
    key, text = found
    return ToolView("pip", "message", key, text, pip_block(text), 1)


def preview_uv(
    data: bytes, *, prefix: str, old: bool = False, width: int | None = None
) -> ToolView:
    """uv's reaction (`old` for uv 0.13.0 and older); `width`: a terminal that wide."""
    tool: Tool = "uv-0.13.0" if old else "uv"
    reading = read_as_uv(data, old=old)
    where = f"The interpreter at `{prefix}` is externally managed"
    if reading.outcome is UvOutcome.NOT_MANAGED:
        output = f"(no error: uv does not see a managed Python and installs; {reading.reason})\n"
        return ToolView(tool, "installs", None, None, output, 0, reading.reason)
    if reading.outcome is UvOutcome.NO_MESSAGE:
        message = f"{where} and cannot be modified."
        reason = reading.reason
        if reading.line is not None:
            reason = f"{reason}, line {reading.line}"
        return ToolView(tool, "generic", None, None, _uv_block(message, width), 2, reason)
    assert reading.text is not None
    message = f"{where}, and indicates the following:\n\n{textwrap_indent(reading.text, '  ')}\n"
    return ToolView(tool, "message", ERROR_KEY, reading.text, _uv_block(message, width), 2)


def _uv_block(message: str, width: int | None) -> str:
    body = anstream_strip(uv_wrap(f"error: {message}", width))
    if not body.endswith("\n"):
        body += "\n"
    return f"{body}\n{UV_HINT}\n"


def preview(
    data: bytes,
    *,
    tools: tuple[Tool, ...] = TOOLS,
    locale: str = DEFAULT_LOCALE,
    python: PythonVersion | None = None,
    locale_available: bool = True,
    prefix: str = DEFAULT_PREFIX,
    width: int | None = None,
) -> Preview:
    """What `tools` show for a marker's bytes, under LC_ALL=`locale` and `python`.

    `prefix` is the interpreter's `sys.prefix` (pip's generic text and the
    marker path in its warning; uv's "interpreter at" path). `width`: the
    user's terminal is that many columns wide (or COLUMNS is set), which makes
    uv wrap its error lines; None for a pipe or a CI log. pip never wraps.
    """
    from marker_tool.locales import pip_lookup_keys

    python = python or PythonVersion.running()
    keys = pip_lookup_keys(locale, python, available=locale_available)
    views: list[ToolView] = []
    for tool in tools:
        if tool == "pip":
            views.append(preview_pip(data, keys, prefix=prefix, python=python))
        else:
            views.append(preview_uv(data, prefix=prefix, old=tool == "uv-0.13.0", width=width))
    return Preview(tuple(views), locale, python, locale_available, tuple(keys))
