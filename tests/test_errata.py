"""Tests for tutor.solutions.errata: which published numbers in the catalogue are wrong, and precision.

The pinned set below is the list of errata in the whole catalogue. When you add a problem
whose source prints wrong numbers, add its (id, quantity) pairs here, after checking each one
by hand or against an independent computation.
"""

from __future__ import annotations

import pytest
import shared

from tutor.model import Quantity
from tutor.problems import catalog
from tutor.solutions import explain
from tutor.solutions.errata import compare, printed_precision

EX4_ERRATA = {
    # seed 003 drops the factor 2 of dC/da = 2(a - y) from the output-layer weight gradients
    # (not from db2): -0.822 * 0.242 * 0.289 = -0.0575, -0.822 * 0.242 * 0.574 = -0.1142
    # (the printed -0.0572 is not even half of that, -0.0571); everything computed from them
    # inherits the mistake: W' = 0.5 + 0.00575 = 0.50575, 0.2 + 0.01143 = 0.21143, the new
    # z2 = 0.50575 * 0.28905 + 0.21143 * 0.57444 + 0.11991 = 0.38755, sigma of it 0.59569
    "dC/dW2_1_1",
    "dC/dW2_1_2",
    "W2_1_1'",
    "W2_1_2'",
    "z2_1'",
    "a2_1'",
    # the costs from rounded outputs: (0.589 - 1)^2 = 0.168921 but a2 = 0.588899 gives 0.169004;
    # (0.595 - 1)^2 = 0.164025 but a2' = 0.595693 gives 0.163464
    "C",
    "C'",
    # the Adam example starts from the halved gradients (m = 0.1 g, v = 0.001 g^2 with the
    # wrong g); its step is miscomputed too: without bias correction 0.5 + 0.1 * 0.00287 /
    # sqrt(8.24e-7) = 0.816, bias-corrected Adam moves each parameter by lr: 0.6, 0.3, 0.2.
    # The printed 0.5003, 0.2006, 0.1021 are about p - lr * m, the division by sqrt(v) left out
    "adam:m[W2_1_1]",
    "adam:m[W2_1_2]",
    "adam:v[W2_1_1]",
    "adam:v[W2_1_2]",
    "adam:W2_1_1'",
    "adam:W2_1_2'",
    "adam:b2_1'",
}

# Seed 002's least squares: a = 2480/344 = 7.2093, so b = (720 - 151a)/5 = -73.7209; "b ≈ -73"
# is off by more than half a unit of its last digit (it should read -74)
EX9_ERRATA = {"b"}
# Seed 004's parameter count: 6,480,242,100 is right, but "≈ 6.4 × 10^9" is not its value at two
# significant figures (6.5 × 10^9); the same quantity's full figure is not flagged
EX15_ERRATA = {"total"}

PINNED = (
    {("ex4", q) for q in EX4_ERRATA}
    | {("ex9", q) for q in EX9_ERRATA}
    | {("ex15", q) for q in EX15_ERRATA}
)


def catalogue_errata() -> tuple[set[tuple[str, str]], int]:
    flagged, checked = set(), 0
    for f in catalog.builtin_files():  # every kind (shared.solved: a tensor one's checks too)
        solution = shared.solved(f.stem)
        checked += len(solution.checks)
        if solution.problem.tensor:  # no tensor problem publishes a wrong value
            flagged |= {(solution.problem.id, c.key) for c in solution.checks if not c.ok}
        else:
            flagged |= {(solution.problem.id, c.quantity.text) for c in solution.errata}
    return flagged, checked


def test_exactly_the_pinned_published_values_are_flagged():
    flagged, checked = catalogue_errata()
    assert checked > len(PINNED)
    assert flagged - PINNED == set(), "newly flagged: check by hand, then pin them"
    assert PINNED - flagged == set(), "no longer flagged: an engine change or a fixed source"


@pytest.mark.parametrize("pid", ["ex1", "ex2", "ex3"])
def test_seed_000_exercises_have_no_errata(pid):
    solution = explain.solve(catalog.load(pid))
    assert solution.checks, "these problems publish their answers"
    assert solution.errata == ()


def test_ex4_right_values_are_not_flagged():
    solution = explain.solve(catalog.load("ex4"))
    ok = {c.quantity.text for c in solution.checks if c.ok}
    for quantity in (
        "z1_1",
        "a1_1",
        "a2_1",
        "dC/da2_1",
        "da2_1/dz2_1",
        "dC/db2_1",
        "b2_1'",
        "adam:m[b2_1]",
        "adam:v[b2_1]",
        # seed 003's local factors dz2/dW2 = a1 = [0.289, 0.574], dz2/db2 = 1
        "dz2_1/dW2_1_1",
        "dz2_1/dW2_1_2",
        "dz2_1/db2_1",
        # its forward pass after the update: the hidden layer does not change
        "z1_1'",
        "z1_2'",
        "a1_1'",
        "a1_2'",
    ):
        assert quantity in ok, quantity


def test_seed_000_local_factors_of_the_linear_neuron_are_published():
    solution = explain.solve(catalog.load("ex3"))
    ok = {c.quantity.text: c.published for c in solution.checks if c.ok}
    # z = w1*x1 + w2*x2 + b with x1 = 1, x2 = 2: the seed's (-5)*1, (-5)*2 and dz/db = 1
    assert (ok["dz/dw1"], ok["dz/dw2"], ok["dz/db"]) == ("1", "2", "1")


def test_an_erratum_carries_the_printed_and_computed_values_and_its_line():
    solution = explain.solve(catalog.load("ex4"))
    check = solution.check_for(Quantity.gradient("C", "W2_1_1"))
    assert check.published == "-0.0287" and not check.ok
    assert check.computed == pytest.approx(-0.0575363, abs=1e-7)
    text = catalog.resolve("ex4").read_text(encoding="utf-8").splitlines()
    assert "dC/dW2_1_1: -0.0287" in text[check.line - 1]


# --------------------------------------------------------------------------- printed precision


@pytest.mark.parametrize(
    "text, value, half_unit",
    [
        ("0.589", 0.589, 0.0005),
        ("-0.0287", -0.0287, 0.00005),
        ("8", 8.0, 0.5),
        ("12.5", 12.5, 0.05),
        ("8.24e-7", 8.24e-7, 0.5e-9),
        ("6.4e9", 6.4e9, 0.5e8),
        ("≈0.29", 0.29, 0.005),
        ("6,480,242,100", 6480242100.0, 0.5),
        ("−0.5", -0.5, 0.05),
        ("3.27×10^-6", 3.27e-6, 0.5e-8),
    ],
)
def test_printed_precision(text, value, half_unit):
    got = printed_precision(text)
    assert got is not None
    assert got[0] == pytest.approx(value, rel=1e-12)
    assert got[1] == pytest.approx(half_unit, rel=1e-12)


@pytest.mark.parametrize("text", ["", "abc", "(yhat - y)*x1", "1/2", "."])
def test_printed_precision_of_non_numbers_is_none(text):
    assert printed_precision(text) is None


def test_compare_at_printed_precision():
    assert compare("0.589", 0.588899).ok
    assert compare("0.29", 0.28905).ok
    assert not compare("0.289", 0.2895001).ok
    assert compare("8.24e-7", 8.244e-7).ok
    assert not compare("8.24e-7", 3.31043e-6).ok
    assert not compare("1", None).ok


# --------------------------------------------------------------------------- kinds of errata
# Oracle: the seeds' own printed numbers. Seed 003 prints a² = 0.589 and then C = 0.168921,
# which is (0.589 − 1)² = 0.411² (y = 1), while the unrounded a² gives 0.169004:
# early rounding. Its ∂C/∂W⁽²⁾ = −0.0287 is half of what its own printed factors give
# (−0.822 × 0.242 × 0.289 = −0.0575): a mistake; W⁽²⁾' = 0.5 + 0.1 × 0.0287 = 0.50287
# follows from it. Seed 002's b = −73 is (720 − 7.2·151)/5 = −73.44 from the rounded slope 7.2.


def _kinds(ref: str) -> dict[str, tuple[str, tuple]]:
    solution = explain.solve(catalog.load(ref))
    return {
        c.quantity.text: (c.kind, tuple((q.text, t) for q, t in c.basis)) for c in solution.errata
    }


