"""dh_externally_managed and its dh sequence, in a real dpkg-buildpackage of tests/debian-sample.

The sample is a stand-in stdlib source package (libpython3.12-stdlib and a
-minimal package holding os.py, as Debian splits them) that only adds
`Build-Depends: dh-sequence-externally-managed` and an empty
debian/externally-managed; `pypy_source` turns it into a stand-in for Debian's
pypy3 source (pypy3-lib holding usr/lib/pypy3.10). The tool, the sequence
module and marker-tool come from this checkout (PATH and PERL5LIB), and the
vendor from a private dpkg origins directory (DPKG_ORIGINS_DIR), so nothing on
the machine changes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from marker_tool.check import check
from marker_tool.integrations.debian import diverted_paths
from tests.packages import tool

pytestmark = pytest.mark.real
ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "debian-sample"
HELPER = ROOT / "debian" / "helper"
MARKER = "usr/lib/python3.12/EXTERNALLY-MANAGED"
ORIGINS = {
    "ubuntu": "Vendor: Ubuntu\nVendor-URL: https://www.ubuntu.com/\nParent: Debian\n",
    "acme": "Vendor: Acme\nVendor-URL: https://acme.example.org/\nParent: Ubuntu\n",
}


#: Set by debian/tests (autopkgtest): use the installed package's dh tool, sequence,
#: autoscripts and marker-tool instead of this checkout's.
INSTALLED = bool(os.environ.get("MARKER_TOOL_INSTALLED"))


def build_env(tmp_path: Path, vendor: str | None = None) -> dict[str, str]:
    tool("dpkg-buildpackage")
    tool("dh")
    bin_dir = tmp_path / "bin"
    perl = tmp_path / "perl" / "Debian" / "Debhelper" / "Sequence"
    origins = tmp_path / "origins"
    if not bin_dir.exists():  # set up once per test
        perl.mkdir(parents=True)
        bin_dir.mkdir()
        if not INSTALLED:
            shutil.copy(HELPER / "externally_managed.pm", perl)
            (bin_dir / "dh_externally_managed").symlink_to(HELPER / "dh_externally_managed")
            (bin_dir / "marker-tool").symlink_to(Path(sys.executable).parent / "marker-tool")
        origins.mkdir()
        shutil.copy("/etc/dpkg/origins/debian", origins / "debian")
        for name, text in ORIGINS.items():
            (origins / name).write_text(text)
        (origins / "default").symlink_to("debian")
    env = {
        "PATH": f"{bin_dir}:/usr/sbin:/usr/bin:/sbin:/bin",
        "PERL5LIB": str(tmp_path / "perl"),
        "HOME": str(tmp_path),
        "LC_ALL": "C.UTF-8",
        "SOURCE_DATE_EPOCH": "1700000000",
        "DPKG_ORIGINS_DIR": str(origins),
    }
    if not INSTALLED:
        env["DH_AUTOSCRIPTDIR"] = str(HELPER / "autoscripts")
    if vendor:
        env["DEB_VENDOR"] = vendor
    return env


BRANDING = """
Package: acme-python-branding
Architecture: all
Multi-Arch: foreign
Depends: ${misc:Depends}
Description: Acme's messages for the system Python
 It carries the EXTERNALLY-MANAGED marker of Acme's Python 3.12 and diverts
 the stdlib package's.
"""


BRANDING_CONFIG = 'preset = "debian"\npythons = ["3.12"]\n'


def add_branding(source: Path, config: str = BRANDING_CONFIG) -> None:
    """Add a branding package (no stdlib; a config of its own) to the sample source."""
    with (source / "debian" / "control").open("a", encoding="utf-8") as f:
        f.write(BRANDING)
    (source / "debian" / "acme-python-branding.externally-managed").write_text(config)


PYPY_MARKER = "usr/lib/pypy3.10/EXTERNALLY-MANAGED"
PYPY_CONTROL = """Source: pypy3-sample
Section: python
Priority: optional
Maintainer: marker-tool developers <marker-tool@example.org>
Build-Depends: debhelper-compat (= 13), dh-sequence-externally-managed
Standards-Version: 4.6.2
Rules-Requires-Root: no

