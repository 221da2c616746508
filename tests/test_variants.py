"""Tests for tutor.variants.scalar: --set, --optimizer/--lr/--l2 and random variants.

Oracles: the fixtures' own numbers worked by hand (seed000_relu: z = w1·x1 + w2·x2 + b1,
h = ReLU(z), ŷ = w3·h + b2, L = ½(ŷ − y)² at x = (1, 2), y = 2, w1 = w2 = 1, b1 = b2 = 0,
w3 = 2).
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import pytest
import shared
import sympy as sp
from cli_runner import invoke
from solution_values import forward_values

from tutor.engine import scalar as engine
from tutor.errors import InputError, ProblemError
from tutor.problems import catalog
from tutor.registry.functions import maximum
from tutor.variants import scalar as variants

FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str):
    return catalog.load(str(FIXTURES / f"{name}.yaml"))


def test_set_replaces_given_values_exactly():
    problem = variants.with_values(load("seed000_relu"), ["x1=0.1", "w3 = 1/3"])
    assert problem.inputs["x1"] == sp.Rational(1, 10) and problem.params["w3"] == sp.Rational(1, 3)
    # z = 0.1 + 2 = 2.1, ŷ = 2.1/3 = 0.7 exactly: no binary round-off
    assert forward_values(engine.solve(problem))["yhat"] == float(Fraction(7, 10))


@pytest.mark.parametrize(
    "setting, words",
    [
        ("q=1", "'q' is not a given value"),
        ("x1", "NAME=VALUE"),
        ("x1=", "NAME=VALUE"),
        ("x1=w1", "unknown name 'w1'"),
        ("x1=sqrt(2)", "is not a number"),
        ("x1=1+", "--set x1"),
    ],
)
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


# --------------------------------------------------------------------------- worth solving

NUMERIC = [info.id for info in catalog.infos() if not catalog.load(info.file).symbolic]


def _fd(compiled, leaves: dict, name: str, h: float = 1e-6) -> float:
    """∂loss/∂name by central differences of the forward pass alone (the oracle)."""
    up, down = dict(leaves), dict(leaves)
    up[name] += h
    down[name] -= h
    return (compiled.loss(up) - compiled.loss(down)) / (2 * h)


def _zero_by_structure(problem, values: dict) -> set[str]:
    """The gradients that are 0 whatever the numbers, by hand for each catalogue problem: a
    label 0 under a log (ex8), a ReLU that is off (ex12, ex6's hidden layer), the inputs of a
    max that are not the largest (ex13); and the weights that read a ReLU that is off."""
    pid = problem.id
    if pid == "ex2" and values["z"] < 0:  # h = 0: ∂L/∂w3 = (ŷ − y)·h, and step(z) = 0
        return {"w1", "w2", "b1", "w3"}
    if pid == "ex8":
        return {f"yhat{k}" for k in range(1, 11) if values[f"y{k}"] == 0}
    if pid == "ex12":
        return {x for x in ("x1", "x2", "x3") if values[x] < 0}
    if pid == "ex13":
        xs = ["x1", "x2", "x3", "x4"]
        top = max(xs, key=values.get)
        return {x for x in xs if x != top}
    if pid == "ex6":
        off = [k for k in (1, 2) if values[f"z1_{k}"] < 0]  # a hidden unit that is off:
        return {
            n
            for k in off
            for n in (
                f"b1_{k}",
                f"W1_{k}_1",
                f"W1_{k}_2",  # its weights
                f"W2_1_{k}",
                f"W2_2_{k}",
                f"W2_3_{k}",
            )
        }  # its output's
    return set()


def _by_hand(value) -> bool:
    """A number a student multiplies by hand: at most two decimals, at most 1000."""
    return abs(value) <= 1000 and (value * 100).is_Integer


@pytest.mark.parametrize("pid", NUMERIC)
def test_every_variant_of_seeds_0_to_99_is_worth_solving(pid):
    """Every numeric problem's random variants, drawn through the quiz's entry point
    (`quiz.session.variant`): numbers a student can multiply by hand, finite values, a loss,
    and a gradient (by central differences of the forward pass, the oracle) for every
    parameter not zero by the problem's structure. A tensor problem is checked on seeds 0-19:
    each of its variants is redrawn until `variants.matrix` accepts it, and the seeds that
    reach a rejected draw (ex20: 6, ex21: 8, ex25: 3 rejections) are among the first 20 (of
    100 seeds only ex23's single rejection is not), while each tensor seed costs about as
    much as all of a scalar problem's hundred."""
    if catalog.load(pid).tensor:
        _tensor_variants_are_worth_solving(pid, range(20))
        return
    problem = catalog.load(pid)
    drawer = variants.Drawer(problem)  # one graph for the hundred variants
    compiled = drawer.compiled
    ex12_cases = set()
    for seed in range(100):
        v = drawer.draw(seed)
        assert all(_by_hand(x) for x in v.leaves.values()), (seed, v.leaves)
        leaves = engine.numeric_leaves(v)
        values, _, _ = compiled.evaluate(leaves)
        assert all(math.isfinite(x) for x in values.values()), seed
        assert compiled.loss(leaves) != 0, seed
        if "gradients" not in problem.asks:
            continue
        structural = _zero_by_structure(v, values)
        grads = {p: _fd(compiled, leaves, p) for p in problem.params}
        for p, g in grads.items():
            if p in structural:
                assert abs(g) < 1e-6, (seed, p, g)
            else:
                assert abs(g) > 1e-6, (seed, p, g, v.leaves)
        if pid == "ex12":
            ex12_cases.add(frozenset(structural) == frozenset())
    if pid == "ex12":  # the point of ex12: gradients stopped and passed, in every variant
        assert ex12_cases == {False}


def _tensor_variants_are_worth_solving(pid: str, seeds) -> None:
    import numpy as np

    from tutor.engine import tensor
    from tutor.quiz import session as quiz

    problem = catalog.load(pid)
    seen = set()
    for seed in seeds:
        v = quiz.variant(problem, seed)
        assert v.published == () and v.graph == problem.graph and v.update == problem.update
        for name, old in problem.leaves.items():
            new = v.leaves[name]
            assert new.shape == old.shape, (seed, name)  # a batch stays a batch
            if name in dict(problem.extra.get("ties", ())):
                continue  # computed from the values it is tied to (ex25's Wr = 2 Wh): tested there
            if name in problem.constants or not old.any():
                assert np.array_equal(new, old), (seed, name)  # ε, h0 = 0
                continue
            by_hand = np.allclose(new * 100, np.round(new * 100), rtol=0, atol=1e-9)
            assert by_hand and np.all(np.abs(new) <= 1000), (seed, name, new)
            if np.all(old == np.round(old)):
                assert np.all(new == np.round(new)), (seed, name)  # whole numbers stay whole
            else:
                assert np.all(np.abs(new) <= 1), (seed, name)  # the grid: hundredths in [-1, 1]
        point = tensor.evaluate(v, v.leaves, backward=False)
        assert all(np.isfinite(x).all() for x in point.values.values()), seed
        assert np.isfinite(point.loss) and point.loss != 0, seed
        for name in v.params:
            assert shared.some_finite_difference(v, v.leaves, name), (seed, name)
        seen.add(tuple(np.concatenate([v.leaves[n].ravel() for n in v.params])))
    assert len(seen) == len(seeds)  # seeds give different variants


def test_the_readme_variant_seed_7_has_a_loss_and_gradients():
    v = variants.random_variant(catalog.load("ex2"), 7)
    g = {k: Fraction(int(x.p), int(x.q)) for k, x in v.leaves.items()}
    # by hand: z = w1·x1 + w2·x2 + b1 > 0 (the block's case for seed 7 = 3·2 + 1), h = z,
    # ŷ = w3·h + b2
    z = g["w1"] * g["x1"] + g["w2"] * g["x2"] + g["b1"]
    assert z > 0
    yhat = g["w3"] * z + g["b2"]
    assert Fraction(1, 2) * (yhat - g["y"]) ** 2 != 0
    e = yhat - g["y"]
    grads = {
        "w1": e * g["w3"] * g["x1"],
        "w2": e * g["w3"] * g["x2"],
        "b1": e * g["w3"],
        "w3": e * z,
        "b2": e,
    }
    assert all(grads.values()), grads
    result = invoke(
        "quiz", "ex2", "--seed", "7", "--answers", "-", "--db", ":memory:", stdin="quit\n"
    )
    assert "L = 0" not in result.stdout


def test_a_block_that_cannot_be_met_names_its_file_and_line(tmp_path):
    text = (FIXTURES / "seed000_relu.yaml").read_text(encoding="utf-8")
    path = tmp_path / "never.yaml"
    path.write_text(
        text + "random:\n  params: {int: [1, 3]}\n  inputs: {int: [1, 3]}\n"
        "  require: [z < 0]\n  tries: 20\n",
        encoding="utf-8",
    )
    problem = catalog.load(str(path))
    with pytest.raises(ProblemError) as caught:
        variants.random_variant(problem, 1)
    line = text.count("\n") + 1
    message = str(caught.value)
    assert f"{path}:{line}:" in message and "'z < 0'" in message and "20 draws" in message
    result = invoke(
        "quiz", str(path), "--seed", "1", "--answers", "-", "--db", ":memory:", stdin=""
    )
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    # validate draws from the block too, so a teacher hears of it before a student does
    result = invoke("validate", str(path))
    assert result.returncode == 2 and f"{path}:{line}:" in result.stderr


def test_grids_and_computed_values(tmp_path):
    problem = catalog.load("ex8")  # probabilities drawn on grids, yhat8 computed: sum 1
    for seed in range(20):
        v = variants.random_variant(problem, seed)
        p = [v.params[f"yhat{k}"] for k in range(1, 11)]
        assert sum(p) == 1 and all(x >= 0 for x in p)
        assert 0.3 <= v.params["yhat3"] <= 0.8 and (v.params["yhat3"] * 100).is_Integer
        assert v.params["yhat4"] == 0 and v.targets == problem.targets


def test_cases_are_taken_in_turn_by_seed():
    problem = catalog.load("ex2")  # cases: z > 0, z > 0, z < 0
    drawer = variants.Drawer(problem)
    for seed in range(12):
        g = drawer.draw(seed).leaves
        z = g["w1"] * g["x1"] + g["w2"] * g["x2"] + g["b1"]  # by hand
        assert (z < 0) == (seed % 3 == 2), (seed, z)


def _zero_asked(problem, group: str, name: str) -> bool:
    """Whether the problem's `random:` block asks that `name` may be 0 (docs/format.md): a
    value kept as the file gives it (constants, 0/1 labels, `keep`) that is 0 there, a
    `one_of` that lists 0, or a range that says `nonzero: false`."""
    block = problem.random
    grid = None
    if block is not None:
        grid = block.grids.get(name) or block.groups.get(group)
    if grid is None:
        values = getattr(problem, group)
        kept = group == "constants" or (
            group == "targets" and all(v in (0, 1) for v in values.values())
        )
        return kept and values[name] == 0
    if grid.kind == "keep":
        return getattr(problem, group)[name] == 0
    if grid.kind == "one_of":
        return 0 in grid.choices and not grid.nonzero
    if grid.kind in ("int", "range") and grid.lo == 0 == grid.hi:
        return True
    return "nonzero: false" in Path(problem.file).read_text(encoding="utf-8")  # none does


@pytest.mark.parametrize("pid", NUMERIC)
def test_no_given_value_of_seeds_0_to_99_is_0_unless_the_block_asks(pid):
    """ex2 --seed 11 had w3 = 0 (its ∂L/∂h, ∂L/∂z and the first layer's gradients all 0) and
    ex18 --seed 1 x2 = 0 (a zero column of ∂L/∂W1): a 0 nobody asked for. A tensor problem
    has no random block: no parameter entry is 0, and no given input or target has a row
    or column of zeros, except a one-hot target's zeros, a probability target's 0 and a
    tensor the file gives as all zeros (h0). A tensor problem is checked on seeds 0-19, as
    in the test above (each tensor seed solves its draws until one is accepted: ex25's six-
    layer ReLU chains die in most), and each of its draws is checked in the next test."""
    from tutor.engine import tensor
    from tutor.quiz import session as quiz

    problem = catalog.load(pid)
    if problem.tensor:
        targets = tensor.cross_entropy_targets(problem)
        for seed in range(20):
            _no_zero_unasked(problem, quiz.variant(problem, seed).leaves, targets, seed)
        return
    drawer = variants.Drawer(problem)
    groups = ("inputs", "targets", "params", "constants")
    for seed in range(100):
        v = drawer.draw(seed)
        for group in groups:
            for name, value in getattr(v, group).items():
                if value == 0:
                    assert _zero_asked(problem, group, name), (seed, name)
    if pid == "ex2":
        assert drawer.draw(11).params["w3"] != 0


def _no_zero_unasked(problem, leaves: dict, targets: dict, seed) -> None:
    """No parameter entry 0, no zero row or column in a given input or target (see above)."""
    import numpy as np

    for group in ("inputs", "targets", "params"):
        for name, old in getattr(problem, group).items():
            new = np.asarray(leaves[name], dtype=float)
            if not np.asarray(old).any() or name in targets:
                continue
            if set(np.unique(old)) <= {0, 1} and np.all(np.sum(old, axis=0) == 1):
                continue  # one-hot
            if group == "params":
                assert np.all(new != 0), (seed, name, new)
                continue
            zero = new == 0
            lines = (
                zero
                if new.ndim < 2
                else np.concatenate([zero.all(axis=-1).ravel(), zero.all(axis=-2).ravel()])
            )
            assert not np.any(lines), (seed, name, new)


@pytest.mark.parametrize("pid", [p for p in NUMERIC if catalog.load(p).tensor])
def test_no_draw_of_a_tensor_problem_puts_a_0_where_nothing_asks(pid):
    """The same rule on 300 raw draws of each tensor problem (variants.matrix._draw, before a
    draw is solved and kept or drawn again), so the draws the test above never keeps count."""
    import numpy as np

    from tutor.engine import tensor
    from tutor.variants import matrix

    problem = catalog.load(pid)
    targets = tensor.cross_entropy_targets(problem)
    kinds = {n: kind for n, (kind, _) in targets.items()}
    rng = np.random.default_rng(0)
    for draw in range(300):
        leaves = {
            n: matrix._draw(rng, v, kinds.get(n), g)
            for g in ("inputs", "targets", "params")
            for n, v in getattr(problem, g).items()
        }
        _no_zero_unasked(problem, leaves, targets, draw)
