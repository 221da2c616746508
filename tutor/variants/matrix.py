"""Variants of a tensor problem (`--random`): the same shapes, new given values, seeded.

`variant(problem, seed)` keeps every shape (a batch stays a batch of the same size, a kernel
keeps its channels) and draws each given value from a small grid a student can work with:

- a one-hot tensor (each column one 1 and zeros) stays one-hot, the hot row drawn per column;
- whole numbers stay whole numbers in the original's range widened to hold 0 and 1 (an image of
  0 to 3, 0/1 labels, a step's input of 1);
- a tensor of zeros stays zero (an initial state h0), and constants are kept (BatchNorm's ε);
- anything else becomes multiples of 0.1 in [−1, 1], or of 0.01 in a tensor of more than
  LARGE entries (not worked by hand; on the coarse grid some of its many ReLU inputs would
  be exactly 0 in every draw);
- and no 0 nobody asked for: no weight is 0 and no given input has a row or column of zeros
  (an input 0 zeroes a whole column of ∂L/∂W1), whole numbers included;
- a value the file ties to others (`Wr1: 2 * Wh1`) is not drawn: it is computed again from
  the drawn ones, so what the statement says of it stays true.

A cross-entropy's target stays a probability (tenths from 0 to 1, a distribution down each
column for a softmax's). A draw is kept when every value, gradient and update is finite (the
forward pass after the update too), every parameter's gradient is not all zero (a dead ReLU
chain teaches nothing), and no value sits on a kink (a ReLU or max of exactly 0, a pooling
window with two equal maxima), where the derivative is only a convention and finite
differences disagree with it. Otherwise it is drawn again, at most MAX_TRIES times.
The variant publishes nothing: the file's published answers are for its own numbers.
"""

from __future__ import annotations

import functools
from dataclasses import replace

import numpy as np

from tutor.errors import ProblemError
from tutor.model import Problem

GRID = np.arange(-10, 11) / 10  # multiples of 0.1 in [-1, 1]
FINE_GRID = np.arange(-100, 101) / 100
LARGE = 64
MAX_TRIES = 1000
TIE = 1e-9  # closer than this is on the kink (0.3 − 0.1 − 0.2 is 5.6e-17, not 0)


def variant(problem: Problem, seed: int) -> Problem:
    """A variant of a tensor problem with the same shapes and new given values (see above)."""
    from tutor.engine import tensor

    if not problem.tensor:
        raise ValueError(f"{problem.id} is not a tensor problem")
    rng = np.random.default_rng(seed)
    drawn = ("inputs", "targets", "params")
    kinds = {n: kind for n, (kind, _) in tensor.cross_entropy_targets(problem).items()}
    tied = {name for name, _ in problem.extra.get("ties", ())}
    for _ in range(MAX_TRIES):
        groups = {
            g: {
                n: v if n in tied else _draw(rng, v, kinds.get(n), g)
                for n, v in getattr(problem, g).items()
            }
            for g in drawn
        }
        candidate = _tied_again(replace(problem, **groups, published=()))
        if _worth_solving(candidate, tensor):
            return candidate
    raise ProblemError(
        f"no variant of {problem.id} with a finite loss, a gradient for every "
        f"parameter and no value on a kink in {MAX_TRIES} draws",
        file=problem.file or problem.id,
    )


def _tied_again(problem: Problem, keep: set = frozenset()) -> Problem:
    """A given value the file ties to others (`Ws1: Wh1`) computed again from theirs."""
    from tutor.problems.matrix_loader import recompute_ties

    if not problem.extra.get("ties"):
        return problem
    values = recompute_ties(problem, problem.leaves, keep)
    groups = ("inputs", "targets", "params", "constants")
    return replace(problem, **{g: {n: values[n] for n in getattr(problem, g)} for g in groups})


