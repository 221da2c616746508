"""The restricted parser for tensor equations: text to a small tree of ops, without eval.

A tensor problem's equations (`z1: W1 @ x + b1`, `p: softmax(z2)`, `L: -sum(y * log(p))`)
are read by the same tokenizer as scalar expressions (`expr._tokenize`: bounded, exact
numbers, normalised names) and parsed into `Op` trees that `engine.tensor` evaluates with
NumPy and differentiates with each op's vector-Jacobian rule. Nothing here builds SymPy
objects: a 1×28×28 convolution is one node, not 784 expressions.

Grammar (docs/format.md, "Tensor problems"):

    expression := term (("+" | "-") term)*
    term       := unary (("*" | "/" | "@") unary)*       * and / are element-wise
    unary      := "-" unary | power
    power      := postfix ("^" unary)?                   a number exponent, element-wise
    postfix    := primary ("ᵀ" | "²" | "³")*
    primary    := number | name | call | "(" expression ")"
    call       := function "(" expression ("," expression)* ")"

Functions: every element-wise function of the registry with one argument (sigmoid, relu,
tanh, exp, log, ...), and the tensor functions of `TENSOR_FUNCTIONS` (transpose, sum, mean,
softmax, conv2d, maxpool, avgpool...), whose trailing whole-number arguments (an axis, a
stride, a window) are written as numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from tutor.errors import ParseError
from tutor.expr import MAX_DEPTH, _guarded, _Token, _tokenize

# name -> (tensor arguments, whole-number arguments allowed (min, max)), as a file writes them
TENSOR_FUNCTIONS: dict[str, tuple[int, tuple[int, int]]] = {
    "transpose": (1, (0, 0)),
    "sum": (1, (0, 1)),  # sum(x) all entries; sum(x, k) over axis k (1-based), kept as size 1
    "mean": (1, (0, 1)),
    "softmax": (1, (0, 0)),  # over each column (a vector's entries, a batch's samples)
    "log_softmax": (1, (0, 0)),
    "conv2d": (2, (0, 2)),  # conv2d(x, K[, stride[, padding]]), x C×H×W, K out×in×kh×kw
    "conv2d_bias": (3, (0, 2)),  # conv2d_bias(x, K, b[, stride[, padding]]): one bias per map
    "maxpool": (1, (1, 2)),  # maxpool(x, window[, stride]) (stride defaults to the window)
    "avgpool": (1, (1, 2)),
    "flatten": (1, (0, 0)),  # a C×H×W map as one column, in C, H, W order (torch's view)
    "max": (2, (0, 0)),  # element-wise maximum of two tensors (hinge losses, ReLU by hand)
}
MAX_TENSOR_LENGTH = 2000


@dataclass(frozen=True)
class Op:
    """One node of a parsed tensor expression.

    kind: "name" (`name`), "number" (`value`, a Fraction), "neg", "add", "sub", "mul", "div",
    "pow" (args[1] a number), "matmul", "T" (transpose), or a function: an element-wise one by
    its registry name (`sigmoid`) or a tensor function's name (`conv2d`), with `ints` its
    whole-number arguments. `column` says where it was written, for messages.
    """

    kind: str
    args: tuple[Op, ...] = ()
    name: str = ""
    value: Fraction | None = None
    ints: tuple[int, ...] = ()
    column: int = 0

    def names(self) -> set[str]:
        """The names this expression reads."""
        if self.kind == "name":
            return {self.name}
        out: set[str] = set()
        for a in self.args:
            out |= a.names()
        return out

    def walk(self):
        yield self
        for a in self.args:
            yield from a.walk()


def _elementwise() -> dict[str, str]:
    """Parser name -> registry name, for the registry's one-argument functions."""
    from tutor.functions import FUNCTIONS

    out = {}
    for e in FUNCTIONS.values():
        if e.arity == 1 and e.numpy is not None:
            for n in e.names:
                out[n] = e.name
    return out


