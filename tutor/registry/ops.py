"""The op table: every tensor op declared once, as data.

As PyTorch's `derivatives.yaml` declares each backward formula once and tinygrad's
`gradient.py` writes each gradient rule in the same ops as the forward, each `Spec` here holds
one op's arguments (tensor arguments by the names its rule uses, whole-number attributes such
as a stride, a padding or an axis by name), its shape rule, its NumPy forward, and its
vector-Jacobian product: one rule per tensor argument, written in the tensor notation of the
problem files (`g @ bᵀ`, `g * out * (1 - out)`) over `g` (the gradient of the result), `out`
(the result), the arguments and the attributes. Everything else is derived from the rules:
`engine.rules` instantiates them for an equation (the backward pass evaluates exactly what the
worked solution prints), `notation`-like printers write them as text and LaTeX, the generated
training code prints them as NumPy. Element-wise functions come from the function registry
(`functions.FUNCTIONS`): their forward is the registry's NumPy form, their rule `g * f′`, with
f′ the derivative SymPy takes once of the registry's class, written with the result where it
can be (σ′ = out(1 − out), tanh′ = 1 − out²).

Ops a problem file may call have `user=True`; the others (`dilate`, `pad`, `crop`, `flip`,
`full_conv`, `corr`, `unpool_max`, `unpool_avg`, `sum_to`, `expand`, ...) appear in rules only.
Conventions (docs/format.md): vectors are columns, a batch's samples are columns, maps C×H×W,
kernels out×in×kh×kw, convolution is cross-correlation (torch's conv2d).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from string import Template

import numpy as np

from tutor.model import Text
from tutor.text.messages import words


class ShapeError(ValueError):
    """Two shapes that an op cannot combine; `column` says where in the equation."""

    def __init__(self, message: str, column: int = 0):
        super().__init__(message)
        self.message = message
        self.column = column


def shape_text(shape: tuple) -> str:
    """(3, 1) -> '3×1'; () -> 'scalar'."""
    return "×".join(str(n) for n in shape) if shape else "scalar"


def size_of(shape: tuple) -> int:
    n = 1
    for k in shape:
        n *= k
    return n


@dataclass(frozen=True)
class Spec:
    """One op, declared once.

    args: its tensor arguments, by the names its rule uses; attrs: its whole-number
    attributes in the order a file writes them, `defaults` for the trailing ones (a default
    may be a function of the attributes before it: a pooling stride defaults to the window).
    shape(attrs, *shapes) -> the result's shape (ShapeError when they do not fit);
    forward(attrs, *arrays) -> the result; vjp: per tensor argument, its gradient in the
    tensor notation (None: not differentiated, e.g. an argument read only for its shape).
    text/latex: templates over {0}, {1}... (printed arguments) and the attribute names (or a
    function of (printed arguments, attributes)), None for name(arguments); code: the NumPy
    source generated array code prints (`engine.arrays`), a template over {0}, {1}... and the
    attribute names, or a function of (attributes, the result's shape, the arguments' shapes)
    giving one; None: a call of `forward`; user: a file may call it; elementwise: applied entry by entry (a
    registry function); minimal(attrs, *shapes): the result's shape when the last argument,
    read only for its shape (`like`), is not written (a printed rule read back);
    entry: one entry of the result in index form (tutor/entries.py reads it, for `solve
    --at`): a template `[i,j] = Σ(k<a.2) a[i,k] · b[k,j]` over the arguments' entries (an
    entry written `x[...]!why` is 0 where its index is not a whole number inside x, for
    that reason), or a generic form: "pointwise" (the op applied to one entry of each
    argument, broadcast), "broadcast", "sum_to", "reduce", "reshape";
    en/zh: what a student reads.
    """

    name: str
    args: tuple[str, ...]
    shape: Callable
    forward: Callable
    vjp: tuple[str | None, ...] | None = None
    attrs: tuple[str, ...] = ()
    defaults: tuple = ()
    text: str | None = None
    latex: str | None = None
    code: str | Callable | None = None
    user: bool = True
    elementwise: bool = False
    minimal: Callable | None = None
    entry: str = "pointwise"
    en: str = ""
    zh: str = ""

    @property
    def arity(self) -> int:
        return len(self.args)

    def attr_values(self, ints: tuple[int, ...]) -> dict[str, int]:
        """The attributes by name, defaults filled in."""
        out: dict[str, int] = {}
        for i, name in enumerate(self.attrs):
            if i < len(ints):
                out[name] = ints[i]
            else:
                default = self.defaults[i - (len(self.attrs) - len(self.defaults))]
                out[name] = default(out) if callable(default) else default
        return out

    @property
    def required_attrs(self) -> int:
        return len(self.attrs) - len(self.defaults)


OPS: dict[str, Spec] = {}


def declare(spec: Spec) -> Spec:
    if spec.name in OPS:
        raise ValueError(f"op {spec.name} declared twice")
    OPS[spec.name] = spec
    return spec


# --------------------------------------------------------------------------- shape rules


def _same(op_sign: str):
    """Element-wise operands: the same shape, or one a scalar (or of size 1), or one stretched
    along axes of size 1 into the other's shape (a column bias over a batch). Never an outer
    product."""

    def shape(attrs, a: tuple, b: tuple) -> tuple:
        if a == b:
            return a
        na, nb = size_of(a), size_of(b)
        if not a or na == 1 and len(a) <= len(b):
            return b
        if not b or nb == 1 and len(b) <= len(a):
            return a
        big, small = (a, b) if na >= nb else (b, a)
        if len(big) == len(small) and all(s in (1, n) for s, n in zip(small, big)):
            return big
        raise ShapeError(f"shapes {shape_text(a)} and {shape_text(b)} do not match for '{op_sign}'")

    return shape


def _unary_shape(attrs, a: tuple) -> tuple:
    return a


def _matmul_shape(attrs, a: tuple, b: tuple) -> tuple:
    if len(a) != 2 or len(b) != 2:
        raise ShapeError(
            f"'@' multiplies matrices and column vectors, not {shape_text(a)} by "
            f"{shape_text(b)} (use * for a scalar)"
        )
    if a[1] != b[0]:
        raise ShapeError(
            f"shapes {shape_text(a)} and {shape_text(b)} do not match for '@' "
            f"({a[1]} columns, {b[0]} rows)"
        )
    return (a[0], b[1])


def _transpose_shape(attrs, a: tuple) -> tuple:
    return (a[1], a[0]) if len(a) == 2 else a


def _axis_index(name: str, attrs: dict, shape: tuple) -> int | None:
    k = attrs.get("axis")
    if not k:
        return None
    if not 1 <= k <= max(len(shape), 1) or not shape:
        raise ShapeError(
            f"{name}: axis {k} of a {shape_text(shape)} tensor does not exist "
            f"(axes 1 to {len(shape)})"
        )
    return k - 1


def _reduce_shape(name: str):
    def shape(attrs, a: tuple) -> tuple:
        axis = _axis_index(name, attrs, a)
        if axis is None:
            return ()
        return a[:axis] + (1,) + a[axis + 1 :]

    return shape


def _conv_sizes(attrs, x: tuple, k: tuple) -> tuple[int, int]:
    stride, padding = attrs["stride"], attrs["padding"]
    if stride < 1:
        raise ShapeError("conv2d: the stride is at least 1")
    if len(x) != 3 or len(k) != 4:
        raise ShapeError(
            f"conv2d takes an input C×H×W and a kernel out×in×kh×kw, not "
            f"{shape_text(x)} and {shape_text(k)}"
        )
    if x[0] != k[1]:
        raise ShapeError(
            f"conv2d: the input has {x[0]} channels, the kernel {shape_text(k)} expects {k[1]}"
        )
    h, w = x[1] + 2 * padding, x[2] + 2 * padding
    if k[2] > h or k[3] > w:
        raise ShapeError(
            f"conv2d: the kernel {shape_text(k)} is larger than the (padded) input {shape_text(x)}"
        )
    return (h - k[2]) // stride + 1, (w - k[3]) // stride + 1


def _conv_shape(attrs, x: tuple, k: tuple, b: tuple | None = None) -> tuple:
    oh, ow = _conv_sizes(attrs, x, k)
    if b is not None and size_of(b) != k[0]:
        raise ShapeError(f"conv2d_bias: {k[0]} output maps need {k[0]} biases, not {shape_text(b)}")
    return (k[0], oh, ow)


def _pool_shape(name: str):
    def shape(attrs, x: tuple) -> tuple:
        window, stride = attrs["window"], attrs["stride"]
        if len(x) != 3:
            raise ShapeError(f"{name} takes a map C×H×W, not {shape_text(x)}")
        if window < 1 or stride < 1 or window > min(x[1], x[2]):
            raise ShapeError(
                f"{name}: a {window}×{window} window does not fit a {shape_text(x)} map"
            )
        return (x[0], (x[1] - window) // stride + 1, (x[2] - window) // stride + 1)

    return shape


def _flatten_shape(attrs, x: tuple) -> tuple:
    return (size_of(x), 1)


# --------------------------------------------------------------------------- forwards


def _windows(x: np.ndarray, kh: int, kw: int, stride: int) -> np.ndarray:
    """C×OH×OW×kh×kw views (no copy) of the kh×kw windows of a C×H×W map, `stride` apart."""
    from numpy.lib.stride_tricks import sliding_window_view

    return sliding_window_view(x, (kh, kw), axis=(1, 2))[:, ::stride, ::stride]


def _pad(x: np.ndarray, p: int) -> np.ndarray:
    return np.pad(x, ((0, 0), (p, p), (p, p))) if p else x


def _offsets(x: np.ndarray, kh: int, kw: int, stride: int, oh: int, ow: int):
    """(u, v, view) for each of a kh×kw window's offsets, in reading order: `view` (C×oh×ow,
    no copy) holds entry (u, v) of every window, the windows `stride` apart."""
    for u in range(kh):
        for v in range(kw):
            yield (
                u,
                v,
                x[
                    :,
                    u : u + stride * (oh - 1) + 1 : stride,
                    v : v + stride * (ow - 1) + 1 : stride,
                ],
            )


def _columns(x: np.ndarray, kh: int, kw: int, stride: int, oh: int, ow: int) -> np.ndarray:
    """im2col: the (C·kh·kw)×(oh·ow) matrix of the windows' entries, copied one kernel offset
    at a time (kh·kw slice copies, each a whole strided map)."""
    cols = np.empty((x.shape[0], kh, kw, oh, ow), dtype=x.dtype)  # fractions stay fractions
    for u, v, view in _offsets(x, kh, kw, stride, oh, ow):
        cols[:, u, v] = view
    return cols.reshape(-1, oh * ow)


def _conv(attrs, x, k, b=None):
    """Cross-correlation as one matrix product: the kernel (out × in·kh·kw) times the
    windows' entries (im2col)."""
    oh, ow = _conv_sizes(attrs, x.shape, k.shape)
    cols = _columns(_pad(x, attrs["padding"]), k.shape[2], k.shape[3], attrs["stride"], oh, ow)
    out = (k.reshape(k.shape[0], -1) @ cols).reshape(k.shape[0], oh, ow)
    if b is not None:
        out = out + np.reshape(b, (-1, 1, 1))
    return out


