"""What every `fuzz_<name>.py` does: atheris over one target of `targets`."""

from __future__ import annotations

import sys

import atheris  # type: ignore[import-untyped,import-not-found,unused-ignore]

with atheris.instrument_imports(include=["marker_tool"]):
    import marker_tool.check
    import marker_tool.consumers
    import marker_tool.integrations.debian
    import marker_tool.sources.deb
    import marker_tool.sources.detect
    import marker_tool.sources.image
    import marker_tool.sources.rpm
    import marker_tool.sources.tarpkg
    import marker_tool.sources.tarstream
    import marker_tool.validate  # noqa: F401

from tests.fuzz import targets


def main(name: str) -> None:
    """libFuzzer's command line (`-runs=N`, `-max_total_time=S`, corpus dirs) for `name`."""
    targets.limit_memory()

    def one(data: bytes) -> None:
        targets.check(name, data)

    atheris.Setup(sys.argv, one)
    atheris.Fuzz()
