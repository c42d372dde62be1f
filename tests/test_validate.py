"""The validator's library API, its model of configparser, the CLI, and fuzzing.

The fuzz tests run MARKER_TOOL_FUZZ_EXAMPLES examples each (default 2500, about
20 s in all); CI may raise it.
"""

from __future__ import annotations

import configparser
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marker_tool.check.registry import REGISTRY
from marker_tool.cli import cli
from marker_tool.consumers import PipOutcome
from marker_tool.document import Document, parse
from marker_tool.errors import MarkerToolError
from marker_tool.model import SECTION, VERDICTS, Severity
from marker_tool.presets import PRESETS
from marker_tool.rules import RULES
from marker_tool.validate import (
    Validator,
    validate_bytes,
    validate_path,
)

MARKERS = Path(__file__).parent / "markers"
DEBIAN = MARKERS / "valid" / "debian-bookworm.EXTERNALLY-MANAGED"
DUPLICATE = MARKERS / "invalid" / "EM205-duplicate-key.EXTERNALLY-MANAGED"
QUOTED = MARKERS / "invalid" / "EM407-quoted-message.EXTERNALLY-MANAGED"
FUZZ_EXAMPLES = int(os.environ.get("MARKER_TOOL_FUZZ_EXAMPLES", "2500"))

# -- library -----------------------------------------------------------------------------


def test_verdicts_and_strict() -> None:
    assert validate_path(DEBIAN).verdict == "PASSED"
    assert validate_path(DUPLICATE).verdict == "FAILED"
    assert validate_path(QUOTED).verdict == "PASSED with warnings"
    assert validate_path(QUOTED, strict=True).verdict == "FAILED"
    info_only = MARKERS / "invalid" / "EM408-long-line.EXTERNALLY-MANAGED"
    assert validate_path(info_only, strict=True).verdict == "PASSED"


def test_ignore() -> None:
    assert validate_path(QUOTED, ignore=["EM407"]).verdict == "PASSED"


def test_findings_carry_file_line_and_severity() -> None:
    report = validate_path(DUPLICATE)
    (finding,) = report.findings
    assert finding.file == str(DUPLICATE)
    assert finding.line == 8
    assert finding.severity is Severity.ERROR


def test_missing_file_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(MarkerToolError, match="no such file"):
        validate_path(tmp_path / "nope")


def test_directory_not_installed_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(MarkerToolError, match="directory"):
        validate_path(tmp_path)


def test_validator_is_reusable() -> None:
    validator = Validator(strict=True)
    reports = [validate_path(p, validator=validator) for p in (DEBIAN, QUOTED)]
    assert [r.verdict for r in reports] == ["PASSED", "FAILED"]


def test_document_model() -> None:
    doc = parse(
        b"# c\n[externally-managed]\nError = one\n  two\n\n  three\nError-de = eins\n",
        path="x",
    )
    kinds = [line.kind for line in doc.lines]
    assert kinds == ["comment", "section", "key", "continuation", "blank", "continuation", "key"]
    error, german = doc.section_entries()
    assert error.text == "one\ntwo\n\nthree"
    assert error.continuation == (4, 6)
    assert german.key == "Error-de"
    assert dict(doc.pip.options) == {"error": "one\ntwo\n\nthree", "error-de": "eins"}


def test_pip_view_knows_crashes_and_parse_errors() -> None:
    crash = parse(b"[externally-managed]\nError = a\nerror = b\n").pip
    assert crash.outcome is PipOutcome.CRASH
    assert crash.error == "DuplicateOptionError"
    broken = parse(b"[externally-managed]\nError = a\nb\n").pip
    assert broken.outcome is PipOutcome.PARSE_ERROR
    assert broken.error == "ParsingError"
    assert broken.line == 3


def test_validate_imports_no_jinja_or_babel() -> None:
    code = (
        "import sys, marker_tool.cli.validate, marker_tool.rules;"
        "from marker_tool.validate import validate_bytes;"
        "validate_bytes(b'[externally-managed]\\nError-de = x\\nError = y\\n');"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('jinja2', 'babel')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


# -- the CLI -----------------------------------------------------------------------------


def run(*args: str, **kwargs: object) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["validate", *args], **kwargs)  # type: ignore[arg-type]
    return result.exit_code, result.output


def test_cli_text_output() -> None:
    code, output = run(str(DEBIAN), str(DUPLICATE))
    assert code == 1
    assert output.splitlines() == [
        f"{DEBIAN}: PASSED",
        f"{DUPLICATE}: FAILED",
        f"{DUPLICATE}:8: EM205 error key `Error-DE` again (`Error-de` on line 7); pip crashes",
    ]


