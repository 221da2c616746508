"""The function registry: every function a problem, a derivative or an answer may use.

Each function is declared once, as PyTorch's derivatives.yaml declares each op once: its SymPy
class (which carries its own local derivative, `fdiff`, as micrograd's operations do, so
SymPy's `diff` yields the chain-rule factors), its numeric forms (NumPy for lambdify, `math`
for the compiled training loop, written in numerically stable forms), its parser names and
arity, its text and LaTeX printing, its exact rational rule if it has one, whether it is an
activation, and its name in English and Chinese. `FUNCTIONS` holds the entries; every table
that other modules use (`NUMERIC`, `CALLABLE`, `SCALAR`, `EXACT`, `ACTIVATIONS`...) is derived
from it at the bottom of this file. Adding a function is one entry.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from string import Template

import numpy as np
import sympy as sp
from sympy import Function, Integer, Rational, S

from tutor.sympy_startup import defer_tensor_module
from tutor.text.messages import words

defer_tensor_module()  # SymPy's first sum without importing its tensor module (30 ms)


@functools.lru_cache(maxsize=1 << 17)  # SymPy's own lookup costs ~20 µs; a network has 20k
def symbol(name: str) -> sp.Symbol:
    """The one way to make a symbol, so that equal names are equal symbols."""
    return sp.Symbol(name, real=True)


@dataclass(frozen=True)
class Entry:
    """One function, declared once.

    name: the SymPy class name (what lambdify and the code printer see); sympy: the class.
    names: what a problem file or a typed answer may call it (none: it only appears inside
    derivatives); arity: the number of arguments (None: one or more); indexed: takes `[k]`.
    numpy: the NumPy form (arrays, any finite input); scalar: the `math` form for floats;
    code: the helper name the compiled training loop calls (None: SymPy's Python printer
    prints it as a `math` call). exact: Fractions -> a Fraction (or int), or None where the
    value is not rational: a transcendental function's few exact points (tanh(0) = 0,
    exp(0) = 1, log(1) = 0); elsewhere the engine takes its float of the exact argument. activation: an elementwise activation a = f(z) (layers, `gen mlp`,
    the quiz's "activation derivative left out"). text/latex: `string.Template`s over `$x` (the
    first argument), `$rest` (the others) and `$args` (all), None for SymPy's own printing.
    array: the fast NumPy source of a one-argument function that generated array code prints
    (`engine.arrays`), a `string.Template` over `$x`; None: a call of `numpy`. It may give a
    boolean array where NumPy multiplies it as 0 and 1 (the step function: `($x > 0)`).
    """

    name: str
    sympy: Callable
    en: str
    zh: str
    names: tuple[str, ...] = ()
    arity: int | None = 1
    indexed: bool = False
    numpy: Callable | None = None
    scalar: Callable | None = None
    code: str | None = None
    exact: Callable | None = None
    activation: bool = False
    text: str | None = None
    latex: str | None = None
    array: str | None = None

    def print(self, which: str, args: list[str]) -> str:
        """The call written with already-printed arguments, in `which` ("text" or "latex")."""
        template = getattr(self, which) or "$name($args)"
        return Template(template).substitute(
            name=self.name,
            x=args[0] if args else "",
            rest=", ".join(args[1:]),
            args=", ".join(args),
        )


FUNCTIONS: dict[str, Entry] = {}


def register(sympy=None, **fields):
    """Declare a function: `register(sp.exp, ...)` for SymPy's own, or as a class decorator."""

    def add(cls):
        name = cls.__name__
        if name in FUNCTIONS:
            raise ValueError(f"function {name} declared twice")
        entry = Entry(name=name, sympy=cls, **fields)
        FUNCTIONS[name] = entry
        if isinstance(cls, type) and issubclass(cls, _Real):
            cls._entry = entry
        return cls

    return add(sympy) if sympy is not None else add


def _decidable(x) -> bool:
    """Whether asking SymPy for x's sign is cheap: a number, or an expression in symbols
    (decided by their assumptions). A closed form without symbols (exp(exp(20)) − ...) would
    be evaluated numerically to ever higher precision: a hang, not an answer."""
    return x.is_Number or bool(x.free_symbols)


