"""Distributor configs: presets, the schema, its errors, host detection, the starter."""

from __future__ import annotations

import re
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from marker_tool import config, presets
from marker_tool.cli import cli
from marker_tool.config import load_config, load_preset, resolve_distributor, starter_config
from marker_tool.errors import ConfigError
from marker_tool.layouts import LAYOUT_NAMES
from marker_tool.model import PythonVersion
from marker_tool.placeholders import fill as fill_placeholders
from marker_tool.presets import PRESETS, detect_preset
from tests.conftest import Goldens


def write(tmp_path: Path, text: str, name: str = "marker-tool.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def variables(distributor: object) -> dict[str, object]:
    return dict(distributor.variables)  # type: ignore[attr-defined]


# -- presets ------------------------------------------------------------------


def test_every_preset_file_is_listed_and_every_listed_preset_has_a_file() -> None:
    files = {path.stem for path in (presets.templates_dir() / "presets").glob("*.toml")}
    assert files == set(PRESETS)
    assert {"debian", "ubuntu", "arch", "alpine", "opensuse", "fedora"} <= files
    assert {"homebrew", "gentoo", "generic"} <= files


@pytest.mark.parametrize("name", PRESETS)
def test_preset_loads_complete(name: str) -> None:
    distributor = load_preset(name)
    assert distributor.preset == name
    assert distributor.layout in LAYOUT_NAMES
    assert distributor.name
    assert distributor.template == presets.BUILTIN_TEMPLATE
    assert distributor.pythons == (PythonVersion.running(),)
    assert set(config.MESSAGE_KEYS) <= set(variables(distributor))


def test_ubuntu_starts_from_debian_under_its_own_name() -> None:
    ubuntu, debian = load_preset("ubuntu"), load_preset("debian")
    assert (ubuntu.name, ubuntu.layout) == ("Ubuntu", "ubuntu")
    assert ubuntu.variables == debian.variables


def test_fedora_uses_the_rpm_layout_and_homebrew_linux_its_keg() -> None:
    assert load_preset("fedora").layout == "rpm"
    assert load_preset("homebrew").layout == "homebrew-macos"
    assert load_preset("homebrew-linux").layout == "homebrew-linux"


def test_unknown_preset_suggests_one() -> None:
    with pytest.raises(ConfigError) as info:
        load_preset("debain")
    assert info.value.hint == "did you mean `debian`?"


# -- a config ----------------------------------------------------------------


def test_config_overrides_its_preset(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'preset = "debian"\nname = "Debian Derivative"\npythons = ["3.12", "3.13t"]\n'
        '[message]\ndocs = "https://example.org/python"\nextra = ["One.", "Two."]\n'
        '[message.variables]\nsupport = "ask on IRC"\n'
        '[i18n]\nlocales = ["de", "pt_BR"]\npartial = true\n[i18n.texts]\nfr = "Bonjour"\n',
    )
    distributor = load_config(path)
    values = variables(distributor)
    assert distributor.name == "Debian Derivative"
    assert distributor.layout == "deb"
    assert distributor.preset == "debian"
    assert distributor.source == str(path)
    assert distributor.pythons == (PythonVersion(3, 12), PythonVersion(3, 13, True))
    assert values["install"] == "apt install python3-{name}"
    assert values["docs"] == "https://example.org/python"
    assert values["extra"] == ("One.", "Two.")
    assert values["support"] == "ask on IRC"
    assert distributor.i18n.locales == ("de", "pt_BR")
    assert distributor.i18n.partial is True
    assert distributor.i18n.territory_fallback is True
    assert distributor.i18n.texts == (("fr", "Bonjour"),)


def test_config_without_preset_gets_defaults(tmp_path: Path) -> None:
    distributor = load_config(write(tmp_path, 'name = "Acme"\n'))
    assert distributor.layout == "generic"
    assert distributor.preset is None
    assert variables(distributor)["venv"] == "python{version} -m venv path/to/venv"
    assert variables(distributor)["install"] == ""


def test_paths_are_relative_to_the_config(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "msg.j2").write_text("Hello\n")
    (tmp_path / "conf" / "po").mkdir()
    path = write(
        tmp_path / "conf",
        'name = "A"\n[message]\ntemplate = "msg.j2"\n[i18n]\ncatalogs = "po"\n',
    )
    distributor = load_config(path)
    assert distributor.template == str((tmp_path / "conf" / "msg.j2").resolve())
    assert distributor.i18n.catalog_dir == str((tmp_path / "conf" / "po").resolve())


def test_prefix_speaks_the_config_placeholders(tmp_path: Path) -> None:
    path = write(
        tmp_path, 'name = "A"\nlayout = "homebrew-linux"\nprefix = "/k/python@{version}"\n'
    )
    assert load_config(path).prefix == "/k/python@{version}"


# -- errors: each names file, line, key and what was expected -------------------

ERRORS = [
    pytest.param(
        'name = "A"\nlayout = deb\n', 2, None, ["not valid TOML", "invalid value"], id="toml-syntax"
    ),
    pytest.param(
        'name = "A"\n\n[message]\ninstal = "x"\n',
        4,
        "message.instal",
        ["unknown key `instal` in [message]", "did you mean `install`?"],
        id="unknown-key",
    ),
    pytest.param(
        'name = "A"\nmessage.instal = "x"\n',
        2,
        "message.instal",
        ["unknown key `instal` in [message]", "did you mean `install`?"],
        id="unknown-dotted-key",
    ),
    pytest.param(
        'name = "A"\nlocales = ["de"]\n',
        2,
        "locales",
        ["unknown key `locales` in the top level", "`locales` belongs in [i18n]"],
        id="key-in-wrong-table",
    ),
    pytest.param(
        'name = "A"\npythons = "3.12"\n',
        2,
        "pythons",
        ["`pythons` must be a list of strings", "not a string"],
        id="wrong-type",
    ),
    pytest.param(
        'name = "A"\n[i18n]\npartial = "yes"\n',
        3,
        "i18n.partial",
        ["`partial` must be true or false"],
        id="wrong-type-bool",
    ),
    pytest.param(
        'name = "A"\npythons = ["3.12", "3.12.1"]\n',
        2,
        "pythons",
        ["`3.12.1` is not a Python version like `3.12`, `3.13t` or `pypy3.11`"],
        id="bad-version",
    ),
    pytest.param(
        'name = "A"\npythons = ["3.12t"]\n',
        2,
        "pythons",
        ["free-threaded builds start at `3.13t`"],
        id="bad-freethreaded",
    ),
    pytest.param(
        'name = "A"\npythons = ["3.12", "3.12"]\n',
        2,
        "pythons",
        ["lists 3.12 twice"],
        id="duplicate-version",
    ),
    pytest.param(
        '# a comment\npreset = "ubunto"\n',
        2,
        "preset",
        ["unknown preset `ubunto`", "did you mean `ubuntu`?"],
        id="unknown-preset",
    ),
    pytest.param(
        'name = "A"\nlayout = "homebrew-mac"\n',
        2,
        "layout",
        ["unknown layout `homebrew-mac`", "did you mean `homebrew-macos`?"],
        id="unknown-layout",
    ),
    pytest.param(
        'name = "A"\n[message]\nvenv = "python{versoin} -m venv x"\n',
        3,
        "message.venv",
        ["unknown placeholder `{versoin}`", "did you mean `{version}`?"],
        id="unknown-placeholder",
    ),
    pytest.param(
        'name = "A"\n[message]\nextra = ["{name!r}"]\n',
        3,
        "message.extra",
        ["`{name!r}` is not a placeholder"],
        id="placeholder-conversion",
    ),
    pytest.param(
        'name = "A"\n[message]\ndocs = "see {here"\n',
        3,
        "message.docs",
        ["`{{` and `}}`"],
        id="unbalanced-brace",
    ),
    pytest.param(
        'name = "A"\nprefix = "/opt/{name}"\n',
        2,
        "prefix",
        ["unknown placeholder `{name}`", "`{version}`, `{stdlib_name}`"],
        id="path-placeholder",
    ),
    pytest.param(
        'name = "A"\n[message.variables]\ninstall = "x"\n',
        3,
        "message.variables.install",
        ["`install` cannot be a template variable name"],
        id="reserved-variable",
    ),
    pytest.param(
        'name = "A"\n[message]\ntemplate = "missing.j2"\n',
        3,
        "message.template",
        ["missing.j2 does not exist"],
        id="missing-template",
    ),
    pytest.param(
        'name = "A"\n[i18n.texts]\nde = """\nlocales = 1\n"""\n[ message ]  # note\n"venv" = 3\n',
        7,
        "message.venv",
        ["`venv` must be a string", "not an integer"],
        id="line-after-multiline-string",
    ),
    pytest.param(
        'name = "A"\n[message]\ninstall = "apt\\tinstall"\n',
        3,
        "message.install",
        ["`install` contains the control character U+0009", "plain spaces"],
        id="control-character",
    ),
    pytest.param(
        'name = "A"\n\n[i18n]\nlocales = ["de", "dee"]\n',
        4,
        "i18n.locales",
        ["unknown language `dee` in locale `dee`", "did you mean"],
        id="unknown-locale-language",
    ),
    pytest.param(
        'name = "A"\n[i18n]\nlocales = ["pt_QQ"]\n',
        3,
        "i18n.locales",
        ["unknown territory `QQ` in locale `pt_QQ`"],
        id="unknown-locale-territory",
    ),
    pytest.param(
        'name = "A"\n[i18n]\nlocales = ["sr@latin"]\n',
        3,
        "i18n.locales",
        ["pip drops the `@latin` modifier"],
        id="locale-modifier",
    ),
    pytest.param(
        'name = "A"\n[i18n.texts]\nde = "Hallo"\nxq = "?"\n',
        4,
        "i18n.texts.xq",
        ["unknown language `xq` in locale `xq`"],
        id="unknown-inline-text-locale",
    ),
    pytest.param('layout = "deb"\n', None, "name", ["the config has no `name`"], id="no-name"),
    pytest.param('name = "  "\n', 1, "name", ["`name` is empty"], id="empty-name"),
]


@pytest.mark.parametrize(("text", "line", "key", "expected"), ERRORS)
def test_config_errors(
    tmp_path: Path, text: str, line: int | None, key: str | None, expected: list[str]
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    error = info.value
    assert error.file == str(path)
    assert error.line == line
    assert error.key == key
    for part in expected:
        assert part in str(error)


@pytest.mark.parametrize(("text", "line", "key", "expected"), ERRORS)
def test_config_errors_through_the_cli(
    tmp_path: Path, text: str, line: int | None, key: str | None, expected: list[str]
) -> None:
    path = write(tmp_path, text)
    result = CliRunner().invoke(cli, ["render", "-c", str(path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert f"error: {path}{f':{line}' if line else ''}: " in result.output
    for part in expected:
        assert part in result.output


def test_missing_config_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["render", "-c", str(tmp_path / "nope.toml")])
    assert result.exit_code == 2
    assert "config file" in result.output
    assert "does not exist" in result.output
    assert "marker-tool init" in result.output
    assert "Traceback" not in result.output


def test_config_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_bytes(b'name = "A"\n# caf\xe9\n')
    with pytest.raises(ConfigError, match="not UTF-8") as info:
        load_config(path)
    assert info.value.line == 2


# -- placeholders ---------------------------------------------------------------


def test_fill_placeholders() -> None:
    values = {"version": "3.13", "name": "xyz"}
    assert fill_placeholders("py{version} {name} {{x}}", values) == "py3.13 xyz {x}"
    with pytest.raises(ConfigError, match=r"unknown placeholder `\{nam\}`") as info:
        fill_placeholders("{nam}", values, key="message.install")
    assert info.value.key == "message.install"
    assert info.value.hint == "did you mean `{name}`?"


# -- the host -------------------------------------------------------------------

OS_RELEASES = [
    ('ID=debian\nVERSION_ID="12"\n', "debian"),
    ("ID=ubuntu\nID_LIKE=debian\n", "ubuntu"),
    ('ID=linuxmint\nID_LIKE="ubuntu debian"\n', "ubuntu"),
    ("ID=raspbian\nID_LIKE=debian\n", "debian"),
    ('ID=pop\nID_LIKE="ubuntu debian"\n', "ubuntu"),
    ("ID=arch\n", "arch"),
    ("ID=manjaro\nID_LIKE=arch\n", "arch"),
    ("ID=endeavouros\nID_LIKE=arch\n", "arch"),
    ("ID=alpine\n", "alpine"),
    ("ID=postmarketos\nID_LIKE=alpine\n", "alpine"),
    ('ID="opensuse-tumbleweed"\nID_LIKE="opensuse suse"\n', "opensuse"),
    ('ID="opensuse-leap"\n', "opensuse"),
    ("ID=fedora\n", "fedora"),
    ('ID="rocky"\nID_LIKE="rhel centos fedora"\n', "fedora"),
    ('ID="almalinux"\nID_LIKE="rhel centos fedora"\n', "fedora"),
    ("ID=gentoo\n", "gentoo"),
    ('ID="void"\n', "void"),
    ("ID=nixos\n", "nix"),
    ("# comment\nID=someos\nID_LIKE=\n", "generic"),
    ("", "generic"),
]


@pytest.mark.parametrize(("text", "preset"), OS_RELEASES)
def test_detect_preset(tmp_path: Path, text: str, preset: str) -> None:
    assert detect_preset(write(tmp_path, text, "os-release")) == preset


@pytest.mark.parametrize(("platform", "preset"), [("linux", "generic"), ("darwin", "homebrew")])
def test_detect_preset_without_os_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, platform: str, preset: str
) -> None:
    monkeypatch.setattr(sys, "platform", platform)
    assert detect_preset(tmp_path / "missing") == preset


def test_resolve_distributor_order(tmp_path: Path) -> None:
    os_release = write(tmp_path, "ID=alpine\n", "os-release")
    path = write(tmp_path, 'preset = "arch"\n')
    assert resolve_distributor(path, "gentoo", os_release=os_release).preset == "arch"
    assert resolve_distributor(None, "gentoo", os_release=os_release).preset == "gentoo"
    detected = resolve_distributor(None, None, os_release=os_release)
    assert detected.preset == "alpine"
    assert detected.pythons == (PythonVersion.running(),)


def test_given_pythons_replace_the_configs_and_the_running_one(tmp_path: Path) -> None:
    wanted = (PythonVersion(3, 11), PythonVersion(3, 13, True))
    path = write(tmp_path, 'preset = "debian"\npythons = ["3.12"]\n')
    assert load_config(path, pythons=wanted).pythons == wanted
    assert load_preset("arch", pythons=wanted).pythons == wanted
    assert resolve_distributor(path, None, pythons=wanted).pythons == wanted
    assert resolve_distributor(None, "arch", pythons=wanted).pythons == wanted
    assert load_config(path).pythons == (PythonVersion(3, 12),)


def test_running_python_is_this_one() -> None:
    import sys

    python = PythonVersion.running()
    assert (python.major, python.minor) == sys.version_info[:2]


# -- the starter config --------------------------------------------------------


@pytest.mark.parametrize("name", PRESETS)
def test_starter_config_loads_back_as_its_preset(tmp_path: Path, name: str) -> None:
    pythons = (PythonVersion(3, 12), PythonVersion(3, 13, True))
    path = write(tmp_path, starter_config(name, pythons))
    loaded = load_config(path)
    preset = load_preset(name)
    assert loaded.pythons == pythons
    assert replace(loaded, source=None, preset=name, pythons=preset.pythons) == preset


#: A commented-out setting (`# key = value`) or sub-table entry in a starter config.
COMMENTED = re.compile(r"# ([A-Za-z0-9_-]+ = .*)")


@pytest.mark.parametrize("name", PRESETS)
def test_every_commented_line_of_a_starter_config_loads_uncommented(
    tmp_path: Path, name: str
) -> None:
    # The files the examples name, relative to the config.
    (tmp_path / "message.txt.j2").write_text("{{ install }}\n")
    (tmp_path / "EXTERNALLY-MANAGED.in").write_text("[externally-managed]\n")
    (tmp_path / "po").mkdir()
    lines = starter_config(name, (PythonVersion(3, 12),)).splitlines()
    commented = [n for n, line in enumerate(lines) if COMMENTED.fullmatch(line)]
    uncommented = {
        line.removeprefix("# ").partition(" = ")[0] for line in map(lines.__getitem__, commented)
    }
    assert {"prefix", "libdir", "template", "extra", "locales", "prose", "newline"} <= uncommented
    assert {"support", "de"} <= uncommented  # the sub-tables' examples
    for number in commented:
        edited = [*lines[:number], lines[number].removeprefix("# "), *lines[number + 1 :]]
        path = write(tmp_path, "\n".join(edited))
        load_config(path)  # raises, naming the line, if the example is wrong


def test_the_config_reference_is_generated_from_the_schema(goldens: Goldens) -> None:
    reference = config.config_reference()
    for key in config.SCHEMA:
        assert f"| `{key.name}` |" in reference
    goldens.check(Path(__file__).parent.parent / "docs" / "config-reference.md", reference)


def test_the_schema_defaults_are_what_an_empty_config_gets(tmp_path: Path) -> None:
    distributor = load_config(write(tmp_path, 'name = "A"\n'))
    assert variables(distributor) == {
        **{name: config.KEYS[f"message.{name}"].default for name in config.MESSAGE_KEYS},
        "extra": (),
    }
    assert distributor.layout == config.KEYS["layout"].default
    assert distributor.i18n.territory_fallback is config.KEYS["i18n.territory_fallback"].default
    assert distributor.newline == "\n"


def test_init_writes_and_refuses_to_overwrite(tmp_path: Path) -> None:
    runner = CliRunner()
    target = tmp_path / "distro.toml"
    result = runner.invoke(cli, ["init", "--preset", "arch", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert 'install = "pacman -S python-{name}"' in target.read_text()
    assert load_config(target).name == "Arch Linux"

    target.write_text("# mine\n")
    result = runner.invoke(cli, ["init", "--preset", "arch", "-o", str(target)])
    assert result.exit_code == 2
    assert "already exists" in result.output
    assert "--force" in result.output
    assert target.read_text() == "# mine\n"

    result = runner.invoke(cli, ["init", "--preset", "alpine", "-o", str(target), "--force"])
    assert result.exit_code == 0
    assert load_config(target).name == "Alpine Linux"


def test_init_to_stdout() -> None:
    result = CliRunner().invoke(cli, ["init", "--preset", "gentoo", "-o", "-"])
    assert result.exit_code == 0
    assert result.output.startswith("# marker-tool config, started from the `gentoo` preset.")
    assert 'pipx = ""' in result.output


def test_init_rejects_unknown_preset() -> None:
    result = CliRunner().invoke(cli, ["init", "--preset", "debain", "-o", "-"])
    assert result.exit_code == 2
    assert "debain" in result.output


# -- careless and hostile configs -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words", "line"),
    [
        ('name = "A"\nname = "B"\n', ["`name` is set twice"], 2),
        ('name = "A"\n[message]\ninstall = "x"\ninstall = "y"\n', ["`install` is set twice"], 4),
        ('name = "A"\n[message]\n[message]\n', ["table `[message]` is set twice"], 3),
        ('name = "A"\npythons = ["3.11", " 3.11"]\n', ["lists 3.11 twice", "` 3.11`"], 2),
        ('name = "A"\n[i18n]\nlocales = ["pt_BX"]\n', ["did you mean `pt_BR`"], 3),
        ('name = "A"\nx = ' + "[" * 5000 + "]" * 5000 + "\n", ["nested too deeply"], None),
    ],
)
def test_a_careless_config_gets_a_clear_error(
    tmp_path: Path, text: str, words: list[str], line: int | None
) -> None:
    path = tmp_path / "c.toml"
    path.write_text(text)
    result = CliRunner().invoke(cli, ["render", "-c", str(path)])
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    for word in words:
        assert word in result.output, result.output
    if line:
        assert f"{path}:{line}:" in result.output


@pytest.mark.parametrize(
    "pattern", ["/x/{version.__class__}", "/x/{xy}", "/x/{0}", "/x/{", "/x/{}"]
)
def test_stdlib_dir_speaks_only_the_placeholder_language(tmp_path: Path, pattern: str) -> None:
    result = CliRunner().invoke(
        cli, ["install", "--preset", "debian", "--destdir", str(tmp_path), "--stdlib-dir", pattern]
    )
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []
