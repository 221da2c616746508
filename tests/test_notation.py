"""Tests for tutor.text.notation: the one number format, LaTeX in written order, statement templates."""

from __future__ import annotations

import pytest

from tutor.text.notation import fill, fmt, placeholders, substitute
from tutor.views.written import latex_written

# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    "value, shown",
    [
        (6480242100.0, "6,480,242,100"),  # a count: every digit, in groups of three
        (30000.0, "30,000"),
        (-40828.0, "-40,828"),
        (12345.5, "12,345.5"),
        (1000.0, "1000"),  # four digits stay together, like a year
        (4.67958e-6, "4.67958e-6"),  # no padded exponent (Python's :g writes e-06)
        (3.31043e-6, "3.31043e-6"),
        (1.5e-300, "1.5e-300"),
        (2.5e16, "2.5e16"),
        (123456789.5, "1.23457e8"),
        (0.1 + 0.2, "0.3"),
        (0.0, "0"),
    ],
)
def test_fmt_is_one_format_for_every_view(value, shown):
    assert fmt(value) == shown


def test_fmt_at_few_digits_does_not_pretend_a_whole_number_is_exact():
    assert fmt(80242100.0, 3) == "8.02e7"  # not 80,200,000
    assert fmt(6480242100.0, group=False) == "6480242100"
    assert fmt(24810.0, 10) == "24810"  # an exact answer to type back: the parser has no commas


def test_numbers_inside_a_formula_have_no_separators():
    # a comma inside `softmax(...)` or a product would read as an argument separator
    assert substitute("L*n^2", {"L": 10.0, "n": 100000.0}) == "10*100000^2"


# --------------------------------------------------------------------------- LaTeX as written


@pytest.mark.parametrize(
    "text, tex",
    [
        ("w1*x1 + w2*x2 + b1", r"w_{1} \cdot x_{1} + w_{2} \cdot x_{2} + b_{1}"),
        ("w3*h + b2", r"w_{3} \cdot h + b_{2}"),  # SymPy's order: b_{2} + h \cdot w_{3}
        ("(n0 + 1)*n1", r"\left(n_{0} + 1\right) \cdot n_{1}"),
        ("f1*(k1*k1*c0 + 1)", r"f_{1} \cdot \left(k_{1} \cdot k_{1} \cdot c_{0} + 1\right)"),
        ("(x1 + x2)/4", r"\frac{x_{1} + x_{2}}{4}"),
        ("1/2*(yhat - y)^2", r"\frac{\left(\hat{y} - y\right)^{2}}{2}"),
        ("0.5*x - 3*y", r"0.5 \cdot x - 3 \cdot y"),  # decimals as written, not 1/2
        ("1e-3*w", r"1 \times 10^{-3} \cdot w"),
        ("1/(z - 3)", r"\frac{1}{z - 3}"),
        ("x*-2", r"x \cdot \left(-2\right)"),
        ("abs(h - y) + (h - y)^2/2", r"\left|{h - y}\right| + \frac{\left(h - y\right)^{2}}{2}"),
    ],
)
def test_latex_keeps_the_written_order(text, tex):
    assert latex_written(text) == tex


# --------------------------------------------------------------------------- statement templates


def test_fill_puts_current_values_in_the_statement():
    template = "Here L = {L} and n = {n}; a set {{a, b}} and {not_given}."
    assert placeholders(template) == ["L", "n", "not_given"]
    filled = fill(template, {"L": 3, "n": 100000, "yhat": None})
    assert filled == "Here L = 3 and n = 100,000; a set {a, b} and {not_given}."
    assert fill("ŷ = {yhat}", {"yhat": None}) == "ŷ = ŷ"  # a symbolic problem: the name
