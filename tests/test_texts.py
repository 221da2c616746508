"""Every text a student reads, en and zh, at 60, 80 and 100 columns: where its lines break, and
that the Chinese output has no English left in it.

Texts: every catalogue statement and every table of `solve`, every concept question with its
options and explanations (after a right, a wrong and no answer), quiz feedback for every
verdict, and the quiz itself (questions, hints, reveal, score table) of every catalogue problem.
Each text is rendered once per width; the rules checked are those of tutor/linebreak.py.
"""

from __future__ import annotations

import functools
import io
import re
from fractions import Fraction

import pytest
import shared
from rich.cells import cell_len
from rich.console import Console

from tutor.model import Text
from tutor.problems import catalog, concepts
from tutor.quiz import grading
from tutor.quiz import session as quiz_loop
from tutor.quiz import view as quiz_view
from tutor.quiz.session import Session
from tutor.registry.functions import FUNCTIONS
from tutor.text import linebreak
from tutor.views import matrix as tensor_render
from tutor.views import terminal as render

WIDTHS = (60, 80, 100)
QUIZZED = ("ex2", "ex6", "ex9")  # quizzes run whole (questions, hints, reveal, score table)
LANGS = ("en", "zh")
CLOSING = tuple("，。、；：！？）」』》,.;:!?)")
BOX = re.compile(r"[│┃║┆┊|╭╮╰╯─━═┏┓┗┛┡┩└┘┌┐├┤┼╇╈]")


@pytest.fixture(autouse=True, scope="module")
def rules():
    linebreak.install()  # another test module may have uninstalled them
    yield


# --------------------------------------------------------------------------- the texts


@functools.cache
def solutions() -> tuple:
    """Every catalogue problem's solution, of every kind (the session's, `shared.solved`)."""
    return tuple(shared.solved(p.stem) for p in catalog.builtin_files())


@functools.cache
def bank() -> tuple:
    return tuple(concepts.load_bank())


class _NoStore:
    def record(self, *args):
        return None

    def record_outcome(self, *args):
        return None


def _quiz(solution, lang: str) -> list:
    """The quiz of one problem: the first question asked for every hint and answered wrong
    once, the second revealed, the third skipped, the rest answered right; the score table."""
    session = Session(solution.problem)
    script: list[str] = []
    for i, q in enumerate(session.questions):
        if i == 0:
            script += ["?"] * (len(session.hints(q, lang)) + 1) + ["1e6", session.exact(q)]
        elif i == 1:
            script.append("reveal")
        elif i == 2:
            script.append("skip")
        else:
            script.append(session.exact(q))
    session = Session(solution.problem)  # exact() above changed what the session carries
    answers = iter(script)
    shown: list = []

    def read(prompt: str):
        line = next(answers, None)
        if line is not None:
            shown.append(quiz_view.echo(prompt, line))
        return line

    outcomes = quiz_loop.run_problem(session, read, shown.append, shown.append, _NoStore(), lang)
    shown.append(quiz_view.score_table(outcomes, lang))
    return shown


def _concepts(lang: str) -> list:
    questions = list(bank())
    wrong = [next(i for i, o in enumerate(q.options) if not o.correct) for q in questions]
    right = [next(i for i, o in enumerate(q.options) if o.correct) for q in questions]
    shown: list = []
    for q, w, r in zip(questions, wrong, right):
        shown.append(quiz_view.concept_question(q, 1, len(questions), lang))
        for chosen in (r, w, None):
            shown.append(quiz_view.concept_feedback(q, chosen, lang))
    letters = iter(["ABCDEF"[i] for i in right[:5]] + ["z", "A", "?", "reveal", "skip", "quit"])
    outcomes = quiz_loop.run_concepts(
        questions[:8],
        lambda prompt: next(letters, None),
        shown.append,
        shown.append,
        _NoStore(),
        lang,
    )
    shown.append(quiz_view.score_table(outcomes, lang))
    return shown


def _grades() -> list:
    """One grade of every verdict (and every reason, every diagnosed mistake)."""
    out = [
        grading.grade("0.125", "1/8"),  # right
        grading.grade("0.12", "0.1234567"),  # right, rounded too early (a warning)
        grading.grade("-0.125", "1/8"),  # wrong: the sign
        grading.grade("0.25", "1/8"),  # wrong: a factor of 2
        grading.grade("3", "1/8"),  # wrong
        grading.grade("0.1", "0.1234"),  # undecided: too few figures
        grading.grade("x1*(y - yhat)", "(yhat - y)*x1", names=("x1", "y", "yhat")),
        grading.grade("x1*y", "(yhat - y)*x1", names=("x1", "y", "yhat")),
        grading.grade("log(-x^2 - 1)", "x", names=("x",)),  # undecided: too few points
        grading.judge_number("2", Fraction(2), 3, carried=lambda: 2),  # carried forward
        grading.judge_number("2", Fraction(2), 3, mistakes=lambda: [("activation", 2)]),
    ]
    for mistake in ("factor2-half", "activation-forward", "post-for-pre", "pre-for-post"):
        out.append(grading.judge_number("2", Fraction(2), 3, mistakes=lambda m=mistake: [(m, 2)]))
    for typed in PARSE_ERRORS:
        out.append(grading.grade(typed, "1"))
    out.append(grading.grade("x" * (grading.MAX_ANSWER + 1), "1"))
    return out


