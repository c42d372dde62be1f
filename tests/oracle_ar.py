"""Broken .debs, and what the real dpkg-deb says of each: the truth for EM600.

A .deb is an ar archive whose members must come as dpkg-deb reads them:
`debian-binary`, then `control.tar[.gz|.xz|.zst]`, then `data.tar[.gz|.xz|.bz2|
.lzma|.zst]`; members whose names start with `_` are skipped where dpkg-deb
allows them. `variants` writes every sequence of up to four members drawn from
those three, a `_` member and a member of another name (in every order, with
omissions and duplicates), and the canonical three members with each
compression, member-name spelling and `debian-binary` version. `dpkg_deb_refuses`
asks dpkg-deb to print the control information and to unpack the files into a
temporary directory: a package it cannot do both for is one dpkg cannot install.
"""

from __future__ import annotations

import bz2
import gzip
import io
import itertools
import lzma
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path

from tests.realprograms import missing

CONTROL = (
    b"Package: oracle-ar\nVersion: 1.0\nArchitecture: all\n"
    b"Maintainer: marker-tool <tests@marker-tool.invalid>\nDescription: an ar member test\n"
)
MARKER = (
    b"[externally-managed]\nError = This Python is managed by apt. Install python3-xyz with apt,\n"
    b" or create a virtual environment with python3 -m venv.\n"
)


def _tar(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        directories = sorted({str(Path(n).parent) for n in files} - {"."})
        for name in ["."] + [f"./{d}" for d in directories]:
            info = tarfile.TarInfo(name)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 1700000000
            tar.addfile(info)
        for name, data in files.items():
            info = tarfile.TarInfo(f"./{name}")
            info.size, info.mode, info.mtime = len(data), 0o644, 1700000000
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _zstd(data: bytes) -> bytes:
    try:
        from compression import zstd  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        from backports import zstd  # type: ignore[no-redef,import-not-found,unused-ignore]
    return bytes(zstd.compress(data))


COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "": lambda data: data,
    ".gz": lambda data: gzip.compress(data, mtime=0),
    ".xz": lambda data: lzma.compress(data, format=lzma.FORMAT_XZ),
    ".bz2": bz2.compress,
    ".lzma": lambda data: lzma.compress(data, format=lzma.FORMAT_ALONE),
    ".zst": _zstd,
}


def ar(members: list[tuple[str, bytes]]) -> bytes:
    """An ar archive as dpkg-deb writes one (odd-sized members padded with `\\n`)."""
    out = [b"!<arch>\n"]
    for name, data in members:
        header = f"{name:<16}{1700000000:<12}{0:<6}{0:<6}{'100644':<8}{len(data):<10}`\n"
        out.append(header.encode())
        out.append(data + (b"\n" if len(data) % 2 else b""))
    return b"".join(out)


def variants(dest: Path) -> dict[str, Path]:
    """Every broken (and intact) .deb this test asks about, written under `dest`."""
    control = _tar({"control": CONTROL})
    data = _tar({"usr/lib/python3.13/os.py": b"", "usr/lib/python3.13/EXTERNALLY-MANAGED": MARKER})
    tokens = {
        "D": ("debian-binary", b"2.0\n"),
        "C": ("control.tar.xz", COMPRESSORS[".xz"](control)),
        "T": ("data.tar.xz", COMPRESSORS[".xz"](data)),
        "U": ("_extra", b"a member dpkg-deb may skip\n"),
        "X": ("extra", b"a member of no known name\n"),
    }
    made: dict[str, list[tuple[str, bytes]]] = {}
    for length in range(5):
        for sequence in itertools.product("DCTUX", repeat=length):
            made["order-" + ("".join(sequence) or "empty")] = [tokens[t] for t in sequence]
    canonical = [tokens["D"], tokens["C"], tokens["T"]]
    for suffix, compress in COMPRESSORS.items():
        made[f"control.tar{suffix}"] = [
            tokens["D"],
            (f"control.tar{suffix}", compress(control)),
            tokens["T"],
        ]
        made[f"data.tar{suffix}"] = [
            tokens["D"],
            tokens["C"],
            (f"data.tar{suffix}", compress(data)),
        ]
    made["data.tar.lz4-name"] = [tokens["D"], tokens["C"], ("data.tar.lz4", data)]
    made["data.tar.xz-holding-gzip"] = [
        tokens["D"],
        tokens["C"],
        ("data.tar.xz", COMPRESSORS[".gz"](data)),
    ]
    for version in (b"2.1\n", b"2.0", b"3.0\n", b"1.0\n", b"2.0\nmore\n", b"", b"2\n"):
        made[f"debian-binary-{version!r}"] = [("debian-binary", version), *canonical[1:]]
    for n in range(3):
        slashed = list(canonical)
        slashed[n] = (canonical[n][0] + "/", canonical[n][1])
        made[f"name-slash-{canonical[n][0]}"] = slashed
    made["names-upper-case"] = [(n.upper(), d) for n, d in canonical]
    written: dict[str, Path] = {}
    for n, (name, members) in enumerate(sorted(made.items())):
        path = dest / f"{n:04d}.deb"
        path.write_bytes(ar(members))
        written[name] = path
    intact = ar(canonical)
    for cut in (1, 2, 61):  # the last member ends early
        path = dest / f"cut-{cut}.deb"
        path.write_bytes(intact[:-cut])
        written[f"cut-{cut}-bytes"] = path
    return written


def dpkg_deb_refuses(deb: Path) -> str | None:
    """Why dpkg-deb refuses `deb` (`--info`, then `--extract` into a temporary dir), or None."""
    if shutil.which("dpkg-deb") is None:
        missing("dpkg-deb")
    with tempfile.TemporaryDirectory(prefix="dpkg-deb-") as scratch:
        for command in (["--info", str(deb)], ["--extract", str(deb), scratch]):
            done = subprocess.run(
                ["dpkg-deb", *command], capture_output=True, text=True, check=False
            )
            if done.returncode != 0:
                lines = done.stderr.strip().splitlines()
                return f"dpkg-deb {command[0]}: {lines[-1] if lines else done.returncode}"
    return None
