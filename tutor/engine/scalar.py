"""The engine: one computation graph, symbolic local derivatives, one numeric function.

A problem's equations become nodes. SymPy differentiates each node's expression with respect
to each parent (the functions in `functions.py` carry their own derivative rules): these are
the chain-rule factors. Every value and factor is evaluated by a single generated function;
one generic backward pass accumulates gradients in reverse topological order.

Losses that take the log of a sigmoid or softmax node are evaluated in a stable
with-logits form (softplus / log-sum-exp); the textbook formula is still what is shown.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field, replace
from fractions import Fraction

import sympy as sp
from sympy.core.function import ArgumentIndexError

from tutor.engine import exact
from tutor.errors import UndefinedError
from tutor.model import Problem
from tutor.model.solution import Factor, ForwardStep, Gradient, Note, ParamUpdate, Path, Solution
from tutor.registry import optim
from tutor.registry.functions import (
    ACTIVATION_CLASSES,
    NUMERIC,
    logsumexp,
    sigmoid,
    softmax,
    softplus,
    symbol,
)


@dataclass
class Node:
    """One equation node: its textbook expression and local derivatives, and its stable form."""

    name: str
    symbol: sp.Symbol
    expr: sp.Expr
    local: dict[str, sp.Expr]  # d expr / d parent, written with node symbols where possible
    numeric_expr: sp.Expr
    numeric_local: dict[str, sp.Expr]

    @property
    def fused(self) -> bool:
        return self.numeric_expr is not self.expr


@dataclass
class Graph:
    """Leaves (inputs, targets, parameters, constants) and nodes in topological order."""

    problem: Problem
    symbols: dict[str, sp.Symbol]
    nodes: list[Node]
    consumers: dict[str, list[str]] = field(default_factory=dict)

    @property
    def leaf_names(self) -> list[str]:
        return list(self.problem.leaves)

    def node(self, name: str) -> Node:
        return self._by_name[name]

    @functools.cached_property
    def adjoint_plan(self) -> list[tuple[str, list[tuple[str, sp.Expr]]]]:
        """The backward pass as data, the one definition of it: for every name in reverse
        topological order (the nodes from the loss back, then the leaves), its consumers c
        with the local factors ∂c/∂name (stable forms) such that
        ∂L/∂name = Σ_c ∂L/∂c · ∂c/∂name. `Compiled.backward` evaluates it; the training loop
        is generated from it."""
        terms: dict[str, list] = {name: [] for name in self.symbols}
        for node in self.nodes:
            for parent, factor in node.numeric_local.items():
                terms[parent].append((node.name, factor))
        order = [n.name for n in reversed(self.nodes)] + list(self.problem.leaves)
        return [(name, terms[name]) for name in order]

    @functools.cached_property
    def reads(self) -> dict[str, tuple[str, ...]]:
        """The names each node's evaluated (stable) expression reads."""
        return {n.name: tuple(n.numeric_local if n.fused else n.local) for n in self.nodes}

    def factor_reads(self, e: sp.Expr) -> tuple[str, ...]:
        """The names a local factor reads (kept per expression: factors repeat)."""
        names = self._factor_reads.get(e)
        if names is None:
            names = self._factor_reads[e] = tuple(s.name for s in e.free_symbols)
        return names

    @property
    def compiled(self) -> Compiled:
        """The numeric function, built once per equations: the graphs of a problem's variants
        (`build_graph` of the same equations) share it."""
        compiled = self._shared.get("compiled")
        if compiled is None:
            compiled = self._shared["compiled"] = Compiled(self)
        return compiled

    @property
    def cache(self) -> dict:
        """What is worked out once for these equations and shared by the graphs of the same
        equations (a problem's variants): the compiled function, the skills of each edge."""
        return self._shared

    def __post_init__(self):
        self._shared: dict = {}  # what graphs of the same equations share (`build_graph`)
        self._by_name = {n.name: n for n in self.nodes}
        self._factor_reads: dict = {}
        self.consumers = {name: [] for name in self.symbols}
        for n in self.nodes:
            for parent in n.local:
                self.consumers[parent].append(n.name)


def _squashing(definitions: dict[sp.Symbol, sp.Expr]) -> dict[sp.Symbol, sp.Expr]:
    return {s: d for s, d in definitions.items() if isinstance(d, (sigmoid, softmax))}


