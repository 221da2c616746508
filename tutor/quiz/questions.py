"""The questions of a problem: which quantities its solution asks for, in backprop's order.

Forward values in topological order and the loss; then the deltas from the loss back
(∂L/∂ŷ, ∂L/∂h, ∂L/∂z...); then the parameters' gradients, output layer first; then each
layer's parameter count and the total, where the problem asks for them (`counting`); then the
updated parameters and the loss after the update (`L'`). A symbolic problem asks for
formulas (forward steps in the names known so far, gradients in the given names and the
nodes). `guided` adds, before each delta and gradient, the local factors it multiplies
(∂c/∂n for each consumer c), so that every row of the worked solution is asked before it is
shown. Read from `engine.solve`'s Solution: nothing is computed here.
"""

from __future__ import annotations

from dataclasses import replace

from tutor.model import Quantity
from tutor.model.quiz import Question
from tutor.model.solution import Solution


def depths(solution: Solution, consumers: dict[str, list[str]] | None = None) -> dict[str, int]:
    """How far each name is from the loss: the longest route through the graph (the loss 0,
    ŷ 1, h 2...): layers counted from the output."""
    loss = solution.problem.loss
    if consumers is None:
        consumers = _consumers(solution)
    depth: dict[str, int] = {loss: 0}
    for step in reversed(solution.forward):
        if step.name != loss:
            depth[step.name] = 1 + max(
                (depth[c] for c in consumers.get(step.name, ()) if c in depth), default=-1
            )
    for name in solution.problem.leaves:
        depth[name] = 1 + max((depth[c] for c in consumers.get(name, ()) if c in depth), default=-1)
    return depth


def _consumers(solution: Solution) -> dict[str, list[str]]:
    """name -> the nodes whose equation reads it (from the solution's local factors)."""
    out: dict[str, list[str]] = {}
    for of, wrt in solution.local:
        out.setdefault(wrt, []).append(of)
    return out


def questions(solution: Solution, graph=None, *, guided: bool = False) -> list[Question]:
    """Every quantity the problem asks, in backprop's order (see the module docstring)."""
    problem = solution.problem
    if graph is None:
        from tutor.engine import scalar as engine

        graph = engine.build_graph(problem)
    loss = problem.loss
    leaves = tuple(problem.leaves)
    consumers = _consumers(solution)
    depth = depths(solution, consumers)
    nodes = [s.name for s in solution.forward if s.name != loss]
    position = {name: i for i, name in enumerate(list(problem.params) + nodes)}
    out: list[Question] = []
    earlier: list[str] = []
    by_wrt = {g.wrt: g for g in solution.gradients}

    def backward_order(names):
        return sorted(names, key=lambda n: (depth.get(n, 0), position.get(n, 0)))

    symbolic = problem.symbolic
    if "forward" in problem.asks or "loss" in problem.asks:
        for step in solution.forward:
            if symbolic:
                if step.name != loss and "forward" in problem.asks:
                    out.append(
                        Question(
                            step.name,
                            "forward",
                            step.name,
                            None,
                            step.equation,
                            leaves + tuple(earlier),
                        )
                    )
            elif step.name == loss:
                out.append(Question(step.name, "loss", step.name, step.value))
            elif "forward" in problem.asks:
                out.append(Question(step.name, "forward", step.name, step.value))
            earlier.append(step.name)
    if "gradients" in problem.asks:
        names = leaves + tuple(nodes)
        asked_factors: set[tuple[str, str]] = set()

        def ask(name: str, kind: str) -> None:
            g = by_wrt.get(name)
            if g is None or (g.value if not symbolic else g.total) is None:
                return
            if guided:
                out.extend(_factors(solution, name, consumers, asked_factors, names))
            if symbolic:
                out.append(
                    Question(Quantity.gradient(loss, name).text, kind, name, None, g.total, names)
                )
            else:
                out.append(Question(Quantity.gradient(loss, name).text, kind, name, g.value))

        for name in backward_order(nodes):
            ask(name, "delta")
        for name in backward_order([p for p in problem.params if p in by_wrt]):
            ask(name, "gradient")
    out += _counts(problem)
    if solution.updates:
        order = backward_order([u.name for u in solution.updates])
        by_name = {u.name: u for u in solution.updates}
        for name in order:
            out.append(
                Question(
                    Quantity.of_value(name, after=True).text, "update", name, by_name[name].new
                )
            )
        if solution.loss_after is not None:
            out.append(
                Question(
                    Quantity.of_value(loss, after=True).text, "after", loss, solution.loss_after
                )
            )
    return [_tagged(q, solution, graph) for q in out]


