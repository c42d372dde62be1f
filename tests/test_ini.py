"""The INI writer: what it writes reads back in pip's parser as the intended text."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from marker_tool.errors import SerializeError
from marker_tool.ini import read_messages, serialize, wrap_text
from marker_tool.model import Marker, Message, PythonVersion
from marker_tool.text import display_width
from tests.realprograms import run_pip, run_uv, stage_python

PY = PythonVersion.parse("3.12")


def marker(*messages: tuple[str, str]) -> Marker:
    return Marker(PY, tuple(Message(key, text) for key, text in messages))


def pip_reads(content: str) -> dict[str, str]:
    """What pip gets: its parser, keys case-folded."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(content)
    return dict(parser.items("externally-managed"))


# --- the file's shape ----------------------------------------------------------------


def test_layout_of_the_file() -> None:
    content = serialize(
        marker(
            ("Error", "First line.\nSecond line.\n\n\nAfter two blanks.\n"), ("Error-de", "Hallo")
        )
    )
    assert content == (
        "[externally-managed]\n"
        "Error = First line.\n"
        "  Second line.\n"
        "\n"
        "\n"
        "  After two blanks.\n"
        "Error-de = Hallo\n"
    )
    assert pip_reads(content) == {
        "error": "First line.\nSecond line.\n\n\nAfter two blanks.",
        "error-de": "Hallo",
    }
    assert read_messages(content) == {
        "Error": "First line.\nSecond line.\n\n\nAfter two blanks.",
        "Error-de": "Hallo",
    }


def test_wrap_text_normalises_whitespace_and_blank_edges() -> None:
    assert wrap_text("\n\n   indented  \n\tx\t\n\n\n") == "indented\nx"


def test_long_lines_wrap_at_spaces_within_76_columns() -> None:
    text = " ".join(["word"] * 40)
    lines = wrap_text(text).split("\n")
    assert [len(line) for line in lines] == [74, 74, 49]
    assert " ".join(lines) == text


def test_a_long_word_stays_whole_on_its_own_line() -> None:
    url = "https://example.org/" + "x" * 90
    assert wrap_text(f"see {url} now") == f"see\n{url}\nnow"


def test_cjk_counts_two_columns_and_breaks_between_wide_characters() -> None:
    text = "日本語" * 30  # 180 columns, no spaces
    lines = wrap_text(text).split("\n")
    assert [display_width(line) for line in lines] == [76, 76, 28]
    assert "".join(lines) == text


def test_a_wrap_never_starts_a_line_with_a_comment_or_section_character() -> None:
    for hazard in "#;[":
        head = " ".join(["a"] * 37)  # 73 columns
        text = f"{head} bb {hazard}cc dd"
        assert wrap_text(text) == f"{head}\nbb {hazard}cc dd"
        content = serialize(marker(("Error-de", text)))
        assert pip_reads(content)["error-de"] == wrap_text(text)


def test_a_hazard_after_one_long_word_keeps_to_its_line() -> None:
    long = "x" * 80
    assert wrap_text(f"{long} #tag") == f"{long} #tag"


# --- refusals -------------------------------------------------------------------------


@pytest.mark.parametrize("hazard", ["#", ";", "["])
def test_an_authors_line_starting_with_a_hazard_is_refused(hazard: str) -> None:
    with pytest.raises(SerializeError) as info:
        serialize(marker(("Error-de", f"First.\n  {hazard} not a comment")))
    assert info.value.key == "Error-de"
    assert info.value.line == 2
    assert f"starts with `{hazard}`" in info.value.message
    assert "not a comment" in info.value.message
    assert info.value.hint


def test_a_first_line_starting_with_a_bracket_is_fine() -> None:
    content = serialize(marker(("Error", "[note] use apt\nnext")))
    assert pip_reads(content)["error"] == "[note] use apt\nnext"


@pytest.mark.parametrize("char", ["#", ";"])
def test_comment_characters_inside_error_are_refused_for_old_uv(char: str) -> None:
    with pytest.raises(SerializeError, match=re.escape("uv 0.13.0 and older cut the line")) as info:
        serialize(marker(("Error", f"Intro.\nsee https://x.org/{char}a")))
    assert info.value.line == 2


def test_comment_characters_are_fine_in_locale_keys_and_without_old_uv() -> None:
    text = "see https://x.org/#a; C# too"
    assert pip_reads(serialize(marker(("Error-fr", text))))["error-fr"] == text
    assert pip_reads(serialize(marker(("Error", text)), old_uv=False))["error"] == text


@pytest.mark.parametrize("text", ["", "   ", "\n\n \n"])
def test_an_empty_message_is_refused(text: str) -> None:
    with pytest.raises(SerializeError, match="empty"):
        serialize(marker(("Error", text)))


@pytest.mark.parametrize("char", ["\t", "\r", "\x0b", "\x0c", "\x85", "\u2028", "\u2029", "\x00"])
def test_control_characters_are_refused(char: str) -> None:
    with pytest.raises(SerializeError, match="control character") as info:
        serialize(marker(("Error", f"one\ntw{char}o")))
    assert info.value.line == 2


