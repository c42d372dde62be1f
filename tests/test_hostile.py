"""Hostile packages and images through `marker-tool check`, each beside a good input.

Every input of tests/fuzz/hostile.py runs in a subprocess limited to 512 MiB
of address space and 60 s of CPU (`resource`, not timed assertions): the
hostile input gets its verdict (EM600 naming what is wrong, or the finding
it deserves), the good input of the same run is still checked and passes,
the exit code is the run's, and nothing says "please report" or prints a
traceback. The inputs claim up to 8 GiB (a tar size field), 1,200 MiB (a
GNU long name, an rpm cpio marker), 1.8 GB of decoded rpm header (1 MB
file), 331,776 images (an OCI index of 24 indexes, 4 deep), JSON 100,000
deep and 20,000 whiteouts. The second round (`SECOND`): link targets of
thousands of parts, integers of thousands of digits and `²`, 15 MiB scripts
and descriptions, 256 images of 511 layers, a `/set` of 2,000 keywords, a
million `../` names, sparse markers in four forms, links into /proc in a
folder and a `.changes`, names 2,000 levels deep.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fuzz import hostile
from tests.packages import tar_bytes

MEMORY = 512 * 1024 * 1024
CPU_SECONDS = 60
ROOT = Path(__file__).resolve().parent.parent


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))


def run_cli(
    *args: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`marker-tool ARGS` in a subprocess under the memory and CPU limits."""
    return subprocess.run(
        [sys.executable, "-m", "marker_tool", *map(str, args)],
        capture_output=True,
        text=True,
        errors="strict",
        preexec_fn=_limits,
        env={**os.environ, "LC_ALL": "C.UTF-8", **(env or {})},
        cwd=ROOT,
        timeout=300,
        check=False,
    )


