"""The Python API: `tutor.solve`, `load`, `check`, `train` (docs/api.md), for scripts and
notebooks.

Thin, like the CLI: each function calls the library and wraps what it returns in a small
result object that Jupyter and VS Code render (`_repr_markdown_`, `_repr_html_`,
`_repr_svg_`): the same Markdown and HTML as `export`, never terminal escape codes. Errors are
the library's own (`tutor.errors.TutorError` and its subclasses), one line each.

This module imports nothing heavy itself: SymPy and NumPy load on the first solve.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tutor.errors import InputError
from tutor.model import Problem

LANGS = ("en", "zh")


def _plain_console():
    """A rich console writing plain text (no colour) at 100 columns into a string; with
    force_jupyter=False, since inside a kernel rich would display the output itself."""
    import io

    from rich.console import Console

    return Console(
        file=io.StringIO(),
        width=100,
        color_system=None,
        highlight=False,
        legacy_windows=False,
        force_jupyter=False,
    )


def _lang(lang: str) -> str:
    if lang not in LANGS:
        raise InputError(f"unknown language '{lang}' (use en or zh)")
    return lang


# --------------------------------------------------------------------------- loading


def load(
    problem: str | os.PathLike | Problem, *, values: Mapping[str, Any] | None = None
) -> Problem:
    """A problem from a built-in id (`"ex2"`), a path to a YAML file, the YAML text itself
    (any text with a line break), or a `Problem` (returned as it is).

    `values` replaces given values, like `--set`: `{"w1": 3, "x2": "1/2"}` (numbers or exact
    text, read by the restricted parser); for a tensor problem a whole tensor (a nested list,
    an array or `"[0.1, 0.2; 0.3, 0.4]"`) or one entry (`{"W1[2,1]": 0.5}`). The published
    answers then no longer apply.
    """
    from tutor.problems import catalog
    from tutor.variants import matrix, scalar

    if isinstance(problem, Problem):
        loaded = problem
    elif isinstance(problem, str) and "\n" in problem:
        from tutor.problems.loader import problem_from_doc
        from tutor.problems.yamlsafe import load_yaml

        doc = load_yaml(problem, "<inline>")
        if not isinstance(doc.data, dict):
            raise InputError("<inline>:1: a problem must be a mapping of keys")
        loaded = problem_from_doc(doc)
    elif isinstance(problem, (str, os.PathLike)):
        loaded = catalog.load(os.fspath(problem))
    else:
        raise TypeError("problem must be an id, a path, YAML text or a Problem")
    if values:
        loaded = (matrix if loaded.tensor else scalar).with_values(loaded, _settings(values))
    return loaded


def _settings(values: Mapping[str, Any] | None) -> list[str]:
    """`values` as `--set NAME=VALUE` items: a nested list or an array in the quiz's tensor
    notation (rows separated by `;`), anything else as its text."""
    import numpy as np

    items = []
    for name, value in (values or {}).items():
        if isinstance(value, (list, tuple, np.ndarray)):
            rows = np.asarray(value, dtype=object)
            if rows.ndim == 1:  # a vector: the notation reads it in the tensor's own shape
                rows = rows[None, :]
            if rows.ndim != 2:
                raise InputError(f"{name}: give a tensor of more than two axes in the file")
            value = "[" + "; ".join(", ".join(str(v) for v in row) for row in rows) + "]"
        items.append(f"{name}={value}")
    return items


def _solved(problem: Problem, optimizer=None, lr=None, l2=None):
    """The worked solution of any kind of problem: a tensor problem's by the tensor engine
    (`engine.matrix_solve`), any other by the scalar one, as `bptutor solve` and `export`,
    with the file's published values checked."""
    from tutor.solutions import explain

    published = bool(problem.published)  # none for a variant (`values`): nothing to check
    changed = bool(optimizer) or lr is not None or l2 is not None
    if problem.tensor:
        from tutor.engine import matrix_solve
        from tutor.problems import network

        problem, rule = network.with_rule(problem, optimizer, lr, l2)
        solution = matrix_solve.solve(problem, rule=rule)
    else:
        from tutor.solutions import explain
        from tutor.variants import scalar as variants

        problem, rule = variants.with_rule(problem, optimizer, lr, l2)
        solution = explain.solve(problem, rule=rule)
    # the file's errata whatever the rule, as `bptutor solve` and `check` (explain.with_errata)
    return explain.with_errata(solution, settings=not published, rule_changed=changed)


