"""The playground and `train --data`: accuracies with fixed seeds, the report, the saved
problem file, the worked solution for a sample, and bad data files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from cli_runner import invoke

from tutor.engine import scalar as engine
from tutor.errors import InputError
from tutor.playground import datasets, vector
from tutor.playground import live as pg

FEATURES = ("x1", "x2", "x1^2", "x2^2", "x1x2", "sin(x1)", "sin(x2)")


@pytest.mark.parametrize("data", ["xor", "circle", "gauss"])
def test_playground_defaults_reach_95_percent(data):
    result = pg.play(pg.setup(pg.Settings(data=data)))
    assert result.setup.net.sizes == [2, 4, 2, 1]  # TensorFlow Playground's network
    assert result.report()["test_accuracy"] >= 0.95


def test_spiral_with_a_suitable_network_reaches_90_percent():
    settings = pg.Settings(
        data="spiral", features=FEATURES, sizes=[7, 8, 8, 1], optimizer="adam", lr=0.01, steps=2000
    )
    assert pg.play(pg.setup(settings)).report()["test_accuracy"] >= 0.90


def test_generated_sets_are_reproducible_and_as_described():
    a, b = datasets.make("spiral3", seed=4), datasets.make("spiral3", seed=4)
    assert np.array_equal(a.x, b.x) and a.classes == 3 and sorted(set(a.labels)) == [0, 1, 2]
    circle = datasets.make("circle", 400, seed=2)
    r = np.hypot(circle.x[:, 0], circle.x[:, 1])  # the Playground's: inside 2.5 is class 1
    assert ((r < 2.5) == (circle.labels == 1)).all()
    xor = datasets.make("xor", 400, seed=2)
    assert ((xor.x[:, 0] * xor.x[:, 1] >= 0) == (xor.labels == 1)).all()
    plane = datasets.make("plane", seed=1)
    assert plane.regression and np.allclose(
        plane.labels, np.clip((plane.x[:, 0] + plane.x[:, 1]) / 10, -1, 1)
    )
    assert datasets.make("gauss", 300, classes=4, seed=1).classes == 4
    with pytest.raises(InputError, match="--classes"):
        datasets.make("xor", classes=3)


def test_no_live_prints_a_summary_and_the_report_has_the_issue_keys(tmp_path):
    report = tmp_path / "r.json"
    r = invoke(
        "playground", "--data", "moons", "--steps", "100", "--no-live", "--report", str(report)
    )
    assert r.returncode == 0, r.stderr
    assert "test accuracy" in r.stdout and "100 / 100" in r.stdout and "●" in r.stdout
    got = json.loads(report.read_text())
    assert set(got) == {
        "steps",
        "final_loss",
        "train_accuracy",
        "test_accuracy",
        "seconds_loop",
        "seconds_total",
        "samples_per_second",
    }
    assert got["steps"] == 100 and 0 <= got["test_accuracy"] <= 1


def test_saved_network_is_a_problem_whose_gradient_matches_the_batch_of_its_sample(tmp_path):
    saved = tmp_path / "net.yaml"
    r = invoke(
        "playground",
        "--data",
        "spiral3",
        "--steps",
        "50",
        "--no-live",
        "--save",
        str(saved),
        "--explain",
        "2",
    )
    assert r.returncode == 0, r.stderr
    assert "Backward" in r.stdout or "backward" in r.stdout.lower()
    from tutor.problems.loader import load_problem

    problem = load_problem(saved)
    net = vector.network_of(problem)
    assert net.sizes == [2, 4, 2, 3] and net.activations[-1] == "softmax"
    # the scalar engine on the saved problem: dL/dW by central finite differences agrees
    leaves = engine.numeric_leaves(problem)
    compiled = engine.Compiled(engine.build_graph(problem))
    values, local, stable = compiled.evaluate(leaves)
    grads = compiled.backward(values, local, stable)
    h = 1e-6
    for name in ("W1_1_1", "b3_2"):
        up, down = dict(leaves), dict(leaves)
        up[name] += h
        down[name] -= h
        fd = (compiled.loss(up) - compiled.loss(down)) / (2 * h)
        assert grads[name] == pytest.approx(fd, rel=1e-5, abs=1e-9)
    assert invoke("solve", str(saved)).returncode == 0


def test_explain_step_zero_shows_the_initial_weights(tmp_path):
    r = invoke(
        "playground",
        "--data",
        "xor",
        "--steps",
        "20",
        "--no-live",
        "--explain",
        "0",
        "--explain-step",
        "0",
        "--seed",
        "3",
    )
    assert r.returncode == 0, r.stderr
    initial = pg.setup(pg.Settings(data="xor", seed=3)).net
    # the matrix view (as `solve` shows a network: file) prints 4 figures, a true minus
    w = float(initial.weights[0][0, 0])
    assert f"{abs(w):.4g}" in r.stdout and ("−" if w < 0 else "") + f"{abs(w):.4g}" in r.stdout


def test_png_is_written(tmp_path):
    pytest.importorskip("matplotlib")
    png = tmp_path / "out.png"
    r = invoke("playground", "--data", "gauss", "--steps", "30", "--no-live", "--plot", str(png))
    assert r.returncode == 0, r.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_options_are_one_line_errors():
    for args, message in (
        (("--data", "nope"), "unknown data set"),
        (("--sizes", "2,3,2"), "outputs"),
        (("--classes", "3", "--data", "spiral", "--loss", "mse"), "--loss ce"),
        (("--l1", "0.1", "--l2", "0.1"), "not both"),
        (("--features", "x3"), "unknown feature"),
    ):
        r = invoke("playground", *args, "--no-live")
        assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr


# --------------------------------------------------------------------------- train --data


def _xor_csv(path, n=200, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, 3))
    y = (x[:, 0] + x[:, 1] - x[:, 2] > 0).astype(float)
    rows = ["y,x1,x2,x3"] + [f"{t},{a},{b},{c}" for (a, b, c), t in zip(x, y)]
    path.write_text("\n".join(rows) + "\n")


def test_train_on_a_csv_file_learns_and_reports(tmp_path):
    problem = tmp_path / "net.yaml"
    assert (
        invoke(
            "gen", "mlp", "--sizes", "3,4,1", "--loss", "binary_cross_entropy", "-o", str(problem)
        ).returncode
        == 0
    )
    data, report = tmp_path / "d.csv", tmp_path / "r.json"
    _xor_csv(data)
    r = invoke(
        "train",
        str(problem),
        "--data",
        str(data),
        "--steps",
        "600",
        "--lr",
        "0.5",
        "--batch",
        "16",
        "--report",
        str(report),
    )
    assert r.returncode == 0, r.stderr
    got = json.loads(report.read_text())
    assert got["steps"] == 600 and got["train_accuracy"] >= 0.9
    assert "200 samples" in r.stdout


@pytest.mark.parametrize(
    "text, where, message",
    [
        ("", ":1:", "empty"),
        ("x1,x2,x3,z\n1,2,3,4\n", ":1:", "unknown column 'z'"),
        ("y,x1,x2,x3\n1,2,3,4\n1,2,,4\n", ":3:", "empty value"),
        ("y,x1,x2,x3\n1,2,3,abc\n", ":2:", "abc"),
        ("y,x1,x2,x3\n1,2,3,nan\n", ":2:", "finite"),
        ("y,x1,x2,x3\n1,2,3,inf\n", ":2:", "finite"),
        ("y,x1,x2,x3\n1,2,3\n", ":2:", "3 values"),
    ],
)
def test_bad_csv_is_a_file_line_error(tmp_path, text, where, message):
    problem = tmp_path / "net.yaml"
    invoke("gen", "mlp", "--sizes", "3,2,1", "-o", str(problem))
    data = tmp_path / "d.csv"
    data.write_text(text)
    r = invoke("train", str(problem), "--data", str(data), "--steps", "5")
    assert r.returncode == 2
    assert f"d.csv{where}" in r.stderr and message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def _net(tmp_path, sizes: str, loss: str) -> Path:
    problem = tmp_path / f"{loss}.yaml"
    made = invoke("gen", "mlp", "--sizes", sizes, "--loss", loss, "-o", str(problem))
    assert made.returncode == 0, made.stderr
    return problem


def test_a_csv_with_a_byte_order_mark_reads_as_plain_utf8(tmp_path):
    """Issue 23: Excel's "CSV UTF-8" starts with a byte-order mark; it was read as part of
    the first column's name ("unknown column '\ufeffx1'")."""
    data = tmp_path / "d.csv"
    data.write_bytes("\ufeffx1,x2,y\n1,2,1\n0,1,0\n-1,0.5,0.25\n".encode())
    x, y = datasets.read_csv(str(data), ["x1", "x2"], ["y"], "binary_cross_entropy")
    np.testing.assert_array_equal(x.T, [[1, 2], [0, 1], [-1, 0.5]])  # a sample is a column
    np.testing.assert_array_equal(y, [[1, 0, 0.25]])  # a soft label is one from 0 to 1
    r = invoke("train", str(_net(tmp_path, "2,3,1", "binary_cross_entropy")), "--data", str(data))
    assert r.returncode == 0, r.stderr
    assert "3 samples" in r.stdout


