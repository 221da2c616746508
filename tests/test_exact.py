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
import math
from fractions import Fraction
from pathlib import Path

import pytest
import sympy as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from rich.console import Console
from solution_values import after_values, forward_values, new_values

from tutor.engine import exact
from tutor.engine import scalar as engine
from tutor.engine.scalar import build_graph
from tutor.problems import catalog
from tutor.quiz.session import Session
from tutor.registry.functions import sigmoid, symbol
from tutor.solutions import explain
from tutor.variants import scalar as variants
from tutor.views import document as export
from tutor.views import terminal as render

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
    from tutor.registry.functions import maximum, relu

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


# --------------------------------------------------------------------------- functions of
# exact values: a function is taken of its argument's exact value, and is exact where the
# mathematics is (tanh(0) = 0, exp(0) = 1, σ(0) = 1/2, log(1) = 0), in solve, quiz and export

TANH = str(Path(__file__).parent / "fixtures" / "tanh_zero.yaml")
FUNCTIONS = str(Path(__file__).parent / "fixtures" / "exact_functions.yaml")


def test_float_arithmetic_would_not_give_the_exact_points():
    # why the fixtures exist: the pre-activations 0 are round-off in floats, and so is every
    # function of them taken of the float sum
    z = 0.4 * 0.5 + 0.3 * -1 + 0.1
    assert z != 0 and math.tanh(z) != 0
    z = 1.1 * 1 + 2.2 * 1 - 3.3
    assert math.tanh(z) != 0 and math.exp(z) != 1 and 1 / (1 + math.exp(-z)) != 0.5
    assert math.log(1 + z) != 0


def _solve_text(solution, lang: str) -> str:
    console = Console(file=io.StringIO(), width=100, color_system=None)
    for part in render.solution_steps(solution, lang):
        console.print(part)
    return console.file.getvalue()


def _row(text: str, start: str) -> list[str]:
    return next(line.split() for line in text.splitlines() if line.strip().startswith(start))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_solve_prints_tanh_of_an_exact_zero_as_zero(lang):
    text = _solve_text(explain.solve(catalog.load(TANH)), lang)
    assert _row(text, "a ")[-2:] == ["tanh(0)", "0"]  # was tanh(0) = 5.55112e-17
    assert _row(text, "L ")[-2:] == ["0.3)^2", "0.045"] and "1/2×(0" in text
    assert "e-17" not in text and "e-16" not in text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_export_shows_tanh_of_an_exact_zero_as_zero(lang):
    text = export.markdown(explain.solve(catalog.load(TANH)), lang)
    row = next(line for line in text.splitlines() if line.startswith("| `a` |"))
    assert row.endswith("| `tanh(0)` | 0 |")
    assert "e-17" not in text and "e-16" not in text


def test_tanh_unit_values_factors_and_gradients_are_the_hand_values():
    """By hand: z = 0, a = tanh(0) = 0, L = ½(0 − 0.3)² = 0.045, ∂L/∂a = a − y = −0.3,
    ∂a/∂z = 1 − a² = 1, ∂L/∂w = −0.3·x = (−0.15, 0.3), ∂L/∂b = −0.3."""
    s = explain.solve(catalog.load(TANH))
    v = forward_values(s)
    assert (v["z"], v["a"], v["L"]) == (0.0, 0.0, d("0.045"))
    assert s.local[("a", "z")].value == 1.0 and s.local[("L", "a")].value == d("-0.3")
    grads = {g.wrt: g.value for g in s.gradients}
    assert (grads["w1"], grads["w2"], grads["b"]) == (d("-0.15"), d("0.3"), d("-0.3"))
    assert new_values(s) == {"w1": d("0.415"), "w2": d("0.27"), "b": d("0.13")}
    # after the update z' = 0.0675 (exact): tanh is taken of it, not of the float sum
    after = after_values(s)
    assert after["z"] == d("0.0675") and after["a"] == math.tanh(d("0.0675"))


def test_the_quiz_accepts_zero_for_tanh_and_the_exact_gradients():
    session = Session(catalog.load(TANH))
    for key, typed in [
        ("z", "0"),
        ("a", "0"),
        ("L", "0.045"),
        ("dL/da", "-0.3"),
        ("dL/dz", "-0.3"),
        ("dL/dw1", "-0.15"),
        ("dL/dw2", "0.3"),
        ("dL/db", "-0.3"),
    ]:
        q = next(q for q in session.questions if q.key == key)
        grade = session.grade(q, typed)
        assert (key, grade.verdict, grade.warning) == (key, "right", None)
    assert next(q for q in session.questions if q.key == "a").value == 0.0


