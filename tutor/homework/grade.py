"""`homework grade`: the filled answer files of a set graded against the manifest.

Each line goes through the quiz's own grader (`quiz.grading.judge_number` for a number,
`quiz.matrix_grading.judge` for a tensor) with the student's own expected values: the
tolerance from the typed figures, error carried forward from the student's own earlier
answers (half credit), the usual mistakes named (`quiz.diagnosis`, the tensor questions'
alternatives). The variant's solution, which carried errors and mistakes are computed from,
is rebuilt from the manifest's given values only when an answer is not right: a set of right
answers is graded from the manifest alone."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path

import numpy as np

from tutor.errors import InputError, ParseError, cannot_write, why
from tutor.homework.make import FORMAT, VERSION
from tutor.model import Text

MAX_MANIFEST = 200_000_000
MAX_ANSWER_FILE = 1_000_000
MISTAKES_SHOWN = 3
# a plain decimal (`-0.0575`, `1.2e-3`): read exactly by Fraction, without the parser
_DECIMAL = re.compile(r"[+-]?(?:\d{1,40}(?:\.\d{0,40})?|\.\d{1,40})(?:[eE][+-]?\d{1,3})?")


@dataclass(frozen=True)
class Answer:
    number: int
    key: str
    label: str
    answer: str
    verdict: str  # right, carried, wrong, invalid, undecided, unanswered
    credit: float
    mistake: str | None = None
    feedback: Text | None = None
    line: int | None = None  # the line of the answer file


@dataclass
class ProblemGrade:
    problem_id: str
    answers: list[Answer]
    missing: bool = False

    @property
    def score(self) -> float:
        return sum(a.credit for a in self.answers) / len(self.answers) if self.answers else 0.0


@dataclass
class StudentGrade:
    student: dict  # the manifest's entry: id, name, extra
    problems: list[ProblemGrade]
    file: str | None  # the answer file graded, None when none was handed in
    # feedback pages made where the student was graded (`grade(..., feedback=...)`), by lang
    pages: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def total(self) -> float:
        return sum(p.score for p in self.problems) / len(self.problems) if self.problems else 0.0


@dataclass(frozen=True)
class QuestionSummary:
    problem_id: str
    number: int
    label: str
    answered: int  # students with an answer file
    right: int  # right first time (the one answer in the file)
    common: tuple[tuple[str, int], ...]  # the most common named mistakes, with their counts

    @property
    def share(self) -> float:
        return self.right / self.answered if self.answered else 0.0


@dataclass
class Gradebook:
    set_name: str
    problem_ids: list[str]
    students: list[StudentGrade]
    unmatched: list[str] = field(default_factory=list)  # files that are not ID.txt of a student
    summary: list[QuestionSummary] = field(default_factory=list)
    langs: list[str] = field(default_factory=lambda: ["en"])  # the set's, as it was made

    @property
    def handed_in(self) -> int:
        return sum(1 for s in self.students if s.file is not None)


# --------------------------------------------------------------------------- reading


def read_manifest(folder: Path) -> dict:
    path = folder / "manifest.json"
    try:
        if path.stat().st_size > MAX_MANIFEST:
            raise InputError("manifest too large", file=str(path))
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeError) as e:
        raise InputError(f"cannot read the manifest: {why(e)}", file=str(path)) from None
    except json.JSONDecodeError as e:
        raise InputError(f"not a manifest: {e.msg}", file=str(path), line=e.lineno) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError("not a bptutor homework manifest", file=str(path))
    if not _well_formed(data):
        raise InputError("the manifest is damaged (make the set again)", file=str(path))
    if data.get("version") != VERSION:
        raise InputError(
            f"manifest version {data.get('version')!r} (this bptutor reads {VERSION})",
            file=str(path),
        )
    return data


QUESTION_KEYS = {"number": int, "key": str, "label": str, "kind": str, "node": str, "shape": list}


def _well_formed(data: dict) -> bool:
    """Every field `grade` reads is there, of its type (a manifest edited by hand, cut short)."""
    try:
        ids = [p["id"] for p in data["problems"]]
        if not isinstance(data["set"], str) or not all(isinstance(i, str) for i in ids):
            return False
        for s in data["students"]:
            if not (isinstance(s["id"], str) and isinstance(s["name"], str)):
                return False
            if not isinstance(s.get("extra", {}), dict):
                return False
            if [p["id"] for p in s["problems"]] != ids:
                return False
            for p in s["problems"]:
                if not isinstance(p["values"], dict):
                    return False
                for q in p["questions"]:
                    if "expected" not in q:
                        return False
                    if any(not isinstance(q[k], t) for k, t in QUESTION_KEYS.items()):
                        return False
        return True
    except (KeyError, TypeError):
        return False


def answer_lines(path: Path, count: int) -> list[tuple[int, str]]:
    """(line number, answer) of each answer line: lines starting with # and blank lines are
    not read; the answer is what follows the first '=' (the whole line when there is none).
    InputError with file:line when there are more or fewer lines than questions."""
    try:
        data = path.read_bytes()
        if len(data) > MAX_ANSWER_FILE:
            raise InputError(
                f"answer file too large (more than {MAX_ANSWER_FILE} bytes)", file=str(path)
            )
        text = data.decode("utf-8-sig")
    except (OSError, UnicodeError) as e:
        raise InputError(f"cannot read the answer file: {why(e)}", file=str(path)) from None
    out = []
    lines = text.splitlines()
    for n, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if len(out) == count:
            raise InputError(
                f"more answer lines than the {count} questions", file=str(path), line=n
            )
        out.append((n, line.split("=", 1)[1].strip() if "=" in line else line))
    if len(out) < count:
        raise InputError(
            f"{len(out)} answer lines for {count} questions",
            file=str(path),
            line=max(len(lines), 1),
        )
    return out


# --------------------------------------------------------------------------- markers


class ScalarMarker:
    """One student's answers to one scalar (or `network:`) problem, graded in order; the
    student's own values kept for error carried forward, as the quiz keeps them."""

    def __init__(self, problem, values: dict, tolerance):
        self.problem, self.values, self.tolerance = problem, values, tolerance
        self.given: dict = {}
        self._diagnosis = None

    def _diagnose(self):
        """The variant rebuilt from its given values (not drawn again), solved once."""
        if self._diagnosis is None:
            from tutor.engine import scalar as engine
            from tutor.quiz.diagnosis import Diagnosis
            from tutor.quiz.questions import questions
            from tutor.solutions import explain
            from tutor.variants.scalar import _exact

            groups = ("inputs", "targets", "params", "constants")
            try:
                drawn = {
                    g: {n: _exact(Fraction(self.values[n])) for n in getattr(self.problem, g)}
                    for g in groups
                }
            except (KeyError, ValueError, TypeError, ZeroDivisionError):
                raise InputError(
                    f"the manifest's values of {self.problem.id} do not fit the problem"
                ) from None
            variant = replace(self.problem, **drawn, published=())
            graph = engine.build_graph(variant)
            solution = explain.solve(variant, rule=variant.update, graph=graph)
            by_key = {q.key: q for q in questions(solution, graph)}
            self._diagnosis = Diagnosis(solution, graph), by_key
        return self._diagnosis

    def grade(self, q: dict, typed: str):
        from tutor.model.quiz import Question
        from tutor.quiz import grading
        from tutor.quiz.diagnosis import own_key

        if q["kind"] == "count":  # a parameter count: a whole number, the quiz's grader
            from tutor.quiz import counting

            return counting.grade(self.problem, q["node"], typed)
        refused = grading.refusal(typed)
        if refused is not None:
            return refused
        try:
            plain = _DECIMAL.fullmatch(typed)
            answer = Fraction(typed) if plain else grading.read_number(typed)
        except ParseError as e:
            return grading.unreadable(e)
        expected = q["expected"]
        asked = Question(q["key"], q["kind"], q["node"], expected)

        def carried():
            diagnosis, by_key = self._diagnose()
            return diagnosis.carried(by_key.get(q["key"], asked), self.given)

        def mistakes():
            diagnosis, by_key = self._diagnose()
            return diagnosis.mistakes(by_key.get(q["key"], asked))

        result = grading.judge_number(
            typed, answer, expected, tolerance=self.tolerance, carried=carried, mistakes=mistakes
        )
        key = own_key(asked, self.problem.loss)
        if result.verdict == "right":
            self.given[key] = expected  # later steps use the exact value
        elif result.counted:
            self.given[key] = float(answer)
        return result


