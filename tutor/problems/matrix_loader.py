"""Tensor problem files: given vectors, matrices and maps; equations over whole tensors.

A problem is a tensor problem when one of its given values is a list (`x: [1, 2, 3]`,
`W1: [[0.1, -0.2], [0.4, 0.5]]`). Its equations are parsed by `tensor_expr` (not SymPy), its
values are float arrays (a list is a column vector, nested lists a matrix, deeper lists a
C×H×W map or an out×in×kh×kw kernel), and a shape mismatch is found here, at load time, by
running the forward pass: a `file:line` error that names both shapes.

`published:` keys name a whole tensor or one entry, 1-based as the course writes them:
`z1`, `dL/dW1`, `dL/dW1[2,3]`, `W1'` (after the update), `W1'[1,1]`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from tutor.errors import ParseError, ProblemError
from tutor.model import Equation, Problem
from tutor.problems.schema import (
    GROUPS,
    MAX_NODES,
    Known,
    Reader,
    _check_placeholders,
    _source,
    _update,
    asks_of,
    check_counted,
    check_targets,
    loss_of,
    read_number,
)

MAX_ENTRIES = 1_000_000  # numbers in all given tensors together
MAX_RANK = 4

_KEY = re.compile(
    r"(?:d(?P<of>[A-Za-z]\w*)/d)?(?P<name>[A-Za-z]\w*)(?P<after>')?"
    r"(?:\[(?P<index>\s*\d+(?:\s*,\s*\d+)*\s*)\])?"
)


@dataclass(frozen=True)
class TensorPublished:
    """A published tensor answer: what it names (`kind` value, gradient or after; `index`
    1-based, or None for the whole tensor), its value, and its entries as printed (`texts`,
    a string array of the tensor's shape, 0-d for one entry: `errata` compares each at its
    printed figures)."""

    key: str
    kind: str
    name: str
    index: tuple[int, ...] | None
    value: np.ndarray
    texts: np.ndarray
    line: int | None = None

    @property
    def text(self) -> str:
        """The value as the course writes it: `[0.1, −0.2; 0.3, 0.4]`."""
        from tutor.text.notation import tensor_text

        return tensor_text(self.texts)


def is_tensor_doc(data) -> bool:
    """True when some given value (in inputs, targets, params, constants) is a list."""
    if not isinstance(data, dict):
        return False
    for group in GROUPS:
        values = data.get(group)
        if isinstance(values, dict) and any(isinstance(v, list) for v in values.values()):
            return True
    return False


def read_tensor(r: Reader, path: tuple, value) -> np.ndarray:
    """A number, or nested lists of numbers, as a float array (a flat list is a column)."""
    if not isinstance(value, list):
        return np.asarray(_number(r, path, value))
    rows = _nested(r, path, value, 1)
    array = np.asarray(rows, dtype=float)
    return array.reshape(-1, 1) if array.ndim == 1 else array


_DECIMAL = re.compile(r"-?\d{1,20}(?:\.\d{1,20})?(?:[eE][-+]?\d{1,2})?")  # e±99 at most


def _number(r: Reader, path: tuple, text) -> float:
    """One entry: a plain decimal is read by float() (correctly rounded, as the float of the
    exact value), anything else (1/3, 2^-3) by the loader's exact reading."""
    if not isinstance(text, str):
        raise r.refuse("tensor_entries", path)
    if _DECIMAL.fullmatch(text):
        value = float(text)
        if value == value and abs(value) != float("inf"):
            return value
    try:
        value = read_number(text, light=True)
    except ParseError as e:
        field = ".".join(map(str, path))
        raise r.refuse("field_unreadable", path, field=field, why=e.why(), where="") from None
    if value is None:
        raise r.refuse("tensor_not_number", path, text=text)
    return float(value)


