"""Build real packages for `check`'s tests: dpkg-deb, rpmbuild, and hand-made hostile ones.

A tree is a mapping of paths (relative to the package root) to `File`,
`Link` or `Dir`; `build_deb` and `build_rpm` lay it out in a temporary
directory and run the real tool on it. The hand-made builders (`ar_archive`,
`tar_bytes`) exist only for what dpkg-deb and rpmbuild refuse to make: member
names with `..`, absurd headers, bombs.

In CI (`CI` or `MARKER_TOOL_REQUIRE_ALL` set) a missing dpkg-deb, rpmbuild,
rpm or cpio fails the test; .ci/run installs them.

What dpkg-deb and rpmbuild make is kept under build/packages/, keyed by the
tree, the options and the tool, so test processes and reruns build each
package once (`_built`).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import lzma
import os
import shutil
import subprocess
import tarfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.realprograms import CACHE, content_key, missing, note_program

DEB_COMPRESSIONS = ("xz", "gzip", "zstd", "none")
RPM_PAYLOADS = {"gzip": "w9.gzdio", "xz": "w6.xzdio", "zstd": "w19.zstdio", "bzip2": "w9.bzdio"}
MARKER = b"[externally-managed]\nError = Use the package manager to install Python packages.\n"
#: A real deb layout stdlib: os.py and another module directly in python3.12/.
STDLIB_FILES = {"os.py": b"import abc\n", "argparse.py": b"# argparse\n"}


@dataclass(frozen=True)
class File:
    data: bytes
    mode: int = 0o644
    #: (uid, gid); None: root (dpkg-deb --root-owner-group, %attr root).
    owner: tuple[int, int] | None = None


@dataclass(frozen=True)
class Link:
    target: str


@dataclass(frozen=True)
class Dir:
    mode: int = 0o755


Tree = dict[str, File | Link | Dir]


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        missing(name)
        raise AssertionError("unreachable")
    return found


def stdlib_tree(stdlib: str = "usr/lib/python3.12", marker: bytes | None = MARKER) -> Tree:
    tree: Tree = {f"{stdlib}/{name}": File(data) for name, data in STDLIB_FILES.items()}
    if marker is not None:
        tree[f"{stdlib}/EXTERNALLY-MANAGED"] = File(marker)
    return tree


def lay_out(tree: Tree, root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for where, item in sorted(tree.items()):
        path = root / where
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(item, Dir):
            path.mkdir(exist_ok=True)
            path.chmod(item.mode)
        elif isinstance(item, Link):
            path.symlink_to(item.target)
        else:
            path.write_bytes(item.data)
            path.chmod(item.mode)
            if item.owner is not None and os.geteuid() == 0:
                os.chown(path, *item.owner)


def build_deb(
    tree: Tree,
    dest: Path,
    *,
    name: str = "libpython3.12-stdlib",
    compression: str = "xz",
    depends: str | None = None,
    md5sums: dict[str, str] | None = None,
    version: str = "3.12.1-1",
    arch: str = "amd64",
    fields: dict[str, str] | None = None,
    scripts: dict[str, str] | None = None,
) -> Path:
    """A real .deb of `tree` made by dpkg-deb, with a correct md5sums unless given one.

    `fields`: more control fields (`Multi-Arch`); `scripts`: maintainer scripts by name.
    """
    dpkg_deb = tool("dpkg-deb")
    # Every parameter is in the key: a package built with another one is another package.
    root = os.geteuid() == 0
    key = (tree, name, compression, depends, md5sums, version, arch, fields, scripts, root)
    if _built(dpkg_deb, key, dest):
        return dest
    work = dest.parent / f".{dest.name}.tree"
    shutil.rmtree(work, ignore_errors=True)
    lay_out(tree, work)
    (work / "DEBIAN").mkdir()
    control = f"Package: {name}\nVersion: {version}\nArchitecture: {arch}\n"
    control += "Maintainer: Test <test@example.org>\n"
    if depends:
        control += f"Depends: {depends}\n"
    control += "".join(f"{key}: {value}\n" for key, value in (fields or {}).items())
    control += "Description: test package\n"
    (work / "DEBIAN" / "control").write_text(control)
    if md5sums is None:
        md5sums = {
            where: hashlib.md5(item.data).hexdigest()
            for where, item in tree.items()
            if isinstance(item, File)
        }
    (work / "DEBIAN" / "md5sums").write_text(
        "".join(f"{digest}  {where}\n" for where, digest in sorted(md5sums.items()))
    )
    for script, text in (scripts or {}).items():
        (work / "DEBIAN" / script).write_text(text)
        (work / "DEBIAN" / script).chmod(0o755)
    root_owner = all(not isinstance(i, File) or i.owner is None for i in tree.values())
    command = [dpkg_deb, f"-Z{compression}", "--build", str(work), str(dest)]
    if root_owner:
        command.insert(1, "--root-owner-group")
    subprocess.run(command, check=True, capture_output=True)
    shutil.rmtree(work)
    _keep(dpkg_deb, key, dest)
    return dest


def _package_cache(program: str, key: object) -> Path:
    found = Path(program).resolve()
    status = found.stat()
    identity = f"{found} {status.st_size} {status.st_mtime_ns}".encode()
    return CACHE / "packages" / content_key(identity, repr(key).encode())


def _built(program: str, key: object, dest: Path) -> bool:
    """Whether `program` made this package before: then `dest` is a copy of it."""
    kept = _package_cache(program, key)
    if not kept.is_file():
        return False
    note_program(Path(program).name)
    shutil.copyfile(kept, dest)
    return True


def _keep(program: str, key: object, dest: Path) -> None:
    kept = _package_cache(program, key)
    kept.parent.mkdir(parents=True, exist_ok=True)
    partial = kept.with_suffix(f".{os.getpid()}.partial")
    shutil.copyfile(dest, partial)
    partial.rename(kept)


def build_rpm(tree: Tree, dest: Path, *, name: str = "python3-libs", payload: str = "xz") -> Path:
    """A real .rpm of `tree` made by rpmbuild (files listed with their %attr)."""
    rpmbuild = tool("rpmbuild")
    key = (tree, name, payload, os.geteuid() == 0)
    if _built(rpmbuild, key, dest):
        return dest
    top = dest.parent / f".{dest.name}.top"
    shutil.rmtree(top, ignore_errors=True)
    source = top / "tree"
    lay_out(tree, source)
    files = []
    for where, item in sorted(tree.items()):
        if isinstance(item, File):
            owner = "root" if item.owner is None else str(item.owner[0])
            files.append(f"%attr({item.mode:04o},{owner},root) /{where}")
        elif isinstance(item, Dir):
            files.append(f"%dir %attr({item.mode:04o},root,root) /{where}")
        else:
            files.append(f"/{where}")
    spec = top / "test.spec"
    spec.write_text(
        f"Name: {name}\nVersion: 3.12.1\nRelease: 1\nSummary: test\nLicense: MIT\n"
        "Requires: python3\n"
        "%description\ntest package\n"
        f"%install\ncp -a {source}/. %{{buildroot}}/\n"
        "%files\n" + "\n".join(files) + "\n"
    )
    subprocess.run(
        [
            rpmbuild,
            "-bb",
            "--quiet",
            "--define",
            f"_topdir {top}",
            "--define",
            f"_binary_payload {RPM_PAYLOADS[payload]}",
            "--define",
            "__os_install_post %{nil}",
            "--define",
            "_build_id_links none",
            str(spec),
        ],
        check=True,
        capture_output=True,
    )
    built = next((top / "RPMS").rglob("*.rpm"))
    shutil.move(built, dest)
    shutil.rmtree(top)
    _keep(rpmbuild, key, dest)
    return dest


# -- hand-made archives, for what the real tools refuse to build -----------------------


def tar_bytes(members: Sequence[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return out.getvalue()


def tar_segment(members: Sequence[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    """A tar without its end-of-archive blocks, as abuild-tar --cut writes an .apk's parts."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
        end = tar.offset  # before close() writes the end-of-archive blocks
    return out.getvalue()[:end]


