"""Tests for the tensor export (tutor.views.matrix_document), read back with a real Markdown parser.

The numbers in the bmatrices are compared with values derived by hand (the course's matrix
recurrences written out in NumPy, independently of the engine) and, where it is installed,
with PyTorch float64 autograd; every formula goes through KaTeX (tests/test_export.py's
check); the |δ| per layer with a hand-written chain.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console
from test_export import blocks, formulas, katex_renders, only_text, parse, tables
from typer.testing import CliRunner

from tests.shared import softmax_net_by_hand
from tutor.cli import app
from tutor.engine.matrix_solve import solve
from tutor.problems.loader import load_problem
from tutor.views import matrix_document as te

TENSOR = Path(__file__).parent / "fixtures" / "tensor"
SOFTMAX, CONV = TENSOR / "softmax_net.yaml", TENSOR / "conv_pool.yaml"
CHAIN, CHAIN_RELU = TENSOR / "deep_chain.yaml", TENSOR / "deep_chain_relu.yaml"
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?: \\times 10\^\{-?\d+\})?")


def solved(path: Path):
    from tutor.solutions import explain

    return explain.with_errata(solve(load_problem(path)))


def matrix_of(tex: str) -> np.ndarray:
    """The (last) bmatrix of a formula as an array."""
    body = tex.rsplit(r"\begin{bmatrix}", 1)[1].split(r"\end{bmatrix}")[0]
    rows = [r.split("&") for r in body.split(r"\\")]

    def number(text: str) -> float:
        text = text.strip()
        if r"\times" in text:
            mantissa, exp = re.fullmatch(r"(\S+) \\times 10\^\{(-?\d+)\}", text).groups()
            return float(mantissa) * 10 ** int(exp)
        return float(text)

    return np.array([[number(c) for c in row] for row in rows])


def display(text: str, lead: str) -> str:
    """The one display formula of a document that starts with `lead`."""
    found = [b for b in blocks(parse(text)) if b.startswith(lead)]
    assert len(found) == 1, (lead, found)
    return found[0]


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


# --------------------------------------------------------------------------- LaTeX pieces


def test_rules_are_written_as_the_course_writes_them():
    """Rule trees (read here from the notation the terminal prints) in the export's LaTeX:
    δ of a layer's z as δ_l (Δ_l of a batch), another node's as δ_name."""
    from tutor.language.matrix_expr import Style, parse

    style = Style(nodes=frozenset({"z1", "z2", "Z2", "a1", "p", "z"}))

    def tex(text: str) -> str:
        return te.tex(parse(text, mode="notation"), style)

    assert tex("W2ᵀ δ(z2)") == r"W_{2}^{\top} \delta_{2}"
    assert tex("δ(a1) ⊙ σ′(z1)") == r"\delta_{a_{1}} \odot \sigma'\left(z_{1}\right)"
    assert tex("δ(a1) ⊙ gelu′(z1)") == (
        r"\delta_{a_{1}} \odot \operatorname{gelu}'\left(z_{1}\right)"
    )
    assert tex("δ(z1) xᵀ") == r"\delta_{1} x^{\top}"
    assert tex("δ(Z2) A1ᵀ") == r"\Delta_{2} A_{1}^{\top}"  # a batch's Δ
    assert tex("W1 x + b1") == r"W_{1} x + b_{1}"
    assert tex("s ⊙ (δ(p) − sᵀ δ(p))") == (r"s \odot \left(\delta_{p} - s^{\top} \delta_{p}\right)")
    assert tex("0.5 sum((yhat − y)²)") == (
        r"\frac{1}{2} \, \operatorname{sum}\left(\left(\hat{y} - y\right)^{2}\right)"
    )  # a number: a plain product
    assert tex("full_conv(δ(z2), flip(K2))") == (
        r"\mathrm{full\_conv}\left(\delta_{2}, \operatorname{flip}\left(K_{2}\right)\right)"
    )
    assert tex("crop₁(dilate₂(δ(z)))") == (
        r"\operatorname{crop}_{1}\left(\operatorname{dilate}_{2}\left(\delta_{z}\right)\right)"
    )
    assert tex("tanh(W x) + exp(x)²") == r"\tanh{\left(W x \right)} + {e^{x}}^{2}"
    assert "^{\\top}^" not in tex("(W1ᵀ)ᵀ")  # no double superscript (a KaTeX error)


def test_bmatrix_elides_large_matrices_unless_full():
    a = np.arange(100.0).reshape(10, 10)
    short = te.bmatrix(a)
    assert short.count(r"\\") == 5  # 3 rows, ⋮, 2 rows
    assert r"\cdots" in short and r"\vdots" in short and r"\ddots" in short
    np.testing.assert_array_equal(
        matrix_of(
            short.replace(r"\cdots", "nan").replace(r"\vdots", "nan").replace(r"\ddots", "nan")
        )[[0, 1, 2, 4, 5]][:, [0, 1, 2, 4, 5]],
        a[[0, 1, 2, 8, 9]][:, [0, 1, 2, 8, 9]],
    )
    full = te.bmatrix(a, full=True)
    assert "dots" not in full
    np.testing.assert_array_equal(matrix_of(full), a)
    assert te.bmatrix(np.array(0.25)) == "0.25"
    assert te.bmatrix(np.array([0.1 + 0.2 - 0.3, 1.0])) == (
        r"\begin{bmatrix} 0 \\ 1 \end{bmatrix}"
    )  # round-off noise is 0
    assert te.bmatrix(np.array([[3.2e-6]])) == r"\begin{bmatrix} 3.2 \times 10^{-6} \end{bmatrix}"


def test_maps_are_one_bmatrix_per_channel_and_many_are_elided():
    maps = np.arange(8 * 2 * 2.0).reshape(8, 2, 2)
    lines = te.value_lines("z_{1}", maps, "z_{1}", False, "en")
    math = [b.tex for b in lines if isinstance(b, te.Display)]
    assert math[0] == r"z_{1} \in \mathbb{R}^{8 \times 2 \times 2}"
    assert [m.split(" = ")[0] for m in math[1:]] == ["z_{1}[1,:,:]", "z_{1}[2,:,:]", "z_{1}[8,:,:]"]
    np.testing.assert_array_equal(matrix_of(math[-1]), maps[7])
    assert any(isinstance(b, te.Para) and "5 more" in b.inline[0] for b in lines)
    full = te.value_lines("z_{1}", maps, "z_{1}", True, "zh")
    assert sum(isinstance(b, te.Display) for b in full) == 9


# --------------------------------------------------------------------------- numbers


_softmax_net_by_hand = softmax_net_by_hand


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_softmax_net_numbers_agree_with_the_hand_derivation(lang):
    text = te.markdown(solved(SOFTMAX), lang)
    hand = _softmax_net_by_hand()

    def close(lead, value):
        np.testing.assert_allclose(matrix_of(display(text, lead)), value, rtol=1e-5, atol=1e-7)

    close("z_{1} = W_{1} x + b_{1} = ", hand["z1"])
    close(r"p = \operatorname{softmax}", hand["p"])
    close(r"\delta_{2} = \frac{\partial L}{\partial z_{2}} = ", hand["d2"])
    close(
        r"\delta_{1} = \frac{\partial L}{\partial z_{1}} = \delta_{a_{1}} \odot a_{1} \odot "
        r"\left(1 - a_{1}\right)",
        hand["d1"],
    )  # σ′ written with the node's output
    close(r"\frac{\partial L}{\partial W_{1}} = \delta_{1} x^{\top} = ", hand["dW1"])
    close(r"\frac{\partial L}{\partial W_{2}} = \delta_{2} a_{1}^{\top} = ", hand["dW2"])
    close(r"W_{1}' = W_{1} - 0.5 \, \frac{\partial L}{\partial W_{1}} = ", hand["W1_new"])
    assert display(text, r"\delta_{a_{1}} = ").split(" = ")[2] == r"W_{2}^{\top} \delta_{2}"
    loss = re.search(r"\$L = ([\d.]+)\$", text)
    assert abs(float(loss[1]) - hand["loss"]) < 5e-5
    words = {
        "en": ("## Forward pass", "## Gradients of the parameters", "Loss before"),
        "zh": ("## 前向传播", "## 参数的梯度", "损失：更新前"),
    }[lang]
    for w in words:
        assert w in text
    shapes = {r[0]: r[2] for r in tables(parse(text))[1]["rows"]}
    scalar = {"en": "scalar", "zh": "标量"}[lang]  # the loss has no axes, named in the language
    assert shapes == {"z1": "4×1", "a1": "4×1", "z2": "3×1", "p": "3×1", "L": scalar}


def test_conv_export_agrees_with_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    problem = load_problem(CONV)
    leaves = {
        k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
        for k, v in problem.leaves.items()
    }
    z1 = F.conv2d(leaves["x"][None], leaves["K"], leaves["c"].reshape(-1))[0]
    z1.retain_grad()
    h = F.max_pool2d(F.relu(z1)[None], 2)[0].reshape(-1, 1)
    loss = 0.5 * ((leaves["w"] @ h + leaves["d"] - leaves["y"]) ** 2).sum()
    loss.backward()
    text = te.markdown(solve(problem), "en", full=True)
    for channel in (0, 1):
        c = channel + 1
        np.testing.assert_allclose(
            matrix_of(display(text, rf"\delta_{{1}}[{c},:,:] = ")),
            z1.grad[channel].numpy(),
            atol=1e-6,
        )
        np.testing.assert_allclose(
            matrix_of(display(text, rf"\frac{{\partial L}}{{\partial K}}[{c},1,:,:] = ")),
            leaves["K"].grad[channel, 0].numpy(),
            atol=1e-6,
        )
    assert display(text, r"\frac{\partial L}{\partial K} = ").startswith(
        r"\frac{\partial L}{\partial K} = \operatorname{corr}\left(x, \delta_{1}\right)"
    )


def test_published_answers_are_checked_in_the_document(tmp_path):
    """As in a scalar problem's document: a line when all agree, else the errata table
    (the course's notation, the difference by hand: |0.42 − 0.5| = 0.08)."""
    text = te.markdown(solved(CONV), "en")
    assert "✓ all 5 published values agree" in text
    wrong = tmp_path / "conv_wrong.yaml"
    wrong.write_text(
        CONV.read_text(encoding="utf-8").replace("yhat: 0.42", "yhat: 0.5"), encoding="utf-8"
    )
    text = te.markdown(solved(wrong), "zh")
    assert "勘误：1 / 5" in text
    row = next(r for r in tables(parse(text))[-1]["rows"] if r[1] == "yhat")
    assert row[2:] == ["0.5", "0.42", "相差 0.08"]


# --------------------------------------------------------------------------- |δ| per layer


def _chain_by_hand(activation, derivative):
    """δ_l = (W_(l+1)ᵀ δ_(l+1)) ⊙ f′(z_l), δ_6 = (a6 − y) ⊙ f′(z6): the chain's |δ_l|."""
    W, b = np.array([[0.9, 0.2], [0.1, 0.8]]), np.array([[0.1], [0.1]])
    a, zs = np.array([[1.0], [0.5]]), []
    for _ in range(6):
        zs.append(W @ a + b)
        a = activation(zs[-1])
    delta = (a - np.array([[0.0], [1.0]])) * derivative(zs[-1])
    norms = [np.linalg.norm(delta)]
    for z in reversed(zs[:-1]):
        delta = (W.T @ delta) * derivative(z)
        norms.append(np.linalg.norm(delta))
    return norms[::-1]


def test_delta_norms_of_the_deep_chains_agree_with_the_hand_recurrence():
    sig = te.delta_norms(solved(CHAIN))
    relu = te.delta_norms(solved(CHAIN_RELU))
    assert [n for n, _ in sig] == [f"z{l}" for l in range(1, 7)]  # layer order
    hand_sig = _chain_by_hand(sigmoid, lambda z: sigmoid(z) * (1 - sigmoid(z)))
    hand_relu = _chain_by_hand(lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(float))
    np.testing.assert_allclose([v for _, v in sig], hand_sig, rtol=1e-12)
    np.testing.assert_allclose([v for _, v in relu], hand_relu, rtol=1e-12)
    assert sig[0][1] / sig[-1][1] < 1e-3  # vanished through five sigmoid layers
    assert relu[0][1] / relu[-1][1] > 0.5  # not through ReLU


def test_delta_norms_in_the_document_and_the_terminal():
    solution = solved(CHAIN)
    text = te.markdown(solution, "en")
    table = next(t for t in tables(parse(text)) if t["title"].startswith("Vanishing"))
    assert [r[1] for r in table["rows"]] == [f"z{l}" for l in range(1, 7)]
    # issue 22: the norms span four decades, so the bars are on a log scale from 1e-5 to 1
    # (a linear bar drew the first layers as nothing): each bar has 8 · 24 · (log10 |δ| + 5) / 5
    # eighths of a cell, and the factor one step down is |δ⁽ˡ⁾| / |δ⁽ˡ⁺¹⁾| by hand
    assert "log scale (1e-5 to 1)" in table["header"][7].replace("−", "-")
    hand = _chain_by_hand(sigmoid, lambda z: sigmoid(z) * (1 - sigmoid(z)))
    eighths = {"": 0, "▏": 1, "▎": 2, "▍": 3, "▌": 4, "▋": 5, "▊": 6, "▉": 7}
    for row, norm in zip(table["rows"], hand):
        bar = row[7]
        drawn = 8 * bar.count("█") + eighths[bar.replace("█", "")]
        assert drawn == round(8 * te.BAR_WIDTH * (np.log10(norm) + 5) / 5), row
    for row, norm, above in zip(table["rows"], hand, hand[1:]):
        assert row[4] == "×" + f"{norm / above:.3g}"
    assert table["rows"][-1][6] == "1" and table["rows"][-1][4] == "—"
    assert "## 梯度消失或爆炸：每层的 |δ|" in te.markdown(solution, "zh")
    assert "Vanishing" not in te.markdown(solved(SOFTMAX))  # two layers: no section
    rows = te.delta_norms(solution)
    console = Console(file=io.StringIO(), width=100)
    console.print(te.norms_table(rows, "zh"))
    console.print(te.norms_chart(rows, "en", width=20))
    out = console.file.getvalue()
    assert "梯度消失" in out and "÷ 最后一层" in out
    chart = [line for line in out.splitlines() if line.strip().startswith("δ(z6)")][-1]
    assert "█" * 16 in chart and "█" * 17 not in chart and "0.163895" in chart  # log scale
    assert te.text_bar(1, 2, 8) == "████" and te.text_bar(0, 2) == ""


def test_text_bar_draws_no_bar_for_a_value_or_scale_that_is_not_a_number():
    """Issue 23: an overflowed |δ| (∞, or nan from ∞ − ∞) crashed the chart ("cannot convert
    float NaN to integer"); it gets no bar, the number beside it says ∞ or nan."""
    inf, nan = float("inf"), float("nan")
    for value, top in ((nan, 1), (inf, 1), (-inf, 1), (1, inf), (1, nan), (nan, nan), (inf, inf)):
        assert te.text_bar(value, top) == ""
    rows = [("z1", 0.5), ("z2", inf), ("z3", nan), ("z4", 1.0)]
    assert te.bar_top(rows) == 1.0  # the finite ones keep their scale
    assert te.bar_top([("z1", nan)]) == 0.0


def test_an_overflowed_chain_is_refused_in_one_line_naming_the_node(tmp_path):
    """ex25 with the first two ReLU weights 1e300: the ReLU chain's second layer overflows
    (1e300 · 2e300). Issue 19: never ∞ or nan with exit 0; one line, file:line, the node, exit 2."""
    from tutor.problems import catalog

    text = catalog.resolve("ex25").read_text(encoding="utf-8")
    for name in ("Wr1", "Wr2"):
        text = re.sub(rf"(?m)^  {name}: .*$", f"  {name}: [[1e300, 1e300], [1e300, 1e300]]", text)
    path = tmp_path / "ex25_overflow.yaml"
    path.write_text(text, encoding="utf-8")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.strip().startswith("zr2:"))
    from cli_runner import invoke

    for command in ("solve", "export"):
        result = invoke(command, str(path), width=200)
        assert result.returncode == 2, result.stderr
        assert f"ex25_overflow.yaml:{line}: node 'zr2' is undefined" in result.stderr
        assert "overflow" in result.stderr and "Traceback" not in result.stderr
        assert "∞" not in result.stdout and "nan" not in result.stdout


