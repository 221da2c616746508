"""The op table's rules, made concrete for one equation: built, simplified once, evaluated.

For an equation `z2 = W2 @ a1 + b2` and a name it reads, `share_rule` walks the equation from
its result down to every place the name is read, and at each op instantiates that op's rule
(`ops.OPS[kind].vjp`, read once by the tensor parser in rule mode) with the op's arguments,
`g` (the gradient reaching the op), `out` and the attributes: ∂L/∂a1 through z2 is `W2ᵀ δ(z2)`,
∂L/∂b2 is `Σ_col δ(z2)` over a batch. `simplify` folds it once as a person would
((1/2)·2(z2 − t) is z2 − t, a + −b is a − b, sqrt(v)² is v). The backward pass evaluates these
very trees (`evaluate`), so the rule the worked solution prints is the rule that gave the
number beside it; `tensor_expr.text`/`latex` print them, `codegen`-style printers turn them
into NumPy source.
"""

from __future__ import annotations

import functools
from fractions import Fraction

import numpy as np

from tutor.language.matrix_expr import Op, grad, number
from tutor.language.matrix_expr import name as name_op
from tutor.registry import ops
from tutor.registry.ops import OPS, ShapeError

MAX_RULE = 5_000  # operations in one share's rule, written out (the catalogue's largest: 24)
MAX_RULE_DEPTH = 200  # operations inside one another in it (every walk over it recurses)


class RuleTooLarge(ValueError):
    """A share's rule past MAX_RULE operations or MAX_RULE_DEPTH levels (a long chain of
    quotients in one equation, a name read hundreds of times); the message says which."""


@functools.cache
def template(kind: str, index: int) -> Op | None:
    """The op's rule for its index-th tensor argument, parsed once (rule mode)."""
    from tutor.language.matrix_expr import parse

    rule = ops.vjp_rules(kind)[index]
    return None if rule is None else parse(rule, mode="rule")


@functools.cache
def derivative_function(name: str):
    """The op table's f′ of a registry function (`ops.derivative`) as a NumPy function of
    (x, out)."""
    import sympy as sp

    from tutor.registry.functions import NUMERIC

    x, out = sp.symbols("x out", real=True)
    return sp.lambdify((x, out), ops.derivative(name), modules=[dict(NUMERIC), "numpy"])


ops.numeric_derivative = derivative_function  # the op table's derivative op evaluates with it


# --------------------------------------------------------------------------- shapes


class Shapes:
    """Shapes of ops, inferred from the table's shape rules and the names' shapes (a grad has
    its name's shape); memoised by op (ops are compared by identity)."""

    def __init__(self, names: dict[str, tuple]):
        self.names = names
        self.memo: dict[int, tuple] = {}
        self._keep: list[Op] = []  # the ops memoised, kept alive so their ids stay theirs

    def __getstate__(self):
        # the memo is keyed by id(op): ids mean nothing in another process (a cached solution)
        return {"names": self.names, "memo": {}, "_keep": []}

    def __call__(self, op: Op) -> tuple:
        known = self.memo.get(id(op))
        if known is not None:
            return known
        if op.kind in ("name", "grad"):
            shape = tuple(self.names[op.name])
        elif op.kind == "number":
            shape = ()
        else:
            spec = OPS[op.kind]
            inner = [self(a) for a in op.args]
            shape_rule = spec.minimal if len(inner) < spec.arity and spec.minimal else spec.shape
            try:
                shape = tuple(shape_rule(spec.attr_values(op.ints), *inner))
            except ShapeError as e:
                e.column = e.column or op.column
                raise
        self.memo[id(op)] = shape
        self._keep.append(op)
        return shape


def attributes(op: Op) -> dict[str, int]:
    return OPS[op.kind].attr_values(op.ints)


# --------------------------------------------------------------------------- instantiating