def _stable(expr: sp.Expr, definitions: dict[sp.Symbol, sp.Expr], squashing=None) -> sp.Expr:
    """Rewrite log(σ(a)), log(1 - σ(a)) and log(softmax(a)_k) into their with-logits forms
    (`squashing`: the sigmoid and softmax nodes among `definitions`, when already known)."""
    if squashing is None:
        squashing = _squashing(definitions)
    if not squashing or not expr.has(sp.log):
        return expr

    def visit(e):
        if isinstance(e, sp.log):
            inner = e.args[0].xreplace(squashing)
            if isinstance(inner, sigmoid):
                return -softplus(-inner.args[0])
            if isinstance(1 - inner, sigmoid):
                return -softplus((1 - inner).args[0])
            if isinstance(inner, softmax):
                return inner.logits[inner.index - 1] - logsumexp(*inner.logits)
            return e
        if e.args:
            return e.func(*[visit(a) for a in e.args])
        return e

    return visit(expr)


_FUNCTION_DERIVATIVE = sp.Function._eval_derivative  # the chain rule through `fdiff`


def diff(expr: sp.Expr, p: sp.Symbol) -> sp.Expr:
    """d expr / d p, the same expression as `sp.diff(expr, p)`: the rules SymPy applies to
    sums, products (Leibniz), powers and functions with their own `fdiff`, without the
    general machinery of `Derivative` around every step (most of the time it takes). Any
    other expression, or a result that keeps a Derivative, is left to `sp.diff`."""
    if p not in expr.free_symbols:
        return sp.S.Zero
    if expr is p:
        return sp.S.One
    if expr.is_Add:
        out = sp.Add(*[diff(a, p) for a in expr.args])
    elif expr.is_Mul:
        args = expr.args
        out = sp.Add(
            *[
                sp.Mul(*[diff(a, p) if j == i else a for j, a in enumerate(args)])
                for i in range(len(args))
            ]
        )
    elif expr.is_Pow:
        base, exponent = expr.args
        out = expr * (diff(exponent, p) * sp.log(base) + diff(base, p) * exponent / base)
    elif isinstance(expr, sp.Function) and type(expr)._eval_derivative is _FUNCTION_DERIVATIVE:
        terms = []
        for i, a in enumerate(expr.args, 1):
            da = diff(a, p)
            if da.is_zero:
                continue
            try:
                df = expr.fdiff(i)
            except ArgumentIndexError:
                return sp.diff(expr, p)
            terms.append(df * da)
        out = sp.Add(*terms)
    else:
        return sp.diff(expr, p)
    return sp.diff(expr, p) if out.has(sp.Derivative) else out


def _derivatives(expr: sp.Expr, parents) -> dict:
    """d expr / d p for each parent (`diff`), with sums of products done term by term.

    A layer writes z = Σ w·a + b; sp.diff walks the whole sum for every parent (quadratic in
    the width), so each parent only differentiates the terms that contain it. Same results.
    """
    if isinstance(expr, ACTIVATION_CLASSES) and expr.args[0].is_Symbol:
        return {expr.args[0]: expr.fdiff(1)}  # what sp.diff gives, without its assumptions work
    if not isinstance(expr, sp.Add):
        return {p: diff(expr, p) for p in parents}
    terms: dict = {p: [] for p in parents}
    for term in expr.args:
        if (
            term.is_Mul
            and len(term.args) == 2
            and term.args[0].is_Symbol
            and term.args[1].is_Symbol
        ):
            w, a = term.args  # w·a, a layer's term (two distinct symbols: SymPy writes w²)
            terms[w].append(a)
            terms[a].append(w)
            continue
        for s in term.free_symbols:
            terms[s].append(term)
    out = {}
    for p in parents:
        parts = []
        for term in terms[p]:
            if term.is_Symbol and term is not p:  # the other factor of a w·a term
                parts.append(term)
                continue
            others = [a for a in term.args if a != p] if isinstance(term, sp.Mul) else None
            if term == p:
                parts.append(sp.S.One)
            elif (
                others is not None
                and len(others) == len(term.args) - 1
                and not any(p in a.free_symbols for a in others)
            ):
                parts.append(sp.Mul(*others))
            else:
                parts.append(diff(term, p))
        out[p] = parts[0] if len(parts) == 1 else sp.Add(*parts)
    return out


# graphs built, by their equations: a problem's random variants (the quiz, a review) have the
# same nodes and derivatives, so SymPy differentiates each node once per process
_BUILT: dict[tuple, Graph] = {}
_BUILT_MAX = 64


def build_graph(problem: Problem) -> Graph:
    """Nodes with their local derivatives; equations arrive topologically sorted by the loader.
    The same equations (and given names) give the same nodes: built once, shared."""
    key = (tuple(problem.leaves), tuple((eq.name, eq.expr) for eq in problem.graph))
    built = _BUILT.get(key)
    if built is None:
        built = _build_graph(problem)
        if len(_BUILT) >= _BUILT_MAX:
            _BUILT.pop(next(iter(_BUILT)))
        _BUILT[key] = built
        if built.problem is problem:
            return built
    graph = Graph(problem, dict(built.symbols), built.nodes)
    graph._shared = built._shared
    return graph


