"""`preview` and the `preview` command (no real programs: fast).

The exact blocks here were copied from pip 26.3 and uv 0.13.9 / 0.13.0 runs;
tests/test_differential.py re-checks every prediction against the programs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from marker_tool.cli import cli
from marker_tool.model import PythonVersion
from marker_tool.preview import preview
from tests.realprograms import missing

H = b"[externally-managed]\n"
PY311 = PythonVersion(3, 11)
PY312 = PythonVersion(3, 12)
NOTE = (
    "note: If you believe this is a mistake, please contact your Python installation or OS "
    "distribution provider. You can override this, at the risk of breaking your Python "
    "installation or OS, by passing --break-system-packages.\n"
    "hint: See PEP 668 for the detailed specification.\n"
)
UV_HINT = "hint: Consider creating a virtual environment, e.g., with `uv venv`\n"
LOCALES = H + b"Error = English\nError-de = Deutsch\nError-en = Englisch\n"


def test_pip_block_is_exact() -> None:
    view = preview(H + b"Error = First\n  second\n\n  after blank\n", python=PY312).view("pip")
    assert view.output == (
        "error: externally-managed-environment\n"
        "\n"
        "× This environment is externally managed\n"  # noqa: RUF001
        "╰─> First\n"
        "    second\n"
        "    \n"
        "    after blank\n"
        "\n" + NOTE
    )
    assert (view.outcome, view.key, view.exit_code) == ("message", "Error", 1)


def test_uv_blocks_are_exact() -> None:
    result = preview(H + b"Error = First\n\n  after blank\n", prefix="/opt/py")
    expected = (
        "error: The interpreter at `/opt/py` is externally managed, and indicates the "
        "following:\n\n  First\n\n  after blank\n\n" + UV_HINT
    )
    assert result.view("uv").output == expected
    assert result.view("uv-0.13.0").output == expected
    assert result.view("uv").exit_code == 2


def test_pip_generic_message_with_warning_for_an_unreadable_file() -> None:
    view = preview(b"\xef\xbb\xbf" + H + b"Error = x\n", python=PY312, prefix="/usr").view("pip")
    assert view.outcome == "generic"
    assert view.output.startswith(
        "WARNING: Failed to read /usr/lib/python3.12/EXTERNALLY-MANAGED\n"
        "error: externally-managed-environment\n\n"
    )
    assert (
        "╰─> The Python environment under /usr is managed externally, and may not be\n"
        "    manipulated by the user. Please use specific tooling from the distributor of\n"
        "    the Python installation to interact with this environment instead.\n"
        "    \n\nnote:"
    ) in view.output


def test_pip_generic_message_without_warning_when_the_key_is_missing() -> None:
    view = preview(H + b"Error-de = x\n", python=PY312).view("pip")
    assert view.outcome == "generic"
    assert not view.output.startswith("WARNING")


def test_pip_crash_shows_the_exception_line() -> None:
    view = preview(H + b"Error = a\nError = b\n", python=PY312, prefix="/usr").view("pip")
    assert (view.outcome, view.exit_code) == ("crash", 2)
    assert view.output.splitlines()[0] == "ERROR: Exception:"
    assert view.output.splitlines()[-1] == (
        "configparser.DuplicateOptionError: While reading from "
        "'/usr/lib/python3.12/EXTERNALLY-MANAGED' [line  3]: "
        "option 'error' in section 'externally-managed' already exists"
    )


def test_uv_no_message_and_installs() -> None:
    result = preview(H + b"error = lower\n", prefix="/usr")
    assert result.view("uv").output == (
        "error: The interpreter at `/usr` is externally managed and cannot be modified.\n\n"
        + UV_HINT
    )
    latin1 = preview(H + b"Error = f\xfcr\n")
    assert latin1.view("uv").outcome == "installs"
    assert latin1.view("uv").exit_code == 0
    assert latin1.view("pip").outcome == "generic"


@pytest.mark.parametrize(
    ("locale", "python", "available", "key"),
    [
        ("de_DE.UTF-8", PY312, True, "Error-de"),
        ("de_DE.UTF-8", PY312, False, "Error"),
        # C.UTF-8 reports as en_US on 3.11, as C on 3.12 and later
        ("C.UTF-8", PY311, True, "Error-en"),
        ("C.UTF-8", PY312, True, "Error"),
    ],
)
def test_pip_key_follows_locale_and_python(
    locale: str, python: PythonVersion, available: bool, key: str
) -> None:
    result = preview(LOCALES, locale=locale, python=python, locale_available=available)
    assert result.view("pip").key == key
    assert result.view("uv").key == "Error"


def test_all_marks_where_the_programs_differ() -> None:
    result = preview(H + b"Error = Use apt; really\n", python=PY312)
    assert result.differs()
    text = result.render()
    assert "== pip (Python 3.12, LC_ALL=C.UTF-8; looks up Error-C, Error) -- exit 1\n" in text
    assert "same: uv shows what pip shows" in text
    assert (
        "differs: pip shows the text of `Error`; uv-0.13.0 shows a different text of `Error`"
        in text
    )
    assert "  -Use apt; really\n  +Use apt\n" in text


def test_all_says_same_when_they_agree() -> None:
    result = preview(H + b"Error = Use apt.\n", python=PY312)
    assert not result.differs()
    assert result.render().endswith("same: pip, uv, uv-0.13.0 all show the text of `Error`\n")


def test_tabs_and_controls_are_processed_as_the_programs_do() -> None:
    result = preview(H + b"Error = a\tb bell\x07 esc\x1b[1mbold\n", python=PY312)
    assert "╰─> a   b bell esc\x1b[1mbold\n" in result.view("pip").output
    assert "  a\tb bell escbold\n" in result.view("uv").output


# -- the command -------------------------------------------------------------------------


def write(tmp_path: Path, data: bytes) -> str:
    path = tmp_path / "EXTERNALLY-MANAGED"
    path.write_bytes(data)
    return str(path)


def test_cli_one_tool_prints_exactly_its_block(tmp_path: Path) -> None:
    path = write(tmp_path, LOCALES)
    args = ["preview", path, "--tool", "pip", "--locale", "de_DE.UTF-8", "--python", "3.12"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert (
        result.output
        == preview(LOCALES, tools=("pip",), locale="de_DE.UTF-8", python=PY312).view("pip").output
    )
    assert "╰─> Deutsch\n" in result.output


def test_cli_locale_missing(tmp_path: Path) -> None:
    path = write(tmp_path, LOCALES)
    args = ["preview", path, "--locale", "de_DE.UTF-8", "--locale-missing", "--python", "3.12"]
    result = CliRunner().invoke(cli, args)
    assert "╰─> English\n" in result.output
    assert "LC_ALL=de_DE.UTF-8, not generated; looks up Error)" in result.output


def test_cli_defaults_to_the_running_python(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["preview", write(tmp_path, LOCALES)])
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert f"== pip (Python {running}, LC_ALL=C.UTF-8; looks up " in result.output


def test_cli_errors(tmp_path: Path) -> None:
    missing = CliRunner().invoke(cli, ["preview", str(tmp_path / "nope")])
    assert missing.exit_code == 2
    assert "cannot read the marker" in missing.output
    bad = CliRunner().invoke(cli, ["preview", write(tmp_path, H), "--python", "2.7"])
    assert bad.exit_code == 2
    assert "is not a Python version" in bad.output


def test_preview_imports_no_jinja_or_babel(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from marker_tool.cli import cli\n"
        f"cli(['preview', {write(tmp_path, LOCALES)!r}], standalone_mode=False)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('jinja2', 'babel')]\n"
        "assert not bad, bad\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_all_names_each_programs_reason_when_none_shows_the_marker() -> None:
    text = preview(b"\xef\xbb\xbf" + H + b"Error = x\n", python=PY312).render()
    assert text.endswith(
        "same: pip, uv, uv-0.13.0 all show their own generic message, not the marker's\n"
        "  pip: MissingSectionHeaderError, line 1\n"
        "  uv: no section header before this line, line 1\n"
        "  uv-0.13.0: no `[externally-managed]` section\n"
    )
    latin1 = preview(H + b"Error = f\xfcr\n", python=PY312)
    assert latin1.view("pip").reason == "not UTF-8, line 2"


def test_width_wraps_uv_only(tmp_path: Path) -> None:
    data = H + b"Error = " + b"word " * 30 + b"end\n"
    result = preview(data, python=PY312, width=40)
    assert max(map(len, result.view("uv").output.splitlines())) <= 68  # the hint is not wrapped
    assert "\n       word" in result.view("uv").output
    assert result.view("pip").output == preview(data, python=PY312).view("pip").output
    cli_out = CliRunner().invoke(
        cli, ["preview", write(tmp_path, data), "--tool", "uv", "--width", "40"]
    )
    assert cli_out.output == result.view("uv").output


def test_on_a_terminal_escape_sequences_are_shown_not_sent(tmp_path: Path) -> None:
    import os
    import pty
    import subprocess
    import sys

    marker = tmp_path / "EXTERNALLY-MANAGED"
    marker.write_bytes(
        b"[externally-managed]\nError = Hi \x1b]0;title\x07 \x1b]52;c;eA==\x07 end\n"
    )
    root = Path(__file__).resolve().parent.parent

    def run(*extra: str) -> bytes:
        try:
            leader, follower = pty.openpty()
        except OSError:  # no /dev/pts, as in some build chroots
            missing("a pseudo-terminal (/dev/pts)")
            raise
        args = [sys.executable, "-m", "marker_tool", "preview", str(marker), "--tool", "pip"]
        process = subprocess.Popen(
            [*args, "--python", "3.12", *extra], stdout=follower, stderr=follower, cwd=root
        )
        os.close(follower)
        out = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        process.wait(timeout=60)
        os.close(leader)
        return out

    shown = run()
    assert b"\x1b]" not in shown
    assert b"\\x1b]0;title" in shown
    assert b"shown here as escapes" in shown
    assert b"\x1b]0;title" in run("--raw")
    piped = CliRunner().invoke(cli, ["preview", str(marker), "--tool", "pip", "--python", "3.12"])
    assert "\x1b]0;title" in piped.output  # a pipe gets pip's exact bytes


def test_visible_escapes_every_terminal_driving_character() -> None:
    from marker_tool.terminal import visible

    assert visible("plain\ttext\n") == ("plain\ttext\n", False)
    shown, escaped = visible("a\x1b[31mb\x9bc\u202ed\u200be\x07")
    assert escaped
    assert shown == "a\\x1b[31mb\\x9bc\\u202ed\\u200be\\x07"


def _full_optimal_fit(words: list[tuple[str, int]], widths: tuple[int, int]) -> list[int]:
    """textwrap's optimal fit looking back over every earlier word (quadratic): the reference."""
    total = [0]
    for word, spaces in words:
        total.append(total[-1] + len(word) + spaces)
    best: list[tuple[int, float, int]] = [(0, 0.0, 0)]
    for j in range(1, len(words) + 1):
        options = []
        for i in range(j):
            target = max(widths[min(best[i][2], 1)], 1)
            width = total[j] - total[i] - words[j - 1][1]
            cost = best[i][1] + 1000
            if width > target:
                cost += (width - target) * 2500
            elif j < len(words):
                cost += (target - width) ** 2
            elif i + 1 == j and width < target / 4:
                cost += 25
            options.append((cost, i))
        cost, i = min(options)
        best.append((i, cost, best[i][2] + 1))
    starts, j = [], len(words)
    while j > 0:
        j = best[j][0]
        starts.append(j)
    return starts[::-1]


def test_uv_wrapping_looks_back_a_bounded_window_and_still_finds_the_optimum() -> None:
    import random

    from marker_tool.terminal import _ascii_space_words, _optimal_fit

    rng = random.Random(668)
    for _ in range(2000):
        words = [
            "x" * rng.choice([1, 2, 3, 5, 8, 13, 30, 90, 150]) for _ in range(rng.randint(1, 50))
        ]
        line = "".join(word + " " * rng.choice([1, 1, 2, 3]) for word in words).rstrip()
        pieces = _ascii_space_words(line)
        for width in (10, 40, 80):
            widths = (width, width - 7)
            assert _optimal_fit(pieces, widths) == _full_optimal_fit(pieces, widths), line


def test_preview_of_one_huge_line_at_a_width_is_linear(tmp_path: Path) -> None:
    """600 KB in one line: the full look-back took 27 minutes here, the window about 1 s."""
    marker = tmp_path / "EXTERNALLY-MANAGED"
    words = " ".join("w" * (1 + n % 12) for n in range(80_000))
    marker.write_text(f"[externally-managed]\nError = {words}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["preview", str(marker), "--tool", "uv", "--width", "80"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) > 7000
    assert max(map(len, lines)) <= 80
