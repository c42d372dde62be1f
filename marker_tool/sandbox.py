"""The one template environment: Jinja's sandbox with a render budget.

Templates come from distributors and run inside package builds, so a
template can never read outside its directory, run for ever, or fill the
memory. Limits (`LIMITS`), generous for any real marker (the built-in
template renders about 1 KB per message):

    output      64 KiB  per rendered message
    numbers     100000  the largest number a filter or method may take
                        (`center`, `indent`, `ljust`, a format width ...),
                        as the sandbox's own `range` limit
    seconds     10      per rendered message, on the main thread
                        (a template that loops for ever stops there)

Strings and lists made by `*`, `+`, `%`, `replace` and every filter are
checked before they are built, so `'x' * 10**10`, `10 ** 10 ** 10` and
replace amplification fail at once with a TemplateError naming the
template line, instead of allocating. `{% include %}` resolves next to the
including template and never outside its directory; a template reads only
regular files (`marker_tool.safeio`).
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

from marker_tool import safeio
from marker_tool.errors import InputError, TemplateError
from marker_tool.presets import BUILTIN_PREFIX, template_file, templates_dir

LIMITS = {"output": 64 * 1024, "numbers": 100_000, "seconds": 10}
MAX_OUTPUT = LIMITS["output"]
MAX_NUMBER = LIMITS["numbers"]
RENDER_SECONDS = LIMITS["seconds"]
#: `**` may make numbers of at most this many bits (3,000 digits; Python prints 4,300 at most).
MAX_POWER_BITS = 10_000
#: A printf or str.format width or precision in a format string.
_WIDTH = re.compile(r"%[-#0 +]*(\d+)|%[-#0 +]*\d*\.(\d+)|\{[^{}]*?:[^{}]*?(\d+)[^{}]*\}")


class BudgetExceeded(SecurityError):
    """A template asked for more than the render budget allows."""


def _check_size(value: object, what: str) -> None:
    if isinstance(value, str | bytes | list | tuple) and len(value) > MAX_OUTPUT:
        raise BudgetExceeded(f"{what} makes {len(value)} items, more than {MAX_OUTPUT}")


def _check_number(value: object, what: str) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_NUMBER:
        raise BudgetExceeded(f"{what} is given {value}, more than {MAX_NUMBER}")


def _check_format(text: object, what: str) -> None:
    if isinstance(text, str):
        for match in _WIDTH.finditer(text):
            width = next(int(group) for group in match.groups() if group)
            _check_number(width, f"{what} (a width of {width})")


def _check_arguments(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    for value in (*args, *kwargs.values()):
        _check_number(value, name)


def _replace_size(text: object, old: object, new: object, count: object = -1) -> int:
    if not (isinstance(text, str) and isinstance(old, str) and isinstance(new, str)):
        return 0
    times = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        times = min(times, count)
    return len(text) + times * (len(new) - len(old))


def _checked_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """A filter that refuses arguments and results over the budget."""

    @functools.wraps(function)
    def checked(*args: Any, **kwargs: Any) -> Any:
        _check_arguments(f"the `{name}` filter", args[1:], kwargs)
        if name == "format" and args:
            _check_format(args[0], "the `format` filter")
        if name == "replace":
            strings = [a for a in args if not isinstance(a, Context)]
            if _replace_size(*strings[:4]) > MAX_OUTPUT:
                raise BudgetExceeded(f"`replace` would make more than {MAX_OUTPUT} characters")
        result = function(*args, **kwargs)
        _check_size(result, f"the `{name}` filter")
        return result

    return checked


class _Loader(jinja2.BaseLoader):
    """Templates by Distributor name (`builtin:message` or a path), read through safeio."""

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        path = template_file(template)
        try:
            data = safeio.read_bytes(path, kind="template")
        except FileNotFoundError:
            raise jinja2.TemplateNotFound(template) from None
        except InputError as exc:
            raise TemplateError(exc.message, file=path, hint=exc.hint) from None
        except OSError as exc:
            raise TemplateError(f"cannot read the template: {exc.strerror}", file=path) from None
        try:
            source = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise TemplateError("the template is not UTF-8", file=path, line=line) from None
        return source, str(path), _unchanged(path)


def _unchanged(path: Path) -> Callable[[], bool]:
    """Jinja's `uptodate` for `path`: a library caller may edit a template between renders."""

    def stamp() -> tuple[int, int] | None:
        try:
            info = os.stat(path)
        except OSError:
            return None
        return info.st_mtime_ns, info.st_size

    loaded = stamp()
    return lambda: stamp() == loaded


