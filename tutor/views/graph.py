"""The computation graph of a solution as Graphviz DOT text (`dot -Tpng graph.dot`).

One box per given value and per equation node, labelled with its name, value and gradient
dL/d(name); an edge from every parent to the node that uses it. Identifiers are generated
(n0, n1, ...); labels are quoted and escaped.
"""

from __future__ import annotations

from tutor.model.solution import Solution
from tutor.solutions.explain import ROLES
from tutor.text.notation import fmt

ROLE_STYLE = {
    "input": 'shape=box, style="rounded,filled", fillcolor="#e8f0fe"',
    "target": 'shape=box, style="rounded,filled", fillcolor="#fdf2e9"',
    "param": 'shape=box, style="rounded,filled", fillcolor="#e9f7ef"',
    "constant": 'shape=box, style="rounded", color=gray',
    "node": "shape=ellipse",
    "loss": 'shape=doubleoctagon, style=filled, fillcolor="#fdebd0"',
}


def quote(text: str) -> str:
    """A DOT string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def dot(solution: Solution) -> str:
    p = solution.problem
    values = {s.name: s.value for s in solution.forward}
    values.update({n: (None if v is None else float(v)) for n, v in p.leaves.items()})
    roles = {}
    for group, role in ROLES:
        roles.update(dict.fromkeys(getattr(p, group), role))
    for eq in p.graph:
        roles[eq.name] = "loss" if eq.name == p.loss else "node"
    ids = {name: f"n{i}" for i, name in enumerate(roles)}
    texts = {eq.name: eq.text for eq in p.graph}

    lines = [f"digraph {quote(p.id)} {{", "  rankdir=LR;", '  node [fontname="Helvetica"];']
    for name, role in roles.items():
        label = name
        if name in texts:
            label += f" = {texts[name]}"
        v = values.get(name)
        if v is not None:
            label += f"\nvalue {fmt(v)}"
        g = solution.node_grads.get(name) if solution.node_grads else None
        if g is not None and role != "loss":
            label += f"\ngrad {fmt(g)}"
        lines.append(f"  {ids[name]} [label={quote(label)}, {ROLE_STYLE[role]}];")
    for eq in p.graph:
        for parent in sorted(s.name for s in eq.expr.free_symbols):
            if parent in ids:
                lines.append(f"  {ids[parent]} -> {ids[eq.name]};")
    lines.append("}")
    return "\n".join(lines) + "\n"
