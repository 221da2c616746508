"""Plain data: what a worked solution contains (every value, factor, gradient, update)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tutor.model import Problem, Quantity


@dataclass(frozen=True)
class ForwardStep:
    """One row of the forward pass: node, its equation, its value.

    `inputs` holds the value of every name the equation reads; for a problem without numbers
    `written` is the node in the given names only (an expression). `substituted` is the row
    as shown (numbers put in, or `written` printed): the display step (`explain`) fills it.
    """

    name: str
    equation: Any  # expression (opaque)
    text: str  # the equation as written
    value: float | None
    inputs: dict[str, float] = field(default_factory=dict)
    written: Any = None
    substituted: str = ""


@dataclass(frozen=True)
class Note:
    """Something worth saying about a solution, as data: `kind` names the remark (the views'
    messages word it), `node` the node it is about, `values` the numbers or names it quotes.

    Kinds: relu_at_zero (values: arg), saturated_output (of, wrt: the factor that is not
    finite), adam_bias_correction (c1, c2: the corrections; without, new: the step without
    and with them).
    """

    kind: str
    node: str
    values: dict[str, Any] = field(default_factory=dict)


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

    quantity: Quantity | None  # None only before check_all names it
    published: str
    computed: Any
    ok: bool
    line: int | None = None
    # why it disagrees, as a key of the messages catalogue: "differs" (by `difference`),
    # "no_such", "nan", "not_equivalent", "unreadable" (`detail` says what the parser met)
    reason: str = ""
    # for a published value that disagrees: "rounded" when it is what the source's own
    # rounded earlier numbers give (`basis` names them), "follows" when it follows from an
    # earlier erratum of the source, "" for a mistake of its own
    kind: str = ""
    basis: tuple[tuple[str, str], ...] = ()  # (quantity, published text) it was computed from
    difference: float | None = None
    detail: Any = ""  # a str, or a text.messages.Message worded in the reader's language
    # the tensor a check is about in the matrix view (z1 for z1_2 of a `network:` file)
    node: str = ""
    # False: a check of the file's own update, listed in the errata but not marked beside a
    # run under another rule (`--optimizer`, `--lr`, `--l2`), whose numbers it is not about
    shown: bool = True


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
    notes: tuple[Note, ...] = ()
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

    def check_for(self, quantity: Quantity) -> Check | None:
        return next((c for c in self.checks if c.quantity == quantity and c.shown), None)

    def check_shown(self, quantity: Quantity) -> Check | None:
        """The check to mark next to a quantity: one that disagrees, if any, else the first."""
        bad = next(
            (c for c in self.checks if c.quantity == quantity and not c.ok and c.shown), None
        )
        return bad or self.check_for(quantity)


@dataclass(frozen=True)
class ParamSize:
    """One parameter as a count reads it: its shape (() for a scalar parameter) and how many
    numbers it holds."""

    name: str
    shape: tuple[int, ...]
    size: int


@dataclass(frozen=True)
class LayerCount:
    """The parameters one layer reads (a layer: an equation that reads a parameter) and
    their number, the sum of their sizes: z1 = conv2d_bias(x, K1, b1) reads K1 (8) and b1 (2),
    10 in all."""

    node: str
    params: tuple[ParamSize, ...]
    count: int


@dataclass(frozen=True)
class ParameterCounts:
    """Every layer's count, and the total: each parameter the layers read, counted once
    (`shared`: those read by more than one layer, an RNN's W at every step)."""

    layers: tuple[LayerCount, ...]
    params: tuple[ParamSize, ...]
    total: int
    shared: tuple[str, ...] = ()
