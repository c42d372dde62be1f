"""What an audit found, written out: its JSON document, the CI formats, text, a comparison.

The JSON document (schema version 1, docs/schema/audit.schema.json; fields are
only ever added) is the one everything else is made from: the HTML page and
`--compare` read it, so a report from an earlier run compares with this one
without the earlier run's cache. Each system's `reports` are `check`'s own
JSON entries, one per package; the CI formats (github, junit, codequality,
sarif) are `check`'s, with each package named by its suite and architecture.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from marker_tool import output
from marker_tool.audit.run import Audit, Checked, MarkerSeen
from marker_tool.errors import MarkerToolError
from marker_tool.layouts import stdlib_dir_version
from marker_tool.model import MiB

SCHEMA_VERSION = 1
#: The largest earlier report `--compare` reads.
REPORT_CAP = 256 * MiB
#: Formats of `audit --format`: the CI formats of `check`, and the audit's own JSON.
FORMAT_NAMES: tuple[str, ...] = output.FORMAT_NAMES


def marker_locales(data: bytes) -> list[str]:
    """The locales a marker has a message for: `C.UTF-8` (its `Error`), then one per
    `Error-<locale>` key, as a user would set LANG to see it."""
    from marker_tool.consumers import read_as_pip

    found = ["C.UTF-8"]
    for key in read_as_pip(data).options:
        if key.startswith("error-") and len(key) > 6:
            language, _, territory = key[6:].partition("_")
            name = f"{language}_{territory.upper()}" if territory else language
            found.append(f"{name}.UTF-8")
    return list(dict.fromkeys(found))


def marker_document(marker: MarkerSeen) -> dict[str, Any]:
    """A marker a system ships: its text, and what pip and uv show for it, per locale."""
    from marker_tool.preview import preview

    python = stdlib_dir_version(posixpath.dirname(marker.path))
    previews: list[dict[str, Any]] = []
    if marker.data is not None and python is not None:
        prefix = "/" + marker.path.split("/lib", 1)[0] if "/lib" in marker.path else "/usr"
        for locale in marker_locales(marker.data):
            shown = preview(
                marker.data, tools=("pip", "uv"), locale=locale, python=python, prefix=prefix
            )
            previews.append(
                {
                    "locale": locale,
                    "pip": _view(shown.view("pip")),
                    "uv": _view(shown.view("uv")),
                }
            )
    return {
        "package": marker.package,
        "path": marker.path,
        "python": str(python) if python is not None else None,
        "sha256": hashlib.sha256(marker.data).hexdigest() if marker.data is not None else None,
        "text": marker.data.decode("utf-8", "replace") if marker.data is not None else None,
        "diverted_by": marker.diverted_by,
        "previews": previews,
    }


def _view(view: Any) -> dict[str, Any]:
    return {"outcome": view.outcome, "key": view.key, "text": view.text, "output": view.output}


def system_document(checked: Checked) -> dict[str, Any]:
    plan = checked.plan
    return {
        "suite": plan.suite,
        "source": plan.source,
        "version": plan.version,
        "arch": plan.arch,
        "label": plan.label,
        "verdict": checked.verdict,
        "checked": checked.fresh,
        "packages": [b.to_json() for b in plan.packages],
        "reports": [s.document for s in checked.subjects],
        "markers": [marker_document(m) for m in checked.markers],
    }


def document(result: Audit, *, comparison: dict[str, Any] | None = None) -> dict[str, Any]:
    """The audit's JSON document (schema version 1)."""
    candidates = {b.sha256: b.size for c in result.systems for b in c.plan.packages}
    stats = result.stats
    return {
        "version": SCHEMA_VERSION,
        "kind": "audit",
        "strict": result.strict,
        "mirror": result.mirror,
        "suites": [
            {
                "name": s.name,
                "kind": s.kind,
                "codename": s.codename,
                "date": s.date,
                "valid_until": s.valid_until,
                "expired": s.expired,
                "verified_with": s.verified_with,
                "components": list(s.components),
                "architectures": list(s.architectures),
                "indexes": [
                    {"path": i.path, "size": i.size, "sha256": i.sha256} for i in s.indexes
                ],
                "notes": list(s.notes),
                "errors": list(s.errors),
            }
            for s in result.suites
        ],
        "systems": [system_document(c) for c in result.systems],
        "stats": {
            "index_bytes": stats.index_bytes,
            "index_cached_bytes": stats.index_cached_bytes,
            "candidates": len(candidates),
            "candidate_bytes": sum(candidates.values()),
            "package_bytes": stats.package_bytes,
            "packages_fetched": stats.packages_fetched,
            "packages_cached": stats.packages_cached,
            "systems_checked": sum(c.fresh for c in result.systems),
            "seconds": round(result.seconds, 3),
        },
        "comparison": comparison,
    }


