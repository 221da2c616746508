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

from tutor import cache as user_cache
from tutor.engine import codegen
from tutor.engine import scalar as engine
from tutor.model import UpdateRule
from tutor.playground import training
from tutor.problems import catalog
from tutor.problems.loader import load_problem
from tutor.variants import generate


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv(user_cache.CACHE_ENV, str(folder))
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
    monkeypatch.delenv(user_cache.CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked / "cache"))
    monkeypatch.setenv("HOME", str(blocked))
    assert str(user_cache.cache_dir()).startswith(str(blocked))
    problem = catalog.load("ex2")
    values, _, _ = engine.Compiled(engine.build_graph(problem)).evaluate(
        engine.numeric_leaves(problem)
    )
    assert values["L"] == 8
    history = training.train(problem, UpdateRule(optimizer="sgd", lr=0.1), 3)
    assert len(history.losses) == 3 and history.losses[0] == 8


def test_off_means_no_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(user_cache.CACHE_ENV, "off")
    assert user_cache.cache_dir() is None
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

    monkeypatch.setattr(user_cache, "MAX_ENTRIES", 3)
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
    assert user_cache._header(key, body) == entry.read_text(encoding="utf-8").split("\n", 1)[0]


def _solved_twice(cache: Path, tmp_path: Path, spoil, lang: str = "en"):
    """`solve ex2` once (the entry written), `spoil(entry, marker)`, then again: the second
    run's result and the marker the tampered entry would write."""
    from cli_runner import invoke

    first = invoke("solve", "ex2")
    (entry,) = cache.glob("evaluate-*.py")
    for kept in cache.glob("*.pickle"):  # the worked solution made again: the code is read
        kept.unlink()
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
    assert user_cache.notes() == [] and not list(cache.glob("train-*.py"))


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
    monkeypatch.setenv(user_cache.CACHE_ENV, str(cache))
    old = os.umask(0)
    try:
        assert invoke("solve", "ex2").returncode == 0
        assert invoke("train", "ex2", "--steps", "2").returncode == 0
    finally:
        os.umask(old)
    for folder in (cache, cache.parent, cache.parent.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    entries = list(cache.iterdir())
    kinds = {e.name.split("-")[0] for e in entries}
    assert len(entries) >= 5 and kinds == {"evaluate", "train", "problem", "solution"}
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
    assert user_cache.notes() == [user_cache.Refusal(str(entry), "kind")]


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
        m.setattr(user_cache.os, "fdopen", full)
        assert codegen.cached_source("x", ["a"], lambda: "v = 1\n") == "v = 1\n"
    assert sorted(p.name for p in cache.iterdir()) == [
        "x-new.py.456.tmp",
        "x-old.py.123.tmp",
        "x-old.py.a1b2c3.tmp",
    ]  # its own temporary removed
    assert codegen.cached_source("x", ["a"], lambda: "v = 1\n") == "v = 1\n"
    names = sorted(p.name for p in cache.iterdir())
    assert len(names) == 2 and names[1] == "x-new.py.456.tmp" and names[0].endswith(".py")


# -- issue 23 (speed): problems, worked solutions and documents kept pickled -------------------


def _pages(solution) -> list[str]:
    """Everything `export` writes of a solution: Markdown and HTML, en and zh."""
    from tutor.views import document as export
    from tutor.views import html as html_export
    from tutor.views import matrix_document as tensor_export

    writers = [
        tensor_export.either(export.markdown, tensor_export.markdown),
        tensor_export.either(html_export.solution_page, tensor_export.html),
    ]
    return [write(solution, lang) for write in writers for lang in ("en", "zh")]


def _solved(f: Path):
    from tutor.engine import matrix_solve as tensor_solve
    from tutor.solutions import explain

    p = load_problem(f)
    return (
        explain.with_errata(tensor_solve.solve(p)) if p.tensor else explain.solve(p, rule=p.update)
    )


def test_every_problem_read_back_from_the_cache_is_written_as_made(cache, monkeypatch):
    # the oracle: the same pages made with no cache at all; then a second run must read all of
    # it (parsing, solving, printing and MathML refused) and write every page byte for byte
    from tutor.problems import loader
    from tutor.views import document as export
    from tutor.views import html as html_export
    from tutor.views import matrix_document as tensor_export

    files = catalog.builtin_files()
    with monkeypatch.context() as m:
        m.setenv(user_cache.CACHE_ENV, "off")
        made = [_pages(_solved(f)) for f in files]
    first = [_pages(_solved(f)) for f in files]  # made and kept
    assert len(list(cache.glob("problem-*.pickle"))) == len(files)

    def refused(*args, **kwargs):
        raise AssertionError("made again, not read from the cache")

    monkeypatch.setattr(loader, "problem_from_doc", refused)
    monkeypatch.setattr(engine, "solve", refused)
    monkeypatch.setattr("tutor.engine.matrix_solve._solve", refused)
    monkeypatch.setattr(export, "_document", refused)
    monkeypatch.setattr(tensor_export, "_document", refused)
    monkeypatch.setattr(html_export, "block", refused)  # no formula converted to MathML
    again = [_pages(_solved(f)) for f in files]
    assert again == first == made


def test_a_tidy_form_is_kept_as_it_is(cache):
    # SymPy's own pickling builds 2·(a − y) again through Mul(2, a − y), which distributes
    import pickle

    import sympy as sp

    a, y = sp.symbols("a y")
    tidy = sp.Mul(2, a - y, evaluate=False)
    assert str(pickle.loads(pickle.dumps(tidy))) == "2*a - 2*y"  # what is avoided
    kept = user_cache.cached_object("x", ("tidy",), lambda: tidy)
    read = user_cache.cached_object("x", ("tidy",), lambda: None)
    assert kept is tidy and str(read) == "2*(a - y)" and sp.srepr(read) == sp.srepr(tidy)


def test_every_function_of_the_registry_is_kept_as_it_is(cache):
    import sympy as sp

    from tutor.registry.functions import FUNCTIONS

    a, b, c = sp.symbols("a b c", real=True)
    for entry in FUNCTIONS.values():
        args = (
            (sp.Integer(2), a, b, c) if entry.indexed else (a,) if entry.arity == 1 else (a, b, c)
        )
        if entry.arity == 2:
            args = (a, b)
        call = entry.sympy(*args)
        derivative = sp.diff(call, a)
        for expr in (call, derivative, 3 * (call - b) / c):
            user_cache.cached_object("x", (entry.name, sp.srepr(expr)), lambda e=expr: e)
            read = user_cache.cached_object("x", (entry.name, sp.srepr(expr)), lambda: None)
            assert read is not None and sp.srepr(read) == sp.srepr(expr), entry.name


def test_an_edited_problem_file_is_read_again(tmp_path, cache):
    path = tmp_path / "p.yaml"
    text = (Path(catalog.builtin_dir()) / "ex2.yaml").read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    first = _solved(path)
    assert _solved(path).loss == first.loss == 8  # ex2's loss, read back
    path.write_text(text.replace("targets: {y: 2}", "targets: {y: 3}"), encoding="utf-8")
    assert load_problem(path).targets["y"] == 3
    assert _solved(path).loss != first.loss


def test_other_values_or_other_code_make_the_solution_again(cache, monkeypatch):
    from tutor.solutions import explain
    from tutor.variants import scalar as variants

    problem = catalog.load("ex2")
    solved = []
    monkeypatch.setattr(
        engine, "solve", lambda *a, _s=engine.solve, **k: solved.append(1) or _s(*a, **k)
    )
    explain.solve(problem)
    explain.solve(catalog.load("ex2"))  # equal values in other objects: read back
    assert problem.symbolic is False  # what the problem cached is not part of its key
    explain.solve(problem)
    assert solved == [1]
    explain.solve(variants.with_values(problem, ["x1=2"]))
    assert solved == [1, 1]
    monkeypatch.setattr(user_cache, "package_version", lambda: "an edited explain.py")
    explain.solve(problem)
    assert solved == [1, 1, 1]


def test_an_error_is_raised_every_time_never_kept(cache):
    from tutor.errors import UndefinedError
    from tutor.solutions import explain
    from tutor.variants import scalar as variants

    problem = variants.with_values(catalog.load("ex17"), ["n=0"])  # ratio: division by zero
    for _ in range(2):
        with pytest.raises(UndefinedError, match="division by zero"):
            explain.solve(problem)
    assert not list(cache.glob("solution-*.pickle"))


def test_what_cannot_be_pickled_is_not_kept(cache):
    made = []
    for _ in range(2):
        assert user_cache.cached_object("x", (lambda: 0,), lambda: made.append(1) or 5) == 5
        assert user_cache.cached_object("y", ("a",), lambda: made.append(2) or (lambda: 0))() == 0
    assert made == [1, 2, 1, 2] and not list(cache.glob("*.pickle"))


def _tamper_pickle(entry: Path, marker: Path) -> None:
    """Put a pickle that creates `marker` when it is read into an entry, header recomputed."""
    import pickle

    class Payload:
        def __reduce__(self):
            return open, (str(marker), "w")

    header = entry.read_bytes().split(b"\n", 1)[0]
    body = pickle.dumps(Payload())
    key = header.split()[2].decode()
    entry.write_bytes(user_cache._header_of(key, body) + b"\n" + body)


def test_a_tampered_pickle_is_read_only_from_the_users_private_folder(tmp_path, cache):
    from cli_runner import invoke

    first = invoke("solve", "ex2")
    (entry,) = cache.glob("solution-*.pickle")
    marker = tmp_path / "ran"
    _tamper_pickle(entry, marker)
    cache.chmod(0o770)
    second = invoke("solve", "ex2")
    assert not marker.exists() and second.stdout == first.stdout
    assert "can be written by other users" in second.stderr
    # the control: in a private folder the same entry is read (what the trust rests on is the
    # folder and the entries being the user's own, as for generated code)
    cache.chmod(0o700)
    user_cache._refused.clear()
    invoke("solve", "ex2")
    assert marker.exists()


def test_a_pickle_writable_by_others_is_not_read(tmp_path, cache):
    from cli_runner import invoke

    first = invoke("solve", "ex2")
    (entry,) = cache.glob("solution-*.pickle")
    marker = tmp_path / "ran"
    _tamper_pickle(entry, marker)
    entry.chmod(0o666)
    second = invoke("solve", "ex2", "--lang", "zh")
    assert not marker.exists() and second.returncode == 0
    assert second.stderr.startswith(f"注意：本次没有使用代码缓存：{entry} 其他用户也可以写入")
    assert len(second.stderr.splitlines()) == 1
    assert invoke("solve", "ex2").stdout == first.stdout


def test_a_key_reads_an_arrays_values_not_its_layout(cache):
    # a broadcast view (strides 0) and the array read back from the cache are equal values:
    # the same key, so a solution read back finds the documents made from it
    import numpy as np

    view = np.broadcast_to(np.ones((1, 1)), (2, 1))
    calls = []
    for value in (view, np.ones((2, 1)), np.zeros((2, 1))):
        user_cache.cached_object("t", (value,), lambda v=value: calls.append(v) or len(calls))
    assert len(calls) == 2  # the copy of the view was found; zeros were made
