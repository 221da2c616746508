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
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from tutor.engine import exact, rules
from tutor.errors import ProblemError, UndefinedError
from tutor.language.matrix_expr import Op, grad, number
from tutor.language.matrix_expr import name as name_op
from tutor.registry.ops import ShapeError, shape_text, size_of

__all__ = ["Point", "ShapeError", "evaluate", "forward", "pullback", "shape_text", "value_of"]

MAX_ENTRIES = 10_000_000  # entries of any one tensor a problem computes (or gathers)
MAX_TOTAL = 30_000_000  # entries of all the tensors its forward pass computes, together
MAX_WORK = 2_000_000_000  # multiply-adds of its matrix products, convolutions and pooling
MAX_EQUATIONS = 20_000  # equations in its graph (a file's are counted before any is parsed,
#                          as loader.MAX_NODES)


# --------------------------------------------------------------------------- shapes, bounds


def _work(op: Op, shapes: rules.Shapes) -> int:
    """Multiply-adds of one op (matrix products, convolutions, pooling; the rest is linear)."""
    if op.kind == "matmul":
        (m, k), (_, n) = shapes(op.args[0]), shapes(op.args[1])
        return m * k * n
    if op.kind in ("conv2d", "conv2d_bias"):
        k = shapes(op.args[1])
        return size_of(shapes(op)) * k[1] * k[2] * k[3]
    if op.kind in ("maxpool", "avgpool"):
        return size_of(shapes(op)) * rules.attributes(op)["window"] ** 2
    return size_of(shapes(op))


def _gathered(op: Op, shapes: rules.Shapes) -> int:
    """Entries an op gathers on the way, forward or backward: a convolution's windows (and
    those of its full convolution and correlation, over the padded input), a max pooling's
    windows laid out for the arg-max."""
    if op.kind in ("conv2d", "conv2d_bias"):
        (c, h, w), (o, _, kh, kw) = shapes(op.args[0]), shapes(op.args[1])
        p = rules.attributes(op)["padding"]
        return kh * kw * max(c, o) * (h + 2 * p + kh) * (w + 2 * p + kw)
    if op.kind == "maxpool":
        return size_of(shapes(op)) * rules.attributes(op)["window"] ** 2
    return 0


def check_shapes(problem) -> dict[str, tuple]:
    """Every node's shape from the table's shape rules, before anything is computed: a shape
    that does not fit, a tensor (or an op's gathered windows) past MAX_ENTRIES, all of them
    together past MAX_TOTAL, work past MAX_WORK is a ProblemError at the equation's line,
    naming the shapes. Linear in the size of the equations."""
    where = {"file": problem.file or problem.id}
    if len(problem.graph) > MAX_EQUATIONS:
        raise ProblemError(
            f"too many equations ({len(problem.graph):,}, at most {MAX_EQUATIONS:,})",
            **where,
            line=None,
        )
    names = {n: tuple(np.shape(v)) for n, v in problem.leaves.items()}
    shapes = rules.Shapes(names)
    work = total = 0
    for eq in problem.graph:
        try:
            for op in eq.expr.walk():
                if op.kind in ("name", "number", "grad"):
                    continue
                shape = shapes(op)
                entries = size_of(shape)
                if entries > MAX_ENTRIES:
                    raise ShapeError(
                        f"{_of(op, shapes)} is a {shape_text(shape)} tensor: {entries:,} "
                        f"entries (at most {MAX_ENTRIES:,} in one tensor)",
                        op.column,
                    )
                gathered = _gathered(op, shapes)
                if gathered > MAX_ENTRIES:
                    raise ShapeError(
                        f"{_of(op, shapes)} would gather {gathered:,} entries of windows "
                        f"(at most {MAX_ENTRIES:,})",
                        op.column,
                    )
                total += entries
                if total > MAX_TOTAL:
                    raise ShapeError(
                        f"{_of(op, shapes)}, a {shape_text(shape)} tensor, brings the tensors "
                        f"computed to {total:,} entries (at most {MAX_TOTAL:,} in all)",
                        op.column,
                    )
                work += _work(op, shapes)
                if work > MAX_WORK:
                    raise ShapeError(
                        f"{_of(op, shapes)} brings the work to over {MAX_WORK:,} multiply-adds",
                        op.column,
                    )
            names[eq.name] = shapes(eq.expr)
        except ShapeError as e:
            where_column = f" (column {e.column})" if e.column else ""
            raise ProblemError(
                f"equation '{eq.name}': {e.message}{where_column}", line=eq.line, **where
            ) from None
    return names


def _of(op: Op, shapes: rules.Shapes) -> str:
    """'the matrix product of 40000×1 and 1×40000': the op in words, with its operands'
    shapes."""
    from tutor.registry.ops import OPS

    operands = " and ".join(shape_text(shapes(a)) for a in op.args)
    return f"the {OPS[op.kind].en or op.kind} of {operands}"


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


