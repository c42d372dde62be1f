"""Run the real pip and uv against a marker, without touching the machine's Python.

A *staged interpreter* is a copy of a real (non-venv) Python binary whose
stdlib directory is a fresh temporary directory of symlinks to the real stdlib
(see shared consumers.md). pip and uv then look for EXTERNALLY-MANAGED in a
directory the test owns. Locales are generated with localedef into a private
LOCPATH, never into /usr/lib/locale.

In CI (`CI` or `MARKER_TOOL_REQUIRE_ALL` set) a missing interpreter, pip, uv or
localedef fails the test instead of skipping it: .ci/run installs them all.

Every program a test starts is seen by an audit hook (`audit`, installed by
conftest.py): a test not marked `real` that starts one fails, so `make
test-fast` (`-m "not real"`) is exactly the tests that need no external
program. A cached result of a real program (generated locales, a built
package) counts as running it: `note_program`.
"""

from __future__ import annotations

import fcntl
import functools
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

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


def missing(what: str) -> NoReturn:
    """Fail (CI) or skip (a developer's machine) because `what` is not available."""
    message = f"{what} is not available; .ci/run and `make test` install it"
    if strict():
        pytest.fail(message)
    pytest.skip(message)


def require(programs: Sequence[str], *, root: str | None = None) -> None:
    """`missing` unless every one of `programs` is on PATH and, when `root` says why
    root is needed, the tests run as root."""
    for name in programs:
        if shutil.which(name) is None:
            missing(name)
    if root is not None and os.geteuid() != 0:
        missing(f"root ({root})")


def find_base_python(xy: str) -> Path | None:
    """A real, non-venv interpreter for Python `xy` (e.g. "3.12"), or None.

    Looks on PATH, then in pyenv's versions; a pyenv shim is resolved to the
    interpreter behind it. The test that asks depends on that interpreter, even
    when it is the one running the tests or was found for an earlier test.
    """
    found = _find_base_python(xy)
    if found is not None:
        note_program(found.name)
    return found


@functools.cache
def _find_base_python(xy: str) -> Path | None:
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
    #: The real interpreter it is a copy of.
    base_binary: Path

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
    return StagedPython(xy, dest, dest / "bin" / f"python{xy}", base)


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
    cache: bool = False,
    **extra: str,
) -> subprocess.CompletedProcess[str]:
    """`python -m pip install --no-index six` under the staged interpreter.

    `cache`: the recorded result of the same run, if there is one (`cached_run`).
    """
    env = clean_env(home, locale, locpath, PYTHONPATH=str(pip_path()), **extra)
    command = [str(staged.python), "-m", "pip", *args]
    key = (
        _run_key(
            "pip",
            [*args],
            env,
            staged,
            _identity(staged.base_binary),
            *_identity_of_libpython(staged),
            pip_path() / "pip" / "__init__.py",
            *sorted((pip_path()).glob("pip-*.dist-info/RECORD")),
            *_locales_identity(locpath),
        )
        if cache
        else None
    )
    return cached_run(key, "pip", command, env=env, home=home, staged=staged)


def run_uv(
    staged: StagedPython,
    home: Path,
    *,
    version: str = "latest",
    locale: str | None = None,
    cache: bool = False,
    **extra: str,
) -> subprocess.CompletedProcess[str]:
    """`uv pip install --no-config --no-index --python STAGED six`."""
    env = clean_env(home, locale, None, **extra)
    uv = uv_binary(version)
    args = ["pip", "install", "--no-config", "--no-index", "--python", str(staged.python), "six"]
    key = (
        _run_key(
            f"uv {version}",
            args,
            env,
            staged,
            _identity(uv),
            _identity(staged.base_binary),
            *_identity_of_libpython(staged),
        )
        if cache
        else None
    )
    return cached_run(key, f"uv {version}", [str(uv), *args], env=env, home=home, staged=staged)


# -- recorded runs of pip and uv --------------------------------------------------------


def _identity(path: Path) -> bytes:
    """An installed file's identity: where it is, its size and modification time."""
    status = path.stat()
    return f"{path.resolve()} {status.st_size} {status.st_mtime_ns}".encode()


def _identity_of_libpython(staged: StagedPython) -> list[bytes]:
    lib = staged.base_binary.parent.parent / "lib"
    return [_identity(path) for path in sorted(lib.glob("libpython*.so*"))]


def _locales_identity(locpath: Path | None) -> list[bytes]:
    if locpath is None:
        return []
    return [f"{entry.name} -> {entry.resolve()}".encode() for entry in sorted(locpath.iterdir())]


def _run_key(
    program: str, args: list[str], env: dict[str, str], staged: StagedPython, *more: bytes | Path
) -> str:
    # The temporary paths of this run are placeholders in the key, as in the record.
    shown = {k: _placeholders(v, env["HOME"], staged) for k, v in env.items()}
    words = [_placeholders(arg, env["HOME"], staged) for arg in args]
    marker = staged.marker.read_bytes() if staged.marker.is_file() else b"\0no marker"
    return content_key(
        repr((program, staged.xy, words, sorted(shown.items()))).encode(), marker, *more
    )


