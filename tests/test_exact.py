"""Exact values where the problem is exact: no binary round-off the exact inputs do not have.

Oracle: the fixture exact_zero.yaml worked by hand in decimal arithmetic (w = (0.4, 0.3),
x = (0.5, −1), b = 0.1, y = 0.3, η = 0.1):
    z = 0.2 − 0.3 + 0.1 = 0,  L = ½(0 − 0.3)² = 0.045,  ∂L/∂z = z − y = −0.3,
    ∂L/∂w1 = −0.3·0.5 = −0.15,  ∂L/∂w2 = −0.3·(−1) = 0.3,  ∂L/∂b = −0.3,
    w1' = 0.4 + 0.015 = 0.415,  w2' = 0.3 − 0.03 = 0.27,  b' = 0.1 + 0.03 = 0.13,
    z' = 0.2075 − 0.27 + 0.13 = 0.0675,  L' = ½(−0.2325)² = 0.027028125.
Each is compared with `==` to the nearest float of the decimal, which plain float arithmetic
misses (the first assertion shows it does for z).
"""

from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path

import pytest
import sympy as sp
from rich.console import Console
from solution_values import after_values, forward_values, new_values

from tutor import catalog, explain, export, render, variants
from tutor.engine import exact
from tutor.functions import sigmoid, symbol
from tutor.quiz import Session

FIXTURE = str(Path(__file__).parent / "fixtures" / "exact_zero.yaml")


def d(text: str) -> float:
    """The nearest float to a decimal written as text."""
    return float(Fraction(text))


@pytest.fixture(scope="module")
def solution():
    return explain.solve(catalog.load(FIXTURE))


def test_float_arithmetic_would_not_give_zero():
    assert 0.4 * 0.5 + 0.3 * -1 + 0.1 != 0  # why this fixture exists: 2.7755575615628914e-17


def test_forward_values_and_loss_are_exact(solution):
    v = forward_values(solution)
    assert v["z"] == 0.0
    assert v["L"] == d("0.045") and solution.loss == d("0.045")


def test_gradients_and_factors_are_exact(solution):
    grads = {g.wrt: g.value for g in solution.gradients}
    assert grads["w1"] == d("-0.15") and grads["w2"] == d("0.3") and grads["b"] == d("-0.3")
    assert solution.local[("L", "z")].value == d("-0.3")


def test_update_and_forward_after_are_exact(solution):
    assert new_values(solution) == {"w1": d("0.415"), "w2": d("0.27"), "b": d("0.13")}
    after = after_values(solution)
    assert after["z"] == d("0.0675")
    assert after["L"] == d("0.027028125") and solution.loss_after == d("0.027028125")


def test_solve_and_export_print_zero_without_round_off(solution):
    console = Console(file=io.StringIO(), width=100, color_system=None)
    for part in render.solution_steps(solution, "en"):
        console.print(part)
    text = console.file.getvalue() + export.markdown(solution, "en")
    assert "e-17" not in text and "e-16" not in text
    row = next(
        line
        for line in console.file.getvalue().splitlines()
        if line.strip().startswith("z ") and "0.4×0.5" in line
    )
    assert row.split()[-1] == "0"


def test_the_quiz_accepts_zero_without_a_rounding_warning():
    session = Session(catalog.load(FIXTURE))
    z = next(q for q in session.questions if q.key == "z")
    grade = session.grade(z, "0")
    assert grade.verdict == "right"
    assert grade.warning is None


def test_adam_bias_correction_gives_back_the_gradient_exactly():
    """At t = 1, m = (1 − β1)·g and m̂ = m/(1 − β1) = g; v̂ = g² likewise."""
    problem, rule = variants.with_rule(catalog.load(FIXTURE), "adam")
    s = explain.solve(problem, rule=rule)
    squares = {"w1": d("0.0225"), "w2": d("0.09"), "b": d("0.09")}
    for u in s.updates:
        assert u.state["m_hat"] == u.grad
        assert u.state["v_hat"] == squares[u.name]


def test_nodes_through_transcendental_functions_stay_floats():
    env = {"z": Fraction(1, 2)}
    assert exact.value(sigmoid(symbol("z")), env) is None
    assert exact.value(sp.exp(symbol("z")), env) is None
    assert exact.value(sp.sqrt(symbol("z")), env) is None


# --------------------------------------------------------------------------- exact.py


def test_rational_operations_are_exact():
    x, y = symbol("x"), symbol("y")
    env = {"x": Fraction(1, 10), "y": Fraction(2, 10)}
    assert exact.value(x + y, env) == Fraction(3, 10)
    assert exact.value((x - y) ** 2 / 2, env) == Fraction(1, 200)
    assert exact.value(x**-2, env) == 100
    from tutor.functions import maximum, relu

    assert exact.value(relu(x - y), env) == 0
    assert exact.value(maximum(x, y, -x), env) == Fraction(1, 5)


def test_sizes_are_bounded():
    x = symbol("x")
    env = {"x": Fraction(10**300)}
    assert exact.value(x**100000, env) is None  # left to floats (overflow), not computed
    assert exact.value(x * x, env) == 10**600  # exact, past the float range
    assert exact.to_float(Fraction(10**600)) == float("inf")
    assert exact.to_float(Fraction(-(10**600))) == float("-inf")


def test_division_by_zero_is_left_to_the_float_evaluation():
    x = symbol("x")
    assert exact.value(1 / x, {"x": Fraction(0)}) is None


def test_dot_sums_exactly_and_falls_back_to_floats():
    assert exact.dot([(Fraction(1, 10), 3), (Fraction(-3, 10), 1)]) == 0
    assert exact.dot([]) == 0
    mixed = exact.dot([(Fraction(1, 10), 3), (0.5, Fraction(1, 2))])
    assert isinstance(mixed, float) and mixed == 0.55
    huge = exact.dot([(Fraction(1, 3**3000), Fraction(1, 7**3000)), (1, 2)])
    assert huge == 2.0
