"""The tensor notation: text to a small tree of ops (`Op`) and back, without eval.

One grammar, three readers. A problem file's equations (`z1: W1 @ x + b1`, `p: softmax(z2)`,
`L: -sum(y * log(p))`) are read in "file" mode. The op table's rules (`g @ bᵀ`,
`crop(full_conv(dilate(g, stride), flip(K)), x, padding)`) are read in "rule" mode, where
every op of the table may be called and an attribute may be a name bound later. What the
worked solution prints (`W2ᵀ δ(z2)`, `δ(a1) ⊙ a1 ⊙ (1 − a1)`, `∂L/∂W1`, `Σ_col δ(Z1)`,
`dilate₂(δ(z))`) is read in "notation" mode, so a printed rule can be read back and evaluated,
and a student may type a formula as the course writes it. All three share `expr._tokenize`
(bounded, exact numbers, normalised names); nothing here builds a SymPy object.

Grammar (docs/format.md, "Tensor problems"):

    expression := term (("+" | "-") term)*
    term       := unary (("*" | "/" | "@") unary)*       * and / (⊙ ⊘) are element-wise
    unary      := "-" unary | power
    power      := postfix ("^" unary)?                   a number exponent, element-wise
    postfix    := primary ("ᵀ" | "²" | "³")*
    primary    := number | name | call | "(" expression ")"
    call       := function "(" expression ("," expression)* ")"

In notation mode, two factors side by side are a product (`2(z2 − t)`: a number's; `W2ᵀ δ2`:
a matrix product), `δ(z)` and `∂L/∂W` name gradients, `[a ≥ b]` is 1 where it holds.
Functions: the element-wise functions of the registry and the ops of `ops.OPS` a file may call,
whose trailing whole-number arguments (an axis, a stride, a window) are written as numbers.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from fractions import Fraction

from tutor.errors import ParseError
from tutor.language.expr import MAX_DEPTH, _guarded, _Token, _tokenize

MAX_TENSOR_LENGTH = 2000
MAX_CHAIN = 100  # operations applied one inside another (a + b + c + ... is such a chain)
ALIASES = {"transpose": "T"}  # a file's name -> the op


def _table():
    from tutor.registry import ops

    return ops


def tensor_functions() -> dict[str, tuple[int, tuple[int, int]]]:
    """name -> (tensor arguments, whole-number arguments allowed (min, max)) of every
    non-element-wise op a file may call, read off the op table."""
    ops = _table()
    out = {}
    for name, spec in ops.OPS.items():
        if spec.user and not spec.elementwise:
            out[name] = (spec.arity, (spec.required_attrs, len(spec.attrs)))
    out["transpose"] = (1, (0, 0))
    return out


@dataclass(frozen=True, eq=False)
class Op:
    """One node of a tensor expression.

    kind: "name" (`name`), "number" (`value`, a Fraction), "grad" (∂L/∂`name`, the gradient
    of the loss with respect to a node or a given value), or an op of `ops.OPS` ("add",
    "matmul", "T", "conv2d", "sigmoid", ...), with `ints` its whole-number attributes in the
    op's order. `column` says where it was written, for messages. Compared by identity: a
    tree is built once and its nodes are keys of the evaluator's memo.
    """

    kind: str
    args: tuple[Op, ...] = ()
    name: str = ""
    value: Fraction | None = None
    ints: tuple[int, ...] = ()
    column: int = 0

    def names(self) -> set[str]:
        """The names this expression reads."""
        out: set[str] = set()
        stack = [self]
        while stack:
            op = stack.pop()
            if op.kind == "name":
                out.add(op.name)
            stack.extend(op.args)
        return out

    def walk(self):
        stack = [self]
        while stack:
            op = stack.pop()
            yield op
            stack.extend(reversed(op.args))

    def same(self, other: Op) -> bool:
        """Structural equality (the same expression, wherever it was written)."""
        if self is other:
            return True
        return (
            self.kind == other.kind
            and self.name == other.name
            and self.value == other.value
            and self.ints == other.ints
            and len(self.args) == len(other.args)
            and all(a.same(b) for a, b in zip(self.args, other.args))
        )


def number(value, column: int = 0) -> Op:
    return Op("number", value=Fraction(value), column=column)


def name(text: str) -> Op:
    return Op("name", name=text)


def grad(text: str) -> Op:
    return Op("grad", name=text)


def _elementwise() -> dict[str, str]:
    """Parser name -> registry name, for the registry's one-argument functions."""
    return _table().elementwise_names()


