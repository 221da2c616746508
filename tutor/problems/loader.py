"""Problem files (YAML) to `Problem`: every key checked, every expression parsed once.

Scalars arrive as strings (see yamlsafe), so numbers go through the restricted expression
parser too: `1e-3`, `1/2` and `-0.5` all mean what they say. Errors name file and line.

Two stages share one reading of the keys, the given values and the statement: `load_sheet`
stops there (a `ProblemSheet`, what `show` prints: numbers as Fractions, no SymPy imported),
`load_problem` goes on to parse the equations and everything a command derives from.
"""

from __future__ import annotations

import difflib
import keyword
import re
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from tutor.errors import InputError, ParseError, ProblemError, TutorError
from tutor.model import (
    Equation,
    Problem,
    ProblemInfo,
    ProblemSheet,
    Published,
    Quantity,
    Text,
    UpdateRule,
)
from tutor.problems.numerals import exact
from tutor.problems.yamlsafe import MAX_NAME, Doc, load_yaml
from tutor.text.messages import Message

if TYPE_CHECKING:  # defined where only a `random:` block needs them
    from tutor.model.variation import Condition, Grid, RandomBlock

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
)
GROUPS = ("inputs", "targets", "params", "constants")
ASKS = ("forward", "loss", "gradients", "update")
UPDATE_KEYS = ("optimizer", "lr", "params", "momentum", "alpha", "beta1", "beta2", "eps", "l2")
RANDOM_KEYS = ("inputs", "targets", "params", "constants", "values", "require", "cases", "tries")
GRID_KINDS = ("int", "range", "one_of", "value")
GRID_KEYS = GRID_KINDS + ("decimals", "nonzero")
MAX_TRIES = 1000
MAX_DECIMALS = 4
MAX_CHOICES = 100
MAX_CONDITIONS = 50
MAX_NODES = 20_000
MAX_LEAVES = 200_000


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
        from tutor.problems.expr import parse

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
    from tutor.problems.expr import parse

    value = parse(text, {})
    if not value.is_Number:
        return None
    return Fraction(int(value.p), int(value.q)) if light else value


def set_values(problem: Problem | ProblemSheet, settings: list[str]) -> dict[str, dict]:
    """`--set NAME=VALUE` settings: the problem's groups of given values with some replaced,
    read as the loader reads them (Fractions for a sheet, SymPy numbers for a problem)."""
    light = isinstance(problem, ProblemSheet)
    changed = {g: dict(getattr(problem, g)) for g in GROUPS}
    for item in settings:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name or not text.strip():
            raise InputError(f"--set needs NAME=VALUE, not '{item}'")
        group = next((g for g in GROUPS if name in changed[g]), None)
        if group is None:
            known = ", ".join(problem.leaves)
            raise InputError(f"--set: '{name}' is not a given value of {problem.id} ({known})")
        try:
            value = read_number(text.strip(), light)
        except TutorError as e:
            why = e.why() if isinstance(e, ParseError) else e.message
            raise InputError.keyed("set_unreadable", name=name, why=why) from None
        if value is None:
            raise InputError(f"--set {name}: '{text.strip()}' is not a number")
        changed[group][name] = value
    return changed


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


def load_info(file: str | Path) -> ProblemInfo:
    """id, title, kind and asks only: what `list` needs, without touching SymPy."""
    r = Reader(read_doc(file))
    asks = r.get(("ask",)) if _has(r.doc.data, ("ask",)) else list(ASKS)
    tensor = has_tensors(r.doc.data)
    return ProblemInfo(
        r.string(("id",)),
        r.text(("title",)),
        r.string(("kind",), "tensor" if tensor else ""),
        tuple(a for a in asks if isinstance(a, str)) if isinstance(asks, list) else (),
        str(file),
    )


def has_tensors(data) -> bool:
    """A tensor problem's file (some given value is a list), told without NumPy: what
    `list` and `show` ask before choosing how to read it (tensor_loader.is_tensor_doc)."""
    return isinstance(data, dict) and any(
        isinstance(v, list)
        for g in GROUPS
        if isinstance(data.get(g), dict)
        for v in data[g].values()
    )


def load_problem(file: str | Path) -> Problem:
    """The Problem of a file, kept in the user's cache directory by the file's name and text
    (`codegen.cached_object`): a second run does not parse its YAML and equations again."""
    from tutor.engine.codegen import cached_object

    text = read_text(file)
    return cached_object(
        "problem", (str(file), text), lambda: problem_from_doc(read_doc(file, text))
    )


