"""`audit` over real repositories: apt-ftparchive over Debian's own python3.X packages, signed
with a throwaway gpg key; createrepo_c over rpms built here; the HTML page in headless Chromium.

Each test runs real programs and is marked `real`; in CI a missing one fails the test.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from marker_tool.cli import cli
from tests.audit_repos import (
    BRANDED,
    Key,
    apt_repository,
    branding_deb,
    make_key,
    real_deb,
    repack,
    tool,
)
from tests.realprograms import REPO

STDLIB = ("libpython{v}-minimal", "libpython{v}-stdlib")
#: Where the page's screenshot is kept (a CI artifact).
SCREENSHOT = REPO / "build" / "audit-report.png"


def split(source: str, version: str) -> list[Path]:
    return [real_deb(source, name.format(v=version)) for name in STDLIB]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Key]:
    """Debian-like suites from real packages: bookworm (amd64, and arm64 repacked), trixie,
    a suite whose python3.14 lost its marker, and a derivative with a branding package."""
    work = tmp_path_factory.mktemp("archive")
    key = make_key(work)
    made = work / "made"
    made.mkdir()
    bookworm = split("python3.11", "3.11")
    others = [real_deb("other", "python3-six"), real_deb("python3.11", "python3.11")]
    arm64 = [
        repack(deb, made / deb.name.replace("_amd64", "_arm64"), arch="arm64") for deb in bookworm
    ]
    minimal, stdlib = split("python3.14", "3.14")
    unmarked = repack(
        stdlib,
        made / stdlib.name.replace("-1_", "-1nomarker1_"),
        drop=["usr/lib/python3.14/EXTERNALLY-MANAGED"],
    )
    root = apt_repository(
        work / "repo",
        {
            "bookworm": {"amd64": bookworm + others, "arm64": arm64},
            "trixie": {"amd64": split("python3.13", "3.13")},
            "broken": {"amd64": [minimal, unmarked]},
            "acme": {"amd64": [*bookworm, branding_deb(made / "acme-python-branding.deb")]},
        },
        key,
    )
    return root, key


def audit(root: Path, cache: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["audit", str(root), "--cache", str(cache), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


@pytest.mark.real
def test_every_suite_gets_checks_verdict(archive: tuple[Path, Key], tmp_path: Path) -> None:
    root, key = archive
    suites = ["--suite", "bookworm", "--suite", "trixie", "--suite", "broken", "--suite", "acme"]
    code, out = audit(root, tmp_path / "cache", *suites, "--keyring", str(key.keyring),
                      "--format", "json")  # fmt: skip
    assert code == 1, out
    doc = json.loads(out)
    verdicts = {(s["suite"], s["arch"], s["source"]): s["verdict"] for s in doc["systems"]}
    assert verdicts == {
        ("bookworm", "amd64", "python3.11"): "PASSED with warnings",  # EM606: README.venv
        ("bookworm", "arm64", "python3.11"): "PASSED with warnings",
        ("trixie", "amd64", "python3.13"): "PASSED with warnings",
        ("broken", "amd64", "python3.14"): "FAILED",
        ("acme", "amd64", "python3.11"): "PASSED",
    }
    assert all(s["verified_with"] == str(key.keyring) for s in doc["suites"])
    broken = next(s for s in doc["systems"] if s["suite"] == "broken")
    codes = [f["code"] for r in broken["reports"] for f in r["findings"]]
    assert codes == ["EM601"]
    acme = next(s for s in doc["systems"] if s["suite"] == "acme")
    shipped = {m["package"].split("_")[0]: m for m in acme["markers"]}
    assert shipped["libpython3.11-stdlib"]["diverted_by"] == "acme-python-branding_1.0_all"
    assert shipped["acme-python-branding"]["text"] == BRANDED.decode()
    # Only candidates were fetched: python3-six and python3.11 never were.
    names = {p["name"] for s in doc["systems"] for p in s["packages"]}
    assert names == {
        "libpython3.11-minimal", "libpython3.11-stdlib", "libpython3.13-minimal",
        "libpython3.13-stdlib", "libpython3.14-minimal", "libpython3.14-stdlib",
        "acme-python-branding",
    }  # fmt: skip
    assert doc["stats"]["package_bytes"] == doc["stats"]["candidate_bytes"]
    # A second run: nothing fetched, nothing checked again.
    code, out = audit(root, tmp_path / "cache", *suites, "--keyring", str(key.keyring),
                      "--format", "json")  # fmt: skip
    again = json.loads(out)["stats"]
    assert again["package_bytes"] == 0
    assert again["systems_checked"] == 0
    assert again["packages_cached"] == doc["stats"]["candidates"]


@pytest.mark.real
def test_a_signature_by_another_key_is_refused(archive: tuple[Path, Key], tmp_path: Path) -> None:
    root, _ = archive
    stranger = make_key(tmp_path / "stranger")
    code, out = audit(root, tmp_path / "c", "--suite", "trixie", "--keyring", str(stranger.keyring))
    assert code == 2
    assert "dists/trixie/InRelease: its signature does not check out with" in out
    assert "(NO_PUBKEY)" in out
    # Without a keyring for its origin, the run goes on and says it was not checked.
    code, out = audit(root, tmp_path / "c", "--suite", "trixie")
    assert code == 0
    assert "trixie: note: its Release signature was not checked (no keyring" in out


@pytest.mark.real
def test_a_detached_signature_and_an_expired_suite(tmp_path: Path) -> None:
    key = make_key(tmp_path)
    root = apt_repository(
        tmp_path / "repo", {"sid": {"amd64": split("python3.13", "3.13")}}, key,
        valid_until="Fri, 06 Nov 2026 08:08:01 UTC", inline=False,
    )  # fmt: skip
    args = ["--suite", "sid", "--keyring", str(key.keyring)]
    code, out = audit(root, tmp_path / "c", *args)
    assert code == 2
    assert "dists/sid/Release: the Release file expired on Fri, 06 Nov 2026" in out
    assert "hint: audit it anyway with --allow-expired" in out
    code, out = audit(root, tmp_path / "c", *args, "--allow-expired")
    assert code == 0, out
    assert "sid: note: its Release file expired on Fri, 06 Nov 2026 08:08:01 UTC" in out


@pytest.mark.real
def test_an_rpm_md_repository(tmp_path: Path) -> None:
    from tests.packages import build_rpm, stdlib_tree

    createrepo = tool("createrepo_c")
    repo = tmp_path / "repo"
    (repo / "Packages").mkdir(parents=True)
    build_rpm(stdlib_tree("usr/lib64/python3.12"), repo / "Packages" / "python3-libs.rpm")
    build_rpm(
        stdlib_tree("usr/lib64/python3.13", marker=None),
        repo / "Packages" / "python3.13-libs.rpm",
        name="python3.13-libs",
    )
    subprocess.run([createrepo, "-q", str(repo)], check=True)
    code, out = audit(repo, tmp_path / "c", "--format", "json")
    assert code == 1, out
    doc = json.loads(out)
    assert doc["suites"][0]["kind"] == "rpm-md"
    verdicts = {(s["source"], s["arch"]): s["verdict"] for s in doc["systems"]}
    assert verdicts == {
        ("python3-libs", "x86_64"): "PASSED",
        ("python3.13-libs", "x86_64"): "FAILED",
    }
    failed = next(s for s in doc["systems"] if s["source"] == "python3.13-libs")
    assert [f["code"] for r in failed["reports"] for f in r["findings"]] == ["EM601"]


@pytest.mark.real
def test_the_html_page_in_chromium(archive: tuple[Path, Key], tmp_path: Path) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        from tests.realprograms import missing

        missing("chromium")
        return
    root, key = archive
    page = tmp_path / "report.html"
    audit(root, tmp_path / "c", "--suite", "bookworm", "--format", "json", "--keyring",
          str(key.keyring))  # fmt: skip
    code, out = audit(root, tmp_path / "c", "--suite", "bookworm", "--keyring", str(key.keyring),
                      "--format", "json")  # fmt: skip
    (tmp_path / "old.json").write_text(out)
    code, _ = audit(root, tmp_path / "c", "--suite", "broken", "--suite", "acme",
                    "--suite", "bookworm", "--keyring", str(key.keyring),
                    "--compare", str(tmp_path / "old.json"), "--html", str(page))  # fmt: skip
    assert code == 1
    flags = [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]  # fmt: skip
    dom = subprocess.run(
        [chromium, *flags, "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    assert '<section class="source" data-source="python3.11">' in dom
    assert '<section class="source" data-source="python3.14">' in dom
    assert 'class="cell v-FAILED" href="#system-0" data-verdict="FAILED">3.14.8-1' in dom
    assert "EM601" in dom
    assert "Acme Linux manages this Python" in dom
    assert "Diverted by <code>acme-python-branding_1.0_all</code>" in dom
    assert "Compared with" in dom
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    SCREENSHOT.unlink(missing_ok=True)
    subprocess.run(
        [chromium, *flags, "--window-size=1280,1600", f"--screenshot={SCREENSHOT}",
         page.as_uri() + "#system-0"],
        capture_output=True, timeout=120, check=True,
    )  # fmt: skip
    assert SCREENSHOT.stat().st_size > 10_000


@pytest.mark.real
def test_every_pypy_layout_is_found_from_the_indexes_as_check_finds_it(tmp_path: Path) -> None:
    """Debian's real pypy3 builds, from the oracle's corpus: bullseye's PyPy 3.7, whose stdlib
    is split between pypy3-lib (`lib-python/3`) and pypy3 (the extensions naming 3.7), and
    bookworm's and trixie's `usr/lib/pypy3.X`. Found from Contents alone, each build gets the
    verdict `check` gives all its packages; the oracle proves that one against pypy3's pip."""
    from tests.corpus import CORPUS
    from tests.oracle_systems import the_corpus

    binaries = the_corpus()
    builds = {
        suite: [
            CORPUS / b.file
            for b in binaries
            if (b.suite, b.source) == (suite, "pypy3") and b.arch in ("amd64", "all")
        ]
        for suite in ("bullseye", "bookworm", "trixie")
    }
    root = apt_repository(tmp_path / "repo", {s: {"amd64": d} for s, d in builds.items()}, None)
    suites = [arg for suite in builds for arg in ("--suite", suite)]
    code, out = audit(root, tmp_path / "cache", *suites, "--format", "json")
    assert code == 1, out
    systems = {s["suite"]: s for s in json.loads(out)["systems"]}
    assert sorted(systems) == sorted(builds)
    for suite, debs in builds.items():
        found = systems[suite]
        assert found["source"] == "pypy3"
        checked = CliRunner().invoke(cli, ["check", "--format", "json", *map(str, debs)])
        whole = json.loads(checked.output)["packages"]
        verdicts = {p["verdict"] for p in whole}
        expected = next(v for v in ("FAILED", "PASSED with warnings", "PASSED") if v in verdicts)
        codes = sorted(f["code"] for p in whole for f in p["findings"])
        assert (found["verdict"], codes) == (
            expected,
            sorted(f["code"] for r in found["reports"] for f in r["findings"]),
        ), suite
    # PyPy 3.7 has no marker: pip goes ahead there (the oracle's truth), so the build fails.
    assert systems["bullseye"]["verdict"] == "FAILED"
    assert {p["name"] for p in systems["bullseye"]["packages"]} >= {"pypy3", "pypy3-lib"}
