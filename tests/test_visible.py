"""Tests for tutor.variants.visible and `show`/`quiz --full/--set`: the quiz asks only about what it
has shown. Oracle: the layer shorthand's order of given values, counted by hand."""

from __future__ import annotations

import re

from cli_runner import invoke

from tutor.engine import scalar as engine
from tutor.model.quiz import Question
from tutor.problems import catalog
from tutor.variants import generate, visible


def net(tmp_path):
    """A 3-4-4-2 network: 3 inputs, 2 targets and 16 + 20 + 10 parameters = 51 given
    values. The first 40 are the inputs, the targets, layer 1 (4 units × (3 weights + a
    bias)) and layer 2 up to W2_4_4: only b2_4 and layer 3 are left out."""
    path = tmp_path / "net.yaml"
    path.write_text(generate.mlp([3, 4, 4, 2], "tanh", "mse", seed=1), encoding="utf-8")
    return str(path)


def asked(stdout: str) -> set[str]:
    """The questions of the score table (every one unanswered: no answers given; listed
    with --reveal, as a quiz left early lists only what was answered)."""
    return {m.group(1) for m in re.finditer(r"^\s+(\S+)\s+not answered", stdout, re.M)}


def test_the_quiz_asks_only_what_the_shown_values_give(tmp_path):
    result = invoke(
        "quiz", net(tmp_path), "--reveal", "--answers", "-", "--db", ":memory:", stdin=""
    )
    layers_1_2 = {f"{v}{l}_{i}" for v in "za" for l in (1, 2) for i in range(1, 5)}
    assert asked(result.stdout) == layers_1_2 - {"z2_4", "a2_4"}  # z2_4 needs b2_4
    assert "b2_4" not in result.stdout and "W3_1_1" not in result.stdout
    assert "quiz --full" in result.stdout


def test_with_full_everything_is_shown_and_asked(tmp_path):
    result = invoke(
        "quiz", net(tmp_path), "--full", "--reveal", "--answers", "-", "--db", ":memory:", stdin=""
    )
    questions = asked(result.stdout)
    assert {"∂L/∂W3_2_4", "∂L/∂b1_1", "L", "W3_2_4'"} <= questions
    assert "W3_2_4" in result.stdout.split("[1/")[0]  # listed before the first question
    assert "quiz --full" not in result.stdout


def test_show_full_lists_every_given_value(tmp_path):
    path = net(tmp_path)
    short, full = invoke("show", path), invoke("show", path, "--full")
    assert "+11 more (--full)" in short.stdout and "W3_2_4" not in short.stdout
    assert "W3_2_4" in full.stdout and "more" not in full.stdout


def test_quiz_set_replaces_a_given_value():
    # z = w1·x1 + w2·x2 + b1 = 1·3 + 1·2 + 0 = 5 with x1 = 3
    result = invoke(
        "quiz",
        "ex2",
        "--set",
        "x1=3",
        "--reveal",
        "--answers",
        "-",
        "--db",
        ":memory:",
        stdin="5\n",
    )
    assert re.search(r"x1\s+input\s+3 *\n", result.stdout)
    assert re.search(r"^\s+z\s+5\s+correct\s+5\s*$", result.stdout, re.M)
    assert invoke("quiz", "concepts", "--set", "x1=3", "--answers", "-").returncode == 2


def test_answerable_keeps_a_forward_value_whose_leaves_are_shown():
    problem = catalog.load("ex2")
    graph = engine.build_graph(problem)
    qs = [
        Question("z", "forward", "z"),
        Question("yhat", "forward", "yhat"),
        Question("dL/dw1", "gradient", "w1"),
    ]
    shown = ["x1", "x2", "w1", "w2", "b1"]  # z's leaves only
    assert [q.key for q in visible.answerable(qs, graph, shown)] == ["z"]
    assert len(visible.answerable(qs, graph, problem.leaves)) == 3
