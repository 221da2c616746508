"""From the engine's facts to a worked solution: the step between solving and showing.

`solve` is what every view's caller uses (cli, quiz, export): the engine's Solution with
  - each gradient listed path by path when it has at most PATH_LIMIT routes to the loss,
    else as the delta recurrence (a display choice: how many paths a reader can follow);
  - derivatives in the form courses write them (`tidy`): one denominator, common factors
    out, no leading minus, (1 - a) rather than (a - 1);
  - each forward row with its numbers substituted (or the node in the given names);
  - the published answers checked (errata), a step after solving, not inside it.
It also holds the section plan that render (terminal) and export (Markdown) both follow.
"""

from __future__ import annotations

import re
from dataclasses import replace

from tutor.model import Problem
from tutor.model.solution import Factor, ForwardStep, Gradient, Path, Solution

PATH_LIMIT = 6  # more routes than this to the loss: show the delta recurrence instead

# --------------------------------------------------------------------------- the section plan

# a worked solution, in order; `sections` says which of them a solution has
SECTIONS = (
    "given",
    "forward",
    "loss",
    "deltas",
    "chains",
    "gradients",
    "parameters",
    "update",
    "after",
    "verdict",
    "notes",
    "errata",
)

# the given values' table: problem field -> role (a key of the messages catalogue)
ROLES = (("inputs", "input"), ("targets", "target"), ("params", "param"), ("constants", "constant"))

# an update's state columns in order; the optimizer's moments are the last six
STATE_KEYS = ("l2_term", "g", "buffer", "m", "v", "m_hat", "v_hat", "uncorrected")
MOMENTS = ("buffer", "m", "v", "m_hat", "v_hat", "uncorrected")


def sections(solution: Solution) -> tuple[str, ...]:
    """The sections of SECTIONS this solution shows, following `problem.asks`.

    "errata" is always there (a view says nothing when nothing was published); "deltas",
    each node's gradient from the loss back, when some parameter's chain starts from one.
    """
    p = solution.problem
    numeric = not p.symbolic
    gradients = "gradients" in p.asks  # forward-only problems (counts, closed forms) stop
    has = {
        "given": True,
        "forward": True,
        "loss": numeric and "loss" in p.asks,
        "deltas": gradients and any(g.delta_form for g in solution.gradients if g.wrt in p.params),
        "chains": gradients,
        "gradients": gradients and numeric,
        "parameters": "parameters" in p.asks,
        "update": bool(solution.updates),
        "after": bool(solution.updates),
        "verdict": bool(solution.updates),
        "notes": bool(solution.notes),
        "errata": True,
    }
    return tuple(s for s in SECTIONS if has[s])


def state_keys(solution: Solution) -> tuple[str, ...]:
    """The state columns the update table has (those its optimizer keeps), in order."""
    if not solution.updates:
        return ()
    return tuple(k for k in STATE_KEYS if k in solution.updates[0].state)


_ITEM = re.compile(r"\((\d{1,2}|[a-z]|[ivx]{1,4})\)\s|[-•]\s")


def reflow(text: str) -> str:
    """Join the hard-wrapped lines of a YAML block; keep (1), (2)..., bullets and blank lines
    apart. Chinese joins without a space, Chinese next to Latin text keeps one."""
    out: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or not out or _ITEM.match(line) or not out[-1]:
            out.append(line)
        else:
            a, b = out[-1][-1], line[0]
            tight = (_cjk(a) and _cjk(b)) or _cjk_punct(a) or _cjk_punct(b)
            out[-1] += ("" if tight else " ") + line
    return "\n".join(out)


def statement_text(problem: Problem, lang: str = "en") -> str:
    """The statement with its `{name}` placeholders filled from the problem's current given
    values (after `--set` or for a random variant), its hard-wrapped lines joined."""
    from tutor.text.notation import fill

    return reflow(fill(problem.statement.get(lang), problem.leaves))


def _cjk(c: str) -> bool:
    return 0x3000 <= ord(c) <= 0x9FFF or 0xFF00 <= ord(c) <= 0xFFEF


def _cjk_punct(c: str) -> bool:
    return 0x3000 <= ord(c) <= 0x303F or 0xFF00 <= ord(c) <= 0xFFEF


# --------------------------------------------------------------------------- solving


def solve(problem: Problem, *, rule=None, graph=None) -> Solution:
    """The worked solution every view shows: the engine's facts (`engine.solve`), then the
    display step (`shown`), then the published answers checked against it.

    Kept in the user's cache directory (`cache.cached_object`, keyed by the problem and
    the rule): a second run reads the SymPy work (derivatives, tidy forms, the symbolic
    cancel/factor, the errata's comparisons) instead of doing it again. `graph`, a graph of
    the same equations, only saves building it."""
    from tutor.cache import cached_object

    def make() -> Solution:
        from tutor.engine import scalar as engine
        from tutor.solutions.errata import check_all

        facts = engine.solve(problem, rule=rule, graph=graph, path_limit=PATH_LIMIT)
        solution = shown(facts)
        return replace(solution, checks=tuple(check_all(solution)))

    return cached_object("solution", (problem, rule, PATH_LIMIT), make)