def load_sheet(file: str | Path) -> ProblemSheet:
    """The light stage: keys, id, given values (Fractions), title and statement with its
    placeholders checked; no equation is parsed and SymPy is not imported (`show`)."""
    r = Reader(read_doc(file), light=True)
    _, pid, groups, _ = _given(r)
    statement = _statement(r, groups)
    return ProblemSheet(
        pid, r.text(("title",)), statement, r.string(("kind",), ""), **groups, file=r.doc.file
    )


def _given(r: Reader) -> tuple[dict, str, dict[str, dict], dict | None]:
    """The stage both loaders share: the top-level keys, the id, and the given values by
    group (a `network:` expanded: its equations and loss come back too)."""
    top = r.mapping((), TOP_KEYS)
    pid = r.name(r.string(("id",)), ("id",))
    if "graph" not in top and "network" not in top:
        raise r.fail("a problem needs a 'graph' (equations) or a 'network' (layers)")
    if "graph" in top and "network" in top:
        raise r.fail("give either 'graph' or 'network', not both", ("network",))

    groups: dict[str, dict] = {}
    expanded = None
    if "network" in top:
        from tutor.problems import layers

        expanded = layers.expand(r, ("network",))
        groups = {g: expanded[g] for g in ("inputs", "targets", "params", "constants")}
    else:
        for group in ("inputs", "targets", "params", "constants"):
            groups[group] = _leaves(r, group) if group in top else {}
    leaf_names = [n for g in groups.values() for n in g]
    if len(leaf_names) != len(set(leaf_names)):
        dup = next(n for n in leaf_names if leaf_names.count(n) > 1)
        raise r.fail(f"name '{dup}' is given twice")
    if len(leaf_names) > MAX_LEAVES:
        raise r.fail(f"too many given values ({len(leaf_names)}, at most {MAX_LEAVES})")
    return top, pid, groups, expanded


def _statement(r: Reader, groups: dict[str, dict]) -> Text:
    statement = r.text(("statement",))
    _check_placeholders(r, statement, {n for g in groups.values() for n in g})
    return statement


def problem_from_doc(doc: Doc) -> Problem:
    from tutor.problems import matrix_loader as tensor_loader

    if tensor_loader.is_tensor_doc(doc.data):
        return tensor_loader.problem_from_doc(doc)
    r = Reader(doc)
    top, pid, groups, expanded = _given(r)
    leaf_names = [n for g in groups.values() for n in g]
    equations_src = expanded["graph"] if expanded else None
    default_loss = expanded["loss"] if expanded else None

    graph = _graph(r, leaf_names, equations_src)
    loss = default_loss if "network" in top else loss_of(r, graph)
    asks = asks_of(r)

    statement = _statement(r, groups)
    update = _update(r, set(groups["params"])) if "update" in top else None
    published = ()
    if "published" in top:
        published = _published(r, Known(groups, graph, loss, update, asks))

    problem = Problem(
        id=pid,
        title=r.text(("title",)),
        statement=statement,
        kind=r.string(("kind",), ""),
        inputs=groups["inputs"],
        targets=groups["targets"],
        params=groups["params"],
        constants=groups["constants"],
        graph=tuple(graph),
        loss=loss,
        asks=asks,
        update=update,
        published=published,
        tolerance=float(r.number(("tolerance",))) if "tolerance" in top else None,
        source=_source(r),
        file=doc.file,
        random=_random(r, groups, graph) if "random" in top else None,
    )
    check_targets(problem)
    return problem


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


def asks_of(r: Reader) -> tuple[str, ...]:
    """What the problem asks (`ask:`, default all of ASKS)."""
    if not _has(r.doc.data, ("ask",)):
        return tuple(ASKS)
    items = r.get(("ask",))
    if not isinstance(items, list) or not all(isinstance(a, str) for a in items):
        raise r.fail("'ask' must be a list such as [forward, loss, gradients, update]", ("ask",))
    for i, a in enumerate(items):
        if a not in ASKS:
            raise r.fail(f"unknown ask '{a}' (one of {', '.join(ASKS)})", ("ask", i))
    return tuple(items)


