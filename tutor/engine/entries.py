"""One entry of a rule, in index form: what `solve --at` shows, from the rule tree.

Each op of the table declares in its Spec (`ops.Spec.entry`) how one entry of its result is
made of its arguments' entries: matmul `[i,j] = Σ(k<a.2) a[i,k] · b[k,j]`, a convolution a sum
over the kernel's offsets, dilate `[c,i,j] = g[c,i/stride,j/stride]!stride` (an entry written
`g[...]!why` is 0 where its index is not a whole number inside g, for that reason), or a
generic form: "pointwise" (the op applied to one entry of each argument, broadcast),
"broadcast", "sum_to", "reduce" (sum, mean), "reshape". `expand(rule, index)` composes these
forms down a rule tree: the result is a `Scalar`, an expression over entries of names and
gradients with affine indices (`Ix`), printed with its indices (`show`), written out sum by sum
with the terms that are 0 counted by reason (`written_out`), and evaluated (`value`).

The rule δ(a)[c,i,j] of a convolution's input comes out as the course writes it (seed 004,
2.4): crop, full convolution, flipped kernel and dilation compose to
Σ_o Σ_uv K[o,c,u,v] · δ(z)[o,i−u,j−v], with (i+p−u)/s for a stride s and a padding p.
Templates are the table's own text, read by the small reader below (never eval).
"""

from __future__ import annotations

import functools
import itertools
import re
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from tutor.language.matrix_expr import Op
from tutor.registry.ops import OPS

# --------------------------------------------------------------------------- indices


@dataclass(frozen=True)
class Ix:
    """An affine index Σ coefficient·variable + constant (coefficients may be fractions: a
    stride's (i + p − u)/s)."""

    coefs: tuple[tuple[str, Fraction], ...] = ()
    const: Fraction = Fraction(0)

    @staticmethod
    def var(name: str) -> Ix:
        return Ix(((name, Fraction(1)),))

    @staticmethod
    def of(n) -> Ix:
        return Ix((), Fraction(n))

    def __add__(self, other: Ix) -> Ix:
        merged = dict(self.coefs)
        for v, c in other.coefs:
            merged[v] = merged.get(v, Fraction(0)) + c
        return Ix(tuple((v, c) for v, c in merged.items() if c), self.const + other.const)

    def scale(self, f: Fraction) -> Ix:
        if f == 0:
            return Ix.of(0)
        return Ix(tuple((v, c * f) for v, c in self.coefs), self.const * f)

    def __neg__(self) -> Ix:
        return self.scale(Fraction(-1))

    def __sub__(self, other: Ix) -> Ix:
        return self + (-other)

    @property
    def constant(self) -> bool:
        return not self.coefs

    def subs(self, env: dict) -> Ix:
        out = Ix.of(self.const)
        for v, c in self.coefs:
            out = out + (env[v] if v in env else Ix.var(v)).scale(c)
        return out

    def bounds(self, ranges: dict) -> tuple[Fraction, Fraction] | None:
        """Least and greatest value over the variables' ranges (None: a variable unranged)."""
        low = high = self.const
        for v, c in self.coefs:
            if v not in ranges:
                return None
            top = ranges[v] - 1
            low += min(0, c * top)
            high += max(0, c * top)
        return low, high


def _ix_text(ix: Ix, one_based: bool) -> str:
    """`i−u`, `(i+1−u)/2`, `2i+u−1`: positive terms, the constant, negative terms; 1-based
    (every variable counted from 1, the entry's index too) when `one_based`."""
    if one_based:
        ix = ix.subs({v: Ix.var(v) - Ix.of(1) for v, _ in ix.coefs}) + Ix.of(1)
    denominator = 1
    for _, c in ix.coefs:
        denominator = denominator * c.denominator // _gcd(denominator, c.denominator)
    denominator = denominator * ix.const.denominator // _gcd(denominator, ix.const.denominator)
    scaled = ix.scale(Fraction(denominator))
    parts: list[tuple[int, str]] = []
    for v, c in scaled.coefs:
        n = int(c)
        parts.append((n, v if abs(n) == 1 else f"{abs(n)}{v}"))
    positive = [(n, t) for n, t in parts if n > 0]
    negative = [(n, t) for n, t in parts if n < 0]
    out = ""
    for _, t in positive:
        out += ("+" if out else "") + t
    const = int(scaled.const)
    if const > 0:
        out += ("+" if out else "") + str(const)
    elif const < 0:
        out += "−" + str(-const)
    for _, t in negative:
        out += "−" + t
    out = out or "0"
    if denominator != 1:
        return f"({out})/{denominator}" if len(parts) + (const != 0) > 1 else f"{out}/{denominator}"
    return out


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a


