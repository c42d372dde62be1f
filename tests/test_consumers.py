"""How pip, uv and uv 0.13.0 read a marker's bytes (no real programs: fast).

tests/test_differential.py checks the same models against the real programs.
"""

from __future__ import annotations

import configparser
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marker_tool.consumers import PipOutcome, UvOutcome, read_as_pip, read_as_uv
from marker_tool.terminal import (
    anstream_strip,
    rich_expand_tabs,
    rich_text,
    textwrap_indent,
    uv_wrap,
    uv_wrap_line,
)

H = b"[externally-managed]\n"


# -- pip -----------------------------------------------------------------------------


def test_pip_reads_keys_case_insensitively_and_keeps_blank_lines() -> None:
    reading = read_as_pip(H + b"Error = one\n  two\n\n  three\nError-de = eins\n")
    assert reading.outcome is PipOutcome.PARSED
    assert reading.lookup(["ERROR-DE", "Error"]) == ("ERROR-DE", "eins")
    assert reading.lookup(["Error-fr", "Error"]) == ("Error", "one\ntwo\n\nthree")


def test_pip_drops_comment_lines_inside_a_value() -> None:
    reading = read_as_pip(H + b"Error = one\n  # gone\n  ; gone too\n  two\n")
    assert reading.lookup(["Error"]) == ("Error", "one\ntwo")


def test_pip_inherits_default() -> None:
    reading = read_as_pip(b"[DEFAULT]\nError = from default\n" + H + b"Error-de = x\n")
    assert reading.lookup(["Error"]) == ("Error", "from default")


def test_pip_without_the_section_is_generic_without_warning() -> None:
    assert read_as_pip(b"[DEFAULT]\nError = x\n").outcome is PipOutcome.NO_SECTION
    assert read_as_pip(b"").outcome is PipOutcome.NO_SECTION
    assert read_as_pip(b"[Externally-Managed]\nError = x\n").lookup(["Error"]) is None


@pytest.mark.parametrize(
    ("data", "error", "line"),
    [
        (b"\xef\xbb\xbf" + H + b"Error = x\n", "MissingSectionHeaderError", 1),
        (b"Error = x\n", "MissingSectionHeaderError", 1),
        (H + b"Error\n", "ParsingError", 2),
        (H + b"Error = x\nsecond line\n", "ParsingError", 3),
    ],
)
def test_pip_parse_errors_warn(data: bytes, error: str, line: int) -> None:
    reading = read_as_pip(data)
    assert reading.outcome is PipOutcome.PARSE_ERROR
    assert (reading.error, reading.line) == (error, line)


def test_pip_not_utf8_warns() -> None:
    assert read_as_pip(H + b"Error = f\xfcr\n").outcome is PipOutcome.NOT_UTF8


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            H + b"Error = x\nerror = y\n",
            "configparser.DuplicateOptionError: While reading from '/p' [line  3]: "
            "option 'error' in section 'externally-managed' already exists",
        ),
        (
            H + b"Error = x\n" + H,
            "configparser.DuplicateSectionError: While reading from '/p' [line  3]: "
            "section 'externally-managed' already exists",
        ),
    ],
)
def test_pip_duplicates_crash(data: bytes, message: str) -> None:
    reading = read_as_pip(data)
    assert reading.outcome is PipOutcome.CRASH
    assert reading.crash_message("/p") == message


def test_pip_reads_in_chunks_like_open() -> None:
    """A duplicate before an undecodable byte 8 KiB later crashes; the other way round warns."""
    filler = b"  filler line of text\n" * 500
    assert read_as_pip(H + b"Error = a\nError = b\n" + filler + b"\xfc\n").outcome is (
        PipOutcome.CRASH
    )
    assert read_as_pip(H + b"Error = \xfc\n" + filler + b"Error = b\n").outcome is (
        PipOutcome.NOT_UTF8
    )


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "Error",
                "error",
                "Error-de",
                " ",
                "\t",
                "#",
                ";",
                "[",
                "]",
                "=",
                ":",
                "\n",
                "\r\n",
                "x y",
                "DEFAULT",
                "externally-managed",
            ]
        ),
        max_size=30,
    )
)
def test_pip_reading_is_configparsers(parts: list[str]) -> None:
    """Whatever the text, the options are what pip's own parser call gives."""
    text = "[externally-managed]\n" + "".join(parts)
    reading = read_as_pip(text.encode())
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_file(io.StringIO(text, newline=None))
    except configparser.Error:
        assert reading.outcome in (PipOutcome.PARSE_ERROR, PipOutcome.CRASH)
        return
    assert reading.outcome is PipOutcome.PARSED
    assert dict(reading.options) == dict(parser["externally-managed"])


# -- uv ------------------------------------------------------------------------------


def test_uv_reads_only_error_spelled_exactly() -> None:
    for old in (False, True):
        assert read_as_uv(H + b"error = x\n", old=old).outcome is UvOutcome.NO_MESSAGE
        assert read_as_uv(H + b"Error-de = x\n", old=old).outcome is UvOutcome.NO_MESSAGE
        assert read_as_uv(H + b"Error = x\n", old=old).text == "x"


def test_uv_installs_when_not_utf8() -> None:
    reading = read_as_uv(H + b"Error = f\xfcr\n")
    assert reading.outcome is UvOutcome.NOT_MANAGED
    assert reading.line == 2
    assert read_as_uv(H + b"Error = f\xfcr\n", old=True).outcome is UvOutcome.NOT_MANAGED


