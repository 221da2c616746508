"""Tensor-valued nodes: vectors, matrices, feature maps, batches, with one VJP rule per op.

A tensor problem's equations are `tensor_expr.Op` trees over NumPy arrays. Each op kind is
declared once in `OPS` (as tinygrad's gradient.py and PyTorch's derivatives.yaml do): its
forward function and its vector-Jacobian product (the gradient of every argument from the
gradient of the result); `tensor_rules` writes the same rules as the course does (W2ᵀ δ(z2),
δ(z1) xᵀ, δ(a1) ⊙ f′(z1)). Element-wise functions come from the function registry:
NumPy's form, and the derivative SymPy takes of the registry's class once per function.

One backward pass: nodes in reverse order, each node's tree walked from its result to its
leaves with the rules above, accumulating ∂L/∂name. Every contribution of a node to a name
(`∂L/∂W via h2`) is kept, so a shared weight's gradient is shown as the sum it is.

Conventions (docs/format.md): vectors are columns (n×1), a batch's samples are the columns of
X, conv2d is a cross-correlation with torch's layouts (input C×H×W, kernel out×in×kh×kw).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ..errors import ProblemError
from ..tensor_expr import Op


class ShapeError(ValueError):
    """Two shapes that an op cannot combine; `column` says where in the equation."""

    def __init__(self, message: str, column: int = 0):
        super().__init__(message)
        self.message = message
        self.column = column


def shape_text(shape: tuple) -> str:
    """(3, 1) -> '3×1'; () -> 'scalar'."""
    return "×".join(str(n) for n in shape) if shape else "scalar"


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class Rule:
    """One op kind, declared once: `forward(op, *xs)` and `vjp(op, g, out, *xs)` -> one
    gradient per tensor argument (None for a number's). How the worked solution writes each
    rule is tensor_rules' (it needs the node's name and shapes, which an op does not know)."""

    forward: object
    vjp: object


OPS: dict[str, Rule] = {}


def rule(kind: str):
    def add(pair):
        forward, vjp = pair()
        OPS[kind] = Rule(forward, vjp)
        return pair

    return add


def _unbroadcast(g: np.ndarray, shape: tuple) -> np.ndarray:
    """The gradient of an operand that was broadcast: summed over the stretched axes."""
    if g.shape == shape:
        return g
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for axis, n in enumerate(shape):
        if n == 1 and g.shape[axis] != 1:
            g = g.sum(axis=axis, keepdims=True)
    return g


def _broadcast_shape(op: Op, a: np.ndarray, b: np.ndarray) -> None:
    """Element-wise operands: the same shape, or one a scalar, or one stretched along axes of
    size 1 into the other's shape (a column bias over a batch). Never an outer product."""
    if a.shape == b.shape or a.ndim == 0 or b.ndim == 0 or a.size == 1 or b.size == 1:
        return
    big, small = (a, b) if a.size >= b.size else (b, a)
    ok = big.ndim == small.ndim and all(s in (1, n) for s, n in zip(small.shape, big.shape))
    if not ok:
        sign = {"add": "+", "sub": "−", "mul": "⊙", "div": "⊘"}[op.kind]
        raise ShapeError(
            f"shapes {shape_text(a.shape)} and {shape_text(b.shape)} do not match for '{sign}'",
            op.column,
        )


@rule("add")
def _add():
    return (
        lambda op, a, b: (_broadcast_shape(op, a, b), a + b)[1],
        lambda op, g, out, a, b: (_unbroadcast(g, a.shape), _unbroadcast(g, b.shape)),
    )


@rule("sub")
def _sub():
    return (
        lambda op, a, b: (_broadcast_shape(op, a, b), a - b)[1],
        lambda op, g, out, a, b: (_unbroadcast(g, a.shape), _unbroadcast(-g, b.shape)),
    )


@rule("mul")
def _mul():
    return (
        lambda op, a, b: (_broadcast_shape(op, a, b), a * b)[1],
        lambda op, g, out, a, b: (_unbroadcast(g * b, a.shape), _unbroadcast(g * a, b.shape)),
    )


@rule("div")
def _div():
    return (
        lambda op, a, b: (_broadcast_shape(op, a, b), a / b)[1],
        lambda op, g, out, a, b: (
            _unbroadcast(g / b, a.shape),
            _unbroadcast(-g * a / (b * b), b.shape),
        ),
    )


