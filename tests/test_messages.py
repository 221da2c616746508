"""The messages catalogue: every sentence in English and Chinese, and no English left in what
`solve --lang zh` and `export --lang zh` print (names and formulas aside)."""

from __future__ import annotations

import io
import re
import string
from dataclasses import replace
from pathlib import Path

import pytest
import shared
from rich.console import Console

from tutor.problems import catalog
from tutor.problems.loader import load_problem
from tutor.quiz.session import Session
from tutor.solutions import explain
from tutor.text import messages
from tutor.text.names import NAMES
from tutor.text.parsing import PARSING
from tutor.text.quiz import QUIZ
from tutor.variants import scalar as variants
from tutor.views import terminal as render

FIXTURES = Path(__file__).parent / "fixtures"


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("key", sorted(messages.MESSAGES))
def test_every_message_has_english_and_chinese_with_the_same_fields(key):
    en, zh = messages.MESSAGES[key]
    assert en.strip() and zh.strip(), key
    # the same fields, but Chinese may leave out a column's English name, and an English
    # plural ending ({pl}: Chinese has none)
    column = {"column"} if key == "adam_bias_correction" else set()
    assert fields(zh) == fields(en) - column - {"pl"}, key
    if re.search(r"[A-Za-z]{3,}", re.sub(r"\{\w+\}", "", en)) and key not in ("lr",):
        # a function's name (ReLU, softmax) may be the same in both languages
        if key in NAMES and zh == en:
            return
        assert re.search(r"[\u3000-\u9fff]", zh), f"{key}: {zh!r} is not Chinese"


def english_phrases() -> set[str]:
    """The English words of the catalogue as they stand in output: each literal piece of a
    template with a word of three letters or more that the Chinese template does not share."""
    out = set()
    views = set(messages.MESSAGES) - set(QUIZ) - set(PARSING)  # what solve and export say
    for en, zh in (messages.MESSAGES[key] for key in views):
        for piece in re.split(r"\{\w+\}", en):
            piece = piece.strip(" :.,()'")
            if re.search(r"[A-Za-z]{3,}", piece) and piece not in zh:
                out.add(piece)
    return out


def shown(solution, lang: str) -> str:
    """`solve --full` and `export` of a solution of any kind (a tensor one's views for it)."""
    from tutor import api
    from tutor.views import matrix as tensor_render

    steps = tensor_render.solution_steps if solution.problem.tensor else render.solution_steps
    console = Console(file=io.StringIO(), width=100, color_system=None)
    for part in steps(solution, lang, full=True):
        console.print(part)
    return console.file.getvalue() + api.Result(solution, lang).markdown()


def solutions():
    for path in catalog.builtin_files():  # every kind: scalar, network, symbolic, tensor
        yield path.stem, shared.solved(path.stem)  # the session's solution of the problem
    for name in ("relu_zero", "bce_saturated", "answers", "many_paths", "untrained_bias"):
        yield name, explain.solve(load_problem(FIXTURES / f"{name}.yaml"))
    for optimizer, l2 in (("adam", None), ("momentum", None), ("sgd", 0.01)):
        problem, rule = variants.with_rule(
            load_problem(FIXTURES / "answers.yaml"), optimizer, None, l2
        )
        yield optimizer, explain.solve(problem, rule=rule)


def test_chinese_output_has_no_english_sentence_of_the_catalogue():
    from tutor.registry.functions import FUNCTIONS
    from tutor.registry.ops import OPS

    # an op's or function's name in a formula is notation (−sum(y ⊙ log p), flatten(m)ᵀ)
    phrases = english_phrases() - set(OPS) - set(FUNCTIONS)
    assert "it went down" in phrases and "(accumulated)".strip("()") in phrases
    seen_notes = set()
    # every phrase at once: one pass over each text (the phrases, longest first)
    anywhere = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
    english = re.compile(rf"(?<![\w])(?=({anywhere})(?![\w]))")
    for name, solution in solutions():
        seen_notes.update(n.kind for n in getattr(solution, "notes", ()))  # a scalar one's
        # the source a problem cites is content, quoted as it is (often in English)
        text = shown(solution, "zh").replace(solution.problem.source.zh, "")
        text = re.sub(r"\$\$.*?\$\$", "", text, flags=re.S)  # display formulas
        text = re.sub(r"\$[^$]*\$|`[^`]*`", "", text)  # formulas and names
        left = sorted(set(english.findall(text)))
        assert not left, (name, left)
    # the three notes the engine knows were all in the output checked
    assert seen_notes == {"relu_at_zero", "saturated_output", "adam_bias_correction"}


def test_notes_read_with_the_numbers_as_the_tables_print_them():
    problem, rule = variants.with_rule(load_problem(FIXTURES / "answers.yaml"), "adam")
    note = next(n for n in explain.solve(problem, rule=rule).notes)
    assert note.kind == "adam_bias_correction" and note.node == "w"
    en = messages.note(note, "en")
    assert "(t = 1: 0.1 and 0.001)" in en and "column 'new w/o bias correction'" in en
    assert "（t = 1 时为 0.1 和 0.001）" in messages.note(note, "zh")


def test_quiz_hints_are_in_the_quiz_language(tmp_path):
    """What stayed English under --lang zh: (accumulated), no path to the loss, one step."""
    session = Session(load_problem(FIXTURES / "many_paths.yaml"))  # 8 routes: delta form
    q = next(q for q in session.questions if q.key == "dL/dw")
    assert any("(accumulated)" in h for h in session.hints(q))
    zh = session.hints(q, "zh")
    assert any("∂L/∂h1 （累积梯度）" in h for h in zh) and not any("accumulated" in h for h in zh)

    problem, rule = variants.with_rule(load_problem(FIXTURES / "answers.yaml"), "adam")
    session = Session(replace(problem, update=rule))
    q = next(q for q in session.questions if q.key == "w'")
    assert session.hints(q) == ["w' = one adam step from w = 0.5 with ∂L/∂w = -1"]
    assert session.hints(q, "zh") == ["w' = 从 w = 0.5 出发、用 ∂L/∂w = -1 做一步 Adam 更新"]

    unused = tmp_path / "unused.yaml"
    unused.write_text(
        "id: unused\ntitle: {en: Unused, zh: 未用}\nstatement: {en: u is unused., zh: 没有用到 u。}\n"
        "inputs: {x: 2}\ntargets: {y: 1}\nparams: {w: 1, u: 3}\n"
        "graph:\n  yhat: w*x\n  L: 1/2*(yhat - y)^2\n",
        encoding="utf-8",
    )
    session = Session(load_problem(unused))
    q = next(q for q in session.questions if q.key == "dL/du")
    assert session.hints(q) == ["∂L/∂u = 0: no path to the loss"]
    assert session.hints(q, "zh") == ["∂L/∂u = 0：没有通往损失的路径"]
