"""Every Python that Debian builds: the binary packages of each suite's Python source builds.

`python -m tests.corpus` fetches, for every suite the archive serves
(bullseye, bookworm, trixie, forky, sid), every binary package of the current
build of each `python3.X` source the suite carries, of `pypy3` and of
`python3-defaults`, for amd64 (and the `Architecture: all` ones); trixie's
builds also for arm64 and i386. They are fetched with `apt-get download`
through a private sources list and private apt state under build/apt-builds,
so the machine's own apt configuration is never read or changed, into

    build/debs/suites/SUITE/SOURCE/ARCH/NAME_VERSION_ARCH.deb   ARCH: amd64, arm64, i386, all
    build/debs/suites/manifest.json                             what was fetched, from where

Fetched once, by the first test that needs it (`fetched()`; test processes side by
side wait on one lock), or by hand: with the manifest in place nothing is fetched
again (remove the folder to fetch the archive's current builds). "The current
build" of a source is the source version whose binaries the suite's Packages
index lists (sid may still list an older version's Sources stanza beside the new
one).

Without the network the tests that need the corpus skip; in CI (`CI` or
`MARKER_TOOL_REQUIRE_ALL` set) a failed download fails the run.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "build" / "debs" / "suites"
MANIFEST = CORPUS / "manifest.json"
APT = REPO / "build" / "apt-builds"
MIRROR = "http://deb.debian.org/debian"
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
SUITES = ("bullseye", "bookworm", "trixie", "forky", "sid")
NATIVE = "amd64"
#: Suites whose builds are also fetched for other architectures (Multi-Arch: same).
FOREIGN = {"trixie": ("arm64", "i386")}
#: The source packages that build a Python: every `python3.X`, PyPy, and the defaults.
PYTHON_SOURCE = re.compile(r"python3\.\d+|pypy3|python3-defaults")


@dataclass(frozen=True)
class Binary:
    """One binary package of a source build, as the archive's Packages index lists it."""

    suite: str
    source: str
    #: The source version of the build (a binNMU's binary version differs).
    source_version: str
    name: str
    version: str
    #: `amd64`, `arm64`, `i386` or `all`.
    arch: str
    multi_arch: str
    size: int
    sha256: str

    @property
    def file(self) -> str:
        """Where it is kept, relative to CORPUS (apt-get download's file name)."""
        version = self.version.replace(":", "%3a")
        return f"{self.suite}/{self.source}/{self.arch}/{self.name}_{version}_{self.arch}.deb"


def apt_options() -> list[str]:
    """apt's options for the private state: nothing of the machine's configuration is read."""
    return [
        "-o",
        f"Dir::Etc::SourceList={APT / 'sources.list'}",
        "-o",
        "Dir::Etc::SourceParts=/dev/null",
        "-o",
        "Dir::Etc::Preferences=/dev/null",
        "-o",
        "Dir::Etc::PreferencesParts=/dev/null",
        "-o",
        f"Dir::State::Lists={APT / 'lists'}",
        "-o",
        f"Dir::Cache={APT / 'cache'}",
        "-o",
        "Dir::State::status=/dev/null",
        "-o",
        "Debug::NoLocking=1",
        "-o",
        "APT::Sandbox::User=root",
        "-o",
        f"APT::Architecture={NATIVE}",
        "-o",
        f"APT::Architectures={','.join(sorted({NATIVE, *sum(FOREIGN.values(), ())}))}",
        # sid's and forky's Release files may be served past their Valid-Until.
        "-o",
        "Acquire::Check-Valid-Until=false",
        "-o",
        "Acquire::Languages=none",
        "-qq",
    ]


def sources_list() -> str:
    lines = []
    for suite in SUITES:
        arches = ",".join((NATIVE, *FOREIGN.get(suite, ())))
        lines.append(f"deb [arch={arches} signed-by={KEYRING}] {MIRROR} {suite} main")
    return "\n".join(lines) + "\n"


def paragraphs(text: str) -> Iterator[dict[str, str]]:
    """The stanzas of a Packages index (single-line fields are all that is read)."""
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            if line and not line[0].isspace():
                key, _, value = line.partition(":")
                fields[key] = value.strip()
        if "Package" in fields:
            yield fields


