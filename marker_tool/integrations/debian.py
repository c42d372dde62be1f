"""Debian's formats: the one module that reads control files and maintainer scripts.

Control paragraphs (a built package's `control` member) are read by
debian-inspector when it is importable (the PyPI install's declared
dependency) and by python-debian's deb822 otherwise (python3-debian: the
library Debian's own tools use, in Debian main, which marker-tool's Debian
package depends on instead). Both give the same fields; tests hold them to it
on real packages. Either is imported only here and only when a paragraph is
read: importing costs 120-220 ms.
"""

from __future__ import annotations

import importlib
import re
import shlex
from collections.abc import Callable, Iterable
from typing import Any, Literal, get_args

from marker_tool.errors import MissingModule, PackageError

#: The libraries that can read a control paragraph, in the order tried.
Reader = Literal["debian-inspector", "python-debian"]
READERS: tuple[Reader, ...] = get_args(Reader)


def _parse_with(reader: Reader) -> Callable[[str], dict[Any, Any]]:
    if reader == "debian-inspector":
        from debian_inspector import debcon

        return debcon.get_paragraph_data  # type: ignore[no-any-return]
    # Not a static import: python-debian is Debian's package, absent from a PyPI install
    # (and from its type checking).
    deb822 = importlib.import_module("debian.deb822")
    # Only the first paragraph: a .deb's control member has one.
    return lambda text: dict(deb822.Deb822(text.splitlines(keepends=True)))


#: The fields `check` reads from a .deb's control paragraph.
PACKAGE_FIELDS = ("package", "version", "architecture", "multi-arch", "depends", "pre-depends")
#: Characters of one field kept for the parsers: a `Depends` of many thousand packages
#: is 100 KB; a field longer than this is no real package's.
FIELD_CAP = 1024 * 1024


def control_fields(
    text: str, *, reader: Reader | None = None, keep: Iterable[str] | None = None
) -> dict[str, str]:
    """The fields of a control paragraph, lower-case names -> values (continuations joined).

    `reader` picks the library; by default the first of `READERS` that imports.
    `keep`: the only fields wanted (lower-case names). They are cut out of the
    first paragraph with one regular expression (linear, in C) before the
    library parses them: both libraries cost hundreds of bytes of memory and
    Python steps per byte, so a 16 MiB `Description` must never reach them.
    """
    if keep is not None:
        text = _only(text, tuple(keep))
    for candidate in (reader,) if reader else READERS:
        try:
            parse = _parse_with(candidate)
        except ImportError:
            continue
        fields = parse(text)
        return {str(k).lower(): " ".join(str(v).split()) for k, v in fields.items()}
    raise MissingModule(
        "reading a .deb's control paragraph needs python-debian or debian-inspector, "
        "and neither is installed"
        if reader is None
        else f"reading a .deb's control paragraph with {reader} needs it installed",
        hint="apt install python3-debian (Debian, Ubuntu), or pip install debian-inspector",
    )


def _only(text: str, keep: tuple[str, ...]) -> str:
    """The fields named in `keep`, with their continuation lines, of the first paragraph."""
    first = re.split(r"\n[ \t]*\n", text.lstrip("\n"), maxsplit=1)[0]
    names = "|".join(re.escape(k) for k in keep)
    pattern = re.compile(rf"^(?:{names})[ \t]*:[^\n]*(?:\n[ \t][^\n]*)*", re.M | re.I)
    found = []
    for match in pattern.finditer(first):
        if match.end() - match.start() > FIELD_CAP:
            name = match[0].partition(":")[0]
            raise PackageError(f"its control field `{name}` is more than {FIELD_CAP} characters")
        found.append(match[0])
    return "\n".join(found) + "\n"


