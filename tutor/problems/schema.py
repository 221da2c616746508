"""The schema of a problem file, shared by the scalar and the tensor readers (`loader`,
`matrix_loader`): its top-level keys, the `Reader` that reads each key with its line, numbers,
the published answers (`Known`), the update rule, what a problem asks, the targets of a
cross-entropy. Below both readers, so that neither imports the other's module to share it."""

from __future__ import annotations

import difflib
import keyword
import re
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from tutor.errors import ParseError, ProblemError, TutorError
from tutor.language.numerals import exact
from tutor.model import (
    Equation,
    Problem,
    Text,
    UpdateRule,
)
from tutor.problems.yamlsafe import MAX_NAME, Doc, load_yaml
from tutor.text.messages import Message

if TYPE_CHECKING:  # defined where only a `random:` block needs them
    pass


NAME = re.compile(rf"[A-Za-z][A-Za-z0-9_]{{0,{MAX_NAME - 1}}}")


TOP_KEYS = (
    "id",
    "kind",
    "title",
    "statement",
    "source",
    "inputs",
    "targets",
    "params",
    "constants",
    "graph",
    "network",
    "loss",
    "ask",
    "update",
    "published",
    "tolerance",
    "random",
    "remarks",
    "quiz_view",
)


GROUPS = ("inputs", "targets", "params", "constants")


ASKS = ("forward", "loss", "gradients", "update")  # what a problem asks unless `ask:` says
# what a problem asks only when its `ask:` lists it: "parameters", each layer's parameter count
# and the total (tutor/solutions/counts.py)
OPT_IN = ("parameters",)


UPDATE_KEYS = ("optimizer", "lr", "params", "momentum", "alpha", "beta1", "beta2", "eps", "l2")


MAX_NODES = 20_000


class Reader:
    """Typed access to one YAML document, with errors that point at file:line. A `light`
    reader (the sheet stage) gives numbers as Fractions and leaves the function registry
    (SymPy) alone: names are not checked against function names, nor activations."""

    def __init__(self, doc: Doc, light: bool = False):
        self.doc = doc
        self.light = light

    def fail(self, message: str, path: tuple = ()) -> ProblemError:
        return ProblemError(message, file=self.doc.file, line=self.doc.line(path) or 1)

    def refuse(self, key: str, path: tuple = (), **fields) -> ProblemError:
        """The error of the catalogue's `key` (tutor/text/problems.py) at `path`."""
        return ProblemError.keyed(key, file=self.doc.file, line=self.doc.line(path) or 1, **fields)

    def get(self, path: tuple):
        node = self.doc.data
        for key in path:
            node = node[key]
        return node

    def mapping(self, path: tuple, allowed: tuple | None = None) -> dict:
        value = self.get(path)
        if not isinstance(value, dict):
            raise self.refuse("field_mapping", path, field=_dotted(path))
        if allowed is not None:
            for key in value:
                if key not in allowed:
                    close = difflib.get_close_matches(key, allowed, n=1)
                    raise ProblemError.keyed(
                        "field_unknown_key_close" if close else "field_unknown_key",
                        file=self.doc.file,
                        line=self.doc.key_line(path + (key,)) or self.doc.line(path + (key,)),
                        name=key,
                        field=_dotted(path) or Message("the_problem"),
                        close=close[0] if close else "",
                    )
        return value

    def string(self, path: tuple, default: str | None = None) -> str:
        try:
            value = self.get(path)
        except (KeyError, IndexError):
            if default is None:
                raise self.refuse("field_missing", path[:-1], field=_dotted(path)) from None
            return default
        if not isinstance(value, str):
            raise self.refuse("field_single", path, field=_dotted(path))
        return value

    def text(self, path: tuple) -> Text:
        value = self.get(path) if _has(self.doc.data, path) else None
        if value is None:
            raise self.refuse("field_missing_text", path[:-1], field=_dotted(path))
        if isinstance(value, str):
            raise self.refuse("field_needs_both", path, field=_dotted(path))
        self.mapping(path, ("en", "zh"))
        return Text(self.string(path + ("en",)).strip(), self.string(path + ("zh",)).strip())

    def number(self, path: tuple):
        """An exact number written as an expression (`0.1`, `1/2`, `1e-3`, `-2`): a SymPy
        number, or a Fraction for a light reader."""
        text = self.string(path)
        try:
            value = read_number(text, self.light)
        except ParseError as e:
            raise self.refuse(
                "field_unreadable", path, field=_dotted(path), why=e.why(), where=""
            ) from None
        if value is None:
            raise self.refuse("field_not_number", path, field=_dotted(path), text=text)
        return value

    def expression(self, path: tuple, names: dict):
        from tutor.language.expr import parse

        text = self.string(path)
        try:
            return parse(text, names, max_length=20_000)
        except ParseError as e:
            raise self.refuse(
                "field_unreadable", path, field=_dotted(path), why=e.why(), where=e.where()
            ) from None

    def name(self, name: str, path: tuple) -> str:
        if len(name) > MAX_NAME:
            raise self.refuse("name_too_long", path, n=f"{len(name):,}", most=MAX_NAME)
        if not NAME.fullmatch(name) or keyword.iskeyword(name):
            raise self.refuse("name_not_identifier", path, name=name, most=MAX_NAME)
        if self.light:
            return name
        from tutor.registry.functions import CALLABLE

        if name in CALLABLE:
            raise self.refuse("name_is_function", path, name=name)
        return name