def in_float_range(x) -> bool:
    """Whether x, computed with floats (each function's `scalar` form), stays finite; an
    expression in symbols, or one a float cannot follow, counts as in range (SymPy decides)."""
    if x.free_symbols:
        return True
    value = _in_floats(x)
    return value is None or math.isfinite(value)


def _in_floats(x) -> float | None:
    """x in floats: ±inf past their range, None where it has no float form."""
    try:
        if x.is_Number:
            return float(x)
        args = [_in_floats(a) for a in x.args]
        if any(a is None for a in args):
            return None
        if x.is_Add:
            return sum(args)
        if x.is_Mul:
            return math.prod(args)
        if x.is_Pow:
            return math.pow(*args)
        entry = BY_CLASS.get(type(x))
        if entry is None or entry.scalar is None:
            return None
        if entry.indexed:  # softmax(k, ...)[k]: the index is whole
            args[0] = int(args[0])
        return float(entry.scalar(*args))
    except OverflowError:
        return math.inf
    except (ValueError, ZeroDivisionError, TypeError):
        return None


class _Real(Function):
    """A real-valued function of real arguments, printed as its registry entry says."""

    _entry: Entry

    def _eval_evalf(self, prec):
        """Not evaluated (None, as SymPy's own unevaluable functions answer) where an argument
        is past a float's range: SymPy asks a sign by evaluating, and would evaluate
        exp(−exp(exp(20))) to ever more digits, a hang on a typed `exp(σ(exp(exp(20))))`."""
        if not all(in_float_range(a) for a in self.args):
            return None
        return self._evalf_within(prec)

    def _evalf_within(self, prec):
        return super()._eval_evalf(prec)

    def _eval_is_real(self):
        return all(a.is_real for a in self.args) or None

    def _sympystr(self, printer):
        return self._entry.print("text", [printer._print(a) for a in self.args])

    def _latex(self, printer):
        return self._entry.print("latex", [printer._print(a) for a in self.args])


class _Formula(_Real):
    """An activation given by a closed formula (`formula`), which also evaluates it to any
    precision; subclasses give `fdiff`."""

    nargs = 1

    @staticmethod
    def formula(x):
        raise NotImplementedError

    def _evalf_within(self, prec):
        return self.formula(self.args[0])._eval_evalf(prec)


# ---------------------------------------------------------------------------------------------
# Numeric forms. NumPy's are stable for any finite input; passing NUMERIC as lambdify's only
# module keeps it from copying all of NumPy's namespace (about 50 ms). The scalar ones are
# called by the compiled training loop with Python floats.


def _np_sigmoid(x):
    return np.exp(-np.logaddexp(0.0, -x))


def _np_logsumexp(*args):
    return functools.reduce(np.logaddexp, args)


def _np_softmax(k, *args):
    return np.exp(args[int(k) - 1] - _np_logsumexp(*args))


def _np_ismax(i, *args):
    winner = np.argmax(np.stack(np.broadcast_arrays(*args)), axis=0)
    return np.where(winner == int(i) - 1, 1.0, 0.0)


_np_erf_each = np.vectorize(math.erf, otypes=[float])
_np_erfc_each = np.vectorize(math.erfc, otypes=[float])


def _np_erf(x):
    """erf elementwise, exactly `math.erf` (no SciPy); a scalar stays a scalar."""
    return _np_erf_each(x)[()]


def _np_normal_cdf(x):
    """Φ(x) = erfc(-x/√2)/2 elementwise: no cancellation of 1 + erf(x/√2) for x << 0."""
    return 0.5 * _np_erfc_each(-x * math.sqrt(0.5))[()]


def _normal_cdf(x):
    return 0.5 * math.erfc(-x * math.sqrt(0.5))


def _sigmoid(x):
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _softplus(x):
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _logsumexp(*a):
    top = max(a)
    return top + math.log(math.fsum(math.exp(x - top) for x in a))


def _softmax(k, *a):
    return math.exp(a[k - 1] - _logsumexp(*a))


def _ismax(i, *a):
    return 1.0 if a.index(max(a)) == i - 1 else 0.0


def _exact_ismax(args):
    i, rest = int(args[0]), args[1:]
    return int(rest.index(max(rest)) == i - 1)


# ---------------------------------------------------------------------------------------------
# SymPy's own functions.


