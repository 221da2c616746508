"""The same problem with other numbers or another update rule.

`--set NAME=VALUE`, `--optimizer/--lr/--l2` and the quiz's `--random` all produce a new
`Problem`; published answers that belonged to the original numbers or rule are dropped, so
`check` and the solution's marks never compare against numbers that no longer apply.
"""

from __future__ import annotations

import math
import random
from dataclasses import replace
from fractions import Fraction

import numpy as np
import sympy as sp

from tutor.engine import scalar as engine
from tutor.errors import ProblemError, UndefinedError
from tutor.model import Problem, Text, UpdateRule
from tutor.model.variation import Grid, RandomBlock
from tutor.registry import schedules
from tutor.registry.functions import maximum, minimum, relu
from tutor.text.messages import both
from tutor.text.notation import pretty_name

GROUPS = ("inputs", "targets", "params", "constants")


def with_values(problem: Problem, settings: list[str] | None) -> Problem:
    """`NAME=VALUE` settings: the problem with some given values replaced (exact numbers)."""
    from tutor.problems.loader import check_targets, set_values

    if not settings:
        return problem
    # The published answers belong to the original numbers: they no longer apply.
    changed = replace(problem, **set_values(problem, settings), published=())
    check_targets(changed)  # a cross-entropy's target set past [0, 1]
    return changed


def with_rule(
    problem: Problem, optimizer: str | None = None, lr: float | None = None, l2: float | None = None
) -> tuple[Problem, UpdateRule | None]:
    """The problem and update rule for `--optimizer/--lr/--l2` (unchanged without them)."""
    rule = problem.update
    if not (optimizer or lr is not None or l2 is not None):
        return problem, rule
    schedules.check_run(lr=lr, l2=l2)  # the one check of --lr and --l2 every command uses
    base = rule or UpdateRule()
    rule = replace(
        base,
        optimizer=optimizer or base.optimizer,
        lr=base.lr if lr is None else lr,
        hyper={} if optimizer and optimizer != base.optimizer else base.hyper,
    )
    if l2 is not None:
        rule = replace(rule, hyper={**rule.hyper, "l2": l2})
    if "update" not in problem.asks:
        problem = replace(problem, asks=problem.asks + ("update",))
    if rule.optimizer != base.optimizer or l2 is not None:
        # with L2 no published step applies (no optimizer name matches "")
        other = "" if l2 is not None else rule.optimizer
        problem = replace(problem, published=_published_for(problem, other))
    return problem, rule


def _published_for(problem: Problem, optimizer: str):
    """Published answers that still apply under another optimizer: those of the forward and
    backward pass, and the `optimizer:` ones (which now describe the main update)."""
    kept = []
    for pub in problem.published:
        key = pub.key
        if key.optimizer:
            if key.optimizer == optimizer:
                kept.append(replace(pub, key=replace(key, optimizer="")))
        elif key.kind not in ("after", "state"):
            kept.append(pub)
    return tuple(kept)


def random_variant(problem: Problem, seed: int, tries: int | None = None) -> Problem:
    """The same problem with fresh given values, drawn as its `random:` block says (else the
    defaults: small integers or one-decimal numbers; labels and constants kept). No drawn
    value is 0 unless the block asks for it (a one_of listing 0, `nonzero: false`).

    Every variant is worth solving: nothing undefined (before or after the update), no ReLU
    exactly at 0, no tie in a max, the loss not 0, every asked gradient not 0 unless it is 0
    by structure (a ReLU that is off, a max's other inputs, a label that is 0) and not all of
    them 0, and the block's conditions met. Draws at most `tries` times (the block's `tries:`,
    else 200); raises ProblemError (file:line of the block) when none qualifies, and for a
    symbolic problem.
    """
    return Drawer(problem).draw(seed, tries)


ZERO = 1e-12  # |value| at most this is 0 (floats: 0.1 + 0.2 - 0.3 is not exactly 0)


