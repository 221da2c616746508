"""The quiz on tensor problems: typed answers read, graded element-wise, the classic mistakes
diagnosed, the questions in backprop's order, the CLI with --answers.

Expected values come from hand derivations written here with NumPy (δ2 = p − y,
σ′ = a(1 − a), ∂L/∂W = δ aᵀ, the batch mean's 1/N) and, where torch is installed, from torch
autograd; never from the engine the quiz uses.
"""

from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from tests.cli_runner import invoke
from tests.shared import softmax_net_by_hand
from tutor.language.answers import MAX_DEPTH, MAX_ENTRIES, AnswerError, read
from tutor.problems.loader import load_problem
from tutor.quiz.matrix import Session
from tutor.quiz.matrix_grading import judge

FIXTURES = Path(__file__).parent / "fixtures" / "tensor"
SOFTMAX = FIXTURES / "softmax_net.yaml"
BATCH = FIXTURES / "batch_221.yaml"
SQUARE = FIXTURES / "square_net.yaml"


def typed(a, digits: int = 6) -> str:
    """An array as a student types it: a column [a, b], a row [[a, b]], rows split by ;."""
    a = np.asarray(a, dtype=float)
    num = lambda v: f"{v:.{digits}g}"
    if a.ndim == 0 or a.size == 1:
        return num(a.reshape(-1)[0])
    if a.shape[1] == 1:
        return "[" + ", ".join(num(v) for v in a[:, 0]) + "]"
    if a.shape[0] == 1:
        return "[[" + ", ".join(num(v) for v in a[0]) + "]]"
    return "[" + "; ".join(", ".join(num(v) for v in row) for row in a) + "]"


def sig(z):
    return 1 / (1 + np.exp(-z))


# --------------------------------------------------------------------------- hand derivations


softmax_hand = softmax_net_by_hand


def batch_hand():
    """Four samples as columns, L = (1/4) Σ (A2 − Y)²: Δ2 = (2/4)(A2 − Y) ⊙ A2(1 − A2)."""
    X = np.array([[0.5, -1, 1.5, 0], [1, 0.5, -0.5, 2]])
    Y = np.array([[1, 0, 1, 0]])
    W1 = np.array([[0.3, -0.2], [0.4, 0.1]])
    b1 = np.array([[0.1], [-0.1]])
    W2 = np.array([[0.5, -0.6]])
    b2 = np.array([[0.2]])
    A1 = sig(W1 @ X + b1)
    A2 = sig(W2 @ A1 + b2)
    D2 = 2 / 4 * (A2 - Y) * A2 * (1 - A2)
    D1 = (W2.T @ D2) * A1 * (1 - A1)
    return dict(
        L=np.mean((A2 - Y) ** 2),
        D2=D2,
        D1=D1,
        dW1=D1 @ X.T,
        dW2=D2 @ A1.T,
        db1=D1.sum(axis=1, keepdims=True),
    )


def square_hand():
    x = np.array([[1], [-1]])
    y = np.array([[0.5], [-0.5]])
    W1 = np.array([[0.5, -0.3], [0.2, 0.4]])
    b1 = np.array([[0], [0.1]])
    W2 = np.array([[0.6, -0.4], [0.3, 0.8]])
    b2 = np.array([[0.1], [0]])
    a1 = np.tanh(W1 @ x + b1)
    d2 = W2 @ a1 + b2 - y
    d1 = (W2.T @ d2) * (1 - a1**2)
    return dict(x=x, W2=W2, a1=a1, d2=d2, d1=d1, d1_w=(W2 @ d2) * (1 - a1**2))


