"""The training loop as generated Python code: the engine's graph, adjoint plan and the
optimizer's rule (`optim.PER_PARAM`) printed as one scalar function.

Plain scalar code in local variables is what makes 10,000 steps of a small network take
milliseconds; its cost grows linearly with the number of edges of the graph.

How the code is made, and why it is safe: every symbol is renamed to a generated name
(v0, v1, ... for values, g0, ... for adjoints, m0/s0 for optimizer state) before SymPy's
`PythonCodePrinter` prints an expression; numbers are printed by SymPy; functions print as
calls to the function registry's fixed scalar helpers or to `math` (the printer refuses any
function it does not know); hyper-parameters and given values arrive as arguments, never as
text. So the source handed to `compile()` and `exec` contains only our generated names,
SymPy-printed numbers and our helper names: no text from a problem file ever reaches it.
`Program.source` shows it.
"""

from __future__ import annotations

import math

import sympy as sp
from sympy.printing.pycode import PythonCodePrinter

from .. import optim
from ..errors import InputError, TutorError
from ..functions import CODE, FUNCTIONS, SCALAR
from . import Graph

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
            out += optim.printed(self.optimizer, {"w": v, "g": g, "m": f"m{i}", "v": f"s{i}"})
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