def _random(r: Reader, groups: dict, graph: list[Equation]) -> RandomBlock:
    """The `random:` block (docs/format.md, "Random variants"): grids per group and per name,
    conditions in the problem's names, a bound on the draws."""
    from tutor.model.variation import RandomBlock
    from tutor.registry.functions import symbol

    path = ("random",)
    spec = r.mapping(path, RANDOM_KEYS)
    leaves = {n: symbol(n) for g in groups.values() for n in g}
    block_groups = {g: _grid(r, path + (g,), leaves) for g in groups if g in spec}
    grids = {}
    if "values" in spec:
        for name in r.mapping(path + ("values",)):
            if name not in leaves:
                raise r.fail(f"random: '{name}' is not a given value", path + ("values", name))
            grids[name] = _grid(r, path + ("values", name), leaves, own=name)
    derived = {n for n, g in grids.items() if g.kind == "value"}
    for name, g in grids.items():
        used = {s.name for s in g.expr.free_symbols} if g.kind == "value" else set()
        if used & derived:
            raise r.fail(
                f"random: '{name}' is computed from '{sorted(used & derived)[0]}', "
                "which is computed too: use drawn values only",
                path + ("values", name),
            )
    names = {**leaves, **{eq.name: symbol(eq.name) for eq in graph}}
    require = _conditions(r, path + ("require",), names) if "require" in spec else ()
    cases = []
    if "cases" in spec:
        items = r.get(path + ("cases",))
        if not isinstance(items, list) or not items or len(items) > MAX_CONDITIONS:
            raise r.fail(
                "'random.cases' must be a list of conditions (or lists of them), "
                "taken in turn by seed",
                path + ("cases",),
            )
        cases = [_conditions(r, path + ("cases", i), names) for i in range(len(items))]
    tries = 200
    if "tries" in spec:
        number = r.number(path + ("tries",))
        if not number.is_Integer or not 1 <= number <= MAX_TRIES:
            raise r.fail(
                f"'random.tries' must be a whole number from 1 to {MAX_TRIES}", path + ("tries",)
            )
        tries = int(number)
    return RandomBlock(
        grids, block_groups, require, tuple(cases), tries, r.doc.key_line(path) or r.doc.line(path)
    )


def _conditions(r: Reader, path: tuple, names: dict) -> tuple[Condition, ...]:
    """One condition (`z > 0`) or a list of them."""
    items = r.get(path)
    if isinstance(items, str):
        return (_condition(r, path, items, names),)
    if not isinstance(items, list) or len(items) > MAX_CONDITIONS:
        raise r.fail(
            f"'{_dotted(path)}' must be a condition such as 'z > 0' or a list of "
            f"them (at most {MAX_CONDITIONS})",
            path,
        )
    return tuple(_condition(r, path + (i,), text, names) for i, text in enumerate(items))


def _condition(r: Reader, path: tuple, text, names: dict) -> Condition:
    from tutor.model.variation import Condition
    from tutor.problems.expr import parse_condition

    if not isinstance(text, str):
        raise r.fail("a condition is one line such as 'z > 0'", path)
    try:
        parts = parse_condition(text, names)
    except ParseError as e:
        raise r.refuse(
            "condition_unreadable",
            path,
            field=_dotted(path[:2]),
            text=text,
            why=e.why(),
            where=e.where(),
        ) from None
    return Condition(text.strip(), parts, r.doc.line(path))


