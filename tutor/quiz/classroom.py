"""`progress --class DIR`: a folder of `quiz --report` files summarised for a teacher.

Per question (problem and quantity, scaffolding steps left out): how many students answered
it, how many were right first time (their one typed answer right), and the mistakes named
most often across every typed answer, with their counts. A report is JSON from another
person: each file is bounded in size, read with `json` only, and a mistake key that is not one
the generators name (`diagnosis.KEYS`) is not counted; its words come from the catalogue, never
from the file.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from rich import box
from rich.markup import escape
from rich.text import Text as RichText

from tutor.errors import InputError, why
from tutor.quiz.diagnosis import KEYS, name_text
from tutor.text.messages import say
from tutor.views.tables import FastTable

MAX_REPORT = 10_000_000  # bytes of one report file
MAX_REPORTS = 10_000  # files in one folder
SHOWN = 3  # mistakes shown per question


@dataclass(frozen=True)
class QuestionSummary:
    """One question over the class: answered, right first time, the common mistakes."""

    problem: str
    quantity: str
    answered: int
    right_first: int
    mistakes: tuple[tuple[str, int], ...]  # (key, count), most common first

    @property
    def share(self) -> float:
        return self.right_first / self.answered if self.answered else 0.0


def _rows(path: Path) -> list[dict]:
    """The question rows of one report file (InputError naming the file if it is not one)."""
    try:
        if path.stat().st_size > MAX_REPORT:
            raise InputError.keyed("class_too_large", file=str(path), most=MAX_REPORT)
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeError) as e:
        raise InputError.keyed("class_unreadable", file=str(path), why=why(e)) from None
    except json.JSONDecodeError as e:
        raise InputError.keyed("class_not_report", file=str(path), line=e.lineno) from None
    rows = data.get("questions") if isinstance(data, dict) else None
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise InputError.keyed("class_not_report", file=str(path))
    return rows


def _keys(row: dict) -> list[str]:
    """The named mistakes of one question row that the generators know."""
    found = row.get("mistakes")
    if not isinstance(found, list):
        return []
    out = []
    for m in found:
        key = m.get("key") if isinstance(m, dict) else None
        if isinstance(key, str) and key in KEYS:
            out.append(key)
    return out


def summary(folder: Path) -> list[QuestionSummary]:
    """Every question of the reports (`*.json`) in `folder`, in the order first met."""
    if not folder.is_dir():
        raise InputError.keyed("class_not_folder", file=str(folder))
    files = sorted(folder.glob("*.json"))[: MAX_REPORTS + 1]
    if len(files) > MAX_REPORTS:
        raise InputError.keyed("class_too_many", file=str(folder), most=MAX_REPORTS)
    answered: Counter = Counter()
    right: Counter = Counter()
    mistakes: dict[tuple, Counter] = {}
    for path in files:
        for row in _rows(path):
            if row.get("scaffold_of") is not None:
                continue  # a step of a question broken into factors: counted with it
            key = (str(row.get("problem", "")), str(row.get("quantity", "")))
            mistakes.setdefault(key, Counter())
            answers = row.get("answers")
            if row.get("verdict") in ("unanswered", None) or not answers:
                continue
            answered[key] += 1
            right[key] += row.get("verdict") == "right" and len(answers) == 1
            mistakes[key].update(_keys(row))
    return [
        QuestionSummary(
            p,
            q,
            answered[(p, q)],
            right[(p, q)],
            tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:SHOWN]),
        )
        for (p, q), counts in mistakes.items()
    ]


def table(rows: list[QuestionSummary], folder: str, lang: str):
    """The class summary as a table: per question, right first time and common mistakes."""
    if not rows:
        return RichText(say(lang, "class_empty", folder=folder), style="dim")
    out = FastTable(
        title=say(lang, "class_title", folder=folder), box=box.SIMPLE_HEAVY, title_justify="left"
    )
    for key in ("problem", "quantity", "answered", "right_first", "mistakes"):
        numeric = key in ("answered", "right_first")
        out.add_column(
            say(lang, f"class_{key}"),
            justify="right" if numeric else "left",
            overflow="fold",
        )
    for r in rows:
        common = (
            say(lang, "class_none")
            if not r.mistakes
            else "; ".join(f"{name_text(k).get(lang)} ×{n}" for k, n in r.mistakes)
        )
        out.add_row(
            escape(r.problem),
            escape(r.quantity),
            str(r.answered),
            f"{r.right_first} ({r.share:.0%})",
            escape(common),
        )
    return out