def _nested(r: Reader, path: tuple, value, depth: int):
    if depth > MAX_RANK:
        raise r.fail(f"at most {MAX_RANK} nested lists (a kernel out×in×kh×kw)", path)
    if not value:
        raise r.fail("an empty list is not a tensor", path)
    if all(isinstance(v, list) for v in value):
        rows = [_nested(r, path + (i,), v, depth + 1) for i, v in enumerate(value)]
        shapes = {np.shape(row) for row in rows}
        if len(shapes) > 1:
            raise r.fail("the rows of a tensor must all have the same length", path)
        return rows
    if any(isinstance(v, list) for v in value):
        raise r.fail("mix of numbers and lists: every row of a matrix is a list", path)
    return [_number(r, path + (i,), v) for i, v in enumerate(value)]


def _leaves(r: Reader, group: str, known: dict, ties: dict) -> dict[str, np.ndarray]:
    """A group's given tensors. A value written as an expression (`Ws1: Wh1`, `Wr1: 2 * Wh1`)
    is tied to the given values before it (`known`, in the file's order): its numbers are
    computed, and a variant (`--random`, `--set`) computes them again from its own (`ties`,
    name -> the expression's tree)."""
    if group not in r.doc.data:
        return {}
    out = {}
    for name, v in r.mapping((group,)).items():
        r.name(name, (group, name))
        if v is None:
            raise r.fail(
                f"'{name}' needs a value: a tensor problem computes with numbers", (group, name)
            )
        if isinstance(v, str) and not _is_number(v):
            ties[name], out[name] = _tied(r, (group, name), v, known)
        else:
            out[name] = read_tensor(r, (group, name), v)
        known[name] = out[name]
    return out


def _tied(r: Reader, path: tuple, text: str, known: dict):
    """(the tree, its value) of a given value written as an expression of earlier ones."""
    from tutor.engine import rules
    from tutor.language.matrix_expr import parse
    from tutor.registry.ops import ShapeError

    field = ".".join(map(str, path))
    try:
        tree = parse(text, set(known))
    except ParseError as e:
        raise r.refuse(
            "field_unreadable", path, field=field, why=e.why(), where=e.where()
        ) from None
    try:
        shapes = rules.Shapes({n: np.shape(v) for n, v in known.items()})
        for op in tree.walk():  # the table's words for a misfit; no tensor past the bound
            if int(np.prod(shapes(op))) > MAX_ENTRIES:
                raise r.fail(f"'{path[-1]}' = {text}: more than {MAX_ENTRIES:,} numbers", path)
        with np.errstate(all="ignore"):
            value = np.asarray(rules.evaluate(tree, dict(known), None, {}), dtype=float)
    except (ShapeError, ValueError) as e:
        raise r.fail(f"'{path[-1]}' = {text}: {e}", path) from None
    if not np.all(np.isfinite(value)):
        raise r.fail(f"'{path[-1]}' = {text} is not finite", path)
    return tree, value


def _is_number(text: str) -> bool:
    if _DECIMAL.fullmatch(text.strip()):
        return True
    try:
        return read_number(text, light=True) is not None
    except ParseError:
        return False


def recompute_ties(problem: Problem, values: dict, keep: set = frozenset()) -> dict:
    """`values` (the given tensors by name) with each tied one computed again from the
    others, in the file's order; a name in `keep` (set by hand) keeps its value."""
    from tutor.engine import rules

    out = dict(values)
    for name, tree in problem.extra.get("ties", ()):
        if name not in keep:
            with np.errstate(all="ignore"):
                out[name] = np.asarray(rules.evaluate(tree, out, None, {}), dtype=float)
    return out


def _equations(r: Reader, leaf_names: list[str]) -> list[Equation]:
    src = r.mapping(("graph",))
    if not src:
        raise r.fail("the graph has no equations", ("graph",))
    if len(src) > MAX_NODES:  # before any is parsed
        raise r.fail(f"too many equations ({len(src):,}, at most {MAX_NODES:,})", ("graph",))
    from tutor.language.matrix_expr import parse

    names = set(leaf_names)
    for name in src:
        r.name(name, ("graph", name))
        if name in names:
            raise r.fail(f"'{name}' is both a given value and an equation", ("graph", name))
        names.add(name)
    equations = {}
    for name, text in src.items():
        path = ("graph", name)
        if not isinstance(text, str):
            raise r.fail(f"equation '{name}' must be one expression", path)
        try:
            tree = parse(text, names)
        except ParseError as e:
            raise r.refuse(
                "field_unreadable", path, field=f"graph.{name}", why=e.why(), where=e.where()
            ) from None
        equations[name] = Equation(name, text, tree, r.doc.line(path))
    return _ordered(r, equations)