@pytest.mark.parametrize(
    ("data", "new", "old"),
    [
        # inline comment characters: literal now, a cut before 0.13.1
        (
            H + b"Error = Use apt; or C#\n  two ; three\n",
            "Use apt; or C#\ntwo ; three",
            "Use apt\ntwo",
        ),
        # an indented `[` line: text now, a new section before 0.13.1
        (H + b"Error = one\n  [see docs]\n  two\n", "one\n[see docs]\ntwo", "one"),
        # duplicates: an error now, last wins before
        (H + b"Error = one\nError = two\n", None, "two"),
        # Error and error are different keys for both (case-sensitive)
        (H + b"Error = one\nerror = two\n", "one", "one"),
        # [DEFAULT] inherited now, an ordinary section before
        (b"[DEFAULT]\nError = d\n" + H, "d", None),
        # blank lines inside a value are kept by both
        (H + b"Error = one\n\n\n  two\n", "one\n\n\ntwo", "one\n\n\ntwo"),
        # a key with no value
        (H + b"Error\n", None, None),
        # the message on the next line
        (H + b"Error =\n  two\n", "\ntwo", "\ntwo"),
        # a bare CR: a line break now, part of the line before
        (b"[externally-managed]\rError = a\r  b\r", "a\nb", None),
        # CRLF: fine for both
        (b"[externally-managed]\r\nError = a\r\n  b\r\n", "a\nb", "a\nb"),
        # an unindented line: a parse error now, a valueless key before
        (H + b"Error = a\nmore text\n", None, "a"),
        # after another header: a key line without `=` now; still the old key before
        (H + b"Error = a\n[other]\n  b\n", None, "a"),
        # a BOM hides the section header from both
        (b"\xef\xbb\xbf" + H + b"Error = x\n", None, None),
        # an unclosed `[` line fails the whole file before 0.13.1
        (H + b"Error = a\n  [see\n", "a\n[see", None),
        # information separators: whitespace for Python (and astral-ini), not for Rust's trim
        (H + b"Error = a \x1c\n", "a", "a \x1c"),
    ],
)
def test_uv_current_and_old_parsers(data: bytes, new: str | None, old: str | None) -> None:
    assert read_as_uv(data).text == new
    assert read_as_uv(data, old=True).text == old


def test_uv_current_agrees_with_pip_on_error() -> None:
    data = H + b"Error = one\n  # dropped\n  two\n\n\n  three\n"
    assert read_as_pip(data).lookup(["Error"]) == ("Error", "one\ntwo\n\n\nthree")
    assert read_as_uv(data).text == "one\ntwo\n\n\nthree"


# -- terminal processing ---------------------------------------------------------------


def test_rich_deletes_some_controls_and_expands_tabs_from_the_line_start() -> None:
    assert rich_text("a\x07b\x08c\x0bd\x0ce\rf\x1bg") == "abcdef\x1bg"
    assert rich_expand_tabs("╰─> Tab\tx") == "╰─> Tab x"
    assert rich_expand_tabs("    a\tb") == "    a   b"
    assert rich_expand_tabs("    日本\tx") == "    日本" + " " * 8 + "x"


def test_anstream_strips_escapes_and_most_controls() -> None:
    text = "Tab\there bell\x07 vt\x0b ff\x0c esc\x1b[31mred\x1b[0m del\x7f ä \x1b]8;;u\x07link"
    assert anstream_strip(text) == "Tab\there bell vt ff\x0c escred del ä link"


def test_anstream_keeps_a_character_right_after_a_stripped_control() -> None:
    assert anstream_strip("a\x00日本b\x7f\u2028c") == "a日本b\u2028c"


def test_textwrap_indent_leaves_blank_lines_empty() -> None:
    assert textwrap_indent("a\n\nb", "  ") == "  a\n\n  b"
    assert textwrap_indent("", "  ") == ""
    assert textwrap_indent("\nb", "  ") == "\n  b"


# -- uv's wrapping (copied from uv 0.13.9 with COLUMNS set) ---------------------------


def test_uv_wraps_each_line_with_a_seven_space_continuation() -> None:
    text = (
        "error: The interpreter at `py3.12` is externally managed, and indicates the following:"
        "\n\n  short line\n  a much longer second line that goes past forty columns for sure"
    )
    assert uv_wrap(text, 40) == (
        "error: The interpreter at `py3.12` is\n"
        "       externally managed, and indicates\n"
        "       the following:\n"
        "\n"
        "  short line\n"
        "  a much longer second line that goes\n"
        "       past forty columns for sure"
    )
    assert uv_wrap(text, None) == text


def test_uv_wrap_is_optimal_fit_not_greedy() -> None:
    line = "  abcdefgh abcdefghijk abcdefg abcd ab abcdefgh a abcdefg abcdefg abcdefghij"
    assert uv_wrap_line(line, 30) == [
        "  abcdefgh abcdefghijk abcdefg",
        "       abcd ab abcdefgh",
        "       a abcdefg abcdefg",
        "       abcdefghij",
    ]


def test_uv_wrap_keeps_long_words_and_counts_wide_characters() -> None:
    assert uv_wrap_line("  " + "x" * 50 + " here", 40) == ["  " + "x" * 50, "       here"]
    assert uv_wrap_line("  日本語 日本語 日本語", 12) == [
        "  日本語",
        "       日本語",
        "       日本語",
    ]
    assert uv_wrap_line("exactly forty chars wide line 1234567890", 40) == [
        "exactly forty chars wide line 1234567890"
    ]