MODES = ("file", "rule", "notation")
_SUMS = {"Σ": None, "Σ_row": 1, "Σ_col": 2, "Σ_ij": "ij"}


class _Parser:
    def __init__(self, text: str, names, mode: str):
        if mode not in MODES:
            raise ValueError(mode)
        self.mode = mode
        self.tokens = _tokenize(text, comparisons=mode == "notation", notation=mode == "notation")
        self.names = names
        self.pos = 0
        self.depth = 0
        self.elementwise = _elementwise()
        self.functions = tensor_functions()

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
            raise ParseError("parse_nested", token.column)

    def parse(self) -> Op:
        if self._peek().kind == "end":
            raise ParseError("parse_empty", 1)
        result = self._expression()
        token = self._peek()
        if token.kind != "end":
            if self._is(token, ")"):
                raise ParseError("parse_unmatched", token.column)
            raise ParseError("parse_unexpected", token.column, token=token.text)
        return result

    def _expression(self) -> Op:
        left = self._term()
        while self._is(self._peek(), "+", "-"):
            op = self._next()
            right = self._term()
            left = Op("add" if op.value == "+" else "sub", (left, right), column=op.column)
        return left

    def _starts_factor(self, token: _Token) -> bool:
        return token.kind in ("num", "name", "partial") or self._is(token, "(", "[")

    def _term(self) -> Op:
        left = self._unary()
        kinds = {"*": "mul", "/": "div", "@": "matmul"}
        while True:
            token = self._peek()
            if self._is(token, *kinds):
                op = self._next()
                right = self._unary()
                if op.value == "/" and right.kind == "number" and right.value == 0:
                    raise ParseError("parse_division_by_zero", op.column)
                left = Op(kinds[op.value], (left, right), column=op.column)
            elif self.mode == "notation" and self._starts_factor(token):
                right = self._unary()  # side by side: a number's product, else matrices'
                kind = "mul" if left.kind == "number" or right.kind == "number" else "matmul"
                left = Op(kind, (left, right), column=token.column)
            elif self._starts_factor(token):
                previous = self.tokens[self.pos - 1]
                raise ParseError(
                    "parse_missing_operator", token.column, before=previous.text, after=token.text
                )
            else:
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
        if self.mode == "rule":
            return Op("pow", (base, exponent), column=column)  # a number once instantiated
        if exponent.kind != "number":
            raise ParseError("parse_tensor_exponent", column)
        if abs(exponent.value) > 100:
            raise ParseError("parse_exponent_too_large", column, most=100)
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
                value = Op("pow", (value, number(token.value)), column=token.column)
            elif self._is(token, "["):
                raise ParseError("parse_tensor_index", token.column)
            else:
                return value

    def _primary(self) -> Op:
        token = self._next()
        if token.kind == "num":
            v = token.value
            return Op("number", value=Fraction(int(v.p), int(v.q)), column=token.column)
        if token.kind == "name":
            return self._name(token)
        if token.kind == "partial" and self.mode == "notation":
            return self._gradient(token.value[1], token)
        if self._is(token, "("):
            self._enter(token)
            value = self._expression()
            closing = self._next()
            if not self._is(closing, ")"):
                raise ParseError("parse_open_paren", closing.column, at=token.column)
            self.depth -= 1
            return value
        if self._is(token, "[") and self.mode == "notation":
            return self._indicator(token)
        if token.kind == "end":
            raise ParseError("parse_end", token.column)
        raise ParseError("parse_unexpected", token.column, token=token.text)

    def _gradient(self, of: str, token: _Token) -> Op:
        if self.names is not None and of not in self.names:
            raise ParseError("parse_unknown_name", token.column, name=of)
        return Op("grad", name=of, column=token.column)

    def _indicator(self, token: _Token) -> Op:
        """`[a ≥ b]`: 1 where it holds, else 0."""
        self._enter(token)
        left = self._expression()
        compare = self._next()
        kinds = {">=": "ge", ">": "gt", "<=": "le", "<": "lt"}
        if compare.kind != "cmp" or compare.value not in kinds:
            raise ParseError("parse_condition_form", compare.column)
        right = self._expression()
        closing = self._next()
        if not self._is(closing, "]"):
            raise ParseError("parse_open_bracket", closing.column, at=token.column)
        self.depth -= 1
        return Op(kinds[compare.value], (left, right), column=token.column)

    def _name(self, token: _Token) -> Op:
        text = token.value
        called = self._is(self._peek(), "(")
        if self.mode == "notation":
            special = self._notation_name(token, text, called)
            if special is not None:
                return special
        function = self._function(text)
        known = self.names is not None and text in self.names
        if called and function is None and not (self.mode == "notation" and known):
            raise ParseError("parse_unknown_function", token.column, name=token.text)
        if function is not None and not called:
            raise ParseError("parse_is_function", token.column, name=token.text, arg="...")
        if function is not None:
            return self._call(token, *function)
        if self.names is not None and text not in self.names:
            raise ParseError("parse_unknown_name", token.column, name=token.text)
        return Op("name", name=text, column=token.column)

    def _function(self, text: str) -> tuple[str, tuple[int, ...]] | None:
        """(op, attributes fixed by the name) when `text` names a function here."""
        if text in self.elementwise:
            return self.elementwise[text], ()
        if text in self.functions:
            return ALIASES.get(text, text), ()
        ops = _table().OPS
        if self.mode == "rule" and text in ops:
            return text, ()
        if self.mode == "notation":
            if text in ops:
                return text, ()
            if text.endswith("′") and text[:-1] in self.elementwise:  # f′(x)
                return "d_" + self.elementwise[text[:-1]], ()
            base, ints = text, []
            while "_" in base and base.rsplit("_", 1)[1].isdigit():
                base, digits = base.rsplit("_", 1)
                ints.insert(0, int(digits))
            if ints and base in ops and ops[base].attrs:
                return base, tuple(ints)
        return None

    def _notation_name(self, token: _Token, text: str, called: bool) -> Op | None:
        """δ(z), Σ_col(…), σ′(z): what the worked solution prints."""
        if text == "δ" and called:
            self._next()
            inner = self._next()
            if inner.kind != "name" or not self._is(self._next(), ")"):
                raise ParseError("parse_delta_form", token.column)
            return self._gradient(inner.value, token)
        if text in _SUMS:
            self._enter(token)
            operand = self._postfix()
            self.depth -= 1
            axis = _SUMS[text]
            if axis == "ij":
                inner = Op("sum", (operand,), ints=(3,), column=token.column)
                return Op("sum", (inner,), ints=(2,), column=token.column)
            return Op("sum", (operand,), ints=(axis,) if axis else (), column=token.column)
        return None

    def _call(self, token: _Token, kind: str, fixed: tuple[int, ...]) -> Op:
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
            raise ParseError("parse_open_call", closing.column, name=token.text)
        self.depth -= 1
        spec = _table().OPS[kind]
        if self.mode == "rule":
            return Op(kind, tuple(args), column=token.column)  # attributes bound later
        if spec.elementwise and kind not in self.functions:
            if len(args) != spec.arity and not (self.mode == "notation" and len(args) == 1):
                raise ParseError(
                    "parse_arity" if spec.arity > 1 else "parse_arity_one",
                    token.column,
                    name=token.text,
                    n=spec.arity,
                    got=len(args),
                )
            if kind.startswith("d_") and len(args) == 1:  # f′(x) read back: f′ at x
                args.append(Op(kind[2:], (args[0],), column=token.column))
            return Op(kind, tuple(args), column=token.column)
        if self.mode == "notation" and fixed:
            tensors = [a for a in args]
            return Op(kind, tuple(tensors), ints=fixed, column=token.column)
        tensors, (low, high) = (
            self.functions[token.value]
            if token.value in self.functions
            else (spec.arity, (spec.required_attrs, len(spec.attrs)))
        )
        if self.mode == "notation" and spec.minimal is not None:
            trailing = 0  # corr(x, δ(z)), unpool_avg(δ(v), 2): `like` is not written
            while trailing < len(args) and args[len(args) - 1 - trailing].kind == "number":
                trailing += 1
            if len(args) - trailing == spec.arity - 1:
                tensors = spec.arity - 1
        ints = args[tensors:]
        if len(args) < tensors or not low <= len(ints) <= high:
            counts = {"n": tensors + low} if low == high else {"low": tensors + low}
            raise ParseError(
                "parse_arity" if low == high else "parse_arity_range",
                token.column,
                name=token.text,
                got=len(args),
                high=tensors + high,
                **counts,
            )
        whole = []
        for a in ints:
            if a.kind != "number" or a.value.denominator != 1 or not 0 <= a.value <= 64:
                raise ParseError("parse_op_integers", a.column or token.column, name=token.text)
            whole.append(int(a.value))
        return Op(kind, tuple(args[:tensors]), ints=tuple(whole), column=token.column)


