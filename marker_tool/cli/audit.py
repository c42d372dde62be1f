"""`audit`: the markers of a whole repository, from its indexes (see marker_tool.audit)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from marker_tool import output
from marker_tool.cli.options import (
    format_option,
    jobs_option,
    max_decompressed_option,
    strict_option,
)
from marker_tool.errors import ExitCode
from marker_tool.model import MiB


def default_cache() -> Path:
    """$XDG_CACHE_HOME/marker-tool/audit, as other tools keep their downloads."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base, "marker-tool", "audit")


@click.command()
@click.argument("mirror", metavar="MIRROR")
@click.option("--suite", "suites", multiple=True, metavar="NAME", help="A suite (repeatable).")
@click.option(
    "--component",
    "components",
    multiple=True,
    metavar="NAME",
    help="A component (repeatable).  [default: all the Release lists]",
)
@click.option(
    "--arch",
    "archs",
    multiple=True,
    metavar="NAME",
    help="An architecture (repeatable).  [default: all the Release lists]",
)
@format_option(
    "Output: text, json (the audit's document, docs/schema/audit.schema.json), or "
    "check's CI formats: github, junit, codequality, sarif."
)
@click.option(
    "--html",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Also write the report as one self-contained HTML page.",
)
@click.option(
    "--compare",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="An earlier run's `--format json` report: show what changed (another release, or "
    "the base of a derivative).",
)
@click.option(
    "--keyring",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="The archive keyring that signs the Release files.  [default: "
    "/usr/share/keyrings/<origin>-archive-keyring.gpg when there is one]",
)
@click.option(
    "--no-verify", is_flag=True, help="Do not check Release signatures (an unsigned repository)."
)
@click.option(
    "--allow-expired",
    is_flag=True,
    help="Audit a suite whose Release file is past its Valid-Until (the report says so).",
)
@click.option(
    "--cache",
    "cache_dir",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Where fetched indexes and packages are kept.  [default: ~/.cache/marker-tool/audit]",
)
@click.option(
    "--connections",
    type=click.IntRange(min=1, max=32),
    default=4,
    show_default=True,
    metavar="N",
    help="Downloads at once.",
)
@strict_option
@jobs_option
@max_decompressed_option("package or index")
@click.option("-q", "--quiet", is_flag=True, help="No progress display.")
def audit(
    *,
    mirror: str,
    suites: tuple[str, ...],
    components: tuple[str, ...],
    archs: tuple[str, ...],
    fmt: str,
    html: Path | None,
    compare: Path | None,
    keyring: Path | None,
    no_verify: bool,
    allow_expired: bool,
    cache_dir: Path | None,
    connections: int,
    jobs: int | None,
    strict: bool,
    quiet: bool,
    max_decompressed: int,
) -> None:
    """Audit the markers of a repository's suites, from its indexes.

    MIRROR: an apt repository (a URL such as http://deb.debian.org/debian, or
    the local folder holding dists/) or an rpm-md one (the folder or URL
    holding repodata/). Only packages whose file lists hold a Python stdlib or
    a marker are fetched; each suite, source build and architecture is
    checked as `check` checks a build. Exit 1 when one fails; 2 on a usage or
    input error.
    """
    from dataclasses import replace

    from marker_tool.audit import report
    from marker_tool.audit.context import Options
    from marker_tool.audit.progress import Progress
    from marker_tool.audit.run import audit as run
    from marker_tool.sources.base import DEFAULT_LIMITS

    old = report.load_report(str(compare)) if compare is not None else None
    options = Options(
        suites=suites,
        components=components,
        architectures=archs,
        keyring=str(keyring) if keyring is not None else None,
        verify=not no_verify,
        allow_expired=allow_expired,
        connections=connections,
        jobs=jobs,
        strict=strict,
        limits=replace(DEFAULT_LIMITS, decompressed=max_decompressed * MiB),
    )
    progress = Progress(enabled=False) if quiet else Progress()
    result = run(mirror, options=options, cache_dir=cache_dir or default_cache(), progress=progress)
    doc = report.document(result)
    if old is not None:
        doc["comparison"] = report.compare(old, doc)
    if html is not None:
        from marker_tool import safeio
        from marker_tool.audit.html import page

        safeio.write_text(html, page(doc), replace=True)
    style = output.colour(fmt)
    click.echo(report.write(result, fmt, doc, style=style), nl=False, color=None)
    if result.errors:
        for error in result.errors:
            click.echo(f"error: {error}", err=True)
        click.get_current_context().exit(ExitCode.USAGE)
    if not result.passed:
        click.get_current_context().exit(ExitCode.FINDINGS)
