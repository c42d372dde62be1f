"""marker-tool's .deb in a clean Debian bookworm system, used as a Debian maintainer would.

The system is made by mmdebstrap from Debian's archive alone (no PyPI) and
cached (tests/chroots.py); each run works in a throwaway overlay of it. There,
marker-tool's own packages, built in the same suite from the source package
(tests/test_own_deb.py), are installed with apt and then: `check` reads the
real python3.11 build's packages in every output format, `validate`, `preview`
and `adopt` work on the system's own marker, `pip check` is clean, the man
pages render without warnings and bash completion answers. A sample source
package that uses `Build-Depends: dh-sequence-externally-managed` builds there
(its cross build resolves for arm64), as does a package with two Pythons, a
derivative's build and a derivative's branding package; installed with dpkg,
the branding package's text is what the real pip prints, once it is removed
the stdlib's is back, and an upgrade that adds a Python and fails is rolled
back to the old diversions. lintian --pedantic finds nothing.

Needs root (chroot, mount) and mmdebstrap; in CI their absence fails.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chroots import Chroot, base, throwaway
from tests.own_package import Built, build_source_package, system
from tests.realprograms import REPO, missing

pytestmark = pytest.mark.real
DEBS = REPO / "build" / "debs" / "python3.11"
SAMPLE = REPO / "tests" / "debian-sample"
SUITE = "bookworm"
ACME = "Vendor: Acme\nVendor-URL: https://acme.example.org/\nParent: Debian\n"
SYSTEM_MARKER = "/usr/lib/python3.11/EXTERNALLY-MANAGED"


@pytest.fixture(scope="module")
def timings() -> dict[str, float]:
    return {}


@pytest.fixture(scope="module")
def own() -> Built:
    """marker-tool's packages, built in a clean bookworm system (cached)."""
    return build_source_package(SUITE, tests=False)


@pytest.fixture(scope="module")
def chroot(own: Built, timings: dict[str, float]) -> Iterator[Chroot]:
    if not any(DEBS.glob("libpython3.11-stdlib_*.deb")):
        missing(f"Debian's python3.11 packages in {DEBS} (tests/fetch-debian-packages)")
    start = time.monotonic()
    root = base(system(SUITE))
    timings["system"] = time.monotonic() - start
    with throwaway(root) as box:
        shutil.copytree(own.directory, box.path("/srv/own"))
        shutil.copytree(DEBS, box.path("/srv/debs"))
        shutil.copytree(SAMPLE, box.path("/srv/sample"))
        box.path("/etc/dpkg/origins/acme").write_text(ACME)
        start = time.monotonic()
        box.run("apt-get install -y --no-install-recommends /srv/own/*.deb")
        timings["apt-install"] = time.monotonic() - start
        yield box
    print(f"\nchroot timings (s): {json.dumps({k: round(v, 1) for k, v in timings.items()})}")


def test_installed_from_debian_alone_and_pip_check_is_clean(chroot: Chroot) -> None:
    policy = chroot.run("apt-cache policy marker-tool python3-debian").stdout
    assert "***" in policy
    # pip check reports every distribution of the system (build tools included); only
    # marker-tool's requirements are this package's.
    report = chroot.run("python3 -m pip check", check=False).stdout
    assert report.strip()
    assert not [line for line in report.splitlines() if line.lower().startswith("marker-tool ")]
    absent = chroot.run("python3 -c 'import debian_inspector'", check=False)
    assert absent.returncode != 0  # not in Debian: the package must not need it
    assert not list(chroot.path("/usr/local/lib").glob("python3*/dist-packages/*"))


@pytest.mark.parametrize("fmt", ["text", "json", "github", "junit", "codequality"])
def test_check_reads_the_real_python_build_in_every_format(chroot: Chroot, fmt: str) -> None:
    result = chroot.run(f"marker-tool check --format {fmt} /srv/debs/*.deb", check=False)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout.strip()
    if fmt in ("json", "codequality"):
        json.loads(result.stdout)
    elif fmt == "junit":
        assert ET.fromstring(result.stdout).tag in ("testsuites", "testsuite")
    elif fmt == "text":
        assert "libpython3.11-stdlib" in result.stdout


