"""Issue 22's fixes of what the tensor problems taught wrong: the quiz orders (read from
`quiz --report`), the wordings in English and Chinese, and the new numbers against
independent oracles (NumPy here, PyTorch float64 in scripts/torch_published.py)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from cli_runner import invoke

from tutor.problems import catalog


def skipped_quiz(tmp_path, pid: str, lang: str, *more: str, width: int = 80):
    """`quiz PID` with every answer skipped."""
    answers = tmp_path / "skips.txt"
    answers.write_text("skip\n" * 200, encoding="utf-8")
    db = str(tmp_path / "p.db")
    return invoke(
        "quiz", pid, "--answers", str(answers), "--db", db, "--lang", lang, *more, width=width
    )


def quiz_order(tmp_path, pid: str, lang: str = "en") -> list[str]:
    """The quantities a quiz asks, in order, from its JSON report (every answer skipped)."""
    report = tmp_path / f"{pid}.json"
    done = skipped_quiz(tmp_path, pid, lang, "--report", str(report))
    assert done.returncode in (0, 1), done.stderr
    return [q["quantity"] for q in json.loads(report.read_text(encoding="utf-8"))["questions"]]


# --------------------------------------------------------------------------- ex23


def test_ex23_quiz_goes_back_through_time_before_the_sums_over_steps(tmp_path):
    """δ_k = ∂L/∂z_k (before the tanh), asked step 3, 2, 1 with ∂L/∂h_k between, and only
    then ∂L/∂W, ∂L/∂U, ∂L/∂b, each a sum of the three steps' terms."""
    asked = quiz_order(tmp_path, "ex23")
    back = ["dL/dh3", "dL/dz3", "dL/dh2", "dL/dz2", "dL/dh1", "dL/dz1"]
    assert [q for q in asked if q in back] == back
    last_delta = max(asked.index(q) for q in back)
    for shared in ("dL/dW", "dL/dU", "dL/db"):
        assert asked.index(shared) > last_delta, shared


def test_ex23_delta_k_has_one_meaning_in_the_statement_and_the_numbers():
    """The statement's δ_k = ∂L/∂z_k = ∂L/∂h_k ⊙ (1 − h_k²) is the tool's δ(z_k), in NumPy
    from the forward values: tanh′ = 1 − h²."""
    from tutor.engine import tensor

    problem = catalog.load("ex23")
    for lang, words in (("en", "δ_k = ∂L/∂z_k"), ("zh", "δ_k = ∂L/∂z_k")):
        assert words in problem.statement.get(lang)
    assert "δ(h_k) is ∂L/∂h_k" in problem.statement.get("en")
    assert "δ(h_k) 表示 ∂L/∂h_k" in problem.statement.get("zh")
    point = tensor.evaluate(problem, problem.leaves)
    v, g = point.values, point.grads
    h = [v["h0"]]
    for k in (1, 2, 3):  # the recurrence by hand
        h.append(np.tanh(v["W"] @ h[-1] + v["U"] @ v[f"x{k}"] + v["b"]))
    dh = v["V"].T @ (v["y"] - v["t"])
    for k in (3, 2, 1):
        delta = dh * (1 - h[k] ** 2)
        np.testing.assert_allclose(g[f"z{k}"], delta, rtol=1e-12)
        dh = v["W"].T @ delta


# --------------------------------------------------------------------------- ex25


def test_ex25_quiz_asks_each_layers_weight_after_its_own_delta(tmp_path):
    """Separate weights per layer: ∂L/∂W⁽ˡ⁾ = δ⁽ˡ⁾ a⁽ˡ⁻¹⁾ᵀ, asked right after δ⁽ˡ⁾, from
    layer 6 down, for each of the three chains; no weight is asked before its δ."""
    asked = quiz_order(tmp_path, "ex25")
    for chain in "srh":
        for layer in range(1, 7):
            d, w = f"dL/dz{chain}{layer}", f"dL/dW{chain}{layer}"
            assert asked.index(w) == asked.index(d) + 1
            if layer < 6:
                assert asked.index(d) > asked.index(f"dL/dz{chain}{layer + 1}")


