"""The rules, one golden example each (tests/markers/README.md has the conventions).

- tests/markers/invalid/EMxxx-name.EXTERNALLY-MANAGED triggers EMxxx; its
  EMxxx-name.errors.txt holds lines (`LINE: CODE severity message`) the findings
  must contain, and every error-level finding of the file must be listed there.
- tests/markers/valid/*.EXTERNALLY-MANAGED never FAILS (warnings and infos of
  other codes are allowed); `EMxxx-near-miss-*` must not trigger EMxxx.

`pytest --update-goldens` rewrites the .errors.txt files from the current
findings (then review the diff).
"""

from __future__ import annotations

import io
import re
import stat
import tarfile
from dataclasses import replace
from pathlib import Path

import pytest

from marker_tool.check.registry import get_rule
from marker_tool.consumers import PipOutcome, PipReading
from marker_tool.document import parse
from marker_tool.model import Severity
from marker_tool.rules import RULES, MarkerRule, pip_cannot_read
from marker_tool.validate import (
    Report,
    validate_bytes,
    validate_path,
)
from tests.conftest import Goldens
from tests.realprograms import missing

MARKERS = Path(__file__).parent / "markers"
#: Bookworm's python3.11 source build, from tests/fetch-debian-packages.
DEBS = Path(__file__).resolve().parent.parent / "build" / "debs" / "python3.11"
INVALID = sorted((MARKERS / "invalid").glob("*.EXTERNALLY-MANAGED"))
VALID = sorted((MARKERS / "valid").glob("*.EXTERNALLY-MANAGED"))
#: Placement rules need a file in a tree; tests below build one.
PLACEMENT = {rule.code for rule in RULES if rule.needs_placement}
#: Fires only when the line model misses a configparser failure: no file can show it.
BACKSTOP = {"EM212"}
#: Rules whose example a test builds (a marker over 1 MiB is not committed).
BUILT = {"EM107"}


def _code(path: Path) -> str:
    return path.name.split("-", 1)[0]


def _rendered(report: Report) -> list[str]:
    return [f"{f.line}: {f.code} {f.severity.value} {f.message}" for f in report.findings]


def test_codes_are_unique_and_grouped() -> None:
    codes = [rule.code for rule in RULES]
    names = [rule.name for rule in RULES]
    assert len(set(codes)) == len(codes)
    assert len(set(names)) == len(names)
    assert codes == sorted(codes)
    for rule in RULES:
        assert re.fullmatch(r"EM[1-5]\d\d", rule.code)
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name)
        assert rule.summary
        assert "\n" not in rule.summary
        assert len(rule.explanation.splitlines()) >= 3, f"{rule.code} needs an explanation"


@pytest.mark.parametrize(
    "rule", [r for r in RULES if r.code not in PLACEMENT | BACKSTOP | BUILT], ids=lambda r: r.code
)
def test_every_rule_has_an_example_and_a_near_miss(rule: MarkerRule) -> None:
    assert any(_code(p) == rule.code for p in INVALID), f"no invalid example for {rule.code}"
    assert any(_code(p) == rule.code for p in VALID), f"no near miss for {rule.code}"


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name.split(".")[0])
def test_invalid_example(path: Path, goldens: Goldens) -> None:
    report = validate_path(path)
    rendered = _rendered(report)
    code = _code(path)
    rule = get_rule(code)
    expected_file = path.with_name(path.name.replace(".EXTERNALLY-MANAGED", ".errors.txt"))
    if goldens.update:
        expected_file.write_text("\n".join(rendered) + "\n", encoding="utf-8")
    expected = expected_file.read_text(encoding="utf-8").splitlines()
    assert code in report.codes()
    assert any(f" {code} " in line for line in expected)
    output = "\n".join(rendered)
    for line in expected:
        assert line in output, f"{line!r} not in\n{output}"
    # Errors are only where the golden file says: examples stay attributable.
    for finding in report.findings:
        if finding.severity is Severity.ERROR:
            assert any(f" {finding.code} " in line for line in expected), finding
    if rule.severity is Severity.ERROR:
        assert report.verdict == "FAILED"
    elif rule.severity is Severity.WARNING:
        assert report.verdict == "PASSED with warnings"
        assert not validate_path(path, strict=True).passed


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name.split(".")[0])
def test_valid_example(path: Path) -> None:
    report = validate_path(path)
    assert report.passed, _rendered(report)
    if path.name.startswith("EM"):
        assert _code(path) not in report.codes(), _rendered(report)


def _member_of_deb(deb: Path, name: str) -> bytes:
    """One file of a .deb's data archive (an ar archive holding data.tar.xz)."""
    data = deb.read_bytes()
    assert data.startswith(b"!<arch>\n"), deb
    offset = 8
    while offset < len(data):
        header = data[offset : offset + 60]
        member, size = header[:16].decode().strip().rstrip("/"), int(header[48:58])
        if member.startswith("data.tar"):
            body = io.BytesIO(data[offset + 60 : offset + 60 + size])
            with tarfile.open(fileobj=body) as tar:
                stream = tar.extractfile(f"./{name}")
                assert stream is not None, f"{name} is not a file in {deb.name}"
                return stream.read()
        offset += 60 + size + size % 2
    raise AssertionError(f"{deb.name} has no data archive")


