"""A Solution as a document: headings, paragraphs, tables and math, written out as Markdown
(GitHub-flavoured tables, `$$ ... $$` math from SymPy's printer) or, by `html_export`, as HTML.

A view like `render`: it reads a Solution and writes text, it never differentiates; it
follows the section plan of `explain` and takes its words from `messages`. Each section is
built once as blocks (`Heading`, `Para`, `Table`, `Display`, `Bullets`) whose inline parts are
text, `Math`, `Code`, `Strong`, `Emph` and `Link`; `markdown` and `html_export.page` only
serialise them. The LaTeX sticks to what GitHub, Obsidian, Typora, KaTeX and matplotlib's
mathtext all understand (`\\frac`, `\\partial`, `\\cdot`, `\\times`, `\\hat`, `\\mathrm`,
`\\left(`), no macros, and converts to MathML Core for the HTML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tutor.model import Problem, Quantity
from tutor.model.solution import Check, Gradient, Solution
from tutor.solutions import explain
from tutor.solutions.explain import ROLES, state_keys, statement_text
from tutor.text.messages import (
    asked,
    colon,
    forward_title,
    listed,
    note,
    reason,
    say,
    update_title,
)
from tutor.text.notation import fmt, latex, latex_name, tensor_text
from tutor.views.written import latex_written

label = say  # a message of the catalogue (tutor/messages.py) in the reader's language


# --------------------------------------------------------------------------- the document


@dataclass(frozen=True)
class Math:
    """Inline LaTeX."""

    tex: str


@dataclass(frozen=True)
class Code:
    """An identifier or text shown as typed (no markup inside)."""

    text: str


@dataclass(frozen=True)
class Strong:
    text: str


@dataclass(frozen=True)
class Emph:
    text: str


@dataclass(frozen=True)
class Link:
    text: str
    target: str  # a file name without its extension: `.md` or `.html` is the writer's


# a run of inline content: plain text (str; a newline is a line break) and the pieces above
Inline = tuple


@dataclass(frozen=True)
class Heading:
    level: int
    inline: Inline


@dataclass(frozen=True)
class Para:
    inline: Inline


@dataclass(frozen=True)
class Table:
    header: tuple[Inline, ...]
    rows: tuple[tuple[Inline, ...], ...]
    right: frozenset = frozenset()  # columns of numbers (right-aligned)


@dataclass(frozen=True)
class Display:
    """One line of display math."""

    tex: str


@dataclass(frozen=True)
class Bullets:
    items: tuple[Inline, ...]


def inline(*parts) -> Inline:
    """Inline content from text and pieces; empty strings dropped."""
    return tuple(p for p in parts if p != "")


# --------------------------------------------------------------------------- pieces


def cell(text: str) -> str:
    """Text safe inside a GitHub table cell: pipes escaped, no line breaks."""
    return text.replace("|", "\\|").replace("\n", " ")


# What would make plain text markup, backslash-escaped (CommonMark escapes any ASCII
# punctuation): anywhere, what starts an HTML tag or autolink (<), an entity (&lt;), math ($),
# code (`), emphasis (*, and _ unless inside a word), strikethrough (~), an inline link or
# image (] before "("), a hard line break (a backslash at the end); at the start of a line,
# what starts a block: heading (#), quote (>), list (-, +, 1. or 1)), link reference
# definition ([), and after a first line a setext underline (=) or table delimiter row (|, :).
_MARKUP = re.compile(r"[\\`*<$~]|&(?=[#A-Za-z0-9])|\](?=\(|\Z)|(?<![^\W_])_|_(?![^\W_])")
_AFTER_A_LINE = ("=", "|", ":")
_BLOCK = re.compile(r"^([ \t]*)(?:([#>+=|:\[-])|(\d{1,9})([.)]))", re.MULTILINE)


def md_text(text: str, line_start: bool = False) -> str:
    """Plain text as Markdown that shows it as it is, with no HTML, link, math or block of
    its own (`_MARKUP`, `_BLOCK`): a problem's title, statement and source are other people's
    text; only the project's own math, code spans, links and tables are markup. A block can
    start after each newline, and at the beginning when `line_start` (a paragraph's first
    text)."""
    text = _MARKUP.sub(r"\\\g<0>", text)

    def block(m: re.Match) -> str:
        # the first line of a paragraph cannot underline a heading or be a table's delimiter row
        if m.start() == 0 and not (line_start and m[2] not in _AFTER_A_LINE):
            return m[0]
        return f"{m[1]}\\{m[2]}" if m[2] else f"{m[1]}{m[3]}\\{m[4]}"

    return _BLOCK.sub(block, text)


def code(text: str) -> str:
    """An inline code span (no Markdown inside): a fence longer than any run of backticks in
    the text, padded when the text starts or ends with one; line breaks as spaces, so that no
    block (an HTML block, a heading) starts inside it."""
    text = text.replace("\r", " ").replace("\n", " ")
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text[:1] in ("`", " ") or text[-1:] in ("`", " ") else ""
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


def table(header: list, rows: list[list], right: set[int] = frozenset()) -> Table:
    """A table of inline cells (a str cell is plain text)."""

    def one(c) -> Inline:
        return c if isinstance(c, tuple) else (c,)

    return Table(
        tuple(one(h) for h in header),
        tuple(tuple(one(c) for c in row) for row in rows),
        frozenset(right),
    )


def _mark(check: Check | None) -> str:
    if check is None:
        return ""
    return " ✓" if check.ok else (" ≈" if check.kind == "rounded" else " ✗")


def heading(level: int, *parts) -> Heading:
    return Heading(level, inline(*parts))


# --------------------------------------------------------------------------- sections


def given(problem: Problem, lang: str) -> list:
    rows = []
    for group, role in ROLES:
        for name, value in getattr(problem, group).items():
            shown = "—" if value is None else fmt(float(value))
            rows.append([Math(latex_name(name)), Code(name), label(lang, role), shown])
    header = [label(lang, "name"), label(lang, "id"), label(lang, "role"), label(lang, "value")]
    return [heading(2, label(lang, "given")), table(header, rows, {3})]


def forward(solution: Solution, lang: str, after: bool = False) -> list:
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
        row = [
            Code(step.name),
            Math(f"{name} = {latex_written(step.text)}"),
            Code(step.substituted),
        ]
        if not symbolic:
            quantity = Quantity.of_value(step.name, after)
            row.append(fmt(step.value) + _mark(solution.check_shown(quantity)))
        rows.append(row)
    title = forward_title(solution.problem, lang, after)
    return [heading(2, title), table(header, rows, {3}), *forward_remarks(solution, lang, after)]


def forward_remarks(solution, lang: str, after: bool) -> list:
    """The author's remarks on forward values (`remarks:` by a node's name), after the table."""
    if after:
        return []
    out = []
    for step in solution.forward:
        remark = solution.problem.remark(step.name)
        if remark is not None:
            out.append(Para(inline(Code(step.name), " ", Emph("※ " + remark.get(lang)))))
    return out


def loss(solution: Solution, lang: str) -> list:
    p = solution.problem
    mark = _mark(solution.check_shown(Quantity.of_value(p.loss)))
    head = label(lang, "loss") + colon(lang).rstrip()
    return [
        Para(inline(Strong(head), " ", Math(latex_name(p.loss)), f" = {fmt(solution.loss)}{mark}"))
    ]


def chain(solution: Solution, g: Gradient) -> str:
    """`chain_lines` as Markdown display math."""
    return "\n\n".join(md_block(b) for b in chain_lines(solution, g))


def chain_lines(solution: Solution, g: Gradient) -> list:
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
            sides.append(
                " + ".join(_factor_value(path.value, i == 0) for i, path in enumerate(g.paths))
            )
        sides.append(tex_number(g.value))
    # no line that only repeats the one before it (∂L/∂a = ∂L/∂a, = 0 then = 0 again)
    kept: list[str] = []
    for side in sides:
        if side != (kept[-1] if kept else head):
            kept.append(side)
    if not kept:
        kept.append(head)
    lines = [f"{head} = {kept[0]}"] + [f"= {side}" for side in kept[1:]]
    return [Display(line) for line in lines]


def deltas(solution: Solution, lang: str) -> list:
    """Each node's δ = dL/d(node), loss side first: where the parameters' upstream factors come
    from when their chains are shown in delta form (as `solve` shows them)."""
    p = solution.problem
    by_name = {g.wrt: g for g in solution.gradients}
    parts = [heading(2, label(lang, "deltas"))]
    for step in reversed(solution.forward):
        g = by_name.get(step.name)
        if g is not None:
            parts.append(heading(3, Math(partial(p.loss, g.wrt))))
            parts += chain_lines(solution, g)
    return parts


def chains(solution: Solution, lang: str) -> list:
    p = solution.problem
    parts = [heading(2, label(lang, "chains"))]
    for g in solution.gradients:
        if g.wrt not in p.params:
            continue
        mark = _mark(solution.check_shown(Quantity.gradient(p.loss, g.wrt)))
        parts.append(heading(3, Math(partial(p.loss, g.wrt)), mark))
        if g.delta_form:
            parts.append(Para(inline(label(lang, "delta", x=g.wrt))))
        parts += chain_lines(solution, g)
        remark = p.remark(f"d{p.loss}/d{g.wrt}")
        if remark is not None:  # the author's word on it (the file's `remarks:`)
            parts.append(Para(inline(Emph("※ " + remark.get(lang)))))
    return parts


def gradients(solution: Solution, lang: str) -> list:
    p = solution.problem
    rows = []
    for name in p.params:
        mark = _mark(solution.check_shown(Quantity.gradient(p.loss, name)))
        rows.append([Math(latex_name(name)), Code(name), fmt(solution.node_grads.get(name)) + mark])
    header = [
        label(lang, "param"),
        label(lang, "id"),
        Math(rf"\frac{{\partial {latex_name(p.loss)}}}{{\partial \theta}}"),
    ]
    return [heading(2, label(lang, "gradients")), table(header, rows, {2})]


# symbols are math; words (buffer, uncorrected) are text in the reader's language
STATE_SYMBOLS = {
    "l2_term": Math(r"\lambda w"),
    "g": Math(r"\frac{\partial L}{\partial w} + \lambda w"),
    "m": Math("m"),
    "v": Math("v"),
    "m_hat": Math(r"\hat{m}"),
    "v_hat": Math(r"\hat{v}"),
}


def _state_heading(key: str, lang: str):
    return STATE_SYMBOLS.get(key) or label(lang, key)


def updates(solution: Solution, lang: str) -> list:
    title = update_title(solution.problem, solution.updates, lang)
    keys = state_keys(solution)
    header = [label(lang, "param"), label(lang, "id"), label(lang, "old"), label(lang, "gradient")]
    header += [_state_heading(k, lang) for k in keys] + [label(lang, "new")]
    rows = []
    for u in solution.updates:
        row = [Math(latex_name(u.name)), Code(u.name), fmt(u.old), fmt(u.grad)]
        row += [fmt(u.state[k]) for k in keys]
        row.append(fmt(u.new) + _mark(solution.check_shown(Quantity.of_value(u.name, True))))
        rows.append(row)
    parts = [heading(2, title), table(header, rows, set(range(2, len(header))))]
    if "m" in keys or "v" in keys:
        parts.append(Para(inline(label(lang, "moments"))))
    return parts


def verdict(solution: Solution, lang: str) -> list:
    """Loss before → after, plain text: the check of the published loss after the update
    stands next to that number (the loss before has its own line), not after "it went down"."""
    a, b = solution.loss, solution.loss_after
    down = a is not None and b is not None and b < a
    check = solution.check_shown(Quantity.of_value(solution.problem.loss, after=True))
    after = fmt(b) + _mark(check)
    return [
        Para(
            inline(
                label(
                    lang,
                    "before_after",
                    a=fmt(a),
                    b=after,
                    verdict=label(lang, "down" if down else "up"),
                )
            )
        )
    ] + inactive_paras(solution, lang)


def inactive_paras(solution, lang: str) -> list:
    """How many ReLU units the step left inactive (`terminal.inactive_sentences`)."""
    from tutor.views.terminal import inactive_sentences

    return [Para(inline(text)) for text, _ in inactive_sentences(solution, lang)]


def parameters(solution, lang: str) -> list:
    """Each layer's parameters and their number, then the total (`terminal.count_rows`)."""
    from tutor.views.terminal import count_rows

    rows, lines = count_rows(solution, lang)
    header = [label(lang, k) for k in ("counts_layer", "counts_reads", "counts_count")]
    body = [
        [Code(layer) if i < len(rows) - 1 else layer, reads, count]
        for i, (layer, reads, count) in enumerate(rows)
    ]
    return [heading(2, label(lang, "counts_title")), table(header, body, {2})] + [
        Para(inline(line)) for line in lines
    ]


