"""Asking a target Python about itself: its version and its stdlib dir.

The one place that runs an interpreter (`--interpreter` of install and
validate). Its answer is bounded and checked: at most `safeio.LIMITS
["interpreter"]` bytes within `TIMEOUT` seconds, strict UTF-8 JSON, an
absolute stdlib path without NUL bytes. A relative interpreter path means
that file (`./python3`), never a name looked up on PATH.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePosixPath

from marker_tool.errors import InputError
from marker_tool.model import PythonVersion
from marker_tool.safeio import LIMITS

#: Seconds an interpreter may take to answer.
TIMEOUT = 30
_QUESTION = (
    "import json, sys, sysconfig; print(json.dumps({"
    "'stdlib': sysconfig.get_path('stdlib', sysconfig.get_default_scheme()), "
    "'version': '%d.%d' % sys.version_info[:2], "
    "'freethreaded': bool(sysconfig.get_config_var('Py_GIL_DISABLED'))}))"
)


@dataclass(frozen=True, slots=True)
class Interpreter:
    """What a target Python says about itself."""

    #: Its version, free-threaded or not.
    python: PythonVersion
    #: `sysconfig.get_path("stdlib")` in its default scheme: where pip and uv look.
    stdlib: PurePosixPath


def _refuse(interpreter: str, why: str) -> InputError:
    return InputError(
        f"cannot ask `{interpreter}` for its stdlib dir: {why}",
        file=interpreter,
        hint="give the path of a Python interpreter, e.g. /usr/bin/python3.12",
    )


def _run_bounded(program: str, name: str) -> tuple[int, bytes, bytes]:
    """Run the question; (status, stdout, stderr), each stream capped, within TIMEOUT."""
    import selectors
    import subprocess
    import time

    cap = LIMITS["interpreter"]
    with subprocess.Popen(
        [program, "-I", "-c", _QUESTION],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        out_fd, err_fd = process.stdout.fileno(), process.stderr.fileno()
        streams = {out_fd: bytearray(), err_fd: bytearray()}
        deadline = time.monotonic() + TIMEOUT
        with selectors.DefaultSelector() as selector:
            for fd in streams:
                selector.register(fd, selectors.EVENT_READ)
            while selector.get_map():
                left = deadline - time.monotonic()
                if left <= 0:
                    process.kill()
                    raise _refuse(name, f"no answer within {TIMEOUT} s")
                for key, _ in selector.select(left):
                    chunk = os.read(key.fd, 65536)
                    if not chunk:
                        selector.unregister(key.fd)
                        continue
                    streams[key.fd] += chunk
                    if len(streams[key.fd]) > cap:
                        process.kill()
                        raise _refuse(name, f"it printed more than {cap} bytes")
        status = process.wait(timeout=max(deadline - time.monotonic(), 1))
    return status, bytes(streams[out_fd]), bytes(streams[err_fd])


@cache
def ask_interpreter(interpreter: str | os.PathLike[str]) -> Interpreter:
    """Run `interpreter` and ask it for its version and stdlib dir."""
    import json

    name = os.fspath(interpreter)
    # A path, never a PATH lookup: `python3` means ./python3 here, as in `./python3`.
    program = str(Path(name).absolute())
    try:
        status, out, err = _run_bounded(program, name)
    except OSError as exc:
        raise _refuse(name, exc.strerror or str(exc)) from None
    if status != 0:
        last = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        raise _refuse(name, f"it exited with status {status} {last[0]}".rstrip())
    try:
        data = json.loads(out.decode("utf-8"))
        stdlib = data["stdlib"]
        version = data["version"] + ("t" if data["freethreaded"] is True else "")
        if not isinstance(stdlib, str) or not isinstance(version, str):
            raise TypeError("not text")
        python = PythonVersion.parse(version)
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise _refuse(name, f"its answer is not what a Python prints ({exc})") from None
    if "\0" in stdlib or not stdlib.startswith("/"):
        raise _refuse(name, f"its stdlib dir {stdlib!r} is not an absolute path")
    return Interpreter(python, PurePosixPath(stdlib))