# --------------------------------------------------------------------------- solving


@dataclass(frozen=True)
class Graph:
    """A solution's computation graph: SVG through Graphviz's `dot` where it is installed,
    the text tree (as `bptutor graph` prints it, without colour) otherwise."""

    solution: Any
    lang: str = "en"

    def dot(self) -> str:
        """The graph as Graphviz DOT text (a tensor node with its shape)."""
        from tutor.views.graph import draw

        return draw(self.solution, self.lang)

    def svg(self) -> str | None:
        """The graph drawn by `dot -Tsvg`, or None where Graphviz is not installed."""
        exe = shutil.which("dot")
        if exe is None:
            return None
        # at most 7.5 inches wide: a notebook's column, however many nodes
        run = subprocess.run(
            [exe, "-Tsvg", "-Gsize=7.5,10"],
            input=self.dot(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        if run.returncode != 0:
            return None
        svg = run.stdout
        return svg[svg.find("<svg") :] if "<svg" in svg else None  # no XML prologue or doctype

    def text(self) -> str:
        """The tree from the loss to the leaves, plain text."""

        from tutor.views.graph import tree

        console = _plain_console()
        console.print(tree(self.solution, self.lang))
        return console.file.getvalue()

    def _repr_svg_(self) -> str | None:
        return self.svg()

    def __repr__(self) -> str:
        return self.text()


@dataclass(frozen=True)
class Result:
    """A worked solution and the language to show it in. Its fields are the Solution's
    (`result.loss`, `result.forward`, `result.node_grads`, ...), plus the dictionaries below;
    in a notebook it shows as the exported document. A tensor problem's Solution is the
    tensor engine's (`engine.matrix_solve.TensorSolution`): its values are arrays."""

    solution: Any
    lang: str = "en"

    @property
    def _tensor(self) -> bool:
        return self.solution.problem.tensor

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.solution, name)

    @property
    def values(self) -> dict[str, float | None]:
        """Each node's value in the forward pass."""
        return {s.name: s.value for s in self.solution.forward}

    @property
    def grads(self) -> dict[str, Any]:
        """dL/d(parameter) for each parameter."""
        if self._tensor:
            return {n: self.solution.grads.get(n) for n in self.solution.problem.params}
        return {n: self.solution.node_grads.get(n) for n in self.solution.problem.params}

    @property
    def new_params(self) -> dict[str, float]:
        """Each updated parameter's value after the optimizer step."""
        return {u.name: u.new for u in self.solution.updates}

    def markdown(self) -> str:
        """The same Markdown as `bptutor export` (LaTeX math)."""
        if self._tensor:
            from tutor.views.matrix_document import markdown
        else:
            from tutor.views.document import markdown

        return markdown(self.solution, self.lang)

    def html(self, page: bool = False) -> str:
        """The HTML export's body (one scoped element); `page=True`: the whole page."""
        from tutor.views import document as export
        from tutor.views import html as html_export

        if self._tensor:
            from tutor.views import matrix_document

            if page:
                return matrix_document.html(self.solution, self.lang)
            blocks = matrix_document.document(self.solution, self.lang)
            return html_export.fragment(blocks, self.lang)
        if page:
            return html_export.solution_page(self.solution, self.lang)
        return html_export.fragment(export.document(self.solution, self.lang), self.lang)

    def graph(self) -> Graph:
        return Graph(self.solution, self.lang)

    def _repr_markdown_(self) -> str:
        return self.markdown()

    def _repr_html_(self) -> str:
        return self.html()

    def __repr__(self) -> str:
        p = self.solution.problem
        loss = "" if self.solution.loss is None else f", loss {self.solution.loss:.6g}"
        count = len(self.solution.grads if self._tensor else self.solution.gradients)
        return f"<Result {p.id}{loss}, {count} gradients>"


def solve(
    problem: str | os.PathLike | Problem,
    *,
    lang: str = "en",
    values: Mapping[str, Any] | None = None,
    optimizer: str | None = None,
    lr: float | None = None,
    l2: float | None = None,
) -> Result:
    """The worked solution of a problem (see `load` for what `problem` may be): forward
    pass, loss, every chain-rule factor, gradients, one optimizer step (`optimizer`, `lr`,
    `l2` as in `bptutor solve`), checked against the published answers."""
    lang = _lang(lang)
    return Result(_solved(load(problem, values=values), optimizer, lr, l2), lang)


# --------------------------------------------------------------------------- checking


@dataclass(frozen=True)
class Report:
    """Published answers against computed ones, for one or more problems."""

    solutions: tuple
    lang: str = "en"
    strict: bool = False

    @property
    def checks(self) -> list:
        return [c for s in self.solutions for c in s.checks]

    @property
    def errata(self) -> list:
        """The published values that disagree (with `strict`, early rounding counts too)."""
        return [
            c
            for s in self.solutions
            for c in (s.errata if self.strict else getattr(s, "mistakes", s.errata))
        ]

    @property
    def ok(self) -> bool:
        return not self.errata

    def __bool__(self) -> bool:
        return self.ok

    def _repr_markdown_(self) -> str:
        from tutor.views import document as export
        from tutor.views import matrix_document

        blocks = []
        for s in self.solutions:
            if s.problem.tensor:
                found = matrix_document.checks(s, self.lang)
            else:
                found = export.errata(s, self.lang)
            if found:
                blocks.append(
                    export.heading(1, f"{s.problem.id}: {s.problem.title.get(self.lang)}")
                )
                blocks += found
        return export.to_markdown(blocks) if blocks else "nothing published to check\n"

    def __repr__(self) -> str:
        return f"<Report {len(self.errata)} wrong of {len(self.checks)} checked>"


def check(*problems, lang: str = "en", strict: bool = False) -> Report:
    """Compare every published answer of the problems (default: the whole catalogue) with
    the engine, as `bptutor check` does. `report.ok` is False when any disagrees."""
    from tutor.problems import catalog

    lang = _lang(lang)
    refs = problems or tuple(str(f) for f in catalog.builtin_files())
    return Report(tuple(_solved(load(r)) for r in refs), lang, strict)


# --------------------------------------------------------------------------- quizzing


class _Unsaved:
    """A progress store that keeps nothing: a quiz from Python records no attempt."""

    def record(self, *args, **kwargs):
        return None

    def record_outcome(self, *args, **kwargs):
        return None


@dataclass(frozen=True)
class Quiz:
    """A quiz answered from Python: each question's outcome (`tutor.quiz.session.Outcome`:
    key, verdict, answer, exact answer, credit), the transcript as `bptutor quiz --answers`
    prints it (plain text), and the score. In a notebook: the score table."""

    problem: Problem
    outcomes: tuple
    transcript: str
    lang: str = "en"
    seed: int | None = None

    @property
    def score(self) -> float:
        """The credit earned: 1 a question right at the first try (see docs/api.md)."""
        return sum(o.credit for o in self._main)

    @property
    def ok(self) -> bool:
        """Every question answered right."""
        return bool(self._main) and all(o.verdict == "correct" for o in self._main)

    @property
    def _main(self) -> list:
        return [o for o in self.outcomes if getattr(o, "scaffold_of", None) is None]

    def _repr_markdown_(self) -> str:
        from tutor.quiz.view import label
        from tutor.text.notation import fmt
        from tutor.views import document as export

        def verdict(o) -> str:  # the score table's words (quiz.view.score_table)
            names = {"revealed": "revealed_v", "skipped": "skipped_v"}
            return label(self.lang, names.get(o.verdict, o.verdict))

        rows = [
            [export.Code(o.key), export.Code(o.answer) if o.answer else "", verdict(o), o.exact]
            for o in self.outcomes
        ]
        heads = [label(self.lang, k) for k in ("question", "your_answer", "result", "answer")]
        score = label(self.lang, "score", s=fmt(self.score), n=len(self._main))
        return export.to_markdown(
            [export.table(heads, rows, set()), export.Para(export.inline(score))]
        )

    def __repr__(self) -> str:
        return f"<Quiz {self.problem.id}: {self.score:g} of {len(self._main)}>"


def quiz(
    problem: str | os.PathLike | Problem,
    answers: str | Sequence[str] = (),
    *,
    lang: str = "en",
    tries: int = 2,
    seed: int | None = None,
    guided: bool = False,
    values: Mapping[str, Any] | None = None,
    view: str | None = None,
) -> Quiz:
    """The problem's quiz answered by `answers` (one per prompt, as `bptutor quiz --answers`
    reads them: a list, or a text of lines); the questions past the last answer are
    unanswered. `seed`: a random variant (as `--random --seed`); `guided` as `--guided`;
    `view` as `--view` (a `network:` file as matrices or one weight at a time; without it,
    the file's `quiz_view:`). Nothing is recorded in the progress database."""

    from tutor.quiz import view as quiz_view

    lang = _lang(lang)
    if isinstance(answers, str):
        answers = answers.splitlines()
    lines = iter(list(answers))
    console = _plain_console()

    def read(prompt: str):
        line = next(lines, None)
        if line is not None:
            console.print(quiz_view.echo(prompt, line), highlight=False)
        return line

    def warn(line: str) -> None:
        console.print(line, markup=False, highlight=False, soft_wrap=True)

    from tutor.quiz import session as quiz_loop

    loaded = load(problem)
    if isinstance(problem, (str, os.PathLike)) and "\n" not in str(problem):
        from tutor.problems import catalog

        loaded = catalog.in_view(os.fspath(problem), view, quiz=True) or loaded
    elif view is not None:
        raise InputError("view= needs a problem id or file (a network: file's other view)")
    chosen = quiz_loop.variant(loaded, seed, _settings(values))
    session = quiz_loop.open_session(chosen, seed=seed, guided=guided, tries=tries)
    console.print(session.statement(lang, True))
    outcomes = quiz_loop.run_problem(session, read, console.print, warn, _Unsaved(), lang)
    console.print(quiz_view.score_table(outcomes, lang, reveal=True))  # a record, not a quiz
    return Quiz(chosen, tuple(outcomes), console.file.getvalue(), lang, seed)


# --------------------------------------------------------------------------- training


@dataclass(frozen=True)
class Training:
    """A training run (`tutor.playground.training.History`): losses before each step, rates, final
    parameters. In a notebook: the loss about every tenth of the run."""

    history: Any
    problem: Problem
    rows: int = 10

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.history, name)

    def _repr_markdown_(self) -> str:
        from tutor.text.notation import fmt
        from tutor.views import document as export

        h = self.history
        n = len(h.losses)
        every = max(1, n // self.rows)
        steps = list(range(0, n, every))
        rows = [[str(i), fmt(h.losses[i]), fmt(h.rates[i])] for i in steps]
        if h.final_loss is not None:
            rows.append([str(n), fmt(h.final_loss), ""])
        loss_table = export.table(["step", "loss", "rate"], rows, {0, 1, 2})
        params = export.table(
            ["parameter", "start", "end"],
            [[export.Code(k), fmt(h.initial.get(k)), fmt(v)] for k, v in h.params.items()],
            {1, 2},
        )
        return export.to_markdown(
            [export.heading(3, f"{self.problem.id}: {n} steps"), loss_table, params]
        )

    def __repr__(self) -> str:
        h = self.history
        return f"<Training {self.problem.id}: {len(h.losses)} steps, final loss {h.final_loss}>"


def train(
    problem: str | os.PathLike | Problem,
    steps: int = 1000,
    *,
    optimizer: str = "sgd",
    lr: float = 0.1,
    l2: float | None = None,
    schedule: str = "constant",
    values: Mapping[str, Any] | None = None,
    **schedule_options,
) -> Training:
    """`steps` optimizer steps on the parameters the problem's update names (or all), as
    `bptutor train` runs them; schedule options (`beta`, `alpha`, `lr_min`, `milestones`,
    `factors`) by name. A run that diverges raises `tutor.playground.training.Diverged` (its `.history`
    holds the steps so far)."""
    from tutor.playground import training
    from tutor.registry import schedules
    from tutor.variants import scalar as variants

    schedules.check_run(lr=lr, l2=l2, steps=steps, schedule=schedule, options=schedule_options)
    loaded = load(problem, values=values)
    _, rule = variants.with_rule(loaded, optimizer, lr, l2)
    history = training.train(
        loaded, rule, steps, schedule=schedule, schedule_options=schedule_options or None
    )
    return Training(history, loaded)


__all__ = [
    "load",
    "solve",
    "check",
    "quiz",
    "train",
    "Result",
    "Graph",
    "Report",
    "Quiz",
    "Training",
]
