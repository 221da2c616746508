"""Tests for tutor.quiz.grading: reading numbers, tolerances, formula equivalence, and the public
`grade` function (no problem file needed).

Expected values are worked by hand (1/8 = 0.125, the significant figures of a decimal, exact
polynomial identities), never taken from the grader itself.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shared import no_hang

from tutor.errors import InputError, ParseError
from tutor.language.expr import parse
from tutor.quiz.grading import equivalent, figures, grade, read_number, tolerance

# -- reading numbers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, value",
    [
        ("8", 8.0),
        ("-0.0575", -0.0575),
        ("1/8", 0.125),
        ("1e-3", 0.001),
        ("−5", -5.0),
        ("12.5", 12.5),
        ("4*2*1*1", 8.0),
        (" 3 ", 3.0),
        ("2(3)", 6.0),
    ],
)
def test_numbers_in_the_usual_forms(text, value):
    assert read_number(text) == pytest.approx(value)


@pytest.mark.parametrize(
    "text", ["x", "3 +", "1/0", "exp(1000)", "sqrt(-1)", "8 8 8 (", "", "2^^3"]
)
def test_unreadable_numbers_are_parse_errors(text):
    with pytest.raises(ParseError):
        read_number(text)


def test_tolerance_follows_the_typed_figures_within_a_floor_and_a_ceiling():
    assert tolerance("8", 8.0) == pytest.approx(0.08)  # 1 % ceiling beats half a unit (0.5)
    assert tolerance("0.0575", -0.0575) == pytest.approx(0.0000575)  # 0.1 % floor
    assert tolerance("0.06", 0.0575) == pytest.approx(0.000575)  # ceiling
    assert tolerance("12.50", 12.5) == pytest.approx(0.0125)  # floor 0.1 %
    assert tolerance("12.5", 12.5) == pytest.approx(0.05)  # half a unit of the last digit
    assert tolerance("1/8", 0.125) == pytest.approx(0.00125)  # not a decimal: 1 %
    assert tolerance("8", 8.0, problem_tol=0.05) == pytest.approx(0.4)  # per problem
    assert tolerance("0", 0.0) > 0


def test_trailing_zeros_of_a_whole_number_are_not_significant():
    assert figures("1170") == (5, 3)
    assert figures("1.17e3") == (5, 3)
    assert figures("1170.") == (Fraction(1, 2), 4)
    assert figures("0.0409") == (Fraction(1, 20000), 3)
    assert figures("1/8") is None


# -- numbers through the public grade() ----------------------------------------------------------


@pytest.mark.parametrize(
    "value, tol, text, verdict",
    [
        (1e-33, 0.05, "1.06e-33", "wrong"),  # 6 % off: no absolute floor for a nonzero answer
        (1e-33, 0.05, "1.04e-33", "right"),
        (0.0, 0.05, "1e-12", "right"),  # the floor is for an exact 0 only
        (1.0, 0.05, "1.05", "right"),  # exactly on the boundary: compared in fractions
        (1.0, 0.05, "0.95", "right"),
        (1.0, 0.05, "1.0500001", "wrong"),
        (1174.34, None, "1170", "right"),  # 3 significant figures, like 1.17e3
        (1174.34, None, "1.17e3", "right"),
        (999, None, "1000", "right"),  # short, but within 1 %
    ],
)
def test_tolerance_in_exact_fractions(value, tol, text, verdict):
    assert grade(text, value, tolerance=tol).verdict == verdict


@pytest.mark.parametrize(
    "value, tol, text, given, needed",
    [
        (-0.0409, None, "-0.04", 1, 2),  # 2 % off; -0.041 is within 1 %
        (-0.0409, None, "−0.04", 1, 2),
        (1174.34, None, "1200", 2, 3),
        (0.123456, 0.0001, "0.1235", 4, 5),  # a per-problem tolerance of 0.01 %
    ],
)
def test_too_few_figures_asks_for_more(value, tol, text, given, needed):
    g = grade(text, value, tolerance=tol)
    assert g.verdict == "undecided" and g.reason == "figures"
    assert not g.counted and g.credit == 0
    figure = "figure" if given == 1 else "figures"
    assert g.feedback.en == f"right to {given} significant {figure}; give at least {needed}"
    assert f"至少给出 {needed} 位" in g.feedback.zh


def test_a_wrongly_rounded_short_answer_is_wrong():
    assert grade("-0.05", -0.0409).verdict == "wrong"
    assert grade("-0.041", -0.0409).verdict == "right"


@pytest.mark.parametrize("expected", [Fraction(1, 8), 0.125, "1/8", "0.125", "2^-3"])
def test_the_expected_number_in_every_form(expected):
    for typed in ("1/8", "0.125", "12.5e-2", "0.5^3"):
        g = grade(typed, expected)
        assert (g.verdict, g.credit, g.exact) == ("right", 1.0, "0.125"), (typed, expected)
    assert grade("0.14", expected).verdict == "wrong"  # 12 % off
    assert grade("0.13", expected).verdict == "undecided"  # rounded right, to 2 figures


def test_whole_numbers_and_the_rounding_warning():
    g = grade("8", 8)
    assert (g.verdict, g.warning) == ("right", None)
    assert g.feedback.en == "correct: 8" and g.feedback.zh == "正确：8"
    g = grade("0.29", "sigmoid(-0.9)")  # σ(-0.9) = 0.2890505...: within 1 %, 0.3 % off
    assert g.verdict == "right" and "rounded too early" in g.warning.en
    assert g.exact.startswith("0.28905")


@pytest.mark.parametrize("typed, mistake", [("-8", "sign"), ("16", "factor2"), ("4", "factor2")])
def test_a_number_is_checked_for_a_sign_or_a_factor_of_2(typed, mistake):
    g = grade(typed, 8)
    assert (g.verdict, g.mistake, g.credit) == ("wrong", mistake, 0)
    assert "the answer is 8" in g.feedback.en and "答案是 8" in g.feedback.zh


def test_a_plain_miss_names_no_mistake():
    g = grade("9", 12)
    assert (g.verdict, g.mistake, g.exact) == ("wrong", None, "12")
    assert g.feedback.en == "not quite: the answer is 12"


def test_a_per_call_tolerance_is_relative():
    assert grade("8.7", 8, tolerance=0.1).verdict == "right"
    assert grade("8.7", 8).verdict == "wrong"


# -- formulas through the public grade() ---------------------------------------------------------

NAMES = ("x1", "y", "yhat")


@pytest.mark.parametrize(
    "typed, verdict, mistake",
    [
        ("x1(ŷ - y)", "right", None),
        ("x1*yhat - x1*y", "right", None),
        ("(y - yhat)*x1", "wrong", "sign"),
        ("2*(yhat - y)*x1", "wrong", "factor2"),
        ("(yhat - y)*x1/2", "wrong", "factor2"),
        ("(yhat - y)*x1^2", "wrong", None),
    ],
)
def test_a_formula_in_names(typed, verdict, mistake):
    g = grade(typed, "(yhat - y)*x1", names=NAMES)
    assert (g.verdict, g.mistake) == (verdict, mistake), g.feedback.en
    if verdict == "wrong" and mistake is None:
        assert g.feedback.en.startswith("not equivalent: the answer is x1·(ŷ - y)")


def test_a_formula_real_at_too_few_points_is_undecided():
    g = grade("sqrt(-1 - a^2)", "a", names=("a",))
    assert (g.verdict, g.reason, g.counted) == ("undecided", "points", False)
    assert "too few of the points" in g.feedback.en and "实数值" in g.feedback.zh


def test_unreadable_answers_are_invalid_with_the_column():
    g = grade("x1 +", "(yhat - y)*x1", names=NAMES)
    assert (g.verdict, g.counted) == ("invalid", False)
    assert g.feedback.en.startswith("can't read that:") and g.column is not None
    assert grade("q", "x1", names=NAMES).verdict == "invalid"  # a name not given
    assert grade("x1", 1).verdict == "invalid"  # a number expected: no names at all
    assert grade("   ", 1).verdict == "invalid"
    g = grade("1" * 600, 1)
    assert g.verdict == "invalid" and "1" * 40 + "…" in g.feedback.en


def test_an_expected_answer_that_cannot_be_read_is_an_input_error():
    with pytest.raises(InputError, match="cannot read the expected answer"):
        grade("1", "1 +")
    with pytest.raises(InputError):
        grade("1", "x")  # a name that is not in `names`
    with pytest.raises(TypeError):
        grade("1", [1])
    with pytest.raises(TypeError):
        grade("1", True)


def test_grade_is_importable_and_usable_without_a_problem_file(tmp_path, monkeypatch):
    # a script's own folder: no catalogue or problem file is read
    monkeypatch.chdir(tmp_path)
    from tutor.quiz.grading import grade as imported

    assert imported("0.125", "1/8").verdict == "right"


# -- formula equivalence -----------------------------------------------------------------------


def test_rational_functions_are_compared_exactly():
    # 10⁹(x² + 1)¹³ and the same plus 1 differ by 1 part in 10⁹ or less at every point
    big = parse("10^9*(x^2+1)^13")
    assert equivalent(big, big + 1) is False
    assert (
        equivalent(
            parse("(x+1)^13"),
            parse(
                "x^13 + 13x^12 + 78x^11 + 286x^10 + 715x^9 + 1287x^8 + 1716x^7 + 1716x^6 + 1287x^5 "
                "+ 715x^4 + 286x^3 + 78x^2 + 13x + 1",
                implicit_multiplication=True,
            ),
        )
        is True
    )
    assert equivalent(parse("1/(x-1) - 1/(x+1)"), parse("2/(x^2 - 1)")) is True
    assert equivalent(parse("sqrt(2)*x"), parse("x")) is False  # not a rational coefficient
    assert equivalent(parse("sqrt(8)*x"), parse("2*sqrt(2)*x")) is True


@pytest.mark.parametrize(
    "text",
    [
        "(x1+y+yhat)^100",
        "((x1+y)^100)^100 - x1",
        "9^9^9^9",
        "(" * 60 + "1" + ")" * 60,
        "1e999",
        "exp(exp(exp(x1)))",
        "x1" * 240,
        "sigmoid(" * 40 + "y" + ")" * 40,
    ],
)
def test_hostile_input_is_refused_or_graded_quickly(text):
    with no_hang(5.0):  # a safety bound (no hang); the goal is in the bench
        g = grade(text, "(yhat - y)*x1", names=NAMES)
    assert g.verdict in ("invalid", "wrong")


@settings(max_examples=400, deadline=None)
@given(
    st.integers(-(10**7), 10**7),
    st.integers(-12, 6),
    st.integers(-(10**7), 10**7),
    st.integers(-12, 6),
    st.sampled_from([None, 0.05, 1e-6]),
)
def test_within_decides_as_the_exact_rule(a, ea, b, eb, problem_tol):
    # the oracle: the tolerance rule in exact fractions, on typed decimals near and far from
    # the exact value (the float pre-check must never change a verdict)
    from tutor.quiz.grading import exact_fraction, tolerance, within

    typed = f"{a}e{ea}"
    value = Fraction(a) * Fraction(10) ** ea
    for exact in (Fraction(b) * Fraction(10) ** eb, value * Fraction(1001, 1000), value):
        rule = abs(value - exact_fraction(exact)) <= tolerance(typed, exact, problem_tol)
        assert within(value, typed, exact, problem_tol) == rule
