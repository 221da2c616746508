"""Tests for tutor.engine against independent sources.

Oracles: the seeds' correct worked values (seed 000 for ex1..ex3, seed 003 for ex4), values
derived by hand, an independent NumPy reference for ex4 written here, and central finite
differences of the loss for every numeric problem in the catalogue and the fixtures.
"""

from __future__ import annotations

import functools
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from solution_values import after_values as after
from solution_values import forward_values as forward
from solution_values import new_values as updated
from solution_values import shared_paths_dL_db

from tutor.engine import scalar as engine
from tutor.model.solution import Note
from tutor.problems import catalog
from tutor.registry.functions import symbol
from tutor.solutions import explain
from tutor.variants import scalar as variants

FIXTURES = Path(__file__).parent / "fixtures"


@functools.cache
def solved(ref: str):
    return engine.solve(catalog.load(ref), path_limit=explain.PATH_LIMIT)


def fixture(name: str) -> str:
    return str(FIXTURES / f"{name}.yaml")


def local(solution, of: str, wrt: str) -> float:
    return solution.local[(of, wrt)].value


def gradient(solution, wrt: str):
    return next(g for g in solution.gradients if g.wrt == wrt)


def printed(value: float, text: str) -> bool:
    """`value` agrees with a number printed as `text` (within half a unit of its last digit)."""
    decimals = len(text.partition(".")[2])
    return abs(value - float(text)) <= 0.5 * 10.0**-decimals


# --------------------------------------------------------------------------- ex2 (seed 000)


def test_ex2_forward_and_loss_match_seed_000():
    s = solved(fixture("seed000_relu"))
    v = forward(s)
    for name, want in {"z": 3, "h": 3, "yhat": 6, "L": 8}.items():
        assert v[name] == pytest.approx(want, abs=1e-12), name
    assert s.loss == pytest.approx(8, abs=1e-12)


def test_ex2_gradients_match_seed_000():
    s = solved(fixture("seed000_relu"))
    want = {"w1": 8, "w2": 16, "b1": 8, "w3": 12, "b2": 4}
    for name, g in want.items():
        assert s.node_grads[name] == pytest.approx(g, abs=1e-12), name
        assert gradient(s, name).value == pytest.approx(g, abs=1e-12), name
    # the local factors the seed multiplies: dL/dyhat = yhat - y = 4, dyhat/dh = w3 = 2, ReLU' = 1
    assert local(s, "L", "yhat") == pytest.approx(4)
    assert local(s, "yhat", "h") == pytest.approx(2)
    assert local(s, "h", "z") == pytest.approx(1)
    assert local(s, "z", "w1") == pytest.approx(1)
    assert local(s, "z", "w2") == pytest.approx(2)


def test_ex2_chain_for_w1_is_4_2_1_1():
    g = gradient(solved(fixture("seed000_relu")), "w1")
    assert len(g.paths) == 1 and not g.delta_form
    path = g.paths[0]
    assert [(f.of, f.wrt) for f in path.factors] == [
        ("L", "yhat"),
        ("yhat", "h"),
        ("h", "z"),
        ("z", "w1"),
    ]
    assert [f.value for f in path.factors] == pytest.approx([4, 2, 1, 1])
    assert path.value == pytest.approx(8)


def test_ex2_sgd_update_and_second_forward_pass_by_hand():
    s = solved(fixture("seed000_relu"))
    lr = 0.01
    new = {
        "w1": 1 - lr * 8,
        "w2": 1 - lr * 16,
        "b1": 0 - lr * 8,
        "w3": 2 - lr * 12,
        "b2": 0 - lr * 4,
    }
    assert updated(s) == pytest.approx(new)
    assert all(u.lr == lr for u in s.updates)
    z = new["w1"] * 1 + new["w2"] * 2 + new["b1"]  # 2.52
    yhat = new["w3"] * max(z, 0) + new["b2"]  # 4.6976
    loss = 0.5 * (yhat - 2) ** 2  # 3.6385...
    v = after(s)
    assert v["z"] == pytest.approx(2.52)
    assert v["yhat"] == pytest.approx(4.6976)
    assert v["L"] == pytest.approx(loss)
    assert s.loss_after == pytest.approx(loss) and s.loss_after < s.loss