def structure(problem: Problem) -> Graph:
    """The graph's nodes and edges without their derivatives (`local` maps each parent to
    None, no stable forms): what the questions a problem asks and their skills are read from,
    with no SymPy differentiation. The full graph where it is built already."""
    key = (tuple(problem.leaves), tuple((eq.name, eq.expr) for eq in problem.graph))
    built = _BUILT.get(key)
    if built is not None:
        return built if built.problem is problem else build_graph(problem)
    symbols = {name: symbol(name) for name in problem.leaves}
    names = {s: n for n, s in symbols.items()}
    nodes = []
    for eq in problem.graph:
        sym = symbols[eq.name] = symbol(eq.name)
        names[sym] = eq.name
        parents = sorted(eq.expr.free_symbols, key=lambda s: s.name)
        local = {names[p]: None for p in parents}
        nodes.append(Node(eq.name, sym, eq.expr, local, eq.expr, local))
    return Graph(problem, symbols, nodes)


def _build_graph(problem: Problem) -> Graph:
    symbols = {name: symbol(name) for name in problem.leaves}
    definitions: dict[sp.Symbol, sp.Expr] = {}
    nodes = []
    for eq in problem.graph:
        sym = symbol(eq.name)
        symbols[eq.name] = sym
        nodes.append((eq, sym))
        definitions[sym] = eq.expr
    # Replace a node's defining expression by its symbol inside derivatives, e.g.
    # dσ(z)/dz = σ(z)(1-σ(z)) becomes ŷ(1-ŷ): the form the course writes.
    back = {d: s for s, d in definitions.items() if not d.is_Atom}

    by_symbol = {s: n for n, s in symbols.items()}
    squashing = _squashing(definitions)
    out = []
    for eq, sym in nodes:
        parents = sorted(eq.expr.free_symbols, key=lambda s: s.name)
        diffs = _derivatives(eq.expr, parents)
        local = {by_symbol[p]: d if d.is_Atom else d.xreplace(back) for p, d in diffs.items()}
        numeric = _stable(eq.expr, definitions, squashing)
        if numeric is eq.expr:
            numeric_local = local
        else:
            numeric_parents = sorted(numeric.free_symbols, key=lambda s: s.name)
            numeric_local = {by_symbol[p]: diff(numeric, p).xreplace(back) for p in numeric_parents}
        out.append(Node(eq.name, sym, eq.expr, local, numeric, numeric_local))
    return Graph(problem, symbols, out)


# --------------------------------------------------------------------------- numbers


