"""The playground: a network learns a generated data set, watched live in the terminal.

TensorFlow Playground's defaults (tanh, hidden layers 4 and 2, learning rate 0.03, batch 10,
half the points for testing, no noise, inputs x1 and x2, a tanh output with labels ±1 and
half the squared error), trained by the vectorised path (`vector.train`). One step is one
mini-batch update. Everything here computes or describes; the CLI prints.

What was learned goes back to the hand computation: `problem_text` writes the trained network
with one sample as a problem file (`--save`, `--explain`), which `solve`, `quiz` and `export`
read like any other.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, fields, replace

import numpy as np

from tutor.errors import InputError, cannot_write
from tutor.playground import datasets, vector
from tutor.text.messages import LANGS, Message, optimizer, say
from tutor.text.notation import fmt

HIDDEN = (4, 2)  # TensorFlow Playground's default hidden layers
LOSSES = ("mse", "bce", "hinge", "ce")
# per loss: output activation, the layers.LOSSES kind, how class labels become targets
OUTPUTS = {
    "mse": ("tanh", "half_squared_error", "pm1"),
    "bce": ("sigmoid", "binary_cross_entropy", "01"),
    "hinge": ("linear", "hinge", "pm1"),
    "ce": ("softmax", "cross_entropy", "onehot"),
}
MAX_STEPS = 1_000_000


@dataclass
class Settings:
    data: str = "circle"
    samples: int | None = None
    noise: float = 0.0
    test_ratio: float = 0.5
    classes: int | None = None  # None: the data set's own, or a problem's softmax outputs
    sizes: list[int] | None = None  # inputs, hidden..., outputs (None: features, 4, 2, out)
    activation: str = "tanh"
    loss: str | None = None  # mse, bce, hinge, ce (None: mse, or ce for K > 2 classes)
    features: tuple[str, ...] | None = None  # None: x1, x2, or as many as a problem's inputs
    steps: int = 3000
    batch: int = 10
    lr: float = 0.03
    optimizer: str = "sgd"
    l1: float = 0.0
    l2: float = 0.0
    seed: int = 1
    problem: object = None  # a Problem with a `network:` block: its weights start the run


_READ = ("sizes", "features", "problem")  # Settings typed as text (or a ref), read first


def settings_of(options) -> Settings:
    """The Settings that `options` (an object with an attribute per field: `bptutor
    playground`'s options) name: `sizes` and `features` read from their text, `problem` (an
    id or a file) loaded."""
    from tutor.problems import catalog
    from tutor.variants import generate

    sizes = generate.parse_sizes(options.sizes) if options.sizes else None
    features = options.features
    features = tuple(datasets.parse_features(features)) if features is not None else None
    problem = catalog.load(options.problem) if options.problem else None
    given = {f.name: getattr(options, f.name) for f in fields(Settings) if f.name not in _READ}
    return Settings(**given, sizes=sizes, features=features, problem=problem)


@dataclass
class Setup:
    settings: Settings
    data: datasets.Dataset
    net: vector.Network
    encoding: str  # pm1, 01, onehot or value
    x: np.ndarray  # features of every point (a point is a column: features × points)
    y: np.ndarray  # targets of every point (outputs × points)
    train_rows: np.ndarray
    test_rows: np.ndarray


def _check(s: Settings) -> None:
    if not 1 <= s.steps <= MAX_STEPS:
        raise InputError(f"--steps must be between 1 and {MAX_STEPS:,}")
    if s.batch < 1:
        raise InputError("--batch must be at least 1")
    if not (math.isfinite(s.lr) and s.lr > 0):
        raise InputError("--lr must be a positive number")
    if s.l1 < 0 or s.l2 < 0 or not (math.isfinite(s.l1) and math.isfinite(s.l2)):
        raise InputError("--l1 and --l2 must be at least 0")
    if s.l1 and s.l2:
        raise InputError("give --l1 or --l2, not both")
    if s.loss is not None and s.loss not in LOSSES:
        raise InputError(f"unknown loss '{s.loss}' (one of {', '.join(LOSSES)})")


def setup(s: Settings) -> Setup:
    """The data set, its features and targets, and the network before training."""
    _check(s)
    s = _fitted(s)
    data = datasets.make(s.data, s.samples, s.noise, s.seed, s.classes)
    x = datasets.features(data.x, list(s.features))
    if s.problem is not None:
        net = network(s.problem)
        if net.sizes[0] != x.shape[0]:
            raise InputError(
                f"{s.problem.id} has {net.sizes[0]} inputs but there are "
                f"{x.shape[0]} features ({', '.join(s.features)})"
            )
        encoding = _encoding_of(net, data)
    else:
        loss = s.loss or ("ce" if data.classes > 2 else "mse")
        if data.regression and loss != "mse":
            raise InputError(f"{data.name} is a regression set: --loss mse")
        if data.classes > 2 and loss != "ce":
            raise InputError(f"{data.classes} classes need --loss ce (softmax + cross-entropy)")
        output, kind, encoding = OUTPUTS[loss]
        if data.regression:
            output, encoding = "linear", "value"
        outputs = data.classes if loss == "ce" else 1
        sizes = s.sizes or [x.shape[0], *HIDDEN, outputs]
        if sizes[0] != x.shape[0]:
            raise InputError(
                f"--sizes starts with {sizes[0]} inputs but there are "
                f"{x.shape[0]} features ({', '.join(s.features)})"
            )
        if sizes[-1] != outputs:
            raise InputError(
                f"--sizes ends with {sizes[-1]} outputs; this loss and data set need {outputs}"
            )
        net = initial_network(sizes, s.activation, output, kind, s.seed)
    y = encode(data, encoding, net.sizes[-1])
    train_rows, test_rows = datasets.split(data, s.test_ratio)
    return Setup(s, data, net, encoding, x, y, train_rows, test_rows)


def network(problem) -> vector.Network:
    """The layers a problem starts the playground with: a `network:` file's, or a tensor
    problem's written layer by layer (ex18, ex19: `vector.tensor_layers`)."""
    return vector.tensor_layers(problem) if problem.tensor else vector.network_of(problem)


