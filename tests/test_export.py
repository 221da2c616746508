"""Tests for the Markdown export (tutor.views.document), read back with a real Markdown parser.

markdown-it-py with the dollarmath plugin finds the tables and math; every formula goes
through matplotlib's mathtext (and KaTeX when node can load it); numbers read from the tables
are compared with the solution and, for ex2, with values derived by hand.
"""

from __future__ import annotations

import functools
import html
import json
import re
import shutil
import subprocess
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
import shared
from cli_runner import invoke
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin
from typer.testing import CliRunner

from tutor.cli import app
from tutor.problems import catalog
from tutor.problems.loader import load_problem
from tutor.solutions import explain
from tutor.views import document as export

FIXTURES = Path(__file__).parent / "fixtures"
CORE = ["ex1", "ex2", "ex3", "ex4"]
NUMBER = re.compile(r"(?<![\w.])[-−]?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


# --------------------------------------------------------------------------- reading Markdown


def parse(text: str):
    md = MarkdownIt("commonmark").enable("table").use(dollarmath_plugin, double_inline=True)
    return md.parse(text)


def cell_text(inline) -> str:
    """A table cell's text with math kept as $...$ and code as its content."""
    out = []
    for child in inline.children or []:
        if child.type == "math_inline":
            out.append(f"${child.content}$")
        else:
            out.append(child.content)
    return "".join(out)


def tables(tokens) -> list[dict]:
    """Each table as {'header': [...], 'rows': [[...]], 'title': previous heading text}."""
    out, title, i = [], "", 0
    while i < len(tokens):
        t = tokens[i]
        if t.type == "heading_open":
            title = tokens[i + 1].content
        if t.type == "table_open":
            header, rows, row, in_head = [], [], [], True
            i += 1
            while tokens[i].type != "table_close":
                k = tokens[i].type
                if k == "thead_close":
                    in_head = False
                elif k == "tr_open":
                    row = []
                elif k == "inline":
                    row.append(cell_text(tokens[i]))
                elif k == "tr_close":
                    (header.extend if in_head else rows.append)(row)
                i += 1
            out.append({"title": title, "header": header, "rows": rows})
        i += 1
    return out


def formulas(tokens) -> list[str]:
    """Every math block and inline formula in the document."""
    out = []
    for t in tokens:
        if t.type == "math_block":
            out.append(t.content.strip())
        for child in t.children or []:
            if child.type.startswith("math_inline"):
                out.append(child.content)
    return out


def blocks(tokens) -> list[str]:
    return [t.content.strip() for t in tokens if t.type == "math_block"]


def first_number(text: str) -> float:
    m = NUMBER.search(text)
    assert m, f"no number in {text!r}"
    return float(m.group(0).replace("−", "-"))


def agrees(printed: str, value: float) -> bool:
    """A number printed with some digits agrees with a value within half its last unit."""
    m = NUMBER.search(printed)
    if not m:
        return False
    d = Decimal(m.group(0).replace("−", "-"))
    half = Decimal(1).scaleb(d.as_tuple().exponent) / 2
    return abs(Decimal(repr(value)) - d) <= half * Decimal("1.000001")


solved = shared.solved  # each catalogue problem solved once in the session
renders = shared.typeset  # raises ValueError on anything mathtext cannot typeset


# --------------------------------------------------------------------------- structure


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("pid", CORE)
def test_export_has_tables_and_math_and_every_formula_renders(pid, lang):
    solution = solved(pid)
    text = shared.markdown(pid, lang)
    tokens = parse(text)
    assert tokens[0].type == "heading_open" and tokens[0].tag == "h1"
    assert solution.problem.title.get(lang) in tokens[1].content
    found = tables(tokens)
    assert len(found) >= 2  # given values and the forward pass at least
    math = formulas(tokens)
    assert blocks(tokens), "the chains are display math"
    for tex in math:
        renders(tex)  # raises ValueError on anything mathtext cannot typeset


def test_zh_export_uses_chinese_statement_and_labels():
    text = shared.markdown("ex2", "zh")
    assert "隐藏单元" in text
    assert "## 前向传播" in text and "## 梯度" in text


def test_zh_export_source_and_errata_reasons_are_chinese():
    text = shared.markdown("ex4", "zh")
    assert "*出处：" in text and "出处:" not in text
    assert "相差 0.0288" in text and "differs by" not in text
    assert "相差 8.34e-5" in text
    assert "*Source: " in shared.markdown("ex4")


def test_chain_blocks_name_every_factor_with_partial_fractions():
    tokens = parse(shared.markdown("ex2"))
    first = blocks(tokens)[0]
    assert first.startswith(r"\frac{\partial L}{\partial w_{1}} = ")
    # L <- yhat <- h <- z <- w1: four factors, written as fractions of partials
    assert first.count(r"\frac{\partial") == 5


# --------------------------------------------------------------------------- numbers


def by_title(found, start: str) -> dict:
    return next(t for t in found if t["title"].startswith(start))


@pytest.mark.parametrize("pid", ["ex2", "ex3", "ex4"])
def test_every_table_number_is_the_engines(pid):
    solution = solved(pid)
    found = tables(parse(shared.markdown(pid)))
    p = solution.problem
    leaves = {n: float(v) for n, v in p.leaves.items()}
    given = by_title(found, "Given")
    assert len(given["rows"]) == len(leaves)
    for row in given["rows"]:
        assert agrees(row[3], leaves[row[1]])
    fwd = by_title(found, "Forward pass")
    values = {s.name: s.value for s in solution.forward}
    assert [r[0] for r in fwd["rows"]] == list(values)
    known = list(leaves.values()) + list(values.values())
    literals = {eq.name: set(NUMBER.findall(eq.text)) for eq in p.graph}
    for row in fwd["rows"]:
        assert agrees(row[3], values[row[0]])
        for number in NUMBER.findall(row[2]):  # numbers substituted: given or computed values
            if number.lstrip("-") in literals[row[0]]:
                continue  # a constant of the equation itself, such as the 1/2 or the ^2
            assert any(agrees(number, v) for v in known), (row, number)
    grads = by_title(found, "Gradients")
    assert [r[1] for r in grads["rows"]] == list(p.params)
    for row in grads["rows"]:
        assert agrees(row[2], solution.node_grads[row[1]])
    upd = by_title(found, "Update")
    by_name = {u.name: u for u in solution.updates}
    for row in upd["rows"]:
        u = by_name[row[1]]
        assert agrees(row[2], u.old) and agrees(row[3], u.grad) and agrees(row[-1], u.new)
    after = by_title(found, "Forward pass after")
    for row, step in zip(after["rows"], solution.forward_after):
        assert agrees(row[3], step.value)


def test_ex2_numbers_match_a_hand_derivation():
    """z = 1+2 = 3, h = 3, ŷ = 6, L = ½·4² = 8; dL/dŷ = 4 so dL/dw3 = 12, dL/dw1 = 4·2·1 = 8,
    dL/dw2 = 16, dL/db1 = 8, dL/db2 = 4; with η = 0.01 each parameter moves by -0.01·grad."""
    found = tables(parse(shared.markdown("ex2")))
    fwd = {r[0]: first_number(r[3]) for r in by_title(found, "Forward pass")["rows"]}
    assert fwd == {"z": 3, "h": 3, "yhat": 6, "L": 8}
    grads = {r[1]: first_number(r[2]) for r in by_title(found, "Gradients")["rows"]}
    assert grads == {"w1": 8, "w2": 16, "b1": 8, "w3": 12, "b2": 4}
    new = {r[1]: first_number(r[-1]) for r in by_title(found, "Update")["rows"]}
    assert new == pytest.approx({"w1": 0.92, "w2": 0.84, "b1": -0.08, "w3": 1.88, "b2": -0.04})
    # after: z = 0.92 + 1.68 - 0.08 = 2.52, ŷ = 1.88·2.52 - 0.04 = 4.6976, L = ½·2.6976²
    after = {r[0]: first_number(r[3]) for r in by_title(found, "Forward pass after")["rows"]}
    assert after["L"] == pytest.approx(0.5 * 2.6976**2, rel=1e-5)


@pytest.mark.parametrize("pid", ["ex2", "ex4"])
def test_chain_values_multiply_to_the_printed_gradient(pid):
    """The numeric line of every chain: the printed factors' product is the printed total."""
    solution = solved(pid)
    chains = blocks(parse(shared.markdown(pid)))
    checked = 0
    for line, total in zip(chains, chains[1:]):
        if r"\times" not in line or "+" in line:
            continue
        factors = [
            first_number(f.replace(r"\left(", "").replace(r"\right)", ""))
            for f in line.lstrip("= ").split(r"\times")
        ]
        product = 1.0
        for f in factors:
            product *= f
        printed = first_number(total.lstrip("= "))
        assert product == pytest.approx(printed, rel=2e-5, abs=1e-12)
        checked += 1
    assert checked == len([g for g in solution.gradients if g.wrt in solution.problem.params])


def test_symbolic_export_shows_the_simplified_gradient_and_no_numbers():
    text = shared.markdown("ex1")
    math = blocks(parse(text))
    assert r"= x_{1} \cdot \left(\hat{y} - y\right)" in math
    assert "## Gradients" not in text and "## Update" not in text


def test_errata_are_listed_published_against_computed():
    solution = solved("ex4")
    found = tables(parse(shared.markdown("ex4")))
    errata = by_title(found, "Errata")
    assert len(errata["rows"]) == len(solution.errata)
    row = next(r for r in errata["rows"] if r[1] == "dC/dW2_1_1")
    assert row[2] == "-0.0287"
    # dC/dW2_1_1 = 2(a2 - 1)·a2(1 - a2)·a1_1 with a1_1 = σ(-0.9), a2 = σ(0.5 a1_1 + 0.2 a1_2 + 0.1)
    import math

    s = lambda v: 1 / (1 + math.exp(-v))  # noqa: E731
    a11, a12 = s(-0.9), s(0.3)
    a2 = s(0.5 * a11 + 0.2 * a12 + 0.1)
    assert agrees(row[3], 2 * (a2 - 1) * a2 * (1 - a2) * a11)


def test_forward_only_problem_has_no_gradient_sections():
    solution = explain.solve(load_problem(FIXTURES / "export_forward_only.yaml"))
    text = export.markdown(solution)
    assert "## Computation" in text  # no gradients asked: a computation, not a forward pass
    for absent in ("chain rule", "## Gradients", "## Update", "**Loss"):
        assert absent not in text
    fwd = by_title(tables(parse(text)), "Computation")
    assert {r[0]: first_number(r[3]) for r in fwd["rows"]} == {"weights": 6, "total": 8}


def test_table_cells_escape_pipes():
    assert export.cell("|x|") == "\\|x\\|"
    assert export.tex_number(3.2e-6) == r"3.2 \times 10^{-6}"


# --------------------------------------------------------------------------- KaTeX


KATEX_MODULES = shared.ROOT / ".katex" / "node_modules"  # `make test` installs it there


@functools.cache
def _katex_env() -> dict | None:
    """The environment in which node can `require('katex')`, or None (asked node once)."""
    import os

    node = shutil.which("node")
    if not node:
        return None
    env = {**os.environ, "NODE_PATH": str(KATEX_MODULES)}
    probe = subprocess.run([node, "-e", "require.resolve('katex')"], capture_output=True, env=env)
    return env if probe.returncode == 0 else None


def test_every_exported_formula_renders_with_katex():
    """Every formula of every catalogue problem's export, en and zh, through KaTeX (as
    GitHub, Obsidian and Typora would show it), in one node process. (The tensor fixtures'
    exports, full and elided: test_tensor_export.test_every_tensor_formula_renders_with_katex,
    which this test once repeated.)"""
    env = _katex_env()
    shared.require(env is not None, "node with KaTeX (make test installs it into .katex/)")
    math = set()
    for pid in [f.stem for f in catalog.builtin_files()]:  # every kind (shared.markdown)
        for lang in ("en", "zh"):
            math.update(formulas(parse(shared.markdown(pid, lang))))
    assert len(math) > 100
    katex_renders(math)


def katex_renders(math) -> None:
    """Every formula of `math` renders with KaTeX (skipped where node cannot load it)."""
    env = _katex_env()
    shared.require(env is not None, "node with KaTeX (make test installs it into .katex/)")
    script = (
        "const k=require('katex');const xs=JSON.parse(require('fs').readFileSync(0,'utf8'));"
        "for(const x of xs){try{k.renderToString(x,{throwOnError:true,displayMode:true});}"
        "catch(e){console.error(x+'\\n'+e.message);process.exitCode=1;}}"
    )
    run = subprocess.run(
        [shutil.which("node"), "-e", script],
        input=json.dumps(sorted(math)),
        text=True,
        capture_output=True,
        env=env,
    )
    assert run.returncode == 0, run.stderr


# --------------------------------------------------------------------------- CLI


runner = CliRunner()


def test_cli_export_to_stdout_and_file(tmp_path):
    result = runner.invoke(app, ["export", "ex3"])
    assert result.exit_code == 0
    assert result.stdout.startswith("# ex3:")
    out = tmp_path / "ex3.md"
    result = runner.invoke(app, ["export", "ex3", "-o", str(out), "--lang", "zh"])
    assert result.exit_code == 0
    assert "## 前向传播" in out.read_text(encoding="utf-8")


def test_cli_export_all_writes_every_problem_and_an_index(tmp_path):
    folder = tmp_path / "solutions"
    run = invoke("export", "--all", "-o", str(folder))
    assert run.returncode == 0, run.stderr
    ids = [f.stem for f in catalog.builtin_files()]
    assert sorted(p.stem for p in folder.glob("*.md")) == sorted(ids + ["index"])
    index = tables(parse((folder / "index.md").read_text(encoding="utf-8")))[0]
    assert [r[0] for r in index["rows"]] == ids
    assert "wrote" in run.stderr


def test_index_says_dash_when_nothing_was_published_and_translates_what_is_asked():
    bare = explain.solve(load_problem(FIXTURES / "many_paths.yaml"))  # publishes nothing
    solutions = [solved("ex2"), bare]
    rows = [r for r in tables(parse(export.index(solutions)))[0]["rows"]]
    ex2 = solved("ex2")
    assert rows[0][4] == f"{len(ex2.errata)} / {len(ex2.checks)}" and rows[1][4] == "—"
    zh = tables(parse(export.index(solutions, "zh")))[0]["rows"]
    assert zh[0][3] == "前向、损失、梯度、更新"


@pytest.mark.parametrize(
    "args, message",
    [
        (["export"], "give one PROBLEM or --all"),
        (["export", "ex2", "--all", "-o", "x"], "give one PROBLEM or --all"),
        (["export", "--all"], "--all needs -o"),
        (["export", "nope"], "unknown problem"),
        (["export", "ex2", "--lang", "fr"], "unknown language"),
    ],
)
def test_cli_export_bad_input_exits_2_with_one_line(args, message):
    run = invoke(*args)
    assert run.returncode == 2
    assert message in run.stderr
    assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1


def test_cli_set_overrides_a_given_value():
    # ex3 with w1 = 3: z = 3·1 + 1·2 + 1 = 6, L = ½(6 - 10)² = 8
    result = runner.invoke(app, ["export", "ex3", "--set", "w1=3"])
    assert result.exit_code == 0
    fwd = by_title(tables(parse(result.stdout)), "Forward pass")
    assert {r[0]: first_number(r[3]) for r in fwd["rows"]} == {"z": 6, "L": 8}
    assert "## Errata" not in result.stdout  # published answers belong to the original numbers


@pytest.mark.parametrize(
    "setting, message",
    [("q=1", "not a given value"), ("w1", "NAME=VALUE"), ("w1=x", "unknown name")],
)
def test_cli_set_refuses_unknown_names_and_bad_values(setting, message):
    run = invoke("solve", "ex3", "--set", setting)
    assert run.returncode == 2 and message in run.stderr


def test_export_shows_the_node_deltas_when_chains_start_from_them():
    text = shared.markdown("ex6", "en")
    assert text.index("## Backward pass: the gradient δ") < text.index(
        "## Backward pass: chain rule"
    )
    two = shared.markdown("ex2", "en")
    assert "the gradient δ" not in two


# --------------------------------------------------------------------------- what a reader sees


def chain_groups(text: str) -> list[list[str]]:
    """The display-math lines under each `###` heading (one chain each)."""
    groups = []
    for section in text.split("\n### ")[1:]:
        groups.append([b for b in blocks(parse(section))])
    return groups


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_forward_equations_keep_the_written_term_order(lang):
    text = shared.markdown("ex2", lang)
    fwd = tables(parse(text))[1]
    rows = {r[0]: r for r in fwd["rows"]}
    # the problem file writes z: w1*x1 + w2*x2 + b1 and yhat: w3*h + b2
    assert rows["z"][1] == r"$z = w_{1} \cdot x_{1} + w_{2} \cdot x_{2} + b_{1}$"
    assert rows["z"][2] == "1*1 + 1*2 + 0"  # the numbers in the same order
    assert rows["yhat"][1] == r"$\hat{y} = w_{3} \cdot h + b_{2}$"
    assert rows["yhat"][2] == "2*3 + 0"


def test_count_equations_keep_the_written_factor_order():
    rows = {
        r[0]: r for r in by_title(tables(parse(shared.markdown("ex15"))), "Computation")["rows"]
    }
    # ex15 writes layer1: (n0 + 1)*n1; SymPy alone prints n_{1} \cdot \left(n_{0} + 1\right)
    assert rows["layer1"][1] == r"$\mathrm{layer}_{1} = \left(n_{0} + 1\right) \cdot n_{1}$"
    assert rows["layer1"][2] == "(160000 + 1)*40000"


def test_no_chain_line_repeats_the_one_before():
    for pid in [f.stem for f in catalog.builtin_files()]:  # every kind (shared.markdown)
        for group in chain_groups(shared.markdown(pid)):
            head, _, first = group[0].partition(" = ")
            assert first != head, (pid, group[0])  # ∂L/∂a = ∂L/∂a says nothing
            for before, after in zip(group, group[1:]):
                assert after != before, (pid, after)
                assert "= " + before.partition(" = ")[2] != after, (pid, after)


def test_ex6_output_probability_delta_is_its_form_then_its_value_once():
    text = shared.markdown("ex6")
    section = text.split(r"### $\frac{\partial L}{\partial a^{(2)}_{3}}$")[1].split("###")[0]
    assert blocks(parse(section)) == [
        r"\frac{\partial L}{\partial a^{(2)}_{3}} = - \frac{y_{3}}{a^{(2)}_{3}}",
        "= 0",
    ]


def test_optimizer_state_headers_that_are_words_are_text():
    from tutor.variants import scalar as variants

    for optimizer, words in (("momentum", ["buffer"]), ("adam", ["new w/o bias correction"])):
        problem, rule = variants.with_rule(catalog.load("ex4"), optimizer)
        text = export.markdown(explain.solve(problem, rule=rule))
        update = by_title(tables(parse(text)), "Update")
        for word in words:
            assert word in update["header"]
        assert not any(re.search(r"\$\w{2,}\$|\\mathrm", h) for h in update["header"])
        if optimizer == "adam":
            assert {"$m$", "$v$", r"$\hat{m}$", r"$\hat{v}$"} <= set(update["header"])


def test_no_errata_section_when_every_published_value_agrees():
    two = shared.markdown("ex2")
    assert "Errata" not in two and "## " + "勘误" not in shared.markdown("ex2", "zh")
    assert two.rstrip().endswith("✓ all 17 published values agree")
    assert "## Errata" in shared.markdown("ex4")  # ex4's source has wrong numbers


def test_loss_verdict_is_plain_text_with_each_mark_beside_its_number():
    lines = [ln for ln in shared.markdown("ex4").splitlines() if "it went down" in ln]
    # seed 003 prints both costs wrong (0.168921 and 0.164025); the verdict itself is right
    assert lines == ["loss before 0.169004 → after 0.163464 ✗: it went down"]
    zh = [ln for ln in shared.markdown("ex2", "zh").splitlines() if "已下降" in ln]
    assert zh == ["损失：更新前 8 → 更新后 3.63852，已下降"]


def test_large_counts_have_separators_that_render_in_math():
    text = shared.markdown("ex15")
    assert "| 6,480,242,100 ✗ |" in text  # the forward table's total
    tex = export.tex_number(6480242100.0)
    assert tex == "6{,}480{,}242{,}100"  # in math: no space after the commas
    renders(tex)


def test_cli_export_all_to_stdout_is_an_error_not_a_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = invoke("export", "--all", "-o", "-")
    assert run.returncode == 2 and "--all needs -o FOLDER" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []  # no folder named "-"
    result = runner.invoke(app, ["export", "ex3", "-o", "-"])  # one problem: - is stdout
    assert result.exit_code == 0 and result.stdout.startswith("# ex3:")


def test_the_loss_line_uses_the_full_width_colon_in_chinese():
    assert "**损失：** $L$ = 8" in export.markdown(solved("ex2"), "zh")
    assert "**Loss:** $L$ = 8" in export.markdown(solved("ex2"), "en")


def test_adam_moments_note_is_a_paragraph_after_the_update_table_not_a_row_of_it():
    from tutor.variants import scalar as variants

    problem, rule = variants.with_rule(catalog.load("ex4"), "adam")
    solution = explain.solve(problem, rule=rule)
    text = export.markdown(solution)
    update = by_title(tables(parse(text)), "Update")
    assert [r[1] for r in update["rows"]] == [u.name for u in solution.updates]  # no extra row
    paragraphs = [t.content for t in parse(text) if t.type == "inline"]
    assert any(p.startswith("m: first-moment estimate") for p in paragraphs)


# --------------------------------------------------------------------------- other people's text

HOSTILE = FIXTURES / "hostile.yaml"
# what the reader of tests/fixtures/hostile.yaml's export must see as text, by language
PAYLOADS = {
    "en": [
        "<script>alert(1)</script>",
        '<a href="javascript:alert(6)">a</a>',
        '<iframe src="javascript:alert(3)"></iframe>',
        "[x](javascript:alert(4))",
        "$$\\href{javascript:alert(5)}{y}$$",
        "<svg onload=alert(7)>",
        "<javascript:alert(8)>",
        "![i](javascript:alert(9))",
        "&lt;script&gt;alert(11)&lt;/script&gt;",
        "`<b>code</b>`",
        "[r]: javascript:alert(10)",
        "# heading",
        "- item",
        "1. item",
        "> quote",
        "| a | b |",
        "|---|---|",
        "```",
        "<details open ontoggle=alert(12)>",
    ],
    "zh": [
        "<img src=x onerror=alert(2)>",
        '<a href="javascript:alert(6)">甲</a>',
        "<script>alert(1)</script>",
        "[x](javascript:alert(4)) $$",
        '<iframe src="javascript:alert(3)"></iframe>',
    ],
}
# what a page made of the export's own markup holds (links: the index's, to .md files)
EXPORT_TAGS = {
    "h1",
    "h2",
    "h3",
    "p",
    "em",
    "strong",
    "code",
    "br",
    "a",
    "ul",
    "li",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "span",
    "div",
}


class Rendered(HTMLParser):
    """The HTML a CommonMark renderer makes of a Markdown text: each element with its
    attributes, and the text a reader sees (entities decoded)."""

    def __init__(self, markdown: str):
        super().__init__(convert_charrefs=True)
        md = MarkdownIt("commonmark").enable("table").use(dollarmath_plugin, double_inline=True)
        self.html = md.render(markdown)
        self.elements: list[tuple[str, dict]] = []
        self.text = ""
        self.feed(self.html)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text += data


def only_text(markdown: str) -> Rendered:
    """Render `markdown` as a browser would get it and check that nothing in it came from a
    file as markup: no script, frame, image or SVG, no on… attribute, no javascript: link,
    no math from a file's text (every formula is the project's: no \\href in one)."""
    page = Rendered(markdown)
    low = page.html.lower()
    for raw in ("<script", "<iframe", "<img", "<svg", "<details", "<b>", "<b "):
        assert raw not in low, raw
    assert {tag for tag, _ in page.elements} <= EXPORT_TAGS
    for tag, attrs in page.elements:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        assert not any("javascript:" in (value or "").lower() for value in attrs.values())
        if tag == "a":
            assert attrs["href"].endswith(".md") and "/" not in attrs["href"]
    assert not [f for f in formulas(parse(markdown)) if "href" in f or "alert" in f]
    return page


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_problem_text_is_text_in_the_markdown_never_html_links_or_math(lang):
    """Issue 23: a problem file's title, statement, source, kind and published text reach a
    Markdown reader as text. Rendered with markdown-it (CommonMark, tables, dollarmath as the
    other tests read it), no payload becomes an element, an attribute, a link or math, and
    each still reads as written; the file's control characters are gone."""
    problem = load_problem(HOSTILE)
    solution = explain.solve(problem)
    texts = {
        "document": export.markdown(solution, lang),
        "handout": export.to_markdown(export.handout(problem, lang)),
        "key": export.to_markdown(export.answer_key(solution, lang)),
        "index": export.index([solution], lang, key=True),
    }
    for name, markdown in texts.items():
        page = only_text(markdown)
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", page.text)
        if name != "index":
            for payload in PAYLOADS[lang]:
                assert payload in page.text, (name, payload)
    index = Rendered(texts["index"])
    title = "<script>alert(1)</script> ]0;pwned[2Jevil" if lang == "en" else "<img src=x "
    assert title in index.text and "<b onmouseover=alert(14)>kind</b>" in index.text
    assert [a["href"] for tag, a in index.elements if tag == "a"] == [
        "hostile.md",
        "hostile.key.md",
    ]
    document = Rendered(texts["document"])
    assert "<img src=x onerror=alert(15)> [2J" in document.text  # the published text, in errata
    # the project's own markup is still markup: its tables and math
    assert tables(parse(texts["document"])) and formulas(parse(texts["document"]))


def test_markdown_text_escapes_what_would_start_markup_and_nothing_else():
    """Inline: <, &entity, $, `, *, ~, a backslash, ] before "(", _ outside a word; at a
    line's start a block marker (and after a first line =, |, : as well)."""
    assert export.md_text("a < b & c > d") == "a \\< b & c > d"
    assert export.md_text("x_i, p_k, softmax(x)_k, _a_") == "x_i, p_k, softmax(x)\\_k, \\_a\\_"
    assert export.md_text("[[0.2, -0.5], [1, 2]] and [a](b) ![c](d)") == (
        "[[0.2, -0.5], [1, 2]] and [a\\](b) ![c\\](d)"
    )
    assert export.md_text("$$ `c` *e* ~s~ \\ &amp; &#106;") == (
        "\\$\\$ \\`c\\` \\*e\\* \\~s\\~ \\\\ \\&amp; \\&#106;"
    )
    assert export.md_text("# h", line_start=True) == "\\# h"
    assert export.md_text("# h") == "# h"  # in the middle of a line: text already
    assert export.md_text("a\n# h\n- i\n+ j\n12. k\n3) l\n> m\n[n]: o") == (
        "a\n\\# h\n\\- i\n\\+ j\n12\\. k\n3\\) l\n\\> m\n\\[n]: o"
    )
    assert export.md_text("|a|\n|---|\n:-:\n===", line_start=True) == "|a|\n\\|---|\n\\:-:\n\\==="


def test_code_spans_hold_any_backticks_and_no_line_break():
    assert export.code("x1") == "`x1`"
    assert export.code("a`b") == "``a`b``"
    assert export.code("``x``") == "``` ``x`` ```"
    assert export.code("a\n<script>") == "`a <script>`"  # a newline could start an HTML block
    for text in ("a`b", "``x``", "`", "a ``` b"):
        md = MarkdownIt("commonmark")
        assert (
            md.render(export.code(text))
            == f"<p><code>{html.escape(text, quote=False)}</code></p>\n"
        )