# --------------------------------------------------------------------------- scalars


@dataclass(frozen=True)
class Cond:
    """0 ≤ index < size and a whole number, else the entry is 0 (`reason`)."""

    index: Ix
    size: int
    reason: str


@dataclass(frozen=True)
class IsMax:
    """The entry at window offset (u, v) is its window's first largest (max pooling)."""

    x: Op
    at: tuple[Ix, ...]  # c, the window's row and column, u, v
    window: int
    stride: int
    shown: Scalar  # the entry itself, for printing
    reason: str = "notmax"


@dataclass(frozen=True, eq=False)
class Scalar:
    """One node of an entry's expression.

    kind: "num" (value), "ref" (an entry of a name or, `grad`, of ∂L/∂name: name, index,
    shape), "apply" (an op of the table applied entry-wise: op, args, ints), "sum" or
    "max" over `vars` with `sizes` (body = args[0]), "guard" (args[0] unless every cond
    holds), "zero" (0, for `reason`), "opaque" (an entry of a tensor subexpression `tree`
    that has no affine index form, valued from the tensor).
    """

    kind: str
    args: tuple = ()
    value: Fraction | None = None
    name: str = ""
    grad: bool = False
    index: tuple[Ix, ...] = ()
    shape: tuple = ()
    op: str = ""
    ints: tuple = ()
    vars: tuple[str, ...] = ()
    sizes: tuple[int, ...] = ()
    conds: tuple = ()
    reason: str | None = None
    tree: Op | None = None


def num(v) -> Scalar:
    return Scalar("num", value=Fraction(v))


def zero(reason: str | None) -> Scalar:
    return Scalar("zero", reason=reason)


_ARITHMETIC = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
}


def apply(op: str, *args: Scalar, ints: tuple = ()) -> Scalar:
    """An op on entries; arithmetic on numbers folded (a window's 1/(2·2) is 1/4)."""
    if op in _ARITHMETIC and len(args) == 2 and all(a.kind == "num" for a in args):
        if not (op == "div" and args[1].value == 0):
            return num(_ARITHMETIC[op](args[0].value, args[1].value))
    if op == "neg" and args[0].kind == "num":
        return num(-args[0].value)
    return Scalar("apply", args=tuple(args), op=op, ints=ints)


# --------------------------------------------------------------------------- templates

_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+)|(?P<size>[A-Za-z]\w*\.\d)|(?P<name>[A-Za-z_]\w*)"
    r"|(?P<op>Σ|[\[\](),=+\-−·/^!<]))"
)


@dataclass
class Template:
    out: tuple[str, ...]
    body: tuple


@functools.cache
def template(text: str) -> Template:
    """A Spec's entry template read into a small tree of tuples (our own table's text)."""
    tokens = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            if text[pos:].strip() == "":
                break
            raise ValueError(f"entry template: cannot read {text[pos:]!r}")
        pos = m.end()
        kind = m.lastgroup
        tokens.append((kind, m.group(kind)))
    return _Reader(tokens).template()


