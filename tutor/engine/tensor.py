"""Tensor-valued nodes: vectors, matrices, feature maps, batches, evaluated from the op table.

A tensor problem's equations are `tensor_expr.Op` trees. Every op is declared once in
`ops.OPS`: shape rule, NumPy forward, and a backward rule written in the same ops; here the
forward pass evaluates the equations, and the backward pass evaluates, for every node from the
loss back, each consumer's rule as `engine.rules.share_rule` builds it (`W2ᵀ δ(z2)`,
`δ(a1) ⊙ a1 ⊙ (1 − a1)`): the facts a worked solution shows are the trees that gave its
numbers. A shared weight's gradient is the sum of its consumers' shares (the RNN's W).

Stable and checked: a cross-entropy's log of a softmax or of a sigmoid is computed as
log-softmax or softplus (as `torch.nn.functional.cross_entropy` does), and where the output
probability is read by the loss only, its δ is the combined rule p − y (a − y for a sigmoid
with binary cross-entropy, over N where the loss averages), claimed only where the numbers
agree; any nan or ±∞ left is an `UndefinedError` naming the node, the op and why. Bounded:
`check_shapes` infers every shape before anything is computed and refuses a tensor past
`MAX_ENTRIES` entries or a product past `MAX_WORK` multiply-adds.

Conventions (docs/format.md): vectors are columns (n×1), a batch's samples are the columns of
X, conv2d is a cross-correlation with torch's layouts (input C×H×W, kernel out×in×kh×kw).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from ..errors import ProblemError, UndefinedError
from ..ops import ShapeError, shape_text, size_of
from ..tensor_expr import Op, grad, number
from ..tensor_expr import name as name_op
from . import exact, rules

__all__ = ["Point", "ShapeError", "evaluate", "forward", "pullback", "shape_text", "value_of"]

MAX_ENTRIES = 10_000_000  # entries of any one tensor a problem computes
MAX_WORK = 2_000_000_000  # multiply-adds of a problem's matrix products and convolutions
MAX_EQUATIONS = 20_000


# --------------------------------------------------------------------------- shapes, bounds


def _work(op: Op, shapes: rules.Shapes) -> int:
    """Multiply-adds of one op (matrix products and convolutions; the rest is linear)."""
    if op.kind == "matmul":
        (m, k), (_, n) = shapes(op.args[0]), shapes(op.args[1])
        return m * k * n
    if op.kind in ("conv2d", "conv2d_bias"):
        k = shapes(op.args[1])
        return size_of(shapes(op)) * k[1] * k[2] * k[3]
    return size_of(shapes(op))


def check_shapes(problem) -> dict[str, tuple]:
    """Every node's shape from the table's shape rules, before anything is computed: a shape
    that does not fit, a tensor past MAX_ENTRIES, work past MAX_WORK is a ProblemError at the
    equation's line."""
    where = {"file": problem.file or problem.id}
    if len(problem.graph) > MAX_EQUATIONS:
        raise ProblemError(
            f"{len(problem.graph):,} equations: at most {MAX_EQUATIONS:,}", **where, line=None
        )
    names = {n: tuple(np.shape(v)) for n, v in problem.leaves.items()}
    shapes = rules.Shapes(names)
    work = 0
    for eq in problem.graph:
        try:
            for op in eq.expr.walk():
                if op.kind in ("name", "number", "grad"):
                    continue
                shape = shapes(op)
                if size_of(shape) > MAX_ENTRIES:
                    raise ShapeError(
                        f"a {shape_text(shape)} tensor has {size_of(shape):,} entries "
                        f"(at most {MAX_ENTRIES:,})",
                        op.column,
                    )
                work += _work(op, shapes)
                if work > MAX_WORK:
                    raise ShapeError(
                        f"this would take over {MAX_WORK:,} multiply-adds (at {op.kind})",
                        op.column,
                    )
            names[eq.name] = shapes(eq.expr)
        except ShapeError as e:
            where_column = f" (column {e.column})" if e.column else ""
            raise ProblemError(
                f"equation '{eq.name}': {e.message}{where_column}", line=eq.line, **where
            ) from None
    return names


# --------------------------------------------------------------------------- stable forms


@dataclass(frozen=True)
class Fused:
    """A probability `p` = softmax(z) or σ(z) read only by the loss through log: the loss is
    computed from z in the stable form, and δ(z) = p − y (over `scale`)."""

    z: str
    p: str
    function: str


