"""The command line: thin commands over the library; the only place that prints or exits.

Heavy modules (SymPy, NumPy) are imported inside the commands that need them, so that
`bptutor --help` and `bptutor list` start fast.
"""

from __future__ import annotations

import os
import sys
from typing import List, Optional

import typer
from rich.console import Console

from .errors import InputError, TutorError

HELP = """bptutor: backpropagation, one chain-rule factor at a time.

Try a problem by hand with `show`, read the worked solution with `solve`, see the graph with
`graph`. Teachers: `check` compares the answers printed in problem files with the engine.
PROBLEM is a built-in id (see `list`) or the path to a problem YAML file."""

app = typer.Typer(
    help=HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

EXIT_ERRATA = 1
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

LangOption = typer.Option(
    os.environ.get("BPTUTOR_LANG", "en"), "--lang", "-l",
    help="Language of statements and labels: en or zh (default from BPTUTOR_LANG).",
)  # fmt: skip
ProblemArg = typer.Argument(..., help="A problem id such as ex2, or a path to a .yaml file.")


def _lang(value: str) -> str:
    if value not in ("en", "zh"):
        raise InputError(f"unknown language '{value}' (use en or zh)")
    return value


def _solve(ref: str, optimizer: str | None = None, lr: float | None = None):
    from dataclasses import replace

    from . import catalog, engine
    from .model import UpdateRule

    problem = catalog.load(ref)
    rule = problem.update
    if optimizer or lr is not None:
        base = rule or UpdateRule()
        rule = replace(base, optimizer=optimizer or base.optimizer,
                       lr=base.lr if lr is None else lr,
                       hyper={} if optimizer and optimizer != base.optimizer else base.hyper)  # fmt: skip
        if "update" not in problem.asks:
            problem = replace(problem, asks=problem.asks + ("update",))
    return engine.solve(problem, rule=rule)


@app.command("list")
def list_(lang: str = LangOption):
    """List the built-in problems: id, title, kind of network and what is asked."""
    from . import catalog, render

    out.print(render.catalogue(catalog.infos(), _lang(lang)))


@app.command()
def show(problem: str = ProblemArg, lang: str = LangOption):
    """Show a problem's statement and given values only, to try it by hand first."""
    from . import catalog, render

    out.print(render.statement(catalog.load(problem), _lang(lang)))


@app.command()
def solve(
    problem: str = ProblemArg,
    lang: str = LangOption,
    step: bool = typer.Option(False, "--step", help="Reveal one step at a time: Enter for "
                              "the next, q to quit."),  # fmt: skip
    full: bool = typer.Option(False, "--full", help="Show every row of large problems."),
    optimizer: Optional[str] = typer.Option(None, "--optimizer", "-o",
                                            help="sgd, momentum, rmsprop or adam."),  # fmt: skip
    lr: Optional[float] = typer.Option(None, "--lr", help="Learning rate for the update."),
):
    """Print the worked solution: forward pass, loss, every chain-rule factor, gradients,
    the update and the forward pass again."""
    from . import render

    solution = _solve(problem, optimizer, lr)
    steps = render.solution_steps(solution, _lang(lang), full=full)
    interactive = step
    for i, part in enumerate(steps):
        out.print(part)
        if interactive and i < len(steps) - 1:
            try:
                answer = input("[Enter: next step, q: quit] ")
            except EOFError:
                interactive = False
                continue
            if answer.strip().lower() in ("q", "quit", "exit"):
                break


@app.command()
def graph(problem: str = ProblemArg, lang: str = LangOption):
    """Draw the computation graph: each node with its value and its gradient."""
    from . import render

    solution = _solve(problem)
    out.print(render.graph_tree(solution, _lang(lang)))


@app.command()
def check(
    problems: Optional[List[str]] = typer.Argument(
        None, help="Problem ids or files (default: the whole catalogue)."
    ),
    lang: str = LangOption,
):
    """Compare every published answer with the engine; exit 1 if any disagrees."""
    from . import catalog, engine, render
    from .loader import load_problem

    refs = problems or [str(f) for f in catalog.builtin_files()]
    wrong = checked = 0
    for ref in refs:
        problem = load_problem(catalog.resolve(ref))
        solution = engine.solve(problem)
        checked += len(solution.checks)
        if solution.errata:
            wrong += len(solution.errata)
            out.print(render.checks_table(problem, solution.errata, _lang(lang)))
    colour = "red" if wrong else "green"
    out.print(f"[{colour}]{wrong} of {checked} published values disagree with the engine[/]")
    if wrong:
        raise typer.Exit(EXIT_ERRATA)


def main() -> None:
    """Entry point: run the app; turn our errors into one line on stderr and an exit code."""
    try:
        app()
    except TutorError as e:
        err.print(f"[bold red]error:[/] {e}", markup=True, highlight=False, soft_wrap=True)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except RecursionError:
        err.print("[bold red]error:[/] input nested too deeply")
        sys.exit(2)
