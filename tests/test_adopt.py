"""`marker-tool adopt`: a hand-written marker taken over byte for byte, then translated."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from marker_tool import adopt
from marker_tool.cli import cli
from marker_tool.errors import InputError
from marker_tool.model import PythonVersion
from marker_tool.validate import validate_bytes

MARKERS = Path(__file__).parent / "markers"
PY = PythonVersion(3, 12)
DEBIAN = MARKERS / "valid" / "debian-bookworm.EXTERNALLY-MANAGED"


def passing_markers() -> list[Path]:
    """Every marker of the corpus that passes validation (warnings allowed)."""
    found = [
        path
        for path in sorted(MARKERS.rglob("*"))
        if path.is_file()
        and path.suffix not in (".txt", ".md")
        and validate_bytes(path.read_bytes()).passed
    ]
    assert len(found) > 50  # the corpus, not an empty glob
    return found


def adopted(
    tmp_path: Path, data: bytes, *, python: PythonVersion = PY, name: str | None = None
) -> Path:
    """Adopt `data` into tmp_path/adopted and return that directory."""
    try:
        adoption = adopt.adopt(data, source="marker", python=python, name=name, layout="generic")
    except InputError as exc:
        if "distributor's name" not in exc.message:
            raise
        adoption = adopt.adopt(data, source="marker", python=python, name="Acme", layout="generic")
    directory = tmp_path / "adopted"
    adopt.write(adoption, directory, data, replace=True)
    return directory


@pytest.mark.parametrize("path", passing_markers(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_passing_marker_renders_back_byte_for_byte(tmp_path: Path, path: Path) -> None:
    data = path.read_bytes()
    directory = adopted(tmp_path, data)
    assert adopt.rendered(directory, PY) == data
    # Through the CLI, as a distributor runs it.
    out = tmp_path / "rendered"
    result = CliRunner().invoke(
        cli, ["render", "-c", str(directory / adopt.CONFIG_NAME), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == data


def test_the_version_and_the_name_become_placeholders(tmp_path: Path) -> None:
    data = DEBIAN.read_bytes()
    directory = adopted(tmp_path, data, python=PythonVersion(3, 11))
    template = (directory / adopt.FILE_TEMPLATE_NAME).read_text()
    assert "python{{ version }}/README.venv" in template
    assert "non-{{ distributor }}-packaged" in template
    config = (directory / adopt.CONFIG_NAME).read_text()
    assert 'name = "Debian"' in config
    assert 'pythons = ["3.11"]' in config
    # Another Python and another name: only those words change.
    config = str(directory / adopt.CONFIG_NAME)
    args = ["render", "-c", config, "--python", "3.13", "--name", "Ubuntu"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    expected = data.decode().replace("3.11", "3.13").replace("Debian", "Ubuntu")
    assert result.output == expected


def test_jinja_delimiters_and_a_missing_final_newline_survive(tmp_path: Path) -> None:
    data = (
        b"# {# not a comment #} and {% raw %}\n"
        b"[externally-managed]\n"
        b"Error = Use {{ apt }} or {%pkg%}: {{{x}}} for python3.12 (python312-xyz),\n"
        b"  not Python 3.12.1 or 3.120."
    )
    directory = adopted(tmp_path, data, name="Acme")
    assert adopt.rendered(directory, PY) == data
    template = (directory / adopt.FILE_TEMPLATE_NAME).read_text()
    assert "python{{ version_nodot }}-xyz" in template
    assert "3.12.1 or 3.120." in template  # other versions stay as written
    assert adopt.rendered(directory, PythonVersion(3, 13)) == data.replace(
        b"python3.12 ", b"python3.13 "
    ).replace(b"python312", b"python313")


def test_crlf_is_kept_and_free_threaded_versions_are_placeholders(tmp_path: Path) -> None:
    data = b"[externally-managed]\r\nError = Use python3.13t -m venv in /usr/lib/python3.13t.\r\n"
    ft = PythonVersion(3, 13, freethreaded=True)
    directory = adopted(tmp_path, data, python=ft, name="Acme")
    assert 'newline = "crlf"' in (directory / adopt.CONFIG_NAME).read_text()
    assert adopt.rendered(directory, ft) == data
    assert adopt.rendered(directory, PythonVersion(3, 14, freethreaded=True)) == data.replace(
        b"3.13t", b"3.14t"
    )


def _translate(po: Path, translations: dict[str, str]) -> None:
    from babel.messages.pofile import read_po, write_po

    with po.open("rb") as handle:
        catalog = read_po(handle)
    for message in catalog:
        if message.id:
            message.string = translations.get(str(message.id), "")
    with po.open("wb") as handle:
        write_po(handle, catalog)


def test_adopted_then_translated_keeps_the_original_bytes_first(tmp_path: Path) -> None:
    """The workflow the config's comments describe: extract, init, translate, list the locale."""
    data = DEBIAN.read_bytes()
    directory = adopted(tmp_path, data, python=PythonVersion(3, 11))
    config = directory / adopt.CONFIG_NAME
    runner = CliRunner()
    locale = directory / "locale"
    pot = locale / "messages.pot"
    result = runner.invoke(cli, ["i18n", "extract", "-c", str(config), "-o", str(pot)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["i18n", "init", "de", "-d", str(locale)])
    assert result.exit_code == 0, result.output
    from babel.messages.pofile import read_po

    with pot.open("rb") as handle:
        ids = [str(m.id) for m in read_po(handle) if m.id]
    assert len(ids) == 4
    assert ids[0].startswith("To install Python packages system-wide")
    _translate(locale / "de.po", {msgid: f"Auf Deutsch: {msgid}" for msgid in ids})
    text = config.read_text().replace('# catalogs = "locale"', 'catalogs = "locale"')
    config.write_text(text.replace('# locales = ["de"]', 'locales = ["de"]'))
    out = tmp_path / "marker"
    result = runner.invoke(cli, ["render", "-c", str(config), "-o", str(out)])
    assert result.exit_code == 0, result.output
    rendered = out.read_bytes()
    assert rendered.startswith(data)  # the adopted text, unchanged, then the translation
    added = rendered[len(data) :].decode()
    assert added.startswith("Error-de = Auf Deutsch: To install Python packages")
    assert "/usr/share/doc/python3.11/README.venv" in added
    assert validate_bytes(rendered, strict=True).passed
    # The message template drifts from the file's text: translations would not match.
    file_template = directory / adopt.FILE_TEMPLATE_NAME
    file_template.write_text(file_template.read_text().replace("try apt install", "run apt"))
    result = runner.invoke(cli, ["render", "-c", str(config)])
    assert result.exit_code == 2
    assert "is not the file template's `Error` text" in result.output
    assert "Traceback" not in result.output


def test_translations_need_a_place_in_the_file_template(tmp_path: Path) -> None:
    directory = adopted(tmp_path, DEBIAN.read_bytes(), python=PythonVersion(3, 11))
    file_template = directory / adopt.FILE_TEMPLATE_NAME
    file_template.write_text(file_template.read_text().replace("{{ translations }}", ""))
    config = directory / adopt.CONFIG_NAME
    config.write_text(config.read_text() + '\n[i18n.texts]\nde = "Benutzen Sie apt."\n')
    config.write_text(config.read_text().replace('# locales = ["de"]', 'locales = ["de"]'))
    result = CliRunner().invoke(cli, ["render", "-c", str(config)])
    assert result.exit_code == 2, result.output
    assert "has no `{{ translations }}`" in result.output


def test_a_file_template_that_breaks_the_marker_is_refused(tmp_path: Path) -> None:
    directory = adopted(tmp_path, DEBIAN.read_bytes(), python=PythonVersion(3, 11))
    file_template = directory / adopt.FILE_TEMPLATE_NAME
    broken = file_template.read_text().replace(" install.\n", " install.\nerror = again\n", 1)
    file_template.write_text(broken)
    result = CliRunner().invoke(cli, ["render", "-c", str(directory / adopt.CONFIG_NAME)])
    assert result.exit_code == 2, result.output
    assert "EM205" in result.output
    assert "misread" in result.output


def test_newline_must_be_lf_or_crlf(tmp_path: Path) -> None:
    directory = adopted(tmp_path, DEBIAN.read_bytes(), python=PythonVersion(3, 11))
    config = directory / adopt.CONFIG_NAME
    config.write_text(config.read_text().replace("[file]\n", '[file]\nnewline = "clrf"\n'))
    result = CliRunner().invoke(cli, ["render", "-c", str(config)])
    assert result.exit_code == 2
    assert "marker-tool.toml:" in result.output
    assert "did you mean `crlf`" in result.output


def test_the_cli_writes_three_files_and_says_how_to_render(tmp_path: Path) -> None:
    stdlib = tmp_path / "usr" / "lib" / "python3.11"
    stdlib.mkdir(parents=True)
    marker = stdlib / "EXTERNALLY-MANAGED"
    marker.write_bytes(DEBIAN.read_bytes())
    out = tmp_path / "debian" / "marker"
    runner = CliRunner()
    result = runner.invoke(cli, ["adopt", str(marker), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(os.listdir(out)) == sorted(
        [adopt.CONFIG_NAME, adopt.FILE_TEMPLATE_NAME, adopt.MESSAGE_TEMPLATE_NAME]
    )
    assert "Python 3.11, Debian" in result.output  # told by the directory and the text
    # Not again without --force; with it, the same files.
    before = {name: (out / name).read_bytes() for name in os.listdir(out)}
    result = runner.invoke(cli, ["adopt", str(marker), "-o", str(out)])
    assert result.exit_code == 2
    assert "--force" in result.output
    result = runner.invoke(cli, ["adopt", str(marker), "-o", str(out), "--force"])
    assert result.exit_code == 0
    assert before == {name: (out / name).read_bytes() for name in os.listdir(out)}


@pytest.mark.parametrize(
    ("content", "args", "expected"),
    [
        (b"[externally-managed]\nError = Use apt.\nError = again\n", [], "fails validation"),
        (b"!<arch>\ndebian-binary   ", [], "a corrupt ar member header"),
        (b"[externally-managed]\nError = Use apt.\n", [], "pass --python X.Y"),
        (
            b"[externally-managed]\r\nError = Use apt\n  or not.\r\n",
            ["--python", "3.12", "--name", "Acme"],
            "mixes line endings",
        ),
    ],
    ids=["invalid", "package", "no-python", "mixed-endings"],
)
def test_what_cannot_be_adopted_is_exit_2(
    tmp_path: Path, content: bytes, args: list[str], expected: str
) -> None:
    marker = tmp_path / "EXTERNALLY-MANAGED"
    marker.write_bytes(content)
    result = CliRunner().invoke(cli, ["adopt", str(marker), *args, "-o", str(tmp_path / "o")])
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "o").exists()


def test_a_fifo_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "EXTERNALLY-MANAGED"
    os.mkfifo(fifo)
    result = CliRunner().invoke(cli, ["adopt", str(fifo), "--python", "3.12"])
    assert result.exit_code == 2
    assert "not a regular file" in result.output or "FIFO" in result.output


@pytest.mark.real  # dpkg-deb reads the real packages
@pytest.mark.parametrize("suite", ["bookworm", "trixie", "sid"])
def test_debians_pypy3_marker_is_adopted_and_installed_back_byte_for_byte(
    suite: str, tmp_path: Path
) -> None:
    """Debian's real pypy3-lib (from the oracle's corpus): adopt takes its marker out of the
    .deb, and install puts the same bytes where Debian's package has them."""
    import subprocess
    import tarfile

    from tests.corpus import Binary
    from tests.oracle_systems import binaries, paths

    lib: list[Binary] = [
        b for b in binaries(suite, ("amd64",), sources=["pypy3"]) if b.name == "pypy3-lib"
    ]
    [deb] = paths(lib)
    fsys = subprocess.run(["dpkg-deb", "--fsys-tarfile", deb], capture_output=True, check=True)
    (tmp_path / "data.tar").write_bytes(fsys.stdout)
    with tarfile.open(tmp_path / "data.tar") as tar:
        [member] = [m for m in tar.getmembers() if m.name.endswith("/EXTERNALLY-MANAGED")]
        handle = tar.extractfile(member)
        assert handle is not None
        shipped = handle.read()
    where = member.name.removeprefix("./")
    assert where.startswith("usr/lib/pypy3.")

    runner = CliRunner()
    done = runner.invoke(cli, ["adopt", str(deb), "-o", str(tmp_path / "cfg")])
    assert done.exit_code == 0, done.output
    assert "layout deb" in done.output
    destdir = tmp_path / "root"
    config = tmp_path / "cfg" / "marker-tool.toml"
    done = runner.invoke(cli, ["install", "-c", str(config), "--destdir", str(destdir)])
    assert done.exit_code == 0, done.output
    assert (destdir / where).read_bytes() == shipped