def test_cli_passing_and_strict() -> None:
    assert run(str(DEBIAN)) == (0, f"{DEBIAN}: PASSED\n")
    code, output = run(str(QUOTED))
    assert code == 0
    assert output.startswith(f"{QUOTED}: PASSED with warnings\n")
    code, output = run("--strict", str(QUOTED))
    assert code == 1
    assert output.startswith(f"{QUOTED}: FAILED\n")


def test_cli_colour_and_no_color() -> None:
    code, output = run(str(DUPLICATE), color=True)
    assert "\x1b[31m" in output
    code, output = run(str(DUPLICATE), color=True, env={"NO_COLOR": "1"})
    assert code == 1
    assert "\x1b[" not in output
    assert f"{DUPLICATE}: FAILED" in output


#: The pinned `--format json` schema, version 1. Changing it breaks users' CI.
JSON_EXPECTED = {
    "version": 1,
    "strict": False,
    "files": [
        {"path": str(DEBIAN), "verdict": "PASSED", "findings": []},
        {
            "path": str(DUPLICATE),
            "verdict": "FAILED",
            "findings": [
                {
                    "code": "EM205",
                    "severity": "error",
                    "line": 8,
                    "message": "key `Error-DE` again (`Error-de` on line 7); pip crashes",
                }
            ],
        },
    ],
}


def test_cli_json_schema() -> None:
    code, output = run("--format", "json", str(DEBIAN), str(DUPLICATE))
    assert code == 1
    assert json.loads(output) == JSON_EXPECTED
    from marker_tool.jsondoc import document, file_record

    assert document("files", False, [file_record().of(validate_path(DEBIAN))]) == {
        "version": 1,
        "strict": False,
        "files": [JSON_EXPECTED["files"][0]],  # type: ignore[index]
    }


def test_cli_json_line_is_null_without_a_line(tmp_path: Path) -> None:
    empty = tmp_path / "EXTERNALLY-MANAGED"
    empty.write_bytes(b"")
    code, output = run("--format", "json", str(empty))
    assert code == 1
    finding = json.loads(output)["files"][0]["findings"][0]
    assert finding["line"] is None
    assert finding["code"] == "EM201"


def test_cli_github_annotations(tmp_path: Path) -> None:
    code, output = run("--format", "github", str(DUPLICATE), str(QUOTED))
    assert code == 1
    lines = output.splitlines()
    assert lines[0] == (
        f"::error file={DUPLICATE},line=8,title=EM205::"
        "key `Error-DE` again (`Error-de` on line 7); pip crashes"
    )
    assert lines[1] == f"{DUPLICATE}: FAILED"
    assert lines[2].startswith(f"::warning file={QUOTED},line=2,title=EM407::")
    weird = tmp_path / "a,b:c"
    weird.write_bytes(b"[externally-managed]\nError = " + b"y" * 80 + b"\n")
    _, output = run("--format", "github", str(weird))
    assert output.startswith(f"::notice file={tmp_path}/a%2Cb%3Ac,line=2,title=EM408::")


def test_cli_stdin() -> None:
    code, output = run("-", input=DUPLICATE.read_bytes())
    assert code == 1
    assert output.startswith("-: FAILED\n")


def test_cli_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    code, output = run(str(DEBIAN), str(tmp_path / "nope"))
    assert code == 2
    assert f"error: {tmp_path / 'nope'}: no such file" in output
    assert "PASSED" not in output  # nothing is validated before the check
    code, output = run()
    assert code == 2
    assert "no marker files given" in output


def test_cli_directory_and_unknown_ignore_are_usage_errors(tmp_path: Path) -> None:
    code, output = run(str(tmp_path))
    assert code == 2
    assert "a directory, not a marker file" in output
    code, output = run("--ignore", "EM99", str(DEBIAN))
    assert code == 2
    assert "unknown rule `EM99`" in output
    assert "Traceback" not in output


def test_cli_explain() -> None:
    code, output = run("--explain", "em205")
    assert code == 0
    assert output.startswith("EM205 duplicate-key (error): ")
    assert "DuplicateOptionError" in output
    code, output = run("--explain", "duplicate-key")
    assert code == 0
    assert output.startswith("EM205 ")


def test_cli_explain_unknown_code() -> None:
    code, output = run("--explain", "EM2O5")
    assert code == 2
    assert "unknown rule `EM2O5`" in output
    assert "did you mean `EM205`?" in output