# --------------------------------------------------------------------------- ex3 (seed 000)


def test_ex3_matches_seed_000_and_hand_update():
    s = solved(fixture("seed000_linear"))
    assert forward(s)["z"] == pytest.approx(5)
    assert s.loss == pytest.approx(12.5)
    assert s.node_grads["z"] == pytest.approx(-5)
    for name, g in {"w1": -5, "w2": -10, "b": -5}.items():
        assert s.node_grads[name] == pytest.approx(g), name
    assert updated(s) == pytest.approx({"w1": 2.5, "w2": 2.0, "b": 1.5})
    assert after(s)["z"] == pytest.approx(8)
    assert s.loss_after == pytest.approx(2)


# --------------------------------------------------------------------------- ex4 (seed 003)


def ex4_reference() -> dict:
    """The 3-2-1 sigmoid network by matrices, forward and backward by hand (NumPy only)."""
    x = np.array([2.0, 3.0, -1.0])
    W1 = np.array([[0.2, -0.5, 0.1], [-0.3, 0.4, 0.2]])
    b1 = np.array([0.3, -0.1])
    W2 = np.array([[0.5, 0.2]])
    b2 = np.array([0.1])
    y = 1.0
    lr = 0.1

    def sig(t):
        return 1.0 / (1.0 + np.exp(-t))

    z1 = W1 @ x + b1
    a1 = sig(z1)
    z2 = W2 @ a1 + b2
    a2 = sig(z2)
    C = float(((a2 - y) ** 2).sum())
    dC_da2 = 2 * (a2 - y)
    da2_dz2 = a2 * (1 - a2)
    delta2 = dC_da2 * da2_dz2
    dW2 = np.outer(delta2, a1)
    db2 = delta2
    delta1 = (W2.T @ delta2) * a1 * (1 - a1)
    dW1 = np.outer(delta1, x)
    db1 = delta1
    # SGD on the output layer only; the hidden layer keeps its values
    W2n, b2n = W2 - lr * dW2, b2 - lr * db2
    z2n = W2n @ a1 + b2n
    a2n = sig(z2n)
    Cn = float(((a2n - y) ** 2).sum())
    # Adam (torch defaults) first step on the same parameters
    g = np.concatenate([dW2.ravel(), db2])
    m, v = 0.1 * g, 0.001 * g**2
    m_hat, v_hat = m / (1 - 0.9), v / (1 - 0.999)
    adam = np.concatenate([W2.ravel(), b2]) - lr * m_hat / (np.sqrt(v_hat) + 1e-8)
    return dict(
        z1=z1,
        a1=a1,
        z2=z2,
        a2=a2,
        C=C,
        dC_da2=dC_da2,
        da2_dz2=da2_dz2,
        dW2=dW2,
        db2=db2,
        dW1=dW1,
        db1=db1,
        delta1=delta1,
        W2n=W2n,
        b2n=b2n,
        z2n=z2n,
        a2n=a2n,
        Cn=Cn,
        adam_m=m,
        adam_v=v,
        adam=adam,
    )


def test_ex4_forward_matches_numpy_reference():
    s, ref = solved(fixture("seed003_sigmoid")), ex4_reference()
    v = forward(s)
    for i in (1, 2):
        assert v[f"z1_{i}"] == pytest.approx(ref["z1"][i - 1], rel=1e-12)
        assert v[f"a1_{i}"] == pytest.approx(ref["a1"][i - 1], rel=1e-12)
    assert v["z2_1"] == pytest.approx(ref["z2"][0], rel=1e-12)
    assert v["a2_1"] == pytest.approx(ref["a2"][0], rel=1e-12)
    assert s.loss == pytest.approx(ref["C"], rel=1e-12)


