"""The built-in catalogue, problem by problem: every problem loads, solves, exports in en and
zh, and its values agree with an independent source (a hand computation written out here,
NumPy, or SymPy differentiating the explicit formula)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import shared
import sympy as sp
from cli_runner import invoke
from solution_values import after_values, forward_values, new_values

from tutor.engine import scalar as engine
from tutor.problems import catalog
from tutor.registry.functions import symbol
from tutor.solutions import explain
from tutor.variants import scalar as variants
from tutor.views import document as export

IDS = [f.stem for f in catalog.builtin_files()]
NEW = [
    "ex5",
    "ex6",
    "ex7",
    "ex8",
    "ex9",
    "ex10",
    "ex11",
    "ex12",
    "ex13",
    "ex14",
    "ex15",
    "ex16",
    "ex17",
]


solved = shared.solved  # each catalogue problem solved once in the session


# --------------------------------------------------------------------------- the whole catalogue


def test_the_catalogue_holds_the_new_problems():
    assert set(NEW) <= set(IDS)


def test_list_shows_every_problem():
    run = invoke("list", width=200)
    assert run.returncode == 0, run.stderr
    for pid in IDS:
        assert re.search(rf"^\s*{pid}\s", run.stdout, re.M), pid


@pytest.mark.parametrize("pid", IDS)
def test_every_problem_solves_and_exports_in_both_languages(pid):
    """Every kind of problem (scalar, network, tensor, symbolic) through the same entry points:
    `shared.solved` (the API's dispatch) and the Markdown export of `bptutor export`."""
    solution = solved(pid)
    p = solution.problem
    assert p.title.en and p.title.zh and p.statement.en and p.statement.zh
    if not p.symbolic:
        values = forward_values(solution).values()
        assert all(np.isfinite(np.asarray(v, dtype=float)).all() for v in values), pid
    for lang in ("en", "zh"):
        text = shared.markdown(pid, lang)
        assert text.startswith(f"# {pid}: {p.title.get(lang)}")
        headings = [line for line in text.splitlines() if line.startswith("## ")]
        gradients = "Gradients" if lang == "en" else "梯度"
        assert any(gradients in h for h in headings) == (
            "gradients" in p.asks and not p.symbolic
        ), (pid, lang, headings)
    outside = re.sub(r"\$\$.*?\$\$", "", text, flags=re.S)
    inline = re.findall(r"(?<![$\\])\$([^$\n]+)\$(?!\$)", outside)
    assert inline, "names and equations are inline math"
    # every formula of every problem is typeset by KaTeX in test_export (and the core
    # problems' by matplotlib's mathtext too)


FORWARD_ONLY = ["ex9", "ex15", "ex16", "ex17"]


@pytest.mark.parametrize("pid", FORWARD_ONLY)
def test_forward_only_problems_show_no_backward_pass(pid):
    solution = solved(pid)
    assert solution.problem.asks == ("forward",)
    text = shared.markdown(pid)
    assert "chain rule" not in text and "## Update" not in text


# --------------------------------------------------------------------------- ex5 (seed 004, 2.1)


def test_ex5_relu_network_by_hand():
    s = solved("ex5")
    x1, x2, t = 0.2, 0.3, 0.5
    v11, v21, v12, v22, w11, w21 = 0.6, 0.2, 0.1, 0.7, 0.5, 0.8
    a1, a2 = v11 * x1 + v21 * x2, v12 * x1 + v22 * x2  # 0.18, 0.23: both positive
    beta = w11 * a1 + w21 * a2  # 0.274
    y = beta
    E = 0.5 * (y - t) ** 2
    f = forward_values(s)
    assert f["alpha1"] == pytest.approx(0.18) and f["alpha2"] == pytest.approx(0.23)
    assert f["beta"] == pytest.approx(0.274) and f["y"] == pytest.approx(0.274)
    assert s.loss == pytest.approx(E) and s.loss == pytest.approx(0.025538)
    g = -(y - t)  # the seed's g = −∂E/∂β = 0.226 (ReLU' = 1 everywhere here)
    assert s.node_grads["beta"] == pytest.approx(-0.226)
    expected = {  # η = 1: w + g·b_h, v + w·g·x (old w)
        "w11": w11 + g * a1,
        "w21": w21 + g * a2,
        "v11": v11 + w11 * g * x1,
        "v21": v21 + w11 * g * x2,
        "v12": v12 + w21 * g * x1,
        "v22": v22 + w21 * g * x2,
    }
    assert new_values(s) == pytest.approx(expected)
    assert expected == pytest.approx(
        {
            "w11": 0.54068,
            "w21": 0.85198,
            "v11": 0.6226,
            "v21": 0.2339,
            "v12": 0.13616,
            "v22": 0.75424,
        }
    )
    n = expected
    y_new = (n["v11"] * x1 + n["v21"] * x2) * n["w11"] + (n["v12"] * x1 + n["v22"] * x2) * n["w21"]
    assert after_values(s)["y"] == pytest.approx(y_new, abs=1e-12)
    assert y_new == pytest.approx(0.3212453271, abs=1e-10)
    assert s.loss_after == pytest.approx(0.5 * (y_new - t) ** 2)
    assert s.loss_after < s.loss
    assert s.errata == () and len(s.checks) >= 19


# --------------------------------------------------------------------------- ex6 (softmax + CE)


def ex6_reference():
    x = np.array([1.0, 2.0])
    W1, b1 = np.array([[0.1, 0.2], [0.3, -0.1]]), np.array([0.0, 0.1])
    W2, b2 = np.array([[0.5, -0.3], [0.2, 0.4], [-0.1, 0.6]]), np.array([0.1, 0.0, -0.1])
    y = np.array([0.0, 1.0, 0.0])
    z1 = W1 @ x + b1
    a1 = np.maximum(z1, 0)
    z2 = W2 @ a1 + b2
    p = np.exp(z2 - z2.max()) / np.exp(z2 - z2.max()).sum()
    loss = -np.sum(y * np.log(p))
    d2 = p - y
    d1 = (W2.T @ d2) * (z1 > 0)
    return dict(p=p, loss=loss, d2=d2, dW2=np.outer(d2, a1), dW1=np.outer(d1, x), d1=d1)


def test_ex6_softmax_cross_entropy_against_numpy():
    s = solved("ex6")
    ref = ex6_reference()
    f = forward_values(s)
    assert [f[f"a2_{k}"] for k in (1, 2, 3)] == pytest.approx(ref["p"])
    assert s.loss == pytest.approx(ref["loss"])
    for k in (1, 2, 3):  # dL/dz_k = ŷ_k − y_k
        assert s.node_grads[f"z2_{k}"] == pytest.approx(ref["d2"][k - 1])
        assert s.node_grads[f"b2_{k}"] == pytest.approx(ref["d2"][k - 1])
        for j in (1, 2):
            assert s.node_grads[f"W2_{k}_{j}"] == pytest.approx(ref["dW2"][k - 1, j - 1])
    for i in (1, 2):
        assert s.node_grads[f"b1_{i}"] == pytest.approx(ref["d1"][i - 1])
        for j in (1, 2):
            assert s.node_grads[f"W1_{i}_{j}"] == pytest.approx(ref["dW1"][i - 1, j - 1])
    assert s.loss_after < s.loss


def test_ex6_uses_the_stable_form_and_sums_three_softmax_paths():
    problem = catalog.load("ex6")
    graph = engine.build_graph(problem)
    assert graph.node("L").fused  # log(softmax) evaluated as z_k − logsumexp(z)
    s = explain.solve(problem, graph=graph)
    chain = next(g for g in s.gradients if g.wrt == "W2_1_1")
    assert len(chain.paths) == 3
    assert {p.factors[0].of + "<-" + p.factors[0].wrt for p in chain.paths} == {
        "L<-a2_1",
        "L<-a2_2",
        "L<-a2_3",
    }
    block = export.chain(s, chain)
    assert block.count(r"\frac{\partial L}{\partial a^{(2)}") == 3


# --------------------------------------------------------------------------- seed 002 examples


def test_ex7_mse_of_one_price():
    s = solved("ex7")
    assert s.loss == pytest.approx((2.38 - 2.41) ** 2) and s.loss == pytest.approx(0.0009)
    assert s.node_grads["yhat"] == pytest.approx(2 * (2.38 - 2.41))
    assert s.errata == ()


def test_ex8_cross_entropy_drops_zero_probability_terms():
    s = solved("ex8")
    assert s.loss == pytest.approx(-math.log(0.6)) and s.loss == pytest.approx(0.5108256, abs=1e-7)
    grads = {f"yhat{j}": s.node_grads[f"yhat{j}"] for j in range(1, 11)}
    assert grads.pop("yhat3") == pytest.approx(-1 / 0.6)
    assert set(grads.values()) == {0.0}
    assert "log(yhat4)" not in s.problem.graph[0].text  # no 0·log 0 is ever evaluated
    assert s.errata == ()


def test_ex9_least_squares_against_numpy_and_the_erratum():
    s = solved("ex9")
    x = np.array([25, 27, 31, 33, 35.0])
    y = np.array([110, 115, 155, 160, 180.0])
    a, b = np.polyfit(x, y, 1)
    f = forward_values(s)
    assert f["a"] == pytest.approx(a) and f["a"] == pytest.approx(496 / 68.8)
    assert f["b"] == pytest.approx(b) and f["b"] == pytest.approx(-73.7209, abs=1e-4)
    assert f["eps"] == pytest.approx(np.sum((a * x + b - y) ** 2))
    assert [c.quantity.text for c in s.errata] == ["b"]


# --------------------------------------------------------------------------- symbolic (seed 004)


def test_ex10_sigmoid_derivatives_agree_with_sympy_on_the_explicit_formula():
    s = solved("ex10")
    x = symbol("x")
    explicit = 1 / (1 + sp.exp(-x))
    as_x = {symbol("s"): explicit}
    first = s.local[("s", "x")].expr.xreplace(as_x)
    assert sp.simplify(first - sp.diff(explicit, x)) == 0
    second = next(g for g in s.gradients if g.wrt == "x").total.xreplace(as_x)
    assert sp.simplify(second - sp.diff(explicit, x, 2)) == 0
    assert s.errata == () and len(s.checks) == 3


def test_ex11_log_softmax_gradient_agrees_with_sympy():
    s = solved("ex11")
    xs = [symbol(f"x{k}") for k in (1, 2, 3)]
    total = sum(sp.exp(v) for v in xs)
    explicit = {symbol(f"p{k}"): sp.exp(xs[k - 1]) / total for k in (1, 2, 3)}
    log_p1 = xs[0] - sp.log(total)
    for k in (1, 2, 3):
        engine_form = next(g for g in s.gradients if g.wrt == f"x{k}").total
        expected = (1 if k == 1 else 0) - explicit[symbol(f"p{k}")]  # δ_ik − p_k
        assert sp.simplify(engine_form.xreplace(explicit) - expected) == 0
        assert sp.simplify(sp.diff(log_p1, xs[k - 1]) - expected) == 0
    assert s.errata == ()


# --------------------------------------------------------------------------- backward rules


@pytest.mark.parametrize(
    "pid, expected",
    [
        ("ex12", {"x1": 0.3, "x2": 0.0, "x3": 0.7}),  # upstream g_i where x_i > 0, else 0
        ("ex13", {"x1": 0.0, "x2": 2.0, "x3": 0.0, "x4": 0.0}),  # all of g to the maximum 1.2
        ("ex14", {"x1": 0.5, "x2": 0.5, "x3": 0.5, "x4": 0.5}),  # g/4 to each position
    ],
)
def test_backward_rules_route_the_upstream_gradient(pid, expected):
    s = solved(pid)
    assert {n: s.node_grads[n] for n in expected} == pytest.approx(expected)


def test_pooling_outputs():
    assert forward_values(solved("ex13"))["y"] == 1.2
    assert forward_values(solved("ex14"))["y"] == pytest.approx((0.4 + 1.2 - 0.3 + 0.9) / 4)


# --------------------------------------------------------------------------- counting


def test_ex15_fully_connected_parameter_count():
    s = solved("ex15")
    f = forward_values(s)
    counts = [(160000 + 1) * 40000, (40000 + 1) * 2000, (2000 + 1) * 100]
    assert [f["layer1"], f["layer2"], f["layer3"]] == counts
    assert f["total"] == sum(counts) == 6_480_242_100
    bad = [(c.quantity.text, c.published) for c in s.errata]
    assert bad == [("total", "≈ 6.4 × 10^9")]  # 6.48e9 is 6.5e9 at two figures
    assert "6,480,242,100" in shared.markdown("ex15")  # a count is printed with every digit


def test_ex16_convolutional_parameter_count():
    f = forward_values(solved("ex16"))
    expected = {
        "conv1": 3 * (5 * 5 * 1 + 1),
        "conv2": 5 * (4 * 4 * 3 + 1),
        "conv3": 5 * (4 * 4 * 5 + 1),
        "fc": 401 * 100,
    }
    assert {k: f[k] for k in expected} == expected
    assert f["total"] == 40828


def test_ex17_operation_counts_for_the_students_numbers():
    f = forward_values(solved("ex17"))
    assert f["forward_mults"] == 3 * 100**2 and f["backward_mults"] == 3 * (3 * 100**2 + 200)
    run = invoke("export", "ex17", "--set", "L=10", "--set", "n=1000")
    assert run.returncode == 0, run.stderr
    found = re.findall(r"^\| `(\w+)` \|.*\| ([\d,.e+-]+) \|$", run.stdout, re.M)
    rows = {name: float(value.replace(",", "")) for name, value in found}  # 10,000,000
    assert rows["forward_mults"] == 10 * 1000**2
    assert rows["backward_mults"] == 10 * (3 * 1000**2 + 2 * 1000)
    assert rows["ratio"] == pytest.approx(3.002)


@pytest.mark.parametrize("pid", IDS)
def test_every_problem_quizzes_and_numeric_ones_draw_random_variants(pid):
    """Every kind of problem through the quiz's own entry points (`quiz.session.variant`,
    `open_session`): questions, and random variants (seeds 0, 1) with finite values and
    questions of their own; a symbolic problem refuses `--random` in one line, as the README
    says ("What does not apply")."""
    from tutor.errors import TutorError
    from tutor.quiz import session as quiz

    problem = catalog.load(pid)
    assert quiz.open_session(problem).questions, pid
    if problem.symbolic:
        with pytest.raises(TutorError, match="symbolic: --random needs a numeric problem") as e:
            quiz.variant(problem, 0)
        assert "\n" not in str(e.value)
        return
    for seed in (0, 1):
        drawn = quiz.variant(problem, seed)
        assert drawn.leaves.keys() == problem.leaves.keys()
        session = quiz.open_session(drawn, seed=seed)
        values = forward_values(session.solution).values()
        assert all(np.isfinite(np.asarray(v, dtype=float)).all() for v in values), (pid, seed)
        assert session.questions, (pid, seed)


# --------------------------------------------------------------------------- content wording


def content_files():
    """Every YAML file of the built-in content: problems and concept questions."""
    return sorted(catalog.builtin_dir().rglob("*.yaml"))


def test_the_concept_bank_passes_the_content_check():
    """Part of the catalogue check: each concept question has exactly one keyed answer and
    an explanation per option in both languages (tutor.problems.concepts refuses the file otherwise)."""
    from tutor.problems import concepts

    bank = concepts.load_bank()
    assert bank and concepts.bank_files()
    for q in bank:
        assert sum(o.correct for o in q.options) == 1, q.id
        for o in q.options:
            assert o.explanation.en.strip() and o.explanation.zh.strip(), (q.id, o.text.en)


@pytest.mark.parametrize(
    "wrong, right", [("上一层", "后一层"), ("震荡", "振荡")], ids=["direction", "oscillation"]
)
def test_no_content_uses_the_wrong_chinese_word(wrong, right):
    """The upstream gradient comes from 后一层 (nearer the output, seed 002); 上一层 reads as
    the input side. 振荡 is the physics word for oscillation."""
    for path in content_files():
        assert wrong not in path.read_text(encoding="utf-8"), (path.name, f"{wrong} → {right}")


STATEMENT_WORDING = [  # (problem, field, language, must contain, must not contain)
    (
        "ex1",
        "statement",
        "zh",
        ["没有隐藏层的网络（即单个神经元）", "逻辑回归"],
        ["没有隐藏层的神经元"],
    ),
    ("ex1", "statement", "en", ["single neuron", "logistic regression"], []),
    ("ex1", "title", "en", ["Logistic regression"], []),
    ("ex1", "title", "zh", ["逻辑回归"], []),
    ("ex3", "title", "zh", ["½"], []),
    ("ex12", "statement", "zh", ["为便于计算", "后一层"], ["为了具体"]),
    ("ex12", "statement", "en", ["next layer"], ["layer above"]),
    ("ex13", "statement", "en", ["next layer"], ["layer above"]),
    ("ex14", "statement", "en", ["next layer"], ["layer above"]),
    ("ex6", "statement", "en", ["a2_k", "Derive", "check"], ["Show", "ŷ_k"]),
    ("ex6", "statement", "zh", ["a2_k", "推导", "验证"], ["ŷ_k"]),
]


@pytest.mark.parametrize(
    "pid, field, lang, present, absent",
    STATEMENT_WORDING,
    ids=[f"{w[0]}-{w[1]}-{w[2]}" for w in STATEMENT_WORDING],
)
def test_statement_wording(pid, field, lang, present, absent):
    text = getattr(catalog.load(pid), field).get(lang)
    for words in present:
        assert words in text, (pid, words)
    for words in absent:
        assert words not in text, (pid, words)


def test_ex1_kind_names_the_model():
    """A sigmoid neuron trained with cross-entropy is logistic regression; a perceptron has a
    step output (seed 000 calls it a single-layer perceptron)."""
    problem = catalog.load("ex1")
    assert problem.kind == "logistic-regression"
    assert ("sigmoid(z)" in problem.graph[1].text) and "log" in problem.graph[2].text


def test_ex17_counts_terms_that_add_up_to_its_total():
    """Per layer: n² (Wᵀδ) + n (product with σ′) + n² (δ·aᵀ) + n² + n (learning rate) =
    3n² + 2n, which is what its backward_mults equation computes."""
    problem = catalog.load("ex17")
    en = problem.statement.en
    for term in (
        "n² for Wᵀδ",
        "n for the\n    elementwise product",
        "n² for the outer product",
        "(n² for W, n for b)",
        "3n² + 2n per layer",
        "first layer needs no Wᵀδ",
    ):
        assert " ".join(term.split()) in " ".join(en.split()), term
    n, layers = 7, 5
    solution = explain.solve(variants.with_values(problem, [f"n={n}", f"L={layers}"]))
    values = {s.name: s.value for s in solution.forward}
    assert values["backward_mults"] == layers * ((n * n) + n + (n * n) + (n * n + n))


@pytest.mark.parametrize("pid", IDS)
def test_every_gradient_agrees_with_finite_differences(pid):
    """The engine's gradients of every numeric catalogue problem, every given value, against
    central differences of its loss (the engine tests do the same on their fixtures)."""
    from test_engine import central_difference

    problem = shared.with_numbers(catalog.load(pid))  # a symbolic one at a point
    if problem.tensor:  # the tensor engine, every given value, entry by entry
        from test_tensor_catalogue import finite_differences

        from tutor.engine import tensor

        point = tensor.evaluate(problem, problem.leaves)
        for name in problem.leaves:
            fd = finite_differences(problem, problem.leaves, name)
            assert np.allclose(point.grads[name], fd, rtol=1e-6, atol=1e-7), name
        return
    graph = engine.build_graph(problem)
    leaves = engine.numeric_leaves(problem)
    solution = explain.solve(problem) if catalog.load(pid).symbolic else solved(pid)
    for name in problem.leaves:
        fd = central_difference(graph.compiled, leaves, name)
        assert solution.node_grads[name] == pytest.approx(fd, rel=1e-6, abs=1e-7), name
