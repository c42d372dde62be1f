"""Every example in README.md and docs/ runs as written, and prints what it shows.

The conventions, for whoever writes docs (docs/development.md repeats them):

- A ```` ```console ```` block is a shell session: `$ ` starts a command (a line
  ending in `\\` continues it), the lines after it are its output, compared
  exactly (stdout and stderr together). A line `...` stands for any number of
  lines, and `...` within a line for any text (a path that differs by host).
  A command shown without output must still succeed; one that is meant to
  fail says so at its end: `# exit 1`.
- A ```` ```python ```` block is run; a ```` ```output ```` block right after it
  is what it prints.
- A block whose fence names a file after the language (```` ```toml marker-tool.toml ````)
  is that file: it is written into the session's directory, where later
  commands read it. A rendered page does not show the fence's name, so the
  text between the previous block and this one names the file. A
  ```` ```toml ```` block must name its file, and is loaded and rendered as a
  config (`marker-tool validate --configs`) once the page's commands have run
  (they may make the catalogs it names); one that shows a mistake on purpose
  is marked `<!-- docs-test: invalid -->` and must be refused (exit 2).
- Other blocks (```` ```make ````, ```` ```spec ````, ```` ```yaml ````,
  ```` ```ruby ````, ```` ```sh ````, ```` ```text ````, ```` ```ini ````,
  ```` ```json ````) are shown inside the file they belong to, not run.
- A command runs as a reader pastes it, so every value it needs is on the
  page: a build system's macro or variable (`%{buildroot}`, make's `$(PYVER)`)
  is refused in a command, since no shell expands it; a session sets a shell
  variable instead (`$ buildroot=rpmroot _libdir=/usr/lib64`), and a command
  that only sets variables holds for the rest of the page, as in the reader's
  shell.
- An HTML comment right above a fence directs this test, and says nothing a
  reader needs: `<!-- docs-test: needs dpkg-deb -->` runs the block only
  where that program is (in CI its absence fails), `skip REASON` never runs it
  (the reason is printed), `invalid` is above a config that must be refused.

Each Markdown file is one session: its blocks run in order in one fresh
directory, with `marker-tool` and `python` from this venv on PATH.
`pytest --update-goldens` rewrites the shown output of every command whose
output is shown (not those with a `...`), after a change that is meant.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import marker_tool
from marker_tool.cli import cli
from marker_tool.docs import rules_markdown
from tests.conftest import Goldens
from tests.realprograms import missing

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(?P<lang>[\w-]*)(?:[ \t]+(?P<file>\S+))?[ \t]*$")
DIRECTIVE = re.compile(r"^<!-- docs-test: (?P<what>.*?) -->$")
EXIT = re.compile(r"#\s*exit (?P<status>\d+)\s*$")
#: What a build system expands before a shell sees the line: an RPM macro, a make variable
#: (a command substitution `$(pwd)` is the shell's own, and lower-case).
UNEXPANDED = re.compile(r"%\{[^}]*\}|\$\([A-Z_][A-Z0-9_]*\)")
VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
SUBSTITUTION = re.compile(r"\$\([^()]*\)")
RUN = {"console", "python", "output", "toml"}
SHOWN = {"text", "ini", "json", "make", "spec", "ruby", "yaml", "sh", "jinja", "po"}


@dataclasses.dataclass
class Block:
    """One fenced block of a Markdown file."""

    lang: str
    file: str | None
    #: 1-based line of the opening fence.
    line: int
    #: Index of the first content line, and of the closing fence, in the file's lines.
    start: int
    end: int
    lines: list[str]
    directives: list[str]
    #: The text between the previous block and this one, as a reader sees it (no HTML comments).
    prose: list[str]

    def where(self, path: Path) -> str:
        return f"{path.relative_to(ROOT)}:{self.line}"


def blocks(path: Path) -> list[Block]:
    """The fenced blocks of `path`, with the directives above each."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    index = 0
    after = 0  # the first line after the previous block
    while index < len(lines):
        match = FENCE.match(lines[index])
        if match is None:
            index += 1
            continue
        end = next(i for i in range(index + 1, len(lines)) if lines[i] == "```")
        directives = []
        above = index - 1
        while above >= 0 and (directive := DIRECTIVE.match(lines[above])):
            directives.append(directive["what"])
            above -= 1
        prose = re.sub(r"<!--.*?-->", "", "\n".join(lines[after:index]), flags=re.DOTALL)
        found.append(
            Block(
                match["lang"],
                match["file"],
                index + 1,
                index + 1,
                end,
                lines[index + 1 : end],
                directives,
                prose.splitlines(),
            )
        )
        index = after = end + 1
    return found


