"""Rich renderables for problems and solutions. They describe output; the CLI prints them."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich import box
from rich.console import Group
from rich.markup import escape
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text as RichText
from rich.tree import Tree

from tutor.model import Problem, ProblemInfo, Quantity
from tutor.text import linebreak
from tutor.text.messages import (
    asked,
    colon,
    forward_title,
    kind,
    listed,
    say,
    state_heading,
    update_title,
)
from tutor.text.messages import note as note_text
from tutor.text.messages import optimizer as optimizer_name
from tutor.text.messages import reason as reason_text
from tutor.text.notation import IDENT, fmt, pretty_equation, pretty_name, tensor_text
from tutor.views.tables import FastTable

linebreak.install()  # Chinese between characters, formulas whole (tutor/linebreak.py)

if TYPE_CHECKING:  # only annotations: `list` need not build the solution classes
    from tutor.model.solution import Check, Gradient, Solution


class FittingTable(FastTable):
    """A rich Table whose columns never shrink below their minimum width, so a formula breaks
    only after its top-level marks and a number or a word is never folded (rich shrinks the
    widest column first, whatever its minimum). When the minimums do not fit either, `narrow`
    (if given) builds the table to show instead: fewer, wider columns."""

    narrow: Callable[[], Table] | None = None
    _measured: dict | None = None

    def __rich_console__(self, console, options):
        self._measured = {}  # deciding the widths measures each column four times
        try:
            if self.narrow is not None and (
                self._least(console, options) > options.max_width
                or self._whole(console, options) > options.max_width
            ):
                yield self.narrow()
                return
            yield from super().__rich_console__(console, options)
        finally:
            self._measured = None

    def _measure_column(self, console, options, column):
        if self._measured is None:
            return super()._measure_column(console, options, column)
        key = (column._index, options.max_width)
        if key not in self._measured:
            self._measured[key] = super()._measure_column(console, options, column)
        return self._measured[key]

    def _whole(self, console, options) -> int:
        """The narrowest this table can be with no formula of a cell broken inside."""
        return self._extra_width + sum(
            self._whole_column(console, c, self._measure_column(console, options, c))
            for c in self.columns
        )

    def _whole_column(self, console, column, measured) -> int:
        """The width `column` needs for no formula of its cells to break inside (each text
        cell at its widest unit, linebreak.unit_width; other cells at their minimum), at most
        its widest."""
        widest = measured.minimum
        for cell in [column.header, *column.cells]:
            if isinstance(cell, str):
                cell = console.render_str(cell)
            if isinstance(cell, RichText):
                unit = linebreak.unit_width(cell.plain) + self._get_padding_width(column._index)
                widest = max(widest, unit)
        return min(widest, measured.maximum)

    def _least(self, console, options) -> int:
        """The narrowest this table can be with every column at its minimum width."""
        return self._extra_width + sum(
            self._measure_column(console, options, column).minimum for column in self.columns
        )

    def _calculate_column_widths(self, console, options) -> list[int]:
        ranges = [self._measure_column(console, options, column) for column in self.columns]
        floor = [r.minimum for r in ranges]
        widths = [r.maximum for r in ranges]
        excess = sum(widths) - options.max_width
        if excess <= 0 or self.expand or sum(floor) > options.max_width:
            return super()._calculate_column_widths(console, options)
        whole = [self._whole_column(console, c, r) for c, r in zip(self.columns, ranges)]
        if sum(whole) <= options.max_width:  # room for every formula whole: keep them so
            floor = whole
        while excess > 0:  # one cell at a time off the widest column still above its minimum
            i = max(
                (k for k in range(len(widths)) if widths[k] > floor[k]), key=lambda k: widths[k]
            )
            widths[i] -= 1
            excess -= 1
        return widths


class TitledPanel:
    """A rounded panel with its title in the top border where the title fits there, else
    (a narrow terminal, a long title) the title wrapped as the panel's first lines, bold: a
    title is never cut."""

    def __init__(self, body, title: str):
        self.body, self.title = body, title

    def __rich_console__(self, console, options):
        title = console.render_str(self.title)
        # the border holds "╭─ " + title + " ─╮": 6 cells beside the title
        if title.cell_len + 6 <= options.max_width:
            yield Panel(self.body, title=title, title_align="left", box=box.ROUNDED)
            return
        title.stylize("bold")
        yield Panel(Group(title, self.body), box=box.ROUNDED)

    def __rich_measure__(self, console, options):
        from rich.measure import Measurement

        return Measurement.get(console, options, Panel(self.body, box=box.ROUNDED))


def titled_panel(body, title: str) -> TitledPanel:
    return TitledPanel(body, title)


def label(lang: str, key: str, **kw) -> str:
    """A message of the catalogue (tutor/messages.py) in the reader's language."""
    return say(lang, key, **kw)


