"""`check` on real container images and root filesystems, each verdict confirmed by the real pip.

The images come from tests/build-images (mmdebstrap, umoci, skopeo, podman,
buildah; cached in build/images). Every case is a Debian bookworm system with
python3 (3.11) and its marker, changed by later layers. Before a verdict is
asserted, the image's final file system is unpacked here, by skopeo and umoci
(or tar for a flat tarball), independently of marker-tool's readers, and the
real pip is run inside it with chroot: "managed" is what pip says there, and
check's EM601 for usr/lib/python3.11 must agree with it.

Runs as root (chroot). In CI (`CI` or `MARKER_TOOL_REQUIRE_ALL` set) a missing
tool fails the test instead of skipping it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from marker_tool.check import PackageReport, check
from marker_tool.cli import cli
from tests import image_corpus
from tests.realprograms import content_key, note_program, pip_path

pytestmark = pytest.mark.real

REPO = Path(__file__).resolve().parent.parent
TOOLS = image_corpus.TOOLS
STDLIB = "usr/lib/python3.11"
MARKER = f"{STDLIB}/EXTERNALLY-MANAGED"
#: What pip prints when it refuses to install into a managed environment.
REFUSED = "externally-managed-environment"
#: What pip prints when it looked for the (absent) package: the environment is not managed.
LOOKED = "No matching distribution found for nothing-xyz"


# -- the corpus ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def built_images() -> Path:
    """build/images, built (or found complete) by tests/build-images."""
    return image_corpus.built()


@pytest.fixture
def images(built_images: Path) -> Path:
    """build/images, for a test that reads what umoci, skopeo and buildah made."""
    note_program("umoci, skopeo and buildah (tests/build-images)")
    return built_images


# -- the real pip inside an image -----------------------------------------------------------


@dataclass(frozen=True)
class PipSays:
    """What the real pip said inside an unpacked image."""

    managed: bool
    output: str


def run_pip(root: Path) -> PipSays:
    """`python3 -m pip install --dry-run --no-index nothing-xyz` inside `root`, with chroot."""
    target = root / "tmp" / "pip"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(pip_path(), target, symlinks=True)
    env = [
        "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME=/root",
        "LC_ALL=C.UTF-8",
        "NO_COLOR=1",
        "PIP_CONFIG_FILE=/dev/null",
        "PIP_DISABLE_PIP_VERSION_CHECK=1",
        "PIP_NO_INPUT=1",
        "PYTHONPATH=/tmp/pip",
    ]
    command = ["python3", "-m", "pip", "install", "--dry-run", "--no-index", "nothing-xyz"]
    ran = subprocess.run(
        ["chroot", str(root), "/usr/bin/env", "-i", *env, *command],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = ran.stdout + ran.stderr
    if REFUSED in output:
        return PipSays(True, output)
    if LOOKED in output:
        return PipSays(False, output)
    raise AssertionError(f"pip in {root} said neither managed nor not managed:\n{output}")


def image_reference(images: Path, source: str) -> tuple[str, str | None]:
    """The containers-image reference of an image SOURCE (see `pip_in`), and its architecture."""
    kind, _, what = source.partition(":")
    if kind == "multi":
        return f"docker-archive:{images}/multi.tar:localhost/marker-test:{what}", None
    if kind == "multiarch":
        return f"oci:{images}/multiarch.oci:latest", what
    if kind == "attest":
        return f"oci:{images}/attest.oci:latest", "amd64"
    if kind == "docker-dir":
        return f"dir:{images}/docker-dir", None
    return f"oci:{images}/{kind}.oci:{kind}", None


def skopeo(*args: str, arch: str | None = None) -> str:
    command = ["skopeo", *args[:1]]
    if arch is not None:
        command += ["--override-arch", arch, "--override-os", "linux"]
    return subprocess.run([*command, *args[1:]], check=True, capture_output=True, text=True).stdout


def layers_of(reference: str, arch: str | None) -> tuple[str, ...]:
    """The image's layer diff IDs (from its config): equal IDs, equal file systems."""
    config = json.loads(skopeo("inspect", "--config", reference, arch=arch))
    return tuple(config["rootfs"]["diff_ids"])


def unpack_image(reference: str, dest: Path, *, arch: str | None = None) -> Path:
    """The final file system of the image at `reference` (a containers-image reference).

    umoci unpacks it, whiteouts and all, from an OCI layout: the image's own, or
    the one skopeo copies it to (choosing `arch` from an index).
    """
    if reference.startswith("oci:") and arch is None:
        image = reference.removeprefix("oci:")
    else:
        image = f"{dest / 'layout'}:image"
        skopeo("copy", "--quiet", reference, f"oci:{image}", arch=arch)
    root = dest / "rootfs"
    subprocess.run(
        ["umoci", "raw", "unpack", "--rootless", "--image", image, str(root)],
        check=True,
        capture_output=True,
    )
    return root


