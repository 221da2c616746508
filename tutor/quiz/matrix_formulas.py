"""Formula answers to a tensor question, graded by their value.

A student may answer δ(z1) with `W2ᵀ δ2 ⊙ a1 ⊙ (1 − a1)`, or ∂L/∂W2 with `(p - y) @
transpose(a1)`: the formula is read by the project's own tensor parser
(`matrix_expr.parse`, notation mode: no eval, no SymPy), evaluated by the engine's evaluator
(`rules.evaluate`) at the problem's values, and the array it gives is graded as typed numbers
are. The names a formula may use are those known when the question is asked (`allowed`):
the given values, the forward values (a forward step: only those before it), and the
gradients already found on the way down from the loss (δ(z2), written δ2 or d2 too when the
node is z2). An unknown name, a gradient not known yet or shapes that do not fit give an
"invalid" grade with a one-line reason (not a try).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from tutor.errors import ParseError
from tutor.language.answers import TensorAnswer, shape_text
from tutor.model import Text
from tutor.model.quiz import Grade
from tutor.quiz import grading
from tutor.text import messages

_GREEK = "δ∂σ"


def looks_like_formula(typed: str) -> bool:
    """Whether an answer the number reader refused is meant as a formula (it has a name)."""
    return any(c.isalpha() or c in _GREEK for c in typed)


def _reaches(problem, name: str) -> set[str]:
    """The nodes `name` feeds, directly or not (their δ are found before ∂L/∂name)."""
    out: set[str] = set()
    todo = [name]
    while todo:
        n = todo.pop()
        for eq in problem.graph:
            if n in eq.expr.names() and eq.name not in out:
                out.add(eq.name)
                todo.append(eq.name)
    return out


def allowed(problem, q) -> tuple[set[str], set[str]]:
    """(names, gradients) a formula answering `q` may read."""
    names = set(problem.leaves)
    nodes = [eq.name for eq in problem.graph]
    if q.kind in ("forward", "loss"):
        return names | set(nodes[: nodes.index(q.name)]), set()
    names |= set(nodes)
    if q.kind == "update":
        return names, set(problem.leaves) | set(nodes)
    return names, _reaches(problem, q.name)


def _aliases(problem, grads: set[str], taken: set[str]) -> dict[str, str]:
    """Short names of gradients: δ2 and d2 for δ(z2) (z2 or Z2 a node), δz2 and dz2."""
    out: dict[str, str] = {}
    for n in sorted(grads):
        forms = [f"δ{n}", f"d{n}"]
        if n[:1] in ("z", "Z") and len(n) > 1:
            forms += [f"δ{n[1:]}", f"d{n[1:]}"]
        for form in forms:
            if form not in taken and form not in out:
                out[form] = n
    return out


def _with_grads(op, aliases: dict[str, str]):
    """The tree with alias names read as gradient ops."""
    from dataclasses import replace

    from tutor.language.matrix_expr import grad

    if op.kind == "name" and op.name in aliases:
        return replace(grad(aliases[op.name]), column=op.column)
    if not op.args:
        return op
    return replace(op, args=tuple(_with_grads(a, aliases) for a in op.args))


def _invalid(key: str, column: int | None = None, en: dict | None = None, zh: dict | None = None):
    return Grade(
        "invalid",
        Text(messages.say("en", key, **(en or {})), messages.say("zh", key, **(zh or en or {}))),
        column=column,
    )


def _pairs(a, b):
    """The ops of two trees of one shape side by side (the typed one and the one read)."""
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        yield x, y
        stack.extend(zip(x.args, y.args))


def _misfit(typed, tree, shapes, column: int) -> Grade:
    """The invalid grade of an op whose operands' shapes do not fit, said with the shapes
    (the op as the student wrote it: δ2, not ∂L/∂z2)."""
    from tutor.language.matrix_expr import text

    found = None
    for written, read in _pairs(typed, tree):
        if read.column == column and read.args:
            found = (written, read)
    if found is not None:
        try:
            parts = [shape_text(shapes(a)) for a in found[1].args]
        except ValueError:
            parts = None
        if parts:
            op = text(found[0])
            en, zh = (
                {"op": op, "shapes": messages.separator("and", lang).join(parts)}
                for lang in ("en", "zh")
            )
            return _invalid("quiz_formula_shapes", column, en, zh)
    shown = {"op": text(typed), "shapes": "?"}
    return _invalid("quiz_formula_shapes", column, shown)


def value(session, q, typed: str):
    """The array the formula `typed` gives at the problem's values (one entry for an entry's
    question), or the invalid Grade saying why it cannot be used."""
    from tutor.engine import rules
    from tutor.language.matrix_expr import parse

    problem = session.problem
    names, grads = allowed(problem, q)
    aliases = _aliases(problem, grads, set(problem.leaves) | {eq.name for eq in problem.graph})
    try:
        tree = parse(
            typed,
            names | set(aliases) | grads,
            mode="notation",
            max_length=grading.MAX_ANSWER,
        )
    except ParseError as e:
        return grading.unreadable(e)
    typed_tree, tree = tree, _with_grads(tree, aliases)
    for op in tree.walk():
        if op.kind == "grad" and op.name not in grads:
            return _invalid("quiz_formula_grad", op.column or None, {"x": f"∂L/∂{op.name}"})
        if op.kind == "name" and op.name not in names:
            return _invalid("quiz_formula_grad", op.column or None, {"x": op.name})
    values = session.values
    shapes = rules.Shapes({n: np.shape(v) for n, v in values.items()})
    try:
        shapes(tree)
    except rules.ShapeError as e:
        return _misfit(typed_tree, tree, shapes, e.column)
    known = {n: session.solution.grads[n] for n in grads if n in session.solution.grads}
    with np.errstate(all="ignore"):
        result = np.asarray(rules.evaluate(tree, values, known), dtype=float)
    if not np.all(np.isfinite(result)):
        return _invalid("quiz_formula_undefined")
    if q.index is not None and result.ndim == len(q.index):
        result = result[q.index]
    return result


def as_answer(array: np.ndarray) -> TensorAnswer:
    """An evaluated formula as a typed answer with every figure (exact to the float)."""
    flat = np.asarray(array, dtype=float).reshape(-1)
    return TensorAnswer(
        tuple(np.shape(array)),
        tuple(Fraction(float(v)) for v in flat),
        tuple(repr(float(v)) for v in flat),
    )
