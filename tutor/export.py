"""A Solution as Markdown: GitHub-flavoured tables and `$$ ... $$` math from SymPy's printer.

A view like `render`: it reads a Solution and writes text, it never differentiates; it
follows the section plan of `explain` and takes its words from `messages`. The LaTeX
sticks to what GitHub, Obsidian, Typora, KaTeX and matplotlib's mathtext all understand
(`\\frac`, `\\partial`, `\\cdot`, `\\times`, `\\hat`, `\\mathrm`, `\\left(`), no macros.
"""

from __future__ import annotations

from . import explain
from .explain import ROLES, state_keys, statement_text
from .messages import asked, colon, forward_title, note, reason, say, update_title
from .model import Problem, Quantity
from .model.solution import Check, Gradient, Solution
from .notation import fmt, latex, latex_name, latex_written

label = say  # a message of the catalogue (tutor/messages.py) in the reader's language


# --------------------------------------------------------------------------- pieces


def cell(text: str) -> str:
    """Text safe inside a GitHub table cell: pipes escaped, no line breaks."""
    return text.replace("|", "\\|").replace("\n", " ")


def code(text: str) -> str:
    """An inline code span (no Markdown inside); backticks in the text get a longer fence."""
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def imath(tex: str) -> str:
    return f"${tex}$"


def block(tex: str) -> str:
    return f"$$\n{tex}\n$$"


def tex_number(value: float | None) -> str:
    """A number for LaTeX: `3.2e-6` becomes `3.2 \\times 10^{-6}`; negatives in parentheses
    when they stand inside a product."""
    text = fmt(value).replace(",", "{,}")  # 6{,}480{,}242{,}100: no space after the commas
    if "e" in text:
        mantissa, exp = text.split("e")
        text = rf"{mantissa} \times 10^{{{int(exp)}}}"
    return text


def _factor_value(value: float | None, first: bool = False) -> str:
    """A number in a product or sum: `× (-1)`, but a leading `-1` stays bare."""
    text = tex_number(value)
    return rf"\left({text}\right)" if text.startswith("-") and not first else text


def partial(of: str, wrt: str) -> str:
    return rf"\frac{{\partial {latex_name(of)}}}{{\partial {latex_name(wrt)}}}"


def _wrapped(expr) -> str:
    """A factor's LaTeX, in parentheses when it is a sum (so the product reads right)."""
    tex = latex(expr)
    if getattr(expr, "is_Add", False) or getattr(expr, "is_Mul", False) or tex.startswith("-"):
        return rf"\left({tex}\right)"
    return tex


def table(header: list[str], rows: list[list[str]], right: set[int] = frozenset()) -> str:
    lines = ["| " + " | ".join(cell(h) for h in header) + " |"]
    lines.append("|" + "|".join("---:" if i in right else "---" for i in range(len(header))) + "|")
    for row in rows:
        lines.append("| " + " | ".join(cell(c) for c in row) + " |")
    return "\n".join(lines)


def _mark(check: Check | None) -> str:
    if check is None:
        return ""
    return " ✓" if check.ok else (" ≈" if check.kind == "rounded" else " ✗")


# --------------------------------------------------------------------------- sections


def given(problem: Problem, lang: str) -> str:
    rows = []
    for group, role in ROLES:
        for name, value in getattr(problem, group).items():
            shown = "—" if value is None else fmt(float(value))
            rows.append([imath(latex_name(name)), code(name), label(lang, role), shown])
    header = [label(lang, "name"), label(lang, "id"), label(lang, "role"), label(lang, "value")]
    return f"## {label(lang, 'given')}\n\n" + table(header, rows, {3})


def forward(solution: Solution, lang: str, after: bool = False) -> str:
    steps = solution.forward_after if after else solution.forward
    symbolic = solution.problem.symbolic
    header = [label(lang, "node"), label(lang, "equation")]
    header.append(label(lang, "symbolic" if symbolic else "numbers"))
    if not symbolic:
        header.append(label(lang, "value"))
    rows = []
    for step in steps:
        name = latex_name(step.name)
        # the equation as written, so that the substituted numbers beside it read in step
        row = [code(step.name), imath(f"{name} = {latex_written(step.text)}"),
               code(step.substituted)]
        if not symbolic:
            quantity = Quantity.of_value(step.name, after)
            row.append(fmt(step.value) + _mark(solution.check_shown(quantity)))
        rows.append(row)
    title = forward_title(solution.problem, lang, after)
    return f"## {title}\n\n" + table(header, rows, {3})


