"""Hostile packages and images, made by hand: one per failure class the readers must survive.

Each builder returns the files of one input (`{relative path: bytes}`; an
OCI layout or image folder is several files). `python tests/fuzz/hostile.py
DIR` writes them all to DIR, to try them with `marker-tool check`;
tests/test_hostile.py runs each through the CLI under resource limits.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import struct
import sys
import tarfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from tests.packages import MARKER, ar_archive, hand_deb, member, tar_bytes

STDLIB = "usr/lib/python3.12"
Files = dict[str, bytes]
MiB = 1024 * 1024


def stdlib_members(marker: bytes = MARKER) -> list[tuple[tarfile.TarInfo, bytes]]:
    return [
        member(f"./{STDLIB}/os.py", b"import abc\n"),
        member(f"./{STDLIB}/EXTERNALLY-MANAGED", marker),
    ]


def good_deb() -> bytes:
    return hand_deb(stdlib_members())


# -- raw tar headers ----------------------------------------------------------------------


def tar_header(
    name: bytes, *, size: bytes | None = None, kind: bytes = b"0", **fields: bytes
) -> bytes:
    """One 512-byte ustar header; `size`, `mode` ... as raw field bytes (base-256 allowed)."""
    header = bytearray(512)
    header[0 : len(name)] = name
    header[100:108] = fields.get("mode", b"0000644\0")
    header[108:116] = b"0000000\0"
    header[116:124] = b"0000000\0"
    header[124:136] = size if size is not None else b"00000000000\0"
    header[136:148] = b"00000000000\0"
    header[156:157] = kind
    header[257:265] = b"ustar\x0000"
    header[148:156] = b" " * 8
    header[148:156] = b"%06o\0 " % sum(header)
    return bytes(header)


def pax_member(records: bytes, kind: bytes = b"x") -> bytes:
    """A pax extended header with `records` as its data, as is (malformed or not)."""
    size = b"%011o\0" % len(records)
    return (
        tar_header(b"././@PaxHeader", size=size, kind=kind)
        + records
        + b"\0" * (-len(records) % 512)
    )


def with_data(header: bytes, data: bytes) -> bytes:
    return header + data + b"\0" * (-len(data) % 512)


END = b"\0" * 1024
#: The CVE-2024-6232 shape: a pax record that makes tarfile's regular expression
#: backtrack before CPython 3.11.10 (digits and spaces, no `=`): 411 bytes.
CVE_2024_6232 = b"1" * 5 + b" " + b"0 " * 200 + b"00000"


def malformed_pax_tar(records: bytes = b"10 bogus\n") -> bytes:
    marker = with_data(
        tar_header(f"{STDLIB}/EXTERNALLY-MANAGED".encode(), size=b"%011o\0" % len(MARKER)), MARKER
    )
    return pax_member(records) + marker + END


def base256_mode_tar() -> bytes:
    """A marker whose mode is a huge base-256 number (GNU tar writes them for large values)."""
    data = MARKER
    return (
        with_data(tar_header(f"./{STDLIB}/os.py".encode(), size=b"%011o\0" % 11), b"import abc\n")
        + with_data(
            tar_header(
                f"./{STDLIB}/EXTERNALLY-MANAGED".encode(),
                size=b"\x80" + (len(data)).to_bytes(11, "big"),
                mode=b"\x80" + b"\xff" * 7,
            ),
            data,
        )
        + END
    )


def huge_size_tar() -> bytes:
    """1.5 KB: a member whose size field claims 8 GiB (base 8) after a real one."""
    return (
        with_data(tar_header(b"./etc/hostname", size=b"%011o\0" % 5), b"host\n")
        + tar_header(f"./{STDLIB}/EXTERNALLY-MANAGED".encode(), size=b"77777777777\0")
    )[:1536]


def gnu_long_name_tar() -> bytes:
    """A GNU long name claiming 1,200 MiB, in a file of a few KB."""
    return tar_header(b"././@LongLink", size=b"%011o\0" % (1200 * MiB), kind=b"L") + b"a" * 2048


# -- packages -----------------------------------------------------------------------------


def deb_with_data(data: bytes, name: str = "data.tar") -> bytes:
    control = tar_bytes([member("./control", b"Package: hostile\nVersion: 1\nArchitecture: all\n")])
    return ar_archive([("debian-binary", b"2.0\n"), ("control.tar", control), (name, data)])


def rpm_header(entries: list[tuple[int, int, int, int]], store: bytes) -> bytes:
    index = b"".join(struct.pack(">iIiI", *entry) for entry in entries)
    return (
        b"\x8e\xad\xe8\x01\0\0\0\0" + struct.pack(">II", len(entries), len(store)) + index + store
    )


def rpm_tags(tags: list[tuple[int, int, list[int] | list[str]]]) -> bytes:
    """A main header of (tag, type, values): strings NUL-terminated, integers big-endian."""
    entries, store = [], b""
    formats = {3: ">H", 4: ">I", 5: ">Q"}
    for tag, kind, values in tags:
        if kind in formats:
            store += b"\0" * (-len(store) % struct.calcsize(formats[kind]))
            data = b"".join(struct.pack(formats[kind], v) for v in values)
        else:
            data = b"".join(str(v).encode() + b"\0" for v in values)
        entries.append((tag, kind, len(store), len(values)))
        store += data
    return rpm_header(entries, store)


def hand_rpm(header: bytes, payload: bytes = b"") -> bytes:
    lead = b"\xed\xab\xee\xdb" + b"\0" * 92
    return lead + rpm_header([], b"") + header + payload


def _rpm_files(
    modes_type: int, mode: int, size: int = len(MARKER)
) -> list[tuple[int, int, list[int] | list[str]]]:
    return [
        (1000, 6, ["hostile"]),
        (1001, 6, ["1"]),
        (1002, 6, ["1"]),
        (1117, 8, ["os.py", "EXTERNALLY-MANAGED"]),
        (1118, 8, [f"/{STDLIB}/"]),
        (1116, 4, [0, 0]),
        (1030, modes_type, [mode, mode]),
        (1028, 4, [11, size]),
        (
            1035,
            8,
            [hashlib.sha256(b"import abc\n").hexdigest(), hashlib.sha256(MARKER).hexdigest()],
        ),
        (5011, 4, [8]),
    ]


def rpm_64bit_modes() -> bytes:
    """File modes as 64-bit integers with high bits set (the header's type 5); no payload."""
    tags = [t for t in _rpm_files(5, (1 << 63) | 0o100644) if t[0] != 1035]
    tags = [(t, k, v if t != 1117 else ["os.py", "os2.py"]) for t, k, v in tags]
    return hand_rpm(rpm_tags(tags))


def rpm_overlapping_tags() -> bytes:
    """1 MB: 1,800 string-array tags that all point at one 1 MB string (1.8 GB decoded)."""
    store = b"A" * (1000 * 1000) + b"\0"
    entries = [(1000, 6, 0, 1)] + [(20000 + n, 8, 0, 1) for n in range(1800)]
    return hand_rpm(rpm_header(entries, store))


def rpm_huge_cpio_marker() -> bytes:
    """The header lists an 80-byte marker; its cpio entry claims 1,200 MiB."""
    name = f"./{STDLIB}/EXTERNALLY-MANAGED".encode() + b"\0"
    fields = [1, 0o100644, 0, 0, 1, 0, 1200 * MiB, 0, 0, 0, 0, len(name), 0]
    cpio = b"070701" + b"".join(b"%08X" % f for f in fields) + name
    cpio += b"\0" * (-len(cpio) % 4) + MARKER
    return hand_rpm(rpm_tags(_rpm_files(3, 0o100644)), cpio)


def corrupt_zstd_deb() -> bytes:
    return deb_with_data(b"\x28\xb5\x2f\xfd" + b"\x00\x58\xff" * 40, "data.tar.zst")


def mtree_escapes_arch() -> bytes:
    mtree = gzip.compress(
        b"#mtree\n./usr/lib/python3.12/\\777 type=file sha256digest=00\n"
        b"./\\\\\\ type=file\n./usr/lib/python3.12/EXTERNALLY-MANAGED type=file sha256digest="
        + hashlib.sha256(MARKER).hexdigest().encode()
        + b"\n",
        mtime=0,
    )
    return tar_bytes(
        [
            member(".PKGINFO", b"pkgname = hostile\npkgver = 1-1\n"),
            member(".MTREE", mtree),
            *stdlib_members(),
        ]
    )


def non_utf8_names_deb() -> bytes:
    """Members whose names are not UTF-8 (and one with a terminal escape), reported by name."""
    names = [b"../\xff\xfe/EXTERNALLY-MANAGED", b"/\xed\xa0\x80\x1b[31m/x"]
    unsafe = b"".join(with_data(tar_header(n, size=b"%011o\0" % 1), b"x") for n in names)
    return deb_with_data(
        unsafe
        + b"".join(
            with_data(tar_header(i.name.encode(), size=b"%011o\0" % len(d)), d)
            for i, d in stdlib_members()
        )
        + END
    )


# -- images -------------------------------------------------------------------------------


def docker_save(
    layers: list[bytes], *, manifest: object | None = None, extra: bytes = b""
) -> bytes:
    """A `docker save` tarball of one image of `layers` (or `manifest` as given)."""
    names = [f"layer{n}/layer.tar" for n in range(len(layers))]
    if manifest is None:
        manifest = [{"Config": "config.json", "RepoTags": ["hostile:1"], "Layers": names}]
    members = [member(n, layer) for n, layer in zip(names, layers, strict=True)]
    members += [
        member("config.json", b"{}"),
        member("manifest.json", json.dumps(manifest).encode()),
    ]
    return extra + tar_bytes(members)


def symlink_loop_image() -> bytes:
    lower = tar_bytes(
        [
            *stdlib_members()[:1],
            member(f"{STDLIB}/EXTERNALLY-MANAGED", type=tarfile.SYMTYPE, linkname="/opt/a"),
        ]
    )
    upper = tar_bytes(
        [
            member("opt/a", type=tarfile.SYMTYPE, linkname="b"),
            member("opt/b", type=tarfile.SYMTYPE, linkname=f"/{STDLIB}/EXTERNALLY-MANAGED"),
        ]
    )
    return docker_save([lower, upper])


def dangling_link_image() -> bytes:
    lower = tar_bytes(
        [
            *stdlib_members()[:1],
            member(f"{STDLIB}/EXTERNALLY-MANAGED", type=tarfile.SYMTYPE, linkname="/etc/marker"),
        ]
    )
    upper = tar_bytes([member("etc/.wh.marker"), member("etc/.wh.nothing")])
    return docker_save([lower, upper])


def nested_json_image() -> bytes:
    return tar_bytes([member("manifest.json", b"[" * 100_000 + b"]" * 100_000)])


def wrong_types_image() -> bytes:
    return tar_bytes([member("manifest.json", b'[{"Layers": {"a": 1}, "RepoTags": 5}]')])


def pax_in_layer_image(records: bytes = CVE_2024_6232) -> bytes:
    return docker_save([malformed_pax_tar(records)])


def pax_in_outer_tarball(records: bytes = CVE_2024_6232) -> bytes:
    return docker_save([tar_bytes(stdlib_members())], extra=pax_member(records))


def huge_size_image() -> bytes:
    """An image tarball whose first member claims 8 GiB."""
    good = docker_save([tar_bytes(stdlib_members())])
    return tar_header(b"blobs/sha256/huge", size=b"77777777777\0") + good


def many_whiteouts_image(count: int = 20_000) -> bytes:
    lower = tar_bytes([*stdlib_members(), *(member(f"srv/d{n % 100}/f{n}") for n in range(count))])
    upper = tar_bytes(
        [member(f"srv/d{n % 100}/.wh.f{n}") for n in range(count)] + [member("srv/d7/.wh..wh..opq")]
    )
    return docker_save([lower, upper])


def shared_budget_image(images: int = 64) -> bytes:
    """One 1 MiB layer listed by many images: one input, one decompression budget."""
    layer = tar_bytes([*stdlib_members(), member("srv/zeros", b"\0" * MiB)])
    manifest = [{"Config": "config.json", "Layers": ["layer0/layer.tar"]} for _ in range(images)]
    return docker_save([layer], manifest=manifest)


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def fanout_oci_layout(fanout: int = 24, depth: int = 4) -> Files:
    """An OCI layout whose indexes each list one index `fanout` times, `depth` deep:
    fanout**depth images, from a few KB."""
    layer = tar_bytes(stdlib_members())
    manifest = json.dumps(
        {
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "layers": [{"digest": _digest(layer)}],
        }
    ).encode()
    files: Files = {"oci-layout": b'{"imageLayoutVersion":"1.0.0"}'}
    files[f"blobs/sha256/{_digest(layer)[7:]}"] = layer
    files[f"blobs/sha256/{_digest(manifest)[7:]}"] = manifest
    below = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": _digest(manifest)}
    for _ in range(depth):
        index = json.dumps({"manifests": [below] * fanout}).encode()
        files[f"blobs/sha256/{_digest(index)[7:]}"] = index
        below = {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": _digest(index)}
    files["index.json"] = json.dumps({"manifests": [below]}).encode()
    return files


def giant_word_marker(size: int = 400_000) -> bytes:
    return b"[externally-managed]\nError = " + b"x" * size + b"\n"


def rpm_stripped_cpio() -> bytes:
    """rpm's stripped cpio (`07070X`, members by file index), as rpm writes for files
    of 4 GiB and more: well-formed, its marker read."""
    cpio = b"07070X" + b"%08X" % 1 + b"\0\0" + MARKER + b"\0" * (-len(MARKER) % 4)
    name = b"TRAILER!!!\0"
    fields = [0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, len(name), 0]
    cpio += b"070701" + b"".join(b"%08X" % f for f in fields) + name
    return hand_rpm(rpm_tags(_rpm_files(3, 0o100644)), cpio)


# -- the second round: one input per class, each a few KB ---------------------------------


def xz(data: bytes) -> bytes:
    import lzma

    return lzma.compress(data, preset=6)


def deb_with(
    data: bytes, *, control: bytes | None = None, scripts: dict[str, bytes] | None = None
) -> bytes:
    """A .deb whose data member is `data` (an xz tar) and whose control member holds
    `control` and `scripts`, all xz-compressed."""
    fields = control or b"Package: hostile\nVersion: 1\nArchitecture: all\n"
    members = [member("./control", fields)]
    members += [member(f"./{name}", text, mode=0o755) for name, text in (scripts or {}).items()]
    return ar_archive(
        [
            ("debian-binary", b"2.0\n"),
            ("control.tar.xz", xz(tar_bytes(members))),
            ("data.tar.xz", data),
        ]
    )


def long_link_deb(parts: int = 200_000) -> bytes:
    """A marker symlink whose pax `linkpath` is `parts` components climbing in and out
    (`usr/..` repeated): 1 MiB of target in a .deb of a few KB."""
    target = ("usr/../" * parts).encode()
    records = _pax_record(b"linkpath", target)
    link = tar_header(f"./{STDLIB}/EXTERNALLY-MANAGED".encode(), kind=b"2")
    os_py = tar_header(f"./{STDLIB}/os.py".encode(), size=b"%011o\0" % 11)
    os_py = with_data(os_py, b"import abc\n")
    return deb_with(xz(os_py + pax_member(records) + link + END))


def rpm_long_links(parts: int = 1000) -> bytes:
    """An rpm whose marker is a symlink of `parts` components (`a/../` repeated)."""
    tags = _rpm_files(3, 0o120777)
    link = "a/../" * parts + "os.py"
    tags = [(t, k, v) for t, k, v in tags if t != 1035]
    tags.append((1036, 8, ["", link]))
    return hand_rpm(rpm_tags(tags))


def _pax_record(key: bytes, value: bytes) -> bytes:
    """One `LENGTH KEY=VALUE\\n` record, its length counting its own digits."""
    body = b" " + key + b"=" + value + b"\n"
    length = len(body) + len(str(len(body)))
    length = len(body) + len(str(length))
    return str(length).encode() + body


def digits_pax_size_tar(digits: int = 5000) -> bytes:
    """A pax `size=` of `digits` digits (int() refuses more than 4300)."""
    records = _pax_record(b"size", b"9" * digits)
    return pax_member(records) + tar_header(f"./{STDLIB}/EXTERNALLY-MANAGED".encode()) + END


def superscript_pax_size_tar() -> bytes:
    """A pax `size=²`: `str.isdigit()` says yes, `int()` says no."""
    records = _pax_record(b"size", "\u00b2".encode())
    return pax_member(records) + tar_header(f"./{STDLIB}/EXTERNALLY-MANAGED".encode()) + END


def changes_with_size(size: str) -> Files:
    """A .changes listing a good .deb with `size` as its size (thousands of digits, `²`)."""
    deb = good_deb()
    digest = hashlib.sha256(deb).hexdigest()
    text = (
        "Format: 1.8\nSource: hostile\nVersion: 1\nChecksums-Sha256:\n"
        f" {digest} {size} hostile_1_all.deb\n"
    )
    return {"hostile.changes": text.encode(), "hostile_1_all.deb": deb}


def huge_script_deb(size: int = 15 * MiB) -> bytes:
    """A postinst of `size` bytes of dpkg-divert lines, xz-compressed to a few KB."""
    line = b"dpkg-divert --package hostile --add --rename /usr/lib/python3.12/x\n"
    script = b"#!/bin/sh\n" + line * (size // len(line))
    return deb_with(xz(tar_bytes(stdlib_members())), scripts={"postinst": script})


def long_line_script_deb(size: int = 15 * MiB) -> bytes:
    """A postinst of one line of `size` bytes that mentions dpkg-divert."""
    script = b"#!/bin/sh\ndpkg-divert --add " + b"a" * size + b"\n"
    return deb_with(xz(tar_bytes(stdlib_members())), scripts={"postinst": script})


def long_description_deb(size: int = 15 * MiB) -> bytes:
    """A control paragraph whose Description is `size` bytes of continuation lines."""
    control = b"Package: hostile\nVersion: 1\nArchitecture: all\nDescription: x\n"
    control += b" a\n" * (size // 3)
    return deb_with(xz(tar_bytes(stdlib_members())), control=control)


def many_layers_image(images: int = 256, layers: int = 511) -> bytes:
    """`images` manifests of `layers` layers each (two small layers, listed again and
    again): within every per-image cap, 130,000 layers applied."""
    small = [tar_bytes(stdlib_members()), tar_bytes([member(f"srv/f{n}") for n in range(8)])]
    names = ["a", "b"]
    manifest = [{"Layers": [names[n % 2] for n in range(layers)]} for _ in range(images)]
    members = [member(n, layer) for n, layer in zip(names, small, strict=True)]
    members.append(member("manifest.json", json.dumps(manifest, separators=(",", ":")).encode()))
    return tar_bytes(members)


def growing_layers_image(layers: int = 400, per_layer: int = 100) -> bytes:
    """`layers` gzip layers of `per_layer` new entries each: the entries so far grow with
    every layer applied."""
    made = [tar_bytes(stdlib_members())]
    made += [tar_bytes([member(f"srv/l{n}/f{m}") for m in range(per_layer)]) for n in range(layers)]
    return docker_save([gzip.compress(layer, compresslevel=9, mtime=0) for layer in made])


def mtree_set_arch(keywords: int = 2000, lines: int = 20_000) -> bytes:
    """An Arch `.MTREE` whose `/set` line has `keywords` keywords, then `lines` lines."""
    set_line = b"/set " + b" ".join(b"k%d=v" % n for n in range(keywords)) + b"\n"
    body = b"#mtree\n" + set_line + b"./srv/f type=file sha256digest=00\n" * lines
    return tar_bytes(
        [
            member(".PKGINFO", b"pkgname = hostile\npkgver = 1-1\n"),
            member(".MTREE", gzip.compress(body, mtime=0)),
            *stdlib_members(),
        ]
    )


def dotdot_names_tar(count: int = 999_000) -> bytes:
    """`count` members named `../NNNNNNN`, gzip-compressed to about 2 MB: one finding and
    one kept name per member, before."""
    import zlib

    template = bytearray(tar_header(b"../0000000"))
    template[148:156] = b" " * 8
    base = sum(template) - sum(b"0000000")
    out = zlib.compressobj(1, zlib.DEFLATED, 31)
    parts = [
        out.compress(
            b"".join(
                with_data(tar_header(i.name.encode(), size=b"%011o\0" % len(d)), d)
                for i, d in stdlib_members()
            )
        )
    ]
    for start in range(0, count, 4096):
        chunk = bytearray()
        for n in range(start, min(start + 4096, count)):
            digits = b"%07d" % n
            template[3:10] = digits
            template[148:156] = b"%06o\0 " % (base + sum(digits))
            chunk += template
        parts.append(out.compress(bytes(chunk)))
    parts.append(out.compress(END) + out.flush())
    return b"".join(parts)


def sparse_marker_image(form: str) -> bytes:
    """An image whose upper layer replaces the marker by a sparse file, as `tar -S` writes
    it in `form` (`gnu`, or pax `0.0`, `0.1`, `1.0`)."""
    import subprocess
    import tempfile

    lower = tar_bytes(stdlib_members())
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "root"
        (root / STDLIB).mkdir(parents=True)
        with open(root / STDLIB / "EXTERNALLY-MANAGED", "wb") as handle:
            handle.write(b"[externally-managed]\nError = sparse\n")
            handle.truncate(64 * 1024)  # a hole to its end: tar -S stores none of it
        options = ["--format=gnu"] if form == "gnu" else ["--format=posix"]
        if form != "gnu":
            options.append(f"--sparse-version={form}")
        out = Path(scratch) / "layer.tar"
        subprocess.run(
            ["tar", "-S", *options, "-cf", str(out), "-C", str(root), STDLIB],
            check=True,
            env={**os.environ, "LC_ALL": "C"},
        )
        upper = out.read_bytes()
    return docker_save([lower, upper])


def proc_folder() -> Files:
    """A folder of packages: a good .deb, a `.deb` that is a symlink into /proc, a link to
    /proc as if a tree. `write` makes the links (`@LINK` entries)."""
    return {
        "good.deb": good_deb(),
        "status.deb@LINK": b"/proc/self/status",
        "proc@LINK": b"/proc",
    }


def proc_changes() -> Files:
    """A .changes listing a .deb that is a symlink into /proc (size 0, as /proc says)."""
    deb = good_deb()
    text = (
        "Format: 1.8\nSource: hostile\nVersion: 1\nChecksums-Sha256:\n"
        f" {hashlib.sha256(deb).hexdigest()} {len(deb)} good_1_all.deb\n"
        f" {hashlib.sha256(b'').hexdigest()} 0 status_1_all.deb\n"
    )
    return {
        "hostile.changes": text.encode(),
        "good_1_all.deb": deb,
        "status_1_all.deb@LINK": b"/proc/self/status",
    }


def deep_names_tar(count: int = 300, depth: int = 2000) -> bytes:
    """`count` files `depth` directories deep under tops of their own (`xN/a/a/.../f`), as
    pax paths, xz-compressed to about 2 KB: every directory they imply is a string as long
    as its path, `count` x `depth` x its length in all (about 1.3 GB for these)."""
    names = [f"./x{n}/" + "a/" * depth + "f" for n in range(count)]
    return xz(tar_bytes([member(name) for name in names] + stdlib_members()))


def stdlib_links_tar(count: int = 5000) -> bytes:
    """`count` symlinks named like stdlib dirs (`sN/lib/python3.12`), each to the real one
    through a target that climbs in and out 800 times: every one is resolved when the
    system's stdlib dirs are found (about 19 KB xz-compressed)."""
    import tarfile as tar

    target = "/" + "d/../" * 800 + STDLIB
    links = [
        member(f"s{n}/lib/python3.12", type=tar.SYMTYPE, linkname=target) for n in range(count)
    ]
    return xz(tar_bytes([member("d", type=tar.DIRTYPE), *stdlib_members(), *links]))


def short_words_marker(size: int = MiB - 64) -> bytes:
    """A marker of `size` bytes whose Error is one line of one-letter words."""
    head = b"[externally-managed]\nError = "
    return head + b"a " * ((size - len(head)) // 2) + b"\n"


#: Every hostile input: name -> (file name, builder).
INPUTS: dict[str, tuple[str, Callable[[], bytes | Files]]] = {
    "corrupt-zstd": ("corrupt-zstd.deb", corrupt_zstd_deb),
    "base256-mode": ("base256-mode.deb", lambda: deb_with_data(base256_mode_tar())),
    "huge-size-deb": ("huge-size.deb", lambda: deb_with_data(huge_size_tar())),
    "huge-size-rootfs": ("huge-size.tar", huge_size_tar),
    "huge-size-image": ("huge-size-image.tar", huge_size_image),
    "rpm-64bit-modes": ("modes.rpm", rpm_64bit_modes),
    "rpm-overlapping-tags": ("overlap.rpm", rpm_overlapping_tags),
    "rpm-huge-cpio-marker": ("cpio.rpm", rpm_huge_cpio_marker),
    "rpm-stripped-cpio": ("stripped.rpm", rpm_stripped_cpio),
    "symlink-loop-image": ("loop.tar", symlink_loop_image),
    "dangling-link-image": ("dangling.tar", dangling_link_image),
    "malformed-pax-deb": ("pax.deb", lambda: deb_with_data(malformed_pax_tar())),
    "cve-2024-6232-deb": ("cve.deb", lambda: deb_with_data(malformed_pax_tar(CVE_2024_6232))),
    "cve-2024-6232-rootfs": ("cve-rootfs.tar", lambda: malformed_pax_tar(CVE_2024_6232)),
    "cve-2024-6232-layer": ("cve-layer.tar", pax_in_layer_image),
    "cve-2024-6232-outer": ("cve-outer.tar", pax_in_outer_tarball),
    "nested-json": ("nested.tar", nested_json_image),
    "wrong-types-json": ("types.tar", wrong_types_image),
    "mtree-escapes": ("mtree.pkg.tar", mtree_escapes_arch),
    "gnu-long-name": ("long.tar", gnu_long_name_tar),
    "gnu-long-name-deb": ("long.deb", lambda: deb_with_data(gnu_long_name_tar())),
    "many-whiteouts": ("whiteouts.tar", many_whiteouts_image),
    "shared-budget": ("budget.tar", shared_budget_image),
    "oci-fanout": ("fanout.oci", fanout_oci_layout),
    "non-utf8-names": ("names.deb", non_utf8_names_deb),
    "giant-word": ("EXTERNALLY-MANAGED", giant_word_marker),
    # the second round
    "long-linkpath": ("long-link.deb", long_link_deb),
    "rpm-long-links": ("long-links.rpm", rpm_long_links),
    "pax-size-digits": ("digits.tar", digits_pax_size_tar),
    "pax-size-superscript": ("superscript.tar", superscript_pax_size_tar),
    "changes-size-digits": ("digits.changes.d", lambda: changes_with_size("9" * 5000)),
    "changes-size-superscript": ("superscript.changes.d", lambda: changes_with_size("\u00b2")),
    "huge-script": ("script.deb", huge_script_deb),
    "long-line-script": ("line-script.deb", long_line_script_deb),
    "long-description": ("description.deb", long_description_deb),
    "many-layers": ("many-layers.tar", many_layers_image),
    "growing-layers": ("growing-layers.tar", growing_layers_image),
    "mtree-set": ("mtree-set.pkg.tar", mtree_set_arch),
    "dotdot-names": ("dotdot.tar.gz", dotdot_names_tar),
    "sparse-gnu": ("sparse-gnu.tar", lambda: sparse_marker_image("gnu")),
    "sparse-pax-0.0": ("sparse-00.tar", lambda: sparse_marker_image("0.0")),
    "sparse-pax-0.1": ("sparse-01.tar", lambda: sparse_marker_image("0.1")),
    "sparse-pax-1.0": ("sparse-10.tar", lambda: sparse_marker_image("1.0")),
    "proc-folder": ("proc-folder", proc_folder),
    "proc-changes": ("proc-changes.d", proc_changes),
    "short-words": ("EXTERNALLY-MANAGED", short_words_marker),
    "deep-names": ("deep.tar.xz", deep_names_tar),
    "stdlib-links": ("stdlib-links.tar.xz", stdlib_links_tar),
}


#: The inputs a real program writes (GNU tar -S): the tests of them are marked `real`.
WRITTEN_BY_TAR = frozenset(name for name in INPUTS if name.startswith("sparse-"))


def params(names: Iterable[str]) -> list[Any]:
    """`names` for pytest.mark.parametrize, those GNU tar writes marked `real`."""
    import pytest

    return [pytest.param(n, marks=pytest.mark.real) if n in WRITTEN_BY_TAR else n for n in names]


#: Inputs that are several files, and the one of them given to `check` (None: the folder).
ENTRY: dict[str, str | None] = {
    "changes-size-digits": "hostile.changes",
    "changes-size-superscript": "hostile.changes",
    "proc-folder": None,
    "proc-changes": "hostile.changes",
}


def target_of(name: str) -> str | None:
    """The fuzz target (tests/fuzz/targets.py) that reads input `name` (None: the CLI only)."""
    file_name = INPUTS[name][0]
    if name in ("giant-word", "oci-fanout", "short-words") or name in ENTRY:
        return None
    if file_name.endswith(".deb"):
        return "deb"
    if file_name.endswith(".rpm"):
        return "rpm"
    if "image" in name or "json" in name or "layers" in name or "sparse" in name:
        return "image"
    if name in ("shared-budget", "many-whiteouts"):
        return "image"
    return "tarpkg"


def write(name: str, folder: Path) -> Path:
    """Write input `name` under `folder`; its path."""
    file_name, builder = INPUTS[name]
    made = builder()
    path = folder / file_name
    if isinstance(made, dict):
        for where, data in made.items():
            target = path / where.removesuffix("@LINK")
            target.parent.mkdir(parents=True, exist_ok=True)
            if where.endswith("@LINK"):
                target.symlink_to(data.decode())
            else:
                target.write_bytes(data)
    else:
        path.write_bytes(made)
    return path


def given(name: str, folder: Path) -> Path:
    """Write input `name` under `folder`; the path `check` is given."""
    path = write(name, folder)
    entry = ENTRY.get(name, "")
    if entry == "":
        return path
    return path / entry if entry else path


def main() -> None:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile")
    folder.mkdir(parents=True, exist_ok=True)
    for name in INPUTS:
        print(write(name, folder))


if __name__ == "__main__":
    main()