def test_hand_derivations_match_torch():
    torch = pytest.importorskip("torch")
    h = softmax_hand()
    t = {
        k: torch.tensor(h[k], dtype=torch.float64, requires_grad=True)
        for k in ("W1", "b1", "W2", "b2")
    }
    z1 = t["W1"] @ torch.tensor(h["x"], dtype=torch.float64) + t["b1"]
    z1.retain_grad()
    z2 = t["W2"] @ torch.sigmoid(z1) + t["b2"]
    z2.retain_grad()
    loss = torch.nn.functional.cross_entropy(z2.T, torch.tensor([1]))
    loss.backward()
    assert np.allclose(z2.grad.numpy(), h["d2"]) and np.allclose(z1.grad.numpy(), h["d1"])
    assert np.allclose(t["W1"].grad.numpy(), h["dW1"])
    assert loss.item() == pytest.approx(h["L"])
    b = batch_hand()
    W1 = torch.tensor([[0.3, -0.2], [0.4, 0.1]], dtype=torch.float64, requires_grad=True)
    X = torch.tensor([[0.5, -1, 1.5, 0], [1, 0.5, -0.5, 2]], dtype=torch.float64)
    A1 = torch.sigmoid(W1 @ X + torch.tensor([[0.1], [-0.1]], dtype=torch.float64))
    A2 = torch.sigmoid(torch.tensor([[0.5, -0.6]], dtype=torch.float64) @ A1 + 0.2)
    torch.nn.functional.mse_loss(A2, torch.tensor([[1.0, 0, 1, 0]], dtype=torch.float64)).backward()
    assert np.allclose(W1.grad.numpy(), b["dW1"])


# --------------------------------------------------------------------------- reading answers


@pytest.mark.parametrize(
    "text, shape, values",
    [
        ("[1, 2; 3, 4]", (2, 2), [1, 2, 3, 4]),
        ("[[1, 2], [3, 4]]", (2, 2), [1, 2, 3, 4]),
        ("[1, 2, 3]", (3, 1), [1, 2, 3]),  # a column, as problem files mean it
        ("[[1, 2, 3]]", (1, 3), [1, 2, 3]),
        ("[1; 2]", (2, 1), [1, 2]),
        ("-0.5", (), [Fraction(-1, 2)]),
        ("[1/3, −0.5, 2e-3]", (3, 1), [Fraction(1, 3), Fraction(-1, 2), Fraction(1, 500)]),
        ("［1，2；3，4］", (2, 2), [1, 2, 3, 4]),  # full-width punctuation
        ("[[[1, 2], [3, 4]]]", (1, 2, 2), [1, 2, 3, 4]),
    ],
)
def test_read_forms(text, shape, values):
    answer = read(text)
    assert answer.shape == shape and list(answer.values) == [Fraction(v) for v in values]


@pytest.mark.parametrize(
    "text, column, words",
    [
        ("[1, 2", 6, "missing ']'"),
        ("[1 2; 3 4]", 2, "commas"),
        ("[1, 2; 3]", 8, "row 2 has 1 entry"),
        ("[1, x]", 5, "not a number: 'x'"),
        ("[1,,2]", 4, "missing"),
        ("[]", 2, "empty"),
        ("[1, 2] 3", 8, "after the closing"),
        ("[1, sigmoid(2)]", 5, "not a number"),  # entries are numbers or plain arithmetic only
        ("__import__('os')", 1, "not a number"),
    ],
)
def test_unreadable_answers_say_where(text, column, words):
    with pytest.raises(AnswerError) as e:
        read(text)
    assert e.value.column == column and words in e.value.message
    assert re.search(r"[\u4e00-\u9fff]", e.value.say("zh"))


def test_reading_is_bounded():
    with pytest.raises(AnswerError, match="too many numbers"):
        read("[" + ", ".join(["1"] * (MAX_ENTRIES + 1)) + "]")
    with pytest.raises(AnswerError, match="nested too deeply"):
        read("[" * (MAX_DEPTH + 1) + "1" + "]" * (MAX_DEPTH + 1))
    with pytest.raises(AnswerError, match="too long"):
        read("[" + "1" * 5000 + "]")
    with pytest.raises(AnswerError, match="not a number"):
        read("[" + "9" * 200 + "]")  # numerals' own bound on one literal
    with pytest.raises(AnswerError, match="not a number"):
        read("[2^99999]")


# --------------------------------------------------------------------------- grading


def test_entries_get_the_typed_figures_tolerance():
    expected = np.array([[0.1234567], [2.0]])
    assert judge(read("[0.1235, 2]"), expected).verdict == "right"
    assert judge(read("[0.1240, 2]"), expected).verdict == "wrong"  # 4 figures claim more
    assert judge(read("[0.123, 2]"), expected).verdict == "right"  # 3 figures, half a unit
    assert judge(read("[0.124, 2]"), expected).verdict == "wrong"
    short = judge(read("[0.1, 2]"), expected)  # rounded right, too few figures: not counted
    assert short.verdict == "undecided" and short.reason == "figures" and not short.counted
    assert judge(read("[0.1234567]"), np.array(0.1234567)).verdict == "right"  # 1×1 as a number