def _fitted(s: Settings) -> Settings:
    """The settings a problem's network fills in where they were not given: the first of
    the Playground's features, as many as its inputs (x1, x2, x1^2 for three), and as many
    classes as a softmax output layer has units. Without a problem: x1, x2."""
    if s.problem is None:
        return s if s.features is not None else replace(s, features=("x1", "x2"))
    if s.problem.symbolic:
        raise InputError(f"problem '{s.problem.id}' is symbolic (no values): nothing to train")
    try:
        net = network(s.problem)
    except InputError:
        raise InputError(
            f"{s.problem.id} is not a layered network (a `network:` block): the playground "
            "trains one on 2-D points"
        ) from None
    features, classes = s.features, s.classes
    if features is None:
        names = list(datasets.FEATURES)
        if net.sizes[0] > len(names):
            raise InputError(
                f"{s.problem.id} has {net.sizes[0]} inputs; the playground makes at most "
                f"{len(names)} features ({', '.join(names)})"
            )
        features = tuple(names[: net.sizes[0]])
    if classes is None and net.loss == "cross_entropy" and net.sizes[-1] > 2:
        classes = net.sizes[-1]
    return replace(s, features=features, classes=classes)


def _encoding_of(net: vector.Network, data: datasets.Dataset) -> str:
    if data.regression:
        return "value"
    if net.loss == "cross_entropy":
        if net.sizes[-1] != data.classes:
            raise InputError(f"the network has {net.sizes[-1]} outputs for {data.classes} classes")
        return "onehot"
    if data.classes > 2 or net.sizes[-1] != 1:
        raise InputError(
            "a network with one output classifies two classes; more need "
            "softmax outputs with cross_entropy"
        )
    if net.loss == "binary_cross_entropy" or net.activations[-1] == "sigmoid":
        return "01"
    return "pm1"


def initial_network(sizes, activation: str, output: str, loss: str, seed: int) -> vector.Network:
    """TensorFlow Playground's start: weights uniform in ±0.5, biases 0.1 (W{l} units ×
    inputs, drawn input by input as the Playground draws them)."""
    from tutor.variants.generate import HIDDEN as ACTIVATIONS

    if activation not in ACTIVATIONS:
        raise InputError(f"unknown activation '{activation}' (one of {', '.join(ACTIVATIONS)})")
    rng = np.random.default_rng(seed)
    weights = [rng.uniform(-0.5, 0.5, (a, b)).T.copy() for a, b in zip(sizes, sizes[1:])]
    biases = [np.full((b, 1), 0.1) for b in sizes[1:]]
    acts = [activation] * (len(sizes) - 2) + [output]
    inputs = tuple(f"x{j}" for j in range(1, sizes[0] + 1))
    targets = ("y",) if sizes[-1] == 1 else tuple(f"y{k}" for k in range(1, sizes[-1] + 1))
    return vector.Network(weights, biases, acts, loss, inputs, targets)


