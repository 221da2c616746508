"""Published answers against computed ones, at the precision the source printed them.

A source that prints `-0.0287` claims the value lies within half a unit of its last digit:
[-0.02875, -0.02865]. Anything outside is an erratum. Formulas are compared for equivalence.
"""

from __future__ import annotations

import re

from .errors import ParseError
from .model.solution import Check, Solution

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


def lookup(solution: Solution, quantity: str):
    """The computed value of a quantity named as in `published:` (see docs/format.md)."""
    p = solution.problem
    values = {s.name: s.value for s in solution.forward}
    leaves = p.leaves
    q = quantity.strip()
    updates = solution.updates
    optimizer, sep, rest = q.partition(":")
    if sep:
        updates, q = solution.alternatives.get(optimizer, ()), rest
    m = re.fullmatch(r"(m|v|m_hat|v_hat|buffer|uncorrected)\[(\w+)\]", q)
    if m:
        upd = next((u for u in updates if u.name == m[2]), None)
        return None if upd is None else upd.state.get(m[1])
    if q.endswith("'"):
        name = q[:-1]
        upd = next((u for u in updates if u.name == name), None)
        if upd is not None:
            return upd.new
        if sep:
            return None
        return next((s.value for s in solution.forward_after if s.name == name), None)
    m = re.fullmatch(r"d(\w+)/d(\w+)", q)
    if m:
        of, wrt = m[1], m[2]
        if of == p.loss:
            grad = next((g for g in solution.gradients if g.wrt == wrt), None)
            if grad is not None and p.symbolic:
                return grad.total
            return solution.node_grads.get(wrt)
        factor = solution.local.get((of, wrt))
        if factor is not None:
            return factor.expr if p.symbolic else factor.value
        return None
    if q in values:
        return values[q]
    if q in leaves and leaves[q] is not None:
        return float(leaves[q])
    return None


def compare(published: str, computed) -> tuple[bool, str]:
    """Whether a printed answer agrees with the computed one, and why not."""
    if computed is None:
        return False, "the engine computes no such quantity"
    precision = printed_precision(published)
    if isinstance(computed, (int, float)):
        if precision is None:
            return False, "not a number"
        value, half_unit = precision
        ok = abs(computed - value) <= half_unit * (1 + 1e-9) + 1e-12
        return ok, "" if ok else f"differs by {abs(computed - value):.3g}"
    return _equivalent(published, computed)


def _equivalent(published: str, computed) -> tuple[bool, str]:
    import sympy as sp

    from .expr import parse

    try:
        claimed = parse(published)
    except ParseError as e:
        return False, f"cannot read the published formula: {e.message}"
    difference = sp.cancel(sp.together(claimed - computed))
    ok = difference == 0
    return ok, "" if ok else "not equivalent"


def check_all(solution: Solution) -> list[Check]:
    out = []
    for pub in solution.problem.published:
        computed = lookup(solution, pub.quantity)
        ok, reason = compare(pub.text, computed)
        out.append(Check(pub.quantity, pub.text, computed, ok, pub.line, reason))
    return out
