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
  ∂L/∂z): the chain stopped one factor early (`detail` names the factor to go on with);
- activation-twice: an activation's derivative multiplied in twice (σ′ again after a
  cross-entropy whose ∂L/∂z = ŷ − y already holds it); f-for-fprime: f(z) where f′(z) belongs;
- wrong-wrt: a factor ∂c/∂p taken with respect to its partner in a product (the input where
  the weight belongs, ∂ŷ/∂h = h for ŷ = w3·h + b2, or the reverse);
- mean-left-out: the 1/N of a loss that averages N terms left out;
- classes-swapped: two targets (classes) exchanged;
- step-sign: the step added instead of subtracted; rate-left-out: the step without η;
  after-for-before: a parameter's gradient taken after the parameters updated before it.
Each is generated from the graph (its equations, the chain's factors, the loss's constants,
the update rule), not listed per problem. `named` picks the one a typed answer matches: a
value equal to an earlier candidate's is the same computation described again (the earlier,
more specific, names it); an answer two different candidates explain is not named.
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
# Every mistake the generators name (scalar, symbolic and tensor): its words are the catalogue's
# `mistake_<key>` (en, zh), the stable key of a report row.
KEYS = (
    "sign",
    "factor2",
    "factor2-half",
    "mean-left-out",
    "activation",
    "activation-twice",
    "activation-forward",
    "f-for-fprime",
    "post-for-pre",
    "pre-for-post",
    "stopped",
    "wrong-wrt",
    "classes-swapped",
    "step-sign",
    "rate-left-out",
    "after-for-before",
    "transposed",
    "batch-sum",
    "batch-mean",
    "shape",
    "count-left-out",
    "count-shared",
)
SAME = 1e-9  # two candidate values this close (relative) are one computation


def named(candidates, matches, same) -> tuple | None:
    """The one candidate (key, value[, detail]) a typed answer matches, else None.

    `matches(value)`: the answer is within the grading tolerance of `value`; `same(a, b)`:
    two candidates' values are equal (one computation described twice: the earlier, more
    specific, is kept). An answer matching two different candidates is not named: neither
    explains it better than the other."""
    kept: list = []
    for c in candidates:
        if c[1] is None or any(same(c[1], k[1]) for k in kept):
            continue
        kept.append(c)
    hits = [c for c in kept if matches(c[1])]
    return hits[0] if len(hits) == 1 else None


def same_number(a, b) -> bool:
    """Two candidate numbers equal up to a float's rounding."""
    a, b = float(a), float(b)
    return abs(a - b) <= SAME * max(abs(a), abs(b)) or a == b


def name_text(key: str) -> Text:
    """A mistake's name, en and zh (`mistake_<key>` of the catalogue): what a report shows."""
    return both(f"mistake_{key}")