# -- the CI formats and text ---------------------------------------------------------------


def subjects(result: Audit) -> list[output.Subject]:
    """`check`'s subjects of every system, each named with its suite and architecture."""
    out = []
    for checked in result.systems:
        where = f"{checked.plan.suite}/{checked.plan.arch}"
        for subject in checked.subjects:
            out.append(
                replace(
                    subject,
                    name=f"{where}: {subject.name}",
                    title=f"{where}: {subject.title or subject.name}",
                )
            )
    return out


def installed_marker(system: dict[str, Any]) -> dict[str, Any] | None:
    """The marker dpkg leaves in place: a diverting package's, else the stdlib's own."""
    markers = [m for m in system["markers"] if not m["diverted_by"]]
    return markers[0] if markers else None


def shipping_table(doc: dict[str, Any]) -> list[str]:
    """What each suite ships: a line per system, its verdict and its marker's first words."""
    rows = [("suite/arch", "source", "version", "verdict", "marker")]
    for system in doc["systems"]:
        marker = installed_marker(system)
        if marker is None:
            said = "none"
        elif marker["text"] is None:
            said = "(not a regular file)"
        else:
            first = next((p["pip"] for p in marker["previews"] if p["locale"] == "C.UTF-8"), None)
            words = (first or {}).get("text") or marker["text"]
            said = " ".join(words.split())[:48]
            said = f"{marker['sha256'][:8]} {said}"
        rows.append(
            (
                f"{system['suite']}/{system['arch']}",
                system["source"],
                system["version"],
                system["verdict"],
                output.printable(said),
            )
        )
    widths = [max(len(r[n]) for r in rows) for n in range(4)]
    return [
        "  ".join(c.ljust(w) for c, w in zip(r[:4], widths, strict=True)) + "  " + r[4]
        for r in rows
    ]


def figures(doc: dict[str, Any]) -> str:
    s = doc["stats"]
    return (
        f"{len(doc['systems'])} systems in {len(doc['suites'])} suites; "
        f"{s['candidates']} candidates ({s['candidate_bytes'] / 1e6:.1f} MB); read "
        f"{s['index_bytes'] / 1e6:.1f} MB of indexes and {s['package_bytes'] / 1e6:.1f} MB "
        f"of packages ({s['packages_cached']} packages from the cache) in {s['seconds']:.1f} s"
    )


def write(result: Audit, fmt: str, doc: dict[str, Any], *, style: bool = False) -> str:
    """The audit in `fmt`: `json` is the audit's document, the others are `check`'s formats."""
    if fmt == "json":
        return json.dumps(doc, indent=2) + "\n"
    options = output.Options(
        strict=result.strict, style=style, summary=fmt == "text", run="marker-tool audit"
    )
    written = output.write(subjects(result), fmt, options)  # type: ignore[arg-type]
    if fmt != "text":
        return written
    lines = [written.rstrip("\n")] if written.strip() else []
    for suite in doc["suites"]:
        lines += [f"{suite['name']}: note: {output.printable(n)}" for n in suite["notes"]]
    lines += ["", *shipping_table(doc)]
    if doc["comparison"] is not None:
        lines += ["", *comparison_lines(doc["comparison"])]
    lines.append(figures(doc))
    return "\n".join(lines) + "\n"


# -- two runs compared -----------------------------------------------------------------------


