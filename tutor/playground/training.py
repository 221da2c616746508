"""Training: many optimizer steps of one problem, with a compiled step that stays fast.

A layered network (a `network:` block, recognised by `engine.vector.network_of`) whose
update names whole weight matrices and bias vectors runs on the vectorised path: its one
sample as a batch of 1, the step printed from the op table as NumPy code with the
optimizer's rule (`engine.vector.Program`, `engine.arrays`); no SymPy work per weight. Any other problem runs the engine's
generated scalar loop (`engine.codegen.Program`: the graph, its adjoint plan and the
optimizer's rule printed as one scalar Python function). The general path (`fast=False`)
runs the engine's `Compiled.evaluate`/`backward` and `optim.step` once per step: slow, but
it is the reference the fast paths are tested against. Divergence and Ctrl-C stop a run
with the losses so far.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from tutor.engine.codegen import Program
from tutor.engine.scalar import Compiled, Graph, build_graph, numeric_leaves
from tutor.errors import InputError, TutorError
from tutor.model import Problem, UpdateRule
from tutor.registry import optim
from tutor.registry import schedules as sched


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
    tensors: dict = field(default_factory=dict)  # a tensor problem's trained arrays, by name


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
    what = {
        "loss": "the loss",
        "gradient": f"the gradient of {b.name}" if b.name else "the gradients",
        "parameter": f"the parameter {b.name}" if b.name else "the parameters",
    }[b.value]
    verb = "overflowed" if b.overflow else "became undefined (not a number)"
    if b.step == 1 and b.value != "parameter":
        return f"{what} {verb} at step 1, at the given values, before any update"
    when = f"after the last step ({steps:,})" if b.step > steps else f"at step {b.step:,}"
    from tutor.text.notation import fmt

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
    """The names `rule` updates (all parameters when it names none), per weight: a tensor
    `network:` problem's too (W1_1_1, ..., b1_1, ... as `layers.expand` orders them), any
    other tensor problem's per entry (W[1,2], ... of the tensors it names)."""
    if problem.tensor and not problem.extra.get("network"):
        chosen = set(rule.params) if rule is not None and rule.params else set(problem.params)
        return tuple(n for n, (k, _) in _entries(problem) if list(problem.params)[k] in chosen)
    if rule is not None and rule.params:
        return tuple(rule.params)
    if problem.tensor:
        from tutor.playground import vector

        return tuple(vector.network_of(problem).param_values())
    return tuple(problem.params)


def load(ref: str, settings: list[str] | None = None) -> Problem:
    """The problem `train` runs. A `network:` file is read straight into arrays
    (`tensor_network.load`, no equation per weight) when its update names whole matrices and
    vectors; anything else, a file that reading refuses included, is the loader's Problem
    (with its messages)."""
    from tutor.errors import TutorError
    from tutor.problems import catalog
    from tutor.problems import network as tensor_network
    from tutor.variants import scalar as variants

    path = catalog.resolve(ref)
    if tensor_network.is_network(path):
        try:
            problem = tensor_network.load(path, settings, per_weight=True)
        except TutorError:
            problem = None
        if problem is not None and _layered(problem, trained_names(problem, problem.update)):
            return problem
    return variants.with_values(catalog.load(ref), settings)


