"""Grading typed answers: pure functions, no problem file needed.

    from tutor.quiz.grading import grade
    grade("0.125", "1/8").verdict                              # "right"
    grade("x1*(y - yhat)", "(yhat - y)*x1", names=("x1", "y", "yhat")).mistake   # "sign"

A typed answer goes through the restricted parser (never eval). A number is an exact fraction
compared within a tolerance, also an exact fraction. A formula is compared exactly when both
sides are small rational functions, otherwise at sample points where both sides are real
(evaluated through `engine.evaluate_with`: this module never lambdifies). Before an answer is
called wrong it is checked against the usual mistakes (`diagnosis`) and, in a quiz, against
the student's own earlier answers (error carried forward).

Verdicts: "right"; "carried" (right method on the student's own earlier, wrong values: half
credit); "wrong"; "invalid" (unreadable: not graded, not counted, type again); "undecided"
(readable, but the grader cannot tell: `reason` "figures", correctly rounded to too few
significant figures for the tolerance, or "points", a formula real at too few of the sample
points; not counted either, type again).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, localcontext
from fractions import Fraction

import numpy as np
import sympy as sp

from tutor.engine import scalar as engine
from tutor.errors import InputError, ParseError
from tutor.language.expr import MAX_EXPONENT, MAX_NUMBER_BITS, parse
from tutor.model import Text
from tutor.model.quiz import Grade
from tutor.quiz.diagnosis import SCALINGS, named, same_number, scaled
from tutor.registry.functions import symbol
from tutor.text.messages import Message, both
from tutor.text.notation import fmt, text

MAX_ANSWER = 500  # characters in one typed answer
SHOWN = 40  # characters of an over-long answer shown back
# Tolerances are exact fractions: a typed answer (an exact fraction) is compared without
# round-off, so an answer exactly on the boundary is inside.
REL_TOL = Fraction(1, 100)  # default: within 1 % of the exact value
REL_FLOOR = Fraction(1, 1000)  # typed significant figures never demand more than 0.1 %
ABS_FLOOR = Fraction(1, 10**9)  # the tolerance for an exact answer of 0 (only then)
CARRIED_CREDIT = 0.5
EARLY_ROUNDING = Fraction(1, 1000)  # a correct answer further off than this was rounded too early
MAX_FIGURES = 40  # "give at least N figures" looks no further
CANCEL_OPS = 120  # formulas larger than this skip the symbolic check (numbers decide)
CANCEL_EXPONENT = 10  # ... and so do powers above this (cancel would expand them)
EXACT_TERMS = 400  # rational functions decided exactly when expanded at most this large
EXACT_DEGREE = 40  # ... and of at most this degree in each power
SAMPLES = 24  # random points per kind of sample for the numeric equivalence check
MIN_POINTS = 3  # fewer points where both sides are real decide nothing
LATTICE = (-3.0, -2.0, -1.0, -0.5, 0.5, 1.0, 2.0, 3.0)  # for powers of negative numbers


def exact_text(value: float | None) -> str:
    """A number as shown after grading and accepted back: up to 10 significant figures."""
    return fmt(value, 10)


# --------------------------------------------------------------------------- numbers


def exact_fraction(value) -> Fraction | None:
    """A value as an exact fraction (a float exactly as stored); None when it is not finite."""
    if isinstance(value, (Fraction, int)):
        return Fraction(value)
    if isinstance(value, sp.Rational):
        return Fraction(int(value.p), int(value.q))
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return Fraction(f) if math.isfinite(f) else None


def _written(value) -> Fraction:
    """A number as the author wrote it: a float's shortest decimal (0.05 is 1/20)."""
    if isinstance(value, float):
        return Fraction(repr(value))
    return exact_fraction(value)


_DECIMAL = re.compile(r"^[+-]?(\d*)(\.(\d*))?(?:e([+-]?\d+))?$")


