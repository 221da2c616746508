"""The command line: thin commands over the library; the only place that prints or exits.

Heavy modules (SymPy, NumPy) are imported inside the commands that need them, so that
`bptutor --help` and `bptutor list` start fast. No `from __future__ import annotations` here:
typer would evaluate every option's annotation string on each start (eval per parameter);
real annotations save ~4 ms per command.
"""

import contextlib
import os
import sys
import time
from types import SimpleNamespace
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from tutor import streams
from tutor.errors import InputError, TutorError, cannot_write, why

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


def _version(value: bool) -> None:
    if value:
        from tutor.version import __version__

        print(f"bptutor {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        "-V",
        is_eager=True,
        callback=_version,
        help="Print the version and exit.",
    ),
) -> None:
    """bptutor's own options, before any command: --version."""


EXIT_ERRATA = 1
out = Console(highlight=False, emoji=False)  # "file.yaml:100:" is not an emoji code
err = Console(stderr=True, highlight=False, emoji=False)

LANG = os.environ.get("BPTUTOR_LANG", "en")  # --lang's default
Lang = Annotated[
    str,
    typer.Option(
        "--lang",
        "-l",
        metavar="en|zh",
        help="Language of statements and labels: en or zh (set BPTUTOR_LANG to change the "
        "default).",
    ),
]
ProblemRef = Annotated[
    str,
    typer.Argument(metavar="PROBLEM", help="A problem id such as ex2, or a path to a .yaml file."),
]
Values = Annotated[
    list[str] | None,
    typer.Option(
        "--set", metavar="NAME=VALUE", help="Replace a given value, e.g. --set n=100 (repeatable)."
    ),
]
Full = Annotated[bool, typer.Option("--full", help="Show every row of large problems.")]
Optimizer = Annotated[
    str | None, typer.Option("--optimizer", metavar="NAME", help="sgd, momentum, rmsprop or adam.")
]
Db = Annotated[
    str | None,
    typer.Option(
        "--db",
        metavar="FILE",
        help="Progress database (default: $BPTUTOR_DB or the user data directory).",
    ),
]


_LANG = ["en"]  # the language the command chose (`_lang`), for the notes said after it


def _lang(value: str) -> str:
    if value not in ("en", "zh"):
        raise InputError(f"unknown language '{value}' (use en or zh)")
    _LANG[0] = value
    return value


def _cache_notes() -> None:
    """The code cache's refusals (tutor/cache.py), one line each on stderr: a
    folder or entry that is not the user's own private file was not used."""
    cache = sys.modules.get("tutor.cache")
    if cache is None:
        return  # nothing was generated: nothing to say
    notes = cache.notes()
    if not notes:
        return
    from tutor.text import messages

    for refusal in notes:
        lang = _LANG[0]
        why = messages.say(lang, f"cache_{refusal.reason}")
        _warn(messages.say(lang, "cache_refused", path=refusal.path, why=why))


def _load(ref: str, settings: list[str] | None = None):
    """The problem with its `--set NAME=VALUE` values (show, solve, export, train)."""
    from tutor.problems import catalog
    from tutor.variants import scalar as variants

    return variants.with_values(catalog.load(ref), settings)


def _solve(
    ref: str,
    optimizer: str | None = None,
    lr: float | None = None,
    settings: list[str] | None = None,
    l2: float | None = None,
):
    from tutor.solutions import explain
    from tutor.variants import scalar as variants

    problem, rule = variants.with_rule(_load(ref, settings), optimizer, lr, l2)
    return explain.solve(problem, rule=rule)


def _tensor_problem(ref: str, view: str | None = None, settings: list[str] | None = None):
    """The tensor Problem `solve` shows in the matrix view: a tensor file, or a `network:`
    file (unless `--view scalar`); None for the scalar view."""
    from tutor.problems import catalog

    return catalog.in_view(ref, view, settings=settings)


@app.command("list")
def list_(lang: Lang = LANG):
    """List the built-in problems: id, title, kind of network and what is asked."""
    from tutor.problems import catalog
    from tutor.views import terminal as render

    out.print(render.catalogue(catalog.infos(), _lang(lang)))


@app.command()
def show(problem: ProblemRef, lang: Lang = LANG, settings: Values = None, full: Full = False):
    """Show a problem's statement and given values only, to try it by hand first."""
    from tutor.problems import catalog
    from tutor.problems.loader import has_tensors, load_problem, read_doc
    from tutor.views import terminal as render

    path = catalog.resolve(problem)
    if has_tensors(read_doc(path).data):
        from tutor.views import matrix as tensor_render

        if settings:
            raise InputError(
                "--set replaces a number of a scalar problem; a tensor problem "
                "gives its values in the file"
            )
        out.print(tensor_render.statement(load_problem(path), _lang(lang), full=full))
        return
    sheet = catalog.sheet(problem, settings)  # no equation parsed: SymPy stays unloaded
    out.print(render.statement(sheet, _lang(lang), limit=None if full else 40))


Step = Annotated[
    bool,
    typer.Option(
        "--step",
        help="Reveal one step at a time, one gradient per step: Enter, space or → for the next, "
        "b or ← back, q to quit (one key, no Enter).",
    ),
]
Lr = Annotated[
    float | None, typer.Option("--lr", metavar="RATE", help="Learning rate for the update.")
]
L2 = Annotated[
    float | None,
    typer.Option("--l2", metavar="LAMBDA", help="L2 regularisation λ: the update uses dL/dw + λw."),
]
SolveView = Annotated[
    str | None,
    typer.Option(
        "--view",
        metavar="matrix|scalar",
        help="matrix (the default for tensor and network: problems) or scalar (one chain per "
        "weight).",
    ),
]
At = Annotated[
    str | None,
    typer.Option(
        "--at",
        metavar="KEY",
        help='One entry\'s scalar chain from the tensor rule, e.g. --at "dL/dW1[2,3]" or --at '
        '"z1[2]".',
    ),
]


@app.command()
def solve(
    problem: ProblemRef,
    lang: Lang = LANG,
    step: Step = False,
    full: Full = False,
    optimizer: Optimizer = None,
    lr: Lr = None,
    l2: L2 = None,
    settings: Values = None,
    view: SolveView = None,
    at: At = None,
):
    """Print the worked solution: forward pass, loss, every chain-rule factor, gradients,
    the update and the forward pass again."""
    lang = _lang(lang)
    tensor_problem = _tensor_problem(problem, view, settings)
    if tensor_problem is None and at is not None:
        raise InputError(
            "--at zooms into an entry of a tensor: it is for tensor problems and "
            "network: problems in the matrix view"
        )
    if tensor_problem is None:
        from tutor.views import terminal as render

        solution = _errata_of(
            _solve(problem, optimizer, lr, settings, l2), settings, optimizer, lr, l2
        )
        steps = render.solution_steps(solution, lang, full=full, one_each=step)
    else:
        steps = _tensor_steps(tensor_problem, optimizer, lr, l2, settings, at, full, lang)
    if steps is None:
        return  # --at: its one entry's chain is printed
    if not step:
        for part in steps:
            out.print(part)
        return
    _reveal(steps, lang)


def _errata_of(solution, settings, optimizer, lr, l2):
    """The solution with its file's errata (`explain.with_errata`) under the rule chosen."""
    from tutor.solutions import explain

    changed = bool(optimizer) or lr is not None or l2 is not None
    return explain.with_errata(solution, settings=settings, rule_changed=changed)


def _tensor_steps(problem, optimizer, lr, l2, settings, at, full, lang: str):
    """`solve` of a tensor problem in the matrix view: its steps, or None after printing the
    one entry's chain (`--at`)."""
    from tutor.engine import matrix_solve as tensor_solve
    from tutor.problems import network as tensor_network
    from tutor.solutions import explain
    from tutor.views import matrix as tensor_render

    problem, rule = tensor_network.with_rule(problem, optimizer, lr, l2)
    solved = explain.with_errata(
        tensor_solve.solve(problem, rule=rule),
        settings=settings,
        rule_changed=rule is not problem.update,
    )
    if at is None:
        return tensor_render.solution_steps(solved, lang, full=full)
    out.print(tensor_render.element_chain(solved, at, lang))
    return None


def _reveal(steps: list, lang: str) -> None:
    """`solve --step`: one step at a time, a key (on a terminal) or a line for the next."""
    from tutor.views import stepping
    from tutor.views import terminal as render

    def prompt(i: int) -> str:
        return render.label(lang, "step_prompt", i=i + 1, n=len(steps))

    if sys.stdin is not None and sys.stdin.isatty():
        ask = _key_reader(prompt)
    else:

        def ask(i: int) -> str:
            if sys.stdin is None:  # closed (`<&-`): nothing will come, show the rest
                return stepping.line_action(None)
            try:
                return stepping.line_action(input(prompt(i)))
            except (EOFError, OSError):
                return stepping.line_action(None)

    stepping.run(len(steps), lambda i: out.print(steps[i]), ask)


def _key_reader(prompt):
    """ask(i) for `solve --step` on a terminal: the prompt, one key (click's getchar, which
    typer vendors: no Enter), the prompt erased; Ctrl-C and Ctrl-D quit."""
    from tutor.views import stepping

    def ask(i: int) -> str:
        out.file.write(prompt(i))
        out.file.flush()
        try:
            while True:
                try:
                    key = typer.getchar()
                except (KeyboardInterrupt, EOFError):
                    key = None
                action = stepping.key_action(key)
                if action is not None:
                    return action
        finally:
            out.file.write("\r\x1b[2K")  # the prompt line, erased
            out.file.flush()

    return ask


Dot = Annotated[
    bool, typer.Option("--dot", help="Write Graphviz DOT instead (render it with `dot -Tpng`).")
]
DotOutput = Annotated[
    str | None,
    typer.Option(
        "--output", "-o", metavar="FILE", help="With --dot: file to write (default: stdout)."
    ),
]
GraphView = Annotated[
    str | None,
    typer.Option(
        "--view",
        metavar="matrix|scalar",
        help="matrix (the default for tensor and network: problems: one node per tensor, "
        "with its shape) or scalar (one node per weight).",
    ),
]