def test_debian_marker_is_the_real_one() -> None:
    debs = sorted(DEBS.glob("libpython3.11-stdlib_*.deb"))
    if not debs:
        missing(f"Debian's libpython3.11-stdlib in {DEBS} (tests/fetch-debian-packages)")
    real = _member_of_deb(debs[-1], "usr/lib/python3.11/EXTERNALLY-MANAGED")
    copy = MARKERS / "valid" / "debian-bookworm.EXTERNALLY-MANAGED"
    assert copy.read_bytes() == real
    assert validate_path(copy).verdict == "PASSED"


# -- cases the golden files do not cover -------------------------------------------------


def codes(data: bytes | str) -> list[str]:
    if isinstance(data, str):
        data = data.encode()
    return validate_bytes(data).codes()


def test_duplicate_key_is_case_insensitive() -> None:
    found = codes("[externally-managed]\nError = one\nerror = two\n")
    assert found.count("EM205") == 1
    assert "EM208" in found


def test_duplicate_keys_in_default_and_section_are_not_duplicates() -> None:
    assert "EM205" not in codes("[DEFAULT]\nError = a\n[externally-managed]\nError = b\n")


def test_error_only_in_default() -> None:
    report = validate_bytes(b"[DEFAULT]\nError = from default\n[externally-managed]\n")
    assert {"EM207", "EM209"} <= set(report.codes())
    assert "only in `[DEFAULT]`" in report.findings[-1].message


def test_missing_section_in_empty_file() -> None:
    report = validate_bytes(b"")
    assert report.codes() == ["EM201"]
    assert report.findings[0].line is None


@pytest.mark.parametrize(
    "header", ["[Externally-Managed]", "[externally_managed]", "[ externally-managed ]"]
)
def test_misspelt_header_gets_did_you_mean(header: str) -> None:
    report = validate_bytes(f"{header}\nError = x\n".encode())
    assert report.codes() == ["EM201"]
    assert "did you mean `[externally-managed]`" in report.findings[0].message


def test_key_without_value_is_a_parse_error() -> None:
    assert "EM203" in codes("[externally-managed]\nError\n")


@pytest.mark.parametrize(
    ("key", "fragment"),
    [
        ("Error-pt-BR", "Error-pt_BR"),
        ("Error-de_DE.UTF-8", "codeset"),
        ("Error-sr@latin", "modifier"),
        ("Error-xx", "language code"),
    ],
)
def test_unmatchable_locale_keys(key: str, fragment: str) -> None:
    report = validate_bytes(f"[externally-managed]\nError = x\n{key} = y\n".encode())
    assert report.codes() == ["EM301"]
    assert fragment in report.findings[0].message


def test_unknown_key_did_you_mean() -> None:
    report = validate_bytes(b"[externally-managed]\nError_de = x\nError = y\n")
    assert report.codes() == ["EM210"]
    assert "did you mean `Error-de`?" in report.findings[0].message


def test_inline_comment_only_in_the_error_key() -> None:
    assert "EM405" in codes("[externally-managed]\nError = a; b\n")
    assert "EM405" in codes("[externally-managed]\nError = a\n  see https://x.org/#y\n")
    assert "EM405" not in codes("[externally-managed]\nError = a\nError-de = b; c\n")


def test_bracket_line_in_a_key_before_error() -> None:
    # uv 0.13.0 reads `[bar]` as a header and never finds `Error` (checked with the real uv).
    report = validate_bytes(b"[externally-managed]\nError-de = a\n  [bar] b\nError = c\n")
    assert report.codes() == ["EM404"]
    assert "never reach `Error`" in report.findings[0].message
    after = b"[externally-managed]\nError = c\nError-de = a\n  [bar] b\n"
    assert validate_bytes(after).codes() == []


def test_control_character_only_in_text() -> None:
    assert "EM103" in codes("[externally-managed]\nError = a\x07b\n")
    # Leading VT is whitespace to configparser: pip and uv never see it.
    assert "EM103" not in codes("[externally-managed]\nError = a\n\x0b  b\n")
    assert "EM103" not in codes("# a\x07b\n[externally-managed]\nError = a\n")


def test_long_line_counts_wide_characters() -> None:
    wide = "請" * 39  # 78 columns
    assert "EM408" in codes(f"[externally-managed]\nError = {wide}\n")
    assert "EM408" not in codes(f"[externally-managed]\nError = {wide[:38]}\n")


def test_backstop_reports_what_the_model_missed() -> None:
    doc = parse(b"[externally-managed]\nError = fine\n")
    assert list(pip_cannot_read.check(doc)) == []
    # As if a future configparser rejected a line the model accepts.
    broken = replace(doc, pip=PipReading(PipOutcome.PARSE_ERROR, error="ParsingError", line=2))
    assert list(pip_cannot_read.check(broken)) == [
        (2, "configparser, which pip runs, fails with ParsingError")
    ]
    # Explained by another rule: no second finding.
    dup = parse(b"[externally-managed]\nError = a\nerror = b\n")
    assert dup.pip.outcome is PipOutcome.CRASH
    assert list(pip_cannot_read.check(dup)) == []