def figures(typed: str) -> tuple[Fraction, int] | None:
    """(half a unit in the last significant place, significant figures) of a typed decimal.

    `0.0575` -> (0.00005, 3); `1.17e3` and `1170` -> (5, 3): the trailing zeros of a whole
    number are not significant. None for anything that is not a plain decimal (`1/8`, `2*4`).
    """
    t = typed.strip().replace("\u2212", "-").replace(" ", "")
    t = re.sub(r"[×x*·]10\^\{?([+-]?\d+)\}?$", r"e\1", t).replace("E", "e")
    m = _DECIMAL.match(t)
    if not m or not (m[1] or m[3]):
        return None
    whole, point, fraction = m[1], m[2], m[3] or ""
    exponent = int(m[4] or 0)
    digits = (whole + fraction).lstrip("0")
    if point:
        place, count = exponent - len(fraction), len(digits)
    else:  # a whole number: its trailing zeros only place the digits
        significant = digits.rstrip("0")
        place, count = exponent + len(digits) - len(significant), len(significant)
        if not digits:
            place = exponent
    return Fraction(1, 2) * Fraction(10) ** place, count


def tolerance(typed: str, exact, problem_tol=None) -> Fraction:
    """How far a typed number may be from the exact value (an exact fraction).

    A per-problem tolerance is relative. Otherwise a decimal such as `0.0575` claims its
    last significant digit: it must agree to half a unit there, but never more strictly than
    0.1 % and never more loosely than 1 %. Other forms (`1/8`, `2*4`) get 1 %. Only an exact
    answer of 0 gets an absolute tolerance (ABS_FLOOR).
    """
    exact = exact_fraction(exact)
    scale = abs(exact)
    if problem_tol is not None:
        tol = _written(problem_tol) * scale
    else:
        typed_figures = figures(typed)
        tol = REL_TOL * scale
        if typed_figures is not None:
            tol = max(min(typed_figures[0], tol), REL_FLOOR * scale)
    return tol if exact != 0 else max(tol, ABS_FLOOR)


def within(value, typed: str, exact, problem_tol=None) -> bool:
    """`abs(value − exact) <= tolerance(typed, exact, problem_tol)`, decided in floats when
    the answer is far inside the strictest tolerance the rule can give or far outside the
    loosest (a class's thousands of right entries cost no fraction arithmetic); exactly
    otherwise. The factors of 2 leave room for a float's rounding (1e-16), never a verdict."""
    try:
        e = float(exact)
        d = abs(float(value) - e)
    except OverflowError:  # beyond a float: only fractions can tell
        d = math.inf
        e = math.nan
    if not math.isfinite(d) or not math.isfinite(e):
        return abs(Fraction(value) - exact_fraction(exact)) <= tolerance(typed, exact, problem_tol)
    if problem_tol is not None:
        strict = loose = float(_written(problem_tol)) * abs(e)
    else:
        strict, loose = float(REL_FLOOR) * abs(e), float(REL_TOL) * abs(e)
    if e == 0:
        strict = loose = float(ABS_FLOOR)
    if d <= strict / 2:
        return True
    if d >= loose * 2:
        return False
    return abs(Fraction(value) - exact_fraction(exact)) <= tolerance(typed, exact, problem_tol)


def _rounded(exact: Fraction, count: int) -> str:
    """`exact` rounded to `count` significant figures, as a decimal (`-0.041`, `1.2E+3`)."""
    with localcontext() as ctx:
        ctx.prec = count
        return str(Decimal(exact.numerator) / Decimal(exact.denominator))


def figures_needed(exact, problem_tol=None) -> int | None:
    """The fewest significant figures whose correctly rounded answer the tolerance accepts."""
    exact = exact_fraction(exact)
    for count in range(1, MAX_FIGURES + 1):
        text = _rounded(exact, count)
        if abs(Fraction(text) - exact) <= tolerance(text, exact, problem_tol):
            return count
    return None


def _number_value(expr: sp.Expr) -> Fraction:
    """The exact value of a parsed number: the fraction itself, else its float (exactly)."""
    if expr.is_Rational:
        return Fraction(int(expr.p), int(expr.q))
    return real_value(expr, {})


def real_value(expr: sp.Expr, values: dict[str, float]) -> Fraction:
    """`expr` evaluated with `values` for its names, exactly as the float it gives.

    Raises ParseError when it has no finite real value (an unreadable answer)."""
    with np.errstate(all="ignore"):
        try:
            raw = complex(engine.evaluate_with(None, [expr], values)[0])
        except Exception:  # noqa: BLE001 (a number we cannot evaluate is unreadable)
            raise ParseError("parse_number_unevaluable", 1) from None
    if raw.imag != 0:
        raise ParseError("parse_not_real", 1)
    if not math.isfinite(raw.real):
        raise ParseError("parse_not_finite", 1)
    return Fraction(raw.real)