def _ordered(r: Reader, equations: dict[str, Equation]) -> list[Equation]:
    """Topological order (a node after the nodes it reads), refusing cycles; a walk with
    its own stack, so a chain of any length is no deeper in Python than a short one."""
    order, state = [], {}  # state: 1 on the current path, 2 done
    reads = {n: sorted(eq.expr.names() & equations.keys()) for n, eq in equations.items()}
    for start in equations:
        if state.get(start):
            continue
        state[start] = 1
        path, stack = [start], [iter(reads[start])]
        while stack:
            dep = next(stack[-1], None)
            if dep is None:
                done = path.pop()
                stack.pop()
                state[done] = 2
                order.append(equations[done])
            elif state.get(dep) == 1:
                cycle = path[path.index(dep) :] + [dep]
                raise ProblemError(
                    "cycle in the graph: " + " -> ".join(cycle),
                    file=r.doc.file,
                    line=equations[dep].line,
                )
            elif not state.get(dep):
                state[dep] = 1
                path.append(dep)
                stack.append(iter(reads[dep]))
    return order


def problem_from_doc(doc) -> Problem:
    """The Problem of a tensor problem file (values as arrays, equations as op trees)."""
    from tutor.engine import tensor
    from tutor.problems.schema import TOP_KEYS, remarks_of

    r = Reader(doc)
    top = r.mapping((), TOP_KEYS)
    pid = r.name(r.string(("id",)), ("id",))
    if "graph" not in top:
        raise r.fail("a tensor problem needs a 'graph' (equations over its tensors)")
    if "quiz_view" in top:
        raise r.fail(
            "'quiz_view' is for network: files (a graph: file has one view)", ("quiz_view",)
        )
    if "random" in top:
        raise r.fail(
            "'random:' is for scalar problems; a tensor problem draws variants "
            "with --random itself",
            ("random",),
        )
    known: dict[str, np.ndarray] = {}
    ties: dict = {}
    groups = {g: _leaves(r, g, known, ties) for g in GROUPS}
    leaf_names = [n for g in groups.values() for n in g]
    if len(leaf_names) != len(set(leaf_names)):
        dup = next(n for n in leaf_names if leaf_names.count(n) > 1)
        raise r.fail(f"name '{dup}' is given twice")
    entries = sum(v.size for g in groups.values() for v in g.values())
    if entries > MAX_ENTRIES:
        raise r.fail(f"too many given numbers ({entries:,}, at most {MAX_ENTRIES:,})")
    graph = _equations(r, leaf_names)
    loss, asks = loss_of(r, graph), asks_of(r)
    check_counted(r, asks, graph, groups["params"])
    statement = r.text(("statement",))
    _check_placeholders(r, statement, set(leaf_names))
    update = _update(r, set(groups["params"])) if "update" in top else None
    problem = Problem(
        id=pid,
        title=r.text(("title",)),
        statement=statement,
        kind=r.string(("kind",), "tensor"),
        **groups,
        graph=tuple(graph),
        loss=loss,
        asks=asks,
        update=update,
        tolerance=float(r.number(("tolerance",))) if "tolerance" in top else None,
        source=_source(r),
        file=doc.file,
        extra={"tensor": True, "lines": _lines(r, groups), "ties": tuple(ties.items())},
    )
    values = tensor.forward(problem, problem.leaves)  # shapes checked here, with lines
    check_targets(problem)
    if values[loss].size != 1:
        raise r.fail(
            f"the loss '{loss}' must be one number, not a "
            f"{tensor.shape_text(values[loss].shape)} tensor (sum or mean it)",
            ("graph", loss),
        )
    published = _published(r, problem, values, Known(groups, graph, loss, update, asks))
    remarks = remarks_of(r, set(leaf_names) | {eq.name for eq in graph}, loss)
    return replace(problem, published=published, remarks=remarks)


