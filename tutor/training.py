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
calls to the fixed helpers below (the printer refuses any function it does not know);
hyper-parameters and given values arrive as arguments, never as text. So the source handed
to `compile()` and `exec` contains only our generated names, SymPy-printed numbers and our
helper names: no text from a problem file ever reaches it. `Program.source` shows it.

The general path (`fast=False`) runs the engine's `Compiled.evaluate`/`backward` and
`optim.step` once per step: slow, but it is the reference the fast path is tested against.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import sympy as sp
from sympy.printing.pycode import PythonCodePrinter

from . import optim
from . import schedules as sched
from .engine import Compiled, Graph, build_graph, numeric_leaves
from .errors import InputError, TutorError
from .model import Problem, UpdateRule

# --------------------------------------------------------------------------- scalar helpers


def _sigmoid(x):
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _softplus(x):
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _logsumexp(*a):
    top = max(a)
    return top + math.log(math.fsum(math.exp(x - top) for x in a))


def _softmax(k, *a):
    return math.exp(a[k - 1] - _logsumexp(*a))


def _ismax(i, *a):
    return 1.0 if a.index(max(a)) == i - 1 else 0.0


HELPERS = {
    "_sigmoid": _sigmoid,
    "_softplus": _softplus,
    "_logsumexp": _logsumexp,
    "_softmax": _softmax,
    "_ismax": _ismax,
    "_relu": lambda x: x if x > 0 else 0.0,
    "_step": lambda x: 1.0 if x > 0 else 0.0,
    "_maximum": lambda *a: max(a),
    "_minimum": lambda *a: min(a),
}
_CALLS = {
    "sigmoid": "_sigmoid", "softplus": "_softplus", "logsumexp": "_logsumexp",
    "softmax": "_softmax", "ismax": "_ismax", "relu": "_relu", "step": "_step",
    "maximum": "_maximum", "minimum": "_minimum",
}  # fmt: skip
_MATH = {name for name in dir(math) if not name.startswith("_")}  # what the printer may call


class _Printer(PythonCodePrinter):
    """Scalar Python with bare math names; our functions become calls to the helpers."""

    def __init__(self):
        super().__init__({"fully_qualified_modules": False, "standard": "python3"})

    def _print_Function(self, expr):
        name = _CALLS.get(type(expr).__name__)
        if name is not None:
            return f"{name}({', '.join(self._print(a) for a in expr.args)})"
        if type(expr).__name__ in ("exp", "log", "tanh"):
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
    """A finished run: the loss before each step, the rates used, the final parameters."""

    losses: list[float]
    rates: list[float]
    params: dict[str, float]
    final_loss: float
    names: tuple[str, ...] = ()
    initial: dict[str, float] = field(default_factory=dict)


class Program:
    """One problem's training step, generated once and reused for any number of steps."""

    def __init__(self, graph: Graph, names: tuple[str, ...], optimizer: str, l2: bool = True):
        """`l2=False` leaves the λ·w term out of the code (a little faster when λ = 0)."""
        problem = graph.problem
        if optimizer not in optim.OPTIMIZERS:
            raise InputError(f"unknown optimizer '{optimizer}' (one of {', '.join(optim.OPTIMIZERS)})")
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
        # consumers through the numeric forms; adjoints only where a trained parameter lies below
        consumers: dict[str, list[str]] = {name: [] for name in graph.symbols}
        for n in graph.nodes:
            if n.name in needed:
                for parent in n.numeric_local:
                    consumers[parent].append(n.name)
        reaches = set(self.names)
        for n in graph.nodes:
            if any(p in reaches for p in n.numeric_local):
                reaches.add(n.name)
        backward = []
        for n in reversed(graph.nodes):
            if n.name == loss or n.name not in needed or n.name not in reaches:
                continue
            backward.append(f"{self._g[n.name]} = {self._adjoint(n.name, consumers, nodes)}")
        grads = [self._adjoint(p, consumers, nodes) for p in self.names]
        return forward, backward + [f"{self._g[p]} = {g}" for p, g in zip(self.names, grads)]

    def _adjoint(self, name: str, consumers, nodes) -> str:
        loss = self.graph.problem.loss
        terms = []
        for c in consumers[name]:
            local = nodes[c].numeric_local[name]
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
        out = []
        for i, p in enumerate(self.names):
            v, g = self._v[p], self._g[p]
            if self.l2:
                out.append(f"{g} = {g} + l2*{v}")
            if self.optimizer == "sgd":
                out.append(f"{v} = {v} - lr*{g}")
            elif self.optimizer == "momentum":
                # a zero buffer makes step 1 give buffer = g, as torch does
                out.append(f"m{i} = mu*m{i} + {g}")
                out.append(f"{v} = {v} - lr*m{i}")
            elif self.optimizer == "rmsprop":
                out.append(f"s{i} = alpha*s{i} + (1.0 - alpha)*{g}*{g}")
                out.append(f"{v} = {v} - lr*{g}/(sqrt(s{i}) + eps)")
            else:
                out.append(f"m{i} = beta1*m{i} + (1.0 - beta1)*{g}")
                out.append(f"s{i} = beta2*s{i} + (1.0 - beta2)*{g}*{g}")
                out.append(f"{v} = {v} - lr*(m{i}*c1)/(sqrt(s{i}*c2) + eps)")
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
        body.append("    mu, alpha, beta1, beta2, eps, l2 = hyper")
        body.append("    " + ", ".join(m) + ", = state[0]")
        body.append("    " + ", ".join(s) + ", = state[1]")
        body.append("    append = losses.append")
        body.append("    t = t0")
        body.append("    for lr in rates:")
        body.append("        t += 1")
        if self.optimizer == "adam":
            body.append("        c1 = 1.0/(1.0 - beta1**t)")
            body.append("        c2 = 1.0/(1.0 - beta2**t)")
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
        """`len(rates)` steps from step number t0; returns the new params and state."""
        try:
            return self._function("run")(params, state, fixed, hyper, rates, t0, losses)
        except (OverflowError, ValueError, ZeroDivisionError) as e:
            raise InputError(
                f"training diverged near step {t0 + len(losses)} ({e}); try a smaller --lr"
            ) from None

    def loss(self, params, fixed) -> float:
        try:
            return self._function("loss")(params, fixed)
        except (OverflowError, ValueError, ZeroDivisionError):
            return math.nan

    def grads(self, params, fixed) -> list[float]:
        return self._function("grads")(params, fixed)