def test_ex4_gradients_match_numpy_reference():
    s, ref = solved(fixture("seed003_sigmoid")), ex4_reference()
    g = s.node_grads
    assert local(s, "C", "a2_1") == pytest.approx(ref["dC_da2"][0], rel=1e-12)
    assert local(s, "a2_1", "z2_1") == pytest.approx(ref["da2_dz2"][0], rel=1e-12)
    for j in (1, 2):
        assert g[f"W2_1_{j}"] == pytest.approx(ref["dW2"][0, j - 1], rel=1e-12)
        assert g[f"z1_{j}"] == pytest.approx(ref["delta1"][j - 1], rel=1e-12)
        assert g[f"b1_{j}"] == pytest.approx(ref["db1"][j - 1], rel=1e-12)
        for k in (1, 2, 3):
            assert g[f"W1_{j}_{k}"] == pytest.approx(ref["dW1"][j - 1, k - 1], rel=1e-12)
    assert g["b2_1"] == pytest.approx(ref["db2"][0], rel=1e-12)


def test_ex4_update_of_output_layer_matches_numpy_reference():
    s, ref = solved(fixture("seed003_sigmoid")), ex4_reference()
    new = updated(s)
    assert set(new) == {"W2_1_1", "W2_1_2", "b2_1"}  # the hidden layer stays as it is
    assert new["W2_1_1"] == pytest.approx(ref["W2n"][0, 0], rel=1e-12)
    assert new["W2_1_2"] == pytest.approx(ref["W2n"][0, 1], rel=1e-12)
    assert new["b2_1"] == pytest.approx(ref["b2n"][0], rel=1e-12)
    v = after(s)
    assert v["z1_1"] == pytest.approx(ref["z1"][0], rel=1e-12)
    assert v["z2_1"] == pytest.approx(ref["z2n"][0], rel=1e-12)
    assert v["a2_1"] == pytest.approx(ref["a2n"][0], rel=1e-12)
    assert s.loss_after == pytest.approx(ref["Cn"], rel=1e-12)
    assert s.loss_after < s.loss


def test_ex4_adam_alternative_matches_numpy_reference():
    problem, rule = variants.with_rule(catalog.load(fixture("seed003_sigmoid")), "adam")
    s, ref = engine.solve(problem, rule=rule), ex4_reference()
    adam = {u.name: u for u in s.updates}
    for i, name in enumerate(("W2_1_1", "W2_1_2", "b2_1")):
        assert adam[name].state["m"] == pytest.approx(ref["adam_m"][i], rel=1e-9)
        assert adam[name].state["v"] == pytest.approx(ref["adam_v"][i], rel=1e-9)
        assert adam[name].new == pytest.approx(ref["adam"][i], rel=1e-9)


def test_ex4_agrees_with_seed_003_where_the_seed_is_right():
    s = solved(fixture("seed003_sigmoid"))
    v = forward(s)
    assert printed(v["a1_1"], "0.289") and printed(v["a1_2"], "0.574")
    assert printed(v["a2_1"], "0.589")
    assert printed(local(s, "C", "a2_1"), "-0.822")
    assert printed(local(s, "a2_1", "z2_1"), "0.242")
    assert printed(s.node_grads["b2_1"], "-0.199")


def test_ex4_correct_values_where_seed_003_is_wrong():
    s = solved(fixture("seed003_sigmoid"))
    # the seed multiplies by a1 without the factor 2 of dC/da (-0.0287, -0.0572)
    assert printed(s.node_grads["W2_1_1"], "-0.05754")
    assert printed(s.node_grads["W2_1_2"], "-0.11434")
    new = updated(s)
    assert printed(new["W2_1_1"], "0.505754")
    assert printed(new["W2_1_2"], "0.211434")
    assert printed(s.loss, "0.169004")
    assert printed(s.loss_after, "0.163464")
    assert printed(after(s)["a2_1"], "0.595693")


# --------------------------------------------------------------------------- ex1 (symbolic)


