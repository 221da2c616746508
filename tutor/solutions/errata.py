"""Published answers against computed ones, at the precision the source printed them: the one
errata checker of every view and command.

A source that prints `-0.0287` claims the value lies within half a unit of its last digit:
[-0.02875, -0.02865]. Anything outside is an erratum. Formulas are compared for equivalence.
A published tensor is compared entry by entry, each at the figures it was printed with.

The errata of a problem are those of its file (`explain.errata_of_file`): the file's
published values against the problem as the file states it (its numbers, its update rule),
whatever the view (matrix or per weight) or the options (`--optimizer`, `--lr`, `--l2`) of
the run that shows them (`explain.with_errata`). A `network:` file is checked per weight
(its `published:` keys name weights, local factors and optimizer states, which the scalar
engine computes); a tensor file against the tensor engine.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from tutor.errors import ParseError
from tutor.model import Quantity
from tutor.model.solution import Check, Solution
from tutor.text.messages import Message
from tutor.text.notation import tensor_text

_NUMBER = re.compile(r"^([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$")


def printed_precision(text: str) -> tuple[float, float] | None:
    """(value, half a unit in the last printed place) for a number as printed, else None."""
    t = text.strip().lstrip("≈~").strip().replace("−", "-").replace(",", "").replace(" ", "")
    t = re.sub(r"[×x\*]10\^\{?([+-]?\d+)\}?$", r"e\1", t)
    t = t.replace("E", "e")
    m = _NUMBER.match(t)
    if not m or not (m[2] or m[3]):
        return None
    decimals = len(m[3] or "")
    exponent = int(m[4] or 0)
    value = float(t)
    return value, 0.5 * 10.0 ** (exponent - decimals)


def lookup(solution: Solution, quantity: Quantity | str):
    """The computed value of a quantity named as in `published:` (see docs/format.md); None
    when the solution does not hold it. Text is parsed first (`Quantity.parse`)."""
    p = solution.problem
    q = quantity if isinstance(quantity, Quantity) else Quantity.parse(quantity, p.loss)
    updates = solution.alternatives.get(q.optimizer, ()) if q.optimizer else solution.updates
    update = next((u for u in updates if u.name == q.name), None)
    if q.kind == "state":
        return None if update is None else update.state.get(q.slot)
    if q.kind == "after":
        if update is not None:
            return update.new
        if q.optimizer:
            return None
        return next((s.value for s in solution.forward_after if s.name == q.name), None)
    if q.kind == "gradient":
        grad = next((g for g in solution.gradients if g.wrt == q.name), None)
        if grad is not None and p.symbolic:
            return grad.total
        return solution.node_grads.get(q.name)
    if q.kind == "factor":
        factor = solution.local.get(q.names)
        if factor is None:
            return None
        return factor.expr if p.symbolic else factor.value
    value = next((s.value for s in solution.forward if s.name == q.name), None)
    if value is not None:
        return value
    leaf = p.leaves.get(q.name)
    return None if leaf is None else float(leaf)


def compare(published: str, computed) -> Check:
    """Whether a printed answer agrees with the computed one and, if not, why (as data: the
    reason is a key of the messages catalogue)."""
    if computed is None:
        return Check(None, published, computed, False, reason="no_such")
    precision = printed_precision(published)
    if isinstance(computed, (int, float)):
        if precision is None:
            return Check(None, published, computed, False, reason="nan")
        value, half_unit = precision
        ok = abs(computed - value) <= half_unit * (1 + 1e-9) + 1e-12
        if ok:
            return Check(None, published, computed, True)
        # the difference as the table shows it: three significant figures
        return Check(
            None,
            published,
            computed,
            False,
            reason="differs",
            difference=float(f"{abs(computed - value):.3g}"),
        )
    return _equivalent(published, computed)


def _equivalent(published: str, computed) -> Check:
    import sympy as sp

    from tutor.language.expr import parse

    try:
        claimed = parse(published)
    except ParseError as e:
        return Check(
            None, published, computed, False, reason="unreadable", detail=Message(e.key, e.fields)
        )
    difference = sp.cancel(sp.together(claimed - computed))
    if difference == 0:
        return Check(None, published, computed, True)
    return Check(None, published, computed, False, reason="not_equivalent")


def check_all(solution: Solution) -> list[Check]:
    """Every published value of the problem against the solution's, errata classified."""
    out = []
    for pub in solution.problem.published:
        out.append(
            replace(compare(pub.text, lookup(solution, pub.key)), quantity=pub.key, line=pub.line)
        )
    if solution.problem.symbolic or all(c.ok for c in out):
        return out
    return _classify(solution, out)


