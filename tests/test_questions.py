"""Tests for tutor.questions: which quantities a solution asks, in order.

Expected lists are read off the problems by hand (ex2: forward z, h, ŷ, the loss, the five
parameter gradients, the five updates; ex1 symbolic: forward formulas and three gradients).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor import catalog, explain
from tutor.questions import questions

FIXTURES = Path(__file__).parent / "fixtures"


def asked(ref: str):
    return questions(explain.solve(catalog.load(ref)))


def test_ex2_asks_every_quantity_in_order():
    keys = [q.key for q in asked("ex2")]
    assert keys == ["z", "h", "yhat", "L", "dL/dw1", "dL/dw2", "dL/db1", "dL/dw3", "dL/db2",
                    "w1'", "w2'", "b1'", "w3'", "b2'"]  # fmt: skip


def test_ex1_asks_the_forward_formulas_and_the_three_gradients():
    keys = [q.key for q in asked("ex1")]
    assert keys == ["z", "yhat", "dL/dw1", "dL/dw2", "dL/db"]


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
    assert [q.kind for q in qs] == ["forward"] * 3 + ["loss"] + ["gradient"] * 4 + ["update"] * 4


def test_a_symbolic_question_carries_its_formula_and_the_names_it_may_use():
    qs = {q.key: q for q in asked("ex1")}
    assert qs["z"].value is None and qs["z"].expr is not None
    assert "z" not in qs["z"].names  # a forward formula may use earlier nodes only
    assert "z" in qs["yhat"].names and "yhat" not in qs["yhat"].names
    assert {"yhat", "z", "x1", "w1"} <= set(qs["dL/dw1"].names)
