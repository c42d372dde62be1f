"""The JSON documents of `validate` and `check`: one field list each, two products.

Every entry of the documents is described once, as a `Record` of `Field`s
(name, JSON kind, how to get it from the value): `Record.of(value)` makes the
entry, `Record.schema()` its JSON Schema (2020-12), so the document and
docs/schema/ cannot drift apart. Every vocabulary comes from its one owner: rule
codes from the registry, severities from `model.Severity`, verdicts from
`model.VERDICTS`, pip's outcomes from `check.report.PIP_OUTCOMES`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

#: The version of the documents' schema; bumped only for incompatible changes.
JSON_SCHEMA_VERSION = 1
Schema = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Kind:
    """A JSON kind: its schema, and how a value becomes JSON (as it is, by default)."""

    schema: Schema
    convert: Callable[[Any], Any] = lambda value: value


@dataclass(frozen=True, slots=True)
class Enum:
    """A kind whose values come from a registry, asked only when the schema is written
    (`validate` writes documents without loading every rule)."""

    values: Callable[[], Iterable[str]]
    convert: Callable[[Any], Any] = lambda value: value

    @property
    def schema(self) -> Schema:
        return {"enum": list(self.values())}


def enum(values: Iterable[str]) -> Kind:
    return Kind({"enum": list(values)})


STRING = Kind({"type": "string"})
STRING_OR_NULL = Kind({"type": ["string", "null"]})
INTEGER_OR_NULL = Kind({"type": ["integer", "null"]})
STRINGS = Kind({"type": "array", "items": {"type": "string"}}, list)
TEXT = Kind({"type": "string"}, str)  # a value shown by its str(): a Python version


@dataclass(frozen=True, slots=True)
class Field:
    """One key of an entry: its name, its kind, and where its value comes from."""

    name: str
    kind: Kind | Enum | Record | Many
    get: Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class Record:
    """A JSON object of fixed fields, every one always there."""

    fields: tuple[Field, ...]

    def schema(self) -> Schema:
        properties = {f.name: _schema(f.kind) for f in self.fields}
        return {
            "type": "object",
            "properties": properties,
            "required": sorted(properties),
            "additionalProperties": False,
        }

    def of(self, value: Any) -> dict[str, Any]:
        return {f.name: _convert(f.kind, f.get(value)) for f in self.fields}


@dataclass(frozen=True, slots=True)
class Many:
    """A JSON array of one record."""

    record: Record

    def schema(self) -> Schema:
        return {"type": "array", "items": self.record.schema()}

    def of(self, values: Iterable[Any]) -> list[dict[str, Any]]:
        return [self.record.of(v) for v in values]


def _schema(kind: Kind | Enum | Record | Many) -> Schema:
    return kind.schema if isinstance(kind, Kind | Enum) else kind.schema()


def _convert(kind: Kind | Enum | Record | Many, value: Any) -> Any:
    return kind.convert(value) if isinstance(kind, Kind | Enum) else kind.of(value)


def _codes() -> list[str]:
    from marker_tool.check.registry import REGISTRY

    return [rule.code for rule in REGISTRY]


def _code() -> Enum:
    return Enum(_codes)


def _severity() -> Kind:
    from marker_tool.model import Severity

    return Kind({"enum": [s.value for s in Severity]}, lambda severity: severity.value)


def _verdict() -> Kind:
    from marker_tool.model import VERDICTS

    return enum(VERDICTS)


def finding_record(*, path: bool) -> Record:
    """A finding (`Located`): code, severity, message, line, and with `path` the path
    inside its package."""
    fields = [
        Field("code", _code(), lambda i: i.finding.code),
        Field("severity", _severity(), lambda i: i.finding.severity),
        *([Field("path", STRING_OR_NULL, lambda i: i.where)] if path else []),
        Field("line", INTEGER_OR_NULL, lambda i: i.finding.line),
        Field("message", STRING, lambda i: i.finding.message),
    ]
    return Record(tuple(fields))


def file_record() -> Record:
    """`validate`'s entry per marker file (a `validate.Report`)."""
    from marker_tool.model import Located

    return Record(
        (
            Field("path", STRING, lambda r: r.path),
            Field("verdict", _verdict(), lambda r: r.verdict),
            Field(
                "findings",
                Many(finding_record(path=False)),
                lambda r: [Located(f) for f in r.findings],
            ),
        )
    )


def package_record() -> Record:
    """`check`'s entry per package, image, tree or system (a `check.PackageReport`)."""
    from marker_tool.check.report import PIP_OUTCOMES
    from marker_tool.model import Located

    waived = Record(
        (
            Field("code", _code(), lambda i: i.finding.code),
            Field("path", STRING_OR_NULL, lambda i: i.where),
            Field("message", STRING, lambda i: i.finding.message),
            Field("reason", STRING, lambda i: i.reason),
        )
    )
    pip = Record(
        (
            Field("outcome", enum(PIP_OUTCOMES), lambda m: m.outcome),
            Field("text", STRING_OR_NULL, lambda m: m.text),
        )
    )
    marker = Record(
        (
            Field("path", STRING, lambda m: m.path),
            Field("python", TEXT, lambda m: m.python),
            Field("pip", pip, lambda m: m),
        )
    )
    stdlib = Record(
        (
            Field("path", STRING, lambda d: d.path),
            Field("python", TEXT, lambda d: d.python),
            Field("marker", STRING_OR_NULL, lambda d: d.marker),
        )
    )
    return Record(
        (
            Field("source", STRING, lambda p: p.source),
            Field("label", STRING, lambda p: p.label),
            Field("system", STRING, lambda p: p.system),
            Field("format", STRING_OR_NULL, lambda p: p.format),
            Field("verdict", _verdict(), lambda p: p.verdict),
            Field(
                "waived",
                Many(waived),
                lambda p: [Located(w.finding, w.where, w.reason) for w in p.waived],
            ),
            Field("notes", STRINGS, lambda p: p.notes),
            Field("findings", Many(finding_record(path=True)), lambda p: p.located()),
            Field("markers", Many(marker), lambda p: p.shown),
            Field("stdlibs", Many(stdlib), lambda p: p.stdlibs),
        )
    )


def document(key: Literal["files", "packages"], strict: bool, entries: Sequence[Any]) -> Schema:
    """The whole document: `{"version": 1, "strict": ..., KEY: [entries]}`."""
    return {"version": JSON_SCHEMA_VERSION, "strict": strict, key: list(entries)}


def json_schema(key: Literal["files", "packages"]) -> Schema:
    """The JSON Schema of `validate --format json` (`files`) or `check`'s (`packages`)."""
    entry = file_record() if key == "files" else package_record()
    command = "validate" if key == "files" else "check"
    whole = Record(
        (
            Field("version", Kind({"const": JSON_SCHEMA_VERSION}), lambda d: d),
            Field("strict", Kind({"type": "boolean"}), lambda d: d),
            Field(key, Many(entry), lambda d: d),
        )
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"marker-tool {command} --format json",
        "description": "Schema version 1: fields are only ever added; codes come from the "
        "rule registry (marker-tool validate --list-rules).",
        **whole.schema(),
    }
