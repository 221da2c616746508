"""Golden snapshot: what every view prints for every catalogue problem, en and zh, width 100.

A restructuring must leave these outputs as they were, except where a difference is meant.
`python tests/golden.py` records them under tests/golden/ (one file per problem and language);
tests/test_golden.py compares. Views rendered from one Solution per problem: solve (every
step, --full), export (Markdown), graph (tree), check (errata table), and the quiz fed the
right answers (the exact values it reveals).
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
    from tutor.quiz.session import Session

    console = _console()
    session = Session(catalog.load(ref))
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
    from tutor.quiz import view as quiz_view

    console.print(quiz_view.score_table(outcomes, lang))
    return console.file.getvalue()


def snapshot(ref: str, lang: str) -> str:
    """Every view of one problem in one language, as one text."""
    from tutor.problems import catalog
    from tutor.solutions import explain
    from tutor.views import document as export
    from tutor.views import terminal as render

    problem = catalog.load(ref)
    solution = explain.solve(problem)
    parts = []
    console = _console()
    for part in render.solution_steps(solution, lang, full=True):
        console.print(part)
    parts.append(("solve --full", console.file.getvalue()))
    parts.append(("export", export.markdown(solution, lang)))
    console = _console()
    console.print(render.graph_tree(solution, lang))
    parts.append(("graph", console.file.getvalue()))
    if solution.errata:
        console = _console()
        console.print(render.checks_table(problem, solution.errata, lang))
        parts.append(("check", console.file.getvalue()))
    parts.append(("quiz", _quiz(ref, lang)))
    return "".join(f"===== {name}\n{text.rstrip()}\n" for name, text in parts)


def files() -> list[tuple[str, str, Path]]:
    import shared

    # tensor problems: the views are not the tensor engine's (shared.skip_tensor)
    return [
        (p.stem, lang, FOLDER / f"{p.stem}.{lang}.txt")
        for p in shared.scalar_files()
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
