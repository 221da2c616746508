"""Tests for the quiz session and its loop (tutor.quiz.session), its views and the `bptutor quiz`
command, run in process (a pseudo-terminal test is the one subprocess: that is its point).

Expected values come from hand derivation (seed 000's worked ex2: z = 3, h = 3, ŷ = 6, L = 8,
gradients 8, 16, 8, 12, 4) and from an independent NumPy reference written here, never from
the engine itself.
"""

from __future__ import annotations

import io
import re
import sqlite3
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import shared
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from tutor.errors import ProblemError
from tutor.model.quiz import Grade
from tutor.problems import catalog
from tutor.quiz import view as quiz_view
from tutor.quiz.session import Outcome, Session
from tutor.variants.scalar import random_variant as variant


@pytest.fixture(scope="module")
def ex1():
    return catalog.load("ex1")


@pytest.fixture(scope="module")
def ex2():
    return catalog.load("ex2")


def question(session: Session, key: str):
    return next(q for q in session.questions if q.key == key)


def grade(session: Session, key: str, text: str) -> Grade:
    return session.grade(question(session, key), text)


def test_the_session_asks_the_questions_of_its_problem(ex2):
    assert [q.key for q in Session(ex2).questions][:4] == ["z", "h", "yhat", "L"]


# -- grading numbers: ex2 by hand ---------------------------------------------------------------


def test_right_answers_of_ex2(ex2):
    s = Session(ex2)
    answers = {
        "z": "3",
        "h": "3",
        "yhat": "6",
        "L": "8",
        "dL/dw1": "8",
        "dL/dw2": "16",
        "dL/db1": "8",
        "dL/dw3": "12",
        "dL/db2": "4",
        "w1'": "0.92",
        "w2'": "0.84",
        "b1'": "-0.08",
        "w3'": "1.88",
        "b2'": "-0.04",
    }
    for key, text in answers.items():
        g = grade(s, key, text)
        assert (key, g.verdict, g.credit) == (key, "right", 1.0)


def test_a_per_problem_tolerance(ex2):
    import dataclasses

    loose = Session(dataclasses.replace(ex2, tolerance=0.1))
    assert grade(loose, "L", "8.7").verdict == "right"
    assert grade(Session(ex2), "L", "8.7").verdict == "wrong"


def test_a_near_miss_is_wrong_and_shows_the_exact_value(ex2):
    g = grade(Session(ex2), "dL/dw3", "9")
    assert (g.verdict, g.mistake, g.exact) == ("wrong", None, "12")
    assert "12" in g.feedback.en and "12" in g.feedback.zh


def test_rounded_answers_are_accepted_with_a_warning():
    s = Session(catalog.load("ex4"))
    exact = s.solution.forward[2].value  # a1_1 = σ(-0.9) = 0.2890505...
    assert s.solution.forward[2].name == "a1_1"
    g = grade(s, "a1_1", "0.289")
    assert g.verdict == "right" and g.warning is None
    g = grade(s, "a1_1", "0.29")
    assert g.verdict == "right" and "rounded too early" in g.warning.en
    assert g.exact.startswith("0.28905")
    assert abs(exact - 0.2890505) < 1e-6


def test_invalid_answers_are_not_counted(ex2):
    s = Session(ex2)
    g = grade(s, "z", "3 +")
    assert g.verdict == "invalid" and not g.counted and g.credit == 0
    assert g.feedback.en.startswith("can't read that:") and "column" in g.feedback.en
    assert grade(s, "z", "q").verdict == "invalid"  # a name the problem does not have
    assert grade(s, "z", "x" * 600).verdict == "invalid"
    assert grade(s, "z", "3").verdict == "right"


# -- hints -------------------------------------------------------------------------------------