def test_ex1_symbolic_gradients_simplify_to_the_textbook_forms():
    s = solved(fixture("seed000_logistic"))
    assert s.problem.symbolic and s.loss is None
    yhat, y, x1, x2 = (symbol(n) for n in ("yhat", "y", "x1", "x2"))
    want = {"w1": (yhat - y) * x1, "w2": (yhat - y) * x2, "b": yhat - y}
    for name, expr in want.items():
        total = gradient(s, name).total
        assert total is not None, name
        assert sp.cancel(total - expr) == 0, (name, total)


def test_ex1_local_factors():
    s = solved(fixture("seed000_logistic"))
    yhat, y = symbol("yhat"), symbol("y")
    dL_dyhat = s.local[("L", "yhat")].expr
    dyhat_dz = s.local[("yhat", "z")].expr
    assert sp.cancel(dL_dyhat - (yhat - y) / (yhat * (1 - yhat))) == 0
    assert sp.cancel(dyhat_dz - yhat * (1 - yhat)) == 0
    assert all(f.value is None for f in s.local.values())


# --------------------------------------------------------------------------- finite differences


def numeric_problems() -> list:
    """The fixtures; the catalogue's problems get the same check in test_catalogue.py."""
    refs = [
        fixture(n)
        for n in (
            "seed000_relu",
            "seed000_linear",
            "seed003_sigmoid",
            "shared_paths",
            "many_paths",
            "bce_saturated",
            "softmax_saturated",
            "exact_zero",
        )
    ]
    return [pytest.param(r, id=Path(r).stem) for r in refs]


def central_difference(compiled, leaves: dict, name: str) -> float:
    """dL/d(name) by central differences, Richardson-extrapolated (error O(h^4)).

    Plain central differences (error O(h^2)) are not enough where the loss curves sharply,
    e.g. a closed-form least-squares fit whose denominator n·Σx² - (Σx)² nearly cancels.
    """

    def central(h: float) -> float:
        up, down = dict(leaves), dict(leaves)
        up[name] += h
        down[name] -= h
        return (compiled.loss(up) - compiled.loss(down)) / (2 * h)

    h = 1e-5 * max(1.0, abs(leaves[name]))
    return (4 * central(h / 2) - central(h)) / 3


@pytest.mark.parametrize("ref", numeric_problems())
def test_finite_differences_agree_with_every_gradient(ref):
    problem = catalog.load(ref)  # the numeric fixtures (no symbolic one among them)
    graph = engine.build_graph(problem)
    compiled = engine.Compiled(graph)
    leaves = engine.numeric_leaves(problem)
    solution = engine.solve(problem, graph=graph)
    for name in problem.leaves:  # every parameter, and inputs and targets too
        fd = central_difference(compiled, leaves, name)
        assert math.isfinite(solution.node_grads[name]), name
        assert solution.node_grads[name] == pytest.approx(fd, rel=1e-6, abs=1e-7), name
        if name in problem.params:  # the gradient as the chain table shows it
            assert gradient(solution, name).value == pytest.approx(fd, rel=1e-6, abs=1e-7)


# --------------------------------------------------------------------------- ReLU at zero


def test_relu_at_exactly_zero_passes_no_gradient_and_says_so():
    s = engine.solve(catalog.load(fixture("relu_zero")))
    assert forward(s)["z"] == 0.0
    assert local(s, "h", "z") == 0.0
    assert s.node_grads["z"] == 0.0
    assert s.node_grads["w1"] == 0.0 and s.node_grads["b1"] == 0.0
    # the output layer still learns: dL/dyhat = 0.5 - 1, dL/dw2 = that * h = 0
    assert s.node_grads["b2"] == pytest.approx(-0.5)
    assert Note("relu_at_zero", "h", {"arg": "z"}) in s.notes, s.notes


# --------------------------------------------------------------------------- several paths


def test_shared_bias_gradient_is_the_sum_over_its_four_paths():
    s = engine.solve(catalog.load(fixture("shared_paths")), path_limit=explain.PATH_LIMIT)
    g = gradient(s, "b")
    assert not g.delta_form
    routes = {tuple(f.of for f in p.factors) for p in g.paths}
    assert routes == {
        ("L", "o1", "h", "z1"),
        ("L", "o2", "h", "z1"),
        ("L", "o1", "z2"),
        ("L", "o2", "z2"),
    }
    for p in g.paths:
        assert p.value == pytest.approx(math.prod(f.value for f in p.factors))
    assert sum(p.value for p in g.paths) == pytest.approx(g.value, rel=1e-12)
    # and by hand: independent of the engine's factors
    assert g.value == pytest.approx(shared_paths_dL_db(), rel=1e-12)


