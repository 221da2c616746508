"""The questions of a problem: which quantities its solution asks for, in order.

Forward values (and the loss), then the parameters' gradients, then the updated parameters;
a symbolic problem asks for formulas (forward steps in the names known so far, gradients in
the given names and the nodes). Read from `engine.solve`'s Solution: nothing is computed here.
"""

from __future__ import annotations

from .model.quiz import Question
from .model.solution import Solution


def questions(solution: Solution) -> list[Question]:
    """Every quantity the problem asks: forward values, loss, parameter gradients, updates."""
    problem = solution.problem
    loss = problem.loss
    leaves = tuple(problem.leaves)
    out: list[Question] = []
    earlier: list[str] = []
    if problem.symbolic:
        if "forward" in problem.asks:
            for step in solution.forward:
                if step.name != loss:
                    out.append(Question(step.name, "forward", step.name, None, step.equation,
                                        leaves + tuple(earlier)))  # fmt: skip
                earlier.append(step.name)
        if "gradients" in problem.asks:
            nodes = tuple(s.name for s in solution.forward if s.name != loss)
            for g in solution.gradients:
                if g.wrt in problem.params and g.total is not None:
                    out.append(Question(f"d{loss}/d{g.wrt}", "gradient", g.wrt, None, g.total,
                                        leaves + nodes))  # fmt: skip
        return out
    if "forward" in problem.asks or "loss" in problem.asks:
        for step in solution.forward:
            if step.name == loss:
                out.append(Question(step.name, "loss", step.name, step.value))
            elif "forward" in problem.asks:
                out.append(Question(step.name, "forward", step.name, step.value))
    if "gradients" in problem.asks:
        for g in solution.gradients:
            if g.wrt in problem.params:
                out.append(Question(f"d{loss}/d{g.wrt}", "gradient", g.wrt, g.value))
    for u in solution.updates:
        out.append(Question(f"{u.name}'", "update", u.name, u.new))
    return out