@rule("neg")
def _neg():
    return (lambda op, a: -a, lambda op, g, out, a: (-g,))


@rule("pow")
def _pow():
    def forward(op, a, n):
        return np.power(a, float(n))

    def vjp(op, g, out, a, n):
        k = float(n)
        return (g * k * np.power(a, k - 1), None)

    return forward, vjp


def _matmul_forward(op, a, b):
    if a.ndim != 2 or b.ndim != 2:
        raise ShapeError(
            f"'@' multiplies matrices and column vectors, not "
            f"{shape_text(a.shape)} by {shape_text(b.shape)} (use * for a scalar)",
            op.column,
        )
    if a.shape[1] != b.shape[0]:
        raise ShapeError(
            f"shapes {shape_text(a.shape)} and {shape_text(b.shape)} do not match "
            f"for '@' ({a.shape[1]} columns, {b.shape[0]} rows)",
            op.column,
        )
    return a @ b


@rule("matmul")
def _matmul():
    return _matmul_forward, lambda op, g, out, a, b: (g @ b.T, a.T @ g)


def _t(x):
    return x.T if x.ndim == 2 else x


@rule("T")
def _transpose():
    return (lambda op, a: _t(a), lambda op, g, out, a: (_t(g),))


OPS["transpose"] = OPS["T"]


def _axis(op: Op, x: np.ndarray):
    if not op.ints:
        return None
    k = op.ints[0]
    if not 1 <= k <= max(x.ndim, 1):
        raise ShapeError(
            f"{op.kind}: axis {k} of a {shape_text(x.shape)} tensor does not "
            f"exist (axes 1 to {x.ndim})",
            op.column,
        )
    return k - 1


@rule("sum")
def _sum():
    def forward(op, x):
        axis = _axis(op, x)
        return np.asarray(x.sum()) if axis is None else x.sum(axis=axis, keepdims=True)

    return forward, lambda op, g, out, x: (np.broadcast_to(g, x.shape).copy(),)


@rule("mean")
def _mean():
    def forward(op, x):
        axis = _axis(op, x)
        return np.asarray(x.mean()) if axis is None else x.mean(axis=axis, keepdims=True)

    def vjp(op, g, out, x):
        axis = _axis(op, x)
        n = x.size if axis is None else x.shape[axis]
        return (np.broadcast_to(g, x.shape) / n,)

    return forward, vjp


