"""Rendering: the built-in template per preset (golden files), template errors,
translations, and the `render` command's formats.

Regenerate the golden files after an intended change of the template or a preset:
    .venv/bin/python -m pytest tests/test_render.py --update-goldens
"""

from __future__ import annotations

import configparser
import json
import re
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marker_tool.cli import cli
from marker_tool.config import load_config, load_preset
from marker_tool.errors import MarkerToolError, TemplateError
from marker_tool.ini import read_messages, serialize
from marker_tool.model import Distributor, Message, PythonVersion
from marker_tool.placeholders import PLACEHOLDERS
from marker_tool.presets import PRESETS
from marker_tool.render import (
    RenderResult,
    homebrew_snippet,
    render_markers,
    render_message,
    ruby_heredoc_body,
)
from tests.conftest import Goldens

GOLDEN = Path(__file__).parent / "golden"
PY312 = PythonVersion(3, 12)
PY313 = PythonVersion(3, 13)


def preset_text(name: str, python: PythonVersion = PY312) -> str:
    return render_message(load_preset(name), python)


# -- presets ------------------------------------------------------------------


PY313T = PythonVersion(3, 13, freethreaded=True)
PY314 = PythonVersion(3, 14)
#: (preset, Python, locales): every preset for 3.12, then another Python, a
#: free-threaded one, and translated markers.
GOLDEN_CASES = [
    *((name, PY312, ()) for name in PRESETS),
    *(
        (name, python, ())
        for name in ("debian", "opensuse", "homebrew")
        for python in (PY314, PY313T)
    ),
    ("debian", PY312, ("de", "pt_BR")),
    ("opensuse", PY313T, ("de", "pt_BR")),
    ("ubuntu", PY314, ("de", "pt_BR", "ja")),
    # PyPy as Debian ships it: /usr/lib/pypy3.11, its users' interpreter named.
    ("debian", PythonVersion.parse("pypy3.11"), ()),
]


def golden_name(name: str, python: PythonVersion, locales: tuple[str, ...]) -> str:
    if python == PY312 and not locales:
        return f"{name}.EXTERNALLY-MANAGED"
    return "-".join([name, str(python), *locales]) + ".EXTERNALLY-MANAGED"


@pytest.mark.parametrize(("name", "python", "locales"), GOLDEN_CASES, ids=str)
def test_golden(
    name: str, python: PythonVersion, locales: tuple[str, ...], goldens: Goldens
) -> None:
    result = render_markers(load_preset(name), pythons=[python], locales=locales)
    goldens.check(GOLDEN / golden_name(name, python, locales), serialize(result.markers[0]))
    assert result.warnings == ()


def test_no_stray_golden_files() -> None:
    files = {path.name for path in GOLDEN.iterdir() if path.is_file()}
    assert files == {golden_name(*c) for c in GOLDEN_CASES}


#: What each preset's message must tell its users, for Python 3.13.
FACTS = {
    "debian": [
        "apt install python3-xyz",
        "python3 -m venv path/to/venv",
        "path/to/venv/bin/python",
        "path/to/venv/bin/pip",
        "python3-full",
        "pipx install xyz",
        "/usr/share/doc/python3.13/README.venv",
        "Debian",
    ],
    "ubuntu": ["apt install python3-xyz", "python3-full", "pipx install xyz", "Ubuntu"],
    "arch": ["pacman -S python-xyz", "python -m venv", "pipx install xyz", "python-pipx"],
    "alpine": ["apk add py3-xyz", "python3 -m venv", "pipx install xyz", "apk add pipx"],
    "opensuse": [
        "zypper install python313-xyz",
        "python3.13 -m venv",
        "pipx install xyz",
        "python313-pipx",
    ],
    "fedora": ["dnf install python3-xyz", "python3 -m venv", "pipx install xyz"],
    "homebrew": [
        "brew install xyz",
        "python3.13 -m venv path/to/venv",
        "pipx install xyz",
        "brew install pipx",
        "--break-system-packages",
        "break-system-packages = true",
        "pip.conf",
        "--user",
    ],
    "homebrew-linux": ["brew install xyz", "brew install pipx", "--break-system-packages"],
    "gentoo": ["emerge", "dev-python/xyz", "python3 -m venv path/to/venv"],
    "void": ["xbps-install python3-xyz", "python3 -m venv", "bin/pip", "python3-pipx"],
    "nix": ["python313Packages.xyz", "nixpkgs", "python3.13 -m venv"],
    "generic": ["python3.13 -m venv path/to/venv", "pipx install xyz"],
}


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("name", PRESETS)
def test_preset_mentions_its_own_commands(name: str) -> None:
    text = flat(preset_text(name, PY313))
    for fact in FACTS[name]:
        assert fact in text, f"{name}: {fact!r} missing"
    distributor = load_preset(name)
    assert distributor.name in text