def parse(text: str, names=None, *, mode: str = "file", max_length: int = MAX_TENSOR_LENGTH) -> Op:
    """Parse a tensor expression; unknown names (when `names` is given), unknown functions
    and anything outside the grammar raise ParseError with a column. `mode`: "file" (a
    problem's equation), "rule" (the op table's rules), "notation" (what the worked solution
    prints, or a student's formula)."""
    return _guarded(
        "expression", text, max_length, lambda: _chained(_Parser(text, names, mode).parse())
    )


def _chained(op: Op) -> Op:
    """`op`, refused when more than MAX_CHAIN operations sit one inside another: every walk
    over a tree (shapes, rules, values, printing) recurses once per level, and a rule is a
    few levels deeper than its equation, so this keeps them all far from Python's recursion
    limit. Parentheses and calls are bounded by MAX_DEPTH already; this counts the rest
    (`x + x + ... + x`, `xᵀᵀᵀ`)."""
    stack = [(op, 1)]
    while stack:
        o, depth = stack.pop()
        if depth > MAX_CHAIN:
            raise ParseError("parse_chain", o.column or None, n=MAX_CHAIN)
        stack.extend((a, depth + 1) for a in o.args)
    return op


# --------------------------------------------------------------------------- printing

_PRECEDENCE = {"add": 1, "sub": 1, "mul": 2, "div": 2, "matmul": 2, "neg": 3, "pow": 4, "T": 5}