def test_ex25_has_a_weight_per_layer_and_three_chains():
    problem = catalog.load("ex25")
    for chain in "srh":
        assert all(f"W{chain}{layer}" in problem.params for layer in range(1, 7))
    leaves = problem.leaves
    for layer in range(1, 7):  # the exploding chain's weights are the scaled one's doubled
        np.testing.assert_allclose(leaves[f"Wr{layer}"], 2 * leaves[f"Wh{layer}"])
        np.testing.assert_allclose(leaves[f"Ws{layer}"], leaves[f"Wh{layer}"])
    for lang, words in (("en", "δ⁽ˡ⁾ = ∂L/∂z⁽ˡ⁾"), ("zh", "δ⁽ˡ⁾ = ∂L/∂z⁽ˡ⁾")):
        said = problem.statement.get(lang)
        assert words in said and "δ = ∂L/∂s6" not in said
    assert "explodes" in problem.statement.get("en") and "爆炸" in problem.statement.get("zh")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_ex25_solve_labels_each_layers_own_weight(lang):
    out = invoke("solve", "ex25", "--lang", lang, width=100).stdout
    assert "Ws is used" not in out and "Ws 被" not in out
    assert "∂L/∂Ws1 = δ(zs1) xᵀ" in out and "∂L/∂Wr6 = δ(zr6) r5ᵀ" in out


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_ex25_layers_table_and_course_rules_cover_all_three_chains(lang):
    """The "Layers" table described the sigmoid chain only: each chain's six layers are
    listed, and each chain's δ rules carry the course's form, with relu′ for the two ReLU
    chains (the file's graph read here: z = W a, then the activation)."""
    import yaml

    graph = yaml.safe_load(catalog.resolve("ex25").read_text(encoding="utf-8"))["graph"]
    out = " ".join(invoke("solve", "ex25", "--lang", lang, width=120).stdout.split())
    for chain, act in (("s", "σ"), ("r", "relu"), ("h", "relu")):
        a = {"s": "s", "r": "r", "h": "h"}[chain]
        for layer in range(1, 7):
            z = f"z{chain}{layer}"
            prev = "x" if layer == 1 else f"{a}{layer - 1}"
            assert graph[z] == f"W{chain}{layer} @ {prev}"
            assert f"{z} = W{chain}{layer} {prev}; {a}{layer} = {act}({z})" in out, z
    # δ⁽¹⁾ in the course's form once per chain, σ′ once, relu′ twice
    assert out.count("δ⁽¹⁾ = (W⁽²⁾ᵀ δ⁽²⁾) ⊙ relu′(z⁽¹⁾)") == 2
    assert out.count("δ⁽¹⁾ = (W⁽²⁾ᵀ δ⁽²⁾) ⊙") == 3


# --------------------------------------------------------------------------- ex24


def test_ex24_quiz_asks_the_three_paths_back_to_x(tmp_path):
    """∂L/∂X̂, ∂L/∂σ², ∂L/∂μ and ∂L/∂X, in that order, after ∂L/∂γ and ∂L/∂β: the statement
    writes them as the course does (X̂, σ², μ), `notation.written_forms` reads them."""
    asked = quiz_order(tmp_path, "ex24")
    paths = ["dL/dXhat", "dL/dvar", "dL/dmu", "dL/dX"]
    assert [q for q in asked if q in paths] == paths
    assert asked.index("dL/dbeta") < asked.index("dL/dXhat")


