"""Rich renderables for tensor problems: the matrix view of a `TensorSolution`.

The course writes a network with matrices: z1 = W1 x + b1 (4×1), δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾) ⊙
f′(z⁽ˡ⁾), ∂L/∂W⁽ˡ⁾ = δ⁽ˡ⁾ a⁽ˡ⁻¹⁾ᵀ. This module shows a solution that way: every value as a
bracketed matrix (elided with ⋯ and ⋮ past six rows or columns unless `full`), C×H×W maps and
kernels as one grid per channel, each δ with its rule written from the equation's op tree
(σ′ with the node's own output, p − y where softmax meets cross-entropy), a shared weight's
gradient as the sum of its uses, the update table and the published checks. `element_chain`
zooms into one entry (`--at dL/dW1[2,3]`): the same rule, one scalar at a time.

Renderables only describe output; the CLI prints them. Words in en and zh are in the catalogue
(tutor/text/messages.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich import box
from rich.console import Group
from rich.markup import escape
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from tutor.text import messages
from tutor.text.messages import say
from tutor.text.notation import fmt
from tutor.views.tables import FastTable
from tutor.views.terminal import FittingTable, inactive_lines, parameter_table, titled_panel

MAX_SHOWN = 6  # rows or columns of a matrix shown before it is elided (unless --full)

_SUP = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def sup(layer) -> str:
    """⁽²⁾ for layer 2, ⁽ᴸ⁾ and ⁽ˡ⁾ for the letters."""
    return (
        "⁽"
        + {"L": "ᴸ", "l": "ˡ", "l+1": "ˡ⁺¹", "l-1": "ˡ⁻¹"}.get(
            str(layer), str(layer).translate(_SUP)
        )
        + "⁾"
    )


def number(value, digits: int = 4) -> str:
    """One entry as the matrices print it: 4 significant figures, a true minus sign."""
    return fmt(float(value), digits, group=False).replace("-", "−")


def shape_text(shape: tuple, lang: str = "en") -> str:
    """`4×1`, or the word for a tensor of no axes (the loss) in `lang`."""
    return "×".join(str(n) for n in shape) if shape else say(lang, "scalar")


# --------------------------------------------------------------------------- matrices


def _kept(n: int, full: bool) -> list[int | None]:
    """Indices shown along an axis of n: all, or the first 3, None (elided), the last 2."""
    if full or n <= MAX_SHOWN:
        return list(range(n))
    return [0, 1, 2, None, n - 2, n - 1]


def _bracketed(a: np.ndarray, full: bool) -> Text:
    rows, cols = _kept(a.shape[0], full), _kept(a.shape[1], full)
    cells = [
        [
            ("⋮" if r is None else "")
            if c is None and r is None
            else "⋯"
            if c is None
            else "⋮"
            if r is None
            else number(a[r, c])
            for c in cols
        ]
        for r in rows
    ]
    widths = [max(len(row[k]) for row in cells) for k in range(len(cols))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(row, widths)) for row in cells]
    if len(lines) == 1:
        return Text(f"[ {lines[0]} ]")
    edges = [("⎡", "⎤")] + [("⎢", "⎥")] * (len(lines) - 2) + [("⎣", "⎦")]
    return Text("\n".join(f"{l} {line} {r}" for (l, r), line in zip(edges, lines)))


class Beside:
    """`left` beside `right` (a name and its matrix, a channel and its grid) where both fit
    the width, else `left` above `right` indented: a matrix's rows are never wrapped."""

    def __init__(self, left, right, gap: int = 1, indent: int = 2, middle: bool = True):
        self.left, self.right = left, right
        self.gap, self.indent, self.middle = gap, indent, middle

    def _grid(self) -> Table:
        grid = FastTable.grid(padding=(0, self.gap))
        grid.add_column(no_wrap=True, vertical="middle" if self.middle else "top")
        grid.add_column()
        grid.add_row(self.left, self.right)
        return grid

    def __rich_console__(self, console, options):
        from rich.measure import Measurement

        wide = options.update_width(10_000)  # a measurement is clamped to the width given
        left = Measurement.get(console, wide, self.left).maximum
        right = Measurement.get(console, wide, self.right).maximum
        if left + self.gap + right <= options.max_width:
            yield self._grid()
            return
        yield self.left
        yield Padding(self.right, (0, 0, 0, self.indent))

    def __rich_measure__(self, console, options):
        from rich.measure import Measurement

        return Measurement.get(console, options, self._grid())


