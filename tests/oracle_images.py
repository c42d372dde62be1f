"""Images made from the root filesystem tarballs, and what each runtime makes of them.

Per suite (`oracle_systems.IMAGED`), one OCI layout build/oracle/images/SUITE/oci,
a tag per case, each layer written by a real tool:

    intact          the root filesystem tarball as one layer (umoci raw add-layer)
    venv            `python3 -m venv /opt/venv` run in the image (umoci repack)
    usr-local       the default Python's stdlib and interpreter copied to /usr/local,
                    without a marker, as CPython's `make install` leaves them (umoci repack)
    rm-python       the CPython marker removed (umoci repack)
    rm-pypy         the PyPy marker removed (`buildah run rm`, `buildah commit`)
    link-whiteouts  usr/lib/pythonX.Y moved to /opt and replaced by a symlink to it,
                    in one layer: umoci writes the new files, the symlink, then a
                    whiteout for every old entry beneath the symlink
    merged-usr-rm   a layer whose whiteout names the marker through /lib
                    (`lib/pythonX.Y/.wh.EXTERNALLY-MANAGED`; /lib links to usr/lib)
    merged-usr-text a layer writing another marker text at lib/pythonX.Y/

and per case an OCI layout of that image alone, build/oracle/images/SUITE/cases/CASE,
its blobs hard links to the shared layout's: what `check` reads.

Each runtime applies the layers its own way, and each gives a *view*, the
image's file system as a container would see it: `umoci raw unpack`
(build/oracle/views/SUITE/CASE), and containers-storage with the vfs and the
overlay drivers (skopeo copies the image in, `podman image mount` shows it;
build/oracle/storage/DRIVER, emptied again after each use). A runtime that
refuses the image says why. The images and umoci's views are made once; what
each view showed is kept, so a later run mounts nothing it has already read.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.chroots import Chroot
from tests.oracle_systems import ORACLE, VENV, copy_to_usr_local, rootfs
from tests.realprograms import require

IMAGES = ORACLE / "images"
VIEWS = ORACLE / "views"
STORAGE = ORACLE / "storage"
CASES = (
    "intact",
    "venv",
    "usr-local",
    "rm-python",
    "rm-pypy",
    "link-whiteouts",
    "merged-usr-rm",
    "merged-usr-text",
)
RUNTIMES = ("umoci", "vfs", "overlay")
TOOLS = ("umoci", "skopeo", "podman", "buildah", "mmdebstrap", "tar")
OTHER_TEXT = (
    "[externally-managed]\n"
    "Error = This image's Python is managed by apt: install python3-xyz with apt,\n"
    " or create a virtual environment with python3 -m venv.\n"
)


def require_tools() -> None:
    require(TOOLS, root="umoci unpack, chroot and containers-storage need it")


def run(*command: str | Path, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [str(c) for c in command], capture_output=True, text=True, check=False, cwd=cwd
    )
    assert done.returncode == 0, f"{' '.join(map(str, command))}:\n{done.stderr[-3000:]}"
    return done.stdout


def storage_options(driver: str) -> list[str]:
    here = STORAGE / driver
    return [
        "--root",
        str(here / "root"),
        "--runroot",
        str(here / "run"),
        "--storage-driver",
        driver,
    ]


def podman(driver: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            "podman",
            *storage_options(driver),
            *("--cgroup-manager", "cgroupfs", "--events-backend", "none"),
            *args,
        ],
        capture_output=True,
        text=True,
        check=False,
    )


# -- the images ---------------------------------------------------------------------------


def layout(suite: str) -> Path:
    return IMAGES / suite / "oci"


def pythons_of(rootfs_dir: Path) -> tuple[str, str]:
    """The CPython and PyPy stdlib dirs of a root file system (`usr/lib/python3.13` ...)."""
    lib = rootfs_dir / "usr" / "lib"
    cpython = sorted(
        f"usr/lib/{p.name}"
        for p in lib.glob("python3.*")
        if (p / "os.py").is_file() and (p / "EXTERNALLY-MANAGED").is_file()
    )
    pypy = sorted(f"usr/lib/{p.name}" for p in lib.glob("pypy3.*") if p.is_dir())
    assert cpython, f"{rootfs_dir}: no python3.X with a marker in usr/lib"
    assert pypy, f"{rootfs_dir}: no pypy3.X in usr/lib"
    return cpython[-1], pypy[-1]


def tags(oci: Path) -> set[str]:
    return set(run("umoci", "ls", "--layout", oci).split()) if oci.is_dir() else set()


def layer_through_lib(stdlib: str, whiteout: bool) -> bytes:
    """A layer tarball whose one entry names the marker through the /lib symlink."""
    name = stdlib.replace("usr/lib/", "lib/", 1)
    data = b"" if whiteout else OTHER_TEXT.encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo(f"{name}/{'.wh.' if whiteout else ''}EXTERNALLY-MANAGED")
        info.size, info.mode, info.mtime = len(data), 0o644, 1700000000
        tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def build_case(suite: str, case: str, work: Path) -> None:
    """Add the tag `case` to the suite's layout (see the module's docstring)."""
    oci = layout(suite)
    bundle = work / "bundle"
    if not bundle.is_dir():
        run("umoci", "unpack", "--image", f"{oci}:intact", bundle)
    cpython, pypy = pythons_of(bundle / "rootfs")
    if case.startswith("merged-usr"):
        layer = work / "layer.tar"
        layer.write_bytes(layer_through_lib(cpython, whiteout=case == "merged-usr-rm"))
        run(
            "umoci", "raw", "add-layer", "--image", f"{oci}:intact", "--tag", case,
            "--history.created_by", f"a layer naming /{cpython.replace('usr/', '', 1)} "
            "through the /lib symlink", layer,
        )  # fmt: skip
        return
    if case == "rm-pypy":
        build_with_buildah(suite, f"rm /{pypy}/EXTERNALLY-MANAGED", case, work)
        return
    edit = work / f"bundle-{case}"
    shutil.rmtree(edit, ignore_errors=True)
    run("cp", "-a", bundle, edit)
    rootfs_dir = edit / "rootfs"
    if case == "venv":
        Chroot(rootfs_dir).run(f"python3 -m venv {VENV}")
        said = f"python3 -m venv {VENV}"
    elif case == "usr-local":
        copy_to_usr_local(Chroot(rootfs_dir))
        said = "make install into /usr/local (no marker)"
    elif case == "rm-python":
        (rootfs_dir / cpython / "EXTERNALLY-MANAGED").unlink()
        said = f"rm /{cpython}/EXTERNALLY-MANAGED"
    elif case == "link-whiteouts":
        moved = f"opt/{Path(cpython).name}"
        (rootfs_dir / "opt").mkdir(exist_ok=True)
        (rootfs_dir / cpython).rename(rootfs_dir / moved)
        (rootfs_dir / cpython).symlink_to(f"/{moved}")
        said = f"mv /{cpython} /{moved}; ln -s /{moved} /{cpython}"
    else:
        raise AssertionError(case)
    run("umoci", "repack", "--image", f"{oci}:{case}", "--history.created_by", said, edit)
    shutil.rmtree(edit)


def build_with_buildah(suite: str, command: str, case: str, work: Path) -> None:
    """`buildah from` the intact image, `buildah run COMMAND`, `buildah commit` as `case`."""
    options = ["--root", str(work / "buildah"), "--runroot", str(work / "buildah-run")]
    options += ["--storage-driver", "vfs"]
    name = f"oracle-{suite}-{case}"
    run("buildah", *options, "rm", "--all")
    run("buildah", *options, "from", "--quiet", "--name", name, f"oci:{layout(suite)}:intact")
    run("buildah", *options, "run", "--isolation", "chroot", name, "--", "sh", "-c", command)
    run(
        "buildah", *options, "commit", "--quiet", "--format", "oci",
        "--disable-compression=false", name, f"oci:{layout(suite)}:{case}",
    )  # fmt: skip
    run("buildah", *options, "rm", name)
    subprocess.run(["rm", "-rf", "--one-file-system", str(work / "buildah")], check=False)


def share_blobs(source: Path, dest: Path) -> None:
    """Blobs `dest` has in common with `source` become hard links (named by digest: equal)."""
    for blob in (dest / "blobs" / "sha256").iterdir():
        shared = source / "blobs" / "sha256" / blob.name
        if shared.is_file() and not blob.samefile(shared):
            blob.unlink()
            os.link(shared, blob)


@contextlib.contextmanager
def locked(name: str) -> Iterator[None]:
    ORACLE.mkdir(parents=True, exist_ok=True)
    with open(ORACLE / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def image(suite: str, case: str) -> Path:
    """The OCI layout holding only the image `case` of `suite`, made when missing."""
    single = IMAGES / suite / "cases" / case
    if single.is_dir():
        return single
    require_tools()
    with locked(f"images-{suite}"):
        if single.is_dir():
            return single
        oci = layout(suite)
        work = IMAGES / suite / "work"
        if not oci.is_dir():
            tarball = rootfs(suite)
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(parents=True)
            run("umoci", "init", "--layout", work / "oci")
            run("umoci", "new", "--image", f"{work / 'oci'}:intact")
            run(
                "umoci", "raw", "add-layer", "--image", f"{work / 'oci'}:intact",
                "--history.created_by", f"mmdebstrap --format=tar {suite} ({tarball.name})",
                tarball,
            )  # fmt: skip
            (work / "oci").rename(oci)
        if case not in tags(oci):
            work.mkdir(parents=True, exist_ok=True)
            build_case(suite, case, work)
        partial = single.with_suffix(".partial")
        subprocess.run(["rm", "-rf", str(partial)], check=True)
        partial.parent.mkdir(parents=True, exist_ok=True)
        run("skopeo", "copy", "--quiet", f"oci:{oci}:{case}", f"oci:{partial}:{case}")
        share_blobs(oci, partial)
        partial.rename(single)
        clean_work(suite)
    return single


def clean_work(suite: str) -> None:
    """The bundles the cases were made from (a few hundred MB), once every case is made."""
    if all((IMAGES / suite / "cases" / case).is_dir() for case in CASES):
        subprocess.run(["rm", "-rf", "--one-file-system", str(IMAGES / suite / "work")], check=True)


# -- the runtimes' views ----------------------------------------------------------------


@dataclass(frozen=True)
class View:
    """An image's file system as one runtime makes it, or why it refuses the image."""

    runtime: str
    root: Path | None
    error: str | None = None


