"""Bounded: what a problem file may ask for is refused at load, in one line naming file:line
and the shapes, before any of it is computed (engine.tensor.check_shapes, the loaders' count
of equations, the tensor parser's depth, the rules' size); long chains load, solve and render
in work linear in their length and never reach Python's recursion limit; docs/format.md
lists every bound. (How long a refusal takes is measured by `make bench`, not here.)"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

import tutor
from tutor.engine import matrix_solve as tensor_solve
from tutor.engine import rules, tensor
from tutor.engine import scalar as engine
from tutor.errors import ParseError, ProblemError
from tutor.language import matrix_expr as tensor_expr
from tutor.problems import catalog
from tutor.problems.loader import MAX_NODES, load_problem
from tutor.quiz import matrix as tensor_quiz
from tutor.solutions import explain
from tutor.views import matrix as tensor_render
from tutor.views.matrix_document import markdown

HEAD = "id: big\ntitle: {en: t, zh: t}\nstatement: {en: s, zh: s}\n"


def _write(tmp_path, text: str, name: str = "big.yaml") -> Path:
    path = tmp_path / name
    path.write_text(HEAD + text, encoding="utf-8")
    return path


def outer_product(tmp_path) -> Path:
    """120 KB: M = x xᵀ over a 40,000-entry x asks for 1.6e9 entries (11.9 GiB)."""
    x = ", ".join(["1"] * 40_000)
    return _write(tmp_path, f"inputs: {{x: [{x}]}}\ngraph:\n  M: x @ transpose(x)\n  L: sum(M)\n")


def padded_convolutions(tmp_path) -> Path:
    """About 1 KB: 30 convolutions each padding by 64; every one is under the per-tensor
    bound until z25, but together they are past MAX_TOTAL at z18."""
    chain = "\n".join(f"  z{i + 1}: conv2d(z{i}, K, 1, 64)" for i in range(30))
    return _write(
        tmp_path,
        f"inputs: {{z0: [[[1]]]}}\nparams: {{K: [[[[0.5]]]]}}\ngraph:\n{chain}\n  L: sum(z30)\n",
    )


def long_chain(tmp_path, n: int = 30_000) -> Path:
    chain = "\n".join(f"  h{i + 1}: h{i} * 2" for i in range(n))
    return _write(tmp_path, f"inputs: {{h0: [1, 2]}}\ngraph:\n{chain}\n  L: sum(h{n})\n")


@pytest.mark.parametrize(
    "make, expected",
    [
        (
            outer_product,
            ":6: equation 'M': the matrix product of 40000×1 and 1×40000 is a 40000×40000 "
            "tensor: 1,600,000,000 entries (at most 10,000,000 in one tensor) (column 3)",
        ),
        (
            padded_convolutions,
            ":24: equation 'z18': the convolution of 1×2177×2177 and 1×1×1×1, a 1×2305×2305 "
            "tensor, brings the tensors computed to 34,597,650 entries (at most 30,000,000 "
            "in all) (column 1)",
        ),
        (long_chain, ":6: too many equations (30,001, at most 20,000)"),
    ],
)
def test_the_oversized_files_are_refused_in_one_line(tmp_path, make, expected):
    """The whole process, as a user runs it: exit 2 and one line (the issue's three files:
    before, an internal error or the OOM killer, 21 s and 2.8 GB, and over 400 s)."""
    path = make(tmp_path)
    for command in ("solve", "validate"):
        run = subprocess.run(
            [sys.executable, "-m", "tutor", command, str(path)],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "COLUMNS": "400"},
        )
        assert run.returncode == 2, (command, run.stderr)
        assert run.stdout == ""
        assert len(run.stderr.strip().splitlines()) == 1, run.stderr
        assert f"{path}{expected}" in run.stderr, run.stderr


def test_the_equations_are_counted_before_any_is_parsed(tmp_path, monkeypatch):
    def parse(*args, **kwargs):
        raise AssertionError("an equation was parsed")

    monkeypatch.setattr(tensor_expr, "parse", parse)
    with pytest.raises(ProblemError, match="too many equations") as caught:
        load_problem(long_chain(tmp_path, MAX_NODES + 1))
    assert caught.value.line == 6  # the graph's first line


@pytest.mark.parametrize(
    "given, graph, expected",
    [
        # windows of 40×40 over a 1×300×300 map: 40·40·(300 + 40)² entries gathered
        (
            "inputs: {x: X}\nparams: {K: K40}",
            "z: conv2d(x, K)",
            "the convolution of 1×300×300 and 1×1×40×40 would gather 184,960,000 entries",
        ),
        (
            "inputs: {x: X}",
            "z: maxpool(x, 64, 1)",
            "the max pooling of 1×300×300 would gather 230,068,224 entries",
        ),
        # A = u vᵀ is 3000×3000 (9e6 entries, allowed), A A takes 2.7e10 multiply-adds
        (
            "inputs: {u: U, v: U}",
            "A: u @ transpose(v)\n  z: A @ A",
            "equation 'z': the matrix product of 3000×3000 and 3000×3000 brings the work "
            "to over 2,000,000,000 multiply-adds",
        ),
    ],
)
def test_gathered_windows_and_work_are_bounded(tmp_path, given, graph, expected):
    x = "[[" + ", ".join("[" + ", ".join(["1"] * 300) + "]" for _ in range(300)) + "]]"
    k40 = "[[[" + ", ".join("[" + ", ".join(["1"] * 40) + "]" for _ in range(40)) + "]]]"
    u = "[" + ", ".join(["1"] * 3000) + "]"
    given = given.replace("X", x).replace("K40", k40).replace("U", u)
    path = _write(tmp_path, f"{given}\ngraph:\n  {graph}\n  L: sum(z)\n")
    with pytest.raises(ProblemError, match="at most|over") as caught:
        load_problem(path)
    assert expected in caught.value.message


def test_a_chain_of_more_than_max_chain_operations_in_one_equation_is_refused():
    names = {"x"}
    parse = tensor_expr.parse
    assert parse(" + ".join(["x"] * tensor_expr.MAX_CHAIN), names).kind == "add"
    with pytest.raises(ParseError, match="more than 100 operations inside one another"):
        parse(" + ".join(["x"] * (tensor_expr.MAX_CHAIN + 1)), names)
    with pytest.raises(ParseError, match="inside one another"):
        parse("x" + "ᵀ" * (tensor_expr.MAX_CHAIN + 1), names)


def test_a_rule_past_max_rule_operations_is_refused_at_the_equations_line(tmp_path):
    """x / x / ... / x: each quotient's rule repeats the share above it, so ∂L/∂x through z
    written out grows with the square of the chain (56,640 operations for 96 x, 6.5 s)."""
    chain = " / ".join(["x"] * 96)
    path = _write(
        tmp_path, f"inputs: {{x: [1.01, 0.99]}}\ngraph:\n  z: sigmoid({chain})\n  L: sum(z)\n"
    )
    problem = load_problem(path)  # the forward pass is fine
    with pytest.raises(ProblemError) as caught:
        tensor_solve.solve(problem)
    assert caught.value.line == 6
    assert f"more than {rules.MAX_RULE:,} operations" in caught.value.message
    assert "∂L/∂x" in caught.value.message


def test_a_name_read_hundreds_of_times_is_refused_before_the_recursion_limit(tmp_path):
    """((x+x)+(x+x))+...: 400 reads at depth 10, the sum of their 400 shares 400 deep."""

    def tree(n: int) -> str:
        return "x" if n == 1 else f"({tree(n // 2)}+{tree(n - n // 2)})"

    path = _write(tmp_path, f"inputs: {{x: [1, 1]}}\ngraph:\n  z: {tree(400)}\n  L: sum(z)\n")
    with pytest.raises(ProblemError, match=f"more than {rules.MAX_RULE_DEPTH} operations inside"):
        tensor_solve.solve(load_problem(path))


# --------------------------------------------------------------------------- long chains


def _depth() -> int:
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    return depth


@pytest.fixture
def shallow_stack():
    """Python's recursion limit set 150 frames above the caller's: anything that recurses once
    per equation of a chain of hundreds fails."""
    saved = sys.getrecursionlimit()
    sys.setrecursionlimit(_depth() + 150)
    yield
    sys.setrecursionlimit(saved)


def test_a_tensor_chain_written_loss_first_loads_solves_and_renders(tmp_path, shallow_stack):
    """The topological order was a recursive walk from each equation in the file's order:
    a chain written from the loss down was as deep in Python as it is long."""
    n = 400
    chain = "\n".join(f"  h{i}: tanh(h{i - 1})" for i in range(n, 1, -1))
    path = _write(
        tmp_path,
        f"inputs: {{x: [1, 2]}}\nparams: {{W: [[0.5, 0.1], [0.2, 0.3]]}}\n"
        f"graph:\n  L: sum(h{n})\n{chain}\n  h1: W @ x\nloss: L\nupdate: {{optimizer: sgd, lr: 0.1}}\n",
    )
    problem = load_problem(path)
    assert [eq.name for eq in problem.graph][:2] == ["h1", "h2"]
    solution = tensor_solve.solve(problem)
    console = Console(file=io.StringIO(), width=100, color_system=None)
    for part in tensor_render.solution_steps(solution, "en"):
        console.print(part)
    assert f"δ(h{n - 1})" in console.file.getvalue()
    assert "h1" in markdown(solution, "en")
    questions, _ = tensor_quiz.questions(solution)
    assert len(questions) > n


def test_a_scalar_chain_of_hundreds_of_equations_solves(tmp_path, shallow_stack):
    """Each route to the loss was listed by a recursion as deep as the route (1,200 equations
    gave "input nested too deeply"), and listed in full: quadratic in the length."""
    n = 400
    chain = "\n".join(f"  h{i + 1}: h{i} * w" for i in range(n))
    path = _write(tmp_path, f"inputs: {{h0: 1}}\nparams: {{w: 1}}\ngraph:\n{chain}\n  L: h{n}\n")
    solution = explain.solve(catalog.load(str(path)))
    gradients = {g.wrt: g for g in solution.gradients}
    assert gradients["w"].value == n  # L = w^n h0: n·w^(n−1)
    assert gradients["h1"].delta_form  # a route of 400 factors is not listed
    near = gradients[f"h{n - engine.MAX_ROUTE + 1}"]  # h{k} -> ... -> h{n} -> L
    assert not near.delta_form and len(near.paths[0].factors) == engine.MAX_ROUTE


# --------------------------------------------------------------------------- linear work

ROOT = str(Path(tutor.__file__).parent)


def _lines_run(run) -> int:
    """How many lines of tutor's own code `run()` executes (a count of work that does not
    depend on the machine; rich's and NumPy's lines are not counted)."""
    count = 0

    def local(frame, event, arg):
        nonlocal count
        if event == "line":
            count += 1
        return local

    def calls(frame, event, arg):
        return local if frame.f_code.co_filename.startswith(ROOT) else None

    sys.settrace(calls)
    try:
        run()
    finally:
        sys.settrace(None)
    return count


def _chain_work(tmp_path, n: int) -> int:
    chain = "\n".join(f"  h{i + 1}: tanh(h{i})" for i in range(1, n))
    path = _write(
        tmp_path,
        f"inputs: {{x: [1, 2]}}\nparams: {{W: [[0.5, 0.1], [0.2, 0.3]]}}\n"
        f"graph:\n  h1: W @ x\n{chain}\n  L: sum(h{n})\nupdate: {{optimizer: sgd, lr: 0.1}}\n",
        f"chain{n}.yaml",
    )

    def run():
        solution = tensor_solve.solve(load_problem(path))
        console = Console(file=io.StringIO(), width=100, color_system=None)
        for part in tensor_render.solution_steps(solution, "en"):
            console.print(part)
        markdown(solution, "en")

    return _lines_run(run)


def test_loading_solving_and_rendering_a_chain_is_linear_in_its_length(tmp_path):
    """Twice the equations, about twice the work (1.9× measured at 200 and 400; the layer
    table's readers, one scan of the graph per equation, made it 2.8×)."""
    _chain_work(tmp_path, 20)  # imports and caches out of the way
    small, large = _chain_work(tmp_path, 150), _chain_work(tmp_path, 300)
    assert large < 2.3 * small, (small, large)


# --------------------------------------------------------------------------- documented


def test_every_bound_is_documented():
    docs = (Path(ROOT).parent / "docs" / "format.md").read_text(encoding="utf-8")
    for value in (
        tensor.MAX_ENTRIES,
        tensor.MAX_TOTAL,
        tensor.MAX_WORK,
        tensor.MAX_EQUATIONS,
        rules.MAX_RULE,
    ):
        assert f"{value:,}" in docs, value
    for value in (tensor_expr.MAX_CHAIN, rules.MAX_RULE_DEPTH, engine.MAX_ROUTE):
        assert f" {value} " in docs, value
    assert tensor.MAX_EQUATIONS == MAX_NODES  # one bound for both kinds of problem


TOWER = """id: tower
title: {en: a tower, zh: 塔}
statement: {en: a tower, zh: 塔}
inputs: {x: 2}
targets: {y: 1}
params: {w: 1}
graph:
  z: FORMULA
  L: 1/2*(z - y)^2
"""


def test_a_file_with_a_number_past_a_float_s_range_solves_or_is_refused_at_once(tmp_path):
    """σ(e^(e^20)) in an equation: σ is not evaluated there (SymPy would, to ever more
    digits, to decide a sign), so the file solves: by hand σ(…) = 1 to any float, z = 2e·w,
    ∂L/∂w = (z − 1)·2e = (2e − 1)·2e = 24.1197. e^(e^(e^20)) is refused at its line."""
    import math

    from cli_runner import invoke
    from shared import stopped_after

    ok = tmp_path / "ok.yaml"
    ok.write_text(TOWER.replace("FORMULA", "exp(σ(exp(exp(20)))) * w * x"), encoding="utf-8")
    refused = tmp_path / "refused.yaml"
    refused.write_text(TOWER.replace("FORMULA", "exp(exp(exp(20))) - w * x"), encoding="utf-8")
    with stopped_after(20, "a tower"):
        solved = tutor.solve(str(ok))
        done = invoke("validate", str(refused))
    by_hand = (2 * math.e - 1) * 2 * math.e
    assert abs(float(solved.grads["w"]) - by_hand) < 1e-9 * by_hand
    assert done.returncode == 2
    assert "refused.yaml:8: 'graph.z': a number in it is too large to compute with" in (
        done.stdout + done.stderr
    )
