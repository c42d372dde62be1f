"""`check`: markers inside built packages, trees and images (see marker_tool.check)."""

from __future__ import annotations

from pathlib import Path

import click

from marker_tool import output
from marker_tool.cli.options import (
    config_option,
    format_option,
    jobs_option,
    max_decompressed_option,
    parse_pythons,
    strict_option,
)
from marker_tool.errors import ExitCode, MarkerToolError
from marker_tool.model import MiB, PythonVersion
from marker_tool.sources.base import DEFAULT_LIMITS, Limits


@click.command()
@click.argument("paths", nargs=-1, metavar="PATH...")
@click.option(
    "--require-python",
    "require",
    multiple=True,
    callback=parse_pythons,
    metavar="X.Y",
    help="Each system (a build, an image, a tree) must carry a marker for it (repeatable).",
)
@config_option
@format_option()
@click.option(
    "--expect-text",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Every marker must be exactly this file.",
)
@strict_option
@jobs_option
@max_decompressed_option("package")
@click.option(
    "--allow-no-python",
    is_flag=True,
    help="An input that holds no Python stdlib and no marker passes (EM610 is otherwise an "
    "error: nothing was checked).",
)
@click.option(
    "--ignore",
    multiple=True,
    metavar="CODE",
    help="Waive a rule for this run; waived findings are listed, not counted (repeatable).",
)
@click.option(
    "--overrides",
    "overrides",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Waivers a maintainer commits, as lintian's: `# reason`, then "
    "`[PACKAGE: ]CODE [PATH]` (repeatable; e.g. debian/PKG.marker-tool-overrides).",
)
@click.option(
    "--max-members",
    type=click.IntRange(min=1),
    default=DEFAULT_LIMITS.members,
    metavar="N",
    show_default=True,
    help="Members of one package.",
)
@click.option(
    "--xz-memory",
    type=click.IntRange(min=1),
    default=DEFAULT_LIMITS.xz_memory // MiB,
    show_default=True,
    metavar="MIB",
    help="Memory the xz decoder may use.",
)
@click.option(
    "--zstd-window-log",
    type=click.IntRange(min=10, max=31),
    metavar="N",
    default=DEFAULT_LIMITS.zstd_window_log,
    show_default=True,
    help="Largest zstd window (2**N bytes) a package may ask for.",
)
def check(
    *,
    paths: tuple[str, ...],
    require: tuple[PythonVersion, ...],
    config: Path | None,
    expect_text: Path | None,
    fmt: output.Format,
    strict: bool,
    allow_no_python: bool,
    ignore: tuple[str, ...],
    overrides: tuple[Path, ...],
    jobs: int | None,
    max_decompressed: int,
    max_members: int,
    xz_memory: int,
    zstd_window_log: int,
) -> None:
    """Check the markers of whole systems: packages, images, trees.

    PATH: .deb, .rpm, Arch and Alpine packages (given together, they are one
    build), a .changes file or a folder of packages, an image tarball or
    layout (each image is its own system), a tree or root filesystem tarball,
    a marker file named EXTERNALLY-MANAGED. Exit 1 when one fails; 5 when no
    input held anything to check (no Python stdlib, no marker); 2 on a usage
    or input error; 130 when interrupted.
    """
    from marker_tool.check import Expectation, ignore_waivers, read_overrides
    from marker_tool.check import check as run

    if not paths:
        raise MarkerToolError("no packages given", hint="marker-tool check build/*.deb")
    if config is not None and expect_text is not None:
        raise click.UsageError("give -c/--config or --expect-text, not both")
    expect: Expectation | None = None
    if expect_text is not None:
        from marker_tool import safeio

        expect = safeio.read_bytes(expect_text, kind="marker")
    elif config is not None:
        from marker_tool.config import load_config

        expect = load_config(config)
    limits = Limits(
        decompressed=max_decompressed * MiB,
        members=max_members,
        xz_memory=xz_memory * MiB,
        zstd_window_log=zstd_window_log,
    )
    waivers = ignore_waivers(ignore)
    for overrides_file in overrides:
        waivers += read_overrides(str(overrides_file))
    reports = run(
        paths,
        strict=strict,
        require_python=require,
        limits=limits,
        jobs=jobs,
        expect=expect,
        waivers=waivers,
        allow_no_python=allow_no_python,
    )
    style = output.colour(fmt)
    options = output.Options(
        strict=strict, style=style, json_key="packages", summary=True, run="marker-tool check"
    )
    subjects = output.package_subjects(reports)
    click.echo(output.write(subjects, fmt, options), nl=False, color=None)
    failed = [s for s in subjects if s.verdict == "FAILED"]
    if failed and all(output.held_nothing(s) and len(s.findings) == 1 for s in subjects):
        click.get_current_context().exit(ExitCode.NOTHING_CHECKED)
    if failed:
        click.get_current_context().exit(ExitCode.FINDINGS)