class TensorMarker:
    """One student's answers to one tensor problem: whole tensors, graded element-wise; their
    own forward values and gradients kept for error carried forward (the tensor quiz's rule:
    a forward value from their earlier values, a δ or gradient pulled back from their own δ
    of the nodes above, an update from their own gradient)."""

    def __init__(self, problem, values: dict, tolerance):
        self.problem, self.values, self.tolerance = problem, values, tolerance
        self.own_values: dict = {}
        self.own_grads: dict = {}
        self._solved = None
        self._batch_sizes: tuple | None = None

    def _solve(self):
        """The student's variant and the tensor quiz's session on it (its questions by key),
        the session sharing this marker's own values and gradients: the quiz's own rule of
        error carried forward (`matrix.Session.carried`) is the one used here."""
        if self._solved is None:
            from tutor.quiz import matrix as tensor_quiz

            groups = {}
            for g in ("inputs", "targets", "params"):
                groups[g] = {}
                for n, old in getattr(self.problem, g).items():
                    try:
                        new = np.asarray(self.values[n], dtype=float)
                    except (KeyError, ValueError, TypeError):
                        new = None
                    if new is None or new.shape != np.shape(old):
                        raise InputError(
                            f"the manifest's values of {self.problem.id} do not fit the problem"
                        )
                    groups[g][n] = new
            variant = replace(self.problem, **groups, published=())
            session = tensor_quiz.Session(variant)
            session.own_values, session.own_grads = self.own_values, self.own_grads
            by_key = {q.key: q for q in tensor_quiz.questions(session.solution)[0]}
            self._solved = session, by_key
        return self._solved

    def _batch(self, kind: str) -> dict:
        """The loss's averaging (n) and summing (N) counts, read once: no batch mistake for a
        forward value or an update."""
        if kind in ("forward", "update"):
            return {}
        if self._batch_sizes is None:
            from tutor.quiz.matrix import batch_size, halved

            self._batch_sizes = (*batch_size(self.problem), halved(self.problem))
        return dict(zip(("batch", "summed", "halved"), self._batch_sizes))

    def carried(self, q: dict):
        session, by_key = self._solve()
        asked = by_key.get(q["key"])
        return None if asked is None else session.carried(asked)

    def grade(self, q: dict, typed: str):
        from tutor.language.answers import AnswerError, read
        from tutor.quiz.matrix_grading import invalid, judge

        if q["kind"] == "count":  # a parameter count: a whole number, the quiz's grader
            from tutor.quiz import counting

            return counting.grade(self.problem, q["node"], typed)
        try:
            answer = read(typed)
        except AnswerError as e:
            return invalid(e)
        expected = np.asarray(q["expected"], dtype=float).reshape(tuple(q["shape"]))

        def alternatives():
            session, by_key = self._solve()
            found = by_key.get(q["key"])
            if found is not None:
                yield from found.alternatives
                yield from session.builder.late(found)

        with np.errstate(all="ignore"):
            result = judge(
                answer,
                expected,
                tolerance=self.tolerance,
                carried=lambda: self.carried(q),
                alternatives=alternatives(),
                **self._batch(q["kind"]),
            )
        own = self.own_values if q["kind"] in ("forward", "loss") else self.own_grads
        name = q["node"]
        if result.verdict == "right":
            own.pop(name, None)
        elif result.counted:
            if answer.array.size == expected.size:
                own[name] = answer.array.reshape(expected.shape)
            else:
                own.pop(name, None)
        return result