def matrix(value, full: bool = False, lang: str = "en"):
    """A value as the course prints it: a number, a bracketed matrix (a vector is a column),
    or one grid per channel of a C×H×W map (per output and input channel of a kernel)."""
    a = np.asarray(value, dtype=float)
    if a.ndim == 0 or a.size == 1 and a.ndim <= 2 and a.shape == (1, 1) and False:
        return Text(number(a))
    if a.ndim == 0:
        return Text(number(a))
    if a.ndim == 1:
        return _bracketed(a.reshape(-1, 1), full)
    if a.ndim == 2:
        return _bracketed(a, full)
    rows: list = []
    if a.ndim == 3:
        for c in _kept(a.shape[0], full):
            if c is None:
                rows.append(Text("⋮"))
                continue
            label = Text(say(lang, "channel", c=c + 1), style="dim")
            rows.append(Beside(label, _bracketed(a[c], full), gap=2, middle=False))
        return Group(*rows)
    for o in _kept(a.shape[0], full):
        for i in _kept(a.shape[1], full):
            if o is None or i is None:
                rows.append(Text("⋮"))
                continue
            label = Text(say(lang, "kernel", o=o + 1, i=i + 1), style="dim")
            rows.append(Beside(label, _bracketed(a[o, i], full), gap=2, middle=False))
    return Group(*rows)


def inline(value, full: bool = False) -> str:
    """A value on one line, as a file writes it: [1, 0.5, −1] for a column vector,
    [[0.2, −0.1], [0.4, 0.5]] for a matrix (elided with ⋯ past six unless `full`)."""
    a = np.asarray(value, dtype=float)
    if a.ndim == 0:
        return number(a)
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim == 1:
        return (
            "[" + ", ".join("⋯" if i is None else number(a[i]) for i in _kept(len(a), full)) + "]"
        )
    return (
        "["
        + ", ".join("⋯" if i is None else inline(a[i], full) for i in _kept(a.shape[0], full))
        + "]"
    )


def _equals(left: str, value, full: bool, lang: str, style: str = "") -> Beside:
    """`left = matrix`, the matrix beside its name (a tall one centred by its own lines), or
    under it where the two do not fit side by side."""
    return Beside(Text(left, style=style), matrix(value, full, lang))


# --------------------------------------------------------------------------- statement


def statement_text(problem, lang: str = "en", full: bool = False) -> str:
    """The statement with `{W1}` written as [[0.2, −0.1], [0.4, 0.5]] (a network's `{W1_2_3}`
    as that entry's number), hard-wrapped lines joined."""
    from tutor.solutions.explain import reflow
    from tutor.text.notation import PLACEHOLDER

    values = problem.leaves
    shapes = {n: v.shape for n, v in values.items()}

    def repl(m) -> str:
        if not m[1]:
            return m[0][0]
        if m[1] in values:
            return inline(values[m[1]], full)
        if problem.extra.get("network"):  # a network's entry by its scalar name: {W1_2_3}
            from tutor.problems.network import entry

            found = entry(m[1], shapes)
            if found is not None:
                name, index = found
                return inline(values[name][tuple(i - 1 for i in index)], full)
        return m[0]

    return reflow(PLACEHOLDER.sub(repl, problem.statement.get(lang)))


ROLES = (("inputs", "input"), ("targets", "target"), ("params", "param"), ("constants", "constant"))


