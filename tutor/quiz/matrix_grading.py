"""Grading a typed tensor answer: element-wise, each entry with the usual tolerance.

    from tutor.language.answers import read
    judge(read("[0.1, 0.2]"), np.array([[0.1], [0.2]])).verdict         # "right"

Each entry is compared as `grading.judge_number` compares one number: its own typed figures
set its tolerance (`grading.tolerance`), or the problem's relative tolerance. A wrong answer
is checked, in order, against the student's own earlier answers carried forward (verdict
"carried", half credit), the alternatives a question carries (the classic mistakes: ⊙ f′ left
out, W instead of Wᵀ, summed over the batch...), the transpose of the expected value, a wrong
sign; an answer of another shape that matches none of these is told the expected shape.
Verdicts and credit are the scalar quiz's (tutor/model/quiz.Grade).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from fractions import Fraction

import numpy as np

from tutor.language.answers import AnswerError, TensorAnswer, shape_text, written
from tutor.model import Text
from tutor.model.quiz import Grade
from tutor.quiz import grading
from tutor.quiz.diagnosis import SAME, named
from tutor.text.messages import both
from tutor.text.notation import fmt

Alternative = tuple  # (mistake key, array[, detail Text])


def invalid(error: AnswerError) -> Grade:
    """An unreadable answer: one line with the column; not graded, not a try."""
    return grading.unreadable(error)


def mistake_text(mistake: str, expected_shape=(), got_shape=(), n: int = 0) -> Text:
    """What a mistake on a tensor looks like: its `tensor_mistake_` words where the tensor
    quiz has its own, else the scalar quiz's (`looks like` + `mistake_<key>`)."""
    from tutor.text.messages import MESSAGES, Message

    key = f"tensor_mistake_{mistake}"
    if key not in MESSAGES:
        return both("looks_like", what=Message(f"mistake_{mistake}"))

    def shape(value):  # a tensor of no axes in each language's word: scalar, 标量
        return Message("scalar") if not tuple(value) else shape_text(value)

    return both(key, e=shape(expected_shape), g=shape(got_shape), n=n)


def compatible(got: tuple, expected: tuple) -> bool:
    """Shapes compared as the same: equal, both one number, or a map written without its
    size-1 axes (a 1×3×3 map as a 3×3 matrix)."""
    if got == expected:
        return True
    if int(np.prod(got)) == 1 and int(np.prod(expected)) == 1:
        return True
    if max(len(got), len(expected)) > 2:
        return tuple(n for n in got if n != 1) == tuple(n for n in expected if n != 1)
    return False


def _exacts(target: np.ndarray) -> list[Fraction | None]:
    return [grading.exact_fraction(v) for v in np.asarray(target, dtype=float).reshape(-1)]


def _matches(answer: TensorAnswer, target, tolerance) -> bool:
    """Every entry of `answer` within its tolerance of `target`'s (shapes compatible)."""
    if target is None:
        return False
    target = np.asarray(target, dtype=float)
    if not compatible(answer.shape, target.shape):
        return False
    for value, typed, exact in zip(answer.values, answer.texts, target.reshape(-1).tolist()):
        # a float exact value: `within` makes it a fraction only when it must look closer
        if not math.isfinite(exact) or not grading.within(value, typed, exact, tolerance):
            return False
    return True


