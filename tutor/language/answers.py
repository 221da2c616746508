"""Typed tensor answers: `[1, 2; 3, 4]`, `[[1, 2], [3, 4]]`, `[1, 2, 3]`, or one number.

A restricted, bounded reader (never eval, never SymPy): brackets, commas and semicolons are
read here, each entry by `numerals.exact` (a number or plain arithmetic: `1/3`, `-0.5`,
`2e-3`). Conventions as problem files have them: a flat list is a column (`[1, 2, 3]` is
3×1), nested lists are rows (`[[1, 2, 3]]` is 1×3), `;` ends a row (`[1, 2; 3, 4]` is 2×2).
Deeper nesting gives C×H×W maps. Each entry keeps the text typed, so the tolerance of each
entry is set by its own figures (`grading.tolerance`).

An unreadable answer raises `AnswerError` (a ParseError with a 1-based column and the message
in Chinese too): the quiz shows it on one line and does not count it as a try.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from tutor.errors import ParseError
from tutor.language import numerals
from tutor.model import Text

MAX_LENGTH = 4000  # characters in one typed tensor answer
MAX_ENTRIES = 1024  # numbers in one answer
MAX_DEPTH = 4  # nested brackets (a C×H×W map needs 3)
# Full-width punctuation (by code point: comma, semicolon, brackets, parentheses, the
# ideographic space) and the minus sign, read as their ASCII forms (one character each, so
# columns stay right).
_SAME = str.maketrans(
    {
        0xFF0C: ",",
        0xFF1B: ";",
        0xFF3B: "[",
        0xFF3D: "]",
        0xFF08: "(",
        0xFF09: ")",
        0x3000: " ",
        0x2212: "-",
    }
)


_SPACES = re.compile(r"\s*")
_UNTIL_STOP = re.compile(r"[^,;\[\]]*")  # an entry: everything up to the next , ; [ ]


class AnswerError(ParseError):
    """An answer that cannot be read: an answer_* key of the catalogue and its fields, the
    1-based `column`."""

    @property
    def text(self) -> Text:
        return Text(self.say("en"), self.say("zh"))


@dataclass(frozen=True)
class TensorAnswer:
    """A typed answer: its entries (exact fractions) and their texts in C order, its shape."""

    shape: tuple[int, ...]
    values: tuple[Fraction, ...]
    texts: tuple[str, ...]

    @property
    def array(self) -> np.ndarray:
        return np.array([float(v) for v in self.values], dtype=float).reshape(self.shape)


def shape_text(shape: tuple) -> str:
    """`4×1`, `3×4`, `scalar` for ()."""
    return "×".join(map(str, shape)) if shape else "scalar"


def read(typed: str) -> TensorAnswer:
    """The tensor (or number) `typed` writes; raises AnswerError when it cannot be read."""
    if not isinstance(typed, str) or not typed.strip():
        raise AnswerError("answer_empty", 1)
    if len(typed) > MAX_LENGTH:
        raise AnswerError("answer_too_long", n=len(typed), most=MAX_LENGTH)
    return _Reader(typed.translate(_SAME)).answer()


class _Reader:
    """answer := list | entry; list := "[" item (("," | ";") item)* "]"; item := list | entry;
    entry := anything up to the next , ; [ ] (read by numerals.exact)."""

    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        self.count = 0

    def _skip(self) -> None:
        self.pos = _SPACES.match(self.text, self.pos).end()

    def _column(self) -> int:
        return self.pos + 1

    def answer(self) -> TensorAnswer:
        self._skip()
        if self.pos < len(self.text) and self.text[self.pos] == "[":
            shape, values, texts = self._list(1)
            if len(shape) == 1:
                shape = (shape[0], 1)  # a flat list is a column, as in problem files
            self._skip()
            if self.pos < len(self.text):
                c = self.text[self.pos]
                raise AnswerError("answer_after_bracket", self._column(), char=c)
            return TensorAnswer(shape, tuple(values), tuple(texts))
        value, text = self._entry(outside=True)
        return TensorAnswer((), (value,), (text,))

    def _entry(self, outside: bool = False) -> tuple[Fraction, str]:
        start = self.pos
        self.pos = len(self.text) if outside else _UNTIL_STOP.match(self.text, start).end()
        raw = self.text[start : self.pos]
        text = raw.strip()
        column = start + len(raw) - len(raw.lstrip()) + 1
        if not text:
            raise AnswerError("answer_missing_number", column)
        if outside and any(c in text for c in ",;]"):
            raise AnswerError("answer_brackets", column)
        value = numerals.exact(text)
        if value is None:
            parts = text.split()
            if len(parts) > 1 and all(numerals.exact(p) is not None for p in parts):
                raise AnswerError("answer_commas", column, text=_clip(text))
            raise AnswerError("answer_not_number", column, text=_clip(text))
        self.count += 1
        if self.count > MAX_ENTRIES:
            raise AnswerError("answer_too_many", column, most=MAX_ENTRIES)
        return value, text

    def _list(self, depth: int) -> tuple[tuple, list, list]:
        """One bracketed list (the reader is at its '['): shape, values, texts."""
        opened = self._column()
        if depth > MAX_DEPTH:
            raise AnswerError("answer_too_deep", opened, most=MAX_DEPTH)
        self.pos += 1
        items: list = []  # ("entry", value, text, column) or ("list", shape, values, texts, column)
        rows: list[list] = [[]]
        while True:
            self._skip()
            if self.pos >= len(self.text):
                raise AnswerError("parse_open_bracket", self._column(), at=opened)
            column = self._column()
            if self.text[self.pos] == "]" and not items and rows == [[]]:
                raise AnswerError("answer_empty_brackets", column)
            if self.text[self.pos] == "[":
                item = ("list", *self._list(depth + 1), column)
            else:
                item = ("entry", *self._entry(), column)
            items.append(item)
            rows[-1].append(item)
            self._skip()
            if self.pos >= len(self.text):
                raise AnswerError("parse_open_bracket", self._column(), at=opened)
            c = self.text[self.pos]
            self.pos += 1
            if c == "]":
                break
            if c == ";":
                rows.append([])
            elif c != ",":
                raise AnswerError("answer_separator", self.pos, char=c)
        kinds = {item[0] for item in items}
        if len(kinds) > 1:
            raise AnswerError("answer_mixed", opened)
        if kinds == {"entry"}:
            if len(rows) == 1:
                return (len(items),), [i[1] for i in items], [i[2] for i in items]
            width = len(rows[0])
            for number, row in enumerate(rows, 1):
                if len(row) != width:
                    where = row[0][-1] if row else self.pos
                    key = "answer_row_one" if len(row) == 1 else "answer_row"
                    raise AnswerError(key, where, row=number, n=len(row), width=width)
            return (len(rows), width), [i[1] for i in items], [i[2] for i in items]
        if len(rows) > 1:
            raise AnswerError("answer_rows", opened)
        inner = items[0][1]
        for item in items[1:]:
            if item[1] != inner:
                raise AnswerError(
                    "answer_shapes", item[-1], a=shape_text(inner), b=shape_text(item[1])
                )
        values = [v for item in items for v in item[2]]
        texts = [t for item in items for t in item[3]]
        return (len(items), *inner), values, texts


def _clip(text: str, n: int = 20) -> str:
    return text if len(text) <= n else text[:n] + "…"


def written(array, digits: int = 4) -> str:
    """An array as typed back: `[0.1, -0.2; 0.3, 0.4]` (a column `[1, 2, 3]`, a row
    `[[1, 2, 3]]`, a number `0.5`), `digits` significant figures."""
    from tutor.text.notation import fmt

    a = np.asarray(array, dtype=float)

    def num(v: float) -> str:
        return fmt(float(v), digits, group=False)

    if a.ndim == 0:
        return num(a)
    if a.ndim == 2 and a.shape[1] == 1:
        return "[" + ", ".join(num(v) for v in a[:, 0]) + "]"
    if a.ndim == 2 and a.shape[0] > 1:
        return "[" + "; ".join(", ".join(num(v) for v in row) for row in a) + "]"

    def nested(x) -> str:
        if x.ndim == 1:
            return "[" + ", ".join(num(v) for v in x) + "]"
        return "[" + ", ".join(nested(r) for r in x) + "]"

    return nested(a)