def load_report(path: str) -> dict[str, Any]:
    """An earlier audit's JSON document, checked enough to compare with."""
    from marker_tool import safeio

    data = safeio.read_bytes(path, kind="report", limit=REPORT_CAP)
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise MarkerToolError(
            f"not JSON: {exc}", file=path, hint="give a report of `audit --format json`"
        ) from None
    if not isinstance(doc, dict) or doc.get("kind") != "audit":
        raise MarkerToolError(
            "not the JSON of `marker-tool audit`",
            file=path,
            hint="write one with `marker-tool audit ... --format json > old.json`",
        )
    if doc.get("version") != SCHEMA_VERSION:
        raise MarkerToolError(
            f"schema version {doc.get('version')!r}; this marker-tool reads {SCHEMA_VERSION}",
            file=path,
        )
    try:
        for system in doc["systems"]:
            for key in ("suite", "source", "version", "arch", "verdict", "markers"):
                system[key]
    except (KeyError, TypeError):
        raise MarkerToolError(
            "a system of the report lacks its suite, source, version, arch, verdict or "
            "markers (edited by hand?)",
            file=path,
        ) from None
    return doc


def _pairs(old: Sequence[str], new: Sequence[str]) -> list[tuple[str, str]]:
    """Suites compared: same names, else the one suite of each run (a derivative and its
    base, or one release and the next)."""
    same = [(s, s) for s in new if s in old]
    if same:
        return same
    if len(old) == 1 and len(new) == 1:
        return [(old[0], new[0])]
    return []


def _summary(system: dict[str, Any] | None) -> dict[str, Any] | None:
    if system is None:
        return None
    marker = installed_marker(system)
    diverted = [m for m in system["markers"] if m["diverted_by"]]
    return {
        "version": system["version"],
        "verdict": system["verdict"],
        "marker_sha256": marker["sha256"] if marker else None,
        "marker_text": marker["text"] if marker else None,
        "marker_package": marker["package"] if marker else None,
        "diversions": sorted(
            f"{m['diverted_by']} diverts {m['path']} of {m['package']}" for m in diverted
        ),
    }


