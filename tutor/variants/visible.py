"""What a quiz may ask when only some given values are shown: nothing that needs one it hid.

A question needs the given values its answer is computed from: a forward value the leaves
under its node; a gradient or an update every leaf under the loss, and its own parameter.
"""

from __future__ import annotations


def leaves_under(graph) -> dict[str, frozenset[str]]:
    """For every node, the given values it is computed from (its leaf ancestors)."""
    under: dict[str, frozenset[str]] = {}
    for node in graph.nodes:  # topological order: parents first
        found: set[str] = set()
        for parent in node.local:
            found |= under.get(parent, {parent})
        under[node.name] = frozenset(found)
    return under


def answerable(questions: list, graph, shown) -> list:
    """The questions whose every needed given value is among `shown` (kept in order)."""
    shown = set(shown)
    under = leaves_under(graph)
    loss = graph.problem.loss
    out = []
    for q in questions:
        if q.kind == "count":  # a parameter count needs no value: only the equations
            out.append(q)
            continue
        if q.kind in ("forward", "loss") and q.node in under:
            needed = under[q.node]
        else:  # a gradient, an update, anything later: the whole backward pass
            needed = under[loss] | ({q.node} if q.node in graph.problem.leaves else set())
        if needed <= shown:
            out.append(q)
    return out
