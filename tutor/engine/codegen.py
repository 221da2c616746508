"""The training loop as generated Python code: the engine's graph, adjoint plan and the
optimizer's rule (`optim.PER_PARAM`) printed as one scalar function.

Plain scalar code in local variables is what makes 10,000 steps of a small network take
milliseconds; its cost grows linearly with the number of edges of the graph.

How the code is made, and why it is safe: every symbol prints as a generated name (v0, v1,
... for values, g0, ... for adjoints, m0/s0 for optimizer state; `FastSums`) when SymPy's
`PythonCodePrinter` prints an expression; numbers are printed by SymPy; functions print as
calls to the function registry's fixed scalar helpers or to `math` (the printer refuses any
function it does not know); hyper-parameters and given values arrive as arguments, never as
text. So the source handed to `compile()` and `exec` contains only our generated names,
SymPy-printed numbers and our helper names: no text from a problem file ever reaches it.
`Program.source` shows it. The engine's numeric function (`engine.Compiled`) is printed the
same way.

Generated sources are cached by content (`cached_source`): the key is a hash of what the
code is generated from (the equations as written, the names, the rule, the versions, the
generator's own modules); the entry is the source text with its own hash, checked before it
is compiled. That hash is unkeyed: it catches an entry cut short, not one edited on purpose.
What keeps the cache from running someone else's code is where it lives: only the user's own
private files are used (a folder owned by the user and writable by nobody else, made 0700;
regular entries owned by the user, written 0600 through `mkstemp` and `os.replace`). A folder
or entry that is not is not used for the rest of the run, and `notes()` says so once (the CLI
prints it). Someone who can write files as the user can change the program itself: out of
scope.

The same folder keeps, pickled, what a second run would otherwise make again, mostly with
SymPy (`cached_object`): a problem file's Problem, its worked solution (derivatives, tidy
forms, errata), its document (the LaTeX and text of every expression) and that document's
HTML (MathML), a review's skills of each problem, keyed by the hash of their pickled inputs
and of the package's whole source. A pickle runs code when it is read, as the
generated source does: the same entries, the same trust, the same checks.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from sympy.printing.pycode import PythonCodePrinter

from tutor import cache
from tutor.errors import InputError, TutorError
from tutor.registry import optim
from tutor.registry.functions import CODE, FUNCTIONS, NUMERIC, SCALAR

if TYPE_CHECKING:  # the engine imports this module to print its numeric function
    from tutor.engine.scalar import Graph

# --------------------------------------------------------------------------- scalar helpers

# From the function registry: helper name -> its `math` form, and SymPy class -> helper name.
HELPERS = SCALAR
_CALLS = CODE
_MATH = {name for name in dir(math) if not name.startswith("_")}  # what the printer may call


class FastSums:
    """A printer mix-in: symbols print as the generated name `names` gives them (so nothing
    is renamed by `xreplace` first), and a sum whose terms are names or products of two
    names (a layer's Σ w·a + b) prints as plain text in SymPy's argument order, without the
    general printer's ordering of terms: per weight that work is most of printing a network.
    Anything else goes to the printer's own rules."""

    names: dict

    def _print_Symbol(self, expr):
        name = self.names.get(expr)
        if name is None:
            raise TutorError("internal: a symbol without a generated name reached the printer")
        return name

    def _print_Add(self, expr, order=None):
        names, parts = self.names, []
        for term in expr.args:
            if term.is_Symbol and term in names:
                parts.append(names[term])
            elif (
                term.is_Mul
                and len(term.args) == 2
                and term.args[0] in names
                and term.args[1] in names
            ):
                parts.append(f"{names[term.args[0]]}*{names[term.args[1]]}")
            else:
                return super()._print_Add(expr, order)
        return " + ".join(parts)


class _Printer(FastSums, PythonCodePrinter):
    """Scalar Python with bare math names; our functions become calls to the helpers."""

    def __init__(self, names: dict):
        super().__init__({"fully_qualified_modules": False, "standard": "python3"})
        self.names = names

    def _print_Function(self, expr):
        name = _CALLS.get(type(expr).__name__)
        if name is not None:
            return f"{name}({', '.join(self._print(a) for a in expr.args)})"
        if type(expr).__name__ in FUNCTIONS:  # SymPy's own (exp, log...): a `math` call
            return super()._print_Function(expr)
        raise TutorError(f"the training compiler does not know the function {type(expr).__name__}")


def lambda_printer(names: dict):
    """The printer `sympy.lambdify` uses for functions taken from NUMERIC, printing the
    generated `names` (see `FastSums`): the engine's numeric function (`Compiled`)."""

    class Printer(FastSums, PythonCodePrinter):
        pass

    printer = Printer(
        {
            "fully_qualified_modules": False,
            "inline": True,
            "allow_unknown_functions": True,
            "user_functions": {k: k for k in NUMERIC},
        }
    )
    printer.names = names
    return printer


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
        trained = set(self.names)
        self.fixed_names = tuple(n for n in problem.leaves if n not in trained)
        index = {name: i for i, name in enumerate(graph.symbols)}
        self._v = {name: f"v{i}" for name, i in index.items()}
        self._g = {name: f"g{i}" for name, i in index.items()}
        # every symbol prints as its generated name (see the module docstring)
        self._printer = _Printer({graph.symbols[n]: self._v[n] for n in graph.symbols})
        self._compiled: dict[str, object] = {}

    @functools.cached_property
    def _pieces(self) -> tuple[list[str], list[str]]:
        return self._lines()

    @property
    def _forward(self) -> list[str]:
        return self._pieces[0]

    @property
    def _backward(self) -> list[str]:
        return self._pieces[1]

    # -- code pieces
    def _print(self, expr) -> str:
        if expr.is_Symbol:
            return self._printer._print_Symbol(expr)
        return self._printer.doprint(expr)

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
        trained = set(self.names)
        reaches = set(trained)
        for n in graph.nodes:
            if any(p in reaches for p in n.numeric_local):
                reaches.add(n.name)
        backward = []
        for name, consumers in graph.adjoint_plan:
            wanted = name in needed if name in nodes else name in trained
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

    def _cache_key(self, kind: str) -> list[str]:
        """What the source of `kind` is generated from: the equations as written, the given
        names in order, the trained names, the optimizer and whether λ·w is in."""
        problem = self.graph.problem
        return [
            kind,
            self.optimizer,
            str(self.l2),
            " ".join(problem.leaves),
            " ".join(self.names),
            *equations_key(problem),
        ]

    def _function(self, kind: str):
        if kind not in self._compiled:
            namespace = {name: getattr(math, name) for name in _MATH}
            namespace.update(HELPERS)
            namespace["__builtins__"] = {"abs": abs, "max": max, "min": min, "float": float}
            source = cached_source("train", self._cache_key(kind), lambda: self._source(kind))
            code = compile(source, f"<bptutor {kind}>", "exec")
            exec(code, namespace)  # noqa: S102 (our generated source only: see the module docstring)
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


# --------------------------------------------------------------------------- cached code
def equations_key(problem) -> list[str]:
    """A problem's equations as written, in order: with the generator's own version, what
    generated code is made from (the same text always gives the same SymPy expressions)."""
    return [f"{eq.name}={eq.text}" for eq in problem.graph]


def cached_source(kind: str, parts: Iterable[str], make: Callable[[], str]) -> str:
    """`cache.cached_source` with the generator's own version in the key: code made by an
    older generator is never read back."""
    return cache.cached_source(kind, (generator_version(), *parts), make)


@functools.lru_cache(maxsize=1)
def generator_version() -> str:
    """A hash of the modules the generated code depends on (how expressions are read,
    differentiated and printed, and the optimizers' rules): a changed generator never reads
    code an older one cached, even between releases."""
    from tutor.language import expr
    from tutor.registry import functions, layers, optim

    digest = hashlib.sha256()
    for file in (
        __file__,
        Path(__file__).with_name("scalar.py"),  # read, not imported: the engine imports us
        expr.__file__,
        functions.__file__,
        layers.__file__,
        optim.__file__,
    ):
        digest.update(Path(file).read_bytes())
    return digest.hexdigest()