def _definitions(problem) -> dict[str, Op]:
    return {eq.name: eq.expr for eq in problem.graph}


def _stable(expr: Op, defs: dict[str, Op], allowed) -> tuple[Op, set[str]]:
    """The loss with log(softmax(z)) as log_softmax(z), log(σ(z)) as −softplus(−z) and
    log(1 − σ(z)) as −softplus(z), where softmax(z)/σ(z) is a node p (one of `allowed`, or
    any when None) of a named z; and the p's rewritten."""
    used: set[str] = set()

    def of(op: Op, function: str) -> Op | None:
        if (
            op.kind != "name"
            or op.name not in defs
            or (allowed is not None and op.name not in allowed)
        ):
            return None
        d = defs[op.name]
        if d.kind != function or d.args[0].kind != "name":
            return None
        used.add(op.name)
        return d.args[0]

    def walk(op: Op) -> Op:
        if op.kind == "log":
            arg = op.args[0]
            z = of(arg, "softmax")
            if z is not None:
                return Op("log_softmax", (z,), column=op.column)
            z = of(arg, "sigmoid")
            if z is not None:
                return Op("neg", (Op("softplus", (Op("neg", (z,)),)),), column=op.column)
            if arg.kind == "sub" and arg.args[0].kind == "number" and arg.args[0].value == 1:
                z = of(arg.args[1], "sigmoid")
                if z is not None:
                    return Op("neg", (Op("softplus", (z,)),), column=op.column)
        if not op.args:
            return op
        args = tuple(walk(a) for a in op.args)
        if all(a is b for a, b in zip(args, op.args)):
            return op
        return Op(op.kind, args, name=op.name, value=op.value, ints=op.ints, column=op.column)

    return walk(expr), used


def stable_loss(problem) -> tuple[Op, tuple[Fused, ...]]:
    """The loss equation as it is computed, and the output probabilities it bypasses: those
    read by the loss only, and there only inside a log (else the loss is computed as written)."""
    defs = _definitions(problem)
    written = defs[problem.loss]
    rewritten, used = _stable(written, defs, None)
    fused = []
    for p in sorted(used):
        readers = [eq.name for eq in problem.graph if p in eq.expr.names()]
        if readers == [problem.loss] and p not in rewritten.names():
            fused.append(Fused(defs[p].args[0].name, p, defs[p].kind))
    if not fused:
        return written, ()
    rewritten, _ = _stable(written, defs, {f.p for f in fused})
    return rewritten, tuple(fused)


# --------------------------------------------------------------------------- the passes


@dataclass
class Point:
    """Forward values, ∂L/∂(every name), each consumer's share of each name it reads
    (`contributions[(node, name)]`) and the rule that gave it (`rules[(node, name)]`, an op
    tree in the table's ops), and the fused output probabilities."""

    values: dict[str, np.ndarray]
    loss: float
    grads: dict[str, np.ndarray] = field(default_factory=dict)
    contributions: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    rules: dict[tuple[str, str], Op] = field(default_factory=dict)
    fused: tuple[Fused, ...] = ()
    shapes: rules.Shapes | None = None


def quiet(compute):
    """`compute` with NumPy's floating-point warnings off, for code that computes with a
    solution's values outside the engine (the quiz's questions and grades): an overflow or
    0/0 there is a value (∞, nan), never a RuntimeWarning on the user's stderr."""

    @functools.wraps(compute)
    def quieted(*args, **kwargs):
        with np.errstate(all="ignore"):
            return compute(*args, **kwargs)

    return quieted


def _where(problem) -> dict:
    return {"file": problem.file or problem.id, "loss": problem.loss}


def _first_bad(a: np.ndarray) -> tuple:
    bad = np.argwhere(~np.isfinite(a))
    return tuple(int(i) for i in bad[0]) if bad.size else ()


def _entry_name(name: str, index: tuple, shape: tuple) -> str:
    if not shape:
        return name
    if len(shape) == 2 and shape[1] == 1:
        return f"{name}[{index[0] + 1}]"
    return f"{name}[{','.join(str(i + 1) for i in index)}]"


_REASONS = {"log": "log", "div": "division_by_zero", "sqrt": "sqrt", "pow": "pow"}