@pytest.fixture(scope="module")
def softmax():
    return Session(load_problem(str(SOFTMAX)))


def question(session, key):
    return next(q for q in session.questions if q.key == key)


def test_questions_in_backprop_order_with_shapes():
    s = Session(load_problem(str(SOFTMAX)))
    assert [q.key for q in s.questions] == [
        "z1",
        "a1",
        "z2",
        "p",
        "L",
        "dL/dz2",
        "dL/dW2",
        "dL/db2",
        "dL/dz1",
        "dL/dW1",
        "dL/db1",
        "W2'",
        "b2'",
        "W1'",
        "b1'",
    ]
    assert question(s, "dL/dz2").prompt() == "δ(z2) = ? (3×1) "
    assert question(s, "dL/dW1").prompt() == "∂L/∂W1 = ? (4×3) "
    assert question(s, "L").prompt() == "L = ? "
    h = softmax_hand()
    for key, ref in (
        ("z1", h["z1"]),
        ("p", h["p"]),
        ("dL/dz2", h["d2"]),
        ("dL/dW2", h["dW2"]),
        ("dL/dz1", h["d1"]),
        ("dL/dW1", h["dW1"]),
        ("W2'", h["W2new"]),
    ):
        assert np.allclose(question(s, key).expected, ref), key
    # a lower δ still wrong is taken step by step: Wᵀδ first, then ⊙ f′, then δ again
    steps = s.scaffold(question(s, "dL/dz1"))
    assert [q.key for q in steps] == ["dL/da1", "dL/dz1"]
    assert steps[0].rule == "δ(a1) = W2ᵀ δ(z2)" and "a1 ⊙ (1 − a1)" in steps[1].rule
    assert np.allclose(steps[0].expected, h["da1"])
    assert s.scaffold(question(s, "dL/dz2")) == []  # the top layer: nothing above it


def test_right_answers_as_typed(softmax):
    h = softmax_hand()
    assert (
        softmax.grade(question(softmax, "dL/dz2"), "[0.4245, -0.6664, 0.2419]").verdict == "right"
    )
    assert softmax.grade(question(softmax, "z1"), "[-0.15, -0.15, 0.8, -0.2]").verdict == "right"
    assert softmax.grade(question(softmax, "L"), typed(h["L"], 4)).verdict == "right"
    assert softmax.grade(question(softmax, "dL/dW1"), typed(h["dW1"])).verdict == "right"


def test_transposed(softmax):
    h = softmax_hand()
    grade = Session(load_problem(str(SOFTMAX))).grade(
        question(softmax, "dL/dW2"), typed(h["a1"] @ h["d2"].T)
    )  # a δᵀ
    assert grade.verdict == "wrong" and grade.mistake == "transposed"
    assert "expected 3×4, got 4×3" in grade.feedback.en and "应为 3×4" in grade.feedback.zh
    # a column given as a row
    grade = Session(load_problem(str(SOFTMAX))).grade(question(softmax, "dL/dz2"), typed(h["d2"].T))
    assert grade.mistake == "transposed" and "expected 3×1, got 1×3" in grade.diagnosis.en


def test_wrong_shape_says_the_expected_shape():
    s = Session(load_problem(str(SOFTMAX)))
    h = softmax_hand()
    grade = s.grade(question(s, "dL/db2"), typed(h["dW2"]))  # ∂L/∂W2 for ∂L/∂b2
    assert grade.mistake == "shape" and grade.diagnosis.en == "wrong shape: expected 3×1, got 3×4"
    assert grade.diagnosis.zh == "形状不对：应为 3×1，你给的是 3×4"
    one = s.grade(question(s, "dL/db2"), "0.5")  # one number: a scalar, 标量 in Chinese
    assert one.diagnosis.en == "wrong shape: expected 3×1, got scalar"
    assert one.diagnosis.zh == "形状不对：应为 3×1，你给的是 标量"


def test_activation_derivative_left_out():
    s = Session(load_problem(str(SOFTMAX)))
    h = softmax_hand()
    grade = s.grade(question(s, "dL/dz1"), typed(h["da1"]))  # W2ᵀδ2 without ⊙ σ′(z1)
    assert grade.verdict == "wrong" and grade.mistake == "activation"
    assert "sigmoid′(z1)" in grade.diagnosis.en and "漏乘" in grade.diagnosis.zh
    # and carried into ∂L/∂W1 = δ1 xᵀ
    grade = Session(load_problem(str(SOFTMAX))).grade(
        question(s, "dL/dW1"), typed(h["da1"] @ h["x"].T)
    )
    assert grade.mistake == "activation"


