"""tutor.variants.matrix: `--random` for tensor problems: one-hot targets, batches, no value on a
kink, a few seeds against finite differences and torch. That every catalogue problem's variants
(scalar and tensor) are worth solving and keep their shapes and kinds of values is
test_variants.py's test_every_variant_of_seeds_0_to_99_is_worth_solving."""

from __future__ import annotations

import numpy as np
import pytest
from test_tensor_catalogue import FIXTURES, TENSOR_IDS, close, finite_differences, torch_gradients

from tutor.engine import tensor
from tutor.errors import ProblemError
from tutor.problems import catalog
from tutor.problems.loader import load_problem
from tutor.variants.matrix import GRID, variant


def _on_grid(a: np.ndarray) -> bool:
    return bool(np.all(np.isclose(a[..., None], GRID, rtol=0, atol=1e-12).any(axis=-1)))


def test_one_hot_targets_stay_one_hot_with_the_hot_row_drawn():
    problem = catalog.load("ex18")
    hot = set()
    for seed in range(40):
        y = variant(problem, seed).targets["y"]
        assert sorted(y.ravel().tolist()) == [0, 0, 1]
        hot.add(int(y.argmax()))
    assert hot == {0, 1, 2}


def test_a_batch_keeps_its_samples_as_columns_and_its_labels_binary():
    problem = catalog.load("ex22")
    for seed in range(20):
        v = variant(problem, seed)
        assert v.inputs["X"].shape == (2, 4) and set(np.unique(v.inputs["X"])) <= {0.0, 1.0}
        assert v.targets["Y"].shape == (1, 4) and set(np.unique(v.targets["Y"])) <= {0.0, 1.0}


def test_the_same_seed_gives_the_same_variant():
    problem = catalog.load("ex21")
    a, b, c = variant(problem, 7), variant(problem, 7), variant(problem, 8)
    assert all(np.array_equal(a.leaves[n], b.leaves[n]) for n in a.leaves)
    assert any(not np.array_equal(a.leaves[n], c.leaves[n]) for n in a.leaves)


def test_no_variant_puts_a_value_on_a_kink():
    """ReLU inputs are never 0 and no pooling window has two equal maxima (their derivative
    there is a convention, and finite differences would disagree with it)."""
    for pid in ("ex20", "ex21", "ex25"):
        problem = catalog.load(pid)
        for seed in range(30):
            v = variant(problem, seed)
            values = tensor.evaluate(v, v.leaves).values
            for name in [n for n in values if n.startswith(("z1", "zr"))]:
                assert np.all(np.abs(values[name]) > 1e-9), (pid, seed, name)
            if pid == "ex21":
                z = values["z"][0]
                for i in range(2):
                    for j in range(2):
                        w = np.sort(z[2 * i : 2 * i + 2, 2 * j : 2 * j + 2].ravel())
                        assert w[-1] - w[-2] > 1e-9, (seed, i, j)


@pytest.mark.parametrize("pid", TENSOR_IDS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_variant_gradients_match_finite_differences(pid, seed):
    v = variant(catalog.load(pid), seed)
    point = tensor.evaluate(v, v.leaves)
    for name in [*v.params, *v.inputs]:
        fd = finite_differences(v, v.leaves, name)
        assert np.allclose(point.grads[name], fd, rtol=1e-6, atol=1e-8), name


@pytest.mark.parametrize("pid", TENSOR_IDS)
def test_variant_gradients_match_torch(pid):
    for seed in (3, 4):
        v = variant(catalog.load(pid), seed)
        point = tensor.evaluate(v, v.leaves)
        loss, grads, _ = torch_gradients(pid, v.leaves)
        assert point.loss == pytest.approx(loss, rel=1e-12)
        for name in v.params:
            assert close(point.grads[name], grads[name], 1e-10), (seed, name)


def test_the_mnist_sized_problem_has_variants():
    problem = load_problem(FIXTURES / "mnist_conv.yaml")
    v = variant(problem, 0)
    assert v.params["W"].shape == (10, 1352) and np.isfinite(tensor.evaluate(v, v.leaves).loss)


def test_a_problem_with_no_worthwhile_variant_says_so(tmp_path):
    """A ReLU of a given that is always 0 after the draw (zeros stay zero) kills W's gradient."""
    path = tmp_path / "dead.yaml"
    path.write_text(
        "id: dead\ntitle: {en: dead, zh: 死}\nstatement: {en: dead, zh: 死}\n"
        "inputs: {x: [0, 0]}\nparams: {W: [[0.5, 0.5]]}\n"
        "graph:\n  L: sum(relu(W @ x))\n",
        encoding="utf-8",
    )
    with pytest.raises(ProblemError, match="no variant of dead"):
        variant(load_problem(path), 0)


def test_a_scalar_problem_is_not_drawn_here():
    with pytest.raises(ValueError, match="not a tensor problem"):
        variant(catalog.load("ex2"), 0)
