"""Exact numbers as problem files and `--set` write them, read without SymPy.

`scan_number` is the restricted parser's own reading of one literal (`12`, `.5`, `1e-3`), as
a `Fraction`. `exact` reads a whole number written as arithmetic (`1/2`, `-0.5`, `2^-3`,
`(1 + 2)/3`) and answers None for anything more (a name, a function, `²`, juxtaposition, a
bound reached): the caller then asks the full parser (tutor/expr.py), which accepts the same
texts with the same values and says what is wrong with the others. So `show` reads a problem's
given values without importing SymPy, and every message stays the parser's.
"""

from __future__ import annotations

import re
from fractions import Fraction

from tutor.errors import ParseError

MAX_DIGITS = 100  # digits in one numeric literal (as the parser)
MAX_EXP10 = 300  # |e| in a literal such as 1e-3
MAX_LENGTH = 2000  # characters of a number's text (the parser's default bound)
MAX_DEPTH = 50  # parentheses and signs, nested
MAX_EXPONENT = 100  # |exponent| of a power
MAX_BITS = 3400  # size of any number built (the parser's MAX_NUMBER_BITS)
_DIGITS = "0123456789"
_OPERATORS = "+-*/^()"
# `-0.1603`, `12`: what a generated network writes 20,000 times, read in one step (the
# same value as the grammar below gives; at most 30 digits, far inside every bound)
_PLAIN = re.compile(r"(-?)(\d{1,20})(?:\.(\d{1,20}))?(?:[eE]([+-]?\d{1,2}))?")


# a plain decimal as a data file writes it: sign, digits with one optional point, exponent
_DECIMAL = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?", re.ASCII)


def decimal(text: str) -> float | None:
    """The float (correctly rounded) of a plain decimal (`-0.5`, `12`, `.5`, `1e-3`,
    `2.5E+4`), or None for any other text: what Python's float() also reads but a data file
    does not mean (`1_000`, `inf`, `nan`, `0x1p3`, ` 1`) and numbers beyond ±1.8e308."""
    if len(text) > MAX_LENGTH or not _DECIMAL.fullmatch(text):
        return None
    value = float(text)
    return value if abs(value) != float("inf") else None


def _scan_digits(text: str, i: int) -> int:
    while i < len(text) and text[i] in _DIGITS:
        i += 1
    return i


def scan_number(text: str, start: int) -> tuple[int, Fraction]:
    """Read `12`, `12.5`, `.5`, `5.`, `1e-3`, `2.5E+4` at `start`: the end and the exact value.
    `2e` stops before the `e` (the parser reads 2·e)."""
    i = _scan_digits(text, start)
    whole, fraction = text[start:i], ""
    if i < len(text) and text[i] == ".":
        j = _scan_digits(text, i + 1)
        fraction, i = text[i + 1 : j], j
    if len(whole) + len(fraction) > MAX_DIGITS:
        raise ParseError("parse_number_too_long", start + 1, most=MAX_DIGITS)
    exp10 = 0
    if i < len(text) and text[i] in "eE":  # an exponent only if digits follow: `2e` is 2·e
        j = i + 1
        if j < len(text) and text[j] in "+-":
            j += 1
        end = _scan_digits(text, j)
        if end > j:
            digits = text[j:end].lstrip("0") or "0"
            if len(digits) > 3 or int(digits) > MAX_EXP10:
                raise ParseError("parse_number_exponent", i + 1, most=MAX_EXP10)
            exp10 = -int(digits) if text[j - 1] == "-" else int(digits)
            i = end
    mantissa = int(whole + fraction)
    scale = len(fraction) - exp10
    value = Fraction(mantissa, 10**scale) if scale > 0 else Fraction(mantissa * 10**-scale)
    return i, value


class _Unsure(Exception):
    """The text is more than plain arithmetic, or reaches a bound: the full parser decides."""


def exact(text: str) -> Fraction | None:
    """The exact value of `text` when it is plain arithmetic on numbers, else None (ask the
    full parser: it reads the same value, or says why the text is not one)."""
    if not isinstance(text, str) or len(text) > MAX_LENGTH:
        return None
    plain = _PLAIN.fullmatch(text)
    if plain:  # a decimal as a float prints it (0.8698915256370021, 1.25e-05): no parser
        sign, whole, fraction, power = plain.groups()
        shift = int(power or 0) - len(fraction or "")
        digits = int(sign + whole + (fraction or ""))
        # one Fraction built (not three): a class's tensor answers are thousands of these
        value = Fraction(digits * 10**shift) if shift >= 0 else Fraction(digits, 10**-shift)
        if not _big(value):
            return value
    try:
        return _Arithmetic(text).read()
    except (_Unsure, ParseError, ZeroDivisionError, OverflowError, RecursionError):
        return None


def _big(x: Fraction) -> bool:
    return max(abs(x.numerator).bit_length(), x.denominator.bit_length()) > MAX_BITS


class _Arithmetic:
    """expression := term (("+" | "-") term)*; term := unary (("*" | "/") unary)*;
    unary := ("+" | "-") unary | power; power := primary ("^" unary)?;
    primary := number | "(" expression ")": the parser's grammar without names."""

    def __init__(self, text: str):
        self.tokens: list = []
        i = 0
        while i < len(text):
            c = text[i]
            if c in " \t":
                i += 1
            elif c in _DIGITS or (c == "." and i + 1 < len(text) and text[i + 1] in _DIGITS):
                i, value = scan_number(text, i)
                self.tokens.append(value)
            elif text.startswith("**", i):
                self.tokens.append("^")
                i += 2
            elif c in _OPERATORS:
                self.tokens.append(c)
                i += 1
            else:
                raise _Unsure
        self.pos = 0
        self.depth = 0

    def read(self) -> Fraction:
        if not self.tokens:
            raise _Unsure
        value = self._expression()
        if self.pos != len(self.tokens):
            raise _Unsure
        return value

    def _peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self):
        token = self._peek()
        if token is None:
            raise _Unsure
        self.pos += 1
        return token

    def _nested(self, read):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Unsure
        value = read()
        self.depth -= 1
        return value

    def _checked(self, value: Fraction) -> Fraction:
        if _big(value):
            raise _Unsure
        return value

    def _expression(self) -> Fraction:
        value = self._term()
        while self._peek() in ("+", "-"):
            sign = self._take()
            term = self._term()
            value = self._checked(value + term if sign == "+" else value - term)
        return value

    def _term(self) -> Fraction:
        value = self._unary()
        while self._peek() in ("*", "/"):
            op = self._take()
            factor = self._unary()
            if op == "/" and factor == 0:
                raise _Unsure
            value = self._checked(value * factor if op == "*" else value / factor)
        return value

    def _unary(self) -> Fraction:
        if self._peek() in ("+", "-"):
            sign = self._take()
            value = self._nested(self._unary)
            return -value if sign == "-" else value
        return self._power()

    def _power(self) -> Fraction:
        base = self._primary()
        if self._peek() != "^":
            return base
        self._take()
        exponent = self._nested(self._unary)
        if exponent.denominator != 1 or abs(exponent) > MAX_EXPONENT:
            raise _Unsure
        if base == 0 and exponent < 0:
            raise _Unsure
        if (
            max(abs(base.numerator).bit_length(), base.denominator.bit_length()) * abs(exponent)
            > MAX_BITS
        ):
            raise _Unsure
        return base ** int(exponent)

    def _primary(self) -> Fraction:
        token = self._take()
        if isinstance(token, Fraction):
            return token
        if token == "(":
            value = self._nested(self._expression)
            if self._take() != ")":
                raise _Unsure
            return value
        raise _Unsure