def statement(problem, lang: str = "en", full: bool = False) -> Group:
    """Title, statement and the given tensors with their shapes: what `show` prints."""
    head = titled_panel(
        escape(statement_text(problem, lang, full)),
        f"[bold]{escape(problem.id)}[/]: {escape(problem.title.get(lang))}",
    )
    table = FastTable(title=say(lang, "given"), box=box.SIMPLE, title_justify="left")
    table.add_column(say(lang, "name"), style="bold")
    table.add_column(say(lang, "role"))
    table.add_column(say(lang, "shape"))
    table.add_column(say(lang, "value"))
    from tutor.language.matrix_expr import text

    ties = dict(problem.extra.get("ties", ()))
    for group, role in ROLES:
        for name, value in getattr(problem, group).items():
            said = say(lang, role)
            if name in ties:  # the file ties it to others (`Wr1: 2 * Wh1`)
                said += f"\n= {text(ties[name])}"
            table.add_row(name, said, shape_text(np.shape(value), lang), matrix(value, full, lang))
    return Group(head, table)


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class Layer:
    """z = W prev + b, a = f(z), as the course numbers them (l from 1)."""

    l: int
    z: str
    w: str
    prev: str
    b: str | None
    a: str
    function: str  # a registry name, "softmax" or "linear"


def layers(problem) -> list[Layer]:
    """The layered chain of a problem, if its graph is one (the first, if it has several)."""
    found = chains(problem)
    return found[0] if found else []


def chains(problem) -> list[list[Layer]]:
    """The layered chains of a problem: z⁽ˡ⁾ = W⁽ˡ⁾ a⁽ˡ⁻¹⁾ + b⁽ˡ⁾, a⁽ˡ⁾ = f(z⁽ˡ⁾),
    each a read by the next layer only, the first layer reading a given value. Several when
    the problem puts chains side by side (ex25's sigmoid and ReLU chains); none when a link
    of a chain is read elsewhere too."""
    graph = list(problem.graph)
    nodes = {q.name for q in graph}
    found: list[list[Layer]] = []
    for k, eq in enumerate(graph):
        e = eq.expr
        bias = None
        if e.kind == "add" and e.args[1].kind == "name" and e.args[1].name in problem.params:
            bias, e = e.args[1].name, e.args[0]
        if not (
            e.kind == "matmul"
            and e.args[0].kind == "name"
            and e.args[1].kind == "name"
            and e.args[0].name in problem.params
        ):
            continue
        source = e.args[1].name
        current = found[-1] if found else None
        extends = current is not None and source == current[-1].a
        if not extends and source in nodes:
            continue
        if k + 1 >= len(graph):
            break
        function = _activation(graph[k + 1].expr, eq.name)
        if function is None:
            continue
        if not extends:
            found.append([])
        chain = found[-1]
        chain.append(
            Layer(
                len(chain) + 1, eq.name, e.args[0].name, source, bias, graph[k + 1].name, function
            )
        )
    readers: dict[str, list[str]] = {q.name: [] for q in graph}  # one pass: linear
    for r in graph:
        for n in r.expr.names() & nodes:
            readers[n].append(r.name)  # in the graph's order, as r runs through it
    return [
        chain
        for chain in found
        if all(readers.get(lower.a) == [upper.z] for lower, upper in zip(chain, chain[1:]))
    ]


def _activation(nxt, z: str) -> str | None:
    """The activation a node applies to z (`linear` for z itself), or None."""
    if nxt.kind == "name" and nxt.name == z:
        return "linear"
    if (
        len(nxt.args) == 1
        and nxt.args[0].kind == "name"
        and nxt.args[0].name == z
        and not nxt.ints
        and nxt.kind not in ("sum", "mean", "T", "transpose", "neg", "flatten", "log_softmax")
    ):
        return nxt.kind
    return None


def layer_rules(solution) -> dict[str, str]:
    """name -> the course's form of its rule for each layered δ and parameter gradient:
    δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾) ⊙ f′(z⁽ˡ⁾), ∂L/∂W⁽ˡ⁾ = δ⁽ˡ⁾ a⁽ˡ⁻¹⁾ᵀ. The rule trees of this
    problem, printed with the course's names (`Style.rename`); the activation's factor
    written f′(z⁽ˡ⁾) (its derivative op), the layer above's Wᵀδ its own term's tree."""
    out: dict[str, str] = {}
    for chain in chains(solution.problem):  # ex25: each of its three chains
        out.update(_chain_rules(solution, chain))
    return out


