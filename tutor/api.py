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
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tutor.errors import InputError
from tutor.model import Problem

LANGS = ("en", "zh")


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
    text, read by the restricted parser). The published answers then no longer apply.
    """
    from tutor.problems import catalog
    from tutor.variants import scalar as variants

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
        loaded = variants.with_values(loaded, [f"{k}={v}" for k, v in values.items()])
    return loaded


# --------------------------------------------------------------------------- solving


@dataclass(frozen=True)
class Graph:
    """A solution's computation graph: SVG through Graphviz's `dot` where it is installed,
    the text tree (as `bptutor graph` prints it, without colour) otherwise."""

    solution: Any
    lang: str = "en"

    def dot(self) -> str:
        """The graph as Graphviz DOT text."""
        from tutor.views.graph import dot

        return dot(self.solution)

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
        import io

        from rich.console import Console

        from tutor.views.terminal import graph_tree

        # force_jupyter=False: inside a kernel rich would display the tree itself
        console = Console(
            file=io.StringIO(),
            width=100,
            color_system=None,
            highlight=False,
            legacy_windows=False,
            force_jupyter=False,
        )
        console.print(graph_tree(self.solution, self.lang))
        return console.file.getvalue()

    def _repr_svg_(self) -> str | None:
        return self.svg()

    def __repr__(self) -> str:
        return self.text()


@dataclass(frozen=True)
class Result:
    """A worked solution and the language to show it in. Its fields are the Solution's
    (`result.loss`, `result.forward`, `result.node_grads`, ...), plus the dictionaries below;
    in a notebook it shows as the exported document."""

    solution: Any
    lang: str = "en"

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.solution, name)

    @property
    def values(self) -> dict[str, float | None]:
        """Each node's value in the forward pass."""
        return {s.name: s.value for s in self.solution.forward}

    @property
    def grads(self) -> dict[str, float | None]:
        """dL/d(parameter) for each parameter."""
        return {n: self.solution.node_grads.get(n) for n in self.solution.problem.params}

    @property
    def new_params(self) -> dict[str, float]:
        """Each updated parameter's value after the optimizer step."""
        return {u.name: u.new for u in self.solution.updates}

    def markdown(self) -> str:
        """The same Markdown as `bptutor export` (LaTeX math)."""
        from tutor.views.document import markdown

        return markdown(self.solution, self.lang)

    def html(self, page: bool = False) -> str:
        """The HTML export's body (one scoped element); `page=True`: the whole page."""
        from tutor.views import document as export
        from tutor.views import html as html_export

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
        return f"<Result {p.id}{loss}, {len(self.solution.gradients)} gradients>"


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
    from tutor.solutions import explain
    from tutor.variants import scalar as variants

    lang = _lang(lang)
    loaded, rule = variants.with_rule(load(problem, values=values), optimizer, lr, l2)
    return Result(explain.solve(loaded, rule=rule), lang)


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
        return [c for s in self.solutions for c in (s.errata if self.strict else s.mistakes)]

    @property
    def ok(self) -> bool:
        return not self.errata

    def __bool__(self) -> bool:
        return self.ok

    def _repr_markdown_(self) -> str:
        from tutor.views import document as export

        blocks = []
        for s in self.solutions:
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
    from tutor.solutions import errata

    lang = _lang(lang)
    refs = problems or tuple(str(f) for f in catalog.builtin_files())
    return Report(tuple(errata.solved(load(r)) for r in refs), lang, strict)


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


__all__ = ["load", "solve", "check", "train", "Result", "Graph", "Report", "Training"]