def shown(solution: Solution) -> Solution:
    """The Solution with derivatives in their tidy form and forward rows substituted."""
    forms: dict = {}  # each local derivative is tidied once, however many paths use it

    def form(expr):
        if expr is None or expr.is_Atom:
            return expr
        if expr not in forms:
            forms[expr] = tidy(expr)
        return forms[expr]

    def factor(f: Factor) -> Factor:
        if f.upstream:
            return f
        tidied = form(f.expr)
        return f if tidied is f.expr else replace(f, expr=tidied)  # most are names: kept

    def path(p: Path) -> Path:
        factors = tuple(factor(f) for f in p.factors)
        same = all(a is b for a, b in zip(factors, p.factors))
        return p if same else Path(factors, p.value)

    def gradient(g: Gradient) -> Gradient:
        paths = tuple(path(p) for p in g.paths)
        total = tidy(g.total) if g.total is not None and g.total.free_symbols else g.total
        if total is g.total and all(a is b for a, b in zip(paths, g.paths)):
            return g
        return replace(g, paths=paths, total=total)

    return replace(
        solution,
        forward=tuple(_substituted(s) for s in solution.forward),
        forward_after=tuple(_substituted(s) for s in solution.forward_after),
        gradients=tuple(gradient(g) for g in solution.gradients),
        local={key: factor(f) for key, f in solution.local.items()},
    )


def _substituted(step: ForwardStep) -> ForwardStep:
    from tutor.text.notation import substitute, text

    if step.written is not None:
        return replace(step, substituted=text(step.written))
    return replace(step, substituted=substitute(step.text, step.inputs))


# --------------------------------------------------------------------------- tidy forms
# SymPy is imported where it is used: `bptutor list` reads the section plan's module too.


def tidy(expr):
    """A readable form of a derivative: one denominator, common factors out, no leading minus.

    e.g. 2·a - 2·y -> 2·(a - y) and -x1·(y - ŷ) -> x1·(ŷ - y). Cheap: no simplify().
    """
    import sympy as sp

    if any(p.exp.is_negative for p in expr.atoms(sp.Pow)):
        expr = _one_minus_form(sp.factor(sp.together(expr)))
    elif isinstance(expr, sp.Add):
        expr = sp.factor_terms(expr)
    if isinstance(expr, sp.Mul) and expr.args[0] == -1:
        sums = [a for a in expr.args[1:] if isinstance(a, sp.Add)]
        if len(sums) == 1:
            rest = [a for a in expr.args[1:] if a is not sums[0]]
            expr = sp.Mul(*rest, -sums[0])
    return expr


def _negated_sum(expr):
    """expr with the sign moved into its one sum factor (a - b -> b - a), else None."""
    import sympy as sp

    if isinstance(expr, sp.Add):
        return -expr
    if isinstance(expr, sp.Mul):
        sums = [a for a in expr.args if isinstance(a, sp.Add)]
        if len(sums) == 1:
            return sp.Mul(*[a for a in expr.args if a is not sums[0]], -sums[0])
    return None


def _one_minus_form(expr):
    """(y - ŷ)/(ŷ·(ŷ - 1)) -> (ŷ - y)/(ŷ·(1 - ŷ)): a denominator with (1 - a), as courses write."""
    import sympy as sp

    numerator, denominator = sp.fraction(expr)
    sums = [a for a in sp.Mul.make_args(denominator) if isinstance(a, sp.Add)]
    if len(sums) != 1 or not sums[0].as_coeff_Add()[0].is_negative:
        return expr
    top, bottom = _negated_sum(numerator), _negated_sum(denominator)
    if top is None or bottom is None:
        return expr
    return sp.Mul(top, sp.Pow(bottom, -1))


# --------------------------------------------------------------------------- errata of a file


def errata_of_file(ref) -> tuple:
    """The published values of a problem file (an id or a path) checked against the problem
    as the file states it: the list `check`, `solve` (every view and optimizer) and `export`
    show. A `network:` file is checked per weight, as its keys name them."""
    return solved(ref).checks


def solved(ref):
    """A problem's worked solution (a Solution, or a TensorSolution for a tensor file) with
    its published values checked: what `check` and `tutor.check` report. `ref` an id, a
    path, or a Problem as loaded."""
    from tutor.problems import catalog

    problem = ref if isinstance(ref, Problem) else catalog.load(str(ref))
    if problem.tensor:
        from tutor.engine import matrix_solve

        return with_errata(matrix_solve.solve(problem))
    return solve(problem, rule=problem.update)