def _chain_rules(solution, chain: list[Layer]) -> dict[str, str]:
    from tutor.language.matrix_expr import Op, Style, grad, text
    from tutor.language.matrix_expr import name as name_op
    from tutor.registry.ops import OPS

    last = chain[-1].l
    targets = list(solution.problem.targets)

    def names(k: int) -> dict[str, str]:
        """Layer k's names as the course writes them, with the layer above's (a weight shared
        by several layers is W⁽ˡ⁾ in each: one layer at a time)."""
        out: dict[str, str] = {}
        for layer in chain[k : k + 2]:
            l = sup(layer.l)
            out.update({layer.z: f"z{l}", layer.w: f"W{l}", layer.a: f"a{l}"})
            out[f"δ({layer.z})"] = f"δ{l}"
            if layer.b is not None:
                out[layer.b] = f"b{l}"
        layer = chain[k]
        out[layer.prev] = "x" if k == 0 else f"a{sup(layer.l - 1)}"
        if len(targets) == 1:
            out[targets[0]] = "y"
        if layer.l == last:
            out.update({layer.a: f"a{sup('L')}", layer.z: f"z{sup('L')}"})
            out[f"δ({layer.a})"] = f"∂L/∂a{sup('L')}"
        return out

    def shown(tree, k: int) -> str:
        base = solution.style or Style()
        return text(tree, Style(base.nodes, base.loss, base.shapes, names(k)))

    def term(name: str, via: str):
        terms = solution.delta(name).terms
        return next((t.tree for t in terms if t.via == via), None) if len(terms) == 1 else None

    out = {}
    for k, layer in enumerate(chain):
        d = f"δ{sup(layer.l)}"
        prime = None
        if layer.function not in ("linear", "softmax") and f"d_{layer.function}" in OPS:
            prime = Op(f"d_{layer.function}", (name_op(layer.z), name_op(layer.a)))
        course = None
        if layer.l == last:
            found = solution.fused_term(layer.z)
            left = f"{d} = δ{sup('L')} = "
            if found is not None:
                course = left + shown(found[1].tree, k)
            elif layer.function == "linear":
                course = left + shown(grad(layer.a), k)
            elif prime is not None:
                course = left + shown(Op("mul", (grad(layer.a), prime)), k)
        else:
            back = term(layer.a, chain[k + 1].z)
            if back is not None and layer.function == "linear":
                course = f"{d} = " + shown(back, k)
            elif back is not None and prime is not None:
                course = f"{d} = " + shown(Op("mul", (back, prime)), k)
        if course is not None:
            out[layer.z] = course
        for param in (layer.w, layer.b):  # a weight shared by several layers: none
            tree = term(param, layer.z) if param is not None else None
            if tree is not None:
                out[param] = f"∂L/∂{names(k)[param]} = " + shown(tree, k)
    return out


# --------------------------------------------------------------------------- sections


def _marks(solution, name: str, kind: str) -> str:
    """✓ when every published answer about `name` (of this kind) agrees, ✗ with the
    disagreeing keys otherwise; '' when nothing was published (`explain.with_errata` names the
    tensor each check is about)."""
    mine = [
        c
        for c in solution.checks
        if c.shown
        and c.node == name
        and c.quantity is not None
        and c.quantity.kind == kind
        and not c.quantity.optimizer
    ]
    if not mine:
        return ""
    bad = [c for c in mine if not c.ok]
    if not bad:
        return " [green]✓[/]"
    if all(c.kind == "rounded" for c in bad):
        return (
            " [yellow]≈ "
            + escape(", ".join(f"{c.quantity.text} = {c.published}" for c in bad))
            + "[/]"
        )
    return (
        " [bold red]✗ "
        + escape(", ".join(f"{c.quantity.text} = {c.published}" for c in bad))
        + "[/]"
    )


def forward(solution, lang: str = "en", full: bool = False, after: bool = False) -> Group:
    steps = solution.after if after else solution.forward
    parts: list = [Text(say(lang, "after" if after else "forward"), style="bold underline")]
    kind = "after" if after else "value"
    for step in steps:
        head = f"[bold]{escape(step.name)}[/] = {escape(step.text)}   [dim]({shape_text(step.shape, lang)})[/]"
        parts.append(Text.from_markup(head + _marks(solution, step.name, kind)))
        parts.append(Padding(_equals(f"{step.name} =", step.value, full, lang), (0, 0, 0, 4)))
        remark = None if after else solution.problem.remark(step.name)
        if remark is not None:  # the author's word on it (the file's `remarks:`)
            parts.append(Padding(Text("※ " + remark.get(lang), style="italic"), (0, 0, 0, 2)))
    x = next(iter(solution.problem.inputs.values()), None)
    if x is not None and np.ndim(x) == 2 and np.shape(x)[1] > 1 and not after:
        parts.insert(1, Text(say(lang, "batch", n=np.shape(x)[1]), style="dim"))
    return Group(*parts)


