"""Tests for tutor.quiz.questions: which quantities a solution asks, in backprop's order.

Expected lists are read off the problems by hand (ex2: forward z, h, ŷ, the loss, the deltas
∂L/∂ŷ, ∂L/∂h, ∂L/∂z from the loss back, the output layer's gradients (w3, b2) before the
hidden layer's, the five updates in the same order and the loss after; ex1 symbolic: forward
formulas, the two deltas and three gradients).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.problems import catalog
from tutor.quiz.questions import questions
from tutor.solutions import explain

FIXTURES = Path(__file__).parent / "fixtures"


def asked(ref: str):
    return questions(explain.solve(catalog.load(ref)))


def test_ex2_asks_every_quantity_in_backprop_order():
    qs = asked("ex2")
    assert [q.key for q in qs] == [
        "z",
        "h",
        "yhat",
        "L",
        "dL/dyhat",
        "dL/dh",
        "dL/dz",
        "dL/dw3",
        "dL/db2",
        "dL/dw1",
        "dL/dw2",
        "dL/db1",
        "w3'",
        "b2'",
        "w1'",
        "w2'",
        "b1'",
        "L'",
    ]
    assert [q.step for q in qs] == ["forward"] * 3 + ["loss"] + ["delta"] * 3 + ["gradient"] * 5 + [
        "update"
    ] * 5 + ["after"]
    # by hand: dL/dŷ = ŷ - y = 4, dL/dh = 4·w3 = 8, dL/dz = 8·ReLU'(3) = 8
    assert [q.value for q in qs[4:7]] == [4, 8, 8]
    # L' = ½(ŷ' - y)² with z' = 0.92 + 2·0.84 - 0.08 = 2.52, ŷ' = 1.88·2.52 - 0.04 = 4.6976
    assert qs[-1].value == pytest.approx(0.5 * (1.88 * 2.52 - 0.04 - 2) ** 2)
    assert all(q.scaffold_of is None for q in qs)
    # skills read off the graph: ŷ = w3·h + b2 is linear, h = ReLU(z), L a squared error
    skills = {q.key: set(q.skills) for q in qs}
    assert skills["L"] == set() and skills["dL/dyhat"] == {"mse'"}
    assert skills["dL/dw3"] == {"mse'", "linear-dw"}
    assert skills["dL/dw1"] == {"mse'", "linear-dx", "relu'", "linear-dw"}
    assert skills["w1'"] == {"sgd"}


def test_ex4_asks_every_output_layer_gradient_before_any_first_layer_gradient():
    keys = [q.key for q in asked("ex4") if q.step == "gradient"]
    output = [k for k in keys if k.startswith(("dC/dW2", "dC/db2"))]
    first = [k for k in keys if k.startswith(("dC/dW1", "dC/db1"))]
    assert len(output) == 3 and len(first) == 8
    assert max(keys.index(k) for k in output) < min(keys.index(k) for k in first)
    deltas = [q.key for q in asked("ex4") if q.step == "delta"]
    assert deltas == ["dC/da2_1", "dC/dz2_1", "dC/da1_1", "dC/da1_2", "dC/dz1_1", "dC/dz1_2"]


def test_ex3_asks_the_loss_after_the_update():
    # ex3: z = w1·x1 + w2·x2 + b against t with L = ½(z - t)², asked after the SGD step
    qs = asked("ex3")
    assert qs[-1].key == "L'" and qs[-1].step == "after"


def test_guided_asks_each_local_factor_before_its_delta_or_gradient():
    keys = [q.key for q in questions(explain.solve(catalog.load("ex2")), guided=True)]
    assert keys[4:11] == ["dL/dyhat", "dyhat/dh", "dL/dh", "dh/dz", "dL/dz", "dyhat/dw3", "dL/dw3"]
    assert keys.count("dz/dw1") == 1


def test_ex1_asks_the_forward_formulas_the_deltas_and_the_three_gradients():
    keys = [q.key for q in asked("ex1")]
    assert keys == ["z", "yhat", "dL/dyhat", "dL/dz", "dL/dw1", "dL/dw2", "dL/db"]


def test_kinds_nodes_and_values_of_a_fixture():
    # relu_zero: z = 1·1 - 1 = 0, h = 0, ŷ = 3·0 + 1/2, L = ½(½ - 1)² = 1/8;
    # dL/dŷ = -1/2: dL/dw2 = -1/2·h = 0, dL/db2 = -1/2, and ReLU'(0) = 0 stops w1 and b1.
    qs = questions(explain.solve(catalog.load(str(FIXTURES / "relu_zero.yaml"))))
    found = {q.key: (q.kind, q.node, q.value) for q in qs}
    assert found["z"] == ("forward", "z", 0)
    assert found["L"] == ("loss", "L", pytest.approx(1 / 8))
    assert found["dL/db2"] == ("gradient", "b2", pytest.approx(-1 / 2))
    assert found["dL/dw1"] == ("gradient", "w1", 0)
    assert found["b2'"] == ("update", "b2", pytest.approx(1 / 2 + 0.1 / 2))
    assert [q.kind for q in qs] == ["forward"] * 3 + ["loss"] + ["delta"] * 3 + ["gradient"] * 4 + [
        "update"
    ] * 4 + ["after"]


def test_a_symbolic_question_carries_its_formula_and_the_names_it_may_use():
    qs = {q.key: q for q in asked("ex1")}
    assert qs["z"].value is None and qs["z"].expr is not None
    assert "z" not in qs["z"].names  # a forward formula may use earlier nodes only
    assert "z" in qs["yhat"].names and "yhat" not in qs["yhat"].names
    assert {"yhat", "z", "x1", "w1"} <= set(qs["dL/dw1"].names)
