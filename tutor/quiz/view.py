"""Rich renderables for quiz mode: questions, feedback, hints, score and progress tables.

They only describe output (student text is escaped); the CLI prints them.
"""

from __future__ import annotations

import datetime

from rich import box
from rich.console import Group
from rich.markup import escape
from rich.padding import Padding
from rich.text import Text as RichText

from tutor.model import Quantity
from tutor.model.quiz import ConceptQuestion, Grade, Question
from tutor.model.solution import Solution
from tutor.text import linebreak
from tutor.text.messages import say, separator
from tutor.text.notation import fmt, pretty_equation, pretty_name, text
from tutor.views.tables import FastTable

linebreak.install()  # Chinese between characters, formulas whole (tutor/linebreak.py)


# By a grade's verdict (an undecided one by its reason) and by an outcome's verdict.
STYLES = {
    "right": "green",
    "correct": "green",
    "carried": "yellow",
    "wrong": "red",
    "invalid": "magenta",
    "figures": "yellow",
    "points": "magenta",
    "revealed": "yellow",
    "skipped": "dim",
    "unanswered": "dim",
}
MARKS = {
    "right": "✓",
    "carried": "~",
    "wrong": "✗",
    "invalid": "⚠",
    "figures": "≈",
    "points": "⚠",
}  # not "?": that asks for a hint


def label(lang: str, key: str, **kw) -> str:
    """The quiz's word `key` (a `quiz_` key of the catalogue, tutor/text/quiz.py) in `lang`."""
    return say(lang, f"quiz_{key}", **kw)


def quantity(key: str) -> str:
    """A quantity's written form (`Quantity.text`, as questions and the progress database
    keep it) as shown: `dL/dw1` -> `∂L/∂w1`, `yhat` -> `ŷ`, `w1'` -> `w1'`, `m[w1]`; any
    other key (a concept question's id) as it is."""
    try:
        q = Quantity.parse(key, "")  # a gradient and a local factor print alike
    except ValueError:
        return key
    if q.kind in ("gradient", "factor"):
        body = f"∂{pretty_name(q.names[0])}/∂{pretty_name(q.names[1])}"
    elif q.kind == "state":
        body = f"{q.slot}[{pretty_name(q.name)}]"
    else:
        body = pretty_name(q.name) + ("'" if q.kind == "after" else "")
    return f"{q.optimizer}:{body}" if q.optimizer else body


def question(
    q: Question,
    index: int,
    total: int,
    lang: str,
    equation: str = "",
    update: tuple[str, float] | None = None,
) -> RichText:
    """`[3/14] forward  ŷ = w3*h + b2`: what is asked, with its equation when there is one."""
    line = RichText(f"[{index}/{total}] ", style="dim")
    line.append(label(lang, "after_loss" if q.kind == "after" else q.kind), style="bold")
    line.append("  " + quantity(q.key))
    if equation:
        line.append(f" = {pretty_equation(equation)}", style="cyan")
    if update is not None:
        after = label(lang, "after", opt=update[0], lr=fmt(update[1]))
        line.append(f"  ({after})", style="dim")
    return line


def prompt(q: Question) -> str:
    """The input() prompt: plain text, so that it reaches pipes and terminals alike."""
    return f"{quantity(q.key)} = ? "


def echo(prompt: str, line: str) -> RichText:
    """A line read from an answers file, after its prompt; an over-long one cut short."""
    from tutor.quiz.grading import MAX_ANSWER, clip

    shown = clip(line) if len(line.strip()) > MAX_ANSWER else line
    return RichText(prompt + shown)


def feedback(grade: Grade, lang: str) -> RichText:
    look = grade.reason if grade.verdict == "undecided" else grade.verdict
    style = STYLES.get(look, "")
    line = RichText(f"{MARKS.get(look, '')} ", style=f"bold {style}")
    line.append(grade.feedback.get(lang), style=style)
    if grade.warning is not None:
        line.append("\n  ⚠ " + grade.warning.get(lang), style="yellow")
    return line


def _gradient(solution: Solution, q: Question):
    return next(g for g in solution.gradients if g.wrt == q.node)


def retry(grade: Grade, left: int, lang: str) -> RichText:
    """A wrong answer while tries remain: what went wrong, not the answer."""
    why = grade.diagnosis.get(lang) if grade.diagnosis is not None else label(lang, "wrong")
    line = RichText("✗ ", style="bold red")
    line.append(label(lang, "retry_one" if left == 1 else "retry", why=why, n=left), style="red")
    return line


