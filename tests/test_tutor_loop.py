"""Tests for the tutor loop of quiz_loop in process: retries and credit, scaffolding into
chain-rule factors (error carried forward, kept factors), reveal with the chain, guided mode,
the report and resuming an interrupted quiz.

Expected values are derived by hand from the seeds' worked solutions: ex2 (z = 3, h = 3,
ŷ = 6, L = 8; ∂L/∂ŷ = ŷ - y = 4, ∂ŷ/∂h = w3 = 2, ∂h/∂z = ReLU'(3) = 1, ∂z/∂w1 = x1 = 1,
∂z/∂w2 = x2 = 2), ex4's output unit (σ'(z²) = a²(1 - a²)) and ex6 (softmax, the delta form).
"""

from __future__ import annotations

import io
import json
import re
import sqlite3
import sys

import pytest
from rich.console import Console

from tutor.problems import catalog
from tutor.quiz import session as quiz_loop
from tutor.quiz.session import Session, credit


class Store:
    def __init__(self):
        self.rows = []

    def record(self, *args):
        self.rows.append(args)

    def record_outcome(self, problem, seed, o):
        """What the progress database keeps of a finished question (progress.Store)."""
        self.rows.append((problem, o.key, seed, o.answer, o.verdict))


def run(session: Session, lines: list[str], lang: str = "en"):
    """The loop fed `lines`; (outcomes, printed text, recorded rows)."""
    console = Console(file=io.StringIO(), width=200, color_system=None)
    feed = iter(lines)
    store = Store()
    outcomes = quiz_loop.run_problem(
        session, lambda prompt: next(feed, None), console.print, lambda line: None, store, lang
    )
    return outcomes, console.file.getvalue(), store.rows


def only(problem: str, *keys: str, **kw) -> Session:
    """A session of `problem` asking only `keys` (in that order)."""
    s = Session(catalog.load(problem), **kw)
    by_key = {q.key: q for q in s.questions}
    s.questions = [by_key[k] for k in keys]
    return s


# -- retries and credit ------------------------------------------------------------------------


def test_credit_halves_per_extra_try_and_a_hint_costs_a_quarter():
    assert credit(1.0, 1, 0) == 1.0
    assert credit(1.0, 2, 0) == 0.5
    assert credit(1.0, 3, 0) == 0.25
    assert credit(1.0, 1, 1) == 0.75
    assert credit(0.5, 1, 0) == 0.5  # carried forward
    assert credit(1.0, 2, 3) == 0.0  # never below 0


def test_a_wrong_answer_gets_another_try_an_unreadable_one_is_not_a_try():
    outcomes, text, rows = run(only("ex2", "z"), ["3 +", "4", "3"])
    (o,) = outcomes
    assert (o.verdict, o.tries, o.answers, o.credit) == ("correct", 2, ("4", "3"), 0.5)
    assert "try again (1 more try)" in text and "the answer is" not in text
    assert rows == [("ex2", "z", None, "3", "correct")]


def test_tries_run_out_then_the_answer_and_its_row():
    outcomes, text, _ = run(only("ex2", "z", tries=3), ["4", "5", "6"])
    assert (outcomes[0].verdict, outcomes[0].tries) == ("wrong", 3)
    assert "try again (2 more tries)" in text
    assert "z = w1·x1 + w2·x2 + b1 = 1×1 + 1×2 + 0 = 3" in text


# -- scaffolding ---------------------------------------------------------------------------------


def test_a_gradient_still_wrong_is_broken_into_its_factors_then_the_product():
    # ∂L/∂ŷ answered right first: kept, not asked again; ∂ŷ/∂h answered 3 (wrong twice), so the
    # product on the student's own factors is 4·3·1·1 = 12: carried forward, half credit
    s = only("ex2", "dL/dyhat", "dL/dw1")
    lines = ["4", "7", "9", "3", "3", "1", "1", "12"]
    outcomes, text, _ = run(s, lines)
    got = [(o.key, o.verdict, o.scaffold_of, o.step) for o in outcomes]
    assert got == [
        ("dL/dyhat", "correct", None, "delta"),
        ("dL/dw1", "wrong", None, "gradient"),
        ("dyhat/dh", "wrong", "dL/dw1", "factor"),
        ("dh/dz", "correct", "dL/dw1", "factor"),
        ("dz/dw1", "correct", "dL/dw1", "factor"),
        ("dL/dw1", "carried", "dL/dw1", "gradient"),
    ]
    assert "∂L/∂ŷ = 4: you found it before" in text
    assert "Let's take it factor by factor: ∂L/∂w1 = ∂L/∂ŷ · ∂ŷ/∂h · ∂h/∂z · ∂z/∂w1" in text
    # the first wrong answers do not give the answer away before the factors are asked
    assert "8" not in text[text.index("[2/2]") : text.index("factor by factor")]
    assert "the exact value is 8" in text