@dataclasses.dataclass
class Command:
    text: str
    #: Index in the block's lines of the command's first line.
    first: int
    shown: list[str]
    status: int


def commands(block: Block) -> list[Command]:
    """The `$ ` commands of a console block, each with the output shown after it."""
    found: list[Command] = []
    lines = block.lines
    index = 0
    while index < len(lines):
        line = lines[index]
        assert line.startswith("$ "), f"line {block.line + 1 + index}: output before a command"
        parts = [line[2:]]
        first = index
        while parts[-1].endswith("\\"):
            index += 1
            parts.append(lines[index])
        index += 1
        shown = []
        while index < len(lines) and not lines[index].startswith("$ "):
            shown.append(lines[index])
            index += 1
        text = "\n".join(parts)
        status = EXIT.search(parts[-1])
        found.append(Command(text, first, shown, int(status["status"]) if status else 0))
    return found


def matches(shown: list[str], got: list[str]) -> bool:
    """`got` is `shown`, where a `...` line stands for any lines."""
    if not shown:
        return not got
    if shown[0] == "...":
        return any(matches(shown[1:], got[i:]) for i in range(len(got) + 1))
    return bool(got) and same_line(shown[0], got[0]) and matches(shown[1:], got[1:])


def same_line(shown: str, got: str) -> bool:
    """`got` is `shown`, where `...` within a line stands for any text (a path of this host)."""
    if "..." not in shown:
        return shown == got
    pattern = ".*".join(re.escape(part) for part in shown.split("..."))
    return re.fullmatch(pattern, got) is not None


def sets_variables(command: str) -> bool:
    """Whether `command` only sets shell variables (`PYVER=3.12`, `export A="x y" B=$(pwd)`)."""
    # A command substitution is one word whatever its spaces; shlex does not know them.
    while (inner := SUBSTITUTION.sub("$SUB", command)) != command:
        command = inner
    try:
        words = shlex.split(command, comments=True)
    except ValueError:
        return False
    if words[:1] == ["export"]:
        words = words[1:]
    return bool(words) and all(VARIABLE.match(word) for word in words)


class Session:
    """One Markdown file's examples, run in order in one directory, as in one shell."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        #: The commands so far that set shell variables: a reader's shell keeps them.
        self.variables: list[str] = []
        home = directory / ".home"
        home.mkdir(parents=True)
        venv_bin = str(Path(sys.executable).parent)
        self.env = {
            "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', os.defpath)}",
            "HOME": str(home),
            "LC_ALL": "C.UTF-8",
            "NO_COLOR": "1",
            "COLUMNS": "80",
            "SOURCE_DATE_EPOCH": "1700000000",
            "PYTHONDONTWRITEBYTECODE": "1",
            # The marker_tool these tests import, also where it is not installed in the
            # interpreter (a package build runs the tests from its build directory).
            "PYTHONPATH": str(Path(marker_tool.__file__).resolve().parent.parent),
        }

    def run(self, argv: list[str]) -> tuple[int, list[str]]:
        done = subprocess.run(
            argv,
            cwd=self.directory,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=120,
            check=False,
        )
        return done.returncode, [line.rstrip() for line in done.stdout.splitlines()]

    def shell(self, command: str) -> tuple[int, list[str]]:
        """Run `command` in bash after the variables the page has set, as the reader's shell has."""
        status, got = self.run(["bash", "-c", "\n".join([*self.variables, command])])
        if status == 0 and sets_variables(command):
            self.variables.append(command)
        return status, got


