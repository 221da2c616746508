"""Tests for tutor.quiz.skills: every question's skills, derived from the graph (expectations
worked out by hand from each problem's equations)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import sympy as sp

from tutor.model.quiz import Question
from tutor.problems import catalog
from tutor.problems.loader import load_problem
from tutor.quiz import skills
from tutor.quiz.session import Session
from tutor.registry import functions

FIXTURES = Path(__file__).parent / "fixtures"


def tags(session: Session) -> dict[str, tuple[str, ...]]:
    return {
        q.key: skills.of_question(q, session.solution, session.graph) for q in session.questions
    }


def session(ref: str) -> Session:
    if ref.endswith(".yaml"):
        return Session(load_problem(FIXTURES / ref))
    return Session(catalog.load(ref))


def test_ex2_relu_network_with_squared_error():
    # z = w1 x1 + w2 x2 + b1, h = relu(z), ŷ = w3 h + b2, L = ½(ŷ − y)²
    got = tags(session("ex2"))
    assert got["z"] == got["L"] == ()  # forward values and the loss: no derivative
    # ∂L/∂w1 = (ŷ − y)·w3·step(z)·x1: ∂z/∂w1, ReLU′, ∂ŷ/∂h = w3, squared error
    assert set(got["dL/dw1"]) == {"linear-dw", "relu'", "linear-dx", "mse'"}
    assert set(got["dL/db1"]) == {"linear-dw", "relu'", "linear-dx", "mse'"}  # a bias too
    assert set(got["dL/dw3"]) == {"linear-dw", "mse'"}  # (ŷ − y)·h
    assert got["w1'"] == ("sgd",)


def test_ex1_sigmoid_with_binary_cross_entropy():
    got = tags(session("ex1"))
    # ∂L/∂w1 = ∂L/∂ŷ · ∂ŷ/∂z · ∂z/∂w1: BCE′, σ′ and the linear node's ∂z/∂w
    assert set(got["dL/dw1"]) == {"bce'", "sigmoid'", "linear-dw"}


def test_ex6_softmax_cross_entropy_and_a_hidden_node_feeding_three_logits():
    got = tags(session("ex6"))
    # output layer: ∂L/∂W2_1_1 = (p1 − y1)·a1_1: the softmax-CE rule and ∂z/∂w, no sum
    assert set(got["dL/dW2_1_1"]) == {"softmax-ce", "linear-dw"}
    # first layer: a1_1 feeds z2_1, z2_2 and z2_3: a sum over paths, ReLU′, ∂z/∂a
    assert set(got["dL/dW1_1_1"]) == {"softmax-ce", "linear-dw", "linear-dx", "relu'", "sum-paths"}


def test_backward_rules_max_and_average_pooling():
    # y = max(x1..x4), L = g·y: ∂L/∂x1 = g·[x1 is the max]
    assert set(tags(session("ex13"))["dL/dx1"]) == {"max'", "linear-dx"}
    # y = (x1 + … + x4)/4: a fixed linear combination, ∂y/∂x1 = 1/4
    assert tags(session("ex14"))["dL/dx1"] == ("linear-dx",)
    assert set(tags(session("ex12"))["dL/dx1"]) == {"relu'", "linear-dx"}


def test_cross_entropy_of_given_probabilities_and_squared_error():
    assert tags(session("ex8"))["dE/dyhat1"] == ("ce'",)  # −Σ y log ŷ
    assert tags(session("ex7"))["dE/dyhat"] == ("mse'",)  # (ŷ − y)²/m


def test_shared_paths_sum_only_where_a_node_feeds_two():
    got = tags(session("shared_paths.yaml"))
    assert "sum-paths" in got["dL/dw1"] and "sum-paths" not in got["dL/dw3"]


def test_update_rules_and_factor_questions():
    s = session("ex2")
    problem = s.solution.problem
    adam = replace(problem, update=replace(problem.update, optimizer="adam"))
    q = Question("w1'", "update", "w1", 1.0)
    assert skills.of_question(q, replace(s.solution, problem=adam), s.graph) == (
        "adam-moments",
        "adam-bias",
    )
    momentum = replace(
        problem, update=replace(problem.update, optimizer="momentum", hyper={"l2": 0.1})
    )
    assert skills.of_question(q, replace(s.solution, problem=momentum), s.graph) == (
        "momentum",
        "l2",
    )

    class Factor:  # a question as the scaffolding asks it (step "factor")
        key, kind, step, node = "dh/dz", "gradient", "factor", "z"

    assert skills.of_question(Factor, s.solution, s.graph) == ("relu'",)
    Factor.key = "dyhat/dh"
    assert skills.of_question(Factor, s.solution, s.graph) == ("linear-dx",)


def test_a_new_activation_is_a_new_skill_without_editing_skills(monkeypatch):
    class cube(functions._Real):  # noqa: N801
        nargs = 1

        def fdiff(self, argindex=1):
            return 3 * self.args[0] ** 2

    monkeypatch.setattr(functions, "FUNCTIONS", dict(functions.FUNCTIONS))
    functions.register(names=("cube",), activation=True, en="cube", zh="立方")(cube)
    assert "cube'" in skills.all_skills()
    assert skills.name("cube'", "en") == "cube derivative"
    assert skills.name("cube'", "zh") == "立方 的导数"
    from tutor.engine import scalar as engine
    from tutor.model import Equation

    problem = replace(
        catalog.load("ex3"),
        graph=(
            Equation("z", "w1*x1", sp.Symbol("w1", real=True) * sp.Symbol("x1", real=True)),
            Equation("h", "cube(z)", cube(sp.Symbol("z", real=True))),
            Equation(
                "L", "(h - t)^2", (sp.Symbol("h", real=True) - sp.Symbol("t", real=True)) ** 2
            ),
        ),
        loss="L",
    )
    graph = engine.build_graph(problem)
    assert skills.chain(graph, "w1") == ["linear-dw", "cube'", "mse'"]


def test_every_skill_has_a_name_in_both_languages():
    for skill in skills.all_skills():
        en, zh = skills.name(skill, "en"), skills.name(skill, "zh")
        assert en and zh and en != skill, skill
    assert skills.name("sigmoid'", "en") == "sigmoid derivative"
    assert skills.name("tanh'", "zh") == "双曲正切 tanh 的导数"
