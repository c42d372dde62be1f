"""What `check` says of each package, image or tree: a `PackageReport`, built by keyword."""

from __future__ import annotations

from dataclasses import dataclass

from marker_tool.model import Finding, Located, PythonVersion, Verdict, verdict_of
from marker_tool.validate import Report

#: pip's outcome for a marker: its text (`message`), its own generic text (`generic`:
#: the marker cannot be parsed or has no key for the locale), or a traceback (`crash`).
PIP_OUTCOMES = ("message", "generic", "crash")


@dataclass(frozen=True, slots=True)
class Shown:
    """What pip shows for one marker of a package (English, the `Error` key)."""

    #: The marker's path inside the system.
    path: str
    python: PythonVersion
    #: One of `PIP_OUTCOMES`.
    outcome: str
    #: The text pip prints in its error block, as it reads it (None for a crash).
    text: str | None


@dataclass(frozen=True, slots=True)
class StdlibFound:
    """A stdlib dir of the system, reported with the package it belongs to."""

    #: The stdlib dir inside the system: `usr/lib/python3.13`, `usr/lib/pypy3.11`.
    path: str
    python: PythonVersion
    #: The marker pip reads there (its path), or None: pip and uv treat it as not managed.
    marker: str | None


@dataclass(frozen=True, slots=True)
class Waived:
    """A finding a maintainer accepted, with the reason they gave."""

    finding: Finding
    #: The path inside the package it is about, if any.
    where: str | None
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PackageReport:
    """The verdict on one package, image, tree, or a system's own findings."""

    #: The path given (for a package of a `.changes` file or a folder, its own path).
    source: str
    #: `name_version_arch` from the package's metadata (an image's tag), else the path.
    label: str
    #: One report per marker, by its path inside the package.
    markers: tuple[Report, ...] = ()
    #: Findings about the package as a whole (EM6xx), `file` = path inside it.
    findings: tuple[Finding, ...] = ()
    strict: bool = False
    #: The reader's name (`sources.detect.READERS`: `deb`, `rpm`, `oci` ...), `file` (a
    #: marker given alone), `system` (the findings of a system of several packages), or
    #: None (an input that could not be read).
    format: str | None = None
    #: What pip shows for each marker read.
    shown: tuple[Shown, ...] = ()
    #: The stdlib dirs this package holds (their `os.py`), and the marker pip reads in each.
    stdlibs: tuple[StdlibFound, ...] = ()
    #: The system it belongs to (`packages given`, a `.changes` file, an image).
    system: str = ""
    #: Findings waived by `--ignore` or an overrides file.
    waived: tuple[Waived, ...] = ()
    #: What the reader passed over, and why (an index's attestation manifests).
    notes: tuple[str, ...] = ()

    @property
    def verdict(self) -> Verdict:
        return verdict_of(
            (f.severity for f in self.findings),
            strict=self.strict,
            verdicts=(r.verdict for r in self.markers),
        )

    @property
    def passed(self) -> bool:
        return self.verdict != "FAILED"

    def located(self) -> tuple[Located, ...]:
        """The package's findings, then each marker's, with the path inside the package."""
        out = [Located(f, f.file) for f in self.findings]
        for marker in self.markers:
            where = marker.path.removeprefix(f"{self.label}:")
            out += [Located(f, where) for f in marker.findings]
        return tuple(out)

    def codes(self) -> list[str]:
        """Every code found, package findings first, for tests and quick checks."""
        return [f.code for f in self.findings] + [c for r in self.markers for c in r.codes()]
