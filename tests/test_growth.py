"""Every stage is linear: work counted on inputs of size N and 4N grows at most about 4x.

Work is counted, not timed: the Python lines marker-tool's own code runs
(`sys.settrace` line events in `marker_tool/`), so a loop inside a loop over
the input shows as 16x. Work done in C is not counted: a regular expression,
`bytes.split`, a decompressor, and also a dict merged or a string copied once
per line, which is how `.MTREE`'s `/set` defaults and pax global records were
quadratic before (copied into every line's or member's fields). Those shapes
are in bench/hostile.py, which times them whole; the code here looks them up. Each stage
gets the input shape that made it superlinear before: long link targets,
many whiteouts, a `/set` line of many keywords, a 16 MiB description, long
scripts, many short words, many members.
"""

from __future__ import annotations

import gzip
import io
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from marker_tool.sources.base import Budget, Limits, Member
from marker_tool.sources.layers import Tree, apply_layer
from marker_tool.sources.resolve import resolve
from marker_tool.sources.tarstream import pax_records, scan_tar
from tests.fuzz import hostile
from tests.packages import ar_archive, member, tar_bytes

PACKAGE = str(Path(__file__).resolve().parent.parent / "marker_tool")
#: The largest growth allowed for 4x the input: linear, with room for fixed costs.
RATIO = 4.6


def steps(work: Callable[[], object]) -> int:
    """Python lines of marker-tool's code that `work()` runs."""
    count = 0

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count
        if event == "line":
            count += 1
        return local

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename.startswith(PACKAGE):
            return local
        return None

    sys.settrace(tracer)
    try:
        work()
    finally:
        sys.settrace(None)
    return count


def growth(make: Callable[[int], Callable[[], object]], n: int) -> float:
    """steps(4n) / steps(n), each stage's input made by `make(size)`."""
    small, large = steps(make(n)), steps(make(4 * n))
    assert small > 0
    return large / small


def _resolve_long_target(n: int) -> Callable[[], object]:
    """A marker linked to `d/..` n times, then `os.py`: each `d/..` climbs in and out."""
    entries = {
        "d": Member("d", "directory", 0o755, ("0", "0")),
        "os.py": Member("os.py", "file", 0o644, ("0", "0")),
        "m": Member("m", "symlink", 0o777, ("0", "0"), link="d/../" * n + "os.py"),
    }
    return lambda: resolve("m", entries.get, lambda _: False, Budget())


def _resolve_deep_path(n: int) -> Callable[[], object]:
    """A path of n directories, each a symlink to the next real one."""
    entries: dict[str, Member] = {}
    path = ""
    for k in range(n):
        path = f"{path}/{k}" if path else str(k)
        entries[path] = Member(path, "directory", 0o755, ("0", "0"))
    return lambda: resolve(path + "/x", entries.get, lambda _: False, Budget())


def _whiteouts(n: int) -> Callable[[], object]:
    lower = scan_tar(
        io.BytesIO(tar_bytes([member(f"srv/d{k % 10}/f{k}") for k in range(n)])), Budget()
    )
    upper = scan_tar(
        io.BytesIO(tar_bytes([member(f"srv/d{k % 10}/.wh.f{k}") for k in range(n)])), Budget()
    )

    def work() -> None:
        tree = Tree()
        apply_layer(tree, lower, 1)
        apply_layer(tree, upper, 2)

    return work


def _layers(n: int) -> Callable[[], object]:
    """n layers of 4 new entries each: the entries so far grow with every layer."""
    scans = [
        scan_tar(io.BytesIO(tar_bytes([member(f"l{k}/f{m}") for m in range(4)])), Budget())
        for k in range(n)
    ]

    def work() -> None:
        tree = Tree()
        for number, scan in enumerate(scans, 1):
            apply_layer(tree, scan, number)

    return work


def _mtree(n: int) -> Callable[[], object]:
    """A `/set` line of n keywords, then n lines."""
    from marker_tool.sources.tarpkg import mtree_digests

    body = b"#mtree\n/set " + b" ".join(b"k%d=v" % k for k in range(n)) + b"\n"
    body += b"".join(b"./f%d type=file sha256digest=00\n" % k for k in range(n))
    data = gzip.compress(body, mtime=0)
    return lambda: mtree_digests(data, Budget())


def _control(n: int) -> Callable[[], object]:
    """A control paragraph of n description lines."""
    from marker_tool.integrations.debian import PACKAGE_FIELDS, control_fields

    text = "Package: p\nVersion: 1\nDescription: x\n" + " line\n" * n
    return lambda: control_fields(text, keep=PACKAGE_FIELDS)


def _script(n: int) -> Callable[[], object]:
    """A maintainer script of n dpkg-divert lines (past the lexed cap) and n others."""
    from marker_tool.integrations.debian import diverted_paths

    script = "#!/bin/sh\n" + "dpkg-divert --add /usr/x\necho done\n" * n
    return lambda: diverted_paths(script, "p")


def _wrap(n: int) -> Callable[[], object]:
    """One line of n one-letter words, wrapped at 80 columns as uv does."""
    from marker_tool.terminal import uv_wrap_line

    line = "a " * n
    return lambda: uv_wrap_line(line, 80)


def _tar(n: int) -> Callable[[], object]:
    data = tar_bytes([member(f"usr/share/f{k}", b"x") for k in range(n)])
    return lambda: scan_tar(io.BytesIO(data), Budget())