@dataclass
class Style:
    """How to print: `nodes` (a grad of a node prints δ(z), of a given value ∂L/∂W), the
    loss's name, `shapes` (the engine's shape inference, or a table of shapes by op: to say
    which axes a Σ sums), and `rename` (a name as the course writes it: W2 -> W⁽²⁾)."""

    nodes: tuple = ()  # sorted: a cached document's key pickles it (a set's order varies)
    loss: str = "L"
    shapes: dict | None = None
    rename: dict | None = None


def number_text(v: Fraction) -> str:
    if v.denominator == 1:
        return str(v.numerator).replace("-", "−")
    decimal = float(v)
    if Fraction(decimal) == v or len(repr(decimal)) < 8:
        shown = repr(decimal) if Fraction(repr(decimal)) == v else None
        if shown is not None and len(shown) < 10:
            return shown.replace("-", "−")
    return f"{v.numerator}/{v.denominator}".replace("-", "−")


def text(op: Op, style: Style | None = None, parent: int = 0) -> str:
    """The expression as the worked solution writes it: W1 x + b1, y ⊙ log(p), W2ᵀ δ(z2),
    2(z2 − t), ∂L/∂W1, Σ_col δ(Z1), dilate₂(δ(z))."""
    return _Writer(style or Style(), "text").write(op, parent)


def latex(op: Op, style: Style | None = None, name_tex=None, grad_tex=None) -> str:
    """The same in LaTeX (`W_{2}^{\\top} \\delta_{2}`); `name_tex`/`grad_tex` spell names and
    gradients (the export's conventions), defaulting to notation's."""
    return _Writer(style or Style(), "latex", name_tex, grad_tex).write(op, 0)


_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