class _Parser:
    def __init__(self, text: str, names):
        self.tokens = _tokenize(text)
        self.names = names
        self.pos = 0
        self.depth = 0
        self.elementwise = _elementwise()

    def _peek(self) -> _Token:
        return self.tokens[self.pos]

    def _next(self) -> _Token:
        token = self.tokens[self.pos]
        if token.kind != "end":
            self.pos += 1
        return token

    def _is(self, token: _Token, *ops: str) -> bool:
        return token.kind == "op" and token.value in ops

    def _enter(self, token: _Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ParseError("expression nested too deeply", token.column)

    def parse(self) -> Op:
        if self._peek().kind == "end":
            raise ParseError("empty expression", 1)
        result = self._expression()
        token = self._peek()
        if token.kind != "end":
            what = "unmatched ')'" if self._is(token, ")") else f"unexpected '{token.text}'"
            raise ParseError(what, token.column)
        return result

    def _expression(self) -> Op:
        left = self._term()
        while self._is(self._peek(), "+", "-"):
            op = self._next()
            right = self._term()
            left = Op("add" if op.value == "+" else "sub", (left, right), column=op.column)
        return left

    def _term(self) -> Op:
        left = self._unary()
        kinds = {"*": "mul", "/": "div", "@": "matmul"}
        while self._is(self._peek(), *kinds):
            op = self._next()
            right = self._unary()
            if op.value == "/" and right.kind == "number" and right.value == 0:
                raise ParseError("division by zero", op.column)
            left = Op(kinds[op.value], (left, right), column=op.column)
        token = self._peek()
        if token.kind in ("num", "name") or self._is(token, "("):
            previous = self.tokens[self.pos - 1]
            raise ParseError(
                f"missing operator between '{previous.text}' and '{token.text}'", token.column
            )
        return left

    def _unary(self) -> Op:
        token = self._peek()
        if self._is(token, "+", "-"):
            self._next()
            self._enter(token)
            operand = self._unary()
            self.depth -= 1
            if token.value == "+":
                return operand
            if operand.kind == "number":
                return Op("number", value=-operand.value, column=token.column)
            return Op("neg", (operand,), column=token.column)
        return self._power()

    def _power(self) -> Op:
        base = self._postfix()
        token = self._peek()
        if not self._is(token, "^"):
            return base
        self._next()
        self._enter(token)
        exponent = self._unary()
        self.depth -= 1
        return self._pow(base, exponent, token.column)

    def _pow(self, base: Op, exponent: Op, column: int) -> Op:
        if exponent.kind != "number":
            raise ParseError("in a tensor equation an exponent is a number, e.g. (a - y)^2", column)
        if abs(exponent.value) > 100:
            raise ParseError("exponent too large (at most 100)", column)
        return Op("pow", (base, exponent), column=column)

    def _postfix(self) -> Op:
        value = self._primary()
        while True:
            token = self._peek()
            if self._is(token, "T"):
                self._next()
                value = Op("T", (value,), column=token.column)
            elif token.kind == "sup":
                self._next()
                value = Op(
                    "pow", (value, Op("number", value=Fraction(token.value))), column=token.column
                )
            elif self._is(token, "["):
                raise ParseError(
                    "tensor equations take no index: name the whole tensor", token.column
                )
            else:
                return value

    def _primary(self) -> Op:
        token = self._next()
        if token.kind == "num":
            v = token.value
            return Op("number", value=Fraction(int(v.p), int(v.q)), column=token.column)
        if token.kind == "name":
            return self._name(token)
        if self._is(token, "("):
            self._enter(token)
            value = self._expression()
            closing = self._next()
            if not self._is(closing, ")"):
                raise ParseError(
                    f"missing ')' for the '(' at column {token.column}", closing.column
                )
            self.depth -= 1
            return value
        if token.kind == "end":
            raise ParseError("unexpected end of expression", token.column)
        raise ParseError(f"unexpected '{token.text}'", token.column)

    def _name(self, token: _Token) -> Op:
        name = token.value
        called = self._is(self._peek(), "(")
        function = name in TENSOR_FUNCTIONS or name in self.elementwise
        if called and not function:
            raise ParseError(f"unknown function '{token.text}'", token.column)
        if function and not called:
            raise ParseError(f"{token.text} is a function: write {token.text}(...)", token.column)
        if function:
            return self._call(token)
        if self.names is not None and name not in self.names:
            raise ParseError(f"unknown name '{token.text}'", token.column)
        return Op("name", name=name, column=token.column)

    def _call(self, token: _Token) -> Op:
        name = token.value
        opening = self._next()
        self._enter(opening)
        args: list[Op] = []
        if not self._is(self._peek(), ")"):
            args.append(self._expression())
            while self._is(self._peek(), ","):
                self._next()
                args.append(self._expression())
        closing = self._next()
        if not self._is(closing, ")"):
            raise ParseError(f"missing ')' to close {token.text}(", closing.column)
        self.depth -= 1
        if name in self.elementwise and name not in TENSOR_FUNCTIONS:
            if len(args) != 1:
                raise ParseError(f"{token.text} takes 1 argument, got {len(args)}", token.column)
            return Op(self.elementwise[name], tuple(args), column=token.column)
        tensors, (low, high) = TENSOR_FUNCTIONS[name]
        ints = args[tensors:]
        if len(args) < tensors or not low <= len(ints) <= high:
            counts = f"{tensors + low}" if low == high else f"{tensors + low} to {tensors + high}"
            raise ParseError(
                f"{token.text} takes {counts} arguments, got {len(args)}", token.column
            )
        whole = []
        for a in ints:
            if a.kind != "number" or a.value.denominator != 1 or not 0 <= a.value <= 64:
                raise ParseError(
                    f"{token.text}: an axis, window, stride or padding is a whole "
                    "number from 0 to 64",
                    a.column or token.column,
                )
            whole.append(int(a.value))
        return Op(name, tuple(args[:tensors]), ints=tuple(whole), column=token.column)


def parse(text: str, names=None, *, max_length: int = MAX_TENSOR_LENGTH) -> Op:
    """Parse a tensor equation's right-hand side; unknown names (when `names` is given),
    unknown functions and anything outside the grammar raise ParseError with a column."""
    return _guarded("expression", text, max_length, lambda: _Parser(text, names).parse())


_PRECEDENCE = {"add": 1, "sub": 1, "mul": 2, "div": 2, "matmul": 2, "neg": 3, "pow": 4, "T": 5}
_SIGNS = {"add": " + ", "sub": " − ", "mul": " ⊙ ", "div": " ⊘ ", "matmul": " "}


def text(op: Op, parent: int = 0) -> str:
    """The expression as the worked solution writes it: W1 x + b1, y ⊙ log(p), W2ᵀ."""
    kind = op.kind
    if kind == "name":
        return op.name
    if kind == "number":
        v = op.value
        return (
            str(v.numerator)
            if v.denominator == 1
            else (str(float(v)) if len(str(float(v))) < 10 else f"{v.numerator}/{v.denominator}")
        )
    level = _PRECEDENCE.get(kind, 6)
    if kind in _SIGNS:
        left, right = op.args
        sign = " / " if kind == "div" and right.kind == "number" else _SIGNS[kind]
        out = text(left, level) + sign + text(right, level + (kind in ("sub", "div")))
    elif kind == "neg":
        out = "−" + text(op.args[0], level)
    elif kind == "pow":
        n = op.args[1].value
        exponent = {2: "²", 3: "³"}.get(n, f"^{text(op.args[1])}")
        out = text(op.args[0], level + 1) + exponent
    elif kind in ("T", "transpose"):
        out = text(op.args[0], level + 1) + "ᵀ"
    else:
        args = [text(a) for a in op.args] + [str(i) for i in op.ints]
        out = f"{'σ' if kind == 'sigmoid' else kind}({', '.join(args)})"
    return f"({out})" if level < parent else out
