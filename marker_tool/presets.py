"""The built-in presets and templates, and which preset fits the build host.

The presets are configs in `templates/presets/`; `marker_tool.config` reads
them like any other config. Host detection reads `/etc/os-release`.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

from marker_tool.errors import ConfigError, did_you_mean

PRESETS: tuple[str, ...] = (
    "debian",
    "ubuntu",
    "arch",
    "alpine",
    "opensuse",
    "fedora",
    "homebrew",
    "homebrew-linux",
    "gentoo",
    "void",
    "nix",
    "generic",
)

#: The built-in template every preset uses.
BUILTIN_TEMPLATE = "builtin:message"
BUILTIN_PREFIX = "builtin:"


@functools.cache  # resolve() stats every path component, and render asks once per Python
def templates_dir() -> Path:
    """The built-in templates: inside the installed package, or the source tree's `templates/`."""
    here = Path(__file__).resolve().parent
    packaged = here / "templates"
    return packaged if packaged.is_dir() else here.parent / "templates"


def builtin_catalog_dir() -> Path:
    """The built-in catalogs: `templates/locale` (in the wheel: marker_tool/templates/locale)."""
    return templates_dir() / "locale"


def template_file(name: str) -> Path:
    """The file behind a Distributor's `template`: `builtin:NAME` or a path."""
    if name.startswith(BUILTIN_PREFIX):
        return templates_dir() / f"{name.removeprefix(BUILTIN_PREFIX)}.txt.j2"
    return Path(name)


def builtin_templates() -> list[Path]:
    """The built-in message templates (`templates/*.txt.j2`)."""
    return sorted(templates_dir().glob("*.txt.j2"))


def preset_path(name: str) -> Path:
    """The TOML file of built-in preset `name`; ConfigError when there is none."""
    if name not in PRESETS:
        raise ConfigError(
            f"unknown preset `{name}`; expected one of {', '.join(PRESETS)}",
            key="preset",
            hint=did_you_mean(name, PRESETS),
        )
    return templates_dir() / "presets" / f"{name}.toml"


def parse_os_release(text: str) -> dict[str, str]:
    """The variables of an os-release file (shell-style `KEY=value`, quotes removed)."""
    values = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        values[key.strip()] = value
    return values


#: os-release IDs that are a preset under another name.
_ID_ALIASES = {
    "raspbian": "debian",
    "opensuse-tumbleweed": "opensuse",
    "opensuse-leap": "opensuse",
    "opensuse-slowroll": "opensuse",
    "suse": "opensuse",
    "sles": "opensuse",
    "rhel": "fedora",
    "centos": "fedora",
    "nixos": "nix",
}


def detect_preset(os_release: Path = Path("/etc/os-release")) -> str:
    """The preset for the host described by `os_release`: its ID, then ID_LIKE, else `generic`."""
    from marker_tool import safeio

    try:
        text = safeio.read_bytes(os_release, kind="os-release").decode("utf-8", "replace")
    except OSError:
        return "homebrew" if sys.platform == "darwin" else "generic"
    except ConfigError:
        return "generic"
    values = parse_os_release(text)
    candidates = [values.get("ID", ""), *values.get("ID_LIKE", "").split()]
    for candidate in candidates:
        name = _ID_ALIASES.get(candidate.lower(), candidate.lower())
        if name in PRESETS and name not in ("generic", "homebrew", "homebrew-linux"):
            return name
    return "generic"


#: dpkg-based presets: the build's vendor (dpkg-vendor, as dh_externally_managed asks)
#: names the distributor, so their starter config leaves `name` unset.
VENDOR_NAMED = ("debian", "ubuntu")