Package: {lib}
Architecture: any
Multi-Arch: same
Depends: ${{misc:Depends}}
Description: stand-in for PyPy's standard library
 A few modules under /usr/lib/pypy3.10, for marker-tool's tests of
 dh_externally_managed.

Package: pypy3
Architecture: any
Depends: {lib} (= ${{binary:Version}}), ${{misc:Depends}}
Description: stand-in for the PyPy interpreter
 Debian's pypy3 also ships files under /usr/lib/pypy3.X.

Package: pypy3-lib-testsuite
Architecture: all
Depends: {lib}, ${{misc:Depends}}
Description: stand-in for PyPy's stdlib tests
 Under /usr/lib/pypy3.10/test, as Debian's; it is not the stdlib.
"""


def pypy_source(source: Path, *, lib: str = "pypy3-lib", os_in: str = "pypy3-lib") -> None:
    """A stand-in for Debian's pypy3 source: its stdlib package `lib`, os.py in `os_in`."""
    shutil.copytree(SAMPLE, source)
    debian = source / "debian"
    for install in debian.glob("*.install"):
        install.unlink()
    (debian / "control").write_text(PYPY_CONTROL.format(lib=lib))
    changelog = debian / "changelog"
    changelog.write_text(changelog.read_text().replace("python3.12-sample", "pypy3-sample"))
    lines = {
        lib: ["src/argparse.py usr/lib/pypy3.10/"],
        "pypy3": ["src/functools.py usr/lib/pypy3.10/bin/"],
        "pypy3-lib-testsuite": ["src/functools.py usr/lib/pypy3.10/test/"],
    }
    lines[os_in].append("src/os.py usr/lib/pypy3.10/")
    for package, entries in lines.items():
        (debian / f"{package}.install").write_text("".join(f"{e}\n" for e in entries))


def build(
    tmp_path: Path,
    vendor: str | None = None,
    *,
    branding: str | None = None,
    pypy: dict[str, str] | None = None,
) -> dict[str, Path]:
    """Build the sample (`pypy`: pypy_source's arguments) and its .debs by package name."""
    env = build_env(tmp_path, vendor)
    source = tmp_path / "src"
    if pypy is None:
        shutil.copytree(SAMPLE, source)
    else:
        pypy_source(source, **pypy)
    if branding is not None:
        add_branding(source, branding)
    result = subprocess.run(
        ["dpkg-buildpackage", "-us", "-uc", "-b", "-d"],
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "dh_externally_managed" in result.stdout
    return {p.name.split("_")[0]: p for p in tmp_path.glob("*.deb")}


def marker_text(deb: Path, tmp_path: Path, marker: str = MARKER) -> str:
    out = tmp_path / "x"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(out)], check=True)
    return (out / marker).read_text(encoding="utf-8")