def _grid(r: Reader, path: tuple, leaves: dict, own: str | None = None) -> Grid:
    """`keep`, `{int: [-3, 3]}`, `{range: [0, 1], decimals: 1}`, `{one_of: [0, 1]}` or
    `{value: 1 - p1}` (a name's own grid only), each optionally with `nonzero: true`."""
    from tutor.model.variation import Grid
    from tutor.problems.expr import parse

    where = _dotted(path)
    value = r.get(path)
    if value == "keep":
        return Grid("keep")
    if not isinstance(value, dict):
        raise r.fail(f"'{where}' must be keep or a grid such as {{int: [-3, 3]}}", path)
    spec = r.mapping(path, GRID_KEYS)
    kinds = [k for k in GRID_KINDS if k in spec]
    if len(kinds) != 1:
        raise r.fail(f"'{where}' needs exactly one of {', '.join(GRID_KINDS)}", path)
    kind = kinds[0]
    if "decimals" in spec and kind != "range":
        raise r.fail(f"'{where}': decimals go with range", path + ("decimals",))
    nonzero = False
    if "nonzero" in spec:
        flag = r.string(path + ("nonzero",))
        if flag not in ("true", "false"):
            raise r.fail(f"'{where}.nonzero' must be true or false", path + ("nonzero",))
        nonzero = flag == "true"
    if kind == "value":
        if own is None:
            raise r.fail(f"'{where}': a computed value belongs to one name (under values:)", path)
        try:
            expr = parse(r.string(path + ("value",)), {n: s for n, s in leaves.items() if n != own})
        except ParseError as e:
            raise r.refuse(
                "field_unreadable", path + ("value",), field=f"{where}.value", why=e.why(), where=""
            ) from None
        return Grid("value", expr=expr)
    items = r.get(path + (kind,))
    if not isinstance(items, list) or not items or len(items) > MAX_CHOICES:
        raise r.fail(f"'{where}.{kind}' must be a list of numbers", path + (kind,))
    numbers = [r.number(path + (kind, i)) for i in range(len(items))]
    if kind == "one_of":
        return Grid("one_of", choices=tuple(numbers), nonzero=nonzero)
    if len(numbers) != 2 or numbers[0] > numbers[1]:
        raise r.fail(f"'{where}.{kind}' must be [low, high] with low <= high", path + (kind,))
    lo, hi = numbers
    decimals = 0
    if kind == "int":
        if not (lo.is_Integer and hi.is_Integer):
            raise r.fail(f"'{where}.int' must be whole numbers", path + (kind,))
    else:
        decimals_number = r.number(path + ("decimals",)) if "decimals" in spec else 1
        if not (
            getattr(decimals_number, "is_Integer", True) and 0 <= decimals_number <= MAX_DECIMALS
        ):
            raise r.fail(
                f"'{where}.decimals' must be a whole number from 0 to {MAX_DECIMALS}",
                path + ("decimals",),
            )
        decimals = int(decimals_number)
    steps = (hi - lo) * 10**decimals
    if steps > 10**9:
        raise r.fail(f"'{where}': the range holds too many values", path + (kind,))
    if nonzero and lo == 0 == hi:
        raise r.fail(f"'{where}': only 0 lies in the range, but nonzero is asked", path)
    return Grid(kind, lo, hi, decimals, nonzero=nonzero)


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


def _leaves(r: Reader, group: str) -> dict:
    """`{x1: 1, x2: 2}`, or `[x1, x2]` / `{x1: ~}` for names without values (symbolic)."""
    value = r.get((group,))
    if value is None:
        return {}
    if isinstance(value, list):
        out = {}
        for i, name in enumerate(value):
            if not isinstance(name, str):
                raise r.fail(f"'{group}' lists names", (group, i))
            out[r.name(name, (group, i))] = None
        return out
    out = {}
    for name, v in r.mapping((group,)).items():
        r.name(name, (group, name))
        out[name] = None if v is None else r.number((group, name))
    return out


def _graph(r: Reader, leaf_names: list[str], generated) -> list[Equation]:
    """Parse every equation with the known names, then order them, refusing cycles."""
    if generated is None:
        src = r.mapping(("graph",))
        items = [(name, text, ("graph", name)) for name, text in src.items()]
        recipes = {}
    else:
        items = [(name, text, ("network",)) for name, text, _ in generated]
        recipes = {name: recipe for name, _, recipe in generated if recipe is not None}
    if not items:
        raise r.fail("the graph has no equations", ("graph",))
    if len(items) > MAX_NODES:
        raise r.fail(f"too many equations ({len(items):,}, at most {MAX_NODES:,})", ("graph",))
    from tutor.registry.functions import symbol

    names = {n: symbol(n) for n in leaf_names}
    for name, _, path in items:
        r.name(name, path)
        if name in names:
            raise r.fail(f"'{name}' is both a given value and an equation", path)
        names[name] = symbol(name)
    equations = {}
    for name, text, path in items:
        if not isinstance(text, str):
            raise r.fail(f"equation '{name}' must be one expression", path)
        if generated is None:
            expr = r.expression(path, names)
        elif name in recipes:
            from tutor.problems.layers import expression

            expr = expression(recipes[name], names)  # as parsing `text` would give
        else:
            expr = _generated(text, names)
        equations[name] = Equation(name, text, expr, r.doc.line(path))
    return _topological(r, equations)


def _generated(text: str, names: dict):
    from tutor.problems.expr import parse

    return parse(text, names, max_length=1_000_000)


def _topological(r: Reader, equations: dict[str, Equation]) -> list[Equation]:
    order: list[Equation] = []
    state: dict[str, int] = {}  # 1: on the stack, 2: done

    def deps(eq: Equation) -> list[str]:
        return sorted(s.name for s in eq.expr.free_symbols if s.name in equations)

    for start in equations:
        if state.get(start):
            continue
        stack = [(start, iter(deps(equations[start])))]
        state[start] = 1
        while stack:
            name, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                stack.pop()
                state[name] = 2
                order.append(equations[name])
            elif state.get(nxt) == 1:
                cycle = [n for n, _ in stack]
                cycle = cycle[cycle.index(nxt) :] + [nxt]
                raise ProblemError(
                    "cycle in the graph: " + " -> ".join(cycle),
                    file=r.doc.file,
                    line=equations[nxt].line,
                )
            elif not state.get(nxt):
                state[nxt] = 1
                stack.append((nxt, iter(deps(equations[nxt]))))
    return order


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


