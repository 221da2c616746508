"""`tutor.views.tables.FastTable` draws what rich's own Table draws (the oracle), character
for character and style for style, in colour: random tables and grids of one to four
columns, with and without borders, headers, footers, lines between rows, row styles, titles,
every padding form, fixed and bounded column widths, wrapping and folding cells, each
vertical alignment and justification, markup, multi-line cells and Chinese, at widths where
the cells fit and where rich must shrink them."""

from __future__ import annotations

import io
import random

import pytest
from rich import box
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from tutor.views.tables import FastTable

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
    "8 ✓",
]
BOXES = [None, box.SIMPLE_HEAVY, box.ROUNDED, box.ASCII, box.MINIMAL, box.HEAVY_HEAD]


def drawn(renderable, width: int) -> str:
    console = Console(
        file=io.StringIO(), width=width, force_terminal=True, color_system="truecolor"
    )
    console.print(renderable)
    return console.file.getvalue()


def built(cls, seed: int) -> Table:
    """The same random table as a rich Table or a FastTable."""
    rng = random.Random(seed)
    if rng.random() < 0.3:
        table = cls.grid(padding=rng.choice([0, 1, (0, 1), (0, 2), (0, 1, 0, 0)]))
    else:
        table = cls(
            box=rng.choice(BOXES),
            padding=rng.choice([(0, 1), 0, (0, 2), (1, 1), (0, 1, 1, 1)]),
            show_header=rng.random() < 0.7,
            show_footer=rng.random() < 0.2,
            show_lines=rng.random() < 0.3,
            show_edge=rng.random() < 0.8,
            pad_edge=rng.random() < 0.8,
            collapse_padding=rng.random() < 0.3,
            leading=rng.choice([0, 0, 1]),
            row_styles=rng.choice([None, ["", "dim"]]),
            style=rng.choice([None, "", "on blue"]),
            border_style=rng.choice([None, "red"]),
            header_style=rng.choice([None, "bold magenta"]),
            title=rng.choice([None, "A title"]),
            caption=rng.choice([None, "cap"]),
            expand=rng.random() < 0.15,
        )
    columns = rng.randint(1, 4)
    for _ in range(columns):
        table.add_column(
            rng.choice(["", "name", "δ", "a long header"]),
            footer=rng.choice(["", "f"]),
            style=rng.choice(["", "", "dim", "bold red"]),
            no_wrap=rng.random() < 0.3,
            overflow=rng.choice(["fold", "ellipsis"]),
            vertical=rng.choice(["top", "middle", "bottom"]),
            justify=rng.choice(["left", "right", "center"]),
            width=rng.choice([None] * 6 + [5]),
            min_width=rng.choice([None] * 5 + [4]),
            max_width=rng.choice([None] * 5 + [12]),
            ratio=rng.choice([None] * 6 + [1]),
        )
    for _ in range(rng.randint(0, 5)):
        cells = [rng.choice(PIECES) for _ in range(columns)]
        style = rng.choice(["", "bold"])
        table.add_row(
            *[Text(c, style=style) if rng.random() < 0.5 else c for c in cells],
            style=rng.choice([None, None, "italic"]),
            end_section=rng.random() < 0.2,
        )
    return table


@pytest.mark.parametrize("first", range(4))
def test_fast_tables_draw_what_rich_draws(first):
    for seed in range(first, 600, 4):
        for width in (12, 40, 100):
            assert drawn(built(FastTable, seed), width) == drawn(built(Table, seed), width), (
                seed,
                width,
            )


def test_the_faster_drawing_is_the_one_compared(monkeypatch):
    """A table padded left and right never renders a cell through rich's Padding (else the
    comparison above would compare rich with itself)."""

    def refused(*args, **kwargs):
        raise AssertionError("a cell went through rich's Padding")

    table = FastTable(box=box.ASCII)
    table.add_column("name")
    table.add_column("value", justify="right")
    table.add_row("L", "8")
    grid = FastTable.grid(padding=(0, 1))
    grid.add_column(no_wrap=True, vertical="middle")
    grid.add_column(style="dim")
    grid.add_row("dL/dW1 =", "⎡ 1  2 ⎤\n⎣ 3  4 ⎦")
    monkeypatch.setattr(Padding, "__rich_console__", refused)
    monkeypatch.setattr(Padding, "__rich_measure__", refused)
    plain = Console(file=io.StringIO(), width=40, color_system=None)
    plain.print(table)
    plain.print(grid)
    assert plain.file.getvalue().splitlines() == [
        "+--------------+",  # rich's ASCII box: no divider marks on its edges
        "| name | value |",
        "|------+-------|",
        "| L    |     8 |",
        "+--------------+",
        # in the middle of two lines: rich rounds the space above down, to none
        "dL/dW1 = ⎡ 1  2 ⎤",
        "         ⎣ 3  4 ⎦",
    ]