def test_early_rounding_is_told_apart_from_mistakes():
    ex4 = _kinds("ex4")
    assert ex4["C"] == ("rounded", (("a2_1", "0.589"),))
    assert ex4["dC/dW2_1_1"][0] == ""  # a mistake of its own
    assert ex4["W2_1_1'"] == ("follows", (("dC/dW2_1_1", "-0.0287"),))
    assert _kinds("ex9")["b"] == ("rounded", (("a", "7.2"),))
    assert _kinds("ex15")["total"][0] == ""  # 6.48e9 printed as 6.4e9: not early rounding


def test_only_mistakes_count_as_mistakes():
    solution = explain.solve(catalog.load("ex4"))
    assert {c.quantity.text for c in solution.errata} - {
        c.quantity.text for c in solution.mistakes
    } == {"C"}


def test_views_mark_early_rounding_with_approx_and_say_why():
    import io

    from rich.console import Console

    from tutor.solutions import explain
    from tutor.views import document as export
    from tutor.views import terminal as render

    solution = explain.solve(catalog.load("ex4"))
    md = export.markdown(solution, "en")
    assert "≈ rounded early: what a2_1 = 0.589 as printed gives" in md
    assert "follows from the erratum dC/dW2_1_1 = -0.0287" in md
    assert "errata: 14 / " in md and "≈ 1 rounded early" in md
    zh = export.markdown(solution, "zh")
    assert "≈ 过早舍入：按原文的 a2_1 = 0.589 算出的结果" in zh
    console = Console(file=io.StringIO(), width=200, color_system=None)
    console.print(render.checks_table(solution.problem, solution.errata, "en"))
    row = next(line for line in console.file.getvalue().splitlines() if " C " in line)
    assert "≈ rounded early" in row and "✗" not in row


def test_check_counts_early_rounding_only_when_strict():
    from cli_runner import invoke

    plain = invoke("check", "ex9")
    assert plain.returncode == 0, plain.stdout
    assert "rounded early: 1, not counted" in plain.stdout
    assert invoke("check", "ex9", "--strict").returncode == 1
    assert invoke("check", "ex4").returncode == 1  # its real mistakes still count


# --------------------------------------------------------------------------- lookup by Quantity
# Issue 9: lookup reads a typed Quantity. Hand values for w = 2, x = 1, y = 1, z = w·x,
# L = (z − y)²: z = 2, L = 1, dL/dw = 2(z − y)·x = 2, dz/dw = x = 1; SGD with lr 0.1 gives
# w' = 1.8 and L' = 0.64; Adam's first step m = 0.1·2 = 0.2, v = 0.001·4 = 0.004, and moves
# w by lr (m_hat/sqrt(v_hat) = 2/2): 1.9.

LOOKUP_PROBLEM = """\
id: p
title: {en: t, zh: t}
statement: {en: s, zh: s}
inputs: {x: 1}
targets: {y: 1}
params: {w: 2}
graph: {z: w*x, L: (z - y)^2}
update: {optimizer: sgd, lr: 0.1}
published: {"adam:m[w]": 0.2}
"""


@pytest.mark.parametrize(
    "text, expected",
    [
        ("z", 2),
        ("x", 1),
        ("L", 1),
        ("dL/dw", 2),
        ("dL/dz", 2),
        ("dz/dw", 1),
        ("w'", 1.8),
        ("L'", 0.64),
        ("adam:m[w]", 0.2),
        ("adam:v[w]", 0.004),
        ("adam:w'", 1.9),
    ],
)
def test_lookup_reads_each_kind_of_quantity(tmp_path, text, expected):
    from tutor.model import Quantity
    from tutor.problems.loader import load_problem
    from tutor.solutions.errata import lookup

    path = tmp_path / "p.yaml"
    path.write_text(LOOKUP_PROBLEM, encoding="utf-8")
    solution = explain.solve(load_problem(path))
    assert lookup(solution, Quantity.parse(text, "L")) == pytest.approx(expected, rel=1e-6)
    assert lookup(solution, text) == pytest.approx(expected, rel=1e-6)  # text is parsed first