def many_paths_loss(w=0.6, b=-0.2, x=0.8, y=0.3, h1=None, h3=None):
    """The many_paths fixture written out in plain Python, with h1 or h3 replaceable: an
    independent reference for its deltas (by central differences)."""
    h1 = w * x + b if h1 is None else h1
    p1, q1 = 1 / (1 + math.exp(-h1)), math.tanh(h1)
    h2 = p1 * q1 + b
    h3 = 1 / (1 + math.exp(-h2)) + h2**2 if h3 is None else h3
    return (math.exp(-h3) + h3 * w - y) ** 2, h3


def test_more_than_six_paths_use_the_delta_form():
    s = engine.solve(catalog.load(fixture("many_paths")), path_limit=explain.PATH_LIMIT)
    g = gradient(s, "w")
    assert g.delta_form
    # one term per consumer of w: h1 and q3, each upstream delta times a local factor
    assert {p.factors[-1].of for p in g.paths} == {"h1", "q3"}
    eps = 1e-6
    _, h3 = many_paths_loss()
    h1 = 0.6 * 0.8 - 0.2
    delta_h1 = (many_paths_loss(h1=h1 + eps)[0] - many_paths_loss(h1=h1 - eps)[0]) / (2 * eps)
    p3 = math.exp(-h3)
    delta_q3 = 2 * (p3 + h3 * 0.6 - 0.3)  # ∂L/∂q3 for L = (p3 + q3 − y)², by hand
    expected = {
        "h1": (delta_h1, 0.8),
        "q3": (delta_q3, h3),
    }  # upstream, and ∂h1/∂w = x, ∂q3/∂w = h3
    for p in g.paths:
        up, loc = p.factors
        assert up.upstream and not loc.upstream
        assert (up.value, loc.value) == pytest.approx(expected[loc.of], rel=1e-6)
    dw = (many_paths_loss(w=0.6 + eps)[0] - many_paths_loss(w=0.6 - eps)[0]) / (2 * eps)
    assert g.value == pytest.approx(dw, rel=1e-6)
    assert sum(p.value for p in g.paths) == pytest.approx(dw, rel=1e-6)


# --------------------------------------------------------------------------- stability


def softplus(t: float) -> float:
    """log(1 + e^t) without overflow."""
    return max(t, 0.0) + math.log1p(math.exp(-abs(t)))


def sigma(t: float) -> float:
    return 1 / (1 + math.exp(-t)) if t >= 0 else math.exp(t) / (1 + math.exp(t))


@pytest.mark.parametrize("z", [40.0, -800.0])
@pytest.mark.parametrize("y", [0, 1])
def test_binary_cross_entropy_of_a_saturated_sigmoid_is_finite_and_true(z, y):
    problem = catalog.load(fixture("bce_saturated"))
    problem = replace(
        problem, params={"w": sp.Float(z), "b": sp.Integer(0)}, targets={"y": sp.Integer(y)}
    )
    s = engine.solve(problem)
    # L = -[y log σ(z) + (1-y) log(1-σ(z))] = softplus(z) for y = 0, softplus(-z) for y = 1
    # (not softplus(z) - z: that cancels to 0 where the true loss is e^-40 ≈ 4.2e-18)
    want = softplus(z) if y == 0 else softplus(-z)
    assert math.isfinite(s.loss)
    assert s.loss == pytest.approx(want, rel=1e-12, abs=1e-300)
    if z == 40.0 and y == 0:
        assert s.loss == pytest.approx(40.0, rel=1e-12)
    for name in ("z", "w", "b"):
        assert math.isfinite(s.node_grads[name]), name
        assert s.node_grads[name] == pytest.approx(sigma(z) - y, abs=1e-12), name
    # the textbook factor dL/dyhat overflows; the solution says so and names that factor
    assert not math.isfinite(local(s, "L", "yhat"))
    assert Note("saturated_output", "L", {"of": "L", "wrt": "yhat"}) in s.notes, s.notes