@pytest.mark.parametrize(
    "sizes, loss, rows, where, words",
    [
        ("2,3,1", "binary_cross_entropy", "1,2,1\n0,1,2\n", ":3:", "'y' is 2, but binary"),
        ("2,3,1", "binary_cross_entropy", "1,2,-1\n", ":2:", "'y' is -1, but binary"),
        ("2,3,1", "hinge", "1,2,1\n1,2,0\n", ":3:", "'y' is 0, but the hinge loss takes labels -1"),
        ("2,3,1", "hinge", "1,2,0.5\n", ":2:", "'y' is 0.5, but the hinge loss"),
    ],
)
def test_labels_outside_the_losss_range_are_refused_with_file_and_line(
    tmp_path, sizes, loss, rows, where, words
):
    """Issue 23: labels 2 and -1 with binary cross-entropy were taken and reported "accuracy
    100.0 %". Binary cross-entropy takes 0 to 1, the hinge loss -1 or 1."""
    data = tmp_path / "d.csv"
    data.write_text("x1,x2,y\n" + rows)
    r = invoke("train", str(_net(tmp_path, sizes, loss)), "--data", str(data), "--steps", "5")
    assert r.returncode == 2, r.stdout
    assert f"d.csv{where}" in r.stderr and words in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_softmax_cross_entropy_takes_one_hot_rows_or_probabilities(tmp_path):
    problem = _net(tmp_path, "2,3,3", "cross_entropy")
    data = tmp_path / "d.csv"
    good = "x1,x2,y1,y2,y3\n1,2,0,1,0\n0,1,1,0,0\n2,2,0.2,0.3,0.5\n"
    data.write_text(good)
    assert invoke("train", str(problem), "--data", str(data), "--steps", "5").returncode == 0
    for row, words in (
        ("1,2,0,2,0", "'y2' is 2, but cross-entropy takes labels from 0 to 1"),
        ("1,2,0,1,1", "the labels y1, y2, y3 sum to 2, but softmax cross-entropy"),
        ("1,2,0,0,0", "sum to 0"),
    ):
        data.write_text(good + row + "\n")
        r = invoke("train", str(problem), "--data", str(data), "--steps", "5")
        assert r.returncode == 2 and "d.csv:5:" in r.stderr and words in r.stderr, r.stderr


