"""Tests for tutor.views.terminal: renderables printed on a fixed-width console, compared as text."""

from __future__ import annotations

import functools
import io
import re

import pytest
import shared
from rich.console import Console

from tutor.problems import catalog
from tutor.solutions import explain
from tutor.text import linebreak
from tutor.views import terminal as render

solved = shared.solved  # each catalogue problem solved once in the session


@pytest.fixture(autouse=True, scope="module")
def rules():
    linebreak.install()  # tests/test_linebreak.py uninstalls them; the CLI always has them
    yield


def text_of(*renderables, width: int = 100) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None, highlight=False)
    for r in renderables:
        console.print(r)
    return console.file.getvalue()


def steps_text(ref: str, lang: str = "en") -> str:
    return text_of(*render.solution_steps(solved(ref), lang))


def rows(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines()]


def test_ex2_forward_table_has_equations_numbers_and_values():
    out = text_of(render.forward_table(solved("ex2")))
    table = {r[0]: r for r in rows(out) if r}
    assert "1×1 + 1×2 + 0" in out and "1/2×(6 - 2)^2" in out
    assert "1/2·(ŷ - y)^2" in out and "yhat" not in out and "*" not in out
    assert table["z"][-2:] == ["3", "✓"]
    assert table["h"][-2:] == ["3", "✓"]
    assert table["ŷ"][-2:] == ["6", "✓"]
    assert table["L"][-2:] == ["8", "✓"]


def test_ex2_solution_has_chains_update_and_verdict():
    out = steps_text("ex2")
    assert "∂L/∂ŷ · ∂ŷ/∂h · ∂h/∂z · ∂z/∂w1" in out
    assert "= 4 × 2 × 1 × 1 = 8" in out
    assert "= 4 × 2 × 1 × 2 = 16" in out
    assert "= 4 × 3 = 12" in out
    assert "Update (sgd, η = 0.01)" in out
    update = {r[0]: r for r in rows(text_of(render.update_table(solved("ex2")))) if r}
    assert update["w1"] == ["w1", "1", "8", "0.92"]
    assert update["w2"] == ["w2", "1", "16", "0.84"]
    assert update["b1"] == ["b1", "0", "8", "-0.08"]
    assert update["w3"] == ["w3", "2", "12", "1.88"]
    assert update["b2"] == ["b2", "0", "4", "-0.04"]
    assert "Forward pass after the update" in out and "4.6976" in out
    assert "loss before 8 → after 3.63852: it went down" in out
    assert "all 17 published values agree" in out


def test_ex2_in_chinese():
    out = steps_text("ex2", "zh")
    assert "前向传播" in out and "反向传播：链式法则" in out and "已下降" in out


def test_ex4_marks_the_erratum_where_it_occurs():
    out = steps_text("ex4")
    # in the chain table's row for W2_1_1: the computed gradient, a mark, what the source says
    row = next(line for line in out.splitlines() if line.lstrip().startswith("W2_1_1   ∂C/"))
    assert "-0.0575363 ✗" in row and "source" in row and "-0.0287" in row
    update = next(line for line in out.splitlines() if "0.505754" in line)
    assert "✗" in update and "0.50287" in update
    assert "✓" in next(line for line in out.splitlines() if "-0.199053" in line)
    assert "Errata: ex4" in out


def test_ex1_symbolic_chain_and_simplified_result():
    out = steps_text("ex1")
    assert "Derivation" in out or "in the given names" in out
    assert "(ŷ - y)·x1" in out.replace(" · ", "·") or "x1·(ŷ - y)" in out.replace(" · ", "·")
    assert "Update" not in out


def test_relu_zero_note_is_shown():
    solution = explain.solve(catalog.load("tests/fixtures/relu_zero.yaml"))
    out = text_of(*render.solution_steps(solution))
    assert "Notes" in out and "ReLU'(0) is taken as 0" in out