def read_number(text: str, light: bool = False):
    """The exact number `text` writes (`0.1`, `1/2`, `1e-3`, `-2`): a SymPy number, or a
    Fraction when `light`; None for an expression that is not a number (`x`, `sqrt(2)`).
    Raises ParseError for unreadable text. Plain arithmetic is read without SymPy."""
    value = exact(text)
    if value is not None:
        return value if light else _sympy_number(value)
    from tutor.language.expr import parse

    value = parse(text, {})
    if not value.is_Number:
        return None
    return Fraction(int(value.p), int(value.q)) if light else value


def _sympy_number(value: Fraction):
    import sympy as sp

    if value.denominator == 1:
        return sp.Integer(value.numerator)
    return sp.Rational(value.numerator, value.denominator)


def _has(data, path) -> bool:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return False
        data = data[key]
    return True


def _dotted(path: tuple) -> str:
    return ".".join(str(p) for p in path)


def read_text(file: str | Path) -> str:
    path = Path(file)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ProblemError("no such file", file=str(file)) from None
    except OSError as e:
        raise ProblemError(f"cannot read: {e.strerror}", file=str(file)) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ProblemError(f"not UTF-8 text (byte {e.start})", file=str(file)) from None


_DOCS: dict = {}  # (path, text) -> Doc: one command reads a file in stages, parsed once


def read_doc(file: str | Path, text: str | None = None) -> Doc:
    """The YAML document of a problem file (its `text`, when read already), parsed once per
    process for the same text: `solve` asks for the document, then its sheet, then its
    problem (a large network file takes a fifth of a second to parse). Keyed by the text
    itself, so an edited file is parsed again however quickly it changed."""
    text = read_text(file) if text is None else text
    key = (str(file), text)
    if key in _DOCS:
        return _DOCS[key]
    doc = load_yaml(text, str(file))
    if not isinstance(doc.data, dict):
        raise ProblemError("a problem file must be a mapping of keys", file=str(file), line=1)
    if len(_DOCS) >= 16:
        _DOCS.pop(next(iter(_DOCS)))
    _DOCS[key] = doc
    return doc


