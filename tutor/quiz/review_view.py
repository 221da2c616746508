"""Rich renderables for skills: mastery per skill, the history per day, a review's headings.

They only describe output; the CLI prints them. Words in English and Chinese.
"""

from __future__ import annotations

import datetime

from rich import box
from rich.console import Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text as RichText

from tutor.quiz import skills
from tutor.text.messages import listed, say
from tutor.views.tables import FastTable


def label(lang: str, key: str, **kw) -> str:
    """Review's word `key` (a `review_` key of the catalogue, tutor/text/quiz.py) in `lang`."""
    return say(lang, f"review_{key}", **kw)


def when(due: float | None, now: float, lang: str) -> str:
    """`now` when due (`new` when never reviewed), the time when due later today, else the
    date (local time)."""
    if due is None:
        return label(lang, "new")
    if due <= now:
        return label(lang, "now")
    at, today = datetime.datetime.fromtimestamp(due), datetime.datetime.fromtimestamp(now)
    return at.strftime("%H:%M" if at.date() == today.date() else "%Y-%m-%d")


def interval(seconds: float, lang: str) -> str:
    """`10 minutes`, `5 hours`, `2 days`: a wait rounded to its largest unit (at least 1)."""
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        n = round(seconds / size)
        if n >= 1 or unit == "minutes":
            n = max(n, 1)
            return label(lang, f"{unit}_one") if n == 1 else label(lang, unit, n=n)
    raise AssertionError  # unreachable: minutes is the last unit


def next_step(m, now: float, lang: str) -> str:
    """A skill's FSRS state in plain words: `new`, `due now`, `learning: again in 10
    minutes`, `relearning: again in 3 hours`, `review in 2 days`."""
    if m.due is None:
        return label(lang, "new")
    if m.due <= now:
        return label(lang, "due_now")
    wait = interval(m.due - now, lang)
    key = {1: "learning_in", 3: "relearning_in"}.get(m.state, "review_in")
    return label(lang, key, t=wait)


MARKS = {3: ("✓", "green"), 2: ("~", "yellow"), 1: ("✗", "red")}  # Good, Hard, Again


def weakest_first(rows: list) -> list:
    """Skills answered with the least credit first (a lapsed one before the rest at equal
    credit), those never attempted last."""
    return sorted(
        rows,
        key=lambda m: (m.attempts == 0, m.accuracy, m.state != 3, m.skill),
    )


def mastery_table(rows: list, now: float, lang: str) -> Table:
    """Per skill, the weakest first: attempts, accuracy, the last results (✓ good, ~ hard,
    ✗ again, oldest first) and what FSRS schedules next, in plain words."""
    table = FastTable(title=label(lang, "skills"), box=box.SIMPLE_HEAVY, title_justify="left")
    for key in ("skill", "attempts", "accuracy", "last", "next"):
        table.add_column(
            label(lang, key),
            no_wrap=key in ("skill", "last"),
            justify="left" if key in ("skill", "last", "next") else "right",
        )
    for m in weakest_first(rows):
        colour = "green" if m.accuracy >= 0.8 else ("yellow" if m.accuracy >= 0.5 else "red")
        last = " ".join(f"[{MARKS[r][1]}]{MARKS[r][0]}[/]" for r in m.last if r in MARKS)
        table.add_row(
            escape(skills.name(m.skill, lang)),
            str(m.attempts),
            f"[{colour}]{m.accuracy:.0%}[/]" if m.attempts else "",
            last,
            next_step(m, now, lang),
        )
    return table


def history_table(days: list, lang: str) -> Table:
    """Per day: questions finished, credit earned, problems."""
    table = FastTable(title=label(lang, "history"), box=box.SIMPLE_HEAVY, title_justify="left")
    for key in ("day", "questions", "credit", "accuracy", "problems"):
        table.add_column(label(lang, key), justify="left" if key == "day" else "right")
    for d in days:
        credit = f"{d.credit:g}"
        table.add_row(
            d.day,
            str(d.attempts),
            credit,
            f"{d.credit / d.attempts:.0%}" if d.attempts else "",
            str(d.problems),
        )
    return table


def progress(per_problem, mastery_rows: list, days: list, now: float, lang: str) -> Group:
    """The whole `progress` page: per problem (as before), per skill, per day."""
    parts = [per_problem]
    if mastery_rows:
        parts.append(mastery_table(mastery_rows, now, lang))
    if days:
        parts.append(history_table(days, lang))
    return Group(*parts)


def start(count: int, due_skills: list[str], lang: str) -> RichText:
    names = [skills.name(s, lang) for s in due_skills[:4]]
    names = listed(names + ["…"] * (len(due_skills) > 4), lang)
    return RichText(label(lang, "start", n=count, skills=names), style="bold")


def part(index: int, total: int, problem_id: str, lang: str) -> RichText:
    return RichText(label(lang, "part", i=index, n=total, id=problem_id), style="bold magenta")


def nothing_due(next_due: float | None, now: float, lang: str) -> RichText:
    if next_due is None:
        return RichText(label(lang, "no_questions"), style="dim")
    return RichText(label(lang, "nothing", when=when(next_due, now, lang)), style="dim")


def reset_line(n: int, problem: str | None, path: str, lang: str) -> str:
    of = label(lang, "of", problem=problem) if problem else ""
    return label(lang, "reset", n=n, of=of, path=path)