def _dilate(attrs, g):
    """Stride s - 1 zeros between the entries of each map (a stride-s convolution's δ, set
    where the kernel's windows started)."""
    s = attrs["stride"]
    if s == 1:
        return g
    c, h, w = g.shape
    out = np.zeros((c, s * (h - 1) + 1, s * (w - 1) + 1))
    out[:, ::s, ::s] = g
    return out


def _padded(attrs, x):
    return _pad(x, attrs["padding"])


def _crop(attrs, t, like):
    """The entries of a padded map that are the map itself (`padding` cut from each side),
    zero-filled where the map reaches past what was computed (rows a stride skipped)."""
    p = attrs["padding"]
    c, h, w = like.shape
    out = np.zeros((c, h, w))
    part = t[:, p : p + h, p : p + w]
    out[:, : part.shape[1], : part.shape[2]] = part
    return out


def _crop_shape(attrs, t: tuple, like: tuple) -> tuple:
    return like


def _flip(attrs, k):
    """The kernel turned 180° with its in and out channels swapped: in×out×kh×kw."""
    return np.ascontiguousarray(k[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))


def _flip_shape(attrs, k: tuple) -> tuple:
    if len(k) != 4:
        raise ShapeError(f"flip takes a kernel out×in×kh×kw, not {shape_text(k)}")
    return (k[1], k[0], k[2], k[3])


