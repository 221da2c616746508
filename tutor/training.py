"""Training: many optimizer steps of one problem, with a compiled step that stays fast.

The fast path runs the engine's generated loop (`engine.codegen.Program`: the graph, its
adjoint plan and the optimizer's rule printed as one scalar Python function). The general
path (`fast=False`) runs the engine's `Compiled.evaluate`/`backward` and `optim.step` once
per step: slow, but it is the reference the fast path is tested against. Divergence and
Ctrl-C stop a run with the losses so far.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from . import optim
from . import schedules as sched
from .engine import Compiled, Graph, build_graph, numeric_leaves
from .engine.codegen import Program
from .errors import InputError
from .model import Problem, UpdateRule


@dataclass
class History:
    """A run: the loss before each step, the rates used, the final parameters.

    A run stopped early (it diverged, or Ctrl-C) has the losses of the steps it took and
    `final_loss` None; `params` are then the last values known to be finite.
    """

    losses: list[float]
    rates: list[float]
    params: dict[str, float]
    final_loss: float | None
    names: tuple[str, ...] = ()
    initial: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Blowup:
    """Where a run stopped being finite: the step (from 1), which value (the loss, the
    gradient of a parameter, or a parameter after its update; `name` None when it cannot be
    told which), and whether it overflowed or became undefined (nan, log of a negative...)."""

    step: int
    value: str  # "loss", "gradient" or "parameter"
    name: str | None = None
    overflow: bool = True


class Diverged(InputError):
    """Training blew up: the history up to the last finite step, and what overflowed."""

    def __init__(self, history: History, blowup: Blowup, lr: float, steps: int):
        self.history, self.blowup = history, blowup
        super().__init__(_diverged_message(blowup, lr, steps))


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during training: still a KeyboardInterrupt, carrying the history so far."""

    def __init__(self, history: History):
        super().__init__()
        self.history = history


def _diverged_message(b: Blowup, lr: float, steps: int) -> str:
    what = {"loss": "the loss",
            "gradient": f"the gradient of {b.name}" if b.name else "the gradients",
            "parameter": f"the parameter {b.name}" if b.name else "the parameters"}[b.value]  # fmt: skip
    verb = "overflowed" if b.overflow else "became undefined (not a number)"
    if b.step == 1 and b.value != "parameter":
        return f"{what} {verb} at step 1, at the given values, before any update"
    when = f"after the last step ({steps:,})" if b.step > steps else f"at step {b.step:,}"
    from .notation import fmt

    return f"{what} {verb} {when}; the learning rate {fmt(lr)} is too large for this problem"


def _overflow(x) -> bool:
    """An exception or a non-finite value: True for an overflow, False for undefined."""
    if isinstance(x, BaseException):
        return isinstance(x, OverflowError)
    return math.isinf(x)


def _first_bad(names, values) -> str | None:
    return next((n for n, v in zip(names, values) if not math.isfinite(v)), None)


_FAILURES = (ArithmeticError, ValueError)  # math overflow, math domain error, division by 0


def hyper_tuple(rule: UpdateRule) -> tuple[float, ...]:
    """(optim.HYPERS..., l2) with the optimizer's defaults (torch's)."""
    h = {k: v for d in optim.DEFAULTS.values() for k, v in d.items()}
    h.update(optim.hyper(rule))
    return (*(h[k] for k in optim.HYPERS), h.get("l2", 0.0))


def trained_names(problem: Problem, rule: UpdateRule) -> tuple[str, ...]:
    return tuple(rule.params or problem.params)


def train(
    problem: Problem,
    rule: UpdateRule,
    steps: int,
    *,
    schedule: str = "constant",
    schedule_options: dict | None = None,
    fast: bool = True,
    graph: Graph | None = None,
    progress=None,
    chunks: int = 50,
) -> History:
    """`steps` updates of the parameters `rule` names (all when None), loss before each step.

    `progress(done)` is called after each chunk of steps (for a progress bar). Raises
    `Diverged` (an InputError) when a loss, gradient or parameter stops being finite, and
    `Interrupted` on Ctrl-C; both carry the history up to that step.
    """
    if problem.symbolic:
        raise InputError(f"problem '{problem.id}' is symbolic (no values): nothing to train")
    optim.hyper(rule)  # refuses an unknown optimizer
    sched.check_run(lr=rule.lr, l2=rule.hyper.get("l2"), steps=steps, schedule=schedule,
                    options=schedule_options)  # fmt: skip
    names = trained_names(problem, rule)
    if not names:
        raise InputError(f"{problem.id} has no parameters to train")
    rates = sched.rates(schedule, rule.lr, steps, **(schedule_options or {}))
    leaves = numeric_leaves(problem)
    initial = {n: leaves[n] for n in names}
    losses: list[float] = []
    current = dict(initial)  # the last parameter values known to be finite

    def history(final_loss=None) -> History:
        return History(losses, rates[: len(losses)] if final_loss is None else rates,
                       dict(current), final_loss, names, initial)  # fmt: skip

    try:
        graph = graph or build_graph(problem)
        if fast:
            final_loss, blowup = _run_compiled(graph, names, rule, rates, leaves, losses,
                                               current, progress, chunks)  # fmt: skip
        else:
            final_loss, blowup = _run_general(graph, names, rule, rates, leaves, losses,
                                              current, progress, chunks)  # fmt: skip
    except KeyboardInterrupt:
        raise Interrupted(history()) from None
    if blowup is not None:
        raise Diverged(history(), blowup, rule.lr, steps)
    return history(final_loss)


