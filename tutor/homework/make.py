"""`homework make`: each student's own variant of each problem, drawn from a seed derived from
the set name, the problem and the student id; a handout, an answer file and a key each; the
manifest that `grade` reads (the seeds, the given values and every expected answer).

Nothing here writes a file: `build` returns the files as (relative path, text) pairs and the
CLI writes them (into a staging folder moved into place, as `export --all` does)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import numpy as np

from tutor.errors import InputError
from tutor.homework import pages, parallel
from tutor.homework.pages import line_key
from tutor.homework.roster import Student

FORMAT = "bptutor-homework"
VERSION = 1
SEED_RANGE = 10**9  # seeds a student can type back: `bptutor quiz ex2 --seed N`
MAX_CELLS = 200_000  # students × problems in one set


def seed(set_name: str, problem_id: str, student_id: str) -> int:
    """The seed of one student's variant of one problem: stable (SHA-256 of the three names),
    different for another set name, problem or student."""
    digest = hashlib.sha256("\x1f".join((set_name, problem_id, student_id)).encode()).digest()
    return int.from_bytes(digest[:8], "big") % SEED_RANGE


@dataclass(frozen=True)
class Asked:
    """One question of a student's variant, as the manifest keeps it."""

    number: int
    key: str  # the quiz's key: "z", "dL/dw1", "W2'"
    label: str  # as the course writes it: "∂L/∂w1", "δ(z2)"
    kind: str
    node: str
    expected: object  # a float, or nested lists of floats (a tensor)
    shape: tuple = ()


@dataclass(frozen=True)
class Item:
    """One student's variant of one problem, solved."""

    problem_id: str
    seed: int | None  # None with --same
    problem: object
    solution: object
    asked: tuple[Asked, ...]


def load(refs: list[str], same: bool) -> list:
    """The problems of a set, checked: each numeric, and (without --same) with a way to draw
    variants: a scalar problem's `random:` block, a tensor problem's own rule."""
    from tutor.problems import catalog

    out = []
    if not refs:
        raise InputError("--problems names no problem")
    for ref in refs:
        problem = catalog.load(ref)
        if problem.symbolic:
            raise InputError(
                f"{problem.id} is symbolic: its answers are formulas, and a homework set "
                "asks numbers (choose a numeric problem)",
                file=problem.file or ref,
            )
        if not same and not problem.tensor and problem.random is None:
            raise InputError(
                f"{problem.id} has no random: block to draw a variant per student "
                "(add one, or give every student the same numbers with --same)",
                file=problem.file or ref,
            )
        out.append(problem)
    ids = [p.id for p in out]
    for i, pid in enumerate(ids):
        if pid in ids[:i]:
            raise InputError(f"{pid} is named twice in --problems")
    return out


def _label(q, loss: str) -> str:
    from tutor.text.notation import pretty_name

    if q.kind in ("forward", "loss"):
        return pretty_name(q.node)
    if q.kind in ("delta", "gradient"):
        return f"∂{pretty_name(loss)}/∂{pretty_name(q.node)}"
    if q.kind in ("update", "after"):
        return f"{pretty_name(q.node)}′"
    return q.key


def solve_item(problem, seed_: int | None, drawers: dict) -> Item:
    """A student's variant (`seed_` None: the problem as it is), solved, with its questions."""
    if problem.tensor:
        from tutor.engine import matrix_solve
        from tutor.quiz import matrix as tensor_quiz
        from tutor.variants import matrix as tensor_variants

        variant = problem if seed_ is None else tensor_variants.variant(problem, seed_)
        solution = matrix_solve.solve(variant)
        asked = tuple(
            Asked(
                i + 1,
                q.key,
                q.label,
                q.kind,
                q.name,
                np.asarray(q.expected, dtype=float).tolist(),
                tuple(q.shape),
            )
            for i, q in enumerate(tensor_quiz.questions(solution)[0])
        )
        return Item(problem.id, seed_, variant, solution, asked)
    from tutor.quiz.questions import questions
    from tutor.solutions import explain
    from tutor.variants import scalar as variants

    if seed_ is None:
        variant = problem
    else:
        drawer = drawers.get(problem.id)
        if drawer is None:
            drawer = drawers[problem.id] = variants.Drawer(problem)
        variant = drawer.draw(seed_)
    solution = explain.solve(variant, rule=variant.update)
    loss = variant.loss
    asked = tuple(
        Asked(i + 1, q.key, _label(q, loss), q.kind, q.node, float(q.value))
        for i, q in enumerate(questions(solution))
        if q.value is not None
    )
    return Item(problem.id, seed_, variant, solution, asked)


