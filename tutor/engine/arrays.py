"""Array code: a tensor problem's training step printed as NumPy source from the op table.

The step is the worked solution's own mathematics, printed: every equation's forward from
its ops' `code` templates (`ops.OPS`; an element-wise function's from the registry's array
form, `functions.Entry.array`), and every share of a gradient the very rule
`engine.rules.share_rule` builds and simplifies for the worked solution (`W2ᵀ δ(z2)`,
`δ(a1) ⊙ (1 − a1²)`), printed the same way and summed per name as `engine.tensor.evaluate`
sums it. A fused output (`engine.tensor.Fused`, claimed where the numbers agree) prints its
δ(z) as p − y times δ(L). For a batch whose loss is the mean of its samples' losses, δ(L) is
1/N. The optimizer's update is `optim`'s rule printed over arrays, as the scalar loop prints
it over floats.

How the source is made, and why it is safe: names print as identifiers the caller gives
(a network's W1, z1, ... which we name ourselves) or as generated ones (v0, g0, ...), never as
text from a problem file; numbers print as Python literals; ops print through their fixed
templates, or as a call of the op's own forward (`_OP['conv2d']({'stride': 1, ...}, x, K)`).
A subtree used more than once (`a2 − y` in the loss and in δ(a2)) is computed once, into a
temporary. Generated sources are cached by content (`codegen.cached_source`).
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from tutor.engine import rules
from tutor.errors import InputError
from tutor.language.matrix_expr import Op, grad, number
from tutor.language.matrix_expr import name as name_op
from tutor.registry import ops, optim
from tutor.registry.ops import OPS

# ops that are applied entry by entry, whose operands NumPy broadcasts (an `expand` of an
# operand is then left to NumPy)
_BROADCASTING = frozenset(
    {"add", "sub", "mul", "div", "neg", "pow", "max", "min"}
    | {n for n, spec in OPS.items() if spec.elementwise}
)
_COMPARISON = re.compile(r"^\(\{0\} (?:>|>=|<|<=) [^{}]*(?:\{1\})?\)$")


@dataclass(frozen=True)
class _Eq:
    """One equation as `rules.share_rule` reads it."""

    name: str
    expr: Op


@dataclass
class Graph:
    """What a step is printed from.

    equations: (name, op tree) in forward order, the loss among them (as it is computed: a
    stable form); shapes: every given name's shape (a batch's with any number of samples
    other than 1: the source is the same for every N); params: the parameter arrays in the
    order `params` holds them; data: the names each batch gives (x, y); fixed: the other
    given names, passed once; outputs: the node `outputs()` returns; fused: node z -> the op
    δ(z)/δ(L) is claimed to be (p − y); batch: the data name whose last axis counts the
    samples when the loss is the mean over a batch (δ(L) = 1/N), None when the loss is as
    written (δ(L) = 1); rename: a name -> its identifier in the source (others: v0, v1...)."""

    equations: tuple[tuple[str, Op], ...]
    loss: str
    shapes: dict[str, tuple]
    params: tuple[str, ...]
    data: tuple[str, ...] = ()
    fixed: tuple[str, ...] = ()
    outputs: str | None = None
    fused: dict[str, Op] = field(default_factory=dict)
    batch: str | None = None
    rename: dict[str, str] = field(default_factory=dict)

    def key(self) -> list[str]:
        """What the source is generated from, as text (the code cache's key)."""
        return [
            " ".join(f"{n}={_serial(e)}" for n, e in self.equations),
            self.loss,
            " ".join(f"{n}:{s}" for n, s in sorted(self.shapes.items())),
            " ".join(self.params),
            " ".join(self.data),
            " ".join(self.fixed),
            str(self.outputs),
            " ".join(f"{z}={_serial(o)}" for z, o in sorted(self.fused.items())),
            str(self.batch),
            " ".join(f"{n}={i}" for n, i in sorted(self.rename.items())),
        ]


def _serial(op: Op) -> str:
    """A tree as text that tells any two different trees apart."""
    if op.kind == "name":
        return op.name
    if op.kind == "grad":
        return f"∂{op.name}"
    if op.kind == "number":
        return f"#{op.value}"
    ints = f"<{','.join(map(str, op.ints))}>" if op.ints else ""
    return f"{op.kind}{ints}({','.join(_serial(a) for a in op.args)})"


# --------------------------------------------------------------------------- the backward pass


def backward(graph: Graph, trained: set[str]) -> tuple[list[tuple[str, Op]], rules.Shapes]:
    """Every share of ∂L/∂name the trained names need, in the order `engine.tensor.evaluate`
    takes them (from the loss back): (name, the rule as `rules.share_rule` builds it, or the
    claimed fused rule), and the shapes the rules were built with."""
    names = dict(graph.shapes)
    shapes = rules.Shapes(names)
    for n, expr in graph.equations:
        names[n] = shapes(expr)
    needed = set(trained)
    for n, expr in graph.equations:
        if expr.names() & needed:
            needed.add(n)
    position = {n: i for i, (n, _) in enumerate(graph.equations)}
    if graph.batch is not None:
        seed = grad(graph.loss)
    else:
        seed = Op("expand", (number(1), name_op(graph.loss)))
    out = []
    reached = {graph.loss}  # the nodes whose δ is known: the loss, then what reads into it
    for n, expr in reversed(graph.equations):
        if n not in needed or n not in reached:
            continue
        g = seed if n == graph.loss else grad(n)
        eq = _Eq(n, expr)
        order = sorted(expr.names(), key=lambda m: (m not in position, -position.get(m, 0), m))
        for m in order:
            if m not in needed:
                continue
            if n == graph.loss and m in graph.fused:
                rule = rules.simplify(Op("mul", (g, graph.fused[m])), shapes)
            else:
                rule = rules.share_rule(eq, m, g, shapes)
            if rule is not None:
                out.append((m, rule))
                reached.add(m)
    return out, shapes


# --------------------------------------------------------------------------- printing


def _atomic(text: str) -> bool:
    """A printed expression that needs no parentheses as an operand: no space outside
    brackets, not a negation."""
    return _precedence(text) == _ATOM


_ATOM = 5
_BINARY = {" + ": 1, " - ": 1, " * ": 2, " / ": 2, " @ ": 2, " ** ": 4}
_OPERATORS = {"{0} + {1}", "{0} - {1}", "{0} * {1}", "{0} / {1}", "{0} @ {1}", "{0} ** {1}"}


def _precedence(text: str) -> int:
    """How tightly a printed expression binds (Python's order): 1 for a sum or difference
    outside brackets, 2 a product (* / @), 3 a negation, 4 a power, 5 an atom."""
    lowest, depth, i = _ATOM, 0, 0
    while i < len(text):
        ch = text[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == " " and depth == 0:
            for sign, level in _BINARY.items():
                if text.startswith(sign, i):
                    lowest = min(lowest, level)
                    i += len(sign) - 1
                    break
        i += 1
    if text.startswith("-") and lowest > 3:
        return 3
    return lowest


def _operand(text: str, level: int, right: bool) -> str:
    """`text` as an operand of an operator binding at `level`: in parentheses when it binds
    less tightly, or as tightly on the right (the tree's order of evaluation is kept)."""
    own = _precedence(text)
    if own < level or own == level and (right or level == 4):
        return f"({text})"
    return text


def number_code(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return repr(float(value))


@dataclass
class _Printed:
    text: str
    shape: tuple  # the shape the printed value has (an elided `expand` leaves it smaller)
    boolean: bool = False  # a comparison: NumPy multiplies it as 0 and 1


class Printer:
    """Prints op trees as NumPy source lines. Subtrees used more than once across everything
    printed (`count` first) are computed once into temporaries, which `statement` emits just
    before the first line that reads them."""

    def __init__(
        self, shapes: rules.Shapes, ident: Callable[[str], str], grad_ident, static: bool = True
    ):
        """`static`: every shape is known when printing (else a batch's N is known only when
        the step runs, and a shape is printed as a like-shaped value's `.shape`)."""
        self.shapes, self.ident, self.grad_ident = shapes, ident, grad_ident
        self.static = static
        self._keys: dict[tuple, int] = {}
        self._key_of: dict[int, int] = {}
        self._keep: list[Op] = []
        self.uses: dict[int, int] = {}
        self.known: dict[int, str] = {}  # key -> the identifier holding it
        self.lines: list[str] = []
        self._temps = 0

    # -- structure
    def key(self, op: Op) -> int:
        known = self._key_of.get(id(op))
        if known is not None:
            return known
        if op.kind == "name":
            k = ("name", op.name)
        elif op.kind == "grad":
            k = ("grad", op.name)
        elif op.kind == "number":
            k = ("number", op.value)
        else:
            k = (op.kind, op.ints, *(self.key(a) for a in op.args))
        value = self._keys.setdefault(k, len(self._keys))
        self._key_of[id(op)] = value
        self._keep.append(op)
        return value

    def count(self, op: Op) -> None:
        """Count every subtree's uses in `op` (call for each tree before printing); an
        argument read for its shape only (`like`) is not a use."""
        stack = [op]
        while stack:
            o = stack.pop()
            k = self.key(o)
            self.uses[k] = self.uses.get(k, 0) + 1
            if self.uses[k] == 1:
                stack.extend(a for i, a in enumerate(o.args) if self._reads(o, i))

    def _template(self, op: Op):
        spec = OPS[op.kind]
        template = spec.code
        if callable(template):
            attrs = spec.attr_values(op.ints)
            template = template(attrs, self.shapes(op), *(self.shapes(a) for a in op.args))
        return template

    def _reads(self, op: Op, i: int) -> bool:
        """Whether printing `op` computes its argument i."""
        if op.kind in ("name", "grad", "number", "mul", "div", "neg"):
            return True
        if op.kind == "expand":
            return i == 0
        template = self._template(op)
        return template is None or f"{{{i}}}" in template

    def _cheap(self, op: Op) -> bool:
        if op.kind in ("name", "grad", "number", "expand"):
            return True
        return op.kind == "T" and op.args[0].kind in ("name", "grad")

    # -- printing
    def statement(
        self, target: str, op: Op, *, accumulate: bool = False, shape=None, final: bool = True
    ) -> None:
        """`target = op` (or `target = target + op`); the value gets `shape` (a broadcast
        where the printed form is smaller); when `final` (nothing is added to it later),
        `target` then stands for this tree wherever it is printed again."""
        printed = self._print(op, root=True)
        text = printed.text
        if printed.boolean:
            text = f"{_wrapped(text)}.astype(float)"
        if shape is not None and tuple(printed.shape) != tuple(shape):
            text = f"np.broadcast_to({text}, {self._shape_text(op, shape)})"
        if accumulate:
            self.lines.append(f"{target} = {target} + {_wrapped(text)}")
            return
        self.lines.append(f"{target} = {text}")
        if final:
            self.known.setdefault(self.key(op), target)

    def _shape_text(self, op: Op, shape: tuple) -> str:
        """A shape in the source: the numbers, or (a batch's N is known only when the step
        runs) a like-shaped value's `.shape`, a name's where one has it."""
        if self.static:
            return repr(tuple(shape))
        for o in op.walk():
            if o.kind in ("name", "grad") and self.shapes(o) == tuple(shape):
                return f"{self._print(o).text}.shape"
        for o in op.walk():
            if o.kind == "expand" and self.shapes(o.args[1]) == tuple(shape):
                return f"{_wrapped(self._print(o.args[1]).text)}.shape"
        return repr(tuple(shape))

    def expression(self, op: Op) -> str:
        return self._print(op, root=True).text

    def _print(self, op: Op, root: bool = False) -> _Printed:
        k = self.key(op)
        held = self.known.get(k)
        shape = self.shapes(op)
        if held is not None:
            return _Printed(held, shape)
        kind = op.kind
        if kind == "name":
            return _Printed(self.ident(op.name), shape)
        if kind == "grad":
            return _Printed(self.grad_ident(op.name), shape)
        if kind == "number":
            return _Printed(number_code(op.value), ())
        if not root and self.uses.get(k, 0) > 1 and not self._cheap(op):
            printed = self._compose(op)
            self._temps += 1
            temp = f"tmp{self._temps - 1}"
            text = printed.text + (".astype(float)" if printed.boolean else "")
            self.lines.append(f"{temp} = {text}")
            self.known[k] = temp
            return _Printed(temp, printed.shape)
        return self._compose(op)

    def _compose(self, op: Op) -> _Printed:
        kind = op.kind
        if kind in ("mul", "div", "neg"):
            return self._product(op)
        spec = OPS[kind]
        attrs = spec.attr_values(op.ints)
        shape = self.shapes(op)
        if kind == "expand":
            inner = self._print(op.args[0])
            if inner.shape == shape:
                return inner
            return _Printed(f"np.broadcast_to({inner.text}, {self._shape_text(op, shape)})", shape)
        broadcasting = kind in _BROADCASTING
        template = self._template(op)
        args = [
            self._print(a) if template is None or f"{{{i}}}" in template else _Printed("", ())
            for i, a in enumerate(op.args)
        ]
        if not broadcasting:
            args = [self._full(a, o) if a.text else a for a, o in zip(args, op.args)]
        twice = template is not None and any(
            template.count(f"{{{i}}}") > 1 and not _identifier(a.text) for i, a in enumerate(args)
        )
        if template is None or twice:  # the op's own forward, on whole arguments
            whole = [self._full(self._print(o), o) for o in op.args]
            shown = ", ".join([repr(attrs)] + [a.text for a in whole])
            return _Printed(f"_OP[{kind!r}]({shown})", shape)
        boolean = bool(_COMPARISON.match(template))
        level = _precedence(template) if template in _OPERATORS or template == "-{0}" else None
        texts = []
        for i, a in enumerate(args):
            t = a.text
            if a.boolean and not boolean:
                t = f"{_wrapped(t)}.astype(float)"
            if level is not None:
                t = _operand(t, level, right=i > 0 or template == "-{0}")
            elif not _identifier(t) and (
                not _atomic(t) or f"{{{i}}}." in template and not t.endswith(")")
            ):
                t = f"({t})"
            texts.append(t)
        text = template.format(*texts, **attrs)
        natural = shape
        if broadcasting:
            natural = _broadcast([a.shape for a in args]) if args else shape
            if len(natural) > len(shape):  # pragma: no cover (the shape rules say so)
                natural = shape
        return _Printed(text, natural, boolean)

    def _full(self, printed: _Printed, op: Op) -> _Printed:
        """An operand of an op that does not broadcast, at its full shape."""
        shape = self.shapes(op)
        if tuple(printed.shape) == tuple(shape) and not printed.boolean:
            return printed
        text = printed.text
        if printed.boolean:
            text = f"{_wrapped(text)}.astype(float)"
        if tuple(printed.shape) != tuple(shape):
            text = f"np.broadcast_to({text}, {self._shape_text(op, shape)})"
        return _Printed(text, shape)

    def _product(self, op: Op) -> _Printed:
        """An element-wise product as NumPy computes it fastest: its scalar factors (numbers,
        δ(L), sums) multiplied first, then the arrays, then the divisions."""
        sign, top, bottom = 1, [], []

        def take(x: Op, up: bool) -> None:
            nonlocal sign
            if x.kind == "expand" and self.known.get(self.key(x)) is None:
                take(x.args[0], up)  # NumPy broadcasts it
            elif x.kind == "neg" and self.known.get(self.key(x)) is None:
                sign = -sign
                take(x.args[0], up)
            elif (
                x.kind == "mul"
                and self.known.get(self.key(x)) is None
                and (self.uses.get(self.key(x), 0) <= 1)
            ):
                take(x.args[0], up)
                take(x.args[1], up)
            elif (
                x.kind == "div"
                and self.known.get(self.key(x)) is None
                and (self.uses.get(self.key(x), 0) <= 1)
            ):
                take(x.args[0], up)
                take(x.args[1], not up)
            else:
                (top if up else bottom).append(x)

        if op.kind == "neg":
            sign = -1
            take(op.args[0], True)
        else:
            take(op.args[0], True)
            take(op.args[1], op.kind == "mul")
        coefficient = Fraction(sign)
        factors, scalars, divisors = [], [], []
        for x in top:
            if x.kind == "number":
                coefficient *= x.value
            else:
                p = self._print(x)
                (scalars if p.shape == () and not p.boolean else factors).append(p)
        for x in bottom:
            if x.kind == "number":
                coefficient /= x.value
            else:
                divisors.append(self._print(x))
        parts = []
        if coefficient != 1 or not (scalars or factors):
            if coefficient == -1 and (scalars or factors):
                parts.append("-1")
            else:
                parts.append(number_code(coefficient))
        parts += [p.text for p in scalars]
        arrays = [p for p in factors]
        if arrays and all(p.boolean for p in arrays) and not parts:
            arrays[0] = _Printed(f"{_wrapped(arrays[0].text)}.astype(float)", arrays[0].shape)
        parts += [p.text for p in arrays]
        negative = bool(parts) and parts[0] == "-1" and len(parts) > 1
        if negative:
            parts = parts[1:]
        text = " * ".join(_operand(p, 2, right=k > 0) for k, p in enumerate(parts))
        if negative:
            text = f"-{_operand(text, 3, right=True)}"
        for d in divisors:
            t = f"{_wrapped(d.text)}.astype(float)" if d.boolean else d.text
            text = f"{_operand(text, 2, right=False)} / {_operand(t, 2, right=True)}"
        shapes = [p.shape for p in scalars + factors + divisors]
        natural = _broadcast(shapes) if shapes else ()
        boolean = bool(arrays) and all(p.boolean for p in arrays) and not parts[: -len(arrays)]
        return _Printed(text, natural, boolean and not divisors)


def _identifier(text: str) -> bool:
    return text.isidentifier()


def _wrapped(text: str) -> str:
    return text if _identifier(text) or _atomic(text) else f"({text})"


def _broadcast(shapes) -> tuple:
    try:
        return tuple(np.broadcast_shapes(*[tuple(s) for s in shapes]))
    except ValueError:  # pragma: no cover (the shape rules say so)
        return max(shapes, key=len)


# --------------------------------------------------------------------------- the step


class Program:
    """One graph's step, printed once as NumPy source and reused.

    `trained`: which of `graph.params` the optimizer updates (default all); `l2`, `l1`:
    whether the code adds λw or λ·sign(w) to the gradients (λ arrives in `hyper`).
    Functions (each printed on first use): `run` (steps over batches, the optimizer's
    update), `grads`, `loss` and `outputs`."""

    def __init__(
        self,
        graph: Graph,
        optimizer: str = "sgd",
        trained: tuple[bool, ...] | None = None,
        l2: bool = False,
        l1: bool = False,
    ):
        message = optim.unknown(optimizer)
        if message:
            raise InputError(message)
        self.graph, self.optimizer, self.l2, self.l1 = graph, optimizer, l2, l1
        self.trained = tuple(trained) if trained is not None else (True,) * len(graph.params)
        self._ids: dict[str, str] = {}
        self._compiled: dict[str, object] = {}

    # -- names
    def ident(self, name: str) -> str:
        if name in self.graph.rename:
            return self.graph.rename[name]
        if name not in self._ids:
            self._ids[name] = f"v{len(self._ids)}"
        return self._ids[name]

    def grad_ident(self, name: str) -> str:
        return "g" + self.ident(name)

    # -- source
    def _pieces(self, kind: str) -> list[str]:
        g = self.graph
        params = [p for p, t in zip(g.params, self.trained) if t]
        if kind == "outputs":
            out = g.outputs
            upto = [n for n, _ in g.equations].index(out) + 1
            equations = g.equations[:upto]
        else:
            equations = g.equations
        shares, shapes = backward(g, set(params)) if kind in ("run", "grads") else ([], None)
        if shapes is None:
            names = dict(g.shapes)
            shapes = rules.Shapes(names)
            for n, expr in g.equations:
                names[n] = shapes(expr)
        printer = Printer(shapes, self.ident, self.grad_ident, static=g.batch is None)
        forward_needed = self._forward_needed(equations, shares, kind)
        for n, expr in equations:
            if n in forward_needed:
                printer.count(expr)
        for _, rule in shares:
            printer.count(rule)
        lines: list[str] = []
        if g.batch is not None and kind in ("run", "grads", "loss"):
            lines.append(f"N = {self.ident(g.batch)}.shape[-1]")
        for n, expr in equations:
            if n in forward_needed:
                printer.statement(self.ident(n), expr)
        lines += printer.lines
        printer.lines = []
        if kind == "outputs":
            lines.append(f"return {self.ident(g.outputs)}")
            return lines
        loss = self.ident(g.loss)
        if g.batch is not None:
            mean = f"{loss} / N"
        else:  # a loss written as a 1×1 matrix is one number too
            mean = loss if shapes(name_op(g.loss)) == () else f"{loss}.item()"
        if kind == "loss":
            return lines + [f"return {mean}"]
        if kind == "run":
            lines.append(f"append({mean})")
        if g.batch is not None:
            lines.append(f"{self.grad_ident(g.loss)} = 1.0 / N")
        seen: set[str] = set()
        several = {m for m, _ in shares if sum(1 for n, _ in shares if n == m) > 1}
        for m, rule in shares:
            target = self.grad_ident(m)
            printer.statement(
                target, rule, accumulate=m in seen, shape=shapes.names[m], final=m not in several
            )
            seen.add(m)
        lines += printer.lines
        for p in params:
            if p not in seen:
                lines.append(f"{self.grad_ident(p)} = np.zeros_like({self.ident(p)})")
        return lines

    def _forward_needed(self, equations, shares, kind) -> set[str]:
        """The nodes to compute: those the loss, the shares or the outputs read."""
        wanted = set()
        if kind == "outputs":
            wanted.add(self.graph.outputs)
        elif kind != "grads":
            wanted.add(self.graph.loss)
        for _, rule in shares:
            wanted |= rule.names()
        defs = dict(equations)
        stack = [n for n in wanted if n in defs]
        needed = set()
        while stack:
            n = stack.pop()
            if n in needed:
                continue
            needed.add(n)
            stack += [m for m in defs[n].names() if m in defs]
        return needed

    def _update(self) -> list[str]:
        out = []
        for p, t in zip(self.graph.params, self.trained):
            if not t:
                continue
            w, g = self.ident(p), self.grad_ident(p)
            if self.l2:
                out.append(f"{g} = {g} + l2*{w}")
            if self.l1:
                out.append(f"{g} = {g} + l1*sign({w})")
            out += optim.printed(self.optimizer, {"w": w, "g": g, "m": f"m{w}", "v": f"v{w}"})
        return out

    def _unpack(self) -> list[str]:
        g = self.graph
        lines = []
        if g.params:
            lines.append(", ".join(self.ident(p) for p in g.params) + ", = params")
        if g.fixed:
            lines.append(", ".join(self.ident(n) for n in g.fixed) + ", = fixed")
        return lines

    def _source(self, kind: str) -> str:
        g = self.graph
        params = [self.ident(p) for p in g.params]
        data = ", ".join(self.ident(n) for n in g.data)
        given = ", ".join(["params", "fixed"] + [self.ident(n) for n in g.data])
        head = self._unpack()
        if kind == "outputs":
            inputs = [n for n in g.data if n in self._reads_of_outputs()]
            args = ", ".join(["params", "fixed"] + [self.ident(n) for n in inputs])
            body = head + self._pieces("outputs")
            return _function(f"outputs({args})", body)
        if kind == "loss":
            return _function(f"loss({given})", head + self._pieces("loss"))
        if kind == "grads":
            body = head + self._pieces("grads")
            returned = [self.grad_ident(p) if t else "None" for p, t in zip(g.params, self.trained)]
            body.append(f"return [{', '.join(returned)}]")
            return _function(f"grads({given})", body)
        body = head + [
            ", ".join(f"m{p}" for p in params) + ", = state[0]",
            ", ".join(f"v{p}" for p in params) + ", = state[1]",
            ", ".join(optim.HYPERS) + ", l2, l1 = hyper",
            "append = losses.append",
            "t = t0",
            f"for lr, ({data},) in zip(rates, batches):" if data else "for lr in rates:",
        ]
        step = ["t += 1"]
        step += [f"{target} = {value}" for target, value in optim.PER_STEP.get(self.optimizer, ())]
        step += self._pieces("run") + self._update()
        body += ["    " + line for line in step]
        body.append(
            f"return [{', '.join(params)}], [[{', '.join(f'm{p}' for p in params)}], "
            f"[{', '.join(f'v{p}' for p in params)}]]"
        )
        return _function("run(params, state, fixed, batches, hyper, rates, t0, losses)", body)

    def _reads_of_outputs(self) -> set[str]:
        defs = dict(self.graph.equations)
        stack, seen = [self.graph.outputs], set()
        while stack:
            n = stack.pop()
            if n in seen:
                continue
            seen.add(n)
            if n in defs:
                stack += list(defs[n].names())
        return seen

    def source(self, kind: str = "run") -> str:
        """The generated source of `kind` (run, grads, loss, outputs), from the cache when
        it holds it."""
        from tutor.engine.codegen import cached_source

        parts = [
            kind,
            self.optimizer,
            str(self.l2),
            str(self.l1),
            " ".join(map(str, self.trained)),
            version(),
            *self.graph.key(),
        ]
        return cached_source("arrays", parts, lambda: self._source(kind))

    def function(self, kind: str):
        if kind not in self._compiled:
            namespace = dict(_namespace())
            code = compile(self.source(kind), f"<bptutor arrays {kind}>", "exec")
            exec(code, namespace)  # noqa: S102 (our generated source only: see the docstring)
            self._compiled[kind] = namespace[kind.split("(")[0]]
        return self._compiled[kind]

    # -- running
    def initial_state(self, params) -> list[list]:
        return [[np.zeros_like(p) for p in params], [np.zeros_like(p) for p in params]]

    def run(self, params, state, fixed, batches, hyper, rates, t0, losses):
        """len(rates) steps, one batch each; the loss before each step is appended to
        `losses`. Returns the new params and state (the inputs are not changed)."""
        return self.function("run")(params, state, fixed, batches, hyper, rates, t0, losses)


def _function(signature: str, body: list[str]) -> str:
    return f"def {signature}:\n" + "\n".join("    " + line for line in body) + "\n"


@functools.cache
def _namespace() -> dict:
    """What generated array code may call: NumPy, the ops' forwards, sqrt and sign."""
    return {
        "np": np,
        "_OP": {name: spec.forward for name, spec in OPS.items()},
        "sqrt": np.sqrt,
        "sign": np.sign,
        "__builtins__": {"__import__": __import__, "float": float, "zip": zip},  # NumPy: lazily
    }


@functools.cache
def version() -> str:
    """A hash of the modules the generated array code depends on (the op table, the rules,
    the registry, the notation, the optimizers and this printer)."""
    from tutor.language import matrix_expr as tensor_expr
    from tutor.registry import functions, layers

    digest = hashlib.sha256()  # the graph itself is in the key (`Graph.key`), whoever built it
    for module in (ops, optim, functions, layers, tensor_expr, rules):
        digest.update(Path(module.__file__).read_bytes())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()


# --------------------------------------------------------------------------- a tensor problem


def problem_graph(problem, point=None) -> Graph:
    """A tensor problem as its step computes it: its equations with the loss in the stable
    form (`engine.tensor.stable_loss`), its parameters trained and every other given value
    fixed, and the fused rules the engine claims at the problem's values (`point`, an
    `engine.tensor.evaluate` of them, computed when not given)."""
    from tutor.engine import tensor

    loss_expr, fused = tensor.stable_loss(problem)
    equations = tuple(
        (eq.name, loss_expr if eq.name == problem.loss else eq.expr) for eq in problem.graph
    )
    claimed = {}
    if fused:
        point = point or tensor.evaluate(problem, problem.leaves)
        for f in fused:
            rule = point.rules.get((problem.loss, f.z))
            if rule is not None and f.p in rule.names():
                claimed[f.z] = rule
    params = tuple(problem.params)
    return Graph(
        equations=equations,
        loss=problem.loss,
        shapes={n: tuple(np.shape(v)) for n, v in problem.leaves.items()},
        params=params,
        fixed=tuple(n for n in problem.leaves if n not in problem.params),
        fused=claimed,
    )