def _layered(problem: Problem, names):
    """(the vectorised Network, which of its arrays are trained) when the problem is a
    layered network and `names` make up whole arrays, else None."""
    from tutor.playground import vector

    try:
        net = vector.network_of(problem)
    except InputError:
        return None
    trained = net.trained(names)
    return None if trained is None else (net, trained)


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
    vector: bool = True,
) -> History:
    """`steps` updates of the parameters `rule` names (all when None), loss before each step.

    A layered network runs on the vectorised path (`vector=False`: the generated scalar
    loop, as `fast=False` the general one; a tensor problem has only the vectorised path).

    `progress(done)` is called after each chunk of steps (for a progress bar). Raises
    `Diverged` (an InputError) when a loss, gradient or parameter stops being finite, and
    `Interrupted` on Ctrl-C; both carry the history up to that step.
    """
    if problem.symbolic:
        raise InputError(f"problem '{problem.id}' is symbolic (no values): nothing to train")
    optim.hyper(rule)  # refuses an unknown optimizer
    sched.check_run(
        lr=rule.lr,
        l2=rule.hyper.get("l2"),
        steps=steps,
        schedule=schedule,
        options=schedule_options,
    )
    names = trained_names(problem, rule)
    if not names:
        raise InputError(f"{problem.id} has no parameters to train")
    rates = sched.rates(schedule, rule.lr, steps, **(schedule_options or {}))
    layered = _layered(problem, names) if (fast and vector) or problem.tensor else None
    if problem.tensor and layered is None and problem.extra.get("network"):
        raise InputError(f"{problem.id}: a network trains whole matrices and vectors")
    losses: list[float] = []
    step = None
    if problem.tensor or layered:
        from tutor.playground.vector import hyper_tuple as array_hyper

        hyper = array_hyper(rule.optimizer, rule.hyper, rule.hyper.get("l2", 0.0))
        if layered:
            step = _network_arrays(problem, *layered, names, rule, hyper)
        else:
            step = _tensor_arrays(problem, names, rule, hyper)
        initial = step.values(step.params)
        last = [step.params]  # the last arrays known to be finite

        def current_params() -> dict[str, float]:
            return step.values(last[0])
    else:
        leaves = numeric_leaves(problem)
        initial = {n: leaves[n] for n in names}
        current = dict(initial)  # the last parameter values known to be finite

        def current_params() -> dict[str, float]:
            return dict(current)

    def history(final_loss=None) -> History:
        return History(
            losses,
            rates[: len(losses)] if final_loss is None else rates,
            current_params(),
            final_loss,
            names,
            initial,
            dict(zip(step.names, last[0])) if step is not None else {},
        )

    try:
        if step is not None:
            final_loss, blowup = _run_arrays(step, names, rates, losses, last, progress, chunks)
        elif fast:
            graph = graph or build_graph(problem)
            final_loss, blowup = _run_compiled(
                graph, names, rule, rates, leaves, losses, current, progress, chunks
            )
        else:
            graph = graph or build_graph(problem)
            final_loss, blowup = _run_general(
                graph, names, rule, rates, leaves, losses, current, progress, chunks
            )
    except KeyboardInterrupt:
        raise Interrupted(history()) from None
    if blowup is not None:
        raise Diverged(history(), blowup, rule.lr, steps)
    return history(final_loss)


def inactive_units(problem: Problem, history: History) -> list[tuple[str, int, int, int]]:
    """The ReLU units a finished run left inactive on the problem's own sample, counted as
    after one step (`explain.count_inactive`): a forward pass at the first and at the last
    parameters. Empty for a run stopped early, or with no ReLU."""
    from tutor.solutions.explain import _relu_nodes, count_inactive

    if history.final_loss is None or not _relu_nodes(problem):
        return []
    try:
        before = _forward(problem, {}, {})
        after = _forward(problem, history.params, history.tensors)
    except TutorError:  # a value the engine refuses (never for a finite run's loss)
        return []
    # a network: file's units in one line, as its scalar loop counts them (one node each)
    network = bool(problem.extra.get("network")) or None
    return count_inactive(problem, before, after, together=network)


def _forward(problem: Problem, params: dict, tensors: dict) -> dict:
    """Every node's value with the trained values (`params` by name, or whole `tensors`)."""
    import numpy as np

    if problem.tensor:
        from tutor.engine import tensor

        leaves = {n: np.array(v, dtype=float) for n, v in problem.leaves.items()}
        for name, value in tensors.items():
            leaves[name] = np.asarray(value, dtype=float).reshape(np.shape(leaves[name]))
        return tensor.forward(problem, leaves)
    leaves = {**numeric_leaves(problem), **params}
    return build_graph(problem).compiled.evaluate(leaves)[0]