def test_validate_preview_and_adopt_the_chroots_own_marker(chroot: Chroot) -> None:
    validate = chroot.run(f"marker-tool validate {SYSTEM_MARKER}", check=False)
    assert validate.returncode == 0, validate.stdout + validate.stderr
    assert "PASSED" in validate.stdout
    preview = chroot.run(f"marker-tool preview {SYSTEM_MARKER}")
    assert "externally-managed-environment" in preview.stdout
    chroot.run(f"marker-tool adopt {SYSTEM_MARKER} -o /tmp/adopted")
    configs = list(chroot.path("/tmp/adopted").glob("*.toml"))
    assert configs, "adopt wrote no config"
    config = "/tmp/adopted/" + configs[0].name
    rendered = chroot.run(f"marker-tool render -c {config} --python 3.11").stdout
    assert rendered == chroot.path(SYSTEM_MARKER).read_text(encoding="utf-8")


def test_man_pages_render_without_warnings(chroot: Chroot) -> None:
    pages = sorted(chroot.path("/usr/share/man").glob("man*/*marker*tool*.gz"))
    pages += sorted(chroot.path("/usr/share/man").glob("man1/dh_externally_managed.1.gz"))
    assert len(pages) >= 15
    for page in pages:
        inside = "/" + page.relative_to(chroot.root).as_posix()
        result = chroot.run(f"man --warnings -E UTF-8 -l {inside} >/dev/null")
        assert result.stderr == "", (inside, result.stderr)
    whatis = chroot.run("lexgrog /usr/share/man/man1/marker-tool-i18n-init.1.gz").stdout
    assert "messages.pot" in whatis  # the whole sentence, not cut at "(e.g."
    rules = chroot.run("man -l /usr/share/man/man7/marker-tool-rules.7.gz").stdout
    for code in ("EM101", "EM505", "EM601", "EM607"):
        assert code in rules
    for doc in ("README.md.gz", "copyright"):
        assert chroot.path(f"/usr/share/doc/marker-tool/{doc}").exists()


def test_bash_completion_answers(chroot: Chroot) -> None:
    script = (
        ". /usr/share/bash-completion/completions/marker-tool; "
        "COMP_WORDS=(marker-tool va); COMP_CWORD=1; _marker_tool_completion marker-tool; "
        'echo "${COMPREPLY[@]}"'
    )
    result = chroot.run(f"bash -c '{script}'")
    assert result.stdout.split() == ["validate"]


def build_in_chroot(chroot: Chroot, source: str, *, vendor: str | None = None) -> dict[str, Path]:
    env = {"DEB_VENDOR": vendor} if vendor else {}
    chroot.run(f"cd {source} && dpkg-buildpackage -us -uc -b", env=env)
    parent = chroot.path(source).parent
    return {p.name.split("_")[0]: p for p in parent.glob("*.deb")}


def marker_in(deb: Path, path: str = "usr/lib/python3.12/EXTERNALLY-MANAGED") -> str:
    data = subprocess.run(
        ["dpkg-deb", "--fsys-tarfile", str(deb)], capture_output=True, check=True
    ).stdout
    return subprocess.run(
        ["tar", "-xO", f"./{path}"], input=data, capture_output=True, check=True
    ).stdout.decode("utf-8")


def copy_sample(chroot: Chroot, name: str) -> str:
    where = f"/srv/{name}/src"
    shutil.copytree(SAMPLE, chroot.path(where))
    return where


def test_the_sample_builds_with_the_sequence_and_resolves_for_arm64(chroot: Chroot) -> None:
    cross = chroot.run("cd /srv/sample && apt-get build-dep -s -a arm64 .", check=False)
    assert cross.returncode == 0, cross.stdout + cross.stderr
    assert "not installable" not in cross.stdout + cross.stderr
    debs = build_in_chroot(chroot, copy_sample(chroot, "plain"))
    assert "Debian" in marker_in(debs["libpython3.12-stdlib"])
    lintian = chroot.run(
        "lintian --pedantic --no-cfg --fail-on error,warning,info,pedantic "
        "/srv/plain/*.deb",  # marker-tool's own: tests/test_own_deb.py, with sid's lintian
        check=False,
    )
    assert lintian.returncode == 0, lintian.stdout + lintian.stderr


