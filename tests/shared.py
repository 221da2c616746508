"""Expensive results computed once per test session and shared by the test modules.

A catalogue problem's solution does not change between tests (Solution and Problem are frozen
dataclasses), so it is solved once; its Markdown export is made once per language; and each
distinct formula goes through matplotlib's mathtext once (en and zh exports share most of
their formulas). Tests that need a fresh solution (a variant, another rule) still solve it.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
from pathlib import Path

import pytest

from tutor.problems import catalog

ROOT = Path(__file__).resolve().parent.parent


@functools.cache
def solved(ref: str):
    """The worked solution of a catalogue problem (or a problem file) of any kind, solved once
    through the API's one dispatch (`tutor.api._solved`: the tensor engine's for a tensor
    problem, the scalar one's for any other)."""
    from tutor import api

    return api._solved(catalog.load(ref))


def with_numbers(problem):
    """A symbolic problem (ex1, ex10, ex11) given numbers with `--set` (its leaves 0.3, 0.5,
    0.7, ... in order), so that its derivatives are checked at a point like any other
    problem's; any other problem unchanged."""
    from tutor.variants import scalar as variants

    if not problem.symbolic:
        return problem
    values = [f"{name}={(3 + 2 * i) / 10:g}" for i, name in enumerate(problem.leaves)]
    return variants.with_values(problem, values)


@functools.cache
def markdown(ref: str, lang: str = "en") -> str:
    """The Markdown export of `solved(ref)` in `lang` (`bptutor export`'s, of any kind of
    problem: `tutor.api.Result.markdown`), made once."""
    from tutor import api

    return api.Result(solved(ref), lang).markdown()


@functools.lru_cache(maxsize=1)
def _mathtext():
    from matplotlib.mathtext import MathTextParser

    return MathTextParser("path")


@functools.cache
def typeset(tex: str) -> None:
    """Typeset `tex` with matplotlib's mathtext; raises ValueError if it cannot. A formula
    that typeset once is not typeset again (a failure is not cached and raises each time)."""
    _mathtext().parse(f"${tex}$")


def require(available: bool, what: str) -> None:
    """Skip a test whose tool is missing on this machine; in CI (where `.ci/run` and `make
    test` install it) a missing tool fails the test instead, so it never passes unrun."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} is not installed (CI installs it: .ci/run, make test)")
    pytest.skip(f"{what} is not installed")


TUTORIAL = ROOT / "docs" / "tutorial.ipynb"
SCREENSHOTS = ROOT / "build" / "screenshots"  # git-ignored: for a person to look at


@functools.lru_cache(maxsize=1)
def executed_tutorial():
    """docs/tutorial.ipynb run top to bottom on a real IPython kernel (nbclient), once per
    session; a cell that fails raises nbclient's CellExecutionError."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(TUTORIAL, as_version=4)
    env_path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = env_path  # the kernel imports this checkout's tutor
    try:
        NotebookClient(
            notebook,
            timeout=120,
            kernel_name="python3",
            resources={"metadata": {"path": str(ROOT / "docs")}},
        ).execute()
    finally:
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved
    return notebook