# --------------------------------------------------------------------------- grading


def _problems(manifest: dict) -> dict:
    from tutor.problems import catalog

    out = {}
    for p in manifest["problems"]:
        try:
            out[p["id"]] = catalog.load(p["ref"])
        except InputError:
            out[p["id"]] = catalog.load(p["id"])  # the set moved: the catalogue's copy
    return out


def grade_student(entry: dict, problems: dict, manifest: dict, path: Path | None) -> StudentGrade:
    tolerances = {p["id"]: p.get("tolerance") for p in manifest["problems"]}
    count = sum(len(p["questions"]) for p in entry["problems"])
    lines = answer_lines(path, count) if path is not None else None
    graded = []
    at = 0
    for item in entry["problems"]:
        problem = problems[item["id"]]
        marker = (TensorMarker if problem.tensor else ScalarMarker)(
            problem, item["values"], tolerances.get(item["id"])
        )
        answers = []
        for q in item["questions"]:
            if lines is None:
                answers.append(Answer(q["number"], q["key"], q["label"], "", "unanswered", 0.0))
                continue
            n, typed = lines[at]
            at += 1
            result = marker.grade(q, typed)
            verdict = result.verdict
            answers.append(
                Answer(
                    q["number"],
                    q["key"],
                    q["label"],
                    typed,
                    verdict,
                    float(result.credit) if verdict in ("right", "carried") else 0.0,
                    result.mistake,
                    result.feedback,
                    n,
                )
            )
        graded.append(ProblemGrade(item["id"], answers, missing=lines is None))
    return StudentGrade(entry, graded, str(path) if path is not None else None)


