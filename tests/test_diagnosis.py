"""Tests for tutor.quiz.diagnosis (the usual mistakes, error carried forward) and the engine
function it computes through, `engine.evaluate_with`.

Expected values are derived by hand (seed 000's worked ex2: z = 3, h = 3, ŷ = 6, L = 8,
gradients 8, 16, 8, 12, 4; the relu_zero fixture: z = 0, h = 0, ŷ = 1/2, dL/dŷ = -1/2) and
from an independent NumPy formula written here, never from the engine itself.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from tutor.engine import scalar as engine
from tutor.model.quiz import Grade, Question
from tutor.problems import catalog
from tutor.quiz.diagnosis import Diagnosis, scaled
from tutor.quiz.session import Session
from tutor.registry.functions import symbol
from tutor.solutions import explain

FIXTURES = Path(__file__).parent / "fixtures"
TUTOR = Path(__file__).parent.parent / "tutor"


@pytest.fixture(scope="module")
def ex2():
    return catalog.load("ex2")


@pytest.fixture(scope="module")
def relu_zero():
    problem = catalog.load(str(FIXTURES / "relu_zero.yaml"))
    return explain.solve(problem), engine.build_graph(problem)


def question(session: Session, key: str):
    return next(q for q in session.questions if q.key == key)


def grade(session: Session, key: str, text: str) -> Grade:
    return session.grade(question(session, key), text)


# -- engine.evaluate_with ------------------------------------------------------------------------


def test_nodes_and_factors_with_other_values_put_in(relu_zero):
    _, graph = relu_zero
    # relu_zero: h = relu(z), ŷ = w2·h + b2 with w2 = 3, b2 = 1/2
    values = {"z": -2.0, "h": 2.0, "w2": 3.0, "b2": 0.5}
    h, yhat, dyhat_dh, dh_dz = engine.evaluate_with(
        graph, ["h", "yhat", ("yhat", "h"), ("h", "z")], values
    )
    assert h == 0  # relu(-2): from the z given, not the h given
    assert yhat == 6.5  # 3·2 + 1/2, from the h given: nothing is propagated
    assert dyhat_dh == 3
    assert dh_dz == 0  # step(-2)
    assert engine.evaluate_with(graph, [("h", "z")], {"z": 0.5}) == [1]


def test_an_expression_at_many_points_at_once():
    x, y = symbol("x"), symbol("y")
    xs, ys = np.array([-1.0, 0.0, 2.0]), np.array([3.0, 1.0, 0.5])
    [out] = engine.evaluate_with(None, [x**2 * y + sp.exp(y)], {"x": xs, "y": ys})
    assert out == pytest.approx(xs**2 * ys + np.exp(ys))


def test_each_expression_is_lambdified_once(monkeypatch):
    calls = []
    real = sp.lambdify

    def counting(*args, **kwargs):
        calls.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(engine.sp, "lambdify", counting)
    x = symbol("x")
    expr = x**3 - 7 * x  # an expression no other test uses
    assert [float(engine.evaluate_with(None, [expr], {"x": v})[0]) for v in (1.0, 2.0, 3.0)] == [
        -6.0,
        -6.0,
        6.0,
    ]
    assert calls == [expr]


def test_only_the_engine_lambdifies():
    callers = [
        str(p.relative_to(TUTOR))
        for p in TUTOR.rglob("*.py")
        if "lambdify(" in p.read_text(encoding="utf-8")
    ]
    assert callers and all(c.startswith("engine/") for c in callers), callers  # the engine package


# -- the diagnosis on a fixture --------------------------------------------------------------------


def test_the_activation_left_out_at_relu_zero(relu_zero):
    solution, graph = relu_zero
    d = Diagnosis(solution, graph)
    q = Question("dL/dw1", "gradient", "w1", 0.0)
    found = {m[0]: m[1] for m in d.mistakes(q)[3:]}
    # without ReLU'(0) = 0: dL/dŷ · w2 · x1 = (1/2 - 1)·3·1
    assert found["activation"] == pytest.approx(-1.5)
    # h is post-activation: with the pre-activation z = 0 in its place nothing changes
    assert found["pre-for-post"] == 0
    assert d.activation("h") == "z" and d.activation("yhat") is None


def test_carried_forward_from_a_students_own_h(relu_zero):
    solution, graph = relu_zero
    d = Diagnosis(solution, graph)
    yhat = Question("yhat", "forward", "yhat", 0.5)
    assert d.carried(yhat, {}) is None  # nothing of theirs goes into ŷ
    assert d.carried(yhat, {"h": 1.0}) == pytest.approx(3.5)  # 3·1 + 1/2
    grad = Question("dL/dw2", "gradient", "w2", 0.0)
    # dL/dw2 = (ŷ - y)·h with their h = 1 and their ŷ = 3.5: 2.5·1
    assert d.carried(grad, {"h": 1.0, "yhat": 3.5}) == pytest.approx(2.5)
    update = Question("w2'", "update", "w2", 3.0)
    assert d.carried(update, {"L/w2": 2.0}) == pytest.approx(3 - 0.1 * 2)


def test_sign_and_factor_2_from_the_value_alone():
    assert scaled(8) == [("sign", -8), ("factor2", 16), ("factor2", 4)]
    assert [name for name, _ in scaled(8, halved=True)] == ["sign", "factor2-half", "factor2-half"]


# -- the diagnosis in a quiz: ex2 by hand ---------------------------------------------------------


@pytest.mark.parametrize(
    "key, text, mistake",
    [
        ("dL/dw1", "-8", "sign"),
        ("L", "16", "factor2-half"),  # the ½ of the squared error forgotten
        ("dL/db2", "8", "factor2-half"),  # 2(ŷ - y) instead of ŷ - y
        ("yhat", "12", "factor2"),  # doubled, but ŷ has no ½ to forget
    ],
)
def test_common_mistakes_are_named(ex2, key, text, mistake):
    g = grade(Session(ex2), key, text)
    assert (g.verdict, g.mistake) == ("wrong", mistake)
    assert g.credit == 0
    if key == "yhat":
        assert "½" not in g.feedback.en


def _relu_problem(ex2, **params):
    """ex2 with other parameters (exact rationals), for cases the seed does not cover."""
    new = {k: sp.Rational(v) for k, v in {**ex2.params, **params}.items()}
    return dataclasses.replace(ex2, params=new, published=())


def test_activation_derivative_left_out_with_an_inactive_relu(ex2):
    # z = 1 + 2 - 4 = -1 < 0: h = 0, ŷ = b2 = 0, L = 2; dL/dw1 = 0 because ReLU'(z) = 0.
    s = Session(_relu_problem(ex2, b1=-4))
    assert question(s, "dL/dw1").value == 0
    # without the step factor: (ŷ - y)·w3·x1 = (0 - 2)·2·1 = -4
    g = grade(s, "dL/dw1", "-4")
    assert (g.verdict, g.mistake) == ("wrong", "activation")
    # forward: h asked, z's value -1 given: the activation was not applied
    g = grade(s, "h", "-1")
    assert (g.verdict, g.mistake) == ("wrong", "activation-forward")


def test_pre_activation_used_for_the_post_activation(ex2):
    # b1 = -4: z = -1, h = 0. Using z for h in ŷ = w3·h + b2 gives 2·(-1) = -2 (exact 0).
    s = Session(_relu_problem(ex2, b1=-4))
    g = grade(s, "yhat", "-2")
    assert (g.verdict, g.mistake) == ("wrong", "pre-for-post")
    # dL/dw3 = (ŷ - y)·h = (0 - 2)·0 = 0; with z for h: (-2)·(-1) = 2
    g = grade(s, "dL/dw3", "2")
    assert (g.verdict, g.mistake) == ("wrong", "pre-for-post")


def test_post_activation_used_for_the_pre_activation_with_sigmoid():
    s = Session(catalog.load("ex4"))
    v = {st.name: st.value for st in s.solution.forward}
    a, y = v["a2_1"], 1.0
    sig = 1 / (1 + np.exp(-a))
    # dC/db2_1 = 2(a - y)·a(1 - a); the mistake evaluates σ' at a: σ(a)(1 - σ(a))
    wrong = 2 * (a - y) * sig * (1 - sig)
    g = grade(s, "dC/db2_1", f"{wrong:.6f}")
    assert (g.verdict, g.mistake) == ("wrong", "post-for-pre")
    # the sigmoid's derivative left out: 2(a - y)
    g = grade(s, "dC/db2_1", f"{2 * (a - y):.6f}")
    assert (g.verdict, g.mistake) == ("wrong", "activation")


def test_error_carried_forward_gets_half_credit(ex2):
    s = Session(ex2)
    assert grade(s, "z", "4").verdict == "wrong"
    g = grade(s, "h", "4")  # ReLU applied correctly to their own z
    assert (g.verdict, g.credit) == ("carried", 0.5)
    assert "3" in g.exact
    g = grade(s, "yhat", "8")  # w3·4 + 0
    assert g.verdict == "carried"
    g = grade(s, "L", "18")  # ½(8 - 2)²
    assert g.verdict == "carried"
    g = grade(s, "dL/dw3", "24")  # (8 - 2)·4
    assert g.verdict == "carried"
    g = grade(s, "dL/dw3", "12")  # the exact answer is still right
    assert g.verdict == "right"


def test_carried_forward_into_the_update(ex2):
    s = Session(ex2)
    assert grade(s, "dL/dw1", "10").verdict == "wrong"
    g = grade(s, "w1'", "0.9")  # 1 - 0.01·10
    assert g.verdict == "carried"


def test_after_a_correct_rounded_answer_later_steps_use_the_exact_value():
    s = Session(catalog.load("ex4"))
    assert grade(s, "z1_1", "-0.9").verdict == "right"
    assert grade(s, "a1_1", "0.29").verdict == "right"
    # nothing was carried: the next wrong answer is plainly wrong
    assert grade(s, "a1_2", "0.5").verdict == "wrong"


def test_symbolic_mistakes_are_named():
    s = Session(catalog.load("ex1"))
    assert grade(s, "dL/dw1", "(y - yhat)*x1").mistake == "sign"
    assert grade(s, "dL/dw1", "2*(yhat-y)*x1").mistake == "factor2"
