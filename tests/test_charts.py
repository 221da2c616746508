"""Tests for tutor.views.charts: loss and schedule tables, the terminal curve, the PNG."""

from __future__ import annotations

import builtins
import io

import pytest
from rich.console import Console

from tutor.errors import InputError
from tutor.playground.training import History
from tutor.views import charts


def render(renderable, width=100) -> str:
    console = Console(file=io.StringIO(), width=width)
    console.print(renderable)
    return console.file.getvalue()


def history(n=25) -> History:
    return History([1 / (t + 1) for t in range(n)], [0.1] * n, {"w": 1.0}, 0.01)


def test_rows_every_k_and_the_last():
    assert charts.rows_every(25, 10) == [0, 10, 20, 24]
    assert charts.rows_every(5, None) == [0, 1, 2, 3, 4]
    assert charts.rows_every(1000, None)[:3] == [0, 100, 200]


def test_loss_table_counts_steps_from_one_and_ends_with_the_final_loss():
    text = render(charts.loss_table(history(), every=10))
    lines = [line.split() for line in text.splitlines() if line.strip()]
    assert ["1", "0.1", "1"] in lines
    assert ["11", "0.1", "0.0909091"] in lines
    assert ["25", "0.1", "0.04"] in lines
    assert ["end", "0.01"] in lines


def test_curve_is_plain_text_with_axes():
    text = render(charts.loss_curve(history(), width=60))
    assert "\x1b[" not in text
    assert "loss" in text and "step" in text and "┤" in text
    assert max(len(line) for line in text.splitlines()) <= 100


def test_long_runs_are_thinned_for_the_terminal():
    xs, ys = charts._thin(list(range(10_000)), list(range(10_000)))
    assert len(xs) <= charts.MAX_POINTS + 1 and xs[-1] == 9_999


def test_png_needs_matplotlib(monkeypatch, tmp_path):
    real = builtins.__import__

    def no_matplotlib(name, *args, **kw):
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real(name, *args, **kw)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(InputError, match="needs matplotlib"):
        charts.save_png(tmp_path / "x.png", [1, 2], [1, 2], "t", "x", "y")


def test_png_is_written(tmp_path):
    pytest.importorskip("matplotlib")
    target = tmp_path / "curve.png"
    charts.save_png(target, [1, 2, 3], [3.0, 2.0, 1.0], "loss", "step", "loss", log=True)
    assert target.read_bytes()[:4] == b"\x89PNG"


def test_schedule_table_lists_the_step_where_a_piecewise_rate_changes():
    rates = [0.1] * 500 + [0.01] * 250 + [0.001] * 250  # milestones 500 and 750
    steps = [
        int(line.split()[0])
        for line in render(charts.schedule_table(rates)).splitlines()
        if line.strip()[:1].isdigit()
    ]
    assert 500 in steps and 750 in steps and steps == sorted(steps)
    smooth = [0.1 * 0.99**t for t in range(1000)]  # changes every step: only the sampled rows
    assert len(render(charts.schedule_table(smooth)).splitlines()) < 20