@pytest.mark.parametrize(
    "lang, words",
    [("en", "the deviations of a row from its own mean sum to 0"), ("zh", "偏差之和为 0")],
)
def test_ex24_says_why_mus_path_through_the_variance_is_0(tmp_path, lang, words):
    """The 0 of μ's path through σ² is Σ_col (X − μ) = 0; with it ∂L/∂μ is the path through
    X̂ alone, −Σ_col ∂L/∂X̂ / sqrt(σ² + ε): checked in NumPy against the file's published
    (PyTorch) value. Said after the row in solve and export, and after the quiz question."""
    problem = catalog.load("ex24")
    X, gamma = problem.leaves["X"], problem.leaves["gamma"]
    eps = float(problem.leaves["eps"])
    mu = X.mean(axis=1, keepdims=True)
    var = ((X - mu) ** 2).mean(axis=1, keepdims=True)
    assert np.allclose((X - mu).sum(axis=1), 0, atol=1e-12)
    Y = gamma * (X - mu) / np.sqrt(var + eps) + problem.leaves["beta"]
    d_xhat = gamma * 2 * (Y - problem.leaves["Yt"]) / Y.size
    d_mu = -(d_xhat / np.sqrt(var + eps)).sum(axis=1)
    np.testing.assert_allclose(d_mu, [0.3207, 0.08944], rtol=1e-3)  # the torch values
    for command in ("solve", "export"):
        out = invoke(command, "ex24", "--lang", lang, width=200).stdout
        assert words in out, command
    out = skipped_quiz(tmp_path, "ex24", lang, width=200).stdout
    assert words in out and out.index(words) > out.index("mu")


# --------------------------------------------------------------------------- ex19


@pytest.mark.parametrize(
    "lang, asked, answered",
    [
        (
            "en",
            "with column\n    vectors, say why",
            ["(3×1)(3×2) has no product", "(1×3)(3×2) = 1×2", "a product in neither layout"],
        ),
        (
            "zh",
            "在列向量的写法下，说明为什么",
            ["(3×1)(3×2) 无法相乘", "(1×3)(3×2) = 1×2", "两种布局下都无法相乘"],
        ),
    ],
)
def test_ex19_answers_why_the_slides_shapes_do_not_fit(tmp_path, lang, asked, answered):
    """Asked "with column vectors", answered in solve, export and the quiz: ∂L/∂h3 W3 is
    right for row vectors (the Jacobian layout), ∂L/∂h3 h2 fits no layout."""
    text = catalog.resolve("ex19").read_text(encoding="utf-8")
    assert asked in text
    problem = catalog.load("ex19")
    h3, W3, h2 = (problem.leaves.get(n) for n in ("b3", "W3", "b2"))
    assert h3.shape == (3, 1) and W3.shape == (3, 2) and h2.shape == (2, 1)
    assert (h3.T @ W3).shape == (1, 2)  # the row layout: a product
    for a, b in ((h3, W3), (h3, h2), (h3.T, h2.T)):
        with pytest.raises(ValueError):
            a @ b
    solved = invoke("solve", "ex19", "--lang", lang, width=300).stdout
    exported = invoke("export", "ex19", "--lang", lang, width=300).stdout
    quizzed = skipped_quiz(tmp_path, "ex19", lang, width=300).stdout
    for words in answered:
        assert words in solved and words in exported and words in quizzed, words
    errata = (catalog.resolve("ex19").parent.parent / "docs" / "errata.md").read_text()
    assert "with column vectors" in errata and "fits no layout" in errata


def test_a_remark_on_no_quantity_is_refused_with_its_line(tmp_path):
    text = (
        catalog.resolve("ex19")
        .read_text(encoding="utf-8")
        .replace("  dL/dW3:\n    en:", "  dL/dW9:\n    en:")
    )
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "dL/dW9" in t)
    for lang, words in (("en", "names no quantity"), ("zh", "没有指向本题的任何量")):
        done = invoke("solve", str(path), "--lang", lang)
        assert done.returncode == 2 and f"bad.yaml:{line}: " in done.stderr and words in done.stderr


# --------------------------------------------------------------------------- Chinese


@pytest.mark.parametrize("pid", [f"ex{n}" for n in range(18, 26)])
def test_zh_tensor_views_say_biao_liang_and_reference_answers(pid):
    """zh solve and Markdown: a shapeless node is 标量, never `scalar`; the values of a
    `published:` block are 参考答案 (ex18-ex25's are PyTorch's, not the source's: not 原文),
    as the English says "published" for both."""
    solved = invoke("solve", pid, "--lang", "zh", width=100).stdout
    exported = invoke("export", pid, "--lang", "zh", width=100).stdout
    for out in (solved, exported):
        assert "scalar" not in out and "原文" not in out
        assert "参考答案" in out and "个全部与计算一致" in out
    english = invoke("solve", pid, "--lang", "en", width=100).stdout
    assert "published values agree" in english
    assert ("(scalar)" in english) == ("(标量)" in solved)  # the loss of ex18, ex24...


