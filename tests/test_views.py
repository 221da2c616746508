"""Tests across the views: one number format in every command's output, statements that show
the current given values (`--set`, random variants), and the docs agreeing with the catalogue."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tutor import catalog, render, variants
from tutor.cli import app
from tutor.errors import ProblemError
from tutor.loader import load_problem

ROOT = Path(__file__).parent.parent
IDS = [f.stem for f in catalog.builtin_files()]
runner = CliRunner()
PADDED_EXPONENT = re.compile(r"\d[eE][+-]0\d")  # 4.67958e-06, 1e+06: Python's :g, not ours


def ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, (args, result.output)
    return result.stdout


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize("pid", IDS)
def test_no_command_prints_a_padded_exponent(pid):
    outputs = [ok(cmd, pid, "--lang", lang) for cmd in ("show", "solve", "export")
               for lang in ("en", "zh")]  # fmt: skip
    outputs += [ok("graph", pid), ok("graph", pid, "--dot")]
    outputs += [ok("solve", pid, "--optimizer", opt) for opt in ("momentum", "adam")]
    for out in outputs:
        assert not PADDED_EXPONENT.search(out), PADDED_EXPONENT.search(out)


def test_train_and_schedule_print_exponents_like_the_tables():
    out = ok("train", "ex2", "--steps", "50")  # the loss ends near 1e-4
    assert not PADDED_EXPONENT.search(out)
    assert re.search(r"loss 8 → \d\.\d+e-5\n", out)
    out = ok("train", "ex4", "--steps", "20", "--lr", "0.000005")
    assert "η0 = 5e-6" in out and not PADDED_EXPONENT.search(out)
    assert not PADDED_EXPONENT.search(ok("schedule", "cosine", "--lr", "0.001"))


def test_counts_print_with_thousands_separators():
    out = ok("solve", "ex15")
    assert "6,480,242,100" in out and "6480242100" not in out
    assert "6,400,040,000" in out  # (160000 + 1) × 40000, the first layer
    assert "(160000 + 1)×40000" in out  # inside a formula a comma would read as a separator


# --------------------------------------------------------------------------- statements


def test_show_and_solve_reflect_set_values_in_the_statement():
    out = ok("show", "ex17", "--set", "n=1000")
    assert "n = 1000" in out and "n = 100;" not in out
    zh = ok("show", "ex17", "--set", "n=1000", "--lang", "zh")
    assert "n = 1000；" in zh
    out = ok("solve", "ex2", "--set", "x1=5", "--set", "w3=-0.5")
    assert "x1 = 5, x2 = 2" in out and "w3 = -0.5" in out
    text = ok("export", "ex13", "--set", "g=3")
    assert "∂L/∂y = 3; here L = g·y with g = 3" in text


def test_show_refuses_bad_settings_like_solve():
    result = runner.invoke(app, ["show", "ex17", "--set", "q=1"])
    assert result.exit_code != 0 and "not a given value" in str(result.exception)


@pytest.mark.parametrize("pid", IDS)
def test_catalogue_statements_embed_given_values_only_as_placeholders(pid):
    """A number written next to a given value's name would go stale under --set."""
    problem = catalog.load(pid)
    for lang in ("en", "zh"):
        template = getattr(problem.statement, lang)
        for name in problem.leaves:
            shown = re.escape(render.pretty_name(name))
            written = re.search(rf"(?<![\w{{]){shown} = [-−]?\d", template)
            assert written is None, (pid, lang, written and written.group(0))


@pytest.mark.parametrize("pid", IDS)
def test_every_placeholder_is_filled_with_the_current_value(pid):
    problem = catalog.load(pid)
    numeric = {n: v for n, v in problem.leaves.items() if v is not None}
    if not numeric:
        return
    name = next(iter(numeric))
    changed = variants.with_values(problem, [f"{name}=424242"])
    for lang in ("en", "zh"):
        shown = render.statement_text(changed, lang)
        assert "{" not in shown, (pid, lang)
        if "{" + name + "}" in getattr(problem.statement, lang):
            assert "424,242" in shown, (pid, lang)


def test_loader_refuses_a_placeholder_that_is_not_a_given_value(tmp_path):
    text = (ROOT / "problems" / "ex3.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("With x1 = {x1}", "With x1 = {x9}"), encoding="utf-8")
    with pytest.raises(ProblemError) as caught:
        load_problem(bad)
    message = str(caught.value)
    assert "'{x9}' is not a given value" in message and "bad.yaml:" in message


# --------------------------------------------------------------------------- docs


def test_errata_doc_describes_ex2_published_values_as_ex2_yaml_has_them():
    doc = (ROOT / "docs" / "errata.md").read_text(encoding="utf-8")
    row = next(line for line in doc.splitlines() if line.startswith("| 000 ReLU network | ex2 |"))
    published = {p.quantity for p in catalog.load("ex2").published}
    local = {"dyhat/dw3", "dyhat/db2", "dz/dw1", "dz/dw2", "dz/db1"}  # the five local factors
    assert local <= published
    assert "not listed" not in row and f"{len(published)} values" in row
