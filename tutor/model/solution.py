"""Plain data: what a worked solution contains (every value, factor, gradient, update)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import Problem, Text


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
    # for a published value that disagrees: "rounded" when it is what the source's own
    # rounded earlier numbers give (`basis` names them), "follows" when it follows from an
    # earlier erratum of the source, "" for a mistake of its own
    kind: str = ""
    basis: tuple[tuple[str, str], ...] = ()  # (quantity, published text) it was computed from


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
    notes: tuple[Text, ...] = ()  # in English and Chinese
    checks: tuple[Check, ...] = ()
    local: dict[tuple[str, str], Factor] = field(default_factory=dict)
    # the same first step under other optimizers, when published answers refer to them
    alternatives: dict[str, tuple[ParamUpdate, ...]] = field(default_factory=dict)

    @property
    def errata(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.ok)

    @property
    def mistakes(self) -> tuple[Check, ...]:
        """Errata that are not merely early rounding."""
        return tuple(c for c in self.checks if not c.ok and c.kind != "rounded")

    def check_for(self, quantity: str) -> Check | None:
        return next((c for c in self.checks if c.quantity == quantity), None)