def test_the_hint_ladder_names_the_factors_then_their_rules_then_the_numbers(ex2):
    s = Session(ex2)
    q = question(s, "dL/dw1")
    shown = [s.hint(q) for _ in range(4)]
    assert [h[2] for h in shown[:3]] == [
        "∂L/∂w1 = ∂L/∂ŷ · ∂ŷ/∂h · ∂h/∂z · ∂z/∂w1",
        "∂L/∂ŷ = ŷ - y; ∂ŷ/∂h = w3; ∂h/∂z = step(z); ∂z/∂w1 = x1",
        "∂L/∂w1 = 4 × 2 × 1 × 1",
    ]
    assert [h[:2] for h in shown[:3]] == [(1, 3), (2, 3), (3, 3)]
    assert shown[3] is None
    z = question(s, "z")  # its equation is in the question already: the numbers only
    assert s.hints(z) == ["z = 1*1 + 1*2 + 0"]
    w1 = question(s, "w1'")
    assert [s.hint(w1)[2] for _ in range(2)] == ["w1' = w1 − η·∂L/∂w1", "w1' = 1 − 0.01 × 8"]


def test_a_single_factor_has_fewer_rungs_and_none_restates_the_question(ex2):
    s = Session(ex2, guided=True)
    # ∂L/∂ŷ = ½(ŷ − y)²'s derivative: the loss, the rule, the rule at ŷ = 6, y = 2
    assert s.hints(question(s, "dL/dyhat")) == [
        "L = 1/2*(yhat - y)^2",
        "∂L/∂ŷ = ŷ - y",
        "∂L/∂ŷ = 6 - 2",
    ]
    assert s.hints(question(s, "dyhat/db2")) == ["ŷ = w3*h + b2", "∂ŷ/∂b2 = 1"]
    assert s.hints(question(s, "dyhat/dh")) == ["ŷ = w3*h + b2", "∂ŷ/∂h = w3", "∂ŷ/∂h = 2"]


def _shown(line: str) -> str:
    """A line as the terminal shows it, spaces and the kind of multiplication sign aside."""
    from tutor.text.notation import pretty_equation

    return re.sub(r"\s+", "", pretty_equation(line)).replace("×", "·")


def _asked(session) -> list:
    """Every question a quiz can ask: plain and guided, and each scaffolding step."""
    qs = list(session.questions)
    return qs + [step for q in qs for step in session.scaffold(q)]


@pytest.mark.parametrize("name", [p.stem for p in catalog.builtin_files()])
def test_no_hint_rung_restates_the_question_or_repeats_the_one_before(name):
    from tutor.quiz.session import open_session

    problem = catalog.load(name)
    for guided in (False, True):
        session = open_session(problem, guided=guided)
        for q in _asked(session):
            for lang in ("en", "zh"):
                header = session.header(q, 1, 1, lang).plain
                # what the header shows after its number and kind: `∂L/∂ŷ`, `z = w1·x1 + ...`
                asked = {_shown(part) for part in re.split(r"\s{2,}", header)[1:]}
                before = None
                for rung in session.hints(q, lang):
                    sides = [_shown(side) for side in re.split("[;；]", rung)[0].split("=")]
                    assert _shown(rung) not in asked, (name, q.key, rung)
                    assert _shown(rung) != before, (name, q.key, rung)
                    assert len(sides) == 1 or len(set(sides)) > 1, (name, q.key, rung)  # X = X
                    assert not set(sides) <= asked, (name, q.key, rung)
                    before = _shown(rung)


def test_hints_in_chinese_keep_the_math_and_translate_the_words(ex2):
    s = Session(ex2)
    q = question(s, "L'")
    assert s.hints(q, "zh")[0] == "L' 是用更新后的参数算出的损失：再做一次前向传播"
    assert s.hints(q, "en")[0].startswith("L' is the loss with the updated parameters")


def test_symbolic_hints_show_the_factors(ex1):
    s = Session(ex1)
    q = question(s, "dL/dw1")
    assert [s.hint(q)[2] for _ in range(2)] == [
        "∂L/∂w1 = ∂L/∂ŷ · ∂ŷ/∂z · ∂z/∂w1",
        "∂L/∂ŷ = (ŷ - y)/(ŷ·(1 - ŷ)); ∂ŷ/∂z = ŷ·(1 - ŷ); ∂z/∂w1 = x1",
    ]
    assert s.hint(q) is None  # no numbers on a symbolic problem


# -- symbolic answers: ex1 -----------------------------------------------------------------------