def test_squared_errors_take_any_finite_label(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("x1,x2,y\n1,2,-3\n0,1,1e6\n2,2,0.25\n")
    x, y = datasets.read_csv(str(data), ["x1", "x2"], ["y"], "mse")
    np.testing.assert_array_equal(y, [[-3, 1e6, 0.25]])  # a sample is a column
    r = invoke("train", str(_net(tmp_path, "2,3,1", "mse")), "--data", str(data), "--steps", "5")
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("cell", ["1_000", "0x10", "1e400", "Infinity", "１", "1,5"])
def test_a_number_is_a_plain_decimal(tmp_path, cell):
    """Issue 23: `1_000` was read as 1000 (Python's float()); so were full-width digits."""
    data = tmp_path / "d.csv"
    data.write_text(f'x1,x2,y\n1,2,1\n"{cell}",2,1\n')
    with pytest.raises(InputError, match=r"d.csv:3: column 'x1' is .*, not a finite number"):
        datasets.read_csv(str(data), ["x1", "x2"], ["y"])


def test_more_than_the_limit_of_samples_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "MAX_SAMPLES", 3)  # the same check as at 100,000 rows
    data = tmp_path / "d.csv"
    data.write_text("x1,y\n" + "1,2\n" * 4)
    with pytest.raises(InputError, match=r"d.csv:5: more than 3 samples"):
        datasets.read_csv(str(data), ["x1"], ["y"])


