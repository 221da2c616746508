"""The quiz conversation: ask, read a line, grade, show, record; one question at a time.

`Session` holds one quiz over one problem: its questions (`questions`, in backprop's order),
the student's answers so far (for error carried forward), the factors they got right (kept
for later scaffolding) and the hints used; it grades with `grading` and `diagnosis`. The loop
gives a wrong answer its diagnosis and another try (`Session.tries`), breaks a gradient
still wrong into its chain-rule factors (`Session.scaffold`), explains a revealed answer with
its chain, and in guided mode shows each row after its answer. Credit: `credit`. The loops do
no I/O of their own: `read(prompt)` returns the next line (None at end of input),
`show(renderable)` displays, `warn(line)` reports a problem (e.g. a bad progress row). The CLI
passes input()/Console.print, or lines from an answers file; `Replay` resumes a quiz.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction

import sympy as sp

from tutor.engine import scalar as engine
from tutor.errors import ParseError
from tutor.language.expr import MAX_NUMBER_BITS, parse
from tutor.model import Problem, Text
from tutor.model.quiz import ConceptQuestion, Grade, Question
from tutor.problems import concepts
from tutor.quiz import counting, grading
from tutor.quiz import view as quiz_view
from tutor.quiz.asking import (  # noqa: F401 (the loop's API)
    HINT_COST,
    TRIES,
    TRY_FACTOR,
    Asking,
    credit,
    fresh,
)
from tutor.quiz.diagnosis import Diagnosis, own_key
from tutor.quiz.questions import questions
from tutor.solutions import explain
from tutor.text.notation import text
from tutor.text.quiz import COMMAND_WORDS

HINT, REVEAL, SKIP, QUIT = (COMMAND_WORDS[c] for c in ("hint", "reveal", "skip", "quit"))

Read = Callable[[str], "str | None"]
# A grade's verdict as an outcome is recorded (the progress database's words).
RECORDED = {"right": "correct"}


@dataclass(frozen=True)
class Outcome:
    """How one question of a quiz ended: "correct", "carried", "wrong", "revealed",
    "skipped" or "unanswered" (the quiz stopped before it).

    `tries` counts the graded attempts (unreadable ones are not attempts), `hints` the hints
    taken, `answers` every typed answer in order; `expected` is the exact answer (a number,
    or a formula's text); `scaffold_of` the question a scaffolding step belongs to.
    `blamed`: the skills the answer is reviewed and counted against, when not all of
    `skills`: a wrong gradient broken into its factors is blamed only for what no factor
    step asks (each factor's own answer reviews its own skill), and the product asked
    again after its factors for nothing (the question was counted once)."""

    key: str
    verdict: str
    credit: float = 0.0
    answer: str = ""
    exact: str = ""
    title: Text | None = None  # shown instead of the key (a concept question's own words)
    tries: int = 0
    hints: int = 0
    answers: tuple[str, ...] = ()
    step: str = ""
    skills: tuple[str, ...] = ()
    scaffold_of: str | None = None
    expected: float | str | None = None
    mistakes: tuple[str | None, ...] = ()  # the mistake named for each of `answers`, or None
    blamed: tuple[str, ...] | None = None


def expected(q: Question) -> float | str | None:
    """The exact answer as the report writes it: a number (a count a whole one), or a
    formula's text."""
    if q.kind == counting.KIND:
        return int(q.value)
    if q.value is None:
        return text(q.expr) if q.expr is not None else None
    return float(q.value)


class Session(Asking):
    """One quiz over one problem: questions, the student's answers so far, hints used.

    guided: every step of the worked solution is asked (the local factors before each delta
    and gradient), and its row is shown after the answer. tries: graded attempts per
    question before the answer is given (or a gradient is broken into its factors)."""

    def __init__(
        self, problem: Problem, *, seed: int | None = None, guided: bool = False, tries: int = TRIES
    ):
        super().__init__(problem, seed=seed, guided=guided, tries=tries)
        self.graph = engine.build_graph(problem)
        self.solution = explain.solve(problem, graph=self.graph)
        self.questions = questions(self.solution, self.graph, guided=guided)
        self.symbols = dict(self.graph.symbols)
        self.diagnosis = Diagnosis(self.solution, self.graph)
        self.values = self.diagnosis.values
        self.inline: dict = {}
        for node in self.graph.nodes:
            self.inline[node.symbol] = node.expr.xreplace(self.inline)
        self.given: dict = {}  # the student's own values (or formulas), for carried forward
        self.leaf_symbols = [self.symbols[n] for n in problem.leaves]
        self._exact_values: dict | None = None

    # -- grading ---------------------------------------------------------------------------

    def grade(self, q: Question, typed: str) -> Grade:
        """Grade one typed answer. An unreadable one gives verdict "invalid", a correctly
        rounded one with too few figures "undecided": neither is counted (type again)."""
        typed = typed.strip()
        if q.kind == counting.KIND:  # a whole number, exactly; nothing carried forward
            grade = counting.grade(self.problem, q.node, typed)
            if grade.verdict == "right":
                self.kept[q.key] = grade.exact
            return grade
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
            typed,
            answer,
            q.value,
            tolerance=self.problem.tolerance,
            carried=lambda: self.diagnosis.carried(q, self.given),
            mistakes=lambda: self.diagnosis.mistakes(q),
        )
        if grading.exact_fraction(q.value) is None:
            pass  # nothing to compare with: nothing kept
        elif grade.verdict == "right":
            self.given[key] = q.value  # later steps use the exact value, not the rounded one
            self.kept[key] = grade.exact
        elif grade.counted:
            self.given[key] = float(answer)
            self.kept.pop(key, None)
        return grade

    def _grade_formula(self, q: Question, typed: str) -> Grade:
        names = {n: self.symbols[n] for n in q.names}
        try:
            answer = parse(
                typed, names, implicit_multiplication=True, max_length=grading.MAX_ANSWER
            )
        except ParseError as e:
            return grading.unreadable(e)

        def inline(e):
            return e.xreplace(self.inline) if e is not None else None

        def carried():
            return inline(self.diagnosis.carried_formula(q, self.given))

        def mistakes():
            return [(m, inline(e), *rest) for m, e, *rest in self.diagnosis.formula_mistakes(q)]

        a, b = inline(answer), inline(q.expr)
        grade = grading.judge_formula(
            a, b, self.leaf_symbols, text(q.expr), carried=carried, mistakes=mistakes
        )
        key = own_key(q, self.problem.loss)
        if grade.verdict == "right":
            self.given[key] = q.expr
            self.kept[key] = grade.exact
        elif grade.counted:
            self.given[key] = answer
            self.kept.pop(key, None)
        return grade

    # -- numbers ---------------------------------------------------------------------------

    def names_for(self, q: Question) -> dict[str, sp.Symbol]:
        """The names a numeric answer may use: the given values, and the nodes known when `q`
        is asked (a forward value may use the nodes before it, not itself or later ones)."""
        names = {n: self.symbols[n] for n in self.problem.leaves}
        if q.kind == "after":
            return names  # the loss after the update: its nodes have other values then
        for step in self.solution.forward:
            if q.kind in ("forward", "loss") and step.name == q.node:
                break
            names[step.name] = self.symbols[step.name]
        return names

    def read_value(self, q: Question, typed: str) -> Fraction:
        """A typed number, or a formula in the problem's names evaluated at its true values:
        exactly where it is built from + - * / and whole powers of exact values."""
        expr = parse(
            typed, self.names_for(q), implicit_multiplication=True, max_length=grading.MAX_ANSWER
        )
        if not expr.free_symbols:
            return grading.real_value(expr, {})
        value = grading.real_value(
            expr, {s.name: float(self.values[s.name]) for s in expr.free_symbols}
        )
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
        """The hint ladder of a question, each rung adding something (`asking.fresh`)."""
        if q.kind == counting.KIND:
            rungs = counting.hints(self.problem, q.node, lang)
        else:
            rungs = quiz_view.hints(self.solution, q, lang)
        return fresh(self.header(q, 1, 1, lang).plain, rungs)

    def exact(self, q: Question) -> str:
        """The answer as text (for `reveal`); later steps then use the exact value."""
        if q.value is None:
            self.given.pop(own_key(q, self.problem.loss), None)
            return text(q.expr)
        self.given.pop(own_key(q, self.problem.loss), None)
        return grading.exact_text(q.value)

    # -- scaffolding -----------------------------------------------------------------------

    def scaffold(self, q: Question) -> list[Question]:
        """The steps a wrong delta or gradient breaks into: each factor of its paths (the
        engine's own path; in the delta form the upstream ∂L/∂c and the local factor), in
        order from the loss, once each; then the gradient again (the product). Empty for a
        question with one factor or none."""
        from tutor.quiz.questions import delta_question, factor_question

        if q.kind not in ("gradient", "delta") or q.scaffold_of is not None:
            return []
        g = next(g for g in self.solution.gradients if g.wrt == q.node)
        factors = [f for p in g.paths for f in p.factors]
        if len(factors) < 2:
            return []
        names = tuple(self.problem.leaves) + tuple(
            s.name for s in self.solution.forward if s.name != self.problem.loss
        )
        out: list[Question] = []
        seen: set = set()
        for f in factors:
            key = (f.upstream, f.of, f.wrt)
            if key in seen:
                continue
            seen.add(key)
            if f.upstream:
                out.append(delta_question(self.solution, f.wrt, names, q.key, self.graph))
            else:
                out.append(factor_question(self.solution, f.of, f.wrt, names, q.key, self.graph))
        out.append(replace(q, scaffold_of=q.key))
        return out

    # -- what the ask loop shows (run_problem) ---------------------------------------------

    def expected(self, q: Question) -> float | str | None:
        return expected(q)

    def statement(self, lang: str, full: bool = False):
        """The title, the statement and the given values (all of them with `full`, else the
        first 40, and only the questions those values let a student compute are kept)."""
        from rich.console import Group

        from tutor.variants import visible
        from tutor.views import terminal as render

        limit = None if full else 40
        shown = [render.statement(self.problem, lang, limit=limit)]
        asked = visible.answerable(
            self.questions, self.graph, render.given_shown(self.problem, limit)
        )
        if len(asked) < len(self.questions):
            shown.append(render.label(lang, "hidden_questions", n=len(self.questions) - len(asked)))
            self.questions = asked
        return Group(*shown)

    def commands(self, lang: str):
        return quiz_view.commands(lang, guided=self.guided)

    def header(self, q: Question, index: int, total: int, lang: str):
        if q.kind == counting.KIND:
            return counting.header(self.solution, q.node, index, total, lang)
        return quiz_view.question(*_header(self, q, index, total, lang))

    def prompt(self, q: Question) -> str:
        return quiz_view.prompt(q)

    def explanation(self, q: Question, lang: str):
        if q.kind == counting.KIND:
            return quiz_view.RichText(counting.explanation(self.problem, q.node), style="cyan")
        return quiz_view.explanation(self.solution, q, lang)

    def scaffold_intro(self, q: Question, steps: list, lang: str):
        return quiz_view.scaffold(self.solution, q, lang)

    def scaffold_header(self, step: Question, i: int, n: int, of: Question, lang: str):
        return quiz_view.scaffold_question(step, i, n, lang)

    def kept_line(self, step: Question, known: str, lang: str):
        return quiz_view.kept(step.key, known, lang)

    def known(self, q: Question) -> str | None:
        """The answer to a scaffolding step the student already gave right (a factor, or a
        delta; ∂L/∂ŷ as a factor is the delta of ŷ when only the loss reads ŷ), else None."""
        loss = self.problem.loss
        key = own_key(q, loss)
        if key in self.kept:
            return self.kept[key]
        if q.kind == "factor" and q.of == loss and self.graph.consumers.get(q.node) == [loss]:
            delta = f"{loss}/{q.node}"
            if delta in self.kept:
                self.given[key] = self.given[delta]
                return self.kept[delta]
        return None


# -- opening a quiz ----------------------------------------------------------------------------


def variant(problem: Problem, seed: int | None, settings: list[str] | None = None) -> Problem:
    """The problem a quiz asks: a random variant of it when `seed` is given (the same shapes
    for a tensor problem), then with `--set` values replaced."""
    if problem.tensor:
        from tutor.variants import matrix as variants
    else:
        from tutor.variants import scalar as variants
    if seed is not None:
        problem = (
            variants.variant(problem, seed)
            if problem.tensor
            else variants.random_variant(problem, seed)
        )
    return variants.with_values(problem, settings)


def open_session(
    problem: Problem, *, seed: int | None = None, guided: bool = False, tries: int = TRIES
):
    """The quiz session of any problem: a tensor problem's (tutor/quiz/matrix.py) or a
    scalar one's; both are run by `run_problem`."""
    if problem.tensor:
        from tutor.quiz import matrix

        return matrix.Session(problem, seed=seed, guided=guided, tries=tries)
    return Session(problem, seed=seed, guided=guided, tries=tries)


# -- the loops ---------------------------------------------------------------------------------


def _record(store, warn, lang: str, problem: str, key: str, seed, answer: str, verdict: str):
    notice = store.record(problem, key, seed, answer, verdict)
    if notice:
        warn(quiz_view.store_note(notice, lang))


class _Quit(Exception):
    """The student quit (or the input ended) in the middle of a question; `answered`: after
    the question itself ended (in its scaffolding)."""

    def __init__(self, answered: bool = False):
        super().__init__()
        self.answered = answered


def run_problem(session, read: Read, show, warn, store, lang: str) -> list[Outcome]:
    """Every question of the session in order, a wrong one broken into its steps; the
    outcomes, scaffolding steps and unanswered questions included. The one ask loop of every
    kind of problem: `session` is a scalar `Session` or a tensor one (tutor/quiz/matrix.py),
    which answer the same calls (header, prompt, grade, hint, exact, explanation, scaffold,
    known...).

    At a prompt: an answer (graded; a wrong one gets its diagnosis and another try while
    tries remain), hint (the next rung of the ladder), reveal (the answer with its rule),
    skip, quit; in guided mode Enter alone shows the row without counting."""
    outcomes: list[Outcome] = []
    show(session.commands(lang))
    total = len(session.questions)
    for index, q in enumerate(session.questions, 1):
        try:
            _question(
                session,
                q,
                session.header(q, index, total, lang),
                read,
                show,
                warn,
                store,
                lang,
                outcomes,
            )
        except _Quit as stop:
            rest = session.questions[index if stop.answered else index - 1 :]
            outcomes.extend(unanswered(r, session) for r in rest)
            return outcomes
    return outcomes


def _header(session: Session, q: Question, index: int, total: int, lang: str):
    steps = {s.name: s.text for s in session.solution.forward}
    rule = session.problem.update
    equation = steps.get(q.node, "") if q.kind in ("forward", "loss") else ""
    update = (rule.optimizer, rule.lr) if q.kind == "update" and rule else None
    return q, index, total, lang, equation, update


def unanswered(q, session=None) -> Outcome:
    """The outcome of a question the quiz stopped before (reported with its answer)."""
    if session is not None and not isinstance(session, Session):
        shown = session.expected(q)  # another kind of question: its answer as text
        exact = str(shown)  # (a count: a whole number)
    else:
        shown = expected(q)
        exact = grading.exact_text(q.value) if q.value is not None else text(q.expr)
    return Outcome(
        q.key,
        "unanswered",
        exact=exact,
        step=q.step,
        skills=q.skills,
        scaffold_of=q.scaffold_of,
        expected=shown,
    )


def _question(
    session,
    q,
    header,
    read,
    show,
    warn,
    store,
    lang: str,
    outcomes: list[Outcome],
) -> None:
    """Ask one question to its end (and its scaffolding when it stays wrong)."""
    outcome = _ask(session, q, header, read, show, warn, store, lang)
    outcomes.append(outcome)
    if outcome.verdict != "wrong" or session.guided:
        return
    steps = session.scaffold(q)
    if not steps:
        return
    show(session.scaffold_intro(q, steps, lang))
    factors = len(steps) - 1
    for i, step in enumerate(steps, 1):
        known = session.known(step) if i <= factors else None
        if known is not None:
            show(session.kept_line(step, known, lang))
            continue
        try:
            head = session.scaffold_header(step, i, factors, q, lang)
            outcomes.append(_ask(session, step, head, read, show, warn, store, lang))
        except _Quit:
            outcomes.extend(unanswered(r, session) for r in steps[i - 1 :])
            raise _Quit(answered=True) from None


def _ask(session, q, header, read, show, warn, store, lang: str) -> Outcome:
    """One question: tries, hints, reveal, skip; the outcome (raises _Quit on quit)."""
    problem = session.problem
    getattr(show, "heading", show)(header)  # a Replay starts what it shows again here
    typed_answers: list[str] = []
    named: list[str | None] = []  # the mistake named for each typed answer
    tries = hints = 0
    steps = session.scaffold(q) if not session.guided else []
    scaffolds = bool(steps)
    blamed = () if q.scaffold_of is not None and q.scaffold_of == q.key else None

    def end(verdict: str, score: float, answer: str, exact: str, recorded: bool = True):
        outcome = Outcome(
            q.key,
            verdict,
            score,
            answer,
            exact,
            tries=tries,
            hints=hints,
            answers=tuple(typed_answers),
            step=q.step,
            skills=q.skills,
            scaffold_of=q.scaffold_of,
            expected=session.expected(q),
            mistakes=tuple(named),
            blamed=blamed,
        )
        remark = problem.remark(q.key) if q.scaffold_of is None else None
        if remark is not None:  # the author's word on it (why a term is 0...), once answered
            show(quiz_view.remark(remark.get(lang)))
        if not recorded:
            return outcome
        # committed at once, with one FSRS review per skill: a kill -9 loses nothing answered
        notice = store.record_outcome(problem.id, session.seed, outcome)
        if notice:
            warn(quiz_view.store_note(notice, lang))
        return outcome

    while True:
        line = read(session.prompt(q))
        if line is None or line.strip().lower() in QUIT:
            raise _Quit
        typed = line.strip()
        word = typed.lower()
        if session.guided and not typed:
            exact = session.exact(q)
            show(session.explanation(q, lang))
            show(quiz_view.note("row", lang))
            return end("skipped", 0.0, "", exact, recorded=False)
        if word in HINT:
            found = session.hint(q, lang)
            hints += found is not None
            show(quiz_view.hint(found, lang))
            continue
        if word in REVEAL:
            typed_answers.append(typed)
            named.append(None)
            exact = session.exact(q)
            show(quiz_view.revealed(exact, lang))
            show(session.explanation(q, lang))
            return end("revealed", 0.0, "", exact)
        if word in SKIP:
            typed_answers.append(typed)
            named.append(None)
            exact = session.exact(q)
            show(quiz_view.skipped(lang))
            return end("skipped", 0.0, "", exact)
        grade = session.grade(q, typed)
        if not grade.counted:
            show(quiz_view.feedback(grade, lang))
            continue  # unreadable or undecided: not an attempt, type again
        tries += 1
        typed_answers.append(typed)
        named.append(grade.mistake)
        step = after_try(grade, tries, session.tries, scaffolds, show, lang)
        if step == "again":
            continue
        if step == "steps":  # the answer comes after the factors, each blamed for its own
            asked = {s for factor in steps[:-1] for s in factor.skills}
            blamed = tuple(s for s in q.skills if s not in asked)
            return end("wrong", 0.0, typed, grade.exact)
        if grade.verdict == "wrong" or session.guided:
            show(session.explanation(q, lang))
        verdict = RECORDED.get(grade.verdict, grade.verdict)
        return end(verdict, credit(grade.credit, tries, hints), typed, grade.exact)


def after_try(grade, tries: int, allowed: int, scaffolds: bool, show, lang: str) -> str:
    """What follows a counted try, with its message shown: "again" (wrong, a try is left),
    "steps" (wrong, none left, but the question is asked step by step next: its diagnosis
    now, the answer after the steps) or "done" (the verdict stands: its feedback). The one
    rule of every quiz."""
    if grade.verdict == "wrong" and (tries < allowed or scaffolds):
        if tries < allowed:
            show(quiz_view.retry(grade, allowed - tries, lang))
            return "again"
        show(quiz_view.diagnosis(grade, lang))
        return "steps"
    show(quiz_view.feedback(grade, lang))
    return "done"


def run_concepts(
    questions: list[ConceptQuestion],
    read: Read,
    show,
    warn,
    store,
    lang: str,
    seed: int | None = None,
) -> list[Outcome]:
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
                outcomes.extend(
                    Outcome(r.id, "unanswered", title=r.question) for r in questions[index - 1 :]
                )
                return outcomes
            typed = line.strip()
            word = typed.lower()
            if word in HINT:
                show(quiz_view.RichText(quiz_view.label(lang, "no_concept_hint"), style="dim"))
                continue
            if word in REVEAL or word in SKIP:
                verdict = "revealed" if word in REVEAL else "skipped"
                show(quiz_view.concept_feedback(q, None, lang))
                _record(store, warn, lang, "concepts", q.id, seed, typed, verdict)
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
            _record(store, warn, lang, "concepts", q.id, seed, typed, verdict)
            outcomes.append(
                Outcome(
                    q.id,
                    verdict,
                    1.0 if verdict == "correct" else 0.0,
                    "ABCDEF"[chosen],
                    right,
                    q.question,
                )
            )
            break
    return outcomes


# -- the report and an interrupted quiz ------------------------------------------------------


def report(
    problem: str, seed: int | None, outcomes: list[Outcome], problems: list[str] | None = None
) -> dict:
    """The session as the JSON `--report` writes (the issue's shape): the score is the
    fraction of credit over the questions asked (scaffolding steps are listed, not scored).
    Each row's `mistakes` names the mistake of each typed answer (`mistake_row`, or null),
    `mistake` the last one named. `problems`: each outcome's problem when they differ (a
    review), else `problem`."""
    problems = problems or [problem] * len(outcomes)
    main = [o for o in outcomes if o.scaffold_of is None]
    score = sum(o.credit for o in main) / len(main) if main else 0.0
    return {
        "problem": problem,
        "seed": seed,
        "score": score,
        "questions": [
            {
                "problem": of,
                "quantity": o.key,
                "step": o.step,
                "expected": o.expected,
                "answers": list(o.answers),
                "verdict": "right" if o.verdict == "correct" else o.verdict,
                "credit": o.credit,
                "skills": list(o.skills),
                "scaffold_of": o.scaffold_of,
                "mistakes": [mistake_row(m) for m in o.mistakes],
                "mistake": mistake_row(next((m for m in reversed(o.mistakes) if m), None)),
            }
            for of, o in zip(problems, outcomes)
        ],
    }


def mistake_row(key: str | None) -> dict | None:
    """A named mistake as a report writes it: its stable key and its name in en and zh."""
    if key is None:
        return None
    from tutor.quiz.diagnosis import name_text

    words = name_text(key)
    return {"key": key, "en": words.en, "zh": words.zh}


class Replay:
    """Resuming an interrupted quiz: the lines typed before are read again, silently (no
    output, nothing recorded twice), then reading goes on from `read`. When the replay ends,
    the question now asked is shown again with what followed it (the feedback on its kept
    tries): not what belonged to the questions before it. Pass the Replay itself as `show`
    (it is called to show, and `heading` marks where a question starts)."""

    def __init__(self, lines: list[str], read: Read, show, store, resumed=None):
        self.lines, self._read, self._show, self._store = list(lines), read, show, store
        self.resumed = resumed  # shown when the replay ends
        self.replaying = bool(self.lines)
        self.buffer: list = []
        self.done = 0

    def read(self, prompt: str):
        if self.replaying and self.done < len(self.lines):
            self.done += 1
            return self.lines[self.done - 1]
        if self.replaying:
            self.replaying = False
            if self.resumed is not None:
                self._show(self.resumed)
            for renderable in self.buffer:
                self._show(renderable)
        return self._read(prompt)

    def show(self, renderable) -> None:
        if self.replaying:
            self.buffer.append(renderable)
        else:
            self._show(renderable)

    __call__ = show

    def heading(self, renderable) -> None:
        """A question's header: what was shown before it is not shown again."""
        if self.replaying:
            self.buffer = []
        self.show(renderable)

    def record(self, *args):
        return None if self.replaying else self._store.record(*args)

    def __getattr__(self, name):  # the store's other methods (record_outcome...), muted too
        attr = getattr(self._store, name)
        if callable(attr):
            return lambda *a, **k: None if self.replaying else attr(*a, **k)
        return attr