EQUIVALENT = [
    "(yhat - y)*x1",
    "x1(ŷ-y)",
    "x1*(ŷ-y)",
    "(sigmoid(z) - y)*x1",
    "(σ(w1*x1+w2*x2+b) - y)·x1",
    "x1*yhat - x1*y",
    "-(y - yhat)*x1",
    "x1 × (ŷ − y)",
    "(1/(1+exp(-z)) - y)*x1",
    "x1 ŷ - x1 y",
    "((y - yhat)/(yhat*(yhat - 1)))*yhat*(1-yhat)*x1",
    "2x1(yhat-y)/2",
    "(exp(z)/(1+exp(z)) - y)*x1",
    "x1*(ŷ-y)*ŷ*(1-ŷ)/(ŷ*(1-ŷ))",
    "(σ(w1 x1 + w2 x2 + b) - y) x1",
    "x1*(yhat - y)^1",
]
NOT_EQUIVALENT = [
    "(y - yhat)*x1",
    "yhat*x1",
    "(yhat-y)*x2",
    "(yhat - y)*x1*yhat*(1-yhat)",
    "yhat - y",
    "x1",
    "(yhat-y)*x1^2",
    "2*(yhat-y)*x1",
    "(z - y)*x1",
    "(sigmoid(z)-y)*x1 + 1",
    "(yhat - y)/(yhat*(1-yhat))*x1",
    "-x1*yhat",
    "(sigmoid(w1*x1) - y)*x1",
    "0",
]


@pytest.mark.parametrize("text", EQUIVALENT)
def test_equivalent_forms_are_accepted(ex1, text):
    g = grade(Session(ex1), "dL/dw1", text)
    assert (g.verdict, g.credit) == ("right", 1.0), g.feedback.en


@pytest.mark.parametrize("text", NOT_EQUIVALENT)
def test_other_forms_are_refused(ex1, text):
    g = grade(Session(ex1), "dL/dw1", text)
    assert g.verdict == "wrong", text


def test_symbolic_forward_answers(ex1):
    s = Session(ex1)
    assert grade(s, "z", "w1 x1 + w2 x2 + b").verdict == "right"
    assert grade(s, "yhat", "σ(z)").verdict == "right"
    assert grade(s, "yhat", "1/(1 + exp(-(w1*x1 + w2*x2 + b)))").verdict == "right"
    assert grade(s, "yhat", "yhat").verdict == "invalid"  # not a name it may use
    assert grade(s, "z", "q*x1").verdict == "invalid"


@pytest.mark.parametrize(
    "text",
    [
        "(x1+x2+y+b+w1+w2)^100",
        "((x1+x2)^100)^100 - x1",
        "9^9^9^9",
        "(" * 60 + "1" + ")" * 60,
        "1e999",
        "exp(exp(exp(x1)))",
        "x1" * 300,
        "sigmoid(" * 40 + "z" + ")" * 40,
    ],
)
def test_hostile_input_is_refused_or_graded_quickly(ex1, text):
    s = Session(ex1)
    with shared.no_hang(5.0):  # a safety bound (no hang); the goal is in the bench
        g = grade(s, "dL/dw1", text)
    assert g.verdict in ("invalid", "wrong")


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=80) | st.from_regex(r"[-+*/^() .0-9xyzwbhatσŷ1e]{0,60}", fullmatch=True))
def test_the_checker_always_returns_a_grade(text):
    for s, key in ((_SESSIONS["ex1"], "dL/dw1"), (_SESSIONS["ex2"], "dL/dw1")):
        with shared.no_hang(5.0):
            g = grade(s, key, text)
        assert isinstance(g, Grade)
        assert g.verdict in ("right", "carried", "wrong", "invalid", "undecided")


_SESSIONS = {ref: Session(catalog.load(ref)) for ref in ("ex1", "ex2")}


# -- random variants -------------------------------------------------------------------------


def numeric_problems():
    """Every catalogue problem with numbers: scalar, network and tensor."""
    problems = [catalog.load(str(f)) for f in catalog.builtin_files()]
    return [p for p in problems if not p.symbolic]


