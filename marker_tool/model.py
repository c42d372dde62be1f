"""The values that flow through the pipeline: frozen, slotted dataclasses, no I/O.

    config -> Distributor -> render -> Marker -> ini -> validate -> install

Change one with `dataclasses.replace(value, field=...)`.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, get_args

MARKER_NAME = "EXTERNALLY-MANAGED"
SECTION = "externally-managed"
ERROR_KEY = "Error"
MiB = 1024 * 1024
#: Bytes above which a file is not read as a marker (rule EM107): a real marker is
#: 1-4 KB; pip reads any size, but a file this large is not a marker.
MARKER_CAP = MiB
#: Symlinks followed while resolving one path before it is called a loop (Linux's MAXSYMLINKS).
MAX_SYMLINKS = 40

_VERSION_RE = re.compile(r"(?P<pypy>pypy)?(?P<major>3)\.(?P<minor>\d{1,2})(?P<t>t?)")
#: The implementations whose stdlib dirs pip reads a marker from: CPython's `python3.12`,
#: PyPy's `pypy3.11` (its language version; sysconfig's stdlib is `lib/pypy3.11`).
Implementation = Literal["cpython", "pypy"]


@dataclass(frozen=True, slots=True)
class PythonVersion:
    """A Python a marker is made for: `3.12`, `3.13t` for a free-threaded build, or
    `pypy3.11` for PyPy of that language version."""

    major: int
    minor: int
    #: A free-threaded build, whose stdlib dir is `python3.13t`.
    freethreaded: bool = False
    implementation: Implementation = "cpython"

    @classmethod
    def parse(cls, text: str) -> PythonVersion:
        """Parse `3.12`, `3.13t` or `pypy3.11` (spaces around ignored); ValueError otherwise."""
        match = _VERSION_RE.fullmatch(text.strip())
        if not match:
            raise ValueError(f"`{text}` is not a Python version like `3.12`, `3.13t` or `pypy3.11`")
        implementation: Implementation = "pypy" if match["pypy"] else "cpython"
        version = cls(int(match["major"]), int(match["minor"]), bool(match["t"]), implementation)
        if version.freethreaded and match["pypy"]:
            raise ValueError(f"`{text}`: PyPy has no free-threaded build")
        if version.freethreaded and version.minor < 13:
            raise ValueError(f"`{text}`: free-threaded builds start at `3.13t`")
        return version

    @classmethod
    def running(cls) -> PythonVersion:
        """The Python marker-tool runs under, `3.13t` when it is free-threaded."""
        import sys
        import sysconfig  # only when nothing names the Pythons

        freethreaded = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
        major, minor = sys.version_info[:2]
        return cls(major, minor, freethreaded and minor >= 13)

    @property
    def xy(self) -> str:
        """`3.13`, also for a free-threaded build."""
        return f"{self.major}.{self.minor}"

    @property
    def nodot(self) -> str:
        """`313`, as in openSUSE's `python313-` package names."""
        return f"{self.major}{self.minor}"

    @property
    def stdlib_name(self) -> str:
        """The stdlib directory's name: `python3.13`, `python3.13t` or `pypy3.11`."""
        return str(self) if self.implementation == "pypy" else f"python{self}"

    @property
    def pypy(self) -> bool:
        return self.implementation == "pypy"

    def __str__(self) -> str:
        prefix = "pypy" if self.implementation == "pypy" else ""
        return f"{prefix}{self.xy}{'t' if self.freethreaded else ''}"


#: The newest Python marker-tool knows of (the one in development). A version past it
#: is let through with a warning (a build may be ahead of this list), since a typo such
#: as `3.31` would otherwise make a marker for no real Python.
NEWEST_KNOWN_PYTHON = PythonVersion(3, 16)
#: The oldest Python a marker is read on: pip reads markers since 23.0, which needs 3.7.
OLDEST_MANAGED_PYTHON = PythonVersion(3, 7)


def target_problem(version: PythonVersion) -> tuple[bool, str] | None:
    """Why `version` is a doubtful Python to make a marker for: (an error?, why), or None.

    The one rule for `--python` and a config's `pythons`: older than any Python
    pip reads a marker on is an error (`3.1`, a typo of `3.10`), newer than any
    known is a warning.
    """
    if version.minor < OLDEST_MANAGED_PYTHON.minor:
        known = [
            f"3.{n}" for n in range(OLDEST_MANAGED_PYTHON.minor, NEWEST_KNOWN_PYTHON.minor + 1)
        ]
        close = [k for k in known if k.startswith(version.xy)][:2]
        also = f"; did you mean {' or '.join(f'`{k}`' for k in close)}?" if close else ""
        return True, (
            f"no pip reads a marker on Python {version} (pip reads them on "
            f"{OLDEST_MANAGED_PYTHON} and later){also}"
        )
    if version.minor > NEWEST_KNOWN_PYTHON.minor:
        return False, (
            f"there is no Python {version} that marker-tool knows of "
            f"({OLDEST_MANAGED_PYTHON} to {NEWEST_KNOWN_PYTHON}); going on, in case it is "
            "newer than this marker-tool"
        )
    return None