def _name(name: str) -> str:
    return escape(pretty_name(name))


def catalogue(items: list, lang: str = "en") -> Table:
    table = FastTable(box=box.SIMPLE_HEAVY)
    table.add_column(label(lang, "id"), no_wrap=True)
    table.add_column(label(lang, "title"), overflow="fold")  # Chinese has no spaces to wrap at
    table.add_column(label(lang, "kind"), no_wrap=True)
    table.add_column(label(lang, "asked"), overflow="fold")
    for info in items:
        if isinstance(info, ProblemInfo):
            asks = [asked(a, lang) for a in info.asks]
            table.add_row(
                info.id,
                escape(info.title.get(lang)),
                escape(kind(info.kind, lang)),
                listed(asks, lang),
            )
        else:
            table.add_row("[red]?[/]", f"[red]{escape(str(info))}[/]", "", "")
    return table


def given_shown(problem: Problem, limit: int | None = 40) -> list[str]:
    """The given values the statement's table lists (the first `limit`, in role order)."""
    from tutor.solutions import explain  # not at import: `list` needs none of it

    names = [n for group, _ in explain.ROLES for n in getattr(problem, group)]
    return names if limit is None else names[:limit]


def statement(problem: Problem, lang: str = "en", limit: int | None = 40) -> Group:
    """Title, statement and the given values: what `show` prints before any solving."""
    from tutor.solutions import explain  # not at import: `list` needs none of it

    head = titled_panel(
        escape(explain.statement_text(problem, lang)),
        f"[bold]{escape(problem.id)}[/]: {escape(problem.title.get(lang))}",
    )
    table = FastTable(
        title=label(lang, "given"), box=box.SIMPLE, title_justify="left", caption_justify="left"
    )
    table.add_column(label(lang, "name"), overflow="fold")
    table.add_column(label(lang, "role"), overflow="fold")
    table.add_column(label(lang, "value"), justify="right", overflow="fold")
    shown = given_shown(problem, limit)
    roles = {n: role for group, role in explain.ROLES for n in getattr(problem, group)}
    leaves = problem.leaves
    for name in shown:
        value = leaves[name]
        table.add_row(
            _name(name), label(lang, roles[name]), "—" if value is None else fmt(float(value))
        )
    rows = len(roles)
    if len(shown) < rows:
        table.add_row("…", "…", "…")
        table.caption = label(lang, "more_full", n=rows - len(shown))
    parts: list = [head, table]
    if rows and all(v is None for v in problem.leaves.values()):
        parts.append(RichText(label(lang, "no_numbers"), style="dim"))
    return Group(*parts)


def _mark(check: Check | None, lang: str) -> str:
    if check is None:
        return ""
    if check.ok:
        return " [green]✓[/]"
    source = escape(label(lang, "source_short", p=check.published))
    if check.kind == "rounded":  # the source rounded too early: not a wrong method
        return f" [yellow]≈ {source}[/]"
    return f" [bold red]✗ {source}[/]"