def test_many_paths_show_the_delta_recurrence():
    solution = explain.solve(catalog.load("tests/fixtures/many_paths.yaml"))
    out = text_of(render.chains(solution))
    assert "delta recurrence" in out and "upstream" in out and "Σ =" in out


def test_statement_shows_given_values_only():
    out = text_of(render.statement(solved("ex2").problem))
    assert "Given" in out and "w3" in out
    assert "✓" not in out and "Forward pass" not in out


def test_graph_tree_has_values_and_gradients():
    out = text_of(render.graph_tree(solved("ex2")))
    assert out.splitlines()[0] == "L = 1/2·(ŷ - y)^2 = 8  grad 1"  # equation, value, gradient
    assert "w1 = 1  grad 8" in out and "b2 = 0  grad 4" in out
    # inputs in the order the equation names them: ŷ = w3·h + b2
    names = [line.split("── ")[1].split()[0] for line in out.splitlines()[1:5]]
    assert names == ["ŷ", "w3", "h", "z"]


def test_graph_tree_marks_a_shared_node_only_after_it_was_drawn():
    lines = text_of(render.graph_tree(solved("ex6")), width=200).splitlines()
    for i, line in enumerate(lines):
        if "(shown above)" in line:
            name = line.split("── ")[1].split()[0]
            drawn = [
                j
                for j, other in enumerate(lines)
                if f"── {name} " in other and "(shown above)" not in other
            ]
            assert drawn and drawn[0] < i, (name, i)


def test_chain_factors_function_calls_bare_negative_numbers_in_parentheses():
    out = text_of(render.chains(solved("ex2")))
    assert "= (ŷ - y) · w3 · step(z) · x1" in out and "(step(z))" not in out
    out = text_of(render.chains(solved("ex4")), width=80)
    assert "× (-1) = 0.0204527" in out and "× -1" not in out


@pytest.mark.parametrize("width", [60, 80])
def test_chain_lines_wrap_under_their_own_text(width):
    lines = text_of(render.chains(solved("ex4")), width=width).splitlines()
    i = next(i for i, line in enumerate(lines) if "= (2·(a2_1 - y))" in line)
    col = lines[i].index("(2·(a2_1")
    assert lines[i + 1][:col].strip() == "" and lines[i + 1][col] != " "
    if width == 60:  # the numbers of W1_1_1's chain: one line at 80
        j = next(j for j, line in enumerate(lines) if "= -0.822203 × 0.242097 × 0.5" in line)
        col = lines[j].index("-0.822203")
        assert lines[j + 1][:col].strip() == "" and lines[j + 1][col] != " "


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_chain_too_wide_for_its_gradient_beside_it_has_the_gradient_under_it(lang):
    """ex4 at 60 columns: a chain of five factors and a gradient column widened by its
    erratum mark do not fit side by side, so the gradient is the chain's last line, its
    mark after it, and each factor of the chain is whole (was `(a2_1·(1 -⏎a2_1))`)."""
    lines = text_of(render.chains(solved("ex4"), lang), width=60).splitlines()
    wide = text_of(render.chains(solved("ex4"), lang), width=200).splitlines()
    assert max(len(line.rstrip()) for line in lines) <= 60
    factor = "(a2_1·(1 - a2_1)) ·"
    assert sum(factor in line for line in lines) == sum(factor in line for line in wide) > 8
    source = render.label(lang, "source_short", p="-0.0287")
    row = next(i for i, line in enumerate(lines) if line.strip().startswith("W2_1_1"))
    under = next(line for line in lines[row:] if "-0.0575363 ✗" in line and "×" not in line)
    assert under.strip() == f"= -0.0575363 ✗ {source}"
    # wide enough: the gradient in a column of its own, on the chain's first line
    assert any("∂C/∂a2_1 ·" in line and line.rstrip().endswith("-0.0409054") for line in wide)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_forward_row_too_wide_for_its_value_beside_it_has_the_value_under_it(lang):
    """ex9 at 60 columns: ε's five squared terms beside "−73.7209 ≈ source: −73" broke each
    term inside; the value goes under the substituted numbers, `= value`, and every term is
    whole."""
    lines = text_of(render.forward_table(solved("ex9"), lang), width=60).splitlines()
    assert max(len(line.rstrip()) for line in lines) <= 60
    for x, y in (("25", "110"), ("27", "115"), ("31", "155"), ("33", "160"), ("35", "180")):
        assert any(f"(7.2093×{x} + (-73.7209) - {y})^2" in line for line in lines), x
    source = render.label(lang, "source_short", p="-73")  # source: -73, 出处：-73
    assert any(line.strip() == f"= -73.7209 ≈ {source}" for line in lines)
    assert any(line.strip() == "= 94.186" for line in lines)