TWO_PYTHONS = """
Package: python-sample-two
Architecture: all
Multi-Arch: foreign
Depends: ${misc:Depends}
Description: two Pythons' stdlib in one package
 A stand-in that ships os.py for both Python 3.12 and 3.13.
"""


def test_a_package_with_two_pythons_gets_both_markers(chroot: Chroot) -> None:
    where = copy_sample(chroot, "two")
    debian = chroot.path(where) / "debian"
    with (debian / "control").open("a", encoding="utf-8") as f:
        f.write(TWO_PYTHONS)
    (debian / "python-sample-two.install").write_text(
        "src/os.py usr/lib/python3.13/\nsrc/os.py usr/lib/python3.14/\n"
    )
    debs = build_in_chroot(chroot, where)
    for xy in ("3.13", "3.14"):
        assert "Debian" in marker_in(
            debs["python-sample-two"], f"usr/lib/python{xy}/EXTERNALLY-MANAGED"
        )


def test_a_derivatives_build_names_the_derivative(chroot: Chroot) -> None:
    debs = build_in_chroot(chroot, copy_sample(chroot, "acme"), vendor="acme")
    text = marker_in(debs["libpython3.12-stdlib"])
    assert "Acme" in text
    assert "Debian" not in text


BRANDING_CONTROL = """\
Source: acme-python-branding
Section: python
Priority: optional
Maintainer: Acme developers <python@acme.example.org>
Build-Depends: debhelper-compat (= 13), dh-sequence-externally-managed
Standards-Version: 4.6.2
Rules-Requires-Root: no

Package: acme-python-branding
Architecture: all
Multi-Arch: foreign
Depends: ${misc:Depends}
Description: Acme's messages for the system Python
 It carries the EXTERNALLY-MANAGED markers of Acme's Pythons and diverts
 the stdlib packages'.
"""


def branding_source(
    chroot: Chroot, name: str, version: str, pythons: list[str], *, conflict: str | None = None
) -> str:
    """Acme's branding source package in /srv/NAME/src; `conflict`: a path it also ships."""
    where = f"/srv/{name}/src"
    source = chroot.path(where)
    (source / "debian" / "source").mkdir(parents=True)
    (source / "debian" / "source" / "format").write_text("3.0 (native)\n")
    (source / "debian" / "control").write_text(BRANDING_CONTROL)
    shutil.copy(SAMPLE / "debian" / "rules", source / "debian" / "rules")
    shutil.copy(SAMPLE / "debian" / "copyright", source / "debian" / "copyright")
    (source / "debian" / "changelog").write_text(
        f"acme-python-branding ({version}) unstable; urgency=medium\n\n  * Acme's markers.\n\n"
        " -- Acme developers <python@acme.example.org>  Wed, 02 Dec 2026 00:00:00 +0000\n\n"
        "acme-python-branding (0.9) unstable; urgency=medium\n\n"
        "  * First markers (Closes: #1000001).\n\n"
        " -- Acme developers <python@acme.example.org>  Tue, 01 Dec 2026 00:00:00 +0000\n"
    )
    (source / "debian" / "externally-managed").write_text(
        f'preset = "debian"\npythons = {json.dumps(pythons)}\n'
    )
    if conflict is not None:
        (source / "conflict").write_text("")
        (source / "debian" / "acme-python-branding.install").write_text(f"conflict {conflict}\n")
    return where