# answers the parser refuses, one for each of its messages
PARSE_ERRORS = (
    "",
    "(1",
    "sigmoid(1",
    "1)",
    "2^^2",
    "1e99999",
    "2^100000",
    "1 2",
    "[1]",
    "sigmoid",
    "foo(1)",
    "y",
    "ẑ",
    "1/0",
    "softmax(1, 2)",
    "softmax(1, 2)[5]",
    "softmax(1, 2)[1.5]",
    "softmax(1, 2)[1",
    "softmax()",
    "sigmoid(1, 2)",
    "log(-1)",
    "((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((1",
    "2 3x",
    "1" * 2000,
    "â",
    "2^23x",
    "1(2)[1]",
    "exp(exp(exp(20)))",
)


@functools.cache
def texts(lang: str) -> tuple:
    """(what, renderable) of every text in `lang`."""
    out: list = []
    for s in solutions():
        pid = s.problem.id
        views = tensor_render if s.problem.tensor else render  # a tensor one's own views
        out.append((f"{pid} statement", views.statement(s.problem, lang)))
        out += [(f"{pid} solve", part) for part in views.solution_steps(s, lang)]
        if pid in QUIZZED:
            out += [(f"{pid} quiz", part) for part in _quiz(s, lang)]
    out += [("concepts", part) for part in _concepts(lang)]
    out += [("feedback", quiz_view.feedback(g, lang)) for g in _grades()]
    out += [("commands", quiz_view.commands(lang)), ("commands", quiz_view.commands(lang, True))]
    return tuple(out)


@functools.cache
def printed(lang: str, width: int) -> tuple:
    """(what, printed lines) of every text, rendered once."""
    out = []
    for what, part in texts(lang):
        if part is None:
            continue
        console = Console(
            file=io.StringIO(),
            width=width,
            color_system=None,
            highlight=False,
            legacy_windows=False,
        )
        console.print(part)
        out.append((what, console.file.getvalue().splitlines()))
    return tuple(out)


# --------------------------------------------------------------------------- line breaks


def cells(line: str) -> list[tuple[int, str]]:
    """The pieces of one printed line with the column each starts at: split at box lines and
    at column gaps (2+ spaces)."""
    plain = BOX.sub(" ", line)
    out = []
    for m in re.finditer(r"\S+(?: \S+)*", plain):
        out.append((cell_len(plain[: m.start()]), m.group()))
    return out


def _open_tail(cell: str) -> str | None:
    """What follows the last bracket left open in `cell` (None: every bracket is closed)."""
    stack = []
    for i, ch in enumerate(cell):
        if ch in "([{":
            stack.append(i)
        elif ch in ")]}" and stack:
            stack.pop()
    return cell[stack[-1] :] if stack else None


PROSE = re.compile(r"[A-Za-z]{3,} [A-Za-z]{3,}|[\u4e00-\u9fff]")


MATRIX_ROW = re.compile(r"\[ −?[\d.]+(?:e[−+]?\d+)?")  # `[ 0.3  −0.2 ]` of a tensor's table
NEXT_PIECE = re.compile(r"^\S+(?: [=+−×·,])?")
SUMS, PRODUCTS = "=+−-,", "·×"  # a formula breaks after a sum's marks before a product's


def _same_level_piece(continued: str, mark: str) -> str:
    """The start of `continued` (the line after a break after `mark`) up to its first mark at
    the bracket depth of the break or shallower: the piece tutor/linebreak.py packs next.
    After `+` that is the next term (`(a·x2 + b)^2 +`, not `(a·x2 +`); after `·` the next
    factor."""
    marks = SUMS if mark in SUMS else SUMS + PRODUCTS
    depth = 0
    for i, ch in enumerate(continued):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth <= 0 and ch in marks and continued[i + 1 : i + 2] == " ":
            return continued[: i + 1]
    return continued