def loss_line(solution, lang: str = "en") -> Text:
    p = solution.problem
    colon = messages.colon(lang)
    text = f"[bold]{escape(say(lang, 'loss'))}{colon}{escape(p.loss)} = {fmt(solution.loss)}[/]"
    return Text.from_markup(text + _marks(solution, p.loss, "value"))


def layer_table(solution, lang: str = "en") -> Table | None:
    """Each layer as the course writes it beside this problem's names; chains side by side
    (ex25) one after another, a line between them."""
    found = chains(solution.problem)
    if not found:
        return None
    table = FittingTable(title=say(lang, "layers"), box=box.SIMPLE_HEAVY, title_justify="left")
    table.add_column("l")
    table.add_column(say(lang, "course"))
    table.add_column(say(lang, "here"))
    for k, chain in enumerate(found):
        if k:
            table.add_section()
        _layer_rows(table, solution, chain, lang)
    return table


def _layer_rows(table, solution, chain: list[Layer], lang: str) -> None:
    for layer in chain:
        l = sup(layer.l)
        prev = "x" if layer.l == 1 else f"a{sup(layer.l - 1)}"
        b = f" + b{l}" if layer.b else ""
        z_shape = shape_text(solution.value(layer.z).shape, lang)
        f = (
            ""
            if layer.function == "linear"
            else ("σ" if layer.function == "sigmoid" else layer.function)
        )
        a = f"a{l} = {f}(z{l})" if f else f"a{l} = z{l}"
        table.add_row(
            str(layer.l),
            f"z{l} = W{l}{prev}{b}   ({z_shape})",
            f"{layer.z} = {layer.w} {layer.prev}{' + ' + layer.b if layer.b else ''}; "
            f"{layer.a} = {a.split(' = ')[1].replace('z' + l, layer.z)}",
        )


def rule_text(solution, name: str) -> str:
    """∂L/∂name's rule as printed from its tree (the sum of its terms), or 0."""
    from tutor.language.matrix_expr import text

    tree = solution.rule(name)
    return "0" if tree is None else text(tree, solution.style)


def backward(solution, lang: str = "en", full: bool = False) -> Group:
    """δ of every node from the loss back, then each parameter's gradient: the rule (the
    course's layer form under it where the graph is layered), its numbers, its shape."""
    from tutor.engine.matrix_solve import delta_name

    p = solution.problem
    course = layer_rules(solution)
    parts: list = [Text(say(lang, "backward"), style="bold underline")]
    parts.append(
        Text.from_markup(
            f"[bold]δ({escape(p.loss)})[/] = ∂{escape(p.loss)}/∂"
            f"{escape(p.loss)} = 1   [dim]{escape(say(lang, 'loss_delta'))}[/]"
        )
    )
    from tutor.engine.tensor import unread_nodes

    unread = unread_nodes(p)
    for d in solution.deltas:
        if d.name in unread:
            continue  # said once, below
        left = delta_name(d.name, d.node)
        shape = shape_text(d.value.shape, lang)
        rule = rule_text(solution, d.name)
        head = f"[bold]{escape(left)}[/] = {escape(rule)}   [dim]({shape})[/]"
        lines: list = [Text.from_markup(head + _marks(solution, d.name, "gradient"))]
        if d.name in course:
            lines.append(Text(course[d.name], style="dim"))
        found = solution.fused_term(d.name)
        if found is not None:
            key = "fused_sigmoid" if found[0].function == "sigmoid" else "fused"
            lines.append(Text(say(lang, key, rule=found[1].rule), style="dim"))
        if len(d.terms) > 1:
            lines.append(Text(say(lang, "shared_uses", name=d.name, n=len(d.terms)), style="dim"))
            for term in d.terms:
                lines.append(
                    Padding(
                        _equals(
                            f"{say(lang, 'via', node=term.via)}: {term.rule} =",
                            term.value,
                            full,
                            lang,
                        ),
                        (0, 0, 0, 2),
                    )
                )
        lines.append(Padding(_equals(f"{left} =", d.value, full, lang), (0, 0, 0, 4)))
        remark = p.remark(f"d{p.loss}/d{d.name}")
        if remark is not None:
            lines.append(Padding(Text("※ " + remark.get(lang), style="italic"), (0, 0, 0, 2)))
        parts.append(Group(*lines))
    if unread:
        names = ", ".join(n for n in (d.name for d in solution.deltas) if n in unread)
        parts.append(Text(say(lang, "unread_nodes", names=names), style="dim"))
    return Group(*parts)


