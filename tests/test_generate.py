"""Tests for tutor.generate: generated MLP files load, solve, and are reproducible."""

from __future__ import annotations

import math

import pytest

from tutor import engine, generate
from tutor.errors import InputError
from tutor.loader import load_problem


def write(tmp_path, text: str):
    f = tmp_path / "net.yaml"
    f.write_text(text, encoding="utf-8")
    return f


@pytest.mark.parametrize(
    "sizes, activation, loss",
    [([3, 8, 8, 2], "sigmoid", "mse"), ([2, 3, 3], "relu", "cross_entropy"),
     ([4, 2, 1], "tanh", "binary_cross_entropy"), ([2, 2], "linear", "half_squared_error")],
)  # fmt: skip
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
    numbers = [float(v) for line in problem_text.splitlines() if line.strip().startswith("- [")
               for v in line.strip()[3:-1].split(",")]  # fmt: skip
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
