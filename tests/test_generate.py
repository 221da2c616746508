"""Tests for tutor.variants.generate: generated MLP files load, solve, and are reproducible."""

from __future__ import annotations

import math

import pytest

from tutor.engine import scalar as engine
from tutor.errors import InputError
from tutor.problems.loader import load_problem, problem_from_doc
from tutor.problems.yamlsafe import load_yaml
from tutor.variants import generate


def write(tmp_path, text: str):
    f = tmp_path / "net.yaml"
    f.write_text(text, encoding="utf-8")
    return f


@pytest.mark.parametrize(
    "sizes, activation, loss",
    [
        ([3, 8, 8, 2], "sigmoid", "mse"),
        ([2, 3, 3], "relu", "cross_entropy"),
        ([4, 2, 1], "tanh", "binary_cross_entropy"),
        ([2, 2], "linear", "half_squared_error"),
    ],
)
def test_generated_file_loads_and_solves(sizes, activation, loss, tmp_path):
    problem = load_problem(write(tmp_path, generate.mlp(sizes, activation, loss, seed=1)))
    weights = sum(a * b for a, b in zip(sizes, sizes[1:]))
    assert len(problem.params) == weights + sum(sizes[1:])
    assert len(problem.inputs) == sizes[0] and len(problem.targets) == sizes[-1]
    solution = engine.solve(problem)
    assert math.isfinite(solution.loss)
    assert solution.updates and solution.loss_after is not None


def test_same_seed_same_file_other_seed_other_weights():
    a = generate.mlp([3, 4, 2], seed=5)
    assert a == generate.mlp([3, 4, 2], seed=5)
    assert a != generate.mlp([3, 4, 2], seed=6)


def test_weights_are_small():
    problem_text = generate.mlp([64, 8], seed=0)
    numbers = [
        float(v)
        for line in problem_text.splitlines()
        if line.strip().startswith("- [")
        for v in line.strip()[3:-1].split(",")
    ]
    assert numbers and max(abs(v) for v in numbers) <= 1 / 8


@pytest.mark.parametrize("text", ["3", "3,x", "0,2", "3,,", "5000,2"])
def test_bad_sizes_are_refused(text):
    with pytest.raises(InputError):
        generate.parse_sizes(text)


def test_bad_activation_and_loss_are_refused():
    with pytest.raises(InputError):
        generate.mlp([2, 2], activation="swish")
    with pytest.raises(InputError):
        generate.mlp([2, 2], loss="huber")  # (hinge is one since issue 12)
    with pytest.raises(InputError):
        generate.mlp([2, 1], loss="cross_entropy")


def _last_activation(text: str) -> str:
    return [
        line.split(":")[1].strip()
        for line in text.splitlines()
        if line.strip().startswith("activation:")
    ][-1]


def test_squared_error_gets_a_linear_output_unless_asked():
    assert _last_activation(generate.mlp([3, 4, 2], "sigmoid", "mse", seed=1)) == "linear"
    asked = generate.mlp([3, 4, 2], "relu", "mse", seed=1, output="sigmoid")
    assert _last_activation(asked) == "sigmoid" and "--output-activation sigmoid" in asked
    assert _last_activation(generate.mlp([3, 4, 2], "relu", "cross_entropy")) == "softmax"
    with pytest.raises(InputError):
        generate.mlp([3, 4, 2], loss="cross_entropy", output="sigmoid")
    with pytest.raises(InputError):
        generate.mlp([3, 4, 2], output="softmax")


@pytest.mark.parametrize("output, low, high", [("sigmoid", 0.1, 0.9), ("tanh", -0.9, 0.9)])
def test_targets_are_reachable_by_the_output(output, low, high, tmp_path):
    for seed in range(20):
        problem = load_problem(
            write(tmp_path, generate.mlp([2, 3, 3], "tanh", "mse", seed=seed, output=output))
        )
        assert all(low <= float(y) <= high for y in problem.targets.values()), seed


SHAPES = [
    ([2, 2, 1], "relu", "mse"),
    ([2, 2, 2], "sigmoid", "binary_cross_entropy"),
    ([2, 2, 3], "relu", "cross_entropy"),
]  # small ReLU layers: the likeliest to be off


@pytest.mark.parametrize("sizes, activation, loss", SHAPES)
def test_seeds_0_to_99_give_a_loss_and_a_gradient_in_every_layer(sizes, activation, loss):
    """The oracle: central differences of the forward pass; every layer has a bias whose
    gradient is not 0 (so no layer, and not the whole network, gets only zeros)."""
    compiled = None
    for seed in range(100):
        text = generate.mlp(sizes, activation, loss, seed=seed)
        problem = problem_from_doc(load_yaml(text))
        compiled = compiled or engine.build_graph(problem).compiled  # same equations each seed
        leaves = engine.numeric_leaves(problem)
        assert compiled.loss(leaves) != 0, seed
        for layer in range(1, len(sizes)):
            biases = [n for n in problem.params if n.startswith(f"b{layer}_")]
            slopes = []
            for b in biases:
                up, down = dict(leaves), dict(leaves)
                up[b] += 1e-6
                down[b] -= 1e-6
                slopes.append((compiled.loss(up) - compiled.loss(down)) / 2e-6)
            assert any(abs(s) > 1e-7 for s in slopes), (seed, layer, slopes)