def test_zh_wordings_of_ex21_and_ex19_and_the_shared_uses_line():
    ex21 = catalog.load("ex21").statement.get("zh")
    assert "两个输出分支都以 z 为输入" in ex21 and "写成 2×2 矩阵" in ex21
    assert "检查每个梯度的形状是否与对应的量相同" in catalog.load("ex19").statement.get("zh")
    out = invoke("solve", "ex24", "--lang", "zh", width=100).stdout
    assert "mu 被用了 2 次，其梯度为各处贡献之和" in out and "被使用" not in out
    assert "mu is used 2 times" in invoke("solve", "ex24", width=100).stdout


@pytest.mark.parametrize("lang, words", [("en", "cosine schedule"), ("zh", "cosine 学习率调度")])
def test_schedule_takes_lang(lang, words):
    done = invoke("schedule", "cosine", "-n", "20", "--lang", lang, width=100)
    assert done.returncode == 0 and words in done.stdout


def test_schedule_honours_bptutor_lang_from_the_environment():
    """The default of --lang is read from BPTUTOR_LANG when the program starts: a process."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "BPTUTOR_LANG": "zh"}
    done = subprocess.run(
        [sys.executable, "-m", "tutor", "schedule", "step", "-n", "10"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0 and "step 学习率调度" in done.stdout


# --------------------------------------------------------------------------- ex20 and ReLUs


def _ex20_inactive_by_torch(lr: float) -> tuple[int, int]:
    """ex20's ReLU units of a1 at 0 before and after one SGD step, in PyTorch float64."""
    torch = pytest.importorskip("torch")
    import torch.nn.functional as F  # noqa: N812

    leaves = catalog.load("ex20").leaves

    def t(name):
        return torch.tensor(np.asarray(leaves[name], dtype=float), dtype=torch.float64)

    x, target = t("x")[None], t("t")
    params = {n: t(n).requires_grad_() for n in ("K1", "b1", "K2", "b2")}

    def a1_and_loss(p):
        a1 = F.relu(F.conv2d(x, p["K1"], p["b1"].reshape(-1)))
        z2 = F.conv2d(a1, p["K2"], p["b2"].reshape(-1))[0]
        return a1, ((z2 - target) ** 2).sum() / 2

    a1, loss = a1_and_loss(params)
    loss.backward()
    moved = {n: (p - lr * p.grad).detach() for n, p in params.items()}
    after, _ = a1_and_loss(moved)
    return int((a1 == 0).sum()), int((after == 0).sum())


def test_ex20_rate_switches_no_unit_off_and_solve_says_so(tmp_path):
    assert _ex20_inactive_by_torch(0.01) == (7, 7)
    assert _ex20_inactive_by_torch(0.1) == (7, 15)  # the old rate: 8 more off
    assert catalog.load("ex20").update.lr == 0.01
    en = invoke("solve", "ex20", width=200).stdout
    assert "ReLU units inactive (output 0) after the step: 7 of 18 in a1 (7 before)" in en
    zh = invoke("solve", "ex20", "--lang", "zh", width=200).stdout
    assert "更新后不激活（输出为 0）的 ReLU 单元：a1 的 18 个中有 7 个（更新前 7 个）" in zh
    old = catalog.resolve("ex20").read_text(encoding="utf-8").replace("lr: 0.01", "lr: 0.1")
    old = old.split("\npublished:")[0] + "\n"
    path = tmp_path / "ex20_fast.yaml"
    path.write_text(old, encoding="utf-8")
    for lang, words in (
        ("en", "15 of 18 in a1 (7 before); the step switched 8 off"),
        ("zh", "a1 的 18 个中有 15 个（更新前 7 个）；这一步关掉了 8 个"),
    ):
        for command in ("solve", "export"):
            assert words in invoke(command, str(path), "--lang", lang, width=200).stdout