@app.command()
def graph(
    problem: ProblemRef,
    lang: Lang = LANG,
    dot: Dot = False,
    output: DotOutput = None,
    view: GraphView = None,
):
    """Draw the computation graph: each node with its value and its gradient (a tensor's
    shape, and its numbers where they are few)."""
    from tutor.views import graph as drawing

    lang = _lang(lang)
    tensor_problem = _tensor_problem(problem, view)
    if tensor_problem is not None:
        from tutor.engine import matrix_solve

        solution = matrix_solve.solve(tensor_problem)
    else:
        solution = _solve(problem)
    if dot:
        _write_out(output, drawing.draw(solution, lang))
        return
    if output is not None:
        raise InputError("-o is for --dot output")
    out.print(drawing.tree(solution, lang))


def _write_out(output: str | None, text: str, said: bool = True) -> None:
    """`text` to standard output, or to the file `output` (said on stderr if `said`)."""
    from pathlib import Path

    if output is None:
        sys.stdout.write(text)
        return
    _write(Path(output), text)
    if said:
        err.print(f"wrote {output}", markup=False)


Problems = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="[PROBLEM]...", help="Problem ids or files (default: the whole catalogue)."
    ),
]
Strict = Annotated[
    bool, typer.Option("--strict", help="Count early rounding (≈) as a disagreement too.")
]


@app.command()
def check(problems: Problems = None, lang: Lang = LANG, strict: Strict = False):
    """Compare every published answer with the engine; exit 1 if any disagrees (a value the
    source only rounded too early is shown with ≈ and counted only with --strict)."""
    from tutor.problems import catalog
    from tutor.solutions import explain
    from tutor.views import terminal as render

    refs = problems or [str(f) for f in catalog.builtin_files()]
    wrong = checked = rounded = 0
    for ref in refs:
        found = explain.errata_of_file(ref)
        bad = tuple(c for c in found if not c.ok)
        counted = [c for c in bad if strict or c.kind != "rounded"]
        checked += len(found)
        wrong += len(counted)
        rounded += len(bad) - len(counted)
        if bad:
            out.print(render.checks_table(catalog.load(ref), bad, _lang(lang)))
    colour = "red" if wrong else "green"
    summary = render.label(_lang(lang), "check_summary", wrong=wrong, checked=checked)
    if rounded:
        summary += render.label(_lang(lang), "check_rounded", n=rounded)
    out.print(f"[{colour}]{escape(summary)}[/]")
    if wrong:
        raise typer.Exit(EXIT_ERRATA)


ExportProblem = Annotated[
    str | None, typer.Argument(metavar="[PROBLEM]", help="A problem id or .yaml file.")
]
ExportOutput = Annotated[
    str | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="File to write (default or -: stdout); with --all, a folder.",
    ),
]
Everything = Annotated[
    bool, typer.Option("--all", help="Every built-in problem, one file each, plus an index.")
]
Format = Annotated[
    str,
    typer.Option(
        "--format",
        "-f",
        metavar="md|html",
        help="Markdown (LaTeX math) or a self-contained HTML page (MathML, light and dark, no "
        "scripts).",
    ),
]
StatementOnly = Annotated[
    bool,
    typer.Option(
        "--statement-only",
        help="A handout: the problem without answers; the answer key is written beside it "
        "(NAME.key.md or NAME.key.html).",
    ),
]


@app.command()
def export(
    problem: ExportProblem = None,
    output: ExportOutput = None,
    all_: Everything = False,
    format_: Format = "md",
    statement_only: StatementOnly = False,
    lang: Lang = LANG,
    settings: Values = None,
):
    """Write the worked solution as Markdown (tables, LaTeX math, errata) or HTML."""
    from tutor.views import matrix_document

    lang = _lang(lang)
    if format_ not in ("md", "html"):
        raise InputError(f"unknown format '{format_}' (use md or html)")
    if all_ == bool(problem):
        raise InputError("give one PROBLEM or --all")
    writers = matrix_document.writers(format_)
    to_stdout = output is None or output == "-"
    if all_ and to_stdout:  # `-` is standard output, which cannot hold a folder
        raise InputError("--all needs -o FOLDER (one file per problem, so not standard output)")
    if all_ and settings:
        raise InputError("--set applies to one problem, not --all")
    if all_:
        _export_all(writers, output, format_, statement_only, lang)
        return
    solution = _exported(problem, settings)
    if not statement_only:
        _write_out(None if to_stdout else output, writers.solution(solution, lang), said=False)
        return
    if to_stdout:
        raise InputError("--statement-only needs -o FILE (the answer key is written beside it)")
    _export_handout(writers, solution, output, format_, lang)


def _exported(ref: str, settings=None):
    """The solution `export` writes: a tensor problem's with its errata, a scalar one's as
    `_solve` without --optimizer."""
    from tutor.engine import matrix_solve as tensor_solve
    from tutor.solutions import explain

    loaded = _load(ref, settings)
    if loaded.tensor:
        return explain.with_errata(tensor_solve.solve(loaded), settings=settings)
    return explain.solve(loaded, rule=loaded.update)


def _export_handout(writers, solution, output: str, format_: str, lang: str) -> None:
    """`export --statement-only -o FILE`: the handout in FILE, its answer key beside it."""
    from pathlib import Path

    from tutor.views import document as md

    path = Path(output)
    key = path.with_name(md.key_name(path.stem) + (path.suffix or f".{format_}"))
    _write(path, writers.handout(solution.problem, lang))
    _write(key, writers.key(solution, lang))
    err.print(f"wrote {path} and its answer key {key}", markup=False)


def _export_all(writers, output: str, format_: str, statement_only: bool, lang: str) -> None:
    """`export --all -o FOLDER`: every built-in problem, one file each (or a handout and its
    key), and an index, written whole or not at all (`_staging`)."""
    from pathlib import Path

    from tutor.problems import catalog
    from tutor.views import document as md

    folder = Path(output)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} is not a folder")
    files = catalog.builtin_files()
    solutions = []
    with _staging(folder, lang) as staged, _progress() as progress:
        task = progress.add_task("export", total=len(files))
        for f in files:
            solution = _exported(str(f))
            solutions.append(solution)
            pid = solution.problem.id
            if statement_only:
                _write(staged / f"{pid}.{format_}", writers.handout(solution.problem, lang))
                _write(staged / f"{md.key_name(pid)}.{format_}", writers.key(solution, lang))
            else:
                _write(staged / f"{pid}.{format_}", writers.solution(solution, lang))
            progress.advance(task)
        index = writers.index(solutions, lang, key=statement_only)
        _write(staged / f"index.{format_}", index)
    err.print(f"wrote {len(solutions)} problems and index.{format_} to {folder}", markup=False)


@contextlib.contextmanager
def _staging(folder, lang: str):
    """A folder to write an export into, beside `folder` (on the same file system), moved
    into place when the block ends: renamed to `folder` if there was none, else each file
    moved into it (files of the old folder that the export does not write stay). Ctrl-C or
    an error before then leaves `folder` as it was, or absent, and the staging folder
    removed; the moves run with Ctrl-C held back, so they are not cut in half."""
    import shutil

    from tutor.text.messages import say

    existed = folder.is_dir()
    base = folder.resolve()
    staged = _staging_folder(folder, base, lang)
    try:
        yield staged
    except KeyboardInterrupt:
        shutil.rmtree(staged, ignore_errors=True)
        key = "export_interrupted_kept" if existed else "export_interrupted_none"
        err.print(say(lang, key, folder=folder), markup=False, soft_wrap=True)
        raise typer.Exit(130) from None
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    try:
        with _held_interrupts():  # a Ctrl-C now comes after the moves: the export is whole
            if existed:
                _move_into(staged, base)
            else:
                os.rename(staged, base)
    except OSError as e:
        shutil.rmtree(staged, ignore_errors=True)
        raise cannot_write(folder, e) from None


def _staging_folder(folder, base, lang: str):
    """A new folder beside `base` (the export's `folder`, resolved), made as mkdir would."""
    import tempfile
    from pathlib import Path

    from tutor.text.messages import say

    blocker = next((p for p in folder.parents if p.exists()), None)
    if blocker is not None and not blocker.is_dir():
        raise InputError(say(lang, "export_not_folder", folder=folder, path=blocker))
    try:
        base.parent.mkdir(parents=True, exist_ok=True)
        staged = Path(tempfile.mkdtemp(prefix=f".{base.name}.partial-", dir=base.parent))
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(staged, 0o777 & ~mask)  # as a folder made by mkdir (mkdtemp's is 0700)
    except OSError as e:
        raise InputError(say(lang, "export_no_folder", folder=folder, why=why(e))) from None
    return staged


def _move_into(staged, base) -> None:
    """Each file of `staged` moved to the same place in `base` (folders merged, files of
    `base` that `staged` does not have kept); `staged` removed."""
    for entry in staged.iterdir():
        target = base / entry.name
        if entry.is_dir() and target.is_dir():
            _move_into(entry, target)
        else:
            os.replace(entry, target)
    staged.rmdir()


@contextlib.contextmanager
def _held_interrupts():
    """Ctrl-C held back for the block (delivered after it), where the main thread can."""
    import signal

    try:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    except (AttributeError, ValueError, OSError):  # not POSIX, or not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _write(path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as e:
        raise cannot_write(path, e) from None


Files = Annotated[
    list[str], typer.Argument(metavar="FILE...", help="Problem files (or ids) to validate.")
]


