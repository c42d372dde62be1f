"""Validate EXTERNALLY-MANAGED markers the way pip and uv read them.

`Validator` is pure: it parses a marker's bytes into a `Document`
(`marker_tool.document`) and runs the rules of `marker_tool.rules` over it,
with the placement facts its caller hands it (`marker_tool.hostfs` for a file
on this machine, the install plan, or an archive entry for `check`). The
module functions `validate_bytes` and `validate_path` are the library's
one-call entry points; the CLI only formats their `Report`
(`marker_tool.output`). Only the standard library and marker-tool's own
modules are imported here (never jinja2 or babel): `validate` must start fast.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from marker_tool import hostfs, safeio
from marker_tool.document import Document, parse
from marker_tool.errors import InputError
from marker_tool.model import Finding, Placement, Severity, Verdict, verdict_of
from marker_tool.rules import RULES, TOO_LARGE_MESSAGE, MarkerRule, too_large_rule

#: A path as the library accepts it.
StrPath = str | os.PathLike[str]


@dataclass(frozen=True, slots=True)
class Report:
    """The result of validating one marker."""

    #: The file's path as given (`-` for standard input), or `<bytes>`.
    path: str
    #: Findings, ordered by line.
    findings: tuple[Finding, ...]
    #: Warnings fail the file too (`--strict`).
    strict: bool = False
    #: The marker as parsed for the rules, for whoever goes on with it (`check` shows what
    #: pip prints from it), so it is read once; None for a file too large to read.
    document: Document | None = field(default=None, compare=False, repr=False)

    @property
    def verdict(self) -> Verdict:
        """`FAILED` on an error (or a warning when strict), else `PASSED [with warnings]`."""
        return verdict_of((f.severity for f in self.findings), strict=self.strict)

    @property
    def passed(self) -> bool:
        """True unless the verdict is `FAILED`."""
        return self.verdict != "FAILED"

    def errors_in_brief(self, most: int = 3) -> str | None:
        """The first `most` error-level findings on one line (`line 3: EM205 ...`); None: none."""
        errors = [f for f in self.findings if f.severity is Severity.ERROR]
        if not errors:
            return None
        shown = "; ".join(f"line {f.line}: {f.code} {f.message}" for f in errors[:most])
        return shown + (f" (and {len(errors) - most} more)" if len(errors) > most else "")

    def codes(self) -> list[str]:
        """The codes found, in order, for tests and quick checks."""
        return [f.code for f in self.findings]


class Validator:
    """Runs the rules over markers. Pure: it never looks at a file system."""

    __slots__ = ("ignore", "rules", "strict")

    def __init__(
        self,
        *,
        strict: bool = False,
        rules: tuple[MarkerRule, ...] | None = None,
        ignore: Iterable[str] = (),
    ) -> None:
        #: Warnings fail a file too.
        self.strict = strict
        #: The rules to run; None means all of `marker_tool.rules.RULES`.
        self.rules = RULES if rules is None else rules
        #: Codes to skip.
        self.ignore = frozenset(ignore)

    def validate(
        self, data: bytes, *, path: str | None = None, placement: Placement | None = None
    ) -> Report:
        """Validate a marker's content; `placement` adds the placement rules.

        A marker that is not a regular file (`placement.kind`) gets only the
        placement rules: pip and uv read nothing of it.
        """
        content_of = data if placement is None or placement.kind == "file" else b""
        return self.run(parse(content_of, path=path, placement=placement))

    def run(self, doc: Document) -> Report:
        """Run the rules over a marker already parsed (`document.parse`)."""
        placement = doc.placement
        path = doc.path
        content = placement is None or placement.kind == "file"
        findings: list[Finding] = []
        for rule in self.rules:
            if rule.code in self.ignore:
                continue
            if rule.needs_placement and placement is None:
                continue
            if not rule.needs_placement and not content:
                continue
            for line, message in rule.check(doc):
                findings.append(Finding(rule.code, rule.severity, message, line, doc.path))
        findings.sort(key=lambda f: (f.line or 0, f.code))
        return Report(path or "<bytes>", tuple(findings), self.strict, doc)


def read_marker(path: StrPath) -> bytes | None:
    """A marker's bytes, or None when it is larger than any marker (`safeio.LIMITS`)."""
    try:
        return safeio.read_bytes(path, kind="marker")
    except safeio.TooLarge:
        return None


def validate_bytes(
    data: bytes,
    *,
    path: str | None = None,
    placement: Placement | None = None,
    strict: bool = False,
    ignore: Iterable[str] = (),
) -> Report:
    """Validate a marker's bytes; see `Validator.validate`."""
    return Validator(strict=strict, ignore=ignore).validate(data, path=path, placement=placement)


def validate_path(
    path: StrPath,
    *,
    installed: bool | None = None,
    strict: bool = False,
    ignore: Iterable[str] = (),
    stdlib_dir: str | None = None,
    interpreter: str | None = None,
    validator: Validator | None = None,
) -> Report:
    """Validate the marker file at `path` on this machine.

    `installed=None` decides from where the file is (`hostfs.looks_installed`),
    or is True when an interpreter or stdlib dir to check against is given.
    Installed markers get the placement rules, with facts from this machine.
    A missing path, or one that cannot be read, raises MarkerToolError; for an
    installed marker a directory, a dangling symlink or a FIFO is a finding.
    """
    shown = os.fspath(path)
    validator = validator or Validator(strict=strict, ignore=ignore)
    if interpreter is not None:
        from marker_tool.interpreter import ask_interpreter

        stdlib_dir = str(ask_interpreter(interpreter).stdlib)
    if installed is None:
        installed = stdlib_dir is not None or hostfs.looks_installed(shown)
    placement = None
    if installed:
        try:
            placement = hostfs.host_placement(shown, stdlib_dir=stdlib_dir)
        except FileNotFoundError:
            raise InputError(
                "no such file", file=shown, hint="give the path of a marker file"
            ) from None
        if placement.kind != "file":
            return validator.validate(b"", path=shown, placement=placement)
    try:
        data = read_marker(shown)
    except FileNotFoundError:
        raise InputError(
            "no such file", file=shown, hint="give the path of a marker file"
        ) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", file=shown) from None
    if data is None:
        return Report(shown, (too_large(shown),), validator.strict)
    refuse_package(data, shown)
    return validator.validate(data, path=shown, placement=placement)


def package_kind(path: StrPath) -> str | None:
    """What package `path` is, from its first bytes (None: no package, or not a file)."""
    import stat

    from marker_tool.sources.magic import package_format

    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        with open(path, "rb") as stream:
            return package_format(stream.read(512))
    except OSError:
        return None  # the command's own read reports it, with its own words


def refuse_package(data: bytes, path: str) -> None:
    """InputError pointing at `check` when `data` is a package, not a marker."""
    from marker_tool.sources.magic import package_format

    kind = package_format(data[:512])
    if kind is not None:
        raise not_a_marker(kind, path)


def not_a_marker(kind: str, path: str) -> InputError:
    """The error for a package given where a marker was wanted, pointing at `check`."""
    return InputError(
        f"{kind}, not a marker",
        file=path,
        hint=f"`marker-tool check {path}` finds and checks the markers inside it",
    )


def too_large(path: str) -> Finding:
    """The EM107 finding for a file larger than any marker, which is not read."""
    return Finding(too_large_rule.code, too_large_rule.severity, TOO_LARGE_MESSAGE, None, path)