def _full_conv(attrs, d, k):
    """The full convolution: the map padded by the kernel's size less one on every side, then
    correlated with the kernel (the flipped kernel: the adjoint of a correlation)."""
    kh, kw = k.shape[2], k.shape[3]
    padded = np.pad(d, ((0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1)))
    oh, ow = d.shape[1] + kh - 1, d.shape[2] + kw - 1
    cols = _columns(padded, kh, kw, 1, oh, ow)
    return (k.reshape(k.shape[0], -1) @ cols).reshape(k.shape[0], oh, ow)


def _full_conv_shape(attrs, d: tuple, k: tuple) -> tuple:
    if len(d) != 3 or len(k) != 4 or d[0] != k[1]:
        raise ShapeError(f"full_conv of {shape_text(d)} with {shape_text(k)}")
    return (k[0], d[1] + k[2] - 1, d[2] + k[3] - 1)


def _corr(attrs, x, d, like):
    """∂L/∂K as a correlation: entry [o,c,u,v] is Σ_ij x[c, i+u, j+v] · d[o,i,j], for the
    kernel's kh×kw offsets (`like` gives them): δ times the input's windows (im2col)."""
    kh, kw = like.shape[2], like.shape[3]
    cols = _columns(x, kh, kw, 1, d.shape[1], d.shape[2])
    return (d.reshape(d.shape[0], -1) @ cols.T).reshape(d.shape[0], x.shape[0], kh, kw)


def _corr_shape(attrs, x: tuple, d: tuple, like: tuple) -> tuple:
    return like


def _pool_sizes(attrs, shape: tuple) -> tuple[int, int]:
    window, stride = attrs["window"], attrs["stride"]
    return (shape[1] - window) // stride + 1, (shape[2] - window) // stride + 1


def _pool_windows(attrs, x):
    """C×OH×OW×window×window views (no copy) of the pooling windows."""
    window, stride = attrs["window"], attrs["stride"]
    c, h, w = x.shape
    oh, ow = _pool_sizes(attrs, x.shape)
    if stride == window:
        # windows that tile the map (less a last partial row or column): a reshape, no copy
        tiled = x[:, : oh * window, : ow * window].reshape(c, oh, window, ow, window)
        return tiled.transpose(0, 1, 3, 2, 4)
    return _windows(x, window, window, stride)[:, :oh, :ow]


