"""docs/extending.md's checklists, held to the code: each step that can be forgotten fails here
with the step's own words, and those words are in the checklist.

The generated pages (docs/rules.md, docs/check.md's formats, docs/schema/) are held to the
registries by tests/test_docs.py, output formats' goldens by tests/test_output.py; they quote
their step the same way.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from marker_tool.check.rules import SYSTEM_RULES
from marker_tool.presets import PRESETS
from marker_tool.rules import RULES
from marker_tool.sources.detect import READERS
from tests.packages import READER_BUILDERS

ROOT = Path(__file__).resolve().parent.parent
CHECKLISTS = (ROOT / "docs" / "extending.md").read_text(encoding="utf-8")
MARKERS = ROOT / "tests" / "markers"
#: Marker rules whose finding no file's bytes alone can give: placement (EM5xx, tested with
#: installed files) and the backstop that only a file too large to read gets.
NO_EXAMPLE = {"EM107", "EM212", "EM501", "EM502", "EM503", "EM504", "EM505"}


def step(checklist: str, words: str) -> str:
    """`words`, checked to be a step of `checklist` in docs/extending.md, for a message."""
    section = CHECKLISTS.split(f"## {checklist}", 1)[1].split("\n## ", 1)[0]
    assert " ".join(words.split()) in " ".join(section.split()), (checklist, words)
    return f"docs/extending.md, {checklist}: {words}"


@pytest.mark.parametrize(
    "rule", [r for r in RULES if r.code not in NO_EXAMPLE], ids=lambda r: r.code
)
def test_a_marker_rule_has_its_failing_example(rule: object) -> None:
    code = rule.code  # type: ignore[attr-defined]
    examples = sorted((MARKERS / "invalid").glob(f"{code}-*.EXTERNALLY-MANAGED"))
    where = step("A new validation rule (a marker's: EM1xx to EM5xx)", "Add a failing example")
    assert examples, f"{code} has no example under tests/markers/invalid/: {where}"
    for example in examples:
        expected = example.with_name(example.name.replace(".EXTERNALLY-MANAGED", ".errors.txt"))
        assert expected.is_file(), f"{example.name} has no .errors.txt: {where}"


@pytest.mark.parametrize("rule", SYSTEM_RULES, ids=lambda r: r.code)
def test_a_system_rule_has_a_test_that_makes_it_fire(rule: object) -> None:
    code = rule.code  # type: ignore[attr-defined]
    tests = "".join(
        p.read_text(encoding="utf-8")
        for p in (ROOT / "tests").glob("test_*.py")
        if p.name != "test_extending.py"
    )
    assert re.search(rf"\b{code}\b", tests), f"no test names {code}: " + step(
        "A new system rule (`check`: EM6xx)", "A test that makes it fire through `check`"
    )


@pytest.mark.parametrize("preset", PRESETS)
def test_a_preset_has_its_golden_file_and_its_row(preset: str) -> None:
    golden = ROOT / "tests" / "golden" / f"{preset}.EXTERNALLY-MANAGED"
    assert golden.is_file(), f"no {golden.name}: " + step("A new preset", "Its golden file")
    table = (ROOT / "docs" / "config.md").read_text(encoding="utf-8")
    rows = [line for line in table.splitlines() if line.startswith("| ")]
    assert any(re.search(rf"(^\| |, ){re.escape(preset)}( \||,)", row) for row in rows), (
        f"docs/config.md has no row for {preset}: "
        + step("A new preset", "A row in the presets table of `docs/config.md`")
    )


def test_every_preset_file_is_listed() -> None:
    files = {p.stem for p in (ROOT / "templates" / "presets").glob("*.toml")}
    missing = sorted(files - set(PRESETS))
    assert not missing, f"{missing} not in PRESETS: " + step("A new preset", "Add `NAME` to")


@pytest.mark.parametrize("reader", READERS, ids=lambda r: r.name)
def test_a_reader_has_a_builder_for_the_contract_test(reader: object) -> None:
    name = reader.name  # type: ignore[attr-defined]
    assert READER_BUILDERS.get(name), f"no builder of `{name}` in tests/packages.py: " + step(
        "A new archive format for `check`", "A builder of the format in `tests/packages.py`"
    )


def test_no_builder_for_a_format_no_reader_reads() -> None:
    assert set(READER_BUILDERS) == {r.name for r in READERS}


def test_each_addition_is_four_files_at_most() -> None:
    """Each checklist's numbered steps name the files an addition touches: four at most."""
    for section in CHECKLISTS.split("\n## ")[1:]:
        title = section.splitlines()[0]
        steps = re.findall(r"^\d+\. ", section, flags=re.MULTILINE)
        assert len(steps) <= 4, f"{title}: {len(steps)} steps"
