"""Tests for the layer shorthand (tutor.registry.layers): a `network:` block becomes scalar equations.

Expected values are worked by hand in exact decimals."""

from __future__ import annotations

import pytest

from tutor.engine import scalar as engine
from tutor.errors import ProblemError
from tutor.problems.loader import load_problem

NETWORK = """id: one_layer
title: {{en: One layer, zh: 一层}}
statement: {{en: One unit., zh: 一个单元。}}
network:
  inputs: [2, -3]
  layers:
    - weights: [[0.5, 1]]
      bias: [0.25]
      activation: {activation}
  targets: [1]
  loss: half_squared_error
"""


def write(tmp_path, activation: str):
    path = tmp_path / "net.yaml"
    path.write_text(NETWORK.format(activation=activation), encoding="utf-8")
    return path


def test_a_leaky_relu_layer_by_hand(tmp_path):
    # z = 0.5·2 + 1·(-3) + 0.25 = -1.75; a = 0.01·z = -0.0175; L = (a - 1)²/2 = 0.517653125
    # dL/dW1_1_1 = (a - 1)·0.01·x1 = -1.0175·0.01·2 = -0.02035; dL/db1_1 = -0.010175
    solution = engine.solve(load_problem(write(tmp_path, "leaky_relu")))
    values = {s.name: s.value for s in solution.forward}
    assert values["z1_1"] == -1.75 and values["a1_1"] == -0.0175
    assert solution.loss == 0.517653125
    assert solution.node_grads["W1_1_1"] == pytest.approx(-0.02035, rel=1e-15)
    assert solution.node_grads["W1_1_2"] == pytest.approx(0.030525, rel=1e-15)
    assert solution.node_grads["b1_1"] == pytest.approx(-0.010175, rel=1e-15)


def test_an_unknown_activation_names_the_registry_s(tmp_path):
    with pytest.raises(
        ProblemError,
        match="one of sigmoid, relu, tanh, softplus, leaky_relu, elu, gelu, silu, linear, softmax",
    ):
        load_problem(write(tmp_path, "swish"))


WIDE = """id: wide
title: {en: Wide, zh: 宽}
statement: {en: Twelve inputs., zh: 十二个输入。}
network:
  inputs: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
  layers:
    - weights: [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1]]
      bias: [0.5, -0.5]
      activation: tanh
    - weights: [[1, 2]]
      activation: linear
    - weights: [[3]]
      activation: sigmoid
  targets: [1]
  loss: binary_cross_entropy
"""


def test_generated_equations_are_what_the_parser_reads(tmp_path, monkeypatch):
    # Built from the layer data without parsing (x10 sorts before x2, a layer without bias,
    # a one-input layer); each must be the very expression the parser makes of its text.
    from tutor.language import expr as parser
    from tutor.registry.functions import symbol

    path = tmp_path / "wide.yaml"
    path.write_text(WIDE, encoding="utf-8")
    parsed = []
    original = parser.parse
    monkeypatch.setattr(parser, "parse", lambda *a, **k: parsed.append(a[0]) or original(*a, **k))
    problem = load_problem(path)
    assert parsed == [problem.graph[-1].text]  # only the loss is parsed
    names = {n: symbol(n) for n in [*problem.leaves, *(eq.name for eq in problem.graph)]}
    for eq in problem.graph:
        expected = original(eq.text, names, max_length=10**6)
        assert eq.expr == expected and eq.expr.args == expected.args, eq.name
        assert hash(eq.expr) == hash(expected)
