"""Spaced review of skills: FSRS schedules each skill, a session asks what is due.

Every finished question reviews each skill it exercises once (`rating`): right at the first
try without a hint rates Good, right after a retry or a hint (or right on the student's own
carried values) Hard, wrong or revealed Again; a skipped or unanswered question is no review.
The scheduler is the `fsrs` package (FSRS, as Anki uses it), without interval fuzz so that a
schedule can be checked.

`build_session` draws fresh random variants of the catalogue problems (and of the student's
own files) and keeps only the questions that exercise a due skill; with a fresh database every
skill is new, so due.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

COUNT = 8  # questions in a review session unless --count says otherwise
NEW_PER_DAY = 5  # new skills a day unless --new says otherwise (Anki caps new cards a day)
AGAIN, RELEARNING = 1, 3  # fsrs.Rating.Again, fsrs.State.Relearning
FAILING = 0.5  # a skill answered with less credit than this is failing


def weak(m) -> bool:
    """A skill to work on before anything due: lapsed (forgotten after it was learnt: FSRS
    relearning), its last review Again, or under FAILING of the credit of its attempts."""
    return (
        m.state == RELEARNING
        or (bool(m.last) and m.last[-1] == AGAIN)
        or (m.attempts > 0 and m.accuracy < FAILING)
    )


def due(mastery, known, now: float, new_per_day: int = NEW_PER_DAY) -> list[str]:
    """What a review asks, in order: the weak skills first, due or not (lapsed before
    failing, then the lowest credit), then the skills whose card is due, most overdue first,
    then new ones (`known` skills never reviewed, in `known`'s order), as many as
    `new_per_day` leaves after the skills first reviewed today (local time)."""
    cards = {m.skill: m for m in mastery if m.due is not None}
    weak_ones = sorted(
        (m for m in cards.values() if weak(m)),
        key=lambda m: (m.state != RELEARNING, m.accuracy if m.attempts else 1.0, m.due, m.skill),
    )
    overdue = sorted((m.due, s) for s, m in cards.items() if m.due <= now and not weak(m))
    today = _day_start(now)
    started = sum(1 for m in cards.values() if m.first is not None and m.first >= today)
    new = [s for s in known if s not in cards][: max(0, new_per_day - started)]
    return [m.skill for m in weak_ones] + [s for _, s in overdue] + new


def skill_named(name: str, lang: str = "en") -> str:
    """The skill `--skill NAME` means: its key (`mse'`) or its name in either language;
    an InputError (exit 2) naming the keys for any other."""
    from tutor.errors import InputError
    from tutor.quiz import skills
    from tutor.text.messages import say

    known = skills.all_skills()
    wanted = name.strip().casefold()
    for key in known:
        if wanted in (key.casefold(), skills.name(key, "en").casefold(), skills.name(key, "zh")):
            return key
    raise InputError(say(lang, "review_no_skill", name=name, known=", ".join(known)))


def _day_start(now: float) -> float:
    """Local midnight before `now` (epoch seconds)."""
    from datetime import datetime

    at = datetime.fromtimestamp(now)
    return at.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


# -- sessions --------------------------------------------------------------------------------


@dataclass
class Part:
    """One problem of a review: its quiz session, its questions already filtered."""

    session: object  # quiz_loop.Session

    @property
    def skills(self) -> dict[str, tuple[str, ...]]:
        """Question key -> the skills it exercises (each question carries its own)."""
        return {q.key: q.skills for q in self.session.questions}


def candidates(extra: Path | None = None, warn=None) -> list:
    """The catalogue's problems, then the `.yaml` files of `extra` (the student's own); a
    file that cannot be loaded is reported through `warn` and left out. Every kind of
    problem is a candidate: a tensor problem's questions carry their skills too."""
    from tutor.errors import TutorError
    from tutor.problems import catalog
    from tutor.problems.loader import load_problem

    files = list(catalog.builtin_files())
    if extra is not None:
        files += sorted(list(extra.glob("*.yaml")) + list(extra.glob("*.yml")))
    out = []
    for f in files:
        try:
            problem = load_problem(f)
        except TutorError as e:
            if warn is not None and extra is not None and f.parent == extra:
                warn(str(e))
            continue
        out.append(problem)
    return out


def _session(problem, seed: int):
    """A quiz session over a fresh random variant (the problem itself when it is symbolic
    or no variant can be drawn)."""
    from tutor.errors import TutorError
    from tutor.quiz import session as quiz_loop

    if not problem.symbolic:
        try:
            return quiz_loop.open_session(quiz_loop.variant(problem, seed), seed=seed)
        except TutorError:
            pass
    return quiz_loop.open_session(problem, seed=None)


