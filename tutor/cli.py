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
SetOption = typer.Option(None, "--set", metavar="NAME=VALUE",
                         help="Replace a given value, e.g. --set n=100 (repeatable).")  # fmt: skip


def _lang(value: str) -> str:
    if value not in ("en", "zh"):
        raise InputError(f"unknown language '{value}' (use en or zh)")
    return value


def _overrides(problem, settings: List[str] | None):
    """`--set NAME=VALUE`: the problem with some given values replaced (exact numbers)."""
    from dataclasses import replace

    from .expr import parse

    groups = ("inputs", "targets", "params", "constants")
    changed = {g: dict(getattr(problem, g)) for g in groups}
    for item in settings or []:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name or not text.strip():
            raise InputError(f"--set needs NAME=VALUE, not '{item}'")
        group = next((g for g in groups if name in changed[g]), None)
        if group is None:
            known = ", ".join(problem.leaves)
            raise InputError(f"--set: '{name}' is not a given value of {problem.id} ({known})")
        try:
            value = parse(text.strip(), {})
        except TutorError as e:
            raise InputError(f"--set {name}: {e.message}") from None
        if not value.is_Number:
            raise InputError(f"--set {name}: '{text.strip()}' is not a number")
        changed[group][name] = value
    # The published answers belong to the original numbers: they no longer apply.
    return replace(problem, **changed, published=()) if settings else problem


def _solve(ref: str, optimizer: str | None = None, lr: float | None = None,
           settings: List[str] | None = None):  # fmt: skip
    from dataclasses import replace

    from . import catalog, engine
    from .model import UpdateRule

    problem = _overrides(catalog.load(ref), settings)
    rule = problem.update
    if optimizer or lr is not None:
        base = rule or UpdateRule()
        rule = replace(base, optimizer=optimizer or base.optimizer,
                       lr=base.lr if lr is None else lr,
                       hyper={} if optimizer and optimizer != base.optimizer else base.hyper)  # fmt: skip
        if "update" not in problem.asks:
            problem = replace(problem, asks=problem.asks + ("update",))
        if rule.optimizer != base.optimizer:
            problem = replace(problem, published=_published_for(problem, rule.optimizer))
    return engine.solve(problem, rule=rule)


def _published_for(problem, optimizer: str):
    """Published answers that still apply under another optimizer: those of the forward and
    backward pass, and the `optimizer:` ones (which now describe the main update)."""
    from dataclasses import replace

    kept = []
    for pub in problem.published:
        name, sep, rest = pub.quantity.partition(":")
        if sep:
            if name == optimizer:
                kept.append(replace(pub, quantity=rest))
        elif not pub.quantity.endswith("'") and "[" not in pub.quantity:
            kept.append(pub)
    return tuple(kept)


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
    settings: Optional[List[str]] = SetOption,
):
    """Print the worked solution: forward pass, loss, every chain-rule factor, gradients,
    the update and the forward pass again."""
    from . import render

    solution = _solve(problem, optimizer, lr, settings)
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


@app.command()
def export(
    problem: Optional[str] = typer.Argument(None, help="A problem id or .yaml file."),
    output: Optional[str] = typer.Option(None, "--output", "-o",
                                         help="File to write (default: stdout); with --all, "
                                         "a folder."),  # fmt: skip
    all_: bool = typer.Option(False, "--all", help="Every built-in problem, one file each, "
                              "plus index.md."),  # fmt: skip
    lang: str = LangOption,
    settings: Optional[List[str]] = SetOption,
):
    """Write the worked solution as Markdown (tables, LaTeX math, errata)."""
    from pathlib import Path

    from . import export as md

    lang = _lang(lang)
    if all_ == bool(problem):
        raise InputError("give one PROBLEM or --all")
    if not all_:
        text = md.markdown(_solve(problem, settings=settings), lang)
        if output is None:
            sys.stdout.write(text)
        else:
            _write(Path(output), text)
        return
    if output is None:
        raise InputError("--all needs -o FOLDER")
    if settings:
        raise InputError("--set applies to one problem, not --all")
    from rich.progress import Progress

    from . import catalog

    folder = Path(output)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} is not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    files = catalog.builtin_files()
    solutions = []
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task("export", total=len(files))
        for f in files:
            solution = _solve(str(f))
            solutions.append(solution)
            _write(folder / f"{solution.problem.id}.md", md.markdown(solution, lang))
            progress.advance(task)
    _write(folder / "index.md", md.index(solutions, lang))
    err.print(f"wrote {len(solutions)} problems and index.md to {folder}")


def _write(path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as e:
        raise InputError(f"cannot write {path}: {e.strerror}") from None


@app.command()
def validate(
    files: List[str] = typer.Argument(..., help="Problem files (or ids) to validate."),
):
    """Load and solve problem files: report the first error in each, exit 2 if any fails."""
    from . import catalog, engine
    from .loader import load_problem

    failed = 0
    for ref in files:
        try:
            solution = engine.solve(load_problem(catalog.resolve(ref)))
        except TutorError as e:
            failed += 1
            err.print(f"[red]✗[/] {e}", soft_wrap=True)
            continue
        bad = len(solution.errata)
        extra = f", {bad} published value(s) disagree (see `bptutor check`)" if bad else ""
        out.print(f"[green]✓[/] {ref}: {len(solution.problem.graph)} equations{extra}")
    if failed:
        raise typer.Exit(2)


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