def test_same_seed_same_values_different_seeds_differ(ex2):
    a, b, c = variant(ex2, 7), variant(ex2, 7), variant(ex2, 8)
    assert a.leaves == b.leaves
    assert a.leaves != c.leaves
    assert a.published == ()


def test_values_are_small_integers_or_one_decimal(ex2):
    for seed in range(20):
        for v in variant(ex2, seed).leaves.values():
            assert abs(v) <= 3 and (v * 10).is_Integer


def test_relu_both_active_and_inactive_across_seeds(ex2):
    states = set()
    for seed in range(51):
        v = {k: float(x) for k, x in variant(ex2, seed).leaves.items()}
        z = v["w1"] * v["x1"] + v["w2"] * v["x2"] + v["b1"]
        assert z != 0
        states.add(z > 0)
    assert states == {True, False}


def reference_ex2(v: dict, lr: float) -> dict:
    """An independent NumPy forward/backward pass of ex2 and its SGD step."""
    z = v["w1"] * v["x1"] + v["w2"] * v["x2"] + v["b1"]
    h = np.maximum(z, 0.0)
    yhat = v["w3"] * h + v["b2"]
    L = 0.5 * (yhat - v["y"]) ** 2
    d_yhat = yhat - v["y"]
    d_z = d_yhat * v["w3"] * (1.0 if z > 0 else 0.0)
    grads = {"w1": d_z * v["x1"], "w2": d_z * v["x2"], "b1": d_z, "w3": d_yhat * h, "b2": d_yhat}
    out = {"z": z, "h": h, "yhat": yhat, "L": L}
    out.update({"dL/dyhat": d_yhat, "dL/dh": d_yhat * v["w3"], "dL/dz": d_z})
    out.update({f"dL/d{k}": g for k, g in grads.items()})
    new = {k: v[k] - lr * g for k, g in grads.items()}
    out.update({f"{k}'": x for k, x in new.items()})
    z2 = new["w1"] * v["x1"] + new["w2"] * v["x2"] + new["b1"]
    out["L'"] = 0.5 * (new["w3"] * np.maximum(z2, 0.0) + new["b2"] - v["y"]) ** 2
    return out


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 5, 8, 13])
def test_random_ex2_answers_agree_with_a_numpy_reference(ex2, seed):
    problem = variant(ex2, seed)
    s = Session(problem, seed=seed)
    ref = reference_ex2({k: float(x) for k, x in problem.leaves.items()}, problem.update.lr)
    assert {q.key for q in s.questions} == set(ref)
    for q in s.questions:
        assert q.value == pytest.approx(ref[q.key], abs=1e-12)
        g = s.grade(q, repr(float(ref[q.key])))
        assert g.verdict == "right"


def test_every_numeric_problem_has_random_variants_with_finite_difference_gradients():
    """Seeds 0 and 1 of every numeric problem through the quiz's entry points: each question's
    value finite, each gradient asked equal to central differences of the loss (a tensor's
    entry by entry, `shared.tensor_finite_differences`)."""
    from tutor.engine import scalar as engine
    from tutor.quiz import session as quiz

    problems = numeric_problems()
    assert len(problems) >= 4 and any(p.tensor for p in problems)
    for problem in problems:
        for seed in (0, 1):
            v = quiz.variant(problem, seed)
            s = quiz.open_session(v, seed=seed)
            assert s.questions, problem.id
            if v.tensor:
                _tensor_questions_agree_with_finite_differences(v, s, seed)
                continue
            compiled = engine.Compiled(engine.build_graph(v))
            leaves = engine.numeric_leaves(v)
            for q in s.questions:
                assert np.isfinite(q.value), (problem.id, q.key)
                if q.kind != "gradient":
                    continue
                h = 1e-6
                up = compiled.loss({**leaves, q.node: leaves[q.node] + h})
                down = compiled.loss({**leaves, q.node: leaves[q.node] - h})
                fd = (up - down) / (2 * h)
                assert q.value == pytest.approx(fd, rel=1e-4, abs=1e-5), (problem.id, seed, q.key)