def test_w_instead_of_w_transposed():
    s = Session(load_problem(str(SQUARE)))
    h = square_hand()
    assert not np.allclose(h["W2"], h["W2"].T)
    grade = s.grade(question(s, "dL/dz1"), typed(h["d1_w"]))  # (W2 δ2) ⊙ tanh′(z1)
    assert grade.mistake == "transposed" and "W2 was used where W2ᵀ" in grade.diagnosis.en
    assert s.grade(question(s, "dL/dz1"), typed(h["d1"])).verdict == "right"


def test_summed_instead_of_averaged_over_the_batch():
    s = Session(load_problem(str(BATCH)))
    b = batch_hand()
    assert s.batch == 4
    assert s.grade(question(s, "dL/dW1"), typed(b["dW1"])).verdict == "right"
    grade = s.grade(question(s, "dL/dW1"), typed(4 * b["dW1"]))
    assert grade.mistake == "batch-sum" and "factor 4" in grade.diagnosis.en
    assert "4 倍" in grade.diagnosis.zh
    assert s.grade(question(s, "L"), typed(4 * b["L"])).mistake == "batch-sum"
    assert s.grade(question(s, "dL/dZ2"), typed(b["D2"])).verdict == "right"
    # ∂L/∂b1 not summed over the samples: the Δ itself, 2×4 for 2×1
    grade = s.grade(question(s, "dL/db1"), typed(b["D1"]))
    assert grade.mistake == "shape" and "expected 2×1, got 2×4" in grade.diagnosis.en
    assert s.grade(question(s, "dL/db1"), typed(b["db1"])).verdict == "right"


def test_error_carried_forward_element_wise():
    s = Session(load_problem(str(SOFTMAX)))
    h = softmax_hand()
    own_d2 = h["p"]  # forgot − y
    assert s.grade(question(s, "dL/dz2"), typed(own_d2)).verdict == "wrong"
    grade = s.grade(question(s, "dL/dW2"), typed(own_d2 @ h["a1"].T))  # δ aᵀ with their δ
    assert grade.verdict == "carried" and grade.credit == 0.5
    own_d1 = (h["W2"].T @ own_d2) * h["a1"] * (1 - h["a1"])
    assert s.grade(question(s, "dL/dz1"), typed(own_d1)).verdict == "carried"
    # their δ1 (carried) goes on into ∂L/∂W1
    assert s.grade(question(s, "dL/dW1"), typed(own_d1 @ h["x"].T)).verdict == "carried"
    # once δ2 is right, the exact value is used again
    assert s.grade(question(s, "dL/dz2"), typed(h["d2"])).verdict == "right"
    assert s.grade(question(s, "dL/dz1"), typed(own_d1)).verdict == "wrong"
    # forward: a1 = σ(their z1)
    t = Session(load_problem(str(SOFTMAX)))
    own_z1 = h["z1"] + 0.5
    assert t.grade(question(t, "z1"), typed(own_z1)).verdict == "wrong"
    assert t.grade(question(t, "a1"), typed(sig(own_z1))).verdict == "carried"


def test_unreadable_is_not_a_try():
    s = Session(load_problem(str(SOFTMAX)))
    grade = s.grade(question(s, "dL/dz2"), "[0.42, -0.67")
    assert grade.verdict == "invalid" and not grade.counted and grade.column == 13
    assert "column 13" in grade.feedback.en and "第 13 列" in grade.feedback.zh


# --------------------------------------------------------------------------- the CLI


def quiz(tmp_path, problem, lines, *args):
    answers = tmp_path / "answers.txt"
    answers.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return invoke(
        "quiz", str(problem), "--answers", str(answers), "--db", str(tmp_path / "p.db"), *args
    )


def all_right_lines():
    h = softmax_hand()
    return [
        typed(h[k]) for k in ("z1", "a1", "z2", "p", "L", "d2", "dW2", "d2", "d1", "dW1", "d1")
    ] + [
        typed(h["W2new"]),
        typed(np.array([[0], [0.1], [-0.1]]) - 0.5 * h["d2"]),
        typed(h["W1"] - 0.5 * h["dW1"]),
        typed(h["b1"] - 0.5 * h["d1"]),
    ]


