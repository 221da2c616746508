"""Stable and checked (engine/tensor.py): extreme values give the true numbers, computed in
the stable form, or one line naming file:line, the node and why; a cross-entropy's targets are
probabilities (in scalar and network: problems too); `validate` and `--random` see the same.
(The sweep of every given tensor of ex18–ex25 set to extreme numbers is in
test_tensor_catalogue.py.)

The expected values are worked by hand (log-sum-exp written out with Python's math) or taken
from PyTorch float64 (`torch.nn.functional.cross_entropy`, stable by construction).
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from cli_runner import invoke

from tutor.engine import matrix_solve as tensor_solve
from tutor.engine import tensor
from tutor.errors import ProblemError, UndefinedError
from tutor.problems import catalog
from tutor.problems.loader import load_problem
from tutor.variants.matrix import _draw, variant

PROBLEMS = Path(__file__).parent.parent / "problems"


def _edited(tmp_path, pid: str, old: str, new: str, name: str = "edited.yaml") -> Path:
    """A copy of a catalogue problem with one line changed and its published answers (for
    the original numbers) left out."""
    text = (PROBLEMS / f"{pid}.yaml").read_text(encoding="utf-8")
    assert old in text
    text = text.replace(old, new).split("published:")[0]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


SOFTMAX = """\
id: extreme
title: {{en: t, zh: t}}
statement: {{en: s, zh: s}}
inputs: {{x: [1000, -1000]}}
targets: {{y: {y}}}
params: {{w: 1}}
graph:
  z: w * x
  p: softmax(z)
  L: -sum(y * log(p))
