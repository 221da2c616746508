"""Plain data: what a problem says and what a solution contains.

Nothing here computes. Expressions are carried as opaque objects (SymPy expressions made by
the restricted parser); printing them is the views' job, deriving them the engine's.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

LANGS = ("en", "zh")


@dataclass(frozen=True)
class Text:
    """A short text in English and Chinese."""

    en: str
    zh: str

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" and self.zh else self.en


@dataclass(frozen=True)
class Equation:
    """One graph node as the problem writes it: `name = text`, parsed once into `expr`."""

    name: str
    text: str
    expr: Any
    line: int | None = None


@dataclass(frozen=True)
class Published:
    """A number (or formula) as the source printed it, to be checked against the engine."""

    quantity: str
    text: str
    line: int | None = None


@dataclass(frozen=True)
class UpdateRule:
    """How parameters change after the backward pass (one optimizer step)."""

    optimizer: str = "sgd"
    lr: float = 0.1
    params: tuple[str, ...] | None = None  # None: every parameter
    hyper: dict[str, float] = field(default_factory=dict)  # momentum, beta1, beta2, eps...


@dataclass(frozen=True)
class Problem:
    """One exercise: given values, the graph of equations, what is asked, published answers."""

    id: str
    title: Text
    statement: Text
    kind: str
    inputs: dict[str, Any]  # name -> exact number, or None for a symbolic problem
    targets: dict[str, Any]
    params: dict[str, Any]
    constants: dict[str, Any]
    graph: tuple[Equation, ...]
    loss: str
    asks: tuple[str, ...] = ("forward", "loss", "gradients", "update")
    update: UpdateRule | None = None
    published: tuple[Published, ...] = ()
    tolerance: float | None = None
    source: str = ""
    file: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # kind-specific data (layer sizes...)

    @property
    def leaves(self) -> dict[str, Any]:
        return {**self.inputs, **self.targets, **self.params, **self.constants}

    @functools.cached_property  # asked once per gradient; a frozen instance never changes
    def symbolic(self) -> bool:
        """True when some given value is missing: the solution is a derivation, not numbers."""
        return any(v is None for v in self.leaves.values())


@dataclass(frozen=True)
class ProblemInfo:
    """What `bptutor list` shows, read without parsing any expression."""

    id: str
    title: Text
    kind: str
    asks: tuple[str, ...]
    file: str


# --------------------------------------------------------------------------- solutions


@dataclass(frozen=True)
class ForwardStep:
    """One row of the forward pass: node, its equation, the numbers substituted, its value."""

    name: str
    equation: Any  # expression (opaque)
    text: str  # the equation as written
    substituted: str
    value: float | None


@dataclass(frozen=True)
class Factor:
    """One chain-rule factor d(of)/d(wrt): its symbolic form and its value.

    `upstream` marks a factor that stands for a whole accumulated gradient dL/d(of)
    (the delta of the recurrence) rather than a local derivative.
    """

    of: str
    wrt: str
    expr: Any
    value: float | None
    upstream: bool = False


@dataclass(frozen=True)
class Path:
    """One route from a quantity to the loss: the product of its factors."""

    factors: tuple[Factor, ...]
    value: float | None


@dataclass(frozen=True)
class Gradient:
    """dL/d(wrt): the sum over paths (or delta terms) and its value."""

    wrt: str
    paths: tuple[Path, ...]
    value: float | None
    total: Any = None  # simplified symbolic form, for symbolic problems
    delta_form: bool = False


@dataclass(frozen=True)
class ParamUpdate:
    """One parameter's step: old value, gradient, learning rate, new value, optimizer state."""

    name: str
    old: float
    grad: float
    lr: float
    new: float
    state: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Check:
    """A published value compared with the computed one at the precision it was printed."""

    quantity: str
    published: str
    computed: Any
    ok: bool
    line: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class Solution:
    """Everything the views show: values, factors, gradients, update, checks."""

    problem: Problem
    forward: tuple[ForwardStep, ...]
    loss: float | None
    node_grads: dict[str, float | None]
    gradients: tuple[Gradient, ...]
    updates: tuple[ParamUpdate, ...] = ()
    forward_after: tuple[ForwardStep, ...] = ()
    loss_after: float | None = None
    notes: tuple[str, ...] = ()
    checks: tuple[Check, ...] = ()
    local: dict[tuple[str, str], Factor] = field(default_factory=dict)
    # the same first step under other optimizers, when published answers refer to them
    alternatives: dict[str, tuple[ParamUpdate, ...]] = field(default_factory=dict)

    @property
    def errata(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.ok)

    def check_for(self, quantity: str) -> Check | None:
        return next((c for c in self.checks if c.quantity == quantity), None)


# --------------------------------------------------------------------------- quiz


@dataclass(frozen=True)
class Question:
    """One quantity a quiz asks for: its name as in `published:` and its exact answer.

    `value` is the number for a numeric problem; `expr` the formula for a symbolic one, with
    `names` the identifiers an answer may use.
    """

    key: str  # "z", "L", "dL/dw1", "w1'"
    kind: str  # "forward", "loss", "gradient" or "update"
    node: str  # the node or parameter it is about
    value: float | None = None
    expr: Any = None
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Grade:
    """The verdict on one typed answer: feedback and score are separate things.

    verdict: "correct", "carried" (right method on the student's own earlier, wrong values),
    "wrong" or "invalid" (unreadable: not graded, not counted; the student types again).
    """

    verdict: str
    feedback: Text
    exact: str = ""  # the exact answer as text, shown after grading
    credit: float = 0.0
    mistake: str | None = None  # "sign", "factor2", "activation", "post-activation"...
    column: int | None = None  # where an unreadable answer went wrong
    warning: Text | None = None  # e.g. rounded too early to be used further

    @property
    def counted(self) -> bool:
        return self.verdict != "invalid"


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