def _softmax(x):
    if x.ndim == 0:
        return np.ones_like(x)
    e = np.exp(x - x.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


@rule("softmax")
def _softmax_rule():
    return (
        lambda op, x: _softmax(x),
        lambda op, g, out, x: (out * (g - (g * out).sum(axis=0, keepdims=True)),),
    )


@rule("log_softmax")
def _log_softmax():
    def forward(op, x):
        top = x.max(axis=0, keepdims=True)
        return x - top - np.log(np.exp(x - top).sum(axis=0, keepdims=True))

    return forward, lambda op, g, out, x: (g - np.exp(out) * g.sum(axis=0, keepdims=True),)


@rule("max")
def _maximum():
    def forward(op, a, b):
        _broadcast_shape(Op("mul", column=op.column), a, b)
        return np.maximum(a, b)

    def vjp(op, g, out, a, b):
        left = (a >= b).astype(float)  # a tie goes to the first argument
        return (_unbroadcast(g * left, a.shape), _unbroadcast(g * (1 - left), b.shape))

    return forward, vjp


@rule("flatten")
def _flatten():
    return (lambda op, x: x.reshape(-1, 1), lambda op, g, out, x: (g.reshape(x.shape),))


# convolution and pooling ------------------------------------------------------------------


def _windows(x: np.ndarray, kh: int, kw: int, stride: int) -> np.ndarray:
    """C×OH×OW×kh×kw views of the kh×kw windows of a C×H×W map, `stride` apart."""
    from numpy.lib.stride_tricks import sliding_window_view

    return sliding_window_view(x, (kh, kw), axis=(1, 2))[:, ::stride, ::stride]


def _scatter(d_windows: np.ndarray, shape: tuple, stride: int) -> np.ndarray:
    """The adjoint of `_windows`: each window's gradient added back where the window was."""
    out = np.zeros(shape)
    _, oh, ow, kh, kw = d_windows.shape
    for r in range(kh):
        for c in range(kw):
            out[:, r : r + stride * oh : stride, c : c + stride * ow : stride] += d_windows[
                :, :, :, r, c
            ]
    return out


def _conv_args(op: Op, x, k):
    stride, padding = (list(op.ints) + [1, 0][len(op.ints) :])[:2]
    if stride < 1:
        raise ShapeError("conv2d: the stride is at least 1", op.column)
    if x.ndim != 3 or k.ndim != 4:
        raise ShapeError(
            f"conv2d takes an input C×H×W and a kernel out×in×kh×kw, not "
            f"{shape_text(x.shape)} and {shape_text(k.shape)}",
            op.column,
        )
    if x.shape[0] != k.shape[1]:
        raise ShapeError(
            f"conv2d: the input has {x.shape[0]} channels, the kernel "
            f"{shape_text(k.shape)} expects {k.shape[1]}",
            op.column,
        )
    h, w = x.shape[1] + 2 * padding, x.shape[2] + 2 * padding
    if k.shape[2] > h or k.shape[3] > w:
        raise ShapeError(
            f"conv2d: the kernel {shape_text(k.shape)} is larger than the "
            f"(padded) input {shape_text(x.shape)}",
            op.column,
        )
    return stride, padding


def _pad(x, padding):
    return np.pad(x, ((0, 0), (padding, padding), (padding, padding))) if padding else x


def _conv_forward(op, x, k, b=None):
    stride, padding = _conv_args(op, x, k)
    win = _windows(_pad(x, padding), k.shape[2], k.shape[3], stride)
    out = np.einsum("chwkl,ockl->ohw", win, k, optimize=True)
    if b is not None:
        if b.size != k.shape[0]:
            raise ShapeError(
                f"conv2d_bias: {k.shape[0]} output maps need {k.shape[0]} biases, "
                f"not {shape_text(b.shape)}",
                op.column,
            )
        out = out + b.reshape(-1, 1, 1)
    return out


def _conv_vjp(op, g, out, x, k, b=None):
    stride, padding = _conv_args(op, x, k)
    xp = _pad(x, padding)
    win = _windows(xp, k.shape[2], k.shape[3], stride)
    dk = np.einsum("chwkl,ohw->ockl", win, g, optimize=True)
    dwin = np.einsum("ohw,ockl->chwkl", g, k, optimize=True)
    dx = _scatter(dwin, xp.shape, stride)
    if padding:
        dx = dx[:, padding:-padding, padding:-padding]
    grads = (dx, dk)
    if b is not None:
        grads += (g.sum(axis=(1, 2)).reshape(b.shape),)
    return grads


OPS["conv2d"] = Rule(_conv_forward, _conv_vjp)
OPS["conv2d_bias"] = Rule(_conv_forward, _conv_vjp)


def _pool_args(op: Op, x):
    window = op.ints[0]
    stride = op.ints[1] if len(op.ints) > 1 else window
    if x.ndim != 3:
        raise ShapeError(f"{op.kind} takes a map C×H×W, not {shape_text(x.shape)}", op.column)
    if window < 1 or stride < 1 or window > min(x.shape[1], x.shape[2]):
        raise ShapeError(
            f"{op.kind}: a {window}×{window} window does not fit a {shape_text(x.shape)} map",
            op.column,
        )
    return window, stride


def _maxpool_forward(op, x):
    window, stride = _pool_args(op, x)
    return _windows(x, window, window, stride).max(axis=(3, 4))


def _maxpool_vjp(op, g, out, x):
    """δ goes to each window's arg-max (the first, in reading order, on a tie: torch's)."""
    window, stride = _pool_args(op, x)
    win = _windows(x, window, window, stride)
    c, oh, ow = out.shape
    flat = win.reshape(c, oh, ow, window * window)
    first = flat.argmax(axis=3)
    mask = np.zeros_like(flat)
    np.put_along_axis(mask, first[..., None], 1.0, axis=3)
    d = mask.reshape(win.shape) * g[:, :, :, None, None]
    return (_scatter(d, x.shape, stride),)


def _avgpool_forward(op, x):
    window, stride = _pool_args(op, x)
    return _windows(x, window, window, stride).mean(axis=(3, 4))


def _avgpool_vjp(op, g, out, x):
    """δ shared equally by the window's entries."""
    window, stride = _pool_args(op, x)
    c, oh, ow = out.shape
    d = np.broadcast_to(g[:, :, :, None, None] / (window * window), (c, oh, ow, window, window))
    return (_scatter(d, x.shape, stride),)


OPS["maxpool"] = Rule(_maxpool_forward, _maxpool_vjp)
OPS["avgpool"] = Rule(_avgpool_forward, _avgpool_vjp)


# element-wise functions of the registry -----------------------------------------------------


@functools.cache
def elementwise(name: str):
    """(f, f′(x, out), f′ as text in x) for a registry function: NumPy's form, and the derivative
    SymPy takes of the registry's class, once, written with the result where it can be
    (σ′ = σ(1 − σ) reads out ⊙ (1 − out))."""
    import sympy as sp

    from ..engine.vector import _modules
    from ..functions import FUNCTIONS

    entry = FUNCTIONS[name]
    x, out = sp.symbols("x out", real=True)
    fx = entry.sympy(x)
    derivative = sp.diff(fx, x)
    with_out = derivative.xreplace({fx: out})
    d = sp.lambdify((x, out), with_out, modules=_modules())
    return entry.numpy, d, with_out


ELEMENTWISE: set[str] = set()  # the registry's one-argument functions, by registry name


def _register_elementwise():
    from ..tensor_expr import _elementwise

    ELEMENTWISE.update(_elementwise().values())
    for name in ELEMENTWISE:

        def forward(op, x, _name=name):
            f, _, _ = elementwise(_name)
            with np.errstate(all="ignore"):
                return np.asarray(f(x), dtype=float)

        def vjp(op, g, out, x, _name=name):
            _, d, _ = elementwise(_name)
            with np.errstate(all="ignore"):
                try:
                    slope = d(x, out)
                except (TypeError, ValueError):  # printed as scalar Python: sign(x) of |x|
                    slope = np.vectorize(d, otypes=[float])(x, out)
                return (g * np.broadcast_to(np.asarray(slope, dtype=float), x.shape),)

        OPS[name] = Rule(forward, vjp)


_register_elementwise()


# --------------------------------------------------------------------------- exact values
# Tensor problems compute in floats, but their given entries are decimals: W x + b whose exact
# value is 0 came out as 2.776e-17, and tanh or ReLU of it the same. A node made of sums,
# products, matrix products, convolutions, pooling and the registry's exact rules (ReLU,
# tanh(0) = 0...) of exact entries is evaluated again in fractions, while it is small. An entry
# whose exact value is a whole number (0 above all) takes it, and the nodes after it are
# computed from it; the others keep the float arithmetic's value, so that a number such as
# 1.4155, shown to 4 figures, is shown as before (its nearest float lies below the tie).

EXACT_WORK = 1000  # fraction operations (entries read, products) one forward pass may spend
SHORT = 15  # a float whose shortest decimal has at most this many digits is that decimal
_RATIONAL = frozenset(
    "add sub mul div neg matmul T transpose sum mean flatten max "
    "conv2d conv2d_bias maxpool avgpool".split()
)


class _Inexact(Exception):
    """No exact value here (a function away from its exact points, too large, 1/0...)."""


def _decimals(array: np.ndarray) -> np.ndarray | None:
    """The decimals a float array's entries were written as (0.1, not the float nearest it),
    or None when an entry is not a short decimal (1/3 read as a float, a computed value)."""
    out = np.empty(array.shape, dtype=object)
    for index, x in np.ndenumerate(array):
        text = repr(float(x))
        digits = text.split("e")[0].replace("-", "").replace(".", "").strip("0")
        if len(digits) > SHORT or not text[-1].isdigit():  # inf, nan
            return None
        out[index] = Fraction(text)
    return out


def _work(op: Op, xs: list) -> int:
    if op.kind == "matmul":
        return xs[0].size * xs[1].shape[-1]
    if op.kind.startswith("conv2d"):
        return xs[1].size * xs[0].shape[1] * xs[0].shape[2]
    return max(x.size for x in xs)


def _exact_value(op: Op, env: dict, budget: list[int], dry: bool = False) -> np.ndarray:
    """op in fractions (object arrays) from the exact values in `env`; raises _Inexact, also
    when it would spend more than `budget`. `dry`: the same walk over the float values, to
    count the work before any fraction is made."""
    if op.kind == "name":
        return env[op.name]
    if op.kind == "number":
        return np.asarray(float(op.value) if dry else op.value, dtype=float if dry else object)
    if op.kind == "pow":
        n = op.args[1].value
        if n.denominator != 1:
            raise _Inexact
        xs = [_exact_value(op.args[0], env, budget, dry)]
    else:
        xs = [_exact_value(a, env, budget, dry) for a in op.args]
    budget[0] -= _work(op, xs)
    if budget[0] < 0:
        raise _Inexact
    if op.kind in _RATIONAL:
        return np.asarray(OPS[op.kind].forward(op, *xs), dtype=float if dry else object)
    if op.kind == "pow":
        return xs[0] if dry else np.asarray(xs[0] ** int(n), dtype=object)
    from ..functions import EXACT

    rule = EXACT.get(op.kind) if op.kind in ELEMENTWISE else None
    if rule is None:
        raise _Inexact
    if dry:
        return xs[0]
    out = np.empty(xs[0].shape, dtype=object)
    for index, v in np.ndenumerate(xs[0]):
        r = rule([v])
        if r is None:
            raise _Inexact
        out[index] = Fraction(r)
    return out


def _nearest(v) -> float:
    try:
        return float(v)
    except OverflowError:
        return float("inf") if v > 0 else float("-inf")


def _settle(op: Op, value: np.ndarray, values: dict, known: dict, budget: list[int]):
    """(the node's value, its exact value or None): the entries whose exact value is a whole
    number take it (`known`: exact values by name, None where a value is not exact; `budget`:
    the fraction operations left to this forward pass)."""
    names = op.names()
    if budget[0] <= 0 or any(known.get(n, 0) is None for n in names):
        return value, None
    given = [n for n in names if n not in known]  # given values (nodes are settled in order)
    left = [budget[0] - sum(values[n].size for n in given)]
    if left[0] < 0:
        return value, None
    try:
        with np.errstate(all="ignore"):
            _exact_value(op, values, left, dry=True)  # the work it takes, counted in floats
        for n in given:
            known[n] = _decimals(values[n])
            if known[n] is None:
                return value, None
        budget[0] = left[0]
        exact = _exact_value(op, known, [EXACT_WORK])
    except (_Inexact, ZeroDivisionError, OverflowError):
        return value, None
    if exact.shape != value.shape:
        return value, None
    whole = [
        _nearest(v) if getattr(v, "denominator", 0) == 1 else x
        for v, x in zip(exact.flat, value.flat)
    ]
    settled = np.array(whole, dtype=float).reshape(value.shape)
    return (value if np.array_equal(settled, value) else settled), exact


# --------------------------------------------------------------------------- graph


@dataclass
class Point:
    """Forward values, ∂L/∂(every name), and each node's contribution to each name it reads
    (`contributions[(node, name)]`): the facts a tensor solution shows."""

    values: dict[str, np.ndarray]
    loss: float
    grads: dict[str, np.ndarray] = field(default_factory=dict)
    contributions: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)