def test_a_narrow_errata_table_has_the_computed_value_under_the_published_one():
    """ex4's errata at 60 columns: five columns left "why" too narrow for `dC/dW2_1_1 =`
    and folded `adam:m[W2_⏎1_1]`; the computed value goes under the published one."""
    lines = text_of(render.errata_table(solved("ex4")), width=60).splitlines()
    assert max(len(line.rstrip()) for line in lines) <= 60
    assert any("adam:m[W2_1_1]" in line for line in lines)
    assert any(line.strip().endswith("dC/dW2_1_1 =") for line in lines)
    i = next(
        i for i, line in enumerate(lines) if line.split()[:3] == ["59", "dC/dW2_1_1", "-0.0287"]
    )
    right = lines[i].index("-0.0287") + len("-0.0287")
    assert lines[i + 1].strip() == "-0.0575363"
    assert lines[i + 1].index("-0.0575363") + len("-0.0575363") == right


def test_errata_table_in_chinese_has_chinese_headings_and_reasons():
    out = text_of(render.errata_table(solved("ex4"), "zh"))
    header = next(line for line in out.splitlines() if "参考答案" in line)
    assert header.split() == ["行", "变量", "参考答案", "计算值", "差值"]
    assert "相差 0.0288" in out and "differs" not in out
    joined = re.sub(r"\s*\n\s*", "", out)  # a cell may wrap between Chinese characters
    assert "相差 8.34e-5" in joined  # exponents as in every other table, not 8.34e-05
    en = text_of(render.errata_table(solved("ex4")))
    assert "differs by 8.34e-5" in en and "why" in en


def test_adam_moments_get_their_own_table_and_no_number_is_cut_at_80_columns():
    from tutor.variants import scalar as variants

    problem, rule = variants.with_rule(catalog.load("ex4"), optimizer="adam")
    solution = explain.solve(problem, rule=rule)
    for lang in ("en", "zh"):
        out = text_of(render.update_table(solution, lang), width=80)
        assert "…" not in out, out
        for number in ("-0.00575363", "3.31043e-6", "-0.0575363", "0.00331043", "0.816226"):
            assert number in out, number
    assert "优化器状态（Adam）" in out and "未修正新值" in out


def test_reflow_keeps_numbered_items_apart_but_joins_data_and_latin_after_chinese():
    assert (
        explain.reflow("pairs: (25, 110),\n(33, 160).\n(1) Sum them.\n(2) Fit.")
        == "pairs: (25, 110), (33, 160).\n(1) Sum them.\n(2) Fit."
    )
    assert (
        explain.reflow("check δ_ik − p_k\n(1 − p1 for k = i).")
        == "check δ_ik − p_k (1 − p1 for k = i)."
    )
    assert (
        explain.reflow("损失为二分类交叉熵\nL = −[y·ln ŷ]。\n其余位置为\n0（并列时）")
        == "损失为二分类交叉熵 L = −[y·ln ŷ]。其余位置为 0（并列时）"
    )
    assert explain.reflow("上游梯度全部\n传给最大值，\nx 处") == "上游梯度全部传给最大值，x 处"
    assert explain.reflow("- one\n- two\ncontinued") == "- one\n- two continued"