class Compiled:
    """Forward values and every local factor of a graph, from one generated function."""

    def __init__(self, graph: Graph):
        self.graph = graph
        names = {graph.symbols[n]: f"v{i}" for i, n in enumerate(graph.symbols)}
        self.leaf_order = graph.leaf_names
        self.local_keys: list[tuple[str, str, bool]] = []
        # factors that are one name or one number (most of a layer's: dz/dw = a) are read
        # directly, not printed into the function: that keeps the function linear and quick
        self.direct: list[tuple[tuple[str, str, bool], str | float]] = []
        factors = []
        name_of = {s: n for n, s in graph.symbols.items()}
        for n in graph.nodes:
            pairs = [(p, e, False) for p, e in n.local.items()]
            if n.fused:
                pairs += [(p, e, True) for p, e in n.numeric_local.items()]
            for parent, e, fused in pairs:
                key = (n.name, parent, fused)
                if e.is_Symbol and e in name_of:
                    self.direct.append((key, name_of[e]))
                elif e.is_Number:
                    self.direct.append((key, float(e)))
                else:
                    self.local_keys.append(key)
                    factors.append(e)

        def source() -> str:
            from tutor.engine.codegen import lambda_printer

            printer = lambda_printer(names)
            lines = ["def evaluate(leaves):"]
            if self.leaf_order:
                args = ", ".join(names[graph.symbols[n]] for n in self.leaf_order)
                lines.append(f"    {args}, = leaves")
            for n in graph.nodes:
                lines.append(f"    {names[n.symbol]} = {printer.doprint(n.numeric_expr)}")
            outputs = [names[n.symbol] for n in graph.nodes]
            outputs += [printer.doprint(e) for e in factors]
            lines.append("    return [" + ", ".join(outputs) + "]")
            return "\n".join(lines) + "\n"

        from tutor.engine.codegen import cached_source, equations_key

        text = cached_source(
            "evaluate", [" ".join(self.leaf_order), *equations_key(graph.problem)], source
        )
        # what lambdify gives a function printed for NUMERIC: the registry's functions, then
        # `math`'s names (pi, e, inf...) the printer may write, builtins and range
        namespace = {name: getattr(math, name) for name in dir(math) if not name.startswith("_")}
        namespace.update(NUMERIC)
        namespace.update({"builtins": __import__("builtins"), "range": range})
        exec(compile(text, "<bptutor evaluate>", "exec"), namespace)  # noqa: S102 (generated names only)
        self._function = namespace["evaluate"]

    def function(self, *leaves):
        return self._function(leaves)

    def evaluate(self, leaves: dict[str, float]):
        """Node values, textbook local factors and (for fused nodes) stable local factors."""
        import numpy as np

        # NumPy scalars, not Python floats: 1/0 and 1e300**2 give inf rather than raising,
        # and `check_defined` then says which node and why
        with np.errstate(all="ignore"):
            out = self.function(*[np.float64(leaves[n]) for n in self.leaf_order])
        nodes = self.graph.nodes
        values = {n: float(v) for n, v in leaves.items()}
        for node, v in zip(nodes, out):
            values[node.name] = float(v)
        local: dict[tuple[str, str], float] = {}
        stable: dict[tuple[str, str], float] = {}
        for (of, wrt, fused), v in zip(self.local_keys, out[len(nodes) :]):
            (stable if fused else local)[(of, wrt)] = float(v)
        for (of, wrt, fused), source in self.direct:
            v = values[source] if isinstance(source, str) else source
            (stable if fused else local)[(of, wrt)] = v
        return values, local, stable

    def backward(self, values, local, stable) -> dict[str, float]:
        """dL/d(every name): adjoints accumulated in reverse topological order.

        It evaluates `Graph.adjoint_plan`. Exact values and factors (Fractions) give exact
        gradients; a term with a float in it is a float (see `exact.dot`).
        """
        graph = self.graph
        loss = graph.problem.loss
        fused = {n.name for n in graph.nodes if n.fused}
        grad = {}
        for name, consumers in graph.adjoint_plan:
            grad[name] = (
                1
                if name == loss
                else exact.dot(
                    (grad[c], (stable if c in fused else local)[(c, name)]) for c, _ in consumers
                )
            )
        # A node bypassed by a with-logits form still has its textbook gradient, for display;
        # leaves and everything upstream keep the stable values.
        shown = dict(grad)
        for node in graph.nodes:
            if node.fused:
                for parent in node.local:
                    if parent in graph._by_name:
                        extra = local[(node.name, parent)] - stable.get((node.name, parent), 0)
                        shown[parent] += grad[node.name] * extra
        return shown

    def loss(self, leaves: dict[str, float]) -> float:
        values, _, _ = self.evaluate(leaves)
        return values[self.graph.problem.loss]


def numeric_leaves(problem: Problem) -> dict[str, float]:
    return {name: exact.to_float(v) for name, v in problem.leaves.items()}


def exact_leaves(problem: Problem) -> dict[str, Fraction]:
    """The given values that are exact numbers (all of them, in a problem file)."""
    out = {}
    for name, v in problem.leaves.items():
        f = exact.number(v)
        if f is not None:
            out[name] = f
    return out


@dataclass
class Evaluation:
    """Values, local factors and gradients at one point: Fractions where the mathematics is
    exact, floats elsewhere (see `exact.py`); every one finite (`check_defined`)."""

    values: dict
    local: dict
    stable: dict
    grads: dict


def evaluate(
    compiled: Compiled,
    leaves: dict,
    *,
    exact_values: bool = True,
    backward: bool = True,
    after_update: bool = False,
) -> Evaluation:
    """Forward and (unless `backward` is False) backward at `leaves` (exact numbers or
    floats); raises UndefinedError."""
    floats = {n: exact.to_float(v) for n, v in leaves.items()}
    values, local, stable = compiled.evaluate(floats)
    if exact_values:
        values, local, stable = _exact_pass(
            compiled.graph, leaves, values, local, stable, factors=backward
        )
    check_defined(
        compiled.graph, values, local, stable, factors=backward, after_update=after_update
    )
    grads = {}
    if backward:
        grads = compiled.backward(values, local, stable)
        _check_gradients(compiled.graph, grads, local)
    return Evaluation(values, local, stable, grads)


