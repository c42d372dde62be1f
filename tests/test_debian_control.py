"""marker_tool.integrations.debian: control paragraphs by either library, and diversions.

The PyPI install reads control paragraphs with debian-inspector, Debian's
package with python-debian (python3-debian, under Debian's /usr/bin/python3).
Both must give the same fields for the same real control files: every
package fetched by tests/fetch-debian-packages.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from marker_tool.errors import MissingModule
from marker_tool.integrations.debian import control_fields, diverted_paths, relation_names
from tests.packages import tool
from tests.realprograms import missing

ROOT = Path(__file__).resolve().parent.parent
DEBS = ROOT / "build" / "debs"
SYSTEM_PYTHON = Path("/usr/bin/python3")


def real_control_files(tmp_path: Path) -> list[Path]:
    debs = sorted(DEBS.glob("*/*.deb"))
    if not any(deb.name.startswith("libpython3.11-stdlib_") for deb in debs):
        missing(f"Debian's python3.11 packages in {DEBS} (tests/fetch-debian-packages)")
    files = []
    for deb in debs:
        out = tmp_path / f"{deb.name}.control"
        with out.open("wb") as f:
            subprocess.run([tool("dpkg-deb"), "-f", str(deb)], stdout=f, check=True)
        files.append(out)
    return files


@pytest.mark.real
def test_both_readers_give_the_same_fields_for_real_packages(tmp_path: Path) -> None:
    files = real_control_files(tmp_path)
    assert len(files) > 40
    if not SYSTEM_PYTHON.exists():
        missing("Debian's /usr/bin/python3")
    # Debian's Python with Debian's python3-debian, as marker-tool's Debian package runs.
    code = (
        "import json, sys\n"
        "sys.modules['debian_inspector'] = None\n"
        "from marker_tool.integrations.debian import control_fields\n"
        "print(json.dumps({p: control_fields(open(p, encoding='utf-8').read())"
        " for p in sys.argv[1:]}))\n"
    )
    result = subprocess.run(
        [str(SYSTEM_PYTHON), "-c", code, *map(str, files)],
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"},
        capture_output=True,
        text=True,
        check=False,
    )
    if "No module named 'debian'" in result.stderr:
        missing("python3-debian (Debian's package)")
    assert result.returncode == 0, result.stderr
    theirs = json.loads(result.stdout)
    for path in files:
        text = path.read_text(encoding="utf-8")
        ours = control_fields(text, reader="debian-inspector")
        assert ours == theirs[str(path)], path.name
        assert {"package", "version", "architecture", "description"} <= ours.keys()
    stdlib = next(p for p in files if p.name.startswith("libpython3.11-stdlib_"))
    fields = theirs[str(stdlib)]
    assert fields["package"] == "libpython3.11-stdlib"
    assert "libpython3.11-minimal" in relation_names(fields["depends"])


PARAGRAPH = """\
Package: libpython3.12-stdlib
Version: 3.12.1-1
Architecture: amd64
Depends: libpython3.12-minimal (= 3.12.1-1), media-types | mime-support,
 libbz2-1.0
Description: Interactive high-level object-oriented language (standard library)
 This package contains Python 3.12's standard library.
 .
 It is normally not used on its own.
"""


@pytest.mark.parametrize("reader", ["debian-inspector", "python-debian"])
def test_a_paragraph_by_either_reader(reader: str) -> None:
    # The test extras install both: PyPI's marker-tool uses debian-inspector, Debian's
    # package python-debian. Debian's build of marker-tool runs this with python-debian
    # alone: there, asking for debian-inspector is the clear error a user would get.
    try:
        fields = control_fields(PARAGRAPH, reader=reader)  # type: ignore[arg-type]
    except MissingModule:
        import importlib.util

        assert reader == "debian-inspector"
        assert importlib.util.find_spec("debian_inspector") is None
        assert importlib.util.find_spec("debian") is not None
        return
    assert fields["package"] == "libpython3.12-stdlib"
    assert fields["depends"] == (
        "libpython3.12-minimal (= 3.12.1-1), media-types | mime-support, libbz2-1.0"
    )
    assert fields["description"].endswith("It is normally not used on its own.")


def test_neither_reader_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "debian_inspector", None)
    monkeypatch.setitem(sys.modules, "debian.deb822", None)
    with pytest.raises(MissingModule) as raised:
        control_fields(PARAGRAPH)
    assert "python-debian or debian-inspector" in str(raised.value)
    assert "apt install python3-debian" in (raised.value.hint or "")


PREINST = """\
#!/bin/sh
set -e
# Automatically added by dh_externally_managed/0.1.0
if [ "$1" = install ] || [ "$1" = upgrade ]; then
	dpkg-divert --package acme-python-branding --rename \\
		--add /usr/lib/python3.11/EXTERNALLY-MANAGED
fi
# End automatically added section
dpkg-divert --package=acme-python-branding --rename --divert /usr/lib/x.orig --add /usr/lib/x
dpkg-divert --rename /usr/lib/python3.12/EXTERNALLY-MANAGED  # the running package's
dpkg-divert --package other --rename --add /usr/lib/python3.13/EXTERNALLY-MANAGED
dpkg-divert --local --rename --add /usr/lib/python3.14/EXTERNALLY-MANAGED
dpkg-divert --package acme-python-branding --rename --remove /usr/lib/old
dpkg-divert --package acme-python-branding --add "/usr/lib/$dir/EXTERNALLY-MANAGED"
echo 'dpkg-divert --add /usr/lib/said'; true && /usr/bin/dpkg-divert --add /usr/lib/and
"""


def test_diverted_paths_are_the_packages_added_diversions() -> None:
    assert diverted_paths(PREINST, "acme-python-branding") == {
        "/usr/lib/python3.11/EXTERNALLY-MANAGED",
        "/usr/lib/x",
        "/usr/lib/python3.12/EXTERNALLY-MANAGED",
        "/usr/lib/and",
    }
    assert diverted_paths(PREINST, "other") == {
        "/usr/lib/python3.13/EXTERNALLY-MANAGED",
        "/usr/lib/python3.12/EXTERNALLY-MANAGED",
        "/usr/lib/and",
    }
    assert diverted_paths("", "p") == set()
    assert diverted_paths("dpkg-divert --add 'unclosed\n", "p") == set()