def read_number(typed: str) -> Fraction:
    """The exact value of a typed numeric answer (`8`, `-0.0575`, `1/8`, `1e-3`, `−5`,
    `sigmoid(2)`): a fraction, exact for anything written with + - * / and whole powers.

    Raises ParseError for anything that is not a finite real number.
    """
    return _number_value(parse(typed, {}, implicit_multiplication=True, max_length=MAX_ANSWER))


def exact_bits(expr: sp.Expr, bits: dict) -> int | None:
    """An upper bound on the size in bits of `expr` evaluated exactly with `bits[symbol]`
    for each symbol; None when it is not built from + - * / and whole powers alone."""
    if expr.is_Rational:
        return max(abs(expr.p).bit_length(), expr.q.bit_length())
    if expr.is_Symbol:
        return bits.get(expr)
    if expr.is_Pow:
        if not expr.exp.is_Integer or abs(int(expr.exp)) > MAX_EXPONENT**2:
            return None
        base = exact_bits(expr.base, bits)
        return None if base is None else base * abs(int(expr.exp))
    if expr.is_Add or expr.is_Mul:
        total = 0
        for a in expr.args:
            b = exact_bits(a, bits)
            if b is None:
                return None
            total += 2 * b + 1
            if total > MAX_NUMBER_BITS:
                return total
        return total
    return None


# --------------------------------------------------------------------------- formulas


def _small(expr: sp.Expr) -> bool:
    """Small enough for cancel(): few operations and no large powers to expand."""
    if sp.count_ops(expr) > CANCEL_OPS:
        return False
    return all(
        not (p.exp.is_Integer and abs(int(p.exp)) > CANCEL_EXPONENT) for p in expr.atoms(sp.Pow)
    )


def _cancels(difference: sp.Expr) -> bool:
    """`cancel(together(d)) == 0`, only on small input (cancel may expand large powers)."""
    if difference == 0:
        return True
    if not _small(difference):
        return False
    try:
        return sp.cancel(sp.together(difference)) == 0
    except Exception:  # noqa: BLE001 (undecided: the numbers decide)
        return False