class Drawer:
    """Draws variants of one problem; the graph and its compiled function are built once, so
    many seeds cost one evaluation per draw."""

    def __init__(self, problem: Problem):
        if problem.symbolic:
            raise ProblemError(f"{problem.id} is symbolic: --random needs a numeric problem")
        self.problem = problem
        self.block = problem.random or RandomBlock()
        self.graph = engine.build_graph(problem)
        self.compiled = self.graph.compiled
        self.grids = {
            name: self._grid(group, name) for group in GROUPS for name in getattr(problem, group)
        }
        graph = self.graph
        self.relu_args = [e.args[0] for n in graph.nodes for e in n.expr.atoms(relu)]
        self.maxima = [m.args for n in graph.nodes for m in n.expr.atoms(maximum, minimum)]
        self.asked = [p for p in problem.params] if "gradients" in problem.asks else []
        # factors that are locally constant but not constant (ReLU's step, max's indicator):
        # where one is 0 the gradient is 0 by structure, whatever the numbers nearby
        self.piecewise = {
            (n.name, p)
            for n in graph.nodes
            for p, e in n.numeric_local.items()
            if _locally_constant(e)
        }
        self.fused = {n.name for n in graph.nodes if n.fused}
        # nodes that such a factor passes through (a ReLU, a max): 0 there is 0 by structure
        self.cuts = {
            n.name
            for n in graph.nodes
            if any((n.name, p) in self.piecewise for p in n.numeric_local)
        }
        kept = {n for n, g in self.grids.items() if g.kind == "keep"}
        self.kept_zero = {graph.symbols[n]: 0 for n in kept if problem.leaves[n] == 0}
        self.old = {n: Fraction(int(v.p), int(v.q)) for n, v in problem.leaves.items()}
        self.conditions = [self.block.require + case for case in self.block.cases or ((),)]
        self.sides = [
            [side for c in conditions for side in c.parts[::2]] for conditions in self.conditions
        ]

    def _grid(self, group: str, name: str) -> Grid:
        if name in self.block.grids:
            return self.block.grids[name]
        if group in self.block.groups:
            return self.block.groups[group]
        values = getattr(self.problem, group)
        if group == "constants" or (
            group == "targets" and all(v in (0, 1) for v in values.values())
        ):
            return Grid("keep")  # constants, and labels (one-hot, binary)
        return Grid("mixed", nonzero=True)

    def draw(self, seed: int, tries: int | None = None) -> Problem:
        problem, block = self.problem, self.block
        tries = tries or block.tries
        rng = random.Random(seed)
        failed: dict[str, int] = {}
        for attempt in range(tries):
            like = problem.kind.endswith("-count") or attempt >= tries // 2
            leaves = self._leaves(rng, like)
            case = seed % len(self.conditions)
            reason = "no value on its grid" if leaves is None else self._reject(leaves, case)
            if reason is None:
                drawn = {
                    g: {n: _exact(leaves[n]) for n in getattr(problem, g)}
                    for g in ("inputs", "targets", "params", "constants")
                }
                candidate = replace(problem, **drawn, published=())
                try:  # exactly, and after the update too
                    engine.check_point(self.compiled, candidate)
                except (UndefinedError, ArithmeticError, ValueError):
                    reason = "an undefined value"
                else:
                    return replace(candidate, statement=_variant_statement(problem, seed))
            failed[reason] = failed.get(reason, 0) + 1
        worst = max(failed, key=failed.get)
        raise ProblemError(
            f"random: no variant of {problem.id} in {tries} draws (seed {seed}) "
            f"had {worst} (failed {failed[worst]} times)",
            file=problem.file or problem.id,
            line=block.line,
        )

    def _leaves(self, rng: random.Random, like: bool) -> dict | None:
        """Fresh values on each name's grid (Fractions); None if a grid gives none."""
        out, later = {}, []
        for name, grid in self.grids.items():
            if grid.kind == "value":
                later.append((name, grid))
                continue
            value = _on_grid(rng, grid, self.old[name], like)
            if value is None:
                return None
            out[name] = value
        for name, grid in later:
            value = grid.expr.xreplace({self.graph.symbols[n]: _exact(v) for n, v in out.items()})
            if not value.is_Rational or (value == 0 and grid.nonzero):
                return None
            out[name] = Fraction(int(value.p), int(value.q))
        return out

    def _reject(self, leaves: dict, case: int = 0) -> str | None:
        """Why these values make a poor variant (None: they do not); `case` picks the
        block's conditions (its `cases` in turn)."""
        floats = {n: float(v) for n, v in leaves.items()}
        try:
            with np.errstate(all="ignore"):
                values, local, stable = self.compiled.evaluate(floats)
                engine.check_defined(self.graph, values, local, stable)
                grads = self.compiled.backward(values, local, stable)
        except (UndefinedError, ArithmeticError, ValueError, KeyError):
            return "an undefined value"
        if not all(math.isfinite(float(grads[n])) for n in self.problem.leaves):
            return "an undefined value"
        if engine.target_fault(self.problem, floats) is not None:
            return "a cross-entropy's target that is not a probability"
        if self.relu_args and any(abs(v) <= ZERO for v in self._at(self.relu_args, values)):
            return "a ReLU exactly at 0"
        for args in self.maxima:
            got = sorted(self._at(args, values))
            if any(b - a <= ZERO for a, b in zip(got, got[1:])):
                return "a tie in a max"  # which input gets the gradient would be a convention
        if abs(values[self.problem.loss]) <= ZERO:
            return "a loss of 0"
        if self.asked:
            alive = self._alive(values, local, stable)
            zero = [p for p in self.asked if abs(grads[p]) <= ZERO]
            if any(alive[p] for p in zero):
                return "a gradient of 0"
            if len(zero) == len(self.asked):
                return "every gradient 0"
        if self.conditions[case]:
            got = iter(self._at(self.sides[case], values))
            for condition in self.conditions[case]:
                sides = [next(got) for _ in condition.parts[::2]]
                if not _holds(sides, condition.parts[1::2]):
                    return f"'{condition.text}'"
        return None

    def _at(self, exprs, values: dict) -> list[float]:
        """Expressions in the problem's names, evaluated at `values` (node names or not)."""
        out = []
        rest = []
        for e in exprs:
            if e.is_Symbol:
                out.append(values[e.name])
            elif e.is_Number:
                out.append(float(e))
            else:
                out.append(None)
                rest.append(e)
        if rest:
            computed = iter(engine.evaluate_with(None, rest, values))
            out = [float(next(computed)) if v is None else v for v in out]
        return out

    def _alive(self, values: dict, local: dict, stable: dict) -> dict[str, bool]:
        """Which names a nonzero gradient can reach: 0 flows back through a ReLU that is off,
        a max's other inputs, or a factor 0 whatever the drawn values (a label 0)."""
        graph = self.graph
        zero_nodes = {graph.symbols[n]: 0 for n in self.cuts if abs(values[n]) <= ZERO}
        alive = {}
        for name, consumers in graph.adjoint_plan:
            if name == self.problem.loss:
                alive[name] = True
                continue
            alive[name] = False
            for c, _ in consumers:
                if not alive[c]:
                    continue
                key = (c, name)
                if abs((stable if c in self.fused else local)[key]) > ZERO:
                    alive[name] = True
                elif key not in self.piecewise:
                    e = graph.node(c).numeric_local[name]
                    if e.xreplace({**self.kept_zero, **zero_nodes}) != 0:
                        alive[name] = True
                if alive[name]:
                    break
        return alive