@app.command()
def validate(files: Files):
    """Load and solve problem files, and draw a random variant from each `random:` block:
    report the first error in each, exit 2 if any fails; warn (exit 0) about a parameter no
    equation uses."""
    from tutor.problems import catalog, loader
    from tutor.solutions import explain
    from tutor.variants import scalar as variants

    failed = 0
    for ref in files:
        try:
            loaded = catalog.load(ref)
            if loaded.tensor:
                bad = sum(not c.ok for c in explain.solved(loaded).checks)
                _validated(ref, len(loaded.graph), bad)
                continue
            solution = explain.solve(loaded)
            if solution.problem.random is not None:
                # one draw per case the block takes in turn: each must be satisfiable
                cases = max(1, len(solution.problem.random.cases))
                for seed in range(cases):
                    variants.random_variant(solution.problem, seed)
        except TutorError as e:
            failed += 1
            err.print(f"[red]✗[/] {escape(e.say(_LANG[0]))}", soft_wrap=True)
            continue
        for warning in loader.warnings(solution.problem):
            err.print(f"[yellow]![/] warning: {escape(warning)}", soft_wrap=True)
        _validated(ref, len(solution.problem.graph), len(solution.errata))
    if failed:
        raise typer.Exit(2)


def _validated(ref: str, equations: int, bad: int) -> None:
    """`validate`'s line for a file that loads: its equations, and its errata if any."""
    extra = f", {bad} published value(s) disagree (see `bptutor check`)" if bad else ""
    out.print(f"[green]✓[/] {escape(ref)}: {_plural(equations, 'equation')}{extra}")


SCHEDULE_HELP = "constant, step, exponential, polynomial or cosine."


def _schedule_options(beta, alpha, lr_min, milestones, factors) -> dict:
    """The schedule options as given (None: not given); checked by schedules.check_run."""

    def numbers(text, what, kind):
        if text is None:
            return None
        try:
            return tuple(kind(v) for v in text.split(",") if v.strip())
        except ValueError:
            noun = "whole numbers" if kind is int else "numbers"
            raise InputError(f"--{what} must be {noun} separated by commas") from None

    return {
        "beta": beta,
        "alpha": alpha,
        "lr_min": lr_min,
        "milestones": numbers(milestones, "milestones", int),
        "factors": numbers(factors, "factors", float),
    }


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _progress(*columns):
    """A transient progress bar on stderr, only on a terminal: elsewhere rich would leave an
    empty line on stderr when it stops (before any error line)."""
    from rich.progress import Progress

    return Progress(*columns, console=err, transient=True, disable=not err.is_terminal)


Beta = Annotated[
    float | None,
    typer.Option("--beta", metavar="BETA", help="exponential: η0·β^t; polynomial: η0(βt+1)^-α."),
]
Alpha = Annotated[
    float | None, typer.Option("--alpha", metavar="ALPHA", help="polynomial decay exponent α.")
]
LrMin = Annotated[
    float | None,
    typer.Option("--lr-min", metavar="RATE", help="cosine: the final rate η_min (default 0)."),
]
Milestones = Annotated[
    str | None,
    typer.Option(
        "--milestones",
        metavar="STEPS",
        help="step: steps where the rate changes, e.g. 500,750.",
    ),
]
Factors = Annotated[
    str | None,
    typer.Option(
        "--factors",
        metavar="FACTORS",
        help="step: η0 multipliers from each milestone on, e.g. 0.1,0.01.",
    ),
]
TrainSteps = Annotated[
    int, typer.Option("--steps", "-n", metavar="N", help="Number of optimizer steps.")
]
TrainLr = Annotated[float, typer.Option("--lr", metavar="RATE", help="(Initial) learning rate η0.")]
TrainL2 = Annotated[
    float | None,
    typer.Option(
        "--l2", metavar="LAMBDA", help="L2 regularisation λ: the gradient becomes dL/dw + λw."
    ),
]
Schedule = Annotated[str, typer.Option("--schedule", "-s", metavar="NAME", help=SCHEDULE_HELP)]
TrainEvery = Annotated[
    int | None,
    typer.Option(
        "--every",
        "-k",
        metavar="K",
        help="Show the loss every K steps (default: about 10 rows).",
    ),
]
TrainPlot = Annotated[
    str | None,
    typer.Option(
        "--plot",
        metavar="FILE.png",
        help="Also write the loss curve as a PNG (needs matplotlib).",
    ),
]
TrainData = Annotated[
    str | None,
    typer.Option(
        "--data",
        metavar="FILE.csv",
        help="Train on your data: columns named after the problem's inputs and targets (a "
        "`network:` problem).",
    ),
]
TrainBatch = Annotated[
    int, typer.Option("--batch", metavar="N", help="With --data: samples per step.")
]
TrainReport = Annotated[
    str | None,
    typer.Option("--report", metavar="OUT.json", help="Write steps, final loss, accuracy, times."),
]


@app.command()
def train(
    problem: ProblemRef,
    steps: TrainSteps = 1000,
    optimizer: Optimizer = "sgd",
    lr: TrainLr = 0.1,
    l2: TrainL2 = None,
    schedule: Schedule = "constant",
    every: TrainEvery = None,
    plot: TrainPlot = None,
    beta: Beta = None,
    alpha: Alpha = None,
    lr_min: LrMin = None,
    milestones: Milestones = None,
    factors: Factors = None,
    settings: Values = None,
    data: TrainData = None,
    batch: TrainBatch = 32,
    report: TrainReport = None,
    lang: Lang = LANG,
):
    """Train a problem's parameters (those its update names, or all) for many steps:
    loss table and curve."""
    from tutor.playground import training
    from tutor.registry import schedules
    from tutor.variants import scalar as variants

    lang = _lang(lang)
    options = _schedule_options(beta, alpha, lr_min, milestones, factors)
    schedules.check_run(lr=lr, l2=l2, steps=steps, schedule=schedule, options=options)
    _check_every(every)
    loaded = training.load(problem, settings)  # a network: file as arrays, no equation per weight
    _, rule = variants.with_rule(loaded, optimizer, lr, l2)  # keeps update.params
    o = SimpleNamespace(steps=steps, schedule=schedule, options=options, every=every, lang=lang)
    if data is not None:
        _train_csv(loaded, rule, o, data, batch, report)
    else:
        _train_arrays(loaded, rule, o, report, plot)


def _check_every(every: int | None) -> None:
    """`--every K` of `train` and `schedule`: a row every K steps, K at least 1."""
    if every is not None and every < 1:
        raise InputError("--every must be at least 1")


def _what(rule, o) -> str:
    """`train`'s run in a few words: steps, optimizer, rate and schedule."""
    from tutor.text import messages
    from tutor.text.notation import fmt

    pl = "" if o.steps == 1 else "s"
    return messages.say(
        o.lang,
        "train_what",
        steps=f"{o.steps:,}",
        pl=pl,
        opt=rule.optimizer,
        lr=fmt(rule.lr),
        schedule=o.schedule,
    )


def _train_csv(loaded, rule, o, data: str, batch: int, report: str | None) -> None:
    """`train --data FILE.csv`: mini-batches of the file's samples."""
    from tutor.playground import live as pg
    from tutor.text import messages
    from tutor.text.notation import fmt
    from tutor.views import charts

    started = time.perf_counter()

    def heading(samples: int) -> None:  # before the first step: Ctrl-C keeps what follows
        said = messages.say(
            o.lang,
            "train_csv_head",
            id=loaded.id,
            n=f"{samples:,}",
            file=data,
            batch=batch,
            pl="" if samples == 1 else "s",
            what=_what(rule, o),
        )
        out.print(said, markup=False)

    run = pg.train_csv(loaded, rule, data, o.steps, batch, o.schedule, o.options, started=heading)
    if run.history.losses:  # none if Ctrl-C came before the first step ended
        title = messages.say(o.lang, "train_batch_table")
        out.print(charts.loss_table(run.history, o.every, title=title, lang=o.lang))
        out.print(charts.loss_curve(run.history, width=min(out.width, 100) - 2, lang=o.lang))
    a, b = fmt(run.first_loss), fmt(run.history.final_loss)
    said = messages.say(o.lang, "train_loss_all", a=a, b=b)
    if run.accuracy is not None:
        said += messages.say(o.lang, "train_accuracy", p=f"{100 * run.accuracy:.1f}")
    out.print(said)
    if report:
        _write_json(report, run.report(time.perf_counter() - started))
    if run.stopped == "diverged":
        raise InputError(messages.say(o.lang, "pg_diverged", step=f"{run.steps:,}"))
    if run.stopped == "interrupted":
        _interrupted(run.steps)


def _interrupted(steps: int) -> None:
    """Ctrl-C stopped a training run after `steps` steps: said on stderr, exit 130."""
    err.print(f"interrupted after {_plural(steps, 'step')}", markup=False)
    raise typer.Exit(130)


def _train_arrays(loaded, rule, o, report: str | None, plot: str | None) -> None:
    """`train` of the problem's own sample: the loss table and curve, the loss before and
    after, the report and the plot."""
    from tutor.text import messages
    from tutor.text.notation import fmt
    from tutor.views import charts

    what, l2 = _what(rule, o), rule.hyper.get("l2")
    if l2:
        what += f", L2 λ = {fmt(l2)}"
    started = time.perf_counter()
    run = _train_loop(loaded, rule, o)
    history = run.history
    n = len(history.names)
    head = dict(id=loaded.id, n=f"{n:,}", pl="" if n == 1 else "s", what=what)
    out.print(messages.say(o.lang, "train_head", **head), markup=False)
    if l2:
        out.print(messages.say(o.lang, "train_l2"))
    if history.losses:
        out.print(charts.loss_table(history, o.every, l2=bool(l2), lang=o.lang))
        out.print(charts.loss_curve(history, width=min(out.width, 100) - 2, lang=o.lang))
    if isinstance(run.stopped, KeyboardInterrupt):
        _interrupted(len(history.losses))
    if run.stopped is not None:
        raise run.stopped
    a, b = fmt(history.losses[0]), fmt(history.final_loss)
    out.print(messages.say(o.lang, "train_loss", a=a, b=b))
    _say_inactive(loaded, history, o.lang)
    if report:
        total = time.perf_counter() - started
        _write_json(report, _train_report(o.steps, history, run.seconds, total))
    if plot:
        steps_axis = list(range(1, len(history.losses) + 1))
        title = f"{loaded.id}: {what}"
        _save_png(plot, steps_axis, history.losses, title, "step", "loss", log=True, lang=_LANG[0])


