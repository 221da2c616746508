"""Tests for quiz mode (tutor.quiz, its views and the `bptutor quiz` command).

Expected values come from hand derivation (seed 000's worked ex2: z = 3, h = 3, ŷ = 6, L = 8,
gradients 8, 16, 8, 12, 4) and from an independent NumPy reference written here, never from
the engine itself.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from tutor import catalog, quiz_view
from tutor.errors import ParseError, ProblemError
from tutor.model.quiz import Grade
from tutor.quiz import Outcome, Session, read_number, tolerance
from tutor.variants import random_variant as variant

BPTUTOR = str(Path(sys.executable).with_name("bptutor"))


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


# -- questions -------------------------------------------------------------------------------


def test_ex2_asks_every_quantity_in_order(ex2):
    keys = [q.key for q in Session(ex2).questions]
    assert keys == ["z", "h", "yhat", "L", "dL/dw1", "dL/dw2", "dL/db1", "dL/dw3", "dL/db2",
                    "w1'", "w2'", "b1'", "w3'", "b2'"]  # fmt: skip


def test_ex1_asks_the_forward_formulas_and_the_three_gradients(ex1):
    keys = [q.key for q in Session(ex1).questions]
    assert keys == ["z", "yhat", "dL/dw1", "dL/dw2", "dL/db"]


# -- reading numbers -------------------------------------------------------------------------


@pytest.mark.parametrize("text, value", [
    ("8", 8.0), ("-0.0575", -0.0575), ("1/8", 0.125), ("1e-3", 0.001), ("−5", -5.0),
    ("12.5", 12.5), ("4*2*1*1", 8.0), (" 3 ", 3.0), ("2(3)", 6.0),
])  # fmt: skip
def test_numbers_in_the_usual_forms(text, value):
    assert read_number(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["x", "3 +", "1/0", "exp(1000)", "sqrt(-1)", "8 8 8 (", "",
                                  "2^^3"])  # fmt: skip
def test_unreadable_numbers_are_parse_errors(text):
    with pytest.raises(ParseError):
        read_number(text)


def test_tolerance_follows_the_typed_figures_within_a_floor_and_a_ceiling():
    assert tolerance("8", 8.0) == pytest.approx(0.08)  # 1 % ceiling beats half a unit (0.5)
    assert tolerance("0.0575", -0.0575) == pytest.approx(0.0000575)  # 0.1 % floor
    assert tolerance("0.06", 0.0575) == pytest.approx(0.000575)  # ceiling
    assert tolerance("12.50", 12.5) == pytest.approx(0.0125)  # floor 0.1 %
    assert tolerance("12.5", 12.5) == pytest.approx(0.05)  # half a unit of the last digit
    assert tolerance("1/8", 0.125) == pytest.approx(0.00125)  # not a decimal: 1 %
    assert tolerance("8", 8.0, problem_tol=0.05) == pytest.approx(0.4)  # per problem
    assert tolerance("0", 0.0) > 0


# -- grading numbers: ex2 by hand ---------------------------------------------------------------


def test_right_answers_of_ex2(ex2):
    s = Session(ex2)
    answers = {"z": "3", "h": "3", "yhat": "6", "L": "8", "dL/dw1": "8", "dL/dw2": "16",
               "dL/db1": "8", "dL/dw3": "12", "dL/db2": "4", "w1'": "0.92", "w2'": "0.84",
               "b1'": "-0.08", "w3'": "1.88", "b2'": "-0.04"}  # fmt: skip
    for key, text in answers.items():
        g = grade(s, key, text)
        assert (key, g.verdict, g.credit) == (key, "correct", 1.0)


def test_a_per_problem_tolerance(ex2):
    import dataclasses

    loose = Session(dataclasses.replace(ex2, tolerance=0.1))
    assert grade(loose, "L", "8.7").verdict == "correct"
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
    assert g.verdict == "correct" and g.warning is None
    g = grade(s, "a1_1", "0.29")
    assert g.verdict == "correct" and "rounded too early" in g.warning.en
    assert g.exact.startswith("0.28905")
    assert abs(exact - 0.2890505) < 1e-6


@pytest.mark.parametrize("key, text, mistake", [
    ("dL/dw1", "-8", "sign"),
    ("L", "16", "factor2-half"),  # the ½ of the squared error forgotten
    ("dL/db2", "8", "factor2-half"),  # 2(ŷ - y) instead of ŷ - y
    ("yhat", "12", "factor2"),  # doubled, but ŷ has no ½ to forget
])  # fmt: skip
def test_common_mistakes_are_named(ex2, key, text, mistake):
    g = grade(Session(ex2), key, text)
    assert (g.verdict, g.mistake) == ("wrong", mistake)
    assert g.credit == 0
    if key == "yhat":
        assert "½" not in g.feedback.en


def _relu_problem(ex2, **params):
    """ex2 with other parameters (exact rationals), for cases the seed does not cover."""
    import dataclasses

    import sympy as sp

    new = {k: sp.Rational(v) for k, v in {**ex2.params, **params}.items()}
    return dataclasses.replace(ex2, params=new, published=())


def test_activation_derivative_left_out_with_an_inactive_relu(ex2):
    # z = 1 + 2 - 4 = -1 < 0: h = 0, ŷ = b2 = 0, L = 2; dL/dw1 = 0 because ReLU'(z) = 0.
    s = Session(_relu_problem(ex2, b1=-4))
    assert question(s, "dL/dw1").value == 0
    # without the step factor: (ŷ - y)·w3·x1 = (0 - 2)·2·1 = -4
    g = grade(s, "dL/dw1", "-4")
    assert (g.verdict, g.mistake) == ("wrong", "activation")
    # forward: h asked, z's value -1 given: the activation was not applied
    g = grade(s, "h", "-1")
    assert (g.verdict, g.mistake) == ("wrong", "activation-forward")


def test_pre_activation_used_for_the_post_activation(ex2):
    # b1 = -4: z = -1, h = 0. Using z for h in ŷ = w3·h + b2 gives 2·(-1) = -2 (exact 0).
    s = Session(_relu_problem(ex2, b1=-4))
    g = grade(s, "yhat", "-2")
    assert (g.verdict, g.mistake) == ("wrong", "pre-for-post")
    # dL/dw3 = (ŷ - y)·h = (0 - 2)·0 = 0; with z for h: (-2)·(-1) = 2
    g = grade(s, "dL/dw3", "2")
    assert (g.verdict, g.mistake) == ("wrong", "pre-for-post")


def test_post_activation_used_for_the_pre_activation_with_sigmoid():
    s = Session(catalog.load("ex4"))
    v = {st.name: st.value for st in s.solution.forward}
    a, y = v["a2_1"], 1.0
    sig = 1 / (1 + np.exp(-a))
    # dC/db2_1 = 2(a - y)·a(1 - a); the mistake evaluates σ' at a: σ(a)(1 - σ(a))
    wrong = 2 * (a - y) * sig * (1 - sig)
    g = grade(s, "dC/db2_1", f"{wrong:.6f}")
    assert (g.verdict, g.mistake) == ("wrong", "post-for-pre")
    # the sigmoid's derivative left out: 2(a - y)
    g = grade(s, "dC/db2_1", f"{2 * (a - y):.6f}")
    assert (g.verdict, g.mistake) == ("wrong", "activation")


def test_error_carried_forward_gets_half_credit(ex2):
    s = Session(ex2)
    assert grade(s, "z", "4").verdict == "wrong"
    g = grade(s, "h", "4")  # ReLU applied correctly to their own z
    assert (g.verdict, g.credit) == ("carried", 0.5)
    assert "3" in g.exact
    g = grade(s, "yhat", "8")  # w3·4 + 0
    assert g.verdict == "carried"
    g = grade(s, "L", "18")  # ½(8 - 2)²
    assert g.verdict == "carried"
    g = grade(s, "dL/dw3", "24")  # (8 - 2)·4
    assert g.verdict == "carried"
    g = grade(s, "dL/dw3", "12")  # the exact answer is still right
    assert g.verdict == "correct"


def test_carried_forward_into_the_update(ex2):
    s = Session(ex2)
    assert grade(s, "dL/dw1", "10").verdict == "wrong"
    g = grade(s, "w1'", "0.9")  # 1 - 0.01·10
    assert g.verdict == "carried"


def test_after_a_correct_rounded_answer_later_steps_use_the_exact_value():
    s = Session(catalog.load("ex4"))
    assert grade(s, "z1_1", "-0.9").verdict == "correct"
    assert grade(s, "a1_1", "0.29").verdict == "correct"
    # nothing was carried: the next wrong answer is plainly wrong
    assert grade(s, "a1_2", "0.5").verdict == "wrong"


def test_invalid_answers_are_not_counted(ex2):
    s = Session(ex2)
    g = grade(s, "z", "3 +")
    assert g.verdict == "invalid" and not g.counted and g.credit == 0
    assert g.feedback.en.startswith("can't read that:") and "column" in g.feedback.en
    assert grade(s, "z", "q").verdict == "invalid"  # a name the problem does not have
    assert grade(s, "z", "x" * 600).verdict == "invalid"
    assert grade(s, "z", "3").verdict == "correct"


# -- hints -------------------------------------------------------------------------------------


def test_hints_reveal_one_chain_rule_factor_each(ex2):
    s = Session(ex2)
    q = question(s, "dL/dw1")
    shown = [s.hint(q) for _ in range(5)]
    assert [h[2] for h in shown[:4]] == [
        "∂L/∂ŷ = ŷ - y = 4", "∂ŷ/∂h = w3 = 2", "∂h/∂z = step(z) = 1", "∂z/∂w1 = x1 = 1"]
    assert [h[:2] for h in shown[:4]] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert shown[4] is None
    assert s.hint(question(s, "z"))[2] == "z = w1*x1 + w2*x2 + b1 = 1*1 + 1*2 + 0"
    assert "0.01 × 8" in s.hint(question(s, "w1'"))[2]


def test_symbolic_hints_show_the_factors(ex1):
    s = Session(ex1)
    q = question(s, "dL/dw1")
    assert [s.hint(q)[2] for _ in range(3)] == [
        "∂L/∂ŷ = (ŷ - y)/(ŷ·(1 - ŷ))", "∂ŷ/∂z = ŷ·(1 - ŷ)", "∂z/∂w1 = x1"]


# -- symbolic answers: ex1 -----------------------------------------------------------------------

EQUIVALENT = [
    "(yhat - y)*x1", "x1(ŷ-y)", "x1*(ŷ-y)", "(sigmoid(z) - y)*x1", "(σ(w1*x1+w2*x2+b) - y)·x1",
    "x1*yhat - x1*y", "-(y - yhat)*x1", "x1 × (ŷ − y)", "(1/(1+exp(-z)) - y)*x1",
    "x1 ŷ - x1 y", "((y - yhat)/(yhat*(yhat - 1)))*yhat*(1-yhat)*x1", "2x1(yhat-y)/2",
    "(exp(z)/(1+exp(z)) - y)*x1", "x1*(ŷ-y)*ŷ*(1-ŷ)/(ŷ*(1-ŷ))", "(σ(w1 x1 + w2 x2 + b) - y) x1",
    "x1*(yhat - y)^1",
]  # fmt: skip
NOT_EQUIVALENT = [
    "(y - yhat)*x1", "yhat*x1", "(yhat-y)*x2", "(yhat - y)*x1*yhat*(1-yhat)", "yhat - y",
    "x1", "(yhat-y)*x1^2", "2*(yhat-y)*x1", "(z - y)*x1", "(sigmoid(z)-y)*x1 + 1",
    "(yhat - y)/(yhat*(1-yhat))*x1", "-x1*yhat", "(sigmoid(w1*x1) - y)*x1", "0",
]  # fmt: skip


@pytest.mark.parametrize("text", EQUIVALENT)
def test_equivalent_forms_are_accepted(ex1, text):
    g = grade(Session(ex1), "dL/dw1", text)
    assert (g.verdict, g.credit) == ("correct", 1.0), g.feedback.en


@pytest.mark.parametrize("text", NOT_EQUIVALENT)
def test_other_forms_are_refused(ex1, text):
    g = grade(Session(ex1), "dL/dw1", text)
    assert g.verdict == "wrong", text


def test_symbolic_mistakes_are_named(ex1):
    s = Session(ex1)
    assert grade(s, "dL/dw1", "(y - yhat)*x1").mistake == "sign"
    assert grade(s, "dL/dw1", "2*(yhat-y)*x1").mistake == "factor2"


def test_symbolic_forward_answers(ex1):
    s = Session(ex1)
    assert grade(s, "z", "w1 x1 + w2 x2 + b").verdict == "correct"
    assert grade(s, "yhat", "σ(z)").verdict == "correct"
    assert grade(s, "yhat", "1/(1 + exp(-(w1*x1 + w2*x2 + b)))").verdict == "correct"
    assert grade(s, "yhat", "yhat").verdict == "invalid"  # not a name it may use
    assert grade(s, "z", "q*x1").verdict == "invalid"


@pytest.mark.parametrize("text", [
    "(x1+x2+y+b+w1+w2)^100", "((x1+x2)^100)^100 - x1", "9^9^9^9", "(" * 60 + "1" + ")" * 60,
    "1e999", "exp(exp(exp(x1)))", "x1" * 300, "sigmoid(" * 40 + "z" + ")" * 40,
])  # fmt: skip
def test_hostile_input_is_refused_or_graded_quickly(ex1, text):
    s = Session(ex1)
    start = time.perf_counter()
    g = grade(s, "dL/dw1", text)
    assert time.perf_counter() - start < 5  # a safety bound (no hang); the goal is in the bench
    assert g.verdict in ("invalid", "wrong")


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=80) | st.from_regex(r"[-+*/^() .0-9xyzwbhatσŷ1e]{0,60}", fullmatch=True))
def test_the_checker_always_returns_a_grade(text):
    for s, key in ((_SESSIONS["ex1"], "dL/dw1"), (_SESSIONS["ex2"], "dL/dw1")):
        start = time.perf_counter()
        g = grade(s, key, text)
        assert isinstance(g, Grade)
        assert g.verdict in ("correct", "carried", "wrong", "invalid")
        assert time.perf_counter() - start < 5


_SESSIONS = {ref: Session(catalog.load(ref)) for ref in ("ex1", "ex2")}


# -- random variants -------------------------------------------------------------------------


def numeric_problems():
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
    out.update({f"dL/d{k}": g for k, g in grads.items()})
    out.update({f"{k}'": v[k] - lr * g for k, g in grads.items()})
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
        assert g.verdict == "correct"


def test_every_numeric_problem_has_random_variants_with_finite_difference_gradients():
    from tutor import engine

    problems = numeric_problems()
    assert len(problems) >= 4
    for problem in problems:
        for seed in (0, 1):
            v = variant(problem, seed)
            s = Session(v, seed=seed)
            assert s.questions, problem.id
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


def test_a_symbolic_problem_has_no_random_variant(ex1):
    with pytest.raises(ProblemError):
        variant(ex1, 0)


# -- views -------------------------------------------------------------------------------------


def render(renderable) -> str:
    console = Console(file=io.StringIO(), width=100)
    console.print(renderable)
    return console.file.getvalue()


def test_score_table_lists_every_question_and_the_score():
    outcomes = [Outcome("z", "correct", 1.0, "3", "3"), Outcome("h", "carried", 0.5, "4", "3"),
                Outcome("dL/dw1", "wrong", 0.0, "[red]-8", "8"), Outcome("L", "unanswered")]
    text = render(quiz_view.score_table(outcomes, "en"))
    assert "∂L/∂w1" in text and "[red]-8" in text  # student text is escaped, not markup
    assert "carried forward" in text and "not answered" in text
    assert "Score: 1.5 / 4" in text
    assert "得分：1.5 / 4" in render(quiz_view.score_table(outcomes, "zh"))


# -- the command, end to end ---------------------------------------------------------------------


def quiz(*args: str, stdin: str = "", db: Path, env=None) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [BPTUTOR, "quiz", *args, "--db", str(db)], input=stdin, capture_output=True,
        text=True, timeout=120, env={**os.environ, "COLUMNS": "100", **(env or {})},
    )  # fmt: skip
    assert "Traceback" not in result.stderr, result.stderr
    return result


EX2_RIGHT = "3\n3\n6\n8\n8\n16\n8\n12\n4\n0.92\n0.84\n-0.08\n1.88\n-0.04\n"


def test_ex2_through_stdin_all_right_exits_0(tmp_path):
    r = quiz("ex2", stdin=EX2_RIGHT, db=tmp_path / "p.db")
    assert r.returncode == 0, r.stdout
    assert "Score: 14 / 14" in r.stdout
    assert r.stdout.count("✓ correct") == 14


def test_ex2_through_stdin_wrong_hint_invalid(tmp_path):
    stdin = "3\nhint\n?\n3\nx +\n6\n16\n-8\nquit\n"
    r = quiz("ex2", stdin=stdin, db=tmp_path / "p.db")
    assert r.returncode == 1
    out = r.stdout
    assert "hint 1/1: h = relu(z) = relu(3)" in out
    assert "no more hints" in out
    assert "can't read that:" in out and "column" in out
    assert "off by a factor of 2" in out
    assert "the sign is wrong" in out
    assert "Score: 3 / 14" in out
    assert "not answered" in out


def test_ex1_through_stdin(tmp_path):
    stdin = "w1 x1 + w2 x2 + b\nσ(z)\nx1(ŷ-y)\nhint\n(y - yhat)*x2\nx1(ŷ-y\nyhat - y\n"
    r = quiz("ex1", stdin=stdin, db=tmp_path / "p.db")
    assert r.returncode == 1
    out = r.stdout
    assert out.count("✓ correct") == 4
    assert "hint 1/3: ∂L/∂ŷ" in out
    assert "the sign is wrong" in out
    assert "can't read that: missing ')'" in out
    assert "Score: 4 / 5" in out


def test_answers_file_and_exit_codes(tmp_path):
    answers = tmp_path / "answers.txt"
    answers.write_text(EX2_RIGHT, encoding="utf-8")
    r = quiz("ex2", "--answers", str(answers), db=tmp_path / "p.db")
    assert r.returncode == 0
    assert "z = ? 3" in r.stdout  # the transcript shows what was read
    answers.write_text(EX2_RIGHT.replace("16\n", "15\n", 1), encoding="utf-8")
    assert quiz("ex2", "--answers", str(answers), db=tmp_path / "p.db").returncode == 1
    r = quiz("ex2", "--answers", "-", stdin="3\n", db=tmp_path / "p.db")
    assert r.returncode == 1 and "Score: 1 / 14" in r.stdout
    r = quiz("ex2", "--answers", str(tmp_path / "missing.txt"), db=tmp_path / "p.db")
    assert r.returncode == 2 and r.stderr.count("\n") == 1


def test_random_variant_is_reproducible_from_the_command_line(tmp_path):
    a = quiz("ex2", "--random", "--seed", "4", stdin="", db=tmp_path / "p.db")
    b = quiz("ex2", "--seed", "4", stdin="", db=tmp_path / "p.db")
    assert "seed 4" in a.stdout
    given = [line for line in a.stdout.splitlines() if "parameter" in line or "input" in line]
    assert given and given == [line for line in b.stdout.splitlines()
                               if "parameter" in line or "input" in line]  # fmt: skip
    r = quiz("ex1", "--random", db=tmp_path / "p.db")
    assert r.returncode == 2 and "symbolic" in r.stderr


def test_ex2_through_a_pseudo_terminal(tmp_path):
    pexpect = pytest.importorskip("pexpect")
    child = pexpect.spawn(BPTUTOR, ["quiz", "ex2", "--db", str(tmp_path / "p.db")],
                          encoding="utf-8", timeout=60, dimensions=(40, 100),
                          env={**os.environ, "TERM": "dumb"})  # fmt: skip
    child.expect_exact("z = ? ")
    child.sendline("3")
    child.expect_exact("correct: 3")
    child.expect_exact("h = ? ")
    child.sendline("?")
    child.expect_exact("relu(3)")
    child.expect_exact("h = ? ")
    child.sendline("3 +")
    child.expect_exact("can't read that")
    child.expect_exact("h = ? ")
    child.sendline("4")
    child.expect_exact("the answer is 3")
    child.expect_exact("ŷ = ? ")
    child.sendline("quit")
    child.expect_exact("Score: 1 / 14")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1


def test_every_problem_can_be_quizzed_hints_and_shown_answers_round_trip():
    # Not a check of the values (the oracle tests above do that): the quiz machinery runs on
    # every catalogue problem and variant, and the exact answer it shows is accepted back.
    for path in catalog.builtin_files():
        problem = catalog.load(str(path))
        for p in [problem] if problem.symbolic else [problem, variant(problem, 5)]:
            s = Session(p)
            assert s.questions, p.id
            for q in s.questions:
                while s.hint(q):
                    pass
                for text in ("1", "-2.5", "x1*y", "oops("):
                    assert s.grade(q, text).verdict in ("correct", "carried", "wrong", "invalid",
                                                        "imprecise")  # fmt: skip
                assert s.grade(q, s.exact(q)).verdict == "correct", (p.id, q.key)


@pytest.mark.parametrize("typed, zh", [
    ("x +", "无法读取：不认识的名称 'x'（第 1 列）"),
    ("foo(3)", "无法读取：不认识的函数 'foo'（第 1 列）"),
    ("(", "无法读取：表达式没有写完"),
])  # fmt: skip
def test_unreadable_answers_are_explained_in_chinese(ex2, typed, zh):
    g = grade(Session(ex2), "z", typed)
    assert g.verdict == "invalid" and not g.counted
    assert g.feedback.zh.startswith(zh)
    assert g.feedback.en.startswith("can't read that:")


# -- answer checking against an outside answer-test suite (issue 8) ------------------------------




@pytest.fixture(scope="module")
def forms():
    return catalog.load(str(Path(__file__).parent / "fixtures" / "quiz_forms.yaml"))


@pytest.mark.parametrize("key, text, verdict", [
    # equal wherever both sides are real: most points of [-1.5, 1.5]² lie outside log's domain
    ("r", "log(x1) + log(x2)", "correct"),
    ("r", "ln(x2) + ln(x1)", "correct"),
    ("r", "log(x1) - log(x2)", "wrong"),
    ("r", "2*log(x1)", "wrong"),
    # different on part of the real domain: |x1| ≠ x1 for x1 < 0
    ("s", "(x1^2)^(1/2)", "wrong"),
    ("s", "sqrt(x1^2)", "wrong"),
    # (a^b)^c ≠ a^(bc) at a = -2, b = 2, c = 1/2: 2 against -2
    ("p", "(a^b)^c", "wrong"),
    ("p", "(a^c)^b", "wrong"),
    ("p", "a^(c*b)", "correct"),
])  # fmt: skip
def test_formulas_are_compared_where_both_sides_are_real(forms, key, text, verdict):
    g = grade(Session(forms), key, text)
    assert g.verdict == verdict, g.feedback.en


def test_a_formula_real_almost_nowhere_is_not_called_wrong_from_too_few_points(forms):
    # sqrt(-1 - a²) has no real value anywhere: nothing to compare, so not "not equivalent"
    g = grade(Session(forms), "p", "sqrt(-1 - a^2)")
    assert g.verdict == "invalid" and not g.counted
    assert "too few of the points" in g.feedback.en and "实数值" in g.feedback.zh


def test_rational_functions_are_compared_exactly(ex1):
    from tutor.expr import parse
    from tutor.quiz import equivalent

    # 10⁹(x² + 1)¹³ and the same plus 1 differ by 1 part in 10⁹ or less at every point
    big = parse("10^9*(x^2+1)^13")
    assert equivalent(big, big + 1) is False
    assert equivalent(parse("(x+1)^13"), parse(
        "x^13 + 13x^12 + 78x^11 + 286x^10 + 715x^9 + 1287x^8 + 1716x^7 + 1716x^6 + 1287x^5 "
        "+ 715x^4 + 286x^3 + 78x^2 + 13x + 1", implicit_multiplication=True)) is True
    assert equivalent(parse("1/(x-1) - 1/(x+1)"), parse("2/(x^2 - 1)")) is True
    assert equivalent(parse("sqrt(2)*x"), parse("x")) is False  # not a rational coefficient
    assert equivalent(parse("sqrt(8)*x"), parse("2*sqrt(2)*x")) is True
    # in a quiz: z = w1·x1 + w2·x2 + b, and an answer off by 10⁻¹² is not z
    s = Session(ex1)
    assert grade(s, "z", "w1 x1 + w2 x2 + b + 10^-12").verdict == "wrong"
    assert grade(s, "z", "(b + w1 x1)(1 + x2) - x2(b + w1 x1) + x2 w2").verdict == "correct"


def test_a_large_polynomial_is_still_checked_quickly(ex1):
    s = Session(ex1)
    for text in ("(x1*x2 + w1*w2 + b*y)^12", "(x1+x2+y+b+w1+w2)^6 + 1",
                 "(1+x1)^40*(1+x2)^10 + 1/((1+w1)^40*(1+w2)^10)"):  # fmt: skip
        start = time.perf_counter()
        assert grade(s, "z", text).verdict == "wrong"
        assert time.perf_counter() - start < 2  # a safety bound; the goal is in the bench


def _numeric(ex2, value, tol=None):
    """An ex2 session and a stand-alone question whose exact answer is `value`."""
    import dataclasses

    from tutor.model.quiz import Question

    s = Session(dataclasses.replace(ex2, tolerance=tol))
    return s, Question("b2'", "update", "b2", value)


@pytest.mark.parametrize("value, tol, text, verdict", [
    (1e-33, 0.05, "1.06e-33", "wrong"),  # 6 % off: no absolute floor for a nonzero answer
    (1e-33, 0.05, "1.04e-33", "correct"),
    (0.0, 0.05, "1e-12", "correct"),  # the floor is for an exact 0 only
    (1.0, 0.05, "1.05", "correct"),  # exactly on the boundary: compared in fractions
    (1.0, 0.05, "0.95", "correct"),
    (1.0, 0.05, "1.0500001", "wrong"),
    (1174.34, None, "1170", "correct"),  # 3 significant figures, like 1.17e3
    (1174.34, None, "1.17e3", "correct"),
    (999, None, "1000", "correct"),  # short, but within 1 %
])  # fmt: skip
def test_tolerance_in_exact_fractions(ex2, value, tol, text, verdict):
    s, q = _numeric(ex2, value, tol)
    assert s.grade(q, text).verdict == verdict


def test_trailing_zeros_of_a_whole_number_are_not_significant():
    from tutor.quiz import figures

    assert figures("1170") == (5, 3)
    assert figures("1.17e3") == (5, 3)
    assert figures("1170.") == (Fraction(1, 2), 4)
    assert figures("0.0409") == (Fraction(1, 20000), 3)
    assert figures("1/8") is None


@pytest.mark.parametrize("value, tol, text, given, needed", [
    (-0.0409, None, "-0.04", 1, 2),  # 2 % off; -0.041 is within 1 %
    (-0.0409, None, "−0.04", 1, 2),
    (1174.34, None, "1200", 2, 3),
    (0.123456, 0.0001, "0.1235", 4, 5),  # a per-problem tolerance of 0.01 %
])  # fmt: skip
def test_too_few_figures_asks_for_more(ex2, value, tol, text, given, needed):
    s, q = _numeric(ex2, value, tol)
    g = s.grade(q, text)
    assert g.verdict == "imprecise" and not g.counted and g.credit == 0
    figure = "figure" if given == 1 else "figures"
    assert g.feedback.en == f"right to {given} significant {figure}; give at least {needed}"
    assert f"至少给出 {needed} 位" in g.feedback.zh


def test_a_wrongly_rounded_short_answer_is_wrong(ex2):
    s, q = _numeric(ex2, -0.0409, None)
    assert s.grade(q, "-0.05").verdict == "wrong"
    assert s.grade(q, "-0.041").verdict == "correct"


def test_too_few_figures_is_not_an_attempt_the_question_is_asked_again(ex2):
    from tutor import quiz_loop

    s, q = _numeric(ex2, -0.0409, None)
    s.questions = [q]
    lines = iter(["-0.04", "-0.0409"])
    shown, recorded = [], []

    class Store:
        def record(self, *args):
            recorded.append(args)

    outcomes = quiz_loop.run_problem(s, lambda prompt: next(lines, None), shown.append,
                                     lambda line: None, Store(), "en")  # fmt: skip
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
    result = CliRunner().invoke(app, ["quiz", "ex2", "--answers", str(answers),
                                      "--db", str(tmp_path / "p.db")], env={"COLUMNS": "100"})
    assert result.exit_code == 1
    assert "y" * 40 + "…" in result.output and "y" * 41 not in result.output
    assert len(result.output) < 10_000


@pytest.mark.parametrize("key, text, verdict", [
    ("dL/dw1", "w3*x1*(yhat - y)", "correct"),  # (6 - 2)·2·1 = 8
    ("dL/dw1", "w3*h*x1*(yhat - y)", "wrong"),  # 24: graded as a number
    ("dL/dw3", "(ŷ - y) h", "correct"),  # 4·3 = 12
    ("yhat", "w3*h + b2", "correct"),
    ("L", "1/2 (yhat - y)^2", "correct"),
    ("w1'", "w1 - 0.01*8", "correct"),
    ("z", "w1*x1 + w2*x2 + b1", "correct"),
    ("z", "z", "invalid"),  # the quantity asked is not given
    ("h", "yhat", "invalid"),  # nor is a later node
])  # fmt: skip
def test_a_formula_in_the_problems_names_is_graded_as_a_number(ex2, key, text, verdict):
    g = grade(Session(ex2), key, text)
    assert g.verdict == verdict, g.feedback.en


def test_a_formula_answer_is_evaluated_exactly(ex2):
    s = Session(ex2)
    q = question(s, "dL/dw1")
    assert s.read_value(q, "w3*x1*(yhat - y)") == 8  # an exact fraction, not 8.000000001
    assert s.read_value(q, "b1 + 1/3") == Fraction(1, 3)
    assert isinstance(s.read_value(q, "sigmoid(w1)"), Fraction)  # a float, exactly