def killed_when(argv: list[str], typed: str, done) -> int:
    """Start `argv`, type `typed`, wait until `done()` holds (at most 60 s; a database error
    while the child writes counts as not yet), then kill -9. Returns the exit status."""
    import signal
    import sqlite3
    import subprocess
    import time

    child = subprocess.Popen(
        argv, text=True, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        child.stdin.write(typed)
        child.stdin.flush()
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if done():
                    break
            except sqlite3.Error:
                pass
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    return child.returncode


# --------------------------------------------------------------------------- tensor oracles


def softmax_net_by_hand() -> dict:
    """tests/fixtures/tensor/softmax_net.yaml (seed 001's network) by hand in NumPy: z1 = W1x + b1,
    a1 = σ(z1), p = softmax(W2a1 + b2), δ2 = p − y, δ1 = (W2ᵀδ2) ⊙ a1(1 − a1), ∂L/∂W = δ aᵀ,
    one SGD step with η = 0.5."""
    import numpy as np

    x = np.array([[1], [0.5], [-1]])
    y = np.array([[0], [1], [0]])
    W1 = np.array([[0.2, -0.1, 0.4], [-0.3, 0.5, 0.1], [0.6, 0.2, -0.2], [0.1, -0.4, 0.3]])
    b1 = np.array([[0.1], [0], [-0.1], [0.2]])
    W2 = np.array([[0.3, -0.2, 0.5, 0.1], [-0.4, 0.6, 0.2, -0.3], [0.2, 0.1, -0.5, 0.4]])
    b2 = np.array([[0], [0.1], [-0.1]])
    z1 = W1 @ x + b1
    a1 = 1 / (1 + np.exp(-z1))
    z2 = W2 @ a1 + b2
    p = np.exp(z2) / np.exp(z2).sum()
    d2 = p - y
    da1 = W2.T @ d2
    d1 = da1 * a1 * (1 - a1)
    loss = -np.log(p[1, 0])
    return dict(
        x=x,
        y=y,
        W1=W1,
        W2=W2,
        b1=b1,
        b2=b2,
        z1=z1,
        a1=a1,
        z2=z2,
        p=p,
        L=loss,
        loss=loss,
        d2=d2,
        da1=da1,
        d1=d1,
        dW2=d2 @ a1.T,
        dW1=d1 @ x.T,
        W2new=W2 - 0.5 * d2 @ a1.T,
        W1_new=W1 - 0.5 * d1 @ x.T,
    )


def tensor_finite_differences(problem, leaves: dict, name: str, h: float = 1e-6):
    """∂L/∂name of a tensor problem by central differences of the loss, entry by entry."""
    import numpy as np

    return np.array(list(_central_differences(problem, leaves, name, h))).reshape(
        np.shape(leaves[name])
    )


def some_finite_difference(problem, leaves: dict, name: str, h: float = 1e-6) -> bool:
    """Whether some entry of ∂L/∂name, by central differences, is not 0: entry by entry as
    `tensor_finite_differences`, to the first that is not (not every entry's)."""
    return any(d != 0 for d in _central_differences(problem, leaves, name, h))


def _central_differences(problem, leaves: dict, name: str, h: float):
    """(L(x + h e_i) − L(x − h e_i)) / 2h for each entry i of `name`, in order: the loss as
    NumPy computes it in floats, none of its entries made exact (`settle=False`)."""
    import numpy as np

    from tutor.engine import tensor

    leaves = {k: np.array(v, dtype=float) for k, v in leaves.items()}
    for i in np.ndindex(leaves[name].shape):
        keep = leaves[name][i]
        leaves[name][i] = keep + h
        up = tensor.evaluate(problem, leaves, backward=False, settle=False).loss
        leaves[name][i] = keep - h
        down = tensor.evaluate(problem, leaves, backward=False, settle=False).loss
        leaves[name][i] = keep
        yield (up - down) / (2 * h)


# The tensor problems whose every entry's chain (`solve --at`) test_entries renders, in en
# and zh, and checks (values, and no unsimplified rule): test_views renders the other
# problems' chains only, instead of rendering these a second time.
ENTRY_SWEPT = tuple(f"ex{n}" for n in range(18, 26))


def unsimplified(text: str) -> list[str]:
    """What a simplified rule never shows: `(1 ⊘ 2) ⊙ 2(…)`, `a + −b` (LaTeX `a + -b`, a number
    aside), `sqrt(v)²`, and `((…))` around a single term."""
    import re

    found = [p for p in ("⊘ 2) ⊙ 2", "+ −") if p in text]
    found += re.findall(r"\+ -[\\A-Za-z{(]", text)
    for m in re.finditer(r"sqrt\(", text):
        close = _closing(text, m.end() - 1)
        if close is not None and text[close + 1 : close + 2] == "²":
            found.append(text[m.start() : close + 2])
    for m in re.finditer(r"\(\(", text):
        close = _closing(text, m.start() + 1)
        if close is not None and text[close + 1 : close + 2] == ")":
            found.append(text[m.start() : close + 2])
    return found


def _closing(text: str, opening: int) -> int | None:
    """The index of the ')' that closes the '(' at `opening`."""
    depth = 0
    for k in range(opening, len(text)):
        if text[k] == "(":
            depth += 1
        elif text[k] == ")":
            depth -= 1
            if depth == 0:
                return k
    return None


@contextlib.contextmanager
def stopped_after(seconds: int, what: str):
    """The block interrupted (TimeoutError) after `seconds` of wall time: where `no_hang`
    would wait for a hang to end, this ends it, so the test fails instead of the suite
    stalling (SIGALRM: the main thread, as pytest and its xdist workers run tests)."""
    import signal

    def stop(*_):
        raise TimeoutError(f"{what}: still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def no_hang(seconds: float):
    """A safety bound against a hang, never a speed goal (those are in `make bench`): the CPU
    time this process spends inside the block, so that a machine busy with other work does
    not fail it while a runaway computation still does."""
    start = time.process_time()
    yield
    spent = time.process_time() - start
    assert spent < seconds, f"{spent:.2f} s of CPU (a bound of {seconds} s against a hang)"
