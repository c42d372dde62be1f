"""Adopt a hand-written marker: a config and templates that render it back byte for byte.

    marker-tool adopt /usr/lib/python3.11/EXTERNALLY-MANAGED -o debian/marker

writes three files next to each other:

- `EXTERNALLY-MANAGED.in`, the file template: the marker exactly as it is
  (comments, indentation, `Error=` or `Error = `, line endings), with the
  Python version and the distributor's name made placeholders, Jinja's own
  delimiters escaped, and `{{ translations }}` after the last message of the
  section, where translated sections go;
- `message.txt.j2`, the message template: the `Error` text as pip shows it,
  one `{% trans %}` block per paragraph (a line indented deeper than its
  paragraph, such as a command, is a block of its own), for `marker-tool i18n
  extract -c` and the translators;
- `marker-tool.toml`: name, layout, the Python, `[file] template`,
  `[message] template`, and the steps to add translations.

Rendering that config for the same Python gives the original bytes; `write`
renders it in a scratch directory before it writes anything and refuses when
it does not (that would be a bug here). A marker that fails validation is
refused: adopting it would only carry its faults along.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from marker_tool.config import toml_value
from marker_tool.document import Document, parse
from marker_tool.errors import InputError, MarkerToolError
from marker_tool.model import ERROR_KEY, PythonVersion

CONFIG_NAME = "marker-tool.toml"
FILE_TEMPLATE_NAME = "EXTERNALLY-MANAGED.in"
MESSAGE_TEMPLATE_NAME = "message.txt.j2"
#: The config's `name` when the text names no distributor marker-tool knows; the
#: text does not use it, so the marker renders back unchanged.
UNNAMED = "Your Distribution"

#: Where translated sections go in a file template.
TRANSLATIONS = "{{ translations }}"


@dataclass(frozen=True, slots=True)
class Adoption:
    """What `adopt` makes of one marker: three files' texts, by file name."""

    #: The marker's path as given.
    source: str
    python: PythonVersion
    name: str
    layout: str
    #: Why that layout: `--layout`, or where the marker sits (one line, for the user).
    layout_reason: str
    #: `CONFIG_NAME`, `FILE_TEMPLATE_NAME`, `MESSAGE_TEMPLATE_NAME` -> text.
    files: tuple[tuple[str, str], ...]
    #: False when the text names no distributor marker-tool knows: `name` is then
    #: `UNNAMED`, and no word of the text became the `{{ distributor }}` placeholder.
    name_found: bool = True

    def text(self, name: str) -> str:
        """The text of the file called `name`."""
        return dict(self.files)[name]


def _placeholders(python: PythonVersion, name: str | None) -> re.Pattern[str]:
    """One pattern for everything a marker's text turns into a placeholder."""
    parts = [r"(?P<brace>\{(?=[{%#]))"]
    if python.freethreaded:
        parts.append(rf"(?P<python>(?<![\d.]){re.escape(str(python))}(?!\w))")
    parts.append(rf"(?P<version>(?<![\d.]){re.escape(python.xy)}(?!\d|\.\d))")
    parts.append(rf"(?P<version_nodot>(?<=python){python.nodot}(?!\d))")
    if name:
        parts.append(rf"(?P<distributor>(?<!\w){re.escape(name)}(?!\w))")
    return re.compile("|".join(parts))


def _templated(text: str, pattern: re.Pattern[str], brace: str) -> str:
    """`text` with the version and name as `{{ placeholders }}`, and `{` escaped as `brace`."""

    def placeholder(match: re.Match[str]) -> str:
        kind = match.lastgroup
        return brace if kind == "brace" else f"{{{{ {kind} }}}}"

    return pattern.sub(placeholder, text)