def unpack_tarball(tarball: Path, dest: Path) -> Path:
    """A flat root filesystem tarball, extracted by tar (device nodes left out)."""
    root = dest / "rootfs"
    root.mkdir()
    subprocess.run(
        [
            "tar",
            "--extract",
            "--file",
            str(tarball),
            "--numeric-owner",
            "--exclude=./dev/*",
            "--exclude=dev/*",
            "-C",
            str(root),
        ],
        check=True,
        capture_output=True,
    )
    return root


PipFor = Callable[[str], PipSays]


#: What the real pip said inside each image, kept between runs by `images_state`.
ANSWERS = REPO / "build" / "images-pip"


def images_state(images: Path) -> str:
    """A digest of all a kept answer depends on besides its image's name: every file of
    the image corpus (each written once by tests/build-images: by name, size and time),
    the pip that runs, the tools that unpack, and this module (how pip is asked)."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    stated = [pip_path() / "pip" / "__init__.py"]
    stated += [Path(p) for tool in TOOLS if (p := shutil.which(tool))]
    # .built: the stamp tests/build-images touches on every run, even when it makes nothing.
    stated += sorted(p for p in images.rglob("*") if p.is_file() and p.name != ".built")
    for path in stated:
        info = path.stat()
        digest.update(f"{path}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()


@pytest.fixture(scope="session")
def pip_in(built_images: Path, tmp_path_factory: pytest.TempPathFactory) -> PipFor:
    """`pip_in(SOURCE)`: what the real pip says inside that image, unpacked once per session.

    SOURCE: `CASE` (the case's OCI layout), `multi:TAG`, `multiarch:ARCH`,
    `attest`, `docker-dir`, or a flat tarball's file name.
    """
    said: dict[str, PipSays] = {}
    by_layers: dict[tuple[str, ...], PipSays] = {}
    state = images_state(built_images)

    def pip_for(source: str) -> PipSays:
        if source in said:
            return said[source]
        kept = ANSWERS / f"{content_key(source.encode(), state.encode())}.json"
        if kept.is_file():
            note_program("pip inside the image (its kept answer)")
            said[source] = PipSays(**json.loads(kept.read_text(encoding="utf-8")))
            return said[source]
        said[source] = asked(source)
        ANSWERS.mkdir(parents=True, exist_ok=True)
        partial = kept.with_suffix(f".{os.getpid()}.partial")
        partial.write_text(json.dumps(dataclasses.asdict(said[source])), encoding="utf-8")
        os.replace(partial, kept)
        return said[source]

    def asked(source: str) -> PipSays:
        work = tmp_path_factory.mktemp("unpacked")
        try:
            if source.endswith(".tar"):
                return run_pip(unpack_tarball(built_images / source, work))
            reference, arch = image_reference(built_images, source)
            # The same layers as an image already unpacked (the same image written
            # another way): the same file system, so the same answer.
            layers = layers_of(reference, arch)
            if layers not in by_layers:
                by_layers[layers] = run_pip(unpack_image(reference, work, arch=arch))
            return by_layers[layers]
        finally:
            shutil.rmtree(work)  # a few hundred MB each

    return pip_for


# -- check --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    """One run of `marker-tool check`: its exit status and text, and the library's reports."""

    exit_code: int
    output: str
    reports: list[PackageReport]


def run_check(*paths: Path) -> Checked:
    result = CliRunner().invoke(cli, ["check", *map(str, paths)], env={"NO_COLOR": "1"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    try:
        reports = check(list(paths))
    except Exception:  # the CLI's exit status and message are the verdict then
        reports = []
    return Checked(result.exit_code, result.output, reports)


def missing_stdlibs(report: PackageReport) -> set[str]:
    """The directories check says are a stdlib without a marker (EM601)."""
    return {(f.file or "").rstrip("/") for f in report.findings if f.code == "EM601"}


def agrees_with_pip(report: PackageReport, pip: PipSays) -> None:
    """check calls python3.11's stdlib unmarked exactly when the real pip says not managed."""
    unmarked = STDLIB in missing_stdlibs(report)
    assert unmarked == (not pip.managed), (
        f"check says {STDLIB} {'has no' if unmarked else 'has a'} marker; "
        f"the real pip in the image says {'managed' if pip.managed else 'not managed'}:\n"
        f"{pip.output}\n{report}"
    )


@dataclass(frozen=True)
class Expected:
    """The verdict a Debian maintainer agrees with, and what pip shows."""

    exit_code: int
    verdict: str
    #: The exact codes; None: any, but none of `never`.
    codes: list[str] | None
    managed: bool
    never: tuple[str, ...] = ("EM600", "EM601", "EM602")


UNMANAGED = Expected(1, "FAILED", ["EM601"], managed=False)
CASES = {
    "intact": Expected(0, "PASSED", [], managed=True),
    "rm": UNMANAGED,
    "mv": UNMANAGED,
    "opaque-stdlib": UNMANAGED,
    "opaque-usr-lib": UNMANAGED,
    "opaque-root": UNMANAGED,
    "restored": Expected(0, "PASSED", [], managed=True),
    # Another text is still a marker pip honours: PASSED, or a finding about the
    # text, never a missing or stale marker.
    "replaced": Expected(0, "PASSED", None, managed=True),
    # python3.11 keeps its marker; the copy at usr/lib/python3.12 has none.
    "second-python": Expected(1, "FAILED", ["EM601"], managed=True),
    # `..` stops at the image's root: the link reaches the image's own /etc/passwd,
    # pip fails to read it as ini and refuses with its own text. Not "not managed".
    "marker-link-passwd": Expected(
        1, "FAILED", None, managed=True, never=("EM501", "EM600", "EM601", "EM602")
    ),
    # usr/lib/python3.11 -> /opt/stdlib-3.11, which has no marker.
    "stdlib-link": UNMANAGED,
}
FORMATS = {"docker-archive": "{}.tar", "oci-archive": "{}.oci.tar", "oci-layout": "{}.oci"}


def assert_expected(checked: Checked, expected: Expected, pip: PipSays) -> None:
    assert pip.managed == expected.managed, pip.output
    assert checked.exit_code == expected.exit_code, checked.output
    [report] = checked.reports
    agrees_with_pip(report, pip)
    assert report.verdict == expected.verdict or (
        expected.codes is None and report.verdict != "PASSED" and checked.exit_code != 0
    ), checked.output
    if expected.codes is not None:
        assert sorted(report.codes()) == sorted(expected.codes), checked.output
    else:
        assert not set(report.codes()) & set(expected.never), checked.output


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case", CASES)
def test_image(case: str, fmt: str, images: Path, pip_in: PipFor) -> None:
    expected = CASES[case]
    pip = pip_in(case)
    checked = run_check(images / FORMATS[fmt].format(case))
    if case == "replaced" and checked.exit_code != 0:
        # A finding about the text is fine (the test allows it); a missing marker is not.
        expected = Expected(1, "FAILED", None, managed=True)
    assert_expected(checked, expected, pip)


def test_second_python_is_the_only_stdlib_without_a_marker(images: Path, pip_in: PipFor) -> None:
    assert pip_in("second-python").managed
    [report] = run_check(images / "second-python.tar").reports
    assert missing_stdlibs(report) == {"usr/lib/python3.12"}


def test_marker_linked_to_etc_passwd_reads_the_images_own_file(
    images: Path, pip_in: PipFor
) -> None:
    pip = pip_in("marker-link-passwd")
    assert pip.managed
    assert f"Failed to read /{MARKER}" in pip.output  # pip's own text follows
    [report] = run_check(images / "marker-link-passwd.tar").reports
    # The image's /etc/passwd, not this machine's, and no link "out of the package".
    shown = [s for s in report.shown if s.path == MARKER]
    assert [s.outcome for s in shown] in ([], ["generic"]), report.shown
    assert not any("escap" in f.message or "outside" in f.message for f in report.findings)


def test_every_case_in_one_run_is_its_own_system(images: Path, pip_in: PipFor) -> None:
    """A deleted marker in one image is not hidden by another image of the same run."""
    checked = run_check(*(images / f"{case}.tar" for case in CASES))
    assert checked.exit_code == 1
    assert len(checked.reports) == len(CASES)
    for case, report in zip(CASES, checked.reports, strict=True):
        assert case in report.label, (case, report.label)
        agrees_with_pip(report, pip_in(case))
        if CASES[case].codes is not None:
            assert sorted(report.codes()) == sorted(CASES[case].codes or []), (case, report)


def test_multi_image_archive(images: Path, pip_in: PipFor) -> None:
    """`podman save -m`: intact and rm in one archive, each checked as its own system."""
    intact, rm = pip_in("multi:intact"), pip_in("multi:rm")
    assert intact.managed
    assert not rm.managed
    checked = run_check(images / "multi.tar")
    assert checked.exit_code == 1, checked.output
    by_label = {r.label: r for r in checked.reports}
    assert set(by_label) == {"localhost/marker-test:intact", "localhost/marker-test:rm"}
    good, bad = by_label["localhost/marker-test:intact"], by_label["localhost/marker-test:rm"]
    assert good.verdict == "PASSED", checked.output
    assert bad.verdict == "FAILED", checked.output
    assert bad.codes() == ["EM601"]
    agrees_with_pip(good, intact)
    agrees_with_pip(bad, rm)


@pytest.mark.parametrize("name", ["multiarch.oci", "multiarch.oci.tar"])
def test_index_with_an_arm64_image_deleting_its_marker(
    name: str, images: Path, pip_in: PipFor
) -> None:
    """`buildah manifest push --all`: linux/amd64 intact, linux/arm64 without its marker."""
    amd64, arm64 = pip_in("multiarch:amd64"), pip_in("multiarch:arm64")
    assert amd64.managed
    assert not arm64.managed
    checked = run_check(images / name)
    assert checked.exit_code == 1, checked.output
    assert len(checked.reports) == 2, checked.output
    [good] = [r for r in checked.reports if "amd64" in r.label]
    [bad] = [r for r in checked.reports if "arm64" in r.label]
    assert good.verdict == "PASSED", checked.output
    assert bad.verdict == "FAILED", checked.output
    assert bad.codes() == ["EM601"]
    agrees_with_pip(good, amd64)
    agrees_with_pip(bad, arm64)


@pytest.mark.parametrize("name", ["attest.oci", "attest.oci.tar"])
def test_index_with_an_attestation_manifest(name: str, images: Path, pip_in: PipFor) -> None:
    """The image is checked; the buildx attestation manifest is skipped, and said so."""
    pip = pip_in("attest")
    assert pip.managed
    checked = run_check(images / name)
    assert checked.exit_code == 0, checked.output
    [report] = checked.reports
    assert report.verdict == "PASSED", checked.output
    assert "EM600" not in checked.output
    agrees_with_pip(report, pip)
    text = checked.output.lower()
    assert "attestation" in text, checked.output
    assert "skip" in text, checked.output


def test_docker_dir_is_checked_or_refused_never_a_silent_pass(images: Path, pip_in: PipFor) -> None:
    """`podman save --format docker-dir` of rm: FAILED like rm, or refused with a hint."""
    pip = pip_in("docker-dir")
    assert not pip.managed
    checked = run_check(images / "docker-dir")
    assert checked.exit_code in (1, 2), checked.output
    assert "PASSED" not in checked.output
    if checked.exit_code == 2 or any("EM600" in r.codes() for r in checked.reports):
        assert "hint" in checked.output.lower() or "skopeo" in checked.output, checked.output
    else:
        [report] = checked.reports
        assert report.codes() == ["EM601"], checked.output
        agrees_with_pip(report, pip)


def test_missing_blob_is_unreadable_and_named(images: Path) -> None:
    blob = (images / "missing-blob.layer").read_text().strip()
    checked = run_check(images / "missing-blob.oci")
    assert checked.exit_code in (1, 2), checked.output
    assert "PASSED" not in checked.output
    assert blob.partition(":")[2] in checked.output, checked.output
    if checked.reports:
        [report] = checked.reports
        assert report.codes() == ["EM600"], checked.output
        [finding] = report.findings
        assert blob.partition(":")[2] in finding.message


def test_rootfs_tarball_of_more_than_10000_members(images: Path, pip_in: PipFor) -> None:
    """mmdebstrap's root filesystem tarball, read whole."""
    with tarfile.open(images / "rootfs.tar") as tar:
        assert sum(1 for _ in tar) > 10_000
    pip = pip_in("rootfs.tar")
    assert pip.managed
    checked = run_check(images / "rootfs.tar")
    assert checked.exit_code == 0, checked.output
    [report] = checked.reports
    assert report.verdict == "PASSED", checked.output
    agrees_with_pip(report, pip)


@pytest.mark.parametrize(("case", "expected"), [("intact", CASES["intact"]), ("rm", UNMANAGED)])
def test_podman_export_flat_tarball(
    case: str, expected: Expected, images: Path, pip_in: PipFor
) -> None:
    """`podman export` of a container: one flat tarball, no layers, no whiteouts."""
    pip = pip_in(f"export-{case}.tar")
    assert_expected(run_check(images / f"export-{case}.tar"), expected, pip)