def test_cli_all_right_exits_0(tmp_path):
    result = quiz(tmp_path, SOFTMAX, all_right_lines())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Score: 15 / 15" in result.stdout


def test_cli_mistakes_scaffolding_report_and_progress(tmp_path):
    h = softmax_hand()
    lines = all_right_lines()[:8] + [
        "[0.1, 0.2",  # unreadable: not a try
        typed(h["da1"]),  # ⊙ f′ left out
        typed(h["da1"]),  # again: still wrong -> step by step
        typed(h["da1"]),  # step 1: δ(a1) = W2ᵀ δ(z2), right
        typed(h["d1"]),  # step 2: δ(z1) again, right
        "reveal",
    ]
    report = tmp_path / "r.json"
    result = quiz(tmp_path, SOFTMAX, lines, "--report", str(report))
    assert result.returncode == 1
    out = result.stdout
    assert "can't read that: missing ']' for the '[' at column 1 (column 10)" in out
    assert "looks like ⊙ sigmoid′(z1) is left out" in out and "try again (1 more try)" in out
    assert "step by step: δ(a1) = W2ᵀ δ(z2)" in out
    data = json.loads(report.read_text(encoding="utf-8"))
    rows = [(q["quantity"], q["verdict"], q["scaffold_of"]) for q in data["questions"]]
    assert ("dL/dz1", "wrong", None) in rows
    assert ("dL/da1", "right", "dL/dz1") in rows and ("dL/dz1", "right", "dL/dz1") in rows
    assert ("dL/dW1", "revealed", None) in rows and ("W2'", "unanswered", None) in rows
    summary = invoke("progress", "softmax_net", "--db", str(tmp_path / "p.db"))
    assert "softmax_net" in summary.stdout


def test_cli_in_chinese(tmp_path):
    h = softmax_hand()
    result = quiz(tmp_path, SOFTMAX, [typed(h["z1"].T), "[1, 2", "quit"], "--lang", "zh")
    assert "看起来转置了（形状不对：应为 4×1，你给的是 1×4）" in result.stdout
    assert "第 1 列的 '[' 缺少对应的 ']'" in result.stdout
    assert result.returncode == 1


def test_cli_guided_asks_every_delta_and_shows_each_row(tmp_path):
    """--guided on a tensor problem: δ(a1) = W2ᵀ δ(z2), only a scaffolding step otherwise, is
    a question of its own; Enter alone shows the row (z1 = W1 x + b1 and its value, by hand)
    without counting; a right answer is followed by its rule."""
    from tutor.language.answers import written

    h = softmax_hand()
    report = tmp_path / "r.json"
    result = quiz(
        tmp_path, SOFTMAX, ["", typed(h["a1"]), "quit"], "--guided", "--report", str(report)
    )
    assert result.returncode == 1, result.stderr
    out = " ".join(result.stdout.split())
    assert "[1/16]" in out and "shown, not counted" in out
    assert f"z1 = {written(h['z1'])}" in out and "a1 = σ(z1)" in out
    rows = [(q["quantity"], q["verdict"]) for q in json.loads(report.read_text())["questions"]]
    assert rows[:2] == [("z1", "skipped"), ("a1", "right")]
    assert ("dL/da1", "unanswered") in rows


def test_cli_random_quizzes_a_variant_of_the_same_shapes(tmp_path):
    """`quiz --seed` on a tensor problem asks about drawn numbers: the first question, z1,
    is graded against W1 x + b1 of the drawn values (NumPy by hand), not the file's."""
    from tutor.variants import matrix as tensor_variants

    drawn = tensor_variants.variant(load_problem(SOFTMAX), 7).leaves
    z1 = drawn["W1"] @ drawn["x"] + drawn["b1"]
    assert not np.allclose(z1, softmax_hand()["z1"])
    result = quiz(tmp_path, SOFTMAX, [typed(z1), "quit"], "--seed", "7")
    assert "7" in result.stdout and "✓" in result.stdout
    assert result.returncode == 1  # quit before the end


def test_zero_is_right_for_a_sum_that_is_exactly_zero_and_its_tanh():
    """fixtures/tensor/tanh_zero.yaml: z = W x + b = 0 exactly, a = tanh(0) = 0 (by hand)."""
    s = Session(load_problem(str(FIXTURES / "tanh_zero.yaml")))
    for key, typed in [
        ("z", "[0]"),
        ("a", "[0]"),
        ("dL/dz", "[-0.3]"),
        ("dL/dW", "[[-0.15, 0.3]]"),
    ]:
        grade = s.grade(question(s, key), typed)
        assert (key, grade.verdict, grade.warning) == (key, "right", None)