# --------------------------------------------------------------------------- kinds of errata


def _classify(solution: Solution, checks: list[Check]) -> list[Check]:
    """Tell early rounding from mistakes: recompute each disagreeing value from the source's
    own printed numbers for the quantities it is made of (error carried forward, as a quiz
    grades a student). If that reproduces the printed value, the erratum is "rounded" when
    those numbers were right at their printed precision, else it "follows" from an erratum."""
    by_quantity: dict[Quantity, list[Check]] = {}
    for c in checks:
        by_quantity.setdefault(c.quantity, []).append(c)
    printed: dict[Quantity, float] = {}
    for quantity, group in by_quantity.items():
        precise = [(p[1], p[0]) for c in group if (p := printed_precision(c.published))]
        if precise:
            printed[quantity] = min(precise)[1]  # the most precise of the printed forms
    out = []
    for c in checks:
        if not c.ok and isinstance(c.computed, (int, float)):
            basis: list[Quantity] = []
            value = _recompute(solution, c.quantity, printed, basis)
            same = value is not None and abs(value - c.computed) <= 1e-9 * abs(c.computed)
            if value is not None and basis and not same and _agrees(c.published, value):
                wrong_inputs = any(not x.ok for b in basis for x in by_quantity[b])
                c = replace(
                    c,
                    kind="follows" if wrong_inputs else "rounded",
                    basis=tuple((b, _text_of(by_quantity[b])) for b in sorted(set(basis), key=str)),
                )
        out.append(c)
    return out


def _agrees(published: str, value: float) -> bool:
    """Within one unit of the last printed digit: a source that truncates (0.38331271 printed
    as 0.383312) made a rounding slip, not a mistake."""
    value_printed, half_unit = printed_precision(published)
    return abs(value - value_printed) <= 2 * half_unit * (1 + 1e-9)


def _text_of(group: list[Check]) -> str:
    return min(group, key=lambda c: (printed_precision(c.published) or (0, 1))[1]).published


def _recompute(solution: Solution, q: Quantity, printed: dict, basis: list):
    """`q` from its own inputs, taking the printed number of each input the source printed
    (appended to `basis`) and the computed value of the others; None if unknown."""
    p = solution.problem
    if q.optimizer:
        return None  # another optimizer's state: not recomputed
    forward = {s.name: s for s in solution.forward}
    after = {s.name: s.value for s in solution.forward_after}
    updates = {u.name: u for u in solution.updates}

    def pick(key: Quantity, computed):
        if key in printed and key != q:
            basis.append(key)
            return printed[key]
        return computed

    def value(n: str):
        return pick(Quantity.of_value(n), _value(solution, n))

    if q.kind == "after":
        name = q.name
        if name in updates:
            u = updates[name]
            grad = pick(Quantity.gradient(p.loss, name), u.grad)
            if p.update is None or p.update.optimizer != "sgd":
                return None
            return u.old - u.lr * grad
        if name in forward:

            def value_after(n):
                computed = updates[n].new if n in updates else after.get(n, _leaf(p, n))
                return pick(Quantity.of_value(n, after=True), computed)

            return _evaluate(forward[name].equation, value_after)
        return None
    if q.kind == "gradient":
        grad = next((g for g in solution.gradients if g.wrt == q.name), None)
        if grad is None:
            return None
        total = 0.0
        for path in grad.paths:
            product = 1.0
            for f in path.factors:
                product *= pick(Quantity("factor", (f.of, f.wrt)), f.value)
            total += product
        return total
    if q.kind == "factor":
        factor = solution.local.get(q.names)
        if factor is None:
            return None
        return _evaluate(factor.expr, value)
    if q.kind == "value" and q.name in forward:
        return _evaluate(forward[q.name].equation, value)
    return None