def forward_table(
    solution: Solution,
    lang: str = "en",
    after: bool = False,
    limit: int | None = None,
    stacked: bool = False,
    column: bool = False,
) -> Table:
    """node, equation, the equation with numbers (or the given names) substituted, value.
    `stacked`: the substituted form under its equation, in one column (what a console too
    narrow for the two side by side shows); `column`: the value under them too, `= value`
    (what a console too narrow for even that shows: two columns, the node and its lines)."""
    steps = solution.forward_after if after else solution.forward
    title = forward_title(solution.problem, lang, after)
    table = FittingTable(
        title=title, box=box.SIMPLE_HEAVY, title_justify="left", caption_justify="left"
    )
    table.add_column(label(lang, "node"), style="bold", overflow="fold")
    symbolic = solution.problem.symbolic
    column = column and not symbolic  # a symbolic table has no value column to move
    substituted = label(lang, "symbolic" if symbolic else "numbers")
    if stacked or column:
        heading = RichText(label(lang, "equation")) + RichText(f"\n  = {substituted}")
        if column:
            heading += RichText(f"\n  = {label(lang, 'value')}")
        table.add_column(heading, overflow="fold")
    else:
        table.add_column(label(lang, "equation"), overflow="fold")
        table.add_column(substituted, overflow="fold")
    if not (stacked or column):
        table.narrow = lambda: forward_table(solution, lang, after, limit, stacked=True)
    elif not column and not symbolic:
        table.narrow = lambda: forward_table(solution, lang, after, limit, column=True)
    if not symbolic and not column:
        table.add_column(label(lang, "value"), justify="right", overflow="fold")
    # a large network: the first rows, then the last ones (the outputs and the loss)
    tail = min(3, limit // 4) if limit is not None and len(steps) > limit else 0
    head = steps if limit is None or len(steps) <= limit else steps[: limit - tail]
    layout = "column" if column else "stacked" if stacked else "side"
    for step in head:
        table.add_row(*_forward_row(solution, step, after, lang, layout))
    if len(head) < len(steps):
        hidden = len(steps) - len(head) - tail
        table.add_row(*["…"] * len(table.columns))
        table.caption = label(lang, "more_full", n=hidden)
        for step in steps[len(steps) - tail :]:
            table.add_row(*_forward_row(solution, step, after, lang, layout))
    return table


def _forward_row(solution: Solution, step, after: bool, lang: str, layout: str) -> list:
    symbolic = solution.problem.symbolic
    quantity = Quantity.of_value(step.name, after)
    equation = escape(pretty_equation(step.text))
    substituted = escape(pretty_equation(step.substituted, "·" if symbolic else "×"))
    remark = None if after else solution.problem.remark(step.name)
    said = [RichText("※ " + remark.get(lang), style="italic")] if remark is not None else []
    value = None if symbolic else fmt(step.value) + _mark(solution.check_shown(quantity), lang)
    if layout == "column":
        lines = _equals(substituted, value)
        return [_name(step.name), Group(RichText.from_markup(equation), lines, *said)]
    if layout == "stacked":
        row = [
            _name(step.name),
            Group(RichText.from_markup(equation), _equals(substituted), *said),
        ]
    else:
        shown = Group(RichText.from_markup(equation), *said) if said else equation
        row = [_name(step.name), shown, substituted]
    if value is not None:
        row.append(value)
    return row


def _is_atom(form: str) -> bool:
    """One name, number or function call: `w3`, `0.5`, `step(z)`; not `ŷ - y` or `-w3`."""
    if not form or form.startswith("-"):
        return False
    if all(c.isalnum() or c in "_.ŷσ" for c in form):
        return True
    head = re.match(r"[\w.ŷσ]+\(", form)
    if head is None or not form.endswith(")"):
        return False
    depth = 0
    for i in range(head.end() - 1, len(form)):
        depth += {"(": 1, ")": -1}.get(form[i], 0)
        if depth == 0 and i < len(form) - 1:
            return False  # `f(a) - g(b)`: the first call closes before the end
    return True


def _wrapped(form: str) -> str:
    """A factor in parentheses only when it is more than one name, number or call."""
    return escape(form if _is_atom(form) else f"({form})")


def _number_factor(value: float | None, first: bool) -> str:
    """A number in a product: `× (-1)`, not `× -1`."""
    shown = fmt(value)
    return f"({shown})" if shown.startswith("-") and not first else shown


# Every column of every table folds a word too long for it onto the next line (`overflow=
# "fold"`): at 80 columns an equation or a number is never cut to "…".


def _equals(*rows: str) -> Padding:
    """`= ...` lines indented under the factor names; a long line wraps under its own text."""
    grid = FastTable.grid(padding=(0, 1, 0, 0))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for row in rows:
        grid.add_row("=", row)
    return Padding(grid, (0, 0, 0, 2))


def path_parts(path, loss: str, upstream: str | None = None, wrap=None) -> tuple[str, str, str]:
    """One path of a chain as text: its factor names (`∂L/∂ŷ · ∂ŷ/∂h`), their forms
    (`(ŷ - y) · w3`) and their numbers (`4 × 2`). An upstream factor's form is `upstream`
    (None: its name, ∂L/∂z); `wrap` puts a form in parentheses (default: plain text)."""
    from tutor.text.notation import text

    if wrap is None:

        def wrap(form: str) -> str:
            return form if _is_atom(form) else f"({form})"

    names = " · ".join(
        f"∂{pretty_name(f.of if not f.upstream else loss)}/∂{pretty_name(f.wrt)}"
        for f in path.factors
    )
    forms = " · ".join(
        (upstream if upstream is not None else f"∂{pretty_name(loss)}/∂{pretty_name(f.wrt)}")
        if f.upstream
        else wrap(text(f.expr))
        for f in path.factors
    )
    numbers = " × ".join(_number_factor(f.value, i == 0) for i, f in enumerate(path.factors))
    return names, forms, numbers


def _chain_lines(g: Gradient, loss: str, lang: str, symbolic: bool) -> list:
    lines: list = []
    for path in g.paths:
        upstream = f"[dim]{label(lang, 'upstream')}[/]"
        names, forms, values = path_parts(path, loss, upstream, _wrapped)
        rows = [forms]
        if not symbolic and len(path.factors) == 1:
            rows.append(f"[bold]{fmt(path.value)}[/]")
        elif not symbolic:
            rows.append(f"{values} = [bold]{fmt(path.value)}[/]")
        lines += [RichText.from_markup(escape(names)), _equals(*rows)]
    return lines


def chains(
    solution: Solution,
    lang: str = "en",
    names: list[str] | None = None,
    limit: int | None = None,
    title: str | None = None,
    stacked: bool = False,
) -> Table:
    """dL/dx for each name (in the order given) as its chain of factors: names, forms, numbers.
    `stacked`: the gradient as its chain's last line, `= value ✓` (what a console too narrow
    for the gradient beside the chain shows: two columns)."""
    from tutor.text.notation import text

    p = solution.problem
    loss = p.loss
    symbolic = p.symbolic
    table = FittingTable(
        title=title or label(lang, "chains"),
        box=box.SIMPLE_HEAVY,
        title_justify="left",
        caption_justify="left",
        show_lines=True,
    )
    table.add_column("∂" + _name(loss) + "/∂·", style="bold", overflow="fold")
    result_label = label(lang, "simplified" if symbolic else "gradient")
    if stacked:
        table.add_column(f"{label(lang, 'chain')}\n{result_label}", overflow="fold")
    else:
        table.add_column(label(lang, "chain"), overflow="fold")
        table.add_column(result_label, justify="right", overflow="fold")
        table.narrow = lambda: chains(solution, lang, names, limit, title, stacked=True)
    by_name = {g.wrt: g for g in solution.gradients}
    wanted = (
        list(solution.gradients) if names is None else [by_name[n] for n in names if n in by_name]
    )
    shown = wanted if limit is None else wanted[:limit]
    for g in shown:
        lines = _chain_lines(g, loss, lang, symbolic)
        if g.delta_form:
            delta = escape(label(lang, "delta", x=pretty_name(g.wrt)))
            lines.insert(0, RichText.from_markup(f"[dim]{delta}[/]"))
        if len(g.paths) > 1 and not symbolic:
            terms = " + ".join(_number_factor(pth.value, i == 0) for i, pth in enumerate(g.paths))
            lines.append(RichText(f"Σ = {terms}"))
        quantity = Quantity.gradient(loss, g.wrt)
        if symbolic:
            result = escape(text(g.total)) if g.total is not None else "—"
            result += _mark(solution.check_shown(quantity), lang)
        else:
            result = f"[bold]{fmt(g.value)}[/]" + _mark(solution.check_shown(quantity), lang)
        if stacked:  # the gradient as the chain's last line, `= value ✓`
            lines.append(_equals(result))
        remark = p.remark(f"d{loss}/d{g.wrt}")
        if remark is not None:  # the author's word on it (problem file's `remarks:`)
            lines.append(RichText("※ " + remark.get(lang), style="italic"))
        table.add_row(_name(g.wrt), Group(*lines), *([] if stacked else [result]))
    if limit is not None and len(wanted) > limit:
        table.add_row(*["…"] * len(table.columns))
        table.caption = label(lang, "more_full", n=len(wanted) - limit)
    return table


def gradient_table(solution: Solution, lang: str = "en", limit: int | None = None) -> Table:
    p = solution.problem
    table = FastTable(
        title=label(lang, "gradients"),
        box=box.SIMPLE_HEAVY,
        title_justify="left",
        caption_justify="left",
    )
    table.add_column(label(lang, "param"), style="bold", overflow="fold")
    table.add_column(f"∂{_name(p.loss)}/∂·", justify="right", overflow="fold")
    names = list(p.params)
    for name in names if limit is None else names[:limit]:
        quantity = Quantity.gradient(p.loss, name)
        table.add_row(
            _name(name),
            fmt(solution.node_grads.get(name)) + _mark(solution.check_shown(quantity), lang),
        )
    if limit is not None and len(names) > limit:
        table.add_row("…", "…")
        table.caption = label(lang, "more_full", n=len(names) - limit)
    return table


# symbols are the same in every language; the words (buffer, uncorrected) are messages
def _state_heading(key: str, lang: str) -> str:
    return state_heading(key, lang)


def update_table(solution: Solution, lang: str = "en", limit: int | None = None) -> Table | Group:
    """old, gradient, new per parameter; an optimizer's moments in a table of their own
    above it, so that no number is cut short at 80 columns."""
    from tutor.solutions import explain  # not at import: `list` needs none of it

    p = solution.problem
    rule = p.update
    title = update_title(p, solution.updates, lang)
    table = FastTable(
        title=title, box=box.SIMPLE_HEAVY, title_justify="left", caption_justify="left"
    )
    table.add_column(label(lang, "param"), style="bold", overflow="fold")
    table.add_column(label(lang, "old"), justify="right", overflow="fold")
    table.add_column(label(lang, "gradient"), justify="right", overflow="fold")
    present = explain.state_keys(solution)
    state_keys = [k for k in present if k not in explain.MOMENTS]
    moment_keys = [k for k in present if k in explain.MOMENTS]
    for k in state_keys:
        table.add_column(_state_heading(k, lang), justify="right", overflow="fold")
    table.add_column(label(lang, "new"), justify="right", overflow="fold")
    updates = solution.updates if limit is None else solution.updates[:limit]
    for u in updates:
        row = [_name(u.name), fmt(u.old), fmt(u.grad)]
        row += [fmt(u.state[k]) for k in state_keys]
        check = solution.check_shown(Quantity.of_value(u.name, after=True))
        row.append(f"[bold]{fmt(u.new)}[/]" + _mark(check, lang))
        table.add_row(*row)
    more = limit is not None and len(solution.updates) > limit
    captions = []
    if rule is not None and rule.optimizer == "sgd" and solution.updates:
        captions.append(label(lang, "sgd_l2" if "g" in state_keys else "sgd_rule"))
    if more:
        table.add_row(*["…"] * (len(state_keys) + 4))
        captions.append(label(lang, "more_full", n=len(solution.updates) - limit))
    table.caption = "\n".join(captions) or None
    if not moment_keys:
        return table
    name = optimizer_name(rule.optimizer if rule is not None else "", lang)
    state = FastTable(
        title=label(lang, "state", opt=name),
        box=box.SIMPLE_HEAVY,
        title_justify="left",
        caption_justify="left",
    )
    state.add_column(label(lang, "param"), style="bold", overflow="fold")
    for k in moment_keys:
        state.add_column(_state_heading(k, lang), justify="right", overflow="fold")
    for u in updates:
        state.add_row(_name(u.name), *[fmt(u.state[k]) for k in moment_keys])
    captions = [label(lang, "moments")] if "m" in moment_keys or "v" in moment_keys else []
    if more:
        state.add_row(*["…"] * (len(moment_keys) + 1))
        captions.append(label(lang, "more_full", n=len(solution.updates) - limit))
    state.caption = "\n".join(captions) or None
    return Group(state, table)


def loss_line(solution: Solution, lang: str = "en") -> RichText:
    p = solution.problem
    text = f"{label(lang, 'loss')}{colon(lang)}{pretty_name(p.loss)} = {fmt(solution.loss)}"
    mark = _mark(solution.check_shown(Quantity.of_value(p.loss)), lang)
    return RichText.from_markup(f"[bold]{escape(text)}[/]{mark}")


def verdict_line(solution: Solution, lang: str = "en") -> RichText:
    """Loss before → after: it went down. The published loss after the update is checked next
    to that number, not after the verdict (which is the engine's and right)."""
    a, b = solution.loss, solution.loss_after
    down = b is not None and a is not None and b < a
    verdict = label(lang, "down" if down else "up")
    colour = "green" if down else "red"
    before = f"[bold]{fmt(a)}[/]"  # its check is on the loss line above
    check = solution.check_shown(Quantity.of_value(solution.problem.loss, after=True))
    after = f"[bold]{fmt(b)}[/]" + _mark(check, lang)
    text = label(lang, "before_after", a="\0a", b="\0b", verdict="\0v")
    body = escape(text).replace("\0a", before).replace("\0b", after)
    return RichText.from_markup(body.replace("\0v", f"[bold {colour}]{escape(verdict)}[/]"))


def inactive_sentences(solution, lang: str = "en") -> list[tuple[str, bool]]:
    """After an update, how many ReLU units the step left inactive (`explain.inactive_units`),
    one sentence per ReLU node (a scalar problem: one for all), and whether the step switched
    units off: every kind of problem says it the same way."""
    from tutor.solutions.explain import inactive_units

    return inactive_said(inactive_units(solution), lang)


def inactive_said(rows, lang: str = "en", trained: bool = False) -> list[tuple[str, bool]]:
    """The sentences of `inactive_sentences` for rows (node, before, after, units), after one
    step or (`trained`) after a training run."""
    key, more = (
        ("inactive_trained", "inactive_more_trained")
        if trained
        else ("inactive_units", "inactive_more")
    )
    out = []
    for node, before, after, n in rows:
        where = label(lang, "inactive_where", node=node) if node else ""
        text = label(lang, key, after=after, n=n, where=where, before=before)
        if after > before:
            text += label(lang, more, k=after - before)
        out.append((text, after > before))
    return out


def inactive_lines(solution, lang: str = "en") -> list[RichText]:
    return [
        RichText(text, style="red" if worse else "dim")
        for text, worse in inactive_sentences(solution, lang)
    ]


def count_rows(solution, lang: str = "en") -> tuple[list[tuple[str, str, str]], list[str]]:
    """The parameter counts (`solutions.counts`) as plain-text rows, for every view and kind
    of problem: each layer's equation, the parameters it reads (a tensor's with its shape
    and size: `K1 2×1×2×2 (8)`), its count; then the total. And the lines under them: the
    rule, and the parameters several layers share (counted once in all)."""
    from tutor.solutions.counts import parameter_counts

    p = solution.problem
    counts = parameter_counts(p)
    texts = {s.name: s.text for s in solution.forward}
    rows = []
    for layer in counts.layers:
        equation = f"{layer.node} = {texts.get(layer.node, '')}"
        rows.append(
            (
                equation if p.tensor else pretty_equation(equation),
                ", ".join(param_text(x, p.tensor) for x in layer.params),
                str(layer.count),
            )
        )
    rows.append((label(lang, "counts_total"), "", str(counts.total)))
    lines = [label(lang, "counts_rule" if p.tensor else "counts_rule_scalar")]
    if counts.shared:
        names = listed((pretty_name(n) for n in counts.shared), lang)
        lines.append(label(lang, "counts_shared", names=names))
    return rows, lines


def param_text(p, tensor: bool) -> str:
    """A parameter as a count reads it: `K1 2×1×2×2 (8)`, or a scalar parameter's name."""
    if not tensor:
        return pretty_name(p.name)
    return f"{p.name} {'×'.join(map(str, p.shape)) or '1'} ({p.size})"


def parameter_table(solution, lang: str = "en") -> Group:
    """Each layer's parameters and their number, then the total (`count_rows`); the rule
    under the table."""
    rows, lines = count_rows(solution, lang)
    table = FittingTable(
        title=label(lang, "counts_title"), box=box.SIMPLE_HEAVY, title_justify="left"
    )
    table.add_column(label(lang, "counts_layer"), overflow="fold")
    table.add_column(label(lang, "counts_reads"), overflow="fold")
    table.add_column(label(lang, "counts_count"), justify="right", style="bold")
    for i, row in enumerate(rows):
        table.add_row(*(escape(c) for c in row), end_section=i == len(rows) - 2)
    return Group(table, *(RichText(line, style="dim") for line in lines))


def notes(solution: Solution, lang: str = "en") -> Panel | None:
    lines = [f"• {escape(note_text(n, lang))}" for n in solution.notes]
    if not lines:
        return None
    return titled_panel("\n".join(lines), label(lang, "notes"))


def errata_table(solution: Solution, lang: str = "en") -> Table | RichText:
    bad = solution.errata
    if not bad:
        if not solution.checks:
            return RichText("")
        return RichText.from_markup(
            f"[green]✓ {escape(label(lang, 'checks_ok', n=len(solution.checks)))}[/]"
        )
    return checks_table(solution.problem, bad, lang)


def checks_table(
    problem: Problem, bad: tuple[Check, ...], lang: str = "en", stacked: bool = False
) -> Table:
    """line, quantity, published, computed, why; `stacked`: the computed value under the
    published one, in one column (what a console too narrow for the five columns shows)."""
    table = FittingTable(
        title=f"{label(lang, 'errata')}{colon(lang)}{problem.id}",
        box=box.SIMPLE_HEAVY,
        title_justify="left",
        caption_justify="left",
    )
    table.add_column(label(lang, "line"), justify="right", overflow="fold")
    table.add_column(label(lang, "quantity"), style="bold", overflow="fold")
    if stacked:
        heading = f"{label(lang, 'published')}\n{label(lang, 'computed')}"
        table.add_column(heading, justify="right", overflow="fold")
    else:
        table.add_column(label(lang, "published"), justify="right", overflow="fold")
        table.add_column(label(lang, "computed"), justify="right", overflow="fold")
        table.narrow = lambda: checks_table(problem, bad, lang, stacked=True)
    table.add_column(label(lang, "why"), overflow="fold")
    from tutor.text.notation import text

    for c in bad:
        computed = (
            fmt(c.computed)
            if isinstance(c.computed, float)
            else tensor_text(c.computed)
            if hasattr(c.computed, "shape")
            else (text(c.computed) if c.computed is not None else "—")
        )
        values = [escape(c.published), escape(computed)]
        table.add_row(
            str(c.line or ""),
            escape(c.quantity.text),
            *(["\n".join(values)] if stacked else values),
            escape(reason_text(c, lang)),
        )
    return table


def solution_steps(
    solution: Solution, lang: str = "en", full: bool = False, one_each: bool = False
) -> list:
    """The worked solution as a list of renderables, one per section of the plan
    (`explain.sections`); with `one_each` (`solve --step`), one per parameter's gradient."""
    from tutor.solutions import explain  # not at import: `list` needs none of it

    p = solution.problem
    big = not full and len(p.params) > 30
    limit = 12 if big else None
    rows = limit * 3 if big else None

    def deltas():
        # parameter chains start from an upstream δ: show how each δ is made first
        nodes = [step.name for step in reversed(solution.forward) if step.name != p.loss]
        return chains(solution, lang, names=nodes, limit=limit, title=label(lang, "deltas"))

    make = {
        "given": lambda: statement(p, lang, limit=40 if not full else None),
        "forward": lambda: forward_table(solution, lang, limit=rows),
        "loss": lambda: loss_line(solution, lang),
        "deltas": deltas,
        "chains": lambda: chains(solution, lang, names=list(p.params), limit=limit),
        "gradients": lambda: gradient_table(solution, lang, limit=limit),
        "parameters": lambda: parameter_table(solution, lang),
        "update": lambda: update_table(solution, lang, limit=limit),
        "after": lambda: forward_table(solution, lang, after=True, limit=rows),
        "verdict": lambda: Group(verdict_line(solution, lang), *inactive_lines(solution, lang)),
        "notes": lambda: notes(solution, lang),
        "errata": lambda: errata_table(solution, lang),
    }
    steps = []
    for section in explain.sections(solution):
        if section == "chains" and one_each:
            names = list(p.params) if limit is None else list(p.params)[:limit]
            steps += [chains(solution, lang, names=[n]) for n in names]
        else:
            steps.append(make[section]())
    return steps


def graph_tree(solution: Solution, lang: str = "en", max_nodes: int = 200) -> Tree:
    """The computation graph as a tree from the loss to the leaves, with value and grad."""
    p = solution.problem
    values = {s.name: s.value for s in solution.forward}
    values.update({n: (None if v is None else float(v)) for n, v in p.leaves.items()})
    texts = {eq.name: eq.text for eq in p.graph}

    def in_order(eq) -> list[str]:
        """Inputs in the order the equation names them: `w3*h + b2` -> w3, h, b2."""
        names = sorted(s.name for s in eq.expr.free_symbols)
        first = {}
        for m in IDENT.finditer(eq.text):
            first.setdefault(m.group(0), m.start())
        return sorted(names, key=lambda n: (first.get(n, len(eq.text)), n))

    parents = {eq.name: in_order(eq) for eq in p.graph}

    def describe(name: str) -> str:
        v = values.get(name)
        g = solution.node_grads.get(name) if solution.node_grads else None
        eq = f" [dim]= {escape(pretty_equation(texts[name]))}[/]" if name in texts else ""
        val = f" = {fmt(v)}" if v is not None else ""
        grad = f"  [cyan]{label(lang, 'grad')} {fmt(g)}[/]" if g is not None else ""
        return f"[bold]{_name(name)}[/]{eq}{val}{grad}"

    # depth first, in reading order: a node that feeds several others (a shared hidden unit,
    # an input read by every unit) is drawn once, with its value and its total gradient, and
    # named after that with "(shown above)" only. It is above, because each subtree is drawn
    # before the next sibling is looked at.
    shared = lambda name: f"[bold]{_name(name)}[/] [dim]{label(lang, 'shared')}[/]"  # noqa: E731
    return parents_tree(p.loss, lambda n: parents.get(n, []), describe, shared, max_nodes)


def parents_tree(root_name: str, parents, describe, shared, max_nodes: int) -> Tree:
    """A graph as a tree from `root_name` back to its leaves, depth first in the order
    `parents(name)` gives: a node reached again is drawn once (`describe`), then only named
    (`shared`); at most `max_nodes` branches, then "…". Both graph views draw with it."""
    root = Tree(describe(root_name), guide_style="dim")
    expanded, count = {root_name}, 0
    stack = [(root, iter(parents(root_name)))]
    while stack:
        branch, pending = stack[-1]
        parent = next(pending, None)
        if parent is None:
            stack.pop()
            continue
        count += 1
        if count > max_nodes:
            branch.add("…")
            break
        if parent in expanded:
            branch.add(shared(parent))
            continue
        expanded.add(parent)
        child = branch.add(describe(parent))
        stack.append((child, iter(parents(parent))))
    return root