def _placeholders(text: str, home: str, staged: StagedPython) -> str:
    return text.replace(str(staged.root), "\0ROOT\0").replace(home, "\0HOME\0")


def cached_run(
    key: str | None,
    program: str,
    command: list[str],
    *,
    env: dict[str, str],
    home: Path,
    staged: StagedPython,
) -> subprocess.CompletedProcess[str]:
    """Run `command`, or, with a `key`, take its result recorded under build/runs/.

    The key is a digest of everything the output depends on (the program's
    files, the interpreter's, the marker, the arguments and environment), so a
    recorded result is what the run would print now; the paths of the
    temporary prefix and home are put back in. A test given a recorded result
    still depends on the program: it counts as started.
    """
    record = CACHE / "runs" / key[:2] / f"{key}.json" if key else None
    if record is not None and record.is_file():
        note_program(program)
        saved = json.loads(record.read_text(encoding="utf-8"))
        back = {"\0ROOT\0": str(staged.root), "\0HOME\0": str(home)}

        def restore(text: str) -> str:
            for placeholder, value in back.items():
                text = text.replace(placeholder, value)
            return text

        return subprocess.CompletedProcess(
            command, saved["returncode"], restore(saved["stdout"]), restore(saved["stderr"])
        )
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    if record is not None:
        record.parent.mkdir(parents=True, exist_ok=True)
        partial = record.with_suffix(f".{os.getpid()}.partial")
        partial.write_text(
            json.dumps(
                {
                    "returncode": done.returncode,
                    "stdout": _placeholders(done.stdout, str(home), staged),
                    "stderr": _placeholders(done.stderr, str(home), staged),
                }
            ),
            encoding="utf-8",
        )
        partial.rename(record)
    return done


def make_locales(names: tuple[str, ...] = TEST_LOCALES) -> Path:
    """`names` (like `de_DE.UTF-8`) generated by localedef into a private LOCPATH.

    Cached under build/locales/, keyed by the names, localedef and the locale
    sources: test processes running side by side and later runs share one
    generation (localedef takes seconds per locale).
    """
    localedef = shutil.which("localedef")
    sources = Path("/usr/share/i18n")
    if localedef is None or not (sources / "locales" / "de_DE").is_file():
        missing("localedef with locale sources (Debian package `locales`)")
        raise AssertionError("unreachable")
    key = content_key(
        "\n".join(names).encode(),
        Path(localedef),
        *sorted((sources / "locales").iterdir()),
        *(sources / "charmaps" / f"{name.partition('.')[2] or 'UTF-8'}.gz" for name in names),
    )
    return cached_directory(
        f"locales/{key}", lambda partial: _generate_locales(localedef, names, partial)
    )


def _generate_locales(localedef: str, names: tuple[str, ...], locpath: Path) -> None:
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


def checkout_files() -> list[str]:
    """The checkout's files as git lists them: tracked, and new ones not ignored."""
    listed = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout
    names = filter(None, os.fsdecode(listed).split("\0"))
    # A file deleted in the work tree, and not yet in git, is not there.
    return sorted(name for name in names if (REPO / name).is_symlink() or (REPO / name).exists())


def checkout_key() -> str:
    """A digest of the checkout's files (`checkout_files`) and their contents."""
    return content_key(*(REPO / name for name in checkout_files()))


def copy_checkout(dest: Path) -> Path:
    """The checkout's files as git lists them (tracked, and new ones not ignored) in `dest`.

    What a clean clone of the work tree would hold: none of build/, .venv/ or
    the mounts of a test's chroot that runs meanwhile.
    """
    for name in checkout_files():
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, dest / name, follow_symlinks=False)
    return dest