def _say_inactive(problem, history, lang: str) -> None:
    """How many ReLU units the run left inactive, as `solve` says it after one step."""
    from tutor.playground import training
    from tutor.views.terminal import inactive_said

    rows = training.inactive_units(problem, history)
    for text, worse in inactive_said(rows, lang, trained=True):
        out.print(text, style="red" if worse else "dim", markup=False)


def _train_loop(loaded, rule, o):
    """`training.run` under a progress bar (on a terminal)."""
    from rich.progress import BarColumn, TextColumn, TimeRemainingColumn

    from tutor.playground import training

    with _progress(
        TextColumn("training"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeRemainingColumn(),
    ) as progress:
        task = progress.add_task("train", total=o.steps)
        return training.run(
            loaded,
            rule,
            o.steps,
            schedule=o.schedule,
            options=o.options,
            progress=lambda done: progress.update(task, completed=done),
        )


def _train_report(steps: int, history, looped: float, total: float) -> dict:
    """`train --report`: the run's length, final loss and speed."""
    return {
        "steps": steps,
        "final_loss": history.final_loss,
        "seconds_loop": looped,
        "seconds_total": total,
        "samples_per_second": steps / max(looped, 1e-9),
    }


def _save_png(path: str, *curve, lang: str = "en", **options) -> None:
    """A chart written to `path` (`charts.save_png`), said on stderr."""
    from tutor.text.messages import say
    from tutor.views import charts

    charts.save_png(path, *curve, **options)
    err.print(say(lang, "pg_wrote", file=path), markup=False, soft_wrap=True)


def _write_json(path: str, data, **options) -> None:
    """`data` as JSON in the file `path` (`options` as json.dumps takes them; indent 2)."""
    import json
    from pathlib import Path

    _write(Path(path), json.dumps(data, **{"indent": 2, **options}) + "\n")


PlaygroundProblem = Annotated[
    str | None,
    typer.Argument(
        metavar="[PROBLEM]",
        help="A problem with a `network:` block: its weights, activations and loss start the run.",
    ),
]
Data = Annotated[
    str,
    typer.Option(
        "--data",
        metavar="NAME",
        help="xor, circle, gauss, spiral, moons, spiral3 (classes); plane, gaussians (regression).",
    ),
]
Samples = Annotated[
    int | None,
    typer.Option(
        "--samples",
        metavar="N",
        help="Points (default: 500, moons 100, spiral3 300, regression 1,200).",
    ),
]
Noise = Annotated[
    float,
    typer.Option("--noise", metavar="X", help="Noise (0 to 0.5 as the Playground's; moons: σ)."),
]
TestRatio = Annotated[
    float, typer.Option("--test-ratio", metavar="R", help="Share of the points kept for testing.")
]
Classes = Annotated[
    int | None,
    typer.Option(
        "--classes",
        metavar="K",
        help="Classes of gauss, spiral, circle, spiral3 (softmax + cross-entropy).",
    ),
]
Sizes = Annotated[
    str | None,
    typer.Option(
        "--sizes",
        metavar="N,N,...",
        help="Layer sizes, inputs to outputs (default: features,4,2,outputs).",
    ),
]
Activation = Annotated[
    str, typer.Option("--activation", "-a", metavar="NAME", help="Hidden activation.")
]
Loss = Annotated[
    str | None,
    typer.Option(
        "--loss",
        metavar="NAME",
        help="mse (tanh output, ±1), bce (sigmoid), hinge (linear, ±1) or ce (softmax); default "
        "mse, or ce for more than two classes.",
    ),
]
Features = Annotated[
    str | None,
    typer.Option(
        "--features",
        metavar="LIST",
        help="Inputs: x1, x2, x1^2, x2^2, x1x2, sin(x1), sin(x2) (default: x1,x2, or the "
        "first as many as PROBLEM's inputs).",
    ),
]
PlaygroundSteps = Annotated[
    int, typer.Option("--steps", "-n", metavar="N", help="Mini-batch steps.")
]
Batch = Annotated[int, typer.Option("--batch", metavar="N", help="Samples per step.")]
Rate = Annotated[float, typer.Option("--lr", metavar="RATE", help="Learning rate.")]
L1 = Annotated[float, typer.Option("--l1", metavar="LAMBDA", help="L1: adds λ·sign(w).")]
PlaygroundL2 = Annotated[float, typer.Option("--l2", metavar="LAMBDA", help="L2: adds λw.")]
PlaygroundSeed = Annotated[
    int, typer.Option("--seed", metavar="N", help="Seed of data, weights, batches.")
]
Live = Annotated[bool, typer.Option("--live/--no-live", help="Live view (on a terminal).")]
PlaygroundPlot = Annotated[
    str | None,
    typer.Option(
        "--plot",
        metavar="FILE.png",
        help="Write boundary and loss curves (needs matplotlib).",
    ),
]
Save = Annotated[
    str | None,
    typer.Option(
        "--save", metavar="FILE.yaml", help="Write the trained network as a problem file."
    ),
]
Explain = Annotated[
    int | None,
    typer.Option("--explain", metavar="K", help="Then the worked solution for training sample K."),
]
ExplainStep = Annotated[
    int | None,
    typer.Option("--explain-step", metavar="S", help="With --explain: the network after S steps."),
]
Decimals = Annotated[
    int | None,
    typer.Option(
        "--decimals",
        metavar="N",
        min=0,
        max=12,
        help="With --save or --explain: every number rounded to N decimal places, a network "
        "to solve by hand.",
    ),
]
PlaygroundReport = Annotated[
    str | None,
    typer.Option("--report", metavar="OUT.json", help="Write steps, losses, accuracies, times."),
]


@app.command()
def playground(
    problem: PlaygroundProblem = None,
    data: Data = "circle",
    samples: Samples = None,
    noise: Noise = 0.0,
    test_ratio: TestRatio = 0.5,
    classes: Classes = None,
    sizes: Sizes = None,
    activation: Activation = "tanh",
    loss: Loss = None,
    features: Features = None,
    steps: PlaygroundSteps = 3000,
    batch: Batch = 10,
    lr: Rate = 0.03,
    optimizer: Optimizer = "sgd",
    l1: L1 = 0.0,
    l2: PlaygroundL2 = 0.0,
    seed: PlaygroundSeed = 1,
    live: Live = True,
    plot: PlaygroundPlot = None,
    save: Save = None,
    explain: Explain = None,
    explain_step: ExplainStep = None,
    decimals: Decimals = None,
    report: PlaygroundReport = None,
    lang: Lang = LANG,
):
    """Train a network on a generated data set and watch the boundary move: TensorFlow
    Playground in the terminal, tied back to the worked solution."""
    _playground(SimpleNamespace(**locals()))  # every option, by name


def _playground(o) -> None:
    """`playground` with its options `o`: the run (live on a terminal), its summary, the
    files asked for, the worked solution of a sample (--explain) and the report."""
    from tutor.playground import live as pg
    from tutor.text.messages import say

    started = time.perf_counter()
    lang = _lang(o.lang)
    if o.explain_step is not None and o.explain is None:
        raise InputError("--explain-step needs --explain K")
    if o.explain_step is not None and not 0 <= o.explain_step <= o.steps:
        raise InputError(f"--explain-step must be between 0 and --steps ({o.steps})")
    setup = pg.setup(pg.settings_of(o))
    keep = (o.explain_step + 1,) if o.explain_step is not None and o.explain_step < o.steps else ()
    result = _play(setup, keep, o.live, started, lang)
    if result.run.stopped == "diverged":
        err.print(say(lang, "pg_diverged", step=f"{result.run.steps:,}"), markup=False)
    if o.plot:
        pg.save_png(result, o.plot)
        _wrote(o.plot, lang)
    if o.save:
        text = pg.problem_text(
            result, result.run.net, o.explain or 0, result.run.steps, decimals=o.decimals
        )
        _write_out(o.save, text, said=False)
        _wrote(o.save, lang)
    if o.explain is not None:
        for part in pg.explained(result, setup, o.explain, o.explain_step, lang, o.decimals):
            out.print(part)  # as `solve` shows it
    result.seconds_total = time.perf_counter() - started
    if o.report:
        _write_json(o.report, result.report())
    if result.run.stopped == "interrupted":
        key = "pg_interrupted_one" if result.run.steps == 1 else "pg_interrupted"
        err.print(say(lang, key, n=f"{result.run.steps:,}"), markup=False)
        raise typer.Exit(130)


def _wrote(path: str, lang: str) -> None:
    """The playground's note of a file it wrote."""
    from tutor.text.messages import say

    err.print(say(lang, "pg_wrote", file=path), markup=False, soft_wrap=True)  # the path whole


def _play(setup, keep, live: bool, started: float, lang: str):
    """The playground's run, drawn live on a terminal (at most ten refreshes a second), then
    its summary."""
    from tutor.playground import live as pg

    width = min(out.width, 100)
    if live and out.is_terminal:
        from rich.live import Live

        shown = {"at": 0.0}
        with Live(console=out, auto_refresh=False, transient=True) as screen:

            def update(result, net):
                now = time.perf_counter()
                if now - shown["at"] >= 0.1:  # at most ten refreshes a second
                    shown["at"] = now
                    screen.update(pg.view(result, net, width, lang), refresh=True)

            result = pg.play(setup, update, keep, started)
    else:
        result = pg.play(setup, None, keep, started)
    out.print(pg.summary(result, width, lang, plain=out.no_color or not out.is_terminal))
    return result


ScheduleName = Annotated[str, typer.Argument(metavar="SCHEDULE", help=SCHEDULE_HELP)]
InitialLr = Annotated[float, typer.Option("--lr", metavar="RATE", help="Initial learning rate η0.")]
RunLength = Annotated[int, typer.Option("--steps", "-n", metavar="N", help="Length of the run T.")]
Every = Annotated[
    int | None, typer.Option("--every", "-k", metavar="K", help="Table row every K steps.")
]
SchedulePlot = Annotated[
    str | None,
    typer.Option("--plot", metavar="FILE.png", help="Also write a PNG (needs matplotlib)."),
]


@app.command()
def schedule(
    name: ScheduleName,
    lr: InitialLr = 0.1,
    steps: RunLength = 100,
    every: Every = None,
    plot: SchedulePlot = None,
    beta: Beta = None,
    alpha: Alpha = None,
    lr_min: LrMin = None,
    milestones: Milestones = None,
    factors: Factors = None,
    lang: Lang = LANG,
):
    """Show a learning-rate schedule over the steps: table and curve."""
    from tutor.registry import schedules
    from tutor.text.messages import say
    from tutor.views import charts

    lang = _lang(lang)
    options = _schedule_options(beta, alpha, lr_min, milestones, factors)
    rates = schedules.rates(name, lr, steps, **options)  # checks every option (check_run)
    _check_every(every)
    title = f"{name}: {schedules.FORMULAS[name]}"
    out.print(f"[bold]{title}[/]")
    out.print(charts.schedule_table(rates, every))
    out.print(
        charts.curve(
            list(range(steps)),
            rates,
            say(lang, "schedule_curve", name=name),
            "t",
            width=min(out.width, 100) - 2,
        )
    )
    if plot:
        _save_png(plot, list(range(steps)), rates, title, "t", "η_t", lang=lang)


gen_app = typer.Typer(help="Generate problem files.", no_args_is_help=True)
app.add_typer(gen_app, name="gen")


MlpSizes = Annotated[
    str,
    typer.Option(
        "--sizes", metavar="N,N,...", help="Layer sizes from inputs to outputs, e.g. 3,8,8,2."
    ),
]
MlpActivation = Annotated[
    str,
    typer.Option(
        "--activation",
        "-a",
        metavar="NAME",
        help="Hidden activation: sigmoid, relu, tanh, softplus, leaky_relu, elu, gelu, silu or "
        "linear.",
    ),
]
MlpLoss = Annotated[
    str,
    typer.Option(
        "--loss",
        metavar="NAME",
        help="mse, squared_error, half_squared_error, cross_entropy (softmax outputs) or "
        "binary_cross_entropy.",
    ),
]
OutputActivation = Annotated[
    str | None,
    typer.Option(
        "--output-activation",
        metavar="NAME",
        help="The output layer's activation for a squared error (default: linear; cross_entropy "
        "uses softmax, binary_cross_entropy sigmoid).",
    ),
]
MlpSeed = Annotated[
    int, typer.Option("--seed", metavar="N", help="Random seed (same seed, same file).")
]
MlpOutput = Annotated[
    str | None,
    typer.Option("--output", "-o", metavar="FILE", help="File to write (default: stdout)."),
]


@gen_app.command("mlp")
def gen_mlp(
    sizes: MlpSizes,
    activation: MlpActivation = "sigmoid",
    loss: MlpLoss = "mse",
    output_activation: OutputActivation = None,
    seed: MlpSeed = 0,
    output: MlpOutput = None,
):
    """Write a problem file for a random MLP, which every command accepts."""
    from tutor.variants import generate

    text = generate.mlp(
        generate.parse_sizes(sizes), activation, loss, seed, output=output_activation
    )
    _write_out(output, text)


homework_app = typer.Typer(
    help="A personal variant of each problem for every student, and their grades.",
    no_args_is_help=True,
)
app.add_typer(homework_app, name="homework")


def _langs(value: str) -> list[str]:
    if value == "both":
        return ["en", "zh"]
    return [_lang(value)]


Roster = Annotated[
    str,
    typer.Option(
        "--roster", metavar="FILE", help="CSV with a header row: id,name (more columns kept)."
    ),
]
SetProblems = Annotated[
    str,
    typer.Option(
        "--problems", metavar="ID,ID,...", help="Problem ids or files, e.g. ex2,ex4,ex18."
    ),
]
SetName = Annotated[
    str,
    typer.Option(
        "--set-name", metavar="NAME", help="Names the set; with the ids it seeds the variants."
    ),
]
Folder = Annotated[str, typer.Option("--output", "-o", metavar="FOLDER", help="Folder to write.")]
Same = Annotated[
    bool,
    typer.Option(
        "--same", help="Every student gets the problems' own numbers (no random: needed)."
    ),
]
KeyFormat = Annotated[
    str, typer.Option("--format", "-f", metavar="html|md", help="Format of the keys.")
]
Pdf = Annotated[bool, typer.Option("--pdf", help="Also print handouts and keys to PDF (Chromium).")]
PageLangs = Annotated[
    str,
    typer.Option(
        "--lang", "-l", metavar="en|zh|both", help="Language of the pages (both: one of each)."
    ),
]


@homework_app.command("make")
def homework_make(
    roster: Roster,
    problems: SetProblems,
    set_name: SetName,
    output: Folder,
    same: Same = False,
    format_: KeyFormat = "html",
    pdf: Pdf = False,
    lang: PageLangs = LANG,
):
    """Write each student's handout, answer file and key, a manifest and an index."""
    from pathlib import Path

    from tutor.homework import make
    from tutor.homework import roster as rosters
    from tutor.text.homework import say

    langs = _langs(lang)
    if format_ not in ("html", "md"):
        raise InputError(f"unknown format '{format_}' (use html or md)")
    browser = _browser(pdf, langs[0])
    students = rosters.read(roster)
    refs = [r.strip() for r in problems.split(",") if r.strip()]
    folder = Path(output)
    with _staging(folder, langs[0]) as staged, _progress() as progress:
        task = progress.add_task("homework", total=len(students))
        files = make.build(
            set_name,
            students,
            refs,
            langs=langs,
            same=same,
            key_format=format_,
            progress=lambda: progress.advance(task),
        )
        _write_homework(staged, files, browser)
    made = say(langs[0], "made", set=set_name, n=len(students), p=len(refs), folder=folder)
    err.print(made, markup=False)


def _browser(pdf: bool, lang: str):
    """The Chromium that prints `homework make --pdf`'s PDFs (None without --pdf)."""
    from tutor.homework import pdf as printer
    from tutor.text.homework import say

    browser = printer.chromium() if pdf else None
    if pdf and browser is None:
        raise InputError(say(lang, "no_chromium"))
    return browser


def _write_homework(staged, files, browser) -> None:
    """`homework make`'s files written into `staged`, handouts and keys also printed to PDF
    by `browser` (None: no PDF)."""
    from tutor.homework import pdf as printer

    for name, text in files:
        (staged / name).parent.mkdir(parents=True, exist_ok=True)
        _write(staged / name, text)
    for name, _ in files:
        if browser and name.startswith(("handouts/", "keys/")) and name.endswith(".html"):
            printer.print_pdf(browser, staged / name, (staged / name).with_suffix(".pdf"))


Homework = Annotated[
    str, typer.Argument(metavar="HOMEWORK", help="The folder `homework make` wrote.")
]
Submissions = Annotated[
    str,
    typer.Argument(metavar="SUBMISSIONS", help="A folder of filled answer files, ID.txt each."),
]
Gradebook = Annotated[
    str,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE.csv",
        help="The gradebook; grades-detail.csv, summary.html and feedback/ go beside it.",
    ),
]
GradeLangs = Annotated[
    str,
    typer.Option(
        "--lang", "-l", metavar="en|zh|both", help="Language of the pages (default: the set's)."
    ),
]


