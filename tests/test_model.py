"""The pipeline's data types: immutable, keyword-constructible, changed with `_replace`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from marker_tool.model import Distributor, I18nSettings, Marker, Message, PythonVersion

PY = PythonVersion(3, 12)


def test_distributor_defaults_and_keywords() -> None:
    d = Distributor(name="Debian", layout="deb", pythons=(PY,), template="builtin:default")
    assert d.i18n == I18nSettings()
    assert d.i18n.locales == ()
    assert d.i18n.territory_fallback is True
    assert (d.variables, d.prefix, d.libdir, d.preset, d.source) == ((), None, None, None, None)


def test_replace_changes_one_field_and_leaves_the_original() -> None:
    d = Distributor("Debian", "deb", (PY,), "builtin:default")
    changed = d._replace(i18n=d.i18n._replace(locales=("de",)), layout="rpm")
    assert changed.i18n.locales == ("de",)
    assert changed.layout == "rpm"
    assert d.i18n.locales == ()
    assert d.layout == "deb"
    assert changed._replace(i18n=I18nSettings(), layout="deb") == d


@pytest.mark.parametrize(
    ("value", "field"),
    [
        (Message("Error", "Use apt."), "text"),
        (I18nSettings(), "partial"),
        (Distributor("Debian", "deb", (PY,), "builtin:default"), "name"),
    ],
)
def test_immutable(value: object, field: str) -> None:
    with pytest.raises(AttributeError):
        setattr(value, field, "x")


def test_message_equality_and_hashing() -> None:
    message = Message(key="Error-de", text="Bitte apt benutzen.", locale="de")
    assert message == Message("Error-de", "Bitte apt benutzen.", "de")
    assert message != Message("Error-de", "Bitte apt benutzen.")
    assert Message("Error", "x").locale is None
    assert len({message, Message("Error-de", "Bitte apt benutzen.", "de")}) == 1
    marker = Marker(PY, (Message("Error", "Use apt."), message))
    assert marker.text("Error-de") == "Bitte apt benutzen."
    assert hash(marker) == hash(Marker(PY, (Message("Error", "Use apt."), message)))


def test_importing_the_model_does_not_import_dataclasses() -> None:
    # Every command imports the model; dataclasses (and what it imports) would
    # cost each of them start-up time.
    code = "import sys, marker_tool.model; print('dataclasses' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "tests/markers/valid/debian-bookworm.EXTERNALLY-MANAGED"],
        ["path", "--layout", "deb", "--python", "3.12"],
    ],
)
def test_validate_and_path_do_not_import_dataclasses(args: list[str]) -> None:
    code = (
        "import sys\n"
        "from marker_tool.cli import main\n"
        f"sys.argv = ['marker-tool', *{args!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('dataclasses' in sys.modules, file=sys.stderr)\n"
    )
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    assert out.stderr.strip().splitlines()[-1] == "False"