def _tensor_questions_agree_with_finite_differences(v, s, seed) -> None:
    fds = {}
    for q in s.questions:
        assert np.isfinite(q.expected).all(), (v.id, q.key)
        if q.kind != "gradient" or q.name not in v.leaves:
            continue
        if q.name not in fds:
            fds[q.name] = shared.tensor_finite_differences(v, v.leaves, q.name)
        fd = fds[q.name] if q.index is None else fds[q.name][q.index]
        assert np.allclose(q.expected, fd, rtol=1e-4, atol=1e-5), (v.id, seed, q.key)
    assert fds, v.id  # some gradient was asked and checked


def test_a_symbolic_problem_has_no_random_variant(ex1):
    with pytest.raises(ProblemError):
        variant(ex1, 0)


# -- views -------------------------------------------------------------------------------------


def render(renderable) -> str:
    console = Console(file=io.StringIO(), width=100)
    console.print(renderable)
    return console.file.getvalue()


def test_score_table_lists_every_question_and_the_score():
    outcomes = [
        Outcome("z", "correct", 1.0, "3", "3"),
        Outcome("h", "carried", 0.5, "4", "3"),
        Outcome("dL/dw1", "wrong", 0.0, "[red]-8", "8"),
        Outcome("L", "unanswered"),
    ]
    text = render(quiz_view.score_table(outcomes, "en"))
    assert "∂L/∂w1" in text and "[red]-8" in text  # student text is escaped, not markup
    assert "carried forward" in text and "not answered" in text
    assert "Score: 1.5 / 4" in text
    assert "得分：1.5 / 4" in render(quiz_view.score_table(outcomes, "zh"))


# -- the command, end to end ---------------------------------------------------------------------


class Run:
    """A finished command: exit code, stdout and stderr."""

    def __init__(self, returncode: int, stdout: str, stderr: str):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def quiz(monkeypatch, capsys):
    """`bptutor quiz ARGS --db DB` in process, through the console entry's `main` (errors
    become one line on stderr and exit 2 as in a real run); stdin is `stdin`."""
    from tutor.cli import main

    def run(*args: str, stdin: str = "", db: Path) -> Run:
        monkeypatch.setattr(sys, "argv", ["bptutor", "quiz", *args, "--db", str(db)])
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        monkeypatch.setenv("COLUMNS", "100")
        monkeypatch.delenv("BPTUTOR_DEBUG", raising=False)
        with pytest.raises(SystemExit) as info:
            main()
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err, captured.err
        return Run(info.value.code, captured.out, captured.err)

    return run


# ex2 by hand in backprop's order: z, h, ŷ, L; ∂L/∂ŷ = 4, ∂L/∂h = 8, ∂L/∂z = 8; ∂L/∂w3 = 12,
# ∂L/∂b2 = 4, ∂L/∂w1 = 8, ∂L/∂w2 = 16, ∂L/∂b1 = 8; w3' = 2 - 0.12, b2' = -0.04, w1' = 0.92,
# w2' = 0.84, b1' = -0.08; L' = ½(1.88·2.52 - 0.04 - 2)² = ½·2.6976² = 3.63852288
EX2_RIGHT = "3\n3\n6\n8\n4\n8\n8\n12\n4\n8\n16\n8\n1.88\n-0.04\n0.92\n0.84\n-0.08\n3.63852288\n"


def test_ex2_through_stdin_all_right_exits_0(quiz, tmp_path):
    r = quiz("ex2", stdin=EX2_RIGHT, db=tmp_path / "p.db")
    assert r.returncode == 0, r.stdout
    assert "Score: 18 / 18" in r.stdout
    assert r.stdout.count("✓ correct") == 18


def test_ex2_through_stdin_wrong_hint_invalid(quiz, tmp_path):
    stdin = "3\nhint\n?\n?\n3\nx +\n6\n16\n-8\nquit\n"
    r = quiz("ex2", stdin=stdin, db=tmp_path / "p.db")
    assert r.returncode == 1
    out = r.stdout
    # h = relu(z) is in the question: the one rung is its numbers, then no more hints
    assert "hint 1/1: h = relu(3)" in out and "hint 1/2" not in out
    assert out.count("no more hints") == 2
    assert "can't read that:" in out and "column" in out
    # L = 16 is 2L: a first wrong try gets its diagnosis, not the answer, and another try
    assert (
        "looks like off by a factor of 2 (the ½ of a squared error?); try again (1 more try)"
        in " ".join(out.split())
    )
    assert "the sign is wrong; the answer is 8" in out
    # z 1 + h (one hint: 1 - ¼) + ŷ 1 (the unreadable answer is not a try) + L 0
    assert "Score: 2.75 / 18" in out
    assert "not answered" in out