@homework_app.command("grade")
def homework_grade(
    folder: Homework,
    submissions: Submissions,
    output: Gradebook = "grades.csv",
    lang: GradeLangs = None,
):
    """Grade the answer files: grades.csv, grades-detail.csv, feedback pages, a class summary."""
    from pathlib import Path

    from tutor.homework import grade as grader
    from tutor.text.homework import say

    hw = Path(folder)
    target = Path(output)
    feedback = _langs(lang) if lang else []
    book = grader.grade(hw, Path(submissions), feedback=feedback, pages_to=target.parent)
    langs = _langs(lang) if lang else book.langs
    for name, text in grader.outputs(book, hw, target.name, langs):
        path = target.parent / name
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise cannot_write(path.parent, e) from None
        _write(path, text)
    stem = target.stem
    err.print(
        say(
            langs[0],
            "graded",
            graded=book.handed_in,
            n=len(book.students),
            csv=target,
            detail=f"{stem}-detail.csv",
            summary="summary.html",
        ),
        markup=False,
    )
    if book.unmatched:
        _warn(say(langs[0], "not_graded", files=", ".join(book.unmatched)))


def _answer_reader(answers: str | None):
    """read(prompt) -> next line or None: input() interactively, else the lines of a file
    (or stdin for `-`), echoed after the prompt so the transcript reads like a session.

    `read.lines` counts the lines read; `read.source` says where they come from and
    `read.ended` is set when it had no more: the end of the file, Ctrl-D, or a closed
    standard input (`read.closed`), which reads as the end of the answers (see `_no_answers`)."""
    if answers is None:
        return _typed_reader()
    if answers == "-":
        lines = iter(sys.stdin) if sys.stdin is not None else iter(())
    else:
        try:
            with open(answers, encoding="utf-8") as f:
                lines = iter(f.read(1_000_000).splitlines())
        except OSError as e:
            raise InputError(f"cannot read answers file {answers}: {e.strerror}") from None
        except UnicodeDecodeError:
            raise InputError(f"cannot read answers file {answers}: not UTF-8 text") from None

    def read_line(prompt: str):
        from tutor.quiz import view as quiz_view

        line = next(lines, None)
        if line is None:
            read_line.ended = True
            return None
        read_line.lines += 1
        line = line.rstrip("\r\n")
        out.print(quiz_view.echo(prompt, line), highlight=False)
        return line

    read_line.interrupted = read_line.ended = False
    read_line.closed = answers == "-" and sys.stdin is None
    read_line.lines, read_line.source = 0, "stdin" if answers == "-" else answers
    return read_line