def member(name: str, data: bytes = b"", **fields: object) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    for key, value in fields.items():
        setattr(info, key, value)
    return info, data


def ar_archive(members: list[tuple[str, bytes]]) -> bytes:
    """An ar archive as dpkg-deb writes it (`debian-binary`, `control.tar.*`, `data.tar.*`)."""
    out = bytearray(b"!<arch>\n")
    for name, data in members:
        out += f"{name:<16}{0:<12}{0:<6}{0:<6}{0o100644:<8o}{len(data):<10}`\n".encode()
        out += data + (b"\n" if len(data) % 2 else b"")
    return bytes(out)


def hand_deb(
    data_members: Sequence[tuple[tarfile.TarInfo, bytes | None]], *, data_name: str = "data.tar"
) -> bytes:
    control = tar_bytes([member("./control", b"Package: hostile\nVersion: 1\nArchitecture: all\n")])
    return ar_archive(
        [
            ("debian-binary", b"2.0\n"),
            ("control.tar", control),
            (data_name, tar_bytes(data_members)),
        ]
    )


# -- images, built by hand (the real tools' images are tests/build-images') --------


def image_layers() -> list[bytes]:
    base = tar_bytes(
        [
            member("usr/lib/python3.12/os.py", b"x"),
            member("usr/lib/python3.12/EXTERNALLY-MANAGED", MARKER),
        ]
    )
    deleting = tar_bytes([member("usr/lib/python3.12/.wh.EXTERNALLY-MANAGED")])
    return [base, deleting]


