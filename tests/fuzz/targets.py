"""The fuzz targets: one per reader, plus the marker parser, and the contract they keep.

A reader given any bytes returns packages or raises `PackageError` (or
another `MarkerToolError`); anything else, a hang or a memory blow-up is a
failure. `check(name, data)` runs one target on one input, in this process,
and raises `ContractBroken` (with the original exception chained) when the
contract is broken. The atheris harnesses (`fuzz_<name>.py`), the replay of
`regressions/` and the CI test all go through it.
"""

from __future__ import annotations

import io
import os
import re
import resource
import shutil
import tempfile
from collections.abc import Callable

from marker_tool.errors import MarkerToolError
from marker_tool.model import MiB
from marker_tool.sources.base import Budget, Limits, Probe

#: What each input may cost: kept small so each run is quick; the caps are what is tested.
LIMITS = Limits(decompressed=256 * MiB, members=20_000)
#: Address space a harness may use (set by `limit_memory`).
MEMORY = 1024 * MiB
#: The separator of the files of an OCI layout in one fuzz input (see `_oci`).
FILE_SEPARATOR = b"\0\0FILE\0\0"


class ContractBroken(AssertionError):
    """A target raised something other than a MarkerToolError."""


def limit_memory(limit: int = MEMORY) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard == resource.RLIM_INFINITY or hard > limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


_SCRATCH: list[str] = []


def _scratch() -> str:
    """A directory for the files the readers need, made once per process."""
    if not _SCRATCH:
        base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
        _SCRATCH.append(tempfile.mkdtemp(prefix="marker-tool-fuzz-", dir=base))
    return _SCRATCH[0]


def _as_file(data: bytes, name: str) -> str:
    path = os.path.join(_scratch(), name)
    with open(path, "wb") as handle:
        handle.write(data)
    return path


def _deb(data: bytes) -> None:
    from marker_tool.sources.deb import read_deb

    read_deb(_as_file(data, "input.deb"), Budget(LIMITS))


def _rpm(data: bytes) -> None:
    from marker_tool.sources.rpm import read_rpm

    read_rpm(_as_file(data, "input.rpm"), Budget(LIMITS))


def _tarpkg(data: bytes) -> None:
    from marker_tool.sources.tarpkg import read_tar_package

    read_tar_package(_as_file(data, "input.pkg.tar"), Budget(LIMITS))


def _image(data: bytes) -> None:
    from marker_tool.sources.detect import probe
    from marker_tool.sources.image import read_image_tarball

    path = _as_file(data, "image.tar")
    read_image_tarball(probe(path), Budget(LIMITS), ())


_SAFE_NAME = re.compile(rb"[^A-Za-z0-9._-]")


def _oci(data: bytes) -> None:
    """An OCI layout: `index.json`, then files `NAME\\nCONTENT` each after `FILE_SEPARATOR`
    (NAME under the layout, `blobs/sha256/HEX` or `oci-layout`)."""
    from marker_tool.sources.image import read_oci_directory

    layout = os.path.join(_scratch(), "layout")
    shutil.rmtree(layout, ignore_errors=True)
    os.makedirs(os.path.join(layout, "blobs", "sha256"))
    index, *files = data.split(FILE_SEPARATOR)
    with open(os.path.join(layout, "index.json"), "wb") as handle:
        handle.write(index)
    for item in files[:64]:
        raw_name, _, content = item.partition(b"\n")
        name = _SAFE_NAME.sub(b"_", raw_name)[:80].decode() or "_"
        where = "oci-layout" if name == "oci-layout" else os.path.join("blobs", "sha256", name)
        with open(os.path.join(layout, where), "wb") as handle:
            handle.write(content)
    read_oci_directory(Probe(layout, directory=True), Budget(LIMITS), ())


def _tarstream(data: bytes) -> None:
    from marker_tool.sources.tarstream import scan_tar

    scan_tar(io.BytesIO(data), Budget(LIMITS), capture={".PKGINFO"})


def _mtree(data: bytes) -> None:
    from marker_tool.sources.tarpkg import mtree_digests

    mtree_digests(data, Budget(LIMITS))


def _pax(data: bytes) -> None:
    from marker_tool.sources.tarstream import pax_records

    pax_records(data)


def _good_deb() -> str:
    """A good .deb in the scratch folder, written once per process."""
    path = os.path.join(_scratch(), "good.deb")
    if not os.path.exists(path):
        from tests.fuzz.hostile import good_deb

        with open(path, "wb") as handle:
            handle.write(good_deb())
    return path


#: What the whole-`check` target names its input, by its first byte: every reader and
#: the expansion of a `.changes` file are reached from one harness.
_CHECK_NAMES = ("input.deb", "input.rpm", "input.tar", "input.pkg.tar", "input.apk", "x.changes")


def _check(data: bytes) -> None:
    """The whole `check`, in this process, on the input beside a good .deb: the run ends
    with reports, the good .deb among them PASSED, whatever the input is."""
    from marker_tool.check import check

    if not data:
        return
    folder = os.path.join(_scratch(), "check")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    name = _CHECK_NAMES[data[0] % len(_CHECK_NAMES)]
    given = os.path.join(folder, name)
    with open(given, "wb") as handle:
        handle.write(data[1:])
    good = os.path.join(folder, "good.tar")
    shutil.copy(_good_deb(), os.path.join(folder, "good.deb"))
    with open(good, "wb") as handle:  # a system of its own, beside whatever the input joins
        from tests.fuzz.hostile import stdlib_members
        from tests.packages import tar_bytes

        handle.write(tar_bytes(stdlib_members()))
    reports = check([given, good], jobs=1, limits=LIMITS)
    verdicts = {r.source: r.verdict for r in reports}
    if verdicts.get(good) != "PASSED":
        raise ContractBroken(f"check: the good input beside it got {verdicts.get(good)}")


def _nested(data: bytes) -> None:
    """The input's bytes as a tar at one nesting level, told by its first byte: a .deb's
    data member (each compression), an image layer (plain or gzip), an rpm payload, an
    Alpine package, a root filesystem: claimed sizes and bombs at every level."""
    from tests.fuzz import nesting

    if not data:
        return
    name, wrapped = nesting.wrap(data[0], data[1:])
    from marker_tool.sources.detect import read

    read(_as_file(wrapped, name), LIMITS)


def _marker(data: bytes) -> None:
    from marker_tool.consumers import read_as_pip
    from marker_tool.validate import validate_bytes

    read_as_pip(data)
    validate_bytes(data)


TARGETS: dict[str, Callable[[bytes], None]] = {
    "deb": _deb,
    "rpm": _rpm,
    "tarpkg": _tarpkg,
    "image": _image,
    "oci": _oci,
    "tarstream": _tarstream,
    "mtree": _mtree,
    "pax": _pax,
    "marker": _marker,
    "check": _check,
    "nested": _nested,
}


def check(name: str, data: bytes) -> None:
    """Run target `name` on `data`; ContractBroken unless it returns or raises MarkerToolError."""
    try:
        TARGETS[name](data)
    except MarkerToolError:
        pass
    except Exception as exc:
        raise ContractBroken(f"{name}: {type(exc).__name__}: {exc}") from exc
