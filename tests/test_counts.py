"""Parameter counts, asked where a problem's `ask:` lists `parameters` (ex20's part (4)):
tutor/solutions/counts.py (the facts), tutor/quiz/counting.py (the questions), the views.

Oracles: counts by hand (ex20: K1 2×1×2×2 = 8 and b1 2 make 10, K2 1×2×2×2 = 8 and b2 1 make
9, 19 in all; ex4's layers as matrices W1 2×3 + b1 2 = 8 and W2 1×2 + b2 1 = 3, per unit
4, 4, 3; 11 in all), and NumPy's `.size` of the file's arrays read with PyYAML, apart from
the project's loader. The quiz is driven through the CLI (`cli_runner.invoke`), en and zh.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from cli_runner import invoke

from tutor.problems import catalog
from tutor.solutions.counts import parameter_counts

ASKED = "ask: [forward, loss, gradients, parameters, update]\n"


def with_ask(tmp_path: Path, ref: str, ask: str = ASKED, name: str = "") -> Path:
    """A copy of a catalogue problem whose `ask:` is `ask` (put before `update:`, or in place
    of the file's own `ask:` line)."""
    text = catalog.resolve(ref).read_text(encoding="utf-8")
    if re.search(r"^ask:.*\n", text, flags=re.M):
        text = re.sub(r"^ask:.*\n", ask, text, count=1, flags=re.M)
    else:
        text = text.replace("\nupdate:", "\n" + ask + "update:", 1)
    path = tmp_path / f"{name or ref}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def layers(counts) -> list[tuple[str, int]]:
    return [(layer.node, layer.count) for layer in counts.layers]


# --------------------------------------------------------------------------- the counts


def test_ex20_by_hand_and_by_numpy_sizes_of_the_files_arrays():
    counts = parameter_counts(catalog.load("ex20"))
    assert layers(counts) == [("z1", 2 * 1 * 2 * 2 + 2), ("z2", 1 * 2 * 2 * 2 + 1)]
    assert [layer.count for layer in counts.layers] == [10, 9] and counts.total == 19
    # the oracle: the file read with PyYAML, each equation's parameters found by name in its
    # text, each parameter's size NumPy's
    data = yaml.safe_load(catalog.resolve("ex20").read_text(encoding="utf-8"))
    sizes = {name: np.array(value).size for name, value in data["params"].items()}
    by_yaml = []
    for node, equation in data["graph"].items():
        read = [n for n in sizes if re.search(rf"\b{n}\b", str(equation))]
        if read:
            by_yaml.append((node, sum(sizes[n] for n in read)))
    assert layers(counts) == by_yaml == [("z1", 10), ("z2", 9)]
    assert counts.total == sum(sizes.values()) == 19


def test_a_network_file_by_hand_in_both_views(tmp_path):
    """ex4 (3-2-1): as matrices z1 = W1 x + b1 reads 2·3 + 2 = 8, z2 = W2 a1 + b2 2 + 1 = 3;
    per unit (the quiz's view) each hidden unit 3 weights and a bias, the output 2 and 1."""
    from tutor.problems import network
    from tutor.problems.loader import load_problem

    path = with_ask(tmp_path, "ex4")
    matrices = parameter_counts(network.load(path))
    assert layers(matrices) == [("z1", 2 * 3 + 2), ("z2", 1 * 2 + 1)] and matrices.total == 11
    units = parameter_counts(load_problem(path))
    assert layers(units) == [("z1_1", 4), ("z1_2", 4), ("z2_1", 3)] and units.total == 11


def test_scalar_symbolic_and_shared_weights(tmp_path):
    """ex2: z = w1·x1 + w2·x2 + b1 reads 3, ŷ = w3·h + b2 reads 2. ex1 (symbolic, no values):
    z = w1·x1 + w2·x2 + b reads 3. ex23 (RNN): each step reads W 2×2, U 2×1, b 2×1 (8), the
    output V 1×2 and c 1 (3); the network has 4 + 2 + 2 + 2 + 1 = 11, W, U, b once."""
    from tutor.problems.loader import load_problem

    two = parameter_counts(load_problem(with_ask(tmp_path, "ex2")))
    assert layers(two) == [("z", 3), ("yhat", 2)] and two.total == 5
    one = load_problem(with_ask(tmp_path, "ex1", "ask: [forward, gradients, parameters]\n"))
    assert one.symbolic and layers(parameter_counts(one)) == [("z", 3)]
    rnn = parameter_counts(catalog.load("ex23"))
    assert layers(rnn) == [("z1", 8), ("z2", 8), ("z3", 8), ("y", 3)]
    assert rnn.total == 11 and set(rnn.shared) == {"W", "U", "b"}


def test_only_a_problem_that_asks_is_asked():
    from tutor.quiz import counting

    assert counting.asked(catalog.load("ex18")) == []  # no `parameters` in its asks
    assert counting.asked(catalog.load("ex20")) == [
        ("#params(z1)", "z1", 10),
        ("#params(z2)", "z2", 9),
        ("#params", "", 19),
    ]


# --------------------------------------------------------------------------- grading


@pytest.mark.parametrize(
    "typed, verdict",
    [
        ("10", "right"),
        ("2*(2*2*1 + 1)", "right"),
        ("8 + 2", "right"),
        ("1e1", "right"),
        ("10.4", "wrong"),  # within 1 % would pass a number; a count is exact
        ("9.9", "wrong"),
        ("11", "wrong"),
        ("ten", "invalid"),
        ("", "invalid"),
    ],
)
def test_a_count_is_graded_as_a_whole_number(typed, verdict):
    from tutor.quiz import counting

    assert counting.grade(catalog.load("ex20"), "z1", typed).verdict == verdict


def test_miscounts_are_named():
    from tutor.quiz import counting

    ex20, rnn = catalog.load("ex20"), catalog.load("ex23")
    no_bias = counting.grade(ex20, "z1", "8")  # K1 alone
    assert no_bias.mistake == "count-left-out" and "b1 (2)" in no_bias.diagnosis.en
    assert "b1（2 个）" in no_bias.diagnosis.zh
    assert counting.grade(ex20, "z1", "2").mistake == "count-left-out"  # b1 alone
    twice = counting.grade(rnn, "", str(3 * 8 + 3))  # W, U, b once per step
    assert twice.mistake == "count-shared" and twice.exact == "11"
    assert counting.grade(ex20, "z1", "9.5").diagnosis.en == "a count is a whole number"


# --------------------------------------------------------------------------- the quiz, by the CLI


def quiz(tmp_path: Path, ref: str, lines: list[str], *args: str):
    answers = tmp_path / "answers.txt"
    answers.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return invoke(
        "quiz", ref, "--answers", str(answers), "--db", str(tmp_path / "p.db"), *args, width=80
    )


BEFORE = 10  # ex20's forward values, loss, deltas and gradients, asked before the counts


@pytest.mark.parametrize(
    "lang, words",
    [
        (
            "en",
            [
                "[11/17] parameters  How many parameters does the layer",
                "z1 = conv2d_bias(x, K1, b1) have?",
                "hint 1/2: a weight per entry of each kernel and a bias per filter",
                "hint 2/2: K1: 2×1×2×2; b1: 2×1",
                "looks like b2 (1) is left out of the count; try again",
                "How many parameters does the network have in all?",
                "a count is a whole number; try again",
                "#params = #K1 + #b1 + #K2 + #b2 = 2×1×2×2 + 2×1 + 1×2×2×2 + 1×1 = 8 + 2 + 8",
            ],
        ),
        (
            "zh",
            [
                "[11/17] 参数量  层 z1 = conv2d_bias(x, K1, b1) 有多少个参数？",
                "提示 1/2：每个卷积核的每个元素是一个权重，每个卷积核再加一个偏置",
                "提示 2/2：K1: 2×1×2×2；b1: 2×1",
                "看起来漏数了 b2（1 个）；再试一次",
                "整个网络共有多少个参数？",
                "参数个数是整数；再试一次",
            ],
        ),
    ],
)
def test_the_quiz_asks_each_layer_then_the_total(tmp_path, lang, words):
    """Right at once (after two hints, a formula), right at the second try after a named
    miscount, wrong twice (a fraction, then a number off): the verdicts, credits, skills and
    expected counts of the report."""
    report = tmp_path / "r.json"
    lines = ["skip"] * BEFORE + ["?", "?", "2*(2*2*1 + 1)", "8", "9", "9.5", "20", "quit"]
    done = quiz(tmp_path, "ex20", lines, "--lang", lang, "--report", str(report))
    assert done.returncode == 1, done.stderr
    out = done.stdout
    for w in words:
        assert w in out, w
    rows = {q["quantity"]: q for q in json.loads(report.read_text(encoding="utf-8"))["questions"]}
    z1, z2, total = rows["#params(z1)"], rows["#params(z2)"], rows["#params"]
    assert (z1["verdict"], z1["credit"], z1["expected"]) == ("right", 0.5, 10)  # two hints
    assert (z2["verdict"], z2["credit"], z2["expected"]) == ("right", 0.5, 9)  # second try
    assert z2["mistakes"][0]["key"] == "count-left-out"
    assert (total["verdict"], total["credit"], total["expected"]) == ("wrong", 0.0, 19)
    assert {tuple(q["skills"]) for q in (z1, z2, total)} == {("param-count",)}
    assert [q["step"] for q in (z1, z2, total)] == ["count"] * 3


def test_a_scalar_network_files_quiz_asks_per_unit(tmp_path):
    """ex4 per unit (the quiz reads a `network:` file one equation per unit): 4, 4, 3, 11."""
    path = with_ask(tmp_path, "ex4")
    report = tmp_path / "r.json"
    lines = ["skip"] * 24 + ["4", "3", "3", "3", "11"]
    done = quiz(tmp_path, str(path), lines, "--report", str(report))
    assert "#params(z1_1) = ?" in done.stdout
    rows = [q for q in json.loads(report.read_text(encoding="utf-8"))["questions"]]
    counts = [(q["quantity"], q["expected"], q["verdict"]) for q in rows if q["step"] == "count"]
    assert counts == [
        ("#params(z1_1)", 4, "right"),
        ("#params(z1_2)", 4, "wrong"),
        ("#params(z2_1)", 3, "right"),
        ("#params", 11, "right"),
    ]
    assert "#params(z1_2) = |{W1_2_1, W1_2_2, W1_2_3, b1_2}| = 4" in done.stdout


def test_a_random_variant_has_the_same_counts(tmp_path):
    report = tmp_path / "r.json"
    quiz(tmp_path, "ex20", ["skip"] * 20, "--seed", "7", "--report", str(report))
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["seed"] == 7
    counts = [(q["quantity"], q["expected"]) for q in data["questions"] if q["step"] == "count"]
    assert counts == [("#params(z1)", 10), ("#params(z2)", 9), ("#params", 19)]


def test_progress_and_review_see_the_skill(tmp_path):
    from tutor.quiz import review, skills
    from tutor.quiz.session import open_session

    assert skills.PARAM_COUNT in skills.all_skills()
    assert skills.name(skills.PARAM_COUNT, "zh") == "参数量"
    tags = review.tags(catalog.load("ex20"))
    assert tags["#params"] == tags["#params(z1)"] == ("param-count",)
    scalar = catalog.load(str(with_ask(tmp_path, "ex2")))
    assert review.tags(scalar) == {q.key: q.skills for q in open_session(scalar).questions}
    db = str(tmp_path / "p.db")
    answers = tmp_path / "a.txt"
    answers.write_text("10\n9\n19\n", encoding="utf-8")
    done = invoke(
        "review", "--skill", "param-count", "--seed", "1", "--count", "3",
        "--answers", str(answers), "--db", db,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Score: 3 / 3" in done.stdout
    shown = invoke("progress", "--db", db, width=120).stdout
    assert "parameter count" in shown and "#params(z1)" in shown


# --------------------------------------------------------------------------- the file


@pytest.mark.parametrize(
    "lang, words",
    [
        ("en", "unknown ask 'paramters'; did you mean 'parameters'?"),
        ("zh", "未知的所求项 'paramters'；是不是 'parameters'？"),
    ],
)
def test_a_typo_in_ask_is_one_line_with_file_and_line(tmp_path, lang, words):
    path = with_ask(tmp_path, "ex20", "ask: [forward, loss,\n  gradients, paramters]\n")
    line = 1 + path.read_text(encoding="utf-8").splitlines().index("  gradients, paramters]")
    done = invoke("solve", str(path), "--lang", lang)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"error: {path}:{line}: ") and words in done.stderr


def test_parameters_asked_of_a_problem_without_any_is_refused(tmp_path):
    path = with_ask(tmp_path, "ex16", "ask: [forward, parameters]\n")
    done = invoke("quiz", str(path))
    line = 1 + path.read_text(encoding="utf-8").splitlines().index("ask: [forward, parameters]")
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert f"{path}:{line}: ask 'parameters': no equation reads a parameter" in done.stderr


# --------------------------------------------------------------------------- the views


def test_solve_and_export_of_a_scalar_problem_show_the_counts(tmp_path):
    path = str(with_ask(tmp_path, "ex2"))
    solved = invoke("solve", path, width=120).stdout
    assert re.search(r"z = w1·x1 \+ w2·x2 \+ b1 +w1, w2, b1 +3", solved)
    assert re.search(r"ŷ = w3·h \+ b2 +w3, b2 +2", solved)
    assert re.search(r"in all +5", solved)
    assert "each parameter is one number" in solved
    zh = invoke("export", path, "--lang", "zh").stdout
    assert "| 合计 |  | 5 |" in zh and "## 各层的参数量" in zh


def test_homework_grades_the_counts(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name,class\nS001,Alice,A\n", encoding="utf-8")
    made = tmp_path / "hw"
    done = invoke(
        "homework", "make", "--roster", str(roster), "--problems", "ex20",
        "--set-name", "w", "-o", str(made),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    text = (made / "answers" / "S001.txt").read_text(encoding="utf-8")
    filled = {"#params(z1)": "2*(2*2*1 + 1)", "#params(z2)": "8", "#params": "19"}
    for key, typed in filled.items():
        text = text.replace(f" {key} = \n", f" {key} = {typed}\n")
    handed = tmp_path / "in"
    handed.mkdir()
    (handed / "S001.txt").write_text(text, encoding="utf-8")
    out = tmp_path / "g" / "grades.csv"
    done = invoke("homework", "grade", str(made), str(handed), "-o", str(out))
    assert done.returncode == 0, done.stderr
    detail = (out.parent / "grades-detail.csv").read_text(encoding="utf-8")
    rows = [line.split(",") for line in detail.splitlines() if "#params" in line]
    assert [(r[4], r[6]) for r in rows] == [
        ("#params(z1)", "right"),
        ("#params(z2)", "wrong"),
        ("#params", "right"),
    ]
    assert rows[1][-1] == "count-left-out"
