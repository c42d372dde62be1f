"""The fast suite under Debian's own Python 3.14, which no Debian 12 machine has.

tests/debian_python.py runs it in a clean forky system with a venv of the test
dependencies from PyPI (`make test-pythons` does too, beside 3.11 to 3.13 on
this machine). A pass is kept under build/debian-python/, keyed by the files
the run copies and the system, so it runs again whenever one of them changes.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.debian_python import spec
from tests.realprograms import CACHE, REPO, checkout_key, note_program


@pytest.mark.real  # mmdebstrap, chroot, Debian's python3.14, pip
def test_the_fast_suite_passes_under_debian_forky_python_3_14() -> None:
    system = spec("forky", "3.14")
    stamp = CACHE / "debian-python" / f"{system.name}-{checkout_key()}.passed"
    note_program("python3.14 in a forky chroot")
    if stamp.is_file():
        return
    where = ["--suite", "forky", "--python", "3.14"]
    done = subprocess.run(
        [sys.executable, "-m", "tests.debian_python", *where, "-n", "2", "-m", "not real", "-q"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=3600,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    assert "under Python 3.14" in output, output[-6000:]
    # Nothing skipped either: the fast tests need no program the chroot lacks.
    [summary] = re.findall(r"^=* ?\d+ passed.*$", output, re.MULTILINE)
    assert "skipped" not in summary, output[-6000:]
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(output[-6000:], encoding="utf-8")
