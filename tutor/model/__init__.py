"""Plain data: what a problem says (solutions and quiz grades are in the submodules).

Nothing in the model computes. Expressions are carried as opaque objects (SymPy expressions
made by the restricted parser); printing them is the views' job, deriving them the engine's.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any


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
    source: Text = Text("", "")  # where it comes from, e.g. seed 004 (homework 2.1)
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
