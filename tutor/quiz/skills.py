"""Skills: the kinds of local derivative (and update rule) a quiz question exercises.

Read off the graph, never written by hand. A gradient ∂L/∂w (or a delta ∂L/∂h) exercises
every local derivative on its way from w to the loss, each edge classified by the expression
of the node it enters: a registry function's derivative ("sigmoid'", "relu'", "max'"...), the
linear node's ∂z/∂w or ∂z/∂x, squared error, (binary) cross-entropy, softmax with
cross-entropy, the product/power/quotient rules; plus "sum-paths" when a node on the way feeds
several others. A local factor exercises its one edge; an update its optimizer's rule.

A tensor question (tutor/quiz/matrix.py) is tagged the same way from the op table's ops on
its way to the loss (`tensor_chain`): a matrix product and its transpose, an element-wise
function's derivative (the same skill as a scalar one's), a sum over the batch (an operand
broadcast over the columns), convolution, pooling's routing, BatchNorm's three paths, a shared
weight's sum over time (a parameter read by several nodes). A parameter count (any kind of
problem that asks for it) is "param-count".

Function skills come from the function registry (tutor/functions.py): a new activation is a
new skill, named in both languages by its registry entry, with no edit here.
"""

from __future__ import annotations

import sympy as sp

from tutor.model import Quantity
from tutor.registry import functions
from tutor.text.messages import MESSAGES, say

LINEAR_W, LINEAR_X = "linear-dw", "linear-dx"
MSE, BCE, CE, SOFTMAX_CE = "mse'", "bce'", "ce'", "softmax-ce"
SUM_PATHS, POWER = "sum-paths", "power'"
# the skills of a tensor rule, read off the op table's ops on the way to the loss
MATMUL, TRANSPOSE, BATCH_SUM = "matmul", "transpose", "batch-sum"
CONV, POOL, BATCHNORM, SHARED = "conv", "pool-routing", "batchnorm-paths", "shared-sum"
TENSOR = (MATMUL, TRANSPOSE, BATCH_SUM, CONV, POOL, BATCHNORM, SHARED)
# counting a layer's parameters (`ask: [parameters]`, tutor/quiz/counting.py): no derivative
PARAM_COUNT = "param-count"
# the skills of one step of each optimizer (L2 adds "l2")
OPTIMIZER_SKILLS = {
    "sgd": ("sgd",),
    "momentum": ("momentum",),
    "rmsprop": ("rmsprop",),
    "adam": ("adam-moments", "adam-bias"),
}
FIXED = (
    LINEAR_W,
    LINEAR_X,
    MSE,
    BCE,
    CE,
    SOFTMAX_CE,
    SUM_PATHS,
    POWER,
    *TENSOR,
    PARAM_COUNT,
    *dict.fromkeys(s for skills in OPTIMIZER_SKILLS.values() for s in skills),
    "l2",
)
# a state the optimizer keeps, by the slot a quantity names (m[w1], v_hat[w1], buffer[w1])
STATE_SKILLS = {
    "m": "adam-moments",
    "v": "adam-moments",
    "m_hat": "adam-bias",
    "v_hat": "adam-bias",
    "buffer": "momentum",
}


def function_skill(entry: functions.Entry) -> str:
    """`sigmoid'`, `relu'`, `max'`: a registry function's derivative, by its parser name."""
    return f"{entry.names[0] if entry.names else entry.name}'"


def all_skills() -> tuple[str, ...]:
    """Every skill a question can be tagged with: the fixed ones, then one per function a
    problem may call (the registry's)."""
    called = tuple(function_skill(e) for e in functions.FUNCTIONS.values() if e.names)
    return FIXED + called


def name(skill: str, lang: str = "en") -> str:
    """A skill's name for a table, in English or Chinese (an unknown one as written)."""
    key = f"skill_{skill}"
    if key in MESSAGES:
        return say(lang, key)
    if skill.endswith("'"):
        try:
            return say(lang, "skill_derivative", f=functions.title(skill[:-1], lang))
        except KeyError:
            pass
    return skill


# -- questions -----------------------------------------------------------------------------


