"""Run the real pip and uv against a marker, without touching the machine's Python.

A *staged interpreter* is a copy of a real (non-venv) Python binary whose
stdlib directory is a fresh temporary directory of symlinks to the real stdlib
(see shared consumers.md). pip and uv then look for EXTERNALLY-MANAGED in a
directory the test owns. Locales are generated with localedef into a private
LOCPATH, never into /usr/lib/locale.

In CI (`CI` or `MARKER_TOOL_REQUIRE_ALL` set) a missing interpreter, pip, uv or
localedef fails the test instead of skipping it: .ci/run installs them all.
"""

from __future__ import annotations

import functools
import glob
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
#: Where `make test` puts the real consumers (see Makefile).
CONSUMERS = Path(os.environ.get("MARKER_TOOL_CONSUMERS", REPO / ".venv" / "consumers"))
UV_OLD_VERSION = "0.13.0"

#: The locales the tests generate; names as users set them in LANG.
TEST_LOCALES = (
    "de_DE.UTF-8",
    "de_AT.UTF-8",
    "fr_FR.UTF-8",
    "pt_BR.UTF-8",
    "pt_PT.UTF-8",
    "zh_TW.UTF-8",
    "zh_CN.UTF-8",
    "ja_JP.UTF-8",
    "es_ES.UTF-8",
    "it_IT.UTF-8",
    "ru_RU.UTF-8",
    "en_US.UTF-8",
    "en_GB.UTF-8",
)


def strict() -> bool:
    """True in CI, where every tool must be present."""
    return bool(os.environ.get("CI") or os.environ.get("MARKER_TOOL_REQUIRE_ALL"))


def missing(what: str) -> None:
    """Fail (CI) or skip (a developer's machine) because `what` is not available."""
    message = f"{what} is not available; .ci/run and `make test` install it"
    if strict():
        pytest.fail(message)
    pytest.skip(message)


@functools.cache
def find_base_python(xy: str) -> Path | None:
    """A real, non-venv interpreter for Python `xy` (e.g. "3.12"), or None.

    Looks on PATH, then in pyenv's versions; a pyenv shim is resolved to the
    interpreter behind it.
    """
    candidates = [shutil.which(f"python{xy}") or ""]
    pyenv_root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates += sorted(glob.glob(f"{pyenv_root}/versions/{xy}.*/bin/python{xy}"), reverse=True)
    for candidate in filter(None, candidates):
        try:
            out = subprocess.run(
                [
                    candidate,
                    "-c",
                    "import sys; print(sys.base_prefix); print(sys.version_info[:2])",
                ],
                capture_output=True,
                text=True,
                timeout=30,
                check=True,
            ).stdout.split("\n")
        except (OSError, subprocess.SubprocessError):
            continue
        prefix = Path(out[0])
        binary = prefix / "bin" / f"python{xy}"
        if out[1] == str(tuple(int(p) for p in xy.split("."))) and binary.is_file():
            return binary
    return None


@dataclass(frozen=True)
class StagedPython:
    """A non-venv Python whose stdlib directory the test owns."""

    #: `3.12`
    xy: str
    #: The staged prefix.
    root: Path
    #: The interpreter to run.
    python: Path

    @property
    def stdlib(self) -> Path:
        """`sysconfig.get_path("stdlib")` of the staged interpreter: where the marker goes."""
        return self.root / "lib" / f"python{self.xy}"

    @property
    def marker(self) -> Path:
        return self.stdlib / "EXTERNALLY-MANAGED"


