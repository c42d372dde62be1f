"""Waivers: the findings a maintainer accepts, by `--ignore CODE` or a lintian-style
overrides file, moved from a report's findings to its `waived` list with their reason."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from marker_tool.check.registry import get_rule
from marker_tool.check.report import PackageReport, Waived
from marker_tool.errors import MarkerToolError
from marker_tool.model import Finding


@dataclass(frozen=True, slots=True)
class Waiver:
    """`[PACKAGE: ]CODE [PATH-GLOB]` from an overrides file, or `--ignore CODE`."""

    code: str
    #: The package name (or label) it applies to; None: every package.
    package: str | None = None
    #: A glob over the path inside the package; None: any path.
    path: str | None = None
    reason: str = "--ignore"

    def matches(self, report: PackageReport, code: str, where: str | None) -> bool:
        if code != self.code:
            return False
        if self.package is not None and self.package not in (
            report.label,
            report.label.split("_", 1)[0],
        ):
            return False
        return self.path is None or fnmatch.fnmatchcase((where or "").lstrip("/"), self.path)


def read_overrides(path: str) -> list[Waiver]:
    """Waivers from an overrides file, as lintian's: `# reason` lines, then the override.

    `libpython3.11-stdlib: EM606 usr/lib/python3.11/EXTERNALLY-MANAGED` or
    `EM606`; a comment above an override is its reason, shown in the output.
    """
    from marker_tool import safeio

    text = safeio.read_bytes(path, kind="config").decode("utf-8", "replace")
    waivers: list[Waiver] = []
    reason: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            reason = []
            continue
        if line.startswith("#"):
            reason.append(line.lstrip("#").strip())
            continue
        package, colon, rest = line.partition(":")
        if not colon or " " in package.strip():
            package, rest = "", line
        words = rest.split()
        if not words or len(words) > 2:
            raise MarkerToolError(
                f"`{line}` is not an override",
                file=path,
                line=number,
                hint="write `[PACKAGE: ]CODE [PATH]`, for example "
                "`libpython3.11-stdlib: EM606 usr/lib/python3.11/EXTERNALLY-MANAGED`",
            )
        try:
            code = get_rule(words[0]).code
        except MarkerToolError as exc:
            hint = exc.hint
            if len(words) == 2 and _is_code(words[1]):
                hint = f"a package name comes first, with a colon: `{words[0]}: {words[1]}`"
            raise MarkerToolError(exc.message, file=path, line=number, hint=hint) from None
        waivers.append(
            Waiver(
                code,
                package.strip() or None,
                words[1] if len(words) > 1 else None,
                " ".join(reason) or f"override in {path}",
            )
        )
        reason = []
    return waivers


def _is_code(word: str) -> bool:
    try:
        get_rule(word)
    except MarkerToolError:
        return False
    return True


def apply_waivers(report: PackageReport, waivers: Sequence[Waiver]) -> PackageReport:
    """`report` with the findings that a waiver matches moved to `waived`."""
    if not waivers:
        return report
    waived: list[Waived] = []

    def keep(finding: Finding, where: str | None) -> bool:
        for waiver in waivers:
            if waiver.matches(report, finding.code, where):
                waived.append(Waived(finding, where, waiver.reason))
                return False
        return True

    findings = tuple(f for f in report.findings if keep(f, f.file))
    markers = tuple(
        replace(
            m,
            findings=tuple(
                f for f in m.findings if keep(f, m.path.removeprefix(f"{report.label}:"))
            ),
        )
        for m in report.markers
    )
    return replace(report, findings=findings, markers=markers, waived=tuple(waived))


def ignore_waivers(codes: Iterable[str]) -> list[Waiver]:
    """`--ignore CODE` for the run: rule codes checked against the registry."""
    return [Waiver(get_rule(code).code) for code in codes]