def _at(point, result):
    """An exact rule for a function rational at one point only (exp at 0, log at 1...):
    by Lindemann–Weierstrass, e^r is irrational for every rational r ≠ 0."""
    return lambda a: result if a[0] == point else None


def _exact_softmax(args):
    """softmax of equal logits is 1/n; of unequal ones, a ratio of distinct powers of e."""
    logits = args[1:]
    return Fraction(1, len(logits)) if all(a == logits[0] for a in logits) else None


register(
    sp.exp,
    names=("exp",),
    numpy=np.exp,
    array="np.exp($x)",
    scalar=math.exp,
    exact=_at(0, 1),
    **words("function_exp"),
)
register(
    sp.log,
    names=("log", "ln"),
    numpy=np.log,
    array="np.log($x)",
    scalar=math.log,
    exact=_at(1, 0),
    **words("function_log"),
)
# sqrt(x) is SymPy's x^(1/2): exact for an exact square (engine.exact's powers)
register(
    sp.sqrt,
    names=("sqrt",),
    numpy=np.sqrt,
    scalar=math.sqrt,
    array="np.sqrt($x)",
    **words("function_sqrt"),
)
register(
    sp.Abs,
    names=("abs",),
    numpy=np.abs,
    array="np.abs($x)",
    scalar=abs,
    exact=lambda a: abs(a[0]),
    **words("function_abs"),
)
register(
    sp.sign,
    numpy=np.sign,
    array="np.sign($x)",
    scalar=lambda x: float((x > 0) - (x < 0)),
    exact=lambda a: (a[0] > 0) - (a[0] < 0),
    **words("function_sign"),
)
register(
    sp.erf,
    names=("erf",),
    numpy=_np_erf,
    scalar=math.erf,
    exact=_at(0, 0),
    **words("function_erf"),
)


# ---------------------------------------------------------------------------------------------
# Ours.


@register(
    names=("sigmoid", "σ"),
    numpy=_np_sigmoid,
    array="1 / (1 + np.exp(-$x))",  # e^-x overflows to inf for x < -709: the value 0 is right
    scalar=_sigmoid,
    code="_sigmoid",
    exact=_at(0, Fraction(1, 2)),
    activation=True,
    **words("function_sigmoid"),
    latex=r"\sigma\left($x\right)",
)
class sigmoid(_Real):  # noqa: N801 (SymPy prints the class name)
    """σ(x) = 1 / (1 + e^-x); its derivative σ(1 - σ) is written in terms of σ itself."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if not _decidable(x):
            return None
        if x.is_zero:
            return S.Half

    def fdiff(self, argindex=1):
        return self * (1 - self)

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return 1 / (1 + sp.exp(-x))

    def _evalf_within(self, prec):
        return (1 / (1 + sp.exp(-self.args[0])))._eval_evalf(prec)


@register(
    numpy=lambda x: np.where(x > 0, 1.0, 0.0),
    scalar=lambda x: 1.0 if x > 0 else 0.0,
    code="_step",
    array="($x > 0)",
    exact=lambda a: int(a[0] > 0),
    **words("function_unit_step"),
    latex=r"\operatorname{step}\left($x\right)",
)
class step(_Real):  # noqa: N801
    """The ReLU derivative: 1 where x > 0, else 0 (the value at exactly 0 is 0 by convention)."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if not _decidable(x):
            return None
        if x.is_Number:
            return S.One if x > 0 else S.Zero
        if x.is_positive:
            return S.One
        if x.is_nonpositive:
            return S.Zero

    def fdiff(self, argindex=1):
        return S.Zero


