"""The audit's HTML page: one file, no external assets, made from the JSON document.

Per Python source, a grid of suites by architectures coloured by verdict; a
cell is a link to its system's details (findings, the marker's text, what pip
and uv show per locale, the diversions), which CSS's `:target` opens, so the
page works from a file with scripts off. Below: what each suite ships, and the
comparison with an earlier run when there is one. Every string from a mirror
is escaped: package names, paths and marker text are data, never markup.
"""

from __future__ import annotations

import difflib
from html import escape
from typing import Any

from marker_tool.model import VERDICTS

CSS = """
:root {
  --pass: #1a7f37;
  --warn: #9a6700;
  --fail: #cf222e;
  --none: #8c959f;
  --ink: #1f2328;
  --line: #d0d7de;
  --soft: #f6f8fa;
  font-family: system-ui, sans-serif;
  color: var(--ink);
}
body { margin: 2rem auto; max-width: 72rem; padding: 0 1rem; line-height: 1.45;}
h1 { font-size: 1.6rem; margin-bottom: .2rem;}
h2 { margin-top: 2rem;}
.meta { color: #57606a; margin-top: 0;}
.note {
  border-left: 4px solid var(--warn);
  background: #fff8c5;
  padding: .4rem .8rem;
  margin: .4rem 0;
}
table { border-collapse: collapse; margin: .5rem 0 1rem;}
th, td {
  border: 1px solid var(--line);
  padding: .3rem .6rem;
  text-align: left;
  vertical-align: top;
}
th { background: var(--soft);}
table.grid td { padding: 0; min-width: 9rem;}
a.cell { display: block; padding: .45rem .6rem; color: #fff; text-decoration: none;}
a.cell small { display: block; opacity: .9;}
.v-PASSED { background: var(--pass);}
.v-PASSED-with-warnings { background: var(--warn);}
.v-FAILED { background: var(--fail);}
td.empty { color: var(--none); padding: .45rem .6rem;}
.badge { color: #fff; border-radius: 1rem; padding: 0 .55rem; font-size: .85rem;}
section.detail {
  display: none;
  border: 2px solid var(--line);
  border-radius: 6px;
  padding: 0 1rem 1rem;
  margin: 1rem 0;
}
section.detail:target { display: block;}
pre {
  background: var(--soft);
  border: 1px solid var(--line);
  padding: .6rem;
  overflow-x: auto;
  white-space: pre-wrap;
}
.sev-error { color: var(--fail); font-weight: 600;}
.sev-warning { color: var(--warn); font-weight: 600;}
.sev-info { color: #0969da;}
.diff .add { color: var(--pass);}
.diff .del { color: var(--fail);}
.legend span { margin-right: 1rem;}
"""


def _verdict_class(verdict: str) -> str:
    return "v-" + verdict.replace(" ", "-")


def _badge(verdict: str) -> str:
    return f'<span class="badge {_verdict_class(verdict)}">{escape(verdict)}</span>'


def _sources(doc: dict[str, Any]) -> dict[str, list[tuple[int, dict[str, Any]]]]:
    grouped: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for n, system in enumerate(doc["systems"]):
        grouped.setdefault(system["source"], []).append((n, system))
    return dict(sorted(grouped.items()))


def _grid(source: str, systems: list[tuple[int, dict[str, Any]]], suites: list[str]) -> str:
    archs = sorted({s["arch"] for _, s in systems})
    rows = []
    for suite in suites:
        cells = []
        for arch in archs:
            here = [(n, s) for n, s in systems if s["suite"] == suite and s["arch"] == arch]
            if not here:
                cells.append('<td class="empty">not shipped</td>')
                continue
            links = "".join(
                f'<a class="cell {_verdict_class(s["verdict"])}" href="#system-{n}" '
                f'data-verdict="{escape(s["verdict"])}">{escape(s["version"])}'
                f"<small>{escape(s['verdict'])}</small></a>"
                for n, s in here
            )
            cells.append(f"<td>{links}</td>")
        if any('class="empty"' not in c for c in cells):
            rows.append(f"<tr><th>{escape(suite)}</th>{''.join(cells)}</tr>")
    head = "".join(f"<th>{escape(a)}</th>" for a in archs)
    return (
        f'<section class="source" data-source="{escape(source)}"><h2>{escape(source)}</h2>'
        f'<table class="grid"><tr><th>suite</th>{head}</tr>{"".join(rows)}</table></section>'
    )