def instantiate(rule: Op, bind: dict[str, Op]) -> Op:
    """The rule with its names bound (arguments, g, out, attributes, count) and each call's
    trailing arguments turned into its whole-number attributes."""
    if rule.kind == "name":
        return bind[rule.name]
    if rule.kind == "number":
        return rule
    args = tuple(instantiate(a, bind) for a in rule.args)
    spec = OPS[rule.kind]
    if spec.attrs and len(args) > spec.arity:
        ints = []
        for a in args[spec.arity :]:
            a = simplify_numbers(a)
            if a.kind != "number" or a.value.denominator != 1:
                raise ValueError(f"{rule.kind}: an attribute must be a whole number")
            ints.append(int(a.value))
        return Op(rule.kind, args[: spec.arity], ints=tuple(ints))
    return Op(rule.kind, args)


def simplify_numbers(op: Op) -> Op:
    """Arithmetic on numbers only (an attribute such as n − 1)."""
    if op.kind in ("add", "sub", "mul", "div") and all(a.kind == "number" for a in op.args):
        a, b = (x.value for x in op.args)
        return number({"add": a + b, "sub": a - b, "mul": a * b, "div": a / b}[op.kind])
    return op


def share_rule(eq, target: str, g: Op, shapes: Shapes) -> Op | None:
    """∂L/∂target's share through equation `eq` (reading g = ∂L/∂eq.name), simplified; None
    when eq does not read target. The equation's own result is `out` at its root (σ′ written
    as a1 ⊙ (1 − a1)); an inner op's result is that op. RuleTooLarge past MAX_RULE
    operations (x / x / ... / x: each quotient's rule repeats the one above it)."""
    root = name_op(eq.name)
    shares: list[Op] = []
    memo: dict = {}  # each subtree simplified once (a rule reuses the share above it)
    sizes: dict[int, tuple[int, int]] = {}
    kept: list[Op] = []  # the rules measured, kept alive so their ids stay theirs

    def bounded(rule: Op, more: int = 0) -> Op:
        kept.append(rule)
        count, depth = measure(rule, sizes)
        count += sum(measure(s, sizes)[0] for s in shares)
        if count > MAX_RULE:
            raise RuleTooLarge(f"more than {MAX_RULE:,} operations")
        if depth + more > MAX_RULE_DEPTH:
            raise RuleTooLarge(f"more than {MAX_RULE_DEPTH} operations inside one another")
        return rule

    def walk(op: Op, share: Op, at_root: bool) -> None:
        if op.kind == "name":
            if op.name == target:
                shares.append(share)
            return
        if op.kind in ("number", "grad") or target not in op.names():
            return
        spec = OPS[op.kind]
        rules = ops.vjp_rules(op.kind)
        bind = {spec.args[j]: op.args[j] for j in range(spec.arity)}
        bind.update({k: number(v) for k, v in attributes(op).items()})
        bind["g"] = share
        bind["out"] = root if at_root else op
        if op.kind == "mean":
            bind["count"] = number(ops._count(attributes(op), shapes(op.args[0])))
        for i in range(spec.arity):
            arg = op.args[i]
            if rules[i] is None or target not in arg.names():
                continue
            rule = simplify(instantiate(template(op.kind, i), bind), shapes, memo)
            walk(arg, bounded(rule), False)

    walk(eq.expr, g, True)
    if not shares:
        return None
    total = shares[0]
    for s in shares[1:]:
        total = Op("add", (total, s))
    return simplify(bounded(total), shapes, memo)


def measure(op: Op, memo: dict | None = None) -> tuple[int, int]:
    """(operations, depth) of `op` written out (a subtree used twice counts twice), without
    writing it out: memoised by op, iterative."""
    memo = {} if memo is None else memo
    stack = [(op, False)]
    while stack:
        o, ready = stack.pop()
        if id(o) in memo:
            continue
        if ready or not o.args:
            inner = [memo[id(a)] for a in o.args]
            memo[id(o)] = (
                1 + sum(n for n, _ in inner),
                1 + max((d for _, d in inner), default=0),
            )
            continue
        stack.append((o, True))
        stack.extend((a, False) for a in o.args if id(a) not in memo)
    return memo[id(op)]