def notes(solution: Solution, lang: str) -> list:
    if not solution.notes:
        return []
    return [
        heading(2, label(lang, "notes")),
        Bullets(tuple(inline(note(n, lang)) for n in solution.notes)),
    ]


def _computed(value):
    if value is None:
        return "—"
    if isinstance(value, (int, float)):
        return fmt(float(value))
    if hasattr(value, "shape"):  # a tensor, written as its published value is
        return Code(tensor_text(value))
    return Math(latex(value))


def errata(solution: Solution, lang: str) -> list:
    if not solution.checks:
        return []
    bad = solution.errata
    if not bad:  # nothing to correct: a line, not an Errata section
        return [Para(inline("✓ " + label(lang, "checks_ok", n=len(solution.checks))))]
    rows = [
        [
            str(c.line or ""),
            Code(c.quantity.text),
            Code(c.published),
            _computed(c.computed),
            reason(c, lang),
        ]
        for c in bad
    ]
    header = [label(lang, k) for k in ("line", "quantity", "published", "computed", "why")]
    rounded = len(bad) - len(solution.mistakes)
    summary = label(
        lang, "errata_count", wrong=len(solution.mistakes), checked=len(solution.checks)
    )
    if rounded:
        summary += label(lang, "errata_rounded", n=rounded)
    return [heading(2, label(lang, "errata")), Para(inline(summary)), table(header, rows, {0, 3})]