def _findings(system: dict[str, Any]) -> str:
    items = []
    for report in system["reports"]:
        for f in report["findings"]:
            where = f" <code>{escape(f['path'])}</code>" if f.get("path") else ""
            line = f":{f['line']}" if f.get("line") else ""
            items.append(
                f"<li><code>{escape(report['label'])}</code>{where}{line}: "
                f'<span class="sev-{escape(f["severity"])}">{escape(f["code"])} '
                f"{escape(f['severity'])}</span> {escape(f['message'])}</li>"
            )
        for w in report["waived"]:
            items.append(
                f"<li><code>{escape(report['label'])}</code>: {escape(w['code'])} waived "
                f"{escape(w['message'])} (reason: {escape(w['reason'])})</li>"
            )
    if not items:
        return "<p>No findings.</p>"
    return f'<ul class="findings">{"".join(items)}</ul>'


def _marker(marker: dict[str, Any]) -> str:
    head = f"<h4><code>/{escape(marker['path'])}</code> in <code>{escape(marker['package'])}</code>"
    if marker["python"]:
        head += f" (Python {escape(marker['python'])})"
    head += "</h4>"
    if marker["diverted_by"]:
        head += (
            f'<p class="diverted">Diverted by <code>{escape(marker["diverted_by"])}</code> '
            "(dpkg-divert in its maintainer scripts): users see that package's marker, "
            "not this one.</p>"
        )
    if marker["text"] is None:
        return head + "<p>Not a regular file: see the findings.</p>"
    body = f'<pre class="marker-text">{escape(marker["text"])}</pre>'
    for preview in marker["previews"]:
        body += (
            f'<details class="preview" data-locale="{escape(preview["locale"])}">'
            f"<summary>What pip and uv show under LANG={escape(preview['locale'])}</summary>"
            f"<p>pip ({escape(preview['pip']['outcome'])}):</p>"
            f"<pre>{escape(preview['pip']['output'])}</pre>"
            f"<p>uv ({escape(preview['uv']['outcome'])}):</p>"
            f"<pre>{escape(preview['uv']['output'])}</pre></details>"
        )
    return head + body


def _detail(n: int, system: dict[str, Any]) -> str:
    packages = "".join(
        f"<tr><td><code>{escape(p['name'])}</code></td><td>{escape(p['version'])}</td>"
        f"<td>{escape(p['arch'])}</td><td><code>{escape(p['filename'])}</code></td>"
        f"<td>{p['size']}</td></tr>"
        for p in system["packages"]
    )
    markers = "".join(_marker(m) for m in system["markers"]) or (
        "<p>No package of this system ships a marker.</p>"
    )
    return (
        f'<section class="detail" id="system-{n}" data-verdict="{escape(system["verdict"])}">'
        f"<h3>{escape(system['label'])} {_badge(system['verdict'])}</h3>"
        f"<table><tr><th>package</th><th>version</th><th>arch</th><th>file</th>"
        f"<th>bytes</th></tr>{packages}</table>"
        f"<h4>Findings</h4>{_findings(system)}{markers}</section>"
    )


def _shipping(doc: dict[str, Any]) -> str:
    from marker_tool.audit.report import installed_marker

    rows = []
    for n, system in enumerate(doc["systems"]):
        marker = installed_marker(system)
        said = "none"
        if marker is not None and marker["text"] is not None:
            said = f"<code>{escape(marker['sha256'][:12])}</code> from {escape(marker['package'])}"
        rows.append(
            f"<tr><td>{escape(system['suite'])}</td><td>{escape(system['arch'])}</td>"
            f'<td><a href="#system-{n}">{escape(system["source"])}</a></td>'
            f"<td>{escape(system['version'])}</td><td>{_badge(system['verdict'])}</td>"
            f"<td>{said}</td></tr>"
        )
    return (
        '<h2>What each suite ships</h2><table class="shipping"><tr><th>suite</th><th>arch</th>'
        "<th>source</th><th>version</th><th>verdict</th><th>marker</th></tr>"
        f"{''.join(rows)}</table>"
    )


