"""The real container images of tests/build-images, built by the first test that needs them.

build/images is made once (mmdebstrap, umoci, skopeo, podman, buildah; a few minutes
cold) and kept; tests/build-images makes only what is missing, and test processes side
by side wait on its lock. In CI (`CI` or `MARKER_TOOL_REQUIRE_ALL` set) a missing tool
or a failed build fails the test.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.realprograms import REPO, missing, require

IMAGES = REPO / "build" / "images"
BUILD = REPO / "tests" / "build-images"
TOOLS = ("mmdebstrap", "umoci", "skopeo", "podman", "buildah", "chroot", "tar", "flock")


def built() -> Path:
    """build/images, built (or found complete) by tests/build-images."""
    require(TOOLS, root="chroot and mmdebstrap need it")
    done = subprocess.run([str(BUILD)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        missing(f"the image corpus (tests/build-images failed: {done.stderr[-2000:]})")
    return IMAGES
