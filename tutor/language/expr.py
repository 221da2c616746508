"""A restricted expression parser: text straight to SymPy, without eval.

Expressions come from untrusted problem files and from answers that students type, so the
text is never handed to eval, exec, sympify or parse_expr (all of which can run Python code
or blow up on hostile input). A small tokenizer and a recursive-descent parser accept only
exact numbers, names, `+ - * / ^`, parentheses and the functions of the registry
(`functions.CALLABLE`: parser names and arity), and build SymPy objects through their
constructors.

Every input is bounded (length, nesting depth, exponents, size of exact numbers), so hostile
text is refused quickly with a `ParseError` that says what is wrong and at which column,
instead of hanging, exhausting memory or raising some other exception.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sympy as sp
from sympy import S

from tutor.errors import ParseError
from tutor.language.numerals import scan_number
from tutor.registry import functions
from tutor.registry.functions import CALLABLE, INDEXED, symbol
from tutor.text.messages import Message

MAX_DEPTH = 50  # parentheses, calls, unary signs and `^` chains, nested
MAX_EXPONENT = 100  # |exponent| of a power whose exponent is a number
MAX_NUMBER_BITS = 3400  # about 1000 decimal digits, for any exact number built
MAX_ROOT_BITS = 200  # about 60 digits: the largest number whose root SymPy may simplify

_OPERATORS = {
    "+": "+",
    "-": "-",
    "\u2212": "-",  # U+2212 MINUS SIGN
    "*": "*",
    "\u00b7": "*",
    "\u00d7": "*",
    "\u22c5": "*",  # · × ⋅
    "/": "/",
    "\u00f7": "/",  # ÷
    "^": "^",
    "(": "(",
    ")": ")",
    ",": ",",
    "[": "[",
    "]": "]",
    "@": "@",
    "\u1d40": "T",  # matrix product and ᵀ: tensor equations only (tensor_expr)
    "\u2299": "*",  # ⊙ element-wise product, as the worked solution writes it
    "\u2298": "/",  # ⊘ element-wise quotient
}
_SUPERSCRIPTS = {"\u00b2": 2, "\u00b3": 3}  # ² ³
# comparisons, only in conditions (`parse_condition`): the two-character forms first
_COMPARISONS = {
    "<=": "<=",
    ">=": ">=",
    "==": "==",
    "!=": "!=",
    "\u2264": "<=",
    "\u2265": ">=",
    "\u2260": "!=",
    "<": "<",
    ">": ">",
    "=": "==",
}  # ≤ ≥ ≠
MAX_COMPARISONS = 4  # `0 < x < 1` chains at most this many
_YHAT = "\u0177"  # ŷ
_COMBINING_CIRCUMFLEX = "\u0302"  # y + U+0302 renders as ŷ too
_DIGITS = "0123456789"
_ASCII_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_UNDEFINED = (S.ComplexInfinity, S.NaN, S.Infinity, S.NegativeInfinity)


@dataclass(frozen=True)
class _Token:
    kind: str  # "num", "name", "op", "sup", "cmp" (conditions only) or "end"
    text: str  # as written (for messages)
    column: int  # 1-based
    value: object = None  # number: sp.Rational; name: normalized name; op: canonical; sup: int


def _is_name_start(c: str) -> bool:
    return (
        c in _ASCII_LETTERS or c == "_" or c == _YHAT or ("\u0391" <= c <= "\u03c9" and c.isalpha())
    )


def _is_name_char(c: str) -> bool:
    return _is_name_start(c) or c in _DIGITS or c == _COMBINING_CIRCUMFLEX


_SUBSCRIPTS = {chr(0x2080 + d): str(d) for d in range(10)}  # ₀ … ₉
_PARTIAL = "\u2202"  # ∂
_PRIME = "\u2032"  # ′


def _tokenize(text: str, comparisons: bool = False, notation: bool = False) -> list[_Token]:
    """Split `text` into tokens; numbers become exact rationals, names are normalized.
    With `comparisons`, `< <= > >= == != ≤ ≥ ≠` are tokens of kind "cmp". With `notation`
    (the tensor notation the worked solution prints), `∂L/∂W1` is one token of kind
    "partial" (value: W1), subscript digits end a name (`dilate₂` reads `dilate_2`) and a
    prime too (`σ′` reads `σ′`, a derivative)."""
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        column = i + 1
        if c.isspace():
            i += 1
        elif notation and c == _PARTIAL:
            i = _scan_partial(text, i, tokens)
        elif notation and c == _PRIME and tokens and tokens[-1].kind == "name":
            last = tokens.pop()  # σ′, gelu′: a function's derivative (`f′(x)`)
            tokens.append(
                _Token("name", text[last.column - 1 : i + 1], last.column, last.value + c)
            )
            i += 1
        elif notation and c in _SUBSCRIPTS and tokens and tokens[-1].kind == "name":
            j = i
            while j < n and text[j] in _SUBSCRIPTS:
                j += 1
            last = tokens.pop()
            digits = "".join(_SUBSCRIPTS[d] for d in text[i:j])
            tokens.append(
                _Token("name", text[last.column - 1 : j], last.column, f"{last.value}_{digits}")
            )
            i = j
        elif comparisons and (text[i : i + 2] in _COMPARISONS or c in _COMPARISONS):
            op = text[i : i + 2] if text[i : i + 2] in _COMPARISONS else c
            tokens.append(_Token("cmp", op, column, _COMPARISONS[op]))
            i += len(op)
        elif c in _DIGITS or (c == "." and i + 1 < n and text[i + 1] in _DIGITS):
            i, value = _scan_number(text, i)
            tokens.append(_Token("num", text[column - 1 : i], column, value))
        elif _is_name_start(c):
            i, name = _scan_name(text, i)
            tokens.append(_Token("name", text[column - 1 : i], column, name))
        elif text.startswith("**", i):
            tokens.append(_Token("op", "**", column, "^"))
            i += 2
        elif c in _OPERATORS:
            tokens.append(_Token("op", c, column, _OPERATORS[c]))
            i += 1
        elif c in _SUPERSCRIPTS:
            tokens.append(_Token("sup", c, column, _SUPERSCRIPTS[c]))
            i += 1
        elif c == _COMBINING_CIRCUMFLEX:
            raise ParseError("parse_circumflex", column)
        else:
            raise ParseError("parse_character", column, char=repr(c))
    tokens.append(_Token("end", "end of expression", n + 1))
    return tokens


def _scan_partial(text: str, start: int, tokens: list) -> int:
    """`∂L/∂W1` (the gradient of the loss L with respect to W1) as one token."""
    i, loss = _scan_name(text, start + 1)
    if not loss or not text.startswith("/" + _PARTIAL, i):
        raise ParseError("parse_gradient_form", start + 1)
    j, name = _scan_name(text, i + 2)
    if not name:
        raise ParseError("parse_gradient_form", start + 1)
    tokens.append(_Token("partial", text[start:j], start + 1, (loss, name)))
    return j


def _scan_number(text: str, start: int) -> tuple[int, sp.Rational]:
    """Read `12`, `12.5`, `.5`, `5.`, `1e-3`, `2.5E+4` as an exact rational (numerals'
    reading, the one `show` uses without SymPy)."""
    i, value = scan_number(text, start)
    return i, sp.Integer(value.numerator) if value.denominator == 1 else sp.Rational(
        value.numerator, value.denominator
    )


def _scan_name(text: str, start: int) -> tuple[int, str]:
    """Read an identifier, spelling `ŷ` (either form) as `yhat`."""
    parts: list[str] = []
    i = start
    while i < len(text) and _is_name_char(text[i]):
        c = text[i]
        if c == _YHAT:
            parts.append("yhat")
        elif c == _COMBINING_CIRCUMFLEX:
            if not parts or parts[-1] != "y":
                raise ParseError("parse_circumflex", i + 1)
            parts[-1] = "yhat"
        else:
            parts.append(c)
        i += 1
    return i, "".join(parts)


def _number_bits(x: sp.Expr) -> int:
    """Size in bits of a rational number (0 for anything else)."""
    if isinstance(x, sp.Rational):
        return max(abs(x.p).bit_length(), x.q.bit_length())
    return 0


def _radicand_bits(x: sp.Expr) -> int:
    """Total size of the numbers under roots in a product (SymPy merges and factors them)."""
    if x.is_Pow and x.base.is_Rational and x.exp.is_Rational and not x.exp.is_Integer:
        return _number_bits(x.base)
    if x.is_Mul:
        return sum(_radicand_bits(factor) for factor in x.args)
    return 0


def _coefficient(x: sp.Expr) -> sp.Expr:
    """The numeric factor SymPy would raise to a power along with `x`."""
    if x.is_Mul and x.args and x.args[0].is_Rational:
        return x.args[0]
    return x


class _Parser:
    """Recursive descent over the token list, with explicit depth tracking.

    expression := term (("+" | "-") term)*
    term       := unary (("*" | "/") unary | <juxtaposition> unary)*
    unary      := ("+" | "-") unary | power
    power      := postfix ("^" unary)?          right-associative, tighter than unary minus
    postfix    := primary ("²" | "³")?
    primary    := number | name | call | "(" expression ")"
    call       := function "(" expression ("," expression)* ")" ("[" integer "]")?
    """

    def __init__(
        self,
        text: str,
        names: Mapping[str, sp.Expr] | None,
        implicit: bool,
        comparisons: bool = False,
    ):
        self.tokens = _tokenize(text, comparisons)
        self.names = names
        self.implicit = implicit
        self.pos = 0
        self.depth = 0
        self.used: set[str] = set()  # names used as variables

    # -- token helpers ---------------------------------------------------------------------

    def _peek(self, offset: int = 0) -> _Token:
        return self.tokens[min(self.pos + offset, len(self.tokens) - 1)]

    def _next(self) -> _Token:
        token = self.tokens[self.pos]
        if token.kind != "end":
            self.pos += 1
        return token

    def _is_op(self, token: _Token, *ops: str) -> bool:
        return token.kind == "op" and token.value in ops

    def _expect(self, op: str, key: str, **fields) -> _Token:
        """The next token, which must be `op`; else ParseError `key` (a parse_missing_* key),
        saying what came instead (`found`)."""
        token = self._next()
        if not self._is_op(token, op):
            found = (
                Message("parse_found_end")
                if token.kind == "end"
                else Message("parse_found_token", {"token": token.text})
            )
            raise ParseError(key, token.column, found=found, **fields)
        return token

    def _trailing(self, token: _Token) -> ParseError:
        """The error for a token left over after a whole expression."""
        if self._is_op(token, ")"):
            return ParseError("parse_unmatched", token.column)
        return ParseError("parse_unexpected", token.column, token=token.text)

    def _enter(self, token: _Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ParseError("parse_nested", token.column)

    def _leave(self) -> None:
        self.depth -= 1

    # -- grammar ---------------------------------------------------------------------------

    def parse(self) -> sp.Expr:
        if self._peek().kind == "end":
            raise ParseError("parse_empty", 1)
        result = self._expression()
        token = self._peek()
        if token.kind != "end":
            raise self._trailing(token)
        if result.has(*_UNDEFINED):
            raise ParseError("parse_undefined", 1)
        return result

    def parse_condition(self) -> tuple:
        """`a < b`, `0 < x <= 1`: the sides and operators, (a, "<", b, ...)."""
        if self._peek().kind == "end":
            raise ParseError("parse_empty_condition", 1)
        parts: list = [self._expression()]
        while self._peek().kind == "cmp":
            op = self._next()
            if len(parts) // 2 >= MAX_COMPARISONS:
                raise ParseError("parse_comparisons", op.column, n=MAX_COMPARISONS)
            if self._peek().kind in ("end", "cmp"):
                raise ParseError("parse_nothing_to_compare", op.column, op=op.text)
            parts += [op.value, self._expression()]
        token = self._peek()
        if token.kind != "end":
            raise self._trailing(token)
        if len(parts) == 1:
            raise ParseError("parse_condition_sides", 1)
        if any(p.has(*_UNDEFINED) for p in parts[::2]):
            raise ParseError("parse_condition_undefined", 1)
        return tuple(parts)

    def _expression(self) -> sp.Expr:
        first = self._peek()
        terms = [self._term()]
        while self._is_op(self._peek(), "+", "-"):
            op = self._next()
            term = self._term()
            terms.append(
                self._build(op.column, sp.Mul, S.NegativeOne, term) if op.value == "-" else term
            )
        return terms[0] if len(terms) == 1 else self._build(first.column, sp.Add, *terms)

    def _term(self) -> sp.Expr:
        first = self._peek()
        factors = [self._unary()]
        while True:
            token = self._peek()
            if self._is_op(token, "*"):
                self._next()
                factors.append(self._unary())
            elif self._is_op(token, "/"):
                self._next()
                divisor_token = self._peek()
                divisor = self._unary()
                if divisor.is_Number and divisor.is_zero:
                    raise ParseError("parse_division_by_zero", divisor_token.column)
                factors.append(self._build(token.column, sp.Pow, divisor, S.NegativeOne))
            elif token.kind in ("num", "name") or self._is_op(token, "("):
                previous = self.tokens[self.pos - 1]
                # Two numbers side by side ("3 3", "1 000") are a typo, never a product.
                if not self.implicit or (token.kind == "num" and previous.kind == "num"):
                    raise ParseError(
                        "parse_missing_operator",
                        token.column,
                        before=previous.text,
                        after=token.text,
                    )
                factors.append(self._unary())
            else:
                break
        if len(factors) == 1:
            return factors[0]
        if sum(_radicand_bits(factor) for factor in factors) > MAX_ROOT_BITS:
            raise ParseError("parse_root_too_large", first.column, digits=60)
        return self._build(first.column, sp.Mul, *factors)

    def _unary(self) -> sp.Expr:
        token = self._peek()
        if self._is_op(token, "+", "-"):
            self._next()
            self._enter(token)
            operand = self._unary()
            self._leave()
            return (
                self._build(token.column, sp.Mul, S.NegativeOne, operand)
                if token.value == "-"
                else operand
            )
        return self._power()

    def _power(self) -> sp.Expr:
        base = self._postfix()
        token = self._peek()
        if not self._is_op(token, "^"):
            return base
        self._next()
        self._enter(token)
        exponent = self._unary()
        self._leave()
        return self._pow(base, exponent, token.column)

    def _postfix(self) -> sp.Expr:
        value = self._primary()
        token = self._peek()
        if token.kind == "sup":
            self._next()
            if self._peek().kind == "sup":
                raise ParseError("parse_superscripts", self._peek().column)
            value = self._pow(value, sp.Integer(token.value), token.column)
        token = self._peek()
        if self._is_op(token, "["):
            raise ParseError("parse_index_softmax", token.column)
        return value

    def _primary(self) -> sp.Expr:
        token = self._next()
        if token.kind == "num":
            return token.value
        if token.kind == "name":
            return self._name(token)
        if self._is_op(token, "("):
            self._enter(token)
            value = self._expression()
            self._expect(")", "parse_missing_paren", at=token.column)
            self._leave()
            return value
        if token.kind == "end":
            raise ParseError("parse_end", token.column)
        raise ParseError("parse_unexpected", token.column, token=token.text)

    def _name(self, token: _Token) -> sp.Expr:
        name = token.value
        called = self._is_op(self._peek(), "(")
        if name in CALLABLE:
            if not called:
                raise ParseError("parse_is_function", token.column, name=token.text, arg="z")
            return self._call(token)
        known = self.names is None or name in self.names
        if called and (not known or (self.names is None and not self.implicit)):
            raise ParseError("parse_unknown_function", token.column, name=token.text)
        if not known:
            raise ParseError("parse_unknown_name", token.column, name=token.text)
        self.used.add(name)
        return symbol(name) if self.names is None else self.names[name]

    def _call(self, token: _Token) -> sp.Expr:
        name = token.value
        constructor, arity = CALLABLE[name]
        opening = self._next()  # "("
        self._enter(opening)
        args: list[sp.Expr] = []
        if not self._is_op(self._peek(), ")"):
            args.append(self._expression())
            while self._is_op(self._peek(), ","):
                self._next()
                args.append(self._expression())
        self._expect(")", "parse_missing_close", name=token.text)
        self._leave()
        if arity is not None and len(args) != arity:
            key = "parse_arity_one" if arity == 1 else "parse_arity"
            raise ParseError(key, token.column, name=token.text, n=arity, got=len(args))
        if arity is None and not args:
            raise ParseError("parse_arity_none", token.column, name=token.text)
        if constructor is sp.exp:
            _computable(args, token.column)
        if constructor is sp.sqrt:
            return self._pow(args[0], S.Half, token.column)
        if name in INDEXED:
            index = self._softmax_index(len(args))
            return self._build(token.column, constructor, sp.Integer(index), *args)
        return self._build(token.column, constructor, *args)

    def _softmax_index(self, count: int) -> int:
        token = self._peek()
        if not self._is_op(token, "["):
            raise ParseError("parse_softmax_needs_index", token.column)
        self._next()
        number = self._next()
        if number.kind != "num" or not all(c in _DIGITS for c in number.text):
            raise ParseError("parse_softmax_index_whole", number.column)
        index = int(number.value)
        if not 1 <= index <= count:
            raise ParseError("parse_softmax_index_range", number.column, n=count, got=index)
        self._expect("]", "parse_missing_softmax_bracket")
        return index

    # -- construction ----------------------------------------------------------------------

    def _pow(self, base: sp.Expr, exponent: sp.Expr, column: int) -> sp.Expr:
        """Build base^exponent, refusing results too large to compute (checked beforehand)."""
        if exponent.is_Number:
            if abs(exponent) > MAX_EXPONENT:
                raise ParseError("parse_exponent_too_large", column, most=MAX_EXPONENT)
            if base.is_Number and base.is_zero and exponent.is_negative:
                raise ParseError("parse_division_by_zero", column)
            bits = _number_bits(_coefficient(base))
            if bits * abs(exponent) > MAX_NUMBER_BITS:
                raise ParseError("parse_number_too_large", column, digits=1000)
            if not exponent.is_Integer and bits + _radicand_bits(base) > MAX_ROOT_BITS:
                raise ParseError(
                    "parse_root_too_large", column, digits=60
                )  # SymPy would factor the base
        _computable((exponent,), column)
        return self._build(column, sp.Pow, base, exponent)

    def _build(self, column: int, constructor: Callable[..., sp.Expr], *args: sp.Expr) -> sp.Expr:
        """Call a SymPy constructor; any failure or undefined/huge result is a ParseError."""
        try:
            result = constructor(*args)
        except ParseError:
            raise
        except RecursionError:
            raise ParseError("parse_nested", column) from None
        except Exception:  # noqa: BLE001 (SymPy may raise many kinds; none may escape)
            raise ParseError("parse_build", column) from None
        if any(result is bad for bad in _UNDEFINED):
            raise ParseError("parse_undefined", column)
        if _number_bits(_coefficient(result)) > MAX_NUMBER_BITS:
            raise ParseError("parse_number_too_large", column, digits=1000)
        return result


def _computable(args, column: int) -> None:
    """Refuse an exponent (of exp, or of a power) that, without symbols, is past a float's
    range (exp(exp(1000))): SymPy, asked for the sign of e^x or how to order it in a sum,
    evaluates it, which takes x's digits of ln 2 (e^(e^(e^20)) needs 10^8 of them): a hang.
    The registry's own functions are not evaluated at such an argument (functions.py)."""
    for arg in args:
        if not functions.in_float_range(arg):  # one with symbols is in range
            raise ParseError("parse_past_floats", column)