def indexes() -> Iterator[tuple[str, str, str]]:
    """(suite, architecture, text) of every Packages index apt fetched."""
    listed = subprocess.run(
        [
            "apt-get",
            *apt_options(),
            "indextargets",
            "--format",
            "$(RELEASE) $(ARCHITECTURE) $(FILENAME)",
            "Identifier: Packages",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for line in listed.splitlines():
        suite, arch, filename = line.split(" ", 2)
        text = subprocess.run(
            ["/usr/lib/apt/apt-helper", "cat-file", filename],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        yield suite, arch, text


def builds(suite: str, arch: str, text: str) -> list[Binary]:
    """The binaries of the current build of each Python source in one Packages index."""
    from debian_inspector.version import Version

    found: dict[str, dict[str, list[Binary]]] = {}
    for fields in paragraphs(text):
        source, _, version = fields.get("Source", fields["Package"]).partition(" ")
        if not PYTHON_SOURCE.fullmatch(source):
            continue
        source_version = version.strip("()") or fields["Version"]
        found.setdefault(source, {}).setdefault(source_version, []).append(
            Binary(
                suite,
                source,
                source_version,
                fields["Package"],
                fields["Version"],
                fields["Architecture"],
                fields.get("Multi-Arch", "no"),
                int(fields["Size"]),
                fields["SHA256"],
            )
        )
    chosen: list[Binary] = []
    for versions in found.values():
        newest = max(versions, key=Version.from_string)
        chosen += [b for b in versions[newest] if arch in (b.arch, NATIVE)]
    return chosen


def fail(message: str) -> None:
    print(f"tests.corpus: {message}", file=sys.stderr)
    # On a developer's machine without the network the tests that need the corpus
    # skip; in CI they fail, so a missing download is never silent there.
    sys.exit(1 if os.environ.get("CI") or os.environ.get("MARKER_TOOL_REQUIRE_ALL") else 0)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def fetch() -> None:
    if MANIFEST.is_file():
        return
    for directory in (APT / "lists" / "partial", APT / "cache" / "archives" / "partial"):
        directory.mkdir(parents=True, exist_ok=True)
    (APT / "sources.list").write_text(sources_list())
    updated = subprocess.run(["apt-get", *apt_options(), "update"], check=False)
    if updated.returncode != 0:
        fail("apt-get update failed (no network?)")
    binaries = [b for suite, arch, text in indexes() for b in builds(suite, arch, text)]
    for suite in SUITES:
        if not any(b.suite == suite for b in binaries):
            fail(f"no Python source build in {suite}")
    by_dir: dict[Path, list[Binary]] = {}
    for binary in binaries:
        by_dir.setdefault((CORPUS / binary.file).parent, []).append(binary)
    for directory, group in sorted(by_dir.items()):
        wanted = [b for b in group if not (CORPUS / b.file).is_file()]
        if not wanted:
            continue
        directory.mkdir(parents=True, exist_ok=True)
        print(f"tests.corpus: {directory.relative_to(REPO)}: {len(wanted)} packages")
        names = [f"{b.name}:{b.arch}={b.version}" for b in wanted]
        got = subprocess.run(
            ["apt-get", *apt_options(), "download", *names], cwd=directory, check=False
        )
        if got.returncode != 0:
            fail(f"could not download {', '.join(names)}")
    for binary in binaries:
        path = CORPUS / binary.file
        if not path.is_file() or sha256(path) != binary.sha256:
            fail(f"{path} is missing or is not what the archive's index says")
    manifest = {
        "mirror": MIRROR,
        "binaries": [binary.__dict__ for binary in sorted(binaries, key=lambda b: b.file)],
    }
    partial = MANIFEST.with_suffix(".partial")
    partial.write_text(json.dumps(manifest, indent=1) + "\n")
    partial.rename(MANIFEST)


def corpus() -> list[Binary] | None:
    """What `fetch` fetched (None when it has not run)."""
    if not MANIFEST.is_file():
        return None
    return [Binary(**fields) for fields in json.loads(MANIFEST.read_text())["binaries"]]


def fetched() -> list[Binary] | None:
    """The corpus, fetched first when missing (None when that failed: it says why).

    `python -m tests.corpus` in a process of its own, under a lock, so test
    processes side by side fetch it once.
    """
    if MANIFEST.is_file():
        return corpus()
    CORPUS.mkdir(parents=True, exist_ok=True)
    with open(CORPUS.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not MANIFEST.is_file():
            subprocess.run([sys.executable, "-m", "tests.corpus"], cwd=REPO, check=False)
    return corpus()


if __name__ == "__main__":
    fetch()
