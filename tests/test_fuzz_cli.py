"""Hostile configs, templates, catalogs and markers through the CLI: no traceback, ever.

Every run must end in exit 0, 1 or 2 with no traceback. Each example runs in
this process with a short render time limit, so the whole test stays bounded
(`MARKER_TOOL_FUZZ_EXAMPLES` sets the count).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marker_tool import sandbox
from marker_tool.cli import cli

EXAMPLES = int(os.environ.get("MARKER_TOOL_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

_PIECES = st.sampled_from(
    [
        "{{", "}}", "{%", "%}", "{#", "#}", "{{ 1 // 0 }}", "{{ 'x' * 10**9 }}", "{% for i in",
        "range(10**6) %}", "{% endfor %}", "{% include 'x' %}", "{% trans %}", "{% endtrans %}",
        "{{ version }}", "{{ nope }}", "\x00", "\x1b[31m", "\u202e", "\n", " ", "#", ";", "[",
        "=", "%(name)s", "%(name)999s", "msgid", "msgstr", '"', "\\", "[externally-managed]",
        "Error =", "Error-de =", "  ", "\r", "\ufeff", "é", "請", "{version}", "{xy}", "[[",
    ]
)  # fmt: skip
_TEXT = st.lists(st.one_of(_PIECES, st.text(max_size=6)), max_size=25).map("".join)


def run(args: list[str]) -> None:
    result = CliRunner().invoke(cli, args)
    assert isinstance(result.exception, SystemExit | None), (args, result.exception)
    assert result.exit_code in (0, 1, 2), (args, result.output)
    # preview prints pip's own traceback when pip would crash: that is its output.
    if args[0] != "preview":
        assert "Traceback" not in result.output


@pytest.fixture(autouse=True)
def short_render_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "RENDER_SECONDS", 2)


@FUZZ
@given(config=_TEXT)
def test_any_config(config: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.toml"
        path.write_text(config, encoding="utf-8", errors="surrogatepass")
        run(["render", "-c", str(path)])


@FUZZ
@given(template=_TEXT, value=_TEXT)
def test_any_template_and_value(template: str, value: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "t.j2").write_text(template, encoding="utf-8", errors="surrogatepass")
        quoted = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        quoted = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in quoted)
        (root / "c.toml").write_text(
            f'name = "A"\npythons = ["3.12"]\n[message]\ntemplate = "t.j2"\ninstall = "{quoted}"\n'
        )
        run(["render", "-c", str(root / "c.toml")])
        run(["install", "-c", str(root / "c.toml"), "--destdir", str(root / "dest")])


@FUZZ
@given(catalog=_TEXT)
def test_any_catalog(catalog: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "po").mkdir()
        (root / "po" / "de.po").write_text(catalog, encoding="utf-8", errors="surrogatepass")
        (root / "c.toml").write_text(
            'preset = "debian"\npythons = ["3.12"]\n[i18n]\ncatalogs = "po"\nlocales = ["de"]\n'
        )
        run(["render", "-c", str(root / "c.toml")])
        run(["i18n", "stats", "-c", str(root / "c.toml")])


@FUZZ
@given(marker=st.one_of(_TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")), st.binary()))
def test_any_marker(marker: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "usr/lib/python3.12/EXTERNALLY-MANAGED"
        path.parent.mkdir(parents=True)
        path.write_bytes(marker)
        run(["validate", "--strict", str(path)])
        run(["validate", "--format", "github", str(path)])
        run(["preview", str(path), "--python", "3.11", "--locale", "de_DE.UTF-8", "--width", "30"])
