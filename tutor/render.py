"""Rich renderables for problems and solutions. They describe output; the CLI prints them."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rich import box
from rich.console import Group
from rich.markup import escape
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text as RichText
from rich.tree import Tree

from .model import Problem, ProblemInfo
from .notation import IDENT, fill, fmt, pretty_equation, pretty_name

if TYPE_CHECKING:  # only annotations: `list` need not build the solution classes
    from .model.solution import Check, Gradient, Solution

LABELS = {
    "en": {
        "given": "Given", "name": "name", "value": "value", "role": "role",
        "input": "input", "target": "target", "param": "parameter", "constant": "constant",
        "forward": "Forward pass", "node": "node", "equation": "equation",
        "numbers": "numbers substituted", "loss": "Loss", "chains": "Backward pass: chain rule",
        "gradients": "Gradients", "gradient": "gradient", "update": "Update",
        "old": "old", "lr": "η", "new": "new", "after": "Forward pass after the update",
        "before_after": "loss before {a} → after {b}: {verdict}", "down": "it went down",
        "up": "it did not go down", "notes": "Notes", "errata": "Errata",
        "source_says": "source says {p}, computed {c}", "symbolic": "in the given names",
        "source_short": "source: {p}", "chain": "chain of factors",
        "deltas": "Backward pass: the gradient δ = ∂L/∂node of every node, from the loss back",
        "derivation": "Derivation (symbolic)", "asked": "asked", "kind": "kind",
        "title": "title", "id": "id", "delta": "many paths: delta recurrence ∂L/∂c · ∂c/∂{x}",
        "upstream": "upstream", "local": "local", "checks_ok": "all {n} published values agree",
        "step_prompt": "[step {i}/{n}] Enter: next, q: quit ",
        "check_summary": "{wrong} of {checked} published values disagree with the engine",
        "simplified": "simplified", "graph": "Computation graph", "grad": "grad",
        "shared": "(shown above)",
        "line": "line", "quantity": "quantity", "published": "published",
        "computed": "computed", "why": "why", "differs": "differs by {d}",
        "no_such": "the engine computes no such quantity", "nan": "not a number",
        "not_equivalent": "not equivalent", "buffer": "buffer",
        "uncorrected": "new w/o bias correction", "state": "Optimizer state ({opt})",
        "more": "+{n} more", "more_full": "+{n} more (--full)",
        "sgd_rule": "new = old − η · gradient",
        "no_numbers": "no numbers given: the answers are formulas in these names",
        "sgd_l2": "new = old − η · (∂L/∂w + λ·w)",
    },
    "zh": {
        "given": "已知", "name": "名称", "value": "数值", "role": "类别",
        "input": "输入", "target": "目标", "param": "参数", "constant": "常数",
        "forward": "前向传播", "node": "节点", "equation": "公式",
        "numbers": "代入数值", "loss": "损失", "chains": "反向传播：链式法则",
        "gradients": "梯度", "gradient": "梯度", "update": "参数更新",
        "old": "原值", "lr": "η", "new": "新值", "after": "更新后的前向传播",
        "before_after": "损失 更新前 {a} → 更新后 {b}：{verdict}", "down": "下降了",
        "up": "没有下降", "notes": "说明", "errata": "勘误",
        "source_says": "原文为 {p}，计算得 {c}", "symbolic": "用已知量表示",
        "source_short": "原文：{p}", "chain": "因子连乘",
        "deltas": "反向传播：从损失往回，每个节点的梯度 δ = ∂L/∂节点",
        "derivation": "推导（符号）", "asked": "所求", "kind": "类型",
        "title": "题目", "id": "编号", "delta": "路径较多：用 δ 递推 ∂L/∂c · ∂c/∂{x}",
        "upstream": "上游", "local": "局部", "checks_ok": "原文 {n} 个数值全部正确",
        "step_prompt": "[第 {i}/{n} 步] 回车：下一步，q：退出 ",
        "check_summary": "原文 {checked} 个数值中有 {wrong} 个与计算结果不符",
        "simplified": "化简", "graph": "计算图", "grad": "梯度",
        "shown": "（见上）", "shared": "（见上）",
        "line": "行", "quantity": "量", "published": "原文", "computed": "计算值",
        "why": "原因", "differs": "相差 {d}", "no_such": "引擎不计算这个量",
        "nan": "不是数值", "not_equivalent": "不等价", "buffer": "动量缓冲",
        "uncorrected": "未修正新值", "state": "优化器状态（{opt}）",
        "more": "另有 {n} 行", "more_full": "另有 {n} 行（--full）",
        "sgd_rule": "新值 = 原值 − η · 梯度",
        "no_numbers": "没有给出数值：答案是用这些名称写出的公式",
        "sgd_l2": "新值 = 原值 − η · (∂L/∂w + λ·w)",
    },
}  # fmt: skip


def label(lang: str, key: str, **kw) -> str:
    return LABELS.get(lang, LABELS["en"]).get(key, LABELS["en"][key]).format(**kw)


def colon(lang: str) -> str:
    """`Loss: `, but `损失：` in Chinese."""
    return "：" if lang == "zh" else ": "


def _name(name: str) -> str:
    return escape(pretty_name(name))


def catalogue(items: list, lang: str = "en") -> Table:
    table = Table(box=box.SIMPLE_HEAVY)
    table.add_column(label(lang, "id"), no_wrap=True)
    table.add_column(label(lang, "title"), overflow="fold")  # Chinese has no spaces to wrap at
    table.add_column(label(lang, "kind"), no_wrap=True)
    table.add_column(label(lang, "asked"), overflow="fold")
    for info in items:
        if isinstance(info, ProblemInfo):
            asks = [info_asked(a, lang) for a in info.asks]
            table.add_row(info.id, escape(info.title.get(lang)), info.kind,
                          ("、" if lang == "zh" else ", ").join(asks))  # fmt: skip
        else:
            table.add_row("[red]?[/]", f"[red]{escape(str(info))}[/]", "", "")
    return table


ASKED_ZH = {"forward": "前向", "loss": "损失", "gradients": "梯度", "update": "更新"}


def info_asked(what: str, lang: str) -> str:
    """What a problem asks, as the catalogue says it: `gradients`, or 梯度 in Chinese."""
    return ASKED_ZH.get(what, what) if lang == "zh" else what


def statement_text(problem: Problem, lang: str = "en") -> str:
    """The statement with its `{name}` placeholders filled from the problem's current given
    values (after `--set` or for a random variant), its hard-wrapped lines joined."""
    return reflow(fill(problem.statement.get(lang), problem.leaves))


def statement(problem: Problem, lang: str = "en", limit: int | None = 40) -> Group:
    """Title, statement and the given values: what `show` prints before any solving."""
    head = Panel(
        escape(statement_text(problem, lang)),
        title=f"[bold]{escape(problem.id)}[/]: {escape(problem.title.get(lang))}",
        title_align="left",
        box=box.ROUNDED,
    )
    table = Table(title=label(lang, "given"), box=box.SIMPLE, title_justify="left",
                  caption_justify="left")
    table.add_column(label(lang, "name"), overflow="fold")
    table.add_column(label(lang, "role"), overflow="fold")
    table.add_column(label(lang, "value"), justify="right", overflow="fold")
    roles = (("inputs", "input"), ("targets", "target"), ("params", "param"),
             ("constants", "constant"))  # fmt: skip
    rows = 0
    for group, role in roles:
        values = getattr(problem, group)
        for name, value in values.items():
            rows += 1
            if limit is not None and rows > limit:
                continue
            shown = "—" if value is None else fmt(float(value))
            table.add_row(_name(name), label(lang, role), shown)
    if limit is not None and rows > limit:
        table.add_row("…", "…", "…")
        table.caption = label(lang, "more", n=rows - limit)
    parts: list = [head, table]
    if rows and all(v is None for v in problem.leaves.values()):
        parts.append(RichText(label(lang, "no_numbers"), style="dim"))
    return Group(*parts)


def _mark(check: Check | None, lang: str) -> str:
    if check is None:
        return ""
    if check.ok:
        return " [green]✓[/]"
    return " [bold red]✗ " + escape(label(lang, "source_short", p=check.published)) + "[/]"


def _checks_for(solution: Solution, quantity: str) -> Check | None:
    bad = [c for c in solution.checks if c.quantity == quantity and not c.ok]
    if bad:
        return bad[0]
    return solution.check_for(quantity)


def forward_table(solution: Solution, lang: str = "en", after: bool = False,
                  limit: int | None = None) -> Table:  # fmt: skip
    steps = solution.forward_after if after else solution.forward
    title = label(lang, "after" if after else "forward")
    table = Table(title=title, box=box.SIMPLE_HEAVY, title_justify="left",
                  caption_justify="left")
    table.add_column(label(lang, "node"), style="bold", overflow="fold")
    table.add_column(label(lang, "equation"), overflow="fold")
    symbolic = solution.problem.symbolic
    table.add_column(label(lang, "symbolic" if symbolic else "numbers"), overflow="fold")
    if not symbolic:
        table.add_column(label(lang, "value"), justify="right", overflow="fold")
    # a large network: the first rows, then the last ones (the outputs and the loss)
    tail = min(3, limit // 4) if limit is not None and len(steps) > limit else 0
    head = steps if limit is None or len(steps) <= limit else steps[: limit - tail]
    for step in head:
        table.add_row(*_forward_row(solution, step, after, lang))
    if len(head) < len(steps):
        hidden = len(steps) - len(head) - tail
        table.add_row("…", "…", "…", *(["…"] if not symbolic else []))
        table.caption = label(lang, "more_full", n=hidden)
        for step in steps[len(steps) - tail :]:
            table.add_row(*_forward_row(solution, step, after, lang))
    return table


def _forward_row(solution: Solution, step, after: bool, lang: str) -> list[str]:
    symbolic = solution.problem.symbolic
    quantity = step.name + ("'" if after else "")
    row = [_name(step.name), escape(pretty_equation(step.text)),
           escape(pretty_equation(step.substituted, "·" if symbolic else "×"))]
    if not symbolic:
        row.append(fmt(step.value) + _mark(_checks_for(solution, quantity), lang))
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


ITEM = re.compile(r"\((\d{1,2}|[a-z]|[ivx]{1,4})\)\s|[-•]\s")


def _cjk(c: str) -> bool:
    return "\u3000" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef"


def _cjk_punct(c: str) -> bool:
    return "\u3000" <= c <= "\u303f" or "\uff00" <= c <= "\uffef"


def reflow(text: str) -> str:
    """Join the hard-wrapped lines of a YAML block; keep (1), (2)..., bullets and blank lines
    apart. Chinese joins without a space, Chinese next to Latin text keeps one."""
    out: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or not out or ITEM.match(line) or not out[-1]:
            out.append(line)
        else:
            a, b = out[-1][-1], line[0]
            tight = (_cjk(a) and _cjk(b)) or _cjk_punct(a) or _cjk_punct(b)
            out[-1] += ("" if tight else " ") + line
    return "\n".join(out)


# Every column of every table folds a word too long for it onto the next line (`overflow=
# "fold"`): at 80 columns an equation or a number is never cut to "…".


def _equals(*rows: str) -> Padding:
    """`= ...` lines indented under the factor names; a long line wraps under its own text."""
    grid = Table.grid(padding=(0, 1, 0, 0))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for row in rows:
        grid.add_row("=", row)
    return Padding(grid, (0, 0, 0, 2))


def _chain_lines(g: Gradient, loss: str, lang: str, symbolic: bool) -> list:
    from .notation import text

    lines: list = []
    for path in g.paths:
        names = " · ".join(
            f"∂{pretty_name(f.of if not f.upstream else loss)}/∂{pretty_name(f.wrt)}"
            for f in path.factors
        )
        forms = " · ".join(
            f"[dim]{label(lang, 'upstream')}[/]" if f.upstream else _wrapped(text(f.expr))
            for f in path.factors
        )
        rows = [forms]
        if not symbolic and len(path.factors) == 1:
            rows.append(f"[bold]{fmt(path.value)}[/]")
        elif not symbolic:
            values = " × ".join(_number_factor(f.value, i == 0)
                                for i, f in enumerate(path.factors))  # fmt: skip
            rows.append(f"{values} = [bold]{fmt(path.value)}[/]")
        lines += [RichText.from_markup(escape(names)), _equals(*rows)]
    return lines


def chains(solution: Solution, lang: str = "en", names: list[str] | None = None,
           limit: int | None = None, title: str | None = None) -> Table:  # fmt: skip
    """dL/dx for each name (in the order given) as its chain of factors: names, forms, numbers."""
    from .notation import text

    p = solution.problem
    loss = p.loss
    symbolic = p.symbolic
    table = Table(title=title or label(lang, "chains"), box=box.SIMPLE_HEAVY,
                  title_justify="left", caption_justify="left", show_lines=True)  # fmt: skip
    table.add_column("∂" + _name(loss) + "/∂·", style="bold", overflow="fold")
    table.add_column(label(lang, "chain"), overflow="fold")
    table.add_column(label(lang, "simplified" if symbolic else "gradient"), justify="right",
                     overflow="fold")
    by_name = {g.wrt: g for g in solution.gradients}
    wanted = list(solution.gradients) if names is None else [by_name[n] for n in names
                                                             if n in by_name]  # fmt: skip
    shown = wanted if limit is None else wanted[:limit]
    for g in shown:
        lines = _chain_lines(g, loss, lang, symbolic)
        if g.delta_form:
            delta = escape(label(lang, "delta", x=pretty_name(g.wrt)))
            lines.insert(0, RichText.from_markup(f"[dim]{delta}[/]"))
        if len(g.paths) > 1 and not symbolic:
            terms = " + ".join(_number_factor(pth.value, i == 0) for i, pth in enumerate(g.paths))
            lines.append(RichText(f"Σ = {terms}"))
        quantity = f"d{loss}/d{g.wrt}"
        if symbolic:
            result = escape(text(g.total)) if g.total is not None else "—"
            result += _mark(_checks_for(solution, quantity), lang)
        else:
            result = f"[bold]{fmt(g.value)}[/]" + _mark(_checks_for(solution, quantity), lang)
        table.add_row(_name(g.wrt), Group(*lines), result)
    if limit is not None and len(wanted) > limit:
        table.add_row("…", "…", "…")
        table.caption = label(lang, "more_full", n=len(wanted) - limit)
    return table


def gradient_table(solution: Solution, lang: str = "en", limit: int | None = None) -> Table:
    p = solution.problem
    table = Table(title=label(lang, "gradients"), box=box.SIMPLE_HEAVY, title_justify="left",
                  caption_justify="left")
    table.add_column(label(lang, "param"), style="bold", overflow="fold")
    table.add_column(f"∂{_name(p.loss)}/∂·", justify="right", overflow="fold")
    names = list(p.params)
    for name in names if limit is None else names[:limit]:
        quantity = f"d{p.loss}/d{name}"
        table.add_row(_name(name), fmt(solution.node_grads.get(name))
                      + _mark(_checks_for(solution, quantity), lang))  # fmt: skip
    if limit is not None and len(names) > limit:
        table.add_row("…", "…")
        table.caption = label(lang, "more_full", n=len(names) - limit)
    return table


STATE_COLUMNS = {
    "l2_term": "λ·w", "g": "∂L/∂w + λ·w",
    "buffer": "buffer", "m": "m", "v": "v", "m_hat": "m̂", "v_hat": "v̂",
    "uncorrected": "uncorrected",
}  # fmt: skip  (words are labels; symbols are the same in every language)


OPTIMIZER_STATE = ("buffer", "m", "v", "m_hat", "v_hat", "uncorrected")


def _state_heading(key: str, lang: str) -> str:
    heading = STATE_COLUMNS[key]
    return label(lang, heading) if heading in LABELS["en"] else heading


def update_table(solution: Solution, lang: str = "en", limit: int | None = None) -> Table | Group:
    """old, gradient, new per parameter; an optimizer's moments in a table of their own
    above it, so that no number is cut short at 80 columns."""
    p = solution.problem
    rule = p.update
    title = label(lang, "update")
    if rule is not None:
        title += f" ({rule.optimizer}, η = {fmt(solution.updates[0].lr if solution.updates else rule.lr)})"
    table = Table(title=title, box=box.SIMPLE_HEAVY, title_justify="left",
                  caption_justify="left")
    table.add_column(label(lang, "param"), style="bold", overflow="fold")
    table.add_column(label(lang, "old"), justify="right", overflow="fold")
    table.add_column(label(lang, "gradient"), justify="right", overflow="fold")
    present = [k for k in STATE_COLUMNS if solution.updates and k in solution.updates[0].state]
    state_keys = [k for k in present if k not in OPTIMIZER_STATE]
    moment_keys = [k for k in present if k in OPTIMIZER_STATE]
    for k in state_keys:
        table.add_column(_state_heading(k, lang), justify="right", overflow="fold")
    table.add_column(label(lang, "new"), justify="right", overflow="fold")
    updates = solution.updates if limit is None else solution.updates[:limit]
    for u in updates:
        row = [_name(u.name), fmt(u.old), fmt(u.grad)]
        row += [fmt(u.state[k]) for k in state_keys]
        row.append(f"[bold]{fmt(u.new)}[/]" + _mark(_checks_for(solution, u.name + "'"), lang))
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
    optimizer = rule.optimizer if rule is not None else ""
    state = Table(title=label(lang, "state", opt=optimizer), box=box.SIMPLE_HEAVY,
                  title_justify="left",
                  caption_justify="left")  # fmt: skip
    state.add_column(label(lang, "param"), style="bold", overflow="fold")
    for k in moment_keys:
        state.add_column(_state_heading(k, lang), justify="right", overflow="fold")
    for u in updates:
        state.add_row(_name(u.name), *[fmt(u.state[k]) for k in moment_keys])
    if more:
        state.add_row(*["…"] * (len(moment_keys) + 1))
        state.caption = label(lang, "more_full", n=len(solution.updates) - limit)
    return Group(state, table)


def loss_line(solution: Solution, lang: str = "en") -> RichText:
    p = solution.problem
    text = f"{label(lang, 'loss')}{colon(lang)}{pretty_name(p.loss)} = {fmt(solution.loss)}"
    mark = _mark(_checks_for(solution, p.loss), lang)
    return RichText.from_markup(f"[bold]{escape(text)}[/]{mark}")


def verdict_line(solution: Solution, lang: str = "en") -> RichText:
    """Loss before → after: it went down. The published loss after the update is checked next
    to that number, not after the verdict (which is the engine's and right)."""
    a, b = solution.loss, solution.loss_after
    down = b is not None and a is not None and b < a
    verdict = label(lang, "down" if down else "up")
    colour = "green" if down else "red"
    before = f"[bold]{fmt(a)}[/]"  # its check is on the loss line above
    after = f"[bold]{fmt(b)}[/]" + _mark(_checks_for(solution, solution.problem.loss + "'"), lang)
    text = label(lang, "before_after", a="\0a", b="\0b", verdict="\0v")
    body = escape(text).replace("\0a", before).replace("\0b", after)
    return RichText.from_markup(body.replace("\0v", f"[bold {colour}]{escape(verdict)}[/]"))


def notes(solution: Solution, lang: str = "en") -> Panel | None:
    lines = [f"• {escape(n.get(lang))}" for n in solution.notes]
    if not lines:
        return None
    return Panel("\n".join(lines), title=label(lang, "notes"), title_align="left", box=box.ROUNDED)


def errata_table(solution: Solution, lang: str = "en") -> Table | RichText:
    bad = solution.errata
    if not bad:
        if not solution.checks:
            return RichText("")
        return RichText.from_markup(
            f"[green]✓ {escape(label(lang, 'checks_ok', n=len(solution.checks)))}[/]"
        )
    return checks_table(solution.problem, bad, lang)


def checks_table(problem: Problem, bad: tuple[Check, ...], lang: str = "en") -> Table:
    table = Table(title=f"{label(lang, 'errata')}{colon(lang)}{problem.id}", box=box.SIMPLE_HEAVY,
                  title_justify="left",
                  caption_justify="left")  # fmt: skip
    table.add_column(label(lang, "line"), justify="right", overflow="fold")
    table.add_column(label(lang, "quantity"), style="bold", overflow="fold")
    table.add_column(label(lang, "published"), justify="right", overflow="fold")
    table.add_column(label(lang, "computed"), justify="right", overflow="fold")
    table.add_column(label(lang, "why"), overflow="fold")
    from .notation import text

    for c in bad:
        computed = fmt(c.computed) if isinstance(c.computed, float) else (
            text(c.computed) if c.computed is not None else "—"
        )
        table.add_row(str(c.line or ""), escape(c.quantity), escape(c.published),
                      escape(computed), escape(reason(c.reason, lang)))  # fmt: skip
    return table


_REASONS = {"the engine computes no such quantity": "no_such", "not a number": "nan",
            "not equivalent": "not_equivalent"}  # fmt: skip


def reason(why: str, lang: str) -> str:
    """Why a published value disagrees, in the reader's language, numbers as in the tables."""
    m = re.fullmatch(r"differs by (\S+)", why)
    if m:
        try:
            return label(lang, "differs", d=fmt(float(m[1]), 3))
        except ValueError:
            return why
    return label(lang, _REASONS[why]) if why in _REASONS else why


def solution_steps(solution: Solution, lang: str = "en", full: bool = False) -> list:
    """The worked solution as a list of renderables, one per step (for `--step`)."""
    p = solution.problem
    big = not full and len(p.params) > 30
    limit = 12 if big else None
    steps: list = [statement(p, lang, limit=40 if not full else None),
                   forward_table(solution, lang, limit=limit * 3 if big else None)]  # fmt: skip
    if not p.symbolic and "loss" in p.asks:
        steps.append(loss_line(solution, lang))
    if "gradients" in p.asks:  # forward-only problems (counts, closed forms) stop here
        if any(g.delta_form for g in solution.gradients if g.wrt in p.params):
            # Parameter chains then start from an upstream δ: show how each δ is made first.
            nodes = [step.name for step in reversed(solution.forward) if step.name != p.loss]
            steps.append(chains(solution, lang, names=nodes, limit=limit,
                                title=label(lang, "deltas")))  # fmt: skip
        steps.append(chains(solution, lang, names=list(p.params), limit=limit))
        if not p.symbolic:
            steps.append(gradient_table(solution, lang, limit=limit))
    if solution.updates:
        steps.append(update_table(solution, lang, limit=limit))
        steps.append(forward_table(solution, lang, after=True, limit=limit * 3 if big else None))
        steps.append(verdict_line(solution, lang))
    note = notes(solution, lang)
    if note is not None:
        steps.append(note)
    steps.append(errata_table(solution, lang))
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
    root = Tree(describe(p.loss), guide_style="dim")
    expanded = {p.loss}
    count = 0
    stack = [(root, iter(parents.get(p.loss, [])))]
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
            branch.add(f"[bold]{_name(parent)}[/] [dim]{label(lang, 'shared')}[/]")
            continue
        expanded.add(parent)
        child = branch.add(describe(parent))
        stack.append((child, iter(parents.get(parent, []))))
    return root
