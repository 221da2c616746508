"""Parser errors carry a catalogue key and fields, worded in English or Chinese from the
catalogue (tutor/text/parsing.py), never translated from the English by pattern. The expected
sentences are those the quiz showed before (the old pattern table's Chinese, written out here
by hand)."""

from __future__ import annotations

import pytest

from tests.cli_runner import invoke
from tutor.errors import ParseError
from tutor.language.answers import AnswerError, read
from tutor.language.expr import parse
from tutor.quiz import grading
from tutor.text.messages import MESSAGES

# typed answer, expected answer, names -> the feedback in English and in Chinese
TYPED = [
    ("x +", "x", ["x"], "unexpected end of expression (column 4)", "表达式没有写完（第 4 列）"),
    (
        "(x + 1",
        "x",
        ["x"],
        "missing ')' for the '(' at column 1, found end of expression (column 7)",
        "第 1 列的 '(' 缺少对应的 ')'，却遇到表达式结尾（第 7 列）",
    ),
    (
        "(x ]",
        "x",
        ["x"],
        "missing ')' for the '(' at column 1, found ']' (column 4)",
        "第 1 列的 '(' 缺少对应的 ')'，却遇到 ']'（第 4 列）",
    ),
    ("x)", "x", ["x"], "unmatched ')' (column 2)", "多余的 ')'：前面没有对应的 '('（第 2 列）"),
    ("foo", "x", ["x"], "unknown name 'foo' (column 1)", "不认识的名称 'foo'（第 1 列）"),
    ("bar(x)", "x", ["x"], "unknown function 'bar' (column 1)", "不认识的函数 'bar'（第 1 列）"),
    (
        "2 3",
        "1",
        [],
        "missing operator between '2' and '3' (column 3)",
        "'2' 和 '3' 之间缺少运算符（第 3 列）",
    ),
    ("x $ 1", "x", ["x"], "unexpected character '$' (column 3)", "无法识别的字符 '$'（第 3 列）"),
    ("", "1", [], "empty answer (column 1)", "没有输入答案（第 1 列）"),
    ("1/0", "1", [], "division by zero (column 3)", "除以零（第 3 列）"),
    (
        "sigmoid",
        "x",
        ["x"],
        "sigmoid is a function: write sigmoid(z) (column 1)",
        "sigmoid 是函数，请写成 sigmoid(z)（第 1 列）",
    ),
    (
        "sigmoid(1, 2)",
        "1",
        [],
        "sigmoid takes 1 argument, got 2 (column 1)",
        "sigmoid 需要 1 个参数，给了 2 个（第 1 列）",
    ),
    (
        "x^1000",
        "x",
        ["x"],
        "exponent too large (at most 100) (column 2)",
        "指数太大（最多 100）（第 2 列）",
    ),
    (
        "1e99999",
        "1",
        [],
        "number exponent too large (at most e±300) (column 2)",
        "数字的指数太大（最多 e±300）（第 2 列）",
    ),
    (
        "sqrt(x",
        "x",
        ["x"],
        "missing ')' to close sqrt(, found end of expression (column 7)",
        "缺少 ')' 来结束 sqrt(，却遇到表达式结尾（第 7 列）",
    ),
    (
        "softmax(1, 2)[5]",
        "1",
        [],
        "softmax index must be between 1 and 2, got 5 (column 15)",
        "softmax 的下标必须在 1 到 2 之间，给了 5（第 15 列）",
    ),
    (
        "max()",
        "1",
        [],
        "max takes at least 1 argument, got 0 (column 1)",
        "max 至少需要 1 个参数，给了 0 个（第 1 列）",
    ),
    (
        "x²³",
        "x",
        ["x"],
        "write other exponents with ^, e.g. x^23 (column 3)",
        "其他指数请用 ^ 写，例如 x^23（第 3 列）",
    ),
    (
        "9" * 101,
        "1",
        [],
        "number too long (at most 100 digits) (column 1)",
        "数字太长（最多 100 位）（第 1 列）",
    ),
    (
        "(" * 60 + "1" + ")" * 60,
        "1",
        [],
        "expression nested too deeply (column 51)",
        "括号或嵌套层数太多（第 51 列）",
    ),
]


@pytest.mark.parametrize(("typed", "expected", "names", "en", "zh"), TYPED)
def test_a_typed_answer_that_cannot_be_read_says_why_in_both_languages(
    typed, expected, names, en, zh
):
    grade = grading.grade(typed, expected, names=names)
    assert grade.verdict == "invalid"
    assert grade.feedback.en == f"can't read that: {en}"
    assert grade.feedback.zh == f"无法读取：{zh}"


TENSORS = [
    (
        "[1, 2",
        "missing ']' for the '[' at column 1 (column 6)",
        "第 1 列的 '[' 缺少对应的 ']'（第 6 列）",
    ),
    (
        "[1 2; 3 4]",
        "separate the entries with commas: '1 2' (column 2)",
        "各个数之间请用逗号隔开：'1 2'（第 2 列）",
    ),
    (
        "[1, 2; 3]",
        "row 2 has 1 entry, row 1 has 2 (column 8)",
        "第 2 行有 1 个数，第 1 行有 2 个（第 8 列）",
    ),
    ("[1, x]", "not a number: 'x' (column 5)", "不是一个数：'x'（第 5 列）"),
    ("[]", "empty brackets (column 2)", "方括号里没有数（第 2 列）"),
]


@pytest.mark.parametrize(("typed", "en", "zh"), TENSORS)
def test_a_typed_tensor_that_cannot_be_read_says_why_in_both_languages(typed, en, zh):
    with pytest.raises(AnswerError) as error:
        read(typed)
    grade = grading.unreadable(error.value)
    assert (grade.feedback.en, grade.feedback.zh) == (f"can't read that: {en}", f"无法读取：{zh}")


def test_a_parse_error_is_a_key_and_fields_not_english_to_translate():
    with pytest.raises(ParseError) as error:
        parse("a + b", {"a": 1})
    e = error.value
    assert (e.key, e.fields, e.column) == ("parse_unknown_name", {"name": "b"}, 5)
    assert e.message == "unknown name 'b'" and e.say("zh") == "不认识的名称 'b'"
    assert e.key in MESSAGES


def test_the_quiz_translates_no_error_by_pattern():
    assert not hasattr(grading, "_PARSE_ZH") and not hasattr(grading, "_zh_parse_message")


BAD_EQUATION = """\
id: bad
title: {en: A bad equation, zh: 有错的公式}
statement: {en: One unit., zh: 一个单元。}
inputs: {x: 2}
params: {w: 0.5}
graph:
  z: w*x + q
"""


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", "'graph.z': unknown name 'q' (column 7)"),
        ("zh", "'graph.z'：不认识的名称 'q'（第 7 列）"),
    ],
)
def test_a_problem_files_parse_error_is_one_line_in_the_commands_language(tmp_path, lang, words):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD_EQUATION, encoding="utf-8")
    result = invoke("solve", str(path), "--lang", lang)
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {path}:7: {words}"


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", "unknown key 'tittle' in the problem; did you mean 'title'?"),
        ("zh", "题目 中有未知的键 'tittle'；是不是 'title'？"),
    ],
)
def test_a_schema_error_of_the_readers_common_checks_is_in_the_commands_language(
    tmp_path, lang, words
):
    path = tmp_path / "bad.yaml"
    path.write_text(
        BAD_EQUATION.replace("title:", "tittle:").replace("q\n", "1\n"), encoding="utf-8"
    )
    result = invoke("solve", str(path), "--lang", lang)
    assert (result.returncode, result.stderr.strip()) == (2, f"error: {path}:2: {words}")