def test_right_factors_are_kept_for_later_gradients_that_share_them():
    s = only("ex2", "dL/dw1", "dL/dw2")
    lines = [
        "7",
        "9",
        "4",
        "2",
        "1",
        "1",
        "8",  # ∂L/∂w1 scaffolded, every factor right
        "5",
        "6",
        "2",
        "16",
    ]  # ∂L/∂w2: only ∂z/∂w2 = x2 = 2 is new
    outcomes, text, _ = run(s, lines)
    second = [o.key for o in outcomes if o.scaffold_of == "dL/dw2"]
    assert second == ["dz/dw2", "dL/dw2"]
    assert "∂ŷ/∂h = 2: you found it before" in text and "∂h/∂z = 1: you found it before" in text
    assert outcomes[-1].verdict == "correct"


def test_the_delta_form_asks_the_upstream_delta_and_the_local_factor():
    # ex6's hidden layer: ∂L/∂W1_1_1 = ∂L/∂z1_1 · ∂z1_1/∂W1_1_1 (many paths: the delta form)
    s = only("ex6", "dL/dW1_1_1")
    outcomes, _, _ = run(s, ["1", "2"])
    assert [o.key for o in outcomes] == ["dL/dW1_1_1", "dL/dz1_1", "dz1_1/dW1_1_1", "dL/dW1_1_1"]
    assert [o.verdict for o in outcomes[1:]] == ["unanswered"] * 3


def test_a_gradient_carries_forward_the_students_own_delta():
    # ∂L/∂ŷ answered 5 (twice): ∂L/∂w3 = 5·h = 15 on the student's own delta
    s = only("ex2", "dL/dyhat", "dL/dw3")
    outcomes, _, _ = run(s, ["5", "5", "15"])
    assert [(o.key, o.verdict, o.credit) for o in outcomes] == [
        ("dL/dyhat", "wrong", 0.0),
        ("dL/dw3", "carried", 0.5),
    ]


def test_the_chain_stopped_one_factor_early_is_named():
    # ex4: ∂C/∂a² = 2(a² - y) typed for ∂C/∂z²: σ'(z²) = a²(1 - a²) is missing
    s = only("ex4", "dC/dz2_1")
    a2 = s.values["a2_1"]
    outcomes, text, _ = run(s, [repr(2 * (a2 - 1))])
    assert "that is ∂C/∂a2_1: continue through ∂a2_1/∂z2_1 = a2_1·(1 - a2_1) = 0.242097" in text
    assert outcomes[0].verdict == "unanswered"


def test_symbolic_carried_forward_in_terms_of_the_students_own_formula():
    # ex1: a wrong ∂L/∂ŷ = (ŷ - y)/ŷ, then ∂L/∂z = that · ŷ(1 - ŷ) = (ŷ - y)(1 - ŷ)
    s = only("ex1", "dL/dyhat", "dL/dz")
    outcomes, text, _ = run(s, ["(yhat - y)/yhat", "(yhat - y)/yhat", "(yhat - y)*(1 - yhat)"])
    assert [o.verdict for o in outcomes] == ["wrong", "carried"]
    assert "your own earlier formula" in text


# -- reveal, hints, guided -------------------------------------------------------------------------


def test_reveal_explains_with_the_chain_and_its_numbers():
    _, text, rows = run(only("ex2", "dL/dw1", "w1'"), ["reveal", "reveal"])
    assert "∂L/∂w1 = ∂L/∂ŷ · ∂ŷ/∂h · ∂h/∂z · ∂z/∂w1" in text
    assert "= (ŷ - y) · w3 · step(z) · x1" in text
    assert "= 4 × 2 × 1 × 1 = 8" in text
    assert "w1' = w1 − η·∂L/∂w1" in text and "w1' = 1 − 0.01 × 8 = 0.92" in text
    assert [r[-1] for r in rows] == ["revealed", "revealed"]


