"""Plain data: a problem's `random:` block (docs/format.md, "Random variants").

Apart from the rest of the model: only the loader (a file with a `random:` block) and the
variants need these classes, so `list` and `show` do not pay for defining them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Grid:
    """How a random variant draws one given value (docs/format.md, "Random variants").

    kind   fields
    int    lo, hi            a whole number in [lo, hi]
    range  lo, hi, decimals  a multiple of 10^-decimals in [lo, hi]
    one_of choices           one of the numbers listed
    value  expr              computed from the other drawn values (opaque expression)
    keep                     the given value stays
    mixed                    the default: a small integer or a one-decimal number
    `nonzero`: 0 is never drawn (the loader's default for int, range and value grids unless
    the file says `nonzero: false`; a one_of draws 0 when it lists it, unless nonzero).
    """

    kind: str
    lo: Any = None
    hi: Any = None
    decimals: int = 0
    choices: tuple = ()
    expr: Any = None
    nonzero: bool = False


@dataclass(frozen=True)
class Condition:
    """A constraint on a variant, `z > 0`: the sides (opaque expressions) and operators."""

    text: str
    parts: tuple
    line: int | None = None


@dataclass(frozen=True)
class RandomBlock:
    """A problem's `random:` block: a grid per given value (by name, else by its group), the
    conditions every variant meets, and `cases`, condition lists taken in turn by seed (seed
    s meets cases[s mod len(cases)]: a ReLU on in some variants and off in others); drawn at
    most `tries` times."""

    grids: dict[str, Grid] = field(default_factory=dict)
    groups: dict[str, Grid] = field(default_factory=dict)
    require: tuple[Condition, ...] = ()
    cases: tuple[tuple[Condition, ...], ...] = ()
    tries: int = 200
    line: int | None = None
