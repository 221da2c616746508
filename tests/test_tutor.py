"""The tutor in a real pseudo-terminal (pexpect): a wrong answer's retry, scaffolding into
chain-rule factors, reveal with the chain, the hint ladder and guided mode, as a student
types them. A handful only (about a second each); the logic is tested in process in
tests/test_tutor_loop.py. Values by hand from ex2: z = 3, h = 3, ŷ = 6, L = 8, ∂L/∂ŷ = 4,
∂ŷ/∂h = w3 = 2, ∂h/∂z = ReLU'(3) = 1, ∂z/∂w1 = x1 = 1, so ∂L/∂w1 = 8.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")

BPTUTOR = str(Path(sys.executable).with_name("bptutor"))


def spawn(tmp_path, *args: str):
    return pexpect.spawn(
        BPTUTOR,
        ["quiz", *args, "--db", str(tmp_path / "p.db")],
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 100),
        env={**os.environ, "TERM": "dumb"},
    )


def answer(child, prompt: str, typed: str) -> None:
    child.expect_exact(prompt)
    child.sendline(typed)


def finish(child, score: str, status: int = 1) -> None:
    child.expect_exact(score)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == status


def test_a_wrong_answer_gets_its_diagnosis_and_another_try(tmp_path):
    child = spawn(tmp_path, "ex2")
    answer(child, "z = ? ", "3")
    child.expect_exact("correct: 3")
    answer(child, "h = ? ", "3 +")
    child.expect_exact("can't read that")  # not a try
    answer(child, "h = ? ", "4")
    child.expect_exact("try again (1 more try)")
    answer(child, "h = ? ", "5")
    child.expect_exact("the answer is 3")
    child.expect_exact("h = relu(z) = relu(3) = 3")  # the row with its numbers
    answer(child, "ŷ = ? ", "quit")
    finish(child, "Score: 1 / 18")


def test_a_gradient_still_wrong_is_scaffolded_factor_by_factor(tmp_path):
    child = spawn(tmp_path, "ex2")
    for prompt, typed in (
        ("z = ? ", "3"),
        ("h = ? ", "3"),
        ("ŷ = ? ", "6"),
        ("L = ? ", "8"),
        ("∂L/∂ŷ = ? ", "4"),
        ("∂L/∂h = ? ", "8"),
        ("∂L/∂z = ? ", "8"),
        ("∂L/∂w3 = ? ", "12"),
        ("∂L/∂b2 = ? ", "4"),
        ("∂L/∂w1 = ? ", "16"),
        ("∂L/∂w1 = ? ", "16"),
    ):
        answer(child, prompt, typed)
    child.expect_exact("factor by factor: ∂L/∂w1 = ∂L/∂ŷ · ∂ŷ/∂h · ∂h/∂z · ∂z/∂w1")
    child.expect_exact("∂L/∂ŷ = 4: you found it before")
    answer(child, "∂ŷ/∂h = ? ", "2")
    answer(child, "∂h/∂z = ? ", "1")
    answer(child, "∂z/∂w1 = ? ", "1")
    child.expect_exact("now the product again")
    answer(child, "∂L/∂w1 = ? ", "8")
    child.expect_exact("correct: 8")
    answer(child, "∂L/∂w2 = ? ", "quit")
    finish(child, "Score: 9 / 18")


def test_reveal_shows_the_chain_with_numbers_and_the_hint_ladder_climbs(tmp_path):
    child = spawn(tmp_path, "ex2", "--answers", "-")
    # answers from stdin: 9 right, then hints and a reveal on ∂L/∂w1
    child.sendline("3\n3\n6\n8\n4\n8\n8\n12\n4\n?\n?\n?\nreveal")
    child.expect_exact("hint 1/3: ∂L/∂w1 = ∂L/∂ŷ · ∂ŷ/∂h · ∂h/∂z · ∂z/∂w1")
    child.expect_exact("hint 2/3: ∂L/∂ŷ = ŷ - y; ∂ŷ/∂h = w3; ∂h/∂z = step(z); ∂z/∂w1 = x1")
    child.expect_exact("hint 3/3: ∂L/∂w1 = 4 × 2 × 1 × 1")
    child.expect_exact("the answer is 8 (not counted as solved)")
    child.expect_exact("= (ŷ - y) · w3 · step(z) · x1")
    child.expect_exact("= 4 × 2 × 1 × 1 = 8")
    child.sendeof()
    finish(child, "Score: 9 / 18")


def test_guided_mode_shows_each_row_after_the_answer_in_chinese(tmp_path):
    child = spawn(tmp_path, "ex2", "--guided", "--lang", "zh")
    child.expect_exact("引导模式")
    answer(child, "z = ? ", "3")
    child.expect_exact("z = w1·x1 + w2·x2 + b1 = 1×1 + 1×2 + 0 = 3")
    answer(child, "h = ? ", "")
    child.expect_exact("h = relu(z) = relu(3) = 3")
    child.expect_exact("只显示，不计分")
    answer(child, "ŷ = ? ", "6")
    answer(child, "L = ? ", "8")
    answer(child, "∂L/∂ŷ = ? ", "4")
    answer(child, "∂ŷ/∂h = ? ", "2")  # the local factor before its delta
    child.expect_exact("∂ŷ/∂h = w3 = 2")
    answer(child, "∂L/∂h = ? ", "quit")
    finish(child, "得分：5 / 25")
