"""The computation graph of a solution as Graphviz DOT text (`dot -Tpng graph.dot`), and a
tensor problem's graph as a terminal tree too.

One box per given value and per equation node, labelled with its name, value and gradient
dL/d(name); an edge from every parent to the node that uses it. Identifiers are generated
(n0, n1, ...); labels are quoted and escaped. A tensor problem's nodes carry their shapes
(`z1 = W1 x + b1  [4×1]`) as the engine infers them; `tree` and `draw` take either kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from rich.tree import Tree

from tutor.model.solution import Solution
from tutor.solutions.explain import ROLES
from tutor.text.messages import say
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


# --------------------------------------------------------------------------- tensor problems

SMALL = 4  # a tensor of at most this many entries is drawn with its numbers


@dataclass(frozen=True)
class GraphNode:
    """One node of a tensor problem's graph: a given value (no `text`) or an equation
    (`name = text`), its role, its shape as the engine infers it, value and ∂L/∂name, and
    the names it reads in the order the equation writes them."""

    name: str
    role: str
    text: str | None
    shape: tuple
    value: Any
    grad: Any
    parents: tuple[str, ...] = ()


def tensor_nodes(solution) -> list[GraphNode]:
    """The nodes of a `TensorSolution`'s graph, given values first, then the equations in
    order. Shapes are the engine's (`engine.tensor.check_shapes`), not re-derived here."""
    from tutor.engine import tensor

    p = solution.problem
    shapes = tensor.check_shapes(p)
    texts = {step.name: step.text for step in solution.forward}
    grads = {d.name: d.value for d in solution.deltas}
    nodes = []
    for group, role in ROLES:
        for name in getattr(p, group):
            nodes.append(
                GraphNode(name, role, None, shapes[name], solution.value(name), grads.get(name))
            )
    for eq in p.graph:
        read = []
        for op in eq.expr.walk():  # reading order: W1 x + b1 -> W1, x, b1
            if op.kind == "name" and op.name not in read:
                read.append(op.name)
        role = "loss" if eq.name == p.loss else "node"
        nodes.append(
            GraphNode(
                eq.name,
                role,
                texts.get(eq.name, eq.name),
                shapes[eq.name],
                solution.value(eq.name),
                None if role == "loss" else grads.get(eq.name),
                tuple(read),
            )
        )
    return nodes


def shape_label(shape: tuple, lang: str) -> str:
    """[4×1], or [scalar] in the reader's language."""
    return "[" + ("×".join(str(n) for n in shape) if shape else say(lang, "scalar")) + "]"


def _numbers(value) -> str | None:
    """A small tensor's numbers on one line: 0.25, [0.25, −0.5], [[1, 2], [3, 4]] (its axes
    of length 1 left out); None for a larger one or one of more than two axes."""
    if value is None or np.size(value) > SMALL:
        return None
    from tutor.views.matrix import inline

    a = np.squeeze(np.asarray(value, dtype=float))
    return inline(a) if a.ndim <= 2 else None


def tensor_dot(solution, lang: str = "en") -> str:
    """A tensor problem's graph as DOT: one box per given value and equation, labelled
    `name = equation`, its shape, and its value and gradient where they are small."""
    nodes = tensor_nodes(solution)
    ids = {n.name: f"n{i}" for i, n in enumerate(nodes)}
    p = solution.problem
    lines = [f"digraph {quote(p.id)} {{", "  rankdir=LR;", '  node [fontname="Helvetica"];']
    for n in nodes:
        label = n.name if n.text is None else f"{n.name} = {n.text}"
        label += f"\n{shape_label(n.shape, lang)}"
        value, grad = _numbers(n.value), _numbers(n.grad)
        if value is not None:
            label += f"\n{say(lang, 'value')} {value}"
        if grad is not None:
            label += f"\n{say(lang, 'grad')} {grad}"
        lines.append(f"  {ids[n.name]} [label={quote(label)}, {ROLE_STYLE[n.role]}];")
    for n in nodes:
        for parent in n.parents:
            if parent in ids:
                lines.append(f"  {ids[parent]} -> {ids[n.name]};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def tensor_tree(solution, lang: str = "en", max_nodes: int = 200) -> Tree:
    """A tensor problem's graph as a tree from the loss to the given values: each node with
    its equation and shape (`z1 = W1 x + b1  [4×1]`), a node read twice drawn once."""
    from rich.markup import escape

    nodes = {n.name: n for n in tensor_nodes(solution)}

    def describe(name: str) -> str:
        n = nodes[name]
        eq = "" if n.text is None else f" [dim]= {escape(n.text)}[/]"
        shape = f"  [dim]{escape(shape_label(n.shape, lang))}[/]"
        value, grad = _numbers(n.value), _numbers(n.grad)
        val = "" if value is None else f" = {escape(value)}"
        g = "" if grad is None else f"  [cyan]{say(lang, 'grad')} {escape(grad)}[/]"
        return f"[bold]{escape(name)}[/]{eq}{shape}{val}{g}"

    from tutor.views.terminal import parents_tree

    def shared(name: str) -> str:
        return f"[bold]{escape(name)}[/] [dim]{say(lang, 'shared')}[/]"

    loss = solution.problem.loss
    return parents_tree(loss, lambda n: nodes[n].parents, describe, shared, max_nodes)


def tree(solution, lang: str = "en") -> Tree:
    """The graph as a tree for the terminal, whatever kind of solution."""
    if isinstance(solution, Solution):
        from tutor.views.terminal import graph_tree

        return graph_tree(solution, lang)
    return tensor_tree(solution, lang)


def draw(solution, lang: str = "en") -> str:
    """The graph as DOT, whatever kind of solution."""
    return dot(solution) if isinstance(solution, Solution) else tensor_dot(solution, lang)