def _run_compiled(graph, names, rule, rates, leaves, losses, current, progress, chunks):
    """The fast path: chunks of steps in the generated function. A chunk that fails (an
    exception, or a value that is not finite) is replayed one step at a time from its start,
    which finds the step and the value that blew up."""
    steps = len(rates)
    hyper = hyper_tuple(rule)
    program = Program(graph, names, rule.optimizer, l2=hyper[-1] != 0.0)
    fixed = [leaves[n] for n in program.fixed_names]
    params = [leaves[n] for n in names]
    state = [[0.0] * len(names), [0.0] * len(names)]
    size = max(1, -(-steps // chunks)) if progress else steps
    for start in range(0, steps, size):
        chunk = rates[start:start + size]
        mark = len(losses)
        try:
            new, new_state = program.run(params, state, fixed, hyper, chunk, start, losses)
            finite = all(map(math.isfinite, losses[mark:])) and all(map(math.isfinite, new))
        except _FAILURES:
            finite = False
        if not finite:
            del losses[mark:]
            new, new_state, blowup = _replay(program, params, state, fixed, hyper, chunk,
                                             start, losses, current)  # fmt: skip
            if blowup is not None:
                return None, blowup
        params, state = new, new_state
        current.update(zip(names, params))
        if progress:
            progress(min(start + size, steps))
    try:
        final_loss = program._function("loss")(params, fixed)
    except _FAILURES as e:
        return None, Blowup(steps + 1, "loss", None, _overflow(e))
    if not math.isfinite(final_loss):
        return None, Blowup(steps + 1, "loss", None, _overflow(final_loss))
    return final_loss, None


def _replay(program, params, state, fixed, hyper, rates, t0, losses, current):
    """Steps t0+1, t0+2, ... one at a time, checking the loss, the gradients and the new
    parameters of each: (params, state, None) if all stay finite, else the Blowup."""
    run, loss_of = program._function("run"), program._function("loss")
    names = program.names
    for i, lr in enumerate(rates):
        step = t0 + i + 1
        try:
            loss = loss_of(params, fixed)
        except _FAILURES as e:
            return params, state, Blowup(step, "loss", None, _overflow(e))
        if not math.isfinite(loss):
            return params, state, Blowup(step, "loss", None, _overflow(loss))
        losses.append(loss)
        try:
            grads = program.grads(params, fixed)
        except _FAILURES as e:
            return params, state, Blowup(step, "gradient", None, _overflow(e))
        bad = _first_bad(names, grads)
        if bad:
            return params, state, Blowup(step, "gradient", bad, _overflow(grads[names.index(bad)]))
        try:
            params, state = run(params, state, fixed, hyper, [lr], step - 1, [])
        except _FAILURES as e:
            return params, state, Blowup(step, "parameter", None, _overflow(e))
        bad = _first_bad(names, params)
        if bad:
            return params, state, Blowup(step, "parameter", bad, _overflow(params[names.index(bad)]))
        current.update(zip(names, params))
    return params, state, None


def _run_general(graph, names, rule, rates, leaves, losses, current, progress, chunks):
    """The reference path: the engine's evaluate and backward and `optim.step`, per step."""
    compiled = Compiled(graph)
    loss_name = graph.problem.loss
    state = optim.initial_state(rule, names)
    every = max(1, len(rates) // chunks)
    for t, lr in enumerate(rates, start=1):
        try:
            values, local, stable = compiled.evaluate(leaves)
        except _FAILURES as e:
            return None, Blowup(t, "loss", None, _overflow(e))
        loss = values[loss_name]
        if not math.isfinite(loss):
            return None, Blowup(t, "loss", None, _overflow(loss))
        losses.append(loss)
        try:
            grads = compiled.backward(values, local, stable)
        except _FAILURES as e:
            return None, Blowup(t, "gradient", None, _overflow(e))
        bad = _first_bad(names, [grads[n] for n in names])
        if bad:
            return None, Blowup(t, "gradient", bad, _overflow(grads[bad]))
        try:
            new, state = optim.step(rule, {n: leaves[n] for n in names}, grads, state, lr=lr)
        except _FAILURES as e:
            return None, Blowup(t, "parameter", None, _overflow(e))
        bad = _first_bad(names, [new[n] for n in names])
        if bad:
            return None, Blowup(t, "parameter", bad, _overflow(new[bad]))
        leaves.update(new)
        current.update(new)
        if progress and t % every == 0:
            progress(t)
    try:
        final_loss = compiled.loss(leaves)
    except _FAILURES as e:
        return None, Blowup(len(rates) + 1, "loss", None, _overflow(e))
    if not math.isfinite(final_loss):
        return None, Blowup(len(rates) + 1, "loss", None, _overflow(final_loss))
    return final_loss, None