def test_ex9_statement_keeps_the_data_pairs_on_one_paragraph():
    out = text_of(render.statement(solved("ex9").problem), width=200)
    assert "(31, 155), (33, 160), (35, 180)" in out


def test_equations_use_the_names_of_the_tables_and_negative_arguments_keep_one_pair():
    out = text_of(render.forward_table(solved("ex6")), width=160)
    assert "W2_1_1·a1_1 + W2_1_2·a1_2 + b2_1" in out
    assert "softmax(0.29, 0.18, -0.03)[1]" in out and "(-0.03))" not in out
    assert "(-0.3)×0.2" in out  # a negative factor keeps its parentheses
    symbolic = text_of(render.forward_table(solved("ex1")), width=160)
    assert "-(y·log(ŷ) + (1 - y)·log(1 - ŷ))" in symbolic and "yhat" not in symbolic


def test_graph_tree_equations_use_course_names():
    out = text_of(render.graph_tree(solved("ex2")))
    assert "ŷ = w3·h + b2 = 6  grad 4" in out and "yhat" not in out


@functools.cache
def big_mlp():
    import tempfile

    from tutor.problems.loader import load_problem
    from tutor.variants import generate

    with tempfile.TemporaryDirectory() as folder:
        path = f"{folder}/net.yaml"
        with open(path, "w", encoding="utf-8") as f:
            f.write(generate.mlp([3, 32, 32, 2], seed=0))
        return explain.solve(load_problem(path))


def test_large_network_shows_head_and_tail_and_says_how_many_rows_are_hidden():
    solution = big_mlp()
    out = text_of(*render.solution_steps(solution), width=80)
    forward = out.split("Forward pass")[1].split("Loss:")[0]
    names = [line.split()[0] for line in forward.splitlines() if line.strip()]
    # the first rows, an ellipsis, then the outputs and the loss
    assert names.index("z1_1") < names.index("…") < names.index("a3_1") < names.index("L")
    assert "a3_2" in names and "z2_1" not in names
    assert "+97 more (--full)" in out and "+1238 more (--full)" in out
    assert "+1215 more" in out  # the given values
    assert "…        …" in out  # an ellipsis row in every column, no number squeezed
    full = text_of(render.statement(solution.problem, limit=None), width=80)
    assert "more" not in full and "W3_2_32" in full


def test_catalogue_in_chinese_at_80_columns_cuts_no_title_and_translates_what_is_asked():
    out = text_of(render.catalogue(catalog.infos(), "zh"), width=80)
    assert "…" not in out
    assert "前向、损失、梯度、更新" in out and "forward" not in out
    assert "Softmax + 交叉熵" in out and "softmax-ce" not in out  # kinds translated too
    assert "forward, loss, gradients, update" in text_of(render.catalogue(catalog.infos()))


def test_chinese_labels_use_the_full_width_colon():
    out = steps_text("ex4", "zh")
    assert "损失：C = 0.169004" in out and "勘误：ex4" in out
    assert "Loss: C = 0.169004" in steps_text("ex4")


def test_sgd_update_table_states_the_rule_it_applies():
    out = text_of(render.update_table(solved("ex2")))
    assert "new = old − η · gradient" in out
    # w1: 1 - 0.01 · 8 = 0.92, the row the rule describes
    assert next(r for r in rows(out) if r and r[0] == "w1") == ["w1", "1", "8", "0.92"]
    assert "新值 = 原值 − η · 梯度" in text_of(render.update_table(solved("ex2"), "zh"))


def test_symbolic_statement_says_the_answers_are_formulas():
    out = text_of(render.statement(solved("ex1").problem))
    assert "no numbers given: the answers are formulas in these names" in out
    assert "no numbers given" not in text_of(render.statement(solved("ex2").problem))
    assert "没有给出数值" in text_of(render.statement(solved("ex1").problem, "zh"))