class _Reader:
    def __init__(self, tokens):
        self.tokens = tokens + [("end", "")]
        self.pos = 0

    def peek(self, *values) -> bool:
        kind, value = self.tokens[self.pos]
        return value in values if values else kind

    def take(self, *values):
        kind, value = self.tokens[self.pos]
        if values and value not in values:
            raise ValueError(f"entry template: expected {values}, got {value!r}")
        self.pos += 1
        return kind, value

    def template(self) -> Template:
        self.take("[")
        out = [self.take()[1]]
        while self.peek(","):
            self.take(",")
            out.append(self.take()[1])
        self.take("]")
        self.take("=")
        body = self.expr()
        if self.peek() != "end":
            raise ValueError(f"entry template: trailing {self.tokens[self.pos]}")
        return Template(tuple(out), body)

    def expr(self):
        left = self.term()
        while self.peek("+", "−", "-"):
            op = self.take()[1]
            left = ("add" if op == "+" else "sub", left, self.term())
        return left

    def term(self):
        left = self.unary()
        while self.peek("·", "/"):
            op = self.take()[1]
            left = ("mul" if op == "·" else "div", left, self.unary())
        return left

    def unary(self):
        if self.peek("−", "-"):
            self.take()
            return ("neg", self.unary())
        if self.peek("Σ") or self.peek("Max"):
            how = "sum" if self.take()[1] == "Σ" else "max"
            self.take("(")
            binds = [self.binding()]
            while self.peek(","):
                self.take(",")
                binds.append(self.binding())
            self.take(")")
            return (how, tuple(binds), self.term())
        base = self.primary()
        if self.peek("^"):
            self.take()
            return ("pow", base, ("num", int(self.take()[1])))
        return base

    def binding(self):
        var = self.take()[1]
        self.take("<")
        return var, self.index_factor()

    def primary(self):
        kind, value = self.take()
        atom = self.atom(kind, value, self.expr)
        if atom is not None:
            return atom
        if kind != "name":
            raise ValueError(f"entry template: unexpected {value!r}")
        if self.peek("["):
            self.take()
            index = [self.index()]
            while self.peek(","):
                self.take(",")
                index.append(self.index())
            self.take("]")
            reason = None
            if self.peek("!"):
                self.take()
                reason = self.take()[1]
            return ("ref", value, tuple(index), reason)
        if self.peek("("):
            self.take()
            args = [self.expr()]
            while self.peek(","):
                self.take(",")
                args.append(self.expr())
            self.take(")")
            return ("call", value, tuple(args))
        return ("name", value)

    def index(self):
        left = self.index_term()
        while self.peek("+", "−", "-"):
            op = self.take()[1]
            right = self.index_term()
            left = ("add" if op == "+" else "sub", left, right)
        return left

    def index_term(self):
        if self.peek("−", "-"):
            self.take()
            return ("neg", self.index_term())
        left = self.index_factor()
        while self.peek("·", "/"):
            op = self.take()[1]
            left = ("mul" if op == "·" else "div", left, self.index_factor())
        return left

    def index_factor(self):
        kind, value = self.take()
        atom = self.atom(kind, value, self.index)
        return ("name", value) if atom is None else atom

    def atom(self, kind: str, value: str, inner):
        """A number, a size (`x.1`) or a parenthesised `inner()`; None for anything else."""
        if kind == "num":
            return ("num", int(value))
        if kind == "size":
            name, axis = value.split(".")
            return ("size", name, int(axis))
        if value == "(":
            node = inner()
            self.take(")")
            return node
        return None


# --------------------------------------------------------------------------- expanding

_LETTERS = {1: ("i",), 2: ("i", "j"), 3: ("c", "i", "j"), 4: ("o", "c", "u", "v")}


def index_names(shape: tuple) -> tuple[str, ...]:
    """How the course names a tensor's indices: i, (i, j), (c, i, j), (o, c, u, v)."""
    return _LETTERS.get(len(shape), tuple(f"i{k + 1}" for k in range(len(shape))))