def test_hints_cost_credit_and_are_counted():
    outcomes, text, _ = run(only("ex2", "dL/dw1"), ["?", "?", "8"])
    assert (outcomes[0].hints, outcomes[0].credit) == (2, 0.5)
    assert "hint 2/3: ∂L/∂ŷ = ŷ - y; ∂ŷ/∂h = w3" in text


def test_guided_asks_each_step_then_shows_its_row_enter_just_shows_it():
    s = Session(catalog.load("ex2"), guided=True)
    outcomes, text, rows = run(s, ["3", "", "6"])
    assert [(o.key, o.verdict) for o in outcomes[:3]] == [
        ("z", "correct"),
        ("h", "skipped"),
        ("yhat", "correct"),
    ]
    assert "h = relu(z) = relu(3) = 3" in text and "shown, not counted" in text
    assert [r[1] for r in rows] == ["z", "yhat"]  # Enter alone is not recorded
    keys = [q.key for q in s.questions]
    assert keys.index("dyhat/dh") < keys.index("dL/dh")


def test_guided_in_chinese():
    _, text, _ = run(Session(catalog.load("ex2"), guided=True), [""], lang="zh")
    assert "引导模式" in text and "只显示，不计分" in text


# -- the command: --report, --answers, --resume ------------------------------------------------


@pytest.fixture
def cli(monkeypatch, capsys):
    from tutor.cli import main

    def call(*args: str, stdin: str = ""):
        monkeypatch.setattr(sys, "argv", ["bptutor", "quiz", *args])
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        monkeypatch.setenv("COLUMNS", "100")
        with pytest.raises(SystemExit) as info:
            main()
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err, captured.err
        return info.value.code, captured.out, captured.err

    return call


def test_report_json_in_the_issues_shape(cli, tmp_path):
    answers = tmp_path / "a.txt"
    # z right; h wrong then right; ŷ revealed; then the lines run out
    answers.write_text("3\n4\n3\nreveal\n", encoding="utf-8")
    out = tmp_path / "r.json"
    code, _, _ = cli(
        "ex2", "--answers", str(answers), "--report", str(out), "--db", str(tmp_path / "p.db")
    )
    assert code == 1
    r = json.loads(out.read_text(encoding="utf-8"))
    assert set(r) == {"problem", "seed", "score", "questions"}
    assert (r["problem"], r["seed"]) == ("ex2", None)
    assert r["score"] == pytest.approx((1 + 0.5) / 18)
    q = r["questions"]
    assert len(q) == 18
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
    assert [(x["quantity"], x["verdict"], x["answers"], x["credit"]) for x in q[:3]] == [
        ("z", "right", ["3"], 1.0),
        ("h", "right", ["4", "3"], 0.5),
        ("yhat", "revealed", ["reveal"], 0.0),
    ]
    assert q[3] == {
        "problem": "ex2",
        "quantity": "L",
        "step": "loss",
        "expected": 8.0,
        "answers": [],
        "verdict": "unanswered",
        "credit": 0.0,
        "skills": [],
        "scaffold_of": None,
        "mistakes": [],
        "mistake": None,
    }
    assert q[1]["mistakes"] == [None, None] and q[2]["mistakes"] == [None]
    assert q[-1]["quantity"] == "L'" and q[-1]["expected"] == pytest.approx(3.63852288)


def test_report_of_a_symbolic_problem_writes_formulas(cli, tmp_path):
    out = tmp_path / "r.json"
    code, _, _ = cli(
        "ex1",
        "--answers",
        "-",
        "--report",
        str(out),
        "--db",
        str(tmp_path / "p.db"),
        stdin="w1 x1 + w2 x2 + b\n",
    )
    q = json.loads(out.read_text(encoding="utf-8"))["questions"]
    assert q[0]["verdict"] == "right" and q[-1]["expected"] == "ŷ - y"