def test_ubuntu_never_says_debian() -> None:
    for python in (PY312, PY313, PythonVersion(3, 13, True)):
        assert "Debian" not in preset_text("ubuntu", python)


def test_gentoo_and_nix_leave_pipx_out() -> None:
    assert "pipx" not in preset_text("gentoo")
    assert "pipx" not in preset_text("nix")


def test_pip_conf_advice_only_for_homebrew() -> None:
    for name in PRESETS:
        assert ("--break-system-packages" in preset_text(name)) == name.startswith("homebrew")


@pytest.mark.parametrize("name", PRESETS)
def test_preset_reads_back_in_configparser(name: str) -> None:
    marker = render_markers(load_preset(name), pythons=[PY313]).markers[0]
    content = serialize(marker)
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(content)
    assert parser["externally-managed"]["Error"] == marker.text()
    assert read_messages(content) == {"Error": marker.text()}
    assert all(len(line) <= 76 for line in marker.text().splitlines())


def test_one_marker_per_python_in_order() -> None:
    pythons = [PY313, PY312, PythonVersion(3, 13, True)]
    result = render_markers(load_preset("opensuse"), pythons=pythons)
    assert [marker.python for marker in result.markers] == pythons
    assert "python313-xyz" in flat(result.markers[0].text())
    assert "python312-xyz" in flat(result.markers[1].text())
    assert [m.key for m in result.markers[0].messages] == ["Error"]


# -- user templates and errors ------------------------------------------------------


def config_with_template(tmp_path: Path, template: str, extra: str = "") -> Distributor:
    (tmp_path / "msg.txt.j2").write_text(template, encoding="utf-8")
    path = tmp_path / "c.toml"
    path.write_text(
        f'preset = "debian"\n[message]\ntemplate = "msg.txt.j2"\n{extra}', encoding="utf-8"
    )
    return load_config(path)


def test_user_template_sees_every_variable(tmp_path: Path) -> None:
    distributor = config_with_template(
        tmp_path,
        "{{ distributor }} {{ python }} {{ stdlib_dir }} {{ stdlib_name }}\n"
        "{{ version_nodot }} {{ venv_pip }} {{ support }}\n",
        '[message.variables]\nsupport = "ask {distributor} about {version}"\n',
    )
    text = render_message(distributor, PythonVersion(3, 13, True))
    assert text == (
        "Debian 3.13t /usr/lib/python3.13t python3.13t\n"
        "313 path/to/venv/bin/pip ask Debian about 3.13"
    )


def test_user_template_includes_files_next_to_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "footer.j2").write_text("Footer for {{ distributor }}.\n")
    distributor = config_with_template(tmp_path, "Body.\n\n{% include 'footer.j2' %}\n")
    monkeypatch.chdir("/")
    assert render_message(distributor, PY312) == "Body.\n\nFooter for Debian."


def test_error_in_an_included_template_names_that_file(tmp_path: Path) -> None:
    (tmp_path / "footer.j2").write_text("Footer.\n{{ distributer }}\n")
    distributor = config_with_template(tmp_path, "Body.\n\n{% include 'footer.j2' %}\n")
    with pytest.raises(TemplateError, match="did you mean `distributor`") as info:
        render_message(distributor, PY312)
    assert (info.value.file, info.value.line) == (str(tmp_path / "footer.j2"), 2)