def _expanded_size(expr: sp.Expr) -> tuple[int, int]:
    """(terms of the numerator, terms of the denominator) of `expr` over one denominator and
    expanded: an upper bound, capped just above EXACT_TERMS. For rational functions only."""
    cap = EXACT_TERMS + 1
    if expr.is_Atom or (expr.is_Pow and not expr.exp.is_Integer):
        return 1, 1
    if expr.is_Pow:
        num, den = _expanded_size(expr.base)
        k = int(expr.exp)
        if k < 0:
            num, den, k = den, num, -k
        if k > EXACT_DEGREE:
            return (1 if num == 1 else cap), (1 if den == 1 else cap)
        # the monomials of degree k in `num` terms
        return min(math.comb(num + k - 1, k), cap), min(math.comb(den + k - 1, k), cap)
    sizes = [_expanded_size(a) for a in expr.args]
    den = 1
    for _, d in sizes:
        den = min(den * d, cap)
    if expr.is_Mul:
        num = 1
        for n, _ in sizes:
            num = min(num * n, cap)
        return num, den
    num = 0  # a sum over the common denominator
    for n, d in sizes:
        num = min(num + n * max(den // d, 1), cap)
    return num, den


def _degree_bounded(expr: sp.Expr) -> bool:
    return all(abs(int(p.exp)) <= EXACT_DEGREE for p in expr.atoms(sp.Pow) if p.exp.is_Integer)


def _rational(*exprs: sp.Expr) -> bool:
    """All rational functions of their symbols, small enough to decide exactly with cancel."""
    for e in exprs:
        symbols = sorted(e.free_symbols, key=lambda s: s.name)
        if not e.is_rational_function(*symbols) or not _degree_bounded(e):
            return False
        num, den = _expanded_size(e)
        if num * den > EXACT_TERMS:
            return False
    return True


def _positive_names(*exprs: sp.Expr) -> set:
    """Names under a log or a fractional or symbolic power: real only where (mostly) positive."""
    out: set = set()
    for e in exprs:
        for f in e.atoms(sp.log):
            out |= f.args[0].free_symbols
        for p in e.atoms(sp.Pow):
            if not p.exp.is_Integer:
                out |= p.base.free_symbols
    return out


def _needs_lattice(*exprs: sp.Expr) -> bool:
    """A power with a fractional or symbolic exponent: (a^b)^c may differ from a^(b·c) only
    at negative bases with whole or half exponents, which random real points never hit."""
    return any(not p.exp.is_Integer for e in exprs for p in e.atoms(sp.Pow))


def sample_points(symbols: list, positive: set, lattice: bool) -> dict:
    """Points to compare two formulas at (fixed seed), one array per symbol: values of both
    signs in [-1.5, 1.5]; the names in `positive` positive; all positive; and, with
    `lattice`, whole and half numbers of both signs."""
    rng = np.random.default_rng(20250)
    out = {}
    for s in sorted(symbols, key=lambda s: s.name):
        mixed = rng.uniform(-1.5, 1.5, SAMPLES)
        plus = rng.uniform(0.1, 1.5, SAMPLES)
        some = plus if s in positive else rng.uniform(-1.5, 1.5, SAMPLES)
        parts = [mixed, some, plus[: SAMPLES // 2]]
        if lattice:
            parts.append(rng.choice(LATTICE, 3 * SAMPLES))
        out[s] = np.concatenate(parts)
    return out


def evaluate_at(expr: sp.Expr, points: dict, count: int) -> np.ndarray:
    """A formula at the points (symbol -> array), in real arithmetic: NaN where it has no real
    value (log of a negative number, a fractional power of one, division by zero)."""
    nan = np.full(count, np.nan)
    values = {s.name: points.get(s, nan) for s in expr.free_symbols}
    try:
        with np.errstate(all="ignore"):
            out = np.asarray(engine.evaluate_with(None, [expr], values)[0])
            if np.iscomplexobj(out):
                out = np.where(out.imag == 0, out.real, np.nan)
            out = np.broadcast_to(out.astype(float), (count,))
            return np.where(np.isfinite(out), out, np.nan)
    except Exception:  # noqa: BLE001 (unevaluable: agrees with nothing)
        return nan


def agree(va: np.ndarray, vb: np.ndarray) -> bool | None:
    """Equal wherever both are real (at MIN_POINTS points at least); None when too few points
    are real, or the two differ only by what rounding could explain, to decide."""
    usable = np.isfinite(va) & np.isfinite(vb)
    if usable.sum() < MIN_POINTS:
        return None
    scale = 1 + np.abs(va[usable]) + np.abs(vb[usable])
    error = np.max(np.abs(va[usable] - vb[usable]) / scale)
    if error <= 1e-8:
        return True
    return None if error <= 1e-5 else False


class Comparison:
    """A typed formula against the exact one: equal, or equal up to a factor (-1, 2, 1/2).

    Rational functions of small size are decided exactly (cancel); anything else by values
    at sample points where both sides are real, falling back on cancel when rounding could
    explain a difference. `same()` is None when the points decide nothing: fewer than
    MIN_POINTS where both sides are real.
    """

    def __init__(self, answer: sp.Expr, expected: sp.Expr, symbols: list):
        self.answer, self.expected, self.symbols = answer, expected, symbols
        self.exact = _rational(answer, expected)
        self.va = self.vb = self.polys = None

    def _values(self) -> None:
        if self.va is not None:
            return
        a, b = self.answer, self.expected
        points = sample_points(self.symbols, _positive_names(a, b), _needs_lattice(a, b))
        count = len(next(iter(points.values()))) if points else 1
        self.points, self.count = points, count
        self.va = evaluate_at(a, points, count)
        self.vb = evaluate_at(b, points, count)

    def differs_from(self, formula: sp.Expr) -> tuple[bool, bool]:
        """(the answer differs from `formula`, `formula` differs from the expected), told by
        the values at this comparison's own points alone: True only where some point where
        both are real shows a difference beyond rounding (False: the points cannot tell)."""
        self._values()
        vc = evaluate_at(formula, self.points, self.count)
        return agree(self.va, vc) is False, agree(vc, self.vb) is False

    def _polynomials(self) -> tuple:
        """a = na/da and b = nb/db as the polynomials na·db and nb·da: a = k·b iff na·db = k·nb·da."""
        if self.polys is None:
            symbols = sorted(
                self.answer.free_symbols | self.expected.free_symbols, key=lambda s: s.name
            ) or [sp.Dummy()]
            ring, *generators = sp.polys.rings.ring(symbols, sp.QQ)
            gens = dict(zip(symbols, generators))
            na, da = _fraction_polys(self.answer, gens, ring.one)
            nb, db = _fraction_polys(self.expected, gens, ring.one)
            self.polys = na * db, nb * da
        return self.polys

    def same(self, factor=1) -> bool | None:
        if self.exact:
            try:
                left, right = self._polynomials()
                factor = sp.Rational(factor)
                return (left - right * sp.QQ(int(factor.p), int(factor.q))).is_zero
            except Exception:  # noqa: BLE001 (undecided: the numbers decide)
                self.exact = False
        difference = self.answer - factor * self.expected
        self._values()
        verdict = agree(self.va, float(factor) * self.vb)
        if verdict is None and _cancels(difference):
            return True
        if verdict is None and np.sum(np.isfinite(self.va) & np.isfinite(self.vb)) >= MIN_POINTS:
            return False  # enough points, a difference beyond rounding that cancel cannot undo
        return verdict


def _fraction_polys(expr: sp.Expr, gens: dict, one) -> tuple:
    """(numerator, denominator) of a rational function as sparse polynomials (`gens`: symbol
    -> generator of a polynomial ring), built with polynomial arithmetic rather than by
    expanding expressions; no common factors are removed."""
    if expr.is_Pow and expr.exp.is_Integer:
        num, den = _fraction_polys(expr.base, gens, one)
        k = int(expr.exp)
        return (num**k, den**k) if k >= 0 else (den**-k, num**-k)
    if expr.is_Mul or expr.is_Add:
        parts = [_fraction_polys(a, gens, one) for a in expr.args]
        num, den = parts[0]
        for n, d in parts[1:]:
            num, den = (num * n, den * d) if expr.is_Mul else (num * d + n * den, den * d)
        return num, den
    if expr.is_Symbol:
        return gens[expr], one
    if expr.is_Rational:
        return one * sp.QQ(int(expr.p), int(expr.q)), one
    raise ValueError("not a rational function with rational coefficients")  # e.g. sqrt(2)


def equivalent(answer: sp.Expr, expected: sp.Expr, symbols: list | None = None) -> bool | None:
    """Whether two formulas are equal wherever both are real; None when undecided."""
    if symbols is None:
        symbols = list(answer.free_symbols | expected.free_symbols)
    return Comparison(answer, expected, symbols).same()


# --------------------------------------------------------------------------- verdicts


def _invalid(key: str, column: int | None, **fields) -> Grade:
    """An answer that cannot be read (`key`: a parse_* message of the catalogue): not graded."""
    where = Message("at_column", {"column": column}) if column else ""
    return Grade("invalid", both("cant_read", why=Message(key, fields), where=where), column=column)


def _too_long(typed: str) -> Grade:
    """An over-long answer, refused with only its first SHOWN characters shown back."""
    shown = clip(typed)
    return Grade("invalid", both("grade_too_long", n=len(typed), most=MAX_ANSWER, shown=shown))


def clip(typed: str) -> str:
    """The first SHOWN characters of a long text, and an ellipsis."""
    return typed if len(typed) <= SHOWN else typed[:SHOWN] + "…"


def _too_few_figures(given: int, needed: int) -> Grade:
    """Correctly rounded, but to too few figures for the tolerance: not counted, type again."""
    key = "grade_figures_one" if given == 1 else "grade_figures"
    return Grade("undecided", both(key, given=given, needed=needed), reason="figures")


def _too_few_points() -> Grade:
    """A formula with a real value at too few sample points to compare: not counted."""
    return Grade("undecided", both("grade_points"), reason="points")


def _right(shown: str, warning: Text | None = None) -> Grade:
    return Grade("right", both("grade_right", shown=shown), shown, 1.0, warning=warning)


def _wrong(
    shown: str, mistake: str | None = None, formula: bool = False, detail: Text | None = None
) -> Grade:
    if mistake is not None:
        diagnosis = detail or _mistake_diagnosis(mistake)
        feedback = both("grade_answer_is", why=diagnosis, shown=shown)
        return Grade("wrong", feedback, shown, mistake=mistake, diagnosis=diagnosis)
    if formula:
        return Grade(
            "wrong",
            both("grade_not_equivalent", shown=shown),
            shown,
            diagnosis=both("not_equivalent"),
        )
    return Grade(
        "wrong",
        both("grade_not_quite_answer", shown=shown),
        shown,
        diagnosis=both("grade_not_quite"),
    )


def _mistake_diagnosis(mistake: str) -> Text:
    """What a diagnosed mistake looks like, without the answer (shown while tries remain)."""
    return both("looks_like", what=Message(f"mistake_{mistake}"))


def _mistake_text(mistake: str, exact: str) -> Text:
    return both("grade_answer_is", why=_mistake_diagnosis(mistake), shown=exact)


_tolerance = tolerance  # `tolerance` is also the name of a keyword argument below


def judge_number(
    typed: str, answer: Fraction, expected, *, tolerance=None, carried=None, mistakes=None
) -> Grade:
    """The verdict on the number `answer` (read exactly from `typed`) against `expected`.

    tolerance: relative, per problem (None: the typed figures decide, see `tolerance`).
    carried: a callable giving the answer recomputed from the student's own earlier answers
    (None when there are none); mistakes: a callable giving (name, value) of the usual
    mistakes, most specific first (default: the sign and factor-2 mistakes of `expected`).
    Both are called only when the answer is not right.
    """
    exact = exact_fraction(expected)
    if exact is None:  # no finite value to compare with
        return _wrong(exact_text(expected))
    shown = exact_text(float(exact))
    if within(answer, typed, exact, tolerance):
        warning = None
        early = float(EARLY_ROUNDING) * abs(float(exact))
        if abs(float(answer) - float(exact)) > early / 2 and abs(answer - exact) > (
            EARLY_ROUNDING * abs(exact)
        ):
            warning = both("grade_early", shown=shown)
        return _right(shown, warning)
    allowed = _tolerance(typed, exact, tolerance)
    own = exact_fraction(carried()) if carried is not None else None
    if own is not None and abs(own - exact) > allowed:
        if abs(answer - own) <= _tolerance(typed, own, tolerance):
            return Grade(
                "carried",
                both("grade_carried_number", shown=shown),
                shown,
                CARRIED_CREDIT,
            )
    found = named(
        _apart(mistakes() if mistakes is not None else scaled(exact), typed, exact, tolerance),
        lambda value: within(answer, typed, value, tolerance),
        same_number,
    )
    if found is None and own is not None and abs(own - exact) > allowed:
        # the same mistakes made on the student's own earlier values (carried forward)
        found = named(
            _apart(scaled(own), typed, exact, tolerance),
            lambda value: within(answer, typed, value, tolerance),
            same_number,
        )
    if found is not None:
        mistake, _, *detail = found
        return _wrong(shown, mistake, detail=detail[0] if detail else None)
    typed_figures = figures(typed)
    if (
        typed_figures is not None
        and typed_figures[1] > 0
        and abs(answer - exact) <= typed_figures[0]
    ):
        needed = figures_needed(exact, tolerance)
        if needed is not None and needed > typed_figures[1]:
            return _too_few_figures(typed_figures[1], needed)
    return _wrong(shown)


def judge_count(typed: str, expected: int, mistakes=()) -> Grade:
    """The verdict on a typed count (`10`, or a formula of numbers such as `2*(2*2*1 + 1)`,
    read by the restricted parser) against the whole number `expected`: exactly equal, no
    tolerance. `mistakes`: (name, value, detail) of the usual miscounts; a value that is not
    whole is wrong, and says so."""
    refused = refusal(typed)
    if refused is not None:
        return refused
    try:
        answer = read_number(typed)
    except ParseError as e:
        return unreadable(e)
    shown = str(int(expected))
    if answer == expected:
        return _right(shown)
    if answer.denominator != 1:
        why = both("count_not_whole")
        return Grade("wrong", both("grade_answer_is", why=why, shown=shown), shown, diagnosis=why)
    found = named(list(mistakes), lambda value: answer == value, lambda a, b: a == b)
    if found is not None:
        mistake, _, *detail = found
        return _wrong(shown, mistake, detail=detail[0] if detail else None)
    return _wrong(shown)


def _apart(candidates, typed: str, exact, tolerance) -> list:
    """The candidates whose value is finite and tells apart from the exact answer."""
    out = []
    for c in candidates:
        try:
            value = float(c[1])
        except (TypeError, ValueError, OverflowError):
            continue
        if math.isfinite(value) and not within(value, typed, exact, tolerance):
            out.append(c)
    return out


def judge_formula(
    answer: sp.Expr, expected: sp.Expr, symbols: list, shown: str, *, carried=None, mistakes=None
) -> Grade:
    """The verdict on a parsed formula against the expected one, both in `symbols`.

    carried: a callable giving the formula recomputed from the student's own earlier formulas
    (None when there are none); mistakes: a callable giving (name, formula[, detail]) of the
    usual mistakes. Both are called only when the answer is not right."""
    comparison = Comparison(answer, expected, symbols)
    same = comparison.same()
    if same is None:
        return _too_few_points()
    if same:
        return _right(shown)
    own = carried() if carried is not None else None
    if (
        own is not None
        and Comparison(own, expected, symbols).same() is False
        and Comparison(answer, own, symbols).same()
    ):
        return Grade(
            "carried",
            both("grade_carried_formula", shown=shown),
            shown,
            CARRIED_CREDIT,
        )
    for mistake, factor in SCALINGS:
        if comparison.same(factor):
            return _wrong(shown, mistake)
    for mistake, formula, *detail in mistakes() if mistakes is not None else ():
        if formula is None:
            continue
        # the values at the sample points first: most candidates differ from the answer there
        apart, off = comparison.differs_from(formula)
        if apart:
            continue
        if not off and Comparison(formula, expected, symbols).same() is not False:
            continue
        if Comparison(answer, formula, symbols).same():
            return _wrong(shown, mistake, detail=detail[0] if detail else None)
    return _wrong(shown, formula=True)


def refusal(typed: str) -> Grade | None:
    """An empty or over-long answer refused before parsing (invalid), else None."""
    if not typed:
        return _invalid("answer_empty", 1)
    if len(typed) > MAX_ANSWER:
        return _too_long(typed)
    return None


def unreadable(error: ParseError) -> Grade:
    """The invalid grade of an answer the parser refused, with where it went wrong."""
    return _invalid(error.key, error.column, **error.fields)


def grade(answer: str, expected, *, names=(), tolerance=None) -> Grade:
    """Grade one typed answer against an expected number or formula; no problem file needed.

    expected: a number (int, float, Fraction, or text such as "1/8" or "sigmoid(2)"), or a
    formula (text) in `names`, the names a formula answer may use. A number answer is compared
    within `tolerance` (relative, e.g. 0.05; None: the typed figures decide, between 0.1 % and
    1 %), a formula by equivalence. Wrong answers are checked for a sign or a factor of 2.
    Raises InputError for an expected answer that cannot be read, TypeError for one of
    another type.
    """
    symbols = {n: symbol(n) for n in names}
    if isinstance(expected, str):
        try:
            expr = parse(expected, symbols, implicit_multiplication=True)
            expected = expr if expr.free_symbols else _number_value(expr)
        except ParseError as e:
            raise InputError(f"cannot read the expected answer {expected!r}: {e.message}") from None
    elif isinstance(expected, bool) or not isinstance(expected, (int, float, Fraction)):
        raise TypeError("expected must be a number or text")
    typed = answer.strip()
    refused = refusal(typed)
    if refused is not None:
        return refused
    try:
        if isinstance(expected, sp.Expr):
            parsed = parse(typed, symbols, implicit_multiplication=True, max_length=MAX_ANSWER)
            return judge_formula(parsed, expected, list(symbols.values()), text(expected))
        return judge_number(typed, read_number(typed), expected, tolerance=tolerance)
    except ParseError as e:
        return unreadable(e)