class Expander:
    """Expands rule trees at an index: `shapes` gives every op's shape (engine.rules.Shapes);
    variables are named fresh (k, k′, …) so that nested sums never capture each other."""

    def __init__(self, shapes, reserved: dict[str, int] | None = None, general: bool = False):
        self.shapes = shapes
        self.ranges: dict[str, int] = dict(reserved or {})
        self.general = general  # a Σ over one value kept (Σ_o over one output map)

    def fresh(self, base: str) -> str:
        name = base
        while name in self.ranges:
            name += "′"
        return name

    # -- the forms ---------------------------------------------------------------------------

    def expand(self, op: Op, index: tuple[Ix, ...]) -> Scalar:
        kind = op.kind
        if kind in ("name", "grad"):
            return Scalar(
                "ref",
                name=op.name,
                grad=kind == "grad",
                index=tuple(index),
                shape=self.shapes(op),
            )
        if kind == "number":
            return num(op.value)
        spec = OPS[kind]
        form = spec.entry
        out_shape = self.shapes(op)
        if form == "pointwise":
            args = [self.expand(a, _broadcast(index, out_shape, self.shapes(a))) for a in op.args]
            return apply(kind, *args, ints=op.ints)
        if form == "broadcast":
            arg = op.args[0]
            return self.expand(arg, _broadcast(index, out_shape, self.shapes(arg)))
        if form == "sum_to":
            return self._sum_to(op.args[0], index, out_shape)
        if form == "reduce":
            return self._reduce(op, index)
        if form == "reshape":
            return self._reshape(op, index, out_shape)
        t = template(form)
        if len(t.out) != len(index):  # a transpose of a scalar, a softmax of a number
            if kind == "T":
                return self.expand(op.args[0], index)
            if kind == "softmax":
                return num(1)
            return self._opaque(op, index)
        env = {v: ix for v, ix in zip(t.out, index) if v != "_"}
        attrs = spec.attr_values(op.ints)
        return self._build(t.body, env, op, attrs)

    def _opaque(self, op: Op, index) -> Scalar:
        return Scalar("opaque", tree=op, index=tuple(index), shape=self.shapes(op))

    def _sum_over(self, axes: list[tuple[str, int]], body) -> Scalar:
        """Σ over fresh variables (a range of 1 is that one value, no Σ)."""
        names, sizes, env = [], [], {}
        for base, n in axes:
            if n == 1 and not self.general:
                env[base] = Ix.of(0)
                continue
            v = self.fresh(base)
            self.ranges[v] = n
            names.append(v)
            sizes.append(n)
            env[base] = Ix.var(v)
        inner = body(env)
        for v in names:  # out of scope: a sibling Σ may take the name again
            del self.ranges[v]
        if not names:
            return inner
        return _summed("sum", tuple(names), tuple(sizes), inner)

    def _sum_to(self, g: Op, index, out_shape) -> Scalar:
        g_shape = self.shapes(g)
        if g_shape == out_shape:
            return self.expand(g, index)
        names = index_names(g_shape)
        if len(out_shape) != len(g_shape):  # a scalar or a 1-entry operand: every entry
            axes = [(names[k], n) for k, n in enumerate(g_shape)]
            return self._sum_over(axes, lambda env: self.expand(g, tuple(env[n] for n in names)))
        summed = [k for k, (a, b) in enumerate(zip(out_shape, g_shape)) if a == 1 and b != 1]
        axes = [(names[k], g_shape[k]) for k in summed]

        def body(env):
            at = tuple(env[names[k]] if k in summed else index[k] for k in range(len(g_shape)))
            return self.expand(g, at)

        return self._sum_over(axes, body)

    def _reduce(self, op: Op, index) -> Scalar:
        from tutor.registry.ops import _count

        x = op.args[0]
        x_shape = self.shapes(x)
        attrs = OPS[op.kind].attr_values(op.ints)
        names = index_names(x_shape)
        axis = attrs.get("axis")
        if not axis:
            axes = [(names[k], n) for k, n in enumerate(x_shape)]
            total = self._sum_over(axes, lambda env: self.expand(x, tuple(env[n] for n in names)))
        else:
            k = axis - 1

            def body(env):
                at = tuple(env[names[k]] if a == k else index[a] for a in range(len(x_shape)))
                return self.expand(x, at)

            total = self._sum_over([(names[k], x_shape[k])], body)
        if op.kind == "mean":
            return apply("div", total, num(_count(attrs, x_shape)))
        return total

    def _reshape(self, op: Op, index, out_shape) -> Scalar:
        arg = op.args[0]
        shape = self.shapes(arg)
        flat = Ix.of(0)
        step = 1
        for k in range(len(out_shape) - 1, -1, -1):
            flat = flat + index[k].scale(Fraction(step))
            step *= out_shape[k]
        long = [k for k, n in enumerate(shape) if n != 1]
        if len(long) <= 1:
            k = long[0] if long else 0
            at = tuple(flat if a == k else Ix.of(0) for a in range(len(shape)))
            return self.expand(arg, at)
        if flat.constant:
            at = np.unravel_index(int(flat.const), shape)
            return self.expand(arg, tuple(Ix.of(int(a)) for a in at))
        return self._opaque(op, index)

    # -- templates ---------------------------------------------------------------------------

    def _build(self, node, env: dict, op: Op, attrs: dict) -> Scalar:
        kind = node[0]
        if kind == "num":
            return num(node[1])
        if kind == "name":
            return num(attrs[node[1]])
        if kind == "size":
            return num(self._size(op, node[1], node[2]))
        if kind in ("add", "sub", "mul", "div"):
            return apply(
                kind, self._build(node[1], env, op, attrs), self._build(node[2], env, op, attrs)
            )
        if kind == "neg":
            return apply("neg", self._build(node[1], env, op, attrs))
        if kind == "pow":
            return apply("pow", self._build(node[1], env, op, attrs), num(node[2][1]))
        if kind in ("sum", "max"):
            names, sizes, inner = [], [], dict(env)
            for var, size in node[1]:
                n = int(self._index(size, env, op, attrs).const)
                if n == 1 and not self.general:
                    inner[var] = Ix.of(0)
                    continue
                v = self.fresh(var)
                self.ranges[v] = n
                names.append(v)
                sizes.append(n)
                inner[var] = Ix.var(v)
            body = self._build(node[2], inner, op, attrs)
            for v in names:  # out of scope: a sibling Σ may take the name again
                del self.ranges[v]
            return _summed(kind, tuple(names), tuple(sizes), body) if names else body
        if kind == "ref":
            _, arg, index, reason = node
            position = OPS[op.kind].args.index(arg)
            child = op.args[position]
            at = tuple(self._index(i, env, op, attrs) for i in index)
            shape = self.shapes(child)
            if len(at) < len(shape):  # b[o] of a column of biases
                at = at + tuple(Ix.of(0) for _ in range(len(shape) - len(at)))
            return self._guarded(child, at, shape, reason or "outside")
        if kind == "call":
            name, args = node[1], node[2]
            if name == "first_max":
                return self._first_max(args, env, op, attrs)
            return apply(name, *(self._build(a, env, op, attrs) for a in args))
        raise ValueError(f"entry template node {kind}")

    def _size(self, op: Op, arg: str, axis: int) -> int:
        position = OPS[op.kind].args.index(arg)
        return self.shapes(op.args[position])[axis - 1]

    def _index(self, node, env: dict, op: Op, attrs: dict) -> Ix:
        kind = node[0]
        if kind == "num":
            return Ix.of(node[1])
        if kind == "size":
            return Ix.of(self._size(op, node[1], node[2]))
        if kind == "name":
            if node[1] in env:
                return env[node[1]]
            return Ix.of(attrs[node[1]])
        if kind == "neg":
            return -self._index(node[1], env, op, attrs)
        a = self._index(node[1], env, op, attrs)
        b = self._index(node[2], env, op, attrs)
        if kind == "add":
            return a + b
        if kind == "sub":
            return a - b
        if kind == "mul":
            if a.constant:
                return b.scale(a.const)
            return a.scale(b.const)
        if kind == "div":
            return a.scale(1 / b.const)
        raise ValueError(f"entry template index {kind}")

    def _guarded(self, child: Op, at: tuple[Ix, ...], shape: tuple, reason: str) -> Scalar:
        conds = []
        for ix, n in zip(at, shape):
            known = _decide(ix, n, self.ranges)
            if known is False:
                return zero(reason)
            if known is None:
                conds.append(Cond(ix, n, reason))
        inner = self.expand(child, at)
        return Scalar("guard", args=(inner,), conds=tuple(conds)) if conds else inner

    def _first_max(self, args, env, op: Op, attrs: dict) -> Scalar:
        x_node = args[0]
        x = op.args[OPS[op.kind].args.index(x_node[1])]
        at = tuple(self._index(a, env, op, attrs) for a in args[1:])
        window, stride = attrs["window"], attrs["stride"]
        c, i, j, u, v = at
        shown = self.expand(x, (c, i.scale(Fraction(stride)) + u, j.scale(Fraction(stride)) + v))
        return Scalar("guard", args=(num(1),), conds=(IsMax(x, at, window, stride, shown),))


