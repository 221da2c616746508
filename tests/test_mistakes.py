"""The generated mistakes (issue 21): each typed the way a student makes it, named in en and
zh, scalar, symbolic and tensor; none named for a right answer or an unrelated wrong one; the
report's mistake fields and the class summary. Expected values are hand derivations or
NumPy/PyTorch references written here, never the engine's own numbers."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from tutor.language.answers import written
from tutor.problems import catalog
from tutor.problems.loader import load_problem
from tutor.quiz import matrix
from tutor.quiz.questions import factor_question
from tutor.quiz.session import Session, variant

FIXTURES = Path(__file__).parent / "fixtures" / "tensor"


def sig(z):
    return 1 / (1 + np.exp(-z))


def question(session, key):
    return next(q for q in session.questions if q.key == key)


def named(grade, key, en, zh):
    assert (grade.verdict, grade.mistake) == ("wrong", key), grade.feedback.en
    assert en in grade.feedback.en and zh in grade.feedback.zh
    assert en in grade.diagnosis.en and zh in grade.diagnosis.zh


# --------------------------------------------------------------------------- scalar: ex2 by hand
# ex2: x = (1, 2), y = 2, w1 = w2 = 1, b1 = 0, w3 = 2, b2 = 0, η = 0.01: z = h = 3, ŷ = 6,
# L = ½·16 = 8, ∂L/∂ŷ = 4, ∂L/∂w1 = 4·w3·1·x1 = 8, w1' = 1 − 0.08 = 0.92.


@pytest.fixture
def ex2():
    return Session(catalog.load("ex2"))


def test_update_with_the_step_added_is_named(ex2):
    # w + η·g = 1 + 0.01·8
    named(ex2.grade(question(ex2, "w1'"), "1.08"), "step-sign", "uphill", "更新方向反了")


def test_update_without_the_learning_rate_is_named(ex2):
    # w − g = 1 − 8
    named(ex2.grade(question(ex2, "w1'"), "-7"), "rate-left-out", "learning rate η", "学习率")


def test_update_after_the_top_layer_was_updated_is_named(ex2):
    # ∂L/∂w1 backpropagated through w3' = 2 − 0.01·12 = 1.88: 4·1.88·1·1 = 7.52
    grade = ex2.grade(question(ex2, "w1'"), str(1 - 0.01 * 7.52))
    named(grade, "after-for-before", "already updated", "已经更新过")


def test_the_input_where_the_weight_belongs_is_named(ex2):
    # ŷ = w3·h + b2: ∂ŷ/∂h = w3 = 2; h = 3 is ∂ŷ/∂w3
    names = tuple(ex2.problem.leaves) + tuple(s.name for s in ex2.solution.forward)
    q = factor_question(ex2.solution, "yhat", "h", names, "dL/dh", ex2.graph)
    assert ex2.grade(q, "2").verdict == "right"
    named(ex2.grade(q, "3"), "wrong-wrt", "the input where the weight belongs", "该用权重")
    # and in a gradient: ∂L/∂h = ∂L/∂ŷ · w3 = 8; with h for w3: 4·3 = 12 (a new session:
    # in this one the 3 typed for ∂ŷ/∂h is carried forward)
    fresh = Session(catalog.load("ex2"))
    named(fresh.grade(question(fresh, "dL/dh"), "12"), "wrong-wrt", "other factor", "另一个因子")


def test_sigma_for_its_derivative_is_named():
    s = Session(catalog.load("ex4"), guided=True)
    q = question(s, "da2_1/dz2_1")
    z2 = s.values["z2_1"]  # the forward value is asked (and checked) before: not the oracle
    a2 = 1 / (1 + np.exp(-z2))
    assert s.grade(q, f"{a2 * (1 - a2):.4f}").verdict == "right"
    assert f"{a2:.4f}" == "0.5889"  # the number
    named(s.grade(q, "0.5889"), "f-for-fprime", "f(z) was used where", "激活函数本身")


def test_a_mean_left_out_is_named():
    s = Session(variant(catalog.load("ex7"), None, ["m=4"]))
    # E = (ŷ − y)²/m = (2.38 − 2.41)²/4 = 0.000225; without the 1/m: 0.0009
    assert s.grade(question(s, "E"), "0.000225").verdict == "right"
    named(s.grade(question(s, "E"), "0.0009"), "mean-left-out", "1/N", "1/N")
    named(s.grade(question(s, "dE/dyhat"), "-0.06"), "mean-left-out", "1/N", "1/N")


def test_two_classes_swapped_are_named():
    s = Session(catalog.load("ex6"))
    z2 = np.array([0.29, 0.18, -0.03])  # from the statement's weights (hand: ex6 forward)
    p = np.exp(z2) / np.exp(z2).sum()
    assert s.grade(question(s, "L"), f"{-np.log(p[1]):.6f}").verdict == "right"
    # the target on class 1 instead of class 2
    named(
        s.grade(question(s, "L"), f"{-np.log(p[0]):.6f}"), "classes-swapped", "two classes", "类别"
    )


def test_the_extra_sigma_prime_with_cross_entropy_is_named():
    s = Session(catalog.load("ex1"))
    q = question(s, "dL/dw1")
    assert s.grade(q, "x1*(yhat-y)").verdict == "right"
    named(
        s.grade(q, "x1*(yhat-y)*yhat*(1-yhat)"),
        "activation-twice",
        "multiplied in twice",
        "乘了两次",
    )
    named(s.grade(q, "w1*(yhat-y)"), "wrong-wrt", "other factor", "另一个因子")


def test_a_match_two_candidates_explain_is_not_named():
    from tutor.quiz.diagnosis import named as pick
    from tutor.quiz.diagnosis import same_number

    near = lambda v: abs(v - 10) <= 0.1  # noqa: E731
    assert pick([("a", 10.0), ("b", 10.05)], near, same_number) is None
    assert pick([("a", 10.0), ("b", 10.0)], near, same_number)[0] == "a"  # one computation
    assert pick([("a", 10.0), ("b", 20.0)], near, same_number)[0] == "a"


# --------------------------------------------------------------------------- tensor: ex18


@pytest.fixture
def ex18():
    return matrix.Session(catalog.load("ex18"))


def _ex18_torch(problem):
    torch = pytest.importorskip("torch")
    leaf = {
        n: torch.tensor(np.asarray(v, dtype=float), dtype=torch.float64)
        for n, v in problem.leaves.items()
    }
    for n in ("W1", "b1", "W2", "b2"):
        leaf[n].requires_grad_(True)
    z1 = leaf["W1"] @ leaf["x"] + leaf["b1"]
    a1 = torch.sigmoid(z1)
    a1.retain_grad()
    z2 = leaf["W2"] @ a1 + leaf["b2"]
    p = torch.softmax(z2, dim=0)
    loss = -(leaf["y"] * torch.log(p)).sum()
    loss.backward()
    out = {n: leaf[n].grad.numpy() for n in ("W1", "b1", "W2", "b2")}
    out.update(a1=a1.detach().numpy(), da1=a1.grad.numpy(), p=p.detach().numpy())
    return out


def test_tensor_update_without_eta_and_uphill_are_named(ex18):
    t = _ex18_torch(ex18.problem)
    W2 = np.asarray(ex18.problem.leaves["W2"], dtype=float)
    q = question(ex18, "W2'")
    assert ex18.grade(q, written(W2 - 0.5 * t["W2"])).verdict == "right"
    named(ex18.grade(q, written(W2 - t["W2"])), "rate-left-out", "learning rate", "学习率")
    named(ex18.grade(q, written(W2 + 0.5 * t["W2"])), "step-sign", "uphill", "更新方向反了")


def test_tensor_gradient_after_the_update_is_named(ex18):
    t = _ex18_torch(ex18.problem)
    leaves = {n: np.asarray(v, dtype=float) for n, v in ex18.problem.leaves.items()}
    W2_new = leaves["W2"] - 0.5 * t["W2"]
    d2 = t["p"] - leaves["y"]
    d1 = (W2_new.T @ d2) * t["a1"] * (1 - t["a1"])
    wrong = leaves["W1"] - 0.5 * d1 @ leaves["x"].T
    named(
        ex18.grade(question(ex18, "W1'"), written(wrong)),
        "after-for-before",
        "already updated",
        "已经更新过",
    )


def test_tensor_sigma_for_sigma_prime_is_named(ex18):
    t = _ex18_torch(ex18.problem)
    q = question(ex18, "dL/dz1")
    assert ex18.grade(q, written(t["da1"] * t["a1"] * (1 - t["a1"]))).verdict == "right"
    grade = ex18.grade(q, written(t["da1"] * t["a1"]))
    named(grade, "f-for-fprime", "sigmoid(z1) where", "激活函数本身")


def test_tensor_classes_swapped_are_named(ex18):
    t = _ex18_torch(ex18.problem)
    y = np.asarray(ex18.problem.leaves["y"], dtype=float)
    k = int(np.argmax(y))
    other = y.copy()
    j = (k + 1) % len(y)
    other[[k, j]] = other[[j, k]]
    named(
        ex18.grade(question(ex18, "dL/dz2"), written(t["p"] - other)),
        "classes-swapped",
        "two classes",
        "类别",
    )


def test_tensor_transposed_and_missing_f_prime_keep_their_names(ex18):
    t = _ex18_torch(ex18.problem)
    q = question(ex18, "dL/dW2")
    named(ex18.grade(q, written(t["W2"].T)), "transposed", "transposed", "转置")
    named(ex18.grade(question(ex18, "dL/dz1"), written(t["da1"])), "activation", "left out", "漏乘")


# --------------------------------------------------------------------------- the batch's N


def _rows_hand(mean: bool):
    """Four samples as rows: Z1 = X W1 + b1, ..., L = Σ (A2 − Y)² (or its mean)."""
    X = np.array([[0.5, 1], [-1, 0.5], [1.5, -0.5], [0.25, 2]])
    Y = np.array([[1], [0], [1], [0]])
    W1 = np.array([[0.3, 0.4], [-0.2, 0.1]])
    b1 = np.array([[0.1, -0.1]])
    W2 = np.array([[0.5], [-0.6]])
    b2 = np.array([[0.2]])
    A1 = sig(X @ W1 + b1)
    A2 = sig(A1 @ W2 + b2)
    D2 = (2 / 4 if mean else 2) * (A2 - Y) * A2 * (1 - A2)
    return dict(dW2=A1.T @ D2, L=np.mean((A2 - Y) ** 2) if mean else np.sum((A2 - Y) ** 2))


def test_averaged_where_the_loss_sums_with_samples_as_rows():
    s = matrix.Session(load_problem(str(FIXTURES / "batch_rows.yaml")))
    h = _rows_hand(mean=False)
    q = question(s, "dL/dW2")
    assert s.grade(q, written(h["dW2"])).verdict == "right"
    named(s.grade(q, written(h["dW2"] / 4)), "batch-mean", "factor 4", "4 倍")
    # a sum is never "summed instead of averaged", by the rows' count or the columns'
    for n in (2, 4):
        assert s.grade(q, written(h["dW2"] * n)).mistake != "batch-sum"


def test_summed_where_the_loss_averages_with_samples_as_rows():
    s = matrix.Session(load_problem(str(FIXTURES / "batch_rows_mean.yaml")))
    h = _rows_hand(mean=True)
    q = question(s, "dL/dW2")
    assert s.grade(q, written(h["dW2"])).verdict == "right"
    named(s.grade(q, written(h["dW2"] * 4)), "batch-sum", "factor 4", "4 倍")
    named(s.grade(question(s, "L"), written(h["L"] * 4)), "batch-sum", "factor 4", "4 倍")


def test_a_loss_that_averages_nothing_never_says_batch(ex18):
    t = _ex18_torch(ex18.problem)
    assert (ex18.batch, ex18.summed) == (0, 0)
    for n in (2, 3, 4):
        assert ex18.grade(question(ex18, "dL/dW2"), written(t["W2"] * n)).mistake not in (
            "batch-sum",
            "batch-mean",
        )


# --------------------------------------------------------------------------- none for the rest


NUMERIC = ["ex2", "ex3", "ex4", "ex5", "ex6", "ex7", "ex8", "ex12", "ex13", "ex14"]
TENSOR = ["ex18", "ex19", "ex20", "ex21", "ex22", "ex23", "ex24", "ex25"]


def _typed(value: float) -> str:
    return f"{value:.4g}"


def test_right_answers_name_no_mistake():
    for pid in NUMERIC:
        s = Session(catalog.load(pid))
        for q in s.questions:
            if q.value is not None and np.isfinite(q.value):
                g = s.grade(q, f"{q.value:.12g}")
                assert (g.verdict, g.mistake) == ("right", None), (pid, q.key)
    for pid in ("ex18", "ex22"):
        s = matrix.Session(catalog.load(pid))
        for q in s.questions:
            g = s.grade(q, written(q.expected))
            assert (g.verdict, g.mistake) == ("right", None), (pid, q.key)


def test_random_wrong_answers_are_rarely_named():
    """1,000 unrelated wrong answers over the catalogue (seeded): fewer than 1 % named."""
    rng = random.Random(21)
    sessions = [Session(catalog.load(p)) for p in NUMERIC]
    sessions += [matrix.Session(catalog.load(p)) for p in TENSOR]
    named_count = wrong = 0
    for _ in range(1000):
        s = rng.choice(sessions)
        q = rng.choice(s.questions)
        if isinstance(s, matrix.Session):
            base = np.asarray(q.expected, dtype=float)
            noise = np.array([rng.uniform(-2, 2) for _ in range(base.size)]).reshape(base.shape)
            typed = written(np.round(base * (1 + noise) + noise, 4))
        else:
            if q.value is None or not np.isfinite(q.value):
                continue
            u = rng.uniform(-3, 3)
            typed = _typed(q.value * (1 + u) + rng.uniform(-1, 1))
        g = s.grade(q, typed)
        if g.verdict == "wrong":
            wrong += 1
            named_count += g.mistake not in (None, "shape")
    assert wrong > 900
    assert named_count < 0.01 * wrong, (named_count, wrong)


# --------------------------------------------------------------------------- the report


@pytest.fixture
def cli():
    from cli_runner import invoke

    def call(*args: str):
        done = invoke(*args, width=120)
        assert "Traceback" not in done.stderr, done.stderr
        return done.returncode, done.stdout, done.stderr

    return call


def _report(cli, tmp_path, name: str, lines: str) -> Path:
    answers = tmp_path / f"{name}.txt"
    answers.write_text(lines, encoding="utf-8")
    out = tmp_path / "reports" / f"{name}.json"
    out.parent.mkdir(exist_ok=True)
    cli(
        "quiz",
        "ex2",
        "--answers",
        str(answers),
        "--report",
        str(out),
        "--db",
        str(tmp_path / "p.db"),
    )
    return out


def test_report_rows_carry_the_mistake_key(cli, tmp_path):
    # z: −3 (the sign), then 3; h: 3; ŷ: 12 (doubled), twice
    out = _report(cli, tmp_path, "s1", "-3\n3\n3\n12\n12\n")
    rows = json.loads(out.read_text(encoding="utf-8"))["questions"]
    z, h, yhat = rows[:3]
    assert z["answers"] == ["-3", "3"] and z["verdict"] == "right"
    assert [m and m["key"] for m in z["mistakes"]] == ["sign", None]
    assert z["mistakes"][0] == {"key": "sign", "en": "the sign is wrong", "zh": "符号反了"}
    assert z["mistake"]["key"] == "sign"
    assert h["mistakes"] == [None] and h["mistake"] is None
    assert [m["key"] for m in yhat["mistakes"]] == ["factor2", "factor2"]


def test_class_summary_of_three_reports(cli, tmp_path):
    _report(cli, tmp_path, "s1", "3\n3\n6\n")  # z, h, ŷ right first time
    _report(cli, tmp_path, "s2", "-3\n3\n3\n12\n6\n")  # z: the sign first; ŷ doubled first
    _report(cli, tmp_path, "s3", "6\n-3\n")  # z doubled, then the sign: wrong after 2 tries
    from tutor.quiz import classroom

    rows = {r.quantity: r for r in classroom.summary(tmp_path / "reports")}
    z, h, yhat = rows["z"], rows["h"], rows["yhat"]
    assert (z.answered, z.right_first) == (3, 1)
    assert dict(z.mistakes) == {"sign": 2, "factor2": 1}
    assert z.mistakes[0] == ("sign", 2)
    assert (h.answered, h.right_first, h.mistakes) == (2, 2, ())
    assert (yhat.answered, yhat.right_first, yhat.mistakes) == (2, 1, (("factor2", 1),))
    assert rows["L"].answered == 0
    code, out, _ = cli("progress", "--class", str(tmp_path / "reports"))
    assert code in (0, None) and "right first time" in out and "the sign is wrong ×2" in out
    code, out, _ = cli("progress", "--class", str(tmp_path / "reports"), "--lang", "zh")
    assert "一次答对" in out and "符号反了 ×2" in out


def test_class_summary_refuses_what_is_not_a_report(cli, tmp_path):
    (tmp_path / "bad.json").write_text('{"questions": 3}', encoding="utf-8")
    code, _, err = cli("progress", "--class", str(tmp_path))
    assert code == 2 and "bad.json" in err and "not a quiz report" in err
    code, _, err = cli("progress", "--class", str(tmp_path / "none"))
    assert code == 2


def test_tensor_z_for_a_is_named(ex18):
    leaves = {n: np.asarray(v, dtype=float) for n, v in ex18.problem.leaves.items()}
    t = _ex18_torch(ex18.problem)
    z1 = leaves["W1"] @ leaves["x"] + leaves["b1"]
    named(
        ex18.grade(question(ex18, "a1"), written(z1)),
        "activation-forward",
        "pre-activation",
        "激活前",
    )
    d2 = t["p"] - leaves["y"]  # softmax with cross-entropy: δ(z2) = p − y
    wrong = d2 @ z1.T  # z1 where a1 belongs in ∂L/∂W2 = δ(z2) a1ᵀ
    named(
        ex18.grade(question(ex18, "dL/dW2"), written(wrong)),
        "pre-for-post",
        "pre-activation",
        "激活前",
    )


def test_tensor_half_squared_error_names_its_factor_two():
    # ex20: L = Σ (z2 − t)² / 2 (its value is checked against PyTorch in the catalogue tests;
    # here only the name of twice it, the ½ forgotten)
    s = matrix.Session(catalog.load("ex20"))
    q = question(s, "L")
    named(s.grade(q, written(q.expected * 2)), "factor2-half", "½", "½")
    ex18 = matrix.Session(catalog.load("ex18"))  # −Σ y log p has no ½ to forget
    assert (
        ex18.grade(question(ex18, "L"), written(question(ex18, "L").expected * 2)).mistake
        == "factor2"
    )