def breaking_faults(lines: list[str]) -> list[str]:
    """Lines starting with closing punctuation, and formulas broken where they did not have
    to be: after an operator or inside a bracket although the next piece (up to its own
    operator) would have fit in the column. A formula longer than its column may break after
    a top-level operator, then one bracket deeper (tutor/linebreak.py), so the next piece is
    read at the level of the break (`_same_level_piece`). Prose in brackets may break
    anywhere."""
    faults = []
    widths: dict[int, int] = {}  # a column's width: its widest line (wrapped cells fill it)
    for line in lines:
        for column, cell in cells(line):
            widths[column] = max(widths.get(column, 0), cell_len(cell))
    for i, line in enumerate(lines):
        row = cells(line)
        below = dict(cells(lines[i + 1])) if i + 1 < len(lines) else {}
        for column, cell in row:
            if cell.startswith(CLOSING):
                faults.append(f"starts with closing punctuation: {line!r}")
            room = widths[column]
            continued = below.get(column, "")
            if cell[-1] in SUMS + PRODUCTS:  # a break after a mark: the next piece at its level
                piece = _same_level_piece(continued, cell[-1])
            else:  # elsewhere (a word folded inside a bracket): the next word
                piece = NEXT_PIECE.match(continued)
                piece = piece.group() if piece else ""
            fits = piece and cell_len(cell) + 1 + cell_len(piece) <= room
            after_operator = re.search(r"(\S+ )?\S+ [=+−×·]$", cell)
            if after_operator and fits:
                faults.append(f"a formula split after an operator: {line!r}")
            tail = _open_tail(cell)
            if tail is not None and MATRIX_ROW.fullmatch(tail):  # a matrix's first entry,
                tail = None  # its entries two spaces apart (views.matrix), never a formula
            if tail is not None and not PROSE.search(tail) and fits:
                faults.append(f"a formula split inside a bracket: {line!r}")
    return faults


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("width", WIDTHS)
def test_no_line_starts_with_closing_punctuation(lang, width):
    faults = [
        f"{what}: {fault}"
        for what, lines in printed(lang, width)
        for fault in breaking_faults(lines)
        if "punctuation" in fault
    ]
    assert not faults, "\n".join(faults[:20])


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("width", WIDTHS)
def test_no_formula_is_split_inside_a_bracket_or_after_an_operator(lang, width):
    faults = [
        f"{what}: {fault}"
        for what, lines in printed(lang, width)
        for fault in breaking_faults(lines)
        if "formula" in fault
    ]
    assert not faults, "\n".join(faults[:20])


def test_the_checks_catch_what_they_are_meant_to():
    assert breaking_faults(["梯度来自后一层", "，而不是前一层"])
    assert breaking_faults(
        [
            "│ the cost is a¹ =        │",
            "│ σ(z¹)                  │",
            "│ a wider line of the cell │",
        ]
    )
    assert breaking_faults(["b¹ = (0.3,", "−0.1)", "a much wider line of this same cell"])
    assert breaking_faults(["C = (a² −", "y)²", "a much wider line of this same cell"])
    assert not breaking_faults(["│ b¹ = (0.3, −0.1) │ 梯度 │"])
    # after a top-level `+` the next piece is the next term: here it would have fit
    assert breaking_faults(["(a·x1 + b)^2 +", "(a·x2 + b)^2", "a much wider line of this cell"])
    # it would not have (only its first word would): the break is where it belongs
    assert not breaking_faults(["(a·x1 + b - y1)^2 +", "(a·x2 + b - y2)^2", "x" * 30])
    # one bracket deeper, the same: the next term inside the bracket
    assert breaking_faults(["-(y·log(ŷ) +", "(1 - y)·log(1 - ŷ))", "x" * 32])
    assert not breaking_faults(["-(y·log(ŷ) +", "(1 - y)·log(1 - ŷ))", "x" * 31])


def test_every_kind_of_text_is_rendered():
    whats = {what.split()[-1] for what, _ in texts("zh")}
    assert {"statement", "solve", "quiz", "concepts", "feedback", "commands"} <= whats
    assert len(solutions()) == len(catalog.builtin_files()) == 33
    verdicts = {g.reason or g.verdict for g in _grades()}
    assert verdicts == {"right", "wrong", "carried", "invalid", "figures", "points"}


# --------------------------------------------------------------------------- English in zh

ENGLISH = re.compile(r"\b[A-Za-z]{3,}\b(?:[ \t]+\b[A-Za-z]{3,}\b)+")


def _allowed_words() -> set[str]:
    """Names, not English: functions (their parser names), the optimizers, the commands one
    types and the problem's own names."""
    words = {n.lower() for e in FUNCTIONS.values() for n in (e.name, *e.names)}
    words |= {
        "sgd",
        "adam",
        "adamw",
        "momentum",
        "rmsprop",
        "relu",
        "softmax",
        "sigmoid",
        "tanh",
        "hint",
        "reveal",
        "skip",
        "quit",
        "seed",
    }
    return words