def stage_python(xy: str, dest: Path) -> StagedPython:
    """Stage Python `xy` under `dest`, failing or skipping the test if there is none."""
    base = find_base_python(xy)
    if base is None:
        missing(f"Python {xy}")
        raise AssertionError("unreachable")
    src_stdlib = base.parent.parent / "lib" / f"python{xy}"
    stdlib = dest / "lib" / f"python{xy}"
    (stdlib / "site-packages").mkdir(parents=True)
    (dest / "bin").mkdir()
    # A copy, not a link: Python finds its prefix from the resolved executable.
    shutil.copy2(base, dest / "bin" / f"python{xy}")
    for entry in src_stdlib.iterdir():
        if entry.name not in {"site-packages", "EXTERNALLY-MANAGED"}:
            (stdlib / entry.name).symlink_to(entry)
    (dest / "bin" / "python3").symlink_to(f"python{xy}")
    return StagedPython(xy, dest, dest / "bin" / f"python{xy}")


def clean_env(
    home: Path, locale: str | None = None, locpath: Path | None = None, **extra: str
) -> dict[str, str]:
    """An `env -i`-like environment: repeatable output, no user or machine config."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "NO_COLOR": "1",
        "TERM": "dumb",
        "PIP_CONFIG_FILE": "/dev/null",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_INPUT": "1",
        "UV_CACHE_DIR": str(home / "uv-cache"),
        "UV_NO_PROGRESS": "1",
        "LC_ALL": locale or "C.UTF-8",
    }
    if locpath is not None:
        env["LOCPATH"] = str(locpath)
    env.update(extra)
    return env


def pip_path() -> Path:
    """A directory holding only the real pip, for a staged interpreter's PYTHONPATH."""
    path = CONSUMERS / "pip"
    if not (path / "pip" / "__init__.py").is_file():
        missing(f"pip from PyPI in {path}")
    return path


def uv_binary(version: str = "latest") -> Path:
    """The real uv: the test environment's newest, or the pinned old parser's."""
    if version == "latest":
        found = Path(sys.prefix) / "bin" / "uv"
        if not found.is_file():
            found = Path(shutil.which("uv") or "/nonexistent")
    else:
        found = CONSUMERS / f"uv-{version}" / "bin" / "uv"
    if not found.is_file():
        missing(f"uv {version}")
    return found


def run_pip(
    staged: StagedPython,
    home: Path,
    *,
    locale: str | None = None,
    locpath: Path | None = None,
    args: tuple[str, ...] = ("install", "--no-index", "six"),
    **extra: str,
) -> subprocess.CompletedProcess[str]:
    """`python -m pip install --no-index six` under the staged interpreter."""
    env = clean_env(home, locale, locpath, PYTHONPATH=str(pip_path()), **extra)
    return subprocess.run(
        [str(staged.python), "-m", "pip", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def run_uv(
    staged: StagedPython,
    home: Path,
    *,
    version: str = "latest",
    locale: str | None = None,
    **extra: str,
) -> subprocess.CompletedProcess[str]:
    """`uv pip install --no-config --no-index --python STAGED six`."""
    env = clean_env(home, locale, None, **extra)
    cmd = [
        str(uv_binary(version)),
        "pip",
        "install",
        "--no-config",
        "--no-index",
        "--python",
        str(staged.python),
        "six",
    ]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=False)


def make_locales(locpath: Path, names: tuple[str, ...] = TEST_LOCALES) -> Path:
    """Generate `names` (like `de_DE.UTF-8`) with localedef into `locpath`."""
    localedef = shutil.which("localedef")
    if localedef is None or not Path("/usr/share/i18n/locales/de_DE").is_file():
        missing("localedef with locale sources (Debian package `locales`)")
        raise AssertionError("unreachable")
    locpath.mkdir(parents=True, exist_ok=True)
    for name in names:
        lang, _, codeset = name.partition(".")
        out = subprocess.run(
            [localedef, "--no-archive", "-i", lang, "-f", codeset or "UTF-8", str(locpath / name)],
            capture_output=True,
            text=True,
            check=False,
        )
        # localedef exits 1 for warnings it still writes the locale through.
        if not (locpath / name / "LC_MESSAGES").exists():
            raise RuntimeError(f"localedef failed for {name}: {out.stderr}")
    return locpath