def check_targets(problem: Problem, fault=None) -> None:
    """A cross-entropy's targets are probabilities (the engines' `target_fault`, scalar or
    tensor): else a ProblemError at the target's line (the loss's when the file has none)."""
    if fault is None:
        if problem.tensor:
            from tutor.engine.tensor import target_fault
        else:
            from tutor.engine.scalar import target_fault
        fault = target_fault(problem)
    if fault is None:
        return
    from tutor.engine.tensor import _entry_name
    from tutor.text.notation import fmt

    name = fault.name
    shape = getattr(problem.leaves[name], "shape", ())
    what = f"target '{name}' of the {fault.kind} cross-entropy in '{fault.equation}'"
    if fault.fault == "outside":
        message = (
            f"{what} is a probability, from 0 to 1: {_entry_name(name, fault.index, shape)} = "
            f"{fmt(fault.value)} (outside [0, 1] the loss has no lower bound)"
        )
    elif fault.names:
        shown = ", ".join(f"'{n}'" for n in fault.names)
        message = (
            f"targets {shown} of the {fault.kind} cross-entropy in '{fault.equation}' are a "
            f"distribution: they sum to {fmt(fault.value)}, not 1 (a one-hot label, or "
            "probabilities that add up to 1)"
        )
    else:
        column = f"column {fault.index[0] + 1} of '{name}'" if shape[-1] > 1 else f"'{name}'"
        message = (
            f"{what} is a distribution: {column} sums to {fmt(fault.value)}, not 1 "
            "(a one-hot label, or probabilities that add up to 1)"
        )
    line = problem.extra.get("lines", {}).get(name) or _given_line(problem, name)
    line = line or next((e.line for e in problem.graph if e.name == fault.equation), None)
    raise ProblemError(message, file=problem.file or problem.id, line=line)


def _given_line(problem: Problem, name: str) -> int | None:
    """The line of a given value in the problem's file (read once per process), if any."""
    try:
        doc = read_doc(problem.file)
    except (TutorError, OSError):
        return None
    paths = [(group, name) for group in GROUPS]
    if name in problem.targets:
        paths.append(("network", "targets"))  # a network: file's targets, on one line
    return next((doc.key_line(p) for p in paths if doc.key_line(p)), None)


def loss_of(r: Reader, graph) -> str:
    """The `loss:` node (default: the last equation written), which must be a node."""
    loss = r.string(("loss",), list(r.mapping(("graph",)))[-1])
    if loss not in {eq.name for eq in graph}:
        raise r.fail(f"the loss '{loss}' is not a node of the graph", ("loss",))
    return loss


def remarks_of(r: Reader, names: set[str], loss: str, rename=None) -> tuple[tuple[str, Text], ...]:
    """`remarks:` a quantity (a name, `dL/dname`, `name'`) -> a text in en and zh, which the
    worked solution shows after that quantity's row and the quiz after its question.
    `rename(name)`: the name a view of a `network:` file uses for a name of its other view
    (W2 in the matrix view for W2_1_1, and W2_1_1, the first entry, for W2), or None."""
    if not _has(r.doc.data, ("remarks",)):
        return ()
    keys = r.mapping(("remarks",), None)
    out = []
    for key in keys:
        m = re.fullmatch(rf"(?:d{re.escape(loss)}/d)?({NAME.pattern})'?", str(key))
        if m is not None and m[1] not in names and rename is not None:
            other = rename(m[1])
            if other in names:
                text = r.text(("remarks", key))
                out.append((str(key)[: m.start(1)] + other + str(key)[m.end(1) :], text))
                continue
        if m is None or m[1] not in names:
            path = ("remarks", key)
            raise ProblemError.keyed(
                "remark_no_quantity",
                file=r.doc.file,
                line=r.doc.key_line(path) or r.doc.line(path) or 1,
                name=str(key)[:60],
            )
        out.append((str(key), r.text(("remarks", key))))
    return tuple(out)


def quiz_view_of(r: Reader, top) -> str | None:
    """`quiz_view:` the view `quiz` opens a `network:` file in (matrix or scalar; without
    it, scalar: one weight at a time). `solve` opens such a file as matrices already."""
    if "quiz_view" not in top:
        return None
    view = r.string(("quiz_view",))
    if "network" not in top:
        raise r.fail(
            "'quiz_view' is for network: files (a graph: file has one view)", ("quiz_view",)
        )
    if view not in ("matrix", "scalar"):
        raise r.fail(f"unknown quiz_view '{view}' (matrix or scalar)", ("quiz_view",))
    return view