def _undefined(problem, eq, memo: dict, values: dict, kind: str = "node", **extra):
    """The UndefinedError for a non-finite node: the innermost op whose result is not finite
    while its arguments are, what it was applied to, and why."""
    culprit, reason = None, "overflow"
    for op in eq.expr.walk():
        known = memo.get(id(op))
        if known is None or op.kind in ("name", "number", "grad"):
            continue
        value = known[0]
        if np.all(np.isfinite(value)):
            continue
        inner = [memo.get(id(a)) for a in op.args]
        if all(v is not None and np.all(np.isfinite(v[0])) for v in inner):
            culprit = op
            break
    shown: dict = {}
    if culprit is not None:
        result = memo[id(culprit)][0]
        bad = _first_bad(result)
        entries = []
        for a in culprit.args:
            v = np.asarray(memo[id(a)][0])
            if v.shape == result.shape:
                at = bad
            elif v.size == 1:
                at = (0,) * v.ndim
            else:  # read whole (a matrix product, a sum): its largest entry
                at = tuple(int(i) for i in np.unravel_index(np.argmax(np.abs(v)), v.shape))
            x = float(v[at])
            entries.append(x)
            if a.kind == "name":
                shown[_entry_name(a.name, at if v.size > 1 else (), v.shape)] = x
        reason = _reason(culprit.kind, entries)
    raise UndefinedError(
        kind,
        eq.name,
        expression=eq.text,
        values=shown,
        reason=reason,
        line=eq.line,
        **_where(problem),
        **extra,
    )


def _reason(kind: str, args: list[float]) -> str:
    x = args[0] if args else 0.0
    if kind in ("log", "log_softmax"):
        return "log_of_zero" if x == 0 else "log_of_negative" if x < 0 else "overflow"
    if kind == "div" and len(args) > 1 and args[1] == 0:
        return "division_by_zero"
    if kind == "sqrt" and x < 0:
        return "sqrt_of_negative"
    if kind == "pow" and x < 0:
        return "power_of_negative"
    return "overflow"


def forward(problem, leaves: dict[str, np.ndarray], *, after_update: bool = False) -> dict:
    """Every node's value (the loss in its stable form); a shape that does not fit is a
    ProblemError at the equation's line, a value that is not finite an UndefinedError."""
    return _forward(problem, leaves, after_update=after_update)[0]


def _forward(problem, leaves: dict, *, after_update: bool = False):
    shapes_of = check_shapes(problem)
    values = dict(leaves)
    memos: dict[str, dict] = {}
    loss_expr, fused = stable_loss(problem)
    known, budget = {}, [exact.EXACT_WORK]
    for eq in problem.graph:
        memo: dict = {}
        expr = loss_expr if eq.name == problem.loss else eq.expr
        value = rules.evaluate(expr, values, None, memo)
        settled, known[eq.name] = exact.settle(expr, value, values, known, budget)
        if settled is not value:  # its whole-number entries, exactly
            memo[id(expr)] = (settled, expr)
            value = settled
        if value.shape != shapes_of[eq.name]:  # pragma: no cover (the shape rules say so)
            raise ProblemError(f"equation '{eq.name}': shape", line=eq.line)
        if not np.all(np.isfinite(value)):
            stand_in = _Eq(eq.name, expr, eq.text, eq.line)
            _undefined(problem, stand_in, memo, values, after_update=after_update)
        values[eq.name] = value
        memos[eq.name] = memo
    return values, memos, shapes_of, loss_expr, fused


@dataclass(frozen=True)
class _Eq:
    name: str
    expr: Op
    text: str
    line: int | None


