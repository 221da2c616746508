"""Tests for the Python API (tutor.api, docs/api.md): values from hand derivations, what a
notebook shows (Markdown, HTML, SVG or text, never terminal escape codes), and that
`import tutor` stays cheap."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from fractions import Fraction

import pytest
import shared

import tutor
from tutor.errors import InputError, NotFound, TutorError
from tutor.problems import catalog
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


def test_a_tensor_problem_solves_from_python_with_values_by_hand():
    """ex18 (statement): z1 = W1 x + b1 row by row, e.g. 0.2·1 − 0.1·0.5 + 0.4·(−1) + 0.1 =
    −0.15; then a NumPy reference of the rest: a1 = σ(z1), p = softmax(W2 a1 + b2),
    ∂L/∂b2 = p − y, ∂L/∂W2 = (p − y) a1ᵀ."""
    import numpy as np

    r = tutor.solve("ex18", lang="zh")
    assert r.values["z1"].ravel().tolist() == pytest.approx([-0.15, -0.15, 0.8, -0.2])
    w2 = np.array([[0.3, -0.2, 0.5, 0.1], [-0.4, 0.6, 0.2, -0.3], [0.2, 0.1, -0.5, 0.4]])
    a1 = 1 / (1 + np.exp(-np.array([[-0.15], [-0.15], [0.8], [-0.2]])))
    z2 = w2 @ a1 + np.array([[0], [0.1], [-0.1]])
    p = np.exp(z2) / np.exp(z2).sum()
    delta = p - np.array([[0], [1], [0]])
    assert np.allclose(r.grads["b2"], delta) and np.allclose(r.grads["W2"], delta @ a1.T)
    assert r.grads["W1"].shape == (4, 3)
    assert "[4×1]" in r.graph().text() and "z1 = W1 x + b1" in r.graph().dot()
    if shutil.which("dot"):
        assert "4×1" in r.graph().svg()
    assert r._repr_markdown_().startswith("# ") and "<div" in r._repr_html_()
    assert r.html(page=True).startswith("<!DOCTYPE html>")


def test_check_takes_the_whole_catalogue_by_default():
    report = tutor.check()
    ids = {s.problem.id for s in report.solutions}
    assert {"ex2", "ex4", "ex18", "ex25"} <= ids and len(ids) == len(catalog.builtin_files())
    assert {c.quantity.text for s in report.solutions if s.problem.tensor for c in s.checks}


def test_quiz_from_python_grades_answers_and_records_nothing(tmp_path, monkeypatch):
    """ex2 by hand: z = 3, h = 3, ŷ = 6, L = 8; the rest unanswered. ex18: z1 by hand."""
    monkeypatch.setenv("BPTUTOR_DB", str(tmp_path / "never.db"))
    quiz = tutor.quiz("ex2", ["3", "3", "6", "8"])
    assert [o.verdict for o in quiz.outcomes[:4]] == ["correct"] * 4
    assert {o.verdict for o in quiz.outcomes[4:]} == {"unanswered"}
    assert (
        quiz.score == 4 and not quiz.ok and "| `z` | `3` | correct | 3 |" in quiz._repr_markdown_()
    )
    assert not (tmp_path / "never.db").exists()
    tensor = tutor.quiz("ex18", "[-0.15; -0.15; 0.8; -0.2]\n", lang="zh")
    assert tensor.outcomes[0].key == "z1" and tensor.outcomes[0].verdict == "correct"
    assert "得分" in tensor.transcript
    importlib.import_module("tutor.quiz.grading")  # the package stays the function's name
    assert callable(tutor.quiz) and tutor.quiz("ex2", "3").outcomes[0].verdict == "correct"