# --------------------------------------------------------------------------- documents


def front(problem: Problem, lang: str) -> list:
    """Title, source and statement: what every document starts with."""
    parts = [heading(1, f"{problem.id}: {problem.title.get(lang)}")]
    if problem.source.en:
        parts.append(
            Para(inline(Emph(f"{label(lang, 'source')}{colon(lang)}{problem.source.get(lang)}")))
        )
    parts.append(Para(inline(statement_text(problem, lang))))
    return parts


def document(solution: Solution, lang: str = "en") -> list:
    """The whole worked solution as blocks, in the order of the section plan
    (`explain.sections`): title, source and statement, then each section. Kept in the
    user's cache directory (`cache.cached_object`): the LaTeX and text of every expression
    are printed by SymPy once, not in every run."""
    from tutor.cache import cached_object

    return cached_object("document", (solution, lang), lambda: _document(solution, lang))


def _document(solution: Solution, lang: str) -> list:
    make = {
        "given": lambda: given(solution.problem, lang),
        "forward": lambda: forward(solution, lang),
        "loss": lambda: loss(solution, lang),
        "deltas": lambda: deltas(solution, lang),
        "chains": lambda: chains(solution, lang),
        "gradients": lambda: gradients(solution, lang),
        "parameters": lambda: parameters(solution, lang),
        "update": lambda: updates(solution, lang),
        "after": lambda: forward(solution, lang, after=True),
        "verdict": lambda: verdict(solution, lang),
        "notes": lambda: notes(solution, lang),
        "errata": lambda: errata(solution, lang),
    }
    parts = front(solution.problem, lang)
    for section in explain.sections(solution):
        parts += make[section]()
    return parts