def test_ex1_through_stdin(quiz, tmp_path):
    stdin = (
        "w1 x1 + w2 x2 + b\nσ(z)\n(yhat - y)/(yhat*(1 - yhat))\n"
        "(yhat - y)/(yhat*(1 - yhat))\nyhat - y\nhint\nx1(ŷ-y\n(y - yhat)*x1\nx1(ŷ-y)\n"
        "(y - yhat)*x2\n"
    )
    r = quiz("ex1", stdin=stdin, db=tmp_path / "p.db")
    assert r.returncode == 1
    out = r.stdout
    assert out.count("✓ correct") == 5
    # ∂L/∂ŷ typed for ∂L/∂z: the chain stopped one factor early
    assert "that is ∂L/∂ŷ: continue through ∂ŷ/∂z = ŷ·(1 - ŷ); try again" in out
    assert "hint 1/2: ∂L/∂w1 = ∂L/∂ŷ · ∂ŷ/∂z · ∂z/∂w1" in out
    assert "looks like the sign is wrong; try again" in out
    assert "can't read that: missing ')'" in out
    # z, ŷ, ∂L/∂ŷ 1 each; ∂L/∂z on the second try ½; ∂L/∂w1 second try and a hint ½ - ¼
    assert "Score: 3.75 / 7" in out


def test_answers_file_and_exit_codes(quiz, tmp_path):
    answers = tmp_path / "answers.txt"
    answers.write_text(EX2_RIGHT, encoding="utf-8")
    r = quiz("ex2", "--answers", str(answers), db=tmp_path / "p.db")
    assert r.returncode == 0
    assert "z = ? 3" in r.stdout  # the transcript shows what was read
    answers.write_text(EX2_RIGHT.replace("16\n", "15\n", 1), encoding="utf-8")
    assert quiz("ex2", "--answers", str(answers), db=tmp_path / "p.db").returncode == 1
    r = quiz("ex2", "--answers", "-", stdin="3\n", db=tmp_path / "p.db")
    assert r.returncode == 1 and "Score: 1 / 18" in r.stdout
    r = quiz("ex2", "--answers", str(tmp_path / "missing.txt"), db=tmp_path / "p.db")
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert r.stderr.endswith("missing.txt: No such file or directory\n")  # no "[Errno 2]"
    (tmp_path / "latin1.txt").write_bytes(b"\xff\xfe3\n")
    r = quiz("ex2", "--answers", str(tmp_path / "latin1.txt"), db=tmp_path / "p.db")
    assert r.returncode == 2 and r.stderr.endswith("latin1.txt: not UTF-8 text\n")


def test_random_variant_is_reproducible_from_the_command_line(quiz, tmp_path):
    a = quiz("ex2", "--random", "--seed", "4", stdin="", db=tmp_path / "p.db")
    b = quiz("ex2", "--seed", "4", stdin="", db=tmp_path / "p.db")
    assert "seed 4" in a.stdout
    given = [line for line in a.stdout.splitlines() if "parameter" in line or "input" in line]
    assert given and given == [
        line for line in b.stdout.splitlines() if "parameter" in line or "input" in line
    ]
    r = quiz("ex1", "--random", db=tmp_path / "p.db")
    assert r.returncode == 2 and "symbolic" in r.stderr


@pytest.mark.parametrize("path", catalog.builtin_files(), ids=lambda p: p.stem)
def test_every_problem_can_be_quizzed_hints_and_shown_answers_round_trip(path):
    # Not a check of the values (the oracle tests above do that): the quiz machinery runs on
    # every catalogue problem of every kind and a variant of it (through the quiz's entry
    # points, scalar and tensor alike), and the exact answer it shows is accepted back.
    from tutor.quiz import session as quiz

    problem = catalog.load(str(path))
    for p in [problem] if problem.symbolic else [problem, quiz.variant(problem, 5)]:
        s = quiz.open_session(p)
        assert s.questions, p.id
        for q in s.questions:
            while s.hint(q):
                pass
            for text in ("1", "-2.5", "x1*y", "oops("):
                assert s.grade(q, text).verdict in (
                    "right",
                    "carried",
                    "wrong",
                    "invalid",
                    "undecided",
                )
            assert s.grade(q, s.exact(q)).verdict == "right", (p.id, q.key)