update: {{optimizer: sgd, lr: 0.1}}
"""


def _softmax_file(tmp_path, y: str) -> Path:
    path = tmp_path / "extreme.yaml"
    path.write_text(SOFTMAX.format(y=y), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- stable


def test_ex18_with_a_bias_of_1000_gives_the_true_loss(tmp_path):
    """z2 = W2 a1 + b2 with b2 = [1000, 0.1, −0.1]: L = logsumexp(z2) − z2[2], about 1000.2
    (the softmax of the textbook formula is exactly 0 at class 2: log 0 before)."""
    path = _edited(tmp_path, "ex18", "b2: [0, 0.1, -0.1]", "b2: [1000, 0.1, -0.1]")
    problem = load_problem(path)
    point = tensor.evaluate(problem, problem.leaves)
    leaves = problem.leaves
    a1 = 1 / (1 + np.exp(-(leaves["W1"] @ leaves["x"] + leaves["b1"])))
    z2 = (leaves["W2"] @ a1 + leaves["b2"]).ravel().tolist()
    top = max(z2)
    by_hand = top + math.log(sum(math.exp(z - top) for z in z2)) - z2[1]
    assert point.loss == pytest.approx(by_hand, rel=1e-12)
    assert 1000.1 < point.loss < 1000.3
    # δ(z2) = p − y: p = [1, e^(0.1−1000…), …] within rounding, y = [0, 1, 0]
    assert np.allclose(point.grads["z2"].ravel(), [1, -1, 0], atol=1e-12)
    result = invoke("solve", str(path), width=120)
    assert result.returncode == 0 and "Loss: L = 1000.24" in result.stdout
    assert not re.search(r"\bnan\b|\binf\b|∞", result.stdout)


def test_ex18_with_a_bias_of_1000_matches_torch(tmp_path):
    torch = pytest.importorskip("torch")
    path = _edited(tmp_path, "ex18", "b2: [0, 0.1, -0.1]", "b2: [1000, 0.1, -0.1]")
    problem = load_problem(path)
    point = tensor.evaluate(problem, problem.leaves)
    t = {
        k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
        for k, v in problem.leaves.items()
    }
    z2 = t["W2"] @ torch.sigmoid(t["W1"] @ t["x"] + t["b1"]) + t["b2"]
    loss = torch.nn.functional.cross_entropy(z2.T, t["y"].T.argmax(1))
    loss.backward()
    assert point.loss == pytest.approx(loss.item(), rel=1e-12)
    for name in ("W1", "b1", "W2", "b2"):
        assert np.allclose(point.grads[name], t[name].grad.numpy(), rtol=1e-9, atol=1e-12), name


@pytest.mark.parametrize(
    "y, loss, slope",
    [
        # p = softmax([1000, −1000]) = [1, e^−2000]: L = −log p2 = 2000, and
        # ∂L/∂w = Σ (p − y) ⊙ x = (1 − 0)·1000 + (0 − 1)·(−1000) = 2000
        ("[0, 1]", 2000.0, 2000.0),
        # L = −log p1 = log(1 + e^−2000) = 0 and ∂L/∂w = (1 − 1)·1000 + 0·(−1000) = 0
        ("[1, 0]", 0.0, 0.0),
    ],
)
def test_a_saturated_softmax_gives_the_true_loss_and_gradient(tmp_path, y, loss, slope):
    path = _softmax_file(tmp_path, y)
    problem = load_problem(path)
    point = tensor.evaluate(problem, problem.leaves)
    assert point.loss == loss
    assert float(point.grads["w"]) == slope
    result = invoke("solve", str(path), width=120)
    assert result.returncode == 0, result.stderr
    assert f"Loss: L = {loss:g}" in result.stdout
    assert f"∂L/∂w = {slope:g}" in result.stdout
    assert not re.search(r"\bnan\b|\binf\b|∞", result.stdout)


# --------------------------------------------------------------------------- targets


def test_a_label_past_1_under_a_binary_cross_entropy_is_refused_at_its_line(tmp_path):
    """ex22 with Y = 1e6 showed a loss of −85,599.9: (1 − Y) log(1 − A2) has no lower
    bound once Y > 1."""
    path = _edited(tmp_path, "ex22", "Y: [[0, 1, 1, 0]]", "Y: [[1e6, 1, 1, 0]]")
    line = path.read_text(encoding="utf-8").splitlines().index("  Y: [[1e6, 1, 1, 0]]") + 1
    with pytest.raises(ProblemError) as caught:
        load_problem(path)
    assert caught.value.line == line
    assert "target 'Y' of the binary cross-entropy in 'L'" in str(caught.value)
    assert "Y[1,1] = 1,000,000" in str(caught.value)
    for command in ("solve", "validate"):
        result = invoke(command, str(path), width=300)
        assert result.returncode == 2, command
        assert f"{path}:{line}: target 'Y'" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "y, message",
    [
        ("[0, 0, 0]", "'y' sums to 0, not 1"),  # no class at all
        ("[1, 1, 0]", "'y' sums to 2, not 1"),  # two classes: not a distribution
        ("[-0.5, 1, 0.5]", "y[1] = -0.5"),
    ],
)
def test_a_softmax_cross_entropys_target_is_a_distribution(tmp_path, y, message):
    path = _edited(tmp_path, "ex18", "targets: {y: [0, 1, 0]}", f"targets: {{y: {y}}}")
    with pytest.raises(ProblemError, match=re.escape(message)) as caught:
        load_problem(path)
    assert (
        caught.value.line
        == path.read_text(encoding="utf-8").splitlines().index(f"targets: {{y: {y}}}") + 1
    )


def test_smoothed_labels_and_soft_binary_targets_are_accepted(tmp_path):
    smoothed = _edited(tmp_path, "ex18", "targets: {y: [0, 1, 0]}", "targets: {y: [0.1, 0.8, 0.1]}")
    assert load_problem(smoothed).targets["y"].sum() == pytest.approx(1)
    soft = _edited(tmp_path, "ex22", "Y: [[0, 1, 1, 0]]", "Y: [[0.2, 1, 0.9, 0]]", "soft.yaml")
    assert load_problem(soft).targets["Y"].max() == 1


def test_which_targets_a_cross_entropy_reads():
    assert tensor.cross_entropy_targets(catalog.load("ex18")) == {"y": ("softmax", "L")}
    assert tensor.cross_entropy_targets(catalog.load("ex22")) == {"Y": ("binary", "L")}
    assert tensor.cross_entropy_targets(catalog.load("ex20")) == {}  # squared error: any t


# --------------------------------------------------------------------------- validate, variants


@pytest.mark.parametrize(
    "equation, expected",
    [
        ("h: log(z - 6)", "node 'h' is undefined at these values: log(z - 6) with z[1] = 3"),
        ("h: exp(1000 * z)", "(overflow past ±1.8e308)"),
    ],
)
def test_validate_reports_an_undefined_tensor_value_with_its_line(tmp_path, equation, expected):
    path = tmp_path / "undefined.yaml"
    path.write_text(
        "id: u\ntitle: {en: u, zh: u}\nstatement: {en: s, zh: s}\n"
        "inputs: {x: [3, 1]}\nparams: {w: [1, 1]}\n"
        f"graph:\n  z: w * x\n  {equation}\n  L: sum(h)\n",
        encoding="utf-8",
    )
    result = invoke("validate", str(path), width=300)
    assert result.returncode == 2
    assert f"{path}:8: node 'h' is undefined at these values: " in result.stderr
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_update_that_overflows_is_undefined_after_the_update(tmp_path):
    """h = w ⊙ x with x = [1e100, 1], w = [1, 1]: L = Σ h² = 1e200 + 1 and ∂L/∂w = 2 h ⊙ x =
    [2e200, 2] are finite, the new w = [1 − 2e200, −1] too, but after the step
    h = [−2e300, −1] and Σ h² is past ±1.8e308."""
    path = tmp_path / "after.yaml"
    path.write_text(
        "id: a\ntitle: {en: a, zh: a}\nstatement: {en: s, zh: s}\n"
        "inputs: {x: [1e100, 1]}\nparams: {w: [1, 1]}\n"
        "graph:\n  h: w * x\n  L: sum(h^2)\nupdate: {optimizer: sgd, lr: 1}\n",
        encoding="utf-8",
    )
    with pytest.raises(UndefinedError) as caught:
        tensor_solve.solve(load_problem(path))
    assert caught.value.after_update and caught.value.node == "L" and caught.value.line == 8
    result = invoke("validate", str(path), width=300)
    assert result.returncode == 2
    assert f"{path}:8: after the update, node 'L' is undefined" in result.stderr


def test_a_gradient_that_overflows_is_undefined_with_its_rule(tmp_path):
    """h = w ⊙ x = 1e-160 · 1e-160 = 1e-320 (a subnormal, not 0): L = Σ log h is finite
    (−736.8 + 0), ∂L/∂h = 1 ⊘ h is 1e320, past ±1.8e308."""
    path = tmp_path / "grad.yaml"
    path.write_text(
        "id: g\ntitle: {en: g, zh: g}\nstatement: {en: s, zh: s}\n"
        "inputs: {x: [1e-160, 1]}\nparams: {w: [1e-160, 1]}\n"
        "graph:\n  h: w * x\n  L: sum(log(h))\n",
        encoding="utf-8",
    )
    problem = load_problem(path)
    assert math.isfinite(tensor.evaluate(problem, problem.leaves, backward=False).loss)
    with pytest.raises(UndefinedError) as caught:
        tensor.evaluate(problem, problem.leaves)
    assert caught.value.kind == "gradient" and caught.value.node == "h"
    assert caught.value.line == 8 and "⊘ h" in str(caught.value)
    result = invoke("validate", str(path), width=300)
    assert result.returncode == 2 and f"{path}:8: the gradient ∂L/∂h is undefined" in result.stderr


def test_random_variants_are_drawn_again_until_every_number_is_finite(tmp_path):
    """L = (W x)² and η = 1e154: the step W − η·2(W x)xᵀ is finite, but (W′x)² is about
    4e308·|x|⁴(W x)², past ±1.8e308 for most draws. Such draws were kept (only the values
    and gradients before the update were checked) and `solve --random` then failed."""
    path = tmp_path / "steep.yaml"
    path.write_text(
        "id: steep\ntitle: {en: s, zh: s}\nstatement: {en: s, zh: s}\n"
        "inputs: {x: [0.5, -0.3]}\nparams: {W: [[0.2, 0.7]]}\n"
        "graph:\n  h: W @ x\n  L: sum(h^2)\nupdate: {optimizer: sgd, lr: 1e154}\n",
        encoding="utf-8",
    )
    problem = load_problem(path)
    for seed in range(20):
        solution = tensor_solve.solve(variant(problem, seed))  # raised on a bad draw
        numbers = [solution.loss, solution.after_loss]
        numbers += [float(v) for u in solution.updates for v in np.ravel(u.new)]
        assert all(math.isfinite(n) for n in numbers), seed


def test_a_cross_entropys_soft_target_is_drawn_as_a_probability():
    rng = np.random.default_rng(0)
    soft = np.array([[0.1, 0.5], [0.8, 0.25], [0.1, 0.25]])
    for _ in range(20):
        y = _draw(rng, soft, "softmax")
        assert y.shape == (3, 2) and y.min() >= 0 and np.allclose(y.sum(axis=0), 1)
        labels = _draw(rng, np.array([[0.2, 0.9, 1, 0]]), "binary")
        assert labels.min() >= 0 and labels.max() <= 1


# --------------------------------------------------------------------------- every kind

SCALAR_BCE = """\
id: scalar_bce
title: {{en: t, zh: t}}
statement: {{en: s, zh: s}}
inputs: {{x: 1}}
targets: {{y: {y}}}
params: {{w: 0.5}}
graph:
  z: w*x
  a: sigmoid(z)
  L: -(y*log(a) + (1 - y)*log(1 - a))