class _ByIdentity:
    """A small memo keyed by objects' identities (ops compare by identity). A variant keeps
    its problem's equations, so the rules derived for one draw serve every other draw of
    the same problem. Each entry keeps its objects alive, so no id in a key can come back
    as another object's; the oldest entries go past `size`."""

    MISSING = object()

    def __init__(self, size: int):
        self.size = size
        self.entries: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, objects: tuple, extra=()):
        with self.lock:
            hit = self.entries.get((tuple(map(id, objects)), extra))
            if hit is None:
                return self.MISSING
            self.entries.move_to_end((tuple(map(id, objects)), extra))
            return hit[1]

    def put(self, objects: tuple, extra, value):
        with self.lock:
            self.entries[(tuple(map(id, objects)), extra)] = (objects, value)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)
        return value


_STABLE_LOSSES = _ByIdentity(64)
_SHARE_RULES = _ByIdentity(4096)


def stable_loss(problem) -> tuple[Op, tuple[Fused, ...]]:
    """The loss equation as it is computed, and the output probabilities it bypasses: those
    read by the loss only, and there only inside a log (else the loss is computed as written)."""
    exprs = tuple(eq.expr for eq in problem.graph)
    known = _STABLE_LOSSES.get(exprs, problem.loss)
    if known is not _ByIdentity.MISSING:
        return known
    return _STABLE_LOSSES.put(exprs, problem.loss, _stable_loss(problem))


def _stable_loss(problem) -> tuple[Op, tuple[Fused, ...]]:
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


# --------------------------------------------------------------------------- targets


def cross_entropy_targets(problem) -> dict[str, tuple[str, str]]:
    """The targets a cross-entropy reads: name -> (kind, equation), kind "softmax" for
    y ⊙ log(p) with p = softmax(z) (or y ⊙ log_softmax(z)), "binary" for y ⊙ log(a) or
    (1 − y) ⊙ log(1 − a) with a = σ(z); softmax where a target is read both ways."""
    defs = _definitions(problem)

    def probability(op: Op) -> str | None:
        if op.kind == "name" and op.name in defs:
            op = defs[op.name]
        if op.kind == "softmax":
            return "softmax"
        if op.kind == "sigmoid":
            return "binary"
        if op.kind == "sub" and _is_one(op.args[0]) and probability(op.args[1]) == "binary":
            return "binary"
        return None

    def target(op: Op) -> str | None:
        if op.kind == "sub" and _is_one(op.args[0]):
            op = op.args[1]
        return op.name if op.kind == "name" and op.name in problem.targets else None

    found: dict[str, tuple[str, str]] = {}
    for eq in problem.graph:
        for op in eq.expr.walk():
            if op.kind != "mul":
                continue
            for y, other in (op.args, op.args[::-1]):
                name = target(y)
                if name is None:
                    continue
                kind = None
                if other.kind == "log":
                    kind = probability(other.args[0])
                elif other.kind == "log_softmax":
                    kind = "softmax"
                if kind is not None and found.get(name, ("",))[0] != "softmax":
                    found[name] = (kind, eq.name)
    return found


def _is_one(op: Op) -> bool:
    return op.kind == "number" and op.value == 1


@dataclass(frozen=True)
class TargetFault:
    """A cross-entropy's target that is not a probability: `fault` "outside" (an entry past
    [0, 1], at `index`, of `value`) or "sum" (a softmax's column `index[0]` sums to `value`;
    in a scalar problem, `names`: the targets of one softmax's components, summed)."""

    name: str
    kind: str
    equation: str
    fault: str
    index: tuple
    value: float
    names: tuple[str, ...] = ()


def target_fault(problem, leaves: dict | None = None) -> TargetFault | None:
    """The first cross-entropy target that is not a probability, else None. Every entry is
    from 0 to 1 (past them the loss has no lower bound: Y = 1e6 under a binary
    cross-entropy gives a negative loss); a softmax cross-entropy's target is a distribution
    down each column (one-hot or smoothed labels), else −Σ y ⊙ log p is not a cross-entropy
    and δ(z) is not p − y."""
    leaves = problem.leaves if leaves is None else leaves
    for name, (kind, equation) in sorted(cross_entropy_targets(problem).items()):
        y = np.asarray(leaves[name], dtype=float)
        outside = ~((y >= 0) & (y <= 1))
        if np.any(outside):
            index = tuple(int(i) for i in np.argwhere(outside)[0]) if y.ndim else ()
            return TargetFault(name, kind, equation, "outside", index, float(y[index]))
        if kind == "softmax" and y.ndim:
            sums = y.sum(axis=0).reshape(-1)
            bad = np.flatnonzero(np.abs(sums - 1) > 1e-9)
            if bad.size:
                return TargetFault(name, kind, equation, "sum", (int(bad[0]),), float(sums[bad[0]]))
    return None


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

        def entry(v: np.ndarray) -> tuple:
            if v.shape == result.shape:
                return bad  # element-wise: the entry where it went wrong
            if v.size == 1:
                return (0,) * v.ndim
            # read whole (a matrix product, a sum), or broadcast: its largest entry
            return tuple(int(i) for i in np.unravel_index(np.argmax(np.abs(v)), v.shape))

        for a in culprit.args:
            v = np.asarray(memo[id(a)][0])
            entries.append(float(v[entry(v)]))
        for op in culprit.walk():  # the names it reads, as the scalar engine shows them
            if op.kind == "name" and op.name in values:
                v = np.asarray(values[op.name], dtype=float)
                at = entry(v)
                shown_name = op.name if v.size == 1 else _entry_name(op.name, at, v.shape)
                shown.setdefault(shown_name, float(v[at]))
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