@pytest.mark.parametrize(
    "typed, zh",
    [
        ("x +", "无法读取：不认识的名称 'x'（第 1 列）"),
        ("foo(3)", "无法读取：不认识的函数 'foo'（第 1 列）"),
        ("(", "无法读取：表达式没有写完"),
    ],
)
def test_unreadable_answers_are_explained_in_chinese(ex2, typed, zh):
    g = grade(Session(ex2), "z", typed)
    assert g.verdict == "invalid" and not g.counted
    assert g.feedback.zh.startswith(zh)
    assert g.feedback.en.startswith("can't read that:")


# -- answer checking against an outside answer-test suite (issue 8) ------------------------------


@pytest.fixture(scope="module")
def forms():
    return catalog.load(str(Path(__file__).parent / "fixtures" / "quiz_forms.yaml"))


@pytest.mark.parametrize(
    "key, text, verdict",
    [
        # equal wherever both sides are real: most points of [-1.5, 1.5]² lie outside log's domain
        ("r", "log(x1) + log(x2)", "right"),
        ("r", "ln(x2) + ln(x1)", "right"),
        ("r", "log(x1) - log(x2)", "wrong"),
        ("r", "2*log(x1)", "wrong"),
        # different on part of the real domain: |x1| ≠ x1 for x1 < 0
        ("s", "(x1^2)^(1/2)", "wrong"),
        ("s", "sqrt(x1^2)", "wrong"),
        # (a^b)^c ≠ a^(bc) at a = -2, b = 2, c = 1/2: 2 against -2
        ("p", "(a^b)^c", "wrong"),
        ("p", "(a^c)^b", "wrong"),
        ("p", "a^(c*b)", "right"),
    ],
)
def test_formulas_are_compared_where_both_sides_are_real(forms, key, text, verdict):
    g = grade(Session(forms), key, text)
    assert g.verdict == verdict, g.feedback.en


def test_a_formula_real_almost_nowhere_is_not_called_wrong_from_too_few_points(forms):
    # sqrt(-1 - a²) has no real value anywhere: nothing to compare, so not "not equivalent"
    g = grade(Session(forms), "p", "sqrt(-1 - a^2)")
    assert g.verdict == "undecided" and g.reason == "points" and not g.counted
    assert "too few of the points" in g.feedback.en and "实数值" in g.feedback.zh


def test_rational_functions_are_compared_exactly_in_a_quiz(ex1):
    # z = w1·x1 + w2·x2 + b, and an answer off by 10⁻¹² is not z
    s = Session(ex1)
    assert grade(s, "z", "w1 x1 + w2 x2 + b + 10^-12").verdict == "wrong"
    assert grade(s, "z", "(b + w1 x1)(1 + x2) - x2(b + w1 x1) + x2 w2").verdict == "right"


def test_a_large_polynomial_is_still_checked_quickly(ex1):
    s = Session(ex1)
    for text in (
        "(x1*x2 + w1*w2 + b*y)^12",
        "(x1+x2+y+b+w1+w2)^6 + 1",
        "(1+x1)^40*(1+x2)^10 + 1/((1+w1)^40*(1+w2)^10)",
    ):
        with shared.no_hang(2.0):  # a safety bound; the goal is in the bench
            assert grade(s, "z", text).verdict == "wrong"


def _numeric(ex2, value, tol=None):
    """An ex2 session and a stand-alone question whose exact answer is `value`."""
    import dataclasses

    from tutor.model.quiz import Question

    s = Session(dataclasses.replace(ex2, tolerance=tol))
    return s, Question("b2'", "update", "b2", value)


