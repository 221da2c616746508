"""A tensor problem solved: facts only (arrays and the rules' texts), for the views and quiz.

`solve(problem)` runs `engine.tensor`'s forward and backward pass, writes each node's
backward rule as the course does (δ(z1) = δ(a1) ⊙ σ′(z1), ∂L/∂W1 = δ(z1) xᵀ), applies the
update and the forward pass again. No text for people is made here beyond the formulas; the
published answers are checked after solving (`solutions.explain.with_errata`, as for a scalar problem),
and the views (render, export) and the quiz format these facts.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace

import numpy as np

from tutor.engine import tensor
from tutor.errors import UndefinedError
from tutor.language.matrix_expr import Op, Style
from tutor.language.matrix_expr import text as written
from tutor.model import Problem
from tutor.registry import optim


@dataclass(frozen=True)
class Step:
    """A forward row: `name = text`, its value and shape, the names it reads."""

    name: str
    text: str
    value: np.ndarray
    reads: tuple[str, ...]

    @property
    def shape(self) -> tuple:
        return self.value.shape


@dataclass(frozen=True)
class Term:
    """One consumer's share of ∂L/∂name: the rule (`via` reads `name`) as the op tree the
    backward pass evaluated (`tree`) and as the worked solution prints it (`rule`), e.g. via
    z2 the rule 'W2ᵀ δ(z2)', and its value."""

    via: str
    rule: str
    value: np.ndarray
    tree: Op | None = None


@dataclass(frozen=True)
class Delta:
    """∂L/∂name (δ of a node, the gradient of a given value): the sum of its terms."""

    name: str
    value: np.ndarray
    terms: tuple[Term, ...]
    node: bool  # a node (δ) or a given value (a gradient)


@dataclass(frozen=True)
class Update:
    """One parameter's step: old value, gradient, new value, the optimizer's state shown."""

    name: str
    old: np.ndarray
    grad: np.ndarray
    new: np.ndarray
    state: dict = field(default_factory=dict)


@dataclass(frozen=True)
class TensorSolution:
    problem: Problem
    forward: tuple[Step, ...]
    loss: float
    deltas: tuple[Delta, ...]  # from the loss back: nodes in reverse order, parameters, inputs
    grads: dict[str, np.ndarray]
    updates: tuple[Update, ...] = ()
    after: tuple[Step, ...] = ()
    after_loss: float | None = None
    checks: tuple = ()  # model.solution.Check, filled in after solving (`explain.with_errata`)
    fused: tuple = ()  # engine.tensor.Fused: output probabilities the loss reads through log
    style: Style | None = None  # how its rules print (tensor_expr.Style)

    @property
    def errata(self) -> tuple:
        """The published answers that disagree with the computation (as a Solution's)."""
        return tuple(c for c in self.checks if not c.ok)

    @property
    def mistakes(self) -> tuple:
        """Errata that are not merely early rounding (as a Solution's)."""
        return tuple(c for c in self.checks if not c.ok and c.kind != "rounded")

    def delta(self, name: str) -> Delta:
        return self._by_name[0][name]

    def rule(self, name: str) -> Op | None:
        """∂L/∂name's whole rule as one tree: its terms' trees added (None: no term)."""
        trees = [t.tree for t in self.delta(name).terms]
        if not trees:
            return None
        total = trees[0]
        for t in trees[1:]:  # a − b rather than a + −b
            total = Op("sub", (total, t.args[0])) if t.kind == "neg" else Op("add", (total, t))
        return total

    def fused_term(self, name: str):
        """(the Fused, its term) when δ(name) is the combined rule p − y (or (p − y) / N) of
        a softmax or σ output met by its cross-entropy, read off the rule tree; else None."""
        for f in self.fused:
            if f.z != name:
                continue
            terms = self.delta(name).terms
            if len(terms) != 1:
                return None
            tree = terms[0].tree
            if tree.kind == "div" and tree.args[1].kind == "number":
                tree = tree.args[0]
            if tree.kind == "sub" and tree.args[0].kind == "name" and tree.args[0].name == f.p:
                return f, terms[0]
        return None

    def value(self, name: str) -> np.ndarray:
        step = self._by_name[1].get(name)
        return step.value if step is not None else self.problem.leaves[name]

    def __getstate__(self) -> dict:
        """Its fields without the lookup `_by_name` built: equal solutions pickle to equal
        bytes, whatever was asked of them (the key of a cached document,
        `cache.cached_object`)."""
        state = dict(self.__dict__)
        state.pop("_by_name", None)
        return state

    @functools.cached_property
    def _by_name(self) -> tuple[dict[str, Delta], dict[str, Step]]:
        """The deltas and the forward steps by name, built once (a view asks for each)."""
        return {d.name: d for d in reversed(self.deltas)}, {
            s.name: s for s in reversed(self.forward)
        }


def delta_name(name: str, node: bool) -> str:
    """How a rule writes ∂L/∂name: δ(z1) for a node, ∂L/∂W1 for a given value."""
    return f"δ({name})" if node else f"∂L/∂{name}"


def _steps(problem: Problem, values: dict) -> tuple[Step, ...]:
    return tuple(
        Step(eq.name, written(eq.expr), values[eq.name], tuple(sorted(eq.expr.names())))
        for eq in problem.graph
    )


def style_of(problem: Problem, point: tensor.Point) -> Style:
    """How the rules of this problem are printed: δ(z) for its nodes, ∂L/∂W for the rest,
    Σ_col / Σ_ij read off the shapes."""
    nodes = tuple(sorted(eq.name for eq in problem.graph))
    return Style(nodes=nodes, loss=problem.loss, shapes=point.shapes)


def _deltas(problem: Problem, point: tensor.Point) -> tuple[Delta, ...]:
    nodes = {eq.name for eq in problem.graph}
    bypassed = {f.p for f in point.fused}  # δ(p) of a fused output: the loss reads z
    style = style_of(problem, point)
    # the inputs last: the backward pass of a BatchNorm or a convolution is asked down to
    # its input (∂L/∂X), and for a network the input's gradient shows the same rule again
    order = (
        [eq.name for eq in reversed(problem.graph)] + list(problem.params) + list(problem.inputs)
    )
    by_name: dict[str, list[Term]] = {}
    for (via, n), tree in point.rules.items():
        by_name.setdefault(n, []).append(
            Term(via, written(tree, style), point.contributions[(via, n)], tree)
        )
    out = []
    for name in order:
        if name == problem.loss or name in bypassed:
            continue
        terms = by_name.get(name, [])
        out.append(Delta(name, point.grads[name], tuple(terms), name in nodes))
    return tuple(out)


def _update(problem: Problem, rule, grads: dict):
    names = rule.params or tuple(problem.params)
    state = optim.initial_state(rule, names)
    with np.errstate(all="ignore"):
        new, state = optim.step(
            rule, {n: problem.leaves[n] for n in names}, {n: grads[n] for n in names}, state
        )
    for n in names:
        if not np.all(np.isfinite(new[n])):
            raise UndefinedError(
                "update",
                n,
                loss=problem.loss,
                file=problem.file or problem.id,
                line=problem.extra.get("lines", {}).get(n),
            )
    return tuple(
        Update(n, problem.leaves[n], grads[n], new[n], optim.shown_state(state, n)) for n in names
    ), new


def solve(problem: Problem, *, rule=None) -> TensorSolution:
    """Forward, backward, one update (when asked) and the forward pass after it; kept in the
    user's cache directory like a scalar solution (`cache.cached_object`)."""
    from tutor.cache import cached_object

    return cached_object("tensor-solution", (problem, rule), lambda: _solve(problem, rule))


def _solve(problem: Problem, rule) -> TensorSolution:
    point = tensor.evaluate(problem, problem.leaves)
    forward = _steps(problem, point.values)
    deltas = _deltas(problem, point)
    rule = rule or problem.update
    updates, after, after_loss = (), (), None
    if rule is not None and "update" in problem.asks:
        updates, new = _update(problem, rule, point.grads)
        moved = tensor.evaluate(
            problem, {**problem.leaves, **new}, backward=False, after_update=True
        )
        after, after_loss = _steps(problem, moved.values), moved.loss
        if rule is not problem.update:
            problem = replace(problem, update=rule)
    return TensorSolution(
        problem,
        forward,
        point.loss,
        deltas,
        point.grads,
        updates,
        after,
        after_loss,
        (),
        point.fused,
        style_of(problem, point),
    )