def test_paragraphs_are_normalised(tmp_path: Path) -> None:
    distributor = config_with_template(tmp_path, "\n\none   \n\n\n\ntwo\nthree\n\n")
    assert render_message(distributor, PY312) == "one\n\ntwo\nthree"


def test_extra_paragraphs_come_last(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('preset = "arch"\n[message]\nextra = ["First {version}.", "Second."]\n')
    text = render_message(load_config(path), PY312)
    assert text.endswith("\n\nFirst 3.12.\n\nSecond.")


TEMPLATE_ERRORS = [
    pytest.param(
        "Fine.\n{{ instal }}\n",
        2,
        ["undefined variable `instal`", "did you mean `install`?"],
        id="undefined",
    ),
    pytest.param(
        "Fine.\n{% if install %}\nno end\n",
        3,
        ["template syntax error", "endif"],
        id="syntax",
    ),
    pytest.param(
        "{% trans %}A {{ x.y }} B{% endtrans %}\n",
        1,
        ["template syntax error"],
        id="trans-expression",
    ),
    pytest.param(
        "Fine.\n\n{{ '{0.__class__}'.format(name) }}\n",
        3,
        ["the sandbox forbids"],
        id="sandbox",
    ),
    pytest.param("{{ name.nope }}\n", 1, ["undefined"], id="undefined-attribute"),
    pytest.param("{% if install %}\n{% endif %}\n", None, ["renders an empty message"], id="empty"),
]


@pytest.mark.parametrize(("template", "line", "expected"), TEMPLATE_ERRORS)
def test_template_errors(
    tmp_path: Path, template: str, line: int | None, expected: list[str]
) -> None:
    distributor = config_with_template(tmp_path, template)
    with pytest.raises(TemplateError) as info:
        render_message(distributor, PY312)
    assert info.value.file == str((tmp_path / "msg.txt.j2").resolve())
    assert info.value.line == line
    for part in expected:
        assert part in str(info.value)


@pytest.mark.parametrize(("template", "line", "expected"), TEMPLATE_ERRORS)
def test_template_errors_through_the_cli(
    tmp_path: Path, template: str, line: int | None, expected: list[str]
) -> None:
    config_with_template(tmp_path, template)
    result = CliRunner().invoke(cli, ["render", "-c", str(tmp_path / "c.toml")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "msg.txt.j2" + (f":{line}" if line else "") in result.output
    for part in expected:
        assert part in result.output


def test_template_file_deleted_after_loading(tmp_path: Path) -> None:
    distributor = config_with_template(tmp_path, "Hello.\n")
    (tmp_path / "msg.txt.j2").unlink()
    with pytest.raises(TemplateError, match="does not exist"):
        render_message(distributor, PY312)


def test_serializer_refusal_is_an_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('preset = "arch"\n[message]\ndocs = "https://example.org/#python"\n')
    result = CliRunner().invoke(cli, ["render", "-c", str(path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert f"error: {path}: python " in result.output
    assert "contains `#`" in result.output


# -- translations ------------------------------------------------------------------


class German:
    """A gettext-compatible catalog with one translated sentence."""

    def __init__(self, catalog: dict[str, str]) -> None:
        self.catalog = catalog

    def gettext(self, message: str, /) -> str:
        return self.catalog.get(message, message)

    def ngettext(self, singular: str, plural: str, n: int, /) -> str:
        return singular if n == 1 else plural


INSTALL_MSGID = (
    "To install Python packages system-wide, try %(install)s, where %(name)s is the "
    "package you want to install."
)


def test_trans_blocks_use_the_translations_with_variables_kept() -> None:
    german = German(
        {INSTALL_MSGID: "Pakete installieren Sie mit %(install)s (%(name)s ist der Name)."}
    )
    text = render_message(load_preset("debian"), PY312, translations=german)
    assert text.startswith("Pakete installieren Sie mit apt install python3-xyz (xyz ist der")
    assert "Debian does not provide" in text  # untranslated sentences stay English


def test_translation_with_unknown_variable_is_a_template_error() -> None:
    german = German({INSTALL_MSGID: "Mit %(instal)s."})
    with pytest.raises(TemplateError, match="`%\\(instal\\)s`") as info:
        render_message(load_preset("debian"), PY312, translations=german)
    assert info.value.file is not None
    assert info.value.file.endswith("message.txt.j2")


def test_the_english_text_does_not_depend_on_an_earlier_translation() -> None:
    german = German({INSTALL_MSGID: "Deutsch %(install)s %(name)s."})
    render_message(load_preset("debian"), PY312, translations=german)
    assert render_message(load_preset("debian"), PY312).startswith("To install")


# -- property: any config values either render or fail as a user error ---------------

_TEXT = st.lists(
    st.one_of(
        st.text(
            st.characters(max_codepoint=0xD7FF) | st.characters(min_codepoint=0xE000), max_size=8
        ),
        st.sampled_from([f"{{{name}}}" for name in PLACEHOLDERS]),
        st.sampled_from(["{", "}", "{{", "}}", "{nmae}", "{0}", "{name:>4}", "#", " ", "\n"]),
    ),
    max_size=8,
).map("".join)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    values=st.dictionaries(
        st.sampled_from(["install", "venv", "venv_setup", "docs", "pipx", "pip_conf"]), _TEXT
    ),
    name=_TEXT,
    extra=st.lists(_TEXT, max_size=2),
)
def test_random_config_values_render_or_raise_a_user_error(
    values: dict[str, str], name: str, extra: list[str]
) -> None:
    lines = ['preset = "debian"', f"name = {json.dumps(name)}", "[message]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    lines.append(f"extra = {json.dumps(extra)}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "c.toml")
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        try:
            result = render_markers(load_config(path), pythons=[PY313])
            serialize(result.markers[0])
        except MarkerToolError as exc:
            error: MarkerToolError | None = exc
        else:
            error = None
    if error is not None:
        assert error.file is not None
        assert str(error).strip()
        return
    text = flat(result.markers[0].text())
    for value in [*values.values(), *extra]:
        if value.strip() and "{" not in value and "}" not in value:
            assert " ".join(value.split()) in text
    # Placeholders are filled; `name` is used as written.
    if "{" not in "".join([*values.values(), *extra, name]):
        assert "{" not in text


# -- the render command -----------------------------------------------------------


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, ["render", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_render_prints_the_marker() -> None:
    output = run("--preset", "arch", "--python", "3.12")
    assert output == (GOLDEN / "arch.EXTERNALLY-MANAGED").read_text()


def test_render_several_pythons_labels_each() -> None:
    output = run("--preset", "fedora", "--python", "3.12", "--python", "3.13t")
    assert "==> /usr/lib64/python3.12/EXTERNALLY-MANAGED <==\n[externally-managed]" in output
    assert "\n\n==> /usr/lib64/python3.13t/EXTERNALLY-MANAGED <==\n" in output


def test_render_to_files(tmp_path: Path) -> None:
    output = str(tmp_path / "{python}" / "EXTERNALLY-MANAGED")
    run("--preset", "debian", "--python", "3.12", "--python", "3.13t", "-o", output)
    assert "python3.13/README.venv" in (tmp_path / "3.13t" / "EXTERNALLY-MANAGED").read_text()
    golden = (GOLDEN / "debian.EXTERNALLY-MANAGED").read_text()
    assert (tmp_path / "3.12" / "EXTERNALLY-MANAGED").read_text() == golden


def test_render_several_pythons_to_one_file_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["render", "--preset", "debian", "--python", "3.12", "--python", "3.13", "-o", "x"]
    )
    assert result.exit_code == 2
    assert "{python}" in result.output


def test_render_config_and_preset_together_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["render", "-c", "x.toml", "--preset", "debian"])
    assert result.exit_code == 2
    assert "not both" in result.output


def test_render_bad_python_option() -> None:
    result = CliRunner().invoke(cli, ["render", "--preset", "debian", "--python", "3"])
    assert result.exit_code == 2
    assert "not a Python version" in result.output


def test_render_json() -> None:
    data = json.loads(
        run("--preset", "opensuse", "--python", "3.12", "--python", "3.13", "--format", "json")
    )
    assert list(data) == ["3.12", "3.13"]
    assert list(data["3.13"]) == ["Error"]
    assert (
        data["3.12"]["Error"]
        == render_markers(load_preset("opensuse"), pythons=[PY312]).markers[0].text()
    )


# -- the Homebrew snippet ---------------------------------------------------------


def ruby_unescape(body: str) -> str:
    """What Ruby makes of an interpolating heredoc body; fails on live interpolation."""
    out = []
    chars = iter(range(len(body)))
    for index in chars:
        char = body[index]
        if char == "\\":
            following = body[index + 1]
            assert following in "\\#", f"unexpected escape \\{following}"
            out.append(following)
            next(chars)
        elif char == "#" and body[index + 1 : index + 2] in ("{", "@", "$"):
            raise AssertionError(f"live interpolation at {index}: {body[index : index + 5]!r}")
        else:
            out.append(char)
    return "".join(out)


@pytest.mark.parametrize(
    "text",
    [
        "plain",
        r"C:\new\table and \\server",
        "#{system('rm -rf /')} and #@ivar and #$global and # alone and #",
        "\\#{ already escaped?",
        "end\\",
        "{python} #{{x}}",
    ],
)
def test_ruby_heredoc_escaping_round_trips(text: str) -> None:
    assert ruby_unescape(ruby_heredoc_body(text)) == text


def squiggly_heredoc(snippet: str) -> tuple[str, str]:
    """The target and the string a `(x).write <<~WORD ... WORD` snippet writes."""
    match = re.search(r"^ *\((.*)\)\.write <<~(\w+)\n(.*?)^ *\2\n", snippet, re.S | re.M)
    assert match, snippet
    lines = match[3].split("\n")[:-1]
    indent = min(len(line) - len(line.lstrip(" ")) for line in lines if line.strip())
    body = "\n".join(line[indent:] for line in lines) + "\n"
    return match[1], ruby_unescape(body)


def test_homebrew_snippet_writes_the_marker(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        'preset = "homebrew"\n[message]\nextra = ["Windows users: C:\\\\Python\\\\pip.ini"]\n'
    )
    result = render_markers(load_config(path), pythons=[PY312])
    snippet = homebrew_snippet(result)
    target, written = squiggly_heredoc(snippet)
    assert target == 'lib_cellar/"EXTERNALLY-MANAGED"'
    assert written == serialize(result.markers[0])
    assert "C:\\Python\\pip.ini" in written
    assert "C:\\\\Python" in snippet


def test_homebrew_snippet_terminator_never_appears_in_the_text() -> None:
    marker = render_markers(load_preset("homebrew"), pythons=[PY312]).markers[0]
    tricky = replace(marker, messages=(Message("Error", "First.\nEOS\nEOS_\nLast."),))
    snippet = homebrew_snippet(RenderResult((tricky,)))
    assert "<<~EOS__\n" in snippet
    _, written = squiggly_heredoc(snippet)
    assert read_messages(written) == {"Error": "First.\nEOS\nEOS_\nLast."}


def test_render_homebrew_format() -> None:
    output = run("--preset", "homebrew", "--python", "3.13", "--format", "homebrew")
    assert output.count('(lib_cellar/"EXTERNALLY-MANAGED").write <<~EOS') == 1
    assert "# PEP 668 marker for python@3.13" in output
    assert "after ensurepip" in output
    assert "brew install pipx" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--preset", "homebrew", "--python", "3.12", "--python", "3.13"], "for one Python"),
        (["--preset", "debian", "--python", "3.12"], "layout is `deb`"),
    ],
)
def test_render_homebrew_format_refuses_what_no_formula_is(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["render", *args, "--format", "homebrew"])
    assert result.exit_code == 2, result.output
    assert message in result.output


@pytest.mark.real
@pytest.mark.parametrize(
    "extra",
    [
        "Windows users: C:\\Python\\pip.ini and \\\\server\\share",
        "Ruby must not run #{system('false')} or read #@ivar and #$global; a # alone stays.",
        "EOS",
    ],
)
def test_real_ruby_writes_exactly_the_marker(tmp_path: Path, extra: str) -> None:
    # The formula snippet, run by Ruby itself with `lib_cellar` pointing at a temporary
    # directory, must write the very bytes marker-tool would install.
    import shutil
    import subprocess

    from tests.realprograms import missing

    ruby = shutil.which("ruby")
    if ruby is None:
        missing("ruby (Debian package `ruby`)")
        return
    marker = render_markers(load_preset("homebrew"), pythons=[PY312]).markers[0]
    # In a locale key: `Error` refuses `#` and `;`, which uv 0.13.0 cuts.
    tricky = Message("Error-de", extra.replace("EOS", "EOS\nEOS_"), "de")
    marker = replace(marker, messages=(*marker.messages, tricky))
    script = tmp_path / "formula.rb"
    script.write_text(
        'require "pathname"\ndef lib_cellar = Pathname(ARGV[0])\n'
        + homebrew_snippet(RenderResult((marker,))),
        encoding="utf-8",
    )
    subprocess.run([ruby, str(script), str(tmp_path)], check=True, timeout=60)
    written = (tmp_path / "EXTERNALLY-MANAGED").read_text(encoding="utf-8")
    assert written == serialize(marker)


DISTRIBUTION_NAMES = re.compile(
    r"Debian|Ubuntu|Arch Linux|Alpine|Fedora|Homebrew|Gentoo|openSUSE|SUSE|Void|NixOS|Nix\b"
)
BUILTIN_LOCALES = sorted(
    p.stem for p in (Path(__file__).resolve().parent.parent / "templates" / "locale").glob("*.po")
)


@pytest.mark.parametrize("preset", PRESETS)
def test_a_derivative_text_never_names_its_parent(preset: str) -> None:
    # Every place a preset names a distribution is `{distributor}`: with a made-up
    # name, in English and every built-in language, no distribution's name is left
    # (web addresses, which are facts of where the docs live, aside).
    distributor = replace(load_preset(preset, pythons=[PY312]), name="Zyx Linux")
    [marker] = render_markers(distributor, locales=BUILTIN_LOCALES).markers
    assert len(marker.messages) > len(BUILTIN_LOCALES)
    for message in marker.messages:
        prose = re.sub(r"https?://\S+", "", message.text)
        assert "Zyx Linux" in prose, (preset, message.key)
        assert not DISTRIBUTION_NAMES.findall(prose), (preset, message.key, prose)


#: Words after which a name would need an elision or an inflection the template cannot make:
#: French `que Acme` (qu'Acme), `de Acme` (d'Acme); Portuguese `do`/`da` (by the name's gender);
#: Italian and Spanish articles.
AWKWARD = {
    "fr": r"\b(que|de|le|la|ce|ne|se|je|me|te|du)",
    "pt": r"\b(do|da|dos|das|no|na|pelo|pela|ao|à)",
    "it": r"\b(lo|la|il|dello|della|del|dal|dalla|nel|nella)",
    "es": r"\b(el|la|del|al)",
}


@pytest.mark.parametrize("name", ["Acme Linux", "Zyx Linux"])
def test_catalogs_read_naturally_whatever_the_name(name: str) -> None:
    distributor = replace(load_preset("homebrew", pythons=[PY312]), name=name)
    [marker] = render_markers(distributor, locales=BUILTIN_LOCALES).markers
    checked = 0
    for message in marker.messages:
        language = (message.locale or "en").split("_")[0]
        if language in AWKWARD:
            flat = " ".join(message.text.split())
            assert not re.search(AWKWARD[language] + " " + re.escape(name), flat), (
                message.key,
                flat,
            )
            checked += 1
    assert checked >= 5
