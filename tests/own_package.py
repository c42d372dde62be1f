"""marker-tool's own Debian source package, built as a Debian builder builds it.

For each suite the source package is made from an orig tarball of the
checkout's files and debian/, in a clean mmdebstrap system (tests/chroots.py):
`apt-get build-dep`, then `dpkg-buildpackage -us -uc` as an unprivileged user.
The results are cached under build/deb/ by the content of what went in (the
tarball, debian/, the system), so every test that needs them (test_own_deb,
test_debian_chroot; test_own_rpm's release tarball) shares one build per suite.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.chroots import Spec, base, throwaway
from tests.realprograms import REPO, checkout_files

DEBIAN = REPO / "debian"
OUT = REPO / "build" / "deb"
SUITES = ("bookworm", "trixie", "sid")
#: What a builder's system has besides the Build-Depends, and what the tests use there.
TOOLS = ("build-essential", "man-db", "bash-completion", "python3-pip", "lintian", "apt-utils")


def field(path: Path, name: str) -> list[str]:
    """The package names in field `name` of every paragraph of the control file `path`.

    Build profiles and architecture restrictions are ignored: a builder's system
    installs them all; `@` and `@builddeps@` (autopkgtest's) are left out.
    """
    from debian.deb822 import Deb822, PkgRelation

    names: list[str] = []
    for paragraph in Deb822.iter_paragraphs(path.read_text(encoding="utf-8")):
        value = ", ".join(
            part.strip() for part in paragraph.get(name, "").split(",") if part.strip()
        )
        if name == "Tests":
            names += value.split()
            continue
        relations = PkgRelation.parse_relations(value) if value else []
        names += [option["name"] for group in relations for option in group]
    return [name for name in names if not name.startswith("@")]


def system(suite: str) -> Spec:
    """A clean `suite` system with marker-tool's Build-Depends and its tests' Depends."""
    include = {
        *field(DEBIAN / "control", "Build-Depends"),
        *field(DEBIAN / "tests" / "control", "Depends"),
        *TOOLS,
    }
    include.discard("python3-marker-tool")  # built here
    # arm64's package lists too: a stdlib package's cross build must resolve there.
    return Spec(suite, include=tuple(sorted(include)), architectures=("amd64", "arm64"))


def changelog() -> tuple[str, str]:
    """(source, version) of debian/changelog's first entry."""
    head = (DEBIAN / "changelog").read_text(encoding="utf-8").split("\n", 1)[0]
    source, version = head.split()[:2]
    return source, version.strip("()")


def orig_tarball(dest: Path) -> Path:
    """`SOURCE_UPSTREAM.orig.tar.gz` of the checkout's files, as `git archive` makes it.

    The same bytes for the same files (sorted members, root owner, fixed times), so
    builds are cached by their content. debian/ is in it, as in upstream's release
    tarball; dpkg-source replaces it with the packaging's.
    """
    source, version = changelog()
    upstream = version.rsplit("-", 1)[0]
    prefix = f"{source}-{upstream}"
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in checkout_files():
            info = tar.gettarinfo(str(REPO / name), f"{prefix}/{name}")
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            info.mtime = 1700000000
            info.mode = 0o755 if info.mode & 0o100 else 0o644
            with (REPO / name).open("rb") as f:
                tar.addfile(info, f)
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / f"{source}_{upstream}.orig.tar.gz"
    # Written aside and renamed: test processes side by side may read it meanwhile.
    partial = dest / f".{path.name}.{os.getpid()}"
    with (
        partial.open("wb") as out,
        gzip.GzipFile(filename="", fileobj=out, mode="wb", mtime=0) as gz,  # no name in it
    ):
        gz.write(raw.getvalue())
    partial.replace(path)
    return path


@dataclass(frozen=True)
class Built:
    """One suite's build of the source package: what dpkg-buildpackage wrote."""

    suite: str
    directory: Path
    #: Seconds: apt-get build-dep, dpkg-buildpackage.
    timings: dict[str, float]

    def deb(self, package: str) -> Path:
        [found] = self.directory.glob(f"{package}_*_all.deb")
        return found

    @property
    def debs(self) -> list[Path]:
        return sorted(self.directory.glob("*.deb"))

    @property
    def dsc(self) -> Path:
        [found] = self.directory.glob("*.dsc")
        return found

    @property
    def changes(self) -> Path:
        [found] = self.directory.glob("*.changes")
        return found

    @property
    def log(self) -> str:
        return (self.directory / "build.log").read_text(encoding="utf-8")

    def run_once(
        self, name: str, run: Callable[[], subprocess.CompletedProcess[str]]
    ) -> subprocess.CompletedProcess[str]:
        """`run()`, or what it gave for these same packages in a clean system before.

        The build directory is named by every input (the checkout's files, debian/,
        the system), so a run that succeeded on it is kept there and stands for the
        same run again; one that failed is run again.
        """
        kept = self.directory / f"{name}.json"
        if kept.is_file():
            stdout, stderr = json.loads(kept.read_text(encoding="utf-8"))
            return subprocess.CompletedProcess([name], 0, stdout, stderr)
        result = run()
        if result.returncode == 0:
            kept.write_text(json.dumps([result.stdout, result.stderr]), encoding="utf-8")
        return result


def inputs_key(orig: Path, spec: Spec) -> str:
    digest = hashlib.sha256(orig.read_bytes())
    for path in sorted(p for p in DEBIAN.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    digest.update(spec.name.encode())
    return digest.hexdigest()[:16]


def build_source_package(suite: str, *, tests: bool = True) -> Built:
    """marker-tool's packages built in a clean `suite` system, or the cached build.

    `tests=False` builds them without running the test suite (the nocheck build
    option and profile), as a builder who wants the packages alone does.
    """
    spec = system(suite)
    scratch = OUT / "orig"
    orig = orig_tarball(scratch)
    key = inputs_key(orig, spec)
    name = suite if tests else f"{suite}-nocheck"
    done = OUT / f"{name}-{key}"
    with open(OUT / f"{name}-{key}.lock", "w") as lock:
        # Test processes side by side build each once.
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (done / "timings.json").is_file():
            build_into(done, suite, spec, orig, tests=tests)
    return Built(suite, done, json.loads((done / "timings.json").read_text()))


def build_into(done: Path, suite: str, spec: Spec, orig: Path, *, tests: bool) -> None:
    """Build the source package from `orig` and debian/ in a throwaway `spec` system."""
    root = base(spec)
    source, version = changelog()
    tree = f"/build/{source}-{version.rsplit('-', 1)[0]}"
    timings: dict[str, float] = {}
    with throwaway(root) as box:
        # An unprivileged builder, as on Debian's build daemons (no useradd in sid's apt
        # variant: the entries are written as it would).
        box.run(
            "echo 'builder:x:1000:1000::/home/builder:/bin/sh' >> /etc/passwd"
            " && echo 'builder:x:1000:' >> /etc/group"
            " && mkdir -p /home/builder /build && chown builder: /home/builder"
        )
        shutil.copy(orig, box.path("/build"))
        box.run(f"cd /build && tar -xf {orig.name} && rm -rf {tree}/debian")
        shutil.copytree(DEBIAN, box.path(f"{tree}/debian"), symlinks=True)
        box.run("chown -R builder: /build")
        start = time.monotonic()
        deps = box.run(f"apt-get build-dep --yes --no-install-recommends {tree}")
        timings["build-dep"] = time.monotonic() - start
        # Everything the build needs was in the system already (made from the same
        # Build-Depends); a new one would be downloaded on every run.
        assert " 0 newly installed" in deps.stdout, deps.stdout
        start = time.monotonic()
        nocheck = {} if tests else {"DEB_BUILD_OPTIONS": "nocheck", "DEB_BUILD_PROFILES": "nocheck"}
        built = box.run(
            f"cd {tree} && runuser -u builder -- dpkg-buildpackage -us -uc 2>&1",
            env={"HOME": "/home/builder", **nocheck},
            check=False,
            timeout=1800,
        )
        timings["dpkg-buildpackage"] = time.monotonic() - start
        log = built.stdout
        assert built.returncode == 0, f"dpkg-buildpackage on {suite} failed:\n{log[-6000:]}"
        partial = done.with_name(done.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        for made in box.path("/build").iterdir():
            if made.is_file():
                shutil.copy(made, partial / made.name)
        (partial / "build.log").write_text(log, encoding="utf-8")
        (partial / "timings.json").write_text(json.dumps(timings))
    shutil.rmtree(done, ignore_errors=True)
    partial.rename(done)
