"""Undefined mathematics at the given values: one line naming the node, the values and why.

The expected reasons are worked out by hand from each equation (1/(z − 3) at z = 3 divides by
zero, log(z − 6) at z = 3 takes the log of −3, ...). The sweep sets every given value of every
catalogue problem to extreme numbers and asks that nothing crashes and that no nan or
infinity is shown without an explanation.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import math
import re
import sys
from pathlib import Path

import pytest
from rich.console import Console

from tutor.cli import main
from tutor.engine import scalar as engine
from tutor.errors import TutorError, UndefinedError
from tutor.problems import catalog
from tutor.solutions import explain
from tutor.variants import scalar as variants
from tutor.views import document as export
from tutor.views import terminal as render

FIXTURES = Path(__file__).parent / "fixtures"

PROBLEM = """\
id: undefined
title: {{en: u, zh: u}}
statement: {{en: s, zh: s}}
inputs: {{x: 3}}
targets: {{y: 1}}
params: {{w: 1}}
graph:
  z: w*x
  h: {h}
  L: 1/2*(h - y)^2
update: {{optimizer: sgd, lr: 0.1}}
"""


def cli(monkeypatch, capsys, *args: str):
    """The command as a user runs it (errors become exit codes in `main`): code, out, err."""
    monkeypatch.setattr(sys, "argv", ["bptutor", *args])
    monkeypatch.delenv("BPTUTOR_DEBUG", raising=False)
    code = 0
    try:
        main()
    except SystemExit as e:
        code = e.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def problem_file(tmp_path, h: str) -> str:
    path = tmp_path / "undefined.yaml"
    path.write_text(PROBLEM.format(h=h), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    "h, message",
    [
        (
            "1/(z - 3)",
            "node 'h' is undefined at these values: 1/(z - 3) with z = 3 (division by zero)",
        ),
        (
            "log(z - 6)",
            "node 'h' is undefined at these values: log(z - 6) with z = 3 "
            "(log of a negative number)",
        ),
        ("log(z - 3)", "(log of 0)"),
        (
            "sqrt(z - 4)",
            "node 'h' is undefined at these values: sqrt(z - 4) with z = 3 "
            "(square root of a negative number)",
        ),
        ("(z - 4)^(1/3)", "(fractional power of a negative number)"),
        ("exp(1000*z)", "node 'h' is undefined at these values: exp(1000*z) with z = 3 (overflow"),
        # sqrt is defined at 0 but its derivative 1/(2·sqrt(z − 3)) is not
        (
            "sqrt(z - 3)",
            "the derivative ∂h/∂z is undefined at these values: 1/(2·sqrt(z - 3)) "
            "with z = 3 (division by zero)",
        ),
    ],
)
def test_solve_and_validate_name_the_node_the_values_and_the_reason(
    tmp_path, monkeypatch, capsys, h, message
):
    path = problem_file(tmp_path, h)
    for command in ("solve", "validate"):
        code, out, err = cli(monkeypatch, capsys, command, path)
        assert code == 2, (command, out, err)
        assert message in err.replace("\n", " ")
        assert f"{path}:9: " in err  # the line of `h:`
        assert "nan" not in out + err and "Traceback" not in err


def test_undefined_is_a_problem_error_with_the_line():
    with pytest.raises(UndefinedError) as caught:
        explain.solve(variants.with_values(catalog.load("ex17"), ["n=0"]))
    lines = Path(catalog.resolve("ex17")).read_text(encoding="utf-8").splitlines()
    assert lines[caught.value.line - 1].strip() == "ratio: backward_mults/forward_mults"
    assert "node 'ratio'" in str(caught.value) and "division by zero" in str(caught.value)


def test_a_defined_problem_passes_validate(tmp_path, monkeypatch, capsys):
    code, out, err = cli(monkeypatch, capsys, "validate", problem_file(tmp_path, "1/(z - 1)"))
    assert code == 0, err


@pytest.mark.parametrize(
    "args",
    [
        ["solve", "ex17", "--set", "n=0"],
        ["solve", "ex17", "--set", "L=0"],
        ["solve", "ex7", "--set", "m=0"],
        ["solve", "ex3", "--set", "x1=1e300"],
        ["solve", "ex2", "--set", "x1=1e300"],
    ],
)
def test_former_crashes_are_one_line_errors(monkeypatch, capsys, args):
    """These were internal errors (exit 70) or printed ∞ and nan with exit 0."""
    monkeypatch.setenv("COLUMNS", "1000")  # one line, not wrapped by the terminal width
    code, out, err = cli(monkeypatch, capsys, *args)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "is undefined at these values" in err


def test_overflow_names_the_node_and_its_values():
    with pytest.raises(UndefinedError) as caught:
        explain.solve(variants.with_values(catalog.load("ex2"), ["x1=1e300"]))
    # z = 1e300 + 2, h = z, ŷ = 2h = 2e300: ½(ŷ − y)² is past the largest float
    assert "node 'L'" in str(caught.value)
    assert "yhat = 2e300, y = 2" in str(caught.value)
    assert "overflow" in str(caught.value)


def test_a_random_variant_never_shows_undefined_values():
    """h = sqrt(z) with z = w·x: many small-integer draws give z < 0 (nan) or z = 0, where
    sqrt′ = 1/(2·sqrt(z)) divides by zero. Every seed's variant must solve."""
    problem = catalog.load(str(FIXTURES / "sqrt_node.yaml"))
    for seed in range(40):
        variant = variants.random_variant(problem, seed)
        solution = explain.solve(variant)  # raises UndefinedError if a bad draw got through
        assert all(math.isfinite(v) for v in _numbers(solution)), seed