def _diff(old: str | None, new: str | None) -> str:
    lines = difflib.unified_diff(
        (old or "").splitlines(), (new or "").splitlines(), "before", "after", lineterm=""
    )
    out = []
    for line in lines:
        kind = "add" if line.startswith("+") else "del" if line.startswith("-") else ""
        out.append(f'<span class="{kind}">{escape(line)}</span>')
    return f'<pre class="diff">{chr(10).join(out)}</pre>' if out else ""


def _comparison(comparison: dict[str, Any] | None) -> str:
    if comparison is None:
        return ""
    pairs = ", ".join(f"{escape(a)} → {escape(b)}" for a, b in comparison["pairs"])
    html = (
        f'<section class="comparison"><h2>Compared with {escape(str(comparison["old_mirror"]))}'
        f"</h2><p>Suites: {pairs or 'none in common'}.</p>"
    )
    if not comparison["changes"]:
        return html + "<p>No change.</p></section>"
    rows = []
    for change in comparison["changes"]:
        old, new = change["old"] or {}, change["new"] or {}
        diversions = "".join(
            f"<li>{escape(d)}</li>" for d in new.get("diversions", []) + old.get("diversions", [])
        )
        rows.append(
            f'<tr class="change"><td>{escape(change["old_suite"])} → {escape(change["new_suite"])}'
            f"</td><td>{escape(change['arch'])}</td><td>{escape(change['source'])}</td>"
            f"<td>{escape(', '.join(change['changes']))}</td>"
            f"<td>{escape(old.get('version') or '-')} {_badge(old['verdict']) if old else ''}"
            f"</td><td>{escape(new.get('version') or '-')} "
            f"{_badge(new['verdict']) if new else ''}</td></tr>"
            f'<tr><td colspan="6">'
            f"{'<ul class=diversions>' + diversions + '</ul>' if diversions else ''}"
            f"{_diff(old.get('marker_text'), new.get('marker_text'))}</td></tr>"
        )
    return (
        html + "<table><tr><th>suites</th><th>arch</th><th>source</th><th>what changed</th>"
        f"<th>before</th><th>after</th></tr>{''.join(rows)}</table></section>"
    )


def page(doc: dict[str, Any]) -> str:
    """The whole page for an audit's JSON document."""
    from marker_tool.audit.report import figures

    suites = [s["name"] for s in doc["suites"]]
    notes = "".join(
        f'<p class="note"><strong>{escape(s["name"])}</strong>: {escape(note)}</p>'
        for s in doc["suites"]
        for note in s["notes"] + s.get("errors", [])
    )
    verdicts = [s["verdict"] for s in doc["systems"]]
    legend = " ".join(f"<span>{_badge(v)} {verdicts.count(v)}</span>" for v in VERDICTS)
    grids = "".join(_grid(src, systems, suites) for src, systems in _sources(doc).items())
    details = "".join(_detail(n, s) for n, s in enumerate(doc["systems"]))
    empty = "" if doc["systems"] else "<p>No suite ships a Python stdlib or a marker.</p>"
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>EXTERNALLY-MANAGED markers of {escape(doc['mirror'])}</title>"
        f"<style>{CSS}</style></head><body>"
        f"<h1>EXTERNALLY-MANAGED markers of <code>{escape(doc['mirror'])}</code></h1>"
        f'<p class="meta">{escape(figures(doc))}</p>{notes}'
        f'<p class="legend">{legend}</p>{empty}{grids}{details}'
        f"{_comparison(doc['comparison'])}{_shipping(doc)}"
        "<p class=meta>Made by <code>marker-tool audit</code>. Open a cell for its findings, "
        "its marker and what pip and uv show.</p></body></html>\n"
    )
