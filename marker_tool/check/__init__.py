"""`check`: the markers of whole systems, read from packages, images and trees.

Markers are a property of an installed system, so ownership is decided inside
one system and never across two:

- `system`: a system's packages merged as dpkg installs them (diversions,
  Multi-Arch: same), paths resolved as the kernel would inside its root;
- `facts`: each stdlib dir's marker as pip opens it, and the run's options;
- `rules`: one function per system rule (EM6xx) over those facts;
- `registry`: every rule code, a marker's and a system's;
- `waivers`: `--ignore` and overrides files;
- `run`: inputs grouped into systems, read in parallel, checked, reported.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from marker_tool.check.report import PackageReport, Shown, StdlibFound, Waived
    from marker_tool.check.run import Expectation, check, check_system, check_systems
    from marker_tool.check.system import System
    from marker_tool.check.waivers import Waiver, apply_waivers, ignore_waivers, read_overrides

#: Where each public name lives: imported when first asked for, so that importing one
#: module of the package (the rule registry, for `validate --list-rules`) does not load
#: every reader.
_PUBLIC = {
    "Expectation": "run",
    "PackageReport": "report",
    "Shown": "report",
    "StdlibFound": "report",
    "System": "system",
    "Waived": "report",
    "Waiver": "waivers",
    "apply_waivers": "waivers",
    "check": "run",
    "check_system": "run",
    "check_systems": "run",
    "ignore_waivers": "waivers",
    "read_overrides": "waivers",
}


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_PUBLIC[name]}"), name)


__all__ = [
    "Expectation",
    "PackageReport",
    "Shown",
    "StdlibFound",
    "System",
    "Waived",
    "Waiver",
    "apply_waivers",
    "check",
    "check_system",
    "check_systems",
    "ignore_waivers",
    "read_overrides",
]