def asks_of(r: Reader) -> tuple[str, ...]:
    """What the problem asks (`ask:`, default all of ASKS)."""
    if not _has(r.doc.data, ("ask",)):
        return tuple(ASKS)
    items = r.get(("ask",))
    if not isinstance(items, list) or not all(isinstance(a, str) for a in items):
        raise r.fail("'ask' must be a list such as [forward, loss, gradients, update]", ("ask",))
    known = ASKS + OPT_IN
    for i, a in enumerate(items):
        if a not in known:
            close = difflib.get_close_matches(a, known, n=1)
            key = "ask_unknown_close" if close else "ask_unknown"
            shown = a[:60]
            raise r.refuse(
                key, ("ask", i), name=shown, close=close[0] if close else "", known=", ".join(known)
            )
    return tuple(items)


def check_counted(r: Reader, asks: tuple[str, ...], graph, params) -> None:
    """`ask: [parameters]` needs a layer to count: an equation that reads a parameter."""
    if "parameters" not in asks:
        return
    names = set(params)
    for eq in graph:
        expr = eq.expr
        read = expr.names() if hasattr(expr, "names") else {s.name for s in expr.free_symbols}
        if read & names:
            return
    raise r.refuse("ask_nothing_counted", ("ask", list(r.get(("ask",))).index("parameters")))


def _check_placeholders(r: Reader, statement: Text, given: set[str]) -> None:
    """`{name}` in a statement must name a given value (its number is filled in when shown)."""
    from tutor.text.notation import placeholders

    for lang in ("en", "zh"):
        for name in placeholders(getattr(statement, lang)):
            if name not in given:
                raise r.fail(
                    f"statement ({lang}): '{{{name}}}' is not a given value (write "
                    f"{{{{ and }}}} for literal braces)",
                    ("statement", lang),
                )


def _source(r: Reader) -> Text:
    """Where the problem comes from: one text, or `{en: ..., zh: ...}` to translate it."""
    if not _has(r.doc.data, ("source",)):
        return Text("", "")
    if isinstance(r.get(("source",)), str):
        text = r.string(("source",))
        return Text(text, text)
    return r.text(("source",))


def _update(r: Reader, params: set[str]) -> UpdateRule:
    from tutor.registry.optim import unknown

    spec = r.mapping(("update",), UPDATE_KEYS)
    optimizer = r.string(("update", "optimizer"), "sgd")
    if unknown(optimizer):
        raise r.fail(unknown(optimizer), ("update", "optimizer"))
    lr = float(r.number(("update", "lr"))) if "lr" in spec else 0.1
    if not lr > 0:
        raise r.fail("'update.lr' must be a positive number", ("update", "lr"))
    names = None
    if "params" in spec:
        listed = r.get(("update", "params"))
        if not isinstance(listed, list):
            raise r.fail("'update.params' must be a list of parameter names", ("update", "params"))
        for i, n in enumerate(listed):
            if n not in params:
                raise r.fail(f"'{n}' is not a parameter", ("update", "params", i))
        names = tuple(listed)
    hyper = {
        k: float(r.number(("update", k)))
        for k in UPDATE_KEYS
        if k in spec and k not in ("optimizer", "lr", "params")
    }
    return UpdateRule(optimizer, lr, names, hyper)


class Known:
    """What a `published:` key may name: the problem's names, graph, loss and update."""

    def __init__(self, groups: dict, graph: list[Equation], loss: str, update, asks):
        self.leaves = {n: v for g in groups.values() for n, v in g.items()}
        self.params = set(groups["params"])
        self.nodes = {eq.name: eq for eq in graph}
        self.loss = loss
        self.update = update if "update" in asks else None
        self.symbolic = any(v is None for v in self.leaves.values())

    def updated(self) -> set[str]:
        if self.update is None:
            return set()
        return set(self.update.params or self.params)
