"""Tests for tutor.variants: --set, --optimizer/--lr/--l2 and random variants.

Oracles: the fixtures' own numbers worked by hand (seed000_relu: z = w1·x1 + w2·x2 + b1,
h = ReLU(z), ŷ = w3·h + b2, L = ½(ŷ − y)² at x = (1, 2), y = 2, w1 = w2 = 1, b1 = b2 = 0,
w3 = 2).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
import sympy as sp

from tutor import catalog, engine, variants
from tutor.errors import InputError, ProblemError
from tutor.functions import maximum
from solution_values import forward_values

FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str):
    return catalog.load(str(FIXTURES / f"{name}.yaml"))


def test_set_replaces_given_values_exactly():
    problem = variants.with_values(load("seed000_relu"), ["x1=0.1", "w3 = 1/3"])
    assert problem.inputs["x1"] == sp.Rational(1, 10) and problem.params["w3"] == sp.Rational(1, 3)
    # z = 0.1 + 2 = 2.1, ŷ = 2.1/3 = 0.7 exactly: no binary round-off
    assert forward_values(engine.solve(problem))["yhat"] == float(Fraction(7, 10))


@pytest.mark.parametrize("setting, words", [
    ("q=1", "'q' is not a given value"),
    ("x1", "NAME=VALUE"),
    ("x1=", "NAME=VALUE"),
    ("x1=w1", "unknown name 'w1'"),
    ("x1=sqrt(2)", "is not a number"),
    ("x1=1+", "--set x1"),
])  # fmt: skip
def test_set_refuses_bad_settings(setting, words):
    with pytest.raises(InputError) as caught:
        variants.with_values(load("seed000_relu"), [setting])
    assert words in str(caught.value)


def test_set_drops_the_published_answers():
    problem = catalog.load("ex2")
    assert problem.published
    assert variants.with_values(problem, ["x1=3"]).published == ()


def test_rule_options_change_the_update_and_keep_its_parameters():
    base = load("seed003_sigmoid")
    problem, rule = variants.with_rule(base, "momentum", 0.5)
    assert (rule.optimizer, rule.lr) == ("momentum", 0.5)
    assert rule.params == ("W2_1_1", "W2_1_2", "b2_1")  # the problem's own choice stays
    _, same = variants.with_rule(base)
    assert same is base.update


@pytest.mark.parametrize("lr", [0.0, -1.0, float("nan"), float("inf")])
def test_rule_refuses_a_rate_that_is_not_positive(lr):
    with pytest.raises(InputError):
        variants.with_rule(load("seed000_relu"), lr=lr)


def test_another_optimizer_keeps_the_published_values_that_still_apply():
    problem = catalog.load("ex4")  # publishes SGD steps and `adam:` ones
    kept, _ = variants.with_rule(problem, "adam")
    quantities = {p.key.text for p in kept.published}
    assert "W2_1_1'" in quantities  # from `adam:W2_1_1'`, now the main update
    assert not any(q.startswith("adam:") for q in quantities)
    assert "C" in quantities  # the forward pass does not depend on the optimizer


def test_random_variants_are_reproducible_and_usable():
    problem = load("seed000_relu")
    a, b = variants.random_variant(problem, 5), variants.random_variant(problem, 5)
    assert a.leaves == b.leaves
    assert a.leaves != problem.leaves
    graph = engine.build_graph(problem)
    for seed in range(30):
        v = variants.random_variant(problem, seed)
        values = forward_values(engine.solve(v, graph=graph))
        assert values["z"] != 0  # ReLU never exactly at its kink
        assert all(isinstance(x, (sp.Integer, sp.Rational)) for x in v.leaves.values())


def test_random_variants_keep_one_hot_labels_and_avoid_ties_in_max():
    problem = catalog.load("ex13")  # max pooling: a tie would make the gradient a convention
    graph = engine.build_graph(problem)
    maxima = [e for n in graph.nodes for e in n.expr.atoms(maximum)]
    assert maxima
    for seed in range(20):
        v = variants.random_variant(problem, seed)
        given = [v.leaves[a.name] for a in maxima[0].args]
        assert len(set(given)) == len(given), seed


def test_a_symbolic_problem_has_no_random_variant():
    with pytest.raises(ProblemError):
        variants.random_variant(load("seed000_logistic"), 1)