def update_table(solution, lang: str = "en", full: bool = False) -> Group:
    """Per parameter: old, gradient, (the optimizer's state), new, side by side where the
    console is wide enough, one under the other where it is not."""
    from rich.columns import Columns

    from tutor.text.messages import optimizer

    rule = solution.problem.update
    opt = optimizer(rule.optimizer if rule else "sgd", lang)
    parts: list = [
        Text(
            say(lang, "update_rule", opt=opt, lr=fmt(rule.lr if rule else 0.1)),
            style="bold underline",
        )
    ]
    for u in solution.updates:
        cells = [(say(lang, "old"), u.old), (say(lang, "gradient"), u.grad)]
        cells += [(k, v) for k, v in u.state.items()]
        cells.append((say(lang, "new"), u.new))
        blocks = [Group(Text(title, style="dim"), matrix(v, full, lang)) for title, v in cells]
        mark = _marks(solution, u.name, "after")
        parts.append(Text.from_markup(f"[bold]{escape(u.name)}[/]" + mark))
        parts.append(Padding(Columns(blocks, padding=(0, 3)), (0, 0, 0, 4)))
    if rule is None or rule.optimizer == "sgd":
        parts.append(Text(say(lang, "sgd_rule"), style="dim"))
    return Group(*parts)


def verdict_line(solution, lang: str = "en") -> Text:
    a, b = solution.loss, solution.after_loss
    down = b is not None and b < a
    verdict = say(lang, "down" if down else "up")
    colour = "green" if down else "red"
    text = say(lang, "before_after", a="\0a", b="\0b", verdict="\0v")
    body = escape(text).replace("\0a", f"[bold]{fmt(a)}[/]")
    body = body.replace(
        "\0b", f"[bold]{fmt(b)}[/]" + _marks(solution, solution.problem.loss, "after")
    )
    return Text.from_markup(body.replace("\0v", f"[bold {colour}]{escape(verdict)}[/]"))


def checks(solution, lang: str = "en"):
    """The published answers' table, as in every view (`terminal.errata_table`)."""
    from tutor.views.terminal import errata_table

    return errata_table(solution, lang)


def solution_steps(solution, lang: str = "en", full: bool = False) -> list:
    """The worked solution in the matrix view, one renderable per section."""
    p = solution.problem
    steps: list = [statement(p, lang, full), forward(solution, lang, full)]
    if "loss" in p.asks or "gradients" in p.asks:
        steps.append(loss_line(solution, lang))
    if "gradients" in p.asks:
        table = layer_table(solution, lang)
        if table is not None:
            steps.append(table)
        steps.append(backward(solution, lang, full))
        steps += norms(solution, lang)
    if "parameters" in p.asks:
        steps.append(parameter_table(solution, lang))
    if solution.updates:
        steps += [
            update_table(solution, lang, full),
            forward(solution, lang, full, after=True),
            verdict_line(solution, lang),
            *inactive_lines(solution, lang),
        ]
    steps.append(checks(solution, lang))
    return steps


def norms(solution, lang: str = "en") -> list:
    """|δ⁽ˡ⁾| per layer as a table and a bar chart, for a network of three layers or more:
    where a deep sigmoid chain's gradient vanishes, a picture says it at once."""
    from tutor.views.matrix_document import delta_norms, delta_steps, norms_table

    rows = delta_norms(solution)
    if len(rows) < 3:
        return []
    shapes = {name: solution.delta(name).value.shape for name, _ in rows}
    steps = delta_steps(solution, rows)
    return [norms_table(rows, lang, shapes, steps), _FittedChart(rows, lang)]