def _formulas_removed(text: str) -> str:
    """The text without what is inside ASCII brackets (function arguments, formulas)."""
    previous = None
    while previous != text:
        previous, text = text, re.sub(r"\([^()（）]*\)|\[[^\[\]]*\]|`[^`]*`", "", text)
    return text


def english_phrases(lines: list[str], names: set[str]) -> list[str]:
    allowed = _allowed_words() | {n.lower() for n in names}
    out = []
    for line in lines:
        for m in ENGLISH.finditer(_formulas_removed(line)):
            words = [w.lower() for w in m.group().split()]
            if not all(w in allowed for w in words):
                out.append(f"{m.group()!r} in {line.strip()!r}")
    return out


def test_zh_output_has_no_english_phrase():
    names = set()
    for s in solutions():  # every name a problem's equations use
        for eq in s.problem.graph:
            names |= set(re.findall(r"[A-Za-z_]\w*", f"{eq.name} {eq.text}"))
        names |= set(s.problem.leaves)
    found = [
        f"{what}: {p}" for what, lines in printed("zh", 100) for p in english_phrases(lines, names)
    ]
    assert not found, "\n".join(found[:30])


def test_the_english_check_catches_a_phrase_and_spares_names_and_formulas():
    assert english_phrases(["梯度（accumulated）: no path to the loss"], set())
    assert not english_phrases(["σ′ = sigmoid(z) (1 − sigmoid(z))，输入 reveal 显示答案"], set())


def test_every_parser_message_is_in_chinese():
    for typed in PARSE_ERRORS:
        g = grading.grade(typed, "1")
        assert g.verdict == "invalid", typed
        assert not ENGLISH.search(_formulas_removed(g.feedback.zh)), (typed, g.feedback.zh)


# --------------------------------------------------------------------------- quiz wording


def test_concept_feedback_says_what_the_student_chose():
    q = next(q for q in bank() if q.id == "false-statement")
    right = next(i for i, o in enumerate(q.options) if o.correct)
    wrong = next(i for i, o in enumerate(q.options) if not o.correct)
    first = lambda chosen: _first_line(quiz_view.concept_feedback(q, chosen, "zh"))  # noqa: E731
    assert first(right) == f"✓ 选对了：{'ABCD'[right]}"
    assert first(wrong) == f"✗ 答错了：正确答案是 {'ABCD'[right]}"


def _first_line(part) -> str:
    console = Console(file=io.StringIO(), width=100, color_system=None)
    console.print(part)
    return console.file.getvalue().splitlines()[0].rstrip()


def test_score_table_says_answered_right_or_wrong_and_names_concepts_by_their_title():
    q = next(q for q in bank() if q.id == "why-sgd")
    outcomes = [
        quiz_loop.Outcome("why-sgd", "correct", 1.0, "A", "A", q.question),
        quiz_loop.Outcome("dL/dw1", "carried", 0.5, "2", "3"),
        quiz_loop.Outcome("z", "wrong", 0.0, "2", "3"),
    ]
    for lang in LANGS:
        console = Console(file=io.StringIO(), width=200, color_system=None)
        console.print(quiz_view.score_table(outcomes, lang))
        shown = console.file.getvalue()
        assert "why-sgd" not in shown
        assert q.question.get(lang) in shown
    assert {"答对", "答错", "沿用前错（按你前一步的结果计分）"} <= set(re.split(r"\s+", shown))
    assert "正确" not in shown and "错误" not in shown and "误差传递" not in shown


def test_carried_forward_feedback_is_not_called_error_propagation():
    g = grading.judge_number("2", Fraction(2), 3, carried=lambda: 2)
    assert g.verdict == "carried"
    assert "误差传递" not in g.feedback.zh and "沿用前错" in g.feedback.zh


def test_concept_commands_are_explained_as_the_numeric_quizs():
    shown = quiz_view.commands("zh", concepts=True).plain
    for word, meaning in (("reveal", "显示答案"), ("skip", "跳过"), ("quit", "退出")):
        assert f"{word} {meaning}" in shown


def test_concept_run_shows_titles_in_zh():
    questions = list(bank())[:2]
    letters = iter(["A", "reveal"])
    outcomes = quiz_loop.run_concepts(
        questions, lambda p: next(letters, None), lambda x: None, lambda x: None, _NoStore(), "zh"
    )
    assert [o.title for o in outcomes] == [q.question for q in questions]
    assert all(isinstance(o.title, Text) for o in outcomes)


# --------------------------------------------------------------------------- ReLU′


def test_relu_derivative_is_step_in_the_terminal_and_in_latex():
    import sympy as sp

    from tutor.registry.functions import step, symbol
    from tutor.text.notation import text

    z = symbol("z")
    assert text(step(z)) == "step(z)"
    assert sp.latex(step(z)) == r"\operatorname{step}\left(z\right)"