def relation_names(*fields: str) -> tuple[str, ...]:
    """Package names in relationship fields (`Depends`), alternatives included.

    `libc6 (>= 2.36), python3.11-minimal | python3-foo:any` -> `libc6`,
    `python3.11-minimal`, `python3-foo`. Versions, architecture qualifiers
    and build profiles are dropped: the question asked is only "does it
    depend on that package at all".
    """
    names = []
    for text in fields:
        for alternative in text.replace("|", ",").split(","):
            name = alternative.strip().split(" ", 1)[0].split("(", 1)[0].split(":", 1)[0]
            if name:
                names.append(name)
    return tuple(dict.fromkeys(names))


def diverted_paths(script: str, package: str) -> set[str]:
    """The paths a maintainer script (preinst, postinst) diverts for `package`.

    Those are the `dpkg-divert --add PATH` commands (`--add` is also
    dpkg-divert's default action) made for `package`: with `--package
    PACKAGE`, or with neither `--package` nor `--local`, since dpkg-divert then
    takes the package whose script runs it (DPKG_MAINTSCRIPT_PACKAGE). That is
    how a derivative's branding package takes over the marker of a stdlib it
    does not ship; dh_externally_managed writes such commands. A path with a
    shell variable in it is left out: only the script's run would know it.
    """
    paths: set[str] = set()
    if "dpkg-divert" not in script:
        return paths  # most scripts divert nothing: spare them the shell lexer
    for words in _commands(_divert_lines(script)):
        if not words or words[0].rsplit("/", 1)[-1] != "dpkg-divert":
            continue
        if (path := _added(words, package)) is not None:
            paths.add(path)
    return paths


def _added(words: list[str], package: str) -> str | None:
    """The path a `dpkg-divert` command adds a diversion of for `package`, if it does."""
    owner: str | None = package
    action = "--add"
    operands = []
    options = iter(words[1:])
    for word in options:
        if word in ("--package", "--divert", "--admindir", "--instdir", "--root"):
            value = next(options, "")
            owner = value if word == "--package" else owner
        elif word.startswith("--package="):
            owner = word.partition("=")[2]
        elif word == "--local":
            owner = None
        elif word in ("--add", "--remove", "--list", "--listpackage", "--truename"):
            action = word
        elif not word.startswith("-"):
            operands.append(word)
    if action == "--add" and owner == package and len(operands) == 1:
        path = operands[0]
        if path.startswith("/") and "$" not in path and "`" not in path:
            return path
    return None


#: Lines that call dpkg-divert lexed per script, and the longest lexed: a real branding
#: package's scripts have a few short ones. `shlex` costs about a microsecond a
#: character, so what it is given is bounded, whatever the script's size.
DIVERT_LINES = 128
DIVERT_LINE_CAP = 4096


def _divert_lines(script: str) -> list[str]:
    """The lines (continuations joined) that mention dpkg-divert, in one linear pass:
    each line is found from an occurrence and the search goes on after its end."""
    text = script.replace("\\\n", " ")
    lines: list[str] = []
    at = text.find("dpkg-divert")
    while at >= 0 and len(lines) < DIVERT_LINES:
        start = text.rfind("\n", 0, at) + 1
        end = text.find("\n", at)
        end = len(text) if end < 0 else end
        if end - start <= DIVERT_LINE_CAP:
            lines.append(text[start:end])
        at = text.find("dpkg-divert", end)
    return lines


def _commands(lines: list[str]) -> list[list[str]]:
    """The lines' simple commands as words (`;`/`&&`/`||` split)."""
    commands: list[list[str]] = []
    for line in lines:
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|()")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        current: list[str] = []
        try:
            for token in lexer:
                if token and set(token) <= set(";&|()"):
                    commands.append(current)
                    current = []
                else:
                    current.append(token)
        except ValueError:  # an unclosed quote: the line says nothing we can use
            continue
        commands.append(current)
    # `if`, `then`, `do`, ... before a command are the shell's words, not the command's.
    keywords = {"if", "then", "else", "elif", "do", "!", "{", "while", "until", "exec", "command"}
    for words in commands:
        while words and words[0] in keywords:
            words.pop(0)
    return commands
