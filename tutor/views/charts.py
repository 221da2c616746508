"""Views of a training run and of a learning-rate schedule: tables, terminal curves, PNGs.

Like render.py these only describe output: the CLI prints them. The terminal curve is drawn
by plotext as plain text (no escape codes) and coloured by rich, so it degrades to plain text
when the output is not a terminal. matplotlib is optional (a test extra): imported only when
a PNG is asked for.
"""

from __future__ import annotations

from rich import box
from rich.table import Table
from rich.text import Text

from tutor.errors import InputError, cannot_write
from tutor.text.notation import fmt
from tutor.views.tables import FastTable

MAX_POINTS = 400  # a terminal curve has a few hundred cells across: thin long runs


def rows_every(n: int, every: int | None, target: int = 10) -> list[int]:
    """Step indices 0, k, 2k, ... and the last one (k = every, or about n/target); none for
    no steps (a run stopped before its first)."""
    k = every or max(1, n // target)
    if k < 1:
        raise InputError("--every must be at least 1")
    picked = list(range(0, n, k))
    if picked and picked[-1] != n - 1:
        picked.append(n - 1)
    return picked


def loss_table(
    history,
    every: int | None = None,
    title: str | None = None,
    l2: bool = False,
    lang: str = "en",
) -> Table:
    """The loss before step t (t counted from 1) every k steps, and after the last step (a run
    stopped early has no "end" row: its last row is the last finite loss). With `l2` the
    column header says the loss is the problem's own, without the L2 penalty."""
    from tutor.text.messages import say

    title = say(lang, "train_table") if title is None else title
    table = FastTable(title=title, box=box.SIMPLE_HEAVY, title_justify="left")
    table.add_column(say(lang, "train_step"), justify="right")
    table.add_column("η", justify="right")
    table.add_column(say(lang, "train_loss_no_l2" if l2 else "train_loss_column"), justify="right")
    for i in rows_every(len(history.losses), every):
        table.add_row(str(i + 1), fmt(history.rates[i]), fmt(history.losses[i]))
    if history.final_loss is not None:
        table.add_row(say(lang, "train_end"), "", f"[bold]{fmt(history.final_loss)}[/]")
    return table


def schedule_table(rates: list[float], every: int | None = None, title: str = "") -> Table:
    table = FastTable(title=title or None, box=box.SIMPLE_HEAVY, title_justify="left")
    table.add_column("t", justify="right")
    table.add_column("η_t", justify="right")
    picked = set(rows_every(len(rates), every))
    changes = [t for t in range(1, len(rates)) if rates[t] != rates[t - 1]]
    if len(changes) <= 10:  # a piecewise schedule: show the step where each change happens
        picked.update(changes)
    for t in sorted(picked):
        table.add_row(str(t), fmt(rates[t]))
    return table


def _thin(xs: list, ys: list) -> tuple[list, list]:
    if len(xs) <= MAX_POINTS:
        return xs, ys
    k = -(-len(xs) // MAX_POINTS)
    keep = list(range(0, len(xs), k))
    if keep[-1] != len(xs) - 1:
        keep.append(len(xs) - 1)
    return [xs[i] for i in keep], [ys[i] for i in keep]


def curve(xs: list, ys: list, title: str, xlabel: str, width: int = 70, height: int = 16) -> Text:
    """A line plot drawn in text cells (plotext), as a rich Text."""
    import plotext

    xs, ys = _thin(list(xs), list(ys))
    figure = plotext.figure
    figure.clear()
    figure.theme("colorless")
    signal = figure.signal(xs, ys)
    signal.lines()
    figure.draw(signal)
    if all(float(x).is_integer() for x in (xs[0], xs[-1])) and xs[-1] > xs[0]:
        # whole-number ticks for step counts (plotext would print 1.7e2)
        ticks = sorted({round(xs[0] + (xs[-1] - xs[0]) * k / 4) for k in range(5)})
        figure.ruler("x").ticks(ticks, [str(t) for t in ticks])
    figure.plot_size(max(width, 30), max(height, 8))
    figure.title(title)
    figure.label(xlabel)
    drawing = figure.build().string(colorless=True)
    figure.clear()
    return Text(drawing.rstrip("\n"), style="cyan", no_wrap=True, overflow="crop")


def loss_curve(history, width: int = 70, lang: str = "en") -> Text:
    from tutor.text.messages import say

    steps = list(range(1, len(history.losses) + 1))
    loss, step = say(lang, "train_loss_column"), say(lang, "train_step")
    return curve(steps, history.losses, loss, step, width=width)


def save_png(path, xs, ys, title: str, xlabel: str, ylabel: str, log: bool = False) -> None:
    """The same curve as an image (matplotlib, imported only here)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise InputError(
            "--plot needs matplotlib, which is not installed (pip install matplotlib)"
        ) from None
    fig, ax = plt.subplots(figsize=(7, 4))
    try:
        ax.plot(xs, ys)
        ax.set_title(title)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        if log and all(y > 0 for y in ys):
            ax.set_yscale("log")
        ax.grid(True, alpha=0.3)
        fig.tight_layout()
        fig.savefig(path, dpi=100)
    except (OSError, ValueError) as e:
        raise cannot_write(path, e) from None
    finally:
        plt.close(fig)
