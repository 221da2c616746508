"""The backward rules of a tensor problem written as the course writes them.

From the equation's op tree and the values: W2ᵀ δ(z2) (not the engine's `W2ᵀ @ δ(z2)`),
δ(z1) xᵀ, δ(a1) ⊙ a1 ⊙ (1 − a1) (σ′ with the node's output, from the registry's
derivative), Σ_col δ(Z1) for a bias over a batch's columns, and p − y (or (p − y)/N) where a
softmax or σ output meets its cross-entropy, checked against the numbers before it is
claimed. `tensor_solve` writes every δ's terms with them; the views and the quiz show them.
"""

from __future__ import annotations

import math

import numpy as np


def _wrap(text: str) -> str:
    """Parenthesised when it is a sum or a product, so a rule's text reads unambiguously."""
    depth = 0
    for c in text:
        depth += c in "([{"
        depth -= c in ")]}"
        if depth == 0 and c == " ":
            return f"({text})"
    return text


def _factor(text: str) -> str:
    """A factor of an element-wise product: bare when it is itself a product (a ⊙ (1 − a)),
    in parentheses when it is a sum or a matrix product."""
    depth, tokens = 0, [""]
    for c in text:
        depth += c in "([{"
        depth -= c in ")]}"
        if c == " " and depth == 0:
            tokens.append("")
        else:
            tokens[-1] += c
    seps = tokens[1::2]
    return text if all(t == "⊙" for t in seps) else f"({text})"


def _times(g: str, t: str) -> str:
    if g == "1":
        return t
    if g == "−1":
        return "−" + _wrap(t)
    return f"{_factor(g)} ⊙ {_factor(t)}"


def _neg(g: str) -> str:
    if g.startswith("−") and _wrap(g[1:]) == g[1:]:
        return g[1:]
    return "−" + _wrap(g)


def derivative_text(function: str, arg: str, result: str | None) -> str | None:
    """f′ written as the course does: with the node's output where the derivative allows
    (σ′(z1) = a1 ⊙ (1 − a1), tanh′ = 1 − h²), else in the argument; None for 1/x (a ⊘)."""
    import sympy as sp

    from .engine.tensor import elementwise

    _, _, d = elementwise(function)
    x, out = sp.symbols("x out", real=True)
    if d == 1:
        return "1"
    if d == 1 / x:
        return None
    names = {}
    if result is not None and x not in d.free_symbols:
        names = {"out": result}
    else:
        names = {"x": arg, "out": f"{function}({arg})"}
    text = sp.sstr(d)
    import re

    text = re.sub(r"\b(out|x)\b", lambda m: "\0" + m[1] + "\0", text)
    for k, v in names.items():
        text = text.replace(f"\0{k}\0", v if _wrap(v) == v else f"({v})")
    text = text.replace("**2", "²").replace("**3", "³").replace("**", "^")
    text = text.replace("*", " ⊙ ").replace(" - ", " − ").replace("-", "−")
    return text


# the ops whose rule is said in words rather than as a product: per argument
_STRUCTURAL = {
    "conv2d": ("full_conv({g}, flip({k}))", "corr({x}, {g})"),
    "conv2d_bias": ("full_conv({g}, flip({k}))", "corr({x}, {g})", "Σ_ij {g}"),
    "maxpool": ("route({g} → argmax)",),
    "avgpool": ("share({g} ÷ k²)",),
    "flatten": ("reshape({g})",),
    "log_softmax": ("{g} − softmax({x}) Σ{g}",),
    "max": ("{g} ⊙ [{x} ≥ {k}]", "{g} ⊙ [{k} > {x}]"),  # a tie goes to the first
}


