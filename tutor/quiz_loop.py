"""The quiz conversation: ask, read a line, grade, show, record; one question at a time.

`Session` holds one quiz over one problem: its questions (`questions`), the student's answers
so far (for error carried forward) and the hints used; it grades with `grading` and
`diagnosis`. The loops do no I/O of their own: `read(prompt)` returns the next line (None at
end of input), `show(renderable)` displays, `warn(line)` reports a problem (e.g. progress not
saved). The CLI passes input()/Console.print, or lines from an answers file.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

import sympy as sp

from . import concepts, engine, explain, grading, quiz_view
from .diagnosis import Diagnosis, own_key
from .errors import ParseError
from .expr import MAX_NUMBER_BITS, parse
from .model import Problem
from .model import Text
from .model.quiz import ConceptQuestion, Grade, Question
from .notation import text
from .questions import questions

HINT = ("hint", "?", "提示")
REVEAL = ("reveal", "答案")
SKIP = ("skip", "跳过")
QUIT = ("quit", "exit", "q", "退出")

Read = Callable[[str], "str | None"]
# A grade's verdict as an outcome is recorded (the progress database's words).
RECORDED = {"right": "correct"}


@dataclass(frozen=True)
class Outcome:
    """How one question of a quiz ended: "correct", "carried", "wrong", "revealed",
    "skipped" or "unanswered" (the quiz stopped before it)."""

    key: str
    verdict: str
    credit: float = 0.0
    answer: str = ""
    exact: str = ""
    title: Text | None = None  # shown instead of the key (a concept question's own words)


class Session:
    """One quiz over one problem: questions, the student's answers so far, hints used."""

    def __init__(self, problem: Problem, *, seed: int | None = None):
        self.problem = problem
        self.seed = seed
        self.graph = engine.build_graph(problem)
        self.solution = explain.solve(problem, graph=self.graph)
        self.questions = questions(self.solution)
        self.symbols = dict(self.graph.symbols)
        self.diagnosis = Diagnosis(self.solution, self.graph)
        self.values = self.diagnosis.values
        self.inline: dict = {}
        for node in self.graph.nodes:
            self.inline[node.symbol] = node.expr.xreplace(self.inline)
        self.given: dict[str, float] = {}  # the student's own values, for carried forward
        self.hints_used: dict[str, int] = {}
        self.leaf_symbols = [self.symbols[n] for n in problem.leaves]
        self._exact_values: dict | None = None

    # -- grading ---------------------------------------------------------------------------

    def grade(self, q: Question, typed: str) -> Grade:
        """Grade one typed answer. An unreadable one gives verdict "invalid", a correctly
        rounded one with too few figures "undecided": neither is counted (type again)."""
        typed = typed.strip()
        refused = grading.refusal(typed)
        if refused is not None:
            return refused
        if q.value is None:
            return self._grade_formula(q, typed)
        try:
            answer = self.read_value(q, typed)
        except ParseError as e:
            return grading.unreadable(e)
        key = own_key(q, self.problem.loss)
        grade = grading.judge_number(
            typed, answer, q.value, tolerance=self.problem.tolerance,
            carried=lambda: self.diagnosis.carried(q, self.given),
            mistakes=lambda: self.diagnosis.mistakes(q),
        )  # fmt: skip
        if grading.exact_fraction(q.value) is None:
            pass  # nothing to compare with: nothing kept
        elif grade.verdict == "right":
            self.given[key] = q.value  # later steps use the exact value, not the rounded one
        elif grade.counted:
            self.given[key] = float(answer)
        return grade

    def _grade_formula(self, q: Question, typed: str) -> Grade:
        names = {n: self.symbols[n] for n in q.names}
        try:
            answer = parse(typed, names, implicit_multiplication=True,
                           max_length=grading.MAX_ANSWER)  # fmt: skip
        except ParseError as e:
            return grading.unreadable(e)
        a, b = answer.xreplace(self.inline), q.expr.xreplace(self.inline)
        return grading.judge_formula(a, b, self.leaf_symbols, text(q.expr))

    # -- numbers ---------------------------------------------------------------------------

    def names_for(self, q: Question) -> dict[str, sp.Symbol]:
        """The names a numeric answer may use: the given values, and the nodes known when `q`
        is asked (a forward value may use the nodes before it, not itself or later ones)."""
        names = {n: self.symbols[n] for n in self.problem.leaves}
        for step in self.solution.forward:
            if q.kind in ("forward", "loss") and step.name == q.node:
                break
            names[step.name] = self.symbols[step.name]
        return names

    def read_value(self, q: Question, typed: str) -> Fraction:
        """A typed number, or a formula in the problem's names evaluated at its true values:
        exactly where it is built from + - * / and whole powers of exact values."""
        expr = parse(typed, self.names_for(q), implicit_multiplication=True,
                     max_length=grading.MAX_ANSWER)  # fmt: skip
        if not expr.free_symbols:
            return grading.real_value(expr, {})
        value = grading.real_value(expr, {s.name: float(self.values[s.name])
                                          for s in expr.free_symbols})  # fmt: skip
        exact = self.exact_values()
        bits = grading.exact_bits
        size = bits(expr, {s: bits(v, {}) for s, v in exact.items()})
        if size is not None and size <= MAX_NUMBER_BITS:
            result = expr.xreplace(exact)
            if result.is_Rational:
                return Fraction(int(result.p), int(result.q))
        return value

    def exact_values(self) -> dict:
        """Symbol -> exact value (sp.Rational) of every leaf, and of every node whose value is
        rational (built from + - * /, whole powers, ReLU...); computed once, when first needed."""
        if self._exact_values is None:
            bits = grading.exact_bits
            exact: dict = {}
            for name, v in self.problem.leaves.items():
                f = grading.exact_fraction(v)
                if f is not None:
                    exact[self.symbols[name]] = sp.Rational(f.numerator, f.denominator)
            sizes = {s: bits(v, {}) for s, v in exact.items()}
            for node in self.graph.nodes:
                if not all(s in exact for s in node.expr.free_symbols):
                    continue
                size = bits(node.expr, sizes)  # None: a function such as relu
                if size is not None and size > MAX_NUMBER_BITS:
                    continue
                try:
                    value = node.expr.xreplace(exact)
                except Exception:  # noqa: BLE001 (no exact value: the float is used)
                    continue
                if value.is_Rational and bits(value, {}) <= MAX_NUMBER_BITS:
                    exact[node.symbol] = value
                    sizes[node.symbol] = bits(value, {})
            self._exact_values = exact
        return self._exact_values

    # -- hints and reveal ------------------------------------------------------------------

    def hints(self, q: Question, lang: str = "en") -> list[str]:
        """The hints for a question, in order: one chain-rule factor each."""
        return quiz_view.hints(self.solution, q, lang)

    def hint(self, q: Question, lang: str = "en") -> tuple[int, int, str] | None:
        """The next hint (its number, how many there are, the text), or None when used up."""
        all_hints = self.hints(q, lang)
        used = self.hints_used.get(q.key, 0)
        if used >= len(all_hints):
            return None
        self.hints_used[q.key] = used + 1
        return used + 1, len(all_hints), all_hints[used]

    def exact(self, q: Question) -> str:
        """The answer as text (for `reveal`); later steps then use the exact value."""
        if q.value is None:
            return text(q.expr)
        self.given.pop(own_key(q, self.problem.loss), None)
        return grading.exact_text(q.value)


