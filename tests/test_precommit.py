"""`.pre-commit-hooks.yaml`, run by pre-commit itself (`try-repo`) on a scratch repository.

pre-commit installs the hooks' environment from this checkout with pip; it is
cached under build/pre-commit (PRE_COMMIT_HOME), so only a new commit pays.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.realprograms import missing

ROOT = Path(__file__).resolve().parent.parent
GOOD = (ROOT / "tests" / "markers" / "valid" / "debian-bookworm.EXTERNALLY-MANAGED").read_bytes()


def pre_commit(repo: Path, hook: str) -> subprocess.CompletedProcess[str]:
    binary = Path(sys.executable).parent / "pre-commit"
    if not binary.is_file():
        missing("pre-commit (pip install -e '.[test]')")
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(ROOT / "build" / "pre-commit"),
        "HOME": str(repo.parent),
    }
    return subprocess.run(
        [str(binary), "try-repo", str(ROOT), hook, "--all-files", "--color", "never"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git = shutil.which("git")
    if git is None:
        missing("git")
        raise AssertionError("unreachable")
    path = tmp_path / "repo"
    path.mkdir()
    subprocess.run([git, "init", "-q"], cwd=path, check=True)
    return path


def commit_files(repo: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_bytes(data)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)


@pytest.mark.real
def test_validate_hook_fails_only_on_the_bad_marker(repo: Path) -> None:
    commit_files(
        repo,
        {
            "EXTERNALLY-MANAGED": GOOD,
            "stdlib/EXTERNALLY-MANAGED": b"[externally-managed]\nError = a\nError = b\n",
            "notes/EXTERNALLY-MANAGED.txt": b"not a marker, not matched",
            # the file template `adopt` writes: the config hook checks what it renders
            "EXTERNALLY-MANAGED.in": b"[externally-managed]\n{{ translations }}\n",
        },
    )
    result = pre_commit(repo, "marker-tool-validate")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "EXTERNALLY-MANAGED: PASSED" in result.stdout
    assert "stdlib/EXTERNALLY-MANAGED:3: EM205 error" in result.stdout
    assert "EXTERNALLY-MANAGED.txt" not in result.stdout
    assert "EXTERNALLY-MANAGED.in" not in result.stdout


@pytest.mark.real
def test_config_hook_passes_a_good_config_and_names_the_bad_line(repo: Path) -> None:
    commit_files(repo, {"marker-tool.toml": b'preset = "debian"\npythons = ["3.12"]\n'})
    assert pre_commit(repo, "marker-tool-config").returncode == 0
    commit_files(repo, {"distro/marker-tool.toml": b'preset = "debian"\nname = 3\n'})
    result = pre_commit(repo, "marker-tool-config")
    assert result.returncode == 1, result.stdout
    assert "- exit code: 2" in result.stdout  # marker-tool's own: a config error
    assert "distro/marker-tool.toml:2: `name` must be a string" in result.stdout