def assert_clean(done: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in done.stderr, done.stderr
    assert "please report" not in (done.stdout + done.stderr).lower(), done.stdout + done.stderr
    assert done.returncode >= 0, f"killed by signal {-done.returncode}"


@pytest.fixture
def good_image(tmp_path: Path) -> Path:
    """A good image tarball: a system of its own, checked in every run."""
    path = tmp_path / "good-image.tar"
    path.write_bytes(hostile.docker_save([tar_bytes(hostile.stdlib_members())]))
    return path


def reports_by_source(done: subprocess.CompletedProcess[str]) -> dict[str, list[dict[str, Any]]]:
    document = json.loads(done.stdout)
    out: dict[str, list[dict[str, Any]]] = {}
    for package in document["packages"]:
        out.setdefault(os.path.basename(package["source"]), []).append(package)
    return out


#: name -> (exit code, the codes of the hostile input's report, a message part, extra args).
CASES: dict[str, tuple[int, set[str], str, tuple[str, ...]]] = {
    "corrupt-zstd": (1, {"EM600"}, "compressed payload is corrupt", ()),
    "base256-mode": (0, {"EM504"}, "mode 7777", ()),
    "huge-size-deb": (1, {"EM600"}, "truncated", ()),
    "huge-size-rootfs": (1, {"EM600"}, "truncated", ()),
    "huge-size-image": (1, {"EM600"}, "truncated", ()),
    "rpm-64bit-modes": (1, {"EM601"}, "has no `EXTERNALLY-MANAGED`", ()),
    "rpm-overlapping-tags": (1, {"EM600"}, "tags that overlap", ()),
    "rpm-huge-cpio-marker": (1, {"EM600"}, "claims 1258291200 bytes", ()),
    "rpm-stripped-cpio": (1, {"EM505"}, "owned by ?:?", ()),
    "symlink-loop-image": (1, {"EM501"}, "symlink loop", ()),
    "dangling-link-image": (1, {"EM501"}, "dangling symlink", ()),
    "malformed-pax-deb": (1, {"EM600"}, "malformed pax header", ()),
    "cve-2024-6232-deb": (1, {"EM600"}, "malformed pax header", ()),
    "cve-2024-6232-rootfs": (1, {"EM600"}, "malformed pax header", ()),
    "cve-2024-6232-layer": (1, {"EM600"}, "malformed pax header", ()),
    "cve-2024-6232-outer": (1, {"EM600"}, "malformed pax header", ()),
    "nested-json": (1, {"EM600"}, "nested too deep", ()),
    "wrong-types-json": (1, {"EM600"}, "no list of layers", ()),
    "mtree-escapes": (0, set(), "", ()),
    "gnu-long-name": (1, {"EM600"}, "extended header of 1258291200 bytes", ()),
    "gnu-long-name-deb": (1, {"EM600"}, "extended header of 1258291200 bytes", ()),
    "many-whiteouts": (0, set(), "", ()),
    # The layer 64 images list is read once: 1 MiB of the 16 MiB budget, not 64 MiB.
    "shared-budget": (0, set(), "", ("--max-decompressed", "16")),
    "oci-fanout": (1, {"EM600"}, "more than 256 manifests", ()),
    "non-utf8-names": (1, {"EM604"}, "leaves the package root", ()),
}


@pytest.mark.parametrize("name", CASES)
def test_hostile_input(name: str, tmp_path: Path, good_image: Path) -> None:
    exit_code, codes, message, extra = CASES[name]
    path = hostile.write(name, tmp_path)
    done = run_cli("check", "-j1", "--format", "json", *extra, path, good_image)
    assert_clean(done)
    assert done.returncode == exit_code, done.stdout + done.stderr
    reports = reports_by_source(done)
    assert [r["verdict"] for r in reports[good_image.name]] == ["PASSED"]
    report = reports[path.name][0]
    findings = report["findings"]
    assert {f["code"] for f in findings} == codes, findings
    assert all(message in f["message"] for f in findings), findings


#: The second round: name -> (the code the hostile input's report must hold, a message
#: part, the report's file name when it is not the input's own).
SECOND: dict[str, tuple[str, str, str | None]] = {
    "long-linkpath": ("EM600", "extended header of", None),
    "rpm-long-links": ("EM501", "symlink", None),
    "pax-size-digits": ("EM600", "not a number of at most 20 digits", None),
    "pax-size-superscript": ("EM600", "not a number of at most 20 digits", None),
    "changes-size-digits": ("EM600", "not a number of at most 20 digits", None),
    "changes-size-superscript": ("EM600", "not a number of at most 20 digits", None),
    "huge-script": ("", "", None),
    "long-line-script": ("", "", None),
    "long-description": ("", "", None),
    "many-layers": ("EM600", "more than 4096 layers applied", None),
    "growing-layers": ("", "", None),
    "mtree-set": ("", "", None),
    "dotdot-names": ("EM604", "more members leave the package root", None),
    "sparse-gnu": ("EM203", "unindented line", None),
    "sparse-pax-0.0": ("EM203", "unindented line", None),
    "sparse-pax-0.1": ("EM203", "unindented line", None),
    "sparse-pax-1.0": ("EM203", "unindented line", None),
    "proc-folder": ("EM600", "a pseudo-filesystem, not a package", "status.deb"),
    "proc-changes": ("EM600", "a pseudo-filesystem, not a package", None),
    "deep-names": ("EM600", "its names imply directories of more than", None),
}


@pytest.mark.parametrize("name", hostile.params(SECOND))
def test_second_round(name: str, tmp_path: Path, good_image: Path) -> None:
    """Each class of the second round beside a good image: its own words, the good image
    PASSED, no traceback; a sparse marker is read as the marker it replaces."""
    code, message, report_of = SECOND[name]
    path = hostile.given(name, tmp_path)
    done = run_cli("check", "-j1", "--format", "json", path, good_image)
    assert_clean(done)
    reports = reports_by_source(done)
    assert [r["verdict"] for r in reports[good_image.name]] == ["PASSED"]
    mine = reports[report_of or path.name]
    findings = [f for r in mine for f in r["findings"]]
    if not code:
        assert done.returncode == 0, findings
        return
    assert done.returncode == 1
    assert any(f["code"] == code and message in f["message"] for f in findings), findings
    assert "EM601" not in {f["code"] for f in findings}  # no marker missed


def test_unsafe_names_are_folded(tmp_path: Path) -> None:
    """A million `../` members: eight named, the rest one counted finding."""
    path = hostile.given("dotdot-names", tmp_path)
    done = run_cli("check", "--format", "json", path)
    assert_clean(done)
    [report] = reports_by_source(done)["dotdot.tar.gz"]
    unsafe = [f for f in report["findings"] if f["code"] == "EM604"]
    assert len(unsafe) == 9
    assert "and 998992 more members leave the package root" in unsafe[-1]["message"]


def test_github_format_with_non_utf8_names(tmp_path: Path) -> None:
    """`--format github` under a UTF-8 locale: names that are not UTF-8 shown as escapes."""
    path = hostile.write("non-utf8-names", tmp_path)
    done = run_cli(
        "check", "--format", "github", path, env={"LC_ALL": "C.UTF-8", "PYTHONIOENCODING": ""}
    )
    assert_clean(done)
    assert done.returncode == 1
    assert "::error file=" in done.stdout
    assert "\\udcff\\udcfe" in done.stdout


def test_non_utf8_names_print_under_utf8(tmp_path: Path) -> None:
    """Names that are not UTF-8 print escaped, in text, under a UTF-8 locale."""
    path = hostile.write("non-utf8-names", tmp_path)
    done = run_cli("check", path, env={"LC_ALL": "C.UTF-8", "PYTHONIOENCODING": ""})
    assert_clean(done)
    assert done.returncode == 1
    assert "../\\udcff\\udcfe/EXTERNALLY-MANAGED" in done.stdout
    assert "\x1b" not in done.stdout  # the escape sequence in a name is shown, not sent


def test_one_truncated_package_in_a_run(tmp_path: Path, good_image: Path) -> None:
    """A truncated .deb among several inputs: it is named, the others are checked, exit 1."""
    good = tmp_path / "good.deb"
    good.write_bytes(hostile.good_deb())
    cut = tmp_path / "cut.deb"
    cut.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    other = tmp_path / "other.tar"
    other.write_bytes(tar_bytes(hostile.stdlib_members()))
    done = run_cli("check", "--format", "json", good, cut, other, good_image)
    assert_clean(done)
    assert done.returncode == 1
    reports = reports_by_source(done)
    [bad] = reports["cut.deb"]
    assert [f["code"] for f in bad["findings"]] == ["EM600"]
    assert "truncated" in bad["findings"][0]["message"]
    for name in ("good.deb", "other.tar", good_image.name):
        assert [r["verdict"] for r in reports[name]] == ["PASSED"], name


def test_giant_word_preview_is_bounded(tmp_path: Path) -> None:
    """`preview --tool uv --width 80` on one 400,000-character word: linear, not quadratic."""
    path = hostile.write("giant-word", tmp_path)
    done = run_cli("preview", "--tool", "uv", "--width", "80", path)
    assert_clean(done)
    assert done.returncode == 0
    assert "x" * 400_000 in done.stdout  # a word longer than the line is kept whole


def test_no_tarfile_reads_untrusted_headers(tmp_path: Path) -> None:
    """No reader hands a pax header to `tarfile` (CVE-2024-6232 before CPython 3.11.10)."""
    code = (
        "import sys, marker_tool.sources.detect as d, marker_tool.sources.base as b\n"
        "for p in sys.argv[1:]:\n"
        "    try: d.read(p, b.DEFAULT_LIMITS)\n"
        "    except b.PackageError: pass\n"
        "assert 'tarfile' not in sys.modules, 'tarfile was imported'\n"
    )
    paths = [
        hostile.write(n, tmp_path)
        for n in (
            "cve-2024-6232-deb",
            "cve-2024-6232-rootfs",
            "cve-2024-6232-layer",
            "cve-2024-6232-outer",
        )
    ]
    done = subprocess.run(
        [sys.executable, "-c", code, *map(str, paths)],
        capture_output=True,
        text=True,
        preexec_fn=_limits,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_a_system_that_cannot_be_checked_is_its_em600(
    tmp_path: Path, good_image: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A budget that runs out while a system is checked (not read) ends that system as
    EM600; the other systems of the run are still checked."""
    from marker_tool.check import check, run
    from marker_tool.errors import PackageError

    hostile_path = hostile.write("many-whiteouts", tmp_path)
    checked = run.check_system

    def over_budget(facts: Any, **options: Any) -> Any:
        if facts.system.packages and facts.system.packages[0].source == str(hostile_path):
            raise PackageError("resolving its paths walks more than 4000000 path components")
        return checked(facts, **options)

    monkeypatch.setattr(run, "check_system", over_budget)
    reports = {r.source: r for r in check([hostile_path, good_image], jobs=1)}
    assert reports[str(good_image)].verdict == "PASSED"
    [failed] = [r for s, r in reports.items() if str(hostile_path) in s]
    assert [(f.code, f.message[:20]) for f in failed.findings] == [
        ("EM600", "resolving its paths ")
    ]
