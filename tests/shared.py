"""Expensive results computed once per test session and shared by the test modules.

A catalogue problem's solution does not change between tests (Solution and Problem are frozen
dataclasses), so it is solved once; its Markdown export is made once per language; and each
distinct formula goes through matplotlib's mathtext once (en and zh exports share most of
their formulas). Tests that need a fresh solution (a variant, another rule) still solve it.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest

from tutor import catalog, explain, export

ROOT = Path(__file__).resolve().parent.parent


@functools.lru_cache(maxsize=None)
def solved(ref: str):
    """The worked solution of a catalogue problem (or a problem file), solved once."""
    return explain.solve(catalog.load(ref))


@functools.lru_cache(maxsize=None)
def markdown(ref: str, lang: str = "en") -> str:
    """`export.markdown` of `solved(ref)` in `lang`, made once."""
    return export.markdown(solved(ref), lang)


@functools.lru_cache(maxsize=1)
def _mathtext():
    from matplotlib.mathtext import MathTextParser

    return MathTextParser("path")


@functools.lru_cache(maxsize=None)
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
        NotebookClient(notebook, timeout=120, kernel_name="python3",
                       resources={"metadata": {"path": str(ROOT / "docs")}}).execute()  # fmt: skip
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

    child = subprocess.Popen(argv, text=True, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)  # fmt: skip
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