def quiet(compute):
    """`compute` with NumPy's floating-point warnings off, for code that computes with a
    solution's values outside the engine (the quiz's questions and grades): an overflow or
    0/0 there is a value (∞, nan) shown as one, not a RuntimeWarning on the user's stderr."""

    @functools.wraps(compute)
    def quieted(*args, **kwargs):
        with np.errstate(all="ignore"):
            return compute(*args, **kwargs)

    return quieted


def _evaluate(op: Op, env: dict, memo: dict | None = None) -> np.ndarray:
    if op.kind == "name":
        return env[op.name]
    if op.kind == "number":
        return np.asarray(float(op.value))
    xs = [_evaluate(a, env, memo) for a in op.args]
    # an overflow or 0/0 is a value (∞, nan) that the views show as one, never a
    # RuntimeWarning on the user's stderr: every op, its rule and each sum are quiet
    with np.errstate(all="ignore"):
        if op.kind == "pow":
            value = OPS["pow"].forward(op, xs[0], op.args[1].value)
        else:
            value = OPS[op.kind].forward(op, *xs)
    value = np.asarray(value, dtype=float)
    if memo is not None:
        memo[id(op)] = (value, xs)
    return value


def _backward(op: Op, g: np.ndarray, memo: dict, into: dict) -> None:
    """Add op's gradient contributions to the names it reads (`into[name]`)."""
    if op.kind == "name":
        with np.errstate(all="ignore"):
            into[op.name] = into[op.name] + g if op.name in into else g
        return
    if op.kind == "number":
        return
    out, xs = memo[id(op)]
    with np.errstate(all="ignore"):
        if op.kind == "pow":
            grads = OPS["pow"].vjp(op, g, out, xs[0], op.args[1].value)
        else:
            grads = OPS[op.kind].vjp(op, g, out, *xs)
    for arg, ga in zip(op.args, grads):
        if ga is not None:
            _backward(arg, ga, memo, into)