@pytest.mark.parametrize(
    "args, words",
    [
        (("solve", "ex2"), "ReLU units inactive (output 0) after the step: 0 of 1 (0 before)"),
        (("export", "ex2"), "ReLU units inactive (output 0) after the step: 0 of 1 (0 before)"),
        (("solve", "ex5"), "ReLU units inactive (output 0) after the step: 0 of 3 (0 before)"),
        (("solve", "ex6"), "after the step: 0 of 2 in a1 (0 before)"),
        (("solve", "ex6", "--view", "scalar"), "after the step: 0 of 2 (0 before)"),
        (("solve", "ex2", "--lang", "zh"), "ReLU 单元：1 个中有 0 个（更新前 0 个）"),
    ],
)
def test_every_kind_with_relus_says_how_many_units_the_step_left_inactive(args, words):
    """Scalar (ex2, ex5), a `network:` file in both views (ex6), tensor (ex20, above): one
    feature. Hand counts: ex2's h = ReLU(z) is 1 unit; ex5 has 2 hidden and 1 output ReLU."""
    assert words in invoke(*args, width=200).stdout


def test_no_relu_no_inactive_line():
    assert "ReLU units" not in invoke("solve", "ex4", width=200).stdout


# --------------------------------------------------------------------------- ex20 part (4)


@pytest.mark.parametrize(
    "lang, words, asked",
    [
        (
            "en",
            ["K1 2×1×2×2 (8), b1 2×1 (2)", "K2 1×2×2×2 (8), b2 1×1 (1)", "in all"],
            "How many parameters does the layer z1 = conv2d_bias(x, K1, b1) have?",
        ),
        (
            "zh",
            ["K1 2×1×2×2 (8), b1 2×1 (2)", "K2 1×2×2×2 (8), b2 1×1 (1)", "合计"],
            "层 z1 = conv2d_bias(x, K1, b1) 有多少个参数？",
        ),
    ],
)
def test_ex20_parameter_counts_are_shown_in_solve_export_and_the_quiz(tmp_path, lang, words, asked):
    """Part (4) answered: solve and export list each layer's parameters (computed from the
    shapes; the remark keeps the rule, not the numbers, which the quiz asks after it); the
    quiz asks them. The counts against the given tensors' own sizes."""
    leaves = catalog.load("ex20").leaves
    assert leaves["K1"].size + leaves["b1"].size == 10
    assert leaves["K2"].size + leaves["b2"].size == 9
    f, c, k = leaves["K2"].shape[:3]  # 1 filter over 2 channels, 2×2
    assert f * (k * k * c + 1) == 9
    for out in (
        invoke("solve", "ex20", "--lang", lang, width=300).stdout,
        invoke("export", "ex20", "--lang", lang, width=300).stdout,
    ):
        for w in words:
            assert w in out, w
        assert "f·(k·k·c + 1)" in out  # the remark's rule
    quiz = skipped_quiz(tmp_path, "ex20", lang, width=300).stdout
    assert asked in quiz and "#params(z1) = ?" in quiz and "#params = ?" in quiz
    assert "= 10" not in quiz.split(asked)[0]  # no count shown before it is asked


