"""The release steps of docs/release.md, short of the upload: build, twine check, install, run.

Each step runs the real program (build, twine, pip, pipx) in a temporary
directory; nothing is uploaded and nothing outside the temporary directory is
written (pipx gets its own home and bin dir).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from marker_tool import __version__
from tests.realprograms import copy_checkout, missing, note_program

ROOT = Path(__file__).resolve().parent.parent


def need(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        missing(f"the Python module `{module}` (the test extras: pip install -e '.[test]')")


def run(argv: list[str], **kwargs: object) -> str:
    done = subprocess.run(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600,
        check=False,
        **kwargs,  # type: ignore[call-overload]
    )
    assert done.returncode == 0, f"{argv} exited {done.returncode}:\n{done.stdout}"
    output: str = done.stdout
    return output


@pytest.fixture(scope="module")
def _dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`python -m build`: the sdist, and the wheel built from it."""
    need("build")
    out = tmp_path_factory.mktemp("dist")
    # From a copy, as from a clean clone: hatchling walks every directory of the
    # project, build/ too, where a chroot of another test may be mounted meanwhile.
    source = copy_checkout(tmp_path_factory.mktemp("source"))
    run([sys.executable, "-m", "build", "--outdir", str(out), str(source)])
    return out


@pytest.fixture
def dist(_dist: Path) -> Path:
    """The sdist and the wheel; a test given them depends on the build, run for it or not."""
    note_program("python -m build")
    return _dist


def the(dist: Path, pattern: str) -> Path:
    [found] = dist.glob(pattern)
    return found


@pytest.mark.real
def test_build_makes_an_sdist_and_a_wheel_of_this_version(dist: Path) -> None:
    wheel = the(dist, f"marker_tool-{__version__}-py3-none-any.whl")
    sdist = the(dist, f"marker_tool-{__version__}.tar.gz")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        info = f"marker_tool-{__version__}.dist-info"
        metadata = Parser().parsestr(archive.read(f"{info}/METADATA").decode())
    assert f"{info}/licenses/LICENSE" in names
    assert "marker_tool/templates/message.txt.j2" in names
    assert metadata["Version"] == __version__
    assert metadata["Requires-Python"] == ">=3.11"
    assert metadata["License"] == "MIT"
    assert "License :: OSI Approved :: MIT License" in metadata.get_all("Classifier", [])
    assert {url.split(",")[0] for url in metadata.get_all("Project-URL", [])} >= {
        "Homepage",
        "Changelog",
    }
    with tarfile.open(sdist) as archive:
        members = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"LICENSE", "CHANGELOG.md", "README.md", "docs/release.md", "pyproject.toml"} <= members


@pytest.mark.real
def test_twine_check_passes(dist: Path) -> None:
    need("twine")
    output = run([sys.executable, "-m", "twine", "check", "--strict", *map(str, dist.iterdir())])
    assert output.count("PASSED") == 2, output


@pytest.mark.real
def test_the_wheel_installs_into_a_clean_venv_and_runs(dist: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    wheel = the(dist, "*.whl")
    run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)])
    tool = str(venv / "bin" / "marker-tool")
    assert run([tool, "--version"]).strip() == f"marker-tool, version {__version__}"
    marker = run([tool, "render", "--preset", "debian", "--python", "3.12", "--locale", "de"])
    assert marker.startswith("[externally-managed]\nError = ")
    assert "\nError-de = " in marker


@pytest.mark.real
def test_pipx_installs_the_wheel(dist: Path, tmp_path: Path) -> None:
    need("pipx")
    env = {
        **os.environ,
        "PIPX_HOME": str(tmp_path / "pipx"),
        "PIPX_BIN_DIR": str(tmp_path / "bin"),
        "PIPX_MAN_DIR": str(tmp_path / "man"),
        "PIPX_DEFAULT_PYTHON": sys.executable,
    }
    run([sys.executable, "-m", "pipx", "install", str(the(dist, "*.whl"))], env=env)
    tool = str(tmp_path / "bin" / "marker-tool")
    assert run([tool, "--version"], env=env).strip() == f"marker-tool, version {__version__}"
