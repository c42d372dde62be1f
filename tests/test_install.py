"""Installing markers: paths per layout, atomic reproducible writes, refusals, real pip and uv."""

from __future__ import annotations

import os
import stat
from dataclasses import replace
from pathlib import Path, PurePosixPath

import pytest
from click.testing import CliRunner

from marker_tool.cli import cli
from marker_tool.config import load_preset
from marker_tool.errors import InputError, InstallError, SerializeError
from marker_tool.ini import serialize, wrap_text
from marker_tool.install import (
    InstallTarget,
    MakeLink,
    Unchanged,
    WriteFile,
    apply,
    install,
    plan_install,
)
from marker_tool.interpreter import Interpreter
from marker_tool.layouts import LAYOUT_NAMES, get_layout, marker_path, shared_marker_path
from marker_tool.model import Marker, Message, PythonVersion
from marker_tool.presets import PRESETS
from tests.realprograms import run_pip, run_uv, stage_python

PY312 = PythonVersion.parse("3.12")
PY313T = PythonVersion.parse("3.13t")
TEXT = "Use the package manager: apt install python3-xyz.\n\nOr make a venv with python3 -m venv."
EPOCH = 1_700_000_000


def make_marker(python: PythonVersion = PY312, text: str = TEXT) -> Marker:
    return Marker(python, (Message("Error", text), Message("Error-de", "Bitte apt benutzen.")))