def _differs(a, b, tolerance) -> bool:
    """Whether the arrays `a` and `b` differ beyond the tolerance (of b, as exact decimals)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape and not compatible(a.shape, b.shape):
        return True
    tol = grading.REL_TOL if tolerance is None else Fraction(repr(float(tolerance)))
    for x, y in zip(a.reshape(-1), b.reshape(-1)):
        fx, fy = grading.exact_fraction(x), grading.exact_fraction(y)
        if fx is None or fy is None:
            return True
        if abs(fx - fy) > max(tol * abs(fy), grading.ABS_FLOOR):
            return True
    return False


def _shown(expected: np.ndarray) -> str:
    return written(expected)


def _answer_block(expected: np.ndarray) -> str:
    """The answer as shown after grading: inline, a matrix one row a line under it."""
    e = np.asarray(expected, dtype=float)
    if e.ndim == 2 and e.shape[0] > 1 and e.shape[1] > 1:
        cells = [[fmt(float(v), 4, group=False) for v in row] for row in e]
        width = max(len(c) for row in cells for c in row)
        rows = ["  [" + "  ".join(c.rjust(width) for c in row) + "]" for row in cells]
        return "\n" + "\n".join(rows)
    return " " + written(e)


def _right(expected: np.ndarray, answer: TensorAnswer) -> Grade:
    shown = _shown(expected)
    warning = None
    early = float(grading.EARLY_ROUNDING)
    for value, entry in zip(answer.values, np.asarray(expected, dtype=float).reshape(-1).tolist()):
        try:
            if abs(float(value) - entry) <= early * abs(entry) / 2:
                continue  # far inside: no fraction needed
        except OverflowError:  # beyond a float: the fractions below decide
            pass
        exact = grading.exact_fraction(entry)
        if exact is not None and abs(value - exact) > grading.EARLY_ROUNDING * abs(exact):
            warning = both("grade_early_entries")
            break
    return Grade("right", both("grade_right", shown=shown), shown, 1.0, warning=warning)


def _wrong(expected: np.ndarray, diagnosis: Text, mistake: str | None) -> Grade:
    block = _answer_block(expected)
    return Grade(
        "wrong",
        both("grade_answer_block", why=diagnosis, block=block),
        _shown(expected),
        mistake=mistake,
        diagnosis=diagnosis,
    )


def _off(answer: TensorAnswer, expected: np.ndarray, tolerance) -> Text:
    """`not quite: 2 of 12 entries are off (the first at [2,1])`."""
    off = []
    shape = expected.shape or (1,)
    for i, (value, typed, exact) in enumerate(zip(answer.values, answer.texts, _exacts(expected))):
        if exact is None or not grading.within(value, typed, exact, tolerance):
            off.append(i)
    if not expected.shape or expected.size == 1:
        return both("grade_not_quite")
    where = ",".join(str(k + 1) for k in np.unravel_index(off[0], shape))
    key = "grade_entry_off" if len(off) == 1 else "grade_entries_off"
    return both(key, n=len(off), size=expected.size, at=where)


def _too_few_figures(answer: TensorAnswer, expected: np.ndarray, tolerance) -> Grade | None:
    """Every entry right, or correctly rounded to too few figures for the tolerance (at least
    one): undecided, type again with more figures. None otherwise."""
    short: list[tuple[int, int]] = []
    for value, typed, exact in zip(answer.values, answer.texts, _exacts(expected)):
        if exact is None:
            return None
        if grading.within(value, typed, exact, tolerance):
            continue
        figures = grading.figures(typed)
        if figures is None or figures[1] == 0 or abs(value - exact) > figures[0]:
            return None
        needed = grading.figures_needed(exact, tolerance)
        if needed is None or needed <= figures[1]:
            return None
        short.append((figures[1], needed))
    if not short:
        return None
    given, needed = min(g for g, _ in short), max(n for _, n in short)
    key = "grade_figures_each_one" if given == 1 else "grade_figures_each"
    return Grade("undecided", both(key, given=given, needed=needed), reason="figures")


def _same(a, b) -> bool:
    """Two candidate arrays equal up to a float's rounding (one computation described twice)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=SAME, atol=1e-300))


def judge(
    answer: TensorAnswer,
    expected,
    *,
    tolerance=None,
    carried: Callable[[], np.ndarray | None] | None = None,
    alternatives: Iterable[Alternative] = (),
    batch: int = 0,
    summed: int = 0,
    halved: bool = False,
) -> Grade:
    """The verdict on a read answer against the expected array.

    tolerance: relative, per problem (None: each entry's typed figures decide).
    carried: gives the value recomputed from the student's own earlier answers (None: none).
    alternatives: (mistake, array[, detail Text]) of the generated mistakes, most specific
    first; `batch`: the count n the loss averages over (its 1/n left out: ×n; 0: none);
    `summed`: the samples N a loss that sums adds (averaged instead: ÷N; 0: none); `halved`:
    a loss or gradient of a half squared error (its factor 2 named "factor2-half"). A mistake
    is named when the answer matches it and no other candidate (`diagnosis.named`).
    """
    expected = np.asarray(expected, dtype=float)
    if _matches(answer, expected, tolerance):
        return _right(expected, answer)
    own = carried() if carried is not None else None
    if own is not None and _differs(own, expected, tolerance) and _matches(answer, own, tolerance):
        shown = _shown(expected)
        return Grade(
            "carried",
            both("grade_carried_tensor", shown=shown),
            shown,
            grading.CARRIED_CREDIT,
        )
    candidates = list(alternatives)
    if batch > 1:
        candidates.append(("batch-sum", expected * batch, mistake_text("batch-sum", n=batch)))
    if summed > 1:
        candidates.append(("batch-mean", expected / summed, mistake_text("batch-mean", n=summed)))
    if expected.ndim == 2:
        candidates.append(("transposed", expected.T))
    candidates.append(("sign", -expected))
    two = "factor2-half" if halved else "factor2"
    candidates += [(two, expected * 2), (two, expected / 2)]
    found = named(
        [c for c in candidates if c[1] is not None and _differs(c[1], expected, tolerance)],
        lambda value: _matches(answer, value, tolerance),
        _same,
    )
    if found is not None:
        mistake, _, *detail = found
        text = detail[0] if detail else mistake_text(mistake)
        if not compatible(answer.shape, expected.shape):
            shape = mistake_text("shape", expected.shape, answer.shape)
            text = both("grade_with_shape", why=text, shape=shape)
        return _wrong(expected, text, mistake)
    if not compatible(answer.shape, expected.shape):
        return _wrong(expected, mistake_text("shape", expected.shape, answer.shape), "shape")
    undecided = _too_few_figures(answer, expected, tolerance)
    if undecided is not None:
        return undecided
    return _wrong(expected, _off(answer, expected, tolerance), None)