def test_a_concept_question_quizzes_a_convolutions_parameter_count():
    from tutor.problems import concepts

    q = next(q for q in concepts.load_bank() if q.id == "conv-parameter-count")
    f, k, c = 2, 2, 2  # the question's layer
    right = [o for o in q.options if o.correct]
    assert [o.text.en for o in right] == [str(f * (k * k * c + 1))] and q.see == "ex20"
    assert {o.text.zh for o in q.options} == {o.text.en for o in q.options}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_scalar_problems_remark_shows_in_solve_export_and_the_quiz(tmp_path, lang):
    """`remarks:` is one feature for every kind: a scalar problem's gradient row, its
    document and its quiz question say it too."""
    text = (
        catalog.resolve("ex2")
        .read_text(encoding="utf-8")
        .replace(
            "update: {optimizer: sgd, lr: 0.01}\n",
            "update: {optimizer: sgd, lr: 0.01}\n"
            "remarks:\n  dL/dw1: {en: 'w1 meets x1 = 1 only', zh: 'w1 只与 x1 = 1 相乘'}\n",
        )
    )
    path = tmp_path / "ex2_remark.yaml"
    path.write_text(text, encoding="utf-8")
    words = {"en": "w1 meets x1 = 1 only", "zh": "w1 只与 x1 = 1 相乘"}[lang]
    answers = tmp_path / "skips.txt"
    answers.write_text("skip\n" * 40, encoding="utf-8")
    for args in (
        ("solve", str(path)),
        ("export", str(path)),
        ("quiz", str(path), "--answers", str(answers), "--db", str(tmp_path / "p.db")),
    ):
        done = invoke(*args, "--lang", lang, width=200)
        assert words in done.stdout, args


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_network_files_remarks_show_in_both_views(tmp_path, lang):
    """A `network:` file's remark may name a matrix (dL/dW2: the matrix view's row, and in
    the scalar view the first entry's, W2_1_1) or an entry (dL/db2_1: in the matrix view,
    b2's row); a name of neither view is still refused at its line."""
    text = (
        catalog.resolve("ex26")
        .read_text(encoding="utf-8")
        .replace(
            "ask: [forward, loss, gradients]\n",
            "ask: [forward, loss, gradients]\nremarks:\n"
            "  dL/dW2: {en: 'on the matrix W2', zh: '关于矩阵 W2'}\n"
            "  dL/db2_1: {en: 'on the entry b2_1', zh: '关于元素 b2_1'}\n"
            "  a1: {en: 'on the value a1', zh: '关于值 a1'}\n",
        )
    )
    path = tmp_path / "net_remark.yaml"
    path.write_text(text, encoding="utf-8")
    on_w = {"en": "on the matrix W2", "zh": "关于矩阵 W2"}[lang]
    on_b = {"en": "on the entry b2_1", "zh": "关于元素 b2_1"}[lang]
    matrix = " ".join(invoke("solve", str(path), "--lang", lang, width=200).stdout.split())
    assert on_w in matrix and on_b in matrix
    # each under its own row: W2's after ∂L/∂W2, b2's after ∂L/∂b2
    assert matrix.index("∂L/∂W2 =") < matrix.index(on_w) < matrix.index("∂L/∂b2")
    assert matrix.index("∂L/∂b2") < matrix.index(on_b)
    scalar = invoke("solve", str(path), "--view", "scalar", "--lang", lang, width=200).stdout
    assert scalar.count(on_w) == 1 and scalar.count(on_b) == 1
    # a forward value's remark: after a1 in the matrix view, after a1_1 in the scalar one and
    # in the exported document
    on_a = {"en": "on the value a1", "zh": "关于值 a1"}[lang]
    assert matrix.index("a1 =") < matrix.index(on_a) < matrix.index("z2 =")
    assert scalar.count(on_a) == 1 and scalar.index("a1_1") < scalar.index(on_a)
    exported = invoke("export", str(path), "--lang", lang).stdout
    assert f"`a1_1` *※ {on_a}*" in exported
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("dL/db2_1:", "dL/dq7:"), encoding="utf-8")
    done = invoke("solve", str(bad))
    assert done.returncode == 2 and re.search(r"bad\.yaml:\d+: remark 'dL/dq7'", done.stderr)


def test_ex25_variants_keep_the_chains_weights_tied():
    """ex25's statement says Ws(l) and Wh(l) are the same numbers and Wr(l) = 2 Wh(l): the
    file writes the ties, and every --random variant keeps them (it drew independent weights
    for the three chains before), with Wh itself drawn anew."""
    from tutor.quiz import session as quiz

    problem = catalog.load("ex25")
    for seed in range(5):
        v = quiz.variant(problem, seed).leaves
        assert not np.array_equal(v["Wh1"], problem.leaves["Wh1"]), seed
        for layer in range(1, 7):
            np.testing.assert_array_equal(v[f"Ws{layer}"], v[f"Wh{layer}"])
            np.testing.assert_array_equal(v[f"Wr{layer}"], 2 * v[f"Wh{layer}"])