def with_errata(solution, *, settings=None, rule_changed: bool = False):
    """The solution (scalar or tensor, any view) with its file's errata (`errata_of_file`): with
    `--set` none (the file's answers are for its own numbers); under another rule than the
    file's (`rule_changed`) the checks of the file's own update are listed, not marked beside
    this run's update. Marks of a `network:` file's weights name their tensor (`node`)."""
    if settings:
        return replace(solution, checks=())
    p = solution.problem
    tensor = not isinstance(solution, Solution)
    network = tensor and "network" in p.extra
    if not network and not rule_changed:
        # solved from the file as it is: its checks are the file's
        from tutor.solutions.errata import check_tensor

        return replace(solution, checks=check_tensor(solution)) if tensor else solution
    if p.file is None:  # built in memory: no file to read the answers from
        return with_errata(solution) if not network else replace(solution, checks=())
    if network:
        checks = _network_checks(solution)
    else:
        checks = errata_of_file(p.file)
    if rule_changed:
        checks = tuple(
            replace(c, shown=False)
            if c.quantity is not None and (c.quantity.optimizer or c.quantity.kind in _UPDATE)
            else c
            for c in checks
        )
    if tensor:
        checks = tuple(c if c.node else _with_node(c, solution) for c in checks)
    return replace(solution, checks=checks)


_UPDATE = ("after", "state")


def _network_checks(solution) -> tuple:
    """A `network:` file's checks in the matrix view: per weight, as its keys name them (the
    scalar engine's, the same list `--view scalar` and `check` show). A file that publishes
    nothing costs no per-weight solve (a 10-128-128-10 network would take seconds); one too
    large for equations per weight has the matrix view alone, checked by the tensor engine."""
    from tutor.errors import ProblemError
    from tutor.problems.loader import read_doc

    if not read_doc(solution.problem.file).data.get("published"):
        return ()
    try:
        return errata_of_file(solution.problem.file)
    except ProblemError:
        from tutor.solutions.errata import check_tensor

        return check_tensor(solution)


def _with_node(check, solution):
    """A per-weight check of a `network:` file with the tensor its weight is an entry of."""
    from tutor.problems.network import entry

    q = check.quantity
    if q is None or q.kind not in ("value", "gradient", "after") or q.optimizer:
        return check
    if q.name == solution.problem.loss:
        return replace(check, node=q.name)
    import numpy as np

    shapes = {n: np.shape(v) for n, v in solution.problem.leaves.items()}
    shapes.update({s.name: s.shape for s in solution.forward})
    found = entry(q.name, shapes)
    return check if found is None else replace(check, node=found[0])


# --------------------------------------------------------------------------- ReLUs after a step


def _relu_nodes(problem: Problem) -> list[str]:
    """The nodes that are a ReLU of something: `relu(z)` in a tensor problem's op tree or a
    scalar problem's SymPy equation (a `network:` file's units included)."""
    out = []
    for eq in problem.graph:
        if problem.tensor:  # an op tree
            kind = eq.expr.kind
        else:  # a SymPy expression (whose own `kind` is SymPy's NumberKind)
            kind = getattr(getattr(eq.expr, "func", None), "__name__", "")
        if kind == "relu":
            out.append(eq.name)
    return out


def inactive_units(solution) -> list[tuple[str, int, int, int]]:
    """After an update, the ReLU units the step left inactive (output 0: no gradient flows
    through them until an input changes): per ReLU node of a tensor problem, or all of a
    scalar problem's ReLU nodes together (node ""), as (node, inactive before, inactive
    after, units). Empty when nothing was updated or there is no ReLU. A count of values,
    not a derivative; the views say it after the loss before → after line."""
    after_steps = getattr(solution, "after", None) or getattr(solution, "forward_after", ())
    if not after_steps:
        return []
    before = {s.name: s.value for s in solution.forward}
    return count_inactive(solution.problem, before, {s.name: s.value for s in after_steps})


def count_inactive(
    problem: Problem, before: dict, after: dict, together: bool | None = None
) -> list[tuple[str, int, int, int]]:
    """`inactive_units`' rows from two forward passes' values by node (one step, or a whole
    training run: `playground.training.inactive_units`); `together`: one row for all the
    nodes (default: a scalar problem's units, which are one node each)."""
    import numpy as np

    names = _relu_nodes(problem)
    rows = []
    for name in names:
        if before.get(name) is None or after.get(name) is None:
            continue
        a, b = np.asarray(before[name], dtype=float), np.asarray(after[name], dtype=float)
        rows.append((name, int((a == 0).sum()), int((b == 0).sum()), int(a.size)))
    if rows and (not problem.tensor if together is None else together):
        return [("", sum(r[1] for r in rows), sum(r[2] for r in rows), sum(r[3] for r in rows))]
    return rows