# -- the loops ---------------------------------------------------------------------------------


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
                continue  # unreadable or undecided: not an attempt, type again
            verdict = RECORDED.get(grade.verdict, grade.verdict)
            _record(store, warn, problem.id, q.key, session.seed, typed, verdict)
            outcomes.append(Outcome(q.key, verdict, grade.credit, typed, grade.exact))
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
                outcomes.extend(Outcome(r.id, "unanswered", title=r.question)
                                for r in questions[index - 1:])  # fmt: skip
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
                outcomes.append(Outcome(q.id, verdict, 0.0, "", right, q.question))
                break
            chosen = concepts.choose(q, typed)
            if chosen is None:
                letters = "ABCDEF"[: len(q.options)]
                message = quiz_view.label(lang, "letters", x=", ".join(letters))
                show(quiz_view.RichText("⚠ " + message, style="magenta"))  # not "?": a hint
                continue
            verdict = "correct" if q.options[chosen].correct else "wrong"
            show(quiz_view.concept_feedback(q, chosen, lang))
            _record(store, warn, "concepts", q.id, seed, typed, verdict)
            outcomes.append(Outcome(q.id, verdict, 1.0 if verdict == "correct" else 0.0,
                                    "ABCDEF"[chosen], right, q.question))  # fmt: skip
            break
    return outcomes