def test_set_moves_the_tied_values_and_a_tied_value_set_by_hand_stays():
    from tutor.variants import matrix

    problem = catalog.load("ex25")
    moved = matrix.with_values(problem, ["Wh1=[0.1, 0.2; 0.3, 0.4]"]).leaves
    np.testing.assert_array_equal(moved["Ws1"], [[0.1, 0.2], [0.3, 0.4]])
    np.testing.assert_array_equal(moved["Wr1"], [[0.2, 0.4], [0.6, 0.8]])
    np.testing.assert_array_equal(moved["Wr2"], problem.leaves["Wr2"])
    kept = matrix.with_values(problem, ["Wh1=[0.1, 0.2; 0.3, 0.4]", "Wr1[1,1]=5"]).leaves
    assert kept["Wr1"][0, 0] == 5 and kept["Wr1"][1, 1] == problem.leaves["Wr1"][1, 1]


@pytest.mark.parametrize("lang, words", [("en", "parameter"), ("zh", "参数")])
def test_show_and_export_write_a_tie_under_its_value(lang, words):
    shown = invoke("show", "ex25", "--lang", lang, width=100).stdout
    row = next(i for i, line in enumerate(shown.splitlines()) if line.strip().startswith("Wr1 "))
    assert words in shown.splitlines()[row] and "= 2 Wh1" in shown.splitlines()[row + 1]
    exported = invoke("export", "ex25", "--lang", lang).stdout
    assert r"$= 2 \, \mathrm{Wh}_{1}$" in exported


@pytest.mark.parametrize(
    "tie, words",
    [
        ("Wq", "Wq"),  # a name never given
        ("Wr2", "Wr2"),  # given after it
        ("Wh1 @ Wh1 @ x @ x", "Wr1"),  # shapes that do not fit
    ],
)
def test_a_tie_that_cannot_be_computed_is_an_error_at_its_line(tmp_path, tie, words):
    text = catalog.resolve("ex25").read_text(encoding="utf-8")
    text = text.replace("  Wr1: 2 * Wh1\n", f"  Wr1: {tie}\n")
    path = tmp_path / "tied.yaml"
    path.write_text(text, encoding="utf-8")
    line = next(i for i, x in enumerate(text.splitlines(), 1) if x.startswith("  Wr1:"))
    done = invoke("validate", str(path))
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert f"tied.yaml:{line}:" in done.stderr and words in done.stderr, done.stderr


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_nodes_the_loss_does_not_read_are_named_once_not_a_row_of_zeros_each(tmp_path, lang):
    """ex28's twelve L(X ± hE) nodes were each a δ = 0 row: a node the loss does not read,
    even through others, is named in one line (solve and export); a node it reads keeps its
    row, even where its δ is 0."""
    path = tmp_path / "side.yaml"
    path.write_text(
        "id: side\ntitle: {en: t, zh: t}\nstatement: {en: s, zh: s}\n"
        "inputs: {x: [1, 2]}\nparams: {W: [[1, -1]]}\n"
        "graph:\n  z: W @ x\n  L: sum(z)\n  side: sum(x) * 2\n  twice: side * 2\nloss: L\n",
        encoding="utf-8",
    )
    words = {"en": "the loss does not read", "zh": "都不读取"}[lang]
    out = invoke("solve", str(path), "--lang", lang, width=120).stdout
    line = next(x for x in out.splitlines() if words in x)
    assert line.endswith("twice, side") or "twice, side" in line, line
    assert "δ(side) =" not in out and "δ(twice) =" not in out and "δ(z) =" in out
    exported = invoke("export", str(path), "--lang", lang).stdout
    assert words in exported and "twice, side" in exported


def test_a_tie_past_the_bound_is_refused_before_it_is_computed(tmp_path):
    """x (2000×1) tied as W = x xᵀ would be 4,000,000 numbers: refused at its line from the
    shapes, before any is computed (given tensors hold 1,000,000 numbers at most)."""
    x = ", ".join(["1"] * 2000)
    path = tmp_path / "big.yaml"
    path.write_text(
        "id: big\ntitle: {en: t, zh: t}\nstatement: {en: s, zh: s}\n"
        f"inputs:\n  x: [{x}]\nparams:\n  W: x @ transpose(x)\ngraph:\n  L: sum(W)\n",
        encoding="utf-8",
    )
    done = invoke("validate", str(path))
    assert done.returncode == 2 and "big.yaml:7: 'W' = x @ transpose(x): more than 1,000,000" in (
        done.stderr
    )