def given_values(problem) -> dict:
    """A variant's given values as the manifest keeps them: exact text (scalar: "-3/10"),
    nested lists (a tensor)."""
    groups = ("inputs", "targets", "params") + (() if problem.tensor else ("constants",))
    out = {}
    for g in groups:
        for name, value in getattr(problem, g).items():
            out[name] = np.asarray(value, dtype=float).tolist() if problem.tensor else str(value)
    return out


def template(set_name: str, student: Student, items: list[Item]) -> str:
    """The answer file a student fills in: comments, then one line per question in the quiz's
    order, the quantity named."""
    lines = [
        f"# {set_name} · {student.name} ({student.id})",
        "# one answer per line, after the '=' (lines starting with # are not read)",
    ]
    for item in items:
        lines += [line_key(item.problem_id, q) + " " for q in item.asked]
    return "\n".join(lines) + "\n"


def manifest(set_name: str, langs: list[str], problems, students, items: dict) -> dict:
    """The JSON `grade` reads: everything needed without the handouts or the random draw."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "set": set_name,
        "langs": langs,
        "problems": [
            {
                "id": p.id,
                "ref": str(p.file) if p.file else p.id,
                "tensor": bool(p.tensor),
                "tolerance": None if p.tolerance is None else float(p.tolerance),
            }
            for p in problems
        ],
        "students": [
            {
                "id": s.id,
                "name": s.name,
                "extra": s.extra,
                "problems": [
                    {
                        "id": it.problem_id,
                        "seed": it.seed,
                        "values": given_values(it.problem),
                        "questions": [
                            {
                                "number": q.number,
                                "key": q.key,
                                "label": q.label,
                                "kind": q.kind,
                                "node": q.node,
                                "expected": q.expected,
                                "shape": list(q.shape),
                            }
                            for q in it.asked
                        ],
                    }
                    for it in items[s.id]
                ],
            }
            for s in students
        ],
    }


def build(
    set_name: str,
    students: list[Student],
    refs: list[str],
    *,
    langs: list[str],
    same: bool = False,
    key_format: str = "html",
    progress=None,
) -> list[tuple[str, str]]:
    """Every file of a homework set, as (path relative to the folder, text)."""
    if not set_name.strip():
        raise InputError("--set-name is empty")
    problems = load(refs, same)
    if len(problems) * len(students) > MAX_CELLS:
        raise InputError(f"more than {MAX_CELLS} variants in one set")
    from tutor.cache import one_off

    drawers: dict = {}
    items: dict[str, list[Item]] = {}
    files: list[tuple[str, str]] = []

    def one(student: Student):
        return _student_files(set_name, student, problems, drawers, langs, same, key_format)

    with one_off():
        for student, (mine, theirs) in zip(students, parallel.each(one, students, progress)):
            items[student.id] = mine
            files += theirs
        data = manifest(set_name, langs, problems, students, items)
        files.append(("manifest.json", json.dumps(data, ensure_ascii=False, indent=1) + "\n"))
        for lang in langs:
            suffix = "" if len(langs) == 1 else f".{lang}"
            files.append(
                (
                    f"index{suffix}.html",
                    pages.index(set_name, students, items, langs, lang, key_format),
                )
            )
    return files


def _student_files(set_name, student, problems, drawers, langs, same, key_format):
    """One student's variants solved, and their answer file, handouts and keys: (the items,
    the files)."""
    files = []
    mine = [
        solve_item(p, None if same else seed(set_name, p.id, student.id), drawers) for p in problems
    ]
    files.append((f"answers/{student.id}.txt", template(set_name, student, mine)))
    for lang in langs:
        suffix = "" if len(langs) == 1 else f".{lang}"
        files.append(
            (
                f"handouts/{student.id}{suffix}.html",
                pages.handout(set_name, student, mine, lang),
            )
        )
        files.append(
            (
                f"keys/{student.id}{suffix}.{key_format}",
                pages.key(set_name, student, mine, lang, key_format),
            )
        )
    return mine, files