def test_an_interrupted_quiz_resumes_with_its_answers_kept(cli, tmp_path):
    db = tmp_path / "p.db"
    code, _, _ = cli("ex2", "--seed", "3", "--db", str(db), stdin="")  # nothing typed
    state = tmp_path / "p.quiz-ex2.json"  # beside the database, named after it
    code, out, _ = cli("ex2", "--seed", "3", "--db", str(db), stdin="4\n")  # 1 line, then EOF
    assert json.loads(state.read_text(encoding="utf-8"))["lines"] == ["4"]
    assert json.loads(state.read_text(encoding="utf-8"))["seed"] == 3
    code, out, _ = cli("ex2", "--resume", "--db", str(db), stdin="5\n")
    assert "resumed: 1 answers kept" in out and "seed 3" in out
    assert "try again" in out  # the feedback on the kept answer is shown again
    # interrupted again: both lines are kept for the next resume
    assert json.loads(state.read_text(encoding="utf-8"))["lines"] == ["4", "5"]
    code, out, _ = cli("ex2", "--resume", "--db", str(db), stdin="quit\n")
    assert "resumed: 2 answers kept" in out
    with sqlite3.connect(db) as connection:
        count = connection.execute("SELECT COUNT(*) FROM attempts").fetchone()[0]
    assert count == 1  # z (two tries) recorded once, not again on resuming
    code, _, err = cli("ex3", "--resume", "--db", str(db))
    assert code == 2 and "no interrupted quiz of ex3" in err
    # another database in the same folder has its own interrupted quizzes
    code, _, err = cli("ex2", "--resume", "--db", str(tmp_path / "other.db"))
    assert code == 2 and "no interrupted quiz of ex2" in err


# -- formulas get the numeric problems' diagnoses ------------------------------------------------


@pytest.mark.parametrize(
    "key, typed, mistake",
    [
        ("dL/dw1", "(z - y)*x1", "pre-for-post"),  # z where ŷ = σ(z) was needed
        ("yhat", "z", "activation-forward"),  # the pre-activation for ŷ = σ(z)
        ("dL/dz", "(yhat - y)/(yhat*(1 - yhat))", "stopped"),  # ∂L/∂ŷ for ∂L/∂z
    ],
)
def test_symbolic_answers_get_the_usual_diagnoses(key, typed, mistake):
    s = Session(catalog.load("ex1"))
    g = s.grade(next(q for q in s.questions if q.key == key), typed)
    assert (g.verdict, g.mistake) == ("wrong", mistake), g.feedback.en


def test_a_symbolic_gradient_is_scaffolded_into_formula_factors():
    s = only("ex1", "dL/dw1")
    outcomes, text, _ = run(
        s, ["x1", "x1", "(yhat - y)/(yhat*(1 - yhat))", "yhat*(1 - yhat)", "x2", "x1*(yhat - y)"]
    )
    assert [(o.key, o.verdict) for o in outcomes] == [
        ("dL/dw1", "wrong"),
        ("dL/dyhat", "correct"),
        ("dyhat/dz", "correct"),
        ("dz/dw1", "wrong"),
        ("dL/dw1", "unanswered"),
    ]
    assert "x1·(ŷ - y)" not in text.split("factor by factor")[0]


def test_the_loss_after_the_update_carries_forward_the_students_own_update():
    # w3' answered 1.8 (twice; it is 1.88): with the other parameters updated, z' = 2.52,
    # ŷ' = 1.8·2.52 - 0.04 = 4.496 and L' = ½(4.496 - 2)² = 3.115008
    s = only("ex2", "w3'", "L'")
    outcomes, _, _ = run(s, ["1.8", "1.8", "3.115008"])
    assert [(o.key, o.verdict, o.credit) for o in outcomes] == [
        ("w3'", "wrong", 0.0),
        ("L'", "carried", 0.5),
    ]


# -- leaving a quiz keeps the answers not given -------------------------------------------------

# ex2 (seed 000) by hand: ∂L/∂w3 = 4·3 = 12, ∂L/∂w2 = 4·2·1·2 = 16; the SGD step (η = 0.01)
# w3' = 2 − 0.12, b2' = −0.04, w1' = 1 − 0.08, w2' = 1 − 0.16, b1' = −0.08; then z' = 2.52,
# ŷ' = 1.88·2.52 − 0.04 = 4.6976 and L' = ½·2.6976² = 3.63852288.
EX2_UNANSWERED = ["12", "16", "1.88", "-0.04", "0.92", "0.84", "-0.08", "3.63852288"]