def _lines(r: Reader, groups: dict) -> dict[str, int]:
    """The line of each given value (a target outside [0, 1] is refused there)."""
    return {
        name: line
        for group, values in groups.items()
        for name in values
        if (line := r.doc.key_line((group, name)) or r.doc.line((group, name)))
    }


def _published(r: Reader, problem: Problem, values: dict, known: Known) -> tuple:
    if "published" not in r.doc.data:
        return ()
    out = []
    for key, value in r.mapping(("published",)).items():
        path = ("published", key)
        line = r.doc.key_line(path) or r.doc.line(path)

        def fail(message, key=key, line=line):
            return ProblemError(f"published '{key}': {message}", file=r.doc.file, line=line)

        m = _KEY.fullmatch(key.strip())
        if m is None:
            raise fail(
                "write a name (z1), a gradient (dL/dW1), a value after the update "
                "(W1'), optionally with a 1-based index ([2,3])"
            )
        name = m["name"]
        if name not in values:
            raise fail(f"'{name}' is neither a given value nor a node")
        if m["of"] and m["after"]:
            raise fail("a gradient after the update is not computed")
        if m["of"] and m["of"] != problem.loss:
            raise fail(f"gradients are of the loss '{problem.loss}'")
        kind = "gradient" if m["of"] else "after" if m["after"] else "value"
        if kind == "after" and (problem.update is None or "update" not in problem.asks):
            raise fail("the problem has no update (add 'update:')")
        if kind == "after" and name not in known.updated() and name not in known.nodes:
            raise fail(f"'{name}' is not updated")
        shape = values[name].shape
        index = None
        if m["index"]:
            index = tuple(int(i) for i in m["index"].split(","))
            if len(index) != len(shape) or any(not 1 <= i <= n for i, n in zip(index, shape)):
                raise fail(
                    f"index [{m['index']}] is outside '{name}', a "
                    f"{'×'.join(map(str, shape)) or 'scalar'} tensor (1-based)"
                )
        expected = read_tensor(r, path, value)
        texts = _texts(value)
        if index is None:
            given = _published_shape(expected.shape, shape)
            if given:
                raise fail(
                    f"{given} given for '{name}', which is {_shape_words(shape)} "
                    "(write the rows as the tensor has them: a column vector as a flat list)"
                )
            expected = expected.reshape(shape)
            if texts.ndim:  # one number for a one-entry tensor stays as printed
                texts = texts.reshape(shape)
        elif expected.ndim:
            raise fail(f"one entry ([{m['index']}]) is one number")
        out.append(TensorPublished(key.strip(), kind, name, index, expected, texts, line))
    return tuple(out)


def _texts(value) -> np.ndarray:
    """A published value's entries as printed (the YAML's strings), in its nesting; a flat
    list a column, as `read_tensor` reads it. A string array, not an object array: its
    bytes are its text, so a problem is the same cache key however it was made."""
    if not isinstance(value, list):
        return np.array(str(value), dtype=str)
    flat = []

    def walk(v):
        if isinstance(v, list):
            for item in v:
                walk(item)
        else:
            flat.append(str(v))

    walk(value)
    texts = np.array(flat, dtype=str).reshape(_nesting(value))
    return texts.reshape(-1, 1) if texts.ndim == 1 else texts


def _nesting(value) -> tuple[int, ...]:
    shape = []
    while isinstance(value, list):
        shape.append(len(value))
        value = value[0]
    return tuple(shape)


def _published_shape(given: tuple, shape: tuple) -> str:
    """'' when a published value of shape `given` (as read: a flat list a column) is written
    as a tensor of `shape`, else what was given, in words: a number for any one-entry
    tensor, a flat list for a vector of any orientation the node has as a column or 1-D."""
    if given == shape:
        return ""
    if given == () and int(np.prod(shape)) == 1:
        return ""
    if len(given) == 2 and given[1] == 1 and shape in ((given[0],), (given[0], 1)):
        return ""
    return _shape_words(given)


def _shape_words(shape: tuple) -> str:
    if not shape:
        return "one number"
    return f"a {'×'.join(map(str, shape))} tensor"