def test_too_few_figures_is_not_an_attempt_the_question_is_asked_again(ex2):
    from tutor.quiz import session as quiz_loop

    s, q = _numeric(ex2, -0.0409, None)
    s.questions = [q]
    lines = iter(["-0.04", "-0.0409"])
    shown, recorded = [], []

    class Store:
        def record(self, *args):
            recorded.append(args)

        def record_outcome(self, problem, seed, o):
            recorded.append((problem, o.key, seed, o.answer, o.verdict))

    outcomes = quiz_loop.run_problem(
        s, lambda prompt: next(lines, None), shown.append, lambda line: None, Store(), "en"
    )
    assert [(o.verdict, o.answer) for o in outcomes] == [("correct", "-0.0409")]
    assert [r[-1] for r in recorded] == ["correct"]
    assert "give at least 2" in "".join(render(x) for x in shown)


def test_an_over_long_answer_is_refused_showing_its_first_40_characters(ex2, tmp_path):
    from typer.testing import CliRunner

    from tutor.cli import app

    typed = "1234567890" * 4 + "x" * 1_000_000
    g = grade(Session(ex2), "z", typed)
    assert g.verdict == "invalid"
    assert "1234567890" * 4 + "…" in g.feedback.en and len(g.feedback.en) < 200
    assert len(g.feedback.zh) < 200
    answers = tmp_path / "answers.txt"
    answers.write_text("3\n" + "y" * 900_000 + "\n", encoding="utf-8")
    result = CliRunner().invoke(
        app,
        ["quiz", "ex2", "--answers", str(answers), "--db", str(tmp_path / "p.db")],
        env={"COLUMNS": "100"},
    )
    assert result.exit_code == 1
    assert "y" * 40 + "…" in result.output and "y" * 41 not in result.output
    assert len(result.output) < 10_000


@pytest.mark.parametrize(
    "key, text, verdict",
    [
        ("dL/dw1", "w3*x1*(yhat - y)", "right"),  # (6 - 2)·2·1 = 8
        ("dL/dw1", "w3*h*x1*(yhat - y)", "wrong"),  # 24: graded as a number
        ("dL/dw3", "(ŷ - y) h", "right"),  # 4·3 = 12
        ("yhat", "w3*h + b2", "right"),
        ("L", "1/2 (yhat - y)^2", "right"),
        ("w1'", "w1 - 0.01*8", "right"),
        ("z", "w1*x1 + w2*x2 + b1", "right"),
        ("z", "z", "invalid"),  # the quantity asked is not given
        ("h", "yhat", "invalid"),  # nor is a later node
    ],
)
def test_a_formula_in_the_problems_names_is_graded_as_a_number(ex2, key, text, verdict):
    g = grade(Session(ex2), key, text)
    assert g.verdict == verdict, g.feedback.en


def test_a_formula_answer_is_evaluated_exactly(ex2):
    s = Session(ex2)
    q = question(s, "dL/dw1")
    assert s.read_value(q, "w3*x1*(yhat - y)") == 8  # an exact fraction, not 8.000000001
    assert s.read_value(q, "b1 + 1/3") == Fraction(1, 3)
    assert isinstance(s.read_value(q, "sigmoid(w1)"), Fraction)  # a float, exactly


def test_progress_keeps_the_words_it_stored_before(quiz, tmp_path):
    # a grade says "right"; the database and `progress` still say "correct", as before
    from typer.testing import CliRunner

    from tutor.cli import app

    db = tmp_path / "p.db"
    r = quiz("ex2", stdin="3\n4\n5\n", db=db)  # z right, h wrong twice
    assert r.returncode == 1
    with sqlite3.connect(db) as connection:
        rows = connection.execute("SELECT quantity, answer, verdict FROM attempts").fetchall()
    assert rows == [("z", "3", "correct"), ("h", "5", "wrong")]
    result = CliRunner().invoke(app, ["progress", "--db", str(db)], env={"COLUMNS": "100"})
    assert result.exit_code == 0
    lines = {
        line.split()[1]: line.split()
        for line in result.output.splitlines()
        if line.strip().startswith("ex2")
    }
    assert lines["z"][2:4] == ["1", "100%"] and lines["h"][2:4] == ["1", "0%"]
