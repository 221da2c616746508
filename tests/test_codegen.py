"""Tests for tutor.engine.codegen beyond training (tests/test_training.py): how generated code
is printed and cached.

Oracles: the values of the hand-checked ex2 and a NumPy forward pass of a generated network
(an independent implementation); SymPy's printer counted, not trusted."""

from __future__ import annotations

import numpy as np
import pytest
from sympy.printing.codeprinter import CodePrinter

from tutor import catalog, engine, generate, training
from tutor.engine import codegen
from tutor.loader import load_problem
from tutor.model import UpdateRule


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv(codegen.CACHE_ENV, str(folder))
    return folder


def network(tmp_path, sizes=(4, 30, 30, 3)):
    path = tmp_path / "net.yaml"
    path.write_text(generate.mlp(list(sizes), "tanh", "mse", seed=3), encoding="utf-8")
    return load_problem(path)


def numpy_forward(problem, sizes):
    """z = W a + b, tanh on hidden layers, linear output, mse: written here from the names."""
    a = np.array([float(problem.inputs[f"x{j + 1}"]) for j in range(sizes[0])])
    for l in range(1, len(sizes)):
        w = np.array(
            [
                [float(problem.params[f"W{l}_{i}_{j}"]) for j in range(1, sizes[l - 1] + 1)]
                for i in range(1, sizes[l] + 1)
            ]
        )
        b = np.array([float(problem.params[f"b{l}_{i}"]) for i in range(1, sizes[l] + 1)])
        z = w @ a + b
        a = np.tanh(z) if l < len(sizes) - 1 else z
    y = np.array([float(v) for v in problem.targets.values()])
    return float(np.mean((a - y) ** 2))


def test_a_network_is_printed_without_printing_each_weight(tmp_path, cache, monkeypatch):
    # 4-30-30-3: 1,143 weights and biases. SymPy's printer may print each unit's activation
    # and derivative, never each product w·a (that was most of a large network's start-up).
    problem = network(tmp_path)
    calls = []
    original = CodePrinter._print_Mul
    monkeypatch.setattr(
        CodePrinter, "_print_Mul", lambda self, e, **k: calls.append(e) or original(self, e, **k)
    )
    graph = engine.build_graph(problem)
    values, _, _ = graph.compiled.evaluate(engine.numeric_leaves(problem))
    _ = codegen.Program(graph, tuple(problem.params), "sgd").source
    assert len(calls) < 200
    assert values[problem.loss] == pytest.approx(numpy_forward(problem, (4, 30, 30, 3)), rel=1e-12)


def test_a_second_run_reads_the_code_from_the_cache(tmp_path, cache, monkeypatch):
    problem = catalog.load("ex2")
    first, _, _ = engine.Compiled(engine.build_graph(problem)).evaluate(
        engine.numeric_leaves(problem)
    )
    assert len(list(cache.glob("evaluate-*.py"))) == 1

    def no_printing(names):
        raise AssertionError("printed again")

    monkeypatch.setattr(codegen, "lambda_printer", no_printing)
    again, _, _ = engine.Compiled(engine.build_graph(problem)).evaluate(
        engine.numeric_leaves(problem)
    )
    assert again == first and first["L"] == 8  # ex2's loss, worked in its file


def test_training_code_is_cached_per_rule(tmp_path, cache):
    problem = catalog.load("ex4")
    # vector=False: the generated scalar loop (a layered network trains vectorised otherwise)
    histories = [
        training.train(problem, UpdateRule(optimizer=o, lr=0.5), 20, vector=False).losses
        for o in ("sgd", "sgd", "adam")
    ]
    assert histories[0] == histories[1] != histories[2]
    # run and loss for sgd, the same two for adam: four sources, each written once
    assert len(list(cache.glob("train-*.py"))) == 4


@pytest.mark.parametrize("damage", ["edited", "cut", "not text"])
def test_a_damaged_entry_is_ignored_and_written_again(tmp_path, cache, damage):
    problem = catalog.load("ex2")
    expected, _, _ = engine.Compiled(engine.build_graph(problem)).evaluate(
        engine.numeric_leaves(problem)
    )
    (entry,) = cache.glob("evaluate-*.py")
    good = entry.read_bytes()
    if damage == "edited":  # the header kept, the body changed: it must not run
        header = good.split(b"\n", 1)[0]
        entry.write_bytes(header + b"\nraise SystemExit('ran a damaged cache entry')\n")
    elif damage == "cut":
        entry.write_bytes(good[: len(good) // 2])
    else:
        entry.write_bytes(b"\xff\xfe" + good)
    values, _, _ = engine.Compiled(engine.build_graph(problem)).evaluate(
        engine.numeric_leaves(problem)
    )
    assert values == expected
    assert entry.read_bytes() == good


def test_a_cache_that_cannot_be_written_is_no_cache(tmp_path, monkeypatch):
    # a read-only home: the cache folder cannot be made (a file stands where a folder would)
    blocked = tmp_path / "home"
    blocked.write_text("not a folder", encoding="utf-8")
    monkeypatch.delenv(codegen.CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked / "cache"))
    monkeypatch.setenv("HOME", str(blocked))
    assert str(codegen.cache_dir()).startswith(str(blocked))
    problem = catalog.load("ex2")
    values, _, _ = engine.Compiled(engine.build_graph(problem)).evaluate(
        engine.numeric_leaves(problem)
    )
    assert values["L"] == 8
    history = training.train(problem, UpdateRule(optimizer="sgd", lr=0.1), 3)
    assert len(history.losses) == 3 and history.losses[0] == 8


def test_off_means_no_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(codegen.CACHE_ENV, "off")
    assert codegen.cache_dir() is None
    made = []
    source = codegen.cached_source("x", ["a"], lambda: made.append(1) or "pass\n")
    source = codegen.cached_source("x", ["a"], lambda: made.append(1) or "pass\n")
    assert source == "pass\n" and made == [1, 1]


def test_a_changed_generator_does_not_read_what_an_older_one_cached(cache, monkeypatch):
    made = []
    codegen.cached_source("x", ["a"], lambda: made.append(1) or "old = 1\n")
    assert codegen.cached_source("x", ["a"], lambda: made.append(2) or "new = 1\n") == "old = 1\n"
    monkeypatch.setattr(codegen, "generator_version", lambda: "an edited codegen.py")
    assert codegen.cached_source("x", ["a"], lambda: made.append(3) or "new = 1\n") == "new = 1\n"
    assert made == [1, 3]


def test_the_cache_keeps_only_the_newest_entries(cache, monkeypatch):
    import os

    monkeypatch.setattr(codegen, "MAX_ENTRIES", 3)
    for i in range(5):
        codegen.cached_source("x", [str(i)], lambda i=i: f"v = {i}\n")
        for entry in cache.glob("*.py"):  # older files, older times (a coarse clock)
            os.utime(entry, (entry.stat().st_mtime - 10, entry.stat().st_mtime - 10))
    kept = sorted(entry.read_text().split("\n", 1)[1] for entry in cache.glob("*.py"))
    assert kept == ["v = 2\n", "v = 3\n", "v = 4\n"]