def encode(data: datasets.Dataset, encoding: str, outputs: int) -> np.ndarray:
    """The targets of every point, a point a column (outputs × points)."""
    if encoding == "value":
        return data.labels.reshape(1, -1).astype(float)
    if encoding == "onehot":
        return np.eye(outputs)[:, data.labels]
    if encoding == "01":
        return data.labels.reshape(1, -1).astype(float)
    return (2.0 * data.labels - 1).reshape(1, -1)


def predicted(setup: Setup, out: np.ndarray) -> np.ndarray:
    """Class numbers from network outputs (outputs × points)."""
    if setup.encoding == "onehot":
        return out.argmax(axis=0)
    threshold = 0.5 if setup.encoding == "01" else 0.0
    return (out[0] > threshold).astype(int)


def score(setup: Setup, out: np.ndarray) -> np.ndarray:
    """A colour value in [-1, 1] per point (outputs × points): class 1 positive (two
    classes), or the value."""
    if setup.encoding == "01":
        return 2 * out[0] - 1
    if setup.encoding == "onehot":
        return out.max(axis=0)
    return np.clip(out[0], -1, 1)


# --------------------------------------------------------------------------- training


@dataclass
class Checkpoint:
    step: int
    train_loss: float
    test_loss: float
    train_accuracy: float | None
    test_accuracy: float | None


@dataclass
class Result:
    setup: Setup
    run: vector.Run
    curve: list[Checkpoint] = field(default_factory=list)
    seconds_total: float = 0.0

    @property
    def last(self) -> Checkpoint:
        return self.curve[-1]

    @property
    def samples_per_second(self) -> float:
        return self.run.steps * self.setup.settings.batch / max(self.run.seconds, 1e-9)

    def report(self) -> dict:
        """What `--report` writes (fractions 0..1; accuracies only when classifying)."""
        out = {"steps": self.run.steps, "final_loss": self.last.train_loss}
        if not self.setup.data.regression:
            out["train_accuracy"] = self.last.train_accuracy
            out["test_accuracy"] = self.last.test_accuracy
        out.update(
            {
                "seconds_loop": self.run.seconds,
                "seconds_total": self.seconds_total,
                "samples_per_second": self.samples_per_second,
            }
        )
        return out


def checkpoint(setup: Setup, net: vector.Network, step: int) -> Checkpoint:
    def measure(rows):
        if len(rows) == 0:
            return math.nan, None
        x, y = setup.x[:, rows], setup.y[:, rows]
        loss = vector.loss(net, x, y)
        if setup.data.regression:
            return loss, None
        out = vector.forward(net, x)
        return loss, float((predicted(setup, out) == setup.data.labels[rows]).mean())

    train_loss, train_acc = measure(setup.train_rows)
    test_loss, test_acc = measure(setup.test_rows)
    return Checkpoint(step, train_loss, test_loss, train_acc, test_acc)


def play(setup: Setup, on_update=None, keep=(), started: float | None = None) -> Result:
    """Train; `on_update(result_so_far, net)` after each chunk (a live view)."""
    started = time.perf_counter() if started is None else started
    s = setup.settings
    result = Result(setup, None, [checkpoint(setup, setup.net, 0)])
    every = max(1, s.steps // 200)
    loop = {"start": time.perf_counter(), "done": 0}

    def chunk(done, net):
        result.curve.append(checkpoint(setup, net, done))
        loop["done"] = done
        if on_update:
            result.run = vector.Run(net, done, [], time.perf_counter() - loop["start"])
            on_update(result, net)

    x, y = setup.x[:, setup.train_rows], setup.y[:, setup.train_rows]
    run = vector.train(
        setup.net,
        x,
        y,
        steps=s.steps,
        batch=s.batch,
        optimizer=s.optimizer,
        lr=s.lr,
        l2=s.l2,
        l1=s.l1,
        seed=s.seed,
        chunk=every,
        on_chunk=chunk,
        keep=keep,
    )
    # the loop's own seconds, without the checkpoints (the evaluations of the whole sets)
    result.run = run
    if result.curve[-1].step != run.steps:
        result.curve.append(checkpoint(setup, run.net, run.steps))
    result.seconds_total = time.perf_counter() - started
    return result


# --------------------------------------------------------------------------- the views

ORANGE, BLUE = (245, 147, 34), (8, 119, 189)  # the Playground's colours (class 0, class 1)
NEUTRAL = (232, 234, 235)
PALETTE = [
    (245, 147, 34),
    (8, 119, 189),
    (76, 175, 80),
    (229, 57, 53),
    (142, 68, 173),
    (0, 150, 136),
    (255, 193, 7),
    (121, 85, 72),
    (96, 125, 139),
    (233, 30, 99),
]


def _mix(a, b, t):
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b))


