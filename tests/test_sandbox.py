"""The render budget: whatever a template does, it ends soon as a TemplateError naming its line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from marker_tool import sandbox
from marker_tool.cli import cli
from marker_tool.config import load_config
from marker_tool.errors import TemplateError
from marker_tool.render import render_markers

#: name -> (template text, words the error must contain)
HOSTILE = {
    "division-by-zero": ("Hi.\n{{ 1 // 0 }}", ["ZeroDivisionError"]),
    "macro-recursion": ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", ["recurses"]),
    "includes-itself": ('{% include "msg.txt.j2" %}', ["recurses"]),
    "extends-itself": ('{% extends "msg.txt.j2" %}', ["recurses"]),
    "range-limit": ("{% for i in range(10**7) %}{% endfor %}", ["10000000", "budget"]),
    "repeat": ("{{ 'x' * 10**10 }}", ["`*`", "budget"]),
    "power": ("{{ (10 ** 100000) ** 100000 }}", ["too large a number"]),
    "center-filter": ("{{ 'x'|center(10**9) }}", ["`center` filter", "1000000000"]),
    "center-method": ("{{ 'x'.center(10**9) }}", ["`center`", "1000000000"]),
    "format-filter": ("{{ '%999999999s'|format('x') }}", ["width of 999999999"]),
    "format-method": ("{{ '{:>999999999}'.format('x') }}", ["width of 999999999"]),
    "percent-format": ("{{ '%0999999999d' % 5 }}", ["width of 999999999"]),
    "replace-amplification": (
        "{% set a = 'xxxxxxxxxx' %}" + "{% set a = a|replace('x', a) %}" * 6 + "{{ a }}",
        ["`replace`"],
    ),
    "replace-method": ("{% set a = 'x' * 60000 %}{{ a.replace('x', 'yy') }}", ["`replace`"]),
    "output-size": ("{% for i in range(100000) %}xxxxxxxxxxxxxxxxxxxx {% endfor %}", ["65536"]),
    "overflow": ("{{ (10 ** 400)|float }}", ["OverflowError"]),
    "missing-include": ('{% include "nope.j2" %}', ["included template", "nope.j2"]),
    "include-directory": ('{% include "sub" %}', ["a directory"]),
    "include-traversal": ('{% include "../../../../etc/shadow" %}', ["outside the template"]),
    "include-absolute": ('{% include "/etc/passwd" %}', ["outside the template"]),
    "unsafe-attribute": ("{{ ''.__class__.__mro__ }}", ["sandbox"]),
}


def write_config(tmp_path: Path, template: str) -> Path:
    (tmp_path / "sub").mkdir(exist_ok=True)
    (tmp_path / "msg.txt.j2").write_text(template, encoding="utf-8")
    config = tmp_path / "c.toml"
    config.write_text('name = "A"\npythons = ["3.12"]\n[message]\ntemplate = "msg.txt.j2"\n')
    return config


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_template_is_a_template_error(name: str, tmp_path: Path) -> None:
    text, words = HOSTILE[name]
    config = write_config(tmp_path, text)
    with pytest.raises(TemplateError) as caught:
        render_markers(load_config(config))
    message = str(caught.value)
    assert caught.value.file is not None
    assert caught.value.file.startswith(str(tmp_path))
    for word in words:
        assert word in message, message


def test_an_endless_loop_stops_at_the_time_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sandbox, "RENDER_SECONDS", 1)
    loop = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}x"
    config = write_config(tmp_path, loop)
    with pytest.raises(TemplateError, match="ran longer than 1 seconds") as caught:
        render_markers(load_config(config))
    assert caught.value.line == 1


def test_the_cli_says_it_with_exit_2(tmp_path: Path) -> None:
    config = write_config(tmp_path, "Fine.\n{{ 'x' * 10**10 }}\n")
    result = CliRunner().invoke(cli, ["render", "-c", str(config)])
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    assert f"{tmp_path / 'msg.txt.j2'}:2:" in result.output
    assert "hint: limits: 65536 output" in result.output


def test_a_real_template_is_far_inside_the_budget() -> None:
    from marker_tool.config import load_preset

    for marker in render_markers(load_preset("debian"), locales=["de", "ja"]).markers:
        for message in marker.messages:
            assert len(message.text) * 20 < sandbox.MAX_OUTPUT