def of_question(q, solution, graph) -> tuple[str, ...]:
    """The skills a question exercises, in a stable order (the first edge's first).

    `q.step` (forward|loss|delta|gradient|factor|update|after|count; today's `q.kind` where
    a question has no step yet) says what is asked: forward values, the loss and the loss
    after the update exercise no derivative; a parameter count exercises counting.
    """
    step = getattr(q, "step", None) or q.kind
    problem = solution.problem
    if step == "count":
        return (PARAM_COUNT,)
    if step in ("gradient", "delta"):
        return tuple(dict.fromkeys(chain(graph, q.node)))
    if step in ("factor", "update", "after", "state"):
        try:
            quantity = Quantity.parse(q.key, problem.loss)
        except ValueError:
            quantity = None
        if step == "factor" and quantity is not None and quantity.kind in ("factor", "gradient"):
            of, wrt = quantity.names
            return tuple(dict.fromkeys(edge(graph, of, wrt)))
        if quantity is not None and quantity.kind == "state":
            return (STATE_SKILLS.get(quantity.slot, "sgd"),)
        if step == "update":
            return update_skills(problem)
    return ()


def update_skills(problem) -> tuple[str, ...]:
    """The skills of one step of the problem's update rule."""
    rule = problem.update
    if rule is None:
        return ()
    out = OPTIMIZER_SKILLS.get(rule.optimizer, (rule.optimizer,))
    return out + ("l2",) if rule.hyper.get("l2") else out


def chain(graph, wrt: str) -> list[str]:
    """The skills of ∂L/∂wrt: every edge between `wrt` and the loss, in backprop order from
    `wrt`, and "sum-paths" where a node on the way feeds two or more nodes that reach the loss
    (not the logits of a softmax read by cross-entropy: that sum is the softmax-ce rule)."""
    loss = graph.problem.loss
    reach = graph.cache.get(("reaching", loss))  # the same equations may end in another loss
    if reach is None:
        reach = graph.cache[("reaching", loss)] = _reaching(graph, loss)
    if wrt not in reach:
        return []
    out: list[str] = []
    seen = {wrt}
    todo = [wrt]
    while todo:
        name_ = todo.pop(0)
        if name_ == loss:
            continue
        after = [c for c in graph.consumers.get(name_, []) if c in reach]
        if len(after) > 1 and not all(_softmax_ce(graph, c) for c in after):
            out.append(SUM_PATHS)
        for c in after:
            out.extend(edge(graph, c, name_))
            if c not in seen:
                seen.add(c)
                todo.append(c)
    return out


def edge(graph, of: str, wrt: str) -> list[str]:
    """The skills of the local factor ∂of/∂wrt, read from the expression of the node `of`
    (once per edge of the equations: a chain reads the edges after it again)."""
    problem = graph.problem  # which names are parameters is the problem's, not the equations'
    edges = graph.cache.setdefault(("edge skills", tuple(problem.params), problem.loss), {})
    if (of, wrt) not in edges:
        edges[(of, wrt)] = _edge(graph, of, wrt)
    return list(edges[(of, wrt)])


def _edge(graph, of: str, wrt: str) -> list[str]:
    node = graph.node(of)
    p = graph.symbols[wrt]
    expr = node.expr
    if p not in expr.free_symbols:
        return []
    definitions = {n.symbol: n.expr for n in graph.nodes}
    is_param = wrt in graph.problem.params
    logs = [e for e in expr.atoms(sp.log) if p in e.free_symbols]
    if any(e.args[0] == p for e in logs):  # -y·log(p): a cross-entropy term
        if _softmax_ce(graph, wrt):
            return [SOFTMAX_CE]
        if any(e.args[0] == 1 - p for e in logs):
            return [BCE]
        return [CE]
    if _softmax_ce(graph, of):
        return [SOFTMAX_CE]
    params = {graph.symbols[n] for n in graph.problem.params}
    out: list[str] = []
    for term in sp.Add.make_args(expr):
        if p in term.free_symbols:
            out.extend(_term(term, p, is_param, definitions, top=True))
    linear = _linear(expr, p, params)
    return [linear if s == LINEAR_W else s for s in out]