@dataclass
class Run:
    """A run of `train` as `bptutor train` reports it: the history, why it stopped early
    (`Diverged`, or a KeyboardInterrupt; None when it did not) and the seconds its loop took."""

    history: History
    stopped: BaseException | None
    seconds: float | None = None


def run(problem: Problem, rule: UpdateRule, steps: int, *, schedule, options, progress) -> Run:
    """`train`, its early stop returned instead of raised: a divergence or Ctrl-C (even one
    before the first step ended) keeps the history so far."""
    started = time.perf_counter()
    try:
        history = train(
            problem, rule, steps, schedule=schedule, schedule_options=options, progress=progress
        )
    except Diverged as e:
        return Run(e.history, e)
    except KeyboardInterrupt as e:
        if isinstance(e, Interrupted):
            return Run(e.history, e)
        return Run(History([], [], {}, None, trained_names(problem, rule)), e)
    return Run(history, None, time.perf_counter() - started)


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
        chunk = rates[start : start + size]
        mark = len(losses)
        try:
            new, new_state = program.run(params, state, fixed, hyper, chunk, start, losses)
            finite = all(map(math.isfinite, losses[mark:])) and all(map(math.isfinite, new))
        except _FAILURES:
            finite = False
        if not finite:
            del losses[mark:]
            new, new_state, blowup = _replay(
                program, params, state, fixed, hyper, chunk, start, losses, current
            )
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


def _sample(problem: Problem, net):
    """The problem's one sample as a batch of 1: x (inputs × 1) and y (outputs × 1)."""
    import numpy as np

    if problem.tensor:
        x, y = problem.inputs["x"], problem.targets["y"]
    else:
        leaves = numeric_leaves(problem)
        x = [leaves[n] for n in net.inputs]
        y = [leaves[n] for n in net.targets]
    return (np.array(x, dtype=float).reshape(-1, 1), np.array(y, dtype=float).reshape(-1, 1))


@dataclass
class _Arrays:
    """A problem trained as arrays, by the step printed from the op table (`engine.arrays`):
    `run(params, state, rates, t0, losses)` steps, `loss(params)`, `grads(params)`; `params`
    the arrays it starts from; `where` a trained name -> (its array, its index there)."""

    run: object
    loss: object
    grads: object
    params: list
    initial_state: object
    where: dict
    names: list  # the problem's tensor of each array of `params`

    def values(self, arrays) -> dict[str, float]:
        return {n: float(arrays[k][i]) for n, (k, i) in self.where.items()}


def _network_arrays(problem: Problem, net, trained, names, rule, hyper) -> _Arrays:
    """A layered network: its one sample as a batch of 1 (`engine.vector`)."""
    import itertools

    from tutor.playground import vector

    batch = _sample(problem, net)
    program = vector.Program(net, rule.optimizer, trained, l2=hyper[-2] != 0.0, targets=batch[1])
    batches = itertools.repeat(batch)
    return _Arrays(
        run=lambda params, state, rates, t0, losses: program.run(
            params, state, batches, hyper, rates, t0, losses
        ),
        loss=lambda params: vector.loss(net.with_arrays(params), *batch),
        grads=lambda params: program.grads(params, *batch),
        params=[p.copy() for p in net.arrays()],
        initial_state=program.initial_state,
        where={n: net.locate(n) for n in names},
        names=net.array_names(),
    )


