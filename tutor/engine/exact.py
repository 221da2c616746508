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

from tutor.registry.functions import EXACT, NUMERIC

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


# --------------------------------------------------------------------------- tensor values
# Tensor problems compute in floats, but their given entries are decimals: W x + b whose exact
# value is 0 came out as 2.776e-17, and tanh or ReLU of it the same. A node made of sums,
# products, matrix products, convolutions, pooling and the registry's exact rules (ReLU,
# tanh(0) = 0...) of exact entries is evaluated again in fractions, while it is small. An entry
# whose exact value is a whole number (0 above all) takes it, and the nodes after it are
# computed from it; the others keep the float arithmetic's value, so that a number such as
# 1.4155, shown to 4 figures, is shown as before (its nearest float lies below the tie).

EXACT_WORK = 1000  # fraction operations (entries read, products) one forward pass may spend
SHORT = 15  # a float whose shortest decimal has at most this many digits is that decimal
_RATIONAL = frozenset(
    "add sub mul div neg matmul T sum mean flatten max min "
    "conv2d conv2d_bias maxpool avgpool".split()
)


class _Inexact(Exception):
    """No exact value here (a function away from its exact points, too large, 1/0...)."""


def _decimals(array: np.ndarray) -> np.ndarray | None:
    """The decimals a float array's entries were written as (0.1, not the float nearest it),
    or None when an entry is not a short decimal (1/3 read as a float, a computed value)."""
    out = np.empty(array.shape, dtype=object)
    for index, x in np.ndenumerate(array):
        text = repr(float(x))
        digits = text.split("e")[0].replace("-", "").replace(".", "").strip("0")
        if len(digits) > SHORT or not text[-1].isdigit():  # inf, nan
            return None
        out[index] = Fraction(text)
    return out


def _fraction_work(op, xs: list) -> int:
    if op.kind == "matmul":
        return xs[0].size * xs[1].shape[-1]
    if op.kind.startswith("conv2d"):
        return xs[1].size * xs[0].shape[1] * xs[0].shape[2]
    return max(x.size for x in xs)


def _exact_value(op, env: dict, budget: list[int], dry: bool = False) -> np.ndarray:
    """op in fractions (object arrays) from the exact values in `env`; raises _Inexact, also
    when it would spend more than `budget`. `dry`: the same walk over the float values, to
    count the work before any fraction is made."""
    if op.kind == "name":
        return env[op.name]
    if op.kind == "number":
        return np.asarray(float(op.value) if dry else op.value, dtype=float if dry else object)
    if op.kind == "pow":
        n = op.args[1].value
        if n.denominator != 1:
            raise _Inexact
        xs = [_exact_value(op.args[0], env, budget, dry)]
    else:
        xs = [_exact_value(a, env, budget, dry) for a in op.args]
    budget[0] -= _fraction_work(op, xs)
    if budget[0] < 0:
        raise _Inexact
    from tutor.registry.ops import OPS

    spec = OPS[op.kind]
    if op.kind in _RATIONAL:
        forward = spec.forward(spec.attr_values(op.ints), *xs)
        return np.asarray(forward, dtype=float if dry else object)
    if op.kind == "pow":
        return xs[0] if dry else np.asarray(xs[0] ** int(n), dtype=object)
    rule = EXACT.get(op.kind) if spec.elementwise else None
    if rule is None:
        raise _Inexact
    if dry:
        return xs[0]
    out = np.empty(xs[0].shape, dtype=object)
    for index, v in np.ndenumerate(xs[0]):
        r = rule([v])
        if r is None:
            raise _Inexact
        out[index] = Fraction(r)
    return out


def _nearest(v) -> float:
    try:
        return float(v)
    except OverflowError:
        return float("inf") if v > 0 else float("-inf")


def settle(op, value: np.ndarray, values: dict, known: dict, budget: list[int]):
    """(the node's value, its exact value or None): the entries whose exact value is a whole
    number take it (`known`: exact values by name, None where a value is not exact; `budget`:
    the fraction operations left to this forward pass)."""
    names = op.names()
    if budget[0] <= 0 or any(known.get(n, 0) is None for n in names):
        return value, None
    given = [n for n in names if n not in known]  # given values (nodes are settled in order)
    left = [budget[0] - sum(values[n].size for n in given)]
    if left[0] < 0:
        return value, None
    try:
        with np.errstate(all="ignore"):
            _exact_value(op, values, left, dry=True)  # the work it takes, counted in floats
        for n in given:
            known[n] = _decimals(values[n])
            if known[n] is None:
                return value, None
        budget[0] = left[0]
        exact = _exact_value(op, known, [EXACT_WORK])
    except (_Inexact, ZeroDivisionError, OverflowError):
        return value, None
    if exact.shape != value.shape:
        return value, None
    whole = [
        _nearest(v) if getattr(v, "denominator", 0) == 1 else x
        for v, x in zip(exact.flat, value.flat)
    ]
    settled = np.array(whole, dtype=float).reshape(value.shape)
    return (value if np.array_equal(settled, value) else settled), exact
