"""Dependencies between ``leadloop``'s parts point one way: no import cycle between them.

A part is a direct child of ``leadloop``: a sub-package (``capture``, ``webhook``, ...) or a
top-level module (``routing``, ``settings``, ...). Every import counts, including ones inside a
function or under ``TYPE_CHECKING``: a lazy import hides a cycle from the interpreter, not from
the design.
"""

from __future__ import annotations

import ast
import itertools
from collections import defaultdict
from pathlib import Path

import leadloop

ROOT = Path(leadloop.__file__).parent

Graph = dict[str, dict[str, list[str]]]


def _part_of(path: Path, root: Path) -> str | None:
    """The part a source file belongs to (None for ``leadloop/__init__.py`` itself)."""
    relative = path.relative_to(root)
    if len(relative.parts) == 1:
        return None if relative.stem == "__init__" else relative.stem
    return relative.parts[0]


def _package_of(path: Path, root: Path) -> list[str]:
    """The dotted name of the package holding ``path`` (what a relative import starts from)."""
    return list(path.relative_to(root.parent).with_suffix("").parts[:-1])


def _imported_parts(node: ast.AST, package: list[str]) -> list[str]:
    """The ``leadloop`` parts one import statement names."""
    if isinstance(node, ast.Import):
        names = [alias.name.split(".") for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
        base = package[: len(package) - node.level + 1] if node.level else []
        module = base + (node.module.split(".") if node.module else [])
        names = [["leadloop", alias.name] for alias in node.names] if module == ["leadloop"] else [module]
    else:
        return []
    return [name[1] for name in names if len(name) > 1 and name[0] == "leadloop"]


def import_graph(root: Path = ROOT) -> Graph:
    """Part → part it imports → the files that do it."""
    graph: Graph = defaultdict(lambda: defaultdict(list))
    for path in sorted(root.rglob("*.py")):
        source = _part_of(path, root)
        if source is None:
            continue
        package = _package_of(path, root)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            for target in _imported_parts(node, package):
                if target != source:
                    graph[source][target].append(str(path.relative_to(root)))
    return graph


def find_cycle(graph: Graph) -> list[str] | None:
    """One import cycle (``[a, b, ..., a]``), or None when the graph is acyclic."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(part: str) -> list[str] | None:
        state[part] = "open"
        stack.append(part)
        for target in sorted(graph.get(part, {})):
            if state.get(target) == "open":
                return [*stack[stack.index(target) :], target]
            if target not in state and (cycle := visit(target)) is not None:
                return cycle
        stack.pop()
        state[part] = "done"
        return None

    for part in sorted(graph):
        if part not in state and (cycle := visit(part)) is not None:
            return cycle
    return None


def _explain(graph: Graph, cycle: list[str]) -> str:
    steps = [f"{a} -> {b} ({', '.join(sorted(set(graph[a][b])))})" for a, b in itertools.pairwise(cycle)]
    return "import cycle between leadloop parts:\n  " + "\n  ".join(steps)


def test_leadloop_parts_import_each_other_without_a_cycle() -> None:
    # Given the import graph of leadloop's sub-packages and top-level modules
    graph = import_graph()
    # When a cycle is looked for
    cycle = find_cycle(graph)
    # Then there is none
    assert cycle is None, _explain(graph, cycle or [])


def test_the_graph_sees_imports_between_parts() -> None:
    # Given the import graph (a walker that found nothing would pass the test above vacuously)
    graph = import_graph()
    # When the webhook's dependencies are read
    webhook_imports = set(graph["webhook"])
    # Then the endpoint's use of the capture service is among them
    assert "capture" in webhook_imports


def test_a_lazy_import_closing_a_loop_is_a_cycle(tmp_path: Path) -> None:
    # Given two parts where one imports the other at the top and the other imports back in a function
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "__init__.py").write_text("from leadloop.b import thing\n")
    (tmp_path / "b.py").write_text("def thing():\n    from leadloop.a import other\n")
    (tmp_path / "c.py").write_text("from leadloop import b\n")
    # When the cycle is looked for
    cycle = find_cycle(_graph_under(tmp_path))
    # Then it is found
    assert cycle == ["a", "b", "a"]


def test_one_way_imports_are_no_cycle(tmp_path: Path) -> None:
    # Given parts that import in one direction only, absolutely and relatively
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "__init__.py").write_text("")
    (tmp_path / "a" / "x.py").write_text("from . import y\nfrom ..b import thing\n")
    (tmp_path / "a" / "y.py").write_text("")
    (tmp_path / "b.py").write_text("import json\n")
    # When the cycle is looked for
    cycle = find_cycle(_graph_under(tmp_path))
    # Then there is none
    assert cycle is None


def _graph_under(tmp_path: Path) -> Graph:
    """The graph of a fake ``leadloop`` package laid out in ``tmp_path``."""
    package = tmp_path / "leadloop"
    package.mkdir()
    for item in list(tmp_path.iterdir()):
        if item != package:
            item.rename(package / item.name)
    (package / "__init__.py").write_text("")
    return import_graph(package)