# --------------------------------------------------------------------------- the sweep

EXTREMES = ("0", "-1", "1e6", "-1e6", "1e300")
NOT_FINITE = re.compile(r"\bnan\b|\binf\b|∞")


def _text(solution, terminal: bool = True) -> str:
    """What export writes and (if `terminal`) solve prints: both show every number with
    the same formatting, the terminal view costs ten times more to lay out."""
    text = export.markdown(solution, "en")
    if terminal:
        console = Console(file=io.StringIO(), width=100, color_system=None)
        for part in render.solution_steps(solution, "en", full=False):
            console.print(part)
        text = console.file.getvalue() + text
    return text


def _sweep_cases():
    for path in catalog.builtin_files():
        problem = catalog.load(str(path))
        if problem.symbolic or problem.tensor:  # no numbers; a tensor problem's own sweep:
            continue  # test_tensor_catalogue.test_extreme_given_values_solve_and_export_...
        for name in problem.leaves:
            for value in EXTREMES:
                yield pytest.param(str(path), name, value, id=f"{path.stem}-{name}={value}")


def _numbers(value):
    """Every float inside a Solution (values, factors, paths, gradients, updates, ...)."""
    if isinstance(value, float):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _numbers(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _numbers(v)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            if f.name != "problem":
                yield from _numbers(getattr(value, f.name))


@pytest.fixture(scope="module")
def sweep_results():
    """Every case solved once; the assertions below read the outcomes. Every solution's
    numbers are checked; the export of every 1e300 case is read, and the terminal view of
    the first such case of each problem."""
    outcomes, loaded = {}, {}
    with pytest.MonkeyPatch.context() as patch:
        # the variants of a problem share its equations, so each derivative is tidied once
        # for the whole sweep, not once per variant (tidy is a pure function of the formula)
        patch.setattr(explain, "tidy", functools.lru_cache(maxsize=None)(explain.tidy))
        _sweep(outcomes, loaded)
    return outcomes


def _sweep(outcomes: dict, loaded: dict) -> None:
    shown: set[str] = set()  # problems already laid out in the terminal at 1e300
    for case in _sweep_cases():
        path, name, value = case.values
        if path not in loaded:
            problem = catalog.load(path)
            loaded[path] = problem, engine.build_graph(problem)  # variants share equations
        problem, graph = loaded[path]
        try:
            solution = explain.solve(
                variants.with_values(problem, [f"{name}={value}"]), graph=graph
            )
        except TutorError as e:
            outcomes[case.id] = ("error", str(e))
            continue
        # export for every 1e300 case; the terminal view once per problem
        text = _text(solution, terminal=path not in shown) if value == "1e300" else ""
        if value == "1e300":
            shown.add(path)
        outcomes[case.id] = ("solved", text, solution)


def test_sweep_covers_every_given_value_of_every_numeric_problem(sweep_results):
    assert len(sweep_results) >= 355
    assert any(o[0] == "error" for o in sweep_results.values())
    assert any(o[0] == "solved" for o in sweep_results.values())


def test_sweep_has_no_internal_error_and_no_unexplained_nan_or_infinity(sweep_results):
    """No exception but our own errors (the fixture would have raised), and an infinite or
    nan value is shown only with a note that says why (a saturated output)."""
    for case, outcome in sweep_results.items():
        if outcome[0] == "error":
            assert "\n" not in outcome[1], case
            continue
        _, text, solution = outcome
        finite = all(math.isfinite(v) for v in _numbers(solution))
        if not finite or NOT_FINITE.search(text):
            assert any(n.kind == "saturated_output" for n in solution.notes), case