def _broadcast(index, out_shape: tuple, shape: tuple) -> tuple[Ix, ...]:
    """The entry of an operand of `shape` read at `index` of the result (size-1 axes at 0)."""
    if shape == out_shape:
        return tuple(index)
    if not shape:
        return ()
    if len(shape) == len(out_shape):
        return tuple(Ix.of(0) if n == 1 else ix for ix, n in zip(index, shape))
    return tuple(Ix.of(0) for _ in shape)


def _decide(ix: Ix, n: int, ranges: dict) -> bool | None:
    """Whether 0 ≤ ix < n (a whole number) always holds (True), never (False), or depends."""
    if ix.constant:
        v = ix.const
        return v.denominator == 1 and 0 <= v < n
    if any(c.denominator != 1 for _, c in ix.coefs) or ix.const.denominator != 1:
        return None
    found = ix.bounds(ranges)
    if found is None:
        return None
    low, high = found
    if low >= 0 and high < n:
        return True
    if high < 0 or low >= n:
        return False
    return None


def _summed(how: str, names: tuple, sizes: tuple, body: Scalar) -> Scalar:
    """Σ (or max) over the variables, a stride's k/s summed as s·k′ where the body is 0
    unless k is a multiple of s, a Σ of a 0 being 0."""
    if body.kind == "zero":
        return body
    if how == "sum":
        for k, (v, n) in enumerate(zip(names, sizes)):
            s = _stride_of(body, v)
            if s:
                body = _subs(body, {v: Ix.var(v).scale(Fraction(s))})
                sizes = sizes[:k] + (-(-n // s),) + sizes[k + 1 :]
    return Scalar(how, args=(body,), vars=names, sizes=sizes)


def _stride_of(body: Scalar, v: str) -> int | None:
    """s when a factor of `body` is 0 unless v/s is a whole number (a dilated δ read at
    v/s): then only v = s·k contributes, and the sum runs over k."""
    for f in _factors(body):
        if f.kind != "guard":
            continue
        for cond in f.conds:
            if not isinstance(cond, Cond):
                continue
            coefs = dict(cond.index.coefs)
            c = coefs.get(v)
            if c is None or c.numerator != 1 or c.denominator == 1 or len(coefs) != 1:
                continue
            if cond.index.const != 0:
                continue
            return c.denominator
    return None


def _factors(s: Scalar) -> list[Scalar]:
    if s.kind == "apply" and s.op == "mul":
        return _factors(s.args[0]) + _factors(s.args[1])
    if s.kind == "guard":
        return [s] + _factors(s.args[0])
    return [s]


def _subs(s: Scalar, env: dict) -> Scalar:
    """`s` with variables replaced by indices."""
    if s.kind == "ref" or s.kind == "opaque":
        return _replace(s, index=tuple(ix.subs(env) for ix in s.index))
    if s.kind == "guard":
        conds = tuple(
            Cond(c.index.subs(env), c.size, c.reason)
            if isinstance(c, Cond)
            else IsMax(
                c.x,
                tuple(ix.subs(env) for ix in c.at),
                c.window,
                c.stride,
                _subs(c.shown, env),
                c.reason,
            )
            for c in s.conds
        )
        return _replace(s, args=(_subs(s.args[0], env),), conds=conds)
    if s.args:
        return _replace(s, args=tuple(_subs(a, env) for a in s.args))
    return s


def _replace(s: Scalar, **changes) -> Scalar:
    from dataclasses import replace

    return replace(s, **changes)


# --------------------------------------------------------------------------- written out


@dataclass
class WrittenOut:
    """A Scalar with every Σ written out term by term at fixed indices, the terms that are 0
    counted by reason (`zeros`)."""

    scalar: Scalar
    zeros: Counter = field(default_factory=Counter)


def written_out(s: Scalar, tensor=None) -> WrittenOut:
    """`s` at fixed indices: every Σ written out term by term (the terms that are 0 counted
    by reason), a max pooling's window looked up in `tensor(op)` (the tensor's value)."""
    zeros: Counter = Counter()
    out = _write_out(s, {}, zeros, tensor)
    if out.kind == "zero" and out.reason and not zeros:
        zeros[out.reason] += 1
    return WrittenOut(out, zeros)


def _holds(cond, env: dict, tensor) -> bool:
    if isinstance(cond, Cond):
        v = cond.index.subs(env)
        if not v.constant:
            raise ValueError("an index left unbound")
        k = v.const
        return k.denominator == 1 and 0 <= k < cond.size
    at = [ix.subs(env) for ix in cond.at]
    if any(not a.constant or a.const.denominator != 1 for a in at):
        return False
    c, i, j, u, v = (int(a.const) for a in at)
    x = tensor(cond.x)
    w, s = cond.window, cond.stride
    if i < 0 or j < 0 or s * i + w > x.shape[1] or s * j + w > x.shape[2]:
        return False
    window = x[c, s * i : s * i + w, s * j : s * j + w].reshape(-1)
    return int(np.argmax(window)) == u * w + v


def _write_out(s: Scalar, env: dict, zeros: Counter, tensor) -> Scalar:
    kind = s.kind
    if kind in ("num", "zero"):
        return s
    if kind in ("ref", "opaque"):
        at = tuple(ix.subs(env) for ix in s.index)
        if any(not a.constant or a.const.denominator != 1 for a in at):
            return zero("outside")
        if any(not 0 <= a.const < n for a, n in zip(at, s.shape)):
            return zero("outside")
        return _replace(s, index=at)
    if kind == "guard":
        for cond in s.conds:
            if not _holds(cond, env, tensor):
                return zero(cond.reason)
        return _write_out(s.args[0], env, zeros, tensor)
    if kind == "apply":
        args = tuple(_write_out(a, env, zeros, tensor) for a in s.args)
        if s.op == "mul" and any(a.kind == "zero" for a in args):
            return next(a for a in args if a.kind == "zero")
        if s.op in ("div", "neg") and args[0].kind == "zero":
            return args[0]
        if s.op == "mul" and args[1].kind == "num" and args[1].value == 1:
            return args[0]  # a max pooling's routed δ: the entry itself
        if s.op in ("add", "sub") and args[1].kind == "zero":
            return args[0]  # a sum none of whose terms is left
        if s.op == "add" and args[0].kind == "zero":
            return args[1]
        if s.op == "sub" and args[0].kind == "zero":
            return apply("neg", args[1])
        return _replace(s, args=args)
    if kind in ("sum", "max"):
        terms = []
        for values in itertools.product(*(range(n) for n in s.sizes)):
            inner = dict(env)
            inner.update({v: Ix.of(k) for v, k in zip(s.vars, values)})
            term = _write_out(s.args[0], inner, zeros, tensor)
            if term.kind == "zero" and kind == "sum":
                if term.reason:
                    zeros[term.reason] += 1
                continue
            if term.kind == "apply" and term.op == "add" and kind == "sum":
                terms.extend(term.args)  # Σ_o Σ_uv: one flat sum
            else:
                terms.append(term)
        if not terms:
            return zero(None)
        if len(terms) == 1:
            return terms[0]
        return apply("add" if kind == "sum" else "max", *terms)
    raise ValueError(kind)


# --------------------------------------------------------------------------- values


def value(s: Scalar, values: dict, grads: dict, memo: dict | None = None) -> float:
    """The value of a written-out Scalar at the names' values and gradients."""
    kind = s.kind
    if kind == "num":
        return float(s.value)
    if kind == "zero":
        return 0.0
    if kind == "ref":
        source = grads if s.grad else values
        return float(np.asarray(source[s.name])[tuple(int(ix.const) for ix in s.index)])
    if kind == "opaque":
        from tutor.engine.rules import evaluate

        memo = {} if memo is None else memo
        tensor = evaluate(s.tree, values, grads, memo)
        return float(tensor[tuple(int(ix.const) for ix in s.index)])
    if kind == "apply":
        xs = [value(a, values, grads, memo) for a in s.args]
        if s.op == "add":
            return float(sum(xs))
        if s.op == "max" and len(xs) != 2:
            return float(max(xs))
        spec = OPS[s.op]
        arrays = [np.asarray(x) for x in xs]
        with np.errstate(all="ignore"):
            if spec.elementwise and s.op.startswith("d_") and len(arrays) == 1:
                arrays.append(np.asarray(OPS[s.op[2:]].forward({}, arrays[0])))
            return float(spec.forward(spec.attr_values(s.ints), *arrays))
    raise ValueError(f"cannot value {kind}")


def refs(s: Scalar):
    """The entries a written-out Scalar reads (refs), left to right."""
    if s.kind == "ref":
        yield s
    for a in s.args:
        yield from refs(a)


# --------------------------------------------------------------------------- printing

_NEGATIVE = 1.5  # a negative number: bare at the start, in parentheses after an operator
_SUM = 1.8  # Σ_k …: bare in a sum, in parentheses as a factor (its body is a product)
_SQUARES = {2: "²", 3: "³"}


@dataclass
class Printer:
    """How entries print: `label(name, grad)` names them (δ(z), ∂L/∂W), `number(v)` formats a
    value; with `values` given, entries print as numbers (the numbers line)."""

    label: object
    number: object
    one_based: bool = True
    values: dict | None = None
    grads: dict | None = None

    def show(self, s: Scalar, parent: int = 0) -> str:
        text, level = self._show(s)
        return f"({text})" if level < parent else text

    def _entry(self, s: Scalar) -> str:
        head = self.label(s.name, s.grad) if s.kind == "ref" else None
        if s.kind == "opaque":
            from tutor.language.matrix_expr import text

            head = text(s.tree)
            if " " in head:
                head = f"({head})"
        return head + self.brackets(s.index, s.shape)

    def brackets(self, index, shape) -> str:
        if not shape:
            return ""
        shown = index[:1] if len(shape) == 2 and shape[1] == 1 else index
        return "[" + ",".join(_ix_text(ix, self.one_based) for ix in shown) + "]"

    def _show(self, s: Scalar) -> tuple[str, int]:
        kind = s.kind
        if kind == "num":
            v = s.value
            if v.denominator == 1:
                text = str(v.numerator).replace("-", "−")
            else:
                text = f"{abs(v.numerator)}/{v.denominator}"
                text = ("−" if v < 0 else "") + text
                return text, 2
            return text, 5 if v >= 0 else _NEGATIVE
        if kind == "zero":
            return "0", 5
        if kind in ("ref", "opaque"):
            if self.values is not None:
                shown = self.number(value(s, self.values, self.grads or {}))
                if shown.startswith("(") and shown.endswith(")"):
                    shown = shown[1:-1]
                return shown, 5 if not shown.startswith("−") else _NEGATIVE
            return self._entry(s), 5
        if kind in ("sum", "max"):
            inner = s.args[0]
            body = self.show(inner, 0 if inner.kind in ("sum", "max") else 2)
            if all(n == 1 for n in s.sizes) and not any(
                re.search(rf"(?<![\w′]){re.escape(v)}(?![\w′])", body) for v in s.vars
            ):
                return self._show(inner)  # a Σ over one column nobody sees
            head = "Σ" if kind == "sum" else "max"
            letters = all(len(v.rstrip("′")) == 1 for v in s.vars)
            vars_ = "".join(s.vars) if letters else ",".join(s.vars)
            return f"{head}_{vars_} {body}", _SUM
        if kind == "guard":
            text = self.show(s.args[0], 2)
            marks = [c for c in s.conds if isinstance(c, IsMax)]
            if not marks:
                return self._show(s.args[0])
            extra = " · ".join(f"[{self.show(c.shown)} = max]" for c in marks)
            if s.args[0].kind == "num" and s.args[0].value == 1:
                return extra, 5 if len(marks) == 1 else 2
            return f"{text} · {extra}", 2
        return self._apply(s)

    def _apply(self, s: Scalar) -> tuple[str, int]:
        op, args = s.op, s.args
        if op == "add":
            parts = [self.show(args[0], 1)]
            for a in args[1:]:
                if a.kind == "apply" and a.op == "neg":
                    parts.append("− " + self.show(a.args[0], 2))
                else:
                    parts.append("+ " + self.show(a, 2))
            return " ".join(parts), 1
        if op == "sub":
            return f"{self.show(args[0], 1)} − {self.show(args[1], 2)}", 1
        if op == "mul":  # a · (b · c) is a · b · c
            right = args[1]
            flat = right.kind == "apply" and right.op == "mul"
            return f"{self.show(args[0], 2)} · {self.show(right, 2 if flat else 3)}", 2
        if op == "div":
            return f"{self.show(args[0], 2)} / {self.show(args[1], 3)}", 2
        if op == "neg":
            return "−" + self.show(args[0], 3), 3
        if op == "pow":
            n = args[1]
            base = self.show(args[0], 5)
            if n.kind == "num" and n.value in _SQUARES:
                return base + _SQUARES[int(n.value)], 4
            return f"{base}^{self.show(n, 5)}", 4
        spec = OPS.get(op)
        if op in ("ge", "gt", "le", "lt"):
            sign = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<"}[op]
            return f"[{self.show(args[0])} {sign} {self.show(args[1])}]", 5
        if op == "step":
            return f"[{self.show(args[0])} > 0]", 5
        if spec is not None and spec.elementwise:
            from tutor.language.matrix_expr import _function_name

            shown = _function_name(op, True)
            inner = args[:1] if op.startswith("d_") else args
            return f"{shown}({', '.join(self.show(a) for a in inner)})", 5
        return f"{op}({', '.join(self.show(a) for a in args)})", 5


__all__ = [
    "Cond",
    "Expander",
    "Ix",
    "Printer",
    "Scalar",
    "index_names",
    "refs",
    "template",
    "value",
    "written_out",
]
