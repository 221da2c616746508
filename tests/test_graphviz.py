"""Tests for tutor.views.graph: the DOT text is well formed and carries values and gradients."""

from __future__ import annotations

import re

from tutor.problems import catalog
from tutor.solutions import explain
from tutor.views.graph import dot, quote

NODE = re.compile(r'^  (n\d+) \[label="((?:[^"\\]|\\.)*)", (.*)\];$')
EDGE = re.compile(r"^  (n\d+) -> (n\d+);$")


def parse(text: str):
    """A minimal DOT reader for what dot() writes: statements, nodes, edges."""
    lines = text.strip().splitlines()
    assert lines[0].startswith("digraph ") and lines[0].endswith("{")
    assert lines[-1] == "}"
    nodes, edges = {}, []
    for line in lines[1:-1]:
        if m := NODE.match(line):
            nodes[m.group(1)] = m.group(2)
        elif m := EDGE.match(line):
            edges.append((m.group(1), m.group(2)))
        else:
            assert line.strip().endswith(";"), line
    return nodes, edges


def test_ex4_graph_has_every_name_value_and_gradient():
    problem = catalog.load("ex4")
    nodes, edges = parse(dot(explain.solve(problem)))
    assert len(nodes) == len(problem.leaves) + len(problem.graph)
    labels = {label.split("\\n")[0].split(" = ")[0]: label for label in nodes.values()}
    assert set(labels) == set(problem.leaves) | {eq.name for eq in problem.graph}
    assert "value 0.588" in labels["a2_1"] and "grad -0.8" in labels["a2_1"]
    assert labels["C"].startswith("C = (a2_1 - y)^2")
    ids = {label.split("\\n")[0].split(" = ")[0]: i for i, label in nodes.items()}
    assert (ids["a2_1"], ids["C"]) in edges and (ids["W1_1_1"], ids["z1_1"]) in edges
    assert all(a in nodes and b in nodes for a, b in edges)
    # z1_i: 3 weights, 3 inputs, 1 bias; a1_i: 1; z2_1: 2 weights, 2 units, 1 bias; a2_1; C: a, y
    assert len(edges) == 2 * 7 + 2 * 1 + 5 + 1 + 2


def test_symbolic_problem_has_no_values():
    nodes, _ = parse(dot(explain.solve(catalog.load("ex1"))))
    assert not any("value" in label for label in nodes.values())


def test_quote_escapes():
    assert quote('a "b" \\ c\nd') == '"a \\"b\\" \\\\ c\\nd"'