def _guarded(what: str, text, max_length: int, run):
    """`run()` on `text` with every bound enforced (`what`: "expression" or "condition");
    only ParseError can escape."""
    if not isinstance(text, str):
        raise ParseError(f"parse_not_text_{what}")
    if len(text) > max_length:
        raise ParseError(f"parse_too_long_{what}", n=len(text), most=max_length)
    try:
        return run()
    except ParseError:
        raise
    except RecursionError:
        raise ParseError("parse_nested") from None
    except Exception as exc:  # noqa: BLE001 (a last line of defence: only ParseError escapes)
        raise ParseError(f"parse_failed_{what}", error=type(exc).__name__) from None


def _run(
    text: str, names: Mapping[str, sp.Expr] | None, implicit: bool, max_length: int
) -> tuple[sp.Expr, set[str]]:
    """Parse with every bound enforced; only ParseError can escape."""

    def run():
        parser = _Parser(text, names, implicit)
        return parser.parse(), parser.used

    return _guarded("expression", text, max_length, run)


def parse(
    text: str,
    names: Mapping[str, sp.Expr] | None = None,
    *,
    implicit_multiplication: bool = False,
    max_length: int = 2000,
) -> sp.Expr:
    """Parse `text` into a SymPy expression.

    With `names=None` every identifier becomes `symbol(identifier)`; otherwise identifiers are
    looked up in `names` (after spelling `ŷ` as `yhat`) and unknown ones are refused. With
    `implicit_multiplication`, juxtaposition multiplies (`2x`, `x y`, `x1(ŷ-y)`, `(a)(b)`) at
    the precedence of `*`, so `1/2x` is (1/2)·x.
    """
    return _run(text, names, implicit_multiplication, max_length)[0]


def parse_condition(
    text: str, names: Mapping[str, sp.Expr] | None = None, *, max_length: int = 2000
) -> tuple:
    """Parse a condition such as `z > 0`, `L >= 0.5` or `0 < p < 1` into its sides (SymPy
    expressions) and operators, `(lhs, "<", rhs, ...)`; operators are `< <= > >= == !=`
    (also `≤ ≥ ≠`, and `=` for `==`). Bounded like `parse`; only ParseError escapes."""
    return _guarded(
        "condition",
        text,
        max_length,
        lambda: _Parser(text, names, False, comparisons=True).parse_condition(),
    )


def free_names(
    text: str, *, implicit_multiplication: bool = False, max_length: int = 2000
) -> set[str]:
    """The identifiers `text` uses as variables (not function names), normalized (`ŷ` -> `yhat`)."""
    return _run(text, None, implicit_multiplication, max_length)[1]