def summarize(book: Gradebook, manifest: dict) -> list[QuestionSummary]:
    """Per question: how many of the students with a file answered it right, and the most
    common named mistakes."""
    handed = [s for s in book.students if s.file is not None]
    first = manifest["students"][0]["problems"] if manifest["students"] else []
    out = []
    for i, item in enumerate(first):
        for j, q in enumerate(item["questions"]):
            answers = [s.problems[i].answers[j] for s in handed]
            mistakes = Counter(a.mistake for a in answers if a.mistake)
            out.append(
                QuestionSummary(
                    item["id"],
                    q["number"],
                    q["label"],
                    len(answers),
                    sum(1 for a in answers if a.verdict == "right"),
                    tuple(
                        sorted(mistakes.items(), key=lambda kv: (-kv[1], kv[0]))[:MISTAKES_SHOWN]
                    ),
                )
            )
    return out


WRITTEN = ""  # StudentGrade.pages: the page is written already (`grade(..., pages_to=...)`)


def grade(
    folder: Path,
    submissions: Path,
    progress=None,
    feedback: list[str] | None = None,
    pages_to: Path | None = None,
) -> Gradebook:
    """Every student of the set graded from `submissions` (ID.txt each). With `feedback` (a
    list of languages, [] for the set's own), each student's feedback pages are made in the
    same worker that graded them (one pool of workers for the whole command); with
    `pages_to` too, the worker writes them there (as `outputs` names them), so that a class's
    pages, most of the bytes, are not sent back to be written by one process."""
    manifest = read_manifest(folder)
    if not submissions.is_dir():
        raise InputError(f"{submissions} is not a folder")
    ids = {s["id"] for s in manifest["students"]}
    found: dict[str, Path] = {}
    unmatched = []
    for path in sorted(submissions.iterdir()):
        if path.is_file() and path.suffix == ".txt" and path.stem in ids:
            found[path.stem] = path
        else:
            unmatched.append(path.name)
    from tutor.cache import one_off

    problems = _problems(manifest)
    from tutor.homework import parallel

    langs = [x for x in manifest.get("langs") or [] if x in ("en", "zh")] or ["en"]
    page_langs = (feedback or langs) if feedback is not None else []

    def one(entry: dict) -> StudentGrade:
        graded = grade_student(entry, problems, manifest, found.get(entry["id"]))
        for lang in page_langs:
            html = feedback_page(folder, manifest["set"], graded, lang, page_langs)
            if pages_to is not None:
                _write(pages_to / feedback_name(entry["id"], lang, page_langs), html)
                html = WRITTEN
            graded.pages[lang] = html
        if page_langs:  # what a worker sends back: its pages hold each answer's feedback
            graded.problems = [
                replace(p, answers=[_plain(a) for a in p.answers]) for p in graded.problems
            ]
        graded.student = {}  # the parent has the manifest's entry
        return graded

    if pages_to is not None and page_langs:
        _folder(pages_to / "feedback")
    with one_off():  # a rebuilt variant's solution, a student's page: needed once
        students = parallel.each(one, manifest["students"], progress)
    for graded, entry in zip(students, manifest["students"]):
        graded.student = entry
    book = Gradebook(manifest["set"], [p["id"] for p in manifest["problems"]], students, unmatched)
    book.langs = langs
    book.summary = summarize(book, manifest)
    return book


def _plain(a: Answer) -> Answer:
    return a if a.feedback is None else replace(a, feedback=None)


def feedback_name(student_id: str, lang: str, langs: list[str]) -> str:
    """A feedback page's file, relative to the folder of grades.csv."""
    return f"feedback/{student_id}{'' if len(langs) == 1 else f'.{lang}'}.html"