def test_quiz_command_takes_zero_for_tanh_with_no_rounding_warning():
    from cli_runner import invoke

    # z, a, L, the deltas, the gradients, the updates and L' = ½(tanh(0.0675) − 0.3)²
    answers = "0 0 0.045 -0.3 -0.3 -0.15 0.3 -0.3 0.415 0.27 0.13 0.0270519".replace(" ", "\n")
    result = invoke("quiz", TANH, "--answers", "-", "--db", ":memory:", stdin=answers + "\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("✓") == 12 and "Score: 12 / 12" in result.stdout
    assert "early" not in result.stdout and "✗" not in result.stdout


def test_every_function_at_an_exact_zero_is_its_hand_value():
    """tests/fixtures/exact_functions.yaml: z = 0 exactly (4.44e-16 in floats)."""
    problem = catalog.load(FUNCTIONS)
    point = engine.evaluate(build_graph(problem).compiled, engine.exact_leaves(problem))
    half = Fraction(1, 2)
    want = {"z": 0, "t": 0, "e": 1, "s": half, "l": 0, "r": half, "g": 0, "u": 0, "v": 0, "k": 0}
    for name, value in want.items():
        got = point.values[name]
        assert isinstance(got, Fraction) and got == value, name
    assert point.values["p"] == math.log(2)  # softplus(0) = log 2: a float, of the exact 0
    slopes = {
        "t": 1,  # 1 − tanh²(0)
        "e": 1,  # exp(0)
        "s": Fraction(1, 4),  # σ(0)(1 − σ(0))
        "l": 1,  # 1/(1 + 0)
        "p": half,  # σ(0)
        "r": 1,  # relu′(1/2): the step of an exact positive number
        "g": half,  # Φ(0) + 0·φ(0)
        "u": half,  # σ(0)(1 + 0·(1 − σ(0)))
        "v": 1,  # e^min(0, 0)
        "k": Fraction(1, 100),  # leaky_relu′(0), torch's slope
    }
    for name, slope in slopes.items():
        got = point.local[(name, "z")]
        assert isinstance(got, Fraction) and got == slope, name
    # the loss and its gradient by hand, through log 2 (the only irrational value)
    total = Fraction(1) + half + half - Fraction(1, 5)  # e + s + r − y
    loss = float(total) + math.log(2)
    assert point.values["L"] == pytest.approx(loss**2 / 2, rel=1e-15)
    assert point.grads["w1"] == pytest.approx(loss * float(sum(slopes.values())), rel=1e-15)


def test_relu_of_exact_values_and_its_derivative():
    """relu of an exact negative, zero and positive value, and its step, by hand."""
    from tutor.registry.functions import relu, step

    z = symbol("z")
    for value, out, slope in [("-3/10", 0, 0), ("0", 0, 0), ("3/10", Fraction(3, 10), 1)]:
        env = {"z": Fraction(value)}
        assert exact.value(relu(z), env) == out
        assert exact.value(sp.diff(relu(z), z), env) == slope
        assert exact.value(step(z), env) == slope


def test_transcendental_functions_at_their_exact_points():
    from tutor.registry.functions import Phi, gelu, softmax, softplus

    z = symbol("z")
    zero, one = {"z": Fraction(0)}, {"z": Fraction(1)}
    assert exact.value(sp.tanh(z), zero) == 0
    assert exact.value(sp.exp(z), zero) == 1
    assert exact.value(sigmoid(z), zero) == Fraction(1, 2)
    assert exact.value(sp.log(z), one) == 0
    assert exact.value(sp.erf(z), zero) == 0 and exact.value(Phi(z), zero) == Fraction(1, 2)
    assert exact.value(softmax(sp.Integer(2), z, z, z), one) == Fraction(1, 3)
    assert exact.value(sp.sqrt(z), {"z": Fraction(9, 4)}) == Fraction(3, 2)
    assert exact.value(z ** sp.Rational(-2, 3), {"z": Fraction(8, 27)}) == Fraction(9, 4)
    # derivatives: tanh′(0) = 1, σ′(0) = 1/4, gelu′(0) = 1/2 (0 times an irrational φ(0))
    assert exact.value(sp.diff(sp.tanh(z), z), zero) == 1
    assert exact.value(sp.diff(sigmoid(z), z), zero) == Fraction(1, 4)
    assert exact.value(sp.diff(gelu(z), z), zero) == Fraction(1, 2)
    # softplus(0) = log 2: not rational, but the float of the exact 0
    assert exact.value(softplus(z), zero) is None
    assert exact.mixed(softplus(z), zero) == math.log(2)
    # a float argument gives a float; an exact 0 times a finite float is exactly 0
    assert exact.mixed(sp.tanh(z), {"z": 0.5}) == math.tanh(0.5)
    y = symbol("y")
    assert exact.mixed(y * sp.tanh(z), {"y": Fraction(0), "z": 0.5}) == 0
    assert math.isnan(exact.mixed(y * sp.log(z), {"y": Fraction(0), "z": 0.0}))


def test_away_from_the_exact_points_functions_are_not_exact():
    from tutor.registry.functions import Phi, softmax

    z = symbol("z")
    for point in ("1/2", "-3", "1/1000000"):
        env = {"z": Fraction(point)}
        for f in (sp.tanh, sp.exp, sigmoid, sp.erf, Phi):
            assert exact.value(f(z), env) is None
            assert exact.mixed(f(z), env) == pytest.approx(float(f(sp.Rational(point))), 1e-15)
    assert exact.value(sp.log(z), {"z": Fraction(2)}) is None
    assert exact.value(sp.sqrt(z), {"z": Fraction(2)}) is None
    assert exact.value(sp.sqrt(z), {"z": Fraction(-4)}) is None  # not real: the floats say
    assert exact.value(softmax(sp.Integer(1), z, 2 * z), {"z": Fraction(1)}) is None


def _by_hand(z: float, y: float) -> tuple[dict, float]:
    """Every node of exact_functions.yaml from z in plain floats (math), and Σ of the slopes."""
    sig = 1 / (1 + math.exp(-z))
    phi_cdf = 0.5 * math.erfc(-z / math.sqrt(2))
    phi = math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    values = {
        "t": math.tanh(z),
        "e": math.exp(z),
        "s": sig,
        "l": math.log(1 + z),
        "p": math.log1p(math.exp(z)),
        "r": max(z + 0.5, 0.0),
        "g": z * phi_cdf,
        "u": z * sig,
        "v": z if z > 0 else math.expm1(z),
        "k": z if z > 0 else 0.01 * z,
    }
    slopes = [
        1 - math.tanh(z) ** 2,
        math.exp(z),
        sig * (1 - sig),
        1 / (1 + z),
        sig,
        1.0 if z + 0.5 > 0 else 0.0,
        phi_cdf + z * phi,
        sig * (1 + z * (1 - sig)),
        math.exp(min(z, 0.0)),
        1.0 if z > 0 else 0.01,
    ]
    values["L"] = (math.fsum(values.values()) - y) ** 2 / 2
    return values, math.fsum(slopes)


decimals = st.integers(-30, 30).map(lambda k: Fraction(k, 10))


@settings(max_examples=60, deadline=None)
@given(w1=decimals, w2=decimals, b=decimals, x1=decimals, y=decimals)
def test_away_from_exact_points_values_are_the_float_evaluation(w1, w2, b, x1, y):
    """Random exact decimals whose z is not one of the exact points: every value and gradient
    is what plain float arithmetic gives (to 1e-12), as before exact functions."""
    z = w1 * x1 + w2 + b  # x2 = 1
    assume(z != 0 and -1 < z < 4)
    problem = catalog.load(FUNCTIONS)
    given = {"w1": w1, "w2": w2, "b": b, "x1": x1, "y": y}
    s = engine.solve(variants.with_values(problem, [f"{n}={v}" for n, v in given.items()]))
    want, slope = _by_hand(float(z), float(y))
    got = forward_values(s)
    for name, value in want.items():
        assert math.isclose(got[name], value, rel_tol=1e-12, abs_tol=1e-15), name
    dz = (math.fsum(v for n, v in want.items() if n != "L") - float(y)) * slope
    assert math.isclose(s.node_grads["w1"], dz * float(x1), rel_tol=1e-12, abs_tol=1e-15)
    assert math.isclose(s.node_grads["b"], dz, rel_tol=1e-12, abs_tol=1e-15)