def test_cli_list_rules() -> None:
    code, output = run("--list-rules")
    assert code == 0
    lines = output.splitlines()
    assert len(lines) == len(REGISTRY) > len(RULES)  # check's system rules too
    assert lines[0].split()[:3] == ["EM101", "error", "not-utf8"]
    assert ["EM601", "error", "missing-marker"] in [line.split()[:3] for line in lines]


def test_cli_installed_checks(tmp_path: Path) -> None:
    marker = tmp_path / "lib" / "python3.12" / "site-packages" / "EXTERNALLY-MANAGED"
    marker.parent.mkdir(parents=True)
    marker.write_bytes(DEBIAN.read_bytes())
    code, output = run(str(marker))
    assert code == 1
    assert "EM503 error inside site-packages" in output
    assert run("--not-installed", str(marker))[0] == 0
    code, output = run("--stdlib-dir", str(marker.parent), str(marker))
    assert code == 0


# -- fuzzing -----------------------------------------------------------------------------

FUZZ = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

_safe = st.sampled_from(["apt", "install", "python3-xyz", "venv", "é", "請", "see", "pipx"])
_odd = st.sampled_from(
    ["a;b", "x#y", "#", ";", "[", "]", '"', "'", "=", ":", "%(x)s", "\x07", "\x0c",
     "\x1b[1m", "\t", "\ufeff", "\u2028", "\x85", "y" * 40]
)  # fmt: skip
_good_text = st.lists(_safe, min_size=1, max_size=6).map(" ".join)
_text = st.lists(st.one_of(_safe, _safe, _odd, st.text(max_size=5)), max_size=6).map(" ".join)
_keys = st.sampled_from(
    ["Error", "Error", "Error", "Error-de", "Error-pt_BR", "error", "ERROR", "Error-DE",
     "Error-pt-BR", "Error_de", "See", "", "Error de"]
)  # fmt: skip
_headers = st.sampled_from(
    ["[externally-managed]", "[externally-managed]", "[DEFAULT]", "[Externally-Managed]",
     "[externally_managed]", "[other]", "[", "[]", "[externally-managed] # c"]
)  # fmt: skip
_indent = st.sampled_from(["  ", "  ", " ", "\t", "    ", "", "\x0b"])
_delimiter = st.sampled_from([" = ", " = ", "=", ":", " : "])
_line = st.one_of(
    st.builds(lambda i, t: i + t, _indent, _good_text),
    st.builds(lambda i, t: i + t, _indent, _good_text),
    st.builds(lambda i, t: i + t, _indent, _text),
    st.builds(lambda k, d, t: k + d + t, _keys, _delimiter, _good_text),
    st.builds(lambda i, k, d, v: i + k + d + v, _indent, _keys, _delimiter, _text),
    st.builds(lambda i, c, t: i + c + t, _indent, st.sampled_from(["#", ";"]), _text),
    st.just(""),
    _headers,
    st.text(max_size=20),
)
_ending = st.sampled_from(["\n"] * 12 + ["\r\n", "\r"])
near_ini = st.builds(
    lambda first, lines, endings, bom: (
        ("\ufeff" if bom else "")
        + "".join(line + endings[i % len(endings)] for i, line in enumerate([first, *lines]))
    ),
    st.sampled_from(["[externally-managed]"] * 6 + ["[DEFAULT]", "# marker", "Error = x", ""]),
    st.lists(_line, max_size=14),
    st.lists(_ending, min_size=1, max_size=3),
    st.sampled_from([False] * 15 + [True]),
)


@st.composite
def _mutated_marker(draw: st.DrawFn) -> str:
    """A good marker with a few lines inserted or replaced: mostly near misses."""
    indent = draw(st.sampled_from(["  ", " ", "\t"]))
    body = [f"{indent}{line}" for line in draw(st.lists(_good_text, max_size=6))]
    lines = ["[externally-managed]", "Error = " + draw(_good_text), *body]
    if draw(st.booleans()):
        lines.append("Error-de = " + draw(_good_text))
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(1, len(lines)))
        if draw(st.booleans()):
            lines.insert(at, draw(_line))
        else:
            lines[at - 1] = draw(_line)
    return "".join(line + "\n" for line in lines)


markers = st.one_of(near_ini, _mutated_marker())