def _exact_pass(graph: Graph, leaves: dict, values: dict, local: dict, stable: dict, factors=True):
    """The generated float values (and factors) replaced by exact ones wherever those can be
    had, and a function of an exact value taken of that value: tanh(z) of an exact z = 0 is 0,
    not tanh of the float sum's round-off (`exact.mixed`). A value or factor that stays a
    float is recomputed only when a name it reads changed from its generated float; elsewhere
    the generated number stands, unchanged."""
    generated, values = values, dict(values)
    for name, v in leaves.items():
        f = exact.number(v)
        if f is not None:
            values[name] = f
    inexact = {n for n, v in values.items() if type(v) is float}  # names with a float value
    changed: set[str] = set()  # names whose value is no longer the generated float

    def renew(expr, names):
        """expr's new value (exact, or a float of changed inputs), or None: keep the old."""
        dirty = bool(changed) and not changed.isdisjoint(names)
        if not dirty and not inexact.isdisjoint(names):
            return None
        v = exact.mixed(expr, values)
        return None if v is None or (type(v) is float and not dirty) else v

    for node in graph.nodes:
        v = renew(node.numeric_expr, graph.reads[node.name])
        if v is not None:
            values[node.name] = v
            if type(v) is not float:
                inexact.discard(node.name)
            if exact.to_float(v) != generated[node.name]:
                changed.add(node.name)
    if not factors:
        return values, local, stable
    local, stable = dict(local), dict(stable)
    for node in graph.nodes:
        tables = [(local, node.local)] + ([(stable, node.numeric_local)] if node.fused else [])
        for table, exprs in tables:
            for parent, e in exprs.items():
                if e.is_Symbol:  # most of a layer's factors: dz/dw = a
                    name = e.name
                    v = values[name] if name not in inexact or name in changed else None
                elif e.is_Number:
                    v = exact.number(e)
                else:
                    v = renew(e, graph.factor_reads(e))
                if v is not None:
                    table[(node.name, parent)] = v
    return values, local, stable


def _finite(v) -> bool:
    return math.isfinite(v) if type(v) is float else math.isfinite(exact.to_float(v))


def _names_in(expr, text: str) -> list[str]:
    """The names of expr's symbols in the order the equation as written mentions them."""

    def position(name: str) -> int:
        found = re.search(rf"\b{re.escape(name)}\b", text)
        return found.start() if found else len(text)

    return sorted((s.name for s in expr.free_symbols), key=lambda n: (position(n), n))


def check_defined(
    graph: Graph,
    values: dict,
    local: dict,
    stable: dict,
    *,
    factors: bool = True,
    after_update: bool = False,
):
    """Raise UndefinedError for the first node, then the first local factor used by the
    backward pass, that is nan or ±inf: a division by zero, the log of a negative number..."""
    problem = graph.problem
    where = {"file": problem.file or problem.id, "loss": problem.loss, "after_update": after_update}
    for eq, node in zip(problem.graph, graph.nodes):
        if not _finite(values[node.name]):
            floats = {n: exact.to_float(v) for n, v in values.items()}
            shown = _names_in(node.expr, eq.text)
            raise UndefinedError(
                "node",
                node.name,
                expression=eq.text,
                values={n: floats[n] for n in shown},
                reason=exact.undefined_reason(node.numeric_expr, floats, NUMERIC),
                line=eq.line,
                **where,
            )
    for eq, node in zip(problem.graph, graph.nodes if factors else ()):
        table = stable if node.fused else local
        for parent, e in node.numeric_local.items():
            if not _finite(table[(node.name, parent)]):
                floats = {n: exact.to_float(v) for n, v in values.items()}
                raise UndefinedError(
                    "derivative",
                    node.name,
                    parent=parent,
                    expression=e,
                    values={n: floats[n] for n in sorted(s.name for s in e.free_symbols)},
                    reason=exact.undefined_reason(e, floats, NUMERIC),
                    line=eq.line,
                    **where,
                )


def _check_gradients(graph: Graph, grads: dict, local: dict) -> None:
    """Every gradient finite, except a node's that a saturated output's with-logits form
    bypasses (its textbook factor is infinite; `solve` notes that, and the stable gradients
    upstream are finite)."""
    problem = graph.problem
    bypassed = {
        parent
        for node in graph.nodes
        if node.fused
        for parent in node.local
        if parent in graph._by_name and not _finite(local[(node.name, parent)])
    }
    for name, g in grads.items():
        if not _finite(g) and name not in bypassed:
            raise UndefinedError(
                "gradient", name, loss=problem.loss, file=problem.file or problem.id
            )


# --------------------------------------------------------------------------- targets


