"""Tests for tutor.quiz.review and `bptutor review`: FSRS ratings, due skills, a session built
from fresh variants, the report, and a review killed mid-way."""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import sys
import time
from dataclasses import replace
from pathlib import Path

import shared
from cli_runner import invoke

from tutor.quiz import cards, progress, review, skills

BPTUTOR = str(Path(sys.executable).with_name("bptutor"))


class Outcome:
    def __init__(self, verdict, tries=1, hints=0):
        self.verdict, self.tries, self.hints = verdict, tries, hints


def test_ratings():
    assert cards.rating(Outcome("correct")) == 3  # Good: right first try, no hint
    assert cards.rating(Outcome("correct", tries=2)) == 2  # Hard: after a retry
    assert cards.rating(Outcome("correct", hints=1)) == 2  # Hard: after a hint
    assert cards.rating(Outcome("wrong")) == cards.rating(Outcome("revealed")) == 1  # Again
    assert cards.rating(Outcome("skipped")) is None and cards.rating(Outcome("unanswered")) is None


def test_due_new_skills_and_overdue_cards_first():
    now = 1000.0
    mastery = [
        progress.Mastery("mse'", 1, 1.0, 2.0, 5000.0, 1),
        progress.Mastery("relu'", 1, 0.0, 0.1, 900.0, 1),
    ]
    assert review.due(mastery, ("linear-dw", "mse'", "relu'"), now) == ["relu'", "linear-dw"]


def test_session_asks_only_questions_on_due_skills():
    problems = review.candidates()
    parts = review.build_session(problems, ["max'"], seed=1, count=3)
    assert len(parts) == 1 and len(parts[0].session.questions) == 3
    for q in parts[0].session.questions:
        assert "max'" in parts[0].skills[q.key]
    assert parts[0].session.seed is not None  # a fresh variant


def test_skills_are_read_without_a_quiz_session_and_each_graph_is_built_once(monkeypatch):
    """A review reads every problem's questions and their skills from its graph's structure,
    the same as a quiz session over it asks (the catalogue and the test fixtures: numeric,
    symbolic, with updates); only the problems chosen are solved, each graph built once."""
    from tutor.engine import scalar as engine
    from tutor.errors import TutorError
    from tutor.quiz import session as quiz_loop

    problems = review.candidates(shared.ROOT / "tests" / "fixtures")
    assert len(problems) > 30 and any(p.tensor for p in problems)
    assert any(p.symbolic for p in problems) and any(p.update for p in problems)
    # and a symbolic one with more routes than are written out (its deltas are not asked)
    eight = next(p for p in problems if p.id == "many_paths")
    problems.append(replace(eight, inputs={"x": None}, targets={"y": None}))
    assert problems[-1].symbolic
    for problem in problems:
        try:
            session = quiz_loop.open_session(problem)
        except TutorError:
            continue  # not askable at its own values: a review draws a variant of it
        assert review.tags(problem) == {q.key: q.skills for q in session.questions}
    built = []
    real = engine._build_graph

    def counting(problem):
        built.append(problem.id)
        return real(problem)

    monkeypatch.setattr(engine, "_build_graph", counting)
    monkeypatch.setattr(engine, "_BUILT", {})
    parts = review.build_session(problems, list(skills.all_skills()), seed=4, count=8)
    assert parts and all(p.session.seed is not None for p in parts)  # fresh variants
    scalar = [p for p in parts if not p.session.problem.tensor]  # a tensor one has no such graph
    assert sorted(built) == sorted(set(built)) and len(built) == len(scalar)


def test_a_second_review_reads_the_skills_from_the_cache(tmp_path, monkeypatch):
    from tutor.quiz import questions

    monkeypatch.setenv("BPTUTOR_CACHE", "off")
    problems = review.candidates()
    made = [review.tags(p) for p in problems]  # the oracle: no cache at all
    monkeypatch.setenv("BPTUTOR_CACHE", str(tmp_path / "cache"))
    assert [review.tags(p) for p in problems] == made

    def refused(*args, **kwargs):
        raise AssertionError("worked out again, not read from the cache")

    monkeypatch.setattr(questions, "asked", refused)
    assert [review.tags(p) for p in review.candidates()] == made
    assert any("max'" in s for t in made for s in t.values())