def depends(deb: Path) -> str:
    return subprocess.run(
        ["dpkg-deb", "-f", str(deb), "Depends"], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_a_branding_package_diverts_the_stdlibs_marker_and_gives_it_back(
    chroot: Chroot,
) -> None:
    # The stdlib stand-in (Python 3.12) from Debian's build; the branding package from Acme's.
    stdlib = build_in_chroot(chroot, copy_sample(chroot, "stdlib"))["libpython3.12-stdlib"]
    where = branding_source(chroot, "branding", "1.0", ["3.11", "3.12"])
    branding = build_in_chroot(chroot, where, vendor="acme")["acme-python-branding"]
    # It carries nothing without one of the stdlib packages whose markers it diverts.
    assert depends(branding) == "libpython3.11-stdlib | libpython3.12-stdlib"
    lintian = chroot.run(
        f"lintian --pedantic --no-cfg --fail-on error,warning /srv/branding/{branding.name}",
        check=False,
    )
    assert lintian.returncode == 0, lintian.stdout
    debian_text = chroot.path(SYSTEM_MARKER).read_text(encoding="utf-8")
    pip = "python3 -m pip install --no-index acme-nonexistent"

    chroot.run(f"dpkg -i /srv/stdlib/{stdlib.name}")
    standin = chroot.path("/usr/lib/python3.12/EXTERNALLY-MANAGED").read_text(encoding="utf-8")
    chroot.run(f"dpkg -i /srv/branding/{branding.name}")
    try:
        refused = chroot.run(pip, check=False)
        assert refused.returncode != 0
        assert "externally-managed-environment" in refused.stderr
        assert "Acme" in refused.stderr
        assert "Debian" not in refused.stderr
        diversions = chroot.run("dpkg-divert --list").stdout
        for xy in ("3.11", "3.12"):
            assert (
                f"diversion of /usr/lib/python{xy}/EXTERNALLY-MANAGED to "
                f"/usr/lib/python{xy}/EXTERNALLY-MANAGED.distrib by acme-python-branding"
            ) in diversions
        assert chroot.path(SYSTEM_MARKER + ".distrib").read_text() == debian_text
    finally:
        chroot.run("dpkg -r acme-python-branding")
    back = chroot.run(pip, check=False)
    assert back.returncode != 0
    assert "Acme" not in back.stderr
    assert "python3-xyz" in back.stderr  # Debian's own text
    assert chroot.path(SYSTEM_MARKER).read_text(encoding="utf-8") == debian_text
    assert (
        chroot.path("/usr/lib/python3.12/EXTERNALLY-MANAGED").read_text(encoding="utf-8") == standin
    )
    assert "acme" not in chroot.run("dpkg-divert --list").stdout
    chroot.run("dpkg -r libpython3.12-stdlib")


def test_a_failed_upgrade_that_adds_a_python_gives_its_marker_back(chroot: Chroot) -> None:
    """abort-upgrade: the diversion the new version added goes, the old version's stays.

    Version 1.1 brands Python 3.12 too, and also ships a file python3.11-minimal owns,
    so dpkg stops its unpack and rolls back to 1.0.
    """
    stdlib = build_in_chroot(chroot, copy_sample(chroot, "stdlib-again"))["libpython3.12-stdlib"]
    old = build_in_chroot(
        chroot, branding_source(chroot, "branding-1.0", "1.0", ["3.11"]), vendor="acme"
    )["acme-python-branding"]
    new = build_in_chroot(
        chroot,
        branding_source(
            chroot, "branding-1.1", "1.1", ["3.11", "3.12"], conflict="usr/bin/python3.11"
        ),
        vendor="acme",
    )["acme-python-branding"]
    chroot.run(f"dpkg -i /srv/stdlib-again/{stdlib.name} /srv/branding-1.0/{old.name}")
    standin = chroot.path("/usr/lib/python3.12/EXTERNALLY-MANAGED").read_text(encoding="utf-8")
    branded = chroot.path(SYSTEM_MARKER).read_text(encoding="utf-8")
    assert "Acme" in branded
    try:
        upgrade = chroot.run(f"dpkg -i /srv/branding-1.1/{new.name}", check=False)
        assert upgrade.returncode != 0
        assert "trying to overwrite '/usr/bin/python3.11'" in upgrade.stderr, upgrade.stderr
        status = chroot.run("dpkg-query -W -f '${Version} ${Status}' acme-python-branding")
        assert status.stdout == "1.0 install ok installed"
        diversions = chroot.run("dpkg-divert --list").stdout
        assert "/usr/lib/python3.11/EXTERNALLY-MANAGED.distrib by acme-python-branding" in (
            diversions
        )
        assert "python3.12" not in diversions
        assert chroot.path("/usr/lib/python3.12/EXTERNALLY-MANAGED").read_text() == standin
        assert not chroot.path("/usr/lib/python3.12/EXTERNALLY-MANAGED.distrib").exists()
        assert chroot.path(SYSTEM_MARKER).read_text(encoding="utf-8") == branded
    finally:
        chroot.run("dpkg -r acme-python-branding libpython3.12-stdlib")
    assert "acme" not in chroot.run("dpkg-divert --list").stdout
