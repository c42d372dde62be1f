"""The readers' contract: one tree, built into every format `check` reads, reads back the same.

Every reader of `marker_tool.sources` yields a `Package` whose members (path,
kind, mode, link target) and markers' bytes are the tree's, whatever the
format; a file cut short is a `PackageError`, never a smaller package.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from marker_tool.errors import PackageError
from marker_tool.sources.base import Package
from marker_tool.sources.detect import read
from tests.packages import MARKER, READER_BUILDERS, File, Link, Tree, lay_out, oci_image

TREE: Tree = {
    "usr/lib/python3.12/os.py": File(b"import abc\n"),
    "usr/lib/python3.12/argparse.py": File(b"# argparse\n"),
    "usr/lib/python3.12/EXTERNALLY-MANAGED": File(MARKER),
    "usr/share/doc/python3.12/README.venv": File(b"venv\n"),
    "usr/bin/python3": Link("python3.12"),
}
#: What every reader must give back: path -> (kind, mode or link target).
EXPECTED = {
    where: ("symlink", item.target) if isinstance(item, Link) else ("file", 0o644)
    for where, item in TREE.items()
}


Builder = Callable[[Tree, Path], Path]
#: Every reader's format, in its variants (each compression, each payload).
FORMATS: dict[str, Builder] = {
    variant: builder
    for builders in READER_BUILDERS.values()
    for variant, builder in builders.items()
}
#: The readers whose packages a real program builds (dpkg-deb, rpmbuild); the rest are
#: written here, so their tests are in `make test-fast`.
BUILT_BY_PROGRAMS = ("deb", "rpm")


def formats(*, but: tuple[str, ...] = ()) -> list[object]:
    """Every variant as a test parameter, marked real where a program builds it."""
    return [
        pytest.param(variant, marks=[pytest.mark.real] if reader in BUILT_BY_PROGRAMS else [])
        for reader, builders in sorted(READER_BUILDERS.items())
        for variant in sorted(builders)
        if variant not in but
    ]


def members(package: Package) -> dict[str, tuple[str, object]]:
    return {
        m.path: (m.kind, m.link if m.kind == "symlink" else m.mode)
        for m in package.entries.values()
        if m.kind != "directory"
    }


@pytest.mark.parametrize("fmt", formats())
def test_every_reader_reads_the_same_tree_back(tmp_path: Path, fmt: str) -> None:
    built = FORMATS[fmt](TREE, tmp_path / f"p.{fmt}")
    [package] = read(str(built)) or []
    assert members(package) == EXPECTED, fmt
    assert package.markers == {"usr/lib/python3.12/EXTERNALLY-MANAGED": MARKER}


def content_end(data: bytes) -> int:
    """Where a file's content ends: for a .deb, its last ar member's last byte, not the
    padding byte after it, which dpkg-deb never reads."""
    if not data.startswith(b"!<arch>\n"):
        return len(data)
    at = end = 8
    while at + 60 <= len(data):
        size = int(data[at + 48 : at + 58])
        end = at + 60 + size
        at = end + size % 2
    return end


@pytest.mark.parametrize("fmt", formats(but=("directory", "oci", "docker-dir")))
def test_every_reader_refuses_a_file_cut_short(tmp_path: Path, fmt: str) -> None:
    built = FORMATS[fmt](TREE, tmp_path / f"p.{fmt}")
    data = built.read_bytes()
    # Inside the marker (found as it is in uncompressed formats), in the middle of a
    # compressed stream, and one byte short of the end.
    inside = data.find(MARKER) + 1 if MARKER in data else len(data) // 2
    for size in (inside, content_end(data) - 1):
        cut = tmp_path / f"cut-{size}"
        cut.write_bytes(data[:size])
        with pytest.raises(PackageError):
            read(str(cut))


def test_a_layout_missing_a_blob_is_refused(tmp_path: Path) -> None:
    layout = oci_image(TREE, tmp_path / "oci")
    blobs = sorted((layout / "blobs" / "sha256").iterdir(), key=lambda p: p.stat().st_size)
    blobs[-1].unlink()  # the layer, the largest blob
    with pytest.raises(PackageError, match="lacks"):
        read(str(layout))


@pytest.mark.real  # GNU tar writes the sparse members
@pytest.mark.parametrize("form", ["gnu", "0.0", "0.1", "1.0"])
def test_a_sparse_tree_reads_back_the_same(tmp_path: Path, form: str) -> None:
    """GNU tar -S writes files with holes as sparse members (GNU `S`, pax 0.0, 0.1, 1.0):
    each is a regular file under its real name, its holes read as zeros."""
    import subprocess

    root = tmp_path / "root"
    lay_out(TREE, root)
    marker = root / "usr/lib/python3.12/EXTERNALLY-MANAGED"
    with open(marker, "r+b") as handle:
        handle.truncate(256 * 1024)  # a hole after the text: the file is sparse
    options = ["--format=gnu"] if form == "gnu" else ["--format=posix", f"--sparse-version={form}"]
    built = tmp_path / "sparse.tar"
    subprocess.run(
        ["tar", "-S", *options, "--owner=0", "--group=0", "-cf", str(built), "-C", str(root), "."],
        check=True,
    )
    [package] = read(str(built))
    assert members(package) == EXPECTED
    entry = package.entries["usr/lib/python3.12/EXTERNALLY-MANAGED"]
    assert (entry.kind, entry.size) == ("file", 256 * 1024)
    assert package.markers["usr/lib/python3.12/EXTERNALLY-MANAGED"] == MARKER.ljust(
        256 * 1024, b"\0"
    )
