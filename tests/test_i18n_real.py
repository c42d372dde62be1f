"""The translated sections against the real pip and uv, under real generated locales."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from marker_tool.cli import cli
from marker_tool.config import load_preset
from marker_tool.i18n_workflow import coverage
from marker_tool.ini import serialize
from marker_tool.locales import resolve_key
from marker_tool.model import Marker, PythonVersion
from marker_tool.presets import PRESETS
from marker_tool.render import render_markers
from tests.realprograms import TEST_LOCALES, run_pip, run_uv, stage_python

#: The built-in catalogs: ten locales in one marker.
SHIPPED = ("de", "es", "fr", "it", "ja", "pt_BR", "pt_PT", "ru", "zh_CN", "zh_TW")
#: What users set: every generated test locale, C.UTF-8, and one not generated.
USERS = (*TEST_LOCALES, "C.UTF-8", "nl_NL.UTF-8")


def pip_block(stderr: str) -> list[str]:
    """The marker text pip printed: the `╰─>` line and its indented continuation."""
    lines = stderr.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("╰─> "))
    block = [lines[start].removeprefix("╰─> ")]
    for line in lines[start + 1 :]:
        if line.startswith("note:"):
            break
        block.append(line.strip())
    while block and not block[-1]:
        block.pop()
    return block


def marker_for(xy: str, locales: tuple[str, ...] = SHIPPED) -> Marker:
    result = render_markers(
        load_preset("debian"), pythons=[PythonVersion.parse(xy)], locales=locales
    )
    assert result.warnings == ()
    return result.markers[0]


@pytest.mark.real
@pytest.mark.parametrize("xy", ["3.11", "3.12"])
def test_pip_shows_the_predicted_section(tmp_path: Path, locpath: Path, xy: str) -> None:
    marker = marker_for(xy)
    staged = stage_python(xy, tmp_path / "py")
    # The install command, as a build would run it, into the staged interpreter's stdlib.
    args = ["install", "--preset", "debian", "--interpreter", str(staged.python), "--destdir", "/"]
    args += [arg for name in SHIPPED for arg in ("--locale", name)]
    installed = CliRunner().invoke(cli, args)
    assert installed.exit_code == 0, installed.output
    assert staged.marker.read_text(encoding="utf-8") == serialize(marker)
    keys = [message.key for message in marker.messages]
    generated = {*TEST_LOCALES, "C.UTF-8"}
    predicted_rows = {row.lang_env: row for row in coverage(marker, ui_locales=USERS)}
    seen = {}
    for lang_env in USERS:
        predicted = resolve_key(lang_env, xy, keys, available=lang_env in generated)
        assert predicted is not None
        if lang_env in generated:
            # The coverage report assumes the locale is generated: it must agree.
            assert predicted_rows[lang_env].key == predicted
        result = run_pip(staged, tmp_path, locale=lang_env, locpath=locpath, cache=True)
        assert result.returncode == 1, result.stderr
        assert "WARNING" not in result.stderr
        assert "Traceback" not in result.stderr
        assert pip_block(result.stderr) == marker.text(predicted).split("\n"), (lang_env, predicted)
        seen[lang_env] = predicted
    assert seen["de_AT.UTF-8"] == "Error-de"
    assert seen["pt_PT.UTF-8"] == "Error-pt_PT"
    assert seen["zh_TW.UTF-8"] == "Error-zh_TW"
    assert seen["en_GB.UTF-8"] == "Error"
    assert seen["nl_NL.UTF-8"] == "Error"
    assert seen["C.UTF-8"] == "Error"  # no Error-en_US / Error-C in this marker
    assert len(set(seen.values())) >= 10


@pytest.mark.real
def test_territory_fallback_reaches_other_territories(tmp_path: Path, locpath: Path) -> None:
    """Without zh_TW and pt_PT catalogs, zh_TW users get the zh_CN text via `Error-zh`."""
    marker = marker_for("3.12", ("de", "pt_BR", "zh_CN"))
    staged = stage_python("3.12", tmp_path / "py")
    staged.marker.write_text(serialize(marker), encoding="utf-8")
    rows = {row.lang_env: row for row in coverage(marker, ui_locales=TEST_LOCALES)}
    assert rows["zh_TW.UTF-8"].key == "Error-zh"
    assert rows["zh_TW.UTF-8"].text_locale == "zh_CN"
    assert rows["pt_PT.UTF-8"].key == "Error-pt"
    for lang_env in ("zh_TW.UTF-8", "pt_PT.UTF-8", "de_AT.UTF-8", "ja_JP.UTF-8"):
        key = rows[lang_env].key
        assert key is not None
        result = run_pip(staged, tmp_path, locale=lang_env, locpath=locpath, cache=True)
        assert pip_block(result.stderr) == marker.text(key).split("\n"), lang_env


@pytest.mark.real
def test_c_utf8_on_311_takes_en_us(tmp_path: Path, locpath: Path) -> None:
    """C.UTF-8 is `en_US` to pip on 3.11 and `C` on 3.12, as pip_lookup_keys says."""
    staged = stage_python("3.11", tmp_path / "py")
    text = (
        "[externally-managed]\nError = English text.\nError-en_US = US text.\nError-C = C text.\n"
    )
    staged.marker.write_text(text, encoding="utf-8")
    result = run_pip(staged, tmp_path, locale="C.UTF-8", locpath=locpath)
    assert pip_block(result.stderr) == ["US text."]
    assert resolve_key("C.UTF-8", "3.11", ["Error", "Error-en_US", "Error-C"]) == "Error-en_US"
    staged12 = stage_python("3.12", tmp_path / "py12")
    staged12.marker.write_text(text, encoding="utf-8")
    result = run_pip(staged12, tmp_path, locale="C.UTF-8", locpath=locpath)
    assert pip_block(result.stderr) == ["C text."]
    assert resolve_key("C.UTF-8", "3.12", ["Error", "Error-en_US", "Error-C"]) == "Error-C"


@pytest.mark.real
def test_uv_shows_the_error_text(tmp_path: Path) -> None:
    marker = marker_for("3.12")
    staged = stage_python("3.12", tmp_path / "py")
    staged.marker.write_text(serialize(marker), encoding="utf-8")
    for version in ("latest", "0.13.0"):
        result = run_uv(staged, tmp_path, version=version, locale="de_DE.UTF-8")
        assert result.returncode == 2, result.stderr
        shown = [line.strip() for line in result.stderr.splitlines()]
        for line in marker.text().split("\n"):
            assert line.strip() in shown, (version, line)
        assert "Python-Pakete" not in result.stderr


def test_ten_locale_marker_passes_validate_strict(tmp_path: Path) -> None:
    for xy in ("3.11", "3.12", "3.13"):
        path = tmp_path / xy / "EXTERNALLY-MANAGED"
        path.parent.mkdir()
        marker = marker_for(xy)
        assert len(marker.messages) == 1 + len(SHIPPED) + 2  # Error-pt and Error-zh fallbacks
        path.write_text(serialize(marker), encoding="utf-8")
        result = CliRunner().invoke(cli, ["validate", "--strict", str(path)])
        assert result.exit_code == 0, result.output
        assert f"{path}: PASSED" in result.output
        assert "warning" not in result.output


#: One generated locale per built-in language, and English.
LANGUAGES = (
    "en_US.UTF-8",
    "de_DE.UTF-8",
    "es_ES.UTF-8",
    "fr_FR.UTF-8",
    "it_IT.UTF-8",
    "ja_JP.UTF-8",
    "pt_BR.UTF-8",
    "pt_PT.UTF-8",
    "ru_RU.UTF-8",
    "zh_CN.UTF-8",
    "zh_TW.UTF-8",
)
COMMANDS = ("install", "venv", "venv_setup", "venv_python", "venv_pip", "pipx", "pipx_setup")


@pytest.mark.real
@pytest.mark.parametrize("preset", PRESETS)
def test_every_preset_in_every_language_through_the_real_pip_and_uv(
    tmp_path: Path, locpath: Path, preset: str
) -> None:
    # What users trip over is said in every language: `pip install --user` is refused
    # too; the distributor's name and every command reach the user exactly.
    from marker_tool.render import template_variables

    python = PythonVersion(3, 12)
    distributor = load_preset(preset, pythons=[python])
    result = render_markers(distributor, locales=SHIPPED)
    assert result.warnings == ()
    [marker] = result.markers
    staged = stage_python("3.12", tmp_path / "py")
    staged.marker.write_text(serialize(marker), encoding="utf-8")
    values = template_variables(distributor, python)
    commands = [values[key] for key in COMMANDS if values.get(key)]
    for lang_env in LANGUAGES:
        shown = run_pip(staged, tmp_path, locale=lang_env, locpath=locpath, cache=True)
        assert "WARNING" not in shown.stderr
        assert "Traceback" not in shown.stderr
        text = " ".join(" ".join(pip_block(shown.stderr)).split())
        assert "pip install --user" in text, (preset, lang_env)
        assert distributor.name in text, (preset, lang_env)
        for command in commands:
            assert command in text, (preset, lang_env, command)
    uv = run_uv(staged, tmp_path, locale="de_DE.UTF-8")
    assert uv.returncode == 2, uv.stderr
    uv_text = " ".join(uv.stderr.split())
    assert " ".join(marker.text().split()) in uv_text
    check = CliRunner().invoke(cli, ["validate", "--strict", str(staged.marker)])
    assert check.exit_code == 0, check.output
    assert "warning" not in check.output
    assert "info" not in check.output


def help_text(command: list[str]) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


@pytest.mark.real
def test_every_flag_a_preset_names_is_one_its_program_accepts(tmp_path: Path) -> None:
    # A sentence that speaks of uv names uv's flags; every other names pip's.
    from tests.realprograms import pip_path, uv_binary

    staged = stage_python("3.12", tmp_path / "py")
    env = {"PYTHONPATH": str(pip_path()), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    pip_help = subprocess.run(
        [str(staged.python), "-m", "pip", "install", "--help"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    uv_help = help_text([str(uv_binary()), "pip", "install", "--help"])
    checked = set()
    for preset in PRESETS:
        [marker] = render_markers(load_preset(preset, pythons=[PythonVersion(3, 12)])).markers
        text = " ".join(marker.text().split())
        # `pip install --user`, `pass --flag to pip`, `pass --flag to uv pip install`
        # (flags of other programs, `emerge --ask`, are not theirs to check).
        found = [(flag, False) for flag in re.findall(r"\bpip install (--[a-z-]+)", text)]
        for flag, program in re.findall(r"(--[a-z-]+) to (uv pip install|pip)\b", text):
            found.append((flag, program.startswith("uv")))
        for flag, uv in found:
            accepted = uv_help if uv else pip_help
            assert re.search(rf"(?<![\w-]){flag}\b", accepted), (preset, flag, uv)
            checked.add((flag, uv))
    assert ("--user", False) in checked
    assert ("--break-system-packages", False) in checked
    assert ("--break-system-packages", True) in checked
