"""Formula answers to tensor questions (tutor/quiz/matrix_formulas.py): read by the tensor
parser, evaluated at the problem's values, graded by value against the hand derivation of
tests/shared.softmax_net_by_hand (NumPy written there, never the engine)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.cli_runner import invoke
from tests.shared import softmax_net_by_hand
from tutor.problems.loader import load_problem
from tutor.quiz import matrix_formulas
from tutor.quiz.matrix import Session

SOFTMAX = Path(__file__).parent / "fixtures" / "tensor" / "softmax_net.yaml"


@pytest.fixture(scope="module")
def guided():
    return Session(load_problem(SOFTMAX), guided=True)


def question(session, key):
    return next(q for q in session.questions if q.key == key)


@pytest.mark.parametrize(
    "key, typed, hand",
    [
        ("dL/da1", "W2ᵀ δ2", "da1"),
        ("dL/da1", "transpose(W2) @ d2", "da1"),
        ("dL/da1", "W2ᵀ δ(z2)", "da1"),
        ("dL/dW2", "(p − y) a1ᵀ", "dW2"),
        ("dL/dW2", "(p - y) @ transpose(a1)", "dW2"),
        ("dL/dW2", "δ2 a1ᵀ", "dW2"),
        ("dL/dz1", "W2ᵀ δ2 ⊙ a1 ⊙ (1 − a1)", "d1"),
        ("dL/dz1", "(transpose(W2) @ d2) * a1 * (1 - a1)", "d1"),
        ("dL/dW1", "δ1 xᵀ", "dW1"),
        ("z1", "W1 x + b1", "z1"),
        ("W2'", "W2 - 0.5 ∂L/∂W2", "W2new"),
    ],
)
def test_formulas_in_the_problems_names_are_graded_by_value(guided, key, typed, hand):
    q = question(guided, key)
    h = softmax_net_by_hand()
    assert np.allclose(q.expected, h[hand])  # the question asks what the hand derivation says
    value = matrix_formulas.value(guided, q, typed)
    assert np.allclose(value, h[hand], rtol=1e-12, atol=1e-15)
    assert guided.grade(q, typed).verdict == "right"


def test_a_formula_with_the_wrong_value_is_graded_wrong_with_its_diagnosis(guided):
    """a1 (p − y)ᵀ is (δ2 a1ᵀ)ᵀ, 4×3 for 3×4: the transpose mistake, counted as a try."""
    grade = guided.grade(question(guided, "dL/dW2"), "a1 (p − y)ᵀ")
    assert grade.verdict == "wrong" and grade.mistake == "transposed"
    grade = guided.grade(question(guided, "dL/dz1"), "W2ᵀ δ2")  # ⊙ σ′(z1) left out
    assert grade.verdict == "wrong" and grade.mistake == "activation"


@pytest.mark.parametrize(
    "key, typed, en, zh",
    [
        (
            "dL/da1",
            "W2 δ2",
            "can't use that formula: the shapes do not fit in W2 δ2 (3×4 and 3×1)",
            "无法使用这个公式：W2 δ2 中的形状不匹配（3×4与3×1）",
        ),
        ("dL/dW2", "foo a1ᵀ", "can't read that: unknown name 'foo'", "无法读取"),
        (
            "dL/dz1",
            "δ(z1)",
            "can't use that formula: ∂L/∂z1 is not known at this step",
            "无法使用这个公式：这一步还不知道 ∂L/∂z1",
        ),
        ("z1", "a1", "can't read that: unknown name 'a1'", "无法读取"),  # a later value
    ],
)
def test_unknown_names_and_shapes_that_do_not_fit_are_invalid(guided, key, typed, en, zh):
    grade = guided.grade(question(guided, key), typed)
    assert grade.verdict == "invalid" and not grade.counted
    assert grade.feedback.en.startswith(en) and grade.feedback.zh.startswith(zh)
    assert "\n" not in grade.feedback.en and "\n" not in grade.feedback.zh


def test_an_entry_question_takes_the_entry_of_a_formula(guided):
    from dataclasses import replace

    from tutor.quiz.matrix import _entry

    h = softmax_net_by_hand()
    q = _entry(question(guided, "dL/dW2"), (1, 2))
    assert q.label == "∂L/∂W2[2,3]" and np.isclose(q.expected, h["dW2"][1, 2])
    assert guided.grade(q, "(p − y) a1ᵀ").verdict == "right"
    assert guided.grade(replace(q), f"{h['dW2'][1, 2]:.6g}").verdict == "right"


def test_the_cli_grades_formulas_in_english_and_chinese(tmp_path):
    h = softmax_net_by_hand()
    num = lambda a: "[" + ", ".join(f"{v:.6g}" for v in np.asarray(a).reshape(-1)) + "]"
    lines = [num(h[k]) for k in ("z1", "a1", "z2", "p")] + [f"{h['L']:.6g}", "p - y"]
    lines += ["W2 δ2", "(p − y) a1ᵀ", "quit"]
    answers = tmp_path / "a.txt"
    answers.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = str(tmp_path / "p.db")
    en = invoke("quiz", str(SOFTMAX), "--answers", str(answers), "--db", db)
    out = " ".join(en.stdout.split())
    assert out.count("✓") == 7, en.stdout
    assert "the shapes do not fit in W2 δ2" in out
    zh = invoke("quiz", str(SOFTMAX), "--answers", str(answers), "--db", db, "--lang", "zh")
    out = " ".join(zh.stdout.split())
    assert out.count("✓") == 7 and "W2 δ2 中的形状不匹配" in out
