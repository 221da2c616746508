"""Problem files (YAML) to `Problem`: every key checked, every expression parsed once.

Scalars arrive as strings (see yamlsafe), so numbers go through the restricted expression
parser too: `1e-3`, `1/2` and `-0.5` all mean what they say. Errors name file and line.

Two stages share one reading of the keys, the given values and the statement: `load_sheet`
stops there (a `ProblemSheet`, what `show` prints: numbers as Fractions, no SymPy imported),
`load_problem` goes on to parse the equations and everything a command derives from.
"""

from __future__ import annotations

import difflib
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
)
from tutor.problems.schema import (  # noqa: F401 (read here and by importers of loader)
    _DOCS,
    ASKS,
    GROUPS,
    MAX_NODES,
    NAME,
    TOP_KEYS,
    UPDATE_KEYS,
    Known,
    Reader,
    _check_placeholders,
    _dotted,
    _given_line,
    _has,
    _source,
    _sympy_number,
    _update,
    asks_of,
    check_counted,
    check_targets,
    loss_of,
    quiz_view_of,
    read_doc,
    read_number,
    read_text,
    remarks_of,
)
from tutor.problems.yamlsafe import Doc

if TYPE_CHECKING:  # defined where only a `random:` block needs them
    from tutor.model.variation import Condition, Grid, RandomBlock

RANDOM_KEYS = ("inputs", "targets", "params", "constants", "values", "require", "cases", "tries")
GRID_KINDS = ("int", "range", "one_of", "value")
GRID_KEYS = GRID_KINDS + ("decimals", "nonzero")
MAX_TRIES = 1000
MAX_DECIMALS = 4
MAX_CHOICES = 100
MAX_CONDITIONS = 50
MAX_LEAVES = 200_000


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
    (`cache.cached_object`): a second run does not parse its YAML and equations again."""
    from tutor.cache import cached_object

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
        from tutor.registry import layers

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


def _entry_of(top):
    """A `network:` file's remark on a matrix (W2) is shown at its first entry (W2_1_1)."""
    if "network" not in top:
        return None
    from tutor.registry.layers import first_entry

    return first_entry


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
    quiz_view_of(r, top)  # checked here; `quiz` reads it
    check_counted(r, asks, graph, groups["params"])

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
        remarks=remarks_of(
            r, set(leaf_names) | {eq.name for eq in graph}, loss, rename=_entry_of(top)
        ),
    )
    check_targets(problem)
    return problem


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
    from tutor.language.expr import parse_condition
    from tutor.model.variation import Condition

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
    `{value: 1 - p1}` (a name's own grid only), each optionally with `nonzero`: a grid
    draws 0 only when asked (a one_of that lists 0, a range with `nonzero: false`)."""
    from tutor.language.expr import parse
    from tutor.model.variation import Grid

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
    nonzero = None  # unsaid: 0 only where the block asks for it (a one_of that lists it)
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
        return Grid("value", expr=expr, nonzero=nonzero is not False)
    items = r.get(path + (kind,))
    if not isinstance(items, list) or not items or len(items) > MAX_CHOICES:
        raise r.fail(f"'{where}.{kind}' must be a list of numbers", path + (kind,))
    numbers = [r.number(path + (kind, i)) for i in range(len(items))]
    if kind == "one_of":
        return Grid("one_of", choices=tuple(numbers), nonzero=bool(nonzero))
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
    if nonzero is None:  # a range draws 0 only when asked (nonzero: false), or holds only 0
        nonzero = not lo == 0 == hi
    return Grid(kind, lo, hi, decimals, nonzero=nonzero)


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
            from tutor.registry.layers import expression

            expr = expression(recipes[name], names)  # as parsing `text` would give
        else:
            expr = _generated(text, names)
        equations[name] = Equation(name, text, expr, r.doc.line(path))
    return _topological(r, equations)


def _generated(text: str, names: dict):
    from tutor.language.expr import parse

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
