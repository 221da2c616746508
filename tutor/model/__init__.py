"""Plain data: what a problem says (solutions and quiz grades are in the submodules).

Nothing in the model computes. Expressions are carried as opaque objects (SymPy expressions
made by the restricted parser); printing them is the views' job, deriving them the engine's.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tutor.model.variation import RandomBlock


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


_NAME = r"[A-Za-z][A-Za-z0-9_]*"
_QUANTITY = re.compile(
    rf"(?:(?P<optimizer>{_NAME}):)?(?:"
    rf"d(?P<of>{_NAME})/d(?P<wrt>{_NAME})"
    rf"|(?P<slot>m|v|m_hat|v_hat|buffer|uncorrected)\[(?P<param>{_NAME})\]"
    rf"|(?P<after>{_NAME})'"
    rf"|(?P<value>{_NAME}))"
)
STATE_SLOTS = ("m", "v", "m_hat", "v_hat", "buffer", "uncorrected")


@dataclass(frozen=True)
class Quantity:
    """A quantity a problem's `published:` key names (docs/format.md, "Published answers").

    kind    text         names
    value   `z`          (z,)          a given value or a node
    gradient `dL/dw1`    (L, w1)       d(loss)/d(wrt), the first name the loss
    factor  `dyhat/dh`   (yhat, h)     a local factor d(of)/d(wrt)
    after   `w1'`        (w1,)         a parameter or a node after the update
    state   `m[w1]`      (w1,)         the optimizer's state of a parameter (`slot`: m, v...)
    `optimizer` (`adam:w1'`, `adam:m[w1]`): the same first step under another optimizer.
    `text` is the one written form: what views show and the progress database stores.
    """

    kind: str
    names: tuple[str, ...]
    optimizer: str = ""
    slot: str = ""

    @classmethod
    def parse(cls, text: str, loss: str) -> Quantity:
        """The quantity `text` names (`loss` tells a gradient from a local factor); raises
        ValueError with a sentence saying what is accepted."""
        m = _QUANTITY.fullmatch(text.strip()) if len(text) <= 200 else None
        if m is None:
            raise ValueError(
                f"'{text[:60]}' is not a quantity: write a name (z), a gradient (dL/dw1), a "
                "local factor (dyhat/dh), a value after the update (w1'), an optimizer state "
                "(m[w1]), optionally after another optimizer's name (adam:w1')"
            )
        optimizer = m["optimizer"] or ""
        if m["of"]:
            kind = "gradient" if m["of"] == loss else "factor"
            return cls(kind, (m["of"], m["wrt"]), optimizer)
        if m["slot"]:
            return cls("state", (m["param"],), optimizer, m["slot"])
        if m["after"]:
            return cls("after", (m["after"],), optimizer)
        return cls("value", (m["value"],), optimizer)

    @classmethod
    def of_value(cls, name: str, after: bool = False) -> Quantity:
        """A node or given value, or (after=True) its value after the update."""
        return cls("after" if after else "value", (name,))

    @classmethod
    def gradient(cls, loss: str, wrt: str) -> Quantity:
        return cls("gradient", (loss, wrt))

    @property
    def text(self) -> str:
        """The written form: `Quantity.parse(q.text, loss) == q`."""
        if self.kind in ("gradient", "factor"):
            body = f"d{self.names[0]}/d{self.names[1]}"
        elif self.kind == "state":
            body = f"{self.slot}[{self.names[0]}]"
        elif self.kind == "after":
            body = f"{self.names[0]}'"
        else:
            body = self.names[0]
        return f"{self.optimizer}:{body}" if self.optimizer else body

    @property
    def name(self) -> str:
        """The name it is about: the node, parameter or wrt of a derivative."""
        return self.names[-1]

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Published:
    """A number (or formula) as the source printed it, to be checked against the engine;
    `key` is the quantity it names, parsed once by the loader."""

    key: Quantity
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
    random: RandomBlock | None = (
        None  # model/variation.py  # how `--random` draws variants (None: the defaults)
    )
    # `remarks:` what the author says about a quantity ("dL/dmu": why a term is 0), shown
    # after its row in solve and export and after its question in the quiz
    remarks: tuple[tuple[str, Text], ...] = ()

    @property
    def leaves(self) -> dict[str, Any]:
        return {**self.inputs, **self.targets, **self.params, **self.constants}

    def remark(self, key: str) -> Text | None:
        """The author's remark on a quantity (`dL/dmu`; an entry `dL/dX[1,2]` takes its
        tensor's), or None."""
        base = key.split("[", 1)[0]
        return next((text for k, text in self.remarks if k in (key, base)), None)

    @property
    def tensor(self) -> bool:
        """True for a tensor problem (given vectors and matrices, `engine.tensor`)."""
        return bool(self.extra.get("tensor"))

    @functools.cached_property  # asked once per gradient; a frozen instance never changes
    def symbolic(self) -> bool:
        """True when some given value is missing: the solution is a derivation, not numbers."""
        return any(v is None for v in self.leaves.values())

    def __getstate__(self) -> dict:
        """Its fields without what `symbolic` cached: equal problems pickle to equal bytes,
        whatever was asked of them (the key of a cached solution, `cache.cached_object`)."""
        state = dict(self.__dict__)
        state.pop("symbolic", None)
        return state


@dataclass(frozen=True)
class ProblemSheet:
    """A problem as `show` prints it before any solving: title, statement and the given values
    (exact `Fraction`s, None for a name without a number), read without parsing an equation."""

    id: str
    title: Text
    statement: Text
    kind: str
    inputs: dict[str, Any]
    targets: dict[str, Any]
    params: dict[str, Any]
    constants: dict[str, Any]
    file: str = ""

    @property
    def leaves(self) -> dict[str, Any]:
        return {**self.inputs, **self.targets, **self.params, **self.constants}


@dataclass(frozen=True)
class ProblemInfo:
    """What `bptutor list` shows, read without parsing any expression."""

    id: str
    title: Text
    kind: str
    asks: tuple[str, ...]
    file: str