def listing(deb: Path) -> str:
    return subprocess.run(
        ["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True
    ).stdout


def marker_tool_makes(tmp_path: Path, python: str) -> bytes:
    """The marker `marker-tool install --python PYTHON` writes for Debian's preset and name."""
    destdir = tmp_path / f"made-{python}"
    marker_tool = shutil.which("marker-tool", path=build_env(tmp_path)["PATH"]) or "marker-tool"
    preset = ["install", "--preset", "debian", "--name", "Debian", "--layout", "deb"]
    made = subprocess.run(
        [marker_tool, *preset, "--python", python, "--destdir", str(destdir)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    [marker] = destdir.rglob("EXTERNALLY-MANAGED")
    return marker.read_bytes()


def test_dpkg_buildpackage_puts_the_marker_in_the_stdlib_package(tmp_path: Path) -> None:
    debs = build(tmp_path)
    listing = subprocess.run(
        ["dpkg-deb", "-c", str(debs["libpython3.12-stdlib"])],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    [line] = [line for line in listing.splitlines() if line.endswith(f"./{MARKER}")]
    assert line.split()[:2] == ["-rw-r--r--", "root/root"]
    minimal = subprocess.run(
        ["dpkg-deb", "-c", str(debs["libpython3.12-minimal"])],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "EXTERNALLY-MANAGED" not in minimal  # os.py is there; the marker is not
    assert "Debian" in marker_text(debs["libpython3.12-stdlib"], tmp_path)
    reports = check(list(debs.values()))
    assert all(r.passed for r in reports), reports
    assert {c for r in reports for c in r.codes()} <= {"EM606"}  # README.venv is elsewhere
    lintian = subprocess.run(
        [tool("lintian"), "--no-cfg", *map(str, debs.values())],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "EXTERNALLY-MANAGED" not in lintian.stdout
    assert not [line for line in lintian.stdout.splitlines() if line.startswith("E:")]


@pytest.mark.parametrize(("vendor", "name"), [("Ubuntu", "Ubuntu"), ("acme", "Acme")])
def test_the_vendor_names_the_distributor(tmp_path: Path, vendor: str, name: str) -> None:
    debs = build(tmp_path, vendor)
    text = marker_text(debs["libpython3.12-stdlib"], tmp_path)
    assert name in text
    assert "Debian" not in text


def run_alone(
    tmp_path: Path,
    *args: str,
    branding: str | None = None,
    vendor: str | None = None,
    verbose: bool = True,
) -> subprocess.CompletedProcess[str]:
    env = build_env(tmp_path, vendor)
    source = tmp_path / "src"
    if not source.exists():
        shutil.copytree(SAMPLE, source)
        stdlib = source / "debian" / "libpython3.12-stdlib" / "usr" / "lib" / "python3.12"
        stdlib.mkdir(parents=True)
        (stdlib / "argparse.py").write_text("")
        if branding is not None:
            add_branding(source, branding)
    return subprocess.run(
        ["dh_externally_managed", *args],
        cwd=source,
        env={**env, **({"DH_VERBOSE": "1"} if verbose and "-v" not in args else {})},
        capture_output=True,
        text=True,
        check=False,
    )


def test_alone_in_an_override_with_the_common_options(tmp_path: Path) -> None:
    marker = tmp_path / "src" / "debian" / "libpython3.12-stdlib" / MARKER
    dry = run_alone(tmp_path, "--no-act", "-plibpython3.12-stdlib")
    assert dry.returncode == 0, dry.stderr
    assert "marker-tool install --destdir debian/libpython3.12-stdlib" in dry.stdout
    assert "--python 3.12" in dry.stdout
    assert "--name Debian" in dry.stdout
    assert not marker.exists()
    skipped = run_alone(tmp_path, "-Nlibpython3.12-stdlib")
    assert skipped.returncode == 0
    assert not marker.exists()
    assert run_alone(tmp_path, "-a").returncode == 0
    assert not marker.exists()
    done = run_alone(tmp_path, "-i")
    assert done.returncode == 0, done.stderr
    assert oct(marker.stat().st_mode & 0o777) == "0o644"


def test_silent_unless_verbose_as_a_debhelper_tool(tmp_path: Path) -> None:
    quiet = run_alone(tmp_path, verbose=False)
    assert quiet.returncode == 0, quiet.stderr
    assert (quiet.stdout, quiet.stderr) == ("", "")
    assert "Debian" in written(tmp_path)
    marker = tmp_path / "src" / "debian" / "libpython3.12-stdlib" / MARKER
    for verbose in (True, False):  # DH_VERBOSE, or -v
        marker.unlink()
        loud = run_alone(tmp_path, *(() if verbose else ("-v",)), verbose=verbose)
        assert loud.returncode == 0, loud.stderr
        [command, wrote] = loud.stdout.splitlines()
        assert command.startswith("\tmarker-tool install --destdir debian/libpython3.12-stdlib ")
        assert wrote == f"wrote debian/libpython3.12-stdlib/{MARKER}"
    marker.write_text("[externally-managed]\nError = old\n")
    refused = run_alone(tmp_path, verbose=False)
    assert refused.returncode != 0
    assert "--force" in refused.stderr  # errors are always shown
    assert refused.stdout == ""


def test_a_config_without_preset_or_name_is_a_clear_error(tmp_path: Path) -> None:
    run_alone(tmp_path, "--no-act")
    (tmp_path / "src" / "debian" / "externally-managed").write_text('layout = "deb"\n')
    result = run_alone(tmp_path)
    assert result.returncode != 0
    assert "sets neither `preset` nor `name`" in result.stderr
    assert os.path.exists(tmp_path / "src" / "debian" / "externally-managed")


def written(tmp_path: Path, package: str = "libpython3.12-stdlib") -> str:
    return (tmp_path / "src" / "debian" / package / MARKER).read_text(encoding="utf-8")


def test_params_after_double_dash_go_to_marker_tool_install(tmp_path: Path) -> None:
    result = run_alone(tmp_path, "--", "--locale", "de")
    assert result.returncode == 0, result.stderr
    assert "Error-de = " in written(tmp_path)
    assert "--locale de" in result.stdout  # DH_VERBOSE shows the command


def test_python_and_locale_options(tmp_path: Path) -> None:
    result = run_alone(tmp_path, "--locale=fr", "--python=3.12")
    assert result.returncode == 0, result.stderr
    assert "Error-fr = " in written(tmp_path)
    bad = run_alone(tmp_path, "--python=twelve")
    assert bad.returncode != 0
    assert "--python=twelve: expected a Python version" in bad.stderr


def test_force_replaces_a_different_marker_and_is_what_the_error_names(tmp_path: Path) -> None:
    run_alone(tmp_path, "--no-act")
    marker = tmp_path / "src" / "debian" / "libpython3.12-stdlib" / MARKER
    marker.write_text("[externally-managed]\nError = old\n")
    refused = run_alone(tmp_path)
    assert refused.returncode != 0
    assert "--force" in refused.stderr  # the hint names an option this tool takes:
    assert run_alone(tmp_path, "--force").returncode == 0
    assert "old" not in written(tmp_path)


def test_preset_option_and_the_configs_preset(tmp_path: Path) -> None:
    empty = run_alone(tmp_path, "--preset=ubuntu")
    assert empty.returncode == 0, empty.stderr
    assert "--preset ubuntu --name Debian" in empty.stdout
    config = tmp_path / "src" / "debian" / "externally-managed"
    config.write_text('preset = "debian"\n')
    same = run_alone(tmp_path, "--preset=debian", "--force")
    assert same.returncode == 0, same.stderr
    other = run_alone(tmp_path, "--preset=ubuntu")
    assert other.returncode != 0
    assert 'names preset "debian" but --preset=ubuntu was given' in other.stderr
    config.write_text('name = "Acme"\nlayout = "deb"\n')
    none = run_alone(tmp_path, "--preset=ubuntu")
    assert none.returncode != 0
    assert 'add preset = "ubuntu" to it, or drop --preset' in none.stderr


def test_a_config_for_a_package_without_stdlib_is_refused_without_pythons(
    tmp_path: Path,
) -> None:
    result = run_alone(tmp_path, branding='preset = "debian"\n')
    assert result.returncode != 0
    assert "acme-python-branding ships no Python stdlib" in result.stderr
    assert 'pythons = ["3.X"]' in result.stderr


def test_a_branding_package_gets_the_markers_and_divert_snippets(tmp_path: Path) -> None:
    result = run_alone(
        tmp_path,
        "-pacme-python-branding",
        branding='pythons = ["3.12", "3.13"]\npreset = "debian"\n',
    )
    assert result.returncode == 0, result.stderr
    assert "Debian" in written(tmp_path, "acme-python-branding")
    debian = tmp_path / "src" / "debian"
    preinst = (debian / "acme-python-branding.preinst.debhelper").read_text()
    postrm = (debian / "acme-python-branding.postrm.debhelper").read_text()
    for xy in ("3.12", "3.13"):
        path = f"/usr/lib/python{xy}/EXTERNALLY-MANAGED"
        assert f"dpkg-divert --package acme-python-branding --rename --add {path}" in preinst
        assert f"dpkg-divert --package acme-python-branding --rename --remove {path}" in postrm
    assert diverted_paths(preinst, "acme-python-branding") == {
        "/usr/lib/python3.12/EXTERNALLY-MANAGED",
        "/usr/lib/python3.13/EXTERNALLY-MANAGED",
    }
    assert not (debian / "libpython3.12-stdlib.preinst.debhelper").exists()
    # A rolled-back upgrade that added a diversion takes it away again.
    assert 'abort-upgrade" ] && [ ! -e "/usr/lib/python3.13/EXTERNALLY-MANAGED" ]' in postrm
    substvars = (debian / "acme-python-branding.substvars").read_text()
    assert "misc:Depends=libpython3.12-stdlib | libpython3.13-stdlib\n" in substvars


def test_the_branding_package_in_a_real_build(tmp_path: Path) -> None:
    debs = build(tmp_path, "acme", branding=BRANDING_CONFIG)
    text = marker_text(debs["acme-python-branding"], tmp_path)
    assert "Acme" in text
    control = tmp_path / "control"
    subprocess.run(["dpkg-deb", "-e", str(debs["acme-python-branding"]), str(control)], check=True)
    preinst = (control / "preinst").read_text()
    assert diverted_paths(preinst, "acme-python-branding") == {f"/{MARKER}"}
    assert "--remove /usr/lib/python3.12/EXTERNALLY-MANAGED" in (control / "postrm").read_text()
    depends = subprocess.run(
        ["dpkg-deb", "-f", str(debs["acme-python-branding"]), "Depends"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert depends.strip() == "libpython3.12-stdlib"  # the package whose marker it diverts
    # check reads the diversion: alone, the branding marker is not a stale one (EM602);
    # with the stdlib's, the two markers do not conflict (EM608).
    for given in (["acme-python-branding"], ["acme-python-branding", "libpython3.12-stdlib"]):
        reports = check([str(debs[name]) for name in given])
        codes = {c for r in reports for c in r.codes()}
        assert not codes & {"EM602", "EM608"}, (given, codes)


def test_a_config_from_init_names_the_builds_vendor(tmp_path: Path) -> None:
    run_alone(tmp_path, "--no-act")
    config = tmp_path / "src" / "debian" / "externally-managed"
    marker_tool = shutil.which("marker-tool", path=build_env(tmp_path)["PATH"]) or "marker-tool"
    made = subprocess.run(
        [marker_tool, "init", "--preset", "debian", "-o", str(config), "--force"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    assert 'preset = "debian"' in config.read_text()
    result = run_alone(tmp_path, vendor="acme")
    assert result.returncode == 0, result.stderr
    assert "--name Acme" in result.stdout
    text = written(tmp_path)
    assert "Acme" in text
    assert "Debian" not in text


@pytest.mark.parametrize(
    ("lib", "os_in"),
    [
        ("pypy3-lib", "pypy3-lib"),  # Debian's: by name and by content
        ("pypy3-lib", "pypy3"),  # by name: the package named pypy3-lib is the stdlib
        ("acme-pypy-lib", "acme-pypy-lib"),  # no pypy3-lib: by content
    ],
)
def test_pypys_stdlib_package_gets_the_marker_marker_tool_makes(
    tmp_path: Path, lib: str, os_in: str
) -> None:
    debs = build(tmp_path, pypy={"lib": lib, "os_in": os_in})
    [line] = [line for line in listing(debs[lib]).splitlines() if "EXTERNALLY-MANAGED" in line]
    assert line.endswith(f"./{PYPY_MARKER}")
    assert line.split()[:2] == ["-rw-r--r--", "root/root"]
    for other in {"pypy3", "pypy3-lib-testsuite"} - {lib}:
        assert "EXTERNALLY-MANAGED" not in listing(debs[other]), other
    text = marker_text(debs[lib], tmp_path, PYPY_MARKER)
    assert text.encode() == marker_tool_makes(tmp_path, "pypy3.10")
    assert "pypy3 -m venv" in text
    reports = check(list(debs.values()))
    assert all(r.passed for r in reports), reports
    assert {c for r in reports for c in r.codes()} <= {"EM606"}  # no EM603: pip reads it there


def test_python_pypy_on_a_branding_package(tmp_path: Path) -> None:
    result = run_alone(
        tmp_path, "-pacme-python-branding", "--python=pypy3.10", branding='preset = "debian"\n'
    )
    assert result.returncode == 0, result.stderr
    assert "--python pypy3.10" in result.stdout
    debian = tmp_path / "src" / "debian"
    marker = debian / "acme-python-branding" / PYPY_MARKER
    assert marker.read_bytes() == marker_tool_makes(tmp_path, "pypy3.10")
    assert not (debian / "acme-python-branding" / MARKER).exists()
    preinst = (debian / "acme-python-branding.preinst.debhelper").read_text()
    postrm = (debian / "acme-python-branding.postrm.debhelper").read_text()
    assert diverted_paths(preinst, "acme-python-branding") == {f"/{PYPY_MARKER}"}
    assert f"dpkg-divert --package acme-python-branding --rename --remove /{PYPY_MARKER}" in postrm
    substvars = (debian / "acme-python-branding.substvars").read_text()
    assert "misc:Depends=pypy3-lib\n" in substvars


def test_a_branding_package_of_cpython_and_pypy_depends_on_either_stdlib(tmp_path: Path) -> None:
    debs = build(tmp_path, "acme", branding='preset = "debian"\npythons = ["3.12", "pypy3.10"]\n')
    branding = debs["acme-python-branding"]
    assert "Acme" in marker_text(branding, tmp_path, PYPY_MARKER)
    control = tmp_path / "control"
    subprocess.run(["dpkg-deb", "-e", str(branding), str(control)], check=True)
    preinst = (control / "preinst").read_text()
    assert diverted_paths(preinst, "acme-python-branding") == {f"/{MARKER}", f"/{PYPY_MARKER}"}
    postrm = (control / "postrm").read_text()
    assert f"--remove /{PYPY_MARKER}" in postrm
    assert f"--remove /{MARKER}" in postrm
    depends = subprocess.run(
        ["dpkg-deb", "-f", str(branding), "Depends"], capture_output=True, text=True, check=True
    ).stdout
    # CPython's stdlib first (apt's choice when neither is installed); pypy3-lib once.
    assert depends.strip() == "libpython3.12-stdlib | pypy3-lib"


@pytest.mark.parametrize(
    "value", ["twelve", "3", "python3.12", "pypy3", "pypy3.10t", "pypy-3.10", "3.12 ", "3.12\n"]
)
def test_a_malformed_python_is_a_clear_error(tmp_path: Path, value: str) -> None:
    result = run_alone(tmp_path, f"--python={value}")
    assert result.returncode != 0
    expected = f"--python={value}: expected a Python version such as 3.12, 3.13t or pypy3.10"
    assert expected in result.stderr
    assert "marker-tool install" not in result.stdout  # refused before anything ran
    assert not list((tmp_path / "src" / "debian").rglob("EXTERNALLY-MANAGED"))