def _error_lines(doc: Document) -> list[tuple[str, int | None]]:
    """The `Error` message's lines as pip reads them, each with its indentation.

    The key line's value has no indentation of its own (None); blank lines are
    `("", None)`; comment lines, which configparser skips, are left out.
    """
    entry = next(e for e in doc.section_entries() if e.key.lower() == ERROR_KEY.lower())
    last = max((entry.line, *entry.continuation))
    out: list[tuple[str, int | None]] = []
    for line in doc.lines[entry.line - 1 : last]:
        if line.kind == "key":
            out.append((line.value, None))
        elif line.kind == "continuation":
            out.append((line.value, line.indent))
        elif line.kind == "blank":
            out.append(("", None))
    return out


def _paragraphs(lines: list[tuple[str, int | None]]) -> list[list[list[str]]]:
    """Paragraphs, each a list of blocks: lines that read as one text, or one kept line.

    A line indented deeper than the rest of its paragraph (a command set off
    by the author) is a block of its own, so its line break survives.
    """
    paragraphs: list[list[tuple[str, int | None]]] = [[]]
    for text, indent in lines:
        if text:
            paragraphs[-1].append((text, indent))
        elif paragraphs[-1]:
            paragraphs.append([])
    out = []
    for paragraph in filter(None, paragraphs):
        indents = [indent for _, indent in paragraph if indent is not None]
        base = min(indents, default=0)
        blocks: list[list[str]] = []
        kept_before = True
        for text, indent in paragraph:
            kept = indent is not None and indent > base
            if kept or kept_before:
                blocks.append([text])
            else:
                blocks[-1].append(text)
            kept_before = kept
        out.append(blocks)
    return out


def message_template(doc: Document, pattern: re.Pattern[str]) -> str:
    """The `Error` text as `{% trans %}` blocks, for translators (see the module docstring)."""
    rendered = []
    for paragraph in _paragraphs(_error_lines(doc)):
        blocks = []
        for block in paragraph:
            body = "\n".join(_templated(line, pattern, "{{ lbrace }}") for line in block)
            tag = '{% trans lbrace="{" %}' if "{{ lbrace }}" in body else "{% trans %}"
            blocks.append(f"{tag}\n{body}\n{{% endtrans %}}\n")
        # A line holding only a tag renders as nothing (trim_blocks): one empty
        # line between blocks is a line break, two are a blank line.
        rendered.append("\n".join(blocks))
    header = (
        "{#- The `Error` text of the adopted marker, one trans block per paragraph.\n"
        "    `marker-tool i18n extract -c marker-tool.toml` gives these to translators;\n"
        f"    keep the words the same as in {FILE_TEMPLATE_NAME}. -#}}\n"
    )
    return header + "\n\n".join(rendered)


def _insertion_point(doc: Document) -> tuple[int, bool]:
    """Where translated sections go: the offset after the section's last message line.

    Also whether that line has no line ending (the file's last line), so the
    translations must start with one.
    """
    entries = doc.section_entries()
    last = max(max((e.line, *e.continuation)) for e in entries)
    offset = sum(len(line.text) + len(line.ending) for line in doc.lines[:last])
    return offset, doc.lines[last - 1].ending == ""


def file_template(doc: Document, text: str, pattern: re.Pattern[str]) -> str:
    """The whole file as a template (see the module docstring), line endings made LF."""
    offset, unterminated = _insertion_point(doc)
    here = TRANSLATIONS
    if unterminated:
        here = '{{ "\\n" if translations else "" }}' + TRANSLATIONS
    before = _templated(text[:offset], pattern, '{{ "{" }}')
    after = _templated(text[offset:], pattern, '{{ "{" }}')
    return (before + here + after).replace("\r\n", "\n")


def _newline(doc: Document) -> str:
    endings = {line.ending for line in doc.lines} - {""}
    if len(endings) > 1:
        raise InputError(
            "the marker mixes line endings ("
            + ", ".join(sorted(repr(e) for e in endings))
            + "); a file template is written with one",
            file=doc.path,
            hint="convert it to LF line endings first (`sed -i 's/\\r$//' FILE`)",
        )
    return "crlf" if endings == {"\r\n"} else "lf"