def diagnosis(grade: Grade, lang: str) -> RichText:
    """A wrong answer's diagnosis without the answer (scaffolding follows)."""
    why = grade.diagnosis.get(lang) if grade.diagnosis is not None else label(lang, "wrong")
    return RichText("✗ " + why, style="bold red")


def scaffold(solution: Solution, q: Question, lang: str) -> RichText:
    """`Let's take it factor by factor: ∂L/∂w1 = ∂L/∂ŷ · ∂ŷ/∂h · ...`"""
    g = _gradient(solution, q)
    chain = f"∂{pretty_name(solution.problem.loss)}/∂{pretty_name(q.node)} = " + " + ".join(
        names for names, _, _ in (_path_parts(solution, p) for p in g.paths)
    )
    return RichText(label(lang, "scaffold", chain=chain), style="bold magenta")


def scaffold_question(q: Question, i: int, n: int, lang: str) -> RichText:
    """`  ↳ step 2/5 of ∂L/∂w1  factor  ∂ŷ/∂h`"""
    line = RichText(
        "  ↳ " + label(lang, "scaffold_head", i=i, n=n, of=quantity(q.scaffold_of)) + "  ",
        style="dim",
    )
    if i > n:
        line = RichText("  ↳ " + label(lang, "product") + "  ", style="dim")
    line.append(label(lang, q.kind), style="bold")
    line.append("  " + quantity(q.key))
    return line


def kept(key: str, value: str, lang: str) -> RichText:
    return RichText("  ↳ " + label(lang, "kept", x=quantity(key), v=value), style="dim green")


def note(key: str, lang: str, **kw) -> RichText:
    return RichText(label(lang, key, **kw), style="dim")


def hints(solution: Solution, q: Question, lang: str = "en") -> list[str]:
    """The candidate rungs of a question's hint ladder, each giving more away (the session
    keeps those that add something: `asking.fresh`).

    A delta or gradient: 1 names its factors (∂L/∂ŷ · ∂ŷ/∂h ...), 2 gives each local
    derivative's rule in symbols, 3 the numbers to multiply (not on a symbolic problem); one
    local factor alone (∂L/∂ŷ) has a factor's rungs. A local factor: the node's equation, the
    rule, the rule at the numbers. A forward step: its equation (shown with the question),
    then its numbers. An update: the rule, then its numbers."""
    from tutor.text.messages import say

    problem = solution.problem
    loss = pretty_name(problem.loss)
    symbolic = problem.symbolic
    if q.kind in ("forward", "loss"):
        step = next(s for s in solution.forward if s.name == q.node)
        name = pretty_name(q.node)
        if symbolic:
            return [f"{name} = {step.text}"]
        return [f"{name} = {step.text}", f"{name} = {step.substituted}"]
    if q.kind in ("gradient", "delta"):
        g = _gradient(solution, q)
        grad = f"∂{loss}/∂{pretty_name(q.node)}"
        if not g.paths:
            return [say(lang, "no_path", grad=grad)]
        if len(g.paths) == 1 and len(g.paths[0].factors) == 1:  # ∂L/∂ŷ: one local factor
            f = g.paths[0].factors[0]
            if not f.upstream:
                return _factor_lines(solution, f.of, f.wrt)
        parts = [_path_parts(solution, p) for p in g.paths]
        rules: list[str] = []
        for path in g.paths:
            for f in path.factors:
                if f.upstream:
                    line = f"∂{loss}/∂{pretty_name(f.wrt)} {say(lang, 'accumulated')}"
                else:
                    line = f"∂{pretty_name(f.of)}/∂{pretty_name(f.wrt)} = {text(f.expr)}"
                if line not in rules:
                    rules.append(line)
        out = [f"{grad} = " + " + ".join(names for names, _, _ in parts), "; ".join(rules)]
        if not symbolic:
            out.append(f"{grad} = " + " + ".join(numbers for _, _, numbers in parts))
        return out
    if q.kind == "factor":
        return _factor_lines(solution, q.of, q.node)
    if q.kind == "after":
        new = f"{loss}'"
        step = next(s for s in solution.forward_after if s.name == problem.loss)
        return [say_after(new, lang), f"{new} = {step.text} = {step.substituted}"]
    return _update_lines(solution, q, lang, with_result=False)


