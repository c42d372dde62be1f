"""Fuzz the `nested` target (targets.py): `python tests/fuzz/fuzz_deb.py [libFuzzer options]`."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from tests.fuzz.harness import main

if __name__ == "__main__":
    main("nested")