def _maxpool(attrs, x):
    """Each window's largest entry: the element-wise maximum of the window's offsets, each a
    strided view of the map (no copy of a window)."""
    window, stride = attrs["window"], attrs["stride"]
    oh, ow = _pool_sizes(attrs, x.shape)
    out = None
    for _, _, view in _offsets(x, window, window, stride, oh, ow):
        out = view.copy() if out is None else np.maximum(out, view, out=out)
    return out


def _avgpool(attrs, x):
    window, stride = attrs["window"], attrs["stride"]
    oh, ow = _pool_sizes(attrs, x.shape)
    out = None
    for _, _, view in _offsets(x, window, window, stride, oh, ow):
        out = view.copy() if out is None else np.add(out, view, out=out)
    return out / (window * window)


def _unpool_max(attrs, g, x):
    """δ goes to each window's largest entry (the first in reading order on a tie, as torch):
    per offset of the window, the windows whose maximum it holds and no earlier offset did
    take their δ there (added: overlapping windows may share an entry)."""
    window, stride = attrs["window"], attrs["stride"]
    oh, ow = _pool_sizes(attrs, x.shape)
    top = _maxpool(attrs, x)
    out = np.zeros(x.shape)
    free = np.ones(top.shape, dtype=bool)
    for u, v, view in _offsets(x, window, window, stride, oh, ow):
        hit = view == top
        hit &= free
        free &= ~hit
        target = out[
            :, u : u + stride * (oh - 1) + 1 : stride, v : v + stride * (ow - 1) + 1 : stride
        ]
        if stride >= window:
            target[...] = g * hit
        else:
            target += g * hit
    return out


def _unpool_avg(attrs, g, like):
    """δ shared equally by the window's entries."""
    window, stride = attrs["window"], attrs["stride"]
    oh, ow = g.shape[1], g.shape[2]
    share = g / (window * window)
    out = np.zeros(like.shape)
    for u, v, _ in _offsets(out, window, window, stride, oh, ow):
        out[:, u : u + stride * (oh - 1) + 1 : stride, v : v + stride * (ow - 1) + 1 : stride] += (
            share
        )
    return out


def _unpool_shape(attrs, g: tuple, like: tuple) -> tuple:
    return like


def _pool_call(name: str, args: list[str], attrs: dict, as_text: bool) -> str:
    """unpool_max(δ(m), z, 2): the window written after the arguments (and the stride when
    it is not the window), so the rule reads back."""
    extra = [str(attrs["window"])]
    if attrs["stride"] != attrs["window"]:
        extra.append(str(attrs["stride"]))
    if as_text:
        return f"{name}({', '.join(args + extra)})"
    shown = name.replace("_", "\\_")  # \mathrm: latex2mathml misreads \_ in \operatorname
    return f"\\mathrm{{{shown}}}\\left({', '.join(args + extra)}\\right)"


def _sum(attrs, x):
    axis = attrs.get("axis")
    return np.asarray(x.sum()) if not axis else x.sum(axis=axis - 1, keepdims=True)


def _mean(attrs, x):
    axis = attrs.get("axis")
    return np.asarray(x.mean()) if not axis else x.mean(axis=axis - 1, keepdims=True)


def _count(attrs, x: tuple) -> int:
    """How many entries a mean averages."""
    axis = attrs.get("axis")
    return size_of(x) if not axis else x[axis - 1]