def config_text(
    source: str, python: PythonVersion, name: str | None, layout: str, newline: str
) -> str:
    """The adopted config, commented for the distributor who takes it over."""
    named = [f"name = {toml_value(name)}"]
    if name is None:
        named = [
            "# The text names no distributor marker-tool knows, so nothing in it is",
            "# the name yet: set `name`, and write {{ distributor }} where it belongs",
            f"# in {FILE_TEMPLATE_NAME} and {MESSAGE_TEMPLATE_NAME} (or adopt again with",
            "# --name NAME when the text does name you).",
            f"name = {toml_value(UNNAMED)}",
        ]
    lines = [
        f"# Adopted from {source} by `marker-tool adopt`:",
        f"# `marker-tool render -c {CONFIG_NAME}` gives its bytes back for Python {python}.",
        *named,
        f"layout = {toml_value(layout)}",
        f"pythons = {toml_value([str(python)])}",
        "",
        "[file]",
        "# The whole file, laid out as it was; edit its text here. Translated",
        f"# sections go where it says {TRANSLATIONS}.",
        f"template = {toml_value(FILE_TEMPLATE_NAME)}",
    ]
    if newline != "lf":
        lines.append(f"newline = {toml_value(newline)}")
    lines += [
        "",
        "[message]",
        "# The same words as the file's `Error`, in trans blocks: what translators",
        "# translate. When locales are listed, render refuses if the two differ.",
        f"template = {toml_value(MESSAGE_TEMPLATE_NAME)}",
        "",
        "[i18n]",
        "# To add translations:",
        f"#   marker-tool i18n extract -c {CONFIG_NAME} -o locale/messages.pot",
        "#   marker-tool i18n init de -d locale   (then translate locale/de.po)",
        "# and set:",
        '# catalogs = "locale"',
        '# locales = ["de"]',
        "",
    ]
    return "\n".join(lines)


def _guess_name(text: str) -> str | None:
    """The first built-in preset's distributor named in `text` (Debian, Ubuntu ...)."""
    from marker_tool.config import load_preset
    from marker_tool.presets import PRESETS

    names = {load_preset(preset, pythons=(PythonVersion(3, 12),)).name for preset in PRESETS}
    found = [
        (match.start(), known)
        for known in names
        if (match := re.search(rf"(?<!\w){re.escape(known)}(?!\w)", text))
    ]
    return min(found)[1] if found else None


def guess_layout(path: str, python: PythonVersion) -> tuple[str, str]:
    """The layout whose stdlib dir `path` (a marker's path) ends with, and why.

    `path` may be inside a staging tree or an unpacked package (`old/usr/lib/
    python3.12/EXTERNALLY-MANAGED`): what matters is its tail, as `install`
    would place it. Layouts that put the stdlib at the same path (Debian's,
    Arch's ...) are named together and the first is taken; a tail that only
    says `lib/pythonX.Y` under some prefix fits several layouts with another
    prefix, and is refused rather than guessed (InputError).
    """
    from marker_tool.layouts import LAYOUTS, stdlib_dir

    parts = [p for p in os.path.abspath(path).split(os.sep) if p][:-1]
    fits: list[tuple[int, str]] = []
    for layout_name, layout in LAYOUTS.items():
        try:
            wanted = [p for p in stdlib_dir(layout, python).split("/") if p]
        except MarkerToolError:
            continue
        if parts[-len(wanted) :] == wanted:
            fits.append((len(wanted), layout_name))
    tail = "/".join(parts[-3:])
    if not fits:
        raise InputError(
            f"cannot tell the install layout from where the marker is (`.../{tail}/`): "
            "no layout puts a stdlib there with its default prefix",
            file=path,
            hint="pass --layout NAME (`marker-tool layouts` lists them), and set `prefix` "
            "or `libdir` in the adopted config if it is not the layout's default",
        )
    longest = max(n for n, _ in fits)
    names = [name for n, name in fits if n == longest]
    where = "/" + "/".join(parts[-longest:])
    also = f" (as {', '.join(names[1:])} do)" if len(names) > 1 else ""
    return names[0], f"layout {names[0]}: it puts the stdlib of Python {python} at {where}{also}"