@register(
    names=("relu", "ReLU"),
    numpy=lambda x: np.maximum(x, 0.0),
    scalar=lambda x: x if x > 0 else 0.0,
    array="np.maximum($x, 0.0)",
    code="_relu",
    exact=lambda a: max(a[0], Fraction(0)),
    activation=True,
    **words("function_relu"),
    latex=r"\mathrm{ReLU}\left($x\right)",
)
class relu(_Real):  # noqa: N801
    """ReLU(x) = max(0, x)."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if not _decidable(x):
            return None
        if x.is_Number:
            return x if x > 0 else S.Zero
        if x.is_nonnegative:
            return x

    def fdiff(self, argindex=1):
        return step(self.args[0])

    def _evalf_within(self, prec):
        x = self.args[0].evalf(prec)
        if x.is_Number:
            return x if x > 0 else S.Zero


register(
    sp.tanh,
    names=("tanh",),
    numpy=np.tanh,
    array="np.tanh($x)",
    scalar=math.tanh,
    exact=_at(0, 0),
    activation=True,
    **words("function_tanh"),
)


@register(
    names=("softplus",),
    numpy=lambda x: np.logaddexp(0.0, x),
    scalar=_softplus,
    array="np.logaddexp(0.0, $x)",
    code="_softplus",
    activation=True,  # no exact rule: log(1 + e^x) is never rational (softplus(0) = log 2)
    **words("function_softplus"),
    latex=r"\mathrm{softplus}\left($x\right)",
)
class softplus(_Real):  # noqa: N801
    """softplus(x) = log(1 + e^x); it appears when cross-entropy is taken from logits."""

    nargs = 1

    def fdiff(self, argindex=1):
        return sigmoid(self.args[0])

    def _eval_rewrite_as_log(self, x, **kwargs):
        return sp.log(1 + sp.exp(x))

    def _evalf_within(self, prec):
        return sp.log(1 + sp.exp(self.args[0]))._eval_evalf(prec)


@register(
    names=("logsumexp",),
    arity=None,
    numpy=_np_logsumexp,
    scalar=_logsumexp,
    code="_logsumexp",
    **words("function_logsumexp"),
    latex=r"\log\sum\exp\left($args\right)",
)
class logsumexp(_Real):  # noqa: N801
    """log(Σ e^{a_i}); the stable way to take the log of a softmax denominator."""

    def fdiff(self, argindex=1):
        return softmax(Integer(argindex), *self.args)

    def _eval_rewrite_as_log(self, *args, **kwargs):
        return sp.log(sp.Add(*[sp.exp(a) for a in args]))

    def _evalf_within(self, prec):
        return self._eval_rewrite_as_log(*self.args)._eval_evalf(prec)


@register(
    names=("softmax",),
    arity=None,
    indexed=True,
    numpy=_np_softmax,
    scalar=_softmax,
    code="_softmax",
    exact=_exact_softmax,
    **words("function_softmax"),
    text="softmax($rest)[$x]",
    latex=r"\mathrm{softmax}\left($rest\right)_{$x}",
)
class softmax(_Real):  # noqa: N801
    """Component k (1-based, the first argument) of softmax(a_1, ..., a_n)."""

    @classmethod
    def eval(cls, k, *args):
        if not (k.is_Integer and 1 <= int(k) <= len(args)):
            raise ValueError("softmax index out of range")

    @property
    def index(self) -> int:
        return int(self.args[0])

    @property
    def logits(self) -> tuple:
        return self.args[1:]

    def fdiff(self, argindex=1):
        if argindex == 1:
            return S.Zero
        j = argindex - 1
        same = S.One if j == self.index else S.Zero
        return self * (same - softmax(Integer(j), *self.logits))

    def _eval_rewrite_as_exp(self, k, *args, **kwargs):
        return sp.exp(args[int(k) - 1]) / sp.Add(*[sp.exp(a) for a in args])

    def _evalf_within(self, prec):
        return self._eval_rewrite_as_exp(*self.args)._eval_evalf(prec)


@register(
    arity=None,
    numpy=_np_ismax,
    scalar=_ismax,
    code="_ismax",
    exact=_exact_ismax,
    **words("function_indicator_of_the_largest"),
    latex=r"\mathbf{1}\left[\arg\max\left($rest\right) = $x\right]",
)
class ismax(_Real):  # noqa: N801
    """1 if argument i (1-based, first argument) is the first largest of the rest, else 0.

    It is the local derivative of max: the gradient flows to the winner only (max pooling).
    """

    @classmethod
    def eval(cls, i, *args):
        if all(a.is_Number for a in args):
            values = [float(a) for a in args]
            return S.One if values.index(max(values)) == int(i) - 1 else S.Zero

    def fdiff(self, argindex=1):
        return S.Zero


@register(
    names=("max",),
    arity=None,
    numpy=lambda *a: functools.reduce(np.maximum, a),
    scalar=lambda *a: max(a),
    code="_maximum",
    exact=max,
    **words("function_max"),
    text="max($args)",
    latex=r"\max\left($args\right)",
)
class maximum(_Real):  # noqa: N801
    """max(a_1, ..., a_n); ties send the gradient to the first largest argument."""

    @classmethod
    def eval(cls, *args):
        if len(args) == 1:
            return args[0]
        if all(a.is_Number for a in args):
            return max(args, key=float)

    def fdiff(self, argindex=1):
        return ismax(Integer(argindex), *self.args)

    def _evalf_within(self, prec):
        values = [a.evalf(prec) for a in self.args]
        if all(v.is_Number for v in values):
            return max(values, key=float)


@register(
    names=("min",),
    arity=None,
    numpy=lambda *a: functools.reduce(np.minimum, a),
    scalar=lambda *a: min(a),
    code="_minimum",
    exact=min,
    **words("function_min"),
    text="min($args)",
    latex=r"\min\left($args\right)",
)
class minimum(_Real):  # noqa: N801
    """min(a_1, ..., a_n), as max of the negated arguments."""

    @classmethod
    def eval(cls, *args):
        if len(args) == 1:
            return args[0]
        if all(a.is_Number for a in args):
            return min(args, key=float)

    def fdiff(self, argindex=1):
        return ismax(Integer(argindex), *[-a for a in self.args])


# ---------------------------------------------------------------------------------------------
# Activations as PyTorch defines them (torch.nn.functional), derivatives included.

LEAKY_SLOPE = Rational(1, 100)  # torch's default negative_slope


@register(
    names=("leaky_relu",),
    numpy=lambda x: np.where(x > 0, x, 0.01 * x),
    scalar=lambda x: x if x > 0 else 0.01 * x,
    code="_leaky_relu",
    exact=lambda a: a[0] if a[0] > 0 else a[0] / 100,
    activation=True,
    **words("function_leaky_relu"),
    latex=r"\mathrm{LeakyReLU}\left($x\right)",
)
class leaky_relu(_Formula):  # noqa: N801
    """leaky_relu(x) = x for x > 0, else 0.01·x; its derivative is 1 or 0.01 (0.01 at 0)."""

    @staticmethod
    def formula(x):
        return sp.Piecewise((x, x > 0), (LEAKY_SLOPE * x, True))

    @classmethod
    def eval(cls, x):
        if not _decidable(x):
            return None
        if x.is_Number:
            return x if x > 0 else LEAKY_SLOPE * x
        if x.is_nonnegative:
            return x

    def fdiff(self, argindex=1):
        return maximum(step(self.args[0]), LEAKY_SLOPE)


@register(
    names=("elu",),
    numpy=lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),
    scalar=lambda x: x if x > 0 else math.expm1(x),
    code="_elu",
    exact=lambda a: a[0] if a[0] >= 0 else None,
    activation=True,
    **words("function_elu"),
    latex=r"\mathrm{ELU}\left($x\right)",
)
class elu(_Formula):  # noqa: N801
    """elu(x) = x for x > 0, else e^x - 1 (α = 1); its derivative is e^min(x, 0)."""

    @staticmethod
    def formula(x):
        return sp.Piecewise((x, x > 0), (sp.exp(x) - 1, True))

    @classmethod
    def eval(cls, x):
        if not _decidable(x):
            return None
        if x.is_nonnegative:
            return x

    def fdiff(self, argindex=1):
        return sp.exp(minimum(self.args[0], S.Zero))


@register(
    names=("Phi", "Φ"),
    numpy=_np_normal_cdf,
    scalar=_normal_cdf,
    code="_Phi",
    exact=_at(0, Fraction(1, 2)),
    **words("function_Phi"),
    text="Φ($x)",
    latex=r"\Phi\left($x\right)",
)
class Phi(_Real):  # noqa: N801
    """Φ(x) = (1 + erf(x/√2))/2, the standard normal CDF; Φ'(x) = φ(x) = e^(-x²/2)/√(2π).

    Numerically erfc(-x/√2)/2: the same number without the cancellation of 1 + erf(x/√2)
    for x well below 0. (SymPy itself would rewrite erfc(-x) as 2 - erfc(x) and cancel.)
    """

    nargs = 1

    @classmethod
    def eval(cls, x):
        if not _decidable(x):
            return None
        if x.is_zero:
            return S.Half

    def fdiff(self, argindex=1):
        x = self.args[0]
        return sp.exp(-(x**2) / 2) / sp.sqrt(2 * sp.pi)

    def _evalf_within(self, prec):
        import mpmath

        x = self.args[0].evalf(prec)
        if x.is_Number:
            with mpmath.workprec(prec):
                return sp.Float(mpmath.ncdf(x._to_mpmath(prec)), precision=prec)


@register(
    names=("gelu",),
    numpy=lambda x: x * _np_normal_cdf(x),
    scalar=lambda x: x * _normal_cdf(x),
    code="_gelu",
    exact=lambda a: 0 if a[0] == 0 else None,
    activation=True,
    **words("function_gelu"),
    latex=r"\mathrm{GELU}\left($x\right)",
)
class gelu(_Formula):  # noqa: N801
    """gelu(x) = x·Φ(x) = x/2·(1 + erf(x/√2)), the exact form (torch's default); its
    derivative is Φ(x) + x·φ(x)."""

    @staticmethod
    def formula(x):
        return x * Phi(x)

    @classmethod
    def eval(cls, x):
        if not _decidable(x):
            return None
        if x.is_zero:
            return S.Zero

    def fdiff(self, argindex=1):
        x = self.args[0]
        return Phi(x) + x * sp.exp(-(x**2) / 2) / sp.sqrt(2 * sp.pi)


@register(
    names=("silu",),
    numpy=lambda x: x * _np_sigmoid(x),
    scalar=lambda x: x * _sigmoid(x),
    code="_silu",
    exact=lambda a: 0 if a[0] == 0 else None,
    activation=True,
    **words("function_silu"),
    latex=r"\mathrm{SiLU}\left($x\right)",
)
class silu(_Formula):  # noqa: N801
    """silu(x) = x·σ(x); its derivative is σ(x)·(1 + x·(1 - σ(x)))."""

    @staticmethod
    def formula(x):
        return x / (1 + sp.exp(-x))

    @classmethod
    def eval(cls, x):
        if not _decidable(x):
            return None
        if x.is_zero:
            return S.Zero

    def fdiff(self, argindex=1):
        x = self.args[0]
        s = sigmoid(x)
        return s * (1 + x * (1 - s))


# ---------------------------------------------------------------------------------------------
# Tables derived from the registry: nothing below declares a function.

NUMERIC = {e.name: e.numpy for e in FUNCTIONS.values()}
"""For lambdify, by SymPy class name: the NumPy form of every function."""

SCALAR = {e.code: e.scalar for e in FUNCTIONS.values() if e.code}
"""For the compiled training loop: helper name -> the `math` form."""

CODE = {e.name: e.code for e in FUNCTIONS.values() if e.code}
"""SymPy class name -> the helper the compiled training loop calls."""

EXACT = {e.name: e.exact for e in FUNCTIONS.values() if e.exact}
"""SymPy class name -> the exact rule over Fractions (None where the value is not rational)."""

BY_CLASS = {e.sympy: e for e in FUNCTIONS.values()}
"""SymPy class -> its entry."""

CALLABLE = {n: (e.sympy, e.arity) for e in FUNCTIONS.values() for n in e.names}
"""Names a problem file or a typed answer may call, with their arity (None: one or more)."""

INDEXED = frozenset(n for e in FUNCTIONS.values() if e.indexed for n in e.names)
"""Parser names written with an index, `softmax(a, b)[k]`."""

ACTIVATIONS = tuple(e.names[0] for e in FUNCTIONS.values() if e.activation)
"""Elementwise activations by the name a problem file calls them (sigmoid, relu, ...)."""

ACTIVATION_CLASSES = tuple(e.sympy for e in FUNCTIONS.values() if e.activation)
"""The same, as SymPy classes: `isinstance(expr, ACTIVATION_CLASSES)` means a = f(z)."""


def entry(name: str) -> Entry:
    """The registry entry for a parser name (`σ`, `ln`, `relu`) or a SymPy class name."""
    if name in FUNCTIONS:
        return FUNCTIONS[name]
    return FUNCTIONS[CALLABLE[name][0].__name__]


def title(name: str, lang: str = "en") -> str:
    """A function's name for a sentence, in English or Chinese."""
    e = entry(name)
    return e.zh if lang == "zh" else e.en
