"""What every quiz session holds, whatever its kind of problem (`Asking`), and the credit
rule: below the sessions (`session.Session`, `matrix.Session`) and the loop that runs them."""

from __future__ import annotations

import re

from tutor.text.messages import separator
from tutor.text.notation import pretty_equation

# Credit: a right answer earns 1 (error carried forward 1/2), halved for each try after the
# first and less HINT_COST for each hint taken, never below 0.
TRY_FACTOR = 0.5
HINT_COST = 0.25
TRIES = 2


def credit(base: float, tries: int, hints: int) -> float:
    """The credit of an answer graded `base` on try number `tries` after `hints` hints."""
    return max(0.0, base * TRY_FACTOR ** max(tries - 1, 0) - HINT_COST * hints)


class Asking:
    """What every quiz session holds, whatever its problem: the problem, the variant's seed,
    guided mode, the tries per question, the answers kept right and the hints used. A kind
    of problem adds its questions, grading and views (`Session`, `matrix.Session`)."""

    def __init__(self, problem, *, seed: int | None, guided: bool, tries: int):
        self.problem = problem
        self.seed = seed
        self.guided = guided
        self.tries = max(1, tries)
        self.kept: dict[str, str] = {}  # keys answered right -> the answer shown
        self.hints_used: dict[str, int] = {}

    def hint(self, q, lang: str = "en") -> tuple[int, int, str] | None:
        """The next hint (its number, how many there are, the text), or None when used up."""
        all_hints = self.hints(q, lang)
        used = self.hints_used.get(q.key, 0)
        if used >= len(all_hints):
            return None
        self.hints_used[q.key] = used + 1
        return used + 1, len(all_hints), all_hints[used]


def _parts(line: str) -> set[str]:
    """The sides of a line's equations (split at `;` and `=`), as shown and without spaces."""
    shown = pretty_equation(line).replace("×", "·")
    marks = {separator("semicolon", lang).strip() for lang in ("en", "zh")}
    clauses = re.split("|".join(map(re.escape, sorted(marks))), shown)
    return {re.sub(r"\s+", "", side) for part in clauses for side in part.split("=")}


def fresh(question: str, rungs: list[str]) -> list[str]:
    """The rungs of a hint ladder that add something: a rung is kept when one side of its
    equations is in neither the question as shown (its header) nor an earlier rung, so no
    hint restates the question (`∂L/∂ŷ = ∂L/∂ŷ`) or repeats the one before (`∂ŷ/∂b2 = 1`
    twice): a question with less to say has fewer rungs."""
    seen = set().union(*(_parts(segment) for segment in re.split(r"\s{2,}", question)))
    out = []
    for rung in rungs:
        parts = _parts(rung)
        if parts - seen:
            out.append(rung)
            seen |= parts
    return out