def test_delta_form_chains_come_with_every_node_gradient_first():
    """ex6's first-layer weights have many paths: their chains start from an upstream δ, so
    the solution first shows each node's δ, from the loss back, with its own sum over paths."""
    out = steps_text("ex6")
    deltas = out.index("the gradient δ = ∂L/∂node of every node")
    assert deltas < out.index("Backward pass: chain rule")
    block = out[deltas : out.index("Backward pass: chain rule")]
    # a node's δ: softmax + cross-entropy gives ŷ_k - y_k for the logits z2_k
    solution = solved("ex6")
    values = {s.name: s.value for s in solution.forward}
    leaves = {n: float(v) for n, v in solution.problem.leaves.items()}
    for k in (1, 2, 3):
        expected = values[f"a2_{k}"] - leaves[f"y{k}"]
        assert render.fmt(expected) in block
    assert block.index("a2_3") < block.index("z2_3") < block.index("z1_1")  # loss side first
    assert "from the loss back" not in steps_text("ex2")  # one path each: no δ table needed


def test_a_single_factor_is_not_repeated_as_its_own_product():
    out = steps_text("ex6")
    assert "= 0 = 0" not in out


def test_notes_follow_the_language():
    from pathlib import Path

    fixture = Path(__file__).parent / "fixtures" / "relu_zero.yaml"
    solution = explain.solve(catalog.load(str(fixture)))
    assert "ReLU'(0) is taken as 0" in text_of(render.notes(solution, "en"))
    assert "约定 ReLU'(0) = 0" in text_of(render.notes(solution, "zh"))


def test_graph_tree_draws_a_shared_input_once_and_then_only_names_it():
    lines = text_of(render.graph_tree(solved("ex4")), width=200).splitlines()
    entries = [line.split("── ", 1)[1] for line in lines[1:] if "── " in line]
    x1 = [e for e in entries if e.split()[0] == "x1"]
    # x1 feeds z1_1 and z1_2: its value and its one (total) gradient once, then a reference
    assert x1 == ["x1 = 2  grad -0.00117094", "x1 (shown above)"]
    drawn = [e.split()[0] for e in entries if "(shown above)" not in e]
    assert len(drawn) == len(set(drawn))  # nothing drawn twice, leaves included


def _cut_lines(text: str) -> list[str]:
    """Lines with a cell cut short by "…" (rows that only say "…" are elided rows, not cuts;
    "……" is the Chinese ellipsis a statement writes)."""
    lines = [line.replace("……", "") for line in text.splitlines()]
    return [line for line in lines if "…" in line and line.replace("…", "").strip(" │├└─")]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_nothing_is_cut_at_80_columns(lang):
    """`solve` and `graph` of every kind of problem (a tensor one's own views)."""
    from tutor.views import graph
    from tutor.views import matrix as tensor_render

    for f in catalog.builtin_files():
        solution = solved(f.stem)
        tensor = solution.problem.tensor
        views = tensor_render if tensor else render
        out = text_of(*views.solution_steps(solution, lang), graph.tree(solution, lang), width=80)
        assert _cut_lines(out) == [], f.stem
        joined = re.sub(r"\s+", "", out)  # a long cell folds onto the next line, whole
        for step in solution.forward:
            equation = step.text if tensor else render.pretty_equation(step.text)
            assert re.sub(r"\s+", "", equation) in joined, (f.stem, step.name)
            if not tensor:  # a tensor's entries: test_tensor_render
                assert render.fmt(step.value) in joined, step.name


def test_ex17_ratio_equation_is_whole_when_piped_at_80_columns():
    lines = text_of(render.forward_table(solved("ex17")), width=80).splitlines()
    row = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ratio"))
    # the table goes stacked (numbers under their equation) so that the name is whole
    assert "backward_mults/forward_mults" in lines[row] and "…" not in "".join(lines)