def forward(problem, leaves: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every node's value; a shape mismatch is a ProblemError at the equation's line."""
    values, known, budget = dict(leaves), {}, [EXACT_WORK]
    for eq in problem.graph:
        try:
            value = _evaluate(eq.expr, values)
            values[eq.name], known[eq.name] = _settle(eq.expr, value, values, known, budget)
        except ShapeError as e:
            where = f" (column {e.column})" if e.column else ""
            raise ProblemError(
                f"equation '{eq.name}': {e.message}{where}",
                file=problem.file or problem.id,
                line=eq.line,
            ) from None
    return values


def evaluate(problem, leaves: dict[str, np.ndarray], *, backward: bool = True) -> Point:
    """Forward, then (unless `backward` is False) the one backward pass from the loss."""
    values, known, budget = dict(leaves), {}, [EXACT_WORK]
    memos = {}
    for eq in problem.graph:
        memo: dict = {}
        try:
            value = _evaluate(eq.expr, values, memo)
            values[eq.name], known[eq.name] = _settle(eq.expr, value, values, known, budget)
            if values[eq.name] is not value and id(eq.expr) in memo:  # its result, settled
                memo[id(eq.expr)] = (values[eq.name], memo[id(eq.expr)][1])
        except ShapeError as e:
            where = f" (column {e.column})" if e.column else ""
            raise ProblemError(
                f"equation '{eq.name}': {e.message}{where}",
                file=problem.file or problem.id,
                line=eq.line,
            ) from None
        memos[eq.name] = memo
    point = Point(values, float(values[problem.loss].reshape(())))  # a 1×1 loss too
    if not backward:
        return point
    grads: dict[str, np.ndarray] = {problem.loss: np.ones_like(values[problem.loss])}
    for eq in reversed(problem.graph):
        if eq.name not in grads:
            continue  # the loss does not depend on this node
        into: dict[str, np.ndarray] = {}
        _backward(eq.expr, grads[eq.name], memos[eq.name], into)
        for name, g in into.items():
            g = np.asarray(g, dtype=float).reshape(values[name].shape)
            point.contributions[(eq.name, name)] = g
            with np.errstate(all="ignore"):
                grads[name] = grads[name] + g if name in grads else g
    for name, v in values.items():
        if name not in grads:
            grads[name] = np.zeros_like(v)
    point.grads = grads
    return point


def value_of(op: Op, values: dict[str, np.ndarray]) -> np.ndarray:
    """The value of one expression at `values` (the quiz recomputes a step from a student's
    own earlier values)."""
    return _evaluate(op, values)


def pullback(op: Op, values: dict[str, np.ndarray], g) -> dict[str, np.ndarray]:
    """∂L/∂(each name `op` reads) from g = ∂L/∂(op's value), at `values`: one equation's
    backward rule applied to any upstream gradient (the quiz applies it to a student's δ)."""
    memo: dict = {}
    out = _evaluate(op, values, memo)
    into: dict[str, np.ndarray] = {}
    _backward(op, np.broadcast_to(np.asarray(g, dtype=float), out.shape), memo, into)
    return {n: np.asarray(v, dtype=float).reshape(values[n].shape) for n, v in into.items()}