@pytest.mark.parametrize("k", [1, 2, 3])
def test_softmax_cross_entropy_of_huge_logits_is_finite_and_true(k):
    problem = catalog.load(fixture("softmax_saturated"))
    targets = {f"y{j}": sp.Integer(1 if j == k else 0) for j in (1, 2, 3)}
    s = engine.solve(replace(problem, targets=targets))
    logits = [1000.0, 0.0, -1000.0]
    top = max(logits)
    lse = top + math.log(sum(math.exp(t - top) for t in logits))
    probs = [math.exp(t - lse) for t in logits]
    assert math.isfinite(s.loss)
    assert s.loss == pytest.approx(lse - logits[k - 1], rel=1e-12, abs=1e-12)
    for j in (1, 2, 3):
        want = probs[j - 1] - (1 if j == k else 0)  # dL/dz_j = p_j - y_j; x = 1
        assert s.node_grads[f"z1_{j}"] == pytest.approx(want, abs=1e-12)
        assert s.node_grads[f"W1_{j}_1"] == pytest.approx(want, abs=1e-12)


def test_problems_with_the_same_equations_share_one_graph_and_keep_their_own_values():
    """A variant (other given values, the same equations) reuses the nodes, derivatives and
    compiled function built for the first problem: SymPy differentiates each node once. Its
    numbers are its own: seed 000's network with x1 = 3, by hand: z = 3 + 2 = 5, h = 5,
    ŷ = 2·5 = 10, L = ½(10 − 2)² = 32, ∂L/∂ŷ = 8, ∂L/∂z = 8·2·1 = 16, ∂L/∂w1 = 16·3."""
    problem = solved(fixture("seed000_relu")).problem
    variant = variants.with_values(problem, ["x1=3"])
    first, second = engine.build_graph(problem), engine.build_graph(variant)
    assert second.nodes is first.nodes and second.compiled is first.compiled
    assert second.problem is variant and first.problem is problem
    s = explain.solve(variant)
    assert forward(s) == pytest.approx({"z": 5, "h": 5, "yhat": 10, "L": 32}, abs=1e-12)
    want = {"w1": 48, "w2": 32, "b1": 16, "w3": 40, "b2": 8}
    assert {n: s.node_grads[n] for n in want} == pytest.approx(want, abs=1e-12)
    assert solved(fixture("seed000_relu")).node_grads["w1"] == pytest.approx(8, abs=1e-12)
    # other equations (the loss left out): a graph of their own
    shorter = engine.build_graph(replace(problem, graph=problem.graph[:3], loss="yhat"))
    assert shorter.nodes is not first.nodes and len(shorter.nodes) == 3


def test_diff_gives_sympys_own_derivative_of_every_node():
    """engine.diff (SymPy's rules without its Derivative machinery) against sp.diff itself:
    the same expression, argument for argument, for every node of the catalogue and the test
    fixtures, its stable form and every subexpression, by each of its names."""
    from tutor.errors import TutorError
    from tutor.problems.loader import load_problem

    files = sorted(catalog.builtin_files()) + sorted(FIXTURES.glob("*.yaml"))
    expressions = set()
    for f in files:
        try:
            problem = load_problem(f)
        except TutorError:
            continue
        if problem.tensor:
            continue
        definitions = {symbol(eq.name): eq.expr for eq in problem.graph}
        for eq in problem.graph:
            for e in (eq.expr, engine._stable(eq.expr, definitions)):
                expressions.update(sp.preorder_traversal(e))
    pairs = [(e, p) for e in expressions for p in e.free_symbols]
    assert len(pairs) > 500
    for e, p in pairs:
        assert sp.srepr(engine.diff(e, p)) == sp.srepr(sp.diff(e, p)), (e, p)