def test_the_norm_chart_draws_no_bar_for_an_infinite_or_undefined_norm():
    """The chart's own guard (issue 23), for norms that reach it from elsewhere."""
    assert te.text_bar(float("inf"), 2.0) == ""
    assert te.text_bar(float("nan"), 2.0) == ""
    assert te.text_bar(1.0, 2.0).count("█") == te.BAR_WIDTH // 2


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_tensor_problems_text_is_text_in_the_markdown(lang):
    """Issue 23, as tests/test_export.py checks the scalar writer: the tensor writer's
    document, handout and answer key, rendered with markdown-it, hold no element, attribute,
    link or math from the file's title, statement or source, and show them as written."""
    problem = load_problem(TENSOR / "hostile.yaml")
    solution = solve(problem)
    title = {"en": "<script>alert(1)</script> ]0;pwned[2Jevil", "zh": "onerror=alert(2)> 2J0;t标题"}
    for markdown in (
        te.markdown(solution, lang),
        te.to_markdown(te.handout(problem, lang)),
        te.to_markdown(te.answer_key(solution, lang)),
    ):
        page = only_text(markdown)
        assert title[lang] in page.text
        assert '<iframe src="javascript:alert(3)"></iframe>' in page.text
        assert "[x](javascript:alert(4))" in page.text
        if lang == "en":
            for payload in ("$$\\href{javascript:alert(5)}{y}$$", "[r]: javascript:alert(10)"):
                assert payload in page.text
        assert tables(parse(markdown))  # the export's own tables are still tables