class _Writer:
    def __init__(self, style: Style, how: str, name_tex=None, grad_tex=None):
        self.style, self.how = style, how
        self.name_tex, self.grad_tex = name_tex, grad_tex

    def _name(self, n: str) -> str:
        shown = (self.style.rename or {}).get(n, n)
        if self.how == "text":
            return shown
        if self.name_tex is not None:
            return self.name_tex(shown)
        from tutor.text.notation import latex_name

        return latex_name(shown)

    def _grad(self, n: str) -> str:
        if self.how == "latex" and self.grad_tex is not None:
            return self.grad_tex(n, n in self.style.nodes, self.style.loss)
        shown = (self.style.rename or {}).get(f"δ({n})")
        if shown is not None:
            return shown
        if n in self.style.nodes:
            return f"δ({n})" if self.how == "text" else rf"\delta_{{{self._name(n)}}}"
        loss = self.style.loss
        if self.how == "text":
            return f"∂{loss}/∂{n}"
        return rf"\frac{{\partial {self._name(loss)}}}{{\partial {self._name(n)}}}"

    def _number(self, v: Fraction) -> str:
        if self.how == "text" or v.denominator == 1:
            return number_text(v) if self.how == "text" else str(v.numerator)
        sign = "-" if v < 0 else ""
        return rf"{sign}\frac{{{abs(v.numerator)}}}{{{v.denominator}}}"

    def _paren(self, inner: str) -> str:
        return f"({inner})" if self.how == "text" else rf"\left({inner}\right)"

    def write(self, op: Op, parent: int) -> str:
        kind = op.kind
        if kind == "name":
            return self._name(op.name)
        if kind == "grad":
            return self._grad(op.name)
        if kind == "number":
            shown = self._number(op.value)
            return self._paren(shown) if op.value < 0 and parent > 0 else shown
        level = _PRECEDENCE.get(kind, 6)
        out = self._compound(op, kind, level)
        return self._paren(out) if level < parent else out

    def _compound(self, op: Op, kind: str, level: int) -> str:
        t = self.how == "text"
        args = op.args
        if kind in ("add", "sub"):
            sign = (" + " if kind == "add" else " − ") if t else (" + " if kind == "add" else " - ")
            return self.write(args[0], level) + sign + self.write(args[1], level + (kind == "sub"))
        if kind == "mul":
            left, right = args
            if left.kind == "number":
                factor = self._side(right, level + 1, "matmul")
                coefficient = self.write(left, level + 1)
                if factor.startswith("(") or factor.startswith(r"\left("):
                    return coefficient + factor
                return f"{coefficient} {factor}" if t else rf"{coefficient} \, {factor}"
            sign = " ⊙ " if t else r" \odot "
            return self._side(left, level, "matmul") + sign + self._side(right, level + 1, "matmul")
        if kind == "div":
            left, right = args
            sign = (
                (" / " if right.kind == "number" else " ⊘ ")
                if t
                else (" / " if right.kind == "number" else r" \oslash ")
            )
            return self._side(left, level, "matmul") + sign + self._side(right, level + 1, "matmul")
        if kind == "matmul":
            sep = " "
            return (
                self._side(args[0], level, "mul", "div")
                + sep
                + self._side(args[1], level + 1, "mul", "div")
            )
        if kind == "neg":
            return ("−" if t else "-") + self.write(args[0], level)
        if kind == "pow":
            base = self.write(args[0], level + 1)
            n = args[1]
            whole = n.kind == "number" and n.value.denominator == 1 and n.value > 0
            if t and whole and n.value in (2, 3):
                return base + {2: "²", 3: "³"}[int(n.value)]
            exponent = self.write(n, 0)
            if t:
                return f"{base}^{exponent}" if whole else f"{base}^({exponent})"
            return f"{_braced(base)}^{{{exponent}}}"
        if kind == "T":
            if t:
                return self.write(args[0], level) + "ᵀ"
            return _braced(self.write(args[0], level)) + r"^{\top}"
        if kind == "sum_to":
            return self._sum_to(op)
        if kind == "expand":
            return self.write(args[0], level)
        return self._call(op)

    def _side(self, op: Op, level: int, *apart: str) -> str:
        """An operand, in parentheses when it is a product of the other kind (an element-wise
        product beside a matrix product reads either way without them)."""
        if op.kind in apart and not (op.kind == "mul" and op.args[0].kind == "number"):
            return self._paren(self.write(op, 0))
        return self.write(op, level)

    def _shape(self, op: Op) -> tuple | None:
        """An op's shape: `Style.shapes` is the engine's shape inference (a callable, which
        knows every op of a rule, however it was built) or a table of shapes by op."""
        shapes = self.style.shapes
        if shapes is None:
            return None
        if callable(shapes):
            try:
                return shapes(op)
            except (KeyError, ValueError):
                return None
        return shapes.get(id(op))

    def _sum_to(self, op: Op) -> str:
        """Σ_col (a bias over a batch's columns), Σ_row, Σ_ij (a map's entries), Σ (all)."""
        inner, like = op.args
        a, b = self._shape(inner), self._shape(like)
        label = ""
        if a is not None and b is not None:
            if len(a) == 2 and b == (a[0], 1):
                label = "col"
            elif len(a) == 2 and b == (1, a[1]):
                label = "row"
            elif len(a) == 3 and len(b) <= 2 and (not b or b[0] == a[0]):
                label = "ij"
        body = self.write(inner, 6)
        if self.how == "text":
            return f"Σ_{label} {body}" if label else f"Σ {body}"
        sub = {"col": r"_{\mathrm{col}}", "row": r"_{\mathrm{row}}", "ij": "_{ij}"}.get(label, "")
        return rf"\sum{sub} {body}"

    def _call(self, op: Op) -> str:
        from tutor.registry import ops

        spec = ops.OPS.get(op.kind)
        t = self.how == "text"
        args = [self.write(a, 0) for a in op.args]
        attrs = spec.attr_values(op.ints) if spec is not None else {}
        template = (spec.text if t else spec.latex) if spec is not None else None
        if callable(template):
            return template(args, attrs)
        if template is not None:
            fields = {k: (str(v).translate(_SUB) if t else str(v)) for k, v in attrs.items()}
            return template.format(*args, **fields)
        shown = op.kind
        if spec is not None and spec.elementwise:
            if not t and not op.kind.startswith("d_"):
                return _function_latex(op.kind, args)
            shown = _function_name(op.kind, t)
            if op.kind.startswith("d_"):
                args = args[:1]
        if spec is not None and spec.user and not spec.elementwise:
            args += [str(i) for i in op.ints]  # as the file wrote them
        if not t:
            prime = "'" if shown.endswith("'") and not shown.startswith("\\") else ""
            if not shown.startswith("\\"):
                bare = shown.removesuffix("'")
                escaped = bare.replace("_", "\\_")
                # \mathrm where there is an underscore or a digit: latex2mathml misreads \_ in
                # \operatorname, and reads \operatorname{conv2d} as an empty operator and letters
                plain = "_" not in bare and not any(c.isdigit() for c in bare)
                font = r"\operatorname" if plain else r"\mathrm"
                shown = rf"{font}{{{escaped}}}{prime}"
            return rf"{shown}\left({', '.join(args)}\right)"
        return f"{shown}({', '.join(args)})"