def handout(problem: Problem, lang: str = "en") -> list:
    """The problem without answers, for a class: title, source, statement, the given values
    and what is asked."""
    asks = listed((asked(a, lang) for a in problem.asks), lang)
    return (
        front(problem, lang)
        + given(problem, lang)
        + [Para(inline(Strong(label(lang, "to_find") + colon(lang).rstrip()), " ", asks))]
    )


def answer_key(solution: Solution, lang: str = "en") -> list:
    """The worked solution headed as the answer key of its handout."""
    parts = document(solution, lang)
    title = parts[0]
    return [Heading(1, title.inline + (f" — {label(lang, 'answer_key')}",))] + parts[1:]


def index_document(solutions: list[Solution], lang: str = "en", key: bool = False) -> list:
    """A table of contents for `export --all`: one row per problem, linked to its file (and,
    for handouts, to its answer key)."""
    rows = []
    for s in solutions:
        p = s.problem
        bad = len(s.errata)
        asks = listed((asked(a, lang) for a in p.asks), lang)
        checked = f"{bad} / {len(s.checks)}" if s.checks else "—"  # nothing published to check
        row = [Link(p.id, p.id), p.title.get(lang), p.kind, asks, checked]
        if key:
            row.append(Link(label(lang, "answer_key"), key_name(p.id)))
        rows.append(row)
    header = [
        label(lang, "id"),
        label(lang, "title"),
        label(lang, "kind"),
        label(lang, "asked"),
        label(lang, "errata_n"),
    ]
    if key:
        header.append(label(lang, "answer_key"))
    return [heading(1, f"bptutor: {label(lang, 'all')}"), table(header, rows, {4})]