def markers_in_package(path: str) -> dict[str, bytes]:
    """The markers a package (or image, or tree) holds, by their path inside it."""
    from marker_tool.sources.detect import read

    return {
        where: data for package in read(path) for where, data in sorted(package.markers.items())
    }


def adopt(
    data: bytes,
    *,
    source: str,
    python: PythonVersion | None = None,
    name: str | None = None,
    layout: str | None = None,
    placed: str | None = None,
) -> Adoption:
    """What adopting the marker `data` (read from `source`) makes; InputError when it cannot.

    `placed`: where the marker sits when that is not `source` (its path inside a
    package: `/usr/lib/python3.12/EXTERNALLY-MANAGED`), which tells the Python and
    the layout.
    """
    from marker_tool.layouts import get_layout, stdlib_version
    from marker_tool.validate import Validator, refuse_package

    refuse_package(data, source)
    errors = Validator().validate(data, path=source).errors_in_brief()
    if errors:
        raise InputError(
            f"the marker fails validation ({errors}); adopting it would keep its faults",
            file=source,
            hint=f"`marker-tool validate {source}` explains each; fix them first",
        )
    doc = parse(data, path=source)
    assert doc.text is not None  # it passed validation, so it is UTF-8
    if python is None:
        python = stdlib_version(Path(placed or source).absolute().parent.name)
        if python is None:
            raise InputError(
                "cannot tell which Python the marker is for: its directory is not a stdlib dir",
                file=source,
                hint="pass --python X.Y",
            )
    name = name or _guess_name(doc.pip.options.get(ERROR_KEY.lower(), ""))
    newline = _newline(doc)
    reason = f"layout {layout}: given with --layout"
    if layout is None:
        layout, reason = guess_layout(placed or source, python)
    get_layout(layout)
    pattern = _placeholders(python, name)
    files = (
        (CONFIG_NAME, config_text(source, python, name, layout, newline)),
        (FILE_TEMPLATE_NAME, file_template(doc, doc.text, pattern)),
        (MESSAGE_TEMPLATE_NAME, message_template(doc, pattern)),
    )
    return Adoption(
        source, python, name or UNNAMED, layout, reason, files, name_found=name is not None
    )


def rendered(directory: str | os.PathLike[str], python: PythonVersion) -> bytes:
    """The marker the adopted config in `directory` renders for `python`."""
    from marker_tool.config import load_config
    from marker_tool.render import render_files

    distributor = load_config(Path(directory) / CONFIG_NAME, pythons=(python,))
    return render_files(distributor)[python]


def write(
    adoption: Adoption, directory: str | os.PathLike[str], data: bytes, *, replace: bool
) -> list[str]:
    """Write the adoption into `directory` once a scratch copy renders `data` back.

    Returns the paths written. Refuses existing files unless `replace`.
    """
    import tempfile

    from marker_tool import safeio

    with tempfile.TemporaryDirectory(prefix="marker-tool-adopt-") as scratch:
        for name, text in adoption.files:
            safeio.write_text(os.path.join(scratch, name), text, replace=False)
        got = rendered(scratch, adoption.python)
    if got != data:
        pairs = zip(got.splitlines(), data.splitlines(), strict=False)
        line = next(
            (n for n, (a, b) in enumerate(pairs, 1) if a != b),
            min(got.count(b"\n"), data.count(b"\n")) + 1,
        )
        raise MarkerToolError(
            f"the adopted config does not render {adoption.source} back byte for byte "
            f"(first difference in line {line})",
            file=adoption.source,
            hint="this is a bug in marker-tool adopt; please report it with the file",
        )
    targets = [os.path.join(directory, name) for name, _ in adoption.files]
    if not replace:
        existing = [t for t in targets if os.path.lexists(t)]
        if existing:
            raise InputError(
                f"`{existing[0]}` already exists", file=existing[0], hint="pass --force"
            )
    os.makedirs(directory, exist_ok=True)
    for target, (_, text) in zip(targets, adoption.files, strict=True):
        safeio.write_text(target, text, replace=replace)
    return targets
