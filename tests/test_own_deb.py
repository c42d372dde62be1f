"""debian/: marker-tool's own Debian source package, built as a Debian builder builds it.

For each suite (bookworm, trixie, sid) the source package is made from an orig
tarball of the checkout's files and debian/, in a clean mmdebstrap system
(tests/chroots.py): `apt-get build-dep`, then `dpkg-buildpackage -us -uc` as an
unprivileged user, which applies debian/patches, runs the test suite (tests
marked `real` deselected), and writes the man pages and shell completion. The
results are cached under build/deb/ by the content of what went in (the
tarball, debian/, the system), so the other tests reuse one build per suite.

On the results: the binary packages hold what they should, with the
dependencies Debian has; autopkgtest passes debian/tests in a clean system of
the same suite; lintian --pedantic on sid finds nothing but what only the
first upload can settle; the library runs under Debian's python3 with
Debian's libraries, with the same output as the development install.
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
import sys
import tarfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click
import pytest

from marker_tool.cli import cli
from tests.chroots import Spec, base, throwaway
from tests.packages import tool
from tests.realprograms import REPO

DEBIAN = REPO / "debian"
OUT = REPO / "build" / "deb"
SUITES = ("bookworm", "trixie", "sid")
#: What a builder's system has besides the Build-Depends, and what the tests use there.
TOOLS = ("build-essential", "man-db", "bash-completion", "python3-pip", "lintian", "apt-utils")
#: The Debian package's tags that only the first upload can settle: the changelog closes
#: the ITP bug that the upload's sponsor files (debian/README.source).
FIRST_UPLOAD = {"initial-upload-closes-no-bugs"}


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


def checkout_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return sorted(name for name in listed if (REPO / name).is_file())


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


@pytest.fixture(scope="module", params=SUITES)
def built(request: pytest.FixtureRequest) -> Built:
    """The build that runs the test suite."""
    suite: str = request.param
    return build_source_package(suite)


@pytest.fixture(scope="module", params=SUITES)
def packages(request: pytest.FixtureRequest) -> Built:
    """The packages alone: what they hold and how they install does not hang on the build's
    own test run, which `built` asserts."""
    suite: str = request.param
    return build_source_package(suite, tests=False)


@pytest.mark.real  # dpkg-buildpackage in a chroot
def test_the_build_applies_the_patches_and_runs_the_tests(built: Built) -> None:
    log = built.log
    print(f"\n{built.suite}: {json.dumps({k: round(v) for k, v in built.timings.items()})} s")
    for patch in (DEBIAN / "patches" / "series").read_text().split():
        assert f"applying {patch}" in log, patch
    assert " passed" in log
    assert " deselected" in log
    assert " failed" not in log
    assert "dpkg-source: info: building marker-tool using existing" in log
    # The installed metadata names what Debian has, so dh_python3 depends on it.
    fields = deb_fields(built.deb("python3-marker-tool"), "Depends")
    for package in ("python3-click", "python3-jinja2", "python3-babel", "python3-debian"):
        assert package in fields
    assert "python3-zstandard" in fields
    assert "inspector" not in fields  # not in Debian


def deb_fields(deb: Path, *names: str) -> str:
    return subprocess.run(
        [tool("dpkg-deb"), "-f", str(deb), *names], capture_output=True, text=True, check=True
    ).stdout


def contents(deb: Path) -> list[str]:
    listing = subprocess.run(
        [tool("dpkg-deb"), "-c", str(deb)], capture_output=True, text=True, check=True
    ).stdout
    return [line.split()[5].removeprefix(".") for line in listing.splitlines()]


def command_names(group: click.Group, prefix: str) -> list[str]:
    ctx = click.Context(group, info_name=prefix)
    names = [prefix]
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            names += command_names(command, f"{prefix}-{name}")
        else:
            names.append(f"{prefix}-{name}")
    return names


@pytest.mark.real  # dpkg-buildpackage in a chroot
def test_the_command_and_the_library_are_two_packages(packages: Built) -> None:
    built = packages
    files = contents(built.deb("marker-tool"))
    for name in [*command_names(cli, "marker-tool"), "dh_externally_managed"]:
        assert f"/usr/share/man/man1/{name}.1.gz" in files, name
    assert "/usr/share/man/man7/marker-tool-rules.7.gz" in files
    assert "/usr/bin/marker-tool" in files
    assert "/usr/share/bash-completion/completions/marker-tool" in files
    assert "/usr/share/zsh/vendor-completions/_marker-tool" in files
    assert "/usr/bin/dh_externally_managed" in files
    assert "/usr/share/perl5/Debian/Debhelper/Sequence/externally_managed.pm" in files
    assert "/usr/share/debhelper/autoscripts/preinst-externally-managed-divert" in files
    assert not [f for f in files if "/dist-packages/" in f]
    library = contents(built.deb("python3-marker-tool"))
    assert "/usr/lib/python3/dist-packages/marker_tool/__init__.py" in library
    assert "/usr/lib/python3/dist-packages/marker_tool/templates/message.txt.j2" in library
    assert not [f for f in library if f.startswith("/usr/bin/")]
    fields = deb_fields(built.deb("marker-tool"), "Depends", "Provides", "Multi-Arch")
    assert "python3-marker-tool (= " in fields
    assert "Provides: dh-sequence-externally-managed" in fields
    assert "Multi-Arch: foreign" in fields  # cross builds use the native package


def autopkgtest(built: Built) -> subprocess.CompletedProcess[str]:
    """autopkgtest on the built packages and the .dsc, in a clean system of the same suite."""
    with throwaway(base(system(built.suite))) as box:
        return subprocess.run(
            [
                tool("autopkgtest"),
                *map(str, built.debs),
                str(built.dsc),
                "--",
                "chroot",
                str(box.root),
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=1800,
        )


@pytest.mark.real  # autopkgtest
def test_autopkgtest_passes(packages: Built) -> None:
    built = packages
    start = time.monotonic()
    result = built.run_once("autopkgtest", lambda: autopkgtest(built))
    print(f"\n{built.suite}: autopkgtest {time.monotonic() - start:.0f} s")
    summary = result.stdout.split("@@@@@@@@@@@@@@@@@@@@ summary")[-1]
    assert result.returncode == 0, summary + result.stderr[-4000:]
    tests = field(DEBIAN / "tests" / "control", "Tests")
    assert tests
    for test in tests:
        assert f"{test:<20} PASS" in summary, (test, summary)


@pytest.mark.real  # lintian in a sid chroot
def test_lintian_pedantic_on_sid() -> None:
    """Source and binary packages, as a sponsor runs lintian: every tag shown."""
    built = build_source_package("sid", tests=False)

    def lintian() -> subprocess.CompletedProcess[str]:
        with throwaway(base(system("sid"))) as box:
            shutil.copytree(built.directory, box.path("/srv/upload"))
            return box.run(
                "lintian --version && lintian --display-info --pedantic --tag-display-limit 0 "
                f"/srv/upload/{built.changes.name}",
                check=False,
            )

    result = built.run_once("lintian", lintian)
    lines = result.stdout.splitlines()
    print("\n" + "\n".join(lines))
    tags = [line for line in lines[1:] if line[:2] in {"E:", "W:", "I:", "P:", "X:", "O:"}]
    unexpected = [line for line in tags if line.split()[2] not in FIRST_UPLOAD]
    assert not unexpected, result.stdout + result.stderr
    assert result.returncode == 0, result.stderr


@pytest.mark.real  # Debian's python3 in a chroot
def test_it_runs_under_debians_python_with_debians_libraries(tmp_path: Path) -> None:
    """The bookworm build, unpacked, under the host's /usr/bin/python3 (Debian 12's)."""
    built = build_source_package("bookworm", tests=False)
    root = tmp_path / "root"
    for deb in built.debs:
        subprocess.run([tool("dpkg-deb"), "-x", str(deb), str(root)], check=True)
    env = {
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        "LC_ALL": "C.UTF-8",
        "HOME": str(tmp_path),
        "PYTHONPATH": str(root / "usr/lib/python3/dist-packages"),
    }
    if os.path.exists("/usr/lib/python3/dist-packages/debian_inspector"):
        pytest.fail("debian-inspector is installed system-wide; this test needs it absent")
    development = Path(sys.executable).parent / "marker-tool"
    for args in (
        ["render", "--preset", "debian", "--python", "3.11", "--locale", "de"],
        # python3-debian reads the control paragraph: the same report as debian-inspector's
        ["check", "--format", "json", str(built.deb("marker-tool"))],
    ):
        theirs = subprocess.run(
            ["/usr/bin/python3", "-m", "marker_tool", *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        ours = subprocess.run(
            [str(development), *args], capture_output=True, text=True, check=False
        )
        assert "Traceback" not in theirs.stderr
        assert (theirs.returncode, theirs.stdout) == (ours.returncode, ours.stdout), theirs.stderr


def test_man_page_examples_are_commands_the_cli_accepts() -> None:
    """Every EXAMPLES line of the man pages parses with the CLI's own options."""
    import importlib.machinery
    import importlib.util
    import shlex

    loader = importlib.machinery.SourceFileLoader("make_manpages", str(DEBIAN / "make-manpages"))
    spec = importlib.util.spec_from_loader("make_manpages", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    count = 0
    for _, line in (item for items in module.EXAMPLES.values() for item in items):
        for part in line.split("&&"):
            words = shlex.split(part.split(">")[0])
            assert words[0] == "marker-tool", line
            command: click.Command = cli
            name = "marker-tool"
            words = words[1:]
            while isinstance(command, click.Group):
                name = words.pop(0)
                found = command.get_command(click.Context(command), name)
                assert found is not None, line
                command = found
            command.make_context(name, words)  # raises on an unknown option or argument
            count += 1
    assert count >= len(command_names(cli, "marker-tool")) - 6
    for command_name in command_names(cli, "marker-tool")[1:]:
        parts = command_name.split("-")[2:]
        command = cli
        for part in parts:
            assert isinstance(command, click.Group)
            found = command.get_command(click.Context(command), part)
            assert found is not None
            command = found
        sentence = module.whatis(command)
        # A whole sentence: brackets closed, not cut at "e.g.".
        assert sentence.count("(") == sentence.count(")"), (command_name, sentence)
        assert not sentence.endswith(("e.g", "i.e")), (command_name, sentence)