def _typed_reader():
    """`_answer_reader` at a prompt: input(), Ctrl-C (`read.interrupted`) ending the answers
    but still showing the score."""

    def read(prompt: str):
        if sys.stdin is None:  # closed (`<&-`): no answer will come
            read.ended = read.closed = True
            return None
        try:
            line = input(prompt)
        except (EOFError, OSError):  # the end of the input, or a terminal gone
            out.print()
            read.ended = True
            return None
        except KeyboardInterrupt:  # Ctrl-C: stop here, but still show the score
            out.print()
            read.interrupted = True
            return None
        read.lines += 1
        return line

    read.interrupted = read.ended = read.closed = False
    read.lines, read.source = 0, "stdin"
    return read


def _no_answers(read, lang: str) -> None:
    """A quiz or review that asked and got no answer at all (standard input closed or empty,
    an empty answers file) ends with one line and exit code 2: answers were required. Input
    that ends later is the end of the answers: the rest is reported unanswered (exit 1)."""
    if read.lines or not read.ended:
        return
    from tutor.text.messages import say

    if read.closed:
        raise InputError(say(lang, "no_answers_closed"))
    where = say(lang, "stdin") if read.source == "stdin" else read.source
    raise InputError(say(lang, "no_answers_ended", source=where))


QUIZ_HELP = """Quiz yourself: every quantity a problem asks, in backprop's order (forward
nodes, the loss, the deltas from the loss back, the gradients output layer first, each
layer's parameter count and the total where the problem asks for them, the updates, the loss
after the update L'), checked as you type.

At a prompt type an answer, or hint (?), reveal, skip or quit. A wrong answer shows what
went wrong and gives another try (--tries N, default 2); an unreadable answer is not a try.
A gradient still wrong after its tries is broken into its chain-rule factors, each asked
and graded (error carried forward), then the product again; factors you got right are not
asked again. Hints climb a ladder: the factors' names, their rules in symbols, the numbers.
reveal shows the answer with its chain and numbers.

Credit: a right answer earns 1 (carried forward: 1/2), halved for each try after the first,
less 1/4 for each hint; the score is over the questions asked (scaffolding steps are shown,
not scored).

--guided asks every step of the worked solution (forward rows, loss, each local factor,
each delta and gradient, each update) and shows its row after the answer; Enter alone
shows the row: no attempt, no credit, nothing recorded (reported as skipped).

--answers FILE reads the session from FILE, one line per prompt in the order the prompts
come: each answer, each retry after a wrong answer, hint/reveal/skip, and the scaffolding
steps of a gradient still wrong; when the lines run out the rest is reported unanswered
(with no line at all, standard input closed or empty, the quiz ends with one line, exit 2).
A quiz left early (quit, Ctrl-C, the lines run out) shows the verdicts of what was answered
and keeps the other answers hidden, for --resume; --reveal shows them.
--report OUT.json writes the session (each question: quantity, step, expected answer, typed
answers, verdict, credit, skills, scaffold_of). --resume continues a quiz interrupted
(Ctrl-C, closed terminal) with the same values and the answers kept. Exit code 0 only if
every answer is correct; 75 if answers could not be saved in the progress database."""


def _resume_path(db: str | None, problem_id: str):
    """Where an interrupted quiz is kept: beside the progress database, named after it (two
    databases in one folder keep their own)."""
    import re

    from tutor.quiz import progress

    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", problem_id)[:80]
    database = progress.db_path(db)
    return database.parent / f"{database.stem}.quiz-{safe}.json"


def _load_resume(path, problem: str) -> dict:
    import json

    try:
        state = json.loads(path.read_text(encoding="utf-8")[:2_000_000])
    except FileNotFoundError:
        raise InputError(f"no interrupted quiz of {problem} to resume") from None
    except (OSError, ValueError) as e:
        raise InputError(f"cannot read the interrupted quiz {path}: {why(e)}") from None
    lines = state.get("lines") if isinstance(state, dict) else None
    seed = state.get("seed") if isinstance(state, dict) else None
    if (
        not isinstance(lines, list)
        or not all(isinstance(x, str) for x in lines)
        or not (seed is None or isinstance(seed, int))
    ):
        raise InputError(f"cannot read the interrupted quiz {path}: not a saved quiz")
    return state


def _saving(read, path, state: dict):
    """read() that also keeps every line typed in `path` (small JSON, rewritten each line)."""
    import json

    from tutor.quiz import session as quiz_loop

    def save() -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(state), encoding="utf-8")
        except OSError:
            pass  # resuming is a convenience: the progress database keeps the answers

    def saving_read(prompt: str):
        line = read(prompt)
        if line is not None and line.strip().lower() not in quiz_loop.QUIT:
            state["lines"].append(line)
            save()
        return line

    saving_read.interrupted = False
    return saving_read


QuizProblem = Annotated[
    str,
    typer.Argument(
        metavar="PROBLEM", help="A problem id or file, or `concepts` for the concept questions."
    ),
]
Random = Annotated[bool, typer.Option("--random", help="Fresh values for a numeric problem.")]
QuizSeed = Annotated[
    int | None,
    typer.Option(
        "--seed",
        metavar="N",
        help="Fix the random variant (implies --random) or the order of concept questions.",
    ),
]
QuizAnswers = Annotated[
    str | None,
    typer.Option(
        "--answers",
        metavar="FILE",
        help="Read one line per prompt from FILE (- for stdin) instead of asking.",
    ),
]
Tries = Annotated[
    int, typer.Option("--tries", metavar="N", min=1, max=9, help="Graded tries per question.")
]
Guided = Annotated[
    bool,
    typer.Option(
        "--guided",
        help="Ask every step of the worked solution and show its row after the answer.",
    ),
]
QuizReport = Annotated[
    str | None, typer.Option("--report", metavar="OUT.json", help="Write the session as JSON.")
]
Resume = Annotated[
    bool,
    typer.Option(
        "--resume",
        help="Continue the interrupted quiz of PROBLEM (same values, answers kept).",
    ),
]
QuizFull = Annotated[
    bool,
    typer.Option(
        "--full",
        help="List every given value of a large problem, and ask about all of them (without "
        "it, only what the first 40 given values let you compute is asked).",
    ),
]
QuizValues = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="NAME=VALUE",
        help="Replace a given value, e.g. --set x1=2 (repeatable; after --random).",
    ),
]
Reveal = Annotated[
    bool,
    typer.Option(
        "--reveal",
        help="Show the answers of the questions not answered when the quiz is left early.",
    ),
]
QuizView = Annotated[
    str | None,
    typer.Option(
        "--view",
        metavar="scalar|matrix",
        help="A network: problem's questions one weight at a time (scalar, the default) or as "
        "matrices (matrix: each hidden δ asked one entry first, then whole).",
    ),
]


@app.command(help=QUIZ_HELP)
def quiz(
    problem: QuizProblem,
    random_: Random = False,
    seed: QuizSeed = None,
    answers: QuizAnswers = None,
    tries: Tries = 2,
    guided: Guided = False,
    report: QuizReport = None,
    resume: Resume = False,
    db: Db = None,
    lang: Lang = LANG,
    full: QuizFull = False,
    settings: QuizValues = None,
    reveal: Reveal = False,
    view: QuizView = None,
):
    _quiz(SimpleNamespace(**locals()))  # every option, by name


def _quiz(o) -> None:
    """`quiz` with its options `o`: the session, the score, the report, the exit code; an
    interrupted quiz kept to resume, a finished one forgotten."""
    from tutor.quiz import session as quiz_loop
    from tutor.quiz import view as quiz_view

    lang = _lang(o.lang)
    if o.problem == "concepts" and o.settings:
        raise InputError("--set applies to a problem, not to the concept questions")
    read = _answer_reader(o.answers)
    chosen, state_path, state = (None, None, None) if o.problem == "concepts" else _quizzed(o)
    store = _open_store(o.db, lang)
    try:
        if chosen is None:
            outcomes = _quiz_concepts(o.seed, read, store, lang)
        else:
            outcomes = _quiz_problem(o, chosen, read, store, state, state_path, lang)
    finally:
        unsaved = _close_store(store, lang)
    out.print(quiz_view.score_table(outcomes, lang, o.reveal or None))
    _unfinished(o, chosen, outcomes, lang)
    if o.report is not None:
        named, seed = (chosen.id, o.seed) if chosen is not None else ("concepts", None)
        report = quiz_loop.report(named, seed, outcomes)
        _write_json(o.report, report, ensure_ascii=False, indent=1)
    _ending(unsaved, getattr(read, "interrupted", False), lang)
    _no_answers(read, lang)
    unanswered = any(x.verdict == "unanswered" for x in outcomes)
    if state_path is not None and o.answers is None and not unanswered:
        with contextlib.suppress(OSError):  # nothing was saved there either
            state_path.unlink(missing_ok=True)  # finished: nothing to resume
    main = [x for x in outcomes if getattr(x, "scaffold_of", None) is None]
    if not main or any(x.verdict != "correct" for x in main):
        raise typer.Exit(1)


