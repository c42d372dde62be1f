"""The shape of the code: a pipeline that runs one way, and what each command imports.

docs/architecture.md draws the pipeline; these tests keep the code to it.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "marker_tool"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name: str) -> bool:
    relative = Path(*name.split("."))
    return (ROOT / relative).with_suffix(".py").is_file() or (ROOT / relative).is_dir()


def imports_of(path: Path) -> set[str]:
    """Every marker_tool module `path` imports, at any depth of the code (lazy ones too)."""
    found: set[str] = set()
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [base]
            names += [f"{base}.{alias.name}" for alias in node.names]
        for name in names:
            if name.startswith("marker_tool") and is_module(name):
                found.add(name)
    # Importing a.b.c runs a/__init__ and a/b/__init__ too; a package's face that
    # re-exports its own modules is no layer above them, so a module's own packages
    # are not counted (a module importing its package's face by name still is).
    parts = module_name(path).split(".")
    own = {".".join(parts[:i]) for i in range(2, len(parts))}
    for imported in list(found):
        parts = imported.split(".")
        found.update(".".join(parts[:i]) for i in range(2, len(parts)))
    found -= own - {n for n in found if n in names_imported(path)}
    found.discard("marker_tool")
    found.discard(module_name(path))
    return found


def names_imported(path: Path) -> set[str]:
    """The modules `path` names in an import statement (`from a.b import c` names `a.b`)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def import_graph() -> dict[str, set[str]]:
    return {module_name(p): imports_of(p) for p in sorted(PACKAGE.rglob("*.py"))}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for other in sorted(graph.get(node, ())):
            if state.get(other) == 1:
                return [*stack[stack.index(other) :], other]
            if other not in state and (cycle := visit(other)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_circle_among_modules_lazy_imports_included() -> None:
    graph = import_graph()
    assert "marker_tool.render" in graph["marker_tool.i18n_workflow"]  # the graph is real
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_runtime_catalog_code_knows_nothing_of_rendering() -> None:
    graph = import_graph()
    for module in ("marker_tool.i18n.catalogs", "marker_tool.i18n.sections"):
        assert "marker_tool.render" not in graph[module]


def test_rules_and_the_validator_never_touch_a_file_system() -> None:
    for name in ("rules.py", "document.py"):
        tree = ast.parse((PACKAGE / name).read_text(encoding="utf-8"))
        used = {
            f"{node.value.id}.{node.attr}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
        }
        assert not used & {"os.stat", "os.lstat", "os.path", "Path.stat", "os.open"}, name
        assert "open(" not in (PACKAGE / name).read_text(encoding="utf-8")
    source = (PACKAGE / "validate.py").read_text(encoding="utf-8")
    validator = source[source.index("class Validator") : source.index("def read_marker")]
    assert "stat" not in validator
    assert "open(" not in validator


COMMANDS = [
    ["path", "--layout", "deb", "--python", "3.12"],
    ["layouts"],
    ["validate", "tests/markers/valid/debian-bookworm.EXTERNALLY-MANAGED"],
    ["preview", "tests/markers/valid/debian-bookworm.EXTERNALLY-MANAGED"],
    ["check", "tests/markers/valid"],  # a tree: debian_inspector only for a .deb's control
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: a[0])
def test_light_commands_import_neither_jinja_nor_babel(args: list[str]) -> None:
    code = (
        "import sys\n"
        "from marker_tool.cli import main\n"
        f"sys.argv = ['marker-tool', *{args!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & "
        "{'jinja2', 'babel', 'debian_inspector'})\n"
        "print(heavy, file=sys.stderr)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stderr.strip().splitlines()[-1] == "[]"


def test_debian_inspector_is_imported_by_one_module_only() -> None:
    pattern = re.compile(r"^\s*(from|import) debian_inspector\b", re.MULTILINE)
    importers = [
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert importers == ["integrations/debian.py"]
