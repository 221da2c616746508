"""The layers are a contract: `make lint` runs lint-imports on pyproject's layers contract
(no module imports from a layer above its own); this file keeps the rest of the rule: every
package and top-level module has its place in that list, and no import cycle anywhere
(inside a layer too), reading imports as grimp (import-linter's graph) sees them."""

from __future__ import annotations

from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _contract() -> dict:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (contract,) = config["tool"]["importlinter"]["contracts"]
    return contract


def _graph():
    return grimp.build_graph("tutor", exclude_type_checking_imports=True)


def _cycles(graph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    modules = sorted(graph.modules)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m) - {m}) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found = []
    for start in modules:
        if start in index:
            continue
        work = [(start, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on.add(node)
            for j in range(i, len(edges[node])):
                child = edges[node][j]
                if child not in index:
                    work += [(node, j + 1), (child, 0)]
                    break
                if child in on:
                    low[node] = min(low[node], index[child])
            else:
                if low[node] == index[node]:
                    component = []
                    while True:
                        top = stack.pop()
                        on.discard(top)
                        component.append(top)
                        if top == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
    return found


def test_every_package_and_module_has_a_layer():
    placed = set(_contract()["layers"])
    tutor = ROOT / "tutor"
    top = {f"tutor.{p.stem}" for p in tutor.glob("*.py") if p.stem != "__init__"}
    top |= {f"tutor.{p.name}" for p in tutor.iterdir() if (p / "__init__.py").exists()}
    top.discard("tutor.catalogue")  # data (the installed problems), not code
    assert top == placed


def test_no_import_cycle():
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_one():
    """The oracle for the finder: a graph with a cycle of three and one of two."""
    graph = grimp.ImportGraph()
    for a, b in [("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.d", "p.e"), ("p.e", "p.d")]:
        graph.add_import(importer=a, imported=b)
    graph.add_import(importer="p.f", imported="p.a")
    assert sorted(_cycles(graph)) == [["p.a", "p.b", "p.c"], ["p.d", "p.e"]]