class Sandbox(SandboxedEnvironment):
    """Jinja's sandbox, bounded (see the module docstring)."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def join_path(self, template: str, parent: str) -> str:
        # `{% include "x.j2" %}` means the file next to the including
        # template, and never a file outside that template's directory.
        builtin = parent.startswith(BUILTIN_PREFIX)
        base = templates_dir() if builtin else Path(parent).parent
        wanted = Path(template)
        resolved = (base / wanted).resolve()
        if wanted.is_absolute() or not resolved.is_relative_to(base.resolve()):
            raise TemplateError(
                f"`{template}` is outside the template's directory `{base}`",
                file=parent.removeprefix(BUILTIN_PREFIX),
                key=template,
                hint="include only templates next to this one",
            )
        if builtin:
            return f"{BUILTIN_PREFIX}{template.removesuffix('.txt.j2')}"
        return str(resolved)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "%":
            _check_format(left, "`%` formatting")
        elif operator == "**":
            _check_number(right, "`**`")
            if _power_bits(left, right) > MAX_POWER_BITS:
                raise BudgetExceeded(f"`{left} ** {right}` is too large a number")
        elif _binop_size(operator, left, right) > MAX_OUTPUT:
            raise BudgetExceeded(f"`{operator}` would make more than {MAX_OUTPUT} items")
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        name = getattr(__obj, "__name__", "a call")
        _check_arguments(f"`{name}`", args, kwargs)
        # The sandbox hands out str.format wrapped; `__wrapped__` is the bound method.
        owner = getattr(getattr(__obj, "__wrapped__", __obj), "__self__", None)
        if name in ("format", "format_map"):
            _check_format(owner, f"`{name}`")
        if name == "replace" and _replace_size(owner, *args[:3]) > MAX_OUTPUT:
            raise BudgetExceeded(f"`replace` would make more than {MAX_OUTPUT} characters")
        result = super().call(__context, __obj, *args, **kwargs)
        _check_size(result, f"`{name}`")
        return result


def _power_bits(base: Any, exponent: Any) -> int:
    """About how many bits `base ** exponent` has (0 when it is not a big int)."""
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0:
        return base.bit_length() * exponent
    return 0


def _binop_size(operator: str, left: Any, right: Any) -> int:
    """The length of the string or list `left <operator> right` would make (0 for others)."""
    sequences = (str, list, tuple)
    if operator == "+" and isinstance(left, sequences) and isinstance(right, sequences):
        return len(left) + len(right)
    if operator == "*":
        for seq, times in ((left, right), (right, left)):
            if isinstance(seq, sequences) and isinstance(times, int):
                return len(seq) * times
    return 0


@functools.cache
def environment() -> Sandbox:
    """The one template environment, built on first use."""
    env = Sandbox(
        loader=_Loader(),
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        autoescape=False,
    )
    env.filters = {name: _checked_filter(name, f) for name, f in env.filters.items()}
    env.policies["ext.i18n.trimmed"] = True
    # Read by the i18n extension when it compiles `{% trans %}`.
    env.newstyle_gettext = True  # type: ignore[attr-defined]
    return env


@functools.cache
def file_environment() -> Sandbox:
    """`environment()` for a template of the whole file: its last newline is kept.

    Everything else (sandbox, budget, loader, filters) is shared.
    """
    env = environment().overlay(keep_trailing_newline=True)
    assert isinstance(env, Sandbox)
    return env


class RenderTimeout(BudgetExceeded):
    """A template ran longer than RENDER_SECONDS."""


@contextlib.contextmanager
def _deadline(seconds: int) -> Iterator[None]:
    """Raise RenderTimeout in the rendering code after `seconds` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(signum: int, frame: object) -> None:
        raise RenderTimeout(f"the template ran longer than {seconds} seconds")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def render_bounded(template: jinja2.Template, variables: dict[str, Any]) -> str:
    """`template` rendered with `variables` within the budget (BudgetExceeded otherwise)."""
    parts: list[str] = []
    size = 0
    with _deadline(RENDER_SECONDS):
        for part in template.generate(**variables):
            size += len(part)
            if size > MAX_OUTPUT:
                raise BudgetExceeded(f"the template renders more than {MAX_OUTPUT} characters")
            parts.append(part)
    return "".join(parts)
