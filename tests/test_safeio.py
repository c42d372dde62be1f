"""The one reader and the one writer, against careless and hostile input and concurrent builds."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from marker_tool import safeio
from marker_tool.errors import InputError, InstallError
from marker_tool.install import (
    Action,
    InstallTarget,
    Unchanged,
    WriteFile,
    apply,
    install,
    plan_install,
)
from marker_tool.model import Marker, Message, PythonVersion

PY312 = PythonVersion(3, 12)
MARKER_PATH = "usr/lib/python3.12/EXTERNALLY-MANAGED"
ROOT = Path(__file__).resolve().parent.parent


def marker(text: str = "Use apt.") -> Marker:
    return Marker(PY312, (Message("Error", text),))


# -- reading ---------------------------------------------------------------------------


@pytest.fixture
def specials(tmp_path: Path) -> dict[str, str]:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    sock = tmp_path / "sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sock))
    return {
        "fifo": str(fifo),
        "socket": str(sock),
        "directory": str(tmp_path),
        "zero": "/dev/zero",
        "urandom": "/dev/urandom",
        "null": "/dev/null",
    }


@pytest.mark.parametrize("kind", ["fifo", "socket", "directory", "zero", "urandom", "null"])
def test_only_regular_files_are_read(kind: str, specials: dict[str, str]) -> None:
    with pytest.raises(InputError) as caught:
        safeio.read_bytes(specials[kind], kind="config")
    assert caught.value.file == specials[kind]
    assert "not a config file" in caught.value.message or "a directory" in caught.value.message


def test_a_file_over_the_cap_is_refused_without_reading_it(tmp_path: Path) -> None:
    huge = tmp_path / "huge"
    with huge.open("wb") as handle:
        handle.truncate(4 * 1024**3)  # sparse: 4 GiB that cost nothing
    with pytest.raises(safeio.TooLarge, match="larger than 1024 KiB"):
        safeio.read_bytes(huge, kind="marker")
    assert safeio.same_content(huge, b"x") is False


def test_the_caps_are_documented() -> None:
    for kind, limit in safeio.LIMITS.items():
        assert kind in (safeio.__doc__ or "")
        assert limit >= 64 * 1024


def hang_guard(args: list[str], stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    """Run the CLI in a process; a hang fails the test instead of stalling the suite."""
    return subprocess.run(
        [sys.executable, "-m", "marker_tool", *args],
        input=stdin.decode("latin-1"),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )


def test_no_input_path_hangs_or_reads_without_end(tmp_path: Path, specials: dict[str, str]) -> None:
    fifo = specials["fifo"]
    (tmp_path / "t.j2").write_text('{% include "fifo" %}')
    (tmp_path / "include.toml").write_text('name = "A"\n[message]\ntemplate = "t.j2"\n')
    po = tmp_path / "po"
    po.mkdir()
    os.mkfifo(po / "de.po")
    (tmp_path / "catalog.toml").write_text(
        'name = "A"\n[i18n]\ncatalogs = "po"\nlocales = ["de"]\n'
    )
    runs = [
        ["render", "-c", fifo],
        ["render", "-c", "/dev/zero"],
        ["render", "-c", str(tmp_path / "include.toml")],
        ["render", "-c", str(tmp_path / "catalog.toml")],
        ["validate", fifo],
        ["validate", "/dev/urandom"],
        ["preview", fifo],
        ["preview", "/dev/zero"],
    ]
    for args in runs:
        result = hang_guard(args)
        assert result.returncode in (1, 2), (args, result.stderr)
        assert "Traceback" not in result.stderr, (args, result.stderr)


def test_standard_input_is_capped_too() -> None:
    result = hang_guard(["validate", "-"], stdin=b"[externally-managed]\nError = x\n" * 60000)
    assert result.returncode == 1
    assert "EM107" in result.stdout


def test_a_marker_that_makes_a_regex_quadratic_is_read_in_linear_time(tmp_path: Path) -> None:
    # configparser's own option pattern needs minutes for this; pip would too.
    path = tmp_path / "EXTERNALLY-MANAGED"
    spaces = b" " * 50_000
    path.write_bytes(b"[externally-managed]\nError = a" + spaces + b"b\nx" + spaces + b"y\n")
    for args in (["validate", str(path)], ["preview", str(path), "--python", "3.12"]):
        result = hang_guard(args)
        assert "Traceback" not in result.stderr
    validated = hang_guard(["validate", str(path)])
    assert "EM203" in validated.stdout  # pip's reading is still reported: a parse error
    shown = hang_guard(["preview", str(path), "--python", "3.12", "--tool", "pip"])
    assert "WARNING: Failed to read" in shown.stdout


def test_the_linear_option_pattern_matches_configparsers() -> None:
    import configparser

    from marker_tool.consumers import LINEAR_OPTCRE

    original = configparser.RawConfigParser.OPTCRE
    lines = ["a = b", "a=b", "a : b = c", "= x", "a", "key:  value  ", "k  =", "x = y : z", " "]
    lines += ["a" + " " * 30 + "b", "Error-de = Hallo: Welt"]
    for line in lines:
        mine, theirs = LINEAR_OPTCRE.match(line), original.match(line)
        assert (mine is None) == (theirs is None), line
        if mine and theirs:
            assert mine["option"].rstrip() == theirs["option"].rstrip()
            assert (mine["vi"], mine["value"]) == (theirs["vi"], theirs["value"])


# -- writing -------------------------------------------------------------------------


def test_a_symlink_swapped_in_during_installs_never_sends_a_file_outside(tmp_path: Path) -> None:
    dest, outside = tmp_path / "dest", tmp_path / "outside"
    outside.mkdir()
    (dest / "usr/lib").mkdir(parents=True)
    real = dest / "usr/lib"
    parked = dest / "usr/lib.real"
    stop = threading.Event()

    def swap() -> None:
        while not stop.is_set():
            try:
                real.rename(parked)
                real.symlink_to(outside / "lib", target_is_directory=True)
                real.unlink()
                parked.rename(real)
            except OSError:
                continue

    (outside / "lib").mkdir()
    swapper = threading.Thread(target=swap)
    swapper.start()
    try:
        for _ in range(150):
            with contextlib.suppress(InstallError, InputError, OSError):
                install([marker()], InstallTarget(dest, layout="deb"), force=True)
    finally:
        stop.set()
        swapper.join()
    assert list((outside / "lib").rglob("*")) == []


def race(dest: Path) -> list[str]:
    """Two builds plan different markers for one empty destdir, then write at the same moment."""
    plans = [
        plan_install([marker(f"Text {n}.")], InstallTarget(dest, layout="deb")) for n in (1, 2)
    ]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def build(plan: list[Action]) -> None:
        barrier.wait()
        try:
            apply(plan)
        except InstallError as exc:
            outcomes.append(exc.message)
        else:
            outcomes.append("won")

    threads = [threading.Thread(target=build, args=(plan,)) for plan in plans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_two_builds_racing_for_one_marker_exactly_one_wins(tmp_path: Path) -> None:
    for round_ in range(20):
        dest = tmp_path / f"round{round_}"
        outcomes = race(dest)
        assert outcomes.count("won") == 1, outcomes
        (refusal,) = [o for o in outcomes if o != "won"]
        assert "another marker appeared there" in refusal
        assert (dest / MARKER_PATH).read_text().startswith("[externally-managed]\nError = Text ")


def test_a_killed_install_leaves_no_temporary_file(tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from marker_tool.install import InstallTarget, install\n"
        "from marker_tool.model import Marker, Message, PythonVersion\n"
        "m = Marker(PythonVersion(3, 12), (Message('Error', 'x ' * 2000),))\n"
        "while True:\n"
        f"    install([m], InstallTarget(Path({str(dest)!r}), layout='deb'), force=True)\n"
    )
    for delay in [0.05 + 0.01 * n for n in range(12)]:
        process = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        stray = [p for p in dest.rglob("*") if p.name.startswith(".")]
        assert stray == [], stray


def test_unchanged_means_content_mode_and_mtime(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    install([marker()], InstallTarget(tmp_path, layout="deb"))
    path = tmp_path / MARKER_PATH
    os.chmod(path, 0o600)
    (action,) = install([marker()], InstallTarget(tmp_path, layout="deb"))
    assert isinstance(action, WriteFile)
    assert action.replace
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    os.utime(path, (5, 5))
    (action,) = install([marker()], InstallTarget(tmp_path, layout="deb"))
    assert isinstance(action, WriteFile)
    assert action.replace
    assert int(path.stat().st_mtime) == 1_700_000_000
    (action,) = install([marker()], InstallTarget(tmp_path, layout="deb"))
    assert isinstance(action, Unchanged)


def test_directories_are_0755_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        install([marker()], InstallTarget(tmp_path / "dest", layout="deb"))
    finally:
        os.umask(old)
    for directory in ("usr", "usr/lib", "usr/lib/python3.12"):
        assert stat.S_IMODE((tmp_path / "dest" / directory).stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "dest" / MARKER_PATH).stat().st_mode) == 0o644


@pytest.mark.parametrize("value", ["٣٣", "1_000", "+5", "-1", "1e9", "12 34", "9" * 40])
def test_a_malformed_source_date_epoch_is_exit_2(
    value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    with pytest.raises(InputError, match="SOURCE_DATE_EPOCH"):
        install([marker()], InstallTarget(tmp_path, layout="deb"))
    assert list(tmp_path.iterdir()) == []


def test_the_largest_epoch_is_stored_exactly_or_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from marker_tool.epoch import MAX_EPOCH

    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(MAX_EPOCH))
    refusal = None
    try:
        install([marker()], InstallTarget(tmp_path, layout="deb"))
    except InputError as exc:
        refusal = exc.message
    if refusal is None:
        assert int((tmp_path / MARKER_PATH).stat().st_mtime) == MAX_EPOCH
    else:
        assert "stores the time" in refusal
        assert not (tmp_path / MARKER_PATH).exists()


def test_a_full_disk_leaves_the_old_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "EXTERNALLY-MANAGED"
    target.write_text("old marker\n")
    real_write = os.write

    def full(fd: int, data: object) -> int:
        real_write(fd, bytes(memoryview(data)[:10]))  # type: ignore[arg-type]
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(OSError, match="No space left"):
        safeio.write_text(target, "new marker " * 100, replace=True)
    monkeypatch.undo()
    assert target.read_text() == "old marker\n"
    assert [p.name for p in tmp_path.iterdir()] == ["EXTERNALLY-MANAGED"]


def test_gentoo_links_resolve_when_part_of_the_tree_is_a_symlink(tmp_path: Path) -> None:
    (tmp_path / "usr/lib").mkdir(parents=True)
    (tmp_path / "opt/py/lib/python3.12").mkdir(parents=True)
    (tmp_path / "usr/lib/python3.12").symlink_to("../../opt/py/lib/python3.12")
    install([marker()], InstallTarget(tmp_path, layout="gentoo"))
    link = tmp_path / "usr/lib/python3.12/EXTERNALLY-MANAGED"
    assert link.is_symlink()
    assert link.read_text().startswith("[externally-managed]")
    assert link.resolve() == (tmp_path / "usr/lib/python/EXTERNALLY-MANAGED").resolve()


def test_a_relative_symlink_inside_the_tree_is_followed_an_absolute_one_refused(
    tmp_path: Path,
) -> None:
    (tmp_path / "usr/lib64").mkdir(parents=True)
    (tmp_path / "usr/lib").symlink_to("lib64")
    install([marker()], InstallTarget(tmp_path, layout="deb"))
    assert (tmp_path / "usr/lib64/python3.12/EXTERNALLY-MANAGED").is_file()
    other = tmp_path / "other"
    (other / "usr").mkdir(parents=True)
    (other / "usr/lib").symlink_to(tmp_path / "usr/lib64")
    with pytest.raises(InstallError, match="leads out of"):
        install([marker()], InstallTarget(other, layout="deb"))


def test_a_link_is_made_durable_like_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[bool] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(stat.S_ISDIR(os.fstat(fd).st_mode))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    safeio.write_link(tmp_path, "usr/lib/python3.12/EXTERNALLY-MANAGED", "../x", replace=False)
    assert synced == [True]  # the directory that holds the new name
    assert os.readlink(tmp_path / "usr/lib/python3.12/EXTERNALLY-MANAGED") == "../x"
