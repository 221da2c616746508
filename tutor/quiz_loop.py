"""The quiz conversation: ask, read a line, grade, show, record; one question at a time.

It does no I/O of its own: `read(prompt)` returns the next line (None at end of input),
`show(renderable)` displays, `warn(line)` reports a problem (e.g. progress not saved).
The CLI passes input()/Console.print, or lines from an answers file.
"""

from __future__ import annotations

from typing import Callable

from . import concepts, quiz_view
from .model.quiz import ConceptQuestion
from .quiz import Outcome, Session

HINT = ("hint", "?", "提示")
REVEAL = ("reveal", "答案")
SKIP = ("skip", "跳过")
QUIT = ("quit", "exit", "q", "退出")

Read = Callable[[str], "str | None"]


def _record(store, warn, problem: str, key: str, seed, answer: str, verdict: str) -> None:
    message = store.record(problem, key, seed, answer, verdict)
    if message:
        warn(message)


def run_problem(session: Session, read: Read, show, warn, store, lang: str) -> list[Outcome]:
    """Every question of the session in order; the outcomes, unanswered ones included."""
    problem = session.problem
    outcomes: list[Outcome] = []
    show(quiz_view.commands(lang))
    total = len(session.questions)
    steps = {s.name: s.text for s in session.solution.forward}
    rule = problem.update
    for index, q in enumerate(session.questions, 1):
        equation = steps.get(q.node, "") if q.kind in ("forward", "loss") else ""
        update = (rule.optimizer, rule.lr) if q.kind == "update" and rule else None
        show(quiz_view.question(q, index, total, lang, equation, update))
        while True:
            line = read(quiz_view.prompt(q))
            if line is None or line.strip().lower() in QUIT:
                rest = session.questions[index - 1:]
                outcomes.extend(Outcome(r.key, "unanswered") for r in rest)
                return outcomes
            typed = line.strip()
            word = typed.lower()
            if word in HINT:
                show(quiz_view.hint(session.hint(q, lang), lang))
                continue
            if word in REVEAL:
                exact = session.exact(q)
                show(quiz_view.revealed(exact, lang))
                _record(store, warn, problem.id, q.key, session.seed, typed, "revealed")
                outcomes.append(Outcome(q.key, "revealed", 0.0, "", exact))
                break
            if word in SKIP:
                exact = session.exact(q)
                show(quiz_view.skipped(lang))
                _record(store, warn, problem.id, q.key, session.seed, typed, "skipped")
                outcomes.append(Outcome(q.key, "skipped", 0.0, "", exact))
                break
            grade = session.grade(q, typed)
            show(quiz_view.feedback(grade, lang))
            if not grade.counted:
                continue  # unreadable: not an attempt, type again
            _record(store, warn, problem.id, q.key, session.seed, typed, grade.verdict)
            outcomes.append(Outcome(q.key, grade.verdict, grade.credit, typed, grade.exact))
            break
    return outcomes


def run_concepts(questions: list[ConceptQuestion], read: Read, show, warn, store, lang: str,
                 seed: int | None = None) -> list[Outcome]:  # fmt: skip
    """The concept questions in the given order; explanations after every answer."""
    outcomes: list[Outcome] = []
    show(quiz_view.commands(lang, concepts=True))
    total = len(questions)
    for index, q in enumerate(questions, 1):
        show(quiz_view.concept_question(q, index, total, lang))
        right = "ABCDEF"[next(i for i, o in enumerate(q.options) if o.correct)]
        while True:
            line = read("> ")
            if line is None or line.strip().lower() in QUIT:
                outcomes.extend(Outcome(r.id, "unanswered") for r in questions[index - 1:])
                return outcomes
            typed = line.strip()
            word = typed.lower()
            if word in HINT:
                show(quiz_view.RichText(quiz_view.label(lang, "no_concept_hint"), style="dim"))
                continue
            if word in REVEAL or word in SKIP:
                verdict = "revealed" if word in REVEAL else "skipped"
                show(quiz_view.concept_feedback(q, None, lang))
                _record(store, warn, "concepts", q.id, seed, typed, verdict)
                outcomes.append(Outcome(q.id, verdict, 0.0, "", right))
                break
            chosen = concepts.choose(q, typed)
            if chosen is None:
                letters = "ABCDEF"[: len(q.options)]
                message = quiz_view.label(lang, "letters", x=", ".join(letters))
                show(quiz_view.RichText("? " + message, style="magenta"))
                continue
            verdict = "correct" if q.options[chosen].correct else "wrong"
            show(quiz_view.concept_feedback(q, chosen, lang))
            _record(store, warn, "concepts", q.id, seed, typed, verdict)
            outcomes.append(Outcome(q.id, verdict, 1.0 if verdict == "correct" else 0.0,
                                    "ABCDEF"[chosen], right))  # fmt: skip
            break
    return outcomes
