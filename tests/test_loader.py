"""Tests for tutor.problems.loader through the CLI: every bad file gives one clear line and exit 2.

Each case writes a small problem file into tmp_path, runs `python -m tutor solve FILE` in a
fresh interpreter and checks: exit code 2, no traceback, one line on stderr naming the file
and the line. Hostile files are also timed in-process: refusing them is a safety property.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from cli_runner import invoke

from tutor.errors import InputError
from tutor.problems import catalog, loader

BASE = """\
id: p
title: {en: t, zh: t}
statement: {en: s, zh: s}
inputs: {x: 1}
targets: {y: 1}
params: {w: 2}
"""  # six lines: what each case adds starts at line 7
GRAPH = "graph:\n  z: w*x\n  L: (z - y)^2\n"


def run(*args: str):
    return invoke(*args)


def write(tmp_path: Path, text: str, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def refused(path: Path, line: int | tuple[int, ...] | None, *words: str) -> str:
    """Run `solve` on a bad file; assert the one-line error; return it."""
    result = run("solve", str(path))
    err = result.stderr
    assert result.returncode == 2, (result.returncode, err, result.stdout[-500:])
    assert "Traceback" not in err
    assert result.stdout == ""
    assert len(err.strip().splitlines()) == 1, err
    assert str(path) in err
    if line is not None:
        lines = (line,) if isinstance(line, int) else line
        assert any(f"{path}:{n}:" in err for n in lines), err
    for w in words:
        assert w in err, (w, err)
    return err


# --------------------------------------------------------------------------- plain mistakes


def test_valid_file_solves(tmp_path):
    result = run("solve", str(write(tmp_path, BASE + GRAPH, "good.yaml")))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


def test_yaml_syntax_error(tmp_path):
    path = write(tmp_path, BASE + "graph:\n  z: [w*x\n  L: (z - y)^2\n")
    refused(path, (7, 8, 9), "YAML syntax error")


def test_unknown_key_with_suggestion(tmp_path):
    path = write(tmp_path, BASE + "grpah:\n  z: w*x\n")
    refused(path, 7, "unknown key 'grpah'", "did you mean 'graph'")


def test_unknown_key_in_update_with_suggestion(tmp_path):
    path = write(tmp_path, BASE + GRAPH + "update: {optimiser: sgd}\n")
    refused(path, 10, "optimiser", "did you mean 'optimizer'")


def test_missing_equation_value(tmp_path):
    path = write(tmp_path, BASE + "graph:\n  z: w*x\n  L:\n")
    refused(path, 9, "'L'")


def test_missing_required_key(tmp_path):
    path = write(tmp_path, BASE.replace("title: {en: t, zh: t}\n", "") + GRAPH)
    refused(path, None, "missing 'title'")


def test_undefined_name_in_an_equation(tmp_path):
    path = write(tmp_path, BASE + "graph:\n  z: w*x + q\n  L: (z - y)^2\n")
    refused(path, 8, "unknown name 'q'")


def test_cycle(tmp_path):
    path = write(tmp_path, BASE + "graph:\n  z: w*x + L\n  L: (z - y)^2\n")
    err = refused(path, (8, 9), "cycle")
    assert re.search(r"z -> L -> z|L -> z -> L", err), err


def test_unknown_function(tmp_path):
    path = write(tmp_path, BASE + "graph:\n  z: w*x\n  L: frobnicate(z - y)\n")
    refused(path, 9, "unknown function 'frobnicate'")


def test_unknown_problem_id():
    result = run("solve", "ex999")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "unknown problem 'ex999'" in result.stderr and "ex2" in result.stderr


def test_missing_file(tmp_path):
    result = run("solve", str(tmp_path / "absent.yaml"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "absent.yaml" in result.stderr


# --------------------------------------------------------------------------- YAML 1.1 surprises


def test_exponent_number_is_a_number(tmp_path):
    path = write(tmp_path, BASE + GRAPH + "update: {optimizer: sgd, lr: 1e-3}\n")
    assert catalog.load(str(path)).update.lr == pytest.approx(0.001)
    result = run("solve", str(path))
    assert result.returncode == 0, result.stderr
    assert "η = 0.001" in result.stdout


@pytest.mark.parametrize(
    "text, line",
    [
        (BASE + GRAPH + "update: {lr: no}\n", 10),
        (BASE.replace("params: {w: 2}", "params: {w: no}") + GRAPH, 6),
        (BASE.replace("targets: {y: 1}", "targets: {y: off}") + GRAPH, 5),
    ],
    ids=["lr-no", "param-no", "target-off"],
)
def test_yaml_11_booleans_as_values_are_clear_errors(tmp_path, text, line):
    refused(write(tmp_path, text), line)


# --------------------------------------------------------------------------- hostile files


def hostile_cases() -> dict[str, tuple[str, int | None, str]]:
    laughs = ["a0: &a0 lol"] + [
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)
    ]
    deep_flow = BASE + "extra: " + "[" * 5000 + "]" * 5000 + "\n" + GRAPH
    deep_block = (
        BASE
        + GRAPH
        + "extra:\n"
        + "".join("  " * i + f"k{i}:\n" for i in range(1, 200))
        + "  " * 200
        + "end: 1\n"
    )
    big = BASE + GRAPH + ("# " + "x" * 1000 + "\n") * 1100
    return {
        "python-tag": (
            BASE + "graph:\n  z: !!python/object/apply:os.system ['echo pwned']\n  L: (z - y)^2\n",
            8,
            "tags are not allowed",
        ),
        "billion-laughs": (BASE + "\n".join(laughs) + "\n" + GRAPH, 7, "anchors"),
        "merge-key": (BASE + GRAPH + "update:\n  <<: {lr: 1}\n", 11, "merge key"),
        "deep-flow": (deep_flow, 7, "nested too deeply"),
        "deep-block": (deep_block, None, "nested too deeply"),
        "duplicate-key": (
            BASE + "graph:\n  z: w*x\n  z: w\n  L: (z - y)^2\n",
            9,
            "duplicate key 'z'",
        ),
        "huge-file": (big, None, "too large"),
        "import-name": (
            BASE.replace("params: {w: 2}", "params: {w: 2, \"__import__('os')\": 1}") + GRAPH,
            6,
            "not a plain identifier",
        ),
        "dash-name": (
            BASE.replace("params: {w: 2}", "params: {w: 2, a-b: 1}") + GRAPH,
            6,
            "not a plain identifier",
        ),
        "dunder-node": (
            BASE + "graph:\n  __class__: w*x\n  L: (__class__ - y)^2\n",
            8,
            "not a plain identifier",
        ),
        "keyword-name": (
            BASE.replace("params: {w: 2}", "params: {w: 2, lambda: 1}") + GRAPH,
            6,
            "not a plain identifier",
        ),
        "deep-expression": (
            BASE + "graph:\n  z: " + "(" * 3000 + "w*x" + ")" * 3000 + "\n  L: (z - y)^2\n",
            8,
            "nested too deeply",
        ),
    }


HOSTILE = hostile_cases()


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_file_is_refused_quickly(tmp_path, case):
    text, line, words = HOSTILE[case]
    path = write(tmp_path, text)
    start = time.process_time()
    with pytest.raises(InputError):
        loader.load_problem(path)
    assert time.process_time() - start < 1.0  # generous: refusals take milliseconds
    start = time.process_time()
    refused(path, line, words)
    assert time.process_time() - start < 5.0  # the command in process: a safety bound (no hang)


def test_python_tag_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    text = BASE + f"graph:\n  z: !!python/object/apply:os.system ['touch {marker}']\n"
    refused(write(tmp_path, text), 8)
    assert not marker.exists()


# --------------------------------------------------------------------------- published keys
# Issue 9: every `published:` key is parsed once into a Quantity and must name something the
# engine computes for this problem; the file:line is the key's.

W3 = BASE.replace("params: {w: 2}", "params: {w: 2, w3: 1}")
GRAPH_W3 = "graph:\n  z: w*x\n  L: (z - y)^2 + w3^2\n"  # lines 7-9; w3 is not an input of z
UPDATE = "update: {optimizer: adam, lr: 0.1}\n"


def published(*keys: str, update: str = "") -> str:
    return W3 + GRAPH_W3 + update + "published:\n" + "".join(f"  {k}: 1\n" for k in keys)


@pytest.mark.parametrize(
    "key, line, words",
    [
        ("dL/dw99", 11, ("dL/dw99", "'w99' is neither a given value nor a node")),
        ("dz/dw3", 11, ("dz/dw3", "not an edge")),
        ("w99", 11, ("'w99'",)),
        ("m[w]", 11, ("m[w]", "no update")),
        ("w'", 11, ("w'", "no update")),
        ("sgdd:w'", 11, ("unknown optimizer 'sgdd'",)),
        ("d/dw", 11, ("not a quantity",)),
    ],
)
def test_a_published_key_the_engine_does_not_compute_is_refused(tmp_path, key, line, words):
    refused(write(tmp_path, published(key)), line, *words)


def test_state_and_other_optimizers_need_their_own_names(tmp_path):
    # with an update: adam keeps m, v, m_hat, v_hat (and uncorrected); momentum a buffer
    ok = published(
        "z",
        "dL/dw",
        "dz/dw",
        "L'",
        "w'",
        "m[w]",
        "v_hat[w]",
        "momentum:buffer[w]",
        "sgd:w'",
        update=UPDATE,
    )
    assert len(loader.load_problem(write(tmp_path, ok, "ok.yaml")).published) == 9
    refused(write(tmp_path, published("buffer[w]", update=UPDATE)), 12, "adam keeps no 'buffer'")
    refused(write(tmp_path, published("x'", update=UPDATE)), 12, "'x' is not updated")
    refused(write(tmp_path, published("adam:L'", update=UPDATE)), 12, "'L' is not updated")
    refused(write(tmp_path, published("adam:dL/dw", update=UPDATE)), 12, "another optimizer")


def test_the_extra_key_is_refused_and_a_random_block_accepted(tmp_path):
    refused(write(tmp_path, BASE + GRAPH + "extra: {a: 1}\n"), 10, "unknown key 'extra'")
    block = (
        "random:\n  params: {int: [-3, 3], nonzero: true}\n  values:\n"
        "    x: {range: [0.5, 2], decimals: 1}\n    y: keep\n  require: [z > 0, L >= 0.5]\n"
    )
    problem = loader.load_problem(write(tmp_path, BASE + GRAPH + block, "r.yaml"))
    r = problem.random
    assert (r.groups["params"].kind, r.groups["params"].lo, r.groups["params"].hi) == ("int", -3, 3)
    assert r.groups["params"].nonzero and r.grids["y"].kind == "keep"
    assert (r.grids["x"].kind, r.grids["x"].decimals, float(r.grids["x"].lo)) == ("range", 1, 0.5)
    assert [c.text for c in r.require] == ["z > 0", "L >= 0.5"]
    assert r.require[1].parts[1] == ">=" and r.require[1].line == 15
    cases = "random:\n  cases:\n    - z > 0\n    - [z < 0, L > 1]\n"
    r = loader.load_problem(write(tmp_path, BASE + GRAPH + cases, "c.yaml")).random
    assert [[c.text for c in case] for case in r.cases] == [["z > 0"], ["z < 0", "L > 1"]]


@pytest.mark.parametrize(
    "block, line, words",
    [
        ("random: {a: 1}", 10, "unknown key 'a' in random"),
        ("random:\n  values: {q: keep}", 11, "'q' is not a given value"),
        ("random:\n  params: {int: [3, -3]}", 11, "low <= high"),
        ("random:\n  params: {int: [0.5, 2]}", 11, "whole numbers"),
        ("random:\n  params: {int: [1, 2], decimals: 1}", 11, "decimals go with range"),
        ("random:\n  params: {range: [0, 1], decimals: 9}", 11, "decimals"),
        ("random:\n  params: {int: [1, 2], one_of: [1]}", 11, "exactly one of"),
        ("random:\n  params: sometimes", 11, "keep or a grid"),
        ("random:\n  params: {value: x + 1}", 11, "belongs to one name"),
        ("random:\n  values: {w: {value: q + 1}}", 11, "unknown name 'q'"),
        ("random:\n  require: [z >> 0]", 11, "random.require: 'z >> 0'"),
        ("random:\n  require: [z]", 11, "compares two sides"),
        ("random:\n  require: [v > 0]", 11, "unknown name 'v'"),
        ("random:\n  tries: 100000", 11, "from 1 to 1000"),
        ("random:\n  cases: z > 0", 11, "'random.cases' must be a list"),
        ("random:\n  cases:\n    - z > 0\n    - [z < 0, q > 1]", 13, "random.cases: 'q > 1'"),
    ],
)
def test_a_bad_random_block_is_one_line_with_its_line(tmp_path, block, line, words):
    refused(write(tmp_path, BASE + GRAPH + block + "\n"), line, words)


def test_validate_warns_of_an_unused_parameter_and_exits_0(tmp_path):
    path = write(tmp_path, BASE.replace("params: {w: 2}", "params: {w: 2, w9: 5}") + GRAPH)
    result = run("validate", str(path))
    assert result.returncode == 0, result.stderr
    assert f"{path}:6: parameter 'w9' is not used by any equation" in result.stderr
    assert "warning" in result.stderr and "✓" in result.stdout
    assert " ".join(result.stdout.split()).endswith(": 2 equations")
    clean = run("validate", str(write(tmp_path, BASE + GRAPH, "clean.yaml")))
    assert clean.returncode == 0 and "warning" not in clean.stderr
    # a value only the statement shows (ex8 lists all ten outputs) is used, not a typo
    shown = BASE.replace("params: {w: 2}", "params: {w: 2, w9: 5}").replace(
        "statement: {en: s, zh: s}", "statement: {en: 's {w9}', zh: 's {w9}'}"
    )
    result = run("validate", str(write(tmp_path, shown + GRAPH, "shown.yaml")))
    assert result.returncode == 0 and "warning" not in result.stderr, result.stderr


# --------------------------------------------------------------------------- the light stage

SHEET_FILES = [
    *catalog.builtin_files(),
    *sorted((Path(__file__).parent / "fixtures").glob("*.yaml")),
]


def _printed(renderable) -> str:
    from io import StringIO

    from rich.console import Console

    console = Console(file=StringIO(), width=100, highlight=False)
    console.print(renderable)
    return console.file.getvalue()


@pytest.mark.parametrize("path", SHEET_FILES, ids=lambda p: p.stem)
def test_the_sheet_shows_what_the_full_problem_shows(path):
    """`show` reads the light stage only: its statement and given table are the full
    loader's, en and zh, and its numbers are the problem's exact values. A tensor file has no
    light stage (its values are arrays: `show` reads it whole, with NumPy): there `show`'s
    given table holds every given tensor with its shape and its entries as the YAML writes
    them (read here without the loader), en and zh."""
    from fractions import Fraction

    from tutor.solutions import explain
    from tutor.views import terminal as render

    if loader.has_tensors(loader.read_doc(path).data):
        _tensor_sheet_shows_the_file(path)
        return
    sheet, problem = loader.load_sheet(path), loader.load_problem(path)
    assert (sheet.id, sheet.title, sheet.statement, sheet.kind) == (
        problem.id,
        problem.title,
        problem.statement,
        problem.kind,
    )
    for group in loader.GROUPS:
        full = getattr(problem, group)
        assert list(getattr(sheet, group)) == list(full)
        for name, value in getattr(sheet, group).items():
            expected = full[name]
            assert value == (
                None if expected is None else Fraction(int(expected.p), int(expected.q))
            )
    for lang in ("en", "zh"):
        assert explain.statement_text(sheet, lang) == explain.statement_text(problem, lang)
        for limit in (40, None):
            assert _printed(render.statement(sheet, lang, limit)) == _printed(
                render.statement(problem, lang, limit)
            )


def _tensor_sheet_shows_the_file(path: Path) -> None:
    import re

    import numpy as np

    raw = loader.read_doc(path).data  # the file's own lists, not the tensor loader's arrays
    given = {n: v for g in loader.GROUPS for n, v in (raw.get(g) or {}).items()}
    for lang in ("en", "zh"):
        run = invoke("show", str(path), "--full", "--lang", lang, width=160)
        assert run.returncode == 0 and run.stderr == "", run.stderr
        assert raw["title"][lang].split()[0] in run.stdout
        table = run.stdout.splitlines()
        heading = next(i for i, line in enumerate(table) if line.strip() in ("Given", "已知"))
        rule = next(i for i, line in enumerate(table) if i > heading and "───" in line)
        rows = table[rule + 1 : table.index("", rule) if "" in table[rule:] else None]
        shown: dict[str, tuple[str, list[float]]] = {}
        name = None
        for line in rows:
            row = re.match(r"^  (\w+)\s+\S+\s+(\d+(?:×\d+)*|\S+)\s+(.*)$", line)
            if row:
                name, line = row[1], row[3]
                shown[name] = (row[2], [])
            start = re.search(r"[⎡⎢⎣\[]", line)  # after a channel's label, if any
            if name and (start or row):
                values = line[start.start() :] if start else line
                found = re.findall(r"−?\d+(?:\.\d+)?(?:e[−+]?\d+)?", values)
                shown[name][1].extend(float(v.replace("−", "-")) for v in found)
        assert list(shown) == list(given), (lang, list(shown))
        for n, value in given.items():
            if isinstance(value, str) and (tie := re.fullmatch(r"(?:(\d+) \* )?(\w+)", value)):
                value = np.asarray(given[tie[2]], dtype=float) * int(tie[1] or 1)  # ex25's ties
            want = np.asarray(value, dtype=float)
            shape, numbers = shown[n]
            size = np.prod([int(k) for k in shape.split("×")]) if shape[0].isdigit() else 1
            assert size == want.size, (lang, n, shape)
            assert numbers == pytest.approx(want.ravel().tolist(), rel=1e-3), (lang, n)


def shown_badly(path: Path, line: int, *words: str) -> None:
    result = run("show", str(path))
    assert result.returncode == 2 and result.stdout == "", result.stdout
    err = result.stderr
    assert len(err.strip().splitlines()) == 1 and f"{path}:{line}:" in err, err
    for w in words:
        assert w in err, (w, err)


def test_show_reports_given_values_and_statement_as_file_line(tmp_path):
    shown_badly(
        write(tmp_path, BASE.replace("params: {w: 2}", "params: {w: 1/0}") + GRAPH),
        6,
        "'params.w'",
        "division by zero",
    )
    shown_badly(
        write(tmp_path, BASE.replace("params: {w: 2}", "params: {w: two}") + GRAPH), 6, "'params.w'"
    )
    shown_badly(write(tmp_path, BASE.replace("en: s,", "en: '{v}',") + GRAPH), 3, "'{v}'")
    shown_badly(write(tmp_path, BASE + GRAPH + "colour: red\n"), 10, "unknown key 'colour'")


def test_show_with_set_reads_exact_numbers():
    from fractions import Fraction

    sheet = catalog.sheet("ex2", ["x1=1/3", "w1 = -2^-2"])
    assert sheet.inputs["x1"] == Fraction(1, 3) and sheet.params["w1"] == Fraction(-1, 4)
    with pytest.raises(InputError, match="'q' is not a given value of ex2"):
        catalog.sheet("ex2", ["q=1"])
    with pytest.raises(InputError, match="--set x1: 'sqrt[(]2[)]' is not a number"):
        catalog.sheet("ex2", ["x1=sqrt(2)"])


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    "text, line",
    [
        (BASE.replace("params: {w: 2}", "params: {" + "w" * 100_000 + ": 2}") + GRAPH, 6),
        (BASE.replace("params: {w: 2}", "params:\n  " + "w" * 100_000 + ": 2") + GRAPH, 7),
        (BASE.replace("id: p", "id: " + "p" * 100_000) + GRAPH, 1),
        (BASE + "graph:\n  " + "z" * 41 + ": w*x\n  L: (z - y)^2\n", 8),
    ],
)
def test_a_long_name_is_too_long_not_a_yaml_syntax_error(tmp_path, text, line):
    """Issue 23: a 100,000-character name was "a YAML syntax error" (libyaml reads a key of
    1024 characters at most) and, as a value, was echoed whole in the error line."""
    r = run("solve", str(write(tmp_path, text)))
    assert r.returncode == 2
    n = len(max(re.findall(r"[pwz]{41,}", text), key=len))
    assert r.stderr.strip() == (
        f"error: {tmp_path / 'bad.yaml'}:{line}: name too long ({n:,} characters, at most 40)"
    )


def test_a_name_is_refused_without_the_control_characters_it_was_written_with(tmp_path):
    text = BASE.replace("params: {w: 2}", 'params: {"w\\e[2J\\x9b1m": 2}') + GRAPH
    r = run("solve", str(write(tmp_path, text)))
    assert r.returncode == 2
    assert "name 'w[2J1m' is not a plain identifier" in r.stderr
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", r.stderr)
