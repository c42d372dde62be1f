from __future__ import annotations

import sys
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from tests import realprograms
from tests.realprograms import make_locales

# Installed once per test process (each pytest-xdist worker imports this file):
# every program a test starts goes through it.
sys.addaudithook(realprograms.audit)

#: What a test started so far (setup, call and teardown added up).
STARTED = pytest.StashKey[list[str]]()
#: Whether every phase so far passed.
PASSED = pytest.StashKey[bool]()
#: A user property on a passed `real` test's teardown report when it started nothing.
STARTED_NOTHING = "real test started no external program"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="rewrite the golden files (rendered markers, the rules' expected findings, "
        "docs/config-reference.md) from the current output, then review the diff",
    )
    parser.addoption(
        "--stop-after-real",
        action="store_true",
        default=False,
        help="stop the run once a test marked real has passed that started an external "
        "program: the fresh-machine check, which proves the install steps up to there",
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, None, None]:
    item.stash[STARTED] = []
    item.stash[PASSED] = True
    realprograms.start_recording()
    try:
        yield
    finally:
        realprograms.stop_recording()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    started = realprograms.take_started()
    if STARTED not in item.stash:  # run outside pytest_runtest_protocol (another plugin)
        return
    item.stash[STARTED].extend(started)
    real = item.get_closest_marker("real") is not None
    if started and not real and report.passed:
        report.outcome = "failed"
        report.longrepr = (
            f"{item.nodeid} started {', '.join(started)} but is not marked real: mark it "
            "@pytest.mark.real (`make test-fast` runs only the tests that start no "
            "external program)"
        )
    item.stash[PASSED] = item.stash[PASSED] and not report.failed and not report.skipped
    if real and call.when == "teardown":
        everything: list[str] = item.stash[STARTED]
        if everything:
            report.user_properties.append(("started", " ".join(everything)))
        elif item.stash[PASSED]:
            report.user_properties.append((STARTED_NOTHING, True))


class RealAudit:
    """Collects, on the process that reports (the xdist controller), what the tests started."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.idle: list[str] = []
        #: Whether --stop-after-real stopped the run.
        self.stopped = False

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "teardown":
            return
        properties = dict(report.user_properties)
        if properties.get(STARTED_NOTHING):
            self.idle.append(report.nodeid)
        elif properties.get("started") and self.config.getoption("--stop-after-real"):
            reason = f"{report.nodeid} passed, started {properties['started']}"
            self.stopped = True
            self.config.stash[SESSION].shouldstop = reason
            # Under pytest-xdist the controller's scheduler decides when to stop.
            scheduler = self.config.pluginmanager.getplugin("dsession")
            if scheduler is not None:
                scheduler.shouldstop = reason

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        # Stopping where asked, with nothing failed, is a successful run.
        if self.stopped and not session.testsfailed:
            session.exitstatus = pytest.ExitCode.OK

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if not self.idle:
            return
        terminalreporter.section("tests marked real that started no external program")
        for nodeid in sorted(self.idle):
            terminalreporter.line(nodeid)
        terminalreporter.line(
            "(a test that needs no external program belongs in `make test-fast`: "
            "drop its real mark)"
        )


SESSION = pytest.StashKey[pytest.Session]()


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(RealAudit(config), "marker-tool-real-audit")


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[SESSION] = session


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
def _locales() -> Path:
    return make_locales()


@pytest.fixture
def locpath(_locales: Path) -> Path:
    """A private LOCPATH with the test locales (generated by localedef, cached under build/)."""
    realprograms.note_program("localedef")
    return _locales


#: The differential oracle's tests' shares of its tally (tests/oracle.py's Tally).
ORACLE_SHARES: list[Any] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "teardown" and report.user_properties:
        from tests.oracle import Tally

        ORACLE_SHARES.extend(v for name, v in report.user_properties if name == Tally.PROPERTY)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The differential oracle's counts, when its tests ran."""
    if not ORACLE_SHARES:
        return
    from tests.oracle import Tally

    tally = Tally()
    for share in ORACLE_SHARES:
        tally.add(share)
    terminalreporter.section("oracle: check against the real programs")
    for line in tally.lines():
        terminalreporter.write_line(line)