def _deb(n: int) -> Callable[[], object]:
    """A .deb of n members, its control paragraph and md5sums n lines long."""
    from marker_tool.sources.deb import read_deb

    data = tar_bytes([member(f"./usr/share/f{k}", b"x") for k in range(n)])
    md5sums = b"".join(b"%032d  usr/share/f%d\n" % (0, k) for k in range(n))
    control = tar_bytes(
        [
            member("./control", b"Package: p\nVersion: 1\nDescription: x\n" + b" y\n" * n),
            member("./md5sums", md5sums),
        ]
    )
    path = Path(f"/tmp/marker-tool-growth-{n}.deb")
    path.write_bytes(
        ar_archive([("debian-binary", b"2.0\n"), ("control.tar", control), ("data.tar", data)])
    )
    return lambda: read_deb(str(path), Budget())


def _image_index(n: int) -> Callable[[], object]:
    """The index of an image tarball of n members."""
    from marker_tool.sources.tarstream import index_tar

    data = tar_bytes([member(f"blobs/f{k}", b"x") for k in range(n)])
    return lambda: index_tar(io.BytesIO(data), Budget())


def _dotdot(n: int) -> Callable[[], object]:
    data = tar_bytes([member(f"../f{k}") for k in range(n)])
    return lambda: scan_tar(io.BytesIO(data), Budget())


def _deep(n: int) -> Callable[[], object]:
    """Ten names n levels deep under tops of their own: the directories they imply."""
    data = tar_bytes([member(f"x{k}/" + "a/" * n + "f") for k in range(10)])
    return lambda: scan_tar(io.BytesIO(data), Budget())


def _pax(n: int) -> Callable[[], object]:
    data = b"".join(hostile._pax_record(b"k%d" % k, b"v") for k in range(n))
    return lambda: pax_records(data)


def _pax_globals(n: int) -> Callable[[], object]:
    """A global pax header of n records, then n members."""
    records = b"".join(hostile._pax_record(b"k%d" % k, b"v") for k in range(n))
    data = hostile.pax_member(records, b"g") + b"".join(
        hostile.tar_header(b"f%d" % k) for k in range(n)
    )
    return lambda: scan_tar(io.BytesIO(data + hostile.END), Budget())


def _rpm(n: int) -> Callable[[], object]:
    from marker_tool.sources.rpm import read_rpm

    names = [f"f{k}" for k in range(n)]
    tags: list[tuple[int, int, list[int] | list[str]]] = [
        (1000, 6, ["p"]),
        (1117, 8, names),
        (1118, 8, ["/usr/share/"]),
        (1116, 4, [0] * n),
        (1030, 3, [0o100644] * n),
        (1028, 4, [1] * n),
    ]
    data = hostile.hand_rpm(hostile.rpm_tags(tags))
    path = Path(f"/tmp/marker-tool-growth-{n}.rpm")
    path.write_bytes(data)
    return lambda: read_rpm(str(path), Budget())


def _cpio(n: int) -> Callable[[], object]:
    from marker_tool.sources.cpiostream import CpioStream

    out = b""
    for k in [*(f"./f{k}".encode() for k in range(n)), b"TRAILER!!!"]:
        name = k + b"\0"
        fields = [k == b"TRAILER!!!", 0o100644, 0, 0, 1, 0, 0, 0, 0, 0, 0, len(name), 0]
        header = b"070701" + b"".join(b"%08X" % int(f) for f in fields) + name
        out += header + b"\0" * (-len(header) % 4)

    def work() -> None:
        cpio = CpioStream(io.BytesIO(out), Budget())
        while cpio.next() is not None:
            pass

    return work


def _unsafe_findings(n: int) -> Callable[[], object]:
    """The rules on a package of n members that leave its root: findings are folded."""
    from marker_tool.check import check_system
    from marker_tool.check.facts import Facts
    from marker_tool.check.system import System
    from marker_tool.sources.base import Package
    from marker_tool.validate import Validator

    scan = scan_tar(io.BytesIO(tar_bytes([member(f"../f{k}") for k in range(n)])), Budget())
    package = Package("p.deb", "deb", unsafe=tuple(scan.unsafe.names), unsafe_count=n)
    return lambda: check_system(Facts.of(System.of("s", [package])), validator=Validator())


STAGES: dict[str, tuple[Callable[[int], Callable[[], object]], int]] = {
    "resolve, a long link target": (_resolve_long_target, 150),
    "resolve, a deep path": (_resolve_deep_path, 200),
    "whiteouts": (_whiteouts, 500),
    "layers over layers": (_layers, 100),
    "mtree /set": (_mtree, 300),
    "control paragraph": (_control, 2000),
    "maintainer script": (_script, 500),
    "uv wrap": (_wrap, 300),
    "tar members": (_tar, 300),
    "deb": (_deb, 300),
    "image tarball index": (_image_index, 300),
    "tar ../ members": (_dotdot, 300),
    "deep names": (_deep, 100),
    "pax records": (_pax, 500),
    "pax global records": (_pax_globals, 200),
    "rpm header": (_rpm, 500),
    "cpio members": (_cpio, 300),
    "unsafe findings": (_unsafe_findings, 300),
}


@pytest.mark.parametrize("stage", STAGES)
def test_stage_is_linear(stage: str) -> None:
    make, n = STAGES[stage]
    ratio = growth(make, n)
    print(f"{stage}: {ratio:.2f}x for 4x the input")
    assert ratio <= RATIO, f"{stage}: {ratio:.2f}x the work for 4x the input"


def test_limits_hold_every_kind() -> None:
    """The budget's kinds, each with its cap in `Limits`."""
    budget = Budget(Limits(layers_applied=2, entries_applied=10, resolve_steps=5))
    budget.spend_layer(4)
    budget.spend_layer(4)
    with pytest.raises(Exception, match="layers applied"):
        budget.spend_layer(1)
    with pytest.raises(Exception, match="path components"):
        Budget(Limits(resolve_steps=5)).spend_steps(6)