def loss(solution: Solution, lang: str) -> str:
    p = solution.problem
    mark = _mark(solution.check_shown(Quantity.of_value(p.loss)))
    head = label(lang, "loss") + colon(lang).rstrip()
    return f"**{head}** {imath(latex_name(p.loss))} = {fmt(solution.loss)}{mark}"


def chain(solution: Solution, g: Gradient) -> str:
    """dL/dx as display math: the factors by name, their forms, their values and the total."""
    p = solution.problem
    symbolic = p.symbolic
    head = partial(p.loss, g.wrt)

    def names(path):
        return r" \cdot ".join(partial(p.loss if f.upstream else f.of, f.wrt) for f in path.factors)

    def forms(path):
        alone = len(g.paths) == 1 and len(path.factors) == 1  # nothing to set it apart from
        return r" \cdot ".join(
            partial(p.loss, f.wrt) if f.upstream else latex(f.expr) if alone else _wrapped(f.expr)
            for f in path.factors
        )

    def values(path):
        return r" \times ".join(_factor_value(f.value, i == 0) for i, f in enumerate(path.factors))

    sides = [" + ".join(names(path) for path in g.paths) or "0"]
    if g.paths:
        sides.append(" + ".join(forms(path) for path in g.paths))
    if symbolic:
        if g.total is not None:
            sides.append(latex(g.total))
    else:
        if g.paths:
            sides.append(" + ".join(values(path) for path in g.paths))
        if len(g.paths) > 1:
            sides.append(" + ".join(_factor_value(path.value, i == 0)
                                    for i, path in enumerate(g.paths)))  # fmt: skip
        sides.append(tex_number(g.value))
    # no line that only repeats the one before it (∂L/∂a = ∂L/∂a, = 0 then = 0 again)
    kept: list[str] = []
    for side in sides:
        if side != (kept[-1] if kept else head):
            kept.append(side)
    if not kept:
        kept.append(head)
    lines = [f"{head} = {kept[0]}"] + [f"= {side}" for side in kept[1:]]
    return "\n\n".join(block(line) for line in lines)


def deltas(solution: Solution, lang: str) -> str:
    """Each node's δ = dL/d(node), loss side first: where the parameters' upstream factors come
    from when their chains are shown in delta form (as `solve` shows them)."""
    p = solution.problem
    by_name = {g.wrt: g for g in solution.gradients}
    parts = [f"## {label(lang, 'deltas')}"]
    for step in reversed(solution.forward):
        g = by_name.get(step.name)
        if g is not None:
            parts.append(f"### {imath(partial(p.loss, g.wrt))}")
            parts.append(chain(solution, g))
    return "\n\n".join(parts)


def chains(solution: Solution, lang: str) -> str:
    p = solution.problem
    parts = [f"## {label(lang, 'chains')}"]
    for g in solution.gradients:
        if g.wrt not in p.params:
            continue
        mark = _mark(solution.check_shown(Quantity.gradient(p.loss, g.wrt)))
        parts.append(f"### {imath(partial(p.loss, g.wrt))}{mark}")
        if g.delta_form:
            parts.append(label(lang, "delta", x=g.wrt))
        parts.append(chain(solution, g))
    return "\n\n".join(parts)


def gradients(solution: Solution, lang: str) -> str:
    p = solution.problem
    rows = []
    for name in p.params:
        mark = _mark(solution.check_shown(Quantity.gradient(p.loss, name)))
        rows.append([imath(latex_name(name)), code(name),
                     fmt(solution.node_grads.get(name)) + mark])  # fmt: skip
    header = [label(lang, "param"), label(lang, "id"), imath(rf"\frac{{\partial {latex_name(p.loss)}}}{{\partial \theta}}")]
    return f"## {label(lang, 'gradients')}\n\n" + table(header, rows, {2})


# symbols are math; words (buffer, uncorrected) are text in the reader's language
STATE_SYMBOLS = {"l2_term": imath(r"\lambda w"),
                 "g": imath(r"\frac{\partial L}{\partial w} + \lambda w"),
                 "m": imath("m"), "v": imath("v"), "m_hat": imath(r"\hat{m}"),
                 "v_hat": imath(r"\hat{v}")}  # fmt: skip


def _state_heading(key: str, lang: str) -> str:
    return STATE_SYMBOLS.get(key) or label(lang, key)


