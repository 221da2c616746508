"""Tests across the views: one number format in every command's output, statements that show
the current given values (`--set`, random variants), and the docs agreeing with the catalogue."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import shared
from typer.testing import CliRunner

from tutor.cli import app
from tutor.errors import ProblemError
from tutor.problems import catalog
from tutor.problems.loader import load_problem, read_doc
from tutor.solutions import explain
from tutor.views import terminal as render

ROOT = Path(__file__).parent.parent
IDS = [f.stem for f in catalog.builtin_files()]
runner = CliRunner()
PADDED_EXPONENT = re.compile(r"\d[eE][+-]0\d")  # 4.67958e-06, 1e+06: Python's :g, not ours


def ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, (args, result.output)
    return result.stdout


# --------------------------------------------------------------------------- numbers


def test_no_view_in_the_golden_snapshot_prints_a_padded_exponent():
    """solve --full, export, graph, check and quiz of every problem, en and zh: test_golden
    holds today's output equal to these files."""
    files = sorted((Path(__file__).parent / "golden").glob("*.txt"))
    assert len(files) == 2 * len(IDS) == 66  # every catalogue problem, tensor ones too
    for path in files:
        found = PADDED_EXPONENT.search(path.read_text(encoding="utf-8"))
        assert not found, (path.name, found)


@pytest.mark.parametrize("pid", IDS)
def test_no_other_command_prints_a_padded_exponent(pid):
    outputs = [ok("show", pid, "--lang", lang) for lang in ("en", "zh")]
    outputs += [ok("graph", pid, "--dot")]
    outputs += [ok("solve", pid, "--optimizer", opt) for opt in ("momentum", "adam")]
    for out in outputs:
        assert not PADDED_EXPONENT.search(out), PADDED_EXPONENT.search(out)


def test_train_and_schedule_print_exponents_like_the_tables():
    out = ok("train", "ex2", "--steps", "50")  # the loss ends near 1e-4
    assert not PADDED_EXPONENT.search(out)
    assert re.search(r"loss 8 → \d\.\d+e-5\n", out)
    out = ok("train", "ex4", "--steps", "20", "--lr", "0.000005")
    assert "η0 = 5e-6" in out and not PADDED_EXPONENT.search(out)
    assert not PADDED_EXPONENT.search(ok("schedule", "cosine", "--lr", "0.001"))


def test_counts_print_with_thousands_separators():
    out = ok("solve", "ex15")
    assert "6,480,242,100" in out and "6480242100" not in out
    assert "6,400,040,000" in out  # (160000 + 1) × 40000, the first layer
    assert "(160000 + 1)×40000" in out  # inside a formula a comma would read as a separator


# --------------------------------------------------------------------------- statements


def test_show_and_solve_reflect_set_values_in_the_statement():
    out = ok("show", "ex17", "--set", "n=1000")
    assert "n = 1000" in out and "n = 100;" not in out
    zh = ok("show", "ex17", "--set", "n=1000", "--lang", "zh")
    assert "n = 1000；" in zh
    out = ok("solve", "ex2", "--set", "x1=5", "--set", "w3=-0.5")
    assert "x1 = 5, x2 = 2" in out and "w3 = -0.5" in out
    text = ok("export", "ex13", "--set", "g=3")
    assert "∂L/∂y = 3; here L = g·y with g = 3" in text


def test_show_refuses_bad_settings_like_solve():
    result = runner.invoke(app, ["show", "ex17", "--set", "q=1"])
    assert result.exit_code != 0 and "not a given value" in str(result.exception)


@pytest.mark.parametrize("pid", IDS)
def test_catalogue_statements_embed_given_values_only_as_placeholders(pid):
    """A number written next to a given value's name would go stale under --set."""
    problem = catalog.load(pid)
    for lang in ("en", "zh"):
        template = getattr(problem.statement, lang)
        for name in problem.leaves:
            shown = re.escape(render.pretty_name(name))
            written = re.search(rf"(?<![\w{{]){shown} = [-−]?\d", template)
            assert written is None, (pid, lang, written and written.group(0))