def test_loss_verdict_marks_each_published_number_beside_it():
    out = text_of(render.verdict_line(solved("ex4")), width=200).strip()
    assert out == "loss before 0.169004 → after 0.163464 ✗ source: 0.164025: it went down"
    styled = render.verdict_line(solved("ex4"))
    bold_spans = [styled.plain[s.start : s.end] for s in styled.spans if "bold" in str(s.style)]
    assert "it went down" in bold_spans and "✗" not in "".join(
        sp for sp in bold_spans if "went" in sp
    )


# --------------------------------------------------------------------------- table layout


def top_level_terms(formula: str) -> list[str]:
    """`formula` cut after each `=`, `+`, `-`, `−` or `,` outside brackets (written here,
    not taken from tutor/linebreak.py)."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(formula):
        depth += (ch in "([{") - (ch in ")]}")
        if depth == 0 and ch in "=+-−," and formula[i + 1 : i + 2] == " ":
            out.append(formula[start : i + 1].strip())
            start = i + 1
    return [*out, formula[start:].strip()]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("width", [80, 100])
def test_every_top_level_term_of_a_forward_formula_is_on_one_line(width, lang):
    """A table gives a formula column at least its widest top-level term (side by side or,
    when that does not fit, the numbers under the equation): ex9's ε at 100 columns was
    broken inside its terms, `(7.2093×25 + (-73.7209) -⏎110)^2`."""
    from tutor.text.notation import pretty_equation
    from tutor.views import matrix as tensor_render

    for path in catalog.builtin_files():
        s = solved(path.stem)
        if s.problem.tensor:  # its forward pass: each equation over its value, no numbers
            lines = text_of(tensor_render.forward(s, lang), width=width).splitlines()
            forms = [[step.text] for step in s.forward]
        else:
            lines = text_of(render.forward_table(s, lang), width=width).splitlines()
            mark = "·" if s.problem.symbolic else "×"
            forms = [
                [pretty_equation(step.text), pretty_equation(step.substituted, mark)]
                for step in s.forward
            ]
        for step_forms in forms:
            for form in step_forms:
                terms = top_level_terms(form)
                for term in terms if len(terms) > 1 else []:  # one term: may break inside
                    assert any(term in line for line in lines), (path.stem, term)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_at_60_columns_a_formula_goes_under_its_equation_rather_than_being_folded(lang):
    ex6 = text_of(render.forward_table(solved("ex6"), lang, after=True), width=60)
    # was folded by characters beside its equation: "z2_2, z2_3)[1]      , 0.866046,"
    assert "= softmax(-0.208669, 0.866046," in ex6 and "0.17055)[2]" in ex6
    assert not re.search(r"(^|  )[,)]", ex6, re.M)
    ex1 = text_of(render.forward_table(solved("ex1"), lang), width=60)
    assert "-y·log(sigmoid(b + w1·x1 + w2·x2)) -" in ex1  # was broken inside sigmoid( )
    assert max(len(line.rstrip()) for line in ex6.splitlines() + ex1.splitlines()) <= 60


def test_a_column_keeps_its_minimum_width_while_another_can_give():
    """rich shrinks the widest column first, down past what its longest formula term needs;
    the table takes the room from a column that can spare it (here, prose)."""
    table = render.FittingTable("formula", "prose")
    table.add_row(
        "(7.2093×25 + (-73.7209) - 110)^2 + (7.2093×27 + (-73.7209) - 115)^2",
        "words that may wrap anywhere between them " * 2,
    )
    lines = text_of(table, width=50).splitlines()
    assert any("(7.2093×25 + (-73.7209) - 110)^2 +" in line for line in lines)
    assert any("(7.2093×27 + (-73.7209) - 115)^2" in line for line in lines)
