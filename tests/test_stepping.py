"""Tests for tutor.views.stepping and `solve --step`: single keys move through the worked
solution, one gradient per step; q, Ctrl-C and Ctrl-D end at once and cleanly."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from shared import solved

from tutor.views import stepping
from tutor.views import terminal as render


def walk(count: int, actions: list[str]) -> tuple[list[int], int]:
    shown: list[int] = []
    feed = iter(actions)
    last = stepping.run(count, shown.append, lambda i: next(feed, "quit"))
    return shown, last


def test_keys_become_actions():
    for key in ("\r", "\n", " ", "\x1b[C", "\x1bOC"):
        assert stepping.key_action(key) == "next", repr(key)
    for key in ("b", "\x1b[D", "\x1bOD"):
        assert stepping.key_action(key) == "back", repr(key)
    for key in ("q", "\x03", "\x04", None):  # q, Ctrl-C, Ctrl-D, the end of input
        assert stepping.key_action(key) == "quit", repr(key)
    assert stepping.key_action("x") is None and stepping.key_action("\x1b[A") is None


def test_next_back_and_quit():
    shown, last = walk(5, ["next", "next", "back", "next", "quit"])
    assert shown == [0, 1, 2, 1, 2] and last == 2
    shown, _ = walk(3, ["back", "next", "next", "next"])  # back at the start: nothing
    assert shown == [0, 1, 2]  # and no prompt after the last step
    assert walk(4, ["next", "rest"])[0] == [0, 1, 2, 3]
    assert walk(0, [])[0] == []


def test_lines_without_a_terminal():
    assert [stepping.line_action(x) for x in ("", "n", "b", "q", "quit", None)] == [
        "next",
        "next",
        "back",
        "quit",
        "quit",
        "rest",
    ]


def test_one_gradient_per_step():
    solution = solved("ex2")
    plain = render.solution_steps(solution, "en")
    steps = render.solution_steps(solution, "en", one_each=True)
    # ex2 has five parameters: one chain table for all of them becomes five steps
    assert len(steps) == len(plain) + 4


def test_ctrl_c_and_ctrl_d_from_getchar_quit(monkeypatch):
    import typer  # typer vendors click: its getchar

    from tutor import cli

    for error in (KeyboardInterrupt, EOFError):

        def getchar(error=error):
            raise error()

        monkeypatch.setattr(typer, "getchar", getchar)
        assert cli._key_reader(lambda i: "> ")(0) == "quit"
    keys = iter(["x", "\x1b[A", " "])  # keys that do nothing are ignored
    monkeypatch.setattr(typer, "getchar", lambda: next(keys))
    assert cli._key_reader(lambda i: "> ")(0) == "next"


def test_single_keys_in_a_terminal():
    pexpect = pytest.importorskip("pexpect")
    child = pexpect.spawn(
        sys.executable,
        ["-m", "tutor", "solve", "ex2", "--step"],
        encoding="utf-8",
        timeout=20,
        dimensions=(40, 100),
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
    )
    child.expect_exact("[step 1/")
    child.send(" ")  # space: the forward pass, no Enter needed
    child.expect_exact("Forward pass")
    child.expect_exact("[step 2/")
    child.send("\x1b[C")  # →: the loss
    child.expect_exact("Loss: L = 8")
    child.expect_exact("[step 3/")
    child.send("b")  # back: the forward pass again
    child.expect_exact("\r\x1b[2K")  # the prompt erased
    child.expect_exact("Forward pass")
    child.expect_exact("[step 2/")
    child.send("q")  # quits at once
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "Traceback" not in child.before and "Backward" not in child.before