def _quizzed(o):
    """The problem a quiz asks (a variant with --random, --seed or --set), where its state
    is kept for --resume, and that state (None without --resume); a resumed quiz's seed,
    mode and tries are put in `o`."""
    import random

    from tutor.problems import catalog
    from tutor.quiz import session as quiz_loop

    chosen = catalog.load(o.problem)
    state_path = _resume_path(o.db, chosen.id)
    state = None
    if o.resume:
        state = _load_resume(state_path, o.problem)
        o.view = state.get("view") if state.get("view") in ("matrix", "scalar") else o.view
        o.seed, o.guided = state.get("seed"), bool(state.get("guided", o.guided))
        tries = str(state.get("tries", ""))
        o.tries = int(state.get("tries", o.tries)) if tries.isdigit() else o.tries
    if o.random_ or o.seed is not None:
        o.seed = random.randrange(1_000_000) if o.seed is None else o.seed
    chosen = catalog.in_view(o.problem, o.view, quiz=True) or chosen  # a network: as matrices
    return quiz_loop.variant(chosen, o.seed, o.settings), state_path, state


def _quiz_concepts(seed, read, store, lang: str) -> list:
    """`quiz concepts`: the concept questions, shuffled by `seed`."""
    from tutor.problems import concepts
    from tutor.quiz import session as quiz_loop

    bank = concepts.shuffled(concepts.load_bank(), seed)
    return quiz_loop.run_concepts(bank, read, out.print, _warn, store, lang, seed)


def _unfinished(o, chosen, outcomes, lang: str) -> None:
    """A quiz left early: its answers kept hidden (unless --reveal), and how to go on."""
    import shlex

    from tutor.quiz import view as quiz_view

    if o.reveal or chosen is None or all(x.verdict != "unanswered" for x in outcomes):
        return
    again = f"bptutor quiz {shlex.quote(o.problem)} --resume"
    again += f" --db {shlex.quote(o.db)}" if o.db else ""
    out.print(quiz_view.unfinished(lang, again if o.answers is None else None))


def _quiz_problem(o, chosen, read, store, state, state_path, lang: str) -> list:
    """A problem's quiz: its statement, then the questions; what is typed kept in
    `state_path` (when typed at a prompt); a resumed quiz's answers replayed first."""
    from tutor.quiz import session as quiz_loop
    from tutor.quiz import view as quiz_view

    session = quiz_loop.open_session(chosen, seed=o.seed, guided=o.guided, tries=o.tries)
    out.print(session.statement(lang, o.full))  # never ask what is not shown
    if o.seed is not None:
        out.print(quiz_view.variant_line(o.seed, lang))
    kept = list(state["lines"]) if state is not None else []
    saved = {"problem": chosen.id, "seed": o.seed, "guided": o.guided, "tries": o.tries}
    saved["view"] = o.view
    typed = _saving(read, state_path, {**saved, "lines": kept}) if o.answers is None else read
    reader, show, recorder = typed, out.print, store
    if state is not None:
        note = quiz_view.note("resumed", lang, n=len(state["lines"]))
        replay = quiz_loop.Replay(state["lines"], typed, show, store, note)
        reader, show, recorder = replay.read, replay, replay
    return quiz_loop.run_problem(session, reader, show, _warn, recorder, lang)


def _warn(line: str) -> None:
    """A line on stderr as it is (a quiz's notes: no markup, no highlighting)."""
    err.print(line, markup=False, highlight=False, soft_wrap=True)


EXIT_UNSAVED = 75  # EX_TEMPFAIL: answers could not be saved (a lock held too long, a full disk)


def _open_store(db, lang: str):
    """The progress database a quiz records into (why it cannot be used, if so, on stderr,
    and the rows that cannot be read: a bad card is rebuilt when its skill is reviewed)."""
    import sqlite3

    from tutor.quiz import progress

    path = progress.db_path(db)
    store = _store(progress.open_store(path), lang)
    if store.saving:
        try:
            bad = _skipped(path, lang, wait=progress.OPEN_WAIT)  # locked: said when met
        except (sqlite3.Error, OSError):
            bad = []
        store.noted.update((r.table, r.rowid) for r in bad)
    return store


def _store(opened, lang: str):
    """The store `progress.open_store` opened, its notice (if any) said on stderr."""
    from tutor.quiz import view as quiz_view

    store, notice = opened
    if notice:
        _warn(quiz_view.store_note(notice, lang))
    return store


def _close_store(store, lang: str) -> bool:
    """Close the store (the answers still waiting tried once more); True, after one line on
    stderr, when answers could not be saved."""
    from tutor.quiz import view as quiz_view

    notice = store.close()
    if notice:
        _warn(quiz_view.store_note(notice, lang))
    return notice is not None


def _ending(unsaved: bool, interrupted: bool, lang: str) -> None:
    """The exit after a quiz or review: 75 when answers were lost (it outranks the rest), 130
    after Ctrl-C."""
    from tutor.quiz import view as quiz_view

    if unsaved:
        raise typer.Exit(EXIT_UNSAVED)
    if interrupted:
        err.print(quiz_view.interrupted(lang))
        raise typer.Exit(130)


def _class_summary(folder: str, lang: str) -> None:
    from pathlib import Path

    from tutor.quiz import classroom

    out.print(classroom.table(classroom.summary(Path(folder)), folder, lang))


ProgressProblem = Annotated[
    str | None,
    typer.Argument(
        metavar="[PROBLEM]", help="Only this problem (with --reset: forget only its attempts)."
    ),
]
Reset = Annotated[
    bool,
    typer.Option("--reset", help="Forget every attempt (or PROBLEM's) and the reviews they made."),
]
CheckRows = Annotated[
    bool,
    typer.Option(
        "--check",
        help="List the rows of the database that cannot be read (exit 1 if any, 0 if none).",
    ),
]
Class = Annotated[
    str | None,
    typer.Option(
        "--class",
        metavar="DIR",
        help="Summarise a folder of quiz --report files: per question, how many were right "
        "first time and the most common mistakes.",
    ),
]


@app.command("progress")
def progress_(
    problem: ProgressProblem = None,
    reset: Reset = False,
    db: Db = None,
    check: CheckRows = False,
    klass: Class = None,
    lang: Lang = LANG,
):
    """Your quiz history: attempts and accuracy per problem and quantity, weakest first,
    what to review next; mastery per skill (attempts, accuracy, FSRS stability, next due
    time) and a history per day. Rows that cannot be read are left out, named in one line.
    With --class DIR: a class's quiz reports instead."""
    import sqlite3

    from tutor.quiz import progress, review_view
    from tutor.quiz import view as quiz_view

    lang = _lang(lang)
    if klass is not None:
        return _class_summary(klass, lang)
    path = progress.db_path(db)
    if check and reset:
        raise InputError("--check and --reset go separately")
    try:
        if check:
            _check_rows(path, lang)
            return
        if reset:
            removed = progress.reset(path, problem)
            out.print(review_view.reset_line(removed, problem, str(path), lang), markup=False)
            return
        rows = progress.summary(path, problem)
        skills = progress.mastery(path) if problem is None else []
        days = progress.history(path) if problem is None else []
        _skipped(path, lang)
    except (sqlite3.Error, OSError) as e:
        raise InputError(f"cannot read the progress database {path}: {why(e)}") from None
    table = quiz_view.progress_table(rows, str(path), lang)
    out.print(review_view.progress(table, skills, days, time.time(), lang))


def _check_rows(path, lang: str) -> None:
    """`progress --check`: each row that cannot be read, a summary; exit 1 if any."""
    from tutor.quiz import progress
    from tutor.quiz import view as quiz_view

    bad, counts = progress.check(path)
    for row in bad:
        out.print(quiz_view.bad_row(row, lang), markup=False, soft_wrap=True)
    summary = quiz_view.check_summary(bad, counts, str(path), lang)
    out.print(summary, markup=False, soft_wrap=True)
    if bad:
        raise typer.Exit(1)


def _skipped(path, lang: str, wait: float | None = None) -> list:
    """The rows a summary leaves out, named in one line on stderr; returned."""
    from tutor.quiz import progress
    from tutor.quiz import view as quiz_view

    bad, _ = progress.check(path, wait)
    if bad:
        _warn(quiz_view.store_note(progress.Notice("skipped", str(path), rows=tuple(bad)), lang))
    return bad


Count = Annotated[
    int,
    typer.Option("--count", "-n", metavar="N", help="How many questions at most (default 8)."),
]
From = Annotated[
    str | None,
    typer.Option("--from", metavar="DIR", help="Also your own problem files in DIR (*.yaml)."),
]
ReviewAnswers = Annotated[
    str | None,
    typer.Option(
        "--answers",
        metavar="FILE",
        help="Read one answer, hint or command per line from FILE (- for stdin) instead of asking.",
    ),
]
ReviewReport = Annotated[
    str | None,
    typer.Option(
        "--report",
        metavar="OUT.json",
        help="Write the session as JSON (every question, answers, verdict, credit, skills).",
    ),
]
ReviewSeed = Annotated[
    int | None, typer.Option("--seed", metavar="N", help="Fix the random variants drawn.")
]
Skill = Annotated[
    str | None,
    typer.Option("--skill", metavar="NAME", help="Review this skill only, due or not (mse', ...)."),
]
NewSkills = Annotated[
    int,
    typer.Option("--new", metavar="N", min=0, help="New skills a day at most (default 5)."),
]


REVIEW_HELP = """Spaced review: FSRS schedules every skill (each local derivative kind, each update
rule). A review asks the weak skills first (lapsed, or failing: last answer wrong, or
under half the credit), due or not, then those due now, then a few new ones (--new a
day), in fresh random variants of the catalogue problems (and of your own files with
--from). A right first try rates Good, right after a retry or hint Hard, wrong or
revealed Again; a gradient broken into its factors is rated factor by factor. Exit code
0 only if every answer is correct; 75 if answers could not be saved in the progress
database."""


