"""The pages of a homework set, as the export's blocks (tutor/views/document.py) written out by
its HTML page (MathML, no scripts): each student's handout (the export's statement-only
handout of every problem, with the questions numbered as the quiz asks them and a place for
each answer), their key (the worked solution of their variant), the teacher's index; after
grading, each student's feedback and the class summary with its bar chart (inline SVG)."""

from __future__ import annotations

from dataclasses import replace
from html import escape

from tutor.text.homework import say
from tutor.views.document import Bullets, Code, Heading, Link, Para, Strong, inline, table


def _demoted(blocks: list) -> list:
    """A problem's blocks under a page's own title: each heading one level down."""
    return [replace(b, level=min(b.level + 1, 4)) if isinstance(b, Heading) else b for b in blocks]


def _suffix(langs: list[str], lang: str) -> str:
    return "" if len(langs) == 1 else f".{lang}"


def _shape(q) -> str:
    return "×".join(map(str, q.shape)) if q.shape else ""


def questions_table(item, lang: str):
    """The questions of one variant, numbered, with the line to fill in and an empty cell."""

    rows = [
        [str(q.number), q.label, _shape(q), Code(line_key(item.problem_id, q)), ""]
        for q in item.asked
    ]
    header = [say(lang, k) for k in ("no", "quantity", "shape", "line", "your_answer")]
    return table(header, rows, {0})


def handout_blocks(set_name: str, student, items: list, lang: str) -> list:
    from tutor.views import document, matrix_document

    blocks = [
        Heading(
            1, inline(say(lang, "handout_title", set=set_name, name=student.name, id=student.id))
        ),
        Para(inline(say(lang, "handout_note", file=f"{student.id}.txt"))),
    ]
    for item in items:
        writer = matrix_document.handout if item.problem.tensor else document.handout
        blocks += _demoted(writer(item.problem, lang))
        blocks.append(Heading(3, inline(say(lang, "questions"))))
        blocks.append(questions_table(item, lang))
        if item.seed is not None:
            blocks.append(Para(inline(say(lang, "practise", pid=item.problem_id, seed=item.seed))))
    return blocks


def handout(set_name: str, student, items: list, lang: str) -> str:
    from tutor.views.html import page

    return page(handout_blocks(set_name, student, items, lang), lang)


def key_blocks(set_name: str, student, items: list, lang: str) -> list:
    from tutor.views import document, matrix_document

    blocks = [
        Heading(1, inline(say(lang, "key_title", set=set_name, name=student.name, id=student.id)))
    ]
    for item in items:
        writer = matrix_document.answer_key if item.problem.tensor else document.answer_key
        blocks += _demoted(writer(item.solution, lang))
    return blocks


def key(set_name: str, student, items: list, lang: str, key_format: str = "html") -> str:
    blocks = key_blocks(set_name, student, items, lang)
    if key_format == "md":
        from tutor.views.document import to_markdown

        return to_markdown(blocks)
    from tutor.views.html import page

    return page(blocks, lang)


def index(
    set_name: str, students, items: dict, langs: list[str], lang: str, key_format: str
) -> str:
    """The teacher's page: one row per student, linked to their handout, key and answer file,
    with their seeds."""
    from tutor.views.html import page

    suffix = _suffix(langs, lang)
    rows = []
    for s in students:
        seeds = ", ".join(
            f"{it.problem_id}: {it.seed}" if it.seed is not None else it.problem_id
            for it in items[s.id]
        )
        key_cell = (
            Link(say(lang, "key"), f"keys/{s.id}{suffix}")
            if key_format == "html"
            else Code(f"keys/{s.id}{suffix}.md")
        )
        rows.append(
            [
                s.id,
                s.name,
                Link(say(lang, "handout"), f"handouts/{s.id}{suffix}"),
                key_cell,
                Code(f"answers/{s.id}.txt"),
                seeds,
            ]
        )
    header = [say(lang, k) for k in ("id", "name", "handout", "key", "template", "seeds")]
    blocks = [
        Heading(1, inline(say(lang, "index_title", set=set_name, n=len(students)))),
        table(header, rows),
        Para(inline(say(lang, "index_grade", folder="."))),
    ]
    return page(blocks, lang)


# --------------------------------------------------------------------------- after grading

VERDICTS = ("right", "carried", "wrong", "invalid", "undecided", "unanswered")