"""


def test_a_scalar_problems_cross_entropy_target_is_checked_too(tmp_path):
    """The scalar engine showed L = −499,999 for y = 1e6 (by hand: −(y log σ(0.5) + (1 − y)
    log(1 − σ(0.5))) = −(1e6·(−0.474) + (1 − 1e6)·(−0.974)) = −499,999.5)."""
    path = tmp_path / "scalar_bce.yaml"
    path.write_text(SCALAR_BCE.format(y="1000000"), encoding="utf-8")
    with pytest.raises(ProblemError, match=r"y = 1,000,000 \(outside \[0, 1\]") as caught:
        load_problem(path)
    assert caught.value.line == 5
    path.write_text(SCALAR_BCE.format(y="0.3"), encoding="utf-8")
    assert load_problem(path).targets["y"] == Fraction(3, 10)  # a soft label is a probability


def test_a_networks_targets_are_checked_in_both_views():
    """ex6 is a network: file with a softmax output: --set y2=5 is past [0, 1]; y2=0 leaves
    y1, y2, y3 summing to 0 (the file's one-hot label is [0, 1, 0])."""
    line = (PROBLEMS / "ex6.yaml").read_text(encoding="utf-8").splitlines().index(
        "  targets: [0, 1, 0]"
    ) + 1
    matrix = invoke("solve", "ex6", "--set", "y2=5", width=300)
    assert matrix.returncode == 2 and f"ex6.yaml:{line}: target 'y' " in matrix.stderr
    assert "y[2] = 5" in matrix.stderr
    scalar = invoke("solve", "ex6", "--view", "scalar", "--set", "y2=0", width=300)
    assert scalar.returncode == 2 and f"ex6.yaml:{line}: targets 'y1', 'y2', 'y3'" in scalar.stderr
    assert "they sum to 0, not 1" in scalar.stderr