def _softmax(attrs, x):
    if x.ndim == 0:
        return np.ones_like(x)
    e = np.exp(x - x.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def _log_softmax(attrs, x):
    if x.ndim == 0:
        return np.zeros_like(x)
    top = x.max(axis=0, keepdims=True)
    return x - top - np.log(np.exp(x - top).sum(axis=0, keepdims=True))


def sum_to(g: np.ndarray, shape: tuple) -> np.ndarray:
    """The gradient of an operand that was broadcast: summed over the stretched axes."""
    if g.shape == shape:
        return g
    if not shape or size_of(shape) == 1:
        return np.asarray(g.sum()).reshape(shape)
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for axis, n in enumerate(shape):
        if n == 1 and g.shape[axis] != 1:
            g = g.sum(axis=axis, keepdims=True)
    return g.reshape(shape)


def _sum_to(attrs, g, like):
    return sum_to(g, like.shape)


def _expand(attrs, g, like):
    return np.broadcast_to(g, like.shape) if g.shape != like.shape else g


def _reshape(attrs, g, like):
    return g.reshape(like.shape)


def _like_shape(attrs, g: tuple, like: tuple) -> tuple:
    return like


def _reduce_code(method: str, attrs) -> str:
    axis = attrs.get("axis")
    return f"{{0}}.{method}()" if not axis else f"{{0}}.{method}(axis={axis - 1}, keepdims=True)"


def _sum_to_code(attrs, out: tuple, g: tuple, like: tuple) -> str | None:
    """`sum_to` as one NumPy sum over the axes a broadcast stretched (None: the general
    function)."""
    if g == like:
        return "{0}"
    if not like:
        return "{0}.sum()"
    if len(like) != len(g):
        return None
    axes = [i for i, (a, b) in enumerate(zip(g, like)) if b == 1 and a != 1]
    if not axes or any(a != b for a, b in zip(g, like) if b != 1):
        return None
    if len(g) == 2 and axes == [1] and g[0] >= 64:
        # a bias over a batch's columns: a product with ones (BLAS) sums 64 rows or more
        # faster than NumPy's row-by-row sum
        return "{0} @ np.ones(({0}.shape[1], 1))"
    axis = axes[0] if len(axes) == 1 else tuple(axes)
    return f"{{0}}.sum(axis={axis}, keepdims=True)"


def _indicator(compare):
    def forward(attrs, a, b):
        return compare(a, b).astype(float)

    return forward


# --------------------------------------------------------------------------- the table

_ADD, _SUB, _MUL, _DIV = _same("+"), _same("−"), _same("⊙"), _same("⊘")

declare(
    Spec(
        "add",
        ("a", "b"),
        _ADD,
        lambda at, a, b: a + b,
        vjp=("sum_to(g, a)", "sum_to(g, b)"),
        code="{0} + {1}",
        **words("op_add"),
    )
)
declare(
    Spec(
        "sub",
        ("a", "b"),
        _SUB,
        lambda at, a, b: a - b,
        vjp=("sum_to(g, a)", "sum_to(-g, b)"),
        code="{0} - {1}",
        **words("op_sub"),
    )
)
declare(
    Spec(
        "mul",
        ("a", "b"),
        _MUL,
        lambda at, a, b: a * b,
        vjp=("sum_to(g * b, a)", "sum_to(g * a, b)"),
        code="{0} * {1}",
        **words("op_mul"),
    )
)
declare(
    Spec(
        "div",
        ("a", "b"),
        _DIV,
        lambda at, a, b: a / b,
        vjp=("sum_to(g / b, a)", "sum_to(-g * a / b^2, b)"),
        code="{0} / {1}",
        **words("op_div"),
    )
)
declare(
    Spec(
        "neg",
        ("a",),
        _unary_shape,
        lambda at, a: -a,
        vjp=("-g",),
        code="-{0}",
        **words("op_neg"),
    )
)
declare(
    Spec(
        "pow",
        ("a", "n"),
        lambda at, a, n: a,
        lambda at, a, n: np.power(a, n),
        vjp=("g * n * a^(n - 1)", None),
        code="{0} ** {1}",
        **words("op_pow"),
    )
)
declare(
    Spec(
        "matmul",
        ("a", "b"),
        _matmul_shape,
        lambda at, a, b: a @ b,
        vjp=("g @ bᵀ", "aᵀ @ g"),
        code="{0} @ {1}",
        entry="[i,j] = Σ(k<a.2) a[i,k] · b[k,j]",
        **words("op_matmul"),
    )
)
declare(
    Spec(
        "T",
        ("a",),
        _transpose_shape,
        lambda at, a: a.T if a.ndim == 2 else a,
        vjp=("gᵀ",),
        text="{0}ᵀ",
        latex="{0}^{{\\top}}",
        code="{0}.T",
        user=False,  # written as transpose(a) or aᵀ
        entry="[i,j] = a[j,i]",
        **words("op_T"),
    )
)
declare(
    Spec(
        "sum",
        ("x",),
        _reduce_shape("sum"),
        _sum,
        vjp=("expand(g, x)",),
        attrs=("axis",),
        defaults=(0,),
        code=lambda at, out, x: _reduce_code("sum", at),
        entry="reduce",
        **words("op_sum"),
    )
)
declare(
    Spec(
        "mean",
        ("x",),
        _reduce_shape("mean"),
        _mean,
        vjp=("expand(g, x) / count",),
        attrs=("axis",),
        defaults=(0,),
        code=lambda at, out, x: _reduce_code("mean", at),
        entry="reduce",
        **words("op_mean"),
    )
)
declare(
    Spec(
        "softmax",
        ("x",),
        _unary_shape,
        _softmax,
        vjp=("out * (g - sum(g * out, 1))",),
        text="softmax({0})",
        entry="[i,j] = exp(x[i,j]) / Σ(k<x.1) exp(x[k,j])",
        **words("op_softmax"),
    )
)
declare(
    Spec(
        "log_softmax",
        ("x",),
        _unary_shape,
        _log_softmax,
        vjp=("g - softmax(x) * sum(g, 1)",),
        entry="[i,j] = x[i,j] − log(Σ(k<x.1) exp(x[k,j]))",
        **words("op_log_softmax"),
    )
)
declare(
    Spec(
        "max",
        ("a", "b"),
        _same("max"),
        lambda at, a, b: np.maximum(a, b),
        vjp=("sum_to(g * ge(a, b), a)", "sum_to(g * lt(a, b), b)"),  # a tie: the first
        code="np.maximum({0}, {1})",
        **words("op_max"),
    )
)
declare(
    Spec(
        "min",
        ("a", "b"),
        _same("min"),
        lambda at, a, b: np.minimum(a, b),
        vjp=("sum_to(g * le(a, b), a)", "sum_to(g * gt(a, b), b)"),
        code="np.minimum({0}, {1})",
        **words("op_min"),
    )
)
declare(
    Spec(
        "flatten",
        ("x",),
        _flatten_shape,
        lambda at, x: x.reshape(-1, 1),
        vjp=("reshape(g, x)",),
        code="{0}.reshape(-1, 1)",
        entry="reshape",
        **words("op_flatten"),
    )
)
declare(
    Spec(
        "conv2d",
        ("x", "K"),
        _conv_shape,
        _conv,
        vjp=(
            "crop(full_conv(dilate(g, stride), flip(K)), x, padding)",
            "corr(pad(x, padding), dilate(g, stride), K)",
        ),
        attrs=("stride", "padding"),
        defaults=(1, 0),
        entry="[o,i,j] = Σ(c<K.2) Σ(u<K.3, v<K.4) K[o,c,u,v] · x[c,stride·i+u−padding,stride·j+v−padding]!pad",
        **words("op_conv2d"),
    )
)
declare(
    Spec(
        "conv2d_bias",
        ("x", "K", "b"),
        _conv_shape,
        _conv,
        vjp=(
            "crop(full_conv(dilate(g, stride), flip(K)), x, padding)",
            "corr(pad(x, padding), dilate(g, stride), K)",
            "sum_maps(g, b)",
        ),
        attrs=("stride", "padding"),
        defaults=(1, 0),
        entry="[o,i,j] = Σ(c<K.2) Σ(u<K.3, v<K.4) K[o,c,u,v] · x[c,stride·i+u−padding,stride·j+v−padding]!pad + b[o]",
        **words("op_conv2d_bias"),
    )
)
declare(
    Spec(
        "maxpool",
        ("x",),
        _pool_shape("maxpool"),
        _maxpool,
        vjp=("unpool_max(g, x, window, stride)",),
        attrs=("window", "stride"),
        defaults=(lambda at: at["window"],),
        entry="[c,i,j] = Max(u<window, v<window) x[c,stride·i+u,stride·j+v]",
        **words("op_maxpool"),
    )
)
declare(
    Spec(
        "avgpool",
        ("x",),
        _pool_shape("avgpool"),
        _avgpool,
        vjp=("unpool_avg(g, x, window, stride)",),
        attrs=("window", "stride"),
        defaults=(lambda at: at["window"],),
        entry="[c,i,j] = Σ(u<window, v<window) x[c,stride·i+u,stride·j+v] / (window·window)",
        **words("op_avgpool"),
    )
)

# rule-only ops: what the rules above are written in -----------------------------------------

declare(
    Spec(
        "sum_to",
        ("g", "like"),
        _like_shape,
        _sum_to,
        vjp=("expand(g, like)", None),
        code=_sum_to_code,
        user=False,
        entry="sum_to",
        **words("op_sum_to"),
    )
)
declare(
    Spec(
        "sum_maps",
        ("g", "like"),
        _like_shape,
        lambda at, g, like: g.sum(axis=(1, 2)).reshape(like.shape),
        text="Σ_ij {0}",
        latex="\\sum_{{ij}} {0}",
        code="{0}.sum(axis=(1, 2)).reshape({1}.shape)",
        user=False,
        entry="[o,_] = Σ(i<g.2, j<g.3) g[o,i,j]",
        **words("op_sum_maps"),
    )
)
declare(
    Spec(
        "expand",
        ("g", "like"),
        _like_shape,
        _expand,
        vjp=("sum_to(g, like)", None),
        code="np.broadcast_to({0}, {1}.shape)",  # elided where NumPy broadcasts
        user=False,
        entry="broadcast",
        **words("op_expand"),
    )
)
declare(
    Spec(
        "reshape",
        ("g", "like"),
        _like_shape,
        _reshape,
        vjp=("reshape(g, like)", None),
        text="reshape({0})",
        latex="\\operatorname{{reshape}}\\left({0}\\right)",
        code="{0}.reshape({1}.shape)",
        minimal=lambda at, g: g,
        user=False,
        entry="reshape",
        **words("op_reshape"),
    )
)
declare(
    Spec(
        "dilate",
        ("g",),
        lambda at, g: (g[0], at["stride"] * (g[1] - 1) + 1, at["stride"] * (g[2] - 1) + 1),
        _dilate,
        attrs=("stride",),
        text="dilate{stride}({0})",
        latex="\\operatorname{{dilate}}_{{{stride}}}\\left({0}\\right)",
        user=False,
        entry="[c,i,j] = g[c,i/stride,j/stride]!stride",
        **words("op_dilate"),
    )
)
declare(
    Spec(
        "pad",
        ("x",),
        lambda at, x: (x[0], x[1] + 2 * at["padding"], x[2] + 2 * at["padding"]),
        _padded,
        attrs=("padding",),
        text="pad{padding}({0})",
        latex="\\operatorname{{pad}}_{{{padding}}}\\left({0}\\right)",
        user=False,
        entry="[c,i,j] = x[c,i−padding,j−padding]!pad",
        **words("op_pad"),
    )
)
declare(
    Spec(
        "crop",
        ("t", "like"),
        _crop_shape,
        _crop,
        attrs=("padding",),
        # unsaid `like`: the leading padding cut; the far side's is not known (a stride may
        # never reach it), so it stays, and a reader cuts the result to the map's size
        minimal=lambda at, t: (t[0], t[1] - at["padding"], t[2] - at["padding"]),
        text="crop{padding}({0})",
        latex="\\operatorname{{crop}}_{{{padding}}}\\left({0}\\right)",
        user=False,
        entry="[c,i,j] = t[c,i+padding,j+padding]!crop",
        **words("op_crop"),
    )
)
declare(
    Spec(
        "flip",
        ("K",),
        _flip_shape,
        _flip,
        text="flip({0})",
        latex="\\operatorname{{flip}}\\left({0}\\right)",
        user=False,
        entry="[c,o,u,v] = K[o,c,K.3−1−u,K.4−1−v]",
        **words("op_flip"),
    )
)
declare(
    Spec(
        "full_conv",
        ("d", "K"),
        _full_conv_shape,
        _full_conv,
        text="full_conv({0}, {1})",
        latex="\\mathrm{{full\\_conv}}\\left({0}, {1}\\right)",
        user=False,
        entry="[c,i,j] = Σ(o<K.2) Σ(u<K.3, v<K.4) K[c,o,K.3−1−u,K.4−1−v] · d[o,i−u,j−v]!outside",
        **words("op_full_conv"),
    )
)
declare(
    Spec(
        "corr",
        ("x", "d", "like"),
        _corr_shape,
        _corr,
        text="corr({0}, {1})",
        minimal=lambda at, x, d: (d[0], x[0], x[1] - d[1] + 1, x[2] - d[2] + 1),
        latex="\\operatorname{{corr}}\\left({0}, {1}\\right)",
        user=False,
        entry="[o,c,u,v] = Σ(i<d.2, j<d.3) x[c,i+u,j+v]!outside · d[o,i,j]",
        **words("op_corr"),
    )
)
declare(
    Spec(
        "unpool_max",
        ("g", "x"),
        _unpool_shape,
        _unpool_max,
        attrs=("window", "stride"),
        defaults=(lambda at: at["window"],),
        text=lambda args, at: _pool_call("unpool_max", args, at, True),
        latex=lambda args, at: _pool_call("unpool_max", args, at, False),
        user=False,
        entry="[c,i,j] = Σ(u<window, v<window) g[c,(i−u)/stride,(j−v)/stride]!window · first_max(x, c, (i−u)/stride, (j−v)/stride, u, v)",
        **words("op_unpool_max"),
    )
)
declare(
    Spec(
        "unpool_avg",
        ("g", "like"),
        _unpool_shape,
        _unpool_avg,
        attrs=("window", "stride"),
        defaults=(lambda at: at["window"],),
        text=lambda args, at: _pool_call("unpool_avg", args[:1], at, True),
        latex=lambda args, at: _pool_call("unpool_avg", args[:1], at, False),
        minimal=lambda at, g: (
            g[0],
            (g[1] - 1) * at["stride"] + at["window"],
            (g[2] - 1) * at["stride"] + at["window"],
        ),
        user=False,
        entry="[c,i,j] = Σ(u<window, v<window) g[c,(i−u)/stride,(j−v)/stride]!window / (window·window)",
        **words("op_unpool_avg"),
    )
)
_COMPARE = {
    "ge": ("≥", "\\ge", ">=", np.greater_equal),
    "gt": (">", ">", ">", np.greater),
    "le": ("≤", "\\le", "<=", np.less_equal),
    "lt": ("<", "<", "<", np.less),
}
for _name, (_sign, _tex, _py, _compare) in _COMPARE.items():
    declare(
        Spec(
            _name,
            ("a", "b"),
            _same(_sign),
            _indicator(_compare),
            text="[{0} " + _sign + " {1}]",
            latex="[{0} " + _tex + " {1}]",
            code="({0} " + _py + " {1})",
            user=False,
            **words("op_compare", sign=_sign),
        )
    )


# --------------------------------------------------------------------------- element-wise


def elementwise_names() -> dict[str, str]:
    """Parser name -> registry name, for the registry's one-argument functions with a NumPy
    form: the element-wise ops a tensor equation may call."""
    from tutor.registry.functions import FUNCTIONS

    out = {}
    for e in _elementwise_entries(FUNCTIONS):
        for n in e.names:
            out[n] = e.name
    return out


def _elementwise_entries(functions) -> list:
    """The registry's one-argument functions with a NumPy form (those with no parser name,
    such as step, appear in derivatives only)."""
    return [e for e in functions.values() if e.arity == 1 and e.numpy is not None]


@functools.cache
def derivative(name: str):
    """f′ of a registry function as a SymPy expression in x and out: the derivative SymPy
    takes of the registry's class, once, written with the result where that is simpler
    (σ′ = out(1 − out), tanh′ = 1 − out², sqrt′ = 1/(2 out)) and with the argument otherwise
    (ReLU′ = step(x), log′ = 1/x). (engine.rules makes it a NumPy function.)"""
    import sympy as sp

    from tutor.registry.functions import FUNCTIONS

    entry = FUNCTIONS[name]
    x, out = sp.symbols("x out", real=True)
    fx = entry.sympy(x)
    d = sp.diff(fx, x)
    with_out = d.xreplace({fx: out, 1 / fx: 1 / out})
    return d if x in with_out.free_symbols else with_out


def _elementwise_forward(name: str):
    def forward(attrs, x):
        from tutor.registry.functions import FUNCTIONS

        return np.asarray(FUNCTIONS[name].numpy(x), dtype=float)

    return forward


# f′ of a registry function as a NumPy function of (x, out), by name: supplied by the engine
# (`engine.rules.derivative_function`, set when it is imported), the one package that turns
# SymPy into NumPy; the table declares the op, the engine evaluates it.
numeric_derivative: Callable[[str], Callable] | None = None


def _derivative_forward(name: str):
    def forward(attrs, x, out):
        d = numeric_derivative(name)
        try:
            slope = d(x, out)
        except (TypeError, ValueError):  # printed as scalar Python (sign(x) of |x|)
            slope = np.vectorize(d, otypes=[float])(x, out)
        return np.broadcast_to(np.asarray(slope, dtype=float), np.shape(x))

    return forward


@functools.cache
def rule_of_elementwise(name: str) -> str:
    """`g * f′` in the tensor notation, f′ from SymPy's derivative (see `derivative`); a
    derivative the notation cannot write (π, a piecewise form) is the op `d_name(x, out)`."""
    expr = derivative(name)
    try:
        return f"g * ({_written(expr)})"
    except _Unwritable:
        return f"g * d_{name}(x, out)"


class _Unwritable(Exception):
    pass


def _written(expr) -> str:
    """A SymPy expression in x and out as tensor notation (no floats, no π)."""
    import sympy as sp

    from tutor.registry.functions import FUNCTIONS

    if expr.is_Symbol:
        return str(expr)
    if expr.is_Integer:
        return str(expr) if expr >= 0 else f"({expr})"
    if expr.is_Rational:
        return f"({expr.p}/{expr.q})"
    if isinstance(expr, sp.Add):
        out = ""
        for term in expr.as_ordered_terms():
            coefficient, rest = term.as_coeff_Mul()
            if coefficient < 0:
                out += " - " + _written(-term) if out else "-" + _written(-term)
            else:
                out += " + " + _written(term) if out else _written(term)
        return f"({out})"
    if isinstance(expr, sp.Mul):
        coefficient, rest = expr.as_coeff_Mul()
        if coefficient == -1:
            return f"(-{_written(rest)})"
        return "(" + " * ".join(_written(a) for a in expr.args) + ")"
    if isinstance(expr, sp.Pow):
        base, exp = expr.args
        if exp == sp.Rational(1, 2):
            return f"sqrt({_written(base)})"
        if exp == -1:
            return f"(1 / {_written(base)})"
        if exp.is_Integer and exp < 0:
            return f"(1 / {_written(base)}^{-int(exp)})"
        if exp.is_Integer:
            return f"({_written(base)}^{int(exp)})"
        raise _Unwritable
    if isinstance(expr, sp.Function):
        cls = type(expr).__name__
        if cls in ("maximum", "minimum") and len(expr.args) == 2:
            a, b = (_written(a) for a in expr.args)
            return f"{'max' if cls == 'maximum' else 'min'}({a}, {b})"
        if cls in FUNCTIONS and cls in OPS and len(expr.args) == 1:
            return f"{cls}({_written(expr.args[0])})"
    raise _Unwritable


def _register_elementwise() -> None:
    from tutor.registry.functions import FUNCTIONS

    for entry in _elementwise_entries(FUNCTIONS):
        name = entry.name
        declare(
            Spec(
                name,
                ("x",),
                _unary_shape,
                _elementwise_forward(name),
                vjp=None,  # filled lazily by `rule` (SymPy is imported only when a rule is)
                text={"sigmoid": "σ({0})", "step": "[{0} > 0]"}.get(name),
                latex={"step": "[{0} > 0]"}.get(name),
                code=Template(entry.array).substitute(x="{0}") if entry.array else None,
                user=bool(entry.names),
                elementwise=True,
                en=entry.en,
                zh=entry.zh,
            )
        )
        declare(
            Spec(
                f"d_{name}",
                ("x", "out"),
                lambda at, x, out: x,
                _derivative_forward(name),
                text=f"{'σ' if name == 'sigmoid' else name}′({{0}})",
                latex=None,
                user=False,
                elementwise=True,
                **words("op_derivative", name=Text(entry.en, entry.zh)),
            )
        )


_register_elementwise()


def vjp_rules(name: str) -> tuple[str | None, ...]:
    """The op's rule per tensor argument, in the tensor notation."""
    spec = OPS[name]
    if spec.elementwise and spec.vjp is None and not name.startswith("d_"):
        return (rule_of_elementwise(name),)
    if spec.vjp is None:
        raise KeyError(f"op {name} has no backward rule")
    return spec.vjp


USER_OPS = {name for name, spec in OPS.items() if spec.user and not spec.elementwise}