def verdict_text(verdict: str, lang: str) -> str:
    return say(lang, f"v_{verdict}")


def percent(x: float) -> str:
    return f"{100 * x:.0f} %"


def feedback(set_name: str, student, graded: list, key_html: str, lang: str) -> str:
    """A student's feedback: per problem their answers, verdicts, credit and named mistakes;
    then the worked solution of their own variant (`key_html`, the key's page body)."""
    from tutor.views.html import page

    blocks = [
        Heading(
            1,
            inline(
                say(lang, "feedback_title", set=set_name, name=student["name"], id=student["id"])
            ),
        )
    ]
    if not graded or all(p.missing for p in graded):
        blocks.append(Para(inline(say(lang, "no_file"))))
    for p in graded:
        blocks.append(Heading(2, inline(p.problem_id)))
        blocks.append(Para(inline(Strong(say(lang, "score", score=percent(p.score))))))
        rows = [
            [
                str(a.number),
                a.label,
                Code(a.answer) if a.answer else "",
                verdict_text(a.verdict, lang),
                f"{a.credit:g}",
                a.mistake or "",
                a.feedback.get(lang) if a.feedback is not None else "",
            ]
            for a in p.answers
        ]
        header = [
            say(lang, k)
            for k in ("no", "quantity", "answer", "verdict", "credit", "mistake", "comment")
        ]
        blocks.append(table(header, rows, {0, 4}))
    html = page(blocks, lang)
    if key_html:
        worked = f'<h2 style="max-width:60rem;margin:2rem auto 0;padding:0 1rem">{escape(say(lang, "worked"))}</h2>\n'
        html = html.replace("</body>", worked + key_html + "</body>", 1)
    return html


def bar_chart(rows: list[tuple[str, float]], title: str) -> str:
    """A horizontal bar chart of shares (0 to 1), as inline SVG: one bar per question."""
    width, label_w, bar_w, step = 640, 150, 420, 22
    height = 30 + step * len(rows)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" class="bp-chart"><title>{escape(title)}</title>',
        f'<text x="0" y="16" font-size="14" fill="currentColor">{escape(title)}</text>',
    ]
    for i, (name, share) in enumerate(rows):
        y = 26 + i * step
        w = round(bar_w * max(0.0, min(1.0, share)), 1)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 14}" font-size="12" text-anchor="end" '
            f'fill="currentColor">{escape(name)}</text>'
            f'<rect x="{label_w}" y="{y + 2}" width="{w}" height="16" fill="#1a7f37">'
            f"<title>{escape(name)}: {percent(share)}</title></rect>"
            f'<text x="{label_w + w + 6}" y="{y + 14}" font-size="12" '
            f'fill="currentColor">{percent(share)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def summary(set_name: str, rows: list, graded: int, total: int, lang: str, notes=()) -> str:
    """The class summary: per question the share right first time and the three most common
    mistakes, as a table and a bar chart; `notes`: (title, names) lists after it (files not
    graded, students without a file)."""
    from tutor.views.html import page

    table_rows = [
        [
            f"{r.problem_id}.{r.number}",
            r.label,
            f"{r.right} / {r.answered}",
            percent(r.share),
            ", ".join(f"{m} ({n})" for m, n in r.common),
        ]
        for r in rows
    ]
    header = [say(lang, k) for k in ("question", "quantity", "right_first", "share", "common")]
    blocks = [
        Heading(1, inline(say(lang, "summary_title", set=set_name))),
        Para(inline(say(lang, "summary_note", graded=graded, n=total))),
        table(header, table_rows, {2, 3}),
    ]
    for title, names in notes:
        if names:
            blocks += listing(title, names)
    html = page(blocks, lang)
    chart = bar_chart(
        [(f"{r.problem_id}.{r.number} {r.label}", r.share) for r in rows], say(lang, "chart")
    )
    return html.replace(
        "\n</div>\n</body>", f'\n<div class="bp-scroll">{chart}</div>\n</div>\n</body>', 1
    )


def listing(title: str, names: list[str]):
    return [Heading(2, inline(title)), Bullets(tuple(inline(Code(n)) for n in names))]


def line_key(item_id: str, q) -> str:
    """The start of a question's line in the answer file: `ex2.3 yhat =`."""
    shape = f" [{'×'.join(map(str, q.shape))}]" if q.shape and len(q.shape) > 0 else ""
    return f"{item_id}.{q.number} {q.key}{shape} ="