class _FittedChart:
    """The |δ| bar chart with its bars as long as the width allows (at most 40 cells), so that
    a narrow terminal draws shorter bars rather than cutting the longest."""

    def __init__(self, rows, lang: str):
        self.rows, self.lang = rows, lang

    def __rich_console__(self, console, options):
        from rich.measure import Measurement

        from tutor.views.matrix_document import norms_chart

        full = norms_chart(self.rows, self.lang)
        wide = options.update_width(10_000)
        spare = options.max_width - Measurement.get(console, wide, full).maximum
        yield full if spare >= 0 else norms_chart(self.rows, self.lang, width=max(8, 40 + spare))


# --------------------------------------------------------------------------- one entry


def _ix(index: tuple, shape: tuple) -> str:
    """[2] for a column vector's entry, [2,3] for a matrix's, '' for a scalar (1-based)."""
    if not shape:
        return ""
    if len(shape) == 2 and shape[1] == 1:
        return f"[{index[0] + 1}]"
    return "[" + ",".join(str(i + 1) for i in index) + "]"


def _num(v: float) -> str:
    shown = number(v)
    return f"({shown})" if shown.startswith("−") else shown


@dataclass(frozen=True)
class ChainLine:
    """One entry of a δ or gradient from its rule: `left = formula` (the rule at the entry's
    index, each Σ over named indices), `= terms` (every Σ written out: the entries it adds;
    None when that is the formula), `= numbers`, `= value` (the written-out entries
    evaluated); `general` (the rule at any index, indices from 0, as the seed writes it: on
    the first line); the terms that are 0 by reason; the upstream δ entries it reads."""

    left: str
    formula: str
    numbers: str
    value: float
    upstream: tuple[tuple[str, tuple], ...]
    terms: str | None = None
    general: str | None = None
    zeros: tuple[tuple[str, int], ...] = ()
    expanded: object = None  # entries.Scalar, written out


def _parse_at(solution, key: str) -> tuple[str, tuple]:
    from tutor.problems.matrix_loader import _KEY

    p = solution.problem
    m = _KEY.fullmatch(key.strip())
    if m is None or m["after"] or not m["of"] or m["of"] != p.loss:
        raise ValueError(f"write a gradient entry such as d{p.loss}/dW1[2,3] (1-based)")
    name = m["name"]
    if name == p.loss or name not in solution.grads:
        raise ValueError(f"'{name}' is neither a given value nor a node of {p.id}")
    shape = solution.grads[name].shape
    if m["index"]:
        index = tuple(int(i) for i in m["index"].split(","))
    else:
        index = (1,) * len(shape) if all(n == 1 for n in shape) else None
    if index is not None and len(shape) == 2 and shape[1] == 1 and len(index) == 1:
        index = (index[0], 1)
    if (
        index is None
        or len(index) != len(shape)
        or any(not 1 <= i <= n for i, n in zip(index, shape))
    ):
        raise ValueError(
            f"index [{m['index'] or ''}] is outside '{name}', a "
            f"{shape_text(shape)} tensor (1-based)"
        )
    return name, tuple(i - 1 for i in index)


MAX_CHAIN_LINES = 12