def test_not_utf8_reports_only_encoding() -> None:
    report = validate_bytes(b"[externally-managed]\nError = caf\xe9\n")
    assert report.codes() == ["EM101"]
    assert report.findings[0].line == 2


# -- EM5xx: placement --------------------------------------------------------------------

MARKER = b"[externally-managed]\nError = Use the package manager.\n"


def _install(root: Path, relative: str, data: bytes = MARKER, mode: int = 0o644) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(mode)
    return path


def test_installed_in_stdlib_dir_passes(tmp_path: Path) -> None:
    path = _install(tmp_path, "usr/lib/python3.12/EXTERNALLY-MANAGED")
    assert validate_path(path).verdict == "PASSED"


def test_not_world_readable(tmp_path: Path) -> None:
    path = _install(tmp_path, "usr/lib/python3.12/EXTERNALLY-MANAGED", mode=0o600)
    report = validate_path(path)
    assert report.codes() == ["EM502"]
    assert "0600" in report.findings[0].message
    # Not installed (a source tree): mode does not matter.
    src = _install(tmp_path, "debian/EXTERNALLY-MANAGED", mode=0o600)
    assert validate_path(src).codes() == []


def test_in_site_packages(tmp_path: Path) -> None:
    path = _install(tmp_path, "usr/lib/python3.12/site-packages/EXTERNALLY-MANAGED")
    assert validate_path(path).codes() == ["EM503"]


def test_in_a_venv(tmp_path: Path) -> None:
    path = _install(tmp_path, "venv/lib/python3.12/EXTERNALLY-MANAGED")
    (tmp_path / "venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    report = validate_path(path)
    assert report.codes() == ["EM503"]
    assert "virtual environment" in report.findings[0].message


def test_wrong_name_when_installed(tmp_path: Path) -> None:
    path = _install(tmp_path, "usr/lib/python3.12/externally-managed")
    assert validate_path(path).codes() == []  # not recognisably installed
    assert validate_path(path, installed=True).codes() == ["EM503"]


def test_against_a_stdlib_dir(tmp_path: Path) -> None:
    path = _install(tmp_path, "usr/lib/python3.12/EXTERNALLY-MANAGED")
    other = tmp_path / "usr/lib64/python3.12"
    other.mkdir(parents=True)
    assert validate_path(path, stdlib_dir=str(path.parent)).codes() == []
    report = validate_path(path, stdlib_dir=str(other))
    assert report.codes() == ["EM503"]


def test_against_an_interpreter(tmp_path: Path) -> None:
    import sysconfig

    stdlib = Path(sysconfig.get_path("stdlib"))
    import sys

    path = _install(tmp_path, f"lib/python{sys.version_info[0]}.{sys.version_info[1]}/x")
    marker = path.with_name("EXTERNALLY-MANAGED")
    path.rename(marker)
    report = validate_path(marker, interpreter=sys.executable)
    assert report.codes() == ["EM503"]
    assert str(stdlib) in report.findings[0].message


def test_directory_and_dangling_symlink(tmp_path: Path) -> None:
    directory = tmp_path / "usr/lib/python3.12/EXTERNALLY-MANAGED"
    directory.mkdir(parents=True)
    assert validate_path(directory).codes() == ["EM501"]
    link = tmp_path / "usr/lib/python3.13/EXTERNALLY-MANAGED"
    link.parent.mkdir(parents=True)
    link.symlink_to(tmp_path / "nowhere")
    report = validate_path(link)
    assert report.codes() == ["EM501"]
    assert "dangling" in report.findings[0].message


def test_symlink_to_a_shared_marker_passes(tmp_path: Path) -> None:
    shared = _install(tmp_path, "usr/lib/python/EXTERNALLY-MANAGED")
    link = tmp_path / "usr/lib/python3.12/EXTERNALLY-MANAGED"
    link.parent.mkdir(parents=True)
    link.symlink_to("../python/EXTERNALLY-MANAGED")
    assert validate_path(link).verdict == "PASSED"
    assert stat.S_ISREG(shared.stat().st_mode)


def test_a_file_larger_than_any_marker_is_a_finding_and_is_not_read(tmp_path: Path) -> None:
    big = tmp_path / "EXTERNALLY-MANAGED"
    with big.open("wb") as handle:
        handle.write(b"[externally-managed]\nError = x\n")
        handle.truncate(64 * 1024 * 1024)
    report = validate_path(big)
    assert report.codes() == ["EM107"]
    assert report.verdict == "FAILED"
    assert "too large to be a marker" in report.findings[0].message
    just_over = b"[externally-managed]\nError = x\n" + b"  y\n" * (300 * 1024)
    assert "EM107" in validate_bytes(just_over).codes()
    assert "EM107" not in validate_bytes(just_over[: 1024 * 1024]).codes()