@dataclass(frozen=True, slots=True)
class I18nSettings:
    """Which locales a distributor ships and where their translations come from."""

    #: Directory of `LOCALE.po` files; None means the built-in catalogs.
    catalog_dir: str | None = None
    #: Locales to ship, as written in the config (`de`, `pt_BR`).
    locales: tuple[str, ...] = ()
    #: Ship a locale whose catalog is incomplete (untranslated text falls back to English).
    partial: bool = False
    #: Let a territory catalog (`pt_BR`) also serve its language (`Error-pt`) when
    #: there is no language-level catalog.
    territory_fallback: bool = True
    #: Full per-locale message texts given inline in the config, by locale.
    texts: tuple[tuple[str, str], ...] = ()
    #: A listed locale that would be left out or partial is an error (`--strict`).
    require_all: bool = False
    #: `[message] extra` paragraphs given per locale in the config, by pip's locale
    #: name (`pt_BR`); a locale without them looks each paragraph up in its catalog.
    extra: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: `[message.variables]` names whose values are prose: extracted and translated.
    prose: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Distributor:
    """A distributor's config, resolved: everything needed to render its markers."""

    #: The distributor's name as users know it (`Debian`, `Homebrew`).
    name: str
    #: The layout registry name (`deb`, `rpm`, `homebrew-macos` ...).
    layout: str
    #: The Pythons to make markers for, in config order.
    pythons: tuple[PythonVersion, ...]
    #: Message template: a built-in name (`builtin:NAME`) or a file path.
    template: str
    #: Template variables (`install`, `venv`, `docs` ...), still holding
    #: `{version}`-style placeholders that are filled per Python.
    variables: tuple[tuple[str, str | tuple[str, ...]], ...] = ()
    #: Layout parameters (`prefix`, `libdir`) in the placeholder language
    #: (`{version}`, `{stdlib_name}`), filled per Python by the layout registry.
    prefix: str | None = None
    libdir: str | None = None
    #: Which locales to ship; the default ships none.
    i18n: I18nSettings = field(default_factory=I18nSettings)
    #: The preset this config started from, if any.
    preset: str | None = None
    #: The config file it was read from; None for a built-in preset used as is.
    source: str | None = None
    #: `[file] template`: a template of the whole file, laid out as the distributor
    #: wrote it (what `marker-tool adopt` makes); None: the INI writer lays it out.
    file_template: str | None = None
    #: The line ending a file template's output is written with (`[file] newline`).
    newline: Literal["\n", "\r\n"] = "\n"


@dataclass(frozen=True, slots=True)
class Message:
    """One message of a marker: the text pip shows under one key."""

    #: The INI key, spelled as written: `Error`, `Error-de`, `Error-pt_BR`.
    key: str
    #: The message text, lines separated by `\n`, no INI escaping.
    text: str
    #: The locale it was rendered for (`de`, `pt_BR`); None for `Error`.
    locale: str | None = None


@dataclass(frozen=True, slots=True)
class Marker:
    """A rendered marker for one Python: its messages in file order, `Error` first."""

    python: PythonVersion
    messages: tuple[Message, ...]
    #: The whole file, when the distributor's file template laid it out (the
    #: messages are then what pip reads from it); None: `ini.serialize` writes it.
    content: str | None = None

    def text(self, key: str = ERROR_KEY) -> str:
        """The text under `key`; KeyError when there is none."""
        for message in self.messages:
            if message.key == key:
                return message.text
        raise KeyError(key)


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


#: What `validate` and `check` say of a marker, a package or a system.
Verdict = Literal["PASSED", "PASSED with warnings", "FAILED"]
VERDICTS: tuple[Verdict, ...] = get_args(Verdict)
PASSED, WARNED, FAILED = VERDICTS


def verdict_of(
    severities: Iterable[Severity], *, strict: bool = False, verdicts: Iterable[Verdict] = ()
) -> Verdict:
    """The one verdict rule: `FAILED` on an error (or a warning when strict, or a failed
    part), `PASSED with warnings` on a warning (or such a part), else `PASSED`."""
    found = set(severities)
    parts = set(verdicts)
    if Severity.ERROR in found or (strict and Severity.WARNING in found) or FAILED in parts:
        return FAILED
    if Severity.WARNING in found or WARNED in parts:
        return WARNED
    return PASSED


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a validation rule found in a marker."""

    #: The rule's stable code, `EM201`.
    code: str
    severity: Severity
    #: A one-line summary, lower-case, keys in backticks.
    message: str
    #: 1-based line in the file, when the finding is about one.
    line: int | None = None
    #: The file the finding is about.
    file: str | None = None


@dataclass(frozen=True, slots=True)
class Located:
    """A finding, with the path inside its subject it is about (None: the subject itself)."""

    finding: Finding
    where: str | None = None
    #: For a waived finding, the reason the maintainer gave.
    reason: str | None = None


#: What an installed marker is, after following symlinks inside its tree: a
#: regular file, a directory, something else (FIFO, device, socket), or a
#: symlink that leads nowhere, round in a loop, or out of the tree.
FileKind = Literal[
    "file", "directory", "other", "dangling-symlink", "symlink-loop", "escaping-symlink"
]


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a marker sits, as facts for the placement rules (EM5xx).

    The rules never look at a file system: `validate FILE` builds these from
    this machine (`marker_tool.hostfs`), `install` from its plan, and `check`
    from the entries of an archive.
    """

    #: The marker's path inside its tree, `/`-separated (`usr/lib/python3.12/EXTERNALLY-MANAGED`
    #: in a package, an absolute path on this machine).
    path: str
    #: What it is, after following symlinks inside the tree.
    kind: FileKind = "file"
    #: Permission bits (`0o644`) of the file after following symlinks; None when unknown.
    mode: int | None = None
    #: `(user, group)` names or ids as text; None when unknown (a file on this machine).
    owner: tuple[str, str] | None = None
    #: The stdlib dir the marker must be in (asked of an interpreter, or given);
    #: None: any directory named like a stdlib dir (`python3.12`, `python3.13t`).
    stdlib_dir: str | None = None
    #: The marker's directory with symlinks resolved, to compare with `stdlib_dir`.
    real_dir: str | None = None
    #: A virtual environment the marker sits in (the directory with `pyvenv.cfg`), if any.
    venv: str | None = None