def _draw(
    rng: np.random.Generator,
    value: np.ndarray,
    cross_entropy: str | None = None,
    group: str = "params",
):
    """New values of the shape of `value`; `cross_entropy` ("softmax" or "binary") for a
    cross-entropy's target, which stays a probability (a distribution down each column).
    No 0 is drawn where nothing asks for one: no weight or other grid value is 0, and whole
    numbers (an image, a count) have no row or column of zeros in a given input and no 0
    in a parameter; a one-hot target's zeros and a target probability of 0 are its own."""
    value = np.asarray(value, dtype=float)
    if not value.any():
        return value.copy()
    if _one_hot(value):
        out = np.zeros_like(value)
        hot = rng.integers(value.shape[0], size=value.shape[1])
        out[hot, np.arange(value.shape[1])] = 1.0
        return out
    if cross_entropy == "softmax" and value.ndim == 2:  # tenths adding up to 1 per column
        tenths = rng.multinomial(10, np.full(value.shape[0], 1 / value.shape[0]), value.shape[1])
        return tenths.T / 10
    if np.all(value == np.round(value)):  # whole numbers: the original's range, 0 and 1
        low, high = min(int(value.min()), 0), max(int(value.max()), 1)
        if cross_entropy:
            return rng.integers(0, 2, size=value.shape).astype(float)
        whole = np.arange(low, high + 1, dtype=float)
        if group == "params":
            return rng.choice(whole[whole != 0], size=value.shape)
        while True:  # ends: a draw of no zeros at all has no zero line
            out = rng.choice(whole, size=value.shape)
            if not _zero_line(out):
                return out
    if cross_entropy:
        return rng.choice(GRID[GRID >= 0], size=value.shape)
    grid = GRID if value.size <= LARGE else FINE_GRID
    return rng.choice(grid[grid != 0], size=value.shape)


def _zero_line(value: np.ndarray) -> bool:
    """True when some row or column (of the last two axes; a vector's entries) is all 0."""
    if value.ndim < 2:
        return bool(np.any(value == 0))
    zero = value == 0
    return bool(np.any(zero.all(axis=-1)) or np.any(zero.all(axis=-2)))


def _one_hot(value: np.ndarray) -> bool:
    """Columns of zeros with a single 1 each (at least two rows to choose from)."""
    return (
        value.ndim == 2
        and value.shape[0] >= 2
        and bool(np.all((value == 0) | (value == 1)))
        and bool(np.all(value.sum(axis=0) == 1))
    )


def _worth_solving(problem: Problem, tensor) -> bool:
    from tutor.engine.matrix_solve import solve

    if tensor.target_fault(problem) is not None:  # a cross-entropy's target, not a probability
        return False
    try:  # the cheap checks first: most rejected draws have a gradient of zeros
        with np.errstate(all="ignore"):
            point = tensor.evaluate(problem, problem.leaves)
    except (ProblemError, FloatingPointError, ValueError):
        return False
    if not np.isfinite(point.loss):
        return False
    if not all(np.all(np.isfinite(v)) for v in point.values.values()):
        return False
    for name in problem.params:
        g = point.grads[name]
        if not np.all(np.isfinite(g)) or not g.any():
            return False
    if _on_a_kink(problem, point.values, tensor):
        return False
    try:
        with np.errstate(all="ignore"):
            solve(problem)  # every update finite, and the forward pass after it
    except (ProblemError, FloatingPointError, ValueError):
        return False
    return True


def _on_a_kink(problem: Problem, values: dict, tensor) -> bool:
    """True when some ReLU-like input or max is exactly tied (at 0, or two equal maxima)."""
    relus = {eq.name for eq in problem.graph if eq.expr.kind == "relu"}
    for eq in problem.graph:
        memo: dict = {}
        with np.errstate(all="ignore"):
            tensor._evaluate(eq.expr, values, memo)
        for op in eq.expr.walk():
            if id(op) not in memo or not op.args:
                continue
            xs = [memo[id(a)][0] for a in op.args]
            if _kinked(op.kind) and np.any(np.abs(xs[0]) < TIE):
                return True
            if op.kind == "max" and np.any(np.abs(xs[0] - xs[1]) < TIE):
                return True
            if op.kind == "maxpool" and _tied_window(op, xs[0], tensor, _of_relu(op, relus)):
                return True
    return False