def tags(problem) -> dict[str, tuple[str, ...]]:
    """Question key -> the skills it exercises, for the questions a quiz session over
    `problem` asks (`quiz_loop.Session`), read from its graph's structure: nothing is
    differentiated or solved for a problem that is not chosen. Kept in the user's cache
    directory (`cache.cached_object`): the skills of an edge are read with SymPy."""
    from tutor.cache import cached_object
    from tutor.engine import scalar as engine
    from tutor.quiz.questions import asked

    def make() -> dict[str, tuple[str, ...]]:
        if problem.tensor:  # the questions' skills read off the op table (solving is cheap)
            from tutor.quiz import matrix

            return {q.key: q.skills for q in matrix.Session(problem).questions}
        return {q.key: q.skills for q in asked(problem, engine.structure(problem))}

    return cached_object("tags", (problem,), make)


def build_session(
    problems: list,
    due_skills: list[str],
    seed: int,
    count: int = COUNT,
) -> list[Part]:
    """Problems (fresh variants) and their questions that exercise the due skills, at most
    `count` questions, covering the most urgent skills first.

    Each due skill in turn (most urgent first) picks the problem, among those not chosen
    yet, with the fewest questions that exercise it (so one review does not fill up with one
    network), a numeric one before a symbolic one; its questions on due skills are kept,
    while the count allows.
    """
    from tutor.errors import TutorError

    rng = random.Random(seed)
    due_set = set(due_skills)
    structures = []  # (problem, its seed, {key: skills}) for problems with due skills
    for problem in problems:
        # the skills are the structure's: read them from the problem as written, and draw
        # (and solve) a variant only of the problems chosen
        variant_seed = rng.randrange(1_000_000)
        tagged = tags(problem)
        if any(due_set & set(s) for s in tagged.values()):
            structures.append((problem, variant_seed, tagged))
    parts: list[Part] = []
    asked = 0
    covered: set[str] = set()
    used: set[int] = set()
    for skill in due_skills:
        if asked >= count:
            break
        if skill in covered:
            continue
        options = [
            (sum(skill in s for s in tagged.values()), problem.symbolic, i)
            for i, (problem, _, tagged) in enumerate(structures)
            if i not in used and any(skill in s for s in tagged.values())
        ]
        if not options:
            continue
        session = None
        while options:
            i = min(options)[2]  # fewest questions on it; numbers before formulas
            used.add(i)
            problem, variant_seed, tagged = structures[i]
            try:
                session = _session(problem, variant_seed)
                break
            except TutorError:  # the quiz cannot ask it (undefined values): not reviewed
                options = [o for o in options if o[2] != i]
        if session is None:
            continue
        kept = []
        for q in session.questions:
            mine = tagged.get(q.key, ())
            if skill in mine or (due_set - covered) & set(mine):
                kept.append(q)
        # the question on this skill first, then the problem's own order for the rest
        kept = kept[: max(1, count - asked)]
        if not any(skill in tagged.get(q.key, ()) for q in kept):
            first = next(q for q in session.questions if skill in tagged.get(q.key, ()))
            kept = [first] + kept[:-1]
        session.questions = kept
        for q in kept:
            covered |= set(tagged.get(q.key, ()))
        asked += len(kept)
        parts.append(Part(session))
    return parts


def run(parts: list[Part], read, show, warn, store, lang: str, statement) -> list[tuple]:
    """Every part in turn: its statement, then its questions through the quiz loop.
    Returns (problem id, outcome) for every question, unanswered ones included."""
    from tutor.quiz import session as quiz_loop
    from tutor.quiz import view as quiz_view

    done: list[tuple] = []
    stopped = False
    for index, part in enumerate(parts, 1):
        session = part.session
        if stopped:
            done.extend(
                (session.problem.id, quiz_loop.unanswered(q, session)) for q in session.questions
            )
            continue
        show(statement(session, lang, index, len(parts)))
        if session.seed is not None:
            show(quiz_view.variant_line(session.seed, lang))
        outcomes = quiz_loop.run_problem(session, read, show, warn, store, lang)
        done.extend((session.problem.id, o) for o in outcomes)
        if any(o.verdict == "unanswered" for o in outcomes):
            stopped = True  # quit or end of input: the rest is not asked
    return done


def report(done: list[tuple], seed: int | None) -> dict:
    """The session as the report JSON (`quiz_loop.report`), each question under its own
    problem."""
    from tutor.quiz import session as quiz_loop

    return quiz_loop.report("review", seed, [o for _, o in done], [p for p, _ in done])