def test_no_live_in_chinese_says_everything_in_chinese(tmp_path):
    saved = tmp_path / "net.yaml"
    r = invoke(
        "playground",
        "--data",
        "moons",
        "--steps",
        "100",
        "--no-live",
        "--lang",
        "zh",
        "--save",
        str(saved),
    )
    assert r.returncode == 0, r.stderr
    for said in (
        "数据",
        "moons，100 个点",
        "SGD，η 0.03，批大小 10",
        "步数",
        "训练损失",
        "测试准确率",
        "样本/秒",
        "●/× 训练（类 1/0）",
        "损失：训练（实线），测试（点）",
        "在 moons 上训练了 100 步：测试准确率",
    ):
        assert said in r.stdout, said
    assert f"已写入 {saved}" in r.stderr
    english = (
        "data",
        "points",
        "network",
        "training",
        "batch",
        "step",
        "loss",
        "accuracy",
        "train",
        "test",
        "samples/s",
        "wrote",
    )
    words = set(re.findall(r"[A-Za-z/]+", r.stdout + r.stderr))
    assert not words & set(english), words & set(english)


def test_no_live_ends_with_a_sentence_in_english_too():
    r = invoke("playground", "--data", "plane", "--steps", "50", "--no-live")
    assert r.returncode == 0, r.stderr
    assert "50 steps on plane: test loss " in r.stdout and "(train " in r.stdout