def _factor_lines(solution: Solution, of: str, wrt: str) -> list[str]:
    """A local factor's rungs: the node's equation, the factor's rule, the rule at the
    numbers (not on a symbolic problem); `Session.hints` drops a rung that adds nothing."""
    from tutor.text.notation import substitute

    problem = solution.problem
    f = solution.local[(of, wrt)]
    step = next(s for s in solution.forward if s.name == of)
    name = f"∂{pretty_name(of)}/∂{pretty_name(wrt)}"
    out = [f"{pretty_name(of)} = {step.text}", f"{name} = {text(f.expr)}"]
    if not problem.symbolic:
        values = {
            **{k: float(v) for k, v in problem.leaves.items()},
            **{s.name: s.value for s in solution.forward},
        }
        out.append(f"{name} = {substitute(_plain_names(text(f.expr), values), values)}")
    return out


def _plain_names(shown: str, values: dict) -> str:
    """`ŷ - y` -> `yhat - y` for the names in `values`: the text printer writes the course's
    names, `substitute` reads the file's."""
    import re

    pretty = {pretty_name(k): k for k in values if pretty_name(k) != k}
    if not pretty:
        return shown
    alternatives = "|".join(re.escape(p) for p in sorted(pretty, key=len, reverse=True))
    return re.sub(rf"(?:{alternatives})(?![A-Za-z0-9_])", lambda m: pretty[m.group(0)], shown)


def say_after(new: str, lang: str) -> str:
    return label(lang, "after_hint", new=new)


def _path_parts(solution: Solution, path) -> tuple[str, str, str]:
    from tutor.views.terminal import path_parts

    return path_parts(path, solution.problem.loss)


def _update_lines(solution: Solution, q: Question, lang: str, with_result: bool) -> list[str]:
    """An update's rule, then its numbers (sgd); another optimizer's step in one line."""
    from tutor.text.messages import optimizer, say

    upd = next(u for u in solution.updates if u.name == q.node)
    problem = solution.problem
    name, loss = pretty_name(q.node), pretty_name(problem.loss)
    rule = problem.update
    result = f" = {fmt(upd.new)}" if with_result else ""
    if rule is not None and rule.optimizer == "sgd" and not rule.hyper.get("l2"):
        return [
            f"{name}' = {name} − η·∂{loss}/∂{name}",
            f"{name}' = {fmt(upd.old)} − {fmt(upd.lr)} × {fmt(upd.grad)}{result}",
        ]
    opt = optimizer(rule.optimizer if rule else "sgd", lang)
    return [
        say(
            lang,
            "optimizer_step",
            new=f"{name}'",
            opt=opt,
            name=name,
            old=fmt(upd.old),
            grad=f"∂{loss}/∂{name}",
            g=fmt(upd.grad),
        )
        + result
    ]


def explanation(solution: Solution, q: Question, lang: str) -> RichText:
    """Why the answer is what it is, as `solve` shows it: a gradient's chain with its forms
    and numbers (`∂L/∂w1 = ∂L/∂ŷ · ... = (ŷ - y) · w3 · ... = 4 × 2 × 1 × 1 = 8`), a forward
    row with its numbers, an update's rule with its numbers."""
    problem = solution.problem
    symbolic = problem.symbolic
    loss = pretty_name(problem.loss)
    lines: list[str] = []
    if q.kind in ("forward", "loss", "after"):
        steps = solution.forward_after if q.kind == "after" else solution.forward
        step = next(s for s in steps if s.name == q.node)
        name = pretty_name(q.node) + ("'" if q.kind == "after" else "")
        if symbolic:
            lines.append(f"{name} = {pretty_equation(step.text)}")
        else:
            lines.append(
                f"{name} = {pretty_equation(step.text)} = "
                f"{pretty_equation(step.substituted, '×')} = {fmt(step.value)}"
            )
    elif q.kind in ("gradient", "delta"):
        g = _gradient(solution, q)
        grad = f"∂{loss}/∂{pretty_name(q.node)}"
        parts = [_path_parts(solution, p) for p in g.paths]
        if not parts:
            lines.append(f"{grad} = 0")
        elif len(g.paths) == 1 and len(g.paths[0].factors) == 1:  # ∂L/∂ŷ: one local factor
            f = g.paths[0].factors[0]
            line = f"{grad} = {pretty_equation(text(f.expr))}"
            if not symbolic and not line.endswith(f" = {fmt(g.value)}"):
                line += f" = {fmt(g.value)}"
            lines.append(line)
        else:
            lines.append(f"{grad} = " + " + ".join(n for n, _, _ in parts))
            lines.append("  = " + " + ".join(forms for _, forms, _ in parts))
            if symbolic and g.total is not None:
                lines.append(f"  = {pretty_equation(text(g.total))}")
            elif not symbolic:
                numbers = " + ".join(f"{n}" if len(parts) == 1 else f"({n})" for _, _, n in parts)
                lines.append(f"  = {numbers} = {fmt(g.value)}")
    elif q.kind == "factor":
        f = solution.local[(q.of, q.node)]
        line = f"∂{pretty_name(q.of)}/∂{pretty_name(q.node)} = {pretty_equation(text(f.expr))}"
        if not symbolic and not line.endswith(f" = {fmt(f.value)}"):
            line += f" = {fmt(f.value)}"
        lines.append(line)
    else:
        lines.extend(pretty_equation(x) for x in _update_lines(solution, q, lang, True))
    return RichText("\n".join(lines), style="cyan")


