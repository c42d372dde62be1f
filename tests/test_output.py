"""Every output format has a golden file for `validate` and for `check`.

The same reports in each format of `marker_tool.output.FORMATS`, compared with
tests/golden/output/COMMAND.FORMAT: a passing, a warning and a failing marker
(`validate`), and a tree with a stdlib, one without its marker and one with
nothing to check (`check`). A new format fails here until its goldens exist
(docs/extending.md, "A new output format"). The machine formats are parsed back
with their consumer's own reader where there is one (JSON, XML).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from marker_tool import output
from marker_tool.check import check
from marker_tool.validate import validate_path
from tests.conftest import Goldens
from tests.packages import lay_out, stdlib_tree

GOLDEN = Path(__file__).parent / "golden" / "output"
MARKERS = Path(__file__).parent / "markers"
VALIDATED = (
    "valid/debian-bookworm.EXTERNALLY-MANAGED",
    "invalid/EM407-quoted-message.EXTERNALLY-MANAGED",
    "invalid/EM205-duplicate-key.EXTERNALLY-MANAGED",
)


@pytest.fixture
def here(tmp_path: Path) -> Iterator[Path]:
    """Run in `tmp_path`, so every path in the output is relative and the same each run."""
    before = os.getcwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(before)


def validate_text(fmt: output.Format, root: Path) -> str:
    for name in VALIDATED:
        target = root / "markers" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((MARKERS / name).read_bytes())
    reports = [validate_path(f"markers/{name}", installed=False) for name in VALIDATED]
    options = output.Options(run="marker-tool validate")
    return output.write(output.marker_subjects(reports), fmt, options)


def check_text(fmt: output.Format, root: Path) -> str:
    lay_out(stdlib_tree(), root / "good")
    lay_out(stdlib_tree(marker=None), root / "unmarked")
    (root / "empty").mkdir()
    reports = check(["good", "unmarked", "empty"], jobs=1)
    options = output.Options(json_key="packages", summary=True, run="marker-tool check")
    return output.write(output.package_subjects(reports), fmt, options)


def stable(text: str) -> str:
    """The output with this marker-tool's version left out (SARIF names it)."""
    from marker_tool import __version__

    return re.sub(rf'"version": "{re.escape(__version__)}"', '"version": "VERSION"', text)


@pytest.mark.parametrize("fmt", output.FORMAT_NAMES)
@pytest.mark.parametrize("command", ["validate", "check"])
def test_every_format_has_its_golden(
    here: Path, goldens: Goldens, command: str, fmt: output.Format
) -> None:
    text = stable(validate_text(fmt, here) if command == "validate" else check_text(fmt, here))
    golden = GOLDEN / f"{command}.{fmt}"
    assert golden.is_file() or goldens.update, (
        f"no golden for the `{fmt}` format: a new output format needs a golden test of its "
        "output (docs/extending.md, A new output format, step 2): "
        "pytest --update-goldens tests/test_output.py writes it"
    )
    goldens.check(golden, text)
    if fmt in ("json", "sarif", "codequality"):
        json.loads(text)
    if fmt == "junit":
        ET.fromstring(text.encode())
