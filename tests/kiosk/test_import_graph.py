"""The kiosk package's import graph: no circles, the visit core imports no journey, and no
journey reaches into another module's private names."""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]


def cycles(graph: grimp.ImportGraph, package: str) -> list[list[str]]:
    """Every import circle among the package's modules (Tarjan's strongly connected
    components of more than one module, or a module importing itself)."""
    modules = sorted(m for m in graph.modules if m == package or m.startswith(package + "."))
    edges = {m: sorted(graph.find_modules_directly_imported_by(m) & set(modules)) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in edges[v]:
                found.append(sorted(component))

    for m in modules:
        if m not in index:
            connect(m)
    return found


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("kiosk", "ui", "devices", "voice", "hall")


@pytest.mark.parametrize("package", ["kiosk", "ui", "devices", "voice"])
def test_no_import_circles(graph: grimp.ImportGraph, package: str) -> None:
    assert cycles(graph, package) == []


def test_the_cycle_finder_finds_a_circle() -> None:
    g = grimp.ImportGraph()
    for m in ("p", "p.a", "p.b", "p.c"):
        g.add_module(m)
    g.add_import(importer="p.a", imported="p.b")
    g.add_import(importer="p.b", imported="p.a")
    g.add_import(importer="p.c", imported="p.a")
    assert cycles(g, "p") == [["p.a", "p.b"]]


def test_the_visit_core_imports_no_journey(graph: grimp.ImportGraph) -> None:
    journeys = {m for m in graph.modules if m.startswith("kiosk.journeys")} | {"kiosk.flow"}
    for module in journeys:
        assert not graph.chain_exists(importer="kiosk.visit", imported=module), module


def private_uses(path: Path) -> list[str]:
    """``x._name`` where ``x`` is not ``self``/``cls`` (someone else's private name)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
        ):
            found.append(f"{path.name}:{node.lineno} {ast.unparse(node)}")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "getattr"
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and str(node.args[1].value).startswith("_")
        ):
            found.append(f"{path.name}:{node.lineno} {ast.unparse(node)}")
    return found


def test_journeys_use_only_public_names() -> None:
    files = [ROOT / "kiosk/visit.py", ROOT / "kiosk/flow.py", ROOT / "kiosk/print_jobs.py"]
    files += sorted((ROOT / "kiosk/journeys").glob("*.py"))
    assert [use for f in files for use in private_uses(f)] == []
