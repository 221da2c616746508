"""Exact arithmetic where the mathematics is exact, and the reason where it is undefined.

Given values such as 0.4 and 0.1 are exact decimals, but binary floating point turns
0.4·0.5 + 0.3·(−1) + 0.1 into 2.8e-17. `value` evaluates an expression made of rational
operations (sums, products, integer powers, roots of exact squares, cubes...) and the
registry's functions with an exact rule in Python fractions, so the engine can round it once,
at the end, to the nearest float. A function such as tanh, exp or σ is exact at a few points
(tanh(0) = 0, exp(0) = 1, σ(0) = 1/2, log(1) = 0: its registry rule says which) and is
otherwise taken in floats, of its argument's exact value rounded once (`mixed`), not of a
float sum that carried round-off: tanh of an exact 0 is 0, not tanh(5.55e-17). A product with
an exact 0 factor is 0 whatever the other (finite) factors are. Sizes are bounded: a number
that would need more than `MAX_BITS` bits is past the float range anyway and is left to the
float evaluation too.

`undefined_reason` finds, inside an expression that evaluated to nan or ±inf, the innermost
operation that did it (a division by zero, the log of a negative number...).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import sympy as sp

from ..functions import EXACT, NUMERIC

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
    got = mixed(expr, env)
    return got if isinstance(got, Fraction) else None


def mixed(expr, env: dict) -> Fraction | float | None:
    """expr with the numbers in `env` (by name: Fractions, or floats where a value is not
    exact): a Fraction where the mathematics is exact, else the float computed from the exact
    values rounded once (NumPy's float64: overflow gives ±inf, as in the generated function);
    None when a name is missing, a division by an exact 0 is met, or a size bound is passed
    (the float evaluation then stands, and reports what is undefined)."""
    try:
        return _bounded(Fraction(*_exact(expr, env)))  # the quick walk: exact throughout
    except ZeroDivisionError:
        return None
    except _NotExact:
        pass
    try:
        with np.errstate(all="ignore"):
            got = _mixed(expr, env)
        return _bounded(Fraction(*got)) if type(got) is tuple else float(got)
    except (_NotExact, ZeroDivisionError):
        return None


def _bounded(x: Fraction) -> Fraction:
    if x.numerator.bit_length() > MAX_BITS or x.denominator.bit_length() > MAX_BITS:
        raise _NotExact
    return x


# Inside one expression exact numbers are (numerator, denominator > 0) pairs of ints, reduced
# only at the end: Python's Fraction reduces after every operation, and its gcd is most of the
# cost of a layer's 33-term sums. Decimals share power-of-ten denominators, so sums stay
# small. `_exact` gives up at the first number that is not exact; `_mixed`, which takes the
# same steps, carries such a number on as a NumPy float64.


def _exact(e, env: dict) -> tuple[int, int]:
    if e.is_Symbol:
        v = env.get(e.name)
        if v is None or type(v) is float:
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
        got = _power(_exact(e.args[0], env), _exact(e.args[1], env))
        if got is None:
            raise _NotExact
        return got
    rule = EXACT.get(type(e).__name__)  # the registry's exact rules
    if rule is None:
        raise _NotExact
    result = rule([Fraction(*_exact(a, env)) for a in e.args])
    if result is None:
        raise _NotExact
    result = Fraction(result)
    return result.numerator, result.denominator


def _mixed(e, env: dict):
    if e.is_Symbol:
        v = env.get(e.name)
        if v is None:
            raise _NotExact
        if type(v) is float:
            return np.float64(v)
        return v.numerator, v.denominator
    if e.is_Rational:
        return int(e.p), int(e.q)
    if e.is_Add:
        n, d, inexact = 0, 1, None
        for a in e.args:
            x = _mixed(a, env)
            if type(x) is not tuple:
                inexact = x if inexact is None else inexact + x
                continue
            an, ad = x
            n, d = (n + an, d) if ad == d else _small(n * ad + an * d, d * ad)
        return (n, d) if inexact is None else _float(n, d) + inexact
    if e.is_Mul:
        n, d, inexact, finite = 1, 1, None, True
        for a in e.args:
            x = _mixed(a, env)
            if type(x) is not tuple:
                inexact = x if inexact is None else inexact * x
                finite = finite and bool(np.isfinite(x))
                continue
            an, ad = x
            n, d = _small(n * an, d * ad)
        if inexact is None or (n == 0 and finite):
            return (n, d) if n else (0, 1)  # 0 times any finite number is exactly 0
        return _float(n, d) * inexact
    if e.is_Pow:
        base, exponent = _mixed(e.args[0], env), _mixed(e.args[1], env)
        if type(base) is tuple and type(exponent) is tuple:
            got = _power(base, exponent)
            if got is not None:
                return got
        return _as_float(base) ** _as_float(exponent)
    if e.is_Number or e.is_NumberSymbol:  # a Float, π, e
        try:
            return np.float64(float(e))
        except TypeError:  # zoo, nan as SymPy objects
            raise _NotExact from None
    name = type(e).__name__
    args = [_mixed(a, env) for a in e.args]
    rule = EXACT.get(name)  # the registry's exact rules
    if rule is not None and all(type(a) is tuple for a in args):
        result = rule([Fraction(*a) for a in args])
        if result is not None:
            result = Fraction(result)
            return result.numerator, result.denominator
    numeric = NUMERIC.get(name)
    if numeric is None:
        raise _NotExact
    return np.float64(numeric(*[_as_float(a) for a in args]))


def _power(base: tuple[int, int], exponent: tuple[int, int]) -> tuple[int, int] | None:
    """base^exponent exactly: a whole power, or a root (p/q) of a base that is an exact q-th
    power (√(9/4) = 3/2); None when it is not rational (√2) or not real (√−1)."""
    (n, d), (p, q) = base, exponent
    if max(abs(n).bit_length(), d.bit_length()) * abs(p) > MAX_BITS * q:
        raise _NotExact
    if q != 1:
        if n < 0 or q > MAX_ROOT:
            return None
        n, d = _root(n, q), _root(d, q)
        if n is None or d is None:
            return None
    if p < 0:
        if n == 0:
            raise ZeroDivisionError
        n, d, p = (d, n, -p) if n > 0 else (-d, -n, -p)
    return n**p, d**p


MAX_ROOT = 64  # roots of higher order are left to the float evaluation


def _root(k: int, q: int) -> int | None:
    """The whole q-th root of k ≥ 0, or None when k is not a q-th power."""
    if k < 2:
        return k
    r = math.isqrt(k) if q == 2 else _iroot(k, q)
    return r if r**q == k else None


def _iroot(k: int, q: int) -> int:
    """⌊k^(1/q)⌋ by Newton's method in integers."""
    x = 1 << -(-k.bit_length() // q)  # ≥ the root
    while True:
        y = ((q - 1) * x + k // x ** (q - 1)) // q
        if y >= x:
            return x
        x = y


def _float(n: int, d: int):
    """An exact pair's nearest float (±inf past the float range), as a NumPy float64."""
    try:
        return np.float64(n / d)
    except OverflowError:
        return np.float64(math.inf if (n > 0) == (d > 0) else -math.inf)


def _as_float(x):
    return _float(*x) if type(x) is tuple else x


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
