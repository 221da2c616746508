"""`tutor.views.grid.Grid` draws what rich's own `Table.grid` draws (the oracle), character
for character and style for style, in colour: grids of one to three columns with every
padding form the views use, wrapping and folding cells, each vertical alignment and
justification, column styles, markup, multi-line cells and Chinese, at widths where the
cells fit and where rich must shrink them."""

from __future__ import annotations

import io
import random

import pytest
from rich.console import Console
from rich.table import Table
from rich.text import Text

from tutor.views.grid import Grid

PIECES = [
    "x",
    "σ(z1)",
    "= 0.25 · [0.5912 > 0]",
    "a longer piece of prose that has to wrap somewhere",
    "",
    "δ(h6)[1] = 1",
    "⎡ 1  2 ⎤\n⎣ 3  4 ⎦",
    "[dim]dim[/dim] markup",
    "中文的句子，会在字之间换行",
]
PADDINGS = [0, 1, (0, 1), (0, 2), (0, 1, 0, 0), (0, 2, 0, 1)]


def drawn(renderable, width: int) -> str:
    console = Console(
        file=io.StringIO(), width=width, force_terminal=True, color_system="truecolor"
    )
    console.print(renderable)
    return console.file.getvalue()


def built(cls, seed: int) -> Table:
    """The same random grid as a rich Table or a Grid."""
    rng = random.Random(seed)
    grid = cls.grid(padding=rng.choice(PADDINGS))
    columns = rng.randint(1, 3)
    for _ in range(columns):
        grid.add_column(
            style=rng.choice(["", "", "dim", "bold red"]),
            no_wrap=rng.random() < 0.3,
            overflow=rng.choice(["fold", "ellipsis"]),
            vertical=rng.choice(["top", "middle", "bottom"]),
            justify=rng.choice(["left", "right", "center"]),
        )
    for _ in range(rng.randint(1, 4)):
        cells = [rng.choice(PIECES) for _ in range(columns)]
        style = rng.choice(["", "bold", "dim"])
        grid.add_row(*[Text(c, style=style) if rng.random() < 0.5 else c for c in cells])
    return grid


@pytest.mark.parametrize("seeds", [range(k, 300, 4) for k in range(4)], ids=lambda r: str(r[0]))
def test_grid_draws_what_rich_draws(seeds):
    for seed in seeds:
        ours, theirs = built(Grid, seed), built(Table, seed)
        for width in (12, 40, 100):
            assert drawn(ours, width) == drawn(theirs, width), (seed, width)


def test_the_faster_drawing_is_the_one_compared(monkeypatch):
    """A plain grid never reaches rich's own drawing (else the comparison above would compare
    rich with itself)."""

    def refused(*args, **kwargs):
        raise AssertionError("rich's Table._render was used")

    grid = Grid.grid(padding=(0, 1))
    grid.add_column(no_wrap=True, vertical="middle")
    grid.add_column(style="dim")
    grid.add_row("dL/dW1 =", "⎡ 1  2 ⎤\n⎣ 3  4 ⎦")
    monkeypatch.setattr(Table, "_render", refused)
    plain = Console(file=io.StringIO(), width=40, color_system=None)
    plain.print(grid)
    # in the middle of two lines: rich rounds the space above down, to none
    assert plain.file.getvalue().splitlines() == ["dL/dW1 = ⎡ 1  2 ⎤", "         ⎣ 3  4 ⎦"]