@pytest.mark.parametrize("pid", IDS)
def test_every_placeholder_is_filled_with_the_current_value(pid):
    """`--set` through the quiz's entry point (`quiz.session.variant`) on every kind of
    problem: a scalar's number, a tensor's first entry (`W1[1,1]=…`), a symbolic problem given
    a number; the statement (`show`'s text) then holds the new value where its placeholder
    is, in the kind's number format (every digit grouped; a tensor's 4 figures)."""
    import numpy as np

    from tutor.quiz import session as quiz
    from tutor.views import matrix as matrix_view

    problem = catalog.load(pid)
    # the first given value that is not a target (a cross-entropy's must stay a distribution)
    leaves = [(n, v) for n, v in problem.leaves.items() if n not in problem.targets]
    name, value = (leaves or list(problem.leaves.items()))[0]
    index = ",".join("1" * np.ndim(value)) if problem.tensor else ""
    changed = quiz.variant(problem, None, [f"{name}{index and f'[{index}]'}=424242"])
    statement_text = matrix_view.statement_text if problem.tensor else explain.statement_text
    for lang in ("en", "zh"):
        shown = statement_text(changed, lang)
        assert "{" not in shown, (pid, lang)
        if "{" + name + "}" in getattr(problem.statement, lang):
            assert ("4.242e5" if problem.tensor else "424,242") in shown, (pid, lang)


