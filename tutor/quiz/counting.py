"""The parameter-count questions of a problem whose `ask:` lists `parameters`: for each layer
(an equation that reads a parameter) how many parameters it has, then how many the network
has in all, the answers counted by `solutions.counts` from the problem itself. One module for
every kind of problem: the scalar `session.Session` (a scalar or `network:` file, a symbolic
one) and the tensor `matrix.Session` ask the same questions, with the same header, hints,
explanation, grading (a whole number, exactly) and miscounts; the skill is "param-count".
"""

from __future__ import annotations

from rich.text import Text as RichText

from tutor.model import Text
from tutor.model.quiz import Grade
from tutor.model.solution import ParamSize
from tutor.quiz import grading
from tutor.quiz.skills import PARAM_COUNT
from tutor.solutions.counts import parameter_counts
from tutor.text.messages import both, listed, say, separator
from tutor.text.notation import pretty_equation, pretty_name

KIND = "count"  # the kind and step of a count question
SKILLS = (PARAM_COUNT,)
TOTAL = ""  # the node of the total's question: no one layer


def key(node: str) -> str:
    """The question's key, as reports and the progress database keep it: `#params(z1)` for a
    layer, `#params` for the total (`#` is in no name, so no key of another question)."""
    return f"#params({node})" if node else "#params"


def asked(problem) -> list[tuple[str, str, int]]:
    """(key, node, count) of each count question, in order: each layer in the order of the
    graph, then the total; no total after a single layer (its count is the total). None
    unless the problem asks for `parameters`."""
    if "parameters" not in problem.asks:
        return []
    counts = parameter_counts(problem)
    out = [(key(layer.node), layer.node, layer.count) for layer in counts.layers]
    if len(counts.layers) > 1:
        out.append((key(TOTAL), TOTAL, counts.total))
    return out


def _read(problem, node: str) -> tuple[tuple[ParamSize, ...], int]:
    """The parameters a question counts (a layer's, or every one once) and their number."""
    counts = parameter_counts(problem)
    if node == TOTAL:
        return counts.params, counts.total
    layer = next(layer for layer in counts.layers if layer.node == node)
    return layer.params, layer.count


def equation(solution, node: str) -> str:
    """The layer's equation as the views show it: `z1 = conv2d_bias(x, K1, b1)`."""
    text = next((s.text for s in solution.forward if s.name == node), "")
    shown = f"{node} = {text}"
    return shown if solution.problem.tensor else pretty_equation(shown)


def header(solution, node: str, index: int, total: int, lang: str) -> RichText:
    """`[15/17] parameters  How many parameters does the layer z1 = ... have?`"""
    line = RichText(f"[{index}/{total}] ", style="dim")
    line.append(say(lang, "quiz_count"), style="bold")
    if node == TOTAL:
        line.append("  " + say(lang, "quiz_count_total"))
    else:
        line.append("  " + say(lang, "quiz_count_layer", layer=equation(solution, node)))
    return line


def _shape(p: ParamSize) -> str:
    return "×".join(map(str, p.shape)) or "1"


def _rule(problem, node: str, lang: str) -> str:
    """The first hint: the rule for this layer's kind. A convolution with its bias (f·(k·k·c
    + 1)), a matrix product with its bias ((n_in + 1)·n_out), any other tensor equation (an
    entry of each parameter), a scalar problem's equation (one number per parameter)."""
    if not problem.tensor:
        return say(lang, "quiz_count_rule_scalar")
    eq = next(eq for eq in problem.graph if eq.name == node)
    params = set(problem.params)
    read = eq.expr.names() & params
    kinds = [op.kind for op in eq.expr.walk()]
    if len(read) <= 2 and kinds.count("conv2d_bias") + kinds.count("conv2d") == 1:
        return say(lang, "quiz_count_rule_conv")
    weights = [
        op.args[0].name
        for op in eq.expr.walk()
        if op.kind == "matmul" and op.args[0].kind == "name" and op.args[0].name in params
    ]
    if len(weights) == 1 and len(read) <= 2 and kinds.count("matmul") == 1:
        return say(lang, "quiz_count_rule_dense")
    return say(lang, "quiz_count_rule")


def hints(problem, node: str, lang: str) -> list[str]:
    """The rungs: the rule (a layer's by its kind; the total: each parameter once), then the
    parameters it counts (a tensor's shapes, without their sizes; a scalar problem's names)."""
    params, _ = _read(problem, node)
    if node == TOTAL:
        rule = say(lang, "quiz_count_rule_total")
    else:
        rule = _rule(problem, node, lang)
    if problem.tensor:
        second = separator("semicolon", lang).join(f"{p.name}: {_shape(p)}" for p in params)
    elif node == TOTAL:
        second = listed((pretty_name(p.name) for p in params), lang)
    else:
        names = listed((pretty_name(p.name) for p in params), lang)
        second = say(lang, "quiz_count_reads", layer=pretty_name(node), names=names)
    return [rule, second]


def explanation(problem, node: str) -> str:
    """Why the count is what it is, the same in every language: `#params(z1) = #K1 + #b1 =
    2×1×2×2 + 2×1 = 8 + 2 = 10`; a scalar problem's `#params(z) = |{w1, w2, b1}| = 3`."""
    params, count = _read(problem, node)
    if not problem.tensor:
        names = ", ".join(pretty_name(p.name) for p in params)
        return f"{key(node)} = |{{{names}}}| = {count}"
    sides = [
        " + ".join(f"#{p.name}" for p in params),
        " + ".join(_shape(p) for p in params),
        " + ".join(str(p.size) for p in params),
        str(count),
    ]
    kept = [s for i, s in enumerate(sides) if i == 0 or s != sides[i - 1]]
    return " = ".join([key(node), *kept])


def mistakes(problem, node: str) -> list[tuple[str, int, Text | None]]:
    """The usual miscounts, (name, value, what it looks like): one parameter left out (named
    when no other parameter has its size), and in the total a parameter several layers share
    counted once per layer that reads it."""
    params, count = _read(problem, node)
    out: list[tuple[str, int, Text | None]] = []
    if len(params) > 1:
        by_size: dict[int, list[str]] = {}
        for p in params:
            by_size.setdefault(p.size, []).append(p.name)
        for size, names in by_size.items():
            detail = both("count_left_out", name=names[0], n=size) if len(names) == 1 else None
            out.append(("count-left-out", count - size, detail))
    counts = parameter_counts(problem)
    if node == TOTAL and counts.shared:
        over = sum(layer.count for layer in counts.layers)
        out.append(("count-shared", over, both("count_shared", names=", ".join(counts.shared))))
    return out


def grade(problem, node: str, typed: str) -> Grade:
    """A typed count against the layer's (or the total's): `10`, or `2*(2*2*1 + 1)`."""
    _, count = _read(problem, node)
    return grading.judge_count(typed, count, mistakes(problem, node))
