"""The tensor engine (engine/tensor.py) against PyTorch float64 autograd and central finite
differences; the tensor parser's restrictions."""

import numpy as np
import pytest

from tests.shared import tensor_finite_differences
from tutor.engine import tensor
from tutor.errors import ParseError, ProblemError
from tutor.language.matrix_expr import parse
from tutor.problems.loader import load_problem

FIXTURES = "tests/fixtures/tensor"


def test_softmax_network_matches_finite_differences():
    p = load_problem(f"{FIXTURES}/softmax_net.yaml")
    point = tensor.evaluate(p, p.leaves)
    for name in ("W1", "b1", "W2", "b2", "x"):
        assert np.allclose(
            point.grads[name], tensor_finite_differences(p, p.leaves, name), atol=1e-8
        ), name


def test_softmax_network_matches_torch():
    torch = pytest.importorskip("torch")
    p = load_problem(f"{FIXTURES}/softmax_net.yaml")
    point = tensor.evaluate(p, p.leaves)
    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in p.leaves.items()}
    z2 = t["W2"] @ torch.sigmoid(t["W1"] @ t["x"] + t["b1"]) + t["b2"]
    loss = torch.nn.functional.cross_entropy(z2.T, t["y"].T.argmax(1))
    loss.backward()
    assert point.loss == pytest.approx(loss.item(), rel=1e-12)
    for name in ("W1", "b1", "W2", "b2"):
        assert np.allclose(point.grads[name], t[name].grad.numpy(), rtol=1e-12, atol=1e-15)


def test_the_matrix_rules_read_as_the_course_writes_them():
    """The rule trees the backward pass evaluated, printed (tensor_expr.text)."""
    from tutor.engine.matrix_solve import solve

    solution = solve(load_problem(f"{FIXTURES}/softmax_net.yaml"))

    def rule(name: str, via: str) -> str:
        return next(t.rule for t in solution.delta(name).terms if t.via == via)

    assert rule("W1", "z1") == "δ(z1) xᵀ"
    assert rule("a1", "z2") == "W2ᵀ δ(z2)"
    assert rule("b2", "z2") == "δ(z2)"
    assert rule("z1", "a1") == "δ(a1) ⊙ a1 ⊙ (1 − a1)"
    assert rule("z2", "L") == "p − y"  # softmax with cross-entropy, combined


@pytest.mark.parametrize(
    "text, message",
    [
        ("W1.T", "unexpected"),
        ("W1[1]", "take no index"),
        ("open(x)", "unknown function"),
        ("x ^ y", "exponent is a number"),
        ("conv2d(x, K, 1.5)", "whole number"),
        ("(" * 60 + "x" + ")" * 60, "nested too deeply"),
    ],
)
def test_the_tensor_parser_refuses(text, message):
    with pytest.raises(ParseError, match=message):
        parse(text, {"x", "K", "W1", "y"})


def test_a_shape_mismatch_names_both_shapes_and_the_line(tmp_path):
    text = (
        open(f"{FIXTURES}/softmax_net.yaml").read().replace("z2: W2 @ a1 + b2", "z2: W2 @ x + b2")
    )
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    with pytest.raises(ProblemError) as e:
        load_problem(f)
    assert "3×4 and 3×1" in e.value.message
    assert e.value.line == text.splitlines().index("  z2: W2 @ x + b2") + 1


def test_abs_differentiates_element_wise_on_a_tensor(tmp_path):
    """|x|'s derivative, sign(x), is printed by SymPy as scalar Python; on a tensor it is
    applied entry by entry (it raised 'truth value of an array is ambiguous')."""
    f = tmp_path / "abs.yaml"
    f.write_text(
        "id: absx\ntitle: {en: a, zh: a}\nstatement: {en: a, zh: a}\n"
        "inputs: {x: [1, -2]}\nparams: {W: [[0.5, 0.3], [-0.2, 0.1]]}\n"
        "graph:\n  L: sum(abs(W @ x))\n",
        encoding="utf-8",
    )
    p = load_problem(f)
    point = tensor.evaluate(p, p.leaves)
    # W x = (-0.1, -0.4): both negative, so ∂L/∂W = −(1, 1)ᵀ xᵀ
    assert point.grads["W"].tolist() == [[-1.0, 2.0], [-1.0, 2.0]]
    assert np.allclose(point.grads["W"], tensor_finite_differences(p, p.leaves, "W"), atol=1e-8)


# -- exact values: an entry whose exact value is a whole number is that number ---------------


def test_a_sum_that_is_exactly_zero_is_zero_and_so_is_tanh_of_it():
    """By hand: z = 0.4·0.5 + 0.3·(−1) + 0.1 = 0, a = tanh(0) = 0, L = ½(0 − 0.3)² = 0.045,
    δ(z) = (a − y)(1 − a²) = −0.3, ∂L/∂W = δ xᵀ = (−0.15, 0.3), ∂L/∂b = −0.3."""
    assert 0.4 * 0.5 + 0.3 * -1 + 0.1 != 0  # what float arithmetic gives: 2.776e-17
    p = load_problem(f"{FIXTURES}/tanh_zero.yaml")
    point = tensor.evaluate(p, p.leaves)
    assert point.values["z"].tolist() == [[0.0]] and point.values["a"].tolist() == [[0.0]]
    assert point.loss == pytest.approx(0.045, rel=1e-15)
    assert np.allclose(point.grads["W"], [[-0.15, 0.3]], rtol=1e-15, atol=0)
    assert np.allclose(point.grads["b"], [[-0.3]], rtol=1e-15, atol=0)


def test_a_convolution_entry_that_is_exactly_zero_is_zero_and_relu_of_it_too():
    """conv_pool.yaml, map 1 at row 3, column 3: 0.5·0 − 0.3·1 + 0.2·1 + 0.4·0 + 0.1 = 0."""
    p = load_problem(f"{FIXTURES}/conv_pool.yaml")
    x, k, c = p.leaves["x"], p.leaves["K"], p.leaves["c"]
    assert np.sum(k[0, 0] * x[0, 2:4, 2:4]) + c[0] != 0  # floats: 2.776e-17
    values = tensor.evaluate(p, p.leaves).values
    assert values["z1"][0, 2, 2] == 0.0 and values["a1"][0, 2, 2] == 0.0


def test_values_that_are_not_whole_keep_the_float_arithmetic():
    """Nothing else changes: z1 = W1 x + b1 of softmax_net.yaml, in plain NumPy."""
    p = load_problem(f"{FIXTURES}/softmax_net.yaml")
    values = tensor.evaluate(p, p.leaves).values
    assert np.array_equal(values["z1"], p.leaves["W1"] @ p.leaves["x"] + p.leaves["b1"])
