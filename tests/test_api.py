"""Tests for the Python API (tutor.api, docs/api.md): values from hand derivations, what a
notebook shows (Markdown, HTML, SVG or text, never terminal escape codes), and that
`import tutor` stays cheap."""

from __future__ import annotations

import shutil
import subprocess
import sys
from fractions import Fraction

import pytest
import shared

import tutor
from tutor.errors import InputError, NotFound, TutorError
from tutor.views import document as export

MINE = """\
id: mine
title: {en: One weight, zh: 一个权重}
statement: {en: "yhat = w*x, L = (yhat - y)^2", zh: "yhat = w*x，L = (yhat - y)^2"}
inputs: {x: 2}
targets: {y: 3}
params: {w: 0.5}
graph:
  yhat: w*x
  L: (yhat - y)^2
update: {optimizer: sgd, lr: 0.1}
"""


def test_import_tutor_loads_neither_sympy_nor_numpy():
    probe = (
        "import sys, tutor; tutor.__version__\n"
        "print(sorted(m for m in ('sympy', 'numpy', 'rich', 'typer') if m in sys.modules))"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert run.stdout.strip() == "[]", run.stdout + run.stderr


def test_solve_ex2_matches_a_hand_derivation():
    """z = 3, h = 3, ŷ = 6, L = ½·4² = 8; dL/dŷ = 4: dL/dw1 = 4·2·1 = 8, dL/dw2 = 16,
    dL/db1 = 8, dL/dw3 = 4·3 = 12, dL/db2 = 4; η = 0.01."""
    r = tutor.solve("ex2")
    assert r.values == {"z": 3, "h": 3, "yhat": 6, "L": 8}
    assert r.grads == {"w1": 8, "w2": 16, "b1": 8, "w3": 12, "b2": 4}
    assert r.new_params == pytest.approx(
        {"w1": 0.92, "w2": 0.84, "b1": -0.08, "w3": 1.88, "b2": -0.04}
    )
    assert r.loss == 8 and r.problem.id == "ex2"  # the Solution's own fields


def test_an_inline_problem_of_ones_own():
    """ŷ = 0.5·2 = 1, L = (1 - 3)² = 4, dL/dw = 2(ŷ - y)·x = 2·(-2)·2 = -8, w' = 0.5 + 0.8."""
    r = tutor.solve(MINE)
    assert r.loss == 4 and r.grads == {"w": -8}
    assert r.new_params["w"] == pytest.approx(1.3)
    assert tutor.solve(MINE, values={"x": "1/2"}).grads["w"] == pytest.approx(
        float(2 * (Fraction(1, 4) - 3) * Fraction(1, 2))
    )


def test_load_accepts_an_id_a_path_text_or_a_problem(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(MINE, encoding="utf-8")
    by_text = tutor.load(MINE)
    assert tutor.load(path).id == tutor.load(str(path)).id == by_text.id == "mine"
    assert tutor.load(by_text) is by_text
    assert tutor.load("ex3").id == "ex3"
    with pytest.raises(NotFound):
        tutor.load("nope")
    with pytest.raises(TutorError, match="<inline>"):
        tutor.load("id: x\ngraph: [\n")
    with pytest.raises(InputError, match="unknown language"):
        tutor.solve("ex2", lang="fr")


def test_solve_with_another_optimizer():
    # ex2 with momentum, first step: the buffer is the gradient, so the step is SGD's
    r = tutor.solve("ex2", optimizer="momentum", lr=0.1)
    assert r.new_params["w1"] == pytest.approx(1 - 0.1 * 8)


def test_notebook_markdown_is_the_export_and_html_is_one_scoped_element():
    r = tutor.solve("ex2", lang="zh")
    assert r._repr_markdown_() == export.markdown(r.solution, "zh")
    html = r._repr_html_()
    assert html.startswith('<div class="bptutor" lang="zh-CN">') and html.rstrip().endswith(
        "</div>"
    )
    assert "<math" in html and "<html" not in html and "<script" not in html
    for text in (html, r._repr_markdown_(), repr(r.graph()), r.graph().text()):
        assert "\x1b" not in text  # no terminal escape codes


def test_graph_is_svg_with_graphviz_and_a_text_tree_without(monkeypatch):
    graph = tutor.solve("ex2").graph()
    tree = repr(graph)
    assert tree.splitlines()[0].startswith("L = ") and "w1 = 1  grad 8" in tree
    if shutil.which("dot"):
        svg = graph._repr_svg_()
        assert svg.startswith("<svg") and "w1" in svg
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert graph._repr_svg_() is None  # the notebook falls back to the text


def test_check_reports_the_published_errata():
    assert tutor.check("ex2").ok
    report = tutor.check("ex4")
    assert not report.ok and not report
    assert len(report.errata) == len(shared.solved("ex4").mistakes)
    assert "## Errata" in report._repr_markdown_()


def test_train_runs_the_training_loop():
    """ŷ = w·x with x = 2, y = 3, L = (ŷ - y)²: w* = 1.5; SGD with η = 0.05 converges."""
    run = tutor.train(MINE, 200, lr=0.05)
    assert run.params["w"] == pytest.approx(1.5, abs=1e-6)
    assert run.losses[0] == 4  # the loss before the first step
    md = run._repr_markdown_()
    assert "| 0 | 4 |" in md and "\x1b" not in md


def test_grade_is_public():
    from tutor.quiz.grading import grade

    assert tutor.grade is grade
    assert grade("0.125", "1/8").verdict == "right"