def test_hints_are_the_rule_tree_and_the_values_it_reads():
    """The first hint is the rule the backward pass evaluated, printed; the second the δ's and
    values that tree reads (by hand: δ(z1) = δ(a1) ⊙ a1 ⊙ (1 − a1) reads δ(a1) and a1), not
    an operand read only for its shape (the bias of Σ_col δ(Z1))."""
    from tutor.language.answers import written

    h = softmax_net_by_hand()
    s = Session(load_problem(SOFTMAX))
    q = next(q for q in s.questions if q.key == "dL/dz1")
    rule, values = s.hints(q)
    assert rule == "δ(z1) = δ(a1) ⊙ a1 ⊙ (1 − a1)"
    assert values == f"δ(a1) = {written(h['da1'])}; a1 = {written(h['a1'])}"
    q = next(q for q in s.questions if q.key == "dL/dW1")
    assert s.hints(q)[1].split("; ")[1] == f"x = {written(h['x'])}"
    batch = Session(load_problem(BATCH))
    q = next(q for q in batch.questions if q.key == "dL/db1")
    rule, values = batch.hints(q)
    assert rule == "∂L/∂b1 = Σ_col δ(Z1)" and "b1" not in values


# --------------------------------------------------------------------------- one loop for all

PADDED = FIXTURES / "conv_padded.yaml"


def padded_by_torch() -> dict:
    """tests/fixtures/tensor/conv_padded.yaml in torch float64: c = conv2d(x, K, padding=1),
    L = Σ c ⊙ c / 2."""
    torch = pytest.importorskip("torch")
    x = torch.tensor(
        [
            [1, 2, 0, -1, 1],
            [0, -1, 3, 2, 0],
            [2, 1, 1, 0, -2],
            [1, 0, -1, 2, 1],
            [0, 2, 1, 1, -1],
        ],
        dtype=torch.float64,
    ).reshape(1, 1, 5, 5)
    K = torch.tensor([[0.5, -1, 0], [0, 2, 1], [-0.5, 0, 1]], dtype=torch.float64)
    x.requires_grad_(True)
    K = K.reshape(1, 1, 3, 3).requires_grad_(True)
    c = torch.nn.functional.conv2d(x, K, padding=1)
    L = (c * c).sum() / 2
    L.backward()
    return dict(
        c=c.detach().numpy()[0],
        L=float(L.detach()),
        dK=K.grad.numpy(),
        dx=x.grad.numpy()[0],
    )


def nested(a) -> str:
    """Any array as nested lists (a 1×1×3×3 kernel as [[[[...]]]]), 6 significant figures."""
    a = np.asarray(a, dtype=float)
    if a.ndim == 0:
        return f"{float(a):.6g}"
    return "[" + ", ".join(nested(r) for r in a) + "]"


def test_a_large_tensor_is_asked_by_entries_chosen_to_cover_the_rule():
    """A 1×5×5 map (25 entries, more than 24) is asked at a corner (touched by the padding),
    the interior entry and the far corner; the 9-entry kernel gradient whole; ∂L/∂x, which
    the statement asks for, by entries too. Values: torch float64."""
    t = padded_by_torch()
    s = Session(load_problem(PADDED))
    corners = ["[1,1,1]", "[1,3,3]", "[1,5,5]"]
    assert [q.key for q in s.questions] == (
        [f"c{i}" for i in corners]
        + ["L"]
        + [f"dL/dc{i}" for i in corners]
        + ["dL/dK"]
        + [f"dL/dx{i}" for i in corners]
    )
    assert s.by_entries == 3
    for q in s.questions:
        ref = {"c": t["c"], "L": t["L"], "dL/dc": t["c"], "dL/dK": t["dK"], "dL/dx": t["dx"]}[
            q.key.split("[")[0]
        ]
        ref = np.asarray(ref)[q.index] if q.index is not None else ref
        assert np.allclose(q.expected, ref), q.key
        assert s.grade(q, nested(ref)).verdict == "right", q.key
    assert "conv" in next(q for q in s.questions if q.key == "dL/dK").skills
    assert "conv" in next(q for q in s.questions if q.key.startswith("dL/dx")).skills