def _locally_constant(e) -> bool:
    """True for a factor such as step(z) or ismax(1, a, b): not a number, yet its derivative
    in every name is 0."""
    names = e.free_symbols
    return bool(names) and all(sp.diff(e, s) == 0 for s in names)


def _holds(sides: list[float], ops) -> bool:
    for a, op, b in zip(sides, ops, sides[1:]):
        close = abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
        ok = {
            "<": a < b and not close,
            "<=": a <= b or close,
            ">": a > b and not close,
            ">=": a >= b or close,
            "==": close,
            "!=": not close,
        }[op]
        if not ok:
            return False
    return True


def _on_grid(rng: random.Random, grid: Grid, old: Fraction, like: bool) -> Fraction | None:
    """One value on a grid (None when the grid holds no allowed value)."""
    if grid.kind == "keep":
        return old
    if grid.kind == "mixed":
        while True:  # ends: half the draws are whole numbers from -3 to 3
            value = _mixed(rng, old, like)
            if value or not grid.nonzero:
                return value
    if grid.kind == "one_of":
        choices = [Fraction(int(c.p), int(c.q)) for c in grid.choices]
        choices = [c for c in choices if c or not grid.nonzero]
        return rng.choice(choices) if choices else None
    scale = 10**grid.decimals
    lo, hi = int(sp.ceiling(grid.lo * scale)), int(sp.floor(grid.hi * scale))
    if lo > hi or (grid.nonzero and lo == hi == 0):
        return None
    while True:  # ends: some value other than 0 lies in [lo, hi]
        k = rng.randint(lo, hi)
        if k or not grid.nonzero:
            return Fraction(k, scale)


def _mixed(rng: random.Random, old: Fraction, like: bool) -> Fraction:
    """The default grid: a small integer or a one-decimal number; with `like`, of the same
    sign and range as the value it replaces (probabilities stay in (0, 1), counts positive)."""
    if like and 0 < old < 1:
        return Fraction(rng.randint(1, 9), 10)
    if like and old != 0:
        sign = 1 if old > 0 else -1
        return Fraction(sign * rng.randint(1, 20 if abs(old) > 3 else 3))
    if rng.random() < 0.5:
        return Fraction(rng.randint(-3, 3))
    return Fraction(rng.randint(-20, 20), 10)


def _exact(f: Fraction):
    return (
        sp.Integer(f.numerator) if f.denominator == 1 else sp.Rational(f.numerator, f.denominator)
    )


def _variant_statement(problem: Problem, seed: int) -> Text:
    equations = "; ".join(f"{pretty_name(eq.name)} = {eq.text}" for eq in problem.graph)
    return both("variant_statement", id=problem.id, seed=seed, equations=equations)