def test_a_tensor_problem_written_layer_by_layer_is_the_playgrounds_network():
    """ex18's statement: W1 (4×3), b1, W2 (3×4), b2, sigmoid then softmax with cross-entropy,
    so the playground starts from those arrays, three features (x1, x2, x1^2: as many as its
    inputs) and three classes (its softmax units)."""
    from tutor.problems import catalog

    net = vector.tensor_layers(catalog.load("ex18"))
    assert net.sizes == [3, 4, 3] and net.activations == ["sigmoid", "softmax"]
    assert net.loss == "cross_entropy"
    assert net.weights[0][0].tolist() == [0.2, -0.1, 0.4]
    assert net.weights[1][2].tolist() == [0.2, 0.1, -0.5, 0.4]
    assert net.biases[1].ravel().tolist() == [0, 0.1, -0.1]
    setup = pg.setup(pg.Settings(problem=catalog.load("ex18"), steps=1))
    assert setup.settings.features == ("x1", "x2", "x1^2") and setup.data.classes == 3
    for pid in ("ex20", "ex21", "ex25"):  # a batch, a convolution, a recurrence: not layers
        with pytest.raises(InputError, match="not a layered network"):
            vector.tensor_layers(catalog.load(pid))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_saved_network_with_decimals_states_its_values_and_solves_by_hand(tmp_path, lang):
    """--save --decimals 2: every number of the file has at most two decimals, the statement
    gives the sample's input values and its target (not `x1 = x1`), in both languages, and
    `--explain` prints what `solve` prints for the saved file (the matrix view)."""
    from tutor.problems.yamlsafe import load_yaml

    saved = tmp_path / "net.yaml"
    args = ["playground", "--data", "circle", "--steps", "20", "--no-live", "--seed", "2"]
    r = invoke(*args, "--save", str(saved), "--decimals", "2", "--explain", "0", "--lang", lang)
    assert r.returncode == 0, r.stderr
    text = saved.read_text(encoding="utf-8")
    doc = load_yaml(text, str(saved)).data
    network = doc["network"]
    numbers = [*network["inputs"], *network["targets"]]
    for layer in network["layers"]:
        numbers += [v for row in layer["weights"] for v in row] + list(layer.get("bias", []))
    assert numbers and all(len(str(v).split(".")[-1]) <= 2 for v in numbers), numbers
    x1, x2 = (float(v) for v in network["inputs"])
    target = float(network["targets"][0])
    assert target in (-1.0, 1.0)  # circle: tanh output, labels ±1
    setup = pg.setup(pg.Settings(data="circle", steps=20, seed=2))
    i = setup.train_rows[0]
    assert (x1, x2) == (round(setup.x[0, i], 2) + 0.0, round(setup.x[1, i], 2) + 0.0)
    label = int(setup.data.labels[i])
    for text_lang in ("en", "zh"):
        statement = doc["statement"][text_lang]
        assert "x1 = x1" not in statement
        assert f"x1 = {x1:g}" in statement and f"x2 = {x2:g}" in statement
        word = "class" if text_lang == "en" else "类"
        assert f"{word} {label}" in statement and f"y = {target:g}" in statement
    solved = invoke("solve", str(saved), "--lang", lang)
    assert solved.returncode == 0, solved.stderr
    # the same worked solution, in the same (matrix) view, after the playground's summary
    assert solved.stdout.strip() in r.stdout
    assert "z1 = W1 x + b1" in solved.stdout


def test_dead_relu_units_are_counted_per_hidden_layer_by_hand():
    """Points in [0, 1]²: unit 2 of layer 1 computes −x1 − x2 − 5 < 0 everywhere (dead);
    unit 1 is x1 ≥ 0, 0 only at x1 = 0. Layer 2's one unit reads (x1, 0) with weight −1 and
    bias 0.5: 0 where x1 ≥ 0.5, alive elsewhere. The output layer is never counted."""
    net = vector.Network(
        [np.array([[1.0, 0.0], [-1.0, -1.0]]), np.array([[-1.0, 0.0]]), np.array([[1.0]])],
        [np.array([[0.0], [-5.0]]), np.array([[0.5]]), np.array([[0.0]])],
        ["relu", "relu", "linear"],
        "mse",
    )
    x = np.array([[0.0, 0.2, 0.9, 1.0], [0.3, 1.0, 0.0, 1.0]])
    assert vector.dead_units(net, x) == [(1, 1, 2), (2, 0, 1)]
    assert vector.dead_units(net, x[:, 2:]) == [(1, 1, 2), (2, 1, 1)]  # x1 ≥ 0.5 only


def test_the_playground_says_which_relu_units_the_run_left_dead():
    """A rate far too large switches units off (`--lr 3`, seed 0): the line names the count
    before and after, in red words about the gradient, in en and zh; a tanh network has none."""
    done = invoke("playground", "--no-live", "--steps", "300", "--activation", "relu", "--lr", "3")
    said = " ".join(done.stdout.split())
    assert done.returncode == 0, done.stderr
    found = re.findall(
        r"hidden layer (\d) inactive \(output 0\) on every training point: (\d+) of (\d+) \((\d+) before training\)",
        said,
    )
    assert found and any(int(after) > int(before) for _, after, _, before in found), said[-600:]
    assert "training switched" in said
    zh = invoke(
        "playground",
        "--no-live",
        "--steps",
        "300",
        "--activation",
        "relu",
        "--lr",
        "3",
        "--lang",
        "zh",
    )
    assert "在每个训练点上都不激活" in zh.stdout and "训练关掉了" in zh.stdout
    tanh = invoke("playground", "--no-live", "--steps", "30", "--activation", "tanh")
    assert "inactive" not in tanh.stdout
