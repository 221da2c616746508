"""Tests for tutor.views.graph: the DOT text is well formed and carries values and gradients."""

from __future__ import annotations

import io
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


# --------------------------------------------------------------------------- tensor problems
# Shapes by hand from the statements. ex18: W1 is 4×3 and x a 3-vector, so z1 = W1 x + b1 and
# a1 are 4×1; W2 is 3×4, so z2 and p are 3×1; the loss is a scalar. ex21: a 1×5×5 image and a
# 1×1×2×2 kernel (stride 1) give a 1×4×4 map z; 2×2 pooling halves it to 1×2×2; wm is 1×4.
EX18 = {
    "x": "3×1",
    "y": "3×1",
    "W1": "4×3",
    "b1": "4×1",
    "W2": "3×4",
    "b2": "3×1",
    "z1": "4×1",
    "a1": "4×1",
    "z2": "3×1",
    "p": "3×1",
    "L": "scalar",
}
EX21 = {"x": "1×5×5", "K": "1×1×2×2", "z": "1×4×4", "m": "1×2×2", "v": "1×2×2", "wm": "1×4"}


def _tensor_solution(pid: str):
    from tutor.engine import matrix_solve

    return matrix_solve.solve(catalog.load(pid))


def test_a_tensor_graph_draws_each_node_with_its_shape_and_edges_from_the_equations():
    from tutor.views.graph import tensor_dot

    nodes, edges = parse(tensor_dot(_tensor_solution("ex18")))
    by_name = {label.split("\\n")[0].split(" = ")[0]: n for n, label in nodes.items()}
    assert set(by_name) == set(EX18)
    for name, shape in EX18.items():
        assert f"\\n[{shape}]" in nodes[by_name[name]], (name, nodes[by_name[name]])
    assert nodes[by_name["z1"]].startswith("z1 = W1 x + b1\\n[4×1]")
    names = {n: name for name, n in by_name.items()}
    assert {(names[a], names[b]) for a, b in edges} == {
        ("W1", "z1"),
        ("x", "z1"),
        ("b1", "z1"),
        ("z1", "a1"),
        ("W2", "z2"),
        ("a1", "z2"),
        ("b2", "z2"),
        ("z2", "p"),
        ("y", "L"),
        ("p", "L"),
    }
    # a small tensor shows its numbers: x = (1, 0.5, −1) as given; y's one-hot (0, 1, 0)
    assert "[1, 0.5, −1]" in nodes[by_name["x"]] and "[0, 1, 0]" in nodes[by_name["y"]]


def test_a_tensor_graph_in_the_terminal_in_english_and_chinese():
    from rich.console import Console

    from tutor.views.graph import tree

    solution = _tensor_solution("ex21")
    texts = {}
    for lang in ("en", "zh"):
        console = Console(width=200, color_system=None, file=io.StringIO())
        console.print(tree(solution, lang))
        texts[lang] = console.file.getvalue()
    for name, shape in EX21.items():
        assert re.search(rf"\b{name}\b[^\n]*\[{shape}\]", texts["en"]), name
    assert "z = conv2d_bias(x, K, b)  [1×4×4]" in texts["en"]
    assert "z (shown above)" in texts["en"] and "z （见上）" in texts["zh"]  # read by m and v
    ex18 = Console(width=200, color_system=None, file=io.StringIO())
    ex18.print(tree(_tensor_solution("ex18"), "zh"))
    assert "[标量]" in ex18.file.getvalue() and "梯度" in ex18.file.getvalue()