def evaluate(problem, leaves: dict[str, np.ndarray], *, backward: bool = True) -> Point:
    """Forward, then (unless `backward` is False) the one backward pass from the loss: every
    node's δ as the sum of its consumers' rules, each rule evaluated."""
    values, memos, shapes_of, loss_expr, fused = _forward(problem, leaves)
    loss = values[problem.loss]
    point = Point(values, float(loss.reshape(())), fused=fused)
    if not backward:
        return point
    shapes = rules.Shapes(shapes_of)
    point.shapes = shapes
    bypassed = {f.p for f in fused}
    position = {eq.name: i for i, eq in enumerate(problem.graph)}  # later nodes first
    grads: dict[str, np.ndarray] = {problem.loss: np.ones_like(loss)}
    for eq in reversed(problem.graph):
        if eq.name not in grads:
            continue  # the loss does not depend on this node
        expr = loss_expr if eq.name == problem.loss else eq.expr
        g = (
            Op("expand", (number(1), name_op(eq.name)))
            if eq.name == problem.loss
            else grad(eq.name)
        )
        stand_in = _Eq(eq.name, expr, eq.text, eq.line)
        for name in sorted(expr.names(), key=lambda n: (n not in position, -position.get(n, 0), n)):
            if name in bypassed:
                continue
            rule = rules.share_rule(stand_in, name, g, shapes)
            if rule is None:
                continue
            if eq.name == problem.loss:
                rule = _fused_rule(problem, rule, name, fused, values, grads, memos, shapes)
            memo = dict(memos[eq.name])
            share = rules.evaluate(rule, values, grads, memo)
            share = _shaped(share, shapes_of[name])
            given = name in problem.targets or name in problem.constants
            if not np.all(np.isfinite(share)) and not given:  # a target's is never shown
                raise UndefinedError(
                    "gradient", name, expression=None, line=eq.line, **_where(problem)
                )
            point.contributions[(eq.name, name)] = share
            point.rules[(eq.name, name)] = rule
            with np.errstate(all="ignore"):
                grads[name] = grads[name] + share if name in grads else share
    for name, v in values.items():
        if name not in grads:
            grads[name] = np.zeros_like(v)
    point.grads = grads
    return point


def _shaped(value: np.ndarray, shape: tuple) -> np.ndarray:
    value = np.asarray(value, dtype=float)
    if value.shape == shape:
        return value
    if value.size == size_of(shape):
        return value.reshape(shape)
    return np.broadcast_to(value, shape).copy()


@quiet
def _fused_rule(problem, rule: Op, z: str, fused, values, grads, memos, shapes) -> Op:
    """δ(z) = p − y (or (p − y) / N) where the numbers say the loss's rule is exactly that."""
    chosen = next((f for f in fused if f.z == z), None)
    if chosen is None:
        return rule
    generic = _shaped(
        rules.evaluate(rule, values, grads, dict(memos[problem.loss])), shapes(name_op(z))
    )
    p = values[chosen.p]
    for y in sorted(problem.targets):
        if y not in rule.names() or np.shape(values[y]) != np.shape(p):
            continue
        diff = p - values[y]
        if not np.any(diff):
            continue
        scale = float(np.sum(generic * diff) / np.sum(diff * diff))
        if scale <= 0 or not np.allclose(generic, scale * diff, rtol=1e-9, atol=1e-12):
            continue
        difference = Op("sub", (name_op(chosen.p), name_op(y)))
        if abs(scale - 1) < 1e-9:
            return difference
        n = round(1 / scale)
        if n >= 2 and abs(1 / scale - n) < 1e-9:
            return Op("div", (difference, number(n)))
    return rule


def _evaluate(op: Op, values: dict, memo: dict | None = None) -> np.ndarray:
    """The older readers' name for `rules.evaluate` at names only."""
    return rules.evaluate(op, values, None, memo)


def value_of(op: Op, values: dict[str, np.ndarray]) -> np.ndarray:
    """The value of one expression at `values` (the quiz recomputes a step from a student's
    own earlier values)."""
    return rules.evaluate(op, values)


def pullback(op: Op, values: dict[str, np.ndarray], g) -> dict[str, np.ndarray]:
    """∂L/∂(each name `op` reads) from g = ∂L/∂(op's value), at `values`: one equation's
    rules applied to any upstream gradient (the quiz applies them to a student's δ)."""
    shapes = rules.Shapes({n: np.shape(v) for n, v in values.items()})
    out_shape = shapes(op)
    upstream = np.broadcast_to(np.asarray(g, dtype=float), out_shape)
    stand_in = _Eq("·out", op, "", None)
    shapes.names["·out"] = out_shape
    result = {}
    for n in sorted(op.names()):
        rule = rules.share_rule(stand_in, n, grad("·out"), shapes)
        if rule is None:
            continue
        env = {**values, "·out": rules.evaluate(op, values)}
        share = rules.evaluate(rule, env, {"·out": upstream})
        result[n] = _shaped(share, np.shape(values[n]))
    return result


def elementwise(name: str):
    """(f, f′(x, out), f′ as SymPy in x and out) for a registry function (the views' older
    readers; the op table's `derivative` is the one source)."""
    from ..functions import FUNCTIONS
    from ..ops import derivative

    return FUNCTIONS[name].numpy, rules.derivative_function(name), derivative(name)
