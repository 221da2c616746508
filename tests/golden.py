"""Golden snapshot: what every view prints for every catalogue problem, en and zh, width 100.

A restructuring must leave these outputs as they were, except where a difference is meant.
`python tests/golden.py` records them under tests/golden/ (one file per problem and language);
tests/test_golden.py compares. Views rendered from one Solution per problem, of every kind
(scalar, network, symbolic, tensor ex18-ex25): solve (every step, --full), export (Markdown),
graph (tree), check (errata table) where a published value disagrees, and the quiz fed the
right answers (the exact values it reveals) through the one ask loop
(`quiz.session.run_problem` on `open_session`).
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from rich.console import Console

HERE = Path(__file__).parent
FOLDER = HERE / "golden"
LANGS = ("en", "zh")
WIDTH = 100


def _console() -> Console:
    return Console(
        file=io.StringIO(), width=WIDTH, color_system=None, highlight=False, legacy_windows=False
    )


def _quiz(ref: str, lang: str) -> str:
    """The quiz of a problem answered with its exact values, as printed."""
    from tutor.problems import catalog
    from tutor.quiz import session as quiz_loop
    from tutor.quiz import view as quiz_view

    console = _console()
    session = quiz_loop.open_session(catalog.load(ref))
    answers = iter([session.exact(q) for q in session.questions])

    def read(prompt: str):
        line = next(answers, None)
        if line is not None:
            console.print(prompt + line, markup=False)
        return line

    class NoStore:
        def record(self, *args):
            return None

        def record_outcome(self, *args):
            return None

    outcomes = quiz_loop.run_problem(session, read, console.print, console.print, NoStore(), lang)
    console.print(quiz_view.score_table(outcomes, lang))
    return console.file.getvalue()


def _printed(*renderables) -> str:
    console = _console()
    for r in renderables:
        console.print(r)
    return console.file.getvalue()


def snapshot(ref: str, lang: str) -> str:
    """Every view of one problem in one language, as one text. The solution is the API's (a
    tensor problem's by the tensor engine), shared with the other tests (`shared.solved`)."""
    import shared

    from tutor import api
    from tutor.solutions import explain
    from tutor.views import graph
    from tutor.views import matrix as tensor_render
    from tutor.views import terminal as render

    solution = shared.solved(ref)
    problem = solution.problem
    steps = tensor_render.solution_steps if problem.tensor else render.solution_steps
    parts = [("solve --full", _printed(*steps(solution, lang, full=True)))]
    parts.append(("export", api.Result(solution, lang).markdown()))
    parts.append(("graph", _printed(graph.tree(solution, lang))))
    bad = tuple(c for c in explain.errata_of_file(ref) if not c.ok)  # as `bptutor check`
    if bad:
        parts.append(("check", _printed(render.checks_table(problem, bad, lang))))
    parts.append(("quiz", _quiz(ref, lang)))
    return "".join(f"===== {name}\n{text.rstrip()}\n" for name, text in parts)


def files() -> list[tuple[str, str, Path]]:
    from tutor.problems import catalog

    return [
        (p.stem, lang, FOLDER / f"{p.stem}.{lang}.txt")
        for p in catalog.builtin_files()
        for lang in LANGS
    ]


def record() -> None:
    FOLDER.mkdir(exist_ok=True)
    for ref, lang, path in files():
        path.write_text(snapshot(ref, lang), encoding="utf-8")
        print(f"wrote {path.relative_to(HERE.parent)}")


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent))
    record()