def _hex(c) -> str:
    return "#{:02x}{:02x}{:02x}".format(*c)


def bounds(setup: Setup):
    x = setup.data.x
    lo, hi = x.min(axis=0), x.max(axis=0)
    pad = (hi - lo) * 0.08 + 1e-9
    return lo - pad, hi + pad


def grid_outputs(setup: Setup, net: vector.Network, cols: int, rows: int):
    """Network outputs at the centre of each cell of a cols × rows grid over the data
    (outputs × cells, row by row from the top)."""
    lo, hi = bounds(setup)
    xs = lo[0] + (np.arange(cols) + 0.5) / cols * (hi[0] - lo[0])
    ys = hi[1] - (np.arange(rows) + 0.5) / rows * (hi[1] - lo[1])  # top row first
    gx, gy = np.meshgrid(xs, ys)
    points = np.stack([gx.ravel(), gy.ravel()], axis=1)
    out = vector.forward(net, datasets.features(points, list(setup.settings.features)))
    return out, (lo, hi)


def _cell_colour(setup: Setup, out_row) -> tuple:
    if setup.encoding == "onehot":
        k = int(np.argmax(out_row))
        confidence = (float(out_row[k]) - 1 / len(out_row)) / (1 - 1 / len(out_row))
        return _mix(NEUTRAL, PALETTE[k % len(PALETTE)], 0.15 + 0.5 * max(0.0, confidence))
    v = float(score(setup, out_row[:, None])[0])
    return _mix(NEUTRAL, BLUE if v > 0 else ORANGE, 0.6 * min(1.0, abs(v)))


def _point_colour(setup: Setup, i: int) -> tuple:
    if setup.data.regression:
        v = float(setup.data.labels[i])
        return _mix(NEUTRAL, BLUE if v > 0 else ORANGE, min(1.0, abs(v)) * 0.9 + 0.1)
    k = int(setup.data.labels[i])
    if setup.data.classes == 2:
        return BLUE if k == 1 else ORANGE
    return PALETTE[k % len(PALETTE)]


PLAIN_SHADES = " .:-=+*#%@"  # without colour: the region's class (or value decile)


def _plain_cell(setup: Setup, out_row) -> str:
    if setup.encoding == "onehot":
        return PLAIN_SHADES[int(np.argmax(out_row)) % len(PLAIN_SHADES)]
    v = float(score(setup, out_row[:, None])[0])
    if setup.data.regression:
        return PLAIN_SHADES[min(9, int((v + 1) / 2 * 10))]
    return "·" if v > 0 else " "


def _plain_point(setup: Setup, i: int, test: bool) -> str:
    if setup.data.regression:
        return "○" if test else "●"
    k = int(setup.data.labels[i])
    if setup.data.classes == 2:
        return ("○" if k == 1 else "+") if test else ("●" if k == 1 else "×")
    return str(k % 10)