def key_name(pid: str) -> str:
    """The answer key's file name (without extension) beside a handout `pid`."""
    return f"{pid}.key"


# --------------------------------------------------------------------------- Markdown


def md_inline(parts: Inline, in_table: bool = False, one_line: bool = False) -> str:
    """Inline content as Markdown: text escaped (`md_text`), the pieces as markup; a newline
    is a line break, or a space in a table cell or a heading (`one_line`)."""
    out = []
    flat = in_table or one_line
    for i, part in enumerate(parts):
        if isinstance(part, str):
            text = md_text(part.replace("\n", " ") if flat else part, i == 0 and not flat)
            out.append(text if flat else text.replace("\n", "  \n"))
        elif isinstance(part, Math):
            out.append(imath(part.tex))
        elif isinstance(part, Code):
            out.append(code(part.text))
        elif isinstance(part, Strong):
            out.append(f"**{md_text(part.text)}**")
        elif isinstance(part, Emph):
            out.append(f"*{md_text(part.text)}*")
        elif isinstance(part, Link):
            out.append(f"[{md_text(part.text)}]({part.target}.md)")
    text = "".join(out)
    return cell(text) if in_table else text


def md_block(b) -> str:
    if isinstance(b, Heading):
        return "#" * b.level + " " + md_inline(b.inline, one_line=True)
    if isinstance(b, Para):
        return md_inline(b.inline)
    if isinstance(b, Display):
        return block(b.tex)
    if isinstance(b, Bullets):
        return "\n".join(f"- {md_inline(item)}" for item in b.items)
    if isinstance(b, Table):
        n = len(b.header)
        lines = ["| " + " | ".join(md_inline(h, True) for h in b.header) + " |"]
        lines.append("|" + "|".join("---:" if i in b.right else "---" for i in range(n)) + "|")
        for row in b.rows:
            lines.append("| " + " | ".join(md_inline(c, True) for c in row) + " |")
        return "\n".join(lines)
    raise TypeError(f"not a block: {b!r}")


def to_markdown(blocks: list) -> str:
    return "\n\n".join(text for text in (md_block(b) for b in blocks) if text) + "\n"


def markdown(solution: Solution, lang: str = "en") -> str:
    """The whole worked solution as one Markdown document (`document`)."""
    return to_markdown(document(solution, lang))


def index(solutions: list[Solution], lang: str = "en", key: bool = False) -> str:
    """`index_document` as Markdown."""
    return to_markdown(index_document(solutions, lang, key))