def _forward(problem, leaves: dict, *, after_update: bool = False, settle: bool = True):
    shapes_of = check_shapes(problem)
    values = dict(leaves)
    memos: dict[str, dict] = {}
    loss_expr, fused = stable_loss(problem)
    known, budget = {}, [exact.EXACT_WORK]
    for eq in problem.graph:
        memo: dict = {}
        expr = loss_expr if eq.name == problem.loss else eq.expr
        value = rules.evaluate(expr, values, None, memo)
        if settle:
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


def evaluate(
    problem,
    leaves: dict[str, np.ndarray],
    *,
    backward: bool = True,
    after_update: bool = False,
    settle: bool = True,
) -> Point:
    """Forward, then (unless `backward` is False) the one backward pass from the loss: every
    node's δ as the sum of its consumers' rules, each rule evaluated; a value or gradient
    that is not finite is an UndefinedError (`after_update`: said to be after the update).
    `settle=False`: floats as NumPy computes them, no entry made exact (`exact.settle`), for
    a caller that only differences losses."""
    values, memos, shapes_of, loss_expr, fused = _forward(
        problem, leaves, after_update=after_update, settle=settle
    )
    loss = values[problem.loss]
    point = Point(values, float(loss.reshape(())), fused=fused)
    if not backward:
        return point
    shapes = rules.Shapes(shapes_of)
    point.shapes = shapes
    layout = tuple(sorted(shapes_of.items()))  # a rule depends on the shapes it reads
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
            try:
                rule = _share_rule(stand_in, name, g, shapes, (eq.name == problem.loss, layout))
            except rules.RuleTooLarge as e:
                raise ProblemError(
                    f"equation '{eq.name}': the rule for ∂{problem.loss}/∂{name} through it "
                    f"would have {e} (split it into smaller equations)",
                    file=problem.file or problem.id,
                    line=eq.line,
                ) from None
            if rule is None:
                continue
            if eq.name == problem.loss:
                rule = _fused_rule(problem, rule, name, fused, values, grads, memos, shapes)
            memo = dict(memos[eq.name])
            share = rules.evaluate(rule, values, grads, memo)
            share = _shaped(share, shapes_of[name])
            with np.errstate(all="ignore"):
                total = grads[name] + share if name in grads else share
            given = name in problem.targets or name in problem.constants
            if not given and not (np.all(np.isfinite(share)) and np.all(np.isfinite(total))):
                raise UndefinedError(  # a target's gradient is never shown
                    "gradient",
                    name,
                    expression=_rule_text(problem, rule),
                    line=eq.line,
                    **_where(problem),
                )
            point.contributions[(eq.name, name)] = share
            point.rules[(eq.name, name)] = rule
            grads[name] = total
    for name, v in values.items():
        if name not in grads:
            grads[name] = np.zeros_like(v)
    point.grads = grads
    return point


def _share_rule(eq: _Eq, target: str, g: Op, shapes: rules.Shapes, context: tuple) -> Op | None:
    """rules.share_rule, derived once per equation, target and `context` (whether it is the
    loss, and every node's shape): g is ∂L/∂eq.name, or ones at the loss, the same for every
    evaluation of the equation."""
    key = (eq.name, target, context)
    known = _SHARE_RULES.get((eq.expr,), key)
    if known is not _ByIdentity.MISSING:
        return known
    return _SHARE_RULES.put((eq.expr,), key, rules.share_rule(eq, target, g, shapes))


def _rule_text(problem, rule: Op) -> str:
    from tutor.language.matrix_expr import Style, text

    return text(rule, Style(tuple(sorted(eq.name for eq in problem.graph)), problem.loss))


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
        with np.errstate(all="ignore"):
            diff = p - values[y]
            if not np.any(diff):
                continue
            scale = float(np.sum(generic * diff) / np.sum(diff * diff))
            if not scale > 0 or not np.allclose(generic, scale * diff, rtol=1e-9, atol=1e-12):
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
    from tutor.registry.functions import FUNCTIONS
    from tutor.registry.ops import derivative

    return FUNCTIONS[name].numpy, rules.derivative_function(name), derivative(name)


def unread_nodes(problem) -> set[str]:
    """The nodes the loss does not read, even through others (ex28's L(X ± hE) beside the
    loss): their δ is 0 by the graph, said in one line instead of a row of zeros each."""
    defs = {eq.name: eq.expr for eq in problem.graph}
    seen, todo = {problem.loss}, [problem.loss]
    while todo:
        for name in defs[todo.pop()].names():
            if name in defs and name not in seen:
                seen.add(name)
                todo.append(name)
    return set(defs) - seen