class _Entries:
    """The solution's rules expanded entry by entry (tutor/entries.py)."""

    def __init__(self, solution):
        from tutor.engine import rules

        p = solution.problem
        self.solution = solution
        self.values = {**p.leaves, **{s.name: s.value for s in solution.forward}}
        self.grads = solution.grads
        self.shapes = rules.Shapes({n: np.shape(v) for n, v in self.values.items()})
        style = solution.style
        self.nodes = style.nodes if style is not None else frozenset()
        self.memo: dict = {}

    def label(self, name: str, grad: bool) -> str:
        from tutor.engine.matrix_solve import delta_name

        return delta_name(name, name in self.nodes) if grad else name

    def tensor(self, op):
        from tutor.engine import rules

        return rules.evaluate(op, self.values, self.grads, self.memo)

    def printer(self, numbers: bool = False, one_based: bool = True):
        from tutor.engine.entries import Printer

        if numbers:
            return Printer(self.label, _num, True, self.values, self.grads)
        return Printer(self.label, _num, one_based)

    def line(self, name: str, at: tuple, general: bool) -> ChainLine:
        from tutor.engine.entries import Expander, Ix, index_names, refs, value, written_out
        from tutor.engine.matrix_solve import delta_name

        d = self.solution.delta(name)
        left = delta_name(name, d.node) + _ix(at, d.value.shape)
        tree = self.solution.rule(name)
        if tree is None:
            return ChainLine(left, "0", "0", 0.0, ())
        expanded = Expander(self.shapes).expand(tree, tuple(Ix.of(i) for i in at))
        formula = self.printer().show(expanded)
        out = written_out(expanded, self.tensor)
        terms = self.printer().show(out.scalar)
        numbers = self.printer(numbers=True).show(out.scalar)
        total = value(out.scalar, self.values, self.grads, self.memo)
        ups = []
        for r in refs(out.scalar):
            key = (r.name, tuple(int(ix.const) for ix in r.index))
            if r.grad and r.name in self.nodes and key not in ups:
                ups.append(key)
        shown_general = None
        if general and d.value.shape:
            shape = d.value.shape
            names = index_names(shape)
            column = len(shape) == 2 and shape[1] == 1  # a vector's entry: [i]
            ranges = {v: n for k, (v, n) in enumerate(zip(names, shape)) if not column or k == 0}
            index = tuple(Ix.var(v) if v in ranges else Ix.of(0) for v in names)
            whole = Expander(self.shapes, ranges, general=True).expand(tree, index)
            shown_general = (
                f"{delta_name(name, d.node)}[{','.join(ranges)}] = "
                f"{self.printer(one_based=False).show(whole)}"
            )
        return ChainLine(
            left,
            formula,
            numbers,
            total,
            tuple(ups),
            terms if terms != formula else None,
            shown_general,
            tuple(sorted(out.zeros.items())),
            out.scalar,
        )


def element_lines(solution, key: str) -> list[ChainLine]:
    """The chain of one entry from the rule trees, from the asked entry back towards the
    loss (each upstream δ entry explained once; at most MAX_CHAIN_LINES lines)."""
    p = solution.problem
    name, index = _parse_at(solution, key)
    entries = _Entries(solution)
    todo, seen, lines = [(name, index)], set(), []
    while todo and len(lines) < MAX_CHAIN_LINES:
        n, at = todo.pop(0)
        if (n, at) in seen or n == p.loss:
            continue
        seen.add((n, at))
        line = entries.line(n, at, general=not lines)
        lines.append(line)
        todo += [u for u in line.upstream if u not in seen]
    return lines


def element_chain(solution, key: str, lang: str = "en"):
    """`solve --at dL/dW1[2,3]`: the entry's scalar chain, each line `left = formula =
    (terms =) numbers = value`, the terms that are 0 named."""
    from tutor.errors import InputError

    try:
        lines = element_lines(solution, key)
    except ValueError as e:
        raise InputError(f"--at {key}: {e}") from None
    return chain_view(lines, key, lang)


def chain_view(lines: list[ChainLine], key: str, lang: str = "en"):
    """The lines of an entry's chain (`element_lines`) as `solve --at` prints them: worked
    out once, shown in each language."""
    parts: list = [Text(say(lang, "at_title", entry=key.strip()), style="bold underline")]
    for line in lines:
        grid = FastTable.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column()
        if line.general is not None:
            left, formula = line.general.split(" = ", 1)
            parts.append(Text(say(lang, "index_form"), style="dim"))
            grid.add_row(Text(left, style="dim"), Text(f"= {formula}", style="dim"))
        grid.add_row(Text(line.left, style="bold"), Text(f"= {line.formula}"))
        if line.formula == number(line.value) and line.terms is None:
            parts.append(grid)  # a number: nothing to work out (the loss's own δ of a sum)
            continue
        if line.terms is not None:
            grid.add_row("", Text(f"= {line.terms}"))
        if line.numbers not in (line.formula, line.terms):
            grid.add_row("", Text(f"= {line.numbers}"))
        grid.add_row("", Text(f"= {number(line.value)}", style="bold"))
        for reason, count in line.zeros:
            key = "zero" if count == 1 else "zeros"
            grid.add_row("", Text(say(lang, key, n=count, why=say(lang, reason)), style="dim"))
        parts.append(grid)
    return Group(*parts)