@app.command(help=REVIEW_HELP)
def review(
    count: Count = 8,
    from_: From = None,
    answers: ReviewAnswers = None,
    report: ReviewReport = None,
    seed: ReviewSeed = None,
    skill: Skill = None,
    new: NewSkills = 5,
    db: Db = None,
    lang: Lang = LANG,
):
    from pathlib import Path

    from tutor.quiz import review as reviews
    from tutor.quiz import view as quiz_view

    lang = _lang(lang)
    if count < 1:
        raise InputError("--count must be at least 1")
    if from_ is not None and not Path(from_).is_dir():
        raise InputError(f"--from: no such folder: {from_}")
    read = _answer_reader(answers)
    seed, parts, store = _review_parts(from_, seed, count, db, lang, (skill, new))
    if not parts:
        return
    try:
        done = reviews.run(parts, read, out.print, _warn, store, lang, _review_statement)
    finally:
        unsaved = _close_store(store, lang)
    outcomes = [o for _, o in done]
    out.print(quiz_view.score_table(outcomes, lang))
    if report is not None:
        _write_json(report, reviews.report(done, seed), ensure_ascii=False)
    _ending(unsaved, getattr(read, "interrupted", False), lang)
    _no_answers(read, lang)
    if any(o.verdict != "correct" for o in outcomes):
        raise typer.Exit(1)


def _review_parts(from_, seed, count: int, db, lang: str, asking: tuple):
    """The review's seed, its parts (the problems that ask the skills due now, none after
    saying when the next one is due) and the store to record into (None when no part);
    `asking`: --skill (one skill, due or not) and --new (new skills a day)."""
    import random
    import sqlite3
    from pathlib import Path

    from tutor.quiz import progress, review_view, skills
    from tutor.quiz import review as reviews

    path = progress.db_path(db)
    now = time.time()
    try:
        known = progress.mastery(path)
        skipped = _skipped(path, lang)
    except (sqlite3.Error, OSError):
        known, skipped = [], []  # open_store below says why it cannot be used
    skill, new = asking
    due = reviews.due(known, skills.all_skills(), now, new)
    due = [reviews.skill_named(skill, lang)] if skill is not None else due
    seed = random.randrange(1_000_000) if seed is None else seed
    extra = Path(from_) if from_ is not None else None
    parts = reviews.build_session(reviews.candidates(extra, _warn), due, seed, count) if due else []
    if not parts:
        later = [m.due for m in known if m.due is not None and m.due > now]
        out.print(review_view.nothing_due(min(later) if later else None, now, lang))
        return seed, parts, None
    asked = [s for s in due if any(s in t for p in parts for t in p.skills.values())]
    out.print(review_view.start(sum(len(p.session.questions) for p in parts), asked, lang))
    store = _store(progress.open_store(path), lang)
    store.noted.update((r.table, r.rowid) for r in skipped)  # said above
    return seed, parts, store


def _review_statement(session, lang, index, total):
    """A review part's heading and its problem's statement."""
    from rich.console import Group

    from tutor.quiz import review_view

    return Group(
        review_view.part(index, total, session.problem.id, lang),
        session.statement(lang, full=True),
    )


def entry() -> None:
    """The console script: run `main`, flush, and leave without tearing the interpreter down.

    Freeing SymPy's and NumPy's objects one by one at exit costs about 80 ms a run and saves
    nothing: every file is closed and every answer committed before `main` returns.
    """
    import gc

    # A large network makes ~10^5 SymPy objects and as many numbers: with the default
    # threshold (700) the collector scans them again and again, a fifth of `solve`'s time
    # at 10-128-128-10. Collections still happen, less often.
    gc.set_threshold(10_000, 20, 20)
    code = 0
    try:
        _standard_streams()
        try:
            main()
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        code = _flush(code)
    except KeyboardInterrupt:  # Ctrl-C while an error or the last output was written
        code = 130
    except streams.OutputLost as e:  # standard error lost while an error was reported
        code = code or _lost(e)
    if "cProfile" in sys.modules or "profile" in sys.modules:
        sys.exit(code)  # under `python -m cProfile -m tutor ...`: let the profiler report
    os._exit(code)


def _standard_streams() -> None:
    """The standard streams made safe to use. A descriptor closed before the start (`<&-`,
    `>&-`: Python sets sys.stdin or sys.stdout to None) is held by /dev/null, so that no file
    opened later takes its number; sys.stdin stays None, which the readers take as the end of
    the input. sys.stdout and sys.stderr become `streams.Output`: a failed write raises
    OutputLost (a closed standard output fails at its first write); what the encoding cannot
    show is written in ASCII. A standard input in an encoding other than UTF-8 reads what it
    cannot decode as U+FFFD (an unreadable answer, asked again) rather than failing."""
    for fd, name in ((0, "stdin"), (1, "stdout"), (2, "stderr")):
        if getattr(sys, name) is None:
            try:
                os.fstat(fd)
            except OSError:
                null = os.open(os.devnull, os.O_RDWR)
                if null != fd:
                    os.dup2(null, fd)
                    os.close(null)
    sys.stdout = streams.Output(sys.stdout if sys.stdout is not None else streams.Closed())
    if sys.stderr is not None:
        sys.stderr = streams.Output(sys.stderr, "stderr")
    encoding = (getattr(sys.stdin, "encoding", None) or "utf-8").lower()
    if sys.stdin is not None and not encoding.startswith("utf"):
        try:
            sys.stdin.reconfigure(errors="replace")
        except (AttributeError, ValueError):
            pass


def _flush(code: int) -> int:
    """Flush what `main` left buffered (output written with sys.stdout.write is flushed only
    here): a standard output that failed, now or in a library that swallowed the error
    (click's --help), is reported as in `main`. The note of ASCII names, if any were
    written. The exit code."""
    try:
        sys.stdout.flush()
    except (streams.OutputLost, OSError, ValueError, AttributeError):
        pass
    lost = getattr(sys.stdout, "lost", None)  # now, or earlier if a library swallowed it
    if lost is not None and code == 0:
        code = _lost(lost)
    if any(getattr(s, "replaced", False) for s in (sys.stdout, sys.stderr)):
        from tutor.text.messages import say

        lang = _argv_lang()
        encoding = getattr(sys.stdout, "encoding", "ascii")
        note = say(lang, "ascii_note", encoding=encoding)
        if not streams.encodes(note, getattr(sys.stderr, "encoding", "ascii")):
            note = say("en", "ascii_note", encoding=encoding)
        err.print(note, style="dim", markup=False, highlight=False, soft_wrap=True)
    try:
        sys.stderr.flush()
    except (streams.OutputLost, OSError, ValueError, AttributeError):
        pass
    return code


def _lost(e: "streams.OutputLost") -> int:
    """Standard output failed: nothing more is written there (its descriptor now holds
    /dev/null, so that nothing buffered fails again); one line on stderr, unless the reader
    of a pipe went away (`| head`), which is the normal end of a pipe. Standard error
    failed: nothing to say it on. The exit code."""
    if e.stream == "stderr":
        return streams.EXIT_PIPE if e.pipe else streams.EXIT_OUTPUT
    if isinstance(sys.stdout, streams.Output):  # installed by `entry`: the real descriptor 1
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            os.close(null)
        except OSError:
            pass
    if e.pipe:
        return streams.EXIT_PIPE
    from tutor.text.messages import say

    lang = _argv_lang()
    if e.closed:
        line = say(lang, "output_closed")
    else:
        line = say(lang, "output_lost", why=e.reason)
    try:
        err.print(f"[bold red]error:[/] {escape(line)}", highlight=False, soft_wrap=True)
    except streams.OutputLost:
        pass
    return streams.EXIT_OUTPUT


def _argv_lang() -> str:
    """The language of the command line (`--lang zh`, `-l zh`, `--lang=zh`, BPTUTOR_LANG),
    for the lines written outside a command: the streams' errors and notes."""
    args = sys.argv[1:]
    lang = os.environ.get("BPTUTOR_LANG", "en")
    for i, arg in enumerate(args):
        if arg in ("--lang", "-l") and i + 1 < len(args):
            lang = args[i + 1]
        elif arg.startswith("--lang="):
            lang = arg.split("=", 1)[1]
    return lang if lang in ("en", "zh") else "en"


def _caused_by_ctrl_c(error: BaseException) -> bool:
    """A Ctrl-C that Python wrapped in another error (while a module was being imported, a
    class's `__set_name__` turns it into a RuntimeError): an interruption, not a bug."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, KeyboardInterrupt):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def _unraisable(report, default=sys.unraisablehook) -> None:
    """Ctrl-C that lands in a finalizer (a plotext pixel freed while a chart is drawn) is
    ignored by Python with a traceback on stderr; here it ends the run as Ctrl-C does."""
    if isinstance(report.exc_value, KeyboardInterrupt):
        err.print("interrupted")
        for stream in (sys.stdout, sys.stderr):  # what was printed stays printed
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(130)
    where = getattr(report.object, "__module__", None) or ""
    if isinstance(report.exc_value, AttributeError) and where.startswith("plotext."):
        return  # Ctrl-C inside plotext's constructor: its __del__ then frees what was not made
    default(report)


def main() -> None:
    """Run the app; turn our errors into one line on stderr and an exit code."""
    _LANG[0] = os.environ.get("BPTUTOR_LANG", "en")
    sys.unraisablehook = _unraisable
    try:
        try:
            app()
        finally:
            _cache_notes()
    except TutorError as e:  # in the command's language where the catalogue has the sentence
        err.print(f"[bold red]error:[/] {escape(e.say(_LANG[0]))}", highlight=False, soft_wrap=True)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except streams.OutputLost as e:  # standard output closed, full, or its pipe closed
        sys.exit(_lost(e))
    except RecursionError:
        err.print("[bold red]error:[/] input nested too deeply")
        sys.exit(2)
    except Exception as e:  # a bug: one line, and the traceback only on request
        if _caused_by_ctrl_c(e):
            err.print("interrupted")
            sys.exit(130)
        if os.environ.get("BPTUTOR_DEBUG"):
            raise
        err.print(
            f"[bold red]internal error:[/] {type(e).__name__}: {escape(str(e))} "
            "(run with BPTUTOR_DEBUG=1 for the traceback, and please report it)",
            markup=True,
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(70)