def updates(solution: Solution, lang: str) -> str:
    title = update_title(solution.problem, solution.updates, lang)
    keys = state_keys(solution)
    header = [label(lang, "param"), label(lang, "id"), label(lang, "old"), label(lang, "gradient")]
    header += [_state_heading(k, lang) for k in keys] + [label(lang, "new")]
    rows = []
    for u in solution.updates:
        row = [imath(latex_name(u.name)), code(u.name), fmt(u.old), fmt(u.grad)]
        row += [fmt(u.state[k]) for k in keys]
        row.append(fmt(u.new) + _mark(solution.check_shown(Quantity.of_value(u.name, True))))
        rows.append(row)
    text = f"## {title}\n\n" + table(header, rows, set(range(2, len(header))))
    if "m" in keys or "v" in keys:
        text += "\n" + label(lang, "moments") + "\n"
    return text


def verdict(solution: Solution, lang: str) -> str:
    """Loss before → after, plain text: the check of the published loss after the update
    stands next to that number (the loss before has its own line), not after "it went down"."""
    a, b = solution.loss, solution.loss_after
    down = a is not None and b is not None and b < a
    check = solution.check_shown(Quantity.of_value(solution.problem.loss, after=True))
    after = fmt(b) + _mark(check)
    return label(lang, "before_after", a=fmt(a), b=after,
                 verdict=label(lang, "down" if down else "up"))  # fmt: skip


def notes(solution: Solution, lang: str) -> str:
    if not solution.notes:
        return ""
    return f"## {label(lang, 'notes')}\n\n" + "\n".join(f"- {note(n, lang)}" for n in solution.notes)


def _computed(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, (int, float)):
        return fmt(float(value))
    return imath(latex(value))


def errata(solution: Solution, lang: str) -> str:
    if not solution.checks:
        return ""
    bad = solution.errata
    if not bad:  # nothing to correct: a line, not an Errata section
        return "✓ " + label(lang, "checks_ok", n=len(solution.checks))
    head = f"## {label(lang, 'errata')}\n\n"
    rows = [[str(c.line or ""), code(c.quantity.text), code(c.published), _computed(c.computed),
             reason(c, lang)]
            for c in bad]  # fmt: skip
    header = [label(lang, k) for k in ("line", "quantity", "published", "computed", "why")]
    rounded = len(bad) - len(solution.mistakes)
    summary = label(lang, "errata_count", wrong=len(solution.mistakes), checked=len(solution.checks))
    if rounded:
        summary += label(lang, "errata_rounded", n=rounded)
    return head + f"{summary}\n\n" + table(header, rows, {0, 3})


# --------------------------------------------------------------------------- documents


def markdown(solution: Solution, lang: str = "en") -> str:
    """The whole worked solution as one Markdown document, in the order of the section plan
    (`explain.sections`): title, source and statement, then each section."""
    p = solution.problem
    parts = [f"# {p.id}: {p.title.get(lang)}"]
    if p.source.en:
        parts.append(f"*{label(lang, 'source')}{colon(lang)}{p.source.get(lang)}*")
    parts.append(statement_text(p, lang).replace("\n", "  \n"))
    make = {
        "given": lambda: given(p, lang),
        "forward": lambda: forward(solution, lang),
        "loss": lambda: loss(solution, lang),
        "deltas": lambda: deltas(solution, lang),
        "chains": lambda: chains(solution, lang),
        "gradients": lambda: gradients(solution, lang),
        "update": lambda: updates(solution, lang),
        "after": lambda: forward(solution, lang, after=True),
        "verdict": lambda: verdict(solution, lang),
        "notes": lambda: notes(solution, lang),
        "errata": lambda: errata(solution, lang),
    }
    parts += [make[section]() for section in explain.sections(solution)]
    return "\n\n".join(part for part in parts if part) + "\n"


def index(solutions: list[Solution], lang: str = "en") -> str:
    """A table of contents for `export --all`: one row per problem, linked to its file."""
    rows = []
    for s in solutions:
        p = s.problem
        bad = len(s.errata)
        asks = ("、" if lang == "zh" else ", ").join(asked(a, lang) for a in p.asks)
        checked = f"{bad} / {len(s.checks)}" if s.checks else "—"  # nothing published to check
        rows.append([f"[{p.id}]({p.id}.md)", p.title.get(lang), p.kind, asks, checked])
    header = [label(lang, "id"), label(lang, "title"), label(lang, "kind"), label(lang, "asked"),
              label(lang, "errata_n")]  # fmt: skip
    return f"# bptutor: {label(lang, 'all')}\n\n" + table(header, rows, {4}) + "\n"