def heatmap(setup: Setup, net: vector.Network, cols: int = 44, rows: int = 22, plain: bool = False):
    """The decision boundary (or regression surface) as coloured cells, with the training
    points as ● and the test points as ○ over it. `plain` (no colour): the regions as · and
    blank (two classes) or shades, the points' classes as ●/× (train) and ○/+ (test)."""
    from rich.text import Text

    out, (lo, hi) = grid_outputs(setup, net, cols, rows)
    marks: dict[int, tuple[str, tuple]] = {}
    for rows_of, test in ((setup.test_rows, True), (setup.train_rows, False)):
        for i in rows_of:
            px, py = setup.data.x[i]
            c = min(cols - 1, max(0, int((px - lo[0]) / (hi[0] - lo[0]) * cols)))
            r = min(rows - 1, max(0, int((hi[1] - py) / (hi[1] - lo[1]) * rows)))
            glyph = _plain_point(setup, i, test) if plain else ("○" if test else "●")
            marks[r * cols + c] = (glyph, _point_colour(setup, i))
    text = Text(no_wrap=True, overflow="crop")
    for r in range(rows):
        for c in range(cols):
            k = r * cols + c
            if plain:
                text.append(marks[k][0] if k in marks else _plain_cell(setup, out[:, k]))
                continue
            glyph, fg = marks.get(k, (" ", (0, 0, 0)))
            bg = _cell_colour(setup, out[:, k])
            text.append(glyph, style=f"{_hex(_mix(fg, (0, 0, 0), 0.15))} on {_hex(bg)}")
        if r < rows - 1:
            text.append("\n")
    return text


def legend(setup: Setup, plain: bool, lang: str = "en") -> str:
    if setup.data.regression:
        key = "pg_legend_regression"
    elif plain:
        key = "pg_legend_plain2" if setup.data.classes == 2 else "pg_legend_plain"
    else:
        key = "pg_legend2" if setup.data.classes == 2 else "pg_legend"
    return say(lang, key)


def _percent(v) -> str:
    return "–" if v is None else f"{100 * v:.1f} %"


def _number(v: float) -> str:
    return "–" if v is None or not math.isfinite(v) else f"{v:.4f}"


def stats(result: Result, lang: str = "en"):
    from tutor.views.tables import FastTable

    s, c = result.setup.settings, result.last
    table = FastTable.grid(padding=(0, 1))
    table.add_column(style="bold")
    table.add_column()
    data = say(lang, "pg_points", name=result.setup.data.name, n=f"{len(result.setup.data.x):,}")
    rule = say(lang, "pg_rule", opt=optimizer(s.optimizer, lang), lr=f"{s.lr:g}", batch=s.batch)
    rows = [
        (
            say(lang, "pg_data"),
            data + (say(lang, "pg_noise", noise=f"{s.noise:g}") if s.noise else ""),
        ),
        (say(lang, "pg_network"), "-".join(map(str, result.setup.net.sizes)) + f" {s.activation}"),
        (
            say(lang, "pg_training"),
            rule + (f", L2 {s.l2:g}" if s.l2 else "") + (f", L1 {s.l1:g}" if s.l1 else ""),
        ),
        (say(lang, "pg_step"), f"{result.run.steps:,} / {s.steps:,}" if result.run else "0"),
        (say(lang, "pg_train_loss"), _number(c.train_loss)),
        (say(lang, "pg_test_loss"), _number(c.test_loss)),
    ]
    if not result.setup.data.regression:
        rows += [
            (say(lang, "pg_train_accuracy"), _percent(c.train_accuracy)),
            (say(lang, "pg_test_accuracy"), _percent(c.test_accuracy)),
        ]
    if result.run and result.run.seconds > 0:
        rows.append((say(lang, "pg_speed"), f"{result.samples_per_second:,.0f}"))
    for k, v in rows:
        table.add_row(k, v)
    return table


def loss_curves(result: Result, width: int = 78, height: int = 10, lang: str = "en"):
    """Train and test loss against the step (plotext), as a rich Text."""
    import plotext
    from rich.text import Text

    points = [c for c in result.curve if math.isfinite(c.train_loss)]
    if len(points) < 2:
        return Text("")
    figure = plotext.figure
    figure.clear()
    figure.theme("colorless")
    xs = [c.step for c in points]
    for ys, line in (
        ([c.train_loss for c in points], True),
        ([c.test_loss for c in points], False),
    ):
        if all(math.isfinite(v) for v in ys):
            signal = figure.signal(xs, ys)
            if line:
                signal.lines()
            figure.draw(signal)
    if xs[-1] > xs[0]:  # whole-number step ticks (plotext would print 1.2e4)
        ticks = sorted({round(xs[0] + (xs[-1] - xs[0]) * k / 4) for k in range(5)})
        figure.ruler("x").ticks(ticks, [f"{t:,}" for t in ticks])
    figure.plot_size(max(width, 30), max(height, 8))
    figure.title(say(lang, "pg_curves"))
    figure.label(say(lang, "pg_steps_axis"))
    drawing = figure.build().string(colorless=True)
    figure.clear()
    return Text(drawing.rstrip("\n"), style="cyan", no_wrap=True, overflow="crop")