def _linear(expr, p, params) -> str:
    """Which side of a linear node p is on: ∂(w·x)/∂w = x is "linear-dw" (p a parameter
    multiplying no parameter, or a bias beside such products); ∂(w·x)/∂x = w and a fixed
    combination such as (x1 + x2)/4 are "linear-dx"."""
    if p not in params:
        return LINEAR_X
    terms = sp.Add.make_args(expr)
    mine = next((t for t in terms if p in t.free_symbols), expr)
    coefficient = mine / p
    if p in coefficient.free_symbols:  # inside a square or a function: p's own role
        return LINEAR_W
    if coefficient.free_symbols & params:
        return LINEAR_X
    if coefficient.free_symbols:
        return LINEAR_W
    beside = [t for t in terms if t is not mine and len(t.free_symbols) >= 2]
    return LINEAR_W if beside else LINEAR_X  # a bias, or an average of parameters


def _term(term, p, is_param: bool, definitions, top: bool) -> list[str]:
    """The skills of d(term)/dp: one term of a sum, its factors free of p set aside."""
    inner = [f for f in sp.Mul.make_args(term) if p in f.free_symbols]
    if len(inner) > 1:  # p·p, h·(1 - h): the product rule, then each factor
        out = [POWER]
        for f in inner:
            out.extend(_inside(f, p, is_param, definitions))
        return out
    core = inner[0]
    rest = sp.Mul(*[f for f in sp.Mul.make_args(term) if p not in f.free_symbols])
    if core == p:
        if top or not rest.is_number:  # w·x, or b (its factor 1) in a linear node
            return [LINEAR_W if is_param else LINEAR_X]
        return []  # (ŷ − y) inside a square: part of the rule around it
    if isinstance(core, sp.Pow):
        base, exponent = core.args
        if exponent == 2 and base.is_polynomial(p) and sp.degree(base, p) == 1:
            return [MSE] + _linear_inside(base, p, is_param)
        return [POWER] + _inside(base, p, is_param, definitions)
    return _inside(core, p, is_param, definitions)


def _inside(f, p, is_param: bool, definitions) -> list[str]:
    """The skills of d f/dp for one factor f: a function call, a power or p itself."""
    if f == p:
        return []
    if isinstance(f, sp.Pow):
        return [POWER] + _inside(f.args[0], p, is_param, definitions)
    if isinstance(f, sp.Add):
        out: list[str] = []
        for t in f.args:
            if p in t.free_symbols:
                out.extend(_term(t, p, is_param, definitions, top=False))
        return out
    if isinstance(f, sp.Function):
        entry = functions.FUNCTIONS.get(type(f).__name__)
        out = [function_skill(entry) if entry else f"{type(f).__name__}'"]
        for a in f.args:
            if p in a.free_symbols:
                out.extend(_inside(a, p, is_param, definitions))
        return out
    if isinstance(f, sp.Mul):
        return _term(f, p, is_param, definitions, top=False)
    return [POWER]


def _linear_inside(base, p, is_param: bool) -> list[str]:
    """Inside a square, (w·x − y)² differentiated by w also needs ∂(w·x)/∂w; (ŷ − y)² by ŷ
    needs nothing more."""
    coefficient = sp.Poly(base, p).coeffs()[0]
    return [] if coefficient.is_number else [LINEAR_W if is_param else LINEAR_X]


def _reaching(graph, loss: str) -> set[str]:
    """Every name from which the loss can be reached (the loss included)."""
    parents = {n.name: list(n.local) for n in graph.nodes}
    out = {loss}
    todo = [loss]
    while todo:
        for parent in parents.get(todo.pop(), []):
            if parent not in out:
                out.add(parent)
                todo.append(parent)
    return out


def _consumers(graph, name_: str) -> list[str]:
    return graph.consumers.get(name_, [])


def _softmax_ce(graph, name_: str) -> bool:
    """A softmax node whose every consumer takes its log (cross-entropy): ∂L/∂z = p − y."""
    try:
        node = graph.node(name_)
    except KeyError:
        return False
    if not isinstance(node.expr, functions.softmax):
        return False
    users = _consumers(graph, name_)
    return bool(users) and all(
        any(e.args[0] == node.symbol for e in graph.node(c).expr.atoms(sp.log)) for c in users
    )


# -- tensor questions ----------------------------------------------------------------------


