"""Exact arithmetic where the mathematics is exact, and the reason where it is undefined.

Given values such as 0.4 and 0.1 are exact decimals, but binary floating point turns
0.4·0.5 + 0.3·(−1) + 0.1 into 2.8e-17. `value` evaluates an expression made only of rational
operations (sums, products, integer powers, and the registry's functions with an exact rule:
ReLU, leaky ReLU, max, min, |x|...) in Python fractions, so the engine can round it once, at
the end, to the nearest float; anything through exp, log, σ or tanh is left to the float
evaluation. Sizes are bounded: a number that would need more than
`MAX_BITS` bits is past the float range anyway and is left to the float evaluation too.

`undefined_reason` finds, inside an expression that evaluated to nan or ±inf, the innermost
operation that did it (a division by zero, the log of a negative number...).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import sympy as sp

from ..functions import EXACT

MAX_BITS = 4096


class _NotExact(Exception):
    """This expression (or a value it uses) is not a rational operation of exact numbers."""


def number(value) -> Fraction | None:
    """A SymPy number, int or Fraction as a Fraction; None for floats and anything else."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Fraction(value)
    if isinstance(value, sp.Rational):
        return Fraction(int(value.p), int(value.q))
    return None


def decimal(value: float) -> Fraction | None:
    """The decimal a user typed for a float such as a learning rate (0.01 -> 1/100)."""
    if isinstance(value, Fraction):
        return value
    if not math.isfinite(value):
        return None
    return Fraction(repr(float(value)))


def value(expr, env: dict) -> Fraction | None:
    """expr evaluated exactly with the Fractions in `env` (by name), or None if it cannot be."""
    try:
        n, d = _exact(expr, env)
        return _bounded(Fraction(n, d))
    except (_NotExact, ZeroDivisionError):
        return None  # a division by zero is the float evaluation's to report


def _bounded(x: Fraction) -> Fraction:
    if x.numerator.bit_length() > MAX_BITS or x.denominator.bit_length() > MAX_BITS:
        raise _NotExact
    return x


# Inside one expression numbers are (numerator, denominator > 0) pairs of ints, reduced only
# at the end: Python's Fraction reduces after every operation, and its gcd is most of the cost
# of a layer's 33-term sums. Decimals share power-of-ten denominators, so sums stay small.


def _exact(e, env: dict) -> tuple[int, int]:
    if e.is_Symbol:
        v = env.get(e.name)
        if v is None:
            raise _NotExact
        return v.numerator, v.denominator
    if e.is_Rational:
        return int(e.p), int(e.q)
    if e.is_Add:
        n, d = 0, 1
        for a in e.args:
            an, ad = _exact(a, env)
            n, d = (n + an, d) if ad == d else _small(n * ad + an * d, d * ad)
        return n, d
    if e.is_Mul:
        n, d = 1, 1
        for a in e.args:
            an, ad = _exact(a, env)
            n, d = _small(n * an, d * ad)
        return n, d
    if e.is_Pow:
        exponent = e.args[1]
        if not exponent.is_Integer:
            raise _NotExact
        (n, d), k = _exact(e.args[0], env), int(exponent)
        if max(abs(n).bit_length(), d.bit_length()) * abs(k) > MAX_BITS:
            raise _NotExact
        if k < 0:
            if n == 0:
                raise ZeroDivisionError
            n, d, k = (d, n, -k) if n > 0 else (-d, -n, -k)
        return n**k, d**k
    rule = EXACT.get(type(e).__name__)  # the registry's exact rules
    if rule is None:
        raise _NotExact
    result = rule([Fraction(*_exact(a, env)) for a in e.args])
    if result is None:
        raise _NotExact
    result = Fraction(result)
    return result.numerator, result.denominator


def _small(n: int, d: int) -> tuple[int, int]:
    """(n, d) reduced once it grows; past 2·MAX_BITS it is beyond the float range anyway."""
    if d.bit_length() > MAX_BITS:
        g = math.gcd(n, d)
        n, d = n // g, d // g
    if abs(n).bit_length() > 2 * MAX_BITS or d.bit_length() > 2 * MAX_BITS:
        raise _NotExact  # the float evaluation says overflow (or underflow)
    return n, d


def dot(pairs) -> Fraction | float:
    """Σ a·b over (a, b) pairs: exact while both factors are exact (ints or Fractions), summed
    as unreduced numerator/denominator pairs and reduced once (Python's Fraction would reduce
    after every term); a term with a float in it is added as a float."""
    n, d, floats = 0, 1, None
    for a, b in pairs:
        if not isinstance(a, float) and not isinstance(b, float):
            pn, pd = a.numerator * b.numerator, a.denominator * b.denominator
            try:
                n, d = (n + pn, d) if pd == d else _small(n * pd + pn * d, d * pd)
                continue
            except _NotExact:  # too large to keep exact: this term goes with the floats
                a, b = to_float(Fraction(pn, pd)), 1.0
        floats = a * b if floats is None else floats + a * b
    exact = Fraction(n, d)
    return exact if floats is None else to_float(exact) + floats


def to_float(x) -> float:
    """The nearest float; ±inf for a number past the float range (never OverflowError)."""
    try:
        if isinstance(x, sp.Rational):  # SymPy's float() goes through mpmath: 10 times slower
            return int(x.p) / int(x.q)  # correctly rounded, as SymPy's
        return float(x)
    except OverflowError:
        return math.inf if x > 0 else -math.inf


# --------------------------------------------------------------------------- undefined


def undefined_reason(expr, env: dict[str, float], numeric: dict) -> str:
    """Why `expr` is nan or ±inf at `env`: the innermost operation that went wrong, as a key
    of `errors.UndefinedError.REASONS` (division_by_zero, log_of_negative, overflow...)."""
    found: list[str] = []

    def visit(e) -> float:
        if e.is_Symbol:
            return np.float64(env[e.name])
        if e.is_Number:
            return np.float64(to_float(e))
        args = [visit(a) for a in e.args]
        if found:
            return np.float64(math.nan)
        with np.errstate(all="ignore"):
            if e.is_Add:
                out = np.sum(args)
            elif e.is_Mul:
                out = np.prod(args)
            elif e.is_Pow:
                out = np.power(args[0], args[1])
            else:
                out = np.float64(numeric[type(e).__name__](*args))
        if not np.isfinite(out) and all(np.isfinite(a) for a in args):
            found.append(_reason(e, args))
        return out

    visit(expr)
    return found[0] if found else "overflow"


def _reason(e, args) -> str:
    if e.is_Pow:
        base, exponent = args
        if base == 0 and exponent < 0:
            return "division_by_zero"
        if base < 0 and exponent != int(exponent):
            return "sqrt_of_negative" if abs(exponent) == 0.5 else "power_of_negative"
    if isinstance(e, sp.log):
        return "log_of_zero" if args[0] == 0 else "log_of_negative"
    return "overflow"
