"""Data sets for the playground: TensorFlow Playground's, micrograd's moons, CS231n's spiral,
and a user's own CSV file.

The generators follow TensorFlow Playground's (dataset.ts: circle, xor, gauss, spiral, plane,
gaussians, with its noise semantics and sample counts), scikit-learn's make_moons (micrograd's
demo) and CS231n's K-arm spiral; all draw from one seeded NumPy generator, so a seed gives
the same points everywhere. Labels are class numbers 0..K-1 (classification) or values in
[-1, 1] (regression).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tutor.errors import InputError
from tutor.language.numerals import decimal
from tutor.problems.yamlsafe import strip_controls

CLASSIFICATION = ("xor", "circle", "gauss", "spiral", "moons", "spiral3")
REGRESSION = ("plane", "gaussians")
NAMES = CLASSIFICATION + REGRESSION
MULTICLASS = ("gauss", "spiral", "circle", "spiral3")  # the sets --classes K applies to
MAX_SAMPLES = 100_000
MAX_CLASSES = 10


@dataclass
class Dataset:
    """Points x (samples × 2, or × columns of a CSV) and labels: class numbers (classes ≥ 2)
    or values (classes 0: regression)."""

    name: str
    x: np.ndarray
    labels: np.ndarray
    classes: int

    @property
    def regression(self) -> bool:
        return self.classes == 0


def default_samples(name: str) -> int:
    """TensorFlow Playground's: 500 points to classify, 1,200 to regress; micrograd's 100
    moons; CS231n's 100 per spiral arm."""
    return {"moons": 100, "spiral3": 300}.get(name, 1200 if name in REGRESSION else 500)


def make(
    name: str,
    samples: int | None = None,
    noise: float = 0.0,
    seed: int = 0,
    classes: int | None = None,
) -> Dataset:
    """A generated set; `noise` as the Playground's slider (0..0.5 of the range), for moons
    the Gaussian σ of make_moons, for spiral3 CS231n's angle noise (default 0.2)."""
    if name not in NAMES:
        raise InputError(f"unknown data set '{name}' (one of {', '.join(NAMES)})")
    samples = default_samples(name) if samples is None else samples
    if not 2 <= samples <= MAX_SAMPLES:
        raise InputError(f"--samples must be between 2 and {MAX_SAMPLES:,}")
    if not 0 <= noise <= 10:
        raise InputError("--noise must be between 0 and 10")
    k = 3 if name == "spiral3" else 2
    if classes is not None:
        if name not in MULTICLASS:
            raise InputError(f"--classes applies to {', '.join(MULTICLASS)}, not {name}")
        if not 2 <= classes <= MAX_CLASSES:
            raise InputError(f"--classes must be between 2 and {MAX_CLASSES}")
        k = classes
    rng = np.random.default_rng(seed)
    maker = globals()["_" + name]
    if name in REGRESSION:
        x, y = maker(rng, samples, noise)
        return Dataset(name, x, y, 0)
    x, y = maker(rng, samples, noise, k)
    order = rng.permutation(len(x))  # as the Playground shuffles before splitting
    return Dataset(name, x[order], y[order].astype(int), k)


def _uniform(rng, n, low, high):
    return rng.uniform(low, high, n)


def _gauss(rng, n, noise, k):
    """Gaussian blobs; two as the Playground's (centres (2, 2) and (−2, −2), variance from
    0.5 to 4 with the noise), K on a circle of radius 3."""
    variance = 0.5 + noise / 0.5 * 3.5
    if k == 2:
        centres = [(2.0, 2.0), (-2.0, -2.0)]
    else:
        centres = [
            (3 * math.cos(2 * math.pi * c / k), 3 * math.sin(2 * math.pi * c / k)) for c in range(k)
        ]
    labels = np.arange(n) % k
    points = np.array(centres)[labels] + rng.normal(0, math.sqrt(variance), (n, 2))
    return points, (labels + 1) % k if k == 2 else labels  # class 1 at (2, 2) as the Playground


