"""The usual mistakes, and error carried forward: what a student's number would have been
after a known slip, or from their own earlier answers.

Facts only (a mistake's name and the value it gives); `grading` turns them into a verdict and
words. Every value is recomputed from the engine's node equations and chain-rule factors
through `engine.evaluate_with` (this module never lambdifies): a node from other parent
values, a gradient as the sum over its paths of the product of its factors, some factors
left out or evaluated at other values. The mistakes:
- sign: the value negated; factor2: doubled or halved (factor2-half when the loss is a half
  squared error whose ½ could have been forgotten);
- activation: an activation's derivative left out of the chain (the factor taken as 1);
- activation-forward: the pre-activation value given for a = f(z);
- pre-for-post / post-for-pre: z used where a = f(z) was needed, or a where z was;
- stopped: a delta or gradient that is the delta of a node downstream (∂L/∂ŷ typed for
  ∂L/∂z): the chain stopped one factor early (`detail` names the factor to go on with).
Error carried forward recomputes a delta or gradient from the student's own factors (when
scaffolded), their deltas of the nodes downstream (∂L/∂c · ∂c/∂n) or their forward values.
Symbolic problems get the same mistakes as formulas (`formula_mistakes`, `carried_formula`).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy as sp

from tutor.engine import scalar as engine
from tutor.model import Text
from tutor.model.quiz import Question
from tutor.model.solution import Solution
from tutor.registry import optim
from tutor.text.messages import both
from tutor.text.notation import fmt, pretty_name, text

# The mistakes seen from the expected value alone: (name, factor), most specific first.
SCALINGS = (("sign", -1), ("factor2", 2), ("factor2", Fraction(1, 2)))


def scaled(value, *, halved: bool = False) -> list[tuple[str, float]]:
    """The sign and factor-2 mistakes of an expected value; with `halved` (a loss or gradient
    of a half squared error) the factor 2 is named "factor2-half"."""
    two = "factor2-half" if halved else "factor2"
    return [(name if name == "sign" else two, value * factor) for name, factor in SCALINGS]


def is_activation(expr: sp.Expr) -> bool:
    """a = f(z) with f an activation of the function registry (σ, ReLU, tanh, GELU...)."""
    from tutor.registry.functions import ACTIVATION_CLASSES

    return isinstance(expr, ACTIVATION_CLASSES)


def own_key(q: Question, loss: str) -> str:
    """Where a student's value of a quantity is kept: nodes by name, deltas and gradients
    as L/w, local factors, updates and the loss after by their key (dyhat/dh, w1', L')."""
    if q.kind in ("forward", "loss"):
        return q.node
    return f"{loss}/{q.node}" if q.kind in ("gradient", "delta") else q.key


def stopped_text(name: str, of: str, wrt: str, form: str, value: str = "") -> Text:
    """`that is ∂L/∂ŷ: continue through ∂ŷ/∂z = ŷ·(1 - ŷ)`, en and zh."""
    factor = f"∂{pretty_name(of)}/∂{pretty_name(wrt)} = {form}" + (f" = {value}" if value else "")
    return both("stopped", name=name, factor=factor)


class Diagnosis:
    """The usual mistakes and error carried forward on one numeric problem."""

    def __init__(self, solution: Solution, graph: engine.Graph):
        self.solution, self.graph = solution, graph
        self.problem = problem = solution.problem
        self.values: dict[str, float] = {}
        if not problem.symbolic:
            self.values = {n: float(v) for n, v in problem.leaves.items()}
            self.values.update({s.name: s.value for s in solution.forward})
        loss = graph.node(problem.loss).expr
        self.halved_loss = any(c == sp.Rational(1, 2) for c in loss.atoms(sp.Rational))

    # -- the engine's equations and factors at other values --------------------------------

    def _evaluate(self, quantity, values: dict[str, float]) -> float:
        # NumPy scalars: 1/0 or a negative base to a fractional power give inf or nan (a
        # mistake that gives no finite value is left out) rather than raising
        numbers = {n: np.float64(v) for n, v in values.items()}
        with np.errstate(all="ignore"):
            return float(engine.evaluate_with(self.graph, [quantity], numbers)[0])

    def node_value(self, name: str, values: dict[str, float]) -> float:
        """A node's equation with `values` for its parents."""
        return self._evaluate(name, values)

    def activation(self, name: str) -> str | None:
        """For a = f(z) with one activation f of one node z: z, else None."""
        expr = self.graph.node(name).expr
        if is_activation(expr) and expr.args[0].is_Symbol:
            arg = expr.args[0].name
            return arg if arg in self.graph._by_name else None
        return None

    def gradient_value(self, wrt: str, values, *, skip_activation=False, swap=None):
        """dL/d(wrt) as the sum over paths of its factors, each evaluated at `values`; None
        when a path is cut short (an accumulated upstream factor).

        skip_activation: activation factors count as 1 (the derivative left out).
        swap: "post" evaluates activation factors at f(a) for a (post-activation used as the
        pre-activation); "pre" evaluates the other factors with a := z.
        """
        g = next(g for g in self.solution.gradients if g.wrt == wrt)
        total = 0.0
        for path in g.paths:
            product = 1.0
            for f in path.factors:
                if f.upstream or f.expr is None:
                    return None
                pre = self.activation(f.of)
                activation = pre is not None and f.wrt == pre
                here = values
                if activation and skip_activation:
                    continue
                if activation and swap == "post":
                    here = {**values, pre: values[f.of]}
                    here[f.of] = self.node_value(f.of, here)
                elif not activation and swap == "pre":
                    here = dict(values)
                    for name in f.expr.free_symbols:
                        is_node = name.name in self.graph._by_name
                        z = self.activation(name.name) if is_node else None
                        if z is not None:
                            here[name.name] = values[z]
                product *= self._evaluate((f.of, f.wrt), here)
            total += product
        return total

    # -- mistakes and error carried forward ------------------------------------------------

    def mistakes(self, q: Question) -> list[tuple[str, float | None]]:
        """Values the usual mistakes would give, most specific first."""
        # Only a loss or a gradient can have lost the ½ of a half squared error.
        half = q.kind in ("loss", "gradient", "delta", "after") and self.halved_loss
        out: list = scaled(q.value, halved=half)
        if q.kind in ("forward", "loss"):
            z = self.activation(q.node)
            if z is not None:
                out.append(("activation-forward", self.values[z]))
            parents = [s.name for s in self.graph.node(q.node).expr.free_symbols]
            swapped = {
                p: self.values[self.activation(p)]
                for p in parents
                if p in self.graph._by_name and self.activation(p)
            }
            if swapped:
                out.append(("pre-for-post", self.node_value(q.node, {**self.values, **swapped})))
        elif q.kind in ("gradient", "delta"):
            out.extend(self._stopped(q))  # before "activation": it names the factor left out
            left_out = self.gradient_value(q.node, self.values, skip_activation=True)
            out.append(("activation", left_out))
            out.append(("post-for-pre", self.gradient_value(q.node, self.values, swap="post")))
            out.append(("pre-for-post", self.gradient_value(q.node, self.values, swap="pre")))
        return out

    def _stopped(self, q: Question) -> list:
        """("stopped", ∂L/∂c, what to go on with) for each node c downstream that reads q's
        node: the delta of c typed for the delta of the node (one factor short)."""
        loss = self.problem.loss
        grads = {g.wrt: g for g in self.solution.gradients}
        out = []
        for c in self.graph.consumers.get(q.node, []):
            f = self.solution.local.get((c, q.node))
            if c == loss or f is None or f.expr is None or c not in grads:
                continue  # the loss's own delta is 1: nothing to tell
            value, total = grads[c].value, grads[c].total
            name = f"∂{pretty_name(loss)}/∂{pretty_name(c)}"
            if self.problem.symbolic:
                if total is not None:
                    out.append(("stopped", total, stopped_text(name, c, q.node, text(f.expr))))
            elif value is not None:
                detail = stopped_text(name, c, q.node, text(f.expr), fmt(f.value))
                out.append(("stopped", value, detail))
        return out

    def carried(self, q: Question, given: dict[str, float]) -> float | None:
        """The answer recomputed from the student's own earlier answers (`given`, by
        `own_key`), or None when none of them goes into it."""
        own = dict(self.values)
        for step in self.solution.forward:
            if step.name in given:
                own[step.name] = given[step.name]
        if q.kind in ("forward", "loss"):
            parents = {s.name for s in self.graph.node(q.node).expr.free_symbols}
            if not any(p in given for p in parents):
                return None
            return self.node_value(q.node, own)
        if q.kind in ("gradient", "delta"):
            return self._carried_gradient(q, own, given)
        if q.kind == "factor":
            if not any(s.name in given for s in self.graph.node(q.of).expr.free_symbols):
                return None
            return self._evaluate((q.of, q.node), own)
        if q.kind == "after":
            news = {
                u.name: given[f"{u.name}'"] for u in self.solution.updates if f"{u.name}'" in given
            }
            if not news:
                return None
            return self._after({**{u.name: u.new for u in self.solution.updates}, **news})
        if q.kind == "update":
            grad_key = f"{self.problem.loss}/{q.node}"
            if grad_key not in given:
                return None
            upd = next(u for u in self.solution.updates if u.name == q.node)
            rule = self.problem.update
            grads = {q.node: given[grad_key]}
            new, _ = optim.step(rule, {q.node: upd.old}, grads, optim.initial_state(rule, [q.node]))
            return new[q.node]
        return None

    def _carried_gradient(self, q: Question, own: dict, given: dict) -> float | None:
        """dL/d(node) from the student's own numbers: after scaffolding, their local factors
        along its paths; else their deltas of the nodes that read it (Σ ∂L/∂c · ∂c/∂w); else
        their forward values. None when none of these goes into it."""
        loss = self.problem.loss
        wrt = q.node
        g = next(g for g in self.solution.gradients if g.wrt == wrt)
        keys = [
            f"d{f.of}/d{f.wrt}" if not f.upstream else f"{loss}/{f.wrt}"
            for p in g.paths
            for f in p.factors
        ]
        readers = [c for c in self.graph.consumers.get(wrt, []) if c != loss]
        by_delta = any(f"{loss}/{c}" in given for c in readers)
        if any(k in given for k in keys) and (q.scaffold_of is not None or not by_delta):
            total = 0.0
            for path in g.paths:
                product = 1.0
                for f in path.factors:
                    key = f"{loss}/{f.wrt}" if f.upstream else f"d{f.of}/d{f.wrt}"
                    if key in given:
                        product *= given[key]
                    elif f.upstream:
                        product *= self.solution.node_grads.get(f.wrt) or 0.0
                    else:
                        product *= self._evaluate((f.of, f.wrt), own)
                total += product
            return total
        if by_delta:
            total = 0.0
            for c in self.graph.consumers.get(wrt, []):
                if c == loss:
                    total += self._evaluate((c, wrt), own)
                    continue
                delta = given.get(f"{loss}/{c}")
                if delta is None:
                    delta = self.solution.node_grads.get(c) or 0.0
                total += delta * self._evaluate((c, wrt), own)
            return total
        if not any(s.name in given for s in self.solution.forward):
            return None
        return self.gradient_value(wrt, own)

    def _after(self, params: dict[str, float]) -> float:
        """The loss after the update with these parameter values (the forward pass again)."""
        values = dict(self.values)
        values.update(params)
        for step in self.solution.forward:
            values[step.name] = self.node_value(step.name, values)
        return values[self.problem.loss]

    # -- symbolic problems: the same mistakes and carried forward, as formulas ---------------

    def formula_mistakes(self, q: Question) -> list:
        """(name, formula[, detail]) of the usual mistakes on a symbolic question."""
        symbols = self.graph.symbols
        out: list = []
        if q.kind == "forward":
            z = self.activation(q.node)
            if z is not None:
                out.append(("activation-forward", symbols[z]))
            swapped = {
                symbols[a]: symbols[self.activation(a)]
                for a in self.graph._by_name
                if self.activation(a)
            }
            if swapped and q.expr is not None:
                out.append(("pre-for-post", q.expr.xreplace(swapped)))
        elif q.kind in ("gradient", "delta"):
            out.extend(self._stopped(q))  # before "activation": it names the factor left out
            g = next(g for g in self.solution.gradients if g.wrt == q.node)
            left_out = sp.Integer(0)
            for path in g.paths:
                product = sp.Integer(1)
                for f in path.factors:
                    pre = self.activation(f.of)
                    if f.upstream or f.expr is None:
                        product = None
                        break
                    if not (pre is not None and f.wrt == pre):
                        product *= f.expr
                if product is None:
                    left_out = None
                    break
                left_out += product
            out.append(("activation", left_out))
            swapped = {
                symbols[a]: symbols[self.activation(a)]
                for a in self.graph._by_name
                if self.activation(a)
            }
            if swapped and q.expr is not None:
                out.append(("pre-for-post", q.expr.xreplace(swapped)))
        return out

    def carried_formula(self, q: Question, given: dict):
        """The formula recomputed from the student's own earlier formulas (`given`, by
        `own_key`), or None when none of them goes into it."""
        symbols = self.graph.symbols
        loss = self.problem.loss
        if q.kind == "forward":
            parents = {s.name for s in self.graph.node(q.node).expr.free_symbols}
            own = {symbols[p]: given[p] for p in parents if p in given}
            return q.expr.xreplace(own) if own and q.expr is not None else None
        if q.kind not in ("gradient", "delta"):
            return None
        g = next(g for g in self.solution.gradients if g.wrt == q.node)
        keys = {f"d{f.of}/d{f.wrt}" for p in g.paths for f in p.factors if not f.upstream}
        readers = self.graph.consumers.get(q.node, [])
        by_delta = any(f"{loss}/{c}" in given for c in readers)
        if any(k in given for k in keys) and (q.scaffold_of is not None or not by_delta):
            total = sp.Integer(0)
            for path in g.paths:
                product = sp.Integer(1)
                for f in path.factors:
                    key = f"{loss}/{f.wrt}" if f.upstream else f"d{f.of}/d{f.wrt}"
                    product *= given.get(key, f.expr)
                total += product
            return total
        if not by_delta:
            return None
        grads = {g.wrt: g for g in self.solution.gradients}
        total = sp.Integer(0)
        for c in readers:
            local = self.solution.local.get((c, q.node))
            if local is None:
                return None
            delta = sp.Integer(1) if c == loss else given.get(f"{loss}/{c}", grads[c].total)
            total += delta * local.expr
        return total