def cross_entropy_targets(problem: Problem) -> dict[str, tuple[str, str, tuple]]:
    """The targets a cross-entropy reads, as engine.tensor's: name -> (kind, equation,
    logits), kind "softmax" for y·log(p) with p a softmax component (its targets, one per
    component of the same logits, sum to 1), "binary" for y·log(a) or (1 − y)·log(1 − a)
    with a = σ(z)."""
    defs = {eq.name: eq.expr for eq in problem.graph}

    def probability(e) -> tuple[str, tuple] | None:
        if e.is_Symbol and e.name in defs:
            e = defs[e.name]
        if isinstance(e, softmax):
            return "softmax", tuple(e.logits)
        if isinstance(e, sigmoid):
            return "binary", ()
        complement = 1 - e
        if complement.is_Symbol and complement.name in defs:
            complement = defs[complement.name]
        return ("binary", ()) if isinstance(complement, sigmoid) else None

    def target(e) -> str | None:
        for candidate in (e, 1 - e, e + 1, -e):  # y, 1 − y (also as y − 1 after a sign)
            if candidate.is_Symbol and candidate.name in problem.targets:
                return candidate.name
        return None

    found: dict[str, tuple[str, str, tuple]] = {}
    for eq in problem.graph:
        for product in eq.expr.atoms(sp.Mul):
            names = [n for n in map(target, product.args) if n is not None]
            for factor in product.args:
                if not names or not isinstance(factor, sp.log):
                    continue
                kind = probability(factor.args[0])
                for n in names:
                    if kind is not None and found.get(n, ("",))[0] != "softmax":
                        found[n] = (kind[0], eq.name, kind[1])
    return found


def target_fault(problem: Problem, values: dict | None = None):
    """The first cross-entropy target that is not a probability (engine.tensor.TargetFault),
    else None: every one from 0 to 1, a softmax's targets summing to 1."""
    from tutor.engine.tensor import TargetFault

    values = problem.leaves if values is None else values
    found = cross_entropy_targets(problem)
    groups: dict[tuple, list[str]] = {}
    for name, (kind, equation, logits) in sorted(found.items()):
        if values.get(name) is None:
            continue  # a symbolic problem's target has no value
        y = float(values[name])
        if not 0 <= y <= 1:
            return TargetFault(name, kind, equation, "outside", (), y)
        if kind == "softmax":
            groups.setdefault(logits, []).append(name)
    for names in groups.values():
        total = sum(float(values[n]) for n in names)
        if len(names) > 1 and abs(total - 1) > 1e-9:
            kind, equation, _ = found[names[0]]
            return TargetFault(names[0], kind, equation, "sum", (), total, tuple(names))
    return None


# --------------------------------------------------------------------------- paths


MAX_ROUTE = 32  # factors in a route listed factor by factor (a longer one: the δ recurrence)


def route_counts(graph: Graph, loss: str) -> dict[str, float]:
    """How many routes lead from each name to the loss; math.inf for a name with a route of
    more than MAX_ROUTE factors (shown as the δ recurrence: listing every route of a long
    chain would take time and space quadratic in its length)."""
    count = dict.fromkeys(graph.symbols, 0)
    longest = dict.fromkeys(graph.symbols, 0)
    count[loss] = 1
    for node in reversed(graph.nodes):
        for parent in node.local:
            longest[parent] = max(longest[parent], longest[node.name] + 1)
            count[parent] += count[node.name]
            if longest[parent] > MAX_ROUTE:
                count[parent] = math.inf
    return count


def _factor(graph: Graph, of: str, wrt: str, local: dict | None) -> Factor:
    value = None if local is None else local.get((of, wrt))
    return Factor(of, wrt, graph.node(of).local[wrt], value)


def _real(v):
    """A value for the Solution: the nearest float to an exact one (None stays None)."""
    return v if v is None or type(v) is float else exact.to_float(v)


def _reals(numbers: dict) -> dict:
    return {k: _real(v) for k, v in numbers.items()}


def _paths(graph: Graph, start: str, loss: str, local: dict | None) -> list[list[Factor]]:
    """Every route start -> loss as its list of factors, outermost (loss side) first, in the
    order of the consumers; a walk with its own stack (a chain of any length)."""
    routes = []
    stack = [(start, [])]  # a node and the factors from start to it, innermost first
    while stack:
        node, trail = stack.pop()
        if node == loss:
            routes.append(trail[::-1])
            continue
        for consumer in reversed(graph.consumers[node]):
            stack.append((consumer, trail + [_factor(graph, consumer, node, local)]))
    return routes


def _product(values):
    out = 1.0
    for v in values:
        if v is None:
            return None
        out *= v
    return out


def gradient_of(
    graph: Graph, name: str, counts, local, grads, limit: int = 0, factors: dict | None = None
) -> Gradient:
    """The chain for one quantity: every path when there are at most `limit` (the caller's
    choice: how many a reader can follow), else the delta recurrence over its consumers
    (`factors`: the local factors already made, by (of, wrt), shared rather than made again)."""
    loss = graph.problem.loss
    value = None if grads is None else grads[name]
    if counts[name] <= limit:
        # a product of floats carries no visible round-off (only sums cancel): the gradient
        # itself, a sum over paths, comes exact from the backward pass
        paths = tuple(
            Path(tuple(f), _product([x.value for x in f])) for f in _paths(graph, name, loss, local)
        )
        total = None
        if graph.problem.symbolic:
            total = sp.Add(*[sp.Mul(*[f.expr for f in p.factors]) for p in paths])
            total = sp.factor(sp.cancel(total)) if total.free_symbols else total
        return Gradient(name, paths, value, total)
    paths = []
    for consumer in graph.consumers[name]:
        up_value = None if grads is None else grads[consumer]
        up = Factor(loss, consumer, None, up_value, upstream=True)
        f = factors.get((consumer, name)) if factors else None
        f = f or _factor(graph, consumer, name, local)
        paths.append(Path((up, f), _product([up.value, f.value])))
    return Gradient(name, tuple(paths), value, None, delta_form=True)