def _local(op, i: int, g: str, result: str | None, show, size) -> str:
    """How g = ∂L/∂(op's result) reaches op's i-th argument, as text."""
    from .engine.tensor import elementwise

    kind, args = op.kind, op.args
    a = [show(x) for x in args]
    if kind == "add":
        return g
    if kind == "sub":
        return g if i == 0 else _neg(g)
    if kind == "neg":
        return _neg(g)
    if kind == "mul":
        return _times(g, a[1 - i])
    if kind == "div":
        if i == 0:
            return f"{_wrap(g)} ⊘ {_wrap(a[1])}" if g != "1" else f"1 ⊘ {_wrap(a[1])}"
        return f"−{_wrap(g)} ⊙ {_wrap(a[0])} ⊘ {_wrap(a[1])}²"
    if kind == "pow":
        n = args[1].value
        n_text = str(n.numerator) if n.denominator == 1 else str(float(n))
        power = "" if n == 2 else f"^{n - 1}"
        return _times(g, f"{n_text}{_wrap(a[0])}{power}")
    if kind == "matmul":
        return f"{_wrap(g)} {_wrap(a[1])}ᵀ" if i == 0 else f"{_wrap(a[0])}ᵀ {_wrap(g)}"
    if kind in ("T", "transpose"):
        return f"{_wrap(g)}ᵀ"
    if kind == "sum":
        return g
    if kind == "mean":
        n = size(op)
        return f"1/{n}" if g == "1" else f"{_wrap(g)} / {n}"
    if kind == "softmax":
        s = result or f"softmax({a[0]})"
        return f"{s} ⊙ ({g} − {s}ᵀ {_wrap(g)})"
    if kind in _STRUCTURAL:
        return _STRUCTURAL[kind][i].format(
            g=_wrap(g), x=_wrap(a[0]), k=_wrap(a[1]) if len(a) > 1 else ""
        )
    try:
        elementwise(kind)
    except KeyError:
        return f"{kind}ᵀ({g})"  # an op without a written rule (none at present)
    d = derivative_text(kind, a[0], result)
    if d is None:  # log: 1/x
        return f"{_wrap(g)} ⊘ {_wrap(a[0])}" if g != "1" else f"1 ⊘ {_wrap(a[0])}"
    return _times(g, d)


def _summed(share: str, arg_shape: tuple, shape: tuple) -> str:
    """An operand stretched over the result (a bias over a batch's columns) gets the sum of
    its share over the stretched axes: Σ_col δ(Z1) for b1 in Z1 = W1 X + b1."""
    if arg_shape == shape:
        return share
    if len(arg_shape) == 2 and len(shape) == 2 and arg_shape[0] == shape[0] and arg_shape[1] == 1:
        return f"Σ_col {_wrap(share)}"
    if len(arg_shape) == 2 and len(shape) == 2 and arg_shape[1] == shape[1] and arg_shape[0] == 1:
        return f"Σ_row {_wrap(share)}"
    return f"Σ {_wrap(share)}"


def rule_texts(eq, name: str, g: str, values: dict) -> list[str]:
    """∂L/∂name's share through equation `eq`, from g = δ(eq.name), one text per place the
    equation reads `name`: W2ᵀ δ(z2), δ(z1) xᵀ, δ(a1) ⊙ a1 ⊙ (1 − a1)."""
    from .engine.tensor import _evaluate
    from .tensor_expr import text as show

    def size(op) -> int:
        x = _evaluate(op.args[0], values)
        return x.size if not op.ints else x.shape[op.ints[0] - 1]

    def walk(op, g: str, result) -> list[str]:
        if op.kind == "name":
            return [g] if op.name == name else []
        if op.kind == "number" or name not in op.names():
            return []
        out = []
        for i, arg in enumerate(op.args):
            if name in arg.names():
                share = _local(op, i, g, result, show, size)
                if op.kind in ("add", "sub", "mul", "div"):
                    share = _summed(
                        share, _evaluate(arg, values).shape, _evaluate(op, values).shape
                    )
                out += walk(arg, share, None)
        return out

    return walk(eq.expr, g, eq.name)


# output activations whose derivative cancels against the matching loss's: softmax with
# cross-entropy, sigmoid with binary cross-entropy (δ⁽ᴸ⁾ = a − y, over N for a mean)
FUSING = ("softmax", "sigmoid")


def fused_softmax(solution) -> dict[str, tuple[str, str]]:
    """Nodes z with p = softmax(z) or σ(z) read only by the loss through log, whose δ the
    engine gives as p − y (or (p − y) / N): z -> (rule, p)."""
    out = {}
    for f in solution.fused:
        terms = solution.delta(f.z).terms
        if len(terms) == 1 and terms[0].rule.startswith((f.p + " − ", f"({f.p} − ")):
            out[f.z] = (terms[0].rule, f.p)
    return out


def _scaled_difference(delta, p, y, p_name: str, y_name: str) -> str | None:
    """'p − y' or '(p − y) / N' when δ is exactly that (to round-off), else None."""
    if np.shape(p) != np.shape(y):
        return None
    with np.errstate(all="ignore"):  # an overflowed δ is no rule, and no warning
        diff = p - y
        if not np.any(diff):
            return None
        scale = float(np.sum(delta * diff) / np.sum(diff * diff))
        if not 0 < scale < math.inf or not np.allclose(delta, scale * diff, rtol=1e-9, atol=1e-12):
            return None
    n = round(1 / scale)
    if abs(scale - 1) < 1e-9:
        return f"{p_name} − {y_name}"
    if n >= 2 and abs(1 / scale - n) < 1e-9:
        return f"({p_name} − {y_name}) / {n}"
    return None