def rows(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as c:
        return c.execute(
            "SELECT problem, quantity, verdict, skills FROM attempts ORDER BY id"
        ).fetchall()


def test_fresh_database_review_asks_then_progress_shows_skills_and_next_due(tmp_path):
    db, report = tmp_path / "p.db", tmp_path / "r.json"
    answers = tmp_path / "a.txt"
    answers.write_text("1\n1\nreveal\n")  # two wrong tries (the default), then reveal
    result = invoke(
        "review",
        "--db",
        str(db),
        "--seed",
        "5",
        "--count",
        "4",
        "--answers",
        str(answers),
        "--report",
        str(report),
        width=80,
    )
    assert result.returncode == 1, result.stderr
    assert "Review: 4 questions" in result.stdout and "[1/" in result.stdout
    got = rows(db)
    assert [r[2] for r in got] == ["wrong", "revealed"] and all(r[3] for r in got)
    data = json.loads(report.read_text())
    assert set(data) == {"problem", "seed", "score", "questions"} and data["seed"] == 5
    q = data["questions"]
    assert len(q) == 4 and [x["verdict"] for x in q] == [
        "wrong",
        "revealed",
        "unanswered",
        "unanswered",
    ]
    assert q[0]["answers"] == ["1", "1"] and q[1]["answers"] == ["reveal"] and q[0]["skills"]
    assert set(q[0]) == {
        "problem",
        "quantity",
        "step",
        "expected",
        "answers",
        "verdict",
        "credit",
        "skills",
        "scaffold_of",
        "mistakes",
        "mistake",
    }
    assert len(q[0]["mistakes"]) == 2 and q[1]["mistakes"] == [None]
    assert data["score"] == 0
    shown = invoke("progress", "--db", str(db), width=100)
    assert "Skills (FSRS)" in shown.stdout and "History per day" in shown.stdout
    asked = set(got[0][3].split()) | set(got[1][3].split())
    for skill in asked:
        assert skills.name(skill) in shown.stdout
    due = {m.skill: m.due for m in progress.mastery(db)}
    assert set(due) == asked and all(d > time.time() for d in due.values())  # Again: minutes
    zh = invoke("progress", "--db", str(db), "--lang", "zh", width=100)
    assert "技能掌握（FSRS）" in zh.stdout and "下一步" in zh.stdout
    # wrong and revealed: Again, a learning card due again in minutes, said so in plain words
    assert re.search(r"learning: again in \d+ minutes?", shown.stdout), shown.stdout
    assert re.search(r"学习中：\d+ 分钟后再练", zh.stdout), zh.stdout


def test_a_review_killed_mid_way_keeps_every_answered_question(tmp_path):
    db = tmp_path / "p.db"
    # two finished questions; the review then waits for the third
    code = shared.killed_when(
        [BPTUTOR, "review", "--db", str(db), "--seed", "5"],
        "reveal\nreveal\n",
        lambda: db.exists() and len(rows(db)) == 2,
    )
    assert code == -signal.SIGKILL
    got = rows(db)
    assert len(got) == 2 and all(r[3] for r in got)
    with sqlite3.connect(db) as c:  # and their FSRS reviews
        assert c.execute("SELECT count(DISTINCT attempt) FROM reviews").fetchone()[0] == 2


def test_after_a_tensor_quiz_progress_lists_its_skills_and_review_asks_a_tensor_question(
    tmp_path, monkeypatch
):
    """Issue 20's done-when: `quiz ex18` (answers from a file, the hand derivation of
    tests/shared.softmax_net_by_hand, whose numbers are ex18's), then `progress` lists the
    skills its questions exercise (a matrix product, a transpose, the sigmoid's derivative,
    softmax with cross-entropy, the SGD step), and `review` with the clock a year later (every
    card due) asks a tensor question on them."""
    import numpy as np

    h = shared.softmax_net_by_hand()

    def typed(a):
        a = np.asarray(a, dtype=float)
        if a.ndim == 0 or a.size == 1:
            return f"{float(a.reshape(-1)[0]):.6g}"
        rows = [", ".join(f"{v:.6g}" for v in row) for row in (a if a.shape[1] > 1 else a.T)]
        return "[" + "; ".join(rows) + "]" if a.shape[1] > 1 else "[" + rows[0] + "]"

    b2new = h["b2"] - 0.5 * h["d2"]
    b1new = h["b1"] - 0.5 * h["d1"]
    keys = ("z1", "a1", "z2", "p", "L", "d2", "dW2", "d2", "d1", "dW1", "d1")
    lines = [typed(h[k]) for k in keys] + [typed(h["W2new"]), typed(b2new)]
    lines += [typed(h["W1_new"]), typed(b1new)]
    answers = tmp_path / "answers.txt"
    answers.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / "p.db"
    start = 1_900_000_000.0
    monkeypatch.setattr(time, "time", lambda: start)
    done = invoke("quiz", "ex18", "--answers", str(answers), "--db", str(db))
    assert done.returncode == 0 and "Score: 15 / 15" in done.stdout, done.stdout
    asked = {"matmul", "transpose", "sigmoid'", "softmax-ce", "sgd"}
    cards = {m.skill: m for m in progress.mastery(db)}
    assert set(cards) == asked and all(m.due > start for m in cards.values())
    for lang in ("en", "zh"):
        shown = invoke("progress", "--db", str(db), "--lang", lang, width=100)
        for skill in asked:
            assert skills.name(skill, lang) in shown.stdout, (lang, skill)
    later = start + 365 * 86400  # every card is due by then
    monkeypatch.setattr(time, "time", lambda: later)
    due = review.due(progress.mastery(db), skills.all_skills(), later)
    assert set(due[: len(asked)]) == asked  # the overdue cards first
    report = tmp_path / "review.json"
    result = invoke(
        "review",
        "--db",
        str(db),
        "--seed",
        "3",
        "--count",
        "8",
        "--report",
        str(report),
        stdin="skip\n" * 8,
    )
    assert result.returncode == 1, result.stderr
    data = json.loads(report.read_text(encoding="utf-8"))
    tensor_ids = {"ex18", "ex19", "ex20", "ex21", "ex22", "ex23", "ex24", "ex25"}
    tensor_questions = [q for q in data["questions"] if q["problem"] in tensor_ids]
    assert tensor_questions and any("matmul" in q["skills"] for q in tensor_questions)


# -- where a review goes: the weak first, then the due, then a few new ones ----------------------

NOON = 1_773_057_600.0  # a fixed clock (2026-03-09 12:00 UTC): no test depends on today


def _noon() -> float:
    """Local noon of a fixed day: the skills first reviewed an hour ago were reviewed today."""
    from datetime import datetime

    return datetime(2026, 3, 9, 12, 0).timestamp()


def test_a_review_asks_the_weak_skills_first_then_the_due_then_a_few_new():
    now = _noon()
    minutes, day = 60.0, 86400.0
    M = progress.Mastery
    mastery = [
        # the student: squared error at 52 %, linear ∂z/∂x at 36 %, both learning
        # again in 10 minutes (not due yet) and first met today
        M("mse'", 25, 13.0, 0.2, now + 10 * minutes, 3, 1, (3, 1), now - 3600),
        M("linear-dx", 25, 9.0, 0.2, now + 10 * minutes, 3, 1, (1, 3), now - 7200),
        M("relu'", 4, 4.0, 3.0, now - 3600, 2, 2, (3, 3), now - 5 * day),  # due an hour ago
        M("sigmoid'", 3, 3.0, 9.0, now + 2 * day, 2, 2, (3, 3), now - 9 * day),  # not due
        M("tanh'", 5, 4.0, 1.0, now + 30 * minutes, 4, 3, (3, 1), now - 20 * day),  # lapsed
    ]
    known = ("ce'", "softmax-ce", "mse'", "linear-dx", "relu'", "sigmoid'", "tanh'", "bce'")
    # lapsed first, then failing by credit (36 % before 52 %), then the due, then new ones:
    # 3 a day of which 2 (mse', linear-dx) were started today, so 1 more
    assert review.due(mastery, known, now, new_per_day=3) == [
        "tanh'",
        "linear-dx",
        "mse'",
        "relu'",
        "ce'",
    ]
    assert review.due(mastery, known, now, new_per_day=2)[-1] == "relu'"  # the cap is reached
    assert review.due(mastery, known, now, new_per_day=0)[-1] == "relu'"
    tomorrow = review.due(mastery, known, now + day, new_per_day=3)
    assert tomorrow[-3:] == ["ce'", "softmax-ce", "bce'"]  # a new day, three new skills
    assert "sigmoid'" not in tomorrow  # due in two days, answered right: not yet


def test_the_next_step_of_a_skill_in_plain_words_en_and_zh():
    from tutor.quiz import review_view

    now = NOON
    M = progress.Mastery
    learning = M("mse'", 1, 0.0, 0.2, now + 600, 1, 1, (1,), now)
    relearning = M("mse'", 9, 6.0, 0.5, now + 3 * 3600, 2, 3, (3, 1), now)
    reviewing = M("mse'", 2, 2.0, 2.3, now + 2 * 86400, 2, 2, (3, 3), now)
    tomorrow = replace(reviewing, due=now + 86400 + 600)
    overdue = replace(reviewing, due=now - 1)
    new = M("mse'", 0, 0.0, None, None, 0)
    said = {
        "en": [
            "learning: again in 10 minutes",
            "relearning: again in 3 hours",
            "review in 2 days",
            "review in 1 day",
            "due now",
            "new",
        ],
        "zh": ["学习中：10 分钟后再练", "重新学习：3 小时后再练", "2 天后复习", "1 天后复习"],
    }
    for lang, words in said.items():
        rows = [learning, relearning, reviewing, tomorrow, overdue, new][: len(words)]
        assert [review_view.next_step(m, now, lang) for m in rows] == words


def test_progress_lists_the_weakest_skills_first_with_their_last_results(tmp_path, monkeypatch):
    from rich.console import Console

    from tutor.quiz import review_view

    M = progress.Mastery
    rows = [
        M("relu'", 4, 4.0, 3.0, NOON + 86400, 2, 2, (3, 3)),
        M("mse'", 25, 13.0, 0.2, NOON + 600, 3, 1, (3, 2, 1)),
        M("linear-dx", 25, 9.0, 0.2, NOON + 600, 3, 1, (1,)),
    ]
    console = Console(file=__import__("io").StringIO(), width=100, color_system=None)
    console.print(review_view.mastery_table(rows, NOON, "en"))
    text = console.file.getvalue()
    order = [text.index(skills.name(s)) for s in ("linear-dx", "mse'", "relu'")]
    assert order == sorted(order)  # 36 %, 52 %, 100 %
    assert "✓ ~ ✗" in text and "36%" in text


def test_a_scaffolded_answer_is_blamed_on_the_factor_that_was_wrong(tmp_path, monkeypatch):
    """∂L/∂h of ex2 is ∂L/∂ŷ · ∂ŷ/∂h = (ŷ − y)·w3 = 4·2 = 8. Typed wrong twice, it is asked
    factor by factor: ∂L/∂ŷ = 4 right, ∂ŷ/∂h = h = 3 wrong twice (the input for the
    weight), then the product right. Squared error (∂L/∂ŷ) is reviewed Good once, linear
    ∂z/∂x (∂ŷ/∂h) Again, and neither is blamed for the wrong ∂L/∂h itself."""
    import io

    from rich.console import Console

    from tutor.problems import catalog
    from tutor.quiz import session as quiz_loop

    monkeypatch.setattr(time, "time", lambda: NOON)
    db = tmp_path / "p.db"
    store, _ = progress.open_store(db)
    s = quiz_loop.Session(catalog.load("ex2"))
    s.questions = [q for q in s.questions if q.key == "dL/dh"]
    assert set(s.questions[0].skills) == {"mse'", "linear-dx"}
    typed = iter(["5", "5", "4", "3", "3", "8"])
    console = Console(file=io.StringIO(), width=100)
    quiz_loop.run_problem(s, lambda _: next(typed, None), console.print, print, store, "en")
    store.close()
    out = " ".join(console.file.getvalue().split())  # the input typed for the weight: named
    assert "the input where the weight belongs" in out and "the answer is 2" in out
    m = {x.skill: x for x in progress.mastery(db)}
    assert m["mse'"].last == (cards.GOOD,) and m["linear-dx"].last == (cards.AGAIN,)
    assert (m["mse'"].attempts, m["mse'"].credit) == (1, 1.0)
    assert (m["linear-dx"].attempts, m["linear-dx"].credit) == (1, 0.0)
    assert review.due(list(m.values()), ("mse'", "linear-dx"), NOON)[0] == "linear-dx"


def test_review_one_skill_by_name(tmp_path):
    db, report = tmp_path / "p.db", tmp_path / "r.json"
    result = invoke(
        "review",
        "--skill",
        "mse'",
        "--db",
        str(db),
        "--seed",
        "2",
        "--count",
        "3",
        "--answers",
        "-",
        "--report",
        str(report),
        stdin="skip\n" * 3,
    )
    assert result.returncode == 1, result.stderr
    questions = json.loads(report.read_text(encoding="utf-8"))["questions"]
    assert questions and all("mse'" in q["skills"] for q in questions)
    for lang, words in (("en", "no skill named 'nope'"), ("zh", "没有名为 'nope' 的技能")):
        bad = invoke("review", "--skill", "nope", "--db", str(db), "--lang", lang)
        assert bad.returncode == 2 and words in bad.stderr and "Traceback" not in bad.stderr


def test_a_scaffolded_tensor_delta_is_blamed_on_the_step_not_asked_on_its_own(
    tmp_path, monkeypatch
):
    """δ(z1) of ex18 = δ(a1) ⊙ σ′(z1), δ(a1) = W2ᵀ δ(z2) (tests/shared.py's NumPy). Typed
    wrong twice, δ(a1) is asked and typed right, then δ(z1) right: W2ᵀδ's skills (matrix
    product, transpose, softmax with cross-entropy) are reviewed Good, and the wrong δ(z1)
    is blamed on σ′ alone, the one part of it no step asked."""
    import io

    import numpy as np
    from rich.console import Console
    from shared import softmax_net_by_hand

    from tutor.problems import catalog
    from tutor.quiz import matrix
    from tutor.quiz import session as quiz_loop

    h = softmax_net_by_hand()
    column = lambda a: "[" + ", ".join(f"{v:.6g}" for v in np.ravel(a)) + "]"  # noqa: E731
    monkeypatch.setattr(time, "time", lambda: NOON)
    db = tmp_path / "p.db"
    store, _ = progress.open_store(db)
    s = matrix.Session(catalog.load("ex18"))
    s.questions = [q for q in s.questions if q.key == "dL/dz1"]
    typed = iter(["[1, 2, 3, 4]", "[1, 2, 3, 4]", column(h["da1"]), column(h["d1"])])
    console = Console(file=io.StringIO(), width=100)
    quiz_loop.run_problem(s, lambda _: next(typed, None), console.print, print, store, "en")
    store.close()
    m = {x.skill: x for x in progress.mastery(db)}
    assert m["sigmoid'"].last == (cards.AGAIN,)
    for skill in ("matmul", "transpose", "softmax-ce"):
        assert m[skill].last == (cards.GOOD,), skill