# --------------------------------------------------------------------------- simplifying


def _is(op: Op, value) -> bool:
    return op.kind == "number" and op.value == value


def _product(op: Op, shapes: Shapes):
    """An element-wise product as (coefficient, numerator factors, denominator factors,
    shape witnesses): numbers folded, ⊘ collected, a broadcast constant's shape kept."""
    coefficient, top, bottom, witness = Fraction(1), [], [], []

    def take(x: Op, up: bool) -> None:
        nonlocal coefficient
        if x.kind == "number":
            coefficient = coefficient * x.value if up else coefficient / x.value
        elif x.kind == "neg":
            coefficient = -coefficient
            take(x.args[0], up)
        elif x.kind == "mul":
            take(x.args[0], up)
            take(x.args[1], up)
        elif x.kind == "div":
            take(x.args[0], up)
            take(x.args[1], not up)
        elif x.kind == "expand" and x.args[0].kind == "number":
            witness.append(x.args[1])
            take(x.args[0], up)
        else:
            (top if up else bottom).append(x)

    take(op, True)
    return coefficient, top, bottom, witness


def _chain(kind: str, factors: list[Op]) -> Op:
    out = factors[0]
    for f in factors[1:]:
        out = Op(kind, (out, f))
    return out


def _rebuild(op: Op, shapes: Shapes) -> Op:
    coefficient, top, bottom, witness = _product(op, shapes)
    if coefficient == 0:
        return number(0)
    # sqrt(v)·sqrt(v) and friends are left to `pow`; here only the arrangement
    sign = -1 if coefficient < 0 else 1
    c = abs(coefficient)
    p, q = Fraction(c.numerator), Fraction(c.denominator)
    if bottom:
        numerator = _chain("mul", top) if top else number(p)
        if top and p != 1:
            numerator = Op("mul", (number(p), numerator))
        denominator = _chain("mul", bottom)
        if q != 1:
            denominator = Op("mul", (number(q), denominator))
        out = Op("div", (numerator, denominator))
    elif top:
        out = _chain("mul", top)
        if p != 1:
            out = Op("mul", (number(p), out))
        if q != 1:
            out = Op("div", (out, number(q)))
    else:
        out = number(c)
    if sign < 0:
        out = number(-out.value) if out.kind == "number" else Op("neg", (out,))
    if witness and shapes(out) != shapes(op):  # only a broadcast constant changes the shape
        out = Op("expand", (out, witness[0]))
    return out


def simplify(op: Op, shapes: Shapes, memo: dict | None = None) -> Op:
    """Fold what a person would, bottom up: numbers, ×1, ×0, double negation, a + −b,
    (1/2)·2x, x¹, sqrt(v)², Aᵀᵀ, a Σ or a broadcast that changes nothing, a stride of 1, a
    padding of 0. `memo` (by op) keeps each subtree's result, so a rule that reuses the
    share above it (a chain of quotients, a nest of functions) is folded in linear time; a
    result is its own fixed point."""
    if op.kind in ("name", "grad", "number"):
        return op
    if memo is None:
        memo = {}
    known = memo.get(id(op))
    if known is not None:
        return known[1]
    out = _simplified(op, shapes, memo)
    memo[id(op)] = (op, out)  # the op kept alive: its id stays its own
    memo[id(out)] = (out, out)
    return out