def docker_save(tmp_path: Path, layers: list[bytes]) -> Path:
    members = []
    names = []
    for n, layer in enumerate(layers):
        names.append(f"{n}/layer.tar")
        members.append(member(names[-1], layer))
    manifest = [{"Config": "config.json", "RepoTags": ["example/python:3.12"], "Layers": names}]
    members.append(member("config.json", b"{}"))
    members.append(member("manifest.json", json.dumps(manifest).encode()))
    tmp_path.mkdir(exist_ok=True)
    path = tmp_path / "image.tar"
    path.write_bytes(tar_bytes(members))
    return path


def oci_layout(tmp_path: Path, layers: list[bytes]) -> Path:
    root = tmp_path / "oci"
    blobs = root / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def blob(data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        (blobs / digest).write_bytes(data)
        return f"sha256:{digest}"

    descriptors = [
        {
            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
            "digest": blob(gzip.compress(layer)),
            "size": 0,
        }
        for layer in layers
    ]
    manifest = json.dumps({"schemaVersion": 2, "layers": descriptors}).encode()
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": blob(manifest),
                "annotations": {"org.opencontainers.image.ref.name": "3.12"},
            }
        ],
    }
    (root / "index.json").write_text(json.dumps(index))
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    return root


# -- real Debian packages (tests/fetch-debian-packages) ------------------------------

#: Where tests/fetch-debian-packages puts them.
DEBS = Path(__file__).resolve().parent.parent / "build" / "debs"
BUILDS = {"3.11": "python3.11", "3.13": "python3.13", "3.14": "python3.14"}
#: What a test that reads them depends on, as if it had run it (`note_program`).
FETCHED = "apt-get download (tests/fetch-debian-packages)"


def build(xy: str) -> list[Path]:
    """Every binary package of Debian's pythonX.Y source build."""
    debs = sorted((DEBS / BUILDS[xy]).glob("*.deb"))
    if len(debs) < 16:
        missing(
            f"the binary packages of Debian's python{xy} in {DEBS} (tests/fetch-debian-packages)"
        )
    note_program(FETCHED)
    return debs


def package(xy: str, name: str) -> Path:
    [deb] = [d for d in build(xy) if d.name.startswith(f"{name}_")]
    return deb


def real_debs(xy: str) -> tuple[Path, Path]:
    """(libpython3.X-stdlib, python3.X) as Debian ships them."""
    return package(xy, f"libpython{xy}-stdlib"), package(xy, f"python{xy}")


def others() -> list[Path]:
    debs = sorted((DEBS / "other").glob("*.deb"))
    if len(debs) < 30:
        missing(f"the other real packages in {DEBS}/other (tests/fetch-debian-packages)")
    note_program(FETCHED)
    return debs


# -- a tree in every format `check` reads (sources.detect.READERS) ----------------------------


