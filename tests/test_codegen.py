"""Tests for tutor.engine.codegen beyond training (tests/test_training.py): how generated code
is printed and cached.

Oracles: the values of the hand-checked ex2 and a NumPy forward pass of a generated network
(an independent implementation); SymPy's printer counted, not trusted."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import time
from pathlib import Path

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


# -- issue 23: the cache uses only the user's own private files --------------------------------

ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _tamper(entry: Path, marker: Path) -> None:
    """Append code that writes `marker` to an entry and recompute its header (the hash is
    unkeyed: anyone who can write the file can do this)."""
    header, _, body = entry.read_text(encoding="utf-8").partition("\n")
    key = header.split()[2]
    body += f"\nopen({str(marker)!r}, 'w').write('ran')\n"
    entry.write_text(
        f"# bptutor {key} {hashlib.sha256(body.encode()).hexdigest()}\n{body}", encoding="utf-8"
    )
    assert codegen._header(key, body) == entry.read_text(encoding="utf-8").split("\n", 1)[0]


def _solved_twice(cache: Path, tmp_path: Path, spoil, lang: str = "en"):
    """`solve ex2` once (the entry written), `spoil(entry, marker)`, then again: the second
    run's result and the marker the tampered entry would write."""
    from cli_runner import invoke

    first = invoke("solve", "ex2")
    (entry,) = cache.glob("evaluate-*.py")
    marker = tmp_path / "ran"
    spoil(entry, marker)
    second = invoke("solve", "ex2", "--lang", lang)
    if lang == "en":
        assert second.stdout == first.stdout
    return second, marker


def test_an_edited_entry_in_a_group_writable_folder_does_not_run(tmp_path, cache):
    # the run: an edited entry with its header recomputed ran in `solve ex2`
    def spoil(entry, marker):
        _tamper(entry, marker)
        cache.chmod(0o770)

    result, marker = _solved_twice(cache, tmp_path, spoil)
    assert not marker.exists()
    assert result.returncode == 0 and "L = 8" in result.stdout.replace("  ", " ")
    assert result.stderr == (
        f"note: the code cache was not used: {cache} can be written by other users (only "
        "your own private files are trusted; remove it and it is made again)\n"
    )


def test_an_entry_writable_by_others_does_not_run_and_is_said_once(tmp_path, cache):
    def spoil(entry, marker):
        _tamper(entry, marker)
        entry.chmod(0o666)

    result, marker = _solved_twice(cache, tmp_path, spoil, lang="zh")
    assert not marker.exists() and result.returncode == 0
    (line,) = result.stderr.splitlines()
    assert line.startswith(
        f"注意：本次没有使用代码缓存：{next(cache.glob('*.py'))} 其他用户也可以写入"
    )
    # the rest of the run makes its code without the cache, and says nothing more
    problem = catalog.load("ex4")
    training.train(problem, UpdateRule(optimizer="sgd", lr=0.5), 3, vector=False)
    assert codegen.notes() == [] and not list(cache.glob("train-*.py"))


@pytest.mark.skipif(not ROOT, reason="only root can give a file to another user")
@pytest.mark.parametrize("whose", ["entry", "folder"])
def test_an_entry_or_folder_of_another_user_is_not_used(tmp_path, cache, whose):
    # root passes every access check: the owner is compared, not what access() says
    def spoil(entry, marker):
        _tamper(entry, marker)
        os.chown(entry if whose == "entry" else cache, 65534, 65534)

    result, marker = _solved_twice(cache, tmp_path, spoil)
    assert not marker.exists() and result.returncode == 0
    assert "belongs to another user" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_a_folder_and_entries_are_private_whatever_the_umask(tmp_path, monkeypatch):
    # the run: under umask 000 the folder was 0777 and the entries 0666
    from cli_runner import invoke

    cache = tmp_path / "home" / "cache" / "code"  # its parents are made too
    monkeypatch.setenv(codegen.CACHE_ENV, str(cache))
    old = os.umask(0)
    try:
        assert invoke("solve", "ex2").returncode == 0
        assert invoke("train", "ex2", "--steps", "2").returncode == 0
    finally:
        os.umask(old)
    for folder in (cache, cache.parent, cache.parent.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    entries = list(cache.iterdir())
    assert len(entries) >= 3 and {e.name.split("-")[0] for e in entries} == {"evaluate", "train"}
    assert {stat.S_IMODE(e.stat().st_mode) for e in entries} == {0o600}


def test_a_planted_link_is_never_written_through(tmp_path, cache):
    # the run: a link at `<entry>.py.<pid>.tmp` made `solve ex2` overwrite its target
    victim = tmp_path / "victim"
    victim.write_text("keep me", encoding="utf-8")
    codegen.cached_source("x", ["a"], lambda: "v = 1\n")
    (entry,) = cache.glob("x-*.py")
    entry.unlink()
    for name in (f"{entry.name}.{os.getpid()}.tmp", f"{entry.name}.tmp", f"{entry.name}.1.tmp"):
        (cache / name).symlink_to(victim)
    assert codegen.cached_source("x", ["a"], lambda: "v = 2\n") == "v = 2\n"
    assert victim.read_text(encoding="utf-8") == "keep me"
    assert stat.S_ISREG(entry.lstat().st_mode) and entry.read_text().endswith("v = 2\n")
    # a link at the entry's own name: not read, not written through, said once
    entry.unlink()
    entry.symlink_to(victim)
    assert codegen.cached_source("x", ["a"], lambda: "v = 3\n") == "v = 3\n"
    assert codegen.cached_source("x", ["b"], lambda: "v = 4\n") == "v = 4\n"
    assert victim.read_text(encoding="utf-8") == "keep me" and entry.is_symlink()
    assert codegen.notes() == [codegen.Refusal(str(entry), "kind")]


def test_stale_temporaries_are_pruned_and_a_failed_write_leaves_none(tmp_path, cache, monkeypatch):
    # the run: a full disk left 0-byte `.tmp` files the pruning never removed
    cache.mkdir(mode=0o700)
    hour_ago = time.time() - 3600
    for name in ("x-old.py.123.tmp", "x-old.py.a1b2c3.tmp"):
        (cache / name).write_bytes(b"")
        os.utime(cache / name, (hour_ago, hour_ago))
    (cache / "x-new.py.456.tmp").write_bytes(b"")  # a run beside this one, writing now

    def full(fd, *args, **kwargs):
        os.close(fd)
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(codegen.os, "fdopen", full)
        assert codegen.cached_source("x", ["a"], lambda: "v = 1\n") == "v = 1\n"
    assert sorted(p.name for p in cache.iterdir()) == [
        "x-new.py.456.tmp",
        "x-old.py.123.tmp",
        "x-old.py.a1b2c3.tmp",
    ]  # its own temporary removed
    assert codegen.cached_source("x", ["a"], lambda: "v = 1\n") == "v = 1\n"
    names = sorted(p.name for p in cache.iterdir())
    assert len(names) == 2 and names[1] == "x-new.py.456.tmp" and names[0].endswith(".py")
