"""The pipeline's data types: immutable, keyword-constructible, changed with `_replace`."""

from __future__ import annotations

from dataclasses import replace

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
    changed = replace(d, i18n=replace(d.i18n, locales=("de",)), layout="rpm")
    assert changed.i18n.locales == ("de",)
    assert changed.layout == "rpm"
    assert d.i18n.locales == ()
    assert d.layout == "deb"
    assert replace(changed, i18n=I18nSettings(), layout="deb") == d


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


def test_records_are_frozen_slotted_dataclasses_not_tuples() -> None:
    version = PythonVersion(3, 12)
    assert version != (3, 12, False)  # type: ignore[comparison-overlap]
    assert not hasattr(version, "_replace")
    with pytest.raises(AttributeError):
        version.minor = 13  # type: ignore[misc]
    assert not hasattr(version, "__dict__")
