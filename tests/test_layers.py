"""Tests for the layer shorthand (tutor.layers): a `network:` block becomes scalar equations.

Expected values are worked by hand in exact decimals."""

from __future__ import annotations

import pytest

from tutor import engine
from tutor.errors import ProblemError
from tutor.loader import load_problem

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
    with pytest.raises(ProblemError, match="one of sigmoid, relu, tanh, softplus, leaky_relu, "
                       "elu, gelu, silu, linear, softmax"):  # fmt: skip
        load_problem(write(tmp_path, "swish"))
