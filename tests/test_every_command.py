"""Every command and API call on every catalogue problem, in English and Chinese (issue 20).

Each command of the issue's list runs in process (tests/cli_runner.py) on every problem of the
catalogue. None may end in an internal error (exit 70); exit 1 is for `check` (errata) and a
quiz (an answer wrong or missing); any other non-zero exit is a refusal: exit 2 with exactly
one line on stderr. The refusals must be exactly REFUSED, the list the README's "What does not
apply" section gives with its reasons. The quiz's answers are the engine's own expected values
written to a file: input to drive the quiz to its end, not an oracle (only exits are asserted).
Chinese runs every command that takes --lang (not validate), its quizzes on a few
answers; the API's calls run in both.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from cli_runner import invoke

import tutor
from tutor.errors import TutorError
from tutor.problems import catalog

IDS = [f.stem for f in catalog.builtin_files()]
SYMBOLIC = {"ex1", "ex10", "ex11"}  # no numbers given: the answers are formulas
NETWORKS = {"ex4", "ex6", "ex18", "ex19"}  # layered networks: the playground trains them

# (command, problem) pairs that are refused (exit 2, one line), each for the reason the README
# gives ("What does not apply").
REFUSED = (
    {("train", pid) for pid in SYMBOLIC | {"ex9", "ex15", "ex16", "ex17", "ex32", "ex33"}}
    | {("playground", pid) for pid in set(IDS) - NETWORKS}
    | {("quiz --random", pid) for pid in SYMBOLIC}
)

MAY_FAIL = {  # exit 1: errata found, or a quiz answer wrong or missing
    "check",
    "quiz --answers",
    "quiz --guided",
    "quiz (interrupted)",
    "quiz --resume",
    "quiz --random",
}


def _number(v) -> str:
    return repr(float(v))


def _tensor(a) -> str:
    a = np.asarray(a, dtype=float)
    if a.size == 1:
        return _number(a.reshape(()))
    rows = a.reshape(a.shape[0], -1) if a.ndim >= 2 else a.reshape(-1, 1)
    return "[" + "; ".join(", ".join(_number(v) for v in row) for row in rows) + "]"


@functools.cache
def answers(pid: str) -> str:
    """One line per question, the engine's expected answer (a quiz's input, not an oracle)."""
    problem = catalog.load(pid)
    if problem.tensor:
        from tutor.quiz import matrix

        lines = [_tensor(q.expected) for q in matrix.Session(problem).questions]
    else:
        from tutor.quiz import session

        lines = []
        for q in session.Session(problem).questions:
            e = session.expected(q)
            lines.append(e if isinstance(e, str) else _number(e) if e is not None else "skip")
    return "\n".join(lines) + "\n"


def commands(pid: str, lang: str, tmp_path) -> list[tuple[str, list[str], str | None]]:
    """(name, argv, stdin) of every command the issue lists, on one problem."""
    file = tmp_path / "answers.txt"
    file.write_text(answers(pid), encoding="utf-8")
    first = answers(pid).splitlines()[0] + "\n"
    some = "\n".join(answers(pid).splitlines()[:3]) + "\n"  # a few: the rest unanswered
    few = tmp_path / "few.txt"
    few.write_text(some, encoding="utf-8")
    db = ["--db", str(tmp_path / "progress.db")]
    la = ["--lang", lang]
    # Chinese: the commands that print words, the quiz on a few answers (grading is the same)
    full = file if lang == "en" else few
    return [
        ("show", ["show", pid, *la], None),
        ("solve", ["solve", pid, *la], None),
        ("solve --step", ["solve", pid, "--step", *la], ""),  # not a terminal: all steps
        ("graph", ["graph", pid, *la], None),
        ("graph --dot", ["graph", pid, "--dot", *la], None),
        ("check", ["check", pid, *la], None),
        *([("validate", ["validate", pid], None)] if lang == "en" else []),
        ("export", ["export", pid, *la], None),
        ("export --format html", ["export", pid, "--format", "html", *la], None),
        ("quiz --answers", ["quiz", pid, "--answers", str(full), *db, *la], None),
        ("quiz --guided", ["quiz", pid, "--guided", "--answers", str(few), *db, *la], None),
        ("quiz (interrupted)", ["quiz", pid, *db, *la], first),  # one answer, then the end
        ("quiz --resume", ["quiz", pid, "--resume", *db, *la], some),
        ("quiz --random", ["quiz", pid, "--random", "--seed", "1", *db, *la], "skip\n" * 3),
        ("train", ["train", pid, "--steps", "3", *la], None),
        ("playground", ["playground", pid, "--steps", "3", "--no-live", *la], None),
    ]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("pid", IDS)
def test_every_command_ends_well_or_refuses_in_one_line(pid, lang, tmp_path):
    refused = set()
    for name, argv, stdin in commands(pid, lang, tmp_path):
        r = invoke(*argv, stdin=stdin, env={"BPTUTOR_LANG": lang}, width=100)
        where = f"{' '.join(argv)}: exit {r.returncode}\n{r.stderr}"
        assert r.returncode != 70, where
        assert "Traceback" not in r.stdout + r.stderr, where
        if r.returncode == 0 or (r.returncode == 1 and name in MAY_FAIL):
            assert r.stdout.strip(), where  # it showed something
            continue
        assert r.returncode == 2, where
        assert len(r.stderr.strip().splitlines()) == 1, where
        refused.add((name, pid))
    assert refused == {(c, p) for c, p in REFUSED if p == pid}


def _named(bullet: str) -> set[str]:
    """The problems a README bullet names: ex9, a range ex18-ex25, or all "but" some."""
    import re

    named = set(re.findall(r"\bex\d+\b", bullet))
    for low, high in re.findall(r"\bex(\d+)-ex(\d+)\b", bullet):
        named |= {f"ex{i}" for i in range(int(low), int(high) + 1)}
    if "every problem but" in bullet:
        but = bullet.split("every problem but", 1)[1].split(":", 1)[0]
        named = set(IDS) - set(re.findall(r"\bex\d+\b", but))
    return named


def test_the_readme_lists_the_refusals_one_line_each():
    """README "What does not apply": one bullet per command refused, naming its problems."""
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = text.split("## What does not apply", 1)[1].split("\n## ", 1)[0]
    bullets = ["- " + b.replace("\n  ", " ") for b in section.split("\n- ")[1:]]
    listed = set()
    for bullet in bullets:
        commands = {c for c, _ in REFUSED if f"`{c}`" in bullet.split(" on ", 1)[0]}
        problems = _named(bullet.split(" on ", 1)[1].split("A problem's inputs", 1)[0])
        listed |= {(c, p) for c in commands for p in problems}
    assert listed == REFUSED
    assert len(bullets) == 3 and len(REFUSED) <= 45  # short


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("pid", IDS)
def test_the_api_solves_checks_and_quizzes_every_problem(pid, lang):
    result = tutor.solve(pid, lang=lang)
    assert result.problem.id == pid
    assert result._repr_markdown_().startswith("#")
    assert "<div" in result._repr_html_()
    assert result.graph().dot().startswith("digraph")
    assert result.graph().text().strip()
    report = tutor.check(pid, lang=lang)
    assert report.checks is not None and isinstance(report._repr_markdown_(), str)
    quiz = tutor.quiz(pid, answers(pid).splitlines()[:3], lang=lang)
    assert quiz.outcomes and quiz._repr_markdown_().startswith("|")
    if lang == "en" and ("train", pid) in REFUSED:
        with pytest.raises(TutorError):
            tutor.train(pid, 3)
    elif lang == "en":
        assert len(tutor.train(pid, 3).losses) == 3


def test_api_check_without_arguments_is_the_whole_catalogue():
    report = tutor.check()
    assert {s.problem.id for s in report.solutions} == set(IDS)


def test_api_errors_are_the_librarys_own():
    with pytest.raises(TutorError):
        tutor.solve("ex18", values={"x": 1})
    with pytest.raises(TutorError):
        tutor.quiz("ex18", values={"W1": [[1, 2], [3, 4]]})  # W1 is 4×3
