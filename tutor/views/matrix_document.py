"""A tensor problem's worked solution as a document: Markdown with LaTeX, or HTML with MathML.

A view like `export`: it reads a `TensorSolution` (tensor_solve) and builds the same blocks
(`Heading`, `Para`, `Table`, `Display`) that `export.to_markdown` and `html_export.page`
serialise, so Markdown and HTML say the same thing. Every value is a `bmatrix` (a C×H×W map
or an out×in×kh×kw kernel: one bmatrix per channel), elided with ⋯ and ⋮ past
`MAX_SHOWN` rows or columns unless `full`. The rules of the backward pass are the engine's
texts (`W2ᵀ @ δ(z2)`, `δ(a1) ⊙ sigmoid′(z1)`) written in LaTeX by `tex`, one translation
for every rule, so nothing here differentiates.

It also holds the vanishing-gradient view: `delta_norms` (|δ⁽ˡ⁾| of each layer's
pre-activation, in layer order), `norms_table` / `norms_chart` for the terminal (rich
renderables, printed by the CLI) and `norms_blocks` for a document (a table with a text bar).
Words are in the catalogue (tutor/text/messages.py), English and Chinese.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from tutor.engine.matrix_solve import TensorSolution
from tutor.solutions.explain import reflow
from tutor.text.messages import colon, listed, optimizer, say
from tutor.text.notation import PLACEHOLDER, fmt, latex_name
from tutor.views.document import (
    Code,
    Display,
    Emph,
    Math,
    Para,
    Strong,
    forward_remarks,
    heading,
    inactive_paras,
    inline,
    table,
    tex_number,
    to_markdown,
)

MAX_SHOWN = 8  # rows or columns of a bmatrix before it is elided (unless full)
MAX_MAPS = 4  # channels (or kernel slices) shown before the rest are elided
MIN_LAYERS = 3  # the |δ| per layer section appears in a document from this many layers on
BAR_WIDTH = 24  # characters of the longest text bar


def shape_text(shape: tuple, lang: str = "en") -> str:
    """`4×1`, or the word for a tensor of no axes (the loss) in `lang`."""
    return "×".join(str(n) for n in shape) if shape else say(lang, "scalar")


# --------------------------------------------------------------------------- LaTeX


def delta_tex(name: str) -> str:
    """δ of a node as the course writes it: δ(z2) is δ₂ (δ⁽ˡ⁾ = ∂L/∂z⁽ˡ⁾), δ(Z2) of a batch
    is Δ₂, any other node keeps its name: δ_{a₁}."""
    m = re.fullmatch(r"([zZ])(\d+)", name)
    if m:
        letter = r"\delta" if m[1] == "z" else r"\Delta"
        return f"{letter}_{{{m[2]}}}"
    return rf"\delta_{{{latex_name(name)}}}"


def partial_tex(of: str, wrt: str) -> str:
    return rf"\frac{{\partial {latex_name(of)}}}{{\partial {latex_name(wrt)}}}"


def _grad_tex(name: str, node: bool, loss: str) -> str:
    return delta_tex(name) if node else partial_tex(loss, name)


def tex(tree, style=None) -> str:
    r"""A rule or an equation (an op tree) in LaTeX as the course writes it: W_{2}^{\top}
    \, \delta_{2}, \delta_{a_{1}} \odot a_{1} \odot (1 - a_{1}), printed from the tree
    (tensor_expr.latex) with the export's names for nodes' δ and the gradients."""
    from tutor.language.matrix_expr import latex

    return latex(tree, style, latex_name, _grad_tex)


def _picked(n: int, full: bool) -> list:
    """Indices shown along an axis of n: all, or the first 3, a gap (None), the last 2."""
    if full or n <= MAX_SHOWN:
        return list(range(n))
    return [0, 1, 2, None, n - 2, n - 1]


def _cleaned(a) -> np.ndarray:
    """The array with round-off noise (an entry 10¹² times smaller than the largest) as 0,
    so that 0.1 + 0.2 − 0.3 does not print as 5.55e-17."""
    a = np.array(a, dtype=float)
    top = np.max(np.abs(a)) if a.size else 0.0
    if np.isfinite(top) and top > 0:
        a[np.abs(a) < top * 1e-12] = 0.0
    return a


def bmatrix(a, full: bool = False) -> str:
    """A scalar, a column, or a matrix as LaTeX (`\\begin{bmatrix} ... \\end{bmatrix}`)."""
    a = _cleaned(a)
    if a.ndim == 0:
        return tex_number(float(a))
    if a.ndim == 1:
        a = a.reshape(-1, 1)
    rows = []
    for r in _picked(a.shape[0], full):
        cells = []
        for c in _picked(a.shape[1], full):
            if r is None:
                cells.append(r"\ddots" if c is None else r"\vdots")
            else:
                cells.append(r"\cdots" if c is None else tex_number(float(a[r, c])))
        rows.append(" & ".join(cells))
    return r"\begin{bmatrix} " + r" \\ ".join(rows) + r" \end{bmatrix}"


def shape_tex(shape: tuple) -> str:
    """`\\in \\mathbb{R}^{4 \\times 3}`, or nothing for a scalar."""
    if not shape:
        return ""
    return r" \in \mathbb{R}^{" + r" \times ".join(str(n) for n in shape) + "}"


def maps(a: np.ndarray, full: bool = False):
    """The 2-D pieces of a tensor, with their 1-based leading index: [((), a)] for a matrix,
    [((1,), map 1), ...] for C×H×W, [((1, 1), kernel 1,1), ...] for out×in×kh×kw; None
    stands for the elided ones."""
    if a.ndim <= 2:
        return [((), a)]
    keys = list(np.ndindex(a.shape[:-2]))
    shown = keys if full or len(keys) <= MAX_MAPS else keys[:2] + [None] + keys[-1:]
    return [None if k is None else (tuple(i + 1 for i in k), a[k]) for k in shown]


def value_lines(name_tex: str, a, lead: str, full: bool, lang: str) -> list:
    """`lead = value ∈ ℝ^shape` as display math; a map or kernel as one line per channel."""
    a = np.asarray(a, dtype=float)
    pieces = maps(a, full)
    if len(pieces) == 1 and pieces[0] is not None and pieces[0][0] == ():
        return [Display(f"{lead} = {bmatrix(a, full)}{shape_tex(a.shape)}")]
    out = [Display(f"{lead}{shape_tex(a.shape)}")]
    hidden = len(list(np.ndindex(a.shape[:-2]))) - (len(pieces) - 1)
    for piece in pieces:
        if piece is None:
            out.append(Para(inline(say(lang, "more_maps", n=hidden))))
            continue
        index, m = piece
        where = ",".join(str(i) for i in index) + ",:,:"
        out.append(Display(f"{name_tex}[{where}] = {bmatrix(m, full)}"))
    return out


def compact(a, limit: int = 3) -> str:
    """A value as the quiz reads answers, `[0.1, -0.2; 0.3, 0.4]`, elided past `limit` rows or
    columns: a table cell."""
    a = _cleaned(a)
    if a.ndim == 0:
        return fmt(float(a))
    if a.ndim > 2:
        return f"{shape_text(a.shape)}"
    if a.ndim == 1:
        a = a.reshape(-1, 1)

    def pick(n):
        return list(range(n)) if n <= limit else list(range(limit - 1)) + [None, n - 1]

    rows = []
    for r in pick(a.shape[0]):
        if r is None:
            rows.append("…")
            continue
        rows.append(
            ", ".join(
                "…" if c is None else fmt(float(a[r, c]), group=False) for c in pick(a.shape[1])
            )
        )
    return "[" + "; ".join(rows) + "]"


# --------------------------------------------------------------------------- |δ| per layer


def _layer_nodes(problem) -> list[str]:
    """The pre-activation nodes, in layer order: each node that an element-wise function
    (sigmoid, relu, tanh...) or softmax takes whole; if none, the nodes named z1, z2..."""
    from tutor.language.matrix_expr import _elementwise

    functions = set(_elementwise().values()) | {"softmax", "log_softmax"}
    nodes = {eq.name for eq in problem.graph}
    out = []
    for eq in problem.graph:
        op = eq.expr
        if op.kind in functions and op.args[0].kind == "name" and op.args[0].name in nodes:
            if op.args[0].name not in out:
                out.append(op.args[0].name)
    if not out:
        out = [eq.name for eq in problem.graph if re.fullmatch(r"[zZ]\d+", eq.name)]
    order = [eq.name for eq in problem.graph]
    return sorted(out, key=order.index)


def delta_norms(solution: TensorSolution) -> list[tuple[str, float]]:
    """|δ⁽ˡ⁾| per layer: (node name, Euclidean norm of ∂L/∂node) for each layer's
    pre-activation node, first layer first. Deep sigmoid chains show it shrinking. A norm
    past ±1.8e308 is ∞ (said as such); hypot scales, so finite entries do not overflow."""
    return [
        (name, math.hypot(*solution.delta(name).value.ravel().tolist()))
        for name in _layer_nodes(solution.problem)
    ]


_EIGHTHS = " ▏▎▍▌▋▊▉"
NO_BAR = "—"  # where a bar would stand for a norm that is not a number (∞, nan)


def text_bar(value: float, top: float, width: int = BAR_WIDTH) -> str:
    """A horizontal bar of `value` out of `top` in block characters (eighths of a cell); a
    nonzero value always gets at least the thinnest bar. A value or a scale that is not a
    finite number (an overflow: ∞, nan) gets no bar: the number beside it says what it is."""
    if not (math.isfinite(value) and math.isfinite(top)) or top <= 0 or value <= 0:
        return ""
    eighths = max(1, round(8 * width * min(value / top, 1.0)))
    return "█" * (eighths // 8) + _EIGHTHS[eighths % 8].strip()


def bar_top(rows: list[tuple[str, float]]) -> float:
    """The scale of a chart of `rows`: the largest finite norm (an overflowed one is drawn
    as `NO_BAR`, and does not flatten the others' bars)."""
    return max((n for _, n in rows if math.isfinite(n)), default=0.0)


def _relative(norm: float, last: float) -> str:
    return fmt(norm / last, 3) if last > 0 else "—"


def _chain(name: str) -> str:
    return re.sub(r"\d+$", "", name)


def _lasts(rows: list[tuple[str, float]]) -> dict[str, float]:
    """Each layer's |δ| of the last layer of its own chain (names alike but for their layer
    number: zs1..zs6 and zr1..zr6 are two chains), what '÷ last layer' divides by."""
    last: dict[str, float] = {}
    for name, norm in rows:
        last[_chain(name)] = norm
    return {name: last[_chain(name)] for name, _ in rows}


def _weight_above(problem, low: str, high: str, readers: dict, equations: dict) -> str | None:
    """The weight W of `high` = W a + ... whose a is `low` or a function of it (a = f(low)):
    the matrix whose transpose carries δ from `high` down to `low`. `readers`: each name's
    reading nodes; `equations`: each node's equation (made once for the whole graph)."""
    reads = {low} | readers.get(low, set())
    high_eq = equations.get(high)
    if high_eq is None:
        return None
    stack = [high_eq.expr]
    while stack:
        op = stack.pop()
        if op.kind == "matmul" and op.args[0].kind == "name" and op.args[1].names() & reads:
            if op.args[0].name in problem.params:
                return op.args[0].name
        stack.extend(op.args)
    return None


def delta_steps(solution: TensorSolution, rows: list[tuple[str, float]]) -> dict:
    """For each layer but the last of its chain: (the factor |δ⁽ˡ⁾| / |δ⁽ˡ⁺¹⁾| one step
    down multiplied δ by, the spectral norm ‖W⁽ˡ⁺¹⁾ᵀ‖ of the weight it went through or None).
    The factor is at most ‖W⁽ˡ⁺¹⁾ᵀ‖ · max f′(z⁽ˡ⁾): below 1 each step, δ vanishes; above,
    it explodes. No factor (None) below a δ of 0 or one that is not finite. The norm is of a
    given matrix, not a derivative."""
    out: dict[str, tuple[float | None, float | None]] = {}
    above: dict[str, tuple[str, float]] = {}
    problem = solution.problem
    equations = {eq.name: eq for eq in problem.graph}
    readers: dict[str, set[str]] = {}
    for eq in problem.graph:  # one scan of the graph, not one per layer
        for name in eq.expr.names():
            readers.setdefault(name, set()).add(eq.name)
    for name, norm in reversed(rows):
        chain = _chain(name)
        if chain in above:
            high, high_norm = above[chain]
            factor = norm / high_norm if high_norm > 0 and math.isfinite(norm) else None
            weight = _weight_above(problem, name, high, readers, equations)
            w_norm = None
            if weight is not None:
                w = np.asarray(solution.value(weight), dtype=float)
                if w.ndim == 2 and np.isfinite(w).all():
                    w_norm = float(np.linalg.norm(w, 2))
            out[name] = (factor, w_norm)
        above[chain] = (name, norm)
    return out


def log_scale(rows: list[tuple[str, float]]) -> tuple[float, float] | None:
    """The decades (10^a, 10^b) a log-scale chart of `rows` spans, when their finite positive
    norms differ by more than a factor 10 (a linear chart would draw the small ones as
    nothing); None for a linear chart."""
    shown = [n for _, n in rows if math.isfinite(n) and n > 0]
    if not shown or max(shown) <= 10 * min(shown):
        return None
    return 10.0 ** math.floor(math.log10(min(shown))), 10.0 ** math.ceil(math.log10(max(shown)))


def log_bar(value: float, low: float, high: float, width: int = BAR_WIDTH) -> str:
    """A bar of `value` on a log scale from `low` (no bar) to `high` (the whole width); a
    positive value always gets at least the thinnest bar."""
    if not (math.isfinite(value) and value > 0):
        return ""
    span = math.log10(high) - math.log10(low)
    share = (math.log10(value) - math.log10(low)) / span if span > 0 else 1.0
    eighths = max(1, round(8 * width * min(max(share, 0.0), 1.0)))
    return "█" * (eighths // 8) + _EIGHTHS[eighths % 8].strip()


def _bar(norm: float, top: float, scale: tuple[float, float] | None, width: int) -> str:
    if not math.isfinite(norm):
        return NO_BAR
    return log_bar(norm, *scale, width) if scale else text_bar(norm, top, width)


def _chart_title(lang: str, scale: tuple[float, float] | None) -> str:
    if scale is None:
        return say(lang, "norms")
    return say(lang, "norms_log", low=fmt(scale[0]), high=fmt(scale[1]))


def norms_table(
    rows: list[tuple[str, float]],
    lang: str = "en",
    shapes: dict | None = None,
    steps: dict | None = None,
):
    """The |δ| per layer as a rich Table (layer, shape, |δ|, the factor one step down and the
    ‖Wᵀ‖ it went through (`steps`, from `delta_steps`), ÷ last layer)."""
    from tutor.views.terminal import FittingTable  # a number is never cut to "…"

    t = FittingTable(title=say(lang, "norms"), title_justify="left")
    t.add_column(say(lang, "layer"))
    if shapes:
        t.add_column(say(lang, "shape"))
    t.add_column(say(lang, "norm"), justify="right")
    if steps is not None:
        t.add_column(say(lang, "factor"), justify="right")
        t.add_column(say(lang, "weight_norm"), justify="right")
    t.add_column(say(lang, "relative"), justify="right")
    last = _lasts(rows)
    for name, norm in rows:
        cells = [f"δ({name})"] + ([shape_text(shapes[name], lang)] if shapes else [])
        cells.append(fmt(norm))
        if steps is not None:
            factor, w_norm = steps.get(name, (None, None))
            cells += [
                "—" if factor is None else "×" + fmt(factor, 3),
                "—" if w_norm is None else fmt(w_norm, 3),
            ]
        t.add_row(*cells, _relative(norm, last[name]))
    return t


def norms_chart(
    rows: list[tuple[str, float]], lang: str = "en", width: int = 40, top: float | None = None
):
    """The |δ| per layer as a horizontal bar chart (a rich renderable): one bar per layer, on a
    log scale when the norms span more than a factor 10 (else scaled to the largest, or to
    `top`, to draw two chains on one scale)."""
    from rich.text import Text

    from tutor.views.tables import FastTable

    scale = None if top is not None else log_scale(rows)
    top = top if top is not None else bar_top(rows)
    t = FastTable(
        title=_chart_title(lang, scale),
        title_justify="left",
        show_header=False,
        box=None,
        padding=(0, 1),
    )
    t.add_column(justify="right")
    t.add_column()
    t.add_column(justify="right")
    for name, norm in rows:
        bar = _bar(norm, top, scale, width)
        t.add_row(f"δ({name})", Text(bar.ljust(width), style="cyan"), fmt(norm))
    return t


def norms_blocks(solution: TensorSolution, lang: str = "en") -> list:
    """The |δ| per layer in a document: a heading, a table with a text bar (log scale when
    the norms span more than a factor 10), a note."""
    rows = delta_norms(solution)
    if not rows:
        return []
    top = bar_top(rows)
    scale = log_scale(rows)
    last = _lasts(rows)
    steps = delta_steps(solution, rows)
    body = []
    for name, norm in rows:
        factor, w_norm = steps.get(name, (None, None))
        body.append(
            [
                Math(delta_tex(name)),
                Code(name),
                shape_text(solution.value(name).shape, lang),
                fmt(norm),
                "—" if factor is None else "×" + fmt(factor, 3),
                "—" if w_norm is None else fmt(w_norm, 3),
                _relative(norm, last[name]),
                Code(_bar(norm, top, scale, BAR_WIDTH) or "·"),
            ]
        )
    header = [
        say(lang, "layer"),
        say(lang, "node"),
        say(lang, "shape"),
        say(lang, "norm"),
        say(lang, "factor"),
        say(lang, "weight_norm"),
        say(lang, "relative"),
        _chart_title(lang, scale),
    ]
    return [
        heading(2, say(lang, "norms")),
        table(header, body, {3, 4, 5, 6}),
        Para(inline(say(lang, "norms_note"))),
    ]


# --------------------------------------------------------------------------- sections


def _statement(problem, lang: str) -> str:
    """The statement with `{name}` filled by the given tensor as the quiz writes one."""

    def repl(m: re.Match) -> str:
        if not m[1]:
            return m[0][0]
        value = problem.leaves.get(m[1])
        return m[0] if value is None else compact(value, limit=6)

    return reflow(PLACEHOLDER.sub(repl, problem.statement.get(lang)))


def front(problem, lang: str) -> list:
    parts = [heading(1, f"{problem.id}: {problem.title.get(lang)}")]
    if problem.source.en:
        parts.append(
            Para(inline(Emph(f"{say(lang, 'source')}{colon(lang)}{problem.source.get(lang)}")))
        )
    parts.append(Para(inline(_statement(problem, lang))))
    return parts


def given(solution: TensorSolution, lang: str, full: bool) -> list:
    p = solution.problem
    ties = dict(p.extra.get("ties", ()))  # a value the file ties to others: `Wr1: 2 * Wh1`
    rows, lines = [], []
    for group in ("inputs", "targets", "params", "constants"):
        for name, value in getattr(p, group).items():
            role = say(lang, group[:-1])
            tied = [" ", Math(f"= {tex(ties[name], solution.style)}")] if name in ties else []
            rows.append(
                [
                    Math(latex_name(name)),
                    Code(name),
                    (role, *tied),
                    shape_text(np.shape(value), lang),
                ]
            )
            lines += value_lines(latex_name(name), value, latex_name(name), full, lang)
    header = [say(lang, "name"), say(lang, "id"), say(lang, "role"), say(lang, "shape")]
    return [heading(2, say(lang, "given")), table(header, rows)] + lines


def forward(solution: TensorSolution, lang: str, full: bool, after: bool = False) -> list:
    """The forward pass (or the one after the update): each node's equation, printed from its
    tree, its shape and its value."""
    equations = {eq.name: eq.expr for eq in solution.problem.graph}
    rows, lines = [], []
    for step in solution.after if after else solution.forward:
        name = latex_name(step.name)
        equation = f"{name} = {tex(equations[step.name], solution.style)}"
        rows.append([Code(step.name), Math(equation), shape_text(step.shape, lang)])
        lead = f"{name}'" if after else equation
        lines += value_lines(lead if after else name, step.value, lead, full, lang)
    header = [say(lang, "node"), say(lang, "equation"), say(lang, "shape")]
    title = say(lang, "after" if after else "forward")
    said = forward_remarks(solution, lang, after)
    return [heading(2, title), table(header, rows), *said] + lines


def loss(solution: TensorSolution, lang: str) -> list:
    head = say(lang, "loss") + colon(lang).rstrip()
    name = latex_name(solution.problem.loss)
    return [Para(inline(Strong(head), " ", Math(f"{name} = {tex_number(solution.loss)}")))]


def _delta_lines(solution, d, lead: str, full: bool, lang: str, name_tex: str) -> list:
    tree = solution.rule(d.name)
    rules = tex(tree, solution.style) if tree is not None else ""
    out = value_lines(name_tex, d.value, f"{lead} = {rules}" if rules else lead, full, lang)
    if len(d.terms) > 1:  # a value read by several nodes: each one's share
        for t in d.terms:
            out.append(Para(inline(say(lang, "through"), " ", Code(t.via), colon(lang).rstrip())))
            out += value_lines(name_tex, t.value, tex(t.tree, solution.style), full, lang)
    p = solution.problem
    remark = p.remark(f"d{p.loss}/d{d.name}")
    if remark is not None:  # what the author says about it (why a term is 0...)
        out.append(Para(inline(Emph("※ " + remark.get(lang)))))
    return out


def deltas(solution: TensorSolution, lang: str, full: bool) -> list:
    p = solution.problem
    parts = [
        heading(2, say(lang, "tensor_deltas")),
        Para(inline(say(lang, "deltas_note"))),
        Display(f"{delta_tex(p.loss)} = {partial_tex(p.loss, p.loss)} = 1"),
    ]
    from tutor.engine.tensor import unread_nodes

    unread = unread_nodes(p)
    for d in solution.deltas:
        if not d.node or d.name in unread:
            continue
        name = delta_tex(d.name)
        parts.append(heading(3, Math(f"{name} = {partial_tex(p.loss, d.name)}")))
        parts += _delta_lines(
            solution, d, f"{name} = {partial_tex(p.loss, d.name)}", full, lang, name
        )
    if unread:
        names = ", ".join(d.name for d in solution.deltas if d.node and d.name in unread)
        parts.append(Para(inline(say(lang, "unread_nodes", names=names))))
    return parts


def gradients(solution: TensorSolution, lang: str, full: bool, group: str = "params") -> list:
    """The gradients of the parameters (or, `group` "inputs", of the inputs: ∂L/∂X of a
    BatchNorm, of a convolution's input)."""
    p = solution.problem
    chosen = [d for d in solution.deltas if not d.node and d.name in getattr(p, group)]
    if not chosen:
        return []
    parts = [heading(2, say(lang, "param_gradients" if group == "params" else "input_gradients"))]
    for d in chosen:
        head = partial_tex(p.loss, d.name)
        parts.append(heading(3, Math(head)))
        parts += _delta_lines(solution, d, head, full, lang, head)
    return parts


_STATE_TEX = {
    "m": "m",
    "v": "v",
    "m_hat": r"\hat{m}",
    "v_hat": r"\hat{v}",
    "g": "g",
    "l2_term": r"\lambda",
    "buffer": "b",
}


def updates(solution: TensorSolution, lang: str, full: bool) -> list:
    rule = solution.problem.update
    title = say(lang, "update_rule", opt=optimizer(rule.optimizer, lang), lr=fmt(rule.lr))
    rows, lines = [], []
    for u in solution.updates:
        name = latex_name(u.name)
        rows.append(
            [
                Math(name),
                Code(u.name),
                shape_text(u.old.shape, lang),
                Code(compact(u.old)),
                Code(compact(u.grad)),
                Code(compact(u.new)),
            ]
        )
        if rule.optimizer == "sgd" and not u.state:
            lead = f"{name}' = {name} - {tex_number(rule.lr)} \\, {partial_tex('L', u.name)}"
        else:
            lead = f"{name}'"
        lines += value_lines(f"{name}'", u.new, lead, full, lang)
        for key, value in u.state.items():
            if key == "uncorrected":
                continue
            symbol = _STATE_TEX.get(key) or rf"\mathrm{{{key}}}"
            lines += value_lines(f"{symbol}_{{{name}}}", value, f"{symbol}_{{{name}}}", full, lang)
    header = [
        say(lang, "param"),
        say(lang, "id"),
        say(lang, "shape"),
        say(lang, "old"),
        say(lang, "gradient"),
        say(lang, "new"),
    ]
    return [heading(2, title), table(header, rows)] + lines


def verdict(solution: TensorSolution, lang: str) -> list:
    a, b = solution.loss, solution.after_loss
    down = b is not None and b < a
    return [
        Para(
            inline(
                say(
                    lang,
                    "loss_sentence",
                    a=fmt(a),
                    b=fmt(b),
                    verdict=say(lang, "down" if down else "up"),
                )
            )
        )
    ] + inactive_paras(solution, lang)


def checks(solution: TensorSolution, lang: str) -> list:
    """The published answers checked, as in every document (`document.errata`)."""
    from tutor.views.document import errata

    return errata(solution, lang)


# --------------------------------------------------------------------------- documents


def document(solution: TensorSolution, lang: str = "en", full: bool = False) -> list:
    """The whole worked solution as blocks: statement, given values, forward pass with
    shapes, loss, δ of every node with its rule, the gradients, |δ| per layer (deep networks),
    the update and the loss after it, the published answers checked. Kept in the user's
    cache directory, as a scalar solution's document is (`export.document`)."""
    from tutor.cache import cached_object

    return cached_object(
        "tensor-document", (solution, lang, full), lambda: _document(solution, lang, full)
    )


def _document(solution: TensorSolution, lang: str, full: bool) -> list:
    p = solution.problem
    parts = front(p, lang) + given(solution, lang, full) + forward(solution, lang, full)
    parts += loss(solution, lang)
    if "gradients" in p.asks:
        parts += deltas(solution, lang, full) + gradients(solution, lang, full)
        parts += gradients(solution, lang, full, "inputs")
        if len(_layer_nodes(p)) >= MIN_LAYERS:
            parts += norms_blocks(solution, lang)
    if "parameters" in p.asks:
        from tutor.views.document import parameters

        parts += parameters(solution, lang)
    if solution.updates:
        parts += updates(solution, lang, full) + forward(solution, lang, full, after=True)
        parts += verdict(solution, lang)
    return parts + checks(solution, lang)


def handout(problem, lang: str = "en") -> list:
    """The problem without answers: statement, the given values with their shapes, asked."""
    from tutor.text.messages import asked

    asks = listed((asked(a, lang) for a in problem.asks), lang)
    solution = TensorSolution(problem, (), float("nan"), (), {})
    return (
        front(problem, lang)
        + given(solution, lang, False)
        + [Para(inline(Strong(say(lang, "to_find") + colon(lang).rstrip()), " ", asks))]
    )


def answer_key(solution: TensorSolution, lang: str = "en", full: bool = False) -> list:
    """The worked solution headed as the answer key of its handout."""
    parts = document(solution, lang, full)
    title = parts[0]
    return [replace(title, inline=title.inline + (f" — {say(lang, 'answer_key')}",))] + parts[1:]


def markdown(solution: TensorSolution, lang: str = "en", full: bool = False) -> str:
    """The worked solution as Markdown (LaTeX between `$`, as `export.markdown` writes)."""
    return to_markdown(document(solution, lang, full))


def html(solution: TensorSolution, lang: str = "en", full: bool = False) -> str:
    """The worked solution as a self-contained HTML page (MathML), as `html_export` writes."""
    from tutor.views.html import page

    return page(document(solution, lang, full), lang)


def either(scalar, tensor):
    """A writer (`writer(x, lang) -> text`) that sends a tensor solution or problem to
    `tensor` and anything else to `scalar`: how `export` serves both kinds."""

    def write(x, lang: str) -> str:
        problem = getattr(x, "problem", x)
        return (tensor if problem.tensor else scalar)(x, lang)

    return write


WRITERS = {  # format -> (solution, handout, answer key) of a tensor problem
    "md": (
        markdown,
        lambda p, lang: to_markdown(handout(p, lang)),
        lambda s, lang: to_markdown(answer_key(s, lang)),
    ),
    "html": (
        html,
        lambda p, lang: _page(handout(p, lang), lang),
        lambda s, lang: _page(answer_key(s, lang), lang),
    ),
}


def _page(blocks: list, lang: str) -> str:
    from tutor.views.html import page

    return page(blocks, lang)


@dataclass(frozen=True)
class Writers:
    """What `export` writes in one format: `solution(s, lang)`, `handout(problem, lang)`,
    `key(s, lang)` for either kind of problem, and `index(solutions, lang, key=...)`."""

    solution: Callable
    handout: Callable
    key: Callable
    index: Callable


def writers(format_: str) -> Writers:
    """`export`'s writers in `format_` (md or html): a tensor solution or problem goes to
    this module's (`WRITERS`), any other to `document`'s or `html`'s."""
    from tutor.views import document as md

    if format_ == "html":
        from tutor.views import html as web

        scalar = (web.solution_page, web.handout_page, web.key_page)
        index = web.index_page
    else:
        scalar = (
            md.markdown,
            lambda p, lang: md.to_markdown(md.handout(p, lang)),
            lambda s, lang: md.to_markdown(md.answer_key(s, lang)),
        )
        index = md.index
    both = (either(a, b) for a, b in zip(scalar, WRITERS[format_], strict=True))
    return Writers(*both, index=index)