def test_an_input_gradient_is_asked_where_the_statement_asks_for_it():
    """ex24's statement asks for ∂L/∂X (BatchNorm's three paths): it is asked, after γ and β;
    ex18's x, whose gradient the statement does not ask for, is not."""
    from tutor.problems import catalog

    ex24 = Session(catalog.load("ex24"))
    keys = [q.key for q in ex24.questions]
    assert keys.index("dL/dbeta") < keys.index("dL/dX") < keys.index("gamma'")
    q = next(q for q in ex24.questions if q.key == "dL/dX")
    assert "batchnorm-paths" in q.skills
    X = np.array([[1, 2, 3, 6], [0.5, -0.5, 1.5, 2.5]])
    Yt = np.array([[1, 0, -1, 2], [0, 1, 0, -1]])
    gamma, beta = np.array([[1.5], [0.5]]), np.array([[0.1], [-0.2]])
    torch = pytest.importorskip("torch")
    x = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    mu = x.mean(dim=1, keepdim=True)
    var = ((x - mu) ** 2).mean(dim=1, keepdim=True)
    y = torch.tensor(gamma) * (x - mu) / torch.sqrt(var + 1e-5) + torch.tensor(beta)
    ((y - torch.tensor(Yt, dtype=torch.float64)) ** 2).mean().backward()
    assert np.allclose(q.expected, x.grad.numpy())
    assert "dL/dx" not in [q.key for q in Session(catalog.load("ex18")).questions]


def test_the_quiz_shows_the_given_tensors_as_a_table(tmp_path):
    """The given values as `show` and `solve` draw them (a table, each matrix in brackets),
    not written inline in one line as before."""
    out = quiz(tmp_path, SOFTMAX, ["quit"]).stdout
    assert "Given" in out and "parameter   4×3" in out
    assert "⎡  0.2  −0.1   0.4 ⎤" in out  # W1's first row, drawn as `solve` draws it
    zh = quiz(tmp_path, SOFTMAX, ["quit"], "--lang", "zh").stdout
    assert "已知" in zh and "参数" in zh and "⎡  0.2  −0.1   0.4 ⎤" in zh


def test_set_replaces_a_given_tensor_or_one_entry(tmp_path):
    """--set W1[1,1]=1 and --set x=[1, 1, 1]: z1 = W1 x + b1 with the new values (NumPy)."""
    h = softmax_hand()
    W1 = h["W1"].copy()
    W1[0, 0] = 1
    x = np.ones((3, 1))
    z1 = W1 @ x + h["b1"]
    result = quiz(
        tmp_path, SOFTMAX, [typed(z1), "quit"], "--set", "W1[1,1]=1", "--set", "x=[1, 1, 1]"
    )
    assert "✓ correct" in result.stdout, result.stdout
    bad = quiz(tmp_path, SOFTMAX, [], "--set", "x=[1, 2]")
    assert bad.returncode == 2 and "--set x: a 3×1 tensor, not 2×1" in bad.stderr
    bad = quiz(tmp_path, SOFTMAX, [], "--set", "W1[5,1]=1")
    assert bad.returncode == 2 and "no such entry of a 4×3 tensor" in bad.stderr
    bad = quiz(tmp_path, SOFTMAX, [], "--set", "y=[0.5, 0.9, 0]")
    assert bad.returncode == 2 and "probability" in bad.stderr


def test_resume_continues_an_interrupted_tensor_quiz(tmp_path):
    """Two answers typed, the input closed (an interrupted quiz); --resume asks the third
    question next, with the two answers kept (not recorded twice)."""
    from tutor.quiz import progress

    h = softmax_hand()
    db = str(tmp_path / "p.db")
    first = invoke("quiz", str(SOFTMAX), "--db", db, stdin=f"{typed(h['z1'])}\n{typed(h['a1'])}\n")
    assert first.returncode == 1 and "[3/15]" in first.stdout
    again = invoke("quiz", str(SOFTMAX), "--db", db, "--resume", stdin=f"{typed(h['z2'])}\nquit\n")
    assert again.returncode == 1, again.stderr
    assert "resumed: 2 answers kept" in again.stdout and "[3/15]" in again.stdout
    assert "[1/15]" not in again.stdout.split("resumed")[1]
    rows = progress.summary(Path(db), "softmax_net")
    assert sorted((r.quantity, r.attempts) for r in rows) == [("a1", 1), ("z1", 1), ("z2", 1)]