def _leaf(problem, name: str):
    v = problem.leaves.get(name)
    return None if v is None else float(v)


def _value(solution: Solution, name: str):
    step = next((s for s in solution.forward if s.name == name), None)
    return step.value if step is not None else _leaf(solution.problem, name)


def _evaluate(expr, value_of):
    """expr at the values `value_of(name)` gives, as a float (None if it cannot be)."""
    import sympy as sp

    env = {}
    for s in expr.free_symbols:
        v = value_of(s.name)
        if v is None:
            return None
        env[s] = sp.Float(v, 30)
    result = expr.xreplace(env).evalf(30)
    return float(result) if result.is_Number else None


# --------------------------------------------------------------------------- tensors


def compare_tensor(texts: np.ndarray, computed) -> Check:
    """A published tensor (its entries as printed, an object array of the node's shape) or
    one entry (a 0-d array) against the computed one, each entry at its printed precision;
    `difference` is the largest gap, `detail` the 1-based index where it is (a tensor)."""
    computed = np.asarray(computed, dtype=float)
    if computed.shape != texts.shape and computed.size == texts.size:
        computed = computed.reshape(texts.shape)  # a loss (a number) published for a 1×1 node
    worst, where = 0.0, None
    for index, text in np.ndenumerate(texts):
        c = float(computed[index])
        precision = printed_precision(str(text))
        if precision is None:  # 1/3, 2^-3: read exactly by the loader
            value, half_unit = _exact(str(text)), 1e-9 * abs(c)
        else:
            value, half_unit = precision
        gap = abs(c - value)
        if gap > half_unit * (1 + 1e-9) + 1e-12 and gap > worst:
            worst, where = gap, index
    published = tensor_text(texts)
    shown = float(computed.reshape(())) if texts.ndim == 0 else computed
    if where is None:
        return Check(None, published, shown, True)
    if texts.ndim == 2 and texts.shape[1] == 1:
        where = where[:1]  # an entry of a column vector: z[2], as the course writes it
    detail = "" if texts.ndim == 0 else "[" + ",".join(str(i + 1) for i in where) + "]"
    return Check(
        None,
        published,
        shown,
        False,
        reason="differs_at" if detail else "differs",
        difference=float(f"{worst:.3g}"),
        detail=detail,
    )


def _exact(text: str) -> float:
    from tutor.problems.loader import read_number

    return float(read_number(text, light=True))


def tensor_quantity(pub, loss: str) -> Quantity:
    """The quantity a tensor file's published key names, in the written form every view
    shows: `z1`, `dL/dW1`, `dL/dW1[2,3]`, `W1'`, `W1[1,1]'`."""
    name = pub.name if pub.index is None else f"{pub.name}[{','.join(map(str, pub.index))}]"
    return Quantity(pub.kind, (loss, name) if pub.kind == "gradient" else (name,))


def check_tensor(solution) -> tuple[Check, ...]:
    """Every published value of a tensor problem against its solution (`TensorSolution`)."""
    p = solution.problem
    values = {**p.leaves, **{s.name: s.value for s in solution.forward}}
    after = {u.name: u.new for u in solution.updates}
    after.update({s.name: s.value for s in solution.after})
    if solution.after_loss is not None:
        after[p.loss] = solution.after_loss
    values[p.loss] = solution.loss
    out = []
    for pub in p.published:
        source = {"value": values, "gradient": solution.grads, "after": after}[pub.kind]
        quantity = tensor_quantity(pub, p.loss)
        if pub.name not in source:
            out.append(Check(quantity, tensor_text(pub.texts), None, False, pub.line, "no_such"))
            continue
        computed = np.asarray(source[pub.name], dtype=float)
        if pub.index is not None:
            computed = computed[tuple(i - 1 for i in pub.index)]
        check = compare_tensor(np.asarray(pub.texts, dtype=object), computed)
        out.append(replace(check, quantity=quantity, line=pub.line, node=pub.name))
    return tuple(out)