def test_loader_refuses_a_placeholder_that_is_not_a_given_value(tmp_path):
    text = (ROOT / "problems" / "ex3.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("With x1 = {x1}", "With x1 = {x9}"), encoding="utf-8")
    with pytest.raises(ProblemError) as caught:
        load_problem(bad)
    message = str(caught.value)
    assert "'{x9}' is not a given value" in message and "bad.yaml:" in message


# --------------------------------------------------------------------------- docs


def test_errata_doc_describes_ex2_published_values_as_ex2_yaml_has_them():
    doc = (ROOT / "docs" / "errata.md").read_text(encoding="utf-8")
    row = next(line for line in doc.splitlines() if line.startswith("| 000 ReLU network | ex2 |"))
    published = {p.key.text for p in catalog.load("ex2").published}
    local = {"dyhat/dw3", "dyhat/db2", "dz/dw1", "dz/dw2", "dz/db1"}  # the five local factors
    assert local <= published
    assert "not listed" not in row and f"{len(published)} values" in row


# --------------------------------------------------------------------------- facts, then the display step
# Issue 9: the engine returns facts; which chains are listed path by path, the tidy forms of
# derivatives, the substituted rows and the errata checks are a step after solving (explain).

FIXTURES = ROOT / "tests" / "fixtures"


def _imports(module: str) -> set[str]:
    import ast

    tree = ast.parse((ROOT / "tutor" / module).read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names.add(node.module or "")
            names.update(f"{node.module or ''}.{a.name}".lstrip(".") for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_the_engine_writes_no_prose_and_grades_nothing():
    for path in sorted((ROOT / "tutor" / "engine").glob("*.py")):
        module = f"engine/{path.name}"
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"[\u3000-\u9fff]", source), f"Chinese text in {module}"
        imports = _imports(module)
        words = {w for n in imports for w in n.split(".")}
        assert not words & {"errata", "notation", "messages"}, module
        assert "PATH_LIMIT" not in source and "_tidy" not in source, module


def test_export_takes_nothing_from_the_terminal_renderer():
    assert not any("render" in name for name in _imports("views/document.py"))


def test_engine_notes_are_data_and_the_views_word_them():
    from tutor.engine import scalar as engine
    from tutor.model.solution import Note
    from tutor.solutions import explain
    from tutor.views import document as export

    problem = load_problem(FIXTURES / "relu_zero.yaml")  # z = 1·1 + (-1) = 0 exactly
    assert engine.solve(problem).notes == (Note("relu_at_zero", "h", {"arg": "z"}),)
    text = export.markdown(explain.solve(problem), "zh")
    assert "- z 恰好为 0：约定 ReLU'(0) = 0，所以梯度不会经过 h 往回传。" in text


def test_the_engine_gives_the_recurrence_and_explain_lists_few_paths():
    from tutor.engine import scalar as engine
    from tutor.solutions import explain

    problem = load_problem(FIXTURES / "shared_paths.yaml")
    facts = next(g for g in engine.solve(problem).gradients if g.wrt == "b")
    assert facts.delta_form and {p.factors[-1].of for p in facts.paths} == {"z1", "z2"}
    shown = next(g for g in explain.solve(problem).gradients if g.wrt == "b")
    assert not shown.delta_form
    assert {tuple(f.of for f in p.factors) for p in shown.paths} == {
        ("L", "o1", "h", "z1"),
        ("L", "o2", "h", "z1"),
        ("L", "o1", "z2"),
        ("L", "o2", "z2"),
    }
    # by hand, as the fixture's comment derives it
    from solution_values import shared_paths_dL_db

    assert sum(p.value for p in shown.paths) == pytest.approx(shared_paths_dL_db(), rel=1e-12)
    # eight routes (2 × 2 × 2) are more than a reader follows: the recurrence stays
    many = explain.solve(load_problem(FIXTURES / "many_paths.yaml"))
    assert next(g for g in many.gradients if g.wrt == "w").delta_form
    assert explain.PATH_LIMIT == 6


def test_derivatives_are_tidied_for_showing_not_for_computing():
    import sympy as sp

    from tutor.engine import scalar as engine
    from tutor.registry.functions import symbol
    from tutor.solutions import explain
    from tutor.text.notation import text

    problem = load_problem(FIXTURES / "answers.yaml")
    graph = engine.build_graph(problem)
    y, yhat = symbol("y"), symbol("yhat")
    # what is lambdified is SymPy's own derivative of L, untouched
    assert graph.node("L").local["yhat"] == sp.diff(problem.graph[2].expr, yhat)
    shown = explain.solve(problem, graph=graph)
    assert text(shown.local[("L", "yhat")].expr) == "(ŷ - y)/(ŷ·(1 - ŷ))"
    assert shown.local[("L", "yhat")].value == pytest.approx(-2)  # -y/ŷ + (1-y)/(1-ŷ) at ŷ = ½
    assert sp.simplify(shown.local[("L", "yhat")].expr - ((yhat - y) / (yhat * (1 - yhat)))) == 0


def test_forward_rows_are_values_in_the_engine_and_text_in_explain():
    from tutor.engine import scalar as engine
    from tutor.solutions import explain

    problem = load_problem(FIXTURES / "answers.yaml")
    step = engine.solve(problem).forward[0]
    assert step.inputs == {"w": 0.5, "x": 2.0, "b": -1.0} and step.substituted == ""
    assert explain.solve(problem).forward[0].substituted == "0.5*2 + (-1)"


def test_published_answers_are_checked_after_solving():
    from tutor.engine import scalar as engine
    from tutor.solutions import explain

    problem = load_problem(FIXTURES / "answers.yaml")
    assert engine.solve(problem).checks == ()
    solution = explain.solve(problem)
    assert [(c.quantity.text, c.ok) for c in solution.checks] == [
        ("z", True),
        ("dL/dw", True),
        ("dL/db", False),
    ]
    bad = solution.errata[0]
    assert (bad.reason, bad.difference) == ("differs", pytest.approx(0.1))  # -0.5 vs -0.6


def test_render_and_export_follow_one_section_plan(monkeypatch):
    import io

    from rich.console import Console

    from tutor.solutions import explain
    from tutor.views import document as export

    problem = load_problem(FIXTURES / "answers.yaml")
    solution = explain.solve(problem)
    assert explain.sections(solution) == (
        "given",
        "forward",
        "loss",
        "chains",
        "gradients",
        "update",
        "after",
        "verdict",
        "errata",
    )
    forward_only = explain.solve(load_problem(FIXTURES / "export_forward_only.yaml"))
    assert "chains" not in explain.sections(forward_only)
    monkeypatch.setattr(explain, "sections", lambda s: ("after", "given", "errata"))
    console = Console(file=io.StringIO(), width=100, color_system=None)
    for part in render.solution_steps(solution, "en"):
        console.print(part)
    shown = console.file.getvalue()
    text = export.markdown(solution, "en")
    for out in (shown, text):
        assert out.index("Forward pass after the update") < out.index("Given")
        assert "Gradients" not in out and "Backward pass" not in out
        assert "Forward pass\n" not in out and "## Forward pass\n" not in out


# --------------------------------------------------------------------------- solve ⊆ export


def _rich_tables(text: str) -> dict[str, list[str]]:
    """A terminal view's tables: title -> the first cell of each row (rows start with two
    spaces; a wrapped cell's next lines start with more)."""
    lines = text.splitlines()
    out: dict[str, list[str]] = {}
    for k, line in enumerate(lines):
        if not re.fullmatch(r" [━─]+ *", line) or k < 3:
            continue
        title = lines[k - 3].strip()
        cells = []
        for row in lines[k + 1 :]:
            if not row.strip():
                break
            if re.match(r"  \S", row):
                cells.append(row.split()[0])
        out[title] = cells
    return out


def _tensor_shown(text: str) -> set[tuple[str, str]]:
    """What the matrix view of `solve` shows: ("value", z1) per forward step, ("gradient", W1)
    per δ or gradient, ("update", W1) per updated parameter, ("after", z1) per node after the
    update."""
    shown: set[tuple[str, str]] = set()
    section = "value"
    for line in text.splitlines():
        if line.startswith(("Update (", "参数更新（")):
            section = "update"
        elif line.startswith(("Forward pass after the update", "更新后的前向传播")):
            section = "after"
        m = re.match(r"(δ\((\w+)\)|∂\w+/∂(\w+)) = .*   \(", line)
        if m:
            shown.add(("gradient", m[2] or m[3]))
            continue
        m = re.match(r"(\w+) = .*   \((?:scalar|[\d×]+)\)", line)
        if m and section in ("value", "after"):
            shown.add((section, m[1]))
        m = re.fullmatch(r"(\w+)( ✓| ✗.*)?", line)
        if m and section == "update":
            shown.add(("update", m[1]))
    return shown


def _in_tensor_export(solution, kind: str, name: str, text: str, html: bool, lang: str) -> bool:
    """Whether a tensor document shows the quantity: a δ or gradient as its heading, a value
    as a row of the forward table (or of the one after the update), an updated parameter as
    a row of the update table or after it."""
    from tutor.text.messages import say
    from tutor.views.html import mathml
    from tutor.views.matrix_document import delta_tex, partial_tex

    p = solution.problem
    if kind == "gradient":
        node = any(eq.name == name for eq in p.graph)
        head = (
            f"{delta_tex(name)} = {partial_tex(p.loss, name)}"
            if node
            else partial_tex(p.loss, name)
        )
        return (mathml(head) if html else f"### ${head}$") in text
    cell = f"<code>{name}</code>" if html else f"| `{name}` |"
    after = say(lang, "after")
    before, _, later = text.partition(f"<h2>{after}</h2>" if html else f"## {after}\n")
    if kind == "value":
        return cell in before
    if kind == "after":
        return cell in later
    update = say(lang, "update_rule", opt="", lr="").split(" (")[0].split("（")[0]
    updated = text.partition(f"<h2>{update}" if html else f"## {update}")[2]
    return cell in updated.partition(f"<h2>{after}</h2>" if html else f"## {after}\n")[0]


@pytest.mark.parametrize("pid", IDS)
def test_export_shows_every_quantity_solve_shows(pid):
    """Every value, δ, gradient and updated value `solve` shows is in `export`, Markdown and
    HTML, en and zh (the matrix view's input gradients, ∂L/∂X of ex24, included). A network:
    file's `export` is its per-weight document, compared with `solve --view scalar`."""
    from tutor.engine.matrix_solve import solve as solve_tensor
    from tutor.views import matrix_document as tensor_export
    from tutor.views.html import page

    problem = catalog.load(pid)
    for lang in ("en", "zh"):
        if problem.tensor:
            solution = solve_tensor(problem)
            shown = _tensor_shown(ok("solve", pid, "--lang", lang, "--full"))
            assert {k for k, _ in shown} >= {"value", "gradient"}, pid
            md = tensor_export.markdown(solution, lang)
            html = page(tensor_export.document(solution, lang), lang)
            for kind, name in sorted(shown):
                assert _in_tensor_export(solution, kind, name, md, False, lang), (
                    pid,
                    lang,
                    kind,
                    name,
                )
                assert _in_tensor_export(solution, kind, name, html, True, lang), (
                    pid,
                    lang,
                    kind,
                    name,
                )
            continue
        args = ["solve", pid, "--lang", lang, "--full"]
        if "network" in read_doc(catalog.resolve(pid)).data:
            args += ["--view", "scalar"]
        terminal = _rich_tables(ok(*args))
        md = ok("export", pid, "--lang", lang)
        html = ok("export", pid, "--lang", lang, "-f", "html")
        from test_export import parse, tables

        exported = {t["title"]: t["rows"] for t in tables(parse(md))}
        everywhere = {c for rows in exported.values() for row in rows for c in row}
        for title, names in terminal.items():
            if all(n.isdigit() for n in names):
                continue  # the errata table: line numbers, not quantities
            # the chain table (no table in the document: its chains are display math) shows
            # the gradients of the gradients table
            cells = {c for row in exported.get(title, []) for c in row} or everywhere
            for name in names:
                plain = name.replace("ŷ", "yhat")
                assert plain in cells, (pid, lang, title, name)
                assert f"<code>{plain}</code>" in html, (pid, lang, title, name)


# --------------------------------------------------------------------------- simplified


@pytest.mark.parametrize("pid", IDS)
def test_no_view_shows_an_unsimplified_rule(pid):
    """solve (en, zh), export (Markdown, HTML; en, zh) and, for a tensor or network: problem,
    --at on every entry of every gradient (test_entries renders ex18–ex25's): no (1 ⊘ 2) ⊙
    2(…), no + −, no sqrt(…)², no ((…)) around a single term."""
    from rich.console import Console

    from tutor.engine.matrix_solve import solve as solve_tensor
    from tutor.problems import network as tensor_network
    from tutor.views.matrix import _ix, element_chain

    outputs = []
    for lang in ("en", "zh"):
        outputs.append(ok("solve", pid, "--lang", lang, "--full"))
        outputs.append(ok("export", pid, "--lang", lang))
        outputs.append(ok("export", pid, "--lang", lang, "-f", "html"))
    problem = catalog.load(pid)
    network = "network" in read_doc(catalog.resolve(pid)).data
    if network:
        problem = tensor_network.load(catalog.resolve(pid))
    if (problem.tensor or network) and pid not in shared.ENTRY_SWEPT:  # those: test_entries
        solution = solve_tensor(problem)
        for d in solution.deltas:
            for at in np.ndindex(d.value.shape):
                key = f"d{problem.loss}/d{d.name}{_ix(at, d.value.shape)}"
                for lang in ("en", "zh"):
                    console = Console(width=100, record=True, color_system=None)
                    console.print(element_chain(solution, key, lang))
                    outputs.append(console.export_text())
    for out in outputs:
        assert shared.unsimplified(out) == [], (pid, shared.unsimplified(out))