def unseen(block: Block) -> list[str]:
    """What `block` needs that a reader of the rendered page does not see."""
    found = [
        f"`<!-- docs-test: {directive} -->`: say it in the text; a directive is one of "
        "`needs PROGRAM`, `skip REASON`, `invalid`"
        for directive in block.directives
        if not (directive == "invalid" or directive.startswith(("needs ", "skip ")))
    ]
    if block.file is not None and block.file not in "\n".join(block.prose):
        found.append(
            f"a block that is the file `{block.file}`: the text before it names the file "
            "(a rendered page does not show the fence's)"
        )
    if block.lang == "console":
        found += [
            f"`{command.text}`: a shell does not expand "
            f"{', '.join(dict.fromkeys(UNEXPANDED.findall(command.text)))}; set a shell variable "
            "in the session (`$ buildroot=rpmroot`)"
            for command in commands(block)
            if UNEXPANDED.search(command.text)
        ]
    return found


def skipped(block: Block) -> str | None:
    """Why `block` is not run here, or None."""
    for directive in block.directives:
        if directive.startswith("skip"):
            return directive
        if directive.startswith("needs "):
            for program in directive.removeprefix("needs ").split():
                if shutil.which(program) is None:
                    missing(program)
    return None


def run_file(
    path: Path, directory: Path, *, update: bool = False
) -> tuple[list[str], dict[int, list[str]]]:
    """Run every example of `path`; the failures, and the output to write back per line."""
    session = Session(directory)
    failures: list[str] = []
    regenerated: dict[int, list[str]] = {}
    configs: list[tuple[str, str, str, int]] = []
    found = blocks(path)
    for number, block in enumerate(found):
        where = block.where(path)
        known = RUN | SHOWN
        if block.lang not in known:
            failures.append(f"{where}: a ```{block.lang} block; use one of {sorted(known)}")
            continue
        failures += [f"{where}: {problem}" for problem in unseen(block)]
        reason = skipped(block)
        if reason is not None:
            print(f"{where}: not run: {reason}")
            continue
        text = "\n".join(block.lines) + "\n"
        if block.file is not None and block.lang not in {"console", "python", "output"}:
            target = directory / block.file
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        if block.lang == "toml":
            if block.file is None:
                failures.append(f"{where}: a ```toml block names its file: ```toml NAME.toml")
            else:
                wanted = 2 if "invalid" in block.directives else 0
                configs.append((where, block.file, text, wanted))
        elif block.lang == "python":
            status, got = session.run([sys.executable, "-c", text])
            following = found[number + 1] if number + 1 < len(found) else None
            shown = following.lines if following and following.lang == "output" else None
            if status != 0 or (shown is not None and not matches(shown, got)):
                failures.append(f"{where}: exit {status}, printed:\n" + "\n".join(got))
        elif block.lang == "console":
            for command in commands(block):
                status, got = session.shell(command.text)
                line = block.line + 1 + command.first
                elided = any("..." in shown for shown in command.shown)
                if update and command.shown and not elided:
                    regenerated[block.start + command.first] = got
                elif command.shown and not matches(command.shown, got):
                    failures.append(
                        f"{path.relative_to(ROOT)}:{line}: `{command.text}` printed:\n"
                        + "\n".join(got)
                        + "\n  where the doc shows:\n"
                        + "\n".join(command.shown)
                    )
                if status != command.status:
                    failures.append(
                        f"{path.relative_to(ROOT)}:{line}: `{command.text}` exited {status}, "
                        f"not {command.status}:\n" + "\n".join(got)
                    )
    # Configs are rendered last, once the page's commands have made what they name
    # (a catalog directory, a template), each as the page shows it.
    for where, name, text, wanted in configs:
        (directory / name).write_text(text, encoding="utf-8")
        status, got = session.run(["marker-tool", "validate", "--configs", name])
        if status != wanted:
            failures.append(f"{where}: validate --configs exited {status}:\n" + "\n".join(got))
    return failures, regenerated