# --------------------------------------------------------------------------- solve


def _forward_steps(graph: Graph, values: dict[str, float] | None) -> tuple[ForwardStep, ...]:
    """Each node with the values of the names it reads or, for a symbolic problem, the node
    written out in the given names only (e.g. ŷ = σ(w1·x1 + w2·x2 + b))."""
    steps = []
    inlined: dict[sp.Symbol, sp.Expr] = {}
    for eq, node in zip(graph.problem.graph, graph.nodes):
        if values:
            names = sorted(node.local)  # the names its expression reads (its parents)
            steps.append(
                ForwardStep(
                    node.name, node.expr, eq.text, values[node.name], {n: values[n] for n in names}
                )
            )
        else:
            inlined[node.symbol] = node.expr.xreplace(inlined)
            steps.append(
                ForwardStep(node.name, node.expr, eq.text, None, written=inlined[node.symbol])
            )
    return tuple(steps)


def _relu_notes(graph: Graph, values: dict[str, float]) -> list[Note]:
    """A ReLU whose input is exactly 0: its derivative there is taken as 0."""
    notes = []
    for eq, node in zip(graph.problem.graph, graph.nodes):
        if "relu" not in eq.text.lower():  # relu or ReLU is written in the equation if used
            continue
        for e in node.expr.atoms(sp.Function):
            if e.func.__name__ == "relu":
                arg = e.args[0]
                if arg.is_Symbol and values.get(arg.name) == 0.0:
                    notes.append(Note("relu_at_zero", node.name, {"arg": arg.name}))
    return notes


def solve(
    problem: Problem,
    *,
    rule=None,
    graph: Graph | None = None,
    exact_values: bool = True,
    path_limit: int = 0,
) -> Solution:
    """Forward pass, loss, backward pass, one update and the forward pass again: facts only
    (values, factors, gradients, notes as data). `explain.solve` makes them a worked solution.

    A gradient reached by at most `path_limit` routes lists each route; the others are the
    delta recurrence. Raises UndefinedError when a value, factor or gradient is undefined at
    the given values. `exact_values=False` skips the exact evaluation (for measuring its cost).
    """
    graph = graph or build_graph(problem)
    counts = route_counts(graph, problem.loss)
    wanted = [n for n in problem.params] + [n.name for n in graph.nodes if n.name != problem.loss]
    if problem.symbolic:
        gradients = tuple(gradient_of(graph, n, counts, None, None, path_limit) for n in wanted)
        local = {
            (n.name, p): Factor(n.name, p, e, None) for n in graph.nodes for p, e in n.local.items()
        }
        return Solution(problem, _forward_steps(graph, None), None, {}, gradients, local=local)

    compiled = graph.compiled
    leaves = {**numeric_leaves(problem), **exact_leaves(problem)}
    point = evaluate(compiled, leaves, exact_values=exact_values)
    # exact up to here; what the Solution holds is each number's nearest float
    exact_grads = point.grads
    values, local, grads = _reals(point.values), _reals(point.local), _reals(point.grads)
    local_factors = {
        key: Factor(key[0], key[1], graph.node(key[0]).local[key[1]], v) for key, v in local.items()
    }
    gradients = tuple(
        gradient_of(graph, n, counts, local, grads, path_limit, local_factors) for n in wanted
    )
    notes = _relu_notes(graph, values)
    # Name the first chain factor (between nodes) that overflowed, e.g. dL/dyhat, not dL/dy.
    overflowed = next(
        (key for key, v in local.items() if key[1] in graph._by_name and not math.isfinite(v)), None
    )
    if overflowed and all(math.isfinite(grads[p]) for p in problem.params):
        # the gradients come from the stable with-logits form instead
        notes.append(
            Note("saturated_output", overflowed[0], {"of": overflowed[0], "wrt": overflowed[1]})
        )

    updates, after_values, alternatives = (), None, {}
    rule = rule or problem.update
    if rule is not None and "update" in problem.asks:
        updates, new, after = _update_and_after(
            compiled, problem, rule, leaves, exact_grads, exact_values
        )
        after_values = {n: exact.to_float(v) for n, v in after.values.items()}
        for pub in problem.published:
            name = pub.key.optimizer
            if name and name not in alternatives:
                other = replace(rule, optimizer=name, hyper={})
                alternatives[name] = _one_step(other, problem, leaves, exact_grads)[0]
        if rule.optimizer == "adam" and updates:
            # what the bias corrections 1 − β^t change in the first step (t = 1)
            u = updates[0]
            hyper = optim.hyper(rule)
            c1, c2 = (_real(1 - _decimal(hyper[b])) for b in ("beta1", "beta2"))
            notes.append(
                Note(
                    "adam_bias_correction",
                    u.name,
                    {"c1": c1, "c2": c2, "without": u.state["uncorrected"], "new": u.new},
                )
            )

    if rule is not None and rule is not problem.update:
        problem = replace(problem, update=rule)  # the update table names the rule applied
    return Solution(
        problem,
        _forward_steps(graph, values),
        values[problem.loss],
        {n: grads[n] for n in graph.symbols},
        gradients,
        updates,
        _forward_steps(graph, after_values) if after_values else (),
        after_values[problem.loss] if after_values else None,
        tuple(notes),
        (),
        local_factors,
        alternatives,
    )