# --------------------------------------------------------------------------- KaTeX, HTML, CLI


def tensor_formulas() -> set[str]:
    """Every formula of every tensor fixture's export, en and zh, full and elided."""
    math = set()
    for path in sorted(TENSOR.glob("*.yaml")):
        solution = solved(path)
        for lang in ("en", "zh"):
            math.update(formulas(parse(te.markdown(solution, lang))))
        math.update(formulas(parse(te.markdown(solution, "en", full=True))))
    return math


def test_every_tensor_formula_renders_with_katex():
    math = tensor_formulas()
    assert len(math) > 100
    katex_renders(math)


def test_html_page_has_mathml_matrices_and_no_latex_left():
    page = te.html(solved(SOFTMAX), "zh")
    assert page.startswith("<!DOCTYPE html>") and 'lang="zh-CN"' in page
    assert "<mtable>" in page and "\\begin" not in page and "\\delta" not in page
    assert "反向传播" in page


runner = CliRunner()


def test_cli_exports_a_tensor_problem_as_markdown_and_html(tmp_path):
    out = tmp_path / "net.md"
    result = runner.invoke(app, ["export", str(SOFTMAX), "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# softmax_net:") and r"W_{2}^{\top} \delta_{2}" in text
    page = tmp_path / "net.html"
    result = runner.invoke(
        app, ["export", str(CHAIN), "-f", "html", "-o", str(page), "--lang", "zh"]
    )
    assert result.exit_code == 0, result.output
    assert "梯度消失" in page.read_text(encoding="utf-8")
    hand = tmp_path / "h.md"
    result = runner.invoke(app, ["export", str(CONV), "--statement-only", "-o", str(hand)])
    assert result.exit_code == 0, result.output
    assert "## Given" in hand.read_text(encoding="utf-8")
    assert "corr" not in hand.read_text(encoding="utf-8")  # no answers in the handout
    assert "corr" in (tmp_path / "h.key.md").read_text(encoding="utf-8")


def test_a_shared_weight_shows_each_share_and_their_sum():
    """∂L/∂W of a weight used at two steps (backprop through time): the share through each
    step, and the total, against torch or the hand recurrence."""
    text = te.markdown(solved(TENSOR / "shared_rnn.yaml"), "en")
    W = np.array([[0.5, -0.4], [0.3, 0.8]])
    b, x = np.array([[0.1], [-0.2]]), np.array([[1.0], [-1.0]])
    h1 = np.tanh(W @ x + b)
    h2 = np.tanh(W @ h1 + b)
    d2 = np.ones((2, 1)) * (1 - h2**2)  # δ through tanh at step 2
    d1 = (W.T @ d2) * (1 - h1**2)
    head = r"\frac{\partial L}{\partial W} = "
    total = display(text, head)
    np.testing.assert_allclose(matrix_of(total), d2 @ h1.T + d1 @ x.T, rtol=1e-5)
    assert "through `h1`:" in text and "through `h2`:" in text
    math = blocks(parse(text))
    share_1 = next(b for b in math if b.startswith(r"\left(\delta_{h_{1}}"))
    share_2 = next(b for b in math if b.startswith(r"\left(\delta_{h_{2}}"))
    np.testing.assert_allclose(matrix_of(share_1), d1 @ x.T, rtol=1e-5)
    np.testing.assert_allclose(matrix_of(share_2), d2 @ h1.T, rtol=1e-5)
    assert r"\left(1 - h_{1}^{2}\right)" in share_1  # tanh′ written with the node's output


def test_the_index_of_export_all_lists_a_tensor_problem():
    from tutor.views import document as export

    rows = export.index_document([solved(CONV)], "en")[1].rows
    assert rows[0][0][0].text == "conv_pool" and rows[0][-1] == ("0 / 5",)