@functools.cache
def _kinked(kind: str) -> bool:
    """True for a registry function whose derivative jumps at 0 (ReLU, leaky ReLU, |x|):
    its derivative just left and just right of 0, both finite, differ."""
    from tutor.engine import tensor
    from tutor.language.matrix_expr import _elementwise

    if kind not in set(_elementwise().values()):
        return False
    f, d, _ = tensor.elementwise(kind)
    with np.errstate(all="ignore"):
        left, right = (float(d(x, f(x))) for x in (np.float64(-1e-9), np.float64(1e-9)))
    finite = np.isfinite([left, right]).all() and max(abs(left), abs(right)) < 1e6
    return bool(finite and abs(left - right) > 1e-3)


def _of_relu(op, relus: set[str]) -> bool:
    arg = op.args[0]
    return arg.kind == "relu" or (arg.kind == "name" and arg.name in relus)


def _tied_window(op, x: np.ndarray, tensor, after_relu: bool) -> bool:
    """Two equal maxima in a pooling window. After a ReLU a window of zeros does not count:
    every entry there is on the ReLU's flat side, so each route carries a zero gradient."""
    window = op.ints[0]
    stride = op.ints[1] if len(op.ints) > 1 else window
    if window < 2:
        return False
    from tutor.registry.ops import _windows

    win = _windows(x, window, window, stride)
    flat = np.sort(win.reshape(*win.shape[:3], -1), axis=3)
    tied = flat[..., -1] - flat[..., -2] < TIE
    if after_relu:
        tied &= flat[..., -1] >= TIE
    return bool(np.any(tied))


def with_values(problem: Problem, settings: list[str] | None) -> Problem:
    """`--set NAME=VALUE` on a tensor problem: a whole given tensor (`W1=[0.1, 0.2; 0.3,
    0.4]`, the quiz's answer notation, of the tensor's own shape) or one entry of it,
    numbered from 1 (`W1[2,1]=0.5`). The published answers no longer apply."""
    import re

    from tutor.errors import InputError, TutorError
    from tutor.language.answers import read, shape_text

    if not settings:
        return problem
    groups = {g: dict(getattr(problem, g)) for g in ("inputs", "targets", "params", "constants")}
    for item in settings:
        name, sep, text = item.partition("=")
        found = re.fullmatch(r"\s*(\w+)\s*(?:\[([\d,\s]+)\])?\s*", name)
        if not sep or found is None or not text.strip():
            raise InputError(f"--set needs NAME=VALUE or NAME[i,j]=VALUE, not '{item}'")
        name, index = found[1], found[2]
        group = next((g for g in groups if name in groups[g]), None)
        if group is None:
            known = ", ".join(problem.leaves)
            raise InputError(f"--set: '{name}' is not a given value of {problem.id} ({known})")
        old = np.asarray(groups[group][name], dtype=float)
        try:
            value = read(text.strip()).array
        except TutorError as e:
            raise InputError(f"--set {name}: {e.message}") from None
        new = old.copy()
        if index is not None:
            at = tuple(int(i) - 1 for i in index.split(",") if i.strip())
            if len(at) != old.ndim or not all(0 <= i < n for i, n in zip(at, old.shape)):
                raise InputError(
                    f"--set {name}[{index}]: no such entry of a {shape_text(old.shape)} tensor"
                )
            if value.size != 1:
                raise InputError(
                    f"--set {name}[{index}]: one number, not {shape_text(value.shape)}"
                )
            new[at] = float(value.reshape(()))
        elif value.size == old.size and (value.shape == old.shape or value.size == 1):
            new = value.reshape(old.shape)
        else:
            raise InputError(
                f"--set {name}: a {shape_text(old.shape)} tensor, not {shape_text(value.shape)}"
            )
        groups[group][name] = new
    from tutor.engine import tensor

    named = {item.partition("=")[0].split("[")[0].strip() for item in settings}
    changed = _tied_again(replace(problem, **groups, published=()), keep=named)
    fault = tensor.target_fault(changed)
    if fault is not None:
        column = ", each column summing to 1" if fault.kind == "softmax" else ""
        raise InputError(
            f"--set {fault.name}: a cross-entropy's target is a probability (0 to 1{column})"
        )
    return changed