def view(
    result: Result, net: vector.Network, width: int = 80, lang: str = "en", plain: bool = False
):
    """The live view: heatmap beside the figures, loss curves below."""
    from rich.console import Group
    from rich.text import Text

    from tutor.views.tables import FastTable

    cols = max(20, min(60, width - 36))
    rows = max(10, cols // 2)
    top = FastTable.grid(padding=(0, 2))
    left = Group(
        heatmap(result.setup, net, cols, rows, plain),
        Text(legend(result.setup, plain, lang), style="dim"),
    )
    top.add_row(left, stats(result, lang))
    return Group(top, loss_curves(result, width=min(width, 100) - 2, lang=lang))


def summary(result: Result, width: int = 80, lang: str = "en", plain: bool = False):
    """What `--no-live` and a pipe print: the figures, the boundary, the loss curves, and the
    outcome in one sentence."""
    from rich.console import Group
    from rich.text import Text

    c = result.last
    if result.setup.data.regression:
        said = say(
            lang,
            "pg_finished_regression",
            test=_number(c.test_loss),
            train=_number(c.train_loss),
            **_run_fields(result),
        )
    else:
        said = say(
            lang,
            "pg_finished",
            test=_percent(c.test_accuracy),
            train=_percent(c.train_accuracy),
            **_run_fields(result),
        )
    dead = [Text(text, style="red" if worse else "dim") for text, worse in dead_said(result, lang)]
    return Group(view(result, result.run.net, width, lang, plain), Text(said), *dead)


def dead_said(result: Result, lang: str) -> list[tuple[str, bool]]:
    """Per hidden ReLU layer, its units dead on every training point after the run and
    before it (`vector.dead_units`), and whether the run switched units off."""
    x = result.setup.x[:, result.setup.train_rows]
    before = vector.dead_units(result.setup.net, x)
    after = vector.dead_units(result.run.net, x)
    out = []
    for (layer, was, n), (_, now, _) in zip(before, after):
        text = say(lang, "pg_dead", layer=layer, after=now, n=n, before=was)
        if now > was:
            text += say(lang, "inactive_more_trained", k=now - was)
        out.append((text, now > was))
    return out


def _run_fields(result: Result) -> dict:
    return {"steps": f"{result.run.steps:,}", "data": result.setup.data.name}


def save_png(result: Result, path: str) -> None:
    """Boundary (with the points) and loss curves as one image (matplotlib, an optional extra)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise InputError("--plot needs matplotlib (pip install matplotlib)") from None
    setup = result.setup
    out, (lo, hi) = grid_outputs(setup, result.run.net, 200, 200)
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 5))
    extent = (lo[0], hi[0], lo[1], hi[1])
    if setup.encoding == "onehot":
        colours = np.array(PALETTE[: out.shape[0]]) / 255
        image = colours[out.argmax(axis=0)].reshape(200, 200, 3)
        left.imshow(0.55 + 0.45 * image, extent=extent, aspect="auto")
        point = colours[setup.data.labels]
    else:
        v = score(setup, out).reshape(200, 200)
        left.imshow(v, extent=extent, cmap="PuOr", vmin=-1.6, vmax=1.6, aspect="auto")
        point = np.array([_point_colour(setup, i) for i in range(len(setup.data.x))]) / 255
    for rows, marker, label in ((setup.train_rows, "o", "train"), (setup.test_rows, "^", "test")):
        left.scatter(
            setup.data.x[rows, 0],
            setup.data.x[rows, 1],
            c=point[rows],
            marker=marker,
            s=14,
            edgecolors="white",
            linewidths=0.4,
            label=label,
        )
    left.set_xlim(lo[0], hi[0])
    left.set_ylim(lo[1], hi[1])
    c = result.last
    acc = "" if setup.data.regression else (f", test accuracy {_percent(c.test_accuracy)}")
    left.set_title(
        f"{setup.data.name}: {'-'.join(map(str, setup.net.sizes))} after "
        f"{result.run.steps:,} steps{acc}"
    )
    left.legend(loc="upper right", fontsize=8)
    steps = [p.step for p in result.curve]
    right.plot(steps, [p.train_loss for p in result.curve], label="train")
    right.plot(steps, [p.test_loss for p in result.curve], label="test")
    right.set_xlabel("step")
    right.set_ylabel("loss")
    right.set_title("loss")
    right.legend()
    figure.tight_layout()
    try:
        figure.savefig(path, dpi=100)
    except OSError as e:
        raise cannot_write(path, e) from None
    finally:
        plt.close(figure)


# --------------------------------------------------------------------------- back to the hand


def _written(value, decimals: int | None = None) -> float:
    """A value as the file writes it: every digit of the float, or rounded to `decimals`
    places (a network a student can solve by hand; -0.0 written 0.0)."""
    value = float(value)
    return value if decimals is None else round(value, decimals) + 0.0


def _numbers(values, decimals: int | None = None) -> str:
    return "[" + ", ".join(repr(_written(v, decimals)) for v in values) + "]"


def problem_text(
    result: Result,
    net: vector.Network,
    sample: int,
    step: int,
    command: str = "",
    decimals: int | None = None,
) -> str:
    """The network `net` (after `step` steps) with training sample `sample` (from 0) as a
    problem file: its weights are given values, so solve, quiz and export work on it. With
    `decimals`, every number (inputs, targets, weights, biases) is rounded to that many places,
    and the problem is that rounded network."""
    setup, s = result.setup, result.setup.settings
    if not 0 <= sample < len(setup.train_rows):
        raise InputError(
            f"sample {sample} is not a training sample (0 to {len(setup.train_rows) - 1})"
        )
    i = setup.train_rows[sample]
    x, y = setup.x[:, i], setup.y[:, i]
    shape = "-".join(map(str, net.sizes))
    values = [fmt(_written(v, decimals)) for v in x]
    features = ", ".join(
        f"x{j + 1} = {value}" if name == f"x{j + 1}" else f"x{j + 1} = {name} = {value}"
        for j, (name, value) in enumerate(zip(s.features, values))
    )
    target = fmt(_written(y[0], decimals)) if len(y) == 1 else _numbers(y, decimals)
    label = (
        ""
        if setup.data.regression
        else Message("learned_class", {"n": int(setup.data.labels[i]), "y": target})
    )
    facts = dict(shape=shape, data=setup.data.name, steps=f"{step:,}", optimizer=s.optimizer)
    facts.update(batch=s.batch, sample=sample, label=label, features=features)
    lines = [
        f"# Written by bptutor playground{(' ' + command) if command else ''}.",
        f"id: playground_{setup.data.name}_{shape.replace('-', '_')}",
        "kind: generated-mlp",
        "source: generated",
        "title:",
        *(f"  {lang}: {say(lang, 'learned_title', **facts)}" for lang in LANGS),
        "statement:",
        *(f"  {lang}: {say(lang, 'learned_statement', **facts)}" for lang in LANGS),
        "network:",
        f"  inputs: {_numbers(x, decimals)}",
        "  layers:",
    ]
    for w, b, act in zip(net.weights, net.biases, net.activations):
        lines.append("    - weights:")
        lines += [f"        - {_numbers(row, decimals)}" for row in w]
        if b is not None:
            lines.append(f"      bias: {_numbers(b.ravel(), decimals)}")
        lines.append(f"      activation: {act}")
    lines += [
        f"  targets: {_numbers(y, decimals)}",
        f"  loss: {net.loss}",
        "  loss_name: L",
        "update:",
        f"  optimizer: {s.optimizer}",
        f"  lr: {s.lr!r}",
    ]
    if s.l2:
        lines.append(f"  l2: {s.l2!r}")
    return "\n".join(lines) + "\n"


def problem_of(text: str):
    """Load a problem text written by `problem_text`."""
    from tutor.problems.loader import problem_from_doc
    from tutor.problems.yamlsafe import load_yaml

    return problem_from_doc(load_yaml(text, "<playground>"))


def explained(
    result: Result, setup: Setup, sample: int, step: int | None, lang: str, decimals=None
) -> list:
    """`--explain K --explain-step S`: the worked solution of training sample `sample` on the
    network after `step` steps (None: the last), as `solve` shows a `network:` file (the
    matrix view), one renderable per section."""
    import tempfile
    from pathlib import Path

    from tutor.engine import matrix_solve
    from tutor.problems import network
    from tutor.solutions import explain
    from tutor.views import matrix as matrix_view

    run = result.run
    at = run.steps if step is None else step
    net = run.snapshots.get(at + 1, run.net if at == run.steps else setup.net if at == 0 else None)
    if net is None:
        raise InputError(f"training stopped before step {at}")
    text = problem_text(result, net, sample, at, decimals=decimals)
    with tempfile.TemporaryDirectory() as folder:  # the loader reads a network: from a file
        path = Path(folder) / "playground.yaml"
        path.write_text(text, encoding="utf-8")
        solution = explain.with_errata(matrix_solve.solve(network.load(path)))
        return matrix_view.solution_steps(solution, lang)


# --------------------------------------------------------------------------- a user's data


@dataclass
class DataRun:
    """`train PROBLEM --data FILE.csv`: the batch losses (as a training.History), the loss
    over all samples before and after, the accuracy when the loss classifies."""

    history: object
    first_loss: float
    samples: int
    steps: int
    seconds: float
    accuracy: float | None
    stopped: str | None
    samples_per_step: int = 1

    def report(self, seconds_total: float) -> dict:
        return {
            "steps": self.steps,
            "final_loss": self.history.final_loss,
            "train_accuracy": self.accuracy,
            "test_accuracy": None,
            "seconds_loop": self.seconds,
            "seconds_total": seconds_total,
            "samples_per_second": self.samples_per_step * self.steps / max(self.seconds, 1e-9),
        }


def _accuracy(net: vector.Network, x, y) -> float | None:
    """Classification losses only: argmax (softmax), > 0.5 (sigmoid/BCE), sign (hinge, tanh);
    samples are columns."""
    out = vector.forward(net, x)
    if net.loss == "cross_entropy":
        return float((out.argmax(axis=0) == y.argmax(axis=0)).mean())
    if net.loss == "binary_cross_entropy":
        return float(((out > 0.5) == (y > 0.5)).all(axis=0).mean())
    if net.loss == "hinge":
        return float(((out > 0) == (y > 0)).all(axis=0).mean())
    return None


CSV_CHUNK = 1000  # steps of `train --data` between two points where Ctrl-C keeps the run


def train_csv(
    problem,
    rule,
    path: str,
    steps: int,
    batch: int,
    schedule: str = "constant",
    options: dict | None = None,
    started=None,
) -> DataRun:
    """A problem's network trained on a CSV file's samples in mini-batches of `batch`: the
    parameters its update names (whole layers' arrays), its optimizer, rate and schedule.
    `started(samples)` is called once the file is read, before the first step."""
    from tutor.playground import training
    from tutor.registry import optim, schedules

    if batch < 1:
        raise InputError("--batch must be at least 1")
    net = vector.network_of(problem)
    x, y = datasets.read_csv(
        path, list(net.inputs), list(net.targets), net.loss, net.activations[-1] == "softmax"
    )
    names = training.trained_names(problem, rule)
    trained = []
    for i in range(len(net.arrays())):
        held = net.param_names_of(i)
        chosen = [n in names for n in held]
        if any(chosen) and not all(chosen):
            raise InputError(
                "with --data, the update trains whole weight matrices and bias "
                f"vectors: {held[chosen.index(False)]} is left out"
            )
        trained.append(all(chosen))
    rates = schedules.rates(schedule, rule.lr, steps, **(options or {}))
    hyper = optim.hyper(rule)
    first = vector.loss(net, x, y)
    if started is not None:
        started(x.shape[1])
    run = vector.train(
        net,
        x,
        y,
        steps=steps,
        batch=batch,
        optimizer=rule.optimizer,
        lr=rule.lr,
        hyper=hyper,
        l2=hyper.get("l2", 0.0),
        seed=0,
        trained=tuple(trained),
        rates=rates,
        # in chunks, so that Ctrl-C keeps the steps of the chunks done (as `train` does)
        chunk=min(CSV_CHUNK, max(1, -(-steps // 50))),
        on_chunk=lambda done, net: None,
    )
    final = vector.loss(run.net, x, y) if run.stopped != "diverged" else None
    history = training.History(run.losses, rates[: len(run.losses)], {}, final)
    return DataRun(
        history,
        first,
        x.shape[1],
        run.steps,
        run.seconds,
        _accuracy(run.net, x, y),
        run.stopped,
        min(batch, x.shape[1]),
    )