def _folder(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise cannot_write(path, e) from None


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as e:
        raise cannot_write(path, e) from None


# --------------------------------------------------------------------------- outputs

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    """A CSV cell a spreadsheet will not run: text starting like a formula gets a ' in
    front (a number, even a negative one, stays a number)."""
    text = str(value)
    if text.startswith(_FORMULA_START):
        try:
            float(text)
        except ValueError:
            return "'" + text
    return text


def _csv(rows: list[list]) -> str:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_cell(c) for c in row])
    return "\ufeff" + buffer.getvalue()  # UTF-8 with BOM: Excel reads the Chinese names


def grades_csv(book: Gradebook) -> str:
    """One row per student: a column per problem and the total, in per cent."""
    extra = []
    for s in book.students:
        extra += [k for k in s.student.get("extra", {}) if k not in extra]
    head = ["id", "name", *extra, *(f"{p} (%)" for p in book.problem_ids), "total (%)"]
    rows = [head]
    for s in book.students:
        rows.append(
            [
                s.student["id"],
                s.student["name"],
                *(s.student.get("extra", {}).get(k, "") for k in extra),
                *(f"{100 * p.score:.1f}" for p in s.problems),
                f"{100 * s.total:.1f}",
            ]
        )
    return _csv(rows)


def detail_csv(book: Gradebook) -> str:
    """Long format: one row per student and question."""
    rows = [
        [
            "student",
            "name",
            "problem",
            "question",
            "quantity",
            "answer",
            "verdict",
            "credit",
            "mistake",
        ]
    ]
    for s in book.students:
        for p in s.problems:
            for a in p.answers:
                rows.append(
                    [
                        s.student["id"],
                        s.student["name"],
                        p.problem_id,
                        a.number,
                        a.key,
                        a.answer,
                        a.verdict,
                        f"{a.credit:g}",
                        a.mistake or "",
                    ]
                )
    return _csv(rows)


def key_fragment(folder: Path, student_id: str, lang: str, langs: list[str]) -> str:
    """The body of a student's key page (their worked solution), for their feedback page;
    empty when the key is not there as HTML."""
    suffix = "" if len(langs) == 1 else f".{lang}"
    path = folder / "keys" / f"{student_id}{suffix}.html"
    try:
        html = path.read_text(encoding="utf-8")
    except (OSError, UnicodeError):
        return ""
    start, end = html.find("<body>\n"), html.rfind("</body>")
    return html[start + len("<body>\n") : end] if start >= 0 and end > start else ""


def feedback_page(folder: Path, set_name: str, s: StudentGrade, lang: str, langs: list) -> str:
    """A student's feedback page: their answers and verdicts, then their worked key."""
    from tutor.homework import pages

    key = key_fragment(folder, s.student["id"], lang, langs)
    return pages.feedback(set_name, s.student, s.problems, key, lang)


def outputs(
    book: Gradebook, folder: Path, csv_name: str, langs: list[str]
) -> list[tuple[str, str]]:
    """The files of a graded set, relative to the folder of grades.csv."""
    from tutor.cache import one_off
    from tutor.homework import pages

    with one_off():  # every page is new: nothing to keep for a second run
        return _outputs(book, folder, csv_name, langs, pages)


def _outputs(book, folder, csv_name, langs, pages):
    from tutor.text.homework import say

    missing = [s.student["id"] for s in book.students if s.file is None]
    stem = csv_name[:-4] if csv_name.endswith(".csv") else csv_name
    files = [(csv_name, grades_csv(book)), (f"{stem}-detail.csv", detail_csv(book))]
    from tutor.homework import parallel

    def feedback(job: tuple[str, StudentGrade]) -> str:
        lang, s = job
        return feedback_page(folder, book.set_name, s, lang, langs)

    # a page per student and language, on every core (a class's pages are most of the work),
    # unless `grade` made it already
    jobs = [(lang, s) for lang in langs for s in book.students if lang not in s.pages]
    made = dict(
        zip(((lang, id(s)) for lang, s in jobs), parallel.each(feedback, jobs) if jobs else ())
    )
    for lang in langs:
        suffix = "" if len(langs) == 1 else f".{lang}"
        for s in book.students:
            html = s.pages[lang] if lang in s.pages else made[lang, id(s)]
            if html != WRITTEN:
                files.append((feedback_name(s.student["id"], lang, langs), html))
        files.append(
            (
                f"summary{suffix}.html",
                pages.summary(
                    book.set_name,
                    book.summary,
                    book.handed_in,
                    len(book.students),
                    lang,
                    ((say(lang, "unmatched"), book.unmatched), (say(lang, "missing"), missing)),
                ),
            )
        )
    return files