def hint(found: tuple[int, int, str] | None, lang: str) -> RichText:
    if found is None:
        return RichText(label(lang, "no_hint"), style="dim")
    i, n, text = found
    colon = separator("colon", lang)
    line = RichText(label(lang, "hint", i=i, n=n) + colon, style="bold cyan")
    line.append(pretty_equation(text))
    return line


def revealed(exact: str, lang: str) -> RichText:
    return RichText(label(lang, "revealed", v=exact), style="yellow")


def skipped(lang: str) -> RichText:
    return RichText(label(lang, "skipped"), style="dim")


def interrupted(lang: str) -> RichText:
    """After Ctrl-C: the answers already given are kept (they were saved one by one)."""
    return RichText(label(lang, "interrupted"), style="yellow")


def variant_line(seed: int, lang: str) -> RichText:
    return RichText(label(lang, "variant", seed=seed), style="bold magenta")


def commands(lang: str, concepts: bool = False, guided: bool = False) -> RichText:
    key = "choose" if concepts else ("guided" if guided else "commands")
    return RichText(label(lang, key), style="dim")


def score_table(outcomes: list, lang: str, reveal: bool | None = None) -> Group:
    """Every question with the answer given, the verdict and the exact answer; the score.
    A quiz left before its end (a question not answered) shows only the verdicts of what was
    answered, so that resuming it still asks something: `reveal` True shows every answer,
    False none; None (the default) decides by whether the quiz was finished."""
    unanswered = [o for o in outcomes if o.verdict == "unanswered"]
    if reveal is None:
        reveal = not unanswered
    table = FastTable(box=box.SIMPLE_HEAVY)
    heads = ("question", "your_answer", "result") + (("answer",) if reveal else ())
    for key in heads:
        table.add_column(label(lang, key))
    for o in outcomes if reveal else [o for o in outcomes if o.verdict != "unanswered"]:
        style = STYLES.get(o.verdict, "")
        name = {"revealed": "revealed_v", "skipped": "skipped_v"}.get(o.verdict, o.verdict)
        asked = o.title.get(lang) if o.title is not None else quantity(o.key)
        if getattr(o, "scaffold_of", None):
            asked = "  ↳ " + asked
        row = [escape(asked), escape(o.answer), f"[{style}]{label(lang, name)}[/]"]
        table.add_row(*row, *((escape(o.exact),) if reveal else ()))
    main = [o for o in outcomes if not getattr(o, "scaffold_of", None)]
    total = sum(o.credit for o in main)
    lines = [table, RichText(label(lang, "score", s=fmt(total), n=len(main)), style="bold")]
    if unanswered and not reveal:
        n = len(unanswered)
        hidden = label(lang, "hidden_one") if n == 1 else label(lang, "hidden", n=n)
        lines.append(RichText(hidden, style="dim"))
    return Group(*lines)


def unfinished(lang: str, command: str | None) -> RichText:
    """How to go on after leaving a quiz: the command that resumes it (None: it cannot be
    resumed, answers read from a file), or --reveal."""
    if command is None:
        return RichText(label(lang, "reveal_with"), style="dim")
    return RichText(label(lang, "resume_with", command=command), style="dim")


def _hanging(lead: str, body: RichText | str, style: str = "", indent: int = 2) -> Padding:
    """`A. text` with wrapped lines starting under the text, not under the letter."""
    grid = FastTable.grid(padding=(0, 1, 0, 0))
    grid.add_column(no_wrap=True, style=style)
    grid.add_column(style=style)
    grid.add_row(lead, body)
    return Padding(grid, (0, 0, 0, indent), expand=False)


def concept_question(q: ConceptQuestion, index: int, total: int, lang: str) -> Group:
    head = FastTable.grid(padding=(0, 1, 0, 0))
    head.add_column(no_wrap=True, style="dim")
    head.add_column(style="bold")
    head.add_row(f"[{index}/{total}]", q.question.get(lang))
    lines: list = [head]
    for letter, opt in zip("ABCDEF", q.options):
        lines.append(_hanging(f"{letter}.", RichText(opt.text.get(lang))))
    return Group(*lines)