def tar_of(tree: Tree, *, metadata: dict[str, bytes] | None = None) -> bytes:
    """A tar of `tree` as `tar --owner=0 --group=0` writes it (metadata members first)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in (metadata or {}).items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for where, item in sorted(tree.items()):
            info = tarfile.TarInfo("./" + where)
            info.uname = info.gname = "root"
            if isinstance(item, Link):
                info.type, info.linkname = tarfile.SYMTYPE, item.target
                tar.addfile(info)
            elif isinstance(item, File):
                info.size, info.mode = len(item.data), item.mode
                tar.addfile(info, io.BytesIO(item.data))
    return out.getvalue()


def arch_package(tree: Tree, dest: Path) -> Path:
    files = {w: i for w, i in tree.items() if isinstance(i, File)}
    mtree = "#mtree\n" + "".join(
        f"./{w} type=file mode=644 sha256digest={hashlib.sha256(i.data).hexdigest()}\n"
        for w, i in sorted(files.items())
    )
    info = b"pkgname = python\npkgver = 3.12.1-1\narch = x86_64\n"
    data = tar_of(tree, metadata={".PKGINFO": info, ".MTREE": gzip.compress(mtree.encode())})
    dest.write_bytes(lzma.compress(data, lzma.FORMAT_XZ))
    return dest


def alpine_package(tree: Tree, dest: Path) -> Path:
    info = b"pkgname = python3\npkgver = 3.12.1-r0\narch = x86_64\n"
    dest.write_bytes(gzip.compress(tar_of(tree, metadata={".PKGINFO": info}), mtime=0))
    return dest


def rootfs(tree: Tree, dest: Path) -> Path:
    dest.write_bytes(tar_of(tree))
    return dest


def cpio_archive(tree: Tree, dest: Path) -> Path:
    """A gzip-compressed newc cpio of `tree`, as an initramfs is (`cpio -H newc -o | gzip`)."""
    out = io.BytesIO()

    def add(name: str, mode: int, data: bytes) -> None:
        fields = [1, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name) + 1, 0]
        header = b"070701" + b"".join(b"%08X" % f for f in fields)
        out.write(header + name.encode() + b"\0")
        out.write(b"\0" * (-(110 + len(name) + 1) % 4) + data + b"\0" * (-len(data) % 4))

    for where, item in sorted(tree.items()):
        if isinstance(item, Link):
            add(where, 0o120777, item.target.encode())
        elif isinstance(item, File):
            add(where, 0o100000 | item.mode, item.data)
    add("TRAILER!!!", 0, b"")
    dest.write_bytes(gzip.compress(out.getvalue(), mtime=0))
    return dest


def directory(tree: Tree, dest: Path) -> Path:
    lay_out(tree, dest)
    return dest


def docker_image(tree: Tree, dest: Path) -> Path:
    return docker_save(dest, [tar_of(tree)])


def oci_image(tree: Tree, dest: Path) -> Path:
    dest.mkdir()
    return oci_layout(dest, [tar_of(tree)])


def oci_archive(tree: Tree, dest: Path) -> Path:
    """A tarred OCI layout (`skopeo copy ... oci-archive:`)."""
    layout = oci_image(tree, dest.with_suffix(".layout"))
    with tarfile.open(dest, "w") as tar:
        for path in sorted(layout.rglob("*")):
            if path.is_file():
                tar.add(path, arcname=str(path.relative_to(layout)))
    return dest


def docker_dir(tree: Tree, dest: Path) -> Path:
    """An image in a folder (`podman save --format docker-dir`): a manifest, blobs by hex."""
    dest.mkdir()
    layer = tar_of(tree)
    digest = hashlib.sha256(layer).hexdigest()
    (dest / digest).write_bytes(layer)
    manifest = {"schemaVersion": 2, "layers": [{"digest": f"sha256:{digest}", "size": len(layer)}]}
    (dest / "manifest.json").write_text(json.dumps(manifest))
    return dest


Builder = Callable[[Tree, Path], Path]
#: A builder for every reader of `sources.detect.READERS`, by the reader's name, in each of
#: its variants (compressions, payloads). A new format needs one here (docs/extending.md).
READER_BUILDERS: dict[str, dict[str, Builder]] = {
    "deb": {
        f"deb-{c}": (lambda t, d, c=c: build_deb(t, d, compression=c))  # type: ignore[misc]
        for c in ("xz", "gzip", "zstd", "none")
    },
    "rpm": {
        f"rpm-{p}": (lambda t, d, p=p: build_rpm(t, d, payload=p))  # type: ignore[misc]
        for p in ("gzip", "xz", "zstd", "bzip2")
    },
    "apk": {"alpine": alpine_package},
    "arch": {"arch": arch_package},
    "docker-archive": {"docker": docker_image},
    "oci-archive": {"oci-archive": oci_archive},
    "rootfs": {"rootfs": rootfs},
    "cpio": {"cpio": cpio_archive},
    "oci": {"oci": oci_image},
    "docker-dir": {"docker-dir": docker_dir},
    "directory": {"directory": directory},
}