def listing_digest(root: Path) -> str:
    """A digest of every entry's path, kind, mode, owner, size and link target."""
    digest = hashlib.sha256()
    for entry, kind, mode, owner, size, link in listing(root):
        digest.update(f"{entry}\0{kind}\0{mode:o}\0{owner}\0{size}\0{link}\n".encode())
    return digest.hexdigest()


Entry = tuple[str, str, int, str, int, str]


def listing(root: Path) -> list[Entry]:
    out: list[Entry] = []
    for directory, subdirs, files in os.walk(root):
        subdirs.sort()
        for name in sorted(subdirs + files):
            path = os.path.join(directory, name)
            try:
                st = os.lstat(path)
            except FileNotFoundError:  # listed, not there: overlay's whiteout in an upper dir
                out.append((os.path.relpath(path, root), "listed-only", 0, "", 0, ""))
                continue
            kind = "l" if os.path.islink(path) else "d" if os.path.isdir(path) else "f"
            link = os.readlink(path) if kind == "l" else ""
            size = st.st_size if kind == "f" else 0
            owner = f"{st.st_uid}:{st.st_gid}"
            out.append((os.path.relpath(path, root), kind, st.st_mode, owner, size, link))
    return out


def umoci_view(suite: str, case: str) -> View:
    """`umoci raw unpack` of the image, made once."""
    dest = VIEWS / suite / case
    failed = dest.with_suffix(".error")
    if failed.is_file():
        return View("umoci", None, failed.read_text())
    if not dest.is_dir():
        layout_dir = image(suite, case)
        partial = dest.with_suffix(".partial")
        subprocess.run(["rm", "-rf", "--one-file-system", str(partial)], check=True)
        partial.parent.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            ["umoci", "raw", "unpack", "--image", f"{layout_dir}:{case}", str(partial)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            failed.write_text(done.stderr.strip()[-2000:])
            return View("umoci", None, failed.read_text())
        partial.rename(dest)
        share_files(suite, dest)
    return View("umoci", dest)


def share_files(suite: str, dest: Path) -> None:
    """Files of a view equal to the intact image's (content, mode, owner, mtime) become hard
    links to them: views are only ever read (through an overlay), and each would otherwise
    hold its own few hundred MB of the same root file system."""
    intact = umoci_view(suite, "intact").root
    if intact is not None and intact != dest and shutil.which("hardlink"):
        subprocess.run(["hardlink", "--quiet", str(intact), str(dest)], check=False)


def storage_name(suite: str, case: str) -> str:
    return f"localhost/oracle-{suite}:{case}"


def image_key(suite: str, case: str) -> str:
    """The digest of the case's image manifest: what the storage's notes are kept under."""
    index = json.loads((image(suite, case) / "index.json").read_text())
    return str(index["manifests"][0]["digest"]).partition(":")[2]


def notes(suite: str, case: str, runtime: str) -> tuple[Path, Path]:
    """Where a runtime's refusal and its view's listing digest are kept."""
    if runtime == "umoci":
        base = VIEWS / suite / case
        return base.with_suffix(".error"), base.with_suffix(".digest")
    kept = STORAGE / runtime / "notes" / image_key(suite, case)
    return kept.with_suffix(".error"), kept.with_suffix(".digest")


def remembered(suite: str, case: str, runtime: str) -> tuple[str | None, str | None]:
    """(the listing digest of the runtime's view, why it refuses the image), as far as known
    without mounting anything: a view never changes once made."""
    failed, digest = notes(suite, case, runtime)
    return (
        digest.read_text() if digest.is_file() else None,
        failed.read_text() if failed.is_file() else None,
    )


@contextlib.contextmanager
def storage_view(suite: str, case: str, driver: str) -> Iterator[View]:
    """The image copied into containers-storage (`driver`) by skopeo, mounted by podman.

    Removed from the storage afterwards: what the view showed is kept (its listing
    digest, the interpreters' answers), and the vfs driver holds a full copy of the
    file system per layer, gigabytes over the cases. Copied in again if asked again.
    """
    name = storage_name(suite, case)
    failed, _ = notes(suite, case, driver)
    if failed.is_file():
        yield View(driver, None, failed.read_text())
        return
    with locked(f"storage-{driver}-{suite}-{case}"):
        layout_dir = image(suite, case)
        failed.parent.mkdir(parents=True, exist_ok=True)
        root, runroot = STORAGE / driver / "root", STORAGE / driver / "run"
        copied = subprocess.run(
            [
                *("skopeo", "copy", "--quiet", f"oci:{layout_dir}:{case}"),
                f"containers-storage:[{driver}@{root}+{runroot}]{name}",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if copied.returncode != 0:
            failed.write_text(copied.stderr.strip()[-2000:])
            yield View(driver, None, failed.read_text())
            return
        try:
            mounted = podman(driver, "image", "mount", name)
            assert mounted.returncode == 0, f"podman image mount {name}: {mounted.stderr}"
            yield View(driver, Path(mounted.stdout.strip()))
        finally:
            podman(driver, "image", "unmount", "--force", name)
            removed = podman(driver, "image", "rm", "--force", name)
            assert removed.returncode == 0, f"podman image rm {name} ({driver}): {removed.stderr}"


@contextlib.contextmanager
def view(suite: str, case: str, runtime: str) -> Iterator[View]:
    """The image's file system as `runtime` makes it, mounted while the block runs."""
    if runtime == "umoci":
        yield umoci_view(suite, case)
    else:
        with storage_view(suite, case, runtime) as mounted:
            yield mounted


def digest_of(suite: str, case: str, made: View) -> str:
    """`listing_digest` of a view, computed once and kept."""
    assert made.root is not None
    _, kept = notes(suite, case, made.runtime)
    if not kept.is_file():
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept.write_text(listing_digest(made.root))
    return kept.read_text()


def differences(listings: dict[str, list[Entry]], most: int = 6) -> list[str]:
    """The top-most paths where the runtimes' file systems differ, and how."""
    if len(listings) < 2:
        return []
    tables = {runtime: {e[0]: e[1:] for e in entries} for runtime, entries in listings.items()}
    every = sorted(set().union(*tables.values()))
    out: list[str] = []
    last = "\0"
    for path in every:
        if path == last or path.startswith(last + "/"):
            continue  # beneath a path already named
        seen = {runtime: table.get(path) for runtime, table in tables.items()}
        if len({repr(v) for v in seen.values()}) == 1:
            continue
        last = path
        how = "; ".join(f"{runtime}: {_entry(v)}" for runtime, v in seen.items())
        out.append(f"{path} ({how})")
        if len(out) == most:
            break
    return out


def _entry(value: tuple[str, int, str, int, str] | None) -> str:
    if value is None:
        return "absent"
    kind, mode, owner, size, link = value
    names = {"d": "directory", "f": "file", "l": f"symlink to {link}"}
    return f"{names.get(kind, kind)} {mode:o} {owner}" + (f" {size} bytes" if kind == "f" else "")
