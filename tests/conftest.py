from __future__ import annotations

from pathlib import Path

import pytest

from tests.realprograms import make_locales


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="rewrite the golden files (rendered markers, the rules' expected findings, "
        "docs/config-reference.md) from the current output, then review the diff",
    )


class Goldens:
    """The committed files a test compares its output with."""

    def __init__(self, update: bool) -> None:
        #: True under `--update-goldens`: write the output before comparing.
        self.update = update

    def check(self, path: Path, actual: str) -> None:
        """Assert that `path` holds `actual` (rewriting it first under --update-goldens)."""
        if self.update and (not path.is_file() or path.read_text(encoding="utf-8") != actual):
            path.write_text(actual, encoding="utf-8")
        assert path.read_text(encoding="utf-8") == actual, (
            f"{path.name} differs from the output; if the change is intended, rerun "
            "pytest with --update-goldens and review the diff"
        )


@pytest.fixture
def goldens(request: pytest.FixtureRequest) -> Goldens:
    """Compare with golden files, or rewrite them under `--update-goldens`."""
    return Goldens(bool(request.config.getoption("--update-goldens")))


@pytest.fixture(scope="session")
def locpath(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private LOCPATH with the test locales, generated once per session."""
    return make_locales(tmp_path_factory.mktemp("locales"))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The differential oracle's counts, when its tests ran (tests/test_oracle.py)."""
    import sys

    module = sys.modules.get("tests.test_oracle")
    tally = getattr(module, "TALLY", None)
    if tally is None or not tally.systems:
        return
    terminalreporter.section("oracle: check against the real programs")
    terminalreporter.write_line(
        f"systems {len(tally.systems)}, interpreters {len(tally.interpreters)}, "
        f"packages {len(tally.packages)}, .debs judged against dpkg-deb {tally.judged_debs}, "
        f"agreements {tally.agreements}, disagreements {len(tally.disagreements)}"
    )
    for line in tally.disagreements:
        terminalreporter.write_line(f"  {line[:400]}")
