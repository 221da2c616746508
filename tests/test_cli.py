"""Tests for tutor.cli: each command's exit code and output, run as a user runs it.

Commands run in a fresh interpreter (`python -m tutor ...`) with stdout piped, so these tests
also see what a pipe gets: plain text, no ANSI escape codes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tutor.cli import app

FIXTURES = Path(__file__).parent / "fixtures"
ANSI = "\x1b["


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "tutor", *args],
        input=stdin, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert "Traceback" not in result.stderr, result.stderr
    return result


def ok(*args: str, stdin: str | None = None) -> str:
    result = run(*args, stdin=stdin)
    assert result.returncode == 0, result.stderr
    assert ANSI not in result.stdout, "piped output must be plain text"
    return result.stdout


def test_list_shows_the_catalogue():
    out = ok("list")
    for pid in ("ex1", "ex2", "ex3", "ex4"):
        assert pid in out
    assert "relu-mlp" in out and "sigmoid-mlp" in out


def test_show_gives_the_statement_and_given_values_only():
    out = ok("show", "ex2")
    assert "ex2" in out and "ReLU" in out
    assert "Given" in out and "parameter" in out
    for revealed in ("Forward pass", "Backward pass", "Gradients", "Update", "went down", "✓"):
        assert revealed not in out, revealed


def test_solve_ex2_shows_every_step():
    out = ok("solve", "ex2")
    assert "4 × 2 × 1 × 1 = 8" in out
    assert "4 × 2 × 1 × 2 = 16" in out
    for part in ("Forward pass", "Loss: L = 8", "Backward pass", "Gradients", "Update (sgd",
                 "Forward pass after the update", "it went down", "all 12 published values"):
        assert part in out, part  # fmt: skip


def test_solve_in_chinese():
    out = ok("solve", "ex2", "--lang", "zh")
    for part in ("前向传播", "反向传播", "梯度", "参数更新", "下降了"):
        assert part in out, part
    assert "Forward pass" not in out


def test_solve_step_by_step_stops_on_q():
    full = ok("solve", "ex2")
    out = ok("solve", "ex2", "--step", stdin="\n\nq\n")
    # statement, forward pass, loss line; then q: nothing from the backward pass on
    assert "Forward pass" in out and "Loss: L = 8" in out
    assert "Backward pass" not in out and "Update" not in out
    assert out.count("Enter") == 3
    assert len(out) < len(full)


def test_solve_step_without_a_terminal_runs_to_the_end():
    out = ok("solve", "ex2", "--step", stdin="")
    assert "it went down" in out


def test_solve_a_problem_file():
    out = ok("solve", str(FIXTURES / "relu_zero.yaml"))
    assert "relu_zero" in out and "ReLU'(0)" in out


def test_graph_shows_values_and_gradients():
    out = ok("graph", "ex2")
    assert "L = 8" in out
    assert "w1 = 1  grad 8" in out
    assert "w2 = 1  grad 16" in out


def test_check_lists_the_ex4_errata_and_exits_1():
    result = run("check")
    assert result.returncode == 1, result.stderr
    assert ANSI not in result.stdout
    out = result.stdout
    assert "Errata: ex4" in out
    for quantity, printed in (("dC/dW2_1_1", "-0.0287"), ("dC/dW2_1_2", "-0.0572"),
                              ("W2_1_1'", "0.50287"), ("adam:W2_1_1'", "0.5003")):
        assert quantity in out and printed in out, quantity  # fmt: skip
    for clean in ("ex1", "ex2", "ex3"):
        assert f"Errata: {clean}\n" not in out


def test_check_of_a_clean_problem_exits_0():
    result = run("check", "ex2")
    assert result.returncode == 0
    assert "0 of 12 published values disagree" in result.stdout


def test_bad_language_is_an_input_error():
    result = run("solve", "ex2", "--lang", "fr")
    assert result.returncode == 2
    assert "unknown language 'fr'" in result.stderr


def command_names() -> list[str]:
    group = typer.main.get_command(app)
    return sorted(group.commands)


def test_the_core_commands_are_registered():
    assert {"list", "show", "solve", "graph", "check"} <= set(command_names())


@pytest.mark.parametrize("name", command_names())
def test_every_command_has_help_text(name):
    group = typer.main.get_command(app)
    assert (group.commands[name].help or "").strip(), f"{name} has no docstring"
    result = CliRunner().invoke(app, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output and name in result.output
    assert ANSI not in result.output


def test_top_level_help_lists_every_command():
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in command_names():
        assert name in result.output
