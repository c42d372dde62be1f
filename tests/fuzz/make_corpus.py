"""Write the seed corpora of the fuzz harnesses (tests/fuzz/corpus/<target>/).

Small, well-formed inputs of each format, made with the test helpers
(`tests/packages.py`: dpkg-deb and rpmbuild for the real .deb and .rpm):
`python tests/fuzz/make_corpus.py`. Deterministic apart from what the real
tools stamp in.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from tests.fuzz.targets import FILE_SEPARATOR
from tests.packages import (
    MARKER,
    build_deb,
    build_rpm,
    hand_deb,
    member,
    stdlib_tree,
    tar_bytes,
    tar_segment,
)

CORPUS = Path(__file__).parent / "corpus"
STDLIB = "usr/lib/python3.12"


def _layer(*, whiteout: bool = False) -> bytes:
    members = [
        member(f"{STDLIB}/os.py", b"import abc\n"),
        member(f"{STDLIB}/EXTERNALLY-MANAGED", MARKER),
        member("usr/bin/python3", type=b"2", linkname="python3.12"),
    ]
    if whiteout:
        members = [member(f"{STDLIB}/.wh.EXTERNALLY-MANAGED"), member("etc/.wh..wh..opq")]
    return tar_bytes(members)


def _blob(data: bytes) -> tuple[str, bytes]:
    return hashlib.sha256(data).hexdigest(), data


def _oci_files() -> dict[str, bytes]:
    """An OCI layout of one image of two layers (the second deletes the marker)."""
    layer1, layer2 = _blob(gzip.compress(_layer(), mtime=0)), _blob(_layer(whiteout=True))
    config = _blob(b"{}")
    manifest = _blob(
        json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"digest": f"sha256:{config[0]}", "size": 2},
                "layers": [{"digest": f"sha256:{h}", "size": len(d)} for h, d in (layer1, layer2)],
            }
        ).encode()
    )
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": f"sha256:{manifest[0]}",
                "size": len(manifest[1]),
                "annotations": {"org.opencontainers.image.ref.name": "test"},
                "platform": {"os": "linux", "architecture": "amd64"},
            }
        ],
    }
    files = {
        "index.json": json.dumps(index).encode(),
        "oci-layout": b'{"imageLayoutVersion":"1.0.0"}',
    }
    for digest, data in (layer1, layer2, config, manifest):
        files[f"blobs/sha256/{digest}"] = data
    return files


def _docker_save() -> bytes:
    layer = _layer()
    manifest = [{"Config": "config.json", "RepoTags": ["test:1"], "Layers": ["abc/layer.tar"]}]
    return tar_bytes(
        [
            member("abc/layer.tar", layer),
            member("config.json", b"{}"),
            member("manifest.json", json.dumps(manifest).encode()),
        ]
    )


def _seeds(work: Path) -> dict[str, dict[str, bytes]]:
    marker_member = member(f"./{STDLIB}/EXTERNALLY-MANAGED", MARKER)
    long_name = member("./" + "d/" * 60 + "EXTERNALLY-MANAGED", MARKER)
    mtree = gzip.compress(
        b"#mtree\n/set type=file uid=0 gid=0 mode=644\n"
        b"./usr/lib/python3.12/EXTERNALLY-MANAGED time=1.0 size=80 sha256digest="
        + hashlib.sha256(MARKER).hexdigest().encode()
        + b"\n./usr/lib/python3.12/a\\040b type=dir\n",
        mtime=0,
    )
    arch = tar_bytes(
        [
            member(
                ".PKGINFO", b"pkgname = python\npkgver = 3.12.1-1\narch = x86_64\ndepend = glibc\n"
            ),
            member(".MTREE", mtree),
            member(f"{STDLIB}/os.py", b"import abc\n"),
            member(f"{STDLIB}/EXTERNALLY-MANAGED", MARKER),
        ]
    )
    oci = _oci_files()
    index = oci.pop("index.json")
    oci_input = index + b"".join(
        FILE_SEPARATOR + name.rpartition("/")[2].encode() + b"\n" + data
        for name, data in oci.items()
    )
    oci_tar = tar_bytes([member(n, d) for n, d in {**oci, "index.json": index}.items()])
    return {
        "deb": {
            "real-xz.deb": build_deb(stdlib_tree(), work / "a.deb").read_bytes(),
            "real-gzip.deb": build_deb(
                stdlib_tree(), work / "b.deb", compression="gzip"
            ).read_bytes(),
            "hand.deb": hand_deb([marker_member, member("./usr/bin/x", type=b"2", linkname="y")]),
        },
        "rpm": {
            "real-gzip.rpm": build_rpm(stdlib_tree(), work / "a.rpm", payload="gzip").read_bytes()
        },
        "tarpkg": {
            "arch.pkg.tar": arch,
            "arch.pkg.tar.gz": gzip.compress(arch, mtime=0),
            "apk-segments": gzip.compress(
                tar_segment([member(".PKGINFO", b"pkgname = x\n")]), mtime=0
            )
            + gzip.compress(tar_bytes([marker_member]), mtime=0),
        },
        "image": {"docker-save.tar": _docker_save(), "oci-archive.tar": oci_tar},
        "oci": {"layout": oci_input},
        "tarstream": {
            "gnu-long.tar": tar_bytes(
                [long_name, member("./x", type=b"1", linkname=long_name[0].name)]
            ),
            "pax.tar": tar_segment([marker_member, member("./é/" + "x" * 120, b"data")])
            + b"\0" * 1024,
        },
        "mtree": {"mtree.gz": mtree},
        "pax": {"records": b"30 mtime=1700000000.123456789\n19 path=usr/lib/x\n"},
        "marker": {
            "marker": MARKER,
            "localised": MARKER + b"Error-de_DE = Nutzen Sie den Paketmanager.\n",
        },
    }


def _whole_check_seeds() -> dict[str, dict[str, bytes]]:
    """The `check` target's first byte picks the input's name (targets._CHECK_NAMES);
    the `nested` target's picks the nesting level (nesting.wrap)."""
    from tests.fuzz import hostile

    good = hostile.good_deb()
    digest = hashlib.sha256(good).hexdigest()
    changes = (
        "Format: 1.8\nSource: good\nVersion: 1\nChecksums-Sha256:\n"
        f" {digest} {len(good)} good.deb\n"
    ).encode()
    tar = tar_bytes(hostile.stdlib_members())
    sparse = hostile.sparse_marker_image("1.0")
    return {
        "check": {
            "deb": b"\0" + good,
            "rootfs.tar": b"\2" + tar,
            "changes": b"\5" + changes,
            "sparse-image.tar": b"\2" + sparse,
            "symlink-image.tar": b"\2" + hostile.symlink_loop_image(),
        },
        "nested": {f"level-{n}": bytes([n]) + tar for n in range(10)},
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as work:
        for target, seeds in {**_seeds(Path(work)), **_whole_check_seeds()}.items():
            folder = CORPUS / target
            folder.mkdir(parents=True, exist_ok=True)
            for name, data in seeds.items():
                (folder / name).write_bytes(data)
    print(f"wrote {CORPUS}")


if __name__ == "__main__":
    main()
