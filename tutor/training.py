"""Training: many optimizer steps of one problem, with a compiled step that stays fast.

The fast path turns the engine's graph (`engine.build_graph`, the one graph representation)
into a single Python function that runs the whole loop: forward pass, backward pass (each
adjoint g_n = Σ over consumers c of g_c · dc/dn, from `Node.numeric_local`, the stable
with-logits forms) and the optimizer update, for every step. Plain scalar code in local
variables is what makes 10,000 steps of a small network take milliseconds; its cost grows
linearly with the number of edges of the graph.

How the code is made, and why it is safe: every symbol is renamed to a generated name
(v0, v1, ... for values, g0, ... for adjoints, m0/s0 for optimizer state) before SymPy's
`PythonCodePrinter` prints an expression; numbers are printed by SymPy; functions print as
calls to the function registry's fixed scalar helpers or to `math` (the printer refuses any
function it does not know); hyper-parameters and given values arrive as arguments, never as
text. So the source handed
to `compile()` and `exec` contains only our generated names, SymPy-printed numbers and our
helper names: no text from a problem file ever reaches it. `Program.source` shows it.

The general path (`fast=False`) runs the engine's `Compiled.evaluate`/`backward` and
`optim.step` once per step: slow, but it is the reference the fast path is tested against.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import sympy as sp
from sympy.printing.pycode import PythonCodePrinter

from . import optim
from . import schedules as sched
from .engine import Compiled, Graph, build_graph, numeric_leaves
from .errors import InputError, TutorError
from .functions import CODE, FUNCTIONS, SCALAR
from .model import Problem, UpdateRule

# --------------------------------------------------------------------------- scalar helpers

# From the function registry: helper name -> its `math` form, and SymPy class -> helper name.
HELPERS = SCALAR
_CALLS = CODE
_MATH = {name for name in dir(math) if not name.startswith("_")}  # what the printer may call


class _Printer(PythonCodePrinter):
    """Scalar Python with bare math names; our functions become calls to the helpers."""

    def __init__(self):
        super().__init__({"fully_qualified_modules": False, "standard": "python3"})

    def _print_Function(self, expr):
        name = _CALLS.get(type(expr).__name__)
        if name is not None:
            return f"{name}({', '.join(self._print(a) for a in expr.args)})"
        if type(expr).__name__ in FUNCTIONS:  # SymPy's own (exp, log...): a `math` call
            return super()._print_Function(expr)
        raise TutorError(f"the training compiler does not know the function {type(expr).__name__}")

    def _print_Symbol(self, expr):
        # Only generated names reach the printer (see the module docstring).
        if not (expr.name[:1] in "vgms" and expr.name[1:].isdigit()):
            raise TutorError("internal: a symbol was not renamed before code generation")
        return expr.name


for _fn in _CALLS:
    setattr(_Printer, f"_print_{_fn}", _Printer._print_Function)


# --------------------------------------------------------------------------- the program


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


_IDENT = re.compile(r"[A-Za-z_]\w*")
_FAILURES = (ArithmeticError, ValueError)  # math overflow, math domain error, division by 0


class Program:
    """One problem's training step, generated once and reused for any number of steps."""

    def __init__(self, graph: Graph, names: tuple[str, ...], optimizer: str, l2: bool = True):
        """`l2=False` leaves the λ·w term out of the code (a little faster when λ = 0)."""
        problem = graph.problem
        if optim.unknown(optimizer):
            raise InputError(optim.unknown(optimizer))
        if not names:
            raise InputError(f"{problem.id} has no parameters to train")
        self.graph, self.names, self.optimizer = graph, tuple(names), optimizer
        self.l2 = l2
        self.fixed_names = tuple(n for n in problem.leaves if n not in self.names)
        self._printer = _Printer()
        index = {name: i for i, name in enumerate(graph.symbols)}
        self._v = {name: f"v{i}" for name, i in index.items()}
        self._g = {name: f"g{i}" for name, i in index.items()}
        self._rename = {graph.symbols[n]: sp.Symbol(self._v[n]) for n in graph.symbols}
        self._forward, self._backward = self._lines()
        self._compiled: dict[str, object] = {}

    # -- code pieces
    def _print(self, expr) -> str:
        return self._printer.doprint(expr.xreplace(self._rename))

    def _lines(self) -> tuple[list[str], list[str]]:
        graph, loss = self.graph, self.graph.problem.loss
        nodes = {n.name: n for n in graph.nodes}
        # the nodes the loss depends on through the stable (numeric) forms, and those their
        # local derivatives are written with (d softplus(z)/dz = σ(z) is written as ŷ)
        needed, stack = {loss}, [loss]
        while stack:
            node = nodes[stack.pop()]
            used = set(node.numeric_local)
            for e in (node.numeric_expr, *node.numeric_local.values()):
                used |= {s.name for s in e.free_symbols}
            for name in used:
                if name in nodes and name not in needed:
                    needed.add(name)
                    stack.append(name)
        forward = [
            f"{self._v[n.name]} = {self._print(n.numeric_expr)}"
            for n in graph.nodes
            if n.name in needed
        ]
        # the engine's adjoint plan, printed: only consumers the loss needs, and adjoints only
        # where a trained parameter lies below
        reaches = set(self.names)
        for n in graph.nodes:
            if any(p in reaches for p in n.numeric_local):
                reaches.add(n.name)
        backward = []
        for name, consumers in graph.adjoint_plan:
            wanted = name in needed if name in nodes else name in self.names
            if name != loss and name in reaches and wanted:
                used = [(c, f) for c, f in consumers if c in needed]
                backward.append(f"{self._g[name]} = {self._adjoint(used)}")
        return forward, backward

    def _adjoint(self, consumers) -> str:
        """Σ over consumers c of g_c · ∂c/∂name, as code."""
        loss = self.graph.problem.loss
        terms = []
        for c, local in consumers:
            if local == 0:
                continue
            printed = None if local == 1 else self._print(local)
            upstream = None if c == loss else self._g[c]
            if upstream and printed:
                terms.append(f"{upstream}*({printed})")
            elif upstream or printed:
                terms.append(upstream or f"({printed})")
            else:
                terms.append("1.0")
        return " + ".join(terms) or "0.0"

    def _update(self) -> list[str]:
        """The optimizer's per-parameter rule (`optim.PER_PARAM`), printed for each parameter
        with its generated names."""
        out = []
        for i, p in enumerate(self.names):
            v, g = self._v[p], self._g[p]
            if self.l2:
                out.append(f"{g} = {g} + l2*{v}")
            names = {"w": v, "g": g, "m": f"m{i}", "v": f"s{i}"}
            for target, value in optim.PER_PARAM[self.optimizer]:
                value = _IDENT.sub(lambda m: names.get(m[0], m[0]), value)
                out.append(f"{names.get(target, target)} = {value}")
        return out

    def _unpack(self) -> list[str]:
        lines = []
        if self.fixed_names:
            lines.append(", ".join(self._v[n] for n in self.fixed_names) + ", = fixed")
        lines.append(", ".join(self._v[n] for n in self.names) + ", = params")
        return lines

    def _state_names(self) -> tuple[list[str], list[str]]:
        k = range(len(self.names))
        return [f"m{i}" for i in k], [f"s{i}" for i in k]

    @property
    def source(self) -> str:
        """The generated Python source of the training loop (for reading, and for the tests)."""
        return self._source("run")

    def _source(self, kind: str) -> str:
        loss = self._v[self.graph.problem.loss]
        body = ["    " + line for line in self._unpack()]
        if kind == "loss":
            body += ["    " + line for line in self._forward] + [f"    return {loss}"]
            return "def loss(params, fixed):\n" + "\n".join(body) + "\n"
        if kind == "grads":
            body += ["    " + line for line in self._forward + self._backward]
            body.append("    return [" + ", ".join(self._g[p] for p in self.names) + "]")
            return "def grads(params, fixed):\n" + "\n".join(body) + "\n"
        m, s = self._state_names()
        body.append("    " + ", ".join(optim.HYPERS) + ", l2 = hyper")
        body.append("    " + ", ".join(m) + ", = state[0]")
        body.append("    " + ", ".join(s) + ", = state[1]")
        body.append("    append = losses.append")
        body.append("    t = t0")
        body.append("    for lr in rates:")
        body.append("        t += 1")
        for target, value in optim.PER_STEP.get(self.optimizer, ()):
            body.append(f"        {target} = {value}")
        lines = self._forward + [f"append({loss})"] + self._backward + self._update()
        body += ["        " + line for line in lines]
        body.append(
            "    return [" + ", ".join(self._v[p] for p in self.names) + "], "
            "[[" + ", ".join(m) + "], [" + ", ".join(s) + "]]"
        )
        return "def run(params, state, fixed, hyper, rates, t0, losses):\n" + "\n".join(body) + "\n"

    def _function(self, kind: str):
        if kind not in self._compiled:
            namespace = {name: getattr(math, name) for name in _MATH}
            namespace.update(HELPERS)
            namespace["__builtins__"] = {"abs": abs, "max": max, "min": min, "float": float}
            code = compile(self._source(kind), f"<bptutor {kind}>", "exec")
            exec(code, namespace)  # our generated source only: see the module docstring
            self._compiled[kind] = namespace[kind]
        return self._compiled[kind]

    # -- running
    def run(self, params, state, fixed, hyper, rates, t0, losses):
        """`len(rates)` steps from step number t0; returns the new params and state.

        The loss before each step is appended to `losses` as the step runs. Arithmetic
        failures (OverflowError, math domain errors) propagate: `train` reports them."""
        return self._function("run")(params, state, fixed, hyper, rates, t0, losses)

    def loss(self, params, fixed) -> float:
        try:
            return self._function("loss")(params, fixed)
        except (OverflowError, ValueError, ZeroDivisionError):
            return math.nan

    def grads(self, params, fixed) -> list[float]:
        return self._function("grads")(params, fixed)


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
