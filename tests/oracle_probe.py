"""Run by an interpreter inside a system: what it is, and what real pip and uv do there.

    INTERPRETER oracle_probe.py PIP PIP_OLD UV INTERPRETER

prints one JSON object: the interpreter's implementation, version, prefixes and
`sysconfig.get_path("stdlib")`, then what `python -m pip install --no-index
nothing-xyz` printed (pip from PIP, or PIP_OLD on a Python that PIP no longer
runs on), and what `uv pip install --system --python INTERPRETER` printed.
pip runs in this very process, as `-m pip` would run it, so that each
interpreter costs one process (and one for uv).

It runs on every Python a distribution ships (PyPy 3.7 in bullseye too), so it
uses nothing newer than Python 3.7.
"""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys
import sysconfig
import tempfile
import traceback
from typing import Any

#: The package asked for: nothing by this name exists, so an install that goes ahead
#: ends in pip's and uv's "not found", never in a change to the system.
WANTED = "nothing-xyz"
#: The oldest Python the newest pip runs on (PIP_OLD, pip 24.0, runs on 3.7 to 3.9).
PIP_OLDEST = (3, 10)


def run_pip(pip: str) -> dict[str, Any]:
    """`python -m pip install --no-index nothing-xyz` in this process, its output captured."""
    sys.path.insert(0, pip)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    code: Any = None
    with tempfile.TemporaryFile() as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            sys.argv = ["pip", "install", "--no-index", WANTED]
            runpy.run_module("pip", run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as exc:
            code = exc.code
        except BaseException:
            traceback.print_exc()
            code = "exception"
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
        log.seek(0)
        output = log.read().decode("utf-8", "replace")
    return {"exit": code, "output": output, "pip": pip}


def run_uv(uv: str, interpreter: str) -> dict[str, Any]:
    command = [uv, "pip", "install", "--no-config", "--no-index", "--system"]
    command += ["--python", interpreter, WANTED]
    try:
        done = subprocess.run(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return {"exit": "exception", "output": repr(exc)}
    return {"exit": done.returncode, "output": done.stdout.decode("utf-8", "replace")}


def main() -> None:
    pip, pip_old, uv, interpreter = sys.argv[1:5]
    try:
        scheme = sysconfig.get_default_scheme()  # type: ignore[attr-defined,unused-ignore]
    except AttributeError:  # before 3.10
        scheme = sysconfig._get_default_scheme()  # type: ignore[attr-defined]
    facts: dict[str, Any] = {
        "implementation": sys.implementation.name,
        "version": ".".join(str(n) for n in sys.version_info[:3]),
        "prefix": sys.prefix,
        "base_prefix": getattr(sys, "base_prefix", sys.prefix),
        "scheme": scheme,
        "stdlib": sysconfig.get_path("stdlib", scheme),
        "executable": sys.executable,
    }
    facts["stdlib_real"] = os.path.realpath(facts["stdlib"])
    # uv first: pip, run in this process, changes sys.path and imports.
    facts["uv"] = run_uv(uv, interpreter)
    facts["pip"] = run_pip(pip if sys.version_info >= PIP_OLDEST else pip_old)
    sys.stdout.write(json.dumps(facts) + "\n")


if __name__ == "__main__":
    main()
