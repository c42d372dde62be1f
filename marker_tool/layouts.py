"""Where each distributor's stdlib directory lives: the one registry of install paths.

It also owns the stdlib dir's name (`python3.12`, `python3.13t`): preview,
install, validate, the rules and check ask `stdlib_version` rather than
matching names of their own. Paths here are on the target system, never
looked at on this one, so they are plain `/`-separated strings.
`marker-tool path` and `marker-tool layouts` import only this module (and
click), so a build that asks for a path many times pays for nothing else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, get_args

from marker_tool import placeholders
from marker_tool.errors import MarkerToolError, did_you_mean
from marker_tool.model import MARKER_NAME, PythonVersion

LayoutName = Literal[
    "deb",
    "ubuntu",
    "arch",
    "alpine",
    "void",
    "rpm",
    "opensuse",
    "homebrew-macos",
    "homebrew-linux",
    "nix",
    "gentoo",
    "generic",
]
LAYOUT_NAMES: tuple[str, ...] = get_args(LayoutName)


#: A stdlib dir's name: `python3.12`, `python3.13t`, PyPy's `pypy3.11` (and its version).
_STDLIB_NAME = re.compile(r"python(3\.\d{1,2}t?)|(pypy3\.\d{1,2})")


def stdlib_version(name: str) -> PythonVersion | None:
    """The Python whose stdlib dir is named `name` (`python3.13t` -> 3.13t,
    `pypy3.11` -> pypy3.11), else None."""
    match = _STDLIB_NAME.fullmatch(name)
    if match is None:
        return None
    try:
        return PythonVersion.parse(match[1] or match[2])
    except ValueError:
        return None


#: The parent dir of every layout's stdlib dir: `{libdir}` (`/usr/lib`, `/usr/lib64`)
#: or `{prefix}/lib`.
LIBDIR_NAMES = frozenset({"lib", "lib64"})
#: PyPy before its CPython-like layout (PyPy 3.7, Debian bullseye's pypy3 7.3.5): its
#: sysconfig's stdlib, where pip reads the marker, is `HOME/lib-python/3.7`, a dir no
#: package ships; its modules lie in `HOME/lib-python/3`, and the minor version is in
#: its extensions' names: `HOME/lib_pypy/_curses_cffi.pypy37-pp73-x86_64-linux-gnu.so`.
_PYPY_OLD_PARENT = "lib-python"
_PYPY_OLD_NAME = re.compile(r"3\.\d{1,2}")
OLDER_PYPY_MODULES = "/lib-python/3"
OLDER_PYPY_EXTENSIONS = "/lib_pypy/"
_PYPY_EXTENSION = re.compile(r"\.pypy3(\d{1,2})-")


def older_pypy_minor(name: str) -> str | None:
    """The minor version a PyPy 3.7-style extension's file name is built for, else None.

    `_curses_cffi.pypy37-pp73-x86_64-linux-gnu.so` -> "7".
    """
    match = _PYPY_EXTENSION.search(name)
    return match[1] if match else None


def older_pypy_home(path: str) -> str | None:
    """The PyPy home whose older, split stdlib a file is part of, else None.

    A module directly in `HOME/lib-python/3`, or an extension anywhere under
    `HOME/lib_pypy/` (`usr/lib/pypy3/lib_pypy/_tkinter/tklib_cffi.pypy37-...so`).
    """
    directory, _, name = path.rpartition("/")
    if directory.endswith(OLDER_PYPY_MODULES) and name.endswith(".py"):
        return directory.removesuffix(OLDER_PYPY_MODULES)
    home, found, _ = path.partition(OLDER_PYPY_EXTENSIONS)
    return home if found and older_pypy_minor(name) is not None else None


def stdlib_dir_version(path: str) -> PythonVersion | None:
    """The Python whose stdlib a dir at `path` would be, as every layout places it.

    `usr/lib/python3.12`, `usr/lib64/python3.13t`, `opt/x/lib/python3.12`,
    `.../Versions/3.12/lib/python3.12` -> the version; PyPy's `usr/lib/pypy3.11` and,
    in its older layout, `usr/lib/pypy3/lib-python/3.7` -> pypy3.X; `etc/python3.11`,
    `usr/share/python3.11` -> None.
    """
    parent, _, name = path.rstrip("/").rpartition("/")
    above = parent.rpartition("/")[2]
    if above == _PYPY_OLD_PARENT and _PYPY_OLD_NAME.fullmatch(name):
        return PythonVersion.parse(f"pypy{name}")
    if above not in LIBDIR_NAMES:
        return None
    return stdlib_version(name)


@dataclass(frozen=True, slots=True)
class Layout:
    """How one family of distributions places the stdlib directory."""

    name: str
    #: One line for `marker-tool layouts`.
    description: str
    #: The stdlib dir; `{prefix}`, `{libdir}`, `{version}` (3.13) and
    #: `{stdlib_name}` (python3.13t) are filled in.
    stdlib_pattern: str
    #: `{prefix}` when the config and command line give none; `{version}` allowed.
    default_prefix: str = "/usr"
    #: `{libdir}` when none is given (`%{_libdir}` on Fedora-style systems).
    default_libdir: str = "/usr/lib"
    #: Where the one shared marker goes, for layouts that symlink it into every
    #: stdlib dir (Gentoo); None for one file per stdlib dir.
    shared_marker: str | None = None


LAYOUTS: dict[str, Layout] = {
    layout.name: layout
    for layout in (
        Layout("deb", "Debian (libpython3.X-stdlib)", "{libdir}/{stdlib_name}"),
        Layout("ubuntu", "Ubuntu, as Debian", "{libdir}/{stdlib_name}"),
        Layout("arch", "Arch Linux (python)", "{libdir}/{stdlib_name}"),
        Layout("alpine", "Alpine Linux (python3)", "{libdir}/{stdlib_name}"),
        Layout("void", "Void Linux (python3)", "{libdir}/{stdlib_name}"),
        Layout(
            "rpm",
            "Fedora-style RPM: %{_libdir}, /usr/lib64 on 64-bit",
            "{libdir}/{stdlib_name}",
            default_libdir="/usr/lib64",
        ),
        Layout(
            "opensuse",
            "openSUSE (python3XX-base): %{_libdir}",
            "{libdir}/{stdlib_name}",
            default_libdir="/usr/lib64",
        ),
        Layout(
            "homebrew-macos",
            "Homebrew on macOS: the framework inside the python@X.Y keg",
            "{prefix}/Frameworks/Python.framework/Versions/{version}/lib/{stdlib_name}",
            default_prefix="/opt/homebrew/opt/python@{version}",
        ),
        Layout(
            "homebrew-linux",
            "Homebrew on Linux: lib/ inside the python@X.Y keg",
            "{prefix}/lib/{stdlib_name}",
            default_prefix="/home/linuxbrew/.linuxbrew/opt/python@{version}",
        ),
        Layout(
            "nix",
            "Nix: $out/lib (give --prefix $out)",
            "{prefix}/lib/{stdlib_name}",
            default_prefix="/nix/store/python-{version}",
        ),
        Layout(
            "gentoo",
            "Gentoo: one shared file, symlinked into each stdlib dir",
            "{libdir}/{stdlib_name}",
            shared_marker="{libdir}/python/" + MARKER_NAME,
        ),
        Layout(
            "generic",
            "Any POSIX build: {prefix}/lib (default prefix /usr/local)",
            "{prefix}/lib/{stdlib_name}",
            default_prefix="/usr/local",
        ),
    )
}
assert tuple(LAYOUTS) == LAYOUT_NAMES


def get_layout(name: str) -> Layout:
    """The registered layout `name`; a MarkerToolError naming the choices otherwise."""
    try:
        return LAYOUTS[name]
    except KeyError:
        raise MarkerToolError(
            f"unknown layout `{name}`; expected one of {', '.join(LAYOUT_NAMES)}",
            key="layout",
            hint=did_you_mean(name, LAYOUT_NAMES),
        ) from None


def fill_path(pattern: str, python: PythonVersion, *, key: str) -> str:
    """A path with `{version}` and `{stdlib_name}` filled for `python` (ConfigError otherwise)."""
    return placeholders.fill(pattern, placeholders.path_values(python), key=key)


def _fill(
    pattern: str, layout: Layout, python: PythonVersion, prefix: str | None, libdir: str | None
) -> str:
    values = placeholders.path_values(python)
    for key, given, default in (
        ("prefix", prefix, layout.default_prefix),
        ("libdir", libdir, layout.default_libdir),
    ):
        value = fill_path(given or default, python, key=key)
        if not value.startswith("/"):
            raise MarkerToolError(
                f"`{key}` is `{value}`, a relative path; it is a path on the target system",
                key=key,
                hint=f"write it as the target sees it, from its root: `/{value.lstrip('./')}`",
            )
        values[key] = value.rstrip("/")
    return placeholders.fill(pattern, values, key="layout")


def stdlib_dir(
    layout: Layout,
    python: PythonVersion,
    *,
    prefix: str | None = None,
    libdir: str | None = None,
) -> str:
    """The stdlib directory of `python` under `layout`, as an absolute path on the target."""
    return _fill(layout.stdlib_pattern, layout, python, prefix, libdir)


def marker_path(
    layout: Layout,
    python: PythonVersion,
    *,
    prefix: str | None = None,
    libdir: str | None = None,
) -> str:
    """Where pip looks for the marker of `python`: `<stdlib dir>/EXTERNALLY-MANAGED`."""
    return f"{stdlib_dir(layout, python, prefix=prefix, libdir=libdir)}/{MARKER_NAME}"


def shared_marker_path(
    layout: Layout,
    python: PythonVersion,
    *,
    prefix: str | None = None,
    libdir: str | None = None,
) -> str | None:
    """The one real file that per-version markers link to, for layouts that share one."""
    if layout.shared_marker is None:
        return None
    return _fill(layout.shared_marker, layout, python, prefix, libdir)