def _circle(rng, n, noise, k):
    """The Playground's circle (radius 5: class 1 inside 2.5, class 0 from 3.5 to 5); K rings
    for K classes. Noise moves the point the label is computed from."""
    radius = 5.0
    labels = np.arange(n) % k
    if k == 2:
        low = np.where(labels == 1, 0.0, 0.7 * radius)
        high = np.where(labels == 1, 0.5 * radius, radius)
    else:
        ring = radius / k
        low, high = (k - 1 - labels) * ring, (k - 1 - labels) * ring + 0.8 * ring
    r = rng.uniform(low, high)
    angle = rng.uniform(0, 2 * math.pi, n)
    x = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
    shifted = x + rng.uniform(-radius, radius, (n, 2)) * noise
    dist = np.hypot(shifted[:, 0], shifted[:, 1])
    if k == 2:
        return x, (dist < 0.5 * radius).astype(int)
    return x, np.clip(k - 1 - (dist // (radius / k)).astype(int), 0, k - 1)


def _xor(rng, n, noise, k):
    """The Playground's xor: uniform in ±5 pushed 0.3 off the axes; class 1 where x1·x2 ≥ 0."""
    x = rng.uniform(-5, 5, (n, 2))
    x += np.where(x > 0, 0.3, -0.3)
    shifted = x + rng.uniform(-5, 5, (n, 2)) * noise
    return x, (shifted[:, 0] * shifted[:, 1] >= 0).astype(int)


def _spiral(rng, n, noise, k):
    """The Playground's two-arm spiral (radius 5, 1.75 turns), K arms for K classes."""
    labels = np.arange(n) % k
    i = np.arange(n) // k
    per = max(1, -(-n // k))
    r = i / per * 5
    t = 1.75 * i / per * 2 * math.pi + labels * 2 * math.pi / k
    x = np.stack([r * np.sin(t), r * np.cos(t)], axis=1) + rng.uniform(-1, 1, (n, 2)) * noise
    return x, (labels + 1) % k if k == 2 else labels  # class 1 is the arm from angle 0


def _spiral3(rng, n, noise, k):
    """CS231n's spiral: K arms, radius 0..1, angle noise σ = 0.2 (or --noise)."""
    labels = np.arange(n) % k
    per = max(1, -(-n // k))
    i = np.arange(n) // k
    r = i / max(1, per - 1)
    t = labels * 4 + i / max(1, per - 1) * 4 + rng.normal(0, noise or 0.2, n)
    return np.stack([r * np.sin(t), r * np.cos(t)], axis=1), labels


def _moons(rng, n, noise, k):
    """scikit-learn's make_moons: two interleaved half circles, Gaussian noise σ."""
    outer, inner = n // 2 + n % 2, n // 2
    t1, t2 = np.linspace(0, math.pi, outer), np.linspace(0, math.pi, inner)
    x = np.concatenate(
        [
            np.stack([np.cos(t1), np.sin(t1)], axis=1),
            np.stack([1 - np.cos(t2), 1 - np.sin(t2) - 0.5], axis=1),
        ]
    )
    labels = np.concatenate([np.zeros(outer, int), np.ones(inner, int)])
    return x + rng.normal(0, noise, x.shape), labels


def _plane(rng, n, noise):
    """The Playground's plane: uniform in ±6, value (x1 + x2)/10 of the noisy point."""
    x = rng.uniform(-6, 6, (n, 2))
    shifted = x + rng.uniform(-6, 6, (n, 2)) * noise
    return x, np.clip((shifted[:, 0] + shifted[:, 1]) / 10, -1, 1)


def _gaussians(rng, n, noise):
    """The Playground's six signed bumps; the value is the strongest bump at the noisy point."""
    bumps = [(-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1)]
    x = rng.uniform(-6, 6, (n, 2))
    shifted = x + rng.uniform(-6, 6, (n, 2)) * noise
    values = np.zeros(n)
    for cx, cy, sign in bumps:
        d = np.hypot(shifted[:, 0] - cx, shifted[:, 1] - cy)
        v = sign * np.clip(1 - d / 2, 0, 1)
        values = np.where(np.abs(v) > np.abs(values), v, values)
    return x, values


def split(data: Dataset, test_ratio: float) -> tuple[np.ndarray, np.ndarray]:
    """(train rows, test rows): the first 1 − ratio of the (shuffled) points train."""
    if not 0 <= test_ratio < 1:
        raise InputError("--test-ratio must be at least 0 and below 1")
    n = len(data.x)
    cut = max(1, min(n, round(n * (1 - test_ratio))))
    rows = np.arange(n)
    return rows[:cut], rows[cut:]


# --------------------------------------------------------------------------- features

FEATURES = {
    "x1": lambda x: x[:, 0],
    "x2": lambda x: x[:, 1],
    "x1^2": lambda x: x[:, 0] ** 2,
    "x2^2": lambda x: x[:, 1] ** 2,
    "x1x2": lambda x: x[:, 0] * x[:, 1],
    "sin(x1)": lambda x: np.sin(x[:, 0]),
    "sin(x2)": lambda x: np.sin(x[:, 1]),
}
_SPELLINGS = {
    "x1²": "x1^2",
    "x2²": "x2^2",
    "x1*x2": "x1x2",
    "x1·x2": "x1x2",
    "sinx1": "sin(x1)",
    "sinx2": "sin(x2)",
    "sin x1": "sin(x1)",
    "sin x2": "sin(x2)",
}


def parse_features(text: str) -> list[str]:
    """`x1,x2,x1^2,sin(x1)` -> the canonical names, in the order given (TensorFlow
    Playground's seven inputs; also written x1², x1*x2, sin x1)."""
    out = []
    for part in text.split(","):
        name = _SPELLINGS.get(part.strip(), part.strip().replace(" ", ""))
        if name not in FEATURES:
            raise InputError(f"unknown feature '{part.strip()}' (use {', '.join(FEATURES)})")
        if name in out:
            raise InputError(f"feature '{name}' is given twice")
        out.append(name)
    return out


def features(x: np.ndarray, names: list[str]) -> np.ndarray:
    """The named features of points x (a point a row, as generated) in the course's layout:
    a point is a column (features × points)."""
    return np.stack([FEATURES[n](x) for n in names], axis=0)


# --------------------------------------------------------------------------- CSV


# what each loss (layers.LOSSES) takes as a label; the squared errors take any finite number
LABELS = {
    "binary_cross_entropy": "binary cross-entropy takes labels from 0 to 1 (0 or 1: a class)",
    "cross_entropy": "cross-entropy takes labels from 0 to 1 (one-hot: 1 for the class, else 0)",
    "hinge": "the hinge loss takes labels -1 and 1",
}
ONE_HOT_TOLERANCE = 1e-6  # how far from 1 the labels of a softmax output's row may sum


def _label_refused(loss: str | None, value: float) -> bool:
    if loss in ("binary_cross_entropy", "cross_entropy"):
        return not 0 <= value <= 1
    if loss == "hinge":
        return value not in (-1.0, 1.0)
    return False


def read_csv(
    path: str,
    inputs: list[str],
    targets: list[str],
    loss: str | None = None,
    softmax: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """A user's data: a header naming the problem's inputs and targets (any order, other
    columns refused), one sample a row. Errors name file:line; at most MAX_SAMPLES rows.

    Excel's "CSV UTF-8" (a byte-order mark first) reads as plain UTF-8. A value is a plain
    decimal (`numerals.decimal`: not `1_000`, `inf`, `nan` or hex). The targets are the
    labels `loss` takes (`LABELS`): 0 to 1 for cross-entropy, -1 or 1 for the hinge loss,
    any number for a squared error; with `softmax` outputs a row's labels sum to 1 (one-hot,
    or probabilities), which the gradient p - y assumes. Returns (inputs, targets) in the
    course's layout: a sample is a column."""
    import csv

    try:
        handle = open(path, encoding="utf-8-sig", newline="")
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror}") from None
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
            if header is None:
                raise InputError(
                    f"{path}:1: the file is empty (a header row naming "
                    f"{', '.join(inputs + targets)} comes first)"
                )
            names = [strip_controls(h).strip() for h in header]
            wanted = inputs + targets
            extra = [n for n in names if n not in wanted]
            missing = [n for n in wanted if n not in names]
            if extra or missing or len(set(names)) != len(names):
                what = (
                    f"unknown column '{extra[0][:40]}'"
                    if extra
                    else f"no column '{missing[0]}'"
                    if missing
                    else "a column is named twice"
                )
                raise InputError(
                    f"{path}:1: {what}; the columns are the problem's inputs and "
                    f"targets: {', '.join(wanted)}"
                )
            order = [names.index(n) for n in wanted]
            rows = []
            for row in reader:
                line = reader.line_num
                if not row or all(not c.strip() for c in row):
                    continue
                if len(rows) >= MAX_SAMPLES:
                    raise InputError(
                        f"{path}:{line}: more than {MAX_SAMPLES:,} samples (the "
                        "limit of a data file); use a sample of the rows"
                    )
                if len(row) != len(names):
                    raise InputError(
                        f"{path}:{line}: {len(row)} values, but the header names "
                        f"{len(names)} columns"
                    )
                values = []
                for i, k in enumerate(order):
                    cell = row[k].strip()
                    v = decimal(cell)
                    shown = strip_controls(cell[:20]) if cell else "an empty value"
                    if v is None:
                        raise InputError(
                            f"{path}:{line}: column '{names[k]}' is {shown}, not a finite "
                            "number (a plain decimal such as -0.5 or 1e-3)"
                        )
                    if i >= len(inputs) and _label_refused(loss, v):
                        raise InputError(
                            f"{path}:{line}: column '{names[k]}' is {shown}, but {LABELS[loss]}"
                        )
                    values.append(v)
                if softmax and loss == "cross_entropy":
                    total = math.fsum(values[len(inputs) :])
                    if abs(total - 1) > ONE_HOT_TOLERANCE:
                        raise InputError(
                            f"{path}:{line}: the labels {', '.join(targets)} sum to "
                            f"{total:g}, but softmax cross-entropy takes one class a row "
                            "(one-hot: a single 1) or probabilities that sum to 1"
                        )
                rows.append(values)
        except csv.Error as e:
            raise InputError(f"{path}:{reader.line_num}: not CSV ({e})") from None
        except UnicodeDecodeError:
            raise InputError(f"{path}: not UTF-8 text") from None
    if not rows:
        raise InputError(f"{path}:2: no samples after the header")
    data = np.array(rows, dtype=float)
    return data[:, : len(inputs)].T.copy(), data[:, len(inputs) :].T.copy()
