"""Plain data: quiz questions and grades (feedback and score kept apart)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tutor.model import Text


@dataclass(frozen=True)
class Question:
    """One quantity a quiz asks for: its name as in `published:` and its exact answer.

    `value` is the number for a numeric problem; `expr` the formula for a symbolic one, with
    `names` the identifiers an answer may use.
    """

    key: str  # "z", "L", "dL/dyhat", "dL/dw1", "dyhat/dh", "w1'", "L'"
    kind: str  # "forward", "loss", "delta", "gradient", "factor", "update" or "after"
    node: str  # the node or parameter it is about (a factor: its `wrt`)
    value: float | None = None
    expr: Any = None
    names: tuple[str, ...] = ()
    # the step of backprop it is (forward|loss|delta|gradient|factor|update|after): the kind
    step: str = ""
    skills: tuple[str, ...] = ()
    scaffold_of: str | None = None  # the question this one breaks into factors
    of: str = ""  # a factor's `of` (∂of/∂node)

    def __post_init__(self):
        if not self.step:
            object.__setattr__(self, "step", self.kind)


@dataclass(frozen=True)
class Grade:
    """The verdict on one typed answer: feedback and score are separate things.

    verdict: "right", "carried" (right method on the student's own earlier, wrong values),
    "wrong", "invalid" (unreadable: not graded, not counted; the student types again) or
    "undecided" (readable, but the grader cannot tell: not counted either; type again), with
    `reason` "figures" (correctly rounded to too few figures for the tolerance) or "points"
    (a formula with a real value at too few of the sample points).
    """

    verdict: str
    feedback: Text  # the message, en and zh
    exact: str = ""  # the exact answer as text, shown after grading
    credit: float = 0.0
    mistake: str | None = None  # the diagnosed mistake: "sign", "factor2", "activation"...
    column: int | None = None  # where an unreadable answer went wrong
    warning: Text | None = None  # e.g. rounded too early to be used further
    reason: str | None = None  # why undecided: "figures" or "points"
    # what went wrong without giving the answer away (shown while tries remain)
    diagnosis: Text | None = None

    @property
    def counted(self) -> bool:
        return self.verdict not in ("invalid", "undecided")


@dataclass(frozen=True)
class Option:
    """One answer of a concept question, with why it is right or wrong."""

    text: Text
    correct: bool
    explanation: Text


@dataclass(frozen=True)
class ConceptQuestion:
    """A multiple-choice or true/false question from `problems/concepts/*.yaml`."""

    id: str
    kind: str  # "choice" or "truefalse"
    question: Text
    options: tuple[Option, ...]
    topic: str = ""
    source: str = ""
    file: str = ""
    line: int | None = None
    see: str = ""  # a catalogue problem that works the idea with numbers (`bptutor solve ID`)
