"""The same problem with other numbers or another update rule.

`--set NAME=VALUE`, `--optimizer/--lr/--l2` and the quiz's `--random` all produce a new
`Problem`; published answers that belonged to the original numbers or rule are dropped, so
`check` and the solution's marks never compare against numbers that no longer apply.
"""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
import sympy as sp

from . import engine, schedules
from .errors import InputError, ProblemError, TutorError, UndefinedError
from .functions import maximum, minimum, relu
from .model import Problem, Text, UpdateRule
from .notation import pretty_name

GROUPS = ("inputs", "targets", "params", "constants")


def with_values(problem: Problem, settings: list[str] | None) -> Problem:
    """`NAME=VALUE` settings: the problem with some given values replaced (exact numbers)."""
    from .expr import parse

    if not settings:
        return problem
    changed = {g: dict(getattr(problem, g)) for g in GROUPS}
    for item in settings:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name or not text.strip():
            raise InputError(f"--set needs NAME=VALUE, not '{item}'")
        group = next((g for g in GROUPS if name in changed[g]), None)
        if group is None:
            known = ", ".join(problem.leaves)
            raise InputError(f"--set: '{name}' is not a given value of {problem.id} ({known})")
        try:
            value = parse(text.strip(), {})
        except TutorError as e:
            raise InputError(f"--set {name}: {e.message}") from None
        if not value.is_Number:
            raise InputError(f"--set {name}: '{text.strip()}' is not a number")
        changed[group][name] = value
    # The published answers belong to the original numbers: they no longer apply.
    return replace(problem, **changed, published=())


def with_rule(problem: Problem, optimizer: str | None = None, lr: float | None = None,
              l2: float | None = None) -> tuple[Problem, UpdateRule | None]:  # fmt: skip
    """The problem and update rule for `--optimizer/--lr/--l2` (unchanged without them)."""
    rule = problem.update
    if not (optimizer or lr is not None or l2 is not None):
        return problem, rule
    schedules.check_run(lr=lr, l2=l2)  # the one check of --lr and --l2 every command uses
    base = rule or UpdateRule()
    rule = replace(base, optimizer=optimizer or base.optimizer,
                   lr=base.lr if lr is None else lr,
                   hyper={} if optimizer and optimizer != base.optimizer else base.hyper)  # fmt: skip
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


def random_variant(problem: Problem, seed: int, tries: int = 60) -> Problem:
    """The same problem with fresh given values: small integers or one-decimal numbers.

    Labels that are 0 or 1 (one-hot, binary) and constants keep their values; counts stay
    positive. A draw is kept only if nothing is undefined (before or after the update), no ReLU sits exactly at 0 and no
    max has a tie.
    When mixed signs keep failing (probabilities under a log...), later draws keep each
    value's sign and range. Raises ProblemError for a symbolic problem.
    """
    if problem.symbolic:
        raise ProblemError(f"{problem.id} is symbolic: --random needs a numeric problem")
    rng = random.Random(seed)
    graph = engine.build_graph(problem)
    compiled = engine.Compiled(graph)
    relu_args = [e.args[0] for n in graph.nodes for e in n.expr.atoms(relu)]
    maxima = [e for n in graph.nodes for e in n.expr.atoms(maximum, minimum)]
    counts = problem.kind.endswith("-count")
    for attempt in range(tries):
        like = counts or attempt >= tries // 2
        drawn = {g: _draw(rng, getattr(problem, g), like, keep_labels=(g == "targets"))
                 for g in ("inputs", "targets", "params")}  # fmt: skip
        candidate = replace(problem, **drawn, published=())
        try:  # undefined values anywhere, before or after the update: draw again
            engine.check_point(compiled, candidate)
            with np.errstate(all="ignore"):
                values, _, _ = compiled.evaluate(engine.numeric_leaves(candidate))
        except (UndefinedError, ArithmeticError, ValueError):
            continue
        at = {graph.symbols[k]: v for k, v in values.items()}
        if any(float(a.xreplace(at)) == 0 for a in relu_args):
            continue
        if any(len({float(a.xreplace(at)) for a in m.args}) < len(m.args) for m in maxima):
            continue  # a tie: which input gets the gradient would be a convention
        return replace(candidate, statement=_variant_statement(problem, seed))
    raise ProblemError(f"could not draw a usable variant of {problem.id} (seed {seed})")


def _draw(rng: random.Random, values: dict, like: bool, keep_labels: bool) -> dict:
    """Fresh values; with `like`, each keeps the sign and range of the value it replaces."""
    if keep_labels and all(v in (0, 1) for v in values.values()):
        return dict(values)
    out = {}
    for name, old in values.items():
        if like and 0 < old < 1:
            out[name] = sp.Rational(rng.randint(1, 9), 10)
        elif like and old != 0:
            sign = 1 if old > 0 else -1
            out[name] = sign * sp.Integer(rng.randint(1, 20 if abs(old) > 3 else 3))
        elif rng.random() < 0.5:
            out[name] = sp.Integer(rng.randint(-3, 3))
        else:
            out[name] = sp.Rational(rng.randint(-20, 20), 10)
    return out


def _variant_statement(problem: Problem, seed: int) -> Text:
    equations = "; ".join(f"{pretty_name(eq.name)} = {eq.text}" for eq in problem.graph)
    return Text(
        f"A variant of {problem.id} with fresh values (seed {seed}). The same equations: "
        f"{equations}. The given values are in the table below.",
        f"{problem.id} 的变体（种子 {seed}）。公式相同：{equations}。已知数值见下表。",
    )