def tree(root: Path) -> dict[str, str]:
    """Every file and link under `root`: relative path -> content or `-> target`."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink():
            out[rel] = "-> " + os.readlink(path)
        elif path.is_file():
            out[rel] = path.read_text(encoding="utf-8")
    return out


@pytest.fixture(autouse=True)
def no_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    monkeypatch.delenv("DESTDIR", raising=False)


# --- where markers go -----------------------------------------------------------------


@pytest.mark.parametrize("name", [n for n in LAYOUT_NAMES if n != "gentoo"])
def test_each_layout_writes_one_marker_per_python(tmp_path: Path, name: str) -> None:
    markers = [make_marker(PY312), make_marker(PY313T, "Free-threaded: use the package manager.")]
    actions = install(markers, InstallTarget(tmp_path, layout=name))
    expected = {
        str(marker_path(get_layout(name), m.python)).lstrip("/"): serialize(m) for m in markers
    }
    assert tree(tmp_path) == expected
    assert [a.describe() for a in actions] == [f"wrote {tmp_path / rel}" for rel in expected]


def test_gentoo_writes_one_shared_file_and_relative_links(tmp_path: Path) -> None:
    markers = [make_marker(PY312), make_marker(PY313T)]
    actions = install(markers, InstallTarget(tmp_path, layout="gentoo"))
    assert tree(tmp_path) == {
        "usr/lib/python/EXTERNALLY-MANAGED": serialize(markers[0]),
        "usr/lib/python3.12/EXTERNALLY-MANAGED": "-> ../python/EXTERNALLY-MANAGED",
        "usr/lib/python3.13t/EXTERNALLY-MANAGED": "-> ../python/EXTERNALLY-MANAGED",
    }
    assert [type(a) for a in actions] == [WriteFile, MakeLink, MakeLink]
    assert (tmp_path / "usr/lib/python3.13t/EXTERNALLY-MANAGED").read_text() == serialize(
        markers[0]
    )
    # Again: all in place.
    again = install(markers, InstallTarget(tmp_path, layout="gentoo"))
    assert [type(a) for a in again] == [Unchanged] * 3


def test_gentoo_refuses_texts_that_differ_per_version(tmp_path: Path) -> None:
    markers = [make_marker(PY312, "See python3.12 docs."), make_marker(PY313T, "See 3.13 docs.")]
    with pytest.raises(InstallError, match="their texts differ"):
        install(markers, InstallTarget(tmp_path, layout="gentoo"))
    assert tree(tmp_path) == {}
    assert shared_marker_path(get_layout("gentoo"), PY312) is not None


def test_gentoo_link_over_a_file_needs_force(tmp_path: Path) -> None:
    per_version = tmp_path / "usr/lib/python3.12/EXTERNALLY-MANAGED"
    per_version.parent.mkdir(parents=True)
    per_version.write_text("old")
    with pytest.raises(InstallError, match="other than a link"):
        install([make_marker()], InstallTarget(tmp_path, layout="gentoo"))
    assert tree(tmp_path) == {"usr/lib/python3.12/EXTERNALLY-MANAGED": "old"}
    actions = install([make_marker()], InstallTarget(tmp_path, layout="gentoo"), force=True)
    assert actions[1].describe() == f"relinked {per_version} -> ../python/EXTERNALLY-MANAGED"
    assert os.readlink(per_version) == "../python/EXTERNALLY-MANAGED"


def test_stdlib_dir_pattern(tmp_path: Path) -> None:
    markers = [make_marker(PY312), make_marker(PY313T)]
    install(markers, InstallTarget(tmp_path, stdlib_dir="/opt/py/{version}/lib/{stdlib_name}"))
    assert set(tree(tmp_path)) == {
        "opt/py/3.12/lib/python3.12/EXTERNALLY-MANAGED",
        "opt/py/3.13/lib/python3.13t/EXTERNALLY-MANAGED",
    }


def test_stdlib_dir_without_placeholders_takes_one_python(tmp_path: Path) -> None:
    install([make_marker()], InstallTarget(tmp_path, stdlib_dir="/srv/stdlib", layout="gentoo"))
    assert set(tree(tmp_path)) == {"srv/stdlib/EXTERNALLY-MANAGED"}
    with pytest.raises(InstallError, match="one directory, but there are markers for 2"):
        install(
            [make_marker(PY312), make_marker(PY313T)], InstallTarget(tmp_path, stdlib_dir="/srv/x")
        )


@pytest.mark.parametrize(
    ("stdlib_dir", "problem"),
    [("lib/python3.12", "must be absolute"), ("/usr/{libdir}/x", "unknown placeholder")],
)
def test_bad_stdlib_dir(tmp_path: Path, stdlib_dir: str, problem: str) -> None:
    with pytest.raises(InstallError, match=problem):
        install([make_marker()], InstallTarget(tmp_path, stdlib_dir=stdlib_dir))


def test_interpreter_mismatch_is_refused(tmp_path: Path) -> None:
    target = Interpreter(PY313T, PurePosixPath("/usr/lib/python3.13t"))
    with pytest.raises(
        InstallError, match=r"belongs to Python 3\.13t, but the markers are for 3\.12"
    ):
        install([make_marker()], InstallTarget(tmp_path, interpreter=target))


# --- how files are written ------------------------------------------------------------


def test_reproducible_bytes_mode_and_mtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    old_umask = os.umask(0o077)
    try:
        for name in ("a", "b"):
            install(
                [make_marker(PY312), make_marker(PY313T)],
                InstallTarget(tmp_path / name, layout="gentoo"),
            )
    finally:
        os.umask(old_umask)
    assert tree(tmp_path / "a") == tree(tmp_path / "b")
    for name in ("a", "b"):
        shared = tmp_path / name / "usr/lib/python/EXTERNALLY-MANAGED"
        assert shared.read_bytes() == serialize(make_marker()).encode("utf-8")
        assert stat.S_IMODE(shared.stat().st_mode) == 0o644
        assert shared.stat().st_mtime == EPOCH
        link = tmp_path / name / "usr/lib/python3.12/EXTERNALLY-MANAGED"
        assert link.lstat().st_mtime == EPOCH


def test_mode_is_0644_without_epoch(tmp_path: Path) -> None:
    old_umask = os.umask(0o077)
    try:
        (action,) = install([make_marker()], tmp_path)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(action.path.stat().st_mode) == 0o644


def test_bad_source_date_epoch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(InputError, match="SOURCE_DATE_EPOCH must be a whole number"):
        install([make_marker()], tmp_path)
    assert tree(tmp_path) == {}


def test_same_content_is_left_alone(tmp_path: Path) -> None:
    (first,) = install([make_marker()], tmp_path)
    os.utime(first.path, (1000, 1000))
    inode = first.path.stat().st_ino
    (again,) = install([make_marker()], tmp_path)
    assert isinstance(again, Unchanged)
    assert again.describe() == f"unchanged {first.path}"
    assert first.path.stat().st_ino == inode
    assert first.path.stat().st_mtime == 1000


def test_different_content_is_refused_without_force(tmp_path: Path) -> None:
    (first,) = install([make_marker()], tmp_path)
    changed = make_marker(text="Another text.")
    with pytest.raises(InstallError) as info:
        install([changed], tmp_path)
    assert info.value.file == str(first.path)
    assert "different content" in info.value.message
    assert info.value.hint is not None
    assert "--force" in info.value.hint
    assert first.path.read_text() == serialize(make_marker())
    (forced,) = install([changed], tmp_path, force=True)
    assert isinstance(forced, WriteFile)
    assert forced.replace
    assert forced.describe() == f"replaced {first.path}"
    assert first.path.read_text() == serialize(changed)


def test_a_symlink_at_the_marker_is_replaced_by_a_file_only_with_force(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.write_text("not ours")
    dest = tmp_path / "dest"
    where = dest / "usr/lib/python3.12/EXTERNALLY-MANAGED"
    where.parent.mkdir(parents=True)
    where.symlink_to(outside)
    with pytest.raises(InstallError, match="different content"):
        install([make_marker()], dest)
    install([make_marker()], dest, force=True)
    assert not where.is_symlink()
    assert outside.read_text() == "not ours"


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    actions = install([make_marker(PY312), make_marker(PY313T)], tmp_path, dry_run=True)
    assert tree(tmp_path) == {}
    assert list(tmp_path.iterdir()) == []
    assert [a.describe(dry_run=True) for a in actions] == [
        f"would write {tmp_path}/usr/lib/python3.12/EXTERNALLY-MANAGED",
        f"would write {tmp_path}/usr/lib/python3.13t/EXTERNALLY-MANAGED",
    ]
    assert isinstance(actions[0], WriteFile)
    assert actions[0].content == serialize(make_marker())


def test_a_symlink_leading_out_of_destdir_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "usr").symlink_to(outside)
    with pytest.raises(InstallError, match="leads out of") as info:
        install([make_marker()], dest)
    assert info.value.file == str(dest / "usr/lib/python3.12/EXTERNALLY-MANAGED")
    assert list(outside.iterdir()) == []


def test_a_destdir_that_is_a_file_is_refused_by_name(tmp_path: Path) -> None:
    destdir = tmp_path / "stage"
    destdir.write_text("not a tree")
    result = CliRunner().invoke(
        cli, ["install", "--preset", "debian", "--python", "3.12", "--destdir", str(destdir)]
    )
    assert result.exit_code == 2
    assert str(destdir) in result.output
    assert "not a directory" in result.output
    assert "concurrent" not in result.output
    with pytest.raises(InstallError, match="the destdir is a regular file, not a directory"):
        install([make_marker()], destdir)
    with pytest.raises(InstallError, match="the destdir is below a file"):
        install([make_marker()], destdir / "root")
    assert destdir.read_text() == "not a tree"


def test_a_destdir_made_a_file_after_the_plan_is_not_called_a_race(tmp_path: Path) -> None:
    destdir = tmp_path / "stage"
    plan = plan_install([make_marker()], InstallTarget(destdir))
    destdir.write_text("not a tree")
    with pytest.raises(InstallError, match="Not a directory") as info:
        apply(plan)
    assert "concurrent" not in info.value.message


def test_a_symlink_inside_destdir_is_fine(tmp_path: Path) -> None:
    (tmp_path / "real-usr").mkdir()
    (tmp_path / "usr").symlink_to("real-usr")
    install([make_marker()], tmp_path)
    assert (tmp_path / "real-usr/lib/python3.12/EXTERNALLY-MANAGED").is_file()


def test_a_failed_write_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(InstallError, match="No space left on device"):
        install([make_marker()], tmp_path)
    assert list((tmp_path / "usr/lib/python3.12").iterdir()) == []


def test_no_temporary_files_after_success(tmp_path: Path) -> None:
    install([make_marker(PY312), make_marker(PY313T)], InstallTarget(tmp_path, layout="gentoo"))
    install([make_marker(PY312)], InstallTarget(tmp_path, layout="deb"), force=True)
    names = [p.name for p in tmp_path.rglob("*")]
    assert not [n for n in names if n.startswith(".") or n.endswith(".tmp")]


def test_a_marker_that_reads_differently_is_never_written(tmp_path: Path) -> None:
    (action,) = plan_install([make_marker()], InstallTarget(tmp_path))
    assert isinstance(action, WriteFile)
    bad = replace(action, content=action.content + "  one more line\n")
    tampered = replace(action, content=action.content.replace("venv", "v"))
    for wrong in (bad, tampered):
        with pytest.raises(SerializeError, match="read back differently"):
            apply([wrong])
    assert tree(tmp_path) == {}


def test_the_plan_refuses_text_pip_would_drop(tmp_path: Path) -> None:
    with pytest.raises(SerializeError, match="starts with `#`"):
        plan_install([make_marker(text="Intro.\n# not shown by pip")], InstallTarget(tmp_path))


# --- the command ----------------------------------------------------------------------


def test_install_command_with_destdir_from_the_environment(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["install", "--preset", "debian", "--python", "3.12", "--python", "3.13"]
    result = runner.invoke(cli, args, env={"DESTDIR": str(tmp_path)})
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"wrote {tmp_path}/usr/lib/python3.12/EXTERNALLY-MANAGED\n"
        f"wrote {tmp_path}/usr/lib/python3.13/EXTERNALLY-MANAGED\n"
    )
    text = (tmp_path / "usr/lib/python3.12/EXTERNALLY-MANAGED").read_text()
    assert "apt install" in text
    assert "python3.12" in text
    result = runner.invoke(cli, args, env={"DESTDIR": str(tmp_path)})
    assert result.output.splitlines()[0].startswith("unchanged ")


def test_install_command_needs_a_destdir() -> None:
    result = CliRunner().invoke(cli, ["install", "--preset", "debian"], env={"DESTDIR": ""})
    assert result.exit_code == 2
    assert "no destdir" in result.output
    assert "--destdir" in result.output


def test_install_command_options(tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["install", "--preset", "fedora", "--python", "3.13t", "--destdir", str(tmp_path)]
    result = runner.invoke(cli, [*base, "--libdir", "/usr/lib", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert result.output == f"would write {tmp_path}/usr/lib/python3.13t/EXTERNALLY-MANAGED\n"
    assert list(tmp_path.iterdir()) == []
    result = runner.invoke(cli, [*base, "--layout", "homebrew-linux", "--prefix", "/keg"])
    assert result.output == f"wrote {tmp_path}/keg/lib/python3.13t/EXTERNALLY-MANAGED\n"
    result = runner.invoke(cli, [*base, "--stdlib-dir", "/keg/lib/python3.13t", "--preset", "arch"])
    assert result.exit_code == 2
    assert "different content" in result.output
    assert "--force" in result.output
    result = runner.invoke(
        cli, [*base, "--stdlib-dir", "/keg/lib/python3.13t", "--preset", "arch", "--force"]
    )
    assert result.exit_code == 0, result.output
    assert "pacman" in (tmp_path / "keg/lib/python3.13t/EXTERNALLY-MANAGED").read_text()


# --- real pip and uv ------------------------------------------------------------------


def pip_block(text: str) -> str:
    """How pip prints a message: `╰─> ` then lines indented 4, blank lines as 4 spaces."""
    first, *rest = text.split("\n")
    return "╰─> " + first + "".join("\n    " + line for line in rest) + "\n"


def uv_block(text: str) -> str:
    return "\n".join(f"  {line}" if line else "" for line in text.split("\n")) + "\n"


@pytest.mark.real
def test_real_pip_and_uv_refuse_with_the_installed_preset_text(tmp_path: Path) -> None:
    staged = stage_python("3.12", tmp_path / "py")
    result = CliRunner().invoke(
        cli,
        ["install", "--preset", "debian", "--destdir", "/", "--interpreter", str(staged.python)],
    )
    assert result.exit_code == 0, result.output
    assert result.output == f"wrote {staged.marker}\n"
    from marker_tool import config, render

    (marker,) = render.render_markers(config.load_preset("debian"), pythons=[PY312]).markers
    expected = wrap_text(marker.text())
    assert "python3.12" in expected
    pip = run_pip(staged, tmp_path)
    assert pip.returncode == 1
    assert pip_block(expected) in pip.stderr
    for version in ("latest", "0.13.0"):
        uv = run_uv(staged, tmp_path, version=version)
        assert uv.returncode == 2
        assert uv_block(expected) in uv.stderr, version


@pytest.mark.real
def test_real_pip_reads_a_marker_installed_with_stdlib_dir(tmp_path: Path) -> None:
    staged = stage_python("3.12", tmp_path / "py")
    marker = make_marker()
    install([marker], InstallTarget(staged.root, stdlib_dir="/lib/python{version}"))
    assert staged.marker.read_text() == serialize(marker)
    pip = run_pip(staged, tmp_path)
    assert pip_block(wrap_text(TEXT)) in pip.stderr


def test_install_command_writes_locale_keys(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["install", "--preset", "debian", "--python", "3.12", "--locale", "de"],
        env={"DESTDIR": str(tmp_path)},
    )
    assert result.exit_code == 0, result.output
    from marker_tool.ini import read_messages

    messages = read_messages((tmp_path / "usr/lib/python3.12/EXTERNALLY-MANAGED").read_text())
    assert list(messages)[:2] == ["Error", "Error-de"]
    assert messages["Error-de"] != messages["Error"]


THREE_PYTHONS = ("--python", "3.12", "--python", "3.13", "--python", "3.13t")


@pytest.mark.parametrize(
    "preset", [p for p in PRESETS if get_layout(load_preset(p).layout).shared_marker]
)
def test_presets_with_a_shared_marker_install_several_pythons(tmp_path: Path, preset: str) -> None:
    # One file serves every Python, so such a preset's text must not vary by version.
    result = CliRunner().invoke(
        cli,
        ["install", "--preset", preset, "--destdir", str(tmp_path), *THREE_PYTHONS],
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("linked") == 3


def test_install_takes_a_config_or_a_preset_not_both(tmp_path: Path) -> None:
    config = tmp_path / "marker-tool.toml"
    config.write_text('name = "A"\n', encoding="utf-8")
    args = ["install", "--destdir", str(tmp_path / "root"), "--python", "3.12"]
    both = CliRunner().invoke(cli, [*args, "-c", str(config), "--preset", "debian"])
    assert both.exit_code == 2
    assert "give -c/--config or --preset, not both" in both.output
    unknown = CliRunner().invoke(cli, [*args, "--preset", "debain"])
    assert unknown.exit_code == 2
    assert "--preset" in unknown.output
    assert "debain" in unknown.output
    assert not (tmp_path / "root").exists()


def test_a_refused_install_shows_the_difference_and_the_flag(tmp_path: Path) -> None:
    install([make_marker()], InstallTarget(tmp_path, layout="deb"))
    with pytest.raises(InstallError) as caught:
        install([make_marker(text="A different text.")], InstallTarget(tmp_path, layout="deb"))
    hint = caught.value.hint or ""
    assert hint.startswith("pass --force to replace it; the difference:")
    assert "-Error = Use the package manager" in hint
    assert "+Error = A different text." in hint
    assert "force=True" not in hint