_ARGUMENT = "XARGUMENTX"


def _braced(base: str) -> str:
    """A LaTeX base that already carries a superscript (e^{x}, W^{\\top}) in braces, so that
    another one is not a double superscript."""
    if "^" in base and not base.endswith((r"\right)", r"\right]")):
        return "{" + base + "}"
    return base


@functools.cache
def _latex_template(kind: str) -> str:
    """The registry's LaTeX for f(x) (its own template, or SymPy's printer: `\\tanh`, `e^{x}`,
    `\\sqrt{x}`) with a placeholder for the argument."""
    import sympy as sp

    from tutor.registry.functions import FUNCTIONS

    entry = FUNCTIONS[kind]
    if entry.latex:
        return entry.print("latex", [_ARGUMENT])
    return sp.latex(entry.sympy(sp.Symbol(_ARGUMENT)))


def _function_latex(kind: str, args: list[str]) -> str:
    """An element-wise function applied, in LaTeX as the registry prints it."""
    return _latex_template(kind).replace(_ARGUMENT, args[0])


def _function_name(kind: str, as_text: bool) -> str:
    """An element-wise function's name as the course writes it: σ for the sigmoid, ReLU′
    for a derivative op (d_relu), the registry's first parser name otherwise."""
    prime = kind.startswith("d_")
    base = kind[2:] if prime else kind
    if base == "sigmoid":
        shown = "σ" if as_text else r"\sigma"
    else:
        names = [n for n, reg in _elementwise().items() if reg == base and n.isascii()]
        shown = names[0] if names else base
    return shown + ("′" if as_text else "'") if prime else shown