def _published(r: Reader, known: Known) -> tuple[Published, ...]:
    out = []
    for quantity, value in r.mapping(("published",)).items():
        path = ("published", quantity)
        line = r.doc.key_line(path) or r.doc.line(path)
        try:
            key = Quantity.parse(quantity, known.loss)
        except ValueError as e:
            raise ProblemError(f"published: {e}", file=r.doc.file, line=line) from None
        problem = _not_computed(key, known)
        if problem:
            raise ProblemError(f"published '{quantity}': {problem}", file=r.doc.file, line=line)
        texts = value if isinstance(value, list) else [value]
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise r.fail(f"published '{quantity}' must be a value as printed", path)
            at = r.doc.line(path + (i,)) if isinstance(value, list) else r.doc.line(path)
            out.append(Published(key, text, at))
    return tuple(out)


def _not_computed(q: Quantity, known: Known) -> str | None:
    """Why the engine does not compute `q` for this problem (None: it does). Structural: the
    names exist, a factor is an edge of the graph, updates and states need an update."""
    from tutor.registry.optim import SHOWN, unknown

    def missing(name: str) -> str | None:
        if name in known.leaves or name in known.nodes:
            return None
        close = difflib.get_close_matches(name, [*known.leaves, *known.nodes], n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"'{name}' is neither a given value nor a node{hint}"

    for name in q.names:
        if missing(name):
            return missing(name)
    if q.optimizer:
        if unknown(q.optimizer):
            return unknown(q.optimizer)
        if q.kind not in ("after", "state"):
            return f"'{q.optimizer}:' names another optimizer's update or state (w1', m[w1])"
    if q.kind == "value":
        if q.name in known.leaves and known.leaves[q.name] is None:
            return f"'{q.name}' has no given value"
        return None
    if q.kind == "gradient":
        if known.symbolic and q.name not in known.params and q.name not in known.nodes:
            return "a problem without numbers derives gradients of parameters and nodes only"
        return None
    if q.kind == "factor":
        of, wrt = q.names
        eq = known.nodes.get(of)
        if eq is None:
            return f"'{of}' is a given value: a local factor d(of)/d(wrt) needs a node 'of'"
        if wrt not in {s.name for s in eq.expr.free_symbols}:
            return f"'{wrt}' does not appear in the equation of '{of}': not an edge of the graph"
        return None
    # after the update, or the optimizer's state: the problem must ask for an update
    if known.update is None:
        return "the problem has no update (add 'update:' and ask for it)"
    if q.kind == "after":
        if q.name in known.updated() or (q.name in known.nodes and not q.optimizer):
            return None
        return f"'{q.name}' is not updated (a parameter the update changes, or a node)"
    optimizer = q.optimizer or known.update.optimizer
    slots = set(SHOWN.get(optimizer, {}).values()) | (
        {"uncorrected"} if optimizer == "adam" else set()
    )
    if q.slot not in slots:
        have = ", ".join(sorted(slots)) or "none"
        return f"{optimizer} keeps no '{q.slot}' (its state: {have})"
    if q.name not in known.updated():
        return f"'{q.name}' is not a parameter the update changes"
    return None


def warnings(problem: Problem) -> list[str]:
    """What `validate` warns about (the file still loads): a parameter neither an equation
    reads nor the statement shows, probably a typo. Each as `file:line: message`."""
    from tutor.text.notation import placeholders

    used = {s.name for eq in problem.graph for s in eq.expr.free_symbols}
    for lang in ("en", "zh"):
        used.update(placeholders(getattr(problem.statement, lang) or ""))
    unused = [p for p in problem.params if p not in used]
    if not unused:
        return []
    try:
        doc = read_doc(problem.file)
    except ProblemError:
        doc = None
    out = []
    for name in unused:
        line = doc and (doc.key_line(("params", name)) or doc.line(("params",)))
        where = f"{problem.file}:{line}: " if line else f"{problem.file}: "
        out.append(
            f"{where}parameter '{name}' is not used by any equation nor shown in the statement"
        )
    return out