def _numbers(text: str) -> set[str]:
    return set(re.findall(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])", text))


def _ex18_unanswered() -> list[str]:
    """ex18's values after z1 by hand (tests/shared.py's NumPy), as the quiz prints an entry
    (4 significant figures; δ(a1) is asked only in steps); those with 3 or more significant digits, which no given value
    has by chance."""
    import numpy as np

    from tests.shared import softmax_net_by_hand

    h = softmax_net_by_hand()
    later = ["a1", "z2", "p", "L", "d2", "d1", "dW2", "dW1", "W2new", "W1_new"]
    shown = {f"{v:.4g}" for name in later for v in np.ravel(h[name])}
    return sorted(s for s in shown if len(s.lstrip("-0.").replace(".", "")) >= 3)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_quitting_shows_the_verdicts_and_no_answer_not_given(cli, tmp_path, lang):
    db = str(tmp_path / "p.db")
    code, out, _ = cli("ex2", "--db", db, "--lang", lang, stdin="3\n3\n6\nquit\n")
    assert code == 1
    assert not _numbers(out) & set(EX2_UNANSWERED), _numbers(out) & set(EX2_UNANSWERED)
    assert "w1'" not in out and "L'" not in out  # no row of a question not answered
    if lang == "en":
        assert "15 questions not answered: their answers stay hidden" in out
        assert "continue where you stopped: bptutor quiz ex2 --resume --db" in " ".join(out.split())
    else:
        assert "15 题未作答：其答案不显示" in out and "从中断处继续" in out
    # asked for, they are all there
    code, out, _ = cli("ex2", "--db", db, "--reveal", "--answers", "-", stdin="3\n3\n6\nquit\n")
    assert set(EX2_UNANSWERED) <= _numbers(out)


def test_quitting_a_tensor_quiz_keeps_its_answers_too(cli, tmp_path):
    db = str(tmp_path / "p.db")
    hidden = _ex18_unanswered()
    assert len(hidden) > 40
    z1 = "[-0.15, -0.15, 0.8, -0.2]\n"
    code, out, _ = cli("ex18", "--db", db, stdin=z1 + "quit\n")
    assert "✓" in out and code == 1
    assert not _numbers(out) & set(hidden), _numbers(out) & set(hidden)
    assert "14 questions not answered" in out
    code, out, _ = cli("ex18", "--db", db, "--answers", "-", "--reveal", stdin=z1 + "quit\n")
    assert set(hidden) <= _numbers(out), set(hidden) - _numbers(out)
    # the lines of an answers file run out: nothing to resume, --reveal is said
    code, out, _ = cli("ex18", "--db", db, "--answers", "-", stdin=z1)
    assert not _numbers(out) & set(hidden)
    assert "run it again with --reveal to see the answers" in out and "--resume" not in out


def test_ctrl_c_keeps_the_answers_not_given(cli, tmp_path, monkeypatch):
    typed = iter(["3", "3", "6"])

    def keyboard(prompt: str = "") -> str:
        line = next(typed, None)
        if line is None:
            raise KeyboardInterrupt
        return line

    monkeypatch.setattr("builtins.input", keyboard)
    code, out, err = cli("ex2", "--db", str(tmp_path / "p.db"))
    assert code == 130 and "interrupted" in err
    assert not _numbers(out) & set(EX2_UNANSWERED)
    assert "bptutor quiz ex2 --resume" in " ".join(out.split())


def test_a_resumed_quiz_shows_the_question_asked_not_the_last_verdict(cli, tmp_path):
    db = str(tmp_path / "p.db")
    cli("ex2", "--db", db, stdin="3\n3\n6\n8\n")  # z, h, ŷ, L right; then the input ends
    code, out, _ = cli("ex2", "--resume", "--db", db, stdin="quit\n")
    after = out.split("resumed: 4 answers kept", 1)[1].lstrip()
    assert after.startswith("[5/18] delta  ∂L/∂ŷ"), after[:80]
    assert "✓ correct: 8" not in out
