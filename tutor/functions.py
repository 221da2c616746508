"""The activation and loss functions a problem may use, as SymPy functions.

Each class carries its own local derivative (`fdiff`), as micrograd's operations do, so
SymPy's `diff` yields the chain-rule factors; `NUMERIC` gives the NumPy implementation that
lambdify uses, written in numerically stable forms (log-sum-exp, softplus).
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp
from sympy import Function, Integer, S


def symbol(name: str) -> sp.Symbol:
    """The one way to make a symbol, so that equal names are equal symbols."""
    return sp.Symbol(name, real=True)


class _Real(Function):
    """A real-valued function of real arguments."""

    def _eval_is_real(self):
        return all(a.is_real for a in self.args) or None


class sigmoid(_Real):  # noqa: N801 (SymPy prints the class name)
    """σ(x) = 1 / (1 + e^-x); its derivative σ(1 - σ) is written in terms of σ itself."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return S.Half

    def fdiff(self, argindex=1):
        return self * (1 - self)

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return 1 / (1 + sp.exp(-x))

    def _eval_evalf(self, prec):
        return (1 / (1 + sp.exp(-self.args[0])))._eval_evalf(prec)

    def _latex(self, printer):
        return r"\sigma\left(%s\right)" % printer._print(self.args[0])


class step(_Real):  # noqa: N801
    """The ReLU derivative: 1 where x > 0, else 0 (the value at exactly 0 is 0 by convention)."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if x.is_Number:
            return S.One if x > 0 else S.Zero
        if x.is_positive:
            return S.One
        if x.is_nonpositive:
            return S.Zero

    def fdiff(self, argindex=1):
        return S.Zero

    def _latex(self, printer):
        return r"\mathbf{1}\left[%s > 0\right]" % printer._print(self.args[0])


class relu(_Real):  # noqa: N801
    """ReLU(x) = max(0, x)."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if x.is_Number:
            return x if x > 0 else S.Zero
        if x.is_nonnegative:
            return x

    def fdiff(self, argindex=1):
        return step(self.args[0])

    def _eval_evalf(self, prec):
        x = self.args[0].evalf(prec)
        if x.is_Number:
            return x if x > 0 else S.Zero

    def _latex(self, printer):
        return r"\mathrm{ReLU}\left(%s\right)" % printer._print(self.args[0])


class softplus(_Real):  # noqa: N801
    """softplus(x) = log(1 + e^x); it appears when cross-entropy is taken from logits."""

    nargs = 1

    def fdiff(self, argindex=1):
        return sigmoid(self.args[0])

    def _eval_rewrite_as_log(self, x, **kwargs):
        return sp.log(1 + sp.exp(x))

    def _eval_evalf(self, prec):
        return sp.log(1 + sp.exp(self.args[0]))._eval_evalf(prec)

    def _latex(self, printer):
        return r"\mathrm{softplus}\left(%s\right)" % printer._print(self.args[0])


class logsumexp(_Real):  # noqa: N801
    """log(Σ e^{a_i}); the stable way to take the log of a softmax denominator."""

    def fdiff(self, argindex=1):
        return softmax(Integer(argindex), *self.args)

    def _eval_rewrite_as_log(self, *args, **kwargs):
        return sp.log(sp.Add(*[sp.exp(a) for a in args]))

    def _eval_evalf(self, prec):
        return self._eval_rewrite_as_log(*self.args)._eval_evalf(prec)

    def _latex(self, printer):
        return r"\log\sum\exp\left(%s\right)" % ", ".join(printer._print(a) for a in self.args)


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

    def _eval_evalf(self, prec):
        return self._eval_rewrite_as_exp(*self.args)._eval_evalf(prec)

    def _sympystr(self, printer):
        return "softmax(%s)[%d]" % (", ".join(printer._print(a) for a in self.logits), self.index)

    def _latex(self, printer):
        inner = ", ".join(printer._print(a) for a in self.logits)
        return r"\mathrm{softmax}\left(%s\right)_{%d}" % (inner, self.index)


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

    def _latex(self, printer):
        args = ", ".join(printer._print(a) for a in self.args[1:])
        return r"\mathbf{1}\left[\arg\max\left(%s\right) = %d\right]" % (args, int(self.args[0]))


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

    def _eval_evalf(self, prec):
        values = [a.evalf(prec) for a in self.args]
        if all(v.is_Number for v in values):
            return max(values, key=float)

    def _sympystr(self, printer):
        return "max(%s)" % ", ".join(printer._print(a) for a in self.args)

    def _latex(self, printer):
        return r"\max\left(%s\right)" % ", ".join(printer._print(a) for a in self.args)


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

    def _sympystr(self, printer):
        return "min(%s)" % ", ".join(printer._print(a) for a in self.args)

    def _latex(self, printer):
        return r"\min\left(%s\right)" % ", ".join(printer._print(a) for a in self.args)


# ---------------------------------------------------------------------------------------------
# NumPy implementations used by lambdify: stable for any finite input. Passing this dict as
# the only module keeps lambdify from copying all of NumPy's namespace (about 50 ms).


def _np_sigmoid(x):
    return np.exp(-np.logaddexp(0.0, -x))


def _np_logsumexp(*args):
    return functools.reduce(np.logaddexp, args)


def _np_softmax(k, *args):
    return np.exp(args[int(k) - 1] - _np_logsumexp(*args))


def _np_ismax(i, *args):
    winner = np.argmax(np.stack(np.broadcast_arrays(*args)), axis=0)
    return np.where(winner == int(i) - 1, 1.0, 0.0)


NUMERIC = {
    # SymPy's own functions, as lambdify's plain printer names them
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "tanh": np.tanh,
    "Abs": np.abs,
    "sign": np.sign,
    "sigmoid": _np_sigmoid,
    "relu": lambda x: np.maximum(x, 0.0),
    "step": lambda x: np.where(x > 0, 1.0, 0.0),
    "softplus": lambda x: np.logaddexp(0.0, x),
    "logsumexp": _np_logsumexp,
    "softmax": _np_softmax,
    "ismax": _np_ismax,
    "maximum": lambda *a: functools.reduce(np.maximum, a),
    "minimum": lambda *a: functools.reduce(np.minimum, a),
}

# Names a problem file or a typed answer may call, with their arity (None: one or more).
CALLABLE = {
    "exp": (sp.exp, 1),
    "log": (sp.log, 1),
    "ln": (sp.log, 1),
    "sqrt": (sp.sqrt, 1),
    "tanh": (sp.tanh, 1),
    "abs": (sp.Abs, 1),
    "sigmoid": (sigmoid, 1),
    "σ": (sigmoid, 1),
    "relu": (relu, 1),
    "ReLU": (relu, 1),
    "softplus": (softplus, 1),
    "max": (maximum, None),
    "min": (minimum, None),
    "logsumexp": (logsumexp, None),
    "softmax": (softmax, None),  # needs an index: softmax(a, b, c)[k]
}