def scaled(value, *, halved: bool = False, means: tuple = ()) -> list[tuple[str, float]]:
    """The sign and factor-2 mistakes of an expected value; with `halved` (a loss or gradient
    of a half squared error) the factor 2 is named "factor2-half"; `means`: the N of each
    1/N the loss averages with (N > 2), whose leaving out multiplies by N."""
    two = "factor2-half" if halved else "factor2"
    out = [(name if name == "sign" else two, value * factor) for name, factor in SCALINGS]
    return out + [("mean-left-out", value * n) for n in means]


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
        # the N of each 1/N in the loss, a number or a constant (N > 2: a ½ is the squared
        # error's, named apart)
        means = {int(c.q) for c in loss.atoms(sp.Rational) if abs(c.p) == 1 and c.q > 2}
        for power in loss.atoms(sp.Pow):
            name = power.base.name if power.base.is_Symbol and power.exp == -1 else None
            n = self.values.get(name) if name in problem.constants else None
            if n is not None and float(n).is_integer() and n > 2:
                means.add(int(n))
        self.means = tuple(sorted(means))
        self._mistakes: dict = {}  # question key -> its candidates, made once

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

    def gradient_value(self, wrt: str, values, *, skip_activation=False, swap=None, change=None):
        """dL/d(wrt) as the sum over paths of its factors, each evaluated at `values`; None
        when a path is cut short (an accumulated upstream factor).

        skip_activation: activation factors count as 1 (the derivative left out).
        swap: "post" evaluates activation factors at f(a) for a (post-activation used as the
        pre-activation); "pre" evaluates the other factors with a := z.
        change: (factor, its value) -> the value used instead (one thing changed in the rule).
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
                value = self._evaluate((f.of, f.wrt), here)
                product *= change(f, value) if change is not None else value
            total += product
        return total

    def partners(self, of: str, wrt: str) -> list[str]:
        """The names multiplied with `wrt` in the term of `of`'s equation that holds it (x1
        for w1 in z = w1·x1 + ...): where ∂of/∂wrt taken as ∂of/∂partner is the mistake of the
        input written where the weight belongs, or the reverse."""
        expr = self.graph.node(of).expr
        symbol = self.graph.symbols.get(wrt)
        out: list[str] = []
        for term in sp.Add.make_args(expr):
            factors = sp.Mul.make_args(term)
            if symbol in factors:
                out += [f.name for f in factors if f.is_Symbol and f != symbol]
        return [n for n in dict.fromkeys(out) if n in self.graph.node(of).local]

    def _swapped_targets(self) -> list[dict]:
        """The values with two classes exchanged, one dict a pair of different values: the
        targets one-hot (0s and one 1), the classes of a softmax's cross-entropy."""
        targets = [t for t in self.problem.targets if t in self.values]
        got = [self.values[t] for t in targets]
        if len(got) < 2 or sorted(got) != [0.0] * (len(got) - 1) + [1.0]:
            return []
        out = []
        for i, a in enumerate(targets):
            for b in targets[i + 1 :]:
                if self.values[a] != self.values[b]:
                    out.append({**self.values, a: self.values[b], b: self.values[a]})
        return out

    # -- mistakes and error carried forward ------------------------------------------------

    def mistakes(self, q: Question) -> list[tuple[str, float | None]]:
        """Values the usual mistakes would give, most specific first; made once a question."""
        key = (q.key, q.kind, q.node, q.of)
        if key not in self._mistakes:
            with np.errstate(all="ignore"):
                self._mistakes[key] = self._generated(q)
        return self._mistakes[key]

    def _generated(self, q: Question) -> list:
        # Only a loss or a gradient can have lost the ½ of a half squared error (or a 1/N).
        lossy = q.kind in ("loss", "gradient", "delta", "after")
        half = lossy and self.halved_loss
        out: list = scaled(q.value, halved=half, means=self.means if lossy else ())
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
            if q.kind == "loss":
                for values in self._swapped_targets():
                    out.append(("classes-swapped", self.node_value(q.node, values)))
        elif q.kind in ("gradient", "delta"):
            out.extend(self._stopped(q))  # before "activation": it names the factor left out
            left_out = self.gradient_value(q.node, self.values, skip_activation=True)
            out.append(("activation", left_out))
            out.append(("post-for-pre", self.gradient_value(q.node, self.values, swap="post")))
            out.append(("pre-for-post", self.gradient_value(q.node, self.values, swap="pre")))
            out.extend(self._changed_factors(q.node))
            for values in self._swapped_targets():
                out.append(("classes-swapped", self.gradient_value(q.node, values)))
        elif q.kind == "factor":
            if self.activation(q.of) == q.node:
                out.append(("f-for-fprime", self.values[q.of]))
            for p in self.partners(q.of, q.node):
                out.append(("wrong-wrt", self._evaluate((q.of, p), self.values)))
        elif q.kind == "update":
            out = self._update_mistakes(q.node) + out  # more specific than the sign
        return out

    def _is_activation(self, f) -> bool:
        pre = self.activation(f.of)
        return pre is not None and f.wrt == pre

    def _changed_factors(self, wrt: str) -> list:
        """One factor of the chain changed: an activation's f′ counted twice or taken as f,
        the factor at `wrt` taken with respect to its partner (δ·w for δ·x)."""
        out = []
        twice = self.gradient_value(
            wrt, self.values, change=lambda f, v: v * v if self._is_activation(f) else v
        )
        out.append(("activation-twice", twice))
        out.append(
            (
                "f-for-fprime",
                self.gradient_value(
                    wrt,
                    self.values,
                    change=lambda f, v: self.values[f.of] if self._is_activation(f) else v,
                ),
            )
        )
        g = next(g for g in self.solution.gradients if g.wrt == wrt)
        partners = {f.of: self.partners(f.of, wrt) for p in g.paths for f in p.factors[-1:]}
        if all(len(ps) == 1 for ps in partners.values()) and partners:
            other = {of: self._evaluate((of, ps[0]), self.values) for of, ps in partners.items()}
            out.append(
                (
                    "wrong-wrt",
                    self.gradient_value(
                        wrt, self.values, change=lambda f, v: other[f.of] if f.wrt == wrt else v
                    ),
                )
            )
        return out

    def _update_mistakes(self, name: str) -> list:
        """The step added, the step without η, and the step with a gradient backpropagated
        through the other parameters' values after the update (W2′ where W2 belongs in the
        δ of the layer below: updating the top layer before backpropagating further)."""
        rule = self.problem.update
        upd = next(u for u in self.solution.updates if u.name == name)
        out: list = [("step-sign", upd.old + (upd.old - upd.new))]
        state = optim.initial_state(rule, [name])
        plain, _ = optim.step(rule, {name: upd.old}, {name: upd.grad}, state, lr=1)
        out.append(("rate-left-out", plain[name]))
        if not self.problem.symbolic:
            values = {**self.values, **{u.name: u.new for u in self.solution.updates}}
            values[name] = upd.old
            grad = self.gradient_value(name, values)
            if grad is not None and np.isfinite(grad) and not same_number(grad, upd.grad):
                new, _ = optim.step(rule, {name: upd.old}, {name: grad}, state)
                out.append(("after-for-before", new[name]))
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
        """(name, formula[, detail]) of the usual mistakes on a symbolic question; made once
        a question."""
        key = ("formula", q.key, q.kind, q.node, q.of)
        if key not in self._mistakes:
            self._mistakes[key] = self._formula_mistakes(q)
        return self._mistakes[key]

    def _formula_mistakes(self, q: Question) -> list:
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
            out.append(("activation-twice", self._formula(g, self._twice)))
            out.append(("f-for-fprime", self._formula(g, self._f_for_fprime)))
            partners = {f.of: self.partners(f.of, q.node) for p in g.paths for f in p.factors[-1:]}
            if partners and all(len(ps) == 1 for ps in partners.values()):
                local = self.graph.node
                out.append(
                    (
                        "wrong-wrt",
                        self._formula(
                            g,
                            lambda f: (
                                local(f.of).local[partners[f.of][0]] if f.wrt == q.node else f.expr
                            ),
                        ),
                    )
                )
        elif q.kind == "factor":
            if self.activation(q.of) == q.node:
                out.append(("f-for-fprime", symbols[q.of]))
            for p in self.partners(q.of, q.node):
                out.append(("wrong-wrt", self.graph.node(q.of).local[p]))
        return out

    def _twice(self, f):
        return f.expr**2 if self._is_activation(f) else f.expr

    def _f_for_fprime(self, f):
        return self.graph.symbols[f.of] if self._is_activation(f) else f.expr

    @staticmethod
    def _formula(g, factor):
        """dL/d(wrt) as a formula, the sum over paths of `factor(f)` for each factor; None
        when a path is cut short (an accumulated upstream factor)."""
        total = sp.Integer(0)
        for path in g.paths:
            product = sp.Integer(1)
            for f in path.factors:
                if f.upstream or f.expr is None:
                    return None
                product *= factor(f)
            total += product
        return total

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