@pytest.mark.parametrize(
    ("keys", "problem"),
    [
        (("Error", "error"), "repeats `Error`"),
        (("Error", ""), "empty key"),
        (("Error", "Error=x"), "cannot be written"),
        (("Error", "[Error"), "cannot be written"),
        (("Error", " Error-de"), "cannot be written"),
    ],
)
def test_bad_keys_are_refused(keys: tuple[str, str], problem: str) -> None:
    with pytest.raises(SerializeError, match=problem):
        serialize(marker(*((key, "text") for key in keys)))


def test_read_messages_reports_what_pip_cannot_read() -> None:
    with pytest.raises(SerializeError, match="no `\\[externally-managed\\]`"):
        read_messages("[other]\nError = x\n")
    with pytest.raises(SerializeError, match="pip cannot read"):
        read_messages("[externally-managed]\nError = x\nerror = y\n")


# --- the property ---------------------------------------------------------------------

ALPHABET = st.one_of(
    st.characters(max_codepoint=0xD7FF) | st.characters(min_codepoint=0xE000),
    st.sampled_from(list("#;[] \n\n\n=:日本語한국어中文\u3000\xa0")),
)
WORDS = st.lists(
    st.one_of(
        st.text(ALPHABET, max_size=12),
        st.text(st.sampled_from("x日"), min_size=70, max_size=90),
        st.sampled_from(["#", ";", "[x]", "\n", "\n\n", "  ", "#tag", ";x", "[y"]),
    ),
    max_size=40,
).map(" ".join)


@settings(max_examples=400, deadline=None)
@given(text=WORDS, key=st.sampled_from(["Error", "Error-de"]), old_uv=st.booleans())
@example(text=" ".join(["a"] * 37) + " b #c", key="Error-de", old_uv=True)
@example(text="x" * 80 + " [y", key="Error-de", old_uv=True)
def test_serialized_text_reads_back_exactly_or_is_refused(
    text: str, key: str, old_uv: bool
) -> None:
    error: SerializeError | None = None
    try:
        content = serialize(marker((key, text)), old_uv=old_uv)
    except SerializeError as exc:
        error = exc
    if error is not None:
        assert error.message
        assert error.key == key
        return
    intended = wrap_text(text)
    assert pip_reads(content) == {key.lower(): intended}
    # Nothing but whitespace was changed: no word lost, split or reordered.
    assert re.sub(r"\s+", "", intended) == re.sub(r"\s+", "", text)
    for line in intended.split("\n")[1:]:
        assert not line.startswith(("#", ";", "["))
    for line in intended.split("\n"):
        # Over 76 columns only where no break is allowed: one word, or a word
        # that may not start a line glued to the one before.
        if display_width(line) > 76:
            words = line.split()
            assert len(words) == 1 or all(w.startswith(("#", ";", "[")) for w in words[1:])


# --- the real consumers ---------------------------------------------------------------


@pytest.mark.real
def test_pip_and_old_uv_show_a_rewrapped_message_whole(tmp_path: Path) -> None:
    head = " ".join(["word"] * 15)  # 74 columns
    text = f"{head} [see] the docs.\nNext line."
    staged = stage_python("3.12", tmp_path / "py")
    staged.marker.write_text(serialize(marker(("Error", text))), encoding="utf-8")
    expected = wrap_text(text).split("\n")
    assert expected[1].startswith("word [see]")
    pip = run_pip(staged, tmp_path)
    assert "╰─> " + "\n    ".join(expected) + "\n" in pip.stderr
    uv = run_uv(staged, tmp_path, version="0.13.0")
    assert "\n".join(f"  {line}" for line in expected) + "\n" in uv.stderr


def test_the_refused_characters_are_exactly_control_surrogate_and_separators() -> None:
    import sys
    import unicodedata

    from marker_tool.text import FORBIDDEN_IN_TEXT

    refused = {chr(c) for c in range(sys.maxunicode + 1) if FORBIDDEN_IN_TEXT.match(chr(c))}
    invisible = {
        chr(c)
        for r in ((0x200B, 0x200F), (0x202A, 0x202E), (0x2066, 0x2069))
        for c in range(r[0], r[1] + 1)
    }
    expected = {
        chr(c)
        for c in range(sys.maxunicode + 1)
        if unicodedata.category(chr(c)) in ("Cc", "Cs") or chr(c) in "\u2028\u2029\ufeff"
    } - {"\n"} | invisible
    assert refused == expected


TRICKY = (
    ("Error", " ".join(["word"] * 15) + " [see] the docs.\n\n\nZweite Zeile\u00a0mit  Abstand."),
    ("Error-ja", "日本語" * 30 + "\n\u3000全角スペース\u3000"),
    ("Error-fr", " ".join(["mot"] * 18) + " #étiquette ; point-virgule: fin"),
)


@pytest.mark.real
@pytest.mark.parametrize("xy", ["3.11", "3.12", "3.13"])
def test_every_pythons_configparser_reads_the_intended_text(xy: str) -> None:
    import json
    import subprocess

    from tests.realprograms import find_base_python, missing

    python = find_base_python(xy)
    if python is None:
        missing(f"Python {xy}")
    content = serialize(marker(*TRICKY))
    code = (
        "import configparser, json, sys\n"
        "p = configparser.ConfigParser(interpolation=None)\n"
        "p.read_string(sys.stdin.read())\n"
        "print(json.dumps(dict(p.items('externally-managed'))))\n"
    )
    out = subprocess.run(
        [str(python), "-c", code], input=content, capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == {key.lower(): wrap_text(text) for key, text in TRICKY}
