"""Line breaking: Chinese between characters, formulas whole, punctuation where it belongs.

Expected lines are worked out by hand from the rules in tutor/linebreak.py.
"""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from rich.table import Table
from rich.text import Text

from tutor.text import linebreak


@pytest.fixture(autouse=True, scope="module")
def rules():
    linebreak.install()
    yield
    linebreak.uninstall()


CLOSING = tuple("，。、；：！？）】」』》,.;:!?)")
OPERATOR_END = ("=", "+", "−", "-", "×", "·", "/", "^")


def lines(text: str, width: int) -> list[str]:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(Text(text))
    return [line.rstrip() for line in console.file.getvalue().splitlines()]


def test_a_formula_is_one_unit():
    assert lines("The cost is C = (a² − y)² here.", 20) == ["The cost is", "C = (a² − y)² here."]
    assert lines("the rate is η = 0.1 for now", 12) == ["the rate is", "η = 0.1 for", "now"]


def test_a_long_formula_breaks_after_a_top_level_equals_plus_or_comma():
    text = "W¹ = ((0.1, 0.2), (0.3, 0.4)), x = (1, 2)"
    assert lines(text, 30) == ["W¹ = ((0.1, 0.2), (0.3, 0.4)),", "x = (1, 2)"]
    assert lines(text, 20) == ["W¹ = ((0.1, 0.2),", "(0.3, 0.4)),", "x = (1, 2)"]


def test_chinese_breaks_between_characters_never_before_closing_punctuation():
    text = "梯度来自后一层，而不是前一层。这一点很重要。"
    for width in range(6, 30):
        out = lines(text, width)
        assert "".join(out) == text
        assert not any(line.startswith(CLOSING) for line in out), (width, out)
        assert all(len(line) * 2 <= width for line in out)


def test_no_break_after_opening_punctuation():
    text = "这是一个例子（括号里的说明文字）然后继续"
    for width in range(8, 30):
        out = lines(text, width)
        assert not any(line.endswith(("（", "“")) for line in out), (width, out)


def test_chinese_keeps_a_formula_whole():
    text = "每层的激活为 a¹ = σ(z¹)，梯度为 δ = (a − y)·σ′(z)。"
    for width in range(19, 40):  # the longest formula with its "。" is 19 cells
        for line in lines(text, width):
            assert not line.endswith(OPERATOR_END), (width, line)
            assert line.count("(") == line.count(")"), (width, line)


def test_tables_measure_chinese_by_its_units():
    """A Chinese cell is not one unbreakable word: the table fits in 40 columns."""
    table = Table("名称", "说明")
    table.add_row("z", "加权和：每个输入乘以对应的权重再相加，最后加上偏置。")
    console = Console(file=io.StringIO(), width=40, color_system=None)
    console.print(table)
    out = console.file.getvalue().splitlines()
    assert max(len(line) for line in out) <= 40
    assert "…" not in console.file.getvalue()


@pytest.mark.parametrize("text", ["", " ", "word", "a" * 50, "（" * 10, "= = = =", "。" * 30])
def test_odd_texts_are_safe(text):
    for width in (1, 2, 5, 10):
        assert isinstance(linebreak.divide_line(text, width), list)