def asked(problem, graph) -> list[Question]:
    """The questions `questions` asks of a solution of `problem` (not guided), without their
    answers, read from its graph alone (`engine.structure` will do): the keys, kinds and
    skills a review chooses problems by, with nothing solved. Which quantities are asked is
    the structure's: every node's value and delta, every parameter's gradient, each update
    and the loss after it; a symbolic problem's forward formulas, not its loss, and only the
    gradients written out as a sum of routes (at most `explain.PATH_LIMIT` of them)."""
    from tutor.engine.scalar import route_counts
    from tutor.solutions.explain import PATH_LIMIT

    loss = problem.loss
    out: list[Question] = []
    if "forward" in problem.asks or "loss" in problem.asks:
        for node in graph.nodes:
            if node.name == loss:
                if not problem.symbolic:
                    out.append(Question(loss, "loss", loss))
            elif "forward" in problem.asks:
                out.append(Question(node.name, "forward", node.name))
    if "gradients" in problem.asks:
        counts = route_counts(graph, loss)
        nodes = [(n.name, "delta") for n in graph.nodes if n.name != loss]
        for name, kind in nodes + [(p, "gradient") for p in problem.params]:
            if not problem.symbolic or counts[name] <= PATH_LIMIT:
                out.append(Question(Quantity.gradient(loss, name).text, kind, name))
    out += _counts(problem)
    rule = problem.update
    updated = (rule.params or tuple(problem.params)) if rule is not None else ()
    if updated and "update" in problem.asks and not problem.symbolic:
        for name in updated:
            out.append(Question(Quantity.of_value(name, after=True).text, "update", name))
        out.append(Question(Quantity.of_value(loss, after=True).text, "after", loss))
    facts = Solution(problem, (), None, {}, ())  # what `skills` reads of a solution
    return [_tagged(q, facts, graph) for q in out]


def _counts(problem) -> list[Question]:
    """Each layer's parameter count and the total, where the problem asks for them
    (`counting.asked`): after the gradients, before the update, as a statement says them."""
    from tutor.quiz import counting

    return [
        Question(key, counting.KIND, node, count) for key, node, count in counting.asked(problem)
    ]


def _factors(solution: Solution, name: str, consumers, asked: set, names) -> list[Question]:
    """The local factors ∂c/∂name a delta or gradient multiplies, not asked before; none for
    a name only the loss reads (its one factor is the delta itself)."""
    loss = solution.problem.loss
    readers = consumers.get(name, [])
    out = []
    for c in readers:
        if (c, name) in asked or (c == loss and len(readers) == 1):
            continue
        f = solution.local.get((c, name))
        if f is None:
            continue
        asked.add((c, name))
        if solution.problem.symbolic:
            out.append(
                Question(
                    Quantity("factor", (c, name)).text, "factor", name, None, f.expr, names, of=c
                )
            )
        else:
            out.append(Question(Quantity("factor", (c, name)).text, "factor", name, f.value, of=c))
    return out


def factor_question(
    solution: Solution, of: str, wrt: str, names=(), scaffold_of=None, graph=None
) -> Question:
    """The local factor ∂of/∂wrt as a question (scaffolding and guided mode)."""
    f = solution.local[(of, wrt)]
    if solution.problem.symbolic:
        q = Question(
            Quantity("factor", (of, wrt)).text,
            "factor",
            wrt,
            None,
            f.expr,
            tuple(names),
            of=of,
            scaffold_of=scaffold_of,
        )
    else:
        q = Question(
            Quantity("factor", (of, wrt)).text,
            "factor",
            wrt,
            f.value,
            of=of,
            scaffold_of=scaffold_of,
        )
    return _tagged(q, solution, graph)


def delta_question(
    solution: Solution, name: str, names=(), scaffold_of=None, graph=None
) -> Question:
    """∂L/∂name of a node as a question (scaffolding a gradient in the delta form)."""
    loss = solution.problem.loss
    g = next(g for g in solution.gradients if g.wrt == name)
    if solution.problem.symbolic:
        q = Question(
            Quantity.gradient(loss, name).text,
            "delta",
            name,
            None,
            g.total,
            tuple(names),
            scaffold_of=scaffold_of,
        )
    else:
        q = Question(
            Quantity.gradient(loss, name).text, "delta", name, g.value, scaffold_of=scaffold_of
        )
    return _tagged(q, solution, graph)


def _tagged(q: Question, solution: Solution, graph) -> Question:
    """The question with the skills it exercises (read off the graph: tutor/skills.py)."""
    from tutor.engine import scalar as engine
    from tutor.quiz import skills

    graph = graph if graph is not None else engine.build_graph(solution.problem)
    return replace(q, skills=skills.of_question(q, solution, graph))