def compare(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """What changed from `old` to `new`: per suite pair, source and architecture."""
    pairs = _pairs([s["name"] for s in old["suites"]], [s["name"] for s in new["suites"]])
    changes = []
    for before, after in pairs:

        def index(doc: dict[str, Any], suite: str) -> dict[tuple[str, str], dict[str, Any]]:
            return {(s["source"], s["arch"]): s for s in doc["systems"] if s["suite"] == suite}

        was, now = index(old, before), index(new, after)
        for key in sorted(set(was) | set(now)):
            a, b = _summary(was.get(key)), _summary(now.get(key))
            what = _what_changed(a, b)
            if what:
                changes.append(
                    {
                        "old_suite": before,
                        "new_suite": after,
                        "source": key[0],
                        "arch": key[1],
                        "changes": what,
                        "old": a,
                        "new": b,
                    }
                )
    return {"old_mirror": old.get("mirror"), "pairs": [list(p) for p in pairs], "changes": changes}


def _what_changed(a: dict[str, Any] | None, b: dict[str, Any] | None) -> list[str]:
    if a is None:
        return ["added"]
    if b is None:
        return ["removed"]
    found = []
    for key, name in (
        ("version", "version"),
        ("verdict", "verdict"),
        ("marker_sha256", "marker"),
        ("diversions", "diversions"),
    ):
        if a[key] != b[key]:
            found.append(name)
    return found


def comparison_lines(comparison: dict[str, Any]) -> list[str]:
    if not comparison["pairs"]:
        return ["compared: no suite of one run matches a suite of the other"]
    lines = [
        "compared with "
        + str(comparison["old_mirror"])
        + ": "
        + ", ".join(f"{a} -> {b}" for a, b in comparison["pairs"])
    ]
    if not comparison["changes"]:
        lines.append("  no change")
    for change in comparison["changes"]:
        old, new = change["old"] or {}, change["new"] or {}
        what = ", ".join(change["changes"])
        lines.append(
            f"  {change['new_suite']}/{change['arch']} {change['source']}: {what} "
            f"({old.get('version', '-')} {old.get('verdict', '-')} -> "
            f"{new.get('version', '-')} {new.get('verdict', '-')})"
        )
    return [output.printable(line) for line in lines]


# -- the JSON document's schema (JSON Schema 2020-12) -----------------------------------------


def json_schema() -> dict[str, Any]:
    """The schema of `audit --format json`; each report is `check`'s own package entry."""
    from marker_tool.jsondoc import package_record
    from marker_tool.model import VERDICTS

    package_entry = package_record().schema()
    string = {"type": "string"}
    nullable = {"type": ["string", "null"]}
    integer = {"type": "integer", "minimum": 0}
    verdict = {"enum": list(VERDICTS)}

    def record(properties: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": properties,
            "required": sorted(properties),
            "additionalProperties": False,
        }

    def array(items: dict[str, Any]) -> dict[str, Any]:
        return {"type": "array", "items": items}

    view = record(
        {
            "outcome": {"enum": ["message", "generic", "crash", "installs"]},
            "key": nullable,
            "text": nullable,
            "output": string,
        }
    )
    marker = record(
        {
            "package": string,
            "path": string,
            "python": nullable,
            "sha256": nullable,
            "text": nullable,
            "diverted_by": nullable,
            "previews": array(record({"locale": string, "pip": view, "uv": view})),
        }
    )
    binary = record(
        {
            "name": string,
            "version": string,
            "arch": string,
            "source": string,
            "source_version": string,
            "filename": string,
            "size": integer,
            "sha256": string,
        }
    )
    system = record(
        {
            "suite": string,
            "source": string,
            "version": string,
            "arch": string,
            "label": string,
            "verdict": verdict,
            "checked": {"type": "boolean"},
            "packages": array(binary),
            "reports": array(package_entry),
            "markers": array(marker),
        }
    )
    suite = record(
        {
            "name": string,
            "kind": {"enum": ["apt", "rpm-md"]},
            "codename": nullable,
            "date": nullable,
            "valid_until": nullable,
            "expired": {"type": "boolean"},
            "verified_with": nullable,
            "components": array(string),
            "architectures": array(string),
            "indexes": array(record({"path": string, "size": integer, "sha256": string})),
            "notes": array(string),
            "errors": array(string),
        }
    )
    side = {
        "type": ["object", "null"],
        "properties": {
            "version": string,
            "verdict": verdict,
            "marker_sha256": nullable,
            "marker_text": nullable,
            "marker_package": nullable,
            "diversions": array(string),
        },
        "required": ["version", "verdict", "marker_sha256", "diversions"],
    }
    comparison = {
        "type": ["object", "null"],
        "properties": {
            "old_mirror": nullable,
            "pairs": array({"type": "array", "items": string, "minItems": 2, "maxItems": 2}),
            "changes": array(
                record(
                    {
                        "old_suite": string,
                        "new_suite": string,
                        "source": string,
                        "arch": string,
                        "changes": array(
                            {
                                "enum": [
                                    "added",
                                    "removed",
                                    "version",
                                    "verdict",
                                    "marker",
                                    "diversions",
                                ]
                            }
                        ),
                        "old": side,
                        "new": side,
                    }
                )
            ),
        },
        "required": ["old_mirror", "pairs", "changes"],
    }
    stats = record(
        {
            name: integer
            for name in (
                "index_bytes",
                "index_cached_bytes",
                "candidates",
                "candidate_bytes",
                "package_bytes",
                "packages_fetched",
                "packages_cached",
                "systems_checked",
            )
        }
        | {"seconds": {"type": "number", "minimum": 0}}
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "marker-tool audit --format json",
        "description": "Schema version 1: fields are only ever added. Each system's `reports` "
        "are check's JSON entries (docs/schema/check.schema.json), one per package.",
        **record(
            {
                "version": {"const": SCHEMA_VERSION},
                "kind": {"const": "audit"},
                "strict": {"type": "boolean"},
                "mirror": string,
                "suites": array(suite),
                "systems": array(system),
                "stats": stats,
                "comparison": comparison,
            }
        ),
    }


if __name__ == "__main__":
    print(json.dumps(json_schema(), indent=2))
