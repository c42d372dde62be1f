"""The install lines of README.md and docs/packaging.md, as written, against this repository.

marker-tool is not on PyPI: the README installs it from a checkout (pipx, pip, a
wheel built there) or with pip straight from the repository, CI snippets do the
same, and the pre-commit snippet pins a commit. Each line is taken from the docs
and run with the real git, pip, pipx and pre-commit in a temporary directory,
with the repository's URL pointed at this checkout (pip and pre-commit clone
from it as from GitHub). Nothing outside the temporary directory is written,
but pre-commit's cache under build/pre-commit.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from marker_tool import __version__
from tests.realprograms import REPO, missing

pytestmark = pytest.mark.real
URL = "https://github.com/marker-tool/marker-tool"
README = REPO / "README.md"
PACKAGING = REPO / "docs" / "packaging.md"
GOOD = (REPO / "tests" / "markers" / "valid" / "debian-bookworm.EXTERNALLY-MANAGED").read_bytes()


def block(path: Path, fence: str, containing: str) -> list[str]:
    """The lines of the first block of `path` opened by ```FENCE that contains `containing`."""
    text = path.read_text(encoding="utf-8")
    for found in re.finditer(rf"^```{re.escape(fence)}\n(.*?)^```$", text, re.M | re.S):
        if containing in found[1]:
            return found[1].splitlines()
    raise AssertionError(f"no ```{fence} block with {containing!r} in {path.name}")


def commands(lines: list[str]) -> list[str]:
    """The commands of a console block, without their trailing comments."""
    return [line[2:].split("  #")[0].strip() for line in lines if line.startswith("$ ")]


def run(command: str, cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"`{command}` exited {done.returncode}:\n{done.stdout[-4000:]}"
    return done.stdout


def venv(where: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True)
    return where / "bin"


def environment(tmp_path: Path, bin_dir: Path) -> dict[str, str]:
    """An active virtual environment (`bin_dir` first on PATH), pipx's dirs in `tmp_path`.

    The machine's index and proxy settings are kept; pipx may install with uv, which
    reads its certificate authorities from SSL_CERT_FILE where pip reads PIP_CERT.
    """
    certificates = os.environ.get("SSL_CERT_FILE") or os.environ.get("PIP_CERT")
    return {
        **os.environ,
        **({"SSL_CERT_FILE": certificates} if certificates else {}),
        "PATH": f"{bin_dir}:{Path(sys.executable).parent}:/usr/bin:/bin",
        "VIRTUAL_ENV": str(bin_dir.parent),
        "HOME": str(tmp_path / "home"),
        "LC_ALL": "C.UTF-8",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIPX_HOME": str(tmp_path / "pipx"),
        "PIPX_BIN_DIR": str(tmp_path / "pipx-bin"),
        "PIPX_MAN_DIR": str(tmp_path / "pipx-man"),
        "PIPX_DEFAULT_PYTHON": sys.executable,
    }


def need(program: str) -> str:
    found = shutil.which(program, path=f"{Path(sys.executable).parent}:{os.defpath}")
    if found is None:
        missing(program)
        raise AssertionError("unreachable")
    return found


def test_the_readme_installs_from_a_checkout(tmp_path: Path) -> None:
    need("git")
    need("pipx")
    lines = commands(block(README, "console", "git clone"))
    assert lines[0] == f"git clone {URL} && cd marker-tool"
    bin_dir = venv(tmp_path / "venv")
    env = environment(tmp_path, bin_dir)
    checkout = tmp_path / "marker-tool"
    run(f"git clone --quiet {REPO} marker-tool", tmp_path, env)
    for command in lines[1:]:
        run(command, checkout, env)
    version = f"marker-tool, version {__version__}"
    assert run("marker-tool --version", tmp_path, env).strip() == version  # pip install .
    assert run(f"{tmp_path}/pipx-bin/marker-tool --version", tmp_path, env).strip() == version
    [wheel] = (checkout / "dist").glob("marker_tool-*.whl")
    other = venv(tmp_path / "other")
    run(f"{other}/pip install --quiet {wheel}", tmp_path, env)
    assert run(f"{other}/marker-tool --version", tmp_path, env).strip() == version


def test_pip_installs_from_the_repository_as_the_readme_and_ci_snippets_say(
    tmp_path: Path,
) -> None:
    need("git")
    lines = set(commands(block(README, "console", "git+")))
    for fence in ("yaml .github/workflows/packages.yml", "yaml .gitlab-ci.yml"):
        found = [line for line in block(PACKAGING, fence, "pip install") if "pip install" in line]
        lines |= {line.split("run:")[-1].strip(" -") for line in found}
    assert lines == {f'pip install "marker-tool @ git+{URL}@main"'}, lines
    [line] = lines
    # `main` names this repository's branch; a checkout on another branch has it too.
    bin_dir = venv(tmp_path / "venv")
    env = environment(tmp_path, bin_dir)
    # git+file:///PATH is no valid PEP 508 URL (no host): name the local host.
    run(line.replace(f"git+{URL}", f"git+file://localhost{REPO}") + " --quiet", tmp_path, env)
    output = run("marker-tool render --preset debian --python 3.12", tmp_path, env)
    assert output.startswith("[externally-managed]\nError = ")


def test_the_pre_commit_snippet_runs_at_the_commit_it_names(tmp_path: Path) -> None:
    git = need("git")
    pre_commit = need("pre-commit")
    config = "\n".join(block(PACKAGING, "yaml .pre-commit-config.yaml", "rev:")) + "\n"
    [rev] = re.findall(r"^\s+rev: (\S+)$", config, re.M)
    assert re.fullmatch("[0-9a-f]{40}", rev), "a commit until a release is tagged"
    assert f"rev: {rev}" in (REPO / ".pre-commit-hooks.yaml").read_text()
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run([git, "init", "-q"], cwd=repo, check=True)
    (repo / ".pre-commit-config.yaml").write_text(config.replace(URL, str(REPO)))
    (repo / "EXTERNALLY-MANAGED").write_bytes(GOOD)
    (repo / "marker-tool.toml").write_text('preset = "debian"\npythons = ["3.12"]\n')
    subprocess.run([git, "add", "-A"], cwd=repo, check=True)
    done = subprocess.run(
        [pre_commit, "run", "--all-files", "--color", "never"],
        cwd=repo,
        env={
            **os.environ,
            "PRE_COMMIT_HOME": str(REPO / "build" / "pre-commit"),
            "HOME": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(re.findall(r"\.Passed$", done.stdout, re.M)) == 2, done.stdout