def rewrite(path: Path, regenerated: dict[int, list[str]]) -> None:
    """Put the new output after each regenerated command (`index`: its first line)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    for index in sorted(regenerated, reverse=True):
        end = index
        while lines[end].endswith("\\"):
            end += 1
        stop = end + 1
        while not lines[stop].startswith("$ ") and lines[stop] != "```":
            stop += 1
        lines[end + 1 : stop] = regenerated[index]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def starts_programs(path: Path) -> bool:
    """Whether `path` has a session to run in bash or a config for the installed `marker-tool`.

    A page with only Python examples runs this interpreter alone.
    """
    return any(
        block.lang in {"console", "toml"}
        and not any(directive.startswith("skip") for directive in block.directives)
        for block in blocks(path)
    )


@pytest.mark.parametrize(
    "path",
    [
        # real: runs the installed `marker-tool` command in bash, as a reader would
        pytest.param(path, marks=[pytest.mark.real] if starts_programs(path) else [])
        for path in DOCS
    ],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_every_example_runs_as_written(path: Path, tmp_path: Path, goldens: Goldens) -> None:
    failures, regenerated = run_file(path, tmp_path, update=goldens.update)
    if regenerated:
        rewrite(path, regenerated)
    assert not failures, "\n\n".join(failures)


def test_the_rules_page_is_the_registry(goldens: Goldens) -> None:
    rules = rules_markdown()
    assert "[EM601]" in rules  # check's codes are in the registry too
    goldens.check(ROOT / "docs" / "rules.md", rules)


def test_check_md_lists_every_format_the_registry_reads(goldens: Goldens) -> None:
    from marker_tool.docs import FORMATS_BEGIN, with_formats

    page = ROOT / "docs" / "check.md"
    text = page.read_text(encoding="utf-8")
    assert FORMATS_BEGIN in text
    assert with_formats(text) == text or goldens.update, (
        "docs/check.md's list of formats is not the registry's: regenerate `docs/check.md`'s "
        "list of formats (docs/extending.md, A new archive format, step 4): "
        "pytest --update-goldens tests/test_docs.py"
    )
    goldens.check(page, with_formats(text))


@pytest.mark.real  # dpkg-deb builds the package checked
def test_the_json_schemas_are_the_registry_and_check_real_output(
    goldens: Goldens, tmp_path: Path
) -> None:
    import json

    import jsonschema

    from marker_tool.docs import schemas
    from tests.packages import build_deb, stdlib_tree

    for name, text in schemas().items():
        goldens.check(ROOT / "docs" / name, text)
    marker = tmp_path / "EXTERNALLY-MANAGED"
    marker.write_bytes(b"[externally-managed]\nerror = x\n")
    deb = build_deb(stdlib_tree("usr/lib/python3.13", marker=None), tmp_path / "p.deb")
    runner = CliRunner()
    for command, path, name in (("validate", marker, "validate"), ("check", deb, "check")):
        document = json.loads(runner.invoke(cli, [command, "--format", "json", str(path)]).output)
        schema = json.loads(schemas()[f"schema/{name}.schema.json"])
        jsonschema.validate(document, schema)
        assert document[("files", "packages")[name == "check"]][0]["findings"], document
    wrong = {**document, "version": 2}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(wrong, schema)


#: The artifact directory the CI snippets of docs/packaging.md check.
ARTIFACTS = "debs/"
#: A check line of a CI snippet: a GitHub step (`- run: ...`), a GitLab script item, a script line.
CI_CHECK = re.compile(r"^\s*(?:-\s+)?(?:run:\s+)?(?P<command>marker-tool check\b.*)$")


def ci_checks() -> dict[str, list[str]]:
    """The `marker-tool check` lines of each CI snippet of docs/packaging.md, by its file.

    A check under GitLab's `after_script` (whose status GitLab ignores) is marked so.
    """
    path = ROOT / "docs" / "packaging.md"
    found: dict[str, list[str]] = {}
    for block in blocks(path):
        if block.lang not in {"yaml", "sh"}:
            continue
        after: int | None = None  # the indentation of `after_script:`, while inside it
        for line in block.lines:
            indent = len(line) - len(line.lstrip())
            if after is not None and line.strip() and indent <= after:
                after = None
            if line.strip() == "after_script:":
                after = indent
            assert not re.search(r"continue-on-error|allow_failure", line), (
                f"{block.where(path)}: a CI snippet that lets a failed check pass: {line.strip()}"
            )
            if "marker-tool check" not in line:
                continue
            match = CI_CHECK.match(line)
            assert match, f"{block.where(path)}: a check line this test cannot read: {line}"
            command = match["command"]
            found.setdefault(str(block.file), []).append(
                f"{command}  # after_script" if after is not None else command
            )
    return found


@pytest.mark.real  # bash runs each line as the CI's does; dpkg-deb builds the good package
def test_the_ci_snippets_fail_on_an_empty_artifact_directory(tmp_path: Path) -> None:
    from tests.packages import build_deb, stdlib_tree

    snippets = ci_checks()
    assert set(snippets) == {".github/workflows/packages.yml", ".gitlab-ci.yml"}
    for name, checks in snippets.items():
        assert any(not check.endswith("# after_script") for check in checks), (
            f"{name}: no check whose status is the job's"
        )
    session = Session(tmp_path / "job")
    artifacts = session.directory / ARTIFACTS
    artifacts.mkdir()
    good = artifacts / "libpython3.12-stdlib_3.12.1-1_amd64.deb"
    for name, checks in snippets.items():
        for check in checks:
            command = check.removesuffix("  # after_script")
            assert ARTIFACTS in shlex.split(command), f"{name}: `{command}` checks no `{ARTIFACTS}`"
            # As a `run:` step's default shell runs it: bash -e, no pipefail, so a pipe or an
            # `|| true` after the check would pass here.
            good.unlink(missing_ok=True)
            status, got = session.run(["bash", "-e", "-c", command])
            assert status == 5, (
                f"{name}: `{command}` on an empty {ARTIFACTS} exited {status}, not 5 "
                "(EM610, nothing checked):\n" + "\n".join(got)
            )
            build_deb(stdlib_tree("usr/lib/python3.12"), good)
            status, got = session.run(["bash", "-e", "-c", command])
            assert status == 0, (
                f"{name}: `{command}` on a good package exited {status}:\n" + "\n".join(got)
            )


def test_no_indented_code_blocks() -> None:
    """Every example is fenced, so none escapes the test above."""
    for path in DOCS:
        inside = False
        previous = ""
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.startswith("```"):
                inside = not inside
            elif not inside:
                assert not (line.startswith("    ") and not previous.strip()), (
                    f"{path.name}:{number}: an indented code block; fence it"
                )
            previous = line


def run_elsewhere(doc: Path, root: Path) -> list[str]:
    """`run_file` on a page outside the repository, its paths reported relative to `root`."""
    global ROOT  # noqa: PLW0603 - the runner reports paths relative to it
    saved, ROOT = ROOT, root
    try:
        failures, _ = run_file(doc, root / "run")
    finally:
        ROOT = saved
    return failures


@pytest.mark.real  # the sessions run in bash
def test_the_session_runner_compares_what_it_shows(tmp_path: Path) -> None:
    doc = tmp_path / "x.md"
    doc.write_text(
        "```console\n$ echo one; echo two; echo /a/b/c\none\n...\n/a/.../c\n"
        "$ false  # exit 1\n$ echo three\nfour\n```\n"
    )
    failures = run_elsewhere(doc, tmp_path)
    assert len(failures) == 1
    assert "`echo three` printed" in failures[0]


@pytest.mark.real  # the sessions run in bash
def test_the_session_runner_runs_what_a_reader_pastes_and_nothing_hidden(tmp_path: Path) -> None:
    doc = tmp_path / "x.md"
    doc.write_text(
        "<!-- docs-test: with %{buildroot}=root -->\n"
        "```console\n$ echo %{buildroot} $(PYVER) $(pwd)\n...\n```\n\n"
        "A file whose name only the fence says:\n\n```text notes.txt\nx\n```\n\n"
        "Values with spaces, and a command substitution, set in the session:\n\n"
        '```console\n$ A="/opt/my brew" B=$(echo a b)  # two values\n'
        '$ echo "$A|$B"\n/opt/my brew|a b\n```\n\n'
        '```console\n$ export C=3\n$ echo "$A $C"\n/opt/my brew 3\n```\n'
    )
    failures = run_elsewhere(doc, tmp_path)
    assert len(failures) == 3, failures
    directive, unexpanded, unnamed = failures
    assert "docs-test: with %{buildroot}=root" in directive
    assert "a shell does not expand %{buildroot}, $(PYVER);" in unexpanded
    assert "the file `notes.txt`: the text before it names the file" in unnamed