def concept_feedback(q: ConceptQuestion, chosen: int | None, lang: str) -> Group:
    """The verdict, then every option with its explanation."""
    right = next(i for i, o in enumerate(q.options) if o.correct)
    letter = "ABCDEF"[right]
    if chosen == right:
        head = RichText("✓ " + label(lang, "right_option", x=letter), style="bold green")
    elif chosen is None:
        head = RichText(label(lang, "revealed", v=letter), style="yellow")
    else:
        head = RichText("✗ " + label(lang, "wrong_option", x=letter), style="bold red")
    lines: list = [head]
    for i, opt in enumerate(q.options):
        mark = "✓" if opt.correct else ("✗" if i == chosen else " ")
        style = "green" if opt.correct else ("red" if i == chosen else "")
        lines.append(_hanging(f"{mark} {'ABCDEF'[i]}.", RichText(opt.text.get(lang)), style))
        lines.append(
            Padding(RichText(opt.explanation.get(lang), style="dim"), (0, 0, 0, 7), expand=False)
        )
    if q.see:
        lines.append(RichText("→ " + label(lang, "see_problem", id=q.see), style="cyan"))
    return Group(*lines)


def progress_table(summaries: list, path: str, lang: str) -> Group | RichText:
    """Attempts and accuracy per problem and quantity, weakest first, and what to review."""
    if not summaries:
        return RichText(label(lang, "empty", path=path), style="dim")
    table = FastTable(
        title=label(lang, "progress", path=path), box=box.SIMPLE_HEAVY, title_justify="left"
    )
    for key in ("problem", "quantity", "attempts", "accuracy", "last"):
        numeric = key in ("attempts", "accuracy")
        table.add_column(label(lang, key), justify="right" if numeric else "left")
    for s in summaries:
        colour = "green" if s.accuracy >= 0.8 else ("yellow" if s.accuracy >= 0.5 else "red")
        when = datetime.datetime.fromtimestamp(s.last).strftime("%Y-%m-%d %H:%M")
        table.add_row(
            escape(s.problem),
            escape(quantity(s.quantity)),
            str(s.attempts),
            f"[{colour}]{s.accuracy:.0%}[/]",
            when,
        )
    weak = [s for s in summaries if s.accuracy < 1.0][:3]
    if not weak:
        return table
    items = ", ".join(f"{s.problem} {quantity(s.quantity)}" for s in weak)
    return Group(table, RichText(label(lang, "review", items=items), style="bold"))


# -- the progress database's notices (tutor/progress.py) --------------------------------------

ROWS_NAMED = 8  # row ids named in one line; `progress --check` lists them all


def _rows(rows, lang: str) -> str:
    """`attempts 4, 7; cards 2`: the rows named by table and id, the first ROWS_NAMED."""
    ids: dict[str, list[int]] = {}
    for r in rows:
        if r.rowid not in ids.setdefault(r.table, []):
            ids[r.table].append(r.rowid)
    named, parts = 0, []
    for table, found in ids.items():
        shown = found[: max(0, ROWS_NAMED - named)]
        named += len(shown)
        if shown:
            parts.append(f"{table} " + ", ".join(map(str, shown)))
    more = sum(map(len, ids.values())) - named
    sep = separator("semicolon", lang)
    return sep.join(parts) + (f" (+{more})" if more else "")


def store_note(notice, lang: str) -> str:
    """A progress-database notice (`progress.Notice`) as one line."""
    n = len({(r.table, r.rowid) for r in notice.rows}) if notice.rows else notice.count
    return label(
        lang,
        f"store_{notice.kind}",
        path=notice.path,
        reason=notice.reason,
        n=n,
        rows=_rows(notice.rows, lang),
    )


def bad_row(row, lang: str) -> str:
    """One bad value (`progress.BadRow`) as `progress --check` lists it."""
    return label(
        lang,
        "bad_row",
        table=row.table,
        id=row.rowid,
        column=row.column,
        value=row.value,
        rule=label(lang, f"rule_{row.rule}"),
    )


def check_summary(bad: list, counts: dict, path: str, lang: str) -> str:
    """The last line of `progress --check`."""
    if bad:
        return label(lang, "check_bad", n=len({(r.table, r.rowid) for r in bad}), path=path)
    sep = separator("comma", lang)
    counted = sep.join(label(lang, "count_rows", n=n, table=t) for t, n in counts.items())
    return label(lang, "check_clean", path=path, counts=counted or "0")


def remark(text: str) -> RichText:
    """The problem author's remark on the quantity just asked (`remarks:` in its file)."""
    return RichText("※ " + text, style="italic")