def _update_and_after(
    compiled: Compiled, problem: Problem, rule, leaves, grads, exact_values: bool = True
):
    """One update and the evaluation at the new parameter values; raises UndefinedError."""
    updates, new = _one_step(rule, problem, leaves, grads)
    for name, v in new.items():
        if not _finite(v):
            raise UndefinedError("update", name, loss=problem.loss, file=problem.file or problem.id)
    after = evaluate(
        compiled, {**leaves, **new}, exact_values=exact_values, backward=False, after_update=True
    )
    return updates, new, after


def check_point(compiled: Compiled, problem: Problem) -> None:
    """Raise UndefinedError if solving `problem` (compiled from the same equations) would
    meet an undefined value, factor or gradient, before or after its update."""
    leaves = {**numeric_leaves(problem), **exact_leaves(problem)}
    point = evaluate(compiled, leaves)
    if problem.update is not None and "update" in problem.asks:
        _update_and_after(compiled, problem, problem.update, leaves, point.grads)


def _one_step(rule, problem: Problem, leaves, grads):
    """The update table for one optimizer step, and the new parameter values."""
    names = rule.params or tuple(problem.params)
    state = optim.initial_state(rule, names)
    # the rate and hyperparameters as the decimals written, so an exact step stays exact
    exact_rule = replace(
        rule, lr=_decimal(rule.lr), hyper={k: _decimal(v) for k, v in optim.hyper(rule).items()}
    )
    new, state = optim.step(exact_rule, {n: leaves[n] for n in names}, grads, state)
    updates = tuple(
        ParamUpdate(
            n,
            _real(leaves[n]),
            _real(grads[n]),
            rule.lr,
            _real(new[n]),
            {k: _real(v) for k, v in optim.shown_state(state, n).items()},
        )
        for n in names
    )
    return updates, new


def _decimal(v):
    d = exact.decimal(v)
    return v if d is None else d


_LAMBDIFIED: dict = {}  # expression -> (function, argument names), least recently used first


def evaluate_with(graph: Graph | None, quantities, values: dict) -> list:
    """Quantities evaluated numerically with `values` (name -> number or NumPy array) put in
    for the names, nothing propagated: a node's parents are whatever `values` says.

    A quantity is a node name (its equation), a pair (of, wrt) (the local factor ∂of/∂wrt,
    textbook form) or a SymPy expression (in any names; `graph` may then be None). The quiz
    recomputes a step from a student's own numbers, or with one value put for another, and
    compares typed formulas at sample points, through this function only. Each expression is
    lambdified once and cached (a bounded cache: typed answers come and go). The results are
    as computed: NumPy values, complex where the expression is; a failing evaluation raises.
    """
    out = []
    for quantity in quantities:
        if isinstance(quantity, str):
            expr = graph.node(quantity).expr
        elif isinstance(quantity, tuple):
            expr = graph.node(quantity[0]).local[quantity[1]]
        else:
            expr = quantity
        entry = _LAMBDIFIED.pop(expr, None)
        if entry is None:
            args = sorted(expr.free_symbols, key=lambda s: s.name)
            function = sp.lambdify(args, expr, modules=[NUMERIC, "numpy"], docstring_limit=0)
            entry = (function, [s.name for s in args])
            while len(_LAMBDIFIED) >= 1024:
                del _LAMBDIFIED[next(iter(_LAMBDIFIED))]
        _LAMBDIFIED[expr] = entry
        function, names = entry
        out.append(function(*[values[n] for n in names]))
    return out