def _check_against_configparser(doc: Document, codes: set[str]) -> None:
    """The validator's model agrees with configparser, which is what pip runs."""
    assert doc.text is not None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(doc.text.replace("\r\n", "\n").replace("\r", "\n"))
    except configparser.ParsingError:
        assert doc.pip.error in ("ParsingError", "MissingSectionHeaderError")
        assert codes & {"EM102", "EM202", "EM203"}, codes
        return
    except (configparser.DuplicateSectionError, configparser.DuplicateOptionError):
        assert doc.pip.outcome is PipOutcome.CRASH
        assert codes & {"EM204", "EM205", "EM203"}, codes
        return
    assert doc.pip.error is None
    if not parser.has_section(SECTION):
        assert doc.pip.outcome is PipOutcome.NO_SECTION
        return
    expected = {k: parser.get(SECTION, k) for k in parser.options(SECTION)}
    assert dict(doc.pip.options) == expected
    mine: dict[str, str] = {}
    for entry in doc.entries:
        if entry.section == "DEFAULT":
            mine.setdefault(entry.key.lower(), entry.text)
    for entry in doc.section_entries():
        mine[entry.key.lower()] = entry.text
    assert mine == expected


def _check_passing_means_shown(doc: Document, report_passed: bool) -> None:
    """A marker without errors shows its `Error` text in pip and uv alike."""
    if not report_passed:
        return
    assert doc.pip.outcome is PipOutcome.PARSED
    uv = [e for e in doc.section_entries() if e.key == "Error"]
    assert len(uv) == 1
    assert doc.pip.options["error"] == uv[0].text
    assert uv[0].text.strip()


@FUZZ
@given(st.binary(max_size=600))
def test_fuzz_arbitrary_bytes(data: bytes) -> None:
    report = validate_bytes(data)
    assert report.verdict in VERDICTS
    for finding in report.findings:
        assert finding.code in {r.code for r in RULES}


@FUZZ
@given(markers)
def test_fuzz_near_ini(text: str) -> None:
    data = text.encode("utf-8", "surrogatepass")
    report = validate_bytes(data)
    assert report.verdict in VERDICTS
    doc = parse(data)
    if doc.text is None:
        assert report.codes() == ["EM101"]
        return
    _check_against_configparser(doc, set(report.codes()))
    _check_passing_means_shown(doc, report.passed)


# -- what marker-tool itself makes -------------------------------------------------------


def test_every_preset_renders_markers_that_pass_strict() -> None:
    from marker_tool.config import load_preset
    from marker_tool.ini import serialize
    from marker_tool.presets import PRESETS
    from marker_tool.render import render_markers

    checked = 0
    for preset in PRESETS:
        distributor = load_preset(preset)
        for locales in (None, ("de", "pt_BR", "zh_TW")):
            result = render_markers(distributor, locales=locales)
            for marker in result.markers:
                data = serialize(marker).encode("utf-8")
                report = validate_bytes(data, path=f"{preset}/{marker.python}", strict=True)
                assert report.findings == (), (preset, locales, report.findings)
                checked += 1
    assert checked >= 2 * len(PRESETS)


@pytest.mark.parametrize("preset", PRESETS)
def test_no_preset_in_any_builtin_locale_draws_any_finding(preset: str) -> None:
    """The writer and the rules measure alike: not even an info for the tool's own output."""
    from marker_tool.config import load_preset
    from marker_tool.ini import serialize
    from marker_tool.model import PythonVersion
    from marker_tool.render import render_markers

    pythons = [PythonVersion.parse(v) for v in ("3.11", "3.12", "3.13", "3.13t", "3.14")]
    locales = ["de", "es", "fr", "it", "ja", "pt_BR", "pt_PT", "ru", "zh_CN", "zh_TW"]
    result = render_markers(load_preset(preset), pythons=pythons, locales=locales)
    assert result.warnings == ()
    for marker in result.markers:
        assert len(marker.messages) > len(locales)
        report = validate_bytes(serialize(marker).encode("utf-8"), path=str(marker.python))
        assert report.findings == (), report.findings


def test_github_annotations_cannot_be_forged_by_a_path_or_message(tmp_path: Path) -> None:
    evil = tmp_path / "x\n::error file=forged::owned\r%0A,y:z"
    evil.mkdir()
    marker = evil / "EXTERNALLY-MANAGED"
    marker.write_bytes(b"[externally-managed]\nError = a\nerror = b\n")
    result = CliRunner().invoke(cli, ["validate", "--format", "github", str(marker)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    annotations = [line for line in lines if line.startswith("::")]
    assert len(annotations) == 2  # EM205 and EM208: one line each, nothing forged
    annotation = annotations[0]
    assert annotation.startswith("::error file=")
    assert "%0A%3A%3Aerror file=forged%3A%3Aowned%0D%250A%2Cy%3Az" in annotation
    text = CliRunner().invoke(cli, ["validate", str(marker)]).output
    assert "\\n::error" in text  # shown escaped in the text format too
