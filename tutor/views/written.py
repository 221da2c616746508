"""An equation's LaTeX as its problem file writes it (terms, factors and numbers in written
order), read through the project's own parser: a view, above the parser and the notation."""

from __future__ import annotations

import functools

from tutor.language.expr import _Parser
from tutor.text import notation


@functools.lru_cache(maxsize=512)
def latex_written(equation: str) -> str:
    """LaTeX for an equation as the problem file writes it: its terms, factors and numbers
    in their written order (`w_{1} x_{1} + w_{2} x_{2} + b_{1}`, not SymPy's `b_{1} + ...`),
    so that it reads in step with the substituted numbers next to it.

    The text goes through the project's own parser (its grammar and bounds), building
    unevaluated sums, products and powers that SymPy's LaTeX printer prints in argument order.
    Only equations that already parsed when the problem was loaded come here."""
    return notation.printer("written").doprint(_written_expr(equation))


def _written_expr(equation: str):
    import sympy as sp

    literal = notation.printer("literal")

    class WrittenParser(_Parser):
        def _build(self, column, constructor, *args):
            if constructor is sp.Mul:
                factors = _fold_numbers(args)
                return factors[0] if len(factors) == 1 else sp.Mul(*factors, evaluate=False)
            if constructor in (sp.Add, sp.Pow):
                return constructor(*args, evaluate=False)
            return super()._build(column, constructor, *args)

        def _pow(self, base, exponent, column):
            return sp.Pow(base, exponent, evaluate=False)

        def _primary(self):
            token = self._peek()
            if token.kind == "num" and not token.value.is_Integer:
                self._next()
                return literal(token.text)
            return super()._primary()

    return WrittenParser(equation, None, False).parse()


def _fold_numbers(args):
    """`1/2*x` is parsed as 1·2⁻¹·x and `-3` as -1·3: print ½ and -3, as written."""
    import sympy as sp

    literal = notation.printer("literal")
    out = []
    for arg in args:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.is_Integer
            and arg.is_Pow
            and arg.base.is_Integer
            and arg.exp == -1
        ):
            out[-1] = sp.Rational(int(prev), int(arg.base))
        elif (
            prev is not None
            and prev == -1
            and len(out) == 1
            and len(args) == 2
            and (arg.is_Number or isinstance(arg, literal))
        ):
            out[-1] = literal("-" + arg.name) if isinstance(arg, literal) else -arg
        elif prev is not None and prev == 1 and len(out) == 1 and arg.is_Pow and arg.exp == -1:
            out[-1] = arg  # 1/(z - 3): the fraction, not 1·(1/(z - 3))
        else:
            out.append(arg)
    return out