def hyper_tuple(rule: UpdateRule) -> tuple[float, ...]:
    """(mu, alpha, beta1, beta2, eps, l2) with the optimizer's defaults (torch's)."""
    h = {**optim.DEFAULTS["momentum"], **optim.DEFAULTS["rmsprop"], **optim.DEFAULTS["adam"]}
    h.update(optim.hyper(rule))
    return (h["momentum"], h["alpha"], h["beta1"], h["beta2"], h["eps"], h.get("l2", 0.0))


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

    `progress(done)` is called after each chunk of steps (for a progress bar).
    """
    if problem.symbolic:
        raise InputError(f"problem '{problem.id}' is symbolic (no values): nothing to train")
    if steps < 1:
        raise InputError("--steps must be at least 1")
    optim.hyper(rule)  # refuses an unknown optimizer
    rates = sched.rates(schedule, rule.lr, steps, **(schedule_options or {}))
    graph = graph or build_graph(problem)
    names = trained_names(problem, rule)
    leaves = numeric_leaves(problem)
    initial = {n: leaves[n] for n in names}
    losses: list[float] = []
    if fast:
        hyper = hyper_tuple(rule)
        program = Program(graph, names, rule.optimizer, l2=hyper[-1] != 0.0)
        fixed = [leaves[n] for n in program.fixed_names]
        params = [leaves[n] for n in names]
        state = [[0.0] * len(names), [0.0] * len(names)]
        size = max(1, -(-steps // chunks)) if progress else steps
        for start in range(0, steps, size):
            params, state = program.run(
                params, state, fixed, hyper, rates[start:start + size], start, losses
            )
            if progress:
                progress(min(start + size, steps))
        final = dict(zip(names, params))
        final_loss = program.loss(params, fixed)
    else:
        compiled = Compiled(graph)
        state = optim.initial_state(rule, names)
        try:
            for t, lr in enumerate(rates):
                values, local, stable = compiled.evaluate(leaves)
                losses.append(values[problem.loss])
                grads = compiled.backward(values, local, stable)
                new, state = optim.step(rule, {n: leaves[n] for n in names}, grads, state, lr=lr)
                leaves.update(new)
                if progress and (t + 1) % max(1, steps // chunks) == 0:
                    progress(t + 1)
            final_loss = compiled.loss(leaves)
        except (OverflowError, ValueError, ZeroDivisionError) as e:
            raise InputError(
                f"training diverged near step {len(losses)} ({e}); try a smaller --lr"
            ) from None
        final = {n: leaves[n] for n in names}
    if not all(math.isfinite(v) for v in [final_loss, *losses, *final.values()]):
        bad = next((t for t, v in enumerate(losses) if not math.isfinite(v)), len(losses))
        raise InputError(f"training diverged near step {bad + 1} (the loss is not finite); "
                         "try a smaller --lr")  # fmt: skip
    return History(losses, rates, final, final_loss, names, initial)