def _simplified(op: Op, shapes: Shapes, memo: dict) -> Op:
    args = tuple(simplify(a, shapes, memo) for a in op.args)
    op = Op(op.kind, args, ints=op.ints) if any(a is not b for a, b in zip(args, op.args)) else op
    kind = op.kind
    if kind in ("add", "sub", "mul", "div") and all(a.kind == "number" for a in args):
        return simplify_numbers(op)
    if kind in ("mul", "div", "neg"):
        return _rebuild(op, shapes)
    if kind == "add":
        a, b = args
        if _is(a, 0):
            return b
        if _is(b, 0):
            return a
        if b.kind == "neg":
            return simplify(Op("sub", (a, b.args[0])), shapes, memo)
        if b.kind == "number" and b.value < 0:
            return Op("sub", (a, number(-b.value)))
        if a.kind == "neg":
            return simplify(Op("sub", (b, a.args[0])), shapes, memo)
        return op
    if kind == "sub":
        a, b = args
        if _is(b, 0):
            return a
        if _is(a, 0):
            return simplify(Op("neg", (b,)), shapes, memo)
        if b.kind == "neg":
            return simplify(Op("add", (a, b.args[0])), shapes, memo)
        if b.kind == "number" and b.value < 0:
            return Op("add", (a, number(-b.value)))
        return op
    if kind == "pow":
        base, n = args
        if n.kind != "number":
            return op
        if n.value == 1:
            return base
        if n.value == 0:
            return number(1)
        if base.kind == "number" and n.value.denominator == 1:
            return number(base.value ** int(n.value))
        if base.kind == "sqrt" and n.value == 2:
            return base.args[0]
        if base.kind == "pow" and base.args[1].kind == "number":
            return Op("pow", (base.args[0], number(base.args[1].value * n.value)))
        return op
    if kind == "T":
        inner = args[0]
        if inner.kind == "T":
            return inner.args[0]
        if inner.kind == "number" or len(shapes(inner)) < 2:
            return inner
        return op
    if kind in ("sum_to", "expand"):
        inner, like = args
        if shapes(inner) == shapes(like):
            return inner
        if inner.kind in ("mul", "div", "neg"):  # linear: the coefficient comes out
            coefficient = _product(inner, shapes)[0]
            if coefficient != 1:
                rest = _rebuild(Op("mul", (number(1 / coefficient), inner)), shapes)
                return _rebuild(Op("mul", (number(coefficient), Op(kind, (rest, like)))), shapes)
        if inner.kind == "expand" and shapes(inner.args[0]) == shapes(like):
            return inner.args[0]
        if kind == "expand" and inner.kind == "expand":
            return Op("expand", (inner.args[0], like))
        return op
    if kind == "dilate" and attributes(op)["stride"] == 1:
        return args[0]
    if kind == "pad" and attributes(op)["padding"] == 0:
        return args[0]
    if kind == "crop" and attributes(op)["padding"] == 0 and shapes(args[0]) == shapes(args[1]):
        return args[0]
    return op


# --------------------------------------------------------------------------- evaluating


def evaluate(op: Op, values: dict, grads: dict | None = None, memo: dict | None = None):
    """The value of a tree at `values` (names) and `grads` (∂L/∂name for grad ops), as a
    float array; `memo` (by op) shares the forward pass's work with the rules that reuse its
    subtrees."""
    memo = {} if memo is None else memo
    known = memo.get(id(op))
    if known is not None:
        return known[0]
    kind = op.kind
    if kind == "name":
        value = values[op.name]
    elif kind == "grad":
        value = grads[op.name]
    elif kind == "number":
        value = np.asarray(float(op.value))
    else:
        spec = OPS[kind]
        xs = [evaluate(a, values, grads, memo) for a in op.args]
        if len(xs) < spec.arity and spec.minimal is not None:  # a rule read back: `like` unsaid
            xs.append(np.zeros(spec.minimal(spec.attr_values(op.ints), *(x.shape for x in xs))))
        with np.errstate(all="ignore"):
            value = np.asarray(spec.forward(spec.attr_values(op.ints), *xs), dtype=float)
    memo[id(op)] = (value, op)  # the op kept alive with its value: its id stays its own
    return value


def shape_check(op: Op, shapes: Shapes) -> tuple:
    """The shape of `op` (a ShapeError naming where it failed)."""
    try:
        return shapes(op)
    except ShapeError as e:
        if not e.column:
            e.column = _first_column(op)
        raise


def _first_column(op: Op) -> int:
    for o in op.walk():
        if o.column:
            return o.column
    return 0


__all__ = [
    "Shapes",
    "evaluate",
    "grad",
    "instantiate",
    "share_rule",
    "simplify",
    "template",
]