def _tensor_arrays(problem: Problem, names, rule, hyper) -> _Arrays:
    """Any other tensor problem: its own values, its parameters' entries named W[i,j]."""
    import numpy as np

    from tutor.engine import arrays

    graph = arrays.problem_graph(problem)
    entries = {n: where for n, where in _entries(problem)}
    where = {n: entries[n] for n in names}
    chosen = {graph.params[k] for k, _ in where.values()}
    trained = tuple(p in chosen for p in graph.params)
    program = arrays.Program(graph, rule.optimizer, trained, l2=hyper[-2] != 0.0)
    fixed = [np.array(problem.leaves[n], dtype=float) for n in graph.fixed]
    loss, grads = program.function("loss"), program.function("grads")
    return _Arrays(
        run=lambda params, state, rates, t0, losses: program.run(
            params, state, fixed, (), hyper, rates, t0, losses
        ),
        loss=lambda params: float(loss(params, fixed)),
        grads=lambda params: grads(params, fixed),
        params=[np.array(problem.leaves[n], dtype=float) for n in graph.params],
        initial_state=program.initial_state,
        where=where,
        names=list(graph.params),
    )


def _entries(problem: Problem):
    """(entry name, (parameter's position, index)) of every parameter entry of a tensor
    problem, as the views name them (W[1,2], b[2], K[1,1,2,2])."""
    import numpy as np

    from tutor.engine.tensor import _entry_name

    for k, (name, value) in enumerate(problem.params.items()):
        shape = np.shape(value)
        for index in np.ndindex(*shape):
            yield _entry_name(name, index, shape), (k, index)


def _run_arrays(step: _Arrays, names, rates, losses, last, progress, chunks):
    """The array step, in the chunks `_run_compiled` uses: a chunk whose losses or parameters
    are not all finite is replayed one step at a time (`_replay_arrays`), which finds the
    step and the value that blew up. `last[0]` holds the last finite arrays."""
    import numpy as np

    steps = len(rates)
    params = [p.copy() for p in step.params]
    state = step.initial_state(params)
    size = max(1, -(-steps // chunks)) if progress else steps
    with np.errstate(all="ignore"):
        for start in range(0, steps, size):
            chunk = rates[start : start + size]
            mark = len(losses)
            new, new_state = step.run(params, state, chunk, start, losses)
            losses[mark:] = map(float, losses[mark:])
            if not (
                all(map(math.isfinite, losses[mark:])) and all(np.isfinite(p).all() for p in new)
            ):
                del losses[mark:]
                new, new_state, blowup = _replay_arrays(
                    step, params, state, chunk, start, losses, names, last
                )
                if blowup is not None:
                    return None, blowup
            params, state = new, new_state
            last[0] = params
            if progress:
                progress(min(start + size, steps))
        final_loss = step.loss(params)
    if not math.isfinite(final_loss):
        return None, Blowup(steps + 1, "loss", None, _overflow(final_loss))
    return final_loss, None


def _replay_arrays(step: _Arrays, params, state, rates, t0, losses, names, last):
    """`_replay` on the array step: a value that is not finite is inf (an overflow) or nan
    (undefined), as the scalar loop's exceptions and values tell them apart."""
    where = step.where

    def first_bad(arrays) -> str | None:
        return next(
            (
                n
                for n in names
                if arrays[where[n][0]] is not None
                and not math.isfinite(arrays[where[n][0]][where[n][1]])
            ),
            None,
        )

    def value(arrays, name) -> float:
        k, index = where[name]
        return float(arrays[k][index])

    for i, lr in enumerate(rates):
        number = t0 + i + 1
        loss = step.loss(params)
        if not math.isfinite(loss):
            return params, state, Blowup(number, "loss", None, _overflow(loss))
        losses.append(loss)
        grads = step.grads(params)
        bad = first_bad(grads)
        if bad:
            return params, state, Blowup(number, "gradient", bad, _overflow(value(grads, bad)))
        params, state = step.run(params, state, [lr], number - 1, [])
        bad = first_bad(params)
        if bad:
            return params, state, Blowup(number, "parameter", bad, _overflow(value(params, bad)))
        last[0] = params
    return params, state, None


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
            return (
                params,
                state,
                Blowup(step, "parameter", bad, _overflow(params[names.index(bad)])),
            )
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
