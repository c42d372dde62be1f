"""Run the test suite under a Debian suite's own Python, in a clean chroot of that suite.

    python -m tests.debian_python [--suite forky] [--python 3.14] [PYTEST ARGS...]

For a Python this machine has no interpreter for (3.14 on Debian 12): a
throwaway copy of a cached mmdebstrap system of the suite (tests/chroots.py),
the checkout's files copied into it, and a venv of Debian's interpreter with
the test dependencies from PyPI (the chroot uses the machine's network). The
venv is kept under build/venvs/, keyed by the system and pyproject.toml, and
mounted into each new chroot, so a rerun installs nothing. Exits with pytest's
status. Needs root and mmdebstrap.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys

from tests.chroots import Spec, base, throwaway
from tests.realprograms import CACHE, REPO, content_key, copy_checkout, share_trust

#: Inside the chroot: the copy of the checkout, and the venv mounted from build/venvs/.
SOURCE = "/src"
VENV = "/venv"


def spec(suite: str, xy: str) -> Spec:
    # ca-certificates: pip reaches PyPI over https.
    return Spec(suite, include=(f"python{xy}", f"python{xy}-venv", "ca-certificates"))


def run(suite: str, xy: str, pytest_args: list[str]) -> int:
    system = spec(suite, xy)
    root = base(system)
    key = content_key(system.name.encode(), REPO / "pyproject.toml")
    venv = CACHE / "venvs" / f"{suite}-{xy}-{key}"
    venv.mkdir(parents=True, exist_ok=True)
    with throwaway(root) as chroot:
        copy_checkout(chroot.path(SOURCE))
        trust = share_trust(chroot.root)
        # The venv, and the real Debian packages some tests read (fetched by `make test`).
        mounts = [(venv, chroot.path(VENV))]
        if (CACHE / "debs").is_dir():
            mounts.append((CACHE / "debs", chroot.path(f"{SOURCE}/build/debs")))
        for outside, inside in mounts:
            inside.mkdir(parents=True)
            subprocess.run(["mount", "--bind", str(outside), str(inside)], check=True)
        try:
            if not (venv / ".test-deps").is_file():
                print(f"== a venv of {suite}'s Python {xy} with the test dependencies from PyPI")
                chroot.run(f"python{xy} -m venv {VENV}")
                chroot.run(
                    f"{VENV}/bin/python -m pip install --quiet -e '{SOURCE}[test]'",
                    env=trust,
                    timeout=1800,
                )
                (venv / ".test-deps").touch()
            version = chroot.run(f"{VENV}/bin/python -VV").stdout.strip()
            print(f"== pytest under {version} in a {suite} chroot", flush=True)
            # Not captured: pytest's progress and summary are this command's output.
            done = subprocess.run(
                [
                    "chroot",
                    str(chroot.root),
                    "/bin/sh",
                    "-c",
                    f'cd {SOURCE} && exec {VENV}/bin/python -m pytest -p no:cacheprovider "$@"',
                    "pytest",
                    *pytest_args,
                ],
                env={
                    "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
                    "HOME": "/root",
                    "LC_ALL": "C.UTF-8",
                    "PYTHONDONTWRITEBYTECODE": "1",
                },
                check=False,
            )
        finally:
            for _, inside in reversed(mounts):
                subprocess.run(["umount", str(inside)], check=False)
    return done.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default="forky", help="the Debian suite (default forky)")
    parser.add_argument("--python", default="3.14", help="its Python X.Y (default 3.14)")
    args, pytest_args = parser.parse_known_args()
    # A killed run still unmounts its chroot (the `finally` of throwaway).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    return run(args.suite, args.python, pytest_args)


if __name__ == "__main__":
    sys.exit(main())