def tensor_chain(problem, name_: str, shapes) -> list[str]:
    """The skills of ∂L/∂name_ in a tensor problem: every edge between `name_` and the loss
    (`tensor_edge`), in backprop order from `name_`; where a name on the way feeds several
    nodes that reach the loss, the sum of its paths: a parameter's "shared-sum" (one weight
    used at every time step), BatchNorm's paths when one of them is a mean over the batch,
    else "sum-paths". `shapes`: a `rules.Shapes` of every name."""
    consumers: dict[str, list] = {}
    for eq in problem.graph:
        for n in sorted(eq.expr.names()):
            consumers.setdefault(n, []).append(eq)
    reach = {problem.loss}
    for eq in reversed(problem.graph):
        if eq.name in reach:
            reach |= eq.expr.names()
    fused = _fused_softmax(problem)
    out: list[str] = []
    seen, todo = {name_}, [name_]
    while todo:
        n = todo.pop(0)
        after = [eq for eq in consumers.get(n, []) if eq.name in reach]
        if len(after) > 1:
            if n in problem.params:
                out.append(SHARED)
            elif any(_reduces(eq.expr, n) for eq in after):
                out.append(BATCHNORM)
            else:
                out.append(SUM_PATHS)
        for eq in after:
            out.extend(tensor_edge(problem, eq, n, shapes, fused))
            if eq.name not in seen and eq.name != problem.loss:
                seen.add(eq.name)
                todo.append(eq.name)
    return list(dict.fromkeys(out))


def tensor_edge(problem, eq, name_: str, shapes, fused=None) -> list[str]:
    """The skills of the local rule ∂eq/∂name_: the ops of eq's expression on the way down to
    `name_`, each by its kind (a softmax met by its cross-entropy is one "softmax-ce")."""
    fused = _fused_softmax(problem) if fused is None else fused
    out: list[str] = []
    stack = [eq.expr]
    while stack:
        op = stack.pop()
        if name_ not in op.names():
            continue
        kind = op.kind
        if kind == "matmul":
            out += [MATMUL, TRANSPOSE]
        elif kind == "T":
            out.append(TRANSPOSE)
        elif kind in ("conv2d", "conv2d_bias"):
            out.append(CONV)
        elif kind in ("maxpool", "avgpool"):
            out.append(POOL)
        elif kind == "log" and eq.name == problem.loss:
            inner = op.args[0]
            out.append(SOFTMAX_CE if inner.kind == "name" and inner.name in fused else CE)
            if inner.kind == "name" and inner.name in fused:
                continue  # p − y: the softmax below is part of the rule
        elif kind == "softmax":
            out.append(SOFTMAX_CE)
        elif kind == "pow" and eq.name == problem.loss:
            out.append(MSE)
        elif kind == "mul" and all(name_ in a.names() for a in op.args):
            out.append(POWER)  # c ⊙ c: the product rule
        elif kind in functions.FUNCTIONS and functions.FUNCTIONS[kind].names:
            out.append(function_skill(functions.FUNCTIONS[kind]))
        if kind in ("add", "sub", "mul", "div"):
            for a in op.args:
                if name_ in a.names() and _broadcast(a, op, shapes):
                    out.append(BATCH_SUM)
        if kind in ("mean", "sum") and op.ints and op.args[0].names() & {name_}:
            out.append(BATCH_SUM)
        stack.extend(op.args)
    return out


def _broadcast(arg, op, shapes) -> bool:
    """Whether `arg` is spread over more entries in `op` (a bias added to every column)."""
    try:
        small, big = shapes(arg), shapes(op)
    except Exception:  # noqa: BLE001 (a shape that cannot be read: no skill claimed)
        return False
    size = 1
    for n in small:
        size *= n
    whole = 1
    for n in big:
        whole *= n
    return size > 1 and size < whole


def _reduces(expr, name_: str) -> bool:
    """Whether `expr` is a mean or sum of `name_` over an axis (BatchNorm's μ)."""
    return expr.kind in ("mean", "sum") and bool(expr.ints) and name_ in expr.names()


def _fused_softmax(problem) -> set[str]:
    """The softmax nodes a cross-entropy loss takes the log of (∂L/∂z = p − y)."""
    out = set()
    for eq in problem.graph:
        if eq.expr.kind == "softmax":
            out.add(eq.name)
    return out
