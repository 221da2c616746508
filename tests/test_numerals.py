"""Tests for tutor.language.numerals: numbers read exactly without SymPy, and None (ask the parser)
for anything more. Expected values are hand-computed fractions."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tutor.errors import ParseError
from tutor.language import numerals
from tutor.problems import loader


@pytest.mark.parametrize(
    "text, value",
    [
        ("2", Fraction(2)),
        ("-0.5", Fraction(-1, 2)),
        (".5", Fraction(1, 2)),
        ("5.", Fraction(5)),
        ("1e-3", Fraction(1, 1000)),
        ("2.5E+4", Fraction(25000)),
        ("1/3", Fraction(1, 3)),
        ("2^-3", Fraction(1, 8)),
        ("2**3", Fraction(8)),
        ("-2^2", Fraction(-4)),
        ("2^3^2", Fraction(512)),
        ("(1 + 2)/3 - 1/6", Fraction(5, 6)),
        ("0^0", Fraction(1)),
        (" 3 * -2 ", Fraction(-6)),
        ("0.1 + 0.2", Fraction(3, 10)),
    ],
)
def test_plain_arithmetic_is_read_exactly(text, value):
    assert numerals.exact(text) == value


@pytest.mark.parametrize(
    "text",
    [
        "",
        "x",
        "2x",
        "2 3",
        "(2)(3)",
        "max(1, 2)",
        "2²",
        "\u22121",
        "1/0",
        "0^-1",
        "2^(1/2)",
        "2^101",
        "10^100^2",
        "(" * 60 + "1" + ")" * 60,
        "1" * 101,
        "1e999",
        "1 +",
        "(1",
        "1)",
    ],
)
def test_anything_more_is_left_to_the_parser(text):
    assert numerals.exact(text) is None


def test_scan_number_is_the_parsers_literal():
    assert numerals.scan_number("12.5e-1*x", 0) == (7, Fraction(5, 4))
    assert numerals.scan_number("2e", 0) == (1, Fraction(2))  # `2e` is 2·e
    with pytest.raises(ParseError, match="too long"):
        numerals.scan_number("1" * 101, 0)


@pytest.mark.parametrize(
    "text, value",
    [
        ("1/4", Fraction(1, 4)),
        ("max(1, 2)", Fraction(2)),
        ("3²", Fraction(9)),
        ("\u22120.5", Fraction(-1, 2)),
        ("relu(-1)", Fraction(0)),
    ],
)
def test_both_stages_read_the_same_number(text, value):
    """The light stage's Fraction and the full stage's SymPy number are the same value, also
    where the light stage asks the parser (functions, ², the minus sign U+2212)."""
    light, full = loader.read_number(text, light=True), loader.read_number(text)
    assert isinstance(light, Fraction) and light == value
    assert full.is_Rational and Fraction(int(full.p), int(full.q)) == value


def test_not_a_number_and_unreadable_text_are_told_apart():
    assert loader.read_number("sqrt(2)", light=True) is None
    with pytest.raises(ParseError, match="division by zero"):
        loader.read_number("1/0", light=True)


@pytest.mark.parametrize(
    "text, value",
    [
        ("12", 12.0),
        ("-0.5", -0.5),
        ("+3", 3.0),
        (".5", 0.5),
        ("5.", 5.0),
        ("1e-3", 0.001),
        ("2.5E+4", 25000.0),
        ("0.1", 0.1),  # the float nearest 1/10, as float() rounds it
        ("1e-400", 0.0),  # below the smallest float: 0, as any reader gives
    ],
)
def test_decimal_reads_a_plain_decimal(text, value):
    assert numerals.decimal(text) == value


@pytest.mark.parametrize(
    "text",
    [
        "1_000",
        "inf",
        "-Infinity",
        "nan",
        "0x10",
        "1e400",
        "-1e309",
        "1/2",
        "1,000",
        "1.2.3",
        " 1",
        "",
        "-",
        "e5",
        "１",
        "٣",
        "1e",
        "--1",
        "2^3",
    ],
)
def test_decimal_refuses_what_float_reads_but_a_data_file_does_not_mean(text):
    """Issue 23: float() reads `1_000` as 1000, `inf`, `nan`, full-width and Arabic-Indic
    digits; a CSV cell is a plain decimal or not a number."""
    assert numerals.decimal(text) is None


@settings(max_examples=300, deadline=None)
@given(
    st.booleans(),
    st.integers(0, 10**20 - 1),
    st.one_of(st.none(), st.integers(0, 10**20 - 1)),
    st.one_of(st.none(), st.integers(-99, 99)),
)
def test_a_decimal_read_without_the_parser_has_the_parsers_value(negative, whole, fraction, power):
    # the oracle: the arithmetic reader (the slow path) on the same text
    text = ("-" if negative else "") + str(whole)
    if fraction is not None:
        text += f".{fraction}"
    if power is not None:
        text += f"e{power}"
    assert numerals.exact(text) == numerals._Arithmetic(text).read()