def share_trust(root: Path) -> dict[str, str]:
    """Give the system at `root` this machine's CA certificates; the environment that uses them.

    A chroot reaches PyPI through this machine's network, which may pass https
    through a proxy signing with a CA only this machine's trust store has. The
    bundle is copied beside the chroot's own, which a package install inside
    may regenerate, and named by the variables pip and Python's ssl read.
    """
    bundle = Path(
        os.environ.get("PIP_CERT")
        or os.environ.get("SSL_CERT_FILE")
        or "/etc/ssl/certs/ca-certificates.crt"
    )
    if not bundle.is_file():
        return {}
    inside = "/etc/ssl/host-ca-certificates.crt"
    (root / inside.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(bundle, root / inside.lstrip("/"))
    return {"PIP_CERT": inside, "SSL_CERT_FILE": inside, "REQUESTS_CA_BUNDLE": inside}


# -- caches under build/, keyed by content ---------------------------------------------

#: Where the test caches live; a package build that runs the tests elsewhere sets it.
CACHE = Path(os.environ.get("MARKER_TOOL_TEST_CACHE", REPO / "build"))


def content_key(*parts: bytes | Path) -> str:
    """A digest of bytes and of files' contents (a missing file counts as missing)."""
    digest = hashlib.sha256()
    for part in parts:
        data = part
        if isinstance(part, Path):
            digest.update(str(part).encode() + b"\0")
            try:
                data = part.read_bytes()
            except (FileNotFoundError, IsADirectoryError):
                data = b"\0missing"
        assert isinstance(data, bytes)
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()[:20]


def cached_directory(name: str, make: Callable[[Path], None]) -> Path:
    """CACHE/`name`, made by `make(partial)` once and renamed into place when complete.

    Test processes running side by side (pytest-xdist) wait on one lock per
    entry, so each is made once; a killed run leaves only a `.partial` that the
    next one removes.
    """
    done = CACHE / name
    if done.is_dir():
        return done
    done.parent.mkdir(parents=True, exist_ok=True)
    with open(done.parent / f"{done.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if done.is_dir():
            return done
        partial = done.parent / f"{done.name}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir()
        make(partial)
        partial.rename(done)
    return done


# -- which programs a test starts ------------------------------------------------------


@dataclass
class _Starts:
    """The programs started by the running test, in the test's own process."""

    pid: int = field(default_factory=os.getpid)
    programs: list[str] = field(default_factory=list)


_RECORDING: _Starts | None = None
#: The test's own interpreter. Not the `marker-tool` command beside it: a package
#: build runs the fast tests from the source tree, where that command is not installed.
_OWN_PYTHON = {sys.executable, os.path.realpath(sys.executable)}
#: Interpreter options that take the next argument as their value.
_OPTIONS_WITH_VALUE = {"-X", "-W", "-Q"}


def _runs_marker_tool(argv: Sequence[str]) -> bool:
    """True for `sys.executable [options] -c CODE` and `sys.executable ... -m marker_tool`.

    That is the test's own interpreter and marker-tool's own code: nothing the
    machine must have installed. Any other module (`-m pip`, `-m build`) or
    script is an external program.
    """
    rest = list(argv[1:])
    while rest:
        arg = rest.pop(0)
        if arg in _OPTIONS_WITH_VALUE:
            rest = rest[1:]
        elif arg == "-c" or arg.startswith("-c"):
            return True
        elif arg == "-m" or arg.startswith("-m"):
            module = arg[2:] or (rest[0] if rest else "")
            return module.split(".")[0] == "marker_tool"
        elif not arg.startswith("-") or arg == "-":
            return False
    return False


def _program(event: str, args: tuple[object, ...]) -> str | None:
    """The external program an audit event starts, or None for none (or for our own)."""
    if event == "os.system":
        return f"sh -c {str(args[0])[:80]!r}"
    if event == "subprocess.Popen":
        path, argv, env = args[0], args[1], args[3]
    elif event in {"os.exec", "os.posix_spawn"}:
        path, argv, env = args[0], args[1], args[2]
    elif event == "os.spawn":
        path, argv, env = args[1], args[2], args[3]
    else:
        return None
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    words = (
        [os.fsdecode(a) if isinstance(a, bytes) else str(a) for a in argv]
        if isinstance(argv, (list, tuple))
        else [str(argv)]
    )
    program = str(path if path is not None else words[0])
    # A bare name is looked up on the PATH the program is started with.
    search = env.get("PATH") if isinstance(env, Mapping) else None
    resolved = shutil.which(program, path=search) if os.sep not in program else program
    # What cannot be executed starts nothing: the exec fails (a test of that failure).
    if resolved is None or not (os.path.isfile(resolved) and os.access(resolved, os.X_OK)):
        return None
    if resolved in _OWN_PYTHON and _runs_marker_tool(words):
        return None
    return os.path.basename(program)


def audit(event: str, args: tuple[object, ...]) -> None:
    """The audit hook: records what the running test starts (never raises)."""
    recording = _RECORDING
    # A forked child (a pty test, multiprocessing) runs its own exec: its parent
    # started the fork, and the child's record would be lost anyway.
    if recording is None or recording.pid != os.getpid():
        return
    program = _program(event, args)
    if program is not None and program not in recording.programs:
        recording.programs.append(program)


def start_recording() -> None:
    global _RECORDING  # noqa: PLW0603 - one test at a time per process
    _RECORDING = _Starts()


def stop_recording() -> None:
    global _RECORDING  # noqa: PLW0603
    _RECORDING = None


def take_started() -> list[str]:
    """The programs started since the last call, for the current test."""
    recording = _RECORDING
    if recording is None:
        return []
    taken, recording.programs = recording.programs, []
    return taken


def note_program(what: str) -> None:
    """Count `what` as started by the running test.

    For a cached result of a real program (generated locales, a built package,
    a staged interpreter): the test depends on that program as if it ran it.
    """
    recording = _RECORDING
    if recording is not None and what not in recording.programs:
        recording.programs.append(what)
