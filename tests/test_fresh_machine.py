"""`make test` on a machine nobody prepared: it installs what the tests need, or says how.

The Debian packages the tests need are listed once, in tests/debian-packages:
`make test` installs the missing ones as root (and stops with exit 2, naming
the command, as anyone else), `.ci/run` runs `make test`, and
docs/development.md shows the list's install command.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.chroots import Spec, base, throwaway
from tests.realprograms import CACHE, REPO, content_key, missing, note_program, share_trust

PACKAGES = REPO / "tests" / "debian-packages"
#: A fresh Debian 12 machine: apt and Debian's required packages, nothing else.
FRESH = Spec("bookworm", variant="apt")


def listed() -> list[str]:
    return re.sub(r"#.*", "", PACKAGES.read_text(encoding="utf-8")).split()


def test_the_package_list_is_the_one_place_packages_are_named() -> None:
    packages = listed()
    assert len(packages) == len(set(packages)), "a package listed twice"
    for package in packages:
        assert re.fullmatch(r"[a-z0-9][a-z0-9+.-]+", package), package
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert "tests/debian-packages" in makefile
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    # .ci/run installs make alone, to run `make test`, which installs the rest.
    installs = re.findall(r"apt-get install[^\n]*", ci)
    assert installs, ci
    assert all(line.split()[-2:] == ["make", ">/dev/null"] for line in installs), installs
    assert re.search(r"^make test$", ci, re.MULTILINE), ci
    development = (REPO / "docs" / "development.md").read_text(encoding="utf-8")
    assert "$(sed 's/#.*//' tests/debian-packages)" in development


@pytest.mark.real  # make, as an unprivileged user
def test_make_test_without_root_names_the_command_and_does_nothing(tmp_path: Path) -> None:
    make, setpriv = shutil.which("make"), shutil.which("setpriv")
    if make is None or setpriv is None:
        missing("make and setpriv")
    if os.geteuid() != 0:
        missing("root, to run make as another user")
    nobody = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    done = subprocess.run(
        [*nobody, make, "test", f"VENV={tmp_path}/venv"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), "LC_ALL": "C.UTF-8"},
        check=False,
        timeout=60,
    )
    assert done.returncode == 2, done
    assert "    sudo make test\n" in done.stderr
    assert "tests/debian-packages" in done.stderr
    # Nothing ran before: no venv, no apt-get, no pytest.
    assert done.stdout == "", done.stdout
    assert not (tmp_path / "venv").exists()


#: What decides whether a fresh machine gets what `make test` needs: the install steps,
#: and this test with the harness that stops the run.
INSTALL_STEPS = (
    ".ci/run",
    "Makefile",
    "pyproject.toml",
    "tests/debian-packages",
    "tests/fetch-debian-packages",
    "tests/conftest.py",
    "tests/realprograms.py",
    "tests/test_fresh_machine.py",
)


def _committed_install_steps() -> str:
    """A digest of the committed versions of INSTALL_STEPS (a clone has those)."""
    listed = subprocess.run(
        ["git", "-C", str(REPO), "ls-tree", "HEAD", "--", *INSTALL_STEPS],
        capture_output=True,
        check=True,
    ).stdout
    return content_key(listed)


@pytest.mark.real  # mmdebstrap, chroot, apt-get, pip, make: an hour's worth cold
def test_make_test_passes_on_a_fresh_debian_12_up_to_the_first_real_test() -> None:
    """A fresh clone's `.ci/run` in a clean bookworm: the README's test command, from nothing.

    .ci/run installs make; `make test` installs the packages of tests/debian-packages,
    sets up .venv from PyPI, runs ruff and mypy, fetches the real Debian packages,
    then pytest, in one process so that the order is the files', until the first
    test marked real that starts a program passes. Python 3.12+, which Debian 12
    lacks, is needed by no test before that one. The container images and the
    Python builds corpus are made by the tests that need them (gigabytes that this
    run would only make and throw away; CI's own run on a fresh machine makes them).

    Cold, this is downloads and installs (ten minutes or more); a pass is kept
    under build/fresh-machine/, keyed by the committed install steps (a clone holds
    nothing else), so it runs again whenever a commit changes one of them. (A new
    program a later test needs is for the whole suite to find, in CI.)
    """
    stamp = CACHE / "fresh-machine" / f"{FRESH.name}-{_committed_install_steps()}.passed"
    note_program("make test in a fresh bookworm chroot")
    if stamp.is_file():
        return
    root = base(FRESH)
    with throwaway(root) as chroot:
        clone = chroot.path("/root/marker-tool")
        subprocess.run(
            ["git", "clone", "--quiet", "--no-hardlinks", str(REPO), str(clone)], check=True
        )
        env = {
            **share_trust(chroot.root),
            "PYTEST_ARGS": "--stop-after-real -q",
            "JOBS": "0",
        }
        done = chroot.run(
            "cd /root/marker-tool && bash .ci/run", env=env, check=False, timeout=3600
        )
        shown = f"{done.stdout[-5000:]}\n-- stderr:\n{done.stderr[-3000:]}"
        assert done.returncode == 0, shown
        # pytest ran, and stopped at a real test that started a program.
        assert re.search(r"Interrupted: tests/\S+ passed, started ", done.stdout), shown
        assert re.search(r"^\d+ passed in ", done.stdout, re.MULTILINE), shown
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(shown, encoding="utf-8")
